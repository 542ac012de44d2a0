package gateway

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/store"
	"github.com/assumed-dev/assumed/policy"
)

// kindResource is the store's record kind of a directory.Resource.
const kindResource = "resource"

// Decoders returns the loaders of the gateway's stored records, for the
// directory to build its snapshot with at start.
func Decoders() map[string]directory.RecordDecoder {
	return map[string]directory.RecordDecoder{
		kindResource: func(r store.Record, snap *directory.Snapshot) error {
			var res directory.Resource
			if err := json.Unmarshal(r.Data, &res); err != nil {
				return fmt.Errorf("decode resource %s: %w", r.ID, err)
			}
			if res.Policy != "" {
				p, err := policy.Parse(res.Policy, policy.Resource)
				if err != nil {
					return fmt.Errorf("resource policy of %s no longer parses: %w", res.ARN, err)
				}
				res.Compiled = p
			}
			snap.Resources[res.ARN] = &res
			return nil
		},
	}
}

// recordOwner records the account that owns a resource whose name carries
// no account (an S3 bucket), keeping the policy it may already have.
func (g *Gateway) recordOwner(ctx context.Context, arn, account string) error {
	return g.writer.Update(ctx, func(t *directory.Txn) error {
		res := &directory.Resource{ARN: arn, Account: account}
		if cur, ok := t.Snap.Resources[arn]; ok && cur.Account == account {
			res.Policy, res.Compiled = cur.Policy, cur.Compiled
		}
		t.Snap.Resources[arn] = res
		return t.Put(kindResource, account, arn, res)
	})
}

// recordPolicy records a resource's policy, once the call that set it has
// succeeded at the backend.
func (g *Gateway) recordPolicy(ctx context.Context, arn, account, doc string) error {
	p, err := policy.Parse(doc, policy.Resource)
	if err != nil {
		return fmt.Errorf("resource policy of %s: %w", arn, err)
	}
	return g.writer.Update(ctx, func(t *directory.Txn) error {
		res := &directory.Resource{ARN: arn, Account: account, Policy: doc, Compiled: p}
		t.Snap.Resources[arn] = res
		return t.Put(kindResource, account, arn, res)
	})
}

// forgetPolicy drops a resource's policy, keeping its owner.
func (g *Gateway) forgetPolicy(ctx context.Context, arn string) error {
	return g.writer.Update(ctx, func(t *directory.Txn) error {
		cur, ok := t.Snap.Resources[arn]
		if !ok || cur.Policy == "" {
			return nil
		}
		res := &directory.Resource{ARN: cur.ARN, Account: cur.Account}
		t.Snap.Resources[arn] = res
		return t.Put(kindResource, res.Account, arn, res)
	})
}

// forget drops everything recorded of a deleted resource.
func (g *Gateway) forget(ctx context.Context, arn string) error {
	return g.writer.Update(ctx, func(t *directory.Txn) error {
		cur, ok := t.Snap.Resources[arn]
		if !ok {
			return nil
		}
		delete(t.Snap.Resources, arn)
		t.Del(kindResource, cur.Account, arn)
		return nil
	})
}
