package iam_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// The policies of TestForeignManagedPolicies: a customer managed policy
// of account A, an ARN of A that names no policy, and a policy of B.
const (
	fpSecretDoc   = `{"Version":"2012-10-17","Statement":[{"Sid":"SecretOfA","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a-private-bucket/*"}]}`
	fpForeignARN  = "arn:aws:iam::" + testenv.AccountA + ":policy/secret-of-a"
	fpMissingARN  = "arn:aws:iam::" + testenv.AccountA + ":policy/no-such-policy"
	fpOwnDoc      = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	fpTrustB      = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testenv.AccountB + `:root"},"Action":"sts:AssumeRole"}]}`
	fpIdentityDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
)

// TestForeignManagedPolicies: account B can't use account A's customer
// managed policy as a permissions boundary (CreateRole, CreateUser,
// PutRolePermissionsBoundary, PutUserPermissionsBoundary) or attach it
// (AttachRolePolicy, AttachUserPolicy, AttachGroupPolicy); the refusal is
// the one for an ARN of A that names no policy, word for word, so B can't
// learn whether A's policy exists; and B's simulator, which evaluates the
// boundary, shows nothing of A's document. AWS managed policies and B's
// own policies still serve.
func TestForeignManagedPolicies(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	a, b := env.RootIAM(testenv.AccountA), env.RootIAM(testenv.AccountB)
	if got := polCreate(t, a, "secret-of-a", fpSecretDoc); got != fpForeignARN {
		t.Fatalf("A's policy ARN = %s", got)
	}
	ownARN := polCreate(t, b, "own-boundary", fpOwnDoc)

	polMust(t, "CreateRole", fpCreateRole(ctx, b, "app", nil))
	polMust(t, "PutRolePolicy", func() error {
		_, err := b.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("read"), PolicyDocument: aws.String(fpIdentityDoc)})
		return err
	}())
	_, err := b.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dev")})
	polMust(t, "CreateUser", err)
	_, err = b.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")})
	polMust(t, "CreateGroup", err)

	cases := []struct {
		name string
		call func(policyARN string) error
		want testenv.Refusal
	}{
		{"CreateRole boundary", func(p string) error {
			return fpCreateRole(ctx, b, "bounded", &p)
		}, testenv.Refusal{Code: "NoSuchEntity", Message: "Scope ARN: ARN does not exist or is not attachable.", Status: 404}},
		{"CreateUser boundary", func(p string) error {
			_, err := b.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bounded"), PermissionsBoundary: aws.String(p)})
			return err
		}, testenv.Refusal{Code: "NoSuchEntity", Message: "Scope ARN: ARN does not exist or is not attachable.", Status: 404}},
		{"PutRolePermissionsBoundary", func(p string) error {
			_, err := b.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("app"), PermissionsBoundary: aws.String(p)})
			return err
		}, testenv.Refusal{Code: "NoSuchEntity", Message: "Scope ARN: ARN does not exist or is not attachable.", Status: 404}},
		{"PutUserPermissionsBoundary", func(p string) error {
			_, err := b.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("dev"), PermissionsBoundary: aws.String(p)})
			return err
		}, testenv.Refusal{Code: "NoSuchEntity", Message: "Scope ARN: ARN does not exist or is not attachable.", Status: 404}},
		{"AttachRolePolicy", func(p string) error {
			_, err := b.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String(p)})
			return err
		}, testenv.Refusal{Code: "NoSuchEntity", Message: "Policy ARN does not exist or is not attachable.", Status: 404}},
		{"AttachUserPolicy", func(p string) error {
			_, err := b.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("dev"), PolicyArn: aws.String(p)})
			return err
		}, testenv.Refusal{Code: "NoSuchEntity", Message: "Policy ARN does not exist or is not attachable.", Status: 404}},
		{"AttachGroupPolicy", func(p string) error {
			_, err := b.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("devs"), PolicyArn: aws.String(p)})
			return err
		}, testenv.Refusal{Code: "NoSuchEntity", Message: "Policy ARN does not exist or is not attachable.", Status: 404}},
	}
	for _, tc := range cases {
		foreign := testenv.RefusalOf(tc.call(fpForeignARN), fpForeignARN)
		missing := testenv.RefusalOf(tc.call(fpMissingARN), fpMissingARN)
		if foreign != tc.want {
			t.Errorf("%s with A's policy: %+v, want %+v", tc.name, foreign, tc.want)
		}
		if foreign != missing {
			t.Errorf("%s: A's policy refused as %+v, a missing one as %+v: existence is observable", tc.name, foreign, missing)
		}
	}

	// Nothing was set or attached.
	role, err := b.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app")})
	polMust(t, "GetRole", err)
	if role.Role.PermissionsBoundary != nil {
		t.Errorf("role boundary = %s", aws.ToString(role.Role.PermissionsBoundary.PermissionsBoundaryArn))
	}
	if _, err := b.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("bounded")}); testenv.ErrorCode(err) != "NoSuchEntity" {
		t.Errorf("role created with A's boundary: %v", err)
	}
	user, err := b.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("dev")})
	polMust(t, "GetUser", err)
	if user.User.PermissionsBoundary != nil {
		t.Errorf("user boundary = %s", aws.ToString(user.User.PermissionsBoundary.PermissionsBoundaryArn))
	}
	attached, err := b.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("app")})
	polMust(t, "ListAttachedRolePolicies", err)
	if len(attached.AttachedPolicies) != 0 {
		t.Errorf("attached to the role: %+v", attached.AttachedPolicies)
	}

	// The simulator evaluates the role's policies and boundary: it has no
	// boundary to evaluate, and no statement of A's document matches.
	sim, err := b.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: role.Role.Arn, ActionNames: []string{"s3:GetObject"}, ResourceArns: []string{"arn:aws:s3:::a-private-bucket/key"},
	})
	polMust(t, "SimulatePrincipalPolicy", err)
	for _, r := range sim.EvaluationResults {
		if r.PermissionsBoundaryDecisionDetail != nil {
			t.Errorf("simulation evaluates a boundary: %+v", r.PermissionsBoundaryDecisionDetail)
		}
		for _, st := range r.MatchedStatements {
			if st.SourcePolicyType != "IAM Policy" || aws.ToString(st.SourcePolicyId) != "role_app_read" {
				t.Errorf("simulation matched %s %s", st.SourcePolicyType, aws.ToString(st.SourcePolicyId))
			}
		}
	}

	// An AWS managed policy and B's own policy are boundaries and
	// attachments as before.
	for _, p := range []string{polReadARN, ownARN} {
		if err := fpCreateRole(ctx, b, "bounded", &p); err != nil {
			t.Errorf("CreateRole with boundary %s: %v", p, err)
		}
		if _, err := b.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("bounded")}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("app"), PermissionsBoundary: aws.String(p)}); err != nil {
			t.Errorf("PutRolePermissionsBoundary %s: %v", p, err)
		}
		if _, err := b.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("dev"), PermissionsBoundary: aws.String(p)}); err != nil {
			t.Errorf("PutUserPermissionsBoundary %s: %v", p, err)
		}
		if _, err := b.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String(p)}); err != nil {
			t.Errorf("AttachRolePolicy %s: %v", p, err)
		}
	}
	role, err = b.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app")})
	polMust(t, "GetRole", err)
	if role.Role.PermissionsBoundary == nil || aws.ToString(role.Role.PermissionsBoundary.PermissionsBoundaryArn) != ownARN {
		t.Errorf("role boundary = %+v, want %s", role.Role.PermissionsBoundary, ownARN)
	}

	// A malformed ARN is still InvalidInput, as IAM answers.
	_, err = b.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("app"), PermissionsBoundary: aws.String("arn:aws:iam::" + testenv.AccountA + ":role/app")})
	if got := testenv.RefusalOf(err, ""); got.Code != "InvalidInput" || got.Status != 400 {
		t.Errorf("role ARN as boundary: %+v", got)
	}
}

// fpCreateRole creates a role trusting account B, with an optional
// permissions boundary.
func fpCreateRole(ctx context.Context, c *iam.Client, name string, boundary *string) error {
	_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(fpTrustB), PermissionsBoundary: boundary})
	return err
}
