// Package kit is what the end-to-end test packages (e2e and e2e/tf)
// share: building the assumed command, the environment their clients run
// in, and running a client under a deadline that takes the client's whole
// process group down with it.
package kit

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// WaitDelay is how long Wait waits, once a Command's context is done and
// its process group killed, for the output pipes to close before it gives
// up on them.
const WaitDelay = 5 * time.Second

// BuildAssumed builds the assumed command (for `assumed token` and
// `assumed agent`) into a temporary directory of t and returns its path.
func BuildAssumed(t testing.TB) string {
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

// CleanEnv is this process's environment without the variables whose
// NAME=VALUE starts with one of prefixes ("AWS_", "HOME=").
func CleanEnv(prefixes ...string) []string {
	var env []string
next:
	for _, kv := range os.Environ() {
		for _, p := range prefixes {
			if strings.HasPrefix(kv, p) {
				continue next
			}
		}
		env = append(env, kv)
	}
	return env
}

// Command is exec.CommandContext for a client that starts children of its
// own (terraform and its provider plugins): the command runs in a process
// group of its own, and when ctx is done the whole group is killed, not
// just the command; Wait then waits at most WaitDelay for the output. On
// Linux the kernel also kills the command if the test binary dies first
// (go test's -timeout), so that no client outlives its test.
func Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = sysProcAttr()
	cmd.Cancel = func() error { return killGroup(cmd.Process) }
	cmd.WaitDelay = WaitDelay
	return cmd
}

// Tail is the last n lines of s.
func Tail(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "")
}
