package analyze

import (
	"cmp"
	"slices"
	"strings"

	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// Limits of a path search.
const (
	// DefaultMaxHops bounds a path's length: longer chains exist only in
	// theory (each hop of a role chain is limited to one hour).
	DefaultMaxHops = 6
	// DefaultMaxPaths bounds how many paths a query returns.
	DefaultMaxPaths = 1000
)

// Path is a chain of edges, each starting where the last ended.
type Path struct {
	Edges []*Edge `json:"edges"`
	// Chained says the path assumes a role with a role's session (role
	// chaining): every session after the first is limited to one hour.
	Chained bool `json:"chained,omitempty"`
	// Requires gathers what the path's requests must carry.
	Requires []Condition `json:"requires,omitempty"`
}

// Nodes are the path's node IDs, from its start to its end.
func (p *Path) Nodes() []string {
	if len(p.Edges) == 0 {
		return nil
	}
	ids := []string{p.Edges[0].From}
	for _, e := range p.Edges {
		ids = append(ids, e.To)
	}
	return ids
}

// reaches reports whether an edge is a way in: holding From's
// credentials (or tokens) gets To's.
func reaches(e *Edge) bool {
	switch e.Kind {
	case EdgeAssume, EdgeWebIdentity, EdgePodIdentity, EdgeAccess, EdgeAssociation:
		return true
	}
	return false
}

// PathsFrom returns the simple paths from the node, up to maxHops edges
// (DefaultMaxHops when 0) and maxPaths paths (DefaultMaxPaths when 0),
// shortest first: where its holder can get. A path stops at a resource:
// resources grant nothing further.
func (g *Graph) PathsFrom(from string, maxHops, maxPaths int) []Path {
	return g.walk(from, maxHops, maxPaths, false)
}

// PathsTo returns the simple paths that end at the node (a role, or a
// resource), up to maxHops edges and maxPaths paths, shortest first: who
// can reach it, and how.
func (g *Graph) PathsTo(to string, maxHops, maxPaths int) []Path {
	return g.walk(to, maxHops, maxPaths, true)
}

// walk enumerates simple paths from (or, backward, to) a node breadth
// first, so that the paths kept when maxPaths cuts the search are the
// shortest.
func (g *Graph) walk(start string, maxHops, maxPaths int, backward bool) []Path {
	maxHops, maxPaths = cmp.Or(maxHops, DefaultMaxHops), cmp.Or(maxPaths, DefaultMaxPaths)
	type partial struct {
		edges []*Edge // in walking order
		end   string  // the node the walk is at
	}
	next := func(id string) []*Edge {
		if backward {
			return g.in[id]
		}
		return g.out[id]
	}
	var out []Path
	level := []partial{{end: start}}
	for hops := 0; hops < maxHops && len(level) > 0 && len(out) < maxPaths; hops++ {
		var deeper []partial
		for _, p := range level {
			if n := g.byID[p.end]; hops > 0 && !backward && n != nil && n.Kind == KindResource {
				continue
			}
			for _, e := range next(p.end) {
				other := e.To
				if backward {
					other = e.From
				}
				if !reaches(e) || other == start || slices.ContainsFunc(p.edges, func(x *Edge) bool { return x.From == other || x.To == other }) {
					continue
				}
				if n := g.byID[other]; backward && n != nil && n.Kind == KindResource {
					continue
				}
				edges := append(slices.Clip(p.edges), e)
				deeper = append(deeper, partial{edges: edges, end: other})
				if !backward && e.Kind == EdgeAssociation {
					continue // a service account's association: not a way in by itself
				}
				ordered := edges
				if backward {
					ordered = make([]*Edge, len(edges))
					for i, x := range edges {
						ordered[len(edges)-1-i] = x
					}
				}
				out = append(out, newPath(ordered))
				if len(out) >= maxPaths {
					return firstPaths(out, maxPaths)
				}
			}
		}
		level = deeper
	}
	return firstPaths(out, maxPaths)
}

// newPath copies a chain of edges into a Path.
func newPath(edges []*Edge) Path {
	p := Path{Edges: slices.Clone(edges)}
	assumed := 0
	for _, e := range edges {
		if e.Kind == EdgeAssume || e.Kind == EdgeWebIdentity || e.Kind == EdgePodIdentity {
			assumed++
		}
		for _, c := range e.Requires {
			if !containsCondition(p.Requires, c) {
				p.Requires = append(p.Requires, c)
			}
		}
	}
	p.Chained = assumed > 1
	return p
}

// firstPaths sorts paths shortest first (then by their nodes) and keeps n.
func firstPaths(paths []Path, n int) []Path {
	slices.SortStableFunc(paths, func(a, b Path) int {
		if c := cmp.Compare(len(a.Edges), len(b.Edges)); c != 0 {
			return c
		}
		return strings.Compare(strings.Join(a.Nodes(), " "), strings.Join(b.Nodes(), " "))
	})
	if len(paths) > n {
		paths = paths[:n]
	}
	return paths
}

// Principals returns the IDs of the nodes paths start from that stand
// for someone holding credentials or tokens: users, roles, service
// accounts, services, external accounts.
func Principals(paths []Path) []string {
	var ids []string
	for _, p := range paths {
		if len(p.Edges) > 0 {
			ids = append(ids, p.Edges[0].From)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// Performers returns the directory's users and roles whose own policies
// allow action on resource, decided by the evaluator as a request of
// theirs would be (with the resource's policy, for a resource the
// gateway knows): the first hop of "who can perform A on R".
func Performers(snap *directory.Snapshot, g *Graph, action, resource string) []string {
	var out []string
	res := snap.Resources[resource]
	b := &builder{snap: snap, now: g.GeneratedAt, callers: map[string]*directory.Caller{}}
	for _, n := range g.Nodes {
		if n.Kind != KindUser && n.Kind != KindRole {
			continue
		}
		c := b.caller(n.ID)
		if c == nil {
			continue
		}
		var ok bool
		service, _, _ := strings.Cut(strings.ToLower(action), ":")
		switch {
		case res != nil:
			req := authz.ResourceRequest{Caller: c, Action: action, Resource: resource, ResourceAccount: res.Account, Policy: res.Compiled, Context: policy.NewContext()}
			ok = authz.ResourceAllowed(snap, req)
		case service == "iam" || service == "sts" || service == "eks" || service == "eks-auth":
			ok = authz.Allowed(snap, authz.Request{Caller: c, Action: action, Resource: resource, Context: policy.NewContext()})
		default:
			ok = authz.ResourceAllowed(snap, authz.ResourceRequest{Caller: c, Action: action, Resource: resource, Context: policy.NewContext()})
		}
		if ok {
			out = append(out, n.ID)
		}
	}
	slices.Sort(out)
	return out
}

// WhoCanPerform returns the paths by which anyone can perform action on
// resource: each principal that can itself (a path of no edges but the
// principal, given as a one-node path in Direct), and every path to such
// a principal.
func WhoCanPerform(snap *directory.Snapshot, g *Graph, action, resource string, maxHops, maxPaths int) (direct []string, paths []Path) {
	direct = Performers(snap, g, action, resource)
	maxPaths = cmp.Or(maxPaths, DefaultMaxPaths)
	for _, p := range direct {
		paths = append(paths, g.PathsTo(p, maxHops, maxPaths)...)
	}
	return direct, firstPaths(paths, maxPaths)
}

// Change is one difference between two graphs.
type Change struct {
	// Kind is "added" or "removed" (a node or an edge), or "changed" (an
	// edge whose statements or requirements differ).
	Kind string `json:"kind"`
	Node *Node  `json:"node,omitempty"`
	Edge *Edge  `json:"edge,omitempty"`
	// Was is the edge before a change.
	Was *Edge `json:"was,omitempty"`
}

// Diff returns what changed from old to g: nodes and edges added and
// removed, and edges whose statements, requirements or conditions
// changed.
func (g *Graph) Diff(old *Graph) []Change {
	var out []Change
	for _, n := range g.Nodes {
		if _, ok := old.byID[n.ID]; !ok {
			out = append(out, Change{Kind: "added", Node: n})
		}
	}
	for _, n := range old.Nodes {
		if _, ok := g.byID[n.ID]; !ok {
			out = append(out, Change{Kind: "removed", Node: n})
		}
	}
	key := func(e *Edge) string { return e.From + "\x00" + e.To + "\x00" + e.Kind }
	before := map[string]*Edge{}
	for _, e := range old.Edges {
		before[key(e)] = e
	}
	now := map[string]bool{}
	for _, e := range g.Edges {
		k := key(e)
		now[k] = true
		was, ok := before[k]
		switch {
		case !ok:
			out = append(out, Change{Kind: "added", Edge: e})
		case !slices.Equal(was.Statements, e.Statements) || !equalConditions(was.Requires, e.Requires) || !equalConditions(was.Conditions, e.Conditions):
			out = append(out, Change{Kind: "changed", Edge: e, Was: was})
		}
	}
	for _, e := range old.Edges {
		if !now[key(e)] {
			out = append(out, Change{Kind: "removed", Edge: e})
		}
	}
	return out
}

func equalConditions(a, b []Condition) bool {
	return slices.EqualFunc(a, b, func(x, y Condition) bool {
		return x.Operator == y.Operator && x.Key == y.Key && slices.Equal(x.Values, y.Values)
	})
}

// Around returns the part of the graph about one account: its nodes, the
// edges that start or end at them, and the nodes at those edges' other
// ends (the principals of other accounts that reach in, the roles and
// resources its own reach out to).
func (g *Graph) Around(account string) *Graph {
	sub := newGraph()
	sub.GeneratedAt = g.GeneratedAt
	keep := func(n *Node) bool { return n.Account == account }
	for _, n := range g.Nodes {
		if keep(n) {
			sub.add(n)
		}
	}
	for _, e := range g.Edges {
		from, to := g.byID[e.From], g.byID[e.To]
		if from == nil || to == nil || !keep(from) && !keep(to) {
			continue
		}
		sub.add(from)
		sub.add(to)
		sub.connect(e)
	}
	return sub.withAccountsOf(g)
}

// Subgraph returns the graph of some paths' edges and of extra nodes
// (the principals a query found), with their nodes: what a query's DOT
// output draws.
func (g *Graph) Subgraph(paths []Path, extra []string) *Graph {
	sub := newGraph()
	sub.GeneratedAt = g.GeneratedAt
	seen := map[*Edge]bool{}
	for _, id := range extra {
		if n, ok := g.byID[id]; ok {
			sub.add(n)
		}
	}
	for _, p := range paths {
		for _, e := range p.Edges {
			if seen[e] {
				continue
			}
			seen[e] = true
			if n, ok := g.byID[e.From]; ok {
				sub.add(n)
			}
			if n, ok := g.byID[e.To]; ok {
				sub.add(n)
			}
			sub.connect(e)
		}
	}
	return sub.withAccountsOf(g)
}

// withAccountsOf completes a part of g: the accounts of its nodes (those
// g holds, with their nodes), in order.
func (sub *Graph) withAccountsOf(g *Graph) *Graph {
	for _, n := range slices.Clone(sub.Nodes) {
		if n.Account != "" && !slices.Contains(sub.Accounts, n.Account) {
			if a, ok := g.byID[AccountNodeID(n.Account)]; ok && a.Kind == KindAccount {
				sub.Accounts = append(sub.Accounts, n.Account)
				sub.add(a)
			}
		}
	}
	sub.sort()
	return sub
}
