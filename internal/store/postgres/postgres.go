// Package postgres is the store for several nodes on one database: a
// store.Store on PostgreSQL through a pgx connection pool. Its schema is
// brought up to date by the SQL files in migrations/ (embedded), once,
// under an advisory lock, however many nodes start together. Every Apply
// raises the store version in its transaction and sends
// NOTIFY assumed_changes with the new version, so that other nodes can
// learn of the write; LoadVersion reads the records with the version they
// are of, and ApplyAt writes only if the store is still at the version a
// batch was decided against (the writes of several nodes).
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/assumed-dev/assumed/internal/store"
)

// Channel is the channel every Apply notifies (NOTIFY assumed_changes,
// 'VERSION') in its transaction; the payload is the new store version in
// decimal. PostgreSQL delivers it to listeners when, and only if, the
// transaction commits.
const Channel = "assumed_changes"

// migrationLock is the advisory lock (pg_advisory_lock, scoped to the
// database) held while the schema is migrated: "assumed!" in ASCII.
const migrationLock int64 = 0x617373756d656421

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one versioned SQL file of migrations/.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in order. Their files are
// named NNNN_what.sql, numbered from 1 without gaps. Append only: never
// edit one that has shipped.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration file %s: the name must be NNNN_what.sql", e.Name())
		}
		b, err := migrationFiles.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(b)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: numbered %d, want %d (no gaps, no duplicates)", m.name, m.version, i+1)
		}
	}
	return out, nil
}

// Store is a store.Store on a PostgreSQL database.
type Store struct {
	pool *pgxpool.Pool
	desc string // the database, for error messages: user@host:port/db
	// mu is held shared by every call and exclusively by Close, so that
	// Close waits for the calls in flight and later ones see closed.
	mu     sync.RWMutex
	closed bool
}

var _ store.Store = (*Store)(nil)

// IsURL reports whether s names a PostgreSQL database: a postgres:// or
// postgresql:// URL.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Redact returns a PostgreSQL URL with its password, if any, replaced by
// "xxxxx", for logs.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// Open connects to the database at connURL (postgres://USER:PASSWORD@HOST:
// PORT/DB?sslmode=…, with pgx's pool_* parameters too), checks that it
// answers and brings its schema up to date.
func Open(ctx context.Context, connURL string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(connURL)
	if err != nil {
		return nil, fmt.Errorf("postgres store: %w", err)
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "assumed"
	}
	desc := fmt.Sprintf("%s@%s:%d/%s", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres store %s: %w", desc, err)
	}
	s := &Store{pool: pool, desc: desc}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres store %s: connect: %w", desc, err)
	}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres store %s: %w", desc, err)
	}
	return s, nil
}

// migrate applies the migrations the database lacks, each in its own
// transaction recorded in schema_migrations, holding the migration lock.
func (s *Store) migrate(ctx context.Context) (err error) {
	all, err := migrations()
	if err != nil {
		return err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("migrate: take the migration lock: %w", err)
	}
	defer func() {
		// Unlock even when ctx has ended; a connection that cannot be
		// unlocked is closed, which releases the lock.
		unlockCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if _, uerr := conn.Exec(unlockCtx, `SELECT pg_advisory_unlock($1)`, migrationLock); uerr != nil {
			conn.Conn().Close(unlockCtx)
			if err == nil {
				err = fmt.Errorf("migrate: release the migration lock: %w", uerr)
			}
		}
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	var have int
	if err := conn.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("migrate: read the schema version: %w", err)
	}
	if have > len(all) {
		return fmt.Errorf("database schema version %d is newer than this build knows (%d): refusing to run", have, len(all))
	}
	for _, m := range all[have:] {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name)
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}

// SchemaVersion returns the number of migrations applied.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("postgres store %s: read the schema version: %w", s.desc, err)
	}
	return v, nil
}

// enter is how every call starts: it fails with ErrClosed after Close,
// else holds Close off until the returned func is called.
func (s *Store) enter() (func(), error) {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return nil, store.ErrClosed
	}
	return s.mu.RUnlock, nil
}

// Load returns every record, ordered by kind, account and id.
func (s *Store) Load(ctx context.Context) ([]store.Record, error) {
	leave, err := s.enter()
	if err != nil {
		return nil, err
	}
	defer leave()
	recs, err := load(ctx, s.pool)
	if err != nil {
		return nil, fmt.Errorf("postgres store %s: load records: %w", s.desc, err)
	}
	return recs, nil
}

// LoadVersion returns every record and the store version they are the
// state of, read in one snapshot: a node that loaded version v has every
// write up to v and none after.
func (s *Store) LoadVersion(ctx context.Context) ([]store.Record, int64, error) {
	leave, err := s.enter()
	if err != nil {
		return nil, 0, err
	}
	defer leave()
	var recs []store.Record
	var v int64
	err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT version FROM store_version`).Scan(&v); err != nil {
			return err
		}
		var err error
		recs, err = load(ctx, tx)
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("postgres store %s: load records: %w", s.desc, err)
	}
	return recs, v, nil
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func load(ctx context.Context, q querier) ([]store.Record, error) {
	rows, err := q.Query(ctx, `SELECT kind, account, id, data FROM records ORDER BY kind, account, id`)
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
			r.Data = []byte{}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Version returns the store version.
func (s *Store) Version(ctx context.Context) (int64, error) {
	leave, err := s.enter()
	if err != nil {
		return 0, err
	}
	defer leave()
	var v int64
	if err := s.pool.QueryRow(ctx, `SELECT version FROM store_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("postgres store %s: read the store version: %w", s.desc, err)
	}
	return v, nil
}

// Apply writes the batch in one transaction, in two round trips: a
// pipeline that begins the transaction, raises the store version (taking
// the version row's lock, which orders writers on every node so that
// versions commit in order), applies the changes in order (each record
// written carries the new version) and notifies Channel; then COMMIT, sent
// only once every statement succeeded. (A pipeline ending in an implicit
// commit would save a round trip but could commit after the caller gave
// up: a backend waiting on a lock notices the client gone only when it
// next talks to it.) The notification is delivered if and when the
// transaction commits.
func (s *Store) Apply(ctx context.Context, changes []store.Change) error {
	_, err := s.apply(ctx, -1, changes)
	return err
}

// ApplyAt is Apply on the condition that the store is still at version
// (the one the batch was decided against): it returns the new version,
// or store.ErrConflict, writing nothing, when another writer (another
// node) has moved the store on. An empty batch writes nothing and
// returns version if the store is at it.
func (s *Store) ApplyAt(ctx context.Context, version int64, changes []store.Change) (int64, error) {
	if version < 0 {
		return 0, fmt.Errorf("postgres store %s: apply at version %d: versions are not negative", s.desc, version)
	}
	if len(changes) == 0 {
		v, err := s.Version(ctx)
		if err != nil {
			return 0, err
		}
		if v != version {
			return 0, fmt.Errorf("postgres store %s: at version %d, not %d: %w", s.desc, v, version, store.ErrConflict)
		}
		return v, nil
	}
	return s.apply(ctx, version, changes)
}

// apply is Apply, conditional on the store's version being expect unless
// expect is negative; it returns the new version.
func (s *Store) apply(ctx context.Context, expect int64, changes []store.Change) (int64, error) {
	leave, err := s.enter()
	if err != nil {
		return 0, err
	}
	defer leave()
	if len(changes) == 0 {
		return 0, nil
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return 0, fmt.Errorf("postgres store %s: apply: %w", s.desc, err)
	}
	// A connection left in the transaction (a failure below) is closed
	// by Release, which rolls the transaction back.
	defer conn.Release()
	b := &pgx.Batch{}
	b.BeginTx(pgx.TxOptions{})
	// Conditional or not, the UPDATE waits for the row lock of a writer
	// in flight and then sees the version that writer committed.
	b.Queue(`UPDATE store_version SET version = version + 1 WHERE $1::bigint < 0 OR version = $1::bigint RETURNING version`, expect)
	for _, c := range changes {
		if c.Delete {
			b.Queue(`DELETE FROM records WHERE kind = $1 AND account = $2 AND id = $3`, c.Kind, c.Account, c.ID)
		} else {
			b.Queue(`INSERT INTO records (kind, account, id, data, version, updated_at)
				VALUES ($1, $2, $3, $4, (SELECT version FROM store_version), now())
				ON CONFLICT (kind, account, id) DO UPDATE SET data = excluded.data, version = excluded.version, updated_at = excluded.updated_at`,
				c.Kind, c.Account, c.ID, c.Data)
		}
	}
	b.Queue(`SELECT pg_notify($1, version::text) FROM store_version`, Channel)
	br := conn.SendBatch(ctx, b)
	// The first error is the one to report: the statements after it fail
	// as the transaction is aborted.
	fail := func(what string, err error) (int64, error) {
		br.Close()
		rollback(ctx, br.Tx())
		return 0, fmt.Errorf("postgres store %s: apply%s: %w", s.desc, what, err)
	}
	if _, err := br.Exec(); err != nil {
		return fail(": begin", err)
	}
	var v int64
	if err := br.QueryRow().Scan(&v); errors.Is(err, pgx.ErrNoRows) && expect >= 0 {
		// Not at expect: the rest of the batch runs, and is rolled back.
		return fail(fmt.Sprintf(" at version %d", expect), store.ErrConflict)
	} else if err != nil {
		return fail(": raise the store version", err)
	}
	for _, c := range changes {
		if _, err := br.Exec(); err != nil {
			return fail(fmt.Sprintf(" %s %s/%s", c.Kind, c.Account, c.ID), err)
		}
	}
	if _, err := br.Exec(); err != nil {
		return fail(": notify "+Channel, err)
	}
	if err := br.Close(); err != nil {
		return 0, fmt.Errorf("postgres store %s: apply: %w", s.desc, err)
	}
	// Once COMMIT is sent the outcome is the server's: ctx ending then
	// would only lose the answer (the batch landing after Apply failed),
	// so the commit is waited for whatever ctx does, for a bounded time.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
	defer cancel()
	if err := br.Tx().Commit(cctx); err != nil {
		return 0, fmt.Errorf("postgres store %s: apply: commit version %d: %w", s.desc, v, err)
	}
	return v, nil
}

// rollback ends the transaction of a failed batch, so that its
// connection goes back to the pool; should that fail, Release closes the
// connection, which ends the transaction too.
func rollback(ctx context.Context, tx pgx.Tx) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
	defer cancel()
	tx.Rollback(rctx)
}

// commitTimeout bounds the wait for a COMMIT's answer.
const commitTimeout = 30 * time.Second

// Meta returns a metadata value.
func (s *Store) Meta(ctx context.Context, key string) ([]byte, bool, error) {
	leave, err := s.enter()
	if err != nil {
		return nil, false, err
	}
	defer leave()
	var v []byte
	err = s.pool.QueryRow(ctx, `SELECT value FROM meta WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("postgres store %s: read meta %s: %w", s.desc, key, err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, true, nil
}

// SetMeta stores a metadata value.
func (s *Store) SetMeta(ctx context.Context, key string, value []byte) error {
	leave, err := s.enter()
	if err != nil {
		return err
	}
	defer leave()
	if _, err := s.pool.Exec(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
		return fmt.Errorf("postgres store %s: write meta %s: %w", s.desc, key, err)
	}
	return nil
}

// Close waits for the calls in flight, then closes the connection pool.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.pool.Close()
	return nil
}
