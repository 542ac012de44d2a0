// Package oidc is assumed's OpenID Connect side: the built-in token issuer of
// simulated EKS clusters (the IRSA issuer) and the validation of web-identity
// tokens for STS AssumeRoleWithWebIdentity, from any issuer, as AWS does it.
//
// # Issuing
//
// A built-in issuer owns a [KeySet]: one current RSA key that signs, plus the
// retired keys still published so that tokens signed before a rotation keep
// verifying until they expire. [KeySet.Sign] mints a token shaped like a
// Kubernetes projected service-account token; [KeySet.JWKS] and [Discovery]
// are what the issuer serves at its jwks_uri and at
// <issuer>/.well-known/openid-configuration. [KeySet.MarshalBinary] holds
// private keys in the clear: the caller seals it before storing it.
//
// # Validating
//
// Validation is in two steps, so that the caller can look up the IAM OIDC
// provider between them:
//
//	tok, err := oidc.Parse(raw)           // structure, header, claims; no signature check
//	provider := lookup(tok.Issuer)         // must exist before any network fetch
//	err = verifier.Verify(ctx, tok, now)   // signature, exp, nbf, iat
//	// then: tok.Audience against the provider's client IDs, trust policy, ...
//
// Every failure either step reports is an *[Error] whose [Kind] names the STS
// error code: [KindInvalid] is InvalidIdentityToken, [KindExpired] is
// ExpiredTokenException and [KindCommunication] is IDPCommunicationError.
// Error.Message is meant for the STS caller; Error.Err carries detail for
// logs.
//
// Only asymmetric algorithms are ever accepted ([AllowedAlgorithms]): never
// "none" and never HMAC, so a public key can never be used as a MAC secret.
// A key is used only when its type, curve and declared "alg" and "use" fit
// the token's algorithm. Issuers the caller runs itself are answered by
// [VerifierConfig.Local] with no network round trip; any other issuer must be
// an https URL, whose discovery document and JWKS are fetched with a timeout
// and a size cap and cached per issuer.
package oidc
