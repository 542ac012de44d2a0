// Package sqlite is the embedded store: one SQLite database file in WAL
// mode with full synchronous commits, so that a batch Apply has returned
// only once it is on disk. It needs no set-up and no cgo (modernc.org/sqlite).
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/assumed-dev/assumed/internal/store"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// migrations are applied in order; each runs once, in its own transaction,
// and is recorded in schema_migrations. Append only: never edit one that
// has shipped.
var migrations = []string{
	// 1: records and metadata.
	`CREATE TABLE records (
		kind    TEXT NOT NULL,
		account TEXT NOT NULL,
		id      TEXT NOT NULL,
		data    BLOB NOT NULL,
		updated_at TEXT NOT NULL,
		PRIMARY KEY (kind, account, id)
	);
	CREATE TABLE meta (
		key   TEXT PRIMARY KEY,
		value BLOB NOT NULL
	);`,
	// 2: the store version (store.Store.Version), one row raised by every
	// Apply.
	`CREATE TABLE store_version (
		id      INTEGER PRIMARY KEY CHECK (id = 1),
		version INTEGER NOT NULL
	);
	INSERT INTO store_version (id, version) VALUES (1, 0);`,
}

// Store is a store.Store on a SQLite file.
type Store struct {
	db     *sql.DB
	mu     sync.Mutex // serializes writers; SQLite allows one at a time
	closed atomic.Bool
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path and brings its
// schema up to date. The database file, and so the -wal and -shm files
// SQLite creates beside it with its mode, are readable by their owner
// only (0600); Open restricts existing ones to that mode too.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := restrictFiles(path); err != nil {
		return nil, err
	}
	dsn, err := dataSourceName(path)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	s := &Store{db: db}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// connectionPragmas are run on every new connection: WAL with full
// synchronous commits, so a committed batch is on disk.
const connectionPragmas = "_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)"

// dataSourceName returns the driver's name for the database at path: a
// SQLite URI, "file:" and the absolute path, then connectionPragmas. The
// driver splits the name at its first '?' and SQLite percent-decodes the
// URI's path and ends it at '?' or '#', so '%', '?' and '#' in the path are
// escaped: pasted as they are, a '?' or '#' would cut the path short (the
// database lands elsewhere) and carry the pragmas away with it.
func dataSourceName(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive letter: SQLite reads "file:/C:/..."
	}
	var b strings.Builder
	b.WriteString("file:")
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '%', '?', '#':
			fmt.Fprintf(&b, "%%%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteString("?" + connectionPragmas)
	return b.String(), nil
}

// restrictFiles creates the database file at path with mode 0600 if it
// does not exist (SQLite gives the -wal and -shm files the database
// file's mode), and restricts an existing database, -wal or -shm file to
// 0600.
func restrictFiles(path string) error {
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("create database file: %w", err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("create database file: %w", err)
		}
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("database file: %w", err)
		}
		if fi.Mode().Perm() != 0o600 {
			if err := os.Chmod(p, 0o600); err != nil {
				return fmt.Errorf("restrict database file to mode 0600: %w", err)
			}
		}
	}
	return nil
}

// SchemaVersion returns the number of migrations applied.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	have, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if have > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this build knows (%d): refusing to run", have, len(migrations))
	}
	for v := have + 1; v <= len(migrations); v++ {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migration %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, v, time.Now().UTC().Format(time.RFC3339)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", v, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %d: commit: %w", v, err)
		}
	}
	return nil
}

// Load returns every record.
func (s *Store) Load(ctx context.Context) ([]store.Record, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	out, err := s.load(ctx)
	if err != nil {
		return nil, s.closedOr(fmt.Errorf("load records: %w", err))
	}
	return out, nil
}

func (s *Store) load(ctx context.Context) ([]store.Record, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT kind, account, id, data FROM records ORDER BY kind, account, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Record
	for rows.Next() {
		var r store.Record
		if err := rows.Scan(&r.Kind, &r.Account, &r.ID, &r.Data); err != nil {
			return nil, err
		}
		if r.Data == nil {
			r.Data = []byte{} // an empty BLOB reads as nil
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// closedOr returns ErrClosed for the error of a read that raced Close,
// else err.
func (s *Store) closedOr(err error) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	return err
}

// Version returns the store version.
func (s *Store) Version(ctx context.Context) (int64, error) {
	if s.closed.Load() {
		return 0, store.ErrClosed
	}
	var v int64
	if err := s.db.QueryRowContext(ctx, `SELECT version FROM store_version WHERE id = 1`).Scan(&v); err != nil {
		return 0, s.closedOr(fmt.Errorf("read the store version: %w", err))
	}
	return v, nil
}

// Apply writes the batch in one transaction.
func (s *Store) Apply(ctx context.Context, changes []store.Change) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return store.ErrClosed
	}
	if len(changes) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("apply: begin: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE store_version SET version = version + 1 WHERE id = 1`); err != nil {
		tx.Rollback()
		return fmt.Errorf("apply: raise the store version: %w", err)
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	for _, c := range changes {
		if c.Delete {
			_, err = tx.ExecContext(ctx, `DELETE FROM records WHERE kind = ? AND account = ? AND id = ?`, c.Kind, c.Account, c.ID)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO records (kind, account, id, data, updated_at) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (kind, account, id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`,
				c.Kind, c.Account, c.ID, c.Data, now)
		}
		if err != nil {
			tx.Rollback()
			return fmt.Errorf("apply %s %s/%s: %w", c.Kind, c.Account, c.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("apply: commit: %w", err)
	}
	return nil
}

// Meta returns a metadata value.
func (s *Store) Meta(ctx context.Context, key string) ([]byte, bool, error) {
	if s.closed.Load() {
		return nil, false, store.ErrClosed
	}
	var v []byte
	err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, s.closedOr(fmt.Errorf("read meta %s: %w", key, err))
	}
	if v == nil {
		v = []byte{} // an empty BLOB reads as nil
	}
	return v, true, nil
}

// SetMeta stores a metadata value.
func (s *Store) SetMeta(ctx context.Context, key string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return store.ErrClosed
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
		return fmt.Errorf("write meta %s: %w", key, err)
	}
	return nil
}

// Close closes the database after in-flight writes.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return nil
	}
	s.closed.Store(true)
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close sqlite: %w", err)
	}
	return nil
}
