package sts

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/assumed-dev/assumed/arn"
	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/oidc"
	"github.com/assumed-dev/assumed/policy"
)

// WebIdentityVerifier verifies a web-identity token's signature (against
// its issuer's keys) and its validity period.
type WebIdentityVerifier interface {
	Verify(ctx context.Context, tok *oidc.Token, now time.Time) error
}

// SetWebIdentityVerifier sets how web-identity tokens are verified;
// without one, AssumeRoleWithWebIdentity refuses every token.
func (s *Service) SetWebIdentityVerifier(v WebIdentityVerifier) { s.webIdentity.Store(&v) }

// Claims of a web-identity token that AWS reads besides the standard ones.
const (
	claimSessionTags    = "https://aws.amazon.com/tags"
	claimSourceIdentity = "https://aws.amazon.com/source_identity"
)

func invalidIdentityToken(msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "InvalidIdentityToken", Message: msg}
}

// AssumeRoleWithWebIdentity returns temporary credentials for a role to
// the holder of a web-identity token (an OIDC ID token, such as a
// Kubernetes service-account token). The call is unsigned: the token is
// the credential. The token's issuer must be an OIDC provider registered
// in the role's account, its audience one of the provider's client IDs,
// its signature valid under the issuer's keys and its validity period
// current; then the role's trust policy alone decides, with the token's
// claims as condition keys.
func (s *Service) AssumeRoleWithWebIdentity(ctx context.Context, caller *directory.Caller, in *sdk.AssumeRoleWithWebIdentityInput) (*sdk.AssumeRoleWithWebIdentityOutput, error) {
	roleARN, name, raw := aws.ToString(in.RoleArn), aws.ToString(in.RoleSessionName), aws.ToString(in.WebIdentityToken)
	if err := checkLength(roleARN, "roleArn", 20, 2048); err != nil {
		return nil, err
	}
	if err := checkName(name, "roleSessionName"); err != nil {
		return nil, err
	}
	if err := checkLength(raw, "webIdentityToken", 4, 20000); err != nil {
		return nil, err
	}
	if in.ProviderId != nil {
		if err := checkLength(*in.ProviderId, "providerId", 4, 2048); err != nil {
			return nil, err
		}
		if *in.ProviderId != "www.amazon.com" && *in.ProviderId != "graph.facebook.com" {
			return nil, validation("ProviderId is only for OAuth 2.0 access tokens of www.amazon.com or graph.facebook.com; omit it for OpenID Connect ID tokens")
		}
		return nil, invalidIdentityToken("OAuth 2.0 access tokens (ProviderId " + *in.ProviderId + ") are not supported by assumed: present an OpenID Connect ID token without ProviderId")
	}
	sessionPolicy, err := checkSessionPolicies(in.Policy, in.PolicyArns)
	if err != nil {
		return nil, err
	}
	duration, err := checkDuration(in.DurationSeconds)
	if err != nil {
		return nil, err
	}
	a, err := parseRoleARN(roleARN)
	if err != nil {
		return nil, err
	}

	// The token: well formed, from a provider of the role's account, for
	// one of its audiences, signed by its issuer and current.
	// A token file written by a shell ends with a newline.
	tok, err := oidc.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, webIdentityError(err)
	}
	snap := s.dir.Snapshot()
	provider, err := providerFor(snap.AccountIAM(a.AccountID), tok.Issuer)
	if err != nil {
		return nil, err
	}
	audience := ""
	for _, aud := range tok.Audience {
		if slices.Contains(provider.ClientIDs, aud) {
			audience = aud
			break
		}
	}
	if audience == "" {
		return nil, invalidIdentityToken("Incorrect token audience")
	}
	v := s.webIdentity.Load()
	if v == nil || *v == nil {
		return nil, &Error{Status: http.StatusBadRequest, Code: "IDPCommunicationError", Message: "Web identity tokens cannot be verified: the server has no verifier configured"}
	}
	now := s.now()
	if err := (*v).Verify(ctx, tok, now); err != nil {
		return nil, webIdentityError(err)
	}

	role, ok := snap.RoleByARN(roleARN)
	if !ok {
		who := &policy.Principal{Type: arn.PrincipalOIDCProvider, AccountID: a.AccountID, ARN: provider.ARN}
		return nil, asAccessDenied(authz.RoleNotFound(nil, who, roleARN, "sts:AssumeRoleWithWebIdentity", nil))
	}
	if duration > role.MaxSessionDuration {
		return nil, validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	tags, transitive, err := webIdentityTags(tok)
	if err != nil {
		return nil, err
	}
	sourceIdentity := ""
	if v, ok := tok.Claims[claimSourceIdentity]; ok {
		si, isString := v.(string)
		if !isString || len(si) < 2 || len(si) > 64 || !sessionNamePattern.MatchString(si) || strings.HasPrefix(strings.ToLower(si), "aws:") {
			return nil, &Error{Status: http.StatusForbidden, Code: "IDPRejectedClaim", Message: "The token's " + claimSourceIdentity + " claim is not a valid source identity"}
		}
		sourceIdentity = si
	}

	// The trust policy decides, with the token's claims.
	principal := &policy.Principal{Type: arn.PrincipalOIDCProvider, AccountID: a.AccountID, ARN: provider.ARN}
	reqCtx := webIdentityContext(caller, provider, tok, audience, name)
	actions := []string{"sts:AssumeRoleWithWebIdentity"}
	if len(tags) > 0 {
		actions = append(actions, "sts:TagSession")
		setTagKeys(reqCtx, tags, transitive)
	}
	if sourceIdentity != "" {
		actions = append(actions, "sts:SetSourceIdentity")
		reqCtx.Set("sts:SourceIdentity", sourceIdentity)
	}
	if err := authz.AssumeRoleWithWebIdentity(snap, principal, role, actions, reqCtx); err != nil {
		return nil, asAccessDenied(err)
	}

	sess := &directory.Session{
		AccountID: a.AccountID, RoleName: role.Name, RolePath: role.Path, RoleID: role.ID, SessionName: name,
		Policy: sessionPolicy, Tags: tags, TransitiveTagKeys: transitive, SourceIdentity: sourceIdentity,
		FederatedProvider: provider.ARN, Subject: tok.Subject, Epoch: snap.Epoch,
	}
	credsOut, packed, err := s.startSession(sess, in.PolicyArns, time.Duration(duration)*time.Second)
	if err != nil {
		return nil, err
	}
	out := &sdk.AssumeRoleWithWebIdentityOutput{
		Credentials:                 credsOut,
		AssumedRoleUser:             &types.AssumedRoleUser{AssumedRoleId: aws.String(role.ID + ":" + name), Arn: aws.String(sess.ARN())},
		SubjectFromWebIdentityToken: aws.String(tok.Subject),
		Audience:                    aws.String(audience),
		// AWS answers with the provider's ARN here, not the token's "iss".
		Provider: aws.String(provider.ARN),
	}
	if sessionPolicy != "" || len(in.PolicyArns) > 0 || len(tags) > 0 {
		//lint:ignore SA1019 kept on the wire for the clients that read it
		out.PackedPolicySize = aws.Int32(int32(packed))
		out.SessionTokenUtilization = aws.Int32(int32(packed))
	}
	if sourceIdentity != "" {
		out.SourceIdentity = aws.String(sourceIdentity)
	}
	return out, nil
}

// providerFor finds the account's OIDC provider for a token's issuer, or
// returns STS's InvalidIdentityToken error for an issuer the account has
// not registered.
//
// The issuer must be the provider's registered URL, scheme included (the
// scheme compared case-insensitively, the rest exactly). AWS stores the URL
// without its scheme because it has only one, https; this server also
// registers http providers (see iam's OIDC providers), and matching on
// host/path alone would let an http "iss" reach an https provider, its
// keys then fetched over plain http from whoever answers there. An issuer
// without a scheme matches no provider, as AWS requires "iss" to begin with
// https://.
func providerFor(acct *directory.AccountIAM, issuer string) (*directory.OIDCProvider, error) {
	notFound := "No OpenIDConnect provider found in your account for " + issuer
	scheme, rest, ok := strings.Cut(issuer, "://")
	if !ok {
		return nil, invalidIdentityToken(notFound)
	}
	for _, p := range acct.OIDCProviders {
		if p.URL != rest {
			continue
		}
		if want, _, _ := strings.Cut(p.Issuer(), "://"); !strings.EqualFold(scheme, want) {
			// The ARN has room for one provider per host/path, and this
			// one is registered with another scheme: say so.
			return nil, invalidIdentityToken(notFound + " (the provider " + p.ARN + " is registered as " + p.Issuer() + ", and a token's issuer must match it, scheme included)")
		}
		return p, nil
	}
	return nil, invalidIdentityToken(notFound)
}

// webIdentityContext holds the condition keys of a web-identity request:
// the provider's claim keys (URL:sub, URL:aud, URL:amr), the session name,
// and where the request came from.
func webIdentityContext(caller *directory.Caller, provider *directory.OIDCProvider, tok *oidc.Token, audience, sessionName string) *policy.Context {
	ctx := policy.NewContext()
	ctx.Set(provider.URL+":sub", tok.Subject)
	ctx.Set(provider.URL+":aud", audience)
	if len(tok.AMR) > 0 {
		ctx.SetMulti(provider.URL+":amr", tok.AMR...)
	}
	ctx.Set("aws:FederatedProvider", provider.ARN)
	ctx.Set("aws:PrincipalType", "WebIdentityUser")
	ctx.Set("sts:RoleSessionName", sessionName)
	if caller != nil {
		ctx.SetBool("aws:SecureTransport", caller.SecureTransport)
		if !caller.RequestTime.IsZero() {
			ctx.SetTime(caller.RequestTime)
		}
		if caller.SourceIP.IsValid() {
			ctx.SetIP("aws:SourceIp", caller.SourceIP)
		}
	}
	return ctx
}

// webIdentityTags reads the session tags an identity provider passes in
// the https://aws.amazon.com/tags claim: {"principal_tags": {"key":
// ["value"]}, "transitive_tag_keys": ["key"]}.
func webIdentityTags(tok *oidc.Token) ([]directory.Tag, []string, error) {
	v, ok := tok.Claims[claimSessionTags]
	if !ok {
		return nil, nil, nil
	}
	rejected := func(why string) error {
		return &Error{Status: http.StatusForbidden, Code: "IDPRejectedClaim", Message: "The token's " + claimSessionTags + " claim is invalid: " + why}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, nil, rejected("it must be an object")
	}
	var sdkTags []types.Tag
	if pt, ok := m["principal_tags"]; ok {
		pm, ok := pt.(map[string]any)
		if !ok {
			return nil, nil, rejected("principal_tags must be an object")
		}
		keys := make([]string, 0, len(pm))
		for k := range pm {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			var val string
			switch x := pm[k].(type) {
			case string:
				val = x
			case []any:
				if len(x) != 1 {
					return nil, nil, rejected("tag " + k + " must have exactly one value")
				}
				s, ok := x[0].(string)
				if !ok {
					return nil, nil, rejected("tag " + k + " must be a string")
				}
				val = s
			default:
				return nil, nil, rejected("tag " + k + " must be a string or a list of one string")
			}
			sdkTags = append(sdkTags, types.Tag{Key: aws.String(k), Value: aws.String(val)})
		}
	}
	var transitive []string
	if tt, ok := m["transitive_tag_keys"]; ok {
		list, ok := tt.([]any)
		if !ok {
			return nil, nil, rejected("transitive_tag_keys must be a list")
		}
		for _, x := range list {
			s, ok := x.(string)
			if !ok {
				return nil, nil, rejected("transitive_tag_keys must be strings")
			}
			transitive = append(transitive, s)
		}
	}
	tags, err := checkTags(sdkTags, transitive)
	if err != nil {
		return nil, nil, err
	}
	return tags, transitive, nil
}

// webIdentityError maps a token failure to STS's error.
func webIdentityError(err error) error {
	var oe *oidc.Error
	if !errors.As(err, &oe) {
		return err
	}
	switch oe.Kind {
	case oidc.KindExpired:
		return &Error{Status: http.StatusBadRequest, Code: "ExpiredTokenException", Message: oe.Message}
	case oidc.KindCommunication:
		return &Error{Status: http.StatusBadRequest, Code: "IDPCommunicationError", Message: oe.Message}
	}
	return invalidIdentityToken(oe.Message)
}
