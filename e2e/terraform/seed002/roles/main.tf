# Seed 002: EKS Pod Identity with a target role in another account. A's
# role app (later app2) is the association role: it trusts the Pod
# Identity service principal and may assume B's target role, whose trust
# names it with the association's ExternalId. The association is
# Terraform's; hashicorp/aws 5.100 has no target_role_arn argument, so the
# test sets the target role with the EKS API, and the plan stays clean.

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

variable "stage" {
  description = "1: role app, tags team=blue and temporary; 2: role app2, team=red"
  type        = number
  default     = 1
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
  pod_identity_trust = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "pods.eks.amazonaws.com" }
      Action    = ["sts:AssumeRole", "sts:TagSession"]
    }]
  })
  association_roles = { app = 1, app2 = 2 }
}

resource "aws_iam_role" "association" {
  provider           = aws.a
  for_each           = local.association_roles
  name               = each.key
  assume_role_policy = local.pod_identity_trust
}

resource "aws_iam_role_policy" "reach_b" {
  provider = aws.a
  for_each = local.association_roles
  name     = "reach-b"
  role     = aws_iam_role.association[each.key].id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["sts:AssumeRole", "sts:TagSession"], Resource = "arn:aws:iam::222222222222:role/target" }]
  })
}

resource "aws_iam_role" "target" {
  provider = aws.b
  name     = "target"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = [for r in aws_iam_role.association : r.arn] }
      Action    = ["sts:AssumeRole", "sts:TagSession"]
      Condition = { StringEquals = { "sts:ExternalId" = "us-east-1/111111111111/prod/default/web" } }
    }]
  })
}

resource "aws_iam_role_policy" "target_read" {
  provider = aws.b
  name     = "read"
  role     = aws_iam_role.target.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "iam:GetRole", Resource = aws_iam_role.target.arn }]
  })
}

resource "aws_eks_pod_identity_association" "web" {
  provider        = aws.a
  cluster_name    = data.aws_eks_cluster.prod.name
  namespace       = "default"
  service_account = "web"
  role_arn        = aws_iam_role.association[var.stage >= 2 ? "app2" : "app"].arn
  tags            = var.stage >= 2 ? { team = "red" } : { team = "blue", temporary = "yes" }
}

output "association_id" {
  value = aws_eks_pod_identity_association.web.association_id
}

output "association_arn" {
  value = aws_eks_pod_identity_association.web.association_arn
}

output "target_role" {
  value = aws_iam_role.target.arn
}
