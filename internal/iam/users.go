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
)

// User limits, as in IAM.
const (
	usrMaxNameLen          = 64
	usrMaxInlineTotalChars = 2048
	usrMaxGroups           = 10
)

// usrARN returns a user's ARN.
func usrARN(account, path, name string) string { return entityARN(account, "user", path, name) }

// users describes IAM users to the entity layer.
var users = &entity[directory.User]{
	kind: "user", record: kindUser,
	check:         checkNameField("userName", usrMaxNameLen),
	notFound:      func(name string) error { return noSuchEntity("The user with name %s cannot be found.", name) },
	alreadyExists: func(name string) error { return entityAlreadyExists("User with name %s already exists.", name) },
	all:           func(a *directory.AccountIAM) map[string]*directory.User { return a.Users },
	fields:        func(u *directory.User) entityFields { return principalFields(&u.Principal) },
	clone: func(cur *directory.User) *directory.User {
		u := *cur
		clonePrincipal(&u.Principal)
		return &u
	},
	conflicts:   usrDeleteConflicts,
	inlineLimit: usrMaxInlineTotalChars, attachQuota: "PoliciesPerUser",
}

// usrDeleteConflicts says why a user can't be deleted yet: it still has
// a login profile, access keys, other credentials (signing certificates,
// MFA devices, SSH public keys, service-specific credentials), policies or
// group memberships; IAM names the first it finds in that order.
func usrDeleteConflicts(snap *directory.Snapshot, account string, u *directory.User) error {
	acct := snap.AccountIAM(account)
	if err := credLoginConflict(acct, u); err != nil {
		return err
	}
	if len(usrKeys(snap, account, u.Name)) > 0 {
		return deleteConflict("Cannot delete entity, must delete access keys first.")
	}
	if err := credConflicts(acct, u); err != nil {
		return err
	}
	if err := policiesConflict(&u.Principal); err != nil {
		return err
	}
	if len(acct.GroupsOf(u.Name)) > 0 {
		return deleteConflict(conflictGroupMembers)
	}
	return nil
}

// usrNow is the time of the caller's request, to the second.
func (s *Service) usrNow(caller *directory.Caller) time.Time {
	t := caller.RequestTime
	if t.IsZero() {
		t = s.now()
	}
	return t.UTC().Truncate(time.Second)
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
	path, err := users.checkCreate(name, in.Path)
	if err != nil {
		return nil, err
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	reqCtx := tagContext(tags)
	if in.PermissionsBoundary != nil {
		reqCtx.Set("iam:PermissionsBoundary", *in.PermissionsBoundary)
	}
	arn := usrARN(caller.AccountID, path, name)
	u, err := users.create(ctx, s, caller, arn, "iam:CreateUser", reqCtx, func(t *txn) (*directory.User, error) {
		if in.PermissionsBoundary != nil {
			if err := checkBoundary(t.Snap, caller.AccountID, *in.PermissionsBoundary); err != nil {
				return nil, err
			}
		}
		if err := users.checkNew(t.Snap, caller.AccountID, name); err != nil {
			return nil, err
		}
		id, err := creds.NewUniqueID(creds.PrefixUser)
		if err != nil {
			return nil, err
		}
		return &directory.User{Principal: directory.Principal{
			Name: name, Path: path, ID: id, ARN: arn, CreateDate: s.usrNow(caller),
			Tags: tags, Boundary: deref(in.PermissionsBoundary),
		}}, nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.CreateUserOutput{User: ptr(usrSDK(u, true))}, nil
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
	u, err := users.authorized(snap, caller, name, "iam:GetUser", nil)
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
	err := users.update(ctx, s, caller, deref(in.UserName), "iam:UpdateUser", in.NewUserName, in.NewPath, usrRenamed)
	return output(&sdk.UpdateUserOutput{}, err)
}

// usrRenamed carries a renamed user's group memberships and access keys,
// which name it, over to its new name.
func usrRenamed(t *txn, account string, old, u *directory.User) error {
	for _, g := range t.IAM(account).GroupsOf(old.Name) {
		ng := groups.clone(g)
		for i, m := range ng.Members {
			if strings.EqualFold(m, old.Name) {
				ng.Members[i] = u.Name
			}
		}
		if err := groups.store(t, account, ng); err != nil {
			return err
		}
	}
	for _, k := range usrKeys(t.Snap, account, old.Name) {
		nk := *k
		nk.UserName = u.Name
		t.Snap.AccessKeys[nk.AccessKeyID] = &nk
		if err := t.Put(kindAccessKey, account, nk.AccessKeyID, &nk); err != nil {
			return err
		}
	}
	return nil
}

// DeleteUser deletes a user that has no credentials (login profile,
// access keys, signing certificates, MFA devices, SSH public keys,
// service-specific credentials), policies or group memberships.
func (s *Service) DeleteUser(ctx context.Context, caller *directory.Caller, in *sdk.DeleteUserInput) (*sdk.DeleteUserOutput, error) {
	return output(&sdk.DeleteUserOutput{}, users.delete(ctx, s, caller, deref(in.UserName), "iam:DeleteUser"))
}

// TagUser adds or replaces tags on a user.
func (s *Service) TagUser(ctx context.Context, caller *directory.Caller, in *sdk.TagUserInput) (*sdk.TagUserOutput, error) {
	return output(&sdk.TagUserOutput{}, users.tag(ctx, s, caller, deref(in.UserName), "iam:TagUser", in.Tags))
}

// UntagUser removes tags from a user.
func (s *Service) UntagUser(ctx context.Context, caller *directory.Caller, in *sdk.UntagUserInput) (*sdk.UntagUserOutput, error) {
	return output(&sdk.UntagUserOutput{}, users.untag(ctx, s, caller, deref(in.UserName), "iam:UntagUser", in.TagKeys))
}

// ListUserTags lists a user's tags.
func (s *Service) ListUserTags(_ context.Context, caller *directory.Caller, in *sdk.ListUserTagsInput) (*sdk.ListUserTagsOutput, error) {
	p, err := users.listTags(s.dir.Snapshot(), caller, deref(in.UserName), "iam:ListUserTags", in.Marker, in.MaxItems)
	return output(&sdk.ListUserTagsOutput{Tags: p.Items, IsTruncated: p.Truncated, Marker: p.Marker}, err)
}

// PutUserPolicy adds or replaces an inline policy of a user.
func (s *Service) PutUserPolicy(ctx context.Context, caller *directory.Caller, in *sdk.PutUserPolicyInput) (*sdk.PutUserPolicyOutput, error) {
	err := users.putPolicy(ctx, s, caller, deref(in.UserName), "iam:PutUserPolicy", deref(in.PolicyName), deref(in.PolicyDocument))
	return output(&sdk.PutUserPolicyOutput{}, err)
}

// GetUserPolicy returns an inline policy of a user.
func (s *Service) GetUserPolicy(_ context.Context, caller *directory.Caller, in *sdk.GetUserPolicyInput) (*sdk.GetUserPolicyOutput, error) {
	u, ip, err := users.getPolicy(s.dir.Snapshot(), caller, deref(in.UserName), "iam:GetUserPolicy", deref(in.PolicyName))
	if err != nil {
		return nil, err
	}
	return &sdk.GetUserPolicyOutput{UserName: ptr(u.Name), PolicyName: ptr(ip.Name), PolicyDocument: ptr(encodeDocument(ip.Document))}, nil
}

// ListUserPolicies lists the names of a user's inline policies.
func (s *Service) ListUserPolicies(_ context.Context, caller *directory.Caller, in *sdk.ListUserPoliciesInput) (*sdk.ListUserPoliciesOutput, error) {
	p, err := users.listPolicies(s.dir.Snapshot(), caller, deref(in.UserName), "iam:ListUserPolicies", in.Marker, in.MaxItems)
	return output(&sdk.ListUserPoliciesOutput{PolicyNames: p.Items, IsTruncated: p.Truncated, Marker: p.Marker}, err)
}

// DeleteUserPolicy deletes an inline policy of a user.
func (s *Service) DeleteUserPolicy(ctx context.Context, caller *directory.Caller, in *sdk.DeleteUserPolicyInput) (*sdk.DeleteUserPolicyOutput, error) {
	err := users.deletePolicy(ctx, s, caller, deref(in.UserName), "iam:DeleteUserPolicy", deref(in.PolicyName))
	return output(&sdk.DeleteUserPolicyOutput{}, err)
}

// AttachUserPolicy attaches a managed policy to a user.
func (s *Service) AttachUserPolicy(ctx context.Context, caller *directory.Caller, in *sdk.AttachUserPolicyInput) (*sdk.AttachUserPolicyOutput, error) {
	err := users.attachPolicy(ctx, s, caller, deref(in.UserName), "iam:AttachUserPolicy", deref(in.PolicyArn))
	return output(&sdk.AttachUserPolicyOutput{}, err)
}

// DetachUserPolicy detaches a managed policy from a user.
func (s *Service) DetachUserPolicy(ctx context.Context, caller *directory.Caller, in *sdk.DetachUserPolicyInput) (*sdk.DetachUserPolicyOutput, error) {
	err := users.detachPolicy(ctx, s, caller, deref(in.UserName), "iam:DetachUserPolicy", deref(in.PolicyArn))
	return output(&sdk.DetachUserPolicyOutput{}, err)
}

// ListAttachedUserPolicies lists the managed policies attached to a user.
func (s *Service) ListAttachedUserPolicies(_ context.Context, caller *directory.Caller, in *sdk.ListAttachedUserPoliciesInput) (*sdk.ListAttachedUserPoliciesOutput, error) {
	p, err := users.listAttachedPolicies(s.dir.Snapshot(), caller, deref(in.UserName), "iam:ListAttachedUserPolicies", in.PathPrefix, in.Marker, in.MaxItems)
	return output(&sdk.ListAttachedUserPoliciesOutput{AttachedPolicies: p.Items, IsTruncated: p.Truncated, Marker: p.Marker}, err)
}

// PutUserPermissionsBoundary sets a user's permissions boundary.
func (s *Service) PutUserPermissionsBoundary(ctx context.Context, caller *directory.Caller, in *sdk.PutUserPermissionsBoundaryInput) (*sdk.PutUserPermissionsBoundaryOutput, error) {
	err := users.putPermissionsBoundary(ctx, s, caller, deref(in.UserName), "iam:PutUserPermissionsBoundary", deref(in.PermissionsBoundary))
	return output(&sdk.PutUserPermissionsBoundaryOutput{}, err)
}

// DeleteUserPermissionsBoundary removes a user's permissions boundary.
func (s *Service) DeleteUserPermissionsBoundary(ctx context.Context, caller *directory.Caller, in *sdk.DeleteUserPermissionsBoundaryInput) (*sdk.DeleteUserPermissionsBoundaryOutput, error) {
	err := users.deletePermissionsBoundary(ctx, s, caller, deref(in.UserName), "iam:DeleteUserPermissionsBoundary")
	return output(&sdk.DeleteUserPermissionsBoundaryOutput{}, err)
}
