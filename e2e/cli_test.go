// Package e2e drives a running assumed server with the clients users run:
// the AWS CLI v1 and boto3 from this machine's Python.
package e2e

import (
	"path/filepath"
	"testing"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// TestIAMTwoAccountsCLIAndBoto3 runs iam_two_accounts.py against a fresh
// server with accounts 111111111111 (account-a) and 222222222222
// (account-b).
func TestIAMTwoAccountsCLIAndBoto3(t *testing.T) {
	python := requireClients(t, "import boto3")
	env := testenv.Start(t, nil)
	runScript(t, python, "iam_two_accounts.py", env,
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(env.DataDir, "credentials"),
		"AWS_CONFIG_FILE="+filepath.Join(t.TempDir(), "absent"),
	)
}
