// Package gateway serves every AWS API that assumed does not serve itself:
// it finds the operation of a request in the catalogue, maps it to the IAM
// actions, resources and condition keys AWS would check, finds the
// resource's owner and policy, asks authz, and only then forwards the
// request, re-signed, to the backend that holds the resources (moto,
// LocalStack). A request it can't map is refused, never forwarded
// unchecked; a refused request never reaches the backend.
package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/internal/catalog"
	"github.com/assumed-dev/assumed/internal/clip"
	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// Request is an authenticated request's remainder, as the server hands it
// over: who signed it (the signature is checked here, with the body), and
// how to read its body within the server's body budget.
type Request struct {
	// Caller is the principal the signature names; Caller.Region is the
	// signing region.
	Caller *directory.Caller
	// Signed is the parsed signature and Secret the key to verify it with.
	Signed *creds.SignedRequest
	Secret string
	// RequestID is the request's ID, for error bodies and logs.
	RequestID string
	// Now is when the request arrived.
	Now time.Time
	// ReadBody reads the whole body, at most limit bytes, within the
	// server's body budget; its error is an *Error to answer with.
	ReadBody func(limit int64) ([]byte, error)
	// Outcome, when set, is filled with what the audit trail records of
	// the request.
	Outcome *Outcome
}

// Outcome is what the gateway tells the audit trail of a request it
// served.
type Outcome struct {
	// ResourceAccount is the account that owns the request's resource,
	// once known; Resources are the ARNs its first action acts on.
	ResourceAccount string
	Resources       []string
	// ErrorCode and ErrorMessage are the refusal the gateway answered.
	ErrorCode, ErrorMessage string
	// Status is the backend's HTTP status of a forwarded request.
	Status int
}

// Config assembles a gateway.
type Config struct {
	Log    *slog.Logger
	Writer *directory.Writer
	// Forwarder sends allowed requests to the backend; nil when assumed
	// runs without one, and every request is answered with an error
	// saying how to add one.
	Forwarder *Forwarder
}

// Gateway serves the APIs of every service assumed does not serve itself.
type Gateway struct {
	log    *slog.Logger
	cat    *catalog.Catalog
	dir    *directory.Directory
	writer *directory.Writer
	fwd    *Forwarder
	// misses remembers the resources the backend had no policy for.
	misses missCache
	// tags holds resources' tags, as the backend last told them.
	tags tagCache
	// schemas holds tables' partition key names (schema.go).
	schemas schemaCache
	// refused renders a refusal for the caller (and logs and keeps its
	// trace); nil: the refusal's own message.
	refused func(requestID, service, operation string, d *authz.Denied) string
}

// OnRefusal sets how a refusal is rendered for the caller: with the
// server's --denial-detail and an encoded authorization message.
func (g *Gateway) OnRefusal(f func(requestID, service, operation string, d *authz.Denied) string) {
	g.refused = f
}

// New returns a gateway.
func New(cfg Config) (*Gateway, error) {
	cat, err := catalog.Load()
	if err != nil {
		return nil, fmt.Errorf("load the operation catalogue: %w", err)
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Gateway{log: log, cat: cat, dir: cfg.Writer.Directory(), writer: cfg.Writer, fwd: cfg.Forwarder}, nil
}

// Forwarded returns how many requests the gateway has sent to its
// backend.
func (g *Gateway) Forwarded() int64 {
	if g.fwd == nil {
		return 0
	}
	return g.fwd.backend.Forwarded()
}

// Served names the services assumed serves itself, for messages.
const Served = "iam, sts, eks and eks-auth"

// MaxBody bounds the body of a request the gateway reads whole (every
// service but S3, whose bodies stream): DynamoDB's largest request is
// 16 MB.
const MaxBody = 16 << 20

// maxPolicyBody bounds an S3 body the gateway reads to record it (a bucket
// policy: at most 20 KB).
const maxPolicyBody = 64 << 10

// Knows reports whether service is the signing name of a service in the
// catalogue and, when op is not empty, op one of its operations: the
// values the server's metric labels may take.
func (g *Gateway) Knows(service, op string) bool {
	svcs := g.cat.BySigningName(service)
	if len(svcs) == 0 {
		return false
	}
	if op == "" {
		return true
	}
	for _, s := range svcs {
		if s.Operation(op) != nil {
			return true
		}
	}
	return false
}

// Serve serves one request: verify its signature with its body, find its
// operation, authorize every action and resource it involves, forward it,
// and record what the gateway must remember (a bucket's owner, a resource
// policy). It returns the operation's name ("" when unknown) and the
// result code, for metrics.
func (g *Gateway) Serve(w http.ResponseWriter, r *http.Request, req *Request) (op, code string) {
	sr := req.Signed
	svcs := g.cat.BySigningName(sr.Service)
	protocol := guessProtocol(svcs, r)
	fail := func(e *Error) (string, string) {
		g.log.Info("request refused", "request_id", req.RequestID, "access_key_id", clip.String(sr.AccessKeyID), "service", sr.Service, "operation", op, "code", e.Code, "message", clip.String(e.Message))
		WriteError(w, protocol, e.Status, e.Code, e.Message, req.RequestID)
		if req.Outcome != nil {
			req.Outcome.ErrorCode, req.Outcome.ErrorMessage = e.Code, e.Message
		}
		return op, e.Code
	}
	if len(svcs) == 0 {
		return fail(&Error{Status: http.StatusBadRequest, Code: "UnknownService", Message: fmt.Sprintf("assumed knows no AWS service signed as %q: it serves %s, and forwards the services of botocore's models to a backend", clip.String(sr.Service), Served)})
	}

	// The signature, with the body: S3's streams, checked as it passes.
	var body []byte
	var payload *creds.Payload
	streaming := creds.UsesS3Rules(sr.Service)
	if streaming {
		p, err := creds.VerifyStreaming(r, sr, req.Secret, req.Now)
		if err != nil {
			return fail(authError(protocol, r, err))
		}
		payload = p
	} else {
		b, err := req.ReadBody(MaxBody)
		if err != nil {
			return fail(asError(err))
		}
		if err := creds.Verify(r, b, sr, req.Secret, req.Now); err != nil {
			return fail(authError(protocol, r, err))
		}
		body = b
		r.Body = io.NopCloser(bytes.NewReader(b))
	}

	svc, oper, params, err := g.cat.Identify(sr.Service, r, body)
	if err != nil {
		status, code := AccessDenied(protocol)
		return fail(&Error{Status: status, Code: code, Message: fmt.Sprintf("assumed can't tell which %s operation this request is (%v), so it can't authorize it and refuses it", svcs[0].ServiceID, err)})
	}
	op, protocol = oper.Name, svc.Protocol
	if g.fwd == nil {
		return fail(&Error{Status: http.StatusNotImplemented, Code: "NotImplemented", Message: noBackend(svc.ServiceID)})
	}

	caller := req.Caller
	auth, denial := g.authorize(r, body, caller, svc, oper, params, sr.Region)
	if denial != nil {
		status, code := deniedAs(w.Header(), svc)
		msg := denial.Error()
		if d, ok := denial.(*authz.Denied); ok && req.Outcome != nil && d.Trace != nil {
			req.Outcome.ResourceAccount, req.Outcome.Resources = d.Trace.ResourceAccount, []string{d.Trace.Resource}
		}
		if d, ok := denial.(*authz.Denied); ok && g.refused != nil {
			msg = g.refused(req.RequestID, sr.Service, op, d)
		}
		return fail(&Error{Status: status, Code: code, Message: msg})
	}

	if req.Outcome != nil {
		req.Outcome.ResourceAccount, req.Outcome.Resources = auth.account, auth.resources
	}
	// Forward, with the body as it must be read.
	fr := ForwardRequest{Account: auth.account, Region: sr.Region, SigningName: sr.Service, Protocol: protocol, RequestID: req.RequestID}
	var in io.Reader
	if streaming {
		in = payload.Wrap(r.Body)
		fr.ContentLength, fr.DecodedChunked = payload.DecodedLength, payload.Chunked
		if needsBody(svc, oper) {
			// A small body the gateway records once it is accepted (a
			// bucket policy): read it whole, checked, first.
			b, err := io.ReadAll(io.LimitReader(in, maxPolicyBody+1))
			if err != nil {
				return fail(authError(protocol, r, err))
			}
			if len(b) > maxPolicyBody {
				return fail(&Error{Status: http.StatusBadRequest, Code: "PolicyTooLarge", Message: fmt.Sprintf("Policies must not exceed %d bytes", maxPolicyBody)})
			}
			body, in, fr.ContentLength = b, bytes.NewReader(b), int64(len(b))
		}
	} else {
		in, fr.ContentLength = bytes.NewReader(body), int64(len(body))
	}
	rec := &statusRecorder{ResponseWriter: w}
	if err := g.fwd.Forward(rec, r, in, fr); err != nil {
		g.log.Warn("forward to the backend", "request_id", req.RequestID, "service", sr.Service, "operation", op, "err", clip.String(err.Error()))
	}
	if rec.status >= 200 && rec.status < 300 {
		if err := g.remember(r.Context(), svc, oper, params, auth, body); err != nil {
			g.log.Error("record the resource", "request_id", req.RequestID, "operation", op, "err", err)
		}
	}
	if req.Outcome != nil {
		req.Outcome.Status = rec.status
	}
	return op, strconv.Itoa(rec.status)
}

// authorization is what authorize found: the account that owns the
// request's resource, and the resources of its first action.
type authorization struct {
	account   string
	resources []string
	// region is the request's signing region: where remember asks the
	// backend about what a call changed (a new KMS key).
	region string
}

// authorize decides every action of the request on every resource it
// names, with each resource's policy: the first refusal is returned.
func (g *Gateway) authorize(r *http.Request, body []byte, caller *directory.Caller, svc *catalog.Service, op *catalog.Operation, params catalog.Params, region string) (*authorization, error) {
	actions := op.ActionsFor(params)
	if len(actions) == 0 {
		return nil, &authz.Denied{Message: fmt.Sprintf("User: %s is not authorized to perform: %s:%s because assumed has no IAM action for the %s operation %s, so it can't authorize it (it refuses what it can't map)", caller.ARN, svc.IAMPrefix, op.Name, svc.ServiceID, op.Name)}
	}
	snap := g.dir.Snapshot()
	auth := &authorization{account: op.ResourceAccount(params), region: region}
	if auth.account == "" {
		auth.account = g.ownerOf(snap, svc, params, caller.AccountID)
	}
	ctx := policy.NewContext()
	ctx.Set("aws:RequestedRegion", region)
	partitionKey := ""
	if svc.IAMPrefix == "dynamodb" {
		partitionKey = g.partitionKeyOf(r.Context(), op.Name, params, auth.account, region)
	}
	if err := conditionKeys(ctx, svc, op, params, r, body, partitionKey); err != nil {
		return nil, &authz.Denied{Message: fmt.Sprintf("User: %s is not authorized to perform: %s:%s because assumed can't read the condition keys of the request (%v), and refuses what it can't decide", caller.ARN, svc.IAMPrefix, op.Name, err)}
	}
	if svc.IAMPrefix == "kms" {
		// AWS sets it on every KMS request.
		ctx.Set("kms:CallerAccount", caller.AccountID)
	}
	env := catalog.Env{Region: region, Account: auth.account}
	for i := range actions {
		a := &actions[i]
		arns, err := a.ResourceARNs(params, env)
		if err != nil {
			var miss *catalog.MissingError
			if errors.As(err, &miss) {
				return nil, &authz.Denied{Message: fmt.Sprintf("User: %s is not authorized to perform: %s because assumed can't build the %s resource it acts on: %s", caller.ARN, a.Name, miss.ResourceType, strings.TrimPrefix(err.Error(), "catalog: "))}
			}
			return nil, &authz.Denied{Message: fmt.Sprintf("User: %s is not authorized to perform: %s: %v", caller.ARN, a.Name, err)}
		}
		if i == 0 {
			auth.resources = arns
		}
		for _, res := range arns {
			if svc.IAMPrefix == "kms" && strings.Contains(res, ":alias/") && !isAliasAction(a.Name) {
				res = g.kmsKeyOf(r.Context(), res)
			}
			holder := directory.PolicyHolder(svc.IAMPrefix, res)
			var rp *policy.Policy
			name := ""
			if rec := g.lookupPolicy(r.Context(), snap, svc.IAMPrefix, auth.account, region, holder); rec != nil && rec.Compiled != nil {
				rp, name = rec.Compiled, directory.PolicyName(svc.IAMPrefix, holder)
			}
			var tags []directory.Tag
			resCtx := ctx
			if svc.IAMPrefix == "s3" {
				tags, resCtx = g.s3Tags(r.Context(), ctx, auth.account, res, a)
			} else {
				tags = g.resourceTags(r.Context(), svc.IAMPrefix, holder)
			}
			if svc.IAMPrefix == "ecr" {
				// ECR names its resource tags in its own keys too.
				resCtx = withTagKeys(ctx, "ecr:ResourceTag/", tags)
			}
			err := authz.AuthorizeResource(snap, authz.ResourceRequest{
				Caller: caller, Action: a.Name, Resource: res, ResourceAccount: auth.account,
				Policy: rp, PolicyName: name, KeyPolicy: svc.IAMPrefix == "kms" && strings.Contains(res, ":key/"),
				ResourceTags: tags, Context: resCtx,
			})
			if err != nil {
				return nil, err
			}
		}
	}
	return auth, nil
}

// ownerOf returns the account that owns the resource of a request that
// doesn't say: an S3 bucket's recorded owner; else the caller's account.
func (g *Gateway) ownerOf(snap *directory.Snapshot, svc *catalog.Service, params catalog.Params, callerAccount string) string {
	if svc.IAMPrefix == "s3" {
		if b, ok := params.Get("Bucket"); ok && b != "" {
			if rec, ok := snap.Resources["arn:aws:s3:::"+b]; ok {
				return rec.Account
			}
		}
	}
	return callerAccount
}

// conditionKeys adds the service condition keys the request carries
// (more in serviceKeys, keys.go). partitionKey is the partition key's name
// of the DynamoDB table an item request acts on, "" when not known.
func conditionKeys(ctx *policy.Context, svc *catalog.Service, op *catalog.Operation, params catalog.Params, r *http.Request, body []byte, partitionKey string) error {
	switch svc.IAMPrefix {
	case "s3":
		for _, k := range [...][2]string{{"Prefix", "s3:prefix"}, {"Delimiter", "s3:delimiter"}, {"MaxKeys", "s3:max-keys"}, {"ACL", "s3:x-amz-acl"}} {
			if v, ok := params.Get(k[0]); ok {
				ctx.Set(k[1], v)
			}
		}
	}
	return serviceKeys(ctx, svc, op, params, r, body, partitionKey)
}

// statusRecorder remembers the status of the answer it passes on.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Flush passes streaming answers on as they come.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// deniedAs returns the status and code a service refuses an unauthorized
// request with: its protocol's AccessDenied form, but SNS's
// AuthorizationError, and, for SQS (a JSON service that keeps its Query
// codes), AccessDenied in the x-amzn-query-error header its SDKs read.
func deniedAs(h http.Header, svc *catalog.Service) (int, string) {
	switch svc.IAMPrefix {
	case "sns":
		return http.StatusForbidden, "AuthorizationError"
	case "sqs":
		if svc.Protocol == ProtocolJSON {
			SetQueryError(h, "AccessDenied", http.StatusForbidden)
		}
	}
	return AccessDenied(svc.Protocol)
}

// guessProtocol is the protocol to answer in before the operation is
// known: the service's, or JSON when the request says so.
func guessProtocol(svcs []*catalog.Service, r *http.Request) string {
	if r.Header.Get("X-Amz-Target") != "" {
		return ProtocolJSON
	}
	if len(svcs) > 0 {
		return svcs[0].Protocol
	}
	return ProtocolQuery
}

// authError is the wire form, in protocol, of a signature or payload
// check's failure.
func authError(protocol string, r *http.Request, err error) *Error {
	e := credsError(err)
	status, code, msg := authCode(protocol, r, e.Status, e.Code, e.Message)
	return &Error{Status: status, Code: code, Message: msg}
}

// credsError is the wire form of a signature or payload check's failure.
func credsError(err error) *Error {
	var ce *creds.Error
	if errors.As(err, &ce) {
		return &Error{Status: ce.Status, Code: ce.Code, Message: ce.Message}
	}
	return asError(err)
}

// noBackend answers a request when assumed runs without a backend.
func noBackend(service string) string {
	return "assumed serves " + Served + " itself; the " + service + " API needs a backend that holds its resources: restart with `assumed serve --backend moto` (moto_server on PATH) or `--backend http://HOST:PORT` / `--backend unix:///PATH` (LocalStack or another AWS-compatible server)"
}
