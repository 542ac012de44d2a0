package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const (
	identityPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "ReadReports",
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:ListBucket"],
      "Resource": ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"]
    }
  ]
}`
	// identityWithPrincipal is an identity policy with a Principal
	// element, which AWS rejects.
	identityWithPrincipal = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "First", "Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"},
    {"Sid": "Second", "Effect": "Allow", "Principal": {"AWS": "111111111111"}, "Action": "s3:GetObject", "Resource": "*"}
  ]
}`
	trustPolicy = `{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
    "Action": "sts:AssumeRole",
    "Condition": {"StringEquals": {"sts:ExternalId": "partner-7"}}
  }
}`
)

// TestPolicyValidate runs `assumed policy validate` in-process.
func TestPolicyValidate(t *testing.T) {
	tests := []struct {
		name       string
		args       []string // "FILE" is replaced by the path of a file holding doc
		doc        string
		stdin      string
		wantCode   int
		wantStdout string   // exact, when wantCode is 0
		wantStderr []string // lines stderr must start with, in order
	}{
		{
			name:       "valid identity policy",
			args:       []string{"policy", "validate", "FILE"},
			doc:        identityPolicy,
			wantStdout: "valid\nidentity policy, 1 statement, 180 characters without white space (limit 6144)\n",
		},
		{
			name:       "explicit identity kind",
			args:       []string{"policy", "validate", "--kind", "identity", "FILE"},
			doc:        identityPolicy,
			wantStdout: "valid\nidentity policy, 1 statement, 180 characters without white space (limit 6144)\n",
		},
		{
			name:     "principal in an identity policy",
			args:     []string{"policy", "validate", "FILE"},
			doc:      identityWithPrincipal,
			wantCode: 1,
			wantStderr: []string{
				"MalformedPolicyDocument: Policy document should not specify a principal.",
				`  statement: 2 (Sid "Second")`,
				"  detail: ",
			},
		},
		{
			name:     "statement without actions",
			args:     []string{"policy", "validate", "FILE"},
			doc:      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}`,
			wantCode: 1,
			wantStderr: []string{
				"MalformedPolicyDocument: Policy statement must contain actions.",
				"  statement: 1",
			},
		},
		{
			name:       "not JSON",
			args:       []string{"policy", "validate", "FILE"},
			doc:        `Allow everything`,
			wantCode:   1,
			wantStderr: []string{"MalformedPolicyDocument: This policy contains invalid Json", "  detail: JSON: "},
		},
		{
			name:       "too large",
			args:       []string{"policy", "validate", "FILE"},
			doc:        `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + strings.Repeat("b", 6200) + `"}]}`,
			wantCode:   1,
			wantStderr: []string{"LimitExceeded: Cannot exceed quota for PolicySize: 6144", "  detail: "},
		},
		{
			name:       "trust policy with a principal",
			args:       []string{"policy", "validate", "--kind", "trust", "FILE"},
			doc:        trustPolicy,
			wantStdout: "valid\ntrust policy, 1 statement, 194 characters without white space (limit 2048)\n",
		},
		{
			name:     "trust policy that names a resource",
			args:     []string{"policy", "validate", "--kind=trust", "FILE"},
			doc:      `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}}`,
			wantCode: 1,
			wantStderr: []string{
				"MalformedPolicyDocument: Has prohibited field Resource.",
				"  statement: 1",
			},
		},
		{
			name:       "identity policy checked as trust policy",
			args:       []string{"policy", "validate", "--kind", "trust", "FILE"},
			doc:        identityPolicy,
			wantCode:   1,
			wantStderr: []string{"MalformedPolicyDocument: Missing required field Principal", `  statement: 1 (Sid "ReadReports")`},
		},
		{
			name:       "wrong kind",
			args:       []string{"policy", "validate", "--kind", "role", "FILE"},
			doc:        identityPolicy,
			wantCode:   2,
			wantStderr: []string{`assumed: invalid argument "role" for "--kind" flag: unknown policy kind "role"`, "Run 'assumed policy validate --help' for usage."},
		},
		{
			name:       "stdin",
			args:       []string{"policy", "validate", "--kind", "trust", "-"},
			stdin:      trustPolicy,
			wantStdout: "valid\ntrust policy, 1 statement, 194 characters without white space (limit 2048)\n",
		},
		{
			name:       "invalid policy on stdin",
			args:       []string{"policy", "validate", "-"},
			stdin:      identityWithPrincipal,
			wantCode:   1,
			wantStderr: []string{"MalformedPolicyDocument: Policy document should not specify a principal."},
		},
		{
			name:       "missing file",
			args:       []string{"policy", "validate", "does-not-exist.json"},
			wantCode:   2,
			wantStderr: []string{"assumed: read policy: open does-not-exist.json: "},
		},
		{
			name:       "no file argument",
			args:       []string{"policy", "validate"},
			wantCode:   2,
			wantStderr: []string{"assumed: accepts 1 arg(s), received 0"},
		},
		{
			name:       "unknown subcommand",
			args:       []string{"policy", "check", "FILE"},
			doc:        identityPolicy,
			wantCode:   2,
			wantStderr: []string{`assumed: unknown command "check" for "assumed policy"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				if a == "FILE" {
					a = filepath.Join(t.TempDir(), "policy.json")
					if err := os.WriteFile(a, []byte(tt.doc), 0o600); err != nil {
						t.Fatal(err)
					}
				}
				args[i] = a
			}
			var stdout, stderr bytes.Buffer
			code := run(args, strings.NewReader(tt.stdin), &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, stdout.String(), stderr.String())
			}
			if tt.wantCode == 0 {
				if got := stdout.String(); got != tt.wantStdout {
					t.Errorf("stdout:\n%s\nwant:\n%s", got, tt.wantStdout)
				}
				if stderr.Len() > 0 {
					t.Errorf("unexpected stderr:\n%s", stderr.String())
				}
				return
			}
			if stdout.Len() > 0 {
				t.Errorf("unexpected stdout:\n%s", stdout.String())
			}
			lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
			for i, want := range tt.wantStderr {
				if i >= len(lines) || !strings.HasPrefix(lines[i], want) {
					t.Errorf("stderr line %d: want prefix %q\nstderr:\n%s", i+1, want, stderr.String())
				}
			}
		})
	}
}

func TestVersion(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"version"}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, stderr.String())
	}
	if got := stdout.String(); !strings.HasPrefix(got, "assumed ") || !strings.Contains(got, runtime.Version()) {
		t.Errorf("version output %q", got)
	}
}

// TestBinary builds the real binary and runs it as a user would.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	dir := filepath.Dir(bin)

	valid := filepath.Join(dir, "trust.json")
	invalid := filepath.Join(dir, "identity.json")
	for path, doc := range map[string]string{valid: trustPolicy, invalid: identityWithPrincipal} {
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string // prefix
	}{
		{"valid", []string{"policy", "validate", "--kind", "trust", valid}, 0, "valid\ntrust policy, 1 statement, 194 characters without white space (limit 2048)\n", ""},
		{"invalid", []string{"policy", "validate", invalid}, 1, "", "MalformedPolicyDocument: Policy document should not specify a principal.\n  statement: 2 (Sid \"Second\")\n"},
		{"bad kind", []string{"policy", "validate", "--kind", "nope", valid}, 2, "", "assumed: invalid argument \"nope\" for \"--kind\" flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			cmd := exec.Command(bin, tt.args...)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatalf("run %s: %v", bin, err)
			}
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d\nstderr:\n%s", code, tt.wantCode, stderr.String())
			}
			if got := stdout.String(); got != tt.wantStdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", got, tt.wantStdout)
			}
			if !strings.HasPrefix(stderr.String(), tt.wantStderr) || tt.wantStderr == "" && stderr.Len() > 0 {
				t.Errorf("stderr:\n%s\nwant prefix:\n%s", stderr.String(), tt.wantStderr)
			}
		})
	}
}

// buildBinary builds cmd/assumed into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "assumed")
	// The test binary was built by the go command running this test, so its
	// GOROOT is that toolchain's: build with the same one, whatever PATH says.
	//lint:ignore SA1019 runtime.GOROOT is meaningful in a test binary, which never leaves this machine
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	build := exec.Command(goTool, "build", "-buildvcs=false", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
