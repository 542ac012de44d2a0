package catalog

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Identify finds the operation of a request signed for signingName (the
// SigV4 credential scope's service) among the services that share that
// signing name, for every protocol:
//
//   - JSON: X-Amz-Target "Prefix.Operation", the prefix being the service's
//     target prefix;
//   - Smithy RPC v2 CBOR: the path /service/S/operation/Operation;
//   - Query and EC2: the Action parameter of the form body or the query
//     string (Version picks among services with the same operation);
//   - REST-XML and REST-JSON: the method and the request URI template with
//     its labels (greedy {Key+} too) and ?query discriminators; required
//     query-string and header members must be present, and the most
//     specific match wins. S3 virtual-hosted-style requests
//     (bucket.s3.region.amazonaws.com, bucket.localhost) are handled.
//
// body is the whole body for JSON, Query and EC2 requests. For REST services
// it may be nil (S3 streams); when given, a REST-JSON body's top-level
// members and S3 DeleteObjects' keys become parameters.
//
// The returned error wraps ErrUnknownService or ErrNoSuchOperation.
func (c *Catalog) Identify(signingName string, r *http.Request, body []byte) (*Service, *Operation, Params, error) {
	svcs := c.bySigning[signingName]
	if len(svcs) == 0 {
		return nil, nil, nil, fmt.Errorf("catalog: signing name %q: %w", signingName, ErrUnknownService)
	}
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		dot := strings.LastIndexByte(target, '.')
		if dot < 0 {
			return nil, nil, nil, fmt.Errorf("catalog: %s: X-Amz-Target %q has no operation: %w", signingName, target, ErrNoSuchOperation)
		}
		prefix, name := target[:dot], target[dot+1:]
		for _, s := range svcs {
			if s.accepts&acceptJSON == 0 || s.TargetPrefix != prefix {
				continue
			}
			o := s.byName[name]
			if o == nil {
				break
			}
			p, err := o.jsonParams(make(Params, 0, 8), body)
			if err != nil {
				return s, o, p, fmt.Errorf("catalog: %s %s: %w", s.ID, o.Name, err)
			}
			return s, o, p, nil
		}
		return nil, nil, nil, fmt.Errorf("catalog: %s: X-Amz-Target %q: %w", signingName, target, ErrNoSuchOperation)
	}
	if r.Header.Get("Smithy-Protocol") == "rpc-v2-cbor" {
		path := r.URL.Path
		if i := strings.LastIndex(path, "/operation/"); i >= 0 {
			name := path[i+len("/operation/"):]
			for _, s := range svcs {
				if s.accepts&acceptCBOR == 0 {
					continue
				}
				if o := s.byName[name]; o != nil {
					// The CBOR body isn't decoded: only the operation is known.
					return s, o, Params{}, nil
				}
			}
		}
		return nil, nil, nil, fmt.Errorf("catalog: %s: CBOR path %q: %w", signingName, path, ErrNoSuchOperation)
	}
	var queryErr error
	for _, s := range svcs {
		if s.accepts&acceptQuery != 0 {
			s, o, p, err := identifyQuery(svcs, r, body)
			if err == nil {
				return s, o, p, nil
			}
			queryErr = err
			break
		}
	}
	for _, s := range svcs {
		if s.accepts&acceptREST != 0 {
			return identifyREST(signingName, svcs, r, body)
		}
	}
	if queryErr != nil {
		return nil, nil, nil, queryErr
	}
	return nil, nil, nil, fmt.Errorf("catalog: %s: %s %s: %w", signingName, r.Method, r.URL.Path, ErrNoSuchOperation)
}

// identifyQuery handles the Query and EC2 protocols.
func identifyQuery(svcs []*Service, r *http.Request, body []byte) (*Service, *Operation, Params, error) {
	form := ""
	if len(body) > 0 && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		form = string(body)
	}
	action, version := formValue(form, "Action"), formValue(form, "Version")
	if action == "" {
		action = formValue(r.URL.RawQuery, "Action")
	}
	if version == "" {
		version = formValue(r.URL.RawQuery, "Version")
	}
	if action == "" {
		return nil, nil, nil, fmt.Errorf("catalog: %s: no Action parameter: %w", svcs[0].SigningName, ErrNoSuchOperation)
	}
	// Among services with the operation, prefer the one whose API version
	// the request names, then the one named like the signing name (rds
	// over docdb and neptune).
	var best *Service
	var op *Operation
	bestRank := -1
	for _, s := range svcs {
		if s.accepts&acceptQuery == 0 {
			continue
		}
		o := s.byName[action]
		if o == nil {
			continue
		}
		rank := 0
		if version != "" && s.APIVersion == version {
			rank += 2
		}
		if s.ID == s.SigningName {
			rank++
		}
		if rank > bestRank {
			best, op, bestRank = s, o, rank
		}
	}
	if op == nil {
		return nil, nil, nil, fmt.Errorf("catalog: %s: Action %q: %w", svcs[0].SigningName, action, ErrNoSuchOperation)
	}
	p := make(Params, 0, 8)
	p = op.formParams(p, r.URL.RawQuery)
	p = op.formParams(p, form)
	return best, op, p, nil
}

// formValue returns the first value of key in an urlencoded form.
func formValue(form, key string) string {
	for form != "" {
		var kv string
		kv, form, _ = strings.Cut(form, "&")
		k, v, _ := strings.Cut(kv, "=")
		if k == key {
			if uv, err := url.QueryUnescape(v); err == nil {
				return uv
			}
			return v
		}
	}
	return ""
}

// ---- REST ----

// uriTemplate is a compiled requestUri.
type uriTemplate struct {
	segs     []uriSeg
	greedy   int // index of the segment with a greedy label, or -1
	query    []queryDisc
	required []*Member // required querystring and header members
	literals int
	labels   int
}

type uriSeg struct {
	prefix, label, suffix string // label "" for a literal segment (prefix holds it)
	member                string // the input member the label fills
}

type queryDisc struct {
	key, value string
	hasValue   bool
}

// maxLabels bounds the labels of one requestUri.
const maxLabels = 8

func parseURITemplate(uri string, o *Operation) (*uriTemplate, error) {
	path, query, _ := strings.Cut(uri, "?")
	t := &uriTemplate{greedy: -1}
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("requestUri %q does not start with /", uri)
	}
	for i, seg := range strings.Split(path[1:], "/") {
		open := strings.IndexByte(seg, '{')
		if open < 0 {
			t.segs = append(t.segs, uriSeg{prefix: seg})
			t.literals++
			continue
		}
		end := strings.IndexByte(seg, '}')
		if end < open {
			return nil, fmt.Errorf("requestUri %q: bad label", uri)
		}
		label := seg[open+1 : end]
		if strings.HasSuffix(label, "+") {
			if t.greedy >= 0 {
				return nil, fmt.Errorf("requestUri %q: two greedy labels", uri)
			}
			t.greedy = i
			label = strings.TrimSuffix(label, "+")
		}
		member := label
		for j := range o.Input {
			if o.Input[j].Location == "uri" && o.Input[j].LocationName == label {
				member = o.Input[j].Name
				break
			}
		}
		t.segs = append(t.segs, uriSeg{prefix: seg[:open], label: label, suffix: seg[end+1:], member: member})
		t.labels++
	}
	if t.labels > maxLabels {
		return nil, fmt.Errorf("requestUri %q: more than %d labels", uri, maxLabels)
	}
	for query != "" {
		var kv string
		kv, query, _ = strings.Cut(query, "&")
		k, v, has := strings.Cut(kv, "=")
		t.query = append(t.query, queryDisc{key: k, value: v, hasValue: has})
	}
	for i := range o.Input {
		m := &o.Input[i]
		if m.Required && (m.Location == "querystring" || m.Location == "header") {
			t.required = append(t.required, m)
		}
	}
	return t, nil
}

// queryKV is one raw pair of a query string.
type queryKV struct{ k, v string }

func splitQuery(raw string, buf []queryKV) []queryKV {
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if strings.ContainsAny(k, "%+") {
			if uk, err := url.QueryUnescape(k); err == nil {
				k = uk
			}
		}
		buf = append(buf, queryKV{k, v})
	}
	return buf
}

func lookupQuery(q []queryKV, key string) (string, bool) {
	for _, kv := range q {
		if kv.k == key {
			return kv.v, true
		}
	}
	return "", false
}

// matchSeg matches one path segment against a template segment and returns
// the label's raw value.
func matchSeg(seg uriSeg, cur string) (string, bool) {
	if seg.label == "" {
		return "", cur == seg.prefix
	}
	if len(cur) <= len(seg.prefix)+len(seg.suffix) || !strings.HasPrefix(cur, seg.prefix) || !strings.HasSuffix(cur, seg.suffix) {
		return "", false
	}
	return cur[len(seg.prefix) : len(cur)-len(seg.suffix)], true
}

// match reports whether the escaped path (without its leading slash) fits
// the template; vals, when not nil, receives the labels' raw values in
// template order. It doesn't allocate. A trailing slash after the last
// non-greedy segment is tolerated ("/bucket/").
func (t *uriTemplate) match(path string, vals *[maxLabels]string) bool {
	rest := path[1:]
	n := 0
	head := len(t.segs)
	if t.greedy >= 0 {
		head = t.greedy
	}
	for i := 0; i < head; i++ {
		seg := t.segs[i]
		last := i == len(t.segs)-1
		var cur string
		slash := strings.IndexByte(rest, '/')
		switch {
		case slash < 0:
			if !last {
				return false
			}
			cur, rest = rest, ""
		default:
			cur, rest = rest[:slash], rest[slash+1:]
			if last && rest != "" {
				return false // more segments than the template
			}
		}
		v, ok := matchSeg(seg, cur)
		if !ok {
			return false
		}
		if seg.label != "" {
			if vals != nil {
				vals[n] = v
			}
			n++
		}
	}
	if t.greedy < 0 {
		return true
	}
	// Segments after the greedy one match from the end of the path.
	tail := t.segs[t.greedy+1:]
	var tailVals [maxLabels]string
	tn := 0
	for i := len(tail) - 1; i >= 0; i-- {
		slash := strings.LastIndexByte(rest, '/')
		if slash < 0 {
			return false
		}
		cur := rest[slash+1:]
		rest = rest[:slash]
		v, ok := matchSeg(tail[i], cur)
		if !ok {
			return false
		}
		if tail[i].label != "" {
			tailVals[tn] = v
			tn++
		}
	}
	g := t.segs[t.greedy]
	if len(rest) <= len(g.prefix)+len(g.suffix) || !strings.HasPrefix(rest, g.prefix) || !strings.HasSuffix(rest, g.suffix) {
		return false
	}
	if vals != nil {
		vals[n] = rest[len(g.prefix) : len(rest)-len(g.suffix)]
		for i := tn - 1; i >= 0; i-- {
			n++
			vals[n] = tailVals[i]
		}
	}
	return true
}

// score reports whether a request fits the operation's template, and how
// specifically: query discriminators and required query-string and header
// members present count most, then literal path segments; a greedy label
// and a deprecated operation count against. Cheap checks come first.
func (t *uriTemplate) score(o *Operation, path string, q []queryKV, h http.Header) (int, bool) {
	score := 10*t.literals + 1
	for _, d := range t.query {
		v, has := lookupQuery(q, d.key)
		if !has || (d.hasValue && v != d.value) {
			return 0, false
		}
		score += 100
	}
	for _, m := range t.required {
		var ok bool
		if m.Location == "querystring" {
			_, ok = lookupQuery(q, m.LocationName)
		} else {
			ok = len(h[m.canonHeader]) > 0
		}
		if !ok {
			return 0, false
		}
		score += 100
	}
	if !t.match(path, nil) {
		return 0, false
	}
	if t.greedy >= 0 {
		score--
	}
	if o.Deprecated {
		score--
	}
	return score, true
}

// labelParams appends the template's label values found in path.
func (t *uriTemplate) labelParams(p Params, path string, o *Operation) Params {
	var vals [maxLabels]string
	if !t.match(path, &vals) {
		return p
	}
	n := 0
	for _, seg := range t.segs {
		if seg.label == "" {
			continue
		}
		v := vals[n]
		n++
		if uv, err := url.PathUnescape(v); err == nil {
			v = uv
		}
		p = append(p, Param{seg.member, v})
	}
	return p
}

func identifyREST(signingName string, svcs []*Service, r *http.Request, body []byte) (*Service, *Operation, Params, error) {
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	var qbuf [16]queryKV
	q := splitQuery(r.URL.RawQuery, qbuf[:0])
	xid, _ := lookupQuery(q, "x-id")
	var best *Operation
	bestScore := -1
	var bestPath string
	for _, s := range svcs {
		if s.accepts&acceptREST == 0 {
			continue
		}
		p := path
		if s.ID == "s3" {
			if bucket := virtualHostBucket(r.Host); bucket != "" {
				p = "/" + bucket + path
				if path == "/" {
					p = "/" + bucket
				}
			}
		}
		// The SDKs name the operation in x-id where the URI alone doesn't:
		// when it fits, it wins.
		if xid != "" {
			if o := s.byName[xid]; o != nil && o.Method == r.Method && o.tmpl != nil {
				if _, ok := o.tmpl.score(o, p, q, r.Header); ok {
					best, bestPath = o, p
					break
				}
			}
		}
		for _, o := range s.rest[r.Method] {
			score, ok := o.tmpl.score(o, p, q, r.Header)
			if ok && score > bestScore {
				best, bestScore, bestPath = o, score, p
			}
		}
	}
	if best == nil {
		return nil, nil, nil, fmt.Errorf("catalog: %s: %s %s: %w", signingName, r.Method, path, ErrNoSuchOperation)
	}
	o := best
	p := make(Params, 0, 8)
	p = o.tmpl.labelParams(p, bestPath, o)
	for _, m := range o.query {
		for _, kv := range q {
			if kv.k == m.LocationName {
				v := kv.v
				if uv, err := url.QueryUnescape(v); err == nil {
					v = uv
				}
				p = append(p, Param{m.Name, v})
			}
		}
	}
	if len(r.Header) < len(o.headers) {
		for k, vs := range r.Header {
			if m := o.headerByName[k]; m != nil && len(vs) > 0 {
				p = append(p, Param{m.Name, vs[0]})
			}
		}
	} else {
		for _, m := range o.headers {
			if vs := r.Header[m.canonHeader]; len(vs) > 0 {
				p = append(p, Param{m.Name, vs[0]})
			}
		}
	}
	if len(body) > 0 {
		switch {
		case o.Service.Protocol == "rest-json" && o.Payload == "":
			var err error
			if p, err = o.jsonParams(p, body); err != nil {
				return o.Service, o, p, fmt.Errorf("catalog: %s %s: %w", o.Service.ID, o.Name, err)
			}
		case o.Service.ID == "s3" && o.Name == "DeleteObjects":
			var err error
			if p, err = deleteObjectsParams(p, body); err != nil {
				return o.Service, o, p, err
			}
		}
	}
	if o.Service.ID == "s3" {
		p = copySourceParams(p)
	}
	return o.Service, o, p, nil
}

// virtualHostBucket returns the bucket of a virtual-hosted-style S3 host:
// BUCKET.s3.amazonaws.com, BUCKET.s3.REGION.amazonaws.com,
// BUCKET.s3-REGION.amazonaws.com, BUCKET.localhost,
// BUCKET.s3.localhost.localstack.cloud; "" for a path-style host.
func virtualHostBucket(host string) string {
	if h, _, ok := strings.Cut(host, ":"); ok && !strings.Contains(h, "]") {
		host = h
	}
	host = strings.ToLower(host)
	for _, marker := range []string{".s3.", ".s3-", ".s3express-"} {
		if i := strings.Index(host, marker); i > 0 {
			return host[:i]
		}
	}
	for _, suffix := range []string{".localhost.localstack.cloud", ".localhost"} {
		if strings.HasSuffix(host, suffix) {
			b := strings.TrimSuffix(host, suffix)
			if b != "" && b != "s3" {
				return b
			}
		}
	}
	return ""
}

// copySourceParams derives CopySource.Bucket, .Key and .VersionId from S3's
// x-amz-copy-source ("bucket/key?versionId=v", URL-encoded, maybe with a
// leading slash).
func copySourceParams(p Params) Params {
	src, ok := p.Get("CopySource")
	if !ok {
		return p
	}
	src, query, _ := strings.Cut(src, "?")
	if u, err := url.PathUnescape(src); err == nil {
		src = u
	}
	src = strings.TrimPrefix(src, "/")
	bucket, key, ok := strings.Cut(src, "/")
	if !ok || bucket == "" || key == "" {
		return p
	}
	p = append(p, Param{"CopySource.Bucket", bucket}, Param{"CopySource.Key", key})
	if v := formValue(query, "versionId"); v != "" {
		p = append(p, Param{"CopySource.VersionId", v})
	}
	return p
}

// deleteObjectsParams reads the keys of an S3 DeleteObjects body.
func deleteObjectsParams(p Params, body []byte) (Params, error) {
	var d struct {
		Objects []struct {
			Key       string `xml:"Key"`
			VersionID string `xml:"VersionId"`
		} `xml:"Object"`
	}
	if err := xml.Unmarshal(body, &d); err != nil {
		return p, fmt.Errorf("catalog: s3 DeleteObjects: reading the body: %w", err)
	}
	for _, obj := range d.Objects {
		if obj.VersionID != "" {
			p = append(p, Param{"Delete.Objects[].VersionedKey", obj.Key})
		} else {
			p = append(p, Param{"Delete.Objects[].Key", obj.Key})
		}
	}
	return p, nil
}
