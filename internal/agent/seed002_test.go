package agent

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	sdkeks "github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/assumed-dev/assumed/internal/awsclient"
	"github.com/assumed-dev/assumed/internal/testenv"
	"github.com/assumed-dev/assumed/internal/world"
)

// Seed 002: a pod in account A's cluster gets, through the agent and the
// SDK's container credential provider, the session of a target role in
// account B: the association role is assumed by pods.eks.amazonaws.com,
// then chains into the target with the association's ExternalId. The
// target's permissions apply, and only those.
func TestAgentSeed002TargetRole(t *testing.T) {
	w, err := world.Parse("world.yaml", []byte(`accounts:
  - id: "111111111111"
    name: account-a
    clusters: [{name: prod}]
    roles:
      - name: app
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}'
        policies:
          reach-b: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"],"Resource":"arn:aws:iam::222222222222:role/target"}]}'
  - id: "222222222222"
    name: account-b
    roles:
      - name: target
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/app"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{"sts:ExternalId":"us-east-1/111111111111/prod/default/app"}}}]}'
        policies:
          read: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"arn:aws:iam::222222222222:role/target"}]}'
`))
	if err != nil {
		t.Fatal(err)
	}
	env := testenv.Start(t, w)
	ctx := context.Background()
	if _, err := sdkeks.NewFromConfig(env.RootConfig(testenv.AccountA)).CreatePodIdentityAssociation(ctx, &sdkeks.CreatePodIdentityAssociationInput{
		ClusterName: aws.String("prod"), Namespace: aws.String("default"), ServiceAccount: aws.String("app"),
		RoleArn: aws.String("arn:aws:iam::111111111111:role/app"), TargetRoleArn: aws.String("arn:aws:iam::222222222222:role/target"),
	}); err != nil {
		t.Fatal(err)
	}
	a := New(Config{
		Cluster:  "prod",
		Upstream: NewEKSAuth(awsclient.FromConfig(env.RootConfig(testenv.AccountA), env.URL)),
		Log:      slog.New(slog.NewTextHandler(&testenv.SyncBuffer{}, nil)),
	})
	defer a.Close()
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(agentTPodToken(t, env, "web-1")), 0o600); err != nil {
		t.Fatal(err)
	}
	agentTPodEnv(t, env.URL, srv.URL, tokenFile)
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v\n%s", err, env.Logs())
	}
	if got := aws.ToString(id.Arn); !strings.HasPrefix(got, "arn:aws:sts::222222222222:assumed-role/target/eks-prod-web-1-") {
		t.Errorf("pod identity = %q, want B's target role session", got)
	}
	c := iam.NewFromConfig(cfg)
	if _, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("target")}); err != nil {
		t.Errorf("GetRole, which the target role allows: %v", err)
	}
	if _, err := c.ListRoles(ctx, &iam.ListRolesInput{}); testenv.ErrorCode(err) != "AccessDenied" {
		t.Errorf("ListRoles, which it does not allow: want AccessDenied, got %v", err)
	}
}
