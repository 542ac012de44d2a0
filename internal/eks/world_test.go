package eks_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eks"

	"github.com/assumed-dev/assumed/internal/app"
	"github.com/assumed-dev/assumed/internal/testenv"
	"github.com/assumed-dev/assumed/internal/world"
)

// Pod identity associations declared in the world file are created once,
// after the roles they name, and a restart does not duplicate them.
func TestWorldPodIdentityAssociations(t *testing.T) {
	w, err := world.Parse("world.yaml", []byte(`accounts:
  - id: "111111111111"
    name: account-a
    clusters:
      - name: prod
        pod_identity_associations:
          - {namespace: default, service_account: web, role_arn: "arn:aws:iam::111111111111:role/app", target_role_arn: "arn:aws:iam::222222222222:role/target"}
          - {namespace: jobs, service_account: batch, role_arn: "arn:aws:iam::111111111111:role/app", disable_session_tags: true, policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}'}
    roles:
      - name: app
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}'
  - id: "222222222222"
    name: account-b
`))
	if err != nil {
		t.Fatal(err)
	}
	env := testenv.Start(t, w)
	check := func() {
		t.Helper()
		c := eks.NewFromConfig(env.RootConfig(testenv.AccountA))
		out, err := c.ListPodIdentityAssociations(context.Background(), &eks.ListPodIdentityAssociationsInput{ClusterName: aws.String("prod")})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Associations) != 2 {
			t.Fatalf("want 2 associations, got %d", len(out.Associations))
		}
		for _, s := range out.Associations {
			d, err := c.DescribePodIdentityAssociation(context.Background(), &eks.DescribePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: s.AssociationId})
			if err != nil {
				t.Fatal(err)
			}
			a := d.Association
			switch aws.ToString(a.ServiceAccount) {
			case "web":
				if aws.ToString(a.ExternalId) != "us-east-1/111111111111/prod/default/web" || aws.ToString(a.TargetRoleArn) == "" {
					t.Errorf("web: target %q, external ID %q", aws.ToString(a.TargetRoleArn), aws.ToString(a.ExternalId))
				}
			case "batch":
				if !aws.ToBool(a.DisableSessionTags) || aws.ToString(a.Policy) == "" {
					t.Errorf("batch: disableSessionTags %v, policy %q", aws.ToBool(a.DisableSessionTags), aws.ToString(a.Policy))
				}
			}
		}
	}
	check()
	env.Restart()
	check()
}

// A cluster's role_arn in the world file: the default without one, set on
// an existing cluster when the file names one later, and checked.
func TestWorldClusterRole(t *testing.T) {
	dir := t.TempDir()
	run := func(doc string) (string, func(), error) {
		t.Helper()
		w, err := world.Parse("world.yaml", []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		ready, done := make(chan string, 1), make(chan error, 1)
		logs := &testenv.SyncBuffer{}
		go func() {
			done <- app.Run(ctx, app.Options{Listen: "127.0.0.1:0", DataDir: dir, World: w, WorldFile: "world.yaml", Ready: func(a string) { ready <- a }}, logs)
		}()
		select {
		case addr := <-ready:
			return "http://" + addr, func() { cancel(); <-done }, nil
		case err := <-done:
			cancel()
			return "", nil, err
		}
	}
	role := func(url string) string {
		t.Helper()
		cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"),
			config.WithSharedCredentialsFiles([]string{filepath.Join(dir, "credentials")}), config.WithSharedConfigFiles([]string{filepath.Join(dir, "config")}),
			config.WithSharedConfigProfile("account-a"), config.WithBaseEndpoint(url))
		if err != nil {
			t.Fatal(err)
		}
		out, err := eks.NewFromConfig(cfg).DescribeCluster(context.Background(), &eks.DescribeClusterInput{Name: aws.String("prod")})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Cluster.RoleArn)
	}
	const head = "accounts:\n  - id: \"111111111111\"\n    name: account-a\n    clusters:\n"
	url, stop, err := run(head + "      - {name: prod}\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := role(url); got != "arn:aws:iam::111111111111:role/eks-cluster" {
		t.Errorf("default role = %s", got)
	}
	stop()
	url, stop, err = run(head + "      - {name: prod, role_arn: \"arn:aws:iam::111111111111:role/platform\"}\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := role(url); got != "arn:aws:iam::111111111111:role/platform" {
		t.Errorf("role after the file names one = %s", got)
	}
	stop()
	if _, _, err := run(head + "      - {name: prod, role_arn: \"arn:aws:iam::111111111111:user/bob\"}\n"); err == nil || !strings.Contains(err.Error(), "world.yaml:5: cluster prod") {
		t.Errorf("a user ARN as role_arn: %v", err)
	}
}
