package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkeks "github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/assumed-dev/assumed/internal/testenv"
	"github.com/assumed-dev/assumed/internal/world"
)

// tokTEnv runs a server whose account A has the cluster "demo", points
// the AWS environment at it (profile account-a of its credentials file)
// and returns it with the cluster's issuer URL.
func tokTEnv(t *testing.T) (*testenv.Env, string) {
	t.Helper()
	env := testenv.Start(t, &world.World{Accounts: []world.Account{
		{ID: testenv.AccountA, Name: "account-a", Clusters: []world.Cluster{{Name: "demo"}}},
		{ID: testenv.AccountB, Name: "account-b"},
	}})
	for _, k := range []string{
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION",
		"AWS_ENDPOINT_URL_EKS", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_DEFAULT_PROFILE",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	} {
		tokTUnset(t, k)
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(env.DataDir, "credentials"))
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "no-such-config"))
	t.Setenv("AWS_PROFILE", "account-a")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ENDPOINT_URL", env.URL)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	out, err := sdkeks.NewFromConfig(env.RootConfig(testenv.AccountA)).DescribeCluster(context.Background(), &sdkeks.DescribeClusterInput{Name: aws.String("demo")})
	if err != nil {
		t.Fatalf("DescribeCluster demo: %v", err)
	}
	return env, aws.ToString(out.Cluster.Identity.Oidc.Issuer)
}

// tokTUnset unsets an environment variable for the rest of the test.
func tokTUnset(t *testing.T, key string) {
	t.Setenv(key, "") // restores the old value when the test ends
	os.Unsetenv(key)
}

// tokTRun runs `assumed ARGS` in-process.
func tokTRun(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// tokTClaims are the claims of a service-account token.
type tokTClaims struct {
	jwt.Claims
	Kubernetes struct {
		Namespace string `json:"namespace"`
		Pod       *struct {
			Name string `json:"name"`
			UID  string `json:"uid"`
		} `json:"pod"`
		Node *struct {
			Name string `json:"name"`
		} `json:"node"`
		ServiceAccount struct {
			Name string `json:"name"`
		} `json:"serviceaccount"`
	} `json:"kubernetes.io"`
}

// tokTVerify checks that stdout (not a terminal) holds a JWT and nothing
// else, not even a newline, since token files are sent as headers, and
// that it verifies with the issuer's served JWKS; it returns its claims.
func tokTVerify(t *testing.T, issuer, stdout string) tokTClaims {
	t.Helper()
	raw := stdout
	if raw == "" || strings.ContainsAny(raw, "\n \t") {
		t.Fatalf("stdout = %q, want the token alone", stdout)
	}
	resp, err := http.Get(issuer + "/keys")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s/keys: %d %s %v", issuer, resp.StatusCode, b, err)
	}
	var ks jose.JSONWebKeySet
	if err := json.Unmarshal(b, &ks); err != nil {
		t.Fatalf("decode JWKS %s: %v", b, err)
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("parse token %q: %v", raw, err)
	}
	var c tokTClaims
	if err := tok.Claims(ks, &c); err != nil {
		t.Fatalf("token does not verify with the JWKS of %s: %v", issuer, err)
	}
	if c.Issuer != issuer {
		t.Errorf("iss = %q, want %q", c.Issuer, issuer)
	}
	return c
}

func TestTokenCommand(t *testing.T) {
	_, issuer := tokTEnv(t)
	base := []string{"token", "--cluster", "demo", "--namespace", "default", "--service-account", "my-sa"}

	t.Run("default", func(t *testing.T) {
		code, stdout, stderr := tokTRun(base...)
		if code != 0 {
			t.Fatalf("exit %d, stderr %s", code, stderr)
		}
		if stderr != "" {
			t.Errorf("stderr = %q, want nothing", stderr)
		}
		c := tokTVerify(t, issuer, stdout)
		if c.Subject != "system:serviceaccount:default:my-sa" {
			t.Errorf("sub = %q", c.Subject)
		}
		if !slices.Equal([]string(c.Audience), []string{"sts.amazonaws.com"}) {
			t.Errorf("aud = %v, want [sts.amazonaws.com]", c.Audience)
		}
		if c.Expiry == nil || c.IssuedAt == nil || int64(*c.Expiry)-int64(*c.IssuedAt) != 86400 {
			t.Errorf("exp %v iat %v, want 24 h apart", c.Expiry, c.IssuedAt)
		}
		if c.Kubernetes.Namespace != "default" || c.Kubernetes.ServiceAccount.Name != "my-sa" || c.Kubernetes.Pod != nil {
			t.Errorf("kubernetes.io = %+v", c.Kubernetes)
		}
	})

	t.Run("audience", func(t *testing.T) {
		code, stdout, stderr := tokTRun(append(base, "--audience", "pods.eks.amazonaws.com")...)
		if code != 0 {
			t.Fatalf("exit %d, stderr %s", code, stderr)
		}
		c := tokTVerify(t, issuer, stdout)
		if !slices.Equal([]string(c.Audience), []string{"pods.eks.amazonaws.com"}) {
			t.Errorf("aud = %v, want [pods.eks.amazonaws.com]", c.Audience)
		}
		code, stdout, stderr = tokTRun(append(base, "--audience", "a", "--audience", "b")...)
		if code != 0 {
			t.Fatalf("two audiences: exit %d, stderr %s", code, stderr)
		}
		if c := tokTVerify(t, issuer, stdout); !slices.Equal([]string(c.Audience), []string{"a", "b"}) {
			t.Errorf("aud = %v, want [a b]", c.Audience)
		}
	})

	t.Run("pod, node, expires", func(t *testing.T) {
		code, stdout, stderr := tokTRun(append(base, "--pod", "web-0", "--node", "node-1", "--expires", "1h")...)
		if code != 0 {
			t.Fatalf("exit %d, stderr %s", code, stderr)
		}
		c := tokTVerify(t, issuer, stdout)
		if p := c.Kubernetes.Pod; p == nil || p.Name != "web-0" || p.UID == "" {
			t.Errorf("pod claim = %+v", p)
		}
		if n := c.Kubernetes.Node; n == nil || n.Name != "node-1" {
			t.Errorf("node claim = %+v", n)
		}
		if d := int64(*c.Expiry) - int64(*c.IssuedAt); d != 3600 {
			t.Errorf("exp - iat = %d, want 3600", d)
		}
	})

	t.Run("expires out of range", func(t *testing.T) {
		code, stdout, stderr := tokTRun(append(base, "--expires", "1m")...)
		if code == 0 || stdout != "" {
			t.Fatalf("--expires 1m: exit %d, stdout %q", code, stdout)
		}
		if !strings.Contains(stderr, "InvalidParameterException") {
			t.Errorf("stderr = %q, want InvalidParameterException", stderr)
		}
	})

	t.Run("endpoint flag overrides AWS_ENDPOINT_URL", func(t *testing.T) {
		env := os.Getenv("AWS_ENDPOINT_URL")
		t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
		code, stdout, stderr := tokTRun(append(base, "--endpoint", env)...)
		if code != 0 {
			t.Fatalf("exit %d, stderr %s", code, stderr)
		}
		tokTVerify(t, issuer, stdout)
		// And without the flag the wrong endpoint is used: a failure.
		if code, _, stderr := tokTRun(base...); code != 1 {
			t.Errorf("with a wrong AWS_ENDPOINT_URL: exit %d, want 1 (stderr %s)", code, stderr)
		}
	})

	t.Run("AWS_ENDPOINT_URL_EKS overrides AWS_ENDPOINT_URL", func(t *testing.T) {
		env := os.Getenv("AWS_ENDPOINT_URL")
		t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
		t.Setenv("AWS_ENDPOINT_URL_EKS", env)
		code, stdout, stderr := tokTRun(base...)
		if code != 0 {
			t.Fatalf("exit %d, stderr %s", code, stderr)
		}
		tokTVerify(t, issuer, stdout)
	})

	t.Run("profile flag", func(t *testing.T) {
		// account-b has no cluster "demo".
		code, stdout, stderr := tokTRun(append(base, "--profile", "account-b")...)
		if code != 1 || stdout != "" || !strings.Contains(stderr, "ResourceNotFoundException") {
			t.Errorf("--profile account-b: exit %d, stdout %q, stderr %q; want 1 and ResourceNotFoundException", code, stdout, stderr)
		}
	})

	t.Run("region flag", func(t *testing.T) {
		code, stdout, stderr := tokTRun(append(base, "--region", "eu-west-1")...)
		if code != 1 || stdout != "" || !strings.Contains(stderr, "ResourceNotFoundException") {
			t.Errorf("--region eu-west-1: exit %d, stdout %q, stderr %q; want 1 and ResourceNotFoundException", code, stdout, stderr)
		}
	})

	t.Run("unknown cluster", func(t *testing.T) {
		code, stdout, stderr := tokTRun("token", "--cluster", "nope", "--namespace", "default", "--service-account", "sa")
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
		if stdout != "" {
			t.Errorf("stdout = %q, want nothing", stdout)
		}
		if !strings.Contains(stderr, "ResourceNotFoundException") {
			t.Errorf("stderr = %q, want ResourceNotFoundException", stderr)
		}
	})

	t.Run("invalid namespace", func(t *testing.T) {
		code, _, stderr := tokTRun("token", "--cluster", "demo", "--namespace", "Default", "--service-account", "sa")
		if code != 1 || !strings.Contains(stderr, "InvalidParameterException") {
			t.Errorf("exit %d, stderr %q; want 1 and InvalidParameterException", code, stderr)
		}
	})

	t.Run("usage errors", func(t *testing.T) {
		for name, args := range map[string][]string{
			"no --cluster":         {"token", "--namespace", "default", "--service-account", "sa"},
			"no --namespace":       {"token", "--cluster", "demo", "--service-account", "sa"},
			"no --service-account": {"token", "--cluster", "demo", "--namespace", "default"},
			"positional argument":  append(slices.Clone(base), "extra"),
			"unknown flag":         append(slices.Clone(base), "--bogus"),
			"bad --expires":        append(slices.Clone(base), "--expires", "soon"),
		} {
			code, stdout, stderr := tokTRun(args...)
			if code != 2 {
				t.Errorf("%s: exit %d, want 2 (stderr %q)", name, code, stderr)
			}
			if stdout != "" {
				t.Errorf("%s: stdout = %q", name, stdout)
			}
			if stderr == "" {
				t.Errorf("%s: nothing on stderr", name)
			}
		}
		_, _, stderr := tokTRun("token", "--namespace", "default", "--service-account", "sa")
		if !strings.Contains(stderr, "--cluster") {
			t.Errorf("no --cluster: stderr %q does not name --cluster", stderr)
		}
	})

	t.Run("no endpoint", func(t *testing.T) {
		tokTUnset(t, "AWS_ENDPOINT_URL")
		code, stdout, stderr := tokTRun(base...)
		if code != 2 {
			t.Errorf("exit %d, want 2", code)
		}
		if stdout != "" {
			t.Errorf("stdout = %q", stdout)
		}
		if !strings.Contains(stderr, "AWS_ENDPOINT_URL") {
			t.Errorf("stderr = %q, want it to mention AWS_ENDPOINT_URL", stderr)
		}
	})
}
