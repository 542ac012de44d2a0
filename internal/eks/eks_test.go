package eks_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	sdkeks "github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/assumed-dev/assumed/internal/awsclient"
	"github.com/assumed-dev/assumed/internal/eks"
	"github.com/assumed-dev/assumed/internal/testenv"
	"github.com/assumed-dev/assumed/internal/world"
)

const eksTRoleARN = "arn:aws:iam::111111111111:role/eks-cluster"

var eksTIssuerID = regexp.MustCompile(`^[0-9A-F]{32}$`)

// eksTClient returns an EKS client for an account's root user.
func eksTClient(env *testenv.Env, account string) *sdkeks.Client {
	return sdkeks.NewFromConfig(env.RootConfig(account))
}

// eksTCreate creates a cluster with the default role, failing the test on
// error, and returns the cluster as CreateCluster describes it.
func eksTCreate(t *testing.T, c *sdkeks.Client, name string) *types.Cluster {
	t.Helper()
	out, err := c.CreateCluster(context.Background(), &sdkeks.CreateClusterInput{
		Name:               aws.String(name),
		RoleArn:            aws.String(eksTRoleARN),
		ResourcesVpcConfig: &types.VpcConfigRequest{SubnetIds: []string{"subnet-1"}},
	})
	if err != nil {
		t.Fatalf("CreateCluster %s: %v", name, err)
	}
	return out.Cluster
}

// eksTIssuer returns the issuer URL of a cluster and its issuer ID.
func eksTIssuer(t *testing.T, env *testenv.Env, c *types.Cluster) (string, string) {
	t.Helper()
	if c == nil || c.Identity == nil || c.Identity.Oidc == nil || c.Identity.Oidc.Issuer == nil {
		t.Fatalf("cluster has no OIDC issuer: %+v", c)
	}
	iss := *c.Identity.Oidc.Issuer
	id, ok := strings.CutPrefix(iss, env.URL+eks.IssuerPathPrefix)
	if !ok || !eksTIssuerID.MatchString(id) {
		t.Fatalf("issuer = %q, want %s%s<32 upper-case hex digits>", iss, env.URL, eks.IssuerPathPrefix)
	}
	return iss, id
}

// eksTWant checks that err is the SDK error of type E with code.
func eksTWant[E error](t *testing.T, what string, err error, code string) E {
	t.Helper()
	var e E
	if err == nil {
		t.Fatalf("%s: succeeded, want %s", what, code)
	}
	if !errors.As(err, &e) {
		t.Fatalf("%s: error %T %v, want %T", what, err, err, e)
	}
	if got := testenv.ErrorCode(err); got != code {
		t.Fatalf("%s: error code %q, want %q (%v)", what, got, code, err)
	}
	return e
}

// eksTAPIError is an error answered by the server to a hand-made request.
type eksTAPIError struct {
	Status  int
	Code    string
	Message string
	Body    string
}

// eksTPost posts body (JSON) to path, SigV4-signed for "eks" with the given
// credentials in us-east-1, and decodes a 200 answer into out.
func eksTPost(t *testing.T, env *testenv.Env, id, secret, path string, in, out any) *eksTAPIError {
	t.Helper()
	body, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, env.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(body)
	cr := aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), cr, req, hex.EncodeToString(sum[:]), "eks", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		ae := &eksTAPIError{Status: resp.StatusCode, Code: resp.Header.Get("X-Amzn-ErrorType"), Body: string(b)}
		var m struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(b, &m)
		ae.Message = m.Message
		return ae
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("POST %s: decode %s: %v", path, b, err)
		}
	}
	return nil
}

// eksTRootToken mints a token of an account A cluster as the root user,
// through the awsclient package the CLI uses.
func eksTRootToken(t *testing.T, env *testenv.Env, cluster string, in eks.TokenRequest) eks.TokenResponse {
	t.Helper()
	id, secret := env.RootKey(testenv.AccountA)
	t.Setenv("AWS_ACCESS_KEY_ID", id)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", env.DataDir+"/no-such-config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", env.DataDir+"/no-such-credentials")
	c, err := awsclient.New(context.Background(), awsclient.Options{Region: "us-east-1", Endpoint: env.URL, Service: "eks"})
	if err != nil {
		t.Fatalf("awsclient.New: %v", err)
	}
	var out eks.TokenResponse
	if err := c.PostJSON(context.Background(), "eks", "/_assumed/clusters/"+cluster+"/token", in, &out); err != nil {
		t.Fatalf("token for %s: %v", cluster, err)
	}
	if out.Token == "" {
		t.Fatalf("token for %s: empty token", cluster)
	}
	return out
}

// eksTGet GETs a URL and returns the status and body.
func eksTGet(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// eksTJWKS fetches an issuer's JWKS.
func eksTJWKS(t *testing.T, issuer string) jose.JSONWebKeySet {
	t.Helper()
	status, b := eksTGet(t, issuer+"/keys")
	if status != http.StatusOK {
		t.Fatalf("GET %s/keys: %d %s", issuer, status, b)
	}
	var ks jose.JSONWebKeySet
	if err := json.Unmarshal(b, &ks); err != nil {
		t.Fatalf("GET %s/keys: decode %s: %v", issuer, b, err)
	}
	for _, k := range ks.Keys {
		if !k.IsPublic() {
			t.Fatalf("JWKS of %s publishes a private key (kid %s)", issuer, k.KeyID)
		}
	}
	return ks
}

// eksTSAClaims are the claims of a service-account token.
type eksTSAClaims struct {
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
			UID  string `json:"uid"`
		} `json:"serviceaccount"`
	} `json:"kubernetes.io"`
}

// eksTVerify verifies a token against a JWKS and returns its claims and
// the ID of the key that signed it.
func eksTVerify(t *testing.T, raw string, ks jose.JSONWebKeySet) (eksTSAClaims, string, error) {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("parse token: %v", err)
	}
	if len(tok.Headers) != 1 {
		t.Fatalf("token has %d signatures", len(tok.Headers))
	}
	var c eksTSAClaims
	err = tok.Claims(ks, &c)
	return c, tok.Headers[0].KeyID, err
}

// eksTUser creates a user of account A with an access key and, when doc
// is not empty, an inline policy; it returns the key.
func eksTUser(t *testing.T, env *testenv.Env, name, doc string) (string, string) {
	t.Helper()
	ctx := context.Background()
	root := env.RootIAM(testenv.AccountA)
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatalf("CreateUser %s: %v", name, err)
	}
	if doc != "" {
		eksTPutPolicy(t, env, name, doc)
	}
	k, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateAccessKey %s: %v", name, err)
	}
	return aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey)
}

// eksTPutPolicy puts (or replaces) the inline policy "p" of a user.
func eksTPutPolicy(t *testing.T, env *testenv.Env, user, doc string) {
	t.Helper()
	_, err := env.RootIAM(testenv.AccountA).PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)})
	if err != nil {
		t.Fatalf("PutUserPolicy %s: %v", user, err)
	}
}

// eksTAllow is a policy allowing actions on all resources.
func eksTAllow(actions ...string) string {
	b, _ := json.Marshal(actions)
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":` + string(b) + `,"Resource":"*"}]}`
}

func TestEKSClusterLifecycle(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := eksTClient(env, testenv.AccountA)

	before := time.Now().Add(-2 * time.Second)
	created, err := c.CreateCluster(ctx, &sdkeks.CreateClusterInput{
		Name:    aws.String("prod"),
		RoleArn: aws.String(eksTRoleARN),
		ResourcesVpcConfig: &types.VpcConfigRequest{
			SubnetIds:             []string{"subnet-a", "subnet-b"},
			SecurityGroupIds:      []string{"sg-1"},
			EndpointPrivateAccess: aws.Bool(true),
		},
		Tags:    map[string]string{"team": "platform", "env": "prod"},
		Version: aws.String("1.31"),
	})
	if err != nil {
		t.Fatalf("CreateCluster: %v", err)
	}
	after := time.Now().Add(2 * time.Second)
	if got := aws.ToString(created.Cluster.Name); got != "prod" {
		t.Errorf("CreateCluster name = %q", got)
	}
	createdIss, _ := eksTIssuer(t, env, created.Cluster)

	out, err := c.DescribeCluster(ctx, &sdkeks.DescribeClusterInput{Name: aws.String("prod")})
	if err != nil {
		t.Fatalf("DescribeCluster: %v", err)
	}
	cl := out.Cluster
	if got, want := aws.ToString(cl.Arn), "arn:aws:eks:us-east-1:111111111111:cluster/prod"; got != want {
		t.Errorf("arn = %q, want %q", got, want)
	}
	if cl.Status != types.ClusterStatusActive {
		t.Errorf("status = %q, want ACTIVE", cl.Status)
	}
	if got := aws.ToString(cl.Version); got != "1.31" {
		t.Errorf("version = %q, want 1.31", got)
	}
	if got := aws.ToString(cl.RoleArn); got != eksTRoleARN {
		t.Errorf("roleArn = %q, want %q", got, eksTRoleARN)
	}
	iss, _ := eksTIssuer(t, env, cl)
	if iss != createdIss {
		t.Errorf("DescribeCluster issuer %q != CreateCluster issuer %q", iss, createdIss)
	}
	if want := map[string]string{"team": "platform", "env": "prod"}; !maps.Equal(cl.Tags, want) {
		t.Errorf("tags = %v, want %v", cl.Tags, want)
	}
	if cl.CreatedAt == nil || cl.CreatedAt.Before(before) || cl.CreatedAt.After(after) {
		t.Errorf("createdAt = %v, want between %v and %v", cl.CreatedAt, before, after)
	}
	if v := cl.ResourcesVpcConfig; v == nil {
		t.Errorf("resourcesVpcConfig missing")
	} else {
		if !slices.Equal(v.SubnetIds, []string{"subnet-a", "subnet-b"}) || !slices.Equal(v.SecurityGroupIds, []string{"sg-1"}) {
			t.Errorf("resourcesVpcConfig = %+v", v)
		}
		if !v.EndpointPublicAccess || !v.EndpointPrivateAccess {
			t.Errorf("endpoint access public=%v private=%v, want true, true", v.EndpointPublicAccess, v.EndpointPrivateAccess)
		}
	}

	// Each cluster has its own issuer.
	other := eksTCreate(t, c, "staging")
	if otherIss, _ := eksTIssuer(t, env, other); otherIss == iss {
		t.Errorf("two clusters share the issuer %s", iss)
	}
	if got := aws.ToString(other.Version); got == "" {
		t.Errorf("default version is empty")
	}

	// Same name twice.
	_, err = c.CreateCluster(ctx, &sdkeks.CreateClusterInput{Name: aws.String("prod"), RoleArn: aws.String(eksTRoleARN), ResourcesVpcConfig: &types.VpcConfigRequest{}})
	e := eksTWant[*types.ResourceInUseException](t, "CreateCluster twice", err, "ResourceInUseException")
	if got := aws.ToString(e.ClusterName); got != "prod" {
		t.Errorf("ResourceInUseException clusterName = %q, want prod", got)
	}
	// The failed create left the first cluster alone.
	if again, err := c.DescribeCluster(ctx, &sdkeks.DescribeClusterInput{Name: aws.String("prod")}); err != nil {
		t.Fatalf("DescribeCluster after the failed create: %v", err)
	} else if got, _ := eksTIssuer(t, env, again.Cluster); got != iss {
		t.Errorf("issuer changed by a failed CreateCluster: %q, was %q", got, iss)
	}

	// Invalid names and role ARNs.
	for _, name := range []string{"-lead", "has space", "dot.ted", "ü", strings.Repeat("a", 101)} {
		_, err := c.CreateCluster(ctx, &sdkeks.CreateClusterInput{Name: aws.String(name), RoleArn: aws.String(eksTRoleARN), ResourcesVpcConfig: &types.VpcConfigRequest{}})
		eksTWant[*types.InvalidParameterException](t, "CreateCluster "+name, err, "InvalidParameterException")
	}
	_, err = c.CreateCluster(ctx, &sdkeks.CreateClusterInput{Name: aws.String("norole"), RoleArn: aws.String("arn:aws:iam::111111111111:user/bob"), ResourcesVpcConfig: &types.VpcConfigRequest{}})
	eksTWant[*types.InvalidParameterException](t, "CreateCluster with a user ARN as role", err, "InvalidParameterException")

	// Delete: DELETING, then gone.
	del, err := c.DeleteCluster(ctx, &sdkeks.DeleteClusterInput{Name: aws.String("prod")})
	if err != nil {
		t.Fatalf("DeleteCluster: %v", err)
	}
	if del.Cluster == nil || aws.ToString(del.Cluster.Name) != "prod" || del.Cluster.Status != types.ClusterStatusDeleting {
		t.Errorf("DeleteCluster answered %+v, want prod DELETING", del.Cluster)
	}
	_, err = c.DescribeCluster(ctx, &sdkeks.DescribeClusterInput{Name: aws.String("prod")})
	nf := eksTWant[*types.ResourceNotFoundException](t, "DescribeCluster after delete", err, "ResourceNotFoundException")
	if got := aws.ToString(nf.ClusterName); got != "prod" {
		t.Errorf("ResourceNotFoundException clusterName = %q, want prod", got)
	}
	_, err = c.DeleteCluster(ctx, &sdkeks.DeleteClusterInput{Name: aws.String("prod")})
	eksTWant[*types.ResourceNotFoundException](t, "DeleteCluster twice", err, "ResourceNotFoundException")
	// The deleted cluster's issuer is gone.
	if status, _ := eksTGet(t, iss+"/.well-known/openid-configuration"); status != http.StatusNotFound {
		t.Errorf("discovery of a deleted cluster: %d, want 404", status)
	}
	if status, _ := eksTGet(t, iss+"/keys"); status != http.StatusNotFound {
		t.Errorf("JWKS of a deleted cluster: %d, want 404", status)
	}

	// The name can be used again, with a new issuer.
	reborn := eksTCreate(t, c, "prod")
	if got, _ := eksTIssuer(t, env, reborn); got == iss {
		t.Errorf("a re-created cluster reuses the issuer %s", iss)
	}
}

func TestEKSListClustersPaginates(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := eksTClient(env, testenv.AccountA)

	out, err := c.ListClusters(ctx, &sdkeks.ListClustersInput{})
	if err != nil {
		t.Fatalf("ListClusters (none): %v", err)
	}
	if len(out.Clusters) != 0 || out.NextToken != nil {
		t.Errorf("ListClusters with no clusters = %v, next %v", out.Clusters, aws.ToString(out.NextToken))
	}

	for _, n := range []string{"gamma", "alpha", "beta"} {
		eksTCreate(t, c, n)
	}
	p := sdkeks.NewListClustersPaginator(c, &sdkeks.ListClustersInput{MaxResults: aws.Int32(1)})
	var names []string
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListClusters page %d: %v", pages+1, err)
		}
		pages++
		if len(page.Clusters) > 1 {
			t.Errorf("page %d has %d clusters, want at most 1", pages, len(page.Clusters))
		}
		names = append(names, page.Clusters...)
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
	}
	if want := []string{"alpha", "beta", "gamma"}; !slices.Equal(names, want) {
		t.Errorf("paginated names = %v, want %v", names, want)
	}
	if pages != 3 {
		t.Errorf("pages = %d, want 3", pages)
	}

	all, err := c.ListClusters(ctx, &sdkeks.ListClustersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"alpha", "beta", "gamma"}; !slices.Equal(all.Clusters, want) || all.NextToken != nil {
		t.Errorf("ListClusters = %v next %v, want %v and no next token", all.Clusters, aws.ToString(all.NextToken), want)
	}

	_, err = c.ListClusters(ctx, &sdkeks.ListClustersInput{MaxResults: aws.Int32(101)})
	eksTWant[*types.InvalidParameterException](t, "maxResults 101", err, "InvalidParameterException")
	_, err = c.ListClusters(ctx, &sdkeks.ListClustersInput{NextToken: aws.String("nope")})
	eksTWant[*types.InvalidParameterException](t, "bad nextToken", err, "InvalidParameterException")
}

func TestEKSClustersPerAccountAndRegion(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	a := eksTClient(env, testenv.AccountA)
	b := eksTClient(env, testenv.AccountB)
	eksTCreate(t, a, "shared-name")
	eksTCreate(t, a, "only-a")

	out, err := b.ListClusters(ctx, &sdkeks.ListClustersInput{})
	if err != nil {
		t.Fatalf("ListClusters B: %v", err)
	}
	if len(out.Clusters) != 0 {
		t.Errorf("account B lists %v, want none", out.Clusters)
	}
	_, err = b.DescribeCluster(ctx, &sdkeks.DescribeClusterInput{Name: aws.String("only-a")})
	eksTWant[*types.ResourceNotFoundException](t, "B describes A's cluster", err, "ResourceNotFoundException")
	_, err = b.DeleteCluster(ctx, &sdkeks.DeleteClusterInput{Name: aws.String("only-a")})
	eksTWant[*types.ResourceNotFoundException](t, "B deletes A's cluster", err, "ResourceNotFoundException")

	// B may use the same name (with its own role); the clusters are
	// distinct.
	bo, err := b.CreateCluster(ctx, &sdkeks.CreateClusterInput{Name: aws.String("shared-name"), RoleArn: aws.String("arn:aws:iam::222222222222:role/eks-cluster"), ResourcesVpcConfig: &types.VpcConfigRequest{}})
	if err != nil {
		t.Fatalf("B's CreateCluster: %v", err)
	}
	bc := bo.Cluster
	if got, want := aws.ToString(bc.Arn), "arn:aws:eks:us-east-1:222222222222:cluster/shared-name"; got != want {
		t.Errorf("B's arn = %q, want %q", got, want)
	}
	ad, err := a.DescribeCluster(ctx, &sdkeks.DescribeClusterInput{Name: aws.String("shared-name")})
	if err != nil {
		t.Fatal(err)
	}
	ai, _ := eksTIssuer(t, env, ad.Cluster)
	bi, _ := eksTIssuer(t, env, bc)
	if ai == bi {
		t.Errorf("A's and B's clusters share the issuer %s", ai)
	}
	if _, err := a.DescribeCluster(ctx, &sdkeks.DescribeClusterInput{Name: aws.String("only-a")}); err != nil {
		t.Errorf("A's cluster after B's calls: %v", err)
	}

	// Clusters are regional too.
	eu := sdkeks.NewFromConfig(env.RootConfig(testenv.AccountA), func(o *sdkeks.Options) { o.Region = "eu-west-1" })
	lo, err := eu.ListClusters(ctx, &sdkeks.ListClustersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(lo.Clusters) != 0 {
		t.Errorf("eu-west-1 lists %v, want none", lo.Clusters)
	}
	ec := eksTCreate(t, eu, "only-a")
	if got, want := aws.ToString(ec.Arn), "arn:aws:eks:eu-west-1:111111111111:cluster/only-a"; got != want {
		t.Errorf("eu-west-1 arn = %q, want %q", got, want)
	}
}

func TestEKSAuthorization(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	eksTCreate(t, eksTClient(env, testenv.AccountA), "existing")
	id, secret := eksTUser(t, env, "alice", "")
	alice := sdkeks.NewFromConfig(env.Config(id, secret, ""))
	create := func() error {
		_, err := alice.CreateCluster(ctx, &sdkeks.CreateClusterInput{Name: aws.String("c1"), RoleArn: aws.String(eksTRoleARN), ResourcesVpcConfig: &types.VpcConfigRequest{}})
		return err
	}

	err := create()
	e := eksTWant[*types.AccessDeniedException](t, "CreateCluster without a policy", err, "AccessDeniedException")
	if msg := aws.ToString(e.Message); !strings.Contains(msg, "eks:CreateCluster") || !strings.Contains(msg, "arn:aws:iam::111111111111:user/alice") {
		t.Errorf("CreateCluster denial message = %q, want it to name the user and eks:CreateCluster", msg)
	}
	_, err = alice.DescribeCluster(ctx, &sdkeks.DescribeClusterInput{Name: aws.String("existing")})
	eksTWant[*types.AccessDeniedException](t, "DescribeCluster without a policy", err, "AccessDeniedException")
	_, err = alice.ListClusters(ctx, &sdkeks.ListClustersInput{})
	eksTWant[*types.AccessDeniedException](t, "ListClusters without a policy", err, "AccessDeniedException")
	_, err = alice.DeleteCluster(ctx, &sdkeks.DeleteClusterInput{Name: aws.String("existing")})
	eksTWant[*types.AccessDeniedException](t, "DeleteCluster without a policy", err, "AccessDeniedException")
	// A denied caller does not learn whether a cluster exists.
	_, err = alice.DescribeCluster(ctx, &sdkeks.DescribeClusterInput{Name: aws.String("no-such")})
	eksTWant[*types.AccessDeniedException](t, "DescribeCluster of a missing cluster without a policy", err, "AccessDeniedException")

	// eks:CreateCluster alone: iam:PassRole is missing.
	eksTPutPolicy(t, env, "alice", eksTAllow("eks:CreateCluster"))
	err = create()
	e = eksTWant[*types.AccessDeniedException](t, "CreateCluster without iam:PassRole", err, "AccessDeniedException")
	if msg := aws.ToString(e.Message); !strings.Contains(msg, "iam:PassRole") || !strings.Contains(msg, eksTRoleARN) {
		t.Errorf("PassRole denial message = %q, want it to mention iam:PassRole on %s", msg, eksTRoleARN)
	}

	// Both: allowed.
	eksTPutPolicy(t, env, "alice", eksTAllow("eks:CreateCluster", "iam:PassRole"))
	if err := create(); err != nil {
		t.Fatalf("CreateCluster with eks:CreateCluster and iam:PassRole: %v", err)
	}
	// Describe and list are still separate actions.
	_, err = alice.DescribeCluster(ctx, &sdkeks.DescribeClusterInput{Name: aws.String("c1")})
	eksTWant[*types.AccessDeniedException](t, "DescribeCluster with only create allowed", err, "AccessDeniedException")

	eksTPutPolicy(t, env, "alice", eksTAllow("eks:DescribeCluster", "eks:ListClusters"))
	if _, err := alice.DescribeCluster(ctx, &sdkeks.DescribeClusterInput{Name: aws.String("c1")}); err != nil {
		t.Errorf("DescribeCluster allowed: %v", err)
	}
	lo, err := alice.ListClusters(ctx, &sdkeks.ListClustersInput{})
	if err != nil {
		t.Fatalf("ListClusters allowed: %v", err)
	}
	if want := []string{"c1", "existing"}; !slices.Equal(lo.Clusters, want) {
		t.Errorf("ListClusters = %v, want %v", lo.Clusters, want)
	}

	// A policy scoped by cluster ARN.
	eksTPutPolicy(t, env, "alice", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:DescribeCluster","Resource":"arn:aws:eks:us-east-1:111111111111:cluster/c1"}]}`)
	if _, err := alice.DescribeCluster(ctx, &sdkeks.DescribeClusterInput{Name: aws.String("c1")}); err != nil {
		t.Errorf("DescribeCluster c1 with a policy on c1: %v", err)
	}
	_, err = alice.DescribeCluster(ctx, &sdkeks.DescribeClusterInput{Name: aws.String("existing")})
	eksTWant[*types.AccessDeniedException](t, "DescribeCluster existing with a policy on c1", err, "AccessDeniedException")

	// Tag conditions on CreateCluster.
	eksTPutPolicy(t, env, "alice", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"},
		{"Effect":"Allow","Action":"eks:CreateCluster","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"blue"}}}]}`)
	_, err = alice.CreateCluster(ctx, &sdkeks.CreateClusterInput{Name: aws.String("c2"), RoleArn: aws.String(eksTRoleARN), ResourcesVpcConfig: &types.VpcConfigRequest{}, Tags: map[string]string{"team": "red"}})
	eksTWant[*types.AccessDeniedException](t, "CreateCluster with the wrong tag", err, "AccessDeniedException")
	if _, err := alice.CreateCluster(ctx, &sdkeks.CreateClusterInput{Name: aws.String("c2"), RoleArn: aws.String(eksTRoleARN), ResourcesVpcConfig: &types.VpcConfigRequest{}, Tags: map[string]string{"team": "blue"}}); err != nil {
		t.Errorf("CreateCluster with the right tag: %v", err)
	}
}

func TestEKSIssuerEndpoints(t *testing.T) {
	env := testenv.Start(t, nil)
	cl := eksTCreate(t, eksTClient(env, testenv.AccountA), "web")
	iss, id := eksTIssuer(t, env, cl)

	status, b := eksTGet(t, iss+"/.well-known/openid-configuration")
	if status != http.StatusOK {
		t.Fatalf("discovery: %d %s", status, b)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("discovery: %v: %s", err, b)
	}
	if got := doc["issuer"]; got != iss {
		t.Errorf("discovery issuer = %v, want %s", got, iss)
	}
	if got := doc["jwks_uri"]; got != iss+"/keys" {
		t.Errorf("discovery jwks_uri = %v, want %s/keys", got, iss)
	}
	if algs, _ := doc["id_token_signing_alg_values_supported"].([]any); !slices.Contains(algs, any("RS256")) {
		t.Errorf("discovery id_token_signing_alg_values_supported = %v, want RS256 in it", doc["id_token_signing_alg_values_supported"])
	}

	ks := eksTJWKS(t, iss)
	if len(ks.Keys) != 1 {
		t.Fatalf("JWKS has %d keys, want 1", len(ks.Keys))
	}
	k := ks.Keys[0]
	if k.KeyID == "" || k.Algorithm != "RS256" {
		t.Errorf("key kid=%q alg=%q, want a kid and RS256", k.KeyID, k.Algorithm)
	}
	if _, ok := k.Key.(*rsa.PublicKey); !ok {
		t.Errorf("key is %T, want *rsa.PublicKey", k.Key)
	}
	if k.Use != "" && k.Use != "sig" {
		t.Errorf("key use = %q, want sig", k.Use)
	}

	for _, path := range []string{
		eks.IssuerPathPrefix + "00000000000000000000000000000000/.well-known/openid-configuration",
		eks.IssuerPathPrefix + "00000000000000000000000000000000/keys",
		eks.IssuerPathPrefix + strings.ToLower(id) + "/keys",
	} {
		if status, b := eksTGet(t, env.URL+path); status != http.StatusNotFound {
			t.Errorf("GET %s: %d %s, want 404", path, status, b)
		}
	}
}

func TestEKSTokenEndpoint(t *testing.T) {
	env := testenv.Start(t, nil)
	cl := eksTCreate(t, eksTClient(env, testenv.AccountA), "app")
	iss, _ := eksTIssuer(t, env, cl)
	ks := eksTJWKS(t, iss)
	rootID, rootSecret := env.RootKey(testenv.AccountA)

	t.Run("defaults", func(t *testing.T) {
		before := time.Now().Add(-2 * time.Second)
		var out eks.TokenResponse
		if e := eksTPost(t, env, rootID, rootSecret, "/_assumed/clusters/app/token", eks.TokenRequest{Namespace: "default", ServiceAccount: "my-sa"}, &out); e != nil {
			t.Fatalf("token: %+v", e)
		}
		c, kid, err := eksTVerify(t, out.Token, ks)
		if err != nil {
			t.Fatalf("the token does not verify with the served JWKS: %v", err)
		}
		if kid != ks.Keys[0].KeyID {
			t.Errorf("kid = %q, want %q", kid, ks.Keys[0].KeyID)
		}
		if err := c.ValidateWithLeeway(jwt.Expected{Issuer: iss, AnyAudience: jwt.Audience{"sts.amazonaws.com"}, Time: time.Now()}, 0); err != nil {
			t.Errorf("claims do not validate: %v", err)
		}
		if c.Issuer != iss {
			t.Errorf("iss = %q, want %q", c.Issuer, iss)
		}
		if out.Issuer != iss {
			t.Errorf("response issuer = %q, want %q", out.Issuer, iss)
		}
		if c.Subject != "system:serviceaccount:default:my-sa" {
			t.Errorf("sub = %q", c.Subject)
		}
		if !slices.Equal([]string(c.Audience), []string{"sts.amazonaws.com"}) {
			t.Errorf("aud = %v, want [sts.amazonaws.com]", c.Audience)
		}
		if c.Expiry == nil || c.IssuedAt == nil {
			t.Fatalf("exp or iat missing: %+v", c.Claims)
		}
		if d := int64(*c.Expiry) - int64(*c.IssuedAt); d != 86400 {
			t.Errorf("exp - iat = %d, want 86400", d)
		}
		if iat := c.IssuedAt.Time(); iat.Before(before) || iat.After(time.Now().Add(2*time.Second)) {
			t.Errorf("iat = %v, not now", iat)
		}
		if !out.ExpirationTimestamp.Equal(c.Expiry.Time()) {
			t.Errorf("expirationTimestamp = %v, want exp %v", out.ExpirationTimestamp, c.Expiry.Time())
		}
		if c.Kubernetes.Namespace != "default" || c.Kubernetes.ServiceAccount.Name != "my-sa" || c.Kubernetes.ServiceAccount.UID == "" {
			t.Errorf("kubernetes.io = %+v", c.Kubernetes)
		}
		if c.Kubernetes.Pod != nil || c.Kubernetes.Node != nil {
			t.Errorf("pod/node claims without a pod: %+v", c.Kubernetes)
		}
		if c.ID == "" {
			t.Errorf("jti missing")
		}
		// The service account's UID is stable across tokens.
		var again eks.TokenResponse
		if e := eksTPost(t, env, rootID, rootSecret, "/_assumed/clusters/app/token", eks.TokenRequest{Namespace: "default", ServiceAccount: "my-sa"}, &again); e != nil {
			t.Fatalf("second token: %+v", e)
		}
		c2, _, err := eksTVerify(t, again.Token, ks)
		if err != nil {
			t.Fatal(err)
		}
		if c2.Kubernetes.ServiceAccount.UID != c.Kubernetes.ServiceAccount.UID {
			t.Errorf("service account UID changed: %q then %q", c.Kubernetes.ServiceAccount.UID, c2.Kubernetes.ServiceAccount.UID)
		}
		if c2.ID == c.ID {
			t.Errorf("two tokens share the jti %q", c.ID)
		}
	})

	t.Run("pod, node, audience, lifetime", func(t *testing.T) {
		var out eks.TokenResponse
		in := eks.TokenRequest{Namespace: "kube-system", ServiceAccount: "aws-node", Audiences: []string{"pods.eks.amazonaws.com", "other"}, ExpirationSeconds: 3600, PodName: "aws-node-x1", NodeName: "ip-10-0-0-1.ec2.internal"}
		if e := eksTPost(t, env, rootID, rootSecret, "/_assumed/clusters/app/token", in, &out); e != nil {
			t.Fatalf("token: %+v", e)
		}
		c, _, err := eksTVerify(t, out.Token, ks)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal([]string(c.Audience), []string{"pods.eks.amazonaws.com", "other"}) {
			t.Errorf("aud = %v", c.Audience)
		}
		if d := int64(*c.Expiry) - int64(*c.IssuedAt); d != 3600 {
			t.Errorf("exp - iat = %d, want 3600", d)
		}
		if p := c.Kubernetes.Pod; p == nil || p.Name != "aws-node-x1" || p.UID == "" {
			t.Errorf("pod claim = %+v, want name aws-node-x1 and a uid", p)
		}
		if n := c.Kubernetes.Node; n == nil || n.Name != "ip-10-0-0-1.ec2.internal" {
			t.Errorf("node claim = %+v", n)
		}
		if c.Subject != "system:serviceaccount:kube-system:aws-node" {
			t.Errorf("sub = %q", c.Subject)
		}
	})

	t.Run("bounds of expirationSeconds", func(t *testing.T) {
		for _, secs := range []int64{600, 172800} {
			var out eks.TokenResponse
			if e := eksTPost(t, env, rootID, rootSecret, "/_assumed/clusters/app/token", eks.TokenRequest{Namespace: "ns", ServiceAccount: "sa", ExpirationSeconds: secs}, &out); e != nil {
				t.Errorf("expirationSeconds %d: %+v", secs, e)
			}
		}
	})

	t.Run("errors", func(t *testing.T) {
		cases := []struct {
			name, cluster string
			in            any
			status        int
			code          string
		}{
			{"uppercase namespace", "app", eks.TokenRequest{Namespace: "Default", ServiceAccount: "sa"}, 400, "InvalidParameterException"},
			{"empty namespace", "app", eks.TokenRequest{ServiceAccount: "sa"}, 400, "InvalidParameterException"},
			{"bad service account", "app", eks.TokenRequest{Namespace: "ns", ServiceAccount: "SA_1"}, 400, "InvalidParameterException"},
			{"bad pod", "app", eks.TokenRequest{Namespace: "ns", ServiceAccount: "sa", PodName: "Pod!"}, 400, "InvalidParameterException"},
			{"expirationSeconds 60", "app", eks.TokenRequest{Namespace: "ns", ServiceAccount: "sa", ExpirationSeconds: 60}, 400, "InvalidParameterException"},
			{"expirationSeconds too long", "app", eks.TokenRequest{Namespace: "ns", ServiceAccount: "sa", ExpirationSeconds: 172801}, 400, "InvalidParameterException"},
			{"negative expirationSeconds", "app", eks.TokenRequest{Namespace: "ns", ServiceAccount: "sa", ExpirationSeconds: -1}, 400, "InvalidParameterException"},
			// 18446744674 s is 2^64 ns + 600.29 s: it must not wrap around
			// into the allowed range.
			{"overflowing expirationSeconds", "app", eks.TokenRequest{Namespace: "ns", ServiceAccount: "sa", ExpirationSeconds: 18446744674}, 400, "InvalidParameterException"},
			{"empty audience", "app", eks.TokenRequest{Namespace: "ns", ServiceAccount: "sa", Audiences: []string{""}}, 400, "InvalidParameterException"},
			{"unknown field", "app", map[string]any{"namespace": "ns", "serviceAccount": "sa", "bogus": 1}, 400, "InvalidRequestException"},
			{"unknown cluster", "nope", eks.TokenRequest{Namespace: "ns", ServiceAccount: "sa"}, 404, "ResourceNotFoundException"},
		}
		for _, tc := range cases {
			e := eksTPost(t, env, rootID, rootSecret, "/_assumed/clusters/"+tc.cluster+"/token", tc.in, nil)
			if e == nil {
				t.Errorf("%s: succeeded, want %d %s", tc.name, tc.status, tc.code)
				continue
			}
			if e.Status != tc.status || e.Code != tc.code {
				t.Errorf("%s: %d %s (%s), want %d %s", tc.name, e.Status, e.Code, e.Body, tc.status, tc.code)
			}
			if e.Message == "" {
				t.Errorf("%s: no message in %s", tc.name, e.Body)
			}
		}
	})

	t.Run("authorization", func(t *testing.T) {
		id, secret := eksTUser(t, env, "bob", eksTAllow("eks:DescribeCluster"))
		e := eksTPost(t, env, id, secret, "/_assumed/clusters/app/token", eks.TokenRequest{Namespace: "ns", ServiceAccount: "sa"}, nil)
		if e == nil || e.Status != http.StatusForbidden || e.Code != "AccessDeniedException" {
			t.Fatalf("token without eks:AccessKubernetesApi: %+v, want 403 AccessDeniedException", e)
		}
		if !strings.Contains(e.Message, "eks:AccessKubernetesApi") {
			t.Errorf("denial message %q does not name eks:AccessKubernetesApi", e.Message)
		}
		eksTPutPolicy(t, env, "bob", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:AccessKubernetesApi","Resource":"arn:aws:eks:us-east-1:111111111111:cluster/app"}]}`)
		var out eks.TokenResponse
		if e := eksTPost(t, env, id, secret, "/_assumed/clusters/app/token", eks.TokenRequest{Namespace: "ns", ServiceAccount: "sa"}, &out); e != nil {
			t.Fatalf("token with eks:AccessKubernetesApi: %+v", e)
		}
		if _, _, err := eksTVerify(t, out.Token, ks); err != nil {
			t.Errorf("bob's token does not verify: %v", err)
		}
		// Rotation is a different action.
		if e := eksTPost(t, env, id, secret, "/_assumed/clusters/app/rotate-signing-key", struct{}{}, nil); e == nil || e.Code != "AccessDeniedException" {
			t.Errorf("rotate without eks:UpdateClusterConfig: %+v, want AccessDeniedException", e)
		}
	})

	t.Run("unsigned", func(t *testing.T) {
		resp, err := http.Post(env.URL+"/_assumed/clusters/app/token", "application/json", strings.NewReader(`{"namespace":"ns","serviceAccount":"sa"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Errorf("an unsigned token request succeeded")
		}
	})

	t.Run("other account's key", func(t *testing.T) {
		bID, bSecret := env.RootKey(testenv.AccountB)
		e := eksTPost(t, env, bID, bSecret, "/_assumed/clusters/app/token", eks.TokenRequest{Namespace: "ns", ServiceAccount: "sa"}, nil)
		if e == nil || e.Status != http.StatusNotFound || e.Code != "ResourceNotFoundException" {
			t.Errorf("account B asks for a token of A's cluster: %+v, want 404 ResourceNotFoundException", e)
		}
	})

	t.Run("via awsclient", func(t *testing.T) {
		out := eksTRootToken(t, env, "app", eks.TokenRequest{Namespace: "ns", ServiceAccount: "sa"})
		if _, _, err := eksTVerify(t, out.Token, ks); err != nil {
			t.Errorf("token via awsclient does not verify: %v", err)
		}
	})

	// A token of one cluster does not verify with another's keys.
	t.Run("other cluster's keys", func(t *testing.T) {
		other := eksTCreate(t, eksTClient(env, testenv.AccountA), "other")
		oiss, _ := eksTIssuer(t, env, other)
		var out eks.TokenResponse
		if e := eksTPost(t, env, rootID, rootSecret, "/_assumed/clusters/app/token", eks.TokenRequest{Namespace: "ns", ServiceAccount: "sa"}, &out); e != nil {
			t.Fatal(e)
		}
		if _, _, err := eksTVerify(t, out.Token, eksTJWKS(t, oiss)); err == nil {
			t.Errorf("app's token verifies with other's JWKS")
		}
	})
}

func TestEKSSigningKeyRotation(t *testing.T) {
	env := testenv.Start(t, nil)
	cl := eksTCreate(t, eksTClient(env, testenv.AccountA), "rot")
	iss, _ := eksTIssuer(t, env, cl)
	rootID, rootSecret := env.RootKey(testenv.AccountA)
	mint := func() string {
		t.Helper()
		var out eks.TokenResponse
		if e := eksTPost(t, env, rootID, rootSecret, "/_assumed/clusters/rot/token", eks.TokenRequest{Namespace: "ns", ServiceAccount: "sa"}, &out); e != nil {
			t.Fatalf("token: %+v", e)
		}
		return out.Token
	}

	t1 := mint()
	ks0 := eksTJWKS(t, iss)
	if len(ks0.Keys) != 1 {
		t.Fatalf("JWKS before rotation has %d keys", len(ks0.Keys))
	}
	_, kid1, err := eksTVerify(t, t1, ks0)
	if err != nil {
		t.Fatalf("T1 before rotation: %v", err)
	}

	var rot struct {
		KeyID string `json:"keyId"`
	}
	if e := eksTPost(t, env, rootID, rootSecret, "/_assumed/clusters/rot/rotate-signing-key", struct{}{}, &rot); e != nil {
		t.Fatalf("rotate: %+v", e)
	}
	if rot.KeyID == "" || rot.KeyID == kid1 {
		t.Fatalf("rotate answered keyId %q (old kid %q)", rot.KeyID, kid1)
	}

	ks1 := eksTJWKS(t, iss)
	if len(ks1.Keys) != 2 {
		t.Fatalf("JWKS after rotation has %d keys, want 2", len(ks1.Keys))
	}
	if len(ks1.Key(kid1)) != 1 || len(ks1.Key(rot.KeyID)) != 1 {
		t.Errorf("JWKS after rotation has kids %v, want %s and %s", eksTKids(ks1), kid1, rot.KeyID)
	}
	if _, _, err := eksTVerify(t, t1, ks1); err != nil {
		t.Errorf("T1 after rotation: %v", err)
	}
	t2 := mint()
	_, kid2, err := eksTVerify(t, t2, ks1)
	if err != nil {
		t.Fatalf("T2: %v", err)
	}
	if kid2 != rot.KeyID {
		t.Errorf("T2 kid = %q, want the new key %q", kid2, rot.KeyID)
	}
	// The new token does not verify with the old JWKS.
	if _, _, err := eksTVerify(t, t2, ks0); err == nil {
		t.Errorf("T2 verifies with the pre-rotation JWKS")
	}

	// Rotation of an unknown cluster.
	if e := eksTPost(t, env, rootID, rootSecret, "/_assumed/clusters/nope/rotate-signing-key", struct{}{}, nil); e == nil || e.Status != http.StatusNotFound || e.Code != "ResourceNotFoundException" {
		t.Errorf("rotate unknown cluster: %+v, want 404 ResourceNotFoundException", e)
	}

	env.Restart()
	out, err := eksTClient(env, testenv.AccountA).DescribeCluster(context.Background(), &sdkeks.DescribeClusterInput{Name: aws.String("rot")})
	if err != nil {
		t.Fatalf("DescribeCluster after restart: %v", err)
	}
	if got, _ := eksTIssuer(t, env, out.Cluster); got != iss {
		t.Errorf("issuer after restart = %q, want %q", got, iss)
	}
	ks2 := eksTJWKS(t, iss)
	if got, want := eksTKids(ks2), eksTKids(ks1); !slices.Equal(got, want) {
		t.Errorf("JWKS kids after restart = %v, want %v", got, want)
	}
	for name, tok := range map[string]string{"T1": t1, "T2": t2} {
		if _, _, err := eksTVerify(t, tok, ks2); err != nil {
			t.Errorf("%s after restart: %v", name, err)
		}
	}
	_, kid3, err := eksTVerify(t, mint(), ks2)
	if err != nil {
		t.Fatalf("token after restart: %v", err)
	}
	if kid3 != rot.KeyID {
		t.Errorf("token after restart signed by %q, want the rotated key %q", kid3, rot.KeyID)
	}

	// A second rotation keeps the retired keys still valid.
	var rot2 struct {
		KeyID string `json:"keyId"`
	}
	if e := eksTPost(t, env, rootID, rootSecret, "/_assumed/clusters/rot/rotate-signing-key", struct{}{}, &rot2); e != nil {
		t.Fatalf("second rotate: %+v", e)
	}
	ks3 := eksTJWKS(t, iss)
	if len(ks3.Keys) != 3 {
		t.Errorf("JWKS after two rotations has kids %v, want 3", eksTKids(ks3))
	}
	if _, _, err := eksTVerify(t, t1, ks3); err != nil {
		t.Errorf("T1 after two rotations: %v", err)
	}
}

// eksTKids returns the sorted key IDs of a JWKS.
func eksTKids(ks jose.JSONWebKeySet) []string {
	var out []string
	for _, k := range ks.Keys {
		out = append(out, k.KeyID)
	}
	slices.Sort(out)
	return out
}

func TestEKSWorldClusters(t *testing.T) {
	w := &world.World{Accounts: []world.Account{
		{ID: testenv.AccountA, Name: "account-a", Clusters: []world.Cluster{
			{Name: "demo"},
			{Name: "eu", Region: "eu-west-1", Version: "1.30"},
		}},
		{ID: testenv.AccountB, Name: "account-b"},
	}}
	env := testenv.Start(t, w)
	ctx := context.Background()
	c := eksTClient(env, testenv.AccountA)

	out, err := c.DescribeCluster(ctx, &sdkeks.DescribeClusterInput{Name: aws.String("demo")})
	if err != nil {
		t.Fatalf("DescribeCluster demo: %v", err)
	}
	if got, want := aws.ToString(out.Cluster.Arn), "arn:aws:eks:us-east-1:111111111111:cluster/demo"; got != want {
		t.Errorf("arn = %q, want %q", got, want)
	}
	if out.Cluster.Status != types.ClusterStatusActive {
		t.Errorf("status = %q", out.Cluster.Status)
	}
	iss, _ := eksTIssuer(t, env, out.Cluster)
	if status, b := eksTGet(t, iss+"/.well-known/openid-configuration"); status != http.StatusOK {
		t.Errorf("discovery of the world cluster: %d %s", status, b)
	}
	tok := eksTRootToken(t, env, "demo", eks.TokenRequest{Namespace: "ns", ServiceAccount: "sa"})
	if _, _, err := eksTVerify(t, tok.Token, eksTJWKS(t, iss)); err != nil {
		t.Errorf("token of the world cluster: %v", err)
	}

	eu := sdkeks.NewFromConfig(env.RootConfig(testenv.AccountA), func(o *sdkeks.Options) { o.Region = "eu-west-1" })
	euOut, err := eu.DescribeCluster(ctx, &sdkeks.DescribeClusterInput{Name: aws.String("eu")})
	if err != nil {
		t.Fatalf("DescribeCluster eu in eu-west-1: %v", err)
	}
	if got := aws.ToString(euOut.Cluster.Version); got != "1.30" {
		t.Errorf("eu version = %q, want 1.30", got)
	}
	euIss, _ := eksTIssuer(t, env, euOut.Cluster)
	if _, err := c.DescribeCluster(ctx, &sdkeks.DescribeClusterInput{Name: aws.String("eu")}); testenv.ErrorCode(err) != "ResourceNotFoundException" {
		t.Errorf("DescribeCluster eu in us-east-1: %v, want ResourceNotFoundException", err)
	}
	if lo, err := eksTClient(env, testenv.AccountB).ListClusters(ctx, &sdkeks.ListClustersInput{}); err != nil || len(lo.Clusters) != 0 {
		t.Errorf("account B lists %v (%v), want none", lo, err)
	}
	kids := eksTKids(eksTJWKS(t, iss))

	env.Restart()
	out2, err := eksTClient(env, testenv.AccountA).DescribeCluster(ctx, &sdkeks.DescribeClusterInput{Name: aws.String("demo")})
	if err != nil {
		t.Fatalf("DescribeCluster demo after restart: %v", err)
	}
	if got, _ := eksTIssuer(t, env, out2.Cluster); got != iss {
		t.Errorf("issuer after restart = %q, want %q (the world must not re-create the cluster)", got, iss)
	}
	if !out2.Cluster.CreatedAt.Equal(*out.Cluster.CreatedAt) {
		t.Errorf("createdAt after restart = %v, was %v", out2.Cluster.CreatedAt, out.Cluster.CreatedAt)
	}
	if got := eksTKids(eksTJWKS(t, iss)); !slices.Equal(got, kids) {
		t.Errorf("JWKS kids after restart = %v, was %v", got, kids)
	}
	if _, _, err := eksTVerify(t, tok.Token, eksTJWKS(t, iss)); err != nil {
		t.Errorf("pre-restart token after restart: %v", err)
	}
	euOut2, err := sdkeks.NewFromConfig(env.RootConfig(testenv.AccountA), func(o *sdkeks.Options) { o.Region = "eu-west-1" }).DescribeCluster(ctx, &sdkeks.DescribeClusterInput{Name: aws.String("eu")})
	if err != nil {
		t.Fatalf("DescribeCluster eu after restart: %v", err)
	}
	if got, _ := eksTIssuer(t, env, euOut2.Cluster); got != euIss {
		t.Errorf("eu issuer after restart = %q, want %q", got, euIss)
	}

	// The world file still declares a cluster deleted through the API,
	// so the next start creates it again, with a new issuer.
	if _, err := eksTClient(env, testenv.AccountA).DeleteCluster(ctx, &sdkeks.DeleteClusterInput{Name: aws.String("demo")}); err != nil {
		t.Fatalf("DeleteCluster demo: %v", err)
	}
	env.Restart()
	out3, err := eksTClient(env, testenv.AccountA).DescribeCluster(ctx, &sdkeks.DescribeClusterInput{Name: aws.String("demo")})
	if err != nil {
		t.Fatalf("DescribeCluster demo after delete and restart: %v", err)
	}
	if got, _ := eksTIssuer(t, env, out3.Cluster); got == iss {
		t.Errorf("a re-created world cluster reuses the deleted issuer %s", iss)
	}
}
