package oidc

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// ServiceAccountToken is what a built-in issuer signs: the claims of a
// Kubernetes projected service-account token.
type ServiceAccountToken struct {
	// Issuer is the issuer URL, the "iss" claim.
	Issuer string
	// Audience is the "aud" claim, always serialized as a JSON array; for
	// IRSA it is ["sts.amazonaws.com"].
	Audience []string
	// Namespace and ServiceAccount name the service account; the subject is
	// "system:serviceaccount:<Namespace>:<ServiceAccount>".
	Namespace, ServiceAccount string
	// ServiceAccountUID is the service account's UID.
	ServiceAccountUID string
	// PodName and PodUID name the pod the token is bound to; the pod block
	// is omitted when PodName is empty.
	PodName, PodUID string
	// NodeName and NodeUID name the node the pod runs on; the node block is
	// omitted when NodeName is empty.
	NodeName, NodeUID string
	// IssuedAt is the "iat" and "nbf" claim.
	IssuedAt time.Time
	// Expiry is the "exp" claim; it must be after IssuedAt.
	Expiry time.Time
}

// saClaims is the JSON payload of a service-account token, fields in the
// order they are written.
type saClaims struct {
	Audience   []string  `json:"aud"`
	Expiry     int64     `json:"exp"`
	IssuedAt   int64     `json:"iat"`
	Issuer     string    `json:"iss"`
	ID         string    `json:"jti"`
	Kubernetes k8sClaims `json:"kubernetes.io"`
	NotBefore  int64     `json:"nbf"`
	Subject    string    `json:"sub"`
}

type k8sClaims struct {
	Namespace      string  `json:"namespace"`
	Node           *k8sRef `json:"node,omitempty"`
	Pod            *k8sRef `json:"pod,omitempty"`
	ServiceAccount k8sRef  `json:"serviceaccount"`
}

type k8sRef struct {
	Name string `json:"name"`
	UID  string `json:"uid"`
}

// ServiceAccountSubject returns the "sub" of a service account's tokens:
// "system:serviceaccount:<namespace>:<name>".
func ServiceAccountSubject(namespace, name string) string {
	return "system:serviceaccount:" + namespace + ":" + name
}

// Sign returns t as a compact JWS signed with the current key: header alg
// RS256, kid and typ JWT; claims iss, sub, aud (a JSON array), exp, iat, nbf
// (equal to iat), a random jti, and the "kubernetes.io" block with the
// namespace, the service account and, when named, the pod and the node.
func (ks *KeySet) Sign(t ServiceAccountToken) (string, error) {
	key := ks.Current()
	if key == nil {
		return "", errors.New("oidc: sign: key set has no current key")
	}
	if err := key.check(); err != nil {
		return "", fmt.Errorf("oidc: sign: %w", err)
	}
	if err := t.check(); err != nil {
		return "", fmt.Errorf("oidc: sign: %w", err)
	}
	jti, err := newJTI()
	if err != nil {
		return "", fmt.Errorf("oidc: sign: %w", err)
	}
	c := saClaims{
		Audience: append([]string(nil), t.Audience...),
		Expiry:   t.Expiry.Unix(),
		IssuedAt: t.IssuedAt.Unix(),
		Issuer:   t.Issuer,
		ID:       jti,
		Kubernetes: k8sClaims{
			Namespace:      t.Namespace,
			ServiceAccount: k8sRef{Name: t.ServiceAccount, UID: t.ServiceAccountUID},
		},
		NotBefore: t.IssuedAt.Unix(),
		Subject:   ServiceAccountSubject(t.Namespace, t.ServiceAccount),
	}
	if t.PodName != "" {
		c.Kubernetes.Pod = &k8sRef{Name: t.PodName, UID: t.PodUID}
	}
	if t.NodeName != "" {
		c.Kubernetes.Node = &k8sRef{Name: t.NodeName, UID: t.NodeUID}
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("oidc: sign: encode claims: %w", err)
	}
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key.Private, KeyID: key.ID}},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		return "", fmt.Errorf("oidc: sign: signer for key %q: %w", key.ID, err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("oidc: sign with key %q: %w", key.ID, err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		return "", fmt.Errorf("oidc: sign: serialize: %w", err)
	}
	return s, nil
}

// check reports what is missing or inconsistent in t.
func (t ServiceAccountToken) check() error {
	switch {
	case t.Issuer == "":
		return errors.New("token has no issuer")
	case t.Namespace == "":
		return errors.New("token has no namespace")
	case t.ServiceAccount == "":
		return errors.New("token has no service account")
	case len(t.Audience) == 0:
		return errors.New("token has no audience")
	case t.IssuedAt.IsZero():
		return errors.New("token has no issue time")
	case !t.Expiry.After(t.IssuedAt):
		return fmt.Errorf("token expiry %s is not after its issue time %s",
			t.Expiry.UTC().Format(time.RFC3339), t.IssuedAt.UTC().Format(time.RFC3339))
	}
	for _, a := range t.Audience {
		if a == "" {
			return errors.New("token has an empty audience")
		}
	}
	return nil
}

// newJTI returns a random version 4 UUID.
func newJTI() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random token ID: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32], nil
}

// Discovery returns the OpenID Connect discovery document a built-in issuer
// serves at <issuer>/.well-known/openid-configuration, with the fields an EKS
// cluster's issuer publishes.
func Discovery(issuer, jwksURI string) map[string]any {
	return map[string]any{
		"issuer":                                issuer,
		"jwks_uri":                              jwksURI,
		"authorization_endpoint":                "urn:kubernetes:programmatic_authorization",
		"response_types_supported":              []string{"id_token"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{SigningAlgorithm},
		"claims_supported":                      []string{"sub", "iss"},
	}
}
