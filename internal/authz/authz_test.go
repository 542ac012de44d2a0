package authz_test

import (
	"errors"
	"testing"

	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

const (
	azAccountA = "111111111111"
	azAccountB = "222222222222"
	azAllowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	azAllowGet = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`
)

// azPolicy is a customer managed policy of account allowing everything.
func azPolicy(t *testing.T, account, name string) *directory.ManagedPolicy {
	t.Helper()
	p, err := policy.Parse(azAllowAll, policy.Identity)
	if err != nil {
		t.Fatal(err)
	}
	return &directory.ManagedPolicy{
		Name: name, Path: "/", ARN: "arn:aws:iam::" + account + ":policy/" + name, DefaultVersion: "v1",
		Versions: []directory.PolicyVersion{{VersionID: "v1", Document: azAllowAll, Compiled: p}},
	}
}

// azInline is an inline policy allowing iam:GetUser.
func azInline(t *testing.T) []directory.InlinePolicy {
	t.Helper()
	p, err := policy.Parse(azAllowGet, policy.Identity)
	if err != nil {
		t.Fatal(err)
	}
	return []directory.InlinePolicy{{Name: "get", Document: azAllowGet, Compiled: p}}
}

// TestOtherAccountsPoliciesGrantNothing: state that IAM and STS no
// longer let anyone create (it may come from an older store) is
// evaluated closed. Account A's user or role whose boundary, attached
// policy or managed session policy is a policy of account B: the boundary
// allows nothing, the attachment and the session policy grant nothing.
// The same set-ups with A's own policy are the controls.
func TestOtherAccountsPoliciesGrantNothing(t *testing.T) {
	snap := directory.NewSnapshot()
	acctA, acctB := directory.NewAccountIAM(), directory.NewAccountIAM()
	snap.IAM[azAccountA], snap.IAM[azAccountB] = acctA, acctB
	own, foreign := azPolicy(t, azAccountA, "own"), azPolicy(t, azAccountB, "foreign")
	acctA.Policies[own.ARN], acctB.Policies[foreign.ARN] = own, foreign

	user := func(name string, p directory.Principal) *directory.Caller {
		p.Name, p.Path, p.ID, p.ARN = name, "/", "AIDA"+name, "arn:aws:iam::"+azAccountA+":user/"+name
		acctA.Users[directory.Key(name)] = &directory.User{Principal: p}
		return &directory.Caller{AccountID: azAccountA, ARN: p.ARN, UserName: name}
	}
	session := func(name string, policyARN string) *directory.Caller {
		r := &directory.Role{Principal: directory.Principal{Name: name, Path: "/", ID: "AROA" + name, ARN: "arn:aws:iam::" + azAccountA + ":role/" + name, Inline: azInline(t)}}
		acctA.Roles[directory.Key(name)] = r
		s := &directory.Session{AccountID: azAccountA, RoleName: name, RolePath: "/", RoleID: r.ID, SessionName: "s", PolicyARNs: []string{policyARN}}
		return &directory.Caller{AccountID: azAccountA, ARN: s.ARN(), Session: s}
	}

	cases := []struct {
		name    string
		caller  *directory.Caller
		action  string
		allowed bool
	}{
		{"own boundary", user("own-boundary", directory.Principal{Inline: azInline(t), Boundary: own.ARN}), "iam:GetUser", true},
		{"foreign boundary", user("foreign-boundary", directory.Principal{Inline: azInline(t), Boundary: foreign.ARN}), "iam:GetUser", false},
		{"own attachment", user("own-attached", directory.Principal{Attached: []string{own.ARN}}), "iam:ListUsers", true},
		{"foreign attachment", user("foreign-attached", directory.Principal{Attached: []string{foreign.ARN}}), "iam:ListUsers", false},
		{"own session policy", session("own-session", own.ARN), "iam:GetUser", true},
		{"foreign session policy", session("foreign-session", foreign.ARN), "iam:GetUser", false},
	}
	for _, tc := range cases {
		err := authz.Authorize(snap, authz.Request{Caller: tc.caller, Action: tc.action, Resource: "*", Context: policy.NewContext()})
		var d *authz.Denied
		switch {
		case tc.allowed && err != nil:
			t.Errorf("%s: %s refused: %v", tc.name, tc.action, err)
		case !tc.allowed && !errors.As(err, &d):
			t.Errorf("%s: %s = %v, want a refusal", tc.name, tc.action, err)
		}
	}
}
