// Package agent is assumed's EKS Pod Identity Agent: the node-side HTTP
// endpoint that pods' AWS SDKs call (AWS_CONTAINER_CREDENTIALS_FULL_URI)
// with their projected service-account token, and that exchanges the
// token for temporary credentials with EKS Auth's
// AssumeRoleForPodIdentity, caching the answer.
//
// # Protocol
//
// GET /v1/credentials with the pod's raw token in Authorization answers
// 200 {"AccessKeyId", "SecretAccessKey", "Token", "AccountId",
// "Expiration"} (Expiration in RFC 3339, UTC, whole seconds; AccountId is
// the fifth field of assumedRoleUser.arn). Errors are
// {"code", "message"}:
//
//   - 400 InvalidRequestException: no token; 400 InvalidTokenException: the
//     token is not a JWT; 400 ExpiredTokenException: its exp has passed.
//     Checked locally, as the real agent does, without an upstream call.
//   - An error answer of EKS Auth is passed through with its status and
//     code, as the real agent does: AccessDeniedException,
//     InvalidTokenException and ExpiredTokenException 400,
//     ResourceNotFoundException 404, ThrottlingException 429,
//     InternalServerException 500.
//   - 429 ThrottlingException: the agent's own limit on upstream calls.
//   - 503 ServiceUnavailable: EKS Auth could not be reached (transport
//     error or timeout) and nothing usable is cached. The real agent
//     answers 500 there; both are retried by the SDKs.
//   - 502 InvalidUpstreamResponse: EKS Auth answered 200 with unusable
//     credentials (missing fields, a malformed ARN, or ≤ MinRemaining
//     left).
//   - 405 for methods other than GET, 404 for other paths.
//
// # Probes
//
// GET /healthz is liveness: 200 while the process serves. GET /readyz is
// readiness: 200 when the agent is configured, not shutting down, and its
// last contact with EKS Auth got an HTTP answer (of any status: EKS Auth
// was reached); 503 NotReady when that contact failed in transport
// (connection refused, DNS, TLS, timeout). The last contact is the last
// credential call or, when that is older than ProbeInterval (or there was
// none), a probe that /readyz makes then: an unsigned GET of
// ENDPOINT/_assumed/health (see Prober), bounded by ProbeTimeout.
//
// The real agent also refuses requests whose Host is not its link-local
// address; this agent listens wherever it is told and does not check.
// It accepts the token bare (what the SDKs send) and, leniently, after a
// "Bearer " prefix and surrounded by white space.
//
// # Caching
//
// Credentials are cached by the SHA-256 of the token (tokens and secrets
// are never logged; log lines carry the first 12 hex digits of the hash as
// token_id):
//
//   - A hit answers without an upstream call while the credentials are
//     fresh: more than the refresh threshold left, where the threshold is
//     max(RefreshBefore, lifetime/4) capped at lifetime/2 (lifetime being
//     expiration minus fetch time). For the 6 h credentials of an
//     association without a target role that is 90 min before expiry; for
//     the 59 min of one with a target role, RefreshBefore (15 min); for 15
//     min credentials, 7.5 min, so every credential is served for at least
//     half its life.
//   - In the refresh window the request is answered at once from the cache
//     and a refresh runs in the background (stale-while-revalidate), so a
//     refresh never adds latency or a timeout to a request that has usable
//     credentials. A failed refresh is not retried for RetryInterval.
//   - Requests with no usable credentials wait for the upstream call.
//     Concurrent requests for one token share one upstream call (also with
//     a background refresh in flight). The call runs detached from the
//     request, bounded by UpstreamTimeout, so a client that gives up does
//     not waste it: its answer is cached for the SDK's retry.
//   - A refresh that fails with AccessDeniedException,
//     ResourceNotFoundException, InvalidTokenException or
//     ExpiredTokenException evicts the entry: the next request calls EKS
//     Auth again and gets its error. Any other failure (transport error,
//     5xx, throttling, other 4xx) keeps the cached credentials in service
//     while they have more than MinRemaining left.
//   - Credentials with MinRemaining (15 s) or less left are never handed
//     out: such an entry is dropped and refetched synchronously, and if
//     that fails the error is answered.
//   - At most MaxEntries tokens are cached; inserting beyond that drops
//     unusable entries, then the least recently used.
//
// Upstream calls (first fetches and refreshes alike) pass a token bucket
// (RateLimit per second, Burst); a first fetch over the limit is answered
// 429 ThrottlingException, a refresh over the limit is skipped until a
// later request.
package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/assumed-dev/assumed/internal/awsclient"
)

// Defaults of Config's zero fields.
const (
	DefaultRefreshBefore   = 15 * time.Minute
	DefaultMinRemaining    = 15 * time.Second
	DefaultRetryInterval   = time.Minute
	DefaultUpstreamTimeout = 10 * time.Second
	DefaultRateLimit       = 20 // upstream calls per second
	DefaultBurst           = 40
	DefaultMaxEntries      = 2000
	DefaultProbeInterval   = 10 * time.Second
	DefaultProbeTimeout    = 3 * time.Second
)

// CredentialsPath is the path pods' SDKs call.
const CredentialsPath = "/v1/credentials"

// Config configures an Agent. Zero durations and numbers take the
// defaults above.
type Config struct {
	// Cluster is the EKS cluster the node belongs to.
	Cluster string
	// Upstream is EKS Auth.
	Upstream Upstream
	// Now is the clock (time.Now when nil); cache validity, refresh and
	// the rate limit follow it.
	Now func() time.Time
	// Log receives the agent's log lines (slog.Default() when nil).
	Log *slog.Logger
	// RefreshBefore is the least time before expiry at which credentials
	// are refreshed; the threshold is max(RefreshBefore, lifetime/4),
	// capped at lifetime/2.
	RefreshBefore time.Duration
	// MinRemaining: credentials with this much time left or less are
	// never handed out.
	MinRemaining time.Duration
	// RetryInterval is how long a failed background refresh waits before
	// the next try (the cached credentials are served meanwhile).
	RetryInterval time.Duration
	// UpstreamTimeout bounds one upstream call.
	UpstreamTimeout time.Duration
	// RateLimit is the number of upstream calls per second allowed on
	// average, Burst the bucket's size. A negative RateLimit disables the
	// limit.
	RateLimit float64
	Burst     int
	// MaxEntries is the number of tokens whose credentials are cached.
	MaxEntries int
	// ProbeInterval: /readyz probes EKS Auth (when Upstream is a Prober)
	// if the last contact with it is older than this.
	ProbeInterval time.Duration
	// ProbeTimeout bounds one probe.
	ProbeTimeout time.Duration
}

// Agent serves pods' credential requests. Its methods are safe for
// concurrent use.
type Agent struct {
	cluster         string
	upstream        Upstream
	now             func() time.Time
	log             *slog.Logger
	refreshBefore   time.Duration
	minRemaining    time.Duration
	retryInterval   time.Duration
	upstreamTimeout time.Duration
	maxEntries      int
	probeInterval   time.Duration
	probeTimeout    time.Duration

	// base is the parent of upstream calls; Close cancels it.
	base   context.Context
	cancel context.CancelFunc
	calls  sync.WaitGroup // running upstream calls

	mu      sync.Mutex
	cache   *cache
	flights map[string]*flight // by key
	limiter *bucket            // nil: unlimited
	closed  bool
	// reach is the outcome of the last contact with EKS Auth; probe is
	// the probe in flight, if any.
	reach reachability
	probe chan struct{} // closed when the probe ends
}

// reachability is what the last contact with EKS Auth said.
type reachability struct {
	at  time.Time // zero: no contact yet
	err error     // nil: EKS Auth answered
}

// New returns an agent for cfg.
func New(cfg Config) *Agent {
	a := &Agent{
		cluster:         cfg.Cluster,
		upstream:        cfg.Upstream,
		now:             cfg.Now,
		log:             cfg.Log,
		refreshBefore:   orDefault(cfg.RefreshBefore, DefaultRefreshBefore),
		minRemaining:    orDefault(cfg.MinRemaining, DefaultMinRemaining),
		retryInterval:   orDefault(cfg.RetryInterval, DefaultRetryInterval),
		upstreamTimeout: orDefault(cfg.UpstreamTimeout, DefaultUpstreamTimeout),
		maxEntries:      orDefault(cfg.MaxEntries, DefaultMaxEntries),
		probeInterval:   orDefault(cfg.ProbeInterval, DefaultProbeInterval),
		probeTimeout:    orDefault(cfg.ProbeTimeout, DefaultProbeTimeout),
		flights:         map[string]*flight{},
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	a.cache = newCache(a.maxEntries)
	if cfg.RateLimit >= 0 {
		a.limiter = newBucket(orDefault(cfg.RateLimit, DefaultRateLimit), orDefault(cfg.Burst, DefaultBurst))
	}
	a.base, a.cancel = context.WithCancel(context.Background())
	return a
}

func orDefault[T int | float64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Ready reports whether the agent is configured (it has a cluster and an
// upstream) and not closed. Readiness (/readyz) asks Reachable too.
func (a *Agent) Ready() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cluster != "" && a.upstream != nil && !a.closed
}

// Prober is an Upstream that can check, without asking for credentials,
// that EKS Auth can be reached.
type Prober interface {
	// Probe returns an error when EKS Auth cannot be reached (a transport
	// failure); any answer of EKS Auth is nil.
	Probe(ctx context.Context) error
}

// Reachable returns nil when the last contact with EKS Auth got an
// answer, else why it did not. When that contact is older than
// ProbeInterval, or there was none, and the upstream is a Prober, it
// probes first (one probe at a time, which concurrent callers share)
// and waits for the probe until ctx ends. Without a Prober and without
// any contact yet, EKS Auth counts as reachable.
func (a *Agent) Reachable(ctx context.Context) error {
	a.mu.Lock()
	prober, _ := a.upstream.(Prober)
	stale := a.reach.at.IsZero() || a.now().Sub(a.reach.at) >= a.probeInterval
	if prober == nil || !stale || a.closed {
		err := a.reach.err
		a.mu.Unlock()
		return err
	}
	done := a.probe
	if done == nil {
		done = make(chan struct{})
		a.probe = done
		a.calls.Add(1)
		go a.runProbe(prober, done)
	}
	a.mu.Unlock()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("no answer before the readiness check ended: %w", ctx.Err())
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.reach.err
}

// runProbe probes EKS Auth and records the outcome.
func (a *Agent) runProbe(p Prober, done chan struct{}) {
	defer a.calls.Done()
	ctx, cancel := context.WithTimeout(a.base, a.probeTimeout)
	err := p.Probe(ctx)
	cancel()
	a.mu.Lock()
	a.probe = nil
	a.noteContact(err)
	a.mu.Unlock()
	close(done)
}

// noteContact records the outcome of a contact with EKS Auth: err is nil
// when it answered, else the transport failure. a.mu must be held.
// A change is logged (not every failed probe). Calls cut short by Close
// say nothing about EKS Auth.
func (a *Agent) noteContact(err error) {
	if a.base.Err() != nil {
		return
	}
	if err != nil && (a.reach.err == nil || a.reach.at.IsZero()) {
		a.log.Warn("cannot reach EKS Auth; /readyz answers 503 until it can", "error", err)
	} else if err == nil && a.reach.err != nil {
		a.log.Info("EKS Auth can be reached again")
	}
	a.reach = reachability{at: a.now(), err: err}
}

// Close cancels the upstream calls in flight and waits for them to end.
// The handler keeps answering from the cache.
func (a *Agent) Close() {
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
	a.cancel()
	a.calls.Wait()
}

// Handler returns the agent's HTTP handler: GET /v1/credentials, and the
// probes GET /healthz (liveness: always 200) and GET /readyz (200 when
// configured and EKS Auth is reachable, see Reachable; 503 otherwise or
// after Close).
func (a *Agent) Handler() http.Handler {
	return http.HandlerFunc(a.serveHTTP)
}

func (a *Agent) serveHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case CredentialsPath:
		if !allowGet(w, r) {
			return
		}
		a.serveCredentials(w, r)
	case "/healthz":
		if !allowGet(w, r) {
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	case "/readyz":
		if !allowGet(w, r) {
			return
		}
		if !a.Ready() {
			writeError(w, &Error{Status: http.StatusServiceUnavailable, Code: "NotReady", Message: "the agent is not configured or is shutting down"})
			return
		}
		if err := a.Reachable(r.Context()); err != nil {
			writeError(w, &Error{Status: http.StatusServiceUnavailable, Code: "NotReady", Message: "EKS Auth is unreachable: " + err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	default:
		writeError(w, &Error{Status: http.StatusNotFound, Code: "NotFound", Message: "no such path; credentials are at " + CredentialsPath})
	}
}

// allowGet answers 405 to methods other than GET and reports whether the
// request may go on.
func allowGet(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet {
		return true
	}
	w.Header().Set("Allow", http.MethodGet)
	writeError(w, &Error{Status: http.StatusMethodNotAllowed, Code: "MethodNotAllowed", Message: "method " + r.Method + " is not allowed; use GET"})
	return false
}

// credentialsResponse is the body SDKs' container credential providers
// read.
type credentialsResponse struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	Token           string `json:"Token"`
	AccountID       string `json:"AccountId"`
	Expiration      string `json:"Expiration"`
}

func (a *Agent) serveCredentials(w http.ResponseWriter, r *http.Request) {
	if a.cluster == "" || a.upstream == nil {
		writeError(w, &Error{Status: http.StatusInternalServerError, Code: "NotConfigured", Message: "the agent has no cluster or upstream configured"})
		return
	}
	token, err := requestToken(r.Header.Get("Authorization"), a.now())
	if err != nil {
		writeError(w, err)
		return
	}
	c, err := a.credentials(r.Context(), token)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, credentialsResponse{
		AccessKeyID:     c.AccessKeyID,
		SecretAccessKey: c.SecretAccessKey,
		Token:           c.SessionToken,
		AccountID:       c.AccountID,
		Expiration:      c.Expiration.UTC().Truncate(time.Second).Format(time.RFC3339),
	})
}

// Error is an error the agent answers: HTTP status and
// {"code": Code, "message": Message}.
type Error struct {
	Status  int
	Code    string
	Message string
	// Err is the underlying error, if any (never sent).
	Err error
}

func (e *Error) Error() string { return e.Code + ": " + e.detail() }

// detail is the message and, when it adds anything, the underlying
// error: an error answer of EKS Auth is already its code and message.
// Log lines carry it beside the code and status.
func (e *Error) detail() string {
	var ae *awsclient.APIError
	if e.Err == nil || errors.As(e.Err, &ae) {
		return e.Message
	}
	return e.Message + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

func writeError(w http.ResponseWriter, e *Error) {
	writeJSON(w, e.Status, struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}{e.Code, e.Message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"code":"InternalError","message":"cannot encode the answer"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
