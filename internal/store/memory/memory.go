// Package memory is a store.Store held in memory and lost with the
// process: the scratch state a reset builds the world in before it
// replaces the durable state in one batch.
package memory

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/assumed-dev/assumed/internal/store"
)

// Store is a store.Store in memory. It is safe for concurrent use.
type Store struct {
	mu      sync.Mutex
	records map[key]store.Record
	meta    map[string][]byte
	version int64
	closed  bool
}

type key struct{ kind, account, id string }

var _ store.Store = (*Store)(nil)

// New returns a store holding records (copied), and no metadata.
func New(records []store.Record) *Store {
	s := &Store{records: make(map[key]store.Record, len(records)), meta: map[string][]byte{}}
	for _, r := range records {
		s.put(r)
	}
	return s
}

func (s *Store) put(r store.Record) {
	r.Data = slices.Clone(r.Data)
	s.records[key{r.Kind, r.Account, r.ID}] = r
}

// Load returns every record, ordered by kind, account and id.
func (s *Store) Load(context.Context) ([]store.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, store.ErrClosed
	}
	out := make([]store.Record, 0, len(s.records))
	for _, r := range s.records {
		r.Data = slices.Clone(r.Data)
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b store.Record) int {
		if c := strings.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		if c := strings.Compare(a.Account, b.Account); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// Apply applies the batch; it fails, applying nothing, only after Close,
// with ctx ended or for a put without Data.
func (s *Store) Apply(ctx context.Context, changes []store.Change) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return store.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	for _, c := range changes {
		if !c.Delete && c.Data == nil {
			return fmt.Errorf("apply %s %s/%s: a put without data", c.Kind, c.Account, c.ID)
		}
	}
	if len(changes) > 0 {
		s.version++
	}
	for _, c := range changes {
		if c.Delete {
			delete(s.records, key{c.Kind, c.Account, c.ID})
			continue
		}
		s.put(c.Record)
	}
	return nil
}

// Version returns the number of non-empty batches applied.
func (s *Store) Version(context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, store.ErrClosed
	}
	return s.version, nil
}

// Meta returns a metadata value.
func (s *Store) Meta(_ context.Context, k string) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, false, store.ErrClosed
	}
	v, ok := s.meta[k]
	return slices.Clone(v), ok, nil
}

// SetMeta stores a metadata value.
func (s *Store) SetMeta(_ context.Context, k string, v []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return store.ErrClosed
	}
	s.meta[k] = slices.Clone(v)
	return nil
}

// Close drops the state.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.records, s.meta = nil, nil
	return nil
}
