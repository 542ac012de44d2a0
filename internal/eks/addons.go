package eks

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/assumed-dev/assumed/internal/directory"
)

// Add-ons
//
// An add-on is ACTIVE as soon as it is created (nothing is installed).
// Its version defaults to the catalogue's default for the cluster's
// Kubernetes version; its podIdentityAssociations are pod identity
// associations like CreatePodIdentityAssociation's, owned by the add-on
// (their ownerArn), changed by UpdateAddon and deleted with it.
// UpdateAddon completes at once, as an update DescribeUpdate answers for
// with the add-on's name.

func addonNotFound(cluster, name string) *Error {
	e := notFound(cluster, "No addon: %s found in cluster: %s", name, cluster)
	e.AddonName = name
	return e
}

func addonInvalid(cluster, name, format string, args ...any) *Error {
	e := invalidParameter(format, args...)
	e.ClusterName, e.AddonName = cluster, name
	return e
}

// describeAddon is the add-on as EKS describes it.
func describeAddon(c *directory.Cluster, a *directory.Addon, status types.AddonStatus) *types.Addon {
	out := &types.Addon{
		AddonName: aws.String(a.Name), AddonArn: aws.String(a.ARN), AddonVersion: aws.String(a.Version), ClusterName: aws.String(c.Name),
		Status: status, Health: &types.AddonHealth{Issues: []types.AddonIssue{}}, CreatedAt: aws.Time(a.CreatedAt), ModifiedAt: aws.Time(a.ModifiedAt),
		Owner: aws.String("aws"), Publisher: aws.String("eks"), Tags: maps.Clone(a.Tags), PodIdentityAssociations: []string{},
	}
	if out.Tags == nil {
		out.Tags = map[string]string{}
	}
	if a.ServiceAccountRoleARN != "" {
		out.ServiceAccountRoleArn = aws.String(a.ServiceAccountRoleARN)
	}
	if a.ConfigurationValues != "" {
		out.ConfigurationValues = aws.String(a.ConfigurationValues)
	}
	if a.Namespace != "" {
		out.NamespaceConfig = &types.AddonNamespaceConfigResponse{Namespace: aws.String(a.Namespace)}
	}
	for _, id := range a.PodIdentityAssociations {
		out.PodIdentityAssociations = append(out.PodIdentityAssociations, associationARN(c.Region, c.AccountID, c.Name, id))
	}
	return out
}

// addonOf finds an add-on of the caller's cluster.
func (s *Service) addonOf(snap *directory.Snapshot, caller *directory.Caller, cluster, name string) (*directory.Cluster, *directory.Addon, error) {
	c, err := s.lookup(snap, caller, cluster)
	if err != nil {
		return nil, nil, err
	}
	a, ok := c.Addons[name]
	if !ok {
		return nil, nil, addonNotFound(cluster, name)
	}
	return c, a, nil
}

// checkAddonAssociations checks an add-on's podIdentityAssociations.
func checkAddonAssociations(cluster string, spec *addonSpec, list []types.AddonPodIdentityAssociations) error {
	seen := map[string]bool{}
	for _, p := range list {
		sa, role := aws.ToString(p.ServiceAccount), aws.ToString(p.RoleArn)
		if sa == "" || role == "" {
			return addonInvalid(cluster, spec.name, "Each podIdentityAssociations entry needs a serviceAccount and a roleArn.")
		}
		if err := checkRoleARN("roleArn", role); err != nil {
			return err
		}
		if !spec.hasServiceAccount(sa) {
			if len(spec.podIdentity) == 0 {
				return addonInvalid(cluster, spec.name, "Addon %s does not support pod identity associations.", spec.name)
			}
			return addonInvalid(cluster, spec.name, "Service account %s is not supported by addon %s: it supports %s.", sa, spec.name, strings.Join(spec.podIdentityAccounts(), ", "))
		}
		if seen[sa] {
			return addonInvalid(cluster, spec.name, "podIdentityAssociations names service account %s more than once.", sa)
		}
		seen[sa] = true
	}
	return nil
}

// authorizePassRoles authorizes iam:PassRole on the roles of an add-on's
// pod identity associations, as CreatePodIdentityAssociation does.
func authorizePassRoles(snap *directory.Snapshot, caller *directory.Caller, list []types.AddonPodIdentityAssociations) error {
	for _, p := range list {
		if err := authorize(snap, caller, "iam:PassRole", aws.ToString(p.RoleArn), nil); err != nil {
			return err
		}
	}
	return nil
}

// syncAddonAssociations makes the pod identity associations the add-on
// owns those of list (nil: none), in a transaction: it creates the new
// ones, changes the role of those that stay and deletes the others. It
// returns their IDs.
func (s *Service) syncAddonAssociations(t *directory.Txn, c *directory.Cluster, a *directory.Addon, list []types.AddonPodIdentityAssociations) ([]string, error) {
	ns := a.Namespace
	if ns == "" {
		ns = addonNamespace
	}
	want := map[string]string{}
	for _, p := range list {
		want[aws.ToString(p.ServiceAccount)] = aws.ToString(p.RoleArn)
	}
	var ids []string
	have := map[string]bool{}
	for _, id := range a.PodIdentityAssociations {
		old, ok := t.Snap.PodIdentityAssociations[id]
		if !ok {
			continue
		}
		role, keep := want[old.ServiceAccount]
		if !keep {
			deleteAssociation(t, old)
			continue
		}
		have[old.ServiceAccount] = true
		ids = append(ids, id)
		if old.RoleARN != role {
			cp := *old
			cp.RoleARN, cp.ModifiedAt = role, s.stamp()
			if err := putAssociation(t, &cp); err != nil {
				return nil, err
			}
		}
	}
	key := directory.ClusterKey(c.AccountID, c.Region, c.Name)
	for _, sa := range sortedKeys(want) {
		if have[sa] {
			continue
		}
		if existing, ok := associationOf(t.Snap, key, ns, sa); ok {
			return nil, associationInUse(c.Name, existing)
		}
		id, err := newAssociationID()
		if err != nil {
			return nil, err
		}
		pa := s.newAssociation(c, id, ns, sa, want[sa])
		pa.OwnerARN = a.ARN
		if err := putAssociation(t, pa); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

// CreateAddon installs an add-on of the catalogue on a cluster.
func (s *Service) CreateAddon(ctx context.Context, caller *directory.Caller, in *sdk.CreateAddonInput) (*sdk.CreateAddonOutput, error) {
	name, addon := aws.ToString(in.ClusterName), aws.ToString(in.AddonName)
	snap := s.w.Directory().Snapshot()
	if err := authorizeCluster(snap, caller, "eks:CreateAddon", name, tagContext(in.Tags)); err != nil {
		return nil, err
	}
	if err := authorizePassRoles(snap, caller, in.PodIdentityAssociations); err != nil {
		return nil, err
	}
	if addon == "" {
		return nil, invalidParameter("addonName is required.")
	}
	spec, ok := addonByName(addon)
	if !ok {
		return nil, addonInvalid(name, addon, "Addon specified is not supported")
	}
	switch in.ResolveConflicts {
	case "", types.ResolveConflictsNone, types.ResolveConflictsOverwrite:
	default:
		return nil, addonInvalid(name, addon, "resolveConflicts %q is not supported when creating an addon: use NONE or OVERWRITE.", string(in.ResolveConflicts))
	}
	if role := aws.ToString(in.ServiceAccountRoleArn); role != "" {
		if err := checkRoleARN("serviceAccountRoleArn", role); err != nil {
			return nil, err
		}
	}
	if err := spec.checkConfigurationValues(aws.ToString(in.ConfigurationValues)); err != nil {
		return nil, err
	}
	if err := checkAddonAssociations(name, spec, in.PodIdentityAssociations); err != nil {
		return nil, err
	}
	if err := checkTagsMap(in.Tags); err != nil {
		return nil, err
	}
	namespace := ""
	if nc := in.NamespaceConfig; nc != nil && aws.ToString(nc.Namespace) != "" {
		namespace = *nc.Namespace
		if len(namespace) > 63 || !dns1123Label.MatchString(namespace) {
			return nil, addonInvalid(name, addon, "namespace %q is not a valid Kubernetes namespace name.", namespace)
		}
	}
	token := aws.ToString(in.ClientRequestToken)
	var out *types.Addon
	err := s.w.Update(ctx, func(t *directory.Txn) error {
		c, err := s.lookup(t.Snap, caller, name)
		if err != nil {
			return err
		}
		if a, ok := c.Addons[addon]; ok {
			if token != "" && a.ClientRequestToken == token {
				out = describeAddon(c, a, types.AddonStatusActive)
				return nil
			}
			e := resourceInUse(name, "Addon already exists.")
			e.AddonName = addon
			return e
		}
		version := aws.ToString(in.AddonVersion)
		if version == "" {
			v, ok := spec.defaultVersion(c.Version)
			if !ok {
				return addonInvalid(name, addon, "Addon %s has no version for Kubernetes version %s.", addon, c.Version)
			}
			version = v
		}
		if v, ok := spec.version(version); !ok || !v.runsOn(c.Version) {
			return addonInvalid(name, addon, "Addon version specified is not supported")
		}
		now := s.stamp()
		a := &directory.Addon{
			Name: addon, ARN: subARN(c.Region, c.AccountID, kindAddon, c.Name, addon, newResourceID()), Version: version,
			ServiceAccountRoleARN: aws.ToString(in.ServiceAccountRoleArn), ConfigurationValues: aws.ToString(in.ConfigurationValues),
			Namespace: namespace, ResolveConflicts: string(in.ResolveConflicts), Tags: maps.Clone(in.Tags),
			CreatedAt: now, ModifiedAt: now, ClientRequestToken: token,
		}
		if a.PodIdentityAssociations, err = s.syncAddonAssociations(t, c, a, in.PodIdentityAssociations); err != nil {
			return err
		}
		cp := c.CloneResources()
		cp.Addons[addon] = a
		out = describeAddon(cp, a, types.AddonStatusActive)
		return putCluster(t, cp)
	})
	if err != nil {
		return nil, err
	}
	return &sdk.CreateAddonOutput{Addon: out}, nil
}

// DescribeAddon describes an add-on.
func (s *Service) DescribeAddon(_ context.Context, caller *directory.Caller, in *sdk.DescribeAddonInput) (*sdk.DescribeAddonOutput, error) {
	name, addon := aws.ToString(in.ClusterName), aws.ToString(in.AddonName)
	snap := s.w.Directory().Snapshot()
	if err := authorizeResource(snap, caller, "eks:DescribeAddon", kindAddon, name, addon, nil); err != nil {
		return nil, err
	}
	c, a, err := s.addonOf(snap, caller, name, addon)
	if err != nil {
		return nil, err
	}
	return &sdk.DescribeAddonOutput{Addon: describeAddon(c, a, types.AddonStatusActive)}, nil
}

// addonsTokenPrefix starts ListAddons' page tokens.
const addonsTokenPrefix = "d1."

// ListAddons lists the names of a cluster's add-ons.
func (s *Service) ListAddons(_ context.Context, caller *directory.Caller, in *sdk.ListAddonsInput) (*sdk.ListAddonsOutput, error) {
	page, next, err := s.listClusterNames(caller, "eks:ListAddons", aws.ToString(in.ClusterName), func(c *directory.Cluster) []string { return sortedKeys(c.Addons) }, in.MaxResults, aws.ToString(in.NextToken), addonsTokenPrefix)
	if err != nil {
		return nil, err
	}
	return &sdk.ListAddonsOutput{Addons: page, NextToken: next}, nil
}

// UpdateAddon changes an add-on's version, service account role,
// configuration or pod identity associations; the update completes at
// once.
func (s *Service) UpdateAddon(ctx context.Context, caller *directory.Caller, in *sdk.UpdateAddonInput) (*sdk.UpdateAddonOutput, error) {
	name, addon := aws.ToString(in.ClusterName), aws.ToString(in.AddonName)
	snap := s.w.Directory().Snapshot()
	if err := authorizeResource(snap, caller, "eks:UpdateAddon", kindAddon, name, addon, nil); err != nil {
		return nil, err
	}
	if err := authorizePassRoles(snap, caller, in.PodIdentityAssociations); err != nil {
		return nil, err
	}
	if in.ResolveConflicts != "" && !slices.Contains(in.ResolveConflicts.Values(), in.ResolveConflicts) {
		return nil, addonInvalid(name, addon, "resolveConflicts %q is not one of %s.", string(in.ResolveConflicts), joinEnum(in.ResolveConflicts.Values()))
	}
	if role := aws.ToString(in.ServiceAccountRoleArn); role != "" {
		if err := checkRoleARN("serviceAccountRoleArn", role); err != nil {
			return nil, err
		}
	}
	u, err := s.startUpdate(ctx, caller, name, aws.ToString(in.ClientRequestToken), func(c *directory.Cluster) (*clusterChange, error) {
		a, ok := c.Addons[addon]
		if !ok {
			return nil, addonNotFound(name, addon)
		}
		spec, ok := addonByName(addon)
		if !ok {
			return nil, addonInvalid(name, addon, "Addon specified is not supported")
		}
		next := *a
		var params []directory.ClusterUpdateParam
		if v := aws.ToString(in.AddonVersion); v != "" {
			if av, ok := spec.version(v); !ok || !av.runsOn(c.Version) {
				return nil, addonInvalid(name, addon, "Addon version specified is not supported")
			}
			next.Version = v
			params = append(params, updateParam(types.UpdateParamTypeAddonVersion, v))
		}
		if in.ServiceAccountRoleArn != nil {
			next.ServiceAccountRoleARN = *in.ServiceAccountRoleArn
			params = append(params, updateParam(types.UpdateParamTypeServiceAccountRoleArn, *in.ServiceAccountRoleArn))
		}
		if in.ConfigurationValues != nil {
			if err := spec.checkConfigurationValues(*in.ConfigurationValues); err != nil {
				return nil, err
			}
			next.ConfigurationValues = *in.ConfigurationValues
			params = append(params, updateParam(types.UpdateParamTypeConfigurationValues, *in.ConfigurationValues))
		}
		if in.ResolveConflicts != "" {
			next.ResolveConflicts = string(in.ResolveConflicts)
			params = append(params, updateParam(types.UpdateParamTypeResolveConflicts, string(in.ResolveConflicts)))
		}
		if in.PodIdentityAssociations != nil {
			if err := checkAddonAssociations(name, spec, in.PodIdentityAssociations); err != nil {
				return nil, err
			}
			type assoc struct {
				ServiceAccount string `json:"serviceAccount"`
				RoleArn        string `json:"roleArn"`
			}
			list := []assoc{}
			for _, p := range in.PodIdentityAssociations {
				list = append(list, assoc{aws.ToString(p.ServiceAccount), aws.ToString(p.RoleArn)})
			}
			params = append(params, updateParam(types.UpdateParamTypePodIdentityAssociations, jsonValue(list)))
		}
		next.ModifiedAt = s.stamp()
		return &clusterChange{
			typ: types.UpdateTypeAddonUpdate, params: params, addon: addon,
			apply: func(c *directory.Cluster) error { c.Addons[addon] = &next; return nil },
			txn: func(t *directory.Txn, c *directory.Cluster) error {
				if in.PodIdentityAssociations == nil {
					return nil
				}
				ids, err := s.syncAddonAssociations(t, c, &next, in.PodIdentityAssociations)
				next.PodIdentityAssociations = ids
				return err
			},
		}, nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.UpdateAddonOutput{Update: u}, nil
}

// DeleteAddon deletes an add-on and the pod identity associations it
// owns. With preserve, EKS would leave the add-on's software on the
// cluster; here there is none either way.
func (s *Service) DeleteAddon(ctx context.Context, caller *directory.Caller, in *sdk.DeleteAddonInput) (*sdk.DeleteAddonOutput, error) {
	name, addon := aws.ToString(in.ClusterName), aws.ToString(in.AddonName)
	snap := s.w.Directory().Snapshot()
	if err := authorizeResource(snap, caller, "eks:DeleteAddon", kindAddon, name, addon, nil); err != nil {
		return nil, err
	}
	var out *types.Addon
	err := s.w.Update(ctx, func(t *directory.Txn) error {
		c, a, err := s.addonOf(t.Snap, caller, name, addon)
		if err != nil {
			return err
		}
		for _, id := range a.PodIdentityAssociations {
			if pa, ok := t.Snap.PodIdentityAssociations[id]; ok {
				deleteAssociation(t, pa)
			}
		}
		cp := c.CloneResources()
		delete(cp.Addons, addon)
		cp.Updates = slices.DeleteFunc(slices.Clone(cp.Updates), func(u directory.ClusterUpdate) bool { return u.Addon == addon })
		out = describeAddon(c, a, types.AddonStatusDeleting)
		return putCluster(t, cp)
	})
	if err != nil {
		return nil, err
	}
	return &sdk.DeleteAddonOutput{Addon: out}, nil
}

// addonVersionsTokenPrefix starts DescribeAddonVersions' page tokens.
const addonVersionsTokenPrefix = "w1."

// DescribeAddonVersions describes the add-ons of the catalogue and their
// versions, filtered by name, Kubernetes version, type, owner and
// publisher.
func (s *Service) DescribeAddonVersions(_ context.Context, caller *directory.Caller, in *sdk.DescribeAddonVersionsInput) (*sdk.DescribeAddonVersionsOutput, error) {
	snap := s.w.Directory().Snapshot()
	if err := authorize(snap, caller, "eks:DescribeAddonVersions", "*", nil); err != nil {
		return nil, err
	}
	k := aws.ToString(in.KubernetesVersion)
	if k != "" {
		if err := checkVersion(k); err != nil {
			return nil, err
		}
	}
	matches := func(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }
	infos := map[string]types.AddonInfo{}
	for i := range addonCatalogue {
		spec := &addonCatalogue[i]
		if (in.AddonName != nil && *in.AddonName != spec.name) || !matches(in.Types, spec.typ) || !matches(in.Owners, "aws") || !matches(in.Publishers, "eks") {
			continue
		}
		info := types.AddonInfo{
			AddonName: aws.String(spec.name), Type: aws.String(spec.typ), Owner: aws.String("aws"), Publisher: aws.String("eks"),
			DefaultNamespace: aws.String(addonNamespace), AddonVersions: []types.AddonVersionInfo{},
		}
		for _, v := range spec.versions {
			if k != "" && !v.runsOn(k) {
				continue
			}
			vi := types.AddonVersionInfo{
				AddonVersion: aws.String(v.version), Architecture: []string{"amd64", "arm64"}, ComputeTypes: []string{"ec2"},
				RequiresIamPermissions: spec.requiresIAM, Compatibilities: []types.Compatibility{},
			}
			for m := v.from; m <= v.to; m++ {
				cv := "1." + strconv.Itoa(m)
				if k != "" && cv != k {
					continue
				}
				vi.Compatibilities = append(vi.Compatibilities, types.Compatibility{ClusterVersion: aws.String(cv), PlatformVersions: []string{"*"}, DefaultVersion: v.isDefaultOn(cv)})
			}
			info.AddonVersions = append(info.AddonVersions, vi)
		}
		if k != "" && len(info.AddonVersions) == 0 {
			continue
		}
		infos[spec.name] = info
	}
	page, next, err := namesPage(sortedKeys(infos), in.MaxResults, aws.ToString(in.NextToken), addonVersionsTokenPrefix)
	if err != nil {
		return nil, err
	}
	out := &sdk.DescribeAddonVersionsOutput{Addons: []types.AddonInfo{}, NextToken: next}
	for _, n := range page {
		out.Addons = append(out.Addons, infos[n])
	}
	return out, nil
}

// DescribeAddonConfiguration returns the configuration schema of an
// add-on version and the service accounts it can have pod identity
// associations for.
func (s *Service) DescribeAddonConfiguration(_ context.Context, caller *directory.Caller, in *sdk.DescribeAddonConfigurationInput) (*sdk.DescribeAddonConfigurationOutput, error) {
	snap := s.w.Directory().Snapshot()
	if err := authorize(snap, caller, "eks:DescribeAddonConfiguration", "*", nil); err != nil {
		return nil, err
	}
	addon, version := aws.ToString(in.AddonName), aws.ToString(in.AddonVersion)
	switch {
	case addon == "":
		return nil, invalidParameter("addonName is required.")
	case version == "":
		return nil, invalidParameter("addonVersion is required.")
	}
	spec, ok := addonByName(addon)
	if !ok {
		e := invalidParameter("Addon specified is not supported")
		e.AddonName = addon
		return nil, e
	}
	if _, ok := spec.version(version); !ok {
		e := invalidParameter("Addon version specified is not supported")
		e.AddonName = addon
		return nil, e
	}
	out := &sdk.DescribeAddonConfigurationOutput{
		AddonName: aws.String(addon), AddonVersion: aws.String(version), ConfigurationSchema: aws.String(spec.schema()),
		PodIdentityConfiguration: []types.AddonPodIdentityConfiguration{},
	}
	for _, sa := range spec.podIdentityAccounts() {
		out.PodIdentityConfiguration = append(out.PodIdentityConfiguration, types.AddonPodIdentityConfiguration{ServiceAccount: aws.String(sa), RecommendedManagedPolicies: slices.Clone(spec.podIdentity[sa])})
	}
	return out, nil
}
