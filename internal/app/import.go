package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"

	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/datadir"
	"github.com/assumed-dev/assumed/internal/eks"
	"github.com/assumed-dev/assumed/internal/gateway"
	"github.com/assumed-dev/assumed/internal/iam"
	"github.com/assumed-dev/assumed/internal/store/sqlite"
)

// Import writes accounts into the data dir at path, with no server
// running, in one write: every account or none (see iam.Service.Import:
// an account the data dir hosts already has its IAM contents replaced).
// The data dir is created if it is missing, with its master key and
// database, as a server creates it; when the import fails, a data dir it
// created is removed again. It fails with a *datadir.LockedError,
// wrapped, while a server holds the data dir.
//
// The state goes into the data dir's SQLite database: a server started
// with --store postgres:// does not see it.
func Import(ctx context.Context, path string, accounts []iam.ImportedAccount, log *slog.Logger) (res *iam.ImportResult, err error) {
	_, statErr := os.Stat(path)
	created := errors.Is(statErr, fs.ErrNotExist)
	dir, err := datadir.Open(path, log)
	if err != nil {
		var le *datadir.LockedError
		if errors.As(err, &le) {
			return nil, fmt.Errorf("%w; an import replaces accounts under a running server's feet, so stop it, import, and start it again", err)
		}
		return nil, err
	}
	defer func() {
		if cerr := dir.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil && created {
			if rerr := os.RemoveAll(path); rerr != nil {
				log.Warn("remove the data dir the failed import created", "dir", path, "err", rerr)
			}
		}
	}()
	return importInto(ctx, dir, accounts, log)
}

// importInto opens the store of a data dir this process holds and
// imports the accounts into it.
func importInto(ctx context.Context, dir *datadir.Dir, accounts []iam.ImportedAccount, log *slog.Logger) (res *iam.ImportResult, err error) {
	key, err := dir.MasterKey()
	if err != nil {
		return nil, err
	}
	sealer, err := creds.NewSealer(key)
	if err != nil {
		return nil, fmt.Errorf("data dir %s: %w", dir.Path(), err)
	}
	st, err := sqlite.Open(ctx, dir.DatabasePath())
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := st.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close the store: %w", cerr)
		}
	}()
	keyChecked, err := checkMasterKey(ctx, st, sealer, false)
	if err != nil {
		return nil, err
	}
	decoders := eks.Decoders(sealer)
	maps.Copy(decoders, gateway.Decoders())
	svc, err := iam.New(ctx, st, sealer, log, decoders)
	if err != nil {
		return nil, fmt.Errorf("data dir %s: %w", dir.Path(), err)
	}
	if !keyChecked {
		// The key opened the store's secrets (or there are none yet).
		if err := recordMasterKey(ctx, st, sealer); err != nil {
			return nil, err
		}
	}
	return svc.Import(ctx, accounts)
}
