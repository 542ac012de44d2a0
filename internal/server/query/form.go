package query

import (
	"net/url"
	"os"
	"strings"
)

// maxFastParams bounds the forms ParseForm parses itself; larger ones,
// far beyond any IAM or STS request, go to url.ParseQuery, which also
// enforces net/url's limit on their number.
const maxFastParams = 1000

// godebugParams reports whether GODEBUG may change net/url's limit on the
// number of parameters, which ParseForm then leaves to url.ParseQuery.
var godebugParams = strings.Contains(os.Getenv("GODEBUG"), "urlmaxqueryparams")

// maxInlinePairs is how many pairs ParseForm tracks without allocating.
const maxInlinePairs = 32

// formPair locates one key=value pair: each side is either raw[i:j] (the
// text needed no unescaping) or, when unescaped, buf[i:j].
type formPair struct {
	k0, k1, v0, v1 int
	kRaw, vRaw     bool
}

// ParseForm parses a URL-encoded form (a POST body, or a URL's query
// string) exactly as url.ParseQuery does, returning the same values and,
// for a malformed form, the same error. It allocates less: the values'
// slices share one array, and the keys and values that had to be
// unescaped share one string; the others are substrings of raw.
func ParseForm(raw string) (url.Values, error) {
	n := strings.Count(raw, "&") + 1
	if n > maxFastParams || godebugParams || strings.IndexByte(raw, ';') >= 0 {
		return url.ParseQuery(raw)
	}
	var pairBuf [maxInlinePairs]formPair
	pairs := pairBuf[:0]
	var textBuf [1024]byte
	buf := textBuf[:0]
	for pos := 0; pos < len(raw); {
		// As url.ParseQuery: the text up to the next '&' is a pair,
		// unless empty.
		start, seg := pos, raw[pos:]
		if i := strings.IndexByte(seg, '&'); i >= 0 {
			seg = seg[:i]
		}
		pos += len(seg) + 1
		if seg == "" {
			continue
		}
		key, value, hasValue := strings.Cut(seg, "=")
		var p formPair
		var ok bool
		if p.k0, p.k1, p.kRaw, buf, ok = unescapeInto(buf, key, start); !ok {
			return url.ParseQuery(raw) // for its error
		}
		vstart := start + len(key)
		if hasValue {
			vstart++
		}
		if p.v0, p.v1, p.vRaw, buf, ok = unescapeInto(buf, value, vstart); !ok {
			return url.ParseQuery(raw)
		}
		pairs = append(pairs, p)
	}
	text := string(buf) // one allocation for every unescaped key and value
	form := make(url.Values, len(pairs))
	vals := make([]string, len(pairs))
	for i, p := range pairs {
		key, value := piece(raw, text, p.k0, p.k1, p.kRaw), piece(raw, text, p.v0, p.v1, p.vRaw)
		if vs, ok := form[key]; ok {
			form[key] = append(vs, value)
			continue
		}
		vals[i] = value
		form[key] = vals[i : i+1 : i+1]
	}
	return form, nil
}

// piece returns raw[i:j] if isRaw, else text[i:j].
func piece(raw, text string, i, j int, isRaw bool) string {
	if isRaw {
		return raw[i:j]
	}
	return text[i:j]
}

// unescapeInto unescapes s, the text at raw[at:], as url.QueryUnescape
// does. Text needing no change is reported as raw[i:j] (isRaw); other text
// is appended to buf and reported as buf[i:j]. ok is false when s holds a
// malformed escape.
func unescapeInto(buf []byte, s string, at int) (i, j int, isRaw bool, out []byte, ok bool) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return at, at + len(s), true, buf, true
	}
	i = len(buf)
	for k := 0; k < len(s); k++ {
		switch c := s[k]; c {
		case '%':
			if k+2 >= len(s) || !isHex(s[k+1]) || !isHex(s[k+2]) {
				return 0, 0, false, buf, false
			}
			buf = append(buf, unhex(s[k+1])<<4|unhex(s[k+2]))
			k += 2
		case '+':
			buf = append(buf, ' ')
		default:
			buf = append(buf, c)
		}
	}
	return i, len(buf), false, buf, true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
