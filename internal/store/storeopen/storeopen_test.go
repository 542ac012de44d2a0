package storeopen

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assumed-dev/assumed/internal/store/postgres"
	"github.com/assumed-dev/assumed/internal/store/postgres/pgtest"
	"github.com/assumed-dev/assumed/internal/store/sqlite"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestOpen(t *testing.T) {
	ctx := context.Background()
	for _, spec := range []string{"", "sqlite"} {
		path := filepath.Join(t.TempDir(), "assumed.db")
		s, err := Open(ctx, spec, path)
		if err != nil {
			t.Fatalf("Open(%q): %v", spec, err)
		}
		if _, ok := s.(*sqlite.Store); !ok {
			t.Errorf("Open(%q) = %T, want *sqlite.Store", spec, s)
		}
		s.Close()
		if _, err := os.Stat(path); err != nil {
			t.Errorf("Open(%q) made no database at %s: %v", spec, path, err)
		}
		if d := Describe(spec, path); d != "sqlite "+path {
			t.Errorf("Describe(%q) = %q", spec, d)
		}
	}
	for _, spec := range []string{"mysql://localhost/x", "postgres", "SQLite", "file:x.db"} {
		if s, err := Open(ctx, spec, filepath.Join(t.TempDir(), "assumed.db")); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", spec)
		} else if !strings.Contains(err.Error(), "postgres://") {
			t.Errorf("Open(%q) = %v, want it to say what is accepted", spec, err)
		}
	}
	url := pgtest.URL(t)
	for _, spec := range []string{url, strings.Replace(url, "postgres://", "postgresql://", 1)} {
		path := filepath.Join(t.TempDir(), "assumed.db")
		s, err := Open(ctx, spec, path)
		if err != nil {
			t.Fatalf("Open(%s): %v", spec, err)
		}
		if _, ok := s.(*postgres.Store); !ok {
			t.Errorf("Open(%s) = %T, want *postgres.Store", spec, s)
		}
		s.Close()
		if _, err := os.Stat(path); err == nil {
			t.Errorf("Open(%s) made a SQLite database too", spec)
		}
	}
	if d := Describe("postgres://u:pw@db.example:5432/assumed", ""); strings.Contains(d, "pw") || !strings.Contains(d, "db.example") {
		t.Errorf("Describe = %q, want the URL without its password", d)
	}
}
