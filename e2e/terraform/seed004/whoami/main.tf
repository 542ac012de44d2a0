# Seed 004, whoami: a provider that starts from a B user's key and assumes
# the roles of `chain` in turn, and reads who it is. Nothing is created:
# it shows whether the chain is allowed.

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

variable "chain" {
  type = list(string)
}

provider "aws" {
  region                  = "us-east-1"
  max_retries             = 5 # the default, 25 attempts, hangs on a broken local backend (e2e/tf)
  access_key              = var.access_key
  secret_key              = var.secret_key
  skip_metadata_api_check = true
  endpoints {
    iam = var.endpoint
    sts = var.endpoint
  }

  dynamic "assume_role" {
    for_each = var.chain
    content {
      role_arn     = assume_role.value
      session_name = "seed004-whoami"
    }
  }
}

data "aws_caller_identity" "current" {}

output "caller_arn" {
  value = data.aws_caller_identity.current.arn
}
