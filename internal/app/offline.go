package app

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"

	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/datadir"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/eks"
	"github.com/assumed-dev/assumed/internal/gateway"
	"github.com/assumed-dev/assumed/internal/iam"
	"github.com/assumed-dev/assumed/internal/store"
	"github.com/assumed-dev/assumed/internal/store/storeopen"
	"github.com/assumed-dev/assumed/internal/sts"
)

// Offline is a data dir's state read from its store directly, with no
// server running: what `assumed explain --data-dir` decides against. It
// holds the data dir, as a server does (one process per data dir), until
// Close; it writes nothing to the state.
type Offline struct {
	dir  *datadir.Dir // nil on a shared store: nodes hold their dirs
	st   store.Store
	snap *directory.Snapshot
	// sts opens the session tokens the data dir's server issued; nil when
	// it never issued any.
	sts *sts.Service
}

// OpenOffline loads the directory of the data dir at path, which a
// server must have run on (it has a database and a master key). It fails
// with a *datadir.LockedError, wrapped, while a server holds the
// directory.
func OpenOffline(ctx context.Context, path string, log *slog.Logger) (*Offline, error) {
	return OpenOfflineStore(ctx, path, "", log)
}

// OpenOfflineStore is OpenOffline on the store spec names (serve's
// --store): "" or "sqlite" for the data dir's own database; a
// postgres:// URL for the database several nodes share, with path the
// data dir of one of them, for its master key. The nodes may be running:
// the data dir is not locked, and nothing is written.
func OpenOfflineStore(ctx context.Context, path, spec string, log *slog.Logger) (o *Offline, err error) {
	shared := spec != "" && spec != "sqlite"
	files := []string{datadir.DatabaseFile, datadir.MasterKeyFile}
	if shared {
		files = files[1:]
	}
	for _, name := range files {
		if _, err := os.Stat(filepath.Join(path, name)); errors.Is(err, fs.ErrNotExist) {
			if shared {
				return nil, fmt.Errorf("%s has no %s: give the data dir of one of the nodes serving %s", path, name, storeopen.Describe(spec, ""))
			}
			return nil, fmt.Errorf("%s is not the data dir of an assumed server: it has no %s (start `assumed serve --data-dir %s` once to create it)", path, name, path)
		} else if err != nil {
			return nil, fmt.Errorf("data dir %s: %w", path, err)
		}
	}
	off := &Offline{}
	o = off
	defer func() {
		if err != nil {
			off.Close()
		}
	}()
	var key []byte
	if shared {
		if key, err = creds.LoadOrCreateMasterKey(filepath.Join(path, datadir.MasterKeyFile)); err != nil {
			return nil, fmt.Errorf("data dir %s: %w", path, err)
		}
	} else {
		dir, err := datadir.Open(path, log)
		if err != nil {
			var le *datadir.LockedError
			if errors.As(err, &le) {
				return nil, fmt.Errorf("%w; to ask that server instead, drop --data-dir and point AWS_ENDPOINT_URL (or --endpoint-url) at it", err)
			}
			return nil, err
		}
		o.dir = dir
		if key, err = dir.MasterKey(); err != nil {
			return nil, err
		}
	}
	sealer, err := creds.NewSealer(key)
	if err != nil {
		return nil, fmt.Errorf("data dir %s: %w", path, err)
	}
	if o.st, err = storeopen.Open(ctx, spec, filepath.Join(path, datadir.DatabaseFile)); err != nil {
		return nil, err
	}
	if _, err := checkMasterKey(ctx, o.st, sealer, shared); err != nil {
		return nil, fmt.Errorf("data dir %s: %w", path, err)
	}
	decoders := eks.Decoders(sealer)
	maps.Copy(decoders, gateway.Decoders())
	svc, err := iam.New(ctx, o.st, sealer, log, decoders)
	if err != nil {
		return nil, fmt.Errorf("data dir %s: %w", path, err)
	}
	o.snap = svc.Directory().Snapshot()
	// The session key ring, read as it is: rotating it is the server's
	// business.
	sealed, ok, err := o.st.Meta(ctx, keyRingMeta)
	if err != nil {
		return nil, fmt.Errorf("data dir %s: read the session key ring: %w", path, err)
	}
	if ok {
		plain, err := sealer.Open(sealed, keyRingMeta)
		if err != nil {
			return nil, fmt.Errorf("data dir %s: open the session key ring (is this the data dir's own master key?): %w", path, err)
		}
		ring, err := creds.UnmarshalKeyRing(plain)
		if err != nil {
			return nil, fmt.Errorf("data dir %s: decode the session key ring: %w", path, err)
		}
		o.sts = sts.New(svc.Directory(), ring)
	}
	return o, nil
}

// Snapshot is the directory as the store holds it.
func (o *Offline) Snapshot() *directory.Snapshot { return o.snap }

// CallerARN returns the ARN of the principal that signs with these
// credentials, as the server would authenticate them (without a request
// to verify): a long-term key of the store, or temporary credentials
// whose session token the data dir's server issued and which have not
// expired.
func (o *Offline) CallerARN(accessKeyID, secret, sessionToken string) (string, error) {
	if strings.HasPrefix(accessKeyID, creds.PrefixTemporaryAccessKey) {
		if o.sts == nil {
			return "", fmt.Errorf("access key %s is temporary, and this data dir's server never issued a session", accessKeyID)
		}
		sess, err := o.sts.OpenSession(sessionToken)
		if err != nil {
			return "", fmt.Errorf("the session token of access key %s: %w", accessKeyID, err)
		}
		if sess.AccessKeyID != accessKeyID || subtle.ConstantTimeCompare([]byte(sess.Secret), []byte(secret)) != 1 {
			return "", fmt.Errorf("access key %s does not belong to its session token", accessKeyID)
		}
		if sess.UserName != "" {
			return o.snap.CallerFor(&directory.AccessKey{AccountID: sess.AccountID, UserName: sess.UserName}).ARN, nil
		}
		return sess.ARN(), nil
	}
	k, ok := o.snap.AccessKeys[accessKeyID]
	if !ok || k.Status != directory.StatusActive || subtle.ConstantTimeCompare([]byte(k.Secret), []byte(secret)) != 1 {
		return "", fmt.Errorf("access key %s is not an active key of this data dir (or its secret is not the key's)", accessKeyID)
	}
	return o.snap.CallerFor(k).ARN, nil
}

// Close releases the store and the data dir.
func (o *Offline) Close() error {
	var errs []error
	if o.st != nil {
		errs = append(errs, o.st.Close())
		o.st = nil
	}
	if o.dir != nil {
		errs = append(errs, o.dir.Close())
		o.dir = nil
	}
	return errors.Join(errs...)
}
