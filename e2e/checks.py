"""What every end-to-end script shares: numbered checks that stop at the
first failure, the AWS CLI run as a user runs it, and expected errors from
the CLI and from boto3. A script ends with done(), which prints the closing
"N passed, 0 failed" line the Go tests look for."""

import json
import os
import subprocess
import sys

import botocore.exceptions

_checks = 0


def ok(what):
    """Count a check that held."""
    global _checks
    _checks += 1
    print(f"ok {_checks}: {what}")


def fail(what):
    """Report a check that did not hold and stop."""
    print(f"FAIL: {what}")
    print(f"{_checks} passed, 1 failed")
    sys.exit(1)


def done():
    """Print the closing line."""
    print(f"{_checks} passed, 0 failed")


def cli(profile, *args, env=None, expect=None, operation=None):
    """Run the AWS CLI (with a profile, or none); return its JSON output,
    or, with expect, check the error code (and the failing operation) and
    return the error text."""
    cmd = ["aws", "--output", "json"] + (["--profile", profile] if profile else []) + list(args)
    run_env = dict(os.environ)
    run_env.update(env or {})
    p = subprocess.run(cmd, capture_output=True, text=True, env=run_env)
    what = " ".join(cmd[3:])
    if expect:
        if p.returncode == 0 or f"({expect})" not in p.stderr:
            fail(f"aws {what}: want error {expect}, got exit {p.returncode}: {p.stdout}{p.stderr}")
        if operation and f"when calling the {operation} operation" not in p.stderr:
            fail(f"aws {what}: want the {operation} call to fail: {p.stderr}")
        return p.stderr
    if p.returncode != 0:
        fail(f"aws {what}: exit {p.returncode}: {p.stderr}")
    return json.loads(p.stdout) if p.stdout.strip() else {}


def boto_error(fn, code, operation=None):
    """Call fn; check it fails with code (in the given operation) and
    return the error message."""
    try:
        fn()
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        if got != code:
            fail(f"want {code}, got {got}: {e}")
        if operation and e.operation_name != operation:
            fail(f"want the {operation} call to fail, got {e.operation_name}: {e}")
        return e.response["Error"]["Message"]
    fail(f"want {code}, the call succeeded")


def doc(statements):
    """A policy document of these statements."""
    return json.dumps({"Version": "2012-10-17", "Statement": statements})
