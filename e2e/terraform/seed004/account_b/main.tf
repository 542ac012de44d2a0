# Seed 004, account B (222222222222): the role bar, allowed to assume A's
# foo_bar and nothing else of A's but what A's resource policies grant;
# deployer, the user that assumes bar (the seed's Lambda; root users may
# not assume roles); and other, a B user allowed everything by its own
# account, whom A's trust never names once tightened.

terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}

variable "endpoint" {
  type = string
}

variable "credentials_file" {
  type = string
}

variable "role_to_assume" {
  description = "A's role foo_bar (account A's role_to_be_assumed output)"
  type        = string
}

provider "aws" {
  region                   = "us-east-1"
  max_retries              = 5 # the default, 25 attempts, hangs on a broken local backend (e2e/tf)
  profile                  = "account-b"
  shared_credentials_files = [var.credentials_file]
  skip_metadata_api_check  = true
  endpoints {
    iam = var.endpoint
    sts = var.endpoint
  }
}

data "aws_caller_identity" "b" {}

resource "aws_iam_role" "bar" {
  name = "bar"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = aws_iam_user.deployer.arn }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "assume_a" {
  name = "assume-foo-bar"
  role = aws_iam_role.bar.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = "sts:AssumeRole", Resource = var.role_to_assume },
      # The resource-policy path: A's repository and bucket policies must
      # allow too.
      { Effect = "Allow", Action = ["ecr:DescribeRepositories", "ecr:DescribeImages", "ecr:ListTagsForResource", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], Resource = "arn:aws:ecr:us-east-1:111111111111:repository/app" },
      { Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:GetObjectTagging", "s3:PutObjectTagging", "s3:ListBucket"], Resource = ["arn:aws:s3:::seed004-reports", "arn:aws:s3:::seed004-reports/*"] },
    ]
  })
}

resource "aws_iam_user" "deployer" {
  name = "deployer"
}

resource "aws_iam_user_policy" "deployer" {
  name = "assume-bar"
  user = aws_iam_user.deployer.name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Resource = aws_iam_role.bar.arn }]
  })
}

resource "aws_iam_access_key" "deployer" {
  user = aws_iam_user.deployer.name
}

resource "aws_iam_user" "other" {
  name = "other"
}

resource "aws_iam_user_policy" "other" {
  name = "everything"
  user = aws_iam_user.other.name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["sts:AssumeRole", "dynamodb:*"], Resource = "*" }]
  })
}

resource "aws_iam_access_key" "other" {
  user = aws_iam_user.other.name
}

output "role_which_will_assume" {
  value = aws_iam_role.bar.arn
}

output "account_id" {
  value = data.aws_caller_identity.b.account_id
}

output "deployer_access_key_id" {
  value = aws_iam_access_key.deployer.id
}

output "deployer_secret_access_key" {
  value     = aws_iam_access_key.deployer.secret
  sensitive = true
}

output "other_access_key_id" {
  value = aws_iam_access_key.other.id
}

output "other_secret_access_key" {
  value     = aws_iam_access_key.other.secret
  sensitive = true
}
