package eks

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/assumed-dev/assumed/internal/directory"
)

// Managed node groups
//
// A node group is ACTIVE as soon as it is created, with an Auto Scaling
// group name in its resources and no instances anywhere. Its node role
// must be an existing role of the cluster's account that EC2 may assume.
// Updates of its configuration and version complete at once. A cluster
// with node groups can't be deleted.

// Defaults, as EKS sets them.
const (
	defaultInstanceType    = "t3.medium"
	defaultDiskSize        = 20
	defaultMinSize         = 1
	defaultMaxSize         = 2
	defaultDesiredSize     = 2
	defaultMaxUnavailable  = 1
	maxNodegroupTaints     = 50
	maxNodegroupLabels     = 100
	maxNodegroupNameLength = 63
	// EKS's quotas per cluster.
	maxNodegroupsPerCluster      = 30
	maxFargateProfilesPerCluster = 10
	// amiReleaseDate ends the simulated AMIs' release versions.
	amiReleaseDate = "20251016"
	// ec2Service and fargateService are the service principals the node
	// and pod execution roles must trust.
	ec2Service     = "ec2.amazonaws.com"
	fargateService = "eks-fargate-pods.amazonaws.com"
)

func nodegroupNotFound(cluster, name string) *Error {
	e := notFound(cluster, "No node group found for name: %s.", name)
	e.NodegroupName = name
	return e
}

func nodegroupInvalid(cluster, name, format string, args ...any) *Error {
	e := invalidParameter(format, args...)
	e.ClusterName, e.NodegroupName = cluster, name
	return e
}

// armFamily matches the instance families of Graviton (arm64) types:
// m6g, c7gn, t4g, r8gd, …
var armFamily = regexp.MustCompile(`^[a-z]+[0-9]+g[a-z]*\.`)

// defaultAMIType is the AMI type EKS picks for a node group that names
// none: Amazon Linux 2023 from Kubernetes 1.30 on (Amazon Linux 2
// before), for Arm instance types when they are.
func defaultAMIType(version string, instanceTypes []string) types.AMITypes {
	arm := len(instanceTypes) > 0 && armFamily.MatchString(instanceTypes[0])
	if m, ok := minorVersion(version); ok && m < 30 {
		if arm {
			return types.AMITypesAl2Arm64
		}
		return types.AMITypesAl2X8664
	}
	if arm {
		return types.AMITypesAl2023Arm64Standard
	}
	return types.AMITypesAl2023X8664Standard
}

// releaseVersion is the AMI release version EKS picks for a Kubernetes
// version.
func releaseVersion(version string) string {
	return kubernetesPatch(version) + "-" + amiReleaseDate
}

// nodeAccessType is the access entry type of a node group's role.
func nodeAccessType(amiType string) string {
	if strings.HasPrefix(amiType, "WINDOWS_") {
		return accessEntryEC2Windows
	}
	return accessEntryEC2Linux
}

// describeNodegroup is the node group as EKS describes it.
func describeNodegroup(c *directory.Cluster, n *directory.Nodegroup, status types.NodegroupStatus) *types.Nodegroup {
	out := &types.Nodegroup{
		NodegroupName: aws.String(n.Name), NodegroupArn: aws.String(n.ARN), ClusterName: aws.String(c.Name),
		Version: aws.String(n.Version), ReleaseVersion: aws.String(n.ReleaseVersion), CreatedAt: aws.Time(n.CreatedAt), ModifiedAt: aws.Time(n.ModifiedAt),
		Status: status, CapacityType: types.CapacityTypes(n.CapacityType), AmiType: types.AMITypes(n.AMIType), NodeRole: aws.String(n.NodeRoleARN),
		Subnets: slices.Clone(n.Subnets), InstanceTypes: slices.Clone(n.InstanceTypes), Labels: maps.Clone(n.Labels), Taints: []types.Taint{},
		ScalingConfig: &types.NodegroupScalingConfig{MinSize: aws.Int32(n.MinSize), MaxSize: aws.Int32(n.MaxSize), DesiredSize: aws.Int32(n.DesiredSize)},
		Health:        &types.NodegroupHealth{Issues: []types.Issue{}}, Tags: maps.Clone(n.Tags),
		UpdateConfig: &types.NodegroupUpdateConfig{},
		Resources:    &types.NodegroupResources{AutoScalingGroups: []types.AutoScalingGroup{{Name: aws.String(autoScalingGroupName(n))}}},
	}
	if out.Labels == nil {
		out.Labels = map[string]string{}
	}
	if out.Tags == nil {
		out.Tags = map[string]string{}
	}
	if n.DiskSize != 0 {
		out.DiskSize = aws.Int32(n.DiskSize)
	}
	for _, t := range n.Taints {
		tt := types.Taint{Key: aws.String(t.Key), Effect: types.TaintEffect(t.Effect)}
		if t.Value != "" {
			tt.Value = aws.String(t.Value)
		}
		out.Taints = append(out.Taints, tt)
	}
	if n.MaxUnavailablePercentage != 0 {
		out.UpdateConfig.MaxUnavailablePercentage = aws.Int32(n.MaxUnavailablePercentage)
	} else {
		out.UpdateConfig.MaxUnavailable = aws.Int32(n.MaxUnavailable)
	}
	if n.UpdateStrategy != "" {
		out.UpdateConfig.UpdateStrategy = types.NodegroupUpdateStrategies(n.UpdateStrategy)
	}
	if n.NodeRepair != nil {
		out.NodeRepairConfig = &types.NodeRepairConfig{Enabled: aws.Bool(*n.NodeRepair)}
	}
	if lt := n.LaunchTemplate; lt != nil {
		out.LaunchTemplate = &types.LaunchTemplateSpecification{}
		for _, f := range []struct {
			dst **string
			v   string
		}{{&out.LaunchTemplate.Id, lt.ID}, {&out.LaunchTemplate.Name, lt.Name}, {&out.LaunchTemplate.Version, lt.Version}} {
			if f.v != "" {
				*f.dst = aws.String(f.v)
			}
		}
	}
	if ra := n.RemoteAccess; ra != nil {
		out.RemoteAccess = &types.RemoteAccessConfig{SourceSecurityGroups: slices.Clone(ra.SourceSecurityGroups)}
		if ra.EC2SSHKey != "" {
			out.RemoteAccess.Ec2SshKey = aws.String(ra.EC2SSHKey)
		}
		if len(ra.SourceSecurityGroups) == 0 {
			// EKS opens SSH with a security group of its own.
			out.Resources.RemoteAccessSecurityGroup = aws.String(derivedID(c, "sg-", "remote-access/"+n.ARN))
		}
	}
	return out
}

// autoScalingGroupName is the name EKS gives a node group's Auto Scaling
// group: eks-NAME-UUID.
func autoScalingGroupName(n *directory.Nodegroup) string {
	return "eks-" + n.Name + "-" + n.ARN[strings.LastIndex(n.ARN, "/")+1:]
}

// nodegroupOf finds a node group of the caller's cluster.
func (s *Service) nodegroupOf(snap *directory.Snapshot, caller *directory.Caller, cluster, name string) (*directory.Cluster, *directory.Nodegroup, error) {
	c, err := s.lookup(snap, caller, cluster)
	if err != nil {
		return nil, nil, err
	}
	n, ok := c.Nodegroups[name]
	if !ok {
		return nil, nil, nodegroupNotFound(cluster, name)
	}
	return c, n, nil
}

// checkScaling checks a node group's sizes.
func checkScaling(cluster, name string, minSize, maxSize, desired int32) error {
	switch {
	case maxSize < 1:
		return nodegroupInvalid(cluster, name, "Maximum capacity %d must be at least 1.", maxSize)
	case minSize < 0 || desired < 0:
		return nodegroupInvalid(cluster, name, "Minimum and desired capacity must not be negative.")
	case minSize > maxSize:
		return nodegroupInvalid(cluster, name, "Minimum capacity %d can't be greater than maximum capacity %d.", minSize, maxSize)
	case desired < minSize:
		return nodegroupInvalid(cluster, name, "Desired capacity %d can't be lower than minimum capacity %d.", desired, minSize)
	case desired > maxSize:
		return nodegroupInvalid(cluster, name, "Desired capacity %d can't be greater than maximum capacity %d.", desired, maxSize)
	}
	return nil
}

// checkTaints checks node group taints.
func checkTaints(cluster, name string, taints []types.Taint) ([]directory.NodegroupTaint, error) {
	var out []directory.NodegroupTaint
	for _, t := range taints {
		key := aws.ToString(t.Key)
		if key == "" || len(key) > 63 || len(aws.ToString(t.Value)) > 63 {
			return nil, nodegroupInvalid(cluster, name, "Taint keys must be 1-63 characters and values at most 63.")
		}
		if !slices.Contains(t.Effect.Values(), t.Effect) {
			return nil, nodegroupInvalid(cluster, name, "Taint effect %q is not one of %s.", string(t.Effect), joinEnum(t.Effect.Values()))
		}
		out = append(out, directory.NodegroupTaint{Key: key, Value: aws.ToString(t.Value), Effect: string(t.Effect)})
	}
	return out, nil
}

// updateConfig checks an updateConfig and returns its two values.
func updateConfig(cluster, name string, u *types.NodegroupUpdateConfig) (int32, int32, string, error) {
	n, pct := aws.ToInt32(u.MaxUnavailable), aws.ToInt32(u.MaxUnavailablePercentage)
	if (u.MaxUnavailable != nil) == (u.MaxUnavailablePercentage != nil) {
		return 0, 0, "", nodegroupInvalid(cluster, name, "updateConfig needs exactly one of maxUnavailable and maxUnavailablePercentage.")
	}
	if (u.MaxUnavailable != nil && (n < 1 || n > 100)) || (u.MaxUnavailablePercentage != nil && (pct < 1 || pct > 100)) {
		return 0, 0, "", nodegroupInvalid(cluster, name, "maxUnavailable and maxUnavailablePercentage must be between 1 and 100.")
	}
	if u.UpdateStrategy != "" && !slices.Contains(u.UpdateStrategy.Values(), u.UpdateStrategy) {
		return 0, 0, "", nodegroupInvalid(cluster, name, "updateStrategy %q is not one of %s.", string(u.UpdateStrategy), joinEnum(u.UpdateStrategy.Values()))
	}
	return n, pct, string(u.UpdateStrategy), nil
}

// checkNodeVersion checks a node group's Kubernetes version against its
// cluster's: never newer.
func checkNodeVersion(c *directory.Cluster, name, version string) error {
	v, ok := minorVersion(version)
	cv, _ := minorVersion(c.Version)
	if !ok {
		return nodegroupInvalid(c.Name, name, "Requested Nodegroup version %s is invalid.", version)
	}
	if v > cv {
		return nodegroupInvalid(c.Name, name, "Requested Nodegroup version %s is invalid. The version must be equal to or lower than the cluster version %s.", version, c.Version)
	}
	return nil
}

// checkNodeRole checks that a role exists in the cluster's account and
// trusts the service.
func checkNodeRole(snap *directory.Snapshot, c *directory.Cluster, field, roleARN, service string) error {
	if err := checkRoleARN(field, roleARN); err != nil {
		return err
	}
	r, ok := roleByARN(snap, roleARN)
	if !ok || !strings.HasPrefix(roleARN, "arn:aws:iam::"+c.AccountID+":") {
		return invalidParameter("The role with name %s cannot be found.", roleARN[strings.LastIndex(roleARN, "/")+1:])
	}
	if !trusts(r, service) {
		if service == fargateService {
			return invalidParameter("Misconfigured PodExecutionRole Trust Policy; Please add the %s Service Principal", service)
		}
		return invalidParameter("Following required service principals [%s] were not found in the trust relationships of nodeRole %s", service, roleARN)
	}
	return nil
}

// CreateNodegroup creates a managed node group.
func (s *Service) CreateNodegroup(ctx context.Context, caller *directory.Caller, in *sdk.CreateNodegroupInput) (*sdk.CreateNodegroupOutput, error) {
	cluster, name, role := aws.ToString(in.ClusterName), aws.ToString(in.NodegroupName), aws.ToString(in.NodeRole)
	snap := s.w.Directory().Snapshot()
	if err := authorizeCluster(snap, caller, "eks:CreateNodegroup", cluster, tagContext(in.Tags)); err != nil {
		return nil, err
	}
	if err := checkResourceName("nodegroupName", name, maxNodegroupNameLength); err != nil {
		return nil, err
	}
	if role == "" {
		return nil, nodegroupInvalid(cluster, name, "nodeRole is required.")
	}
	if err := authorize(snap, caller, "iam:PassRole", role, nil); err != nil {
		return nil, err
	}
	n, err := newNodegroup(cluster, name, in)
	if err != nil {
		return nil, err
	}
	token := aws.ToString(in.ClientRequestToken)
	var out *types.Nodegroup
	err = s.w.Update(ctx, func(t *directory.Txn) error {
		c, err := s.lookup(t.Snap, caller, cluster)
		if err != nil {
			return err
		}
		if old, ok := c.Nodegroups[name]; ok {
			if token != "" && old.ClientRequestToken == token {
				out = describeNodegroup(c, old, types.NodegroupStatusActive)
				return nil
			}
			e := resourceInUse(cluster, "NodeGroup already exists with name %s and cluster name %s", name, cluster)
			e.NodegroupName = name
			return e
		}
		if len(c.Nodegroups) >= maxNodegroupsPerCluster {
			return &Error{Status: http.StatusBadRequest, Code: "ResourceLimitExceededException", Message: fmt.Sprintf("Cluster %s has reached its limit of %d managed node groups.", cluster, maxNodegroupsPerCluster), ClusterName: cluster, NodegroupName: name}
		}
		if err := checkNodeRole(t.Snap, c, "nodeRole", role, ec2Service); err != nil {
			return err
		}
		if n.Version == "" {
			n.Version = c.Version
		}
		if err := checkNodeVersion(c, name, n.Version); err != nil {
			return err
		}
		if n.AMIType == "" {
			n.AMIType = string(defaultAMIType(n.Version, n.InstanceTypes))
		}
		if n.ReleaseVersion == "" {
			n.ReleaseVersion = releaseVersion(n.Version)
		}
		n.ARN = subARN(c.Region, c.AccountID, kindNodegroup, c.Name, name, newResourceID())
		n.CreatedAt = s.stamp()
		n.ModifiedAt, n.ClientRequestToken = n.CreatedAt, token
		cp := c.CloneResources()
		cp.Nodegroups[name] = n
		s.nodeAccessEntry(t.Snap, cp, role, nodeAccessType(n.AMIType))
		out = describeNodegroup(cp, n, types.NodegroupStatusActive)
		return putCluster(t, cp)
	})
	if err != nil {
		return nil, err
	}
	return &sdk.CreateNodegroupOutput{Nodegroup: out}, nil
}

// newNodegroup checks a CreateNodegroup request and builds the node
// group (what depends on the cluster is set later).
func newNodegroup(cluster, name string, in *sdk.CreateNodegroupInput) (*directory.Nodegroup, error) {
	if err := unsimulated(map[string]bool{"warmPoolConfig": in.WarmPoolConfig != nil}); err != nil {
		return nil, err
	}
	if len(in.Subnets) == 0 {
		return nil, nodegroupInvalid(cluster, name, "Subnets are required.")
	}
	if err := checkTagsMap(in.Tags); err != nil {
		return nil, err
	}
	n := &directory.Nodegroup{
		Name: name, NodeRoleARN: aws.ToString(in.NodeRole), Subnets: slices.Clone(in.Subnets), AMIType: string(in.AmiType),
		CapacityType: string(in.CapacityType), InstanceTypes: slices.Clone(in.InstanceTypes), Labels: maps.Clone(in.Labels),
		Version: aws.ToString(in.Version), ReleaseVersion: aws.ToString(in.ReleaseVersion), Tags: maps.Clone(in.Tags),
		MinSize: defaultMinSize, MaxSize: defaultMaxSize, DesiredSize: defaultDesiredSize, MaxUnavailable: defaultMaxUnavailable,
	}
	if n.AMIType != "" && !slices.Contains(in.AmiType.Values(), in.AmiType) {
		return nil, nodegroupInvalid(cluster, name, "amiType %q is not one of %s.", n.AMIType, joinEnum(in.AmiType.Values()))
	}
	switch in.CapacityType {
	case "":
		n.CapacityType = string(types.CapacityTypesOnDemand)
	case types.CapacityTypesOnDemand, types.CapacityTypesSpot:
	default:
		return nil, nodegroupInvalid(cluster, name, "capacityType %q is not one of ON_DEMAND, SPOT.", n.CapacityType)
	}
	if n.Version != "" {
		if err := checkVersion(n.Version); err != nil {
			return nil, err
		}
	}
	if lt := in.LaunchTemplate; lt != nil {
		id, ltName := aws.ToString(lt.Id), aws.ToString(lt.Name)
		if (id == "") == (ltName == "") {
			return nil, nodegroupInvalid(cluster, name, "Either provide launch template ID or launch template name in the request.")
		}
		if in.DiskSize != nil {
			return nil, nodegroupInvalid(cluster, name, "Disk size must be specified within the launch template.")
		}
		if in.RemoteAccess != nil {
			return nil, nodegroupInvalid(cluster, name, "Remote access configuration cannot be specified with a launch template.")
		}
		n.LaunchTemplate = &directory.NodegroupLaunchTemplate{ID: id, Name: ltName, Version: aws.ToString(lt.Version)}
		if n.LaunchTemplate.Version == "" {
			n.LaunchTemplate.Version = "1"
		}
	} else {
		n.DiskSize = defaultDiskSize
		if in.DiskSize != nil {
			if *in.DiskSize < 1 {
				return nil, nodegroupInvalid(cluster, name, "diskSize must be at least 1.")
			}
			n.DiskSize = *in.DiskSize
		}
		if len(n.InstanceTypes) == 0 {
			n.InstanceTypes = []string{defaultInstanceType}
		}
	}
	if ra := in.RemoteAccess; ra != nil {
		n.RemoteAccess = &directory.NodegroupRemoteAccess{EC2SSHKey: aws.ToString(ra.Ec2SshKey), SourceSecurityGroups: slices.Clone(ra.SourceSecurityGroups)}
	}
	if len(n.Labels) > maxNodegroupLabels {
		return nil, nodegroupInvalid(cluster, name, "A node group can have at most %d labels.", maxNodegroupLabels)
	}
	if err := checkLabels("labels", n.Labels); err != nil {
		return nil, err
	}
	if len(in.Taints) > maxNodegroupTaints {
		return nil, nodegroupInvalid(cluster, name, "A node group can have at most %d taints.", maxNodegroupTaints)
	}
	var err error
	if n.Taints, err = checkTaints(cluster, name, in.Taints); err != nil {
		return nil, err
	}
	if sc := in.ScalingConfig; sc != nil {
		if sc.MinSize != nil {
			n.MinSize = *sc.MinSize
		}
		if sc.MaxSize != nil {
			n.MaxSize = *sc.MaxSize
		}
		if sc.DesiredSize != nil {
			n.DesiredSize = *sc.DesiredSize
		} else {
			n.DesiredSize = n.MinSize
		}
	}
	if err := checkScaling(cluster, name, n.MinSize, n.MaxSize, n.DesiredSize); err != nil {
		return nil, err
	}
	if uc := in.UpdateConfig; uc != nil {
		if n.MaxUnavailable, n.MaxUnavailablePercentage, n.UpdateStrategy, err = updateConfig(cluster, name, uc); err != nil {
			return nil, err
		}
	}
	if rc := in.NodeRepairConfig; rc != nil {
		n.NodeRepair = aws.Bool(aws.ToBool(rc.Enabled))
	}
	return n, nil
}

// DescribeNodegroup describes a node group.
func (s *Service) DescribeNodegroup(_ context.Context, caller *directory.Caller, in *sdk.DescribeNodegroupInput) (*sdk.DescribeNodegroupOutput, error) {
	cluster, name := aws.ToString(in.ClusterName), aws.ToString(in.NodegroupName)
	snap := s.w.Directory().Snapshot()
	if err := authorizeResource(snap, caller, "eks:DescribeNodegroup", kindNodegroup, cluster, name, nil); err != nil {
		return nil, err
	}
	c, n, err := s.nodegroupOf(snap, caller, cluster, name)
	if err != nil {
		return nil, err
	}
	return &sdk.DescribeNodegroupOutput{Nodegroup: describeNodegroup(c, n, types.NodegroupStatusActive)}, nil
}

// nodegroupsTokenPrefix starts ListNodegroups' page tokens.
const nodegroupsTokenPrefix = "n1."

// ListNodegroups lists the names of a cluster's node groups.
func (s *Service) ListNodegroups(_ context.Context, caller *directory.Caller, in *sdk.ListNodegroupsInput) (*sdk.ListNodegroupsOutput, error) {
	page, next, err := s.listClusterNames(caller, "eks:ListNodegroups", aws.ToString(in.ClusterName), func(c *directory.Cluster) []string { return sortedKeys(c.Nodegroups) }, in.MaxResults, aws.ToString(in.NextToken), nodegroupsTokenPrefix)
	if err != nil {
		return nil, err
	}
	return &sdk.ListNodegroupsOutput{Nodegroups: page, NextToken: next}, nil
}

// UpdateNodegroupConfig changes a node group's labels, taints, sizes,
// update configuration or node repair; the update completes at once.
func (s *Service) UpdateNodegroupConfig(ctx context.Context, caller *directory.Caller, in *sdk.UpdateNodegroupConfigInput) (*sdk.UpdateNodegroupConfigOutput, error) {
	cluster, name := aws.ToString(in.ClusterName), aws.ToString(in.NodegroupName)
	snap := s.w.Directory().Snapshot()
	if err := authorizeResource(snap, caller, "eks:UpdateNodegroupConfig", kindNodegroup, cluster, name, nil); err != nil {
		return nil, err
	}
	if err := unsimulated(map[string]bool{"warmPoolConfig": in.WarmPoolConfig != nil}); err != nil {
		return nil, err
	}
	u, err := s.startUpdate(ctx, caller, cluster, aws.ToString(in.ClientRequestToken), func(c *directory.Cluster) (*clusterChange, error) {
		old, ok := c.Nodegroups[name]
		if !ok {
			return nil, nodegroupNotFound(cluster, name)
		}
		n := *old
		var params []directory.ClusterUpdateParam
		if l := in.Labels; l != nil && (len(l.AddOrUpdateLabels) > 0 || len(l.RemoveLabels) > 0) {
			n.Labels = maps.Clone(old.Labels)
			if n.Labels == nil {
				n.Labels = map[string]string{}
			}
			for _, k := range l.RemoveLabels {
				if _, ok := l.AddOrUpdateLabels[k]; ok {
					return nil, nodegroupInvalid(cluster, name, "Label %s can't be both added and removed.", k)
				}
				delete(n.Labels, k)
			}
			maps.Copy(n.Labels, l.AddOrUpdateLabels)
			if err := checkLabels("labels", n.Labels); err != nil {
				return nil, err
			}
			if len(n.Labels) > maxNodegroupLabels {
				return nil, nodegroupInvalid(cluster, name, "A node group can have at most %d labels.", maxNodegroupLabels)
			}
			if len(l.AddOrUpdateLabels) > 0 {
				params = append(params, updateParam(types.UpdateParamTypeLabelsToAdd, jsonValue(l.AddOrUpdateLabels)))
			}
			if len(l.RemoveLabels) > 0 {
				params = append(params, updateParam(types.UpdateParamTypeLabelsToRemove, jsonValue(l.RemoveLabels)))
			}
		}
		if tp := in.Taints; tp != nil && (len(tp.AddOrUpdateTaints) > 0 || len(tp.RemoveTaints) > 0) {
			add, err := checkTaints(cluster, name, tp.AddOrUpdateTaints)
			if err != nil {
				return nil, err
			}
			remove, err := checkTaints(cluster, name, tp.RemoveTaints)
			if err != nil {
				return nil, err
			}
			same := func(a, b directory.NodegroupTaint) bool { return a.Key == b.Key && a.Effect == b.Effect }
			n.Taints = slices.DeleteFunc(slices.Clone(old.Taints), func(t directory.NodegroupTaint) bool {
				return slices.ContainsFunc(remove, func(r directory.NodegroupTaint) bool { return same(r, t) }) ||
					slices.ContainsFunc(add, func(a directory.NodegroupTaint) bool { return same(a, t) })
			})
			n.Taints = append(n.Taints, add...)
			if len(n.Taints) > maxNodegroupTaints {
				return nil, nodegroupInvalid(cluster, name, "A node group can have at most %d taints.", maxNodegroupTaints)
			}
			if len(add) > 0 {
				params = append(params, updateParam(types.UpdateParamTypeTaintsToAdd, jsonValue(tp.AddOrUpdateTaints)))
			}
			if len(remove) > 0 {
				params = append(params, updateParam(types.UpdateParamTypeTaintsToRemove, jsonValue(tp.RemoveTaints)))
			}
		}
		if sc := in.ScalingConfig; sc != nil {
			if sc.MinSize != nil {
				n.MinSize = *sc.MinSize
				params = append(params, updateParam(types.UpdateParamTypeMinSize, strconv.Itoa(int(n.MinSize))))
			}
			if sc.MaxSize != nil {
				n.MaxSize = *sc.MaxSize
				params = append(params, updateParam(types.UpdateParamTypeMaxSize, strconv.Itoa(int(n.MaxSize))))
			}
			if sc.DesiredSize != nil {
				n.DesiredSize = *sc.DesiredSize
				params = append(params, updateParam(types.UpdateParamTypeDesiredSize, strconv.Itoa(int(n.DesiredSize))))
			}
			if err := checkScaling(cluster, name, n.MinSize, n.MaxSize, n.DesiredSize); err != nil {
				return nil, err
			}
		}
		if uc := in.UpdateConfig; uc != nil {
			var err error
			if n.MaxUnavailable, n.MaxUnavailablePercentage, n.UpdateStrategy, err = updateConfig(cluster, name, uc); err != nil {
				return nil, err
			}
			if uc.MaxUnavailable != nil {
				params = append(params, updateParam(types.UpdateParamTypeMaxUnavailable, strconv.Itoa(int(n.MaxUnavailable))))
			} else {
				params = append(params, updateParam(types.UpdateParamTypeMaxUnavailablePercentage, strconv.Itoa(int(n.MaxUnavailablePercentage))))
			}
			if n.UpdateStrategy != "" {
				params = append(params, updateParam(types.UpdateParamTypeUpdateStrategy, n.UpdateStrategy))
			}
		}
		if rc := in.NodeRepairConfig; rc != nil {
			n.NodeRepair = aws.Bool(aws.ToBool(rc.Enabled))
			params = append(params, updateParam(types.UpdateParamTypeNodeRepairEnabled, strconv.FormatBool(*n.NodeRepair)))
		}
		if len(params) == 0 {
			return nil, nodegroupInvalid(cluster, name, "No changes needed for the nodegroup config provided.")
		}
		n.ModifiedAt = s.stamp()
		return &clusterChange{
			typ: types.UpdateTypeConfigUpdate, params: params, nodegroup: name,
			apply: func(c *directory.Cluster) error { c.Nodegroups[name] = &n; return nil },
		}, nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.UpdateNodegroupConfigOutput{Update: u}, nil
}

// UpdateNodegroupVersion moves a node group to a Kubernetes version (the
// cluster's, by default), an AMI release or a launch template version;
// the update completes at once.
func (s *Service) UpdateNodegroupVersion(ctx context.Context, caller *directory.Caller, in *sdk.UpdateNodegroupVersionInput) (*sdk.UpdateNodegroupVersionOutput, error) {
	cluster, name := aws.ToString(in.ClusterName), aws.ToString(in.NodegroupName)
	snap := s.w.Directory().Snapshot()
	if err := authorizeResource(snap, caller, "eks:UpdateNodegroupVersion", kindNodegroup, cluster, name, nil); err != nil {
		return nil, err
	}
	u, err := s.startUpdate(ctx, caller, cluster, aws.ToString(in.ClientRequestToken), func(c *directory.Cluster) (*clusterChange, error) {
		old, ok := c.Nodegroups[name]
		if !ok {
			return nil, nodegroupNotFound(cluster, name)
		}
		n := *old
		if lt := in.LaunchTemplate; lt != nil {
			if old.LaunchTemplate == nil {
				return nil, nodegroupInvalid(cluster, name, "The node group was not created with a launch template: a launch template can't be specified.")
			}
			id, ltName := aws.ToString(lt.Id), aws.ToString(lt.Name)
			if (id != "" && id != old.LaunchTemplate.ID) || (ltName != "" && ltName != old.LaunchTemplate.Name) {
				return nil, nodegroupInvalid(cluster, name, "The launch template of a node group can't change: only its version can.")
			}
			if id != "" && ltName != "" {
				return nil, nodegroupInvalid(cluster, name, "Either provide launch template ID or launch template name in the request.")
			}
			cp := *old.LaunchTemplate
			if v := aws.ToString(lt.Version); v != "" {
				cp.Version = v
			}
			n.LaunchTemplate = &cp
		}
		version := aws.ToString(in.Version)
		if version == "" && in.LaunchTemplate == nil && in.ReleaseVersion == nil {
			version = c.Version
		}
		if version != "" {
			if err := checkNodeVersion(c, name, version); err != nil {
				return nil, err
			}
			if m, _ := minorVersion(version); m < mustMinor(old.Version) {
				return nil, nodegroupInvalid(cluster, name, "Requested Nodegroup version %s is invalid: a node group can't be downgraded from %s.", version, old.Version)
			}
			if version != old.Version {
				n.ReleaseVersion = releaseVersion(version)
			}
			n.Version = version
		}
		if rv := aws.ToString(in.ReleaseVersion); rv != "" {
			n.ReleaseVersion = rv
		}
		params := []directory.ClusterUpdateParam{updateParam(types.UpdateParamTypeVersion, n.Version), updateParam(types.UpdateParamTypeReleaseVersion, n.ReleaseVersion)}
		if n.LaunchTemplate != nil {
			if n.LaunchTemplate.Name != "" {
				params = append(params, updateParam(types.UpdateParamTypeLaunchTemplateName, n.LaunchTemplate.Name))
			}
			params = append(params, updateParam(types.UpdateParamTypeLaunchTemplateVersion, n.LaunchTemplate.Version))
		}
		n.ModifiedAt = s.stamp()
		return &clusterChange{
			typ: types.UpdateTypeVersionUpdate, params: params, nodegroup: name,
			apply: func(c *directory.Cluster) error { c.Nodegroups[name] = &n; return nil },
		}, nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.UpdateNodegroupVersionOutput{Update: u}, nil
}

func mustMinor(v string) int {
	m, _ := minorVersion(v)
	return m
}

// DeleteNodegroup deletes a node group (and its updates).
func (s *Service) DeleteNodegroup(ctx context.Context, caller *directory.Caller, in *sdk.DeleteNodegroupInput) (*sdk.DeleteNodegroupOutput, error) {
	cluster, name := aws.ToString(in.ClusterName), aws.ToString(in.NodegroupName)
	snap := s.w.Directory().Snapshot()
	if err := authorizeResource(snap, caller, "eks:DeleteNodegroup", kindNodegroup, cluster, name, nil); err != nil {
		return nil, err
	}
	var out *types.Nodegroup
	err := s.w.Update(ctx, func(t *directory.Txn) error {
		c, n, err := s.nodegroupOf(t.Snap, caller, cluster, name)
		if err != nil {
			return err
		}
		cp := c.CloneResources()
		delete(cp.Nodegroups, name)
		cp.Updates = slices.DeleteFunc(slices.Clone(cp.Updates), func(u directory.ClusterUpdate) bool { return u.Nodegroup == name })
		out = describeNodegroup(c, n, types.NodegroupStatusDeleting)
		return putCluster(t, cp)
	})
	if err != nil {
		return nil, err
	}
	return &sdk.DeleteNodegroupOutput{Nodegroup: out}, nil
}

// Fargate profiles
//
// A Fargate profile is ACTIVE as soon as it is created; no pods run. Its
// pod execution role must be an existing role of the cluster's account
// that eks-fargate-pods.amazonaws.com may assume. Profiles can't be
// changed, only deleted; a cluster with profiles can't be deleted.

const (
	maxFargateSelectors = 5
	maxSelectorLabels   = 5
)

func fargateNotFound(cluster, name string) *Error {
	e := notFound(cluster, "No Fargate Profile found with name: %s.", name)
	e.FargateProfileName = name
	return e
}

// describeFargateProfile is the profile as EKS describes it.
func describeFargateProfile(c *directory.Cluster, f *directory.FargateProfile, status types.FargateProfileStatus) *types.FargateProfile {
	out := &types.FargateProfile{
		FargateProfileName: aws.String(f.Name), FargateProfileArn: aws.String(f.ARN), ClusterName: aws.String(c.Name),
		CreatedAt: aws.Time(f.CreatedAt), PodExecutionRoleArn: aws.String(f.PodExecutionRoleARN), Subnets: slices.Clone(f.Subnets),
		Status: status, Tags: maps.Clone(f.Tags), Health: &types.FargateProfileHealth{Issues: []types.FargateProfileIssue{}},
		Selectors: []types.FargateProfileSelector{},
	}
	if out.Subnets == nil {
		out.Subnets = []string{}
	}
	if out.Tags == nil {
		out.Tags = map[string]string{}
	}
	for _, sel := range f.Selectors {
		s := types.FargateProfileSelector{Namespace: aws.String(sel.Namespace), Labels: maps.Clone(sel.Labels)}
		if s.Labels == nil {
			s.Labels = map[string]string{}
		}
		out.Selectors = append(out.Selectors, s)
	}
	return out
}

// fargateProfileOf finds a Fargate profile of the caller's cluster.
func (s *Service) fargateProfileOf(snap *directory.Snapshot, caller *directory.Caller, cluster, name string) (*directory.Cluster, *directory.FargateProfile, error) {
	c, err := s.lookup(snap, caller, cluster)
	if err != nil {
		return nil, nil, err
	}
	f, ok := c.FargateProfiles[name]
	if !ok {
		return nil, nil, fargateNotFound(cluster, name)
	}
	return c, f, nil
}

// CreateFargateProfile creates a Fargate profile.
func (s *Service) CreateFargateProfile(ctx context.Context, caller *directory.Caller, in *sdk.CreateFargateProfileInput) (*sdk.CreateFargateProfileOutput, error) {
	cluster, name, role := aws.ToString(in.ClusterName), aws.ToString(in.FargateProfileName), aws.ToString(in.PodExecutionRoleArn)
	snap := s.w.Directory().Snapshot()
	if err := authorizeCluster(snap, caller, "eks:CreateFargateProfile", cluster, tagContext(in.Tags)); err != nil {
		return nil, err
	}
	if err := checkResourceName("fargateProfileName", name, 100); err != nil {
		return nil, err
	}
	if role == "" {
		return nil, invalidParameter("podExecutionRoleArn is required.")
	}
	if err := authorize(snap, caller, "iam:PassRole", role, nil); err != nil {
		return nil, err
	}
	if len(in.Selectors) == 0 || len(in.Selectors) > maxFargateSelectors {
		return nil, invalidParameter("A Fargate profile needs 1-%d selectors.", maxFargateSelectors)
	}
	f := &directory.FargateProfile{Name: name, PodExecutionRoleARN: role, Subnets: slices.Clone(in.Subnets), Tags: maps.Clone(in.Tags)}
	for _, sel := range in.Selectors {
		ns := aws.ToString(sel.Namespace)
		if ns == "" {
			return nil, invalidParameter("Each selector needs a namespace.")
		}
		if len(sel.Labels) > maxSelectorLabels {
			return nil, invalidParameter("A selector can have at most %d labels.", maxSelectorLabels)
		}
		if err := checkLabels("selector labels", sel.Labels); err != nil {
			return nil, err
		}
		f.Selectors = append(f.Selectors, directory.FargateSelector{Namespace: ns, Labels: maps.Clone(sel.Labels)})
	}
	if err := checkTagsMap(in.Tags); err != nil {
		return nil, err
	}
	token := aws.ToString(in.ClientRequestToken)
	var out *types.FargateProfile
	err := s.w.Update(ctx, func(t *directory.Txn) error {
		c, err := s.lookup(t.Snap, caller, cluster)
		if err != nil {
			return err
		}
		if old, ok := c.FargateProfiles[name]; ok {
			if token != "" && old.ClientRequestToken == token {
				out = describeFargateProfile(c, old, types.FargateProfileStatusActive)
				return nil
			}
			e := resourceInUse(cluster, "A Fargate Profile already exists with this name in this cluster.")
			e.FargateProfileName = name
			return e
		}
		if len(c.FargateProfiles) >= maxFargateProfilesPerCluster {
			return &Error{Status: http.StatusBadRequest, Code: "ResourceLimitExceededException", Message: fmt.Sprintf("Cluster %s has reached its limit of %d Fargate profiles.", cluster, maxFargateProfilesPerCluster), ClusterName: cluster, FargateProfileName: name}
		}
		if err := checkNodeRole(t.Snap, c, "podExecutionRoleArn", role, fargateService); err != nil {
			return err
		}
		f.ARN = subARN(c.Region, c.AccountID, kindFargateProfile, c.Name, name, newResourceID())
		f.CreatedAt, f.ClientRequestToken = s.stamp(), token
		cp := c.CloneResources()
		cp.FargateProfiles[name] = f
		s.nodeAccessEntry(t.Snap, cp, role, accessEntryFargate)
		out = describeFargateProfile(cp, f, types.FargateProfileStatusActive)
		return putCluster(t, cp)
	})
	if err != nil {
		return nil, err
	}
	return &sdk.CreateFargateProfileOutput{FargateProfile: out}, nil
}

// DescribeFargateProfile describes a Fargate profile.
func (s *Service) DescribeFargateProfile(_ context.Context, caller *directory.Caller, in *sdk.DescribeFargateProfileInput) (*sdk.DescribeFargateProfileOutput, error) {
	cluster, name := aws.ToString(in.ClusterName), aws.ToString(in.FargateProfileName)
	snap := s.w.Directory().Snapshot()
	if err := authorizeResource(snap, caller, "eks:DescribeFargateProfile", kindFargateProfile, cluster, name, nil); err != nil {
		return nil, err
	}
	c, f, err := s.fargateProfileOf(snap, caller, cluster, name)
	if err != nil {
		return nil, err
	}
	return &sdk.DescribeFargateProfileOutput{FargateProfile: describeFargateProfile(c, f, types.FargateProfileStatusActive)}, nil
}

// fargateTokenPrefix starts ListFargateProfiles' page tokens.
const fargateTokenPrefix = "f1."

// ListFargateProfiles lists the names of a cluster's Fargate profiles.
func (s *Service) ListFargateProfiles(_ context.Context, caller *directory.Caller, in *sdk.ListFargateProfilesInput) (*sdk.ListFargateProfilesOutput, error) {
	page, next, err := s.listClusterNames(caller, "eks:ListFargateProfiles", aws.ToString(in.ClusterName), func(c *directory.Cluster) []string { return sortedKeys(c.FargateProfiles) }, in.MaxResults, aws.ToString(in.NextToken), fargateTokenPrefix)
	if err != nil {
		return nil, err
	}
	return &sdk.ListFargateProfilesOutput{FargateProfileNames: page, NextToken: next}, nil
}

// DeleteFargateProfile deletes a Fargate profile.
func (s *Service) DeleteFargateProfile(ctx context.Context, caller *directory.Caller, in *sdk.DeleteFargateProfileInput) (*sdk.DeleteFargateProfileOutput, error) {
	cluster, name := aws.ToString(in.ClusterName), aws.ToString(in.FargateProfileName)
	snap := s.w.Directory().Snapshot()
	if err := authorizeResource(snap, caller, "eks:DeleteFargateProfile", kindFargateProfile, cluster, name, nil); err != nil {
		return nil, err
	}
	var out *types.FargateProfile
	err := s.w.Update(ctx, func(t *directory.Txn) error {
		c, f, err := s.fargateProfileOf(t.Snap, caller, cluster, name)
		if err != nil {
			return err
		}
		cp := c.CloneResources()
		delete(cp.FargateProfiles, name)
		out = describeFargateProfile(c, f, types.FargateProfileStatusDeleting)
		return putCluster(t, cp)
	})
	if err != nil {
		return nil, err
	}
	return &sdk.DeleteFargateProfileOutput{FargateProfile: out}, nil
}
