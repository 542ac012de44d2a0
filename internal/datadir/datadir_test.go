package datadir

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/assumed-dev/assumed/internal/testfs"
)

func testLogger(buf *bytes.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// TestOpenNewDir creates a data dir, nested, private to its owner, with a
// lock file naming this process; Close clears the record.
func TestOpenNewDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "data")
	var logs bytes.Buffer
	d, err := Open(path, testLogger(&logs))
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("data dir: %v, mode %04o; want 0700", err, fi.Mode().Perm())
	}
	if strings.Contains(logs.String(), "restricted") {
		t.Fatalf("a new dir was reported tightened:\n%s", logs.String())
	}
	lockPath := filepath.Join(path, LockFile)
	fi, err = os.Stat(lockPath)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("lock file: %v, mode %04o; want 0600", err, fi.Mode().Perm())
	}
	record, _ := os.ReadFile(lockPath)
	host, _ := os.Hostname()
	for _, want := range []string{fmt.Sprintf("pid=%d\n", os.Getpid()), "host=" + host + "\n", "started=" + time.Now().UTC().Format("2006-01-02T")} {
		if !strings.Contains(string(record), want) {
			t.Errorf("lock file lacks %q:\n%s", want, record)
		}
	}
	var names []string
	entries, _ := os.ReadDir(path)
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != ".gitignore "+LockFile {
		t.Errorf("the data dir holds %q, want only the .gitignore and the lock file (the write check leaves nothing)", names)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if record, _ := os.ReadFile(lockPath); len(record) != 0 {
		t.Fatalf("lock file after Close: %q, want empty", record)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// TestOpenRestrictsExistingDir tightens a 0755 data dir to 0700 and logs it.
func TestOpenRestrictsExistingDir(t *testing.T) {
	path := t.TempDir()
	if err := os.Chmod(path, 0o755); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	d, err := Open(path, testLogger(&logs))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o700 {
		t.Fatalf("data dir mode %04o, want 0700", fi.Mode().Perm())
	}
	want := fmt.Sprintf(`level=INFO msg="restricted the data dir to its owner" dir=%s old_mode=0755 new_mode=0700`, path)
	if !strings.Contains(logs.String(), want) {
		t.Fatalf("log lacks %q:\n%s", want, logs.String())
	}
}

// TestSecondOpenIsRefused holds a data dir and opens it again in this
// process (flock's locks belong to each open, so this is a second holder):
// refused, naming this process; once released, it opens again.
func TestSecondOpenIsRefused(t *testing.T) {
	path := t.TempDir()
	var logs bytes.Buffer
	d, err := Open(path, testLogger(&logs))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(path, testLogger(&logs))
	var locked *LockedError
	if !errors.As(err, &locked) {
		t.Fatalf("second Open = %v, want a *LockedError", err)
	}
	host, _ := os.Hostname()
	if locked.Holder.PID != os.Getpid() || locked.Holder.Host != host || time.Since(locked.Holder.Started) > time.Minute {
		t.Fatalf("holder = %+v, want this process", locked.Holder)
	}
	want := fmt.Sprintf("data dir %s is in use by another assumed server (pid %d on host %s, started ", path, os.Getpid(), host)
	if !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), "; lock file "+filepath.Join(path, LockFile)+"): one server per data dir, so stop that one first or use another data dir") {
		t.Fatalf("message %q, want it to start %q", err, want)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d, err = Open(path, testLogger(&logs))
	if err != nil {
		t.Fatalf("Open after the holder closed: %v", err)
	}
	d.Close()
}

// TestLockedWithoutRecord: a lock held by something that did not record
// itself is still refused, and says so.
func TestLockedWithoutRecord(t *testing.T) {
	path := t.TempDir()
	f, err := os.OpenFile(filepath.Join(path, LockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := tryLock(f); err != nil {
		t.Fatal(err)
	}
	_, err = Open(path, testLogger(&bytes.Buffer{}))
	if err == nil || !strings.Contains(err.Error(), "(holder not recorded; lock file ") {
		t.Fatalf("Open = %v, want a refusal without a holder", err)
	}
}

// TestMasterKey creates the key in a new data dir, reads it back, and
// refuses to create a new one beside an existing database or WAL.
func TestMasterKey(t *testing.T) {
	path := t.TempDir()
	d, err := Open(path, testLogger(&bytes.Buffer{}))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	k1, err := d.MasterKey()
	if err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(path, MasterKeyFile)
	if fi, err := os.Stat(keyPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("master key: %v, mode %04o", err, fi.Mode().Perm())
	}
	if err := os.WriteFile(d.DatabasePath(), []byte("db"), 0o600); err != nil {
		t.Fatal(err)
	}
	if k2, err := d.MasterKey(); err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("reading the key back: %v (same key: %v)", err, bytes.Equal(k1, k2))
	}

	for _, db := range []string{DatabaseFile, DatabaseFile + "-wal"} {
		t.Run(db, func(t *testing.T) {
			os.Remove(keyPath)
			os.Remove(d.DatabasePath())
			if err := os.WriteFile(filepath.Join(path, db), []byte("db"), 0o600); err != nil {
				t.Fatal(err)
			}
			defer os.Remove(filepath.Join(path, db))
			_, err := d.MasterKey()
			want := fmt.Sprintf("master key %s is missing, but the database %s exists: its secrets are sealed with that key, and a new key could not open them; restore master.key from a backup of this data dir (assumed does not create a new key beside an existing database)",
				keyPath, filepath.Join(path, db))
			if err == nil || err.Error() != want {
				t.Fatalf("MasterKey = %v\nwant %s", err, want)
			}
			if _, err := os.Stat(keyPath); !os.IsNotExist(err) {
				t.Fatalf("a master key was created: %v", err)
			}
		})
	}
}

// TestNotADirectory names a file where the data dir should be.
func TestNotADirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "file")
	os.WriteFile(path, nil, 0o600)
	_, err := Open(path, testLogger(&bytes.Buffer{}))
	if err == nil || err.Error() != "data dir "+path+" is not a directory" {
		t.Fatalf("Open = %v", err)
	}
}

// TestNotWritable opens a data dir that refuses new files, new (no lock
// file yet) and held before (a lock file left by an earlier server).
func TestNotWritable(t *testing.T) {
	for _, earlier := range []bool{false, true} {
		t.Run(fmt.Sprintf("earlier_server=%v", earlier), func(t *testing.T) {
			path := t.TempDir()
			if earlier {
				d, err := Open(path, testLogger(&bytes.Buffer{}))
				if err != nil {
					t.Fatal(err)
				}
				d.Close()
			}
			testfs.MakeUnwritable(t, path)
			_, err := Open(path, testLogger(&bytes.Buffer{}))
			want := "data dir " + path + " is not writable: open " + path + "/"
			if err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("Open = %v, want %q...", err, want)
			}
			t.Log(err)
		})
	}
}

// TestGitignore: Open writes DIR/.gitignore ("*", mode 0600) into a dir it
// creates and into an existing one that holds only assumed's files, never
// into one holding anything else, and never over an existing .gitignore.
func TestGitignore(t *testing.T) {
	for _, c := range []struct {
		name     string
		existing map[string]string // files before Open; nil: no dir
		want     string            // .gitignore after Open; "": none
	}{
		{name: "created", want: gitignore},
		{name: "existing, empty", existing: map[string]string{}, want: gitignore},
		{name: "an assumed data dir without one", existing: map[string]string{MasterKeyFile: "k", DatabaseFile: "db", "credentials": "c", "config": "c", "ca.pem": "c", LockFile: ""}, want: gitignore},
		{name: "a project's dir", existing: map[string]string{"go.mod": "module x\n", MasterKeyFile: "k"}},
		{name: "its own .gitignore", existing: map[string]string{".gitignore": "mine\n"}, want: "mine\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "data")
			if c.existing != nil {
				if err := os.Mkdir(path, 0o700); err != nil {
					t.Fatal(err)
				}
				for name, content := range c.existing {
					if err := os.WriteFile(filepath.Join(path, name), []byte(content), 0o600); err != nil {
						t.Fatal(err)
					}
				}
			}
			d, err := Open(path, testLogger(&bytes.Buffer{}))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			got, err := os.ReadFile(filepath.Join(path, GitignoreFile))
			if c.want == "" {
				if !errors.Is(err, os.ErrNotExist) {
					t.Fatalf(".gitignore: %q, %v; want none", got, err)
				}
				return
			}
			if err != nil || string(got) != c.want {
				t.Fatalf(".gitignore: %q, %v; want %q", got, err, c.want)
			}
			if c.want == gitignore {
				if !strings.Contains(string(got), "\n*\n") {
					t.Fatalf(".gitignore %q does not ignore everything", got)
				}
				if fi, _ := os.Stat(filepath.Join(path, GitignoreFile)); fi.Mode().Perm() != 0o600 {
					t.Fatalf(".gitignore mode %04o, want 0600", fi.Mode().Perm())
				}
			}
		})
	}
}
