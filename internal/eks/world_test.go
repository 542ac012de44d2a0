package eks_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"

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
