// Package authz decides whether a caller may make a request, with AWS's
// logic across policy types and accounts, and says why not: which account,
// which policy and which statement.
//
// A caller is an account's root user, an IAM user, or a role session.
// Its identity-based policies (a user's own and its groups', a role's),
// its permissions boundary and, for a session, its session policies limit
// what it may do. For sts:AssumeRole the role's trust policy must allow
// the caller too, and across accounts both sides must allow (spec §2).
// AuthorizeResource does the same for any other service's resource and
// its resource policy (bucket, queue, key policy, …), for the resource
// gateway. SCPs and RCPs come later.
package authz

import (
	"fmt"
	"strings"
	"sync"

	"github.com/assumed-dev/assumed/arn"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// Request is one action a caller wants to perform.
type Request struct {
	Caller   *directory.Caller
	Action   string // "iam:CreateRole"
	Resource string // the ARN acted on, or "*"
	// Context holds request-specific condition keys (aws:RequestTag/…,
	// aws:TagKeys, iam:PolicyARN, …); the caller's keys are added here.
	Context *policy.Context
}

// Denied is a refusal, with AWS's message and the explanation behind it.
type Denied struct {
	// Message is AWS's text with the plain-language reason where AWS
	// gives none (what --denial-detail full shows).
	Message string
	// AWSMessage is AWS's exact text (what --denial-detail aws shows);
	// empty means Message is AWS's text already.
	AWSMessage string
	// Explanation lists the statements that decided.
	Explanation []policy.StatementTrace
	// Trace is the whole decision, for logs, the encoded authorization
	// message and `assumed explain`.
	Trace *Trace
}

// AWSText is the refusal as AWS words it.
func (d *Denied) AWSText() string {
	if d.AWSMessage != "" {
		return d.AWSMessage
	}
	return d.Message
}

func (d *Denied) Error() string { return d.Message }

// Authorize decides a request on a resource in the caller's own account
// (IAM's API, which has no resource policies). It returns nil when allowed
// and a *Denied otherwise.
func Authorize(snap *directory.Snapshot, req Request) error { return authorize(snap, req, false) }

// Allowed decides a request as Authorize does, without explaining a
// refusal: the access graph decides many requests, most refused.
func Allowed(snap *directory.Snapshot, req Request) bool { return authorize(snap, req, true) == nil }

func authorize(snap *directory.Snapshot, req Request, quiet bool) error {
	c := req.Caller
	resourceAccount := c.AccountID
	if a, err := arn.Parse(req.Resource); err == nil && a.AccountID != "" && a.AccountID != "aws" {
		resourceAccount = a.AccountID
	}
	if resourceAccount != c.AccountID {
		if quiet {
			return errDenied
		}
		sc := &scene{req: req, ownerAccount: resourceAccount, preq: policy.Request{Action: req.Action, Resource: req.Resource, Context: req.Context},
			note: "account " + resourceAccount + "'s " + serviceOf(req.Action) + " resources have no resource-based policies: no principal of another account can act on them"}
		return sc.deny("because no resource-based policy allows the "+req.Action+" action", "",
			"Across accounts the resource's own account must allow through a resource-based policy, and "+serviceOf(req.Action)+" has none",
			"act on the resource with credentials of account "+resourceAccount+" (for example a role there that trusts you)", nil)
	}
	if c.IsRoot() {
		return nil
	}
	sub := describe(snap, c)
	var ctx *policy.Context
	if quiet {
		// Only the keys the caller's policies read: no copy when none.
		ctx = sub.contextFor(req.Context, sub.need)
	} else {
		ctx = sub.context(req.Context)
	}
	return sub.callerSide(&scene{req: req, sub: sub, preq: policy.Request{Principal: sub.principal, Action: req.Action, Resource: req.Resource, Context: ctx}, callerSides: true, quiet: quiet}, true, true)
}

// serviceOf is the service prefix of an action ("iam" of "iam:GetRole").
func serviceOf(action string) string {
	svc, _, _ := strings.Cut(action, ":")
	return svc
}

// AssumeRole decides sts:AssumeRole (and, when the request needs them,
// sts:TagSession and sts:SetSourceIdentity: actions lists them all) on a
// role: the role's trust policy must allow each action for the caller, and
// the caller's own policies must allow it where AWS requires (across
// accounts, or when the trust names only the caller's account).
func AssumeRole(snap *directory.Snapshot, caller *directory.Caller, role *directory.Role, actions []string, reqCtx *policy.Context) error {
	return assumeRole(snap, caller, role, actions, reqCtx, false)
}

// CanAssumeRole decides an assumption as AssumeRole does, without
// explaining a refusal.
func CanAssumeRole(snap *directory.Snapshot, caller *directory.Caller, role *directory.Role, actions []string, reqCtx *policy.Context) bool {
	return assumeRole(snap, caller, role, actions, reqCtx, true) == nil
}

func assumeRole(snap *directory.Snapshot, caller *directory.Caller, role *directory.Role, actions []string, reqCtx *policy.Context, quiet bool) error {
	roleAccount := accountOf(role.ARN)
	if caller.IsRoot() {
		if quiet {
			return errDenied
		}
		sc := &scene{req: Request{Caller: caller, Action: "sts:AssumeRole", Resource: role.ARN, Context: reqCtx}, ownerAccount: roleAccount,
			preq: policy.Request{Action: "sts:AssumeRole", Resource: role.ARN, Context: reqCtx}}
		return sc.deny("", "because roles may not be assumed by root accounts",
			"AWS refuses AssumeRole to an account's root user, whatever the trust policy says",
			"call AssumeRole as an IAM user or a role session of account "+caller.AccountID, nil)
	}
	sub := describe(snap, caller)
	compiled := compiledTrust(snap, role, roleAccount)
	trust := compiled.set
	var ctx *policy.Context
	if quiet {
		// Only the keys the caller's policies and the trust read: no copy
		// when none. A refusal's trace shows them all.
		ctx = sub.contextFor(reqCtx, sub.need|compiled.keys)
	} else {
		ctx = sub.context(reqCtx)
	}
	for _, action := range actions {
		req := Request{Caller: caller, Action: action, Resource: role.ARN, Context: reqCtx}
		preq := &policy.Request{Principal: sub.principal, Action: action, Resource: role.ARN, Context: ctx}
		sc := &scene{req: req, sub: sub, preq: *preq, owner: policySide{KindTrust, roleAccount, trust}, ownerAccount: roleAccount, callerSides: caller.AccountID != roleAccount, quiet: quiet}
		var res policy.Result
		decision := trust.Evaluate(preq, &res)
		self := selfAssumption(caller, role) && res.Principal != policy.MatchRole && res.Principal != policy.MatchSession
		if quiet && (decision != policy.Allowed || self) {
			return errDenied
		}
		switch decision {
		case policy.Denied:
			return sc.explicitDeny(KindTrust, trust.Explain(preq).Statements)
		case policy.NotApplicable:
			reason, fix := sc.trustMiss(role)
			return sc.deny("", fmt.Sprintf("because the trust policy of role %s in account %s does not allow the caller to perform %s: %s", role.ARN, roleAccount, action, reason),
				"A role can be assumed only when its trust policy allows the caller to perform "+action, fix, trust.Explain(preq).Statements, reason)
		}
		if self {
			return sc.deny("", fmt.Sprintf("because the trust policy of role %s does not name the role itself: a role assuming itself must be named explicitly (its ARN as a principal), and trusting its account (or everyone) does not cover it", role.ARN),
				"Since 2023 AWS lets a role assume itself only when its own trust policy names the role explicitly: an account or \"*\" principal no longer covers it",
				fmt.Sprintf("add a statement to the trust policy of %s allowing {\"AWS\": \"%s\"} to perform sts:AssumeRole, or have the session's caller assume the role directly", role.ARN, role.ARN), trust.Explain(preq).Statements)
		}
		needIdentity, needLimits := TrustRequires(res.Principal, caller.AccountID != roleAccount)
		sc.callerSides = true
		if err := sub.callerSide(sc, needIdentity, needLimits); err != nil {
			return err
		}
	}
	return nil
}

// selfAssumption reports whether a role session is assuming its own
// role (the same role, not one re-created under its name).
func selfAssumption(caller *directory.Caller, role *directory.Role) bool {
	return caller.IsRoleSession() && caller.Session.RoleID == role.ID && caller.Session.RoleARN() == role.ARN
}

// TrustRequires says what else must allow an assumption that a role's
// trust policy allowed, by who the trust names (spec §2, §3): match is how
// the trust's allowing statements named the caller, the most specific
// (policy.Result.Principal), and crossAccount says the caller is of
// another account than the role. needIdentity says an identity-based
// policy of the caller must allow the action too; needLimits says its
// permissions boundary and session policies, where it has them, must
// allow it. Explicit denies on the caller's side apply in every case.
//
//   - Across accounts both sides must allow: both are needed.
//   - Naming the IAM user, the role session or the federated user
//     session grants alone: neither is needed.
//   - Naming the role of the caller's session grants without an identity
//     Allow, within the boundary and session policies: needLimits only.
//   - Naming only the account (its root, or the bare account ID) or
//     everyone ("*") delegates to the account: both are needed.
//
// Any other match (none, or a kind of principal an IAM caller is never
// named as) needs both: the rule fails closed.
func TrustRequires(match policy.PrincipalMatch, crossAccount bool) (needIdentity, needLimits bool) {
	if crossAccount {
		return true, true
	}
	switch match {
	case policy.MatchUser, policy.MatchSession, policy.MatchFederatedUser:
		return false, false
	case policy.MatchRole:
		return false, true
	}
	return true, true
}

// trustSet is a role's effective trust policy as a policy set, compiled
// once per snapshot.
func trustSet(snap *directory.Snapshot, role *directory.Role, roleAccount string) *policy.Set {
	return compiledTrust(snap, role, roleAccount).set
}

// trustOf is a role's compiled trust: its set, and the caller's keys it
// reads.
type trustOf struct {
	set  *policy.Set
	keys keySet
}

func compiledTrust(snap *directory.Snapshot, role *directory.Role, roleAccount string) *trustOf {
	return snap.Derived("trust-set:"+role.ID, func() any {
		_, trustPolicy := snap.EffectiveTrust(role)
		set := policy.NewSet(policy.Entry{ID: "trust policy of role " + role.ARN + " (account " + roleAccount + ")", Policy: trustPolicy})
		return &trustOf{set: set, keys: keysOf(set)}
	}).(*trustOf)
}

// subject is what authorization needs to know about a caller.
type subject struct {
	caller                      *directory.Caller
	principal                   *policy.Principal // &p
	p                           policy.Principal
	identity                    *policy.Set
	boundary                    *policy.Set // nil without a boundary
	session                     *policy.Set // nil without session policies
	tags                        []directory.Tag
	userName                    string
	userID                      string
	principalARN, principalType string
	// stale says the caller is a session whose role or user has since
	// been deleted or re-created: it keeps no policies.
	stale bool
	// need is the caller's keys its identity, boundary and session
	// policies can read.
	need keySet
}

// emptySet is the policies of a caller that has none.
var emptySet = policy.NewSet()

// principalSets are a user's or role's identity policies and boundary,
// and the keys they read, compiled once per snapshot.
type principalSets struct {
	identity, boundary *policy.Set
	need               keySet
}

func newPrincipalSets(identity, boundary *policy.Set) principalSets {
	return principalSets{identity, boundary, keysOf(identity) | keysOf(boundary)}
}

// principalSetsOf returns the sets of a user or role (entity, a
// *directory.User or *directory.Role of snap), built once per snapshot.
// They are kept in a map of the snapshot keyed by the entity's pointer,
// which a request looks up without allocating.
func principalSetsOf(snap *directory.Snapshot, entity any, build func() principalSets) principalSets {
	m := snap.Derived("authz:principal-sets", func() any { return new(sync.Map) }).(*sync.Map)
	if v, ok := m.Load(entity); ok {
		return v.(principalSets)
	}
	v, _ := m.LoadOrStore(entity, build())
	return v.(principalSets)
}

// describe gathers the caller's policies. A role session whose role was
// deleted (or re-created, with a new ID) keeps no policies: everything it
// asks is implicitly denied.
func describe(snap *directory.Snapshot, c *directory.Caller) *subject {
	acct := snap.AccountIAM(c.AccountID)
	sub := &subject{caller: c, identity: emptySet}
	sub.principal = &sub.p
	switch {
	case c.IsRoleSession():
		s := c.Session
		r, ok := acct.Roles[directory.Key(s.RoleName)]
		roleARN := ""
		if ok && r.ID == s.RoleID {
			roleARN = r.ARN
			sets := principalSetsOf(snap, r, func() principalSets {
				return newPrincipalSets(policy.NewSet(entries(snap, c.AccountID, "role "+r.Name, &r.Principal)...), boundarySet(snap, c.AccountID, r.Boundary))
			})
			sub.identity, sub.boundary, sub.need = sets.identity, sets.boundary, sets.need
			sub.tags = r.Tags
		} else {
			roleARN, sub.stale = s.RoleARN(), true
		}
		sub.p = policy.Principal{Type: arn.PrincipalAssumedRole, AccountID: c.AccountID, ARN: c.ARN, RoleARN: roleARN, UniqueID: s.RoleID}
		// aws:userid (ROLEID:SESSION) is built when a policy reads it.
		sub.principalARN, sub.principalType = roleARN, "AssumedRole"
		var need keySet
		sub.session, need = sessionSet(snap, s)
		sub.need |= need
		if len(s.Tags) > 0 {
			sub.tags = mergeTags(sub.tags, s.Tags)
		}
	case c.IsRoot():
		sub.p = policy.Principal{Type: arn.PrincipalAccount, AccountID: c.AccountID, ARN: c.ARN}
		sub.principalARN, sub.principalType, sub.userID = c.ARN, "Account", c.AccountID
	default:
		u, ok := acct.Users[directory.Key(c.UserName)]
		if ok && c.Session != nil && c.Session.UserID != u.ID {
			// A GetSessionToken session of a user since deleted and
			// re-created under its name keeps no policies, as a role
			// session of a re-created role does.
			ok = false
		}
		sub.stale = !ok
		sub.p = policy.Principal{Type: arn.PrincipalUser, AccountID: c.AccountID, ARN: c.ARN}
		sub.principalARN, sub.principalType, sub.userName = c.ARN, "User", c.UserName
		if ok {
			sub.p.UniqueID, sub.userID = u.ID, u.ID
			sets := principalSetsOf(snap, u, func() principalSets {
				var es []policy.Entry
				es = append(es, entries(snap, c.AccountID, "user "+u.Name, &u.Principal)...)
				for _, g := range acct.GroupsOf(u.Name) {
					es = append(es, entries(snap, c.AccountID, "group "+g.Name, &g.Principal)...)
				}
				return newPrincipalSets(policy.NewSet(es...), boundarySet(snap, c.AccountID, u.Boundary))
			})
			sub.identity, sub.boundary, sub.need = sets.identity, sets.boundary, sets.need
			sub.tags = u.Tags
		}
	}
	return sub
}

// entries are the inline and attached policies of an entity of account.
// An attached policy of another account (which IAM refuses to attach)
// grants nothing.
func entries(snap *directory.Snapshot, account, owner string, p *directory.Principal) []policy.Entry {
	var out []policy.Entry
	for _, ip := range p.Inline {
		out = append(out, policy.Entry{ID: fmt.Sprintf("inline policy %s of %s", ip.Name, owner), Policy: ip.Compiled})
	}
	for _, a := range p.Attached {
		if mp, ok := snap.PolicyFor(account, a); ok && mp.Default() != nil {
			out = append(out, policy.Entry{ID: a, Policy: mp.Default().Compiled})
		}
	}
	return out
}

// boundarySet compiles the permissions boundary of an entity of account;
// nil without one. A boundary that does not resolve, or names another
// account's policy (which IAM refuses to set), is an empty set: it allows
// nothing, so the entity is denied everything its boundary limits.
func boundarySet(snap *directory.Snapshot, account, boundary string) *policy.Set {
	if boundary == "" {
		return nil
	}
	var es []policy.Entry
	if bp, ok := snap.PolicyFor(account, boundary); ok && bp.Default() != nil {
		es = append(es, policy.Entry{ID: boundary + " (permissions boundary)", Policy: bp.Default().Compiled})
	}
	return policy.NewSet(es...)
}

// sessionSet compiles a session's policies, and says which keys they
// read; nil when it has none. A policy that no longer parses or
// resolves, or a managed policy outside the role's account (which STS
// refuses to pass), leaves the set without it, which only narrows the
// session further.
func sessionSet(snap *directory.Snapshot, s *directory.Session) (*policy.Set, keySet) {
	if s.Policy == "" && len(s.PolicyARNs) == 0 {
		return nil, 0
	}
	if len(s.PolicyARNs) == 0 {
		ps := inlineSessionSet(s.Policy)
		return ps.identity, ps.need
	}
	var es []policy.Entry
	if s.Policy != "" {
		if ps := inlineSessionSet(s.Policy); ps.identity.Len() > 0 {
			es = append(es, ps.identity.Entries()...)
		}
	}
	for _, a := range s.PolicyARNs {
		if mp, ok := snap.PolicyFor(s.AccountID, a); ok && mp.Default() != nil {
			es = append(es, policy.Entry{ID: a + " (session policy)", Policy: mp.Default().Compiled})
		}
	}
	set := policy.NewSet(es...)
	return set, keysOf(set)
}

// sessionSets caches the sets of inline session policies by document
// (in the identity field of principalSets): every request signed with a
// session's credentials needs its policy, and a session's requests
// repeat it. The cache is bounded; when full, it is emptied.
var sessionSets = struct {
	sync.Mutex
	m map[string]principalSets
}{m: map[string]principalSets{}}

const maxCachedSessionPolicies = 4096

// inlineSessionSet compiles an inline session policy into a set (cached).
// A document that no longer parses is an empty set.
func inlineSessionSet(doc string) principalSets {
	sessionSets.Lock()
	ps, ok := sessionSets.m[doc]
	sessionSets.Unlock()
	if ok {
		return ps
	}
	var es []policy.Entry
	if p, err := policy.ParseWithOptions(doc, policy.Session, policy.Options{MaxSize: -1}); err == nil {
		es = append(es, policy.Entry{ID: "session policy", Policy: p})
	}
	ps = newPrincipalSets(policy.NewSet(es...), nil)
	sessionSets.Lock()
	if len(sessionSets.m) >= maxCachedSessionPolicies {
		clear(sessionSets.m)
	}
	sessionSets.m[doc] = ps
	sessionSets.Unlock()
	return ps
}

// mergeTags overrides base tags with session tags, keys compared
// case-insensitively.
func mergeTags(base, over []directory.Tag) []directory.Tag {
	out := append([]directory.Tag(nil), base...)
	for _, t := range over {
		replaced := false
		for i := range out {
			if strings.EqualFold(out[i].Key, t.Key) {
				out[i], replaced = t, true
			}
		}
		if !replaced {
			out = append(out, t)
		}
	}
	return out
}

// context returns the request's condition keys with all of the caller's,
// in a copy of reqCtx.
func (sub *subject) context(reqCtx *policy.Context) *policy.Context {
	return sub.contextFor(reqCtx, keyAll)
}

// contextFor returns the request's condition keys with the caller's keys
// in need. It returns reqCtx itself (which may be nil) when need is empty,
// and otherwise a copy that the caller may add keys to.
func (sub *subject) contextFor(reqCtx *policy.Context, need keySet) *policy.Context {
	if need == 0 {
		return reqCtx
	}
	ctx := reqCtx
	if ctx == nil {
		ctx = policy.NewContext()
	} else {
		ctx = ctx.Clone()
	}
	// Keys are case-insensitive; those named here are set in lower case,
	// which the context stores without converting them.
	c := sub.caller
	if need&kUsername != 0 && sub.userName != "" {
		ctx.Set("aws:username", sub.userName)
	}
	if need&kUserID != 0 {
		userID := sub.userID
		if c.IsRoleSession() {
			userID = c.Session.RoleID + ":" + c.Session.SessionName
		}
		if userID != "" {
			ctx.Set("aws:userid", userID)
		}
	}
	if need&kPrincipalARN != 0 {
		ctx.Set("aws:principalarn", sub.principalARN)
	}
	if need&kPrincipalAccount != 0 {
		ctx.Set("aws:principalaccount", c.AccountID)
	}
	if need&kPrincipalType != 0 {
		ctx.Set("aws:principaltype", sub.principalType)
	}
	if need&kSecureTransport != 0 {
		ctx.SetBool("aws:securetransport", c.SecureTransport)
	}
	if need&kViaAWSService != 0 {
		ctx.SetBool("aws:viaawsservice", false)
	}
	if need&kPrincipalIsAWSService != 0 {
		ctx.SetBool("aws:principalisawsservice", false)
	}
	if need&kRequestedRegion != 0 {
		if _, ok := ctx.Lookup("aws:requestedregion"); !ok {
			ctx.Set("aws:requestedregion", c.RegionOrDefault())
		}
	}
	if need&kTime != 0 && !c.RequestTime.IsZero() {
		ctx.SetTime(c.RequestTime)
	}
	if need&kSourceIP != 0 && c.SourceIP.IsValid() {
		ctx.SetIP("aws:sourceip", c.SourceIP)
	}
	if need&kPrincipalTag != 0 {
		for _, t := range sub.tags {
			ctx.Set("aws:PrincipalTag/"+t.Key, t.Value)
		}
	}
	if s := c.Session; s != nil {
		if need&kTokenIssueTime != 0 {
			ctx.SetDate("aws:tokenissuetime", s.IssuedAt.UTC().Format("2006-01-02T15:04:05Z"), s.IssuedAt)
		}
		if need&kMFA != 0 {
			ctx.SetBool("aws:multifactorauthpresent", false)
		}
		if need&kSourceIdentity != 0 && s.SourceIdentity != "" {
			ctx.Set("aws:sourceidentity", s.SourceIdentity)
		}
		if need&kFederatedProvider != 0 && s.FederatedProvider != "" {
			ctx.Set("aws:federatedprovider", s.FederatedProvider)
		}
	}
	return ctx
}

// callerSide evaluates the caller's own policies: explicit denies always;
// with needIdentity an identity Allow is required; with needLimits the
// boundary and session policies must allow too.
func (sub *subject) callerSide(sc *scene, needIdentity, needLimits bool) error {
	preq, action := &sc.preq, sc.req.Action
	var res policy.Result
	idDecision := sub.identity.Evaluate(preq, &res)
	var bDecision, sDecision policy.Decision
	if sub.boundary != nil {
		bDecision = sub.boundary.Evaluate(preq, &res)
	}
	if sub.session != nil {
		sDecision = sub.session.Evaluate(preq, &res)
	}
	if sc.quiet {
		denied := idDecision == policy.Denied || bDecision == policy.Denied || sDecision == policy.Denied ||
			needIdentity && idDecision != policy.Allowed ||
			needLimits && sub.boundary != nil && bDecision != policy.Allowed ||
			needLimits && sub.session != nil && sDecision != policy.Allowed
		if denied {
			return errDenied
		}
		return nil
	}
	if idDecision == policy.Denied {
		return sc.explicitDeny(KindIdentity, sub.identity.Explain(preq).Statements)
	}
	if bDecision == policy.Denied {
		return sc.explicitDeny(KindBoundary, sub.boundary.Explain(preq).Statements)
	}
	if sDecision == policy.Denied {
		return sc.explicitDeny(KindSession, sub.session.Explain(preq).Statements)
	}
	who := sc.req.Caller.ARN
	if needIdentity && idDecision != policy.Allowed {
		rule := "A request is allowed only when an identity-based policy of the caller allows it (and nothing denies it)"
		if sc.owner.kind != "" && sc.ownerAccount != sc.req.Caller.AccountID {
			rule = fmt.Sprintf("Across accounts both sides must agree: the %s of account %s allows, but account %s must allow %s too, in an identity-based policy of the caller", sc.owner.kind, sc.ownerAccount, sc.req.Caller.AccountID, action)
		} else if sc.owner.kind == KindTrust {
			rule = "The trust policy names only the account (or everyone), which delegates to the account's identity-based policies: one of them must allow " + action
		}
		fix := fmt.Sprintf("in account %s, allow %s on %s in an identity-based policy of %s", sc.req.Caller.AccountID, action, sc.req.Resource, who)
		return sc.deny("because no identity-based policy allows the "+action+" action", "", rule, fix, sub.identity.Explain(preq).Statements)
	}
	if needLimits && sub.boundary != nil && bDecision != policy.Allowed {
		return sc.deny("because no permissions boundary allows the "+action+" action", "",
			"A permissions boundary caps what identity-based policies grant: it must allow "+action+" too",
			fmt.Sprintf("allow %s on %s in the permissions boundary of %s, or remove the boundary", action, sc.req.Resource, who), sub.boundary.Explain(preq).Statements)
	}
	if needLimits && sub.session != nil && sDecision != policy.Allowed {
		return sc.deny("because no session policy allows the "+action+" action", "",
			"Session policies passed when a session began cap what it may do: they must allow "+action+" too",
			"start a new session whose session policies (Policy, PolicyArns) allow "+action+" on "+sc.req.Resource, sub.session.Explain(preq).Statements)
	}
	return nil
}

func accountOf(a string) string {
	if p, err := arn.Parse(a); err == nil {
		return p.AccountID
	}
	return ""
}

// appliedDenies are the Deny statements that applied.
func appliedDenies(trace []policy.StatementTrace) []policy.StatementTrace {
	var applied []policy.StatementTrace
	for _, t := range trace {
		if t.Outcome == policy.Applied && t.Effect == policy.Deny {
			applied = append(applied, t)
		}
	}
	return applied
}

// statementName names a statement as denial messages do: by its Sid, or
// by its number when it has none.
func statementName(t policy.StatementTrace) string {
	return " (" + statementLabel(t) + ")"
}

// statementLabel is `statement "SID"`, or `statement N` without a Sid.
func statementLabel(t policy.StatementTrace) string {
	if t.Sid != "" {
		return fmt.Sprintf("statement %q", t.Sid)
	}
	return fmt.Sprintf("statement %d", t.Statement)
}

// resourceText is the resource as AWS's denial messages name it, which
// depends on the action (as seen in AWS's own messages):
//
//   - iam:CreateRole, iam:CreateUser, iam:CreateGroup: the new entity's ARN;
//   - other IAM actions on a role, user or group: "role NAME", "user NAME", …;
//   - iam:CreatePolicy: "policy NAME"; other policy actions: "policy ARN";
//   - S3 actions: the ARN in double quotes ("arn:aws:s3:::bucket/key");
//   - anything else (sts:AssumeRole and iam:PassRole included): the ARN.
func resourceText(action, resource string) string {
	if len(action) > 3 && strings.EqualFold(action[:3], "s3:") {
		return `"` + resource + `"`
	}
	a, err := arn.Parse(resource)
	// iam:PassRole is checked by the service the role is passed to, and
	// its denials name the role's ARN.
	if err != nil || a.Service != "iam" || !strings.HasPrefix(action, "iam:") || action == "iam:PassRole" {
		return resource
	}
	typ := a.ResourceType()
	name := a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]
	if name == "" {
		return resource
	}
	switch typ {
	case "policy":
		if action == "iam:CreatePolicy" {
			return "policy " + name
		}
		return "policy " + resource
	case "role", "user", "group":
		if strings.HasPrefix(action, "iam:Create") {
			return resource
		}
		return typ + " " + name
	}
	return resource
}

// AssumeRoleWithWebIdentity decides sts:AssumeRoleWithWebIdentity (and
// sts:TagSession when the token carries session tags) for a web-identity
// caller: the identity provider, with the token's claims in ctx. Only the
// role's trust policy decides; there is no caller account whose policies
// could take part. On refusal the message is AWS's ("Not authorized to
// perform sts:AssumeRoleWithWebIdentity") followed by which statement
// decided, or that none allowed.
func AssumeRoleWithWebIdentity(snap *directory.Snapshot, provider *policy.Principal, role *directory.Role, actions []string, ctx *policy.Context) error {
	return trustOnly(snap, provider, role, actions, ctx, " with this token's claims", false)
}

// TrustAllows decides an assumption by a principal the trust policy
// alone decides (a web-identity provider, a service, an account outside
// the directory) as AssumeRoleWithWebIdentity and AssumeRoleAsService do,
// without explaining a refusal.
func TrustAllows(snap *directory.Snapshot, who *policy.Principal, role *directory.Role, actions []string, ctx *policy.Context) bool {
	return trustOnly(snap, who, role, actions, ctx, "", true) == nil
}

// AssumeRoleAsService decides sts:AssumeRole (and sts:TagSession) for an
// AWS service principal (pods.eks.amazonaws.com) assuming a role on a
// workload's behalf: the role's trust policy alone decides.
func AssumeRoleAsService(snap *directory.Snapshot, service *policy.Principal, role *directory.Role, actions []string, ctx *policy.Context) error {
	return trustOnly(snap, service, role, actions, ctx, "", false)
}

// trustOnly evaluates each action against the role's trust policy alone.
func trustOnly(snap *directory.Snapshot, provider *policy.Principal, role *directory.Role, actions []string, ctx *policy.Context, qualifier string, quiet bool) error {
	roleAccount := accountOf(role.ARN)
	trust := trustSet(snap, role, roleAccount)
	for _, action := range actions {
		preq := &policy.Request{Principal: provider, Action: action, Resource: role.ARN, Context: ctx}
		var res policy.Result
		decision := trust.Evaluate(preq, &res)
		if decision == policy.Allowed {
			continue
		}
		if quiet {
			return errDenied
		}
		sc := &scene{req: Request{Action: action, Resource: role.ARN, Context: ctx}, who: provider, preq: *preq,
			owner: policySide{KindTrust, roleAccount, trust}, ownerAccount: roleAccount}
		trace := trust.Explain(preq).Statements
		awsText := "Not authorized to perform " + action
		if decision == policy.Denied {
			why := "an explicit deny in the trust policy of role " + role.ARN
			if applied := appliedDenies(trace); len(applied) > 0 {
				why += statementName(applied[0])
			}
			d := sc.explicitDeny(KindTrust, trace)
			d.Message, d.AWSMessage = awsText+": "+why, awsText
			return d
		}
		why := ""
		for _, t := range trace {
			// The statement that named the provider is the one whose
			// conditions (or action) did not hold: say which.
			if t.Effect == policy.Allow && t.Reason != "" && t.Outcome != policy.PrincipalNotMatch {
				why = fmt.Sprintf(" (statement %d: %s)", t.Statement, t.Reason)
				break
			}
		}
		reason, fix := sc.trustMiss(role)
		d := sc.deny("", "", "A role can be assumed only when its trust policy allows the caller to perform "+action, fix, trace, reason)
		d.Message = fmt.Sprintf("%s: the trust policy of role %s in account %s does not allow %s%s%s", awsText, role.ARN, roleAccount, provider.ARN, qualifier, why)
		d.AWSMessage = awsText
		return d
	}
	return nil
}
