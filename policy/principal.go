package policy

import (
	"fmt"

	"github.com/assumed-dev/assumed/arn"
)

// Principal is who makes a request, as resource and trust policies see it.
type Principal struct {
	// Type is one of arn.PrincipalAccount (the account root user),
	// PrincipalUser, PrincipalAssumedRole (a role session),
	// PrincipalFederatedUser, PrincipalService, PrincipalOIDCProvider,
	// PrincipalSAMLProvider or PrincipalWebIdentity (a web identity caller
	// of AssumeRoleWithWebIdentity, before it has a session), or
	// PrincipalAll for an anonymous caller.
	Type      arn.PrincipalType
	AccountID string
	// ARN identifies the principal: the root, user, role session or
	// federated user ARN, the service name, or the identity provider.
	ARN string
	// RoleARN is the role of a role session.
	RoleARN string
	// UniqueID is the user's or role's unique ID (AIDA…, AROA…).
	UniqueID string
	// CanonicalUser is the S3 canonical user ID, when known.
	CanonicalUser string
}

// PrincipalMatch says how a statement's Principal element named the
// caller; AWS's cross-policy logic depends on it (a resource policy that
// names the account delegates to identity policies, one that names the
// user grants by itself).
type PrincipalMatch uint8

// How a principal was matched, from least to most specific.
const (
	MatchNone          PrincipalMatch = iota
	MatchAll                          // "*", or a NotPrincipal that did not list the caller
	MatchAccount                      // the caller's account root
	MatchRole                         // the role of a role session
	MatchUser                         // the IAM user
	MatchSession                      // the assumed-role session ARN
	MatchFederatedUser                // the federated user ARN
	MatchService                      // the service principal
	MatchFederated                    // the identity provider
	MatchCanonicalUser                // the S3 canonical user
)

var matchNames = [...]string{"none", "wildcard", "account", "role", "user", "role session", "federated user", "service", "identity provider", "canonical user"}

func (m PrincipalMatch) String() string {
	if int(m) < len(matchNames) {
		return matchNames[m]
	}
	return fmt.Sprintf("PrincipalMatch(%d)", m)
}

// isIAM reports whether the caller is an IAM identity of an account.
func (p *Principal) isIAM() bool {
	switch p.Type {
	case arn.PrincipalAccount, arn.PrincipalUser, arn.PrincipalAssumedRole, arn.PrincipalFederatedUser:
		return true
	}
	return false
}

// entryMatch reports how entry e names the caller p (MatchNone if not).
func entryMatch(e *PrincipalEntry, p *Principal) PrincipalMatch {
	switch e.Type {
	case arn.PrincipalAll:
		return MatchAll
	case arn.PrincipalAccount:
		if p.isIAM() && p.AccountID == e.AccountID {
			return MatchAccount
		}
	case arn.PrincipalUser:
		if p.Type == arn.PrincipalUser && p.ARN == e.ARN {
			return MatchUser
		}
	case arn.PrincipalRole:
		if p.Type == arn.PrincipalAssumedRole && p.RoleARN == e.ARN {
			return MatchRole
		}
	case arn.PrincipalAssumedRole:
		if p.Type == arn.PrincipalAssumedRole && p.ARN == e.ARN {
			return MatchSession
		}
	case arn.PrincipalFederatedUser:
		if p.Type == arn.PrincipalFederatedUser && p.ARN == e.ARN {
			return MatchFederatedUser
		}
	case arn.PrincipalUniqueID:
		if p.UniqueID != "" && p.UniqueID == e.ARN {
			if p.Type == arn.PrincipalUser {
				return MatchUser
			}
			return MatchRole
		}
	case arn.PrincipalService:
		if p.Type == arn.PrincipalService && p.ARN == e.ARN {
			return MatchService
		}
	case arn.PrincipalOIDCProvider, arn.PrincipalSAMLProvider, arn.PrincipalWebIdentity:
		if (p.Type == arn.PrincipalOIDCProvider || p.Type == arn.PrincipalSAMLProvider || p.Type == arn.PrincipalWebIdentity) && p.ARN == e.ARN {
			return MatchFederated
		}
	case arn.PrincipalCanonicalUser:
		if p.CanonicalUser != "" && p.CanonicalUser == e.ARN {
			return MatchCanonicalUser
		}
	}
	return MatchNone
}

// match returns the most specific way the element names p.
func (ps *Principals) match(p *Principal) PrincipalMatch {
	if ps.All {
		return MatchAll
	}
	best := MatchNone
	for i := range ps.Entries {
		if m := entryMatch(&ps.Entries[i], p); m > best {
			best = m
		}
	}
	return best
}

// notPrincipalApplies decides whether a NotPrincipal statement applies to
// p. A caller is several identities at once — its account, and for a role
// session also the role and the session; AWS documents that a NotPrincipal
// must list all of them to exempt the caller from a Deny. So a Deny applies
// unless every identity is listed, and (failing closed) an Allow applies
// only when none of them is.
func (ps *Principals) notPrincipalApplies(p *Principal, effect Effect) bool {
	if ps.All {
		return false
	}
	listed, total := 0, 0
	check := func(ok bool) {
		total++
		if ok {
			listed++
		}
	}
	has := func(want PrincipalMatch) bool {
		for i := range ps.Entries {
			if entryMatch(&ps.Entries[i], p) == want {
				return true
			}
		}
		return false
	}
	switch p.Type {
	case arn.PrincipalAccount:
		check(has(MatchAccount))
	case arn.PrincipalUser:
		check(has(MatchAccount))
		check(has(MatchUser))
	case arn.PrincipalAssumedRole:
		check(has(MatchAccount))
		check(has(MatchRole))
		check(has(MatchSession))
	case arn.PrincipalFederatedUser:
		check(has(MatchAccount))
		check(has(MatchFederatedUser))
	default:
		check(ps.match(p) != MatchNone)
	}
	if effect == Deny {
		return listed < total
	}
	return listed == 0
}
