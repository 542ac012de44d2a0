package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/assumed-dev/assumed/internal/store"
	"github.com/assumed-dev/assumed/internal/store/storetest"
)

// TestConformance runs the store conformance suite on SQLite files.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (store.Store, storetest.Reopen) {
		path := filepath.Join(t.TempDir(), "assumed.db")
		open := func(t *testing.T) store.Store {
			t.Helper()
			s, err := Open(context.Background(), path)
			if err != nil {
				t.Fatalf("open %s: %v", path, err)
			}
			return s
		}
		return open(t), open
	})
}
