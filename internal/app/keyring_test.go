package app

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/store/sqlite"
)

// TestLoadKeyRingRotates checks the stored ring: created once, kept while
// young, rotated when due with the old key retained, and that a token
// sealed before the rotation still opens after it.
func TestLoadKeyRingRotates(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key, err := creds.LoadOrCreateMasterKey(filepath.Join(t.TempDir(), "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := creds.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	r1, err := loadKeyRing(ctx, st, sealer, t0)
	if err != nil {
		t.Fatal(err)
	}
	token, err := r1.Seal([]byte("session"))
	if err != nil {
		t.Fatal(err)
	}
	r2, err := loadKeyRing(ctx, st, sealer, t0.Add(time.Hour))
	if err != nil || r2.NewestID() != r1.NewestID() || len(r2.KeyIDs()) != 1 {
		t.Fatalf("an hour later the ring changed: %v %v", r2.KeyIDs(), err)
	}
	r3, err := loadKeyRing(ctx, st, sealer, t0.Add(25*time.Hour))
	if err != nil || r3.NewestID() == r1.NewestID() || len(r3.KeyIDs()) != 2 {
		t.Fatalf("after a day the ring did not rotate: %v %v", r3.KeyIDs(), err)
	}
	if got, err := r3.Open(token); err != nil || string(got) != "session" {
		t.Fatalf("a token of the old key after rotation: %q %v", got, err)
	}
	// The rotated ring is what the store now holds.
	r4, err := loadKeyRing(ctx, st, sealer, t0.Add(26*time.Hour))
	if err != nil || r4.NewestID() != r3.NewestID() {
		t.Fatalf("stored ring: %v %v", r4.KeyIDs(), err)
	}
}
