package analyze

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/assumed-dev/assumed/arn"
	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// Finding rules.
const (
	RuleTrustEveryone             = "trust-everyone"
	RuleTrustAccountUnconditioned = "trust-account-without-conditions"
	RuleThirdPartyNoExternalID    = "third-party-without-external-id"
	RuleOIDCWithoutSub            = "oidc-trust-without-sub"
	RuleOIDCSubWildcard           = "oidc-sub-wildcard"
	RuleOIDCAudUnchecked          = "oidc-aud-unchecked"
	RulePodTargetOverexposed      = "pod-identity-target-reachable-otherwise"
	RuleReachesOtherAdmin         = "reaches-another-accounts-admin"
	RulePassRoleOnStar            = "passrole-on-any-role"
	RuleAllowNotPrincipal         = "allow-with-notprincipal"
	RuleForAllValuesSingleValued  = "forallvalues-on-single-valued-key"
	RuleSelfAssumptionImplicit    = "self-assumption-not-named"
	RuleUnusedPrincipal           = "unused-principal"
)

// heldPolicy is one policy of the directory, as findings name it.
type heldPolicy struct {
	account string
	subject string // the ARN of the role, user, group, policy or resource
	kind    string // as traces name kinds
	name    string // as traces name policies
	doc     string
	p       *policy.Policy
	role    *directory.Role // for a trust policy
}

// Findings checks the directory and its graph for the classic mistakes
// and returns them, most severe first. g must be Build(snap).
func Findings(snap *directory.Snapshot, g *Graph) []Finding {
	f := &finder{snap: snap, g: g}
	for _, hp := range f.policies() {
		f.statementRules(hp)
		if hp.role != nil {
			f.trustRules(hp)
		}
	}
	f.podIdentityTargets()
	f.adminReach()
	f.unused()
	slices.SortStableFunc(f.out, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(severityRank(a.Severity), severityRank(b.Severity)), strings.Compare(a.Account, b.Account),
			strings.Compare(a.Rule, b.Rule), strings.Compare(a.Subject, b.Subject))
	})
	return f.out
}

// severityRank orders severities, most severe first; unknown ones last.
func severityRank(s string) int {
	if i := slices.Index(Severities, s); i >= 0 {
		return i
	}
	return len(Severities)
}

// AtLeast reports whether severity is at least as severe as threshold.
func AtLeast(severity, threshold string) bool {
	return severityRank(severity) <= severityRank(threshold)
}

type finder struct {
	snap *directory.Snapshot
	g    *Graph
	out  []Finding
}

func (f *finder) add(hp *heldPolicy, st *policy.Statement, rule, severity, message, fix string) {
	fd := Finding{Rule: rule, Severity: severity, Account: hp.account, Subject: hp.subject, Message: message, Fix: fix, Document: hp.doc}
	if st != nil {
		fd.Statement = &StatementRef{Account: hp.account, Kind: hp.kind, Policy: hp.name, Statement: statementLabel(st.Index, st.Sid), Effect: st.Effect.String()}
	}
	f.out = append(f.out, fd)
}

// policies lists every policy of the directory's accounts: trust
// policies, inline policies of users, groups and roles, customer managed
// policies (their default version) and resource-based policies.
func (f *finder) policies() []*heldPolicy {
	var out []*heldPolicy
	for _, acctID := range slices.Sorted(maps.Keys(f.snap.IAM)) {
		if _, ok := f.snap.Accounts[acctID]; !ok {
			continue
		}
		a := f.snap.IAM[acctID]
		inline := func(kind, name, subject string, ps []directory.InlinePolicy) {
			for _, ip := range ps {
				if ip.Compiled != nil {
					out = append(out, &heldPolicy{account: acctID, subject: subject, kind: authz.KindIdentity, doc: ip.Document, p: ip.Compiled,
						name: fmt.Sprintf("inline policy %s of %s %s (account %s)", ip.Name, kind, name, acctID)})
				}
			}
		}
		for _, k := range slices.Sorted(maps.Keys(a.Roles)) {
			r := a.Roles[k]
			doc, trust := f.snap.EffectiveTrust(r)
			if trust != nil {
				out = append(out, &heldPolicy{account: acctID, subject: r.ARN, kind: authz.KindTrust, doc: doc, p: trust, role: r,
					name: "trust policy of role " + r.ARN + " (account " + acctID + ")"})
			}
			inline("role", r.Name, r.ARN, r.Inline)
		}
		for _, k := range slices.Sorted(maps.Keys(a.Users)) {
			inline("user", a.Users[k].Name, a.Users[k].ARN, a.Users[k].Inline)
		}
		for _, k := range slices.Sorted(maps.Keys(a.Groups)) {
			inline("group", a.Groups[k].Name, a.Groups[k].ARN, a.Groups[k].Inline)
		}
		for _, k := range slices.Sorted(maps.Keys(a.Policies)) {
			mp := a.Policies[k]
			if v := mp.Default(); v != nil && v.Compiled != nil {
				out = append(out, &heldPolicy{account: acctID, subject: mp.ARN, kind: authz.KindIdentity, doc: v.Document, p: v.Compiled, name: "managed policy " + mp.ARN})
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(f.snap.Resources)) {
		r := f.snap.Resources[k]
		if r.Compiled == nil {
			continue
		}
		service := ""
		if parts := strings.SplitN(r.ARN, ":", 4); len(parts) == 4 {
			service = parts[2]
		}
		out = append(out, &heldPolicy{account: r.Account, subject: r.ARN, kind: authz.KindResource, doc: r.Policy, p: r.Compiled, name: directory.PolicyName(service, r.ARN)})
	}
	return out
}

// singleValuedKeys are global and STS condition keys that hold one value
// per request: ForAllValues over them is true when the key is absent, and
// ForAnyValue is a plain comparison at best.
var singleValuedKeys = map[string]bool{
	"aws:principalarn": true, "aws:principalaccount": true, "aws:principalorgid": true, "aws:principaltype": true,
	"aws:username": true, "aws:userid": true, "aws:sourceip": true, "aws:sourcevpc": true, "aws:sourcevpce": true,
	"aws:sourcearn": true, "aws:sourceaccount": true, "aws:sourceorgid": true, "aws:requestedregion": true,
	"aws:securetransport": true, "aws:multifactorauthpresent": true, "aws:multifactorauthage": true,
	"aws:currenttime": true, "aws:epochtime": true, "aws:resourceaccount": true, "aws:resourceorgid": true,
	"aws:sourceidentity": true, "aws:federatedprovider": true, "aws:calledviafirst": true, "aws:calledvialast": true,
	"sts:externalid": true, "sts:rolesessionname": true, "sts:sourceidentity": true, "iam:passedtoservice": true,
}

// singleValued reports whether a condition key holds one value.
func singleValued(key string) bool {
	k := strings.ToLower(key)
	if singleValuedKeys[k] {
		return true
	}
	for _, p := range []string{"aws:principaltag/", "aws:requesttag/", "aws:resourcetag/"} {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return strings.HasSuffix(k, ":sub")
}

// statementRules are the rules any policy's statements can break.
func (f *finder) statementRules(hp *heldPolicy) {
	for _, st := range hp.p.Statements {
		if st.Effect == policy.Allow && st.NotPrincipal {
			f.add(hp, st, RuleAllowNotPrincipal, SeverityHigh,
				fmt.Sprintf("%s allows everyone but the principals it lists (Allow with NotPrincipal): any principal of any account, the anonymous one included, that is not listed", statementLabel(st.Index, st.Sid)),
				"name the principals to allow with Principal instead of excluding some with NotPrincipal")
		}
		for _, c := range st.Conditions {
			if strings.HasPrefix(c.Operator, "ForAllValues:") && singleValued(c.Key) {
				f.add(hp, st, RuleForAllValuesSingleValued, SeverityMedium,
					fmt.Sprintf("%s tests the single-valued key %s with %s: ForAllValues is true when the request has no value for the key at all, so the condition may not hold back what it seems to", statementLabel(st.Index, st.Sid), c.Key, c.Operator),
					fmt.Sprintf("use %s without the ForAllValues: qualifier for a single-valued key", strings.TrimPrefix(c.Operator, "ForAllValues:")))
			}
		}
		if hp.kind == authz.KindIdentity && st.Effect == policy.Allow && !st.NotAction && !st.NotResource && len(st.Conditions) == 0 &&
			slices.Contains(st.Resources, "*") && passesRoles(st.Actions) {
			f.add(hp, st, RulePassRoleOnStar, SeverityHigh,
				fmt.Sprintf("%s allows iam:PassRole on every role (Resource \"*\"): its holder can hand any role of the account, an administrator's included, to a service it controls", statementLabel(st.Index, st.Sid)),
				"limit iam:PassRole to the roles meant to be passed (their ARNs), and to the service that takes them (Condition iam:PassedToService)")
		}
	}
}

// passesRoles reports whether action patterns name iam:PassRole
// explicitly ("iam:PassRole", "iam:Pass*", "iam:*"): "*" alone is an
// administrator's policy, flagged otherwise.
func passesRoles(actions []string) bool {
	for _, a := range actions {
		switch strings.ToLower(a) {
		case "iam:passrole", "iam:pass*", "iam:*", "iam:p*":
			return true
		}
	}
	return false
}

// trustRules are the rules of a role's trust policy.
func (f *finder) trustRules(hp *heldPolicy) {
	role := hp.role
	roleAcct := hp.account
	for _, st := range hp.p.Statements {
		if st.Effect != policy.Allow || st.Principal == nil || st.NotPrincipal {
			continue
		}
		hasExternalID := slices.ContainsFunc(st.Conditions, func(c *policy.Condition) bool { return strings.EqualFold(c.Key, "sts:ExternalId") })
		for _, e := range st.Principal.Entries {
			switch {
			case e.Type == arn.PrincipalAll || st.Principal.All:
				if len(st.Conditions) == 0 {
					f.add(hp, st, RuleTrustEveryone, SeverityCritical,
						fmt.Sprintf("the trust policy of %s lets every AWS principal of every account assume it (Principal \"*\" with no condition)", role.ARN),
						"name the accounts or roles that may assume it, or at least require aws:PrincipalOrgID or sts:ExternalId")
				}
			case e.Type == arn.PrincipalAccount:
				_, known := f.snap.Accounts[e.AccountID]
				switch {
				case !known && !hasExternalID:
					f.add(hp, st, RuleThirdPartyNoExternalID, SeverityHigh,
						fmt.Sprintf("the trust policy of %s lets account %s, which is not one of yours, assume it without sts:ExternalId: the confused deputy problem (whoever that account acts for can ask it to use this role)", role.ARN, e.AccountID),
						fmt.Sprintf("add \"Condition\": {\"StringEquals\": {\"sts:ExternalId\": \"…\"}} with the external ID account %s gave you for this customer", e.AccountID))
				case known && len(st.Conditions) == 0:
					sev := SeverityMedium
					if e.AccountID == roleAcct {
						sev = SeverityLow
					}
					f.add(hp, st, RuleTrustAccountUnconditioned, sev,
						fmt.Sprintf("the trust policy of %s trusts the whole account %s (its root) with no condition: every user and role there whose own policies allow sts:AssumeRole can assume it", role.ARN, e.AccountID),
						fmt.Sprintf("name the role or user of account %s that needs it (arn:aws:iam::%s:role/NAME), or add a condition on aws:PrincipalArn", e.AccountID, e.AccountID))
				}
			case (e.Type == arn.PrincipalUser || e.Type == arn.PrincipalRole) && !hasExternalID:
				if _, known := f.snap.Accounts[e.AccountID]; !known && e.AccountID != "" {
					f.add(hp, st, RuleThirdPartyNoExternalID, SeverityHigh,
						fmt.Sprintf("the trust policy of %s lets %s, of account %s which is not one of yours, assume it without sts:ExternalId: the confused deputy problem", role.ARN, e.ARN, e.AccountID),
						"add \"Condition\": {\"StringEquals\": {\"sts:ExternalId\": \"…\"}} with the external ID the third party gave you")
				}
			case e.Type == arn.PrincipalOIDCProvider:
				f.oidcRules(hp, st, e.Name)
			}
		}
	}
	f.selfAssumption(hp)
}

// oidcRules check a web-identity statement's :sub and :aud conditions.
func (f *finder) oidcRules(hp *heldPolicy, st *policy.Statement, providerURL string) {
	var sub, aud []*policy.Condition
	for _, c := range st.Conditions {
		switch {
		case strings.EqualFold(c.Key, providerURL+":sub"):
			sub = append(sub, c)
		case strings.EqualFold(c.Key, providerURL+":aud") || strings.EqualFold(c.Key, providerURL+":azp"):
			aud = append(aud, c)
		}
	}
	role := hp.role.ARN
	if len(sub) == 0 {
		f.add(hp, st, RuleOIDCWithoutSub, SeverityHigh,
			fmt.Sprintf("the trust policy of %s accepts any token of %s: no condition on %s:sub, so every service account of the cluster (every subject of the issuer) can assume it", role, providerURL, providerURL),
			fmt.Sprintf("add \"StringEquals\": {\"%s:sub\": \"system:serviceaccount:NAMESPACE:NAME\"}", providerURL))
	}
	for _, c := range sub {
		for _, v := range c.Values {
			if !strings.ContainsAny(v, "*?") || !positive(c.Operator) {
				continue
			}
			sev, what := SeverityMedium, "every service account of namespace "+namespaceOf(v)
			if ns := namespaceOf(v); ns == "" || strings.ContainsAny(ns, "*?") {
				sev, what = SeverityHigh, "service accounts of any namespace"
			}
			f.add(hp, st, RuleOIDCSubWildcard, sev,
				fmt.Sprintf("the trust policy of %s accepts the subject pattern %q: %s can assume it", role, v, what),
				fmt.Sprintf("name the one service account with StringEquals on %s:sub", providerURL))
		}
	}
	if len(aud) == 0 {
		f.add(hp, st, RuleOIDCAudUnchecked, SeverityMedium,
			fmt.Sprintf("the trust policy of %s does not check the token's audience (%s:aud): a token the issuer made for another audience is accepted", role, providerURL),
			fmt.Sprintf("add \"StringEquals\": {\"%s:aud\": \"sts.amazonaws.com\"}", providerURL))
	}
}

// namespaceOf is the namespace of system:serviceaccount:NS:NAME, "" when
// the subject is not of that form.
func namespaceOf(sub string) string {
	ns, _, ok := serviceAccountOf(sub)
	if !ok {
		return ""
	}
	return ns
}

// selfAssumption flags a role whose own policies name it as a role to
// assume (sts:AssumeRole on its own ARN) while its trust does not name
// it: AWS refuses a role assuming itself unless its trust names the role.
func (f *finder) selfAssumption(hp *heldPolicy) {
	role := hp.role
	if !f.namesItselfToAssume(role) {
		return
	}
	for _, st := range hp.p.Statements {
		if st.Effect != policy.Allow || st.Principal == nil {
			continue
		}
		for _, e := range st.Principal.Entries {
			if (e.Type == arn.PrincipalRole && e.ARN == role.ARN) || e.Value == role.ID {
				return
			}
		}
	}
	f.add(hp, nil, RuleSelfAssumptionImplicit, SeverityLow,
		fmt.Sprintf("role %s is allowed by its own policies to assume itself, but its trust policy does not name it: AWS refuses a role assuming itself unless its trust names the role explicitly", role.ARN),
		fmt.Sprintf("add {\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"%s\"}, \"Action\": \"sts:AssumeRole\"} to its trust policy, or drop the self-assumption", role.ARN))
}

// namesItselfToAssume reports whether one of the role's identity-based
// policies (inline or attached) allows sts:AssumeRole on the role's own
// ARN, by name: an administrator's "*" is not a self-assumption.
func (f *finder) namesItselfToAssume(role *directory.Role) bool {
	var ps []*policy.Policy
	for _, ip := range role.Inline {
		ps = append(ps, ip.Compiled)
	}
	for _, a := range role.Attached {
		if mp, ok := f.snap.PolicyFor(accountOfARN(role.ARN), a); ok {
			if v := mp.Default(); v != nil {
				ps = append(ps, v.Compiled)
			}
		}
	}
	for _, p := range ps {
		if p == nil {
			continue
		}
		for _, st := range p.Statements {
			if st.Effect != policy.Allow || st.NotAction || st.NotResource || !slices.Contains(st.Resources, role.ARN) {
				continue
			}
			if slices.ContainsFunc(st.Actions, func(a string) bool {
				a = strings.ToLower(a)
				return a == "sts:assumerole" || a == "sts:*" || a == "sts:assume*"
			}) {
				return true
			}
		}
	}
	return false
}

// podIdentityTargets flags a Pod Identity target role that others than
// its associations' roles can assume.
func (f *finder) podIdentityTargets() {
	targets := map[string][]*directory.PodIdentityAssociation{}
	for _, id := range slices.Sorted(maps.Keys(f.snap.PodIdentityAssociations)) {
		a := f.snap.PodIdentityAssociations[id]
		if a.TargetRoleARN != "" {
			targets[a.TargetRoleARN] = append(targets[a.TargetRoleARN], a)
		}
	}
	for _, target := range slices.Sorted(maps.Keys(targets)) {
		allowed := map[string]bool{}
		for _, a := range targets[target] {
			allowed[a.RoleARN] = true
		}
		var others []string
		for _, e := range f.g.In(target) {
			if reaches(e) && !allowed[e.From] {
				others = append(others, e.From)
			}
		}
		if len(others) == 0 {
			continue
		}
		slices.Sort(others)
		others = slices.Compact(others)
		r, ok := f.snap.RoleByARN(target)
		if !ok {
			continue
		}
		doc, trust := f.snap.EffectiveTrust(r)
		hp := &heldPolicy{account: accountOfARN(target), subject: target, kind: authz.KindTrust, doc: doc, p: trust, role: r,
			name: "trust policy of role " + target + " (account " + accountOfARN(target) + ")"}
		fd := len(f.out)
		f.add(hp, nil, RulePodTargetOverexposed, SeverityMedium,
			fmt.Sprintf("role %s is the target role of Pod Identity association %s, but %d other principal(s) can assume it too: %s", target, targets[target][0].ID, len(others), strings.Join(clipList(others, 5), ", ")),
			"let the trust policy name only the association's role, and require the association's sts:ExternalId")
		// The statement that lets the first other one in.
		for _, e := range f.g.In(target) {
			if e.From == others[0] {
				for _, s := range e.Statements {
					if s.Kind == authz.KindTrust {
						s := s
						f.out[fd].Statement = &s
						break
					}
				}
			}
		}
	}
}

// clipList keeps the first n items, noting how many more there are.
func clipList(items []string, n int) []string {
	if len(items) <= n {
		return items
	}
	return append(slices.Clone(items[:n]), fmt.Sprintf("and %d more", len(items)-n))
}

// adminReach flags principals that reach an administrator of another
// account through a chain of assumptions: one finding per start and
// administrator, with the shortest path.
func (f *finder) adminReach() {
	for _, admin := range f.g.Nodes {
		if !admin.Admin {
			continue
		}
		seen := map[string]bool{}
		for _, p := range f.g.PathsTo(admin.ID, DefaultMaxHops, 200) {
			start := f.g.byID[p.Edges[0].From]
			if start == nil || start.Account == admin.Account || seen[start.ID] || start.Admin && start.Account == admin.Account {
				continue
			}
			if start.Kind != KindUser && start.Kind != KindRole && start.Kind != KindExternalAccount && start.Kind != KindServiceAccount {
				continue
			}
			seen[start.ID] = true
			fd := Finding{Rule: RuleReachesOtherAdmin, Severity: SeverityHigh, Account: start.Account, Subject: start.ID, Path: p.Nodes(),
				Message: fmt.Sprintf("%s (account %s) can reach %s, an administrator of account %s, in %d step(s): %s", start.ID, start.Account, admin.ID, admin.Account, len(p.Edges), strings.Join(p.Nodes(), " → ")),
				Fix:     "break the chain: narrow the trust policy of the first role of the path in the other account, or the permissions of the administrator role it leads to"}
			// The first cross-account hop's trust statement.
			for _, e := range p.Edges {
				if !e.CrossAccount {
					continue
				}
				for _, s := range e.Statements {
					if s.Kind == authz.KindTrust {
						s := s
						fd.Statement = &s
						if r, ok := f.snap.RoleByARN(e.To); ok {
							fd.Document, _ = f.snap.EffectiveTrust(r)
						}
						break
					}
				}
				break
			}
			f.out = append(f.out, fd)
		}
	}
}

// unused flags roles nobody can assume and users with no way to sign in
// or call.
func (f *finder) unused() {
	keyed := map[string]bool{}
	for _, k := range f.snap.AccessKeys {
		if k.UserName != "" && k.Status == directory.StatusActive {
			keyed[k.AccountID+"/"+directory.Key(k.UserName)] = true
		}
	}
	for _, n := range f.g.Nodes {
		switch n.Kind {
		case KindRole:
			if len(f.g.In(n.ID)) > 0 {
				continue
			}
			f.out = append(f.out, Finding{Rule: RuleUnusedPrincipal, Severity: SeverityInfo, Account: n.Account, Subject: n.ID,
				Message: fmt.Sprintf("no principal, service or workload can assume role %s: its trust policy allows no one who exists", n.ID),
				Fix:     "delete the role if it is no longer needed, or fix its trust policy"})
		case KindUser:
			if keyed[n.Account+"/"+directory.Key(n.Name)] || f.hasLoginProfile(n) {
				continue
			}
			f.out = append(f.out, Finding{Rule: RuleUnusedPrincipal, Severity: SeverityInfo, Account: n.Account, Subject: n.ID,
				Message: fmt.Sprintf("user %s has no active access key and no console password: it can't make a request", n.ID),
				Fix:     "delete the user if it is no longer needed"})
		}
	}
}

// hasLoginProfile reports whether a user has a console password.
func (f *finder) hasLoginProfile(n *Node) bool {
	a := f.snap.IAM[n.Account]
	if a == nil {
		return false
	}
	u, ok := a.Users[directory.Key(n.Name)]
	if !ok {
		return false
	}
	_, ok = a.Credentials.LoginProfiles[u.ID]
	return ok
}
