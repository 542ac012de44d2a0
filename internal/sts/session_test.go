package sts

import (
	"testing"
	"time"

	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/directory"
)

// TestSessionTokenLifetime issues a session and opens its token just
// before and just after it expires, and after the key that sealed it has
// left the ring.
func TestSessionTokenLifetime(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	k, err := creds.GenerateRingKey(1, t0)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := creds.NewKeyRing([]creds.RingKey{k})
	if err != nil {
		t.Fatal(err)
	}
	s := New(directory.New(directory.NewSnapshot()), ring)
	s.now = func() time.Time { return t0 }
	sess := &directory.Session{AccountID: "111111111111", UserName: "alice", IssuedAt: t0, Expiration: t0.Add(900 * time.Second)}
	c, err := s.issue(sess)
	if err != nil {
		t.Fatal(err)
	}
	token := *c.SessionToken

	s.now = func() time.Time { return t0.Add(899 * time.Second) }
	got, err := s.OpenSession(token)
	if err != nil || got.AccessKeyID != *c.AccessKeyId || got.Secret != *c.SecretAccessKey || got.UserName != "alice" {
		t.Fatalf("before expiry: %+v, %v", got, err)
	}
	s.now = func() time.Time { return t0.Add(900 * time.Second) }
	if _, err := s.OpenSession(token); err != ErrExpiredToken {
		t.Fatalf("at expiry: %v, want ErrExpiredToken", err)
	}

	// Rotation keeps the old key while sessions may live; once it is
	// dropped, its tokens are invalid, not expired.
	rotated, _, err := ring.Rotate(t0.Add(25*time.Hour), 24*time.Hour, 48*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s.SetSealer(rotated)
	s.now = func() time.Time { return t0.Add(899 * time.Second) }
	if _, err := s.OpenSession(token); err != nil {
		t.Fatalf("after rotation, old key retained: %v", err)
	}
	dropped, _, err := rotated.Rotate(t0.Add(100*time.Hour), 24*time.Hour, 48*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s.SetSealer(dropped)
	if _, err := s.OpenSession(token); err != ErrInvalidToken {
		t.Fatalf("after the key was dropped: %v, want ErrInvalidToken", err)
	}
	if _, err := s.OpenSession(""); err != ErrInvalidToken {
		t.Fatalf("empty token: %v", err)
	}
}
