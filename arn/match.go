package arn

import "unicode/utf8"

// Glob reports whether s matches pattern, where '*' matches any run of
// characters (including none) and '?' matches exactly one character. All
// other characters match themselves, case-sensitively. Glob does not
// allocate.
func Glob(pattern, s string) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(pattern) {
			switch c := pattern[pi]; c {
			case '*':
				starP, starS = pi, si
				pi++
				continue
			case '?':
				_, n := utf8.DecodeRuneInString(s[si:])
				pi++
				si += n
				continue
			default:
				if c == s[si] {
					pi++
					si++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		// Let the last star absorb one more character and retry.
		_, n := utf8.DecodeRuneInString(s[starS:])
		starS += n
		si = starS
		pi = starP + 1
	}
	for pi < len(pattern) && pattern[pi] == '*' {
		pi++
	}
	return pi == len(pattern)
}

// Match reports whether the ARN s matches pattern component by component,
// as the ArnLike condition operator and the Resource element do: '*' and
// '?' match within one component and never cross a colon between the first
// five components. The resource component (after the fifth colon) is
// matched as a whole, so a '*' there matches colons and slashes. A pattern
// of just "*" matches anything.
func Match(pattern, s string) bool {
	if pattern == "*" {
		return true
	}
	pp, ok := Split(pattern)
	if !ok {
		return false
	}
	sp, ok := Split(s)
	if !ok {
		return false
	}
	for i := range pp {
		if !Glob(pp[i], sp[i]) {
			return false
		}
	}
	return true
}
