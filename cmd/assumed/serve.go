package main

import (
	"context"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/assumed-dev/assumed/internal/app"
	"github.com/assumed-dev/assumed/internal/world"
)

// serveOptions are the flags of `assumed serve`.
type serveOptions struct {
	listen  string
	dataDir string
	config  string
	pprof   bool
	// publicURL and oidcAllowHTTP: see app.Options.
	publicURL     string
	oidcAllowHTTP bool
	// tls: see app.Options.TLS.
	tls bool
	// metricsListen: see app.Options.MetricsListen.
	metricsListen string
	// backend: see app.Options.Backend.
	backend string
	// allowReset: see app.Options.AllowReset.
	allowReset bool
	// denialDetail: see app.Options.DenialDetail.
	denialDetail string
	// store: see app.Options.Store.
	store string
	// audit: the audit trail's flags (trail.go).
	audit auditFlags
	log   logFlags
	// ready, when set, is called with the bound address once the server
	// accepts requests (tests use it).
	ready func(addr string)
}

func newServeCommand(s streams) *cobra.Command {
	opt := serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the AWS APIs (IAM, STS, EKS Pod Identity) on one port",
		Long: `Serve the AWS APIs on one port, on the embedded store in the data directory
(or on a PostgreSQL database, with --store postgres://…).

On start, DATA-DIR/credentials holds one profile per account, named after the
account, with that account's root access key, so that

  AWS_SHARED_CREDENTIALS_FILE=DATA-DIR/credentials AWS_CONFIG_FILE=DATA-DIR/config \
  AWS_ENDPOINT_URL=http://127.0.0.1:4599 aws --profile default iam get-user

works with no other step.

With --tls the APIs are served over HTTPS, with a certificate issued by the
data directory's own CA (made on first use and kept: DATA-DIR/ca.pem). Trust
that file: AWS_CA_BUNDLE=DATA-DIR/ca.pem for the AWS CLI and SDKs, and
custom_ca_bundle in Terraform's aws provider.

The listeners are bound first: when a port is taken, serve fails at once
and creates or changes nothing in the data directory. A data directory
serve creates, or one holding only assumed's files, gets a .gitignore of
"*" (it holds secrets). One server runs per data directory
(DATA-DIR/assumed.lock names the one holding it).

It logs to standard error (--log-level, --log-format) and runs until
SIGINT (Ctrl-C) or SIGTERM, then finishes the requests in flight and
releases the data directory.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			opt.audit.resolve(cmd)
			return runServe(ctx, opt, s.err)
		},
	}
	cmd.Flags().StringVar(&opt.listen, "listen", defaultListen(), "address to listen on (default 127.0.0.1:$ASSUMED_PORT when ASSUMED_PORT is set)")
	cmd.Flags().StringVar(&opt.dataDir, "data-dir", ".assumed", "directory for the database, keys and the credentials file")
	cmd.Flags().BoolVar(&opt.pprof, "pprof", false, "serve Go's profiler under /_assumed/debug/pprof/ (for benchmarks)")
	cmd.Flags().BoolVar(&opt.tls, "tls", false, "serve HTTPS with a certificate of the data dir's own CA (DATA-DIR/ca.pem: trust it with AWS_CA_BUNDLE); the certificate names the listen address, localhost, 127.0.0.1, ::1 and the --public-url host")
	cmd.Flags().StringVar(&opt.publicURL, "public-url", "", "URL clients reach this server at; cluster OIDC issuer URLs and endpoints are built from it (default http://LISTEN-ADDRESS, https:// with --tls). A host without a port, such as https://oidc.assumed.test, gives issuer URLs AWS's rules (and Terraform) accept; assumed verifies them from memory, so the name needs no DNS")
	cmd.Flags().BoolVar(&opt.oidcAllowHTTP, "oidc-allow-http", false, "accept web-identity issuers over plain http and OIDC provider URLs with a port (local issuers in tests and labs)")
	cmd.Flags().StringVar(&opt.metricsListen, "metrics-listen", "", "serve /_assumed/metrics on this address of its own (e.g. 127.0.0.1:9599) instead of the API listener")
	cmd.Flags().StringVar(&opt.backend, "backend", "", "where the resources of every other AWS service live (S3, DynamoDB, ECR, …): \"moto\" starts moto_server from PATH (pip install 'moto[server]') on a private Unix socket, or the http(s)://HOST:PORT or unix:///PATH (a Unix socket) of a running moto, LocalStack or other AWS-compatible server; requests are authorized here, then forwarded to it. Without it, other services answer with an error saying how to add one")
	cmd.Flags().StringVar(&opt.denialDetail, "denial-detail", "full", "what a refusal tells the caller: full (AWS's text and the reason in plain words) or aws (AWS's exact texts only); both carry an encoded authorization message (see docs/explain.md)")
	cmd.Flags().BoolVar(&opt.allowReset, "allow-reset", false, "let any caller with valid credentials POST /_assumed/reset (back to the world file's state), not only the accounts' root users; see docs/admin-endpoints.md")
	cmd.Flags().StringVar(&opt.store, "store", "", "where the state lives: sqlite (the default: DATA-DIR/assumed.db) or a PostgreSQL URL, postgres://USER:PASSWORD@HOST:PORT/DB?sslmode=…, for several nodes on one database; the password may come from PGPASSWORD or ~/.pgpass instead (the data dir still holds the master key, which the nodes must share, the CA and the credentials file)")
	cmd.Flags().StringVar(&opt.config, "config", "", "world file (YAML) declaring the accounts; default: one account 000000000000 named default")
	opt.audit.add(cmd)
	opt.log.add(cmd)
	return cmd
}

// runServe loads the world file and runs the server until ctx ends.
func runServe(ctx context.Context, opt serveOptions, logOut io.Writer) error {
	var w *world.World
	if opt.config != "" {
		var err error
		if w, err = world.Load(opt.config); err != nil {
			return inputError(err)
		}
	}
	// A server that could not start or stopped on an error is not a
	// mistake in the command line: exit 1, without pointing to --help.
	if err := app.Run(ctx, app.Options{Listen: opt.listen, DataDir: opt.dataDir, World: w, WorldFile: opt.config, Pprof: opt.pprof, Ready: opt.ready, PublicURL: opt.publicURL, TLS: opt.tls, OIDCAllowHTTP: opt.oidcAllowHTTP, MetricsListen: opt.metricsListen, Backend: opt.backend, AllowReset: opt.allowReset, DenialDetail: opt.denialDetail, Store: opt.store,
		AuditLog: opt.audit.path, AuditLogMaxSize: opt.audit.maxSize, AuditLogMaxFiles: opt.audit.maxFiles, Logger: opt.log.logger(logOut)}, logOut); err != nil {
		return &exitError{code: exitFailure, err: err}
	}
	return nil
}

// defaultListen is serve's default address: 127.0.0.1:4599, or
// 127.0.0.1:$ASSUMED_PORT when ASSUMED_PORT is set (the docs' harness gives
// each page a port of its own this way, and a reader may too).
func defaultListen() string {
	if p := os.Getenv("ASSUMED_PORT"); p != "" {
		return net.JoinHostPort("127.0.0.1", p)
	}
	return "127.0.0.1:4599"
}
