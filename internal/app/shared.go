package app

import (
	"bytes"
	"context"
	"log/slog"
	"time"

	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/iam"
	"github.com/assumed-dev/assumed/internal/store"
	"github.com/assumed-dev/assumed/internal/sts"
)

// followInterval bounds how stale a node's view of a shared store may be
// when notifications are lost: every interval it checks the store's
// version (and the session key ring) whatever it was told.
const followInterval = time.Second

// changeNotifier is a shared store that says when any node wrote (the
// PostgreSQL store's LISTEN/NOTIFY).
type changeNotifier interface {
	Changes(ctx context.Context, log *slog.Logger) <-chan struct{}
}

// shareStore makes the IAM service's writer one of several nodes' when
// the store is shared (PostgreSQL): writes are decided against the
// state they are applied to, and the snapshot is rebuilt from the store
// with the version it is of. It reports whether the store is shared.
func shareStore(ctx context.Context, st store.Store, svc *iam.Service) (bool, error) {
	shared, ok := st.(directory.SharedStore)
	if !ok {
		return false, nil
	}
	w := svc.Writer()
	// Version -1 is no version: the refresh reloads, so that the
	// published snapshot and its version come from one consistent read.
	w.Share(shared, svc.Build, -1)
	_, err := w.Refresh(ctx)
	return true, err
}

// followShared keeps this node current with the others until ctx ends:
// the directory on every change notification and at least every
// followInterval, and the session key ring every followInterval (another
// node may have created or rotated it), so that temporary credentials
// minted by any node verify on all.
func followShared(ctx context.Context, st store.Store, svc *iam.Service, sealer *creds.Sealer, stsSvc *sts.Service, log *slog.Logger) {
	var changed <-chan struct{}
	if n, ok := st.(changeNotifier); ok {
		changed = n.Changes(ctx, log)
	}
	go svc.Writer().Follow(ctx, changed, followInterval, log)
	var last []byte
	every(ctx, followInterval, func(now time.Time) {
		sealed, ok, err := st.Meta(ctx, keyRingMeta)
		if err != nil || !ok || bytes.Equal(sealed, last) {
			if err != nil && ctx.Err() == nil {
				log.Warn("reread the session key ring", "err", err)
			}
			return
		}
		ring, err := loadKeyRing(ctx, st, sealer, now)
		if err != nil {
			if ctx.Err() == nil {
				log.Error("reload the session key ring", "err", err)
			}
			return
		}
		stsSvc.SetSealer(ring)
		last = sealed
	})
}
