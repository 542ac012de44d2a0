package sts_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/assumed-dev/assumed/internal/testenv"
	"github.com/assumed-dev/assumed/internal/world"
)

// Fixed keys of the users the worlds below declare.
const (
	deployerKey, deployerSecret = "AKIADEPLOYER00000001", "deployerSecretDeployerSecretDeployerSe01"
	aliceKey, aliceSecret       = "AKIAALICE00000000001", "aliceSecretAliceSecretAliceSecretAlice01"
	bobKey, bobSecret           = "AKIABOB0000000000001", "bobSecretBobSecretBobSecretBobSecretBo01"
)

func startWorld(t *testing.T, doc string) *testenv.Env {
	t.Helper()
	w, err := world.Parse("world.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return testenv.Start(t, w)
}

// assumeVia returns a configuration whose credentials come from the SDK's
// own AssumeRole provider, called with base's credentials.
func assumeVia(env *testenv.Env, base aws.Config, roleARN string, opts ...func(*stscreds.AssumeRoleOptions)) aws.Config {
	cfg := env.Config("", "", "")
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base), roleARN, opts...))
	return cfg
}

// Seed 001: a role in account A with an ECR policy, trusted by a specific
// role in account B; B's role is allowed sts:AssumeRole on it. A deployer
// in B reaches A's role through B's role (role chaining).
const seed001 = `accounts:
  - id: "111111111111"
    name: account-a
    roles:
      - name: account-a-role
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/account-b-role"},"Action":"sts:AssumeRole"}]}'
        policies:
          ecr: '{"Version":"2012-10-17","Statement":[{"Sid":"allowpull","Effect":"Allow","Resource":["arn:aws:ecr:us-east-1:111111111111:repository/app"],"Action":["ecr:BatchGetImage","ecr:BatchCheckLayerAvailability","ecr:GetDownloadUrlForLayer","ecr:DescribeImages","ecr:DescribeRepositories"]},{"Effect":"Allow","Resource":"*","Action":"ecr:GetAuthorizationToken"},{"Effect":"Allow","Resource":"arn:aws:iam::111111111111:role/account-a-role","Action":"iam:SimulatePrincipalPolicy"}]}'
  - id: "222222222222"
    name: account-b
    users:
      - name: deployer
        access_keys: [{id: AKIADEPLOYER00000001, secret: "deployerSecretDeployerSecretDeployerSe01"}]
        policies:
          assume: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::222222222222:role/account-b-role"}]}'
    roles:
      - name: account-b-role
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:user/deployer"},"Action":"sts:AssumeRole"}]}'
        policies:
          assume-a: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::111111111111:role/account-a-role"}]}'
`

func TestSeed001CrossAccountRoleChain(t *testing.T) {
	env := startWorld(t, seed001)
	ctx := context.Background()
	deployer := env.Config(deployerKey, deployerSecret, "")
	inB := assumeVia(env, deployer, "arn:aws:iam::222222222222:role/account-b-role")
	inA := assumeVia(env, inB, "arn:aws:iam::111111111111:role/account-a-role")

	id, err := sts.NewFromConfig(inA).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(id.Account) != "111111111111" || !strings.HasPrefix(aws.ToString(id.Arn), "arn:aws:sts::111111111111:assumed-role/account-a-role/") ||
		!strings.HasPrefix(aws.ToString(id.UserId), "AROA") {
		t.Fatalf("GetCallerIdentity = %s %s %s", aws.ToString(id.Account), aws.ToString(id.Arn), aws.ToString(id.UserId))
	}

	// With the session's credentials: what the ECR policy allows is
	// allowed, the rest is denied.
	sim, err := iam.NewFromConfig(inA).SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::111111111111:role/account-a-role"),
		ActionNames:     []string{"ecr:BatchGetImage", "ecr:PutImage"},
		ResourceArns:    []string{"arn:aws:ecr:us-east-1:111111111111:repository/app"},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]iamtypes.PolicyEvaluationDecisionType{}
	for _, r := range sim.EvaluationResults {
		got[aws.ToString(r.EvalActionName)] = r.EvalDecision
	}
	if got["ecr:BatchGetImage"] != iamtypes.PolicyEvaluationDecisionTypeAllowed || got["ecr:PutImage"] != iamtypes.PolicyEvaluationDecisionTypeImplicitDeny {
		t.Fatalf("simulation = %v", got)
	}
	// And a call the role's policy does not grant is refused.
	if _, err := iam.NewFromConfig(inA).ListRoles(ctx, &iam.ListRolesInput{}); testenv.ErrorCode(err) != "AccessDenied" {
		t.Fatalf("ListRoles as account-a-role: %v", err)
	}
	// The deployer cannot skip the hop: A's role trusts B's role, not him.
	if _, err := sts.NewFromConfig(deployer).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/account-a-role"), RoleSessionName: aws.String("skip")}); testenv.ErrorCode(err) != "AccessDenied" {
		t.Fatalf("deployer straight to A: %v", err)
	}
}

// Seed 004: first trust B's whole account, then tighten to B's role.
const seed004 = `accounts:
  - id: "111111111111"
    name: account-a
    roles:
      - name: dynamo-writer
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole"}]}'
  - id: "222222222222"
    name: account-b
    users:
      - name: alice
        access_keys: [{id: AKIAALICE00000000001, secret: "aliceSecretAliceSecretAliceSecretAlice01"}]
        policies:
          assume: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":["arn:aws:iam::111111111111:role/dynamo-writer","arn:aws:iam::222222222222:role/lambda"]}]}'
      - name: bob
        access_keys: [{id: AKIABOB0000000000001, secret: "bobSecretBobSecretBobSecretBobSecretBo01"}]
    roles:
      - name: lambda
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:user/alice"},"Action":"sts:AssumeRole"}]}'
        policies:
          assume: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::111111111111:role/dynamo-writer"}]}'
`

func TestSeed004AccountTrustThenTightened(t *testing.T) {
	env := startWorld(t, seed004)
	ctx := context.Background()
	role := aws.String("arn:aws:iam::111111111111:role/dynamo-writer")
	alice := sts.NewFromConfig(env.Config(aliceKey, aliceSecret, ""))
	bob := sts.NewFromConfig(env.Config(bobKey, bobSecret, ""))

	// Trusting the account: any B principal whose identity policy allows.
	if _, err := alice.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role, RoleSessionName: aws.String("sa")}); err != nil {
		t.Fatalf("alice with an identity allow: %v", err)
	}
	_, err := bob.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role, RoleSessionName: aws.String("sb")})
	if testenv.ErrorCode(err) != "AccessDenied" || !strings.Contains(err.Error(), "User: arn:aws:iam::222222222222:user/bob is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111111111111:role/dynamo-writer because no identity-based policy allows the sts:AssumeRole action") {
		t.Fatalf("bob without an identity allow: %v", err)
	}

	// Tighten the trust to B's lambda role.
	if _, err := env.RootIAM(testenv.AccountA).UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("dynamo-writer"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/lambda"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		t.Fatal(err)
	}
	_, err = alice.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role, RoleSessionName: aws.String("sa")})
	if testenv.ErrorCode(err) != "AccessDenied" || !strings.Contains(err.Error(), "because the trust policy of role arn:aws:iam::111111111111:role/dynamo-writer in account 111111111111 does not allow") {
		t.Fatalf("alice after tightening: %v", err)
	}
	viaLambda := assumeVia(env, assumeVia(env, env.Config(aliceKey, aliceSecret, ""), "arn:aws:iam::222222222222:role/lambda"), *role)
	id, err := sts.NewFromConfig(viaLambda).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || !strings.HasPrefix(aws.ToString(id.Arn), "arn:aws:sts::111111111111:assumed-role/dynamo-writer/") {
		t.Fatalf("through B's lambda role: %v %v", id, err)
	}
}

// A world for the negative paths: account A's role trusts B's caller with
// an external ID and allows tagging; B's caller may assume it.
const negatives = `accounts:
  - id: "111111111111"
    name: account-a
    roles:
      - name: partner
        max_session_duration: 7200
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:user/alice"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{"sts:ExternalId":"partner-123"}}}]}'
        policies:
          read: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ListRoles","iam:GetRole","sts:AssumeRole","sts:TagSession"],"Resource":"*"}]}'
      - name: notags
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::222222222222:user/alice","arn:aws:iam::111111111111:role/partner"]},"Action":"sts:AssumeRole"}]}'
      - name: chained
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/partner"},"Action":["sts:AssumeRole","sts:TagSession"]}]}'
  - id: "222222222222"
    name: account-b
    users:
      - name: alice
        access_keys: [{id: AKIAALICE00000000001, secret: "aliceSecretAliceSecretAliceSecretAlice01"}]
        policies:
          assume: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"],"Resource":"arn:aws:iam::111111111111:role/*"}]}'
`

func TestAssumeRoleRefusals(t *testing.T) {
	env := startWorld(t, negatives)
	ctx := context.Background()
	alice := sts.NewFromConfig(env.Config(aliceKey, aliceSecret, ""))
	partner := aws.String("arn:aws:iam::111111111111:role/partner")
	ok := func(in *sts.AssumeRoleInput) *sts.AssumeRoleOutput {
		t.Helper()
		out, err := alice.AssumeRole(ctx, in)
		if err != nil {
			t.Fatalf("AssumeRole %s: %v", aws.ToString(in.RoleArn), err)
		}
		return out
	}
	base := func() *sts.AssumeRoleInput {
		return &sts.AssumeRoleInput{RoleArn: partner, RoleSessionName: aws.String("s1"), ExternalId: aws.String("partner-123")}
	}
	sess := ok(base())
	sessionCfg := env.Config(aws.ToString(sess.Credentials.AccessKeyId), aws.ToString(sess.Credentials.SecretAccessKey), aws.ToString(sess.Credentials.SessionToken))

	for _, tc := range []struct {
		name   string
		client *sts.Client
		in     func() *sts.AssumeRoleInput
		code   string
		msg    string
	}{
		{"missing ExternalId", alice, func() *sts.AssumeRoleInput { in := base(); in.ExternalId = nil; return in }, "AccessDenied", "does not allow the caller"},
		{"wrong ExternalId", alice, func() *sts.AssumeRoleInput { in := base(); in.ExternalId = aws.String("other"); return in }, "AccessDenied", "does not allow the caller"},
		{"tags without sts:TagSession in the trust", alice, func() *sts.AssumeRoleInput {
			return &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/notags"), RoleSessionName: aws.String("s1"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("x")}}}
		}, "AccessDenied", "perform sts:TagSession"},
		{"duration over the role's maximum", alice, func() *sts.AssumeRoleInput { in := base(); in.DurationSeconds = aws.Int32(7201); return in }, "ValidationError", "MaxSessionDuration"},
		{"duration under 900", alice, func() *sts.AssumeRoleInput { in := base(); in.DurationSeconds = aws.Int32(899); return in }, "ValidationError", "durationSeconds"},
		{"chained over one hour", sts.NewFromConfig(sessionCfg), func() *sts.AssumeRoleInput {
			return &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/chained"), RoleSessionName: aws.String("c1"), DurationSeconds: aws.Int32(3601)}
		}, "ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."},
		{"bad session name", alice, func() *sts.AssumeRoleInput { in := base(); in.RoleSessionName = aws.String("a b"); return in }, "ValidationError", "roleSessionName"},
		{"malformed session policy", alice, func() *sts.AssumeRoleInput {
			in := base()
			in.Policy = aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject"}]}`)
			return in
		}, "MalformedPolicyDocument", "Policy statement must contain resources"},
		{"unknown role", alice, func() *sts.AssumeRoleInput {
			in := base()
			in.RoleArn = aws.String("arn:aws:iam::111111111111:role/nope")
			return in
		}, "AccessDenied", "is not authorized to perform: sts:AssumeRole"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.client.AssumeRole(ctx, tc.in())
			if testenv.ErrorCode(err) != tc.code || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want %s containing %q", err, tc.code, tc.msg)
			}
		})
	}

	// Root users may not assume roles.
	if _, err := sts.NewFromConfig(env.RootConfig(testenv.AccountB)).AssumeRole(ctx, base()); testenv.ErrorCode(err) != "AccessDenied" {
		t.Fatalf("root: %v", err)
	}
	// A tampered or foreign session token.
	// (One character changed for another: replacing it with a fixed one
	// left the token intact whenever it already was that character.)
	tok := []byte(aws.ToString(sess.Credentials.SessionToken))
	if tok[40] == 'x' {
		tok[40] = 'y'
	} else {
		tok[40] = 'x'
	}
	tampered := env.Config(aws.ToString(sess.Credentials.AccessKeyId), aws.ToString(sess.Credentials.SecretAccessKey), string(tok))
	if _, err := sts.NewFromConfig(tampered).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); testenv.ErrorCode(err) != "InvalidClientTokenId" {
		t.Fatalf("tampered token: %v", err)
	}
	wrongKey := env.Config("ASIAAAAAAAAAAAAAAAAA", aws.ToString(sess.Credentials.SecretAccessKey), aws.ToString(sess.Credentials.SessionToken))
	if _, err := sts.NewFromConfig(wrongKey).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); testenv.ErrorCode(err) != "InvalidClientTokenId" {
		t.Fatalf("token with another key ID: %v", err)
	}
}

func TestSessionTagsPoliciesAndSourceIdentity(t *testing.T) {
	env := startWorld(t, negatives)
	ctx := context.Background()
	alice := sts.NewFromConfig(env.Config(aliceKey, aliceSecret, ""))
	out, err := alice.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::111111111111:role/partner"), RoleSessionName: aws.String("tagged"), ExternalId: aws.String("partner-123"),
		Tags:              []types.Tag{{Key: aws.String("team"), Value: aws.String("red")}, {Key: aws.String("project"), Value: aws.String("p1")}},
		TransitiveTagKeys: []string{"team"},
		Policy:            aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetRole","sts:AssumeRole","sts:TagSession"],"Resource":"*"}]}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	//lint:ignore SA1019 PackedPolicySize is the field the spec names
	packed := out.PackedPolicySize
	if packed == nil || *packed < 1 || *packed > 100 || aws.ToInt32(out.SessionTokenUtilization) != *packed {
		t.Fatalf("PackedPolicySize = %v, SessionTokenUtilization = %v", packed, out.SessionTokenUtilization)
	}
	sessionCfg := env.Config(aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken))
	// The session policy narrows the role: GetRole yes, ListRoles no.
	sessIAM := iam.NewFromConfig(sessionCfg)
	if _, err := sessIAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("partner")}); err != nil {
		t.Fatalf("GetRole within the session policy: %v", err)
	}
	_, err = sessIAM.ListRoles(ctx, &iam.ListRolesInput{})
	if testenv.ErrorCode(err) != "AccessDenied" || !strings.Contains(err.Error(), "because no session policy allows the iam:ListRoles action") {
		t.Fatalf("ListRoles outside the session policy: %v", err)
	}
	// Chaining: the transitive tag flows in and may not be overridden.
	sessSTS := sts.NewFromConfig(sessionCfg)
	chained := &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/chained"), RoleSessionName: aws.String("c1")}
	if _, err := sessSTS.AssumeRole(ctx, chained); err != nil {
		t.Fatalf("chained: %v", err)
	}
	chained.Tags = []types.Tag{{Key: aws.String("TEAM"), Value: aws.String("blue")}}
	if _, err := sessSTS.AssumeRole(ctx, chained); testenv.ErrorCode(err) != "InvalidParameterValue" {
		t.Fatalf("overriding a transitive tag: %v", err)
	}
	// A transitive tag needs sts:TagSession in the next role's trust.
	if _, err := sessSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/notags"), RoleSessionName: aws.String("c1")}); testenv.ErrorCode(err) != "AccessDenied" {
		t.Fatalf("transitive tags into a role without sts:TagSession: %v", err)
	}
}

// TestTrustBoundToUniqueID deletes and re-creates the role a trust policy
// names: the new role, with the same ARN, is not trusted, and GetRole
// shows the old role's unique ID in the trust policy, as IAM does.
func TestTrustBoundToUniqueID(t *testing.T) {
	env := startWorld(t, seed001)
	ctx := context.Background()
	deployer := env.Config(deployerKey, deployerSecret, "")
	roleA := "arn:aws:iam::111111111111:role/account-a-role"
	if _, err := sts.NewFromConfig(assumeVia(env, assumeVia(env, deployer, "arn:aws:iam::222222222222:role/account-b-role"), roleA)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("before: %v", err)
	}
	b := env.RootIAM(testenv.AccountB)
	old, err := b.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("account-b-role")})
	if err != nil {
		t.Fatal(err)
	}
	trustB := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:user/deployer"},"Action":"sts:AssumeRole"}]}`
	assumeA := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::111111111111:role/account-a-role"}]}`
	if _, err := b.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("account-b-role"), PolicyName: aws.String("assume-a")}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("account-b-role")}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("account-b-role"), AssumeRolePolicyDocument: aws.String(trustB)}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("account-b-role"), PolicyName: aws.String("assume-a"), PolicyDocument: aws.String(assumeA)}); err != nil {
		t.Fatal(err)
	}
	// The same ARN, a new role: A's trust does not match it.
	_, err = sts.NewFromConfig(assumeVia(env, assumeVia(env, deployer, "arn:aws:iam::222222222222:role/account-b-role"), roleA)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if testenv.ErrorCode(err) != "AccessDenied" || !strings.Contains(err.Error(), "trust policy of role "+roleA) {
		t.Fatalf("re-created role: %v", err)
	}
	got, err := env.RootIAM(testenv.AccountA).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("account-a-role")})
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := url.QueryUnescape(aws.ToString(got.Role.AssumeRolePolicyDocument))
	if !strings.Contains(doc, `"AWS":"`+aws.ToString(old.Role.RoleId)+`"`) {
		t.Fatalf("trust policy after re-creation = %s, want the old unique ID %s", doc, aws.ToString(old.Role.RoleId))
	}
}

const sourceIdentityWorld = `accounts:
  - id: "111111111111"
    name: account-a
    roles:
      - name: audited
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:user/alice"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"]}]}'
        policies:
          next: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Resource":"*"}]}'
      - name: plain
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::222222222222:user/alice","arn:aws:iam::111111111111:role/audited"]},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/audited"},"Action":"sts:SetSourceIdentity","Condition":{"StringEquals":{"sts:SourceIdentity":"alice@example.com"}}}]}'
  - id: "222222222222"
    name: account-b
    users:
      - name: alice
        access_keys: [{id: AKIAALICE00000000001, secret: "aliceSecretAliceSecretAliceSecretAlice01"}]
        policies:
          assume: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Resource":"*"}]}'
`

func TestSourceIdentity(t *testing.T) {
	env := startWorld(t, sourceIdentityWorld)
	ctx := context.Background()
	alice := sts.NewFromConfig(env.Config(aliceKey, aliceSecret, ""))
	// The trust of "plain" does not let alice set a source identity.
	_, err := alice.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/plain"), RoleSessionName: aws.String("p1"), SourceIdentity: aws.String("alice@example.com")})
	if testenv.ErrorCode(err) != "AccessDenied" || !strings.Contains(err.Error(), "sts:SetSourceIdentity") {
		t.Fatalf("source identity without sts:SetSourceIdentity: %v", err)
	}
	if _, err := alice.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/audited"), RoleSessionName: aws.String("a1"), SourceIdentity: aws.String("aws:me")}); testenv.ErrorCode(err) != "ValidationError" {
		t.Fatalf("source identity with the aws: prefix: %v", err)
	}
	out, err := alice.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/audited"), RoleSessionName: aws.String("a1"), SourceIdentity: aws.String("alice@example.com")})
	if err != nil || aws.ToString(out.SourceIdentity) != "alice@example.com" {
		t.Fatalf("audited: %+v %v", out, err)
	}
	sess := sts.NewFromConfig(env.Config(aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken)))
	// It is kept down the chain, and may not be changed there.
	next, err := sess.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/plain"), RoleSessionName: aws.String("p2")})
	if err != nil || aws.ToString(next.SourceIdentity) != "alice@example.com" {
		t.Fatalf("chained: %+v %v", next, err)
	}
	if _, err := sess.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/plain"), RoleSessionName: aws.String("p3"), SourceIdentity: aws.String("mallory")}); testenv.ErrorCode(err) != "AccessDenied" {
		t.Fatalf("changing the source identity down the chain: %v", err)
	}
}

// TestPackedPolicyTooLarge passes incompressible session tags until the
// packed budget is exceeded.
func TestPackedPolicyTooLarge(t *testing.T) {
	env := startWorld(t, negatives)
	alice := sts.NewFromConfig(env.Config(aliceKey, aliceSecret, ""))
	// Pseudo-random letters and digits barely compress: 50 tags of
	// 128 + 256 of them are far past the packed budget.
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	x := uint64(0x9E3779B97F4A7C15)
	random := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			b[i] = alphabet[x%uint64(len(alphabet))]
		}
		return string(b)
	}
	var tags []types.Tag
	for i := 0; i < 50; i++ {
		tags = append(tags, types.Tag{Key: aws.String(fmt.Sprintf("k%02d", i) + random(125)), Value: aws.String(random(256))})
	}
	_, err := alice.AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/partner"), RoleSessionName: aws.String("big"), ExternalId: aws.String("partner-123"), Tags: tags})
	if testenv.ErrorCode(err) != "PackedPolicyTooLarge" || !strings.Contains(err.Error(), "% of allotted space") {
		t.Fatalf("err = %v, want PackedPolicyTooLarge", err)
	}
}

// TestSessionTagsArePrincipalTags: a session tag is aws:PrincipalTag in the
// session's own requests, and overrides a role tag of the same key.
func TestSessionTagsArePrincipalTags(t *testing.T) {
	env := startWorld(t, `accounts:
  - id: "111111111111"
    name: account-a
    roles:
      - name: tagged
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":["sts:AssumeRole","sts:TagSession"]}]}'
        policies:
          by-team: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"arn:aws:iam::111111111111:role/${aws:PrincipalTag/team}"}]}'
    users:
      - name: alice
        access_keys: [{id: AKIAALICE00000000001, secret: "aliceSecretAliceSecretAliceSecretAlice01"}]
        policies:
          assume: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"],"Resource":"*"}]}'
`)
	ctx := context.Background()
	a := env.RootIAM(testenv.AccountA)
	if _, err := a.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("tagged"), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("nobody")}}}); err != nil {
		t.Fatal(err)
	}
	out, err := sts.NewFromConfig(env.Config(aliceKey, aliceSecret, "")).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::111111111111:role/tagged"), RoleSessionName: aws.String("t1"),
		Tags: []types.Tag{{Key: aws.String("Team"), Value: aws.String("tagged")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	sess := iam.NewFromConfig(env.Config(aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken)))
	// ${aws:PrincipalTag/team} is the session tag "tagged", not the role's "nobody".
	if _, err := sess.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("tagged")}); err != nil {
		t.Fatalf("GetRole on the role the session tag names: %v", err)
	}
	if _, err := sess.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("nobody")}); testenv.ErrorCode(err) != "AccessDenied" {
		t.Fatalf("GetRole on the role tag's value: %v", err)
	}
}

// A root user may not assume a role, even one whose trust names its own
// account's root and which it would otherwise be allowed everything on:
// AWS answers "Roles may not be assumed by root accounts.".
func TestRootMayNotAssumeRoles(t *testing.T) {
	env := startWorld(t, `accounts:
  - id: "111111111111"
    name: account-a
    roles:
      - name: self-trusting
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}'
`)
	_, err := sts.NewFromConfig(env.RootConfig(testenv.AccountA)).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::111111111111:role/self-trusting"), RoleSessionName: aws.String("root"),
	})
	if testenv.ErrorCode(err) != "AccessDenied" || !strings.Contains(err.Error(), "Roles may not be assumed by root accounts.") {
		t.Fatalf("the root user assuming a role its account trusts: %v", err)
	}
}
