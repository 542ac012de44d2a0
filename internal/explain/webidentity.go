package explain

import (
	"fmt"
	"slices"
	"strings"

	"github.com/assumed-dev/assumed/arn"
	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// explainWebIdentity explains an AssumeRoleWithWebIdentity of roleARN
// with a token of the issuer of the OIDC provider p, whose claims ctx
// holds (p's HOST/PATH:sub, :aud, :amr), as STS's
// AssumeRoleWithWebIdentity decides it: the provider registered for the
// issuer in the role's account, the token's audience one of its client
// IDs, the duration within the role's maximum, then the role's trust
// policy alone, with the condition keys STS sets (the claims,
// aws:FederatedProvider, aws:PrincipalType, sts:RoleSessionName, and
// where and when the request comes from). The token itself (its
// signature and validity period) is not explained: a query has none.
func explainWebIdentity(snap *directory.Snapshot, p principalRef, roleARN string, q Query, ctx *policy.Context) (*authz.Trace, error) {
	role, err := parseRoleARN(roleARN)
	if err != nil {
		return nil, err
	}
	if q.ExternalID != "" {
		return nil, invalid("an external ID belongs to AssumeRole: AssumeRoleWithWebIdentity takes none")
	}
	name, duration, tags, err := assumeInputs(q, "AssumeRoleWithWebIdentity")
	if err != nil {
		return nil, err
	}
	if _, ok := snap.Accounts[p.account]; !ok {
		return nil, noSuchEntity("account %s is not hosted by this server", p.account)
	}
	prov, ok := snap.AccountIAM(p.account).OIDCProviders[p.arn]
	if !ok {
		return nil, noSuchEntity("account %s has no OIDC provider %s", p.account, p.arn)
	}
	subKey, audKey := prov.URL+":sub", prov.URL+":aud"
	sub, ok := ctx.Lookup(subKey)
	if !ok || len(sub) != 1 {
		return nil, invalid("give the token's subject as one value of the context key %s (a service account's token: system:serviceaccount:NAMESPACE:NAME)", subKey)
	}
	auds, ok := ctx.Lookup(audKey)
	if !ok || len(auds) == 0 {
		return nil, invalid("give the token's audience as the context key %s (the provider's client IDs: %s)", audKey, strings.Join(prov.ClientIDs, ", "))
	}
	who := &policy.Principal{Type: arn.PrincipalOIDCProvider, AccountID: role.AccountID, ARN: prov.ARN}

	// STS finds the provider by the token's issuer among the role's
	// account's.
	if role.AccountID != p.account {
		own := providerOf(snap.AccountIAM(role.AccountID), prov)
		if own == nil {
			return authz.RefusalBy(who, webIdentityAction, roleARN, ctx,
				fmt.Sprintf("because account %s has no OIDC provider for the token's issuer %s (STS answers InvalidIdentityToken: No OpenIDConnect provider found in your account for %s)", role.AccountID, prov.Issuer(), prov.Issuer()),
				"A web-identity token can assume only the roles of an account that registered its issuer as an OIDC provider",
				fmt.Sprintf("register the issuer in account %s (aws iam create-open-id-connect-provider --url %s --client-id-list sts.amazonaws.com), or assume a role of account %s", role.AccountID, prov.Issuer(), p.account)).Trace, nil
		}
		prov = own
		who.ARN = prov.ARN
	}
	audience := ""
	for _, a := range auds {
		if slices.Contains(prov.ClientIDs, a) {
			audience = a
			break
		}
	}
	if audience == "" {
		return authz.RefusalBy(who, webIdentityAction, roleARN, ctx,
			fmt.Sprintf("because the token's audience %s is not a client ID of the OIDC provider %s (its client IDs: %s); STS answers InvalidIdentityToken: Incorrect token audience", list(auds), prov.ARN, list(prov.ClientIDs)),
			"STS accepts a web-identity token only when its audience (aud) is one of its provider's client IDs, before any policy is read",
			fmt.Sprintf("request the token for an audience the provider accepts (IRSA: sts.amazonaws.com), or add %q to the client IDs of %s (aws iam add-client-id-to-open-id-connect-provider)", auds[0], prov.ARN)).Trace, nil
	}
	if r, ok := snap.RoleByARN(roleARN); ok && int32(duration) > r.MaxSessionDuration {
		return authz.RefusalBy(who, webIdentityAction, roleARN, ctx,
			fmt.Sprintf("because the requested DurationSeconds (%d) exceeds the MaxSessionDuration (%d) of role %s", duration, r.MaxSessionDuration, r.ARN),
			"A session can't outlast its role's MaxSessionDuration (STS answers ValidationError: The requested DurationSeconds exceeds the MaxSessionDuration set for this role.)",
			fmt.Sprintf("ask for %d seconds or less, or raise the MaxSessionDuration of %s (aws iam update-role --max-session-duration)", r.MaxSessionDuration, r.ARN)).Trace, nil
	}

	// The context STS builds (sts.webIdentityContext).
	origin := &directory.Caller{RequestTime: q.Time}
	applyOrigin(origin, ctx)
	ctx.Set(subKey, sub[0])
	ctx.Set(audKey, audience)
	ctx.Set("aws:FederatedProvider", prov.ARN)
	ctx.Set("aws:PrincipalType", "WebIdentityUser")
	ctx.Set("sts:RoleSessionName", name)
	ctx.SetBool("aws:SecureTransport", origin.SecureTransport)
	ctx.SetTime(origin.RequestTime)
	actions := []string{webIdentityAction}
	if len(tags) > 0 {
		actions = append(actions, "sts:TagSession")
		keys := make([]string, 0, len(tags))
		for _, t := range tags {
			ctx.Set("aws:RequestTag/"+t.Key, t.Value)
			keys = append(keys, t.Key)
		}
		ctx.SetMulti("aws:TagKeys", keys...)
	}
	if q.SourceIdentity != "" {
		actions = append(actions, "sts:SetSourceIdentity")
		ctx.Set("sts:SourceIdentity", q.SourceIdentity)
	}
	return authz.ExplainTrustOnly(snap, who, roleARN, actions, ctx), nil
}

// providerOf is the OIDC provider of acct for the issuer of p (its URL,
// scheme included), nil when acct has none.
func providerOf(acct *directory.AccountIAM, p *directory.OIDCProvider) *directory.OIDCProvider {
	for _, o := range acct.OIDCProviders {
		if o.URL == p.URL && o.Issuer() == p.Issuer() {
			return o
		}
	}
	return nil
}
