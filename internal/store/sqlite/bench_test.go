package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/assumed-dev/assumed/internal/store"
)

// BenchmarkApply measures one Apply of one record (a role's size), one
// writer at a time, as the directory's writer issues them.
func BenchmarkApply(b *testing.B) {
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "assumed.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	doc := make([]byte, 600)
	for i := range doc {
		doc[i] = 'x'
	}
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		if err := s.Apply(ctx, []store.Change{{Record: store.Record{Kind: "role", Account: "111111111111", ID: fmt.Sprint(i), Data: doc}}}); err != nil {
			b.Fatal(err)
		}
	}
}
