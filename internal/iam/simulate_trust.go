package iam

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/arn"
	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/policy"
)

// Trust-aware simulation: the actions STS authorizes against a role's
// trust policy are simulated as STS decides them (authz.AssumeRole), with
// the trust policy in the place of the resource policy. See the comment
// at the top of simulate.go for what the answer says.

// simTrustActions are the actions, in lower case, that a role's trust
// policy governs when the resource is the role.
var simTrustActions = map[string]bool{
	"sts:assumerole":                true,
	"sts:assumerolewithwebidentity": true,
	"sts:assumerolewithsaml":        true,
	"sts:tagsession":                true,
	"sts:setsourceidentity":         true,
}

// simTrustPolicyPrefix starts the SourcePolicyId of a trust policy taken
// from the directory: "RoleTrustPolicy:" and the role's ARN.
const simTrustPolicyPrefix = "RoleTrustPolicy:"

// simSessionName is the session name of the role session the simulator
// acts as when the caller (PolicySourceArn or CallerArn) is a role.
const simSessionName = "SimulatedSession"

// simIsTrustAction reports whether action is decided by a trust policy.
func simIsTrustAction(action string) bool {
	return simTrustActions[strings.ToLower(action)]
}

// simIsRoleARN reports whether resource is an IAM role's ARN
// (arn:PARTITION:iam::ACCOUNT:role/PATH/NAME).
func simIsRoleARN(resource string) bool {
	a, err := arn.Parse(resource)
	if err != nil || a.Service != "iam" || a.Region != "" || !arn.IsAccountID(a.AccountID) {
		return false
	}
	rest, ok := strings.CutPrefix(a.Resource, "role/")
	return ok && rest != "" && !strings.HasSuffix(rest, "/")
}

// simIsTrustPair reports whether action on resource is decided by the
// role's trust policy.
func simIsTrustPair(action, resource string) bool {
	return simIsTrustAction(action) && simIsRoleARN(resource)
}

// simPairKinds says whether the simulation has (action, resource) pairs
// decided by a trust policy, and pairs decided otherwise.
func simPairKinds(actions, resources []string) (trust, other bool) {
	for _, a := range actions {
		for _, r := range resources {
			if simIsTrustPair(a, r) {
				trust = true
			} else {
				other = true
			}
		}
	}
	return trust, other
}

// simTrust is a trust policy taking part in a simulation.
type simTrust struct {
	src     *simSource
	set     *policy.Set
	missing []string // keys the identity, boundary and trust policies use that the context lacks
}

// newTrust wraps a trust policy source for evaluation.
func (r *simRun) newTrust(src *simSource) *simTrust {
	srcs := append([]*simSource(nil), r.identity...)
	if r.boundary != nil {
		srcs = append(srcs, r.boundary)
	}
	srcs = append(srcs, src)
	return &simTrust{
		src:     src,
		set:     policy.NewSet(policy.Entry{ID: src.id, Policy: src.pol}),
		missing: simMissingKeys(srcs, r.ctx),
	}
}

// trustFor returns the trust policy deciding action on resource: the
// ResourcePolicy input when one was given, else the role's effective
// trust policy (nil when the role does not exist). ok is false when the
// pair is not decided by a trust policy.
func (r *simRun) trustFor(action, resource string) (tr *simTrust, ok bool) {
	if !simIsTrustPair(action, resource) {
		return nil, false
	}
	if r.trustInput != nil {
		return r.trustInput, true
	}
	if tr, seen := r.trusts[resource]; seen {
		return tr, true
	}
	if role, found := r.snap.RoleByARN(resource); found {
		id := simTrustPolicyPrefix + role.ARN
		doc, pol := r.snap.EffectiveTrust(role)
		src := &simSource{id: id, typ: simTypeResource, pol: &policy.Policy{Kind: policy.Trust}}
		if pol != nil {
			// A trust policy that no longer parses allows nothing, and
			// none of its document shows.
			src = simNewSource(id, simTypeResource, doc, pol)
		}
		tr = r.newTrust(src)
	}
	if r.trusts == nil {
		r.trusts = map[string]*simTrust{}
	}
	r.trusts[resource] = tr
	return tr, true
}

// evaluateTrust decides a trust-governed action on a role as STS does
// (authz.AssumeRole, spec/evaluation.md §2–3): an explicit Deny in the
// identity policies, the boundary or the trust policy wins; the trust
// policy must allow the caller; then who the trust names decides what
// else must allow, by authz.TrustRequires, the rule STS applies.
// Service control policies were applied already; v holds their detail.
func (r *simRun) evaluateTrust(req *policy.Request, tr *simTrust, v *simVerdict) {
	var idRes, bRes, tRes policy.Result
	r.idSet.Evaluate(req, &idRes)
	if r.boundarySet != nil {
		r.boundarySet.Evaluate(req, &bRes)
		v.boundaryOK = ptr(bRes.Decision == policy.Allowed)
	}
	if tr != nil {
		tr.set.Evaluate(req, &tRes)
	}
	v.details = map[string]types.PolicyEvaluationDecisionType{
		string(simTypeIdentity): simDecision(idRes.Decision),
		string(simTypeResource): simDecision(tRes.Decision),
	}
	if r.boundarySet != nil {
		v.details[string(simTypeBoundary)] = simDecision(bRes.Decision)
	}
	collect := func(srcs []*simSource, res *policy.Result, effect policy.Effect) {
		for _, m := range res.Matches {
			if m.Effect == effect {
				v.matched = append(v.matched, srcs[m.Entry].statement(m.Statement))
			}
		}
	}
	var trustSrcs []*simSource
	if tr != nil {
		trustSrcs = []*simSource{tr.src}
	}

	if idRes.Decision == policy.Denied || bRes.Decision == policy.Denied || tRes.Decision == policy.Denied {
		v.decision = types.PolicyEvaluationDecisionTypeExplicitDeny
		collect([]*simSource{r.boundary}, &bRes, policy.Deny)
		collect(trustSrcs, &tRes, policy.Deny)
		collect(r.identity, &idRes, policy.Deny)
		return
	}
	implicit := func() {
		v.decision = types.PolicyEvaluationDecisionTypeImplicitDeny
		v.missing = r.callerMissing
		if tr != nil {
			v.missing = tr.missing
		}
	}
	if tRes.Decision != policy.Allowed {
		implicit()
		return
	}
	needIdentity, needLimits := authz.TrustRequires(tRes.Principal, r.owner(req.Resource) != r.callerAccount)
	identityOK := idRes.Decision == policy.Allowed
	boundaryOK := r.boundarySet == nil || bRes.Decision == policy.Allowed
	if needIdentity && !identityOK || needLimits && !boundaryOK {
		implicit()
		return
	}
	v.decision = types.PolicyEvaluationDecisionTypeAllowed
	collect(trustSrcs, &tRes, policy.Allow)
	if identityOK {
		collect(r.identity, &idRes, policy.Allow)
	}
}

// simParseTrust parses the ResourcePolicy input as the trust policy of
// the roles it is simulated for: a trust policy (Principal, no Resource),
// or failing that a resource policy that names the role as its Resource.
func simParseTrust(doc string) (*policy.Policy, error) {
	p, trustErr := simParse(doc, policy.Trust, "Resource policy")
	if trustErr == nil {
		return p, nil
	}
	if p, err := simParse(doc, policy.Resource, "Resource policy"); err == nil {
		return p, nil
	}
	return nil, trustErr
}
