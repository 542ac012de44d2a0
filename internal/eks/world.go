package eks

import (
	"context"
	"fmt"

	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/world"
)

// ApplyWorld creates the clusters the world file declares that do not
// exist yet. Existing clusters keep their issuer and keys; clusters are
// never deleted here. It is idempotent.
func (s *Service) ApplyWorld(ctx context.Context, file string, w *world.World) error {
	for _, a := range w.Accounts {
		for _, wc := range a.Clusters {
			if err := checkClusterName(wc.Name); err != nil {
				return fmt.Errorf("%s:%d: cluster %s: %w", file, wc.Line, wc.Name, err)
			}
			reg := wc.Region
			if reg == "" {
				reg = "us-east-1"
			}
			if _, ok := s.w.Directory().Snapshot().Clusters[directory.ClusterKey(a.ID, reg, wc.Name)]; ok {
				continue
			}
			c := &directory.Cluster{Name: wc.Name, AccountID: a.ID, Region: reg, ARN: clusterARN(reg, a.ID, wc.Name), Version: wc.Version}
			if c.Version == "" {
				c.Version = defaultVersion
			}
			if err := s.create(ctx, c); err != nil {
				return fmt.Errorf("%s:%d: cluster %s: %w", file, wc.Line, wc.Name, err)
			}
			s.log.Info("cluster created", "cluster", c.ARN, "issuer", s.IssuerURL(c))
		}
	}
	return nil
}

// IssuerOf returns the issuer URL of an account's cluster, found by name
// in any region (the first region in name order when several have one).
func (s *Service) IssuerOf(accountID, name string) (string, bool) {
	var found *directory.Cluster
	for _, c := range s.w.Directory().Snapshot().Clusters {
		if c.AccountID == accountID && c.Name == name && (found == nil || c.Region < found.Region) {
			found = c
		}
	}
	if found == nil {
		return "", false
	}
	return s.IssuerURL(found), true
}
