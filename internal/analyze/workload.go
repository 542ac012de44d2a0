package analyze

import (
	"maps"
	"slices"
	"strings"

	"github.com/assumed-dev/assumed/arn"
	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// Pod Identity's service principal and session tags (EKS Auth's).
const podsService = "pods.eks.amazonaws.com"

var podTagKeys = []string{"eks-cluster-arn", "eks-cluster-name", "kubernetes-namespace", "kubernetes-service-account", "kubernetes-pod-name", "kubernetes-pod-uid"}

// webIdentityEdges decides which service accounts' tokens can assume
// role through the OIDC provider its trust names: the service accounts
// its statements' :sub conditions name (a pattern stands for the service
// accounts it matches), or every one when no statement tests :sub. Each
// is decided as STS's AssumeRoleWithWebIdentity decides it: the provider
// registered in the role's account, the token's audience one of its
// client IDs, then the trust policy with the token's claims.
func (b *builder) webIdentityEdges(providerARN string, role *directory.Role, trust *policy.Policy, o *out) {
	roleAccount := accountOfARN(role.ARN)
	prov, ok := b.snap.AccountIAM(roleAccount).OIDCProviders[providerARN]
	if !ok {
		return // STS finds no provider in the role's account: no way in
	}
	subKey, audKey := prov.URL+":sub", prov.URL+":aud"
	var subs, auds []string
	for _, st := range trust.Statements {
		if st.Effect != policy.Allow || !namesProvider(st, providerARN) {
			continue
		}
		for _, c := range st.Conditions {
			switch {
			case strings.EqualFold(c.Key, subKey) && positive(c.Operator):
				subs = append(subs, c.Values...)
			case strings.EqualFold(c.Key, audKey) && positive(c.Operator):
				auds = append(auds, c.Values...)
			}
		}
	}
	if len(subs) == 0 {
		subs = []string{"system:serviceaccount:*:*"}
	}
	audience := ""
	for _, a := range append(auds, "sts.amazonaws.com") {
		if slices.Contains(prov.ClientIDs, a) {
			audience = a
			break
		}
	}
	if audience == "" {
		if len(prov.ClientIDs) == 0 {
			return
		}
		audience = prov.ClientIDs[0]
	}
	cluster, saAccount := "issuer:"+prov.Issuer(), roleAccount
	if c := b.clusterOf(prov); c != nil {
		cluster, saAccount = c.ARN, c.AccountID
	}
	who := &policy.Principal{Type: arn.PrincipalOIDCProvider, AccountID: roleAccount, ARN: prov.ARN}
	slices.Sort(subs)
	for _, sub := range slices.Compact(subs) {
		ns, name, ok := serviceAccountOf(sub)
		if !ok {
			continue
		}
		ctx := b.requestContext()
		ctx.Set(subKey, fillWildcards(sub))
		ctx.Set(audKey, audience)
		ctx.Set("aws:FederatedProvider", prov.ARN)
		ctx.Set("aws:PrincipalType", "WebIdentityUser")
		actions := []string{"sts:AssumeRoleWithWebIdentity"}
		if !authz.TrustAllows(b.snap, who, role, actions, ctx) {
			continue
		}
		sa := serviceAccountNode(cluster, saAccount, ns, name)
		o.node(sa)
		e := &Edge{From: sa.ID, To: role.ARN, Kind: EdgeWebIdentity, Actions: actions, CrossAccount: saAccount != roleAccount}
		if strings.ContainsAny(sub, "*?") {
			e.Note = "the trust accepts every service account matching " + sub + "; the edge was decided for one of them"
		}
		label(e, authz.TrustApplied(b.snap, who, role, actions[0], ctx), nil)
		o.edge(e)
	}
}

// namesProvider reports whether a statement's Principal names the OIDC
// provider.
func namesProvider(st *policy.Statement, providerARN string) bool {
	if st.Principal == nil || st.NotPrincipal {
		return false
	}
	for _, e := range st.Principal.Entries {
		if e.Type == arn.PrincipalOIDCProvider && e.ARN == providerARN {
			return true
		}
	}
	return false
}

// positive reports whether a condition operator is met by a value equal
// to (or matching) one of its values: not a negation, not Null.
func positive(op string) bool {
	switch base, _ := baseOperator(op); base {
	case "StringEquals", "StringEqualsIgnoreCase", "StringLike":
		return true
	}
	return false
}

// serviceAccountOf parses system:serviceaccount:NAMESPACE:NAME (either
// may be a pattern).
func serviceAccountOf(sub string) (namespace, name string, ok bool) {
	rest, ok := strings.CutPrefix(sub, "system:serviceaccount:")
	if !ok {
		if sub == "*" {
			return "*", "*", true
		}
		return "", "", false
	}
	namespace, name, ok = strings.Cut(rest, ":")
	return namespace, name, ok && namespace != "" && name != ""
}

// podIdentityEdges decides each Pod Identity association as EKS Auth
// does: the association's role assumed by pods.eks.amazonaws.com (with
// the six session tags unless the association turns them off), then, for
// an association with a target role, the target assumed by a session of
// the first role with the association's external ID and the tags as
// transitive tags.
func (b *builder) podIdentityEdges() {
	for _, id := range slices.Sorted(maps.Keys(b.snap.PodIdentityAssociations)) {
		a := b.snap.PodIdentityAssociations[id]
		role, ok := b.snap.RoleByARN(a.RoleARN)
		if !ok {
			continue
		}
		cluster := b.clusterARN(a)
		var tags []directory.Tag
		if !a.DisableSessionTags {
			values := []string{cluster, a.ClusterName, a.Namespace, a.ServiceAccount, "pod", "pod-uid"}
			for i, k := range podTagKeys {
				tags = append(tags, directory.Tag{Key: k, Value: values[i]})
			}
		}
		who := &policy.Principal{Type: arn.PrincipalService, ARN: podsService}
		ctx := b.requestContext()
		ctx.Set("aws:PrincipalType", "Service")
		ctx.Set("aws:PrincipalServiceName", podsService)
		actions := []string{"sts:AssumeRole"}
		if len(tags) > 0 {
			actions = append(actions, "sts:TagSession")
			keys := make([]string, 0, len(tags))
			for _, t := range tags {
				ctx.Set("aws:RequestTag/"+t.Key, t.Value)
				keys = append(keys, t.Key)
			}
			ctx.SetMulti("aws:TagKeys", keys...)
			ctx.SetMulti("sts:TransitiveTagKeys", podTagKeys...)
		}
		if !authz.TrustAllows(b.snap, who, role, actions, ctx) {
			continue
		}
		e := &Edge{From: a.ARN, To: role.ARN, Kind: EdgePodIdentity, Actions: actions, CrossAccount: a.AccountID != accountOfARN(role.ARN)}
		label(e, authz.TrustApplied(b.snap, who, role, actions[0], ctx), nil)
		b.g.connect(e)
		if a.TargetRoleARN != "" {
			b.targetEdge(a, role, tags)
		}
	}
}

// targetEdge decides the second hop of a Pod Identity association with a
// target role, unless the graph already has the edge (the first role's
// own policies let it assume the target with the association's external
// ID).
func (b *builder) targetEdge(a *directory.PodIdentityAssociation, first *directory.Role, tags []directory.Tag) {
	target, ok := b.snap.RoleByARN(a.TargetRoleARN)
	if !ok {
		return
	}
	for _, e := range b.g.out[first.ARN] {
		if e.To == target.ARN && e.Kind == EdgeAssume {
			return
		}
	}
	c := b.caller(first.ARN)
	if c == nil {
		return
	}
	sess := *c.Session
	sess.Tags, sess.TransitiveTagKeys, sess.SessionName = tags, nil, sessionName
	if len(tags) > 0 {
		sess.TransitiveTagKeys = podTagKeys
	}
	caller := *c
	caller.Session = &sess
	ctx := b.requestContext()
	ctx.Set("sts:ExternalId", a.ExternalID)
	actions := []string{"sts:AssumeRole"}
	if len(tags) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	if !authz.CanAssumeRole(b.snap, &caller, target, actions, ctx) {
		return
	}
	e := &Edge{From: first.ARN, To: target.ARN, Kind: EdgeAssume, Actions: []string{"sts:AssumeRole"}, CrossAccount: accountOfARN(first.ARN) != accountOfARN(target.ARN),
		Note: "as the target role of Pod Identity association " + a.ID + ", with its external ID"}
	label(e, authz.AssumeRoleApplied(b.snap, &caller, target, "sts:AssumeRole", ctx), witnessValues{"sts:externalid": {key: "sts:ExternalId", values: []string{a.ExternalID}}})
	b.g.connect(e)
}

// resourceEdges decides, for each resource with a resource-based policy,
// which principals its Allow statements name can perform their actions:
// the decision AWS makes for the action on the resource (on a resource
// the statement's Resource element matches, an object of a bucket say),
// from the resource's side and the caller's. An action pattern
// ("s3:Get*") is decided as written, standing for the actions it
// matches.
func (b *builder) resourceEdges() {
	for _, key := range slices.Sorted(maps.Keys(b.snap.Resources)) {
		r := b.snap.Resources[key]
		if r.Compiled == nil {
			continue
		}
		type ask struct{ action, resource string }
		var asks []ask
		c := newCandidates()
		for _, st := range r.Compiled.Statements {
			if st.Effect != policy.Allow || st.NotAction {
				continue
			}
			b.collect(c, st)
			targets := []string{r.ARN}
			if !st.NotResource && len(st.Resources) > 0 {
				targets = targets[:0]
				for _, res := range st.Resources {
					targets = append(targets, fillWildcards(res))
				}
			}
			for _, a := range st.Actions {
				for _, t := range targets {
					if !slices.Contains(asks, ask{a, t}) {
						asks = append(asks, ask{a, t})
					}
				}
			}
		}
		for _, p := range slices.Sorted(maps.Keys(c.iam)) {
			caller := b.caller(p)
			if caller == nil {
				continue
			}
			var allowed []string
			var last authz.ResourceRequest
			for _, q := range asks {
				req := authz.ResourceRequest{Caller: caller, Action: q.action, Resource: q.resource, ResourceAccount: r.Account, Policy: r.Compiled, Context: policy.NewContext()}
				if authz.ResourceAllowed(b.snap, req) {
					if !slices.Contains(allowed, q.action) {
						allowed = append(allowed, q.action)
					}
					last = req
				}
			}
			if len(allowed) == 0 {
				continue
			}
			e := &Edge{From: p, To: r.ARN, Kind: EdgeAccess, Actions: allowed, CrossAccount: accountOfARN(p) != r.Account}
			label(e, authz.ResourceApplied(b.snap, last), nil)
			b.g.connect(e)
		}
	}
}
