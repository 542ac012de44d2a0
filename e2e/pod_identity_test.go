package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// TestPodIdentityCLIAndBoto3 runs pod_identity.py: EKS Pod Identity
// through the AWS CLI v1, boto3 and `assumed token`. Account A
// (111111111111, account-a) owns cluster prod and role app; account B
// (222222222222, account-b) the target roles of seed 002. The script
// manages associations (create with and without a target role, describe,
// list with filters and pages, update, delete), calls EKS Auth's
// AssumeRoleForPodIdentity with a node user's key through
// `aws eks-auth assume-role-for-pod-identity` and boto3's eks-auth client,
// and checks the sessions and the refusals (a target trust without
// sts:TagSession, no association, a token for another audience, a node
// without eks-auth:AssumeRoleForPodIdentity, a deleted cluster's token);
// with `assumed agent` in the binary, also boto3 and the CLI through the
// node agent (AWS_CONTAINER_CREDENTIALS_FULL_URI).
func TestPodIdentityCLIAndBoto3(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI is not installed")
	}
	if err := exec.Command(python, "-c", "import boto3; boto3.session.Session().client('eks-auth', region_name='us-east-1')").Run(); err != nil {
		t.Skip("boto3 with the eks-auth service is not installed")
	}
	bin := podIdE2EBuildAssumed(t)
	env := testenv.Start(t, nil)

	// The AWS CLI caches credentials under ~/.aws/cli/cache; a fresh HOME
	// keeps another run's out.
	home, scratch := t.TempDir(), t.TempDir()
	cmd := exec.Command(python, "pod_identity.py")
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
		"PODID_DIR="+scratch,
	)
	// With a node agent in the binary, the script starts one (and stops
	// it) to drive the SDKs' container credential provider through it.
	if podIdE2EHasAgent(bin) {
		cmd.Env = append(cmd.Env, "PODID_AGENT=1")
	} else {
		t.Log("this assumed has no agent command: the container credential provider is not tested")
	}
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("pod_identity.py: %v\nserver log:\n%s", err, env.Logs())
	}
	if !strings.HasSuffix(strings.TrimSpace(string(out)), "passed, 0 failed") {
		t.Fatalf("pod_identity.py did not finish its checks")
	}
}

// podIdE2EBuildAssumed builds the assumed command into a temporary
// directory and returns its path.
func podIdE2EBuildAssumed(t *testing.T) string {
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

// podIdE2EHasAgent reports whether the binary has an agent command (an
// unknown command with --help prints the root's help, so look at the
// usage line).
func podIdE2EHasAgent(bin string) bool {
	out, err := exec.Command(bin, "agent", "--help").CombinedOutput()
	return err == nil && strings.Contains(string(out), "assumed agent")
}
