// Package authz decides whether a caller may make a request, with AWS's
// logic across policy types and accounts, and says why not: which account,
// which policy and which statement.
//
// Today it authorizes IAM's own API for IAM users and root users:
// identity-based policies (the user's inline and managed policies and its
// groups'), limited by the user's permissions boundary. STS sessions,
// resource and trust policies and SCPs come with the STS work.
package authz

import (
	"fmt"
	"strings"

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
	Message string
	// Explanation lists the statements that decided, for logs and
	// `assumed explain`.
	Explanation []policy.StatementTrace
}

func (d *Denied) Error() string { return d.Message }

// Authorize decides an IAM API request in the caller's own account. It
// returns nil when allowed and a *Denied otherwise.
func Authorize(snap *directory.Snapshot, req Request) error {
	c := req.Caller
	resourceAccount := c.AccountID
	if a, err := arn.Parse(req.Resource); err == nil && a.AccountID != "" && a.AccountID != "aws" {
		resourceAccount = a.AccountID
	}
	if resourceAccount != c.AccountID {
		return deny(req, "because no resource-based policy allows the "+req.Action+" action", nil)
	}
	if c.IsRoot() {
		return nil
	}
	acct := snap.AccountIAM(c.AccountID)
	u, ok := acct.Users[directory.Key(c.UserName)]
	if !ok {
		return deny(req, "because no identity-based policy allows the "+req.Action+" action", nil)
	}
	ctx := callerContext(req, u)
	preq := &policy.Request{Action: req.Action, Resource: req.Resource, Context: ctx}

	identity := policy.NewSet(identityEntries(snap, acct, u)...)
	var res policy.Result
	switch identity.Evaluate(preq, &res) {
	case policy.Denied:
		return explicitDeny(req, "an identity-based policy", identity.Explain(preq).Statements)
	case policy.NotApplicable:
		return deny(req, "because no identity-based policy allows the "+req.Action+" action", identity.Explain(preq).Statements)
	}
	if u.Boundary != "" {
		bp, ok := snap.Policy(u.Boundary)
		var entries []policy.Entry
		if ok && bp.Default() != nil {
			entries = append(entries, policy.Entry{ID: u.Boundary + " (permissions boundary)", Policy: bp.Default().Compiled})
		}
		boundary := policy.NewSet(entries...)
		switch boundary.Evaluate(preq, &res) {
		case policy.Denied:
			return explicitDeny(req, "a permissions boundary", boundary.Explain(preq).Statements)
		case policy.NotApplicable:
			return deny(req, "because no permissions boundary allows the "+req.Action+" action", boundary.Explain(preq).Statements)
		}
	}
	return nil
}

// identityEntries are the user's identity-based policies: its inline and
// attached policies, then each group's.
func identityEntries(snap *directory.Snapshot, acct *directory.AccountIAM, u *directory.User) []policy.Entry {
	var out []policy.Entry
	add := func(owner string, p *directory.Principal) {
		for _, ip := range p.Inline {
			out = append(out, policy.Entry{ID: fmt.Sprintf("inline policy %s of %s", ip.Name, owner), Policy: ip.Compiled})
		}
		for _, a := range p.Attached {
			if mp, ok := snap.Policy(a); ok && mp.Default() != nil {
				out = append(out, policy.Entry{ID: a, Policy: mp.Default().Compiled})
			}
		}
	}
	add("user "+u.Name, &u.Principal)
	for _, g := range acct.GroupsOf(u.Name) {
		add("group "+g.Name, &g.Principal)
	}
	return out
}

// callerContext returns the request's condition keys with the caller's.
func callerContext(req Request, u *directory.User) *policy.Context {
	ctx := req.Context
	if ctx == nil {
		ctx = policy.NewContext()
	} else {
		ctx = ctx.Clone()
	}
	c := req.Caller
	ctx.Set("aws:username", u.Name)
	ctx.Set("aws:userid", u.ID)
	ctx.Set("aws:PrincipalArn", u.ARN)
	ctx.Set("aws:PrincipalAccount", c.AccountID)
	ctx.Set("aws:PrincipalType", "User")
	ctx.SetBool("aws:SecureTransport", c.SecureTransport)
	ctx.SetBool("aws:ViaAWSService", false)
	if !c.RequestTime.IsZero() {
		ctx.SetTime(c.RequestTime)
	}
	if c.SourceIP.IsValid() {
		ctx.SetIP("aws:SourceIp", c.SourceIP)
	}
	for _, t := range u.Tags {
		ctx.Set("aws:PrincipalTag/"+t.Key, t.Value)
	}
	return ctx
}

// deny builds AWS's AccessDenied message for an implicit deny:
// "User: ARN is not authorized to perform: ACTION on resource: RES because …".
func deny(req Request, why string, trace []policy.StatementTrace) *Denied {
	return &Denied{
		Message:     fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s %s", req.Caller.ARN, req.Action, resourceText(req.Action, req.Resource), why),
		Explanation: trace,
	}
}

// explicitDeny names the policy whose Deny statement applied, as AWS's
// messages do: "… with an explicit deny in an identity-based policy: ID".
func explicitDeny(req Request, kind string, trace []policy.StatementTrace) *Denied {
	var applied []policy.StatementTrace
	for _, t := range trace {
		if t.Outcome == policy.Applied && t.Effect == policy.Deny {
			applied = append(applied, t)
		}
	}
	why := "with an explicit deny in " + kind
	if len(applied) > 0 {
		why += ": " + applied[0].PolicyID
		if applied[0].Sid != "" {
			why += fmt.Sprintf(" (statement %q)", applied[0].Sid)
		}
	}
	return &Denied{
		Message:     fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s %s", req.Caller.ARN, req.Action, resourceText(req.Action, req.Resource), why),
		Explanation: applied,
	}
}

// resourceText is the resource as AWS's denial messages name it, which
// depends on the action (as seen in AWS's own messages):
//
//   - iam:CreateRole, iam:CreateUser, iam:CreateGroup: the new entity's ARN;
//   - other actions on a role, user or group: "role NAME", "user NAME", …;
//   - iam:CreatePolicy: "policy NAME"; other policy actions: "policy ARN";
//   - anything else: the ARN.
func resourceText(action, resource string) string {
	a, err := arn.Parse(resource)
	if err != nil || a.Service != "iam" {
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
