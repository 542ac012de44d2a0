package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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
	bin := irsaE2EBuildAssumed(t)
	env := testenv.Start(t, nil)

	// The AWS CLI caches assumed-role (and web-identity) credentials in
	// ~/.aws/cli/cache; a fresh HOME keeps another run's out.
	home, scratch := t.TempDir(), t.TempDir()
	cmd := exec.Command(python, "irsa_two_accounts.py")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "HOME=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env,
		"HOME="+home,
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(env.DataDir, "credentials"),
		"AWS_CONFIG_FILE="+filepath.Join(scratch, "absent"),
		"AWS_ENDPOINT_URL="+env.URL,
		"ASSUMED_BIN="+bin,
		"IRSA_DIR="+scratch,
	)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("irsa_two_accounts.py: %v\nserver log:\n%s", err, env.Logs())
	}
	if !strings.HasSuffix(strings.TrimSpace(string(out)), "passed, 0 failed") {
		t.Fatalf("irsa_two_accounts.py did not finish its checks")
	}
}

// irsaE2EBuildAssumed builds the assumed command (for `assumed token`)
// into a temporary directory and returns its path.
func irsaE2EBuildAssumed(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go is not on PATH: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "assumed")
	build := exec.Command(goBin, "build", "-o", bin, "github.com/assumed-dev/assumed/cmd/assumed")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/assumed: %v\n%s", err, out)
	}
	return bin
}
