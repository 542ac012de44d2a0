package creds

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// This file holds the test side of S3 signing: a chunk signer written
// from AWS's documentation with crypto/hmac (independent of the
// verifier's own HMAC and string-to-sign code), requests signed by the
// SDK's v4 signer, and the round trip of a client request to the form a
// server receives.

func testHMAC(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

func testSigningKey(secret string, day, region, service string) []byte {
	k := testHMAC([]byte("AWS4"+secret), day)
	k = testHMAC(k, region)
	k = testHMAC(k, service)
	return testHMAC(k, "aws4_request")
}

func hexSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// testChunker signs chunks and trailers as a client does, from a seed.
type testChunker struct {
	key          []byte
	stamp, scope string
	prev         string
}

func newTestChunker(secret string, when time.Time, region, seed string) *testChunker {
	day := when.UTC().Format("20060102")
	return &testChunker{
		key:   testSigningKey(secret, day, region, "s3"),
		stamp: when.UTC().Format("20060102T150405Z"),
		scope: day + "/" + region + "/s3/aws4_request",
		prev:  seed,
	}
}

func (c *testChunker) chunk(data []byte) string {
	sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + c.stamp + "\n" + c.scope + "\n" + c.prev + "\n" + hexSHA256(nil) + "\n" + hexSHA256(data)
	c.prev = hex.EncodeToString(testHMAC(c.key, sts))
	return c.prev
}

func (c *testChunker) trailer(canonical string) string {
	sts := "AWS4-HMAC-SHA256-TRAILER\n" + c.stamp + "\n" + c.scope + "\n" + c.prev + "\n" + hexSHA256([]byte(canonical))
	return hex.EncodeToString(testHMAC(c.key, sts))
}

// encodeChunked frames data as aws-chunked in chunks of chunkSize: signed
// when c is not nil, with trailers (and, signed, the trailer signature when
// signTrailer).
func encodeChunked(c *testChunker, data []byte, chunkSize int, trailers [][2]string, signTrailer bool) []byte {
	var b bytes.Buffer
	for off := 0; off < len(data); off += chunkSize {
		piece := data[off:min(off+chunkSize, len(data))]
		if c != nil {
			fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n", len(piece), c.chunk(piece))
		} else {
			fmt.Fprintf(&b, "%x\r\n", len(piece))
		}
		b.Write(piece)
		b.WriteString("\r\n")
	}
	if c != nil {
		fmt.Fprintf(&b, "0;chunk-signature=%s\r\n", c.chunk(nil))
	} else {
		b.WriteString("0\r\n")
	}
	var canon []string
	for _, tr := range trailers {
		fmt.Fprintf(&b, "%s:%s\r\n", tr[0], tr[1])
		canon = append(canon, tr[0]+":"+tr[1]+"\n")
	}
	if c != nil && signTrailer {
		sort.Strings(canon)
		fmt.Fprintf(&b, "x-amz-trailer-signature:%s\r\n", c.trailer(strings.Join(canon, "")))
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// streamCase is an aws-chunked PutObject signed by the SDK's v4 signer,
// its chunks by testChunker.
type streamCase struct {
	hash       string // X-Amz-Content-Sha256
	data       []byte
	chunkSize  int
	trailers   [][2]string
	decodedLen string // X-Amz-Decoded-Content-Length; len(data) when ""
	noDecoded  bool   // leave X-Amz-Decoded-Content-Length out
	path       string // the object path; /bucket/key when ""
}

// signStreaming returns the signed request as a client holds it and its
// encoded body.
func signStreaming(t testing.TB, c streamCase, when time.Time) (*http.Request, []byte) {
	t.Helper()
	signed := c.hash != StreamingUnsignedPayloadTrailer
	trailered := c.hash != StreamingPayload
	path := c.path
	if path == "" {
		path = "/bucket/key"
	}
	// The encoded length does not depend on the signatures' values.
	var dummy *testChunker
	if signed {
		dummy = newTestChunker("x", when, "us-east-1", strings.Repeat("0", 64))
	}
	length := len(encodeChunked(dummy, c.data, c.chunkSize, c.trailers, signed && trailered))
	req, err := http.NewRequest(http.MethodPut, "http://127.0.0.1:4599"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(length)
	req.Header.Set("Content-Encoding", "aws-chunked")
	req.Header.Set("X-Amz-Content-Sha256", c.hash)
	decoded := c.decodedLen
	if decoded == "" {
		decoded = strconv.Itoa(len(c.data))
	}
	if !c.noDecoded {
		req.Header.Set("X-Amz-Decoded-Content-Length", decoded)
	}
	var names []string
	for _, tr := range c.trailers {
		names = append(names, tr[0])
	}
	if len(names) > 0 {
		req.Header.Set("X-Amz-Trailer", strings.Join(names, ","))
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	cr := aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}
	if err := signer.SignHTTP(context.Background(), cr, req, c.hash, "s3", "us-east-1", when); err != nil {
		t.Fatal(err)
	}
	var chunker *testChunker
	if signed {
		auth := req.Header.Get("Authorization")
		seed := auth[strings.LastIndex(auth, "Signature=")+len("Signature="):]
		chunker = newTestChunker(testSecret, when, "us-east-1", seed)
	}
	body := encodeChunked(chunker, c.data, c.chunkSize, c.trailers, signed && trailered)
	if len(body) != length {
		t.Fatalf("encoded %d bytes, expected %d", len(body), length)
	}
	return req, body
}

// toServer sends req with body over an in-memory wire and returns the
// request a server reads from it.
func toServer(t testing.TB, req *http.Request, body []byte) *http.Request {
	t.Helper()
	out := req.Clone(context.Background())
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.ContentLength = int64(len(body))
	var wire bytes.Buffer
	if err := out.Write(&wire); err != nil {
		t.Fatal(err)
	}
	r, err := http.ReadRequest(bufio.NewReader(&wire))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// readStreaming runs ParseRequest and VerifyStreaming on a server-side
// request at now and reads the wrapped body. It returns the bytes read
// before the error, the Payload, and the error.
func readStreaming(r *http.Request, now time.Time) ([]byte, *Payload, error) {
	sr, err := ParseRequest(r)
	if err != nil {
		return nil, nil, err
	}
	p, err := VerifyStreaming(r, sr, testSecret, now)
	if err != nil {
		return nil, nil, err
	}
	got, err := io.ReadAll(p.Wrap(r.Body))
	return got, p, err
}

// signHeaderS3 signs req for S3 with the SDK's v4 signer, over hash (the
// X-Amz-Content-Sha256 the caller set, or UNSIGNED-PAYLOAD when it set
// none).
func signHeaderS3(t testing.TB, req *http.Request, hash string) {
	t.Helper()
	if hash == "" {
		hash = UnsignedPayload
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	cr := aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}
	if err := signer.SignHTTP(context.Background(), cr, req, hash, "s3", "us-east-1", testTime); err != nil {
		t.Fatal(err)
	}
}
