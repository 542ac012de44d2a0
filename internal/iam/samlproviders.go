package iam

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/internal/directory"
)

// SAML providers
//
// An IAM SAML provider describes a SAML 2.0 identity provider (IdP) the
// account trusts: the IdP's metadata document (its entity ID, signing
// certificates and endpoints), which trust policies name by the
// provider's ARN, arn:aws:iam::ACCT:saml-provider/NAME, as
// Principal.Federated. IAM checks that the document is SAML metadata for
// an IdP, an md:EntityDescriptor with an md:IDPSSODescriptor, and takes
// the provider's ValidUntil from its validUntil attribute (one hundred
// years from the upload when the document has none). The document is kept
// and returned as uploaded.
//
// A provider may also hold up to two private keys that decrypt the IdP's
// encrypted assertions (AddPrivateKey, RemovePrivateKey), and say whether
// assertions must be encrypted (AssertionEncryptionMode Required) or may
// be (Allowed). The keys are sealed at rest and never returned: only
// their IDs and upload times are.

// SAML provider limits, as in IAM.
const (
	samlMinMetadataLen = 1000
	samlMaxMetadataLen = 10000000
	samlMaxNameLen     = 128
	samlMinARNLen      = 20
	samlMaxARNLen      = 2048
	samlMaxPrivateKeys = 2
	samlMaxKeyLen      = 16384
	samlMaxPerAccount  = 100
	// samlMetadataNS is the namespace of SAML 2.0 metadata.
	samlMetadataNS = "urn:oasis:names:tc:SAML:2.0:metadata"
	// samlBadMetadata is IAM's answer for a document that is not SAML
	// metadata of an IdP.
	samlBadMetadata = "Could not parse metadata"
)

// samlNamePattern is IAM's pattern for a SAML provider name.
var samlNamePattern = regexp.MustCompile(`^[\w._-]+$`)

// samlKeyIDPattern is IAM's pattern for a private key ID.
var samlKeyIDPattern = regexp.MustCompile(`^[A-Z0-9]{22,64}$`)

// samlProviderARN returns the ARN of a SAML provider.
func samlProviderARN(account, name string) string {
	return "arn:aws:iam::" + account + ":saml-provider/" + name
}

// samlProviders describes SAML providers to the entity layer.
var samlProviders = &entity[directory.SAMLProvider]{
	kind: "saml-provider", record: kindSAMLProvider, byARN: true,
	check: func(providerARN string) error {
		switch {
		case len(providerARN) < samlMinARNLen:
			return invalidField(providerARN, "sAMLProviderArn", "Member must have length greater than or equal to 20")
		case len(providerARN) > samlMaxARNLen:
			return invalidField(providerARN, "sAMLProviderArn", "Member must have length less than or equal to 2048")
		}
		return nil
	},
	notFound: func(providerARN string) error {
		return noSuchEntity("Manifest not found for arn %s", providerARN)
	},
	all: func(a *directory.AccountIAM) map[string]*directory.SAMLProvider { return a.SAMLProviders },
	fields: func(p *directory.SAMLProvider) entityFields {
		return entityFields{ID: p.ARN, ARN: p.ARN, Tags: &p.Tags}
	},
	clone: func(cur *directory.SAMLProvider) *directory.SAMLProvider {
		p := *cur
		p.PrivateKeys = slices.Clone(cur.PrivateKeys)
		p.Tags = slices.Clone(cur.Tags)
		return &p
	},
}

// samlEntityDescriptor is the part of SAML metadata IAM reads.
type samlEntityDescriptor struct {
	XMLName    xml.Name
	EntityID   string `xml:"entityID,attr"`
	ValidUntil string `xml:"validUntil,attr"`
	IDPs       []struct {
		ValidUntil string `xml:"validUntil,attr"`
	} `xml:"urn:oasis:names:tc:SAML:2.0:metadata IDPSSODescriptor"`
}

// samlCheckMetadata validates a SAMLMetadataDocument: its length, then
// that it is one md:EntityDescriptor with an entityID and an
// md:IDPSSODescriptor. It returns the provider's ValidUntil: the
// descriptor's validUntil, else its IdP descriptor's, else one hundred
// years after now.
func samlCheckMetadata(doc string, now time.Time) (time.Time, error) {
	switch {
	case len(doc) < samlMinMetadataLen:
		return time.Time{}, validationError("1 validation error detected: Value at 'sAMLMetadataDocument' failed to satisfy constraint: Member must have length greater than or equal to %d", samlMinMetadataLen)
	case len(doc) > samlMaxMetadataLen:
		return time.Time{}, validationError("1 validation error detected: Value at 'sAMLMetadataDocument' failed to satisfy constraint: Member must have length less than or equal to %d", samlMaxMetadataLen)
	}
	dec := xml.NewDecoder(strings.NewReader(doc))
	var md samlEntityDescriptor
	if err := dec.Decode(&md); err != nil {
		return time.Time{}, invalidInput(samlBadMetadata)
	}
	if md.XMLName.Space != samlMetadataNS || md.XMLName.Local != "EntityDescriptor" || strings.TrimSpace(md.EntityID) == "" || len(md.IDPs) == 0 {
		return time.Time{}, invalidInput(samlBadMetadata)
	}
	// After the descriptor, only comments, processing instructions and
	// white space.
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return time.Time{}, invalidInput(samlBadMetadata)
		}
		switch tok := tok.(type) {
		case xml.Comment, xml.ProcInst:
		case xml.CharData:
			if strings.TrimSpace(string(tok)) != "" {
				return time.Time{}, invalidInput(samlBadMetadata)
			}
		default:
			return time.Time{}, invalidInput(samlBadMetadata)
		}
	}
	validUntil := md.ValidUntil
	if validUntil == "" {
		validUntil = md.IDPs[0].ValidUntil
	}
	if validUntil == "" {
		return now.UTC().Truncate(time.Second).AddDate(100, 0, 0), nil
	}
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(validUntil))
	if err != nil {
		return time.Time{}, invalidInput(samlBadMetadata)
	}
	return t.UTC().Truncate(time.Second), nil
}

// samlNewID returns a random identifier of 26 characters of [A-Z2-7], the
// shape IAM's pattern [A-Z0-9]{22,64} admits (SAMLProviderUUID, KeyId).
func samlNewID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("new SAML provider ID: %w", err)
	}
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b), nil
}

// samlCheckKeyRequest validates the private key fields of a request:
// AddPrivateKey's length, RemovePrivateKey's shape and
// AssertionEncryptionMode's value.
func samlCheckKeyRequest(add, remove *string, mode types.AssertionEncryptionModeType) error {
	if add != nil && (len(*add) < 1 || len(*add) > samlMaxKeyLen) {
		return validationError("1 validation error detected: Value at 'addPrivateKey' failed to satisfy constraint: Member must have length less than or equal to %d", samlMaxKeyLen)
	}
	if remove != nil && !samlKeyIDPattern.MatchString(*remove) {
		return invalidField(*remove, "removePrivateKey", "Member must satisfy regular expression pattern: [A-Z0-9]+ and have length between 22 and 64")
	}
	if mode != "" && !slices.Contains(mode.Values(), mode) {
		return invalidField(string(mode), "assertionEncryptionMode", "Member must satisfy enum value set: [Required, Allowed]")
	}
	return nil
}

// samlApplyKeys applies a request's private key changes to p: removes the
// key RemovePrivateKey names, adds AddPrivateKey's (sealed), sets the
// encryption mode; Required needs a key.
func (s *Service) samlApplyKeys(p *directory.SAMLProvider, add, remove *string, mode types.AssertionEncryptionModeType, now time.Time) error {
	if remove != nil {
		i := slices.IndexFunc(p.PrivateKeys, func(k directory.SAMLPrivateKey) bool { return k.KeyID == *remove })
		if i < 0 {
			return invalidInput("The private key %s is not a key of SAML provider %s.", *remove, p.Name)
		}
		p.PrivateKeys = slices.Delete(p.PrivateKeys, i, i+1)
	}
	if add != nil {
		if _, err := parsePrivateKeyPEM(*add); err != nil {
			return invalidInput("The private key is not valid: it must be an unencrypted PEM private key (%v).", err)
		}
		if len(p.PrivateKeys) >= samlMaxPrivateKeys {
			return limitExceeded("Cannot exceed quota for PrivateKeysPerSAMLProvider: %d", samlMaxPrivateKeys)
		}
		id, err := samlNewID()
		if err != nil {
			return err
		}
		sealed, err := s.sealer.Seal([]byte(*add), id)
		if err != nil {
			return fmt.Errorf("seal SAML provider private key: %w", err)
		}
		p.PrivateKeys = append(p.PrivateKeys, directory.SAMLPrivateKey{KeyID: id, Timestamp: now, Sealed: sealed})
	}
	if mode != "" {
		p.AssertionEncryptionMode = string(mode)
	}
	if p.AssertionEncryptionMode == string(types.AssertionEncryptionModeTypeRequired) && len(p.PrivateKeys) == 0 {
		return invalidInput("AssertionEncryptionMode Required needs a private key: add one with AddPrivateKey.")
	}
	return nil
}

// CreateSAMLProvider registers a SAML 2.0 identity provider from its
// metadata document.
func (s *Service) CreateSAMLProvider(ctx context.Context, caller *directory.Caller, in *sdk.CreateSAMLProviderInput) (*sdk.CreateSAMLProviderOutput, error) {
	name := deref(in.Name)
	switch {
	case len(name) < 1 || len(name) > samlMaxNameLen:
		return nil, invalidField(name, "name", "Member must have length less than or equal to 128")
	case !samlNamePattern.MatchString(name):
		return nil, invalidField(name, "name", `Member must satisfy regular expression pattern: [\w._-]+`)
	}
	now := caller.RequestTime.UTC().Truncate(time.Second)
	validUntil, err := samlCheckMetadata(deref(in.SAMLMetadataDocument), now)
	if err != nil {
		return nil, err
	}
	if err := samlCheckKeyRequest(in.AddPrivateKey, nil, in.AssertionEncryptionMode); err != nil {
		return nil, err
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	providerARN := samlProviderARN(caller.AccountID, name)
	_, err = samlProviders.create(ctx, s, caller, providerARN, "iam:CreateSAMLProvider", tagContext(tags), func(t *txn) (*directory.SAMLProvider, error) {
		acct := t.Snap.AccountIAM(caller.AccountID)
		if _, exists := acct.SAMLProviders[providerARN]; exists {
			return nil, entityAlreadyExists("SAML provider %s already exists.", providerARN)
		}
		if len(acct.SAMLProviders) >= samlMaxPerAccount {
			return nil, limitExceeded("Cannot exceed quota for SAMLProvidersPerAccount: %d", samlMaxPerAccount)
		}
		id, err := samlNewID()
		if err != nil {
			return nil, err
		}
		p := &directory.SAMLProvider{
			ARN: providerARN, Name: name, UUID: id, Metadata: deref(in.SAMLMetadataDocument),
			CreateDate: now, ValidUntil: validUntil, Tags: tags,
		}
		if err := s.samlApplyKeys(p, in.AddPrivateKey, nil, in.AssertionEncryptionMode, now); err != nil {
			return nil, err
		}
		return p, nil
	})
	if err != nil {
		return nil, err
	}
	out := &sdk.CreateSAMLProviderOutput{SAMLProviderArn: ptr(providerARN)}
	if len(tags) > 0 {
		out.Tags = sdkTags(tags)
	}
	return out, nil
}

// GetSAMLProvider returns a provider's metadata document, dates, tags and
// the IDs of its private keys.
func (s *Service) GetSAMLProvider(_ context.Context, caller *directory.Caller, in *sdk.GetSAMLProviderInput) (*sdk.GetSAMLProviderOutput, error) {
	p, err := samlProviders.authorized(s.dir.Snapshot(), caller, deref(in.SAMLProviderArn), "iam:GetSAMLProvider", nil)
	if err != nil {
		return nil, err
	}
	out := &sdk.GetSAMLProviderOutput{
		SAMLMetadataDocument: ptr(p.Metadata), CreateDate: ptr(p.CreateDate), ValidUntil: ptr(p.ValidUntil),
		SAMLProviderUUID: ptr(p.UUID), AssertionEncryptionMode: types.AssertionEncryptionModeType(p.AssertionEncryptionMode),
		Tags: sdkTags(p.Tags),
	}
	for _, k := range p.PrivateKeys {
		out.PrivateKeyList = append(out.PrivateKeyList, types.SAMLPrivateKey{KeyId: ptr(k.KeyID), Timestamp: ptr(k.Timestamp)})
	}
	return out, nil
}

// UpdateSAMLProvider replaces a provider's metadata document (and its
// ValidUntil), adds or removes a private key and sets the assertion
// encryption mode.
func (s *Service) UpdateSAMLProvider(ctx context.Context, caller *directory.Caller, in *sdk.UpdateSAMLProviderInput) (*sdk.UpdateSAMLProviderOutput, error) {
	now := caller.RequestTime.UTC().Truncate(time.Second)
	var validUntil time.Time
	if in.SAMLMetadataDocument != nil {
		var err error
		if validUntil, err = samlCheckMetadata(*in.SAMLMetadataDocument, now); err != nil {
			return nil, err
		}
	}
	if err := samlCheckKeyRequest(in.AddPrivateKey, in.RemovePrivateKey, in.AssertionEncryptionMode); err != nil {
		return nil, err
	}
	p, err := samlProviders.modify(ctx, s, caller, deref(in.SAMLProviderArn), "iam:UpdateSAMLProvider", nil, func(_ *txn, p *directory.SAMLProvider) error {
		if in.SAMLMetadataDocument != nil {
			p.Metadata, p.ValidUntil = *in.SAMLMetadataDocument, validUntil
		}
		return s.samlApplyKeys(p, in.AddPrivateKey, in.RemovePrivateKey, in.AssertionEncryptionMode, now)
	})
	if err != nil {
		return nil, err
	}
	return &sdk.UpdateSAMLProviderOutput{SAMLProviderArn: ptr(p.ARN)}, nil
}

// DeleteSAMLProvider deletes a provider. Roles that trust it are left as
// they are.
func (s *Service) DeleteSAMLProvider(ctx context.Context, caller *directory.Caller, in *sdk.DeleteSAMLProviderInput) (*sdk.DeleteSAMLProviderOutput, error) {
	err := samlProviders.delete(ctx, s, caller, deref(in.SAMLProviderArn), "iam:DeleteSAMLProvider")
	return output(&sdk.DeleteSAMLProviderOutput{}, err)
}

// ListSAMLProviders lists the account's providers by ARN. IAM does not
// paginate this listing.
func (s *Service) ListSAMLProviders(_ context.Context, caller *directory.Caller, _ *sdk.ListSAMLProvidersInput) (*sdk.ListSAMLProvidersOutput, error) {
	snap := s.dir.Snapshot()
	if err := authorize(snap, caller, "iam:ListSAMLProviders", "*", nil); err != nil {
		return nil, err
	}
	providers := snap.AccountIAM(caller.AccountID).SAMLProviders
	arns := make([]string, 0, len(providers))
	for a := range providers {
		arns = append(arns, a)
	}
	slices.Sort(arns)
	out := &sdk.ListSAMLProvidersOutput{SAMLProviderList: make([]types.SAMLProviderListEntry, 0, len(arns))}
	for _, a := range arns {
		p := providers[a]
		out.SAMLProviderList = append(out.SAMLProviderList, types.SAMLProviderListEntry{Arn: ptr(a), CreateDate: ptr(p.CreateDate), ValidUntil: ptr(p.ValidUntil)})
	}
	return out, nil
}

// TagSAMLProvider adds or replaces tags on a provider.
func (s *Service) TagSAMLProvider(ctx context.Context, caller *directory.Caller, in *sdk.TagSAMLProviderInput) (*sdk.TagSAMLProviderOutput, error) {
	err := samlProviders.tag(ctx, s, caller, deref(in.SAMLProviderArn), "iam:TagSAMLProvider", in.Tags)
	return output(&sdk.TagSAMLProviderOutput{}, err)
}

// UntagSAMLProvider removes tags from a provider.
func (s *Service) UntagSAMLProvider(ctx context.Context, caller *directory.Caller, in *sdk.UntagSAMLProviderInput) (*sdk.UntagSAMLProviderOutput, error) {
	err := samlProviders.untag(ctx, s, caller, deref(in.SAMLProviderArn), "iam:UntagSAMLProvider", in.TagKeys)
	return output(&sdk.UntagSAMLProviderOutput{}, err)
}

// ListSAMLProviderTags lists a provider's tags.
func (s *Service) ListSAMLProviderTags(_ context.Context, caller *directory.Caller, in *sdk.ListSAMLProviderTagsInput) (*sdk.ListSAMLProviderTagsOutput, error) {
	p, err := samlProviders.listTags(s.dir.Snapshot(), caller, deref(in.SAMLProviderArn), "iam:ListSAMLProviderTags", in.Marker, in.MaxItems)
	return output(&sdk.ListSAMLProviderTagsOutput{Tags: p.Items, IsTruncated: p.Truncated, Marker: p.Marker}, err)
}
