package server

import (
	"sync"
	"time"

	"github.com/assumed-dev/assumed/internal/authz"
)

// maxRefusals bounds the refusals kept for `assumed explain --request-id`:
// the newest are kept, the oldest dropped.
const maxRefusals = 2048

// Refusal is one refused request, kept with its trace.
type Refusal struct {
	RequestID string       `json:"requestId"`
	Time      time.Time    `json:"time"`
	Service   string       `json:"service"`
	Operation string       `json:"operation"`
	Code      string       `json:"code"`
	Message   string       `json:"message"`
	Trace     *authz.Trace `json:"trace"`
}

// Accounts are the accounts a refusal's decision involved: the caller's
// and the resource owner's. Only they may read it.
func (r *Refusal) Accounts() []string {
	if r.Trace == nil {
		return nil
	}
	return r.Trace.InvolvedAccounts()
}

// refusalLog keeps the newest refusals by request ID, in memory.
type refusalLog struct {
	mu   sync.Mutex
	ring []*Refusal
	next int
	byID map[string]*Refusal
}

func newRefusalLog() *refusalLog {
	return &refusalLog{ring: make([]*Refusal, maxRefusals), byID: make(map[string]*Refusal, maxRefusals)}
}

// add keeps r, dropping the oldest when full.
func (l *refusalLog) add(r *Refusal) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if old := l.ring[l.next]; old != nil {
		delete(l.byID, old.RequestID)
	}
	l.ring[l.next] = r
	l.byID[r.RequestID] = r
	l.next = (l.next + 1) % len(l.ring)
}

// Refusal returns the refusal of the request with ID id, while kept.
func (s *Server) Refusal(id string) (*Refusal, bool) {
	s.refusals.mu.Lock()
	defer s.refusals.mu.Unlock()
	r, ok := s.refusals.byID[id]
	return r, ok
}
