package iam

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/store"
	"github.com/assumed-dev/assumed/policy"
)

// The user credential families beyond access keys: login profiles
// (loginprofiles.go), SSH public keys (sshkeys.go), service-specific
// credentials (servicecredentials.go), signing certificates
// (signingcerts.go) and virtual MFA devices (mfa.go). Each credential
// names its user by unique ID (see directory.UserCredentials), lives in
// the account's directory.UserCredentials and is stored as a record of
// its own kind, keyed as that map is.

// ID prefixes of the credentials, as AWS's.
const (
	prefixSSHPublicKey       = "APKA"
	prefixServiceCredential  = "ACCA"
	signingCertificateIDSize = 32 // characters of [A-Z2-7]
)

// credOwner is whose credentials a request is about: an IAM user, or
// (signing certificates, MFA devices) the account's root user, whose User
// is nil.
type credOwner struct {
	User *directory.User
	ARN  string
}

// ID is the owner's key in the credentials: the user's unique ID, "" for
// the root user.
func (o credOwner) ID() string {
	if o.User == nil {
		return ""
	}
	return o.User.ID
}

// UserName is the owner's name in responses: absent for the root user.
func (o credOwner) UserName() *string {
	if o.User == nil {
		return nil
	}
	return ptr(o.User.Name)
}

// credTarget resolves the UserName parameter of a credential operation
// and authorizes action on that user (its ARN, its tags as
// aws:ResourceTag, and reqCtx's keys): the named user, or the calling IAM
// user when no name is given. Without a name, a root caller acts on the
// root user's own credentials where rootOK (AWS documents it for signing
// certificates and MFA devices); otherwise a caller that is no IAM user
// must name one, as IAM answers a role session.
func credTarget(snap *directory.Snapshot, caller *directory.Caller, userName *string, action string, reqCtx *policy.Context, rootOK bool) (credOwner, error) {
	if userName == nil || *userName == "" {
		switch {
		case caller.IsRoot() && rootOK:
			if err := authorize(snap, caller, action, caller.ARN, reqCtx); err != nil {
				return credOwner{}, err
			}
			return credOwner{ARN: caller.ARN}, nil
		case caller.UserName == "":
			return credOwner{}, validationError("Must specify userName when calling with non-User credentials")
		}
		userName = &caller.UserName
	}
	u, err := users.authorized(snap, caller, *userName, action, reqCtx)
	if err != nil {
		return credOwner{}, err
	}
	return credOwner{User: u, ARN: u.ARN}, nil
}

// credUserByID returns the account's user with this unique ID.
func credUserByID(acct *directory.AccountIAM, id string) (*directory.User, bool) {
	for _, u := range acct.Users {
		if u.ID == id {
			return u, true
		}
	}
	return nil, false
}

// credOf returns the credentials in m that belong to the user with this
// unique ID ("" the root user), sorted by key.
func credOf[T any](m map[string]*T, userID string, owner func(*T) string) []*T {
	keys := make([]string, 0, len(m))
	for k, c := range m {
		if owner(c) == userID {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	out := make([]*T, 0, len(keys))
	for _, k := range keys {
		out = append(out, m[k])
	}
	return out
}

// checkStatus validates a credential's new status (Update… operations).
func checkStatus(status string) error {
	if status != directory.StatusActive && status != directory.StatusInactive {
		return invalidField(status, "status", "Member must satisfy enum value set: [Active, Inactive, Expired]")
	}
	return nil
}

// newSigningCertificateID returns a random signing certificate ID: 32
// characters of [A-Z2-7].
func newSigningCertificateID() (string, error) {
	b := make([]byte, signingCertificateIDSize*5/8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("new signing certificate ID: %w", err)
	}
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b), nil
}

// IAM's DeleteConflict messages for a user's credentials. AWS answers a
// user that still has SSH public keys (and, by all accounts,
// service-specific credentials) with its generic message.
const (
	conflictLoginProfile = "Cannot delete entity, must delete login profile first."
	conflictCertificates = "Cannot delete entity, must delete certificates first."
	conflictMFADevices   = "Cannot delete entity, must delete MFA device first."
	conflictReferenced   = "Cannot delete entity, must remove referenced objects first."
)

// credLoginConflict is the DeleteConflict of a user that still has a
// login profile.
func credLoginConflict(acct *directory.AccountIAM, u *directory.User) error {
	if _, ok := acct.Credentials.LoginProfiles[u.ID]; ok {
		return deleteConflict(conflictLoginProfile)
	}
	return nil
}

// credConflicts is the DeleteConflict of a user that still has signing
// certificates, MFA devices, SSH public keys or service-specific
// credentials.
func credConflicts(acct *directory.AccountIAM, u *directory.User) error {
	c := acct.Credentials
	switch {
	case credHas(c.SigningCertificates, u.ID, func(x *directory.SigningCertificate) string { return x.UserID }):
		return deleteConflict(conflictCertificates)
	case credHas(c.MFADevices, u.ID, func(x *directory.VirtualMFADevice) string { return x.UserID }):
		return deleteConflict(conflictMFADevices)
	case credHas(c.SSHPublicKeys, u.ID, func(x *directory.SSHPublicKey) string { return x.UserID }),
		credHas(c.ServiceSpecificCredentials, u.ID, func(x *directory.ServiceSpecificCredential) string { return x.UserID }):
		return deleteConflict(conflictReferenced)
	}
	return nil
}

// credHas reports whether the user with this unique ID has a credential
// in m.
func credHas[T any](m map[string]*T, userID string, owner func(*T) string) bool {
	for _, c := range m {
		if owner(c) == userID {
			return true
		}
	}
	return false
}

// decodeCredential decodes a record of one of the credential kinds into
// its account's credentials.
func decodeCredential(r store.Record, a *directory.AccountIAM) error {
	c := a.Credentials
	switch r.Kind {
	case kindLoginProfile:
		return decodeInto(r, c.LoginProfiles)
	case kindSSHPublicKey:
		return decodeInto(r, c.SSHPublicKeys)
	case kindServiceCredential:
		return decodeInto(r, c.ServiceSpecificCredentials)
	case kindSigningCertificate:
		return decodeInto(r, c.SigningCertificates)
	case kindMFADevice:
		return decodeInto(r, c.MFADevices)
	}
	return errUnknownKind
}

// decodeInto decodes a record into m under the record's ID.
func decodeInto[T any](r store.Record, m map[string]*T) error {
	var v T
	if err := json.Unmarshal(r.Data, &v); err != nil {
		return err
	}
	m[r.ID] = &v
	return nil
}

// credPut stores a credential under key in the account's map m (which
// must be the write's own, from t.IAM) and in the write's records.
func credPut[T any](t *txn, kind, account string, m map[string]*T, key string, v *T) error {
	m[key] = v
	return t.Put(kind, account, key, v)
}

// credDel deletes a credential from the account's map m and the store.
func credDel[T any](t *txn, kind, account string, m map[string]*T, key string) {
	delete(m, key)
	t.Del(kind, account, key)
}
