# Seeds 000 and 003, the pod's side: a provider configured as the EKS
# webhook configures the SDKs (a role and the service account's token
# file), optionally chaining on into further roles, reading who it is.

terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}

variable "endpoint" {
  type = string
}

variable "role_arn" {
  type = string
}

variable "token_file" {
  type = string
}

variable "chain" {
  type    = list(string)
  default = []
}

provider "aws" {
  region                  = "us-east-1"
  max_retries             = 5 # the default, 25 attempts, hangs on a broken local backend (e2e/tf)
  skip_metadata_api_check = true
  endpoints {
    iam = var.endpoint
    sts = var.endpoint
  }
  assume_role_with_web_identity {
    role_arn                = var.role_arn
    web_identity_token_file = var.token_file
    session_name            = "pod"
  }
  dynamic "assume_role" {
    for_each = var.chain
    content {
      role_arn     = assume_role.value
      session_name = "pod-chain"
    }
  }
}

data "aws_caller_identity" "current" {}

output "caller_arn" {
  value = data.aws_caller_identity.current.arn
}
