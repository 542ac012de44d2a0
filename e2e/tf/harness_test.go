// Package tf runs the Terraform flows: the configurations under
// e2e/terraform, applied against assumed with the real terraform binary and
// the hashicorp/aws provider from a filesystem mirror, planned clean (no
// perpetual diff), changed as each flow's story says, and destroyed.
//
// Every terraform command runs under a deadline (tfTimeout), so that a hung
// one fails its test, with its output so far, instead of the package. What
// hangs one is retries: the provider retries a 5xx answer (assumed's 503
// ServiceUnavailable when its backend, moto, does not answer within two
// minutes or cannot be reached), a throttle or a connection error up to
// max_retries times (25 by default) with backoffs growing to five minutes,
// which makes a broken backend a plan of most of an hour. The
// configurations therefore set max_retries = 5: against a local server an
// error is a fault to report, not AWS being busy, and five attempts still
// ride out a dropped connection. (The AWS_MAX_ATTEMPTS variable does not
// lower it: the provider passes its own default.)
package tf

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/assumed-dev/assumed/e2e/kit"
	"github.com/assumed-dev/assumed/internal/testenv"
)

// tfTimeout bounds one terraform apply, plan, destroy or import. The
// slowest flow's slowest command takes well under a minute on a quiet
// machine; a command still running after tfTimeout is hung (the AWS
// provider retrying a request with backoff, say) and is killed with its
// provider plugins.
const tfTimeout = 8 * time.Minute

// tfQuickTimeout bounds terraform init (from the filesystem mirror) and
// terraform output, which call no API.
const tfQuickTimeout = 2 * time.Minute

// tfDeadlineMargin is kept between a command's deadline and the test
// binary's (go test -timeout), so that a command killed for the binary's
// sake still fails its test with its output rather than the binary's panic.
const tfDeadlineMargin = time.Minute

// tfProviderVersion is the hashicorp/aws version the configurations pin.
const tfProviderVersion = "5.100.0"

// tfMirror is where the provider's filesystem mirror is; ASSUMED_TF_MIRROR
// overrides it.
func tfMirror() string {
	if m := os.Getenv("ASSUMED_TF_MIRROR"); m != "" {
		return m
	}
	return "/opt/tf-plugins"
}

// requireTerraform skips the test, loudly, unless terraform is on PATH and
// the provider is in the mirror. It returns terraform's path.
func requireTerraform(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("terraform")
	if err != nil {
		fmt.Fprintln(os.Stderr, "WARNING: terraform is not on PATH: the Terraform flows are skipped")
		t.Skip("SKIPPED: terraform is not on PATH (the Terraform flows need Terraform 1.11 and the hashicorp/aws provider in a filesystem mirror)")
	}
	provider := filepath.Join(tfMirror(), "registry.terraform.io", "hashicorp", "aws", tfProviderVersion)
	if _, err := os.Stat(provider); err != nil {
		fmt.Fprintf(os.Stderr, "WARNING: %s is missing: the Terraform flows are skipped\n", provider)
		t.Skipf("SKIPPED: the hashicorp/aws provider %s is not in the filesystem mirror %s (set ASSUMED_TF_MIRROR)", tfProviderVersion, tfMirror())
	}
	return bin
}

// requireMoto skips a Terraform flow that builds resources, loudly, unless
// moto_server (the resource backend) is on PATH.
func requireMoto(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("moto_server"); err != nil {
		fmt.Fprintln(os.Stderr, "WARNING: moto_server is not on PATH: the Terraform flows with resources are skipped")
		t.Skip("SKIPPED: moto_server is not on PATH (pip install 'moto[server]'): this Terraform flow builds resources")
	}
}

// tfDir is one Terraform root module, copied from e2e/terraform into a
// temporary directory, with its own state.
type tfDir struct {
	t   *testing.T
	bin string
	srv *testenv.Env // the server it talks to, whose log a timeout shows
	dir string
	env []string
	log string // TF_LOG_PATH with ASSUMED_TF_LOG, else ""
}

// newTFDir copies e2e/terraform/src into a temporary directory, writes a
// CLI configuration that installs hashicorp/aws from the mirror only, and
// runs terraform init. vars become TF_VAR_ variables of every command.
// ASSUMED_TF_LOG=LEVEL (DEBUG, TRACE…) has terraform log at LEVEL into a
// file that outlives the test (its path is logged) and whose end a failed
// command shows.
func newTFDir(t *testing.T, bin string, srv *testenv.Env, src string, vars map[string]string) *tfDir {
	t.Helper()
	home := t.TempDir()
	dir := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "terraform", src))); err != nil {
		t.Fatal(err)
	}
	rc := filepath.Join(home, "terraform.rc")
	cfg := fmt.Sprintf(`provider_installation {
  filesystem_mirror {
    path    = %q
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
`, tfMirror())
	if err := os.WriteFile(rc, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// The machine's AWS settings, proxies and Terraform settings stay
	// out: the configurations say everything.
	d := &tfDir{t: t, bin: bin, srv: srv, dir: dir, env: kit.CleanEnv("AWS_", "TF_", "HOME=")}
	d.env = append(d.env, "HOME="+home, "TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1", "TF_INPUT=0", "CHECKPOINT_DISABLE=1",
		"NO_PROXY=*", "no_proxy=*")
	if level := os.Getenv("ASSUMED_TF_LOG"); level != "" {
		// Kept after the test, to be read.
		logDir, err := os.MkdirTemp("", "assumed-tf-log-")
		if err != nil {
			t.Fatal(err)
		}
		d.log = filepath.Join(logDir, strings.ReplaceAll(src, "/", "-")+".log")
		d.env = append(d.env, "TF_LOG="+level, "TF_LOG_PATH="+d.log)
		t.Logf("terraform in %s logs at %s into %s", src, level, d.log)
	}
	for k, v := range vars {
		d.env = append(d.env, "TF_VAR_"+k+"="+v)
	}
	d.run("init")
	return d
}

// exec runs terraform with args in the directory, returning its combined
// output and exit code. It runs under a deadline (tfTimeout, or
// tfQuickTimeout for init and output; earlier if the test binary's own
// deadline is nearer): a command still running then is killed, with its
// provider plugins, and fails the test with its output so far, the time it
// took and the end of the server's log.
func (d *tfDir) exec(args ...string) (string, int) {
	d.t.Helper()
	limit := tfTimeout
	if args[0] == "init" || args[0] == "output" {
		limit = tfQuickTimeout
	}
	deadline := time.Now().Add(limit)
	if td, ok := d.t.Deadline(); ok && td.Add(-tfDeadlineMargin).Before(deadline) {
		deadline = td.Add(-tfDeadlineMargin)
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	what := fmt.Sprintf("terraform %s in %s", strings.Join(args, " "), filepath.Base(d.dir))
	cmd := kit.Command(ctx, d.bin, append(args, "-no-color")...)
	cmd.Dir, cmd.Env = d.dir, d.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	d.t.Logf("%s: started, deadline in %s", what, time.Until(deadline).Round(time.Second))
	err := cmd.Run()
	took := time.Since(start).Round(10 * time.Millisecond)
	if err != nil && ctx.Err() != nil {
		d.t.Fatalf("%s: killed after %s (its deadline was %s after the start); it was still running. Its output so far:\n%s%s\nthe end of the server's log:\n%s",
			what, took, deadline.Sub(start).Round(time.Second), out.String(), d.logTail(), kit.Tail(d.srv.Logs(), 40))
	}
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			d.t.Fatalf("%s: %v after %s\n%s", what, err, took, out.String())
		}
		code = ee.ExitCode()
	}
	d.t.Logf("%s: exit %d after %s", what, code, took)
	return out.String(), code
}

// logTail is the end of terraform's log (ASSUMED_TF_LOG), introduced, or "".
func (d *tfDir) logTail() string {
	if d.log == "" {
		return ""
	}
	b, err := os.ReadFile(d.log)
	if err != nil {
		return fmt.Sprintf("\nterraform's log: %v", err)
	}
	return "\nthe end of terraform's log:\n" + kit.Tail(string(b), 200)
}

// run runs terraform with args and fails the test unless it succeeds.
func (d *tfDir) run(args ...string) string {
	d.t.Helper()
	out, code := d.exec(args...)
	if code != 0 {
		d.t.Fatalf("terraform %s in %s failed (exit %d):\n%s%s", strings.Join(args, " "), d.dir, code, out, d.logTail())
	}
	return out
}

// apply applies with -var arguments (NAME=VALUE).
func (d *tfDir) apply(vars ...string) string {
	d.t.Helper()
	return d.run(append([]string{"apply", "-auto-approve"}, varArgs(vars)...)...)
}

// applyFails applies and wants it to fail with want in the output.
func (d *tfDir) applyFails(want string, vars ...string) string {
	d.t.Helper()
	out, code := d.exec(append([]string{"apply", "-auto-approve"}, varArgs(vars)...)...)
	if code == 0 {
		d.t.Fatalf("terraform apply in %s succeeded; want it refused with %q:\n%s", d.dir, want, out)
	}
	if !strings.Contains(out, want) {
		d.t.Fatalf("terraform apply in %s failed without %q:\n%s", d.dir, want, out)
	}
	return out
}

// planClean wants terraform plan -detailed-exitcode to find nothing to do
// (exit 0): the provider reads back exactly what it wrote.
func (d *tfDir) planClean(vars ...string) {
	d.t.Helper()
	out, code := d.exec(append([]string{"plan", "-detailed-exitcode"}, varArgs(vars)...)...)
	if code != 0 {
		d.t.Fatalf("terraform plan in %s is not clean (exit %d; 2 means changes):\n%s", d.dir, code, out)
	}
}

// destroy destroys everything the directory's state holds.
func (d *tfDir) destroy(vars ...string) {
	d.t.Helper()
	d.run(append([]string{"destroy", "-auto-approve"}, varArgs(vars)...)...)
}

// outputs returns the root module's outputs, sensitive ones included.
func (d *tfDir) outputs() map[string]any {
	d.t.Helper()
	var raw map[string]struct {
		Value any `json:"value"`
	}
	if err := json.Unmarshal([]byte(d.run("output", "-json")), &raw); err != nil {
		d.t.Fatalf("terraform output -json: %v", err)
	}
	out := map[string]any{}
	for k, v := range raw {
		out[k] = v.Value
	}
	return out
}

// output returns one string output.
func (d *tfDir) output(name string) string {
	d.t.Helper()
	v, ok := d.outputs()[name].(string)
	if !ok {
		d.t.Fatalf("output %s is missing or not a string in %s", name, d.dir)
	}
	return v
}

func varArgs(vars []string) []string {
	var out []string
	for _, v := range vars {
		out = append(out, "-var", v)
	}
	return out
}
