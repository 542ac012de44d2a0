package creds

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// benchBody is an STS AssumeRole form as the SDK sends it.
const benchBody = "Action=AssumeRole&DurationSeconds=3600&ExternalId=ext-123456" +
	"&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess" +
	"&RoleArn=arn%3Aaws%3Aiam%3A%3A111111111111%3Arole%2Fdeploy&RoleSessionName=ci-build-42" +
	"&Tags.member.1.Key=team&Tags.member.1.Value=platform&Tags.member.2.Key=env&Tags.member.2.Value=prod" +
	"&Version=2011-06-15"

// benchToken stands for a sealed session token of realistic length.
var benchToken = string(bytes.Repeat([]byte("IQoJb3JpZ2luX2VjEKf//wEaCXVzLWVhc3QtMSJHMEUCIQ+/="), 12))

// sdkServerRequest returns an STS AssumeRole POST with the headers the
// aws-sdk-go-v2 STS client sends, signed by the SDK's v4 signer with a
// session token, as net/http's server hands it to a handler: written to
// the wire and read back.
func sdkServerRequest(tb testing.TB) (*http.Request, []byte) {
	tb.Helper()
	body := []byte(benchBody)
	req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:4599/", bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Amz-Sdk-Invocation-Id", "3f1c8a2e-5b7d-4c19-9e0a-6d2b4f8c1a73")
	req.Header.Set("Amz-Sdk-Request", "attempt=1; max=3")
	req.Header.Set("User-Agent", "aws-sdk-go-v2/1.47.7 ua/2.1 os/linux lang/go#1.26.8 md/GOOS#linux md/GOARCH#amd64 api/sts#1.51.8 m/E,g")
	req.Header.Set("Content-Length", strconv.Itoa(len(body)))
	sum := sha256.Sum256(body)
	cr := aws.Credentials{AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: testSecret, SessionToken: benchToken}
	if err := v4.NewSigner().SignHTTP(context.Background(), cr, req, hex.EncodeToString(sum[:]), "sts", "us-east-1", testTime); err != nil {
		tb.Fatal(err)
	}
	var wire bytes.Buffer
	if err := req.Write(&wire); err != nil {
		tb.Fatal(err)
	}
	sreq, err := http.ReadRequest(bufio.NewReader(&wire))
	if err != nil {
		tb.Fatal(err)
	}
	sbody, err := io.ReadAll(sreq.Body)
	if err != nil {
		tb.Fatal(err)
	}
	sreq.RemoteAddr = "127.0.0.1:50000"
	return sreq, sbody
}

func TestSDKServerRequestVerifies(t *testing.T) {
	req, body := sdkServerRequest(t)
	sr, err := ParseRequest(req)
	if err != nil {
		t.Fatal(err)
	}
	if sr.SecurityToken != benchToken || len(sr.SignedHeaders) < 7 {
		t.Fatalf("parsed %+v", sr)
	}
	if err := Verify(req, body, sr, testSecret, testTime); err != nil {
		t.Fatal(err)
	}
	if err := Verify(req, body, sr, testSecret+"x", testTime); codeOf(err) != CodeSignatureDoesNotMatch {
		t.Fatalf("wrong secret: %v", err)
	}
}

// BenchmarkParseRequestSDK parses the SigV4 header of an SDK-signed STS
// request.
func BenchmarkParseRequestSDK(b *testing.B) {
	req, _ := sdkServerRequest(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseRequest(req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifySDK verifies the signature of an SDK-signed STS request
// whose signing key is cached.
func BenchmarkVerifySDK(b *testing.B) {
	req, body := sdkServerRequest(b)
	sr, err := ParseRequest(req)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := Verify(req, body, sr, testSecret, testTime); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseVerifySDK is the whole authentication of an SDK-signed
// STS request: ParseRequest, then Verify.
func BenchmarkParseVerifySDK(b *testing.B) {
	req, body := sdkServerRequest(b)
	b.ReportAllocs()
	for b.Loop() {
		sr, err := ParseRequest(req)
		if err != nil {
			b.Fatal(err)
		}
		if err := Verify(req, body, sr, testSecret, testTime); err != nil {
			b.Fatal(err)
		}
	}
}
