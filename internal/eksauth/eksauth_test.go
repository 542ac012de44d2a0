package eksauth_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkeks "github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/go-jose/go-jose/v4"

	"github.com/assumed-dev/assumed/internal/awsclient"
	"github.com/assumed-dev/assumed/internal/eks"
	"github.com/assumed-dev/assumed/internal/eksauth/wire"
	"github.com/assumed-dev/assumed/internal/testenv"
	"github.com/assumed-dev/assumed/internal/world"
)

// Tests of EKS Auth's AssumeRoleForPodIdentity, as the node's Pod Identity
// Agent calls it: SigV4-signed for eks-auth with the node's credentials,
// with a pod's projected service-account token (audience
// pods.eks.amazonaws.com).

const (
	eaTNodeKey       = "AKIANODE000000000001"
	eaTNodeSecret    = "nodeSecretNodeSecretNodeSecretNodeSecr01"
	eaTStrangerKey   = "AKIASTRANGER00000001"
	eaTStrangerSec   = "strangerSecretStrangerSecretStrangerSe01"
	eaTProdOnlyKey   = "AKIAPRODONLY00000001"
	eaTProdOnlySec   = "prodOnlySecretProdOnlySecretProdOnlySe01"
	eaTAppRole       = "arn:aws:iam::111111111111:role/app"
	eaTTargetRole    = "arn:aws:iam::222222222222:role/target"
	eaTTargetNoTag   = "arn:aws:iam::222222222222:role/target-notag"
	eaTTargetOpenTag = "arn:aws:iam::222222222222:role/target-open"
)

// eaTTrustPods trusts EKS Pod Identity for the given actions.
func eaTTrustPods(actions string) string {
	return `'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":` + actions + `}]}'`
}

// eaTWorld is seed 002's set-up: account A's cluster prod, whose pods get
// A's role app through EKS Pod Identity and, with a target role, chain
// into account B's role target (whose trust names app and the
// association's external ID).
var eaTWorld = `accounts:
  - id: "111111111111"
    name: account-a
    clusters:
      - name: prod
        pod_identity_associations:
          - {namespace: web, service_account: api, role_arn: "` + eaTAppRole + `"}
          - {namespace: other, service_account: api, role_arn: "` + eaTAppRole + `"}
          - {namespace: web, service_account: cross, role_arn: "` + eaTAppRole + `", target_role_arn: "` + eaTTargetRole + `"}
          - {namespace: web, service_account: narrow, role_arn: "` + eaTAppRole + `", target_role_arn: "` + eaTTargetRole + `", disable_session_tags: true, policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*"}]}'}
          - {namespace: web, service_account: narrowapp, role_arn: "` + eaTAppRole + `", disable_session_tags: true, policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*"}]}'}
          - {namespace: web, service_account: wrongext, role_arn: "` + eaTAppRole + `", target_role_arn: "` + eaTTargetRole + `"}
          - {namespace: web, service_account: notag, role_arn: "` + eaTAppRole + `", target_role_arn: "` + eaTTargetNoTag + `"}
          - {namespace: web, service_account: notag-off, role_arn: "` + eaTAppRole + `", target_role_arn: "` + eaTTargetNoTag + `", disable_session_tags: true}
          - {namespace: web, service_account: open, role_arn: "` + eaTAppRole + `", target_role_arn: "` + eaTTargetOpenTag + `"}
          - {namespace: web, service_account: untrusted, role_arn: "arn:aws:iam::111111111111:role/untrusted"}
          - {namespace: web, service_account: podsnotag, role_arn: "arn:aws:iam::111111111111:role/pods-notag"}
          - {namespace: web, service_account: podsnotag-off, role_arn: "arn:aws:iam::111111111111:role/pods-notag", disable_session_tags: true}
          - {namespace: web, service_account: ghost, role_arn: "arn:aws:iam::111111111111:role/ghost"}
      - name: staging
        pod_identity_associations:
          - {namespace: web, service_account: api, role_arn: "` + eaTAppRole + `"}
      - name: eu
        region: eu-west-1
        pod_identity_associations:
          - {namespace: web, service_account: cross, role_arn: "` + eaTAppRole + `", target_role_arn: "arn:aws:iam::222222222222:role/target-eu"}
    users:
      - name: node
        access_keys: [{id: ` + eaTNodeKey + `, secret: "` + eaTNodeSecret + `"}]
        policies:
          node: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks-auth:AssumeRoleForPodIdentity","Resource":"arn:aws:eks:*:111111111111:cluster/*"},{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::111111111111:role/node-role"}]}'
      - name: prod-only
        access_keys: [{id: ` + eaTProdOnlyKey + `, secret: "` + eaTProdOnlySec + `"}]
        policies:
          node: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks-auth:AssumeRoleForPodIdentity","Resource":"arn:aws:eks:us-east-1:111111111111:cluster/prod"}]}'
      - name: stranger
        access_keys: [{id: ` + eaTStrangerKey + `, secret: "` + eaTStrangerSec + `"}]
        policies:
          other: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["eks:*","sts:*"],"Resource":"*"}]}'
    roles:
      - name: app
        trust: ` + eaTTrustPods(`["sts:AssumeRole","sts:TagSession"]`) + `
        policies:
          chain: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"],"Resource":"arn:aws:iam::222222222222:role/*"}]}'
          web-only: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/kubernetes-namespace":"web"}}}]}'
          read: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetRole","iam:ListRoles"],"Resource":"*"}]}'
          all-tags: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListPolicies","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/eks-cluster-arn":"arn:aws:eks:us-east-1:111111111111:cluster/prod","aws:PrincipalTag/eks-cluster-name":"prod","aws:PrincipalTag/kubernetes-namespace":"web","aws:PrincipalTag/kubernetes-service-account":"api","aws:PrincipalTag/kubernetes-pod-name":"p1"},"StringLike":{"aws:PrincipalTag/kubernetes-pod-uid":"?*-?*-?*-?*-?*"}}}]}'
      - name: node-role
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}'
        policies:
          node: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks-auth:AssumeRoleForPodIdentity","Resource":"arn:aws:eks:us-east-1:111111111111:cluster/prod"}]}'
      - name: pods-notag
        trust: ` + eaTTrustPods(`"sts:AssumeRole"`) + `
      - name: untrusted
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":["sts:AssumeRole","sts:TagSession"]}]}'
  - id: "222222222222"
    name: account-b
    roles:
      - name: target
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + eaTAppRole + `"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{"sts:ExternalId":["us-east-1/111111111111/prod/web/cross","us-east-1/111111111111/prod/web/narrow"]}}}]}'
        policies:
          self: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"` + eaTTargetRole + `"},{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}'
          tagged: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/kubernetes-service-account":"cross"}}}]}'
      - name: target-notag
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + eaTAppRole + `"},"Action":"sts:AssumeRole"}]}'
        policies:
          self: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"` + eaTTargetNoTag + `"}]}'
      - name: target-eu
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + eaTAppRole + `"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{"sts:ExternalId":"eu-west-1/111111111111/eu/web/cross","aws:RequestTag/eks-cluster-arn":"arn:aws:eks:eu-west-1:111111111111:cluster/eu"}}}]}'
      - name: target-open
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + eaTAppRole + `"},"Action":["sts:AssumeRole","sts:TagSession"]}]}'
`

// eaTStart starts a server with eaTWorld.
func eaTStart(t *testing.T) *testenv.Env {
	t.Helper()
	w, err := world.Parse("world.yaml", []byte(eaTWorld))
	if err != nil {
		t.Fatalf("world: %v", err)
	}
	return testenv.Start(t, w)
}

// eaTToken mints a projected service-account token of an account A
// cluster (as its root user), bound to a pod when pod is not empty;
// audiences default to pods.eks.amazonaws.com.
func eaTToken(t *testing.T, env *testenv.Env, cluster, ns, sa, pod string, audiences ...string) string {
	t.Helper()
	if len(audiences) == 0 {
		audiences = []string{wire.Audience}
	}
	c := awsclient.FromConfig(env.RootConfig(testenv.AccountA), env.URL)
	var out eks.TokenResponse
	in := eks.TokenRequest{Namespace: ns, ServiceAccount: sa, Audiences: audiences, PodName: pod}
	if err := c.PostJSON(context.Background(), "eks", "/_assumed/clusters/"+cluster+"/token", in, &out); err != nil {
		t.Fatalf("token for %s %s/%s: %v", cluster, ns, sa, err)
	}
	return out.Token
}

// eaTNode is the node's configuration (user node of account A).
func eaTNode(env *testenv.Env) aws.Config { return env.Config(eaTNodeKey, eaTNodeSecret, "") }

// eaTResult is an AssumeRoleForPodIdentity answer, typed and raw.
type eaTResult struct {
	Out *wire.AssumeRoleForPodIdentityOutput
	Raw map[string]any
}

// eaTAssume calls AssumeRoleForPodIdentity signed with cfg's credentials.
// An error is an *awsclient.APIError.
func eaTAssume(env *testenv.Env, cfg aws.Config, cluster, token string) (*eaTResult, error) {
	var raw json.RawMessage
	err := awsclient.FromConfig(cfg, env.URL).PostJSON(context.Background(), "eks-auth", wire.AssumeRoleForPodIdentityPath(cluster), wire.AssumeRoleForPodIdentityInput{Token: token}, &raw)
	if err != nil {
		return nil, err
	}
	r := &eaTResult{Out: &wire.AssumeRoleForPodIdentityOutput{}}
	if err := json.Unmarshal(raw, r.Out); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, &r.Raw); err != nil {
		return nil, err
	}
	return r, nil
}

// eaTOK calls AssumeRoleForPodIdentity as the node and fails the test on
// an error.
func eaTOK(t *testing.T, env *testenv.Env, cluster, token string) *eaTResult {
	t.Helper()
	r, err := eaTAssume(env, eaTNode(env), cluster, token)
	if err != nil {
		t.Fatalf("AssumeRoleForPodIdentity %s: %v\n%s", cluster, err, env.Logs())
	}
	return r
}

// eaTWant checks that err is an EKS Auth error with the code (read from
// X-Amzn-ErrorType) and HTTP status, and returns its message.
func eaTWant(t *testing.T, what string, err error, code string, status int) string {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: succeeded, want %s", what, code)
	}
	var ae *awsclient.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("%s: error %T %v, want an API error %s", what, err, err, code)
	}
	if ae.Code != code || ae.Status != status {
		t.Fatalf("%s: %s (HTTP %d) %q, want %s (HTTP %d)", what, ae.Code, ae.Status, ae.Message, code, status)
	}
	if ae.Message == "" {
		t.Errorf("%s: %s without a message", what, code)
	}
	return ae.Message
}

// eaTCreds returns a configuration signing with an answer's credentials.
func eaTCreds(env *testenv.Env, r *eaTResult) aws.Config {
	c := r.Out.Credentials
	return env.Config(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)
}

// eaTCaller returns the caller identity of a configuration.
func eaTCaller(t *testing.T, cfg aws.Config) *sts.GetCallerIdentityOutput {
	t.Helper()
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	return out
}

// eaTIAMCalls reports which of three IAM calls a configuration may make:
// GetRole of a role, ListRoles, ListUsers ("ok" or the error code).
func eaTIAMCalls(cfg aws.Config, role string) (getRole, listRoles, listUsers string) {
	ctx := context.Background()
	c := iam.NewFromConfig(cfg)
	res := func(err error) string {
		if err == nil {
			return "ok"
		}
		if code := testenv.ErrorCode(err); code != "" {
			return code
		}
		return err.Error()
	}
	_, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role[strings.LastIndexByte(role, '/')+1:])})
	getRole = res(err)
	_, err = c.ListRoles(ctx, &iam.ListRolesInput{})
	listRoles = res(err)
	_, err = c.ListUsers(ctx, &iam.ListUsersInput{})
	listUsers = res(err)
	return
}

// eaTListPolicies calls iam:ListPolicies with a configuration.
func eaTListPolicies(cfg aws.Config) error {
	_, err := iam.NewFromConfig(cfg).ListPolicies(context.Background(), &iam.ListPoliciesInput{})
	return err
}

// eaTAssociation finds the association of a service account of an
// account A cluster.
func eaTAssociation(t *testing.T, env *testenv.Env, cluster, ns, sa string) types.PodIdentityAssociationSummary {
	t.Helper()
	out, err := sdkeks.NewFromConfig(env.RootConfig(testenv.AccountA)).ListPodIdentityAssociations(context.Background(), &sdkeks.ListPodIdentityAssociationsInput{
		ClusterName: aws.String(cluster), Namespace: aws.String(ns), ServiceAccount: aws.String(sa)})
	if err != nil || len(out.Associations) != 1 {
		t.Fatalf("association of %s %s/%s: %v %+v", cluster, ns, sa, err, out)
	}
	return out.Associations[0]
}

var (
	eaTUUID        = `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`
	eaTSessionName = regexp.MustCompile(`^eks-prod-p1-` + eaTUUID + `$`)
)

// eaTWithin checks a time against an expected offset from now.
func eaTWithin(t *testing.T, what string, got time.Time, want time.Duration) {
	t.Helper()
	lo, hi := time.Now().Add(want-time.Minute), time.Now().Add(want+time.Minute)
	if got.Before(lo) || got.After(hi) {
		t.Errorf("%s = %v (%v from now), want about %v from now", what, got, time.Until(got).Round(time.Second), want)
	}
}

func TestAssumeRoleForPodIdentity(t *testing.T) {
	env := eaTStart(t)
	assoc := eaTAssociation(t, env, "prod", "web", "api")
	r := eaTOK(t, env, "prod", eaTToken(t, env, "prod", "web", "api", "p1"))

	// Every field of the wire answer is there, with its JSON type: the
	// Pod Identity Agent dereferences them all.
	want := map[string][]string{
		"subject":                {"namespace", "serviceAccount"},
		"podIdentityAssociation": {"associationArn", "associationId"},
		"assumedRoleUser":        {"arn", "assumeRoleId"},
		"credentials":            {"sessionToken", "secretAccessKey", "accessKeyId", "expiration"},
	}
	if aud, ok := r.Raw["audience"].(string); !ok || aud != "pods.eks.amazonaws.com" {
		t.Errorf("audience = %#v, want \"pods.eks.amazonaws.com\"", r.Raw["audience"])
	}
	for obj, fields := range want {
		m, ok := r.Raw[obj].(map[string]any)
		if !ok {
			t.Errorf("%s = %#v, want an object", obj, r.Raw[obj])
			continue
		}
		for _, f := range fields {
			switch v := m[f].(type) {
			case string:
				if v == "" || f == "expiration" {
					t.Errorf("%s.%s = %q, want a non-empty %s", obj, f, v, map[bool]string{true: "number", false: "string"}[f == "expiration"])
				}
			case float64:
				if f != "expiration" {
					t.Errorf("%s.%s = %v, want a string", obj, f, v)
				}
			default:
				t.Errorf("%s.%s = %#v (%T), missing or of the wrong type", obj, f, m[f], m[f])
			}
		}
	}

	out := r.Out
	if out.Subject.Namespace != "web" || out.Subject.ServiceAccount != "api" {
		t.Errorf("subject = %+v, want web/api", out.Subject)
	}
	if out.PodIdentityAssociation.AssociationARN != aws.ToString(assoc.AssociationArn) || out.PodIdentityAssociation.AssociationID != aws.ToString(assoc.AssociationId) {
		t.Errorf("podIdentityAssociation = %+v, want %s %s", out.PodIdentityAssociation, aws.ToString(assoc.AssociationArn), aws.ToString(assoc.AssociationId))
	}
	arn := out.AssumedRoleUser.ARN
	session, ok := strings.CutPrefix(arn, "arn:aws:sts::111111111111:assumed-role/app/")
	if !ok || !eaTSessionName.MatchString(session) {
		t.Errorf("assumedRoleUser.arn = %q, want arn:aws:sts::111111111111:assumed-role/app/eks-prod-p1-<uuid>", arn)
	}
	roleID, sessionOfID, _ := strings.Cut(out.AssumedRoleUser.AssumeRoleID, ":")
	if !strings.HasPrefix(roleID, "AROA") || sessionOfID != session {
		t.Errorf("assumedRoleUser.assumeRoleId = %q, want AROA…:%s", out.AssumedRoleUser.AssumeRoleID, session)
	}
	if role, err := env.RootIAM(testenv.AccountA).GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String("app")}); err != nil || aws.ToString(role.Role.RoleId) != roleID {
		t.Errorf("assumeRoleId's role ID %q is not app's (%v)", roleID, err)
	}
	c := out.Credentials
	if !strings.HasPrefix(c.AccessKeyID, "ASIA") || len(c.SecretAccessKey) < 20 || c.SessionToken == "" {
		t.Errorf("credentials = %s / %d-character secret / %d-character token", c.AccessKeyID, len(c.SecretAccessKey), len(c.SessionToken))
	}
	eaTWithin(t, "expiration (no target role)", c.Expiration.Time, 6*time.Hour)
	if exp, _ := r.Raw["credentials"].(map[string]any)["expiration"].(float64); int64(exp) != c.Expiration.Unix() {
		t.Errorf("raw expiration %v, decoded %v", exp, c.Expiration.Unix())
	}

	// The credentials work: they are the app role's session.
	cfg := eaTCreds(env, r)
	id := eaTCaller(t, cfg)
	if aws.ToString(id.Arn) != arn || aws.ToString(id.Account) != testenv.AccountA || aws.ToString(id.UserId) != out.AssumedRoleUser.AssumeRoleID {
		t.Errorf("GetCallerIdentity = %s %s %s, want %s %s %s", aws.ToString(id.Arn), aws.ToString(id.Account), aws.ToString(id.UserId), arn, testenv.AccountA, out.AssumedRoleUser.AssumeRoleID)
	}

	// The session tags are principal tags: the app role allows ListUsers
	// only to namespace web.
	if g, l, u := eaTIAMCalls(cfg, eaTAppRole); g != "ok" || l != "ok" || u != "ok" {
		t.Errorf("web/api session: GetRole %s, ListRoles %s, ListUsers %s; want all ok", g, l, u)
	}
	other := eaTOK(t, env, "prod", eaTToken(t, env, "prod", "other", "api", "p1"))
	if other.Out.Subject.Namespace != "other" || other.Out.PodIdentityAssociation.AssociationID == out.PodIdentityAssociation.AssociationID {
		t.Errorf("other/api: subject %+v, association %s", other.Out.Subject, other.Out.PodIdentityAssociation.AssociationID)
	}
	if g, l, u := eaTIAMCalls(eaTCreds(env, other), eaTAppRole); g != "ok" || l != "ok" || u != "AccessDenied" {
		t.Errorf("other/api session: GetRole %s, ListRoles %s, ListUsers %s; want ok, ok, AccessDenied (tag kubernetes-namespace is other)", g, l, u)
	}

	// All six session tags, with their values (iam:ListPolicies is
	// allowed on them): not for a token without a pod, not for another
	// service account.
	if err := eaTListPolicies(cfg); err != nil {
		t.Errorf("web/api session: ListPolicies (conditions on all six session tags): %v", err)
	}
	if err := eaTListPolicies(eaTCreds(env, other)); testenv.ErrorCode(err) != "AccessDenied" {
		t.Errorf("other/api session: ListPolicies: %v, want AccessDenied", err)
	}

	// Each call is a new session.
	again := eaTOK(t, env, "prod", eaTToken(t, env, "prod", "web", "api", "p1"))
	if again.Out.AssumedRoleUser.ARN == arn || again.Out.Credentials.AccessKeyID == c.AccessKeyID {
		t.Errorf("two calls answered the same session %s / key %s", arn, c.AccessKeyID)
	}

	// Without a pod name in the token the session name still has the
	// cluster's.
	noPod := eaTOK(t, env, "prod", eaTToken(t, env, "prod", "web", "api", ""))
	if !strings.HasPrefix(noPod.Out.AssumedRoleUser.ARN, "arn:aws:sts::111111111111:assumed-role/app/eks-prod-") {
		t.Errorf("session without a pod: %s", noPod.Out.AssumedRoleUser.ARN)
	}
	if err := eaTListPolicies(eaTCreds(env, noPod)); testenv.ErrorCode(err) != "AccessDenied" {
		t.Errorf("session of a token without a pod: ListPolicies: %v, want AccessDenied (no pod name tag p1)", err)
	}

	// A long pod name: the session name is cut to STS's 64 characters.
	long := strings.Repeat("p", 70)
	lr := eaTOK(t, env, "prod", eaTToken(t, env, "prod", "web", "api", long))
	if s := lr.Out.AssumedRoleUser.ARN[strings.LastIndexByte(lr.Out.AssumedRoleUser.ARN, '/')+1:]; len(s) != 64 || !strings.HasPrefix(s, "eks-prod-ppp") {
		t.Errorf("session name for a %d-character pod name: %q (%d characters), want 64", len(long), s, len(s))
	}
	eaTCaller(t, eaTCreds(env, lr))

	// A node whose credentials are a role session (an instance role).
	nodeRole, err := sts.NewFromConfig(eaTNode(env)).AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/node-role"), RoleSessionName: aws.String("i-0123456789abcdef0")})
	if err != nil {
		t.Fatalf("AssumeRole node-role: %v", err)
	}
	nc := nodeRole.Credentials
	viaRole, err := eaTAssume(env, env.Config(aws.ToString(nc.AccessKeyId), aws.ToString(nc.SecretAccessKey), aws.ToString(nc.SessionToken)), "prod", eaTToken(t, env, "prod", "web", "api", "p1"))
	if err != nil {
		t.Fatalf("AssumeRoleForPodIdentity with the node role's session: %v", err)
	}
	if got := aws.ToString(eaTCaller(t, eaTCreds(env, viaRole)).Arn); !strings.HasPrefix(got, "arn:aws:sts::111111111111:assumed-role/app/eks-prod-p1-") {
		t.Errorf("pod session through the node role: %s", got)
	}

	// The same service account of another cluster has its own association.
	st := eaTOK(t, env, "staging", eaTToken(t, env, "staging", "web", "api", "p1"))
	if st.Out.PodIdentityAssociation.AssociationID != aws.ToString(eaTAssociation(t, env, "staging", "web", "api").AssociationId) ||
		!strings.HasPrefix(st.Out.AssumedRoleUser.ARN, "arn:aws:sts::111111111111:assumed-role/app/eks-staging-p1-") {
		t.Errorf("staging web/api: %+v %s", st.Out.PodIdentityAssociation, st.Out.AssumedRoleUser.ARN)
	}

	// The association's policy narrows the role's session.
	na := eaTOK(t, env, "prod", eaTToken(t, env, "prod", "web", "narrowapp", "p1"))
	if g, l, u := eaTIAMCalls(eaTCreds(env, na), eaTAppRole); g != "ok" || l != "AccessDenied" || u != "AccessDenied" {
		t.Errorf("web/narrowapp session (policy: iam:GetRole only, no tags): GetRole %s, ListRoles %s, ListUsers %s; want ok, AccessDenied, AccessDenied", g, l, u)
	}
	eaTWithin(t, "expiration (no target role, with a policy)", na.Out.Credentials.Expiration.Time, 6*time.Hour)
}

func TestAssumeRoleForPodIdentityTargetRole(t *testing.T) {
	env := eaTStart(t)
	assoc := eaTAssociation(t, env, "prod", "web", "cross")
	r := eaTOK(t, env, "prod", eaTToken(t, env, "prod", "web", "cross", "p1"))
	out := r.Out

	if out.Subject.Namespace != "web" || out.Subject.ServiceAccount != "cross" || out.Audience != wire.Audience {
		t.Errorf("subject %+v, audience %q", out.Subject, out.Audience)
	}
	if out.PodIdentityAssociation.AssociationARN != aws.ToString(assoc.AssociationArn) || out.PodIdentityAssociation.AssociationID != aws.ToString(assoc.AssociationId) {
		t.Errorf("podIdentityAssociation = %+v, want web/cross's %s", out.PodIdentityAssociation, aws.ToString(assoc.AssociationId))
	}
	session, ok := strings.CutPrefix(out.AssumedRoleUser.ARN, "arn:aws:sts::222222222222:assumed-role/target/")
	if !ok || !eaTSessionName.MatchString(session) {
		t.Errorf("assumedRoleUser.arn = %q, want arn:aws:sts::222222222222:assumed-role/target/eks-prod-p1-<uuid>", out.AssumedRoleUser.ARN)
	}
	if roleID, s, _ := strings.Cut(out.AssumedRoleUser.AssumeRoleID, ":"); !strings.HasPrefix(roleID, "AROA") || s != session {
		t.Errorf("assumedRoleUser.assumeRoleId = %q, want AROA…:%s", out.AssumedRoleUser.AssumeRoleID, session)
	}
	if !strings.HasPrefix(out.Credentials.AccessKeyID, "ASIA") {
		t.Errorf("accessKeyId = %q", out.Credentials.AccessKeyID)
	}
	eaTWithin(t, "expiration (target role)", out.Credentials.Expiration.Time, 59*time.Minute)

	cfg := eaTCreds(env, r)
	id := eaTCaller(t, cfg)
	if aws.ToString(id.Arn) != out.AssumedRoleUser.ARN || aws.ToString(id.Account) != testenv.AccountB || aws.ToString(id.UserId) != out.AssumedRoleUser.AssumeRoleID {
		t.Errorf("GetCallerIdentity = %s %s %s, want %s in B", aws.ToString(id.Arn), aws.ToString(id.Account), aws.ToString(id.UserId), out.AssumedRoleUser.ARN)
	}
	// The target role's permissions: GetRole of itself, ListRoles, and
	// ListUsers for the session tag kubernetes-service-account=cross
	// (transitive from the first session).
	if g, l, u := eaTIAMCalls(cfg, eaTTargetRole); g != "ok" || l != "ok" || u != "ok" {
		t.Errorf("target session: GetRole %s, ListRoles %s, ListUsers %s; want all ok", g, l, u)
	}
	if g, _, _ := eaTIAMCalls(cfg, eaTTargetNoTag); g != "AccessDenied" {
		t.Errorf("target session: GetRole of target-notag %s, want AccessDenied", g)
	}
	// Not the app role's: A's IAM is another account.
	if _, err := iam.NewFromConfig(cfg).GetUser(context.Background(), &iam.GetUserInput{UserName: aws.String("node")}); testenv.ErrorCode(err) != "AccessDenied" {
		t.Errorf("target session GetUser: %v, want AccessDenied", err)
	}

	// The association's policy (with disableSessionTags) narrows the
	// target session: only iam:GetRole is left, and no tags flow.
	n := eaTOK(t, env, "prod", eaTToken(t, env, "prod", "web", "narrow", "p1"))
	if !strings.HasPrefix(n.Out.AssumedRoleUser.ARN, "arn:aws:sts::222222222222:assumed-role/target/eks-prod-p1-") {
		t.Errorf("web/narrow: assumedRoleUser.arn = %q", n.Out.AssumedRoleUser.ARN)
	}
	eaTWithin(t, "expiration (target role, with a policy)", n.Out.Credentials.Expiration.Time, 59*time.Minute)
	ncfg := eaTCreds(env, n)
	if got := aws.ToString(eaTCaller(t, ncfg).Arn); got != n.Out.AssumedRoleUser.ARN {
		t.Errorf("web/narrow GetCallerIdentity = %s", got)
	}
	if g, l, u := eaTIAMCalls(ncfg, eaTTargetRole); g != "ok" || l != "AccessDenied" || u != "AccessDenied" {
		t.Errorf("web/narrow session: GetRole %s, ListRoles %s, ListUsers %s; want ok, AccessDenied, AccessDenied", g, l, u)
	}
	// The policy allows GetRole on any role, but the target role does not.
	if g, _, _ := eaTIAMCalls(ncfg, eaTTargetNoTag); g != "AccessDenied" {
		t.Errorf("web/narrow session: GetRole of target-notag %s, want AccessDenied", g)
	}

	// A target trust without an ExternalId condition works too.
	o := eaTOK(t, env, "prod", eaTToken(t, env, "prod", "web", "open", "p1"))
	if !strings.HasPrefix(o.Out.AssumedRoleUser.ARN, "arn:aws:sts::222222222222:assumed-role/target-open/eks-prod-p1-") {
		t.Errorf("web/open: assumedRoleUser.arn = %q", o.Out.AssumedRoleUser.ARN)
	}
}

func TestAssumeRoleForPodIdentityRefusals(t *testing.T) {
	env := eaTStart(t)
	node := eaTNode(env)
	tok := func(sa string) string { return eaTToken(t, env, "prod", "web", sa, "p1") }
	apiTok := tok("api")

	type tc struct {
		name    string
		cfg     aws.Config
		cluster string
		token   string
		code    string
		status  int
		msg     string // in the message, when set
	}
	cases := []tc{
		{"target trust without sts:TagSession while tags flow", node, "prod", tok("notag"), wire.AccessDeniedException, 400, "but not sts:TagSession, which is needed because session tags were passed"},
		{"target trust's ExternalId is another service account's", node, "prod", tok("wrongext"), wire.AccessDeniedException, 400, "the external ID passed (us-east-1/111111111111/prod/web/wrongext) is not one the trust policy accepts"},
		{"association role trust without sts:TagSession while tags flow", node, "prod", tok("podsnotag"), wire.AccessDeniedException, 400, "pods-notag"},
		{"association role trust not naming pods.eks.amazonaws.com", node, "prod", tok("untrusted"), wire.AccessDeniedException, 400, "untrusted"},
		{"association role that does not exist", node, "prod", tok("ghost"), wire.AccessDeniedException, 400, "ghost"},
		{"no association for the service account", node, "prod", tok("nobody"), wire.ResourceNotFoundException, 404, "nobody"},
		{"no association in the namespace", node, "prod", eaTToken(t, env, "prod", "elsewhere", "api", "p1"), wire.ResourceNotFoundException, 404, ""},
		{"token of another cluster", node, "prod", eaTToken(t, env, "staging", "web", "api", "p1"), wire.InvalidTokenException, 400, ""},
		{"token for audience sts.amazonaws.com", node, "prod", eaTToken(t, env, "prod", "web", "api", "p1", "sts.amazonaws.com"), wire.InvalidTokenException, 400, ""},
		{"token not a JWT", node, "prod", "not-a-token", wire.InvalidTokenException, 400, ""},
		{"token with a changed signature", node, "prod", eaTTamper(apiTok), wire.InvalidTokenException, 400, ""},
		{"token with a rewritten subject", node, "prod", eaTRewrite(t, apiTok, func(c map[string]any) { c["sub"] = "system:serviceaccount:web:cross" }), wire.InvalidTokenException, 400, ""},
		{"token signed by a key of our own, with the cluster's kid", node, "prod", eaTForge(t, apiTok, true, nil), wire.InvalidTokenException, 400, ""},
		{"token signed by a key of our own, unknown kid", node, "prod", eaTForge(t, apiTok, false, nil), wire.InvalidTokenException, 400, ""},
		{"expired token signed by a key of our own", node, "prod", eaTForge(t, apiTok, true, func(c map[string]any) {
			c["exp"], c["iat"], c["nbf"] = time.Now().Add(-time.Hour).Unix(), time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-2*time.Hour).Unix()
		}), wire.InvalidTokenException, 400, ""},
		{"token too short", node, "prod", "ab", wire.InvalidParameterException, 400, ""},
		{"unknown cluster", node, "nope", apiTok, wire.ResourceNotFoundException, 404, "nope"},
		{"invalid cluster name", node, "-bad", apiTok, wire.InvalidParameterException, 400, ""},
		{"node without eks-auth:AssumeRoleForPodIdentity", env.Config(eaTStrangerKey, eaTStrangerSec, ""), "prod", apiTok, wire.AccessDeniedException, 400, "eks-auth:AssumeRoleForPodIdentity"},
		{"node allowed on prod only, calling staging", env.Config(eaTProdOnlyKey, eaTProdOnlySec, ""), "staging", eaTToken(t, env, "staging", "web", "api", "p1"), wire.AccessDeniedException, 400, "eks-auth:AssumeRoleForPodIdentity"},
		{"account B (no cluster prod) with A's token", env.RootConfig(testenv.AccountB), "prod", apiTok, wire.ResourceNotFoundException, 404, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := eaTAssume(env, c.cfg, c.cluster, c.token)
			msg := eaTWant(t, c.name, err, c.code, c.status)
			if c.msg != "" && !strings.Contains(msg, c.msg) {
				t.Errorf("message %q does not mention %q", msg, c.msg)
			}
		})
	}

	// The same tokens work where the set-up allows them.
	t.Run("allowed counterparts", func(t *testing.T) {
		// disableSessionTags makes the trust without sts:TagSession work.
		r := eaTOK(t, env, "prod", tok("notag-off"))
		if !strings.HasPrefix(r.Out.AssumedRoleUser.ARN, "arn:aws:sts::222222222222:assumed-role/target-notag/eks-prod-p1-") {
			t.Errorf("web/notag-off: %s", r.Out.AssumedRoleUser.ARN)
		}
		if g, _, _ := eaTIAMCalls(eaTCreds(env, r), eaTTargetNoTag); g != "ok" {
			t.Errorf("web/notag-off session: GetRole of target-notag %s", g)
		}
		r = eaTOK(t, env, "prod", tok("podsnotag-off"))
		if !strings.HasPrefix(r.Out.AssumedRoleUser.ARN, "arn:aws:sts::111111111111:assumed-role/pods-notag/eks-prod-p1-") {
			t.Errorf("web/podsnotag-off: %s", r.Out.AssumedRoleUser.ARN)
		}
		// The prod-only node on prod; the root user of A.
		if _, err := eaTAssume(env, env.Config(eaTProdOnlyKey, eaTProdOnlySec, ""), "prod", apiTok); err != nil {
			t.Errorf("prod-only node on prod: %v", err)
		}
		if _, err := eaTAssume(env, env.RootConfig(testenv.AccountA), "prod", apiTok); err != nil {
			t.Errorf("A's root user: %v", err)
		}
		// The node's permission granted to the stranger.
		if _, err := env.RootIAM(testenv.AccountA).PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{UserName: aws.String("stranger"), PolicyName: aws.String("node"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks-auth:AssumeRoleForPodIdentity","Resource":"*"}]}`)}); err != nil {
			t.Fatal(err)
		}
		if _, err := eaTAssume(env, env.Config(eaTStrangerKey, eaTStrangerSec, ""), "prod", apiTok); err != nil {
			t.Errorf("stranger with eks-auth:AssumeRoleForPodIdentity: %v", err)
		}
	})

	t.Run("wrong external ID fixed by the trust", func(t *testing.T) {
		// The association's external ID names its own service account:
		// add it to the target's trust and the same token works.
		ext := "us-east-1/111111111111/prod/web/wrongext"
		d, err := sdkeks.NewFromConfig(env.RootConfig(testenv.AccountA)).DescribePodIdentityAssociation(context.Background(), &sdkeks.DescribePodIdentityAssociationInput{
			ClusterName: aws.String("prod"), AssociationId: eaTAssociation(t, env, "prod", "web", "wrongext").AssociationId})
		if err != nil || aws.ToString(d.Association.ExternalId) != ext {
			t.Fatalf("web/wrongext externalId: %v %v", err, d)
		}
		trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + eaTAppRole + `"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{"sts:ExternalId":"` + ext + `"}}}]}`
		if _, err := env.RootIAM(testenv.AccountB).UpdateAssumeRolePolicy(context.Background(), &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("target"), PolicyDocument: aws.String(trust)}); err != nil {
			t.Fatal(err)
		}
		if r := eaTOK(t, env, "prod", tok("wrongext")); !strings.HasPrefix(r.Out.AssumedRoleUser.ARN, "arn:aws:sts::222222222222:assumed-role/target/") {
			t.Errorf("web/wrongext with its external ID trusted: %s", r.Out.AssumedRoleUser.ARN)
		}
		// And web/cross is now the one refused.
		_, err = eaTAssume(env, node, "prod", tok("cross"))
		eaTWant(t, "web/cross after the trust names only wrongext", err, wire.AccessDeniedException, 400)
	})

	t.Run("malformed request body", func(t *testing.T) {
		for _, body := range []string{`{"token":`, `not json`, `["a"]`} {
			// A code EKS Auth's model declares, so that SDKs map it.
			status, code, b := eaTRaw(t, env, node, "prod", body)
			if status != http.StatusBadRequest || (code != wire.InvalidRequestException && code != wire.InvalidParameterException) || !strings.Contains(b, `"message"`) {
				t.Errorf("body %q: HTTP %d %q %s, want 400 InvalidRequestException (or InvalidParameterException) with a message", body, status, code, b)
			}
		}
		status, code, _ := eaTRaw(t, env, node, "prod", `{}`)
		if status != http.StatusBadRequest || code != wire.InvalidParameterException {
			t.Errorf("body {}: HTTP %d %q, want 400 InvalidParameterException", status, code)
		}
	})

	t.Run("token of a deleted and re-created cluster", func(t *testing.T) {
		ctx := context.Background()
		c := sdkeks.NewFromConfig(env.RootConfig(testenv.AccountA))
		mk := func() {
			if _, err := c.CreateCluster(ctx, &sdkeks.CreateClusterInput{Name: aws.String("temp"), RoleArn: aws.String("arn:aws:iam::111111111111:role/eks-cluster"), ResourcesVpcConfig: &types.VpcConfigRequest{}}); err != nil {
				t.Fatalf("CreateCluster temp: %v", err)
			}
			if _, err := c.CreatePodIdentityAssociation(ctx, &sdkeks.CreatePodIdentityAssociationInput{ClusterName: aws.String("temp"), Namespace: aws.String("web"), ServiceAccount: aws.String("api"), RoleArn: aws.String(eaTAppRole)}); err != nil {
				t.Fatalf("CreatePodIdentityAssociation temp: %v", err)
			}
		}
		mk()
		old := eaTToken(t, env, "temp", "web", "api", "p1")
		eaTOK(t, env, "temp", old)
		if _, err := c.DeleteCluster(ctx, &sdkeks.DeleteClusterInput{Name: aws.String("temp")}); err != nil {
			t.Fatal(err)
		}
		_, err := eaTAssume(env, node, "temp", old)
		eaTWant(t, "token of a deleted cluster", err, wire.ResourceNotFoundException, 404)
		mk()
		_, err = eaTAssume(env, node, "temp", old)
		eaTWant(t, "token of the deleted cluster at the re-created one", err, wire.InvalidTokenException, 400)
		eaTOK(t, env, "temp", eaTToken(t, env, "temp", "web", "api", "p1"))
	})

	t.Run("deleted and changed associations", func(t *testing.T) {
		ctx := context.Background()
		c := sdkeks.NewFromConfig(env.RootConfig(testenv.AccountA))
		id := eaTAssociation(t, env, "prod", "other", "api").AssociationId
		otherTok := eaTToken(t, env, "prod", "other", "api", "p1")
		// A target role added by update applies to the next call.
		if _, err := c.UpdatePodIdentityAssociation(ctx, &sdkeks.UpdatePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: id, TargetRoleArn: aws.String(eaTTargetOpenTag)}); err != nil {
			t.Fatal(err)
		}
		r := eaTOK(t, env, "prod", otherTok)
		if !strings.HasPrefix(r.Out.AssumedRoleUser.ARN, "arn:aws:sts::222222222222:assumed-role/target-open/") {
			t.Errorf("after adding a target: %s", r.Out.AssumedRoleUser.ARN)
		}
		eaTWithin(t, "expiration after adding a target", r.Out.Credentials.Expiration.Time, 59*time.Minute)
		if _, err := c.UpdatePodIdentityAssociation(ctx, &sdkeks.UpdatePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: id, TargetRoleArn: aws.String("")}); err != nil {
			t.Fatal(err)
		}
		r = eaTOK(t, env, "prod", otherTok)
		if !strings.HasPrefix(r.Out.AssumedRoleUser.ARN, "arn:aws:sts::111111111111:assumed-role/app/") {
			t.Errorf("after removing the target: %s", r.Out.AssumedRoleUser.ARN)
		}
		eaTWithin(t, "expiration after removing the target", r.Out.Credentials.Expiration.Time, 6*time.Hour)
		if _, err := c.DeletePodIdentityAssociation(ctx, &sdkeks.DeletePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: id}); err != nil {
			t.Fatal(err)
		}
		_, err := eaTAssume(env, node, "prod", otherTok)
		eaTWant(t, "after the association is deleted", err, wire.ResourceNotFoundException, 404)
	})
}

// ExpiredTokenException needs a token the cluster signed that has expired:
// the token endpoint's shortest lifetime is 600 s and the verifier
// tolerates 60 s of skew, so it is not tested here (a forged expired token
// is InvalidTokenException: the signature is checked first).

// TestAssumeRoleForPodIdentityAfterRestart: associations, keys and the
// sessions' credentials survive a restart.
func TestAssumeRoleForPodIdentityAfterRestart(t *testing.T) {
	env := eaTStart(t)
	tok := eaTToken(t, env, "prod", "web", "cross", "p1")
	before := eaTOK(t, env, "prod", tok)
	env.Restart()
	after := eaTOK(t, env, "prod", tok)
	if before.Out.PodIdentityAssociation != after.Out.PodIdentityAssociation {
		t.Errorf("association before %+v, after %+v", before.Out.PodIdentityAssociation, after.Out.PodIdentityAssociation)
	}
	for _, r := range []*eaTResult{before, after} {
		if got := aws.ToString(eaTCaller(t, eaTCreds(env, r)).Arn); got != r.Out.AssumedRoleUser.ARN {
			t.Errorf("GetCallerIdentity after restart = %s, want %s", got, r.Out.AssumedRoleUser.ARN)
		}
	}
}

// TestAssumeRoleForPodIdentityOtherRegion: a cluster in eu-west-1, called
// by a node signing for eu-west-1: the external ID and the eks-cluster-arn
// session tag name the cluster's region.
func TestAssumeRoleForPodIdentityOtherRegion(t *testing.T) {
	env := eaTStart(t)
	eu := func(cfg aws.Config) aws.Config {
		cfg.Region = "eu-west-1"
		return cfg
	}
	c := awsclient.FromConfig(eu(env.RootConfig(testenv.AccountA)), env.URL)
	var tok eks.TokenResponse
	if err := c.PostJSON(context.Background(), "eks", "/_assumed/clusters/eu/token", eks.TokenRequest{Namespace: "web", ServiceAccount: "cross", Audiences: []string{wire.Audience}, PodName: "p1"}, &tok); err != nil {
		t.Fatalf("token of cluster eu: %v", err)
	}
	r, err := eaTAssume(env, eu(eaTNode(env)), "eu", tok.Token)
	if err != nil {
		t.Fatalf("AssumeRoleForPodIdentity eu in eu-west-1: %v", err)
	}
	if !strings.HasPrefix(r.Out.AssumedRoleUser.ARN, "arn:aws:sts::222222222222:assumed-role/target-eu/eks-eu-p1-") ||
		!strings.HasPrefix(r.Out.PodIdentityAssociation.AssociationARN, "arn:aws:eks:eu-west-1:111111111111:podidentityassociation/eu/a-") {
		t.Errorf("eu: %s, association %s", r.Out.AssumedRoleUser.ARN, r.Out.PodIdentityAssociation.AssociationARN)
	}
	eaTCaller(t, eaTCreds(env, r))
	// The cluster is not in us-east-1.
	_, err = eaTAssume(env, eaTNode(env), "eu", tok.Token)
	eaTWant(t, "cluster eu called in us-east-1", err, wire.ResourceNotFoundException, 404)
}

// eaTRaw posts a raw body to AssumeRoleForPodIdentity, signed for
// eks-auth, and returns the status, X-Amzn-ErrorType and body.
func eaTRaw(t *testing.T, env *testenv.Env, cfg aws.Config, cluster, body string) (int, string, string) {
	t.Helper()
	ctx := context.Background()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, env.URL+wire.AssumeRoleForPodIdentityPath(cluster), bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if err := awsclient.FromConfig(cfg, env.URL).Sign(ctx, req, []byte(body), "eks-auth"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), string(b)
}

// eaTTamper changes one character in the middle of a token's signature.
func eaTTamper(tok string) string {
	i := strings.LastIndexByte(tok, '.') + (len(tok)-strings.LastIndexByte(tok, '.'))/2
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}

// eaTClaims decodes a token's header and claims.
func eaTClaims(t *testing.T, tok string) (map[string]any, map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	var out [2]map[string]any
	for i := range out {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out[0], out[1]
}

// eaTRewrite changes a token's claims and keeps its signature.
func eaTRewrite(t *testing.T, tok string, mut func(map[string]any)) string {
	t.Helper()
	_, claims := eaTClaims(t, tok)
	mut(claims)
	b, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(b) + "." + parts[2]
}

// eaTForge signs a token's claims (changed by mut) with a new RSA key,
// with the original key ID or a made-up one.
func eaTForge(t *testing.T, tok string, sameKid bool, mut func(map[string]any)) string {
	t.Helper()
	head, claims := eaTClaims(t, tok)
	if mut != nil {
		mut(claims)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	kid := "forged-key"
	if sameKid {
		kid, _ = head["kid"].(string)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
