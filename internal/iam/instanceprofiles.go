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

// instanceProfiles describes instance profiles to the entity layer.
var instanceProfiles = &entity[directory.InstanceProfile]{
	kind: "instance-profile", record: kindInstanceProfile,
	check:         checkNameField("instanceProfileName", ipMaxNameLen),
	notFound:      func(name string) error { return noSuchEntity("Instance Profile %s cannot be found.", name) },
	alreadyExists: func(name string) error { return entityAlreadyExists("Instance Profile %s already exists.", name) },
	all:           func(a *directory.AccountIAM) map[string]*directory.InstanceProfile { return a.InstanceProfiles },
	fields: func(ip *directory.InstanceProfile) entityFields {
		return entityFields{ID: ip.Name, ARN: ip.ARN, Tags: &ip.Tags}
	},
	clone: func(cur *directory.InstanceProfile) *directory.InstanceProfile {
		ip := *cur
		ip.Roles = slices.Clone(cur.Roles)
		ip.Tags = slices.Clone(cur.Tags)
		return &ip
	},
	conflicts: func(_ *directory.Snapshot, _ string, ip *directory.InstanceProfile) error {
		if len(ip.Roles) > 0 {
			return deleteConflict(conflictInstanceProfile)
		}
		return nil
	},
	tagLimit: ipTagLimitMessage,
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

// CreateInstanceProfile creates an empty instance profile.
func (s *Service) CreateInstanceProfile(ctx context.Context, caller *directory.Caller, in *sdk.CreateInstanceProfileInput) (*sdk.CreateInstanceProfileOutput, error) {
	name := deref(in.InstanceProfileName)
	path, err := instanceProfiles.checkCreate(name, in.Path)
	if err != nil {
		return nil, err
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	arn := ipARN(caller.AccountID, path, name)
	var acct *directory.AccountIAM
	ip, err := instanceProfiles.create(ctx, s, caller, arn, "iam:CreateInstanceProfile", tagContext(tags), func(t *txn) (*directory.InstanceProfile, error) {
		if err := instanceProfiles.checkNew(t.Snap, caller.AccountID, name); err != nil {
			return nil, err
		}
		acct = t.Snap.AccountIAM(caller.AccountID)
		if len(acct.InstanceProfiles) >= ipMaxPerAccount {
			return nil, limitExceeded("Cannot exceed quota for InstanceProfilesPerAccount: %d", ipMaxPerAccount)
		}
		id, err := creds.NewUniqueID(creds.PrefixInstanceProfile)
		if err != nil {
			return nil, err
		}
		return &directory.InstanceProfile{
			Name: name, Path: path, ID: id, ARN: arn, CreateDate: caller.RequestTime.UTC().Truncate(1e9), Tags: tags,
		}, nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.CreateInstanceProfileOutput{InstanceProfile: ptr(sdkInstanceProfile(acct, ip))}, nil
}

// GetInstanceProfile returns an instance profile with its role.
func (s *Service) GetInstanceProfile(_ context.Context, caller *directory.Caller, in *sdk.GetInstanceProfileInput) (*sdk.GetInstanceProfileOutput, error) {
	snap := s.dir.Snapshot()
	ip, err := instanceProfiles.authorized(snap, caller, deref(in.InstanceProfileName), "iam:GetInstanceProfile", nil)
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
	err := instanceProfiles.delete(ctx, s, caller, deref(in.InstanceProfileName), "iam:DeleteInstanceProfile")
	return output(&sdk.DeleteInstanceProfileOutput{}, err)
}

// AddRoleToInstanceProfile puts a role into an instance profile, which
// holds at most one. As in IAM, the caller also needs iam:PassRole on the
// role, evaluated as passing it to EC2 instances of the caller's account.
func (s *Service) AddRoleToInstanceProfile(ctx context.Context, caller *directory.Caller, in *sdk.AddRoleToInstanceProfileInput) (*sdk.AddRoleToInstanceProfileOutput, error) {
	roleName := deref(in.RoleName)
	if err := checkName(roleName, "roleName", maxRoleNameLen); err != nil {
		return nil, err
	}
	_, err := instanceProfiles.modify(ctx, s, caller, deref(in.InstanceProfileName), "iam:AddRoleToInstanceProfile", nil, func(t *txn, ip *directory.InstanceProfile) error {
		r, err := roles.find(t.Snap.AccountIAM(caller.AccountID), roleName)
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
	return output(&sdk.AddRoleToInstanceProfileOutput{}, err)
}

// RemoveRoleFromInstanceProfile takes a role out of an instance profile.
func (s *Service) RemoveRoleFromInstanceProfile(ctx context.Context, caller *directory.Caller, in *sdk.RemoveRoleFromInstanceProfileInput) (*sdk.RemoveRoleFromInstanceProfileOutput, error) {
	roleName := deref(in.RoleName)
	if err := checkName(roleName, "roleName", maxRoleNameLen); err != nil {
		return nil, err
	}
	_, err := instanceProfiles.modify(ctx, s, caller, deref(in.InstanceProfileName), "iam:RemoveRoleFromInstanceProfile", nil, func(t *txn, ip *directory.InstanceProfile) error {
		r, err := roles.find(t.Snap.AccountIAM(caller.AccountID), roleName)
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
	return output(&sdk.RemoveRoleFromInstanceProfileOutput{}, err)
}

// TagInstanceProfile adds or replaces tags on an instance profile.
func (s *Service) TagInstanceProfile(ctx context.Context, caller *directory.Caller, in *sdk.TagInstanceProfileInput) (*sdk.TagInstanceProfileOutput, error) {
	err := instanceProfiles.tag(ctx, s, caller, deref(in.InstanceProfileName), "iam:TagInstanceProfile", in.Tags)
	return output(&sdk.TagInstanceProfileOutput{}, err)
}

// UntagInstanceProfile removes tags from an instance profile.
func (s *Service) UntagInstanceProfile(ctx context.Context, caller *directory.Caller, in *sdk.UntagInstanceProfileInput) (*sdk.UntagInstanceProfileOutput, error) {
	err := instanceProfiles.untag(ctx, s, caller, deref(in.InstanceProfileName), "iam:UntagInstanceProfile", in.TagKeys)
	return output(&sdk.UntagInstanceProfileOutput{}, err)
}

// ListInstanceProfileTags lists an instance profile's tags.
func (s *Service) ListInstanceProfileTags(_ context.Context, caller *directory.Caller, in *sdk.ListInstanceProfileTagsInput) (*sdk.ListInstanceProfileTagsOutput, error) {
	p, err := instanceProfiles.listTags(s.dir.Snapshot(), caller, deref(in.InstanceProfileName), "iam:ListInstanceProfileTags", in.Marker, in.MaxItems)
	return output(&sdk.ListInstanceProfileTagsOutput{Tags: p.Items, IsTruncated: p.Truncated, Marker: p.Marker}, err)
}
