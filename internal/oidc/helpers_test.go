package oidc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// t0 is the tests' reference time.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Keys are slow to make: the tests share a few.
var (
	keysOnce          sync.Once
	rsaA, rsaB, rsa1k *rsa.PrivateKey
	ecA, ec384        *ecdsa.PrivateKey
	sharedKeySet      *KeySet
	keysErr           error
)

func testKeys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		var errs [6]error
		rsaA, errs[0] = rsa.GenerateKey(rand.Reader, 2048)
		rsaB, errs[1] = rsa.GenerateKey(rand.Reader, 2048)
		rsa1k, errs[2] = rsa.GenerateKey(rand.Reader, 1024)
		ecA, errs[3] = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		ec384, errs[4] = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		sharedKeySet, errs[5] = NewKeySet(t0)
		keysErr = errors.Join(errs[:]...)
	})
	if keysErr != nil {
		t.Fatalf("making test keys: %v", keysErr)
	}
}

// claims returns valid claims for issuer, around t0.
func claims(issuer string) map[string]any {
	return map[string]any{
		"iss": issuer,
		"sub": "system:serviceaccount:default:app",
		"aud": []string{"sts.amazonaws.com"},
		"iat": t0.Unix(),
		"nbf": t0.Unix(),
		"exp": t0.Add(time.Hour).Unix(),
	}
}

// signJWT signs claims with go-jose: alg and key, kid in the header when
// not empty.
func signJWT(t testing.TB, alg jose.SignatureAlgorithm, key any, kid string, c map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return signPayload(t, alg, key, kid, payload)
}

func signPayload(t testing.TB, alg jose.SignatureAlgorithm, key any, kid string, payload []byte) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// rawJWT assembles a token from JSON header and payload and raw signature
// bytes, with no signing.
func rawJWT(header, payload string, sig []byte) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload)) + "." + enc.EncodeToString(sig)
}

// jwk is a public JWK for a test key.
func jwk(key any, kid, alg string) jose.JSONWebKey {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		key = &k.PublicKey
	case *ecdsa.PrivateKey:
		key = &k.PublicKey
	}
	return jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: alg, Use: "sig"}
}

// localOnly answers for one issuer with set.
func localOnly(issuer string, set func() jose.JSONWebKeySet) LocalKeys {
	return func(iss string) (jose.JSONWebKeySet, bool) {
		if iss != issuer {
			return jose.JSONWebKeySet{}, false
		}
		return set(), true
	}
}

// mustParse parses raw or fails the test.
func mustParse(t testing.TB, raw string) *Token {
	t.Helper()
	tok, err := Parse(raw)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return tok
}

// wantKind fails the test unless err is an *Error of kind want (0: no
// error).
func wantKind(t testing.TB, err error, want Kind) {
	t.Helper()
	if want == 0 {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want an *Error of kind %v", err, err, want)
	}
	if e.Kind != want {
		t.Fatalf("error kind = %v, want %v; error: %v", e.Kind, want, err)
	}
}

// issuer is a fake remote OIDC issuer over httptest.
type issuer struct {
	srv *httptest.Server
	url string // the issuer URL: the server's URL plus a path

	mu            sync.Mutex
	keys          jose.JSONWebKeySet
	discoveryIss  string // issuer named in the discovery document; empty: the real one
	jwksURI       string // jwks_uri in the discovery document; empty: the server's
	discoveryBody string // raw discovery document, when not empty
	jwksStatus    int    // status of the JWKS endpoint; 0: 200
	jwksBody      string // raw JWKS body, when not empty
	jwksDelay     time.Duration
	discoveryHits atomic.Int32
	jwksHits      atomic.Int32
}

const issuerPath = "/id/EXAMPLED539D4633E53DE1B71EXAMPLE"

// newIssuer starts a fake issuer, over TLS unless plain, serving keys.
func newIssuer(t testing.TB, tlsServer bool, keys ...jose.JSONWebKey) *issuer {
	t.Helper()
	is := &issuer{keys: jose.JSONWebKeySet{Keys: keys}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+issuerPath+"/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		is.discoveryHits.Add(1)
		is.mu.Lock()
		iss, uri, body := is.discoveryIss, is.jwksURI, is.discoveryBody
		is.mu.Unlock()
		if body != "" {
			_, _ = w.Write([]byte(body))
			return
		}
		if iss == "" {
			iss = is.url
		}
		if uri == "" {
			uri = is.srv.URL + issuerPath + "/keys"
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(Discovery(iss, uri))
	})
	mux.HandleFunc("GET "+issuerPath+"/keys", func(w http.ResponseWriter, r *http.Request) {
		is.jwksHits.Add(1)
		is.mu.Lock()
		status, body, delay, keys := is.jwksStatus, is.jwksBody, is.jwksDelay, is.keys
		is.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		if status != 0 && status != http.StatusOK {
			http.Error(w, "unavailable", status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if body != "" {
			_, _ = w.Write([]byte(body))
			return
		}
		_ = json.NewEncoder(w).Encode(keys)
	})
	is.srv = httptest.NewUnstartedServer(mux)
	is.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // expected TLS failures
	if tlsServer {
		is.srv.StartTLS()
	} else {
		is.srv.Start()
	}
	t.Cleanup(is.srv.Close)
	is.url = is.srv.URL + issuerPath
	return is
}

func (is *issuer) set(f func(is *issuer)) {
	is.mu.Lock()
	defer is.mu.Unlock()
	f(is)
}

// fakeClock is a settable wall clock for a Verifier's cache.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newRemoteVerifier returns a verifier for is with a fake cache clock.
func newRemoteVerifier(is *issuer, cfg VerifierConfig) (*Verifier, *fakeClock) {
	if cfg.Client == nil && strings.HasPrefix(is.srv.URL, "https://") {
		cfg.Client = is.srv.Client()
	}
	v := NewVerifier(cfg)
	clock := &fakeClock{now: t0}
	v.clock = clock.Now
	return v, clock
}
