package eks

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/assumed-dev/assumed/arn"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// Access entries
//
// An access entry lets an IAM principal authenticate to the cluster's
// Kubernetes API (here: nothing answers it), with a Kubernetes username
// and groups, and EKS access policies associated with it, cluster-wide or
// per namespace. The API answers only on clusters whose authentication
// mode includes the API (API or API_AND_CONFIG_MAP). Creating a cluster
// in such a mode gives its creator an entry with
// AmazonEKSClusterAdminPolicy unless bootstrapClusterCreatorAdminPermissions
// is false; creating a node group or Fargate profile gives its role an
// EC2_LINUX or FARGATE_LINUX entry, as EKS does.

// Access entry types.
const (
	accessEntryStandard    = "STANDARD"
	accessEntryEC2Linux    = "EC2_LINUX"
	accessEntryEC2Windows  = "EC2_WINDOWS"
	accessEntryFargate     = "FARGATE_LINUX"
	accessEntryHybridLinux = "HYBRID_LINUX"
	accessEntryEC2         = "EC2"
	accessEntryHyperpod    = "HYPERPOD_LINUX"
)

var accessEntryTypes = []string{accessEntryStandard, accessEntryFargate, accessEntryEC2Linux, accessEntryEC2Windows, accessEntryEC2, accessEntryHybridLinux, accessEntryHyperpod}

// accessPolicyPrefix starts the ARNs of EKS's access policies.
const accessPolicyPrefix = "arn:aws:eks::aws:cluster-access-policy/"

// clusterAdminPolicy is the access policy of a cluster's creator.
const clusterAdminPolicy = accessPolicyPrefix + "AmazonEKSClusterAdminPolicy"

// accessPolicies are EKS's access policies, by name, as ListAccessPolicies
// lists them. They are fixed: nobody can make one.
var accessPolicies = []string{
	"AmazonAIOpsAssistantPolicy",
	"AmazonEKSAdminPolicy",
	"AmazonEKSAdminViewPolicy",
	"AmazonEKSAutoNodePolicy",
	"AmazonEKSBlockStorageClusterPolicy",
	"AmazonEKSBlockStoragePolicy",
	"AmazonEKSClusterAdminPolicy",
	"AmazonEKSComputeClusterPolicy",
	"AmazonEKSComputePolicy",
	"AmazonEKSEditPolicy",
	"AmazonEKSHybridPolicy",
	"AmazonEKSLoadBalancingClusterPolicy",
	"AmazonEKSLoadBalancingPolicy",
	"AmazonEKSNetworkingClusterPolicy",
	"AmazonEKSNetworkingPolicy",
	"AmazonEKSViewPolicy",
	"AmazonEMRJobPolicy",
	"AmazonSagemakerHyperpodClusterPolicy",
	"AmazonSagemakerHyperpodControllerPolicy",
	"AmazonSagemakerHyperpodSystemNamespacePolicy",
}

// reservedUsernamePrefixes are the prefixes a chosen username may not
// have.
var reservedUsernamePrefixes = []string{"system:", "eks:", "aws:", "amazon:", "iam:"}

func accessEntryNotFound(cluster string) *Error {
	return notFound(cluster, "The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'.")
}

// checkAccessMode refuses the access entry API on a cluster whose
// authentication mode is CONFIG_MAP alone.
func checkAccessMode(c *directory.Cluster) error {
	mode := c.AuthenticationMode
	if mode == "" {
		mode = string(defaultAuthMode)
	}
	if mode != string(types.AuthenticationModeApi) && mode != string(types.AuthenticationModeApiAndConfigMap) {
		e := invalidRequest("The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.")
		e.ClusterName = c.Name
		return e
	}
	return nil
}

// accessCluster looks up the caller's cluster for an access entry
// operation and checks its authentication mode.
func (s *Service) accessCluster(snap *directory.Snapshot, caller *directory.Caller, name string) (*directory.Cluster, error) {
	c, err := s.lookup(snap, caller, name)
	if err != nil {
		return nil, err
	}
	return c, checkAccessMode(c)
}

// accessEntry finds an access entry of the caller's cluster.
func (s *Service) accessEntry(snap *directory.Snapshot, caller *directory.Caller, cluster, principal string) (*directory.Cluster, *directory.AccessEntry, error) {
	c, err := s.accessCluster(snap, caller, cluster)
	if err != nil {
		return nil, nil, err
	}
	e, ok := c.AccessEntries[principal]
	if !ok {
		return nil, nil, accessEntryNotFound(cluster)
	}
	return c, e, nil
}

// describeAccessEntry is the access entry as EKS describes it.
func describeAccessEntry(c *directory.Cluster, e *directory.AccessEntry) *types.AccessEntry {
	out := &types.AccessEntry{
		AccessEntryArn: aws.String(e.ARN), ClusterName: aws.String(c.Name), PrincipalArn: aws.String(e.PrincipalARN),
		Type: aws.String(e.Type), Username: aws.String(e.Username), KubernetesGroups: slices.Clone(e.KubernetesGroups),
		CreatedAt: aws.Time(e.CreatedAt), ModifiedAt: aws.Time(e.ModifiedAt), Tags: maps.Clone(e.Tags),
	}
	if out.KubernetesGroups == nil {
		out.KubernetesGroups = []string{}
	}
	if out.Tags == nil {
		out.Tags = map[string]string{}
	}
	return out
}

// defaultUsername is the Kubernetes username EKS gives an access entry
// that names none: a role's session ARN (without the role's path), a
// user's ARN, a node's name for the node types.
func defaultUsername(typ string, p arn.Principal) string {
	switch typ {
	case accessEntryEC2Linux, accessEntryEC2Windows:
		return "system:node:{{EC2PrivateDNSName}}"
	case accessEntryFargate, accessEntryHybridLinux, accessEntryEC2, accessEntryHyperpod:
		return "system:node:{{SessionName}}"
	}
	if p.Type == arn.PrincipalRole {
		return "arn:aws:sts::" + p.AccountID + ":assumed-role/" + p.Name + "/{{SessionName}}"
	}
	return p.ARN
}

// defaultGroups are the Kubernetes groups of the node types' entries.
func defaultGroups(typ string) []string {
	if typ == accessEntryStandard {
		return nil
	}
	return []string{"system:nodes"}
}

// newAccessEntry builds an access entry of a principal on cluster c,
// checking the principal exists.
func (s *Service) newAccessEntry(snap *directory.Snapshot, c *directory.Cluster, principal, typ, username string, groups []string, tags map[string]string) (*directory.AccessEntry, error) {
	p, err := arn.ParseAWSPrincipal(principal)
	if err != nil || (p.Type != arn.PrincipalRole && p.Type != arn.PrincipalUser) {
		return nil, invalidParameter("The specified principalArn is invalid: invalid principal")
	}
	if typ != accessEntryStandard && (p.Type != arn.PrincipalRole || p.AccountID != c.AccountID) {
		return nil, invalidParameter("The specified principalArn is invalid: an access entry of type %s must name an IAM role of the cluster's account.", typ)
	}
	exists := false
	if p.Type == arn.PrincipalRole {
		_, exists = roleByARN(snap, principal)
	} else {
		_, exists = userByARN(snap, principal)
	}
	if !exists {
		return nil, invalidParameter("The specified principalArn is invalid: invalid principal")
	}
	if username == "" {
		username = defaultUsername(typ, p)
	}
	if len(groups) == 0 {
		groups = defaultGroups(typ)
	}
	now := s.stamp()
	return &directory.AccessEntry{
		PrincipalARN: principal, ARN: subARN(c.Region, c.AccountID, kindAccessEntry, c.Name, resourceName(kindAccessEntry, principal), newResourceID()),
		Type: typ, Username: username, KubernetesGroups: slices.Clone(groups), Tags: maps.Clone(tags), CreatedAt: now, ModifiedAt: now,
	}, nil
}

// checkUsername checks a username the request chose.
func checkUsername(u string) error {
	if len(u) > 255 {
		return invalidParameter("The username must be at most 255 characters.")
	}
	for _, p := range reservedUsernamePrefixes {
		if strings.HasPrefix(u, p) {
			return invalidParameter("The username %q is invalid: a username can't start with %s.", u, strings.Join(reservedUsernamePrefixes, ", "))
		}
	}
	return nil
}

func checkGroups(groups []string) error {
	for _, g := range groups {
		if g == "" || len(g) > 255 {
			return invalidParameter("kubernetesGroups must be 1-255 characters each.")
		}
	}
	return nil
}

// CreateAccessEntry creates an access entry for an existing IAM role or
// user.
func (s *Service) CreateAccessEntry(ctx context.Context, caller *directory.Caller, in *sdk.CreateAccessEntryInput) (*sdk.CreateAccessEntryOutput, error) {
	name, principal := aws.ToString(in.ClusterName), aws.ToString(in.PrincipalArn)
	typ := aws.ToString(in.Type)
	if typ == "" {
		typ = accessEntryStandard
	}
	actx := tagContext(in.Tags)
	actx = contextWith(actx, "eks:principalArn", principal)
	actx = contextWith(actx, "eks:accessEntryType", typ)
	actx = contextWith(actx, "eks:username", aws.ToString(in.Username))
	actx = contextWith(actx, "eks:kubernetesGroups", in.KubernetesGroups...)
	snap := s.w.Directory().Snapshot()
	if err := authorizeCluster(snap, caller, "eks:CreateAccessEntry", name, actx); err != nil {
		return nil, err
	}
	if principal == "" {
		return nil, invalidParameter("principalArn is required.")
	}
	if !slices.Contains(accessEntryTypes, typ) {
		return nil, invalidParameter("The type %q is invalid: it must be one of %s.", typ, strings.Join(accessEntryTypes, ", "))
	}
	if typ != accessEntryStandard && len(in.KubernetesGroups) > 0 {
		return nil, invalidParameter("kubernetesGroups can't be specified for an access entry of type %s.", typ)
	}
	if in.Username != nil {
		if err := checkUsername(*in.Username); err != nil {
			return nil, err
		}
	}
	if err := checkGroups(in.KubernetesGroups); err != nil {
		return nil, err
	}
	if err := checkTagsMap(in.Tags); err != nil {
		return nil, err
	}
	token := aws.ToString(in.ClientRequestToken)
	var out *types.AccessEntry
	err := s.w.Update(ctx, func(t *directory.Txn) error {
		c, err := s.accessCluster(t.Snap, caller, name)
		if err != nil {
			return err
		}
		if e, ok := c.AccessEntries[principal]; ok {
			if token != "" && e.ClientRequestToken == token {
				out = describeAccessEntry(c, e)
				return nil
			}
			return resourceInUse(name, "The specified access entry resource is already in use on this cluster.")
		}
		e, err := s.newAccessEntry(t.Snap, c, principal, typ, aws.ToString(in.Username), slices.Compact(slices.Sorted(slices.Values(in.KubernetesGroups))), in.Tags)
		if err != nil {
			return err
		}
		e.ClientRequestToken = token
		cp := c.CloneResources()
		cp.AccessEntries[principal] = e
		out = describeAccessEntry(cp, e)
		return putCluster(t, cp)
	})
	if err != nil {
		return nil, err
	}
	return &sdk.CreateAccessEntryOutput{AccessEntry: out}, nil
}

// DescribeAccessEntry describes an access entry.
func (s *Service) DescribeAccessEntry(_ context.Context, caller *directory.Caller, in *sdk.DescribeAccessEntryInput) (*sdk.DescribeAccessEntryOutput, error) {
	name, principal := aws.ToString(in.ClusterName), aws.ToString(in.PrincipalArn)
	snap := s.w.Directory().Snapshot()
	if err := authorizeResource(snap, caller, "eks:DescribeAccessEntry", kindAccessEntry, name, principal, nil); err != nil {
		return nil, err
	}
	c, e, err := s.accessEntry(snap, caller, name, principal)
	if err != nil {
		return nil, err
	}
	return &sdk.DescribeAccessEntryOutput{AccessEntry: describeAccessEntry(c, e)}, nil
}

// accessEntriesTokenPrefix starts ListAccessEntries' page tokens.
const accessEntriesTokenPrefix = "e1."

// ListAccessEntries lists the principal ARNs of a cluster's access
// entries, optionally only those an access policy is associated with.
func (s *Service) ListAccessEntries(_ context.Context, caller *directory.Caller, in *sdk.ListAccessEntriesInput) (*sdk.ListAccessEntriesOutput, error) {
	name := aws.ToString(in.ClusterName)
	snap := s.w.Directory().Snapshot()
	if err := authorizeCluster(snap, caller, "eks:ListAccessEntries", name, nil); err != nil {
		return nil, err
	}
	c, err := s.accessCluster(snap, caller, name)
	if err != nil {
		return nil, err
	}
	policyARN := aws.ToString(in.AssociatedPolicyArn)
	if policyARN != "" && !isAccessPolicy(policyARN) {
		return nil, invalidParameter("The specified associatedPolicyArn %s is not an access policy.", policyARN)
	}
	var principals []string
	for _, p := range sortedKeys(c.AccessEntries) {
		if policyARN == "" || slices.ContainsFunc(c.AccessEntries[p].Policies, func(a directory.AccessPolicyAssociation) bool { return a.PolicyARN == policyARN }) {
			principals = append(principals, p)
		}
	}
	page, next, err := namesPage(principals, in.MaxResults, aws.ToString(in.NextToken), accessEntriesTokenPrefix)
	if err != nil {
		return nil, err
	}
	return &sdk.ListAccessEntriesOutput{AccessEntries: page, NextToken: next}, nil
}

// UpdateAccessEntry changes an access entry's Kubernetes groups and
// username.
func (s *Service) UpdateAccessEntry(ctx context.Context, caller *directory.Caller, in *sdk.UpdateAccessEntryInput) (*sdk.UpdateAccessEntryOutput, error) {
	name, principal := aws.ToString(in.ClusterName), aws.ToString(in.PrincipalArn)
	snap := s.w.Directory().Snapshot()
	if err := authorizeResource(snap, caller, "eks:UpdateAccessEntry", kindAccessEntry, name, principal, nil); err != nil {
		return nil, err
	}
	if err := checkGroups(in.KubernetesGroups); err != nil {
		return nil, err
	}
	var out *types.AccessEntry
	err := s.w.Update(ctx, func(t *directory.Txn) error {
		c, e, err := s.accessEntry(t.Snap, caller, name, principal)
		if err != nil {
			return err
		}
		cp := *e
		// The node types' groups are EKS's: a request may repeat them,
		// not change them.
		if groups := slices.Compact(slices.Sorted(slices.Values(in.KubernetesGroups))); in.KubernetesGroups != nil && !slices.Equal(groups, e.KubernetesGroups) {
			if e.Type != accessEntryStandard {
				return invalidParameter("kubernetesGroups can't be specified for an access entry of type %s.", e.Type)
			}
			cp.KubernetesGroups = groups
		}
		if in.Username != nil && *in.Username != e.Username {
			cp.Username = *in.Username
			if cp.Username == "" {
				p, _ := arn.ParseAWSPrincipal(e.PrincipalARN)
				cp.Username = defaultUsername(e.Type, p)
			} else if err := checkUsername(cp.Username); err != nil {
				return err
			}
		}
		cp.ModifiedAt = s.stamp()
		cc := c.CloneResources()
		cc.AccessEntries[principal] = &cp
		out = describeAccessEntry(cc, &cp)
		return putCluster(t, cc)
	})
	if err != nil {
		return nil, err
	}
	return &sdk.UpdateAccessEntryOutput{AccessEntry: out}, nil
}

// DeleteAccessEntry deletes an access entry and its access policy
// associations.
func (s *Service) DeleteAccessEntry(ctx context.Context, caller *directory.Caller, in *sdk.DeleteAccessEntryInput) (*sdk.DeleteAccessEntryOutput, error) {
	name, principal := aws.ToString(in.ClusterName), aws.ToString(in.PrincipalArn)
	snap := s.w.Directory().Snapshot()
	if err := authorizeResource(snap, caller, "eks:DeleteAccessEntry", kindAccessEntry, name, principal, nil); err != nil {
		return nil, err
	}
	err := s.w.Update(ctx, func(t *directory.Txn) error {
		c, _, err := s.accessEntry(t.Snap, caller, name, principal)
		if err != nil {
			return err
		}
		cp := c.CloneResources()
		delete(cp.AccessEntries, principal)
		return putCluster(t, cp)
	})
	if err != nil {
		return nil, err
	}
	return &sdk.DeleteAccessEntryOutput{}, nil
}

func isAccessPolicy(policyARN string) bool {
	name, ok := strings.CutPrefix(policyARN, accessPolicyPrefix)
	return ok && slices.Contains(accessPolicies, name)
}

// accessScopeContext holds the condition keys of an access policy
// association.
func accessScopeContext(policyARN string, scope *types.AccessScope) *policy.Context {
	ctx := contextWith(nil, "eks:policyArn", policyARN)
	if scope != nil {
		ctx = contextWith(ctx, "eks:accessScope", string(scope.Type))
		ctx = contextWith(ctx, "eks:namespaces", scope.Namespaces...)
	}
	return ctx
}

// describeAssociatedPolicy is an access policy association as EKS
// describes it.
func describeAssociatedPolicy(a directory.AccessPolicyAssociation) types.AssociatedAccessPolicy {
	out := types.AssociatedAccessPolicy{
		PolicyArn: aws.String(a.PolicyARN), AssociatedAt: aws.Time(a.AssociatedAt), ModifiedAt: aws.Time(a.ModifiedAt),
		AccessScope: &types.AccessScope{Type: types.AccessScopeType(a.ScopeType), Namespaces: slices.Clone(a.Namespaces)},
	}
	if out.AccessScope.Namespaces == nil {
		out.AccessScope.Namespaces = []string{}
	}
	return out
}

// AssociateAccessPolicy associates an access policy with an access
// entry, or changes the scope of one already associated.
func (s *Service) AssociateAccessPolicy(ctx context.Context, caller *directory.Caller, in *sdk.AssociateAccessPolicyInput) (*sdk.AssociateAccessPolicyOutput, error) {
	name, principal, policyARN := aws.ToString(in.ClusterName), aws.ToString(in.PrincipalArn), aws.ToString(in.PolicyArn)
	snap := s.w.Directory().Snapshot()
	if err := authorizeResource(snap, caller, "eks:AssociateAccessPolicy", kindAccessEntry, name, principal, accessScopeContext(policyARN, in.AccessScope)); err != nil {
		return nil, err
	}
	scope := in.AccessScope
	switch {
	case policyARN == "":
		return nil, invalidParameter("policyArn is required.")
	case scope == nil:
		return nil, invalidParameter("accessScope is required.")
	case scope.Type != types.AccessScopeTypeCluster && scope.Type != types.AccessScopeTypeNamespace:
		return nil, invalidParameter("The accessScope type %q is invalid: it must be cluster or namespace.", string(scope.Type))
	case scope.Type == types.AccessScopeTypeCluster && len(scope.Namespaces) > 0:
		return nil, invalidParameter("Namespaces can't be specified for an access scope of type cluster.")
	case scope.Type == types.AccessScopeTypeNamespace && len(scope.Namespaces) == 0:
		return nil, invalidParameter("At least one namespace is required for an access scope of type namespace.")
	}
	for _, ns := range scope.Namespaces {
		// A namespace may end in a wildcard, as EKS allows (dev-*).
		if n := strings.TrimSuffix(ns, "*"); len(ns) > 63 || (n != "" && !dns1123Label.MatchString(strings.TrimSuffix(n, "-"))) {
			return nil, invalidParameter("The namespace %q is not a valid Kubernetes namespace name.", ns)
		}
	}
	var out *sdk.AssociateAccessPolicyOutput
	err := s.w.Update(ctx, func(t *directory.Txn) error {
		c, e, err := s.accessEntry(t.Snap, caller, name, principal)
		if err != nil {
			return err
		}
		if !isAccessPolicy(policyARN) {
			return notFound(name, "The specified policyArn %s could not be found. You can view the available access policies with 'list-access-policies'.", policyARN)
		}
		if e.Type != accessEntryStandard {
			return invalidRequest("Access policies can't be associated with an access entry of type %s.", e.Type)
		}
		now := s.stamp()
		a := directory.AccessPolicyAssociation{PolicyARN: policyARN, ScopeType: string(scope.Type), Namespaces: slices.Compact(slices.Sorted(slices.Values(scope.Namespaces))), AssociatedAt: now, ModifiedAt: now}
		cp := *e
		cp.Policies = slices.Clone(e.Policies)
		if i := slices.IndexFunc(cp.Policies, func(p directory.AccessPolicyAssociation) bool { return p.PolicyARN == policyARN }); i >= 0 {
			a.AssociatedAt = cp.Policies[i].AssociatedAt
			cp.Policies[i] = a
		} else {
			cp.Policies = append(cp.Policies, a)
		}
		cc := c.CloneResources()
		cc.AccessEntries[principal] = &cp
		ap := describeAssociatedPolicy(a)
		out = &sdk.AssociateAccessPolicyOutput{AssociatedAccessPolicy: &ap, ClusterName: aws.String(name), PrincipalArn: aws.String(principal)}
		return putCluster(t, cc)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DisassociateAccessPolicy removes an access policy from an access entry.
func (s *Service) DisassociateAccessPolicy(ctx context.Context, caller *directory.Caller, in *sdk.DisassociateAccessPolicyInput) (*sdk.DisassociateAccessPolicyOutput, error) {
	name, principal, policyARN := aws.ToString(in.ClusterName), aws.ToString(in.PrincipalArn), aws.ToString(in.PolicyArn)
	snap := s.w.Directory().Snapshot()
	actx := contextWith(nil, "eks:policyArn", policyARN)
	if c, ok := snap.Clusters[directory.ClusterKey(caller.AccountID, region(caller), name)]; ok {
		if e, ok := c.AccessEntries[principal]; ok {
			if i := slices.IndexFunc(e.Policies, func(p directory.AccessPolicyAssociation) bool { return p.PolicyARN == policyARN }); i >= 0 {
				actx = contextWith(actx, "eks:accessScope", e.Policies[i].ScopeType)
				actx = contextWith(actx, "eks:namespaces", e.Policies[i].Namespaces...)
			}
		}
	}
	if err := authorizeResource(snap, caller, "eks:DisassociateAccessPolicy", kindAccessEntry, name, principal, actx); err != nil {
		return nil, err
	}
	err := s.w.Update(ctx, func(t *directory.Txn) error {
		c, e, err := s.accessEntry(t.Snap, caller, name, principal)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(e.Policies, func(p directory.AccessPolicyAssociation) bool { return p.PolicyARN == policyARN })
		if i < 0 {
			return notFound(name, "The specified policyArn %s is not associated with the access entry of %s.", policyARN, principal)
		}
		cp := *e
		cp.Policies = slices.Delete(slices.Clone(e.Policies), i, i+1)
		cc := c.CloneResources()
		cc.AccessEntries[principal] = &cp
		return putCluster(t, cc)
	})
	if err != nil {
		return nil, err
	}
	return &sdk.DisassociateAccessPolicyOutput{}, nil
}

// associatedTokenPrefix starts ListAssociatedAccessPolicies' page tokens.
const associatedTokenPrefix = "p1."

// ListAssociatedAccessPolicies lists the access policies of an access
// entry, by ARN.
func (s *Service) ListAssociatedAccessPolicies(_ context.Context, caller *directory.Caller, in *sdk.ListAssociatedAccessPoliciesInput) (*sdk.ListAssociatedAccessPoliciesOutput, error) {
	name, principal := aws.ToString(in.ClusterName), aws.ToString(in.PrincipalArn)
	snap := s.w.Directory().Snapshot()
	if err := authorizeResource(snap, caller, "eks:ListAssociatedAccessPolicies", kindAccessEntry, name, principal, nil); err != nil {
		return nil, err
	}
	_, e, err := s.accessEntry(snap, caller, name, principal)
	if err != nil {
		return nil, err
	}
	byARN := map[string]directory.AccessPolicyAssociation{}
	for _, a := range e.Policies {
		byARN[a.PolicyARN] = a
	}
	page, next, err := namesPage(sortedKeys(byARN), in.MaxResults, aws.ToString(in.NextToken), associatedTokenPrefix)
	if err != nil {
		return nil, err
	}
	out := &sdk.ListAssociatedAccessPoliciesOutput{AssociatedAccessPolicies: []types.AssociatedAccessPolicy{}, ClusterName: aws.String(name), PrincipalArn: aws.String(principal), NextToken: next}
	for _, p := range page {
		out.AssociatedAccessPolicies = append(out.AssociatedAccessPolicies, describeAssociatedPolicy(byARN[p]))
	}
	return out, nil
}

// accessPoliciesTokenPrefix starts ListAccessPolicies' page tokens.
const accessPoliciesTokenPrefix = "a1."

// ListAccessPolicies lists EKS's access policies.
func (s *Service) ListAccessPolicies(_ context.Context, caller *directory.Caller, in *sdk.ListAccessPoliciesInput) (*sdk.ListAccessPoliciesOutput, error) {
	snap := s.w.Directory().Snapshot()
	if err := authorize(snap, caller, "eks:ListAccessPolicies", "*", nil); err != nil {
		return nil, err
	}
	page, next, err := namesPage(accessPolicies, in.MaxResults, aws.ToString(in.NextToken), accessPoliciesTokenPrefix)
	if err != nil {
		return nil, err
	}
	out := &sdk.ListAccessPoliciesOutput{AccessPolicies: []types.AccessPolicy{}, NextToken: next}
	for _, n := range page {
		out.AccessPolicies = append(out.AccessPolicies, types.AccessPolicy{Name: aws.String(n), Arn: aws.String(accessPolicyPrefix + n)})
	}
	return out, nil
}

// creatorPrincipal is the IAM principal an access entry for the caller
// names: the role of a role session, or the user. The root user has none
// here.
func creatorPrincipal(caller *directory.Caller) string {
	if sess := caller.Session; sess != nil {
		if sess.RoleName != "" {
			return sess.RoleARN()
		}
		if sess.UserName != "" {
			return caller.ARN
		}
		return ""
	}
	if caller.UserName != "" {
		return caller.ARN
	}
	return ""
}

// bootstrapAccess gives a new cluster's creator a cluster admin access
// entry when the cluster's authentication mode allows the API and
// bootstrapClusterCreatorAdminPermissions is not false.
func (s *Service) bootstrapAccess(snap *directory.Snapshot, c *directory.Cluster, caller *directory.Caller) error {
	if checkAccessMode(c) != nil || (c.BootstrapAdmin != nil && !*c.BootstrapAdmin) {
		return nil
	}
	principal := creatorPrincipal(caller)
	if principal == "" {
		return nil
	}
	e, err := s.newAccessEntry(snap, c, principal, accessEntryStandard, "", nil, nil)
	if err != nil {
		// The creator's role or user is not in the directory (a session
		// of a role deleted since): no entry, as for the root user.
		return nil
	}
	e.Policies = []directory.AccessPolicyAssociation{{PolicyARN: clusterAdminPolicy, ScopeType: string(types.AccessScopeTypeCluster), AssociatedAt: e.CreatedAt, ModifiedAt: e.CreatedAt}}
	if c.AccessEntries == nil {
		c.AccessEntries = map[string]*directory.AccessEntry{}
	}
	c.AccessEntries[principal] = e
	return nil
}

// nodeAccessEntry gives a node group's or Fargate profile's role an
// access entry of the node type (EC2_LINUX, FARGATE_LINUX) when the
// cluster's authentication mode allows the API and the role has none.
// c is the transaction's copy of the cluster.
func (s *Service) nodeAccessEntry(snap *directory.Snapshot, c *directory.Cluster, roleARN, typ string) {
	if checkAccessMode(c) != nil {
		return
	}
	if _, ok := c.AccessEntries[roleARN]; ok {
		return
	}
	if e, err := s.newAccessEntry(snap, c, roleARN, typ, "", nil, nil); err == nil {
		c.AccessEntries[roleARN] = e
	}
}
