package analyze_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/assumed-dev/assumed/internal/analyze"
)

const (
	acctApp   = "111111111111"
	acctTools = "222222222222"
	acctData  = "333333333333"
)

func roleARN(acct, name string) string { return "arn:aws:iam::" + acct + ":role/" + name }
func userARN(acct, name string) string { return "arn:aws:iam::" + acct + ":user/" + name }

// edge returns the edge from → to, or nil.
func edge(g *analyze.Graph, from, to string) *analyze.Edge {
	for _, e := range g.Out(from) {
		if e.To == to {
			return e
		}
	}
	return nil
}

// TestBuildEdgesAreDecisions: every edge the world's policies allow is
// there, labelled with what allows it, and every pair the evaluator
// refuses is not.
func TestBuildEdgesAreDecisions(t *testing.T) {
	snap := worldSnapshot(t, "testdata/world.yaml")
	g := analyze.Build(snap, analyze.Options{})

	type want struct {
		from, to, kind string
		cross          bool
		requires       string // a key the edge requires, "" for none
		statement      string // a statement label the edge cites
	}
	sa := func(ns, name string) string {
		for _, n := range g.Nodes {
			if n.Kind == analyze.KindServiceAccount && n.Namespace == ns && n.ServiceAccount == name {
				return n.ID
			}
		}
		t.Fatalf("no service account %s:%s in the graph", ns, name)
		return ""
	}
	var assoc string
	for _, n := range g.Nodes {
		if n.Kind == analyze.KindPodIdentityAssociation {
			assoc = n.ID
		}
	}
	present := []want{
		// Seed 004: B's role, allowed by its own policy, and A's trust of
		// B's account agree.
		{userARN(acctTools, "ci"), roleARN(acctApp, "table-writer"), analyze.EdgeAssume, true, "", "statement 1"},
		{roleARN(acctTools, "lambda-exec"), roleARN(acctApp, "table-writer"), analyze.EdgeAssume, true, "", "statement 1"},
		// Only with the external ID in the request.
		{userARN(acctTools, "ci"), roleARN(acctApp, "deployer"), analyze.EdgeAssume, true, "sts:ExternalId", `statement "CI"`},
		// Role chaining.
		{roleARN(acctApp, "deployer"), roleARN(acctApp, "admin"), analyze.EdgeAssume, false, "", "statement 1"},
		// A third party: the trust alone.
		{analyze.AccountNodeID("999999999999"), roleARN(acctApp, "vendor-access"), analyze.EdgeAssume, true, "", `statement "Vendor"`},
		{analyze.AccountNodeID("999999999999"), roleARN(acctApp, "vendor-safe"), analyze.EdgeAssume, true, "sts:ExternalId", "statement 1"},
		// A service.
		{analyze.ServiceNodeID("lambda.amazonaws.com"), roleARN(acctTools, "lambda-exec"), analyze.EdgeAssume, false, "", "statement 1"},
		// IRSA: the service account the :sub names, and the pattern.
		{sa("prod", "app"), roleARN(acctApp, "irsa-app"), analyze.EdgeWebIdentity, false, "", "statement 1"},
		{sa("prod", "*"), roleARN(acctApp, "irsa-loose"), analyze.EdgeWebIdentity, false, "", "statement 1"},
		// Pod Identity, then its target across accounts.
		{sa("web", "web"), assoc, analyze.EdgeAssociation, false, "", ""},
		{assoc, roleARN(acctApp, "pod-role"), analyze.EdgePodIdentity, false, "", "statement 1"},
		{roleARN(acctApp, "pod-role"), roleARN(acctData, "target"), analyze.EdgeAssume, true, "", "statement 1"},
		// B's account root stands for its principals: ci may assume the
		// target too (its policy allows any role).
		{userARN(acctTools, "ci"), roleARN(acctData, "target"), analyze.EdgeAssume, true, "", "statement 1"},
	}
	for _, w := range present {
		e := edge(g, w.from, w.to)
		if e == nil {
			t.Errorf("no edge %s → %s", w.from, w.to)
			continue
		}
		if e.Kind != w.kind || e.CrossAccount != w.cross {
			t.Errorf("%s → %s: kind %s cross %v, want %s %v", w.from, w.to, e.Kind, e.CrossAccount, w.kind, w.cross)
		}
		if w.requires != "" && !slices.ContainsFunc(e.Requires, func(c analyze.Condition) bool { return c.Key == w.requires }) {
			t.Errorf("%s → %s requires %+v, want %s", w.from, w.to, e.Requires, w.requires)
		}
		if w.requires == "" && len(e.Requires) > 0 {
			t.Errorf("%s → %s requires %+v, want nothing", w.from, w.to, e.Requires)
		}
		if w.statement != "" && !slices.ContainsFunc(e.Statements, func(s analyze.StatementRef) bool { return s.Statement == w.statement && s.Kind == "trust policy" }) {
			t.Errorf("%s → %s cites %+v, want the trust's %s", w.from, w.to, e.Statements, w.statement)
		}
	}
	// Across accounts the edge cites both sides.
	if e := edge(g, roleARN(acctTools, "lambda-exec"), roleARN(acctApp, "table-writer")); e != nil &&
		!slices.ContainsFunc(e.Statements, func(s analyze.StatementRef) bool { return s.Kind == "identity-based policy" && s.Account == acctTools }) {
		t.Errorf("the cross-account edge cites %+v: want B's identity-based policy too", e.Statements)
	}

	absent := [][2]string{
		// B's idle user has no policy: A's trust of B's account is not
		// enough on its own.
		{userARN(acctTools, "idle"), roleARN(acctApp, "table-writer")},
		// A role assuming itself through a trust of its account: AWS
		// requires the trust to name the role.
		{roleARN(acctApp, "selfish"), roleARN(acctApp, "selfish")},
		// The admin's trust names the deployer only.
		{userARN(acctTools, "ci"), roleARN(acctApp, "admin")},
		// NotPrincipal excludes ci.
		{userARN(acctTools, "ci"), roleARN(acctApp, "not-principal")},
		// Another namespace's service account is not the :sub.
		{analyze.ServiceAccountNodeID("x", "other", "app"), roleARN(acctApp, "irsa-app")},
	}
	for _, a := range absent {
		if e := edge(g, a[0], a[1]); e != nil {
			t.Errorf("edge %s → %s present: %+v", a[0], a[1], e)
		}
	}
	// Nodes: the admin role is marked, accounts and the cluster are there.
	if n, ok := g.Node(roleARN(acctApp, "admin")); !ok || !n.Admin {
		t.Errorf("the admin role is not marked admin: %+v", n)
	}
	if n, ok := g.Node(roleARN(acctApp, "deployer")); !ok || n.Admin {
		t.Errorf("the deployer is marked admin: %+v", n)
	}
	for _, id := range []string{analyze.AccountNodeID(acctApp), analyze.AccountNodeID(acctTools), analyze.AccountNodeID(acctData)} {
		if _, ok := g.Node(id); !ok {
			t.Errorf("no node %s", id)
		}
	}
	clusters := 0
	for _, n := range g.Nodes {
		if n.Kind == analyze.KindCluster && strings.HasSuffix(n.ID, ":cluster/prod") {
			clusters++
		}
	}
	if clusters != 1 {
		t.Errorf("%d prod clusters", clusters)
	}
}
