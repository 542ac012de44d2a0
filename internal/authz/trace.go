package authz

import (
	"fmt"
	"slices"
	"strings"

	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// Decisions as traces (and AWS's decoded authorization messages) name
// them.
const (
	DecisionAllowed      = "allowed"
	DecisionImplicitDeny = "implicitDeny"
	DecisionExplicitDeny = "explicitDeny"
)

// Policy kinds in a trace.
const (
	KindIdentity = "identity-based policy"
	KindBoundary = "permissions boundary"
	KindSession  = "session policy"
	KindTrust    = "trust policy"
	KindResource = "resource-based policy"
)

// Trace is the whole story of one decision: who asked for what, every
// account evaluated with every policy consulted there, statement by
// statement and condition by condition, the rule that decided and what
// to change. It is built only on refusal and for explain requests.
type Trace struct {
	Decision  string         `json:"decision"`
	Principal TracePrincipal `json:"principal"`
	Action    string         `json:"action"`
	Resource  string         `json:"resource"`
	// ResourceAccount is the account that owns the resource.
	ResourceAccount string `json:"resourceAccount,omitempty"`
	// Context is the request's condition keys and their values.
	Context  []ContextEntry `json:"context,omitempty"`
	Accounts []AccountTrace `json:"accounts"`
	// Deciding names the policy, statement and condition that decided.
	Deciding *Deciding `json:"deciding,omitempty"`
	// Rule is AWS's rule that decided, in words.
	Rule string `json:"rule"`
	// Reason is what failed, in plain language.
	Reason string `json:"reason,omitempty"`
	// Fix says what to change for the request to be allowed.
	Fix string `json:"fix,omitempty"`
	// Warnings name what an allowed assumption lets through beyond what
	// was probably meant: a web-identity trust without a condition on the
	// token's subject or audience, a trust of another whole account (or
	// of everyone) without sts:ExternalId. Empty for refusals.
	Warnings []string `json:"warnings,omitempty"`
}

// TracePrincipal is who made the request.
type TracePrincipal struct {
	ARN       string `json:"arn"`
	AccountID string `json:"accountId,omitempty"`
	Type      string `json:"type"` // User, AssumedRole, Account, WebIdentity, Service
	ID        string `json:"id,omitempty"`
}

// ContextEntry is one condition key of the request.
type ContextEntry struct {
	Key    string   `json:"key"`
	Values []string `json:"values"`
}

// AccountTrace is one account's side of a decision.
type AccountTrace struct {
	AccountID string `json:"accountId"`
	// Side is "caller", "resource owner" or "caller and resource owner".
	Side     string        `json:"side"`
	Decision string        `json:"decision"`
	Policies []PolicyTrace `json:"policies"`
	// Note says what else this account's side found ("role R does not
	// exist in account A", "the caller has no identity-based policies").
	Note string `json:"note,omitempty"`
}

// PolicyTrace is one policy consulted.
type PolicyTrace struct {
	Kind       string           `json:"kind"`
	Name       string           `json:"name"`
	AccountID  string           `json:"accountId,omitempty"`
	Decision   string           `json:"decision"`
	Statements []StatementTrace `json:"statements"`
}

// StatementTrace is one statement of a policy, evaluated.
type StatementTrace struct {
	Number  int    `json:"number"` // 1-based
	Sid     string `json:"sid,omitempty"`
	Effect  string `json:"effect"`
	Outcome string `json:"outcome"`
	Reason  string `json:"reason"`
	// Deciding marks the statement that decided.
	Deciding   bool             `json:"deciding,omitempty"`
	Conditions []ConditionTrace `json:"conditions,omitempty"`
}

// ConditionTrace is one condition, with the policy's values and the
// request's side by side.
type ConditionTrace struct {
	Operator      string   `json:"operator"`
	Key           string   `json:"key"`
	PolicyValues  []string `json:"policyValues"`
	RequestValues []string `json:"requestValues"`
	Present       bool     `json:"present"`
	Result        string   `json:"result"` // true, false, unresolved
}

// Deciding names what decided.
type Deciding struct {
	AccountID string `json:"accountId,omitempty"`
	Kind      string `json:"kind,omitempty"`
	Policy    string `json:"policy,omitempty"`
	Statement string `json:"statement,omitempty"` // `statement "Sid"` or `statement N`
	Condition string `json:"condition,omitempty"` // "StringEquals sts:ExternalId"
}

// String names what decided in one line, for logs.
func (d *Deciding) String() string {
	if d == nil {
		return ""
	}
	parts := []string{}
	for _, p := range []string{d.Policy, d.Statement, d.Condition} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ", ")
}

// InvolvedAccounts are the accounts a decision involved: the caller's,
// the resource owner's and every account evaluated, each once, in that
// order. Only their principals may read the decision's trace.
func (t *Trace) InvolvedAccounts() []string {
	var out []string
	add := func(a string) {
		if a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	add(t.Principal.AccountID)
	add(t.ResourceAccount)
	for _, a := range t.Accounts {
		add(a.AccountID)
	}
	return out
}

// Trimmed is a copy of t without the statements that could not have
// applied because their action did not match (most of a large managed
// policy), or, with decidingOnly, without every statement but the ones
// that decided. Policies keep their decisions.
func (t *Trace) Trimmed(decidingOnly bool) *Trace {
	c := *t
	c.Accounts = slices.Clone(t.Accounts)
	for ai := range c.Accounts {
		c.Accounts[ai].Policies = slices.Clone(c.Accounts[ai].Policies)
		for pi := range c.Accounts[ai].Policies {
			p := &c.Accounts[ai].Policies[pi]
			p.Statements = slices.DeleteFunc(slices.Clone(p.Statements), func(st StatementTrace) bool {
				if decidingOnly {
					return !st.Deciding
				}
				return st.Outcome == policy.ActionNotMatched.String()
			})
		}
	}
	return &c
}

// policySide is one kind of policy set on one account's side.
type policySide struct {
	kind    string
	account string
	set     *policy.Set
}

// policyTraces explains a set statement by statement, grouped by policy.
func policyTraces(ps policySide, preq *policy.Request) []PolicyTrace {
	if ps.set == nil {
		return nil
	}
	ex := ps.set.Explain(preq)
	var out []PolicyTrace
	for _, st := range ex.Statements {
		if len(out) == 0 || out[len(out)-1].Name != st.PolicyID {
			out = append(out, PolicyTrace{Kind: ps.kind, Name: st.PolicyID, AccountID: ps.account, Decision: DecisionImplicitDeny})
		}
		pt := &out[len(out)-1]
		t := StatementTrace{Number: st.Statement, Sid: st.Sid, Effect: st.Effect.String(), Outcome: st.Outcome.String(), Reason: st.Reason}
		for _, c := range st.Conditions {
			t.Conditions = append(t.Conditions, ConditionTrace{Operator: c.Operator, Key: c.Key, PolicyValues: c.PolicyValues, RequestValues: c.RequestValues, Present: c.Present, Result: c.Result})
		}
		if st.Outcome == policy.Applied {
			if st.Effect == policy.Deny {
				pt.Decision = DecisionExplicitDeny
			} else if pt.Decision != DecisionExplicitDeny {
				pt.Decision = DecisionAllowed
			}
		}
		pt.Statements = append(pt.Statements, t)
	}
	return out
}

// scene is one decision being made: the caller's side and, when a
// trust or resource policy takes part, the owner's. It builds the trace
// when asked, on refusal or for explain.
type scene struct {
	req  Request
	sub  *subject // nil for web-identity and service callers
	who  *policy.Principal
	preq policy.Request
	// owner is the trust or resource policy, of ownerAccount.
	owner        policySide
	ownerAccount string
	// callerSides says whether the caller's policies took part.
	callerSides bool
	note        string
	// quiet decides without explaining: a refusal is errDenied.
	quiet bool
}

// trace builds the decision's trace.
func (sc *scene) trace(decision, rule, reason, fix string) *Trace {
	t := &Trace{Decision: decision, Action: sc.req.Action, Resource: sc.req.Resource, ResourceAccount: sc.ownerAccount, Rule: rule, Reason: reason, Fix: fix}
	if c := sc.req.Caller; c != nil {
		t.Principal = TracePrincipal{ARN: c.ARN, AccountID: c.AccountID, Type: principalType(c)}
		if sc.sub != nil {
			t.Principal.ID = sc.sub.p.UniqueID
			if sc.sub.userID != "" {
				t.Principal.ID = sc.sub.userID
			}
		}
	} else if sc.who != nil {
		t.Principal = TracePrincipal{ARN: sc.who.ARN, AccountID: sc.who.AccountID, Type: whoType(sc.who)}
	}
	// A copy of the request: the trace's building must not make the
	// caller's request escape, which would cost the allow path an
	// allocation.
	c := sc.preq
	preq := &c
	if preq.Context != nil {
		for _, k := range preq.Context.Keys() {
			v, _ := preq.Context.Lookup(k)
			t.Context = append(t.Context, ContextEntry{Key: displayKey(k), Values: slices.Clone(v)})
		}
		slices.SortFunc(t.Context, func(a, b ContextEntry) int { return compareFold(a.Key, b.Key) })
	}
	var callerAcct *AccountTrace
	if sc.sub != nil && sc.callerSides {
		a := AccountTrace{AccountID: sc.req.Caller.AccountID, Side: "caller", Decision: DecisionImplicitDeny}
		if sc.req.Caller.IsRoot() {
			a.Note = "the account's root user: every permission in its own account"
			a.Decision = DecisionAllowed
		} else {
			sides := []policySide{{KindIdentity, a.AccountID, sc.sub.identity}}
			if sc.sub.boundary != nil {
				sides = append(sides, policySide{KindBoundary, a.AccountID, sc.sub.boundary})
			}
			if sc.sub.session != nil {
				sides = append(sides, policySide{KindSession, a.AccountID, sc.sub.session})
			}
			for _, s := range sides {
				a.Policies = append(a.Policies, policyTraces(s, preq)...)
			}
			if sc.sub.identity.Len() == 0 {
				a.Note = "the caller has no identity-based policies"
				if sc.sub.stale {
					a.Note = "the caller's role or user no longer exists (deleted or re-created since the session began): it keeps no policies"
				}
			}
			a.Decision = sideDecision(a.Policies)
		}
		t.Accounts = append(t.Accounts, a)
		callerAcct = &t.Accounts[len(t.Accounts)-1]
	}
	if sc.owner.kind != "" || sc.note != "" {
		pts := policyTraces(sc.owner, preq)
		if callerAcct != nil && sc.ownerAccount == callerAcct.AccountID {
			callerAcct.Side = "caller and resource owner"
			callerAcct.Policies = append(callerAcct.Policies, pts...)
			if sc.note != "" {
				callerAcct.Note = joinNotes(callerAcct.Note, sc.note)
			}
		} else {
			a := AccountTrace{AccountID: sc.ownerAccount, Side: "resource owner", Policies: pts, Note: sc.note}
			a.Decision = sideDecision(pts)
			if sc.owner.kind == "" {
				a.Decision = DecisionImplicitDeny
			}
			t.Accounts = append(t.Accounts, a)
		}
	}
	if decision != DecisionAllowed {
		t.Deciding = sc.markDeciding(t, decision)
	}
	return t
}

// joinNotes joins two notes, either of which may be empty.
func joinNotes(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + "; " + b
}

// sideDecision is the decision of one side's policies alone: an explicit
// deny anywhere, otherwise allowed when an identity or owner policy
// allows and no boundary or session policy present fails to.
func sideDecision(pts []PolicyTrace) string {
	allowed := false
	limits := map[string]bool{}
	for _, p := range pts {
		switch {
		case p.Decision == DecisionExplicitDeny:
			return DecisionExplicitDeny
		case p.Kind == KindBoundary || p.Kind == KindSession:
			limits[p.Kind] = limits[p.Kind] || p.Decision == DecisionAllowed
		case p.Decision == DecisionAllowed:
			allowed = true
		}
	}
	for _, ok := range limits {
		if !ok {
			return DecisionImplicitDeny
		}
	}
	if allowed {
		return DecisionAllowed
	}
	return DecisionImplicitDeny
}

// markDeciding marks the statement that decided a refusal and names it:
// the first Deny that applied, or, for an implicit deny, the Allow that
// came closest (its action, resource and principal matched; a condition
// or policy variable did not hold). Without such an Allow, a trust miss
// on an action that accompanies an assumption (sts:TagSession,
// sts:SetSourceIdentity) marks the trust statement that allows the
// assumption itself, which lacks the action.
func (sc *scene) markDeciding(t *Trace, decision string) *Deciding {
	d := markFirst(t, func(_ *PolicyTrace, s *StatementTrace) bool {
		if decision == DecisionExplicitDeny {
			return s.Effect == "Deny" && s.Outcome == policy.Applied.String()
		}
		return s.Effect == "Allow" && (s.Outcome == policy.ConditionFalse.String() || s.Outcome == policy.VariableUnresolved.String())
	})
	if d == nil && decision == DecisionImplicitDeny {
		d = sc.markPrimaryAllow(t)
	}
	return d
}

// markFirst marks the first statement of t that hit picks as deciding,
// and names it with its first condition that did not hold; nil when hit
// picks none.
func markFirst(t *Trace, hit func(*PolicyTrace, *StatementTrace) bool) *Deciding {
	for ai := range t.Accounts {
		for pi := range t.Accounts[ai].Policies {
			p := &t.Accounts[ai].Policies[pi]
			for si := range p.Statements {
				s := &p.Statements[si]
				if !hit(p, s) {
					continue
				}
				s.Deciding = true
				d := &Deciding{AccountID: t.Accounts[ai].AccountID, Kind: p.Kind, Policy: p.Name, Statement: stmtLabel(s.Sid, s.Number)}
				for _, c := range s.Conditions {
					if c.Result != "true" {
						d.Condition = c.Operator + " " + c.Key
						break
					}
				}
				return d
			}
		}
	}
	return nil
}

// markPrimaryAllow marks, in the trace of a trust miss on sts:TagSession
// or sts:SetSourceIdentity, the trust statement that allows the
// assumption the action accompanies (for the action itself its outcome
// is "action not matched"); nil for other refusals, or when the trust
// does not allow the assumption either.
func (sc *scene) markPrimaryAllow(t *Trace) *Deciding {
	primary := primaryAction(sc.req.Action, sc.who)
	if sc.owner.kind != KindTrust || sc.owner.set == nil || primary == sc.req.Action {
		return nil
	}
	p := sc.preq
	p.Action = primary
	for _, st := range sc.owner.set.Explain(&p).Statements {
		if st.Effect != policy.Allow || st.Outcome != policy.Applied {
			continue
		}
		return markFirst(t, func(pt *PolicyTrace, s *StatementTrace) bool {
			return pt.Kind == KindTrust && pt.Name == st.PolicyID && s.Number == st.Statement && s.Outcome == policy.ActionNotMatched.String()
		})
	}
	return nil
}

// displayNames are the condition keys authorization sets in lower case
// (subject.contextFor, AuthorizeResource: the context compares keys
// case-insensitively, and a lower-case name needs no conversion), by
// their lower-case names, spelt as AWS documents them.
var displayNames = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{
		"aws:username", "aws:userid", "aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalType",
		"aws:SecureTransport", "aws:ViaAWSService", "aws:PrincipalIsAWSService", "aws:RequestedRegion",
		"aws:CurrentTime", "aws:EpochTime", "aws:SourceIp", "aws:TokenIssueTime", "aws:MultiFactorAuthPresent",
		"aws:SourceIdentity", "aws:FederatedProvider", "aws:ResourceAccount",
	} {
		m[strings.ToLower(k)] = k
	}
	return m
}()

// displayKey is a context key as a trace shows it: a global key that
// authorization sets in lower case in AWS's spelling (aws:PrincipalArn,
// not aws:principalarn), any other key as it was set. Only a trace pays
// for the lookup: the allow path builds none.
func displayKey(k string) string {
	if d, ok := displayNames[k]; ok {
		return d
	}
	return k
}

// compareFold compares two keys as their lower-case forms compare,
// without building them (ASCII letters folded; condition keys are
// ASCII).
func compareFold(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := a[i], b[i]
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return int(ca) - int(cb)
		}
	}
	return len(a) - len(b)
}

func stmtLabel(sid string, n int) string {
	if sid != "" {
		return fmt.Sprintf("statement %q", sid)
	}
	return fmt.Sprintf("statement %d", n)
}

func principalType(c *directory.Caller) string {
	switch {
	case c.IsRoot():
		return "Account"
	case c.IsRoleSession():
		return "AssumedRole"
	}
	return "User"
}

func whoType(p *policy.Principal) string {
	if p.Type == 0 {
		return "Unknown"
	}
	switch {
	case strings.HasSuffix(p.ARN, ".amazonaws.com"):
		return "Service"
	case strings.Contains(p.ARN, ":oidc-provider/"):
		return "WebIdentity"
	}
	return "Unknown"
}
