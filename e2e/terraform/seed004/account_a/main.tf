# Seed 004, account A (111111111111): the DynamoDB table, the role foo_bar
# that writes into it, and, for seed 001 and the resource-policy path, an
# ECR repository and an S3 bucket whose policies let B in. First applied
# with role_which_will_assume = B's account root, then tightened to B's
# role bar.

terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}

variable "endpoint" {
  description = "assumed's URL"
  type        = string
}

variable "credentials_file" {
  description = "the shared credentials file assumed wrote into its data dir"
  type        = string
}

variable "role_which_will_assume" {
  description = "who foo_bar trusts, and whom the repository and bucket policies name"
  type        = string
  default     = "arn:aws:iam::222222222222:root"
}

provider "aws" {
  region                   = "us-east-1"
  max_retries              = 5 # the default, 25 attempts, hangs on a broken local backend (e2e/tf)
  profile                  = "account-a"
  shared_credentials_files = [var.credentials_file]
  skip_metadata_api_check  = true
  s3_use_path_style        = true
  endpoints {
    iam      = var.endpoint
    sts      = var.endpoint
    dynamodb = var.endpoint
    ecr      = var.endpoint
    s3       = var.endpoint
  }
}

resource "aws_dynamodb_table" "test" {
  name           = "TestTable"
  read_capacity  = 5
  write_capacity = 5
  hash_key       = "id"

  attribute {
    name = "id"
    type = "S"
  }
}

resource "aws_iam_role" "foo_bar" {
  name = "foo_bar"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = var.role_which_will_assume }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "write" {
  name = "write-test-table"
  role = aws_iam_role.foo_bar.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:DescribeTable"]
      Resource = aws_dynamodb_table.test.arn
    }]
  })
}

resource "aws_ecr_repository" "app" {
  name = "app"
}

resource "aws_ecr_repository_policy" "app" {
  repository = aws_ecr_repository.app.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "PullFromB"
      Effect    = "Allow"
      Principal = { AWS = var.role_which_will_assume }
      Action    = ["ecr:DescribeRepositories", "ecr:DescribeImages", "ecr:ListTagsForResource", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    }]
  })
}

resource "aws_s3_bucket" "reports" {
  bucket        = "seed004-reports"
  force_destroy = true
}

resource "aws_s3_bucket_policy" "reports" {
  bucket = aws_s3_bucket.reports.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "ReadWriteFromB"
        Effect    = "Allow"
        Principal = { AWS = var.role_which_will_assume }
        Action    = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:GetObjectTagging", "s3:PutObjectTagging"]
        Resource  = "${aws_s3_bucket.reports.arn}/*"
      },
      {
        Sid       = "ListFromB"
        Effect    = "Allow"
        Principal = { AWS = var.role_which_will_assume }
        Action    = "s3:ListBucket"
        Resource  = aws_s3_bucket.reports.arn
      },
    ]
  })
}

output "role_to_be_assumed" {
  value = aws_iam_role.foo_bar.arn
}

output "table_name" {
  value = aws_dynamodb_table.test.name
}

output "repository_url" {
  value = aws_ecr_repository.app.repository_url
}

output "bucket" {
  value = aws_s3_bucket.reports.id
}
