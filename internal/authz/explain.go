package authz

import (
	"errors"
	"fmt"
	"time"

	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// ExplainRequest decides a request as Authorize does and returns its
// trace, allowed or not: the same evaluator, kept whole.
func ExplainRequest(snap *directory.Snapshot, req Request) *Trace {
	err := Authorize(snap, req)
	if t := traceOf(err); t != nil {
		return t
	}
	c := req.Caller
	if c.IsRoot() {
		sc := &scene{req: req, preq: policy.Request{Action: req.Action, Resource: req.Resource, Context: req.Context}, callerSides: false}
		t := sc.trace(DecisionAllowed, "The account's root user may do anything in its own account", "", "")
		t.Accounts = append(t.Accounts, AccountTrace{AccountID: c.AccountID, Side: "caller and resource owner", Decision: DecisionAllowed, Note: "the account's root user: every permission in its own account"})
		return t
	}
	sub := describe(snap, c)
	preq := &policy.Request{Principal: sub.principal, Action: req.Action, Resource: req.Resource, Context: sub.context(req.Context)}
	sc := &scene{req: req, sub: sub, preq: *preq, callerSides: true}
	return sc.trace(DecisionAllowed, "An identity-based policy allows, the permissions boundary and session policies (if any) allow too, and nothing denies", "", "")
}

// ExplainAssumeRole decides an assumption of roleARN by caller as STS's
// AssumeRole does (the role's existence, its trust policy, and the
// caller's side where AWS requires it) and returns the trace, allowed or
// not. actions are sts:AssumeRole and, as the request needs them,
// sts:TagSession and sts:SetSourceIdentity.
func ExplainAssumeRole(snap *directory.Snapshot, caller *directory.Caller, roleARN string, actions []string, reqCtx *policy.Context) *Trace {
	role, ok := snap.RoleByARN(roleARN)
	if !ok {
		return RoleNotFound(caller, nil, roleARN, "sts:AssumeRole", reqCtx).Trace
	}
	err := AssumeRole(snap, caller, role, actions, reqCtx)
	if t := traceOf(err); t != nil {
		return t
	}
	sub := describe(snap, caller)
	roleAccount := accountOf(role.ARN)
	preq := &policy.Request{Principal: sub.principal, Action: actions[0], Resource: role.ARN, Context: sub.context(reqCtx)}
	sc := &scene{req: Request{Caller: caller, Action: actions[0], Resource: role.ARN, Context: reqCtx}, sub: sub, preq: *preq,
		owner: policySide{KindTrust, roleAccount, trustSet(snap, role, roleAccount)}, ownerAccount: roleAccount, callerSides: true}
	rule := "The role's trust policy allows the caller"
	if caller.AccountID != roleAccount {
		rule = fmt.Sprintf("Both accounts agree: the trust policy of the role in account %s allows the caller, and an identity-based policy of the caller in account %s allows %s", roleAccount, caller.AccountID, actions[0])
	}
	t := sc.trace(DecisionAllowed, rule, "", "")
	if caller.IsRoleSession() {
		t.Reason = "role chaining: the new session is limited to one hour (DurationSeconds ≤ 3600)"
	}
	t.Warnings = assumptionWarnings(sc.owner.set, preq, caller.AccountID, roleAccount)
	return t
}

// ExplainTrustOnly decides an assumption by a web-identity provider or a
// service principal, where the trust policy alone decides, and returns
// the trace.
func ExplainTrustOnly(snap *directory.Snapshot, who *policy.Principal, roleARN string, actions []string, ctx *policy.Context) *Trace {
	role, ok := snap.RoleByARN(roleARN)
	if !ok {
		return RoleNotFound(nil, who, roleARN, actions[0], ctx).Trace
	}
	if t := traceOf(trustOnly(snap, who, role, actions, ctx, "", false)); t != nil {
		return t
	}
	roleAccount := accountOf(role.ARN)
	sc := &scene{req: Request{Action: actions[0], Resource: role.ARN, Context: ctx}, who: who,
		preq:  policy.Request{Principal: who, Action: actions[0], Resource: role.ARN, Context: ctx},
		owner: policySide{KindTrust, roleAccount, trustSet(snap, role, roleAccount)}, ownerAccount: roleAccount}
	t := sc.trace(DecisionAllowed, "The role's trust policy allows the provider with this request's claims", "", "")
	t.Warnings = assumptionWarnings(sc.owner.set, &sc.preq, "", roleAccount)
	return t
}

// ExplainResource decides an action on a resource of any service with a
// resource-based policy (S3, KMS, SQS, …) as AuthorizeResource does and
// returns the trace, allowed or not: the refusal's trace, or one that
// shows the caller's side and the resource's policy side by side.
func ExplainResource(snap *directory.Snapshot, req ResourceRequest) *Trace {
	if t := traceOf(AuthorizeResource(snap, req)); t != nil {
		return t
	}
	c := req.Caller
	resourceAccount := req.owner()
	sub := describe(snap, c)
	rset, _ := resourceSet(req)
	// Every key the caller and the resource have, for the trace to show.
	ctx := sub.context(req.Context)
	ctx.Set("aws:ResourceAccount", resourceAccount)
	for _, tag := range req.ResourceTags {
		ctx.Set("aws:ResourceTag/"+tag.Key, tag.Value)
	}
	if c.RequestTime.IsZero() {
		ctx.SetTime(time.Now())
	}
	sc := &scene{req: Request{Caller: c, Action: req.Action, Resource: req.Resource, Context: req.Context}, sub: sub,
		preq:  policy.Request{Principal: sub.principal, Action: req.Action, Resource: req.Resource, Context: ctx},
		owner: policySide{KindResource, resourceAccount, rset}, ownerAccount: resourceAccount, callerSides: !c.IsRoot()}
	if rset == nil {
		sc.note = "the resource has no resource-based policy"
	}
	cross := c.AccountID != resourceAccount
	var res policy.Result
	rDecision := rset.Evaluate(&sc.preq, &res)
	var rule string
	switch {
	case c.IsRoot() && !cross:
		rule = "The account's root user may do anything to its own account's resources that no resource-based policy denies"
		if req.KeyPolicy {
			rule = "The key policy allows the key's own account's root user"
		}
	case c.IsRoot():
		rule = fmt.Sprintf("The resource-based policy of account %s allows account %s's root user, which has every permission of its own account", resourceAccount, c.AccountID)
	case cross:
		rule = fmt.Sprintf("Both accounts agree: the resource-based policy in account %s allows the caller, and an identity-based policy of the caller in account %s allows %s", resourceAccount, c.AccountID, req.Action)
	case rDecision == policy.Allowed && !sub.stale && (res.Principal == policy.MatchUser || res.Principal == policy.MatchSession || res.Principal == policy.MatchFederatedUser):
		rule = "The resource-based policy names the caller itself, which grants alone in the resource's own account"
	case rDecision == policy.Allowed && !sub.stale && (res.Principal == policy.MatchRole || res.Principal == policy.MatchAll):
		rule = "The resource-based policy allows the caller's role (or everyone), which grants in the resource's own account within the permissions boundary and session policies"
	default:
		rule = "An identity-based policy allows, the permissions boundary and session policies (if any) allow too, and nothing denies"
		if req.KeyPolicy {
			rule = "The key policy allows (delegating to the account's IAM policies where it names the account), and so do the caller's identity-based policies"
		}
	}
	t := sc.trace(DecisionAllowed, rule, "", "")
	if c.IsRoot() {
		const root = "the account's root user: every permission in its own account"
		if cross {
			t.Accounts = append([]AccountTrace{{AccountID: c.AccountID, Side: "caller", Decision: DecisionAllowed, Note: root}}, t.Accounts...)
		} else {
			a := &t.Accounts[0]
			a.Side, a.Note, a.Decision = "caller and resource owner", joinNotes(root, a.Note), DecisionAllowed
		}
	}
	return t
}

// traceOf is the trace a refusal carries; nil for nil or other errors.
func traceOf(err error) *Trace {
	var d *Denied
	if errors.As(err, &d) && d.Trace != nil {
		return d.Trace
	}
	return nil
}
