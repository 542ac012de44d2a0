package sts_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// paWorld: role "target" of account A, assumed by B's deployer, and
// "pod-target", assumed with a token of A's cluster, both allowed
// iam:GetRole and iam:ListRoles. A's "get-role-only" policy narrows a
// session to iam:GetRole; B and a third account C each have a policy
// allowing everything, which must not serve as a session policy of A's
// roles.
var paWorld = `accounts:
  - id: "111111111111"
    name: account-a
    clusters: [{name: prod}]
    oidc_providers: [{cluster: account-a/prod, client_ids: [sts.amazonaws.com]}]
    policies:
      - name: get-role-only
        document: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*"}]}'
    roles:
      - name: target
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:user/deployer"},"Action":"sts:AssumeRole"}]}'
        policies:
          iam-read: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetRole","iam:ListRoles"],"Resource":"*"}]}'
      - name: pod-target
        trust: ` + wiTrust("111111111111", "{{issuer account-a/prod}}", "system:serviceaccount:default:app") + `
        policies:
          iam-read: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetRole","iam:ListRoles"],"Resource":"*"}]}'
      - name: untrusted
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}'
  - id: "222222222222"
    name: account-b
    policies:
      - name: everything
        document: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
    users:
      - name: deployer
        access_keys: [{id: AKIADEPLOYER00000001, secret: "deployerSecretDeployerSecretDeployerSe01"}]
        policies:
          assume: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::111111111111:role/*"}]}'
  - id: "333333333333"
    name: account-c
    policies:
      - name: everything
        document: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
`

const (
	paRoleOnly   = "arn:aws:iam::111111111111:policy/get-role-only"
	paMissing    = "arn:aws:iam::111111111111:policy/no-such-policy"
	paCallers    = "arn:aws:iam::222222222222:policy/everything"
	paThirds     = "arn:aws:iam::333333333333:policy/everything"
	paAWSMissing = "arn:aws:iam::aws:policy/NoSuchAWSPolicy"
)

// TestSessionPolicyARNsOfTheRolesAccount: AssumeRole and
// AssumeRoleWithWebIdentity accept as PolicyArns only AWS managed
// policies and policies of the account of the role being assumed. The
// caller's own account's policy and a third account's are refused exactly
// as a policy of the role's account that does not exist; an accepted
// policy narrows the session; and a caller the role does not trust learns
// nothing about policies either way.
func TestSessionPolicyARNsOfTheRolesAccount(t *testing.T) {
	env := startWorld(t, paWorld)
	ctx := context.Background()
	deployer := sts.NewFromConfig(env.Config(deployerKey, deployerSecret, ""))
	token := wiToken(t, env, testenv.AccountA, "prod", "default", "app")
	want := testenv.Refusal{Code: "MalformedPolicyDocument", Message: "Policy ARN does not exist or is not attachable.", Status: 400}

	paths := []struct {
		name   string
		assume func(policyARN string) (*types.Credentials, error)
	}{
		{"AssumeRole", func(p string) (*types.Credentials, error) {
			out, err := deployer.AssumeRole(ctx, &sts.AssumeRoleInput{
				RoleArn: aws.String("arn:aws:iam::111111111111:role/target"), RoleSessionName: aws.String("session"),
				PolicyArns: []types.PolicyDescriptorType{{Arn: aws.String(p)}},
			})
			if err != nil {
				return nil, err
			}
			return out.Credentials, nil
		}},
		{"AssumeRoleWithWebIdentity", func(p string) (*types.Credentials, error) {
			out, err := wiAssume(env, "arn:aws:iam::111111111111:role/pod-target", token, func(in *sts.AssumeRoleWithWebIdentityInput) {
				in.PolicyArns = []types.PolicyDescriptorType{{Arn: aws.String(p)}}
			})
			if err != nil {
				return nil, err
			}
			return out.Credentials, nil
		}},
	}
	for _, path := range paths {
		missing := testenv.RefusalOf(func() error { _, err := path.assume(paMissing); return err }(), paMissing)
		if missing != want {
			t.Errorf("%s with a missing policy of the role's account: %+v, want %+v", path.name, missing, want)
		}
		for _, p := range []string{paCallers, paThirds, paAWSMissing} {
			_, err := path.assume(p)
			if got := testenv.RefusalOf(err, p); got != missing {
				t.Errorf("%s with %s: %+v, want the answer for a missing policy %+v", path.name, p, got, missing)
			}
		}

		// The role's account's policy and an AWS managed one serve, and
		// narrow the session.
		if _, err := path.assume("arn:aws:iam::aws:policy/ReadOnlyAccess"); err != nil {
			t.Errorf("%s with an AWS managed policy: %v", path.name, err)
		}
		c, err := path.assume(paRoleOnly)
		if err != nil {
			t.Fatalf("%s with the role's account's policy: %v", path.name, err)
		}
		session := iam.NewFromConfig(env.Config(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)))
		if _, err := session.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("target")}); err != nil {
			t.Errorf("%s: GetRole in a session narrowed to it: %v", path.name, err)
		}
		if _, err := session.ListRoles(ctx, &iam.ListRolesInput{}); testenv.ErrorCode(err) != "AccessDenied" {
			t.Errorf("%s: ListRoles outside the session policy: %v, want AccessDenied", path.name, err)
		}
	}

	// A role that does not trust the caller answers AccessDenied before
	// looking at any policy, so the answer says nothing about them.
	for _, p := range []string{paRoleOnly, paMissing, paCallers} {
		_, err := deployer.AssumeRole(ctx, &sts.AssumeRoleInput{
			RoleArn: aws.String("arn:aws:iam::111111111111:role/untrusted"), RoleSessionName: aws.String("session"),
			PolicyArns: []types.PolicyDescriptorType{{Arn: aws.String(p)}},
		})
		if got := testenv.RefusalOf(err, p); got.Code != "AccessDenied" || got.Status != 403 {
			t.Errorf("untrusted role with %s: %+v, want AccessDenied", p, got)
		}
	}
}
