package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
)

// Limits bound what a client can make the server hold. Everything a
// request can cost before it is authenticated is bounded by them: its
// headers, its body, and how many bodies are buffered at once.
type Limits struct {
	// MaxHeaderBytes bounds a request's line and headers.
	MaxHeaderBytes int
	// MaxBody bounds the body of a request signed with a known key.
	MaxBody int64
	// MaxAnonymousBody bounds a body read before any key is known: an
	// unsigned AssumeRoleWithWebIdentity, or a request whose signature
	// names no key the server has (which may still be a web-identity call,
	// whose Authorization header AWS ignores).
	MaxAnonymousBody int64
	// MaxInFlightBodies bounds the requests whose bodies are being read
	// or held at once; MaxBufferedBytes bounds the bytes they reserve
	// (their Content-Length, or their limit when it is unknown). A request
	// over either is refused at once with 503 Throttling.
	MaxInFlightBodies int
	MaxBufferedBytes  int64
}

// DefaultLimits are the limits of `assumed serve`. IAM's largest
// documents, URL-encoded, fit MaxBody; an AssumeRoleWithWebIdentity call
// at AWS's maximum sizes (a 20,000-character token, a 2,048-character
// policy, ten policy ARNs) fits MaxAnonymousBody. The session tokens
// assumed issues are a few kilobytes, far below MaxHeaderBytes.
func DefaultLimits() Limits {
	return Limits{
		MaxHeaderBytes:    64 << 10,
		MaxBody:           1 << 20,
		MaxAnonymousBody:  64 << 10,
		MaxInFlightBodies: 256,
		MaxBufferedBytes:  32 << 20,
	}
}

// withDefaults fills the zero fields of l from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = d.MaxHeaderBytes
	}
	if l.MaxBody <= 0 {
		l.MaxBody = d.MaxBody
	}
	if l.MaxAnonymousBody <= 0 {
		l.MaxAnonymousBody = d.MaxAnonymousBody
	}
	if l.MaxInFlightBodies <= 0 {
		l.MaxInFlightBodies = d.MaxInFlightBodies
	}
	if l.MaxBufferedBytes <= 0 {
		l.MaxBufferedBytes = d.MaxBufferedBytes
	}
	return l
}

// bodyBudget counts the request bodies in flight and the bytes they
// reserve. It never waits: a request that does not fit is refused, so a
// flood of slow bodies costs a bounded amount of memory and no queue.
type bodyBudget struct {
	mu              sync.Mutex
	count, maxCount int
	bytes, maxBytes int64
}

func newBodyBudget(l Limits) *bodyBudget {
	return &bodyBudget{maxCount: l.MaxInFlightBodies, maxBytes: l.MaxBufferedBytes}
}

// reserve takes one slot and n bytes, or reports false when either is
// exhausted; release gives them back.
func (b *bodyBudget) reserve(n int64) (release func(), ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.count >= b.maxCount || b.bytes+n > b.maxBytes {
		return nil, false
	}
	b.count++
	b.bytes += n
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			b.count--
			b.bytes -= n
			b.mu.Unlock()
		})
	}, true
}

// errThrottled answers a request refused for want of body budget; the SDKs
// retry Throttling with backoff.
var errThrottled = &apiError{Status: http.StatusServiceUnavailable, Code: "Throttling", Message: "Rate exceeded: too many request bodies are in flight; retry later", Sender: true}

// readBody reads a request's body, at most limit bytes, within the body
// budget. The returned release gives the reservation back: call it when
// the body is no longer held.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, func(), error) {
	tooLarge := &apiError{Status: http.StatusRequestEntityTooLarge, Code: "RequestEntityTooLarge", Message: fmt.Sprintf("Request body larger than %d bytes", limit), Sender: true}
	if r.ContentLength > limit {
		return nil, func() {}, tooLarge
	}
	if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		return nil, func() {}, nil
	}
	reserve := limit
	if r.ContentLength > 0 {
		reserve = r.ContentLength
	}
	release, ok := s.bodies.reserve(reserve)
	if !ok {
		s.metrics.throttled.Inc()
		return nil, func() {}, errThrottled
	}
	var body []byte
	var err error
	if r.ContentLength > 0 {
		// The announced size, allocated once: what was reserved is what
		// is held (io.ReadAll's doubling could hold twice as much).
		body = make([]byte, r.ContentLength)
		_, err = io.ReadFull(r.Body, body)
	} else {
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	}
	if err != nil {
		release()
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			return nil, func() {}, tooLarge
		}
		return nil, func() {}, &apiError{Status: http.StatusBadRequest, Code: "IncompleteBody", Message: "The request body could not be read in full", Sender: true}
	}
	return body, release, nil
}
