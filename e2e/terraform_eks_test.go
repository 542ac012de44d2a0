package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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
	cmd.Env = append(cleanEnv(), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(srv.DataDir, "credentials"),
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

// cleanEnv is this process's environment without AWS_ variables.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return env
}

// Seeds 000 and 003 with Terraform: the OIDC providers are registered from
// the issuer that data "aws_eks_cluster" reads, in both accounts; B's role
// trusts A's service account directly (way 1), A's role chains into B
// (way 2). A pod's provider, configured with assume_role_with_web_identity
// and the service account's token, reads its identity each way; a token of
// another service account is refused.
func TestTerraformSeeds000And003(t *testing.T) {
	bin := requireTerraform(t)
	assumed := buildAssumed(t)
	w := &world.World{Accounts: []world.Account{
		{ID: testenv.AccountA, Name: "account-a", Clusters: []world.Cluster{{Name: "prod"}}},
		{ID: testenv.AccountB, Name: "account-b"},
	}}
	srv := testenv.StartWith(t, testenv.Options{World: w, PublicURL: tfPublicURL})
	vars := map[string]string{"endpoint": srv.URL, "credentials_file": srv.DataDir + "/credentials"}

	r := newTFDir(t, bin, "seed000_003/roles", vars)
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
	pod := newTFDir(t, bin, "seed000_003/pod", map[string]string{"endpoint": srv.URL, "token_file": token})
	pod.apply("role_arn=" + out["b_role"].(string))
	if got := pod.output("caller_arn"); got != "arn:aws:sts::222222222222:assumed-role/account-b-role/pod" {
		t.Fatalf("way 1: %s", got)
	}
	pod.apply("role_arn="+out["a_role"].(string), `chain=["`+out["b_chain_role"].(string)+`"]`)
	if got := pod.output("caller_arn"); got != "arn:aws:sts::222222222222:assumed-role/account-b-chain/pod-chain" {
		t.Fatalf("way 2: %s", got)
	}
	other := newTFDir(t, bin, "seed000_003/pod", map[string]string{"endpoint": srv.URL, "token_file": podToken(t, assumed, srv, "default", "intruder")})
	other.applyFails("AccessDenied", "role_arn="+out["b_role"].(string))

	r.destroy()
}
