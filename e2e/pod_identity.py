"""Drive EKS Pod Identity against a running assumed server with the AWS CLI
v1 and boto3: a cluster in account A, associations of its service accounts
with A's role app (and a target role in account B, seed 002), pod tokens
from `assumed token --audience pods.eks.amazonaws.com`, and EKS Auth's
AssumeRoleForPodIdentity called with a node's credentials, as the Pod
Identity Agent calls it.

Run by e2e/pod_identity_test.go, which starts the server (accounts
111111111111, profile account-a, and 222222222222, profile account-b) and
sets AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE (absent),
AWS_ENDPOINT_URL, ASSUMED_BIN (the assumed binary) and PODID_DIR (a scratch
directory). With PODID_AGENT=1 (the binary has `assumed agent`) it starts
the node agent with the node's key and drives boto3's and the CLI's
container credential provider through it too. Prints one line per check and a closing "N passed, 0
failed"; exits non-zero on the first failure.
"""
import base64
import datetime
import json
import os
import re
import selectors
import subprocess
import sys
import urllib.error
import urllib.request

import boto3
import botocore.exceptions

from checks import ok, fail, done, cli, boto_error, doc


A, B = "111111111111", "222222222222"
POD_AUD = "pods.eks.amazonaws.com"
ENDPOINT = os.environ["AWS_ENDPOINT_URL"]
ASSUMED = os.environ["ASSUMED_BIN"]
DIR = os.environ["PODID_DIR"]
REGION_ENV = {"AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}
APP = f"arn:aws:iam::{A}:role/app"
TARGET = f"arn:aws:iam::{B}:role/target"
TARGET_NOTAG = f"arn:aws:iam::{B}:role/target-notag"
ASSOC_ARN = re.compile(r"^arn:aws:eks:us-east-1:111111111111:podidentityassociation/prod/(a-[0-9a-z]{17})$")
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
ASSUME_OP = "AssumeRoleForPodIdentity"


def write(name, content):
    path = os.path.join(DIR, name)
    with open(path, "w") as f:
        f.write(content)
    return path


def token(namespace, sa, pod="p1", audience=POD_AUD, cluster="prod"):
    """A projected service-account token of a pod, as the kubelet writes
    it for EKS Pod Identity."""
    cmd = [ASSUMED, "token", "--profile", "account-a", "--cluster", cluster, "--namespace", namespace, "--service-account", sa,
           "--audience", audience]
    if pod:
        cmd += ["--pod", pod]
    p = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ))
    if p.returncode != 0:
        fail(f"{' '.join(cmd[1:])}: exit {p.returncode}: {p.stdout}{p.stderr}")
    tok = p.stdout.strip()
    if tok.count(".") != 2:
        fail(f"{' '.join(cmd[1:])}: not a JWT: {p.stdout!r}")
    return tok


def claims(tok):
    part = tok.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def key_env(key):
    """Environment signing with an access key (a node's, or a session's)."""
    env = dict(REGION_ENV, AWS_ACCESS_KEY_ID=key["AccessKeyId"], AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"])
    if key.get("SessionToken"):
        env["AWS_SESSION_TOKEN"] = key["SessionToken"]
    return env


def pod_env(creds):
    """Environment signing with AssumeRoleForPodIdentity's credentials."""
    return key_env({"AccessKeyId": creds["accessKeyId"], "SecretAccessKey": creds["secretAccessKey"], "SessionToken": creds["sessionToken"]})


def eks_auth_cli(node, tok, cluster="prod", expect=None):
    """aws eks-auth assume-role-for-pod-identity with a node's key."""
    return cli(None, "eks-auth", "assume-role-for-pod-identity", "--cluster-name", cluster, "--token", tok,
               env=key_env(node), expect=expect, operation=ASSUME_OP if expect else None)


def eks_auth_boto(node):
    return boto3.client("eks-auth", region_name="us-east-1", aws_access_key_id=node["AccessKeyId"],
                        aws_secret_access_key=node["SecretAccessKey"])


def hours_ahead(value):
    """Hours from now to a timestamp: the CLI v1 prints the wire's epoch
    seconds (cli_timestamp_format none), boto3 gives a datetime."""
    if isinstance(value, (int, float)):
        value = datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    elif isinstance(value, str):
        value = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (value - datetime.datetime.now(datetime.timezone.utc)).total_seconds() / 3600


def want_session(out, account, role, association_id, namespace, sa, what, hours):
    """Check an AssumeRoleForPodIdentity answer (the CLI's or boto3's)."""
    if out["subject"] != {"namespace": namespace, "serviceAccount": sa} or out["audience"] != POD_AUD:
        fail(f"{what}: subject {out['subject']}, audience {out['audience']}")
    pia = out["podIdentityAssociation"]
    if pia["associationId"] != association_id or pia["associationArn"] != f"arn:aws:eks:us-east-1:{A}:podidentityassociation/prod/{association_id}":
        fail(f"{what}: podIdentityAssociation {pia}, want {association_id}")
    user = out["assumedRoleUser"]
    if not re.match(rf"^arn:aws:sts::{account}:assumed-role/{role}/eks-prod-p1-{UUID}$", user["arn"]):
        fail(f"{what}: assumedRoleUser.arn {user['arn']}, want arn:aws:sts::{account}:assumed-role/{role}/eks-prod-p1-<uuid>")
    session = user["arn"].rsplit("/", 1)[1]
    if not user["assumeRoleId"].startswith("AROA") or not user["assumeRoleId"].endswith(":" + session):
        fail(f"{what}: assumeRoleId {user['assumeRoleId']}")
    creds = out["credentials"]
    if not creds["accessKeyId"].startswith("ASIA") or not creds["secretAccessKey"] or not creds["sessionToken"]:
        fail(f"{what}: credentials {creds}")
    h = hours_ahead(creds["expiration"])
    if abs(h - hours) > 2 / 60:
        fail(f"{what}: credentials expire in {h:.3f} h, want {hours:.3f} h")
    got = cli(None, "sts", "get-caller-identity", env=pod_env(creds))
    if got["Arn"] != user["arn"] or got["Account"] != account or got["UserId"] != user["assumeRoleId"]:
        fail(f"{what}: get-caller-identity {got}, want {user['arn']}")
    return creds


def start_agent(node):
    """Start `assumed agent --cluster prod` on a free loopback port with
    the node's key; return the process and its credentials URL."""
    env = dict(os.environ)
    env.update(key_env(node))
    env.pop("AWS_PROFILE", None)
    p = subprocess.Popen([ASSUMED, "agent", "--cluster", "prod", "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE,
                         stderr=open(os.path.join(DIR, "agent.log"), "w"), text=True, env=env)
    sel = selectors.DefaultSelector()
    sel.register(p.stdout, selectors.EVENT_READ)
    line = p.stdout.readline() if sel.select(timeout=30) else ""
    sel.close()
    m = re.search(r"(http://127\.0\.0\.1:\d+/v1/credentials)", line)
    if not m:
        p.terminate()
        p.wait(10)
        with open(os.path.join(DIR, "agent.log")) as f:
            fail(f"assumed agent did not say where it serves: {line!r}\n{f.read()}")
    return p, m.group(1)


def agent_get(url, tok):
    """GET the agent's credentials endpoint as an SDK does; return the
    status and the decoded JSON answer."""
    req = urllib.request.Request(url, headers={"Authorization": tok})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def agent_checks(node, cross_tok):
    p, url = start_agent(node)
    try:
        base = url.rsplit("/v1/", 1)[0]
        with urllib.request.urlopen(base + "/healthz", timeout=10) as r:
            if r.status != 200:
                fail(f"agent /healthz: HTTP {r.status}")
        status, got = agent_get(url, cross_tok)
        if status != 200 or got.get("AccountId") != B or not got.get("AccessKeyId", "").startswith("ASIA") or \
                not got.get("SecretAccessKey") or not got.get("Token"):
            fail(f"agent GET /v1/credentials (web/cross): HTTP {status} {got}")
        h = hours_ahead(got["Expiration"])
        if abs(h - 59 / 60) > 2 / 60:
            fail(f"agent credentials expire in {h:.3f} h, want 59 min: {got['Expiration']}")
        ok("assumed agent: GET /v1/credentials with web/cross's token: AccountId 222222222222, 59 min credentials")

        status, got = agent_get(url, token("web", "nobody"))
        if status != 404 or got.get("code") != "ResourceNotFoundException" or not got.get("message"):
            fail(f"agent GET /v1/credentials without an association: HTTP {status} {got}")
        status, got = agent_get(url, "")
        if status != 400 or not got.get("code"):
            fail(f"agent GET /v1/credentials without a token: HTTP {status} {got}")
        ok("assumed agent: no association: 404 ResourceNotFoundException; no token: 400 with a code")

        token_file = write("pod.token", cross_tok)
        pod = dict(REGION_ENV, AWS_CONTAINER_CREDENTIALS_FULL_URI=url, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=token_file,
                   AWS_SHARED_CREDENTIALS_FILE=os.path.join(DIR, "absent"))
        saved = {k: os.environ.get(k) for k in pod}
        os.environ.update(pod)
        try:
            got = boto3.Session().client("sts").get_caller_identity()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        if not re.match(rf"^arn:aws:sts::{B}:assumed-role/target/eks-prod-p1-{UUID}$", got["Arn"]):
            fail(f"boto3 through the agent: {got}")
        ok("boto3: AWS_CONTAINER_CREDENTIALS_FULL_URI (assumed agent) + AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: B's target session")
        got = cli(None, "sts", "get-caller-identity", env=pod)
        if not got["Arn"].startswith(f"arn:aws:sts::{B}:assumed-role/target/eks-prod-p1-"):
            fail(f"CLI through the agent: {got}")
        ok("CLI: the same pod environment: get-caller-identity is B's target session")
    finally:
        p.terminate()
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def main():
    a_iam = boto3.Session(profile_name="account-a").client("iam")

    # --- A. Set-up: the cluster, the roles of seed 002, a node user.
    c = cli("account-a", "eks", "create-cluster", "--name", "prod", "--role-arn", f"arn:aws:iam::{A}:role/eks-cluster-role",
            "--resources-vpc-config", "subnetIds=subnet-1")["cluster"]
    if c["arn"] != f"arn:aws:eks:us-east-1:{A}:cluster/prod":
        fail(f"create-cluster: {c}")
    ok("CLI: account A creates cluster prod")

    got = cli("account-a", "iam", "create-role", "--role-name", "app", "--assume-role-policy-document",
              doc([{"Effect": "Allow", "Principal": {"Service": POD_AUD}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]))["Role"]
    if got["Arn"] != APP:
        fail(f"create-role app: {got}")
    cli("account-a", "iam", "put-role-policy", "--role-name", "app", "--policy-name", "chain", "--policy-document",
        doc([{"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": [TARGET, TARGET_NOTAG]},
             {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}]))
    ok("CLI: account A creates role app trusting pods.eks.amazonaws.com (sts:AssumeRole, sts:TagSession), allowed to assume B's roles")

    ext = f"us-east-1/{A}/prod/web/cross"
    got = cli("account-b", "iam", "create-role", "--role-name", "target", "--assume-role-policy-document",
              doc([{"Effect": "Allow", "Principal": {"AWS": APP}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": ext}}},
                   {"Effect": "Allow", "Principal": {"AWS": APP}, "Action": "sts:TagSession"}]))["Role"]
    if got["Arn"] != TARGET:
        fail(f"create-role target: {got}")
    cli("account-b", "iam", "put-role-policy", "--role-name", "target", "--policy-name", "self", "--policy-document",
        doc([{"Effect": "Allow", "Action": "iam:GetRole", "Resource": TARGET}]))
    cli("account-b", "iam", "create-role", "--role-name", "target-notag", "--assume-role-policy-document",
        doc([{"Effect": "Allow", "Principal": {"AWS": APP}, "Action": "sts:AssumeRole"}]))
    ok(f"CLI: account B creates target (trust: app, sts:ExternalId {ext}; sts:TagSession) and target-notag (no sts:TagSession)")

    a_iam.create_user(UserName="node")
    a_iam.put_user_policy(UserName="node", PolicyName="pod-identity-agent", PolicyDocument=doc(
        [{"Effect": "Allow", "Action": "eks-auth:AssumeRoleForPodIdentity", "Resource": f"arn:aws:eks:us-east-1:{A}:cluster/*"}]))
    node = a_iam.create_access_key(UserName="node")["AccessKey"]
    a_iam.create_user(UserName="stranger")
    stranger = a_iam.create_access_key(UserName="stranger")["AccessKey"]
    ok("boto3: account A creates user node (eks-auth:AssumeRoleForPodIdentity on its clusters) and user stranger (no policy)")

    # --- B. Associations through the CLI.
    api = cli("account-a", "eks", "create-pod-identity-association", "--cluster-name", "prod", "--namespace", "web",
              "--service-account", "api", "--role-arn", APP, "--tags", "team=blue")["association"]
    m = ASSOC_ARN.match(api["associationArn"])
    if not m or m.group(1) != api["associationId"] or api["roleArn"] != APP or api["namespace"] != "web" or \
            api["serviceAccount"] != "api" or api["clusterName"] != "prod" or api["tags"] != {"team": "blue"} or \
            "externalId" in api or "targetRoleArn" in api or api.get("disableSessionTags") is not False:
        fail(f"create-pod-identity-association web/api: {api}")
    ok(f"CLI: create-pod-identity-association web/api -> app: {api['associationId']}, no target, no external ID")

    cross = cli("account-a", "eks", "create-pod-identity-association", "--cluster-name", "prod", "--namespace", "web",
                "--service-account", "cross", "--role-arn", APP, "--target-role-arn", TARGET)["association"]
    if cross["targetRoleArn"] != TARGET or cross["externalId"] != ext or not ASSOC_ARN.match(cross["associationArn"]):
        fail(f"create-pod-identity-association web/cross: {cross}")
    d = cli("account-a", "eks", "describe-pod-identity-association", "--cluster-name", "prod", "--association-id", cross["associationId"])["association"]
    for k in ("associationArn", "associationId", "clusterName", "namespace", "serviceAccount", "roleArn", "targetRoleArn", "externalId", "createdAt", "modifiedAt"):
        if d.get(k) != cross.get(k):
            fail(f"describe-pod-identity-association web/cross: {k} {d.get(k)!r}, create said {cross.get(k)!r}")
    if "ownerArn" in d:
        fail(f"describe-pod-identity-association: ownerArn {d['ownerArn']}")
    ok(f"CLI: create-pod-identity-association web/cross --target-role-arn target: externalId {ext}; describe agrees")

    cli("account-a", "eks", "create-pod-identity-association", "--cluster-name", "prod", "--namespace", "web", "--service-account", "cross",
        "--role-arn", APP, expect="ResourceInUseException")
    cli("account-a", "eks", "create-pod-identity-association", "--cluster-name", "prod", "--namespace", "web", "--service-account", "x",
        "--role-arn", APP, "--policy", doc([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]), expect="InvalidParameterException")
    cli("account-a", "eks", "create-pod-identity-association", "--cluster-name", "nope", "--namespace", "web", "--service-account", "x",
        "--role-arn", APP, expect="ResourceNotFoundException")
    ok("CLI: the same service account again: ResourceInUseException; --policy without --disable-session-tags: InvalidParameterException; unknown cluster: ResourceNotFoundException")

    notag = cli("account-a", "eks", "create-pod-identity-association", "--cluster-name", "prod", "--namespace", "web",
                "--service-account", "notag", "--role-arn", APP, "--target-role-arn", TARGET_NOTAG)["association"]
    jobs = boto3.Session(profile_name="account-a").client("eks").create_pod_identity_association(
        clusterName="prod", namespace="jobs", serviceAccount="api", roleArn=APP)["association"]
    ok("CLI and boto3: associations web/notag (target target-notag) and jobs/api")

    listed = cli("account-a", "eks", "list-pod-identity-associations", "--cluster-name", "prod")["associations"]
    if sorted(a["associationId"] for a in listed) != sorted([api["associationId"], cross["associationId"], notag["associationId"], jobs["associationId"]]):
        fail(f"list-pod-identity-associations: {listed}")
    paged = cli("account-a", "eks", "list-pod-identity-associations", "--cluster-name", "prod", "--page-size", "1")["associations"]
    if sorted(a["associationId"] for a in paged) != sorted(a["associationId"] for a in listed):
        fail(f"list-pod-identity-associations --page-size 1: {paged}")
    first = cli("account-a", "eks", "list-pod-identity-associations", "--cluster-name", "prod", "--max-items", "1")
    if len(first["associations"]) != 1 or not first.get("NextToken"):
        fail(f"list-pod-identity-associations --max-items 1: {first}")
    web = cli("account-a", "eks", "list-pod-identity-associations", "--cluster-name", "prod", "--namespace", "web")["associations"]
    if sorted(a["serviceAccount"] for a in web) != ["api", "cross", "notag"]:
        fail(f"list-pod-identity-associations --namespace web: {web}")
    by_sa = cli("account-a", "eks", "list-pod-identity-associations", "--cluster-name", "prod", "--service-account", "api")["associations"]
    if sorted(a["namespace"] for a in by_sa) != ["jobs", "web"]:
        fail(f"list-pod-identity-associations --service-account api: {by_sa}")
    pages = list(boto3.Session(profile_name="account-a").client("eks").get_paginator("list_pod_identity_associations").paginate(
        clusterName="prod", PaginationConfig={"PageSize": 1}))
    if len(pages) != 4 or sorted(a["associationId"] for p in pages for a in p["associations"]) != sorted(a["associationId"] for a in listed):
        fail(f"boto3 paginator, page size 1: {pages}")
    ok("CLI and boto3: list-pod-identity-associations: all 4, by pages of 1, --namespace web, --service-account api")

    # --- C. Pod tokens and EKS Auth.
    api_tok = token("web", "api")
    cl = claims(api_tok)
    if cl.get("aud") not in ([POD_AUD], POD_AUD) or cl["sub"] != "system:serviceaccount:web:api" or cl["kubernetes.io"]["pod"]["name"] != "p1":
        fail(f"assumed token --audience {POD_AUD} --pod p1: claims {cl}")
    ok(f"assumed token --audience {POD_AUD} --pod p1: a pod-bound token of web/api")

    out = eks_auth_cli(node, api_tok)
    creds = want_session(out, A, "app", api["associationId"], "web", "api", "CLI web/api", 6)
    cli(None, "iam", "list-roles", env=pod_env(creds))
    ok("CLI: aws eks-auth assume-role-for-pod-identity (web/api): app's session in A, 6 h, get-caller-identity agrees, app's iam:ListRoles works")

    cross_tok = token("web", "cross")
    out = eks_auth_cli(node, cross_tok)
    creds = want_session(out, B, "target", cross["associationId"], "web", "cross", "CLI web/cross", 59 / 60)
    role = cli(None, "iam", "get-role", "--role-name", "target", env=pod_env(creds))["Role"]
    if role["Arn"] != TARGET:
        fail(f"get-role target as the target session: {role}")
    cli(None, "iam", "get-role", "--role-name", "target-notag", env=pod_env(creds), expect="AccessDenied")
    cli(None, "iam", "list-roles", env=pod_env(creds), expect="AccessDenied")
    ok("CLI: web/cross: B's target session (59 min); it may get-role target, not target-notag, and has none of app's permissions")

    r = eks_auth_boto(node).assume_role_for_pod_identity(clusterName="prod", token=cross_tok)
    want_session(r, B, "target", cross["associationId"], "web", "cross", "boto3 web/cross", 59 / 60)
    if not isinstance(r["credentials"]["expiration"], datetime.datetime):
        fail(f"boto3: expiration {r['credentials']['expiration']!r} is not a timestamp")
    ok("boto3: client('eks-auth').assume_role_for_pod_identity (web/cross): B's target session")

    client = eks_auth_boto(node)
    msg = boto_error(lambda: client.assume_role_for_pod_identity(clusterName="prod", token=token("web", "notag")), "AccessDeniedException", ASSUME_OP)
    if TARGET_NOTAG not in msg:
        fail(f"web/notag: message {msg}")
    eks_auth_cli(node, token("web", "notag"), expect="AccessDeniedException")
    ok("boto3 and CLI: web/notag (target's trust lacks sts:TagSession, tags flow): AccessDeniedException")
    boto_error(lambda: client.assume_role_for_pod_identity(clusterName="prod", token=token("web", "nobody")), "ResourceNotFoundException", ASSUME_OP)
    eks_auth_cli(node, token("web", "nobody"), expect="ResourceNotFoundException")
    ok("boto3 and CLI: a service account without an association: ResourceNotFoundException")
    boto_error(lambda: client.assume_role_for_pod_identity(clusterName="prod", token=token("web", "api", audience="sts.amazonaws.com")),
               "InvalidTokenException", ASSUME_OP)
    boto_error(lambda: client.assume_role_for_pod_identity(clusterName="nope", token=api_tok), "ResourceNotFoundException", ASSUME_OP)
    boto_error(lambda: eks_auth_boto(stranger).assume_role_for_pod_identity(clusterName="prod", token=api_tok), "AccessDeniedException", ASSUME_OP)
    eks_auth_cli(stranger, api_tok, expect="AccessDeniedException")
    ok("boto3: audience sts.amazonaws.com: InvalidTokenException; unknown cluster: ResourceNotFoundException; a node without eks-auth:AssumeRoleForPodIdentity: AccessDeniedException")

    # Update: session tags off makes target-notag work.
    time_before = notag["modifiedAt"]
    upd = cli("account-a", "eks", "update-pod-identity-association", "--cluster-name", "prod", "--association-id", notag["associationId"],
              "--disable-session-tags")["association"]
    if upd["disableSessionTags"] is not True or upd["modifiedAt"] == time_before or upd["targetRoleArn"] != TARGET_NOTAG:
        fail(f"update-pod-identity-association --disable-session-tags: {upd}")
    out = eks_auth_cli(node, token("web", "notag"))
    want_session(out, B, "target-notag", notag["associationId"], "web", "notag", "CLI web/notag, no session tags", 59 / 60)
    ok("CLI: update-pod-identity-association --disable-session-tags: web/notag now gets target-notag's session")

    # Update: a policy, then the target removed.
    pol = doc([{"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*"}])
    upd = cli("account-a", "eks", "update-pod-identity-association", "--cluster-name", "prod", "--association-id", api["associationId"],
              "--disable-session-tags", "--policy", pol)["association"]
    if json.loads(upd["policy"]) != json.loads(pol) or upd["disableSessionTags"] is not True:
        fail(f"update-pod-identity-association --policy: {upd}")
    creds = want_session(eks_auth_cli(node, api_tok), A, "app", api["associationId"], "web", "api", "CLI web/api with a policy", 6)
    cli(None, "iam", "list-roles", env=pod_env(creds), expect="AccessDenied")
    ok("CLI: update-pod-identity-association --disable-session-tags --policy: web/api's session loses app's iam:ListRoles")

    upd = cli("account-a", "eks", "update-pod-identity-association", "--cluster-name", "prod", "--association-id", cross["associationId"],
              "--target-role-arn", "")["association"]
    if "targetRoleArn" in upd or "externalId" in upd:
        fail(f"update-pod-identity-association --target-role-arn '': {upd}")
    want_session(eks_auth_cli(node, cross_tok), A, "app", cross["associationId"], "web", "cross", "CLI web/cross without target", 6)
    ok("CLI: update-pod-identity-association --target-role-arn '': no target, no external ID; web/cross gets app's session")

    # Delete.
    gone = cli("account-a", "eks", "delete-pod-identity-association", "--cluster-name", "prod", "--association-id", api["associationId"])["association"]
    if gone["associationId"] != api["associationId"]:
        fail(f"delete-pod-identity-association: {gone}")
    cli("account-a", "eks", "describe-pod-identity-association", "--cluster-name", "prod", "--association-id", api["associationId"],
        expect="ResourceNotFoundException")
    eks_auth_cli(node, api_tok, expect="ResourceNotFoundException")
    ok("CLI: delete-pod-identity-association web/api; describe and eks-auth: ResourceNotFoundException")

    # --- D. Through the node agent (`assumed agent`), when there is one.
    if os.environ.get("PODID_AGENT") == "1":
        cli("account-a", "eks", "update-pod-identity-association", "--cluster-name", "prod", "--association-id", cross["associationId"],
            "--target-role-arn", TARGET)
        agent_checks(node, cross_tok)

    # --- E. Deleting the cluster deletes its associations.
    cli("account-a", "eks", "delete-cluster", "--name", "prod")
    cli("account-a", "eks", "list-pod-identity-associations", "--cluster-name", "prod", expect="ResourceNotFoundException")
    cli("account-a", "eks", "create-cluster", "--name", "prod", "--role-arn", f"arn:aws:iam::{A}:role/eks-cluster-role",
        "--resources-vpc-config", "subnetIds=subnet-1")
    if cli("account-a", "eks", "list-pod-identity-associations", "--cluster-name", "prod")["associations"] != []:
        fail("the re-created cluster prod has associations")
    eks_auth_cli(node, cross_tok, expect="InvalidTokenException")
    ok("CLI: delete-cluster prod; re-created, it has no associations and the old cluster's tokens are refused (InvalidTokenException)")

    done()


if __name__ == "__main__":
    main()
