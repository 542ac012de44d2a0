package policy

import (
	"strings"

	"github.com/assumed-dev/assumed/arn"
)

// Request is what is being asked: who, which action, on what, in which
// context.
type Request struct {
	// Principal is the caller, needed only for statements with a Principal
	// or NotPrincipal element (resource and trust policies). A statement
	// with one never matches a request without a Principal.
	Principal *Principal
	// Action is "service:Name"; case-insensitive.
	Action string
	// Resource is the ARN acted on, or "*" for actions without one.
	// Statements without a Resource element (trust policies) ignore it.
	Resource string
	// Context holds the condition keys; nil is an empty context.
	Context *Context
}

// Decision is the outcome of evaluating a set of policies.
type Decision uint8

// The outcomes: no statement applied, an Allow applied and no Deny did, or
// a Deny applied.
const (
	NotApplicable Decision = iota
	Allowed
	Denied
)

func (d Decision) String() string {
	switch d {
	case Allowed:
		return "allowed"
	case Denied:
		return "explicitDeny"
	}
	return "implicitDeny"
}

// Match is one statement that applied to a request.
type Match struct {
	Entry     int // index of the policy in the Set
	Statement int // index of the statement in the policy's Statements
	Effect    Effect
	Principal PrincipalMatch // how the statement named the caller (MatchNone without a Principal element)
}

// Result receives the outcome of Evaluate. Reuse one Result across calls
// (Evaluate resets it) to evaluate without allocating.
type Result struct {
	Decision Decision
	// Principal is the most specific way an applying Allow statement named
	// the caller.
	Principal PrincipalMatch
	// Matches lists every statement that applied, in policy order.
	Matches []Match
}

// Entry is a policy in a Set with the name explanations use for it
// (a policy ARN, "inline policy NAME of role R", "trust policy of role R").
type Entry struct {
	ID     string
	Policy *Policy
}

// Set is a group of compiled policies evaluated together (a principal's
// identity policies, a resource's policy, a session's policies). Its
// statements are indexed by action: a request visits only the statements
// that name its action exactly, name a wildcard within its service, or
// could match any service (NotAction, "*"). A Set is immutable and safe
// for concurrent use.
type Set struct {
	entries   []Entry
	exact     map[string][]stmtRef // lower-case "service:name" → statements naming it literally
	glob      map[string][]stmtRef // lower-case service → statements with a wildcard name in it
	anyAction []stmtRef            // NotAction statements and statements with a "*" service
}

type stmtRef struct {
	st          *Statement
	entry, stmt int32
	// quick holds the statement's resource filters when every Resource
	// value has one (a Resource element, not NotResource): a request
	// whose resource passes none of them cannot match, and is rejected
	// without touching the statement.
	quick []quickFilter
}

// quickFilter is the literal part of one Resource pattern: its service
// component (empty: any) and the text its resource component starts with.
type quickFilter struct {
	service, prefix string
	contains        string // the resource component must contain it ("*X*" patterns)
}

// quickFilters returns the filters for st, or nil when some Resource
// value cannot be filtered this way.
func quickFilters(st *Statement) []quickFilter {
	if !st.HasResource || st.NotResource {
		return nil
	}
	q := make([]quickFilter, 0, len(st.resources))
	for i := range st.resources {
		r := &st.resources[i]
		if r.all || r.never {
			return nil
		}
		q = append(q, quickFilter{service: r.service, prefix: r.resourcePrefix, contains: r.contains})
	}
	return q
}

// mayMatch applies the quick filters to the request's resource.
func (ref *stmtRef) mayMatch(rq *request) bool {
	if ref.quick == nil {
		return true
	}
	if !rq.isARN {
		return false
	}
	for i := range ref.quick {
		q := &ref.quick[i]
		if (q.service == "" || q.service == rq.parts[2]) && strings.HasPrefix(rq.parts[5], q.prefix) &&
			(q.contains == "" || strings.Contains(rq.parts[5], q.contains)) {
			return true
		}
	}
	return false
}

func (a stmtRef) less(b stmtRef) bool {
	return a.entry < b.entry || a.entry == b.entry && a.stmt < b.stmt
}

// NewSet indexes the given policies. Nil policies are skipped.
func NewSet(entries ...Entry) *Set {
	s := &Set{exact: make(map[string][]stmtRef), glob: make(map[string][]stmtRef)}
	for _, e := range entries {
		if e.Policy == nil {
			continue
		}
		ei := int32(len(s.entries))
		s.entries = append(s.entries, e)
		for si, st := range e.Policy.Statements {
			s.index(stmtRef{st: st, entry: ei, stmt: int32(si), quick: quickFilters(st)}, st)
		}
	}
	return s
}

func (s *Set) index(ref stmtRef, st *Statement) {
	if st.NotAction {
		s.anyAction = append(s.anyAction, ref)
		return
	}
	for _, a := range st.actions {
		if a.anyService {
			s.anyAction = append(s.anyAction, ref)
			return
		}
	}
	globbed := map[string]bool{}
	for _, a := range st.actions {
		if !a.name.literal {
			globbed[a.service] = true
		}
	}
	added := map[string]bool{}
	for _, a := range st.actions {
		key := a.service + ":" + a.name.raw
		switch {
		case globbed[a.service]:
			key = a.service + ":"
			if added[key] {
				continue
			}
			s.glob[a.service] = append(s.glob[a.service], ref)
		case added[key]:
			continue
		default:
			s.exact[key] = append(s.exact[key], ref)
		}
		added[key] = true
	}
}

// Len returns the number of policies in the set.
func (s *Set) Len() int { return len(s.entries) }

// Entries returns the set's policies.
func (s *Set) Entries() []Entry { return s.entries }

// Evaluate decides req against every policy in the set and writes the
// outcome to res: Denied if any Deny statement applies, else Allowed if
// any Allow statement applies, else NotApplicable. It does not allocate
// when res.Matches has room.
func (s *Set) Evaluate(req *Request, res *Result) Decision {
	res.Decision, res.Principal, res.Matches = NotApplicable, MatchNone, res.Matches[:0]
	if s == nil {
		return NotApplicable
	}
	svc, name, ok := strings.Cut(req.Action, ":")
	if !ok {
		return NotApplicable
	}
	exact := lookupFold(s.exact, req.Action)
	var glob []stmtRef
	if len(s.glob) > 0 {
		glob = lookupFold(s.glob, svc)
	}
	rq := request{Request: req, svc: svc, name: name}
	rq.parts, rq.isARN = arn.Split(req.Resource)
	// Visit the three lists in policy order. Statements found through the
	// exact index name the action literally and skip the action check.
	any := s.anyAction
	for len(exact) > 0 || len(glob) > 0 || len(any) > 0 {
		var ref stmtRef
		actionKnown := false
		switch {
		case len(exact) > 0 && (len(glob) == 0 || exact[0].less(glob[0])) && (len(any) == 0 || exact[0].less(any[0])):
			ref, exact, actionKnown = exact[0], exact[1:], true
		case len(glob) > 0 && (len(any) == 0 || glob[0].less(any[0])):
			ref, glob = glob[0], glob[1:]
		default:
			ref, any = any[0], any[1:]
		}
		if !ref.mayMatch(&rq) {
			continue
		}
		st := ref.st
		out, pm, _ := st.evaluateDetail(&rq, actionKnown, false)
		if out != outMatched {
			continue
		}
		res.Matches = append(res.Matches, Match{Entry: int(ref.entry), Statement: int(ref.stmt), Effect: st.Effect, Principal: pm})
		if st.Effect == Deny {
			res.Decision = Denied
		} else if res.Decision != Denied {
			res.Decision = Allowed
		}
		if st.Effect == Allow && pm > res.Principal {
			res.Principal = pm
		}
	}
	return res.Decision
}

// request is a Request with its action and resource split once.
type request struct {
	*Request
	svc, name string
	parts     [6]string
	isARN     bool
}

// lookupFold looks s up in a map with lower-case keys. It lowers s in a
// stack buffer: the compiler does not allocate for m[string(bytes)].
func lookupFold[V any](m map[string]V, s string) V {
	if isLower(s) {
		return m[s]
	}
	var buf [128]byte
	if len(s) > len(buf) {
		return m[strings.ToLower(s)]
	}
	n := copy(buf[:], s)
	for i := 0; i < n; i++ {
		buf[i] = lowerASCII(buf[i])
	}
	return m[string(buf[:n])]
}

func isLower(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			return false
		}
	}
	return true
}

// outcome is why a statement did or did not apply.
type outcome uint8

const (
	outMatched outcome = iota
	outAction
	outResource
	outPrincipal
	outCondition  // a condition was false
	outUnresolved // a policy variable could not be resolved
)

// evaluateDetail decides whether the statement applies to the request.
// actionKnown says the caller already knows the statement names the
// action. For outCondition and outUnresolved from a condition, failing is
// the index of the condition; otherwise it is -1.
//
// A statement whose policy variables cannot all be resolved never
// applies. Checking that last is enough for the decision (an unresolved
// variable and a failed match both leave the statement out), and cheaper;
// varsFirst checks it first, so that Explain names the right reason.
func (st *Statement) evaluateDetail(rq *request, actionKnown, varsFirst bool) (out outcome, pm PrincipalMatch, failing int) {
	if !actionKnown && st.matchAction(rq.svc, rq.name) == st.NotAction {
		return outAction, MatchNone, -1
	}
	req := rq.Request
	if varsFirst && !st.varsResolved(req.Context) {
		return outUnresolved, MatchNone, -1
	}
	if st.HasResource {
		m, ok := st.matchResource(rq, req.Context)
		if !ok {
			return outUnresolved, MatchNone, -1
		}
		if m == st.NotResource {
			return outResource, MatchNone, -1
		}
	}
	if st.Principal != nil {
		if req.Principal == nil {
			return outPrincipal, MatchNone, -1
		}
		if st.NotPrincipal {
			if !st.Principal.notPrincipalApplies(req.Principal, st.Effect) {
				return outPrincipal, MatchNone, -1
			}
			pm = MatchAll
		} else if pm = st.Principal.match(req.Principal); pm == MatchNone {
			return outPrincipal, MatchNone, -1
		}
	}
	for i, c := range st.Conditions {
		switch c.eval(req.Context) {
		case condFalse:
			return outCondition, MatchNone, i
		case condUnresolved:
			return outUnresolved, MatchNone, i
		}
	}
	if !st.varsResolved(req.Context) {
		return outUnresolved, MatchNone, -1
	}
	return outMatched, pm, -1
}

// varsResolved reports whether every variable without a default that the
// statement uses has a single value in ctx.
func (st *Statement) varsResolved(ctx *Context) bool {
	for _, key := range st.vars {
		if _, ok := ctx.variable(key); !ok {
			return false
		}
	}
	return true
}

func (st *Statement) matchAction(svc, name string) bool {
	for i := range st.actions {
		a := &st.actions[i]
		if !a.anyService && !equalFoldLower(svc, a.service) {
			continue
		}
		if m, _ := a.name.match(name, nil, true); m {
			return true
		}
	}
	return false
}

// matchResource reports whether any Resource value matches; ok is false
// when none matched and a policy variable in one of them could not be
// resolved.
func (st *Statement) matchResource(rq *request, ctx *Context) (matched, ok bool) {
	ok = true
	for i := range st.resources {
		r := &st.resources[i]
		if r.all {
			return true, true
		}
		if r.never {
			continue
		}
		// Only "*" matches a resource that is not an ARN ("*" itself for
		// actions without a resource type). A literal service or resource
		// prefix rejects most patterns without a call.
		if !rq.isARN || r.service != "" && r.service != rq.parts[2] || !strings.HasPrefix(rq.parts[5], r.resourcePrefix) {
			continue
		}
		m, resolved := r.matchSplit(rq.Request.Resource, &rq.parts, ctx)
		if m && resolved {
			return true, true
		}
		ok = ok && resolved
	}
	return false, ok
}
