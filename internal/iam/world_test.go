package iam_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/assumed-dev/assumed/internal/app"
	"github.com/assumed-dev/assumed/internal/testenv"
	"github.com/assumed-dev/assumed/internal/world"
)

// A world with IAM contents. Account A's role trusts account B's role,
// which is declared after it: the roles are created in rounds.
const worldDoc = `accounts:
  - id: "111111111111"
    name: account-a
    policies:
      - name: ReadRoles
        document:
          Version: "2012-10-17"
          Statement:
            - {Effect: Allow, Action: ["iam:ListRoles", "iam:GetRole"], Resource: "*"}
    groups:
      - name: devs
        attached: ["arn:aws:iam::111111111111:policy/ReadRoles"]
    users:
      - name: alice
        groups: [devs]
        access_keys:
          - {id: AKIAALICE00000000001, secret: "aliceSecretAliceSecretAliceSecretAlice01"}
    roles:
      - name: account-a-role
        max_session_duration: 7200
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/account-b-role"},"Action":"sts:AssumeRole"}]}'
        policies:
          ecr-pull: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "ecr:BatchGetImage", Resource: "*"}]}
        attached: ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
  - id: "222222222222"
    name: account-b
    roles:
      - name: account-b-role
        trust: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]}
`

func TestWorldFileIAMContents(t *testing.T) {
	w, err := world.Parse("world.yaml", []byte(worldDoc))
	if err != nil {
		t.Fatal(err)
	}
	env := testenv.Start(t, w)
	ctx := context.Background()
	check := func() {
		t.Helper()
		a := env.RootIAM(testenv.AccountA)
		r, err := a.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("account-a-role")})
		if err != nil || aws.ToInt32(r.Role.MaxSessionDuration) != 7200 {
			t.Fatalf("account-a-role: %+v %v", r, err)
		}
		att, err := a.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("account-a-role")})
		if err != nil || len(att.AttachedPolicies) != 1 {
			t.Fatalf("attached: %+v %v", att, err)
		}
		// alice signs with her declared key; her group's policy lets her list roles.
		alice := env.IAM("AKIAALICE00000000001", "aliceSecretAliceSecretAliceSecretAlice01")
		roles, err := alice.ListRoles(ctx, &iam.ListRolesInput{})
		if err != nil || len(roles.Roles) != 1 {
			t.Fatalf("alice ListRoles: %+v %v", roles, err)
		}
		if _, err := alice.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("x"), AssumeRolePolicyDocument: aws.String(trustB)}); apiCode(err) != "AccessDenied" {
			t.Fatalf("alice CreateRole: %v", err)
		}
		versions, err := a.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String("arn:aws:iam::111111111111:policy/ReadRoles")})
		if err != nil || len(versions.Versions) != 1 {
			t.Fatalf("policy versions: %+v %v", versions, err)
		}
		keys, err := a.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("alice")})
		if err != nil || len(keys.AccessKeyMetadata) != 1 {
			t.Fatalf("alice's keys: %+v %v", keys, err)
		}
	}
	check()
	// Applying the same world again (a restart) changes nothing.
	env.Restart()
	check()
}

func TestWorldFileErrorsNameTheLine(t *testing.T) {
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"trust names a role never declared", `accounts:
  - id: "111111111111"
    name: a
    roles:
      - name: r
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/ghost"},"Action":"sts:AssumeRole"}]}'
`, `world.yaml:5: role r: MalformedPolicyDocument: Invalid principal in policy: "AWS":"arn:aws:iam::111111111111:role/ghost"`},
		{"bad inline policy", `accounts:
  - id: "111111111111"
    name: a
    users:
      - name: u
        policies:
          p: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject"}]}'
`, "world.yaml:5: user u: inline policy p: MalformedPolicyDocument: Policy statement must contain resources."},
		{"bad access key", `accounts:
  - id: "111111111111"
    name: a
    users:
      - name: u
        access_keys: [{id: "nope", secret: "x"}]
`, "world.yaml:5: user u: access key nope: the ID must be"},
		{"unknown role key", `accounts:
  - id: "111111111111"
    name: a
    roles:
      - name: r
        trusts: x
`, `world.yaml:6: unknown key "trusts"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := world.Parse("world.yaml", []byte(tc.doc))
			if err == nil {
				// Run fails while applying the world; should it not, the
				// timeout ends it rather than serving forever.
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				err = app.Run(ctx, app.Options{Listen: "127.0.0.1:0", DataDir: t.TempDir(), World: w, WorldFile: "world.yaml"}, &testenv.SyncBuffer{})
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
