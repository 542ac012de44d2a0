package authz

import (
	"fmt"
	"slices"
	"strings"

	"github.com/assumed-dev/assumed/arn"
	"github.com/assumed-dev/assumed/policy"
)

// assumptionWarnings names what an allowed assumption lets through
// beyond what was probably meant (spec §9): for each trust statement
// that allowed preq (the assumption itself),
//
//   - of a web-identity provider: no condition on the token's subject
//     (<issuer>:sub) or only wildcard patterns of it, so that every
//     service account of the cluster (or of a namespace) can assume the
//     role; no condition on its audience (<issuer>:aud);
//   - of an IAM principal: Principal "*", or the root of an account other
//     than the role's, without a condition requiring sts:ExternalId.
//
// It is for explanations only: it explains the trust policy again.
func assumptionWarnings(trust *policy.Set, preq *policy.Request, callerAccount, roleAccount string) []string {
	if trust == nil {
		return nil
	}
	var out []string
	add := func(w string) {
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	web := preq.Principal != nil && preq.Principal.Type == arn.PrincipalOIDCProvider
	for _, st := range trust.Explain(preq).Statements {
		if st.Effect != policy.Allow || st.Outcome != policy.Applied {
			continue
		}
		label := statementLabel(st) + " of the trust policy"
		switch {
		case web:
			_, issuer, _ := strings.Cut(preq.Principal.ARN, ":oidc-provider/")
			webIdentityWarnings(add, st.Conditions, label, issuer, preq.Context)
		case st.Principal == policy.MatchAll && len(restricting(st.Conditions, "sts:ExternalId")) == 0:
			add(fmt.Sprintf(`any principal of any account that its own policies allow (and the statement's conditions let through) can assume this role: %s names Principal "*" without an sts:ExternalId condition; a third party should be required to pass sts:ExternalId`, label))
		case st.Principal == policy.MatchAccount && callerAccount != roleAccount && len(restricting(st.Conditions, "sts:ExternalId")) == 0:
			add(fmt.Sprintf("any principal of account %s that its own policies allow can assume this role: %s trusts the whole account (arn:aws:iam::%s:root) without an sts:ExternalId condition; a third party should be required to pass sts:ExternalId", callerAccount, label, callerAccount))
		}
	}
	return out
}

// webIdentityWarnings adds the warnings of a web-identity trust
// statement (label) that applied, with its conditions, for a token of
// issuer (the provider's host/path) whose claims ctx holds.
func webIdentityWarnings(add func(string), conds []policy.ConditionTrace, label, issuer string, ctx *policy.Context) {
	subKey, audKey := issuer+":sub", issuer+":aud"
	subject := ""
	if v, ok := ctx.Lookup(subKey); ok && len(v) == 1 {
		subject = v[0]
	}
	subs := restricting(conds, subKey)
	eks := strings.Contains(issuer, "oidc.eks.") || strings.Contains(issuer, "/_assumed/oidc/id/") || strings.HasPrefix(subject, saPrefix)
	for _, c := range subs {
		eks = eks || slices.ContainsFunc(c.PolicyValues, func(v string) bool { return strings.HasPrefix(v, saPrefix) })
	}
	suggest := "system:serviceaccount:NS:NAME"
	if strings.HasPrefix(subject, saPrefix) && !strings.ContainsAny(subject, "*?") {
		suggest = subject + " (this token's subject)"
	}
	fix := fmt.Sprintf("add StringEquals %s %s", subKey, suggest)
	if len(subs) == 0 {
		if eks {
			add(fmt.Sprintf("every service account of the cluster can assume this role: %s has no condition on %s; %s", label, subKey, fix))
		} else {
			add(fmt.Sprintf("every identity %s issues tokens for can assume this role: %s has no condition on %s; add StringEquals %s with the one subject that should", issuer, label, subKey, subKey))
		}
	} else if pattern, op := widestSubject(subs); pattern != "" {
		who := fmt.Sprintf("every subject matching %q", pattern)
		if eks {
			who = "every service account of the cluster"
			if ns, name, ok := strings.Cut(strings.TrimPrefix(pattern, saPrefix), ":"); ok && strings.HasPrefix(pattern, saPrefix) && !strings.ContainsAny(ns, "*?") {
				who = "every service account of namespace " + ns
				if name != "*" {
					who = fmt.Sprintf("every service account of namespace %s whose name matches %q", ns, name)
				}
			}
		}
		add(fmt.Sprintf("%s can assume this role: %s allows %s %s %q, a wildcard; %s", who, label, op, subKey, pattern, fix))
	}
	if len(restricting(conds, audKey)) == 0 {
		aud := "sts.amazonaws.com"
		if v, ok := ctx.Lookup(audKey); ok && len(v) == 1 && v[0] != "" {
			aud = v[0]
		}
		add(fmt.Sprintf("a token %s issues for any audience its provider accepts can assume this role: %s has no condition on %s; add StringEquals %s %s", issuer, label, audKey, audKey, aud))
	}
}

// saPrefix starts the subject of a Kubernetes service account's token.
const saPrefix = "system:serviceaccount:"

// restricting are the conditions on key that the key must satisfy to
// let a request through: not negated (StringNotEquals lets every other
// value through), not …IfExists or ForAllValues (true without the key),
// not Null.
func restricting(conds []policy.ConditionTrace, key string) []policy.ConditionTrace {
	var out []policy.ConditionTrace
	for _, c := range conds {
		op := strings.ToLower(c.Operator)
		if !strings.EqualFold(c.Key, key) || strings.Contains(op, "not") || strings.HasPrefix(op, "null") ||
			strings.HasSuffix(op, "ifexists") || strings.HasPrefix(op, "forallvalues:") {
			continue
		}
		out = append(out, c)
	}
	return out
}

// widestSubject returns a wildcard pattern the subject conditions subs
// let through, and its operator, when none of them pins the subject
// down (they all must hold: one without a wildcard is enough); "" when
// one does.
func widestSubject(subs []policy.ConditionTrace) (pattern, op string) {
	for _, c := range subs {
		like := strings.Contains(strings.ToLower(c.Operator), "like")
		if !like || !slices.ContainsFunc(c.PolicyValues, func(v string) bool { return strings.ContainsAny(v, "*?") }) {
			return "", ""
		}
	}
	for _, c := range subs {
		for _, v := range c.PolicyValues {
			if strings.ContainsAny(v, "*?") {
				return v, c.Operator
			}
		}
	}
	return "", ""
}
