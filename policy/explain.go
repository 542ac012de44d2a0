package policy

import (
	"fmt"
	"strings"

	"github.com/assumed-dev/assumed/arn"
)

// Outcome says why a statement did or did not apply to a request.
type Outcome uint8

// Statement outcomes, as Explain reports them.
const (
	Applied            Outcome = Outcome(outMatched)
	ActionNotMatched   Outcome = Outcome(outAction)
	ResourceNotMatched Outcome = Outcome(outResource)
	PrincipalNotMatch  Outcome = Outcome(outPrincipal)
	ConditionFalse     Outcome = Outcome(outCondition)
	VariableUnresolved Outcome = Outcome(outUnresolved)
)

func (o Outcome) String() string {
	return [...]string{"applied", "action not matched", "resource not matched", "principal not matched", "condition false", "variable unresolved"}[o]
}

// StatementTrace is one statement's part in a decision.
type StatementTrace struct {
	PolicyID  string
	Statement int // 1-based
	Sid       string
	Effect    Effect
	Outcome   Outcome
	Principal PrincipalMatch // when Applied and the statement has a Principal
	// Reason says in words what matched or which element failed, with the
	// values compared.
	Reason string
	// Conditions are the statement's conditions, each evaluated, when its
	// action, resource and principal matched (so that the conditions
	// decided); nil otherwise.
	Conditions []ConditionTrace
}

// ConditionTrace is one condition of a statement, evaluated: the policy's
// values and the request's side by side.
type ConditionTrace struct {
	Operator     string
	Key          string
	PolicyValues []string
	// RequestValues are the request's values of Key; Present says whether
	// the request holds the key at all.
	RequestValues []string
	Present       bool
	// Result is "true", "false" or "unresolved" (a policy variable in the
	// values has no value in the request).
	Result string
}

// Explanation is a decision with every statement's part in it.
type Explanation struct {
	Decision   Decision
	Statements []StatementTrace
}

// Explain evaluates req like Evaluate, but visits every statement of every
// policy and records why each one did or did not apply. It is meant for
// people (denial messages, `assumed explain`), not the hot path.
func (s *Set) Explain(req *Request) Explanation {
	var ex Explanation
	if s == nil {
		return ex
	}
	rq := request{Request: req}
	rq.svc, rq.name, _ = strings.Cut(req.Action, ":")
	rq.parts, rq.isARN = arn.Split(req.Resource)
	for _, e := range s.entries {
		for _, st := range e.Policy.Statements {
			out, pm, failing := st.evaluateDetail(&rq, false, true)
			tr := StatementTrace{PolicyID: e.ID, Statement: st.Index, Sid: st.Sid, Effect: st.Effect, Outcome: Outcome(out), Principal: pm}
			tr.Reason = st.reason(req, out, pm, failing)
			if (out == outMatched || out == outCondition || out == outUnresolved) && len(st.Conditions) > 0 {
				tr.Conditions = st.conditionTraces(req.Context)
			}
			if out == outMatched {
				if st.Effect == Deny {
					ex.Decision = Denied
				} else if ex.Decision != Denied {
					ex.Decision = Allowed
				}
			}
			ex.Statements = append(ex.Statements, tr)
		}
	}
	return ex
}

// conditionTraces evaluates each of the statement's conditions.
func (st *Statement) conditionTraces(ctx *Context) []ConditionTrace {
	out := make([]ConditionTrace, len(st.Conditions))
	for i := range st.Conditions {
		c := st.Conditions[i]
		got, present := ctx.Lookup(c.Key)
		res := "false"
		switch c.eval(ctx) {
		case condTrue:
			res = "true"
		case condUnresolved:
			res = "unresolved"
		}
		out[i] = ConditionTrace{Operator: c.Operator, Key: c.Key, PolicyValues: c.Values, RequestValues: got, Present: present, Result: res}
	}
	return out
}

func (st *Statement) reason(req *Request, out outcome, pm PrincipalMatch, failing int) string {
	switch out {
	case outMatched:
		r := fmt.Sprintf("%s applies", st.Effect)
		if st.Principal != nil {
			r += fmt.Sprintf(" (principal matched as %s)", pm)
		}
		return r
	case outAction:
		if st.NotAction {
			return fmt.Sprintf("action %s is excluded by NotAction %s", req.Action, quoteList(st.Actions))
		}
		return fmt.Sprintf("action %s is not in Action %s", req.Action, quoteList(st.Actions))
	case outResource:
		if st.NotResource {
			return fmt.Sprintf("resource %s is excluded by NotResource %s", req.Resource, quoteList(st.Resources))
		}
		return fmt.Sprintf("resource %s is not in Resource %s", req.Resource, quoteList(st.Resources))
	case outPrincipal:
		who := "no principal"
		if req.Principal != nil {
			who = req.Principal.ARN
		}
		el := "Principal"
		if st.NotPrincipal {
			el = "NotPrincipal"
		}
		vals := make([]string, 0, len(st.Principal.Entries))
		for _, e := range st.Principal.Entries {
			vals = append(vals, e.Key+":"+e.Value)
		}
		if st.Principal.All {
			vals = append(vals, "*")
		}
		if st.NotPrincipal {
			return fmt.Sprintf("caller %s is exempted by %s %s", who, el, quoteList(vals))
		}
		return fmt.Sprintf("caller %s is not named by %s %s", who, el, quoteList(vals))
	case outCondition, outUnresolved:
		if failing < 0 {
			var missing []string
			for _, key := range st.vars {
				if _, ok := req.Context.variable(key); !ok {
					missing = append(missing, "${"+key.name+"}")
				}
			}
			return fmt.Sprintf("policy variables %s have no single value in the request and no default, so the statement does not apply", strings.Join(missing, ", "))
		}
		c := st.Conditions[failing]
		got, present := req.Context.Lookup(c.Key)
		if out == outUnresolved {
			return fmt.Sprintf("condition %s %s: a policy variable in %s could not be resolved from the request", c.Operator, c.Key, quoteList(c.Values))
		}
		if !present {
			return fmt.Sprintf("condition %s %s %s is false: the key is not in the request", c.Operator, c.Key, quoteList(c.Values))
		}
		return fmt.Sprintf("condition %s %s %s is false for request value %s", c.Operator, c.Key, quoteList(c.Values), quoteList(got))
	}
	return ""
}

// maxQuoted is how many values of an element a reason quotes: AWS
// managed policies list over a thousand actions in one statement.
const maxQuoted = 12

func quoteList(vals []string) string {
	n := min(len(vals), maxQuoted)
	q := make([]string, n, n+1)
	for i, v := range vals[:n] {
		q[i] = fmt.Sprintf("%q", v)
	}
	if len(vals) > n {
		q = append(q, fmt.Sprintf("… %d more", len(vals)-n))
	}
	return "[" + strings.Join(q, ", ") + "]"
}
