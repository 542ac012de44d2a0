package creds

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var ringT0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// fixedRingKey returns a key with a deterministic secret, so fuzz corpora
// and failures reproduce.
func fixedRingKey(id uint32, created time.Time) RingKey {
	k := RingKey{ID: id, Created: created}
	for i := range k.Secret {
		k.Secret[i] = byte(id>>3) ^ byte(i*37+1)
	}
	return k
}

func mustRing(t testing.TB, keys ...RingKey) *KeyRing {
	t.Helper()
	r, err := NewKeyRing(keys)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustSeal(t testing.TB, r *KeyRing, plain []byte) string {
	t.Helper()
	tok, err := r.Seal(plain)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// handSeal builds a token the way Seal does, but with any version byte and
// key ID, sealed under k: a token Open must reject only because of the
// header it carries.
func handSeal(t testing.TB, k RingKey, version byte, id uint32, plain []byte) string {
	t.Helper()
	block, err := aes.NewCipher(k.Secret[:])
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	raw := make([]byte, 17)
	raw[0] = version
	binary.BigEndian.PutUint32(raw[1:5], id)
	copy(raw[5:], "twelve-bytes")
	raw = aead.Seal(raw, raw[5:17], plain, append([]byte("assumed session token\x00"), raw[:5]...))
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
}

// handSealNoAD seals a token with a correct header under k but without
// binding the header as associated data.
func handSealNoAD(t testing.TB, k RingKey, plain []byte) string {
	t.Helper()
	block, err := aes.NewCipher(k.Secret[:])
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	raw := make([]byte, 17)
	raw[0] = 1
	binary.BigEndian.PutUint32(raw[1:5], k.ID)
	copy(raw[5:], "twelve-bytes")
	raw = aead.Seal(raw, raw[5:17], plain, nil)
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
}

// tokenKeyID reads the key ID out of a token's header.
func tokenKeyID(t *testing.T, tok string) uint32 {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, TokenPrefix))
	if err != nil || len(raw) < 5 {
		t.Fatalf("token %q does not decode: %v", tok, err)
	}
	return binary.BigEndian.Uint32(raw[1:5])
}

// sessionRecord returns an n-byte record (n ≥ 512) shaped like what STS
// will seal: JSON with tags and a session policy.
func sessionRecord(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"acct":"111111111111","role":"arn:aws:iam::111111111111:role/deploy","sess":"ci-run-4711","exp":1767225600,"iat":1767222000,"depth":1,"tags":{`)
	for i := 0; b.Len() < n/2; i++ {
		fmt.Fprintf(&b, `"team-%d":"platform-%d",`, i, i)
	}
	b.WriteString(`"x":""},"policy":"`)
	for b.Len() < n-2 {
		b.WriteByte('s')
	}
	b.WriteString(`"}`)
	return []byte(b.String())
}

// patterned returns n bytes that are not all alike.
func patterned(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*7 + 3)
	}
	return p
}

var tokenShape = regexp.MustCompile(`^asm1_[A-Za-z0-9_-]+$`)

func TestKeyRingSealOpenRoundTrip(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	// Largest record whose token fits MaxSessionTokenLen.
	maxPlain := (MaxSessionTokenLen-len(TokenPrefix))*3/4 - 33
	tests := []struct {
		name  string
		plain []byte
	}{
		{"empty", nil},
		{"one byte", []byte{0}},
		{"every byte value", all},
		{"1 KB session", sessionRecord(1024)},
		{"raw length ≡ 0 mod 3", patterned(99)},
		{"raw length ≡ 1 mod 3", patterned(100)},
		{"raw length ≡ 2 mod 3", patterned(101)},
		{"largest record", bytes.Repeat([]byte("m"), maxPlain)},
	}
	r := mustRing(t, fixedRingKey(7, ringT0))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := mustSeal(t, r, tt.plain)
			if !tokenShape.MatchString(tok) {
				t.Fatalf("token %.40q… is not prefix + URL-safe base64", tok)
			}
			if want := len(TokenPrefix) + base64.RawURLEncoding.EncodedLen(33+len(tt.plain)); len(tok) != want {
				t.Errorf("token is %d characters, want %d", len(tok), want)
			}
			if got := tokenKeyID(t, tok); got != 7 {
				t.Errorf("token names key %d, want 7", got)
			}
			got, err := r.Open(tok)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !bytes.Equal(got, tt.plain) {
				t.Fatalf("Open = %q, want %q", got, tt.plain)
			}
			if tok2 := mustSeal(t, r, tt.plain); tok2 == tok {
				t.Error("two seals of one record gave one token: the nonce is not fresh")
			}
			if len(tt.plain) >= 8 && strings.Contains(tok, base64.RawURLEncoding.EncodeToString(tt.plain[:6])) {
				t.Error("token carries the record in the clear")
			}
		})
	}
	if _, err := r.Seal(make([]byte, maxPlain+1)); err == nil {
		t.Error("Seal made a token longer than MaxSessionTokenLen")
	}
}

func TestNewKeyRing(t *testing.T) {
	a, b, c := fixedRingKey(1, ringT0), fixedRingKey(2, ringT0.Add(time.Hour)), fixedRingKey(3, ringT0.Add(2*time.Hour))
	zeroSecret := a
	zeroSecret.Secret = [RingKeySize]byte{}
	noTime := a
	noTime.Created = time.Time{}
	tied := fixedRingKey(9, c.Created)
	tests := []struct {
		name    string
		keys    []RingKey
		wantErr bool
		wantIDs []uint32 // newest first
	}{
		{"no keys", nil, true, nil},
		{"duplicate ID", []RingKey{a, fixedRingKey(1, ringT0.Add(time.Hour))}, true, nil},
		{"zero creation time", []RingKey{noTime}, true, nil},
		{"all-zero secret", []RingKey{zeroSecret}, true, nil},
		{"one key", []RingKey{a}, false, []uint32{1}},
		{"ordered by creation, not by argument", []RingKey{b, c, a}, false, []uint32{3, 2, 1}},
		{"equal times: larger ID is newer", []RingKey{tied, c, a}, false, []uint32{9, 3, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewKeyRing(tt.keys)
			if tt.wantErr {
				if err == nil {
					t.Fatal("NewKeyRing accepted it")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := r.KeyIDs(); !slices.Equal(got, tt.wantIDs) {
				t.Errorf("KeyIDs = %v, want %v", got, tt.wantIDs)
			}
			if got := r.NewestID(); got != tt.wantIDs[0] {
				t.Errorf("NewestID = %d, want %d", got, tt.wantIDs[0])
			}
			if got := tokenKeyID(t, mustSeal(t, r, []byte("x"))); got != tt.wantIDs[0] {
				t.Errorf("Seal used key %d, want the newest, %d", got, tt.wantIDs[0])
			}
		})
	}
}

func TestGenerateRingKey(t *testing.T) {
	k1, err := GenerateRingKey(5, ringT0)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := GenerateRingKey(6, ringT0)
	if err != nil {
		t.Fatal(err)
	}
	if k1.ID != 5 || !k1.Created.Equal(ringT0) {
		t.Errorf("GenerateRingKey = %v, want ID 5 created %v", k1, ringT0)
	}
	if k1.Secret == k2.Secret || k1.Secret == [RingKeySize]byte{} {
		t.Error("GenerateRingKey secrets are not random")
	}
	if _, err := NewKeyRing([]RingKey{k1, k2}); err != nil {
		t.Errorf("a ring of generated keys: %v", err)
	}
}

func TestOpenRejects(t *testing.T) {
	a, b := fixedRingKey(1, ringT0), fixedRingKey(2, ringT0.Add(time.Hour))
	foreign := fixedRingKey(99, ringT0)
	r := mustRing(t, a, b)
	plain := patterned(200)
	good := mustSeal(t, r, plain)
	body := strings.TrimPrefix(good, TokenPrefix)
	raw, _ := base64.RawURLEncoding.DecodeString(body)
	reencode := func(f func(raw []byte)) string {
		c := bytes.Clone(raw)
		f(c)
		return TokenPrefix + base64.RawURLEncoding.EncodeToString(c)
	}
	tests := []struct {
		name  string
		token string
	}{
		{"empty", ""},
		{"prefix only", TokenPrefix},
		{"no prefix", body},
		{"other version prefix", "asm2_" + body},
		{"upper-case prefix", strings.ToUpper(TokenPrefix) + body},
		{"garbage", "not a session token at all"},
		{"prefix and garbage", TokenPrefix + "!!!!****"},
		{"shorter than the overhead", TokenPrefix + base64.RawURLEncoding.EncodeToString(raw[:32])},
		{"header only", TokenPrefix + base64.RawURLEncoding.EncodeToString(raw[:5])},
		{"truncated by one character", good[:len(good)-1]},
		{"truncated by one byte", TokenPrefix + base64.RawURLEncoding.EncodeToString(raw[:len(raw)-1])},
		{"one byte appended", TokenPrefix + base64.RawURLEncoding.EncodeToString(append(bytes.Clone(raw), 0))},
		{"padded", good + "=="},
		{"standard base64", TokenPrefix + base64.StdEncoding.EncodeToString(raw)},
		{"newline inside", good[:20] + "\n" + good[20:]},
		{"CRLF at end", good + "\r\n"},
		{"space at end", good + " "},
		{"NUL inside", good[:20] + "\x00" + good[21:]},
		{"wrong version byte, authenticated", handSeal(t, b, 2, b.ID, plain)},
		{"version byte zero, authenticated", handSeal(t, b, 0, b.ID, plain)},
		{"unknown key ID", handSeal(t, foreign, 1, foreign.ID, plain)},
		{"unknown key ID, ring's secret", handSeal(t, b, 1, 12345, plain)},
		{"sealed without the associated data", handSealNoAD(t, b, plain)},
		{"key ID of the other ring key", reencode(func(c []byte) { binary.BigEndian.PutUint32(c[1:5], a.ID) })},
		{"nonce changed", reencode(func(c []byte) { c[5] ^= 0x80 })},
		{"ciphertext changed", reencode(func(c []byte) { c[40] ^= 1 })},
		{"tag changed", reencode(func(c []byte) { c[len(c)-1] ^= 1 })},
		{"tag removed", reencode(func(c []byte) {})[:len(good)-21]},
		{"too long", TokenPrefix + strings.Repeat("A", MaxSessionTokenLen)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.token == good {
				t.Fatal("test case does not change the token")
			}
			got, err := r.Open(tt.token)
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("Open = %q, %v; want ErrInvalidToken", got, err)
			}
			if got != nil {
				t.Errorf("Open returned %d bytes with its error", len(got))
			}
		})
	}
	// The ring still opens the original: the cases failed for their
	// change, not because the ring cannot open anything.
	if got, err := r.Open(good); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Open(good) = %v", err)
	}
}

// An unknown key and an altered token must look alike to the caller.
func TestOpenDoesNotTellUnknownKeyFromTampering(t *testing.T) {
	k := fixedRingKey(1, ringT0)
	r := mustRing(t, k)
	_, errUnknown := r.Open(handSeal(t, fixedRingKey(2, ringT0), 1, 2, []byte("x")))
	tok := mustSeal(t, r, []byte("x"))
	flip := map[bool]string{true: "B", false: "A"}[tok[30] == 'A']
	tampered := tok[:30] + flip + tok[31:]
	_, errTampered := r.Open(tampered)
	if errUnknown == nil || errTampered == nil {
		t.Fatalf("Open accepted: unknown key %v, tampered %v", errUnknown, errTampered)
	}
	if errUnknown.Error() != errTampered.Error() {
		t.Errorf("unknown key says %q, tampering says %q", errUnknown, errTampered)
	}
	for _, err := range []error{errUnknown, errTampered} {
		if strings.Contains(err.Error(), "1") || strings.Contains(err.Error(), "2") {
			t.Errorf("error %q names a key", err)
		}
	}
}

// Every single-byte change anywhere in a token, to any other value, must be
// rejected: prefix, header, nonce, ciphertext, tag and the padding bits of
// the last base64 character.
func TestOpenRejectsEverySingleByteChange(t *testing.T) {
	r := mustRing(t, fixedRingKey(1, ringT0), fixedRingKey(2, ringT0.Add(time.Hour)))
	tests := []struct {
		name  string
		plain []byte
	}{
		{"raw length ≡ 0 mod 3", patterned(99)},
		{"raw length ≡ 1 mod 3", patterned(100)},
		{"raw length ≡ 2 mod 3", patterned(101)},
		{"1 KB session", sessionRecord(1024)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := mustSeal(t, r, tt.plain)
			buf := []byte(tok)
			var accepted []string
			for i := range buf {
				orig := buf[i]
				for v := 0; v < 256; v++ {
					if byte(v) == orig {
						continue
					}
					buf[i] = byte(v)
					if _, err := r.Open(string(buf)); !errors.Is(err, ErrInvalidToken) {
						accepted = append(accepted, fmt.Sprintf("byte %d %q→%q: %v", i, orig, byte(v), err))
					}
				}
				buf[i] = orig
			}
			if len(accepted) > 0 {
				t.Fatalf("%d changed tokens not rejected, first: %s", len(accepted), accepted[0])
			}
		})
	}
}

func TestKeyRingRotate(t *testing.T) {
	h := time.Hour
	a := fixedRingKey(1, ringT0)
	b := fixedRingKey(2, ringT0.Add(24*h))
	c := fixedRingKey(3, ringT0.Add(48*h))
	tests := []struct {
		name                string
		keys                []RingKey
		now                 time.Time
		rotateAfter, retain time.Duration
		wantRotated         bool
		wantChanged         bool
		wantKept            []uint32 // newest first, before any new key
	}{
		{"fresh newest: nothing to do", []RingKey{a}, ringT0.Add(h), 24 * h, 36 * h, false, false, []uint32{1}},
		{"newest just due: rotate, keep it", []RingKey{a}, ringT0.Add(24 * h), 24 * h, 36 * h, true, true, []uint32{1}},
		{"late rotation keeps the key that sealed until now", []RingKey{a}, ringT0.Add(240 * h), 24 * h, 36 * h, true, true, []uint32{1}},
		{"retired exactly retain ago: kept", []RingKey{a, b}, ringT0.Add(60 * h), 48 * h, 36 * h, false, false, []uint32{2, 1}},
		{"retired longer than retain ago: dropped", []RingKey{a, b}, ringT0.Add(60*h + time.Nanosecond), 48 * h, 36 * h, false, true, []uint32{2}},
		{"old key retired recently: kept", []RingKey{a, b}, ringT0.Add(50 * h), 48 * h, 30 * h, false, false, []uint32{2, 1}},
		{"newest never dropped", []RingKey{a}, ringT0.Add(1000 * h), 10000 * h, h, false, false, []uint32{1}},
		{"newest never dropped, older ones are", []RingKey{a, b, c}, ringT0.Add(1000 * h), 10000 * h, h, false, true, []uint32{3}},
		{"rotate and drop", []RingKey{a, b, c}, ringT0.Add(96 * h), 24 * h, 36 * h, true, true, []uint32{3}},
		{"rotate, drop one, keep one", []RingKey{a, b, c}, ringT0.Add(72 * h), 24 * h, 36 * h, true, true, []uint32{3, 2}},
		{"clock behind the newest key", []RingKey{a, b}, ringT0.Add(-h), 24 * h, 36 * h, false, false, []uint32{2, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustRing(t, tt.keys...)
			nr, changed, err := r.Rotate(tt.now, tt.rotateAfter, tt.retain)
			if err != nil {
				t.Fatal(err)
			}
			if changed != tt.wantChanged {
				t.Errorf("changed = %v, want %v", changed, tt.wantChanged)
			}
			if !changed && nr != r {
				t.Error("unchanged ring is a new value")
			}
			if got := r.KeyIDs(); len(got) != len(tt.keys) {
				t.Errorf("Rotate changed the original ring: %v", got)
			}
			ids := nr.KeyIDs()
			if tt.wantRotated {
				if len(ids) == 0 || slices.Contains(r.KeyIDs(), ids[0]) {
					t.Fatalf("KeyIDs = %v: no new newest key (old ring %v)", ids, r.KeyIDs())
				}
				if nr.NewestID() != ids[0] {
					t.Errorf("NewestID = %d, want %d", nr.NewestID(), ids[0])
				}
				created := nr.keys[len(nr.keys)-1].key.Created
				if !created.Equal(tt.now) {
					t.Errorf("new key created %v, want %v", created, tt.now)
				}
				if got := tokenKeyID(t, mustSeal(t, nr, []byte("x"))); got != ids[0] {
					t.Errorf("rotated ring seals with key %d, want the new key %d", got, ids[0])
				}
				ids = ids[1:]
			}
			if !slices.Equal(ids, tt.wantKept) {
				t.Errorf("kept keys %v, want %v", ids, tt.wantKept)
			}
		})
	}
	for _, bad := range [][2]time.Duration{{0, h}, {h, 0}, {-h, h}, {h, -h}} {
		if _, _, err := mustRing(t, a).Rotate(ringT0, bad[0], bad[1]); err == nil {
			t.Errorf("Rotate(rotateAfter %v, retain %v) accepted", bad[0], bad[1])
		}
	}
}

// A token outlives the rotation that retires its key, for retain, and no
// longer.
func TestRotationLifecycle(t *testing.T) {
	const (
		rotateAfter = 24 * time.Hour
		retain      = 36 * time.Hour // ≥ the 129,600 s of GetSessionToken
	)
	r0 := mustRing(t, fixedRingKey(1, ringT0))
	tokA := mustSeal(t, r0, []byte("sealed under key 1"))

	r1, rotated, err := r0.Rotate(ringT0.Add(rotateAfter), rotateAfter, retain)
	if err != nil || !rotated {
		t.Fatalf("first rotation: rotated %v, %v", rotated, err)
	}
	tokB := mustSeal(t, r1, []byte("sealed under the second key"))
	if tokenKeyID(t, tokB) == 1 {
		t.Fatal("rotated ring still seals with key 1")
	}
	// Key 1 was retired at ringT0+24h; it is kept until ringT0+60h.
	r2, _, err := r1.Rotate(ringT0.Add(rotateAfter+retain), rotateAfter, retain)
	if err != nil {
		t.Fatal(err)
	}
	r3, _, err := r2.Rotate(ringT0.Add(rotateAfter+retain+time.Second), rotateAfter, retain)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		ring    *KeyRing
		token   string
		wantErr bool
	}{
		{"old token, first ring", r0, tokA, false},
		{"old token after rotation", r1, tokA, false},
		{"old token, retired exactly retain ago", r2, tokA, false},
		{"old token after its key is dropped", r3, tokA, true},
		{"new token, ring before rotation", r0, tokB, true},
		{"new token after its key is retired", r3, tokB, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.ring.Open(tt.token)
			if tt.wantErr != (err != nil) {
				t.Fatalf("Open: %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("Open: %v, want ErrInvalidToken", err)
			}
		})
	}
	if len(r3.KeyIDs()) != 2 || slices.Contains(r3.KeyIDs(), 1) {
		t.Errorf("final ring %v: want the second and third keys", r3.KeyIDs())
	}
}

func TestKeyRingMarshalRoundTrip(t *testing.T) {
	gen, err := GenerateRingKey(0xfffffffe, ringT0.Add(90*time.Minute).In(time.FixedZone("X", 3600)))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		keys []RingKey
	}{
		{"one key", []RingKey{fixedRingKey(1, ringT0)}},
		{"three keys, sub-second times", []RingKey{
			fixedRingKey(0, ringT0.Add(time.Nanosecond)),
			fixedRingKey(42, ringT0.Add(time.Hour+123456789)),
			gen,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustRing(t, tt.keys...)
			tok := mustSeal(t, r, []byte("record"))
			b, err := r.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			r2, err := UnmarshalKeyRing(b)
			if err != nil {
				t.Fatal(err)
			}
			if len(r2.keys) != len(r.keys) {
				t.Fatalf("%d keys, want %d", len(r2.keys), len(r.keys))
			}
			for i := range r.keys {
				got, want := r2.keys[i].key, r.keys[i].key
				if got.ID != want.ID || got.Secret != want.Secret || !got.Created.Equal(want.Created) {
					t.Errorf("key %d = %v, want %v (secrets equal: %v)", i, got, want, got.Secret == want.Secret)
				}
			}
			if got, err := r2.Open(tok); err != nil || string(got) != "record" {
				t.Errorf("unmarshaled ring does not open the original's token: %v", err)
			}
			if got, err := r.Open(mustSeal(t, r2, []byte("back"))); err != nil || string(got) != "back" {
				t.Errorf("original ring does not open the unmarshaled ring's token: %v", err)
			}
			b2, err := r2.Marshal()
			if err != nil || !bytes.Equal(b, b2) {
				t.Errorf("Marshal is not stable: %s vs %s (%v)", b, b2, err)
			}
		})
	}
}

func TestUnmarshalKeyRingRejects(t *testing.T) {
	good, err := mustRing(t, fixedRingKey(1, ringT0)).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	secret := fixedRingKey(1, ringT0).Secret
	secretB64 := base64.StdEncoding.EncodeToString(secret[:])
	key := func(id int, secret, created string) string {
		return fmt.Sprintf(`{"id":%d,"secret":%q,"created":%q}`, id, secret, created)
	}
	created := ringT0.Format(time.RFC3339)
	tests := []struct {
		name string
		in   string
	}{
		{"empty", ""},
		{"not JSON", "garbage " + secretB64},
		{"truncated", string(good[:len(good)-3])},
		{"trailing data", string(good) + "{}"},
		{"no version", `{"keys":[` + key(1, secretB64, created) + `]}`},
		{"future version", `{"version":2,"keys":[` + key(1, secretB64, created) + `]}`},
		{"no keys", `{"version":1,"keys":[]}`},
		{"unknown field", `{"version":1,"extra":1,"keys":[` + key(1, secretB64, created) + `]}`},
		{"short secret", `{"version":1,"keys":[` + key(1, secretB64[:40], created) + `]}`},
		{"secret not base64", `{"version":1,"keys":[` + key(1, "%%%%", created) + `]}`},
		{"duplicate IDs", `{"version":1,"keys":[` + key(1, secretB64, created) + "," + key(1, secretB64, created) + `]}`},
		{"negative ID", `{"version":1,"keys":[` + key(-1, secretB64, created) + `]}`},
		{"no creation time", `{"version":1,"keys":[{"id":1,"secret":"` + secretB64 + `"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := UnmarshalKeyRing([]byte(tt.in))
			if err == nil {
				t.Fatalf("UnmarshalKeyRing accepted it: ring %v", r.KeyIDs())
			}
			if strings.Contains(err.Error(), secretB64[:8]) {
				t.Errorf("error %q quotes the secret", err)
			}
		})
	}
	if _, err := UnmarshalKeyRing(good); err != nil {
		t.Fatalf("UnmarshalKeyRing(good): %v", err)
	}
}

func TestRingKeyPrintingHidesSecret(t *testing.T) {
	k := fixedRingKey(1, ringT0)
	hexSecret := fmt.Sprintf("%x", k.Secret[:4])
	decSecret := fmt.Sprint(k.Secret[:4])
	decSecret = decSecret[1 : len(decSecret)-1] // "1 38 75 112"
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("k", "key", k)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("k", "key", k)
	outputs := map[string]string{
		"%v":   fmt.Sprintf("%v", k),
		"%+v":  fmt.Sprintf("%+v", k),
		"%#v":  fmt.Sprintf("%#v", k),
		"%q":   fmt.Sprintf("%q", k),
		"%x":   fmt.Sprintf("%x", k),
		"slog": logged.String(),
	}
	for name, out := range outputs {
		if strings.Contains(out, hexSecret) || strings.Contains(out, decSecret) {
			t.Errorf("%s shows the secret: %s", name, out)
		}
		if !strings.Contains(out, "1") {
			t.Errorf("%s does not name the key: %s", name, out)
		}
	}
	if !strings.Contains(logged.String(), `"id":1`) {
		t.Errorf("slog output lacks the key ID: %s", logged.String())
	}
}

func TestZeroKeyRingDoesNotPanic(t *testing.T) {
	for name, r := range map[string]*KeyRing{"nil": nil, "zero": {}} {
		t.Run(name, func(t *testing.T) {
			if _, err := r.Seal([]byte("x")); err == nil {
				t.Error("Seal succeeded")
			}
			if _, err := r.Open(TokenPrefix + "AAAA"); !errors.Is(err, ErrInvalidToken) {
				t.Errorf("Open = %v, want ErrInvalidToken", err)
			}
			if _, _, err := r.Rotate(ringT0, time.Hour, time.Hour); err == nil {
				t.Error("Rotate succeeded")
			}
			if _, err := r.Marshal(); err == nil {
				t.Error("Marshal succeeded")
			}
			if r.NewestID() != 0 || len(r.KeyIDs()) != 0 {
				t.Error("an empty ring has keys")
			}
		})
	}
}

// Many goroutines seal and open while another rotates and publishes rings
// through an atomic pointer, as the server does. Run with -race.
func TestKeyRingConcurrent(t *testing.T) {
	var cur atomic.Pointer[KeyRing]
	cur.Store(mustRing(t, fixedRingKey(1, ringT0)))
	const workers, rounds, rotations = 8, 300, 20
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		now := ringT0
		for i := 0; i < rotations; i++ {
			now = now.Add(25 * time.Hour)
			nr, _, err := cur.Load().Rotate(now, 24*time.Hour, 10000*time.Hour)
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := nr.Marshal(); err != nil {
				t.Error(err)
				return
			}
			cur.Store(nr)
			time.Sleep(time.Millisecond)
		}
		close(stop)
	}()
	shared := mustRing(t, fixedRingKey(2, ringT0))
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds || !isClosed(stop); i++ {
				plain := []byte(fmt.Sprintf("worker %d round %d", w, i))
				for _, r := range []*KeyRing{shared, cur.Load()} {
					tok, err := r.Seal(plain)
					if err != nil {
						t.Error(err)
						return
					}
					// Open with the newest ring: rotation retains every key.
					opener := r
					if r != shared {
						opener = cur.Load()
					}
					got, err := opener.Open(tok)
					if err != nil || !bytes.Equal(got, plain) {
						t.Errorf("Open = %q, %v; want %q", got, err, plain)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if n := len(cur.Load().KeyIDs()); n != rotations+1 {
		t.Errorf("final ring has %d keys, want %d", n, rotations+1)
	}
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func FuzzOpen(f *testing.F) {
	r := mustRing(f, fixedRingKey(1, ringT0), fixedRingKey(2, ringT0.Add(time.Hour)))
	records := [][]byte{nil, []byte("x"), patterned(100), sessionRecord(1024)}
	known := make(map[string]bool)
	for _, p := range records {
		known[string(p)] = true
		tok := mustSeal(f, r, p)
		f.Add(tok)
		f.Add(tok[:len(tok)-1])
		f.Add(tok[:len(TokenPrefix)+10])
	}
	f.Add("")
	f.Add(TokenPrefix)
	f.Add("asm1_====")
	f.Add(handSeal(f, fixedRingKey(1, ringT0), 2, 1, []byte("x")))
	f.Add(handSeal(f, fixedRingKey(9, ringT0), 1, 9, []byte("x")))
	f.Fuzz(func(t *testing.T, token string) {
		got, err := r.Open(token)
		if err != nil {
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("Open error %v does not wrap ErrInvalidToken", err)
			}
			if got != nil {
				t.Fatalf("Open returned data with its error")
			}
			return
		}
		// Only a token the ring sealed opens, so the record is one of ours.
		if !known[string(got)] {
			t.Fatalf("Open accepted a forged token: record %q", got)
		}
		if !tokenShape.MatchString(token) {
			t.Fatalf("Open accepted a token outside the format: %q", token)
		}
	})
}

// BenchmarkSealOpen seals and opens a 1 KB session record, the size of a
// role session with a short session policy and a dozen tags.
func BenchmarkSealOpen(b *testing.B) {
	r := mustRing(b, fixedRingKey(1, ringT0), fixedRingKey(2, ringT0.Add(time.Hour)))
	plain := sessionRecord(1024)
	tok := mustSeal(b, r, plain)
	b.Run("seal", func(b *testing.B) {
		b.SetBytes(int64(len(plain)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.Seal(plain); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("open", func(b *testing.B) {
		b.SetBytes(int64(len(plain)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.Open(tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("seal+open", func(b *testing.B) {
		b.SetBytes(int64(len(plain)))
		b.ReportAllocs()
		for b.Loop() {
			tok, err := r.Seal(plain)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := r.Open(tok); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(tok)), "token-chars")
	})
}

// The benchmark's record is the size it claims.
func TestSessionRecordSize(t *testing.T) {
	for _, n := range []int{512, 1024, 4096} {
		p := sessionRecord(n)
		if len(p) != n || !json.Valid(p) {
			t.Errorf("sessionRecord(%d) = %d bytes (valid JSON %v)", n, len(p), json.Valid(p))
		}
	}
}
