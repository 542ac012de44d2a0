package iam

import (
	"encoding/json"
	"fmt"

	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/store"
)

// kindEpoch is the record of the state's reset epoch (Snapshot.Epoch):
// one record, ("epoch", "", "reset"), absent before the first reset.
const (
	kindEpoch = "epoch"
	epochID   = "reset"
)

// epochRecord is the stored form of the epoch.
type epochRecord struct {
	Epoch uint64 `json:"epoch"`
}

func decodeEpoch(r store.Record, snap *directory.Snapshot) error {
	var e epochRecord
	if err := json.Unmarshal(r.Data, &e); err != nil {
		return fmt.Errorf("decode the reset epoch: %w", err)
	}
	snap.Epoch = e.Epoch
	return nil
}

// ResetSeed returns the records a reset starts the new state from, before
// the world file is applied to it: the accounts, their root access keys
// (active, whatever became of them since: the credentials file names
// them), and the new reset epoch. A service loaded from them (New) and
// then given the world (ApplyWorld) holds the state a server started on
// an empty data dir would, but for these keys and the epoch.
func ResetSeed(accounts []*directory.Account, rootKeys []*directory.AccessKey, epoch uint64) ([]store.Record, error) {
	var out []store.Record
	put := func(kind, account, id string, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", kind, id, err)
		}
		out = append(out, store.Record{Kind: kind, Account: account, ID: id, Data: b})
		return nil
	}
	for _, a := range accounts {
		if err := put(kindAccount, "", a.ID, a); err != nil {
			return nil, err
		}
	}
	for _, k := range rootKeys {
		if k.UserName != "" {
			return nil, fmt.Errorf("access key %s is not a root access key", k.AccessKeyID)
		}
		cp := *k
		cp.Status = directory.StatusActive
		if err := put(kindAccessKey, cp.AccountID, cp.AccessKeyID, &cp); err != nil {
			return nil, err
		}
	}
	if err := put(kindEpoch, "", epochID, epochRecord{Epoch: epoch}); err != nil {
		return nil, err
	}
	return out, nil
}
