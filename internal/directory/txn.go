package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/assumed-dev/assumed/internal/store"
)

// Writer serializes the writes of every service to the store and the
// directory: each write edits a copy of the current snapshot, persists
// its changes in one batch and only then publishes the copy.
type Writer struct {
	store store.Store
	dir   *Directory
	mu    sync.Mutex // one writer at a time: store batch, then snapshot swap

	// shared, build and version are set by Share when several nodes
	// write the store (follow.go).
	shared  SharedStore
	build   Builder
	version int64
}

// NewWriter returns the writer of dir, persisting to st.
func NewWriter(st store.Store, dir *Directory) *Writer { return &Writer{store: st, dir: dir} }

// Directory is the directory the writer publishes to.
func (w *Writer) Directory() *Directory { return w.dir }

// Update runs fn as one write. If fn fails, nothing is persisted or
// published. On a shared store, a write that another node's overtook is
// decided again: fn runs on the newer state (so it must have no effect
// beyond the Txn).
func (w *Writer) Update(ctx context.Context, fn func(t *Txn) error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if l, ok := w.shared.(writeLocker); ok {
		// The nodes take turns: catch up with the store, decide, apply.
		unlock, err := l.LockWrites(ctx)
		if err != nil {
			return err
		}
		defer unlock()
		if _, err := w.refreshLocked(ctx, false); err != nil {
			return err
		}
	}
	for attempt := 0; ; attempt++ {
		t := &Txn{Snap: w.dir.Snapshot().ShallowClone(), cloned: map[string]bool{}}
		if err := fn(t); err != nil {
			return err
		}
		if len(t.changes) == 0 {
			return nil
		}
		applied, err := w.applyLocked(ctx, t.changes)
		if err != nil {
			return fmt.Errorf("persist changes: %w", err)
		}
		if applied {
			t.Snap.ClearDerived()
			w.dir.Publish(t.Snap)
			return nil
		}
		if attempt == maxConflicts {
			return fmt.Errorf("persist changes: %w (%d times in a row)", store.ErrConflict, attempt+1)
		}
		if _, err := w.refreshLocked(ctx, true); err != nil {
			return err
		}
	}
}

// Txn is one write in progress: a private copy of the snapshot and the
// store changes that go with it. Entities are never modified in place: a
// writer puts a modified copy.
type Txn struct {
	Snap    *Snapshot
	cloned  map[string]bool // accounts whose IAM maps are already private to this txn
	changes []store.Change
}

// IAM returns the account's IAM state for writing.
func (t *Txn) IAM(accountID string) *AccountIAM {
	a, ok := t.Snap.IAM[accountID]
	switch {
	case !ok:
		a = NewAccountIAM()
	case !t.cloned[accountID]:
		a = a.Clone()
	default:
		return a
	}
	t.Snap.IAM[accountID] = a
	t.cloned[accountID] = true
	return a
}

// Put records v as the stored record (kind, account, id).
func (t *Txn) Put(kind, account, id string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s %s: %w", kind, id, err)
	}
	t.changes = append(t.changes, store.Change{Record: store.Record{Kind: kind, Account: account, ID: id, Data: b}})
	return nil
}

// Del records the deletion of (kind, account, id).
func (t *Txn) Del(kind, account, id string) {
	t.changes = append(t.changes, store.Change{Record: store.Record{Kind: kind, Account: account, ID: id}, Delete: true})
}

// RecordDecoder decodes one stored record of a service's own kind into
// the snapshot being loaded at start.
type RecordDecoder func(r store.Record, snap *Snapshot) error
