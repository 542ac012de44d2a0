"""Drive a two-account IAM set-up against a running assumed server with the
AWS CLI v1 and boto3, as a user would, and check the error codes AWS gives.

Run by e2e/cli_test.go, which starts the server and sets
AWS_SHARED_CREDENTIALS_FILE (profiles account-a and account-b) and
AWS_ENDPOINT_URL. Prints one line per check and a closing
"N passed, 0 failed"; exits non-zero on the first failure.
"""
import json
import os
import subprocess
import sys

import boto3
import botocore.exceptions
from botocore.config import Config

from checks import ok, fail, done, cli, boto_error, doc


def main():
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    a = boto3.Session(profile_name="account-a").client("iam")
    b = boto3.Session(profile_name="account-b").client("iam")

    # Account identities.
    if cli("account-a", "iam", "get-user")["User"]["Arn"] != "arn:aws:iam::111111111111:root":
        fail("account-a is not 111111111111")
    ok("CLI: account-a root identity")
    if b.get_user()["User"]["Arn"] != "arn:aws:iam::222222222222:root":
        fail("account-b is not 222222222222")
    ok("boto3: account-b root identity")

    # Account B: a role that will reach into A (seed 001's shape).
    b.create_role(RoleName="account-b-role", AssumeRolePolicyDocument=doc(
        [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]))
    ok("boto3: account B creates account-b-role")

    # Account A: a role trusting B's role, with an ECR policy.
    trust = doc([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:role/account-b-role"}, "Action": "sts:AssumeRole"}])
    role = cli("account-a", "iam", "create-role", "--role-name", "account-a-role", "--assume-role-policy-document", trust)["Role"]
    if role["Arn"] != "arn:aws:iam::111111111111:role/account-a-role":
        fail(f"role ARN {role['Arn']}")
    ok("CLI: account A creates account-a-role trusting B's role")
    ecr = doc([{"Sid": "Pull", "Effect": "Allow", "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], "Resource": "arn:aws:ecr:us-east-1:111111111111:repository/app"},
               {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}])
    cli("account-a", "iam", "put-role-policy", "--role-name", "account-a-role", "--policy-name", "ecr-pull", "--policy-document", ecr)
    got = a.get_role_policy(RoleName="account-a-role", PolicyName="ecr-pull")["PolicyDocument"]
    if got["Statement"][0]["Sid"] != "Pull":
        fail(f"inline policy read back as {got}")
    ok("boto3 reads back the inline policy (URL-decoded)")
    got = a.get_role(RoleName="account-a-role")["Role"]["AssumeRolePolicyDocument"]
    if got["Statement"][0]["Principal"]["AWS"] != "arn:aws:iam::222222222222:role/account-b-role":
        fail(f"trust policy read back as {got}")
    ok("boto3 reads back the trust policy")

    # Users, keys, groups and a managed policy in A.
    cli("account-a", "iam", "create-user", "--user-name", "alice")
    key = cli("account-a", "iam", "create-access-key", "--user-name", "alice")["AccessKey"]
    ok("CLI: user alice with an access key")
    cli("account-a", "iam", "create-group", "--group-name", "devs")
    cli("account-a", "iam", "add-user-to-group", "--group-name", "devs", "--user-name", "alice")
    groups = [g["GroupName"] for g in a.list_groups_for_user(UserName="alice")["Groups"]]
    if groups != ["devs"]:
        fail(f"alice's groups {groups}")
    ok("group devs holds alice")

    alice_env = {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"], "AWS_DEFAULT_REGION": "us-east-1"}
    alice = boto3.client("iam", region_name="us-east-1", endpoint_url=endpoint,
                         aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])

    # A user without permission.
    msg = boto_error(lambda: alice.list_roles(), "AccessDenied")
    if "user/alice is not authorized to perform: iam:ListRoles" not in msg:
        fail(f"AccessDenied message: {msg}")
    ok("alice without permission: AccessDenied with AWS's message")
    cli(None, "iam", "list-roles", env=alice_env, expect="AccessDenied")
    ok("CLI as alice: AccessDenied")

    # A managed policy attached to the group grants it.
    arn = cli("account-a", "iam", "create-policy", "--policy-name", "ReadRoles", "--policy-document",
              doc([{"Effect": "Allow", "Action": ["iam:ListRoles", "iam:GetRole"], "Resource": "*"}]))["Policy"]["Arn"]
    cli("account-a", "iam", "attach-group-policy", "--group-name", "devs", "--policy-arn", arn)
    names = [r["RoleName"] for r in alice.list_roles()["Roles"]]
    if names != ["account-a-role"]:
        fail(f"alice lists {names}")
    ok("the group's managed policy lets alice list roles")

    # Error codes.
    boto_error(lambda: boto3.client("iam", region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id=key["AccessKeyId"],
                                    aws_secret_access_key="x" * 40).list_roles(), "SignatureDoesNotMatch")
    ok("wrong secret: SignatureDoesNotMatch")
    boto_error(lambda: boto3.client("iam", region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id="AKIAAAAAAAAAAAAAAAAA",
                                    aws_secret_access_key="x" * 40).list_roles(), "InvalidClientTokenId")
    ok("unknown key: InvalidClientTokenId")
    tampered = boto3.client("iam", region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id=key["AccessKeyId"],
                            aws_secret_access_key=key["SecretAccessKey"], config=Config(signature_version="v4"))

    def change_body(request, **kwargs):
        request.body = request.body.replace(b"ListRoles", b"ListUsers") if isinstance(request.body, bytes) else request.body.replace("ListRoles", "ListUsers")
    tampered.meta.events.register_last("before-send.iam.ListRoles", change_body)
    boto_error(lambda: tampered.list_roles(), "SignatureDoesNotMatch")
    ok("body changed after signing: SignatureDoesNotMatch")
    cli("account-a", "iam", "create-policy", "--policy-name", "Bad", "--policy-document",
        json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]}), expect="MalformedPolicyDocument")
    ok("malformed policy: MalformedPolicyDocument")
    cli("account-a", "iam", "create-user", "--user-name", "ALICE", expect="EntityAlreadyExists")
    ok("duplicate name (any case): EntityAlreadyExists")
    cli("account-a", "iam", "delete-role", "--role-name", "account-a-role", expect="DeleteConflict")
    ok("delete a role with policies: DeleteConflict")
    cli("account-a", "iam", "delete-group", "--group-name", "devs", expect="DeleteConflict")
    ok("delete a group with members and policies: DeleteConflict")
    boto_error(lambda: a.delete_policy(PolicyArn=arn), "DeleteConflict")
    ok("delete an attached policy: DeleteConflict")

    # Account isolation: B does not see A.
    if b.list_users()["Users"] or [r["RoleName"] for r in b.list_roles()["Roles"]] != ["account-b-role"]:
        fail("account B sees account A's entities")
    ok("account B sees only its own entities")

    # Another account's policy is no boundary: the same answer as for a
    # policy that does not exist, so A's policies stay unobservable.
    missing = "arn:aws:iam::111111111111:policy/no-such-policy"
    got = cli("account-b", "iam", "put-role-permissions-boundary", "--role-name", "account-b-role", "--permissions-boundary", arn, expect="NoSuchEntity")
    want = cli("account-b", "iam", "put-role-permissions-boundary", "--role-name", "account-b-role", "--permissions-boundary", missing, expect="NoSuchEntity")
    if got.replace(arn, missing) != want:
        fail(f"A's policy and a missing one answer differently:\n{got}\n{want}")
    ok("CLI: B can't set A's policy as a boundary, and can't tell it exists")

    # A long-term key sent with a session token (a stale AWS_SESSION_TOKEN)
    # is refused, as AWS does.
    root = boto3.Session(profile_name="account-a").get_credentials()
    cli(None, "sts", "get-caller-identity", env={"AWS_ACCESS_KEY_ID": root.access_key, "AWS_SECRET_ACCESS_KEY": root.secret_key,
                                               "AWS_SESSION_TOKEN": "FwoGZXIvYXdzEJr//////////stale", "AWS_DEFAULT_REGION": "us-east-1"},
        expect="InvalidClientTokenId")
    ok("CLI: a long-term key with a stale session token: InvalidClientTokenId")

    done()


if __name__ == "__main__":
    main()
