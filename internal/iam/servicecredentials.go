package iam

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strconv"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// Service-specific credentials are a user name and password that IAM
// generates for one service: CodeCommit (Git over HTTPS) and Amazon
// Keyspaces (cassandra.amazonaws.com). Amazon Bedrock and CloudWatch Logs
// get API keys instead: a public alias and a secret, optionally expiring
// after CredentialAgeDays. A user has at most two per service. The
// password (or secret) is sealed at rest and shown only by Create and
// Reset.

// Service-specific credential limits, as in IAM.
const (
	sscMaxPerService = 2
	sscMaxAgeDays    = 36600
	sscSecretBytes   = 44 // 60 base64 characters, as AWS's passwords
)

// sscServices are the services IAM issues credentials for; true for those
// that get API keys.
var sscServices = map[string]bool{
	"codecommit.amazonaws.com": false,
	"cassandra.amazonaws.com":  false,
	"bedrock.amazonaws.com":    true,
	"logs.amazonaws.com":       true,
}

// sscNotFound is IAM's answer for a credential the user does not have.
func sscNotFound(id string) error {
	return noSuchEntity("No such credential %s exists", id)
}

// sscUnsupported is IAM's answer for a service it issues no credentials
// for.
func sscUnsupported(service string) error {
	return noSuchEntity("No such service %s is supported for Service Specific Credentials", service)
}

// sscContext is the request context of an operation on a credential of
// service.
func sscContext(service string) *policy.Context {
	ctx := policy.NewContext()
	ctx.Set("iam:ServiceSpecificCredentialServiceName", service)
	return ctx
}

// sscSecret returns a new random password or API key secret.
func sscSecret() (string, error) {
	b := make([]byte, sscSecretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("new service-specific credential: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// sscSeal seals a credential's password for storage, bound to its ID.
func (s *Service) sscSeal(id, secret string) ([]byte, error) {
	sealed, err := s.sealer.Seal([]byte(secret), id)
	if err != nil {
		return nil, fmt.Errorf("seal service-specific credential %s: %w", id, err)
	}
	return sealed, nil
}

// sscFull converts a credential for Create and Reset, with its secret.
func sscFull(owner credOwner, c *directory.ServiceSpecificCredential, secret string) *types.ServiceSpecificCredential {
	out := &types.ServiceSpecificCredential{
		ServiceSpecificCredentialId: ptr(c.ID), UserName: owner.UserName(), ServiceName: ptr(c.ServiceName),
		Status: types.StatusType(c.Status), CreateDate: ptr(c.CreateDate), ExpirationDate: c.ExpirationDate,
	}
	if c.Alias != "" {
		out.ServiceCredentialAlias, out.ServiceCredentialSecret = ptr(c.Alias), ptr(secret)
	} else {
		out.ServiceUserName, out.ServicePassword = ptr(c.ServiceUserName), ptr(secret)
	}
	return out
}

// sscMetadata converts a credential for ListServiceSpecificCredentials.
func sscMetadata(u *directory.User, c *directory.ServiceSpecificCredential) types.ServiceSpecificCredentialMetadata {
	out := types.ServiceSpecificCredentialMetadata{
		ServiceSpecificCredentialId: ptr(c.ID), UserName: ptr(u.Name), ServiceName: ptr(c.ServiceName),
		Status: types.StatusType(c.Status), CreateDate: ptr(c.CreateDate), ExpirationDate: c.ExpirationDate,
	}
	if c.Alias != "" {
		out.ServiceCredentialAlias = ptr(c.Alias)
	} else {
		out.ServiceUserName = ptr(c.ServiceUserName)
	}
	return out
}

// sscTarget resolves the user and the credential an Update, Reset or
// Delete names, authorizing action on the user with the credential's
// service as iam:ServiceSpecificCredentialServiceName.
func sscTarget(snap *directory.Snapshot, caller *directory.Caller, userName, id *string, action string) (credOwner, *directory.ServiceSpecificCredential, error) {
	all := snap.AccountIAM(caller.AccountID).Credentials.ServiceSpecificCredentials
	var reqCtx *policy.Context
	c, found := all[deref(id)]
	if found {
		reqCtx = sscContext(c.ServiceName)
	}
	owner, err := credTarget(snap, caller, userName, action, reqCtx, false)
	if err != nil {
		return credOwner{}, nil, err
	}
	if !found || c.UserID != owner.ID() {
		return credOwner{}, nil, sscNotFound(deref(id))
	}
	return owner, c, nil
}

// CreateServiceSpecificCredential generates a credential of a user for
// one service. The password (or API key secret) is returned only here and
// by ResetServiceSpecificCredential.
func (s *Service) CreateServiceSpecificCredential(ctx context.Context, caller *directory.Caller, in *sdk.CreateServiceSpecificCredentialInput) (*sdk.CreateServiceSpecificCredentialOutput, error) {
	service := deref(in.ServiceName)
	apiKey, supported := sscServices[service]
	reqCtx := sscContext(service)
	if in.CredentialAgeDays != nil {
		days := *in.CredentialAgeDays
		if days < 1 || days > sscMaxAgeDays {
			return nil, invalidField(strconv.Itoa(int(days)), "credentialAgeDays", "Member must have value between 1 and 36600")
		}
		reqCtx.Set("iam:ServiceSpecificCredentialAgeDays", strconv.Itoa(int(days)))
	}
	var out *sdk.CreateServiceSpecificCredentialOutput
	err := s.update(ctx, func(t *txn) error {
		owner, err := credTarget(t.Snap, caller, in.UserName, "iam:CreateServiceSpecificCredential", reqCtx, false)
		if err != nil {
			return err
		}
		if !supported {
			return sscUnsupported(service)
		}
		if in.CredentialAgeDays != nil && !apiKey {
			return invalidInput("CredentialAgeDays is only valid for Bedrock and CloudWatch Logs API keys.")
		}
		acct := t.IAM(caller.AccountID)
		all := acct.Credentials.ServiceSpecificCredentials
		n := 0
		for _, c := range credOf(all, owner.ID(), func(c *directory.ServiceSpecificCredential) string { return c.UserID }) {
			if c.ServiceName == service {
				n++
			}
		}
		if n >= sscMaxPerService {
			return limitExceeded("Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: %d", sscMaxPerService)
		}
		id, err := creds.NewUniqueID(prefixServiceCredential)
		if err != nil {
			return err
		}
		secret, err := sscSecret()
		if err != nil {
			return err
		}
		sealed, err := s.sscSeal(id, secret)
		if err != nil {
			return err
		}
		now := s.usrNow(caller)
		c := &directory.ServiceSpecificCredential{
			ID: id, UserID: owner.ID(), ServiceName: service, SealedPassword: sealed,
			Status: directory.StatusActive, CreateDate: now,
		}
		if apiKey {
			// The alias carries the user's name and a version and
			// creation suffix, as AWS describes it.
			c.Alias = owner.User.Name + "+1-" + now.Format("20060102T150405Z")
			if in.CredentialAgeDays != nil {
				c.ExpirationDate = ptr(now.Add(time.Duration(*in.CredentialAgeDays) * 24 * time.Hour))
			}
		} else {
			c.ServiceUserName = owner.User.Name + "-at-" + caller.AccountID
		}
		out = &sdk.CreateServiceSpecificCredentialOutput{ServiceSpecificCredential: sscFull(owner, c, secret)}
		return credPut(t, kindServiceCredential, caller.AccountID, all, id, c)
	})
	return output(out, err)
}

// ListServiceSpecificCredentials lists the credentials of the named user,
// or of the calling user, or with AllUsers of every user; ServiceName
// keeps those of one service.
func (s *Service) ListServiceSpecificCredentials(_ context.Context, caller *directory.Caller, in *sdk.ListServiceSpecificCredentialsInput) (*sdk.ListServiceSpecificCredentialsOutput, error) {
	snap := s.dir.Snapshot()
	acct := snap.AccountIAM(caller.AccountID)
	service := deref(in.ServiceName)
	if service != "" {
		if _, ok := sscServices[service]; !ok {
			return nil, sscUnsupported(service)
		}
	}
	var list []*directory.ServiceSpecificCredential
	if deref(in.AllUsers) {
		if deref(in.UserName) != "" {
			return nil, invalidInput("AllUsers cannot be specified together with UserName.")
		}
		if err := authorize(snap, caller, "iam:ListServiceSpecificCredentials", "arn:aws:iam::"+caller.AccountID+":user/", nil); err != nil {
			return nil, err
		}
		for _, c := range acct.Credentials.ServiceSpecificCredentials {
			list = append(list, c)
		}
	} else {
		owner, err := credTarget(snap, caller, in.UserName, "iam:ListServiceSpecificCredentials", nil, false)
		if err != nil {
			return nil, err
		}
		list = credOf(acct.Credentials.ServiceSpecificCredentials, owner.ID(), func(c *directory.ServiceSpecificCredential) string { return c.UserID })
	}
	var kept []*directory.ServiceSpecificCredential
	for _, c := range list {
		if service == "" || c.ServiceName == service {
			kept = append(kept, c)
		}
	}
	p, err := paginate(kept, func(c *directory.ServiceSpecificCredential) string { return c.ID }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &sdk.ListServiceSpecificCredentialsOutput{ServiceSpecificCredentials: []types.ServiceSpecificCredentialMetadata{}, IsTruncated: p.Truncated, Marker: p.Marker}
	for _, c := range p.Items {
		u, ok := credUserByID(acct, c.UserID)
		if !ok {
			continue
		}
		out.ServiceSpecificCredentials = append(out.ServiceSpecificCredentials, sscMetadata(u, c))
	}
	return out, nil
}

// UpdateServiceSpecificCredential makes a credential Active or Inactive.
func (s *Service) UpdateServiceSpecificCredential(ctx context.Context, caller *directory.Caller, in *sdk.UpdateServiceSpecificCredentialInput) (*sdk.UpdateServiceSpecificCredentialOutput, error) {
	status := string(in.Status)
	if err := checkStatus(status); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(t *txn) error {
		_, cur, err := sscTarget(t.Snap, caller, in.UserName, in.ServiceSpecificCredentialId, "iam:UpdateServiceSpecificCredential")
		if err != nil || cur.Status == status {
			return err
		}
		c := *cur
		c.Status = status
		return credPut(t, kindServiceCredential, caller.AccountID, t.IAM(caller.AccountID).Credentials.ServiceSpecificCredentials, c.ID, &c)
	})
	return output(&sdk.UpdateServiceSpecificCredentialOutput{}, err)
}

// ResetServiceSpecificCredential gives a credential a new generated
// password (or secret); the old one stops working.
func (s *Service) ResetServiceSpecificCredential(ctx context.Context, caller *directory.Caller, in *sdk.ResetServiceSpecificCredentialInput) (*sdk.ResetServiceSpecificCredentialOutput, error) {
	var out *sdk.ResetServiceSpecificCredentialOutput
	err := s.update(ctx, func(t *txn) error {
		owner, cur, err := sscTarget(t.Snap, caller, in.UserName, in.ServiceSpecificCredentialId, "iam:ResetServiceSpecificCredential")
		if err != nil {
			return err
		}
		secret, err := sscSecret()
		if err != nil {
			return err
		}
		c := *cur
		if c.SealedPassword, err = s.sscSeal(c.ID, secret); err != nil {
			return err
		}
		out = &sdk.ResetServiceSpecificCredentialOutput{ServiceSpecificCredential: sscFull(owner, &c, secret)}
		return credPut(t, kindServiceCredential, caller.AccountID, t.IAM(caller.AccountID).Credentials.ServiceSpecificCredentials, c.ID, &c)
	})
	return output(out, err)
}

// DeleteServiceSpecificCredential deletes a credential.
func (s *Service) DeleteServiceSpecificCredential(ctx context.Context, caller *directory.Caller, in *sdk.DeleteServiceSpecificCredentialInput) (*sdk.DeleteServiceSpecificCredentialOutput, error) {
	err := s.update(ctx, func(t *txn) error {
		_, c, err := sscTarget(t.Snap, caller, in.UserName, in.ServiceSpecificCredentialId, "iam:DeleteServiceSpecificCredential")
		if err != nil {
			return err
		}
		credDel(t, kindServiceCredential, caller.AccountID, t.IAM(caller.AccountID).Credentials.ServiceSpecificCredentials, c.ID)
		return nil
	})
	return output(&sdk.DeleteServiceSpecificCredentialOutput{}, err)
}
