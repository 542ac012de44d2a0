package creds

// This file keeps the SigV4 parser and verifier that the allocation-lean
// ones replaced, as the reference the differential tests hold them to.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// refParseRequestAPI reads a request's SigV4 authentication, from the
// Authorization header or from the query string of a presigned URL, and
// checks its form as AWS does: both forms at once, a malformed header, a
// credential scope whose date is not the signing date or whose terminator is
// not aws4_request, a host header or an x-amz-* header left unsigned. It
// does not check the signature or the time; refVerifyAPI does.
func refParseRequestAPI(r *http.Request) (*SignedRequest, error) {
	sr, e := refParseRequest(r)
	if e != nil {
		return nil, fmt.Errorf("creds: parse SigV4 request: %w", e)
	}
	return sr, nil
}

func refParseRequest(r *http.Request) (*SignedRequest, *Error) {
	if r == nil {
		return nil, missingAuthentication()
	}
	_, rawQuery := refRequestTarget(r)
	query := refQueryValues(rawQuery)
	auth := strings.TrimSpace(r.Header.Get("Authorization"))
	_, presigned := query["X-Amz-Algorithm"]
	switch {
	case auth != "" && presigned:
		return nil, mismatch(msgBothForms)
	case presigned:
		return refParsePresigned(r, query)
	case auth != "":
		return refParseAuthorization(r, auth, query)
	default:
		return nil, missingAuthentication()
	}
}

// refParseAuthorization reads the header form.
func refParseAuthorization(r *http.Request, auth string, query url.Values) (*SignedRequest, *Error) {
	alg, rest, _ := strings.Cut(auth, " ")
	if !strings.HasPrefix(alg, "AWS4-") {
		return nil, missingAuthentication()
	}
	params := map[string]string{}
	for _, tok := range strings.FieldsFunc(rest, func(c rune) bool { return c == ',' || c == ' ' || c == '\t' }) {
		k, v, ok := strings.Cut(tok, "=")
		if !ok {
			return nil, incomplete("'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'.", tok, auth)
		}
		params[k] = v
	}
	var missing []string
	for _, p := range []string{"Credential", "Signature", "SignedHeaders"} {
		if params[p] == "" {
			missing = append(missing, "Authorization header requires '"+p+"' parameter.")
		}
	}
	dateText, fromDateHeader := r.Header.Get("X-Amz-Date"), false
	if dateText == "" {
		dateText, fromDateHeader = r.Header.Get("Date"), true
	}
	if dateText == "" {
		missing = append(missing, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if len(missing) > 0 {
		return nil, incomplete("%s Authorization=%s", strings.Join(missing, " "), auth)
	}
	date, e := refParseDate(dateText, fromDateHeader)
	if e != nil {
		return nil, e
	}
	sr, e := refNewSignedRequest(r, alg, params["Credential"], date, strings.Split(params["SignedHeaders"], ";"))
	if e != nil {
		return nil, e
	}
	sr.Signature = params["Signature"]
	sr.SecurityToken = r.Header.Get("X-Amz-Security-Token")
	if sr.SecurityToken == "" {
		sr.SecurityToken = query.Get("X-Amz-Security-Token")
	}
	return sr, nil
}

// refParsePresigned reads the query-string form.
func refParsePresigned(r *http.Request, query url.Values) (*SignedRequest, *Error) {
	if query.Get("X-Amz-Algorithm") != algorithm {
		return nil, missingAuthentication()
	}
	var missing []string
	for _, p := range []string{"X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"} {
		if query.Get(p) == "" {
			missing = append(missing, "AWS query-string parameters must include '"+p+"'.")
		}
	}
	if len(missing) > 0 {
		return nil, incomplete("%s Re-examine the query-string parameters.", strings.Join(missing, " "))
	}
	date, e := refParseDate(query.Get("X-Amz-Date"), false)
	if e != nil {
		return nil, e
	}
	var expires time.Duration
	if vs, ok := query["X-Amz-Expires"]; ok {
		n, err := strconv.ParseInt(vs[0], 10, 64)
		switch {
		case err != nil:
			return nil, incomplete(msgExpiresNotNumber)
		case n < 0:
			return nil, incomplete(msgExpiresNegative)
		case n == 0:
			return nil, mismatch(msgRequestExpired)
		case n > int64(MaxPresignExpires/time.Second):
			return nil, incomplete(msgExpiresTooLarge)
		}
		expires = time.Duration(n) * time.Second
	}
	sr, e := refNewSignedRequest(r, algorithm, query.Get("X-Amz-Credential"), date, strings.Split(query.Get("X-Amz-SignedHeaders"), ";"))
	if e != nil {
		return nil, e
	}
	sr.Presigned = true
	sr.Expires = expires
	sr.Signature = query.Get("X-Amz-Signature")
	sr.SecurityToken = query.Get("X-Amz-Security-Token")
	if sr.SecurityToken == "" {
		sr.SecurityToken = r.Header.Get("X-Amz-Security-Token")
	}
	return sr, nil
}

// refNewSignedRequest checks what both forms share, in AWS's order: host is
// signed, the algorithm is AWS4-HMAC-SHA256, the credential scope is well
// formed and dated the signing day, and no x-amz-* header is left unsigned.
func refNewSignedRequest(r *http.Request, alg, credential string, date time.Time, signed []string) (*SignedRequest, *Error) {
	hostSigned := false
	for _, h := range signed {
		if strings.EqualFold(h, "host") {
			hostSigned = true
		}
	}
	if !hostSigned {
		return nil, mismatch(msgHostNotSigned)
	}
	if alg != algorithm {
		return nil, incomplete("Unsupported AWS 'algorithm': '%s'.", alg)
	}
	parts := strings.Split(strings.TrimRight(credential, "/"), "/")
	if len(parts) != 5 {
		return nil, incomplete("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", credential)
	}
	var scope []string
	if parts[2] == "" {
		scope = append(scope, "Credential should be scoped to a valid region, not ''.")
	}
	if parts[3] == "" {
		scope = append(scope, "Credential should be scoped to correct service: ''.")
	}
	if parts[4] != terminator {
		scope = append(scope, fmt.Sprintf("Credential should be scoped with a valid terminator: '%s', not '%s'.", terminator, parts[4]))
	}
	if day := date.Format(scopeDateLayout); parts[1] != day {
		scope = append(scope, fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", parts[1], day, date.Format(iso8601Basic)))
	}
	if len(scope) > 0 {
		return nil, mismatch(strings.Join(scope, " "))
	}
	if unsigned := refUnsignedAmzHeaders(r.Header, signed); len(unsigned) > 0 {
		return nil, mismatch("There were headers present in the request which were not signed: " + strings.Join(unsigned, ", "))
	}
	return &SignedRequest{
		AccessKeyID:   parts[0],
		Region:        parts[2],
		Service:       parts[3],
		SignedHeaders: signed,
		Date:          date,
	}, nil
}

// refParseDate reads X-Amz-Date (ISO 8601 basic format) or, from the Date
// header, also an HTTP date.
func refParseDate(s string, httpDateAllowed bool) (time.Time, *Error) {
	if t, err := time.Parse(iso8601Basic, s); err == nil {
		return t.UTC(), nil
	}
	if httpDateAllowed {
		if t, err := http.ParseTime(s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, incomplete("Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", s)
}

// refUnsignedAmzHeaders lists, lower-cased and sorted, the x-amz-* headers of
// the request that are not among the signed ones.
func refUnsignedAmzHeaders(h http.Header, signed []string) []string {
	var out []string
	for k := range h {
		lk := strings.ToLower(k)
		if !strings.HasPrefix(lk, "x-amz-") {
			continue
		}
		found := false
		for _, s := range signed {
			if strings.EqualFold(s, lk) {
				found = true
				break
			}
		}
		if !found {
			out = append(out, lk)
		}
	}
	sort.Strings(out)
	return out
}

// refVerifyAPI checks the signature of a request parsed by refParseRequestAPI against
// the secret access key of sr.AccessKeyID, and the signing time against now:
// any request is refused when signed more than MaxClockSkew before or after
// now (AWS's STS holds presigned URLs to this too, whatever their
// X-Amz-Expires), a presigned one also after its X-Amz-Expires. It does not
// look at the access key ID or the session token: the caller, which found
// the secret, does. body is the full request body. The
// canonical request is rebuilt from the request as received: the path as
// sent, URI-encoded once more (AWS's rule for every service but S3), also
// tried with its dot segments and repeated slashes removed; the query
// string decoded, re-encoded and sorted; the signed headers lower-cased
// with their values trimmed and inner spaces collapsed; and the SHA-256 of
// body as the payload hash. UNSIGNED-PAYLOAD is accepted only for a
// presigned request without a body, so a body is never left unsigned.
func refVerifyAPI(r *http.Request, body []byte, sr *SignedRequest, secret string, now time.Time) error {
	if e := refVerify(r, body, sr, secret, now); e != nil {
		return fmt.Errorf("creds: verify SigV4 signature: %w", e)
	}
	return nil
}

func refVerify(r *http.Request, body []byte, sr *SignedRequest, secret string, now time.Time) *Error {
	if r == nil || sr == nil || sr.Date.IsZero() {
		return mismatch(msgSignatureDoesNotMatch)
	}
	if e := refCheckTime(sr, now.UTC()); e != nil {
		return e
	}
	want, err := hex.DecodeString(sr.Signature)
	if err != nil || len(want) != sha256.Size {
		return mismatch(msgSignatureDoesNotMatch)
	}
	creqs, ok := refCanonicalRequests(r, body, sr)
	if !ok {
		return mismatch(msgSignatureDoesNotMatch)
	}
	key := refSigningKey(secret, sr.Date, sr.Region, sr.Service)
	scope := refCredentialScope(sr)
	for _, creq := range creqs {
		if hmac.Equal(refHmacSHA256(key, refStringToSign(sr.Date, scope, creq)), want) {
			return nil
		}
	}
	return mismatch(msgSignatureDoesNotMatch)
}

// refCheckTime refuses a signing time outside the skew window, with AWS's
// texts, and an expired presigned request.
func refCheckTime(sr *SignedRequest, now time.Time) *Error {
	if early := now.Add(-MaxClockSkew); sr.Date.Before(early) {
		return mismatch(fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 15 min.)",
			sr.Date.Format(iso8601Basic), early.Format(iso8601Basic), now.Format(iso8601Basic)))
	}
	if late := now.Add(MaxClockSkew); sr.Date.After(late) {
		return mismatch(fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 15 min.)",
			sr.Date.Format(iso8601Basic), late.Format(iso8601Basic), now.Format(iso8601Basic)))
	}
	if sr.Presigned && sr.Expires > 0 && now.After(sr.Date.Add(sr.Expires)) {
		return mismatch(msgRequestExpired)
	}
	return nil
}

// refCanonicalRequests returns the canonical requests the client may have
// signed: one per path form and payload hash AWS accepts. ok is false when
// the query string cannot be decoded.
func refCanonicalRequests(r *http.Request, body []byte, sr *SignedRequest) (creqs []string, ok bool) {
	path, rawQuery := refRequestTarget(r)
	query, ok := refCanonicalQuery(rawQuery, sr.Presigned)
	if !ok {
		return nil, false
	}
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	headers := refCanonicalHeaders(r, sr.SignedHeaders)
	signed := strings.Join(sr.SignedHeaders, ";")
	for _, uri := range refCanonicalURIs(path) {
		for _, payload := range refPayloadHashes(body, sr.Presigned) {
			creqs = append(creqs, method+"\n"+uri+"\n"+query+"\n"+headers+"\n"+signed+"\n"+payload)
		}
	}
	return creqs, true
}

// refRequestTarget returns the path and query string as they came over the
// wire: from RequestURI on a server, else from the URL as the Go client
// (and the SDK signer) would send it.
func refRequestTarget(r *http.Request) (path, rawQuery string) {
	if strings.HasPrefix(r.RequestURI, "/") {
		path, rawQuery, _ = strings.Cut(r.RequestURI, "?")
		return path, rawQuery
	}
	if r.URL == nil {
		return "/", ""
	}
	if op := r.URL.Opaque; op != "" {
		op, _, _ = strings.Cut(op, "?")
		op = strings.TrimPrefix(op, "//")
		if i := strings.IndexByte(op, '/'); i >= 0 {
			return op[i:], r.URL.RawQuery
		}
		return "/", r.URL.RawQuery
	}
	return r.URL.EscapedPath(), r.URL.RawQuery
}

// refCanonicalURIs returns the path URI-encoded (the client encoded it once to
// send it, and encodes it again to sign it), and the same for the path
// without dot segments and repeated slashes when that differs.
func refCanonicalURIs(path string) []string {
	if path == "" {
		path = "/"
	}
	asSent := refUriEncode(path, true)
	normalized := refUriEncode(refNormalizePath(path), true)
	if normalized == asSent {
		return []string{asSent}
	}
	return []string{asSent, normalized}
}

// refNormalizePath removes "." and ".." segments (RFC 3986, 5.2.4) and empty
// segments, keeping a leading and a trailing slash.
func refNormalizePath(p string) string {
	var out []string
	for _, seg := range strings.Split(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	s := "/" + strings.Join(out, "/")
	if strings.HasSuffix(p, "/") && len(out) > 0 {
		s += "/"
	}
	return s
}

// refCanonicalQuery decodes each name and value of the raw query string
// ('+' is a space), URI-encodes it, and sorts the pairs by encoded name,
// then value. A presigned request's X-Amz-Signature is left out.
func refCanonicalQuery(rawQuery string, presigned bool) (string, bool) {
	type pair struct{ k, v string }
	var pairs []pair
	for _, seg := range strings.Split(rawQuery, "&") {
		if seg == "" {
			continue
		}
		k, v, _ := strings.Cut(seg, "=")
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return "", false
		}
		if presigned && dk == "X-Amz-Signature" {
			continue
		}
		pairs = append(pairs, pair{refUriEncode(dk, false), refUriEncode(dv, false)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String(), true
}

// refQueryValues decodes the raw query string leniently, skipping pairs that
// do not decode, to find the authentication parameters.
func refQueryValues(rawQuery string) url.Values {
	v := url.Values{}
	for _, seg := range strings.Split(rawQuery, "&") {
		k, val, _ := strings.Cut(seg, "=")
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(val)
		if seg == "" || err1 != nil || err2 != nil {
			continue
		}
		v[dk] = append(v[dk], dv)
	}
	return v
}

// refCanonicalHeaders returns "name:value\n" for every signed header, in the
// order the client listed them, with multiple values joined by commas.
func refCanonicalHeaders(r *http.Request, names []string) string {
	var b strings.Builder
	for _, name := range names {
		b.WriteString(name)
		b.WriteByte(':')
		for i, v := range refHeaderValues(r, strings.ToLower(name)) {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(refCanonicalValue(v))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// refHeaderValues returns a header's values as the client sent them, looking
// where net/http keeps the ones it takes out of Header.
func refHeaderValues(r *http.Request, lower string) []string {
	switch lower {
	case "host":
		if r.Host != "" {
			return []string{r.Host}
		}
		if r.URL != nil {
			return []string{r.URL.Host}
		}
		return nil
	case "content-length":
		if vs := r.Header.Values("Content-Length"); len(vs) > 0 {
			return vs
		}
		if r.ContentLength > 0 {
			return []string{strconv.FormatInt(r.ContentLength, 10)}
		}
		return nil
	case "transfer-encoding":
		if vs := r.Header.Values("Transfer-Encoding"); len(vs) > 0 {
			return vs
		}
		if len(r.TransferEncoding) > 0 {
			return []string{strings.Join(r.TransferEncoding, ",")}
		}
		return nil
	}
	ck := textproto.CanonicalMIMEHeaderKey(lower)
	vs := append([]string(nil), r.Header[ck]...)
	var others []string
	for k := range r.Header {
		if k != ck && strings.EqualFold(k, lower) {
			others = append(others, k)
		}
	}
	sort.Strings(others)
	for _, k := range others {
		vs = append(vs, r.Header[k]...)
	}
	return vs
}

// refCanonicalValue trims a header value and collapses runs of spaces.
func refCanonicalValue(v string) string {
	if strings.Contains(v, "  ") {
		var b strings.Builder
		space := false
		for i := 0; i < len(v); i++ {
			if v[i] == ' ' {
				if space {
					continue
				}
				space = true
			} else {
				space = false
			}
			b.WriteByte(v[i])
		}
		v = b.String()
	}
	return strings.TrimSpace(v)
}

// refPayloadHashes returns the payload hashes a client may have signed: the
// body's SHA-256, and UNSIGNED-PAYLOAD for a presigned request without a
// body.
func refPayloadHashes(body []byte, presigned bool) []string {
	sum := sha256.Sum256(body)
	h := hex.EncodeToString(sum[:])
	if presigned && len(body) == 0 {
		return []string{h, unsignedPayload}
	}
	return []string{h}
}

// refUriEncode percent-encodes every byte but the unreserved characters of
// RFC 3986 (and '/', if keepSlash), with upper-case hex digits.
func refUriEncode(s string, keepSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || keepSlash && c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0x0f])
	}
	return b.String()
}

// refCredentialScope returns DATE/REGION/SERVICE/aws4_request.
func refCredentialScope(sr *SignedRequest) string {
	return sr.Date.Format(scopeDateLayout) + "/" + sr.Region + "/" + sr.Service + "/" + terminator
}

// refStringToSign returns the string to sign for a canonical request.
func refStringToSign(date time.Time, scope, creq string) []byte {
	sum := sha256.Sum256([]byte(creq))
	return []byte(algorithm + "\n" + date.Format(iso8601Basic) + "\n" + scope + "\n" + hex.EncodeToString(sum[:]))
}

// refSigningKey derives the SigV4 signing key from the secret access key.
func refSigningKey(secret string, date time.Time, region, service string) []byte {
	day := date.Format(scopeDateLayout)
	cacheKey := secret + "\x00" + day + "\x00" + region + "\x00" + service
	if k, ok := refSigningKeys.get(cacheKey); ok {
		return k
	}
	k := refHmacSHA256([]byte("AWS4"+secret), []byte(day))
	k = refHmacSHA256(k, []byte(region))
	k = refHmacSHA256(k, []byte(service))
	k = refHmacSHA256(k, []byte(terminator))
	refSigningKeys.put(cacheKey, k)
	return k
}

// refSigningKeys caches derived signing keys: a key depends only on (secret,
// day, region, service), so a client signing many requests costs four
// HMACs once a day instead of on every request. The cache is bounded: when
// full it starts over.
var refSigningKeys = &refKeyCache{m: make(map[string][]byte)}

const refKeyCacheMax = 4096

type refKeyCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (c *refKeyCache) get(k string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *refKeyCache) put(k string, v []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= refKeyCacheMax {
		clear(c.m)
	}
	c.m[k] = v
}

func refHmacSHA256(key, data []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(data)
	return m.Sum(nil)
}
