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

	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/internal/clip"
	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/eks"
	"github.com/assumed-dev/assumed/internal/eksauth"
	"github.com/assumed-dev/assumed/internal/gateway"
	"github.com/assumed-dev/assumed/internal/iam"
	"github.com/assumed-dev/assumed/internal/server/query"
	"github.com/assumed-dev/assumed/internal/server/restjson"
	"github.com/assumed-dev/assumed/internal/sts"
)

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
//
// What can be checked before the body is, so that a request that can't
// succeed costs no body: the signature's form, its credential scope and
// time, and that its access key (or session token) is known. Bodies are
// then read within the body budget (Limits); a request over it is refused
// with 503 Throttling.
func (s *Server) aws(w http.ResponseWriter, r *http.Request) {
	start := s.now()
	reqID := uuid.NewString()
	w.Header().Set("x-amzn-RequestId", reqID)
	// service and op are what the client claims until authenticated: they
	// reach metrics and logs only through s.labels.
	service, op := "unknown", ""
	code := "200"
	release := func() {}
	defer func() { release() }()
	// accessKeyID is the access key ID the signature claims, once parsed:
	// refusals log it (clipped), never the secret or the signature.
	accessKeyID := ""
	defer func() {
		svcLabel, opLabel := s.labels(service, op)
		s.metrics.requests.WithLabelValues(svcLabel, opLabel, code).Inc()
		s.metrics.duration.WithLabelValues(svcLabel).Observe(time.Since(start).Seconds())
	}()
	ev := s.newAuditEvent(w, r, reqID, start, &service, &op, &code)
	defer s.emitAudit(ev)
	defer func() {
		// A bug must not take the connection down without an answer: log
		// it with its stack and answer as AWS does for its own failures.
		if v := recover(); v != nil {
			code = "ServiceFailure"
			svcLabel, opLabel := s.labels(service, op)
			s.log.Error("panic serving request", "request_id", reqID, "service", svcLabel, "operation", opLabel, "panic", v, "stack", string(debug.Stack()))
			s.writeQueryError(w, svcLabel, reqID, toAPIError(fmt.Errorf("panic: %v", v)))
		}
	}()
	fail := func(err error) {
		ae := toAPIError(err)
		ev.refuse(err, ae)
		code = ae.Code
		svcLabel, opLabel := s.labels(service, op)
		var d *authz.Denied
		if errors.As(err, &d) {
			ae.Message = s.refused(reqID, svcLabel, opLabel, ae.Code, ae.Message, d)
		} else if ae.Status >= 500 && ae.Status != http.StatusServiceUnavailable {
			s.log.Error("request failed", "request_id", reqID, "service", svcLabel, "operation", opLabel, "err", clip.String(err.Error()))
		} else if accessKeyID != "" {
			s.log.Info("request refused", "request_id", reqID, "service", svcLabel, "operation", opLabel, "code", ae.Code, "msg", clip.String(ae.Message), "access_key_id", clip.String(accessKeyID))
		} else {
			s.log.Info("request refused", "request_id", reqID, "service", svcLabel, "operation", opLabel, "code", ae.Code, "msg", clip.String(ae.Message))
		}
		if _, isREST := s.rest[svcLabel]; isREST || (svcLabel == "unknown" && restPath(r.URL.Path)) {
			writeRESTError(w, err, ae)
			return
		}
		if s.gateway != nil && !s.serves(service) {
			// Another service's request, refused before the gateway saw
			// it: answer in that service's protocol.
			claimed := service
			if claimed == "unknown" {
				claimed = ""
			}
			if s.gateway.WriteAuthError(w, r, claimed, ae.Status, ae.Code, ae.Message, reqID) {
				return
			}
		}
		s.writeQueryError(w, svcLabel, reqID, ae)
	}

	now := s.now()
	sr, authErr := creds.ParseRequest(r)
	var id *identity
	var idErr error
	if authErr == nil {
		service, accessKeyID = sr.Service, sr.AccessKeyID
		id, idErr = s.identify(sr, now)
		ev.signed(sr, id)
	}
	if authErr == nil && s.gateway != nil && !s.serves(sr.Service) {
		// Another service's API: the resource gateway checks the
		// signature against the body it reads or streams itself.
		if idErr != nil {
			fail(idErr)
			return
		}
		caller := id.caller
		s.origin(r, caller, now)
		caller.Region = sr.Region
		ev.authenticate(caller)
		op, code = s.gateway.Serve(w, r, &gateway.Request{
			Caller: caller, Signed: sr, Secret: id.secret, RequestID: reqID, Now: now,
			ReadBody: func(limit int64) ([]byte, error) {
				body, rel, err := s.readBody(w, r, limit)
				release = rel
				if err != nil {
					ae := toAPIError(err)
					return nil, &gateway.Error{Status: ae.Status, Code: ae.Code, Message: ae.Message}
				}
				return body, nil
			},
			Outcome: ev.gateway(),
		})
		return
	}
	// AssumeRoleWithWebIdentity is unsigned, and AWS ignores any signature
	// it carries: a request whose signature fails before its body may still
	// be one, when it is for STS or unsigned. Only then is a body read for
	// a caller not yet known, and only a small one.
	maybeWebIdentity := (authErr != nil || sr.Service == "sts") && mayBeWebIdentity(r)
	refusal := authErr
	if refusal == nil {
		refusal = idErr
	}
	if refusal != nil && !maybeWebIdentity {
		fail(refusal)
		return
	}
	limit := s.limits.MaxBody
	if refusal != nil {
		limit = s.limits.MaxAnonymousBody
	}
	body, rel, err := s.readBody(w, r, limit)
	release = rel
	if err != nil {
		if refusal != nil && err != errThrottled {
			// Too large to be a web-identity call: the signature's fault.
			err = refusal
		}
		fail(err)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	ev.read(body)
	var caller *directory.Caller
	var form url.Values
	if form = webIdentityForm(r, body); maybeWebIdentity && form != nil {
		// AssumeRoleWithWebIdentity is unsigned: the token is the
		// credential, and any signature is ignored.
		service, caller, accessKeyID = "sts", s.anonymous(r), ""
	} else {
		form = nil
		if refusal != nil {
			fail(refusal)
			return
		}
		if err := creds.Verify(r, body, sr, id.secret, now); err != nil {
			fail(err)
			return
		}
		caller = id.caller
		s.origin(r, caller, now)
		caller.Region = sr.Region
		if service == "iam" && caller.Session != nil && caller.Session.RoleName == "" {
			// AWS: credentials from GetSessionToken cannot call IAM unless
			// the session was created with MFA, which assumed does not
			// model; IAM answers as for an unknown token.
			fail(&apiError{Status: http.StatusForbidden, Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid: credentials from GetSessionToken cannot call IAM without MFA authentication", Sender: true})
			return
		}
	}
	ev.authenticate(caller)
	if rsvc, ok := s.rest[service]; ok {
		var out any
		var status int
		op, out, status, err = s.restCall(r, rsvc, caller, body)
		ev.answer(out)
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
		fail(&apiError{Status: http.StatusBadRequest, Code: "UnknownService", Message: fmt.Sprintf("assumed does not serve the %q service (yet): it serves %s", clip.String(service), gateway.Served), Sender: true})
		return
	}
	if form == nil {
		if form, err = queryForm(r, body); err != nil {
			fail(err)
			return
		}
	}
	op = form.Get("Action")
	ev.parameters(form)
	out, err := s.queryCall(r, svc, caller, op, form)
	ev.answer(out)
	if err != nil {
		fail(err)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	if err := query.Encode(w, op, svc.namespace, reqID, out); err != nil {
		s.log.Error("encode response", "request_id", reqID, "err", err)
	}
}

// identity is who a request's signature says signed it, found before its
// body is read: the caller, and the secret to verify the signature with.
type identity struct {
	caller *directory.Caller
	secret string
}

// identify finds the signing key of a request from its headers alone: a
// long-term key in the directory, or the session a temporary key's token
// seals (no store read). It refuses, as AWS does, an unknown or inactive
// key, a long-term key sent with a session token, a temporary key without
// its own token, and a signing time outside the skew window.
func (s *Server) identify(sr *creds.SignedRequest, now time.Time) (*identity, error) {
	snap := s.iam.Directory().Snapshot()
	var id identity
	if strings.HasPrefix(sr.AccessKeyID, creds.PrefixTemporaryAccessKey) {
		// Temporary credentials: the token is the session; no store read.
		sess, err := s.sts.OpenSession(sr.SecurityToken)
		if err != nil {
			return nil, err
		}
		if sess.AccessKeyID != sr.AccessKeyID {
			return nil, sts.ErrInvalidToken
		}
		c := &directory.Caller{AccountID: sess.AccountID, ARN: sess.ARN(), UserName: sess.UserName, AccessKeyID: sess.AccessKeyID, Session: sess}
		if sess.UserName != "" {
			c.ARN = snap.CallerFor(&directory.AccessKey{AccountID: sess.AccountID, UserName: sess.UserName}).ARN
		}
		id = identity{caller: c, secret: sess.Secret}
	} else {
		key, ok := snap.AccessKeys[sr.AccessKeyID]
		// A long-term key signs alone: with a session token AWS refuses
		// it, as a client left with a stale AWS_SESSION_TOKEN finds.
		if !ok || key.Status != directory.StatusActive || sr.SecurityToken != "" {
			return nil, &creds.Error{Status: http.StatusForbidden, Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid."}
		}
		id = identity{caller: snap.CallerFor(key), secret: key.Secret}
	}
	if err := creds.CheckTime(sr, now); err != nil {
		return nil, err
	}
	return &id, nil
}

// mayBeWebIdentity reports whether a request could be an
// AssumeRoleWithWebIdentity call: a GET naming it in the query, or a POST,
// whose body names its action.
func mayBeWebIdentity(r *http.Request) bool {
	switch r.Method {
	case http.MethodPost:
		return true
	case http.MethodGet:
		return strings.Contains(r.URL.RawQuery, "AssumeRoleWithWebIdentity")
	}
	return false
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
