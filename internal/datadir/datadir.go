// Package datadir prepares and guards an assumed server's data directory:
// it is private to its owner, writable, kept out of version control (a
// .gitignore of "*"), and held by one server at a time through an
// exclusive lock on DIR/assumed.lock, taken before anything else in the
// directory is touched and kept until the server stops.
//
// Open creates the directory; a server must bind its listeners before it
// calls Open, so that a server that cannot start leaves no new directory
// behind and changes nothing in an existing one.
package datadir

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/assumed-dev/assumed/internal/creds"
)

// The files of a data directory.
const (
	// LockFile is locked (flock, exclusive) by the server that holds the
	// directory; it records that server as pid=, host= and started= lines.
	LockFile = "assumed.lock"
	// MasterKeyFile holds the key that seals the database's secrets.
	MasterKeyFile = "master.key"
	// DatabaseFile is the SQLite database; SQLite keeps DatabaseFile-wal
	// and DatabaseFile-shm beside it while it is open.
	DatabaseFile = "assumed.db"
	// GitignoreFile keeps the directory, which holds secrets, out of git.
	GitignoreFile = ".gitignore"
)

// gitignore is the content of GitignoreFile: ignore everything, itself
// included.
const gitignore = "# Written by assumed: this data dir holds secrets (keys, credentials).\n*\n"

// ConsoleTokenFile holds the web console's token, which sees every
// account: rewritten at every start.
const ConsoleTokenFile = "console-token"

// ownFile reports whether name is a file assumed's server keeps in a data
// directory (or leaves there for a moment while writing one).
func ownFile(name string) bool {
	switch name {
	case LockFile, MasterKeyFile, DatabaseFile, DatabaseFile + "-wal", DatabaseFile + "-shm", DatabaseFile + "-journal",
		"credentials", "config", "ca.pem", "ca-key.pem", "server.pem", "server-key.pem", ConsoleTokenFile:
		return true
	}
	// The audit log (serve's default --audit-log) and its rotated files.
	if name == "audit.log" || strings.HasPrefix(name, "audit.log.") {
		return true
	}
	return strings.HasPrefix(name, ".tmp-") || strings.HasPrefix(name, ".write-check-")
}

// Dir is a data directory this process holds. Close releases it.
type Dir struct {
	path string
	lock *os.File // nil where the system cannot lock files
}

// Holder describes the server that holds a data directory, as it recorded
// itself in the lock file. Fields it did not record are zero.
type Holder struct {
	PID     int
	Host    string
	Started time.Time
}

// String describes the holder for an error message.
func (h Holder) String() string {
	if h.PID == 0 {
		return "holder not recorded"
	}
	s := "pid " + strconv.Itoa(h.PID)
	if h.Host != "" {
		s += " on host " + h.Host
	}
	if !h.Started.IsZero() {
		s += ", started " + h.Started.Format(time.RFC3339)
	}
	return s
}

// LockedError is returned by Open when another process holds the lock on
// the data directory.
type LockedError struct {
	Dir    string
	Holder Holder
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("data dir %s is in use by another assumed server (%s; lock file %s): one server per data dir, so stop that one first or use another data dir",
		e.Dir, e.Holder, filepath.Join(e.Dir, LockFile))
}

// Open creates the data directory at path if needed (mode 0700), takes its
// lock, tightens an existing directory's mode to the owner alone (logged),
// checks that it is writable, and writes a .gitignore of "*" into it when
// it has none and is assumed's: created here, or holding nothing but
// assumed's own files (so never into a project's directory named as the
// data dir). The caller must Close the Dir when it stops using the
// directory. Open fails with a *LockedError when another process holds
// the directory.
func Open(path string, log *slog.Logger) (*Dir, error) {
	fi, err := os.Stat(path)
	if err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("data dir %s is not a directory", path)
	}
	created := errors.Is(err, fs.ErrNotExist)
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir %s: %w", path, err)
	}
	d := &Dir{path: path}
	if err := d.takeLock(log); err != nil {
		return nil, err
	}
	if err := d.prepare(log); err != nil {
		if cerr := d.Close(); cerr != nil {
			log.Error("release the data dir", "dir", path, "err", cerr)
		}
		return nil, err
	}
	d.ignoreInGit(created, log)
	return d, nil
}

// ignoreInGit writes DIR/.gitignore ("*") when the directory has none and
// was created by Open or holds only assumed's own files. A failure is
// logged: the server can run without it.
func (d *Dir) ignoreInGit(created bool, log *slog.Logger) {
	p := filepath.Join(d.path, GitignoreFile)
	if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
		return // there is one (or something in its place): leave it
	}
	if !created {
		entries, err := os.ReadDir(d.path)
		if err != nil {
			log.Warn("cannot list the data dir; not writing a .gitignore into it", "dir", d.path, "err", err)
			return
		}
		for _, e := range entries {
			if !ownFile(e.Name()) {
				log.Debug("the data dir holds files not assumed's; not writing a .gitignore into it", "dir", d.path, "file", e.Name())
				return
			}
		}
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		_, err = f.WriteString(gitignore)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		log.Warn("cannot write the data dir's .gitignore", "file", p, "err", err)
	}
}

// takeLock opens DIR/assumed.lock, locks it without waiting and records
// this process in it.
func (d *Dir) takeLock(log *slog.Logger) error {
	lockPath := filepath.Join(d.path, LockFile)
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("data dir %s is not writable: %w", d.path, err)
	}
	if !lockSupported {
		log.Warn("this system cannot lock files: nothing stops a second server from using this data dir", "dir", d.path)
		f.Close()
		return nil
	}
	if err := tryLock(f); err != nil {
		defer f.Close()
		if errors.Is(err, errBusy) {
			return &LockedError{Dir: d.path, Holder: readHolder(f)}
		}
		return fmt.Errorf("lock data dir %s: %w", d.path, err)
	}
	host, _ := os.Hostname()
	record := fmt.Sprintf("pid=%d\nhost=%s\nstarted=%s\n", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))
	// Write over the previous holder's record, then cut what is left of
	// it: a reader never finds the file empty while it is held.
	if _, err := f.WriteAt([]byte(record), 0); err != nil {
		f.Close()
		return fmt.Errorf("data dir %s is not writable: record the lock's holder: %w", d.path, err)
	}
	if err := f.Truncate(int64(len(record))); err != nil {
		f.Close()
		return fmt.Errorf("data dir %s is not writable: record the lock's holder: %w", d.path, err)
	}
	d.lock = f
	return nil
}

// prepare tightens the directory's mode and checks that files can be
// created in it.
func (d *Dir) prepare(log *slog.Logger) error {
	fi, err := os.Stat(d.path)
	if err != nil {
		return fmt.Errorf("data dir %s: %w", d.path, err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		tight := perm &^ 0o077
		if err := os.Chmod(d.path, tight); err != nil {
			// The files that hold secrets are 0600 whatever the directory's
			// mode, so this is worth a warning, not a refusal.
			log.Warn("cannot restrict the data dir to its owner", "dir", d.path, "mode", fmt.Sprintf("%04o", perm), "err", err)
		} else {
			log.Info("restricted the data dir to its owner", "dir", d.path, "old_mode", fmt.Sprintf("%04o", perm), "new_mode", fmt.Sprintf("%04o", tight))
		}
	}
	probe, err := os.CreateTemp(d.path, ".write-check-")
	if err != nil {
		return fmt.Errorf("data dir %s is not writable: %w", d.path, err)
	}
	name := probe.Name()
	cerr := probe.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("data dir %s is not writable: %w", d.path, err)
	}
	if cerr != nil {
		return fmt.Errorf("data dir %s is not writable: %w", d.path, cerr)
	}
	return nil
}

// readHolder reads the holder's record from the lock file f. The holder
// writes it just after locking, so an empty file is read again briefly.
func readHolder(f *os.File) Holder {
	var h Holder
	for attempt := 0; attempt < 10; attempt++ {
		if attempt > 0 {
			time.Sleep(20 * time.Millisecond)
		}
		buf := make([]byte, 1024)
		n, _ := f.ReadAt(buf, 0)
		for _, line := range strings.Split(string(buf[:n]), "\n") {
			k, v, _ := strings.Cut(line, "=")
			switch k {
			case "pid":
				h.PID, _ = strconv.Atoi(v)
			case "host":
				h.Host = v
			case "started":
				h.Started, _ = time.Parse(time.RFC3339, v)
			}
		}
		if h.PID != 0 {
			break
		}
	}
	return h
}

// Path returns the directory's path, as given to Open.
func (d *Dir) Path() string { return d.path }

// DatabasePath returns the path of the SQLite database.
func (d *Dir) DatabasePath() string { return filepath.Join(d.path, DatabaseFile) }

// MasterKey returns the master key, creating it in a new data directory.
// It refuses to create one beside an existing database, whose secrets are
// sealed with the missing key: that key must be restored from a backup.
func (d *Dir) MasterKey() ([]byte, error) {
	keyPath := filepath.Join(d.path, MasterKeyFile)
	if _, err := os.Lstat(keyPath); errors.Is(err, fs.ErrNotExist) {
		for _, name := range []string{DatabaseFile, DatabaseFile + "-wal"} {
			if _, err := os.Lstat(filepath.Join(d.path, name)); err == nil {
				return nil, fmt.Errorf("master key %s is missing, but the database %s exists: its secrets are sealed with that key, and a new key could not open them; restore %s from a backup of this data dir (assumed does not create a new key beside an existing database)",
					keyPath, filepath.Join(d.path, name), MasterKeyFile)
			}
		}
	}
	key, err := creds.LoadOrCreateMasterKey(keyPath)
	if err != nil {
		return nil, fmt.Errorf("data dir %s: %w", d.path, err)
	}
	return key, nil
}

// Close releases the directory: it clears the holder's record from the
// lock file and unlocks it. Close is safe to call more than once.
func (d *Dir) Close() error {
	if d.lock == nil {
		return nil
	}
	f := d.lock
	d.lock = nil
	terr := f.Truncate(0)
	if err := f.Close(); err != nil {
		return fmt.Errorf("release data dir %s: %w", d.path, err)
	}
	if terr != nil {
		return fmt.Errorf("release data dir %s: clear the lock file: %w", d.path, terr)
	}
	return nil
}
