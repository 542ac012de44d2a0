package directory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/assumed-dev/assumed/internal/store"
)

// SharedStore is a store that several nodes write: its state has a
// version that every batch advances, a batch can be made conditional on
// the version it was decided against, and the records can be read with
// the version they are of. The PostgreSQL store is one.
type SharedStore interface {
	store.Store
	// LoadVersion returns every record and the version they are of, read
	// in one consistent view.
	LoadVersion(ctx context.Context) ([]store.Record, int64, error)
	// ApplyAt applies changes if the store is still at version, and
	// returns the new version; otherwise it writes nothing and returns
	// store.ErrConflict.
	ApplyAt(ctx context.Context, version int64, changes []store.Change) (int64, error)
}

// writeLocker is a shared store whose nodes can take turns writing.
type writeLocker interface {
	LockWrites(ctx context.Context) (unlock func(), err error)
}

// Builder builds a snapshot from every stored record (the services'
// decoders), for a writer that reloads what other nodes wrote.
type Builder func(recs []store.Record) (*Snapshot, error)

// maxConflicts bounds how many times a write is decided again after
// other nodes' writes overtook it.
const maxConflicts = 20

// Share makes w a writer among several nodes of st: the snapshot it
// publishes is rebuilt with build whenever another node has written, and
// each write is decided against the state it is applied to (a write that
// another node's overtook is decided again on the newer state), so that
// no write is lost and no invariant (an attachment to a policy that
// exists, a role with its trust) is checked against stale state.
// version is the store version the current snapshot was built from.
func (w *Writer) Share(st SharedStore, build Builder, version int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.shared, w.build, w.version = st, build, version
}

// Version is the store version the published snapshot reflects (0 for a
// store that is not shared).
func (w *Writer) Version() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.version
}

// Refresh rebuilds and publishes the snapshot when the shared store has
// moved past the published version; it reports whether it did.
func (w *Writer) Refresh(ctx context.Context) (bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.refreshLocked(ctx, false)
}

// refreshLocked reloads the state under w.mu. With force it reloads even
// when the version seems unchanged.
func (w *Writer) refreshLocked(ctx context.Context, force bool) (bool, error) {
	if w.shared == nil {
		return false, nil
	}
	if !force {
		v, err := w.shared.Version(ctx)
		if err != nil {
			return false, fmt.Errorf("read the store's version: %w", err)
		}
		if v == w.version {
			return false, nil
		}
	}
	recs, v, err := w.shared.LoadVersion(ctx)
	if err != nil {
		return false, fmt.Errorf("reload the state: %w", err)
	}
	snap, err := w.build(recs)
	if err != nil {
		return false, fmt.Errorf("rebuild the state at version %d: %w", v, err)
	}
	snap.ClearDerived()
	w.dir.Publish(snap)
	w.version = v
	return true, nil
}

// applyLocked persists a write's changes: conditionally on a shared
// store (conflict: false, nil), plainly otherwise.
func (w *Writer) applyLocked(ctx context.Context, changes []store.Change) (applied bool, err error) {
	if w.shared == nil {
		return true, w.store.Apply(ctx, changes)
	}
	v, err := w.shared.ApplyAt(ctx, w.version, changes)
	if errors.Is(err, store.ErrConflict) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	w.version = v
	return true, nil
}

// Follow keeps w's snapshot current with what other nodes write until ctx
// ends: it refreshes on every signal of changed (the store's
// notifications; may be nil) and at least every interval, the bound on
// how stale a read may be when notifications are lost.
func (w *Writer) Follow(ctx context.Context, changed <-chan struct{}, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-t.C:
		}
		if _, err := w.Refresh(ctx); err != nil && ctx.Err() == nil {
			log.Warn("follow the shared store", "err", err)
		}
	}
}
