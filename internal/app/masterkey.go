package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/store"
)

// masterKeyMeta holds a value sealed with the master key the store's
// secrets are sealed with: a node whose data dir holds another key (a
// second node given a fresh data dir, say) is told so at start, before it
// writes anything, rather than failing on the first secret it opens or,
// on an empty store, sealing secrets the other nodes can't open.
const masterKeyMeta = "master-key-check"

var masterKeyCheck = []byte("assumed: the master key this store's secrets are sealed with")

// errOtherMasterKey says the data dir's master key is not the store's.
var errOtherMasterKey = errors.New("this data dir's master.key is not the key the store's secrets are sealed with")

// checkMasterKey verifies that the store's check value opens with this
// data dir's key. ok is false when the store holds none yet (a new store,
// or one made before the check existed): recordMasterKey writes it once
// the key has been seen to open the store's secrets.
func checkMasterKey(ctx context.Context, st store.Store, sealer *creds.Sealer, shared bool) (ok bool, err error) {
	sealed, ok, err := st.Meta(ctx, masterKeyMeta)
	if err != nil || !ok {
		return false, err
	}
	plain, err := sealer.Open(sealed, masterKeyMeta)
	if err != nil || string(plain) != string(masterKeyCheck) {
		if shared {
			return true, fmt.Errorf("%w: every node on one PostgreSQL database needs the same master.key, so copy it from the first node's data dir into this one's (mode 0600) before starting it", errOtherMasterKey)
		}
		return true, fmt.Errorf("%w: restore the data dir's own master.key from a backup", errOtherMasterKey)
	}
	return true, nil
}

// recordMasterKey writes the check value sealed with this key.
func recordMasterKey(ctx context.Context, st store.Store, sealer *creds.Sealer) error {
	sealed, err := sealer.Seal(masterKeyCheck, masterKeyMeta)
	if err != nil {
		return err
	}
	if err := st.SetMeta(ctx, masterKeyMeta, sealed); err != nil {
		return fmt.Errorf("record the master key's check value: %w", err)
	}
	return nil
}
