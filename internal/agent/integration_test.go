package agent

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	sdkeks "github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/assumed-dev/assumed/internal/awsclient"
	"github.com/assumed-dev/assumed/internal/eks"
	"github.com/assumed-dev/assumed/internal/eksauth/wire"
	"github.com/assumed-dev/assumed/internal/testenv"
	"github.com/assumed-dev/assumed/internal/world"
)

// agentTPodToken asks the server for a pod identity token of
// default/app bound to pod.
func agentTPodToken(t *testing.T, env *testenv.Env, pod string) string {
	t.Helper()
	var out eks.TokenResponse
	in := eks.TokenRequest{Namespace: "default", ServiceAccount: "app", Audiences: []string{wire.Audience}, PodName: pod}
	if err := awsclient.FromConfig(env.RootConfig(testenv.AccountA), env.URL).PostJSON(context.Background(), "eks", "/_assumed/clusters/prod/token", in, &out); err != nil {
		t.Fatalf("pod token: %v", err)
	}
	return out.Token
}

// agentTPodEnv makes the AWS SDK's default chain a pod's: container
// credentials from agentURL with the token in tokenFile, every endpoint
// at the server.
func agentTPodEnv(t *testing.T, serverURL, agentURL, tokenFile string) {
	t.Helper()
	testenv.PodEnv(t, serverURL, agentURL+CredentialsPath, tokenFile)
}

// agentTHTTPGet asks the agent for credentials over HTTP.
func agentTHTTPGet(t *testing.T, a *Agent, agentURL, token string) agentTAnswer {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, agentURL+CredentialsPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	ans := agentTAnswer{Status: resp.StatusCode, Header: resp.Header}
	if err := json.NewDecoder(resp.Body).Decode(&ans.Raw); err != nil {
		t.Fatalf("decode the agent's answer: %v", err)
	}
	b, _ := json.Marshal(ans.Raw)
	_ = json.Unmarshal(b, &ans.Creds)
	ans.Code, _ = ans.Raw["code"].(string)
	a.calls.Wait() // let a background refresh finish
	return ans
}

// TestAgentWithServer runs the agent against the real server: the AWS
// SDK's container credential provider gets the association's role through
// it, the cache serves through an outage of EKS Auth, and a deleted
// association evicts the credentials.
func TestAgentWithServer(t *testing.T) {
	ctx := context.Background()
	env := testenv.Start(t, &world.World{Accounts: []world.Account{
		{ID: testenv.AccountA, Name: "account-a", Clusters: []world.Cluster{{Name: "prod"}}},
		{ID: testenv.AccountB, Name: "account-b"},
	}})
	root := env.RootConfig(testenv.AccountA)

	role, err := iam.NewFromConfig(root).CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String("pod-app"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`),
	})
	if err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	assoc, err := sdkeks.NewFromConfig(root).CreatePodIdentityAssociation(ctx, &sdkeks.CreatePodIdentityAssociationInput{
		ClusterName: aws.String("prod"), Namespace: aws.String("default"), ServiceAccount: aws.String("app"), RoleArn: role.Role.Arn,
	})
	if err != nil {
		t.Fatalf("CreatePodIdentityAssociation: %v", err)
	}
	token := agentTPodToken(t, env, "p")
	tokenFile := filepath.Join(t.TempDir(), "eks-pod-identity-token")
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}

	// EKS Auth behind a switchable proxy; the agent's clock is the real
	// one plus an offset the test moves.
	target, err := url.Parse(env.URL)
	if err != nil {
		t.Fatal(err)
	}
	var down atomic.Bool
	var upstreamCalls atomic.Int64
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upstreamCalls.Add(1)
		if down.Load() {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"message":"EKS Auth is down"}`))
			return
		}
		rp.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	// leave sets the agent's clock so that exp is left away.
	leave := func(exp string, left time.Duration) {
		t.Helper()
		e, err := time.Parse(time.RFC3339, exp)
		if err != nil {
			t.Fatalf("Expiration %q: %v", exp, err)
		}
		offset.Store(int64(time.Until(e.Add(-left))))
	}

	a := New(Config{
		Cluster:  "prod",
		Upstream: NewEKSAuth(awsclient.FromConfig(env.RootConfig(testenv.AccountA), proxy.URL)),
		Now:      now,
		Log:      slog.New(slog.NewTextHandler(&testenv.SyncBuffer{}, nil)),
	})
	defer a.Close()
	agentSrv := httptest.NewServer(a.Handler()) // 127.0.0.1: the SDK allows plain http there
	defer agentSrv.Close()

	// The pod's SDK: container credentials through the agent.
	agentTPodEnv(t, env.URL, agentSrv.URL, tokenFile)
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatalf("LoadDefaultConfig: %v", err)
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity with pod credentials: %v", err)
	}
	if arn := aws.ToString(id.Arn); !strings.HasPrefix(arn, "arn:aws:sts::111111111111:assumed-role/pod-app/") || aws.ToString(id.Account) != testenv.AccountA {
		t.Fatalf("caller %s in %s, want the assumed role pod-app of %s", arn, aws.ToString(id.Account), testenv.AccountA)
	}
	cr, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cr.AccountID != testenv.AccountA || cr.Source == "" {
		t.Errorf("SDK credentials: account %q, source %q", cr.AccountID, cr.Source)
	}
	if n := upstreamCalls.Load(); n != 1 {
		t.Fatalf("EKS Auth calls = %d, want 1", n)
	}

	// Another SDK client of the pod: answered from the cache.
	first := agentTHTTPGet(t, a, agentSrv.URL, token)
	agentTWant(t, first, cr.AccessKeyID)
	if first.Creds.AccountID != testenv.AccountA {
		t.Errorf("AccountId = %q", first.Creds.AccountID)
	}
	if n := upstreamCalls.Load(); n != 1 {
		t.Fatalf("EKS Auth calls = %d after a cache hit, want 1", n)
	}

	// EKS Auth goes down while the credentials are due for refresh: the
	// refresh fails, the cached credentials are still served, and work.
	down.Store(true)
	leave(first.Creds.Expiration, 10*time.Minute)
	agentTWant(t, agentTHTTPGet(t, a, agentSrv.URL, token), cr.AccessKeyID)
	if n := upstreamCalls.Load(); n != 2 {
		t.Fatalf("EKS Auth calls = %d, want 2 (the failed refresh)", n)
	}
	agentTWant(t, agentTHTTPGet(t, a, agentSrv.URL, token), cr.AccessKeyID)
	cfg2, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sts.NewFromConfig(cfg2).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("GetCallerIdentity with stale-served credentials: %v", err)
	}
	// A pod with nothing cached gets EKS Auth's error.
	other := agentTPodToken(t, env, "q")
	if ans := agentTHTTPGet(t, a, agentSrv.URL, other); ans.Status != http.StatusServiceUnavailable {
		t.Fatalf("no cache, EKS Auth down: %d %v, want 503", ans.Status, ans.Raw)
	}

	// EKS Auth is back: after the retry interval the next request
	// refreshes in the background, the one after gets new credentials.
	down.Store(false)
	leave(first.Creds.Expiration, 10*time.Minute-DefaultRetryInterval-time.Second)
	agentTWant(t, agentTHTTPGet(t, a, agentSrv.URL, token), cr.AccessKeyID)
	fresh := agentTHTTPGet(t, a, agentSrv.URL, token)
	if fresh.Status != http.StatusOK || fresh.Creds.AccessKeyID == cr.AccessKeyID {
		t.Fatalf("after the outage: %d %v, want new credentials", fresh.Status, fresh.Raw)
	}
	stsFresh := sts.NewFromConfig(env.Config(fresh.Creds.AccessKeyID, fresh.Creds.SecretAccessKey, fresh.Creds.Token))
	if id, err := stsFresh.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil || !strings.Contains(aws.ToString(id.Arn), ":assumed-role/pod-app/") {
		t.Fatalf("refreshed credentials: %v", err)
	}

	// The association is deleted: the next refresh gets
	// ResourceNotFoundException, evicts, and the pod gets the error.
	if _, err := sdkeks.NewFromConfig(root).DeletePodIdentityAssociation(ctx, &sdkeks.DeletePodIdentityAssociationInput{
		ClusterName: aws.String("prod"), AssociationId: assoc.Association.AssociationId,
	}); err != nil {
		t.Fatalf("DeletePodIdentityAssociation: %v", err)
	}
	leave(fresh.Creds.Expiration, time.Minute)
	calls := upstreamCalls.Load()
	agentTWant(t, agentTHTTPGet(t, a, agentSrv.URL, token), fresh.Creds.AccessKeyID)
	ans := agentTHTTPGet(t, a, agentSrv.URL, token)
	agentTError(t, ans, http.StatusNotFound, wire.ResourceNotFoundException)
	if n := upstreamCalls.Load(); n != calls+2 {
		t.Fatalf("EKS Auth calls = %d, want %d", n, calls+2)
	}
}
