package iam

import (
	"context"
	"slices"
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

// roleARNFor returns the ARN of a role.
func roleARNFor(account, path, name string) string { return entityARN(account, "role", path, name) }

// roles describes IAM roles to the entity layer.
var roles = &entity[directory.Role]{
	kind: "role", record: kindRole,
	check:         checkNameField("roleName", maxRoleNameLen),
	notFound:      func(name string) error { return noSuchEntity("The role with name %s cannot be found.", name) },
	alreadyExists: func(name string) error { return entityAlreadyExists("Role with name %s already exists.", name) },
	all:           func(a *directory.AccountIAM) map[string]*directory.Role { return a.Roles },
	fields:        func(r *directory.Role) entityFields { return principalFields(&r.Principal) },
	clone: func(cur *directory.Role) *directory.Role {
		r := *cur
		clonePrincipal(&r.Principal)
		return &r
	},
	protected: protectServiceLinked,
	conflicts: func(snap *directory.Snapshot, account string, r *directory.Role) error {
		if err := policiesConflict(&r.Principal); err != nil {
			return err
		}
		if len(roleInstanceProfiles(snap.AccountIAM(account), r)) > 0 {
			return deleteConflict(conflictInstanceProfile)
		}
		return nil
	},
	inlineLimit: maxRoleInlineTotalChars, attachQuota: "PoliciesPerRole",
}

// roleInstanceProfiles returns the account's instance profiles that hold
// the role.
func roleInstanceProfiles(acct *directory.AccountIAM, r *directory.Role) []*directory.InstanceProfile {
	var out []*directory.InstanceProfile
	for _, ip := range acct.InstanceProfiles {
		if slices.ContainsFunc(ip.Roles, func(rn string) bool { return directory.Key(rn) == directory.Key(r.Name) }) {
			out = append(out, ip)
		}
	}
	return out
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
	path, err := roles.checkCreate(name, in.Path)
	if err != nil {
		return nil, err
	}
	if err := checkRolePath(path); err != nil {
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
	reqCtx := tagContext(tags)
	if in.PermissionsBoundary != nil {
		reqCtx.Set("iam:PermissionsBoundary", *in.PermissionsBoundary)
	}
	arn := roleARNFor(caller.AccountID, path, name)
	r, err := roles.create(ctx, s, caller, arn, "iam:CreateRole", reqCtx, func(t *txn) (*directory.Role, error) {
		trust, err := parseTrust(t.Snap, deref(in.AssumeRolePolicyDocument))
		if err != nil {
			return nil, err
		}
		if in.PermissionsBoundary != nil {
			if err := checkBoundary(t.Snap, caller.AccountID, *in.PermissionsBoundary); err != nil {
				return nil, err
			}
		}
		if err := roles.checkNew(t.Snap, caller.AccountID, name); err != nil {
			return nil, err
		}
		id, err := creds.NewUniqueID(creds.PrefixRole)
		if err != nil {
			return nil, err
		}
		return &directory.Role{
			Principal: directory.Principal{
				Name: name, Path: path, ID: id, ARN: arn, CreateDate: caller.RequestTime.UTC().Truncate(1e9),
				Tags: tags, Boundary: deref(in.PermissionsBoundary),
			},
			TrustPolicy: deref(in.AssumeRolePolicyDocument), Description: deref(in.Description),
			MaxSessionDuration: duration, Trust: trust, TrustBindings: trustBindings(t.Snap, trust),
		}, nil
	})
	if err != nil {
		return nil, err
	}
	out := &sdk.CreateRoleOutput{Role: ptr(sdkRole(r, true))}
	out.Role.RoleLastUsed = nil
	return out, nil
}

// GetRole returns a role.
func (s *Service) GetRole(_ context.Context, caller *directory.Caller, in *sdk.GetRoleInput) (*sdk.GetRoleOutput, error) {
	snap := s.dir.Snapshot()
	r, err := roles.authorized(snap, caller, deref(in.RoleName), "iam:GetRole", nil)
	if err != nil {
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
	return output(&sdk.DeleteRoleOutput{}, roles.delete(ctx, s, caller, deref(in.RoleName), "iam:DeleteRole"))
}

// UpdateRole changes a role's description and maximum session duration.
func (s *Service) UpdateRole(ctx context.Context, caller *directory.Caller, in *sdk.UpdateRoleInput) (*sdk.UpdateRoleOutput, error) {
	if in.MaxSessionDuration != nil && (*in.MaxSessionDuration < minSessionDuration || *in.MaxSessionDuration > maxSessionDuration) {
		return nil, invalidField(strconv.Itoa(int(*in.MaxSessionDuration)), "maxSessionDuration", "Member must have value between 3600 and 43200")
	}
	if len(deref(in.Description)) > maxDescriptionLen {
		return nil, invalidField(deref(in.Description), "description", "Member must have length less than or equal to 1000")
	}
	_, err := roles.modify(ctx, s, caller, deref(in.RoleName), "iam:UpdateRole", nil, func(_ *txn, r *directory.Role) error {
		if in.Description != nil {
			r.Description = *in.Description
		}
		if in.MaxSessionDuration != nil {
			r.MaxSessionDuration = *in.MaxSessionDuration
		}
		return nil
	})
	return output(&sdk.UpdateRoleOutput{}, err)
}

// UpdateRoleDescription changes a role's description.
func (s *Service) UpdateRoleDescription(ctx context.Context, caller *directory.Caller, in *sdk.UpdateRoleDescriptionInput) (*sdk.UpdateRoleDescriptionOutput, error) {
	if len(deref(in.Description)) > maxDescriptionLen {
		return nil, invalidField(deref(in.Description), "description", "Member must have length less than or equal to 1000")
	}
	r, err := roles.modify(ctx, s, caller, deref(in.RoleName), "iam:UpdateRoleDescription", nil, func(_ *txn, r *directory.Role) error {
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
	_, err := roles.modify(ctx, s, caller, deref(in.RoleName), "iam:UpdateAssumeRolePolicy", nil, func(t *txn, r *directory.Role) error {
		trust, err := parseTrust(t.Snap, deref(in.PolicyDocument))
		if err != nil {
			return err
		}
		r.TrustPolicy, r.Trust, r.TrustBindings = deref(in.PolicyDocument), trust, trustBindings(t.Snap, trust)
		return nil
	})
	return output(&sdk.UpdateAssumeRolePolicyOutput{}, err)
}

// PutRolePolicy adds or replaces an inline policy of a role.
func (s *Service) PutRolePolicy(ctx context.Context, caller *directory.Caller, in *sdk.PutRolePolicyInput) (*sdk.PutRolePolicyOutput, error) {
	err := roles.putPolicy(ctx, s, caller, deref(in.RoleName), "iam:PutRolePolicy", deref(in.PolicyName), deref(in.PolicyDocument))
	return output(&sdk.PutRolePolicyOutput{}, err)
}

// GetRolePolicy returns an inline policy of a role.
func (s *Service) GetRolePolicy(_ context.Context, caller *directory.Caller, in *sdk.GetRolePolicyInput) (*sdk.GetRolePolicyOutput, error) {
	r, ip, err := roles.getPolicy(s.dir.Snapshot(), caller, deref(in.RoleName), "iam:GetRolePolicy", deref(in.PolicyName))
	if err != nil {
		return nil, err
	}
	return &sdk.GetRolePolicyOutput{RoleName: ptr(r.Name), PolicyName: ptr(ip.Name), PolicyDocument: ptr(encodeDocument(ip.Document))}, nil
}

// ListRolePolicies lists the names of a role's inline policies.
func (s *Service) ListRolePolicies(_ context.Context, caller *directory.Caller, in *sdk.ListRolePoliciesInput) (*sdk.ListRolePoliciesOutput, error) {
	p, err := roles.listPolicies(s.dir.Snapshot(), caller, deref(in.RoleName), "iam:ListRolePolicies", in.Marker, in.MaxItems)
	return output(&sdk.ListRolePoliciesOutput{PolicyNames: p.Items, IsTruncated: p.Truncated, Marker: p.Marker}, err)
}

// DeleteRolePolicy deletes an inline policy of a role.
func (s *Service) DeleteRolePolicy(ctx context.Context, caller *directory.Caller, in *sdk.DeleteRolePolicyInput) (*sdk.DeleteRolePolicyOutput, error) {
	err := roles.deletePolicy(ctx, s, caller, deref(in.RoleName), "iam:DeleteRolePolicy", deref(in.PolicyName))
	return output(&sdk.DeleteRolePolicyOutput{}, err)
}

// AttachRolePolicy attaches a managed policy to a role.
func (s *Service) AttachRolePolicy(ctx context.Context, caller *directory.Caller, in *sdk.AttachRolePolicyInput) (*sdk.AttachRolePolicyOutput, error) {
	err := roles.attachPolicy(ctx, s, caller, deref(in.RoleName), "iam:AttachRolePolicy", deref(in.PolicyArn))
	return output(&sdk.AttachRolePolicyOutput{}, err)
}

// DetachRolePolicy detaches a managed policy from a role.
func (s *Service) DetachRolePolicy(ctx context.Context, caller *directory.Caller, in *sdk.DetachRolePolicyInput) (*sdk.DetachRolePolicyOutput, error) {
	err := roles.detachPolicy(ctx, s, caller, deref(in.RoleName), "iam:DetachRolePolicy", deref(in.PolicyArn))
	return output(&sdk.DetachRolePolicyOutput{}, err)
}

// ListAttachedRolePolicies lists the managed policies attached to a role.
func (s *Service) ListAttachedRolePolicies(_ context.Context, caller *directory.Caller, in *sdk.ListAttachedRolePoliciesInput) (*sdk.ListAttachedRolePoliciesOutput, error) {
	p, err := roles.listAttachedPolicies(s.dir.Snapshot(), caller, deref(in.RoleName), "iam:ListAttachedRolePolicies", in.PathPrefix, in.Marker, in.MaxItems)
	return output(&sdk.ListAttachedRolePoliciesOutput{AttachedPolicies: p.Items, IsTruncated: p.Truncated, Marker: p.Marker}, err)
}

// TagRole adds or replaces tags on a role.
func (s *Service) TagRole(ctx context.Context, caller *directory.Caller, in *sdk.TagRoleInput) (*sdk.TagRoleOutput, error) {
	return output(&sdk.TagRoleOutput{}, roles.tag(ctx, s, caller, deref(in.RoleName), "iam:TagRole", in.Tags))
}

// UntagRole removes tags from a role.
func (s *Service) UntagRole(ctx context.Context, caller *directory.Caller, in *sdk.UntagRoleInput) (*sdk.UntagRoleOutput, error) {
	return output(&sdk.UntagRoleOutput{}, roles.untag(ctx, s, caller, deref(in.RoleName), "iam:UntagRole", in.TagKeys))
}

// ListRoleTags lists a role's tags.
func (s *Service) ListRoleTags(_ context.Context, caller *directory.Caller, in *sdk.ListRoleTagsInput) (*sdk.ListRoleTagsOutput, error) {
	p, err := roles.listTags(s.dir.Snapshot(), caller, deref(in.RoleName), "iam:ListRoleTags", in.Marker, in.MaxItems)
	return output(&sdk.ListRoleTagsOutput{Tags: p.Items, IsTruncated: p.Truncated, Marker: p.Marker}, err)
}

// PutRolePermissionsBoundary sets a role's permissions boundary.
func (s *Service) PutRolePermissionsBoundary(ctx context.Context, caller *directory.Caller, in *sdk.PutRolePermissionsBoundaryInput) (*sdk.PutRolePermissionsBoundaryOutput, error) {
	err := roles.putPermissionsBoundary(ctx, s, caller, deref(in.RoleName), "iam:PutRolePermissionsBoundary", deref(in.PermissionsBoundary))
	return output(&sdk.PutRolePermissionsBoundaryOutput{}, err)
}

// DeleteRolePermissionsBoundary removes a role's permissions boundary.
func (s *Service) DeleteRolePermissionsBoundary(ctx context.Context, caller *directory.Caller, in *sdk.DeleteRolePermissionsBoundaryInput) (*sdk.DeleteRolePermissionsBoundaryOutput, error) {
	err := roles.deletePermissionsBoundary(ctx, s, caller, deref(in.RoleName), "iam:DeleteRolePermissionsBoundary")
	return output(&sdk.DeleteRolePermissionsBoundaryOutput{}, err)
}

// ListInstanceProfilesForRole lists the instance profiles that hold a role.
func (s *Service) ListInstanceProfilesForRole(_ context.Context, caller *directory.Caller, in *sdk.ListInstanceProfilesForRoleInput) (*sdk.ListInstanceProfilesForRoleOutput, error) {
	snap := s.dir.Snapshot()
	r, err := roles.authorized(snap, caller, deref(in.RoleName), "iam:ListInstanceProfilesForRole", nil)
	if err != nil {
		return nil, err
	}
	list := roleInstanceProfiles(snap.AccountIAM(caller.AccountID), r)
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
