package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestClientCommandsWithoutCredentials runs the client commands with no
// credentials at all (no profile, no keys, no shared files) and an EC2
// instance metadata endpoint that never answers: each fails at once,
// saying what to pass, without asking IMDS.
func TestClientCommandsWithoutCredentials(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	imds, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer imds.Close()
	var asked atomic.Int64
	go func() {
		for {
			c, err := imds.Accept()
			if err != nil {
				return
			}
			asked.Add(1)
			t.Cleanup(func() { c.Close() }) // never answered
		}
	}()
	home := t.TempDir()
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"AWS_ENDPOINT_URL=http://127.0.0.1:1",
		"AWS_EC2_METADATA_SERVICE_ENDPOINT=http://" + imds.Addr().String(),
		"AWS_CONFIG_FILE=" + filepath.Join(home, "no-config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "no-credentials"),
	}
	for _, args := range [][]string{
		{"token", "--cluster", "demo", "--namespace", "default", "--service-account", "app"},
		{"cluster", "rotate-signing-key", "demo"},
		{"agent", "--cluster", "prod", "--listen", "127.0.0.1:0"},
	} {
		var stdout, stderr bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = env
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		start := time.Now()
		err := cmd.Run()
		took := time.Since(start)
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != exitUsage {
			t.Errorf("assumed %v: %v, want exit 2\n%s", args, err, stderr.String())
		}
		msg := stderr.String()
		for _, want := range []string{"assumed: no AWS credentials: pass --profile NAME", "AWS_SHARED_CREDENTIALS_FILE=DATA-DIR/credentials", "AWS_ACCESS_KEY_ID"} {
			if !strings.Contains(msg, want) {
				t.Errorf("assumed %v: stderr lacks %q:\n%s", args, want, msg)
			}
		}
		if strings.Contains(msg, "IMDS") || strings.Contains(msg, "--help") {
			t.Errorf("assumed %v: stderr speaks of IMDS or --help:\n%s", args, msg)
		}
		if took > 5*time.Second {
			t.Errorf("assumed %v took %v", args, took)
		}
	}
	if n := asked.Load(); n != 0 {
		t.Errorf("IMDS was asked %d times", n)
	}
}
