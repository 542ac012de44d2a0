package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/assumed-dev/assumed/internal/catalog"
	"github.com/assumed-dev/assumed/internal/clip"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// needsBody reports whether the gateway must read an S3 operation's body
// to record it once the backend accepts it.
func needsBody(svc *catalog.Service, op *catalog.Operation) bool {
	return svc.IAMPrefix == "s3" && op.Name == "PutBucketPolicy"
}

// remember records what an accepted request changed that authorization
// depends on: who owns a new S3 bucket, and resource policies set or
// deleted (S3 bucket, ECR repository, DynamoDB table, SQS queue, SNS
// topic, Secrets Manager secret, Lambda function and KMS key policies).
// Where the request alone doesn't say what the backend now holds (Lambda
// builds a function's policy from AddPermission; a new KMS key's ARN and
// default policy), it asks the backend, signed for the owning account.
func (g *Gateway) remember(ctx context.Context, svc *catalog.Service, op *catalog.Operation, params catalog.Params, auth *authorization, body []byte) error {
	first := ""
	if len(auth.resources) > 0 {
		first = directory.PolicyHolder(svc.IAMPrefix, auth.resources[0])
	}
	if mayChangeTags(op.Name) {
		g.tags.forget(first)
		if len(auth.resources) > 0 {
			g.tags.forget(auth.resources[0]) // an S3 object's own
		}
	}
	switch svc.IAMPrefix + ":" + op.Name {
	case "dynamodb:CreateTable":
		g.schemas.forget(first)
	case "s3:CreateBucket":
		return g.recordOwner(ctx, first, auth.account)
	case "s3:DeleteBucket", "ecr:DeleteRepository", "dynamodb:DeleteTable", "sqs:DeleteQueue", "sns:DeleteTopic":
		g.schemas.forget(first)
		return g.forget(ctx, first)
	case "s3:PutBucketPolicy":
		return g.recordPolicy(ctx, first, auth.account, string(body))
	case "ecr:SetRepositoryPolicy":
		doc, _ := params.Get("policyText")
		// ECR's repository policies name no Resource: the repository
		// is implied.
		doc, err := withResource(doc, first)
		if err != nil {
			return fmt.Errorf("repository policy of %s: %w", first, err)
		}
		return g.recordPolicy(ctx, first, auth.account, doc)
	case "dynamodb:PutResourcePolicy":
		doc, _ := params.Get("Policy")
		return g.recordPolicy(ctx, first, auth.account, doc)
	case "s3:DeleteBucketPolicy", "ecr:DeleteRepositoryPolicy", "dynamodb:DeleteResourcePolicy":
		return g.forgetPolicy(ctx, first)

	case "sqs:CreateQueue", "sqs:SetQueueAttributes", "sns:CreateTopic":
		return g.rememberAttribute(ctx, first, auth.account, body, "Attributes")
	case "sns:SetTopicAttributes":
		if name, _ := params.Get("AttributeName"); name != "Policy" {
			return nil
		}
		doc, _ := params.Get("AttributeValue")
		if strings.TrimSpace(doc) == "" {
			return g.forgetPolicy(ctx, first)
		}
		return g.recordPolicy(ctx, first, auth.account, doc)

	case "secretsmanager:PutResourcePolicy":
		doc, _ := params.Get("ResourcePolicy")
		return g.recordSecretPolicy(ctx, first, auth.account, doc)
	case "secretsmanager:DeleteResourcePolicy":
		return g.recordSecretPolicy(ctx, first, auth.account, "")
	case "secretsmanager:CreateSecret":
		// A new secret has no policy; a record under its name is a
		// deleted namesake's.
		return g.forget(ctx, first)
	case "secretsmanager:DeleteSecret":
		// Within the recovery window the secret, and its policy, can be
		// restored; deleted at once, they are gone. The request names
		// one of the secret's two records: a full ARN's lingers
		// harmlessly (a new secret gets another suffix), a name's is
		// dropped by CreateSecret above.
		if force, _ := params.Get("ForceDeleteWithoutRecovery"); force == "true" {
			return g.forget(ctx, first)
		}
		return nil

	case "lambda:AddPermission", "lambda:RemovePermission":
		return g.refreshFunctionPolicy(ctx, first, auth.account, params)
	case "lambda:DeleteFunction":
		return g.forgetFunction(ctx, first, params)

	case "kms:CreateKey":
		return g.recordNewKeys(ctx, auth.account, auth.region)
	case "kms:PutKeyPolicy":
		doc, _ := params.Get("Policy")
		return g.recordPolicy(ctx, first, auth.account, doc)
	}
	return nil
}

// lookupPolicy returns the record of holder, the resource whose policy
// governs a request, for authorize. On a miss it asks the backend for a
// policy set before assumed saw the resource (a backend that already held
// resources):
//
//   - an S3 bucket's policy (GetBucketPolicy, signed for account, the
//     owner authorize assumes): returned for this request only, never
//     recorded, since the bucket's owner is not known and a record would
//     make it so;
//   - the policy of a KMS key, a DynamoDB table, an ECR repository, an SQS
//     queue, an SNS topic, a secret or a Lambda function (fetchPolicy):
//     recorded, so that the next request finds it.
//
// Any other miss, a resource the backend doesn't know, or a backend that
// can't answer, gives nil: the request is decided without a resource
// policy, as before.
func (g *Gateway) lookupPolicy(ctx context.Context, snap *directory.Snapshot, service, account, region, holder string) *directory.Resource {
	if rec, ok := snap.Resources[holder]; ok {
		return rec
	}
	if g.fwd == nil {
		return nil
	}
	switch service {
	case "s3":
		bucket, ok := strings.CutPrefix(holder, "arn:aws:s3:::")
		if !ok || bucket == "" || strings.Contains(bucket, "/") {
			return nil
		}
		now := time.Now()
		if g.misses.has(holder, now) {
			return nil
		}
		status, body, err := g.call(ctx, backendRequest{account: account, region: region, service: "s3", method: http.MethodGet, path: "/" + bucket, query: "policy="})
		if err != nil || status != http.StatusOK {
			if err != nil {
				g.log.Warn("ask the backend for a bucket policy", "bucket", bucket, "err", err)
			}
			g.misses.add(holder, now)
			return nil
		}
		p, err := policy.Parse(string(body), policy.Resource)
		if err != nil {
			g.log.Warn("the backend's bucket policy does not parse", "bucket", bucket, "err", err)
			return nil
		}
		return &directory.Resource{ARN: holder, Account: account, Policy: string(body), Compiled: p}
	case "dynamodb", "ecr", "secretsmanager", "sqs", "sns", "lambda", "kms":
		return g.fetchPolicy(ctx, service, holder)
	}
	return nil
}

// accountOf returns an ARN's account segment.
func accountOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

// rememberAttribute records or drops the policy an SQS queue's or SNS
// topic's Policy attribute sets, when the request's map member carries
// one: an empty Policy removes the policy.
func (g *Gateway) rememberAttribute(ctx context.Context, arn, account string, body []byte, member string) error {
	doc, ok := mapEntry(body, member, "Policy")
	if !ok {
		return nil
	}
	if strings.TrimSpace(doc) == "" {
		return g.forgetPolicy(ctx, arn)
	}
	return g.recordPolicy(ctx, arn, account, doc)
}

// mapEntry returns the value of key in the map member of a request body,
// which catalog.Params gives only the keys of: a JSON body's object
// member ({"Attributes": {"Policy": "…"}}), or a Query form's flattened
// map, as SQS (Attribute.N.Name, Attribute.N.Value) and SNS
// (Attributes.entry.N.key, Attributes.entry.N.value) send it.
func mapEntry(body []byte, member, key string) (string, bool) {
	if b := bytes.TrimSpace(body); len(b) > 0 && b[0] == '{' {
		var top map[string]json.RawMessage
		if json.Unmarshal(b, &top) != nil {
			return "", false
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(top[member], &m) != nil {
			return "", false
		}
		raw, ok := m[key]
		if !ok {
			return "", false
		}
		var v string
		if json.Unmarshal(raw, &v) != nil {
			return "", false
		}
		return v, true
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return "", false
	}
	singular := strings.TrimSuffix(member, "s")
	for k, vs := range form {
		if len(vs) == 0 || vs[0] != key {
			continue
		}
		if !strings.HasPrefix(k, member+".") && !strings.HasPrefix(k, singular+".") {
			continue
		}
		var valueKey string
		switch {
		case strings.HasSuffix(k, ".Name"):
			valueKey = strings.TrimSuffix(k, ".Name") + ".Value"
		case strings.HasSuffix(k, ".key"):
			valueKey = strings.TrimSuffix(k, ".key") + ".value"
		default:
			continue
		}
		if v, ok := form[valueKey]; ok && len(v) > 0 {
			return v[0], true
		}
		return "", true
	}
	return "", false
}

// withResource returns doc with "Resource": arn added to every statement
// that names neither Resource nor NotResource, as ECR reads a repository
// policy (its resource is the repository). A document that doesn't parse
// as JSON is returned as it is, for the policy parser to explain.
func withResource(doc, arn string) (string, error) {
	var top map[string]json.RawMessage
	if json.Unmarshal([]byte(doc), &top) != nil {
		return doc, nil
	}
	raw, ok := top["Statement"]
	if !ok {
		return doc, nil
	}
	var list []map[string]json.RawMessage
	single := false
	if json.Unmarshal(raw, &list) != nil {
		var one map[string]json.RawMessage
		if json.Unmarshal(raw, &one) != nil {
			return doc, nil
		}
		list, single = []map[string]json.RawMessage{one}, true
	}
	changed := false
	res, err := json.Marshal(arn)
	if err != nil {
		return "", fmt.Errorf("encode %s: %w", arn, err)
	}
	for _, st := range list {
		_, r := st["Resource"]
		_, nr := st["NotResource"]
		if !r && !nr {
			st["Resource"] = res
			changed = true
		}
	}
	if !changed {
		return doc, nil
	}
	var stmts any = list
	if single {
		stmts = list[0]
	}
	if top["Statement"], err = json.Marshal(stmts); err != nil {
		return "", fmt.Errorf("encode the statements: %w", err)
	}
	out, err := json.Marshal(top)
	if err != nil {
		return "", fmt.Errorf("encode the policy: %w", err)
	}
	return string(out), nil
}

// recordSecretPolicy records a secret's resource policy (doc; "" drops
// it) under both ARNs a request may name the secret by: the catalogue's
// name form (…:secret:NAME) and the full ARN (…:secret:NAME-AbCdEf). The
// backend's DescribeSecret gives both exactly, whichever form the request
// used (name, partial or full ARN). Without an answer, the ARN the
// request named is kept alone.
func (g *Gateway) recordSecretPolicy(ctx context.Context, arn, account, doc string) error {
	keys := []string{arn}
	var out struct{ ARN, Name string }
	if err := g.jsonCall(ctx, account, regionOf(arn), "secretsmanager", "secretsmanager.DescribeSecret", map[string]string{"SecretId": arn}, &out); err != nil {
		g.log.Warn("ask the backend for a secret's ARN: its policy is recorded under the ARN the request named only", "secret", arn, "err", err)
	} else if out.ARN != "" && out.Name != "" {
		prefix, _, _ := strings.Cut(out.ARN, ":secret:")
		keys = []string{prefix + ":secret:" + out.Name, out.ARN}
	}
	for _, k := range keys {
		var err error
		if doc == "" {
			err = g.forgetPolicy(ctx, k)
		} else {
			err = g.recordPolicy(ctx, k, account, doc)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// refreshFunctionPolicy records a Lambda function's policy as the backend
// now holds it, after AddPermission or RemovePermission changed it: the
// backend builds the statement from the request's parameters, and
// GetPolicy is the one place to read the result (no policy: dropped).
func (g *Gateway) refreshFunctionPolicy(ctx context.Context, arn, account string, params catalog.Params) error {
	fn, _ := params.Get("FunctionName")
	q := url.Values{}
	if qual, ok := params.Get("Qualifier"); ok && qual != "" {
		q.Set("Qualifier", qual)
	}
	var out struct{ Policy string }
	err := g.restGet(ctx, account, regionOf(arn), "lambda", "/2015-03-31/functions/"+url.PathEscape(fn)+"/policy", q.Encode(), &out)
	if be := (*backendError)(nil); errors.As(err, &be) && be.Status == http.StatusNotFound {
		return g.forgetPolicy(ctx, arn)
	}
	if err != nil {
		return fmt.Errorf("read the policy of %s from the backend: %w", arn, err)
	}
	doc, err := awsFunctionPolicy(out.Policy, arn)
	if err != nil {
		return fmt.Errorf("policy of %s: %w", arn, err)
	}
	return g.recordPolicy(ctx, arn, account, doc)
}

// awsFunctionPolicy returns a function policy as AWS writes it: a
// statement's Principal that a backend keeps as AddPermission's string
// (moto) becomes {"AWS": "arn:aws:iam::ACCOUNT:root"} for an account ID,
// {"AWS": ARN} for an ARN and {"Service": NAME} for a service; a
// statement without Resource gets the function's ARN.
func awsFunctionPolicy(doc, arn string) (string, error) {
	var top map[string]any
	if err := json.Unmarshal([]byte(doc), &top); err != nil {
		return "", fmt.Errorf("decode the function policy: %w", err)
	}
	var stmts []any
	switch s := top["Statement"].(type) {
	case []any:
		stmts = s
	case map[string]any:
		stmts = []any{s}
	}
	for _, s := range stmts {
		st, ok := s.(map[string]any)
		if !ok {
			continue
		}
		if p, ok := st["Principal"].(string); ok && p != "*" {
			switch {
			case len(p) == 12 && strings.Trim(p, "0123456789") == "":
				st["Principal"] = map[string]any{"AWS": "arn:aws:iam::" + p + ":root"}
			case strings.HasPrefix(p, "arn:"):
				st["Principal"] = map[string]any{"AWS": p}
			default:
				st["Principal"] = map[string]any{"Service": p}
			}
		}
		if _, ok := st["Resource"]; !ok {
			st["Resource"] = arn
		}
	}
	top["Statement"] = stmts
	out, err := json.Marshal(top)
	if err != nil {
		return "", fmt.Errorf("encode the function policy: %w", err)
	}
	return string(out), nil
}

// forgetFunction drops what is recorded of a deleted Lambda function: its
// policy and, when the whole function went (no Qualifier), those of its
// versions and aliases (…:function:NAME:QUALIFIER).
func (g *Gateway) forgetFunction(ctx context.Context, arn string, params catalog.Params) error {
	if err := g.forget(ctx, arn); err != nil {
		return err
	}
	if q, _ := params.Get("Qualifier"); q != "" {
		return nil
	}
	var qualified []string
	for k := range g.dir.Snapshot().Resources {
		if strings.HasPrefix(k, arn+":") {
			qualified = append(qualified, k)
		}
	}
	for _, k := range qualified {
		if err := g.forget(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// maxKeyPages bounds the pages of ListKeys recordNewKeys reads.
const maxKeyPages = 100

// recordNewKeys records the key policy of every KMS key of account in
// region that has no record yet, as the backend holds it: after CreateKey,
// the new key with the policy the request gave or the default one AWS
// writes (the account's root allowed kms:*, delegating to IAM). The
// request doesn't carry the new key's ARN; the backend's list does.
func (g *Gateway) recordNewKeys(ctx context.Context, account, region string) error {
	marker := ""
	for range maxKeyPages {
		in := map[string]any{"Limit": 1000}
		if marker != "" {
			in["Marker"] = marker
		}
		var page struct {
			Keys       []struct{ KeyArn, KeyId string }
			NextMarker string
			Truncated  bool
		}
		if err := g.jsonCall(ctx, account, region, "kms", "TrentService.ListKeys", in, &page); err != nil {
			return fmt.Errorf("list the keys of %s in %s: %w", account, region, err)
		}
		snap := g.dir.Snapshot()
		for _, k := range page.Keys {
			if _, known := snap.Resources[k.KeyArn]; known || k.KeyArn == "" {
				continue
			}
			var pol struct{ Policy string }
			if err := g.jsonCall(ctx, account, region, "kms", "TrentService.GetKeyPolicy", map[string]string{"KeyId": k.KeyArn, "PolicyName": "default"}, &pol); err != nil {
				return fmt.Errorf("read the key policy of %s: %w", k.KeyArn, err)
			}
			if err := g.recordPolicy(ctx, k.KeyArn, account, pol.Policy); err != nil {
				return err
			}
		}
		if !page.Truncated || page.NextMarker == "" {
			return nil
		}
		marker = page.NextMarker
	}
	return nil
}

// regionOf returns an ARN's region segment.
func regionOf(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) < 5 {
		return ""
	}
	return parts[3]
}

// backendRequest is a request the gateway sends the backend on its own
// behalf, to read what a call that passed through it changed.
type backendRequest struct {
	account, region string // whose resources, and where
	service         string // the SigV4 signing name
	method, path    string
	query           string // encoded
	header          http.Header
	body            []byte
}

// backendTimeout bounds a request the gateway sends on its own behalf.
const backendTimeout = 10 * time.Second

// maxBackendAnswer bounds the answer the gateway reads of its own
// request's.
const maxBackendAnswer = 4 << 20

// call sends r to the backend, signed for r.account's resources, and
// returns the answer's status and body. It is not counted as a forwarded
// request: no client sent it.
func (g *Gateway) call(ctx context.Context, r backendRequest) (int, []byte, error) {
	if g.fwd == nil {
		return 0, nil, errors.New("assumed runs without a backend")
	}
	f := g.fwd
	ctx, cancel := context.WithTimeout(ctx, backendTimeout)
	defer cancel()
	target := *f.backend.URL
	target.Path, target.RawPath, target.RawQuery = r.path, "", r.query
	req, err := http.NewRequestWithContext(ctx, r.method, target.String(), bytes.NewReader(r.body))
	if err != nil {
		return 0, nil, fmt.Errorf("build the backend request: %w", err)
	}
	for k, vs := range r.header {
		req.Header[k] = vs
	}
	sum := sha256.Sum256(r.body)
	if err := f.sign(req, r.account, r.service, r.region, hex.EncodeToString(sum[:])); err != nil {
		return 0, nil, err
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s at the backend: %w", r.method, r.service, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBackendAnswer))
	if err != nil {
		return 0, nil, fmt.Errorf("read the backend's answer: %w", err)
	}
	return resp.StatusCode, body, nil
}

// jsonCall calls an operation of a JSON-protocol service (awsJson 1.1)
// at the backend: in is the request, out receives the answer.
func (g *Gateway) jsonCall(ctx context.Context, account, region, service, target string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("encode %s: %w", target, err)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/x-amz-json-1.1")
	h.Set("X-Amz-Target", target)
	status, answer, err := g.call(ctx, backendRequest{account: account, region: region, service: service, method: http.MethodPost, path: "/", header: h, body: body})
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("%s: %w", target, backendFailure(status, answer))
	}
	if err := json.Unmarshal(answer, out); err != nil {
		return fmt.Errorf("decode the answer to %s: %w", target, err)
	}
	return nil
}

// backendError is a backend's refusal of a request the gateway sent on
// its own behalf.
type backendError struct {
	Status        int
	Code, Message string
}

func (e *backendError) Error() string {
	return fmt.Sprintf("the backend answered %d %s: %s", e.Status, e.Code, clip.String(e.Message))
}

// backendFailure reads a backend's error answer: JSON (__type, message)
// or XML (<Code>, <Message>).
// restGet sends a REST-JSON GET (path, query) to the backend, signed for
// account's resources, and decodes the 200 answer's JSON into out; another
// status is a *backendError.
func (g *Gateway) restGet(ctx context.Context, account, region, service, path, query string, out any) error {
	status, answer, err := g.call(ctx, backendRequest{account: account, region: region, service: service, method: http.MethodGet, path: path, query: query})
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("GET %s: %w", path, backendFailure(status, answer))
	}
	if err := json.Unmarshal(answer, out); err != nil {
		return fmt.Errorf("decode the answer to GET %s: %w", path, err)
	}
	return nil
}

// queryCall sends a Query-protocol call (form holds Action, Version and the
// parameters) to the backend, signed for account's resources, and decodes
// the 200 answer's XML into out; another status is a *backendError.
func (g *Gateway) queryCall(ctx context.Context, account, region, service string, form url.Values, out any) error {
	status, answer, err := g.call(ctx, backendRequest{account: account, region: region, service: service, method: http.MethodPost, path: "/",
		header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, body: []byte(form.Encode())})
	if err != nil {
		return err
	}
	action := form.Get("Action")
	if status != http.StatusOK {
		return fmt.Errorf("%s: %w", action, backendFailure(status, answer))
	}
	if err := xml.Unmarshal(answer, out); err != nil {
		return fmt.Errorf("decode the answer to %s: %w", action, err)
	}
	return nil
}

func backendFailure(status int, body []byte) error {
	e := &backendError{Status: status}
	var j struct {
		Type     string `json:"__type"`
		Message  string `json:"message"`
		MessageU string `json:"Message"`
	}
	var x struct {
		Code    string `xml:"Error>Code"`
		Message string `xml:"Error>Message"`
	}
	switch {
	case json.Unmarshal(body, &j) == nil:
		e.Code, e.Message = j.Type, j.Message+j.MessageU
		if i := strings.LastIndexByte(e.Code, '#'); i >= 0 {
			e.Code = e.Code[i+1:]
		}
	case xml.Unmarshal(body, &x) == nil:
		e.Code, e.Message = x.Code, x.Message
	default:
		e.Message = string(body)
	}
	return e
}
