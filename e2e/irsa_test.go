package e2e

import (
	"path/filepath"
	"testing"

	"github.com/assumed-dev/assumed/e2e/kit"
	"github.com/assumed-dev/assumed/internal/testenv"
)

// TestIRSATwoAccountsCLIAndBoto3 runs irsa_two_accounts.py: IAM roles for
// service accounts across accounts 111111111111 (account-a, which owns
// the EKS clusters) and 222222222222 (account-b), through the AWS CLI v1,
// boto3 and `assumed token` (the cluster's projected service-account
// tokens). It covers the EKS guide's two ways into another account (the
// issuer registered in the target account, or a web-identity role in the
// cluster's account chained with AssumeRole), the same issuer trusted in
// both accounts, and the refusals (subject or audience mismatch, an
// unregistered issuer, a trust without sts:AssumeRoleWithWebIdentity, a
// tampered token).
func TestIRSATwoAccountsCLIAndBoto3(t *testing.T) {
	python := requireClients(t, "import boto3")
	bin := kit.BuildAssumed(t)
	env := testenv.Start(t, nil)
	scratch := t.TempDir()
	runScript(t, python, "irsa_two_accounts.py", env,
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(env.DataDir, "credentials"),
		"AWS_CONFIG_FILE="+filepath.Join(scratch, "absent"),
		"ASSUMED_BIN="+bin,
		"IRSA_DIR="+scratch,
	)
}
