package agent

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/assumed-dev/assumed/internal/awsclient"
	"github.com/assumed-dev/assumed/internal/eksauth/wire"
)

// agentTT0 is the tests' starting time.
var agentTT0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// agentTClock is a settable clock.
type agentTClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *agentTClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *agentTClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// agentTUpstream is a counting Upstream whose answer the test sets.
type agentTUpstream struct {
	calls  atomic.Int64
	mu     sync.Mutex
	answer func(n int64, token string) (*wire.AssumeRoleForPodIdentityOutput, error)
}

func (u *agentTUpstream) AssumeRoleForPodIdentity(_ context.Context, cluster, token string) (*wire.AssumeRoleForPodIdentityOutput, error) {
	n := u.calls.Add(1)
	if cluster != "prod" {
		return nil, fmt.Errorf("unexpected cluster %q", cluster)
	}
	u.mu.Lock()
	answer := u.answer
	u.mu.Unlock()
	return answer(n, token)
}

// Set makes every later call answer with f.
func (u *agentTUpstream) Set(f func(n int64, token string) (*wire.AssumeRoleForPodIdentityOutput, error)) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.answer = f
}

// agentTOK answers credentials with the key ID AKID<n> expiring at exp.
func agentTOK(exp func() time.Time) func(int64, string) (*wire.AssumeRoleForPodIdentityOutput, error) {
	return func(n int64, _ string) (*wire.AssumeRoleForPodIdentityOutput, error) {
		return agentTOutput(fmt.Sprintf("ASIAAGENTTEST%07d", n), exp()), nil
	}
}

// agentTFail answers err.
func agentTFail(err error) func(int64, string) (*wire.AssumeRoleForPodIdentityOutput, error) {
	return func(int64, string) (*wire.AssumeRoleForPodIdentityOutput, error) { return nil, err }
}

func agentTOutput(akid string, exp time.Time) *wire.AssumeRoleForPodIdentityOutput {
	return &wire.AssumeRoleForPodIdentityOutput{
		Subject:                wire.Subject{Namespace: "default", ServiceAccount: "app"},
		Audience:               wire.Audience,
		PodIdentityAssociation: wire.PodIdentityAssociation{AssociationARN: "arn:aws:eks:us-east-1:123456789012:podidentityassociation/prod/a-1", AssociationID: "a-1"},
		AssumedRoleUser:        wire.AssumedRoleUser{ARN: "arn:aws:sts::123456789012:assumed-role/app-role/eks-prod-p-1", AssumeRoleID: "AROAEXAMPLE:eks-prod-p-1"},
		Credentials: wire.Credentials{
			AccessKeyID: akid, SecretAccessKey: "secret-" + akid, SessionToken: "session-" + akid,
			Expiration: wire.EpochTime{Time: exp},
		},
	}
}

// agentTToken returns an unsigned JWT for pod, expiring at exp.
func agentTToken(pod string, exp time.Time) string {
	enc := base64.RawURLEncoding.EncodeToString
	payload, _ := json.Marshal(map[string]any{"sub": "system:serviceaccount:default:app", "aud": []string{wire.Audience}, "exp": exp.Unix(), "pod": pod})
	return enc([]byte(`{"alg":"RS256","kid":"k"}`)) + "." + enc(payload) + "." + enc([]byte("sig-"+pod))
}

// agentTSetup is an agent on a fake clock and a counting upstream that
// answers 6 h credentials (from the clock's time at the call).
type agentTSetup struct {
	a     *Agent
	clock *agentTClock
	up    *agentTUpstream
	logs  *bytes.Buffer
	logMu *sync.Mutex
}

func agentTNew(t *testing.T, mod func(*Config)) *agentTSetup {
	t.Helper()
	s := &agentTSetup{clock: &agentTClock{now: agentTT0}, up: &agentTUpstream{}, logs: &bytes.Buffer{}, logMu: &sync.Mutex{}}
	s.up.Set(agentTOK(func() time.Time { return s.clock.Now().Add(6 * time.Hour) }))
	cfg := Config{
		Cluster: "prod", Upstream: s.up, Now: s.clock.Now,
		Log: slog.New(slog.NewTextHandler(agentTLockedWriter{s.logMu, s.logs}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mod != nil {
		mod(&cfg)
	}
	s.a = New(cfg)
	t.Cleanup(s.a.Close)
	return s
}

type agentTLockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (w agentTLockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

func (s *agentTSetup) Logs() string {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return s.logs.String()
}

// agentTAnswer is a decoded answer of the agent.
type agentTAnswer struct {
	Status int
	Header http.Header
	Raw    map[string]any
	Creds  credentialsResponse
	Code   string
}

// Get asks the agent's handler for credentials with the Authorization
// header auth ("" sends none) and waits for background refreshes.
func (s *agentTSetup) Get(t *testing.T, auth string) agentTAnswer {
	t.Helper()
	ans := agentTServe(t, s.a.Handler(), http.MethodGet, CredentialsPath, auth)
	s.a.calls.Wait()
	return ans
}

func agentTServe(t *testing.T, h http.Handler, method, path, auth string) agentTAnswer {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	ans := agentTAnswer{Status: rec.Code, Header: rec.Header()}
	body := rec.Body.Bytes()
	if err := json.Unmarshal(body, &ans.Raw); err != nil {
		t.Fatalf("%s %s: answer is not a JSON object: %v: %s", method, path, err, body)
	}
	if err := json.Unmarshal(body, &ans.Creds); err != nil {
		t.Fatalf("decode credentials: %v", err)
	}
	ans.Code, _ = ans.Raw["code"].(string)
	return ans
}

// agentTWant checks a 200 answer carrying the key ID akid.
func agentTWant(t *testing.T, ans agentTAnswer, akid string) {
	t.Helper()
	if ans.Status != http.StatusOK || ans.Creds.AccessKeyID != akid {
		t.Fatalf("got %d %v, want 200 with AccessKeyId %s", ans.Status, ans.Raw, akid)
	}
}

// agentTError checks an error answer.
func agentTError(t *testing.T, ans agentTAnswer, status int, code string) {
	t.Helper()
	if ans.Status != status || ans.Code != code {
		t.Fatalf("got %d %v, want %d %s", ans.Status, ans.Raw, status, code)
	}
	if msg, _ := ans.Raw["message"].(string); msg == "" || len(ans.Raw) != 2 {
		t.Fatalf("error body %v, want exactly code and a message", ans.Raw)
	}
}

func (s *agentTSetup) wantCalls(t *testing.T, n int64) {
	t.Helper()
	if got := s.up.calls.Load(); got != n {
		t.Fatalf("upstream calls = %d, want %d", got, n)
	}
}

func TestAgentResponseShapeAndCacheHit(t *testing.T) {
	s := agentTNew(t, nil)
	exp := agentTT0.Add(6*time.Hour + 700*time.Millisecond)
	s.up.Set(agentTOK(func() time.Time { return exp }))
	tok := agentTToken("p-1", agentTT0.Add(24*time.Hour))

	ans := s.Get(t, tok)
	agentTWant(t, ans, "ASIAAGENTTEST0000001")
	want := map[string]any{
		"AccessKeyId":     "ASIAAGENTTEST0000001",
		"SecretAccessKey": "secret-ASIAAGENTTEST0000001",
		"Token":           "session-ASIAAGENTTEST0000001",
		"AccountId":       "123456789012",
		"Expiration":      "2030-01-02T09:04:05Z",
	}
	if len(ans.Raw) != len(want) {
		t.Fatalf("answer %v, want exactly the fields %v", ans.Raw, want)
	}
	for k, v := range want {
		if ans.Raw[k] != v {
			t.Errorf("%s = %v, want %v", k, ans.Raw[k], v)
		}
	}
	if ct := ans.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if _, err := time.Parse(time.RFC3339, ans.Creds.Expiration); err != nil {
		t.Errorf("Expiration is not RFC 3339: %v", err)
	}

	s.clock.Set(agentTT0.Add(4 * time.Hour))
	agentTWant(t, s.Get(t, tok), "ASIAAGENTTEST0000001")
	agentTWant(t, s.Get(t, "Bearer "+tok), "ASIAAGENTTEST0000001") // lenient prefix, same token
	s.wantCalls(t, 1)

	// Another pod's token is another entry.
	agentTWant(t, s.Get(t, agentTToken("p-2", agentTT0.Add(24*time.Hour))), "ASIAAGENTTEST0000002")
	s.wantCalls(t, 2)

	// Neither tokens nor secrets reach the log.
	logs := s.Logs()
	for _, secret := range []string{tok, "secret-ASIA", "session-ASIA"} {
		if strings.Contains(logs, secret) {
			t.Fatalf("log contains a secret %q:\n%s", secret, logs)
		}
	}
	if !strings.Contains(logs, "token_id="+tokenID(tokenKey(tok))) {
		t.Fatalf("log lacks the token_id:\n%s", logs)
	}
}

func TestAgentAccountIDFromARN(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:sts::111111111111:assumed-role/r/s":    "111111111111",
		"arn:aws-cn:sts::222222222222:assumed-role/r/s": "222222222222",
		"arn:aws:sts::11111111111:assumed-role/r/s":     "",
		"arn:aws:sts::11111111111x:assumed-role/r/s":    "",
		"arn:aws:sts::111111111111":                     "",
		"":                                              "",
	} {
		got, ok := accountOf(arn)
		if got != want || ok != (want != "") {
			t.Errorf("accountOf(%q) = %q, %v; want %q", arn, got, ok, want)
		}
	}

	// An unusable answer is a 502, and nothing is cached.
	s := agentTNew(t, nil)
	s.up.Set(func(n int64, _ string) (*wire.AssumeRoleForPodIdentityOutput, error) {
		out := agentTOutput("ASIABAD", agentTT0.Add(time.Hour))
		out.AssumedRoleUser.ARN = "not-an-arn"
		return out, nil
	})
	tok := agentTToken("p-1", agentTT0.Add(24*time.Hour))
	agentTError(t, s.Get(t, tok), http.StatusBadGateway, "InvalidUpstreamResponse")
	agentTError(t, s.Get(t, tok), http.StatusBadGateway, "InvalidUpstreamResponse")
	s.wantCalls(t, 2)
}

func TestAgentRefreshThreshold(t *testing.T) {
	a := New(Config{Cluster: "prod", Upstream: &agentTUpstream{}})
	defer a.Close()
	for _, c := range []struct{ lifetime, before time.Duration }{
		{6 * time.Hour, 90 * time.Minute},                   // lifetime/4
		{59 * time.Minute, 15 * time.Minute},                // RefreshBefore
		{time.Hour, 15 * time.Minute},                       // both
		{15 * time.Minute, 450 * time.Second},               // capped at lifetime/2
		{20 * time.Minute, 10 * time.Minute},                // capped at lifetime/2
		{12 * time.Hour, 180 * time.Minute},                 // lifetime/4
		{40 * time.Minute, 15 * time.Minute},                // RefreshBefore
		{30 * time.Second, 15 * time.Second},                // capped
		{24 * time.Hour, 360 * time.Minute},                 // lifetime/4
		{100 * time.Minute, 25 * time.Minute},               // lifetime/4
		{50 * time.Minute, 15 * time.Minute},                // RefreshBefore
		{25 * time.Minute, 12*time.Minute + 30*time.Second}, // capped
	} {
		exp := agentTT0.Add(c.lifetime)
		if got := exp.Sub(a.refreshAt(exp, agentTT0)); got != c.before {
			t.Errorf("lifetime %v: refresh %v before expiry, want %v", c.lifetime, got, c.before)
		}
	}
}

func TestAgentRefreshAheadOfExpiry(t *testing.T) {
	s := agentTNew(t, nil)
	tok := agentTToken("p-1", agentTT0.Add(24*time.Hour))
	agentTWant(t, s.Get(t, tok), "ASIAAGENTTEST0000001") // expires at T0+6h, refresh from T0+4h30m

	s.clock.Set(agentTT0.Add(4*time.Hour + 29*time.Minute))
	agentTWant(t, s.Get(t, tok), "ASIAAGENTTEST0000001")
	s.wantCalls(t, 1)

	// In the window: answered from the cache at once, refreshed behind.
	s.clock.Set(agentTT0.Add(4*time.Hour + 31*time.Minute))
	agentTWant(t, s.Get(t, tok), "ASIAAGENTTEST0000001")
	s.wantCalls(t, 2)
	agentTWant(t, s.Get(t, tok), "ASIAAGENTTEST0000002")
	s.wantCalls(t, 2)

	// The new credentials (until T0+10h31m) are fresh again.
	s.clock.Set(agentTT0.Add(8 * time.Hour))
	agentTWant(t, s.Get(t, tok), "ASIAAGENTTEST0000002")
	s.wantCalls(t, 2)
}

func TestAgentServeStaleOnTransientFailure(t *testing.T) {
	for name, failure := range map[string]error{
		"500":       &awsclient.APIError{Status: 500, Code: wire.InternalServerException, Message: "boom"},
		"503":       &awsclient.APIError{Status: 503, Code: "Service Unavailable"},
		"throttled": &awsclient.APIError{Status: 429, Code: wire.ThrottlingException, Message: "slow down"},
		"transport": fmt.Errorf("call: %w", errors.New("dial tcp 127.0.0.1:1: connection refused")),
		"other 4xx": &awsclient.APIError{Status: 400, Code: wire.InvalidParameterException, Message: "odd"},
	} {
		t.Run(name, func(t *testing.T) {
			s := agentTNew(t, func(c *Config) { c.RetryInterval = time.Minute })
			tok := agentTToken("p-1", agentTT0.Add(24*time.Hour))
			agentTWant(t, s.Get(t, tok), "ASIAAGENTTEST0000001") // until T0+6h
			s.up.Set(agentTFail(failure))

			s.clock.Set(agentTT0.Add(5 * time.Hour))
			agentTWant(t, s.Get(t, tok), "ASIAAGENTTEST0000001")
			s.wantCalls(t, 2) // the refresh failed
			agentTWant(t, s.Get(t, tok), "ASIAAGENTTEST0000001")
			s.wantCalls(t, 2) // not retried within RetryInterval
			s.clock.Set(agentTT0.Add(5*time.Hour + time.Minute))
			agentTWant(t, s.Get(t, tok), "ASIAAGENTTEST0000001")
			s.wantCalls(t, 3) // retried after it, failed again

			// Still served with 16 s left ...
			s.clock.Set(agentTT0.Add(6*time.Hour - 16*time.Second))
			agentTWant(t, s.Get(t, tok), "ASIAAGENTTEST0000001")
			s.wantCalls(t, 4)
			// ... but not with 15 s: refetched, and the failure answered.
			s.clock.Set(agentTT0.Add(6*time.Hour - 15*time.Second))
			ans := s.Get(t, tok)
			s.wantCalls(t, 5)
			var ae *awsclient.APIError
			if errors.As(failure, &ae) {
				agentTError(t, ans, ae.Status, ae.Code)
			} else {
				agentTError(t, ans, http.StatusServiceUnavailable, "ServiceUnavailable")
			}

			// Once EKS Auth is back, the next request gets new credentials.
			s.up.Set(agentTOK(func() time.Time { return s.clock.Now().Add(6 * time.Hour) }))
			agentTWant(t, s.Get(t, tok), "ASIAAGENTTEST0000006")
		})
	}
}

func TestAgentEvictsOnIrrecoverableError(t *testing.T) {
	for code, status := range map[string]int{
		wire.AccessDeniedException:     400,
		wire.InvalidTokenException:     400,
		wire.ExpiredTokenException:     400,
		wire.ResourceNotFoundException: 404,
	} {
		t.Run(code, func(t *testing.T) {
			s := agentTNew(t, nil)
			tok := agentTToken("p-1", agentTT0.Add(24*time.Hour))
			agentTWant(t, s.Get(t, tok), "ASIAAGENTTEST0000001")
			s.up.Set(agentTFail(&awsclient.APIError{Status: status, Code: code, Message: "no"}))

			// The refresh fails for good: this answer still has the old
			// credentials, the entry is gone.
			s.clock.Set(agentTT0.Add(5 * time.Hour))
			agentTWant(t, s.Get(t, tok), "ASIAAGENTTEST0000001")
			s.wantCalls(t, 2)
			if s.a.cache.get(tokenKey(tok)) != nil {
				t.Fatal("entry still cached")
			}
			// The next request calls EKS Auth again and gets its error.
			agentTError(t, s.Get(t, tok), status, code)
			s.wantCalls(t, 3)
			agentTError(t, s.Get(t, tok), status, code)
			s.wantCalls(t, 4)
		})
	}
}

func TestAgentNeverHandsOutAlmostExpired(t *testing.T) {
	s := agentTNew(t, func(c *Config) { c.RateLimit = -1 })
	tok := agentTToken("p-1", agentTT0.Add(24*time.Hour))
	agentTWant(t, s.Get(t, tok), "ASIAAGENTTEST0000001")

	// 15 s left: refetched synchronously rather than handed out.
	s.clock.Set(agentTT0.Add(6*time.Hour - 15*time.Second))
	agentTWant(t, s.Get(t, tok), "ASIAAGENTTEST0000002")
	s.wantCalls(t, 2)

	// Upstream credentials with 15 s or less left are refused.
	s.up.Set(agentTOK(func() time.Time { return s.clock.Now().Add(15 * time.Second) }))
	tok2 := agentTToken("p-2", agentTT0.Add(24*time.Hour))
	agentTError(t, s.Get(t, tok2), http.StatusBadGateway, "InvalidUpstreamResponse")
	s.wantCalls(t, 3)

	// 16 s is enough.
	s.up.Set(agentTOK(func() time.Time { return s.clock.Now().Add(16 * time.Second) }))
	agentTWant(t, s.Get(t, tok2), "ASIAAGENTTEST0000004")
	s.wantCalls(t, 4)
}

func TestAgentConcurrentRequestsShareOneCall(t *testing.T) {
	s := agentTNew(t, nil)
	started := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	s.up.Set(func(n int64, _ string) (*wire.AssumeRoleForPodIdentityOutput, error) {
		once.Do(func() { close(started) })
		<-release
		return agentTOutput(fmt.Sprintf("ASIAAGENTTEST%07d", n), agentTT0.Add(6*time.Hour)), nil
	})
	tok := agentTToken("p-1", agentTT0.Add(24*time.Hour))
	h := s.a.Handler()
	const n = 20
	answers := make(chan agentTAnswer, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { answers <- agentTServe(t, h, http.MethodGet, CredentialsPath, tok) })
	}
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("no upstream call")
	}
	time.Sleep(50 * time.Millisecond) // let the others join the call
	close(release)
	wg.Wait()
	close(answers)
	for ans := range answers {
		agentTWant(t, ans, "ASIAAGENTTEST0000001")
	}
	s.wantCalls(t, 1)
}

func TestAgentClientGoneDoesNotCancelTheCall(t *testing.T) {
	s := agentTNew(t, nil)
	release := make(chan struct{})
	s.up.Set(func(n int64, _ string) (*wire.AssumeRoleForPodIdentityOutput, error) {
		<-release
		return agentTOutput(fmt.Sprintf("ASIAAGENTTEST%07d", n), agentTT0.Add(6*time.Hour)), nil
	})
	tok := agentTToken("p-1", agentTT0.Add(24*time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.a.credentials(ctx, tok); err == nil || err.Code != "RequestCanceled" {
		t.Fatalf("err = %v, want RequestCanceled", err)
	}
	close(release)
	s.a.calls.Wait()
	agentTWant(t, s.Get(t, tok), "ASIAAGENTTEST0000001")
	s.wantCalls(t, 1)
}

func TestAgentRateLimit(t *testing.T) {
	s := agentTNew(t, func(c *Config) { c.RateLimit, c.Burst = 1, 2 })
	toks := make([]string, 4)
	for i := range toks {
		toks[i] = agentTToken(fmt.Sprintf("p-%d", i), agentTT0.Add(24*time.Hour))
	}
	agentTWant(t, s.Get(t, toks[0]), "ASIAAGENTTEST0000001")
	agentTWant(t, s.Get(t, toks[1]), "ASIAAGENTTEST0000002")
	agentTError(t, s.Get(t, toks[2]), http.StatusTooManyRequests, wire.ThrottlingException)
	s.wantCalls(t, 2)
	// Cached credentials need no upstream call and are not limited.
	agentTWant(t, s.Get(t, toks[0]), "ASIAAGENTTEST0000001")
	// A second later one more call is allowed.
	s.clock.Set(agentTT0.Add(time.Second))
	agentTWant(t, s.Get(t, toks[2]), "ASIAAGENTTEST0000003")
	agentTError(t, s.Get(t, toks[3]), http.StatusTooManyRequests, wire.ThrottlingException)
	s.wantCalls(t, 3)

	// A refresh over the limit is skipped: the cached credentials are
	// served and the refresh happens on a later request.
	s.clock.Set(agentTT0.Add(5 * time.Hour))
	agentTWant(t, s.Get(t, toks[0]), "ASIAAGENTTEST0000001") // refresh started (bucket refilled)
	agentTWant(t, s.Get(t, toks[1]), "ASIAAGENTTEST0000002") // refresh started
	agentTWant(t, s.Get(t, toks[2]), "ASIAAGENTTEST0000003") // refresh rate-limited
	s.wantCalls(t, 5)
	s.clock.Set(agentTT0.Add(5*time.Hour + time.Second))
	agentTWant(t, s.Get(t, toks[2]), "ASIAAGENTTEST0000003") // refresh started now
	s.wantCalls(t, 6)
	agentTWant(t, s.Get(t, toks[2]), "ASIAAGENTTEST0000006")
}

func TestAgentBadRequests(t *testing.T) {
	s := agentTNew(t, nil)
	h := s.a.Handler()
	agentTError(t, agentTServe(t, h, http.MethodGet, CredentialsPath, ""), http.StatusBadRequest, wire.InvalidRequestException)
	agentTError(t, agentTServe(t, h, http.MethodGet, CredentialsPath, "Bearer "), http.StatusBadRequest, wire.InvalidRequestException)
	agentTError(t, agentTServe(t, h, http.MethodGet, CredentialsPath, "not-a-jwt"), http.StatusBadRequest, wire.InvalidTokenException)
	agentTError(t, agentTServe(t, h, http.MethodGet, CredentialsPath, "a.%%%.c"), http.StatusBadRequest, wire.InvalidTokenException)
	agentTError(t, agentTServe(t, h, http.MethodGet, CredentialsPath, agentTToken("p", agentTT0)), http.StatusBadRequest, wire.ExpiredTokenException)
	agentTError(t, agentTServe(t, h, http.MethodGet, CredentialsPath, strings.Repeat("a", maxTokenBytes+1)), http.StatusBadRequest, wire.InvalidTokenException)

	tok := agentTToken("p-1", agentTT0.Add(24*time.Hour))
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodHead} {
		ans := httptest.NewRecorder()
		req := httptest.NewRequest(m, CredentialsPath, nil)
		req.Header.Set("Authorization", tok)
		h.ServeHTTP(ans, req)
		if ans.Code != http.StatusMethodNotAllowed || ans.Header().Get("Allow") != http.MethodGet {
			t.Errorf("%s: %d Allow=%q, want 405 Allow=GET", m, ans.Code, ans.Header().Get("Allow"))
		}
	}
	agentTError(t, agentTServe(t, h, http.MethodGet, "/v2/credentials", tok), http.StatusNotFound, "NotFound")
	s.wantCalls(t, 0)
}

func TestAgentUpstreamErrorStatuses(t *testing.T) {
	for _, c := range []struct {
		err    error
		status int
		code   string
	}{
		{&awsclient.APIError{Status: 404, Code: wire.ResourceNotFoundException, Message: "no association"}, 404, wire.ResourceNotFoundException},
		{&awsclient.APIError{Status: 429, Code: wire.ThrottlingException, Message: "slow"}, 429, wire.ThrottlingException},
		{&awsclient.APIError{Status: 500, Code: wire.InternalServerException, Message: "oops"}, 500, wire.InternalServerException},
		{&awsclient.APIError{Status: 400, Code: wire.InvalidParameterException}, 400, wire.InvalidParameterException},
		{&awsclient.APIError{Status: 302, Code: "Found"}, 502, "Found"},
		{errors.New("connection refused"), 503, "ServiceUnavailable"},
		{context.DeadlineExceeded, 503, "ServiceUnavailable"},
	} {
		s := agentTNew(t, nil)
		s.up.Set(agentTFail(c.err))
		agentTError(t, s.Get(t, agentTToken("p-1", agentTT0.Add(time.Hour))), c.status, c.code)
	}
}

func TestAgentProbes(t *testing.T) {
	s := agentTNew(t, nil)
	h := s.a.Handler()
	for _, p := range []string{"/healthz", "/readyz"} {
		if ans := agentTServe(t, h, http.MethodGet, p, ""); ans.Status != http.StatusOK {
			t.Errorf("%s: %d", p, ans.Status)
		}
	}
	s.a.Close()
	if ans := agentTServe(t, h, http.MethodGet, "/readyz", ""); ans.Status != http.StatusServiceUnavailable {
		t.Errorf("/readyz after Close: %d", ans.Status)
	}
	if ans := agentTServe(t, h, http.MethodGet, "/healthz", ""); ans.Status != http.StatusOK {
		t.Errorf("/healthz after Close: %d", ans.Status)
	}

	bare := New(Config{})
	defer bare.Close()
	if ans := agentTServe(t, bare.Handler(), http.MethodGet, "/readyz", ""); ans.Status != http.StatusServiceUnavailable {
		t.Errorf("/readyz unconfigured: %d", ans.Status)
	}
	agentTError(t, agentTServe(t, bare.Handler(), http.MethodGet, CredentialsPath, agentTToken("p", time.Now().Add(time.Hour))), http.StatusInternalServerError, "NotConfigured")
}

func TestAgentMaxEntries(t *testing.T) {
	s := agentTNew(t, func(c *Config) { c.MaxEntries = 2 })
	a, b, c := agentTToken("a", agentTT0.Add(24*time.Hour)), agentTToken("b", agentTT0.Add(24*time.Hour)), agentTToken("c", agentTT0.Add(24*time.Hour))
	agentTWant(t, s.Get(t, a), "ASIAAGENTTEST0000001")
	agentTWant(t, s.Get(t, b), "ASIAAGENTTEST0000002")
	agentTWant(t, s.Get(t, a), "ASIAAGENTTEST0000001") // a is now the most recently used
	agentTWant(t, s.Get(t, c), "ASIAAGENTTEST0000003") // evicts b
	if n := s.a.cache.len(); n != 2 {
		t.Fatalf("cache holds %d entries, want 2", n)
	}
	agentTWant(t, s.Get(t, a), "ASIAAGENTTEST0000001")
	s.wantCalls(t, 3)
	agentTWant(t, s.Get(t, b), "ASIAAGENTTEST0000004")
	s.wantCalls(t, 4)

	// Expired entries go before the least recently used.
	s.up.Set(func(n int64, _ string) (*wire.AssumeRoleForPodIdentityOutput, error) {
		return agentTOutput(fmt.Sprintf("ASIAAGENTTEST%07d", n), s.clock.Now().Add(time.Minute)), nil
	})
	d := agentTToken("d", agentTT0.Add(24*time.Hour))
	agentTWant(t, s.Get(t, d), "ASIAAGENTTEST0000005") // evicts a (LRU); holds d, b
	s.clock.Set(agentTT0.Add(2 * time.Minute))         // d has expired
	agentTWant(t, s.Get(t, c), "ASIAAGENTTEST0000006") // evicts d, not the LRU b
	if s.a.cache.get(tokenKey(b)) == nil || s.a.cache.get(tokenKey(d)) != nil {
		t.Fatal("the expired entry should have gone first")
	}
}

// TestAgentEKSAuthWire checks NewEKSAuth's request against the wire
// contract (the integration test runs it against the real server).
func TestAgentEKSAuthWire(t *testing.T) {
	var got struct {
		method, path, auth string
		body               map[string]string
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.method, got.path, got.auth = r.Method, r.URL.Path, r.Header.Get("Authorization")
		_ = json.NewDecoder(r.Body).Decode(&got.body)
		if got.body["token"] == "denied" {
			w.Header().Set("X-Amzn-ErrorType", wire.AccessDeniedException)
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"message":"not associated"}`)
			return
		}
		_ = json.NewEncoder(w).Encode(agentTOutput("ASIAWIRE", time.Unix(1900000000, 0)))
	}))
	defer srv.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAAGENTTESTNODE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "node-secret")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_SESSION_TOKEN", "")
	c, err := awsclient.New(context.Background(), awsclient.Options{Endpoint: srv.URL, Region: "us-east-1", Service: "eks-auth"})
	if err != nil {
		t.Fatal(err)
	}
	up := NewEKSAuth(c)
	out, err := up.AssumeRoleForPodIdentity(context.Background(), "prod", "the-token")
	if err != nil {
		t.Fatal(err)
	}
	if got.method != http.MethodPost || got.path != "/clusters/prod/assume-role-for-pod-identity" || got.body["token"] != "the-token" {
		t.Fatalf("request %s %s %v", got.method, got.path, got.body)
	}
	if !strings.Contains(got.auth, "/us-east-1/eks-auth/aws4_request") {
		t.Fatalf("not signed for eks-auth: %q", got.auth)
	}
	if out.Credentials.AccessKeyID != "ASIAWIRE" || out.Credentials.Expiration.Unix() != 1900000000 {
		t.Fatalf("answer %+v", out.Credentials)
	}
	_, err = up.AssumeRoleForPodIdentity(context.Background(), "prod", "denied")
	e, kind := classify(err)
	if kind != irrecoverable || e.Status != 400 || e.Code != wire.AccessDeniedException || e.Message != "not associated" {
		t.Fatalf("classify(%v) = %v, %v", err, e, kind)
	}
}

// agentTProber is an agentTUpstream that is also a Prober answering
// probeErr.
type agentTProber struct {
	*agentTUpstream
	mu       sync.Mutex
	probeErr error
	probes   atomic.Int64
}

func (p *agentTProber) Probe(context.Context) error {
	p.probes.Add(1)
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.probeErr
}

func (p *agentTProber) SetProbe(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.probeErr = err
}

// TestAgentReadiness: /readyz follows the last contact with EKS Auth, a
// credential call or, when that is older than ProbeInterval, a probe.
func TestAgentReadiness(t *testing.T) {
	var p *agentTProber
	s := agentTNew(t, func(c *Config) {
		p = &agentTProber{agentTUpstream: c.Upstream.(*agentTUpstream)}
		c.Upstream = p
		c.ProbeInterval = time.Minute
	})
	readyz := func() agentTAnswer {
		t.Helper()
		return agentTServe(t, s.a.Handler(), http.MethodGet, "/readyz", "")
	}
	step := func(d time.Duration) { s.clock.Set(s.clock.Now().Add(d)) }

	// No contact yet: a probe, which fails.
	p.SetProbe(errors.New("dial tcp 127.0.0.1:1: connect: connection refused"))
	agentTError(t, readyz(), http.StatusServiceUnavailable, "NotReady")
	if ans := readyz(); !strings.Contains(ans.Raw["message"].(string), "connection refused") {
		t.Fatalf("/readyz message %v does not say why", ans.Raw)
	}
	if n := p.probes.Load(); n != 1 {
		t.Fatalf("%d probes within the interval, want 1", n)
	}
	// EKS Auth is back: seen at the next probe, once the interval passed.
	p.SetProbe(nil)
	agentTError(t, readyz(), http.StatusServiceUnavailable, "NotReady")
	step(time.Minute)
	if ans := readyz(); ans.Status != http.StatusOK {
		t.Fatalf("/readyz after a good probe: %d %v", ans.Status, ans.Raw)
	}
	// A credential call that cannot reach EKS Auth: not ready, without a
	// probe; an answer of EKS Auth, even a refusal: ready.
	probes := p.probes.Load()
	s.up.Set(agentTFail(errors.New("read tcp: connection reset by peer")))
	agentTError(t, s.Get(t, agentTToken("p-1", agentTT0.Add(2*time.Hour))), http.StatusServiceUnavailable, "ServiceUnavailable")
	agentTError(t, readyz(), http.StatusServiceUnavailable, "NotReady")
	s.up.Set(agentTFail(&awsclient.APIError{Status: 400, Code: wire.AccessDeniedException, Message: "denied"}))
	agentTError(t, s.Get(t, agentTToken("p-2", agentTT0.Add(2*time.Hour))), http.StatusBadRequest, wire.AccessDeniedException)
	if ans := readyz(); ans.Status != http.StatusOK {
		t.Fatalf("/readyz after an answer of EKS Auth: %d %v", ans.Status, ans.Raw)
	}
	if n := p.probes.Load(); n != probes {
		t.Fatalf("%d probes while credential calls were recent, want none", n-probes)
	}
	logs := s.Logs()
	if strings.Count(logs, "cannot reach EKS Auth") != 2 || strings.Count(logs, "EKS Auth can be reached again") != 2 {
		t.Fatalf("the changes of reachability are not logged once each:\n%s", logs)
	}
	s.a.Close()
	agentTError(t, readyz(), http.StatusServiceUnavailable, "NotReady")
}

// TestAgentLogSaysItOnce: the log line of a failed call carries the code,
// the status and EKS Auth's message, each once.
func TestAgentLogSaysItOnce(t *testing.T) {
	s := agentTNew(t, nil)
	s.up.Set(agentTFail(&awsclient.APIError{Status: 400, Code: wire.AccessDeniedException, Message: "the association's role does not trust pods.eks.amazonaws.com"}))
	agentTError(t, s.Get(t, agentTToken("p-1", agentTT0.Add(time.Hour))), http.StatusBadRequest, wire.AccessDeniedException)
	var line string
	for l := range strings.SplitSeq(s.Logs(), "\n") {
		if strings.Contains(l, "EKS Auth call failed") {
			line = l
		}
	}
	for _, once := range []string{wire.AccessDeniedException, "does not trust pods.eks.amazonaws.com", "status=400"} {
		if n := strings.Count(line, once); n != 1 {
			t.Errorf("the log line says %q %d times, want once:\n%s", once, n, line)
		}
	}
}
