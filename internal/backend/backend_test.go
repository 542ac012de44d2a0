package backend

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The helper process of TestMotoDiesWithAssumed: it starts moto, prints
// its PID and socket and waits to be killed.
func TestMain(m *testing.M) {
	if os.Getenv("ASSUMED_BACKEND_HELPER") == "1" {
		b, err := Start(context.Background(), "moto", nil)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("pid", b.PID(), b.Socket)
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
	if b.Kind != Moto || b.URL.String() != "http://localhost" || b.Socket == "" || b.PID() == 0 {
		t.Fatalf("backend %s, URL %s, pid %d", b, b.URL, b.PID())
	}
	if status := get(t, b, "/moto-api/"); status != http.StatusOK {
		t.Fatalf("moto answered %d", status)
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
	if !strings.Contains(logs.String(), "moto_server is up") || !strings.Contains(logs.String(), "socket="+b.Socket) || strings.Contains(logs.String(), "exited on its own") {
		t.Errorf("log:\n%s", logs.String())
	}
}

// get sends GET path to b through its transport and returns the status.
func get(t *testing.T, b *Backend, path string) int {
	t.Helper()
	client := &http.Client{Transport: b.Transport(), Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	resp, err := client.Get(b.URL.String() + path)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestMotoOnPrivateSocket: the moto_server Start starts listens on a Unix
// socket in a directory only this user may enter, which Close removes, and
// on no TCP port.
func TestMotoOnPrivateSocket(t *testing.T) {
	needMoto(t)
	b, err := Start(context.Background(), "moto", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if filepath.Base(b.Socket) != "moto.sock" || !filepath.IsAbs(b.Socket) || !strings.HasPrefix(filepath.Base(filepath.Dir(b.Socket)), "assumed-moto-") {
		t.Fatalf("socket %q", b.Socket)
	}
	if b.String() != "moto at unix://"+b.Socket || b.Addr() != "unix://"+b.Socket {
		t.Errorf("String %q, Addr %q", b, b.Addr())
	}
	dir := filepath.Dir(b.Socket)
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 || !fi.IsDir() {
		t.Errorf("socket directory %s: mode %s, want drwx------", dir, fi.Mode())
	}
	fi, err = os.Stat(b.Socket)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != os.ModeSocket {
		t.Errorf("%s: mode %s, not a socket", b.Socket, fi.Mode())
	}
	// It answers on the socket, by name, dialed directly.
	conn, err := net.DialTimeout("unix", b.Socket, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	// No TCP port: the URL names none, and moto holds no TCP listener.
	if b.URL.Port() != "" || b.URL.Hostname() != "localhost" {
		t.Errorf("URL %s names a TCP address", b.URL)
	}
	if ports := tcpListeners(t, b.PID()); len(ports) != 0 {
		t.Errorf("moto_server (pid %d) listens on TCP: %v", b.PID(), ports)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket directory %s after Close: %v", dir, err)
	}
}

// tcpListeners returns the local addresses (hex, as /proc has them) of the
// TCP sockets pid listens on; it skips the test where /proc cannot say.
func tcpListeners(t *testing.T, pid int) []string {
	t.Helper()
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Skipf("SKIPPED: the TCP listener check needs /proc: %v", err)
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(link, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	if len(inodes) == 0 {
		t.Fatalf("moto_server (pid %d) has no sockets open", pid)
	}
	var listening []string
	for _, table := range []string{"tcp", "tcp6"} {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			f := strings.Fields(line)
			if len(f) > 9 && f[3] == "0A" && inodes[f[9]] { // 0A: LISTEN
				listening = append(listening, table+" "+f[1])
			}
		}
	}
	return listening
}

// TestStartSocket: unix:///PATH names a moto_server already listening on a
// Unix socket; it is probed through the socket.
func TestStartSocket(t *testing.T) {
	needMoto(t)
	sock := filepath.Join(t.TempDir(), "m.sock")
	if len(sock) > maxSocketPath {
		t.Skipf("SKIPPED: the test's socket path %s is too long for a Unix socket", sock)
	}
	cmd := exec.Command("moto_server", "-H", "unix://"+sock)
	cmd.Env = motoEnv(os.Environ())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	spec := "unix://" + sock
	deadline := time.Now().Add(startTimeout)
	var b *Backend
	for {
		var logs bytes.Buffer
		var err error
		b, err = Start(context.Background(), spec, slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		if b.Kind == Moto {
			if strings.Contains(logs.String(), "level=WARN") {
				t.Errorf("warned: %s", logs.String())
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is %s, not moto; log: %s; moto_server's output:\n%s", spec, b.Kind, logs.String(), out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if b.Socket != sock || b.URL.String() != "http://localhost" || b.Addr() != spec || b.PID() != 0 || b.Done() != nil {
		t.Errorf("backend %s: socket %q, URL %s, pid %d", b, b.Socket, b.URL, b.PID())
	}
	if status := get(t, b, "/moto-api/"); status != http.StatusOK {
		t.Errorf("GET /moto-api/ through the socket: %d", status)
	}
	// Dialed by the transport whatever the URL's host says.
	conn, err := b.DialContext(context.Background(), "tcp", "192.0.2.1:9")
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	// Close leaves a moto_server started elsewhere, and its socket, alone.
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(sock); err != nil {
		t.Errorf("after Close: %v", err)
	}
}

// TestStartSocketDown: a unix:// backend that is not there yet is a
// generic one, with a warning, as a URL that does not answer is.
func TestStartSocketDown(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "none.sock")
	var logs bytes.Buffer
	b, err := Start(context.Background(), "unix://"+sock, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if b.Kind != Generic || b.Socket != sock || !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), sock) {
		t.Errorf("backend %s; log: %s", b, logs.String())
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
	var sock string
	if _, err := fmt.Sscanf(line, "pid %d %s", &pid, &sock); err != nil || !filepath.IsAbs(sock) {
		t.Fatalf("helper said %q", line)
	}
	// Killed, the helper leaves the socket's directory behind.
	defer os.RemoveAll(filepath.Dir(sock))
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
// its output, not waited for until the timeout, and leaves no socket
// directory behind.
func TestStartMotoFailing(t *testing.T) {
	dir := t.TempDir()
	script := "#!/bin/sh\necho 'ImportError: no module named werkzeug' >&2\nexit 3\n"
	if err := os.WriteFile(dir+"/moto_server", []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	start := time.Now()
	_, err := Start(context.Background(), "moto", nil)
	if err == nil || !errors.Is(err, errNotReady) || !strings.Contains(err.Error(), "ImportError: no module named werkzeug") {
		t.Fatalf("error %v", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("took %s to notice", time.Since(start))
	}
	// The socket's directory goes with the failed start.
	if left, err := os.ReadDir(tmp); err != nil || len(left) != 0 {
		t.Errorf("left in TMPDIR: %v %v", left, err)
	}
}

// TestStartMotoLongTMPDIR: a socket path too long for a Unix socket is
// refused before moto_server starts, saying what to change.
func TestStartMotoLongTMPDIR(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/moto_server", []byte("#!/bin/sh\nexit 3\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	tmp := filepath.Join(t.TempDir(), strings.Repeat("t", maxSocketPath))
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", tmp)
	_, err := Start(context.Background(), "moto", nil)
	if err == nil || errors.Is(err, errNotReady) || !strings.Contains(err.Error(), "TMPDIR") {
		t.Fatalf("error %v", err)
	}
	if left, err := os.ReadDir(tmp); err != nil || len(left) != 0 {
		t.Errorf("left in TMPDIR: %v %v", left, err)
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
		}{m.Addr(), Moto, false})
	}
	for _, c := range cases {
		var logs bytes.Buffer
		b, err := Start(context.Background(), c.url, slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil {
			t.Fatalf("%s: %v", c.url, err)
		}
		if b.Kind != c.kind || b.Addr() != strings.TrimSuffix(c.url, "/") || b.PID() != 0 || b.Done() != nil || b.Close() != nil {
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
	for _, spec := range []string{"", "localstack", "ftp://x", "http://", "http://h:1/path", "http://u@h:1", "http://h:1/?a=b",
		"unix://", "unix://relative", "unix://relative/m.sock", "unix:///", "unix:///tmp/", "unix:///p?x=1", "unix:///p#f",
		"unix:///" + strings.Repeat("d", maxSocketPath), "unix:/p", "UNIX:///p"} {
		if _, err := Start(context.Background(), spec, nil); err == nil {
			t.Errorf("%q: no error", spec)
		}
	}
}
