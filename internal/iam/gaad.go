package iam

import (
	"context"
	"slices"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/internal/directory"
)

// gaadItem is one entry of a GetAccountAuthorizationDetails answer; key
// orders users, groups, roles, then policies, and is the marker.
type gaadItem struct {
	key    string
	user   *directory.User
	group  *directory.Group
	role   *directory.Role
	policy *directory.ManagedPolicy
}

// GetAccountAuthorizationDetails returns the account's users, groups,
// roles and managed policies with every policy document that applies to
// them: the customer managed policies, and the AWS managed policies that
// are used in the account.
func (s *Service) GetAccountAuthorizationDetails(_ context.Context, caller *directory.Caller, in *sdk.GetAccountAuthorizationDetailsInput) (*sdk.GetAccountAuthorizationDetailsOutput, error) {
	for _, f := range in.Filter {
		if err := polCheckEnum(string(f), "filter", "User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"); err != nil {
			return nil, err
		}
	}
	snap := s.dir.Snapshot()
	if err := authorize(snap, caller, "iam:GetAccountAuthorizationDetails", "*", nil); err != nil {
		return nil, err
	}
	want := func(t types.EntityType) bool {
		if len(in.Filter) == 0 {
			return true
		}
		for _, f := range in.Filter {
			if f == t {
				return true
			}
		}
		return false
	}
	acct := snap.AccountIAM(caller.AccountID)
	usages := polUsages(acct)
	var items []gaadItem
	if want(types.EntityTypeUser) {
		for _, u := range acct.Users {
			items = append(items, gaadItem{key: "1/" + directory.Key(u.Name), user: u})
		}
	}
	if want(types.EntityTypeGroup) {
		for _, g := range acct.Groups {
			items = append(items, gaadItem{key: "2/" + directory.Key(g.Name), group: g})
		}
	}
	if want(types.EntityTypeRole) {
		for _, r := range acct.Roles {
			items = append(items, gaadItem{key: "3/" + directory.Key(r.Name), role: r})
		}
	}
	if want(types.EntityTypeLocalManagedPolicy) {
		for _, p := range acct.Policies {
			items = append(items, gaadItem{key: "4/" + directory.Key(p.Name) + "|" + p.ARN, policy: p})
		}
	}
	if want(types.EntityTypeAWSManagedPolicy) {
		for a := range usages {
			if p, ok := snap.Policy(a); ok && polIsAWSManaged(a) {
				items = append(items, gaadItem{key: "4/" + directory.Key(p.Name) + "|" + p.ARN, policy: p})
			}
		}
	}
	pg, err := paginate(items, func(it gaadItem) string { return it.key }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &sdk.GetAccountAuthorizationDetailsOutput{
		UserDetailList: []types.UserDetail{}, GroupDetailList: []types.GroupDetail{}, RoleDetailList: []types.RoleDetail{},
		Policies: []types.ManagedPolicyDetail{}, IsTruncated: pg.Truncated, Marker: pg.Marker,
	}
	for _, it := range pg.Items {
		switch {
		case it.user != nil:
			out.UserDetailList = append(out.UserDetailList, gaadUser(snap, acct, it.user))
		case it.group != nil:
			out.GroupDetailList = append(out.GroupDetailList, gaadGroup(snap, it.group))
		case it.role != nil:
			out.RoleDetailList = append(out.RoleDetailList, gaadRole(snap, acct, it.role))
		case it.policy != nil:
			out.Policies = append(out.Policies, gaadPolicy(it.policy, usages[it.policy.ARN]))
		}
	}
	return out, nil
}

// gaadInline lists inline policies with their URL-encoded documents.
func gaadInline(p *directory.Principal) []types.PolicyDetail {
	out := make([]types.PolicyDetail, 0, len(p.Inline))
	for _, ip := range p.Inline {
		out = append(out, types.PolicyDetail{PolicyName: ptr(ip.Name), PolicyDocument: ptr(encodeDocument(ip.Document))})
	}
	return out
}

// gaadAttached lists attached managed policies by name and ARN.
func gaadAttached(snap *directory.Snapshot, p *directory.Principal) []types.AttachedPolicy {
	out := make([]types.AttachedPolicy, 0, len(p.Attached))
	for _, a := range p.Attached {
		name := a[strings.LastIndexByte(a, '/')+1:]
		if mp, ok := snap.Policy(a); ok {
			name = mp.Name
		}
		out = append(out, types.AttachedPolicy{PolicyArn: ptr(a), PolicyName: ptr(name)})
	}
	return out
}

// gaadBoundary returns a principal's permissions boundary, or nil.
func gaadBoundary(p *directory.Principal) *types.AttachedPermissionsBoundary {
	if p.Boundary == "" {
		return nil
	}
	return &types.AttachedPermissionsBoundary{PermissionsBoundaryArn: ptr(p.Boundary), PermissionsBoundaryType: types.PermissionsBoundaryAttachmentTypePolicy}
}

// gaadTags converts tags, nil when there are none.
func gaadTags(tags []directory.Tag) []types.Tag {
	if len(tags) == 0 {
		return nil
	}
	return sdkTags(tags)
}

func gaadUser(snap *directory.Snapshot, acct *directory.AccountIAM, u *directory.User) types.UserDetail {
	groups := []string{}
	for _, g := range acct.GroupsOf(u.Name) {
		groups = append(groups, g.Name)
	}
	return types.UserDetail{
		Path: ptr(u.Path), UserName: ptr(u.Name), UserId: ptr(u.ID), Arn: ptr(u.ARN), CreateDate: ptr(u.CreateDate),
		UserPolicyList: gaadInline(&u.Principal), GroupList: groups, AttachedManagedPolicies: gaadAttached(snap, &u.Principal),
		PermissionsBoundary: gaadBoundary(&u.Principal), Tags: gaadTags(u.Tags),
	}
}

func gaadGroup(snap *directory.Snapshot, g *directory.Group) types.GroupDetail {
	return types.GroupDetail{
		Path: ptr(g.Path), GroupName: ptr(g.Name), GroupId: ptr(g.ID), Arn: ptr(g.ARN), CreateDate: ptr(g.CreateDate),
		GroupPolicyList: gaadInline(&g.Principal), AttachedManagedPolicies: gaadAttached(snap, &g.Principal),
	}
}

func gaadRole(snap *directory.Snapshot, acct *directory.AccountIAM, r *directory.Role) types.RoleDetail {
	profiles := []types.InstanceProfile{}
	for _, ip := range acct.InstanceProfiles {
		for _, rn := range ip.Roles {
			if directory.Key(rn) == directory.Key(r.Name) {
				profiles = append(profiles, types.InstanceProfile{
					InstanceProfileName: ptr(ip.Name), InstanceProfileId: ptr(ip.ID), Arn: ptr(ip.ARN), Path: ptr(ip.Path),
					CreateDate: ptr(ip.CreateDate), Roles: []types.Role{sdkRole(r, false)},
				})
			}
		}
	}
	return types.RoleDetail{
		Path: ptr(r.Path), RoleName: ptr(r.Name), RoleId: ptr(r.ID), Arn: ptr(r.ARN), CreateDate: ptr(r.CreateDate),
		AssumeRolePolicyDocument: ptr(encodeDocument(r.TrustPolicy)), InstanceProfileList: profiles,
		RolePolicyList: gaadInline(&r.Principal), AttachedManagedPolicies: gaadAttached(snap, &r.Principal),
		PermissionsBoundary: gaadBoundary(&r.Principal), Tags: gaadTags(r.Tags), RoleLastUsed: &types.RoleLastUsed{},
	}
}

func gaadPolicy(p *directory.ManagedPolicy, use polUsage) types.ManagedPolicyDetail {
	versions := append([]directory.PolicyVersion(nil), p.Versions...)
	slices.SortFunc(versions, func(a, b directory.PolicyVersion) int { return strings.Compare(polVersionKey(a), polVersionKey(b)) })
	list := make([]types.PolicyVersion, 0, len(versions))
	for i := range versions {
		list = append(list, sdkPolicyVersion(p, &versions[i], true))
	}
	out := types.ManagedPolicyDetail{
		PolicyName: ptr(p.Name), PolicyId: ptr(p.ID), Arn: ptr(p.ARN), Path: ptr(p.Path),
		DefaultVersionId: ptr(p.DefaultVersion), AttachmentCount: ptr(use.Attachments),
		PermissionsBoundaryUsageCount: ptr(use.Boundaries), IsAttachable: true,
		CreateDate: ptr(p.CreateDate), UpdateDate: ptr(p.UpdateDate), PolicyVersionList: list,
	}
	if p.Description != "" {
		out.Description = ptr(p.Description)
	}
	return out
}
