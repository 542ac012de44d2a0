package iam

import (
	"context"
	"strconv"

	sdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// Role limits, as in IAM.
const (
	maxRoleNameLen          = 64
	maxPolicyNameLen        = 128
	maxDescriptionLen       = 1000
	minSessionDuration      = 3600
	maxSessionDuration      = 43200
	maxManagedPerEntity     = 10
	maxRoleInlineTotalChars = 10240
)

// roleARN returns the ARN for a role name in the caller's account.
func roleARNFor(account, path, name string) string { return entityARN(account, "role", path, name) }

// getRole finds a role of the caller's account.
func getRole(acct *directory.AccountIAM, name string) (*directory.Role, error) {
	r, ok := acct.Roles[directory.Key(name)]
	if !ok {
		return nil, noSuchEntity("The role with name %s cannot be found.", name)
	}
	return r, nil
}

// sdkRole converts a role for a response; full includes tags and the
// boundary, which ListRoles leaves out as IAM does.
func sdkRole(r *directory.Role, full bool) types.Role {
	out := types.Role{
		Path: ptr(r.Path), RoleName: ptr(r.Name), RoleId: ptr(r.ID), Arn: ptr(r.ARN),
		CreateDate: ptr(r.CreateDate), AssumeRolePolicyDocument: ptr(encodeDocument(r.TrustPolicy)),
		MaxSessionDuration: ptr(r.MaxSessionDuration),
	}
	if r.Description != "" {
		out.Description = ptr(r.Description)
	}
	if full {
		if len(r.Tags) > 0 {
			out.Tags = sdkTags(r.Tags)
		}
		if r.Boundary != "" {
			out.PermissionsBoundary = &types.AttachedPermissionsBoundary{PermissionsBoundaryArn: ptr(r.Boundary), PermissionsBoundaryType: types.PermissionsBoundaryAttachmentTypePolicy}
		}
		out.RoleLastUsed = &types.RoleLastUsed{}
	}
	return out
}

// parseTrust validates a trust policy document, including that the users
// and roles it names exist.
func parseTrust(snap *directory.Snapshot, doc string) (*policy.Policy, error) {
	p, err := policy.Parse(doc, policy.Trust)
	if err != nil {
		return nil, policyError(err)
	}
	if err := checkTrustPrincipals(snap, p); err != nil {
		return nil, err
	}
	return p, nil
}

// checkBoundary validates the permissions boundary of a user or role of
// account: a well-formed policy ARN (InvalidInput otherwise) naming an AWS
// managed policy or one of account's own. Another account's policy gets
// the answer of a policy that does not exist, word for word, so that
// whether it exists can't be learnt (AWS: NoSuchEntity, 404, "Scope ARN:
// ARN does not exist or is not attachable.").
func checkBoundary(snap *directory.Snapshot, account, boundary string) error {
	if err := polCheckARNField(boundary, "permissionsBoundary"); err != nil {
		return err
	}
	if _, ok := snap.PolicyFor(account, boundary); !ok {
		return noSuchEntity("Scope ARN: %s does not exist or is not attachable.", boundary)
	}
	return nil
}

// CreateRole creates a role with a trust policy.
func (s *Service) CreateRole(ctx context.Context, caller *directory.Caller, in *sdk.CreateRoleInput) (*sdk.CreateRoleOutput, error) {
	name := deref(in.RoleName)
	if err := checkName(name, "roleName", maxRoleNameLen); err != nil {
		return nil, err
	}
	path, err := checkPath(in.Path, "path")
	if err != nil {
		return nil, err
	}
	if len(deref(in.Description)) > maxDescriptionLen {
		return nil, invalidField(deref(in.Description), "description", "Member must have length less than or equal to 1000")
	}
	duration := int32(minSessionDuration)
	if in.MaxSessionDuration != nil {
		duration = *in.MaxSessionDuration
		if duration < minSessionDuration || duration > maxSessionDuration {
			return nil, invalidField(strconv.Itoa(int(duration)), "maxSessionDuration", "Member must have value between 3600 and 43200")
		}
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	var out *sdk.CreateRoleOutput
	err = s.update(ctx, func(t *txn) error {
		roleARN := roleARNFor(caller.AccountID, path, name)
		reqCtx := tagContext(tags)
		if in.PermissionsBoundary != nil {
			reqCtx.Set("iam:PermissionsBoundary", *in.PermissionsBoundary)
		}
		if err := authorize(t.Snap, caller, "iam:CreateRole", roleARN, reqCtx); err != nil {
			return err
		}
		trust, err := parseTrust(t.Snap, deref(in.AssumeRolePolicyDocument))
		if err != nil {
			return err
		}
		if in.PermissionsBoundary != nil {
			if err := checkBoundary(t.Snap, caller.AccountID, *in.PermissionsBoundary); err != nil {
				return err
			}
		}
		acct := t.IAM(caller.AccountID)
		if _, exists := acct.Roles[directory.Key(name)]; exists {
			return entityAlreadyExists("Role with name %s already exists.", name)
		}
		id, err := creds.NewUniqueID(creds.PrefixRole)
		if err != nil {
			return err
		}
		r := &directory.Role{
			Principal: directory.Principal{
				Name: name, Path: path, ID: id, ARN: roleARN, CreateDate: caller.RequestTime.UTC().Truncate(1e9),
				Tags: tags, Boundary: deref(in.PermissionsBoundary),
			},
			TrustPolicy: deref(in.AssumeRolePolicyDocument), Description: deref(in.Description),
			MaxSessionDuration: duration, Trust: trust, TrustBindings: trustBindings(t.Snap, trust),
		}
		acct.Roles[directory.Key(name)] = r
		out = &sdk.CreateRoleOutput{Role: ptr(sdkRole(r, true))}
		out.Role.RoleLastUsed = nil
		return t.Put(kindRole, caller.AccountID, directory.Key(name), r)
	})
	return out, err
}

// GetRole returns a role.
func (s *Service) GetRole(_ context.Context, caller *directory.Caller, in *sdk.GetRoleInput) (*sdk.GetRoleOutput, error) {
	snap := s.dir.Snapshot()
	name := deref(in.RoleName)
	if err := checkName(name, "roleName", maxRoleNameLen); err != nil {
		return nil, err
	}
	r, err := getRole(snap.AccountIAM(caller.AccountID), name)
	if err != nil {
		if aerr := authorize(snap, caller, "iam:GetRole", roleARNFor(caller.AccountID, "/", name), nil); aerr != nil {
			return nil, aerr
		}
		return nil, err
	}
	if err := authorize(snap, caller, "iam:GetRole", r.ARN, nil); err != nil {
		return nil, err
	}
	out := sdkRole(r, true)
	doc, _ := snap.EffectiveTrust(r)
	out.AssumeRolePolicyDocument = ptr(encodeDocument(doc))
	return &sdk.GetRoleOutput{Role: &out}, nil
}

// ListRoles lists the account's roles, by name.
func (s *Service) ListRoles(_ context.Context, caller *directory.Caller, in *sdk.ListRolesInput) (*sdk.ListRolesOutput, error) {
	snap := s.dir.Snapshot()
	if err := authorize(snap, caller, "iam:ListRoles", "arn:aws:iam::"+caller.AccountID+":role/", nil); err != nil {
		return nil, err
	}
	p, err := listByPath(snap.AccountIAM(caller.AccountID).Roles, func(r *directory.Role) string { return r.Path }, in.PathPrefix, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &sdk.ListRolesOutput{Roles: []types.Role{}, IsTruncated: p.Truncated, Marker: p.Marker}
	for _, r := range p.Items {
		out.Roles = append(out.Roles, sdkRole(r, false))
	}
	return out, nil
}

// DeleteRole deletes a role that has no policies and is in no instance
// profile.
func (s *Service) DeleteRole(ctx context.Context, caller *directory.Caller, in *sdk.DeleteRoleInput) (*sdk.DeleteRoleOutput, error) {
	err := s.update(ctx, func(t *txn) error {
		acct := t.Snap.AccountIAM(caller.AccountID)
		r, err := getRole(acct, deref(in.RoleName))
		if err != nil {
			return err
		}
		if err := authorize(t.Snap, caller, "iam:DeleteRole", r.ARN, nil); err != nil {
			return err
		}
		switch {
		case len(r.Inline) > 0:
			return deleteConflict("Cannot delete entity, must delete policies first.")
		case len(r.Attached) > 0:
			return deleteConflict("Cannot delete entity, must detach all policies first.")
		}
		for _, ip := range acct.InstanceProfiles {
			for _, rn := range ip.Roles {
				if directory.Key(rn) == directory.Key(r.Name) {
					return deleteConflict("Cannot delete entity, must remove roles from instance profile first.")
				}
			}
		}
		delete(t.IAM(caller.AccountID).Roles, directory.Key(r.Name))
		t.Del(kindRole, caller.AccountID, directory.Key(r.Name))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.DeleteRoleOutput{}, nil
}

// modifyRole runs fn on a copy of the named role after authorizing
// action, and stores the result.
func (s *Service) modifyRole(ctx context.Context, caller *directory.Caller, name, action string, reqCtx *policy.Context, fn func(t *txn, r *directory.Role) error) (*directory.Role, error) {
	var result *directory.Role
	err := s.update(ctx, func(t *txn) error {
		cur, err := getRole(t.Snap.AccountIAM(caller.AccountID), name)
		if err != nil {
			return err
		}
		if err := authorize(t.Snap, caller, action, cur.ARN, withResourceTags(reqCtx, cur.Tags)); err != nil {
			return err
		}
		r := *cur
		r.Inline = append([]directory.InlinePolicy(nil), cur.Inline...)
		r.Attached = append([]string(nil), cur.Attached...)
		r.Tags = append([]directory.Tag(nil), cur.Tags...)
		if err := fn(t, &r); err != nil {
			return err
		}
		t.IAM(caller.AccountID).Roles[directory.Key(r.Name)] = &r
		result = &r
		return t.Put(kindRole, caller.AccountID, directory.Key(r.Name), &r)
	})
	return result, err
}

// UpdateRole changes a role's description and maximum session duration.
func (s *Service) UpdateRole(ctx context.Context, caller *directory.Caller, in *sdk.UpdateRoleInput) (*sdk.UpdateRoleOutput, error) {
	if in.MaxSessionDuration != nil && (*in.MaxSessionDuration < minSessionDuration || *in.MaxSessionDuration > maxSessionDuration) {
		return nil, invalidField(strconv.Itoa(int(*in.MaxSessionDuration)), "maxSessionDuration", "Member must have value between 3600 and 43200")
	}
	if len(deref(in.Description)) > maxDescriptionLen {
		return nil, invalidField(deref(in.Description), "description", "Member must have length less than or equal to 1000")
	}
	_, err := s.modifyRole(ctx, caller, deref(in.RoleName), "iam:UpdateRole", nil, func(_ *txn, r *directory.Role) error {
		if in.Description != nil {
			r.Description = *in.Description
		}
		if in.MaxSessionDuration != nil {
			r.MaxSessionDuration = *in.MaxSessionDuration
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.UpdateRoleOutput{}, nil
}

// UpdateRoleDescription changes a role's description.
func (s *Service) UpdateRoleDescription(ctx context.Context, caller *directory.Caller, in *sdk.UpdateRoleDescriptionInput) (*sdk.UpdateRoleDescriptionOutput, error) {
	if len(deref(in.Description)) > maxDescriptionLen {
		return nil, invalidField(deref(in.Description), "description", "Member must have length less than or equal to 1000")
	}
	r, err := s.modifyRole(ctx, caller, deref(in.RoleName), "iam:UpdateRoleDescription", nil, func(_ *txn, r *directory.Role) error {
		r.Description = deref(in.Description)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.UpdateRoleDescriptionOutput{Role: ptr(sdkRole(r, true))}, nil
}

// UpdateAssumeRolePolicy replaces a role's trust policy.
func (s *Service) UpdateAssumeRolePolicy(ctx context.Context, caller *directory.Caller, in *sdk.UpdateAssumeRolePolicyInput) (*sdk.UpdateAssumeRolePolicyOutput, error) {
	_, err := s.modifyRole(ctx, caller, deref(in.RoleName), "iam:UpdateAssumeRolePolicy", nil, func(t *txn, r *directory.Role) error {
		trust, err := parseTrust(t.Snap, deref(in.PolicyDocument))
		if err != nil {
			return err
		}
		r.TrustPolicy, r.Trust, r.TrustBindings = deref(in.PolicyDocument), trust, trustBindings(t.Snap, trust)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.UpdateAssumeRolePolicyOutput{}, nil
}

// PutRolePolicy adds or replaces an inline policy of a role.
func (s *Service) PutRolePolicy(ctx context.Context, caller *directory.Caller, in *sdk.PutRolePolicyInput) (*sdk.PutRolePolicyOutput, error) {
	name := deref(in.PolicyName)
	if err := checkName(name, "policyName", maxPolicyNameLen); err != nil {
		return nil, err
	}
	_, err := s.modifyRole(ctx, caller, deref(in.RoleName), "iam:PutRolePolicy", nil, func(_ *txn, r *directory.Role) error {
		return putInline(&r.Principal, name, deref(in.PolicyDocument), maxRoleInlineTotalChars, "role")
	})
	if err != nil {
		return nil, err
	}
	return &sdk.PutRolePolicyOutput{}, nil
}

// GetRolePolicy returns an inline policy of a role.
func (s *Service) GetRolePolicy(_ context.Context, caller *directory.Caller, in *sdk.GetRolePolicyInput) (*sdk.GetRolePolicyOutput, error) {
	snap := s.dir.Snapshot()
	r, err := getRole(snap.AccountIAM(caller.AccountID), deref(in.RoleName))
	if err != nil {
		return nil, err
	}
	if err := authorize(snap, caller, "iam:GetRolePolicy", r.ARN, nil); err != nil {
		return nil, err
	}
	ip, _ := r.InlineByName(deref(in.PolicyName))
	if ip == nil {
		return nil, noSuchEntity("The role policy with name %s cannot be found.", deref(in.PolicyName))
	}
	return &sdk.GetRolePolicyOutput{RoleName: ptr(r.Name), PolicyName: ptr(ip.Name), PolicyDocument: ptr(encodeDocument(ip.Document))}, nil
}

// ListRolePolicies lists the names of a role's inline policies.
func (s *Service) ListRolePolicies(_ context.Context, caller *directory.Caller, in *sdk.ListRolePoliciesInput) (*sdk.ListRolePoliciesOutput, error) {
	snap := s.dir.Snapshot()
	r, err := getRole(snap.AccountIAM(caller.AccountID), deref(in.RoleName))
	if err != nil {
		return nil, err
	}
	if err := authorize(snap, caller, "iam:ListRolePolicies", r.ARN, nil); err != nil {
		return nil, err
	}
	p, err := inlineNames(&r.Principal, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &sdk.ListRolePoliciesOutput{PolicyNames: append([]string{}, p.Items...), IsTruncated: p.Truncated, Marker: p.Marker}, nil
}

// DeleteRolePolicy deletes an inline policy of a role.
func (s *Service) DeleteRolePolicy(ctx context.Context, caller *directory.Caller, in *sdk.DeleteRolePolicyInput) (*sdk.DeleteRolePolicyOutput, error) {
	_, err := s.modifyRole(ctx, caller, deref(in.RoleName), "iam:DeleteRolePolicy", nil, func(_ *txn, r *directory.Role) error {
		_, i := r.InlineByName(deref(in.PolicyName))
		if i < 0 {
			return noSuchEntity("The role policy with name %s cannot be found.", deref(in.PolicyName))
		}
		r.Inline = append(r.Inline[:i], r.Inline[i+1:]...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.DeleteRolePolicyOutput{}, nil
}

// attachTo adds a managed policy to an attachment list (idempotent).
// Only AWS managed policies and the account's own can be attached;
// another account's policy gets the answer of one that does not exist.
func attachTo(snap *directory.Snapshot, account string, attached []string, policyARN string, quota string) ([]string, error) {
	if _, ok := snap.PolicyFor(account, policyARN); !ok {
		return nil, noSuchEntity("Policy %s does not exist or is not attachable.", policyARN)
	}
	for _, a := range attached {
		if a == policyARN {
			return attached, nil
		}
	}
	if len(attached) >= maxManagedPerEntity {
		return nil, limitExceeded("Cannot exceed quota for %s: %d", quota, maxManagedPerEntity)
	}
	return append(attached, policyARN), nil
}

// detachFrom removes a managed policy from an attachment list.
func detachFrom(attached []string, policyARN string) ([]string, error) {
	for i, a := range attached {
		if a == policyARN {
			return append(attached[:i:i], attached[i+1:]...), nil
		}
	}
	return nil, noSuchEntity("Policy %s was not found.", policyARN)
}

// attachedPolicies lists attachments for a response.
func attachedPolicies(snap *directory.Snapshot, attached []string, prefix, marker *string, maxItems *int32) (page[types.AttachedPolicy], error) {
	var list []types.AttachedPolicy
	for _, a := range attached {
		mp, ok := snap.Policy(a)
		if !ok || !hasPathPrefix(mp.Path, prefix) {
			continue
		}
		list = append(list, types.AttachedPolicy{PolicyArn: ptr(a), PolicyName: ptr(mp.Name)})
	}
	return paginate(list, func(p types.AttachedPolicy) string { return deref(p.PolicyArn) }, marker, maxItems)
}

// AttachRolePolicy attaches a managed policy to a role.
func (s *Service) AttachRolePolicy(ctx context.Context, caller *directory.Caller, in *sdk.AttachRolePolicyInput) (*sdk.AttachRolePolicyOutput, error) {
	reqCtx := policy.NewContext()
	reqCtx.Set("iam:PolicyARN", deref(in.PolicyArn))
	_, err := s.modifyRole(ctx, caller, deref(in.RoleName), "iam:AttachRolePolicy", reqCtx, func(t *txn, r *directory.Role) error {
		var err error
		r.Attached, err = attachTo(t.Snap, caller.AccountID, r.Attached, deref(in.PolicyArn), "PoliciesPerRole")
		return err
	})
	if err != nil {
		return nil, err
	}
	return &sdk.AttachRolePolicyOutput{}, nil
}

// DetachRolePolicy detaches a managed policy from a role.
func (s *Service) DetachRolePolicy(ctx context.Context, caller *directory.Caller, in *sdk.DetachRolePolicyInput) (*sdk.DetachRolePolicyOutput, error) {
	reqCtx := policy.NewContext()
	reqCtx.Set("iam:PolicyARN", deref(in.PolicyArn))
	_, err := s.modifyRole(ctx, caller, deref(in.RoleName), "iam:DetachRolePolicy", reqCtx, func(_ *txn, r *directory.Role) error {
		var err error
		r.Attached, err = detachFrom(r.Attached, deref(in.PolicyArn))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &sdk.DetachRolePolicyOutput{}, nil
}

// ListAttachedRolePolicies lists the managed policies attached to a role.
func (s *Service) ListAttachedRolePolicies(_ context.Context, caller *directory.Caller, in *sdk.ListAttachedRolePoliciesInput) (*sdk.ListAttachedRolePoliciesOutput, error) {
	snap := s.dir.Snapshot()
	r, err := getRole(snap.AccountIAM(caller.AccountID), deref(in.RoleName))
	if err != nil {
		return nil, err
	}
	if err := authorize(snap, caller, "iam:ListAttachedRolePolicies", r.ARN, nil); err != nil {
		return nil, err
	}
	p, err := attachedPolicies(snap, r.Attached, in.PathPrefix, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &sdk.ListAttachedRolePoliciesOutput{AttachedPolicies: append([]types.AttachedPolicy{}, p.Items...), IsTruncated: p.Truncated, Marker: p.Marker}, nil
}

// TagRole adds or replaces tags on a role.
func (s *Service) TagRole(ctx context.Context, caller *directory.Caller, in *sdk.TagRoleInput) (*sdk.TagRoleOutput, error) {
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	_, err = s.modifyRole(ctx, caller, deref(in.RoleName), "iam:TagRole", tagContext(tags), func(_ *txn, r *directory.Role) error {
		r.Tags, err = mergeTags(r.Tags, tags)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &sdk.TagRoleOutput{}, nil
}

// UntagRole removes tags from a role.
func (s *Service) UntagRole(ctx context.Context, caller *directory.Caller, in *sdk.UntagRoleInput) (*sdk.UntagRoleOutput, error) {
	reqCtx := policy.NewContext()
	reqCtx.SetMulti("aws:TagKeys", in.TagKeys...)
	_, err := s.modifyRole(ctx, caller, deref(in.RoleName), "iam:UntagRole", reqCtx, func(_ *txn, r *directory.Role) error {
		r.Tags = removeTags(r.Tags, in.TagKeys)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.UntagRoleOutput{}, nil
}

// ListRoleTags lists a role's tags.
func (s *Service) ListRoleTags(_ context.Context, caller *directory.Caller, in *sdk.ListRoleTagsInput) (*sdk.ListRoleTagsOutput, error) {
	snap := s.dir.Snapshot()
	r, err := getRole(snap.AccountIAM(caller.AccountID), deref(in.RoleName))
	if err != nil {
		return nil, err
	}
	if err := authorize(snap, caller, "iam:ListRoleTags", r.ARN, nil); err != nil {
		return nil, err
	}
	p, err := paginate(sdkTags(r.Tags), func(t types.Tag) string { return deref(t.Key) }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &sdk.ListRoleTagsOutput{Tags: append([]types.Tag{}, p.Items...), IsTruncated: p.Truncated, Marker: p.Marker}, nil
}

// PutRolePermissionsBoundary sets a role's permissions boundary.
func (s *Service) PutRolePermissionsBoundary(ctx context.Context, caller *directory.Caller, in *sdk.PutRolePermissionsBoundaryInput) (*sdk.PutRolePermissionsBoundaryOutput, error) {
	reqCtx := policy.NewContext()
	reqCtx.Set("iam:PermissionsBoundary", deref(in.PermissionsBoundary))
	_, err := s.modifyRole(ctx, caller, deref(in.RoleName), "iam:PutRolePermissionsBoundary", reqCtx, func(t *txn, r *directory.Role) error {
		if err := checkBoundary(t.Snap, caller.AccountID, deref(in.PermissionsBoundary)); err != nil {
			return err
		}
		r.Boundary = deref(in.PermissionsBoundary)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.PutRolePermissionsBoundaryOutput{}, nil
}

// DeleteRolePermissionsBoundary removes a role's permissions boundary.
func (s *Service) DeleteRolePermissionsBoundary(ctx context.Context, caller *directory.Caller, in *sdk.DeleteRolePermissionsBoundaryInput) (*sdk.DeleteRolePermissionsBoundaryOutput, error) {
	_, err := s.modifyRole(ctx, caller, deref(in.RoleName), "iam:DeleteRolePermissionsBoundary", nil, func(_ *txn, r *directory.Role) error {
		if r.Boundary == "" {
			return noSuchEntity("The role with name %s does not have a permissions boundary.", r.Name)
		}
		r.Boundary = ""
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.DeleteRolePermissionsBoundaryOutput{}, nil
}

// ListInstanceProfilesForRole lists the instance profiles that hold a role.
func (s *Service) ListInstanceProfilesForRole(_ context.Context, caller *directory.Caller, in *sdk.ListInstanceProfilesForRoleInput) (*sdk.ListInstanceProfilesForRoleOutput, error) {
	snap := s.dir.Snapshot()
	acct := snap.AccountIAM(caller.AccountID)
	r, err := getRole(acct, deref(in.RoleName))
	if err != nil {
		return nil, err
	}
	if err := authorize(snap, caller, "iam:ListInstanceProfilesForRole", r.ARN, nil); err != nil {
		return nil, err
	}
	var list []*directory.InstanceProfile
	for _, ip := range acct.InstanceProfiles {
		for _, rn := range ip.Roles {
			if directory.Key(rn) == directory.Key(r.Name) {
				list = append(list, ip)
			}
		}
	}
	p, err := paginate(list, func(ip *directory.InstanceProfile) string { return directory.Key(ip.Name) }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &sdk.ListInstanceProfilesForRoleOutput{InstanceProfiles: []types.InstanceProfile{}, IsTruncated: p.Truncated, Marker: p.Marker}
	for _, ip := range p.Items {
		out.InstanceProfiles = append(out.InstanceProfiles, types.InstanceProfile{
			InstanceProfileName: ptr(ip.Name), InstanceProfileId: ptr(ip.ID), Arn: ptr(ip.ARN), Path: ptr(ip.Path),
			CreateDate: ptr(ip.CreateDate), Roles: []types.Role{ipRole(r)},
		})
	}
	return out, nil
}
