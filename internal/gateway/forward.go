package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/assumed-dev/assumed/internal/backend"
	"github.com/assumed-dev/assumed/internal/creds"
)

// ForwardRequest says how to forward one authorized request.
type ForwardRequest struct {
	// Account is the 12-digit ID of the account that owns the resource:
	// the backend keeps each account's resources apart.
	Account string
	// Region and SigningName are the SigV4 scope to re-sign with: the
	// client's own (the backend routes by the signing name).
	Region      string
	SigningName string
	// Protocol is the service's wire protocol (ProtocolRESTXML, …), for
	// the errors Forward answers itself.
	Protocol string
	// RequestID is assumed's ID of the request, for the errors Forward
	// answers itself.
	RequestID string
	// ContentLength is the length of body, -1 when unknown; for an
	// aws-chunked request, the decoded length.
	ContentLength int64
	// DecodedChunked says body is the decoded payload of an aws-chunked
	// request: "aws-chunked" is dropped from Content-Encoding.
	DecodedChunked bool
	// TrailerHeaders are the trailers the client declared (X-Amz-Trailer),
	// which the body's decoder has verified: they are not forwarded, as
	// headers or trailers (moto computes a checksum itself when
	// x-amz-sdk-checksum-algorithm asks for one).
	TrailerHeaders http.Header
}

// Forwarder sends authorized requests to a backend, re-signed for the
// owning account, and copies the answers back.
type Forwarder struct {
	backend *backend.Backend
	client  *http.Client
	log     *slog.Logger

	// VirtualHosts are host names (without port) that clients reach
	// assumed at, besides localhost and IP literals: a request for
	// BUCKET.HOST is S3's virtual-hosted style, forwarded in path style.
	VirtualHosts []string
}

// backendHeaderTimeout bounds forwarded requests: a body may take as long
// as the client takes to send it; the backend's answer must start within
// backendHeaderTimeout of the body's end. Dialing is bounded by
// backend.DialTimeout.
const backendHeaderTimeout = 2 * time.Minute

// maxHashedBody bounds an in-memory body whose SHA-256 is signed; larger
// bodies, and bodies that stream, are signed as UNSIGNED-PAYLOAD.
const maxHashedBody = 8 << 20

// emptyHash is the SHA-256 of no bytes.
const emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// NewForwarder returns a forwarder to b. It dials with b.DialContext: over
// TCP, or to b's Unix socket.
func NewForwarder(b *backend.Backend, log *slog.Logger) *Forwarder {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	tr := &http.Transport{
		Proxy:                 nil, // the backend is reached directly
		DialContext:           b.DialContext,
		TLSHandshakeTimeout:   backend.DialTimeout,
		ResponseHeaderTimeout: backendHeaderTimeout,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   64,
		// Bodies pass through as the backend encoded them.
		DisableCompression: true,
	}
	return &Forwarder{
		backend: b,
		client: &http.Client{
			Transport: &backendTransport{pooled: tr, dial: b.DialContext, headerTimeout: backendHeaderTimeout},
			// Redirects (S3's 301 and 307) are the client's to follow.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		log: log,
	}
}

// Close closes the idle connections to the backend.
func (f *Forwarder) Close() { f.client.CloseIdleConnections() }

// Forward sends r, with body as its payload, to the backend for
// req.Account, re-signed for req.SigningName and req.Region, and copies the
// answer to w: status, headers (but those revealing the backend's
// credentials or account mapping) and body, streamed both ways.
//
// It always answers w. When the backend can't be reached, or body fails
// midway (a chunk signature or checksum that doesn't verify: body may
// return an *Error to choose the answer), the upstream request is aborted
// before the backend has the whole payload, so it stores nothing, and the
// client gets the error in req.Protocol; Forward then returns the error,
// for the log. A backend's own error answer is copied like any other and
// is no error here.
//
// The backend's request IDs (x-amzn-RequestId, x-amz-request-id,
// x-amz-id-2) replace any assumed set on w: they are the IDs in the
// answer's body too, and a client quoting one finds it in the backend's
// log. At Debug, Forward logs assumed's request ID beside the backend's.
func (f *Forwarder) Forward(w http.ResponseWriter, r *http.Request, body io.Reader, req ForwardRequest) error {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	out, guard, err := f.outgoing(ctx, cancel, r, body, req)
	if err != nil {
		WriteErr(w, req.Protocol, err, req.RequestID)
		return err
	}
	f.backend.CountForwarded()
	resp, err := f.client.Do(out)
	if guard != nil {
		if bodyErr := guard.failure(); bodyErr != nil {
			// The backend got less than the payload; whatever it says,
			// the request failed on the client's side.
			if err == nil {
				drain(resp.Body)
			}
			WriteErr(w, req.Protocol, bodyErr, req.RequestID)
			return fmt.Errorf("forward %s %s: the request body failed: %w", r.Method, req.SigningName, bodyErr)
		}
	}
	if err != nil {
		if r.Context().Err() != nil {
			return fmt.Errorf("forward %s %s: the client went away: %w", r.Method, req.SigningName, err)
		}
		WriteError(w, req.Protocol, http.StatusServiceUnavailable, "ServiceUnavailable",
			fmt.Sprintf("assumed could not get an answer from its backend (%s): %v", f.backend, err), req.RequestID)
		return fmt.Errorf("forward %s %s to %s: %w", r.Method, req.SigningName, f.backend, err)
	}
	defer resp.Body.Close()
	if f.log.Enabled(ctx, slog.LevelDebug) {
		f.log.Debug("forwarded", "request_id", req.RequestID, "service", req.SigningName, "account", req.Account,
			"status", resp.StatusCode, "backend_request_id", backendRequestID(resp.Header))
	}
	f.copyHeader(w.Header(), resp.Header)
	w.WriteHeader(resp.StatusCode)
	if r.Method == http.MethodHead {
		return nil
	}
	bp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bp)
	if _, err := io.CopyBuffer(w, resp.Body, *bp); err != nil {
		// Too late for an error answer: the client sees a short body
		// (its Content-Length says so).
		return fmt.Errorf("forward %s %s: copy the backend's answer: %w", r.Method, req.SigningName, err)
	}
	return nil
}

// backendRequestID is the request ID a backend's answer carries.
func backendRequestID(h http.Header) string {
	if id := h.Get("x-amzn-RequestId"); id != "" {
		return id
	}
	return h.Get("x-amz-request-id")
}

// copyBuffers hold the buffers answers are streamed through.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// outgoing builds the signed request to the backend. guard, when not nil,
// watches body for a failure.
func (f *Forwarder) outgoing(ctx context.Context, cancel context.CancelFunc, r *http.Request, body io.Reader, req ForwardRequest) (*http.Request, *guardedBody, error) {
	target := *f.backend.URL
	target.Path, target.RawPath = r.URL.Path, r.URL.RawPath
	target.RawQuery = stripPresign(r.URL.RawQuery)
	// The client's Host, so that the URLs the backend answers with (SQS
	// queue URLs) lead back here; but S3 gets the backend's own: moto
	// reads a dotted Host as virtual-hosted style, and S3 is always sent
	// in path style.
	host := r.Host
	if req.SigningName == "s3" {
		host = target.Host
		if bucket, _, ok := f.virtualHostBucket(r.Host); ok {
			// Path style for the backend: /BUCKET/KEY.
			target.Path = "/" + bucket + r.URL.Path
			if r.URL.RawPath != "" {
				target.RawPath = "/" + bucket + r.URL.RawPath
			}
		}
	}
	if target.Path == "" {
		target.Path = "/"
	}
	out, err := http.NewRequestWithContext(ctx, r.Method, target.String(), nil)
	if err != nil {
		return nil, nil, fmt.Errorf("build the backend request: %w", err)
	}
	// The URL as built, escaping and all: String and Parse may differ on
	// a path's escaping.
	out.URL = &target
	copyRequestHeader(out.Header, r.Header, req)
	if host == "" {
		host = target.Host
	}
	out.Host = host

	hash, guard := emptyHash, (*guardedBody)(nil)
	n := req.ContentLength
	if n < 0 {
		if l, ok := body.(interface{ Len() int }); ok {
			n = int64(l.Len())
		}
	}
	switch {
	case body == nil || n == 0:
		out.Body, out.ContentLength = http.NoBody, 0
	default:
		if hash, err = payloadHash(body, n); err != nil {
			return nil, nil, err
		}
		guard = &guardedBody{src: body, cancel: cancel, want: n}
		out.Body, out.ContentLength = guard, n
		if n < 0 {
			out.ContentLength = -1 // sent chunked
		}
	}
	if err := f.sign(out, req.Account, req.SigningName, req.Region, hash); err != nil {
		return nil, nil, err
	}
	return out, guard, nil
}

// sign names account to the backend in out and signs out for it, with
// the backend's credentials for account, the payload hash hash, the
// signing name service and region (us-east-1 when empty).
func (f *Forwarder) sign(out *http.Request, account, service, region, hash string) error {
	f.backend.SetAccount(out.Header, account)
	if region == "" {
		region = "us-east-1"
	}
	c := f.backend.Credentials(account)
	if err := creds.Sign(out, creds.Signing{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey,
		Region: region, Service: service, PayloadHash: hash, Time: time.Now()}); err != nil {
		return fmt.Errorf("sign the backend request: %w", err)
	}
	return nil
}

// payloadHash is the SHA-256 to sign body with: the real one for a small
// body in memory (a bytes.Buffer, or a seekable reader such as
// bytes.Reader, rewound after hashing), UNSIGNED-PAYLOAD for a body that
// streams.
func payloadHash(body io.Reader, n int64) (string, error) {
	if n < 0 || n > maxHashedBody {
		return creds.UnsignedPayload, nil
	}
	switch b := body.(type) {
	case *bytes.Buffer:
		sum := sha256.Sum256(b.Bytes())
		return hex.EncodeToString(sum[:]), nil
	case *bytes.Reader, *strings.Reader:
		rs := b.(io.ReadSeeker)
		start, err := rs.Seek(0, io.SeekCurrent)
		if err != nil {
			return "", fmt.Errorf("hash the request body: %w", err)
		}
		h := sha256.New()
		if _, err := io.Copy(h, rs); err != nil {
			return "", fmt.Errorf("hash the request body: %w", err)
		}
		if _, err := rs.Seek(start, io.SeekStart); err != nil {
			return "", fmt.Errorf("hash the request body: %w", err)
		}
		return hex.EncodeToString(h.Sum(nil)), nil
	}
	return creds.UnsignedPayload, nil
}

// stripPresign removes presigning parameters from a raw query, keeping the
// others as the client encoded them.
func stripPresign(raw string) string {
	if !strings.Contains(raw, "X-Amz-") && !strings.Contains(raw, "x-amz-") && !strings.Contains(raw, "X-Amz%2D") {
		return raw
	}
	var b strings.Builder
	for part := range strings.SplitSeq(raw, "&") {
		key, _, _ := strings.Cut(part, "=")
		if k, err := url.QueryUnescape(key); err == nil && isPresignParam(k) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(part)
	}
	return b.String()
}

func isPresignParam(k string) bool {
	for _, p := range creds.PresignParams {
		if strings.EqualFold(k, p) {
			return true
		}
	}
	return false
}

// hopHeaders are hop-by-hop headers (RFC 9110 section 7.6.1), never
// forwarded either way.
var hopHeaders = []string{
	"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
	"Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// clientAuthHeaders are the client's authentication: the request is
// re-signed for the backend. X-Amz-Decoded-Content-Length and
// X-Amz-Trailer describe an aws-chunked encoding the backend doesn't see.
var clientAuthHeaders = []string{
	"Authorization", "X-Amz-Security-Token", "X-Amz-Date", "X-Amz-Content-Sha256",
	"X-Amz-Decoded-Content-Length", "X-Amz-Trailer",
	// Go's server answered the client's 100-continue already.
	"Expect",
}

// copyRequestHeader copies the client's headers for the backend, without
// hop-by-hop headers, the client's authentication, and headers a client
// could steer the backend with (x-moto-*, x-localstack-*).
func copyRequestHeader(dst, src http.Header, req ForwardRequest) {
	for k, vs := range src {
		if backendControl(k) {
			continue
		}
		// The values are shared, not copied: dst's keys are only ever
		// replaced or deleted (Set, Del), never appended to in place.
		dst[k] = vs
	}
	dropHop(dst, src)
	for _, k := range clientAuthHeaders {
		dst.Del(k)
	}
	for k := range req.TrailerHeaders {
		dst.Del(k)
	}
	if req.DecodedChunked {
		if ce := withoutAWSChunked(dst.Values("Content-Encoding")); ce != "" {
			dst.Set("Content-Encoding", ce)
		} else {
			dst.Del("Content-Encoding")
		}
	}
	// Go adds a User-Agent of its own where a client sent none.
	if _, ok := dst["User-Agent"]; !ok {
		dst["User-Agent"] = []string{""}
	}
}

// dropHop removes from dst the hop-by-hop headers, including those src's
// Connection header names.
func dropHop(dst, src http.Header) {
	for _, v := range src.Values("Connection") {
		for name := range strings.SplitSeq(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				dst.Del(name)
			}
		}
	}
	for _, k := range hopHeaders {
		dst.Del(k)
	}
}

// backendControl reports whether a header name addresses the backend
// itself: moto's account header, LocalStack's internal headers.
func backendControl(k string) bool {
	return hasPrefixFold(k, "X-Moto-") || hasPrefixFold(k, "X-Localstack-")
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// withoutAWSChunked returns Content-Encoding values without aws-chunked.
func withoutAWSChunked(vs []string) string {
	var keep []string
	for _, v := range vs {
		for enc := range strings.SplitSeq(v, ",") {
			if enc = strings.TrimSpace(enc); enc != "" && !strings.EqualFold(enc, "aws-chunked") {
				keep = append(keep, enc)
			}
		}
	}
	return strings.Join(keep, ",")
}

// copyHeader copies the backend's answer headers to the client's, without
// hop-by-hop headers, moto's own (x-moto-*) and LocalStack's internal ones,
// and any header echoing the key assumed signed with (when it is not
// simply the account ID). The backend's request IDs replace any assumed set.
func (f *Forwarder) copyHeader(dst, src http.Header) {
	key := ""
	if f.backend.Kind == backend.Moto {
		key = backend.MotoAccessKeyID
	}
	for k, vs := range src {
		if backendControl(k) || (key != "" && echoes(vs, key)) {
			continue
		}
		dst[k] = vs
	}
	dropHop(dst, src)
}

// echoes reports whether any of vs contains s.
func echoes(vs []string, s string) bool {
	for _, v := range vs {
		if strings.Contains(v, s) {
			return true
		}
	}
	return false
}

// virtualHostBucket finds S3's virtual-hosted style in a Host header:
// BUCKET.localhost, BUCKET.127.0.0.1 (any IP literal) or BUCKET.H for H in
// VirtualHosts, with or without a port. It returns the bucket and the
// host without it, port kept.
func (f *Forwarder) virtualHostBucket(hostport string) (bucket, rest string, ok bool) {
	host, port := hostport, ""
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		host, port = h, p
	}
	withPort := func(h string) string {
		if port == "" {
			return h
		}
		return net.JoinHostPort(h, port)
	}
	lower := strings.ToLower(host)
	for _, suffix := range append([]string{"localhost"}, f.VirtualHosts...) {
		suffix = strings.ToLower(suffix)
		if b, found := strings.CutSuffix(lower, "."+suffix); found && b != "" {
			return host[:len(b)], withPort(host[len(b)+1:]), true
		}
	}
	for i := 0; i < len(host); i++ {
		if host[i] != '.' {
			continue
		}
		if _, err := netip.ParseAddr(host[i+1:]); err == nil && i > 0 {
			return host[:i], withPort(host[i+1:]), true
		}
	}
	return "", "", false
}

// guardedBody streams a request body to the backend, holding back its last
// byte until the source has ended cleanly: a source failing at its very
// end (a final chunk signature or trailing checksum that doesn't verify)
// must not let the backend receive the whole payload. On a failure it
// cancels the upstream request, so the backend sees a broken connection.
type guardedBody struct {
	src    io.Reader
	cancel context.CancelFunc
	want   int64 // the length promised, -1 unknown
	read   int64

	held    byte
	hasHeld bool
	eof     bool

	mu  sync.Mutex
	err error
}

// Read implements io.Reader.
func (g *guardedBody) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if g.eof {
		if g.hasHeld {
			p[0], g.hasHeld = g.held, false
			return 1, nil
		}
		return 0, io.EOF
	}
	off := 0
	if g.hasHeld {
		if len(p) == 1 {
			// Room only for the held byte: read ahead one more first.
			var one [1]byte
			n, err := g.src.Read(one[:])
			g.read += int64(n)
			if err := g.check(err); err != nil {
				return 0, err
			}
			if n == 0 {
				return 0, nil
			}
			p[0], g.held = g.held, one[0]
			return 1, nil
		}
		p[0], g.hasHeld = g.held, false
		off = 1
	}
	n, err := g.src.Read(p[off:])
	g.read += int64(n)
	n += off
	if err := g.check(err); err != nil {
		return 0, err
	}
	if g.eof || n == 0 {
		return n, nil
	}
	g.held, g.hasHeld = p[n-1], true
	return n - 1, nil
}

// check records the source's end (io.EOF) or failure (anything else),
// returning the failure.
func (g *guardedBody) check(err error) error {
	switch {
	case err == nil:
		return nil
	case err == io.EOF && (g.want < 0 || g.read >= g.want):
		g.eof = true
		return nil
	case err == io.EOF:
		err = &Error{Status: http.StatusBadRequest, Code: "IncompleteBody", Message: fmt.Sprintf("The request body ended after %d of the %d bytes its Content-Length announced.", g.read, g.want)}
	}
	g.mu.Lock()
	if g.err == nil {
		g.err = err
	}
	g.mu.Unlock()
	g.cancel()
	return err
}

// Close implements io.Closer; the source is the caller's to close.
func (g *guardedBody) Close() error { return nil }

// failure returns the source's failure, if it failed.
func (g *guardedBody) failure() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

// drain reads a little of an answer no one will see, and closes it.
func drain(rc io.ReadCloser) {
	io.Copy(io.Discard, io.LimitReader(rc, 64<<10))
	rc.Close()
}
