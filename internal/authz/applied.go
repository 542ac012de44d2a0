package authz

import (
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// Applied is one Allow statement that applied to an allowed request: what
// the access graph labels an edge with, found without building a trace.
type Applied struct {
	// Kind is KindTrust, KindIdentity or KindResource.
	Kind    string
	Account string
	// Policy names the policy as traces do.
	Policy    string
	Statement *policy.Statement
}

// allows appends the Allow statements of set that applied to preq.
func allows(out []Applied, kind, account string, set *policy.Set, preq *policy.Request) []Applied {
	if set == nil {
		return out
	}
	var res policy.Result
	if set.Evaluate(preq, &res) != policy.Allowed {
		return out
	}
	entries := set.Entries()
	for _, m := range res.Matches {
		if m.Effect != policy.Allow {
			continue
		}
		e := entries[m.Entry]
		out = append(out, Applied{Kind: kind, Account: account, Policy: e.ID, Statement: e.Policy.Statements[m.Statement]})
	}
	return out
}

// AssumeRoleApplied returns the statements that allow an assumption
// CanAssumeRole allows: the trust policy's and, where AWS asks the
// caller's side too, its identity-based policies' (for action, with the
// request's context reqCtx).
func AssumeRoleApplied(snap *directory.Snapshot, caller *directory.Caller, role *directory.Role, action string, reqCtx *policy.Context) []Applied {
	roleAccount := accountOf(role.ARN)
	sub := describe(snap, caller)
	compiled := compiledTrust(snap, role, roleAccount)
	trust := compiled.set
	preq := &policy.Request{Principal: sub.principal, Action: action, Resource: role.ARN, Context: sub.contextFor(reqCtx, sub.need|compiled.keys)}
	var res policy.Result
	if trust.Evaluate(preq, &res) != policy.Allowed {
		return nil
	}
	out := allows(nil, KindTrust, roleAccount, trust, preq)
	if needIdentity, _ := TrustRequires(res.Principal, caller.AccountID != roleAccount); needIdentity {
		out = allows(out, KindIdentity, caller.AccountID, sub.identity, preq)
	}
	return out
}

// TrustApplied returns the trust policy's statements that allow who (a
// provider, a service, an outside account) to perform action on role.
func TrustApplied(snap *directory.Snapshot, who *policy.Principal, role *directory.Role, action string, ctx *policy.Context) []Applied {
	roleAccount := accountOf(role.ARN)
	return allows(nil, KindTrust, roleAccount, trustSet(snap, role, roleAccount), &policy.Request{Principal: who, Action: action, Resource: role.ARN, Context: ctx})
}

// ResourceApplied returns the statements that allow a request
// ResourceAllowed allows: the resource policy's, and the caller's
// identity-based policies' where they allow it too.
func ResourceApplied(snap *directory.Snapshot, req ResourceRequest) []Applied {
	c := req.Caller
	if c == nil {
		return nil
	}
	owner := req.owner()
	sub := describe(snap, c)
	rset, preq := resourceRequest(sub, req, owner)
	out := allows(nil, KindResource, owner, rset, preq)
	if !c.IsRoot() {
		out = allows(out, KindIdentity, c.AccountID, sub.identity, preq)
	}
	return out
}
