package authz

import (
	"errors"
	"fmt"
	"strings"

	"github.com/assumed-dev/assumed/arn"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// base is AWS's refusal up to its reason: "User: ARN is not authorized to
// perform: ACTION on resource: RES".
func (sc *scene) base() string {
	who := "anonymous"
	if sc.req.Caller != nil {
		who = sc.req.Caller.ARN
	} else if sc.who != nil {
		who = sc.who.ARN
	}
	return fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s", who, sc.req.Action, resourceText(sc.req.Action, sc.req.Resource))
}

// errDenied is a refusal decided without its explanation (Allowed,
// CanAssumeRole, TrustAllows, ResourceAllowed).
var errDenied = errors.New("denied")

// deny builds an implicit refusal. awsWhy is AWS's own reason ("because
// no identity-based policy allows …"), empty where AWS gives none;
// detail is the plain-language reason assumed adds; rule, fix and
// reason go into the trace (an empty reason is worked out from the
// statement that came closest).
func (sc *scene) deny(awsWhy, detail, rule, fix string, stmts []policy.StatementTrace, reason ...string) *Denied {
	aws := sc.base()
	if awsWhy != "" {
		aws += " " + awsWhy
	}
	msg := aws
	if detail != "" {
		msg += " " + detail
	}
	why := ""
	if len(reason) > 0 {
		why = reason[0]
	}
	t := sc.trace(DecisionImplicitDeny, rule, why, fix)
	if t.Reason == "" {
		t.Reason = nearMissReason(t)
		if t.Reason == "" {
			t.Reason = strings.TrimPrefix(strings.TrimSpace(awsWhy+" "+detail), "because ")
		}
	}
	d := &Denied{Message: msg, Explanation: stmts, Trace: t}
	if msg != aws {
		d.AWSMessage = aws
	}
	return d
}

// kindPhrase is how AWS's messages name a policy kind after "in".
func kindPhrase(kind string) string {
	switch kind {
	case KindTrust:
		return "the role's trust policy"
	case KindBoundary:
		return "a permissions boundary"
	case KindSession:
		return "a session policy"
	case KindResource:
		return "a resource-based policy"
	}
	return "an identity-based policy"
}

// explicitDeny names the policy whose Deny statement applied, as AWS's
// messages do ("… with an explicit deny in an identity-based policy:
// ARN"), and the statement.
func (sc *scene) explicitDeny(kind string, trace []policy.StatementTrace) *Denied {
	applied := appliedDenies(trace)
	why := "with an explicit deny in " + kindPhrase(kind)
	aws := sc.base() + " " + why
	msg := aws
	if len(applied) > 0 {
		msg += ": " + applied[0].PolicyID + statementName(applied[0])
		if strings.HasPrefix(applied[0].PolicyID, "arn:") {
			aws += ": " + applied[0].PolicyID
		}
	}
	t := sc.trace(DecisionExplicitDeny, "An explicit Deny in any policy that applies overrides every Allow", "", "")
	if len(applied) > 0 {
		a := applied[0]
		t.Reason = fmt.Sprintf("%s of %s denies %s on %s", statementLabel(a), a.PolicyID, sc.req.Action, sc.req.Resource)
		t.Fix = fmt.Sprintf("remove or narrow %s of %s, or change the request so that it no longer applies", statementLabel(a), a.PolicyID)
	}
	d := &Denied{Message: msg, Explanation: applied, Trace: t}
	if msg != aws {
		d.AWSMessage = aws
	}
	return d
}

// nearMissReason says why the statement that came closest did not
// allow: its failing condition with the values compared.
func nearMissReason(t *Trace) string {
	s, _ := decidingStatement(t)
	if s == nil {
		return ""
	}
	for _, c := range s.Conditions {
		if c.Result != "true" {
			r, _ := conditionWords(c)
			return r
		}
	}
	return s.Reason
}

// decidingStatement is the statement a trace marks as deciding.
func decidingStatement(t *Trace) (*StatementTrace, *PolicyTrace) {
	for ai := range t.Accounts {
		for pi := range t.Accounts[ai].Policies {
			p := &t.Accounts[ai].Policies[pi]
			for si := range p.Statements {
				if p.Statements[si].Deciding {
					return &p.Statements[si], p
				}
			}
		}
	}
	return nil, nil
}

// conditionWords says in words why a condition failed and what would
// make it hold, with the classic cross-account keys named for what they
// are.
func conditionWords(c ConditionTrace) (reason, fix string) {
	want := quoteList(c.PolicyValues)
	got := quoteList(c.RequestValues)
	key := strings.ToLower(c.Key)
	if c.Result == "unresolved" {
		return fmt.Sprintf("condition %s %s %s uses a policy variable the request has no value for", c.Operator, c.Key, want),
			"make sure the request carries the variable's key, or give the variable a default"
	}
	switch {
	case key == "sts:externalid":
		if !c.Present {
			return fmt.Sprintf("the trust policy requires an external ID (%s sts:ExternalId %s) and the request passed none", c.Operator, want),
				"pass the external ID the role's owner gave you (aws sts assume-role --external-id …; Terraform: assume_role { external_id = … })"
		}
		return fmt.Sprintf("the external ID passed (%s) is not one the trust policy accepts (%s sts:ExternalId %s)", strings.Join(c.RequestValues, ", "), c.Operator, want),
			"pass the external ID the trust policy names, " + want
	case strings.HasSuffix(key, ":sub"):
		return fmt.Sprintf("the token's subject %s does not satisfy %s %s %s", got, c.Operator, c.Key, want),
			"use a token for a subject the trust allows (IRSA: system:serviceaccount:NAMESPACE:NAME), or widen the trust's " + c.Key + " condition to this subject"
	case strings.HasSuffix(key, ":aud"):
		return fmt.Sprintf("the token's audience %s does not satisfy %s %s %s", got, c.Operator, c.Key, want),
			"request the token for the audience the trust names (IRSA: sts.amazonaws.com), or fix the trust's " + c.Key + " condition"
	case key == "aws:sourceidentity" || key == "sts:sourceidentity":
		if !c.Present {
			return fmt.Sprintf("the trust policy requires a source identity (%s %s %s) and the request set none", c.Operator, c.Key, want), "pass --source-identity"
		}
	}
	if !c.Present {
		return fmt.Sprintf("condition %s %s %s is false: the request has no %s", c.Operator, c.Key, want, c.Key),
			"the request must carry " + c.Key + ", or the condition must allow its absence (…IfExists)"
	}
	return fmt.Sprintf("condition %s %s %s is false for the request's value %s", c.Operator, c.Key, want, got),
		fmt.Sprintf("make the request's %s satisfy %s %s, or change the condition", c.Key, c.Operator, want)
}

func quoteList(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = fmt.Sprintf("%q", v)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// trustMiss says why a role's trust policy allowed nothing for the
// request, and what to change: a condition of the statement that names
// the caller, an action the statement lacks (sts:TagSession), or that no
// statement names the caller at all.
func (sc *scene) trustMiss(role *directory.Role) (reason, fix string) {
	t := sc.trace(DecisionImplicitDeny, "", "", "")
	// A statement whose action did not match is marked only when it
	// allows the assumption this action accompanies: said below.
	if s, _ := decidingStatement(t); s != nil && s.Outcome != policy.ActionNotMatched.String() {
		for _, c := range s.Conditions {
			if c.Result != "true" {
				return conditionWords(c)
			}
		}
		return s.Reason, ""
	}
	who, acct := "the caller", ""
	if sc.req.Caller != nil {
		who, acct = sc.req.Caller.ARN, sc.req.Caller.AccountID
	} else if sc.who != nil {
		who = sc.who.ARN
	}
	action := sc.req.Action
	if primary := primaryAction(action, sc.who); primary != action {
		// Does the trust allow the assumption itself? Then what it lacks
		// is this action.
		p := sc.preq
		p.Action = primary
		var res policy.Result
		if sc.owner.set.Evaluate(&p, &res) == policy.Allowed {
			why := map[string]string{
				"sts:TagSession":        "session tags were passed (or are passed by the service, as EKS Pod Identity always does)",
				"sts:SetSourceIdentity": "a source identity was set",
			}[action]
			return fmt.Sprintf("the trust policy allows %s for %s but not %s, which is needed because %s", primary, who, action, why),
				fmt.Sprintf("add %s to the Action of the trust policy statement of %s that allows %s", action, role.ARN, primary)
		}
	}
	if acct != "" {
		return fmt.Sprintf("no statement of the trust policy of %s names %s, its account %s or everyone for %s", role.ARN, who, acct, action),
			fmt.Sprintf("in account %s, add %s (or arn:aws:iam::%s:root, with an identity-based policy in %s that allows sts:AssumeRole) to the Principal of a trust policy statement of %s that allows %s", sc.ownerAccount, who, acct, acct, role.Name, action)
	}
	return fmt.Sprintf("no statement of the trust policy of %s names %s for %s", role.ARN, who, action),
		fmt.Sprintf("add %s to the Principal of a trust policy statement of %s that allows %s", who, role.Name, action)
}

// primaryAction is the assumption an action accompanies.
func primaryAction(action string, who *policy.Principal) string {
	if action != "sts:TagSession" && action != "sts:SetSourceIdentity" {
		return action
	}
	if who != nil && who.Type == arn.PrincipalOIDCProvider {
		return "sts:AssumeRoleWithWebIdentity"
	}
	return "sts:AssumeRole"
}

// RoleNotFound is the refusal of an assumption of a role that does not
// exist. AWS says no more than for a role that doesn't trust the caller;
// the trace (and --denial-detail full) says which it was.
func RoleNotFound(caller *directory.Caller, web *policy.Principal, roleARN, action string, ctx *policy.Context) *Denied {
	acct, name := accountOf(roleARN), roleARN[strings.LastIndexByte(roleARN, '/')+1:]
	sc := &scene{req: Request{Caller: caller, Action: action, Resource: roleARN, Context: ctx}, who: web,
		preq: policy.Request{Principal: web, Action: action, Resource: roleARN, Context: ctx}, ownerAccount: acct,
		note: fmt.Sprintf("role %s does not exist in account %s", name, acct)}
	detail := fmt.Sprintf("because role %s does not exist in account %s", name, acct)
	d := sc.deny("", detail, "A role that does not exist can't be assumed (AWS answers as if it did not trust the caller)",
		fmt.Sprintf("check the role ARN: account %s has no role named %s (names are case-insensitive, paths are not part of the name)", acct, name), nil,
		fmt.Sprintf("role %s does not exist in account %s", name, acct))
	if caller == nil {
		d.AWSMessage = "Not authorized to perform " + action
		d.Message = d.AWSMessage + ": " + strings.TrimPrefix(detail, "because ")
	}
	return d
}

// Refusal is a refusal decided outside the policies (a rule of STS such
// as an unchangeable source identity): AWS's text, the reason, and a
// trace with the rule.
func Refusal(caller *directory.Caller, action, resource, awsWhy, detail, rule, fix string) *Denied {
	sc := &scene{req: Request{Caller: caller, Action: action, Resource: resource}, ownerAccount: accountOf(resource),
		preq: policy.Request{Action: action, Resource: resource}, note: rule}
	return sc.deny(awsWhy, detail, rule, fix, nil)
}

// RefusalBy is Refusal for a caller that is no IAM principal: a
// web-identity provider or a service principal (who), refused by a rule
// of STS before any policy (a token's audience the provider does not
// accept, a session longer than the role allows), with the request's
// condition keys ctx (may be nil). Its message is STS's ("Not authorized
// to perform ACTION") and the reason.
func RefusalBy(who *policy.Principal, action, resource string, ctx *policy.Context, detail, rule, fix string) *Denied {
	sc := &scene{req: Request{Action: action, Resource: resource, Context: ctx}, who: who, ownerAccount: accountOf(resource),
		preq: policy.Request{Principal: who, Action: action, Resource: resource, Context: ctx}, note: rule}
	d := sc.deny("", detail, rule, fix, nil)
	d.AWSMessage = "Not authorized to perform " + action
	d.Message = d.AWSMessage + ": " + strings.TrimPrefix(detail, "because ")
	return d
}
