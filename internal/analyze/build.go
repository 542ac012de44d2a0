package analyze

import (
	"cmp"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/assumed-dev/assumed/arn"
	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/explain"
	"github.com/assumed-dev/assumed/policy"
)

// Options adjust Build.
type Options struct {
	// Now is the time requests are decided at (aws:CurrentTime); zero
	// means time.Now().
	Now time.Time
}

// sessionName is the session name of the assumptions the graph decides
// (sts:RoleSessionName).
const sessionName = "assumed-graph"

// builder holds what Build needs while it decides the edges.
type builder struct {
	snap *directory.Snapshot
	now  time.Time
	g    *Graph
	// principals of each account: its users' and roles' ARNs, sorted.
	principals map[string][]string
	mu         sync.Mutex
	callers    map[string]*directory.Caller
	// mayAssume says which principals have an identity Allow that could
	// be sts:AssumeRole (mayAllow).
	mayAssume map[string]bool
	// base is the context of every assumption decided without more in
	// the request: read-only, shared by the workers.
	base *policy.Context
}

// out gathers what one worker adds to the graph, merged in order after.
type out struct {
	nodes []*Node
	edges []*Edge
}

func (o *out) node(n *Node) { o.nodes = append(o.nodes, n) }
func (o *out) edge(e *Edge) { o.edges = append(o.edges, e) }

// merge adds a worker's nodes (the first of an ID wins) and edges.
func (g *Graph) merge(o *out) *Graph {
	for _, n := range o.nodes {
		g.add(n)
	}
	for _, e := range o.edges {
		g.connect(e)
	}
	return g
}

// Build draws the access graph of snap. Every "can assume" and "can
// access" edge is a decision of internal/authz on a request the edge
// stands for, from both sides where AWS asks both; the candidates it
// decides come from the Principal elements of trust and resource
// policies (a role's trust can only ever allow whom it names, an account
// standing for all of that account's principals and "*" for everyone's),
// so no pair the policies could allow is left out.
func Build(snap *directory.Snapshot, opt Options) *Graph {
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	b := &builder{snap: snap, now: now.UTC().Truncate(time.Second), g: newGraph(), principals: map[string][]string{}, callers: map[string]*directory.Caller{}, mayAssume: map[string]bool{}}
	b.g.GeneratedAt = b.now
	b.base = b.requestContext()
	b.nodes()
	b.trustEdges()
	b.podIdentityEdges()
	b.resourceEdges()
	b.g.sort()
	return b.g
}

func newGraph() *Graph {
	return &Graph{byID: map[string]*Node{}, out: map[string][]*Edge{}, in: map[string][]*Edge{}}
}

// AccountNodeID is the node ID of an account.
func AccountNodeID(id string) string { return "account:" + id }

// ServiceNodeID is the node ID of an AWS service principal.
func ServiceNodeID(name string) string { return "service:" + name }

// ServiceAccountNodeID is the node ID of a Kubernetes service account of
// a cluster (its ARN) or of an issuer (its URL, for providers of clusters
// the directory does not hold).
func ServiceAccountNodeID(cluster, namespace, name string) string {
	return "serviceaccount:" + cluster + ":" + namespace + ":" + name
}

// add adds a node once; the first one added wins.
func (g *Graph) add(n *Node) *Node {
	if old, ok := g.byID[n.ID]; ok {
		return old
	}
	g.byID[n.ID] = n
	g.Nodes = append(g.Nodes, n)
	return n
}

// connect adds an edge.
func (g *Graph) connect(e *Edge) {
	g.Edges = append(g.Edges, e)
	g.out[e.From] = append(g.out[e.From], e)
	g.in[e.To] = append(g.in[e.To], e)
}

// sort puts nodes and edges in a stable order, so that two graphs of the
// same state print the same.
func (g *Graph) sort() {
	slices.SortFunc(g.Nodes, func(a, b *Node) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(g.Edges, func(a, b *Edge) int {
		return cmp.Or(strings.Compare(a.From, b.From), strings.Compare(a.To, b.To), strings.Compare(a.Kind, b.Kind))
	})
	slices.Sort(g.Accounts)
}

// Node returns the node with this ID.
func (g *Graph) Node(id string) (*Node, bool) {
	n, ok := g.byID[id]
	return n, ok
}

// Out and In are the edges from and to a node.
func (g *Graph) Out(id string) []*Edge { return g.out[id] }

// In returns the edges that end at the node.
func (g *Graph) In(id string) []*Edge { return g.in[id] }

// index rebuilds the lookup maps of a graph read from JSON.
func (g *Graph) index() {
	g.byID, g.out, g.in = map[string]*Node{}, map[string][]*Edge{}, map[string][]*Edge{}
	for _, n := range g.Nodes {
		g.byID[n.ID] = n
	}
	for _, e := range g.Edges {
		g.out[e.From] = append(g.out[e.From], e)
		g.in[e.To] = append(g.in[e.To], e)
	}
}

// nodes adds the accounts, their principals, providers, clusters, their
// service accounts with associations, and the resources with policies.
func (b *builder) nodes() {
	g, snap := b.g, b.snap
	for id, acct := range snap.Accounts {
		g.Accounts = append(g.Accounts, id)
		g.add(&Node{ID: AccountNodeID(id), Kind: KindAccount, Account: id, Name: acct.Name})
	}
	for id, a := range snap.IAM {
		if _, ok := snap.Accounts[id]; !ok {
			continue
		}
		var ps []string
		for _, u := range a.Users {
			g.add(&Node{ID: u.ARN, Kind: KindUser, Account: id, Name: u.Name, ARN: u.ARN, Admin: b.isAdmin(u.ARN, id)})
			ps = append(ps, u.ARN)
			b.mayAssume[u.ARN] = mayAllow(snap, id, u.ARN, "sts:AssumeRole")
		}
		for _, r := range a.Roles {
			g.add(&Node{ID: r.ARN, Kind: KindRole, Account: id, Name: r.Name, ARN: r.ARN, Admin: b.isAdmin(r.ARN, id)})
			ps = append(ps, r.ARN)
			b.mayAssume[r.ARN] = mayAllow(snap, id, r.ARN, "sts:AssumeRole")
		}
		slices.Sort(ps)
		b.principals[id] = ps
		for _, grp := range a.Groups {
			g.add(&Node{ID: grp.ARN, Kind: KindGroup, Account: id, Name: grp.Name, ARN: grp.ARN})
			for _, m := range grp.Members {
				if u, ok := a.Users[directory.Key(m)]; ok {
					g.connect(&Edge{From: u.ARN, To: grp.ARN, Kind: EdgeMemberOf})
				}
			}
		}
		for _, p := range a.OIDCProviders {
			g.add(&Node{ID: p.ARN, Kind: KindOIDCProvider, Account: id, Name: p.URL, ARN: p.ARN})
			if c := b.clusterOf(p); c != nil {
				b.clusterNode(c)
				g.connect(&Edge{From: c.ARN, To: p.ARN, Kind: EdgeIssues, CrossAccount: c.AccountID != id})
			}
		}
	}
	for _, c := range snap.Clusters {
		b.clusterNode(c)
	}
	for _, a := range snap.PodIdentityAssociations {
		cluster := b.clusterARN(a)
		sa := b.serviceAccount(cluster, a.AccountID, a.Namespace, a.ServiceAccount)
		g.add(&Node{ID: a.ARN, Kind: KindPodIdentityAssociation, Account: a.AccountID, Name: a.ID, ARN: a.ARN, Cluster: cluster, Namespace: a.Namespace, ServiceAccount: a.ServiceAccount})
		g.connect(&Edge{From: sa.ID, To: a.ARN, Kind: EdgeAssociation})
	}
	for _, r := range snap.Resources {
		if r.Compiled == nil {
			continue
		}
		g.add(&Node{ID: r.ARN, Kind: KindResource, Account: r.Account, Name: resourceName(r.ARN), ARN: r.ARN})
	}
}

func (b *builder) clusterNode(c *directory.Cluster) {
	b.g.add(&Node{ID: c.ARN, Kind: KindCluster, Account: c.AccountID, Name: c.Name, ARN: c.ARN})
}

// clusterARN is the ARN of an association's cluster.
func (b *builder) clusterARN(a *directory.PodIdentityAssociation) string {
	if c, ok := b.snap.Clusters[a.ClusterKey()]; ok {
		return c.ARN
	}
	return "arn:aws:eks:" + a.Region + ":" + a.AccountID + ":cluster/" + a.ClusterName
}

// clusterOf is the simulated cluster whose issuer the provider registers,
// nil when none is.
func (b *builder) clusterOf(p *directory.OIDCProvider) *directory.Cluster {
	i := strings.LastIndex(p.URL, "/id/")
	if i < 0 {
		return nil
	}
	c, ok := b.snap.ClusterByIssuerID(p.URL[i+len("/id/"):])
	if !ok {
		return nil
	}
	return c
}

// serviceAccount adds (once) the node of a service account of a cluster
// or issuer.
func (b *builder) serviceAccount(cluster, account, namespace, name string) *Node {
	return b.g.add(serviceAccountNode(cluster, account, namespace, name))
}

// serviceAccountNode is the node of a service account of a cluster or
// issuer.
func serviceAccountNode(cluster, account, namespace, name string) *Node {
	return &Node{ID: ServiceAccountNodeID(cluster, namespace, name), Kind: KindServiceAccount, Account: account,
		Name: "system:serviceaccount:" + namespace + ":" + name, Cluster: cluster, Namespace: namespace, ServiceAccount: name}
}

// resourceName is the last part of a resource ARN.
func resourceName(a string) string {
	if i := strings.LastIndexAny(a, ":/"); i >= 0 && i < len(a)-1 {
		return a[i+1:]
	}
	return a
}

// caller is the principal ARN as a caller: a user, or a session of a
// role (as a role acts), cached.
func (b *builder) caller(principalARN string) *directory.Caller {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c, ok := b.callers[principalARN]; ok {
		return c
	}
	c, err := explain.Caller(b.snap, principalARN, b.now)
	if err != nil {
		c = nil
	}
	b.callers[principalARN] = c
	return c
}

// isAdmin reports whether a user's or role's policies let it change any
// IAM policy of its account, and so grant itself anything.
func (b *builder) isAdmin(principalARN, account string) bool {
	if !mayAllow(b.snap, account, principalARN, "iam:PutRolePolicy") {
		return false
	}
	c := b.caller(principalARN)
	if c == nil {
		return false
	}
	for _, probe := range []struct{ action, resource string }{
		{"iam:PutRolePolicy", "arn:aws:iam::" + account + ":role/assumed-admin-probe"},
		{"iam:AttachUserPolicy", "arn:aws:iam::" + account + ":user/assumed-admin-probe"},
	} {
		if !authz.Allowed(b.snap, authz.Request{Caller: c, Action: probe.action, Resource: probe.resource, Context: policy.NewContext()}) {
			return false
		}
	}
	return true
}

// candidates are the principals a Principal element can name: the
// directory's users and roles it may match, the external accounts and
// the services and providers it names.
type candidates struct {
	iam       map[string]bool // user and role ARNs
	explicit  map[string]bool // those a statement names by ARN
	external  map[string]bool // account IDs the directory does not hold
	services  map[string]bool
	providers map[string]bool // OIDC provider ARNs (Federated)
}

func newCandidates() *candidates {
	return &candidates{iam: map[string]bool{}, explicit: map[string]bool{}, external: map[string]bool{}, services: map[string]bool{}, providers: map[string]bool{}}
}

// collect adds who a statement's Principal (or NotPrincipal) element may
// match.
func (b *builder) collect(c *candidates, st *policy.Statement) {
	if st.Effect != policy.Allow || st.Principal == nil {
		return
	}
	if st.Principal.All || st.NotPrincipal {
		for _, ps := range b.principals {
			for _, p := range ps {
				c.iam[p] = true
			}
		}
		return
	}
	for _, e := range st.Principal.Entries {
		switch e.Type {
		case arn.PrincipalAll:
			for _, ps := range b.principals {
				for _, p := range ps {
					c.iam[p] = true
				}
			}
		case arn.PrincipalAccount:
			if ps, ok := b.principals[e.AccountID]; ok {
				for _, p := range ps {
					c.iam[p] = true
				}
			} else if e.AccountID != "" {
				c.external[e.AccountID] = true
			}
		case arn.PrincipalUser, arn.PrincipalRole:
			if _, ok := b.g.byID[e.ARN]; ok {
				c.iam[e.ARN] = true
				c.explicit[e.ARN] = true
			} else if _, known := b.principals[e.AccountID]; !known && e.AccountID != "" {
				c.external[e.AccountID] = true
			}
		case arn.PrincipalAssumedRole:
			roleARN := "arn:aws:iam::" + e.AccountID + ":role/" + e.Name
			if _, ok := b.g.byID[roleARN]; ok {
				c.iam[roleARN] = true
				c.explicit[roleARN] = true
			}
		case arn.PrincipalService:
			c.services[e.ARN] = true
		case arn.PrincipalOIDCProvider:
			c.providers[e.ARN] = true
		}
	}
}

// trustEdges decides, for every role, who its trust policy lets assume
// it: the directory's principals it names (their own side decided too),
// external accounts and services (the trust alone), and the service
// accounts whose tokens its OIDC providers accept. The roles are decided
// by as many workers as there are CPUs; their results are merged in the
// roles' order.
func (b *builder) trustEdges() {
	var roles []*directory.Role
	for _, acctID := range slices.Sorted(maps.Keys(b.snap.IAM)) {
		if _, ok := b.snap.Accounts[acctID]; !ok {
			continue
		}
		a := b.snap.IAM[acctID]
		for _, key := range slices.Sorted(maps.Keys(a.Roles)) {
			roles = append(roles, a.Roles[key])
		}
	}
	results := make([]out, len(roles))
	var next sync.Mutex
	i := 0
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				next.Lock()
				k := i
				i++
				next.Unlock()
				if k >= len(roles) {
					return
				}
				b.roleEdges(roles[k], &results[k])
			}
		}()
	}
	wg.Wait()
	for k := range results {
		b.g.merge(&results[k])
	}
}

// roleEdges decides the ways into one role.
func (b *builder) roleEdges(role *directory.Role, o *out) {
	_, trust := b.snap.EffectiveTrust(role)
	if trust == nil {
		return
	}
	c := newCandidates()
	for _, st := range trust.Statements {
		b.collect(c, st)
	}
	w := witness(trust, callerSuppliedKey)
	var wctx *policy.Context
	var wactions []string
	if len(w) > 0 {
		wctx = b.requestContext()
		wactions = w.apply(wctx)
	}
	roleAccount := accountOfARN(role.ARN)
	for _, p := range slices.Sorted(maps.Keys(c.iam)) {
		// Without an identity Allow that could be sts:AssumeRole, only a
		// trust naming the principal in its own account lets it in.
		if !b.mayAssume[p] && (accountOfARN(p) != roleAccount || !c.explicit[p]) {
			continue
		}
		b.assumeEdge(p, role, w, wctx, wactions, o)
	}
	for _, ext := range slices.Sorted(maps.Keys(c.external)) {
		who := &policy.Principal{Type: arn.PrincipalAccount, AccountID: ext, ARN: "arn:aws:iam::" + ext + ":root"}
		b.trustOnlyEdge(&Node{ID: AccountNodeID(ext), Kind: KindExternalAccount, Account: ext, Name: ext}, who, role, w, o,
			"account "+ext+" is not in the directory: its side (the identity-based policies of its principals) is not known, so the edge is the trust's alone")
	}
	for _, svc := range slices.Sorted(maps.Keys(c.services)) {
		who := &policy.Principal{Type: arn.PrincipalService, ARN: svc}
		b.trustOnlyEdge(&Node{ID: ServiceNodeID(svc), Kind: KindService, Name: svc}, who, role, w, o, "")
	}
	for _, prov := range slices.Sorted(maps.Keys(c.providers)) {
		b.webIdentityEdges(prov, role, trust, o)
	}
}

// assumeEdge decides whether principal (a user's or role's ARN) can
// assume role: first with what any request carries, then, if the trust
// asks more of the request (an external ID, a source identity, tags),
// with a request that carries what its statements ask (w).
func (b *builder) assumeEdge(principal string, role *directory.Role, w witnessValues, wctx *policy.Context, wactions []string, o *out) {
	c := b.caller(principal)
	if c == nil {
		return
	}
	if authz.CanAssumeRole(b.snap, c, role, []string{"sts:AssumeRole"}, b.base) {
		o.edge(b.assumeEdgeOf(principal, c, role, b.base, nil))
		return
	}
	if len(w) == 0 {
		return
	}
	if authz.CanAssumeRole(b.snap, c, role, wactions, wctx) {
		o.edge(b.assumeEdgeOf(principal, c, role, wctx, w))
	}
}

// assumeEdgeOf is the edge of an allowed assumption, labelled with the
// statements that allowed it (the trust's, and the caller's where AWS
// asks both) and their conditions, w's among them what the request must
// carry.
func (b *builder) assumeEdgeOf(principal string, c *directory.Caller, role *directory.Role, ctx *policy.Context, w witnessValues) *Edge {
	e := &Edge{From: principal, To: role.ARN, Kind: EdgeAssume, Actions: []string{"sts:AssumeRole"}, CrossAccount: accountOfARN(principal) != accountOfARN(role.ARN)}
	label(e, authz.AssumeRoleApplied(b.snap, c, role, "sts:AssumeRole", ctx), w)
	return e
}

// trustOnlyEdge decides an assumption by a principal whose own side the
// trust alone decides (a service, an account outside the directory).
func (b *builder) trustOnlyEdge(from *Node, who *policy.Principal, role *directory.Role, w witnessValues, o *out, note string) {
	ctx := b.base
	actions := []string{"sts:AssumeRole"}
	var used witnessValues
	if !authz.TrustAllows(b.snap, who, role, actions, ctx) {
		if len(w) == 0 {
			return
		}
		ctx = b.requestContext()
		actions = w.apply(ctx)
		if !authz.TrustAllows(b.snap, who, role, actions, ctx) {
			return
		}
		used = w
	}
	o.node(from)
	e := &Edge{From: from.ID, To: role.ARN, Kind: EdgeAssume, Actions: []string{"sts:AssumeRole"}, CrossAccount: who.AccountID != "" && who.AccountID != accountOfARN(role.ARN), Note: note}
	label(e, authz.TrustApplied(b.snap, who, role, actions[0], ctx), used)
	o.edge(e)
}

// requestContext is the context every assumption the graph decides
// carries.
func (b *builder) requestContext() *policy.Context {
	ctx := policy.NewContext()
	ctx.Set("sts:RoleSessionName", sessionName)
	ctx.SetTime(b.now)
	ctx.SetBool("aws:SecureTransport", true)
	ctx.Set("aws:RequestedRegion", directory.DefaultRegion)
	return ctx
}

// label fills an allowed edge's statements and conditions from the
// statements that allowed it; the conditions on keys the request carries
// (w's, and any caller-supplied key) are what it requires.
func label(e *Edge, applied []authz.Applied, w witnessValues) {
	for _, a := range applied {
		st := a.Statement
		ref := StatementRef{Account: a.Account, Kind: a.Kind, Policy: a.Policy, Statement: statementLabel(st.Index, st.Sid), Effect: st.Effect.String()}
		if !slices.Contains(e.Statements, ref) {
			e.Statements = append(e.Statements, ref)
		}
		for _, c := range st.Conditions {
			cond := Condition{Operator: c.Operator, Key: c.Key, Values: c.Values}
			if _, ok := w[strings.ToLower(c.Key)]; ok || callerSuppliedKey(c.Key) {
				if !containsCondition(e.Requires, cond) {
					e.Requires = append(e.Requires, cond)
				}
			} else if !containsCondition(e.Conditions, cond) {
				e.Conditions = append(e.Conditions, cond)
			}
		}
	}
}

func containsCondition(cs []Condition, c Condition) bool {
	return slices.ContainsFunc(cs, func(x Condition) bool {
		return x.Operator == c.Operator && x.Key == c.Key && slices.Equal(x.Values, c.Values)
	})
}

// statementLabel names a statement as traces do.
func statementLabel(n int, sid string) string {
	if sid != "" {
		return fmt.Sprintf("statement %q", sid)
	}
	return fmt.Sprintf("statement %d", n)
}

// accountOfARN is the account ID of an ARN, "" when it has none.
func accountOfARN(a string) string {
	rest := a
	for range 4 { // arn:partition:service:region:
		_, after, ok := strings.Cut(rest, ":")
		if !ok {
			return ""
		}
		rest = after
	}
	acct, _, ok := strings.Cut(rest, ":")
	if !ok {
		return ""
	}
	return acct
}
