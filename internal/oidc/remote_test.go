package oidc

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

func verifyRaw(t *testing.T, v *Verifier, raw string) error {
	t.Helper()
	return v.Verify(context.Background(), mustParse(t, raw), t0.Add(time.Minute))
}

func TestRemoteIssuer(t *testing.T) {
	testKeys(t)
	is := newIssuer(t, true, jwk(rsaA, "rsa-a", "RS256"), jwk(ecA, "ec-a", "ES256"))
	v, _ := newRemoteVerifier(is, VerifierConfig{})

	tests := []struct {
		name string
		raw  string
		want Kind
	}{
		{"RS256", signJWT(t, jose.RS256, rsaA, "rsa-a", claims(is.url)), 0},
		{"ES256", signJWT(t, jose.ES256, ecA, "ec-a", claims(is.url)), 0},
		{"no kid", signJWT(t, jose.ES256, ecA, "", claims(is.url)), 0},
		{"bad signature", flipSignature(signJWT(t, jose.RS256, rsaA, "rsa-a", claims(is.url))), KindInvalid},
		{"signed by another key under a known kid", signJWT(t, jose.RS256, rsaB, "rsa-a", claims(is.url)), KindInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantKind(t, verifyRaw(t, v, tc.raw), tc.want)
		})
	}
	// One fetch served them all: the keys are cached.
	if d, j := is.discoveryHits.Load(), is.jwksHits.Load(); d != 1 || j != 1 {
		t.Errorf("fetches: discovery %d, JWKS %d; want 1 each", d, j)
	}
}

func TestRemoteIssuerTrailingSlash(t *testing.T) {
	testKeys(t)
	is := newIssuer(t, true, jwk(rsaA, "rsa-a", "RS256"))
	is.url += "/"
	v, _ := newRemoteVerifier(is, VerifierConfig{})
	wantKind(t, verifyRaw(t, v, signJWT(t, jose.RS256, rsaA, "rsa-a", claims(is.url))), 0)
}

func TestRemoteKeyRotation(t *testing.T) {
	testKeys(t)
	is := newIssuer(t, true, jwk(rsaA, "rsa-a", "RS256"))
	v, clock := newRemoteVerifier(is, VerifierConfig{})
	tokA := signJWT(t, jose.RS256, rsaA, "rsa-a", claims(is.url))
	tokB := signJWT(t, jose.RS256, rsaB, "rsa-b", claims(is.url))
	tokC := signJWT(t, jose.RS256, rsaB, "rsa-c", claims(is.url))

	wantKind(t, verifyRaw(t, v, tokA), 0)
	if n := is.jwksHits.Load(); n != 1 {
		t.Fatalf("JWKS fetches = %d, want 1", n)
	}

	// The issuer rotates in key B. Within the refresh interval, an unknown
	// kid does not trigger a fetch.
	is.set(func(is *issuer) { is.keys.Keys = append(is.keys.Keys, jwk(rsaB, "rsa-b", "RS256")) })
	wantKind(t, verifyRaw(t, v, tokB), KindInvalid)
	if n := is.jwksHits.Load(); n != 1 {
		t.Fatalf("JWKS fetches = %d, want 1 (rate-limited)", n)
	}

	// Later, the unknown kid triggers one refresh that finds key B.
	clock.Advance(DefaultMinRefreshInterval + time.Second)
	wantKind(t, verifyRaw(t, v, tokB), 0)
	if n := is.jwksHits.Load(); n != 2 {
		t.Fatalf("JWKS fetches = %d, want 2", n)
	}

	// A kid the issuer never publishes: one refresh, then KindInvalid; a
	// second try right after does not fetch again.
	clock.Advance(DefaultMinRefreshInterval + time.Second)
	err := verifyRaw(t, v, tokC)
	wantKind(t, err, KindInvalid)
	if !strings.Contains(err.Error(), `no key with ID "rsa-c"`) {
		t.Errorf("error = %v, want it to name the kid", err)
	}
	wantKind(t, verifyRaw(t, v, tokC), KindInvalid)
	if n := is.jwksHits.Load(); n != 3 {
		t.Fatalf("JWKS fetches = %d, want 3", n)
	}

	// Known kids are served from the cache until CacheTTL.
	wantKind(t, verifyRaw(t, v, tokA), 0)
	if n := is.jwksHits.Load(); n != 3 {
		t.Fatalf("JWKS fetches = %d, want 3", n)
	}
	clock.Advance(DefaultCacheTTL)
	wantKind(t, verifyRaw(t, v, tokA), 0)
	if n := is.jwksHits.Load(); n != 4 {
		t.Fatalf("JWKS fetches after CacheTTL = %d, want 4", n)
	}

	// Key A is withdrawn; once the cache expires, its tokens fail.
	is.set(func(is *issuer) { is.keys.Keys = is.keys.Keys[1:] })
	clock.Advance(DefaultCacheTTL)
	wantKind(t, verifyRaw(t, v, tokA), KindInvalid)
	wantKind(t, verifyRaw(t, v, tokB), 0)
}

func TestRemoteFailures(t *testing.T) {
	testKeys(t)
	tests := []struct {
		name  string
		setup func(t *testing.T, is *issuer, cfg *VerifierConfig)
		want  Kind
		msg   string // in the error, when set
	}{{
		name:  "discovery names another issuer",
		setup: func(t *testing.T, is *issuer, _ *VerifierConfig) { is.discoveryIss = "https://evil.example.com" },
		want:  KindInvalid, msg: "names issuer",
	}, {
		name:  "discovery not JSON",
		setup: func(t *testing.T, is *issuer, _ *VerifierConfig) { is.discoveryBody = "not json" },
		want:  KindCommunication, msg: "not valid JSON",
	}, {
		name:  "discovery without jwks_uri",
		setup: func(t *testing.T, is *issuer, _ *VerifierConfig) { is.discoveryBody = `{"issuer":"` + is.url + `"}` },
		want:  KindCommunication, msg: "has no jwks_uri",
	}, {
		name:  "JWKS answers 500",
		setup: func(t *testing.T, is *issuer, _ *VerifierConfig) { is.jwksStatus = http.StatusInternalServerError },
		want:  KindCommunication, msg: "HTTP status 500",
	}, {
		name:  "JWKS answers 404",
		setup: func(t *testing.T, is *issuer, _ *VerifierConfig) { is.jwksStatus = http.StatusNotFound },
		want:  KindCommunication, msg: "HTTP status 404",
	}, {
		name: "JWKS larger than the default cap",
		setup: func(t *testing.T, is *issuer, _ *VerifierConfig) {
			is.jwksBody = `{"keys":[],"pad":"` + strings.Repeat("x", DefaultMaxBody) + `"}`
		},
		want: KindCommunication, msg: "larger than",
	}, {
		name:  "response larger than a configured cap",
		setup: func(t *testing.T, is *issuer, cfg *VerifierConfig) { cfg.MaxBody = 100 },
		want:  KindCommunication, msg: "larger than 100 bytes",
	}, {
		name: "JWKS too slow",
		setup: func(t *testing.T, is *issuer, cfg *VerifierConfig) {
			is.jwksDelay = 5 * time.Second
			cfg.Timeout = 200 * time.Millisecond
		},
		want: KindCommunication, msg: "timed out",
	}, {
		name:  "JWKS not JSON",
		setup: func(t *testing.T, is *issuer, _ *VerifierConfig) { is.jwksBody = `<html>` },
		want:  KindCommunication, msg: "not valid",
	}, {
		name:  "JWKS without keys",
		setup: func(t *testing.T, is *issuer, _ *VerifierConfig) { is.jwksBody = `{"other":[]}` },
		want:  KindCommunication, msg: "not valid",
	}, {
		name: "JWKS of unusable keys only",
		setup: func(t *testing.T, is *issuer, _ *VerifierConfig) {
			is.jwksBody = `{"keys":[{"kty":"oct","kid":"rsa-a","k":"c2VjcmV0"},{"kty":"XYZ","kid":"rsa-a"},{"kid":"rsa-a"},7]}`
		},
		want: KindInvalid, msg: "no key",
	}, {
		name: "JWKS server down",
		setup: func(t *testing.T, is *issuer, _ *VerifierConfig) {
			down := httptest.NewTLSServer(http.NotFoundHandler())
			down.Close()
			is.jwksURI = down.URL + "/keys"
		},
		want: KindCommunication, msg: "the host could not be reached",
	}, {
		name:  "jwks_uri is http",
		setup: func(t *testing.T, is *issuer, _ *VerifierConfig) { is.jwksURI = "http://127.0.0.1:1/keys" },
		want:  KindInvalid, msg: "only https",
	}, {
		name:  "jwks_uri is not a URL",
		setup: func(t *testing.T, is *issuer, _ *VerifierConfig) { is.jwksURI = "keys.json" },
		want:  KindInvalid, msg: "not an https URL",
	}, {
		name: "issuer's certificate not trusted",
		setup: func(t *testing.T, is *issuer, cfg *VerifierConfig) {
			cfg.Client = &http.Client{}
		},
		want: KindCommunication, msg: "its TLS certificate could not be verified",
	}, {
		name: "JWKS redirects to http",
		setup: func(t *testing.T, is *issuer, _ *VerifierConfig) {
			plain := httptest.NewServer(http.NotFoundHandler())
			t.Cleanup(plain.Close)
			redirect := httptest.NewUnstartedServer(http.RedirectHandler(plain.URL+"/keys", http.StatusFound))
			redirect.TLS = is.srv.TLS
			redirect.StartTLS()
			t.Cleanup(redirect.Close)
			is.jwksURI = redirect.URL + "/keys"
		},
		want: KindInvalid, msg: "redirects elsewhere: The redirect URL",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			is := newIssuer(t, true, jwk(rsaA, "rsa-a", "RS256"))
			var cfg VerifierConfig
			is.set(func(is *issuer) { tc.setup(t, is, &cfg) })
			v, _ := newRemoteVerifier(is, cfg)
			start := time.Now()
			err := verifyRaw(t, v, signJWT(t, jose.RS256, rsaA, "rsa-a", claims(is.url)))
			t.Logf("error: %v", err)
			wantKind(t, err, tc.want)
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error = %q, want it to contain %q", err, tc.msg)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("Verify took %v", d)
			}
		})
	}
}

func TestRemoteFailureIsRemembered(t *testing.T) {
	testKeys(t)
	is := newIssuer(t, true, jwk(rsaA, "rsa-a", "RS256"))
	is.set(func(is *issuer) { is.jwksStatus = http.StatusServiceUnavailable })
	v, clock := newRemoteVerifier(is, VerifierConfig{})
	raw := signJWT(t, jose.RS256, rsaA, "rsa-a", claims(is.url))

	wantKind(t, verifyRaw(t, v, raw), KindCommunication)
	is.set(func(is *issuer) { is.jwksStatus = 0 })
	// Within the refresh interval the failure stands, with no new fetch.
	wantKind(t, verifyRaw(t, v, raw), KindCommunication)
	if n := is.jwksHits.Load(); n != 1 {
		t.Fatalf("JWKS fetches = %d, want 1", n)
	}
	clock.Advance(DefaultMinRefreshInterval)
	wantKind(t, verifyRaw(t, v, raw), 0)
	if n := is.jwksHits.Load(); n != 2 {
		t.Fatalf("JWKS fetches = %d, want 2", n)
	}
}

func TestRemoteCallerCancelIsNotRemembered(t *testing.T) {
	testKeys(t)
	is := newIssuer(t, true, jwk(rsaA, "rsa-a", "RS256"))
	is.set(func(is *issuer) { is.jwksDelay = 300 * time.Millisecond })
	v, _ := newRemoteVerifier(is, VerifierConfig{})
	tok := mustParse(t, signJWT(t, jose.RS256, rsaA, "rsa-a", claims(is.url)))

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	wantKind(t, v.Verify(ctx, tok, t0), KindCommunication)
	// The caller gave up; the issuer did nothing wrong: the next caller
	// fetches.
	wantKind(t, v.Verify(context.Background(), tok, t0), 0)
}

func TestRemoteHTTPIssuer(t *testing.T) {
	testKeys(t)
	is := newIssuer(t, false, jwk(rsaA, "rsa-a", "RS256"))
	raw := signJWT(t, jose.RS256, rsaA, "rsa-a", claims(is.url))

	v, _ := newRemoteVerifier(is, VerifierConfig{})
	err := verifyRaw(t, v, raw)
	wantKind(t, err, KindInvalid)
	if !strings.Contains(err.Error(), "uses http; only https is accepted") {
		t.Errorf("error = %v", err)
	}
	if n := is.discoveryHits.Load(); n != 0 {
		t.Errorf("an http issuer was fetched %d times without AllowHTTP", n)
	}

	v, _ = newRemoteVerifier(is, VerifierConfig{AllowHTTP: true})
	wantKind(t, verifyRaw(t, v, raw), 0)
}

func TestIssuerURLRules(t *testing.T) {
	testKeys(t)
	v := NewVerifier(VerifierConfig{AllowHTTP: true})
	for _, iss := range []string{
		"issuer",
		"ftp://issuer.example.com",
		"https://",
		"https:issuer.example.com",
		"https://user:pw@issuer.example.com",
		"https://issuer.example.com?x=1",
		"https://issuer.example.com#frag",
		"https://issuer.example.com#",
		"https://issuer.example.com/%zz",
	} {
		t.Run(iss, func(t *testing.T) {
			err := verifyRaw(t, v, signJWT(t, jose.RS256, rsaA, "", claims(iss)))
			wantKind(t, err, KindInvalid)
		})
	}
}

// TestRemoteConcurrent checks that concurrent first uses of an issuer share
// one fetch.
func TestRemoteConcurrent(t *testing.T) {
	testKeys(t)
	is := newIssuer(t, true, jwk(rsaA, "rsa-a", "RS256"), jwk(ecA, "ec-a", "ES256"))
	is.set(func(is *issuer) { is.jwksDelay = 50 * time.Millisecond })
	v, _ := newRemoteVerifier(is, VerifierConfig{})
	toks := []*Token{
		mustParse(t, signJWT(t, jose.RS256, rsaA, "rsa-a", claims(is.url))),
		mustParse(t, signJWT(t, jose.ES256, ecA, "ec-a", claims(is.url))),
	}
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := range 32 {
		wg.Go(func() { errs <- v.Verify(context.Background(), toks[i%2], t0) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		wantKind(t, err, 0)
	}
	if n := is.jwksHits.Load(); n != 1 {
		t.Errorf("JWKS fetches = %d, want 1", n)
	}
}

// TestLocalBeforeRemote checks that issuers Local answers for are never
// fetched, even over http, and that Local's refusal falls back to fetching.
func TestLocalBeforeRemote(t *testing.T) {
	testKeys(t)
	is := newIssuer(t, false, jwk(rsaA, "rsa-a", "RS256"))
	local := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{jwk(rsaB, "rsa-b", "RS256")}}
	v, _ := newRemoteVerifier(is, VerifierConfig{AllowHTTP: true, Local: localOnly(is.url, func() jose.JSONWebKeySet { return local })})
	wantKind(t, verifyRaw(t, v, signJWT(t, jose.RS256, rsaB, "rsa-b", claims(is.url))), 0)
	// Local's answer is final: no refresh from the network for unknown kids.
	wantKind(t, verifyRaw(t, v, signJWT(t, jose.RS256, rsaA, "rsa-a", claims(is.url))), KindInvalid)
	if n := is.discoveryHits.Load(); n != 0 {
		t.Errorf("a local issuer was fetched %d times", n)
	}
}

func TestEvictIssuers(t *testing.T) {
	v := NewVerifier(VerifierConfig{})
	clock := &fakeClock{now: t0}
	v.clock = clock.Now
	for i := range maxCachedIssuers + 10 {
		clock.Advance(time.Second)
		v.entry("https://issuer-" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + "/" + time.Duration(i).String())
	}
	if n := len(v.issuers); n > maxCachedIssuers {
		t.Errorf("cached issuers = %d, want at most %d", n, maxCachedIssuers)
	}
}

func TestErrorFormat(t *testing.T) {
	cause := errors.New("dial tcp: refused")
	e := communication(cause, "Could not get the %s", "JWKS")
	if e.Error() != "oidc: Could not get the JWKS: dial tcp: refused" || !errors.Is(e, cause) {
		t.Errorf("Error() = %q", e.Error())
	}
	if (&Error{Kind: KindInvalid, Message: "m"}).Error() != "oidc: m" {
		t.Errorf("Error() without a cause is wrong")
	}
}

// With AllowHTTP, an https issuer still gets its keys over https only: a
// jwks_uri or a redirect to http is refused, since whoever answers on the
// plain-http path could serve any keys.
func TestHTTPSIssuerNeverDowngrades(t *testing.T) {
	testKeys(t)
	plain := newIssuer(t, false, jwk(rsaA, "rsa-a", "RS256"))
	for name, setup := range map[string]func(is *issuer){
		"jwks_uri is http": func(is *issuer) { is.jwksURI = plain.url + "/keys" },
		"JWKS redirects to http": func(is *issuer) {
			redirect := httptest.NewUnstartedServer(http.RedirectHandler(plain.url+"/keys", http.StatusFound))
			redirect.TLS = is.srv.TLS
			redirect.StartTLS()
			t.Cleanup(redirect.Close)
			is.jwksURI = redirect.URL + "/keys"
		},
	} {
		t.Run(name, func(t *testing.T) {
			is := newIssuer(t, true, jwk(rsaA, "rsa-a", "RS256"))
			is.set(setup)
			v, _ := newRemoteVerifier(is, VerifierConfig{AllowHTTP: true})
			err := verifyRaw(t, v, signJWT(t, jose.RS256, rsaA, "rsa-a", claims(is.url)))
			wantKind(t, err, KindInvalid)
			if !strings.Contains(err.Error(), "https issuers' keys are fetched over https only") {
				t.Errorf("error = %v", err)
			}
			if n := plain.jwksHits.Load(); n != 0 {
				t.Errorf("the plain-http JWKS was fetched %d times", n)
			}
		})
	}

	// An http issuer (AllowHTTP) may still publish its keys over https.
	t.Run("http issuer, https jwks_uri", func(t *testing.T) {
		tlsKeys := newIssuer(t, true, jwk(rsaA, "rsa-a", "RS256"))
		plain.set(func(is *issuer) { is.jwksURI = tlsKeys.srv.URL + issuerPath + "/keys" })
		v, _ := newRemoteVerifier(plain, VerifierConfig{AllowHTTP: true, Client: tlsKeys.srv.Client()})
		wantKind(t, verifyRaw(t, v, signJWT(t, jose.RS256, rsaA, "rsa-a", claims(plain.url))), 0)
	})
}
