package iam

import (
	"context"
	"net"
	"regexp"
	"slices"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/internal/directory"
)

// OpenID Connect providers
//
// An IAM OIDC provider tells IAM which web-identity token issuers an
// account trusts: its Url is the issuer (the tokens' "iss" claim), its
// client ID list the accepted audiences ("aud"), and its ARN,
// arn:aws:iam::ACCT:oidc-provider/<Url without https://>, is what trust
// policies name as Principal.Federated. IAM keeps the URL exactly as given,
// minus the scheme: "https://host" and "https://host/" are two providers,
// and a token matches a provider only when its "iss" is that exact URL.
//
// The scheme is part of that URL even though the ARN drops it. AWS knows
// only https; this server also registers http URLs, for its own issuers
// behind an http public URL and, with --oidc-allow-http, for lab issuers.
// The provider records the scheme it was registered with, and a token's
// "iss" must carry that scheme: an https provider never trusts
// http://host/path, whose keys anyone on the plain-http path could serve,
// and an http provider never trusts https://host/path. Since the ARN names
// host/path alone, one host/path has one provider: registering
// http://host/path when https://host/path exists (or the reverse) fails
// with EntityAlreadyExists; delete the provider and create it again to
// change its scheme. GetOpenIDConnectProvider's Url omits the scheme, as
// AWS's does.
//
// Thumbprints are the hex-encoded SHA-1 hashes of the issuer's TLS
// certificates (the top intermediate CA of the JWKS endpoint's chain). AWS
// once used them to trust the JWKS endpoint; today it verifies that
// endpoint against its own library of trusted root CAs and falls back to the
// thumbprints only when the certificate does not chain to one of them, so
// for well-known issuers the thumbprints no longer matter, and the list may
// be empty. `assumed` stores and returns thumbprints as IAM does but never
// uses them: validating tokens against the issuer's keys is the web-identity
// (AssumeRoleWithWebIdentity) side's work.

// OIDC provider limits, as in IAM.
const (
	oidcMaxURLLen          = 255
	oidcMaxClientIDLen     = 255
	oidcMaxClientIDs       = 100
	oidcThumbprintLen      = 40
	oidcMaxThumbprints     = 5
	oidcMinARNLen          = 20
	oidcMaxARNLen          = 2048
	oidcMaxPerAccount      = 100
	oidcTagLimitMessage    = "The number of tags has reached the maximum limit."
	oidcInvalidURL         = "Invalid Open ID Connect Provider URL"
	oidcInvalidURLDetailed = "Invalid Open ID Connect Provider URL."
)

// oidcHostLabel is one DNS label of a provider URL's host.
var oidcHostLabel = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

// oidcValidation collects the framework-level constraint violations of one
// request, which IAM reports together: "2 validation errors detected: A; B".
type oidcValidation []string

func (v *oidcValidation) add(field, constraint string) {
	*v = append(*v, "Value at '"+field+"' failed to satisfy constraint: "+constraint)
}

func (v oidcValidation) err() error {
	switch len(v) {
	case 0:
		return nil
	case 1:
		return validationError("1 validation error detected: %s", v[0])
	}
	return validationError("%d validation errors detected: %s", len(v), strings.Join(v, "; "))
}

// checkClientIDs checks each client ID's length.
func (v *oidcValidation) checkClientIDs(field string, ids []string) {
	for _, id := range ids {
		if len(id) < 1 || len(id) > oidcMaxClientIDLen {
			v.add(field, "Member must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 1]")
			return
		}
	}
}

// checkThumbprints checks each thumbprint's length. IAM's model gives a
// thumbprint no pattern, only its length, and IAM accepts any 40
// characters.
func (v *oidcValidation) checkThumbprints(tps []string) {
	for _, tp := range tps {
		if len(tp) != oidcThumbprintLen {
			v.add("thumbprintList", "Member must satisfy constraint: [Member must have length less than or equal to 40, Member must have length greater than or equal to 40]")
			return
		}
	}
}

// checkARN checks the length of an OpenIDConnectProviderArn parameter.
func (v *oidcValidation) checkARN(a string) {
	switch {
	case len(a) < oidcMinARNLen:
		v.add("openIDConnectProviderArn", "Member must have length greater than or equal to 20")
	case len(a) > oidcMaxARNLen:
		v.add("openIDConnectProviderArn", "Member must have length less than or equal to 2048")
	}
}

// oidcProviderURL validates a CreateOpenIDConnectProvider Url (its length
// already checked) and returns it without its "https://": the provider's
// identity as the ARN and GetOpenIDConnectProvider show it. The URL must be
// https with a host, an optional path, and no port, user info, query or
// fragment.
func oidcProviderURL(raw string) (string, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	switch {
	case !ok || scheme == "":
		return "", validationError(oidcInvalidURL)
	case scheme != "https":
		return "", invalidInput("Invalid Open ID Connect Provider URL. The URL must begin with https://.")
	case rest == "":
		return "", validationError(oidcInvalidURL)
	}
	if strings.ContainsAny(rest, "?#@\\") || strings.ContainsFunc(rest, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
		return "", invalidInput(oidcInvalidURLDetailed)
	}
	host, _, _ := strings.Cut(rest, "/")
	if host == "" {
		return "", validationError(oidcInvalidURL)
	}
	if !oidcValidHost(host) {
		return "", invalidInput(oidcInvalidURLDetailed)
	}
	return rest, nil
}

// oidcValidHost accepts a DNS name or an IPv4 address, without a port.
func oidcValidHost(host string) bool {
	if ip := net.ParseIP(host); ip != nil {
		return ip.To4() != nil
	}
	if len(host) > 253 {
		return false
	}
	for label := range strings.SplitSeq(host, ".") {
		if !oidcHostLabel.MatchString(label) {
			return false
		}
	}
	return true
}

// oidcProviderARN returns the ARN of a provider URL (without scheme).
func oidcProviderARN(account, url string) string {
	return "arn:aws:iam::" + account + ":oidc-provider/" + url
}

// oidcDedupe returns ids without repeats, in first-seen order.
func oidcDedupe(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// oidcThumbprints returns thumbprints as IAM stores them: lower-cased.
func oidcThumbprints(tps []string) []string {
	out := make([]string, 0, len(tps))
	for _, tp := range tps {
		out = append(out, strings.ToLower(tp))
	}
	return out
}

// oidcProviders describes OIDC providers to the entity layer.
var oidcProviders = &entity[directory.OIDCProvider]{
	kind: "oidc-provider", record: kindOIDCProvider, byARN: true,
	check: func(providerARN string) error {
		var v oidcValidation
		v.checkARN(providerARN)
		return v.err()
	},
	notFound: func(providerARN string) error {
		return noSuchEntity("OpenIDConnect Provider not found for arn %s", providerARN)
	},
	all: func(a *directory.AccountIAM) map[string]*directory.OIDCProvider { return a.OIDCProviders },
	fields: func(p *directory.OIDCProvider) entityFields {
		return entityFields{ID: p.ARN, ARN: p.ARN, Tags: &p.Tags}
	},
	clone: func(cur *directory.OIDCProvider) *directory.OIDCProvider {
		p := *cur
		p.ClientIDs = slices.Clone(cur.ClientIDs)
		p.Thumbprints = slices.Clone(cur.Thumbprints)
		p.Tags = slices.Clone(cur.Tags)
		return &p
	},
	tagLimit: oidcTagLimitMessage,
}

// CreateOpenIDConnectProvider registers an OIDC identity provider. Without
// a ThumbprintList AWS fetches the issuer's certificate thumbprint; this
// server makes no outbound connections and stores an empty list.
func (s *Service) CreateOpenIDConnectProvider(ctx context.Context, caller *directory.Caller, in *sdk.CreateOpenIDConnectProviderInput) (*sdk.CreateOpenIDConnectProviderOutput, error) {
	raw := deref(in.Url)
	var v oidcValidation
	v.checkClientIDs("clientIDList", in.ClientIDList)
	v.checkThumbprints(in.ThumbprintList)
	switch {
	case len(raw) < 1:
		v.add("url", "Member must have length greater than or equal to 1")
	case len(raw) > oidcMaxURLLen:
		v.add("url", "Member must have length less than or equal to 255")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	// scheme stays empty for https, AWS's only scheme.
	scheme := ""
	url, err := oidcProviderURL(raw)
	if err != nil {
		// Issuers AWS could never reach but this server can: its own
		// clusters' issuers, and plain-http issuers in a lab that allows
		// them.
		allow := s.allowProviderURL.Load()
		sch, rest, _ := strings.Cut(raw, "://")
		if allow == nil || !(*allow)(raw) || rest == "" {
			return nil, err
		}
		url = rest
		if sch = strings.ToLower(sch); sch != "https" {
			scheme = sch
		}
	}
	if len(in.ThumbprintList) > oidcMaxThumbprints {
		return nil, invalidInput("Thumbprint list must contain fewer than 5 entries.")
	}
	clientIDs := oidcDedupe(in.ClientIDList)
	if len(clientIDs) > oidcMaxClientIDs {
		return nil, limitExceeded("Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: %d", oidcMaxClientIDs)
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	providerARN := oidcProviderARN(caller.AccountID, url)
	_, err = oidcProviders.create(ctx, s, caller, providerARN, "iam:CreateOpenIDConnectProvider", tagContext(tags), func(t *txn) (*directory.OIDCProvider, error) {
		acct := t.Snap.AccountIAM(caller.AccountID)
		if cur, exists := acct.OIDCProviders[providerARN]; exists {
			// The ARN has no scheme, so a host/path has one provider: in
			// a lab, http://host/path and https://host/path are the same
			// provider, and the message names the one registered.
			return nil, entityAlreadyExists("Provider with url %s already exists.", cur.Issuer())
		}
		if len(acct.OIDCProviders) >= oidcMaxPerAccount {
			return nil, limitExceeded("Cannot exceed quota for OpenIdConnectProvidersPerAccount: %d", oidcMaxPerAccount)
		}
		return &directory.OIDCProvider{
			ARN: providerARN, URL: url, Scheme: scheme, ClientIDs: clientIDs, Thumbprints: oidcThumbprints(in.ThumbprintList),
			CreateDate: caller.RequestTime.UTC().Truncate(1e9), Tags: tags,
		}, nil
	})
	if err != nil {
		return nil, err
	}
	out := &sdk.CreateOpenIDConnectProviderOutput{OpenIDConnectProviderArn: ptr(providerARN)}
	if len(tags) > 0 {
		out.Tags = sdkTags(tags)
	}
	return out, nil
}

// GetOpenIDConnectProvider returns a provider; its Url comes without the
// scheme, as IAM answers.
func (s *Service) GetOpenIDConnectProvider(_ context.Context, caller *directory.Caller, in *sdk.GetOpenIDConnectProviderInput) (*sdk.GetOpenIDConnectProviderOutput, error) {
	p, err := oidcProviders.authorized(s.dir.Snapshot(), caller, deref(in.OpenIDConnectProviderArn), "iam:GetOpenIDConnectProvider", nil)
	if err != nil {
		return nil, err
	}
	return &sdk.GetOpenIDConnectProviderOutput{
		Url: ptr(p.URL), ClientIDList: append([]string{}, p.ClientIDs...), ThumbprintList: append([]string{}, p.Thumbprints...),
		CreateDate: ptr(p.CreateDate), Tags: sdkTags(p.Tags),
	}, nil
}

// ListOpenIDConnectProviders lists the account's providers by ARN. IAM
// does not paginate this listing.
func (s *Service) ListOpenIDConnectProviders(_ context.Context, caller *directory.Caller, _ *sdk.ListOpenIDConnectProvidersInput) (*sdk.ListOpenIDConnectProvidersOutput, error) {
	snap := s.dir.Snapshot()
	if err := authorize(snap, caller, "iam:ListOpenIDConnectProviders", "*", nil); err != nil {
		return nil, err
	}
	providers := snap.AccountIAM(caller.AccountID).OIDCProviders
	arns := make([]string, 0, len(providers))
	for a := range providers {
		arns = append(arns, a)
	}
	slices.Sort(arns)
	out := &sdk.ListOpenIDConnectProvidersOutput{OpenIDConnectProviderList: make([]types.OpenIDConnectProviderListEntry, 0, len(arns))}
	for _, a := range arns {
		out.OpenIDConnectProviderList = append(out.OpenIDConnectProviderList, types.OpenIDConnectProviderListEntry{Arn: ptr(a)})
	}
	return out, nil
}

// DeleteOpenIDConnectProvider deletes a provider. Roles that trust it are
// left as they are; assuming them with its tokens fails from then on. IAM's
// documentation calls the operation idempotent, but IAM answers
// NoSuchEntity for a provider that does not exist, and so does this, in
// the words it uses when deleting.
func (s *Service) DeleteOpenIDConnectProvider(ctx context.Context, caller *directory.Caller, in *sdk.DeleteOpenIDConnectProviderInput) (*sdk.DeleteOpenIDConnectProviderOutput, error) {
	providers := *oidcProviders
	providers.notFound = func(providerARN string) error {
		return noSuchEntity("OpenId connect Provider %s cannot be found.", providerARN)
	}
	err := providers.delete(ctx, s, caller, deref(in.OpenIDConnectProviderArn), "iam:DeleteOpenIDConnectProvider")
	return output(&sdk.DeleteOpenIDConnectProviderOutput{}, err)
}

// oidcCheckClientIDRequest validates the parameters of a request that
// adds or removes a client ID, reporting both fields' violations together
// as IAM does.
func oidcCheckClientIDRequest(providerARN, id string) error {
	var v oidcValidation
	switch {
	case len(id) < 1:
		v.add("clientID", "Member must have length greater than or equal to 1")
	case len(id) > oidcMaxClientIDLen:
		v.add("clientID", "Member must have length less than or equal to 255")
	}
	v.checkARN(providerARN)
	return v.err()
}

// AddClientIDToOpenIDConnectProvider adds an audience; adding one the
// provider already has changes nothing.
func (s *Service) AddClientIDToOpenIDConnectProvider(ctx context.Context, caller *directory.Caller, in *sdk.AddClientIDToOpenIDConnectProviderInput) (*sdk.AddClientIDToOpenIDConnectProviderOutput, error) {
	id := deref(in.ClientID)
	if err := oidcCheckClientIDRequest(deref(in.OpenIDConnectProviderArn), id); err != nil {
		return nil, err
	}
	_, err := oidcProviders.modify(ctx, s, caller, deref(in.OpenIDConnectProviderArn), "iam:AddClientIDToOpenIDConnectProvider", nil, func(_ *txn, p *directory.OIDCProvider) error {
		if slices.Contains(p.ClientIDs, id) {
			return nil
		}
		if len(p.ClientIDs) >= oidcMaxClientIDs {
			return limitExceeded("Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: %d", oidcMaxClientIDs)
		}
		p.ClientIDs = append(p.ClientIDs, id)
		return nil
	})
	return output(&sdk.AddClientIDToOpenIDConnectProviderOutput{}, err)
}

// RemoveClientIDFromOpenIDConnectProvider removes an audience; removing
// one the provider does not have is not an error.
func (s *Service) RemoveClientIDFromOpenIDConnectProvider(ctx context.Context, caller *directory.Caller, in *sdk.RemoveClientIDFromOpenIDConnectProviderInput) (*sdk.RemoveClientIDFromOpenIDConnectProviderOutput, error) {
	id := deref(in.ClientID)
	if err := oidcCheckClientIDRequest(deref(in.OpenIDConnectProviderArn), id); err != nil {
		return nil, err
	}
	_, err := oidcProviders.modify(ctx, s, caller, deref(in.OpenIDConnectProviderArn), "iam:RemoveClientIDFromOpenIDConnectProvider", nil, func(_ *txn, p *directory.OIDCProvider) error {
		p.ClientIDs = slices.DeleteFunc(p.ClientIDs, func(c string) bool { return c == id })
		return nil
	})
	return output(&sdk.RemoveClientIDFromOpenIDConnectProviderOutput{}, err)
}

// UpdateOpenIDConnectProviderThumbprint replaces a provider's thumbprints.
func (s *Service) UpdateOpenIDConnectProviderThumbprint(ctx context.Context, caller *directory.Caller, in *sdk.UpdateOpenIDConnectProviderThumbprintInput) (*sdk.UpdateOpenIDConnectProviderThumbprintOutput, error) {
	var v oidcValidation
	v.checkARN(deref(in.OpenIDConnectProviderArn))
	v.checkThumbprints(in.ThumbprintList)
	if err := v.err(); err != nil {
		return nil, err
	}
	if len(in.ThumbprintList) > oidcMaxThumbprints {
		return nil, invalidInput("Thumbprint list must contain fewer than 5 entries.")
	}
	_, err := oidcProviders.modify(ctx, s, caller, deref(in.OpenIDConnectProviderArn), "iam:UpdateOpenIDConnectProviderThumbprint", nil, func(_ *txn, p *directory.OIDCProvider) error {
		p.Thumbprints = oidcThumbprints(in.ThumbprintList)
		return nil
	})
	return output(&sdk.UpdateOpenIDConnectProviderThumbprintOutput{}, err)
}

// TagOpenIDConnectProvider adds or replaces tags on a provider.
func (s *Service) TagOpenIDConnectProvider(ctx context.Context, caller *directory.Caller, in *sdk.TagOpenIDConnectProviderInput) (*sdk.TagOpenIDConnectProviderOutput, error) {
	err := oidcProviders.tag(ctx, s, caller, deref(in.OpenIDConnectProviderArn), "iam:TagOpenIDConnectProvider", in.Tags)
	return output(&sdk.TagOpenIDConnectProviderOutput{}, err)
}

// UntagOpenIDConnectProvider removes tags from a provider.
func (s *Service) UntagOpenIDConnectProvider(ctx context.Context, caller *directory.Caller, in *sdk.UntagOpenIDConnectProviderInput) (*sdk.UntagOpenIDConnectProviderOutput, error) {
	err := oidcProviders.untag(ctx, s, caller, deref(in.OpenIDConnectProviderArn), "iam:UntagOpenIDConnectProvider", in.TagKeys)
	return output(&sdk.UntagOpenIDConnectProviderOutput{}, err)
}

// ListOpenIDConnectProviderTags lists a provider's tags.
func (s *Service) ListOpenIDConnectProviderTags(_ context.Context, caller *directory.Caller, in *sdk.ListOpenIDConnectProviderTagsInput) (*sdk.ListOpenIDConnectProviderTagsOutput, error) {
	p, err := oidcProviders.listTags(s.dir.Snapshot(), caller, deref(in.OpenIDConnectProviderArn), "iam:ListOpenIDConnectProviderTags", in.Marker, in.MaxItems)
	return output(&sdk.ListOpenIDConnectProviderTagsOutput{Tags: p.Items, IsTruncated: p.Truncated, Marker: p.Marker}, err)
}
