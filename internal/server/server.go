// Package server is assumed's HTTP front: one listener for every API,
// routed by the SigV4 credential scope's service name (iam, sts, eks,
// eks-auth), with the protocol codecs, AWS error envelopes, request IDs,
// metrics and the operational endpoints under /_assumed/.
package server

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	pprofpkg "runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/assumed-dev/assumed/internal/audit"
	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/internal/eks"
	"github.com/assumed-dev/assumed/internal/eksauth"
	"github.com/assumed-dev/assumed/internal/gateway"
	"github.com/assumed-dev/assumed/internal/iam"
	"github.com/assumed-dev/assumed/internal/server/query"
	"github.com/assumed-dev/assumed/internal/sts"
)

// Server serves all APIs on one listener.
type Server struct {
	log     *slog.Logger
	iam     *iam.Service
	sts     *sts.Service
	eks     *eks.Service
	eksAuth *eksauth.Service
	query   map[string]queryService // by SigV4 service name
	rest    map[string]*restService // by SigV4 service name
	mux     *http.ServeMux
	http    *http.Server
	ln      net.Listener
	metrics *metrics
	now     func() time.Time
	limits  Limits
	bodies  *bodyBudget
	// operations are the operation names of each served service: the
	// only values the metrics' labels take, besides "unknown".
	operations map[string]map[string]bool
	// metricsHTTP serves /_assumed/metrics on a listener of its own when
	// ListenMetrics was called; the main listener then does not.
	// gateway serves every other service's API; nil: they are unknown.
	gateway     *gateway.Gateway
	metricsHTTP *http.Server
	metricsLn   net.Listener
	promHandler http.Handler
	registry    *prometheus.Registry
	// tls: the API listener serves HTTPS (SetTLS).
	tls bool
	// denialDetail is what refusals tell the caller (SetDenialDetail);
	// refusals keeps the newest with their traces.
	denialDetail string
	refusals     *refusalLog
	// audit receives a record of every API call (SetAudit); nil: none.
	audit *audit.Sink
	// console is the web console's state (SetConsole); nil: none.
	console *console
}

// randPool makes request IDs come from a buffered pool of randomness
// instead of a crypto/rand read each; it is enabled once per process.
var randPool sync.Once

// New returns a server for the services; call Listen, then Serve.
func New(log *slog.Logger, iamSvc *iam.Service, stsSvc *sts.Service, eksSvc *eks.Service, eksAuthSvc *eksauth.Service) *Server {
	randPool.Do(uuid.EnableRandPool)
	s := &Server{log: log, iam: iamSvc, sts: stsSvc, eks: eksSvc, eksAuth: eksAuthSvc, now: time.Now,
		denialDetail: DenialDetailFull, refusals: newRefusalLog()}
	s.query = map[string]queryService{
		"iam": {impl: iamSvc, sdkPkg: "github.com/aws/aws-sdk-go-v2/service/iam", version: "2010-05-08", namespace: query.IAMNamespace},
		"sts": {impl: stsSvc, sdkPkg: "github.com/aws/aws-sdk-go-v2/service/sts", version: "2011-06-15", namespace: query.STSNamespace},
	}
	s.rest = map[string]*restService{
		"eks":      {impl: eksSvc, sdkPkg: "github.com/aws/aws-sdk-go-v2/service/eks", routes: eksRoutes()},
		"eks-auth": {routes: eksAuthRoutes()},
	}
	s.operations = map[string]map[string]bool{}
	for name, svc := range s.query {
		s.operations[name] = queryOperations(svc)
	}
	for name, svc := range s.rest {
		ops := map[string]bool{}
		for _, rt := range svc.routes {
			ops[rt.op] = true
		}
		s.operations[name] = ops
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.metrics = newMetrics(reg)
	s.registry = reg
	s.promHandler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_assumed/health", s.health)
	mux.HandleFunc("GET /_assumed/metrics", s.serveMetrics)
	mux.HandleFunc(explainPath, s.serveExplain)
	mux.HandleFunc(graphPath, s.graphEndpoint(s.serveGraph))
	mux.HandleFunc(findingsPath, s.graphEndpoint(s.serveFindings))
	mux.HandleFunc(performersPath, s.graphEndpoint(s.servePerformers))
	mux.HandleFunc("GET "+eks.IssuerPathPrefix+"{id}/.well-known/openid-configuration", s.oidcDiscovery)
	mux.HandleFunc("GET "+eks.IssuerPathPrefix+"{id}/keys", s.oidcKeys)
	mux.HandleFunc(eks.EndpointPathPrefix, s.clusterEndpoint)
	mux.HandleFunc("/", s.aws)
	s.mux = mux
	s.http = &http.Server{
		Handler:           s.withDate(mux),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	s.SetLimits(DefaultLimits())
	return s
}

// SetLimits sets the bounds on requests (zero fields keep their
// defaults); call it before Serve.
func (s *Server) SetLimits(l Limits) {
	s.limits = l.withDefaults()
	s.bodies = newBodyBudget(s.limits)
	s.http.MaxHeaderBytes = s.limits.MaxHeaderBytes
}

// ListenMetrics binds a listener of its own for /_assumed/metrics (and
// /_assumed/health), so that metrics need not be reachable where the APIs
// are; the main listener then answers 404 for them. Call it before Serve.
func (s *Server) ListenMetrics(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen for metrics on %s: %w", addr, err)
	}
	s.UseMetricsListener(ln)
	return nil
}

// UseMetricsListener is ListenMetrics on a listener the caller bound.
func (s *Server) UseMetricsListener(ln net.Listener) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_assumed/health", s.health)
	mux.Handle("GET /_assumed/metrics", s.promHandler)
	s.metricsLn = ln
	s.metricsHTTP = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// MetricsAddr is the metrics listener's address, or nil when metrics are
// served on the main listener.
func (s *Server) MetricsAddr() net.Addr {
	if s.metricsLn == nil {
		return nil
	}
	return s.metricsLn.Addr()
}

// serveMetrics serves the metrics on the main listener, unless they have a
// listener of their own.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if s.metricsLn != nil {
		http.NotFound(w, r)
		return
	}
	s.promHandler.ServeHTTP(w, r)
}

// Listen binds the address ("127.0.0.1:4599"; port 0 picks a free one).
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	s.ln = ln
	return nil
}

// UseListener is Listen on a listener the caller bound (so that a caller
// can bind before it prepares anything else).
func (s *Server) UseListener(ln net.Listener) { s.ln = ln }

// CloseListener closes the bound listeners of a server that will not
// serve (its set-up failed after Listen).
func (s *Server) CloseListener() {
	if s.ln != nil {
		s.ln.Close()
	}
	if s.metricsLn != nil {
		s.metricsLn.Close()
	}
}

// SetTLS makes the API listener serve HTTPS (HTTP/2 and HTTP/1.1) with
// cfg, which must hold the server's certificate; call it before Serve.
// The metrics listener stays plain HTTP.
func (s *Server) SetTLS(cfg *tls.Config) {
	s.http.TLSConfig = cfg
	s.tls = true
}

// Addr is the bound address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve serves until Shutdown; it returns nil after a clean shutdown.
func (s *Server) Serve() error {
	if s.metricsHTTP != nil {
		go func() {
			if err := s.metricsHTTP.Serve(s.metricsLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Error("serve metrics", "err", err)
			}
		}()
	}
	var err error
	if s.tls {
		err = s.http.ServeTLS(s.ln, "", "")
	} else {
		err = s.http.Serve(s.ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("serve: %w", err)
}

// Shutdown stops accepting connections and waits for in-flight requests
// until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.metricsHTTP != nil {
		if err := s.metricsHTTP.Shutdown(ctx); err != nil {
			return fmt.Errorf("shutdown metrics listener: %w", err)
		}
	}
	if err := s.http.Shutdown(ctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// oidcDiscovery serves a cluster issuer's OpenID discovery document.
func (s *Server) oidcDiscovery(w http.ResponseWriter, r *http.Request) {
	doc, ok := s.eks.Discovery(r.PathValue("id"))
	if !ok {
		http.Error(w, "no such issuer", http.StatusNotFound)
		return
	}
	writeJSON(w, doc)
}

// oidcKeys serves a cluster issuer's JWKS.
func (s *Server) oidcKeys(w http.ResponseWriter, r *http.Request) {
	keys, ok := s.eks.JWKS(r.PathValue("id"))
	if !ok {
		http.Error(w, "no such issuer", http.StatusNotFound)
		return
	}
	writeJSON(w, keys)
}

// clusterEndpoint answers at the simulated clusters' endpoints: no
// Kubernetes API server runs there, which a Kubernetes client learns as a
// Kubernetes Status.
func (s *Server) clusterEndpoint(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusNotImplemented)
	fmt.Fprintln(w, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"assumed simulates EKS's API, not Kubernetes: no Kubernetes API server answers at a cluster's endpoint","reason":"NotImplemented","code":501}`)
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "max-age=300")
	w.Write(b)
}

func (s *Server) health(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintln(w, `{"status":"ok"}`)
}

// withDate sets the Date header on every response: SDKs correct their
// clock skew from it.
func (s *Server) withDate(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", s.now().UTC().Format(http.TimeFormat))
		h.ServeHTTP(w, r)
	})
}

// metrics are the server's Prometheus instruments. Their labels take only
// values the server knows (its services, their operations, its own error
// codes, or "unknown"), never a client's text, so their series are
// bounded whatever clients send.
type metrics struct {
	requests  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	throttled prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "assumed_requests_total",
			Help: "AWS API requests by service, operation and result code.",
		}, []string{"service", "operation", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "assumed_request_duration_seconds",
			Help:    "AWS API request latency by service.",
			Buckets: []float64{0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5},
		}, []string{"service"}),
	}
	m.throttled = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "assumed_request_bodies_refused_total",
		Help: "Requests refused with Throttling because too many request bodies were in flight.",
	})
	reg.MustRegister(m.requests, m.duration, m.throttled)
	return m
}

// SetGateway hands every service the server does not serve itself to
// the resource gateway; call it before Serve.
func (s *Server) SetGateway(g *gateway.Gateway) {
	s.gateway = g
	if g != nil {
		g.OnRefusal(func(reqID, service, op string, d *authz.Denied) string {
			svc, opLabel := s.labels(service, op)
			return s.refused(reqID, svc, opLabel, "AccessDenied", d.Message, d)
		})
	}
	s.registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "assumed_gateway_forwarded_total",
		Help: "Requests the resource gateway forwarded to its backend (a refused request never is).",
	}, func() float64 { return float64(g.Forwarded()) }))
}

// serves reports whether the server serves a signing name's API itself.
func (s *Server) serves(service string) bool {
	_, ok := s.operations[service]
	return ok
}

// labels returns the metric labels of a request: its service and
// operation when the server or its gateway knows them, "unknown"
// otherwise.
func (s *Server) labels(service, op string) (string, string) {
	ops, ok := s.operations[service]
	if !ok {
		if s.gateway != nil && s.gateway.Knows(service, "") {
			if !s.gateway.Knows(service, op) {
				op = "unknown"
			}
			return service, op
		}
		return "unknown", "unknown"
	}
	if !ops[op] {
		return service, "unknown"
	}
	return service, op
}

// EnablePprof serves Go's profiler under /_assumed/debug/pprof/ (off by
// default: it is for benchmarking on a loopback listener).
func (s *Server) EnablePprof() {
	// pprof.Index finds a named profile (heap, allocs, goroutine, …) only
	// under /debug/pprof/: serve those by name here.
	s.mux.HandleFunc("/_assumed/debug/pprof/", func(w http.ResponseWriter, r *http.Request) {
		if name := strings.TrimPrefix(r.URL.Path, "/_assumed/debug/pprof/"); name != "" && pprofpkg.Lookup(name) != nil {
			pprof.Handler(name).ServeHTTP(w, r)
			return
		}
		pprof.Index(w, r)
	})
	s.mux.HandleFunc("/_assumed/debug/pprof/cmdline", pprof.Cmdline)
	s.mux.HandleFunc("/_assumed/debug/pprof/profile", pprof.Profile)
	s.mux.HandleFunc("/_assumed/debug/pprof/symbol", pprof.Symbol)
	s.mux.HandleFunc("/_assumed/debug/pprof/trace", pprof.Trace)
}
