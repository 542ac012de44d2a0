package creds

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// outcome is what the test S3 server made of one request.
type outcome struct {
	method, path string // as received
	hash         string // Payload.Hash
	chunked      bool
	decodedLen   int64
	n            int64  // bytes the wrapped body yielded
	sum          string // their SHA-256
	trailer      http.Header
	code         string // the refusal's code, "" when accepted
	err          error
}

// s3Server is an S3 endpoint that verifies every request with
// VerifyStreaming (or, full, Verify with the body read whole), streams the
// wrapped body into a hash, and answers 200 with an empty body, or S3's
// XML error.
type s3Server struct {
	*httptest.Server
	mu       sync.Mutex
	outcomes []outcome
}

func newS3Server(t *testing.T, tls, full bool) *s3Server {
	t.Helper()
	s := &s3Server{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o := outcome{method: r.Method, path: r.URL.EscapedPath()}
		o.err = func() error {
			sr, err := ParseRequest(r)
			if err != nil {
				return err
			}
			if full {
				body, err := io.ReadAll(r.Body)
				if err != nil {
					return err
				}
				sum := sha256.Sum256(body)
				o.n, o.sum = int64(len(body)), hex.EncodeToString(sum[:])
				return Verify(r, body, sr, testSecret, time.Now())
			}
			p, err := VerifyStreaming(r, sr, testSecret, time.Now())
			if err != nil {
				return err
			}
			o.hash, o.chunked, o.decodedLen = p.Hash, p.Chunked, p.DecodedLength
			h := sha256.New()
			o.n, err = io.Copy(h, p.Wrap(r.Body))
			o.sum = hex.EncodeToString(h.Sum(nil))
			o.trailer = p.Trailer()
			return err
		}()
		o.code = codeOf(o.err)
		s.mu.Lock()
		s.outcomes = append(s.outcomes, o)
		s.mu.Unlock()
		if o.err != nil {
			status := http.StatusInternalServerError
			var e *Error
			if errors.As(o.err, &e) {
				status = e.Status
			}
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(status)
			fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message></Error>", o.code, o.err)
			return
		}
		w.Header().Set("ETag", `"0123"`)
		w.WriteHeader(http.StatusOK)
	})
	if tls {
		s.Server = httptest.NewTLSServer(h)
	} else {
		s.Server = httptest.NewServer(h)
	}
	t.Cleanup(s.Close)
	return s
}

// last returns the outcome of the last request, and forgets them all.
func (s *s3Server) last(t *testing.T) outcome {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.outcomes) != 1 {
		t.Fatalf("%d requests reached the server, want 1", len(s.outcomes))
	}
	o := s.outcomes[0]
	s.outcomes = nil
	return o
}

// client returns an S3 client of the SDK for the server: path style, one
// attempt, the test credentials.
func (s *s3Server) client(optFns ...func(*s3.Options)) *s3.Client {
	cfg := aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(testAKID, testSecret, ""),
		HTTPClient:       s.Client(),
		RetryMaxAttempts: 1,
	}
	return s3.NewFromConfig(cfg, append([]func(*s3.Options){func(o *s3.Options) {
		o.BaseEndpoint = aws.String(s.URL)
		o.UsePathStyle = true
	}}, optFns...)...)
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed+1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func sumHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// sdkKeys are object keys whose paths S3 canonicalizes differently from
// other services: escapes, '+', repeated slashes, dot segments.
var sdkKeys = []string{
	"plain.txt", "with space.txt", "unicode-✓-é-日本", "a+b=c&d;e,f", "dir//double//slash", "a/../b", "./dot/./x", "../up",
	"~tilde_-.!*'()$@:", "trailing/", "percent%2F%25", "/leading", "?question#hash",
}

// TestSDKPutObjectSignedPayload: over HTTP the SDK signs the payload's
// SHA-256 (and sends a CRC32 header).
func TestSDKPutObjectSignedPayload(t *testing.T) {
	for _, full := range []bool{false, true} {
		s := newS3Server(t, false, full)
		c := s.client()
		for i, key := range sdkKeys {
			data := randomBytes(1000+i*777, uint64(i))
			_, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String(key), Body: bytes.NewReader(data)})
			o := s.last(t)
			if err != nil || o.err != nil {
				t.Fatalf("full %v key %q: %v; server: %v (path %s)", full, key, err, o.err, o.path)
			}
			if o.sum != sumHex(data) || o.n != int64(len(data)) {
				t.Fatalf("key %q: the server read %d bytes", key, o.n)
			}
			if !full {
				t.Logf("key %q arrived as %s", key, o.path)
			}
			if !full && (o.hash != sumHex(data) || o.chunked || o.decodedLen != int64(len(data))) {
				t.Fatalf("key %q: %+v", key, o)
			}
		}
	}
}

// TestSDKPutObjectUnsignedPayload: the SDK's UNSIGNED-PAYLOAD, by its
// middleware swap over HTTP and by default over HTTPS without checksums.
func TestSDKPutObjectUnsignedPayload(t *testing.T) {
	for _, tls := range []bool{false, true} {
		s := newS3Server(t, tls, false)
		c := s.client(func(o *s3.Options) {
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			if !tls {
				o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
			}
		})
		for i, key := range sdkKeys {
			data := randomBytes(5000+i, uint64(i))
			_, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String(key), Body: bytes.NewReader(data)})
			o := s.last(t)
			if err != nil || o.err != nil {
				t.Fatalf("tls %v key %q: %v; server: %v", tls, key, err, o.err)
			}
			if o.hash != UnsignedPayload || o.sum != sumHex(data) {
				t.Fatalf("tls %v key %q: %+v", tls, key, o)
			}
		}
	}
}

// TestSDKStreamingUnsignedTrailer: over HTTPS the SDK sends PutObject and
// UploadPart as aws-chunked STREAMING-UNSIGNED-PAYLOAD-TRAILER with a
// trailing checksum (CRC32 by default), which must decode and check.
func TestSDKStreamingUnsignedTrailer(t *testing.T) {
	s := newS3Server(t, true, false)
	// What config.LoadDefaultConfig resolves when nothing is configured.
	c := s.client(func(o *s3.Options) { o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenSupported })
	data := randomBytes(3<<20+17, 9)
	ctx := context.Background()
	for _, alg := range []string{"", "CRC32C", "SHA256", "SHA1", "CRC64NVME"} {
		in := &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String("big object+" + alg), Body: bytes.NewReader(data)}
		name := "X-Amz-Checksum-Crc32"
		if alg != "" {
			in.ChecksumAlgorithm = s3TypesChecksum(alg)
			name = "X-Amz-Checksum-" + strings.ToUpper(alg[:1]) + strings.ToLower(alg[1:])
		}
		_, err := c.PutObject(ctx, in)
		o := s.last(t)
		if err != nil || o.err != nil {
			t.Fatalf("%s: %v; server: %v", alg, err, o.err)
		}
		if o.hash != StreamingUnsignedPayloadTrailer || !o.chunked || o.decodedLen != int64(len(data)) || o.sum != sumHex(data) {
			t.Fatalf("%s: %+v", alg, o)
		}
		if len(o.trailer) != 1 || o.trailer.Get(name) == "" {
			t.Fatalf("%s: trailer %v, want %s", alg, o.trailer, name)
		}
	}
	_, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("bucket"), Key: aws.String("multi part"), PartNumber: aws.Int32(1), UploadId: aws.String("upload-1"), Body: bytes.NewReader(data)})
	o := s.last(t)
	if err != nil || o.err != nil || o.hash != StreamingUnsignedPayloadTrailer || o.sum != sumHex(data) {
		t.Fatalf("UploadPart: %v; %+v", err, o)
	}
}

// TestSDKPresignedURLs: presigned GET and PUT from s3.NewPresignClient,
// valid for a week, then expired; not valid before their time.
func TestSDKPresignedURLs(t *testing.T) {
	s := newS3Server(t, false, false)
	pc := s3.NewPresignClient(s.client())
	ctx := context.Background()
	week := s3.WithPresignExpires(7 * 24 * time.Hour)
	for i, key := range sdkKeys {
		get, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String(key)}, week)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := s.Client().Get(get.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if o := s.last(t); resp.StatusCode != 200 || o.err != nil || o.hash != UnsignedPayload {
			t.Fatalf("GET %q: %d %+v", key, resp.StatusCode, o)
		}
		put, err := pc.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String(key)}, week)
		if err != nil {
			t.Fatal(err)
		}
		data := randomBytes(2000+i, uint64(i))
		req, _ := http.NewRequest(put.Method, put.URL, bytes.NewReader(data))
		for k, vs := range put.SignedHeader {
			if k != "Host" {
				req.Header[k] = vs
			}
		}
		resp, err = s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if o := s.last(t); resp.StatusCode != 200 || o.err != nil || o.hash != UnsignedPayload || o.sum != sumHex(data) {
			t.Fatalf("PUT %q: %d %+v", key, resp.StatusCode, o)
		}

		// The same URL at other times.
		r := toServer(t, mustRequest(t, "GET", get.URL), nil)
		sr, err := ParseRequest(r)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			at   time.Duration
			code string
		}{
			{-14 * time.Minute, ""}, {0, ""}, {7*24*time.Hour - time.Second, ""}, {7 * 24 * time.Hour, ""},
			{7*24*time.Hour + time.Second, CodeAccessDenied}, {-16 * time.Minute, CodeAccessDenied},
		} {
			if err := CheckTime(sr, sr.Date.Add(c.at)); codeOf(err) != c.code {
				t.Errorf("CheckTime at X-Amz-Date%+v: %v, want %q", c.at, err, c.code)
			}
			_, err := VerifyStreaming(r, sr, testSecret, sr.Date.Add(c.at))
			if codeOf(err) != c.code {
				t.Errorf("VerifyStreaming at X-Amz-Date%+v: %v, want %q", c.at, err, c.code)
			}
		}
		// A changed path or another secret is refused.
		if _, err := VerifyStreaming(r, sr, testSecret+"x", sr.Date); codeOf(err) != CodeSignatureDoesNotMatch {
			t.Errorf("wrong secret: %v", err)
		}
		other := toServer(t, mustRequest(t, "GET", strings.Replace(get.URL, "/bucket/", "/bucket/x", 1)), nil)
		if _, err := VerifyStreaming(other, sr, testSecret, sr.Date); codeOf(err) != CodeSignatureDoesNotMatch {
			t.Errorf("changed path: %v", err)
		}
	}
	// An S3 URL without X-Amz-Expires.
	u, _ := url.Parse("http://127.0.0.1:4599/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20240501%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240501T120000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=" + strings.Repeat("0", 64))
	sr, err := ParseRequest(toServer(t, mustRequest(t, "GET", u.String()), nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckTime(sr, testTime); codeOf(err) != CodeAuthorizationQueryParamsError {
		t.Errorf("no X-Amz-Expires: %v", err)
	}
}

func mustRequest(t *testing.T, method, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestSDKRefusedReachesClient: a body that fails its check is refused with
// S3's code, which the SDK reports.
func TestSDKRefusedReachesClient(t *testing.T) {
	s := newS3Server(t, false, false)
	c := s.client(func(o *s3.Options) {
		// Sign a SHA-256 that is not the body's.
		o.APIOptions = append(o.APIOptions, func(st *middlewareStack) error {
			return st.Finalize.Insert(wrongHashMiddleware{}, "Signing", beforeSigning)
		})
	})
	_, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String("k"), Body: bytes.NewReader([]byte("data"))})
	o := s.last(t)
	if o.code != CodeXAmzContentSHA256Mismatch || err == nil || !strings.Contains(err.Error(), CodeXAmzContentSHA256Mismatch) {
		t.Fatalf("client %v; server %+v", err, o)
	}
}

type middlewareStack = middleware.Stack

const beforeSigning = middleware.Before

// wrongHashMiddleware makes the SDK sign, and send as
// X-Amz-Content-Sha256, the SHA-256 of other bytes than the body.
type wrongHashMiddleware struct{}

func (wrongHashMiddleware) ID() string { return "wrongHash" }

func (wrongHashMiddleware) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	wrong := sumHex([]byte("not the body"))
	if req, ok := in.Request.(*smithyhttp.Request); ok {
		req.Header.Set("X-Amz-Content-Sha256", wrong)
	}
	return next.HandleFinalize(v4.SetPayloadHash(ctx, wrong), in)
}

func s3TypesChecksum(alg string) types.ChecksumAlgorithm { return types.ChecksumAlgorithm(alg) }
