# Seed 004, the writer: what the seed's Lambda in B does, as Terraform. Its
# provider starts from a B user's key, assumes B's role bar, then A's role
# foo_bar (two assume_role blocks: role chaining), and writes an item into
# A's table.

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
  description = "the roles to assume in turn: B's bar, then A's foo_bar"
  type        = list(string)
}

variable "item_id" {
  type    = string
  default = "from-b"
}

variable "note" {
  type    = string
  default = "written from account B"
}

provider "aws" {
  region                  = "us-east-1"
  max_retries             = 5 # the default, 25 attempts, hangs on a broken local backend (e2e/tf)
  access_key              = var.access_key
  secret_key              = var.secret_key
  skip_metadata_api_check = true
  endpoints {
    iam      = var.endpoint
    sts      = var.endpoint
    dynamodb = var.endpoint
  }

  dynamic "assume_role" {
    for_each = var.chain
    content {
      role_arn     = assume_role.value
      session_name = "seed004-writer"
    }
  }
}

data "aws_caller_identity" "current" {}

resource "aws_dynamodb_table_item" "from_b" {
  table_name = "TestTable"
  hash_key   = "id"
  item = jsonencode({
    id   = { S = var.item_id }
    note = { S = var.note }
  })
}

output "caller_arn" {
  value = data.aws_caller_identity.current.arn
}
