package main

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// serveProcess is a running `assumed serve` process.
type serveProcess struct {
	cmd  *exec.Cmd
	logs *testenv.SyncBuffer
	done chan error
	addr string
	// metricsAddr is where metrics are served (addr, or the address of
	// --metrics-listen).
	metricsAddr string
}

// startServeProcess runs `assumed serve` from the binary bin on dataDir
// and a free port, and returns once the process exits or says it is
// serving (addr is empty if it exited). The process is killed when the
// test ends if it is still running. extra are more flags.
func startServeProcess(t *testing.T, bin, dataDir string, extra ...string) *serveProcess {
	t.Helper()
	p := &serveProcess{logs: &testenv.SyncBuffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(bin, append([]string{"serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir}, extra...)...)
	p.cmd.Stderr = p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	deadline := time.After(20 * time.Second)
	for {
		if _, after, ok := strings.Cut(p.logs.String(), `"assumed is serving" addr=`); ok {
			p.addr = strings.Fields(after)[0]
			if _, m, ok := strings.Cut(after, "metrics_addr="); ok {
				p.metricsAddr = strings.Fields(m)[0]
			}
			return p
		}
		select {
		case err := <-p.done:
			p.done <- err // for wait
			return p
		case <-deadline:
			t.Fatalf("assumed serve neither served nor exited in 20 s:\n%s", p.logs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// wait waits for the process to exit and returns its exit code.
func (p *serveProcess) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		t.Fatalf("assumed serve still running after 15 s:\n%s", p.logs.String())
	}
	return p.cmd.ProcessState.ExitCode()
}

// stop stops the process with SIGTERM and checks that it exits 0.
func (p *serveProcess) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit code %d after SIGTERM:\n%s", code, p.logs.String())
	}
}

func (p *serveProcess) healthy(t *testing.T) {
	t.Helper()
	resp, err := http.Get("http://" + p.addr + "/_assumed/health")
	if err != nil {
		t.Fatalf("health: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("health: %s", resp.Status)
	}
}

// TestServeOneProcessPerDataDir runs the real binary twice on one data
// dir: the second refuses to start, naming the first's PID, and the first
// keeps serving. After the first stops, a new one starts; after that one
// is killed (no chance to clean up), the kernel has released its lock and
// yet another starts.
func TestServeOneProcessPerDataDir(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	dataDir := filepath.Join(t.TempDir(), "data")

	first := startServeProcess(t, bin, dataDir)
	if first.addr == "" {
		t.Fatalf("the first server did not start:\n%s", first.logs.String())
	}
	pid := first.cmd.Process.Pid
	record, _ := os.ReadFile(filepath.Join(dataDir, "assumed.lock"))
	if !strings.HasPrefix(string(record), fmt.Sprintf("pid=%d\nhost=", pid)) {
		t.Fatalf("lock file:\n%s\nwant the first server's pid %d", record, pid)
	}

	start := time.Now()
	second := startServeProcess(t, bin, dataDir)
	if second.addr != "" {
		t.Fatalf("a second server started on the same data dir:\n%s", second.logs.String())
	}
	code := second.wait(t)
	host, _ := os.Hostname()
	want := fmt.Sprintf("assumed: data dir %s is in use by another assumed server (pid %d on host %s, started ", dataDir, pid, host)
	if code != exitFailure || !strings.HasPrefix(second.logs.String(), want) || strings.Contains(second.logs.String(), "--help") {
		t.Fatalf("second server: exit code %d, stderr:\n%s\nwant it to start %q", code, second.logs.String(), want)
	}
	t.Logf("refused in %v: %s", time.Since(start), second.logs.String())
	first.healthy(t)
	first.stop(t)

	third := startServeProcess(t, bin, dataDir)
	if third.addr == "" {
		t.Fatalf("no server started after the first stopped:\n%s", third.logs.String())
	}
	third.healthy(t)
	if err := third.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	third.wait(t)

	fourth := startServeProcess(t, bin, dataDir)
	if fourth.addr == "" {
		t.Fatalf("no server started after a killed one:\n%s", fourth.logs.String())
	}
	fourth.healthy(t)
	fourth.stop(t)
}

// TestServeMetricsListenFlag runs the binary with --metrics-listen:
// metrics answer on that listener and 404 on the API listener.
func TestServeMetricsListenFlag(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	p := startServeProcess(t, bin, filepath.Join(t.TempDir(), "data"), "--metrics-listen", "127.0.0.1:0")
	if p.addr == "" || p.metricsAddr == "" || p.metricsAddr == p.addr {
		t.Fatalf("serving at %q, metrics at %q:\n%s", p.addr, p.metricsAddr, p.logs.String())
	}
	get := func(addr string) int {
		resp, err := http.Get("http://" + addr + "/_assumed/metrics")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get(p.metricsAddr); code != http.StatusOK {
		t.Fatalf("metrics listener: %d", code)
	}
	if code := get(p.addr); code != http.StatusNotFound {
		t.Fatalf("API listener's metrics: %d, want 404", code)
	}
	p.stop(t)
}
