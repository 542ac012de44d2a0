package eks_test

import (
	"context"
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkeks "github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// Tests of add-ons, identity provider configs, node groups and Fargate
// profiles, through the AWS SDK for Go v2's EKS client.

var rsTUUID = `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`

// rsTNodegroup creates a node group with the role and defaults.
func rsTNodegroup(t *testing.T, c *sdkeks.Client, cluster, name, role string, mut ...func(*sdkeks.CreateNodegroupInput)) *types.Nodegroup {
	t.Helper()
	in := &sdkeks.CreateNodegroupInput{ClusterName: aws.String(cluster), NodegroupName: aws.String(name), NodeRole: aws.String(role), Subnets: []string{"subnet-1", "subnet-2"}}
	for _, m := range mut {
		m(in)
	}
	out, err := c.CreateNodegroup(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateNodegroup %s: %v", name, err)
	}
	return out.Nodegroup
}

func TestEKSAddons(t *testing.T) {
	env, c := piTEnv(t)
	ctx := context.Background()
	aeTCluster(t, c, "prod", "")
	cni := aeTRole(t, env, testenv.AccountA, "", "cni", aeTTrustAccount)
	cni2 := aeTRole(t, env, testenv.AccountA, "", "cni2", aeTTrustAccount)

	// The catalogue.
	v, err := c.DescribeAddonVersions(ctx, &sdkeks.DescribeAddonVersionsInput{AddonName: aws.String("vpc-cni"), KubernetesVersion: aws.String("1.33")})
	if err != nil || len(v.Addons) != 1 {
		t.Fatalf("DescribeAddonVersions vpc-cni: %v %+v", err, v)
	}
	info := v.Addons[0]
	defaultCNI := ""
	for _, av := range info.AddonVersions {
		if len(av.Compatibilities) != 1 || aws.ToString(av.Compatibilities[0].ClusterVersion) != "1.33" {
			t.Errorf("compatibilities for 1.33 only: %+v", av.Compatibilities)
		}
		if av.Compatibilities[0].DefaultVersion {
			defaultCNI = aws.ToString(av.AddonVersion)
		}
	}
	if aws.ToString(info.Type) != "networking" || aws.ToString(info.Owner) != "aws" || defaultCNI == "" || !info.AddonVersions[0].RequiresIamPermissions {
		t.Errorf("vpc-cni = %+v, default %q", info, defaultCNI)
	}
	all, err := c.DescribeAddonVersions(ctx, &sdkeks.DescribeAddonVersionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range all.Addons {
		names = append(names, aws.ToString(a.AddonName))
	}
	if want := []string{"aws-ebs-csi-driver", "coredns", "eks-pod-identity-agent", "kube-proxy", "vpc-cni"}; !slices.Equal(names, want) {
		t.Errorf("catalogue = %v, want %v", names, want)
	}
	if st, err := c.DescribeAddonVersions(ctx, &sdkeks.DescribeAddonVersionsInput{Types: []string{"storage"}}); err != nil || len(st.Addons) != 1 || aws.ToString(st.Addons[0].AddonName) != "aws-ebs-csi-driver" {
		t.Errorf("storage add-ons: %v %+v", err, st)
	}
	cfg, err := c.DescribeAddonConfiguration(ctx, &sdkeks.DescribeAddonConfigurationInput{AddonName: aws.String("vpc-cni"), AddonVersion: aws.String(defaultCNI)})
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if json.Unmarshal([]byte(aws.ToString(cfg.ConfigurationSchema)), &schema) != nil || schema["$schema"] == nil {
		t.Errorf("configurationSchema = %q", aws.ToString(cfg.ConfigurationSchema))
	}
	if len(cfg.PodIdentityConfiguration) != 1 || aws.ToString(cfg.PodIdentityConfiguration[0].ServiceAccount) != "aws-node" {
		t.Errorf("podIdentityConfiguration = %+v", cfg.PodIdentityConfiguration)
	}
	_, err = c.DescribeAddonConfiguration(ctx, &sdkeks.DescribeAddonConfigurationInput{AddonName: aws.String("vpc-cni"), AddonVersion: aws.String("v0.0.1")})
	piTCode(t, "DescribeAddonConfiguration of an unknown version", err, "InvalidParameterException")

	// Create with the default version, a role and a pod identity
	// association of its own.
	out, err := c.CreateAddon(ctx, &sdkeks.CreateAddonInput{
		ClusterName: aws.String("prod"), AddonName: aws.String("vpc-cni"), ConfigurationValues: aws.String(`{"env":{"WARM_IP_TARGET":"5"}}`),
		PodIdentityAssociations: []types.AddonPodIdentityAssociations{{ServiceAccount: aws.String("aws-node"), RoleArn: aws.String(cni)}},
		Tags:                    map[string]string{"team": "net"}, ResolveConflicts: types.ResolveConflictsOverwrite,
	})
	if err != nil {
		t.Fatalf("CreateAddon: %v", err)
	}
	a := out.Addon
	if !regexp.MustCompile(`^arn:aws:eks:us-east-1:111111111111:addon/prod/vpc-cni/`+rsTUUID+`$`).MatchString(aws.ToString(a.AddonArn)) ||
		a.Status != types.AddonStatusActive || aws.ToString(a.AddonVersion) != defaultCNI || len(a.PodIdentityAssociations) != 1 || a.Health == nil {
		t.Errorf("CreateAddon = %+v", a)
	}
	assocID := a.PodIdentityAssociations[0][strings.LastIndex(a.PodIdentityAssociations[0], "/")+1:]
	pa := piTDescribe(t, c, "prod", assocID)
	if aws.ToString(pa.Namespace) != "kube-system" || aws.ToString(pa.ServiceAccount) != "aws-node" || aws.ToString(pa.RoleArn) != cni || aws.ToString(pa.OwnerArn) != aws.ToString(a.AddonArn) {
		t.Errorf("the add-on's association = %+v", pa)
	}
	if _, err := c.CreateAddon(ctx, &sdkeks.CreateAddonInput{ClusterName: aws.String("prod"), AddonName: aws.String("coredns"), AddonVersion: aws.String("v1.12.1-eksbuild.2"), ServiceAccountRoleArn: aws.String(cni2)}); err != nil {
		t.Fatalf("CreateAddon coredns: %v", err)
	}

	for _, tc := range []struct {
		what string
		in   *sdkeks.CreateAddonInput
		code string
	}{
		{"a duplicate", &sdkeks.CreateAddonInput{AddonName: aws.String("vpc-cni")}, "ResourceInUseException"},
		{"an unknown add-on", &sdkeks.CreateAddonInput{AddonName: aws.String("istio")}, "InvalidParameterException"},
		{"a version for another Kubernetes", &sdkeks.CreateAddonInput{AddonName: aws.String("kube-proxy"), AddonVersion: aws.String("v1.28.15-eksbuild.2")}, "InvalidParameterException"},
		{"an unknown version", &sdkeks.CreateAddonInput{AddonName: aws.String("kube-proxy"), AddonVersion: aws.String("v9.9.9-eksbuild.1")}, "InvalidParameterException"},
		{"an unknown configuration key", &sdkeks.CreateAddonInput{AddonName: aws.String("kube-proxy"), ConfigurationValues: aws.String(`{"colour":"blue"}`)}, "InvalidParameterException"},
		{"a configuration of the wrong type", &sdkeks.CreateAddonInput{AddonName: aws.String("kube-proxy"), ConfigurationValues: aws.String(`mode: [1]`)}, "InvalidParameterException"},
		{"an association the add-on can't have", &sdkeks.CreateAddonInput{AddonName: aws.String("kube-proxy"), PodIdentityAssociations: []types.AddonPodIdentityAssociations{{ServiceAccount: aws.String("kube-proxy"), RoleArn: aws.String(cni)}}}, "InvalidParameterException"},
		{"PRESERVE on create", &sdkeks.CreateAddonInput{AddonName: aws.String("kube-proxy"), ResolveConflicts: types.ResolveConflictsPreserve}, "InvalidParameterException"},
	} {
		tc.in.ClusterName = aws.String("prod")
		_, err := c.CreateAddon(ctx, tc.in)
		m := piTCode(t, "CreateAddon with "+tc.what, err, tc.code)
		if tc.what == "an unknown version" && !strings.Contains(m, "Addon version specified is not supported") {
			t.Errorf("message = %q", m)
		}
	}
	// YAML configuration values are accepted too.
	if _, err := c.CreateAddon(ctx, &sdkeks.CreateAddonInput{ClusterName: aws.String("prod"), AddonName: aws.String("kube-proxy"), ConfigurationValues: aws.String("mode: ipvs\n")}); err != nil {
		t.Errorf("CreateAddon with YAML configuration: %v", err)
	}
	_, err = c.CreateAddon(ctx, &sdkeks.CreateAddonInput{ClusterName: aws.String("nope"), AddonName: aws.String("vpc-cni")})
	piTCode(t, "CreateAddon on a missing cluster", err, "ResourceNotFoundException")

	// Update: an update DescribeUpdate answers for with the add-on's name.
	up, err := c.UpdateAddon(ctx, &sdkeks.UpdateAddonInput{
		ClusterName: aws.String("prod"), AddonName: aws.String("vpc-cni"), AddonVersion: aws.String("v1.20.4-eksbuild.1"),
		PodIdentityAssociations: []types.AddonPodIdentityAssociations{{ServiceAccount: aws.String("aws-node"), RoleArn: aws.String(cni2)}},
	})
	if err != nil {
		t.Fatalf("UpdateAddon: %v", err)
	}
	if up.Update.Type != types.UpdateTypeAddonUpdate || up.Update.Status != types.UpdateStatusSuccessful || len(up.Update.Params) != 2 {
		t.Errorf("update = %+v", up.Update)
	}
	du, err := c.DescribeUpdate(ctx, &sdkeks.DescribeUpdateInput{Name: aws.String("prod"), AddonName: aws.String("vpc-cni"), UpdateId: up.Update.Id})
	if err != nil || du.Update.Status != types.UpdateStatusSuccessful {
		t.Errorf("DescribeUpdate with addonName: %v %+v", err, du)
	}
	_, err = c.DescribeUpdate(ctx, &sdkeks.DescribeUpdateInput{Name: aws.String("prod"), UpdateId: up.Update.Id})
	piTCode(t, "DescribeUpdate of an add-on's update without addonName", err, "ResourceNotFoundException")
	if lu, err := c.ListUpdates(ctx, &sdkeks.ListUpdatesInput{Name: aws.String("prod"), AddonName: aws.String("vpc-cni")}); err != nil || !slices.Equal(lu.UpdateIds, []string{aws.ToString(up.Update.Id)}) {
		t.Errorf("ListUpdates of the add-on: %v %+v", err, lu)
	}
	if lu, err := c.ListUpdates(ctx, &sdkeks.ListUpdatesInput{Name: aws.String("prod")}); err != nil || len(lu.UpdateIds) != 0 {
		t.Errorf("ListUpdates of the cluster: %v %+v", err, lu)
	}
	if pa := piTDescribe(t, c, "prod", assocID); aws.ToString(pa.RoleArn) != cni2 {
		t.Errorf("the association's role after the update = %s", aws.ToString(pa.RoleArn))
	}
	_, err = c.UpdateAddon(ctx, &sdkeks.UpdateAddonInput{ClusterName: aws.String("prod"), AddonName: aws.String("vpc-cni"), AddonVersion: aws.String("v9.9.9")})
	piTCode(t, "UpdateAddon to an unknown version", err, "InvalidParameterException")
	_, err = c.UpdateAddon(ctx, &sdkeks.UpdateAddonInput{ClusterName: aws.String("prod"), AddonName: aws.String("aws-ebs-csi-driver")})
	piTCode(t, "UpdateAddon of a missing add-on", err, "ResourceNotFoundException")

	check := func(c *sdkeks.Client) {
		t.Helper()
		d, err := c.DescribeAddon(ctx, &sdkeks.DescribeAddonInput{ClusterName: aws.String("prod"), AddonName: aws.String("vpc-cni")})
		if err != nil {
			t.Fatalf("DescribeAddon: %v", err)
		}
		if aws.ToString(d.Addon.AddonVersion) != "v1.20.4-eksbuild.1" || aws.ToString(d.Addon.ConfigurationValues) != `{"env":{"WARM_IP_TARGET":"5"}}` || !maps.Equal(d.Addon.Tags, map[string]string{"team": "net"}) || len(d.Addon.PodIdentityAssociations) != 1 {
			t.Errorf("DescribeAddon = %+v", d.Addon)
		}
		co, err := c.DescribeAddon(ctx, &sdkeks.DescribeAddonInput{ClusterName: aws.String("prod"), AddonName: aws.String("coredns")})
		if err != nil || aws.ToString(co.Addon.ServiceAccountRoleArn) != cni2 {
			t.Errorf("DescribeAddon coredns: %v %+v", err, co)
		}
		var names []string
		for p := sdkeks.NewListAddonsPaginator(c, &sdkeks.ListAddonsInput{ClusterName: aws.String("prod"), MaxResults: aws.Int32(1)}); p.HasMorePages(); {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, page.Addons...)
		}
		if !slices.Equal(names, []string{"coredns", "kube-proxy", "vpc-cni"}) {
			t.Errorf("ListAddons = %v", names)
		}
	}
	check(c)
	env.Restart()
	c = eksTClient(env, testenv.AccountA)
	check(c)

	// An empty list removes the add-on's associations.
	if _, err := c.UpdateAddon(ctx, &sdkeks.UpdateAddonInput{ClusterName: aws.String("prod"), AddonName: aws.String("vpc-cni"), PodIdentityAssociations: []types.AddonPodIdentityAssociations{}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribePodIdentityAssociation(ctx, &sdkeks.DescribePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: aws.String(assocID)})
	piTCode(t, "DescribePodIdentityAssociation after the add-on dropped it", err, "ResourceNotFoundException")
	// Delete: DELETING in the answer, then gone with its associations.
	if _, err := c.UpdateAddon(ctx, &sdkeks.UpdateAddonInput{ClusterName: aws.String("prod"), AddonName: aws.String("vpc-cni"), PodIdentityAssociations: []types.AddonPodIdentityAssociations{{ServiceAccount: aws.String("aws-node"), RoleArn: aws.String(cni)}}}); err != nil {
		t.Fatal(err)
	}
	del, err := c.DeleteAddon(ctx, &sdkeks.DeleteAddonInput{ClusterName: aws.String("prod"), AddonName: aws.String("vpc-cni"), Preserve: true})
	if err != nil || del.Addon.Status != types.AddonStatusDeleting {
		t.Fatalf("DeleteAddon: %v %+v", err, del)
	}
	_, err = c.DescribeAddon(ctx, &sdkeks.DescribeAddonInput{ClusterName: aws.String("prod"), AddonName: aws.String("vpc-cni")})
	m := piTCode(t, "DescribeAddon after DeleteAddon", err, "ResourceNotFoundException")
	if !strings.Contains(m, "No addon: vpc-cni found in cluster: prod") {
		t.Errorf("message = %q", m)
	}
	if list, _ := piTList(t, c, &sdkeks.ListPodIdentityAssociationsInput{ClusterName: aws.String("prod")}); len(list) != 0 {
		t.Errorf("associations after DeleteAddon = %+v", list)
	}
	// The add-ons (and their associations) go with the cluster.
	if _, err := c.CreateAddon(ctx, &sdkeks.CreateAddonInput{ClusterName: aws.String("prod"), AddonName: aws.String("aws-ebs-csi-driver"), PodIdentityAssociations: []types.AddonPodIdentityAssociations{{ServiceAccount: aws.String("ebs-csi-controller-sa"), RoleArn: aws.String(cni)}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteCluster(ctx, &sdkeks.DeleteClusterInput{Name: aws.String("prod")}); err != nil {
		t.Fatalf("DeleteCluster with add-ons: %v", err)
	}
	aeTCluster(t, c, "prod", "")
	if l, err := c.ListAddons(ctx, &sdkeks.ListAddonsInput{ClusterName: aws.String("prod")}); err != nil || len(l.Addons) != 0 {
		t.Errorf("add-ons of a new cluster of the same name: %v %+v", err, l)
	}
	if list, _ := piTList(t, c, &sdkeks.ListPodIdentityAssociationsInput{ClusterName: aws.String("prod")}); len(list) != 0 {
		t.Errorf("associations of a new cluster of the same name = %+v", list)
	}
}

func TestEKSIdentityProviderConfigs(t *testing.T) {
	env, c := piTEnv(t, "prod")
	ctx := context.Background()
	oidc := func(name, issuer string) *types.OidcIdentityProviderConfigRequest {
		return &types.OidcIdentityProviderConfigRequest{
			IdentityProviderConfigName: aws.String(name), IssuerUrl: aws.String(issuer), ClientId: aws.String("kubernetes"),
			UsernameClaim: aws.String("email"), GroupsClaim: aws.String("groups"), GroupsPrefix: aws.String("oidc:"), RequiredClaims: map[string]string{"hd": "example.com"},
		}
	}
	out, err := c.AssociateIdentityProviderConfig(ctx, &sdkeks.AssociateIdentityProviderConfigInput{ClusterName: aws.String("prod"), Oidc: oidc("corp", "https://idp.example.com/realms/corp"), Tags: map[string]string{"team": "id"}})
	if err != nil {
		t.Fatalf("AssociateIdentityProviderConfig: %v", err)
	}
	if u := out.Update; u.Type != types.UpdateTypeAssociateIdentityProviderConfig || u.Status != types.UpdateStatusSuccessful || len(u.Params) != 1 || u.Params[0].Type != types.UpdateParamTypeIdentityProviderConfig {
		t.Errorf("update = %+v", u)
	}
	if !maps.Equal(out.Tags, map[string]string{"team": "id"}) {
		t.Errorf("tags = %v", out.Tags)
	}
	if _, err := c.DescribeUpdate(ctx, &sdkeks.DescribeUpdateInput{Name: aws.String("prod"), UpdateId: out.Update.Id}); err != nil {
		t.Errorf("DescribeUpdate of the association: %v", err)
	}
	describe := func(c *sdkeks.Client) *types.OidcIdentityProviderConfig {
		t.Helper()
		d, err := c.DescribeIdentityProviderConfig(ctx, &sdkeks.DescribeIdentityProviderConfigInput{ClusterName: aws.String("prod"), IdentityProviderConfig: &types.IdentityProviderConfig{Name: aws.String("corp"), Type: aws.String("oidc")}})
		if err != nil {
			t.Fatalf("DescribeIdentityProviderConfig: %v", err)
		}
		return d.IdentityProviderConfig.Oidc
	}
	check := func(c *sdkeks.Client) {
		t.Helper()
		o := describe(c)
		if !regexp.MustCompile(`^arn:aws:eks:us-east-1:111111111111:identityproviderconfig/prod/oidc/corp/`+rsTUUID+`$`).MatchString(aws.ToString(o.IdentityProviderConfigArn)) ||
			o.Status != types.ConfigStatusActive || aws.ToString(o.IssuerUrl) != "https://idp.example.com/realms/corp" || aws.ToString(o.ClientId) != "kubernetes" ||
			aws.ToString(o.UsernameClaim) != "email" || aws.ToString(o.GroupsPrefix) != "oidc:" || o.UsernamePrefix != nil || !maps.Equal(o.RequiredClaims, map[string]string{"hd": "example.com"}) || !maps.Equal(o.Tags, map[string]string{"team": "id"}) {
			t.Errorf("config = %+v", o)
		}
		l, err := c.ListIdentityProviderConfigs(ctx, &sdkeks.ListIdentityProviderConfigsInput{ClusterName: aws.String("prod")})
		if err != nil || len(l.IdentityProviderConfigs) != 1 || aws.ToString(l.IdentityProviderConfigs[0].Name) != "corp" || aws.ToString(l.IdentityProviderConfigs[0].Type) != "oidc" {
			t.Errorf("ListIdentityProviderConfigs: %v %+v", err, l)
		}
	}
	check(c)
	env.Restart()
	c = eksTClient(env, testenv.AccountA)
	check(c)

	arnOf := aws.ToString(describe(c).IdentityProviderConfigArn)
	if _, err := c.TagResource(ctx, &sdkeks.TagResourceInput{ResourceArn: aws.String(arnOf), Tags: map[string]string{"env": "prod"}}); err != nil {
		t.Fatalf("TagResource on an identity provider config: %v", err)
	}
	if got := describe(c).Tags; !maps.Equal(got, map[string]string{"team": "id", "env": "prod"}) {
		t.Errorf("tags after TagResource = %v", got)
	}

	for _, tc := range []struct {
		what string
		o    *types.OidcIdentityProviderConfigRequest
		code string
	}{
		{"the same name", oidc("corp", "https://idp.example.com"), "ResourceInUseException"},
		{"a second config", oidc("other", "https://idp.example.com"), "ResourceLimitExceededException"},
		{"an http issuer", oidc("plain", "http://idp.example.com"), "InvalidParameterException"},
		{"a bad name", oidc("-x", "https://idp.example.com"), "InvalidParameterException"},
	} {
		_, err := c.AssociateIdentityProviderConfig(ctx, &sdkeks.AssociateIdentityProviderConfigInput{ClusterName: aws.String("prod"), Oidc: tc.o})
		piTCode(t, "AssociateIdentityProviderConfig with "+tc.what, err, tc.code)
	}
	_, err = c.DescribeIdentityProviderConfig(ctx, &sdkeks.DescribeIdentityProviderConfigInput{ClusterName: aws.String("prod"), IdentityProviderConfig: &types.IdentityProviderConfig{Name: aws.String("corp"), Type: aws.String("saml")}})
	piTCode(t, "DescribeIdentityProviderConfig of type saml", err, "InvalidParameterException")

	dis, err := c.DisassociateIdentityProviderConfig(ctx, &sdkeks.DisassociateIdentityProviderConfigInput{ClusterName: aws.String("prod"), IdentityProviderConfig: &types.IdentityProviderConfig{Name: aws.String("corp"), Type: aws.String("oidc")}})
	if err != nil || dis.Update.Type != types.UpdateTypeDisassociateIdentityProviderConfig || dis.Update.Status != types.UpdateStatusSuccessful {
		t.Fatalf("DisassociateIdentityProviderConfig: %v %+v", err, dis)
	}
	_, err = c.DescribeIdentityProviderConfig(ctx, &sdkeks.DescribeIdentityProviderConfigInput{ClusterName: aws.String("prod"), IdentityProviderConfig: &types.IdentityProviderConfig{Name: aws.String("corp"), Type: aws.String("oidc")}})
	piTCode(t, "DescribeIdentityProviderConfig after disassociating", err, "ResourceNotFoundException")
	_, err = c.DisassociateIdentityProviderConfig(ctx, &sdkeks.DisassociateIdentityProviderConfigInput{ClusterName: aws.String("prod"), IdentityProviderConfig: &types.IdentityProviderConfig{Name: aws.String("corp"), Type: aws.String("oidc")}})
	piTCode(t, "DisassociateIdentityProviderConfig again", err, "ResourceNotFoundException")
	// A new one may come now; it goes with the cluster.
	if _, err := c.AssociateIdentityProviderConfig(ctx, &sdkeks.AssociateIdentityProviderConfigInput{ClusterName: aws.String("prod"), Oidc: oidc("other", "https://idp.example.com")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteCluster(ctx, &sdkeks.DeleteClusterInput{Name: aws.String("prod")}); err != nil {
		t.Fatalf("DeleteCluster with an identity provider config: %v", err)
	}
}

func TestEKSNodegroups(t *testing.T) {
	env, c := piTEnv(t)
	ctx := context.Background()
	aeTCluster(t, c, "prod", types.AuthenticationModeApi)
	role := aeTRole(t, env, testenv.AccountA, "", "node", aeTTrustEC2)
	stranger := aeTRole(t, env, testenv.AccountA, "", "stranger", aeTTrustAccount)
	bRole := aeTRole(t, env, testenv.AccountB, "", "node", aeTTrustEC2)

	ng := rsTNodegroup(t, c, "prod", "general", role, func(in *sdkeks.CreateNodegroupInput) { in.Tags = map[string]string{"team": "blue"} })
	arnRE := regexp.MustCompile(`^arn:aws:eks:us-east-1:111111111111:nodegroup/prod/general/(` + rsTUUID + `)$`)
	m := arnRE.FindStringSubmatch(aws.ToString(ng.NodegroupArn))
	if m == nil || ng.Status != types.NodegroupStatusActive {
		t.Fatalf("node group = %+v", ng)
	}
	sc := ng.ScalingConfig
	if aws.ToInt32(sc.MinSize) != 1 || aws.ToInt32(sc.MaxSize) != 2 || aws.ToInt32(sc.DesiredSize) != 2 {
		t.Errorf("default scaling = %+v", sc)
	}
	if !slices.Equal(ng.InstanceTypes, []string{"t3.medium"}) || aws.ToInt32(ng.DiskSize) != 20 || ng.AmiType != types.AMITypesAl2023X8664Standard || ng.CapacityType != types.CapacityTypesOnDemand ||
		aws.ToString(ng.Version) != "1.33" || !strings.HasPrefix(aws.ToString(ng.ReleaseVersion), "1.33.") || aws.ToString(ng.NodeRole) != role ||
		ng.UpdateConfig == nil || aws.ToInt32(ng.UpdateConfig.MaxUnavailable) != 1 || ng.Health == nil || ng.Labels == nil || ng.Taints == nil {
		t.Errorf("defaults = %+v", ng)
	}
	if asg := ng.Resources.AutoScalingGroups; len(asg) != 1 || aws.ToString(asg[0].Name) != "eks-general-"+m[1] {
		t.Errorf("autoScalingGroups = %+v", asg)
	}
	// In an API mode the node role gets an EC2_LINUX access entry.
	e, err := c.DescribeAccessEntry(ctx, &sdkeks.DescribeAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(role)})
	if err != nil || aws.ToString(e.AccessEntry.Type) != "EC2_LINUX" {
		t.Errorf("the node role's access entry: %v %+v", err, e)
	}

	// Everything a node group can say.
	full := rsTNodegroup(t, c, "prod", "gpu", role, func(in *sdkeks.CreateNodegroupInput) {
		in.LaunchTemplate = &types.LaunchTemplateSpecification{Id: aws.String("lt-0123456789abcdef0"), Version: aws.String("3")}
		in.InstanceTypes = []string{"m7g.large"}
		in.CapacityType = types.CapacityTypesSpot
		in.Labels = map[string]string{"role": "gpu"}
		in.Taints = []types.Taint{{Key: aws.String("gpu"), Value: aws.String("true"), Effect: types.TaintEffectNoSchedule}}
		in.ScalingConfig = &types.NodegroupScalingConfig{MinSize: aws.Int32(0), MaxSize: aws.Int32(5), DesiredSize: aws.Int32(1)}
		in.UpdateConfig = &types.NodegroupUpdateConfig{MaxUnavailablePercentage: aws.Int32(25)}
		in.Version = aws.String("1.32")
	})
	if full.DiskSize != nil || full.AmiType != types.AMITypesAl2023Arm64Standard || aws.ToString(full.LaunchTemplate.Id) != "lt-0123456789abcdef0" || aws.ToString(full.LaunchTemplate.Version) != "3" ||
		aws.ToString(full.Version) != "1.32" || full.UpdateConfig.MaxUnavailable != nil || aws.ToInt32(full.UpdateConfig.MaxUnavailablePercentage) != 25 || len(full.Taints) != 1 {
		t.Errorf("full node group = %+v", full)
	}

	for _, tc := range []struct {
		what string
		mut  func(*sdkeks.CreateNodegroupInput)
		code string
	}{
		{"a duplicate", func(in *sdkeks.CreateNodegroupInput) { in.NodegroupName = aws.String("general") }, "ResourceInUseException"},
		{"a missing role", func(in *sdkeks.CreateNodegroupInput) {
			in.NodeRole = aws.String("arn:aws:iam::111111111111:role/ghost")
		}, "InvalidParameterException"},
		{"a role EC2 may not assume", func(in *sdkeks.CreateNodegroupInput) { in.NodeRole = aws.String(stranger) }, "InvalidParameterException"},
		{"another account's role (iam:PassRole)", func(in *sdkeks.CreateNodegroupInput) { in.NodeRole = aws.String(bRole) }, "AccessDeniedException"},
		{"no subnets", func(in *sdkeks.CreateNodegroupInput) { in.Subnets = []string{} }, "InvalidParameterException"},
		{"min above max", func(in *sdkeks.CreateNodegroupInput) {
			in.ScalingConfig = &types.NodegroupScalingConfig{MinSize: aws.Int32(3), MaxSize: aws.Int32(2), DesiredSize: aws.Int32(2)}
		}, "InvalidParameterException"},
		{"a version above the cluster's", func(in *sdkeks.CreateNodegroupInput) { in.Version = aws.String("1.34") }, "InvalidParameterException"},
		{"a disk size with a launch template", func(in *sdkeks.CreateNodegroupInput) {
			in.LaunchTemplate = &types.LaunchTemplateSpecification{Name: aws.String("lt")}
			in.DiskSize = aws.Int32(50)
		}, "InvalidParameterException"},
		{"a bad taint effect", func(in *sdkeks.CreateNodegroupInput) {
			in.Taints = []types.Taint{{Key: aws.String("k"), Effect: "NEVER"}}
		}, "InvalidParameterException"},
		{"both update limits", func(in *sdkeks.CreateNodegroupInput) {
			in.UpdateConfig = &types.NodegroupUpdateConfig{MaxUnavailable: aws.Int32(1), MaxUnavailablePercentage: aws.Int32(10)}
		}, "InvalidParameterException"},
	} {
		in := &sdkeks.CreateNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("refused"), NodeRole: aws.String(role), Subnets: []string{"subnet-1"}}
		tc.mut(in)
		_, err := c.CreateNodegroup(ctx, in)
		piTCode(t, "CreateNodegroup with "+tc.what, err, tc.code)
	}

	// Config updates.
	up, err := c.UpdateNodegroupConfig(ctx, &sdkeks.UpdateNodegroupConfigInput{
		ClusterName: aws.String("prod"), NodegroupName: aws.String("gpu"),
		Labels:        &types.UpdateLabelsPayload{AddOrUpdateLabels: map[string]string{"tier": "batch"}, RemoveLabels: []string{"role"}},
		Taints:        &types.UpdateTaintsPayload{AddOrUpdateTaints: []types.Taint{{Key: aws.String("spot"), Effect: types.TaintEffectPreferNoSchedule}}, RemoveTaints: []types.Taint{{Key: aws.String("gpu"), Effect: types.TaintEffectNoSchedule}}},
		ScalingConfig: &types.NodegroupScalingConfig{MinSize: aws.Int32(1), MaxSize: aws.Int32(10), DesiredSize: aws.Int32(3)},
		UpdateConfig:  &types.NodegroupUpdateConfig{MaxUnavailable: aws.Int32(2)},
	})
	if err != nil {
		t.Fatalf("UpdateNodegroupConfig: %v", err)
	}
	if up.Update.Type != types.UpdateTypeConfigUpdate || up.Update.Status != types.UpdateStatusSuccessful {
		t.Errorf("update = %+v", up.Update)
	}
	if _, err := c.DescribeUpdate(ctx, &sdkeks.DescribeUpdateInput{Name: aws.String("prod"), NodegroupName: aws.String("gpu"), UpdateId: up.Update.Id}); err != nil {
		t.Errorf("DescribeUpdate with nodegroupName: %v", err)
	}
	// The SDK's own waiter sees the update done.
	if err := sdkeks.NewNodegroupActiveWaiter(c).Wait(ctx, &sdkeks.DescribeNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("gpu")}, 10e9); err != nil {
		t.Errorf("NodegroupActiveWaiter: %v", err)
	}
	_, err = c.UpdateNodegroupConfig(ctx, &sdkeks.UpdateNodegroupConfigInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("gpu"), ScalingConfig: &types.NodegroupScalingConfig{DesiredSize: aws.Int32(20)}})
	piTCode(t, "UpdateNodegroupConfig above the maximum", err, "InvalidParameterException")
	_, err = c.UpdateNodegroupConfig(ctx, &sdkeks.UpdateNodegroupConfigInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("ghost"), ScalingConfig: &types.NodegroupScalingConfig{DesiredSize: aws.Int32(1)}})
	piTCode(t, "UpdateNodegroupConfig of a missing node group", err, "ResourceNotFoundException")

	// Version updates: up to the cluster's, never above it.
	_, err = c.UpdateNodegroupVersion(ctx, &sdkeks.UpdateNodegroupVersionInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("gpu"), Version: aws.String("1.34")})
	piTCode(t, "UpdateNodegroupVersion above the cluster", err, "InvalidParameterException")
	vu, err := c.UpdateNodegroupVersion(ctx, &sdkeks.UpdateNodegroupVersionInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("gpu"), LaunchTemplate: &types.LaunchTemplateSpecification{Id: aws.String("lt-0123456789abcdef0"), Version: aws.String("4")}, Version: aws.String("1.33")})
	if err != nil || vu.Update.Type != types.UpdateTypeVersionUpdate || vu.Update.Status != types.UpdateStatusSuccessful {
		t.Fatalf("UpdateNodegroupVersion: %v %+v", err, vu)
	}
	_, err = c.UpdateNodegroupVersion(ctx, &sdkeks.UpdateNodegroupVersionInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("gpu"), LaunchTemplate: &types.LaunchTemplateSpecification{Id: aws.String("lt-other"), Version: aws.String("4")}})
	piTCode(t, "UpdateNodegroupVersion to another launch template", err, "InvalidParameterException")

	check := func(c *sdkeks.Client) {
		t.Helper()
		d, err := c.DescribeNodegroup(ctx, &sdkeks.DescribeNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("gpu")})
		if err != nil {
			t.Fatalf("DescribeNodegroup: %v", err)
		}
		n := d.Nodegroup
		if !maps.Equal(n.Labels, map[string]string{"tier": "batch"}) || len(n.Taints) != 1 || aws.ToString(n.Taints[0].Key) != "spot" ||
			aws.ToInt32(n.ScalingConfig.DesiredSize) != 3 || aws.ToInt32(n.ScalingConfig.MaxSize) != 10 || aws.ToInt32(n.UpdateConfig.MaxUnavailable) != 2 || n.UpdateConfig.MaxUnavailablePercentage != nil ||
			aws.ToString(n.Version) != "1.33" || aws.ToString(n.LaunchTemplate.Version) != "4" {
			t.Errorf("node group after the updates = %+v", n)
		}
		var names []string
		for p := sdkeks.NewListNodegroupsPaginator(c, &sdkeks.ListNodegroupsInput{ClusterName: aws.String("prod"), MaxResults: aws.Int32(1)}); p.HasMorePages(); {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, page.Nodegroups...)
		}
		if !slices.Equal(names, []string{"general", "gpu"}) {
			t.Errorf("ListNodegroups = %v", names)
		}
		if lu, err := c.ListUpdates(ctx, &sdkeks.ListUpdatesInput{Name: aws.String("prod"), NodegroupName: aws.String("gpu")}); err != nil || len(lu.UpdateIds) != 2 {
			t.Errorf("ListUpdates of the node group: %v %+v", err, lu)
		}
		if lt, err := c.ListTagsForResource(ctx, &sdkeks.ListTagsForResourceInput{ResourceArn: ng.NodegroupArn}); err != nil || !maps.Equal(lt.Tags, map[string]string{"team": "blue"}) {
			t.Errorf("ListTagsForResource on the node group: %v %+v", err, lt)
		}
	}
	check(c)
	env.Restart()
	c = eksTClient(env, testenv.AccountA)
	check(c)

	// A cluster with node groups can't be deleted.
	_, err = c.DeleteCluster(ctx, &sdkeks.DeleteClusterInput{Name: aws.String("prod")})
	m2 := piTCode(t, "DeleteCluster with node groups", err, "ResourceInUseException")
	if !strings.Contains(m2, "Cluster has nodegroups attached") {
		t.Errorf("message = %q", m2)
	}
	if e := eksTWant[*types.ResourceInUseException](t, "DeleteCluster with node groups", err, "ResourceInUseException"); aws.ToString(e.NodegroupName) != "general" || aws.ToString(e.ClusterName) != "prod" {
		t.Errorf("error fields: nodegroupName %q, clusterName %q", aws.ToString(e.NodegroupName), aws.ToString(e.ClusterName))
	}
	for _, name := range []string{"general", "gpu"} {
		del, err := c.DeleteNodegroup(ctx, &sdkeks.DeleteNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String(name)})
		if err != nil || del.Nodegroup.Status != types.NodegroupStatusDeleting {
			t.Fatalf("DeleteNodegroup %s: %v %+v", name, err, del)
		}
	}
	if err := sdkeks.NewNodegroupDeletedWaiter(c).Wait(ctx, &sdkeks.DescribeNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("gpu")}, 10e9); err != nil {
		t.Errorf("NodegroupDeletedWaiter: %v", err)
	}
	_, err = c.DescribeNodegroup(ctx, &sdkeks.DescribeNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("gpu")})
	piTCode(t, "DescribeNodegroup after DeleteNodegroup", err, "ResourceNotFoundException")
	// A new node group of the same name has none of the old one's updates.
	rsTNodegroup(t, c, "prod", "gpu", role)
	if lu, err := c.ListUpdates(ctx, &sdkeks.ListUpdatesInput{Name: aws.String("prod"), NodegroupName: aws.String("gpu")}); err != nil || len(lu.UpdateIds) != 0 {
		t.Errorf("ListUpdates of a new node group of the same name: %v %+v", err, lu)
	}
	if _, err := c.DeleteNodegroup(ctx, &sdkeks.DeleteNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("gpu")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteCluster(ctx, &sdkeks.DeleteClusterInput{Name: aws.String("prod")}); err != nil {
		t.Errorf("DeleteCluster once its node groups are gone: %v", err)
	}
}

func TestEKSFargateProfiles(t *testing.T) {
	env, c := piTEnv(t, "prod")
	ctx := context.Background()
	role := aeTRole(t, env, testenv.AccountA, "", "pods", aeTTrustFargate)
	ec2 := aeTRole(t, env, testenv.AccountA, "", "node", aeTTrustEC2)
	create := func(name, role string, mut ...func(*sdkeks.CreateFargateProfileInput)) (*sdkeks.CreateFargateProfileOutput, error) {
		in := &sdkeks.CreateFargateProfileInput{
			ClusterName: aws.String("prod"), FargateProfileName: aws.String(name), PodExecutionRoleArn: aws.String(role), Subnets: []string{"subnet-a"},
			Selectors: []types.FargateProfileSelector{{Namespace: aws.String("serverless"), Labels: map[string]string{"fargate": "yes"}}, {Namespace: aws.String("jobs")}},
		}
		for _, m := range mut {
			m(in)
		}
		return c.CreateFargateProfile(ctx, in)
	}
	out, err := create("serverless", role, func(in *sdkeks.CreateFargateProfileInput) { in.Tags = map[string]string{"team": "blue"} })
	if err != nil {
		t.Fatalf("CreateFargateProfile: %v", err)
	}
	f := out.FargateProfile
	if !regexp.MustCompile(`^arn:aws:eks:us-east-1:111111111111:fargateprofile/prod/serverless/`+rsTUUID+`$`).MatchString(aws.ToString(f.FargateProfileArn)) ||
		f.Status != types.FargateProfileStatusActive || len(f.Selectors) != 2 || !slices.Equal(f.Subnets, []string{"subnet-a"}) || aws.ToString(f.PodExecutionRoleArn) != role {
		t.Errorf("profile = %+v", f)
	}
	m := piTCode(t, "CreateFargateProfile with a role Fargate may not assume", func() error { _, err := create("other", ec2); return err }(), "InvalidParameterException")
	if !strings.Contains(m, "Misconfigured PodExecutionRole Trust Policy") {
		t.Errorf("message = %q", m)
	}
	_, err = create("serverless", role)
	piTCode(t, "CreateFargateProfile duplicate", err, "ResourceInUseException")
	_, err = create("nosel", role, func(in *sdkeks.CreateFargateProfileInput) { in.Selectors = []types.FargateProfileSelector{} })
	piTCode(t, "CreateFargateProfile without selectors", err, "InvalidParameterException")
	_, err = create("ghost", "arn:aws:iam::111111111111:role/ghost")
	piTCode(t, "CreateFargateProfile with a missing role", err, "InvalidParameterException")

	check := func(c *sdkeks.Client) {
		t.Helper()
		d, err := c.DescribeFargateProfile(ctx, &sdkeks.DescribeFargateProfileInput{ClusterName: aws.String("prod"), FargateProfileName: aws.String("serverless")})
		if err != nil || aws.ToString(d.FargateProfile.Selectors[0].Namespace) != "serverless" || !maps.Equal(d.FargateProfile.Selectors[0].Labels, map[string]string{"fargate": "yes"}) || !maps.Equal(d.FargateProfile.Tags, map[string]string{"team": "blue"}) {
			t.Errorf("DescribeFargateProfile: %v %+v", err, d)
		}
		l, err := c.ListFargateProfiles(ctx, &sdkeks.ListFargateProfilesInput{ClusterName: aws.String("prod")})
		if err != nil || !slices.Equal(l.FargateProfileNames, []string{"serverless"}) {
			t.Errorf("ListFargateProfiles: %v %+v", err, l)
		}
	}
	check(c)
	env.Restart()
	c = eksTClient(env, testenv.AccountA)
	check(c)

	_, err = c.DeleteCluster(ctx, &sdkeks.DeleteClusterInput{Name: aws.String("prod")})
	e := eksTWant[*types.ResourceInUseException](t, "DeleteCluster with a Fargate profile", err, "ResourceInUseException")
	if !strings.Contains(aws.ToString(e.Message), "fargate profiles") {
		t.Errorf("message = %q", aws.ToString(e.Message))
	}
	del, err := c.DeleteFargateProfile(ctx, &sdkeks.DeleteFargateProfileInput{ClusterName: aws.String("prod"), FargateProfileName: aws.String("serverless")})
	if err != nil || del.FargateProfile.Status != types.FargateProfileStatusDeleting {
		t.Fatalf("DeleteFargateProfile: %v %+v", err, del)
	}
	_, err = c.DescribeFargateProfile(ctx, &sdkeks.DescribeFargateProfileInput{ClusterName: aws.String("prod"), FargateProfileName: aws.String("serverless")})
	piTCode(t, "DescribeFargateProfile after deleting it", err, "ResourceNotFoundException")
	if _, err := c.DeleteCluster(ctx, &sdkeks.DeleteClusterInput{Name: aws.String("prod")}); err != nil {
		t.Errorf("DeleteCluster once the profile is gone: %v", err)
	}
}

// Every operation on a cluster's resources is authorized on the
// resource's ARN with its tags as aws:ResourceTag/…, creating them on the
// cluster with the request's tags and keys, and passing their roles
// needs iam:PassRole.
func TestEKSClusterResourceAuthorization(t *testing.T) {
	env, root := piTEnv(t)
	ctx := context.Background()
	for _, name := range []string{"blue", "red"} {
		if _, err := root.CreateCluster(ctx, &sdkeks.CreateClusterInput{Name: aws.String(name), RoleArn: aws.String(eksTRoleARN), ResourcesVpcConfig: &types.VpcConfigRequest{},
			AccessConfig: &types.CreateAccessConfigRequest{AuthenticationMode: types.AuthenticationModeApi}, Tags: map[string]string{"team": name}}); err != nil {
			t.Fatal(err)
		}
	}
	node := aeTRole(t, env, testenv.AccountA, "", "node", aeTTrustEC2)
	dev := aeTRole(t, env, testenv.AccountA, "", "dev", aeTTrustAccount)
	admin := aeTRole(t, env, testenv.AccountA, "", "admin", aeTTrustAccount)
	for _, cl := range []string{"blue", "red"} {
		tags := map[string]string{"team": cl}
		rsTNodegroup(t, root, cl, "ng", node, func(in *sdkeks.CreateNodegroupInput) { in.Tags = tags })
		if _, err := root.CreateAddon(ctx, &sdkeks.CreateAddonInput{ClusterName: aws.String(cl), AddonName: aws.String("coredns"), Tags: tags}); err != nil {
			t.Fatal(err)
		}
		if _, err := root.CreateAccessEntry(ctx, &sdkeks.CreateAccessEntryInput{ClusterName: aws.String(cl), PrincipalArn: aws.String(dev), Tags: tags}); err != nil {
			t.Fatal(err)
		}
	}
	alice := piTUser(t, env, "alice", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"eks:*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}},
		{"Effect":"Allow","Action":["eks:ListAccessPolicies","eks:DescribeAddonVersions","eks:DescribeClusterVersions"],"Resource":"*"},
		{"Effect":"Deny","Action":"eks:CreateAccessEntry","Resource":"*","Condition":{"StringEquals":{"eks:principalArn":"arn:aws:iam::111111111111:role/admin"}}},
		{"Effect":"Deny","Action":"eks:AssociateAccessPolicy","Resource":"*","Condition":{"StringEquals":{"eks:policyArn":"`+aeTClusterAdmin+`"}}}]}`)
	for _, tc := range []struct {
		op   string
		call func(cluster string) error
	}{
		{"DescribeNodegroup", func(cl string) error {
			_, err := alice.DescribeNodegroup(ctx, &sdkeks.DescribeNodegroupInput{ClusterName: aws.String(cl), NodegroupName: aws.String("ng")})
			return err
		}},
		{"UpdateNodegroupConfig", func(cl string) error {
			_, err := alice.UpdateNodegroupConfig(ctx, &sdkeks.UpdateNodegroupConfigInput{ClusterName: aws.String(cl), NodegroupName: aws.String("ng"), ScalingConfig: &types.NodegroupScalingConfig{DesiredSize: aws.Int32(1)}})
			return err
		}},
		{"ListNodegroups", func(cl string) error {
			_, err := alice.ListNodegroups(ctx, &sdkeks.ListNodegroupsInput{ClusterName: aws.String(cl)})
			return err
		}},
		{"DescribeAddon", func(cl string) error {
			_, err := alice.DescribeAddon(ctx, &sdkeks.DescribeAddonInput{ClusterName: aws.String(cl), AddonName: aws.String("coredns")})
			return err
		}},
		{"DescribeAccessEntry", func(cl string) error {
			_, err := alice.DescribeAccessEntry(ctx, &sdkeks.DescribeAccessEntryInput{ClusterName: aws.String(cl), PrincipalArn: aws.String(dev)})
			return err
		}},
		{"AssociateAccessPolicy", func(cl string) error {
			_, err := alice.AssociateAccessPolicy(ctx, &sdkeks.AssociateAccessPolicyInput{ClusterName: aws.String(cl), PrincipalArn: aws.String(dev), PolicyArn: aws.String(aeTView), AccessScope: &types.AccessScope{Type: types.AccessScopeTypeCluster}})
			return err
		}},
		{"ListFargateProfiles", func(cl string) error {
			_, err := alice.ListFargateProfiles(ctx, &sdkeks.ListFargateProfilesInput{ClusterName: aws.String(cl)})
			return err
		}},
	} {
		if err := tc.call("blue"); err != nil {
			t.Errorf("%s on blue: %v", tc.op, err)
		}
		err := tc.call("red")
		e := eksTWant[*types.AccessDeniedException](t, tc.op+" on red", err, "AccessDeniedException")
		if !strings.Contains(aws.ToString(e.Message), "eks:") {
			t.Errorf("%s denial = %q", tc.op, aws.ToString(e.Message))
		}
	}
	// The request's condition keys.
	_, err := alice.CreateAccessEntry(ctx, &sdkeks.CreateAccessEntryInput{ClusterName: aws.String("blue"), PrincipalArn: aws.String(admin)})
	eksTWant[*types.AccessDeniedException](t, "CreateAccessEntry for admin (eks:principalArn)", err, "AccessDeniedException")
	_, err = alice.AssociateAccessPolicy(ctx, &sdkeks.AssociateAccessPolicyInput{ClusterName: aws.String("blue"), PrincipalArn: aws.String(dev), PolicyArn: aws.String(aeTClusterAdmin), AccessScope: &types.AccessScope{Type: types.AccessScopeTypeCluster}})
	eksTWant[*types.AccessDeniedException](t, "AssociateAccessPolicy cluster admin (eks:policyArn)", err, "AccessDeniedException")
	// Passing the node role needs iam:PassRole, which alice lacks.
	_, err = alice.CreateNodegroup(ctx, &sdkeks.CreateNodegroupInput{ClusterName: aws.String("blue"), NodegroupName: aws.String("more"), NodeRole: aws.String(node), Subnets: []string{"s"}})
	e := eksTWant[*types.AccessDeniedException](t, "CreateNodegroup without iam:PassRole", err, "AccessDeniedException")
	if !strings.Contains(aws.ToString(e.Message), "iam:PassRole") {
		t.Errorf("denial = %q", aws.ToString(e.Message))
	}
	// Actions on resources that are not there are authorized on the
	// resource type's ARN: the tag condition is not met.
	_, err = alice.DescribeNodegroup(ctx, &sdkeks.DescribeNodegroupInput{ClusterName: aws.String("blue"), NodegroupName: aws.String("ghost")})
	eksTWant[*types.AccessDeniedException](t, "DescribeNodegroup of a missing node group", err, "AccessDeniedException")
	// Resource-less reads.
	if _, err := alice.ListAccessPolicies(ctx, &sdkeks.ListAccessPoliciesInput{}); err != nil {
		t.Errorf("ListAccessPolicies: %v", err)
	}
	// Another account sees none of it.
	_, err = eksTClient(env, testenv.AccountB).DescribeNodegroup(ctx, &sdkeks.DescribeNodegroupInput{ClusterName: aws.String("blue"), NodegroupName: aws.String("ng")})
	piTCode(t, "B describes A's node group", err, "ResourceNotFoundException")
}

// EKS's quota: ten Fargate profiles per cluster.
func TestEKSFargateProfileQuota(t *testing.T) {
	env, c := piTEnv(t, "prod")
	ctx := context.Background()
	role := aeTRole(t, env, testenv.AccountA, "", "pods", aeTTrustFargate)
	for i := range 11 {
		_, err := c.CreateFargateProfile(ctx, &sdkeks.CreateFargateProfileInput{
			ClusterName: aws.String("prod"), FargateProfileName: aws.String("p" + strings.Repeat("x", i)), PodExecutionRoleArn: aws.String(role),
			Selectors: []types.FargateProfileSelector{{Namespace: aws.String("ns")}},
		})
		if i < 10 && err != nil {
			t.Fatalf("profile %d: %v", i+1, err)
		}
		if i == 10 {
			piTCode(t, "an eleventh profile", err, "ResourceLimitExceededException")
		}
	}
}
