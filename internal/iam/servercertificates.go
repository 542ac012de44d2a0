package iam

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/directory"
)

// Server certificates
//
// An IAM server certificate is a TLS certificate with its private key,
// and optionally the chain of intermediate certificates that issued it,
// which services like Elastic Load Balancing and CloudFront serve. IAM
// checks on upload that the certificate and chain are PEM certificates,
// that the chain starts with the certificate's issuer and follows the
// order of issue, and that the private key is the one of the
// certificate's public key. The private key is sealed at rest and never
// returned. The certificate's Expiration is its NotAfter; its unique ID
// starts with ASCA.
//
// Server certificates are named like users, unique case-insensitively in
// the account, and have a path: arn:aws:iam::ACCT:server-certificate/
// PATH/NAME.

// Server certificate limits, as in IAM.
const (
	scMaxNameLen     = 128
	scMaxBodyLen     = 16384
	scMaxKeyLen      = 16384
	scMaxChainLen    = 2097152
	scMaxPerAccount  = 20
	scMaxPathLen     = 512
	scIDPrefix       = "ASCA"
	scChainMalformed = "Unable to validate certificate chain. The certificate chain must start with the immediate signing certificate, followed by any intermediaries in order. The index within the chain of the invalid certificate is: %d"
)

// malformedCertificate is IAM's MalformedCertificate.
func malformedCertificate(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "MalformedCertificate", Message: fmt.Sprintf(format, args...)}
}

// serverCertificates describes server certificates to the entity layer.
var serverCertificates = &entity[directory.ServerCertificate]{
	kind: "server-certificate", record: kindServerCertificate,
	check: checkNameField("serverCertificateName", scMaxNameLen),
	notFound: func(name string) error {
		return noSuchEntity("The Server Certificate with name %s cannot be found.", name)
	},
	alreadyExists: func(name string) error {
		return entityAlreadyExists("The Server Certificate with name %s already exists.", name)
	},
	all: func(a *directory.AccountIAM) map[string]*directory.ServerCertificate { return a.ServerCertificates },
	fields: func(c *directory.ServerCertificate) entityFields {
		return entityFields{ID: c.Name, ARN: c.ARN, Tags: &c.Tags}
	},
	clone: func(cur *directory.ServerCertificate) *directory.ServerCertificate {
		c := *cur
		c.Tags = slices.Clone(cur.Tags)
		return &c
	},
}

// scCheckText validates a PEM request field (CertificateBody, PrivateKey,
// CertificateChain): its length and IAM's character set, tab, line feed,
// carriage return and U+0020–U+00FF.
func scCheckText(value, field string, maxLen int) error {
	switch {
	case len(value) < 1:
		return validationError("1 validation error detected: Value at '%s' failed to satisfy constraint: Member must have length greater than or equal to 1", field)
	case len(value) > maxLen:
		return validationError("1 validation error detected: Value at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", field, maxLen)
	}
	for _, r := range value {
		if r != '\t' && r != '\n' && r != '\r' && (r < 0x20 || r > 0xff) {
			return validationError(`1 validation error detected: Value at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+`, field)
		}
	}
	return nil
}

// scParseCertificates parses PEM text made of CERTIFICATE blocks only
// (and white space); it returns at least one certificate.
func scParseCertificates(text string) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	rest := []byte(text)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("a %s block where a certificate was expected", block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 || strings.TrimSpace(string(rest)) != "" {
		return nil, errors.New("not PEM-encoded certificates")
	}
	return out, nil
}

// parsePrivateKeyPEM parses one unencrypted PEM private key: PKCS #8
// ("PRIVATE KEY"), PKCS #1 ("RSA PRIVATE KEY") or SEC 1 ("EC PRIVATE
// KEY").
func parsePrivateKeyPEM(text string) (crypto.Signer, error) {
	block, rest := pem.Decode([]byte(text))
	if block == nil || strings.TrimSpace(string(rest)) != "" {
		return nil, errors.New("not one PEM block")
	}
	if _, encrypted := block.Headers["DEK-Info"]; encrypted {
		return nil, errors.New("the key is encrypted")
	}
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("a %s block is not a private key", block.Type)
	}
	if err != nil {
		return nil, err
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	}
	return nil, fmt.Errorf("unsupported private key type %T", key)
}

// scCheckUpload validates an upload's certificate, private key and chain
// and returns the certificate's expiration.
func scCheckUpload(body, key, chain string) (time.Time, error) {
	certs, err := scParseCertificates(body)
	if err != nil || len(certs) != 1 {
		return time.Time{}, malformedCertificate("Unable to parse certificate. Please ensure the certificate is in PEM format.")
	}
	cert := certs[0]
	priv, err := parsePrivateKeyPEM(key)
	if err != nil {
		return time.Time{}, malformedCertificate("Unable to parse private key. Please ensure the private key is an unencrypted PEM key (%v).", err)
	}
	pub, ok := priv.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return time.Time{}, &Error{Status: http.StatusBadRequest, Code: "KeyPairMismatch", Message: "The private key does not match the public key of the certificate."}
	}
	if chain != "" {
		issuers, err := scParseCertificates(chain)
		if err != nil {
			return time.Time{}, malformedCertificate("Unable to parse certificate chain. Please ensure the chain is made of PEM certificates.")
		}
		// -1: the certificate itself is not issued by the chain's first
		// certificate; i: chain[i] is not issued by chain[i+1].
		subject := cert
		for i := -1; i < len(issuers)-1; i++ {
			if subject.CheckSignatureFrom(issuers[i+1]) != nil {
				return time.Time{}, malformedCertificate(scChainMalformed, i)
			}
			subject = issuers[i+1]
		}
	}
	return cert.NotAfter.UTC().Truncate(time.Second), nil
}

// sdkServerCertificateMetadata converts a server certificate's metadata
// for a response.
func sdkServerCertificateMetadata(c *directory.ServerCertificate) *types.ServerCertificateMetadata {
	return &types.ServerCertificateMetadata{
		Arn: ptr(c.ARN), Path: ptr(c.Path), ServerCertificateId: ptr(c.ID), ServerCertificateName: ptr(c.Name),
		UploadDate: ptr(c.UploadDate), Expiration: ptr(c.Expiration),
	}
}

// UploadServerCertificate uploads a server certificate with its private
// key and, optionally, its chain.
func (s *Service) UploadServerCertificate(ctx context.Context, caller *directory.Caller, in *sdk.UploadServerCertificateInput) (*sdk.UploadServerCertificateOutput, error) {
	name := deref(in.ServerCertificateName)
	path, err := serverCertificates.checkCreate(name, in.Path)
	if err != nil {
		return nil, err
	}
	body, key := deref(in.CertificateBody), deref(in.PrivateKey)
	if err := scCheckText(body, "certificateBody", scMaxBodyLen); err != nil {
		return nil, err
	}
	if err := scCheckText(key, "privateKey", scMaxKeyLen); err != nil {
		return nil, err
	}
	if in.CertificateChain != nil {
		if err := scCheckText(*in.CertificateChain, "certificateChain", scMaxChainLen); err != nil {
			return nil, err
		}
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	arn := entityARN(caller.AccountID, "server-certificate", path, name)
	c, err := serverCertificates.create(ctx, s, caller, arn, "iam:UploadServerCertificate", tagContext(tags), func(t *txn) (*directory.ServerCertificate, error) {
		expiration, err := scCheckUpload(body, key, deref(in.CertificateChain))
		if err != nil {
			return nil, err
		}
		if err := serverCertificates.checkNew(t.Snap, caller.AccountID, name); err != nil {
			return nil, err
		}
		if len(t.Snap.AccountIAM(caller.AccountID).ServerCertificates) >= scMaxPerAccount {
			return nil, limitExceeded("Cannot exceed quota for ServerCertificatesPerAccount: %d", scMaxPerAccount)
		}
		id, err := creds.NewUniqueID(scIDPrefix)
		if err != nil {
			return nil, err
		}
		sealed, err := s.sealer.Seal([]byte(key), id)
		if err != nil {
			return nil, fmt.Errorf("seal server certificate private key: %w", err)
		}
		return &directory.ServerCertificate{
			Name: name, Path: path, ID: id, ARN: arn, UploadDate: caller.RequestTime.UTC().Truncate(time.Second),
			Expiration: expiration, Body: strings.TrimRight(body, " \t\r\n"), Chain: strings.TrimRight(deref(in.CertificateChain), " \t\r\n"),
			SealedPrivateKey: sealed, Tags: tags,
		}, nil
	})
	if err != nil {
		return nil, err
	}
	out := &sdk.UploadServerCertificateOutput{ServerCertificateMetadata: sdkServerCertificateMetadata(c)}
	if len(tags) > 0 {
		out.Tags = sdkTags(tags)
	}
	return out, nil
}

// GetServerCertificate returns a server certificate with its chain and
// tags; never its private key.
func (s *Service) GetServerCertificate(_ context.Context, caller *directory.Caller, in *sdk.GetServerCertificateInput) (*sdk.GetServerCertificateOutput, error) {
	c, err := serverCertificates.authorized(s.dir.Snapshot(), caller, deref(in.ServerCertificateName), "iam:GetServerCertificate", nil)
	if err != nil {
		return nil, err
	}
	out := &types.ServerCertificate{ServerCertificateMetadata: sdkServerCertificateMetadata(c), CertificateBody: ptr(c.Body), Tags: sdkTags(c.Tags)}
	if c.Chain != "" {
		out.CertificateChain = ptr(c.Chain)
	}
	return &sdk.GetServerCertificateOutput{ServerCertificate: out}, nil
}

// ListServerCertificates lists the account's server certificates whose
// path starts with PathPrefix, by name.
func (s *Service) ListServerCertificates(_ context.Context, caller *directory.Caller, in *sdk.ListServerCertificatesInput) (*sdk.ListServerCertificatesOutput, error) {
	if p := in.PathPrefix; p != nil && (len(*p) < 1 || len(*p) > scMaxPathLen || !strings.HasPrefix(*p, "/") || strings.ContainsFunc(*p, func(r rune) bool { return r < 0x21 || r > 0x7f })) {
		return nil, invalidField(*p, "pathPrefix", `Member must satisfy regular expression pattern: \u002F[\u0021-\u007F]*`)
	}
	snap := s.dir.Snapshot()
	if err := authorize(snap, caller, "iam:ListServerCertificates", "*", nil); err != nil {
		return nil, err
	}
	p, err := listByPath(snap.AccountIAM(caller.AccountID).ServerCertificates, func(c *directory.ServerCertificate) string { return c.Path }, in.PathPrefix, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &sdk.ListServerCertificatesOutput{ServerCertificateMetadataList: []types.ServerCertificateMetadata{}, IsTruncated: p.Truncated, Marker: p.Marker}
	for _, c := range p.Items {
		out.ServerCertificateMetadataList = append(out.ServerCertificateMetadataList, *sdkServerCertificateMetadata(c))
	}
	return out, nil
}

// UpdateServerCertificate renames a server certificate or moves it to
// another path, keeping its ID. The caller must be allowed the action on
// the new ARN too.
func (s *Service) UpdateServerCertificate(ctx context.Context, caller *directory.Caller, in *sdk.UpdateServerCertificateInput) (*sdk.UpdateServerCertificateOutput, error) {
	const action = "iam:UpdateServerCertificate"
	if in.NewServerCertificateName != nil {
		if err := checkName(*in.NewServerCertificateName, "newServerCertificateName", scMaxNameLen); err != nil {
			return nil, err
		}
	}
	if in.NewPath != nil {
		if *in.NewPath == "" {
			return nil, invalidField("", "newPath", "Member must have length greater than or equal to 1")
		}
		if _, err := checkPath(in.NewPath, "newPath"); err != nil {
			return nil, err
		}
	}
	d := serverCertificates
	err := s.update(ctx, func(t *txn) error {
		old, err := d.resolve(t.Snap, caller, deref(in.ServerCertificateName), action, nil, true)
		if err != nil {
			return err
		}
		c := d.clone(old)
		if in.NewServerCertificateName != nil {
			c.Name = *in.NewServerCertificateName
		}
		if in.NewPath != nil {
			c.Path = *in.NewPath
		}
		c.ARN = entityARN(caller.AccountID, "server-certificate", c.Path, c.Name)
		if c.ARN != old.ARN {
			if err := authorize(t.Snap, caller, action, c.ARN, d.requestContext(old, action, nil)); err != nil {
				return err
			}
		}
		if oldKey, newKey := d.key(old.Name), d.key(c.Name); oldKey != newKey {
			if err := d.checkNew(t.Snap, caller.AccountID, c.Name); err != nil {
				return err
			}
			delete(d.all(t.IAM(caller.AccountID)), oldKey)
			t.Del(d.record, caller.AccountID, oldKey)
		}
		return d.store(t, caller.AccountID, c)
	})
	return output(&sdk.UpdateServerCertificateOutput{}, err)
}

// DeleteServerCertificate deletes a server certificate.
func (s *Service) DeleteServerCertificate(ctx context.Context, caller *directory.Caller, in *sdk.DeleteServerCertificateInput) (*sdk.DeleteServerCertificateOutput, error) {
	err := serverCertificates.delete(ctx, s, caller, deref(in.ServerCertificateName), "iam:DeleteServerCertificate")
	return output(&sdk.DeleteServerCertificateOutput{}, err)
}

// TagServerCertificate adds or replaces tags on a server certificate.
func (s *Service) TagServerCertificate(ctx context.Context, caller *directory.Caller, in *sdk.TagServerCertificateInput) (*sdk.TagServerCertificateOutput, error) {
	err := serverCertificates.tag(ctx, s, caller, deref(in.ServerCertificateName), "iam:TagServerCertificate", in.Tags)
	return output(&sdk.TagServerCertificateOutput{}, err)
}

// UntagServerCertificate removes tags from a server certificate.
func (s *Service) UntagServerCertificate(ctx context.Context, caller *directory.Caller, in *sdk.UntagServerCertificateInput) (*sdk.UntagServerCertificateOutput, error) {
	err := serverCertificates.untag(ctx, s, caller, deref(in.ServerCertificateName), "iam:UntagServerCertificate", in.TagKeys)
	return output(&sdk.UntagServerCertificateOutput{}, err)
}

// ListServerCertificateTags lists a server certificate's tags.
func (s *Service) ListServerCertificateTags(_ context.Context, caller *directory.Caller, in *sdk.ListServerCertificateTagsInput) (*sdk.ListServerCertificateTagsOutput, error) {
	p, err := serverCertificates.listTags(s.dir.Snapshot(), caller, deref(in.ServerCertificateName), "iam:ListServerCertificateTags", in.Marker, in.MaxItems)
	return output(&sdk.ListServerCertificateTagsOutput{Tags: p.Items, IsTruncated: p.Truncated, Marker: p.Marker}, err)
}
