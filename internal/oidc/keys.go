package oidc

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// AllowedAlgorithms are the JWS signature algorithms a web-identity token may
// use. It holds no "none" and no HMAC algorithm: a token signed with anything
// else is rejected by Parse. Treat it as read-only.
var AllowedAlgorithms = []string{"RS256", "RS384", "RS512", "ES256", "ES384"}

// Signing key parameters of a built-in issuer.
const (
	// SigningAlgorithm is the algorithm of every key a built-in issuer makes.
	SigningAlgorithm = "RS256"
	// SigningKeyBits is the RSA modulus size of a built-in issuer's keys.
	SigningKeyBits = 2048
	// kidBytes is how many bytes of the public key's SHA-256 make its kid.
	kidBytes = 20
	// keySetVersion is the version of KeySet's serialized form.
	keySetVersion = 1
)

// SigningKey is one RSA key of a built-in issuer.
type SigningKey struct {
	// ID is the key's kid: the unpadded base64url form of the first 20
	// bytes of the SHA-256 of the public key's PKIX DER encoding.
	ID string
	// Algorithm is the JWS algorithm the key signs with: always RS256.
	Algorithm string
	// Created is when the key was made.
	Created time.Time
	// Retired is zero while the key is current. After a rotation the old key
	// keeps being published, so that the tokens it signed still verify,
	// until Retired plus the longest token lifetime.
	Retired time.Time
	// Private is the key itself.
	Private *rsa.PrivateKey
}

// NewSigningKey makes a current 2048-bit RSA key for RS256, created at now.
func NewSigningKey(now time.Time) (*SigningKey, error) {
	priv, err := rsa.GenerateKey(rand.Reader, SigningKeyBits)
	if err != nil {
		return nil, fmt.Errorf("oidc: generate RSA signing key: %w", err)
	}
	kid, err := keyID(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	return &SigningKey{ID: kid, Algorithm: SigningAlgorithm, Created: now.UTC(), Private: priv}, nil
}

// keyID computes the kid of an RSA public key.
func keyID(pub *rsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("oidc: encode public key for its key ID: %w", err)
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:kidBytes]), nil
}

// publicJWK is the key's public half as published in a JWKS.
func (k *SigningKey) publicJWK() jose.JSONWebKey {
	return jose.JSONWebKey{Key: &k.Private.PublicKey, KeyID: k.ID, Algorithm: k.Algorithm, Use: "sig"}
}

// check reports whether the key is complete and coherent: an RSA key of at
// least 2048 bits whose ID is its own kid, for RS256.
func (k *SigningKey) check() error {
	if k == nil || k.Private == nil {
		return errors.New("missing private key")
	}
	if k.Algorithm != SigningAlgorithm {
		return fmt.Errorf("key %q has algorithm %q, want %s", k.ID, k.Algorithm, SigningAlgorithm)
	}
	if k.Private.N == nil || k.Private.N.BitLen() < SigningKeyBits {
		return fmt.Errorf("key %q is shorter than %d bits", k.ID, SigningKeyBits)
	}
	kid, err := keyID(&k.Private.PublicKey)
	if err != nil {
		return err
	}
	if kid != k.ID {
		return fmt.Errorf("key ID %q does not match its public key (%q)", k.ID, kid)
	}
	return nil
}

// KeySet is one built-in issuer's keys. Keys[0] is the current key, the only
// one that signs and the only one whose Retired is zero; the others are
// retired keys still published, most recently retired first.
//
// A KeySet is plain data: Sign, JWKS, Current and MarshalBinary may run
// concurrently, but Rotate and Prune modify it and must not run concurrently
// with anything else on the same KeySet. A caller that rotates while serving
// typically rotates a copy (via MarshalBinary and UnmarshalKeySet) and swaps
// it in.
type KeySet struct {
	Keys []*SigningKey
}

// NewKeySet makes a key set holding one new current key.
func NewKeySet(now time.Time) (*KeySet, error) {
	k, err := NewSigningKey(now)
	if err != nil {
		return nil, err
	}
	return &KeySet{Keys: []*SigningKey{k}}, nil
}

// Current returns the key that signs, or nil when the set has none.
func (ks *KeySet) Current() *SigningKey {
	if ks == nil || len(ks.Keys) == 0 || ks.Keys[0] == nil || !ks.Keys[0].Retired.IsZero() {
		return nil
	}
	return ks.Keys[0]
}

// Rotate makes a new current key. The old current key is marked retired at
// now and stays published.
func (ks *KeySet) Rotate(now time.Time) error {
	if ks == nil {
		return errors.New("oidc: rotate: nil key set")
	}
	k, err := NewSigningKey(now)
	if err != nil {
		return fmt.Errorf("oidc: rotate: %w", err)
	}
	if cur := ks.Current(); cur != nil {
		cur.Retired = now.UTC()
	}
	keys := make([]*SigningKey, 0, len(ks.Keys)+1)
	keys = append(keys, k)
	for _, old := range ks.Keys {
		if old != nil {
			keys = append(keys, old)
		}
	}
	ks.Keys = keys
	return nil
}

// Prune drops the retired keys whose Retired plus maxTokenLifetime is before
// now: no token they signed can still be valid. The current key is never
// dropped. Prune reports whether it dropped anything.
func (ks *KeySet) Prune(now time.Time, maxTokenLifetime time.Duration) bool {
	if ks == nil {
		return false
	}
	kept := make([]*SigningKey, 0, len(ks.Keys))
	changed := false
	for _, k := range ks.Keys {
		if k == nil || !k.Retired.IsZero() && k.Retired.Add(maxTokenLifetime).Before(now) {
			changed = true
			continue
		}
		kept = append(kept, k)
	}
	if changed {
		ks.Keys = kept
	}
	return changed
}

// JWKS returns the public keys of the set, current first, as the issuer
// publishes them at its jwks_uri: each with kty RSA, kid, use "sig", alg
// RS256, n and e.
func (ks *KeySet) JWKS() jose.JSONWebKeySet {
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	if ks == nil {
		return set
	}
	for _, k := range ks.Keys {
		if k == nil || k.Private == nil {
			continue
		}
		set.Keys = append(set.Keys, k.publicJWK())
	}
	return set
}

// serializedKeySet is KeySet's stable serialized form.
type serializedKeySet struct {
	Version int             `json:"version"`
	Keys    []serializedKey `json:"keys"`
}

type serializedKey struct {
	ID        string    `json:"kid"`
	Algorithm string    `json:"alg"`
	Created   time.Time `json:"created"`
	Retired   time.Time `json:"retired,omitzero"`
	// PKCS8 is the private key's PKCS #8 DER, in standard base64.
	PKCS8 []byte `json:"pkcs8"`
}

// MarshalBinary returns the set's stable serialized form: JSON holding, for
// each key in order, its kid, alg, creation and retirement times and its
// private key as base64 PKCS #8 DER. The private keys are in the clear: the
// caller must seal the result before storing it.
func (ks *KeySet) MarshalBinary() ([]byte, error) {
	if err := ks.check(); err != nil {
		return nil, fmt.Errorf("oidc: marshal key set: %w", err)
	}
	out := serializedKeySet{Version: keySetVersion, Keys: make([]serializedKey, 0, len(ks.Keys))}
	for _, k := range ks.Keys {
		der, err := x509.MarshalPKCS8PrivateKey(k.Private)
		if err != nil {
			return nil, fmt.Errorf("oidc: marshal key set: encode key %q: %w", k.ID, err)
		}
		out.Keys = append(out.Keys, serializedKey{
			ID: k.ID, Algorithm: k.Algorithm, Created: k.Created.UTC(), Retired: k.Retired.UTC(), PKCS8: der,
		})
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("oidc: marshal key set: %w", err)
	}
	return b, nil
}

// UnmarshalKeySet reads a key set written by MarshalBinary. It fails unless
// every key is a well-formed RSA key of at least 2048 bits whose recorded kid
// is its own, and the set has exactly one current key, first.
func UnmarshalKeySet(b []byte) (*KeySet, error) {
	var in serializedKeySet
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("oidc: unmarshal key set: %w", err)
	}
	if in.Version != keySetVersion {
		return nil, fmt.Errorf("oidc: unmarshal key set: unsupported version %d", in.Version)
	}
	ks := &KeySet{Keys: make([]*SigningKey, 0, len(in.Keys))}
	for i, sk := range in.Keys {
		parsed, err := x509.ParsePKCS8PrivateKey(sk.PKCS8)
		if err != nil {
			return nil, fmt.Errorf("oidc: unmarshal key set: key %d (%q): %w", i, sk.ID, err)
		}
		priv, ok := parsed.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("oidc: unmarshal key set: key %d (%q) is %T, not RSA", i, sk.ID, parsed)
		}
		ks.Keys = append(ks.Keys, &SigningKey{
			ID: sk.ID, Algorithm: sk.Algorithm, Created: sk.Created, Retired: sk.Retired, Private: priv,
		})
	}
	if err := ks.check(); err != nil {
		return nil, fmt.Errorf("oidc: unmarshal key set: %w", err)
	}
	return ks, nil
}

// check reports whether the set is well formed: one current key, first, then
// only retired keys, each coherent, with distinct kids.
func (ks *KeySet) check() error {
	if ks == nil || len(ks.Keys) == 0 {
		return errors.New("no keys")
	}
	seen := make(map[string]bool, len(ks.Keys))
	for i, k := range ks.Keys {
		if err := k.check(); err != nil {
			return fmt.Errorf("key %d: %w", i, err)
		}
		if seen[k.ID] {
			return fmt.Errorf("key %d: duplicate key ID %q", i, k.ID)
		}
		seen[k.ID] = true
		if current := k.Retired.IsZero(); current != (i == 0) {
			if i == 0 {
				return errors.New("first key is retired: no current key")
			}
			return fmt.Errorf("key %d (%q) is current but not first", i, k.ID)
		}
	}
	return nil
}
