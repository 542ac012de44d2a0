package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/assumed-dev/assumed/internal/clip"
	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/directory"
)

// The administrative endpoints, for test suites (see docs/admin-endpoints.md):
//
//   - POST /_assumed/reset returns the whole state to the world file's
//     (Admin.Reset says what that keeps) and answers a ResetReport.
//   - GET /_assumed/state answers the caller's account as an AccountState.
//
// Both take SigV4-signed requests only, verified as any AWS request to
// assumed is (the signing name and region in the credential scope are
// not looked at; "assumed" and "us-east-1" will do). Reset needs the root
// user of an account (with a long-term key or a GetSessionToken session),
// or any authenticated caller when the server runs with --allow-reset;
// state needs the root user, and shows the root user's own account. A
// refusal is a JSON {"code", "message"} with status 403 (400 for a
// malformed signature), as for AWS requests.
const (
	resetPath = "/_assumed/reset"
	statePath = "/_assumed/state"
	// adminMaxBody bounds the body of a request to them: neither reads
	// one, but a signature may cover one.
	adminMaxBody = 64 << 10
)

// Admin is what the administrative endpoints need from the process that
// assembled the server.
type Admin struct {
	// Reset returns the state to what the world file declares, in one
	// step that no request sees half done, and reports it. nil: POST
	// /_assumed/reset answers 501.
	Reset func(ctx context.Context) (*ResetReport, error)
	// AllowReset lets any authenticated caller reset, not the root users
	// only (serve --allow-reset).
	AllowReset bool
}

// ResetReport is POST /_assumed/reset's answer.
type ResetReport struct {
	// Reset is true when assumed's state was reset.
	Reset bool `json:"reset"`
	// Accounts is the number of accounts the world file declares.
	Accounts int `json:"accounts"`
	// Epoch is how many times the state has been reset: temporary
	// credentials issued in an earlier epoch are refused.
	Epoch uint64 `json:"epoch"`
	// Backend says what became of the resource gateway's backend: reset
	// with assumed when assumed started it (--backend moto), else not.
	Backend string `json:"backend"`
	// Error, on a failed reset, says why.
	Error string `json:"error,omitempty"`
}

// SetAdmin serves the administrative endpoints; call it before Serve.
func (s *Server) SetAdmin(a Admin) {
	s.mux.HandleFunc(resetPath, func(w http.ResponseWriter, r *http.Request) { s.serveReset(w, r, a) })
	s.mux.HandleFunc(statePath, s.serveState)
}

// adminError writes a JSON error.
func adminError(w http.ResponseWriter, status int, code, msg string) {
	writeAdminJSON(w, status, map[string]string{"code": code, "message": msg})
}

func writeAdminJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"code":"InternalFailure","message":"encode the answer"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// adminCaller authenticates a request to an administrative endpoint as
// an AWS request is: its SigV4 signature verified with the key it names
// (a long-term key, or the session its token seals), within the
// clock-skew window. It writes the refusal and returns nil when the
// request is not signed by a valid key of this server.
func (s *Server) adminCaller(w http.ResponseWriter, r *http.Request, reqID, method string) *directory.Caller {
	if r.Method != method {
		w.Header().Set("Allow", method)
		adminError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", fmt.Sprintf("%s takes %s only", r.URL.Path, method))
		return nil
	}
	refuse := func(err error) *directory.Caller {
		ae := toAPIError(err)
		s.log.Info("admin request refused", "request_id", reqID, "path", r.URL.Path, "code", ae.Code, "msg", clip.String(ae.Message))
		adminError(w, ae.Status, ae.Code, ae.Message)
		return nil
	}
	now := s.now()
	sr, err := creds.ParseRequest(r)
	if err != nil {
		return refuse(err)
	}
	id, err := s.identify(sr, now)
	if err != nil {
		return refuse(err)
	}
	body, release, err := s.readBody(w, r, adminMaxBody)
	defer release()
	if err != nil {
		return refuse(err)
	}
	if err := creds.Verify(r, body, sr, id.secret, now); err != nil {
		return refuse(err)
	}
	c := id.caller
	s.origin(r, c, now)
	c.Region = sr.Region
	return c
}

// serveReset serves POST /_assumed/reset.
func (s *Server) serveReset(w http.ResponseWriter, r *http.Request, a Admin) {
	reqID := uuid.NewString()
	w.Header().Set("x-amzn-RequestId", reqID)
	caller := s.adminCaller(w, r, reqID, http.MethodPost)
	if caller == nil {
		return
	}
	if !caller.IsRoot() && !a.AllowReset {
		s.log.Info("admin request refused", "request_id", reqID, "path", r.URL.Path, "caller", caller.ARN, "code", "AccessDenied")
		adminError(w, http.StatusForbidden, "AccessDenied", "User: "+caller.ARN+" is not authorized to reset the server's state: POST "+resetPath+" needs the root user of an account, or a server started with --allow-reset")
		return
	}
	if a.Reset == nil {
		adminError(w, http.StatusNotImplemented, "NotImplemented", "this server cannot reset its state")
		return
	}
	start := time.Now()
	// The reset goes on if the client goes: it is one step, all or none.
	rep, err := a.Reset(context.WithoutCancel(r.Context()))
	if err != nil {
		s.log.Error("reset failed", "request_id", reqID, "caller", caller.ARN, "err", err)
		if rep == nil {
			rep = &ResetReport{}
		}
		rep.Error = err.Error()
		writeAdminJSON(w, http.StatusInternalServerError, rep)
		return
	}
	s.log.Info("state reset to the world file", "request_id", reqID, "caller", caller.ARN, "epoch", rep.Epoch, "accounts", rep.Accounts, "backend", rep.Backend, "took", time.Since(start).Round(time.Millisecond))
	writeAdminJSON(w, http.StatusOK, rep)
}

// serveState serves GET /_assumed/state.
func (s *Server) serveState(w http.ResponseWriter, r *http.Request) {
	reqID := uuid.NewString()
	w.Header().Set("x-amzn-RequestId", reqID)
	caller := s.adminCaller(w, r, reqID, http.MethodGet)
	if caller == nil {
		return
	}
	if !caller.IsRoot() {
		adminError(w, http.StatusForbidden, "AccessDenied", "User: "+caller.ARN+" is not authorized to read "+statePath+": it shows an account to its root user only")
		return
	}
	writeAdminJSON(w, http.StatusOK, accountState(s.iam.Directory().Snapshot(), caller.AccountID, s.eks.IssuerURL, s.eks.Endpoint))
}
