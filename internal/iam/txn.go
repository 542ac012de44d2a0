package iam

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/store"
)

// txn is one write: it edits a copy of the current snapshot, collects the
// store changes, and on success persists them in one batch and publishes
// the new snapshot. Entities are never modified in place: a writer puts a
// modified copy.
type txn struct {
	snap    *directory.Snapshot
	cloned  map[string]bool // accounts whose IAM maps are already private to this txn
	changes []store.Change
}

// update runs fn as one write. Writes are serialized.
func (s *Service) update(ctx context.Context, fn func(t *txn) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &txn{snap: s.dir.Snapshot().ShallowClone(), cloned: map[string]bool{}}
	if err := fn(t); err != nil {
		return err
	}
	if len(t.changes) == 0 {
		return nil
	}
	if err := s.store.Apply(ctx, t.changes); err != nil {
		return fmt.Errorf("persist changes: %w", err)
	}
	t.snap.ClearDerived()
	s.dir.Publish(t.snap)
	return nil
}

// iam returns the account's IAM state for writing.
func (t *txn) iam(accountID string) *directory.AccountIAM {
	a, ok := t.snap.IAM[accountID]
	switch {
	case !ok:
		a = directory.NewAccountIAM()
	case !t.cloned[accountID]:
		a = a.Clone()
	default:
		return a
	}
	t.snap.IAM[accountID] = a
	t.cloned[accountID] = true
	return a
}

// put records v as the stored record (kind, account, id).
func (t *txn) put(kind, account, id string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s %s: %w", kind, id, err)
	}
	t.changes = append(t.changes, store.Change{Record: store.Record{Kind: kind, Account: account, ID: id, Data: b}})
	return nil
}

// del records the deletion of (kind, account, id).
func (t *txn) del(kind, account, id string) {
	t.changes = append(t.changes, store.Change{Record: store.Record{Kind: kind, Account: account, ID: id}, Delete: true})
}
