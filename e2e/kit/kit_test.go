//go:build linux

package kit

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A command whose context ends is killed with its children, which hold
// its output open, and Wait returns at once.
func TestCommandKillsTheGroup(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	pidFile := filepath.Join(t.TempDir(), "child")
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	// The child writes its PID once it runs, and keeps stdout open.
	cmd := Command(ctx, sh, "-c", `sh -c 'echo $$ > "$0.tmp" && mv "$0.tmp" "$0"; sleep 60' "$1" & sleep 60`, "sh", pidFile)
	var out strings.Builder
	cmd.Stdout = &out
	start := time.Now()
	err = cmd.Run()
	if took := time.Since(start); took > WaitDelay {
		t.Fatalf("Run returned after %s", took)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ctx.Err() == nil {
		t.Fatalf("Run: %v (context: %v); want the command killed at the deadline", err, ctx.Err())
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("the child did not start: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; {
		// Killed, the child is a zombie until init reaps it, or gone.
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil || strings.Contains(string(stat), ") Z ") {
			break
		}
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("the child %d outlived its command: %s", pid, stat)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCleanEnvAndTail(t *testing.T) {
	t.Setenv("AWS_KIT_TEST", "x")
	t.Setenv("KIT_TEST", "y")
	env := CleanEnv("AWS_", "HOME=")
	kept := false
	for _, kv := range env {
		if strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "HOME=") {
			t.Fatalf("CleanEnv kept %s", kv)
		}
		kept = kept || kv == "KIT_TEST=y"
	}
	if !kept {
		t.Fatalf("CleanEnv dropped KIT_TEST: %v", env)
	}
	if got := Tail("a\nb\nc\n", 2); got != "b\nc\n" {
		t.Fatalf("Tail: %q", got)
	}
	if got := Tail("a\nb", 5); got != "a\nb" {
		t.Fatalf("Tail: %q", got)
	}
}
