package eks

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/assumed-dev/assumed/internal/directory"
)

// A cluster's configuration
//
// CreateCluster stores what the request says about the cluster (VPC,
// Kubernetes network, logging, access, upgrade policy, Auto Mode,
// encryption) and DescribeCluster answers it back with EKS's defaults for
// what it did not say, so that tools which read a cluster (Terraform's
// aws_eks_cluster) find every field AWS returns. Nothing runs behind it:
// there are no subnets, no load balancers and no Kubernetes API server.

// Defaults, as EKS sets them.
const (
	defaultServiceCIDR   = "10.100.0.0/16"
	defaultAuthMode      = types.AuthenticationModeConfigMap // for clusters made through the API
	defaultSupportType   = types.SupportTypeExtended
	defaultPublicCIDR    = "0.0.0.0/0"
	platformVersion      = "eks.1"
	maxUpdatesPerCluster = 1000
	defaultWorldRoleName = "eks-cluster"
	maxPublicAccessCIDRs = 40
	maxSecurityGroupIDs  = 5
	maxSubnetIDs         = 16
)

// DefaultWorldRoleARN is the role of a world file's cluster that names
// none.
func DefaultWorldRoleARN(accountID string) string {
	return "arn:aws:iam::" + accountID + ":role/" + defaultWorldRoleName
}

// EndpointPathPrefix is where cluster endpoints point on the server;
// nothing there answers the Kubernetes API.
const EndpointPathPrefix = "/_assumed/eks/clusters/"

// allLogTypes are the control-plane log types, in EKS's order.
var allLogTypes = []types.LogType{types.LogTypeApi, types.LogTypeAudit, types.LogTypeAuthenticator, types.LogTypeControllerManager, types.LogTypeScheduler}

var versionPattern = regexp.MustCompile(`^1\.(0|[1-9][0-9]{0,2})$`)

// minorVersion returns the minor number of a Kubernetes version "1.N".
func minorVersion(v string) (int, bool) {
	m := versionPattern.FindStringSubmatch(v)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}

func checkVersion(v string) error {
	if _, ok := minorVersion(v); !ok {
		return invalidParameter("unsupported Kubernetes version %s: a version is 1.MINOR, such as %s.", v, defaultVersion)
	}
	return nil
}

// Endpoint is a cluster's API server endpoint: an https URL on the
// server's public host. Nothing there answers the Kubernetes API.
func (s *Service) Endpoint(c *directory.Cluster) string {
	host := s.PublicURL()
	if _, rest, ok := strings.Cut(host, "://"); ok {
		host = rest
	}
	host, _, _ = strings.Cut(host, "/")
	return "https://" + host + EndpointPathPrefix + c.AccountID + "/" + c.Region + "/" + c.Name
}

// derivedID is a stable EKS-style resource ID (prefix and 17 hex digits)
// for a cluster's simulated resource of the given kind.
func derivedID(c *directory.Cluster, prefix, kind string) string {
	h := sha256.Sum256([]byte(c.ARN + "\x00" + c.IssuerID + "\x00" + kind))
	return prefix + hex.EncodeToString(h[:])[:17]
}

// roleARN is the cluster's role, the default for a world cluster that
// names none.
func roleARN(c *directory.Cluster) string {
	if c.RoleARN != "" {
		return c.RoleARN
	}
	return DefaultWorldRoleARN(c.AccountID)
}

// vpcResponse is the cluster's resourcesVpcConfig.
func vpcResponse(c *directory.Cluster) *types.VpcConfigResponse {
	out := &types.VpcConfigResponse{
		SubnetIds: []string{}, SecurityGroupIds: []string{}, EndpointPublicAccess: true,
		PublicAccessCidrs:      []string{defaultPublicCIDR},
		ClusterSecurityGroupId: aws.String(derivedID(c, "sg-", "cluster-security-group")),
		VpcId:                  aws.String(derivedID(c, "vpc-", "vpc")),
	}
	if v := c.VPCConfig; v != nil {
		out.SubnetIds = append(out.SubnetIds, v.SubnetIDs...)
		out.SecurityGroupIds = append(out.SecurityGroupIds, v.SecurityGroupIDs...)
		out.EndpointPublicAccess, out.EndpointPrivateAccess = v.PublicAccess, v.PrivateAccess
		if len(v.PublicAccessCIDRs) > 0 {
			out.PublicAccessCidrs = slices.Clone(v.PublicAccessCIDRs)
		}
	}
	return out
}

// networkResponse is the cluster's kubernetesNetworkConfig.
func networkResponse(c *directory.Cluster) *types.KubernetesNetworkConfigResponse {
	out := &types.KubernetesNetworkConfigResponse{ServiceIpv4Cidr: aws.String(defaultServiceCIDR), IpFamily: types.IpFamilyIpv4}
	if n := c.Network; n != nil {
		if n.ServiceIPv4CIDR != "" {
			out.ServiceIpv4Cidr = aws.String(n.ServiceIPv4CIDR)
		}
		if n.IPFamily != "" {
			out.IpFamily = types.IpFamily(n.IPFamily)
		}
		if n.ElasticLoadBalancing != nil {
			out.ElasticLoadBalancing = &types.ElasticLoadBalancing{Enabled: aws.Bool(*n.ElasticLoadBalancing)}
		}
	}
	if out.IpFamily == types.IpFamilyIpv6 {
		// EKS picks a unique local /108 for IPv6 services.
		h := sha256.Sum256([]byte(c.ARN + "\x00" + c.IssuerID))
		out.ServiceIpv6Cidr = aws.String(fmt.Sprintf("fd%02x:%02x%02x:%02x%02x::/108", h[0], h[1], h[2], h[3], h[4]))
	}
	return out
}

// loggingResponse is the cluster's logging: the enabled types, then the
// disabled ones, as EKS lists them.
func loggingResponse(enabled []string) *types.Logging {
	var on, off []types.LogType
	for _, t := range allLogTypes {
		if slices.Contains(enabled, string(t)) {
			on = append(on, t)
		} else {
			off = append(off, t)
		}
	}
	out := &types.Logging{ClusterLogging: []types.LogSetup{}}
	if len(on) > 0 {
		out.ClusterLogging = append(out.ClusterLogging, types.LogSetup{Types: on, Enabled: aws.Bool(true)})
	}
	if len(off) > 0 {
		out.ClusterLogging = append(out.ClusterLogging, types.LogSetup{Types: off, Enabled: aws.Bool(false)})
	}
	return out
}

// applyLogging applies a logging request to the enabled types.
func applyLogging(enabled []string, l *types.Logging) ([]string, error) {
	out := slices.Clone(enabled)
	for _, setup := range l.ClusterLogging {
		for _, t := range setup.Types {
			if !slices.Contains(allLogTypes, t) {
				return nil, invalidParameter("%q is not a log type: the types are api, audit, authenticator, controllerManager and scheduler.", string(t))
			}
			if aws.ToBool(setup.Enabled) {
				if !slices.Contains(out, string(t)) {
					out = append(out, string(t))
				}
			} else {
				out = slices.DeleteFunc(out, func(x string) bool { return x == string(t) })
			}
		}
	}
	// Keep EKS's order.
	var sorted []string
	for _, t := range allLogTypes {
		if slices.Contains(out, string(t)) {
			sorted = append(sorted, string(t))
		}
	}
	return sorted, nil
}

// describe is the cluster as EKS describes it.
func (s *Service) describe(c *directory.Cluster) *types.Cluster {
	out := &types.Cluster{
		Name: aws.String(c.Name), Arn: aws.String(c.ARN), CreatedAt: aws.Time(c.CreatedAt),
		Version: aws.String(c.Version), Status: types.ClusterStatusActive, PlatformVersion: aws.String(platformVersion),
		Endpoint: aws.String(s.Endpoint(c)),
		RoleArn:  aws.String(roleARN(c)),
		Identity: &types.Identity{Oidc: &types.OIDC{Issuer: aws.String(s.IssuerURL(c))}},
		Tags:     map[string]string{},

		ResourcesVpcConfig:      vpcResponse(c),
		KubernetesNetworkConfig: networkResponse(c),
		Logging:                 loggingResponse(c.LogTypes),
		AccessConfig:            &types.AccessConfigResponse{AuthenticationMode: defaultAuthMode, BootstrapClusterCreatorAdminPermissions: c.BootstrapAdmin},
		UpgradePolicy:           &types.UpgradePolicyResponse{SupportType: defaultSupportType},
		Health:                  &types.ClusterHealth{Issues: []types.ClusterIssue{}},
	}
	for k, v := range c.Tags {
		out.Tags[k] = v
	}
	if ca := s.caPEM.Load(); ca != nil {
		out.CertificateAuthority = &types.Certificate{Data: aws.String(base64.StdEncoding.EncodeToString(*ca))}
	}
	if c.AuthenticationMode != "" {
		out.AccessConfig.AuthenticationMode = types.AuthenticationMode(c.AuthenticationMode)
	}
	if c.SupportType != "" {
		out.UpgradePolicy.SupportType = types.SupportType(c.SupportType)
	}
	if c.ZonalShift != nil {
		out.ZonalShiftConfig = &types.ZonalShiftConfigResponse{Enabled: aws.Bool(*c.ZonalShift)}
	}
	if c.DeletionProtection != nil {
		out.DeletionProtection = aws.Bool(*c.DeletionProtection)
	}
	if cc := c.Compute; cc != nil {
		out.ComputeConfig = &types.ComputeConfigResponse{Enabled: cc.Enabled, NodePools: slices.Clone(cc.NodePools)}
		if cc.NodeRoleARN != "" {
			out.ComputeConfig.NodeRoleArn = aws.String(cc.NodeRoleARN)
		}
	}
	if c.BlockStorage != nil {
		out.StorageConfig = &types.StorageConfigResponse{BlockStorage: &types.BlockStorage{Enabled: aws.Bool(*c.BlockStorage)}}
	}
	for _, e := range c.Encryption {
		// Deprecated in the model, but clients (Terraform's provider)
		// still send and read it.
		//lint:ignore SA1019 echoed as given
		out.EncryptionConfig = append(out.EncryptionConfig, types.EncryptionConfig{Resources: slices.Clone(e.Resources), Provider: &types.Provider{KeyArn: aws.String(e.KeyARN)}})
	}
	return out
}

// checkCIDRs checks a list of CIDR blocks.
func checkCIDRs(field string, cidrs []string) error {
	if len(cidrs) > maxPublicAccessCIDRs {
		return invalidParameter("%s can have at most %d CIDR blocks.", field, maxPublicAccessCIDRs)
	}
	for _, c := range cidrs {
		if _, err := netip.ParsePrefix(c); err != nil {
			return invalidParameter("%s: %q is not a CIDR block.", field, c)
		}
	}
	return nil
}

// vpcConfig turns CreateCluster's resourcesVpcConfig into the stored
// form.
func vpcConfig(v *types.VpcConfigRequest) (*directory.ClusterVPCConfig, error) {
	out := &directory.ClusterVPCConfig{PublicAccess: true}
	if v == nil {
		return out, nil
	}
	if len(v.SubnetIds) > maxSubnetIDs {
		return nil, invalidParameter("A cluster can have at most %d subnets.", maxSubnetIDs)
	}
	if len(v.SecurityGroupIds) > maxSecurityGroupIDs {
		return nil, invalidParameter("A cluster can have at most %d security groups.", maxSecurityGroupIDs)
	}
	if err := checkCIDRs("publicAccessCidrs", v.PublicAccessCidrs); err != nil {
		return nil, err
	}
	out.SubnetIDs, out.SecurityGroupIDs = slices.Clone(v.SubnetIds), slices.Clone(v.SecurityGroupIds)
	out.PublicAccessCIDRs = slices.Clone(v.PublicAccessCidrs)
	if v.EndpointPublicAccess != nil {
		out.PublicAccess = *v.EndpointPublicAccess
	}
	out.PrivateAccess = aws.ToBool(v.EndpointPrivateAccess)
	if !out.PublicAccess && !out.PrivateAccess {
		return nil, invalidParameter("The cluster endpoint must have public access, private access or both enabled.")
	}
	return out, nil
}

// rfc1918 are the private ranges a service CIDR must fall in.
var rfc1918 = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"), netip.MustParsePrefix("192.168.0.0/16")}

// network turns a kubernetesNetworkConfig request into the stored form.
func network(n *types.KubernetesNetworkConfigRequest) (*directory.ClusterNetwork, error) {
	if n == nil {
		return nil, nil
	}
	out := &directory.ClusterNetwork{}
	if cidr := aws.ToString(n.ServiceIpv4Cidr); cidr != "" {
		p, err := netip.ParsePrefix(cidr)
		if err != nil || !p.Addr().Is4() || p.Bits() < 12 || p.Bits() > 24 || p.Masked() != p {
			return nil, invalidParameter("serviceIpv4Cidr %q must be an IPv4 network address with a /12 to /24 prefix.", cidr)
		}
		private := false
		for _, r := range rfc1918 {
			private = private || (r.Contains(p.Addr()) && r.Bits() <= p.Bits())
		}
		if !private {
			return nil, invalidParameter("serviceIpv4Cidr %q must be within 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16.", cidr)
		}
		out.ServiceIPv4CIDR = p.String()
	}
	switch n.IpFamily {
	case "":
	case types.IpFamilyIpv4, types.IpFamilyIpv6:
		out.IPFamily = string(n.IpFamily)
	default:
		return nil, invalidParameter("ipFamily %q is not ipv4 or ipv6.", string(n.IpFamily))
	}
	if n.ElasticLoadBalancing != nil {
		out.ElasticLoadBalancing = aws.Bool(aws.ToBool(n.ElasticLoadBalancing.Enabled))
	}
	return out, nil
}

func checkAuthMode(m types.AuthenticationMode) error {
	if !slices.Contains(m.Values(), m) {
		return invalidParameter("authenticationMode %q is not one of %s.", string(m), joinEnum(m.Values()))
	}
	return nil
}

func checkSupportType(t types.SupportType) error {
	if !slices.Contains(t.Values(), t) {
		return invalidParameter("supportType %q is not one of %s.", string(t), joinEnum(t.Values()))
	}
	return nil
}

func joinEnum[E ~string](vs []E) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

// compute turns a computeConfig request into the stored form.
func compute(c *types.ComputeConfigRequest) (*directory.ClusterCompute, error) {
	if c == nil {
		return nil, nil
	}
	out := &directory.ClusterCompute{Enabled: aws.Bool(aws.ToBool(c.Enabled)), NodePools: slices.Clone(c.NodePools), NodeRoleARN: aws.ToString(c.NodeRoleArn)}
	if out.NodeRoleARN != "" {
		if err := checkRoleARN("computeConfig.nodeRoleArn", out.NodeRoleARN); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// encryption turns encryptionConfig into the stored form.
func encryption(cfgs []types.EncryptionConfig) ([]directory.ClusterEncryption, error) {
	if len(cfgs) > 1 {
		return nil, invalidParameter("A cluster can have at most one encryption configuration.")
	}
	var out []directory.ClusterEncryption
	for _, e := range cfgs {
		key := ""
		if e.Provider != nil {
			key = aws.ToString(e.Provider.KeyArn)
		}
		if key == "" {
			return nil, invalidParameter("encryptionConfig needs a provider with a keyArn.")
		}
		//lint:ignore SA1019 clients still send resources (deprecated in the model)
		resources := e.Resources
		for _, r := range resources {
			if r != "secrets" {
				return nil, invalidParameter("encryptionConfig resources can only be \"secrets\", not %q.", r)
			}
		}
		out = append(out, directory.ClusterEncryption{Resources: slices.Clone(resources), KeyARN: key})
	}
	return out, nil
}
