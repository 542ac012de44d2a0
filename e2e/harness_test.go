package e2e

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/assumed-dev/assumed/e2e/kit"
	"github.com/assumed-dev/assumed/internal/testenv"
)

// requireClients returns python3's path, skipping the test unless python3,
// the AWS CLI and boto3 (able to run check, a line of Python) are here.
func requireClients(t *testing.T, check string) string {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI is not installed")
	}
	if err := exec.Command(python, "-c", check).Run(); err != nil {
		t.Skipf("boto3 cannot run %q", check)
	}
	return python
}

// runScript runs a check script against a server: with the machine's
// environment minus its AWS_ variables, a fresh HOME (the AWS CLI caches
// assumed-role credentials in ~/.aws/cli/cache, which must not leak from
// another run or server), AWS_ENDPOINT_URL pointing at the server, and
// env. The script must exit 0 and end with its "N passed, 0 failed".
func runScript(t *testing.T, python, script string, srv *testenv.Env, env ...string) {
	t.Helper()
	cmd := exec.Command(python, script)
	cmd.Env = append(kit.CleanEnv("AWS_", "HOME="), "HOME="+t.TempDir(), "AWS_ENDPOINT_URL="+srv.URL)
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("%s: %v\nserver log:\n%s", script, err, srv.Logs())
	}
	if !strings.HasSuffix(strings.TrimSpace(string(out)), "passed, 0 failed") {
		t.Fatalf("%s did not finish its checks", script)
	}
}
