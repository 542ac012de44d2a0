// Package store persists assumed's state behind one small interface, so
// that the embedded SQLite implementation and a PostgreSQL one are
// interchangeable. State is a set of typed records (an account, a role, an
// access key, …) each stored as a JSON document under (kind, account, id);
// the services own the record types and the in-memory directory is built
// from them. Writes come as batches that are applied atomically and
// durably.
package store

import (
	"context"
	"errors"
)

// Record is one stored entity.
type Record struct {
	Kind    string // "account", "user", "role", "policy", "accesskey", …
	Account string // the owning account ID ("" for global records)
	ID      string // unique within (Kind, Account)
	Data    []byte // JSON document
}

// Change is one write in a batch: Data is stored, or the record deleted.
// Data of a change that is not a Delete must not be nil: a store refuses
// such a batch whole.
type Change struct {
	Record
	Delete bool
}

// Store is durable state. Implementations are safe for concurrent use.
type Store interface {
	// Load returns every record, ordered by kind, account and id (as
	// strings.Compare orders them: byte-wise), with Data byte for byte as
	// it was stored.
	Load(ctx context.Context) ([]Record, error)
	// Apply writes a batch of changes in one transaction: all or nothing,
	// durable when it returns nil. Changes apply in order, so a later
	// change to the same record wins. An error (an invalid change, ctx
	// ended, the database failing) leaves nothing of the batch, but for
	// an error at the very end (a commit whose outcome was lost) where the
	// batch may have landed whole, possibly becoming visible just after
	// Apply returned; a later Apply lands after it.
	Apply(ctx context.Context, changes []Change) error
	// Version returns the store's version: 0 for a store no batch was
	// ever applied to, raised by every Apply of a non-empty batch in the
	// same transaction, never lowered. Equal versions mean equal records,
	// so a reader that saw version v need not reload until it changes
	// (metadata is not covered).
	Version(ctx context.Context) (int64, error)
	// Meta returns a metadata value (key rings, settings); ok is false when
	// the key is absent.
	Meta(ctx context.Context, key string) (value []byte, ok bool, err error)
	// SetMeta stores a metadata value.
	SetMeta(ctx context.Context, key string, value []byte) error
	// Close releases the store; pending writes are finished first.
	Close() error
}

// ErrClosed is returned by every method of a store but Close after Close
// (Close itself returns nil again).
var ErrClosed = errors.New("store: closed")

// ErrConflict is returned by a conditional write to a store that several
// nodes share when another node wrote first.
var ErrConflict = errors.New("store: another node wrote first")
