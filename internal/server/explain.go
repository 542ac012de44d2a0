package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"

	"github.com/google/uuid"

	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/internal/clip"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/explain"
)

// POST /_assumed/explain answers `assumed explain`: the trace of a
// decision, allowed or not, as JSON (an authz.Trace). The body is an
// ExplainRequest: a query (explain.Query: a principal, and an action on a
// resource or a role to assume), or the request ID of a refusal the server
// keeps (the newest refusals since it started, in memory).
//
// The request is SigV4-signed as the other administrative endpoints'
// (see admin.go). It is allowed to an account's root user and to the
// principals whose identity-based policies allow the action
// assumed:Explain (on "*"), and only about their own account: the
// query's principal, or the role it assumes, must be of the caller's
// account; a refusal must have involved the caller's account (as the
// caller's or the resource owner's). On a server started with
// --denial-detail aws, whose callers must not read other accounts'
// conditions, every account the answer shows must be the caller's.
// Anything else is refused with 403 AccessDenied.
const (
	explainPath = "/_assumed/explain"
	// ExplainAction is the IAM action that lets a principal other than
	// the root user ask POST /_assumed/explain.
	ExplainAction = "assumed:Explain"
)

// ExplainRequest is the body of POST /_assumed/explain: a query, or
// RequestID alone.
type ExplainRequest struct {
	explain.Query
	// RequestID is the request ID (x-amzn-RequestId) of a refused
	// request, whose kept trace is the answer.
	RequestID string `json:"requestId,omitempty"`
}

// teeBody is a request body whose bytes are copied as they are read.
type teeBody struct {
	io.Reader
	io.Closer
}

// serveExplain serves POST /_assumed/explain.
func (s *Server) serveExplain(w http.ResponseWriter, r *http.Request) {
	reqID := uuid.NewString()
	w.Header().Set("x-amzn-RequestId", reqID)
	// The console asks with its bearer token; everyone else signs.
	v, isBearer, err := s.bearerViewer(r)
	// adminCaller reads the body to verify the signature: keep a copy.
	var body bytes.Buffer
	if !isBearer && r.Body != nil && r.Body != http.NoBody {
		r.Body = teeBody{io.TeeReader(r.Body, &body), r.Body}
	}
	if isBearer && err != nil {
		consoleError(w, http.StatusUnauthorized, "InvalidToken", err.Error())
		return
	}
	var caller *directory.Caller
	if isBearer {
		if r.Method != http.MethodPost {
			consoleError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", explainPath+" takes POST only")
			return
		}
		if _, err := io.Copy(&body, http.MaxBytesReader(w, r.Body, adminMaxBody)); err != nil {
			consoleError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", fmt.Sprintf("the body is larger than %d bytes", adminMaxBody))
			return
		}
	} else if caller = s.adminCaller(w, r, reqID, http.MethodPost); caller == nil {
		return
	}
	who := v.whoOr(caller)
	fail := func(status int, code, msg string) {
		s.log.Info("admin request refused", "request_id", reqID, "path", explainPath, "caller", who, "code", code, "msg", clip.String(msg))
		if isBearer {
			consoleError(w, status, code, msg)
			return
		}
		adminError(w, status, code, msg)
	}
	var in ExplainRequest
	dec := json.NewDecoder(&body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		fail(http.StatusBadRequest, "InvalidInput", fmt.Sprintf("the body is not an explain query (JSON with as, action, resource, context, assume, externalId, tags, sourceIdentity, sessionName, durationSeconds; or requestId): %v", err))
		return
	}
	snap := s.iam.Directory().Snapshot()
	if isBearer {
		// The console's token sees every account; an account's token, its
		// own: as the account's root user would.
		if !v.all {
			caller = &directory.Caller{AccountID: v.account, ARN: "arn:aws:iam::" + v.account + ":root"}
		}
	} else if err := authz.Authorize(snap, authz.Request{Caller: caller, Action: ExplainAction, Resource: "*"}); err != nil {
		text := err.Error()
		var d *authz.Denied
		if errors.As(err, &d) && s.denialDetail == DenialDetailAWS {
			text = d.AWSText()
		}
		fail(http.StatusForbidden, "AccessDenied", text+". POST "+explainPath+" needs the root user of an account, or an identity-based policy that allows "+ExplainAction)
		return
	}
	var t *authz.Trace
	if in.RequestID != "" {
		if !reflect.ValueOf(in.Query).IsZero() {
			fail(http.StatusBadRequest, "InvalidInput", "a request ID and a query were both given: explain one at a time")
			return
		}
		ref, ok := s.Refusal(in.RequestID)
		if !ok {
			fail(http.StatusNotFound, "NoSuchRefusal", fmt.Sprintf("no refusal of request %s is kept: the server keeps the newest %d refusals, in memory, since it started (and none of a request that was allowed)", clip.String(in.RequestID), maxRefusals))
			return
		}
		if caller != nil && !s.mayRead(caller, ref.Accounts()) {
			fail(http.StatusForbidden, "AccessDenied", fmt.Sprintf("User: %s is not authorized to read the refusal of request %s: it concerns other accounts", caller.ARN, in.RequestID))
			return
		}
		t = ref.Trace
	} else {
		asAcct, roleAcct, err := in.Query.Accounts()
		if err != nil {
			explainFailure(err, fail)
			return
		}
		if caller != nil && !s.mayRead(caller, []string{asAcct, roleAcct}) {
			what := "principals of account " + caller.AccountID + ", or the assumption of its roles"
			if s.denialDetail == DenialDetailAWS {
				what = "principals and roles of account " + caller.AccountID + " alone (the server runs with --denial-detail aws)"
			}
			fail(http.StatusForbidden, "AccessDenied", fmt.Sprintf("User: %s is not authorized to explain requests of %s: it may explain the requests of %s", caller.ARN, clip.String(in.As), what))
			return
		}
		if t, err = explain.Explain(snap, in.Query); err != nil {
			explainFailure(err, fail)
			return
		}
	}
	s.log.Info("explained", "request_id", reqID, "caller", who, "refused_request_id", clip.String(in.RequestID),
		"principal", clip.String(t.Principal.ARN), "action", clip.String(t.Action), "resource", clip.String(t.Resource), "decision", t.Decision)
	writeAdminJSON(w, http.StatusOK, t)
}

// mayRead reports whether caller may read an answer about accounts (""
// entries are ignored): one of them must be the caller's; with
// --denial-detail aws, all of them.
func (s *Server) mayRead(caller *directory.Caller, accounts []string) bool {
	accounts = slices.DeleteFunc(slices.Clone(accounts), func(a string) bool { return a == "" })
	if s.denialDetail == DenialDetailAWS {
		for _, a := range accounts {
			if a != caller.AccountID {
				return false
			}
		}
		return len(accounts) > 0
	}
	return slices.Contains(accounts, caller.AccountID)
}

// explainFailure answers a query that can't be explained.
func explainFailure(err error, fail func(status int, code, msg string)) {
	var e *explain.Error
	if errors.As(err, &e) {
		fail(e.Status, e.Code, e.Message)
		return
	}
	fail(http.StatusInternalServerError, "InternalFailure", "explain: "+err.Error())
}
