"""Drive cross-account AssumeRole against a running assumed server with the
AWS CLI v1 and boto3, with credentials from shared-config profiles
(source_profile, role_arn, external_id, role_session_name,
duration_seconds), as docs/cross-account.md describes.

Run by e2e/sts_shared_config_test.go, which starts the server with
docs/cross-account.md's world (plus partner-role) and sets
AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE (profile deployer) and
AWS_ENDPOINT_URL. Prints one line per check and a closing
"N passed, 0 failed"; exits non-zero on the first failure.
"""
import json
import os
import subprocess
import sys

import boto3
import botocore.exceptions

from checks import ok, fail, done, cli, boto_error


A, B = "111111111111", "222222222222"
B_ROLE = f"arn:aws:iam::{B}:role/account-b-role"
A_ROLE = f"arn:aws:iam::{A}:role/account-a-role"
PARTNER_ROLE = f"arn:aws:iam::{A}:role/partner-role"
CHAIN_LIMIT = "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."


def session(profile):
    return boto3.Session(profile_name=profile)


def want_identity(got, arn, account, session_name, what):
    if got["Arn"] != arn or got["Account"] != account:
        fail(f"{what}: identity {got}, want {arn}")
    if session_name and not (got["UserId"].startswith("AROA") and got["UserId"].endswith(":" + session_name)):
        fail(f"{what}: UserId {got['UserId']}, want AROA…:{session_name}")


def main():
    # The source profile: B's deployer with its long-term key.
    want_identity(cli("deployer", "sts", "get-caller-identity"), f"arn:aws:iam::{B}:user/deployer", B, None, "deployer")
    ok("CLI: deployer is arn:aws:iam::222222222222:user/deployer")

    # One hop within B.
    want_identity(cli("b-role", "sts", "get-caller-identity"),
                  f"arn:aws:sts::{B}:assumed-role/account-b-role/deploy", B, "deploy", "b-role")
    ok("CLI: b-role (source_profile=deployer) is assumed-role/account-b-role/deploy")

    # Role chaining across accounts: deployer -> account-b-role -> account-a-role.
    a_arn = f"arn:aws:sts::{A}:assumed-role/account-a-role/pull"
    want_identity(cli("a-role", "sts", "get-caller-identity"), a_arn, A, "pull", "a-role")
    ok("CLI: a-role (source_profile=b-role) is arn:aws:sts::111111111111:assumed-role/account-a-role/pull")

    # The external ID.
    partner_arn = f"arn:aws:sts::{A}:assumed-role/partner-role/partner-session"
    want_identity(cli("partner", "sts", "get-caller-identity"), partner_arn, A, "partner-session", "partner")
    ok("CLI: partner (external_id=partner-123) is assumed-role/partner-role/partner-session")
    msg = cli("partner-noid", "sts", "get-caller-identity", expect="AccessDenied", operation="AssumeRole")
    if f"user/deployer is not authorized to perform: sts:AssumeRole on resource: {PARTNER_ROLE}" not in msg:
        fail(f"partner-noid: AccessDenied message: {msg}")
    ok("CLI: partner-noid (no external_id): AccessDenied on AssumeRole")

    # Durations: 7200 seconds is fine for a first hop, refused when chaining.
    want_identity(cli("b-role-long", "sts", "get-caller-identity"),
                  f"arn:aws:sts::{B}:assumed-role/account-b-role/deploy-long", B, "deploy-long", "b-role-long")
    ok("CLI: b-role-long (duration_seconds=7200, no chaining) works")
    msg = cli("a-role-long", "sts", "get-caller-identity", expect="ValidationError", operation="AssumeRole")
    if CHAIN_LIMIT not in msg:
        fail(f"a-role-long: ValidationError message: {msg}")
    ok("CLI: a-role-long (duration_seconds=7200, chained): ValidationError, 1 hour session limit")

    # The a-role session is authorized by account-a-role's policies only.
    msg = cli("a-role", "iam", "list-users", expect="AccessDenied", operation="ListUsers")
    if f"User: {a_arn} is not authorized to perform: iam:ListUsers" not in msg:
        fail(f"a-role list-users: AccessDenied message: {msg}")
    ok("CLI: a-role iam list-users (not allowed): AccessDenied")
    names = sorted(r["RoleName"] for r in cli("a-role", "iam", "list-roles")["Roles"])
    if names != ["account-a-role", "partner-role"]:
        fail(f"a-role iam list-roles: {names}, want account A's roles")
    ok("CLI: a-role iam list-roles (allowed) lists account A's roles")

    # boto3, from the same profiles.
    want_identity(session("a-role").client("sts").get_caller_identity(), a_arn, A, "pull", "boto3 a-role")
    ok("boto3: a-role is assumed-role/account-a-role/pull")
    want_identity(session("partner").client("sts").get_caller_identity(), partner_arn, A, "partner-session", "boto3 partner")
    ok("boto3: partner is assumed-role/partner-role/partner-session")
    msg = boto_error(lambda: session("partner-noid").client("sts").get_caller_identity(), "AccessDenied", "AssumeRole")
    if f"sts:AssumeRole on resource: {PARTNER_ROLE}" not in msg:
        fail(f"boto3 partner-noid: AccessDenied message: {msg}")
    ok("boto3: partner-noid: AccessDenied on AssumeRole")
    msg = boto_error(lambda: session("a-role-long").client("sts").get_caller_identity(), "ValidationError", "AssumeRole")
    if CHAIN_LIMIT not in msg:
        fail(f"boto3 a-role-long: ValidationError message: {msg}")
    ok("boto3: a-role-long: ValidationError, 1 hour session limit")
    a_iam = session("a-role").client("iam")
    msg = boto_error(lambda: a_iam.list_users(), "AccessDenied", "ListUsers")
    if f"User: {a_arn} is not authorized to perform: iam:ListUsers" not in msg:
        fail(f"boto3 a-role list_users: AccessDenied message: {msg}")
    ok("boto3: a-role list_users: AccessDenied")
    names = sorted(r["RoleName"] for r in a_iam.list_roles()["Roles"])
    if names != ["account-a-role", "partner-role"]:
        fail(f"boto3 a-role list_roles: {names}, want account A's roles")
    ok("boto3: a-role list_roles lists account A's roles")

    # Session tags need sts:TagSession in the trust policy; account-b-role's
    # trust allows only sts:AssumeRole (the deployer's own policy allows both).
    deployer_sts = session("deployer").client("sts")
    msg = boto_error(lambda: deployer_sts.assume_role(RoleArn=B_ROLE, RoleSessionName="tagged",
                                                      Tags=[{"Key": "team", "Value": "build"}], TransitiveTagKeys=["team"]),
                     "AccessDenied", "AssumeRole")
    if "sts:TagSession" not in msg:
        fail(f"assume_role with tags: AccessDenied message does not name sts:TagSession: {msg}")
    ok("boto3: assume_role with Tags + TransitiveTagKeys, trust without sts:TagSession: AccessDenied naming sts:TagSession")
    creds = deployer_sts.assume_role(RoleArn=B_ROLE, RoleSessionName="untagged")["Credentials"]
    if not creds["AccessKeyId"].startswith("ASIA"):
        fail(f"assume_role without tags: access key {creds['AccessKeyId']}")
    ok("boto3: the same assume_role without tags works")

    done()


if __name__ == "__main__":
    main()
