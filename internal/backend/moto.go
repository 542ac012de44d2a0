package backend

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Timings of moto_server's life. Vars, not consts, so that tests may
// shorten them.
var (
	// startTimeout bounds the wait for a started moto_server to answer.
	startTimeout = 60 * time.Second
	// stopGrace is how long a moto_server has to exit after SIGTERM
	// before it is killed.
	stopGrace = 5 * time.Second
)

// outputTail is how much of moto_server's latest output is kept, to show
// when it fails to start or exits on its own.
const outputTail = 8 << 10

// process is a moto_server child process.
type process struct {
	cmd  *exec.Cmd
	pid  int
	out  *tailWriter
	log  *slog.Logger
	done chan struct{} // closed once the process has been waited for
	err  error         // from Wait; read after done is closed

	mu       sync.Mutex
	stopping bool
}

// socketName is the name of moto_server's socket in its directory.
const socketName = "moto.sock"

// startMoto starts moto_server listening on a Unix socket, moto.sock in a
// directory of its own made with mode 0700 under the temporary directory,
// and waits until it answers. The directory is removed on Close, or at
// once if moto_server does not start. A socket rather than a loopback TCP
// port, because:
//
//   - no other local user or process can reach the backend directly,
//     bypassing assumed's authorization: only this user can enter the
//     directory (a loopback port is open to every local process);
//   - there is no race for a free port between choosing and binding it,
//     so nothing to retry;
//   - it is cheaper: moto's server (Werkzeug) closes every connection, so
//     each forwarded request dials anew, and a Unix socket measured about
//     7% less assumed CPU per forwarded request than TCP loopback.
//
// To reach this moto yourself, run moto_server on a port and pass
// --backend http://127.0.0.1:PORT instead, or use curl --unix-socket.
func startMoto(ctx context.Context, log *slog.Logger) (*Backend, error) {
	path, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, fmt.Errorf("--backend moto needs moto_server on PATH (install it with: pip install 'moto[server]'): %w", err)
	}
	dir, err := os.MkdirTemp("", "assumed-moto-") // mode 0700
	if err != nil {
		return nil, fmt.Errorf("make a directory for moto_server's socket: %w", err)
	}
	sock := filepath.Join(dir, socketName)
	if len(sock) > maxSocketPath {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("moto_server's socket path %s is longer than the %d bytes a Unix socket path may have: set TMPDIR to a shorter directory", sock, maxSocketPath)
	}
	b, err := startMotoOn(ctx, path, dir, log)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return b, nil
}

// startMotoOn starts moto_server at path on the socket socketName in dir
// and waits for it.
func startMotoOn(ctx context.Context, path, dir string, log *slog.Logger) (*Backend, error) {
	sock := filepath.Join(dir, socketName)
	p := &process{out: &tailWriter{log: log, max: outputTail}, log: log, done: make(chan struct{})}
	cmd := exec.Command(path, "-H", "unix://"+sock)
	cmd.Env = motoEnv(os.Environ())
	cmd.Stdout = p.out
	cmd.Stderr = p.out
	// Output pipes held open by a grandchild must not hold Wait forever.
	cmd.WaitDelay = 2 * time.Second
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	p.cmd, p.pid = cmd, cmd.Process.Pid
	go func() {
		p.err = cmd.Wait()
		p.out.flush()
		close(p.done)
		p.mu.Lock()
		stopping := p.stopping
		p.mu.Unlock()
		if !stopping {
			log.Error("moto_server exited on its own: forwarded requests will fail", "pid", p.pid, "err", p.err, "output", p.out.tail())
		}
	}()
	b := &Backend{URL: socketURL(), Socket: sock, Kind: Moto, proc: p, dir: dir}
	if err := p.waitReady(ctx, b); err != nil {
		p.stop()
		return nil, err
	}
	// Stop it when ctx ends, unless it has already ended.
	go func() {
		select {
		case <-ctx.Done():
			b.Close()
		case <-p.done:
		}
	}()
	log.Debug("moto_server is up", "pid", p.pid, "socket", sock)
	return b, nil
}

// motoEnv is this process's environment for moto_server, without the
// variables that would override what assumed tells it: MOTO_ACCOUNT_ID
// would put every request in one account whatever AccountHeader says, and
// MOTO_PORT would make it build URLs (SQS queue URLs) with another port.
func motoEnv(env []string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if strings.HasPrefix(kv, "MOTO_ACCOUNT_ID=") || strings.HasPrefix(kv, "MOTO_PORT=") || strings.HasPrefix(kv, "PYTHONUNBUFFERED=") {
			continue
		}
		out = append(out, kv)
	}
	return append(out, "PYTHONUNBUFFERED=1")
}

// waitReady polls b's /moto-api/ until it answers 200, the process
// exits, ctx ends or startTimeout passes.
func (p *process) waitReady(ctx context.Context, b *Backend) error {
	deadline := time.NewTimer(startTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	tr := b.Transport()
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.URL.String()+"/moto-api/", nil)
		if err != nil {
			return fmt.Errorf("%w: %w", errNotReady, err)
		}
		if resp, err := client.Do(req); err == nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("%w: it exited (%v) before answering at %s; its output:\n%s", errNotReady, p.err, b.Addr(), p.out.tail())
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", errNotReady, ctx.Err())
		case <-deadline.C:
			return fmt.Errorf("%w: no answer to GET /moto-api/ at %s within %s; its output:\n%s", errNotReady, b.Addr(), startTimeout, p.out.tail())
		case <-tick.C:
		}
	}
}

// stop sends SIGTERM to moto_server's process group, SIGKILL after
// stopGrace, and waits for it to exit.
func (p *process) stop() error {
	p.mu.Lock()
	p.stopping = true
	p.mu.Unlock()
	select {
	case <-p.done:
		return nil
	default:
	}
	if err := terminate(p.cmd.Process); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.log.Warn("signal moto_server to stop", "pid", p.pid, "err", err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(stopGrace):
	}
	p.log.Warn("moto_server did not stop in time: killing it", "pid", p.pid, "grace", stopGrace)
	if err := kill(p.cmd.Process); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill moto_server (pid %d): %w", p.pid, err)
	}
	<-p.done
	return nil
}

// tailWriter logs moto_server's output line by line at Debug and keeps
// its last max bytes.
type tailWriter struct {
	log *slog.Logger
	max int

	mu   sync.Mutex
	buf  []byte // the tail
	line []byte // a line not yet ended
}

// Write logs each complete line and keeps the tail.
func (t *tailWriter) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	t.line = append(t.line, b...)
	for {
		i := bytes.IndexByte(t.line, '\n')
		if i < 0 {
			break
		}
		t.emit(t.line[:i])
		t.line = t.line[i+1:]
	}
	if len(t.line) > t.max {
		t.emit(t.line)
		t.line = nil
	}
	return len(b), nil
}

func (t *tailWriter) emit(line []byte) {
	if !t.log.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	if l := bytes.TrimRight(line, "\r"); len(l) > 0 {
		t.log.Debug("moto_server", "out", string(l))
	}
}

// flush logs an unterminated last line.
func (t *tailWriter) flush() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.emit(t.line)
	t.line = nil
}

// tail returns the output kept.
func (t *tailWriter) tail() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.buf))
}
