package authz

import (
	"fmt"
	"sync"
	"time"

	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// ResourceRequest is one action on one resource of any AWS service, as the
// resource gateway authorizes it before forwarding.
type ResourceRequest struct {
	Caller *directory.Caller
	Action string // "s3:GetObject"
	// Resource is the ARN acted on, or "*" for actions without a
	// resource type.
	Resource string
	// ResourceAccount is the account that owns the resource. It may
	// differ from the ARN's (S3 ARNs carry none); empty means the ARN's
	// account, or the caller's when the ARN has none.
	ResourceAccount string
	// Policy is the resource's own policy (bucket, repository, table,
	// queue, topic, secret or function policy, or a KMS key policy); nil
	// when it has none. The same *policy.Policy passed again is not
	// indexed again: keep it while the policy is unchanged.
	Policy *policy.Policy
	// PolicyName is how messages name the policy ("bucket policy of
	// my-bucket"); empty means "resource-based policy of RESOURCE".
	PolicyName string
	// KeyPolicy says Policy is a KMS key policy: it must allow even in
	// its own account, where it can delegate to IAM policies by allowing
	// the account.
	KeyPolicy bool
	// ResourceTags are the resource's tags, the aws:ResourceTag/… keys.
	ResourceTags []directory.Tag
	// Context holds the request's and the service's condition keys the
	// gateway found (s3:prefix, aws:RequestTag/…, aws:TagKeys, …). It is
	// not modified; the caller's and the resource's keys are added to a
	// copy.
	Context *policy.Context
}

// AuthorizeResource decides an action on a resource with AWS's logic
// across policy types and accounts (spec §1, §2, §10). It returns nil when
// allowed and a *Denied otherwise.
//
//   - An explicit Deny in the resource policy, or in the caller's identity
//     policies, boundary or session policies, denies.
//   - Across accounts (the caller's account is not ResourceAccount) the
//     resource policy must allow, and so must the caller's own side: its
//     identity policies, limited by its boundary and session policies.
//   - In the resource's own account an Allow on either side can suffice:
//     a resource policy naming the IAM user or the role session grants
//     alone; one naming the role, or everyone ("*"), grants within the
//     boundary and session policies; one naming only the account
//     delegates to identity policies, which must allow.
//   - The account's root user may do anything to its own account's
//     resources but what a resource policy denies; another account's root
//     needs the resource policy.
//   - A KMS key policy must allow in every case, the key's own account
//     included: allowing the account (the default key policy) lets that
//     account's identity policies decide, as above.
//
// An unsigned request (no Caller) is refused: anonymous access through
// "Principal": "*" is not modelled.
func AuthorizeResource(snap *directory.Snapshot, req ResourceRequest) error {
	return authorizeResource(snap, req, false)
}

// ResourceAllowed decides a request as AuthorizeResource does, without
// explaining a refusal.
func ResourceAllowed(snap *directory.Snapshot, req ResourceRequest) bool {
	return authorizeResource(snap, req, true) == nil
}

func authorizeResource(snap *directory.Snapshot, req ResourceRequest, quiet bool) error {
	c := req.Caller
	if c == nil {
		if quiet {
			return errDenied
		}
		return Refusal(nil, req.Action, req.Resource, "", "because only signed requests are authorized",
			"assumed does not model anonymous access: only signed requests are authorized", "sign the request with SigV4")
	}
	resourceAccount := req.owner()
	sub := describe(snap, c)
	rset, preq := resourceRequest(sub, req, resourceAccount)
	areq := Request{Caller: c, Action: req.Action, Resource: req.Resource, Context: req.Context}

	var matches [4]policy.Match
	res := policy.Result{Matches: matches[:0]}
	rDecision := rset.Evaluate(preq, &res)
	sc := &scene{req: areq, sub: sub, preq: *preq, owner: policySide{KindResource, resourceAccount, rset}, ownerAccount: resourceAccount, callerSides: !c.IsRoot(), quiet: quiet}
	if quiet && rDecision == policy.Denied {
		return errDenied
	}
	if rDecision == policy.Denied {
		return sc.explicitDeny(KindResource, rset.Explain(preq).Statements)
	}
	cross := c.AccountID != resourceAccount
	noResourceAllow := func() error {
		if quiet {
			return errDenied
		}
		rule := "Across accounts the resource's owner must allow through a resource-based policy, and the caller's account through an identity-based policy"
		if !cross {
			rule = "A KMS key policy must allow every use of the key, in its own account too"
		}
		if rset == nil {
			sc.note = "the resource has no resource-based policy"
		}
		return withNearMiss(sc.deny("because no resource-based policy allows the "+req.Action+" action", "", rule,
			fmt.Sprintf("in account %s, allow %s on %s for %s in the resource's policy", resourceAccount, req.Action, req.Resource, c.ARN), rset.Explain(preq).Statements))
	}
	if c.IsRoot() {
		// The root user has every permission in its own account; only a
		// resource policy's Deny (above) or a key policy that does not
		// allow it stands in its way. Elsewhere the resource policy
		// decides.
		if (cross || req.KeyPolicy) && rDecision != policy.Allowed {
			return noResourceAllow()
		}
		return nil
	}
	needResource := cross || req.KeyPolicy
	needIdentity, needLimits := true, true
	// A session whose role or user was deleted (or re-created) is no
	// longer the principal a resource policy names: nothing grants it
	// alone.
	if !cross && !sub.stale && rDecision == policy.Allowed {
		switch res.Principal {
		case policy.MatchUser, policy.MatchSession, policy.MatchFederatedUser:
			needIdentity, needLimits = false, false
		case policy.MatchRole, policy.MatchAll:
			needIdentity = false
		}
	}
	if needResource && rDecision != policy.Allowed {
		// Explicit denies on the caller's side come first.
		if err := sub.callerSide(sc, false, false); err != nil {
			return err
		}
		return noResourceAllow()
	}
	if err := sub.callerSide(sc, needIdentity, needLimits); err != nil {
		if quiet {
			return err
		}
		// In its own account the resource policy could have allowed
		// alone: its statements explain the refusal too.
		var more []policy.StatementTrace
		if rset != nil && rDecision != policy.Allowed {
			more = rset.Explain(preq).Statements
		}
		return withNearMiss(err, more...)
	}
	return nil
}

// resourceRequest is the resource's policy set and the request the
// caller's and the resource's policies are evaluated on: only the keys
// some policy in play reads are set.
func resourceRequest(sub *subject, req ResourceRequest, resourceAccount string) (*policy.Set, *policy.Request) {
	rset, rNeed := resourceSet(req)
	need := sub.need | rNeed
	ctx := sub.contextFor(req.Context, need)
	if need&kResourceAccount != 0 {
		ctx.Set("aws:resourceaccount", resourceAccount)
	}
	if need&kResourceTag != 0 {
		for _, t := range req.ResourceTags {
			ctx.Set("aws:ResourceTag/"+t.Key, t.Value)
		}
	}
	if need&kTime != 0 && req.Caller.RequestTime.IsZero() {
		ctx.SetTime(time.Now())
	}
	return rset, &policy.Request{Principal: sub.principal, Action: req.Action, Resource: req.Resource, Context: ctx}
}

// owner is the account that owns the resource: ResourceAccount, else
// the resource ARN's account, else the caller's.
func (req *ResourceRequest) owner() string {
	if req.ResourceAccount != "" {
		return req.ResourceAccount
	}
	if a := accountOf(req.Resource); a != "" && a != "aws" {
		return a
	}
	return req.Caller.AccountID
}

// resourceSets caches the policy set of each resource policy, and the
// keys it reads, by its compiled policy and name: the gateway passes the
// same *policy.Policy for every request on a resource while its policy
// is unchanged. The cache is bounded; when full, it is emptied.
var resourceSets = struct {
	sync.RWMutex
	m map[resourceSetKey]principalSets
}{m: map[resourceSetKey]principalSets{}}

type resourceSetKey struct {
	p    *policy.Policy
	name string
}

const maxCachedResourceSets = 4096

// resourceSet returns the request's resource policy as a policy set, and
// the keys it reads; nil when the resource has none.
func resourceSet(req ResourceRequest) (*policy.Set, keySet) {
	if req.Policy == nil {
		return nil, 0
	}
	k := resourceSetKey{req.Policy, req.PolicyName}
	resourceSets.RLock()
	ps, ok := resourceSets.m[k]
	resourceSets.RUnlock()
	if ok {
		return ps.identity, ps.need
	}
	name := req.PolicyName
	if name == "" {
		name = "resource-based policy of " + req.Resource
	}
	ps = newPrincipalSets(policy.NewSet(policy.Entry{ID: name, Policy: req.Policy}), nil)
	resourceSets.Lock()
	if len(resourceSets.m) >= maxCachedResourceSets {
		clear(resourceSets.m)
	}
	resourceSets.m[k] = ps
	resourceSets.Unlock()
	return ps.identity, ps.need
}

// withNearMiss completes an implicit denial: more statement traces join
// its explanation, and its message names the Allow statement that came
// closest, the first whose action, resource and principal matched but
// whose condition did not hold (or whose policy variable could not be
// resolved), with its policy and the reason, as the STS refusals name
// the statement that decided. Explicit denials and other errors pass
// unchanged.
func withNearMiss(err error, more ...policy.StatementTrace) error {
	d, ok := err.(*Denied)
	if !ok || len(appliedDenies(d.Explanation)) > 0 {
		return err
	}
	d.Explanation = append(d.Explanation, more...)
	for _, t := range d.Explanation {
		if t.Effect == policy.Allow && (t.Outcome == policy.ConditionFalse || t.Outcome == policy.VariableUnresolved) {
			if d.AWSMessage == "" {
				d.AWSMessage = d.Message
			}
			d.Message += fmt.Sprintf(" (%s, %s: %s)", t.PolicyID, statementLabel(t), t.Reason)
			break
		}
	}
	return d
}
