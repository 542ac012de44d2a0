package iam

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"golang.org/x/crypto/argon2"

	"github.com/assumed-dev/assumed/internal/directory"
)

// A login profile is an IAM user's console password. There is no console
// here: the password is kept (as a salted argon2id hash, never the
// password) so that ChangePassword can check the old one, and so that the
// profile's existence answers as in AWS (DeleteUser conflicts, Terraform's
// aws_iam_user_login_profile).
//
// Passwords are checked against IAM's request constraints only (1–128
// characters of [\t\n\r\x20-\xFF]), not against an account password
// policy.

// Password hashing: argon2id with OWASP's recommended parameters (19 MiB,
// two passes, one lane), a 16-byte salt and a 32-byte hash.
const (
	pwMemoryKiB  = 19 * 1024
	pwTime       = 2
	pwThreads    = 1
	pwSaltLen    = 16
	pwHashLen    = 32
	pwMaxLen     = 128
	pwHashFormat = "$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s"
)

var pwPattern = regexp.MustCompile(`^[\t\n\r\x{20}-\x{FF}]+$`)

// checkPassword validates a password request field. The value is not
// echoed, as IAM does not echo sensitive fields.
func checkPassword(pw *string, field string) error {
	switch {
	case pw == nil:
		return validationError("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", field)
	case len(*pw) < 1 || len([]rune(*pw)) > pwMaxLen:
		return validationError("1 validation error detected: Value at '%s' failed to satisfy constraint: Member must have length between 1 and %d", field, pwMaxLen)
	case !pwPattern.MatchString(*pw):
		return validationError("1 validation error detected: Value at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+", field)
	}
	return nil
}

// hashPassword returns a salted argon2id hash of pw in PHC string form.
func hashPassword(pw string) (string, error) {
	salt := make([]byte, pwSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	sum := argon2.IDKey([]byte(pw), salt, pwTime, pwMemoryKiB, pwThreads, pwHashLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf(pwHashFormat, argon2.Version, pwMemoryKiB, pwTime, pwThreads, enc.EncodeToString(salt), enc.EncodeToString(sum)), nil
}

// passwordMatches reports whether pw is the password of a PHC argon2id
// hash made by hashPassword (with whatever parameters it records).
func passwordMatches(hash, pw string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("password hash: not an argon2id PHC string")
	}
	var version int
	var mem, passes uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, fmt.Errorf("password hash: version %q", parts[2])
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &passes, &threads); err != nil {
		return false, fmt.Errorf("password hash: parameters %q: %w", parts[3], err)
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("password hash: salt: %w", err)
	}
	want, err := enc.DecodeString(parts[5])
	if err != nil {
		return false, fmt.Errorf("password hash: hash: %w", err)
	}
	got := argon2.IDKey([]byte(pw), salt, passes, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// loginNotFound is IAM's answer for a user without a login profile.
func loginNotFound(userName string) error {
	return noSuchEntity("Login Profile for User %s cannot be found.", userName)
}

// loginProfileSDK converts a login profile for a response.
func loginProfileSDK(u *directory.User, p *directory.LoginProfile) *types.LoginProfile {
	return &types.LoginProfile{UserName: ptr(u.Name), CreateDate: ptr(p.CreateDate), PasswordResetRequired: p.PasswordResetRequired}
}

// CreateLoginProfile gives an IAM user (the named one, or the calling
// user) a console password.
func (s *Service) CreateLoginProfile(ctx context.Context, caller *directory.Caller, in *sdk.CreateLoginProfileInput) (*sdk.CreateLoginProfileOutput, error) {
	if err := checkPassword(in.Password, "password"); err != nil {
		return nil, err
	}
	hash, err := hashPassword(*in.Password)
	if err != nil {
		return nil, err
	}
	var out *sdk.CreateLoginProfileOutput
	err = s.update(ctx, func(t *txn) error {
		owner, err := credTarget(t.Snap, caller, in.UserName, "iam:CreateLoginProfile", nil, false)
		if err != nil {
			return err
		}
		u := owner.User
		profiles := t.IAM(caller.AccountID).Credentials.LoginProfiles
		if _, exists := profiles[u.ID]; exists {
			return entityAlreadyExists("Login Profile for user %s already exists.", u.Name)
		}
		p := &directory.LoginProfile{UserID: u.ID, CreateDate: s.usrNow(caller), PasswordResetRequired: in.PasswordResetRequired, PasswordHash: hash}
		out = &sdk.CreateLoginProfileOutput{LoginProfile: loginProfileSDK(u, p)}
		return credPut(t, kindLoginProfile, caller.AccountID, profiles, u.ID, p)
	})
	return output(out, err)
}

// GetLoginProfile says whether an IAM user (the named one, or the calling
// user) has a console password, and since when.
func (s *Service) GetLoginProfile(_ context.Context, caller *directory.Caller, in *sdk.GetLoginProfileInput) (*sdk.GetLoginProfileOutput, error) {
	snap := s.dir.Snapshot()
	owner, err := credTarget(snap, caller, in.UserName, "iam:GetLoginProfile", nil, false)
	if err != nil {
		return nil, err
	}
	p, ok := snap.AccountIAM(caller.AccountID).Credentials.LoginProfiles[owner.ID()]
	if !ok {
		return nil, loginNotFound(owner.User.Name)
	}
	return &sdk.GetLoginProfileOutput{LoginProfile: loginProfileSDK(owner.User, p)}, nil
}

// UpdateLoginProfile sets a user's password, or whether it must be
// changed at the next sign-in; what the request leaves out is kept.
func (s *Service) UpdateLoginProfile(ctx context.Context, caller *directory.Caller, in *sdk.UpdateLoginProfileInput) (*sdk.UpdateLoginProfileOutput, error) {
	var hash string
	if in.Password != nil {
		if err := checkPassword(in.Password, "password"); err != nil {
			return nil, err
		}
		h, err := hashPassword(*in.Password)
		if err != nil {
			return nil, err
		}
		hash = h
	}
	err := s.update(ctx, func(t *txn) error {
		owner, err := credTarget(t.Snap, caller, in.UserName, "iam:UpdateLoginProfile", nil, false)
		if err != nil {
			return err
		}
		profiles := t.IAM(caller.AccountID).Credentials.LoginProfiles
		cur, ok := profiles[owner.ID()]
		if !ok {
			return loginNotFound(owner.User.Name)
		}
		p := *cur
		if hash != "" {
			p.PasswordHash = hash
		}
		if in.PasswordResetRequired != nil {
			p.PasswordResetRequired = *in.PasswordResetRequired
		}
		return credPut(t, kindLoginProfile, caller.AccountID, profiles, p.UserID, &p)
	})
	return output(&sdk.UpdateLoginProfileOutput{}, err)
}

// DeleteLoginProfile removes a user's console password. Its access keys
// still sign requests.
func (s *Service) DeleteLoginProfile(ctx context.Context, caller *directory.Caller, in *sdk.DeleteLoginProfileInput) (*sdk.DeleteLoginProfileOutput, error) {
	err := s.update(ctx, func(t *txn) error {
		owner, err := credTarget(t.Snap, caller, in.UserName, "iam:DeleteLoginProfile", nil, false)
		if err != nil {
			return err
		}
		profiles := t.IAM(caller.AccountID).Credentials.LoginProfiles
		if _, ok := profiles[owner.ID()]; !ok {
			return loginNotFound(owner.User.Name)
		}
		credDel(t, kindLoginProfile, caller.AccountID, profiles, owner.ID())
		return nil
	})
	return output(&sdk.DeleteLoginProfileOutput{}, err)
}

// ChangePassword changes the calling IAM user's own password, given the
// current one; the user no longer has to change it at the next sign-in.
// Only an IAM user (or a session of one) can call it. A wrong current
// password is refused as AccessDenied.
func (s *Service) ChangePassword(ctx context.Context, caller *directory.Caller, in *sdk.ChangePasswordInput) (*sdk.ChangePasswordOutput, error) {
	if err := checkPassword(in.OldPassword, "oldPassword"); err != nil {
		return nil, err
	}
	if err := checkPassword(in.NewPassword, "newPassword"); err != nil {
		return nil, err
	}
	if caller.UserName == "" || caller.IsRoleSession() {
		return nil, &Error{Status: http.StatusBadRequest, Code: "InvalidUserType", Message: "Only IAM users can change their own password."}
	}
	hash, err := hashPassword(*in.NewPassword)
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(t *txn) error {
		owner, err := credTarget(t.Snap, caller, nil, "iam:ChangePassword", nil, false)
		if err != nil {
			return err
		}
		profiles := t.IAM(caller.AccountID).Credentials.LoginProfiles
		cur, ok := profiles[owner.ID()]
		if !ok {
			return loginNotFound(owner.User.Name)
		}
		match, err := passwordMatches(cur.PasswordHash, *in.OldPassword)
		if err != nil {
			return fmt.Errorf("change password of %s: %w", owner.ARN, err)
		}
		if !match {
			s.log.Info("ChangePassword refused: wrong current password", "user", owner.ARN)
			return &Error{Status: http.StatusForbidden, Code: "AccessDenied", Message: "The old password is incorrect."}
		}
		p := *cur
		p.PasswordHash = hash
		p.PasswordResetRequired = false
		return credPut(t, kindLoginProfile, caller.AccountID, profiles, p.UserID, &p)
	})
	return output(&sdk.ChangePasswordOutput{}, err)
}
