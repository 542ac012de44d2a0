package iam

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"net/http"

	sdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/internal/directory"
)

// Signing certificates are X.509 certificates that some (legacy) AWS
// services accept for request signing. A user, or the account's root user,
// has at most two; one certificate belongs to one user of the account at
// most.

// Signing certificate limits, as in IAM.
const (
	certMaxPerUser = 2
	certMaxBodyLen = 16384
)

// certNotFound is IAM's answer for a certificate the user does not have.
func certNotFound(id string) error {
	return noSuchEntity("The Certificate with id %s cannot be found.", id)
}

// parseSigningCertificate returns the DER of a PEM certificate, or IAM's
// MalformedCertificate.
func parseSigningCertificate(body string) ([]byte, error) {
	malformed := &Error{Status: http.StatusBadRequest, Code: "MalformedCertificate", Message: "Unable to parse certificate. Please ensure the certificate is in PEM format."}
	block, rest := pem.Decode([]byte(body))
	if block == nil || block.Type != "CERTIFICATE" || len(bytes.TrimSpace(rest)) > 0 {
		return nil, malformed
	}
	if _, err := x509.ParseCertificate(block.Bytes); err != nil {
		malformed.Message += " (" + err.Error() + ")"
		return nil, malformed
	}
	return block.Bytes, nil
}

// certsOf returns the owner's signing certificates, by ID.
func certsOf(acct *directory.AccountIAM, owner credOwner) []*directory.SigningCertificate {
	return credOf(acct.Credentials.SigningCertificates, owner.ID(), func(c *directory.SigningCertificate) string { return c.UserID })
}

// certFind returns the owner's certificate with this ID.
func certFind(acct *directory.AccountIAM, owner credOwner, id string) (*directory.SigningCertificate, error) {
	if c, ok := acct.Credentials.SigningCertificates[id]; ok && c.UserID == owner.ID() {
		return c, nil
	}
	return nil, certNotFound(id)
}

// certSDK converts a certificate for a response.
func certSDK(owner credOwner, c *directory.SigningCertificate) types.SigningCertificate {
	return types.SigningCertificate{
		CertificateId: ptr(c.ID), UserName: owner.UserName(), CertificateBody: ptr(c.Body),
		Status: types.StatusType(c.Status), UploadDate: ptr(c.UploadDate),
	}
}

// UploadSigningCertificate adds an X.509 signing certificate (PEM) to the
// named user, or to the caller (a root caller: to the root user). It is
// Active. A certificate another user of the account has already is
// refused as DuplicateCertificate.
func (s *Service) UploadSigningCertificate(ctx context.Context, caller *directory.Caller, in *sdk.UploadSigningCertificateInput) (*sdk.UploadSigningCertificateOutput, error) {
	body := deref(in.CertificateBody)
	if len(body) < 1 || len(body) > certMaxBodyLen {
		return nil, invalidField("", "certificateBody", "Member must have length between 1 and 16384")
	}
	var out *sdk.UploadSigningCertificateOutput
	err := s.update(ctx, func(t *txn) error {
		owner, err := credTarget(t.Snap, caller, in.UserName, "iam:UploadSigningCertificate", nil, true)
		if err != nil {
			return err
		}
		der, err := parseSigningCertificate(body)
		if err != nil {
			return err
		}
		acct := t.IAM(caller.AccountID)
		for _, c := range acct.Credentials.SigningCertificates {
			if other, _ := parseSigningCertificate(c.Body); bytes.Equal(other, der) {
				return &Error{Status: http.StatusConflict, Code: "DuplicateCertificate", Message: "The certificate is already associated with an IAM user in the account."}
			}
		}
		if len(certsOf(acct, owner)) >= certMaxPerUser {
			return limitExceeded("Cannot exceed quota for SigningCertificatesPerUser: %d", certMaxPerUser)
		}
		id, err := newSigningCertificateID()
		if err != nil {
			return err
		}
		c := &directory.SigningCertificate{ID: id, UserID: owner.ID(), Body: body, Status: directory.StatusActive, UploadDate: s.usrNow(caller)}
		out = &sdk.UploadSigningCertificateOutput{Certificate: ptr(certSDK(owner, c))}
		return credPut(t, kindSigningCertificate, caller.AccountID, acct.Credentials.SigningCertificates, id, c)
	})
	return output(out, err)
}

// ListSigningCertificates lists the signing certificates of the named
// user, or of the caller (the root user's, for a root caller).
func (s *Service) ListSigningCertificates(_ context.Context, caller *directory.Caller, in *sdk.ListSigningCertificatesInput) (*sdk.ListSigningCertificatesOutput, error) {
	snap := s.dir.Snapshot()
	owner, err := credTarget(snap, caller, in.UserName, "iam:ListSigningCertificates", nil, true)
	if err != nil {
		return nil, err
	}
	p, err := paginate(certsOf(snap.AccountIAM(caller.AccountID), owner), func(c *directory.SigningCertificate) string { return c.ID }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &sdk.ListSigningCertificatesOutput{Certificates: []types.SigningCertificate{}, IsTruncated: p.Truncated, Marker: p.Marker}
	for _, c := range p.Items {
		out.Certificates = append(out.Certificates, certSDK(owner, c))
	}
	return out, nil
}

// UpdateSigningCertificate makes a signing certificate Active or
// Inactive.
func (s *Service) UpdateSigningCertificate(ctx context.Context, caller *directory.Caller, in *sdk.UpdateSigningCertificateInput) (*sdk.UpdateSigningCertificateOutput, error) {
	status := string(in.Status)
	if err := checkStatus(status); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(t *txn) error {
		owner, err := credTarget(t.Snap, caller, in.UserName, "iam:UpdateSigningCertificate", nil, true)
		if err != nil {
			return err
		}
		acct := t.IAM(caller.AccountID)
		cur, err := certFind(acct, owner, deref(in.CertificateId))
		if err != nil || cur.Status == status {
			return err
		}
		c := *cur
		c.Status = status
		return credPut(t, kindSigningCertificate, caller.AccountID, acct.Credentials.SigningCertificates, c.ID, &c)
	})
	return output(&sdk.UpdateSigningCertificateOutput{}, err)
}

// DeleteSigningCertificate deletes a signing certificate.
func (s *Service) DeleteSigningCertificate(ctx context.Context, caller *directory.Caller, in *sdk.DeleteSigningCertificateInput) (*sdk.DeleteSigningCertificateOutput, error) {
	err := s.update(ctx, func(t *txn) error {
		owner, err := credTarget(t.Snap, caller, in.UserName, "iam:DeleteSigningCertificate", nil, true)
		if err != nil {
			return err
		}
		acct := t.IAM(caller.AccountID)
		c, err := certFind(acct, owner, deref(in.CertificateId))
		if err != nil {
			return err
		}
		credDel(t, kindSigningCertificate, caller.AccountID, acct.Credentials.SigningCertificates, c.ID)
		return nil
	})
	return output(&sdk.DeleteSigningCertificateOutput{}, err)
}
