"""Drive the resource gateway's allow/deny matrix against a running assumed
server (serve --backend moto) with the AWS CLI v1 and boto3: every call is
authorized by assumed as AWS would, across accounts, and only then
forwarded to moto.

  - Seed 004 through DynamoDB: B's role bar assumes A's foo_bar and puts
    items into A's table; other (a B user whom foo_bar's trust does not
    name) can't assume foo_bar, and is refused by A's table directly; bar's
    own session is refused by the table until a table resource policy names
    bar (with the table's ARN as TableName), and again once bar's own
    identity policy no longer allows.
  - S3: a bucket in A whose bucket policy grants bar s3:GetObject, and
    s3:ListBucket only with an s3:prefix condition; an explicit Deny in the
    bucket policy beats its Allow; what the bucket policy doesn't grant is
    refused across accounts even where bar's identity policy allows.
  - ECR: foo_bar describes A's repository and may not push; bar, across
    accounts, is refused until the repository policy (no Resource, as ECR
    writes them) names it.
  - Refused requests never reach moto: assumed's
    assumed_gateway_forwarded_total metric doesn't move for them, and moves
    by one for an allowed call.

Run by e2e/gateway_test.go, which starts the server with its gatewayWorld
and sets AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE (profiles account-a,
account-b, deployer, other, bar, foo-bar, other-foo-bar), AWS_ENDPOINT_URL
and SCRATCH (a directory for files). Prints one line per check and a
closing "N passed, 0 failed"; exits non-zero on the first failure.
"""
import json
import os
import urllib.request

import boto3

from checks import ok, fail, done, cli, boto_error, doc


A, B = "111111111111", "222222222222"
TABLE = "orders"
TABLE_ARN = f"arn:aws:dynamodb:us-east-1:{A}:table/{TABLE}"
BUCKET = "a-reports"
REPO = "app"
REPO_ARN = f"arn:aws:ecr:us-east-1:{A}:repository/{REPO}"
BAR_ROLE = f"arn:aws:iam::{B}:role/bar"
BAR = f"arn:aws:sts::{B}:assumed-role/bar/bar-session"
FOO_BAR = f"arn:aws:sts::{A}:assumed-role/foo_bar/foo-bar-session"
OTHER = f"arn:aws:iam::{B}:user/other"
FOO_BAR_ROLE = f"arn:aws:iam::{A}:role/foo_bar"

SCRATCH = os.environ["SCRATCH"]


def session(profile):
    return boto3.Session(profile_name=profile)


def want_in(msg, fragments, what):
    """Check that a refusal's message says each of fragments."""
    for f in fragments:
        if f not in msg:
            fail(f"{what}: the refusal does not say {f!r}: {msg}")


def not_authorized(who, action, resource, why):
    """The parts of AWS's refusal message a check insists on."""
    return [f"User: {who} is not authorized to perform: {action} on resource: {resource}", why]


def forwarded():
    """assumed's count of requests forwarded to the backend (its
    assumed_gateway_forwarded_total metric), or None when not exported."""
    with urllib.request.urlopen(os.environ["AWS_ENDPOINT_URL"] + "/_assumed/metrics", timeout=10) as resp:
        for line in resp.read().decode().splitlines():
            if line.startswith("assumed_gateway_forwarded_total "):
                return float(line.split()[1])
    return None


def item(key):
    return json.dumps({"id": {"S": key}})


def dynamodb():
    # Both accounts create a table named orders: the backend keeps them
    # apart, and a bare name means the caller's own account.
    for profile in ("account-a", "account-b"):
        got = cli(profile, "dynamodb", "create-table", "--table-name", TABLE,
                  "--attribute-definitions", "AttributeName=id,AttributeType=S",
                  "--key-schema", "AttributeName=id,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST")
        acct = A if profile == "account-a" else B
        if got["TableDescription"]["TableArn"] != f"arn:aws:dynamodb:us-east-1:{acct}:table/{TABLE}":
            fail(f"{profile} create-table: {got['TableDescription']['TableArn']}")
    ok("CLI: A's root and B's root each create a table named orders (ARNs in their own accounts)")

    # Seed 004: bar -> foo_bar -> A's table.
    cli("foo-bar", "dynamodb", "put-item", "--table-name", TABLE, "--item", item("via-foo-bar"))
    ok("CLI: foo-bar (deployer -> bar -> A's foo_bar) puts an item into A's orders")
    if "Item" not in cli("account-a", "dynamodb", "get-item", "--table-name", TABLE, "--key", item("via-foo-bar")):
        fail("A's root does not find foo-bar's item in A's orders")
    if "Item" in cli("account-b", "dynamodb", "get-item", "--table-name", TABLE, "--key", item("via-foo-bar")):
        fail("B's own orders has the item foo-bar put into A's")
    ok("CLI: the item is in A's orders, not in B's")
    foo_bar_db = session("foo-bar").client("dynamodb")
    foo_bar_db.put_item(TableName=TABLE, Item={"id": {"S": "boto3-foo-bar"}})
    if foo_bar_db.get_item(TableName=TABLE, Key={"id": {"S": "boto3-foo-bar"}}).get("Item") is None:
        fail("boto3 foo-bar: get_item does not find the item it put")
    ok("boto3: foo-bar put_item and get_item on A's orders")

    msg = cli("foo-bar", "dynamodb", "delete-item", "--table-name", TABLE, "--key", item("via-foo-bar"),
              expect="AccessDeniedException", operation="DeleteItem")
    want_in(msg, not_authorized(FOO_BAR, "dynamodb:DeleteItem", TABLE_ARN,
                                "because no identity-based policy allows the dynamodb:DeleteItem action"), "foo-bar delete-item")
    ok("CLI: foo-bar delete-item (foo_bar allows Put/GetItem only): AccessDeniedException, no identity-based policy allows")
    msg = boto_error(lambda: foo_bar_db.delete_item(TableName=TABLE, Key={"id": {"S": "via-foo-bar"}}),
                     "AccessDeniedException", "DeleteItem")
    want_in(msg, ["because no identity-based policy allows the dynamodb:DeleteItem action"], "boto3 foo-bar delete_item")
    ok("boto3: foo-bar delete_item: AccessDeniedException")

    # foo_bar's trust names bar: other, though its own policy allows
    # sts:AssumeRole on *, can't assume it.
    msg = cli("other-foo-bar", "dynamodb", "put-item", "--table-name", TABLE, "--item", item("other"),
              expect="AccessDenied", operation="AssumeRole")
    want_in(msg, [f"User: {OTHER} is not authorized to perform: sts:AssumeRole on resource: {FOO_BAR_ROLE}"], "other-foo-bar")
    ok("CLI: other-foo-bar (trust names bar only): AccessDenied on AssumeRole, before the table")

    # other, allowed dynamodb:* by B, is refused by A's table: no resource
    # policy lets B in.
    msg = cli("other", "dynamodb", "put-item", "--table-name", TABLE_ARN, "--item", item("other"),
              expect="AccessDeniedException", operation="PutItem")
    want_in(msg, not_authorized(OTHER, "dynamodb:PutItem", TABLE_ARN,
                                "because no resource-based policy allows the dynamodb:PutItem action"), "other put-item")
    ok("CLI: other (dynamodb:* in B) put-item into A's table ARN: AccessDeniedException, no resource-based policy allows")
    other_db = session("other").client("dynamodb")
    msg = boto_error(lambda: other_db.put_item(TableName=TABLE_ARN, Item={"id": {"S": "other"}}), "AccessDeniedException", "PutItem")
    want_in(msg, ["because no resource-based policy allows the dynamodb:PutItem action"], "boto3 other put_item")
    ok("boto3: other put_item into A's table ARN: AccessDeniedException, no resource-based policy allows")

    # bar's own session, by the table's ARN: refused until the table's
    # resource policy names bar.
    msg = cli("bar", "dynamodb", "put-item", "--table-name", TABLE_ARN, "--item", item("via-bar"),
              expect="AccessDeniedException", operation="PutItem")
    want_in(msg, not_authorized(BAR, "dynamodb:PutItem", TABLE_ARN,
                                "because no resource-based policy allows the dynamodb:PutItem action"), "bar put-item")
    ok("CLI: bar put-item into A's table ARN without a table policy: AccessDeniedException, no resource-based policy allows")
    policy = doc([{"Sid": "BarWrites", "Effect": "Allow", "Principal": {"AWS": BAR_ROLE},
                   "Action": ["dynamodb:PutItem", "dynamodb:GetItem"], "Resource": TABLE_ARN}])
    cli("account-a", "dynamodb", "put-resource-policy", "--resource-arn", TABLE_ARN, "--policy", policy)
    ok("CLI: A's root puts a resource policy on orders naming B's bar")
    cli("bar", "dynamodb", "put-item", "--table-name", TABLE_ARN, "--item", item("via-bar"))
    ok("CLI: bar put-item into A's table ARN through the table policy")
    bar_db = session("bar").client("dynamodb")
    bar_db.put_item(TableName=TABLE_ARN, Item={"id": {"S": "boto3-bar"}})
    got = bar_db.get_item(TableName=TABLE_ARN, Key={"id": {"S": "via-bar"}}).get("Item")
    if got != {"id": {"S": "via-bar"}}:
        fail(f"boto3 bar get_item: {got}")
    ok("boto3: bar put_item and get_item with TableName = A's table ARN")
    for key in ("via-bar", "boto3-bar"):
        if "Item" not in cli("account-a", "dynamodb", "get-item", "--table-name", TABLE, "--key", item(key)):
            fail(f"A's root does not find bar's item {key} in A's orders")
        if "Item" in cli("account-b", "dynamodb", "get-item", "--table-name", TABLE, "--key", item(key)):
            fail(f"bar's item {key} is in B's own orders")
    ok("CLI: bar's items are in A's orders, not in B's")
    # The table policy names bar, not other.
    msg = boto_error(lambda: other_db.put_item(TableName=TABLE_ARN, Item={"id": {"S": "other"}}), "AccessDeniedException", "PutItem")
    want_in(msg, ["because no resource-based policy allows the dynamodb:PutItem action"], "boto3 other put_item after the policy")
    ok("boto3: other is still refused (the table policy names bar only)")
    # The table policy allows Put/GetItem only.
    msg = boto_error(lambda: bar_db.delete_item(TableName=TABLE_ARN, Key={"id": {"S": "via-bar"}}), "AccessDeniedException", "DeleteItem")
    want_in(msg, ["dynamodb:DeleteItem"], "boto3 bar delete_item")
    ok("boto3: bar delete_item (allowed by neither side): AccessDeniedException")

    # Across accounts both sides must allow: without bar's identity
    # policy, the table policy alone is not enough.
    cli("account-b", "iam", "delete-role-policy", "--role-name", "bar", "--policy-name", "table")
    msg = cli("bar", "dynamodb", "put-item", "--table-name", TABLE_ARN, "--item", item("via-bar-2"),
              expect="AccessDeniedException", operation="PutItem")
    want_in(msg, not_authorized(BAR, "dynamodb:PutItem", TABLE_ARN,
                                "because no identity-based policy allows the dynamodb:PutItem action"), "bar put-item without its policy")
    ok("CLI: B deletes bar's table policy; bar put-item: AccessDeniedException, no identity-based policy allows")
    msg = boto_error(lambda: bar_db.get_item(TableName=TABLE_ARN, Key={"id": {"S": "via-bar"}}), "AccessDeniedException", "GetItem")
    want_in(msg, ["because no identity-based policy allows the dynamodb:GetItem action"], "boto3 bar get_item without its policy")
    ok("boto3: bar get_item without its identity policy: AccessDeniedException")


def s3():
    body = os.path.join(SCRATCH, "body.txt")
    with open(body, "w") as f:
        f.write("quarterly numbers\n")
    cli("account-a", "s3api", "create-bucket", "--bucket", BUCKET)
    for key in ("public/one.txt", "public/secret-plans.txt", "private/two.txt"):
        cli("account-a", "s3api", "put-object", "--bucket", BUCKET, "--key", key, "--body", body)
    ok(f"CLI: A's root creates {BUCKET} and puts public/one.txt, public/secret-plans.txt, private/two.txt")

    out = os.path.join(SCRATCH, "out.txt")
    msg = cli("bar", "s3api", "get-object", "--bucket", BUCKET, "--key", "public/one.txt", out,
              expect="AccessDenied", operation="GetObject")
    want_in(msg, not_authorized(BAR, "s3:GetObject", f'"arn:aws:s3:::{BUCKET}/public/one.txt"',
                                "because no resource-based policy allows the s3:GetObject action"), "bar get-object, no bucket policy")
    ok("CLI: bar get-object from A's bucket without a bucket policy: AccessDenied, no resource-based policy allows")

    policy = doc([
        {"Sid": "BarReads", "Effect": "Allow", "Principal": {"AWS": BAR_ROLE},
         "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"},
        {"Sid": "BarListsPublic", "Effect": "Allow", "Principal": {"AWS": BAR_ROLE},
         "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{BUCKET}",
         "Condition": {"StringLike": {"s3:prefix": ["public/*"]}}},
        {"Sid": "NoSecrets", "Effect": "Deny", "Principal": {"AWS": BAR_ROLE},
         "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/public/secret*"},
    ])
    cli("account-a", "s3api", "put-bucket-policy", "--bucket", BUCKET, "--policy", policy)
    if json.loads(cli("account-a", "s3api", "get-bucket-policy", "--bucket", BUCKET)["Policy"])["Statement"][2]["Sid"] != "NoSecrets":
        fail("get-bucket-policy does not return the policy put")
    ok("CLI: A's root puts a bucket policy: bar may GetObject, ListBucket with s3:prefix public/*, and NoSecrets denies public/secret*")

    cli("bar", "s3api", "get-object", "--bucket", BUCKET, "--key", "public/one.txt", out)
    with open(out) as f:
        if f.read() != "quarterly numbers\n":
            fail("bar get-object: not the object A put")
    ok("CLI: bar get-object public/one.txt through the bucket policy")
    got = cli("bar", "s3api", "list-objects-v2", "--bucket", BUCKET, "--prefix", "public/")
    keys = sorted(o["Key"] for o in got.get("Contents", []))
    if keys != ["public/one.txt", "public/secret-plans.txt"]:
        fail(f"bar list-objects-v2 --prefix public/: {keys}")
    ok("CLI: bar list-objects-v2 --prefix public/ (s3:prefix matches): lists the two public objects")
    msg = cli("bar", "s3api", "list-objects-v2", "--bucket", BUCKET, "--prefix", "private/",
              expect="AccessDenied", operation="ListObjectsV2")
    want_in(msg, not_authorized(BAR, "s3:ListBucket", f'"arn:aws:s3:::{BUCKET}"',
                                "because no resource-based policy allows the s3:ListBucket action"), "bar list private/")
    ok("CLI: bar list-objects-v2 --prefix private/: AccessDenied, no resource-based policy allows s3:ListBucket")
    msg = cli("bar", "s3api", "get-object", "--bucket", BUCKET, "--key", "public/secret-plans.txt", out,
              expect="AccessDenied", operation="GetObject")
    want_in(msg, not_authorized(BAR, "s3:GetObject", f'"arn:aws:s3:::{BUCKET}/public/secret-plans.txt"',
                                "with an explicit deny in a resource-based policy") + ['"NoSecrets"'], "bar get secret")
    ok("CLI: bar get-object public/secret-plans.txt: AccessDenied, explicit deny (NoSecrets) beats BarReads")

    bar_s3 = session("bar").client("s3")
    if bar_s3.get_object(Bucket=BUCKET, Key="private/two.txt")["Body"].read() != b"quarterly numbers\n":
        fail("boto3 bar get_object private/two.txt: not the object A put")
    ok("boto3: bar get_object private/two.txt (BarReads covers the bucket; only listing is limited)")
    keys = [o["Key"] for o in bar_s3.list_objects_v2(Bucket=BUCKET, Prefix="public/o").get("Contents", [])]
    if keys != ["public/one.txt"]:
        fail(f"boto3 bar list_objects_v2 Prefix=public/o: {keys}")
    ok("boto3: bar list_objects_v2 Prefix=public/o: public/one.txt")
    msg = boto_error(lambda: bar_s3.list_objects_v2(Bucket=BUCKET, Prefix="private/"), "AccessDenied", "ListObjectsV2")
    want_in(msg, ["s3:ListBucket", "because no resource-based policy allows the s3:ListBucket action"], "boto3 bar list private/")
    ok("boto3: bar list_objects_v2 Prefix=private/: AccessDenied")
    msg = boto_error(lambda: bar_s3.list_objects_v2(Bucket=BUCKET), "AccessDenied", "ListObjectsV2")
    want_in(msg, ["because no resource-based policy allows the s3:ListBucket action"], "boto3 bar list, no prefix")
    ok("boto3: bar list_objects_v2 with no Prefix (s3:prefix absent, StringLike fails): AccessDenied")
    msg = boto_error(lambda: bar_s3.get_object(Bucket=BUCKET, Key="public/secret-plans.txt"), "AccessDenied", "GetObject")
    want_in(msg, ["with an explicit deny in a resource-based policy", '"NoSecrets"'], "boto3 bar get secret")
    ok("boto3: bar get_object public/secret-plans.txt: AccessDenied, explicit deny")

    # bar's identity policy allows s3:PutObject, the bucket policy does not.
    msg = cli("bar", "s3api", "put-object", "--bucket", BUCKET, "--key", "public/from-b.txt", "--body", body,
              expect="AccessDenied", operation="PutObject")
    want_in(msg, not_authorized(BAR, "s3:PutObject", f'"arn:aws:s3:::{BUCKET}/public/from-b.txt"',
                                "because no resource-based policy allows the s3:PutObject action"), "bar put-object")
    ok("CLI: bar put-object (its own policy allows, the bucket policy does not): AccessDenied")
    got = cli("account-a", "s3api", "list-objects-v2", "--bucket", BUCKET)
    if "public/from-b.txt" in [o["Key"] for o in got.get("Contents", [])]:
        fail("the refused put-object reached the bucket")
    ok("CLI: A's root lists the bucket: the refused object is not there")

    # other (s3:* in B) is not named by the bucket policy.
    other_s3 = session("other").client("s3")
    msg = boto_error(lambda: other_s3.get_object(Bucket=BUCKET, Key="public/one.txt"), "AccessDenied", "GetObject")
    want_in(msg, not_authorized(OTHER, "s3:GetObject", f'"arn:aws:s3:::{BUCKET}/public/one.txt"',
                                "because no resource-based policy allows the s3:GetObject action"), "boto3 other get_object")
    ok("boto3: other (s3:* in B) get_object: AccessDenied, the bucket policy names bar only")

    # Across accounts both sides must allow: without bar's own policy,
    # the bucket policy alone is not enough.
    cli("account-b", "iam", "delete-role-policy", "--role-name", "bar", "--policy-name", "reports")
    msg = cli("bar", "s3api", "get-object", "--bucket", BUCKET, "--key", "public/one.txt", out,
              expect="AccessDenied", operation="GetObject")
    want_in(msg, not_authorized(BAR, "s3:GetObject", f'"arn:aws:s3:::{BUCKET}/public/one.txt"',
                                "because no identity-based policy allows the s3:GetObject action"), "bar get-object without its policy")
    ok("CLI: B deletes bar's reports policy; bar get-object: AccessDenied, no identity-based policy allows")
    msg = boto_error(lambda: bar_s3.list_objects_v2(Bucket=BUCKET, Prefix="public/"), "AccessDenied", "ListObjectsV2")
    want_in(msg, ["because no identity-based policy allows the s3:ListBucket action"], "boto3 bar list without its policy")
    ok("boto3: bar list_objects_v2 Prefix=public/ without its identity policy: AccessDenied")


def ecr():
    got = cli("account-a", "ecr", "create-repository", "--repository-name", REPO)["repository"]
    if got["repositoryArn"] != REPO_ARN:
        fail(f"create-repository: {got['repositoryArn']}")
    ok(f"CLI: A's root creates the ECR repository {REPO_ARN}")
    got = cli("foo-bar", "ecr", "describe-repositories", "--repository-names", REPO)["repositories"]
    if [r["repositoryArn"] for r in got] != [REPO_ARN]:
        fail(f"foo-bar describe-repositories: {got}")
    ok("CLI: foo-bar describe-repositories app: A's repository")
    msg = cli("foo-bar", "ecr", "put-image", "--repository-name", REPO, "--image-tag", "v1",
              "--image-manifest", '{"schemaVersion":2}', expect="AccessDeniedException", operation="PutImage")
    want_in(msg, not_authorized(FOO_BAR, "ecr:PutImage", REPO_ARN,
                                "because no identity-based policy allows the ecr:PutImage action"), "foo-bar put-image")
    ok("CLI: foo-bar put-image: AccessDeniedException, no identity-based policy allows ecr:PutImage")

    # bar across accounts: its identity policy allows DescribeRepositories,
    # the repository has no policy yet.
    bar_ecr = session("bar").client("ecr")
    msg = boto_error(lambda: bar_ecr.describe_repositories(registryId=A, repositoryNames=[REPO]),
                     "AccessDeniedException", "DescribeRepositories")
    want_in(msg, not_authorized(BAR, "ecr:DescribeRepositories", REPO_ARN,
                                "because no resource-based policy allows the ecr:DescribeRepositories action"), "boto3 bar describe")
    ok("boto3: bar describe_repositories registryId=A: AccessDeniedException, no resource-based policy allows")
    # A repository policy as AWS documents them: no Resource element (the
    # repository is the resource).
    policy = doc([{"Sid": "BarDescribes", "Effect": "Allow", "Principal": {"AWS": BAR_ROLE}, "Action": "ecr:DescribeRepositories"}])
    cli("account-a", "ecr", "set-repository-policy", "--repository-name", REPO, "--policy-text", policy)
    got = bar_ecr.describe_repositories(registryId=A, repositoryNames=[REPO])["repositories"]
    if [r["repositoryArn"] for r in got] != [REPO_ARN]:
        fail(f"boto3 bar describe_repositories: {got}")
    ok("boto3: A's repository policy (no Resource, as ECR documents) names bar: bar describe_repositories registryId=A passes")
    msg = cli("other", "ecr", "describe-repositories", "--registry-id", A, "--repository-names", REPO,
              expect="AccessDeniedException", operation="DescribeRepositories")
    want_in(msg, not_authorized(OTHER, "ecr:DescribeRepositories", REPO_ARN,
                                "because no resource-based policy allows the ecr:DescribeRepositories action"), "other describe")
    ok("CLI: other (ecr:* in B) describe-repositories --registry-id A: AccessDeniedException")


def never_forwarded():
    """Refused requests never reach the backend; an allowed one does,
    once."""
    before = forwarded()
    if before is None:
        print("SKIP never-forwarded: assumed exports no assumed_gateway_forwarded_total metric")
        return
    bar_s3, other_db = session("bar").client("s3"), session("other").client("dynamodb")
    boto_error(lambda: bar_s3.put_object(Bucket=BUCKET, Key="public/never.txt", Body=b"x"), "AccessDenied", "PutObject")
    boto_error(lambda: other_db.put_item(TableName=TABLE_ARN, Item={"id": {"S": "never"}}), "AccessDeniedException", "PutItem")
    cli("bar", "s3api", "get-object", "--bucket", BUCKET, "--key", "public/secret-plans.txt", os.path.join(SCRATCH, "never"),
        expect="AccessDenied", operation="GetObject")
    after = forwarded()
    if after != before:
        fail(f"three refused requests: assumed_gateway_forwarded_total went from {before} to {after}")
    ok("metrics: three refused requests (S3 PutObject, DynamoDB PutItem, an explicit deny) forwarded nothing to moto")
    cli("account-a", "s3api", "get-object", "--bucket", BUCKET, "--key", "public/one.txt", os.path.join(SCRATCH, "never"))
    if forwarded() != after + 1:
        fail(f"an allowed GetObject: assumed_gateway_forwarded_total went from {after} to {forwarded()}")
    ok("metrics: one allowed GetObject forwarded exactly one request")


def main():
    dynamodb()
    s3()
    ecr()
    never_forwarded()
    done()


if __name__ == "__main__":
    main()
