package oidc

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

const maxLifetime = 24 * time.Hour

func saToken(at time.Time) ServiceAccountToken {
	return ServiceAccountToken{
		Issuer: builtinIssuer, Audience: []string{"sts.amazonaws.com"},
		Namespace: "default", ServiceAccount: "app", IssuedAt: at, Expiry: at.Add(maxLifetime),
	}
}

func TestKeySetRotation(t *testing.T) {
	ks, err := NewKeySet(t0)
	if err != nil {
		t.Fatal(err)
	}
	v := NewVerifier(VerifierConfig{Local: localOnly(builtinIssuer, ks.JWKS)})
	verify := func(raw string, now time.Time) error {
		return v.Verify(context.Background(), mustParse(t, raw), now)
	}

	old := ks.Current()
	before, err := ks.Sign(saToken(t0))
	if err != nil {
		t.Fatal(err)
	}

	rotatedAt := t0.Add(time.Hour)
	if err := ks.Rotate(rotatedAt); err != nil {
		t.Fatal(err)
	}
	cur := ks.Current()
	switch {
	case cur == nil || cur == old || cur.ID == old.ID:
		t.Fatalf("Rotate kept the current key")
	case !old.Retired.Equal(rotatedAt) || !cur.Retired.IsZero() || !cur.Created.Equal(rotatedAt):
		t.Fatalf("after Rotate: old retired %v, new created %v retired %v", old.Retired, cur.Created, cur.Retired)
	case len(ks.Keys) != 2 || ks.Keys[0] != cur || ks.Keys[1] != old:
		t.Fatalf("after Rotate, keys = %v", ks.Keys)
	case len(ks.JWKS().Keys) != 2:
		t.Fatalf("after Rotate, JWKS has %d keys, want 2", len(ks.JWKS().Keys))
	}
	after, err := ks.Sign(saToken(rotatedAt))
	if err != nil {
		t.Fatal(err)
	}
	if kid := mustParse(t, after).KeyID; kid != cur.ID {
		t.Fatalf("token signed after rotation has kid %q, want the new key's %q", kid, cur.ID)
	}

	// Both tokens verify while the old key is published.
	now := t0.Add(2 * time.Hour)
	wantKind(t, verify(before, now), 0)
	wantKind(t, verify(after, now), 0)

	// Not yet prunable: the old key may still have live tokens.
	if ks.Prune(rotatedAt.Add(maxLifetime), maxLifetime) {
		t.Fatalf("Prune dropped a key at the end of its grace period")
	}
	if len(ks.Keys) != 2 {
		t.Fatalf("keys = %d, want 2", len(ks.Keys))
	}
	// Past the grace period, the old key goes; its tokens no longer verify.
	if !ks.Prune(rotatedAt.Add(maxLifetime+time.Second), maxLifetime) {
		t.Fatalf("Prune past the grace period changed nothing")
	}
	if len(ks.Keys) != 1 || ks.Current() != cur || len(ks.JWKS().Keys) != 1 {
		t.Fatalf("after Prune, keys = %v", ks.Keys)
	}
	wantKind(t, verify(before, now), KindInvalid)
	wantKind(t, verify(after, now), 0)
	if ks.Prune(t0.Add(100*maxLifetime), maxLifetime) {
		t.Fatalf("Prune dropped the current key")
	}
}

func TestKeySetMarshalRoundTrip(t *testing.T) {
	ks := twoKeySet(t)
	b, err := ks.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	back, err := UnmarshalKeySet(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Keys) != len(ks.Keys) {
		t.Fatalf("round trip has %d keys, want %d", len(back.Keys), len(ks.Keys))
	}
	for i, k := range ks.Keys {
		g := back.Keys[i]
		if g.ID != k.ID || g.Algorithm != k.Algorithm || !g.Created.Equal(k.Created) || !g.Retired.Equal(k.Retired) ||
			!g.Private.Equal(k.Private) {
			t.Errorf("key %d: round trip = %+v, want %+v", i, g, k)
		}
	}
	again, err := back.MarshalBinary()
	if err != nil || string(again) != string(b) {
		t.Errorf("serialized form is not stable: %v", err)
	}

	// Tokens signed by either set verify against the other's keys.
	for name, pair := range map[string][2]*KeySet{"original signs": {ks, back}, "restored signs": {back, ks}} {
		t.Run(name, func(t *testing.T) {
			raw, err := pair[0].Sign(saToken(t0.Add(time.Hour)))
			if err != nil {
				t.Fatal(err)
			}
			v := NewVerifier(VerifierConfig{Local: localOnly(builtinIssuer, pair[1].JWKS)})
			wantKind(t, v.Verify(context.Background(), mustParse(t, raw), t0.Add(2*time.Hour)), 0)
		})
	}
}

// twoKeySet returns a rotated key set made of the shared test keys, current
// rsaB and retired rsaA.
func twoKeySet(t *testing.T) *KeySet {
	t.Helper()
	testKeys(t)
	kidA, err := keyID(&rsaA.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	kidB, err := keyID(&rsaB.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return &KeySet{Keys: []*SigningKey{
		{ID: kidB, Algorithm: "RS256", Created: t0.Add(time.Hour), Private: rsaB},
		{ID: kidA, Algorithm: "RS256", Created: t0, Retired: t0.Add(time.Hour), Private: rsaA},
	}}
}

func TestUnmarshalKeySetRejects(t *testing.T) {
	good, err := twoKeySet(t).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKCS8PrivateKey(ecA)
	if err != nil {
		t.Fatal(err)
	}
	smallDER, err := x509.MarshalPKCS8PrivateKey(rsa1k)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(s *serializedKeySet)) []byte {
		var s serializedKeySet
		if err := json.Unmarshal(good, &s); err != nil {
			t.Fatal(err)
		}
		f(&s)
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name string
		in   []byte
	}{
		{"not JSON", []byte("{")},
		{"empty", nil},
		{"wrong version", edit(func(s *serializedKeySet) { s.Version = 2 })},
		{"no keys", edit(func(s *serializedKeySet) { s.Keys = nil })},
		{"kid not the key's", edit(func(s *serializedKeySet) { s.Keys[0].ID = s.Keys[1].ID })},
		{"other algorithm", edit(func(s *serializedKeySet) { s.Keys[0].Algorithm = "HS256" })},
		{"current key retired", edit(func(s *serializedKeySet) { s.Keys[0].Retired = t0 })},
		{"second key current", edit(func(s *serializedKeySet) { s.Keys[1].Retired = time.Time{} })},
		{"retired first", edit(func(s *serializedKeySet) { s.Keys[0], s.Keys[1] = s.Keys[1], s.Keys[0] })},
		{"duplicate key", edit(func(s *serializedKeySet) { s.Keys = append(s.Keys, s.Keys[1]) })},
		{"bad DER", edit(func(s *serializedKeySet) { s.Keys[0].PKCS8 = []byte("junk") })},
		{"EC key", edit(func(s *serializedKeySet) { s.Keys[0].PKCS8 = ecDER })},
		{"short RSA key", edit(func(s *serializedKeySet) {
			s.Keys[0].PKCS8 = smallDER
			s.Keys[0].ID, _ = keyID(&rsa1k.PublicKey)
		})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := UnmarshalKeySet(tc.in); err == nil {
				t.Fatalf("UnmarshalKeySet accepted %s", tc.in)
			} else if !strings.HasPrefix(err.Error(), "oidc: unmarshal key set") {
				t.Errorf("error %q lacks context", err)
			}
		})
	}
}

func TestKeySetNil(t *testing.T) {
	var ks *KeySet
	if ks.Current() != nil || ks.Prune(t0, time.Hour) || len(ks.JWKS().Keys) != 0 {
		t.Errorf("nil key set is not empty")
	}
	if err := ks.Rotate(t0); err == nil {
		t.Errorf("Rotate on a nil key set succeeded")
	}
	if _, err := ks.MarshalBinary(); err == nil {
		t.Errorf("MarshalBinary on a nil key set succeeded")
	}
}
