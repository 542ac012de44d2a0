package sts_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// A role session assuming its own role needs the role's trust policy to
// name the role: a trust of the role's account does not cover it (AWS's
// rule since 2023). Through the SDK: refused with the account's trust,
// allowed once the trust names the role too.
func TestRoleAssumingItselfMustBeNamed(t *testing.T) {
	env := startWorld(t, seed001)
	ctx := context.Background()
	root := env.RootIAM(testenv.AccountB)
	const self = "arn:aws:iam::222222222222:role/self"
	accountTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole"}]}`
	if _, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("self"), AssumeRolePolicyDocument: aws.String(accountTrust)}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("self"), PolicyName: aws.String("again"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"` + self + `"}]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("deployer"), PolicyName: aws.String("self"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"` + self + `"}]}`)}); err != nil {
		t.Fatal(err)
	}
	first, err := sts.NewFromConfig(env.Config(deployerKey, deployerSecret, "")).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(self), RoleSessionName: aws.String("first")})
	if err != nil {
		t.Fatalf("the user assuming the role: %v", err)
	}
	c := first.Credentials
	session := sts.NewFromConfig(env.Config(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)))
	again := func() error {
		_, err := session.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(self), RoleSessionName: aws.String("again")})
		return err
	}
	err = again()
	if testenv.ErrorCode(err) != "AccessDenied" || !strings.Contains(err.Error(), "does not name the role itself") {
		t.Fatalf("the role assuming itself through its account's trust: %v, want AccessDenied saying the trust must name it", err)
	}
	named := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::222222222222:root","` + self + `"]},"Action":"sts:AssumeRole"}]}`
	if _, err := root.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("self"), PolicyDocument: aws.String(named)}); err != nil {
		t.Fatal(err)
	}
	if err := again(); err != nil {
		t.Fatalf("the role assuming itself, named by its trust: %v", err)
	}
}
