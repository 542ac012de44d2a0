package eks_test

import (
	"context"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkeks "github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// Tests of access entries, access policies and Kubernetes versions,
// through the AWS SDK for Go v2's EKS client.

const (
	aeTClusterAdmin = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
	aeTView         = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
	aeTEdit         = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
	// aeTTrustEC2 lets EC2 assume a role (node roles).
	aeTTrustEC2 = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	// aeTTrustFargate lets Fargate pods assume a role.
	aeTTrustFargate = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["eks-fargate-pods.amazonaws.com"]},"Action":["sts:AssumeRole"]}]}`
	// aeTTrustAccount lets the account assume a role.
	aeTTrustAccount = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}`
)

// aeTRole creates a role of an account and returns its ARN.
func aeTRole(t *testing.T, env *testenv.Env, account, path, name, trust string) string {
	t.Helper()
	in := &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}
	if path != "" {
		in.Path = aws.String(path)
	}
	out, err := env.RootIAM(account).CreateRole(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateRole %s: %v", name, err)
	}
	return aws.ToString(out.Role.Arn)
}

// aeTCluster creates a cluster of account A with an authentication mode
// ("" for EKS's default, CONFIG_MAP).
func aeTCluster(t *testing.T, c *sdkeks.Client, name string, mode types.AuthenticationMode) {
	t.Helper()
	in := &sdkeks.CreateClusterInput{Name: aws.String(name), RoleArn: aws.String(eksTRoleARN), ResourcesVpcConfig: &types.VpcConfigRequest{SubnetIds: []string{"subnet-1"}}}
	if mode != "" {
		in.AccessConfig = &types.CreateAccessConfigRequest{AuthenticationMode: mode}
	}
	if _, err := c.CreateCluster(context.Background(), in); err != nil {
		t.Fatalf("CreateCluster %s: %v", name, err)
	}
}

// aeTEntries lists a cluster's access entries, page by page.
func aeTEntries(t *testing.T, c *sdkeks.Client, in *sdkeks.ListAccessEntriesInput) []string {
	t.Helper()
	var all []string
	p := sdkeks.NewListAccessEntriesPaginator(c, in)
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("ListAccessEntries: %v", err)
		}
		all = append(all, out.AccessEntries...)
	}
	return all
}

func TestEKSAccessEntries(t *testing.T) {
	env, root := piTEnv(t)
	ctx := context.Background()
	aeTCluster(t, root, "legacy", "")
	aeTCluster(t, root, "prod", types.AuthenticationModeApiAndConfigMap)
	dev := aeTRole(t, env, testenv.AccountA, "/team/", "dev", aeTTrustAccount)
	node := aeTRole(t, env, testenv.AccountA, "", "node", aeTTrustEC2)
	other := aeTRole(t, env, testenv.AccountB, "", "auditor", aeTTrustAccount)
	otherNode := aeTRole(t, env, testenv.AccountB, "", "node", aeTTrustEC2)
	if _, err := env.RootIAM(testenv.AccountA).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ops")}); err != nil {
		t.Fatal(err)
	}
	ops := "arn:aws:iam::111111111111:user/ops"
	if _, err := env.RootIAM(testenv.AccountA).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("nobody")}); err != nil {
		t.Fatal(err)
	}

	// The root user created the cluster: it has no entry.
	if got := aeTEntries(t, root, &sdkeks.ListAccessEntriesInput{ClusterName: aws.String("prod")}); len(got) != 0 {
		t.Errorf("entries of a cluster the root user made = %v, want none", got)
	}

	// A role with a path: the default username drops the path.
	out, err := root.CreateAccessEntry(ctx, &sdkeks.CreateAccessEntryInput{
		ClusterName: aws.String("prod"), PrincipalArn: aws.String(dev), KubernetesGroups: []string{"viewers", "devs"}, Tags: map[string]string{"team": "blue"},
	})
	if err != nil {
		t.Fatalf("CreateAccessEntry dev: %v", err)
	}
	e := out.AccessEntry
	arnRE := regexp.MustCompile(`^arn:aws:eks:us-east-1:111111111111:access-entry/prod/role/111111111111/dev/[0-9a-f-]{36}$`)
	if !arnRE.MatchString(aws.ToString(e.AccessEntryArn)) || aws.ToString(e.Type) != "STANDARD" || aws.ToString(e.PrincipalArn) != dev || aws.ToString(e.ClusterName) != "prod" {
		t.Errorf("entry = %+v", e)
	}
	if got := aws.ToString(e.Username); got != "arn:aws:sts::111111111111:assumed-role/dev/{{SessionName}}" {
		t.Errorf("default username = %q", got)
	}
	if !slices.Equal(e.KubernetesGroups, []string{"devs", "viewers"}) || !maps.Equal(e.Tags, map[string]string{"team": "blue"}) || e.CreatedAt == nil || e.ModifiedAt == nil {
		t.Errorf("groups %v, tags %v, createdAt %v", e.KubernetesGroups, e.Tags, e.CreatedAt)
	}
	// A user keeps its ARN as username unless it names one; a role of
	// another account may have a STANDARD entry.
	u, err := root.CreateAccessEntry(ctx, &sdkeks.CreateAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(ops)})
	if err != nil || aws.ToString(u.AccessEntry.Username) != ops || u.AccessEntry.KubernetesGroups == nil {
		t.Fatalf("CreateAccessEntry ops: %v %+v", err, u)
	}
	if _, err := root.CreateAccessEntry(ctx, &sdkeks.CreateAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(other), Username: aws.String("auditor")}); err != nil {
		t.Fatalf("CreateAccessEntry for B's role: %v", err)
	}
	n, err := root.CreateAccessEntry(ctx, &sdkeks.CreateAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(node), Type: aws.String("EC2_LINUX")})
	if err != nil {
		t.Fatalf("CreateAccessEntry EC2_LINUX: %v", err)
	}
	if aws.ToString(n.AccessEntry.Username) != "system:node:{{EC2PrivateDNSName}}" || !slices.Equal(n.AccessEntry.KubernetesGroups, []string{"system:nodes"}) {
		t.Errorf("EC2_LINUX entry = %+v", n.AccessEntry)
	}

	// EKS's refusals.
	for _, tc := range []struct {
		what string
		in   *sdkeks.CreateAccessEntryInput
		code string
	}{
		{"a duplicate", &sdkeks.CreateAccessEntryInput{PrincipalArn: aws.String(dev)}, "ResourceInUseException"},
		{"a missing role", &sdkeks.CreateAccessEntryInput{PrincipalArn: aws.String("arn:aws:iam::111111111111:role/ghost")}, "InvalidParameterException"},
		{"the path left out", &sdkeks.CreateAccessEntryInput{PrincipalArn: aws.String("arn:aws:iam::111111111111:role/dev")}, "InvalidParameterException"},
		{"a session ARN", &sdkeks.CreateAccessEntryInput{PrincipalArn: aws.String("arn:aws:sts::111111111111:assumed-role/dev/s")}, "InvalidParameterException"},
		{"not an ARN", &sdkeks.CreateAccessEntryInput{PrincipalArn: aws.String("dev")}, "InvalidParameterException"},
		{"an unknown type", &sdkeks.CreateAccessEntryInput{PrincipalArn: aws.String(node), Type: aws.String("GPU")}, "InvalidParameterException"},
		{"groups on a node entry", &sdkeks.CreateAccessEntryInput{PrincipalArn: aws.String(node), Type: aws.String("EC2_WINDOWS"), KubernetesGroups: []string{"x"}}, "InvalidParameterException"},
		{"a user as a node", &sdkeks.CreateAccessEntryInput{PrincipalArn: aws.String("arn:aws:iam::111111111111:user/nobody"), Type: aws.String("FARGATE_LINUX")}, "InvalidParameterException"},
		{"another account's node role", &sdkeks.CreateAccessEntryInput{PrincipalArn: aws.String(otherNode), Type: aws.String("EC2_LINUX")}, "InvalidParameterException"},
		{"a reserved username", &sdkeks.CreateAccessEntryInput{PrincipalArn: aws.String(node), Username: aws.String("system:admin")}, "InvalidParameterException"},
		{"a reserved tag", &sdkeks.CreateAccessEntryInput{PrincipalArn: aws.String(node), Tags: map[string]string{"aws:x": "y"}}, "InvalidParameterException"},
	} {
		tc.in.ClusterName = aws.String("prod")
		_, err := root.CreateAccessEntry(ctx, tc.in)
		m := piTCode(t, "CreateAccessEntry with "+tc.what, err, tc.code)
		if tc.code == "ResourceInUseException" && !strings.Contains(m, "The specified access entry resource is already in use on this cluster.") {
			t.Errorf("duplicate message = %q", m)
		}
	}
	_, err = root.CreateAccessEntry(ctx, &sdkeks.CreateAccessEntryInput{ClusterName: aws.String("nope"), PrincipalArn: aws.String(dev)})
	piTCode(t, "CreateAccessEntry on a missing cluster", err, "ResourceNotFoundException")
	// A CONFIG_MAP cluster has no access entry API.
	_, err = root.CreateAccessEntry(ctx, &sdkeks.CreateAccessEntryInput{ClusterName: aws.String("legacy"), PrincipalArn: aws.String(dev)})
	m := piTCode(t, "CreateAccessEntry on a CONFIG_MAP cluster", err, "InvalidRequestException")
	if !strings.Contains(m, "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.") {
		t.Errorf("CONFIG_MAP message = %q", m)
	}
	_, err = root.ListAccessEntries(ctx, &sdkeks.ListAccessEntriesInput{ClusterName: aws.String("legacy")})
	piTCode(t, "ListAccessEntries on a CONFIG_MAP cluster", err, "InvalidRequestException")

	// Describe, list in pages, update.
	d, err := root.DescribeAccessEntry(ctx, &sdkeks.DescribeAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(dev)})
	if err != nil || aws.ToString(d.AccessEntry.AccessEntryArn) != aws.ToString(e.AccessEntryArn) {
		t.Fatalf("DescribeAccessEntry: %v %+v", err, d)
	}
	_, err = root.DescribeAccessEntry(ctx, &sdkeks.DescribeAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String("arn:aws:iam::111111111111:role/ghost")})
	m = piTCode(t, "DescribeAccessEntry of a missing entry", err, "ResourceNotFoundException")
	if !strings.Contains(m, "The specified principalArn could not be found") {
		t.Errorf("not found message = %q", m)
	}
	all := []string{other, ops, dev, node}
	slices.Sort(all)
	if got := aeTEntries(t, root, &sdkeks.ListAccessEntriesInput{ClusterName: aws.String("prod"), MaxResults: aws.Int32(1)}); !slices.Equal(got, all) {
		t.Errorf("ListAccessEntries = %v, want %v", got, all)
	}
	up, err := root.UpdateAccessEntry(ctx, &sdkeks.UpdateAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(dev), KubernetesGroups: []string{"admins"}, Username: aws.String("dev-user")})
	if err != nil || !slices.Equal(up.AccessEntry.KubernetesGroups, []string{"admins"}) || aws.ToString(up.AccessEntry.Username) != "dev-user" {
		t.Fatalf("UpdateAccessEntry: %v %+v", err, up)
	}
	// Terraform sends the entry's username back with every update.
	if _, err := root.UpdateAccessEntry(ctx, &sdkeks.UpdateAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(node), KubernetesGroups: []string{"system:nodes"}, Username: aws.String("system:node:{{EC2PrivateDNSName}}")}); err != nil {
		t.Errorf("UpdateAccessEntry of a node entry with its own values: %v", err)
	}
	_, err = root.UpdateAccessEntry(ctx, &sdkeks.UpdateAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(node), KubernetesGroups: []string{"admins"}})
	piTCode(t, "UpdateAccessEntry groups of a node entry", err, "InvalidParameterException")

	// Access policies.
	lp, err := root.ListAccessPolicies(ctx, &sdkeks.ListAccessPoliciesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range lp.AccessPolicies {
		if aws.ToString(p.Arn) != "arn:aws:eks::aws:cluster-access-policy/"+aws.ToString(p.Name) {
			t.Errorf("access policy %+v", p)
		}
		names = append(names, aws.ToString(p.Name))
	}
	for _, want := range []string{"AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy", "AmazonEKSEditPolicy", "AmazonEKSViewPolicy"} {
		if !slices.Contains(names, want) {
			t.Errorf("ListAccessPolicies lacks %s: %v", want, names)
		}
	}
	pages := 0
	for p := sdkeks.NewListAccessPoliciesPaginator(root, &sdkeks.ListAccessPoliciesInput{MaxResults: aws.Int32(7)}); p.HasMorePages(); pages++ {
		if _, err := p.NextPage(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if want := (len(names) + 6) / 7; pages != want {
		t.Errorf("ListAccessPolicies in pages of 7: %d pages, want %d", pages, want)
	}

	assoc := func(principal, policy string, scope *types.AccessScope) (*sdkeks.AssociateAccessPolicyOutput, error) {
		return root.AssociateAccessPolicy(ctx, &sdkeks.AssociateAccessPolicyInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(principal), PolicyArn: aws.String(policy), AccessScope: scope})
	}
	a, err := assoc(dev, aeTView, &types.AccessScope{Type: types.AccessScopeTypeNamespace, Namespaces: []string{"web", "api"}})
	if err != nil {
		t.Fatalf("AssociateAccessPolicy: %v", err)
	}
	if ap := a.AssociatedAccessPolicy; aws.ToString(ap.PolicyArn) != aeTView || ap.AccessScope.Type != types.AccessScopeTypeNamespace || !slices.Equal(ap.AccessScope.Namespaces, []string{"api", "web"}) || ap.AssociatedAt == nil || aws.ToString(a.PrincipalArn) != dev || aws.ToString(a.ClusterName) != "prod" {
		t.Errorf("AssociateAccessPolicy = %+v %+v", a, ap)
	}
	if _, err := assoc(dev, aeTEdit, &types.AccessScope{Type: types.AccessScopeTypeCluster}); err != nil {
		t.Fatal(err)
	}
	// Associating again changes the scope.
	if _, err := assoc(dev, aeTView, &types.AccessScope{Type: types.AccessScopeTypeCluster}); err != nil {
		t.Fatal(err)
	}
	if _, err := assoc(ops, aeTClusterAdmin, &types.AccessScope{Type: types.AccessScopeTypeCluster}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		what, principal, policy string
		scope                   *types.AccessScope
		code                    string
	}{
		{"namespaces without a namespace scope", dev, aeTView, &types.AccessScope{Type: types.AccessScopeTypeCluster, Namespaces: []string{"a"}}, "InvalidParameterException"},
		{"a namespace scope without namespaces", dev, aeTView, &types.AccessScope{Type: types.AccessScopeTypeNamespace}, "InvalidParameterException"},
		{"an unknown scope type", dev, aeTView, &types.AccessScope{Type: "world"}, "InvalidParameterException"},
		{"an unknown policy", dev, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSGodPolicy", &types.AccessScope{Type: types.AccessScopeTypeCluster}, "ResourceNotFoundException"},
		{"a node entry", node, aeTView, &types.AccessScope{Type: types.AccessScopeTypeCluster}, "InvalidRequestException"},
		{"a missing entry", "arn:aws:iam::111111111111:role/ghost", aeTView, &types.AccessScope{Type: types.AccessScopeTypeCluster}, "ResourceNotFoundException"},
	} {
		_, err := assoc(tc.principal, tc.policy, tc.scope)
		piTCode(t, "AssociateAccessPolicy with "+tc.what, err, tc.code)
	}
	listAssoc := func(principal string) []types.AssociatedAccessPolicy {
		t.Helper()
		var all []types.AssociatedAccessPolicy
		for p := sdkeks.NewListAssociatedAccessPoliciesPaginator(eksTClient(env, testenv.AccountA), &sdkeks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(principal), MaxResults: aws.Int32(1)}); p.HasMorePages(); {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("ListAssociatedAccessPolicies: %v", err)
			}
			if aws.ToString(out.PrincipalArn) != principal || aws.ToString(out.ClusterName) != "prod" {
				t.Errorf("ListAssociatedAccessPolicies names %+v", out)
			}
			all = append(all, out.AssociatedAccessPolicies...)
		}
		return all
	}
	check := func() {
		t.Helper()
		got := listAssoc(dev)
		if len(got) != 2 || aws.ToString(got[0].PolicyArn) != aeTEdit || aws.ToString(got[1].PolicyArn) != aeTView || got[1].AccessScope.Type != types.AccessScopeTypeCluster || len(got[1].AccessScope.Namespaces) != 0 {
			t.Errorf("dev's policies = %+v", got)
		}
		if got := aeTEntries(t, eksTClient(env, testenv.AccountA), &sdkeks.ListAccessEntriesInput{ClusterName: aws.String("prod"), AssociatedPolicyArn: aws.String(aeTView)}); !slices.Equal(got, []string{dev}) {
			t.Errorf("entries with the view policy = %v", got)
		}
		d, err := eksTClient(env, testenv.AccountA).DescribeAccessEntry(ctx, &sdkeks.DescribeAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(dev)})
		if err != nil || aws.ToString(d.AccessEntry.Username) != "dev-user" || !maps.Equal(d.AccessEntry.Tags, map[string]string{"team": "blue"}) {
			t.Errorf("DescribeAccessEntry: %v %+v", err, d)
		}
	}
	check()
	env.Restart()
	check()
	root = eksTClient(env, testenv.AccountA)

	if _, err := root.DisassociateAccessPolicy(ctx, &sdkeks.DisassociateAccessPolicyInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(dev), PolicyArn: aws.String(aeTEdit)}); err != nil {
		t.Fatalf("DisassociateAccessPolicy: %v", err)
	}
	_, err = root.DisassociateAccessPolicy(ctx, &sdkeks.DisassociateAccessPolicyInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(dev), PolicyArn: aws.String(aeTEdit)})
	piTCode(t, "DisassociateAccessPolicy again", err, "ResourceNotFoundException")
	if got := listAssoc(dev); len(got) != 1 || aws.ToString(got[0].PolicyArn) != aeTView {
		t.Errorf("after disassociating = %+v", got)
	}

	// Tags on an access entry ARN.
	entryARN := aws.ToString(e.AccessEntryArn)
	if _, err := root.TagResource(ctx, &sdkeks.TagResourceInput{ResourceArn: aws.String(entryARN), Tags: map[string]string{"env": "prod"}}); err != nil {
		t.Fatalf("TagResource on an access entry: %v", err)
	}
	if lt, err := root.ListTagsForResource(ctx, &sdkeks.ListTagsForResourceInput{ResourceArn: aws.String(entryARN)}); err != nil || !maps.Equal(lt.Tags, map[string]string{"team": "blue", "env": "prod"}) {
		t.Errorf("ListTagsForResource on an access entry: %v %v", err, lt)
	}
	if _, err := root.UntagResource(ctx, &sdkeks.UntagResourceInput{ResourceArn: aws.String(entryARN), TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	_, err = root.ListTagsForResource(ctx, &sdkeks.ListTagsForResourceInput{ResourceArn: aws.String(entryARN[:len(entryARN)-4] + "0000")})
	piTCode(t, "ListTagsForResource on another UUID", err, "NotFoundException")

	// Delete: the entry and its policies go.
	if _, err := root.DeleteAccessEntry(ctx, &sdkeks.DeleteAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(dev)}); err != nil {
		t.Fatalf("DeleteAccessEntry: %v", err)
	}
	_, err = root.DeleteAccessEntry(ctx, &sdkeks.DeleteAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(dev)})
	piTCode(t, "DeleteAccessEntry again", err, "ResourceNotFoundException")
	_, err = root.ListAssociatedAccessPolicies(ctx, &sdkeks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(dev)})
	piTCode(t, "ListAssociatedAccessPolicies of a deleted entry", err, "ResourceNotFoundException")

	// The entries go with the cluster.
	if _, err := root.DeleteCluster(ctx, &sdkeks.DeleteClusterInput{Name: aws.String("prod")}); err != nil {
		t.Fatalf("DeleteCluster: %v", err)
	}
	aeTCluster(t, root, "prod", types.AuthenticationModeApi)
	if got := aeTEntries(t, root, &sdkeks.ListAccessEntriesInput{ClusterName: aws.String("prod")}); len(got) != 0 {
		t.Errorf("entries of a new cluster of the same name = %v", got)
	}
}

// A cluster made in an API mode gives its creator (a user or a role's
// session) an entry with the cluster admin policy, unless told not to;
// in CONFIG_MAP mode, not giving it is refused.
func TestEKSAccessEntryBootstrap(t *testing.T) {
	env, root := piTEnv(t)
	ctx := context.Background()
	creator := piTUser(t, env, "creator", eksTAllow("eks:*", "iam:PassRole"))
	aeTCluster(t, creator, "api", types.AuthenticationModeApi)
	creatorARN := "arn:aws:iam::111111111111:user/creator"
	if got := aeTEntries(t, root, &sdkeks.ListAccessEntriesInput{ClusterName: aws.String("api")}); !slices.Equal(got, []string{creatorARN}) {
		t.Fatalf("entries = %v, want the creator's", got)
	}
	pol, err := root.ListAssociatedAccessPolicies(ctx, &sdkeks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String("api"), PrincipalArn: aws.String(creatorARN)})
	if err != nil || len(pol.AssociatedAccessPolicies) != 1 || aws.ToString(pol.AssociatedAccessPolicies[0].PolicyArn) != aeTClusterAdmin || pol.AssociatedAccessPolicies[0].AccessScope.Type != types.AccessScopeTypeCluster {
		t.Errorf("creator's policies: %v %+v", err, pol)
	}
	// The creator's entry is a real one: creating it again is refused.
	_, err = root.CreateAccessEntry(ctx, &sdkeks.CreateAccessEntryInput{ClusterName: aws.String("api"), PrincipalArn: aws.String(creatorARN)})
	piTCode(t, "CreateAccessEntry for the creator", err, "ResourceInUseException")

	_, err = creator.CreateCluster(ctx, &sdkeks.CreateClusterInput{
		Name: aws.String("quiet"), RoleArn: aws.String(eksTRoleARN), ResourcesVpcConfig: &types.VpcConfigRequest{},
		AccessConfig: &types.CreateAccessConfigRequest{AuthenticationMode: types.AuthenticationModeApi, BootstrapClusterCreatorAdminPermissions: aws.Bool(false)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := aeTEntries(t, root, &sdkeks.ListAccessEntriesInput{ClusterName: aws.String("quiet")}); len(got) != 0 {
		t.Errorf("entries without bootstrap = %v", got)
	}
	_, err = root.CreateCluster(ctx, &sdkeks.CreateClusterInput{
		Name: aws.String("refused"), RoleArn: aws.String(eksTRoleARN), ResourcesVpcConfig: &types.VpcConfigRequest{},
		AccessConfig: &types.CreateAccessConfigRequest{BootstrapClusterCreatorAdminPermissions: aws.Bool(false)},
	})
	m := piTCode(t, "CreateCluster CONFIG_MAP without bootstrap", err, "InvalidParameterException")
	if !strings.Contains(m, "bootstrapClusterCreatorAdminPermissions must be true if cluster authentication mode is set to CONFIG_MAP") {
		t.Errorf("message = %q", m)
	}
}

func TestEKSDescribeClusterVersions(t *testing.T) {
	_, c := piTEnv(t)
	ctx := context.Background()
	versions := func(in *sdkeks.DescribeClusterVersionsInput) []types.ClusterVersionInformation {
		t.Helper()
		var all []types.ClusterVersionInformation
		for p := sdkeks.NewDescribeClusterVersionsPaginator(c, in); p.HasMorePages(); {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("DescribeClusterVersions: %v", err)
			}
			all = append(all, out.ClusterVersions...)
		}
		return all
	}
	names := func(list []types.ClusterVersionInformation) []string {
		var out []string
		for _, v := range list {
			out = append(out, aws.ToString(v.ClusterVersion))
		}
		return out
	}
	all := versions(&sdkeks.DescribeClusterVersionsInput{MaxResults: aws.Int32(2)})
	if got := names(all); !slices.Equal(got, []string{"1.34", "1.33", "1.32", "1.31", "1.30", "1.29", "1.28"}) {
		t.Errorf("supported versions = %v", got)
	}
	for _, v := range all {
		if aws.ToString(v.ClusterType) != "eks" || v.ReleaseDate == nil || v.EndOfStandardSupportDate == nil || v.EndOfExtendedSupportDate == nil ||
			!strings.HasPrefix(aws.ToString(v.KubernetesPatchVersion), aws.ToString(v.ClusterVersion)+".") || v.VersionStatus == "" || aws.ToString(v.DefaultPlatformVersion) == "" {
			t.Errorf("version %+v", v)
		}
	}
	def := versions(&sdkeks.DescribeClusterVersionsInput{DefaultOnly: aws.Bool(true)})
	if len(def) != 1 || aws.ToString(def[0].ClusterVersion) != "1.33" || !def[0].DefaultVersion {
		t.Errorf("default = %+v", def)
	}
	// The default is CreateCluster's.
	if v := aws.ToString(eksTCreate(t, c, "plain").Version); v != "1.33" {
		t.Errorf("CreateCluster's default version %s", v)
	}
	if got := names(versions(&sdkeks.DescribeClusterVersionsInput{VersionStatus: types.VersionStatusExtendedSupport})); !slices.Equal(got, []string{"1.30", "1.29", "1.28"}) {
		t.Errorf("extended support = %v", got)
	}
	if got := names(versions(&sdkeks.DescribeClusterVersionsInput{IncludeAll: aws.Bool(true)})); !slices.Contains(got, "1.27") {
		t.Errorf("includeAll = %v, want 1.27 too", got)
	}
	if got := names(versions(&sdkeks.DescribeClusterVersionsInput{ClusterVersions: []string{"1.31", "1.32"}})); !slices.Equal(got, []string{"1.32", "1.31"}) {
		t.Errorf("two versions = %v", got)
	}
	_, err := c.DescribeClusterVersions(ctx, &sdkeks.DescribeClusterVersionsInput{VersionStatus: "FOREVER"})
	piTCode(t, "DescribeClusterVersions with an unknown status", err, "InvalidParameterException")
}
