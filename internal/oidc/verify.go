package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Verifier defaults and limits.
const (
	// DefaultTimeout bounds each fetch of a discovery document or JWKS.
	DefaultTimeout = 5 * time.Second
	// DefaultMaxBody caps the size of a discovery document or JWKS.
	DefaultMaxBody = 256 << 10
	// DefaultLeeway is the clock skew tolerated on exp, nbf and iat.
	DefaultLeeway = 60 * time.Second
	// MaxLeeway is the largest leeway a Verifier uses, whatever its
	// configuration asks.
	MaxLeeway = 5 * time.Minute
	// DefaultCacheTTL is how long an issuer's keys are used before they are
	// fetched again.
	DefaultCacheTTL = time.Hour
	// DefaultMinRefreshInterval is the shortest time between two fetches of
	// one issuer's keys.
	DefaultMinRefreshInterval = 10 * time.Second
	// MinRSABits is the smallest RSA key a token may be verified with.
	MinRSABits = 2048
	// maxRedirects bounds the redirects followed by one fetch.
	maxRedirects = 5
	// maxCachedIssuers bounds the number of issuers whose keys are cached.
	maxCachedIssuers = 1024
)

// LocalKeys answers, with no network round trip, for the issuers the caller
// runs itself: it returns an issuer's public keys and true, or false when
// the issuer is not one of the caller's. It must be safe for concurrent use.
type LocalKeys func(issuer string) (jose.JSONWebKeySet, bool)

// VerifierConfig configures a Verifier. The zero value is usable: https
// issuers only, with the defaults above.
type VerifierConfig struct {
	// AllowHTTP accepts http:// issuers and JWKS URLs (labs and tests);
	// otherwise only https:// ones are fetched. Even with it, an https
	// issuer's keys never come over http.
	AllowHTTP bool
	// Client makes the fetches; nil means a client with Timeout. The
	// Verifier uses a copy whose redirects are held to the same scheme rule.
	Client *http.Client
	// Timeout bounds each refresh (discovery document plus JWKS); zero means
	// DefaultTimeout.
	Timeout time.Duration
	// MaxBody caps each response's size; zero means DefaultMaxBody.
	MaxBody int64
	// Leeway is the clock skew tolerated on exp, nbf and iat: zero means
	// DefaultLeeway, a negative value none, and anything above MaxLeeway is
	// MaxLeeway.
	Leeway time.Duration
	// CacheTTL is how long an issuer's JWKS is used before it is fetched
	// again; zero means DefaultCacheTTL.
	CacheTTL time.Duration
	// MinRefreshInterval is the shortest time between two fetches for one
	// issuer, including the refresh an unknown kid triggers and retries
	// after a failed fetch (whose error is returned meanwhile); zero means
	// DefaultMinRefreshInterval.
	MinRefreshInterval time.Duration
	// Local answers for the issuers the caller runs itself; nil means none.
	Local LocalKeys
}

// Verifier verifies web-identity tokens: signatures, against keys from
// Local or fetched from the issuer, and times. It is safe for concurrent
// use.
type Verifier struct {
	cfg    VerifierConfig
	client *http.Client
	clock  func() time.Time // wall clock for the key cache

	mu      sync.Mutex
	issuers map[string]*issuerKeys
}

// issuerKeys is the cached key set of one remote issuer.
type issuerKeys struct {
	// sem is held, as its one slot, by the goroutine reading or fetching
	// the fields below.
	sem       chan struct{}
	keys      []jose.JSONWebKey
	fetched   time.Time // when keys were fetched; zero before the first success
	attempted time.Time // when the last fetch was attempted
	err       error     // the last fetch's error, nil after a success

	lastUsed time.Time // guarded by Verifier.mu
}

// NewVerifier returns a Verifier for cfg, with defaults filled in.
func NewVerifier(cfg VerifierConfig) *Verifier {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	switch {
	case cfg.Leeway == 0:
		cfg.Leeway = DefaultLeeway
	case cfg.Leeway < 0:
		cfg.Leeway = 0
	case cfg.Leeway > MaxLeeway:
		cfg.Leeway = MaxLeeway
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = DefaultCacheTTL
	}
	if cfg.MinRefreshInterval <= 0 {
		cfg.MinRefreshInterval = DefaultMinRefreshInterval
	}
	v := &Verifier{cfg: cfg, clock: time.Now, issuers: map[string]*issuerKeys{}}
	var c http.Client
	if cfg.Client != nil {
		c = *cfg.Client
	} else {
		c.Timeout = cfg.Timeout
	}
	next := c.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		if err := v.checkURL(req.URL.String(), "redirect", false); err != nil {
			return err
		}
		if len(via) > 0 {
			if err := noDowngrade(via[0].URL.String(), req.URL.String(), "redirect"); err != nil {
				return err
			}
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	v.client = &c
	return v
}

// Verify checks tok's signature and times. The key is the issuer's key
// named by the token's kid or, for a token without one, any issuer key that
// fits its algorithm; a key is used only when its type (and curve) fit the
// token's algorithm and its "alg" and "use", when set, are the token's
// algorithm and "sig". The token must have an "exp", which must not be
// before now, nor its "nbf" or "iat" after now, beyond the leeway. A zero now
// means time.Now().
//
// Keys come from Local when it answers for the issuer. Otherwise the issuer
// must be an https URL (http only with AllowHTTP) with no query or fragment;
// its discovery document, <issuer>/.well-known/openid-configuration, must
// name the same issuer, and the JWKS at its jwks_uri (same scheme rule, and
// https whenever the issuer is; redirects never leave https either) is
// cached for CacheTTL. A kid the cached JWKS lacks triggers one refresh, at
// most one per MinRefreshInterval per issuer.
//
// tok must come from Parse, unmodified: Verify checks tok.Raw and fails if
// tok's issuer, subject, audience, AMR, algorithm, key ID or times are not
// what Parse read from it. Every error is an *Error.
func (v *Verifier) Verify(ctx context.Context, tok *Token, now time.Time) error {
	if v == nil {
		return invalid(nil, "No verifier is configured")
	}
	if tok == nil {
		return invalid(nil, "No web identity token was given")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if now.IsZero() {
		now = time.Now()
	}
	p := tok.parsed
	if p == nil || p.raw != tok.Raw {
		var err error
		if p, _, err = parse(tok.Raw); err != nil {
			return err
		}
	}
	if tok.Algorithm != p.alg || tok.KeyID != p.kid || tok.Issuer != p.iss || tok.Subject != p.sub ||
		!slices.Equal(tok.Audience, p.aud) || !slices.Equal(tok.AMR, p.amr) ||
		!tok.Expiry.Equal(p.exp) || !tok.NotBefore.Equal(p.nbf) || !tok.IssuedAt.Equal(p.iat) {
		return invalid(nil, "The web identity token's fields do not match its raw form")
	}

	if err := v.verifySignature(ctx, p); err != nil {
		return err
	}
	return v.checkTimes(p, now)
}

// verifySignature finds the token's keys and checks its signature.
func (v *Verifier) verifySignature(ctx context.Context, p *parsedToken) error {
	keys, local, _, err := v.keys(ctx, p.iss, false)
	if err != nil {
		return err
	}
	found, err := verifyWith(p, keys)
	if err == nil || local || (found && p.kid != "") {
		return describe(p, found, err)
	}
	// The issuer may have rotated its keys since they were cached.
	keys, _, refreshed, ferr := v.keys(ctx, p.iss, true)
	if ferr != nil {
		return ferr
	}
	if !refreshed {
		return describe(p, found, err)
	}
	found, err = verifyWith(p, keys)
	return describe(p, found, err)
}

// errBadSignature is a signature no usable key verifies.
var errBadSignature = errors.New("signature verification failed")

// verifyWith checks the token's signature against the usable keys among
// keys. It reports whether there was any usable key.
func verifyWith(p *parsedToken, keys []jose.JSONWebKey) (bool, error) {
	found := false
	var last error
	for i := range keys {
		if p.kid != "" && keys[i].KeyID != p.kid {
			continue
		}
		pub, ok := usableKey(&keys[i], p.alg)
		if !ok {
			continue
		}
		found = true
		if _, err := p.jws.Verify(pub); err != nil {
			last = err
			continue
		}
		return true, nil
	}
	if !found {
		return false, errors.New("no usable key")
	}
	return true, fmt.Errorf("%w: %w", errBadSignature, last)
}

// describe turns verifyWith's result into the error Verify returns.
func describe(p *parsedToken, found bool, err error) error {
	switch {
	case err == nil:
		return nil
	case !found && p.kid != "":
		return invalid(err, "The issuer %s has no key with ID %q that can verify an %s signature", p.iss, p.kid, p.alg)
	case !found:
		return invalid(err, "The issuer %s has no key that can verify an %s signature", p.iss, p.alg)
	case p.kid != "":
		return invalid(err, "The web identity token's signature does not verify with key %q of issuer %s", p.kid, p.iss)
	}
	return invalid(err, "The web identity token's signature does not verify with any key of issuer %s", p.iss)
}

// usableKey returns the public key of k if it may verify a signature made
// with alg: its use and alg, when set, fit; for RS*, an RSA key of at least
// MinRSABits; for ES256 and ES384, an EC key on P-256 and P-384.
func usableKey(k *jose.JSONWebKey, alg string) (any, bool) {
	if k.Use != "" && k.Use != "sig" {
		return nil, false
	}
	if k.Algorithm != "" && k.Algorithm != alg {
		return nil, false
	}
	var pub any
	switch key := k.Key.(type) {
	case *rsa.PublicKey:
		if key != nil {
			pub = key
		}
	case *rsa.PrivateKey:
		if key != nil {
			pub = &key.PublicKey
		}
	case *ecdsa.PublicKey:
		if key != nil {
			pub = key
		}
	case *ecdsa.PrivateKey:
		if key != nil {
			pub = &key.PublicKey
		}
	}
	if pub == nil || !(&jose.JSONWebKey{Key: pub}).Valid() {
		return nil, false
	}
	switch alg {
	case "RS256", "RS384", "RS512":
		rk, ok := pub.(*rsa.PublicKey)
		if !ok || rk.N.BitLen() < MinRSABits || rk.E < 3 {
			return nil, false
		}
		return rk, true
	case "ES256", "ES384":
		ek, ok := pub.(*ecdsa.PublicKey)
		want := elliptic.P256()
		if alg == "ES384" {
			want = elliptic.P384()
		}
		if !ok || ek.Curve != want {
			return nil, false
		}
		if _, err := ek.Bytes(); err != nil { // not a valid point of the curve
			return nil, false
		}
		return ek, true
	}
	return nil, false
}

// checkTimes checks exp, nbf and iat against now with the leeway.
func (v *Verifier) checkTimes(p *parsedToken, now time.Time) error {
	leeway := v.cfg.Leeway
	if !p.hasExp {
		return invalid(nil, "The web identity token has no \"exp\" claim")
	}
	if now.After(p.exp.Add(leeway)) {
		return &Error{Kind: KindExpired, Message: fmt.Sprintf(
			"Token expired: current date/time %d must be before the expiration date/time %d", now.Unix(), p.exp.Unix())}
	}
	if !p.nbf.IsZero() && p.nbf.After(now.Add(leeway)) {
		return invalid(nil, "Token is not yet valid: current date/time %d must not be before the not-before date/time %d",
			now.Unix(), p.nbf.Unix())
	}
	if !p.iat.IsZero() && p.iat.After(now.Add(leeway)) {
		return invalid(nil, "Token is issued in the future: current date/time %d must not be before the issue date/time %d",
			now.Unix(), p.iat.Unix())
	}
	return nil
}

// keys returns the keys of issuer: Local's answer when it has one (local
// true), otherwise the cached or fetched JWKS. With refresh, it fetches
// again unless the last fetch was within MinRefreshInterval; refreshed
// reports whether it did fetch.
func (v *Verifier) keys(ctx context.Context, issuer string, refresh bool) (keys []jose.JSONWebKey, local, refreshed bool, err error) {
	if v.cfg.Local != nil {
		if set, ok := v.cfg.Local(issuer); ok {
			return set.Keys, true, false, nil
		}
	}
	if err := v.checkURL(issuer, "issuer", true); err != nil {
		return nil, false, false, err
	}
	e := v.entry(issuer)
	select {
	case e.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, false, false, communication(ctx.Err(), "Gave up waiting for the keys of issuer %s", issuer)
	}
	defer func() { <-e.sem }()

	wall := v.clock()
	fresh := !e.fetched.IsZero() && wall.Sub(e.fetched) < v.cfg.CacheTTL
	if fresh && !refresh {
		return e.keys, false, false, nil
	}
	if !e.attempted.IsZero() && wall.Sub(e.attempted) < v.cfg.MinRefreshInterval {
		if e.err != nil {
			return nil, false, false, e.err
		}
		if fresh {
			return e.keys, false, false, nil
		}
	}
	keys, err = v.fetch(ctx, issuer)
	if err != nil {
		if ctx.Err() == nil {
			// Remember the issuer's failure, not the caller's giving up.
			e.attempted, e.err = wall, err
		}
		return nil, false, false, err
	}
	e.keys, e.fetched, e.attempted, e.err = keys, wall, wall, nil
	return keys, false, true, nil
}

// entry returns the cache entry of issuer, making it if need be.
func (v *Verifier) entry(issuer string) *issuerKeys {
	v.mu.Lock()
	defer v.mu.Unlock()
	wall := v.clock()
	e, ok := v.issuers[issuer]
	if !ok {
		if len(v.issuers) >= maxCachedIssuers {
			v.evictLocked()
		}
		e = &issuerKeys{sem: make(chan struct{}, 1)}
		v.issuers[issuer] = e
	}
	e.lastUsed = wall
	return e
}

// evictLocked drops the least recently used issuer.
func (v *Verifier) evictLocked() {
	var oldest string
	var at time.Time
	for iss, e := range v.issuers {
		if oldest == "" || e.lastUsed.Before(at) {
			oldest, at = iss, e.lastUsed
		}
	}
	delete(v.issuers, oldest)
}

// checkURL checks that raw is an absolute https URL (or http, with
// AllowHTTP) with a host and no user information; an issuer may have no
// query or fragment either.
func (v *Verifier) checkURL(raw, what string, issuer bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return invalid(err, "The %s URL %q is not a valid URL", what, raw)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && v.cfg.AllowHTTP:
	case u.Scheme == "http":
		return invalid(nil, "The %s URL %q uses http; only https is accepted", what, raw)
	default:
		return invalid(nil, "The %s URL %q is not an https URL", what, raw)
	}
	if u.Host == "" || u.Opaque != "" {
		return invalid(nil, "The %s URL %q has no host", what, raw)
	}
	if u.User != nil {
		return invalid(nil, "The %s URL %q has user information", what, raw)
	}
	if issuer && (u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(raw, "#")) {
		return invalid(nil, "The %s URL %q has a query or fragment", what, raw)
	}
	return nil
}

// noDowngrade refuses to go from an https URL to one of another scheme:
// even with AllowHTTP, keys an https issuer vouches for are fetched over
// https only (its jwks_uri, and every redirect of a fetch that began over
// https), or whoever answers on the plain-http path could supply them.
func noDowngrade(from, to, what string) error {
	f, err := url.Parse(from)
	if err != nil || f.Scheme != "https" {
		return nil
	}
	if t, err := url.Parse(to); err == nil && t.Scheme == "https" {
		return nil
	}
	return invalid(nil, "The %s URL %q is not https, but it was reached from the https URL %q; https issuers' keys are fetched over https only", what, to, from)
}

// discoveryDoc holds the fields of a discovery document Verify uses.
type discoveryDoc struct {
	Issuer  string `json:"issuer"`
	JWKSURI string `json:"jwks_uri"`
}

// fetch reads the issuer's discovery document and then its JWKS, within
// one Timeout.
func (v *Verifier) fetch(ctx context.Context, issuer string) ([]jose.JSONWebKey, error) {
	ctx, cancel := context.WithTimeout(ctx, v.cfg.Timeout)
	defer cancel()

	discoveryURL := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	body, err := v.get(ctx, discoveryURL, "discovery document")
	if err != nil {
		return nil, err
	}
	var doc discoveryDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, communication(err, "The discovery document at %s is not valid JSON", discoveryURL)
	}
	if doc.Issuer != issuer {
		return nil, invalid(nil, "The discovery document at %s names issuer %q, not the token's issuer %q",
			discoveryURL, doc.Issuer, issuer)
	}
	if doc.JWKSURI == "" {
		return nil, communication(nil, "The discovery document at %s has no jwks_uri", discoveryURL)
	}
	if err := v.checkURL(doc.JWKSURI, "jwks_uri", false); err != nil {
		return nil, err
	}
	if err := noDowngrade(issuer, doc.JWKSURI, "jwks_uri"); err != nil {
		return nil, err
	}

	body, err = v.get(ctx, doc.JWKSURI, "JSON Web Key Set")
	if err != nil {
		return nil, err
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil || set.Keys == nil {
		if err == nil {
			err = errors.New(`no "keys" array`)
		}
		return nil, communication(err, "The JSON Web Key Set at %s is not valid", doc.JWKSURI)
	}
	keys := make([]jose.JSONWebKey, 0, len(set.Keys))
	for _, raw := range set.Keys {
		// RFC 7517 section 5: ignore keys that cannot be understood. Keys
		// with private parts are ignored too: whoever published them has
		// lost them.
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil || !k.Valid() || !k.IsPublic() {
			continue
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// get fetches url and returns its body, which must come with status 200 and
// fit in MaxBody.
func (v *Verifier) get(ctx context.Context, rawURL, what string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, invalid(err, "Cannot request the %s at %s", what, rawURL)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.client.Do(req)
	if err != nil {
		var refused *Error
		if errors.As(err, &refused) { // a redirect broke the URL rules
			return nil, invalid(err, "The %s at %s redirects elsewhere: %s", what, rawURL, refused.Message)
		}
		return nil, communication(err, "Could not get the %s at %s: %s", what, rawURL, reason(err))
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, communication(nil, "Could not get the %s at %s: HTTP status %d", what, rawURL, resp.StatusCode)
	}
	if resp.ContentLength > v.cfg.MaxBody {
		return nil, communication(nil, "The %s at %s is larger than %d bytes", what, rawURL, v.cfg.MaxBody)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, v.cfg.MaxBody+1))
	if err != nil {
		return nil, communication(err, "Could not read the %s at %s: %s", what, rawURL, reason(err))
	}
	if int64(len(body)) > v.cfg.MaxBody {
		return nil, communication(nil, "The %s at %s is larger than %d bytes", what, rawURL, v.cfg.MaxBody)
	}
	return body, nil
}

// reason says briefly why a fetch failed; the error itself goes in
// Error.Err.
func reason(err error) string {
	var ne net.Error
	var cve *tls.CertificateVerificationError
	var uae x509.UnknownAuthorityError
	var hne x509.HostnameError
	var cie x509.CertificateInvalidError
	var rhe tls.RecordHeaderError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timed out"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.As(err, &cve), errors.As(err, &uae), errors.As(err, &hne), errors.As(err, &cie):
		return "its TLS certificate could not be verified"
	case errors.As(err, &rhe):
		return "it does not speak TLS"
	case errors.As(err, &ne):
		return "the host could not be reached"
	}
	return "the request failed"
}
