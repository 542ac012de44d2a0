// Package pgtest gives tests a real, throw-away PostgreSQL database.
//
// URL returns the URL of a fresh, empty database for the calling test. The
// databases live on $ASSUMED_TEST_POSTGRES when it is set (a server URL
// whose role may CREATE DATABASE; each test's database is dropped when the
// test ends), else on one server that the test binary starts for itself
// the first time a test asks: initdb into a temporary directory, then
// postgres on 127.0.0.1 at a free port (and a Unix socket in that
// directory) with trust authentication. The binaries are found on PATH or
// under /usr/lib/postgresql/*/bin; as root they run as the postgres user
// (nobody without one), since PostgreSQL refuses to run as root. Without
// binaries the test is skipped with a WARNING.
//
// A package whose tests use it stops the server and removes its
// directory with a TestMain of
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// and even without one the server shuts down when the test binary exits
// (it is started with a parent-death signal), leaving only its directory,
// which the next test binary to start a server removes.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the environment variable of an existing server to use.
const EnvURL = "ASSUMED_TEST_POSTGRES"

var (
	once     sync.Once
	started  *server // the server this binary started, if any
	startErr error
	noBins   string // why there are no binaries: the test is skipped
	warnOnce sync.Once
	createMu sync.Mutex
)

// URL returns the URL (postgres://…) of a new, empty database for t.
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvURL)
	external := base != ""
	if !external {
		once.Do(func() { started, startErr = start() })
		if noBins != "" {
			warnOnce.Do(func() { fmt.Fprintf(os.Stderr, "WARNING: %s\n", noBins) })
			t.Skipf("WARNING: %s", noBins)
		}
		if startErr != nil {
			t.Fatalf("start a throw-away PostgreSQL: %v", startErr)
		}
		base = started.url
	}
	name := "t_" + randomHex(8)
	dbURL, err := createDatabase(base, name)
	if err != nil {
		t.Fatalf("create a test database on PostgreSQL: %v", err)
	}
	if external {
		t.Cleanup(func() {
			if err := dropDatabase(base, name); err != nil {
				t.Logf("drop test database %s: %v", name, err)
			}
		})
	}
	return dbURL
}

// Main runs the tests, then stops the server the binary started (if
// any) and removes its directory, and exits with the tests' code. Call
// it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop stops the server this test binary started, if any, and removes
// its directory. Later calls to URL fail.
func Stop() {
	once.Do(func() { startErr = errors.New("pgtest: stopped") })
	if started != nil {
		if err := started.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		}
		started = nil
		startErr = errors.New("pgtest: stopped")
	}
}

// ServerPID returns the process ID of the postmaster of the server this
// test binary started, or 0 (none started, or $ASSUMED_TEST_POSTGRES in
// use): benchmarks read its CPU time.
func ServerPID() int {
	if started == nil || started.proc == nil {
		return 0
	}
	return started.proc.Pid
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b)
}

func createDatabase(base, name string) (string, error) {
	createMu.Lock()
	defer createMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("%s: %w", EnvURL, err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

func dropDatabase(base, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	return err
}

// binDir returns the directory of the PostgreSQL server binaries (initdb
// and postgres): initdb's on PATH, else the newest
// /usr/lib/postgresql/VERSION/bin.
func binDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
			return dir, nil
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	var dirs []string
	for _, m := range matches {
		dir := filepath.Dir(m)
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
			dirs = append(dirs, dir)
		}
	}
	if len(dirs) == 0 {
		return "", errors.New("no PostgreSQL server binaries (initdb, postgres) on PATH or under /usr/lib/postgresql/*/bin: the PostgreSQL tests are skipped (apt-get install postgresql, or set " + EnvURL + " to a server URL)")
	}
	version := func(dir string) int {
		v, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
		return v
	}
	slices.SortFunc(dirs, func(a, b string) int { return version(b) - version(a) })
	return dirs[0], nil
}

// server is a PostgreSQL server this binary started.
type server struct {
	dir  string // its temporary directory: data/, the socket, log
	url  string // of its postgres database
	proc *os.Process
	done chan struct{} // closed when postgres has exited
}

// start initializes a cluster in a new temporary directory and starts
// postgres on it.
func start() (*server, error) {
	bin, err := binDir()
	if err != nil {
		noBins = err.Error()
		return nil, err
	}
	cred, err := credential()
	if err != nil {
		return nil, err
	}
	sweepStale()
	dir, err := os.MkdirTemp("", "assumed-pgtest-")
	if err != nil {
		return nil, err
	}
	s := &server{dir: dir}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(dir)
		}
	}()
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, fmt.Errorf("give %s to the postgres user: %w", dir, err)
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
	initdb.Dir = dir
	initdb.Env = childEnv(dir)
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	// A port that was free a moment ago may be taken by the time postgres
	// binds it: try a few.
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		err = s.run(bin, data, port, cred)
		if err == nil {
			ok = true
			return s, nil
		}
		if attempt == 3 {
			return nil, err
		}
	}
}

// sweepStale removes the directories of servers whose test binary died
// without removing them (its server died with it): those with a log,
// untouched for a minute, and no live postmaster.
func sweepStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "assumed-pgtest-*"))
	for _, dir := range dirs {
		fi, err := os.Stat(filepath.Join(dir, "postgres.log"))
		if err != nil || time.Since(fi.ModTime()) < time.Minute {
			continue // initdb still running in another binary, or just started
		}
		if b, err := os.ReadFile(filepath.Join(dir, "data", "postmaster.pid")); err == nil {
			first, _, _ := strings.Cut(string(b), "\n")
			if pid, err := strconv.Atoi(strings.TrimSpace(first)); err == nil && pid > 0 {
				if err := syscall.Kill(pid, 0); err == nil || errors.Is(err, syscall.EPERM) {
					continue // its postmaster lives
				}
			}
		}
		os.RemoveAll(dir)
	}
}

// credential returns who runs the server: nil (this process's user)
// unless this process is root, else the postgres user (nobody without
// one).
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
	}
	return nil, errors.New("running as root and there is neither a postgres nor a nobody user to run PostgreSQL as")
}

func childEnv(dir string) []string {
	env := []string{"HOME=" + dir, "LC_ALL=C", "LANG=C", "TZ=UTC"}
	if p := os.Getenv("PATH"); p != "" {
		env = append(env, "PATH="+p)
	}
	return env
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// run starts postgres on port and waits until it accepts connections.
func (s *server) run(bin, data string, port int, cred *syscall.Credential) error {
	logPath := filepath.Join(s.dir, "postgres.log")
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data,
		"-h", "127.0.0.1", "-p", strconv.Itoa(port), "-k", s.dir,
		"-c", "max_connections=300", "-c", "shared_buffers=64MB")
	cmd.Dir = s.dir
	cmd.Env = childEnv(s.dir)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own process group (a Ctrl-C at the terminal is for the tests),
	// and an immediate shutdown when this process dies, however it dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGQUIT}
	// The parent-death signal goes with the thread that started the child:
	// start it from a thread that lives as long as postgres does.
	started := make(chan error, 1)
	s.done = make(chan struct{})
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with this goroutine, after postgres
		if err := cmd.Start(); err != nil {
			started <- err
			close(s.done)
			return
		}
		started <- nil
		cmd.Wait()
		close(s.done)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	s.proc = cmd.Process
	s.url = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-s.done:
			return fmt.Errorf("postgres exited on start:\n%s", tail(logPath))
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, s.url)
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return nil
		}
		if time.Now().After(deadline) {
			s.stop()
			return fmt.Errorf("postgres did not accept connections within a minute: %v\n%s", err, tail(logPath))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop shuts postgres down and removes the directory. The shutdown is
// PostgreSQL's immediate one (SIGQUIT, then SIGKILL after 30 s): the data
// is thrown away, so the shutdown checkpoint would be wasted time.
func (s *server) stop() error {
	if s.proc != nil {
		s.proc.Signal(syscall.SIGQUIT)
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			s.proc.Kill()
			<-s.done
		}
	}
	if err := os.RemoveAll(s.dir); err != nil {
		return fmt.Errorf("remove the throw-away PostgreSQL's directory: %w", err)
	}
	return nil
}

// tail returns the end of the file at path.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}
