package authz_test

import (
	"testing"

	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/policy"
)

// TestTrustRequires: who a trust names decides what else must allow an
// assumption (spec §2): the user or the session alone; the role within
// its boundary and session policies; the account or everyone with an
// identity Allow; across accounts, both sides always.
func TestTrustRequires(t *testing.T) {
	for _, c := range []struct {
		match                    policy.PrincipalMatch
		cross                    bool
		needIdentity, needLimits bool
	}{
		{policy.MatchUser, false, false, false},
		{policy.MatchSession, false, false, false},
		{policy.MatchFederatedUser, false, false, false},
		{policy.MatchRole, false, false, true},
		{policy.MatchAccount, false, true, true},
		{policy.MatchAll, false, true, true},
		{policy.MatchNone, false, true, true},
		{policy.MatchService, false, true, true},
		{policy.MatchUser, true, true, true},
		{policy.MatchSession, true, true, true},
		{policy.MatchRole, true, true, true},
		{policy.MatchAccount, true, true, true},
		{policy.MatchAll, true, true, true},
	} {
		id, lim := authz.TrustRequires(c.match, c.cross)
		if id != c.needIdentity || lim != c.needLimits {
			t.Errorf("TrustRequires(%s, cross %v) = %v, %v; want %v, %v", c.match, c.cross, id, lim, c.needIdentity, c.needLimits)
		}
	}
}
