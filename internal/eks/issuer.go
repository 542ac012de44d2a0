package eks

import (
	"context"
	"crypto/sha256"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"

	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/oidc"
)

// The cluster issuers
//
// Every cluster has an issuer at PublicURL/_assumed/oidc/id/ID, serving
// the OpenID discovery document and the JWKS (at ISSUER/keys, as EKS
// does). The server keeps the signing keys; clients get tokens from the
// signed token endpoint (as pods get theirs from Kubernetes' TokenRequest
// API) and STS verifies tokens of these issuers without a network round
// trip.

// TokenRequest asks for a projected service-account token, as Kubernetes'
// TokenRequest API does, with the pod the token is bound to.
type TokenRequest struct {
	Namespace      string   `json:"namespace"`
	ServiceAccount string   `json:"serviceAccount"`
	Audiences      []string `json:"audiences,omitempty"`
	// ExpirationSeconds is the token's lifetime: 600 up to 172,800
	// seconds, 86,400 when zero.
	ExpirationSeconds int64  `json:"expirationSeconds,omitempty"`
	PodName           string `json:"podName,omitempty"`
	PodUID            string `json:"podUid,omitempty"`
	NodeName          string `json:"nodeName,omitempty"`
}

// TokenResponse is the signed token and when it expires.
type TokenResponse struct {
	Token               string    `json:"token"`
	ExpirationTimestamp time.Time `json:"expirationTimestamp"`
	Issuer              string    `json:"issuer"`
}

// Kubernetes names: a namespace is a DNS-1123 label, a service account a
// DNS-1123 subdomain.
var (
	dns1123Label     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	dns1123Subdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
)

// keySet returns a cluster's signing keys (decoded once per snapshot).
func keySet(snap *directory.Snapshot, c *directory.Cluster) (*oidc.KeySet, error) {
	v := snap.Derived("cluster-keys:"+c.ARN+"/"+c.IssuerID, func() any {
		ks, err := oidc.UnmarshalKeySet(c.SigningKeys)
		if err != nil {
			return err
		}
		return ks
	})
	if err, ok := v.(error); ok {
		return nil, fmt.Errorf("signing keys of cluster %s: %w", c.ARN, err)
	}
	return v.(*oidc.KeySet), nil
}

// issuerCluster returns the cluster whose issuer URL this is.
func (s *Service) issuerCluster(snap *directory.Snapshot, issuer string) (*directory.Cluster, bool) {
	prefix := s.PublicURL() + IssuerPathPrefix
	id, ok := strings.CutPrefix(issuer, prefix)
	if !ok {
		return nil, false
	}
	return snap.ClusterByIssuerID(id)
}

// LocalKeys answers the web-identity verifier for the issuers this
// server runs: their JWKS, with no network round trip.
func (s *Service) LocalKeys(issuer string) (jose.JSONWebKeySet, bool) {
	snap := s.w.Directory().Snapshot()
	c, ok := s.issuerCluster(snap, issuer)
	if !ok {
		return jose.JSONWebKeySet{}, false
	}
	keys, ok := jwks(snap, c)
	if !ok {
		s.log.Error("cluster signing keys unreadable", "cluster", c.ARN)
		return jose.JSONWebKeySet{}, true // ours, but nothing verifies
	}
	return keys, true
}

// jwks returns a cluster's public keys, built once per snapshot: the
// verifier asks for them on every token.
func jwks(snap *directory.Snapshot, c *directory.Cluster) (jose.JSONWebKeySet, bool) {
	v := snap.Derived("cluster-jwks:"+c.ARN+"/"+c.IssuerID, func() any {
		ks, err := keySet(snap, c)
		if err != nil {
			return nil
		}
		return ks.JWKS()
	})
	keys, ok := v.(jose.JSONWebKeySet)
	return keys, ok
}

// Discovery returns the OpenID discovery document of the issuer with
// this ID.
func (s *Service) Discovery(issuerID string) (map[string]any, bool) {
	c, ok := s.w.Directory().Snapshot().ClusterByIssuerID(issuerID)
	if !ok {
		return nil, false
	}
	iss := s.IssuerURL(c)
	return oidc.Discovery(iss, iss+"/keys"), true
}

// JWKS returns the public keys of the issuer with this ID.
func (s *Service) JWKS(issuerID string) (jose.JSONWebKeySet, bool) {
	snap := s.w.Directory().Snapshot()
	c, ok := snap.ClusterByIssuerID(issuerID)
	if !ok {
		return jose.JSONWebKeySet{}, false
	}
	keys, ok := jwks(snap, c)
	if !ok {
		s.log.Error("cluster signing keys unreadable", "cluster", c.ARN)
	}
	return keys, ok
}

// CreateToken signs a service-account token of the cluster's issuer. It
// is a Kubernetes API call, so it needs eks:AccessKubernetesApi on the
// cluster.
func (s *Service) CreateToken(_ context.Context, caller *directory.Caller, clusterName string, in *TokenRequest) (*TokenResponse, error) {
	snap := s.w.Directory().Snapshot()
	if err := authorize(snap, caller, "eks:AccessKubernetesApi", clusterARN(region(caller), caller.AccountID, clusterName), clusterTagContext(snap, caller, clusterName, nil)); err != nil {
		return nil, err
	}
	c, err := s.lookup(snap, caller, clusterName)
	if err != nil {
		return nil, err
	}
	if len(in.Namespace) > 63 || !dns1123Label.MatchString(in.Namespace) {
		return nil, invalidParameter("namespace %q is not a valid Kubernetes namespace name (a DNS-1123 label).", in.Namespace)
	}
	if len(in.ServiceAccount) > 253 || !dns1123Subdomain.MatchString(in.ServiceAccount) {
		return nil, invalidParameter("serviceAccount %q is not a valid Kubernetes service account name (a DNS-1123 subdomain).", in.ServiceAccount)
	}
	if in.PodName != "" && (len(in.PodName) > 253 || !dns1123Subdomain.MatchString(in.PodName)) {
		return nil, invalidParameter("podName %q is not a valid Kubernetes pod name.", in.PodName)
	}
	if in.NodeName != "" && (len(in.NodeName) > 253 || !dns1123Subdomain.MatchString(in.NodeName)) {
		return nil, invalidParameter("nodeName %q is not a valid Kubernetes node name.", in.NodeName)
	}
	lifetime := DefaultTokenLifetime
	if in.ExpirationSeconds != 0 {
		// Compare seconds before converting: a huge value would overflow.
		if in.ExpirationSeconds < int64(MinTokenLifetime.Seconds()) || in.ExpirationSeconds > int64(MaxTokenLifetime.Seconds()) {
			return nil, invalidParameter("expirationSeconds must be between %d and %d.", int(MinTokenLifetime.Seconds()), int(MaxTokenLifetime.Seconds()))
		}
		lifetime = time.Duration(in.ExpirationSeconds) * time.Second
	}
	auds := in.Audiences
	if len(auds) == 0 {
		auds = []string{"sts.amazonaws.com"}
	}
	for _, a := range auds {
		if a == "" || len(a) > 255 {
			return nil, invalidParameter("each audience must be 1-255 characters.")
		}
	}
	ks, err := keySet(snap, c)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Second)
	tok := oidc.ServiceAccountToken{
		Issuer: s.IssuerURL(c), Audience: auds, Namespace: in.Namespace, ServiceAccount: in.ServiceAccount,
		ServiceAccountUID: stableUID(c.ARN, "serviceaccount", in.Namespace, in.ServiceAccount),
		PodName:           in.PodName, PodUID: in.PodUID, NodeName: in.NodeName,
		IssuedAt: now, Expiry: now.Add(lifetime),
	}
	if tok.PodName != "" && tok.PodUID == "" {
		tok.PodUID = uuid.NewString()
	}
	raw, err := ks.Sign(tok)
	if err != nil {
		return nil, fmt.Errorf("sign token for cluster %s: %w", c.ARN, err)
	}
	return &TokenResponse{Token: raw, ExpirationTimestamp: tok.Expiry, Issuer: tok.Issuer}, nil
}

// RotateSigningKeys gives a cluster's issuer a new signing key; the old
// one stays in the JWKS until the tokens it signed have expired. It needs
// eks:UpdateClusterConfig on the cluster. It returns the new key's ID.
func (s *Service) RotateSigningKeys(ctx context.Context, caller *directory.Caller, clusterName string) (string, error) {
	snap := s.w.Directory().Snapshot()
	if err := authorize(snap, caller, "eks:UpdateClusterConfig", clusterARN(region(caller), caller.AccountID, clusterName), clusterTagContext(snap, caller, clusterName, nil)); err != nil {
		return "", err
	}
	var kid string
	err := s.w.Update(ctx, func(t *directory.Txn) error {
		c, err := s.lookup(t.Snap, caller, clusterName)
		if err != nil {
			return err
		}
		ks, err := oidc.UnmarshalKeySet(c.SigningKeys)
		if err != nil {
			return fmt.Errorf("signing keys of cluster %s: %w", c.ARN, err)
		}
		now := s.now().UTC()
		ks.Prune(now, MaxTokenLifetime)
		if err := ks.Rotate(now); err != nil {
			return fmt.Errorf("rotate the signing key of cluster %s: %w", c.ARN, err)
		}
		kid = ks.Current().ID
		return s.replaceKeys(t, c, ks)
	})
	if err != nil {
		return "", err
	}
	s.log.Info("cluster signing key rotated", "cluster", clusterName, "kid", kid)
	return kid, nil
}

// PruneSigningKeys drops retired signing keys whose tokens have all
// expired, across all clusters.
func (s *Service) PruneSigningKeys(ctx context.Context) error {
	return s.w.Update(ctx, func(t *directory.Txn) error {
		now := s.now().UTC()
		for _, c := range t.Snap.Clusters {
			ks, err := oidc.UnmarshalKeySet(c.SigningKeys)
			if err != nil {
				return fmt.Errorf("signing keys of cluster %s: %w", c.ARN, err)
			}
			if ks.Prune(now, MaxTokenLifetime) {
				if err := s.replaceKeys(t, c, ks); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// replaceKeys puts a copy of the cluster with a new key set.
func (s *Service) replaceKeys(t *directory.Txn, c *directory.Cluster, ks *oidc.KeySet) error {
	cp := *c
	if err := s.setKeys(&cp, ks); err != nil {
		return err
	}
	key := directory.ClusterKey(c.AccountID, c.Region, c.Name)
	t.Snap.Clusters[key] = &cp
	return t.Put(kindCluster, c.AccountID, key, &cp)
}

// stableUID derives a UUID-shaped (version 4) ID from names, so a service
// account keeps its UID across tokens as in Kubernetes.
func stableUID(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	u := uuid.UUID(h[:16])
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return u.String()
}
