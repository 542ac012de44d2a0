package iam

import (
	"context"
	"slices"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/directory"
)

// Group limits, as in IAM.
const (
	grpMaxNameLen          = 128
	grpMaxInlineTotalChars = 5120
)

// grpARN returns a group's ARN.
func grpARN(account, path, name string) string { return entityARN(account, "group", path, name) }

// groups describes IAM groups to the entity layer. Groups have no tags
// and no permissions boundary.
var groups = &entity[directory.Group]{
	kind: "group", record: kindGroup,
	check:         checkNameField("groupName", grpMaxNameLen),
	notFound:      func(name string) error { return noSuchEntity("The group with name %s cannot be found.", name) },
	alreadyExists: func(name string) error { return entityAlreadyExists("Group with name %s already exists.", name) },
	all:           func(a *directory.AccountIAM) map[string]*directory.Group { return a.Groups },
	fields:        func(g *directory.Group) entityFields { return principalFields(&g.Principal) },
	clone: func(cur *directory.Group) *directory.Group {
		g := *cur
		clonePrincipal(&g.Principal)
		g.Members = append([]string(nil), cur.Members...)
		return &g
	},
	conflicts: func(_ *directory.Snapshot, _ string, g *directory.Group) error {
		if len(g.Members) > 0 {
			return deleteConflict(conflictGroupMembers)
		}
		return policiesConflict(&g.Principal)
	},
	inlineLimit: grpMaxInlineTotalChars, attachQuota: "PoliciesPerGroup",
}

// grpSDK converts a group for a response.
func grpSDK(g *directory.Group) types.Group {
	return types.Group{Path: ptr(g.Path), GroupName: ptr(g.Name), GroupId: ptr(g.ID), Arn: ptr(g.ARN), CreateDate: ptr(g.CreateDate)}
}

// CreateGroup creates an IAM group.
func (s *Service) CreateGroup(ctx context.Context, caller *directory.Caller, in *sdk.CreateGroupInput) (*sdk.CreateGroupOutput, error) {
	name := deref(in.GroupName)
	path, err := groups.checkCreate(name, in.Path)
	if err != nil {
		return nil, err
	}
	arn := grpARN(caller.AccountID, path, name)
	g, err := groups.create(ctx, s, caller, arn, "iam:CreateGroup", nil, func(t *txn) (*directory.Group, error) {
		if err := groups.checkNew(t.Snap, caller.AccountID, name); err != nil {
			return nil, err
		}
		id, err := creds.NewUniqueID(creds.PrefixGroup)
		if err != nil {
			return nil, err
		}
		return &directory.Group{Principal: directory.Principal{Name: name, Path: path, ID: id, ARN: arn, CreateDate: s.usrNow(caller)}}, nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.CreateGroupOutput{Group: ptr(grpSDK(g))}, nil
}

// GetGroup returns a group and its members.
func (s *Service) GetGroup(_ context.Context, caller *directory.Caller, in *sdk.GetGroupInput) (*sdk.GetGroupOutput, error) {
	snap := s.dir.Snapshot()
	g, err := groups.authorized(snap, caller, deref(in.GroupName), "iam:GetGroup", nil)
	if err != nil {
		return nil, err
	}
	acct := snap.AccountIAM(caller.AccountID)
	var members []*directory.User
	for _, m := range g.Members {
		if u, ok := acct.Users[directory.Key(m)]; ok {
			members = append(members, u)
		}
	}
	p, err := paginate(members, func(u *directory.User) string { return directory.Key(u.Name) }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &sdk.GetGroupOutput{Group: ptr(grpSDK(g)), Users: []types.User{}, IsTruncated: p.Truncated, Marker: p.Marker}
	for _, u := range p.Items {
		out.Users = append(out.Users, usrSDK(u, false))
	}
	return out, nil
}

// ListGroups lists the account's groups, by name.
func (s *Service) ListGroups(_ context.Context, caller *directory.Caller, in *sdk.ListGroupsInput) (*sdk.ListGroupsOutput, error) {
	snap := s.dir.Snapshot()
	if err := authorize(snap, caller, "iam:ListGroups", "arn:aws:iam::"+caller.AccountID+":group/", nil); err != nil {
		return nil, err
	}
	var list []*directory.Group
	for _, g := range snap.AccountIAM(caller.AccountID).Groups {
		if hasPathPrefix(g.Path, in.PathPrefix) {
			list = append(list, g)
		}
	}
	return grpList(list, in.Marker, in.MaxItems, func(gs []types.Group, truncated bool, marker *string) *sdk.ListGroupsOutput {
		return &sdk.ListGroupsOutput{Groups: gs, IsTruncated: truncated, Marker: marker}
	})
}

// grpList paginates groups by name into an output.
func grpList[O any](found []*directory.Group, marker *string, maxItems *int32, out func([]types.Group, bool, *string) *O) (*O, error) {
	p, err := paginate(found, func(g *directory.Group) string { return directory.Key(g.Name) }, marker, maxItems)
	if err != nil {
		return nil, err
	}
	list := []types.Group{}
	for _, g := range p.Items {
		list = append(list, grpSDK(g))
	}
	return out(list, p.Truncated, p.Marker), nil
}

// UpdateGroup renames a group or changes its path; its members and
// policies stay. The caller must be allowed iam:UpdateGroup on both the
// current and the new ARN.
func (s *Service) UpdateGroup(ctx context.Context, caller *directory.Caller, in *sdk.UpdateGroupInput) (*sdk.UpdateGroupOutput, error) {
	if in.NewGroupName != nil {
		if err := checkName(*in.NewGroupName, "newGroupName", grpMaxNameLen); err != nil {
			return nil, err
		}
	}
	if in.NewPath != nil {
		if _, err := checkPath(in.NewPath, "newPath"); err != nil {
			return nil, err
		}
	}
	err := groups.update(ctx, s, caller, deref(in.GroupName), "iam:UpdateGroup", in.NewGroupName, in.NewPath, nil)
	return output(&sdk.UpdateGroupOutput{}, err)
}

// DeleteGroup deletes a group that has no members and no policies.
func (s *Service) DeleteGroup(ctx context.Context, caller *directory.Caller, in *sdk.DeleteGroupInput) (*sdk.DeleteGroupOutput, error) {
	return output(&sdk.DeleteGroupOutput{}, groups.delete(ctx, s, caller, deref(in.GroupName), "iam:DeleteGroup"))
}

// AddUserToGroup adds a user to a group (adding a member again is a
// no-op).
func (s *Service) AddUserToGroup(ctx context.Context, caller *directory.Caller, in *sdk.AddUserToGroupInput) (*sdk.AddUserToGroupOutput, error) {
	userName := deref(in.UserName)
	if err := checkName(userName, "userName", usrMaxNameLen); err != nil {
		return nil, err
	}
	_, err := groups.modify(ctx, s, caller, deref(in.GroupName), "iam:AddUserToGroup", nil, func(t *txn, g *directory.Group) error {
		acct := t.Snap.AccountIAM(caller.AccountID)
		u, err := users.find(acct, userName)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(g.Members, func(m string) bool { return strings.EqualFold(m, u.Name) }) {
			return nil
		}
		if len(acct.GroupsOf(u.Name)) >= usrMaxGroups {
			return limitExceeded("Cannot exceed quota for GroupsPerUser: %d", usrMaxGroups)
		}
		g.Members = append(g.Members, u.Name)
		return nil
	})
	return output(&sdk.AddUserToGroupOutput{}, err)
}

// RemoveUserFromGroup removes a user from a group.
func (s *Service) RemoveUserFromGroup(ctx context.Context, caller *directory.Caller, in *sdk.RemoveUserFromGroupInput) (*sdk.RemoveUserFromGroupOutput, error) {
	userName := deref(in.UserName)
	if err := checkName(userName, "userName", usrMaxNameLen); err != nil {
		return nil, err
	}
	_, err := groups.modify(ctx, s, caller, deref(in.GroupName), "iam:RemoveUserFromGroup", nil, func(t *txn, g *directory.Group) error {
		u, err := users.find(t.Snap.AccountIAM(caller.AccountID), userName)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(g.Members, func(m string) bool { return strings.EqualFold(m, u.Name) })
		if i < 0 {
			return noSuchEntity("The user with name %s is not a member of the group %s.", u.Name, g.Name)
		}
		g.Members = slices.Delete(g.Members, i, i+1)
		return nil
	})
	return output(&sdk.RemoveUserFromGroupOutput{}, err)
}

// ListGroupsForUser lists the groups a user is a member of.
func (s *Service) ListGroupsForUser(_ context.Context, caller *directory.Caller, in *sdk.ListGroupsForUserInput) (*sdk.ListGroupsForUserOutput, error) {
	snap := s.dir.Snapshot()
	u, err := users.authorized(snap, caller, deref(in.UserName), "iam:ListGroupsForUser", nil)
	if err != nil {
		return nil, err
	}
	return grpList(snap.AccountIAM(caller.AccountID).GroupsOf(u.Name), in.Marker, in.MaxItems, func(gs []types.Group, truncated bool, marker *string) *sdk.ListGroupsForUserOutput {
		return &sdk.ListGroupsForUserOutput{Groups: gs, IsTruncated: truncated, Marker: marker}
	})
}

// PutGroupPolicy adds or replaces an inline policy of a group.
func (s *Service) PutGroupPolicy(ctx context.Context, caller *directory.Caller, in *sdk.PutGroupPolicyInput) (*sdk.PutGroupPolicyOutput, error) {
	err := groups.putPolicy(ctx, s, caller, deref(in.GroupName), "iam:PutGroupPolicy", deref(in.PolicyName), deref(in.PolicyDocument))
	return output(&sdk.PutGroupPolicyOutput{}, err)
}

// GetGroupPolicy returns an inline policy of a group.
func (s *Service) GetGroupPolicy(_ context.Context, caller *directory.Caller, in *sdk.GetGroupPolicyInput) (*sdk.GetGroupPolicyOutput, error) {
	g, ip, err := groups.getPolicy(s.dir.Snapshot(), caller, deref(in.GroupName), "iam:GetGroupPolicy", deref(in.PolicyName))
	if err != nil {
		return nil, err
	}
	return &sdk.GetGroupPolicyOutput{GroupName: ptr(g.Name), PolicyName: ptr(ip.Name), PolicyDocument: ptr(encodeDocument(ip.Document))}, nil
}

// ListGroupPolicies lists the names of a group's inline policies.
func (s *Service) ListGroupPolicies(_ context.Context, caller *directory.Caller, in *sdk.ListGroupPoliciesInput) (*sdk.ListGroupPoliciesOutput, error) {
	p, err := groups.listPolicies(s.dir.Snapshot(), caller, deref(in.GroupName), "iam:ListGroupPolicies", in.Marker, in.MaxItems)
	return output(&sdk.ListGroupPoliciesOutput{PolicyNames: p.Items, IsTruncated: p.Truncated, Marker: p.Marker}, err)
}

// DeleteGroupPolicy deletes an inline policy of a group.
func (s *Service) DeleteGroupPolicy(ctx context.Context, caller *directory.Caller, in *sdk.DeleteGroupPolicyInput) (*sdk.DeleteGroupPolicyOutput, error) {
	err := groups.deletePolicy(ctx, s, caller, deref(in.GroupName), "iam:DeleteGroupPolicy", deref(in.PolicyName))
	return output(&sdk.DeleteGroupPolicyOutput{}, err)
}

// AttachGroupPolicy attaches a managed policy to a group.
func (s *Service) AttachGroupPolicy(ctx context.Context, caller *directory.Caller, in *sdk.AttachGroupPolicyInput) (*sdk.AttachGroupPolicyOutput, error) {
	err := groups.attachPolicy(ctx, s, caller, deref(in.GroupName), "iam:AttachGroupPolicy", deref(in.PolicyArn))
	return output(&sdk.AttachGroupPolicyOutput{}, err)
}

// DetachGroupPolicy detaches a managed policy from a group.
func (s *Service) DetachGroupPolicy(ctx context.Context, caller *directory.Caller, in *sdk.DetachGroupPolicyInput) (*sdk.DetachGroupPolicyOutput, error) {
	err := groups.detachPolicy(ctx, s, caller, deref(in.GroupName), "iam:DetachGroupPolicy", deref(in.PolicyArn))
	return output(&sdk.DetachGroupPolicyOutput{}, err)
}

// ListAttachedGroupPolicies lists the managed policies attached to a group.
func (s *Service) ListAttachedGroupPolicies(_ context.Context, caller *directory.Caller, in *sdk.ListAttachedGroupPoliciesInput) (*sdk.ListAttachedGroupPoliciesOutput, error) {
	p, err := groups.listAttachedPolicies(s.dir.Snapshot(), caller, deref(in.GroupName), "iam:ListAttachedGroupPolicies", in.PathPrefix, in.Marker, in.MaxItems)
	return output(&sdk.ListAttachedGroupPoliciesOutput{AttachedPolicies: p.Items, IsTruncated: p.Truncated, Marker: p.Marker}, err)
}
