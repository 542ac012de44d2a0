package iam

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// User limits, as in IAM.
const (
	usrMaxNameLen          = 64
	usrMaxInlineTotalChars = 2048
	usrMaxGroups           = 10
)

// usrARN returns a user's ARN.
func usrARN(account, path, name string) string { return entityARN(account, "user", path, name) }

// usrGet finds a user of an account.
func usrGet(acct *directory.AccountIAM, name string) (*directory.User, error) {
	u, ok := acct.Users[directory.Key(name)]
	if !ok {
		return nil, noSuchEntity("The user with name %s cannot be found.", name)
	}
	return u, nil
}

// usrNow is the time of the caller's request, to the second.
func (s *Service) usrNow(caller *directory.Caller) time.Time {
	t := caller.RequestTime
	if t.IsZero() {
		t = s.now()
	}
	return t.UTC().Truncate(time.Second)
}

// usrContext returns reqCtx (copied, or new) with the condition keys a
// request on an existing user carries: aws:ResourceTag/… and, when
// withBoundary is set and the request does not name one, the user's
// current permissions boundary as iam:PermissionsBoundary.
func usrContext(u *directory.User, reqCtx *policy.Context, withBoundary bool) *policy.Context {
	if reqCtx == nil {
		reqCtx = policy.NewContext()
	} else {
		reqCtx = reqCtx.Clone()
	}
	for _, t := range u.Tags {
		reqCtx.Set("aws:ResourceTag/"+t.Key, t.Value)
	}
	if withBoundary && u.Boundary != "" {
		if _, ok := reqCtx.Lookup("iam:PermissionsBoundary"); !ok {
			reqCtx.Set("iam:PermissionsBoundary", u.Boundary)
		}
	}
	return reqCtx
}

// usrAuthorized finds the named user of the caller's account and
// authorizes action on it. A missing user is reported only to a caller
// allowed to act on the ARN it would have (path "/"), as IAM does.
func usrAuthorized(snap *directory.Snapshot, caller *directory.Caller, name, action string, reqCtx *policy.Context, withBoundary bool) (*directory.User, error) {
	if err := checkName(name, "userName", usrMaxNameLen); err != nil {
		return nil, err
	}
	u, err := usrGet(snap.AccountIAM(caller.AccountID), name)
	if err != nil {
		if aerr := authorize(snap, caller, action, usrARN(caller.AccountID, "/", name), reqCtx); aerr != nil {
			return nil, aerr
		}
		return nil, err
	}
	if err := authorize(snap, caller, action, u.ARN, usrContext(u, reqCtx, withBoundary)); err != nil {
		return nil, err
	}
	return u, nil
}

// usrCopy returns a copy of u that can be modified.
func usrCopy(cur *directory.User) *directory.User {
	u := *cur
	u.Inline = append([]directory.InlinePolicy(nil), cur.Inline...)
	u.Attached = append([]string(nil), cur.Attached...)
	u.Tags = append([]directory.Tag(nil), cur.Tags...)
	return &u
}

// usrSDK converts a user for a response; full includes tags and the
// boundary, which ListUsers leaves out as IAM does.
func usrSDK(u *directory.User, full bool) types.User {
	out := types.User{Path: ptr(u.Path), UserName: ptr(u.Name), UserId: ptr(u.ID), Arn: ptr(u.ARN), CreateDate: ptr(u.CreateDate)}
	if full {
		if len(u.Tags) > 0 {
			out.Tags = sdkTags(u.Tags)
		}
		if u.Boundary != "" {
			out.PermissionsBoundary = &types.AttachedPermissionsBoundary{PermissionsBoundaryArn: ptr(u.Boundary), PermissionsBoundaryType: types.PermissionsBoundaryAttachmentTypePolicy}
		}
	}
	return out
}

// modifyUser runs fn on a copy of the named user after authorizing
// action, and stores the result.
func (s *Service) modifyUser(ctx context.Context, caller *directory.Caller, name, action string, reqCtx *policy.Context, withBoundary bool, fn func(t *txn, u *directory.User) error) (*directory.User, error) {
	var result *directory.User
	err := s.update(ctx, func(t *txn) error {
		cur, err := usrAuthorized(t.Snap, caller, name, action, reqCtx, withBoundary)
		if err != nil {
			return err
		}
		u := usrCopy(cur)
		if err := fn(t, u); err != nil {
			return err
		}
		t.IAM(caller.AccountID).Users[directory.Key(u.Name)] = u
		result = u
		return t.Put(kindUser, caller.AccountID, directory.Key(u.Name), u)
	})
	return result, err
}

// usrKeys returns the access keys of a user (userName "" is the account's
// root user), sorted by key ID.
func usrKeys(snap *directory.Snapshot, accountID, userName string) []*directory.AccessKey {
	var out []*directory.AccessKey
	for _, k := range snap.AccessKeys {
		if k.AccountID != accountID {
			continue
		}
		if (userName == "" && k.UserName == "") || (userName != "" && strings.EqualFold(k.UserName, userName)) {
			out = append(out, k)
		}
	}
	keySort(out)
	return out
}

// CreateUser creates an IAM user.
func (s *Service) CreateUser(ctx context.Context, caller *directory.Caller, in *sdk.CreateUserInput) (*sdk.CreateUserOutput, error) {
	name := deref(in.UserName)
	if err := checkName(name, "userName", usrMaxNameLen); err != nil {
		return nil, err
	}
	path, err := checkPath(in.Path, "path")
	if err != nil {
		return nil, err
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	var out *sdk.CreateUserOutput
	err = s.update(ctx, func(t *txn) error {
		arn := usrARN(caller.AccountID, path, name)
		reqCtx := tagContext(tags)
		if in.PermissionsBoundary != nil {
			reqCtx.Set("iam:PermissionsBoundary", *in.PermissionsBoundary)
		}
		if err := authorize(t.Snap, caller, "iam:CreateUser", arn, reqCtx); err != nil {
			return err
		}
		if in.PermissionsBoundary != nil {
			if err := checkBoundary(t.Snap, caller.AccountID, *in.PermissionsBoundary); err != nil {
				return err
			}
		}
		acct := t.IAM(caller.AccountID)
		if _, exists := acct.Users[directory.Key(name)]; exists {
			return entityAlreadyExists("User with name %s already exists.", name)
		}
		id, err := creds.NewUniqueID(creds.PrefixUser)
		if err != nil {
			return err
		}
		u := &directory.User{Principal: directory.Principal{
			Name: name, Path: path, ID: id, ARN: arn, CreateDate: s.usrNow(caller),
			Tags: tags, Boundary: deref(in.PermissionsBoundary),
		}}
		acct.Users[directory.Key(name)] = u
		out = &sdk.CreateUserOutput{User: ptr(usrSDK(u, true))}
		return t.Put(kindUser, caller.AccountID, directory.Key(name), u)
	})
	return out, err
}

// GetUser returns the named user, or the caller when no name is given
// (for the root user: its account ID and root ARN, as AWS answers).
func (s *Service) GetUser(_ context.Context, caller *directory.Caller, in *sdk.GetUserInput) (*sdk.GetUserOutput, error) {
	snap := s.dir.Snapshot()
	name := deref(in.UserName)
	if in.UserName == nil {
		if caller.IsRoot() {
			a := snap.Accounts[caller.AccountID]
			out := &sdk.GetUserOutput{User: &types.User{UserId: aws.String(caller.AccountID), Arn: aws.String(caller.ARN)}}
			if a != nil {
				out.User.CreateDate = aws.Time(a.CreateDate)
			}
			return out, nil
		}
		name = caller.UserName
	}
	u, err := usrAuthorized(snap, caller, name, "iam:GetUser", nil, false)
	if err != nil {
		return nil, err
	}
	return &sdk.GetUserOutput{User: ptr(usrSDK(u, true))}, nil
}

// ListUsers lists the account's users, by name.
func (s *Service) ListUsers(_ context.Context, caller *directory.Caller, in *sdk.ListUsersInput) (*sdk.ListUsersOutput, error) {
	snap := s.dir.Snapshot()
	if err := authorize(snap, caller, "iam:ListUsers", "arn:aws:iam::"+caller.AccountID+":user/", nil); err != nil {
		return nil, err
	}
	p, err := listByPath(snap.AccountIAM(caller.AccountID).Users, func(u *directory.User) string { return u.Path }, in.PathPrefix, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &sdk.ListUsersOutput{Users: []types.User{}, IsTruncated: p.Truncated, Marker: p.Marker}
	for _, u := range p.Items {
		out.Users = append(out.Users, usrSDK(u, false))
	}
	return out, nil
}

// UpdateUser renames a user or changes its path. The user keeps its
// unique ID, policies, group memberships and access keys. The caller must
// be allowed iam:UpdateUser on both the current and the new ARN.
func (s *Service) UpdateUser(ctx context.Context, caller *directory.Caller, in *sdk.UpdateUserInput) (*sdk.UpdateUserOutput, error) {
	if in.NewUserName != nil {
		if err := checkName(*in.NewUserName, "newUserName", usrMaxNameLen); err != nil {
			return nil, err
		}
	}
	if in.NewPath != nil {
		if _, err := checkPath(in.NewPath, "newPath"); err != nil {
			return nil, err
		}
	}
	err := s.update(ctx, func(t *txn) error {
		cur, err := usrAuthorized(t.Snap, caller, deref(in.UserName), "iam:UpdateUser", nil, false)
		if err != nil {
			return err
		}
		u := usrCopy(cur)
		if in.NewUserName != nil {
			u.Name = *in.NewUserName
		}
		if in.NewPath != nil && *in.NewPath != "" {
			u.Path = *in.NewPath
		}
		u.ARN = usrARN(caller.AccountID, u.Path, u.Name)
		if u.ARN != cur.ARN {
			if err := authorize(t.Snap, caller, "iam:UpdateUser", u.ARN, usrContext(cur, nil, false)); err != nil {
				return err
			}
		}
		acct := t.IAM(caller.AccountID)
		oldKey, newKey := directory.Key(cur.Name), directory.Key(u.Name)
		if oldKey != newKey {
			if _, exists := acct.Users[newKey]; exists {
				return entityAlreadyExists("User with name %s already exists.", u.Name)
			}
			delete(acct.Users, oldKey)
			t.Del(kindUser, caller.AccountID, oldKey)
		}
		acct.Users[newKey] = u
		if err := t.Put(kindUser, caller.AccountID, newKey, u); err != nil {
			return err
		}
		if u.Name == cur.Name {
			return nil
		}
		// The memberships and access keys name the user: carry them over.
		for _, g := range acct.GroupsOf(cur.Name) {
			ng := grpCopy(g)
			for i, m := range ng.Members {
				if strings.EqualFold(m, cur.Name) {
					ng.Members[i] = u.Name
				}
			}
			acct.Groups[directory.Key(ng.Name)] = ng
			if err := t.Put(kindGroup, caller.AccountID, directory.Key(ng.Name), ng); err != nil {
				return err
			}
		}
		for _, k := range usrKeys(t.Snap, caller.AccountID, cur.Name) {
			nk := *k
			nk.UserName = u.Name
			t.Snap.AccessKeys[nk.AccessKeyID] = &nk
			if err := t.Put(kindAccessKey, caller.AccountID, nk.AccessKeyID, &nk); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.UpdateUserOutput{}, nil
}

// DeleteUser deletes a user that has no access keys, policies or group
// memberships.
func (s *Service) DeleteUser(ctx context.Context, caller *directory.Caller, in *sdk.DeleteUserInput) (*sdk.DeleteUserOutput, error) {
	err := s.update(ctx, func(t *txn) error {
		u, err := usrAuthorized(t.Snap, caller, deref(in.UserName), "iam:DeleteUser", nil, false)
		if err != nil {
			return err
		}
		acct := t.Snap.AccountIAM(caller.AccountID)
		switch {
		case len(usrKeys(t.Snap, caller.AccountID, u.Name)) > 0:
			return deleteConflict("Cannot delete entity, must delete access keys first.")
		case len(u.Inline) > 0:
			return deleteConflict("Cannot delete entity, must delete policies first.")
		case len(u.Attached) > 0:
			return deleteConflict("Cannot delete entity, must detach all policies first.")
		case len(acct.GroupsOf(u.Name)) > 0:
			return deleteConflict("Cannot delete entity, must remove users from group first.")
		}
		delete(t.IAM(caller.AccountID).Users, directory.Key(u.Name))
		t.Del(kindUser, caller.AccountID, directory.Key(u.Name))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.DeleteUserOutput{}, nil
}

// TagUser adds or replaces tags on a user.
func (s *Service) TagUser(ctx context.Context, caller *directory.Caller, in *sdk.TagUserInput) (*sdk.TagUserOutput, error) {
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	_, err = s.modifyUser(ctx, caller, deref(in.UserName), "iam:TagUser", tagContext(tags), false, func(_ *txn, u *directory.User) error {
		var err error
		u.Tags, err = mergeTags(u.Tags, tags)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &sdk.TagUserOutput{}, nil
}

// UntagUser removes tags from a user.
func (s *Service) UntagUser(ctx context.Context, caller *directory.Caller, in *sdk.UntagUserInput) (*sdk.UntagUserOutput, error) {
	reqCtx := policy.NewContext()
	reqCtx.SetMulti("aws:TagKeys", in.TagKeys...)
	_, err := s.modifyUser(ctx, caller, deref(in.UserName), "iam:UntagUser", reqCtx, false, func(_ *txn, u *directory.User) error {
		u.Tags = removeTags(u.Tags, in.TagKeys)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.UntagUserOutput{}, nil
}

// ListUserTags lists a user's tags.
func (s *Service) ListUserTags(_ context.Context, caller *directory.Caller, in *sdk.ListUserTagsInput) (*sdk.ListUserTagsOutput, error) {
	snap := s.dir.Snapshot()
	u, err := usrAuthorized(snap, caller, deref(in.UserName), "iam:ListUserTags", nil, false)
	if err != nil {
		return nil, err
	}
	p, err := paginate(sdkTags(u.Tags), func(t types.Tag) string { return deref(t.Key) }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &sdk.ListUserTagsOutput{Tags: append([]types.Tag{}, p.Items...), IsTruncated: p.Truncated, Marker: p.Marker}, nil
}

// PutUserPolicy adds or replaces an inline policy of a user.
func (s *Service) PutUserPolicy(ctx context.Context, caller *directory.Caller, in *sdk.PutUserPolicyInput) (*sdk.PutUserPolicyOutput, error) {
	name := deref(in.PolicyName)
	if err := checkName(name, "policyName", maxPolicyNameLen); err != nil {
		return nil, err
	}
	_, err := s.modifyUser(ctx, caller, deref(in.UserName), "iam:PutUserPolicy", nil, true, func(_ *txn, u *directory.User) error {
		return putInline(&u.Principal, name, deref(in.PolicyDocument), usrMaxInlineTotalChars, "user")
	})
	if err != nil {
		return nil, err
	}
	return &sdk.PutUserPolicyOutput{}, nil
}

// GetUserPolicy returns an inline policy of a user.
func (s *Service) GetUserPolicy(_ context.Context, caller *directory.Caller, in *sdk.GetUserPolicyInput) (*sdk.GetUserPolicyOutput, error) {
	snap := s.dir.Snapshot()
	u, err := usrAuthorized(snap, caller, deref(in.UserName), "iam:GetUserPolicy", nil, false)
	if err != nil {
		return nil, err
	}
	ip, _ := u.InlineByName(deref(in.PolicyName))
	if ip == nil {
		return nil, noSuchEntity("The user policy with name %s cannot be found.", deref(in.PolicyName))
	}
	return &sdk.GetUserPolicyOutput{UserName: ptr(u.Name), PolicyName: ptr(ip.Name), PolicyDocument: ptr(encodeDocument(ip.Document))}, nil
}

// ListUserPolicies lists the names of a user's inline policies.
func (s *Service) ListUserPolicies(_ context.Context, caller *directory.Caller, in *sdk.ListUserPoliciesInput) (*sdk.ListUserPoliciesOutput, error) {
	snap := s.dir.Snapshot()
	u, err := usrAuthorized(snap, caller, deref(in.UserName), "iam:ListUserPolicies", nil, false)
	if err != nil {
		return nil, err
	}
	p, err := inlineNames(&u.Principal, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &sdk.ListUserPoliciesOutput{PolicyNames: append([]string{}, p.Items...), IsTruncated: p.Truncated, Marker: p.Marker}, nil
}

// DeleteUserPolicy deletes an inline policy of a user.
func (s *Service) DeleteUserPolicy(ctx context.Context, caller *directory.Caller, in *sdk.DeleteUserPolicyInput) (*sdk.DeleteUserPolicyOutput, error) {
	_, err := s.modifyUser(ctx, caller, deref(in.UserName), "iam:DeleteUserPolicy", nil, true, func(_ *txn, u *directory.User) error {
		_, i := u.InlineByName(deref(in.PolicyName))
		if i < 0 {
			return noSuchEntity("The user policy with name %s cannot be found.", deref(in.PolicyName))
		}
		u.Inline = append(u.Inline[:i:i], u.Inline[i+1:]...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.DeleteUserPolicyOutput{}, nil
}

// usrPolicyARNContext is the request context of an attach or detach.
func usrPolicyARNContext(policyARN string) *policy.Context {
	reqCtx := policy.NewContext()
	reqCtx.Set("iam:PolicyARN", policyARN)
	return reqCtx
}

// AttachUserPolicy attaches a managed policy to a user.
func (s *Service) AttachUserPolicy(ctx context.Context, caller *directory.Caller, in *sdk.AttachUserPolicyInput) (*sdk.AttachUserPolicyOutput, error) {
	_, err := s.modifyUser(ctx, caller, deref(in.UserName), "iam:AttachUserPolicy", usrPolicyARNContext(deref(in.PolicyArn)), true, func(t *txn, u *directory.User) error {
		var err error
		u.Attached, err = attachTo(t.Snap, caller.AccountID, u.Attached, deref(in.PolicyArn), "PoliciesPerUser")
		return err
	})
	if err != nil {
		return nil, err
	}
	return &sdk.AttachUserPolicyOutput{}, nil
}

// DetachUserPolicy detaches a managed policy from a user.
func (s *Service) DetachUserPolicy(ctx context.Context, caller *directory.Caller, in *sdk.DetachUserPolicyInput) (*sdk.DetachUserPolicyOutput, error) {
	_, err := s.modifyUser(ctx, caller, deref(in.UserName), "iam:DetachUserPolicy", usrPolicyARNContext(deref(in.PolicyArn)), true, func(_ *txn, u *directory.User) error {
		var err error
		u.Attached, err = detachFrom(u.Attached, deref(in.PolicyArn))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &sdk.DetachUserPolicyOutput{}, nil
}

// ListAttachedUserPolicies lists the managed policies attached to a user.
func (s *Service) ListAttachedUserPolicies(_ context.Context, caller *directory.Caller, in *sdk.ListAttachedUserPoliciesInput) (*sdk.ListAttachedUserPoliciesOutput, error) {
	snap := s.dir.Snapshot()
	u, err := usrAuthorized(snap, caller, deref(in.UserName), "iam:ListAttachedUserPolicies", nil, false)
	if err != nil {
		return nil, err
	}
	p, err := attachedPolicies(snap, u.Attached, in.PathPrefix, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &sdk.ListAttachedUserPoliciesOutput{AttachedPolicies: append([]types.AttachedPolicy{}, p.Items...), IsTruncated: p.Truncated, Marker: p.Marker}, nil
}

// PutUserPermissionsBoundary sets a user's permissions boundary.
func (s *Service) PutUserPermissionsBoundary(ctx context.Context, caller *directory.Caller, in *sdk.PutUserPermissionsBoundaryInput) (*sdk.PutUserPermissionsBoundaryOutput, error) {
	reqCtx := policy.NewContext()
	reqCtx.Set("iam:PermissionsBoundary", deref(in.PermissionsBoundary))
	_, err := s.modifyUser(ctx, caller, deref(in.UserName), "iam:PutUserPermissionsBoundary", reqCtx, false, func(t *txn, u *directory.User) error {
		if err := checkBoundary(t.Snap, caller.AccountID, deref(in.PermissionsBoundary)); err != nil {
			return err
		}
		u.Boundary = deref(in.PermissionsBoundary)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.PutUserPermissionsBoundaryOutput{}, nil
}

// DeleteUserPermissionsBoundary removes a user's permissions boundary.
func (s *Service) DeleteUserPermissionsBoundary(ctx context.Context, caller *directory.Caller, in *sdk.DeleteUserPermissionsBoundaryInput) (*sdk.DeleteUserPermissionsBoundaryOutput, error) {
	_, err := s.modifyUser(ctx, caller, deref(in.UserName), "iam:DeleteUserPermissionsBoundary", nil, true, func(_ *txn, u *directory.User) error {
		if u.Boundary == "" {
			return noSuchEntity("The user with name %s does not have a permissions boundary.", u.Name)
		}
		u.Boundary = ""
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.DeleteUserPermissionsBoundaryOutput{}, nil
}
