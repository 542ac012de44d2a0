package gateway_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

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

// S3's tags: an object's are its s3:ExistingObjectTag/… keys on the
// actions AWS gives them (GetObject), a bucket's its aws:ResourceTag/…
// and s3:BucketTag/… keys; retagging through the gateway counts from the
// next request.
func TestS3TagsDecide(t *testing.T) {
	env := start(t, s3World)
	ctx := context.Background()
	a := s3Path(env.RootConfig(testenv.AccountA))
	for _, b := range []string{"tagged-blue", "tagged-none"} {
		if _, err := a.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String("tagged-blue"),
		Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}}}); err != nil {
		t.Fatal(err)
	}
	for key, team := range map[string]string{"blue.txt": "blue", "red.txt": "red"} {
		if _, err := a.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("tagged-blue"), Key: aws.String(key), Body: strings.NewReader(team), Tagging: aws.String("team=" + team)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := env.RootIAM(testenv.AccountA).PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("reader"), PolicyName: aws.String("s3"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[
			{"Sid":"BlueObjects","Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"s3:ExistingObjectTag/team":"blue"}}},
			{"Sid":"BlueBuckets","Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"blue","s3:BucketTag/team":"blue"}}}]}`)}); err != nil {
		t.Fatal(err)
	}
	reader := env.Config("AKIAREADER0000000001", "readerSecretReaderSecretReaderSecretRe01", "")
	if got, err := get(reader, "tagged-blue", "blue.txt"); err != nil || got != "blue" {
		t.Fatalf("the blue object: %q %v", got, err)
	}
	_, err := get(reader, "tagged-blue", "red.txt")
	denied(t, "the red object", err, "AccessDenied", "s3:ExistingObjectTag/team")
	list := func(bucket string) error {
		_, err := s3Path(reader).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
		return err
	}
	if err := list("tagged-blue"); err != nil {
		t.Fatalf("list the blue bucket: %v", err)
	}
	denied(t, "list the untagged bucket", list("tagged-none"), "AccessDenied", "aws:ResourceTag/team")
	// Retag the red object through the gateway: the next read sees it.
	if _, err := a.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String("tagged-blue"), Key: aws.String("red.txt"),
		Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := get(reader, "tagged-blue", "red.txt"); err != nil {
		t.Fatalf("the retagged object: %v", err)
	}
}
