package sts_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/assumed-dev/assumed/internal/awsclient"
	"github.com/assumed-dev/assumed/internal/eks"
	"github.com/assumed-dev/assumed/internal/testenv"
	"github.com/assumed-dev/assumed/internal/world"
)

// wiToken asks the server for a service-account token of an account's
// cluster, signed as the account's root user.
func wiToken(t *testing.T, env *testenv.Env, account, cluster, ns, sa string, audiences ...string) string {
	t.Helper()
	c := awsclient.FromConfig(env.RootConfig(account), env.URL)
	var out eks.TokenResponse
	if err := c.PostJSON(context.Background(), "eks", "/_assumed/clusters/"+cluster+"/token", eks.TokenRequest{Namespace: ns, ServiceAccount: sa, Audiences: audiences}, &out); err != nil {
		t.Fatalf("token for %s/%s: %v", ns, sa, err)
	}
	return out.Token
}

// wiTokenFile writes a token to a file, as Kubernetes projects it.
func wiTokenFile(t *testing.T, token string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(p, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// wiAssume calls AssumeRoleWithWebIdentity unsigned, as the SDK does.
func wiAssume(env *testenv.Env, roleARN, token string, mut ...func(*sts.AssumeRoleWithWebIdentityInput)) (*sts.AssumeRoleWithWebIdentityOutput, error) {
	cfg := env.Config("", "", "")
	cfg.Credentials = aws.AnonymousCredentials{}
	in := &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("pod"), WebIdentityToken: aws.String(token)}
	for _, m := range mut {
		m(in)
	}
	return sts.NewFromConfig(cfg).AssumeRoleWithWebIdentity(context.Background(), in)
}

func wiCallerARN(t *testing.T, cfg aws.Config) string {
	t.Helper()
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	return aws.ToString(out.Arn)
}

// wiTrust is a web-identity trust policy for a provider named by its
// host/path, with StringEquals conditions on :sub and :aud.
func wiTrust(account, provider, sub string) string {
	return `'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::` + account + `:oidc-provider/` + provider + `"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"` + provider + `:sub":"` + sub + `","` + provider + `:aud":"sts.amazonaws.com"}}}]}'`
}

// Seed 000: pods of account A's cluster reach account B, either through
// an OIDC provider B registers for A's issuer, or by chaining from A's
// own web-identity role.
var seed000 = `accounts:
  - id: "111111111111"
    name: account-a
    clusters: [{name: prod}]
    oidc_providers: [{cluster: account-a/prod, client_ids: [sts.amazonaws.com]}]
    roles:
      - name: account-a-role
        trust: ` + wiTrust("111111111111", "{{issuer account-a/prod}}", "system:serviceaccount:default:app") + `
        policies:
          chain: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::222222222222:role/account-b-chain"}]}'
  - id: "222222222222"
    name: account-b
    oidc_providers: [{cluster: account-a/prod, client_ids: [sts.amazonaws.com]}]
    roles:
      - name: account-b-role
        trust: ` + wiTrust("222222222222", "{{issuer account-a/prod}}", "system:serviceaccount:default:app") + `
        policies:
          read: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"arn:aws:iam::222222222222:role/account-b-role"}]}'
      - name: account-b-chain
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}'
`

func TestSeed000ProviderInTargetAccount(t *testing.T) {
	env := startWorld(t, seed000)
	token := wiToken(t, env, testenv.AccountA, "prod", "default", "app")
	tokenFile := wiTokenFile(t, token)
	roleB := "arn:aws:iam::222222222222:role/account-b-role"

	// The answer, field by field.
	out, err := wiAssume(env, roleB, token)
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity: %v\n%s", err, env.Logs())
	}
	issuer := strings.TrimPrefix(env.URL, "http://") + eks.IssuerPathPrefix
	if got := aws.ToString(out.Provider); !strings.HasPrefix(got, "arn:aws:iam::222222222222:oidc-provider/"+issuer) {
		t.Errorf("Provider = %q, want B's provider ARN for %s…", got, issuer)
	}
	if got := aws.ToString(out.SubjectFromWebIdentityToken); got != "system:serviceaccount:default:app" {
		t.Errorf("SubjectFromWebIdentityToken = %q", got)
	}
	if got := aws.ToString(out.Audience); got != "sts.amazonaws.com" {
		t.Errorf("Audience = %q", got)
	}
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != "arn:aws:sts::222222222222:assumed-role/account-b-role/pod" {
		t.Errorf("AssumedRoleUser.Arn = %q", got)
	}
	if !strings.HasPrefix(aws.ToString(out.Credentials.AccessKeyId), "ASIA") || out.SessionTokenUtilization != nil {
		t.Errorf("credentials %q, packed size %v", aws.ToString(out.Credentials.AccessKeyId), out.SessionTokenUtilization)
	}

	// (a) The SDK's own web-identity provider, with a token file.
	cfg := env.Config("", "", "")
	anon := env.Config("", "", "")
	anon.Credentials = aws.AnonymousCredentials{}
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewWebIdentityRoleProvider(sts.NewFromConfig(anon), roleB, stscreds.IdentityTokenFile(tokenFile), func(o *stscreds.WebIdentityRoleOptions) { o.RoleSessionName = "sdk" }))
	if got := wiCallerARN(t, cfg); got != "arn:aws:sts::222222222222:assumed-role/account-b-role/sdk" {
		t.Errorf("caller = %q", got)
	}
	// The session has the role's permissions, and only those.
	iamc := iam.NewFromConfig(cfg)
	if _, err := iamc.GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String("account-b-role")}); err != nil {
		t.Errorf("GetRole allowed by the role's policy: %v", err)
	}
	if _, err := iamc.ListRoles(context.Background(), &iam.ListRolesInput{}); testenv.ErrorCode(err) != "AccessDenied" {
		t.Errorf("ListRoles: want AccessDenied, got %v", err)
	}

	// (b) AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE, as the IRSA webhook
	// sets them.
	wiIsolateEnv(t)
	// aws-sdk-go-v2 builds the STS client of its credential providers
	// before it reads AWS_ENDPOINT_URL; the STS-specific variable reaches
	// it.
	t.Setenv("AWS_ENDPOINT_URL_STS", env.URL)
	t.Setenv("AWS_ROLE_ARN", roleB)
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tokenFile)
	t.Setenv("AWS_ROLE_SESSION_NAME", "from-env")
	envCfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := wiCallerARN(t, envCfg); got != "arn:aws:sts::222222222222:assumed-role/account-b-role/from-env" {
		t.Errorf("caller from the environment = %q", got)
	}
}

// wiIsolateEnv points the SDK's environment at the server and at no
// credentials or config of the machine.
func wiIsolateEnv(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func TestSeed000ChainedProfiles(t *testing.T) {
	env := startWorld(t, seed000)
	tokenFile := wiTokenFile(t, wiToken(t, env, testenv.AccountA, "prod", "default", "app"))
	wiIsolateEnv(t)
	t.Setenv("AWS_ENDPOINT_URL", env.URL)
	t.Setenv("AWS_ENDPOINT_URL_STS", env.URL) // see TestSeed000ProviderInTargetAccount
	// The seed's config file, exactly: B's profile sources A's, which gets
	// its credentials from the token file.
	cfgFile := os.Getenv("AWS_CONFIG_FILE")
	conf := "[profile account_b_role]\nsource_profile = account_a_role\nrole_arn=arn:aws:iam::222222222222:role/account-b-chain\n\n" +
		"[profile account_a_role]\nweb_identity_token_file = " + tokenFile + "\nrole_arn=arn:aws:iam::111111111111:role/account-a-role\n"
	if err := os.WriteFile(cfgFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithSharedConfigProfile("account_b_role"))
	if err != nil {
		t.Fatal(err)
	}
	if got := wiCallerARN(t, cfg); !strings.HasPrefix(got, "arn:aws:sts::222222222222:assumed-role/account-b-chain/") {
		t.Errorf("account_b_role caller = %q", got)
	}
	a, err := config.LoadDefaultConfig(context.Background(), config.WithSharedConfigProfile("account_a_role"))
	if err != nil {
		t.Fatal(err)
	}
	if got := wiCallerARN(t, a); !strings.HasPrefix(got, "arn:aws:sts::111111111111:assumed-role/account-a-role/") {
		t.Errorf("account_a_role caller = %q", got)
	}

	// A web-identity session chains like any role session: at most one
	// hour further down.
	stsA := sts.NewFromConfig(a)
	_, err = stsA.AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::222222222222:role/account-b-chain"), RoleSessionName: aws.String("long"), DurationSeconds: aws.Int32(7200)})
	if testenv.ErrorCode(err) != "ValidationError" || !strings.Contains(err.Error(), "1 hour session limit for roles assumed by role chaining") {
		t.Errorf("chained 2 h: want the role-chaining ValidationError, got %v", err)
	}
	if _, err := stsA.AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::222222222222:role/account-b-chain"), RoleSessionName: aws.String("hour"), DurationSeconds: aws.Int32(3600)}); err != nil {
		t.Errorf("chained 1 h: %v", err)
	}
}

// Seed 003: a role in the source account trusted with :sub and :aud
// conditions, the provider registered in the target account too, and a
// role there trusting it.
var seed003 = `accounts:
  - id: "111111111111"
    name: account-a
    clusters: [{name: src}]
    oidc_providers: [{cluster: account-a/src, client_ids: [sts.amazonaws.com]}]
    roles:
      - name: source-role
        trust: ` + wiTrust("111111111111", "{{issuer account-a/src}}", "system:serviceaccount:team:worker") + `
  - id: "222222222222"
    name: account-b
    oidc_providers: [{cluster: account-a/src, client_ids: [sts.amazonaws.com]}]
    roles:
      - name: target-role
        trust: ` + wiTrust("222222222222", "{{issuer account-a/src}}", "system:serviceaccount:team:worker") + `
`

func TestSeed003ProviderInBothAccounts(t *testing.T) {
	env := startWorld(t, seed003)
	good := wiToken(t, env, testenv.AccountA, "src", "team", "worker")
	otherSA := wiToken(t, env, testenv.AccountA, "src", "team", "intruder")
	otherAud := wiToken(t, env, testenv.AccountA, "src", "team", "worker", "not-sts")
	for _, role := range []string{"arn:aws:iam::111111111111:role/source-role", "arn:aws:iam::222222222222:role/target-role"} {
		out, err := wiAssume(env, role, good)
		if err != nil {
			t.Errorf("%s: %v", role, err)
			continue
		}
		acct := strings.Split(role, ":")[4]
		if got := aws.ToString(out.AssumedRoleUser.Arn); !strings.HasPrefix(got, "arn:aws:sts::"+acct+":assumed-role/") {
			t.Errorf("%s: assumed %q", role, got)
		}
		_, err = wiAssume(env, role, otherSA)
		if testenv.ErrorCode(err) != "AccessDenied" || !strings.Contains(err.Error(), "Not authorized to perform sts:AssumeRoleWithWebIdentity") || !strings.Contains(err.Error(), ":sub") {
			t.Errorf("%s with another service account: want AccessDenied naming the :sub condition, got %v", role, err)
		}
		_, err = wiAssume(env, role, otherAud)
		if testenv.ErrorCode(err) != "InvalidIdentityToken" || !strings.Contains(err.Error(), "Incorrect token audience") {
			t.Errorf("%s with another audience: want InvalidIdentityToken, got %v", role, err)
		}
	}
}

func TestWebIdentityRefusals(t *testing.T) {
	doc := seed000 + `      - name: wrong-action
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::222222222222:oidc-provider/{{issuer account-a/prod}}"},"Action":"sts:AssumeRole"}]}'
      - name: short
        max_session_duration: 3600
        trust: ` + wiTrust("222222222222", "{{issuer account-a/prod}}", "system:serviceaccount:default:app") + `
  - id: "333333333333"
    name: account-c
    roles:
      - name: no-provider
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::333333333333:oidc-provider/example.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}'
`
	env := startWorld(t, doc)
	token := wiToken(t, env, testenv.AccountA, "prod", "default", "app")
	parts := strings.Split(token, ".")
	sig := []byte(parts[2])
	sig[10] ^= 1
	if sig[10] == '.' || sig[10] == '-' {
		sig[10] = 'A'
	}
	tampered := parts[0] + "." + parts[1] + "." + string(sig)
	cases := []struct {
		name, role, token, code, msg string
		mut                          func(*sts.AssumeRoleWithWebIdentityInput)
	}{
		{"issuer registered only in another account", "arn:aws:iam::333333333333:role/no-provider", token, "InvalidIdentityToken", "No OpenIDConnect provider found in your account for " + env.URL, nil},
		{"trust without sts:AssumeRoleWithWebIdentity", "arn:aws:iam::222222222222:role/wrong-action", token, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", nil},
		{"bad signature", "arn:aws:iam::222222222222:role/account-b-role", tampered, "InvalidIdentityToken", "", nil},
		{"not a JWT", "arn:aws:iam::222222222222:role/account-b-role", "not-a-token", "InvalidIdentityToken", "", nil},
		{"role that does not exist", "arn:aws:iam::222222222222:role/nobody", token, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", nil},
		{"duration over the role's maximum", "arn:aws:iam::222222222222:role/short", token, "ValidationError", "MaxSessionDuration", func(in *sts.AssumeRoleWithWebIdentityInput) { in.DurationSeconds = aws.Int32(7200) }},
		{"bad session name", "arn:aws:iam::222222222222:role/account-b-role", token, "ValidationError", "roleSessionName", func(in *sts.AssumeRoleWithWebIdentityInput) { in.RoleSessionName = aws.String("a b") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var muts []func(*sts.AssumeRoleWithWebIdentityInput)
			if c.mut != nil {
				muts = append(muts, c.mut)
			}
			_, err := wiAssume(env, c.role, c.token, muts...)
			if testenv.ErrorCode(err) != c.code || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("want %s containing %q, got %v", c.code, c.msg, err)
			}
		})
	}
	// A session policy narrows the session, and its size is reported.
	out, err := wiAssume(env, "arn:aws:iam::222222222222:role/account-b-role", token, func(in *sts.AssumeRoleWithWebIdentityInput) {
		in.Policy = aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}`)
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.SessionTokenUtilization == nil {
		t.Error("PackedPolicySize missing with a session policy")
	}
	sess := iam.NewFromConfig(env.Config(aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken)))
	if _, err := sess.GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String("account-b-role")}); testenv.ErrorCode(err) != "AccessDenied" {
		t.Errorf("GetRole outside the session policy: want AccessDenied, got %v", err)
	}
}

// wiIssuer is an OIDC issuer not run by assumed: it serves discovery and
// a JWKS over plain http, and signs tokens with go-jose.
type wiIssuer struct {
	srv    *httptest.Server
	rsa    *rsa.PrivateKey
	ec     *ecdsa.PrivateKey
	keys   jose.JSONWebKeySet
	hidden bool // when set, the JWKS leaves the RSA key out
}

func newWIIssuer(t *testing.T) *wiIssuer {
	t.Helper()
	is := &wiIssuer{}
	var err error
	if is.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if is.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	is.keys.Keys = []jose.JSONWebKey{
		{Key: is.rsa.Public(), KeyID: "rsa-1", Algorithm: "RS256", Use: "sig"},
		{Key: is.ec.Public(), KeyID: "ec-1", Algorithm: "ES256", Use: "sig"},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": is.srv.URL, "jwks_uri": is.srv.URL + "/jwks", "response_types_supported": []string{"id_token"}, "subject_types_supported": []string{"public"}, "id_token_signing_alg_values_supported": []string{"RS256", "ES256"}})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, _ *http.Request) {
		keys := is.keys
		if is.hidden {
			keys.Keys = keys.Keys[1:]
		}
		json.NewEncoder(w).Encode(keys)
	})
	is.srv = httptest.NewServer(mux)
	t.Cleanup(is.srv.Close)
	return is
}

type wiClaims struct {
	jwt.Claims
	Tags map[string]any `json:"https://aws.amazon.com/tags,omitempty"`
}

func (is *wiIssuer) sign(t *testing.T, alg jose.SignatureAlgorithm, kid string, key any, c wiClaims) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(s).Claims(c).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func (is *wiIssuer) claims(sub string, exp time.Duration) wiClaims {
	now := time.Now()
	return wiClaims{Claims: jwt.Claims{Issuer: is.srv.URL, Subject: sub, Audience: jwt.Audience{"sts.amazonaws.com"}, IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(exp))}}
}

// unsignedToken builds a token with any header, for the algorithms a
// library would refuse to sign with.
func unsignedToken(header map[string]any, claims wiClaims, sig []byte) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	enc := base64.RawURLEncoding
	return enc.EncodeToString(h) + "." + enc.EncodeToString(c) + "." + enc.EncodeToString(sig)
}

func TestExternalIssuer(t *testing.T) {
	is := newWIIssuer(t)
	env := testenv.StartWith(t, testenv.Options{OIDCAllowHTTP: true})
	ctx := context.Background()
	host := strings.TrimPrefix(is.srv.URL, "http://")
	if _, err := env.RootIAM(testenv.AccountB).CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(is.srv.URL), ClientIDList: []string{"sts.amazonaws.com"}}); err != nil {
		t.Fatalf("register the external issuer: %v", err)
	}
	trust := func(actions string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::222222222222:oidc-provider/` + host + `"},"Action":` + actions + `,"Condition":{"StringLike":{"` + host + `:sub":"repo:assumed/*"}}}]}`
	}
	for name, actions := range map[string]string{"ci": `"sts:AssumeRoleWithWebIdentity"`, "ci-tags": `["sts:AssumeRoleWithWebIdentity","sts:TagSession"]`} {
		if _, err := env.RootIAM(testenv.AccountB).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust(actions))}); err != nil {
			t.Fatal(err)
		}
	}
	role := "arn:aws:iam::222222222222:role/ci"
	good := is.claims("repo:assumed/main", time.Hour)
	hmacKey, _ := x509.MarshalPKIXPublicKey(is.rsa.Public())
	wrongAud := good
	wrongAud.Audience = jwt.Audience{"someone-else"}
	expired := is.claims("repo:assumed/main", -time.Hour)
	expired.IssuedAt = jwt.NewNumericDate(time.Now().Add(-2 * time.Hour))
	expired.NotBefore = expired.IssuedAt
	future := good
	future.NotBefore = jwt.NewNumericDate(time.Now().Add(time.Hour))
	tagged := good
	tagged.Tags = map[string]any{"principal_tags": map[string]any{"team": []any{"platform"}}, "transitive_tag_keys": []any{"team"}}
	badTags := good
	badTags.Tags = map[string]any{"principal_tags": map[string]any{"team": []any{"a", "b"}}}

	cases := []struct {
		name, role, token, code, msg string
	}{
		{"RS256", role, is.sign(t, jose.RS256, "rsa-1", is.rsa, good), "", ""},
		{"ES256", role, is.sign(t, jose.ES256, "ec-1", is.ec, good), "", ""},
		{"wrong sub", role, is.sign(t, jose.RS256, "rsa-1", is.rsa, is.claims("repo:other/main", time.Hour)), "AccessDenied", ":sub"},
		{"wrong audience", role, is.sign(t, jose.RS256, "rsa-1", is.rsa, wrongAud), "InvalidIdentityToken", "Incorrect token audience"},
		{"expired", role, is.sign(t, jose.RS256, "rsa-1", is.rsa, expired), "ExpiredTokenException", "expired"},
		{"not yet valid", role, is.sign(t, jose.RS256, "rsa-1", is.rsa, future), "InvalidIdentityToken", ""},
		{"unknown kid", role, is.sign(t, jose.RS256, "rsa-9", is.rsa, good), "InvalidIdentityToken", ""},
		{"signed by another key", role, is.sign(t, jose.ES256, "ec-1", mustEC(t), good), "InvalidIdentityToken", ""},
		{"alg none", role, unsignedToken(map[string]any{"alg": "none", "kid": "rsa-1", "typ": "JWT"}, good, nil), "InvalidIdentityToken", ""},
		{"HS256 keyed with the public key", role, is.sign(t, jose.HS256, "rsa-1", hmacKey, good), "InvalidIdentityToken", ""},
		{"session tags without sts:TagSession", role, is.sign(t, jose.RS256, "rsa-1", is.rsa, tagged), "AccessDenied", "sts:TagSession"},
		{"session tags with sts:TagSession", "arn:aws:iam::222222222222:role/ci-tags", is.sign(t, jose.RS256, "rsa-1", is.rsa, tagged), "", ""},
		{"a session tag with two values", "arn:aws:iam::222222222222:role/ci-tags", is.sign(t, jose.RS256, "rsa-1", is.rsa, badTags), "IDPRejectedClaim", "exactly one value"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := wiAssume(env, c.role, c.token)
			if c.code == "" {
				if err != nil {
					t.Fatalf("want success, got %v", err)
				}
				return
			}
			if testenv.ErrorCode(err) != c.code || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("want %s containing %q, got %v", c.code, c.msg, err)
			}
		})
	}

	// The JWKS is cached; a key the issuer no longer publishes stops
	// verifying once the cache refreshes on an unknown kid.
	t.Run("JWKS endpoint down", func(t *testing.T) {
		down := newWIIssuer(t)
		if _, err := env.RootIAM(testenv.AccountB).CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(down.srv.URL), ClientIDList: []string{"sts.amazonaws.com"}}); err != nil {
			t.Fatal(err)
		}
		dhost := strings.TrimPrefix(down.srv.URL, "http://")
		if _, err := env.RootIAM(testenv.AccountB).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("down"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::222222222222:oidc-provider/` + dhost + `"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`)}); err != nil {
			t.Fatal(err)
		}
		tok := down.sign(t, jose.RS256, "rsa-1", down.rsa, down.claims("x", time.Hour))
		down.srv.Close()
		_, err := wiAssume(env, "arn:aws:iam::222222222222:role/down", tok)
		if testenv.ErrorCode(err) != "IDPCommunicationError" {
			t.Errorf("want IDPCommunicationError, got %v", err)
		}
	})
}

func mustEC(t *testing.T) crypto.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Without --oidc-allow-http, a plain-http issuer is refused: IAM will not
// register it, as AWS would not.
func TestPlainHTTPIssuerRefusedByDefault(t *testing.T) {
	is := newWIIssuer(t)
	env := testenv.Start(t, nil)
	_, err := env.RootIAM(testenv.AccountB).CreateOpenIDConnectProvider(context.Background(), &iam.CreateOpenIDConnectProviderInput{Url: aws.String(is.srv.URL), ClientIDList: []string{"sts.amazonaws.com"}})
	if testenv.ErrorCode(err) != "InvalidInput" {
		t.Errorf("want InvalidInput for an http issuer, got %v", err)
	}
}

// Tokens of assumed's own issuers are verified with the keys in memory:
// with a public URL whose host does not even resolve, they still verify,
// so no network round trip happens.
func TestOwnIssuerVerifiedWithoutNetwork(t *testing.T) {
	w, err := world.Parse("world.yaml", []byte(seed003))
	if err != nil {
		t.Fatal(err)
	}
	env := testenv.StartWith(t, testenv.Options{World: w, PublicURL: "https://issuer.invalid"})
	token := wiToken(t, env, testenv.AccountA, "src", "team", "worker")
	out, err := wiAssume(env, "arn:aws:iam::222222222222:role/target-role", token)
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
	}
	if got := aws.ToString(out.Provider); !strings.HasPrefix(got, "arn:aws:iam::222222222222:oidc-provider/issuer.invalid/_assumed/oidc/id/") {
		t.Errorf("Provider = %q", got)
	}
}

// AssumeRoleWithWebIdentity is unsigned: an Authorization header that
// would not verify is ignored, as AWS ignores it, in a POST form or a GET
// query string.
func TestWebIdentityIgnoresAuthorization(t *testing.T) {
	env := startWorld(t, seed003)
	token := wiToken(t, env, testenv.AccountA, "src", "team", "worker")
	form := url.Values{
		"Action": {"AssumeRoleWithWebIdentity"}, "Version": {"2011-06-15"},
		"RoleArn": {"arn:aws:iam::222222222222:role/target-role"}, "RoleSessionName": {"raw"}, "WebIdentityToken": {token},
	}
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		var req *http.Request
		var err error
		if method == http.MethodPost {
			req, err = http.NewRequest(method, env.URL+"/", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			req, err = http.NewRequest(method, env.URL+"/?"+form.Encode(), nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAXXXXXXXXXXXXXXXX/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "<Arn>arn:aws:sts::222222222222:assumed-role/target-role/raw</Arn>") {
			t.Errorf("%s: status %d: %s", method, resp.StatusCode, b)
		}
	}
}

// spoofIssuer is whoever answers plain http on a host: for any path P it
// serves discovery naming the issuer http://HOST/P and a JWKS of its own
// key, so it can sign tokens for every http issuer on that host.
type spoofIssuer struct {
	srv  *httptest.Server
	host string // host:port
	key  *rsa.PrivateKey
	hits atomic.Int32 // discovery and JWKS requests served
}

func newSpoofIssuer(t *testing.T) *spoofIssuer {
	t.Helper()
	sp := &spoofIssuer{}
	var err error
	if sp.key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	sp.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sp.hits.Add(1)
		if iss, ok := strings.CutSuffix(r.URL.Path, "/.well-known/openid-configuration"); ok {
			iss = "http://" + r.Host + iss
			json.NewEncoder(w).Encode(map[string]any{"issuer": iss, "jwks_uri": iss + "/spoofed-keys"})
			return
		}
		if strings.HasSuffix(r.URL.Path, "/spoofed-keys") {
			json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: sp.key.Public(), KeyID: "spoof", Algorithm: "RS256", Use: "sig"}}})
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(sp.srv.Close)
	sp.host = strings.TrimPrefix(sp.srv.URL, "http://")
	return sp
}

// token signs a token for issuer iss with the spoofer's key.
func (sp *spoofIssuer) token(t *testing.T, iss, sub string) string {
	t.Helper()
	now := time.Now()
	c := wiClaims{Claims: jwt.Claims{Issuer: iss, Subject: sub, Audience: jwt.Audience{"sts.amazonaws.com"}, IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Hour))}}
	return (&wiIssuer{}).sign(t, jose.RS256, "spoof", sp.key, c)
}

// tokenIssuer reads a token's "iss" claim.
func tokenIssuer(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Iss string `json:"iss"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	return c.Iss
}

// A provider is registered with its scheme, and a token's issuer must
// match it scheme included, although the ARN and the condition keys drop
// the scheme. With --oidc-allow-http, an https provider must not trust
// http://HOST/PATH: its keys would come over plain http from whoever
// answers there (here, the spoofer on HOST).
func TestIssuerSchemeMustMatchProvider(t *testing.T) {
	sp := newSpoofIssuer(t)
	// The cluster's issuer is https://HOST/_assumed/oidc/id/… on the
	// spoofer's own host; its keys are assumed's, in memory.
	w, err := world.Parse("world.yaml", []byte(`accounts:
  - id: "111111111111"
    name: account-a
    clusters: [{name: prod}]
  - id: "222222222222"
    name: account-b
    oidc_providers: [{cluster: account-a/prod, client_ids: [sts.amazonaws.com]}]
    roles:
      - name: app
        trust: `+wiTrust("222222222222", "{{issuer account-a/prod}}", "system:serviceaccount:default:app")+`
`))
	if err != nil {
		t.Fatal(err)
	}
	env := testenv.StartWith(t, testenv.Options{World: w, OIDCAllowHTTP: true, PublicURL: "https://" + sp.host})
	ctx := context.Background()
	b := env.RootIAM(testenv.AccountB)
	const sub = "system:serviceaccount:default:app"
	noProvider := "No OpenIDConnect provider found in your account for "

	// The https cluster issuer's own token: accepted.
	good := wiToken(t, env, testenv.AccountA, "prod", "default", "app")
	httpsIss := tokenIssuer(t, good)
	if !strings.HasPrefix(httpsIss, "https://"+sp.host+"/") {
		t.Fatalf("cluster issuer %q is not on https://%s", httpsIss, sp.host)
	}
	out, err := wiAssume(env, "arn:aws:iam::222222222222:role/app", good)
	if err != nil {
		t.Fatalf("the https issuer's token: %v", err)
	}
	if got, want := aws.ToString(out.Provider), "arn:aws:iam::222222222222:oidc-provider/"+strings.TrimPrefix(httpsIss, "https://"); got != want {
		t.Errorf("Provider = %q, want %q", got, want)
	}

	// A provider registered through IAM as https://HOST/lab, and a role
	// trusting it.
	labURL := "https://" + sp.host + "/lab"
	if _, err := b.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(labURL), ClientIDList: []string{"sts.amazonaws.com"}}); err != nil {
		t.Fatalf("register %s: %v", labURL, err)
	}
	// And one registered as http://HOST/plain, the lab's plain-http issuer.
	plainURL := "http://" + sp.host + "/plain"
	if _, err := b.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(plainURL), ClientIDList: []string{"sts.amazonaws.com"}}); err != nil {
		t.Fatalf("register %s: %v", plainURL, err)
	}
	for name, provider := range map[string]string{"lab": sp.host + "/lab", "plain": sp.host + "/plain"} {
		if _, err := b.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(strings.Trim(wiTrust("222222222222", provider, sub), "'"))}); err != nil {
			t.Fatal(err)
		}
	}

	cases := []struct {
		name, role, token, code, msg string
	}{
		{"http token for the https cluster provider", "arn:aws:iam::222222222222:role/app", sp.token(t, "http://"+strings.TrimPrefix(httpsIss, "https://"), sub), "InvalidIdentityToken", noProvider + "http://" + strings.TrimPrefix(httpsIss, "https://")},
		{"http token for an https provider", "arn:aws:iam::222222222222:role/lab", sp.token(t, "http://"+sp.host+"/lab", sub), "InvalidIdentityToken", noProvider + "http://" + sp.host + "/lab"},
		{"https token for an http provider", "arn:aws:iam::222222222222:role/plain", sp.token(t, "https://"+sp.host+"/plain", sub), "InvalidIdentityToken", noProvider + "https://" + sp.host + "/plain"},
		{"token without a scheme", "arn:aws:iam::222222222222:role/lab", sp.token(t, sp.host+"/lab", sub), "InvalidIdentityToken", noProvider + sp.host + "/lab"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := sp.hits.Load()
			_, err := wiAssume(env, c.role, c.token)
			if testenv.ErrorCode(err) != c.code || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("want %s containing %q, got %v", c.code, c.msg, err)
			}
			if n := sp.hits.Load() - before; n != 0 {
				t.Errorf("the plain-http host was asked for keys %d times", n)
			}
		})
	}

	// The http provider trusts its own http issuer, and the schemes are
	// stored: after a restart, each provider still trusts its own alone.
	for _, restart := range []bool{false, true} {
		if restart {
			env.Restart()
		}
		if _, err := wiAssume(env, "arn:aws:iam::222222222222:role/plain", sp.token(t, plainURL, sub)); err != nil {
			t.Errorf("http token for the http provider (restarted: %v): %v", restart, err)
		}
		_, err := wiAssume(env, "arn:aws:iam::222222222222:role/lab", sp.token(t, "http://"+sp.host+"/lab", sub))
		if testenv.ErrorCode(err) != "InvalidIdentityToken" || !strings.Contains(err.Error(), noProvider) {
			t.Errorf("http token for the https provider (restarted: %v): want InvalidIdentityToken, got %v", restart, err)
		}
	}

	// The ARN holds host/path alone, so the lab's http://HOST/lab is the
	// https provider already there.
	_, err = b.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("http://" + sp.host + "/lab"), ClientIDList: []string{"sts.amazonaws.com"}})
	if testenv.ErrorCode(err) != "EntityAlreadyExists" || !strings.Contains(err.Error(), "Provider with url "+labURL+" already exists.") {
		t.Errorf("http://HOST/lab over https://HOST/lab: want EntityAlreadyExists naming %s, got %v", labURL, err)
	}
}
