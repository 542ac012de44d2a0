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
	key    ckey   // context key (tVar)
	hasDef bool
}

// pattern is a string value from a policy compiled for matching: literal
// text, wildcards (for Like operators and resources) and policy variables.
type pattern struct {
	literal bool // only literal text: raw is the whole pattern
	star    bool // exactly "*"
	hasVar  bool
	// starsOnly: only literal text and '*' (no '?', no variables), which
	// matchStars decides in linear time.
	starsOnly bool
	// prefix and suffix are literal text every match starts or ends with,
	// checked before anything else to reject most values at once.
	prefix, suffix string
	raw            string
	toks           []token
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
	if !p.literal && !p.star {
		p.starsOnly = true
		for _, t := range p.toks {
			if t.kind != tLit && t.kind != tStar {
				p.starsOnly = false
			}
		}
		if first := p.toks[0]; first.kind == tLit {
			p.prefix = first.text
		}
		if last := p.toks[len(p.toks)-1]; last.kind == tLit && len(p.toks) > 1 {
			p.suffix = last.text
		}
	}
	return p
}

// hasAffix reports whether s starts with prefix and ends with suffix,
// comparing case-insensitively when fold is set (prefix and suffix are
// then lower-case).
func (p *pattern) hasAffix(s string, fold bool) bool {
	if len(s) < len(p.prefix)+len(p.suffix) {
		return false
	}
	if fold {
		return equalFoldLower(s[:len(p.prefix)], p.prefix) && equalFoldLower(s[len(s)-len(p.suffix):], p.suffix)
	}
	return s[:len(p.prefix)] == p.prefix && s[len(s)-len(p.suffix):] == p.suffix
}

// matchStars matches a pattern of literal text and '*' only, case-
// sensitively: the first literal must start s, the last must end it, and
// each one between is found leftmost in order, which is optimal when '*'
// is the only wildcard.
func (p *pattern) matchStars(s string) bool {
	toks := p.toks
	pos, end := 0, len(s)
	if p.prefix != "" {
		pos = len(p.prefix)
		toks = toks[1:]
	}
	if p.suffix != "" {
		end -= len(p.suffix)
		toks = toks[:len(toks)-1]
	}
	if pos > end {
		return false
	}
	mid := s[pos:end]
	for _, t := range toks {
		if t.kind != tLit {
			continue
		}
		j := strings.Index(mid, t.text)
		if j < 0 {
			return false
		}
		mid = mid[j+len(t.text):]
	}
	return true
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
	return token{kind: tVar, key: newKey(key), text: def, hasDef: hasDef}, true
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
	if !p.hasAffix(s, fold) {
		return false, true
	}
	if p.starsOnly && !fold {
		return p.matchStars(s), true
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
// with a single backtracking point (the last '*'), comparing each literal
// or variable token as a whole: a token has no wildcards inside, so it
// either matches entirely at the current position or sends the matcher
// back to the last '*'.
func globTokens(toks []token, vals []string, s string, fold bool) bool {
	ti, si, vi := 0, 0, 0 // pattern token, position in s, next variable value
	starTi, starSi, starVi := -1, 0, 0
	for {
		if ti == len(toks) {
			if si == len(s) {
				return true
			}
		} else {
			switch t := &toks[ti]; t.kind {
			case tStar:
				if ti == len(toks)-1 {
					return true // a trailing '*' takes the rest
				}
				starTi, starSi, starVi = ti, si, vi
				ti++
				continue
			case tQuest:
				if si < len(s) {
					_, n := utf8.DecodeRuneInString(s[si:])
					si += n
					ti++
					continue
				}
			default:
				text := t.text
				if t.kind == tVar {
					text = vals[vi]
				}
				if hasPrefixFold(s[si:], text, fold && t.kind == tLit, fold) {
					si += len(text)
					ti++
					if t.kind == tVar {
						vi++
					}
					continue
				}
			}
		}
		// Mismatch: let the last '*' take one more character, and retry.
		if starTi < 0 || starSi >= len(s) {
			return false
		}
		_, n := utf8.DecodeRuneInString(s[starSi:])
		starSi += n
		if next := &toks[starTi+1]; next.kind == tLit && !fold {
			// Skip straight to where the literal after the '*' occurs.
			j := strings.Index(s[starSi:], next.text)
			if j < 0 {
				return false
			}
			starSi += j
		}
		si, ti, vi = starSi, starTi+1, starVi
	}
}

// hasPrefixFold reports whether s starts with prefix. With fold the
// comparison ignores ASCII case; lowered says prefix is already lower-case.
func hasPrefixFold(s, prefix string, lowered, fold bool) bool {
	if len(s) < len(prefix) {
		return false
	}
	switch {
	case !fold:
		return s[:len(prefix)] == prefix
	case lowered:
		return equalFoldLower(s[:len(prefix)], prefix)
	}
	for i := 0; i < len(prefix); i++ {
		if lowerASCII(s[i]) != lowerASCII(prefix[i]) {
			return false
		}
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
	all   bool // "*"
	never bool // a pattern no ARN can match
	// service is the service component when it is literal text, and
	// resourcePrefix the literal text the resource component starts with:
	// quick rejections before the component-wise match.
	service        string
	resourcePrefix string
	// head is the first five components with their colons
	// ("arn:aws:s3:::") when all five are literal text: one prefix
	// comparison then replaces five component comparisons.
	head string
	// contains is X when the resource component is "*X*" with X literal,
	// the commonest wildcard shape in AWS's policies.
	contains string
	// parts is kept behind a pointer so that a statement's patterns are
	// small and dense, and the quick checks stay in cache.
	parts *[6]pattern
	raw   string
}

// compileARNPattern compiles an ARN pattern for segment-wise matching.
// ok is false when s is neither "*" nor an ARN pattern ("arn:…" or
// "*:…"). A pattern of fewer than six components whose last component
// ends in '*' has that '*' expand across the remaining colons, as AWS
// documents; one that does not end in '*' can match no ARN.
func compileARNPattern(s string, vars bool) (arnPattern, bool) {
	ap := arnPattern{raw: s}
	if s == "*" {
		ap.all = true
		return ap, true
	}
	parts, ok := splitARN(s)
	if !ok {
		short := strings.Split(s, ":")
		if len(short) < 2 || !strings.HasSuffix(s, "*") {
			return ap, false
		}
		for i := range parts {
			if i < len(short) {
				parts[i] = short[i]
			} else {
				parts[i] = "*"
			}
		}
	}
	ap.parts = new([6]pattern)
	for i, part := range parts {
		ap.parts[i] = compilePattern(part, true, vars, false)
	}
	if ap.parts[2].literal {
		ap.service = ap.parts[2].raw
	}
	if ap.parts[0].literal && ap.parts[1].literal && ap.parts[2].literal && ap.parts[3].literal && ap.parts[4].literal {
		ap.head = strings.Join([]string{ap.parts[0].raw, ap.parts[1].raw, ap.parts[2].raw, ap.parts[3].raw, ap.parts[4].raw, ""}, ":")
		if t := ap.parts[5].toks; len(t) == 3 && t[0].kind == tStar && t[1].kind == tLit && t[2].kind == tStar {
			ap.contains = t[1].text
		}
	}
	if r := &ap.parts[5]; r.literal {
		ap.resourcePrefix = r.raw
	} else {
		ap.resourcePrefix = r.prefix
	}
	return ap, true
}

// match reports whether the ARN s matches; ok as for pattern.match.
func (ap *arnPattern) match(s string, ctx *Context) (matched, ok bool) {
	parts, valid := arn.Split(s)
	if !valid {
		return ap.all, true
	}
	return ap.matchSplit(s, &parts, ctx)
}

// matchSplit matches the valid ARN s, already split into parts.
func (ap *arnPattern) matchSplit(s string, parts *[6]string, ctx *Context) (matched, ok bool) {
	if ap.head == "" {
		return ap.matchParts(parts, ctx)
	}
	if !strings.HasPrefix(s, ap.head) {
		return false, true
	}
	if ap.contains != "" {
		return strings.Contains(parts[5], ap.contains), true
	}
	r := &ap.parts[5]
	switch {
	case r.literal:
		return parts[5] == r.raw, true
	case r.star:
		return true, true
	case r.starsOnly:
		return r.hasAffix(parts[5], false) && r.matchStars(parts[5]), true
	}
	return r.match(parts[5], ctx, false)
}

// arnCheckOrder compares the service component first (it rejects most
// candidates) and the long resource component before the rest.
var arnCheckOrder = [6]int{2, 5, 4, 3, 1, 0}

// matchParts is match on a valid ARN already split.
func (ap *arnPattern) matchParts(parts *[6]string, ctx *Context) (matched, ok bool) {
	if ap.all || ap.never {
		return ap.all, true
	}
	for _, i := range arnCheckOrder {
		sp := &ap.parts[i]
		switch {
		case sp.literal:
			if parts[i] != sp.raw {
				return false, true
			}
		case sp.star:
		case sp.starsOnly:
			if !sp.hasAffix(parts[i], false) || !sp.matchStars(parts[i]) {
				return false, true
			}
		default:
			m, ok := sp.match(parts[i], ctx, false)
			if !ok || !m {
				return false, ok
			}
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
