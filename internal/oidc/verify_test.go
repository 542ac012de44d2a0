package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// TestVerifyLocal covers signature and time checks against local keys.
func TestVerifyLocal(t *testing.T) {
	testKeys(t)
	const iss = "https://issuer.example.com"
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		jwk(rsaA, "rsa-a", "RS256"),
		jwk(ecA, "ec-a", "ES256"),
		jwk(rsaB, "rsa-b", ""), // no alg: fits any RS*
		jwk(rsa1k, "rsa-1k", "RS256"),
		jwk(ec384, "ec-384-as-256", "ES256"),
		jwk(rsaB, "rsa-b-enc", "RS256"),
		jwk(rsaB, "rsa-b-rs384", "RS384"),
		{Key: []byte("secret-secret-secret-secret-32by"), KeyID: "oct", Algorithm: "HS256"},
	}}
	set.Keys[5].Use = "enc"
	v := NewVerifier(VerifierConfig{Local: localOnly(iss, func() jose.JSONWebKeySet { return set })})
	now := t0.Add(time.Minute)
	with := func(f func(c map[string]any)) map[string]any {
		c := claims(iss)
		f(c)
		return c
	}
	base := claims(iss)

	tests := []struct {
		name string
		raw  string
		now  time.Time
		want Kind
		msg  string // the error message, when checked
	}{
		{name: "RS256", raw: signJWT(t, jose.RS256, rsaA, "rsa-a", base)},
		{name: "ES256", raw: signJWT(t, jose.ES256, ecA, "ec-a", base)},
		{name: "RS384 on a key without alg", raw: signJWT(t, jose.RS384, rsaB, "rsa-b", base)},
		{name: "RS512 on a key without alg", raw: signJWT(t, jose.RS512, rsaB, "rsa-b", base)},
		{name: "no kid: every fitting key is tried", raw: signJWT(t, jose.RS256, rsaB, "", base)},
		{name: "no kid, ES256", raw: signJWT(t, jose.ES256, ecA, "", base)},
		{name: "unknown kid", raw: signJWT(t, jose.RS256, rsaA, "nope", base), want: KindInvalid},
		{name: "kid of another key", raw: signJWT(t, jose.RS256, rsaA, "rsa-b", base), want: KindInvalid},
		{name: "no kid, no key signed it", raw: signJWT(t, jose.RS256, rsa1k, "", base), want: KindInvalid},
		{name: "key alg conflicts", raw: signJWT(t, jose.RS384, rsaA, "rsa-a", base), want: KindInvalid},
		{name: "RS256 token, RS384-only key", raw: signJWT(t, jose.RS256, rsaB, "rsa-b-rs384", base), want: KindInvalid},
		{name: "key for encryption", raw: signJWT(t, jose.RS256, rsaB, "rsa-b-enc", base), want: KindInvalid},
		{name: "RSA key too short", raw: signJWT(t, jose.RS256, rsa1k, "rsa-1k", base), want: KindInvalid},
		{name: "ES256 on a P-384 key", raw: signJWT(t, jose.ES384, ec384, "ec-384-as-256", base), want: KindInvalid},
		{name: "ES256 token, RSA key", raw: signJWT(t, jose.ES256, ecA, "rsa-a", base), want: KindInvalid},
		{name: "RS256 token, EC key", raw: signJWT(t, jose.RS256, rsaA, "ec-a", base), want: KindInvalid},
		{name: "tampered payload", raw: tamper(t, signJWT(t, jose.RS256, rsaA, "rsa-a", base), with(func(c map[string]any) {
			c["sub"] = "system:serviceaccount:kube-system:admin"
		})), want: KindInvalid},
		{name: "tampered signature", raw: flipSignature(signJWT(t, jose.RS256, rsaA, "rsa-a", base)), want: KindInvalid},
		{name: "truncated ES256 signature", raw: truncateSignature(signJWT(t, jose.ES256, ecA, "ec-a", base)), want: KindInvalid},
		{name: "issuer with no local keys and not https", raw: signJWT(t, jose.RS256, rsaA, "rsa-a", with(func(c map[string]any) {
			c["iss"] = "other-issuer"
		})), want: KindInvalid},
		{
			name: "expired", raw: signJWT(t, jose.RS256, rsaA, "rsa-a", base), now: t0.Add(time.Hour + 61*time.Second), want: KindExpired,
			msg: "Token expired: current date/time 1772370061 must be before the expiration date/time 1772370000",
		},
		{name: "expired within leeway", raw: signJWT(t, jose.RS256, rsaA, "rsa-a", base), now: t0.Add(time.Hour + 60*time.Second)},
		{name: "expired and badly signed", raw: flipSignature(signJWT(t, jose.RS256, rsaA, "rsa-a", base)), now: t0.Add(2 * time.Hour), want: KindInvalid},
		{name: "no exp", raw: signJWT(t, jose.RS256, rsaA, "rsa-a", with(func(c map[string]any) { delete(c, "exp") })), want: KindInvalid},
		{name: "nbf in the future", raw: signJWT(t, jose.RS256, rsaA, "rsa-a", base), now: t0.Add(-61 * time.Second), want: KindInvalid},
		{name: "nbf within leeway", raw: signJWT(t, jose.RS256, rsaA, "rsa-a", base), now: t0.Add(-60 * time.Second)},
		{name: "iat in the future", raw: signJWT(t, jose.RS256, rsaA, "rsa-a", with(func(c map[string]any) {
			delete(c, "nbf")
			c["iat"] = now.Add(2 * time.Minute).Unix()
		})), want: KindInvalid},
		{name: "iat within leeway", raw: signJWT(t, jose.RS256, rsaA, "rsa-a", with(func(c map[string]any) {
			delete(c, "nbf")
			c["iat"] = now.Add(time.Minute).Unix()
		}))},
		{name: "float dates", raw: signJWT(t, jose.RS256, rsaA, "rsa-a", with(func(c map[string]any) {
			c["exp"] = float64(t0.Add(time.Hour).Unix()) + 0.5
			c["iat"] = float64(t0.Unix()) + 0.25
		}))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			when := tc.now
			if when.IsZero() {
				when = now
			}
			tok := mustParse(t, tc.raw)
			err := v.Verify(context.Background(), tok, when)
			wantKind(t, err, tc.want)
			if tc.msg != "" {
				var e *Error
				if errors.As(err, &e); e.Message != tc.msg {
					t.Errorf("message = %q, want %q", e.Message, tc.msg)
				}
			}
		})
	}
}

// tamper replaces the payload of a signed token.
func tamper(t *testing.T, raw string, c map[string]any) string {
	t.Helper()
	forged := strings.Split(signJWT(t, jose.HS256, []byte("0123456789abcdef0123456789abcdef"), "", c), ".")
	parts := strings.Split(raw, ".")
	return parts[0] + "." + forged[1] + "." + parts[2]
}

func flipSignature(raw string) string {
	i := strings.LastIndexByte(raw, '.')
	sig, _ := base64.RawURLEncoding.DecodeString(raw[i+1:])
	sig[len(sig)/2] ^= 1
	return raw[:i+1] + base64.RawURLEncoding.EncodeToString(sig)
}

func truncateSignature(raw string) string {
	i := strings.LastIndexByte(raw, '.')
	sig, _ := base64.RawURLEncoding.DecodeString(raw[i+1:])
	return raw[:i+1] + base64.RawURLEncoding.EncodeToString(sig[:len(sig)-1])
}

// TestVerifyRequiresParsedFields checks that Verify trusts the raw token,
// not fields changed after Parse.
func TestVerifyRequiresParsedFields(t *testing.T) {
	testKeys(t)
	raw, err := sharedKeySet.Sign(saToken(t0))
	if err != nil {
		t.Fatal(err)
	}
	v := NewVerifier(VerifierConfig{Local: localOnly(builtinIssuer, sharedKeySet.JWKS)})
	tests := []struct {
		name   string
		change func(tok *Token)
		want   Kind
	}{
		{"unchanged", func(*Token) {}, 0},
		{"subject", func(tok *Token) { tok.Subject = "system:serviceaccount:kube-system:admin" }, KindInvalid},
		{"issuer", func(tok *Token) { tok.Issuer = "https://elsewhere" }, KindInvalid},
		{"audience", func(tok *Token) { tok.Audience = []string{"other"} }, KindInvalid},
		{"expiry", func(tok *Token) { tok.Expiry = tok.Expiry.Add(time.Hour) }, KindInvalid},
		{"amr", func(tok *Token) { tok.AMR = []string{"authenticated"} }, KindInvalid},
		{"raw swapped", func(tok *Token) { tok.Raw = flipSignature(tok.Raw) }, KindInvalid},
		{"not from Parse", func(tok *Token) { *tok = Token{Raw: tok.Raw} }, KindInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok := mustParse(t, raw)
			tc.change(tok)
			wantKind(t, v.Verify(context.Background(), tok, t0.Add(time.Minute)), tc.want)
		})
	}
	wantKind(t, v.Verify(context.Background(), nil, t0), KindInvalid)
	var nilV *Verifier
	wantKind(t, nilV.Verify(context.Background(), mustParse(t, raw), t0), KindInvalid)
}

// TestVerifyOddLocalKeys checks that malformed local keys are skipped, not
// trusted and not a panic.
func TestVerifyOddLocalKeys(t *testing.T) {
	testKeys(t)
	raw := signJWT(t, jose.RS256, rsaA, "", claims(builtinIssuer))
	odd := []jose.JSONWebKey{
		{},
		{Key: (*rsa.PublicKey)(nil)},
		{Key: (*rsa.PrivateKey)(nil)},
		{Key: (*ecdsa.PublicKey)(nil)},
		{Key: &rsa.PublicKey{}},
		{Key: &ecdsa.PublicKey{}},
		{Key: "not a key"},
		{Key: rsaA.PublicKey.N.Bytes(), Algorithm: "HS256"},
	}
	v := NewVerifier(VerifierConfig{Local: localOnly(builtinIssuer, func() jose.JSONWebKeySet {
		return jose.JSONWebKeySet{Keys: odd}
	})})
	wantKind(t, v.Verify(context.Background(), mustParse(t, raw), t0), KindInvalid)

	// A private key given locally verifies through its public half.
	v = NewVerifier(VerifierConfig{Local: localOnly(builtinIssuer, func() jose.JSONWebKeySet {
		return jose.JSONWebKeySet{Keys: append(odd, jose.JSONWebKey{Key: rsaA})}
	})})
	wantKind(t, v.Verify(context.Background(), mustParse(t, raw), t0), 0)
}

func TestVerifierLeewayConfig(t *testing.T) {
	for _, tc := range []struct {
		in, want time.Duration
	}{{0, DefaultLeeway}, {-time.Second, 0}, {time.Hour, MaxLeeway}, {2 * time.Minute, 2 * time.Minute}} {
		if got := NewVerifier(VerifierConfig{Leeway: tc.in}).cfg.Leeway; got != tc.want {
			t.Errorf("Leeway %v: got %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestVerifyLocalConcurrent(t *testing.T) {
	testKeys(t)
	raw, err := sharedKeySet.Sign(saToken(t0))
	if err != nil {
		t.Fatal(err)
	}
	v := NewVerifier(VerifierConfig{Local: localOnly(builtinIssuer, sharedKeySet.JWKS)})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			tok, err := Parse(raw)
			if err == nil {
				err = v.Verify(context.Background(), tok, t0.Add(time.Minute))
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		wantKind(t, err, 0)
	}
}

func BenchmarkVerifyLocal(b *testing.B) {
	testKeys(b)
	raw, err := sharedKeySet.Sign(saToken(t0))
	if err != nil {
		b.Fatal(err)
	}
	jwks := sharedKeySet.JWKS()
	v := NewVerifier(VerifierConfig{Local: localOnly(builtinIssuer, func() jose.JSONWebKeySet { return jwks })})
	ctx := context.Background()
	now := t0.Add(time.Minute)
	b.ReportAllocs()
	for b.Loop() {
		tok, err := Parse(raw)
		if err != nil {
			b.Fatal(err)
		}
		if err := v.Verify(ctx, tok, now); err != nil {
			b.Fatal(err)
		}
	}
}
