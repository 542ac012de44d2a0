package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/assumed-dev/assumed/internal/agent"
	"github.com/assumed-dev/assumed/internal/directory"
)

// agentOptions are the flags of `assumed agent`.
type agentOptions struct {
	client        clientFlags
	cluster       string
	listen        string
	refreshBefore time.Duration
	rateLimit     float64
	burst         int
	maxEntries    int
	log           logFlags
	// probeInterval: see agent.Config.ProbeInterval (tests shorten it).
	probeInterval time.Duration
	// ready, when set, is called with the bound address once the agent
	// accepts requests (tests use it).
	ready func(addr string)
}

func newAgentCommand(s streams) *cobra.Command {
	opt := agentOptions{}
	cmd := &cobra.Command{
		Use:   "agent --cluster NAME",
		Short: "Run the EKS Pod Identity Agent of a node",
		Long: `Run the node-side EKS Pod Identity Agent: pods' AWS SDKs GET
/v1/credentials with their projected service-account token (audience
pods.eks.amazonaws.com) in the Authorization header, and the agent exchanges
it for the associated role's credentials with EKS Auth's
AssumeRoleForPodIdentity on the assumed server, caching them until shortly
before they expire.

The agent signs with the node's credentials, found like the AWS CLI finds
them (--profile, the environment, the shared files); they need
eks-auth:AssumeRoleForPodIdentity on the cluster.

Pods point at it with

  AWS_CONTAINER_CREDENTIALS_FULL_URI=http://LISTEN-ADDRESS/v1/credentials
  AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=/path/to/the/token

SDKs accept a plain-http container endpoint only on a loopback address,
169.254.170.2, 169.254.170.23 or fd00:ec2::23 (the real agent listens on
169.254.170.23:80 and [fd00:ec2::23]:80); the default listens on loopback.

GET /healthz (liveness) answers 200 while the agent runs. GET /readyz
(readiness) answers 200 when the agent's last contact with EKS Auth got an
answer and 503 when it could not reach it; when that contact is more than
10 s old, /readyz first probes the server (an unsigned GET of
ENDPOINT/_assumed/health, at most 3 s). It logs to standard error
(--log-level, --log-format) and runs until SIGINT (Ctrl-C) or SIGTERM.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opt.cluster == "" {
				return usageError(errors.New("--cluster is required"))
			}
			if !directory.ValidClusterName(opt.cluster) {
				return usageError(fmt.Errorf("--cluster %q is not a valid cluster name (1-100 letters, digits, - and _, starting with a letter or digit)", opt.cluster))
			}
			if _, _, err := net.SplitHostPort(opt.listen); err != nil {
				return usageError(fmt.Errorf("--listen %q: %w", opt.listen, err))
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runAgent(ctx, opt, s)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opt.cluster, "cluster", "", "name of the EKS cluster the node belongs to (required)")
	f.StringVar(&opt.listen, "listen", "127.0.0.1:2703", "address to serve pods on")
	f.StringVar(&opt.client.endpoint, "endpoint", "", "the assumed server's URL (default: AWS_ENDPOINT_URL_EKS_AUTH, then AWS_ENDPOINT_URL)")
	f.StringVar(&opt.client.profile, "profile", "", "AWS profile with the node's credentials (default: AWS_PROFILE, then the default chain)")
	f.StringVar(&opt.client.region, "region", "", "region (default: AWS_REGION or the profile's)")
	f.DurationVar(&opt.refreshBefore, "refresh-before", agent.DefaultRefreshBefore, "refresh credentials when less than max(this, a quarter of their lifetime) is left (at most half their lifetime)")
	f.Float64Var(&opt.rateLimit, "rate-limit", agent.DefaultRateLimit, "calls per second to EKS Auth on average (negative: unlimited)")
	f.IntVar(&opt.burst, "burst", agent.DefaultBurst, "calls to EKS Auth allowed in a burst")
	f.IntVar(&opt.maxEntries, "max-entries", agent.DefaultMaxEntries, "number of tokens whose credentials are cached")
	opt.log.add(cmd)
	return cmd
}

// runAgent serves the agent until ctx ends.
func runAgent(ctx context.Context, opt agentOptions, s streams) error {
	log := opt.log.logger(s.err)
	c, err := opt.client.client(ctx, "eks-auth")
	if err != nil {
		return inputError(err)
	}
	checkCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	if _, err := c.Config.Credentials.Retrieve(checkCtx); err != nil {
		log.Warn("no node credentials yet; credential requests will fail until there are", "error", err)
	}
	cancel()

	a := agent.New(agent.Config{
		Cluster:       opt.cluster,
		Upstream:      agent.NewEKSAuth(c),
		Log:           log,
		RefreshBefore: opt.refreshBefore,
		RateLimit:     opt.rateLimit,
		Burst:         opt.burst,
		MaxEntries:    opt.maxEntries,
		ProbeInterval: opt.probeInterval,
	})
	defer a.Close()

	ln, err := net.Listen("tcp", opt.listen)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			err = fmt.Errorf("%w: another process (another assumed agent?) listens there; stop it, or pass --listen with another address", err)
		}
		return &exitError{code: exitFailure, err: err}
	}
	addr := ln.Addr().String()
	if !sdkAcceptsHTTP(ln.Addr()) {
		log.Warn("SDKs accept a plain-http container credentials endpoint only on loopback, 169.254.170.2, 169.254.170.23 or fd00:ec2::23", "listen", addr)
	}
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("EKS Pod Identity Agent started", "cluster", opt.cluster, "listen", addr, "eks_auth", c.Endpoint)
	fmt.Fprintf(s.out, "assumed agent: serving credentials for cluster %s at http://%s%s\n", opt.cluster, addr, agent.CredentialsPath)
	if opt.ready != nil {
		opt.ready(addr)
	}
	// Say at once whether EKS Auth can be reached (a failure is logged).
	probeCtx, cancelProbe := context.WithTimeout(ctx, agent.DefaultProbeTimeout)
	_ = a.Reachable(probeCtx)
	cancelProbe()

	select {
	case err := <-served:
		return &exitError{code: exitFailure, err: fmt.Errorf("serve: %w", err)}
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancelShutdown := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancelShutdown()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return &exitError{code: exitFailure, err: fmt.Errorf("shut down: %w", err)}
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return &exitError{code: exitFailure, err: fmt.Errorf("serve: %w", err)}
	}
	return nil
}

// sdkAcceptsHTTP reports whether AWS SDKs accept http:// container
// credential endpoints at addr.
func sdkAcceptsHTTP(addr net.Addr) bool {
	ta, ok := addr.(*net.TCPAddr)
	if !ok {
		return false
	}
	ip := ta.IP
	return ip.IsLoopback() || ip.Equal(net.IPv4(169, 254, 170, 2)) || ip.Equal(net.IPv4(169, 254, 170, 23)) || ip.Equal(net.ParseIP("fd00:ec2::23"))
}
