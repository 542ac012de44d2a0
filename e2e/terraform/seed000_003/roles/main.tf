# Seeds 000 and 003: IRSA across two accounts, from the cluster's issuer
# that the EKS API describes. Account A (111111111111) runs the cluster
# prod. Way 1 (seed 000's first way, and seed 003): account B registers an
# OIDC provider for A's issuer and a role trusting it for one service
# account. Way 2 (seed 000's chained profiles): A registers the provider
# too, with a role for the same service account that may assume a role in
# B.

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

variable "service_account" {
  description = "the service account the roles trust: system:serviceaccount:NAMESPACE:NAME"
  type        = string
  default     = "system:serviceaccount:default:app"
}

provider "aws" {
  alias                    = "a"
  region                   = "us-east-1"
  max_retries              = 5 # the default, 25 attempts, hangs on a broken local backend (e2e/tf)
  profile                  = "account-a"
  shared_credentials_files = [var.credentials_file]
  skip_metadata_api_check  = true
  endpoints {
    iam = var.endpoint
    sts = var.endpoint
    eks = var.endpoint
  }
}

provider "aws" {
  alias                    = "b"
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

data "aws_eks_cluster" "prod" {
  provider = aws.a
  name     = "prod"
}

locals {
  issuer = data.aws_eks_cluster.prod.identity[0].oidc[0].issuer
  # host/path: the provider's name in ARNs and in condition keys.
  provider_name = replace(local.issuer, "https://", "")
}

# Way 1: B trusts A's cluster directly.
resource "aws_iam_openid_connect_provider" "b" {
  provider       = aws.b
  url            = local.issuer
  client_id_list = ["sts.amazonaws.com"]
}

resource "aws_iam_role" "b_app" {
  provider = aws.b
  name     = "account-b-role"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = aws_iam_openid_connect_provider.b.arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "${local.provider_name}:sub" = var.service_account
          "${local.provider_name}:aud" = "sts.amazonaws.com"
        }
      }
    }]
  })
}

# Way 2: A's own provider and role, chained into B.
resource "aws_iam_openid_connect_provider" "a" {
  provider       = aws.a
  url            = local.issuer
  client_id_list = ["sts.amazonaws.com"]
}

resource "aws_iam_role" "a_app" {
  provider = aws.a
  name     = "account-a-role"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = aws_iam_openid_connect_provider.a.arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "${local.provider_name}:sub" = var.service_account
          "${local.provider_name}:aud" = "sts.amazonaws.com"
        }
      }
    }]
  })
}

resource "aws_iam_role" "b_chain" {
  provider = aws.b
  name     = "account-b-chain"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = aws_iam_role.a_app.arn }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "a_chain" {
  provider = aws.a
  name     = "chain"
  role     = aws_iam_role.a_app.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Resource = aws_iam_role.b_chain.arn }]
  })
}

output "issuer" {
  value = local.issuer
}

output "cluster_endpoint" {
  value = data.aws_eks_cluster.prod.endpoint
}

output "cluster_ca" {
  value = data.aws_eks_cluster.prod.certificate_authority[0].data
}

output "b_role" {
  value = aws_iam_role.b_app.arn
}

output "a_role" {
  value = aws_iam_role.a_app.arn
}

output "b_chain_role" {
  value = aws_iam_role.b_chain.arn
}
