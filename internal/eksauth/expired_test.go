package eksauth

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/eksauth/wire"
	"github.com/assumed-dev/assumed/internal/oidc"
	"github.com/assumed-dev/assumed/internal/sts"
)

// A token of the cluster's own issuer that has expired is
// ExpiredTokenException. Kubernetes tokens live at least ten minutes, so
// the service's clock is moved instead of waiting.
func TestExpiredPodToken(t *testing.T) {
	now := time.Now()
	ks, err := oidc.NewKeySet(now)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := ks.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	const issuer = "https://assumed.test/_assumed/oidc/id/ABC"
	snap := directory.NewSnapshot()
	c := &directory.Cluster{Name: "prod", AccountID: "111111111111", Region: "us-east-1", ARN: "arn:aws:eks:us-east-1:111111111111:cluster/prod", IssuerID: "ABC", SigningKeys: keys}
	snap.Clusters[directory.ClusterKey(c.AccountID, c.Region, c.Name)] = c
	dir := directory.New(snap)
	rk, err := creds.GenerateRingKey(1, now)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := creds.NewKeyRing([]creds.RingKey{rk})
	if err != nil {
		t.Fatal(err)
	}
	verifier := oidc.NewVerifier(oidc.VerifierConfig{Local: func(iss string) (jose.JSONWebKeySet, bool) { return ks.JWKS(), iss == issuer }})
	s := New(dir, sts.New(dir, ring), verifier, func(*directory.Cluster) string { return issuer })
	token, err := ks.Sign(oidc.ServiceAccountToken{Issuer: issuer, Audience: []string{wire.Audience}, Namespace: "default", ServiceAccount: "web", PodName: "web-1", PodUID: "u", IssuedAt: now, Expiry: now.Add(10 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	root := &directory.Caller{AccountID: "111111111111", ARN: "arn:aws:iam::111111111111:root", Region: "us-east-1"}

	// Current: the token passes, and only the missing association stops it.
	_, err = s.AssumeRoleForPodIdentity(context.Background(), root, "prod", &wire.AssumeRoleForPodIdentityInput{Token: token})
	var e *Error
	if !errors.As(err, &e) || e.Code != wire.ResourceNotFoundException {
		t.Fatalf("current token: want ResourceNotFoundException, got %v", err)
	}
	// An hour later it has expired.
	s.now = func() time.Time { return now.Add(time.Hour) }
	_, err = s.AssumeRoleForPodIdentity(context.Background(), root, "prod", &wire.AssumeRoleForPodIdentityInput{Token: token})
	if !errors.As(err, &e) || e.Code != wire.ExpiredTokenException || e.Status != http.StatusBadRequest {
		t.Fatalf("expired token: want 400 ExpiredTokenException, got %v", err)
	}
}
