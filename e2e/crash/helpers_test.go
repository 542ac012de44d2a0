// Package crash tests what survives an `assumed serve` killed mid-write,
// on each store (the data dir's SQLite and PostgreSQL), and measures IAM
// write throughput on both. Each test runs the real binary, built once per
// test run, and talks to it through the AWS SDK for Go v2 over loopback.
package crash

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/assumed-dev/assumed/internal/store/postgres/pgtest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// assumedBin builds cmd/assumed once per test binary and returns its path.
func assumedBin(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		goBin, err := exec.LookPath("go")
		if err != nil {
			buildErr = fmt.Errorf("go is not on PATH: %w", err)
			return
		}
		if buildDir, buildErr = os.MkdirTemp("", "assumed-crash-"); buildErr != nil {
			return
		}
		binPath = filepath.Join(buildDir, "assumed")
		out, err := exec.Command(goBin, "build", "-o", binPath, "github.com/assumed-dev/assumed/cmd/assumed").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/assumed: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return binPath
}

// server is a running `assumed serve` process.
type server struct {
	tb      testing.TB
	cmd     *exec.Cmd
	done    chan struct{} // closed when the process has exited
	URL     string
	dataDir string
	store   string
	logPath string
	keyID   string // the default account's root access key
	secret  string
	// transport is this server's clients' own: no connection of a killed
	// server is ever reused for another.
	transport *http.Transport
}

// startServer runs `assumed serve` on dataDir and store ("" for SQLite)
// at a free loopback port, and waits until it is healthy. It is killed
// when the test ends, if it still runs.
func startServer(tb testing.TB, dataDir, store string) *server {
	tb.Helper()
	s := &server{tb: tb, dataDir: dataDir, store: store, done: make(chan struct{}),
		transport: &http.Transport{MaxIdleConns: 128, MaxIdleConnsPerHost: 128, IdleConnTimeout: time.Minute}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s.URL = "http://" + addr
	s.logPath = filepath.Join(dataDir+"-logs", fmt.Sprintf("serve-%d.log", time.Now().UnixNano()))
	if err := os.MkdirAll(filepath.Dir(s.logPath), 0o700); err != nil {
		tb.Fatal(err)
	}
	logFile, err := os.Create(s.logPath)
	if err != nil {
		tb.Fatal(err)
	}
	args := []string{"serve", "--listen", addr, "--data-dir", dataDir, "--log-level", "warn"}
	if store != "" {
		args = append(args, "--store", store)
	}
	s.cmd = exec.Command(assumedBin(tb), args...)
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if err := s.cmd.Start(); err != nil {
		logFile.Close()
		tb.Fatalf("start assumed serve: %v", err)
	}
	go func() {
		s.cmd.Wait()
		logFile.Close()
		close(s.done)
	}()
	tb.Cleanup(func() { s.kill() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-s.done:
			tb.Fatalf("assumed serve exited on start:\n%s", s.logs())
		default:
		}
		resp, err := http.Get(s.URL + "/_assumed/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("assumed serve was not healthy within a minute:\n%s", s.logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.keyID, s.secret = rootKey(tb, filepath.Join(dataDir, "credentials"), "default")
	return s
}

// kill SIGKILLs the server and waits for it to be gone.
func (s *server) kill() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
	s.transport.CloseIdleConnections()
}

// pid is the server's process ID.
func (s *server) pid() int { return s.cmd.Process.Pid }

func (s *server) logs() string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// iam returns an IAM client of the default account's root user, with
// retries off (one call, one request: an answer is the server's answer to
// that call) and a bounded wait.
func (s *server) iam() *iam.Client {
	return iam.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(s.keyID, s.secret, ""),
		BaseEndpoint: aws.String(s.URL),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
		HTTPClient:   &http.Client{Timeout: 30 * time.Second, Transport: s.transport},
	})
}

// reader returns an IAM client like iam's but with the SDK's standard
// retries, for the reads that check the state.
func (s *server) reader() *iam.Client {
	return iam.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(s.keyID, s.secret, ""),
		BaseEndpoint: aws.String(s.URL),
		HTTPClient:   &http.Client{Timeout: 30 * time.Second, Transport: s.transport},
	})
}

// rootKey reads a profile's access key from the credentials file the
// server wrote.
func rootKey(tb testing.TB, path, profile string) (id, secret string) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatalf("read the credentials file: %v", err)
	}
	defer f.Close()
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			section = strings.Trim(line, "[]")
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || section != profile {
			continue
		}
		switch strings.TrimSpace(k) {
		case "aws_access_key_id":
			id = strings.TrimSpace(v)
		case "aws_secret_access_key":
			secret = strings.TrimSpace(v)
		}
	}
	if id == "" || secret == "" {
		tb.Fatalf("no key for profile %s in %s", profile, path)
	}
	return id, secret
}

// cpuTicks returns a process's user + system CPU time in clock ticks
// (/proc/PID/stat fields 14 and 15; with children also the reaped
// children's, 16 and 17).
func cpuTicks(pid int, children bool) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	// fields[0] is field 3 (state): field N is fields[N-3].
	var sum int64
	last := 15
	if children {
		last = 17
	}
	for n := 14; n <= last; n++ {
		v, err := strconv.ParseInt(fields[n-3], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat field %d: %w", pid, n, err)
		}
		sum += v
	}
	return sum, nil
}

// treeTicks returns the CPU ticks of a process (with its reaped
// children) and of its live children: a PostgreSQL server's postmaster
// and backends.
func treeTicks(pid int) (int64, error) {
	total, err := cpuTicks(pid, true)
	if err != nil {
		return 0, err
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", child))
		if err != nil {
			continue
		}
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if len(fields) < 2 || fields[1] != strconv.Itoa(pid) { // field 4: the parent's PID
			continue
		}
		if t, err := cpuTicks(child, true); err == nil {
			total += t
		}
	}
	return total, nil
}

// clockTick is the length of a clock tick: Linux reports CPU times in
// USER_HZ, 100 a second on every architecture Go supports.
const clockTick = 10 * time.Millisecond

// storeKinds are the stores the tests run on: SQLite always, PostgreSQL
// where pgtest can have a database (skipped loudly elsewhere).
func storeKinds() []string { return []string{"sqlite", "postgres"} }

// storeFor returns the --store value of a kind for tb ("" for SQLite).
func storeFor(tb testing.TB, kind string) string {
	tb.Helper()
	if kind == "postgres" {
		return pgtest.URL(tb)
	}
	return ""
}

// shortCtx is a context for one verification call.
func shortCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

// runServe runs `assumed serve` with args, expecting it to exit (it is
// killed after 30 s), and returns its output.
func runServe(bin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, append([]string{"serve"}, args...)...).CombinedOutput()
	return string(out), err
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
