package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/assumed-dev/assumed/internal/store"
	"github.com/assumed-dev/assumed/internal/store/postgres/pgtest"
	"github.com/assumed-dev/assumed/internal/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func open(t *testing.T, url string) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Open(ctx, url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

// TestConformance runs the store conformance suite, each part on a
// database of its own.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (store.Store, storetest.Reopen) {
		url := pgtest.URL(t)
		return open(t, url), func(t *testing.T) store.Store { return open(t, url) }
	})
}

func put(kind, account, id, data string) store.Change {
	return store.Change{Record: store.Record{Kind: kind, Account: account, ID: id, Data: []byte(data)}}
}

// TestNotify listens on the channel: each Apply notifies once with its
// new version, after it commits; a failed Apply notifies nothing.
func TestNotify(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	s := open(t, url)
	defer s.Close()
	l, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(ctx)
	if _, err := l.Exec(ctx, "LISTEN "+Channel); err != nil {
		t.Fatal(err)
	}
	next := func(wait time.Duration) (string, bool) {
		wctx, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		n, err := l.WaitForNotification(wctx)
		if err != nil {
			return "", false
		}
		if n.Channel != Channel {
			t.Fatalf("notification on %q, want %q", n.Channel, Channel)
		}
		return n.Payload, true
	}
	for i := 1; i <= 3; i++ {
		if err := s.Apply(ctx, []store.Change{put("role", "1", strconv.Itoa(i), `{}`), put("policy", "1", strconv.Itoa(i), `{}`)}); err != nil {
			t.Fatal(err)
		}
		v, err := s.Version(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := next(10 * time.Second)
		if !ok || got != strconv.FormatInt(v, 10) {
			t.Fatalf("after Apply %d: notification %q (%v), want the version %d", i, got, ok, v)
		}
	}
	// A batch the database rejects (NUL is not text) notifies nothing.
	if err := s.Apply(ctx, []store.Change{put("role", "1", "ok", `{}`), put("role", "1", "nul\x00", `{}`)}); err == nil {
		t.Fatal("Apply of an id with NUL succeeded")
	}
	if err := s.Apply(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got, ok := next(300 * time.Millisecond); ok {
		t.Fatalf("a failed and an empty Apply notified %q", got)
	}
}

// TestApplyFailsInDatabase: a batch whose last change the database
// refuses leaves nothing, and the version where it was.
func TestApplyFailsInDatabase(t *testing.T) {
	ctx := context.Background()
	s := open(t, pgtest.URL(t))
	defer s.Close()
	if err := s.Apply(ctx, []store.Change{put("role", "1", "a", `{"v":1}`)}); err != nil {
		t.Fatal(err)
	}
	batch := []store.Change{put("role", "1", "a", `{"v":2}`), {Record: store.Record{Kind: "role", Account: "1", ID: "a"}, Delete: true}}
	for i := range 100 {
		batch = append(batch, put("role", "1", fmt.Sprint(i), `{}`))
	}
	batch = append(batch, put("role", "1", "bad\x00id", `{}`))
	err := s.Apply(ctx, batch)
	if err == nil || !strings.Contains(err.Error(), "role 1/bad") {
		t.Fatalf("Apply = %v, want an error naming the refused change", err)
	}
	recs, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || string(recs[0].Data) != `{"v":1}` {
		t.Fatalf("after a refused batch: %d records (%v), want the one as it was", len(recs), recs)
	}
	if v, _ := s.Version(ctx); v != 1 {
		t.Fatalf("version %d after a refused batch, want 1", v)
	}
}

// TestRecordVersions: each record carries the version of the Apply that
// last wrote it, and LoadVersion reads records and version together.
func TestRecordVersions(t *testing.T) {
	ctx := context.Background()
	s := open(t, pgtest.URL(t))
	defer s.Close()
	for _, batch := range [][]store.Change{
		{put("role", "1", "a", `{}`), put("role", "1", "b", `{}`)},
		{put("role", "1", "b", `{"v":2}`)},
		{put("role", "1", "c", `{}`)},
	} {
		if err := s.Apply(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]int64{}
	rows, err := s.pool.Query(ctx, `SELECT id, version FROM records`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		var v int64
		if err := rows.Scan(&id, &v); err != nil {
			t.Fatal(err)
		}
		got[id] = v
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	if want := map[string]int64{"a": 1, "b": 2, "c": 3}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("record versions %v, want %v", got, want)
	}
	recs, v, err := s.LoadVersion(ctx)
	if err != nil || len(recs) != 3 || v != 3 {
		t.Fatalf("LoadVersion = %d records, version %d, %v; want 3, 3", len(recs), v, err)
	}
}

// TestConcurrentOpenMigratesOnce starts several stores on one new
// database at once: each opens, and each migration ran once.
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	url := pgtest.URL(t)
	const nodes = 8
	var wg sync.WaitGroup
	stores := make([]*Store, nodes)
	errs := make([]error, nodes)
	for i := range nodes {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			stores[i], errs[i] = Open(ctx, url)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: Open: %v", i, err)
		}
		defer stores[i].Close()
	}
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	var n, maxV int
	if err := stores[0].pool.QueryRow(context.Background(), `SELECT count(*), max(version) FROM schema_migrations`).Scan(&n, &maxV); err != nil {
		t.Fatal(err)
	}
	if n != len(all) || maxV != len(all) {
		t.Fatalf("schema_migrations holds %d rows up to %d, want %d", n, maxV, len(all))
	}
	// Every node writes, and every node reads the others' writes.
	ctx := context.Background()
	for i, s := range stores {
		if err := s.Apply(ctx, []store.Change{put("role", "1", fmt.Sprint(i), `{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	for i, s := range stores {
		recs, err := s.Load(ctx)
		if err != nil || len(recs) != nodes {
			t.Fatalf("node %d: Load = %d records, %v; want %d", i, len(recs), err, nodes)
		}
		if v, err := s.Version(ctx); err != nil || v != nodes {
			t.Fatalf("node %d: Version = %d, %v; want %d", i, v, err, nodes)
		}
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	url := pgtest.URL(t)
	s := open(t, url)
	ctx := context.Background()
	n, err := s.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, 'from-the-future.sql')`, n+1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := Open(ctx, url); err == nil {
		s.Close()
		t.Fatal("opened a database with a newer schema")
	} else if !strings.Contains(err.Error(), "newer than this build") {
		t.Fatalf("Open = %v, want a refusal of the newer schema", err)
	}
	// The refusal released the migration lock: an older schema would
	// still migrate.
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, migrationLock).Scan(&ok); err != nil || !ok {
		t.Fatalf("the migration lock is still held after a refused Open (%v)", err)
	}
}

// TestOpenErrors: a server that is not there fails Open with an error
// that names the database and never the password.
func TestOpenErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, url := range []string{
		"postgres://assumed:s3cr3t-pw@127.0.0.1:1/assumed?connect_timeout=5",
		"postgresql://assumed:s3cr3t-pw@127.0.0.1:1/assumed?sslmode=disable",
		"postgres://assumed@127.0.0.1:1/assumed?password=s3cr3t-pw",
		"postgres://assumed:s3cr3t-pw@127.0.0.1:notaport/assumed",
	} {
		s, err := Open(ctx, url)
		if err == nil {
			s.Close()
			t.Fatalf("Open(%s) succeeded", Redact(url))
		}
		if strings.Contains(err.Error(), "s3cr3t-pw") {
			t.Errorf("Open's error shows the password: %v", err)
		}
		if !strings.Contains(err.Error(), "postgres store") {
			t.Errorf("Open's error does not say what failed: %v", err)
		}
		if r := Redact(url); strings.Contains(r, "s3cr3t-pw") {
			t.Errorf("Redact(%s) = %s", url, r)
		}
	}
}

// TestCancelledContext: calls with an ended context fail promptly and
// leave the pool usable.
func TestCancelledContext(t *testing.T) {
	s := open(t, pgtest.URL(t))
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Load(ctx); err == nil {
		t.Error("Load with a cancelled context succeeded")
	}
	if _, err := s.Version(ctx); err == nil {
		t.Error("Version with a cancelled context succeeded")
	}
	if err := s.SetMeta(ctx, "k", []byte("v")); err == nil {
		t.Error("SetMeta with a cancelled context succeeded")
	}
	// A statement cancelled while it runs: a batch held up by another
	// transaction's lock on the version row.
	bg := context.Background()
	tx, err := s.pool.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(bg, `UPDATE store_version SET version = version`); err != nil {
		t.Fatal(err)
	}
	tctx, tcancel := context.WithTimeout(bg, 300*time.Millisecond)
	start := time.Now()
	err = s.Apply(tctx, []store.Change{put("role", "1", "a", `{}`)})
	tcancel()
	if err == nil || time.Since(start) > 10*time.Second {
		t.Fatalf("Apply blocked by a lock, with a 300 ms deadline: %v after %v", err, time.Since(start))
	}
	if err := tx.Rollback(bg); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(bg, []store.Change{put("role", "1", "b", `{}`)}); err != nil {
		t.Fatalf("Apply after a cancelled one: %v", err)
	}
	recs, err := s.Load(bg)
	if err != nil || len(recs) != 1 || recs[0].ID != "b" {
		t.Fatalf("Load = %v, %v; want only b", recs, err)
	}
}

// TestApplyAt: a write conditional on the version lands when the store is
// at it, and otherwise writes nothing and fails with ErrConflict; of
// several nodes deciding against one version, exactly one lands.
func TestApplyAt(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	s := open(t, url)
	defer s.Close()
	v, err := s.ApplyAt(ctx, 0, []store.Change{put("role", "1", "a", `{"v":1}`)})
	if err != nil || v != 1 {
		t.Fatalf("ApplyAt(0) = %d, %v; want 1", v, err)
	}
	for range 20 { // conflicts leave the pool's connections usable
		if _, err := s.ApplyAt(ctx, 0, []store.Change{put("role", "1", "a", `{"v":"stale"}`), put("role", "1", "b", `{}`)}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("ApplyAt(stale) = %v, want ErrConflict", err)
		}
	}
	if v, err := s.ApplyAt(ctx, 1, nil); err != nil || v != 1 {
		t.Fatalf("ApplyAt(1, no changes) = %d, %v; want 1", v, err)
	}
	if _, err := s.ApplyAt(ctx, 0, nil); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("ApplyAt(0, no changes) = %v, want ErrConflict", err)
	}
	recs, v, err := s.LoadVersion(ctx)
	if err != nil || v != 1 || len(recs) != 1 || string(recs[0].Data) != `{"v":1}` {
		t.Fatalf("after stale writes: %v records, version %d, %v; want the first write alone at 1", recs, v, err)
	}

	const nodes = 6
	stores := []*Store{s}
	for range nodes - 1 {
		n := open(t, url)
		defer n.Close()
		stores = append(stores, n)
	}
	for round := range 5 {
		base, err := s.Version(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var landed, conflicts int
		var mu sync.Mutex
		for i, n := range stores {
			wg.Go(func() {
				_, err := n.ApplyAt(ctx, base, []store.Change{put("race", "1", fmt.Sprint(round), fmt.Sprintf(`{"node":%d}`, i))})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					landed++
				case errors.Is(err, store.ErrConflict):
					conflicts++
				default:
					t.Errorf("node %d: ApplyAt: %v", i, err)
				}
			})
		}
		wg.Wait()
		if landed != 1 || conflicts != nodes-1 {
			t.Fatalf("round %d: %d writes landed and %d conflicted, want 1 and %d", round, landed, conflicts, nodes-1)
		}
		if v, _ := s.Version(ctx); v != base+1 {
			t.Fatalf("round %d: version %d, want %d", round, v, base+1)
		}
	}
	if err := s.Apply(ctx, []store.Change{put("role", "1", "after", `{}`)}); err != nil {
		t.Fatalf("Apply after conflicts: %v", err)
	}
}
