# Imports: a role and a managed policy made outside Terraform (by the test,
# with the SDK), brought under Terraform with `terraform import`. The
# blocks below describe them as they were made, so the plan after the
# imports is clean.

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

provider "aws" {
  region                   = "us-east-1"
  max_retries              = 5 # the default, 25 attempts, hangs on a broken local backend (e2e/tf)
  profile                  = "account-a"
  shared_credentials_files = [var.credentials_file]
  skip_metadata_api_check  = true
  endpoints {
    iam = var.endpoint
    sts = var.endpoint
  }
}

resource "aws_iam_role" "legacy" {
  name        = "legacy"
  path        = "/imported/"
  description = "made before Terraform"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
  tags = { origin = "sdk" }
}

resource "aws_iam_policy" "legacy" {
  name = "legacy-read"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "arn:aws:s3:::legacy/*" }]
  })
}

resource "aws_iam_role_policy_attachment" "legacy" {
  role       = aws_iam_role.legacy.name
  policy_arn = aws_iam_policy.legacy.arn
}
