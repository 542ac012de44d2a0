package eks

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/eks"

	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/world"
)

// ApplyWorld creates the clusters the world file declares that do not
// exist yet. Existing clusters keep their issuer and keys (and their
// version, which UpdateClusterVersion may have changed); a role_arn the
// file declares is set on them too. Clusters are never deleted here. It
// is idempotent.
func (s *Service) ApplyWorld(ctx context.Context, file string, w *world.World) error {
	for _, a := range w.Accounts {
		for _, wc := range a.Clusters {
			if err := checkClusterName(wc.Name); err != nil {
				return fmt.Errorf("%s:%d: cluster %s: %w", file, wc.Line, wc.Name, err)
			}
			if wc.RoleARN != "" {
				if err := checkRoleARN("role_arn", wc.RoleARN); err != nil {
					return fmt.Errorf("%s:%d: cluster %s: %w", file, wc.Line, wc.Name, err)
				}
			}
			if wc.Version != "" {
				if err := checkVersion(wc.Version); err != nil {
					return fmt.Errorf("%s:%d: cluster %s: %w", file, wc.Line, wc.Name, err)
				}
			}
			reg := directory.RegionOrDefault(wc.Region)
			key := directory.ClusterKey(a.ID, reg, wc.Name)
			if cur, ok := s.w.Directory().Snapshot().Clusters[key]; ok {
				if wc.RoleARN == "" || wc.RoleARN == cur.RoleARN {
					continue
				}
				err := s.w.Update(ctx, func(t *directory.Txn) error {
					c, ok := t.Snap.Clusters[key]
					if !ok {
						return nil
					}
					cp := *c
					cp.RoleARN = wc.RoleARN
					t.Snap.Clusters[key] = &cp
					return t.Put(kindCluster, cp.AccountID, key, &cp)
				})
				if err != nil {
					return fmt.Errorf("%s:%d: cluster %s: %w", file, wc.Line, wc.Name, err)
				}
				s.log.Info("cluster role set", "cluster", cur.ARN, "role", wc.RoleARN)
				continue
			}
			c := &directory.Cluster{Name: wc.Name, AccountID: a.ID, Region: reg, ARN: clusterARN(reg, a.ID, wc.Name), Version: wc.Version, RoleARN: wc.RoleARN}
			if c.Version == "" {
				c.Version = defaultVersion
			}
			if c.RoleARN == "" {
				c.RoleARN = DefaultWorldRoleARN(a.ID)
			}
			if err := s.create(ctx, c, nil); err != nil {
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

// ApplyWorldAssociations creates the pod identity associations the world
// file declares that do not exist yet (by cluster, namespace and service
// account). It runs after the IAM contents, whose roles they name.
func (s *Service) ApplyWorldAssociations(ctx context.Context, file string, w *world.World) error {
	for _, a := range w.Accounts {
		for _, wc := range a.Clusters {
			root := s.worldRoot(a.ID, wc.Region)
			key := directory.ClusterKey(a.ID, root.RegionOrDefault(), wc.Name)
			for _, pa := range wc.PodIdentityAssociations {
				if _, ok := s.w.Directory().Snapshot().AssociationFor(key, pa.Namespace, pa.ServiceAccount); ok {
					continue
				}
				in := &sdk.CreatePodIdentityAssociationInput{
					ClusterName: aws.String(wc.Name), Namespace: aws.String(pa.Namespace), ServiceAccount: aws.String(pa.ServiceAccount),
					RoleArn: aws.String(pa.RoleARN), DisableSessionTags: aws.Bool(pa.DisableSessionTags),
				}
				if pa.TargetRoleARN != "" {
					in.TargetRoleArn = aws.String(pa.TargetRoleARN)
				}
				if pa.Policy != "" {
					in.Policy = aws.String(pa.Policy)
				}
				if _, err := s.CreatePodIdentityAssociation(ctx, root, in); err != nil {
					return fmt.Errorf("%s:%d: pod identity association %s/%s: %w", file, pa.Line, pa.Namespace, pa.ServiceAccount, err)
				}
			}
		}
	}
	return nil
}

// worldRoot is an account's root user acting for the world file in a
// region ("" for the default one).
func (s *Service) worldRoot(accountID, region string) *directory.Caller {
	return &directory.Caller{AccountID: accountID, ARN: "arn:aws:iam::" + accountID + ":root", Region: region, RequestTime: s.now()}
}
