package iam

import (
	"context"
	"slices"

	sdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// Instance profile limits, as in IAM.
const (
	ipMaxNameLen      = 128
	ipMaxRoles        = 1
	ipMaxPerAccount   = 1000
	ipTagLimitMessage = "The number of tags has reached the maximum limit."
)

// ipARN returns the ARN of an instance profile.
func ipARN(account, path, name string) string {
	return entityARN(account, "instance-profile", path, name)
}

// ipNotFound is IAM's answer for an instance profile that does not exist.
func ipNotFound(name string) error {
	return noSuchEntity("Instance Profile %s cannot be found.", name)
}

// ipLookup validates an instance profile name, finds it in the caller's
// account and authorizes action on it. A caller who may not act on the
// name learns nothing about whether it exists: AccessDenied comes first.
func ipLookup(snap *directory.Snapshot, caller *directory.Caller, name, action string, reqCtx *policy.Context) (*directory.InstanceProfile, error) {
	if err := checkName(name, "instanceProfileName", ipMaxNameLen); err != nil {
		return nil, err
	}
	ip, ok := snap.AccountIAM(caller.AccountID).InstanceProfiles[directory.Key(name)]
	if !ok {
		if err := authorize(snap, caller, action, ipARN(caller.AccountID, "/", name), reqCtx); err != nil {
			return nil, err
		}
		return nil, ipNotFound(name)
	}
	if err := authorize(snap, caller, action, ip.ARN, reqCtx); err != nil {
		return nil, err
	}
	return ip, nil
}

// ipRole is a role as instance profiles show it: GetRole's shape without
// tags, boundary, last use or maximum session duration.
func ipRole(r *directory.Role) types.Role {
	out := sdkRole(r, false)
	out.MaxSessionDuration = nil
	return out
}

// sdkInstanceProfile converts an instance profile for a response, with its
// roles as they are now and its tags when it has some.
func sdkInstanceProfile(acct *directory.AccountIAM, ip *directory.InstanceProfile) types.InstanceProfile {
	out := types.InstanceProfile{
		InstanceProfileName: ptr(ip.Name), InstanceProfileId: ptr(ip.ID), Arn: ptr(ip.ARN), Path: ptr(ip.Path),
		CreateDate: ptr(ip.CreateDate), Roles: []types.Role{},
	}
	for _, rn := range ip.Roles {
		if r, ok := acct.Roles[directory.Key(rn)]; ok {
			out.Roles = append(out.Roles, ipRole(r))
		}
	}
	if len(ip.Tags) > 0 {
		out.Tags = sdkTags(ip.Tags)
	}
	return out
}

// modifyInstanceProfile runs fn on a copy of the named instance profile
// after authorizing action, and stores the result.
func (s *Service) modifyInstanceProfile(ctx context.Context, caller *directory.Caller, name, action string, reqCtx *policy.Context, fn func(t *txn, ip *directory.InstanceProfile) error) error {
	return s.update(ctx, func(t *txn) error {
		cur, err := ipLookup(t.Snap, caller, name, action, reqCtx)
		if err != nil {
			return err
		}
		ip := *cur
		ip.Roles = slices.Clone(cur.Roles)
		ip.Tags = slices.Clone(cur.Tags)
		if err := fn(t, &ip); err != nil {
			return err
		}
		t.IAM(caller.AccountID).InstanceProfiles[directory.Key(ip.Name)] = &ip
		return t.Put(kindInstanceProfile, caller.AccountID, directory.Key(ip.Name), &ip)
	})
}

// CreateInstanceProfile creates an empty instance profile.
func (s *Service) CreateInstanceProfile(ctx context.Context, caller *directory.Caller, in *sdk.CreateInstanceProfileInput) (*sdk.CreateInstanceProfileOutput, error) {
	name := deref(in.InstanceProfileName)
	if err := checkName(name, "instanceProfileName", ipMaxNameLen); err != nil {
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
	var out *sdk.CreateInstanceProfileOutput
	err = s.update(ctx, func(t *txn) error {
		arn := ipARN(caller.AccountID, path, name)
		if err := authorize(t.Snap, caller, "iam:CreateInstanceProfile", arn, tagContext(tags)); err != nil {
			return err
		}
		acct := t.IAM(caller.AccountID)
		if _, exists := acct.InstanceProfiles[directory.Key(name)]; exists {
			return entityAlreadyExists("Instance Profile %s already exists.", name)
		}
		if len(acct.InstanceProfiles) >= ipMaxPerAccount {
			return limitExceeded("Cannot exceed quota for InstanceProfilesPerAccount: %d", ipMaxPerAccount)
		}
		id, err := creds.NewUniqueID(creds.PrefixInstanceProfile)
		if err != nil {
			return err
		}
		ip := &directory.InstanceProfile{
			Name: name, Path: path, ID: id, ARN: arn, CreateDate: caller.RequestTime.UTC().Truncate(1e9), Tags: tags,
		}
		acct.InstanceProfiles[directory.Key(name)] = ip
		out = &sdk.CreateInstanceProfileOutput{InstanceProfile: ptr(sdkInstanceProfile(acct, ip))}
		return t.Put(kindInstanceProfile, caller.AccountID, directory.Key(name), ip)
	})
	return out, err
}

// GetInstanceProfile returns an instance profile with its role.
func (s *Service) GetInstanceProfile(_ context.Context, caller *directory.Caller, in *sdk.GetInstanceProfileInput) (*sdk.GetInstanceProfileOutput, error) {
	snap := s.dir.Snapshot()
	ip, err := ipLookup(snap, caller, deref(in.InstanceProfileName), "iam:GetInstanceProfile", nil)
	if err != nil {
		return nil, err
	}
	out := sdkInstanceProfile(snap.AccountIAM(caller.AccountID), ip)
	if out.Tags == nil {
		out.Tags = []types.Tag{}
	}
	return &sdk.GetInstanceProfileOutput{InstanceProfile: &out}, nil
}

// ListInstanceProfiles lists the account's instance profiles by name, each
// with its role.
func (s *Service) ListInstanceProfiles(_ context.Context, caller *directory.Caller, in *sdk.ListInstanceProfilesInput) (*sdk.ListInstanceProfilesOutput, error) {
	snap := s.dir.Snapshot()
	if err := authorize(snap, caller, "iam:ListInstanceProfiles", "arn:aws:iam::"+caller.AccountID+":instance-profile/", nil); err != nil {
		return nil, err
	}
	acct := snap.AccountIAM(caller.AccountID)
	p, err := listByPath(acct.InstanceProfiles, func(ip *directory.InstanceProfile) string { return ip.Path }, in.PathPrefix, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &sdk.ListInstanceProfilesOutput{InstanceProfiles: []types.InstanceProfile{}, IsTruncated: p.Truncated, Marker: p.Marker}
	for _, ip := range p.Items {
		e := sdkInstanceProfile(acct, ip)
		e.Tags = nil // IAM's listings leave tags out
		out.InstanceProfiles = append(out.InstanceProfiles, e)
	}
	return out, nil
}

// DeleteInstanceProfile deletes an instance profile that holds no role.
func (s *Service) DeleteInstanceProfile(ctx context.Context, caller *directory.Caller, in *sdk.DeleteInstanceProfileInput) (*sdk.DeleteInstanceProfileOutput, error) {
	err := s.update(ctx, func(t *txn) error {
		ip, err := ipLookup(t.Snap, caller, deref(in.InstanceProfileName), "iam:DeleteInstanceProfile", nil)
		if err != nil {
			return err
		}
		if len(ip.Roles) > 0 {
			return deleteConflict("Cannot delete entity, must remove roles from instance profile first.")
		}
		delete(t.IAM(caller.AccountID).InstanceProfiles, directory.Key(ip.Name))
		t.Del(kindInstanceProfile, caller.AccountID, directory.Key(ip.Name))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.DeleteInstanceProfileOutput{}, nil
}

// AddRoleToInstanceProfile puts a role into an instance profile, which
// holds at most one. As in IAM, the caller also needs iam:PassRole on the
// role, evaluated as passing it to EC2 instances of the caller's account.
func (s *Service) AddRoleToInstanceProfile(ctx context.Context, caller *directory.Caller, in *sdk.AddRoleToInstanceProfileInput) (*sdk.AddRoleToInstanceProfileOutput, error) {
	roleName := deref(in.RoleName)
	if err := checkName(roleName, "roleName", maxRoleNameLen); err != nil {
		return nil, err
	}
	err := s.modifyInstanceProfile(ctx, caller, deref(in.InstanceProfileName), "iam:AddRoleToInstanceProfile", nil, func(t *txn, ip *directory.InstanceProfile) error {
		r, err := getRole(t.Snap.AccountIAM(caller.AccountID), roleName)
		if err != nil {
			return err
		}
		passCtx := policy.NewContext()
		passCtx.Set("iam:PassedToService", "ec2.amazonaws.com")
		passCtx.Set("iam:AssociatedResourceArn", "arn:aws:ec2:*:"+caller.AccountID+":instance/*")
		if err := authorize(t.Snap, caller, "iam:PassRole", r.ARN, passCtx); err != nil {
			return err
		}
		if len(ip.Roles) >= ipMaxRoles {
			return limitExceeded("Cannot exceed quota for InstanceSessionsPerInstanceProfile: %d", ipMaxRoles)
		}
		ip.Roles = append(ip.Roles, r.Name)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.AddRoleToInstanceProfileOutput{}, nil
}

// RemoveRoleFromInstanceProfile takes a role out of an instance profile.
func (s *Service) RemoveRoleFromInstanceProfile(ctx context.Context, caller *directory.Caller, in *sdk.RemoveRoleFromInstanceProfileInput) (*sdk.RemoveRoleFromInstanceProfileOutput, error) {
	roleName := deref(in.RoleName)
	if err := checkName(roleName, "roleName", maxRoleNameLen); err != nil {
		return nil, err
	}
	err := s.modifyInstanceProfile(ctx, caller, deref(in.InstanceProfileName), "iam:RemoveRoleFromInstanceProfile", nil, func(t *txn, ip *directory.InstanceProfile) error {
		r, err := getRole(t.Snap.AccountIAM(caller.AccountID), roleName)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(ip.Roles, func(rn string) bool { return directory.Key(rn) == directory.Key(r.Name) })
		if i < 0 {
			return noSuchEntity("Role %s in Instance Profile %s cannot be found.", roleName, ip.Name)
		}
		ip.Roles = slices.Delete(ip.Roles, i, i+1)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.RemoveRoleFromInstanceProfileOutput{}, nil
}

// TagInstanceProfile adds or replaces tags on an instance profile.
func (s *Service) TagInstanceProfile(ctx context.Context, caller *directory.Caller, in *sdk.TagInstanceProfileInput) (*sdk.TagInstanceProfileOutput, error) {
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	err = s.modifyInstanceProfile(ctx, caller, deref(in.InstanceProfileName), "iam:TagInstanceProfile", tagContext(tags), func(_ *txn, ip *directory.InstanceProfile) error {
		merged, err := mergeTags(ip.Tags, tags)
		if err != nil {
			return limitExceeded(ipTagLimitMessage)
		}
		ip.Tags = merged
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.TagInstanceProfileOutput{}, nil
}

// UntagInstanceProfile removes tags from an instance profile.
func (s *Service) UntagInstanceProfile(ctx context.Context, caller *directory.Caller, in *sdk.UntagInstanceProfileInput) (*sdk.UntagInstanceProfileOutput, error) {
	reqCtx := policy.NewContext()
	reqCtx.SetMulti("aws:TagKeys", in.TagKeys...)
	err := s.modifyInstanceProfile(ctx, caller, deref(in.InstanceProfileName), "iam:UntagInstanceProfile", reqCtx, func(_ *txn, ip *directory.InstanceProfile) error {
		ip.Tags = removeTags(ip.Tags, in.TagKeys)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.UntagInstanceProfileOutput{}, nil
}

// ListInstanceProfileTags lists an instance profile's tags.
func (s *Service) ListInstanceProfileTags(_ context.Context, caller *directory.Caller, in *sdk.ListInstanceProfileTagsInput) (*sdk.ListInstanceProfileTagsOutput, error) {
	ip, err := ipLookup(s.dir.Snapshot(), caller, deref(in.InstanceProfileName), "iam:ListInstanceProfileTags", nil)
	if err != nil {
		return nil, err
	}
	p, err := paginate(sdkTags(ip.Tags), func(t types.Tag) string { return deref(t.Key) }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &sdk.ListInstanceProfileTagsOutput{Tags: append([]types.Tag{}, p.Items...), IsTruncated: p.Truncated, Marker: p.Marker}, nil
}
