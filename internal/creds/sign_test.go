package creds

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// signCase is an outgoing request to sign.
type signCase struct {
	name, service, method, url string
	header                     map[string]string
	body                       string
}

var signCases = []signCase{
	{name: "dynamodb", service: "dynamodb", method: "POST", url: "http://backend.test/",
		header: map[string]string{"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.GetItem"}, body: `{"TableName":"t"}`},
	{name: "rest path escaped twice", service: "lambda", method: "GET", url: "http://backend.test/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A111111111111%3Afunction%3Af/policy?Qualifier=%241"},
	{name: "query with spaces and sorting", service: "sqs", method: "GET", url: "http://backend.test/111111111111/q?b=2&a=x+y&a=%2F&Action=ListQueues"},
	{name: "s3 key escaped once", service: "s3", method: "GET", url: "http://backend.test/bucket/dir/a%20b%2Bc.txt?list-type=2&prefix=a%2Fb",
		header: map[string]string{"X-Amz-Meta-Colour": "  blue   green "}},
	{name: "s3 put", service: "s3", method: "PUT", url: "http://backend.test/bucket/key", header: map[string]string{"Content-Type": "text/plain", "Content-Md5": "XrY7u+Ae7tCTyyK7j1rNww=="}, body: "hello world"},
}

func (c signCase) request(t *testing.T) *http.Request {
	t.Helper()
	r, err := http.NewRequest(c.method, c.url, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.body == "" {
		r.Body, r.ContentLength = http.NoBody, 0
	}
	for k, v := range c.header {
		r.Header.Set(k, v)
	}
	return r
}

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Sign gives the SDK signer's Authorization header when both sign the same
// headers: requests without a body, whose headers are all ones Sign signs
// (the SDK also signs Content-Length).
func TestSignMatchesSDKSigner(t *testing.T) {
	when := time.Date(2026, 12, 2, 7, 30, 15, 0, time.UTC)
	for _, c := range signCases {
		if c.body != "" {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			mine, theirs := c.request(t), c.request(t)
			hash := hashOf("")
			if err := Sign(mine, Signing{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", Region: "eu-west-1", Service: c.service, PayloadHash: hash, Time: when.Add(400 * time.Millisecond)}); err != nil {
				t.Fatal(err)
			}
			theirs.Header.Set("X-Amz-Content-Sha256", hash)
			signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = c.service == "s3" })
			creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}
			if err := signer.SignHTTP(context.Background(), creds, theirs, hash, c.service, "eu-west-1", when); err != nil {
				t.Fatal(err)
			}
			if got, want := mine.Header.Get("Authorization"), theirs.Header.Get("Authorization"); got != want {
				t.Errorf("Authorization\n got %s\nwant %s", got, want)
			}
			if got, want := mine.Header.Get("X-Amz-Date"), theirs.Header.Get("X-Amz-Date"); got != want {
				t.Errorf("X-Amz-Date %s, want %s", got, want)
			}
		})
	}
}

// A request Sign signed verifies as a server receives it, for every case,
// and stops verifying when what was signed changes on the way.
func TestSignVerifiesOnTheWire(t *testing.T) {
	type got struct {
		sr   *SignedRequest
		err  error
		body []byte
	}
	var last got
	tamper := ""
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sr, err := ParseRequest(r)
		if err == nil {
			err = Verify(r, body, sr, "wire-secret", time.Now())
		}
		last = got{sr: sr, err: err, body: body}
	}))
	defer srv.Close()
	for _, c := range signCases {
		for _, tamper = range []string{"", "header", "query"} {
			t.Run(c.name+"/"+tamper, func(t *testing.T) {
				c.url = strings.Replace(c.url, "http://backend.test", srv.URL, 1)
				r := c.request(t)
				if err := Sign(r, Signing{AccessKeyID: "AKIAWIRE", SecretAccessKey: "wire-secret", Region: "us-east-1", Service: c.service, PayloadHash: hashOf(c.body), Time: time.Now()}); err != nil {
					t.Fatal(err)
				}
				switch tamper {
				case "header":
					r.Header.Set("X-Amz-Date", time.Now().Add(-time.Minute).UTC().Format(iso8601Basic))
				case "query":
					r.URL.RawQuery += "&extra=1"
				}
				resp, err := http.DefaultClient.Do(r)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if last.err != nil && tamper == "" {
					t.Fatalf("the signed request does not verify: %v", last.err)
				}
				if last.err == nil && tamper != "" {
					t.Fatalf("a request changed after signing (%s) verifies", tamper)
				}
				if tamper == "" && (last.sr.Service != c.service || last.sr.AccessKeyID != "AKIAWIRE" || !bytes.Equal(last.body, []byte(c.body))) {
					t.Errorf("signed request %+v, body %q", last.sr, last.body)
				}
			})
		}
	}
}

// Sign replaces a signature the request carried, signs UNSIGNED-PAYLOAD
// for S3, and refuses what it can't sign.
func TestSignEdges(t *testing.T) {
	r, _ := http.NewRequest("PUT", "http://backend.test/b/k", nil)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIACLIENT/…")
	r.Header.Set("X-Amz-Security-Token", "client-token")
	if err := Sign(r, Signing{AccessKeyID: "AKIAB", SecretAccessKey: "s", Region: "us-east-1", Service: "s3", PayloadHash: UnsignedPayload, Time: time.Now()}); err != nil {
		t.Fatal(err)
	}
	auth := r.Header.Values("Authorization")
	if len(auth) != 1 || !strings.HasPrefix(auth[0], "AWS4-HMAC-SHA256 Credential=AKIAB/") || !strings.Contains(auth[0], "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,") {
		t.Errorf("Authorization %q", auth)
	}
	if r.Header.Get("X-Amz-Content-Sha256") != UnsignedPayload {
		t.Errorf("X-Amz-Content-Sha256 %q", r.Header.Get("X-Amz-Content-Sha256"))
	}
	for _, s := range []Signing{
		{SecretAccessKey: "s", Region: "us-east-1", Service: "s3", PayloadHash: UnsignedPayload},
		{AccessKeyID: "A", SecretAccessKey: "s", Service: "s3", PayloadHash: UnsignedPayload},
		{AccessKeyID: "A", SecretAccessKey: "s", Region: "us-east-1", Service: "s3"},
	} {
		if err := Sign(r, s); err == nil {
			t.Errorf("Sign(%+v) signed", s)
		}
	}
	bad, _ := http.NewRequest("GET", "http://backend.test/?a=%zz", nil)
	if err := Sign(bad, Signing{AccessKeyID: "A", SecretAccessKey: "s", Region: "us-east-1", Service: "sqs", PayloadHash: hashOf("")}); err == nil || !strings.Contains(err.Error(), "does not decode") {
		t.Errorf("a query that does not decode: %v", err)
	}
}

// BenchmarkSign compares Sign with the SDK's signer on a DynamoDB request.
func BenchmarkSign(b *testing.B) {
	c := signCases[0]
	hash := hashOf(c.body)
	b.Run("creds.Sign", func(b *testing.B) {
		b.ReportAllocs()
		r, _ := http.NewRequest(c.method, c.url, nil)
		for k, v := range c.header {
			r.Header.Set(k, v)
		}
		for b.Loop() {
			if err := Sign(r, Signing{AccessKeyID: "AKIAB", SecretAccessKey: "s", Region: "us-east-1", Service: c.service, PayloadHash: hash, Time: time.Now()}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sdk-v4.SignHTTP", func(b *testing.B) {
		b.ReportAllocs()
		r, _ := http.NewRequest(c.method, c.url, nil)
		for k, v := range c.header {
			r.Header.Set(k, v)
		}
		signer := v4.NewSigner()
		creds := aws.Credentials{AccessKeyID: "AKIAB", SecretAccessKey: "s"}
		for b.Loop() {
			r.Header.Set("X-Amz-Content-Sha256", hash)
			if err := signer.SignHTTP(context.Background(), creds, r, hash, c.service, "us-east-1", time.Now()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
