package eks_test

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkeks "github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// Tests of the EKS Pod Identity association API (create, describe, list,
// update, delete), driven through the AWS SDK for Go v2's EKS client.

const (
	piTRole   = "arn:aws:iam::111111111111:role/app"
	piTRole2  = "arn:aws:iam::111111111111:role/app2"
	piTTarget = "arn:aws:iam::222222222222:role/target"
	// piTPolicy is a valid session policy for associations.
	piTPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
)

// piTAssocARN matches an association ARN of cluster c in account A.
func piTAssocARN(c string) *regexp.Regexp {
	return regexp.MustCompile(`^arn:aws:eks:us-east-1:111111111111:podidentityassociation/` + regexp.QuoteMeta(c) + `/(a-[0-9a-z]{17})$`)
}

// piTEnv starts a server and returns it with a root EKS client of
// account A that has created the given clusters.
func piTEnv(t *testing.T, clusters ...string) (*testenv.Env, *sdkeks.Client) {
	t.Helper()
	env := testenv.Start(t, nil)
	c := sdkeks.NewFromConfig(env.RootConfig(testenv.AccountA))
	for _, name := range clusters {
		piTCluster(t, c, testenv.AccountA, name)
	}
	return env, c
}

// piTCluster creates a cluster with a cluster role of its account.
func piTCluster(t *testing.T, c *sdkeks.Client, account, name string) {
	t.Helper()
	_, err := c.CreateCluster(context.Background(), &sdkeks.CreateClusterInput{
		Name: aws.String(name), RoleArn: aws.String("arn:aws:iam::" + account + ":role/eks-cluster"),
		ResourcesVpcConfig: &types.VpcConfigRequest{SubnetIds: []string{"subnet-1"}},
	})
	if err != nil {
		t.Fatalf("CreateCluster %s: %v", name, err)
	}
}

// piTCreate creates an association of ns/sa with piTRole and returns it.
func piTCreate(t *testing.T, c *sdkeks.Client, cluster, ns, sa string, mut ...func(*sdkeks.CreatePodIdentityAssociationInput)) *types.PodIdentityAssociation {
	t.Helper()
	in := &sdkeks.CreatePodIdentityAssociationInput{ClusterName: aws.String(cluster), Namespace: aws.String(ns), ServiceAccount: aws.String(sa), RoleArn: aws.String(piTRole)}
	for _, m := range mut {
		m(in)
	}
	out, err := c.CreatePodIdentityAssociation(context.Background(), in)
	if err != nil {
		t.Fatalf("CreatePodIdentityAssociation %s %s/%s: %v", cluster, ns, sa, err)
	}
	if out.Association == nil {
		t.Fatalf("CreatePodIdentityAssociation %s %s/%s: no association in the answer", cluster, ns, sa)
	}
	return out.Association
}

// piTDescribe describes an association.
func piTDescribe(t *testing.T, c *sdkeks.Client, cluster, id string) *types.PodIdentityAssociation {
	t.Helper()
	out, err := c.DescribePodIdentityAssociation(context.Background(), &sdkeks.DescribePodIdentityAssociationInput{ClusterName: aws.String(cluster), AssociationId: aws.String(id)})
	if err != nil {
		t.Fatalf("DescribePodIdentityAssociation %s %s: %v", cluster, id, err)
	}
	return out.Association
}

// piTCode checks that err is an SDK error with the given code and
// returns its message.
func piTCode(t *testing.T, what string, err error, code string) string {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: succeeded, want %s", what, code)
	}
	if got := testenv.ErrorCode(err); got != code {
		t.Fatalf("%s: error code %q, want %q (%v)", what, got, code, err)
	}
	return err.Error()
}

// piTList lists all associations of a cluster (with optional filters),
// page by page with the SDK's paginator, and returns them and the number
// of pages.
func piTList(t *testing.T, c *sdkeks.Client, in *sdkeks.ListPodIdentityAssociationsInput) ([]types.PodIdentityAssociationSummary, int) {
	t.Helper()
	var all []types.PodIdentityAssociationSummary
	pages := 0
	p := sdkeks.NewListPodIdentityAssociationsPaginator(c, in)
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("ListPodIdentityAssociations page %d: %v", pages+1, err)
		}
		pages++
		all = append(all, out.Associations...)
		if pages > 50 {
			t.Fatal("ListPodIdentityAssociations: more than 50 pages")
		}
	}
	return all, pages
}

// piTIDs returns the association IDs of a listing, sorted.
func piTIDs(list []types.PodIdentityAssociationSummary) []string {
	var ids []string
	for _, s := range list {
		ids = append(ids, aws.ToString(s.AssociationId))
	}
	slices.Sort(ids)
	return ids
}

// piTUser creates a user of account A with an access key and an inline
// policy (none when doc is empty) and returns an EKS client for it.
func piTUser(t *testing.T, env *testenv.Env, name, doc string) *sdkeks.Client {
	t.Helper()
	ctx := context.Background()
	root := env.RootIAM(testenv.AccountA)
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatalf("CreateUser %s: %v", name, err)
	}
	if doc != "" {
		piTPutPolicy(t, env, name, doc)
	}
	k, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateAccessKey %s: %v", name, err)
	}
	return sdkeks.NewFromConfig(env.Config(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), ""))
}

// piTPutPolicy puts (or replaces) the inline policy "p" of a user of A.
func piTPutPolicy(t *testing.T, env *testenv.Env, user, doc string) {
	t.Helper()
	_, err := env.RootIAM(testenv.AccountA).PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)})
	if err != nil {
		t.Fatalf("PutUserPolicy %s: %v", user, err)
	}
}

// piTAllow is a policy allowing actions on all resources.
func piTAllow(actions ...string) string {
	b, _ := json.Marshal(actions)
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":` + string(b) + `,"Resource":"*"}]}`
}

func TestPodIdentityAssociationCreateAndDescribe(t *testing.T) {
	_, c := piTEnv(t, "prod")
	before := time.Now().Add(-2 * time.Second)
	created := piTCreate(t, c, "prod", "web", "api", func(in *sdkeks.CreatePodIdentityAssociationInput) {
		in.TargetRoleArn = aws.String(piTTarget)
		in.Tags = map[string]string{"team": "blue", "env": "prod"}
		in.DisableSessionTags = aws.Bool(true)
		in.Policy = aws.String(piTPolicy)
		in.ClientRequestToken = aws.String("create-web-api-1")
	})
	after := time.Now().Add(2 * time.Second)

	m := piTAssocARN("prod").FindStringSubmatch(aws.ToString(created.AssociationArn))
	if m == nil {
		t.Fatalf("associationArn = %q, want arn:aws:eks:us-east-1:111111111111:podidentityassociation/prod/a-<17 lower-case letters and digits>", aws.ToString(created.AssociationArn))
	}
	id := aws.ToString(created.AssociationId)
	if id != m[1] {
		t.Errorf("associationId = %q, want the ARN's last part %q", id, m[1])
	}

	for name, a := range map[string]*types.PodIdentityAssociation{"create": created, "describe": piTDescribe(t, c, "prod", id)} {
		if got := aws.ToString(a.AssociationArn); got != aws.ToString(created.AssociationArn) {
			t.Errorf("%s: associationArn = %q", name, got)
		}
		if got := aws.ToString(a.AssociationId); got != id {
			t.Errorf("%s: associationId = %q, want %q", name, got, id)
		}
		for field, got := range map[string]string{
			"clusterName": aws.ToString(a.ClusterName), "namespace": aws.ToString(a.Namespace), "serviceAccount": aws.ToString(a.ServiceAccount),
			"roleArn": aws.ToString(a.RoleArn), "targetRoleArn": aws.ToString(a.TargetRoleArn), "policy": aws.ToString(a.Policy),
			"externalId": aws.ToString(a.ExternalId),
		} {
			want := map[string]string{
				"clusterName": "prod", "namespace": "web", "serviceAccount": "api", "roleArn": piTRole, "targetRoleArn": piTTarget,
				"policy": piTPolicy, "externalId": "us-east-1/111111111111/prod/web/api",
			}[field]
			if got != want {
				t.Errorf("%s: %s = %q, want %q", name, field, got, want)
			}
		}
		if a.DisableSessionTags == nil || !*a.DisableSessionTags {
			t.Errorf("%s: disableSessionTags = %v, want true", name, a.DisableSessionTags)
		}
		if want := map[string]string{"team": "blue", "env": "prod"}; len(a.Tags) != 2 || a.Tags["team"] != "blue" || a.Tags["env"] != "prod" {
			t.Errorf("%s: tags = %v, want %v", name, a.Tags, want)
		}
		if a.CreatedAt == nil || a.CreatedAt.Before(before) || a.CreatedAt.After(after) {
			t.Errorf("%s: createdAt = %v, want between %v and %v", name, a.CreatedAt, before, after)
		}
		if a.ModifiedAt == nil || a.CreatedAt == nil || !a.ModifiedAt.Equal(*a.CreatedAt) {
			t.Errorf("%s: modifiedAt = %v, want createdAt %v", name, a.ModifiedAt, a.CreatedAt)
		}
		if a.OwnerArn != nil {
			t.Errorf("%s: ownerArn = %q, want none (no EKS add-on owns it)", name, *a.OwnerArn)
		}
	}

	// Without a target role there is no external ID; the defaults.
	plain := piTCreate(t, c, "prod", "web", "plain")
	d := piTDescribe(t, c, "prod", aws.ToString(plain.AssociationId))
	if d.TargetRoleArn != nil || d.ExternalId != nil || d.Policy != nil {
		t.Errorf("association without target: targetRoleArn %v, externalId %v, policy %v; want none", aws.ToString(d.TargetRoleArn), aws.ToString(d.ExternalId), aws.ToString(d.Policy))
	}
	if aws.ToBool(d.DisableSessionTags) {
		t.Errorf("association without disableSessionTags: disableSessionTags = true")
	}
	if aws.ToString(d.AssociationId) == id {
		t.Errorf("two associations share the ID %s", id)
	}

	// A service account name may be a DNS subdomain; the external ID
	// keeps it as is.
	dotted := piTCreate(t, c, "prod", "kube-system", "my.sa-1", func(in *sdkeks.CreatePodIdentityAssociationInput) { in.TargetRoleArn = aws.String(piTTarget) })
	if got, want := aws.ToString(dotted.ExternalId), "us-east-1/111111111111/prod/kube-system/my.sa-1"; got != want {
		t.Errorf("externalId = %q, want %q", got, want)
	}
}

func TestPodIdentityAssociationCreateRefusals(t *testing.T) {
	_, c := piTEnv(t, "prod")
	ctx := context.Background()
	create := func(mut func(*sdkeks.CreatePodIdentityAssociationInput)) (*sdkeks.CreatePodIdentityAssociationOutput, error) {
		in := &sdkeks.CreatePodIdentityAssociationInput{ClusterName: aws.String("prod"), Namespace: aws.String("web"), ServiceAccount: aws.String("api"), RoleArn: aws.String(piTRole)}
		if mut != nil {
			mut(in)
		}
		return c.CreatePodIdentityAssociation(ctx, in)
	}

	for _, tc := range []struct {
		name string
		mut  func(*sdkeks.CreatePodIdentityAssociationInput)
		code string
	}{
		{"policy without disableSessionTags", func(in *sdkeks.CreatePodIdentityAssociationInput) { in.Policy = aws.String(piTPolicy) }, "InvalidParameterException"},
		{"policy with disableSessionTags false", func(in *sdkeks.CreatePodIdentityAssociationInput) {
			in.Policy, in.DisableSessionTags = aws.String(piTPolicy), aws.Bool(false)
		}, "InvalidParameterException"},
		{"policy not JSON", func(in *sdkeks.CreatePodIdentityAssociationInput) {
			in.Policy, in.DisableSessionTags = aws.String(`{"Version":"2012-10-17","Statement":[`), aws.Bool(true)
		}, "InvalidParameterException"},
		{"policy without statements' effect", func(in *sdkeks.CreatePodIdentityAssociationInput) {
			in.Policy, in.DisableSessionTags = aws.String(`{"Version":"2012-10-17","Statement":[{"Action":"s3:*","Resource":"*"}]}`), aws.Bool(true)
		}, "InvalidParameterException"},
		{"role ARN not a role", func(in *sdkeks.CreatePodIdentityAssociationInput) {
			in.RoleArn = aws.String("arn:aws:iam::111111111111:user/bob")
		}, "InvalidParameterException"},
		{"target ARN not a role", func(in *sdkeks.CreatePodIdentityAssociationInput) { in.TargetRoleArn = aws.String("target") }, "InvalidParameterException"},
		{"namespace not a DNS label", func(in *sdkeks.CreatePodIdentityAssociationInput) { in.Namespace = aws.String("Web_NS") }, "InvalidParameterException"},
		{"service account not a DNS subdomain", func(in *sdkeks.CreatePodIdentityAssociationInput) { in.ServiceAccount = aws.String("API!") }, "InvalidParameterException"},
		{"reserved tag key", func(in *sdkeks.CreatePodIdentityAssociationInput) { in.Tags = map[string]string{"aws:team": "x"} }, "InvalidParameterException"},
		{"unknown cluster", func(in *sdkeks.CreatePodIdentityAssociationInput) { in.ClusterName = aws.String("nope") }, "ResourceNotFoundException"},
		// The role must be in the cluster's account: iam:PassRole does
		// not reach another account's roles.
		{"role in another account", func(in *sdkeks.CreatePodIdentityAssociationInput) {
			in.RoleArn = aws.String("arn:aws:iam::222222222222:role/app")
		}, "AccessDeniedException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := create(tc.mut)
			piTCode(t, tc.name, err, tc.code)
		})
	}
	if all, _ := piTList(t, c, &sdkeks.ListPodIdentityAssociationsInput{ClusterName: aws.String("prod")}); len(all) != 0 {
		t.Fatalf("refused creates left associations: %v", piTIDs(all))
	}

	// The first create succeeds; the same service account again is in
	// use, whatever the role.
	first, err := create(func(in *sdkeks.CreatePodIdentityAssociationInput) { in.ClientRequestToken = aws.String("tok-1") })
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	id := aws.ToString(first.Association.AssociationId)
	_, err = create(nil)
	if msg := piTCode(t, "same namespace and service account", err, "ResourceInUseException"); !strings.Contains(msg, id) {
		t.Errorf("ResourceInUseException message %q does not name the existing association %s", msg, id)
	}
	_, err = create(func(in *sdkeks.CreatePodIdentityAssociationInput) { in.RoleArn = aws.String(piTRole2) })
	piTCode(t, "same service account, other role", err, "ResourceInUseException")

	// A retry with the same client request token and request answers with
	// the association the first call created.
	again, err := create(func(in *sdkeks.CreatePodIdentityAssociationInput) { in.ClientRequestToken = aws.String("tok-1") })
	if err != nil {
		t.Fatalf("retry with the same client request token: %v", err)
	}
	if got := aws.ToString(again.Association.AssociationId); got != id {
		t.Errorf("retry with the same client request token: association %s, want %s", got, id)
	}
	if !again.Association.CreatedAt.Equal(*first.Association.CreatedAt) {
		t.Errorf("retry: createdAt %v, want %v", again.Association.CreatedAt, first.Association.CreatedAt)
	}
	// The same token with another request is not a retry.
	_, err = create(func(in *sdkeks.CreatePodIdentityAssociationInput) {
		in.ClientRequestToken, in.RoleArn = aws.String("tok-1"), aws.String(piTRole2)
	})
	if err == nil {
		t.Errorf("the same client request token with another role succeeded")
	}
	if all, _ := piTList(t, c, &sdkeks.ListPodIdentityAssociationsInput{ClusterName: aws.String("prod")}); len(all) != 1 {
		t.Errorf("after the retries: %d associations, want 1", len(all))
	}

	// The same service account in another namespace, or another cluster,
	// is another association.
	if _, err := create(func(in *sdkeks.CreatePodIdentityAssociationInput) { in.Namespace = aws.String("web2") }); err != nil {
		t.Errorf("same service account in another namespace: %v", err)
	}
	piTCluster(t, c, testenv.AccountA, "staging")
	if _, err := create(func(in *sdkeks.CreatePodIdentityAssociationInput) { in.ClusterName = aws.String("staging") }); err != nil {
		t.Errorf("same service account in another cluster: %v", err)
	}

	// Describing an unknown association, or one of another cluster.
	_, err = c.DescribePodIdentityAssociation(ctx, &sdkeks.DescribePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: aws.String("a-0000000000000000x")})
	piTCode(t, "describe an unknown association", err, "ResourceNotFoundException")
	_, err = c.DescribePodIdentityAssociation(ctx, &sdkeks.DescribePodIdentityAssociationInput{ClusterName: aws.String("staging"), AssociationId: aws.String(id)})
	piTCode(t, "describe prod's association as staging's", err, "ResourceNotFoundException")
	_, err = c.DescribePodIdentityAssociation(ctx, &sdkeks.DescribePodIdentityAssociationInput{ClusterName: aws.String("nope"), AssociationId: aws.String(id)})
	piTCode(t, "describe in an unknown cluster", err, "ResourceNotFoundException")
}

func TestPodIdentityAssociationListFiltersAndPages(t *testing.T) {
	_, c := piTEnv(t, "prod", "staging")
	ctx := context.Background()
	byKey := map[string]string{}
	for _, k := range []string{"web/api", "web/worker", "jobs/api", "jobs/batch", "ops/api"} {
		ns, sa, _ := strings.Cut(k, "/")
		byKey[k] = aws.ToString(piTCreate(t, c, "prod", ns, sa).AssociationId)
	}
	piTCreate(t, c, "staging", "web", "api")
	ids := func(keys ...string) []string {
		var out []string
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		slices.Sort(out)
		return out
	}

	// One page with everything, with the summaries' fields.
	out, err := c.ListPodIdentityAssociations(ctx, &sdkeks.ListPodIdentityAssociationsInput{ClusterName: aws.String("prod")})
	if err != nil {
		t.Fatalf("ListPodIdentityAssociations: %v", err)
	}
	if out.NextToken != nil {
		t.Errorf("a one-page listing has nextToken %q", *out.NextToken)
	}
	if got, want := piTIDs(out.Associations), ids("web/api", "web/worker", "jobs/api", "jobs/batch", "ops/api"); !slices.Equal(got, want) {
		t.Fatalf("list = %v, want %v", got, want)
	}
	for _, s := range out.Associations {
		key := aws.ToString(s.Namespace) + "/" + aws.ToString(s.ServiceAccount)
		if byKey[key] != aws.ToString(s.AssociationId) || aws.ToString(s.ClusterName) != "prod" ||
			aws.ToString(s.AssociationArn) != "arn:aws:eks:us-east-1:111111111111:podidentityassociation/prod/"+aws.ToString(s.AssociationId) {
			t.Errorf("summary %s: id %s, cluster %s, arn %s", key, aws.ToString(s.AssociationId), aws.ToString(s.ClusterName), aws.ToString(s.AssociationArn))
		}
		if s.OwnerArn != nil {
			t.Errorf("summary %s: ownerArn %q", key, *s.OwnerArn)
		}
	}

	// Filters.
	for _, tc := range []struct {
		ns, sa string
		want   []string
	}{
		{"web", "", ids("web/api", "web/worker")},
		{"", "api", ids("web/api", "jobs/api", "ops/api")},
		{"jobs", "batch", ids("jobs/batch")},
		{"jobs", "worker", nil},
		{"nothing", "", nil},
	} {
		in := &sdkeks.ListPodIdentityAssociationsInput{ClusterName: aws.String("prod")}
		if tc.ns != "" {
			in.Namespace = aws.String(tc.ns)
		}
		if tc.sa != "" {
			in.ServiceAccount = aws.String(tc.sa)
		}
		if got, _ := piTList(t, c, in); !slices.Equal(piTIDs(got), tc.want) {
			t.Errorf("list namespace=%q serviceAccount=%q: %v, want %v", tc.ns, tc.sa, piTIDs(got), tc.want)
		}
	}

	// Pages of one and of two, through the SDK paginator: every
	// association exactly once.
	for _, size := range []int32{1, 2} {
		all, pages := piTList(t, c, &sdkeks.ListPodIdentityAssociationsInput{ClusterName: aws.String("prod"), MaxResults: aws.Int32(size)})
		if got, want := piTIDs(all), ids("web/api", "web/worker", "jobs/api", "jobs/batch", "ops/api"); !slices.Equal(got, want) {
			t.Errorf("paged by %d: %v, want %v", size, got, want)
		}
		if want := (5 + int(size) - 1) / int(size); pages != want {
			t.Errorf("paged by %d: %d pages, want %d", size, pages, want)
		}
	}
	all, pages := piTList(t, c, &sdkeks.ListPodIdentityAssociationsInput{ClusterName: aws.String("prod"), ServiceAccount: aws.String("api"), MaxResults: aws.Int32(1)})
	if got, want := piTIDs(all), ids("web/api", "jobs/api", "ops/api"); !slices.Equal(got, want) || pages != 3 {
		t.Errorf("filtered and paged by 1: %v in %d pages, want %v in 3", got, pages, want)
	}

	// The other cluster's.
	if got, _ := piTList(t, c, &sdkeks.ListPodIdentityAssociationsInput{ClusterName: aws.String("staging")}); len(got) != 1 || aws.ToString(got[0].ClusterName) != "staging" {
		t.Errorf("staging lists %v", piTIDs(got))
	}

	// Refusals.
	_, err = c.ListPodIdentityAssociations(ctx, &sdkeks.ListPodIdentityAssociationsInput{ClusterName: aws.String("prod"), MaxResults: aws.Int32(101)})
	piTCode(t, "maxResults 101", err, "InvalidParameterException")
	_, err = c.ListPodIdentityAssociations(ctx, &sdkeks.ListPodIdentityAssociationsInput{ClusterName: aws.String("prod"), NextToken: aws.String("bogus")})
	piTCode(t, "a made-up nextToken", err, "InvalidParameterException")
	_, err = c.ListPodIdentityAssociations(ctx, &sdkeks.ListPodIdentityAssociationsInput{ClusterName: aws.String("nope")})
	piTCode(t, "list of an unknown cluster", err, "ResourceNotFoundException")
}

func TestPodIdentityAssociationUpdate(t *testing.T) {
	_, c := piTEnv(t, "prod")
	ctx := context.Background()
	a := piTCreate(t, c, "prod", "web", "api", func(in *sdkeks.CreatePodIdentityAssociationInput) { in.Tags = map[string]string{"team": "blue"} })
	id := aws.ToString(a.AssociationId)
	created := *a.CreatedAt
	last := *a.ModifiedAt
	update := func(what string, in *sdkeks.UpdatePodIdentityAssociationInput) *types.PodIdentityAssociation {
		t.Helper()
		// modifiedAt has millisecond precision.
		time.Sleep(5 * time.Millisecond)
		in.ClusterName, in.AssociationId = aws.String("prod"), aws.String(id)
		out, err := c.UpdatePodIdentityAssociation(ctx, in)
		if err != nil {
			t.Fatalf("%s: UpdatePodIdentityAssociation: %v", what, err)
		}
		d := piTDescribe(t, c, "prod", id)
		if aws.ToString(out.Association.AssociationId) != id || !out.Association.ModifiedAt.Equal(*d.ModifiedAt) {
			t.Errorf("%s: update answered %s modified %v, describe says modified %v", what, aws.ToString(out.Association.AssociationId), out.Association.ModifiedAt, d.ModifiedAt)
		}
		if !d.ModifiedAt.After(last) {
			t.Errorf("%s: modifiedAt %v did not move past %v", what, d.ModifiedAt, last)
		}
		if !d.CreatedAt.Equal(created) {
			t.Errorf("%s: createdAt changed from %v to %v", what, created, d.CreatedAt)
		}
		if aws.ToString(d.Namespace) != "web" || aws.ToString(d.ServiceAccount) != "api" || d.Tags["team"] != "blue" {
			t.Errorf("%s: namespace %s, service account %s, tags %v changed", what, aws.ToString(d.Namespace), aws.ToString(d.ServiceAccount), d.Tags)
		}
		last = *d.ModifiedAt
		return d
	}

	d := update("new role", &sdkeks.UpdatePodIdentityAssociationInput{RoleArn: aws.String(piTRole2)})
	if aws.ToString(d.RoleArn) != piTRole2 || d.TargetRoleArn != nil || d.ExternalId != nil {
		t.Errorf("new role: roleArn %s, target %v, externalId %v", aws.ToString(d.RoleArn), aws.ToString(d.TargetRoleArn), aws.ToString(d.ExternalId))
	}

	d = update("set target", &sdkeks.UpdatePodIdentityAssociationInput{TargetRoleArn: aws.String(piTTarget)})
	if aws.ToString(d.TargetRoleArn) != piTTarget || aws.ToString(d.ExternalId) != "us-east-1/111111111111/prod/web/api" || aws.ToString(d.RoleArn) != piTRole2 {
		t.Errorf("set target: roleArn %s, target %s, externalId %s", aws.ToString(d.RoleArn), aws.ToString(d.TargetRoleArn), aws.ToString(d.ExternalId))
	}

	// A policy needs disableSessionTags, whether set now or before.
	_, err := c.UpdatePodIdentityAssociation(ctx, &sdkeks.UpdatePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: aws.String(id), Policy: aws.String(piTPolicy)})
	piTCode(t, "policy on an association with session tags", err, "InvalidParameterException")
	d = update("disable session tags and set a policy", &sdkeks.UpdatePodIdentityAssociationInput{DisableSessionTags: aws.Bool(true), Policy: aws.String(piTPolicy)})
	if !aws.ToBool(d.DisableSessionTags) || aws.ToString(d.Policy) != piTPolicy || aws.ToString(d.TargetRoleArn) != piTTarget {
		t.Errorf("disable session tags + policy: disableSessionTags %v, policy %q, target %q", aws.ToBool(d.DisableSessionTags), aws.ToString(d.Policy), aws.ToString(d.TargetRoleArn))
	}
	// Turning session tags back on while a policy is set is refused.
	_, err = c.UpdatePodIdentityAssociation(ctx, &sdkeks.UpdatePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: aws.String(id), DisableSessionTags: aws.Bool(false)})
	piTCode(t, "session tags back on with a policy", err, "InvalidParameterException")
	_, err = c.UpdatePodIdentityAssociation(ctx, &sdkeks.UpdatePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: aws.String(id), DisableSessionTags: aws.Bool(true), Policy: aws.String("{not json")})
	piTCode(t, "invalid policy", err, "InvalidParameterException")
	_, err = c.UpdatePodIdentityAssociation(ctx, &sdkeks.UpdatePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: aws.String(id), RoleArn: aws.String("not-an-arn")})
	piTCode(t, "invalid role ARN", err, "InvalidParameterException")
	_, err = c.UpdatePodIdentityAssociation(ctx, &sdkeks.UpdatePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: aws.String(id), TargetRoleArn: aws.String("target")})
	piTCode(t, "invalid target role ARN", err, "InvalidParameterException")
	_, err = c.UpdatePodIdentityAssociation(ctx, &sdkeks.UpdatePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: aws.String(id), RoleArn: aws.String("arn:aws:iam::222222222222:role/app")})
	piTCode(t, "role in another account", err, "AccessDeniedException")
	if d2 := piTDescribe(t, c, "prod", id); !d2.ModifiedAt.Equal(last) || aws.ToString(d2.Policy) != piTPolicy {
		t.Errorf("refused updates changed the association: modifiedAt %v (was %v), policy %q", d2.ModifiedAt, last, aws.ToString(d2.Policy))
	}

	// An empty policy removes it; then session tags may come back.
	d = update("remove the policy", &sdkeks.UpdatePodIdentityAssociationInput{Policy: aws.String("")})
	if d.Policy != nil {
		t.Errorf("remove the policy: policy %q", aws.ToString(d.Policy))
	}
	d = update("session tags back on", &sdkeks.UpdatePodIdentityAssociationInput{DisableSessionTags: aws.Bool(false)})
	if aws.ToBool(d.DisableSessionTags) {
		t.Errorf("session tags back on: disableSessionTags still true")
	}

	// An empty targetRoleArn removes the target role and the external ID.
	d = update("remove the target", &sdkeks.UpdatePodIdentityAssociationInput{TargetRoleArn: aws.String("")})
	if d.TargetRoleArn != nil || d.ExternalId != nil {
		t.Errorf("remove the target: targetRoleArn %q, externalId %q, want neither", aws.ToString(d.TargetRoleArn), aws.ToString(d.ExternalId))
	}
	if aws.ToString(d.RoleArn) != piTRole2 {
		t.Errorf("remove the target: roleArn %q changed", aws.ToString(d.RoleArn))
	}

	_, err = c.UpdatePodIdentityAssociation(ctx, &sdkeks.UpdatePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: aws.String("a-0000000000000000x"), RoleArn: aws.String(piTRole)})
	piTCode(t, "update an unknown association", err, "ResourceNotFoundException")
}

func TestPodIdentityAssociationDelete(t *testing.T) {
	env, c := piTEnv(t, "prod")
	ctx := context.Background()
	a := piTCreate(t, c, "prod", "web", "api", func(in *sdkeks.CreatePodIdentityAssociationInput) { in.TargetRoleArn = aws.String(piTTarget) })
	keep := piTCreate(t, c, "prod", "web", "keep")
	id := aws.ToString(a.AssociationId)

	out, err := c.DeletePodIdentityAssociation(ctx, &sdkeks.DeletePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: aws.String(id)})
	if err != nil {
		t.Fatalf("DeletePodIdentityAssociation: %v", err)
	}
	if d := out.Association; aws.ToString(d.AssociationId) != id || aws.ToString(d.ServiceAccount) != "api" || aws.ToString(d.TargetRoleArn) != piTTarget {
		t.Errorf("delete answered %s %s target %s, want the deleted association", aws.ToString(d.AssociationId), aws.ToString(d.ServiceAccount), aws.ToString(d.TargetRoleArn))
	}
	_, err = c.DescribePodIdentityAssociation(ctx, &sdkeks.DescribePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: aws.String(id)})
	piTCode(t, "describe a deleted association", err, "ResourceNotFoundException")
	_, err = c.DeletePodIdentityAssociation(ctx, &sdkeks.DeletePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: aws.String(id)})
	piTCode(t, "delete it again", err, "ResourceNotFoundException")
	_, err = c.UpdatePodIdentityAssociation(ctx, &sdkeks.UpdatePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: aws.String(id), RoleArn: aws.String(piTRole2)})
	piTCode(t, "update a deleted association", err, "ResourceNotFoundException")
	if got, _ := piTList(t, c, &sdkeks.ListPodIdentityAssociationsInput{ClusterName: aws.String("prod")}); !slices.Equal(piTIDs(got), []string{aws.ToString(keep.AssociationId)}) {
		t.Errorf("after delete: %v, want only %s", piTIDs(got), aws.ToString(keep.AssociationId))
	}
	// The service account is free again.
	again := piTCreate(t, c, "prod", "web", "api")
	if aws.ToString(again.AssociationId) == id {
		t.Errorf("a new association reuses the deleted ID %s", id)
	}

	// Deleting the cluster deletes its associations: a cluster created
	// again with the same name has none, and lets the same service
	// accounts be associated again.
	if _, err := c.DeleteCluster(ctx, &sdkeks.DeleteClusterInput{Name: aws.String("prod")}); err != nil {
		t.Fatalf("DeleteCluster: %v", err)
	}
	_, err = c.ListPodIdentityAssociations(ctx, &sdkeks.ListPodIdentityAssociationsInput{ClusterName: aws.String("prod")})
	piTCode(t, "list of a deleted cluster", err, "ResourceNotFoundException")
	piTCluster(t, c, testenv.AccountA, "prod")
	if got, _ := piTList(t, c, &sdkeks.ListPodIdentityAssociationsInput{ClusterName: aws.String("prod")}); len(got) != 0 {
		t.Errorf("the re-created cluster lists %v, want no associations", piTIDs(got))
	}
	_, err = c.DescribePodIdentityAssociation(ctx, &sdkeks.DescribePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: keep.AssociationId})
	piTCode(t, "describe an association of the deleted cluster", err, "ResourceNotFoundException")
	piTCreate(t, c, "prod", "web", "keep")

	// And that survives a restart.
	env.Restart()
	c = sdkeks.NewFromConfig(env.RootConfig(testenv.AccountA))
	if got, _ := piTList(t, c, &sdkeks.ListPodIdentityAssociationsInput{ClusterName: aws.String("prod")}); len(got) != 1 || aws.ToString(got[0].ServiceAccount) != "keep" {
		t.Errorf("after restart: %d associations (%v), want only the new web/keep", len(got), piTIDs(got))
	}
}

func TestPodIdentityAssociationAccounts(t *testing.T) {
	env, a := piTEnv(t, "prod")
	ctx := context.Background()
	assoc := piTCreate(t, a, "prod", "web", "api")
	b := sdkeks.NewFromConfig(env.RootConfig(testenv.AccountB))

	// Account B has no cluster prod: it neither sees nor changes A's.
	_, err := b.ListPodIdentityAssociations(ctx, &sdkeks.ListPodIdentityAssociationsInput{ClusterName: aws.String("prod")})
	piTCode(t, "B lists A's cluster", err, "ResourceNotFoundException")
	_, err = b.DescribePodIdentityAssociation(ctx, &sdkeks.DescribePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: assoc.AssociationId})
	piTCode(t, "B describes A's association", err, "ResourceNotFoundException")
	_, err = b.DeletePodIdentityAssociation(ctx, &sdkeks.DeletePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: assoc.AssociationId})
	piTCode(t, "B deletes A's association", err, "ResourceNotFoundException")

	// B's own cluster of the same name is another cluster.
	piTCluster(t, b, testenv.AccountB, "prod")
	if got, _ := piTList(t, b, &sdkeks.ListPodIdentityAssociationsInput{ClusterName: aws.String("prod")}); len(got) != 0 {
		t.Errorf("B's prod lists A's associations: %v", piTIDs(got))
	}
	_, err = b.DescribePodIdentityAssociation(ctx, &sdkeks.DescribePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: assoc.AssociationId})
	piTCode(t, "B describes A's association through its own prod", err, "ResourceNotFoundException")
	bAssoc, err := b.CreatePodIdentityAssociation(ctx, &sdkeks.CreatePodIdentityAssociationInput{ClusterName: aws.String("prod"), Namespace: aws.String("web"), ServiceAccount: aws.String("api"),
		RoleArn: aws.String("arn:aws:iam::222222222222:role/app"), TargetRoleArn: aws.String("arn:aws:iam::111111111111:role/back")})
	if err != nil {
		t.Fatalf("B creates web/api in its own prod: %v", err)
	}
	if got := aws.ToString(bAssoc.Association.AssociationArn); !strings.HasPrefix(got, "arn:aws:eks:us-east-1:222222222222:podidentityassociation/prod/a-") {
		t.Errorf("B's association ARN = %q", got)
	}
	if got, want := aws.ToString(bAssoc.Association.ExternalId), "us-east-1/222222222222/prod/web/api"; got != want {
		t.Errorf("B's externalId = %q, want %q", got, want)
	}
	if d := piTDescribe(t, a, "prod", aws.ToString(assoc.AssociationId)); aws.ToString(d.RoleArn) != piTRole {
		t.Errorf("A's association changed: %v", aws.ToString(d.RoleArn))
	}
}

func TestPodIdentityAssociationAuthorization(t *testing.T) {
	env, root := piTEnv(t, "prod")
	ctx := context.Background()
	existing := piTCreate(t, root, "prod", "web", "existing")
	alice := piTUser(t, env, "alice", "")
	create := func(sa string) error {
		_, err := alice.CreatePodIdentityAssociation(ctx, &sdkeks.CreatePodIdentityAssociationInput{ClusterName: aws.String("prod"), Namespace: aws.String("web"), ServiceAccount: aws.String(sa), RoleArn: aws.String(piTRole)})
		return err
	}

	// No permissions at all.
	msg := piTCode(t, "create without a policy", create("api"), "AccessDeniedException")
	if !strings.Contains(msg, "eks:CreatePodIdentityAssociation") || !strings.Contains(msg, "arn:aws:iam::111111111111:user/alice") {
		t.Errorf("denial %q does not name eks:CreatePodIdentityAssociation and the user", msg)
	}
	_, err := alice.ListPodIdentityAssociations(ctx, &sdkeks.ListPodIdentityAssociationsInput{ClusterName: aws.String("prod")})
	piTCode(t, "list without a policy", err, "AccessDeniedException")
	_, err = alice.DescribePodIdentityAssociation(ctx, &sdkeks.DescribePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: existing.AssociationId})
	piTCode(t, "describe without a policy", err, "AccessDeniedException")
	_, err = alice.UpdatePodIdentityAssociation(ctx, &sdkeks.UpdatePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: existing.AssociationId, DisableSessionTags: aws.Bool(true)})
	piTCode(t, "update without a policy", err, "AccessDeniedException")
	_, err = alice.DeletePodIdentityAssociation(ctx, &sdkeks.DeletePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: existing.AssociationId})
	piTCode(t, "delete without a policy", err, "AccessDeniedException")

	// eks:CreatePodIdentityAssociation without iam:PassRole on the role.
	piTPutPolicy(t, env, "alice", piTAllow("eks:CreatePodIdentityAssociation"))
	msg = piTCode(t, "create without iam:PassRole", create("api"), "AccessDeniedException")
	if !strings.Contains(msg, "iam:PassRole") || !strings.Contains(msg, piTRole) {
		t.Errorf("denial %q does not name iam:PassRole on %s", msg, piTRole)
	}
	// PassRole on another role is not enough.
	piTPutPolicy(t, env, "alice", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"eks:CreatePodIdentityAssociation","Resource":"*"},
		{"Effect":"Allow","Action":"iam:PassRole","Resource":"`+piTRole2+`"}]}`)
	piTCode(t, "create with iam:PassRole on another role", create("api"), "AccessDeniedException")

	// Both.
	piTPutPolicy(t, env, "alice", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"eks:CreatePodIdentityAssociation","Resource":"arn:aws:eks:us-east-1:111111111111:cluster/prod"},
		{"Effect":"Allow","Action":"iam:PassRole","Resource":"`+piTRole+`"}]}`)
	if err := create("api"); err != nil {
		t.Fatalf("create with eks:CreatePodIdentityAssociation and iam:PassRole: %v", err)
	}
	if got, _ := piTList(t, root, &sdkeks.ListPodIdentityAssociationsInput{ClusterName: aws.String("prod"), ServiceAccount: aws.String("api")}); len(got) != 1 {
		t.Errorf("alice's association: %d listed, want 1", len(got))
	}
	// Update to another role needs PassRole on that role too.
	piTPutPolicy(t, env, "alice", piTAllow("eks:UpdatePodIdentityAssociation"))
	_, err = alice.UpdatePodIdentityAssociation(ctx, &sdkeks.UpdatePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: existing.AssociationId, RoleArn: aws.String(piTRole2)})
	if msg := piTCode(t, "update the role without iam:PassRole", err, "AccessDeniedException"); !strings.Contains(msg, "iam:PassRole") {
		t.Errorf("update denial %q does not name iam:PassRole", msg)
	}
	if _, err := alice.UpdatePodIdentityAssociation(ctx, &sdkeks.UpdatePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: existing.AssociationId, DisableSessionTags: aws.Bool(true)}); err != nil {
		t.Errorf("update without a role change, with eks:UpdatePodIdentityAssociation: %v", err)
	}
	piTPutPolicy(t, env, "alice", piTAllow("eks:UpdatePodIdentityAssociation", "iam:PassRole"))
	if _, err := alice.UpdatePodIdentityAssociation(ctx, &sdkeks.UpdatePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: existing.AssociationId, RoleArn: aws.String(piTRole2)}); err != nil {
		t.Errorf("update the role with iam:PassRole: %v", err)
	}

	// Read and delete permissions.
	piTPutPolicy(t, env, "alice", piTAllow("eks:ListPodIdentityAssociations", "eks:DescribePodIdentityAssociation", "eks:DeletePodIdentityAssociation"))
	if got, _ := piTList(t, alice, &sdkeks.ListPodIdentityAssociationsInput{ClusterName: aws.String("prod")}); len(got) != 2 {
		t.Errorf("alice lists %d associations, want 2", len(got))
	}
	if d := piTDescribe(t, alice, "prod", aws.ToString(existing.AssociationId)); aws.ToString(d.RoleArn) != piTRole2 {
		t.Errorf("alice describes role %q, want %q", aws.ToString(d.RoleArn), piTRole2)
	}
	if _, err := alice.DeletePodIdentityAssociation(ctx, &sdkeks.DeletePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: existing.AssociationId}); err != nil {
		t.Errorf("delete with eks:DeletePodIdentityAssociation: %v", err)
	}

	// A policy on one association's ARN.
	rest, _ := piTList(t, root, &sdkeks.ListPodIdentityAssociationsInput{ClusterName: aws.String("prod")})
	if len(rest) != 1 {
		t.Fatalf("after delete: %d associations, want 1", len(rest))
	}
	other := piTCreate(t, root, "prod", "web", "other")
	piTPutPolicy(t, env, "alice", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:DescribePodIdentityAssociation","Resource":"`+aws.ToString(rest[0].AssociationArn)+`"}]}`)
	piTDescribe(t, alice, "prod", aws.ToString(rest[0].AssociationId))
	_, err = alice.DescribePodIdentityAssociation(ctx, &sdkeks.DescribePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: other.AssociationId})
	piTCode(t, "describe an association the policy does not name", err, "AccessDeniedException")
}

func TestPodIdentityAssociationsSurviveRestart(t *testing.T) {
	env, c := piTEnv(t, "prod")
	full := piTCreate(t, c, "prod", "web", "api", func(in *sdkeks.CreatePodIdentityAssociationInput) {
		in.TargetRoleArn = aws.String(piTTarget)
		in.Tags = map[string]string{"team": "blue"}
		in.DisableSessionTags = aws.Bool(true)
		in.Policy = aws.String(piTPolicy)
	})
	plain := piTCreate(t, c, "prod", "jobs", "batch")
	time.Sleep(5 * time.Millisecond)
	upd, err := c.UpdatePodIdentityAssociation(context.Background(), &sdkeks.UpdatePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: plain.AssociationId, RoleArn: aws.String(piTRole2)})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	gone := piTCreate(t, c, "prod", "jobs", "gone")
	if _, err := c.DeletePodIdentityAssociation(context.Background(), &sdkeks.DeletePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: gone.AssociationId}); err != nil {
		t.Fatalf("delete: %v", err)
	}

	env.Restart()
	c = sdkeks.NewFromConfig(env.RootConfig(testenv.AccountA))
	all, _ := piTList(t, c, &sdkeks.ListPodIdentityAssociationsInput{ClusterName: aws.String("prod")})
	if got, want := piTIDs(all), piTIDs([]types.PodIdentityAssociationSummary{{AssociationId: full.AssociationId}, {AssociationId: plain.AssociationId}}); !slices.Equal(got, want) {
		t.Fatalf("after restart: %v, want %v", got, want)
	}
	d := piTDescribe(t, c, "prod", aws.ToString(full.AssociationId))
	if aws.ToString(d.AssociationArn) != aws.ToString(full.AssociationArn) || aws.ToString(d.RoleArn) != piTRole || aws.ToString(d.TargetRoleArn) != piTTarget ||
		aws.ToString(d.ExternalId) != "us-east-1/111111111111/prod/web/api" || !aws.ToBool(d.DisableSessionTags) || aws.ToString(d.Policy) != piTPolicy ||
		d.Tags["team"] != "blue" || !d.CreatedAt.Equal(*full.CreatedAt) || !d.ModifiedAt.Equal(*full.ModifiedAt) {
		t.Errorf("after restart the full association is %+v", d)
	}
	d = piTDescribe(t, c, "prod", aws.ToString(plain.AssociationId))
	if aws.ToString(d.RoleArn) != piTRole2 || !d.ModifiedAt.Equal(*upd.Association.ModifiedAt) || !d.CreatedAt.Equal(*plain.CreatedAt) {
		t.Errorf("after restart the updated association: role %s, modified %v (want %v)", aws.ToString(d.RoleArn), d.ModifiedAt, upd.Association.ModifiedAt)
	}
	// Still unique per service account after the restart.
	_, err = c.CreatePodIdentityAssociation(context.Background(), &sdkeks.CreatePodIdentityAssociationInput{ClusterName: aws.String("prod"), Namespace: aws.String("web"), ServiceAccount: aws.String("api"), RoleArn: aws.String(piTRole)})
	piTCode(t, "duplicate after restart", err, "ResourceInUseException")
}

// A listing goes on when the association its nextToken leads to is
// deleted between two pages (another client deleting while this one
// pages, as with AWS's opaque tokens): the next page starts after it.
func TestPodIdentityAssociationListSurvivesDeletionBetweenPages(t *testing.T) {
	_, c := piTEnv(t, "prod")
	ctx := context.Background()
	var ids []string
	for _, sa := range []string{"a", "b", "c", "d"} {
		ids = append(ids, aws.ToString(piTCreate(t, c, "prod", "web", sa).AssociationId))
	}
	slices.Sort(ids)
	page, err := c.ListPodIdentityAssociations(ctx, &sdkeks.ListPodIdentityAssociationsInput{ClusterName: aws.String("prod"), MaxResults: aws.Int32(2)})
	if err != nil {
		t.Fatalf("first page: %v", err)
	}
	seen := piTIDs(page.Associations)
	if page.NextToken == nil || len(seen) != 2 {
		t.Fatalf("first page: %v, nextToken %v", seen, page.NextToken)
	}
	// Delete every association the first page did not show but the
	// first one of the rest, which the nextToken may name.
	var rest []string
	for _, id := range ids {
		if !slices.Contains(seen, id) {
			rest = append(rest, id)
		}
	}
	if _, err := c.DeletePodIdentityAssociation(ctx, &sdkeks.DeletePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: aws.String(rest[0])}); err != nil {
		t.Fatalf("delete %s: %v", rest[0], err)
	}
	page, err = c.ListPodIdentityAssociations(ctx, &sdkeks.ListPodIdentityAssociationsInput{ClusterName: aws.String("prod"), MaxResults: aws.Int32(2), NextToken: page.NextToken})
	if err != nil {
		t.Fatalf("second page after %s (the association the first page's nextToken leads to) was deleted: %v", rest[0], err)
	}
	if got := piTIDs(page.Associations); !slices.Equal(got, rest[1:]) {
		t.Errorf("second page = %v, want the remaining %v", got, rest[1:])
	}
}
