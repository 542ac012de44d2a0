package console_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/assumed-dev/assumed/internal/analyze"
	"github.com/assumed-dev/assumed/internal/console"
)

// bigGraph makes an access graph of the given number of accounts, each
// with roles roles, two users, a bucket and its account node, wired as a
// large organization is: users assume the first roles, roles chain to
// others in their account, and three roles of each account reach roles
// and a bucket of other accounts.
func bigGraph(accounts, roles int) *analyze.Graph {
	g := &analyze.Graph{GeneratedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	id := func(i int) string { return fmt.Sprintf("%012d", 100000000000+i) }
	role := func(a, r int) string { return fmt.Sprintf("arn:aws:iam::%s:role/team%d-role-%d", id(a), a, r) }
	bucket := func(a int) string { return fmt.Sprintf("arn:aws:s3:::team%d-data", a) }
	edge := func(from, to, kind string, cross bool) {
		e := &analyze.Edge{From: from, To: to, Kind: kind, CrossAccount: cross,
			Statements: []analyze.StatementRef{{Kind: "trust policy", Policy: "trust", Statement: "statement 1", Effect: "Allow"}}}
		if kind == analyze.EdgeAssume {
			e.Actions = []string{"sts:AssumeRole"}
		}
		g.Edges = append(g.Edges, e)
	}
	for a := range accounts {
		acct := id(a)
		g.Accounts = append(g.Accounts, acct)
		root := "arn:aws:iam::" + acct + ":root"
		g.Nodes = append(g.Nodes, &analyze.Node{ID: "account:" + acct, Kind: analyze.KindAccount, Account: acct, Name: fmt.Sprintf("team-%d", a), ARN: root})
		for r := range roles {
			g.Nodes = append(g.Nodes, &analyze.Node{ID: role(a, r), Kind: analyze.KindRole, Account: acct, Name: fmt.Sprintf("team%d-role-%d", a, r), ARN: role(a, r), Admin: r == 0})
		}
		for u := range 2 {
			arn := fmt.Sprintf("arn:aws:iam::%s:user/dev-%d", acct, u)
			g.Nodes = append(g.Nodes, &analyze.Node{ID: arn, Kind: analyze.KindUser, Account: acct, Name: fmt.Sprintf("dev-%d", u), ARN: arn})
			for r := u * 5; r < u*5+5; r++ {
				edge(arn, role(a, r), analyze.EdgeAssume, false)
			}
		}
		g.Nodes = append(g.Nodes, &analyze.Node{ID: bucket(a), Kind: analyze.KindResource, Account: acct, Name: fmt.Sprintf("team%d-data", a), ARN: bucket(a)})
		for r := 10; r < roles; r++ {
			edge(role(a, r-10+r%3), role(a, r), analyze.EdgeAssume, false)
		}
		edge(role(a, 1), role((a+1)%accounts, 2), analyze.EdgeAssume, true)
		edge(role(a, 2), role((a+7)%accounts, 3), analyze.EdgeAssume, true)
		edge(role(a, 3), role((a*13+5)%accounts, 1), analyze.EdgeAssume, true)
		edge(role(a, 4), bucket((a+3)%accounts), analyze.EdgeAccess, true)
	}
	return g
}

// fakeConsole serves the console's real handler, as the server mounts
// it, with a graph and findings given here instead of the server's
// (for the render-time measurement of a graph no test world reaches).
func fakeConsole(t *testing.T, token string, g *analyze.Graph, findings []analyze.Finding) *httptest.Server {
	t.Helper()
	graphJSON, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	findingsJSON, err := json.Marshal(map[string]any{"findings": findings})
	if err != nil {
		t.Fatal(err)
	}
	authorized := func(next func(http.ResponseWriter)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			if r.Header.Get("Authorization") != "Bearer "+token {
				w.WriteHeader(http.StatusUnauthorized)
				w.Write([]byte(`{"error":{"code":"Unauthorized","message":"the console token is missing or wrong"}}`))
				return
			}
			next(w)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/_assumed/console/", http.StripPrefix("/_assumed/console", console.Handler()))
	mux.Handle("GET /_assumed/console/whoami", authorized(func(w http.ResponseWriter) { w.Write([]byte(`{"scope":"all"}`)) }))
	mux.Handle("GET /_assumed/graph", authorized(func(w http.ResponseWriter) { w.Write(graphJSON) }))
	mux.Handle("GET /_assumed/findings", authorized(func(w http.ResponseWriter) { w.Write(findingsJSON) }))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestConsoleBigGraph loads a graph of 1,000 accounts of 50 roles each
// (54,000 nodes) and wants its first render within 3 seconds, and the
// console usable: a role found, its account opened, the paths to it.
func TestConsoleBigGraph(t *testing.T) {
	node := requireBrowser(t)
	g := bigGraph(1000, 50)
	srv := fakeConsole(t, "big-graph-token", g, []analyze.Finding{{
		Rule: "trust-without-external-id", Severity: analyze.SeverityHigh, Account: "100000000042",
		Subject: "arn:aws:iam::100000000042:role/team42-role-2", Message: "a generated finding", Fix: "none",
	}})
	t.Logf("graph: %d nodes, %d edges", len(g.Nodes), len(g.Edges))
	res := runScript(t, node, "biggraph.mjs", map[string]string{
		"CONSOLE_URL":         srv.URL + "/_assumed/console/#token=big-graph-token",
		"ARTIFACTS":           artifacts(t),
		"TARGET_NODE":         "arn:aws:iam::100000000500:role/team500-role-3",
		"EXPAND_ACCOUNT":      "100000000501",
		"MAX_FIRST_RENDER_MS": "3000",
	})
	t.Logf("first render of %v nodes: %v ms (drawn: %v); select a role: %v ms; open an account: %v ms; paths only: %v ms (%v nodes)",
		res["graphNodes"], res["firstRenderMs"], res["drawnNodes"], res["selectMs"], res["expandMs"], res["focusMs"], res["focusedNodes"])
}
