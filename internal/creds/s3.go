package creds

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Values of X-Amz-Content-Sha256 other than a hex SHA-256, as S3 names them.
const (
	// UnsignedPayload leaves the body out of the signature.
	UnsignedPayload = "UNSIGNED-PAYLOAD"
	// StreamingPayload is an aws-chunked body whose chunks are signed.
	StreamingPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	// StreamingPayloadTrailer is an aws-chunked body whose chunks and
	// trailing headers are signed.
	StreamingPayloadTrailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	// StreamingUnsignedPayloadTrailer is an aws-chunked body with unsigned
	// chunks and trailing headers, usually a checksum.
	StreamingUnsignedPayloadTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
)

// Error codes of S3's SigV4 and body checks, as S3 names them.
const (
	CodeAccessDenied                  = "AccessDenied"
	CodeAuthorizationQueryParamsError = "AuthorizationQueryParametersError"
	CodeBadDigest                     = "BadDigest"
	CodeIncompleteBody                = "IncompleteBody"
	CodeInvalidAccessKeyID            = "InvalidAccessKeyId"
	CodeInvalidArgument               = "InvalidArgument"
	CodeInvalidChunkSizeError         = "InvalidChunkSizeError"
	CodeInvalidRequest                = "InvalidRequest"
	CodeMissingContentLength          = "MissingContentLength"
	CodeRequestTimeTooSkewed          = "RequestTimeTooSkewed"
	CodeXAmzContentSHA256Mismatch     = "XAmzContentSHA256Mismatch"
)

// S3's message texts.
const (
	msgInvalidAccessKeyID    = "The AWS Access Key Id you provided does not exist in our records."
	msgContentSHA256Mismatch = "The provided 'x-amz-content-sha256' header does not match what was computed."
	msgContentSHA256Missing  = "Missing required header for this request: x-amz-content-sha256"
	msgContentSHA256Invalid  = "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value."
	msgTimeTooSkewed         = "The difference between the request time and the current time is too large."
	msgRequestNotYetValid    = "Request is not yet valid"
	msgPresignParamsMissing  = "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
	msgMissingContentLength  = "You must provide the Content-Length HTTP header."
	msgBodyTerminated        = "The request body terminated unexpectedly"
	msgBodyLength            = "You did not provide the number of bytes specified by the Content-Length HTTP header"
	msgChunkTooSmall         = "Only the last chunk is allowed to have a size less than 8192 bytes"
	msgTrailerUnsupported    = "The value specified in the x-amz-trailer header is not supported"
)

// UsesS3Rules reports whether requests signed for service, a credential
// scope's signing name, follow S3's SigV4 rules: the path URI-encoded
// once and not normalized, the payload hash taken from
// X-Amz-Content-Sha256 (which may be UNSIGNED-PAYLOAD or a streaming
// value), S3's error codes, and presigned URLs valid for their whole
// X-Amz-Expires. S3 Object Lambda signs as S3 does.
func UsesS3Rules(service string) bool { return service == "s3" || service == "s3-object-lambda" }

// InvalidAccessKeyID returns the error S3 answers when the access key ID
// in a request is unknown: S3's counterpart of InvalidClientTokenID.
func InvalidAccessKeyID() *Error {
	return &Error{Code: CodeInvalidAccessKeyID, Message: msgInvalidAccessKeyID, Status: http.StatusForbidden}
}

// s3Mismatch is SignatureDoesNotMatch for S3. Its text is the one Verify
// answers for every service (S3's own reads "… Check your key and signing
// method."), so that Verify's refusals do not depend on the scope.
func s3Mismatch() *Error { return mismatch(msgSignatureDoesNotMatch) }

func s3Error(code string, status int, msg string) *Error {
	return &Error{Code: code, Message: msg, Status: status}
}

// ErrNotS3 is returned by VerifyStreaming for a request whose signing name
// does not follow S3's rules: its payload hash is the SHA-256 of the whole
// body, so Verify, with the body read, is the way to check it.
var ErrNotS3 = errors.New("creds: streaming verification applies to S3 only; verify other services with Verify and the full body")

// Payload says how the body of a request whose signature VerifyStreaming
// accepted must be read: Wrap checks it as it streams. A Payload belongs
// to one request; Wrap is called once.
type Payload struct {
	// Hash is the X-Amz-Content-Sha256 value the request was signed with:
	// 64 hex digits, UnsignedPayload, or one of the Streaming… values. A
	// presigned request without that header has UnsignedPayload.
	Hash string
	// Chunked reports an aws-chunked body (a Streaming… Hash). Wrap then
	// yields the decoded payload: a forwarder sends it with Content-Length
	// set to DecodedLength, without aws-chunked in Content-Encoding (see
	// StripAWSChunked) and without X-Amz-Decoded-Content-Length.
	Chunked bool
	// DecodedLength is the length of the payload Wrap yields: the request's
	// X-Amz-Decoded-Content-Length when Chunked, else its Content-Length;
	// -1 when unknown.
	DecodedLength int64
	// TrailerNames lists, lower-cased, the trailing headers X-Amz-Trailer
	// announced (x-amz-checksum-crc32 …); Trailer returns their values once
	// the body has been read.
	TrailerNames []string

	sum     [sha256.Size]byte // Hash decoded, for a hex Hash
	chain   chainKey          // for signed chunks and trailers
	decoder *chunkedReader    // the reader Wrap made, for Trailer
}

// chainKey is what chunk and trailer signatures are computed from.
type chainKey struct {
	key   [sha256.Size]byte // the signing key of the request's scope
	date  string            // the signing time, ISO 8601 basic
	scope string            // DATE/REGION/SERVICE/aws4_request
	seed  [sha256.Size]byte // the request's own (seed) signature
}

// Wrap returns the reader through which the body must be read:
//
//   - a hex Hash: the body, hashed as it is read; at its end, an error
//     (XAmzContentSHA256Mismatch) instead of io.EOF when the SHA-256
//     differs;
//   - UnsignedPayload: body itself;
//   - StreamingPayload, StreamingPayloadTrailer: the aws-chunked body
//     decoded, each chunk's signature checked, chained from the request's
//     signature, before any of its bytes are returned; then the final
//     chunk's signature and, with a trailer, the trailer's signature and
//     checksum;
//   - StreamingUnsignedPayloadTrailer: the aws-chunked body decoded, and
//     the announced trailing checksum (CRC32, CRC32C, CRC64NVME, SHA1 or
//     SHA256) checked against the decoded bytes.
//
// A chunked body must decode to exactly DecodedLength bytes. Every failure
// is an error wrapping an *Error with S3's code; it is final. Except for
// UnsignedPayload, the last byte of the payload is returned only together
// with io.EOF, after every check has passed: a forwarder that sends the
// body with a fixed Content-Length therefore never completes a request
// whose body failed, whatever it had already sent. Memory is bounded: one
// signed chunk (at most MaxChunkSize bytes) and the trailer
// (MaxTrailerSize bytes).
func (p *Payload) Wrap(body io.Reader) io.Reader {
	if body == nil {
		body = http.NoBody
	}
	switch {
	case p == nil:
		return body
	case p.Hash == UnsignedPayload:
		return body
	case p.Chunked:
		p.decoder = newChunkedReader(body, p)
		return newHoldLast(p.decoder)
	default:
		return newHoldLast(&hashReader{r: body, h: sha256.New(), want: p.sum})
	}
}

// Trailer returns the trailing headers of a chunked body, with their
// canonical names and without x-amz-trailer-signature, once the reader
// Wrap returned has reached io.EOF; before that, and for a body without
// trailers, nil. A forwarder may pass them on as headers or trailers.
func (p *Payload) Trailer() http.Header {
	if p == nil || p.decoder == nil || !p.decoder.finished {
		return nil
	}
	return p.decoder.trailer
}

// StripAWSChunked returns a Content-Encoding value without its aws-chunked
// coding, which describes the framing Wrap removes: "aws-chunked" gives
// "", "gzip,aws-chunked" gives "gzip".
func StripAWSChunked(contentEncoding string) string {
	var keep []string
	for _, c := range strings.Split(contentEncoding, ",") {
		c = strings.TrimSpace(c)
		if c != "" && !strings.EqualFold(c, "aws-chunked") {
			keep = append(keep, c)
		}
	}
	return strings.Join(keep, ",")
}

// VerifyStreaming checks the signature of an S3 request parsed by
// ParseRequest from its headers alone, without reading its body, and
// returns how the body must be checked as it streams (Payload.Wrap). For
// a signing name without S3's rules (UsesS3Rules) it returns ErrNotS3:
// those requests sign the SHA-256 of the full body, which Verify checks.
//
// The canonical request is S3's: the path as sent, percent-escapes
// decoded and the result URI-encoded once, without dot-segment removal or
// slash merging; the payload hash is X-Amz-Content-Sha256, which a
// header-signed request must carry (InvalidRequest) and which must be 64
// hex digits, UNSIGNED-PAYLOAD or one of the three streaming values
// (InvalidArgument); a presigned URL without that header has
// UNSIGNED-PAYLOAD. A streaming request must also carry
// X-Amz-Decoded-Content-Length (MissingContentLength) and announce in
// X-Amz-Trailer only checksums S3 knows (InvalidRequest). The signature
// is checked first (SignatureDoesNotMatch), then the time as CheckTime
// does for S3, then those headers. Errors wrap an *Error with S3's code;
// SignatureDoesNotMatch keeps the text Verify answers for every service.
// The caller has already found secret from sr.AccessKeyID and checked the
// session token, as for Verify.
func VerifyStreaming(r *http.Request, sr *SignedRequest, secret string, now time.Time) (*Payload, error) {
	if sr != nil && !UsesS3Rules(sr.Service) {
		return nil, ErrNotS3
	}
	p, e := verifyStreaming(r, sr, secret, now)
	if e != nil {
		return nil, fmt.Errorf("creds: verify S3 SigV4 signature: %w", e)
	}
	return p, nil
}

func verifyStreaming(r *http.Request, sr *SignedRequest, secret string, now time.Time) (*Payload, *Error) {
	return verifyS3(r, sr, secret, now, nil, false)
}

// verifyS3 checks an S3 request's signature, then its time, then what its
// headers say about the body, in that order: a request that is not signed
// as it claims is SignatureDoesNotMatch whatever else is wrong with it.
// With the body at hand (haveBody), a request without
// X-Amz-Content-Sha256 is checked as signed over the body's SHA-256 first;
// without it, it can only be refused as incomplete.
func verifyS3(r *http.Request, sr *SignedRequest, secret string, now time.Time, body []byte, haveBody bool) (*Payload, *Error) {
	if r == nil || sr == nil || sr.Date.IsZero() {
		return nil, s3Mismatch()
	}
	payloadHash := strings.Join(r.Header.Values("X-Amz-Content-Sha256"), ",")
	if _, present := r.Header["X-Amz-Content-Sha256"]; !present {
		switch {
		case sr.Presigned:
			payloadHash = UnsignedPayload
		case haveBody:
			payloadHash = hexSHA256Of(body)
		default:
			return nil, s3Error(CodeInvalidRequest, http.StatusBadRequest, msgContentSHA256Missing)
		}
	}
	var want [sha256.Size]byte
	if !decodeSignature(&want, sr.Signature) {
		return nil, s3Mismatch()
	}
	b := getBuffer()
	defer putBuffer(b)
	creq, ok := appendS3CanonicalRequest((*b)[:0], r, sr, payloadHash)
	*b = creq
	if !ok {
		return nil, s3Mismatch()
	}
	key := signingKey(secret, sr.Date, sr.Region, sr.Service)
	var stsBuf [256]byte
	sts := appendStringToSign(stsBuf[:0], sr, sha256.Sum256(creq))
	if mac := hmacSHA256(key[:], sts); !hmac.Equal(mac[:], want[:]) {
		return nil, s3Mismatch()
	}
	if e := checkTimeS3(sr, now.UTC()); e != nil {
		return nil, e
	}
	p, e := payloadOf(r, sr)
	if e != nil {
		return nil, e
	}
	if p.Chunked {
		p.chain = chainKey{key: key, date: sr.Date.Format(iso8601Basic), scope: credentialScope(sr), seed: want}
	}
	return p, nil
}

// hexSHA256Of returns the hex SHA-256 of b.
func hexSHA256Of(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// payloadOf reads what the request's headers say about its body.
func payloadOf(r *http.Request, sr *SignedRequest) (*Payload, *Error) {
	p := &Payload{DecodedLength: -1}
	if r.ContentLength >= 0 {
		p.DecodedLength = r.ContentLength
	}
	vs := r.Header.Values("X-Amz-Content-Sha256")
	switch {
	case len(vs) == 0 && sr.Presigned:
		p.Hash = UnsignedPayload
	case len(vs) == 0:
		return nil, s3Error(CodeInvalidRequest, http.StatusBadRequest, msgContentSHA256Missing)
	case len(vs) > 1:
		return nil, s3Error(CodeInvalidArgument, http.StatusBadRequest, msgContentSHA256Invalid)
	default:
		p.Hash = vs[0]
	}
	switch p.Hash {
	case UnsignedPayload:
	case StreamingPayload, StreamingPayloadTrailer, StreamingUnsignedPayloadTrailer:
		p.Chunked = true
	default:
		if len(p.Hash) != 2*sha256.Size || !decodeSignature(&p.sum, p.Hash) {
			return nil, s3Error(CodeInvalidArgument, http.StatusBadRequest, msgContentSHA256Invalid)
		}
	}
	trailer := strings.TrimSpace(strings.Join(r.Header.Values("X-Amz-Trailer"), ","))
	if !p.Chunked {
		if trailer != "" {
			return nil, s3Error(CodeInvalidRequest, http.StatusBadRequest, msgTrailerUnsupported)
		}
		return p, nil
	}
	if trailer != "" {
		if p.Hash == StreamingPayload {
			return nil, s3Error(CodeInvalidRequest, http.StatusBadRequest, msgTrailerUnsupported)
		}
		for _, name := range strings.Split(trailer, ",") {
			name = strings.ToLower(strings.TrimSpace(name))
			if _, ok := checksumAlgorithms[name]; !ok {
				return nil, s3Error(CodeInvalidRequest, http.StatusBadRequest, msgTrailerUnsupported)
			}
			for _, seen := range p.TrailerNames {
				if seen == name {
					return nil, s3Error(CodeInvalidRequest, http.StatusBadRequest, msgTrailerUnsupported)
				}
			}
			p.TrailerNames = append(p.TrailerNames, name)
		}
	}
	dl := r.Header.Values("X-Amz-Decoded-Content-Length")
	if len(dl) == 0 {
		return nil, s3Error(CodeMissingContentLength, http.StatusLengthRequired, msgMissingContentLength)
	}
	n, err := strconv.ParseInt(dl[0], 10, 64)
	if len(dl) > 1 || err != nil || n < 0 || dl[0][0] == '+' {
		return nil, s3Error(CodeInvalidArgument, http.StatusBadRequest, "x-amz-decoded-content-length must be a non-negative integer: '"+clip(strings.Join(dl, ","))+"'")
	}
	p.DecodedLength = n
	return p, nil
}

// clip shortens a client value quoted in a message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// appendS3CanonicalRequest appends S3's canonical request for the payload
// hash: the method, the path URI-encoded once, the canonical query, the
// signed headers, and payloadHash. ok is false when the query string does
// not decode.
func appendS3CanonicalRequest(b []byte, r *http.Request, sr *SignedRequest, payloadHash string) ([]byte, bool) {
	path, rawQuery := requestTarget(r)
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	if path == "" {
		path = "/"
	}
	b = append(b, method...)
	b = append(b, '\n')
	b = appendS3URI(b, path)
	b = append(b, '\n')
	b, ok := appendCanonicalQuery(b, rawQuery, sr.Presigned)
	if !ok {
		return b, false
	}
	b = appendHeaderBlock(b, r, sr)
	return append(b, payloadHash...), true
}

// appendS3URI appends the path as S3 canonicalizes it: each valid
// percent-escape decoded, then every byte but the unreserved ones and '/'
// percent-encoded with upper-case hex digits. A path already encoded as
// the SDKs encode it is unchanged; "." and ".." segments and empty ones
// are kept.
func appendS3URI(b []byte, path string) []byte {
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(path); i++ {
		c := path[i]
		if c == '%' && i+2 < len(path) {
			hi, ok1 := fromHex(path[i+1])
			lo, ok2 := fromHex(path[i+2])
			if ok1 && ok2 {
				c = hi<<4 | lo
				i += 2
			}
		}
		if isUnreserved(c) || c == '/' {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hexDigits[c>>4], hexDigits[c&0x0f])
	}
	return b
}

// checkTimeS3 is S3's time check. A header-signed request must be signed
// within MaxClockSkew of now (RequestTimeTooSkewed). A presigned URL needs
// X-Amz-Expires and is valid from its X-Amz-Date, less MaxClockSkew for
// the signer's clock ("Request is not yet valid"), until X-Amz-Date plus
// X-Amz-Expires ("Request has expired"), up to the week ParseRequest
// allows.
func checkTimeS3(sr *SignedRequest, now time.Time) *Error {
	if sr.Presigned {
		switch {
		case sr.Expires <= 0:
			return s3Error(CodeAuthorizationQueryParamsError, http.StatusBadRequest, msgPresignParamsMissing)
		case sr.Date.After(now.Add(MaxClockSkew)):
			return s3Error(CodeAccessDenied, http.StatusForbidden, msgRequestNotYetValid)
		case now.After(sr.Date.Add(sr.Expires)):
			return s3Error(CodeAccessDenied, http.StatusForbidden, msgRequestExpired)
		}
		return nil
	}
	if sr.Date.Before(now.Add(-MaxClockSkew)) || sr.Date.After(now.Add(MaxClockSkew)) {
		return s3Error(CodeRequestTimeTooSkewed, http.StatusForbidden, msgTimeTooSkewed)
	}
	return nil
}

// verifyS3Body is Verify for a signing name with S3's rules: the signature
// as VerifyStreaming checks it, then the whole body through Payload.Wrap.
func verifyS3Body(r *http.Request, body []byte, sr *SignedRequest, secret string, now time.Time) *Error {
	p, e := verifyS3(r, sr, secret, now, body, true)
	if e != nil {
		return e
	}
	_, err := io.Copy(io.Discard, p.Wrap(&byteReader{b: body}))
	if err == nil {
		return nil
	}
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	return s3Error(CodeIncompleteBody, http.StatusBadRequest, msgBodyTerminated)
}

// byteReader reads a byte slice; unlike bytes.Reader it has no WriteTo,
// so that io.Copy goes through the wrapping readers' Read.
type byteReader struct{ b []byte }

func (r *byteReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// hashReader passes a body through, hashing it, and ends with an
// XAmzContentSHA256Mismatch error instead of io.EOF when its SHA-256 is
// not want.
type hashReader struct {
	r io.Reader
	h interface {
		io.Writer
		Sum([]byte) []byte
	}
	want [sha256.Size]byte
}

func (h *hashReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	if err == io.EOF {
		var sum [sha256.Size]byte
		if !hmac.Equal(h.h.Sum(sum[:0]), h.want[:]) {
			return n, fmt.Errorf("creds: S3 payload: %w", s3Error(CodeXAmzContentSHA256Mismatch, http.StatusBadRequest, msgContentSHA256Mismatch))
		}
	}
	return n, err
}

// holdLast passes a reader through, always holding its last byte back
// until the reader has ended with io.EOF: a failure the reader reports at
// its end is then seen before the whole payload has been released. After
// any other error nothing more is released.
type holdLast struct {
	r          io.Reader
	buf        []byte
	start, end int
	err        error
}

func newHoldLast(r io.Reader) *holdLast { return &holdLast{r: r, buf: make([]byte, 32<<10)} }

func (h *holdLast) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for empty := 0; ; {
		avail := h.end - h.start
		if h.err == nil {
			avail-- // the held byte
		}
		if avail > 0 {
			n := copy(p, h.buf[h.start:h.start+avail])
			h.start += n
			return n, nil
		}
		if h.err != nil {
			return 0, h.err
		}
		if h.start < h.end {
			h.buf[0] = h.buf[h.start]
			h.end = 1
		} else {
			h.end = 0
		}
		h.start = 0
		n, err := h.r.Read(h.buf[h.end:])
		h.end += n
		switch {
		case err == io.EOF:
			h.err = err
		case err != nil:
			h.start, h.end, h.err = 0, 0, err
		case n == 0:
			if empty++; empty >= 100 {
				h.start, h.end, h.err = 0, 0, io.ErrNoProgress
			}
		}
	}
}

// appendChainStringToSign appends the string to sign of one chunk (kind
// AWS4-HMAC-SHA256-PAYLOAD, with the hash of the empty string and of the
// chunk's data) or of the trailer (AWS4-HMAC-SHA256-TRAILER, with the hash
// of its canonical form).
func appendChainStringToSign(b []byte, kind string, c *chainKey, prev *[sha256.Size]byte, dataSum [sha256.Size]byte, withEmpty bool) []byte {
	b = append(b, kind...)
	b = append(b, '\n')
	b = append(b, c.date...)
	b = append(b, '\n')
	b = append(b, c.scope...)
	b = append(b, '\n')
	b = hex.AppendEncode(b, prev[:])
	b = append(b, '\n')
	if withEmpty {
		b = append(b, emptySHA256...)
		b = append(b, '\n')
	}
	return hex.AppendEncode(b, dataSum[:])
}

// emptySHA256 is the hex SHA-256 of the empty string.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
