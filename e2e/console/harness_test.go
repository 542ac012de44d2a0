// Package console_test drives the web console in a headless Chromium:
// Node scripts (console/e2e/*.mjs, with playwright-core) load the console
// from a real assumed server, or from the console's own handler with a
// generated big graph, and check what a person would see.
package console_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chromiumPath is Debian's Chromium, which the scripts drive.
const chromiumPath = "/usr/bin/chromium"

// repoRoot is the repository's root, from this package's directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// requireBrowser returns node's path, skipping the test (loudly) unless
// node, console/node_modules/playwright-core and Chromium are here.
func requireBrowser(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("SKIPPED: node is not installed: the console's browser tests need Node.js")
	}
	pw := filepath.Join(repoRoot(t), "console", "node_modules", "playwright-core", "package.json")
	if _, err := os.Stat(pw); err != nil {
		t.Skip("SKIPPED: console/node_modules has no playwright-core: run `npm ci` in console/")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skip("SKIPPED: " + chromiumPath + " is missing: apt-get install chromium")
	}
	return node
}

// artifacts is where screenshots go: $ASSUMED_ARTIFACTS/NAME, else a
// temporary directory of the test.
func artifacts(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if base := os.Getenv("ASSUMED_ARTIFACTS"); base != "" {
		dir = filepath.Join(base, t.Name())
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// scriptResult is the last line a script prints: "RESULT {json}".
type scriptResult struct {
	OK          bool     `json:"ok"`
	Error       string   `json:"error"`
	Problems    []string `json:"problems"`
	Screenshots []string `json:"screenshots"`
}

// runScript runs console/e2e/NAME with env added, logs its screenshots
// and fails the test with the script's error; it returns every field of
// the result.
func runScript(t *testing.T, node, name string, env map[string]string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(repoRoot(t), "console", "e2e", name))
	cmd.Dir = filepath.Join(repoRoot(t), "console")
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromiumPath)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, runErr := cmd.Output()
	var res scriptResult
	var all map[string]any
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "RESULT "); ok {
			if err := json.Unmarshal([]byte(rest), &res); err != nil {
				t.Fatalf("%s: bad result line: %v\n%s", name, err, rest)
			}
			_ = json.Unmarshal([]byte(rest), &all)
		}
	}
	for _, s := range res.Screenshots {
		t.Logf("screenshot: %s", s)
	}
	if msg := strings.TrimSpace(stderr.String()); msg != "" && res.OK {
		t.Logf("%s says:\n%s", name, msg)
	}
	if !res.OK {
		t.Fatalf("%s failed (%v): %s\n%s\nstdout:\n%s\nstderr:\n%s", name, runErr, res.Error, strings.Join(res.Problems, "\n"), out, stderr.String())
	}
	if runErr != nil {
		t.Fatalf("%s: %v\nstderr:\n%s", name, runErr, stderr.String())
	}
	return all
}
