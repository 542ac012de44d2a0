package analyze

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// WriteText prints the graph's edges, one a line, grouped by the node
// they start from, with what allows each and what it requires.
func (g *Graph) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("%d accounts, %d nodes, %d edges (%s)\n", len(g.Accounts), len(g.Nodes), len(g.Edges), g.GeneratedAt.Format("2006-01-02T15:04:05Z"))
	last := ""
	for _, e := range g.Edges {
		if e.Kind == EdgeMemberOf || e.Kind == EdgeIssues || e.Kind == EdgeAssociation {
			continue
		}
		if e.From != last {
			ew.printf("\n%s\n", g.label(e.From))
			last = e.From
		}
		ew.printf("  %s %s\n", edgeVerb(e), g.label(e.To))
		writeEdgeDetail(ew, e, "      ")
	}
	return ew.err
}

// writeEdgeDetail prints an edge's statements, requirements and note.
func writeEdgeDetail(ew *errWriter, e *Edge, indent string) {
	for _, s := range e.Statements {
		ew.printf("%sallowed by %s\n", indent, s)
	}
	for _, c := range e.Requires {
		ew.printf("%srequires %s\n", indent, c)
	}
	for _, c := range e.Conditions {
		ew.printf("%swhen %s\n", indent, c)
	}
	if e.Note != "" {
		ew.printf("%snote: %s\n", indent, e.Note)
	}
}

// String names a statement as traces do: the policy, with its account
// where its name does not say it, then the statement.
func (s StatementRef) String() string {
	name := s.Policy
	if s.Account != "" && !strings.Contains(name, "(account ") {
		name += " (account " + s.Account + ")"
	}
	return name + ", " + s.Statement
}

// String writes a condition as a policy does: `StringEquals sts:ExternalId "x"`.
func (c Condition) String() string {
	vals := make([]string, len(c.Values))
	for i, v := range c.Values {
		vals[i] = fmt.Sprintf("%q", v)
	}
	return c.Operator + " " + c.Key + " " + strings.Join(vals, ", ")
}

// edgeVerb is how the text output reads an edge.
func edgeVerb(e *Edge) string {
	verb := map[string]string{EdgeAssume: "can assume", EdgeWebIdentity: "can assume (web identity)", EdgePodIdentity: "gives pods", EdgeAccess: "can " + strings.Join(e.Actions, ", ") + " on"}[e.Kind]
	if verb == "" {
		verb = e.Kind
	}
	if e.CrossAccount {
		verb += " [cross-account]"
	}
	return "→ " + verb
}

// label names a node for people: its ARN, or its kind and name.
func (g *Graph) label(id string) string {
	n, ok := g.byID[id]
	if !ok {
		return id
	}
	switch n.Kind {
	case KindServiceAccount:
		return n.Name + " (" + n.Cluster + ")"
	case KindExternalAccount:
		return "account " + n.Account + " (outside the directory)"
	case KindService:
		return "service " + n.Name
	case KindAccount:
		return "account " + n.Account + " (" + n.Name + ")"
	}
	if n.ARN != "" {
		return n.ARN
	}
	return n.Kind + " " + n.Name
}

// WriteJSON writes the graph as JSON.
func (g *Graph) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(g)
}

// ReadGraph reads a graph WriteJSON wrote.
func ReadGraph(r io.Reader) (*Graph, error) {
	var g Graph
	if err := json.NewDecoder(r).Decode(&g); err != nil {
		return nil, fmt.Errorf("read the graph: %w", err)
	}
	g.index()
	return &g, nil
}

// dotColors color nodes by kind.
var dotColors = map[string]string{
	KindUser: "#4e79a7", KindRole: "#f28e2b", KindGroup: "#76b7b2", KindOIDCProvider: "#59a14f", KindCluster: "#edc948",
	KindServiceAccount: "#b07aa1", KindPodIdentityAssociation: "#ff9da7", KindResource: "#9c755f", KindService: "#bab0ac",
	KindExternalAccount: "#e15759", KindAccount: "#ffffff",
}

// WriteDOT writes the graph in Graphviz's DOT language: one cluster
// (box) per account, nodes colored by kind, cross-account edges in red,
// edges that require something of the request dashed.
func (g *Graph) WriteDOT(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("digraph assumed {\n  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=9];\n")
	byAccount := map[string][]*Node{}
	for _, n := range g.Nodes {
		if n.Kind == KindAccount {
			continue
		}
		byAccount[n.Account] = append(byAccount[n.Account], n)
	}
	for i, acct := range slices.Sorted(maps.Keys(byAccount)) {
		name := acct
		if a, ok := g.byID[AccountNodeID(acct)]; ok && a.Name != "" {
			name = acct + " (" + a.Name + ")"
		}
		indent := "  "
		if acct != "" {
			ew.printf("  subgraph cluster_%d {\n    label=%s;\n    style=rounded;\n", i, dotQuote("account "+name))
			indent = "    "
		}
		for _, n := range byAccount[acct] {
			label := n.Name
			if n.Kind == KindRole || n.Kind == KindUser {
				label = n.Kind + "/" + n.Name
			}
			if n.Admin {
				label += " (admin)"
			}
			ew.printf("%s%s [label=%s, fillcolor=%s];\n", indent, dotQuote(n.ID), dotQuote(label), dotQuote(dotColors[n.Kind]))
		}
		if acct != "" {
			ew.printf("  }\n")
		}
	}
	for _, e := range g.Edges {
		attrs := []string{"label=" + dotQuote(dotEdgeLabel(e))}
		if e.CrossAccount {
			attrs = append(attrs, "color=\"#e15759\"")
		}
		if len(e.Requires) > 0 {
			attrs = append(attrs, "style=dashed")
		}
		ew.printf("  %s -> %s [%s];\n", dotQuote(e.From), dotQuote(e.To), strings.Join(attrs, ", "))
	}
	ew.printf("}\n")
	return ew.err
}

func dotEdgeLabel(e *Edge) string {
	label := e.Kind
	for _, c := range e.Requires {
		label += "\n" + c.Key
	}
	return label
}

// dotQuote quotes a DOT ID.
func dotQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
