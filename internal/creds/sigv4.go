package creds

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

// Error codes SigV4 verification answers with, as AWS names them.
const (
	CodeMissingAuthenticationToken = "MissingAuthenticationToken"
	CodeIncompleteSignature        = "IncompleteSignature"
	CodeInvalidClientTokenID       = "InvalidClientTokenId"
	CodeSignatureDoesNotMatch      = "SignatureDoesNotMatch"
)

// MaxClockSkew is how far a request's signing time may lie from the
// server's clock, in either direction, as AWS allows.
const MaxClockSkew = 15 * time.Minute

// MaxPresignExpires is the largest X-Amz-Expires AWS accepts: one week.
const MaxPresignExpires = 7 * 24 * time.Hour

const (
	algorithm       = "AWS4-HMAC-SHA256"
	terminator      = "aws4_request"
	iso8601Basic    = "20060102T150405Z"
	scopeDateLayout = "20060102"
	unsignedPayload = "UNSIGNED-PAYLOAD"
)

// AWS's message texts.
const (
	msgMissingAuthenticationToken = "Request is missing Authentication Token"
	msgInvalidClientTokenID       = "The security token included in the request is invalid"
	msgSignatureDoesNotMatch      = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgBothForms                  = "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
	msgHostNotSigned              = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
	msgRequestExpired             = "Request has expired"
	msgExpiresNotNumber           = "X-Amz-Expires should be a number"
	msgExpiresNegative            = "X-Amz-Expires must be non-negative"
	msgExpiresTooLarge            = "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds"
)

// Error is why a request's signature was refused: AWS's error code, its
// message text and the HTTP status AWS answers with. It never carries a
// secret.
type Error struct {
	Code    string // one of the Code… constants
	Message string // AWS's message text, suitable for the wire
	Status  int    // HTTP status code
}

// Error returns the code and the message.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// InvalidClientTokenID returns the error AWS answers when the access key ID
// in a request is unknown, or a temporary key comes without its session
// token.
func InvalidClientTokenID() *Error {
	return &Error{Code: CodeInvalidClientTokenID, Message: msgInvalidClientTokenID, Status: http.StatusForbidden}
}

func missingAuthentication() *Error {
	return &Error{Code: CodeMissingAuthenticationToken, Message: msgMissingAuthenticationToken, Status: http.StatusForbidden}
}

func incomplete(format string, args ...any) *Error {
	return &Error{Code: CodeIncompleteSignature, Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

func mismatch(msg string) *Error {
	return &Error{Code: CodeSignatureDoesNotMatch, Message: msg, Status: http.StatusForbidden}
}

// SignedRequest is what a request says about its own signature: who signed
// it, for which scope, when, and which headers.
type SignedRequest struct {
	AccessKeyID   string        // the access key ID from the credential scope
	Region        string        // the region from the credential scope
	Service       string        // the signing name from the credential scope (iam, sts, eks, eks-auth, s3, …)
	Signature     string        // the hex signature the client sent
	SecurityToken string        // X-Amz-Security-Token, empty for long-term keys
	SignedHeaders []string      // header names, as listed by the client
	Date          time.Time     // the signing time, UTC
	Presigned     bool          // the query-string (presigned URL) form
	Expires       time.Duration // X-Amz-Expires of a presigned request; 0 when absent
}

// ParseRequest reads a request's SigV4 authentication, from the
// Authorization header or from the query string of a presigned URL, and
// checks its form as AWS does: both forms at once, a malformed header, a
// credential scope whose date is not the signing date or whose terminator is
// not aws4_request, a host header or an x-amz-* header left unsigned. It
// does not check the signature or the time; Verify does.
func ParseRequest(r *http.Request) (*SignedRequest, error) {
	sr, e := parseRequest(r)
	if e != nil {
		return nil, fmt.Errorf("creds: parse SigV4 request: %w", e)
	}
	return sr, nil
}

func parseRequest(r *http.Request) (*SignedRequest, *Error) {
	if r == nil {
		return nil, missingAuthentication()
	}
	_, rawQuery := requestTarget(r)
	query := queryValues(rawQuery)
	auth := strings.TrimSpace(r.Header.Get("Authorization"))
	_, presigned := query["X-Amz-Algorithm"]
	switch {
	case auth != "" && presigned:
		return nil, mismatch(msgBothForms)
	case presigned:
		return parsePresigned(r, query)
	case auth != "":
		return parseAuthorization(r, auth, query)
	default:
		return nil, missingAuthentication()
	}
}

// isAuthSeparator reports whether c separates the parameters of an
// Authorization header.
func isAuthSeparator(c byte) bool { return c == ',' || c == ' ' || c == '\t' }

// parseAuthorization reads the header form.
func parseAuthorization(r *http.Request, auth string, query url.Values) (*SignedRequest, *Error) {
	alg, rest, _ := strings.Cut(auth, " ")
	if !strings.HasPrefix(alg, "AWS4-") {
		return nil, missingAuthentication()
	}
	// The key=value tokens between separators; a later key wins.
	var credential, signature, signedHeaders string
	for {
		i := 0
		for i < len(rest) && isAuthSeparator(rest[i]) {
			i++
		}
		rest = rest[i:]
		if rest == "" {
			break
		}
		j := 0
		for j < len(rest) && !isAuthSeparator(rest[j]) {
			j++
		}
		tok := rest[:j]
		rest = rest[j:]
		k, v, ok := strings.Cut(tok, "=")
		if !ok {
			return nil, incomplete("'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'.", tok, auth)
		}
		switch k {
		case "Credential":
			credential = v
		case "Signature":
			signature = v
		case "SignedHeaders":
			signedHeaders = v
		}
	}
	var missing []string
	for _, p := range [...]struct{ name, value string }{{"Credential", credential}, {"Signature", signature}, {"SignedHeaders", signedHeaders}} {
		if p.value == "" {
			missing = append(missing, "Authorization header requires '"+p.name+"' parameter.")
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
	date, e := parseDate(dateText, fromDateHeader)
	if e != nil {
		return nil, e
	}
	sr, e := newSignedRequest(r, alg, credential, date, strings.Split(signedHeaders, ";"))
	if e != nil {
		return nil, e
	}
	sr.Signature = signature
	sr.SecurityToken = r.Header.Get("X-Amz-Security-Token")
	if sr.SecurityToken == "" {
		sr.SecurityToken = query.Get("X-Amz-Security-Token")
	}
	return sr, nil
}

// parsePresigned reads the query-string form.
func parsePresigned(r *http.Request, query url.Values) (*SignedRequest, *Error) {
	if query.Get("X-Amz-Algorithm") != algorithm {
		return nil, missingAuthentication()
	}
	// Each authentication parameter once: with two X-Amz-Signature values,
	// one would be checked and the other ignored (and left out of the
	// canonical query), so a URL could carry a value nobody verified.
	for _, p := range PresignParams {
		if len(query[p]) > 1 {
			return nil, incomplete("AWS query-string parameters must include '%s' only once. Re-examine the query-string parameters.", p)
		}
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
	date, e := parseDate(query.Get("X-Amz-Date"), false)
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
	sr, e := newSignedRequest(r, algorithm, query.Get("X-Amz-Credential"), date, strings.Split(query.Get("X-Amz-SignedHeaders"), ";"))
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

// PresignParams are the query-string parameters of a presigned request's
// authentication (which a request forwarded elsewhere must not carry).
var PresignParams = [...]string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date", "X-Amz-Expires", "X-Amz-Security-Token"}

// newSignedRequest checks what both forms share, in AWS's order: host is
// signed, the algorithm is AWS4-HMAC-SHA256, the credential scope is well
// formed and dated the signing day, and no x-amz-* header is left unsigned.
func newSignedRequest(r *http.Request, alg, credential string, date time.Time, signed []string) (*SignedRequest, *Error) {
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
	rest := strings.TrimRight(credential, "/")
	if strings.Count(rest, "/") != 4 {
		return nil, incomplete("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", credential)
	}
	var parts [5]string
	for i := range 4 {
		parts[i], rest, _ = strings.Cut(rest, "/")
	}
	parts[4] = rest
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
	var dayBuf [len(scopeDateLayout)]byte
	if day := date.AppendFormat(dayBuf[:0], scopeDateLayout); parts[1] != string(day) {
		scope = append(scope, fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", parts[1], string(day), date.Format(iso8601Basic)))
	}
	if len(scope) > 0 {
		return nil, mismatch(strings.Join(scope, " "))
	}
	if unsigned := unsignedAmzHeaders(r.Header, signed); len(unsigned) > 0 {
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

// parseDate reads X-Amz-Date (ISO 8601 basic format) or, from the Date
// header, also an HTTP date.
func parseDate(s string, httpDateAllowed bool) (time.Time, *Error) {
	if t, ok := parseBasicDate(s); ok {
		return t, nil
	}
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

// parseBasicDate reads the form every client sends, 20240501T120000Z,
// faster than time.Parse. Anything else, including what time.Parse would
// also accept, such as a fractional second, is left to time.Parse: ok is
// false.
func parseBasicDate(s string) (t time.Time, ok bool) {
	if len(s) != len("20060102T150405Z") || s[8] != 'T' || s[15] != 'Z' {
		return time.Time{}, false
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day := num(0, 4), num(4, 2), num(6, 2)
	hour, minute, sec := num(9, 2), num(11, 2), num(13, 2)
	if year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	// The last day of the month: day 0 of the next one.
	if day > time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC), true
}

// hasPrefixFoldASCII reports whether s starts with prefix, an ASCII
// lower-case string, ignoring the ASCII case of s.
func hasPrefixFoldASCII(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

// isASCII reports whether s is all ASCII.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// unsignedAmzHeaders lists, lower-cased and sorted, the x-amz-* headers of
// the request that are not among the signed ones.
func unsignedAmzHeaders(h http.Header, signed []string) []string {
	var out []string
	for k := range h {
		lk := k
		if !isASCII(k) {
			// Unicode lower-casing may turn a letter into ASCII (K, the
			// Kelvin sign, into k); ASCII case does not matter to the
			// comparisons below.
			lk = strings.ToLower(k)
		}
		if !hasPrefixFoldASCII(lk, "x-amz-") {
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
			if lk == k {
				lk = strings.ToLower(k)
			}
			out = append(out, lk)
		}
	}
	sort.Strings(out)
	return out
}

// Verify checks the signature of a request parsed by ParseRequest against
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
//
// A request signed for S3 (UsesS3Rules) follows S3's rules instead, as
// VerifyStreaming describes, with S3's error codes: body, the full body as
// sent, is then checked against X-Amz-Content-Sha256 (a hex hash, or an
// aws-chunked body's chunk signatures, length and trailer).
func Verify(r *http.Request, body []byte, sr *SignedRequest, secret string, now time.Time) error {
	if e := verify(r, body, sr, secret, now); e != nil {
		return fmt.Errorf("creds: verify SigV4 signature: %w", e)
	}
	return nil
}

func verify(r *http.Request, body []byte, sr *SignedRequest, secret string, now time.Time) *Error {
	if r == nil || sr == nil || sr.Date.IsZero() {
		return mismatch(msgSignatureDoesNotMatch)
	}
	if UsesS3Rules(sr.Service) {
		return verifyS3Body(r, body, sr, secret, now)
	}
	if e := checkTime(sr, now.UTC()); e != nil {
		return e
	}
	var want [sha256.Size]byte
	if !decodeSignature(&want, sr.Signature) {
		return mismatch(msgSignatureDoesNotMatch)
	}
	b := getBuffer()
	defer putBuffer(b)
	var key [sha256.Size]byte
	keyed := false
	var stsBuf [256]byte
	matched, ok := eachCanonicalRequest(b, r, body, sr, func(creq []byte) bool {
		if !keyed {
			key, keyed = signingKey(secret, sr.Date, sr.Region, sr.Service), true
		}
		sts := appendStringToSign(stsBuf[:0], sr, sha256.Sum256(creq))
		mac := hmacSHA256(key[:], sts)
		return hmac.Equal(mac[:], want[:])
	})
	if !ok || !matched {
		return mismatch(msgSignatureDoesNotMatch)
	}
	return nil
}

// decodeSignature decodes s, a signature of 64 hex digits, into sig. It
// reports false for anything else, as hex.DecodeString would fail or give
// another length.
func decodeSignature(sig *[sha256.Size]byte, s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := range sig {
		hi, ok1 := fromHex(s[2*i])
		lo, ok2 := fromHex(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		sig[i] = hi<<4 | lo
	}
	return true
}

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// CheckTime refuses a request signed outside the clock-skew window around
// now, and a presigned one past its X-Amz-Expires, with AWS's texts. Verify
// checks it too; the server calls it alone first, to refuse a stale request
// before reading its body. For a request signed for S3 (UsesS3Rules) the
// rules and codes are S3's: RequestTimeTooSkewed for a header-signed
// request more than MaxClockSkew away, and a presigned URL valid until its
// X-Amz-Date plus X-Amz-Expires (AccessDenied after).
func CheckTime(sr *SignedRequest, now time.Time) error {
	if sr == nil || sr.Date.IsZero() {
		return fmt.Errorf("creds: check signing time: %w", mismatch(msgSignatureDoesNotMatch))
	}
	if e := checkTime(sr, now.UTC()); e != nil {
		return fmt.Errorf("creds: check signing time: %w", e)
	}
	return nil
}

// checkTime refuses a signing time outside the skew window, with AWS's
// texts, and an expired presigned request.
func checkTime(sr *SignedRequest, now time.Time) *Error {
	if UsesS3Rules(sr.Service) {
		return checkTimeS3(sr, now)
	}
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

// buffers hold the canonical requests Verify builds, so that they are not
// allocated per request.
var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// maxPooledBuffer bounds the buffers kept for reuse: one grown by a huge
// request is dropped.
const maxPooledBuffer = 64 << 10

func getBuffer() *[]byte { return buffers.Get().(*[]byte) }

func putBuffer(b *[]byte) {
	if cap(*b) > maxPooledBuffer {
		return
	}
	*b = (*b)[:0]
	buffers.Put(b)
}

// eachCanonicalRequest builds, in *buf, each canonical request the client
// may have signed, one per path form and payload hash AWS accepts, and
// calls try with it until try reports true. It reports whether one did,
// and ok false when the query string cannot be decoded.
func eachCanonicalRequest(buf *[]byte, r *http.Request, body []byte, sr *SignedRequest, try func(creq []byte) bool) (matched, ok bool) {
	path, rawQuery := requestTarget(r)
	// What follows the path is the same in each: build it once, first in
	// the buffer, and the canonical requests after it.
	b := append((*buf)[:0], '\n')
	if b, ok = appendCanonicalQuery(b, rawQuery, sr.Presigned); !ok {
		*buf = b
		return false, false
	}
	b = appendHeaderBlock(b, r, sr)
	tail := len(b)

	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	if path == "" {
		path = "/"
	}
	paths := [2]string{path}
	npaths := 1
	// A path without repeated slashes or dot segments is its own
	// normalized form (and URI encoding is one-to-one).
	if !strings.HasPrefix(path, "/") || strings.Contains(path, "//") || strings.Contains(path, "/.") {
		if normalized := normalizePath(path); normalized != path {
			paths[1], npaths = normalized, 2
		}
	}
	sum := sha256.Sum256(body)
	var hexSum [2 * sha256.Size]byte
	hex.Encode(hexSum[:], sum[:])
	npayloads := 1
	if sr.Presigned && len(body) == 0 {
		npayloads = 2 // and UNSIGNED-PAYLOAD
	}
	defer func() { *buf = b }()
	for _, p := range paths[:npaths] {
		for i := range npayloads {
			c := append(b[:tail], method...)
			c = append(c, '\n')
			c = appendURIEncode(c, p, true)
			c = append(c, c[:tail]...)
			if i == 0 {
				c = append(c, hexSum[:]...)
			} else {
				c = append(c, unsignedPayload...)
			}
			b = c
			if try(c[tail:]) {
				return true, true
			}
		}
	}
	return false, true
}

// canonicalRequests returns the canonical requests the client may have
// signed: one per path form and payload hash AWS accepts. ok is false when
// the query string cannot be decoded.
func canonicalRequests(r *http.Request, body []byte, sr *SignedRequest) (creqs []string, ok bool) {
	var buf []byte
	_, ok = eachCanonicalRequest(&buf, r, body, sr, func(creq []byte) bool {
		creqs = append(creqs, string(creq))
		return false
	})
	if !ok {
		return nil, false
	}
	return creqs, true
}

// requestTarget returns the path and query string as they came over the
// wire: from RequestURI on a server, else from the URL as the Go client
// (and the SDK signer) would send it.
func requestTarget(r *http.Request) (path, rawQuery string) {
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

// normalizePath removes "." and ".." segments (RFC 3986, 5.2.4) and empty
// segments, keeping a leading and a trailing slash.
func normalizePath(p string) string {
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

// appendCanonicalQuery appends the raw query string with each name and
// value decoded ('+' is a space) and URI-encoded, the pairs sorted by
// encoded name, then value. A presigned request's X-Amz-Signature is left
// out. ok is false when a name or value does not decode.
func appendCanonicalQuery(b []byte, rawQuery string, presigned bool) ([]byte, bool) {
	if rawQuery == "" {
		return b, true
	}
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
			return b, false
		}
		if presigned && dk == "X-Amz-Signature" {
			continue
		}
		pairs = append(pairs, pair{uriEncode(dk, false), uriEncode(dv, false)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	for i, p := range pairs {
		if i > 0 {
			b = append(b, '&')
		}
		b = append(b, p.k...)
		b = append(b, '=')
		b = append(b, p.v...)
	}
	return b, true
}

// queryValues decodes the raw query string leniently, skipping pairs that
// do not decode, to find the authentication parameters. An empty query
// string gives nil, which reads as empty.
func queryValues(rawQuery string) url.Values {
	if rawQuery == "" {
		return nil
	}
	v := url.Values{}
	for rest := rawQuery; ; {
		seg, tail, more := strings.Cut(rest, "&")
		k, val, _ := strings.Cut(seg, "=")
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(val)
		if seg != "" && err1 == nil && err2 == nil {
			v[dk] = append(v[dk], dv)
		}
		if !more {
			return v
		}
		rest = tail
	}
}

// appendCanonicalHeaders appends "name:value\n" for every signed header,
// in the order the client listed them, with multiple values joined by
// commas.
func appendCanonicalHeaders(b []byte, r *http.Request, names []string) []byte {
	plain := canonicalKeys(r.Header)
	for _, name := range names {
		b = append(b, name...)
		b = append(b, ':')
		b = appendHeaderValues(b, r, strings.ToLower(name), plain)
		b = append(b, '\n')
	}
	return b
}

// tokenBytes marks the bytes that may appear in a header name (RFC 7230
// token characters), as net/textproto judges them.
var tokenBytes = func() (t [256]bool) {
	for _, c := range []byte("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") {
		t[c] = true
	}
	return t
}()

// isTokenByte reports whether c may appear in a header name.
func isTokenByte(c byte) bool { return tokenBytes[c] }

// canonicalKeys reports whether every key of h is a header name in
// canonical form (Content-Type), as the server and Header.Set make them.
// Then a header name matches no key but its canonical form, and no other
// key need be looked at.
func canonicalKeys(h http.Header) bool {
	for k := range h {
		upper := true
		for i := 0; i < len(k); i++ {
			c := k[i]
			if !isTokenByte(c) || upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
				return false
			}
			upper = c == '-'
		}
	}
	return true
}

// appendHeaderValues appends the canonical values, joined by commas, of
// the header lower, as the client sent them, looking where net/http keeps
// the ones it takes out of Header. plain is canonicalKeys(r.Header).
func appendHeaderValues(b []byte, r *http.Request, lower string, plain bool) []byte {
	switch lower {
	case "host":
		if r.Host != "" {
			return appendCanonicalValue(b, r.Host)
		}
		if r.URL != nil {
			return appendCanonicalValue(b, r.URL.Host)
		}
		return b
	case "content-length":
		if vs := r.Header.Values("Content-Length"); len(vs) > 0 {
			return appendCanonicalValues(b, vs)
		}
		if r.ContentLength > 0 {
			return strconv.AppendInt(b, r.ContentLength, 10)
		}
		return b
	case "transfer-encoding":
		if vs := r.Header.Values("Transfer-Encoding"); len(vs) > 0 {
			return appendCanonicalValues(b, vs)
		}
		if len(r.TransferEncoding) > 0 {
			return appendCanonicalValue(b, strings.Join(r.TransferEncoding, ","))
		}
		return b
	}
	var keyBuf [128]byte
	if plain && len(lower) <= len(keyBuf) {
		// Build the canonical key on the stack; every key is canonical, so
		// it is the only one that can match.
		k := keyBuf[:len(lower)]
		upper := true
		for i := 0; i < len(lower); i++ {
			c := lower[i]
			if !isTokenByte(c) {
				k = nil
				break
			}
			if upper && 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			k[i] = c
			upper = c == '-'
		}
		if k != nil {
			return appendCanonicalValues(b, r.Header[string(k)])
		}
	}
	ck := textproto.CanonicalMIMEHeaderKey(lower)
	b = appendCanonicalValues(b, r.Header[ck])
	var others []string
	for k := range r.Header {
		if k != ck && strings.EqualFold(k, lower) {
			others = append(others, k)
		}
	}
	sort.Strings(others)
	n := len(r.Header[ck])
	for _, k := range others {
		for _, v := range r.Header[k] {
			if n > 0 {
				b = append(b, ',')
			}
			b = appendCanonicalValue(b, v)
			n++
		}
	}
	return b
}

// appendCanonicalValues appends the canonical values of vs, joined by
// commas.
func appendCanonicalValues(b []byte, vs []string) []byte {
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCanonicalValue(b, v)
	}
	return b
}

// appendCanonicalValue appends v trimmed, with runs of spaces collapsed.
func appendCanonicalValue(b []byte, v string) []byte {
	if strings.Contains(v, "  ") {
		return append(b, canonicalValue(v)...)
	}
	return append(b, strings.TrimSpace(v)...)
}

// canonicalValue trims a header value and collapses runs of spaces.
func canonicalValue(v string) string {
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

// isUnreserved reports whether c is an unreserved character of RFC 3986,
// which URI encoding leaves as it is.
func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// appendURIEncode appends s with every byte but the unreserved characters
// of RFC 3986 (and '/', if keepSlash) percent-encoded, with upper-case hex
// digits.
func appendURIEncode(b []byte, s string, keepSlash bool) []byte {
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) || keepSlash && c == '/' {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hexDigits[c>>4], hexDigits[c&0x0f])
	}
	return b
}

// uriEncode returns s URI-encoded as appendURIEncode does.
func uriEncode(s string, keepSlash bool) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isUnreserved(c) && !(keepSlash && c == '/') {
			return string(appendURIEncode(make([]byte, 0, len(s)+16), s, keepSlash))
		}
	}
	return s
}

// appendCredentialScope appends DATE/REGION/SERVICE/aws4_request.
func appendCredentialScope(b []byte, sr *SignedRequest) []byte {
	b = sr.Date.AppendFormat(b, scopeDateLayout)
	b = append(b, '/')
	b = append(b, sr.Region...)
	b = append(b, '/')
	b = append(b, sr.Service...)
	b = append(b, '/')
	return append(b, terminator...)
}

// credentialScope returns DATE/REGION/SERVICE/aws4_request.
func credentialScope(sr *SignedRequest) string { return string(appendCredentialScope(nil, sr)) }

// appendStringToSign appends the string to sign of the canonical request
// whose SHA-256 is creqSum.
func appendStringToSign(b []byte, sr *SignedRequest, creqSum [sha256.Size]byte) []byte {
	b = append(b, algorithm+"\n"...)
	b = sr.Date.AppendFormat(b, iso8601Basic)
	b = append(b, '\n')
	b = appendCredentialScope(b, sr)
	b = append(b, '\n')
	return hex.AppendEncode(b, creqSum[:])
}

// stringToSign returns the string to sign for a canonical request.
func stringToSign(date time.Time, scope, creq string) []byte {
	sum := sha256.Sum256([]byte(creq))
	return []byte(algorithm + "\n" + date.Format(iso8601Basic) + "\n" + scope + "\n" + hex.EncodeToString(sum[:]))
}

// signingKeyID is what a signing key is derived from.
type signingKeyID struct {
	secret, region, service string
	day                     int // YYYYMMDD
}

// signingKey derives the SigV4 signing key from the secret access key.
func signingKey(secret string, date time.Time, region, service string) [sha256.Size]byte {
	y, m, d := date.Date()
	id := signingKeyID{secret: secret, region: region, service: service, day: y*10000 + int(m)*100 + d}
	if k, ok := signingKeys.get(id); ok {
		return k
	}
	var buf [64]byte
	day := date.AppendFormat(buf[:0], scopeDateLayout)
	k := hmacSHA256([]byte("AWS4"+secret), day)
	k = hmacSHA256(k[:], []byte(region))
	k = hmacSHA256(k[:], []byte(service))
	k = hmacSHA256(k[:], []byte(terminator))
	// Region and service point into the request: copy them, so that the
	// cache does not keep requests alive.
	id.region, id.service = strings.Clone(region), strings.Clone(service)
	signingKeys.put(id, k)
	return k
}

// signingKeys caches derived signing keys: a key depends only on (secret,
// day, region, service), so a client signing many requests costs four
// HMACs once a day instead of on every request. The cache is bounded: when
// full it starts over.
var signingKeys = &keyCache{m: make(map[signingKeyID][sha256.Size]byte)}

const keyCacheMax = 4096

type keyCache struct {
	mu sync.Mutex
	m  map[signingKeyID][sha256.Size]byte
}

func (c *keyCache) get(id signingKeyID) ([sha256.Size]byte, bool) {
	c.mu.Lock()
	k, ok := c.m[id]
	c.mu.Unlock()
	return k, ok
}

func (c *keyCache) put(id signingKeyID, k [sha256.Size]byte) {
	c.mu.Lock()
	if len(c.m) >= keyCacheMax {
		clear(c.m)
	}
	c.m[id] = k
	c.mu.Unlock()
}

// hmacSHA256 returns the HMAC-SHA256 of data under key (RFC 2104), without
// allocating for data of up to a few hundred bytes.
func hmacSHA256(key, data []byte) [sha256.Size]byte {
	var k [sha256.BlockSize]byte
	if len(key) > sha256.BlockSize {
		sum := sha256.Sum256(key)
		copy(k[:], sum[:])
	} else {
		copy(k[:], key)
	}
	var innerBuf [512]byte
	inner := innerBuf[:sha256.BlockSize]
	for i, c := range k {
		inner[i] = c ^ 0x36
	}
	inner = append(inner, data...)
	innerSum := sha256.Sum256(inner)
	var outer [sha256.BlockSize + sha256.Size]byte
	for i, c := range k {
		outer[i] = c ^ 0x5c
	}
	copy(outer[sha256.BlockSize:], innerSum[:])
	return sha256.Sum256(outer[:])
}

// HTTPStatus, ErrorCode and ErrorMessage give the error's wire form to
// code that writes AWS errors without knowing this package (the resource
// gateway, for a streamed body that fails its check).
func (e *Error) HTTPStatus() int { return e.Status }

// ErrorCode returns AWS's error code.
func (e *Error) ErrorCode() string { return e.Code }

// ErrorMessage returns AWS's message.
func (e *Error) ErrorMessage() string { return e.Message }

// appendHeaderBlock appends the part of a canonical request between the
// query and the payload hash: a newline, the canonical headers, a newline,
// the signed header names joined by ';' and a newline.
func appendHeaderBlock(b []byte, r *http.Request, sr *SignedRequest) []byte {
	b = append(b, '\n')
	b = appendCanonicalHeaders(b, r, sr.SignedHeaders)
	b = append(b, '\n')
	for i, h := range sr.SignedHeaders {
		if i > 0 {
			b = append(b, ';')
		}
		b = append(b, h...)
	}
	return append(b, '\n')
}
