# Seed 002, the pod's side: a provider with no credentials of its own. The
# test sets what EKS Pod Identity sets in a pod,
# AWS_CONTAINER_CREDENTIALS_FULL_URI (the node agent, here `assumed
# agent`) and AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, and the provider's
# credential chain takes the container credentials from the agent.

terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}

variable "endpoint" {
  type = string
}

provider "aws" {
  region                  = "us-east-1"
  max_retries             = 5 # the default, 25 attempts, hangs on a broken local backend (e2e/tf)
  skip_metadata_api_check = true
  endpoints {
    iam = var.endpoint
    sts = var.endpoint
  }
}

data "aws_caller_identity" "current" {}

data "aws_iam_role" "target" {
  name = "target"
}

output "caller_arn" {
  value = data.aws_caller_identity.current.arn
}

output "target_role_id" {
  value = data.aws_iam_role.target.unique_id
}
