package sqlite

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/assumed-dev/assumed/internal/store"
)

func TestApplyLoadAndReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	batch := []store.Change{
		{Record: store.Record{Kind: "role", Account: "111111111111", ID: "AROAEXAMPLE1", Data: []byte(`{"name":"a"}`)}},
		{Record: store.Record{Kind: "role", Account: "111111111111", ID: "AROAEXAMPLE2", Data: []byte(`{"name":"b"}`)}},
		{Record: store.Record{Kind: "account", ID: "111111111111", Data: []byte(`{"id":"111111111111"}`)}},
	}
	if err := s.Apply(ctx, batch); err != nil {
		t.Fatal(err)
	}
	// Update one, delete one.
	if err := s.Apply(ctx, []store.Change{
		{Record: store.Record{Kind: "role", Account: "111111111111", ID: "AROAEXAMPLE1", Data: []byte(`{"name":"a2"}`)}},
		{Record: store.Record{Kind: "role", Account: "111111111111", ID: "AROAEXAMPLE2"}, Delete: true},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMeta(ctx, "keyring", []byte("k1")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(ctx, batch); err != store.ErrClosed {
		t.Fatalf("Apply after Close = %v, want ErrClosed", err)
	}

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Record{
		{Kind: "account", ID: "111111111111", Data: []byte(`{"id":"111111111111"}`)},
		{Kind: "role", Account: "111111111111", ID: "AROAEXAMPLE1", Data: []byte(`{"name":"a2"}`)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after reopen Load = %+v, want %+v", got, want)
	}
	v, ok, err := s.Meta(ctx, "keyring")
	if err != nil || !ok || string(v) != "k1" {
		t.Fatalf("Meta = %q %v %v", v, ok, err)
	}
	if _, ok, _ := s.Meta(ctx, "absent"); ok {
		t.Fatal("absent meta key reported present")
	}
	ver, err := s.SchemaVersion(ctx)
	if err != nil || ver != len(migrations) {
		t.Fatalf("schema version = %d, %v; want %d", ver, err, len(migrations))
	}
}

func TestApplyIsAtomic(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// The second change violates NOT NULL (nil data): the first must not land.
	err = s.Apply(ctx, []store.Change{
		{Record: store.Record{Kind: "user", Account: "1", ID: "a", Data: []byte(`{}`)}},
		{Record: store.Record{Kind: "user", Account: "1", ID: "b", Data: nil}},
	})
	if err == nil {
		t.Fatal("Apply with an invalid change succeeded")
	}
	got, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("a failed batch left %d records behind", len(got))
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, 'x')`, len(migrations)+1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(ctx, path); err == nil {
		t.Fatal("opened a database with a newer schema")
	}
}
