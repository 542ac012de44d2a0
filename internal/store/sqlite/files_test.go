package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/assumed-dev/assumed/internal/store"
)

// TestOpenPathWithURICharacters opens databases in directories whose names
// hold the characters a SQLite URI gives a meaning to ('?', '#', '%'), and
// a few that are harmless: each database must be the named file, in WAL
// mode with full synchronous commits, and nothing may land beside the
// directory.
func TestOpenPathWithURICharacters(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{
		"plain",
		"x?y#z%20",
		"q?_pragma=journal_mode(DELETE)&_pragma=synchronous(OFF)",
		"a%3Fb",
		"with space",
		"#hash",
		"%",
	} {
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, name)
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "assumed.db")
			s, err := Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.Apply(ctx, []store.Change{{Record: store.Record{Kind: "k", ID: "1", Data: []byte("d")}}}); err != nil {
				t.Fatal(err)
			}
			checkConnection(t, s, path)

			if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
				t.Fatalf("the database file %s: %v (size %d)", path, err, size(fi))
			}
			entries, err := os.ReadDir(parent)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if !slices.Equal(names, []string{name}) {
				t.Fatalf("files beside the data dir: %q, want only %q", names, name)
			}

			// Reopened, it is the same database.
			s.Close()
			if s, err = Open(ctx, path); err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			recs, err := s.Load(ctx)
			if err != nil || len(recs) != 1 {
				t.Fatalf("after reopen Load = %v, %v; want the one record", recs, err)
			}
		})
	}
}

// TestOpenRelativePathWithURICharacters opens a database by a relative
// path whose directory holds '?' and '#'.
func TestOpenRelativePathWithURICharacters(t *testing.T) {
	base := t.TempDir()
	t.Chdir(base)
	if err := os.Mkdir("rel?a#b", 0o700); err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), filepath.Join("rel?a#b", "assumed.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkConnection(t, s, filepath.Join(base, "rel?a#b", "assumed.db"))
}

// checkConnection checks, on each of two connections of s's pool, that the
// main database is the file at path, in WAL mode with synchronous=FULL.
func checkConnection(t *testing.T, s *Store, path string) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		conn, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var mode string
		var sync int
		if err := conn.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if err := conn.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&sync); err != nil {
			t.Fatal(err)
		}
		if !strings.EqualFold(mode, "wal") || sync != 2 {
			t.Fatalf("connection %d: journal_mode=%s synchronous=%d, want wal and 2 (FULL)", i, mode, sync)
		}
		var seq int
		var schema, file string
		if err := conn.QueryRowContext(ctx, `SELECT seq, name, file FROM pragma_database_list WHERE name = 'main'`).Scan(&seq, &schema, &file); err != nil {
			t.Fatal(err)
		}
		want, err := filepath.EvalSymlinks(path)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := filepath.EvalSymlinks(file); err != nil || got != want {
			t.Fatalf("connection %d: the main database is %q (%v), want %q", i, file, err, want)
		}
	}
}

// TestFileModes checks that a new database and its -wal and -shm files are
// 0600 whatever the umask lets through, and that Open restricts existing
// 0644 files.
func TestFileModes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "assumed.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetMeta(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	checkModes(t, path) // while open: the -wal and -shm files exist
	s.Close()

	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if _, err := os.Stat(p); os.IsNotExist(err) {
			// SQLite removes them on a clean close: an empty -wal and
			// -shm are what a crash may leave, and SQLite accepts them.
			if err := os.WriteFile(p, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if s, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkModes(t, path)
	if v, ok, err := s.Meta(ctx, "k"); err != nil || !ok || string(v) != "v" {
		t.Fatalf("after reopen Meta = %q %v %v", v, ok, err)
	}
}

// checkModes checks that the database at path and its -wal and -shm files
// exist with mode 0600.
func checkModes(t *testing.T, path string) {
	t.Helper()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %04o, want 0600", p, fi.Mode().Perm())
		}
	}
}

func size(fi os.FileInfo) int64 {
	if fi == nil {
		return -1
	}
	return fi.Size()
}
