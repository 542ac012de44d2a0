package tf

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"

	"github.com/assumed-dev/assumed/e2e/kit"
	"github.com/assumed-dev/assumed/internal/testenv"
	"github.com/assumed-dev/assumed/internal/world"
)

// tfPublicURL is the public URL the EKS flows serve issuers under: https,
// as the provider requires of an OIDC provider's URL, and without a port,
// which keeps the URL IAM stores equal to the one the provider compares it
// with (docs/terraform.md). assumed verifies its own issuers' tokens from
// memory, so the host needs no DNS.
const tfPublicURL = "https://oidc.assumed.test"

// podToken writes a service-account token of cluster prod (account A)
// minted with `assumed token`, and returns its file.
func podToken(t *testing.T, assumed string, srv *testenv.Env, namespace, sa string, extra ...string) string {
	t.Helper()
	args := append([]string{"token", "--profile", "account-a", "--cluster", "prod", "--namespace", namespace, "--service-account", sa}, extra...)
	cmd := exec.Command(assumed, args...)
	cmd.Env = append(kit.CleanEnv("AWS_"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(srv.DataDir, "credentials"),
		"AWS_CONFIG_FILE=/dev/null", "AWS_ENDPOINT_URL="+srv.URL, "AWS_REGION=us-east-1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("assumed token: %v", err)
	}
	f := filepath.Join(t.TempDir(), namespace+"-"+sa+".token")
	if err := os.WriteFile(f, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// Seeds 000 and 003 with Terraform: the OIDC providers are registered from
// the issuer that data "aws_eks_cluster" reads, in both accounts; B's role
// trusts A's service account directly (way 1), A's role chains into B
// (way 2). A pod's provider, configured with assume_role_with_web_identity
// and the service account's token, reads its identity each way; a token of
// another service account is refused.
func TestTerraformSeeds000And003(t *testing.T) {
	t.Parallel()
	bin := requireTerraform(t)
	assumed := kit.BuildAssumed(t)
	w := &world.World{Accounts: []world.Account{
		{ID: testenv.AccountA, Name: "account-a", Clusters: []world.Cluster{{Name: "prod"}}},
		{ID: testenv.AccountB, Name: "account-b"},
	}}
	srv := testenv.StartWith(t, testenv.Options{World: w, PublicURL: tfPublicURL})
	vars := map[string]string{"endpoint": srv.URL, "credentials_file": srv.DataDir + "/credentials"}

	r := newTFDir(t, bin, srv, "seed000_003/roles", vars)
	r.apply()
	r.planClean()
	out := r.outputs()
	issuer := out["issuer"].(string)
	if !strings.HasPrefix(issuer, tfPublicURL+"/") {
		t.Fatalf("the cluster's issuer: %s", issuer)
	}
	if ep := out["cluster_endpoint"].(string); !strings.HasPrefix(ep, "https://") {
		t.Fatalf("the cluster's endpoint: %s", ep)
	}
	if out["cluster_ca"].(string) == "" {
		t.Fatal("the cluster's certificate authority is empty")
	}

	token := podToken(t, assumed, srv, "default", "app")
	pod := newTFDir(t, bin, srv, "seed000_003/pod", map[string]string{"endpoint": srv.URL, "token_file": token})
	pod.apply("role_arn=" + out["b_role"].(string))
	if got := pod.output("caller_arn"); got != "arn:aws:sts::222222222222:assumed-role/account-b-role/pod" {
		t.Fatalf("way 1: %s", got)
	}
	pod.apply("role_arn="+out["a_role"].(string), `chain=["`+out["b_chain_role"].(string)+`"]`)
	if got := pod.output("caller_arn"); got != "arn:aws:sts::222222222222:assumed-role/account-b-chain/pod-chain" {
		t.Fatalf("way 2: %s", got)
	}
	other := newTFDir(t, bin, srv, "seed000_003/pod", map[string]string{"endpoint": srv.URL, "token_file": podToken(t, assumed, srv, "default", "intruder")})
	other.applyFails("AccessDenied", "role_arn="+out["b_role"].(string))

	r.destroy()
}

// startAgent runs `assumed agent --cluster prod` on a free loopback port
// with account A's root key as the node's, until the test ends; it returns
// the credentials URL the agent prints.
func startAgent(t *testing.T, assumed string, srv *testenv.Env) string {
	t.Helper()
	cmd := exec.Command(assumed, "agent", "--cluster", "prod", "--listen", "127.0.0.1:0")
	id, secret := srv.RootKey(testenv.AccountA)
	cmd.Env = append(kit.CleanEnv("AWS_"), "AWS_ACCESS_KEY_ID="+id, "AWS_SECRET_ACCESS_KEY="+secret, "AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_ENDPOINT_URL="+srv.URL, "AWS_REGION=us-east-1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	})
	line := make(chan string, 1)
	go func() {
		b := make([]byte, 4096)
		n, _ := stdout.Read(b)
		line <- string(b[:n])
	}()
	select {
	case l := <-line:
		i := strings.Index(l, "http://127.0.0.1:")
		if i < 0 {
			t.Fatalf("assumed agent did not say where it serves: %q\n%s", l, logs.String())
		}
		return strings.Fields(l[i:])[0]
	case <-time.After(30 * time.Second):
		t.Fatalf("assumed agent said nothing in 30 s:\n%s", logs.String())
	}
	return ""
}

// Seed 002 with Terraform: the association role (app, then app2), B's
// target role trusting it with the association's ExternalId, and the
// association, built from data "aws_eks_cluster"; the target role set
// through the EKS API (the provider has no argument for it) without
// disturbing the plan; a pod whose provider takes container credentials
// from `assumed agent` reads its identity (B's target session) and B's
// role; then the association's role changes and its tags change and
// lose one, planned clean, and all is destroyed.
func TestTerraformSeed002(t *testing.T) {
	t.Parallel()
	bin := requireTerraform(t)
	assumed := kit.BuildAssumed(t)
	w := &world.World{Accounts: []world.Account{
		{ID: testenv.AccountA, Name: "account-a", Clusters: []world.Cluster{{Name: "prod"}}},
		{ID: testenv.AccountB, Name: "account-b"},
	}}
	srv := testenv.StartWith(t, testenv.Options{World: w, PublicURL: tfPublicURL})
	vars := map[string]string{"endpoint": srv.URL, "credentials_file": srv.DataDir + "/credentials"}
	ctx := context.Background()

	r := newTFDir(t, bin, srv, "seed002/roles", vars)
	r.apply()
	r.planClean()
	assoc := r.output("association_id")
	target := r.output("target_role")
	e := eks.NewFromConfig(srv.RootConfig(testenv.AccountA))
	if _, err := e.UpdatePodIdentityAssociation(ctx, &eks.UpdatePodIdentityAssociationInput{
		ClusterName: aws.String("prod"), AssociationId: aws.String(assoc), TargetRoleArn: aws.String(target),
	}); err != nil {
		t.Fatalf("set the association's target role: %v", err)
	}
	r.planClean()

	url := startAgent(t, assumed, srv)
	token := podToken(t, assumed, srv, "default", "web", "--audience", "pods.eks.amazonaws.com", "--pod", "web-1")
	pod := newTFDir(t, bin, srv, "seed002/pod", map[string]string{"endpoint": srv.URL})
	pod.env = append(pod.env, "AWS_CONTAINER_CREDENTIALS_FULL_URI="+url, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="+token)
	pod.apply()
	if got := pod.output("caller_arn"); !strings.HasPrefix(got, "arn:aws:sts::222222222222:assumed-role/target/eks-prod-web-1-") {
		t.Fatalf("the pod's identity through assumed agent: %s", got)
	}

	r.apply("stage=2")
	r.planClean("stage=2")
	d, err := e.DescribePodIdentityAssociation(ctx, &eks.DescribePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: aws.String(assoc)})
	if err != nil {
		t.Fatal(err)
	}
	a := d.Association
	if aws.ToString(a.RoleArn) != "arn:aws:iam::111111111111:role/app2" || aws.ToString(a.TargetRoleArn) != target {
		t.Fatalf("after stage 2: role %s, target %s", aws.ToString(a.RoleArn), aws.ToString(a.TargetRoleArn))
	}
	if len(a.Tags) != 1 || a.Tags["team"] != "red" {
		t.Fatalf("after stage 2: tags %v", a.Tags)
	}
	r.destroy("stage=2")
	if _, err := e.DescribePodIdentityAssociation(ctx, &eks.DescribePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: aws.String(assoc)}); testenv.ErrorCode(err) != "ResourceNotFoundException" {
		t.Fatalf("the association after destroy: %v", err)
	}
}

// A cluster Terraform manages: aws_eks_cluster with an add-on, created,
// upgraded (UpdateClusterVersion) with its logging and tags changed, each
// step planned clean, and destroyed.
func TestTerraformEKSCluster(t *testing.T) {
	t.Parallel()
	bin := requireTerraform(t)
	srv := testenv.StartWith(t, testenv.Options{PublicURL: tfPublicURL})
	vars := map[string]string{"endpoint": srv.URL, "credentials_file": srv.DataDir + "/credentials"}

	c := newTFDir(t, bin, srv, "eks_cluster", vars)
	c.apply()
	c.planClean()
	out := c.outputs()
	if out["version"] != "1.33" || !strings.HasPrefix(out["endpoint"].(string), "https://") || !strings.HasPrefix(out["issuer"].(string), tfPublicURL+"/") {
		t.Fatalf("the cluster: %v", out)
	}
	c.apply("stage=2")
	c.planClean("stage=2")
	if got := c.output("version"); got != "1.34" {
		t.Fatalf("the cluster's version after the upgrade: %s", got)
	}
	ups, err := eks.NewFromConfig(srv.RootConfig(testenv.AccountA)).ListUpdates(context.Background(), &eks.ListUpdatesInput{Name: aws.String("tf")})
	if err != nil || len(ups.UpdateIds) == 0 {
		t.Fatalf("the cluster's updates: %v, %v", ups, err)
	}
	c.destroy("stage=2")
}
