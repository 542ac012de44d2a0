package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"
	"testing/iotest"

	"github.com/assumed-dev/assumed/internal/backend"
)

func TestStripPresign(t *testing.T) {
	for in, want := range map[string]string{
		"":            "",
		"list-type=2": "list-type=2",
		"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=K%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&response-content-type=a%2Fb&X-Amz-Signature=ab&X-Amz-Security-Token=t%2B": "response-content-type=a%2Fb",
		"x-amz-signature=1&a=%2B&b": "a=%2B&b",
		"X-Amz-Meta-x=1&uploads":    "X-Amz-Meta-x=1&uploads",
		"X-Amz%2DSignature=1&k=v":   "k=v",
	} {
		if got := stripPresign(in); got != want {
			t.Errorf("stripPresign(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestVirtualHostBucket(t *testing.T) {
	f := &Forwarder{VirtualHosts: []string{"assumed.test"}}
	for _, c := range []struct{ host, bucket, rest string }{
		{"b.localhost:4599", "b", "localhost:4599"},
		{"my.dotted.bucket.localhost", "my.dotted.bucket", "localhost"},
		{"b.127.0.0.1:4599", "b", "127.0.0.1:4599"},
		{"a.b.10.0.0.1", "a.b", "10.0.0.1"},
		{"Bucket.Assumed.Test:443", "Bucket", "Assumed.Test:443"},
		{"localhost:4599", "", ""},
		{"127.0.0.1:4599", "", ""},
		{"[::1]:4599", "", ""},
		{"example.com", "", ""},
		{".localhost", "", ""},
	} {
		bucket, rest, ok := f.virtualHostBucket(c.host)
		if bucket != c.bucket || rest != c.rest || ok != (c.bucket != "") {
			t.Errorf("%q: %q %q %v, want %q %q", c.host, bucket, rest, ok, c.bucket, c.rest)
		}
	}
}

func TestCopyRequestHeader(t *testing.T) {
	src := http.Header{
		"Authorization":                {"AWS4-HMAC-SHA256 Credential=K/…"},
		"X-Amz-Security-Token":         {"tok"},
		"X-Amz-Date":                   {"20260101T000000Z"},
		"X-Amz-Content-Sha256":         {"STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"},
		"X-Amz-Decoded-Content-Length": {"5"},
		"X-Amz-Trailer":                {"x-amz-checksum-crc32"},
		"X-Amz-Checksum-Crc32":         {"declared"},
		"Content-Encoding":             {"aws-chunked,gzip"},
		"Connection":                   {"keep-alive, X-Hop"},
		"X-Hop":                        {"1"},
		"Te":                           {"trailers"},
		"Expect":                       {"100-continue"},
		"X-Moto-Account-Id":            {"999999999999"},
		"X-Localstack-Tgt-Api":         {"s3"},
		"X-Amz-Meta-Colour":            {"blue"},
		"X-Amz-Sdk-Checksum-Algorithm": {"CRC32"},
		"Content-Md5":                  {"abc"},
	}
	dst := http.Header{}
	copyRequestHeader(dst, src, ForwardRequest{DecodedChunked: true, TrailerHeaders: http.Header{"X-Amz-Checksum-Crc32": nil}})
	want := http.Header{
		"Content-Encoding":             {"gzip"},
		"X-Amz-Meta-Colour":            {"blue"},
		"X-Amz-Sdk-Checksum-Algorithm": {"CRC32"},
		"Content-Md5":                  {"abc"},
		"User-Agent":                   {""},
	}
	if fmt.Sprint(dst) != fmt.Sprint(want) {
		t.Errorf("forwarded\n%v\nwant\n%v", dst, want)
	}
	dst = http.Header{}
	copyRequestHeader(dst, http.Header{"Content-Encoding": {"aws-chunked"}, "User-Agent": {"aws-sdk-go-v2"}}, ForwardRequest{DecodedChunked: true})
	if _, ok := dst["Content-Encoding"]; ok || dst.Get("User-Agent") != "aws-sdk-go-v2" {
		t.Errorf("forwarded %v", dst)
	}
}

func TestCopyResponseHeader(t *testing.T) {
	f := &Forwarder{backend: &backend.Backend{Kind: backend.Moto}}
	dst := http.Header{"X-Amzn-Requestid": {"assumed's"}}
	f.copyHeader(dst, http.Header{
		"X-Amzn-Requestid":  {"moto's"},
		"X-Moto-Something":  {"1"},
		"X-Echo":            {"key " + backend.MotoAccessKeyID},
		"Transfer-Encoding": {"chunked"},
		"Etag":              {`"e"`},
		"Content-Length":    {"3"},
	})
	want := http.Header{"X-Amzn-Requestid": {"moto's"}, "Etag": {`"e"`}, "Content-Length": {"3"}}
	if fmt.Sprint(dst) != fmt.Sprint(want) {
		t.Errorf("copied %v, want %v", dst, want)
	}
}

func TestGuardedBody(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 1000)
	for name, src := range map[string]func() io.Reader{
		"plain":    func() io.Reader { return bytes.NewReader(data) },
		"one byte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(data)) },
		"data+EOF": func() io.Reader { return iotest.DataErrReader(bytes.NewReader(data)) },
		"half":     func() io.Reader { return iotest.HalfReader(bytes.NewReader(data)) },
	} {
		got, err := io.ReadAll(&guardedBody{src: src(), cancel: func() {}, want: int64(len(data))})
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: %d bytes, %v", name, len(got), err)
		}
		// Reading one byte at a time.
		g := &guardedBody{src: src(), cancel: func() {}, want: int64(len(data))}
		got, err = io.ReadAll(iotest.OneByteReader(g))
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s, one byte at a time: %d bytes, %v", name, len(got), err)
		}
	}
	// A failure after the last byte: the last byte is never released.
	canceled := false
	boom := errors.New("bad trailer")
	g := &guardedBody{src: io.MultiReader(bytes.NewReader(data), iotest.ErrReader(boom)), cancel: func() { canceled = true }, want: -1}
	got, err := io.ReadAll(g)
	if !errors.Is(err, boom) || len(got) != len(data)-1 || !canceled || !errors.Is(g.failure(), boom) {
		t.Errorf("failing at the end: %d of %d bytes released, %v, canceled %v", len(got), len(data), err, canceled)
	}
	// A body shorter than its Content-Length fails as S3 says.
	g = &guardedBody{src: bytes.NewReader(data), cancel: func() {}, want: int64(len(data)) + 1}
	got, err = io.ReadAll(g)
	var e *Error
	if !errors.As(err, &e) || e.Code != "IncompleteBody" || len(got) != len(data)-1 {
		t.Errorf("short body: %d bytes released, %v", len(got), err)
	}
}
