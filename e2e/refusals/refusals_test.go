// Package refusals tests that every refusal explains itself: a table of
// refusals across IAM, STS, web identity, EKS, EKS Auth and the resource
// gateway, each made through the AWS SDK against a real server, under
// both --denial-detail modes, with its deciding policy, statement and
// condition read back from the encoded authorization message through the
// AWS CLI's `aws sts decode-authorization-message`.
package refusals

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/internal/awsclient"
	eksapi "github.com/assumed-dev/assumed/internal/eks"
	"github.com/assumed-dev/assumed/internal/testenv"
	"github.com/assumed-dev/assumed/internal/world"
)

const (
	acctA = "111111111111"
	acctB = "222222222222"
	acctC = "333333333333"
)

// key is a user's fixed access key in the world below.
func key(user string) (id, secret string) {
	id = "AKIA" + strings.ToUpper(strings.ReplaceAll(user, "-", "")) + strings.Repeat("0", 16)
	id = id[:20]
	return id, strings.Repeat(user, 40)[:40]
}

func keys(user string) string {
	id, secret := key(user)
	return fmt.Sprintf(`access_keys: [{id: %s, secret: %q}]`, id, secret)
}

const allowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

func worldDoc() string {
	return `accounts:
  - id: "` + acctA + `"
    name: account-a
    clusters:
      - name: prod
    oidc_providers:
      - cluster: account-a/prod
        client_ids: [sts.amazonaws.com, other]
    policies:
      - name: DenyDeletes
        document: '{"Version":"2012-10-17","Statement":[{"Sid":"NoDeletes","Effect":"Deny","Action":"iam:Delete*","Resource":"*"}]}'
      - name: ReadOnlyBoundary
        document: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}]}'
    users:
      - name: alice
        ` + keys("alice") + `
      - name: adminish
        ` + keys("adminish") + `
        policies: {all: '` + allowAll + `'}
        attached: [arn:aws:iam::` + acctA + `:policy/DenyDeletes]
      - name: bounded
        ` + keys("bounded") + `
        policies: {all: '` + allowAll + `'}
      - name: tagger
        ` + keys("tagger") + `
        policies: {tagged: '{"Version":"2012-10-17","Statement":[{"Sid":"RedOnly","Effect":"Allow","Action":"iam:CreateRole","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"red"}}}]}'}
      - name: sessioner
        ` + keys("sessioner") + `
        policies: {assume: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}'}
      - name: auditor
        ` + keys("auditor") + `
        policies: {decode: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:DecodeAuthorizationMessage","Resource":"*"}]}'}
    roles:
      - name: ext
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctB + `:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext-123"}}}]}'
      - name: only-bar
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctB + `:role/bar"},"Action":"sts:AssumeRole"}]}'
      - name: b-root
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctB + `:root"},"Action":"sts:AssumeRole"}]}'
      - name: deny-dev
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctB + `:root"},"Action":"sts:AssumeRole"},{"Sid":"NotDev","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::` + acctB + `:user/dev"},"Action":"sts:AssumeRole"}]}'
      - name: no-tag
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctB + `:user/dev"},"Action":"sts:AssumeRole"}]}'
      - name: src
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctB + `:user/dev"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"]}]}'
        policies: {next: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Resource":"*"}]}'}
      - name: next
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctA + `:root"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"]}]}'
      - name: sess-role
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctA + `:user/sessioner"},"Action":"sts:AssumeRole"}]}'
        policies: {iam: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}'}
  - id: "` + acctB + `"
    name: account-b
    users:
      - name: dev
        ` + keys("dev") + `
        policies: {assume: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity","s3:*"],"Resource":"*"}]}'}
      - name: noid
        ` + keys("noid") + `
      - name: auditor
        ` + keys("auditorb") + `
        policies: {decode: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:DecodeAuthorizationMessage","Resource":"*"}]}'}
    roles:
      - name: bar
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctB + `:user/dev"},"Action":"sts:AssumeRole"}]}'
  - id: "` + acctC + `"
    name: account-c
    users:
      - name: auditor
        ` + keys("auditorc") + `
        policies: {decode: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:DecodeAuthorizationMessage","Resource":"*"}]}'}
`
}

// fixture is one server with the world above and what the cases need.
type fixture struct {
	env      *testenv.Env
	provider string // the cluster's OIDC provider ARN
	issuer   string // its host/path, the prefix of its condition keys
	bucket   bool   // a bucket of account A exists (the gateway runs)
}

func (f *fixture) cfg(user string) aws.Config {
	id, secret := key(user)
	return f.env.Config(id, secret, "")
}

func (f *fixture) iam(user string) *iam.Client { return iam.NewFromConfig(f.cfg(user)) }
func (f *fixture) sts(user string) *sts.Client { return sts.NewFromConfig(f.cfg(user)) }

// session returns a configuration with the credentials of a role
// assumed from base with in.
func (f *fixture) session(t *testing.T, base aws.Config, in *sts.AssumeRoleInput) aws.Config {
	t.Helper()
	out, err := sts.NewFromConfig(base).AssumeRole(context.Background(), in)
	if err != nil {
		t.Fatalf("assume %s: %v", aws.ToString(in.RoleArn), err)
	}
	c := out.Credentials
	return f.env.Config(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
}

// token mints a service-account token of account A's cluster.
func (f *fixture) token(t *testing.T, ns, sa string, aud ...string) string {
	t.Helper()
	c := awsclient.FromConfig(f.env.RootConfig(acctA), f.env.URL)
	var out eksapi.TokenResponse
	if err := c.PostJSON(context.Background(), "eks", "/_assumed/clusters/prod/token", eksapi.TokenRequest{Namespace: ns, ServiceAccount: sa, Audiences: aud}, &out); err != nil {
		t.Fatalf("token for %s/%s: %v", ns, sa, err)
	}
	return out.Token
}

func (f *fixture) webIdentity(roleARN, token string) error {
	cfg := f.env.Config("", "", "")
	cfg.Credentials = aws.AnonymousCredentials{}
	_, err := sts.NewFromConfig(cfg).AssumeRoleWithWebIdentity(context.Background(), &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(roleARN), RoleSessionName: aws.String("pod"), WebIdentityToken: aws.String(token)})
	return err
}

// setUp starts a server in mode and makes what the world file can't
// say: a boundary, the IRSA role trusting the cluster's provider, a bucket.
func setUp(t *testing.T, mode string, gateway bool) *fixture {
	w, err := world.Parse("world.yaml", []byte(worldDoc()))
	if err != nil {
		t.Fatal(err)
	}
	opts := testenv.Options{World: w, DenialDetail: mode}
	if gateway {
		opts.Backend = "moto"
	}
	f := &fixture{env: testenv.StartWith(t, opts)}
	ctx := context.Background()
	root := f.env.RootIAM(acctA)
	if _, err := root.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("bounded"), PermissionsBoundary: aws.String("arn:aws:iam::" + acctA + ":policy/ReadOnlyBoundary")}); err != nil {
		t.Fatal(err)
	}
	ps, err := root.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
	if err != nil || len(ps.OpenIDConnectProviderList) != 1 {
		t.Fatalf("the cluster's OIDC provider: %v %v", ps, err)
	}
	f.provider = aws.ToString(ps.OpenIDConnectProviderList[0].Arn)
	f.issuer = f.provider[strings.Index(f.provider, "oidc-provider/")+len("oidc-provider/"):]
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":%q},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"%s:sub":"system:serviceaccount:apps:api","%s:aud":"sts.amazonaws.com"}}}]}`, f.provider, f.issuer, f.issuer)
	if _, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("irsa"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	if gateway {
		if _, err := s3.NewFromConfig(f.env.RootConfig(acctA), func(o *s3.Options) { o.UsePathStyle = true }).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("a-data")}); err != nil {
			t.Fatalf("create bucket: %v", err)
		}
		f.bucket = true
	}
	return f
}

// refusalCase is one refusal: how to make it, what the caller reads in
// each mode, and what the trace names as deciding.
type refusalCase struct {
	name string
	do   func(t *testing.T, f *fixture) error
	code string
	// aws is the message under --denial-detail aws (without the encoded
	// message); full under full ("" means the same as aws). A pattern
	// function may build them from the fixture (the provider's ARN).
	aws, full func(f *fixture) string
	// fullHas is text the full message must contain (when full is nil).
	fullHas []string
	// decision, action, policy (a part of the deciding policy's name),
	// statement and condition (operator and key) are the trace's.
	decision, action, policy, statement string
	condition                           func(f *fixture) string
	// reasonHas and fixHas are parts of the trace's reason and fix.
	reasonHas, fixHas string
	// decoder is the account whose auditor decodes the message (the
	// caller's by default).
	decoder string
	gateway bool
}

func text(s string) func(*fixture) string { return func(*fixture) string { return s } }

func denied(user, action, resource, why string) func(*fixture) string {
	s := fmt.Sprintf("User: arn:aws:iam::%s is not authorized to perform: %s on resource: %s", user, action, resource)
	if why != "" {
		s += " " + why
	}
	return text(s)
}

func noIdentity(action string) string {
	return "because no identity-based policy allows the " + action + " action"
}

func roleARN(acct, name string) string { return "arn:aws:iam::" + acct + ":role/" + name }

func assume(user, role string, mut ...func(*sts.AssumeRoleInput)) func(t *testing.T, f *fixture) error {
	return func(t *testing.T, f *fixture) error {
		in := &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("ss")}
		for _, m := range mut {
			m(in)
		}
		_, err := f.sts(user).AssumeRole(context.Background(), in)
		return err
	}
}

func cases() []refusalCase {
	ctx := context.Background()
	a := func(user string) string { return acctA + ":user/" + user }
	b := func(user string) string { return acctB + ":user/" + user }
	return []refusalCase{
		// IAM: identity-based policies, boundaries, conditions, session policies.
		{name: "iam no policy CreateRole", code: "AccessDenied", action: "iam:CreateRole", decision: authz.DecisionImplicitDeny,
			do: func(t *testing.T, f *fixture) error {
				_, err := f.iam("alice").CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("x"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[]}`)})
				return err
			},
			aws: denied(a("alice"), "iam:CreateRole", roleARN(acctA, "x"), noIdentity("iam:CreateRole")), reasonHas: "no identity-based policy allows", fixHas: "allow iam:CreateRole"},
		{name: "iam no policy GetRole", code: "AccessDenied", action: "iam:GetRole", decision: authz.DecisionImplicitDeny,
			do: func(t *testing.T, f *fixture) error {
				_, err := f.iam("alice").GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("ext")})
				return err
			},
			aws: denied(a("alice"), "iam:GetRole", "role ext", noIdentity("iam:GetRole"))},
		{name: "iam no policy ListUsers", code: "AccessDenied", action: "iam:ListUsers", decision: authz.DecisionImplicitDeny,
			do: func(t *testing.T, f *fixture) error {
				_, err := f.iam("alice").ListUsers(ctx, &iam.ListUsersInput{})
				return err
			},
			aws: denied(a("alice"), "iam:ListUsers", "arn:aws:iam::"+acctA+":user/", noIdentity("iam:ListUsers"))},
		{name: "iam no policy UpdateAssumeRolePolicy", code: "AccessDenied", action: "iam:UpdateAssumeRolePolicy", decision: authz.DecisionImplicitDeny,
			do: func(t *testing.T, f *fixture) error {
				_, err := f.iam("alice").UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("ext"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[]}`)})
				return err
			},
			aws: denied(a("alice"), "iam:UpdateAssumeRolePolicy", "role ext", noIdentity("iam:UpdateAssumeRolePolicy"))},
		{name: "iam explicit deny DeleteRole", code: "AccessDenied", action: "iam:DeleteRole", decision: authz.DecisionExplicitDeny, policy: "policy/DenyDeletes", statement: `statement "NoDeletes"`,
			do: func(t *testing.T, f *fixture) error {
				_, err := f.iam("adminish").DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("only-bar")})
				return err
			},
			aws:    denied(a("adminish"), "iam:DeleteRole", "role only-bar", "with an explicit deny in an identity-based policy: arn:aws:iam::"+acctA+":policy/DenyDeletes"),
			full:   denied(a("adminish"), "iam:DeleteRole", "role only-bar", `with an explicit deny in an identity-based policy: arn:aws:iam::`+acctA+`:policy/DenyDeletes (statement "NoDeletes")`),
			fixHas: `remove or narrow statement "NoDeletes"`},
		{name: "iam explicit deny DeleteUser", code: "AccessDenied", action: "iam:DeleteUser", decision: authz.DecisionExplicitDeny, policy: "policy/DenyDeletes", statement: `statement "NoDeletes"`,
			do: func(t *testing.T, f *fixture) error {
				_, err := f.iam("adminish").DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")})
				return err
			},
			aws:  denied(a("adminish"), "iam:DeleteUser", "user alice", "with an explicit deny in an identity-based policy: arn:aws:iam::"+acctA+":policy/DenyDeletes"),
			full: denied(a("adminish"), "iam:DeleteUser", "user alice", `with an explicit deny in an identity-based policy: arn:aws:iam::`+acctA+`:policy/DenyDeletes (statement "NoDeletes")`)},
		{name: "iam explicit deny DeletePolicy", code: "AccessDenied", action: "iam:DeletePolicy", decision: authz.DecisionExplicitDeny, policy: "policy/DenyDeletes", statement: `statement "NoDeletes"`,
			do: func(t *testing.T, f *fixture) error {
				_, err := f.iam("adminish").DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String("arn:aws:iam::" + acctA + ":policy/ReadOnlyBoundary")})
				return err
			},
			aws:     denied(a("adminish"), "iam:DeletePolicy", "policy arn:aws:iam::"+acctA+":policy/ReadOnlyBoundary", "with an explicit deny in an identity-based policy: arn:aws:iam::"+acctA+":policy/DenyDeletes"),
			fullHas: []string{`(statement "NoDeletes")`}},
		{name: "iam boundary CreateRole", code: "AccessDenied", action: "iam:CreateRole", decision: authz.DecisionImplicitDeny,
			do: func(t *testing.T, f *fixture) error {
				_, err := f.iam("bounded").CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("y"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[]}`)})
				return err
			},
			aws: denied(a("bounded"), "iam:CreateRole", roleARN(acctA, "y"), "because no permissions boundary allows the iam:CreateRole action"), fixHas: "permissions boundary of"},
		{name: "iam boundary ListRoles", code: "AccessDenied", action: "iam:ListRoles", decision: authz.DecisionImplicitDeny,
			do: func(t *testing.T, f *fixture) error {
				_, err := f.iam("bounded").ListRoles(ctx, &iam.ListRolesInput{})
				return err
			},
			aws: denied(a("bounded"), "iam:ListRoles", "arn:aws:iam::"+acctA+":role/", "because no permissions boundary allows the iam:ListRoles action")},
		{name: "iam condition wrong tag", code: "AccessDenied", action: "iam:CreateRole", decision: authz.DecisionImplicitDeny, policy: "inline policy tagged of user tagger", statement: `statement "RedOnly"`, condition: text("StringEquals aws:RequestTag/team"),
			do: func(t *testing.T, f *fixture) error {
				_, err := f.iam("tagger").CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("t"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[]}`), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}})
				return err
			},
			aws: denied(a("tagger"), "iam:CreateRole", roleARN(acctA, "t"), noIdentity("iam:CreateRole")), reasonHas: `for the request's value ["blue"]`},
		{name: "iam condition missing tag", code: "AccessDenied", action: "iam:CreateRole", decision: authz.DecisionImplicitDeny, policy: "inline policy tagged of user tagger", statement: `statement "RedOnly"`, condition: text("StringEquals aws:RequestTag/team"),
			do: func(t *testing.T, f *fixture) error {
				_, err := f.iam("tagger").CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("t"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[]}`)})
				return err
			},
			aws: denied(a("tagger"), "iam:CreateRole", roleARN(acctA, "t"), noIdentity("iam:CreateRole")), reasonHas: "the request has no aws:RequestTag/team"},
		{name: "iam session policy", code: "AccessDenied", action: "iam:ListRoles", decision: authz.DecisionImplicitDeny,
			do: func(t *testing.T, f *fixture) error {
				cfg := f.session(t, f.cfg("sessioner"), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN(acctA, "sess-role")), RoleSessionName: aws.String("narrow"),
					Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`)})
				_, err := iam.NewFromConfig(cfg).ListRoles(ctx, &iam.ListRolesInput{})
				return err
			},
			aws:    text("User: arn:aws:sts::" + acctA + ":assumed-role/sess-role/narrow is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::" + acctA + ":role/ because no session policy allows the iam:ListRoles action"),
			fixHas: "session policies"},
		// STS AssumeRole: trust policies, both sides, ExternalId, tags, source identity.
		{name: "sts external id missing", code: "AccessDenied", action: "sts:AssumeRole", decision: authz.DecisionImplicitDeny, policy: "trust policy of role " + roleARN(acctA, "ext"), statement: "statement 1", condition: text("StringEquals sts:ExternalId"),
			do:        assume("dev", roleARN(acctA, "ext")),
			aws:       denied(b("dev"), "sts:AssumeRole", roleARN(acctA, "ext"), ""),
			full:      denied(b("dev"), "sts:AssumeRole", roleARN(acctA, "ext"), "because the trust policy of role "+roleARN(acctA, "ext")+" in account "+acctA+` does not allow the caller to perform sts:AssumeRole: the trust policy requires an external ID (StringEquals sts:ExternalId ["ext-123"]) and the request passed none`),
			reasonHas: "requires an external ID", fixHas: "--external-id", decoder: acctB},
		{name: "sts external id wrong", code: "AccessDenied", action: "sts:AssumeRole", decision: authz.DecisionImplicitDeny, policy: "trust policy of role " + roleARN(acctA, "ext"), statement: "statement 1", condition: text("StringEquals sts:ExternalId"),
			do:        assume("dev", roleARN(acctA, "ext"), func(in *sts.AssumeRoleInput) { in.ExternalId = aws.String("wrong-1") }),
			aws:       denied(b("dev"), "sts:AssumeRole", roleARN(acctA, "ext"), ""),
			fullHas:   []string{"does not allow the caller to perform sts:AssumeRole"},
			reasonHas: `the external ID passed (wrong-1) is not one the trust policy accepts`, fixHas: `["ext-123"]`, decoder: acctA},
		{name: "sts trust names another role", code: "AccessDenied", action: "sts:AssumeRole", decision: authz.DecisionImplicitDeny,
			do:        assume("dev", roleARN(acctA, "only-bar")),
			aws:       denied(b("dev"), "sts:AssumeRole", roleARN(acctA, "only-bar"), ""),
			fullHas:   []string{"does not allow the caller"},
			reasonHas: "no statement of the trust policy of " + roleARN(acctA, "only-bar") + " names arn:aws:iam::" + acctB + ":user/dev", fixHas: "to the Principal of a trust policy statement of only-bar"},
		{name: "sts cross-account identity missing", code: "AccessDenied", action: "sts:AssumeRole", decision: authz.DecisionImplicitDeny,
			do:        assume("noid", roleARN(acctA, "b-root")),
			aws:       denied(b("noid"), "sts:AssumeRole", roleARN(acctA, "b-root"), noIdentity("sts:AssumeRole")),
			reasonHas: "no identity-based policy allows", fixHas: "in account " + acctB + ", allow sts:AssumeRole on " + roleARN(acctA, "b-root")},
		{name: "sts explicit deny in trust", code: "AccessDenied", action: "sts:AssumeRole", decision: authz.DecisionExplicitDeny, policy: "trust policy of role " + roleARN(acctA, "deny-dev"), statement: `statement "NotDev"`,
			do:      assume("dev", roleARN(acctA, "deny-dev")),
			aws:     denied(b("dev"), "sts:AssumeRole", roleARN(acctA, "deny-dev"), "with an explicit deny in the role's trust policy"),
			fullHas: []string{`(statement "NotDev")`}},
		{name: "sts tag session not allowed", code: "AccessDenied", action: "sts:TagSession", decision: authz.DecisionImplicitDeny,
			do: assume("dev", roleARN(acctA, "no-tag"), func(in *sts.AssumeRoleInput) {
				in.Tags = []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("red")}}
			}),
			aws:       denied(b("dev"), "sts:TagSession", roleARN(acctA, "no-tag"), ""),
			fullHas:   []string{"does not allow the caller to perform sts:TagSession: the trust policy allows sts:AssumeRole"},
			reasonHas: "allows sts:AssumeRole for arn:aws:iam::" + acctB + ":user/dev but not sts:TagSession", fixHas: "add sts:TagSession to the Action"},
		{name: "sts role does not exist", code: "AccessDenied", action: "sts:AssumeRole", decision: authz.DecisionImplicitDeny,
			do:        assume("dev", roleARN(acctA, "nope")),
			aws:       denied(b("dev"), "sts:AssumeRole", roleARN(acctA, "nope"), ""),
			full:      denied(b("dev"), "sts:AssumeRole", roleARN(acctA, "nope"), "because role nope does not exist in account "+acctA),
			reasonHas: "role nope does not exist in account " + acctA, fixHas: "check the role ARN"},
		{name: "sts root may not assume", code: "AccessDenied", action: "sts:AssumeRole", decision: authz.DecisionImplicitDeny,
			do: func(t *testing.T, f *fixture) error {
				_, err := sts.NewFromConfig(f.env.RootConfig(acctB)).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN(acctA, "b-root")), RoleSessionName: aws.String("ss")})
				return err
			},
			aws: text("Roles may not be assumed by root accounts."), fixHas: "as an IAM user or a role session"},
		{name: "sts source identity changed", code: "AccessDenied", action: "sts:SetSourceIdentity", decision: authz.DecisionImplicitDeny,
			do: func(t *testing.T, f *fixture) error {
				cfg := f.session(t, f.cfg("dev"), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN(acctA, "src")), RoleSessionName: aws.String("ss"), SourceIdentity: aws.String("alice")})
				_, err := sts.NewFromConfig(cfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN(acctA, "next")), RoleSessionName: aws.String("nn"), SourceIdentity: aws.String("bob")})
				return err
			},
			aws:    text("User: arn:aws:sts::" + acctA + ":assumed-role/src/ss is not authorized to perform: sts:SetSourceIdentity on resource: " + roleARN(acctA, "next")),
			full:   text("User: arn:aws:sts::" + acctA + ":assumed-role/src/ss is not authorized to perform: sts:SetSourceIdentity on resource: " + roleARN(acctA, "next") + ` because the source identity "alice" of the session cannot be changed`),
			fixHas: `pass the session's own ("alice")`},
		// Web identity: the trust policy alone decides.
		{name: "web identity wrong subject", code: "AccessDenied", action: "sts:AssumeRoleWithWebIdentity", decision: authz.DecisionImplicitDeny, policy: "trust policy of role " + roleARN(acctA, "irsa"), statement: "statement 1",
			condition: func(f *fixture) string { return "StringEquals " + f.issuer + ":sub" },
			do: func(t *testing.T, f *fixture) error {
				return f.webIdentity(roleARN(acctA, "irsa"), f.token(t, "apps", "other"))
			},
			aws:       text("Not authorized to perform sts:AssumeRoleWithWebIdentity"),
			fullHas:   []string{"with this token's claims", "system:serviceaccount:apps:other"},
			reasonHas: `the token's subject ["system:serviceaccount:apps:other"]`, fixHas: "IRSA", decoder: acctA},
		{name: "web identity wrong audience", code: "AccessDenied", action: "sts:AssumeRoleWithWebIdentity", decision: authz.DecisionImplicitDeny, policy: "trust policy of role " + roleARN(acctA, "irsa"), statement: "statement 1",
			condition: func(f *fixture) string { return "StringEquals " + f.issuer + ":aud" },
			do: func(t *testing.T, f *fixture) error {
				return f.webIdentity(roleARN(acctA, "irsa"), f.token(t, "apps", "api", "other"))
			},
			aws:       text("Not authorized to perform sts:AssumeRoleWithWebIdentity"),
			fullHas:   []string{`is false for request value ["other"]`},
			reasonHas: `the token's audience ["other"]`, fixHas: "sts.amazonaws.com", decoder: acctA},
		{name: "web identity role does not exist", code: "AccessDenied", action: "sts:AssumeRoleWithWebIdentity", decision: authz.DecisionImplicitDeny,
			do: func(t *testing.T, f *fixture) error {
				return f.webIdentity(roleARN(acctA, "gone"), f.token(t, "apps", "api"))
			},
			aws:       text("Not authorized to perform sts:AssumeRoleWithWebIdentity"),
			full:      text("Not authorized to perform sts:AssumeRoleWithWebIdentity: role gone does not exist in account " + acctA),
			reasonHas: "role gone does not exist", decoder: acctA},
		// EKS and EKS Auth.
		{name: "eks DescribeCluster", code: "AccessDeniedException", action: "eks:DescribeCluster", decision: authz.DecisionImplicitDeny,
			do: func(t *testing.T, f *fixture) error {
				_, err := eks.NewFromConfig(f.cfg("alice")).DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("prod")})
				return err
			},
			aws: denied(a("alice"), "eks:DescribeCluster", "arn:aws:eks:us-east-1:"+acctA+":cluster/prod", noIdentity("eks:DescribeCluster"))},
		{name: "eks ListClusters", code: "AccessDeniedException", action: "eks:ListClusters", decision: authz.DecisionImplicitDeny,
			do: func(t *testing.T, f *fixture) error {
				_, err := eks.NewFromConfig(f.cfg("alice")).ListClusters(ctx, &eks.ListClustersInput{})
				return err
			},
			aws: denied(a("alice"), "eks:ListClusters", "arn:aws:eks:us-east-1:"+acctA+":cluster/*", noIdentity("eks:ListClusters"))},
		{name: "eks CreatePodIdentityAssociation", code: "AccessDeniedException", action: "eks:CreatePodIdentityAssociation", decision: authz.DecisionImplicitDeny,
			do: func(t *testing.T, f *fixture) error {
				_, err := eks.NewFromConfig(f.cfg("alice")).CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{ClusterName: aws.String("prod"), Namespace: aws.String("apps"), ServiceAccount: aws.String("api"), RoleArn: aws.String(roleARN(acctA, "ext"))})
				return err
			},
			aws: denied(a("alice"), "eks:CreatePodIdentityAssociation", "arn:aws:eks:us-east-1:"+acctA+":cluster/prod", noIdentity("eks:CreatePodIdentityAssociation"))},
		{name: "eks-auth AssumeRoleForPodIdentity", code: "AccessDeniedException", action: "eks-auth:AssumeRoleForPodIdentity", decision: authz.DecisionImplicitDeny,
			do: func(t *testing.T, f *fixture) error {
				c := awsclient.FromConfig(f.cfg("alice"), f.env.URL)
				err := c.PostJSON(ctx, "eks-auth", "/clusters/prod/assume-role-for-pod-identity", map[string]string{"token": f.token(t, "apps", "api", "pods.eks.amazonaws.com")}, nil)
				var ae *awsclient.APIError
				if errors.As(err, &ae) {
					return &smithy.GenericAPIError{Code: ae.Code, Message: ae.Message}
				}
				return err
			},
			aws: denied(a("alice"), "eks-auth:AssumeRoleForPodIdentity", "arn:aws:eks:us-east-1:"+acctA+":cluster/prod", noIdentity("eks-auth:AssumeRoleForPodIdentity"))},
		// STS's own DecodeAuthorizationMessage refuses too.
		{name: "sts DecodeAuthorizationMessage", code: "AccessDenied", action: "sts:DecodeAuthorizationMessage", decision: authz.DecisionImplicitDeny,
			do: func(t *testing.T, f *fixture) error {
				_, err := f.sts("alice").DecodeAuthorizationMessage(ctx, &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String("asmm1_AAAA")})
				return err
			},
			aws: denied(a("alice"), "sts:DecodeAuthorizationMessage", "*", noIdentity("sts:DecodeAuthorizationMessage"))},
		// The resource gateway.
		{name: "gateway s3 cross-account no bucket policy", code: "AccessDenied", action: "s3:GetObject", decision: authz.DecisionImplicitDeny, gateway: true,
			do: func(t *testing.T, f *fixture) error {
				_, err := s3.NewFromConfig(f.cfg("dev"), func(o *s3.Options) { o.UsePathStyle = true }).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("a-data"), Key: aws.String("k")})
				return err
			},
			aws:       denied(b("dev"), "s3:GetObject", `"arn:aws:s3:::a-data/k"`, "because no resource-based policy allows the s3:GetObject action"),
			reasonHas: "no resource-based policy allows", fixHas: "in the resource's policy"},
		{name: "gateway s3 no identity policy", code: "AccessDenied", action: "s3:ListBucket", decision: authz.DecisionImplicitDeny, gateway: true,
			do: func(t *testing.T, f *fixture) error {
				_, err := s3.NewFromConfig(f.cfg("alice"), func(o *s3.Options) { o.UsePathStyle = true }).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("a-data")})
				return err
			},
			aws: denied(a("alice"), "s3:ListBucket", `"arn:aws:s3:::a-data"`, noIdentity("s3:ListBucket"))},
	}
}

func TestRefusalsExplainThemselves(t *testing.T) {
	aws, err := exec.LookPath("aws")
	if err != nil {
		t.Log("WARNING: no AWS CLI on PATH: the decode round trips are skipped")
	}
	_, motoErr := exec.LookPath("moto_server")
	if motoErr != nil {
		t.Log("WARNING: no moto_server on PATH: the gateway's refusals are skipped")
	}
	all := cases()
	if len(all) < 30 {
		t.Fatalf("%d cases: the table must hold at least 30 refusals", len(all))
	}
	envs := map[string]*fixture{}
	for _, mode := range []string{"full", "aws"} {
		envs[mode] = setUp(t, mode, motoErr == nil)
	}
	for _, tc := range all {
		t.Run(tc.name, func(t *testing.T) {
			if tc.gateway && motoErr != nil {
				t.Skip("no moto_server")
			}
			var fullMsg string
			for _, mode := range []string{"aws", "full"} {
				f := envs[mode]
				err := tc.do(t, f)
				var ae smithy.APIError
				if !errors.As(err, &ae) || ae.ErrorCode() != tc.code {
					t.Fatalf("%s: err = %v, want %s", mode, err, tc.code)
				}
				msg := ae.ErrorMessage()
				checkLogged(t, f, err, tc.action)
				enc := testenv.EncodedMessage(msg)
				if enc == "" {
					t.Fatalf("%s: no encoded authorization message in %q", mode, msg)
				}
				got := testenv.WithoutEncodedMessage(msg)
				want := strings.TrimSuffix(tc.aws(f), ".")
				if mode == "full" {
					fullMsg = msg
					if tc.full != nil {
						want = strings.TrimSuffix(tc.full(f), ".")
					} else if len(tc.fullHas) > 0 {
						for _, h := range tc.fullHas {
							if !strings.Contains(got, h) {
								t.Errorf("full: message %q lacks %q", got, h)
							}
						}
						if !strings.HasPrefix(got, want) {
							t.Errorf("full: message %q does not start with AWS's text %q", got, want)
						}
						continue
					}
				}
				if got != want {
					t.Errorf("%s: message\n got %q\nwant %q", mode, got, want)
				}
			}
			if aws == "" {
				return
			}
			f := envs["full"]
			decoder := tc.decoder
			if decoder == "" {
				decoder = acctA
				if strings.Contains(fullMsg, "arn:aws:iam::"+acctB+":") && !strings.Contains(fullMsg, "arn:aws:sts::"+acctA) {
					decoder = acctB
				}
			}
			decoded := decode(t, aws, f, auditorOf(decoder), testenv.EncodedMessage(fullMsg))
			checkDecoded(t, f, tc, decoded)
		})
	}
	t.Run("decoders refused", func(t *testing.T) {
		if aws == "" {
			t.Skip("no AWS CLI")
		}
		f := envs["full"]
		_, err := f.sts("dev").AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws2(roleARN(acctA, "ext")), RoleSessionName: aws2("ss")})
		var ae smithy.APIError
		if !errors.As(err, &ae) {
			t.Fatalf("no refusal: %v", err)
		}
		enc := testenv.EncodedMessage(ae.ErrorMessage())
		if len(enc) < 10 {
			t.Fatalf("no encoded message in %q", ae.ErrorMessage())
		}
		// Without sts:DecodeAuthorizationMessage.
		out, err := runCLI(aws, f, "noid", "sts", "decode-authorization-message", "--encoded-message", enc)
		if err == nil || !strings.Contains(out, "AccessDenied") || !strings.Contains(out, "because no identity-based policy allows the sts:DecodeAuthorizationMessage action") {
			t.Errorf("a decoder without permission: err = %v, output:\n%s", err, out)
		}
		// Of an account the decision did not involve.
		out, err = runCLI(aws, f, "auditorc", "sts", "decode-authorization-message", "--encoded-message", enc)
		if err == nil || !strings.Contains(out, "AccessDenied") || !strings.Contains(out, "only their principals may decode it") {
			t.Errorf("a decoder of account C: err = %v, output:\n%s", err, out)
		}
		// An altered message.
		altered := enc[:len(enc)-3] + "AAA"
		if altered == enc {
			altered = enc[:len(enc)-3] + "BBB"
		}
		out, err = runCLI(aws, f, "auditor", "sts", "decode-authorization-message", "--encoded-message", altered)
		if err == nil || !strings.Contains(out, "InvalidAuthorizationMessageException") {
			t.Errorf("an altered message: err = %v, output:\n%s", err, out)
		}
		// Both involved accounts may decode.
		for _, who := range []string{"auditor", "auditorb"} {
			if d := decode(t, aws, f, who, enc); d.Trace == nil || d.Trace.Deciding == nil || d.Trace.Deciding.Condition != "StringEquals sts:ExternalId" {
				t.Errorf("%s: decoded %+v", who, d)
			}
		}
	})
}

func aws2(s string) *string { return &s }

// checkLogged checks that the server logged the refusal of err, found by
// its request ID, with its caller, action and decision as fields.
func checkLogged(t *testing.T, f *fixture, err error, action string) {
	t.Helper()
	var re *awshttp.ResponseError
	id := ""
	if errors.As(err, &re) {
		id = re.ServiceRequestID()
	}
	if id == "" {
		return // EKS Auth's answer comes through a plain HTTP client
	}
	for _, line := range strings.Split(f.env.Logs(), "\n") {
		if strings.Contains(line, "request_id="+id) && strings.Contains(line, `msg="request refused"`) {
			for _, want := range []string{"caller=", "action=" + action, "decision=", "rule="} {
				if !strings.Contains(line, want) {
					t.Errorf("the refusal's log line lacks %q:\n%s", want, line)
				}
			}
			return
		}
	}
	t.Errorf("no log line for request %s", id)
}

// auditorOf is the user of account with sts:DecodeAuthorizationMessage.
func auditorOf(account string) string {
	switch account {
	case acctB:
		return "auditorb"
	case acctC:
		return "auditorc"
	}
	return "auditor"
}

// runCLI runs the AWS CLI as user against f's server.
func runCLI(awsPath string, f *fixture, user string, args ...string) (string, error) {
	dir, err := os.MkdirTemp("", "refusals-cli")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	id, secret := key(user)
	if user == "auditorb" || user == "auditorc" {
		id, secret = key(user)
	}
	creds := filepath.Join(dir, "credentials")
	if err := os.WriteFile(creds, []byte(fmt.Sprintf("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n", id, secret)), 0o600); err != nil {
		return "", err
	}
	cmd := exec.Command(awsPath, append(args, "--output", "json")...)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "AWS_SHARED_CREDENTIALS_FILE="+creds, "AWS_CONFIG_FILE=/dev/null", "AWS_ENDPOINT_URL="+f.env.URL,
		"AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// decodedMessage is what decode-authorization-message returns, decoded.
type decodedMessage struct {
	Allowed      bool `json:"allowed"`
	ExplicitDeny bool `json:"explicitDeny"`
	Context      struct {
		Principal struct{ ARN string } `json:"principal"`
		Action    string               `json:"action"`
		Resource  string               `json:"resource"`
	} `json:"context"`
	MatchedStatements struct {
		Items []struct {
			Effect string `json:"effect"`
		} `json:"items"`
	} `json:"matchedStatements"`
	Trace *authz.Trace `json:"assumedTrace"`
}

func decode(t *testing.T, awsPath string, f *fixture, user, enc string) decodedMessage {
	t.Helper()
	out, err := runCLI(awsPath, f, user, "sts", "decode-authorization-message", "--encoded-message", enc)
	if err != nil {
		t.Fatalf("aws sts decode-authorization-message as %s: %v\n%s", user, err, out)
	}
	var resp struct{ DecodedMessage string }
	if err := json.Unmarshal([]byte(out), &resp); err != nil {
		t.Fatalf("decode-authorization-message output: %v\n%s", err, out)
	}
	var d decodedMessage
	if err := json.Unmarshal([]byte(resp.DecodedMessage), &d); err != nil {
		t.Fatalf("DecodedMessage: %v\n%s", err, resp.DecodedMessage)
	}
	return d
}

// checkDecoded compares the decoded message with the case.
func checkDecoded(t *testing.T, f *fixture, tc refusalCase, d decodedMessage) {
	t.Helper()
	if d.Allowed || d.ExplicitDeny != (tc.decision == authz.DecisionExplicitDeny) {
		t.Errorf("decoded allowed=%v explicitDeny=%v, want decision %s", d.Allowed, d.ExplicitDeny, tc.decision)
	}
	if d.ExplicitDeny && (len(d.MatchedStatements.Items) == 0 || d.MatchedStatements.Items[0].Effect != "DENY") {
		t.Errorf("explicit deny without its matched Deny statement: %+v", d.MatchedStatements)
	}
	tr := d.Trace
	if tr == nil {
		t.Fatal("no assumedTrace in the decoded message")
	}
	if d.Context.Action != tc.action || tr.Action != tc.action || tr.Decision != tc.decision {
		t.Errorf("decoded action %q / trace %q %s, want %q %s", d.Context.Action, tr.Action, tr.Decision, tc.action, tc.decision)
	}
	if tc.policy != "" || tc.statement != "" || tc.condition != nil {
		dc := tr.Deciding
		if dc == nil {
			t.Fatalf("trace names nothing deciding; want %s, %s", tc.policy, tc.statement)
		}
		if !strings.Contains(dc.Policy, tc.policy) || dc.Statement != tc.statement {
			t.Errorf("deciding %q %q, want %q %q", dc.Policy, dc.Statement, tc.policy, tc.statement)
		}
		if tc.condition != nil && dc.Condition != tc.condition(f) {
			t.Errorf("deciding condition %q, want %q", dc.Condition, tc.condition(f))
		}
		if tc.condition != nil {
			// The condition is there with the policy's and the request's
			// values side by side.
			found := false
			for _, a := range tr.Accounts {
				for _, p := range a.Policies {
					for _, s := range p.Statements {
						for _, c := range s.Conditions {
							if s.Deciding && c.Operator+" "+c.Key == dc.Condition && c.Result == "false" && len(c.PolicyValues) > 0 {
								found = true
							}
						}
					}
				}
			}
			if !found {
				t.Errorf("the deciding condition %q is not in the trace with its values", dc.Condition)
			}
		}
	}
	if tc.reasonHas != "" && !strings.Contains(tr.Reason, tc.reasonHas) {
		t.Errorf("trace reason %q lacks %q", tr.Reason, tc.reasonHas)
	}
	if tc.fixHas != "" && !strings.Contains(tr.Fix, tc.fixHas) {
		t.Errorf("trace fix %q lacks %q", tr.Fix, tc.fixHas)
	}
	if tr.Rule == "" || len(tr.Accounts) == 0 && tc.action != "sts:AssumeRole" {
		t.Errorf("trace without rule or accounts: %+v", tr)
	}
}
