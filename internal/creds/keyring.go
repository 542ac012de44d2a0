package creds

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// TokenPrefix starts every session token of the current format. It names
// the format version, as the version byte inside does; the two must agree.
const TokenPrefix = "asm1_"

// MaxSessionTokenLen bounds a session token, in characters. Seal refuses to
// make a longer one and Open rejects a longer one before decoding it. It
// leaves ample room for AWS's packed-size limits on session policies and
// tags.
const MaxSessionTokenLen = 64 << 10

const (
	tokenVersion   = 1
	tokenNonceSize = 12
	tokenTagSize   = 16
	tokenHeaderLen = 1 + 4                                          // version, key ID
	tokenOverhead  = tokenHeaderLen + tokenNonceSize + tokenTagSize // 33 bytes
	tokenADLabel   = "assumed session token\x00"
)

// RingKeySize is the size of a ring key's secret: an AES-256 key.
const RingKeySize = 32

// ErrInvalidToken is returned, wrapped, by Open for every token it does not
// accept: malformed, of another format version, sealed under a key that is
// not in the ring (never was, or has been dropped by rotation), or altered.
// Callers answer it as AWS answers a bad session token (InvalidClientTokenId);
// the wrapping text says only which of "malformed" or "does not
// authenticate" applies, never which key, and never a secret.
var ErrInvalidToken = errors.New("invalid session token")

// RingKey is one key of a KeyRing. ID names it inside the tokens it seals;
// Created orders the keys (the newest seals) and drives rotation.
//
// Printing a RingKey (fmt, log/slog) never shows Secret.
type RingKey struct {
	ID      uint32
	Secret  [RingKeySize]byte
	Created time.Time
}

// String describes k without its secret.
func (k RingKey) String() string {
	return fmt.Sprintf("ring key %d (created %s)", k.ID, k.Created.UTC().Format(time.RFC3339))
}

// GoString describes k without its secret, for %#v.
func (k RingKey) GoString() string { return "creds.RingKey{" + k.String() + "}" }

// LogValue describes k to log/slog without its secret.
func (k RingKey) LogValue() slog.Value {
	return slog.GroupValue(slog.Uint64("id", uint64(k.ID)), slog.Time("created", k.Created))
}

// GenerateRingKey returns a new key with a random secret (crypto/rand).
func GenerateRingKey(id uint32, now time.Time) (RingKey, error) {
	k := RingKey{ID: id, Created: now}
	if _, err := rand.Read(k.Secret[:]); err != nil {
		return RingKey{}, fmt.Errorf("creds: generate ring key: %w", err)
	}
	return k, nil
}

// KeyRing seals and opens session tokens. A session token is a sealed
// record of a session (what the caller puts in it: account, role, session
// name, expiry, session policies, tags, …), so a node verifies a temporary
// key with no store read; every node holding the same ring opens every
// other node's tokens.
//
// The newest key (latest Created; between equal times, the larger ID)
// seals; every key in the ring opens. A KeyRing is immutable and safe for
// concurrent use: rotation returns a new ring, which callers store (see
// Marshal) and then publish with an atomic pointer swap.
//
// A token is TokenPrefix followed by the unpadded URL-safe base64
// (RFC 4648 §5) of
//
//	version (1 byte, 0x01) | key ID (4 bytes, big-endian) |
//	nonce (12 bytes, random) | AES-256-GCM ciphertext and 16-byte tag
//
// so the whole token is in [A-Za-z0-9_-]: safe unquoted in an HTTP header,
// a query string, an environment variable and a shared-credentials file.
// The associated data is a fixed label, the version byte and the key ID:
// neither can change without the token failing to authenticate. A token is
// len(TokenPrefix) + ⌈4(33+n)/3⌉ characters for an n-byte record.
//
// Random 96-bit nonces keep AES-GCM within its bounds for up to 2^32 tokens
// per key; rotation keeps each key far below that.
type KeyRing struct {
	keys []ringEntry // oldest first; the last one seals
}

type ringEntry struct {
	key  RingKey
	aead cipher.AEAD
	ad   []byte // associated data of this key's tokens; read-only
}

// NewKeyRing returns a ring of keys, in any order. It needs at least one
// key, unique IDs, a non-zero Created and a secret that is not all zeros.
func NewKeyRing(keys []RingKey) (*KeyRing, error) {
	if len(keys) == 0 {
		return nil, errors.New("creds: key ring: no keys")
	}
	r := &KeyRing{keys: make([]ringEntry, 0, len(keys))}
	seen := make(map[uint32]bool, len(keys))
	for _, k := range keys {
		if seen[k.ID] {
			return nil, fmt.Errorf("creds: key ring: key ID %d appears twice", k.ID)
		}
		seen[k.ID] = true
		if k.Created.IsZero() {
			return nil, fmt.Errorf("creds: key ring: key %d has no creation time", k.ID)
		}
		if k.Secret == [RingKeySize]byte{} {
			return nil, fmt.Errorf("creds: key ring: key %d has an all-zero secret", k.ID)
		}
		k.Created = k.Created.Round(0) // drop the monotonic reading: times come from other nodes too
		block, err := aes.NewCipher(k.Secret[:])
		if err != nil {
			return nil, fmt.Errorf("creds: key ring: key %d: %w", k.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("creds: key ring: key %d: %w", k.ID, err)
		}
		var h [tokenHeaderLen]byte
		h[0] = tokenVersion
		binary.BigEndian.PutUint32(h[1:], k.ID)
		r.keys = append(r.keys, ringEntry{key: k, aead: aead, ad: tokenAD(h[:])})
	}
	slices.SortFunc(r.keys, func(a, b ringEntry) int {
		if c := a.key.Created.Compare(b.key.Created); c != 0 {
			return c
		}
		return cmpUint32(a.key.ID, b.key.ID)
	})
	return r, nil
}

func cmpUint32(a, b uint32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// NewestID is the ID of the key that seals (0 for an empty ring).
func (r *KeyRing) NewestID() uint32 {
	if r == nil || len(r.keys) == 0 {
		return 0
	}
	return r.keys[len(r.keys)-1].key.ID
}

// KeyIDs lists the IDs of the ring's keys, newest first.
func (r *KeyRing) KeyIDs() []uint32 {
	if r == nil {
		return nil
	}
	ids := make([]uint32, len(r.keys))
	for i, e := range r.keys {
		ids[len(r.keys)-1-i] = e.key.ID
	}
	return ids
}

// tokenAD is the associated data of a token with header h.
func tokenAD(h []byte) []byte {
	return append([]byte(tokenADLabel), h...)
}

// Seal returns a session token carrying plain, sealed under the newest key.
func (r *KeyRing) Seal(plain []byte) (string, error) {
	return r.seal(plain, TokenPrefix, tokenADLabel, MaxSessionTokenLen, "session token")
}

// Open returns the record a session token carries. Any token it does not
// accept yields an error wrapping ErrInvalidToken; an unknown key and an
// altered token give the same error.
func (r *KeyRing) Open(token string) ([]byte, error) {
	return r.open(token, TokenPrefix, tokenADLabel, MaxSessionTokenLen)
}

// MessagePrefix starts every encoded authorization message.
const MessagePrefix = "asmm1_"

// MaxMessageLen bounds an encoded authorization message, in characters:
// STS's DecodeAuthorizationMessage takes at most 10,240.
const MaxMessageLen = 10240

const messageADLabel = "assumed authorization message\x00"

// SealMessage returns an encoded authorization message carrying plain,
// sealed under the newest key. Its associated data differs from a session
// token's, so that neither can pass for the other.
func (r *KeyRing) SealMessage(plain []byte) (string, error) {
	return r.seal(plain, MessagePrefix, messageADLabel, MaxMessageLen, "authorization message")
}

// OpenMessage returns what an encoded authorization message carries; any
// message it does not accept yields an error wrapping ErrInvalidToken.
func (r *KeyRing) OpenMessage(msg string) ([]byte, error) {
	return r.open(msg, MessagePrefix, messageADLabel, MaxMessageLen)
}

// seal seals plain under the newest key, as prefix + base64url(version,
// key ID, nonce, ciphertext), authenticated with label and the header.
func (r *KeyRing) seal(plain []byte, prefix, label string, maxLen int, what string) (string, error) {
	if r == nil || len(r.keys) == 0 {
		return "", fmt.Errorf("creds: seal %s: empty key ring", what)
	}
	rawLen := tokenOverhead + len(plain)
	if len(prefix)+base64.RawURLEncoding.EncodedLen(rawLen) > maxLen {
		return "", fmt.Errorf("creds: seal %s: %d-byte record makes one longer than %d characters", what, len(plain), maxLen)
	}
	e := &r.keys[len(r.keys)-1]
	raw := make([]byte, tokenHeaderLen+tokenNonceSize, rawLen)
	raw[0] = tokenVersion
	binary.BigEndian.PutUint32(raw[1:tokenHeaderLen], e.key.ID)
	nonce := raw[tokenHeaderLen:]
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("creds: seal %s: %w", what, err)
	}
	ad := e.ad
	if label != tokenADLabel {
		ad = append([]byte(label), raw[:tokenHeaderLen]...)
	}
	raw = e.aead.Seal(raw, nonce, plain, ad)
	out := make([]byte, len(prefix)+base64.RawURLEncoding.EncodedLen(len(raw)))
	copy(out, prefix)
	base64.RawURLEncoding.Encode(out[len(prefix):], raw)
	return string(out), nil
}

var (
	errTokenMalformed   = fmt.Errorf("%w: malformed", ErrInvalidToken)
	errTokenUnauthentic = fmt.Errorf("%w: does not authenticate", ErrInvalidToken)
	errTokenEmptyRing   = fmt.Errorf("%w: empty key ring", ErrInvalidToken)

	// tokenEncoding rejects non-zero padding bits, so that one record has
	// one spelling and any changed character fails.
	tokenEncoding = base64.RawURLEncoding.Strict()
)

// open opens what seal sealed with the same prefix and label.
func (r *KeyRing) open(token, prefix, label string, maxLen int) ([]byte, error) {
	if r == nil || len(r.keys) == 0 {
		return nil, errTokenEmptyRing
	}
	body, ok := strings.CutPrefix(token, prefix)
	if !ok || len(token) > maxLen {
		return nil, errTokenMalformed
	}
	// The decoder rejects every other byte outside the alphabet but skips
	// \r and \n; one token has one spelling.
	if strings.IndexByte(body, '\n') >= 0 || strings.IndexByte(body, '\r') >= 0 {
		return nil, errTokenMalformed
	}
	raw, err := tokenEncoding.DecodeString(body)
	if err != nil || len(raw) < tokenOverhead || raw[0] != tokenVersion {
		return nil, errTokenMalformed
	}
	header, nonce, sealed := raw[:tokenHeaderLen], raw[tokenHeaderLen:tokenHeaderLen+tokenNonceSize], raw[tokenHeaderLen+tokenNonceSize:]
	id := binary.BigEndian.Uint32(header[1:])
	e := r.entry(id)
	known := e != nil
	var ad []byte
	switch {
	case known && label == tokenADLabel:
		ad = e.ad // equal to tokenAD(header): same version, same key ID
	case known:
		ad = append([]byte(label), header...)
	default:
		// Do the same work as for a known key so that timing does not tell
		// an unknown key from an altered token. The newest key cannot open
		// it: the associated data names another key ID.
		e = &r.keys[len(r.keys)-1]
		ad = append([]byte(label), header...)
	}
	plain, err := e.aead.Open(sealed[:0], nonce, sealed, ad)
	if err != nil || !known {
		return nil, errTokenUnauthentic
	}
	return plain, nil
}

func (r *KeyRing) entry(id uint32) *ringEntry {
	// Rings hold a handful of keys; newest first, since most tokens are recent.
	for i := len(r.keys) - 1; i >= 0; i-- {
		if r.keys[i].key.ID == id {
			return &r.keys[i]
		}
	}
	return nil
}

// Rotate returns the ring as it should be at now, and whether it differs
// from r (when it does not, it is r itself). The rule:
//
//   - When the newest key is at least rotateAfter old, a new key (random
//     ID not in the ring, Created = now) is added and becomes the newest.
//   - A key is retired when a newer key is created, and dropped once it has
//     been retired for longer than retain. Its age does not matter: a key
//     that sealed until a late rotation keeps opening its last tokens for
//     retain after that rotation.
//   - The newest key is never dropped, so the ring never empties.
//
// Set retain to at least the longest session lifetime (43,200 s for a role
// session, 129,600 s for GetSessionToken) plus the time a rotated ring takes
// to reach every node (they seal with the old key until then) plus the
// clock skew between nodes. Then no live token loses its key. rotateAfter
// and retain must be positive.
//
// Nodes sharing a ring must store the rotated ring (compare-and-swap on the
// stored version) before sealing with it, and adopt the stored ring when
// another node won the race.
func (r *KeyRing) Rotate(now time.Time, rotateAfter, retain time.Duration) (*KeyRing, bool, error) {
	if rotateAfter <= 0 || retain <= 0 {
		return nil, false, fmt.Errorf("creds: rotate key ring: rotateAfter (%s) and retain (%s) must be positive", rotateAfter, retain)
	}
	if r == nil || len(r.keys) == 0 {
		return nil, false, errors.New("creds: rotate key ring: empty key ring")
	}
	keys := make([]RingKey, 0, len(r.keys)+1)
	for i, e := range r.keys[:len(r.keys)-1] {
		retired := r.keys[i+1].key.Created
		if now.Sub(retired) <= retain {
			keys = append(keys, e.key)
		}
	}
	newest := r.keys[len(r.keys)-1].key
	keys = append(keys, newest)
	rotated := now.Sub(newest.Created) >= rotateAfter
	if rotated {
		id, err := r.unusedKeyID()
		if err != nil {
			return nil, false, fmt.Errorf("creds: rotate key ring: %w", err)
		}
		k, err := GenerateRingKey(id, now)
		if err != nil {
			return nil, false, fmt.Errorf("creds: rotate key ring: %w", err)
		}
		keys = append(keys, k)
	}
	if !rotated && len(keys) == len(r.keys) {
		return r, false, nil
	}
	nr, err := NewKeyRing(keys)
	if err != nil {
		return nil, false, fmt.Errorf("creds: rotate key ring: %w", err)
	}
	return nr, true, nil
}

// unusedKeyID draws a random key ID that is not in the ring. Random rather
// than sequential IDs: two nodes that rotate the same ring at once do not
// mint different keys under one ID.
func (r *KeyRing) unusedKeyID() (uint32, error) {
	var b [4]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			return 0, fmt.Errorf("draw key ID: %w", err)
		}
		if id := binary.BigEndian.Uint32(b[:]); r.entry(id) == nil {
			return id, nil
		}
	}
}

// ringFormatVersion is the version of Marshal's output.
const ringFormatVersion = 1

type ringJSON struct {
	Version int           `json:"version"`
	Keys    []ringKeyJSON `json:"keys"`
}

type ringKeyJSON struct {
	ID      uint32    `json:"id"`
	Secret  []byte    `json:"secret"` // base64
	Created time.Time `json:"created"`
}

// Marshal encodes the ring, secrets included, for storage. The bytes are
// secret: seal them with the at-rest Sealer (for instance with associated
// data "session-token-key-ring") before storing them.
func (r *KeyRing) Marshal() ([]byte, error) {
	if r == nil || len(r.keys) == 0 {
		return nil, errors.New("creds: marshal key ring: empty key ring")
	}
	out := ringJSON{Version: ringFormatVersion, Keys: make([]ringKeyJSON, len(r.keys))}
	for i, e := range r.keys {
		out.Keys[i] = ringKeyJSON{ID: e.key.ID, Secret: e.key.Secret[:], Created: e.key.Created.UTC()}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("creds: marshal key ring: %w", err)
	}
	return b, nil
}

// UnmarshalKeyRing decodes what Marshal encoded, with NewKeyRing's checks.
func UnmarshalKeyRing(b []byte) (*KeyRing, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var in ringJSON
	if err := dec.Decode(&in); err != nil {
		// Not %w: a JSON syntax error quotes the input, which holds secrets.
		return nil, errors.New("creds: unmarshal key ring: not a stored key ring")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("creds: unmarshal key ring: trailing data")
	}
	if in.Version != ringFormatVersion {
		return nil, fmt.Errorf("creds: unmarshal key ring: format version %d, want %d", in.Version, ringFormatVersion)
	}
	keys := make([]RingKey, len(in.Keys))
	for i, k := range in.Keys {
		if len(k.Secret) != RingKeySize {
			return nil, fmt.Errorf("creds: unmarshal key ring: key %d: secret is %d bytes, want %d", k.ID, len(k.Secret), RingKeySize)
		}
		keys[i] = RingKey{ID: k.ID, Created: k.Created}
		copy(keys[i].Secret[:], k.Secret)
	}
	r, err := NewKeyRing(keys)
	if err != nil {
		return nil, fmt.Errorf("creds: unmarshal key ring: %w", err)
	}
	return r, nil
}
