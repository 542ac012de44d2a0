package directory

import (
	"bytes"
	"context"
	"fmt"

	"github.com/assumed-dev/assumed/internal/store"
)

// Replace swaps the whole state for another in one write, as a reset
// does. build is given the current snapshot and every stored record, and
// returns the snapshot to publish and every record of the new state; the
// store is then brought to exactly those records in one batch (records
// that are not among them are deleted, changed ones rewritten) and only
// then is next published.
//
// It holds the writer's lock throughout, so no other write interleaves:
// a write that was waiting runs on next, and a request reads either the
// old snapshot or next, never a mix. If build or the store fails,
// nothing is persisted or published.
func (w *Writer) Replace(ctx context.Context, build func(cur *Snapshot, stored []store.Record) (next *Snapshot, records []store.Record, err error)) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if l, ok := w.shared.(writeLocker); ok {
		unlock, err := l.LockWrites(ctx)
		if err != nil {
			return fmt.Errorf("replace the state: %w", err)
		}
		defer unlock()
	}
	// Every write of this node goes through this writer, under this
	// lock: once other nodes' writes are caught up with, the store holds
	// exactly what the current snapshot was built from.
	if _, err := w.refreshLocked(ctx, false); err != nil {
		return fmt.Errorf("replace the state: %w", err)
	}
	stored, err := w.store.Load(ctx)
	if err != nil {
		return fmt.Errorf("replace the state: %w", err)
	}
	next, records, err := build(w.dir.Snapshot(), stored)
	if err != nil {
		return err
	}
	changes := recordChanges(stored, records)
	if len(changes) > 0 {
		// On a shared store, the records read above are of the current
		// version only if no other node wrote since: a reset is decided
		// once, and an overtaken one fails rather than lose their write.
		applied, err := w.applyLocked(ctx, changes)
		if err == nil && !applied {
			err = store.ErrConflict
		}
		if err != nil {
			return fmt.Errorf("persist the replaced state: %w", err)
		}
	}
	next.ClearDerived()
	w.dir.Publish(next)
	return nil
}

// recordChanges is the batch that turns the stored records into want:
// deletions of what want lacks, then puts of what is new or different.
func recordChanges(stored, want []store.Record) []store.Change {
	type key struct{ kind, account, id string }
	have := make(map[key][]byte, len(stored))
	for _, r := range stored {
		have[key{r.Kind, r.Account, r.ID}] = r.Data
	}
	wanted := make(map[key]bool, len(want))
	var puts []store.Change
	for _, r := range want {
		k := key{r.Kind, r.Account, r.ID}
		wanted[k] = true
		if cur, ok := have[k]; ok && bytes.Equal(cur, r.Data) {
			continue
		}
		puts = append(puts, store.Change{Record: r})
	}
	var changes []store.Change
	for _, r := range stored {
		if !wanted[key{r.Kind, r.Account, r.ID}] {
			changes = append(changes, store.Change{Record: store.Record{Kind: r.Kind, Account: r.Account, ID: r.ID}, Delete: true})
		}
	}
	return append(changes, puts...)
}
