package iam_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// apiCode returns the AWS error code of err, or "".
func apiCode(err error) string { return testenv.ErrorCode(err) }

const trustB = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole"}]}`

func TestRoleLifecycle(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)

	out, err := c.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String("app"), Path: aws.String("/team/"), AssumeRolePolicyDocument: aws.String(trustB),
		Description: aws.String("d"), MaxSessionDuration: aws.Int32(7200), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("x")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := out.Role
	if aws.ToString(r.Arn) != "arn:aws:iam::111111111111:role/team/app" || !strings.HasPrefix(aws.ToString(r.RoleId), "AROA") || len(aws.ToString(r.RoleId)) != 21 {
		t.Fatalf("CreateRole = %s %s", aws.ToString(r.Arn), aws.ToString(r.RoleId))
	}
	if doc, _ := url.QueryUnescape(aws.ToString(r.AssumeRolePolicyDocument)); doc != trustB {
		t.Fatalf("trust policy round trip: %q", doc)
	}

	for _, tc := range []struct {
		name string
		call func() error
		code string
	}{
		{"duplicate, other case", func() error {
			_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("APP"), AssumeRolePolicyDocument: aws.String(trustB)})
			return err
		}, "EntityAlreadyExists"},
		{"bad name", func() error {
			_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("a b"), AssumeRolePolicyDocument: aws.String(trustB)})
			return err
		}, "ValidationError"},
		{"session duration too long", func() error {
			_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("x"), AssumeRolePolicyDocument: aws.String(trustB), MaxSessionDuration: aws.Int32(50000)})
			return err
		}, "ValidationError"},
		{"trust names a missing role", func() error {
			_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("x"), AssumeRolePolicyDocument: aws.String(strings.Replace(trustB, "root", "role/nope", 1))})
			return err
		}, "MalformedPolicyDocument"},
		{"trust with a resource", func() error {
			_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("x"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}]}`)})
			return err
		}, "MalformedPolicyDocument"},
		{"missing role", func() error {
			_, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("nope")})
			return err
		}, "NoSuchEntity"},
		{"attach a missing policy", func() error {
			_, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String("arn:aws:iam::aws:policy/Nope")})
			return err
		}, "NoSuchEntity"},
	} {
		if err := tc.call(); apiCode(err) != tc.code {
			t.Errorf("%s: err = %v, want %s", tc.name, err, tc.code)
		}
	}

	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("p"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("app")}); apiCode(err) != "DeleteConflict" {
		t.Fatalf("delete with policies: %v", err)
	}

	// Everything survives a restart.
	env.Restart()
	c = env.RootIAM(testenv.AccountA)
	got, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app")})
	if err != nil || aws.ToInt32(got.Role.MaxSessionDuration) != 7200 || len(got.Role.Tags) != 1 {
		t.Fatalf("after restart: %+v %v", got, err)
	}
	att, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("app")})
	if err != nil || len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyName) != "ReadOnlyAccess" {
		t.Fatalf("attached after restart: %+v %v", att, err)
	}
	if _, err := c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("p")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("app")}); err != nil {
		t.Fatal(err)
	}
	// Account B does not see account A's roles.
	list, err := env.RootIAM(testenv.AccountB).ListRoles(ctx, &iam.ListRolesInput{})
	if err != nil || len(list.Roles) != 0 {
		t.Fatalf("account B lists %v, %v", list, err)
	}
}

func TestListRolesPagination(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	for _, n := range []string{"r3", "r1", "r5", "r2", "r4"} {
		if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(n), AssumeRolePolicyDocument: aws.String(trustB)}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	p := iam.NewListRolesPaginator(c, &iam.ListRolesInput{MaxItems: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range out.Roles {
			names = append(names, aws.ToString(r.RoleName))
		}
	}
	if strings.Join(names, ",") != "r1,r2,r3,r4,r5" || pages != 3 {
		t.Fatalf("paginated %v in %d pages", names, pages)
	}
}
