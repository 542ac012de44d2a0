// Package e2e drives a running assumed server with the clients users run:
// the AWS CLI v1 and boto3 from this machine's Python.
package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// TestIAMTwoAccountsCLIAndBoto3 runs iam_two_accounts.py against a fresh
// server with accounts 111111111111 (account-a) and 222222222222
// (account-b).
func TestIAMTwoAccountsCLIAndBoto3(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI is not installed")
	}
	if err := exec.Command(python, "-c", "import boto3").Run(); err != nil {
		t.Skip("boto3 is not installed")
	}
	env := testenv.Start(t, nil)
	cmd := exec.Command(python, "iam_two_accounts.py")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env,
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(env.DataDir, "credentials"),
		"AWS_CONFIG_FILE="+filepath.Join(t.TempDir(), "absent"),
		"AWS_ENDPOINT_URL="+env.URL,
	)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("iam_two_accounts.py: %v\nserver log:\n%s", err, env.Logs())
	}
}
