package policy

import (
	"github.com/assumed-dev/assumed/arn"
	"strings"
	"unicode/utf8"
)

// tokKind is the kind of one piece of a compiled pattern.
type tokKind uint8

const (
	tLit   tokKind = iota // literal text
	tStar                 // '*': any run of characters
	tQuest                // '?': exactly one character
	tVar                  // ${key} or ${key, 'default'}: a context value, matched literally
)

// token is one piece of a compiled pattern.
type token struct {
	kind   tokKind
	text   string // literal text (tLit), or the default (tVar with hasDef)
	key    string // lower-cased context key (tVar)
	hasDef bool
}

// pattern is a string value from a policy compiled for matching: literal
// text, wildcards (for Like operators and resources) and policy variables.
type pattern struct {
	raw     string
	toks    []token
	literal bool // only literal text: raw is the whole pattern
	star    bool // exactly "*"
	hasVar  bool
}

// compilePattern compiles s. wildcards says whether '*' and '?' are
// wildcards (Like operators, Resource, Action); vars whether ${…} policy
// variables are substituted (policy Version 2012-10-17 only). fold lowers
// the literal text for case-insensitive matching.
func compilePattern(s string, wildcards, vars, fold bool) pattern {
	p := pattern{raw: s}
	if fold {
		s = strings.ToLower(s)
		p.raw = s
	}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			p.toks = append(p.toks, token{kind: tLit, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case wildcards && c == '*':
			flush()
			p.toks = append(p.toks, token{kind: tStar})
			i++
		case wildcards && c == '?':
			flush()
			p.toks = append(p.toks, token{kind: tQuest})
			i++
		case vars && c == '$' && i+1 < len(s) && s[i+1] == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				lit.WriteByte(c)
				i++
				continue
			}
			body := s[i+2 : i+end]
			i += end + 1
			switch body {
			case "*", "?", "$":
				lit.WriteString(body)
				continue
			}
			t, ok := parseVariable(body)
			if !ok {
				lit.WriteString("${" + body + "}")
				continue
			}
			flush()
			p.toks = append(p.toks, t)
			p.hasVar = true
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	p.literal = !p.hasVar && (len(p.toks) == 0 || len(p.toks) == 1 && p.toks[0].kind == tLit)
	if p.literal {
		p.raw = ""
		if len(p.toks) == 1 {
			p.raw = p.toks[0].text
		}
	}
	p.star = len(p.toks) == 1 && p.toks[0].kind == tStar
	return p
}

// parseVariable parses the inside of ${…}: a key, optionally followed by a
// comma and a single-quoted default ("aws:username, 'nobody'").
func parseVariable(body string) (token, bool) {
	key, def, hasDef := body, "", false
	if i := strings.IndexByte(body, ','); i >= 0 {
		key = body[:i]
		rest := strings.TrimSpace(body[i+1:])
		if len(rest) < 2 || rest[0] != '\'' || rest[len(rest)-1] != '\'' {
			return token{}, false
		}
		def, hasDef = rest[1:len(rest)-1], true
	}
	key = strings.TrimSpace(key)
	if key == "" || strings.ContainsAny(key, " \t'") {
		return token{}, false
	}
	return token{kind: tVar, key: strings.ToLower(key), text: def, hasDef: hasDef}, true
}

// maxVars is how many variables one pattern may resolve without allocating.
const maxVars = 8

// match reports whether s matches the pattern. ok is false when a variable
// could not be resolved (the key is missing or multivalued, with no
// default): the caller must then treat the statement as not matching.
// When fold is set, s is compared case-insensitively (ASCII), and the
// pattern must have been compiled with fold. match does not allocate.
func (p *pattern) match(s string, ctx *Context, fold bool) (matched, ok bool) {
	if p.literal {
		if fold {
			return equalFoldLower(s, p.raw), true
		}
		return s == p.raw, true
	}
	if p.star {
		return true, true
	}
	var buf [maxVars]string
	vals := buf[:0]
	if p.hasVar {
		for i := range p.toks {
			t := &p.toks[i]
			if t.kind != tVar {
				continue
			}
			v, found := ctx.variable(t.key)
			if !found {
				if !t.hasDef {
					return false, false
				}
				v = t.text
			}
			vals = append(vals, v)
		}
	}
	return globTokens(p.toks, vals, s, fold), true
}

// globTokens matches s against toks, with vals holding the resolved
// values of the tVar tokens in order. It is the classic wildcard matcher
// with a single backtracking point, walking the pattern as a stream of
// characters across token boundaries.
func globTokens(toks []token, vals []string, s string, fold bool) bool {
	ti, off, si, vi := 0, 0, 0, 0 // pattern token, offset in it, position in s, next variable
	starTi, starSi, starVi := -1, 0, 0
	text := func(i, v int) string {
		if toks[i].kind == tVar {
			return vals[v]
		}
		return toks[i].text
	}
	for si < len(s) {
		if ti < len(toks) {
			switch toks[ti].kind {
			case tStar:
				starTi, starSi, starVi = ti, si, vi
				ti++
				off = 0
				continue
			case tQuest:
				_, n := utf8.DecodeRuneInString(s[si:])
				si += n
				ti++
				continue
			default:
				t := text(ti, vi)
				if off == len(t) {
					if toks[ti].kind == tVar {
						vi++
					}
					ti++
					off = 0
					continue
				}
				a, c := t[off], s[si]
				if fold {
					a, c = lowerASCII(a), lowerASCII(c)
				}
				if a == c {
					off++
					si++
					continue
				}
			}
		}
		if starTi < 0 {
			return false
		}
		_, n := utf8.DecodeRuneInString(s[starSi:])
		starSi += n
		si = starSi
		ti, off, vi = starTi+1, 0, starVi
	}
	for ti < len(toks) {
		switch toks[ti].kind {
		case tStar:
		case tLit:
			if off != len(toks[ti].text) {
				return false
			}
		case tVar:
			if off != len(vals[vi]) {
				return false
			}
			vi++
		default:
			return false
		}
		ti++
		off = 0
	}
	return true
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// equalFoldLower reports whether s equals lower (already lower-case) under
// ASCII case folding, without allocating.
func equalFoldLower(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if lowerASCII(s[i]) != lower[i] {
			return false
		}
	}
	return true
}

// arnPattern is an ARN pattern compiled component by component.
type arnPattern struct {
	raw   string
	all   bool // "*"
	parts [6]pattern
}

// compileARNPattern compiles an ARN pattern for segment-wise matching.
// ok is false when s is neither "*" nor has six components.
func compileARNPattern(s string, vars bool) (arnPattern, bool) {
	ap := arnPattern{raw: s}
	if s == "*" {
		ap.all = true
		return ap, true
	}
	parts, ok := splitARN(s)
	if !ok {
		return ap, false
	}
	for i, part := range parts {
		ap.parts[i] = compilePattern(part, true, vars, false)
	}
	return ap, true
}

// match reports whether the ARN s matches; ok as for pattern.match.
func (ap *arnPattern) match(s string, ctx *Context) (matched, ok bool) {
	if ap.all {
		return true, true
	}
	parts, valid := arn.Split(s)
	if !valid {
		return false, true
	}
	for i := range ap.parts {
		m, ok := ap.parts[i].match(parts[i], ctx, false)
		if !ok {
			return false, false
		}
		if !m {
			return false, true
		}
	}
	return true, true
}

// splitARN splits at the first five colons; the resource component keeps
// any further colons. A '${…}' variable is kept whole even if its default
// contains a colon.
func splitARN(s string) (parts [6]string, ok bool) {
	start, n := 0, 0
	depth := false
	for i := 0; i < len(s) && n < 5; i++ {
		switch s[i] {
		case '$':
			if i+1 < len(s) && s[i+1] == '{' {
				depth = true
			}
		case '}':
			depth = false
		case ':':
			if !depth {
				parts[n] = s[start:i]
				n++
				start = i + 1
			}
		}
	}
	if n < 5 {
		return parts, false
	}
	parts[5] = s[start:]
	return parts, true
}
