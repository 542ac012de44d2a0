package explain

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/assumed-dev/assumed/internal/authz"
)

// Marks of the text rendering: a statement or condition that applied
// (held), one that did not, and the statement that decided.
const (
	markYes     = "✓"
	markNo      = "✗"
	markDecided = "← decided"
)

// Render writes t as text for people: who asked for what and the
// decision, the request's condition keys, then each account evaluated,
// each policy consulted there and each of its statements, ✓ when it
// applied and ✗ when it did not (with the reason), its conditions under
// it with the policy's and the request's values side by side, the
// statement that decided marked "← decided", and last the rule that
// decided, why and what to change, and a "Warning:" line for each risk
// an allowed assumption carries. The output depends on t alone.
func Render(w io.Writer, t *authz.Trace) error {
	b := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }

	who := t.Principal.ARN
	if who == "" {
		who = "(anonymous)"
	}
	var about []string
	if t.Principal.Type != "" && t.Principal.Type != "Unknown" {
		about = append(about, t.Principal.Type)
	}
	if t.Principal.AccountID != "" {
		about = append(about, "account "+t.Principal.AccountID)
	}
	if len(about) > 0 {
		who += " (" + strings.Join(about, ", ") + ")"
	}
	p("Principal: %s\n", who)
	p("Action:    %s\n", t.Action)
	res := t.Resource
	if t.ResourceAccount != "" {
		res += " (account " + t.ResourceAccount + ")"
	}
	p("Resource:  %s\n", res)
	p("Decision:  %s\n", decisionHeadline(t.Decision))

	if len(t.Context) > 0 {
		p("\nRequest context:\n")
		width := 0
		for _, c := range t.Context {
			width = max(width, len(c.Key))
		}
		for _, c := range t.Context {
			p("  %-*s  %s\n", width, c.Key, list(c.Values))
		}
	}

	for _, a := range t.Accounts {
		p("\nAccount %s (%s): %s\n", a.AccountID, a.Side, decisionWords(a.Decision))
		if a.Note != "" && a.Note != t.Rule {
			p("  Note: %s\n", a.Note)
		}
		if len(a.Policies) == 0 && (a.Note == "" || a.Note == t.Rule) {
			p("  (no policy was consulted)\n")
		}
		for _, pt := range a.Policies {
			name := pt.Name
			if pt.AccountID != "" && pt.AccountID != a.AccountID {
				name += " (account " + pt.AccountID + ")"
			}
			if !strings.Contains(strings.ToLower(name), pt.Kind) {
				// authz names most policies with their kind already.
				name = pt.Kind + ": " + name
			}
			p("  %s — %s\n", name, policyWords(pt.Decision))
			for _, s := range pt.Statements {
				mark := markNo
				if s.Outcome == "applied" {
					mark = markYes
				}
				label := fmt.Sprintf("statement %d", s.Number)
				if s.Sid != "" {
					label += fmt.Sprintf(" %q", s.Sid)
				}
				line := fmt.Sprintf("    %s %s (%s): %s", mark, label, s.Effect, s.Reason)
				if s.Reason == "" {
					line = fmt.Sprintf("    %s %s (%s): %s", mark, label, s.Effect, s.Outcome)
				}
				if s.Deciding {
					line += "  " + markDecided
				}
				p("%s\n", line)
				for _, c := range s.Conditions {
					mark := markNo
					if c.Result == "true" {
						mark = markYes
					}
					req := list(c.RequestValues)
					if !c.Present {
						req = "(absent)"
					}
					extra := ""
					if c.Result == "unresolved" {
						extra = " (a policy variable has no value)"
					}
					p("        %s %s %s policy %s request %s%s\n", mark, c.Operator, c.Key, list(c.PolicyValues), req, extra)
				}
			}
		}
	}

	p("\n")
	if d := t.Deciding; d != nil {
		by := d.String()
		if d.AccountID != "" {
			by = "account " + d.AccountID + ", " + by
		}
		p("Decided by: %s\n", by)
	}
	if t.Rule != "" {
		p("Rule: %s\n", t.Rule)
	}
	if t.Reason != "" {
		if t.Decision == authz.DecisionAllowed {
			p("Note: %s\n", t.Reason)
		} else {
			p("Why:  %s\n", t.Reason)
		}
	}
	if t.Fix != "" {
		p("Fix:  %s\n", t.Fix)
	}
	for _, w := range t.Warnings {
		p("Warning: %s\n", w)
	}
	if err := b.Flush(); err != nil {
		return fmt.Errorf("write the explanation: %w", err)
	}
	return nil
}

// decisionHeadline is the decision in capitals, with its kind.
func decisionHeadline(d string) string {
	switch d {
	case authz.DecisionAllowed:
		return "ALLOWED"
	case authz.DecisionExplicitDeny:
		return "DENIED (explicit deny)"
	case authz.DecisionImplicitDeny:
		return "DENIED (implicit deny: nothing allowed it)"
	}
	return strings.ToUpper(d)
}

// decisionWords says what one account's side decided.
func decisionWords(d string) string {
	switch d {
	case authz.DecisionAllowed:
		return "allows"
	case authz.DecisionExplicitDeny:
		return "denies explicitly"
	case authz.DecisionImplicitDeny:
		return "does not allow"
	}
	return d
}

// policyWords says what one policy decided.
func policyWords(d string) string {
	switch d {
	case authz.DecisionAllowed:
		return "allows"
	case authz.DecisionExplicitDeny:
		return "denies"
	case authz.DecisionImplicitDeny:
		return "allows nothing here"
	}
	return d
}

// list is values as a bracketed list of quoted strings.
func list(v []string) string {
	q := make([]string, len(v))
	for i, s := range v {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
