package app_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/assumed-dev/assumed/internal/app"
	"github.com/assumed-dev/assumed/internal/datadir"
	"github.com/assumed-dev/assumed/internal/testenv"

	"github.com/assumed-dev/assumed/internal/testfs"
)

// server is an app.Run in this process.
type server struct {
	addr string
	logs *testenv.SyncBuffer
	stop func() error
}

// startRun runs a server on dataDir until the test ends, and waits until
// it is ready.
func startRun(t *testing.T, dataDir string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{logs: &testenv.SyncBuffer{}}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- app.Run(ctx, app.Options{Listen: "127.0.0.1:0", DataDir: dataDir, Ready: func(a string) { ready <- a }}, s.logs)
	}()
	select {
	case s.addr = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("server exited early: %v\n%s", err, s.logs.String())
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("server did not become ready\n%s", s.logs.String())
	}
	stopped := false
	var stopErr error
	s.stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			stopErr = <-done
		}
		return stopErr
	}
	t.Cleanup(func() { s.stop() })
	return s
}

// runErr runs a server on dataDir that must fail to start, and returns
// its logs and error.
func runErr(t *testing.T, dataDir string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	logs := &testenv.SyncBuffer{}
	start := time.Now()
	err := app.Run(ctx, app.Options{Listen: "127.0.0.1:0", DataDir: dataDir, Ready: func(a string) {
		t.Errorf("a server started on %s, on data dir %s", a, dataDir)
		cancel()
	}}, logs)
	if err == nil || ctx.Err() != nil {
		t.Fatalf("Run = %v after %v, want a failure to start\n%s", err, time.Since(start), logs.String())
	}
	return logs.String(), err
}

func healthy(t *testing.T, s *server) {
	t.Helper()
	resp, err := http.Get("http://" + s.addr + "/_assumed/health")
	if err != nil {
		t.Fatalf("health: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("health: %s", resp.Status)
	}
}

// TestRunOneServerPerDataDir starts a second server on a data dir a first
// one holds: it fails fast, naming the holder (this process), and the
// first keeps serving. Once the first stops, a new one starts.
func TestRunOneServerPerDataDir(t *testing.T) {
	dataDir := t.TempDir()
	first := startRun(t, dataDir)
	start := time.Now()
	logs, err := runErr(t, dataDir)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the refusal took %v", d)
	}
	var locked *datadir.LockedError
	if !errors.As(err, &locked) || locked.Holder.PID != os.Getpid() {
		t.Fatalf("second Run = %v (%T), want a *datadir.LockedError naming pid %d", err, err, os.Getpid())
	}
	want := fmt.Sprintf("data dir %s is in use by another assumed server (pid %d on host ", dataDir, os.Getpid())
	if !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("message %q, want it to start %q", err, want)
	}
	if strings.Contains(logs, "assumed is serving") {
		t.Fatalf("the second server served:\n%s", logs)
	}
	healthy(t, first)
	if err := first.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	healthy(t, startRun(t, dataDir))
}

// TestRunDataDirModes starts on a new data dir (every file private to its
// owner) and on an existing one left open to others (0755 dir, 0644
// database files), which Run tightens and says so.
func TestRunDataDirModes(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "new", "data")
	s := startRun(t, dataDir)
	checkModes(t, dataDir)
	if strings.Contains(s.logs.String(), "restricted the data dir") {
		t.Fatalf("a new dir was reported tightened:\n%s", s.logs.String())
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}

	if err := os.Chmod(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"assumed.db", "assumed.db-wal", "assumed.db-shm"} {
		p := filepath.Join(dataDir, name)
		if _, err := os.Stat(p); os.IsNotExist(err) {
			os.WriteFile(p, nil, 0o644) // as a crash leaves them
		}
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s = startRun(t, dataDir)
	checkModes(t, dataDir)
	want := fmt.Sprintf(`level=INFO msg="restricted the data dir to its owner" dir=%s old_mode=0755 new_mode=0700`, dataDir)
	if !strings.Contains(s.logs.String(), want) {
		t.Fatalf("log lacks %q:\n%s", want, s.logs.String())
	}
}

// checkModes checks a running server's data dir: the dir 0700 and every
// file in it 0600.
func checkModes(t *testing.T, dataDir string) {
	t.Helper()
	if fi, err := os.Stat(dataDir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("data dir: %v, mode %04o; want 0700", err, fi.Mode().Perm())
	}
	for _, name := range []string{"assumed.lock", "master.key", "assumed.db", "assumed.db-wal", "assumed.db-shm", "credentials", "config"} {
		fi, err := os.Stat(filepath.Join(dataDir, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %04o, want 0600", name, fi.Mode().Perm())
		}
	}
}

// TestRunRefusesMissingMasterKey: a fresh data dir gets a master key; a
// data dir whose database outlived its key is refused, and no new key is
// made.
func TestRunRefusesMissingMasterKey(t *testing.T) {
	dataDir := t.TempDir()
	keyPath := filepath.Join(dataDir, "master.key")
	if err := startRun(t, dataDir).stop(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(keyPath); err != nil || fi.Size() != 32 {
		t.Fatalf("a fresh data dir has no 32-byte master key: %v", err)
	}
	if err := os.Remove(keyPath); err != nil {
		t.Fatal(err)
	}
	_, err := runErr(t, dataDir)
	want := fmt.Sprintf("master key %s is missing, but the database %s exists: its secrets are sealed with that key, and a new key could not open them; restore master.key from a backup of this data dir (assumed does not create a new key beside an existing database)",
		keyPath, filepath.Join(dataDir, "assumed.db"))
	if err.Error() != want {
		t.Fatalf("Run = %v\nwant %s", err, want)
	}
	if _, err := os.Stat(keyPath); !os.IsNotExist(err) {
		t.Fatalf("a new master key was made: %v", err)
	}
}

// TestRunNotWritableDataDir starts on data dirs that refuse new files, a
// new one and one a server has used: the message names the dir and the
// cause, not SQLite's "unable to open database file".
func TestRunNotWritableDataDir(t *testing.T) {
	for _, used := range []bool{false, true} {
		t.Run(fmt.Sprintf("used=%v", used), func(t *testing.T) {
			dataDir := t.TempDir()
			if used {
				if err := startRun(t, dataDir).stop(); err != nil {
					t.Fatal(err)
				}
			}
			testfs.MakeUnwritable(t, dataDir)
			_, err := runErr(t, dataDir)
			want := "data dir " + dataDir + " is not writable: open " + dataDir + "/"
			if !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), ": "+unwritableCause()) {
				t.Fatalf("Run = %v, want %q...: %s", err, want, unwritableCause())
			}
			t.Log(err)
		})
	}
}

// TestRunDataDirWithURICharacters serves from a data dir whose name holds
// '?', '#' and '%': the database is in it, in WAL mode (its -wal file is
// there while the server runs), and nothing lands beside it.
func TestRunDataDirWithURICharacters(t *testing.T) {
	parent := t.TempDir()
	dataDir := filepath.Join(parent, "x?y#z%20")
	healthy(t, startRun(t, dataDir))
	for _, name := range []string{"assumed.db", "assumed.db-wal", "assumed.db-shm"} {
		if _, err := os.Stat(filepath.Join(dataDir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	entries, _ := os.ReadDir(parent)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"x?y#z%20"}) {
		t.Fatalf("beside the data dir: %q", names)
	}
}

// unwritableCause is the system's reason makeUnwritable's dir gives.
func unwritableCause() string {
	if os.Geteuid() != 0 {
		return "permission denied"
	}
	return "operation not permitted"
}

// TestRunPortTaken: Run binds before it touches the data dir, so a port
// another process holds (API or metrics) leaves no data dir behind.
func TestRunPortTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for _, opt := range []app.Options{
		{Listen: taken.Addr().String()},
		{Listen: "127.0.0.1:0", MetricsListen: taken.Addr().String()},
	} {
		parent := t.TempDir()
		opt.DataDir = filepath.Join(parent, "data")
		opt.Ready = func(string) { t.Errorf("a server started with %+v", opt) }
		err := app.Run(context.Background(), opt, &testenv.SyncBuffer{})
		if !errors.Is(err, syscall.EADDRINUSE) {
			t.Fatalf("Run = %v, want EADDRINUSE", err)
		}
		if entries, _ := os.ReadDir(parent); len(entries) != 0 {
			t.Fatalf("a failed start left %v", entries)
		}
	}
}
