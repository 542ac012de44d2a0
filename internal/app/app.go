// Package app assembles and runs an assumed server: data directory,
// master key, store, services, profiles file and HTTP listener. The
// command line and the tests start servers through it.
package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/assumed-dev/assumed/internal/backend"
	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/datadir"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/eks"
	"github.com/assumed-dev/assumed/internal/eksauth"
	"github.com/assumed-dev/assumed/internal/gateway"
	"github.com/assumed-dev/assumed/internal/iam"
	"github.com/assumed-dev/assumed/internal/oidc"
	"github.com/assumed-dev/assumed/internal/server"
	"github.com/assumed-dev/assumed/internal/store"
	"github.com/assumed-dev/assumed/internal/store/storeopen"
	"github.com/assumed-dev/assumed/internal/sts"
	"github.com/assumed-dev/assumed/internal/tlsca"
	"github.com/assumed-dev/assumed/internal/world"
)

// Options say how to run a server.
type Options struct {
	Listen  string       // "127.0.0.1:4599"; port 0 picks a free one
	DataDir string       // created if needed
	World   *world.World // the accounts; nil means world.Default()
	// WorldFile names the world's file in error messages.
	WorldFile string
	// Store is where the state lives: "" or "sqlite" for the data dir's
	// SQLite database, or a postgres:// URL (see package storeopen). The
	// data dir still holds the master key, CA and credentials file.
	Store string
	// Pprof serves Go's profiler under /_assumed/debug/pprof/.
	Pprof bool
	// PublicURL is the URL clients reach the server at; cluster issuer
	// URLs and endpoints are built from it. Empty means
	// http://LISTEN-ADDRESS (https:// with TLS).
	PublicURL string
	// TLS serves the APIs over HTTPS with a certificate of the data
	// dir's own CA (DIR/ca.pem, see package tlsca).
	TLS bool
	// OIDCAllowHTTP accepts web-identity issuers (and OIDC provider URLs)
	// over plain http, with a port: for local issuers in tests and labs.
	OIDCAllowHTTP bool
	// Ready, when set, is called with the bound address once the server
	// accepts requests.
	Ready func(addr string)
	// MetricsListen, when set, is the address of a listener of its own
	// for /_assumed/metrics (and health); the API listener then does not
	// serve metrics.
	MetricsListen string
	// MetricsReady, when set, is called with the metrics listener's bound
	// address.
	MetricsReady func(addr string)
	// Limits bound requests before authentication; zero fields take
	// server.DefaultLimits.
	Limits server.Limits
	// Logger receives the server's log lines; nil means text lines at
	// Info to Run's logOut.
	Logger *slog.Logger
	// Backend holds the resources of every service assumed does not serve
	// itself: "moto" starts moto_server as a child process (on a private
	// Unix socket), an http(s) URL or unix:///PATH names one already
	// running (see backend.Start); "" means none.
	Backend string
	// AllowReset lets any authenticated caller POST /_assumed/reset, not
	// only the root users of the accounts (see reset.go).
	AllowReset bool
	// DenialDetail is what refusals tell the caller: "full" (the
	// default: AWS's text and assumed's reason) or "aws" (AWS's texts
	// only). Both carry an encoded authorization message.
	DenialDetail string
	// AuditLog is the audit trail's file (see package audit): "" means
	// DATA-DIR/audit.log, AuditLogOff none. AuditLogMaxSize (bytes) and
	// AuditLogMaxFiles bound it; zero takes the audit package's defaults.
	AuditLog         string
	AuditLogMaxSize  int64
	AuditLogMaxFiles int
}

// Run runs a server until ctx ends, then shuts it down gracefully.
//
// It binds its listeners before anything else: a server that cannot
// listen (the port is taken) leaves no new data dir behind and changes
// nothing in an existing one.
func Run(ctx context.Context, opt Options, logOut io.Writer) error {
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	w := opt.World
	if w == nil {
		w = world.Default()
	}
	ln, err := listen(opt.Listen, "--listen")
	if err != nil {
		return err
	}
	var metricsLn net.Listener
	serving := false
	defer func() {
		if !serving {
			ln.Close()
			if metricsLn != nil {
				metricsLn.Close()
			}
		}
	}()
	if opt.MetricsListen != "" {
		if metricsLn, err = listen(opt.MetricsListen, "--metrics-listen"); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
	}
	// Then the data dir's lock, before its key and its database; it is
	// released last, once the store is closed: one server per data dir.
	dir, err := datadir.Open(opt.DataDir, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := dir.Close(); err != nil {
			log.Error("release the data dir", "err", err)
		}
	}()
	key, err := dir.MasterKey()
	if err != nil {
		return err
	}
	// The data dir's CA: it signs the HTTPS listener's certificate and is
	// the simulated clusters' certificateAuthority, with or without TLS.
	ca, created, err := tlsca.Load(dir.Path(), time.Now())
	if err != nil {
		return fmt.Errorf("data dir %s: %w", opt.DataDir, err)
	}
	if created {
		log.Info("created the data dir's certificate authority", "ca_file", ca.CertPath(), "ca_sha256", ca.Fingerprint())
	}
	sealer, err := creds.NewSealer(key)
	if err != nil {
		return err
	}
	st, err := storeopen.Open(ctx, opt.Store, dir.DatabasePath())
	if err != nil {
		return err
	}
	log.Info("opened the store", "store", storeopen.Describe(opt.Store, dir.DatabasePath()))
	defer func() {
		if err := st.Close(); err != nil {
			log.Error("close store", "err", err)
		}
	}()
	_, isShared := st.(directory.SharedStore)
	keyChecked, err := checkMasterKey(ctx, st, sealer, isShared)
	if err != nil {
		return err
	}
	decoders := eks.Decoders(sealer)
	maps.Copy(decoders, gateway.Decoders())
	svc, err := iam.New(ctx, st, sealer, log, decoders)
	if err != nil {
		return err
	}
	shared, err := shareStore(ctx, st, svc)
	if err != nil {
		return err
	}
	eksSvc := eks.New(svc.Writer(), sealer, log)
	eksSvc.SetCertificateAuthority(ca.CertPEM())
	ring, err := loadKeyRing(ctx, st, sealer, time.Now())
	if err != nil {
		return err
	}
	if !keyChecked {
		// The key opened the store's secrets (or there are none yet).
		if err := recordMasterKey(ctx, st, sealer); err != nil {
			return err
		}
	}
	if shared {
		// Nodes starting together may each have created a ring: take the
		// one that was stored last, which all will use. Nodes started
		// together on a new store with different master keys: the last
		// check value written wins, and the others stop here.
		time.Sleep(200 * time.Millisecond)
		if _, err := checkMasterKey(ctx, st, sealer, true); err != nil {
			return err
		}
		if ring, err = loadKeyRing(ctx, st, sealer, time.Now()); err != nil {
			return err
		}
	}
	stsSvc := sts.New(svc.Directory(), ring)
	if shared {
		go followShared(ctx, st, svc, sealer, stsSvc, log)
	}
	// Pod tokens are verified with the clusters' keys in memory only.
	eksAuthSvc := eksauth.New(svc.Directory(), stsSvc, oidc.NewVerifier(oidc.VerifierConfig{Local: eksSvc.LocalKeys}), eksSvc.IssuerURL)
	// The resource gateway's backend (nil without --backend). It outlives
	// ctx, to answer requests in flight while the server shuts down, and
	// is stopped when Run returns, before the data dir is released.
	var bk *backend.Backend
	if opt.Backend != "" {
		if bk, err = backend.Start(context.WithoutCancel(ctx), opt.Backend, log); err != nil {
			return err
		}
		defer func() {
			if err := bk.Close(); err != nil {
				log.Error("stop the backend", "err", err)
			}
		}()
		log.Info("resource backend", "kind", bk.Kind, "url", bk.Addr(), "pid", bk.PID())
	}
	srv := server.New(log, svc, stsSvc, eksSvc, eksAuthSvc)
	// Every other service goes through the resource gateway; without a
	// backend it answers, in each service's protocol, how to add one.
	var fwd *gateway.Forwarder
	if bk != nil {
		fwd = gateway.NewForwarder(bk, log)
		defer fwd.Close()
	}
	gw, err := gateway.New(gateway.Config{Log: log, Writer: svc.Writer(), Forwarder: fwd})
	if err != nil {
		return err
	}
	srv.SetGateway(gw)
	srv.SetLimits(opt.Limits)
	closeAudit, err := openAudit(srv, opt, log)
	if err != nil {
		return err
	}
	defer closeAudit()
	if opt.DenialDetail != "" {
		if err := srv.SetDenialDetail(opt.DenialDetail); err != nil {
			return fmt.Errorf("--denial-detail: %w", err)
		}
	}
	if opt.Pprof {
		srv.EnablePprof()
	}
	// The issuer URLs of the world's clusters are built from the address
	// clients reach.
	srv.UseListener(ln)
	if metricsLn != nil {
		srv.UseMetricsListener(metricsLn)
	}
	addr := srv.Addr().String()
	scheme := "http://"
	if opt.TLS {
		scheme = "https://"
	}
	publicURL := opt.PublicURL
	if publicURL == "" {
		publicURL = scheme + addr
	}
	if opt.TLS {
		names := tlsca.ServerNames(opt.Listen, addr, publicURL)
		cert, issued, err := ca.ServerCertificate(names, time.Now())
		if err != nil {
			return fmt.Errorf("data dir %s: %w", opt.DataDir, err)
		}
		if issued {
			log.Info("issued the server certificate", "names", strings.Join(names, ","), "not_after", cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
		}
		srv.SetTLS(&tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12})
	}
	eksSvc.SetPublicURL(publicURL)
	stsSvc.SetWebIdentityVerifier(oidc.NewVerifier(oidc.VerifierConfig{AllowHTTP: opt.OIDCAllowHTTP, Local: eksSvc.LocalKeys}))
	svc.AllowProviderURLs(func(raw string) bool {
		return eksSvc.IsOwnIssuer(raw) || (opt.OIDCAllowHTTP && labIssuerURL(raw))
	})
	// A reset applies the world as read, with the steps below (reset.go's
	// build): keep the two alike.
	pristine := w.Clone()
	// Clusters first: the IAM contents may name their issuers.
	if err := eksSvc.ApplyWorld(ctx, opt.WorldFile, w); err != nil {
		return fmt.Errorf("apply the world file: %w", err)
	}
	if err := w.ResolveIssuers(opt.WorldFile, eksSvc.IssuerOf); err != nil {
		return fmt.Errorf("apply the world file: %w", err)
	}
	if err := svc.ApplyWorld(ctx, opt.WorldFile, w); err != nil {
		return fmt.Errorf("apply the world file: %w", err)
	}
	if err := eksSvc.ApplyWorldAssociations(ctx, opt.WorldFile, w); err != nil {
		return fmt.Errorf("apply the world file: %w", err)
	}
	if err := writeProfiles(opt.DataDir, svc.Directory().Snapshot(), w.Accounts); err != nil {
		return err
	}
	resets, err := newResetter(resetConfig{Log: log, IAM: svc, Sealer: sealer, Decoders: decoders, World: pristine, Options: opt,
		PublicURL: publicURL, CAPEM: ca.CertPEM(), Backend: bk, Gateway: gw,
		AllowProviderURL: func(raw string) bool { return eksSvc.IsOwnIssuer(raw) || (opt.OIDCAllowHTTP && labIssuerURL(raw)) }})
	if err != nil {
		return err
	}
	srv.SetAdmin(resets.admin(opt))
	consoleToken, err := server.NewConsoleToken()
	if err != nil {
		return err
	}
	if err := srv.SetConsole(consoleAssets(), consoleToken); err != nil {
		return err
	}
	if err := datadir.WriteFile(filepath.Join(opt.DataDir, datadir.ConsoleTokenFile), []byte(consoleToken+"\n"), 0o600); err != nil {
		return fmt.Errorf("write the console token: %w", err)
	}
	go rotateKeyRing(ctx, st, sealer, stsSvc, log, time.Hour)
	go pruneSigningKeys(ctx, eksSvc, log, time.Hour)
	metricsAt := addr
	if a := srv.MetricsAddr(); a != nil {
		metricsAt = a.String()
	}
	caFile, err := filepath.Abs(ca.CertPath())
	if err != nil {
		caFile = ca.CertPath()
	}
	// ca_file is for AWS_CA_BUNDLE and Terraform's custom_ca_bundle.
	log.Info("assumed is serving", "addr", addr, "tls", opt.TLS, "metrics_addr", metricsAt, "public_url", publicURL, "data_dir", opt.DataDir, "credentials", filepath.Join(opt.DataDir, "credentials"), "ca_file", caFile)
	// The console's address with its token, which sees every account
	// (also in DATA-DIR/console-token).
	log.Info("console", "url", publicURL+"/_assumed/console/#token="+consoleToken)
	errc := make(chan error, 1)
	serving = true
	go func() { errc <- srv.Serve() }()
	if opt.MetricsReady != nil && srv.MetricsAddr() != nil {
		opt.MetricsReady(srv.MetricsAddr().String())
	}
	if opt.Ready != nil {
		opt.Ready(addr)
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

// listen binds addr (given with flag), saying what to do when the port
// is taken.
func listen(addr, flag string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("%w: another process (another assumed serve?) listens there; stop it, or pass %s with another address (port 0 picks a free one)", err, flag)
	}
	if err != nil {
		return nil, err
	}
	return ln, nil
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
	if err := datadir.WriteFile(filepath.Join(dir, "credentials"), []byte(credsFile.String()), 0o600); err != nil {
		return err
	}
	return datadir.WriteFile(filepath.Join(dir, "config"), []byte(configFile.String()), 0o600)
}

// pruneSigningKeys drops the cluster issuers' retired signing keys once
// every token they signed has expired, every interval until ctx ends.
func pruneSigningKeys(ctx context.Context, eksSvc *eks.Service, log *slog.Logger, interval time.Duration) {
	every(ctx, interval, func(time.Time) {
		if err := eksSvc.PruneSigningKeys(ctx); err != nil && ctx.Err() == nil {
			log.Error("prune cluster signing keys", "err", err)
		}
	})
}

// every calls fn every interval until ctx ends.
func every(ctx context.Context, interval time.Duration, fn func(now time.Time)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			fn(now)
		}
	}
}

// labIssuerURL accepts an http or https issuer URL with a host, an
// optional port and path, and nothing else: with --oidc-allow-http, IAM
// takes such URLs for OIDC providers although AWS would not.
func labIssuerURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil &&
		u.RawQuery == "" && u.Fragment == "" && !strings.ContainsAny(u.Host, " @")
}

// Session key ring rotation: a new key every day; old keys are kept for two
// days, longer than any session lives (36 h for GetSessionToken), so no
// live token loses its key.
const (
	keyRingMeta   = "session-keyring"
	rotateAfter   = 24 * time.Hour
	retainRingKey = 48 * time.Hour
)

// rotateKeyRing checks the session key ring every interval until ctx ends:
// it rereads the stored ring (another node may have rotated it), rotates
// it when due, stores it, and hands it to STS.
func rotateKeyRing(ctx context.Context, st store.Store, sealer *creds.Sealer, stsSvc *sts.Service, log *slog.Logger, interval time.Duration) {
	every(ctx, interval, func(now time.Time) {
		ring, err := loadKeyRing(ctx, st, sealer, now)
		if err != nil {
			if ctx.Err() == nil {
				log.Error("rotate the session key ring", "err", err)
			}
			return
		}
		stsSvc.SetSealer(ring)
	})
}

// loadKeyRing reads the session-token key ring from the store (sealed with
// the master key), creating or rotating it as needed.
func loadKeyRing(ctx context.Context, st store.Store, sealer *creds.Sealer, now time.Time) (*creds.KeyRing, error) {
	var ring *creds.KeyRing
	sealed, ok, err := st.Meta(ctx, keyRingMeta)
	if err != nil {
		return nil, err
	}
	if ok {
		plain, err := sealer.Open(sealed, keyRingMeta)
		if err != nil {
			return nil, fmt.Errorf("open the session key ring (is this the data dir's own master key?): %w", err)
		}
		if ring, err = creds.UnmarshalKeyRing(plain); err != nil {
			return nil, fmt.Errorf("decode the session key ring: %w", err)
		}
	} else {
		k, err := creds.GenerateRingKey(1, now)
		if err != nil {
			return nil, err
		}
		if ring, err = creds.NewKeyRing([]creds.RingKey{k}); err != nil {
			return nil, err
		}
	}
	rotated, changed, err := ring.Rotate(now, rotateAfter, retainRingKey)
	if err != nil {
		return nil, fmt.Errorf("rotate the session key ring: %w", err)
	}
	if ok && !changed {
		return ring, nil
	}
	plain, err := rotated.Marshal()
	if err != nil {
		return nil, err
	}
	sealedRing, err := sealer.Seal(plain, keyRingMeta)
	if err != nil {
		return nil, err
	}
	if err := st.SetMeta(ctx, keyRingMeta, sealedRing); err != nil {
		return nil, err
	}
	return rotated, nil
}
