package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/eks"
	"github.com/assumed-dev/assumed/internal/eksauth"
	"github.com/assumed-dev/assumed/internal/iam"
	"github.com/assumed-dev/assumed/internal/server/query"
	"github.com/assumed-dev/assumed/internal/server/restjson"
	"github.com/assumed-dev/assumed/internal/sts"
)

// maxBody bounds a request body; IAM's largest documents are far smaller.
const maxBody = 1 << 20

// apiError is an AWS error as it goes on the wire.
type apiError struct {
	Status  int
	Code    string
	Message string
	Sender  bool // the caller's fault ("Sender"), or ours ("Receiver")
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// toAPIError maps service and authentication errors to wire errors;
// anything unrecognized is an internal error whose details stay in the log.
func toAPIError(err error) *apiError {
	var ae *apiError
	var ce *creds.Error
	var ie *iam.Error
	var qe *query.Error
	var se *sts.Error
	var ee *eks.Error
	var re *restjson.Error
	var ae2 *eksauth.Error
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &ce):
		return &apiError{Status: ce.Status, Code: ce.Code, Message: ce.Message, Sender: true}
	case errors.As(err, &ie):
		return &apiError{Status: ie.Status, Code: ie.Code, Message: ie.Message, Sender: ie.Status < 500}
	case errors.As(err, &ae2):
		return &apiError{Status: ae2.Status, Code: ae2.Code, Message: ae2.Message, Sender: ae2.Status < 500}
	case errors.As(err, &re):
		return &apiError{Status: re.Status, Code: re.Code, Message: re.Message, Sender: true}
	case errors.As(err, &ee):
		return &apiError{Status: ee.Status, Code: ee.Code, Message: ee.Message, Sender: ee.Status < 500}
	case errors.As(err, &se):
		return &apiError{Status: se.Status, Code: se.Code, Message: se.Message, Sender: se.Status < 500}
	case errors.As(err, &qe):
		return &apiError{Status: qe.HTTPStatus(), Code: qe.Code, Message: qe.Message, Sender: true}
	}
	return &apiError{Status: http.StatusInternalServerError, Code: "ServiceFailure", Message: "The request processing has failed because of an unknown error, exception or failure."}
}

// aws serves every AWS API request: authenticate, route by the signing
// service, decode, call the service, encode.
func (s *Server) aws(w http.ResponseWriter, r *http.Request) {
	start := s.now()
	reqID := uuid.NewString()
	w.Header().Set("x-amzn-RequestId", reqID)
	service, op := "unknown", "unknown"
	code := "200"
	defer func() {
		s.metrics.requests.WithLabelValues(service, op, code).Inc()
		s.metrics.duration.WithLabelValues(service).Observe(time.Since(start).Seconds())
	}()
	defer func() {
		// A bug must not take the connection down without an answer: log
		// it with its stack and answer as AWS does for its own failures.
		if v := recover(); v != nil {
			code = "ServiceFailure"
			s.log.Error("panic serving request", "request_id", reqID, "service", service, "operation", op, "panic", v, "stack", string(debug.Stack()))
			s.writeQueryError(w, service, reqID, toAPIError(fmt.Errorf("panic: %v", v)))
		}
	}()
	fail := func(err error) {
		ae := toAPIError(err)
		code = ae.Code
		if ae.Status >= 500 {
			s.log.Error("request failed", "request_id", reqID, "service", service, "operation", op, "err", err)
		} else {
			s.log.Info("request refused", "request_id", reqID, "service", service, "operation", op, "code", ae.Code, "msg", ae.Message)
		}
		if _, isREST := s.rest[service]; isREST || (service == "unknown" && restPath(r.URL.Path)) {
			writeRESTError(w, err, ae)
			return
		}
		s.writeQueryError(w, service, reqID, ae)
	}

	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		fail(&apiError{Status: http.StatusRequestEntityTooLarge, Code: "RequestEntityTooLarge", Message: fmt.Sprintf("Request body larger than %d bytes", maxBody), Sender: true})
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var caller *directory.Caller
	var form url.Values
	if form = webIdentityForm(r, body); form != nil {
		// AssumeRoleWithWebIdentity is unsigned: the token is the
		// credential, and any signature is ignored.
		service, caller = "sts", s.anonymous(r)
	} else {
		sr, err := creds.ParseRequest(r)
		if err != nil {
			fail(err)
			return
		}
		service = sr.Service
		if caller, err = s.authenticate(r, body, sr); err != nil {
			fail(err)
			return
		}
		caller.Region = sr.Region
		if service == "iam" && caller.Session != nil && caller.Session.RoleName == "" {
			// AWS: credentials from GetSessionToken cannot call IAM unless
			// the session was created with MFA, which assumed does not
			// model; IAM answers as for an unknown token.
			fail(&apiError{Status: http.StatusForbidden, Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid: credentials from GetSessionToken cannot call IAM without MFA authentication", Sender: true})
			return
		}
	}
	if rsvc, ok := s.rest[service]; ok {
		var out any
		var status int
		op, out, status, err = s.restCall(r, rsvc, caller, body)
		if err != nil {
			fail(err)
			return
		}
		if err := writeREST(w, status, out); err != nil {
			s.log.Error("encode response", "request_id", reqID, "err", err)
		}
		return
	}
	svc, ok := s.query[service]
	if !ok {
		fail(&apiError{Status: http.StatusBadRequest, Code: "UnknownService", Message: fmt.Sprintf("assumed does not serve the %q service (yet): it serves iam, sts and eks", service), Sender: true})
		return
	}
	if form == nil {
		if form, err = queryForm(r, body); err != nil {
			fail(err)
			return
		}
	}
	op = form.Get("Action")
	out, err := s.queryCall(r, svc, caller, op, form)
	if err != nil {
		fail(err)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	if err := query.Encode(w, op, svc.namespace, reqID, out); err != nil {
		s.log.Error("encode response", "request_id", reqID, "err", err)
	}
}

// authenticate finds the signing key and verifies the signature.
func (s *Server) authenticate(r *http.Request, body []byte, sr *creds.SignedRequest) (*directory.Caller, error) {
	snap := s.iam.Directory().Snapshot()
	now := s.now()
	var c *directory.Caller
	if strings.HasPrefix(sr.AccessKeyID, creds.PrefixTemporaryAccessKey) {
		// Temporary credentials: the token is the session; no store read.
		sess, err := s.sts.OpenSession(sr.SecurityToken)
		if err != nil {
			return nil, err
		}
		if sess.AccessKeyID != sr.AccessKeyID {
			return nil, sts.ErrInvalidToken
		}
		if err := creds.Verify(r, body, sr, sess.Secret, now); err != nil {
			return nil, err
		}
		c = &directory.Caller{AccountID: sess.AccountID, ARN: sess.ARN(), UserName: sess.UserName, AccessKeyID: sess.AccessKeyID, Session: sess}
		if sess.UserName != "" {
			c.ARN = snap.CallerFor(&directory.AccessKey{AccountID: sess.AccountID, UserName: sess.UserName}).ARN
		}
	} else {
		key, ok := snap.AccessKeys[sr.AccessKeyID]
		if !ok || key.Status != directory.StatusActive {
			return nil, &creds.Error{Status: http.StatusForbidden, Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid."}
		}
		if err := creds.Verify(r, body, sr, key.Secret, now); err != nil {
			return nil, err
		}
		c = snap.CallerFor(key)
	}
	s.origin(r, c, now)
	return c, nil
}

// origin records where and when a request came from.
func (s *Server) origin(r *http.Request, c *directory.Caller, now time.Time) {
	c.RequestTime = now
	c.SecureTransport = r.TLS != nil
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		c.SourceIP = ap.Addr().Unmap()
	}
}

// anonymous is the caller of an unsigned request.
func (s *Server) anonymous(r *http.Request) *directory.Caller {
	c := &directory.Caller{}
	s.origin(r, c, s.now())
	return c
}

// webIdentityForm returns the parameters of an AssumeRoleWithWebIdentity
// request (POST form or GET query), or nil for any other request.
func webIdentityForm(r *http.Request, body []byte) url.Values {
	const action = "AssumeRoleWithWebIdentity"
	raw := r.URL.RawQuery
	if r.Method == http.MethodPost {
		// Every signed request passes here: look before copying the body.
		if !bytes.Contains(body, []byte(action)) {
			return nil
		}
		raw = string(body)
	} else if !strings.Contains(raw, action) {
		return nil
	}
	form, err := query.ParseForm(raw)
	if err != nil || form.Get("Action") != action {
		return nil
	}
	return form
}

// restPath reports whether an unauthenticated request's path is a
// REST-JSON service's, so its error is written as REST-JSON.
func restPath(p string) bool {
	return strings.HasPrefix(p, "/clusters") || strings.HasPrefix(p, "/_assumed/clusters")
}

// queryForm returns the AWS Query parameters: the form body of a POST, or
// the query string of a GET.
func queryForm(r *http.Request, body []byte) (url.Values, error) {
	raw := r.URL.RawQuery
	if r.Method == http.MethodPost {
		raw = string(body)
	}
	form, err := query.ParseForm(raw)
	if err != nil {
		return nil, &apiError{Status: http.StatusBadRequest, Code: "MalformedQueryString", Message: "The request's parameters are not a valid URL-encoded form: " + err.Error(), Sender: true}
	}
	return form, nil
}

// writeQueryError writes an AWS Query protocol error.
func (s *Server) writeQueryError(w http.ResponseWriter, service, reqID string, ae *apiError) {
	ns := query.IAMNamespace
	if service == "sts" {
		ns = query.STSNamespace
	}
	typ := "Receiver"
	if ae.Sender {
		typ = "Sender"
	}
	w.Header().Set("Content-Type", "text/xml")
	var buf bytes.Buffer
	if err := query.EncodeError(&buf, ns, typ, ae.Code, ae.Message, reqID); err != nil {
		s.log.Error("encode error response", "request_id", reqID, "err", err)
	}
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(ae.Status)
	w.Write(buf.Bytes())
}
