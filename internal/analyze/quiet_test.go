package analyze_test

import (
	"testing"

	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/internal/explain"
	"github.com/assumed-dev/assumed/policy"
)

// TestQuietDecisionsAgree: the graph decides with authz's quiet
// decisions (no explanation of refusals); on every principal × role ×
// request of the test world they agree with the explaining ones the
// services use.
func TestQuietDecisionsAgree(t *testing.T) {
	snap := worldSnapshot(t, "testdata/world.yaml")
	var principals []string
	for _, a := range snap.IAM {
		for _, u := range a.Users {
			principals = append(principals, u.ARN)
		}
		for _, r := range a.Roles {
			principals = append(principals, r.ARN)
		}
	}
	n := 0
	for _, p := range principals {
		c, err := explain.Caller(snap, p, snap.Accounts[acctApp].CreateDate)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range snap.IAM {
			for _, role := range a.Roles {
				for _, ext := range []string{"", "ci-123", "vendor-7f3a"} {
					ctx := policy.NewContext()
					if ext != "" {
						ctx.Set("sts:ExternalId", ext)
					}
					for _, actions := range [][]string{{"sts:AssumeRole"}, {"sts:AssumeRole", "sts:TagSession"}} {
						loud := authz.AssumeRole(snap, c, role, actions, ctx) == nil
						if quiet := authz.CanAssumeRole(snap, c, role, actions, ctx); quiet != loud {
							t.Errorf("%s assuming %s (external ID %q, %v): quiet %v, explained %v", p, role.ARN, ext, actions, quiet, loud)
						}
						n++
					}
				}
				for _, action := range []string{"iam:PassRole", "iam:PutRolePolicy", "sts:AssumeRole"} {
					req := authz.Request{Caller: c, Action: action, Resource: role.ARN, Context: policy.NewContext()}
					if quiet, loud := authz.Allowed(snap, req), authz.Authorize(snap, req) == nil; quiet != loud {
						t.Errorf("%s %s on %s: quiet %v, explained %v", p, action, role.ARN, quiet, loud)
					}
					n++
				}
			}
		}
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"*"}]}`
		rp, err := policy.Parse(doc, policy.Resource)
		if err != nil {
			t.Fatal(err)
		}
		for _, action := range []string{"s3:GetObject", "s3:DeleteObject", "s3:PutObject"} {
			req := authz.ResourceRequest{Caller: c, Action: action, Resource: "arn:aws:s3:::b/k", ResourceAccount: acctApp, Policy: rp, Context: policy.NewContext()}
			if quiet, loud := authz.ResourceAllowed(snap, req), authz.AuthorizeResource(snap, req) == nil; quiet != loud {
				t.Errorf("%s %s on the bucket: quiet %v, explained %v", p, action, quiet, loud)
			}
			n++
		}
	}
	if n < 1000 {
		t.Fatalf("only %d decisions compared", n)
	}
}
