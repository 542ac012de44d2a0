package analyze

import (
	"strings"

	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// mayAllow reports whether any identity-based policy of a user or role
// (inline, attached, and a user's groups') has an Allow statement whose
// action could be action: a principal without one can never pass the
// caller's side of a decision that needs an identity Allow (an
// assumption across accounts, or through a trust of the account), so the
// graph does not ask. It errs towards true: a policy it can't resolve, or
// a NotAction statement, may allow.
func mayAllow(snap *directory.Snapshot, account, principalARN, action string) bool {
	a := snap.IAM[account]
	if a == nil {
		return true
	}
	var ps []*directory.Principal
	name := principalARN[strings.LastIndexByte(principalARN, '/')+1:]
	switch {
	case strings.Contains(principalARN, ":user/"):
		u, ok := a.Users[directory.Key(name)]
		if !ok {
			return true
		}
		ps = append(ps, &u.Principal)
		for _, g := range a.GroupsOf(u.Name) {
			ps = append(ps, &g.Principal)
		}
	case strings.Contains(principalARN, ":role/"):
		r, ok := a.Roles[directory.Key(name)]
		if !ok {
			return true
		}
		ps = append(ps, &r.Principal)
	default:
		return true
	}
	action = strings.ToLower(action)
	for _, p := range ps {
		for _, ip := range p.Inline {
			if ip.Compiled == nil || statementsMayAllow(ip.Compiled, action) {
				return true
			}
		}
		for _, arn := range p.Attached {
			mp, ok := snap.PolicyFor(account, arn)
			if !ok {
				continue // an attachment that resolves to nothing grants nothing
			}
			v := mp.Default()
			if v == nil || v.Compiled == nil || statementsMayAllow(v.Compiled, action) {
				return true
			}
		}
	}
	return false
}

// statementsMayAllow reports whether an Allow statement of p could match
// action (lower-case).
func statementsMayAllow(p *policy.Policy, action string) bool {
	for _, st := range p.Statements {
		if st.Effect != policy.Allow {
			continue
		}
		if st.NotAction {
			return true
		}
		for _, a := range st.Actions {
			if globMatch(strings.ToLower(a), action) {
				return true
			}
		}
	}
	return false
}

// globMatch matches s against a pattern of IAM's wildcards: * any run of
// characters, ? any one.
func globMatch(pattern, s string) bool {
	px, sx := 0, 0
	nextPx, nextSx := -1, -1
	for px < len(pattern) || sx < len(s) {
		if px < len(pattern) {
			switch c := pattern[px]; c {
			case '*':
				nextPx, nextSx = px, sx+1
				px++
				continue
			case '?':
				if sx < len(s) {
					px++
					sx++
					continue
				}
			default:
				if sx < len(s) && s[sx] == c {
					px++
					sx++
					continue
				}
			}
		}
		if nextSx > 0 && nextSx <= len(s) {
			px, sx = nextPx, nextSx
			continue
		}
		return false
	}
	return true
}
