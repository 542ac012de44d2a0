package iam

import (
	"strings"
	"testing"
	"time"
)

// TestTOTPVectors checks totpCode against RFC 6238's SHA-1 test vectors
// (appendix B: the 20-byte ASCII seed "12345678901234567890"; the RFC
// prints eight digits, of which a six-digit code is the last six).
func TestTOTPVectors(t *testing.T) {
	seed := []byte("12345678901234567890")
	for _, tc := range []struct {
		unix int64
		want string
	}{
		{59, "287082"},
		{1111111109, "081804"},
		{1111111111, "050471"},
		{1234567890, "005924"},
		{2000000000, "279037"},
		{20000000000, "353130"},
	} {
		if got := totpCode(seed, totpStep(time.Unix(tc.unix, 0))); got != tc.want {
			t.Errorf("T=%d: code %s, want %s", tc.unix, got, tc.want)
		}
	}
	// Two consecutive codes are found within the window, after the last
	// accepted step only.
	now := time.Unix(1234567890, 0)
	step := totpStep(now)
	c1, c2 := totpCode(seed, step-3), totpCode(seed, step-2)
	if got, ok := totpMatch(seed, now, 0, c1, c2, mfaEnableSkew, false); !ok || got != step-2 {
		t.Errorf("totpMatch = %d, %v; want %d", got, ok, step-2)
	}
	if _, ok := totpMatch(seed, now, step-2, c1, c2, mfaEnableSkew, false); ok {
		t.Error("totpMatch accepted codes at or before the last accepted step")
	}
	if _, ok := totpMatch(seed, now, 0, totpCode(seed, step+5), totpCode(seed, step+6), mfaEnableSkew, false); ok {
		t.Error("totpMatch accepted codes 2.5 minutes ahead when enabling")
	}
	if _, ok := totpMatch(seed, now, 0, totpCode(seed, step+5), totpCode(seed, step+6), mfaResyncSkew, true); !ok {
		t.Error("totpMatch refused codes 2.5 minutes ahead when resynchronizing")
	}
}

// TestPasswordHash checks that a password hash verifies its password
// only, is salted, and does not contain the password.
func TestPasswordHash(t *testing.T) {
	h1, err := hashPassword("s3cret pässword")
	if err != nil {
		t.Fatal(err)
	}
	h2, err := hashPassword("s3cret pässword")
	if err != nil {
		t.Fatal(err)
	}
	if h1 == h2 || !strings.HasPrefix(h1, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(h1, "s3cret") {
		t.Fatalf("hashes %q, %q", h1, h2)
	}
	for _, tc := range []struct {
		pw   string
		want bool
	}{{"s3cret pässword", true}, {"s3cret password", false}, {"", false}} {
		if got, err := passwordMatches(h1, tc.pw); err != nil || got != tc.want {
			t.Errorf("passwordMatches(%q) = %v, %v", tc.pw, got, err)
		}
	}
	if _, err := passwordMatches("$md5$x", "x"); err == nil {
		t.Error("passwordMatches accepted a hash of another scheme")
	}
}
