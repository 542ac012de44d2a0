package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// runBinary runs the binary bin with args and returns its exit code and
// standard error.
func runBinary(t *testing.T, bin string, args ...string) (int, string) {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("run %s: %v", bin, err)
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// dirState describes every entry of a directory (and the directory's
// mode): names, modes, sizes, modification times and contents.
func dirState(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		sum := ""
		if fi.Mode().IsRegular() {
			content, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sum = fmt.Sprintf("%x", sha256.Sum256(content))
		}
		fmt.Fprintf(&b, "%s %v %d %s %s\n", path, fi.Mode(), fi.Size(), fi.ModTime().Format(time.RFC3339Nano), sum)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestServePortInUse runs the binary on a port another process holds,
// for the API and for metrics: it fails at once (exit 1, saying what to
// do, without pointing to --help), leaves no new data dir behind and
// changes nothing in an existing one, not even the mode it would tighten
// or the .gitignore it would add.
func TestServePortInUse(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.Addr().String()

	// An existing data dir, from a server that ran and stopped; it has
	// the .gitignore of a new data dir.
	existing := filepath.Join(t.TempDir(), "data")
	p := startServeProcess(t, bin, existing)
	if p.addr == "" {
		t.Fatalf("serve did not start:\n%s", p.logs.String())
	}
	p.stop(t)
	if b, err := os.ReadFile(filepath.Join(existing, ".gitignore")); err != nil || !strings.Contains(string(b), "\n*\n") {
		t.Fatalf("a new data dir's .gitignore: %q, %v; want one ignoring everything (*)", b, err)
	}
	// Without its .gitignore and open to others, a start would add the
	// one and tighten the other.
	if err := os.Remove(filepath.Join(existing, ".gitignore")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(existing, 0o755); err != nil {
		t.Fatal(err)
	}
	before := dirState(t, existing)

	for _, c := range []struct {
		name, flag string
		args       []string
	}{
		{"API port", "--listen", []string{"--listen", addr}},
		{"metrics port", "--metrics-listen", []string{"--listen", "127.0.0.1:0", "--metrics-listen", addr}},
	} {
		t.Run(c.name, func(t *testing.T) {
			parent := t.TempDir()
			fresh := filepath.Join(parent, "new", "data")
			for _, dir := range []string{fresh, existing} {
				start := time.Now()
				code, stderr := runBinary(t, bin, append([]string{"serve", "--data-dir", dir}, c.args...)...)
				if code != exitFailure || !strings.Contains(stderr, "assumed: ") || !strings.Contains(stderr, "bind: address already in use") ||
					!strings.Contains(stderr, "pass "+c.flag+" with another address") || strings.Contains(stderr, "--help") {
					t.Errorf("data dir %s: exit %d, stderr:\n%s\nwant exit 1, the bind error with what to do, and no pointer to --help", dir, code, stderr)
				}
				if n := strings.Count(stderr, "address already in use"); n != 1 {
					t.Errorf("the error is printed %d times:\n%s", n, stderr)
				}
				if d := time.Since(start); d > 10*time.Second {
					t.Errorf("the refusal took %v", d)
				}
			}
			if entries, err := os.ReadDir(parent); err != nil || len(entries) != 0 {
				t.Errorf("a failed start left %v behind (%v)", entries, err)
			}
			if after := dirState(t, existing); after != before {
				t.Errorf("a failed start changed the existing data dir:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

// TestRuntimeErrorsDoNotPointToHelp: an error of a command that ran is
// printed once, without "Run '… --help' for usage", which only mistakes
// in the command line get.
func TestRuntimeErrorsDoNotPointToHelp(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	defer full.Close()
	bin := buildBinary(t)

	// `assumed version` cannot write its answer.
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "version")
	cmd.Stdout, cmd.Stderr = full, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || !strings.HasPrefix(stderr.String(), "assumed: write ") || strings.Contains(stderr.String(), "--help") || strings.Count(stderr.String(), "\n") != 1 {
		t.Errorf("version > /dev/full: %v, stderr:\n%s\nwant one line, the write error, without a pointer to --help", err, stderr.String())
	}

	// Mistakes in the command line keep the pointer.
	for _, args := range [][]string{
		{"serve", "extra"},
		{"serve", "--no-such-flag"},
		{"serve", "--log-level", "loud"},
		{"serve", "--log-format", "xml"},
		{"agent", "--cluster", "prod", "--log-level", "loud"},
		{"cluster", "rotate-signing-key"},
	} {
		code, stderr := runBinary(t, bin, args...)
		want := "Run 'assumed " + args[0]
		if code != exitUsage || !strings.Contains(stderr, want) || strings.Count(stderr, "assumed: ") != 1 {
			t.Errorf("assumed %v: exit %d, stderr:\n%s\nwant exit 2, the error once, and %q", args, code, stderr, want)
		}
	}
}

// TestServeLogFlags runs the binary with --log-format json --log-level
// debug: every line on standard error is a JSON object; a refused
// signature is logged at INFO with its request ID and the access key ID
// it claimed, never the secret. At --log-level warn, Info lines are not
// written.
func TestServeLogFlags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	logs := &testenv.SyncBuffer{}
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir, "--log-format", "json", "--log-level", "debug")
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		cmd.Process.Kill()
		<-done
	}()
	var addr string
	for deadline := time.Now().Add(20 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, line := range strings.Split(logs.String(), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "assumed is serving" {
				addr, _ = m["addr"].(string)
			}
		}
	}
	if addr == "" {
		t.Fatalf("no JSON line says the server is serving:\n%s", logs.String())
	}

	const keyID, secret = "AKIACLAIMEDBUTWRONG1", "not-the-secret-not-the-secret-not-the-s1"
	c := iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://" + addr), Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, "")})
	_, err := c.ListRoles(context.Background(), &iam.ListRolesInput{})
	if testenv.ErrorCode(err) != "InvalidClientTokenId" {
		t.Fatalf("an unknown key: %v", err)
	}
	var refusal map[string]any
	for deadline := time.Now().Add(5 * time.Second); refusal == nil && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("a log line is not JSON: %q", line)
			}
			if strings.Count(line, `"msg":`) != 1 {
				t.Fatalf("a log line has the key msg %d times: %s", strings.Count(line, `"msg":`), line)
			}
			if m["msg"] == "request refused" {
				refusal = m
			}
		}
	}
	if refusal == nil || refusal["level"] != "INFO" || refusal["access_key_id"] != keyID || refusal["code"] != "InvalidClientTokenId" || refusal["request_id"] == "" || refusal["request_id"] == nil ||
		refusal["message"] != "The security token included in the request is invalid." {
		t.Fatalf("refusal line %v, want level INFO, the request ID and access_key_id %s\n%s", refusal, keyID, logs.String())
	}
	if strings.Contains(logs.String(), secret) {
		t.Fatalf("the log holds the secret:\n%s", logs.String())
	}

	// --log-level warn, in-process: no Info line, not even the start's.
	warnLogs := &testenv.SyncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	served := make(chan error, 1)
	opt := serveOptions{listen: "127.0.0.1:0", dataDir: t.TempDir(), ready: func(a string) { ready <- a }}
	if err := opt.log.level.Set("warn"); err != nil {
		t.Fatal(err)
	}
	go func() { served <- runServe(ctx, opt, warnLogs) }()
	select {
	case a := <-ready:
		resp, err := http.Post("http://"+a+"/", "application/x-www-form-urlencoded", strings.NewReader("Action=ListRoles"))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	case err := <-served:
		t.Fatalf("serve exited: %v\n%s", err, warnLogs.String())
	}
	cancel()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	if strings.Contains(warnLogs.String(), "level=INFO") {
		t.Fatalf("--log-level warn wrote Info lines:\n%s", warnLogs.String())
	}
}
