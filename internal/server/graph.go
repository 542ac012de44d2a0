package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/assumed-dev/assumed/internal/analyze"
	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/internal/clip"
	"github.com/assumed-dev/assumed/internal/directory"
)

// The access graph's endpoints, for `assumed graph`, `assumed findings`
// and the console:
//
//   - GET /_assumed/graph answers the graph (analyze.Graph as JSON),
//     optionally ?account=ID for that account's nodes and their
//     neighbours;
//   - GET /_assumed/findings answers {"findings": [analyze.Finding…]};
//   - GET /_assumed/graph/performers?action=A&resource=R answers
//     {"direct": [ARN…]}: the users and roles whose own policies (and the
//     resource's) allow A on R.
//
// They take a SigV4-signed request, as POST /_assumed/explain does, from
// an account's root user or a principal allowed GraphAction; such a
// caller sees its own account: the nodes of that account and their
// neighbours, and the findings of that account. The console's token (the
// one printed at start) sees every account; a token the console signed
// in with an account's key sees that account. The graph and findings are
// built once per state of the directory and kept until it changes.
const (
	graphPath      = "/_assumed/graph"
	findingsPath   = "/_assumed/findings"
	performersPath = "/_assumed/graph/performers"
	// GraphAction is the IAM action that lets a principal other than the
	// root user read its account's graph and findings.
	GraphAction = "assumed:ReadGraph"
)

// viewer is who asks for the graph: every account (the console's token)
// or one.
type viewer struct {
	all     bool
	account string
	who     string // for logs: a caller's ARN, or "console"
	bearer  bool   // the console's token: errors in the console's shape
}

// mayRead reports whether the viewer may read an answer about accounts.
func (v *viewer) mayRead(accounts ...string) bool {
	if v.all {
		return true
	}
	for _, a := range accounts {
		if a == v.account {
			return true
		}
	}
	return false
}

// graphViewer authenticates a request to a graph endpoint: the console's
// bearer token, or a SigV4 signature of a caller allowed GraphAction. It
// writes the refusal and returns nil when the request may not read.
func (s *Server) graphViewer(w http.ResponseWriter, r *http.Request, reqID string) *viewer {
	if v, ok, err := s.bearerViewer(r); ok || err != nil {
		if err != nil {
			consoleError(w, http.StatusUnauthorized, "InvalidToken", err.Error())
			return nil
		}
		return v
	}
	caller := s.adminCaller(w, r, reqID, http.MethodGet)
	if caller == nil {
		return nil
	}
	if err := s.authorizeGraph(s.iam.Directory().Snapshot(), caller); err != nil {
		s.log.Info("admin request refused", "request_id", reqID, "path", r.URL.Path, "caller", caller.ARN, "code", "AccessDenied")
		adminError(w, http.StatusForbidden, "AccessDenied", err.Error()+". "+r.URL.Path+" needs the root user of an account, or an identity-based policy that allows "+GraphAction)
		return nil
	}
	return &viewer{account: caller.AccountID, who: caller.ARN}
}

// authorizeGraph decides GraphAction for a caller (the root user of its
// account may), with the refusal's text as --denial-detail says.
func (s *Server) authorizeGraph(snap *directory.Snapshot, caller *directory.Caller) error {
	err := authz.Authorize(snap, authz.Request{Caller: caller, Action: GraphAction, Resource: "*"})
	var d *authz.Denied
	if errors.As(err, &d) && s.denialDetail == DenialDetailAWS {
		return errors.New(d.AWSText())
	}
	return err
}

// whoOr names the asker for logs: the viewer's name, else the caller's
// ARN.
func (v *viewer) whoOr(c *directory.Caller) string {
	if v != nil {
		return v.who
	}
	if c != nil {
		return c.ARN
	}
	return ""
}

// fail answers a refusal in the shape the viewer's client reads.
func (v *viewer) fail(w http.ResponseWriter, status int, code, msg string) {
	if v.bearer {
		consoleError(w, status, code, msg)
		return
	}
	adminError(w, status, code, msg)
}

// graphEndpoint serves one of the graph's endpoints: a request ID, and
// the viewer, authenticated, for serve.
func (s *Server) graphEndpoint(serve func(w http.ResponseWriter, r *http.Request, reqID string, v *viewer)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		reqID := uuid.NewString()
		w.Header().Set("x-amzn-RequestId", reqID)
		if v := s.graphViewer(w, r, reqID); v != nil {
			serve(w, r, reqID, v)
		}
	}
}

// graphOf is the graph of a snapshot, built once.
func graphOf(snap *directory.Snapshot) *analyze.Graph {
	return snap.Derived("analyze:graph", func() any { return analyze.Build(snap, analyze.Options{}) }).(*analyze.Graph)
}

// findingsOf are the findings of a snapshot, checked once.
func findingsOf(snap *directory.Snapshot) []analyze.Finding {
	return snap.Derived("analyze:findings", func() any { return analyze.Findings(snap, graphOf(snap)) }).([]analyze.Finding)
}

// serveGraph serves GET /_assumed/graph.
func (s *Server) serveGraph(w http.ResponseWriter, r *http.Request, reqID string, v *viewer) {
	account := r.URL.Query().Get("account")
	if !v.all && account == "" {
		account = v.account
	}
	if account != "" && !v.mayRead(account) {
		v.fail(w, http.StatusForbidden, "AccessDenied", fmt.Sprintf("%s may read the graph of account %s only", v.who, v.account))
		return
	}
	snap := s.iam.Directory().Snapshot()
	if account != "" && snap.Accounts[account] == nil {
		v.fail(w, http.StatusNotFound, "NoSuchEntity", fmt.Sprintf("account %s is not hosted by this server", clip.String(account)))
		return
	}
	g := graphOf(snap)
	if account != "" {
		g = g.Around(account)
	}
	s.log.Info("graph read", "request_id", reqID, "viewer", v.who, "account", account, "nodes", len(g.Nodes), "edges", len(g.Edges))
	writeAdminJSON(w, http.StatusOK, g)
}

// serveFindings serves GET /_assumed/findings.
func (s *Server) serveFindings(w http.ResponseWriter, r *http.Request, reqID string, v *viewer) {
	all := findingsOf(s.iam.Directory().Snapshot())
	out := make([]analyze.Finding, 0, len(all))
	for _, f := range all {
		if v.mayRead(f.Account) {
			out = append(out, f)
		}
	}
	s.log.Info("findings read", "request_id", reqID, "viewer", v.who, "findings", len(out))
	writeAdminJSON(w, http.StatusOK, struct {
		Findings []analyze.Finding `json:"findings"`
	}{out})
}

// servePerformers serves GET /_assumed/graph/performers.
func (s *Server) servePerformers(w http.ResponseWriter, r *http.Request, reqID string, v *viewer) {
	action, resource := r.URL.Query().Get("action"), r.URL.Query().Get("resource")
	if service, name, ok := strings.Cut(action, ":"); !ok || service == "" || name == "" || len(action) > 256 || resource == "" || len(resource) > 2048 {
		v.fail(w, http.StatusBadRequest, "InvalidInput", "give action=SERVICE:ACTION and resource=ARN")
		return
	}
	snap := s.iam.Directory().Snapshot()
	owner := accountOf(resource)
	if res, ok := snap.Resources[resource]; ok {
		owner = res.Account
	}
	if !v.mayRead(owner) {
		v.fail(w, http.StatusForbidden, "AccessDenied", fmt.Sprintf("%s may ask about the resources of account %s only", v.who, v.account))
		return
	}
	direct := analyze.Performers(snap, graphOf(snap), action, resource)
	s.log.Info("performers read", "request_id", reqID, "viewer", v.who, "action", action, "resource", clip.String(resource), "direct", len(direct))
	writeAdminJSON(w, http.StatusOK, struct {
		Direct []string `json:"direct"`
	}{direct})
}
