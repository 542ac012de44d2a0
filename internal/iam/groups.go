package iam

import (
	"context"
	"slices"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// Group limits, as in IAM.
const (
	grpMaxNameLen          = 128
	grpMaxInlineTotalChars = 5120
)

// grpARN returns a group's ARN.
func grpARN(account, path, name string) string { return entityARN(account, "group", path, name) }

// grpGet finds a group of an account.
func grpGet(acct *directory.AccountIAM, name string) (*directory.Group, error) {
	g, ok := acct.Groups[directory.Key(name)]
	if !ok {
		return nil, noSuchEntity("The group with name %s cannot be found.", name)
	}
	return g, nil
}

// grpAuthorized finds the named group of the caller's account and
// authorizes action on it; a missing group is reported only to a caller
// allowed to act on the ARN it would have (path "/").
func grpAuthorized(snap *directory.Snapshot, caller *directory.Caller, name, action string, reqCtx *policy.Context) (*directory.Group, error) {
	if err := checkName(name, "groupName", grpMaxNameLen); err != nil {
		return nil, err
	}
	g, err := grpGet(snap.AccountIAM(caller.AccountID), name)
	if err != nil {
		if aerr := authorize(snap, caller, action, grpARN(caller.AccountID, "/", name), reqCtx); aerr != nil {
			return nil, aerr
		}
		return nil, err
	}
	if err := authorize(snap, caller, action, g.ARN, reqCtx); err != nil {
		return nil, err
	}
	return g, nil
}

// grpCopy returns a copy of g that can be modified.
func grpCopy(cur *directory.Group) *directory.Group {
	g := *cur
	g.Inline = append([]directory.InlinePolicy(nil), cur.Inline...)
	g.Attached = append([]string(nil), cur.Attached...)
	g.Tags = append([]directory.Tag(nil), cur.Tags...)
	g.Members = append([]string(nil), cur.Members...)
	return &g
}

// grpSDK converts a group for a response.
func grpSDK(g *directory.Group) types.Group {
	return types.Group{Path: ptr(g.Path), GroupName: ptr(g.Name), GroupId: ptr(g.ID), Arn: ptr(g.ARN), CreateDate: ptr(g.CreateDate)}
}

// modifyGroup runs fn on a copy of the named group after authorizing
// action, and stores the result.
func (s *Service) modifyGroup(ctx context.Context, caller *directory.Caller, name, action string, reqCtx *policy.Context, fn func(t *txn, g *directory.Group) error) error {
	return s.update(ctx, func(t *txn) error {
		cur, err := grpAuthorized(t.Snap, caller, name, action, reqCtx)
		if err != nil {
			return err
		}
		g := grpCopy(cur)
		if err := fn(t, g); err != nil {
			return err
		}
		t.IAM(caller.AccountID).Groups[directory.Key(g.Name)] = g
		return t.Put(kindGroup, caller.AccountID, directory.Key(g.Name), g)
	})
}

// CreateGroup creates an IAM group.
func (s *Service) CreateGroup(ctx context.Context, caller *directory.Caller, in *sdk.CreateGroupInput) (*sdk.CreateGroupOutput, error) {
	name := deref(in.GroupName)
	if err := checkName(name, "groupName", grpMaxNameLen); err != nil {
		return nil, err
	}
	path, err := checkPath(in.Path, "path")
	if err != nil {
		return nil, err
	}
	var out *sdk.CreateGroupOutput
	err = s.update(ctx, func(t *txn) error {
		arn := grpARN(caller.AccountID, path, name)
		if err := authorize(t.Snap, caller, "iam:CreateGroup", arn, nil); err != nil {
			return err
		}
		acct := t.IAM(caller.AccountID)
		if _, exists := acct.Groups[directory.Key(name)]; exists {
			return entityAlreadyExists("Group with name %s already exists.", name)
		}
		id, err := creds.NewUniqueID(creds.PrefixGroup)
		if err != nil {
			return err
		}
		g := &directory.Group{Principal: directory.Principal{Name: name, Path: path, ID: id, ARN: arn, CreateDate: s.usrNow(caller)}}
		acct.Groups[directory.Key(name)] = g
		out = &sdk.CreateGroupOutput{Group: ptr(grpSDK(g))}
		return t.Put(kindGroup, caller.AccountID, directory.Key(name), g)
	})
	return out, err
}

// GetGroup returns a group and its members.
func (s *Service) GetGroup(_ context.Context, caller *directory.Caller, in *sdk.GetGroupInput) (*sdk.GetGroupOutput, error) {
	snap := s.dir.Snapshot()
	g, err := grpAuthorized(snap, caller, deref(in.GroupName), "iam:GetGroup", nil)
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
	var groups []*directory.Group
	for _, g := range snap.AccountIAM(caller.AccountID).Groups {
		if hasPathPrefix(g.Path, in.PathPrefix) {
			groups = append(groups, g)
		}
	}
	return grpList(groups, in.Marker, in.MaxItems, func(gs []types.Group, truncated bool, marker *string) *sdk.ListGroupsOutput {
		return &sdk.ListGroupsOutput{Groups: gs, IsTruncated: truncated, Marker: marker}
	})
}

// grpList paginates groups by name into an output.
func grpList[O any](groups []*directory.Group, marker *string, maxItems *int32, out func([]types.Group, bool, *string) *O) (*O, error) {
	p, err := paginate(groups, func(g *directory.Group) string { return directory.Key(g.Name) }, marker, maxItems)
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
	err := s.update(ctx, func(t *txn) error {
		cur, err := grpAuthorized(t.Snap, caller, deref(in.GroupName), "iam:UpdateGroup", nil)
		if err != nil {
			return err
		}
		g := grpCopy(cur)
		if in.NewGroupName != nil {
			g.Name = *in.NewGroupName
		}
		if in.NewPath != nil && *in.NewPath != "" {
			g.Path = *in.NewPath
		}
		g.ARN = grpARN(caller.AccountID, g.Path, g.Name)
		if g.ARN != cur.ARN {
			if err := authorize(t.Snap, caller, "iam:UpdateGroup", g.ARN, nil); err != nil {
				return err
			}
		}
		acct := t.IAM(caller.AccountID)
		oldKey, newKey := directory.Key(cur.Name), directory.Key(g.Name)
		if oldKey != newKey {
			if _, exists := acct.Groups[newKey]; exists {
				return entityAlreadyExists("Group with name %s already exists.", g.Name)
			}
			delete(acct.Groups, oldKey)
			t.Del(kindGroup, caller.AccountID, oldKey)
		}
		acct.Groups[newKey] = g
		return t.Put(kindGroup, caller.AccountID, newKey, g)
	})
	if err != nil {
		return nil, err
	}
	return &sdk.UpdateGroupOutput{}, nil
}

// DeleteGroup deletes a group that has no members and no policies.
func (s *Service) DeleteGroup(ctx context.Context, caller *directory.Caller, in *sdk.DeleteGroupInput) (*sdk.DeleteGroupOutput, error) {
	err := s.update(ctx, func(t *txn) error {
		g, err := grpAuthorized(t.Snap, caller, deref(in.GroupName), "iam:DeleteGroup", nil)
		if err != nil {
			return err
		}
		switch {
		case len(g.Members) > 0:
			return deleteConflict("Cannot delete entity, must remove users from group first.")
		case len(g.Inline) > 0:
			return deleteConflict("Cannot delete entity, must delete policies first.")
		case len(g.Attached) > 0:
			return deleteConflict("Cannot delete entity, must detach all policies first.")
		}
		delete(t.IAM(caller.AccountID).Groups, directory.Key(g.Name))
		t.Del(kindGroup, caller.AccountID, directory.Key(g.Name))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.DeleteGroupOutput{}, nil
}

// AddUserToGroup adds a user to a group (adding a member again is a
// no-op).
func (s *Service) AddUserToGroup(ctx context.Context, caller *directory.Caller, in *sdk.AddUserToGroupInput) (*sdk.AddUserToGroupOutput, error) {
	userName := deref(in.UserName)
	if err := checkName(userName, "userName", usrMaxNameLen); err != nil {
		return nil, err
	}
	err := s.modifyGroup(ctx, caller, deref(in.GroupName), "iam:AddUserToGroup", nil, func(t *txn, g *directory.Group) error {
		acct := t.Snap.AccountIAM(caller.AccountID)
		u, err := usrGet(acct, userName)
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
	if err != nil {
		return nil, err
	}
	return &sdk.AddUserToGroupOutput{}, nil
}

// RemoveUserFromGroup removes a user from a group.
func (s *Service) RemoveUserFromGroup(ctx context.Context, caller *directory.Caller, in *sdk.RemoveUserFromGroupInput) (*sdk.RemoveUserFromGroupOutput, error) {
	userName := deref(in.UserName)
	if err := checkName(userName, "userName", usrMaxNameLen); err != nil {
		return nil, err
	}
	err := s.modifyGroup(ctx, caller, deref(in.GroupName), "iam:RemoveUserFromGroup", nil, func(t *txn, g *directory.Group) error {
		u, err := usrGet(t.Snap.AccountIAM(caller.AccountID), userName)
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
	if err != nil {
		return nil, err
	}
	return &sdk.RemoveUserFromGroupOutput{}, nil
}

// ListGroupsForUser lists the groups a user is a member of.
func (s *Service) ListGroupsForUser(_ context.Context, caller *directory.Caller, in *sdk.ListGroupsForUserInput) (*sdk.ListGroupsForUserOutput, error) {
	snap := s.dir.Snapshot()
	u, err := usrAuthorized(snap, caller, deref(in.UserName), "iam:ListGroupsForUser", nil, false)
	if err != nil {
		return nil, err
	}
	groups := snap.AccountIAM(caller.AccountID).GroupsOf(u.Name)
	return grpList(groups, in.Marker, in.MaxItems, func(gs []types.Group, truncated bool, marker *string) *sdk.ListGroupsForUserOutput {
		return &sdk.ListGroupsForUserOutput{Groups: gs, IsTruncated: truncated, Marker: marker}
	})
}

// PutGroupPolicy adds or replaces an inline policy of a group.
func (s *Service) PutGroupPolicy(ctx context.Context, caller *directory.Caller, in *sdk.PutGroupPolicyInput) (*sdk.PutGroupPolicyOutput, error) {
	name := deref(in.PolicyName)
	if err := checkName(name, "policyName", maxPolicyNameLen); err != nil {
		return nil, err
	}
	err := s.modifyGroup(ctx, caller, deref(in.GroupName), "iam:PutGroupPolicy", nil, func(_ *txn, g *directory.Group) error {
		return putInline(&g.Principal, name, deref(in.PolicyDocument), grpMaxInlineTotalChars, "group")
	})
	if err != nil {
		return nil, err
	}
	return &sdk.PutGroupPolicyOutput{}, nil
}

// GetGroupPolicy returns an inline policy of a group.
func (s *Service) GetGroupPolicy(_ context.Context, caller *directory.Caller, in *sdk.GetGroupPolicyInput) (*sdk.GetGroupPolicyOutput, error) {
	snap := s.dir.Snapshot()
	g, err := grpAuthorized(snap, caller, deref(in.GroupName), "iam:GetGroupPolicy", nil)
	if err != nil {
		return nil, err
	}
	ip, _ := g.InlineByName(deref(in.PolicyName))
	if ip == nil {
		return nil, noSuchEntity("The group policy with name %s cannot be found.", deref(in.PolicyName))
	}
	return &sdk.GetGroupPolicyOutput{GroupName: ptr(g.Name), PolicyName: ptr(ip.Name), PolicyDocument: ptr(encodeDocument(ip.Document))}, nil
}

// ListGroupPolicies lists the names of a group's inline policies.
func (s *Service) ListGroupPolicies(_ context.Context, caller *directory.Caller, in *sdk.ListGroupPoliciesInput) (*sdk.ListGroupPoliciesOutput, error) {
	snap := s.dir.Snapshot()
	g, err := grpAuthorized(snap, caller, deref(in.GroupName), "iam:ListGroupPolicies", nil)
	if err != nil {
		return nil, err
	}
	p, err := inlineNames(&g.Principal, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &sdk.ListGroupPoliciesOutput{PolicyNames: append([]string{}, p.Items...), IsTruncated: p.Truncated, Marker: p.Marker}, nil
}

// DeleteGroupPolicy deletes an inline policy of a group.
func (s *Service) DeleteGroupPolicy(ctx context.Context, caller *directory.Caller, in *sdk.DeleteGroupPolicyInput) (*sdk.DeleteGroupPolicyOutput, error) {
	err := s.modifyGroup(ctx, caller, deref(in.GroupName), "iam:DeleteGroupPolicy", nil, func(_ *txn, g *directory.Group) error {
		_, i := g.InlineByName(deref(in.PolicyName))
		if i < 0 {
			return noSuchEntity("The group policy with name %s cannot be found.", deref(in.PolicyName))
		}
		g.Inline = append(g.Inline[:i:i], g.Inline[i+1:]...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.DeleteGroupPolicyOutput{}, nil
}

// AttachGroupPolicy attaches a managed policy to a group.
func (s *Service) AttachGroupPolicy(ctx context.Context, caller *directory.Caller, in *sdk.AttachGroupPolicyInput) (*sdk.AttachGroupPolicyOutput, error) {
	err := s.modifyGroup(ctx, caller, deref(in.GroupName), "iam:AttachGroupPolicy", usrPolicyARNContext(deref(in.PolicyArn)), func(t *txn, g *directory.Group) error {
		var err error
		g.Attached, err = attachTo(t.Snap, caller.AccountID, g.Attached, deref(in.PolicyArn), "PoliciesPerGroup")
		return err
	})
	if err != nil {
		return nil, err
	}
	return &sdk.AttachGroupPolicyOutput{}, nil
}

// DetachGroupPolicy detaches a managed policy from a group.
func (s *Service) DetachGroupPolicy(ctx context.Context, caller *directory.Caller, in *sdk.DetachGroupPolicyInput) (*sdk.DetachGroupPolicyOutput, error) {
	err := s.modifyGroup(ctx, caller, deref(in.GroupName), "iam:DetachGroupPolicy", usrPolicyARNContext(deref(in.PolicyArn)), func(_ *txn, g *directory.Group) error {
		var err error
		g.Attached, err = detachFrom(g.Attached, deref(in.PolicyArn))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &sdk.DetachGroupPolicyOutput{}, nil
}

// ListAttachedGroupPolicies lists the managed policies attached to a group.
func (s *Service) ListAttachedGroupPolicies(_ context.Context, caller *directory.Caller, in *sdk.ListAttachedGroupPoliciesInput) (*sdk.ListAttachedGroupPoliciesOutput, error) {
	snap := s.dir.Snapshot()
	g, err := grpAuthorized(snap, caller, deref(in.GroupName), "iam:ListAttachedGroupPolicies", nil)
	if err != nil {
		return nil, err
	}
	p, err := attachedPolicies(snap, g.Attached, in.PathPrefix, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &sdk.ListAttachedGroupPoliciesOutput{AttachedPolicies: append([]types.AttachedPolicy{}, p.Items...), IsTruncated: p.Truncated, Marker: p.Marker}, nil
}
