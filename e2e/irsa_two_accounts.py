"""Drive IAM roles for service accounts (IRSA, web identity federation)
across two accounts against a running assumed server with the AWS CLI v1
and boto3, as the EKS guides describe: a cluster in account A, its OIDC
issuer registered as an identity provider in B (or in A, with a chained
AssumeRole into B), and service-account tokens exchanged with
AssumeRoleWithWebIdentity.

Run by e2e/irsa_test.go, which starts the server (accounts 111111111111,
profile account-a, and 222222222222, profile account-b) and sets
AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE (absent), AWS_ENDPOINT_URL,
ASSUMED_BIN (the assumed binary, for `assumed token`) and IRSA_DIR (a
scratch directory for token and config files). Prints one line per check
and a closing "N passed, 0 failed"; exits non-zero on the first failure.
"""
import base64
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

import boto3
import botocore.exceptions

from checks import ok, fail, done, cli, boto_error, doc


A, B = "111111111111", "222222222222"
AUD = "sts.amazonaws.com"
ENDPOINT = os.environ["AWS_ENDPOINT_URL"]
ASSUMED = os.environ["ASSUMED_BIN"]
DIR = os.environ["IRSA_DIR"]
# What the EKS pod identity webhook puts in a pod's environment besides
# the role and the token file.
POD_ENV = {"AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}
WEB_IDENTITY = "AssumeRoleWithWebIdentity"


def irsa_trust(provider_arn, host, sub):
    """A trust policy for one service account's tokens, as the EKS guides
    write it: the provider as Federated principal, conditions on :sub and
    :aud."""
    return doc([{"Effect": "Allow", "Principal": {"Federated": provider_arn}, "Action": "sts:AssumeRoleWithWebIdentity",
                 "Condition": {"StringEquals": {f"{host}:sub": sub, f"{host}:aud": AUD}}}])


def write(name, content):
    path = os.path.join(DIR, name)
    with open(path, "w") as f:
        f.write(content)
    return path


def token(cluster, namespace, sa, file, audience=None, profile="account-a"):
    """Ask the server for a service-account token of a cluster (as the
    cluster would project it into a pod) and write it to a file, without a
    trailing newline as the kubelet does; return the token and the path."""
    cmd = [ASSUMED, "token", "--profile", profile, "--cluster", cluster, "--namespace", namespace, "--service-account", sa]
    if audience:
        cmd += ["--audience", audience]
    p = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ))
    if p.returncode != 0:
        fail(f"{' '.join(cmd[1:])}: exit {p.returncode}: {p.stdout}{p.stderr}")
    tok = p.stdout.strip()
    if tok.count(".") != 2:
        fail(f"{' '.join(cmd[1:])}: not a JWT: {p.stdout!r}")
    return tok, write(file, tok)


def jwt_part(tok, i):
    part = tok.split(".")[i]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def claims(tok):
    return jwt_part(tok, 1)


def b64url(obj):
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def tamper(tok):
    """Change one character in the middle of the signature (the last
    character may carry only padding bits)."""
    head, body, sig = tok.split(".")
    i = len(sig) // 2
    c = "A" if sig[i] != "A" else "B"
    return ".".join([head, body, sig[:i] + c + sig[i + 1:]])


def create_cluster(name):
    """Account A creates a cluster with the CLI; returns its issuer URL,
    read back with describe-cluster."""
    c = cli("account-a", "eks", "create-cluster", "--name", name, "--role-arn", f"arn:aws:iam::{A}:role/eks-cluster-role",
            "--resources-vpc-config", "subnetIds=subnet-1")["cluster"]
    if c["name"] != name or c["arn"] != f"arn:aws:eks:us-east-1:{A}:cluster/{name}":
        fail(f"create-cluster {name}: {c}")
    d = cli("account-a", "eks", "describe-cluster", "--name", name)["cluster"]
    issuer = d["identity"]["oidc"]["issuer"]
    if d["status"] != "ACTIVE" or not issuer.startswith(ENDPOINT + "/_assumed/oidc/id/") or d["resourcesVpcConfig"]["subnetIds"] != ["subnet-1"]:
        fail(f"describe-cluster {name}: {d}")
    if c["identity"]["oidc"]["issuer"] != issuer:
        fail(f"create-cluster {name} issuer {c['identity']['oidc']['issuer']}, describe-cluster {issuer}")
    return issuer


def web_identity_cli(role_arn, token_path, session, expect=None):
    """aws sts assume-role-with-web-identity, unsigned (no profile)."""
    return cli(None, "sts", "assume-role-with-web-identity", "--role-arn", role_arn, "--role-session-name", session,
               "--web-identity-token", f"file://{token_path}", env=POD_ENV, expect=expect, operation=WEB_IDENTITY)


def sts_boto():
    """An STS client for the unsigned AssumeRoleWithWebIdentity (boto3
    does not sign it, so the profile does not matter)."""
    return boto3.Session(profile_name="account-b").client("sts")


def want_assumed(got, account, role, session, what):
    """Check a caller identity (get-caller-identity's answer)."""
    arn = f"arn:aws:sts::{account}:assumed-role/{role}/"
    if got["Account"] != account or not got["Arn"].startswith(arn):
        fail(f"{what}: identity {got}, want {arn}…")
    if session and got["Arn"] != arn + session:
        fail(f"{what}: identity {got['Arn']}, want session {session}")
    if not got["UserId"].startswith("AROA") or not got["UserId"].endswith(":" + got["Arn"].rsplit("/", 1)[1]):
        fail(f"{what}: UserId {got['UserId']}")


def main():
    a_iam = boto3.Session(profile_name="account-a").client("iam")
    b_iam = boto3.Session(profile_name="account-b").client("iam")

    # --- A. Account A's cluster and its issuer.
    issuer = create_cluster("prod")
    host = issuer.split("://", 1)[1]
    ok(f"CLI: account A creates cluster prod; describe-cluster gives its issuer {issuer}")
    names = cli("account-a", "eks", "list-clusters")["clusters"]
    if names != ["prod"]:
        fail(f"list-clusters: {names}")
    ok("CLI: list-clusters lists prod")
    with urllib.request.urlopen(issuer + "/.well-known/openid-configuration") as r:
        disc = json.load(r)
    if disc.get("issuer") != issuer or not disc.get("jwks_uri", "").startswith(issuer):
        fail(f"discovery document: {disc}")
    with urllib.request.urlopen(disc["jwks_uri"]) as r:
        keys = json.load(r)["keys"]
    if not keys or not all("kid" in k for k in keys):
        fail(f"JWKS: {keys}")
    ok("the issuer serves its discovery document and keys")
    if cli("account-b", "eks", "list-clusters")["clusters"] != []:
        fail("account B lists A's cluster")
    cli("account-b", "eks", "describe-cluster", "--name", "prod", expect="ResourceNotFoundException")
    ok("CLI: account B sees no cluster prod (ResourceNotFoundException)")

    scratch = create_cluster("scratch")
    gone = cli("account-a", "eks", "delete-cluster", "--name", "scratch")["cluster"]
    if gone["name"] != "scratch" or gone["status"] != "DELETING":
        fail(f"delete-cluster: {gone}")
    cli("account-a", "eks", "describe-cluster", "--name", "scratch", expect="ResourceNotFoundException")
    if cli("account-a", "eks", "list-clusters")["clusters"] != ["prod"]:
        fail("list-clusters after delete-cluster")
    try:
        urllib.request.urlopen(scratch + "/.well-known/openid-configuration")
        fail("a deleted cluster's issuer still serves its discovery document")
    except urllib.error.HTTPError as e:
        if e.code != 404:
            fail(f"a deleted cluster's discovery document: HTTP {e.code}")
    ok("CLI: delete-cluster scratch; it is gone, and so is its issuer")

    # The token the cluster projects into pods of service account default/app.
    app_tok, app_file = token("prod", "default", "app", "app.token")
    c = claims(app_tok)
    if c["iss"] != issuer or c["sub"] != "system:serviceaccount:default:app" or c.get("aud") not in ([AUD], AUD):
        fail(f"token claims: {c}")
    ok("assumed token: a JWT from prod's issuer for system:serviceaccount:default:app, audience sts.amazonaws.com")

    # --- B. Seed 000, way 1: B registers A's issuer.
    b_provider = f"arn:aws:iam::{B}:oidc-provider/{host}"
    got = cli("account-b", "iam", "create-open-id-connect-provider", "--url", issuer, "--client-id-list", AUD)
    if got["OpenIDConnectProviderArn"] != b_provider:
        fail(f"create-open-id-connect-provider in B: {got}, want {b_provider}")
    p = b_iam.get_open_id_connect_provider(OpenIDConnectProviderArn=b_provider)
    if p["Url"] != host or p["ClientIDList"] != [AUD]:
        fail(f"get_open_id_connect_provider: {p}")
    ok(f"CLI: account B registers A's issuer as {b_provider}")
    sa_app = "system:serviceaccount:default:app"
    b_role = f"arn:aws:iam::{B}:role/account-b-role"
    got = cli("account-b", "iam", "create-role", "--role-name", "account-b-role",
              "--assume-role-policy-document", irsa_trust(b_provider, host, sa_app))["Role"]
    if got["Arn"] != b_role:
        fail(f"create-role account-b-role: {got}")
    ok("CLI: account B creates account-b-role trusting the provider for default/app")

    out = web_identity_cli(b_role, app_file, "irsa")
    if out.get("SubjectFromWebIdentityToken") != sa_app or out.get("Audience") != AUD or out.get("Provider") != b_provider:
        fail(f"assume-role-with-web-identity: {out}")
    user = out["AssumedRoleUser"]
    if user["Arn"] != f"arn:aws:sts::{B}:assumed-role/account-b-role/irsa" or not (
            user["AssumedRoleId"].startswith("AROA") and user["AssumedRoleId"].endswith(":irsa")):
        fail(f"assume-role-with-web-identity AssumedRoleUser: {user}")
    if not out["Credentials"]["AccessKeyId"].startswith("ASIA"):
        fail(f"assume-role-with-web-identity credentials: {out['Credentials']}")
    ok("CLI: assume-role-with-web-identity into B's account-b-role: subject, audience, provider ARN, assumed-role ARN")
    creds = out["Credentials"]
    sess_env = dict(POD_ENV, AWS_ACCESS_KEY_ID=creds["AccessKeyId"], AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"],
                    AWS_SESSION_TOKEN=creds["SessionToken"])
    want_assumed(cli(None, "sts", "get-caller-identity", env=sess_env), B, "account-b-role", "irsa", "session credentials")
    msg = cli(None, "iam", "list-roles", env=sess_env, expect="AccessDenied", operation="ListRoles")
    if f"arn:aws:sts::{B}:assumed-role/account-b-role/irsa is not authorized to perform: iam:ListRoles" not in msg:
        fail(f"list-roles as the web-identity session: {msg}")
    ok("CLI: the session's credentials are B's role session (get-caller-identity), with the role's (empty) permissions")

    cfg = write("config-b", f"[profile x]\nrole_arn = {b_role}\nweb_identity_token_file = {app_file}\n")
    want_assumed(cli("x", "sts", "get-caller-identity", env=dict(POD_ENV, AWS_CONFIG_FILE=cfg)), B, "account-b-role", None, "profile x")
    ok("CLI: profile with role_arn + web_identity_token_file: get-caller-identity is B's account-b-role")

    pod = dict(POD_ENV, AWS_ROLE_ARN=b_role, AWS_WEB_IDENTITY_TOKEN_FILE=app_file, AWS_ROLE_SESSION_NAME="app-pod")
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
    want_assumed(got, B, "account-b-role", "app-pod", "boto3 default session")
    ok("boto3: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_SESSION_NAME: default session is account-b-role/app-pod")
    want_assumed(cli(None, "sts", "get-caller-identity", env=pod), B, "account-b-role", "app-pod", "CLI pod env")
    ok("CLI: the same pod environment: get-caller-identity is account-b-role/app-pod")

    out = sts_boto().assume_role_with_web_identity(RoleArn=b_role, RoleSessionName="boto", WebIdentityToken=app_tok)
    if out["SubjectFromWebIdentityToken"] != sa_app or out["Provider"] != b_provider or \
            out["AssumedRoleUser"]["Arn"] != f"arn:aws:sts::{B}:assumed-role/account-b-role/boto":
        fail(f"boto3 assume_role_with_web_identity: {out}")
    ok("boto3: assume_role_with_web_identity into account-b-role")

    # --- C. Seed 000, way 2: A registers its own issuer; chained AssumeRole into B.
    a_provider = f"arn:aws:iam::{A}:oidc-provider/{host}"
    got = a_iam.create_open_id_connect_provider(Url=issuer, ClientIDList=[AUD])
    if got["OpenIDConnectProviderArn"] != a_provider:
        fail(f"create_open_id_connect_provider in A: {got}")
    a_role = f"arn:aws:iam::{A}:role/account-a-role"
    chain_role = f"arn:aws:iam::{B}:role/account-b-chain"
    a_iam.create_role(RoleName="account-a-role", AssumeRolePolicyDocument=irsa_trust(a_provider, host, sa_app))
    a_iam.put_role_policy(RoleName="account-a-role", PolicyName="assume-b", PolicyDocument=doc(
        [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": chain_role}]))
    ok("boto3: account A registers its own issuer and creates account-a-role (web identity) allowed to assume account-b-chain")
    cli("account-b", "iam", "create-role", "--role-name", "account-b-chain", "--assume-role-policy-document",
        doc([{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": "sts:AssumeRole", "Condition": {}}]))
    ok("CLI: account B creates account-b-chain trusting arn:aws:iam::111111111111:root (\"Condition\": {}, as in the guide)")

    cfg = write("config-chain", f"""[profile account_b_role]
source_profile = account_a_role
role_arn={chain_role}
[profile account_a_role]
web_identity_token_file = {app_file}
role_arn={a_role}
""")
    chain_env = dict(POD_ENV, AWS_CONFIG_FILE=cfg)
    want_assumed(cli("account_a_role", "sts", "get-caller-identity", env=chain_env), A, "account-a-role", None, "profile account_a_role")
    ok("CLI: --profile account_a_role (web identity) is A's account-a-role")
    want_assumed(cli("account_b_role", "sts", "get-caller-identity", env=chain_env), B, "account-b-chain", None, "profile account_b_role")
    ok("CLI: --profile account_b_role (source_profile = account_a_role) is B's account-b-chain")
    os.environ["AWS_CONFIG_FILE"], saved = cfg, os.environ.get("AWS_CONFIG_FILE")
    try:
        got = boto3.Session(profile_name="account_b_role", region_name="us-east-1").client("sts").get_caller_identity()
        a_sts = boto3.Session(profile_name="account_a_role", region_name="us-east-1").client("sts")
        want_assumed(a_sts.get_caller_identity(), A, "account-a-role", None, "boto3 account_a_role")
        msg = boto_error(lambda: a_sts.assume_role(RoleArn=b_role, RoleSessionName="hop"), "AccessDenied", "AssumeRole")
    finally:
        if saved is None:
            os.environ.pop("AWS_CONFIG_FILE", None)
        else:
            os.environ["AWS_CONFIG_FILE"] = saved
    want_assumed(got, B, "account-b-chain", None, "boto3 account_b_role")
    ok("boto3: Session(profile_name='account_b_role') is B's account-b-chain")
    if f"arn:aws:sts::{A}:assumed-role/account-a-role/" not in msg or f"sts:AssumeRole on resource: {b_role}" not in msg:
        fail(f"account-a-role assuming account-b-role: AccessDenied message: {msg}")
    ok("boto3: account-a-role's session may not assume account-b-role (web identity only): AccessDenied")

    # --- D. Seed 003: a role in the source account A and one in the target
    # account B, both trusting the cluster's issuer.
    m_issuer = create_cluster("mediation")
    m_host = m_issuer.split("://", 1)[1]
    thumb = "AABBCCDDEEFFGGHHIIJJKKLLMMNNOOPPQQRRSSTT"
    m_a_provider, m_b_provider = f"arn:aws:iam::{A}:oidc-provider/{m_host}", f"arn:aws:iam::{B}:oidc-provider/{m_host}"
    for profile, arn in (("account-a", m_a_provider), ("account-b", m_b_provider)):
        got = cli(profile, "iam", "create-open-id-connect-provider", "--url", m_issuer, "--client-id-list", AUD, "--thumbprint-list", thumb)
        if got["OpenIDConnectProviderArn"] != arn:
            fail(f"create-open-id-connect-provider ({profile}): {got}")
    # IAM keeps thumbprints lower-cased.
    got = b_iam.get_open_id_connect_provider(OpenIDConnectProviderArn=m_b_provider)["ThumbprintList"]
    if got != [thumb.lower()]:
        fail(f"the target account's provider's thumbprints: {got}")
    cli("account-b", "iam", "create-open-id-connect-provider", "--url", m_issuer, "--client-id-list", AUD,
        "--thumbprint-list", thumb, expect="EntityAlreadyExists")
    ok("CLI: mediation's issuer registered in A and in B (with the guide's thumbprint); again: EntityAlreadyExists")
    sa_m = "system:serviceaccount:causely:causely-mediator"
    m_a_role, m_b_role = f"arn:aws:iam::{A}:role/CauselyMediation", f"arn:aws:iam::{B}:role/CauselyAccess"
    cli("account-a", "iam", "create-role", "--role-name", "CauselyMediation", "--assume-role-policy-document", irsa_trust(m_a_provider, m_host, sa_m))
    cli("account-b", "iam", "create-role", "--role-name", "CauselyAccess", "--assume-role-policy-document", irsa_trust(m_b_provider, m_host, sa_m))
    ok("CLI: CauselyMediation in A and CauselyAccess in B trust causely/causely-mediator")

    _, m_file = token("mediation", "causely", "causely-mediator", "mediator.token")
    for role_arn, account, provider in ((m_a_role, A, m_a_provider), (m_b_role, B, m_b_provider)):
        out = web_identity_cli(role_arn, m_file, "mediator")
        name = role_arn.rsplit("/", 1)[1]
        if out["AssumedRoleUser"]["Arn"] != f"arn:aws:sts::{account}:assumed-role/{name}/mediator" or out["Provider"] != provider \
                or out["SubjectFromWebIdentityToken"] != sa_m:
            fail(f"assume-role-with-web-identity {role_arn}: {out}")
    ok("CLI: the mediator's token assumes CauselyMediation (A) and CauselyAccess (B), each answering with its own account's provider")
    want_assumed(cli(None, "sts", "get-caller-identity", env=dict(POD_ENV, AWS_ROLE_ARN=m_b_role, AWS_WEB_IDENTITY_TOKEN_FILE=m_file)),
                 B, "CauselyAccess", None, "mediator pod with the secret's AWS_ROLE_ARN")
    ok("CLI: the mediator pod with AWS_ROLE_ARN of the target account (the secret) is B's CauselyAccess")

    other_tok, other_file = token("mediation", "causely", "other", "other.token")
    for role_arn in (m_a_role, m_b_role):
        msg = web_identity_cli(role_arn, other_file, "other", expect="AccessDenied")
        if "Not authorized to perform sts:AssumeRoleWithWebIdentity" not in msg:
            fail(f"other service account on {role_arn}: {msg}")
    boto_error(lambda: sts_boto().assume_role_with_web_identity(RoleArn=m_b_role, RoleSessionName="other", WebIdentityToken=other_tok),
               "AccessDenied", WEB_IDENTITY)
    ok("CLI and boto3: a token of service account causely/other (sub mismatch): AccessDenied on both roles")

    aud_tok, aud_file = token("mediation", "causely", "causely-mediator", "aud.token", audience="other")
    if claims(aud_tok).get("aud") not in (["other"], "other"):
        fail(f"--audience other: claims {claims(aud_tok)}")
    for role_arn in (m_a_role, m_b_role):
        msg = web_identity_cli(role_arn, aud_file, "aud", expect="InvalidIdentityToken")
        if "Incorrect token audience" not in msg:
            fail(f"audience other on {role_arn}: {msg}")
    boto_error(lambda: sts_boto().assume_role_with_web_identity(RoleArn=m_a_role, RoleSessionName="aud", WebIdentityToken=aud_tok),
               "InvalidIdentityToken", WEB_IDENTITY)
    ok("CLI and boto3: a token for audience other (not a client ID): InvalidIdentityToken, Incorrect token audience, on both roles")

    # --- E. Refusals.
    s_issuer = create_cluster("staging")
    s_tok, s_file = token("staging", "default", "app", "staging.token")
    msg = web_identity_cli(b_role, s_file, "staging", expect="InvalidIdentityToken")
    if f"No OpenIDConnect provider found in your account for {s_issuer}" not in msg:
        fail(f"token of an issuer B has not registered: {msg}")
    boto_error(lambda: sts_boto().assume_role_with_web_identity(RoleArn=b_role, RoleSessionName="staging", WebIdentityToken=s_tok),
               "InvalidIdentityToken", WEB_IDENTITY)
    ok("CLI and boto3: a token of A's staging cluster, whose issuer B has not registered: InvalidIdentityToken (No OpenIDConnect provider found)")

    cli("account-b", "iam", "create-role", "--role-name", "federated-assume-role", "--assume-role-policy-document",
        doc([{"Effect": "Allow", "Principal": {"Federated": b_provider}, "Action": "sts:AssumeRole"}]))
    msg = web_identity_cli(f"arn:aws:iam::{B}:role/federated-assume-role", app_file, "wrong-action", expect="AccessDenied")
    if "Not authorized to perform sts:AssumeRoleWithWebIdentity" not in msg:
        fail(f"trust allowing only sts:AssumeRole: {msg}")
    ok("CLI: a role whose trust allows the Federated provider only sts:AssumeRole: AccessDenied")

    bad_file = write("tampered.token", tamper(app_tok))
    msg = web_identity_cli(b_role, bad_file, "tampered", expect="InvalidIdentityToken")
    if "signature" not in msg:
        fail(f"tampered token: the error does not name the signature: {msg}")
    boto_error(lambda: sts_boto().assume_role_with_web_identity(RoleArn=b_role, RoleSessionName="tampered", WebIdentityToken=tamper(app_tok)),
               "InvalidIdentityToken", WEB_IDENTITY)
    ok("CLI and boto3: a token with one signature character changed: InvalidIdentityToken")

    head = jwt_part(app_tok, 0)
    unsigned = b64url(dict(head, alg="none")) + "." + app_tok.split(".")[1] + "."
    msg = boto_error(lambda: sts_boto().assume_role_with_web_identity(RoleArn=b_role, RoleSessionName="alg-none", WebIdentityToken=unsigned),
                     "InvalidIdentityToken", WEB_IDENTITY)
    if "signature" not in msg:
        fail(f"alg none token: the error does not name the signature: {msg}")
    forged = b64url(head) + "." + b64url(dict(claims(app_tok), sub="system:serviceaccount:default:admin")) + "." + app_tok.split(".")[2]
    msg = boto_error(lambda: sts_boto().assume_role_with_web_identity(RoleArn=b_role, RoleSessionName="forged", WebIdentityToken=forged),
                     "InvalidIdentityToken", WEB_IDENTITY)
    if "signature" not in msg:
        fail(f"forged token: the error does not name the signature: {msg}")
    ok("boto3: an unsigned (alg none) token, and a token with its subject rewritten: InvalidIdentityToken")

    # The token file still works after all that.
    cfg = write("config-b2", f"[profile x]\nrole_arn = {b_role}\nweb_identity_token_file = {app_file}\nrole_session_name = again\n")
    want_assumed(cli("x", "sts", "get-caller-identity", env=dict(POD_ENV, AWS_CONFIG_FILE=cfg)), B, "account-b-role", "again", "profile x, session name")
    ok("CLI: profile with role_session_name = again is account-b-role/again")

    done()


if __name__ == "__main__":
    main()
