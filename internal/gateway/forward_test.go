package gateway_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/assumed-dev/assumed/internal/backend"
	"github.com/assumed-dev/assumed/internal/gateway"
)

// The accounts of the tests, and the access keys their clients sign with.
const (
	accountA = "111111111111"
	accountB = "222222222222"
	keyA     = "AKIAAAAAAAAAAAAAAAAA"
	keyB     = "AKIABBBBBBBBBBBBBBBB"
)

// moto returns a backend for the package's moto_server (TestMain starts
// it), with a request counter of the test's own.
func moto(t *testing.T) *backend.Backend {
	t.Helper()
	if motoURL == "" {
		t.Skip("SKIPPED: moto_server is not on PATH (pip install 'moto[server]'): forwarding is not tested")
	}
	b, err := backend.Start(context.Background(), motoSpec, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b.Kind != backend.Moto {
		t.Fatalf("the backend at %s is %s, not moto", motoSpec, b.Kind)
	}
	return b
}

// testGateway stands where the gateway will: it takes the account from the
// client's access key and forwards everything.
type testGateway struct {
	*httptest.Server
	fwd *gateway.Forwarder
	// wrap, when set, replaces a request's body (to fail it).
	wrap  func(r *http.Request) io.Reader
	hosts chan string // the Host of each request, when not nil
	err   atomic.Value
}

var credentialRE = regexp.MustCompile(`Credential=([^/]+)/[^/]+/([^/]+)/([^/]+)/`)

func newTestGateway(t *testing.T, b *backend.Backend) *testGateway {
	t.Helper()
	g := &testGateway{fwd: gateway.NewForwarder(b, nil)}
	g.Server = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.Close)
	t.Cleanup(g.fwd.Close)
	return g
}

func (g *testGateway) serve(w http.ResponseWriter, r *http.Request) {
	if g.hosts != nil {
		g.hosts <- r.Host
	}
	cred := r.Header.Get("Authorization")
	if cred == "" {
		cred = "Credential=" + r.URL.Query().Get("X-Amz-Credential") + "/"
	}
	m := credentialRE.FindStringSubmatch(cred)
	if m == nil {
		gateway.WriteAccessDenied(w, gateway.ProtocolRESTXML, "unsigned", "test")
		return
	}
	account := map[string]string{keyA: accountA, keyB: accountB}[m[1]]
	protocol := gateway.ProtocolJSON
	if m[3] == "s3" {
		protocol = gateway.ProtocolRESTXML
	}
	if account == "" {
		// A refusal: never forwarded.
		gateway.WriteAccessDenied(w, protocol, "unknown key", "test")
		return
	}
	var body io.Reader = r.Body
	if g.wrap != nil {
		body = g.wrap(r)
	}
	err := g.fwd.Forward(w, r, body, gateway.ForwardRequest{
		Account: account, Region: m[2], SigningName: m[3], Protocol: protocol, RequestID: "test-request",
		ContentLength:  r.ContentLength,
		DecodedChunked: strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked"),
	})
	if err != nil {
		g.err.Store(err)
	}
}

// clientConfig is an SDK configuration for key's account, at endpoint.
func clientConfig(endpoint, key string) aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(key, "client-secret", ""),
		BaseEndpoint:     aws.String(endpoint),
		RetryMaxAttempts: 1,
	}
}

func s3Client(endpoint, key string) *s3.Client {
	return s3.NewFromConfig(clientConfig(endpoint, key), func(o *s3.Options) { o.UsePathStyle = true })
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return fmt.Sprintf("not an API error: %v", err)
}

var nameSeq atomic.Int64

// uniqueName returns a bucket or table name no other test uses.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e9, nameSeq.Add(1))
}

// TestForwardKeepsAccountsApart: what account A creates through the
// forwarder, account B does not see, in DynamoDB and in S3.
func TestForwardKeepsAccountsApart(t *testing.T) {
	b := moto(t)
	g := newTestGateway(t, b)
	ctx := context.Background()
	before := b.Forwarded()

	ddbA := dynamodb.NewFromConfig(clientConfig(g.URL, keyA))
	ddbB := dynamodb.NewFromConfig(clientConfig(g.URL, keyB))
	table := uniqueName("table")
	_, err := ddbA.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatal(err)
	}
	desc, err := ddbA.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	if arn := aws.ToString(desc.Table.TableArn); !strings.Contains(arn, ":"+accountA+":") {
		t.Errorf("table ARN %s is not in account A", arn)
	}
	if _, err := ddbB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}); apiCode(err) != "ResourceNotFoundException" {
		t.Errorf("account B describes A's table: %v", err)
	}
	listB, err := ddbB.ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(listB.TableNames, table) {
		t.Errorf("account B lists A's table: %v", listB.TableNames)
	}
	// B may have a table of the same name: another table.
	if _, err := ddbB.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
	}); err != nil {
		t.Fatalf("account B creates its own table %s: %v", table, err)
	}

	s3A, s3B := s3Client(g.URL, keyA), s3Client(g.URL, keyB)
	bucket := uniqueName("bucket")
	if _, err := s3A.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	names := func(c *s3.Client) []string {
		out, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
		if err != nil {
			t.Fatal(err)
		}
		var ns []string
		for _, b := range out.Buckets {
			ns = append(ns, aws.ToString(b.Name))
		}
		return ns
	}
	if !slices.Contains(names(s3A), bucket) {
		t.Errorf("account A does not list its bucket")
	}
	if slices.Contains(names(s3B), bucket) {
		t.Errorf("account B lists A's bucket")
	}
	// A client can't choose its account by sending moto's header itself.
	sneaky := s3.NewFromConfig(clientConfig(g.URL, keyB), func(o *s3.Options) {
		o.UsePathStyle = true
		o.APIOptions = append(o.APIOptions, smithyhttp.SetHeaderValue("X-Moto-Account-Id", accountA))
	})
	if slices.Contains(names(sneaky), bucket) {
		t.Errorf("a client's own x-moto-account-id header chose the account")
	}
	// A refused request is not forwarded.
	n := b.Forwarded()
	if _, err := s3Client(g.URL, "AKIAUNKNOWNUNKNOWN00").ListBuckets(ctx, &s3.ListBucketsInput{}); apiCode(err) != "AccessDenied" {
		t.Errorf("unknown key: %v", err)
	}
	if b.Forwarded() != n {
		t.Errorf("a refused request reached the backend")
	}
	// CreateTable, DescribeTable ×2, ListTables, CreateTable, CreateBucket,
	// ListBuckets ×3.
	if got := b.Forwarded() - before; got != 9 {
		t.Errorf("forwarded %d requests, want 9", got)
	}
}

// pattern is a seekable reader of size deterministic bytes that holds no
// buffer of them.
type pattern struct{ off, size int64 }

func (p *pattern) Read(b []byte) (int, error) {
	if p.off >= p.size {
		return 0, io.EOF
	}
	n := min(int64(len(b)), p.size-p.off)
	for i := range n {
		b[i] = byte((p.off + i) * 7 % 251)
	}
	p.off += n
	return int(n), nil
}

func (p *pattern) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		p.off = off
	case io.SeekCurrent:
		p.off += off
	case io.SeekEnd:
		p.off = p.size + off
	}
	return p.off, nil
}

// allocated returns the bytes allocated (in all) and in use on the heap.
func allocated() (total, inuse uint64) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc, ms.HeapInuse
}

// TestForwardLargeObjectStreams puts and gets a 64 MiB object through the
// forwarder: it must pass with bounded memory, byte for byte.
func TestForwardLargeObjectStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("a 64 MiB object: not in -short")
	}
	b := moto(t)
	g := newTestGateway(t, b)
	ctx := context.Background()
	c := s3Client(g.URL, keyA)
	bucket := uniqueName("large")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	const size = 64 << 20
	want := sha256.New()
	io.Copy(want, &pattern{size: size})

	runtime.GC()
	total0, inuse0 := allocated()
	// Sample the heap while the object is in flight.
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if _, inuse := allocated(); inuse > peak.Load() {
				peak.Store(inuse)
			}
		}
	}()
	start := time.Now()
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("big"), Body: &pattern{size: size}, ContentLength: aws.Int64(size)}); err != nil {
		t.Fatal(err)
	}
	put := time.Since(start)
	total1, _ := allocated()
	start = time.Now()
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("big")})
	if err != nil {
		t.Fatal(err)
	}
	got := sha256.New()
	n, err := io.Copy(got, out.Body)
	out.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	get := time.Since(start)
	close(stop)
	<-sampled
	total2, _ := allocated()
	if n != size || !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		t.Fatalf("got %d bytes back, not the object put", n)
	}
	putAlloc, getAlloc := total1-total0, total2-total1
	growth := int64(peak.Load()) - int64(inuse0)
	t.Logf("64 MiB: PutObject %s, %.1f MiB allocated; GetObject %s, %.1f MiB allocated; peak heap in use %+.1f MiB over the start (client, forwarder and server in one process)",
		put.Round(time.Millisecond), float64(putAlloc)/(1<<20), get.Round(time.Millisecond), float64(getAlloc)/(1<<20), float64(growth)/(1<<20))
	// Allocated in all, by the SDK client, the test server and the
	// forwarder together: far less than the object, so none of them held
	// it whole.
	if putAlloc > size/16 || getAlloc > size/16 || growth > size/16 {
		t.Errorf("allocated %d bytes for the put and %d for the get, heap grew %d: a 64 MiB object was buffered", putAlloc, getAlloc, growth)
	}
}

// signedRequest is a request signed by key as UNSIGNED-PAYLOAD; n < 0
// sends body chunked.
func signedRequest(t *testing.T, method, url, key string, body io.Reader, n int64, hdr http.Header) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = n
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	creds := aws.Credentials{AccessKeyID: key, SecretAccessKey: "client-secret"}
	if err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).SignHTTP(context.Background(), creds, req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	return req
}

// TestForwardChunkedAndDecoded: a body of unknown length reaches moto
// (chunked transfer), and a decoded aws-chunked body is stored without
// aws-chunked in its Content-Encoding.
func TestForwardChunkedAndDecoded(t *testing.T) {
	b := moto(t)
	g := newTestGateway(t, b)
	ctx := context.Background()
	c := s3Client(g.URL, keyA)
	bucket := uniqueName("chunked")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	const size = 3<<20 + 5
	// An io.Reader of its own, so the client doesn't know its length.
	body := io.MultiReader(&pattern{size: size})
	resp, err := http.DefaultClient.Do(signedRequest(t, http.MethodPut, g.URL+"/"+bucket+"/unknown-length", keyA, body, -1, nil))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT of unknown length: %s", resp.Status)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("unknown-length")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt64(head.ContentLength) != size {
		t.Errorf("stored %d bytes, want %d", aws.ToInt64(head.ContentLength), size)
	}

	// As the gateway hands over a decoded aws-chunked body.
	hdr := http.Header{"Content-Encoding": {"aws-chunked"}, "X-Amz-Decoded-Content-Length": {"5"}, "X-Amz-Trailer": {"x-amz-checksum-crc32"}}
	resp, err = http.DefaultClient.Do(signedRequest(t, http.MethodPut, g.URL+"/"+bucket+"/decoded", keyA, strings.NewReader("hello"), 5, hdr))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT of a decoded aws-chunked body: %s", resp.Status)
	}
	head, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("decoded")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(head.ContentEncoding) != "" || aws.ToInt64(head.ContentLength) != 5 {
		t.Errorf("stored Content-Encoding %q, length %d", aws.ToString(head.ContentEncoding), aws.ToInt64(head.ContentLength))
	}
}

// volatileHeaders differ from one answer to the next.
var volatileHeaders = []string{"Date", "X-Amz-Request-Id", "X-Amz-Id-2", "X-Amzn-Requestid", "Last-Modified"}

var volatileBody = regexp.MustCompile(`<(RequestId|HostId)>[^<]*</(RequestId|HostId)>`)

// TestForwardAnswersUnchanged sends the same requests to moto directly and
// through the forwarder: status, headers and body must match.
func TestForwardAnswersUnchanged(t *testing.T) {
	b := moto(t)
	g := newTestGateway(t, b)
	ctx := context.Background()
	c := s3Client(g.URL, keyA)
	bucket := uniqueName("same")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("dir/a b+c.txt"), Body: strings.NewReader("0123456789"), ContentType: aws.String("text/plain"), Metadata: map[string]string{"colour": "blue"}}); err != nil {
		t.Fatal(err)
	}
	// Through the SDK: a range, and S3's own errors.
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("dir/a b+c.txt"), Range: aws.String("bytes=2-5")})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(data) != "2345" || aws.ToString(out.ContentRange) != "bytes 2-5/10" || out.Metadata["colour"] != "blue" {
		t.Errorf("range: %q, %q, %v", data, aws.ToString(out.ContentRange), out.Metadata)
	}
	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("missing")}); apiCode(err) != "NoSuchKey" {
		t.Errorf("missing key: %v", err)
	}
	if _, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket + "-missing")}); apiCode(err) != "NoSuchBucket" {
		t.Errorf("missing bucket: %v", err)
	}

	// Raw: the same request to moto and through the forwarder.
	for _, c := range []struct {
		method, path string
		hdr          http.Header
		status       int
	}{
		{"GET", "/" + bucket + "/dir/a%20b%2Bc.txt", http.Header{"Range": {"bytes=2-5"}}, 206},
		{"GET", "/" + bucket + "/dir/a%20b%2Bc.txt", nil, 200},
		{"HEAD", "/" + bucket + "/dir/a%20b%2Bc.txt", nil, 200},
		{"GET", "/" + bucket + "/missing", nil, 404},
		{"HEAD", "/" + bucket + "/missing", nil, 404},
		{"GET", "/" + bucket + "?list-type=2&prefix=dir%2F&delimiter=%2F", nil, 200},
		{"GET", "/" + bucket + "/dir/a%20b%2Bc.txt", http.Header{"If-None-Match": {`"781e5e245d69b566979b86e28d23f2c7"`}}, 304},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			via := do(t, signedRequest(t, c.method, g.URL+c.path, keyA, nil, 0, c.hdr))
			direct := signedRequest(t, c.method, b.URL.String()+c.path, keyA, nil, 0, c.hdr)
			b.SetAccount(direct.Header, accountA)
			want := doDirect(t, b, direct)
			if via.status != want.status || via.status != c.status {
				t.Errorf("status %d through the forwarder, %d direct, want %d", via.status, want.status, c.status)
			}
			if !bytes.Equal(via.body, want.body) {
				t.Errorf("body through the forwarder:\n%s\ndirect:\n%s", via.body, want.body)
			}
			for _, k := range volatileHeaders {
				via.header.Del(k)
				want.header.Del(k)
			}
			for k, vs := range want.header {
				if !slices.Equal(via.header[k], vs) {
					t.Errorf("header %s: %q through the forwarder, %q direct", k, via.header[k], vs)
				}
			}
			for k := range via.header {
				if _, ok := want.header[k]; !ok {
					t.Errorf("header %s added by the forwarder", k)
				}
			}
		})
	}
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func do(t *testing.T, req *http.Request) answer {
	t.Helper()
	return roundTrip(t, &http.Transport{DisableCompression: true}, req)
}

// doDirect sends req to b itself (through its socket, if it has one),
// bypassing the forwarder, and returns the answer as do does.
func doDirect(t *testing.T, b *backend.Backend, req *http.Request) answer {
	t.Helper()
	tr := b.Transport()
	tr.DisableCompression = true
	defer tr.CloseIdleConnections()
	return roundTrip(t, tr, req)
}

func roundTrip(t *testing.T, tr *http.Transport, req *http.Request) answer {
	t.Helper()
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, volatileBody.ReplaceAll(body, nil)}
}

// failingBody yields n bytes of the request's body, then fails.
type failingBody struct {
	r   io.Reader
	n   int64
	err error
}

func (f *failingBody) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, f.err
	}
	if int64(len(p)) > f.n {
		p = p[:f.n]
	}
	n, err := f.r.Read(p)
	f.n -= int64(n)
	if err == io.EOF {
		err = nil
	}
	return n, err
}

// TestForwardBodyFailureStoresNothing: a body failing midway, or at its
// very end (a last chunk signature or trailing checksum), aborts the
// upstream request: the client gets the body's error as S3 XML, and moto
// stores nothing.
func TestForwardBodyFailureStoresNothing(t *testing.T) {
	b := moto(t)
	g := newTestGateway(t, b)
	ctx := context.Background()
	c := s3Client(g.URL, keyA)
	bucket := uniqueName("failing")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	const size = 2 << 20
	bad := &gateway.Error{Status: http.StatusForbidden, Code: "SignatureDoesNotMatch", Message: "The chunk signature does not match."}
	for _, c := range []struct {
		name   string
		after  int64
		length int64 // forwarded Content-Length; -1 chunked
	}{
		{"midway", size / 2, size},
		{"at the end", size, size},
		{"at the end, chunked", size, -1},
		{"at once", 0, size},
	} {
		t.Run(c.name, func(t *testing.T) {
			g.wrap = func(r *http.Request) io.Reader {
				if r.Method != http.MethodPut {
					return r.Body
				}
				r.ContentLength = c.length
				return &failingBody{r: r.Body, n: c.after, err: bad}
			}
			defer func() { g.wrap = nil }()
			key := uniqueName("obj")
			resp, err := http.DefaultClient.Do(signedRequest(t, http.MethodPut, g.URL+"/"+bucket+"/"+key, keyA, &pattern{size: size}, size, nil))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "<Code>SignatureDoesNotMatch</Code>") {
				t.Errorf("client got %s: %s", resp.Status, body)
			}
			// moto may take a moment to drop the broken request.
			time.Sleep(100 * time.Millisecond)
			if _, err := s3Client(g.URL, keyA).HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); apiCode(err) != "NotFound" {
				t.Errorf("after a failed body, HeadObject: %v", err)
			}
		})
	}
}

// TestForwardVirtualHostedStyle: BUCKET.localhost:PORT and
// BUCKET.127.0.0.1:PORT reach moto in path style.
func TestForwardVirtualHostedStyle(t *testing.T) {
	b := moto(t)
	g := newTestGateway(t, b)
	ctx := context.Background()
	bucket := uniqueName("vhost")
	if _, err := s3Client(g.URL, keyA).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(g.Listener.Addr().String())
	// Every name dials the test server: *.localhost needs no resolver.
	dialer := &net.Dialer{}
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, g.Listener.Addr().String())
	}}}
	for _, host := range []string{"localhost", "127.0.0.1"} {
		t.Run(host, func(t *testing.T) {
			g.hosts = make(chan string, 10)
			defer func() { g.hosts = nil }()
			cfg := clientConfig("http://"+host+":"+port, keyA)
			cfg.HTTPClient = client
			c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = false })
			key := "v/" + host
			if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(host)}); err != nil {
				t.Fatal(err)
			}
			if h := <-g.hosts; h != bucket+"."+host+":"+port {
				// The SDK uses path style for an IP address: send
				// BUCKET.IP:PORT as a client configured for it would.
				vhost := bucket + "." + host + ":" + port
				resp, err := client.Do(signedRequest(t, http.MethodPut, "http://"+vhost+"/"+key, keyA, strings.NewReader(host), int64(len(host)), nil))
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if h := <-g.hosts; resp.StatusCode != http.StatusOK || h != vhost {
					t.Fatalf("PUT to %s: %s", h, resp.Status)
				}
			}
			// Read back in path style: the same object.
			out, err := s3Client(g.URL, keyA).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(out.Body)
			out.Body.Close()
			if string(data) != host {
				t.Errorf("read %q", data)
			}
		})
	}
}

// TestForwardHost: S3 reaches moto in path style whatever name the client
// used for assumed (moto would read a dotted Host as BUCKET.DOMAIN), while
// other services see the client's Host, so the URLs they answer with
// (SQS queue URLs) lead back to assumed.
func TestForwardHost(t *testing.T) {
	b := moto(t)
	g := newTestGateway(t, b)
	ctx := context.Background()
	_, port, _ := net.SplitHostPort(g.Listener.Addr().String())
	dialer := &net.Dialer{}
	cfg := clientConfig("http://gateway.assumed.test:"+port, keyA)
	cfg.HTTPClient = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, g.Listener.Addr().String())
	}}}
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	bucket := uniqueName("dotted")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3Client(g.URL, keyA).HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")}); err != nil {
		t.Errorf("the object put through a dotted Host: %v", err)
	}
	out, err := sqs.NewFromConfig(cfg).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(uniqueName("queue"))})
	if err != nil {
		t.Fatal(err)
	}
	if u := aws.ToString(out.QueueUrl); !strings.HasPrefix(u, "http://gateway.assumed.test:"+port+"/"+accountA+"/") {
		t.Errorf("queue URL %s does not lead back to the gateway", u)
	}
}

// TestForwardPresigned: a presigned GET URL works through the forwarder,
// its signature parameters not passed on.
func TestForwardPresigned(t *testing.T) {
	b := moto(t)
	g := newTestGateway(t, b)
	ctx := context.Background()
	c := s3Client(g.URL, keyA)
	bucket := uniqueName("presigned")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("presigned!")}); err != nil {
		t.Fatal(err)
	}
	p, err := s3.NewPresignClient(c).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "presigned!" {
		t.Errorf("presigned GET: %s %q %v", resp.Status, body, resp.Header)
	}
}

// TestForwardBackendDown: a backend that does not answer is reported in
// the service's protocol.
func TestForwardBackendDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	b, err := backend.Start(context.Background(), "http://"+addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := newTestGateway(t, b)
	_, err = dynamodb.NewFromConfig(clientConfig(g.URL, keyA)).ListTables(context.Background(), &dynamodb.ListTablesInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ServiceUnavailable" || !strings.Contains(ae.ErrorMessage(), addr) {
		t.Errorf("got %v", err)
	}
	if e, _ := g.err.Load().(error); e == nil {
		t.Error("Forward returned no error")
	}
}
