package agent

import (
	"container/list"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/assumed-dev/assumed/internal/eksauth/wire"
)

// creds are credentials as the agent hands them out.
type creds struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	AccountID       string
	Expiration      time.Time
	// For log lines only.
	roleARN, associationID string
}

// entry is one token's cached credentials.
type entry struct {
	key   string
	creds creds
	// refreshAt starts the refresh window.
	refreshAt time.Time
	// retryAt: no background refresh before it (set after a failed one).
	retryAt time.Time
	elem    *list.Element
}

// cache is a bounded map of entries with least-recently-used order. The
// agent's mutex guards it.
type cache struct {
	max   int
	byKey map[string]*entry
	lru   *list.List // of *entry, most recently used first
}

func newCache(max int) *cache {
	return &cache{max: max, byKey: map[string]*entry{}, lru: list.New()}
}

func (c *cache) get(key string) *entry { return c.byKey[key] }

func (c *cache) touch(e *entry) { c.lru.MoveToFront(e.elem) }

func (c *cache) remove(e *entry) {
	if c.byKey[e.key] == e {
		delete(c.byKey, e.key)
		c.lru.Remove(e.elem)
	}
}

func (c *cache) len() int { return len(c.byKey) }

// put inserts e, replacing the token's old entry. When the cache is full
// it first drops the entries that may no longer be handed out (minRemaining
// or less left at now), then the least recently used.
func (c *cache) put(e *entry, now time.Time, minRemaining time.Duration) {
	if old := c.byKey[e.key]; old != nil {
		c.remove(old)
	}
	if len(c.byKey) >= c.max {
		for el := c.lru.Front(); el != nil; {
			next := el.Next()
			if old := el.Value.(*entry); old.creds.Expiration.Sub(now) <= minRemaining {
				c.remove(old)
			}
			el = next
		}
	}
	for len(c.byKey) >= c.max {
		c.remove(c.lru.Back().Value.(*entry))
	}
	e.elem = c.lru.PushFront(e)
	c.byKey[e.key] = e
}

// flight is one upstream call, shared by every request for its token.
type flight struct {
	done  chan struct{}
	creds creds  // set before done closes
	err   *Error // set before done closes
}

// credentials returns the credentials for token: from the cache, or from
// an upstream call (its own or one already in flight).
func (a *Agent) credentials(ctx context.Context, token string) (creds, *Error) {
	key := tokenKey(token)
	now := a.now()
	a.mu.Lock()
	if e := a.cache.get(key); e != nil {
		if e.creds.Expiration.Sub(now) > a.minRemaining {
			a.cache.touch(e)
			if !now.Before(e.refreshAt) && !now.Before(e.retryAt) && a.flights[key] == nil && !a.closed {
				if a.allow(now) {
					a.log.Debug("refreshing credentials in the background", "token_id", tokenID(key), "expiration", e.creds.Expiration)
					a.startFlight(key, token, true)
				} else {
					a.log.Debug("background refresh rate-limited; serving cached credentials", "token_id", tokenID(key))
				}
			}
			c := e.creds
			a.mu.Unlock()
			return c, nil
		}
		a.log.Debug("dropping cached credentials that are about to expire", "token_id", tokenID(key), "expiration", e.creds.Expiration)
		a.cache.remove(e)
	}
	f := a.flights[key]
	if f == nil {
		if a.closed {
			a.mu.Unlock()
			return creds{}, &Error{Status: http.StatusServiceUnavailable, Code: "ServiceUnavailable", Message: "the agent is shutting down"}
		}
		if !a.allow(now) {
			a.mu.Unlock()
			a.log.Warn("upstream call rate-limited", "token_id", tokenID(key))
			return creds{}, &Error{Status: http.StatusTooManyRequests, Code: wire.ThrottlingException, Message: "too many credential requests to EKS Auth; retry later"}
		}
		f = a.startFlight(key, token, false)
	}
	a.mu.Unlock()
	select {
	case <-f.done:
		return f.creds, f.err
	case <-ctx.Done():
		return creds{}, &Error{Status: http.StatusServiceUnavailable, Code: "RequestCanceled", Message: "the request ended before EKS Auth answered", Err: ctx.Err()}
	}
}

// allow takes a token from the upstream rate limit. a.mu must be held.
func (a *Agent) allow(now time.Time) bool {
	return a.limiter == nil || a.limiter.allow(now)
}

// startFlight starts the upstream call for key. a.mu must be held.
func (a *Agent) startFlight(key, token string, refresh bool) *flight {
	f := &flight{done: make(chan struct{})}
	a.flights[key] = f
	a.calls.Add(1)
	go a.fetch(f, key, token, refresh)
	return f
}

// fetch makes f's upstream call and files its outcome in the cache.
func (a *Agent) fetch(f *flight, key, token string, refresh bool) {
	defer a.calls.Done()
	ctx, cancel := context.WithTimeout(a.base, a.upstreamTimeout)
	out, err := a.upstream.AssumeRoleForPodIdentity(ctx, a.cluster, token)
	cancel()
	now := a.now()
	var c creds
	var e *Error
	kind := transient
	if err == nil {
		c, e = a.convert(out, now)
	} else {
		e, kind = classify(err)
	}
	log := a.log.With("token_id", tokenID(key), "refresh", refresh)

	a.mu.Lock()
	delete(a.flights, key)
	a.noteContact(transportError(err))
	evicted, kept := false, false
	if e == nil {
		a.cache.put(&entry{key: key, creds: c, refreshAt: a.refreshAt(c.Expiration, now)}, now, a.minRemaining)
	} else if old := a.cache.get(key); old != nil {
		if kind == irrecoverable {
			a.cache.remove(old)
			evicted = true
		} else {
			old.retryAt = now.Add(a.retryInterval)
			kept = old.creds.Expiration.Sub(now) > a.minRemaining
		}
	}
	f.creds, f.err = c, e
	a.mu.Unlock()
	close(f.done)

	switch {
	case e == nil:
		log.Info("fetched credentials from EKS Auth", "association_id", c.associationID, "role", c.roleARN, "expiration", c.Expiration)
	case evicted:
		log.Warn("EKS Auth refused the token; evicted its cached credentials", "status", e.Status, "code", e.Code, "error", e.detail())
	case kept:
		log.Warn("EKS Auth call failed; serving cached credentials meanwhile", "status", e.Status, "code", e.Code, "retry_in", a.retryInterval, "error", e.detail())
	default:
		log.Log(context.Background(), levelFor(e), "EKS Auth call failed", "status", e.Status, "code", e.Code, "error", e.detail())
	}
}

func levelFor(e *Error) slog.Level {
	if e.Status >= 500 || e.Status == http.StatusTooManyRequests {
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

// refreshAt is when credentials expiring at exp, fetched at fetched,
// enter their refresh window: max(RefreshBefore, lifetime/4), capped at
// lifetime/2, before exp.
func (a *Agent) refreshAt(exp, fetched time.Time) time.Time {
	lifetime := exp.Sub(fetched)
	before := max(a.refreshBefore, lifetime/4)
	before = min(before, lifetime/2)
	return exp.Add(-before)
}

// convert checks EKS Auth's answer and turns it into creds.
func (a *Agent) convert(out *wire.AssumeRoleForPodIdentityOutput, now time.Time) (creds, *Error) {
	bad := func(msg string) (creds, *Error) {
		return creds{}, &Error{Status: http.StatusBadGateway, Code: "InvalidUpstreamResponse", Message: "EKS Auth answered " + msg}
	}
	if out == nil {
		return bad("nothing")
	}
	cr := out.Credentials
	if cr.AccessKeyID == "" || cr.SecretAccessKey == "" || cr.SessionToken == "" || cr.Expiration.IsZero() {
		return bad("incomplete credentials")
	}
	account, ok := accountOf(out.AssumedRoleUser.ARN)
	if !ok {
		return bad("an assumed-role ARN without an account ID")
	}
	if left := cr.Expiration.Sub(now); left <= a.minRemaining {
		return bad("credentials that expire in " + left.Round(time.Second).String())
	}
	return creds{
		AccessKeyID:     cr.AccessKeyID,
		SecretAccessKey: cr.SecretAccessKey,
		SessionToken:    cr.SessionToken,
		AccountID:       account,
		Expiration:      cr.Expiration.UTC(),
		roleARN:         out.AssumedRoleUser.ARN,
		associationID:   out.PodIdentityAssociation.AssociationID,
	}, nil
}

// accountOf returns the account ID of an ARN (its fifth field), which
// must be 12 digits.
func accountOf(arn string) (string, bool) {
	f := strings.SplitN(arn, ":", 6)
	if len(f) != 6 || f[0] != "arn" || len(f[4]) != 12 {
		return "", false
	}
	for _, r := range f[4] {
		if r < '0' || r > '9' {
			return "", false
		}
	}
	return f[4], true
}

// bucket is a token bucket on the agent's clock. The agent's mutex
// guards it.
type bucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func newBucket(rate float64, burst int) *bucket {
	return &bucket{rate: rate, burst: float64(burst), tokens: float64(burst)}
}

// allow takes one token if there is one.
func (b *bucket) allow(now time.Time) bool {
	if !b.last.IsZero() {
		if d := now.Sub(b.last); d > 0 {
			b.tokens = min(b.burst, b.tokens+d.Seconds()*b.rate)
		}
	}
	if now.After(b.last) {
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	return false
}
