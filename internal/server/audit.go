package server

import (
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	sdksts "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/assumed-dev/assumed/internal/audit"
	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/gateway"
	"github.com/assumed-dev/assumed/internal/server/query"
)

// Bounds of what a record keeps of a request's own values.
const (
	auditMaxUserAgent = 1024
	auditMaxName      = 128 // service and operation names a client claims
	auditMaxKeyID     = 128 // an access key ID a client claims
	auditMaxMessage   = 2048
	auditMaxElements  = 16 << 10
)

// SetAudit makes the server record every API call it answers (allowed or
// refused, signed or not, through the gateway too) to sink, as CloudTrail
// records them; call it before Serve. The sink's counts become metrics.
func (s *Server) SetAudit(sink *audit.Sink) {
	s.audit = sink
	if sink == nil {
		return
	}
	s.registry.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "assumed_audit_records_written_total",
			Help: "Audit records written to the audit log.",
		}, func() float64 { return float64(sink.Written()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "assumed_audit_records_dropped_total",
			Help: "Audit records lost: the audit log's writer could not keep up, or could not write.",
		}, func() float64 { return float64(sink.Dropped()) }),
	)
}

// auditEvent gathers what the audit trail records of one request while
// the request is served; nil when the server has no audit sink (its
// methods then do nothing).
type auditEvent struct {
	w     http.ResponseWriter
	r     *http.Request
	reqID string
	start time.Time
	// The handler's own variables, read when the request ends.
	service, op, code *string

	sr *creds.SignedRequest
	// caller is the identity the signature names (verified once
	// authenticated is set), or the anonymous caller of an unsigned
	// AssumeRoleWithWebIdentity.
	caller        *directory.Caller
	authenticated bool
	body          []byte
	form          url.Values
	out           any
	// The refusal answered, as the service worded it.
	errCode, errMsg string
	gw              gateway.Outcome
	viaGateway      bool
	// awsText: refusals are recorded in AWS's words only
	// (--denial-detail aws).
	awsText bool
}

// newAuditEvent starts the record of a request; service, op and code are
// the handler's variables, read when it ends.
func (s *Server) newAuditEvent(w http.ResponseWriter, r *http.Request, reqID string, start time.Time, service, op, code *string) *auditEvent {
	if s.audit == nil {
		return nil
	}
	return &auditEvent{w: w, r: r, reqID: reqID, start: start, service: service, op: op, code: code, awsText: s.denialDetail == DenialDetailAWS}
}

// signed notes the request's parsed signature and the identity it names
// (id is nil when the key is unknown).
func (ev *auditEvent) signed(sr *creds.SignedRequest, id *identity) {
	if ev == nil {
		return
	}
	ev.sr = sr
	if id != nil {
		ev.caller = id.caller
	}
}

// read notes the request's body.
func (ev *auditEvent) read(body []byte) {
	if ev != nil {
		ev.body = body
	}
}

// authenticate notes the verified caller.
func (ev *auditEvent) authenticate(caller *directory.Caller) {
	if ev != nil {
		ev.caller, ev.authenticated = caller, true
	}
}

// parameters notes an AWS Query request's parameters.
func (ev *auditEvent) parameters(form url.Values) {
	if ev != nil {
		ev.form = form
	}
}

// answer notes the operation's output.
func (ev *auditEvent) answer(out any) {
	if ev != nil {
		ev.out = out
	}
}

// refuse notes the error the request is answered with: a refusal by
// policy in the words --denial-detail gives callers.
func (ev *auditEvent) refuse(err error, ae *apiError) {
	if ev == nil || ev.errCode != "" {
		return
	}
	ev.errCode, ev.errMsg = ae.Code, ae.Message
	var d *authz.Denied
	if ev.awsText && errors.As(err, &d) {
		ev.errMsg = strings.Replace(ae.Message, d.Message, d.AWSText(), 1)
	}
}

// gateway returns what the gateway fills in for the audit trail.
func (ev *auditEvent) gateway() *gateway.Outcome {
	if ev == nil {
		return nil
	}
	ev.viaGateway = true
	return &ev.gw
}

// emitAudit writes the records of a request that has been answered: one,
// or two with the same sharedEventID when the call reached another
// account's resource (a role of another account, a bucket of another
// account through the gateway), as CloudTrail delivers a cross-account
// call to both accounts.
func (s *Server) emitAudit(ev *auditEvent) {
	if ev == nil {
		return
	}
	defer func() {
		// It runs after the handler's own recover: a bug here must not
		// take the server down.
		if v := recover(); v != nil {
			s.log.Error("panic writing an audit record", "request_id", ev.reqID, "panic", v, "stack", string(debug.Stack()))
		}
	}()
	r := ev.r
	service, op := *ev.service, *ev.op
	if ev.sr != nil && service == "unknown" {
		service = ev.sr.Service
	}
	rec := &audit.Record{
		EventVersion: audit.EventVersion, EventTime: ev.start, EventType: audit.EventTypeAPICall,
		RequestID: ev.reqID, EventID: eventID(), ManagementEvent: true, EventCategory: audit.CategoryManagement,
		UserAgent: audit.Clip(r.UserAgent(), auditMaxUserAgent),
	}
	if src, ok := eventSources[service]; ok {
		rec.EventSource = src
	} else if service != "unknown" {
		rec.EventSource = audit.Clip(service, auditMaxName) + ".amazonaws.com"
	}
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		rec.SourceIPAddress = ap.Addr().Unmap().String()
	}
	if r.TLS != nil {
		rec.TLSDetails = &audit.TLSDetails{TLSVersion: tlsVersion(r.TLS.Version), CipherSuite: tls.CipherSuiteName(r.TLS.CipherSuite), ClientProvidedHostHeader: audit.Clip(r.Host, auditMaxName)}
	}
	region := directory.DefaultRegion
	if ev.sr != nil && ev.sr.Region != "" {
		region = audit.Clip(ev.sr.Region, auditMaxName)
	}
	rec.AWSRegion = region

	// The parameters: what was sent, its secrets hidden.
	lim := audit.UnauthenticatedLimits
	if ev.authenticated {
		lim = audit.AuthenticatedLimits
	}
	// The parameters' and response elements' JSON go into scratch
	// buffers, reused once the records are written.
	scratch := auditScratch.Get().(*auditBuffers)
	defer auditScratch.Put(scratch)
	var params audit.Parameters
	_, isQuery := s.query[service]
	rsvc, isREST := s.rest[service]
	switch {
	case ev.viaGateway:
		// The gateway's services carry data (objects, items): their
		// parameters are not kept; the resources they act on are.
	case isQuery:
		form := ev.form
		if form == nil && len(ev.body) > 0 && r.Method == http.MethodPost {
			form, _ = query.ParseForm(string(ev.body))
		} else if form == nil && r.Method == http.MethodGet {
			form, _ = query.ParseForm(r.URL.RawQuery)
		}
		if op == "" && form != nil {
			op = form.Get("Action")
		}
		if form != nil {
			params = audit.QueryParameters(scratch.params[:0], form, lim)
		}
	case isREST:
		params = audit.JSONParameters(ev.body, restParameters(rsvc, r), lim)
	}
	rec.EventName = audit.Clip(op, auditMaxName)
	rec.RequestParameters = params.JSON
	if params.Truncated {
		rec.AdditionalEventData = []byte(`{"requestParametersTruncated":true}`)
	}
	rec.ReadOnly = readOnly(service, op)
	if dataEvent(service, op) {
		rec.ManagementEvent, rec.EventCategory = false, audit.CategoryData
	}

	// The outcome.
	errCode, errMsg := ev.errCode, ev.errMsg
	if ev.viaGateway && errCode == "" {
		errCode, errMsg = ev.gw.ErrorCode, ev.gw.ErrorMessage
		if errCode == "" && ev.gw.Status >= 300 {
			errCode = backendErrorCode(ev.w.Header(), ev.gw.Status)
		}
	}
	if errCode == "" && *ev.code != "200" && !isStatus(*ev.code) {
		errCode = *ev.code // a panic, answered as ServiceFailure
	}
	if errCode != "" {
		rec.ErrorCode = audit.Clip(errCode, auditMaxName)
		rec.ErrorMessage = audit.Clip(params.Scrub(withoutEncodedMessage(errMsg)), auditMaxMessage)
	} else if ev.out != nil && (service == "sts" || service == "eks-auth" || !rec.ReadOnly) {
		out := ev.out
		if p, ok := out.(plainJSON); ok {
			out = p.v
		}
		if o, ok := out.(*sdksts.AssumeRoleOutput); ok {
			rec.ResponseElements = assumeRoleElements(scratch.elements[:0], o)
		} else {
			rec.ResponseElements = audit.Elements(out, auditMaxElements)
		}
	}

	// Who called, and which accounts hear of it.
	snap := s.iam.Directory().Snapshot()
	resourceAccount := ""
	switch {
	case ev.caller != nil && ev.caller.AccountID != "":
		rec.UserIdentity = callerIdentity(snap, ev.caller)
		rec.RecipientAccountID = ev.caller.AccountID
	case service == "sts" && op == "AssumeRoleWithWebIdentity":
		rec.UserIdentity = webIdentityUser(ev.out)
	default:
		rec.UserIdentity = audit.UserIdentity{Type: audit.IdentityUnknown}
		if ev.sr != nil {
			rec.UserIdentity.AccessKeyID = audit.Clip(ev.sr.AccessKeyID, auditMaxKeyID)
		}
	}
	switch {
	case ev.viaGateway:
		resourceAccount = ev.gw.ResourceAccount
		for _, arn := range ev.gw.Resources {
			if len(rec.Resources) == 8 {
				break
			}
			if arn == "" {
				continue
			}
			rec.Resources = append(rec.Resources, audit.Resource{ARN: audit.Clip(arn, 2048), AccountID: resourceAccount})
		}
	case service == "sts" && (op == "AssumeRole" || op == "AssumeRoleWithWebIdentity") && ev.form != nil:
		if roleARN := ev.form.Get("RoleArn"); strings.HasPrefix(roleARN, "arn:aws:iam::") {
			if acct := accountOf(roleARN); acct != "" && snap.Accounts[acct] != nil {
				resourceAccount = acct
				rec.Resources = []audit.Resource{{ARN: audit.Clip(roleARN, 2048), AccountID: acct, Type: "AWS::IAM::Role"}}
			}
		}
	}
	if rec.RecipientAccountID == "" {
		rec.RecipientAccountID = resourceAccount // an unsigned call: the role's account
	}
	if resourceAccount == "" || resourceAccount == rec.RecipientAccountID || snap.Accounts[resourceAccount] == nil {
		s.audit.Write(rec)
		return
	}
	// Cross-account: the resource's owner hears of it too, and sees the
	// caller as another account's principal.
	rec.SharedEventID = eventID()
	s.audit.WriteShared(rec, &audit.Copy{
		UserIdentity:       audit.UserIdentity{Type: audit.IdentityAWSAccount, PrincipalID: rec.UserIdentity.PrincipalID, ARN: rec.UserIdentity.ARN, AccountID: rec.UserIdentity.AccountID},
		EventID:            eventID(),
		RecipientAccountID: resourceAccount,
	})
}

// auditBuffers are what emitAudit encodes a request's parameters and
// response elements into; what outgrows them is allocated anew.
type auditBuffers struct{ params, elements []byte }

var auditScratch = sync.Pool{New: func() any {
	return &auditBuffers{params: make([]byte, 0, 1024), elements: make([]byte, 0, 512)}
}}

// eventSources are the served services' eventSource, made once.
var eventSources = map[string]string{
	"iam": "iam.amazonaws.com", "sts": "sts.amazonaws.com", "eks": "eks.amazonaws.com", "eks-auth": "eks-auth.amazonaws.com",
	"s3": "s3.amazonaws.com", "dynamodb": "dynamodb.amazonaws.com", "sqs": "sqs.amazonaws.com", "kms": "kms.amazonaws.com",
}

// eventID returns a random (version 4) UUID for a record's eventID or
// sharedEventID. IDs need to be unique, not secret: the runtime's fast
// generator is enough, and cheaper than crypto/rand.
func eventID() string {
	var u [16]byte
	binary.LittleEndian.PutUint64(u[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(u[8:], rand.Uint64())
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// assumeRoleElements is audit.Elements of an AssumeRole's output, by
// hand: the hot path's record. Credentials keep their key ID and expiry.
// The JSON is appended to dst.
func assumeRoleElements(dst []byte, o *sdksts.AssumeRoleOutput) json.RawMessage {
	if o == nil {
		return nil
	}
	b := append(dst, '{')
	if u := o.AssumedRoleUser; u != nil {
		b = append(b, `"assumedRoleUser":{"arn":`...)
		b = audit.AppendString(b, deref(u.Arn))
		b = append(b, `,"assumedRoleId":`...)
		b = audit.AppendString(b, deref(u.AssumedRoleId))
		b = append(b, "},"...)
	}
	if c := o.Credentials; c != nil {
		b = append(b, `"credentials":{"accessKeyId":`...)
		b = audit.AppendString(b, deref(c.AccessKeyId))
		if c.Expiration != nil {
			b = append(b, `,"expiration":`...)
			b = audit.AppendTime(b, *c.Expiration)
		}
		b = append(b, "},"...)
	}
	//lint:ignore SA1019 STS still answers it, so the record keeps it.
	if size := o.PackedPolicySize; size != nil {
		b = append(b, `"packedPolicySize":`...)
		b = strconv.AppendInt(b, int64(*size), 10)
		b = append(b, ',')
	}
	if o.SourceIdentity != nil {
		b = append(b, `"sourceIdentity":`...)
		b = audit.AppendString(b, *o.SourceIdentity)
		b = append(b, ',')
	}
	if len(b) == len(dst)+1 {
		return nil
	}
	b[len(b)-1] = '}'
	return b[len(dst):]
}

// callerIdentity is the userIdentity of a caller with an account.
func callerIdentity(snap *directory.Snapshot, c *directory.Caller) audit.UserIdentity {
	u := audit.UserIdentity{ARN: c.ARN, AccountID: c.AccountID, AccessKeyID: c.AccessKeyID}
	sess := c.Session
	switch {
	case c.IsRoleSession():
		u.Type = audit.IdentityAssumedRole
		u.PrincipalID = sess.RoleID + ":" + sess.SessionName
		sc := &audit.SessionContext{
			SessionIssuer: &audit.SessionIssuer{Type: "Role", PrincipalID: sess.RoleID, ARN: sess.RoleARN(), AccountID: sess.AccountID, UserName: sess.RoleName},
			Attributes:    audit.SessionAttributes{CreationDate: sess.IssuedAt, MFAAuthenticated: "false"},
		}
		if sess.FederatedProvider != "" {
			sc.WebIDFederationData = &audit.WebIDFederationData{FederatedProvider: sess.FederatedProvider, Attributes: map[string]string{}}
		}
		sc.SourceIdentity = sess.SourceIdentity
		u.SessionContext = sc
		return u
	case c.IsRoot():
		u.Type, u.PrincipalID = audit.IdentityRoot, c.AccountID
	default:
		u.Type, u.UserName = audit.IdentityIAMUser, c.UserName
		u.PrincipalID = snap.PrincipalID(c.ARN)
	}
	if sess != nil {
		// A GetSessionToken session of a user or of the root user.
		u.SessionContext = &audit.SessionContext{Attributes: audit.SessionAttributes{CreationDate: sess.IssuedAt, MFAAuthenticated: "false"}, SourceIdentity: sess.SourceIdentity}
	}
	return u
}

// webIdentityUser is the userIdentity of an AssumeRoleWithWebIdentity
// call: the token's provider and subject once it was accepted.
func webIdentityUser(out any) audit.UserIdentity {
	u := audit.UserIdentity{Type: audit.IdentityWebIdentityUser}
	if o, ok := out.(*sdksts.AssumeRoleWithWebIdentityOutput); ok && o != nil {
		provider, aud, sub := deref(o.Provider), deref(o.Audience), deref(o.SubjectFromWebIdentityToken)
		u.IdentityProvider, u.UserName = provider, sub
		u.PrincipalID = provider + ":" + aud + ":" + sub
	}
	return u
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// restParameters are a REST-JSON request's path placeholders and bound
// query parameters, named as CloudTrail names them.
func restParameters(svc *restService, r *http.Request) map[string]string {
	rt, params, _ := svc.match(r)
	if rt == nil {
		return nil
	}
	out := make(map[string]string, len(params))
	for k, v := range params {
		name := strings.Trim(k, "{}")
		if f, ok := rt.bind[k]; ok {
			name = audit.LowerCamel(f)
		}
		out[name] = v
	}
	if r.URL.RawQuery != "" {
		q := r.URL.Query()
		for k, f := range rt.bind {
			if !strings.HasPrefix(k, "{") && q.Has(k) {
				out[audit.LowerCamel(f)] = q.Get(k)
			}
		}
	}
	return out
}

// accountOf is the account ID of an ARN, or "".
func accountOf(arn string) string {
	start := 0
	for range 4 { // arn:partition:service:region:ACCOUNT:
		i := strings.IndexByte(arn[start:], ':')
		if i < 0 {
			return ""
		}
		start += i + 1
	}
	end := strings.IndexByte(arn[start:], ':')
	if end != 12 {
		return ""
	}
	return arn[start : start+end]
}

// readOnly reports whether an operation only reads, as CloudTrail's
// readOnly says: STS's calls, and the reads by their names.
func readOnly(service, op string) bool {
	if service == "sts" {
		return true
	}
	for _, p := range [...]string{"Get", "List", "Describe", "Head", "Lookup", "Query", "Scan", "BatchGet", "Simulate", "Search", "Select"} {
		if strings.HasPrefix(op, p) {
			return true
		}
	}
	return false
}

// dataEvent reports whether a gateway operation acts on the data in a
// resource (CloudTrail's data events) rather than on the resource.
func dataEvent(service, op string) bool {
	switch service {
	case "s3":
		return strings.Contains(op, "Object") || strings.HasPrefix(op, "SelectObject") || op == "RestoreObject"
	case "dynamodb":
		switch op {
		case "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem", "TransactGetItems", "TransactWriteItems", "ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction":
			return true
		}
	case "lambda":
		return op == "Invoke" || op == "InvokeWithResponseStream"
	}
	return false
}

// backendErrorCode is the error code of a forwarded request's error
// answer: the JSON protocols' X-Amzn-ErrorType or query-error header, else
// the status in words ("NotFound").
func backendErrorCode(h http.Header, status int) string {
	if v := h.Get("X-Amzn-ErrorType"); v != "" {
		v, _, _ = strings.Cut(v, ":")
		if i := strings.LastIndexByte(v, '#'); i >= 0 {
			v = v[i+1:]
		}
		return v
	}
	if v := h.Get("X-Amzn-Query-Error"); v != "" {
		v, _, _ = strings.Cut(v, ";")
		return v
	}
	if text := http.StatusText(status); text != "" {
		return strings.ReplaceAll(text, " ", "")
	}
	return "Http" + strconv.Itoa(status)
}

// isStatus reports whether a result code is an HTTP status (the
// gateway's answer forwarded from the backend).
func isStatus(code string) bool {
	n, err := strconv.Atoi(code)
	return err == nil && n >= 100 && n < 600
}

// withoutEncodedMessage cuts a refusal's encoded authorization message
// (the record keeps the words, the trace is kept for explain).
func withoutEncodedMessage(msg string) string {
	if i := strings.Index(msg, " "+encodedMessageLabel); i >= 0 {
		return strings.TrimSuffix(msg[:i], ".")
	}
	return msg
}

func tlsVersion(v uint16) string {
	switch v {
	case tls.VersionTLS13:
		return "TLSv1.3"
	case tls.VersionTLS12:
		return "TLSv1.2"
	}
	return tls.VersionName(v)
}
