package oidc

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	jose "github.com/go-jose/go-jose/v4"
)

// MaxTokenLength is the longest token Parse accepts, in bytes: the limit
// STS puts on AssumeRoleWithWebIdentity's WebIdentityToken.
const MaxTokenLength = 20000

// maxJSONDepth bounds the nesting of a token's header and claims.
const maxJSONDepth = 32

// maxNumericDate is the largest "exp", "nbf" or "iat" accepted: the end of
// year 9999, in seconds since the epoch.
const maxNumericDate = 253402300799

// Token is a parsed web-identity token whose signature is not yet verified:
// nothing in it can be trusted until Verify succeeds.
type Token struct {
	// Raw is the token as given.
	Raw string
	// Algorithm and KeyID are the header's "alg" and "kid" (empty when
	// absent).
	Algorithm, KeyID string
	// Issuer and Subject are the "iss" and "sub" claims, never empty.
	Issuer, Subject string
	// Audience is the "aud" claim, a string or an array of strings in the
	// token; empty when absent.
	Audience []string
	// AMR is the "amr" claim, a string or an array of strings in the token;
	// empty when absent.
	AMR []string
	// Expiry, NotBefore and IssuedAt are the "exp", "nbf" and "iat" claims;
	// zero when absent.
	Expiry, NotBefore, IssuedAt time.Time
	// Claims holds every claim as decoded JSON: strings, bools, nil,
	// []any, map[string]any, and json.Number for numbers, which keeps their
	// exact text. Verify does not notice changes made to it after Parse:
	// treat it as read-only.
	Claims map[string]any

	// parsed is what Parse read from Raw; Verify trusts only this.
	parsed *parsedToken
}

// parsedToken is Parse's own record of a token, which Verify relies on
// rather than Token's exported fields.
type parsedToken struct {
	raw                string
	jws                *jose.JSONWebSignature
	alg, kid, iss, sub string
	aud, amr           []string
	exp, nbf, iat      time.Time
	hasExp             bool
}

// Parse checks a token's compact JWS structure, its header and its claims,
// without verifying its signature. It rejects, as KindInvalid, a token that
// is not three base64url parts of JSON objects; a header whose "alg" is not in
// AllowedAlgorithms (so "none" and HMAC), or that has a "crit" parameter;
// claims without a string "iss" or "sub"; an "aud" or "amr" that is neither a
// string nor an array of strings; an "exp", "nbf" or "iat" that is not a
// number of seconds (integer or not) in years 1970 to 9999; and duplicate
// names in any JSON object.
func Parse(raw string) (*Token, error) {
	p, claims, err := parse(raw)
	if err != nil {
		return nil, err
	}
	t := &Token{
		Raw:       raw,
		Algorithm: p.alg,
		KeyID:     p.kid,
		Issuer:    p.iss,
		Subject:   p.sub,
		Audience:  slices.Clone(p.aud),
		AMR:       slices.Clone(p.amr),
		Expiry:    p.exp,
		NotBefore: p.nbf,
		IssuedAt:  p.iat,
		Claims:    claims,
		parsed:    p,
	}
	return t, nil
}

func parse(raw string) (*parsedToken, map[string]any, error) {
	if raw == "" {
		return nil, nil, invalid(nil, "The web identity token is empty")
	}
	if len(raw) > MaxTokenLength {
		return nil, nil, invalid(nil, "The web identity token is longer than %d bytes", MaxTokenLength)
	}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; !isBase64URL(c) && c != '.' {
			return nil, nil, invalid(nil, "The web identity token is not a JWT: it has a character outside base64url and '.'")
		}
	}
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, nil, invalid(nil, "The web identity token is not a JWT: it has %d parts separated by '.', not 3", len(parts))
	}
	var decoded [3][]byte
	for i, part := range parts {
		b, err := base64.RawURLEncoding.Strict().DecodeString(part)
		if err != nil {
			return nil, nil, invalid(err, "The web identity token is not a JWT: its %s is not unpadded base64url", partNames[i])
		}
		decoded[i] = b
	}
	if len(decoded[2]) == 0 {
		return nil, nil, invalid(nil, "The web identity token has no signature")
	}

	header, err := decodeObject(decoded[0])
	if err != nil {
		return nil, nil, invalid(err, "The web identity token's header is not a valid JSON object")
	}
	p := &parsedToken{raw: raw}
	alg, ok := header["alg"].(string)
	if !ok {
		return nil, nil, invalid(nil, "The web identity token's header has no \"alg\" string")
	}
	if !slices.Contains(AllowedAlgorithms, alg) {
		return nil, nil, invalid(nil, "The web identity token is signed with algorithm %q, which is not accepted; accepted: %s",
			alg, strings.Join(AllowedAlgorithms, ", "))
	}
	p.alg = alg
	if v, present := header["kid"]; present {
		kid, ok := v.(string)
		if !ok {
			return nil, nil, invalid(nil, "The web identity token's header \"kid\" is not a string")
		}
		p.kid = kid
	}
	if _, present := header["crit"]; present {
		return nil, nil, invalid(nil, "The web identity token's header has a \"crit\" parameter, which is not supported")
	}

	claims, err := decodeObject(decoded[1])
	if err != nil {
		return nil, nil, invalid(err, "The web identity token's claims are not a valid JSON object")
	}
	if p.iss, err = requiredString(claims, "iss"); err != nil {
		return nil, nil, err
	}
	if p.sub, err = requiredString(claims, "sub"); err != nil {
		return nil, nil, err
	}
	if p.aud, err = stringOrList(claims, "aud"); err != nil {
		return nil, nil, err
	}
	if p.amr, err = stringOrList(claims, "amr"); err != nil {
		return nil, nil, err
	}
	if p.exp, p.hasExp, err = numericDate(claims, "exp"); err != nil {
		return nil, nil, err
	}
	if p.nbf, _, err = numericDate(claims, "nbf"); err != nil {
		return nil, nil, err
	}
	if p.iat, _, err = numericDate(claims, "iat"); err != nil {
		return nil, nil, err
	}

	// go-jose parses the same bytes again for the signature check; it must
	// agree with what was read above.
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
	if err != nil {
		return nil, nil, invalid(err, "The web identity token is not a valid JWS")
	}
	if len(jws.Signatures) != 1 {
		return nil, nil, invalid(nil, "The web identity token has %d signatures, not 1", len(jws.Signatures))
	}
	h := jws.Signatures[0].Header
	if h.Algorithm != alg || h.KeyID != p.kid || !bytes.Equal(jws.UnsafePayloadWithoutVerification(), decoded[1]) {
		return nil, nil, invalid(nil, "The web identity token's header is ambiguous")
	}
	p.jws = jws
	return p, claims, nil
}

var partNames = [3]string{"header", "payload", "signature"}

func isBase64URL(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// decodeObject decodes a JSON object, rejecting duplicate names at any depth,
// nesting deeper than maxJSONDepth and trailing data. Numbers are kept as
// json.Number.
func decodeObject(b []byte) (map[string]any, error) {
	if err := checkJSON(b); err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("not a JSON object")
	}
	return m, nil
}

// checkJSON checks that b is one JSON object and nothing more, with no
// duplicate names in any object and no nesting deeper than maxJSONDepth. It
// checks structure only: encoding/json validates the rest.
func checkJSON(b []byte) error {
	sc := &jsonScanner{b: b}
	sc.skipSpace()
	if sc.i >= len(b) || b[sc.i] != '{' {
		return errors.New("not a JSON object")
	}
	if err := sc.value(0); err != nil {
		return err
	}
	sc.skipSpace()
	if sc.i != len(b) {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

// jsonScanner walks JSON text for checkJSON.
type jsonScanner struct {
	b []byte
	i int
}

var errJSONSyntax = errors.New("malformed JSON")

func (sc *jsonScanner) skipSpace() {
	for sc.i < len(sc.b) {
		switch sc.b[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

// value skips one value at sc.i, which is not whitespace.
func (sc *jsonScanner) value(depth int) error {
	if sc.i >= len(sc.b) {
		return errJSONSyntax
	}
	switch sc.b[sc.i] {
	case '{':
		return sc.object(depth + 1)
	case '[':
		return sc.array(depth + 1)
	case '"':
		_, err := sc.str()
		return err
	}
	// A number, true, false or null: up to the next delimiter.
	start := sc.i
	for sc.i < len(sc.b) {
		switch sc.b[sc.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return nil
		}
		sc.i++
	}
	if sc.i == start {
		return errJSONSyntax
	}
	return nil
}

func (sc *jsonScanner) object(depth int) error {
	if depth > maxJSONDepth {
		return fmt.Errorf("JSON nested deeper than %d", maxJSONDepth)
	}
	sc.i++ // '{'
	seen := map[string]struct{}{}
	sc.skipSpace()
	if sc.i < len(sc.b) && sc.b[sc.i] == '}' {
		sc.i++
		return nil
	}
	for {
		sc.skipSpace()
		if sc.i >= len(sc.b) || sc.b[sc.i] != '"' {
			return errJSONSyntax
		}
		name, err := sc.str()
		if err != nil {
			return err
		}
		if _, dup := seen[name]; dup {
			return fmt.Errorf("duplicate member %q", name)
		}
		seen[name] = struct{}{}
		sc.skipSpace()
		if sc.i >= len(sc.b) || sc.b[sc.i] != ':' {
			return errJSONSyntax
		}
		sc.i++
		sc.skipSpace()
		if err := sc.value(depth); err != nil {
			return err
		}
		sc.skipSpace()
		if sc.i >= len(sc.b) {
			return errJSONSyntax
		}
		switch sc.b[sc.i] {
		case ',':
			sc.i++
		case '}':
			sc.i++
			return nil
		default:
			return errJSONSyntax
		}
	}
}

func (sc *jsonScanner) array(depth int) error {
	if depth > maxJSONDepth {
		return fmt.Errorf("JSON nested deeper than %d", maxJSONDepth)
	}
	sc.i++ // '['
	sc.skipSpace()
	if sc.i < len(sc.b) && sc.b[sc.i] == ']' {
		sc.i++
		return nil
	}
	for {
		sc.skipSpace()
		if err := sc.value(depth); err != nil {
			return err
		}
		sc.skipSpace()
		if sc.i >= len(sc.b) {
			return errJSONSyntax
		}
		switch sc.b[sc.i] {
		case ',':
			sc.i++
		case ']':
			sc.i++
			return nil
		default:
			return errJSONSyntax
		}
	}
}

// str reads a string at sc.i and returns its value as encoding/json
// decodes it, so that names equal once decoded count as duplicates.
func (sc *jsonScanner) str() (string, error) {
	start := sc.i
	sc.i++ // '"'
	plain := true
	for sc.i < len(sc.b) {
		switch c := sc.b[sc.i]; {
		case c == '"':
			sc.i++
			raw := sc.b[start:sc.i]
			if plain {
				return string(raw[1 : len(raw)-1]), nil
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return "", err
			}
			return s, nil
		case c == '\\':
			plain = false
			sc.i += 2
		case c >= utf8.RuneSelf:
			plain = false
			sc.i++
		default:
			sc.i++
		}
	}
	return "", errJSONSyntax
}

func requiredString(claims map[string]any, name string) (string, error) {
	v, present := claims[name]
	if !present {
		return "", invalid(nil, "The web identity token has no %q claim", name)
	}
	s, ok := v.(string)
	if !ok {
		return "", invalid(nil, "The web identity token's %q claim is not a string", name)
	}
	if s == "" {
		return "", invalid(nil, "The web identity token's %q claim is empty", name)
	}
	return s, nil
}

// stringOrList reads a claim that is a string or an array of strings.
func stringOrList(claims map[string]any, name string) ([]string, error) {
	switch v := claims[name].(type) {
	case nil:
		if _, present := claims[name]; present {
			return nil, invalid(nil, "The web identity token's %q claim is null", name)
		}
		return nil, nil
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, invalid(nil, "The web identity token's %q claim is not a string or an array of strings", name)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, invalid(nil, "The web identity token's %q claim is not a string or an array of strings", name)
}

// numericDate reads a NumericDate claim: seconds since the epoch, integer or
// not. It reports whether the claim was present.
func numericDate(claims map[string]any, name string) (time.Time, bool, error) {
	v, present := claims[name]
	if !present {
		return time.Time{}, false, nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, true, invalid(nil, "The web identity token's %q claim is not a number", name)
	}
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		if i < 0 || i > maxNumericDate {
			return time.Time{}, true, invalid(nil, "The web identity token's %q claim is out of range", name)
		}
		return time.Unix(i, 0).UTC(), true, nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > maxNumericDate {
		return time.Time{}, true, invalid(err, "The web identity token's %q claim is out of range", name)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true, nil
}
