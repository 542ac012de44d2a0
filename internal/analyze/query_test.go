package analyze_test

import (
	"bytes"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/assumed-dev/assumed/internal/analyze"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

func pathStrings(ps []analyze.Path) []string {
	var out []string
	for _, p := range ps {
		out = append(out, strings.Join(p.Nodes(), " → "))
	}
	return out
}

// TestPaths: multi-hop paths from a principal, across accounts, with
// what they require; who can reach a role; paths are shortest first and
// bounded.
func TestPaths(t *testing.T) {
	snap := worldSnapshot(t, "testdata/world.yaml")
	g := analyze.Build(snap, analyze.Options{})
	ci, deployer, admin := userARN(acctTools, "ci"), roleARN(acctApp, "deployer"), roleARN(acctApp, "admin")

	from := pathStrings(g.PathsFrom(ci, 0, 0))
	for _, want := range []string{
		ci + " → " + deployer,
		ci + " → " + deployer + " → " + admin,
		ci + " → " + roleARN(acctApp, "table-writer"),
		// Through the admin, anything it may assume.
		ci + " → " + deployer + " → " + admin + " → " + roleARN(acctApp, "selfish"),
	} {
		if !slices.Contains(from, want) {
			t.Errorf("paths from ci lack %s:\n%s", want, strings.Join(from, "\n"))
		}
	}
	for i := 1; i < len(from); i++ {
		if strings.Count(from[i], "→") < strings.Count(from[i-1], "→") {
			t.Fatalf("not shortest first: %q after %q", from[i], from[i-1])
		}
	}
	for _, p := range g.PathsFrom(ci, 0, 0) {
		if strings.Join(p.Nodes(), " ") == strings.Join([]string{ci, deployer, admin}, " ") {
			if !p.Chained || len(p.Requires) != 1 || p.Requires[0].Key != "sts:ExternalId" {
				t.Errorf("ci → deployer → admin: chained %v, requires %+v", p.Chained, p.Requires)
			}
		}
	}
	if got := g.PathsFrom(ci, 1, 0); len(got) == 0 || len(got[len(got)-1].Edges) != 1 {
		t.Errorf("one hop: %v", pathStrings(got))
	}
	if got := g.PathsFrom(ci, 0, 2); len(got) != 2 {
		t.Errorf("two paths at most: %v", pathStrings(got))
	}

	// Who can reach the admin: the deployer, and ci through it.
	to := analyze.Principals(g.PathsTo(admin, 0, 0))
	if !slices.Contains(to, deployer) || !slices.Contains(to, ci) || slices.Contains(to, userARN(acctTools, "idle")) {
		t.Errorf("who can reach the admin: %v", to)
	}
	// The Pod Identity chain: service account → association → role →
	// target in another account.
	target := roleARN(acctData, "target")
	var chain string
	for _, p := range g.PathsTo(target, 0, 0) {
		if n, _ := g.Node(p.Edges[0].From); n.Kind == analyze.KindServiceAccount {
			chain = strings.Join(p.Nodes(), " → ")
		}
	}
	if !strings.HasSuffix(chain, roleARN(acctApp, "pod-role")+" → "+target) || !strings.Contains(chain, "podidentityassociation") {
		t.Errorf("the pod identity chain to the target: %q", chain)
	}
}

// TestWhoCanPerform: the principals that can perform an action on a
// resource with a policy, decided with the resource's policy, and who
// reaches them.
func TestWhoCanPerform(t *testing.T) {
	snap := worldSnapshot(t, "testdata/world.yaml").ShallowClone()
	table := "arn:aws:dynamodb:us-east-1:111111111111:table/orders"
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/table-writer"},"Action":"dynamodb:PutItem","Resource":"*"}]}`
	p, err := policy.Parse(doc, policy.Resource)
	if err != nil {
		t.Fatal(err)
	}
	snap.Resources = maps.Clone(snap.Resources)
	snap.Resources[table] = &directory.Resource{ARN: table, Account: acctApp, Policy: doc, Compiled: p}
	g := analyze.Build(snap, analyze.Options{})

	if e := edge(g, roleARN(acctApp, "table-writer"), table); e == nil || !slices.Contains(e.Actions, "dynamodb:PutItem") {
		t.Fatalf("no access edge to the table: %+v", e)
	}
	direct, paths := analyze.WhoCanPerform(snap, g, "dynamodb:PutItem", table, 0, 0)
	if !slices.Contains(direct, roleARN(acctApp, "table-writer")) || !slices.Contains(direct, roleARN(acctApp, "admin")) {
		t.Errorf("direct: %v", direct)
	}
	if slices.Contains(direct, userARN(acctTools, "ci")) {
		t.Errorf("ci can't put items itself: %v", direct)
	}
	starts := analyze.Principals(paths)
	if !slices.Contains(starts, roleARN(acctTools, "lambda-exec")) || !slices.Contains(starts, userARN(acctTools, "ci")) {
		t.Errorf("who reaches a performer: %v", starts)
	}
}

// TestDiffAndJSON: a graph written as JSON reads back the same, and the
// difference with a changed world names the edge that appeared.
func TestDiffAndJSON(t *testing.T) {
	snap := worldSnapshot(t, "testdata/world.yaml")
	g := analyze.Build(snap, analyze.Options{})
	var buf bytes.Buffer
	if err := g.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := analyze.ReadGraph(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if d := g.Diff(back); len(d) != 0 {
		t.Fatalf("a graph read back differs: %+v", d)
	}
	if len(back.PathsFrom(userARN(acctTools, "ci"), 0, 0)) != len(g.PathsFrom(userARN(acctTools, "ci"), 0, 0)) {
		t.Fatal("paths differ after a round trip")
	}

	data := []byte(strings.Replace(mustRead(t, "testdata/world.yaml"),
		`"Principal":{"AWS":"arn:aws:iam::111111111111:role/deployer"}`,
		`"Principal":{"AWS":["arn:aws:iam::111111111111:role/deployer","arn:aws:iam::222222222222:user/ci"]}`, 1))
	g2 := analyze.Build(worldSnapshotOf(t, "changed.yaml", data), analyze.Options{})
	var added []string
	for _, c := range g2.Diff(g) {
		if c.Edge != nil {
			added = append(added, c.Kind+" "+c.Edge.From+" → "+c.Edge.To)
		}
	}
	want := "added " + userARN(acctTools, "ci") + " → " + roleARN(acctApp, "admin")
	if !slices.Contains(added, want) {
		t.Errorf("diff: %v, want %s", added, want)
	}

	var dot bytes.Buffer
	if err := g.WriteDOT(&dot); err != nil || !strings.HasPrefix(dot.String(), "digraph") || !strings.Contains(dot.String(), `"`+userARN(acctTools, "ci")+`" -> "`+roleARN(acctApp, "deployer")+`"`) {
		t.Errorf("DOT: %v\n%s", err, dot.String())
	}
}
