package gateway_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// Seed 001 (/work/shared/seeds/001_cb65f71090725c61.txt): account A holds
// the ECR repository app; account B pulls from it, first by assuming A's
// role (the article), then with no assumption through A's repository
// policy (its companion article). B's developer user assumes
// account-b-role, whose trust is the article's "super vanilla" one (B's
// account) and whose identity policy allows assuming A's role; A's role
// trusts that role by ARN and carries the article's pull policy.
//
// The article's pull policy names the repository by its registry URI
// (111111111111.dkr.ecr.us-east-1.amazonaws.com/app), which IAM refuses
// (the test shows it), has two JSON typos (a period for a comma, a
// trailing comma), and its and the trust policy's Sids have dashes, which
// IAM refuses in its policies (alphanumeric only): the world holds them
// corrected, with the repository's ARN. account-b-role's pull-from-a policy is the identity side of the
// second way; the first way doesn't use it.
const seed001 = `accounts:
  - id: "111111111111"
    name: account-a
    roles:
      - name: account-a-role
        trust: '{"Version":"2012-10-17","Statement":[{"Sid":"AllowAccountBToAssumeThisRole","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::222222222222:role/account-b-role"]},"Action":"sts:AssumeRole"}]}'
        policies:
          ecr-pull: '{"Version":"2012-10-17","Statement":[{"Sid":"AllowPullOnThisRepository","Effect":"Allow","Resource":["arn:aws:ecr:us-east-1:111111111111:repository/app"],"Action":["ecr:BatchGetImage","ecr:BatchCheckLayerAvailability","ecr:GetDownloadUrlForLayer","ecr:DescribeImages","ecr:DescribeRepositories"]},{"Sid":"QuarkyECRNeedsThisToBeASeparateStatement","Effect":"Allow","Resource":["*"],"Action":["ecr:GetAuthorizationToken"]}]}'
  - id: "222222222222"
    name: account-b
    users:
      - name: developer
        access_keys: [{id: AKIADEVELOPER0000001, secret: "developerSecretDeveloperSecretDevelope01"}]
        policies:
          assume-b-role: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::222222222222:role/account-b-role"}]}'
    roles:
      - name: account-b-role
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"222222222222"},"Condition":{}}]}'
        policies:
          AllowRoleAssumption: '{"Version":"2012-10-17","Statement":[{"Sid":"AllowRoleAssumption","Effect":"Allow","Resource":["arn:aws:iam::111111111111:role/account-a-role"],"Action":"sts:AssumeRole"}]}'
          pull-from-a: '{"Version":"2012-10-17","Statement":[{"Sid":"PullFromA","Effect":"Allow","Action":["ecr:BatchGetImage","ecr:BatchCheckLayerAvailability","ecr:GetDownloadUrlForLayer","ecr:DescribeImages","ecr:DescribeRepositories"],"Resource":"arn:aws:ecr:us-east-1:111111111111:repository/app"},{"Sid":"Login","Effect":"Allow","Action":"ecr:GetAuthorizationToken","Resource":"*"}]}'
`

const (
	repoARN = "arn:aws:ecr:us-east-1:111111111111:repository/app"
	// manifest is a small image manifest; moto stores any JSON manifest
	// that names its media type.
	manifest    = `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":32,"digest":"sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"}]}`
	layerDigest = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"
	// pullPolicy is A's repository policy of the second way, as ECR
	// writes one: no Resource, the repository is implied.
	pullPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"AllowPullFromAccountB","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/account-b-role"},"Action":["ecr:BatchGetImage","ecr:BatchCheckLayerAvailability","ecr:GetDownloadUrlForLayer","ecr:DescribeImages","ecr:DescribeRepositories"]}]}`
)

// oneTry is cfg with the SDK's retries off: a backend's "not implemented"
// answer (a 500) is asserted once, not retried.
func oneTry(cfg aws.Config) aws.Config {
	cfg.RetryMaxAttempts = 1
	return cfg
}

// reachedBackend checks that an allowed call of an operation moto doesn't
// implement (GetDownloadUrlForLayer) got past authorization to the
// backend: moto answers it with a 500 and an HTML page, where the gateway
// refuses with a 4xx AccessDeniedException (and answers 501 or 503 only
// without a backend to reach).
func reachedBackend(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusInternalServerError {
		t.Fatalf("%s: want moto's 500 (the operation is not implemented there), got %v", what, err)
	}
}

// pullsFromA checks that c, in account A or with A as registryId, can
// describe the repository, get the image and a layer's URL.
func pullsFromA(t *testing.T, who string, c *ecr.Client, registry *string) {
	t.Helper()
	ctx := context.Background()
	d, err := c.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RegistryId: registry, RepositoryNames: []string{"app"}})
	if err != nil {
		t.Fatalf("%s describes A's repository: %v", who, err)
	}
	if len(d.Repositories) != 1 || aws.ToString(d.Repositories[0].RepositoryArn) != repoARN {
		t.Fatalf("%s describes A's repository: got %+v, want %s", who, d.Repositories, repoARN)
	}
	img, err := c.BatchGetImage(ctx, &ecr.BatchGetImageInput{RegistryId: registry, RepositoryName: aws.String("app"), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v1")}}})
	if err != nil {
		t.Fatalf("%s gets the image: %v", who, err)
	}
	if len(img.Images) != 1 || aws.ToString(img.Images[0].ImageManifest) != manifest {
		t.Fatalf("%s gets the image: got %+v (failures %+v), want A's v1", who, img.Images, img.Failures)
	}
	_, err = c.GetDownloadUrlForLayer(ctx, &ecr.GetDownloadUrlForLayerInput{RegistryId: registry, RepositoryName: aws.String("app"), LayerDigest: aws.String(layerDigest)})
	reachedBackend(t, who+" gets a layer's URL", err)
}

func TestSeed001ECRAcrossAccounts(t *testing.T) {
	env := start(t, seed001)
	ctx := context.Background()
	rootA := ecr.NewFromConfig(env.RootConfig(testenv.AccountA))

	// A's root creates the repository and pushes v1.
	if _, err := rootA.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("app")}); err != nil {
		t.Fatalf("A creates app: %v", err)
	}
	t.Cleanup(func() {
		// moto outlives the test: leave no repository behind.
		if _, err := rootA.DeleteRepository(context.Background(), &ecr.DeleteRepositoryInput{RepositoryName: aws.String("app"), Force: true}); err != nil {
			t.Errorf("A deletes app: %v", err)
		}
	})
	if _, err := rootA.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String("app"), ImageTag: aws.String("v1"), ImageManifest: aws.String(manifest)}); err != nil {
		t.Fatalf("A pushes v1: %v", err)
	}

	// The article's policy as written: IAM refuses its Resource.
	seedResource := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":["111111111111.dkr.ecr.us-east-1.amazonaws.com/app"],"Action":["ecr:BatchGetImage"]}]}`
	_, err := env.RootIAM(testenv.AccountA).PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("account-a-role"), PolicyName: aws.String("as-written"), PolicyDocument: aws.String(seedResource)})
	denied(t, "the article's Resource", err, "MalformedPolicyDocument", "Resource 111111111111.dkr.ecr.us-east-1.amazonaws.com/app must be in ARN format or \"*\"")

	developer := env.Config("AKIADEVELOPER0000001", "developerSecretDeveloperSecretDevelope01", "")
	roleB := assume(env, developer, "arn:aws:iam::222222222222:role/account-b-role")

	t.Run("by role assumption", func(t *testing.T) {
		roleA := assume(env, roleB, "arn:aws:iam::111111111111:role/account-a-role")
		id, err := sts.NewFromConfig(roleA).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil || aws.ToString(id.Account) != testenv.AccountA || !strings.Contains(aws.ToString(id.Arn), ":assumed-role/account-a-role/") {
			t.Fatalf("B's role becomes A's: %v %v", id, err)
		}
		c := ecr.NewFromConfig(oneTry(roleA))
		pullsFromA(t, "account-a-role", c, nil)
		// A tag that isn't there: allowed, answered with a failure.
		img, err := c.BatchGetImage(ctx, &ecr.BatchGetImageInput{RepositoryName: aws.String("app"), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("missing")}}})
		if err != nil || len(img.Images) != 0 || len(img.Failures) != 1 {
			t.Fatalf("account-a-role asks for a missing tag: %+v %v", img, err)
		}
		tok, err := c.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
		if err != nil || len(tok.AuthorizationData) != 1 {
			t.Fatalf("account-a-role logs in: %+v %v", tok, err)
		}
		if ep := aws.ToString(tok.AuthorizationData[0].ProxyEndpoint); !strings.Contains(ep, "111111111111.dkr.ecr.") {
			t.Fatalf("account-a-role's token is for %s, want A's registry", ep)
		}
		if raw, err := base64.StdEncoding.DecodeString(aws.ToString(tok.AuthorizationData[0].AuthorizationToken)); err != nil || !strings.HasPrefix(string(raw), "AWS:") {
			t.Fatalf("account-a-role's token: %q %v", raw, err)
		}
		_, err = c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String("app"), ImageTag: aws.String("v2"), ImageManifest: aws.String(manifest)})
		denied(t, "account-a-role pushes", err, "AccessDeniedException", "is not authorized to perform: ecr:PutImage on resource: "+repoARN+" because no identity-based policy allows the ecr:PutImage action")
	})

	t.Run("by repository policy", func(t *testing.T) {
		c := ecr.NewFromConfig(oneTry(roleB))
		a := aws.String(testenv.AccountA)
		getImage := func() error {
			_, err := c.BatchGetImage(ctx, &ecr.BatchGetImageInput{RegistryId: a, RepositoryName: aws.String("app"), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v1")}}})
			return err
		}
		// B's role's own Allow is not enough: A's repository has no
		// policy yet.
		denied(t, "account-b-role without a repository policy", getImage(), "AccessDeniedException",
			"assumed-role/account-b-role/")
		denied(t, "account-b-role without a repository policy", getImage(), "AccessDeniedException",
			"is not authorized to perform: ecr:BatchGetImage on resource: "+repoARN+" because no resource-based policy allows the ecr:BatchGetImage action")
		_, err := c.GetDownloadUrlForLayer(ctx, &ecr.GetDownloadUrlForLayerInput{RegistryId: a, RepositoryName: aws.String("app"), LayerDigest: aws.String(layerDigest)})
		denied(t, "account-b-role's layer URL without a repository policy", err, "AccessDeniedException", "because no resource-based policy allows the ecr:GetDownloadUrlForLayer action")

		setPolicy := func(doc string) {
			t.Helper()
			if _, err := rootA.SetRepositoryPolicy(ctx, &ecr.SetRepositoryPolicyInput{RepositoryName: aws.String("app"), PolicyText: aws.String(doc)}); err != nil {
				t.Fatalf("A sets app's policy: %v", err)
			}
		}
		setPolicy(pullPolicy)
		pullsFromA(t, "account-b-role", c, a)
		if _, err := c.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{}); err != nil {
			t.Fatalf("account-b-role logs in to its own registry: %v", err)
		}
		// The repository policy grants pulls only.
		_, err = c.PutImage(ctx, &ecr.PutImageInput{RegistryId: a, RepositoryName: aws.String("app"), ImageTag: aws.String("v2"), ImageManifest: aws.String(manifest)})
		denied(t, "account-b-role pushes to A", err, "AccessDeniedException", "because no resource-based policy allows the ecr:PutImage action")

		// A withdraws the policy: refused again.
		if _, err := rootA.DeleteRepositoryPolicy(ctx, &ecr.DeleteRepositoryPolicyInput{RepositoryName: aws.String("app")}); err != nil {
			t.Fatalf("A deletes app's policy: %v", err)
		}
		denied(t, "account-b-role after the policy's deletion", getImage(), "AccessDeniedException", "because no resource-based policy allows the ecr:BatchGetImage action")

		// An explicit Deny in the repository policy beats its Allow.
		setPolicy(`{"Version":"2012-10-17","Statement":[` + strings.TrimSuffix(strings.TrimPrefix(pullPolicy, `{"Version":"2012-10-17","Statement":[`), `]}`) +
			`,{"Sid":"NoLayers","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::222222222222:role/account-b-role"},"Action":"ecr:GetDownloadUrlForLayer"}]}`)
		if err := getImage(); err != nil {
			t.Fatalf("account-b-role gets the image beside the Deny: %v", err)
		}
		_, err = c.GetDownloadUrlForLayer(ctx, &ecr.GetDownloadUrlForLayerInput{RegistryId: a, RepositoryName: aws.String("app"), LayerDigest: aws.String(layerDigest)})
		denied(t, "account-b-role's layer URL under the Deny", err, "AccessDeniedException", "is not authorized to perform: ecr:GetDownloadUrlForLayer on resource: "+repoARN+" with an explicit deny in a resource-based policy")

		// The repository policy alone is not enough: without B's own
		// Allow, refused.
		if _, err := env.RootIAM(testenv.AccountB).DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("account-b-role"), PolicyName: aws.String("pull-from-a")}); err != nil {
			t.Fatal(err)
		}
		denied(t, "account-b-role without its identity policy", getImage(), "AccessDeniedException",
			"is not authorized to perform: ecr:BatchGetImage on resource: "+repoARN+" because no identity-based policy allows the ecr:BatchGetImage action")
	})
}
