package eks_test

import (
	"context"
	"encoding/base64"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkeks "github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/assumed-dev/assumed/internal/testenv"
	"github.com/assumed-dev/assumed/internal/world"
)

// Tests of the cluster API beyond create/describe/list/delete: every
// field DescribeCluster answers, updates (UpdateClusterVersion,
// UpdateClusterConfig, DescribeUpdate, ListUpdates) and tags, through the
// AWS SDK for Go v2's EKS client.

var (
	caTEndpoint = regexp.MustCompile(`^https://127\.0\.0\.1:[0-9]+/_assumed/eks/clusters/111111111111/us-east-1/[A-Za-z0-9_-]+$`)
	caTUpdateID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// caTDescribe describes a cluster of account A.
func caTDescribe(t *testing.T, c *sdkeks.Client, name string) *types.Cluster {
	t.Helper()
	out, err := c.DescribeCluster(context.Background(), &sdkeks.DescribeClusterInput{Name: aws.String(name)})
	if err != nil {
		t.Fatalf("DescribeCluster %s: %v", name, err)
	}
	return out.Cluster
}

// caTCheckDefaults checks the fields of a cluster created with no
// configuration beyond its name, role and subnets.
func caTCheckDefaults(t *testing.T, env *testenv.Env, cl *types.Cluster) {
	t.Helper()
	if !caTEndpoint.MatchString(aws.ToString(cl.Endpoint)) || !strings.HasSuffix(aws.ToString(cl.Endpoint), "/"+aws.ToString(cl.Name)) {
		t.Errorf("endpoint = %q", aws.ToString(cl.Endpoint))
	}
	ca, err := os.ReadFile(env.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	if cl.CertificateAuthority == nil || aws.ToString(cl.CertificateAuthority.Data) != base64.StdEncoding.EncodeToString(ca) {
		t.Errorf("certificateAuthority = %+v, want the base64 of %s", cl.CertificateAuthority, env.CAFile)
	}
	if cl.Status != types.ClusterStatusActive || aws.ToString(cl.PlatformVersion) == "" || cl.CreatedAt == nil || aws.ToString(cl.Version) == "" {
		t.Errorf("status %q, platformVersion %q, createdAt %v, version %q", cl.Status, aws.ToString(cl.PlatformVersion), cl.CreatedAt, aws.ToString(cl.Version))
	}
	v := cl.ResourcesVpcConfig
	if v == nil {
		t.Fatal("no resourcesVpcConfig")
	}
	if !regexp.MustCompile(`^vpc-[0-9a-f]{17}$`).MatchString(aws.ToString(v.VpcId)) || !regexp.MustCompile(`^sg-[0-9a-f]{17}$`).MatchString(aws.ToString(v.ClusterSecurityGroupId)) {
		t.Errorf("vpcId %q, clusterSecurityGroupId %q", aws.ToString(v.VpcId), aws.ToString(v.ClusterSecurityGroupId))
	}
	if !v.EndpointPublicAccess || v.EndpointPrivateAccess || !slices.Equal(v.PublicAccessCidrs, []string{"0.0.0.0/0"}) || v.SecurityGroupIds == nil {
		t.Errorf("resourcesVpcConfig = %+v", v)
	}
	n := cl.KubernetesNetworkConfig
	if n == nil || aws.ToString(n.ServiceIpv4Cidr) != "10.100.0.0/16" || n.IpFamily != types.IpFamilyIpv4 {
		t.Errorf("kubernetesNetworkConfig = %+v", n)
	}
	if l := cl.Logging; l == nil || len(l.ClusterLogging) != 1 || aws.ToBool(l.ClusterLogging[0].Enabled) || len(l.ClusterLogging[0].Types) != 5 {
		t.Errorf("logging = %+v, want the five types disabled", l)
	}
	if cl.AccessConfig == nil || cl.AccessConfig.AuthenticationMode != types.AuthenticationModeConfigMap {
		t.Errorf("accessConfig = %+v, want CONFIG_MAP", cl.AccessConfig)
	}
	if cl.UpgradePolicy == nil || cl.UpgradePolicy.SupportType != types.SupportTypeExtended {
		t.Errorf("upgradePolicy = %+v, want EXTENDED", cl.UpgradePolicy)
	}
	if cl.Health == nil || len(cl.Health.Issues) != 0 {
		t.Errorf("health = %+v, want no issues", cl.Health)
	}
	if cl.Tags == nil {
		t.Errorf("tags = nil, want {}")
	}
	if cl.Identity == nil || cl.Identity.Oidc == nil || aws.ToString(cl.Identity.Oidc.Issuer) == "" {
		t.Errorf("identity = %+v", cl.Identity)
	}
}

func TestEKSDescribeClusterFields(t *testing.T) {
	w, err := world.Parse("world.yaml", []byte(`accounts:
  - id: "111111111111"
    name: account-a
    clusters:
      - {name: declared}
      - {name: with-role, role_arn: "arn:aws:iam::111111111111:role/platform", version: "1.30"}
`))
	if err != nil {
		t.Fatal(err)
	}
	env := testenv.Start(t, w)
	ctx := context.Background()
	c := eksTClient(env, testenv.AccountA)

	// Defaults, for a cluster made through the API and for world clusters.
	created := eksTCreate(t, c, "plain")
	caTCheckDefaults(t, env, created)
	for _, name := range []string{"plain", "declared", "with-role"} {
		caTCheckDefaults(t, env, caTDescribe(t, c, name))
	}
	if got := aws.ToString(caTDescribe(t, c, "declared").RoleArn); got != "arn:aws:iam::111111111111:role/eks-cluster" {
		t.Errorf("a world cluster's default roleArn = %q", got)
	}
	if cl := caTDescribe(t, c, "with-role"); aws.ToString(cl.RoleArn) != "arn:aws:iam::111111111111:role/platform" || aws.ToString(cl.Version) != "1.30" {
		t.Errorf("a world cluster's roleArn %q, version %q", aws.ToString(cl.RoleArn), aws.ToString(cl.Version))
	}
	if got := aws.ToString(caTDescribe(t, c, "plain").ResourcesVpcConfig.VpcId); got == aws.ToString(caTDescribe(t, c, "declared").ResourcesVpcConfig.VpcId) {
		t.Errorf("two clusters share the VPC ID %s", got)
	}

	// Everything CreateCluster can say is described back.
	_, err = c.CreateCluster(ctx, &sdkeks.CreateClusterInput{
		Name: aws.String("full"), RoleArn: aws.String(eksTRoleARN), Version: aws.String("1.31"),
		ResourcesVpcConfig: &types.VpcConfigRequest{
			SubnetIds: []string{"subnet-a", "subnet-b"}, SecurityGroupIds: []string{"sg-1"},
			EndpointPublicAccess: aws.Bool(true), EndpointPrivateAccess: aws.Bool(true), PublicAccessCidrs: []string{"203.0.113.0/24"},
		},
		KubernetesNetworkConfig: &types.KubernetesNetworkConfigRequest{ServiceIpv4Cidr: aws.String("172.20.0.0/16"), IpFamily: types.IpFamilyIpv4},
		Logging:                 &types.Logging{ClusterLogging: []types.LogSetup{{Types: []types.LogType{types.LogTypeAudit, types.LogTypeApi}, Enabled: aws.Bool(true)}}},
		AccessConfig:            &types.CreateAccessConfigRequest{AuthenticationMode: types.AuthenticationModeApi, BootstrapClusterCreatorAdminPermissions: aws.Bool(false)},
		UpgradePolicy:           &types.UpgradePolicyRequest{SupportType: types.SupportTypeStandard},
		ZonalShiftConfig:        &types.ZonalShiftConfigRequest{Enabled: aws.Bool(true)},
		EncryptionConfig:        []types.EncryptionConfig{{Resources: []string{"secrets"}, Provider: &types.Provider{KeyArn: aws.String("arn:aws:kms:us-east-1:111111111111:key/k")}}},
		Tags:                    map[string]string{"team": "blue"},
	})
	if err != nil {
		t.Fatalf("CreateCluster full: %v", err)
	}
	check := func() {
		t.Helper()
		cl := caTDescribe(t, c, "full")
		v := cl.ResourcesVpcConfig
		if !slices.Equal(v.SubnetIds, []string{"subnet-a", "subnet-b"}) || !slices.Equal(v.SecurityGroupIds, []string{"sg-1"}) || !v.EndpointPrivateAccess || !v.EndpointPublicAccess || !slices.Equal(v.PublicAccessCidrs, []string{"203.0.113.0/24"}) {
			t.Errorf("resourcesVpcConfig = %+v", v)
		}
		if aws.ToString(cl.KubernetesNetworkConfig.ServiceIpv4Cidr) != "172.20.0.0/16" {
			t.Errorf("serviceIpv4Cidr = %q", aws.ToString(cl.KubernetesNetworkConfig.ServiceIpv4Cidr))
		}
		l := cl.Logging.ClusterLogging
		if len(l) != 2 || !aws.ToBool(l[0].Enabled) || !slices.Equal(l[0].Types, []types.LogType{types.LogTypeApi, types.LogTypeAudit}) || aws.ToBool(l[1].Enabled) || len(l[1].Types) != 3 {
			t.Errorf("logging = %+v", l)
		}
		if cl.AccessConfig.AuthenticationMode != types.AuthenticationModeApi || aws.ToBool(cl.AccessConfig.BootstrapClusterCreatorAdminPermissions) {
			t.Errorf("accessConfig = %+v", cl.AccessConfig)
		}
		if cl.UpgradePolicy.SupportType != types.SupportTypeStandard || cl.ZonalShiftConfig == nil || !aws.ToBool(cl.ZonalShiftConfig.Enabled) {
			t.Errorf("upgradePolicy %+v, zonalShiftConfig %+v", cl.UpgradePolicy, cl.ZonalShiftConfig)
		}
		if len(cl.EncryptionConfig) != 1 || aws.ToString(cl.EncryptionConfig[0].Provider.KeyArn) != "arn:aws:kms:us-east-1:111111111111:key/k" {
			t.Errorf("encryptionConfig = %+v", cl.EncryptionConfig)
		}
		if !maps.Equal(cl.Tags, map[string]string{"team": "blue"}) {
			t.Errorf("tags = %v", cl.Tags)
		}
	}
	check()
	env.Restart()
	c = eksTClient(env, testenv.AccountA)
	check()

	// What EKS refuses, and what assumed does not simulate.
	for what, in := range map[string]*sdkeks.CreateClusterInput{
		"a bad version":             {Version: aws.String("2")},
		"no endpoint access":        {ResourcesVpcConfig: &types.VpcConfigRequest{EndpointPublicAccess: aws.Bool(false)}},
		"a public service CIDR":     {KubernetesNetworkConfig: &types.KubernetesNetworkConfigRequest{ServiceIpv4Cidr: aws.String("8.8.0.0/16")}},
		"a /8 service CIDR":         {KubernetesNetworkConfig: &types.KubernetesNetworkConfigRequest{ServiceIpv4Cidr: aws.String("10.0.0.0/8")}},
		"an unknown log type":       {Logging: &types.Logging{ClusterLogging: []types.LogSetup{{Types: []types.LogType{"kubelet"}, Enabled: aws.Bool(true)}}}},
		"an unknown auth mode":      {AccessConfig: &types.CreateAccessConfigRequest{AuthenticationMode: "OPEN"}},
		"a reserved tag":            {Tags: map[string]string{"aws:x": "y"}},
		"a bad public CIDR":         {ResourcesVpcConfig: &types.VpcConfigRequest{PublicAccessCidrs: []string{"nope"}}},
		"an outpost":                {OutpostConfig: &types.OutpostConfigRequest{ControlPlaneInstanceType: aws.String("m5.large"), OutpostArns: []string{"arn:aws:outposts:us-east-1:111111111111:outpost/op-1"}}},
		"an encryption key missing": {EncryptionConfig: []types.EncryptionConfig{{Resources: []string{"secrets"}}}},
	} {
		in.Name, in.RoleArn = aws.String("refused"), aws.String(eksTRoleARN)
		if in.ResourcesVpcConfig == nil {
			in.ResourcesVpcConfig = &types.VpcConfigRequest{}
		}
		_, err := c.CreateCluster(ctx, in)
		eksTWant[*types.InvalidParameterException](t, "CreateCluster with "+what, err, "InvalidParameterException")
	}
}

func TestEKSUpdateClusterVersion(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := eksTClient(env, testenv.AccountA)
	if _, err := c.CreateCluster(ctx, &sdkeks.CreateClusterInput{Name: aws.String("prod"), RoleArn: aws.String(eksTRoleARN), Version: aws.String("1.31"), ResourcesVpcConfig: &types.VpcConfigRequest{}}); err != nil {
		t.Fatal(err)
	}

	out, err := c.UpdateClusterVersion(ctx, &sdkeks.UpdateClusterVersionInput{Name: aws.String("prod"), Version: aws.String("1.32")})
	if err != nil {
		t.Fatalf("UpdateClusterVersion: %v", err)
	}
	u := out.Update
	if !caTUpdateID.MatchString(aws.ToString(u.Id)) || u.Status != types.UpdateStatusSuccessful || u.Type != types.UpdateTypeVersionUpdate || u.CreatedAt == nil {
		t.Errorf("update = %+v", u)
	}
	if len(u.Params) == 0 || u.Params[0].Type != types.UpdateParamTypeVersion || aws.ToString(u.Params[0].Value) != "1.32" {
		t.Errorf("update params = %+v", u.Params)
	}
	if got := aws.ToString(caTDescribe(t, c, "prod").Version); got != "1.32" {
		t.Errorf("version after the update = %q", got)
	}
	d, err := c.DescribeUpdate(ctx, &sdkeks.DescribeUpdateInput{Name: aws.String("prod"), UpdateId: u.Id})
	if err != nil {
		t.Fatalf("DescribeUpdate: %v", err)
	}
	if aws.ToString(d.Update.Id) != aws.ToString(u.Id) || d.Update.Status != types.UpdateStatusSuccessful || d.Update.Type != types.UpdateTypeVersionUpdate || d.Update.Errors == nil {
		t.Errorf("DescribeUpdate = %+v", d.Update)
	}
	// The SDK's own waiter sees it done.
	if err := sdkeks.NewClusterActiveWaiter(c).Wait(ctx, &sdkeks.DescribeClusterInput{Name: aws.String("prod")}, 10e9); err != nil {
		t.Errorf("ClusterActiveWaiter: %v", err)
	}

	// A retry with the same client request token: the same update, no
	// second upgrade.
	tok := aws.String("retry-token-1")
	first, err := c.UpdateClusterVersion(ctx, &sdkeks.UpdateClusterVersionInput{Name: aws.String("prod"), Version: aws.String("1.33"), ClientRequestToken: tok})
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.UpdateClusterVersion(ctx, &sdkeks.UpdateClusterVersionInput{Name: aws.String("prod"), Version: aws.String("1.33"), ClientRequestToken: tok})
	if err != nil || aws.ToString(again.Update.Id) != aws.ToString(first.Update.Id) {
		t.Errorf("retry with the same token: %v, id %v (first %v)", err, again, aws.ToString(first.Update.Id))
	}

	// AWS's refusals.
	for _, v := range []string{"1.33", "1.35", "1.31", "2.0"} {
		_, err := c.UpdateClusterVersion(ctx, &sdkeks.UpdateClusterVersionInput{Name: aws.String("prod"), Version: aws.String(v)})
		e := eksTWant[*types.InvalidParameterException](t, "UpdateClusterVersion to "+v, err, "InvalidParameterException")
		if v == "1.33" && !strings.Contains(aws.ToString(e.Message), "from 1.33 to 1.33") {
			t.Errorf("same version message = %q", aws.ToString(e.Message))
		}
	}
	_, err = c.UpdateClusterVersion(ctx, &sdkeks.UpdateClusterVersionInput{Name: aws.String("nope"), Version: aws.String("1.32")})
	eksTWant[*types.ResourceNotFoundException](t, "UpdateClusterVersion of a missing cluster", err, "ResourceNotFoundException")
	_, err = c.DescribeUpdate(ctx, &sdkeks.DescribeUpdateInput{Name: aws.String("prod"), UpdateId: aws.String("00000000-0000-4000-8000-000000000000")})
	eksTWant[*types.ResourceNotFoundException](t, "DescribeUpdate of an unknown ID", err, "ResourceNotFoundException")
	_, err = c.DescribeUpdate(ctx, &sdkeks.DescribeUpdateInput{Name: aws.String("prod"), UpdateId: u.Id, NodegroupName: aws.String("ng")})
	eksTWant[*types.ResourceNotFoundException](t, "DescribeUpdate of a node group", err, "ResourceNotFoundException")
	_, err = c.DescribeUpdate(ctx, &sdkeks.DescribeUpdateInput{Name: aws.String("nope"), UpdateId: u.Id})
	eksTWant[*types.ResourceNotFoundException](t, "DescribeUpdate of a missing cluster", err, "ResourceNotFoundException")

	// ListUpdates, in pages, oldest first; after a restart too.
	list := func() []string {
		t.Helper()
		var ids []string
		p := sdkeks.NewListUpdatesPaginator(eksTClient(env, testenv.AccountA), &sdkeks.ListUpdatesInput{Name: aws.String("prod"), MaxResults: aws.Int32(1)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("ListUpdates: %v", err)
			}
			ids = append(ids, page.UpdateIds...)
		}
		return ids
	}
	want := []string{aws.ToString(u.Id), aws.ToString(first.Update.Id)}
	if got := list(); !slices.Equal(got, want) {
		t.Errorf("ListUpdates = %v, want %v", got, want)
	}
	env.Restart()
	if got := list(); !slices.Equal(got, want) {
		t.Errorf("ListUpdates after a restart = %v, want %v", got, want)
	}
	if got := aws.ToString(caTDescribe(t, eksTClient(env, testenv.AccountA), "prod").Version); got != "1.33" {
		t.Errorf("version after a restart = %q", got)
	}
	_, err = eksTClient(env, testenv.AccountA).ListUpdates(ctx, &sdkeks.ListUpdatesInput{Name: aws.String("prod"), NextToken: aws.String("bad")})
	eksTWant[*types.InvalidParameterException](t, "ListUpdates with a bad token", err, "InvalidParameterException")
	_, err = eksTClient(env, testenv.AccountA).ListUpdates(ctx, &sdkeks.ListUpdatesInput{Name: aws.String("nope")})
	eksTWant[*types.ResourceNotFoundException](t, "ListUpdates of a missing cluster", err, "ResourceNotFoundException")
}

func TestEKSUpdateClusterConfig(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := eksTClient(env, testenv.AccountA)
	eksTCreate(t, c, "prod")
	update := func(in *sdkeks.UpdateClusterConfigInput) (*types.Update, error) {
		t.Helper()
		in.Name = aws.String("prod")
		out, err := c.UpdateClusterConfig(ctx, in)
		if err != nil {
			return nil, err
		}
		if out.Update.Status != types.UpdateStatusSuccessful {
			t.Errorf("update status %q", out.Update.Status)
		}
		return out.Update, nil
	}
	for _, tc := range []struct {
		what  string
		in    *sdkeks.UpdateClusterConfigInput
		typ   types.UpdateType
		check func(*types.Cluster) bool
	}{
		{"logging", &sdkeks.UpdateClusterConfigInput{Logging: &types.Logging{ClusterLogging: []types.LogSetup{{Types: []types.LogType{types.LogTypeScheduler}, Enabled: aws.Bool(true)}}}},
			types.UpdateTypeLoggingUpdate, func(cl *types.Cluster) bool {
				return aws.ToBool(cl.Logging.ClusterLogging[0].Enabled) && slices.Equal(cl.Logging.ClusterLogging[0].Types, []types.LogType{types.LogTypeScheduler})
			}},
		{"endpoint access", &sdkeks.UpdateClusterConfigInput{ResourcesVpcConfig: &types.VpcConfigRequest{EndpointPrivateAccess: aws.Bool(true), PublicAccessCidrs: []string{"198.51.100.0/24"}}},
			types.UpdateTypeEndpointAccessUpdate, func(cl *types.Cluster) bool {
				v := cl.ResourcesVpcConfig
				return v.EndpointPrivateAccess && v.EndpointPublicAccess && slices.Equal(v.PublicAccessCidrs, []string{"198.51.100.0/24"}) && slices.Equal(v.SubnetIds, []string{"subnet-1"})
			}},
		{"subnets and security groups", &sdkeks.UpdateClusterConfigInput{ResourcesVpcConfig: &types.VpcConfigRequest{SubnetIds: []string{"subnet-2", "subnet-3"}, SecurityGroupIds: []string{"sg-9"}}},
			types.UpdateTypeVpcConfigUpdate, func(cl *types.Cluster) bool {
				v := cl.ResourcesVpcConfig
				return slices.Equal(v.SubnetIds, []string{"subnet-2", "subnet-3"}) && slices.Equal(v.SecurityGroupIds, []string{"sg-9"}) && v.EndpointPrivateAccess
			}},
		{"access config", &sdkeks.UpdateClusterConfigInput{AccessConfig: &types.UpdateAccessConfigRequest{AuthenticationMode: types.AuthenticationModeApiAndConfigMap}},
			types.UpdateTypeAccessConfigUpdate, func(cl *types.Cluster) bool {
				return cl.AccessConfig.AuthenticationMode == types.AuthenticationModeApiAndConfigMap
			}},
		{"upgrade policy", &sdkeks.UpdateClusterConfigInput{UpgradePolicy: &types.UpgradePolicyRequest{SupportType: types.SupportTypeStandard}},
			types.UpdateTypeUpgradePolicyUpdate, func(cl *types.Cluster) bool { return cl.UpgradePolicy.SupportType == types.SupportTypeStandard }},
		{"zonal shift", &sdkeks.UpdateClusterConfigInput{ZonalShiftConfig: &types.ZonalShiftConfigRequest{Enabled: aws.Bool(true)}},
			types.UpdateTypeZonalShiftConfigUpdate, func(cl *types.Cluster) bool {
				return cl.ZonalShiftConfig != nil && aws.ToBool(cl.ZonalShiftConfig.Enabled)
			}},
		{"auto mode", &sdkeks.UpdateClusterConfigInput{
			ComputeConfig:           &types.ComputeConfigRequest{Enabled: aws.Bool(true), NodePools: []string{"general-purpose"}, NodeRoleArn: aws.String("arn:aws:iam::111111111111:role/node")},
			StorageConfig:           &types.StorageConfigRequest{BlockStorage: &types.BlockStorage{Enabled: aws.Bool(true)}},
			KubernetesNetworkConfig: &types.KubernetesNetworkConfigRequest{ElasticLoadBalancing: &types.ElasticLoadBalancing{Enabled: aws.Bool(true)}},
		}, types.UpdateTypeAutoModeUpdate, func(cl *types.Cluster) bool {
			return cl.ComputeConfig != nil && aws.ToBool(cl.ComputeConfig.Enabled) && aws.ToString(cl.ComputeConfig.NodeRoleArn) == "arn:aws:iam::111111111111:role/node" &&
				cl.StorageConfig != nil && aws.ToBool(cl.StorageConfig.BlockStorage.Enabled) &&
				cl.KubernetesNetworkConfig.ElasticLoadBalancing != nil && aws.ToBool(cl.KubernetesNetworkConfig.ElasticLoadBalancing.Enabled) &&
				aws.ToString(cl.KubernetesNetworkConfig.ServiceIpv4Cidr) == "10.100.0.0/16"
		}},
		{"deletion protection", &sdkeks.UpdateClusterConfigInput{DeletionProtection: aws.Bool(true)},
			types.UpdateTypeDeletionProtectionUpdate, func(cl *types.Cluster) bool { return aws.ToBool(cl.DeletionProtection) }},
	} {
		u, err := update(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.what, err)
			continue
		}
		if u.Type != tc.typ || len(u.Params) == 0 {
			t.Errorf("%s: update type %q params %+v, want %q", tc.what, u.Type, u.Params, tc.typ)
		}
		if cl := caTDescribe(t, c, "prod"); !tc.check(cl) {
			t.Errorf("%s: the cluster does not show the change: %+v", tc.what, cl)
		}
	}

	// Deletion protection holds the cluster until it is turned off.
	_, err := c.DeleteCluster(ctx, &sdkeks.DeleteClusterInput{Name: aws.String("prod")})
	eksTWant[*types.InvalidRequestException](t, "DeleteCluster with deletion protection", err, "InvalidRequestException")

	// AWS's refusals.
	for what, in := range map[string]*sdkeks.UpdateClusterConfigInput{
		"two kinds of update":     {Logging: &types.Logging{ClusterLogging: []types.LogSetup{{Types: []types.LogType{types.LogTypeApi}, Enabled: aws.Bool(true)}}}, ZonalShiftConfig: &types.ZonalShiftConfigRequest{Enabled: aws.Bool(false)}},
		"endpoint and subnets":    {ResourcesVpcConfig: &types.VpcConfigRequest{SubnetIds: []string{"subnet-1"}, EndpointPrivateAccess: aws.Bool(false)}},
		"nothing":                 {},
		"logging unchanged":       {Logging: &types.Logging{ClusterLogging: []types.LogSetup{{Types: []types.LogType{types.LogTypeScheduler}, Enabled: aws.Bool(true)}}}},
		"endpoint unchanged":      {ResourcesVpcConfig: &types.VpcConfigRequest{EndpointPrivateAccess: aws.Bool(true)}},
		"no endpoint access":      {ResourcesVpcConfig: &types.VpcConfigRequest{EndpointPrivateAccess: aws.Bool(false), EndpointPublicAccess: aws.Bool(false)}},
		"auth mode backwards":     {AccessConfig: &types.UpdateAccessConfigRequest{AuthenticationMode: types.AuthenticationModeConfigMap}},
		"a bad support type":      {UpgradePolicy: &types.UpgradePolicyRequest{SupportType: "FOREVER"}},
		"another service CIDR":    {KubernetesNetworkConfig: &types.KubernetesNetworkConfigRequest{ServiceIpv4Cidr: aws.String("172.20.0.0/16")}},
		"an unsimulated setting":  {RemoteNetworkConfig: &types.RemoteNetworkConfigRequest{}},
		"an unknown log type":     {Logging: &types.Logging{ClusterLogging: []types.LogSetup{{Types: []types.LogType{"kubelet"}, Enabled: aws.Bool(true)}}}},
		"a bad public CIDR block": {ResourcesVpcConfig: &types.VpcConfigRequest{PublicAccessCidrs: []string{"1.2.3.4/99"}}},
	} {
		_, err := update(in)
		eksTWant[*types.InvalidParameterException](t, "UpdateClusterConfig with "+what, err, "InvalidParameterException")
	}
	_, err = c.UpdateClusterConfig(ctx, &sdkeks.UpdateClusterConfigInput{Name: aws.String("nope"), DeletionProtection: aws.Bool(false)})
	eksTWant[*types.ResourceNotFoundException](t, "UpdateClusterConfig of a missing cluster", err, "ResourceNotFoundException")

	if _, err := update(&sdkeks.UpdateClusterConfigInput{DeletionProtection: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	lo, err := c.ListUpdates(ctx, &sdkeks.ListUpdatesInput{Name: aws.String("prod")})
	if err != nil || len(lo.UpdateIds) != 9 {
		t.Errorf("ListUpdates = %v, %v; want 9 updates", lo, err)
	}
	if _, err := c.DeleteCluster(ctx, &sdkeks.DeleteClusterInput{Name: aws.String("prod")}); err != nil {
		t.Errorf("DeleteCluster after deletion protection is off: %v", err)
	}
}

func TestEKSTags(t *testing.T) {
	env, c := piTEnv(t, "prod")
	ctx := context.Background()
	clusterARN := "arn:aws:eks:us-east-1:111111111111:cluster/prod"
	a := piTCreate(t, c, "prod", "default", "web", func(in *sdkeks.CreatePodIdentityAssociationInput) { in.Tags = map[string]string{"app": "web"} })
	assocARN := aws.ToString(a.AssociationArn)

	list := func(arn string) map[string]string {
		t.Helper()
		out, err := eksTClient(env, testenv.AccountA).ListTagsForResource(ctx, &sdkeks.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
		if err != nil {
			t.Fatalf("ListTagsForResource %s: %v", arn, err)
		}
		return out.Tags
	}
	if got := list(clusterARN); got == nil || len(got) != 0 {
		t.Errorf("an untagged cluster's tags = %v, want {}", got)
	}
	if got := list(assocARN); !maps.Equal(got, map[string]string{"app": "web"}) {
		t.Errorf("the association's tags = %v", got)
	}
	for _, arn := range []string{clusterARN, assocARN} {
		if _, err := c.TagResource(ctx, &sdkeks.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"team": "blue", "env": "prod"}}); err != nil {
			t.Fatalf("TagResource %s: %v", arn, err)
		}
		if _, err := c.TagResource(ctx, &sdkeks.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"team": "red"}}); err != nil {
			t.Fatalf("TagResource %s again: %v", arn, err)
		}
		if _, err := c.UntagResource(ctx, &sdkeks.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"env", "absent"}}); err != nil {
			t.Fatalf("UntagResource %s: %v", arn, err)
		}
	}
	check := func() {
		t.Helper()
		if got := list(clusterARN); !maps.Equal(got, map[string]string{"team": "red"}) {
			t.Errorf("cluster tags = %v", got)
		}
		if got := caTDescribe(t, eksTClient(env, testenv.AccountA), "prod").Tags; !maps.Equal(got, map[string]string{"team": "red"}) {
			t.Errorf("DescribeCluster tags = %v", got)
		}
		if got := list(assocARN); !maps.Equal(got, map[string]string{"app": "web", "team": "red"}) {
			t.Errorf("association tags = %v", got)
		}
		if got := piTDescribe(t, eksTClient(env, testenv.AccountA), "prod", aws.ToString(a.AssociationId)).Tags; !maps.Equal(got, map[string]string{"app": "web", "team": "red"}) {
			t.Errorf("DescribePodIdentityAssociation tags = %v", got)
		}
	}
	check()
	env.Restart()
	check()
	c = eksTClient(env, testenv.AccountA)

	// EKS's tagging errors.
	for what, arn := range map[string]string{
		"not an ARN":          "prod",
		"an IAM ARN":          "arn:aws:iam::111111111111:role/x",
		"no resource type":    "arn:aws:eks:us-east-1:111111111111:prod",
		"another partition":   "arn:aws-cn:eks:us-east-1:111111111111:cluster/prod",
		"an invalid account":  "arn:aws:eks:us-east-1:1111:cluster/prod",
		"an empty region ARN": "arn:aws:eks::111111111111:cluster/prod",
	} {
		_, err := c.TagResource(ctx, &sdkeks.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"k": "v"}})
		eksTWant[*types.BadRequestException](t, "TagResource on "+what, err, "BadRequestException")
		_, err = c.ListTagsForResource(ctx, &sdkeks.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
		eksTWant[*types.BadRequestException](t, "ListTagsForResource on "+what, err, "BadRequestException")
	}
	for what, tags := range map[string]map[string]string{
		"a reserved key": {"aws:team": "x"},
		"a long key":     {strings.Repeat("k", 129): "x"},
		"a long value":   {"k": strings.Repeat("v", 257)},
	} {
		_, err := c.TagResource(ctx, &sdkeks.TagResourceInput{ResourceArn: aws.String(clusterARN), Tags: tags})
		eksTWant[*types.BadRequestException](t, "TagResource with "+what, err, "BadRequestException")
	}
	many := map[string]string{}
	for i := range 50 {
		many["k"+strings.Repeat("x", i)] = "v"
	}
	_, err := c.TagResource(ctx, &sdkeks.TagResourceInput{ResourceArn: aws.String(clusterARN), Tags: many})
	eksTWant[*types.BadRequestException](t, "TagResource beyond 50 tags", err, "BadRequestException")
	for what, arn := range map[string]string{
		"a missing cluster":         "arn:aws:eks:us-east-1:111111111111:cluster/nope",
		"a missing association":     "arn:aws:eks:us-east-1:111111111111:podidentityassociation/prod/a-00000000000000000",
		"another cluster's assoc":   "arn:aws:eks:us-east-1:111111111111:podidentityassociation/other/" + aws.ToString(a.AssociationId),
		"a cluster in another area": "arn:aws:eks:eu-west-1:111111111111:cluster/prod",
		"a node group":              "arn:aws:eks:us-east-1:111111111111:nodegroup/prod/ng/1",
	} {
		_, err := c.TagResource(ctx, &sdkeks.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"k": "v"}})
		eksTWant[*types.NotFoundException](t, "TagResource on "+what, err, "NotFoundException")
		_, err = c.UntagResource(ctx, &sdkeks.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"k"}})
		eksTWant[*types.NotFoundException](t, "UntagResource on "+what, err, "NotFoundException")
		_, err = c.ListTagsForResource(ctx, &sdkeks.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
		eksTWant[*types.NotFoundException](t, "ListTagsForResource on "+what, err, "NotFoundException")
	}
	// Another account's resource: no resource policy lets B act on it.
	_, err = eksTClient(env, testenv.AccountB).ListTagsForResource(ctx, &sdkeks.ListTagsForResourceInput{ResourceArn: aws.String(clusterARN)})
	eksTWant[*types.AccessDeniedException](t, "B lists A's cluster tags", err, "AccessDeniedException")
}

// Every EKS operation is authorized on its resource with the resource's
// tags as aws:ResourceTag/…, and tagging with aws:RequestTag/… and
// aws:TagKeys.
func TestEKSResourceTagAuthorization(t *testing.T) {
	env, root := piTEnv(t)
	ctx := context.Background()
	for name, team := range map[string]string{"blue": "blue", "red": "red"} {
		if _, err := root.CreateCluster(ctx, &sdkeks.CreateClusterInput{Name: aws.String(name), RoleArn: aws.String(eksTRoleARN), ResourcesVpcConfig: &types.VpcConfigRequest{}, Tags: map[string]string{"team": team}}); err != nil {
			t.Fatal(err)
		}
	}
	blueAssoc := piTCreate(t, root, "blue", "default", "web", func(in *sdkeks.CreatePodIdentityAssociationInput) { in.Tags = map[string]string{"team": "blue"} })
	redAssoc := piTCreate(t, root, "red", "default", "web", func(in *sdkeks.CreatePodIdentityAssociationInput) { in.Tags = map[string]string{"team": "red"} })
	alice := piTUser(t, env, "alice", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["eks:*"],"Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}},
		{"Effect":"Deny","Action":"eks:TagResource","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"red"}}},
		{"Effect":"Deny","Action":"eks:UntagResource","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":"team"}}}]}`)

	for _, tc := range []struct {
		op   string
		call func(cluster string, assoc *types.PodIdentityAssociation) error
	}{
		{"DescribeCluster", func(cl string, _ *types.PodIdentityAssociation) error {
			_, err := alice.DescribeCluster(ctx, &sdkeks.DescribeClusterInput{Name: aws.String(cl)})
			return err
		}},
		{"UpdateClusterConfig", func(cl string, _ *types.PodIdentityAssociation) error {
			_, err := alice.UpdateClusterConfig(ctx, &sdkeks.UpdateClusterConfigInput{Name: aws.String(cl), ZonalShiftConfig: &types.ZonalShiftConfigRequest{Enabled: aws.Bool(true)}})
			return err
		}},
		{"UpdateClusterVersion", func(cl string, _ *types.PodIdentityAssociation) error {
			_, err := alice.UpdateClusterVersion(ctx, &sdkeks.UpdateClusterVersionInput{Name: aws.String(cl), Version: aws.String("1.34")})
			return err
		}},
		{"ListUpdates", func(cl string, _ *types.PodIdentityAssociation) error {
			_, err := alice.ListUpdates(ctx, &sdkeks.ListUpdatesInput{Name: aws.String(cl)})
			return err
		}},
		{"ListPodIdentityAssociations", func(cl string, _ *types.PodIdentityAssociation) error {
			_, err := alice.ListPodIdentityAssociations(ctx, &sdkeks.ListPodIdentityAssociationsInput{ClusterName: aws.String(cl)})
			return err
		}},
		{"DescribePodIdentityAssociation", func(cl string, a *types.PodIdentityAssociation) error {
			_, err := alice.DescribePodIdentityAssociation(ctx, &sdkeks.DescribePodIdentityAssociationInput{ClusterName: aws.String(cl), AssociationId: a.AssociationId})
			return err
		}},
		{"ListTagsForResource (cluster)", func(cl string, _ *types.PodIdentityAssociation) error {
			_, err := alice.ListTagsForResource(ctx, &sdkeks.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:eks:us-east-1:111111111111:cluster/" + cl)})
			return err
		}},
		{"ListTagsForResource (association)", func(_ string, a *types.PodIdentityAssociation) error {
			_, err := alice.ListTagsForResource(ctx, &sdkeks.ListTagsForResourceInput{ResourceArn: a.AssociationArn})
			return err
		}},
		{"TagResource", func(cl string, _ *types.PodIdentityAssociation) error {
			_, err := alice.TagResource(ctx, &sdkeks.TagResourceInput{ResourceArn: aws.String("arn:aws:eks:us-east-1:111111111111:cluster/" + cl), Tags: map[string]string{"env": "dev"}})
			return err
		}},
	} {
		if err := tc.call("blue", blueAssoc); err != nil {
			t.Errorf("%s on the blue team's resource: %v", tc.op, err)
		}
		err := tc.call("red", redAssoc)
		e := eksTWant[*types.AccessDeniedException](t, tc.op+" on the red team's resource", err, "AccessDeniedException")
		if !strings.Contains(aws.ToString(e.Message), "eks:") {
			t.Errorf("%s denial message = %q", tc.op, aws.ToString(e.Message))
		}
	}
	blue := aws.String("arn:aws:eks:us-east-1:111111111111:cluster/blue")
	_, err := alice.TagResource(ctx, &sdkeks.TagResourceInput{ResourceArn: blue, Tags: map[string]string{"team": "red"}})
	eksTWant[*types.AccessDeniedException](t, "TagResource team=red (aws:RequestTag)", err, "AccessDeniedException")
	_, err = alice.UntagResource(ctx, &sdkeks.UntagResourceInput{ResourceArn: blue, TagKeys: []string{"team"}})
	eksTWant[*types.AccessDeniedException](t, "UntagResource team (aws:TagKeys)", err, "AccessDeniedException")
	if _, err := alice.UntagResource(ctx, &sdkeks.UntagResourceInput{ResourceArn: blue, TagKeys: []string{"env"}}); err != nil {
		t.Errorf("UntagResource env: %v", err)
	}
	// A missing resource has no tags: the tag condition is not met.
	_, err = alice.ListTagsForResource(ctx, &sdkeks.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:eks:us-east-1:111111111111:cluster/nope")})
	eksTWant[*types.AccessDeniedException](t, "ListTagsForResource of a missing cluster", err, "AccessDeniedException")
}
