package eks_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	sdkeks "github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/assumed-dev/assumed/internal/eks"
	"github.com/assumed-dev/assumed/internal/testenv"
)

// tlsTToken mints a service-account token over the env's (TLS) client.
func tlsTToken(t *testing.T, env *testenv.Env, cluster string) string {
	t.Helper()
	body, _ := json.Marshal(eks.TokenRequest{Namespace: "default", ServiceAccount: "app"})
	req, err := http.NewRequest(http.MethodPost, env.URL+"/_assumed/clusters/"+cluster+"/token", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(body)
	id, secret := env.RootKey(testenv.AccountA)
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, req, hex.EncodeToString(sum[:]), "eks", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := env.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	defer resp.Body.Close()
	var out eks.TokenResponse
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil {
		t.Fatalf("token: status %d", resp.StatusCode)
	}
	return out.Token
}

// tlsTLeaf returns the certificate the server presents.
func tlsTLeaf(t *testing.T, env *testenv.Env) *tls.ConnectionState {
	t.Helper()
	resp, err := env.HTTPClient().Get(env.URL + "/_assumed/health")
	if err != nil {
		t.Fatalf("health over TLS: %v", err)
	}
	resp.Body.Close()
	if resp.TLS == nil {
		t.Fatal("health answered without TLS")
	}
	return resp.TLS
}

// With --tls, the SDK trusting the data dir's CA talks to the server over
// HTTPS; the CA survives a restart; the certificate names the public URL's
// host. A public URL with a host and no port gives issuer URLs IAM takes as
// AWS would, and STS verifies their tokens from memory: the host needs no
// DNS.
func TestEKSOverTLS(t *testing.T) {
	env := testenv.StartWith(t, testenv.Options{TLS: true, PublicURL: "https://oidc.assumed.test"})
	ctx := context.Background()
	if !strings.HasPrefix(env.URL, "https://127.0.0.1:") {
		t.Fatalf("URL = %s", env.URL)
	}
	ca, err := os.ReadFile(env.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(env.CAFile); fi.Mode().Perm() != 0o644 {
		t.Errorf("CA certificate mode %04o, want 0644", fi.Mode().Perm())
	}
	if !strings.Contains(env.Logs(), "ca_file=") || !strings.Contains(env.Logs(), "tls=true") {
		t.Errorf("the log does not name the CA file:\n%s", env.Logs())
	}

	st := tlsTLeaf(t, env)
	leaf := st.PeerCertificates[0]
	if !slices.Contains(leaf.DNSNames, "oidc.assumed.test") || !slices.Contains(leaf.DNSNames, "localhost") {
		t.Errorf("the certificate names %v, want oidc.assumed.test and localhost", leaf.DNSNames)
	}
	if err := leaf.VerifyHostname("127.0.0.1"); err != nil {
		t.Errorf("the certificate does not name 127.0.0.1: %v", err)
	}

	// The SDK, with the CA in its client's RootCAs.
	c := eksTClient(env, testenv.AccountA)
	cl := eksTCreate(t, c, "prod")
	iss := aws.ToString(cl.Identity.Oidc.Issuer)
	if !strings.HasPrefix(iss, "https://oidc.assumed.test"+eks.IssuerPathPrefix) {
		t.Errorf("issuer = %s", iss)
	}
	if ep := aws.ToString(cl.Endpoint); !strings.HasPrefix(ep, "https://oidc.assumed.test/_assumed/eks/clusters/") {
		t.Errorf("endpoint = %s", ep)
	}
	// A client that does not trust the CA is refused.
	plain := sdkeks.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: env.RootConfig(testenv.AccountA).Credentials, BaseEndpoint: aws.String(env.URL)})
	_, err = plain.ListClusters(ctx, &sdkeks.ListClustersInput{})
	var unknownCA x509.UnknownAuthorityError
	if !errors.As(err, &unknownCA) {
		t.Errorf("a client without the CA: %v, want an unknown authority error", err)
	}

	// IRSA with the port-less https issuer: IAM registers it as AWS would,
	// and the token verifies with no DNS lookup of oidc.assumed.test.
	provider := strings.TrimPrefix(iss, "https://")
	b := iam.NewFromConfig(env.RootConfig(testenv.AccountB))
	if _, err := b.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(iss), ClientIDList: []string{"sts.amazonaws.com"}}); err != nil {
		t.Fatalf("CreateOpenIDConnectProvider %s: %v", iss, err)
	}
	got, err := b.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String("arn:aws:iam::222222222222:oidc-provider/" + provider)})
	if err != nil || aws.ToString(got.Url) != provider {
		t.Errorf("GetOpenIDConnectProvider = %v, %v; want Url %s", got, err, provider)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::222222222222:oidc-provider/` + provider + `"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"` + provider + `:sub":"system:serviceaccount:default:app"}}}]}`
	if _, err := b.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("irsa"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	token := tlsTToken(t, env, "prod")
	anon := env.Config("", "", "")
	anon.Credentials = aws.AnonymousCredentials{}
	out, err := sts.NewFromConfig(anon).AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String("arn:aws:iam::222222222222:role/irsa"), RoleSessionName: aws.String("pod"), WebIdentityToken: aws.String(token),
	})
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity over TLS with issuer %s: %v", iss, err)
	}
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != "arn:aws:sts::222222222222:assumed-role/irsa/pod" {
		t.Errorf("assumed %s", got)
	}

	// A restart keeps the CA (and so the clients' trust), and the issuer.
	env.Restart()
	again, err := os.ReadFile(env.CAFile)
	if err != nil || !bytes.Equal(again, ca) {
		t.Errorf("the CA changed across a restart")
	}
	// Its names did not change, so neither did the server certificate.
	if st2 := tlsTLeaf(t, env); !bytes.Equal(st2.PeerCertificates[0].Raw, leaf.Raw) {
		t.Errorf("the server certificate was re-issued across a restart")
	}
	cl2, err := eksTClient(env, testenv.AccountA).DescribeCluster(ctx, &sdkeks.DescribeClusterInput{Name: aws.String("prod")})
	if err != nil {
		t.Fatalf("DescribeCluster after a restart: %v", err)
	}
	if aws.ToString(cl2.Cluster.Identity.Oidc.Issuer) != iss || cl2.Cluster.CertificateAuthority == nil {
		t.Errorf("after a restart: issuer %s, certificateAuthority %+v", aws.ToString(cl2.Cluster.Identity.Oidc.Issuer), cl2.Cluster.CertificateAuthority)
	}
	if _, err := eksTClient(env, testenv.AccountA).ListClusters(ctx, &sdkeks.ListClustersInput{}); err != nil {
		t.Errorf("ListClusters over TLS after a restart: %v", err)
	}
}
