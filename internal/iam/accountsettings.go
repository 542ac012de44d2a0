package iam

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	sdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/store"
)

// Account settings
//
// The account's password policy (the rules its IAM users' console
// passwords follow), its STS preferences (which session token version
// the global STS endpoint issues) and the summary of what the account
// holds against IAM's quotas. Each setting is one store record of the
// account.

// Store IDs of the account setting records.
const (
	passwordPolicyID = "passwordpolicy"
	stsPreferencesID = "stspreferences"
)

// Password policy ranges and default, as in IAM.
const (
	ppDefaultMinLength = 6
	ppMinLength        = 6
	ppMaxLength        = 128
	ppMaxAge           = 1095
	ppMaxReuse         = 24
)

// stsPreferences is the stored record of SetSecurityTokenServicePreferences.
type stsPreferences struct {
	GlobalEndpointTokenVersion string `json:"globalEndpointTokenVersion"`
}

// decodeAccountSetting decodes a record of an account's settings: its
// password policy, STS preferences or a service-linked role deletion
// task.
func decodeAccountSetting(r store.Record, a *directory.AccountIAM) error {
	switch r.Kind {
	case kindPasswordPolicy:
		var p directory.PasswordPolicy
		if err := json.Unmarshal(r.Data, &p); err != nil {
			return err
		}
		a.PasswordPolicy = &p
	case kindSTSPreferences:
		var p stsPreferences
		if err := json.Unmarshal(r.Data, &p); err != nil {
			return err
		}
		a.GlobalEndpointTokenVersion = p.GlobalEndpointTokenVersion
	case kindDeletionTask:
		var task directory.DeletionTask
		if err := json.Unmarshal(r.Data, &task); err != nil {
			return err
		}
		a.DeletionTasks[task.ID] = &task
	default:
		return fmt.Errorf("not an account setting: %s", r.Kind)
	}
	return nil
}

// ppCheckRange validates an optional integer field of a password policy.
func ppCheckRange(v *int32, field string, lo, hi int32) error {
	switch {
	case v == nil:
		return nil
	case *v < lo:
		return invalidField(strconv.Itoa(int(*v)), field, fmt.Sprintf("Member must have value greater than or equal to %d", lo))
	case *v > hi:
		return invalidField(strconv.Itoa(int(*v)), field, fmt.Sprintf("Member must have value less than or equal to %d", hi))
	}
	return nil
}

// ppNotFound is IAM's answer when the account has no password policy.
func ppNotFound(account string) error {
	return noSuchEntity("The Password Policy with domain name %s cannot be found.", account)
}

// UpdateAccountPasswordPolicy sets the account's password policy. It
// replaces the whole policy: a field the request leaves out takes its
// default (minimum length 6, passwords that never expire, no reuse
// prevention, no character class required).
func (s *Service) UpdateAccountPasswordPolicy(ctx context.Context, caller *directory.Caller, in *sdk.UpdateAccountPasswordPolicyInput) (*sdk.UpdateAccountPasswordPolicyOutput, error) {
	if err := ppCheckRange(in.MinimumPasswordLength, "minimumPasswordLength", ppMinLength, ppMaxLength); err != nil {
		return nil, err
	}
	if err := ppCheckRange(in.MaxPasswordAge, "maxPasswordAge", 1, ppMaxAge); err != nil {
		return nil, err
	}
	if err := ppCheckRange(in.PasswordReusePrevention, "passwordReusePrevention", 1, ppMaxReuse); err != nil {
		return nil, err
	}
	p := &directory.PasswordPolicy{
		MinimumPasswordLength: ppDefaultMinLength,
		RequireSymbols:        in.RequireSymbols, RequireNumbers: in.RequireNumbers,
		RequireUppercaseCharacters: in.RequireUppercaseCharacters, RequireLowercaseCharacters: in.RequireLowercaseCharacters,
		AllowUsersToChangePassword: in.AllowUsersToChangePassword,
		MaxPasswordAge:             deref(in.MaxPasswordAge), PasswordReusePrevention: deref(in.PasswordReusePrevention),
		HardExpiry: in.HardExpiry,
	}
	if in.MinimumPasswordLength != nil {
		p.MinimumPasswordLength = *in.MinimumPasswordLength
	}
	err := s.update(ctx, func(t *txn) error {
		if err := authorize(t.Snap, caller, "iam:UpdateAccountPasswordPolicy", "*", nil); err != nil {
			return err
		}
		t.IAM(caller.AccountID).PasswordPolicy = p
		return t.Put(kindPasswordPolicy, caller.AccountID, passwordPolicyID, p)
	})
	return output(&sdk.UpdateAccountPasswordPolicyOutput{}, err)
}

// GetAccountPasswordPolicy returns the account's password policy.
// ExpirePasswords says whether passwords expire (MaxPasswordAge is set);
// MaxPasswordAge, PasswordReusePrevention and HardExpiry are present only
// when set.
func (s *Service) GetAccountPasswordPolicy(_ context.Context, caller *directory.Caller, _ *sdk.GetAccountPasswordPolicyInput) (*sdk.GetAccountPasswordPolicyOutput, error) {
	snap := s.dir.Snapshot()
	if err := authorize(snap, caller, "iam:GetAccountPasswordPolicy", "*", nil); err != nil {
		return nil, err
	}
	p := snap.AccountIAM(caller.AccountID).PasswordPolicy
	if p == nil {
		return nil, ppNotFound(caller.AccountID)
	}
	out := &types.PasswordPolicy{
		MinimumPasswordLength: ptr(p.MinimumPasswordLength),
		RequireSymbols:        p.RequireSymbols, RequireNumbers: p.RequireNumbers,
		RequireUppercaseCharacters: p.RequireUppercaseCharacters, RequireLowercaseCharacters: p.RequireLowercaseCharacters,
		AllowUsersToChangePassword: p.AllowUsersToChangePassword, ExpirePasswords: p.MaxPasswordAge > 0,
		HardExpiry: p.HardExpiry,
	}
	if p.MaxPasswordAge > 0 {
		out.MaxPasswordAge = ptr(p.MaxPasswordAge)
	}
	if p.PasswordReusePrevention > 0 {
		out.PasswordReusePrevention = ptr(p.PasswordReusePrevention)
	}
	return &sdk.GetAccountPasswordPolicyOutput{PasswordPolicy: out}, nil
}

// DeleteAccountPasswordPolicy deletes the account's password policy.
func (s *Service) DeleteAccountPasswordPolicy(ctx context.Context, caller *directory.Caller, _ *sdk.DeleteAccountPasswordPolicyInput) (*sdk.DeleteAccountPasswordPolicyOutput, error) {
	err := s.update(ctx, func(t *txn) error {
		if err := authorize(t.Snap, caller, "iam:DeleteAccountPasswordPolicy", "*", nil); err != nil {
			return err
		}
		if t.Snap.AccountIAM(caller.AccountID).PasswordPolicy == nil {
			return noSuchEntity("The account policy with name PasswordPolicy cannot be found.")
		}
		t.IAM(caller.AccountID).PasswordPolicy = nil
		t.Del(kindPasswordPolicy, caller.AccountID, passwordPolicyID)
		return nil
	})
	return output(&sdk.DeleteAccountPasswordPolicyOutput{}, err)
}

// SetSecurityTokenServicePreferences sets the version of the session
// tokens the global STS endpoint issues for the account (GetAccountSummary
// reports it). This server's tokens are valid everywhere whatever the
// version: the setting is kept for the clients that read it back.
func (s *Service) SetSecurityTokenServicePreferences(ctx context.Context, caller *directory.Caller, in *sdk.SetSecurityTokenServicePreferencesInput) (*sdk.SetSecurityTokenServicePreferencesOutput, error) {
	v := in.GlobalEndpointTokenVersion
	if !slices.Contains(v.Values(), v) {
		return nil, invalidField(string(v), "globalEndpointTokenVersion", "Member must satisfy enum value set: [v1Token, v2Token]")
	}
	err := s.update(ctx, func(t *txn) error {
		if err := authorize(t.Snap, caller, "iam:SetSecurityTokenServicePreferences", "*", nil); err != nil {
			return err
		}
		t.IAM(caller.AccountID).GlobalEndpointTokenVersion = string(v)
		return t.Put(kindSTSPreferences, caller.AccountID, stsPreferencesID, stsPreferences{GlobalEndpointTokenVersion: string(v)})
	})
	return output(&sdk.SetSecurityTokenServicePreferencesOutput{}, err)
}

// Quotas GetAccountSummary reports, IAM's defaults, for those this
// server does not enforce elsewhere.
const (
	quotaUsers               = 5000
	quotaGroups              = 300
	quotaRoles               = 1000
	quotaPolicies            = 1500
	quotaPolicySize          = 6144
	quotaAssumeRolePolicy    = 2048
	quotaPolicyVersionsInUse = 10000
	quotaSigningCertsPerUser = 2
)

// GetAccountSummary counts the account's IAM entities and reports IAM's
// quotas, with the account's GlobalEndpointTokenVersion (1 or 2).
func (s *Service) GetAccountSummary(_ context.Context, caller *directory.Caller, _ *sdk.GetAccountSummaryInput) (*sdk.GetAccountSummaryOutput, error) {
	snap := s.dir.Snapshot()
	if err := authorize(snap, caller, "iam:GetAccountSummary", "*", nil); err != nil {
		return nil, err
	}
	acct := snap.AccountIAM(caller.AccountID)
	// Policy versions in use: managed policies attached to the
	// account's users, groups and roles, each attachment counted.
	versionsInUse := 0
	for _, u := range acct.Users {
		versionsInUse += len(u.Attached)
	}
	for _, g := range acct.Groups {
		versionsInUse += len(g.Attached)
	}
	for _, r := range acct.Roles {
		versionsInUse += len(r.Attached)
	}
	mfaInUse, rootSigningCerts := 0, 0
	for _, d := range acct.Credentials.MFADevices {
		if d.UserID != "" {
			mfaInUse++
		}
	}
	for _, c := range acct.Credentials.SigningCertificates {
		if c.UserID == "" {
			rootSigningCerts = 1
		}
	}
	rootKeys := 0
	if _, ok := snap.RootKey(caller.AccountID); ok {
		rootKeys = 1
	}
	tokenVersion := 1
	if acct.GlobalEndpointTokenVersion == string(types.GlobalEndpointTokenVersionV2Token) {
		tokenVersion = 2
	}
	m := map[string]int{
		"Users": len(acct.Users), "UsersQuota": quotaUsers,
		"Groups": len(acct.Groups), "GroupsQuota": quotaGroups,
		"Roles": len(acct.Roles), "RolesQuota": quotaRoles,
		"Policies": len(acct.Policies), "PoliciesQuota": quotaPolicies,
		"InstanceProfiles": len(acct.InstanceProfiles), "InstanceProfilesQuota": ipMaxPerAccount,
		"Providers":          len(acct.OIDCProviders) + len(acct.SAMLProviders),
		"ServerCertificates": len(acct.ServerCertificates), "ServerCertificatesQuota": scMaxPerAccount,
		"MFADevices": len(acct.Credentials.MFADevices), "MFADevicesInUse": mfaInUse,
		"AccountMFAEnabled": 0, "AccountAccessKeysPresent": rootKeys, "AccountSigningCertificatesPresent": rootSigningCerts,
		"AccountPasswordPresent": 0,
		"PolicyVersionsInUse":    versionsInUse, "PolicyVersionsInUseQuota": quotaPolicyVersionsInUse,
		"VersionsPerPolicyQuota": polMaxVersions, "PolicySizeQuota": quotaPolicySize,
		"UserPolicySizeQuota": usrMaxInlineTotalChars, "GroupPolicySizeQuota": grpMaxInlineTotalChars,
		"RolePolicySizeQuota": maxRoleInlineTotalChars, "AssumeRolePolicySizeQuota": quotaAssumeRolePolicy,
		"AttachedPoliciesPerUserQuota": maxManagedPerEntity, "AttachedPoliciesPerGroupQuota": maxManagedPerEntity,
		"AttachedPoliciesPerRoleQuota": maxManagedPerEntity,
		"GroupsPerUserQuota":           usrMaxGroups, "AccessKeysPerUserQuota": keyMaxPerUser,
		"SigningCertificatesPerUserQuota": quotaSigningCertsPerUser,
		"GlobalEndpointTokenVersion":      tokenVersion,
	}
	out := &sdk.GetAccountSummaryOutput{SummaryMap: make(map[string]int32, len(m))}
	for k, v := range m {
		out.SummaryMap[k] = int32(v)
	}
	return out, nil
}
