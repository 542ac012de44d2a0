package backend

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The helper process of TestMotoDiesWithAssumed: it starts moto, prints
// its PID and waits to be killed.
func TestMain(m *testing.M) {
	if os.Getenv("ASSUMED_BACKEND_HELPER") == "1" {
		b, err := Start(context.Background(), "moto", nil)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("pid", b.PID())
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func needMoto(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("moto_server"); err != nil {
		t.Skip("SKIPPED: moto_server is not on PATH (pip install 'moto[server]'); the moto backend is not tested")
	}
}

// alive reports whether a process with pid exists (and is not a zombie
// left for its parent to reap).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	// pid (comm) STATE …
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] != 'Z'
}

func waitGone(t *testing.T, pid int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("moto_server (pid %d) is still running %s later", pid, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestStartMotoAndClose(t *testing.T) {
	needMoto(t)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b, err := Start(context.Background(), "moto", log)
	if err != nil {
		t.Fatal(err)
	}
	if b.Kind != Moto || b.URL.Scheme != "http" || !strings.HasPrefix(b.URL.Host, "127.0.0.1:") || b.PID() == 0 {
		t.Fatalf("backend %s, pid %d", b, b.PID())
	}
	resp, err := http.Get(b.URL.String() + "/moto-api/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("moto answered %d", resp.StatusCode)
	}
	if c := b.Credentials("111111111111"); c.AccessKeyID != MotoAccessKeyID {
		t.Errorf("moto credentials %+v", c)
	}
	h := http.Header{}
	b.SetAccount(h, "111111111111")
	if h.Get(AccountHeader) != "111111111111" {
		t.Errorf("account header %v", h)
	}
	pid := b.PID()
	start := time.Now()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("moto_server stopped in %s", time.Since(start))
	select {
	case <-b.Done():
	default:
		t.Fatal("Done is not closed after Close")
	}
	waitGone(t, pid, 2*time.Second)
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if !strings.Contains(logs.String(), "moto_server") || strings.Contains(logs.String(), "exited on its own") {
		t.Errorf("log:\n%s", logs.String())
	}
}

func TestMotoStopsWithContext(t *testing.T) {
	needMoto(t)
	ctx, cancel := context.WithCancel(context.Background())
	b, err := Start(ctx, "moto", nil)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-b.Done():
	case <-time.After(stopGrace + 5*time.Second):
		t.Fatal("moto_server did not stop when the context ended")
	}
	waitGone(t, b.PID(), 2*time.Second)
}

// TestMotoDiesWithAssumed kills (SIGKILL, no chance to clean up) a process
// that started moto: the kernel must take moto down with it.
func TestMotoDiesWithAssumed(t *testing.T) {
	needMoto(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "ASSUMED_BACKEND_HELPER=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var line string
	buf := make([]byte, 256)
	for !strings.Contains(line, "\n") {
		n, err := out.Read(buf)
		line += string(buf[:n])
		if err != nil {
			break
		}
	}
	var pid int
	if _, err := fmt.Sscanf(line, "pid %d", &pid); err != nil {
		t.Fatalf("helper said %q", line)
	}
	if !alive(pid) {
		t.Fatalf("moto_server %d is not running", pid)
	}
	cmd.Process.Kill()
	cmd.Wait()
	waitGone(t, pid, 5*time.Second)
}

func TestStartMotoMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Start(context.Background(), "moto", nil)
	if err == nil || !strings.Contains(err.Error(), "pip install 'moto[server]'") {
		t.Fatalf("error %v, want one saying how to install moto_server", err)
	}
}

// TestStartMotoFailing: a moto_server that exits at once is reported with
// its output, not waited for until the timeout.
func TestStartMotoFailing(t *testing.T) {
	dir := t.TempDir()
	script := "#!/bin/sh\necho 'ImportError: no module named werkzeug' >&2\nexit 3\n"
	if err := os.WriteFile(dir+"/moto_server", []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	start := time.Now()
	_, err := Start(context.Background(), "moto", nil)
	if err == nil || !errors.Is(err, errNotReady) || !strings.Contains(err.Error(), "ImportError: no module named werkzeug") {
		t.Fatalf("error %v", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("took %s to notice", time.Since(start))
	}
}

func TestStartURL(t *testing.T) {
	localstack := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/_localstack/health" {
			w.Write([]byte(`{"services":{"s3":"running"}}`))
			return
		}
		http.NotFound(w, r)
	}))
	defer localstack.Close()
	other := httptest.NewServer(http.NotFoundHandler())
	defer other.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()

	cases := []struct {
		url  string
		kind Kind
		warn bool
	}{
		{localstack.URL, LocalStack, false},
		{other.URL + "/", Generic, false},
		{down.URL, Generic, true},
	}
	if _, err := exec.LookPath("moto_server"); err == nil {
		m, err := Start(context.Background(), "moto", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		cases = append(cases, struct {
			url  string
			kind Kind
			warn bool
		}{m.URL.String(), Moto, false})
	}
	for _, c := range cases {
		var logs bytes.Buffer
		b, err := Start(context.Background(), c.url, slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil {
			t.Fatalf("%s: %v", c.url, err)
		}
		if b.Kind != c.kind || b.URL.String() != strings.TrimSuffix(c.url, "/") || b.PID() != 0 || b.Done() != nil || b.Close() != nil {
			t.Errorf("%s: %s", c.url, b)
		}
		if warned := strings.Contains(logs.String(), "level=WARN"); warned != c.warn {
			t.Errorf("%s: warned %v, want %v: %s", c.url, warned, c.warn, logs.String())
		}
	}
	// LocalStack takes the account as the access key.
	b := &Backend{Kind: LocalStack}
	h := http.Header{}
	b.SetAccount(h, "222222222222")
	if c := b.Credentials("222222222222"); c.AccessKeyID != "222222222222" || len(h) != 0 {
		t.Errorf("LocalStack: %+v, %v", c, h)
	}
}

func TestStartBadSpec(t *testing.T) {
	for _, spec := range []string{"", "localstack", "ftp://x", "http://", "http://h:1/path", "http://u@h:1", "http://h:1/?a=b"} {
		if _, err := Start(context.Background(), spec, nil); err == nil {
			t.Errorf("%q: no error", spec)
		}
	}
}
