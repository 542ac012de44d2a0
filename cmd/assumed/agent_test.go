package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// agentTRun runs `assumed ARGS` in-process.
func agentTRun(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestAgentCommandFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"agent"}, "--cluster is required"},
		{[]string{"agent", "--listen", "127.0.0.1:0"}, "--cluster is required"},
		{[]string{"agent", "--cluster", "bad/name"}, "not a valid cluster name"},
		{[]string{"agent", "--cluster", "-x"}, "not a valid cluster name"},
		{[]string{"agent", "--cluster", strings.Repeat("c", 101)}, "not a valid cluster name"},
		{[]string{"agent", "--cluster", "prod", "--listen", "no-port"}, "--listen"},
		{[]string{"agent", "--cluster", "prod", "extra"}, "accepts 0 arg"},
		{[]string{"agent", "--cluster", "prod", "--no-such-flag"}, "unknown flag"},
		{[]string{"agent", "--cluster", "prod", "--rate-limit", "fast"}, "invalid argument"},
	} {
		code, stdout, stderr := agentTRun(c.args...)
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, c.want) {
			t.Errorf("assumed %v: exit %d, stdout %q, stderr %q; want exit 2 and %q", c.args, code, stdout, stderr, c.want)
		}
	}
	code, stdout, _ := agentTRun("agent", "--help")
	if code != exitOK || !strings.Contains(stdout, "--cluster") || !strings.Contains(stdout, "169.254.170.23") {
		t.Errorf("agent --help: exit %d\n%s", code, stdout)
	}
}

// TestAgentCommandServes runs the agent in-process against an EKS Auth
// endpoint that refuses connections: it serves its probes, answers
// credential requests with errors, and stops when its context ends.
func TestAgentCommandServes(t *testing.T) {
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EKS_AUTH", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAAGENTCMDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "node-secret")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var stdout bytes.Buffer
	logs := &testenv.SyncBuffer{}
	opt := agentOptions{cluster: "prod", listen: "127.0.0.1:0", rateLimit: 10, burst: 10, ready: func(a string) { ready <- a }}
	opt.client.endpoint = "http://127.0.0.1:1" // nothing listens there
	opt.client.region = "us-east-1"
	go func() { done <- runAgent(ctx, opt, streams{in: strings.NewReader(""), out: &stdout, err: logs}) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("agent exited early: %v\n%s", err, logs.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("agent did not become ready\n%s", logs.String())
	}
	base := "http://" + addr
	if !strings.Contains(stdout.String(), base+"/v1/credentials") {
		t.Errorf("stdout %q does not name %s/v1/credentials", stdout.String(), base)
	}

	get := func(path, auth string) (int, map[string]string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("GET %s: %d %s is not a JSON object", path, resp.StatusCode, b)
		}
		return resp.StatusCode, m
	}
	if code, _ := get("/healthz", ""); code != http.StatusOK {
		t.Errorf("/healthz: %d", code)
	}
	// Not ready: EKS Auth cannot be reached.
	if code, m := get("/readyz", ""); code != http.StatusServiceUnavailable || m["code"] != "NotReady" || !strings.Contains(m["message"], "EKS Auth is unreachable") || !strings.Contains(m["message"], "connection refused") {
		t.Errorf("/readyz with EKS Auth unreachable: %d %v", code, m)
	}
	if code, m := get("/v1/credentials", ""); code != http.StatusBadRequest || m["code"] != "InvalidRequestException" {
		t.Errorf("no token: %d %v", code, m)
	}
	enc := base64.RawURLEncoding.EncodeToString
	payload, _ := json.Marshal(map[string]any{"sub": "system:serviceaccount:default:app", "exp": time.Now().Add(time.Hour).Unix()})
	token := enc([]byte(`{"alg":"RS256"}`)) + "." + enc(payload) + "." + enc([]byte("sig"))
	if code, m := get("/v1/credentials", token); code != http.StatusServiceUnavailable || m["code"] != "ServiceUnavailable" {
		t.Errorf("EKS Auth unreachable: %d %v", code, m)
	}
	if strings.Contains(logs.String(), token) || strings.Contains(logs.String(), "node-secret") {
		t.Errorf("the log holds a secret:\n%s", logs.String())
	}
	// The failure's log line says each thing once.
	var failed string
	for line := range strings.SplitSeq(logs.String(), "\n") {
		if strings.Contains(line, `msg="EKS Auth call failed"`) {
			failed = line
		}
	}
	for _, once := range []string{"ServiceUnavailable", "EKS Auth is unreachable", "/clusters/prod/assume-role-for-pod-identity", "connection refused"} {
		if n := strings.Count(failed, once); n != 1 {
			t.Errorf("the failure's log line says %q %d times, want once:\n%s", once, n, failed)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("agent: %v\n%s", err, logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("agent did not stop")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("still serving after stop")
	}
}

// TestAgentCommandReadiness runs the agent against a real server behind a
// proxy: /readyz answers 200 while the server can be reached and 503 once
// it cannot, as /v1/credentials then fails.
func TestAgentCommandReadiness(t *testing.T) {
	env := testenv.Start(t, nil)
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EKS_AUTH", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	id, secret := env.RootKey(testenv.AccountA)
	t.Setenv("AWS_ACCESS_KEY_ID", id)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))

	target, err := url.Parse(env.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httptest.NewServer(httputil.NewSingleHostReverseProxy(target))
	defer proxy.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	logs := &testenv.SyncBuffer{}
	opt := agentOptions{cluster: "prod", listen: "127.0.0.1:0", probeInterval: 50 * time.Millisecond, ready: func(a string) { ready <- a }}
	opt.client.endpoint = proxy.URL
	go func() { done <- runAgent(ctx, opt, streams{in: strings.NewReader(""), out: io.Discard, err: logs}) }()
	var base string
	select {
	case a := <-ready:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("agent exited early: %v\n%s", err, logs.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("agent did not become ready\n%s", logs.String())
	}
	readyz := func() int {
		t.Helper()
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := readyz(); code != http.StatusOK {
		t.Fatalf("/readyz with the server reachable: %d\n%s", code, logs.String())
	}
	proxy.Close()
	time.Sleep(100 * time.Millisecond) // past the probe interval
	if code := readyz(); code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with the server gone: %d\n%s", code, logs.String())
	}
	if !strings.Contains(logs.String(), "cannot reach EKS Auth") {
		t.Errorf("the agent did not log that EKS Auth is unreachable:\n%s", logs.String())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("agent: %v\n%s", err, logs.String())
	}
}
