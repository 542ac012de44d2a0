// Package storeopen opens the store a server is told to use (serve
// --store): the data dir's SQLite file by default, or a PostgreSQL
// database named by its URL.
package storeopen

import (
	"context"
	"fmt"

	"github.com/assumed-dev/assumed/internal/store"
	"github.com/assumed-dev/assumed/internal/store/postgres"
	"github.com/assumed-dev/assumed/internal/store/sqlite"
)

// Open opens the store spec names: "" or "sqlite" is the SQLite database
// at sqlitePath; a postgres:// or postgresql:// URL is that PostgreSQL
// database. Anything else is an error saying what is accepted.
func Open(ctx context.Context, spec, sqlitePath string) (store.Store, error) {
	switch {
	case spec == "" || spec == "sqlite":
		return sqlite.Open(ctx, sqlitePath)
	case postgres.IsURL(spec):
		return postgres.Open(ctx, spec)
	default:
		return nil, fmt.Errorf("--store %q: want sqlite (the data dir's database, the default) or a postgres:// URL", spec)
	}
}

// Describe says which store spec names, for logs: "sqlite PATH" or the
// PostgreSQL URL without its password.
func Describe(spec, sqlitePath string) string {
	if postgres.IsURL(spec) {
		return postgres.Redact(spec)
	}
	return "sqlite " + sqlitePath
}
