package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/iam"
	"github.com/assumed-dev/assumed/internal/server"
	"github.com/assumed-dev/assumed/internal/store/sqlite"
	"github.com/assumed-dev/assumed/internal/world"
)

// serveOptions are the flags of `assumed serve`.
type serveOptions struct {
	listen  string
	dataDir string
	config  string
	// ready, when set, is called with the bound address once the server
	// accepts requests (tests use it).
	ready func(addr string)
}

func newServeCommand(s streams) *cobra.Command {
	opt := serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the AWS APIs (IAM, STS, EKS Pod Identity) on one port",
		Long: `Serve the AWS APIs on one port, on the embedded store in the data directory.

On start, DATA-DIR/credentials holds one profile per account, named after the
account, with that account's root access key, so that

  AWS_SHARED_CREDENTIALS_FILE=DATA-DIR/credentials AWS_CONFIG_FILE=DATA-DIR/config \
  AWS_ENDPOINT_URL=http://127.0.0.1:4599 aws --profile default iam get-user

works with no other step.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runServe(ctx, opt, s.err)
		},
	}
	cmd.Flags().StringVar(&opt.listen, "listen", "127.0.0.1:4599", "address to listen on")
	cmd.Flags().StringVar(&opt.dataDir, "data-dir", ".assumed", "directory for the database, keys and the credentials file")
	cmd.Flags().StringVar(&opt.config, "config", "", "world file (YAML) declaring the accounts; default: one account 000000000000 named default")
	return cmd
}

// runServe runs the server until ctx ends, then shuts it down gracefully.
func runServe(ctx context.Context, opt serveOptions, logOut io.Writer) error {
	log := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelInfo}))
	w := world.Default()
	if opt.config != "" {
		var err error
		if w, err = world.Load(opt.config); err != nil {
			return inputError(err)
		}
	}
	if err := os.MkdirAll(opt.dataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	key, err := creds.LoadOrCreateMasterKey(filepath.Join(opt.dataDir, "master.key"))
	if err != nil {
		return err
	}
	sealer, err := creds.NewSealer(key)
	if err != nil {
		return err
	}
	st, err := sqlite.Open(ctx, filepath.Join(opt.dataDir, "assumed.db"))
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Error("close store", "err", err)
		}
	}()
	svc, err := iam.New(ctx, st, sealer, log)
	if err != nil {
		return err
	}
	if err := svc.EnsureAccounts(ctx, w.Accounts); err != nil {
		return err
	}
	if err := writeProfiles(opt.dataDir, svc.Directory().Snapshot(), w.Accounts); err != nil {
		return err
	}
	srv := server.New(log, svc)
	if err := srv.Listen(opt.listen); err != nil {
		return err
	}
	addr := srv.Addr().String()
	log.Info("assumed is serving", "addr", addr, "data_dir", opt.dataDir, "credentials", filepath.Join(opt.dataDir, "credentials"))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve() }()
	if opt.ready != nil {
		opt.ready(addr)
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return err
	}
	return <-errc
}

// writeProfiles writes DIR/credentials (root keys, one profile per account,
// mode 0600) and DIR/config (a region per profile), replacing both
// atomically.
func writeProfiles(dir string, snap *directory.Snapshot, accounts []world.Account) error {
	names := make([]world.Account, len(accounts))
	copy(names, accounts)
	sort.Slice(names, func(i, j int) bool { return names[i].Name < names[j].Name })
	var credsFile, configFile strings.Builder
	credsFile.WriteString("# Written by assumed serve: the root access key of each account.\n")
	configFile.WriteString("# Written by assumed serve.\n")
	for _, a := range names {
		k, ok := snap.RootKey(a.ID)
		if !ok {
			return fmt.Errorf("account %s has no active root key", a.ID)
		}
		// The region here is read by botocore (the AWS CLI v1, boto3), so
		// the credentials file alone is enough for them.
		fmt.Fprintf(&credsFile, "\n[%s]\n# account %s\naws_access_key_id = %s\naws_secret_access_key = %s\nregion = us-east-1\n", a.Name, a.ID, k.AccessKeyID, k.Secret)
		section := "profile " + a.Name
		if a.Name == "default" {
			section = "default"
		}
		fmt.Fprintf(&configFile, "\n[%s]\nregion = us-east-1\n", section)
	}
	if err := writeFileAtomic(filepath.Join(dir, "credentials"), credsFile.String(), 0o600); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, "config"), configFile.String(), 0o600)
}

func writeFileAtomic(path, content string, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.WriteString(content); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, errors.Unwrap(err))
	}
	return nil
}
