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
type Change struct {
	Record
	Delete bool
}

// Store is durable state. Implementations are safe for concurrent use.
type Store interface {
	// Load returns every record, ordered by kind, account and id.
	Load(ctx context.Context) ([]Record, error)
	// Apply writes a batch of changes in one transaction: all or nothing,
	// durable when it returns nil.
	Apply(ctx context.Context, changes []Change) error
	// Meta returns a metadata value (key rings, settings); ok is false when
	// the key is absent.
	Meta(ctx context.Context, key string) (value []byte, ok bool, err error)
	// SetMeta stores a metadata value.
	SetMeta(ctx context.Context, key string, value []byte) error
	// Close releases the store; pending writes are finished first.
	Close() error
}

// ErrClosed is returned by a store after Close.
var ErrClosed = errors.New("store: closed")
