package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The Terraform flows: the configurations under e2e/terraform, applied
// against assumed with the real terraform binary and the hashicorp/aws
// provider from a filesystem mirror, planned clean (no perpetual diff),
// changed as each flow's story says, and destroyed.

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
	dir string
	env []string
}

// newTFDir copies e2e/terraform/src into a temporary directory, writes a
// CLI configuration that installs hashicorp/aws from the mirror only, and
// runs terraform init. vars become TF_VAR_ variables of every command.
func newTFDir(t *testing.T, bin, src string, vars map[string]string) *tfDir {
	t.Helper()
	home := t.TempDir()
	dir := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("terraform", src))); err != nil {
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
	d := &tfDir{t: t, bin: bin, dir: dir}
	for _, kv := range os.Environ() {
		// The machine's AWS settings, proxies and Terraform settings stay
		// out: the configurations say everything.
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "TF_") && !strings.HasPrefix(kv, "HOME=") {
			d.env = append(d.env, kv)
		}
	}
	d.env = append(d.env, "HOME="+home, "TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1", "TF_INPUT=0", "CHECKPOINT_DISABLE=1",
		"NO_PROXY=*", "no_proxy=*")
	for k, v := range vars {
		d.env = append(d.env, "TF_VAR_"+k+"="+v)
	}
	d.run("init")
	return d
}

// exec runs terraform with args in the directory, returning its combined
// output and exit code.
func (d *tfDir) exec(args ...string) (string, int) {
	d.t.Helper()
	cmd := exec.Command(d.bin, append(args, "-no-color")...)
	cmd.Dir, cmd.Env = d.dir, d.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			d.t.Fatalf("terraform %s: %v", args[0], err)
		}
		code = ee.ExitCode()
	}
	d.t.Logf("terraform %s in %s: exit %d after %s", strings.Join(args, " "), filepath.Base(d.dir), code, time.Since(start).Round(10*time.Millisecond))
	return out.String(), code
}

// run runs terraform with args and fails the test unless it succeeds.
func (d *tfDir) run(args ...string) string {
	d.t.Helper()
	out, code := d.exec(args...)
	if code != 0 {
		d.t.Fatalf("terraform %s in %s failed (exit %d):\n%s", strings.Join(args, " "), d.dir, code, out)
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
