# The IAM catalogue: most of the provider's IAM resources and data sources
# in one account, tagged where IAM allows it. Applied, planned clean,
# changed (stage 2: a new policy version, tags changed and removed, a
# rotated key), planned clean again, and destroyed, users with
# force_destroy first losing every credential they hold.

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
  description = "1: as created; 2: changed"
  type        = number
  default     = 1
}

variable "ssh_public_key" {
  description = "an OpenSSH ssh-rsa public key for alice"
  type        = string
}

variable "signing_certificate" {
  description = "a PEM X.509 certificate for alice's signing certificate"
  type        = string
}

variable "server_certificate" {
  description = "a PEM X.509 certificate and its key, for the server certificate"
  type        = object({ body = string, key = string })
  sensitive   = true
}

variable "saml_metadata" {
  description = "an identity provider's SAML metadata document"
  type        = string
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
  default_tags {
    tags = { managed-by = "terraform" }
  }
}

locals {
  changed = var.stage >= 2
}

data "aws_caller_identity" "me" {}

data "aws_iam_policy_document" "read" {
  statement {
    actions   = local.changed ? ["s3:GetObject", "s3:ListBucket"] : ["s3:GetObject"]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "boundary" {
  name_prefix = "boundary-"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["s3:*", "dynamodb:*", "sts:AssumeRole", "iam:ChangePassword"], Resource = "*" }]
  })
  tags = { kind = "boundary" }
}

resource "aws_iam_policy" "read" {
  name        = "read"
  path        = "/team/"
  description = "read things"
  policy      = data.aws_iam_policy_document.read.json
  tags        = local.changed ? { team = "red" } : { team = "blue", temporary = "yes" }
}

# Users, and everything a user can hold.
resource "aws_iam_user" "alice" {
  name                 = "alice"
  path                 = "/people/"
  force_destroy        = true
  permissions_boundary = aws_iam_policy.boundary.arn
  tags                 = local.changed ? { team = "red", extra = "x" } : { team = "blue" }
}

resource "aws_iam_access_key" "alice" {
  user   = aws_iam_user.alice.name
  status = local.changed ? "Inactive" : "Active"
}

resource "aws_iam_user_policy" "alice" {
  name = "inline"
  user = aws_iam_user.alice.name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "s3:ListBucket", Resource = "*" }]
  })
}

resource "aws_iam_user_policy_attachment" "alice" {
  user       = aws_iam_user.alice.name
  policy_arn = aws_iam_policy.read.arn
}

resource "aws_iam_user_login_profile" "alice" {
  user                    = aws_iam_user.alice.name
  password_reset_required = true
}

resource "aws_iam_user_ssh_key" "alice" {
  username   = aws_iam_user.alice.name
  encoding   = "SSH"
  public_key = var.ssh_public_key
  status     = local.changed ? "Inactive" : "Active"
}

resource "aws_iam_service_specific_credential" "alice" {
  service_name = "codecommit.amazonaws.com"
  user_name    = aws_iam_user.alice.name
}

resource "aws_iam_signing_certificate" "alice" {
  user_name        = aws_iam_user.alice.name
  certificate_body = var.signing_certificate
}

resource "aws_iam_virtual_mfa_device" "alice" {
  virtual_mfa_device_name = "alice-phone"
  tags                    = { owner = "alice" }
}

resource "aws_iam_user" "bob" {
  name          = "bob"
  force_destroy = true
}

resource "aws_iam_user_policies_exclusive" "bob" {
  user_name    = aws_iam_user.bob.name
  policy_names = []
}

# Groups.
resource "aws_iam_group" "devs" {
  name = "devs"
  path = "/groups/"
}

resource "aws_iam_group_policy" "devs" {
  name  = "g-inline"
  group = aws_iam_group.devs.name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "s3:ListAllMyBuckets", Resource = "*" }]
  })
}

resource "aws_iam_group_policy_attachment" "devs" {
  group      = aws_iam_group.devs.name
  policy_arn = aws_iam_policy.read.arn
}

resource "aws_iam_user_group_membership" "alice" {
  user   = aws_iam_user.alice.name
  groups = [aws_iam_group.devs.name]
}

resource "aws_iam_group_membership" "devs" {
  name  = "devs-membership"
  group = aws_iam_group.devs.name
  users = local.changed ? [aws_iam_user.alice.name, aws_iam_user.bob.name] : [aws_iam_user.alice.name]
}

# Roles and instance profiles.
resource "aws_iam_role" "app" {
  name_prefix          = "app-"
  permissions_boundary = aws_iam_policy.boundary.arn
  max_session_duration = local.changed ? 7200 : 3600
  description          = "the app"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
  tags = local.changed ? {} : { app = "yes" }
}

resource "aws_iam_role_policy" "app" {
  name = "app-inline"
  role = aws_iam_role.app.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "dynamodb:GetItem", Resource = "*" }]
  })
}

resource "aws_iam_role_policy_attachment" "app" {
  role       = aws_iam_role.app.name
  policy_arn = aws_iam_policy.read.arn
}

resource "aws_iam_role_policies_exclusive" "app" {
  role_name    = aws_iam_role.app.name
  policy_names = [aws_iam_role_policy.app.name]
}

resource "aws_iam_role_policy_attachments_exclusive" "app" {
  role_name   = aws_iam_role.app.name
  policy_arns = [aws_iam_policy.read.arn]
}

resource "aws_iam_instance_profile" "app" {
  name = "app-profile"
  role = aws_iam_role.app.name
  tags = { ip = "yes" }
}

resource "aws_iam_service_linked_role" "autoscaling" {
  aws_service_name = "autoscaling.amazonaws.com"
  custom_suffix    = "catalogue"
}

# Providers and certificates.
resource "aws_iam_openid_connect_provider" "oidc" {
  url             = "https://oidc.example.test/id/ABC"
  client_id_list  = local.changed ? ["sts.amazonaws.com", "other"] : ["sts.amazonaws.com"]
  thumbprint_list = ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"]
  tags            = { oidc = "yes" }
}

resource "aws_iam_saml_provider" "idp" {
  name                   = "corporate-idp"
  saml_metadata_document = var.saml_metadata
  tags                   = { saml = "yes" }
}

resource "aws_iam_server_certificate" "web" {
  name_prefix      = "web-"
  path             = "/web/"
  certificate_body = var.server_certificate.body
  private_key      = var.server_certificate.key
  tags             = { web = "yes" }
}

# Account settings.
resource "aws_iam_account_alias" "alias" {
  account_alias = "account-a-alias"
}

resource "aws_iam_account_password_policy" "strict" {
  minimum_password_length        = local.changed ? 14 : 12
  require_lowercase_characters   = true
  require_numbers                = true
  allow_users_to_change_password = true
  password_reuse_prevention      = 5
}

resource "aws_iam_security_token_service_preferences" "sts" {
  global_endpoint_token_version = "v2Token"
}

# Data sources.
data "aws_iam_role" "app" {
  name = aws_iam_role.app.name
}

data "aws_iam_policy" "read" {
  arn = aws_iam_policy.read.arn
}

data "aws_iam_user" "alice" {
  user_name = aws_iam_user.alice.name
}

data "aws_iam_group" "devs" {
  group_name = aws_iam_group.devs.name
  depends_on = [aws_iam_group_membership.devs, aws_iam_user_group_membership.alice]
}

data "aws_iam_instance_profile" "app" {
  name = aws_iam_instance_profile.app.name
}

data "aws_iam_openid_connect_provider" "oidc" {
  arn = aws_iam_openid_connect_provider.oidc.arn
}

data "aws_iam_server_certificate" "web" {
  name = aws_iam_server_certificate.web.name
}

data "aws_iam_account_alias" "current" {
  depends_on = [aws_iam_account_alias.alias]
}

data "aws_iam_roles" "all" {
  depends_on = [aws_iam_role.app, aws_iam_service_linked_role.autoscaling]
}

data "aws_iam_users" "people" {
  path_prefix = "/people/"
  depends_on  = [aws_iam_user.alice]
}

output "account" {
  value = data.aws_caller_identity.me.account_id
}

output "role_arn" {
  value = data.aws_iam_role.app.arn
}

output "group_members" {
  value = sort([for u in data.aws_iam_group.devs.users : u.user_name])
}

output "alias" {
  value = data.aws_iam_account_alias.current.account_alias
}

output "slr_name" {
  value = aws_iam_service_linked_role.autoscaling.name
}

output "people" {
  value = sort(data.aws_iam_users.people.names)
}

output "mfa_serial" {
  value = aws_iam_virtual_mfa_device.alice.arn
}
