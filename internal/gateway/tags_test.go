package gateway_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// A resource's tags, asked of the backend, are its aws:ResourceTag/… keys
// (and ECR's ecr:ResourceTag/…); a tag changed through the gateway counts
// from the next request.
func TestResourceTagsDecide(t *testing.T) {
	env := start(t, servicesWorld)
	ctx := context.Background()
	rootA := ecr.NewFromConfig(env.RootConfig(testenv.AccountA))
	for _, c := range []struct{ name, team string }{{"blue-repo", "blue"}, {"red-repo", "red"}} {
		if _, err := rootA.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(c.name),
			Tags: []ecrtypes.Tag{{Key: aws.String("team"), Value: aws.String(c.team)}}}); err != nil {
			t.Fatalf("create %s: %v", c.name, err)
		}
	}
	if _, err := env.RootIAM(testenv.AccountA).PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("worker"), PolicyName: aws.String("blue"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[
			{"Sid":"BlueDescribe","Effect":"Allow","Action":"ecr:DescribeRepositories","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}},
			{"Sid":"BlueImages","Effect":"Allow","Action":"ecr:ListImages","Resource":"*","Condition":{"StringEquals":{"ecr:ResourceTag/team":"blue"}}}]}`)}); err != nil {
		t.Fatal(err)
	}
	w := ecr.NewFromConfig(worker(env))
	describe := func(name string) error {
		_, err := w.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{name}})
		return err
	}
	listImages := func(name string) error {
		_, err := w.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String(name)})
		return err
	}
	if err := describe("blue-repo"); err != nil {
		t.Fatalf("describe the blue repository: %v", err)
	}
	if err := listImages("blue-repo"); err != nil {
		t.Fatalf("list the blue repository's images (ecr:ResourceTag): %v", err)
	}
	denied(t, "describe the red repository", describe("red-repo"), "AccessDeniedException", `aws:ResourceTag/team`)
	denied(t, "list the red repository's images", listImages("red-repo"), "AccessDeniedException", `ecr:ResourceTag/team`)
	// Retagged through the gateway: the next request sees it.
	if _, err := rootA.TagResource(ctx, &ecr.TagResourceInput{ResourceArn: aws.String("arn:aws:ecr:us-east-1:111111111111:repository/red-repo"),
		Tags: []ecrtypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}}); err != nil {
		t.Fatal(err)
	}
	if err := describe("red-repo"); err != nil {
		t.Fatalf("describe the retagged repository: %v", err)
	}
}
