package iam

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/world"
)

// ApplyWorld makes the hosted accounts and their IAM contents match the
// world file: missing entities are created, declared properties
// (documents, trust policies, attachments, memberships, keys) are set, and
// nothing undeclared is removed, so applying the same file twice changes
// nothing. Every entity goes through the same operation an API call uses,
// as the account's root user, so a world file gets the API's validation.
//
// Roles are created in rounds: a trust policy may name a role declared
// later (in this account or another), which IAM refuses until it exists.
func (s *Service) ApplyWorld(ctx context.Context, file string, w *world.World) error {
	if err := s.EnsureAccounts(ctx, w.Accounts); err != nil {
		return err
	}
	at := func(line int, what string, err error) error {
		return fmt.Errorf("%s:%d: %s: %w", file, line, what, err)
	}
	type pendingRole struct {
		account string
		role    world.Role
	}
	var pending []pendingRole
	for _, a := range w.Accounts {
		root := s.rootCaller(a.ID)
		for _, p := range a.Policies {
			if err := s.applyPolicy(ctx, root, p); err != nil {
				return at(p.Line, "policy "+p.Name, err)
			}
		}
		for _, g := range a.Groups {
			if err := s.applyGroup(ctx, root, g); err != nil {
				return at(g.Line, "group "+g.Name, err)
			}
		}
		for _, u := range a.Users {
			if err := s.applyUser(ctx, root, u); err != nil {
				return at(u.Line, "user "+u.Name, err)
			}
		}
		for _, p := range a.OIDCProviders {
			_, err := s.CreateOpenIDConnectProvider(ctx, root, &sdk.CreateOpenIDConnectProviderInput{Url: &p.URL, ClientIDList: p.ClientIDs, ThumbprintList: p.Thumbprints})
			if err := ignoreExists(err); err != nil {
				return at(p.Line, "OIDC provider "+p.URL, err)
			}
		}
		for _, r := range a.Roles {
			pending = append(pending, pendingRole{a.ID, r})
		}
	}
	for len(pending) > 0 {
		var next []pendingRole
		var lastErr error
		for _, p := range pending {
			err := s.applyRole(ctx, s.rootCaller(p.account), p.role)
			var ie *Error
			if errors.As(err, &ie) && ie.Code == "MalformedPolicyDocument" && strings.Contains(ie.Message, "Invalid principal") {
				next = append(next, p)
				lastErr = at(p.role.Line, "role "+p.role.Name, err)
				continue
			}
			if err != nil {
				return at(p.role.Line, "role "+p.role.Name, err)
			}
		}
		if len(next) == len(pending) {
			return lastErr // no progress: a principal that is never declared
		}
		pending = next
	}
	return nil
}

// rootCaller is the account's root user acting now.
func (s *Service) rootCaller(account string) *directory.Caller {
	return &directory.Caller{AccountID: account, ARN: "arn:aws:iam::" + account + ":root", RequestTime: s.now()}
}

// ignoreExists treats EntityAlreadyExists as success.
func ignoreExists(err error) error {
	var ie *Error
	if errors.As(err, &ie) && ie.Code == "EntityAlreadyExists" {
		return nil
	}
	return err
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (s *Service) applyPolicy(ctx context.Context, root *directory.Caller, p world.Policy) error {
	path := p.Path
	if path == "" {
		path = "/"
	}
	arn := entityARN(root.AccountID, "policy", path, p.Name)
	cur, ok := s.dir.Snapshot().AccountIAM(root.AccountID).Policies[arn]
	if !ok {
		_, err := s.CreatePolicy(ctx, root, &sdk.CreatePolicyInput{PolicyName: &p.Name, Path: &path, PolicyDocument: &p.Document, Description: optional(p.Description)})
		return err
	}
	if d := cur.Default(); d != nil && d.Document == p.Document {
		return nil
	}
	if len(cur.Versions) >= 5 {
		oldest := ""
		for _, v := range cur.Versions {
			if v.VersionID != cur.DefaultVersion {
				oldest = v.VersionID
				break
			}
		}
		if _, err := s.DeletePolicyVersion(ctx, root, &sdk.DeletePolicyVersionInput{PolicyArn: &arn, VersionId: &oldest}); err != nil {
			return err
		}
	}
	setDefault := true
	_, err := s.CreatePolicyVersion(ctx, root, &sdk.CreatePolicyVersionInput{PolicyArn: &arn, PolicyDocument: &p.Document, SetAsDefault: setDefault})
	return err
}

func (s *Service) applyGroup(ctx context.Context, root *directory.Caller, g world.Group) error {
	if _, err := s.CreateGroup(ctx, root, &sdk.CreateGroupInput{GroupName: &g.Name, Path: optional(g.Path)}); ignoreExists(err) != nil {
		return err
	}
	for _, ip := range g.Policies {
		if _, err := s.PutGroupPolicy(ctx, root, &sdk.PutGroupPolicyInput{GroupName: &g.Name, PolicyName: &ip.Name, PolicyDocument: &ip.Document}); err != nil {
			return fmt.Errorf("inline policy %s: %w", ip.Name, err)
		}
	}
	for _, a := range g.Attached {
		if _, err := s.AttachGroupPolicy(ctx, root, &sdk.AttachGroupPolicyInput{GroupName: &g.Name, PolicyArn: &a}); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) applyUser(ctx context.Context, root *directory.Caller, u world.User) error {
	if _, err := s.CreateUser(ctx, root, &sdk.CreateUserInput{UserName: &u.Name, Path: optional(u.Path)}); ignoreExists(err) != nil {
		return err
	}
	for _, ip := range u.Policies {
		if _, err := s.PutUserPolicy(ctx, root, &sdk.PutUserPolicyInput{UserName: &u.Name, PolicyName: &ip.Name, PolicyDocument: &ip.Document}); err != nil {
			return fmt.Errorf("inline policy %s: %w", ip.Name, err)
		}
	}
	for _, a := range u.Attached {
		if _, err := s.AttachUserPolicy(ctx, root, &sdk.AttachUserPolicyInput{UserName: &u.Name, PolicyArn: &a}); err != nil {
			return err
		}
	}
	for _, g := range u.Groups {
		if _, err := s.AddUserToGroup(ctx, root, &sdk.AddUserToGroupInput{UserName: &u.Name, GroupName: &g}); err != nil {
			return fmt.Errorf("group %s: %w", g, err)
		}
	}
	for _, k := range u.AccessKeys {
		if err := s.importAccessKey(ctx, root.AccountID, u.Name, k); err != nil {
			return fmt.Errorf("access key %s: %w", k.ID, err)
		}
	}
	return nil
}

func (s *Service) applyRole(ctx context.Context, root *directory.Caller, r world.Role) error {
	in := &sdk.CreateRoleInput{RoleName: &r.Name, Path: optional(r.Path), AssumeRolePolicyDocument: &r.Trust, Description: optional(r.Description)}
	if r.MaxSessionDuration != 0 {
		in.MaxSessionDuration = &r.MaxSessionDuration
	}
	_, err := s.CreateRole(ctx, root, in)
	if ignoreExists(err) != nil {
		return err
	}
	if err != nil { // it exists: set the declared properties
		cur, _ := roles.find(s.dir.Snapshot().AccountIAM(root.AccountID), r.Name)
		if cur.TrustPolicy != r.Trust {
			if _, err := s.UpdateAssumeRolePolicy(ctx, root, &sdk.UpdateAssumeRolePolicyInput{RoleName: &r.Name, PolicyDocument: &r.Trust}); err != nil {
				return err
			}
		}
		if (r.MaxSessionDuration != 0 && cur.MaxSessionDuration != r.MaxSessionDuration) || (r.Description != "" && cur.Description != r.Description) {
			if _, err := s.UpdateRole(ctx, root, &sdk.UpdateRoleInput{RoleName: &r.Name, Description: optional(r.Description), MaxSessionDuration: in.MaxSessionDuration}); err != nil {
				return err
			}
		}
	}
	for _, ip := range r.Policies {
		if _, err := s.PutRolePolicy(ctx, root, &sdk.PutRolePolicyInput{RoleName: &r.Name, PolicyName: &ip.Name, PolicyDocument: &ip.Document}); err != nil {
			return fmt.Errorf("inline policy %s: %w", ip.Name, err)
		}
	}
	for _, a := range r.Attached {
		if _, err := s.AttachRolePolicy(ctx, root, &sdk.AttachRolePolicyInput{RoleName: &r.Name, PolicyArn: &a}); err != nil {
			return err
		}
	}
	return nil
}

var (
	worldKeyID  = regexp.MustCompile(`^AKIA[A-Z0-9]{16}$`)
	worldSecret = regexp.MustCompile(`^[A-Za-z0-9+/]{40}$`)
)

// importAccessKey gives a user an access key with a declared ID and
// secret (AWS has no such call: it is how world files pin credentials).
func (s *Service) importAccessKey(ctx context.Context, account, userName string, k world.AccessKey) error {
	if !worldKeyID.MatchString(k.ID) {
		return fmt.Errorf("the ID must be AKIA and 16 upper-case letters or digits")
	}
	if !worldSecret.MatchString(k.Secret) {
		return fmt.Errorf("the secret must be 40 characters of [A-Za-z0-9+/], like AWS's")
	}
	return s.update(ctx, func(t *txn) error {
		if cur, ok := t.Snap.AccessKeys[k.ID]; ok {
			if cur.AccountID == account && strings.EqualFold(cur.UserName, userName) && cur.Secret == k.Secret {
				return nil
			}
			return fmt.Errorf("the ID is already used by another key")
		}
		n := 0
		for _, cur := range t.Snap.AccessKeys {
			if cur.AccountID == account && strings.EqualFold(cur.UserName, userName) {
				n++
			}
		}
		if n >= 2 {
			return limitExceeded("Cannot exceed quota for AccessKeysPerUser: 2")
		}
		sealed, err := s.sealer.Seal([]byte(k.Secret), k.ID)
		if err != nil {
			return err
		}
		u, err := users.find(t.Snap.AccountIAM(account), userName)
		if err != nil {
			return err
		}
		key := &directory.AccessKey{AccessKeyID: k.ID, AccountID: account, UserName: u.Name, Status: directory.StatusActive,
			CreateDate: s.now().UTC().Truncate(time.Second), SealedSecret: sealed, Secret: k.Secret}
		t.Snap.AccessKeys[k.ID] = key
		return t.Put(kindAccessKey, account, k.ID, key)
	})
}
