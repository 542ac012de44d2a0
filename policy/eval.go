package policy

import "strings"

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
// statements are indexed by action service prefix, so a request only
// visits statements that can name its action. A Set is immutable and safe
// for concurrent use.
type Set struct {
	entries   []Entry
	byService map[string][]stmtRef
	anyAction []stmtRef // NotAction statements and statements with a "*" service
}

type stmtRef struct{ entry, stmt int32 }

func (a stmtRef) less(b stmtRef) bool {
	return a.entry < b.entry || a.entry == b.entry && a.stmt < b.stmt
}

// NewSet indexes the given policies. Nil policies are skipped.
func NewSet(entries ...Entry) *Set {
	s := &Set{byService: make(map[string][]stmtRef)}
	for _, e := range entries {
		if e.Policy == nil {
			continue
		}
		ei := int32(len(s.entries))
		s.entries = append(s.entries, e)
		for si, st := range e.Policy.Statements {
			ref := stmtRef{ei, int32(si)}
			if st.NotAction {
				s.anyAction = append(s.anyAction, ref)
				continue
			}
			seen := map[string]bool{}
			wild := false
			for _, a := range st.actions {
				if a.anyService {
					wild = true
				} else if !seen[a.service] {
					seen[a.service] = true
				}
			}
			if wild {
				s.anyAction = append(s.anyAction, ref)
				continue
			}
			for svc := range seen {
				s.byService[svc] = append(s.byService[svc], ref)
			}
		}
	}
	return s
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
	var byService []stmtRef
	if isLower(svc) {
		byService = s.byService[svc]
	} else {
		var buf [64]byte
		if len(svc) <= len(buf) {
			n := copy(buf[:], svc)
			for i := 0; i < n; i++ {
				buf[i] = lowerASCII(buf[i])
			}
			byService = s.byService[string(buf[:n])]
		}
	}
	// Visit both lists in policy order.
	a, b := byService, s.anyAction
	for len(a) > 0 || len(b) > 0 {
		var ref stmtRef
		if len(b) == 0 || len(a) > 0 && a[0].less(b[0]) {
			ref, a = a[0], a[1:]
		} else {
			ref, b = b[0], b[1:]
		}
		st := s.entries[ref.entry].Policy.Statements[ref.stmt]
		out, pm := st.evaluate(req, svc, name)
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

// evaluate decides whether the statement applies to req. For outCondition
// and outUnresolved from a condition, failing is the index of the
// condition; for outUnresolved from a resource it is -1.
func (st *Statement) evaluate(req *Request, svc, name string) (outcome, PrincipalMatch) {
	out, pm, _ := st.evaluateDetail(req, svc, name)
	return out, pm
}

func (st *Statement) evaluateDetail(req *Request, svc, name string) (out outcome, pm PrincipalMatch, failing int) {
	if st.matchAction(svc, name) == st.NotAction {
		return outAction, MatchNone, -1
	}
	if st.HasResource {
		m, ok := st.matchResource(req.Resource, req.Context)
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
	return outMatched, pm, -1
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
func (st *Statement) matchResource(resource string, ctx *Context) (matched, ok bool) {
	ok = true
	for i := range st.resources {
		m, resolved := st.resources[i].match(resource, ctx)
		if m && resolved {
			return true, true
		}
		ok = ok && resolved
	}
	return false, ok
}
