package creds

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Signing says who signs an outgoing request, for which scope.
type Signing struct {
	AccessKeyID, SecretAccessKey string
	// Region and Service are the credential scope (Service is the signing
	// name: s3, dynamodb, …). S3's rules (the path encoded once) apply to
	// a service for which UsesS3Rules is true.
	Region, Service string
	// PayloadHash is the hex SHA-256 of the body, or UnsignedPayload.
	PayloadHash string
	// Time is the signing time; it is truncated to the second.
	Time time.Time
}

// maxSignedHeaders bounds the headers Sign signs without allocating their
// list on the heap; more are signed too, through an allocation.
const maxSignedHeaders = 16

// Sign signs r, a request about to be sent by a client, with SigV4 in the
// Authorization header. It sets X-Amz-Date and X-Amz-Content-Sha256 (to
// s.PayloadHash) and signs the host, Content-Type, Content-MD5 and every
// X-Amz-* header present; any Authorization r carried is replaced. The
// canonical request is built by the same code Verify checks signatures
// with, from r.URL's escaped path and raw query as the Go client sends
// them.
//
// It is the resource gateway's signer for its backend: unlike the SDK's,
// it takes the signing key from a cache and builds the canonical request
// in a pooled buffer, which matters on a path that signs every forwarded
// request.
func Sign(r *http.Request, s Signing) error {
	if r == nil || r.URL == nil {
		return errors.New("creds: sign: no request")
	}
	if s.Region == "" || s.Service == "" || s.AccessKeyID == "" {
		return fmt.Errorf("creds: sign: the credential scope needs an access key ID, region and service (got %q, %q, %q)", s.AccessKeyID, s.Region, s.Service)
	}
	if s.PayloadHash == "" {
		return errors.New("creds: sign: no payload hash")
	}
	date := s.Time.UTC().Truncate(time.Second)
	r.Header.Del("Authorization")
	var dateBuf [len(iso8601Basic)]byte
	r.Header.Set("X-Amz-Date", string(date.AppendFormat(dateBuf[:0], iso8601Basic)))
	r.Header.Set("X-Amz-Content-Sha256", s.PayloadHash)

	var namesBuf [maxSignedHeaders]string
	names := append(namesBuf[:0], "host")
	for k := range r.Header {
		if hasPrefixFoldASCII(k, "x-amz-") || strings.EqualFold(k, "Content-Type") || strings.EqualFold(k, "Content-Md5") {
			names = append(names, strings.ToLower(k))
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)

	sr := SignedRequest{AccessKeyID: s.AccessKeyID, Region: s.Region, Service: s.Service, SignedHeaders: names, Date: date}
	b := getBuffer()
	defer putBuffer(b)
	var (
		creq []byte
		ok   bool
	)
	if UsesS3Rules(s.Service) {
		creq, ok = appendS3CanonicalRequest((*b)[:0], r, &sr, s.PayloadHash)
	} else {
		creq, ok = appendCanonicalRequest((*b)[:0], r, &sr, s.PayloadHash)
	}
	*b = creq
	if !ok {
		return fmt.Errorf("creds: sign: the query string %q does not decode", clip(r.URL.RawQuery))
	}
	key := signingKey(s.SecretAccessKey, date, s.Region, s.Service)
	var stsBuf [256]byte
	mac := hmacSHA256(key[:], appendStringToSign(stsBuf[:0], &sr, sha256.Sum256(creq)))

	auth := make([]byte, 0, 256)
	auth = append(auth, algorithm+" Credential="...)
	auth = append(auth, s.AccessKeyID...)
	auth = append(auth, '/')
	auth = appendCredentialScope(auth, &sr)
	auth = append(auth, ", SignedHeaders="...)
	for i, n := range names {
		if i > 0 {
			auth = append(auth, ';')
		}
		auth = append(auth, n...)
	}
	auth = append(auth, ", Signature="...)
	auth = hex.AppendEncode(auth, mac[:])
	r.Header["Authorization"] = []string{string(auth)}
	return nil
}

// appendCanonicalRequest appends the canonical request of every service
// but S3 for the payload hash: the method, the escaped path URI-encoded
// again, the canonical query, the signed headers, and payloadHash. ok is
// false when the query string does not decode.
func appendCanonicalRequest(b []byte, r *http.Request, sr *SignedRequest, payloadHash string) ([]byte, bool) {
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
	b = appendURIEncode(b, path, true)
	b = append(b, '\n')
	b, ok := appendCanonicalQuery(b, rawQuery, sr.Presigned)
	if !ok {
		return b, false
	}
	b = appendHeaderBlock(b, r, sr)
	return append(b, payloadHash...), true
}
