package eks

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/google/uuid"

	"github.com/assumed-dev/assumed/internal/directory"
)

// Cluster updates
//
// UpdateClusterVersion and UpdateClusterConfig start an update, which on
// EKS takes minutes; here it completes at once (status Successful) and
// the cluster shows the change as the call returns. DescribeUpdate and
// ListUpdates answer for the cluster's updates, kept with it. A retried
// request with the same clientRequestToken (the SDKs fill one in)
// answers with the update the first one made.

// updateNotFound is DescribeUpdate's answer for an ID the cluster has no
// update under.
func updateNotFound(name, id string) *Error {
	return &Error{Status: http.StatusNotFound, Code: "ResourceNotFoundException", Message: "No update found for ID: " + id + " in cluster: " + name + ".", ClusterName: name}
}

// describeUpdate is the update as EKS describes it.
func describeUpdate(u *directory.ClusterUpdate) *types.Update {
	out := &types.Update{
		Id: aws.String(u.ID), Status: types.UpdateStatus(u.Status), Type: types.UpdateType(u.Type),
		CreatedAt: aws.Time(u.CreatedAt), Params: []types.UpdateParam{}, Errors: []types.ErrorDetail{},
	}
	for _, p := range u.Params {
		out.Params = append(out.Params, types.UpdateParam{Type: types.UpdateParamType(p.Type), Value: aws.String(p.Value)})
	}
	return out
}

// clusterChange is a change of a cluster an update makes.
type clusterChange struct {
	typ    types.UpdateType
	params []directory.ClusterUpdateParam
	// apply changes the cluster's copy (whose resource maps are its
	// own); txn, when set, then makes the change's other writes.
	apply func(c *directory.Cluster) error
	txn   func(t *directory.Txn, c *directory.Cluster) error
	// nodegroup or addon names the resource the update is of.
	nodegroup, addon string
}

// startUpdate applies a change to the caller's cluster and records it as
// a completed update, in one transaction. A request with the
// clientRequestToken of an update the cluster already has answers with
// that update and changes nothing. plan builds the change from the
// current cluster.
func (s *Service) startUpdate(ctx context.Context, caller *directory.Caller, name, token string, plan func(c *directory.Cluster) (*clusterChange, error)) (*types.Update, error) {
	var done *directory.ClusterUpdate
	err := s.w.Update(ctx, func(t *directory.Txn) error {
		c, err := s.lookup(t.Snap, caller, name)
		if err != nil {
			return err
		}
		if token != "" {
			for i := range c.Updates {
				if c.Updates[i].ClientRequestToken == token {
					done = &c.Updates[i]
					return nil
				}
			}
		}
		ch, err := plan(c)
		if err != nil {
			return err
		}
		cp := c.CloneResources()
		if err := ch.apply(cp); err != nil {
			return err
		}
		if ch.txn != nil {
			if err := ch.txn(t, cp); err != nil {
				return err
			}
		}
		u := directory.ClusterUpdate{
			ID: uuid.NewString(), Type: string(ch.typ), Status: string(types.UpdateStatusSuccessful), Params: ch.params,
			CreatedAt: s.now().UTC().Truncate(time.Millisecond), ClientRequestToken: token,
			Nodegroup: ch.nodegroup, Addon: ch.addon,
		}
		// Clip: the new list must not share an array the previous
		// snapshot's cluster sees.
		cp.Updates = append(slices.Clip(cp.Updates), u)
		if n := len(cp.Updates); n > maxUpdatesPerCluster {
			cp.Updates = cp.Updates[n-maxUpdatesPerCluster:]
		}
		done = &cp.Updates[len(cp.Updates)-1]
		return putCluster(t, cp)
	})
	if err != nil {
		return nil, err
	}
	return describeUpdate(done), nil
}

// UpdateClusterVersion upgrades a cluster's Kubernetes version by one
// minor version, as EKS allows.
func (s *Service) UpdateClusterVersion(ctx context.Context, caller *directory.Caller, in *sdk.UpdateClusterVersionInput) (*sdk.UpdateClusterVersionOutput, error) {
	name := aws.ToString(in.Name)
	snap := s.w.Directory().Snapshot()
	if err := authorize(snap, caller, "eks:UpdateClusterVersion", clusterARN(region(caller), caller.AccountID, name), clusterTagContext(snap, caller, name, nil)); err != nil {
		return nil, err
	}
	version := aws.ToString(in.Version)
	if version == "" {
		return nil, invalidParameter("version is required.")
	}
	if in.RollbackConfig != nil {
		return nil, invalidParameter("assumed does not simulate rollbackConfig.")
	}
	u, err := s.startUpdate(ctx, caller, name, aws.ToString(in.ClientRequestToken), func(c *directory.Cluster) (*clusterChange, error) {
		from, okFrom := minorVersion(c.Version)
		to, okTo := minorVersion(version)
		if !okFrom || !okTo || to != from+1 {
			e := invalidParameter("Unsupported Kubernetes minor version update from %s to %s", c.Version, version)
			e.ClusterName = name
			return nil, e
		}
		return &clusterChange{
			typ:    types.UpdateTypeVersionUpdate,
			params: []directory.ClusterUpdateParam{{Type: string(types.UpdateParamTypeVersion), Value: version}, {Type: string(types.UpdateParamTypePlatformVersion), Value: platformVersion}},
			apply:  func(c *directory.Cluster) error { c.Version = version; return nil },
		}, nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.UpdateClusterVersionOutput{Update: u}, nil
}

// UpdateClusterConfig changes one kind of a cluster's configuration per
// call, as EKS: endpoint access, VPC subnets and security groups,
// logging, access configuration, upgrade policy, zonal shift, Auto Mode
// (compute, storage and Kubernetes network together) or deletion
// protection.
func (s *Service) UpdateClusterConfig(ctx context.Context, caller *directory.Caller, in *sdk.UpdateClusterConfigInput) (*sdk.UpdateClusterConfigOutput, error) {
	name := aws.ToString(in.Name)
	snap := s.w.Directory().Snapshot()
	if err := authorize(snap, caller, "eks:UpdateClusterConfig", clusterARN(region(caller), caller.AccountID, name), clusterTagContext(snap, caller, name, nil)); err != nil {
		return nil, err
	}
	if err := unsimulated(map[string]bool{
		"remoteNetworkConfig": in.RemoteNetworkConfig != nil, "controlPlaneScalingConfig": in.ControlPlaneScalingConfig != nil,
		"kubeApiServerConfig": in.KubeApiServerConfig != nil, "kubeControllerManagerConfig": in.KubeControllerManagerConfig != nil,
		"kubeSchedulerConfig": in.KubeSchedulerConfig != nil,
	}); err != nil {
		return nil, err
	}
	if cc := in.ComputeConfig; cc != nil && aws.ToString(cc.NodeRoleArn) != "" {
		if err := authorize(snap, caller, "iam:PassRole", *cc.NodeRoleArn, nil); err != nil {
			return nil, err
		}
	}
	u, err := s.startUpdate(ctx, caller, name, aws.ToString(in.ClientRequestToken), func(c *directory.Cluster) (*clusterChange, error) {
		return configChange(c, in)
	})
	if err != nil {
		return nil, err
	}
	return &sdk.UpdateClusterConfigOutput{Update: u}, nil
}

// configChange is the one change an UpdateClusterConfig request asks of c.
func configChange(c *directory.Cluster, in *sdk.UpdateClusterConfigInput) (*clusterChange, error) {
	var changes []func() (*clusterChange, error)
	if v := in.ResourcesVpcConfig; v != nil {
		endpoint := v.EndpointPublicAccess != nil || v.EndpointPrivateAccess != nil || v.PublicAccessCidrs != nil
		vpc := v.SubnetIds != nil || v.SecurityGroupIds != nil
		if endpoint && vpc {
			return nil, invalidParameter("Only one type of update can be allowed.")
		}
		if endpoint {
			changes = append(changes, func() (*clusterChange, error) { return endpointChange(c, v) })
		}
		if vpc {
			changes = append(changes, func() (*clusterChange, error) { return vpcChange(c, v) })
		}
		if !endpoint && !vpc {
			return nil, invalidParameter("resourcesVpcConfig names nothing to update.")
		}
	}
	if in.Logging != nil {
		changes = append(changes, func() (*clusterChange, error) { return loggingChange(c, in.Logging) })
	}
	if in.AccessConfig != nil {
		changes = append(changes, func() (*clusterChange, error) { return accessChange(c, in.AccessConfig) })
	}
	if in.UpgradePolicy != nil {
		changes = append(changes, func() (*clusterChange, error) { return upgradePolicyChange(in.UpgradePolicy) })
	}
	if in.ZonalShiftConfig != nil {
		enabled := aws.ToBool(in.ZonalShiftConfig.Enabled)
		changes = append(changes, func() (*clusterChange, error) {
			return &clusterChange{
				typ:    types.UpdateTypeZonalShiftConfigUpdate,
				params: []directory.ClusterUpdateParam{{Type: string(types.UpdateParamTypeZonalShiftConfig), Value: jsonValue(map[string]bool{"enabled": enabled})}},
				apply:  func(c *directory.Cluster) error { c.ZonalShift = aws.Bool(enabled); return nil },
			}, nil
		})
	}
	if in.ComputeConfig != nil || in.StorageConfig != nil || in.KubernetesNetworkConfig != nil {
		changes = append(changes, func() (*clusterChange, error) { return autoModeChange(c, in) })
	}
	if in.DeletionProtection != nil {
		on := *in.DeletionProtection
		changes = append(changes, func() (*clusterChange, error) {
			return &clusterChange{
				typ:    types.UpdateTypeDeletionProtectionUpdate,
				params: []directory.ClusterUpdateParam{{Type: string(types.UpdateParamTypeDeletionProtection), Value: strconv.FormatBool(on)}},
				apply:  func(c *directory.Cluster) error { c.DeletionProtection = aws.Bool(on); return nil },
			}, nil
		})
	}
	switch len(changes) {
	case 0:
		return nil, invalidParameter("The request names no update: give one of resourcesVpcConfig, logging, accessConfig, upgradePolicy, zonalShiftConfig, computeConfig/storageConfig/kubernetesNetworkConfig or deletionProtection.")
	case 1:
		return changes[0]()
	}
	return nil, invalidParameter("Only one type of update can be allowed.")
}

// jsonValue is an update parameter's value holding JSON.
func jsonValue(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func endpointChange(c *directory.Cluster, v *types.VpcConfigRequest) (*clusterChange, error) {
	cur := vpcResponse(c)
	public, private, cidrs := cur.EndpointPublicAccess, cur.EndpointPrivateAccess, cur.PublicAccessCidrs
	if v.EndpointPublicAccess != nil {
		public = *v.EndpointPublicAccess
	}
	if v.EndpointPrivateAccess != nil {
		private = *v.EndpointPrivateAccess
	}
	if v.PublicAccessCidrs != nil {
		if err := checkCIDRs("publicAccessCidrs", v.PublicAccessCidrs); err != nil {
			return nil, err
		}
		cidrs = slices.Clone(v.PublicAccessCidrs)
		if len(cidrs) == 0 {
			cidrs = []string{defaultPublicCIDR}
		}
	}
	if !public && !private {
		return nil, invalidParameter("The cluster endpoint must have public access, private access or both enabled.")
	}
	if public == cur.EndpointPublicAccess && private == cur.EndpointPrivateAccess && slices.Equal(cidrs, cur.PublicAccessCidrs) {
		return nil, invalidParameter("Cluster is already at the desired configuration with endpointPrivateAccess: %t , endpointPublicAccess: %t, and Public Endpoint Restrictions: [%s]", private, public, strings.Join(cidrs, ", "))
	}
	return &clusterChange{
		typ: types.UpdateTypeEndpointAccessUpdate,
		params: []directory.ClusterUpdateParam{
			{Type: string(types.UpdateParamTypeEndpointPublicAccess), Value: strconv.FormatBool(public)},
			{Type: string(types.UpdateParamTypeEndpointPrivateAccess), Value: strconv.FormatBool(private)},
			{Type: string(types.UpdateParamTypePublicAccessCidrs), Value: jsonValue(cidrs)},
		},
		apply: func(c *directory.Cluster) error {
			v := copyVPC(c)
			v.PublicAccess, v.PrivateAccess = public, private
			v.PublicAccessCIDRs = cidrs
			if slices.Equal(cidrs, []string{defaultPublicCIDR}) {
				v.PublicAccessCIDRs = nil
			}
			c.VPCConfig = v
			return nil
		},
	}, nil
}

// copyVPC is a copy of the cluster's VPC configuration to change.
func copyVPC(c *directory.Cluster) *directory.ClusterVPCConfig {
	if c.VPCConfig == nil {
		return &directory.ClusterVPCConfig{PublicAccess: true}
	}
	v := *c.VPCConfig
	v.SubnetIDs, v.SecurityGroupIDs, v.PublicAccessCIDRs = slices.Clone(v.SubnetIDs), slices.Clone(v.SecurityGroupIDs), slices.Clone(v.PublicAccessCIDRs)
	return &v
}

func vpcChange(c *directory.Cluster, v *types.VpcConfigRequest) (*clusterChange, error) {
	if len(v.SubnetIds) > maxSubnetIDs {
		return nil, invalidParameter("A cluster can have at most %d subnets.", maxSubnetIDs)
	}
	if len(v.SecurityGroupIds) > maxSecurityGroupIDs {
		return nil, invalidParameter("A cluster can have at most %d security groups.", maxSecurityGroupIDs)
	}
	var params []directory.ClusterUpdateParam
	if v.SubnetIds != nil {
		params = append(params, directory.ClusterUpdateParam{Type: string(types.UpdateParamTypeSubnets), Value: jsonValue(v.SubnetIds)})
	}
	if v.SecurityGroupIds != nil {
		params = append(params, directory.ClusterUpdateParam{Type: string(types.UpdateParamTypeSecurityGroups), Value: jsonValue(v.SecurityGroupIds)})
	}
	return &clusterChange{
		typ:    types.UpdateTypeVpcConfigUpdate,
		params: params,
		apply: func(c *directory.Cluster) error {
			n := copyVPC(c)
			if v.SubnetIds != nil {
				n.SubnetIDs = slices.Clone(v.SubnetIds)
			}
			if v.SecurityGroupIds != nil {
				n.SecurityGroupIDs = slices.Clone(v.SecurityGroupIds)
			}
			c.VPCConfig = n
			return nil
		},
	}, nil
}

func loggingChange(c *directory.Cluster, l *types.Logging) (*clusterChange, error) {
	enabled, err := applyLogging(c.LogTypes, l)
	if err != nil {
		return nil, err
	}
	if slices.Equal(enabled, c.LogTypes) || (len(enabled) == 0 && len(c.LogTypes) == 0) {
		return nil, invalidParameter("No changes needed for the logging config provided")
	}
	return &clusterChange{
		typ:    types.UpdateTypeLoggingUpdate,
		params: []directory.ClusterUpdateParam{{Type: string(types.UpdateParamTypeClusterLogging), Value: loggingParam(l)}},
		apply:  func(c *directory.Cluster) error { c.LogTypes = enabled; return nil },
	}, nil
}

// loggingParam is the ClusterLogging parameter of a logging update: the
// request's logging as JSON.
func loggingParam(l *types.Logging) string {
	type setup struct {
		Types   []types.LogType `json:"types"`
		Enabled bool            `json:"enabled"`
	}
	var v struct {
		ClusterLogging []setup `json:"clusterLogging"`
	}
	v.ClusterLogging = []setup{}
	for _, s := range l.ClusterLogging {
		v.ClusterLogging = append(v.ClusterLogging, setup{Types: s.Types, Enabled: aws.ToBool(s.Enabled)})
	}
	return jsonValue(v)
}

// authModeOrder is the only direction authentication modes change in.
var authModeOrder = []types.AuthenticationMode{types.AuthenticationModeConfigMap, types.AuthenticationModeApiAndConfigMap, types.AuthenticationModeApi}

func accessChange(c *directory.Cluster, a *types.UpdateAccessConfigRequest) (*clusterChange, error) {
	if a.AuthenticationMode == "" {
		return nil, invalidParameter("accessConfig names nothing to update.")
	}
	if err := checkAuthMode(a.AuthenticationMode); err != nil {
		return nil, err
	}
	cur := defaultAuthMode
	if c.AuthenticationMode != "" {
		cur = types.AuthenticationMode(c.AuthenticationMode)
	}
	if slices.Index(authModeOrder, a.AuthenticationMode) <= slices.Index(authModeOrder, cur) {
		return nil, invalidParameter("Unsupported authentication mode update from %s to %s", cur, a.AuthenticationMode)
	}
	mode := string(a.AuthenticationMode)
	return &clusterChange{
		typ:    types.UpdateTypeAccessConfigUpdate,
		params: []directory.ClusterUpdateParam{{Type: string(types.UpdateParamTypeAuthenticationMode), Value: mode}},
		apply:  func(c *directory.Cluster) error { c.AuthenticationMode = mode; return nil },
	}, nil
}

func upgradePolicyChange(u *types.UpgradePolicyRequest) (*clusterChange, error) {
	if err := checkSupportType(u.SupportType); err != nil {
		return nil, err
	}
	st := string(u.SupportType)
	return &clusterChange{
		typ:    types.UpdateTypeUpgradePolicyUpdate,
		params: []directory.ClusterUpdateParam{{Type: string(types.UpdateParamTypeUpgradePolicy), Value: jsonValue(map[string]string{"supportType": st})}},
		apply:  func(c *directory.Cluster) error { c.SupportType = st; return nil },
	}, nil
}

// autoModeChange changes compute, storage and the load balancing of the
// Kubernetes network together; the network's service CIDR and IP family
// cannot change.
func autoModeChange(c *directory.Cluster, in *sdk.UpdateClusterConfigInput) (*clusterChange, error) {
	var params []directory.ClusterUpdateParam
	var cc *directory.ClusterCompute
	var net *directory.ClusterNetwork
	var err error
	if in.ComputeConfig != nil {
		if cc, err = compute(in.ComputeConfig); err != nil {
			return nil, err
		}
		params = append(params, directory.ClusterUpdateParam{Type: string(types.UpdateParamTypeComputeConfig), Value: jsonValue(cc)})
	}
	if n := in.KubernetesNetworkConfig; n != nil {
		if net, err = network(n); err != nil {
			return nil, err
		}
		cur := networkResponse(c)
		if net.ServiceIPv4CIDR != "" && net.ServiceIPv4CIDR != aws.ToString(cur.ServiceIpv4Cidr) {
			return nil, invalidParameter("The serviceIpv4Cidr of a cluster cannot change.")
		}
		if net.IPFamily != "" && net.IPFamily != string(cur.IpFamily) {
			return nil, invalidParameter("The ipFamily of a cluster cannot change.")
		}
		params = append(params, directory.ClusterUpdateParam{Type: string(types.UpdateParamTypeKubernetesNetworkConfig), Value: jsonValue(net)})
	}
	var storage *bool
	if sc := in.StorageConfig; sc != nil {
		on := sc.BlockStorage != nil && aws.ToBool(sc.BlockStorage.Enabled)
		storage = &on
		params = append(params, directory.ClusterUpdateParam{Type: string(types.UpdateParamTypeStorageConfig), Value: jsonValue(map[string]any{"blockStorage": map[string]bool{"enabled": on}})})
	}
	return &clusterChange{
		typ:    types.UpdateTypeAutoModeUpdate,
		params: params,
		apply: func(c *directory.Cluster) error {
			if cc != nil {
				c.Compute = cc
			}
			if net != nil && net.ElasticLoadBalancing != nil {
				n := directory.ClusterNetwork{}
				if c.Network != nil {
					n = *c.Network
				}
				n.ElasticLoadBalancing = net.ElasticLoadBalancing
				c.Network = &n
			}
			if storage != nil {
				c.BlockStorage = storage
			}
			return nil
		},
	}, nil
}

// updateTarget checks the node group or add-on an update request names
// (EKS has no capabilities here) and returns the filter of its updates:
// those of the resource, or those of the cluster itself when it names
// none.
func updateTarget(c *directory.Cluster, nodegroup, addon, capability *string) (func(u *directory.ClusterUpdate) bool, error) {
	switch {
	case aws.ToString(nodegroup) != "":
		if _, ok := c.Nodegroups[*nodegroup]; !ok {
			return nil, nodegroupNotFound(c.Name, *nodegroup)
		}
		return func(u *directory.ClusterUpdate) bool { return u.Nodegroup == *nodegroup }, nil
	case aws.ToString(addon) != "":
		if _, ok := c.Addons[*addon]; !ok {
			return nil, addonNotFound(c.Name, *addon)
		}
		return func(u *directory.ClusterUpdate) bool { return u.Addon == *addon }, nil
	case aws.ToString(capability) != "":
		return nil, &Error{Status: http.StatusNotFound, Code: "ResourceNotFoundException", Message: "No capability: " + *capability + " found in cluster: " + c.Name, ClusterName: c.Name}
	}
	return func(u *directory.ClusterUpdate) bool { return u.Nodegroup == "" && u.Addon == "" }, nil
}

// DescribeUpdate describes one of a cluster's updates.
func (s *Service) DescribeUpdate(_ context.Context, caller *directory.Caller, in *sdk.DescribeUpdateInput) (*sdk.DescribeUpdateOutput, error) {
	name, id := aws.ToString(in.Name), aws.ToString(in.UpdateId)
	snap := s.w.Directory().Snapshot()
	if err := authorize(snap, caller, "eks:DescribeUpdate", clusterARN(region(caller), caller.AccountID, name), clusterTagContext(snap, caller, name, nil)); err != nil {
		return nil, err
	}
	c, err := s.lookup(snap, caller, name)
	if err != nil {
		return nil, err
	}
	of, err := updateTarget(c, in.NodegroupName, in.AddonName, in.CapabilityName)
	if err != nil {
		return nil, err
	}
	for i := range c.Updates {
		if c.Updates[i].ID == id && of(&c.Updates[i]) {
			return &sdk.DescribeUpdateOutput{Update: describeUpdate(&c.Updates[i])}, nil
		}
	}
	return nil, updateNotFound(name, id)
}

// updatesTokenPrefix starts ListUpdates' page tokens.
const updatesTokenPrefix = "u1."

// ListUpdates lists the IDs of a cluster's updates, oldest first, in
// pages.
func (s *Service) ListUpdates(_ context.Context, caller *directory.Caller, in *sdk.ListUpdatesInput) (*sdk.ListUpdatesOutput, error) {
	name := aws.ToString(in.Name)
	snap := s.w.Directory().Snapshot()
	if err := authorize(snap, caller, "eks:ListUpdates", clusterARN(region(caller), caller.AccountID, name), clusterTagContext(snap, caller, name, nil)); err != nil {
		return nil, err
	}
	c, err := s.lookup(snap, caller, name)
	if err != nil {
		return nil, err
	}
	of, err := updateTarget(c, in.NodegroupName, in.AddonName, in.CapabilityName)
	if err != nil {
		return nil, err
	}
	var updates []*directory.ClusterUpdate
	for i := range c.Updates {
		if of(&c.Updates[i]) {
			updates = append(updates, &c.Updates[i])
		}
	}
	max, err := pageSize(in.MaxResults)
	if err != nil {
		return nil, err
	}
	start := 0
	if tok := aws.ToString(in.NextToken); tok != "" {
		// The token holds the ID the next page starts at.
		rest, ok := strings.CutPrefix(tok, updatesTokenPrefix)
		b, err := base64.RawURLEncoding.DecodeString(rest)
		if !ok || err != nil {
			return nil, invalidParameter("The nextToken is not valid.")
		}
		start = slices.IndexFunc(updates, func(u *directory.ClusterUpdate) bool { return u.ID == string(b) })
		if start < 0 {
			return nil, invalidParameter("The nextToken is not valid.")
		}
	}
	end := min(start+max, len(updates))
	out := &sdk.ListUpdatesOutput{UpdateIds: []string{}}
	for _, u := range updates[start:end] {
		out.UpdateIds = append(out.UpdateIds, u.ID)
	}
	if end < len(updates) {
		out.NextToken = aws.String(updatesTokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(updates[end].ID)))
	}
	return out, nil
}
