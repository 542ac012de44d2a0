package eks

import (
	"context"

	"github.com/assumed-dev/assumed/internal/directory"
)

// AdoptIssuers gives each of the service's clusters that prev also has
// (same account, region and name) prev's issuer: its issuer ID, so its
// issuer URL and the OIDC providers registered for it stay the same, its
// signing keys, so service-account tokens it signed stay verifiable, and
// its creation time. A reset calls it on the clusters the world file
// re-creates, before the world's issuer references are resolved.
func (s *Service) AdoptIssuers(ctx context.Context, prev *directory.Snapshot) error {
	return s.w.Update(ctx, func(t *directory.Txn) error {
		for key, c := range t.Snap.Clusters {
			old, ok := prev.Clusters[key]
			if !ok || old.ARN != c.ARN {
				continue
			}
			cp := *c
			cp.IssuerID, cp.SealedSigningKeys, cp.SigningKeys, cp.CreatedAt = old.IssuerID, old.SealedSigningKeys, old.SigningKeys, old.CreatedAt
			t.Snap.Clusters[key] = &cp
			if err := t.Put(kindCluster, cp.AccountID, key, &cp); err != nil {
				return err
			}
		}
		return nil
	})
}
