# A cluster managed by Terraform (the seeds' clusters come from the world
# file): created, its version upgraded and its logging changed (stage 2),
# with the Pod Identity Agent add-on, planned clean, destroyed.

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
  type    = number
  default = 1
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
    eks = var.endpoint
  }
}

resource "aws_iam_role" "cluster" {
  name = "eks-cluster"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "eks.amazonaws.com" }, Action = ["sts:AssumeRole", "sts:TagSession"] }]
  })
}

resource "aws_eks_cluster" "tf" {
  name     = "tf"
  role_arn = aws_iam_role.cluster.arn
  version  = var.stage >= 2 ? "1.34" : "1.33"

  vpc_config {
    subnet_ids = ["subnet-0a1b2c3d", "subnet-4e5f6a7b"]
  }

  access_config {
    authentication_mode = "API_AND_CONFIG_MAP"
  }

  enabled_cluster_log_types = var.stage >= 2 ? ["api", "audit"] : []

  tags = { team = var.stage >= 2 ? "red" : "blue" }
}

resource "aws_eks_addon" "pod_identity_agent" {
  cluster_name = aws_eks_cluster.tf.name
  addon_name   = "eks-pod-identity-agent"
}

data "aws_eks_cluster" "tf" {
  name       = aws_eks_cluster.tf.name
  depends_on = [aws_eks_addon.pod_identity_agent]
}

output "endpoint" {
  value = aws_eks_cluster.tf.endpoint
}

output "version" {
  value = data.aws_eks_cluster.tf.version
}

output "issuer" {
  value = aws_eks_cluster.tf.identity[0].oidc[0].issuer
}
