# Seed 004 without the role chain: B's role bar reaches A's ECR repository
# and S3 bucket directly, across accounts. Both sides must allow: bar's own
# identity policy (in account_b) and A's repository and bucket policies
# (in account_a).

terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}

variable "endpoint" {
  type = string
}

variable "access_key" {
  type = string
}

variable "secret_key" {
  type      = string
  sensitive = true
}

variable "role_arn" {
  description = "B's role bar"
  type        = string
}

provider "aws" {
  region                  = "us-east-1"
  max_retries             = 5 # the default, 25 attempts, hangs on a broken local backend (e2e/tf)
  access_key              = var.access_key
  secret_key              = var.secret_key
  skip_metadata_api_check = true
  s3_use_path_style       = true
  endpoints {
    iam = var.endpoint
    sts = var.endpoint
    ecr = var.endpoint
    s3  = var.endpoint
  }
  assume_role {
    role_arn     = var.role_arn
    session_name = "seed004-b-resources"
  }
}

data "aws_caller_identity" "current" {}

data "aws_ecr_repository" "app" {
  name        = "app"
  registry_id = "111111111111"
}

resource "aws_s3_object" "report" {
  bucket  = "seed004-reports"
  key     = "from-b.txt"
  content = "written by B's role bar"
}

output "caller_arn" {
  value = data.aws_caller_identity.current.arn
}

output "repository_arn" {
  value = data.aws_ecr_repository.app.arn
}

output "object_etag" {
  value = aws_s3_object.report.etag
}
