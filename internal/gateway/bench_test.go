package gateway

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/iam"
	"github.com/assumed-dev/assumed/internal/store/sqlite"
	"github.com/assumed-dev/assumed/internal/world"
)

// The benchmarks below time the gateway's per-request decision without
// I/O: the catalogue's Identify (operation and parameters from the
// request), then authorize (ActionsFor, ResourceARNs, the resource's owner
// and policy, and authz.AuthorizeResource), for requests exactly as the
// SDK signs them. Signature verification (BenchmarkParseVerifySDK in
// internal/creds), reading the body and forwarding are not included.

// benchWorld is the world of the benchmarks:
//
//	A (111111111111): reader, allowed dynamodb:GetItem, PutItem and
//	  CreateTable on table bench (the world of scripts/bench-gateway.sh);
//	  it owns bucket-a, whose bucket policy lets B's fetcher read objects.
//	B (222222222222): fetcher, allowed s3:GetObject on bucket-a's objects.
const benchWorld = `accounts:
  - id: "111111111111"
    name: account-a
    users:
      - name: reader
        access_keys:
          - {id: AKIABENCHREADER00001, secret: benchSecretBenchSecretBenchSecretBench02}
        policies:
          table: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:CreateTable"], Resource: "arn:aws:dynamodb:us-east-1:111111111111:table/bench"}]}
  - id: "222222222222"
    name: account-b
    users:
      - name: fetcher
        access_keys:
          - {id: AKIABENCHFETCHER0001, secret: benchSecretBenchSecretBenchSecretBench03}
        policies:
          objects: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket-a/*"}]}
`

const (
	benchReaderKey  = "AKIABENCHREADER00001"
	benchFetcherKey = "AKIABENCHFETCHER0001"
	benchBucket     = "arn:aws:s3:::bucket-a"
	benchBucketPol  = `{"Version":"2012-10-17","Statement":[{"Sid":"FetcherReads","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:user/fetcher"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-a/*"}]}`
)

// benchGateway returns a gateway (without a backend) over a directory
// built as a server builds it: the world applied through the IAM service,
// and bucket-a recorded as account A's with its bucket policy, as the
// gateway records an accepted PutBucketPolicy.
func benchGateway(tb testing.TB) *Gateway {
	tb.Helper()
	ctx := context.Background()
	dir := tb.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "s.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	key, err := creds.LoadOrCreateMasterKey(filepath.Join(dir, "master.key"))
	if err != nil {
		tb.Fatal(err)
	}
	sealer, err := creds.NewSealer(key)
	if err != nil {
		tb.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := iam.New(ctx, st, sealer, log, Decoders())
	if err != nil {
		tb.Fatal(err)
	}
	w, err := world.Parse("world.yaml", []byte(benchWorld))
	if err != nil {
		tb.Fatal(err)
	}
	if err := svc.ApplyWorld(ctx, "world.yaml", w); err != nil {
		tb.Fatal(err)
	}
	g, err := New(Config{Log: log, Writer: svc.Writer()})
	if err != nil {
		tb.Fatal(err)
	}
	if err := g.recordPolicy(ctx, benchBucket, "111111111111", benchBucketPol); err != nil {
		tb.Fatal(err)
	}
	return g
}

// benchRequest is one request as the server received it.
type benchRequest struct {
	r       *http.Request
	body    []byte
	signing string // the credential scope's service
	key     string // the access key that signed it
}

// recordRequest makes send's one SDK call against a server on loopback
// that keeps the request and answers 500, and returns the request.
func recordRequest(tb testing.TB, signing, key string, send func(aws.Config) error) benchRequest {
	tb.Helper()
	got := make(chan benchRequest, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		select {
		case got <- benchRequest{r: r, body: body, signing: signing, key: key}:
		default:
		}
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	tr := &http.Transport{Proxy: nil, DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext}
	defer tr.CloseIdleConnections()
	cfg := aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(key, "any-secret", ""),
		HTTPClient:       &http.Client{Transport: tr},
		RetryMaxAttempts: 1,
		BaseEndpoint:     aws.String(srv.URL),
	}
	_ = send(cfg) // the 500 is expected
	select {
	case br := <-got:
		if sr, err := creds.ParseRequest(br.r); err != nil || sr.Service != signing {
			tb.Fatalf("the recorded request's signature: %v (service %v)", err, sr)
		}
		return br
	default:
		tb.Fatal("the SDK sent nothing")
		return benchRequest{}
	}
}

// benchGetItem is a DynamoDB GetItem as aws-sdk-go-v2 signs it: account A's
// reader reads an item of its own account's table.
func benchGetItem(tb testing.TB) benchRequest {
	return recordRequest(tb, "dynamodb", benchReaderKey, func(cfg aws.Config) error {
		_, err := dynamodb.NewFromConfig(cfg).GetItem(context.Background(), &dynamodb.GetItemInput{
			TableName: aws.String("bench"),
			Key:       map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: "item-1"}},
		})
		return err
	})
}

// benchGetObject is an S3 GetObject (path style) as aws-sdk-go-v2 signs
// it: account B's fetcher reads an object of account A's bucket, which
// only A's bucket policy allows it to.
func benchGetObject(tb testing.TB) benchRequest {
	return recordRequest(tb, "s3", benchFetcherKey, func(cfg aws.Config) error {
		c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
		_, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("bucket-a"), Key: aws.String("photos/2026/holiday.jpg")})
		return err
	})
}

// decide is the gateway's per-request decision for br: what Serve does
// between verifying the signature and forwarding.
func (g *Gateway) decide(br benchRequest, caller *directory.Caller) (*authorization, error) {
	svc, op, params, err := g.cat.Identify(br.signing, br.r, br.body)
	if err != nil {
		return nil, err
	}
	return g.authorize(br.r, br.body, caller, svc, op, params, caller.Region)
}

// callerOf is the caller of br as the server makes it: the key's
// principal, with the request's origin.
func callerOf(tb testing.TB, g *Gateway, br benchRequest) *directory.Caller {
	tb.Helper()
	snap := g.dir.Snapshot()
	k, ok := snap.AccessKeys[br.key]
	if !ok {
		tb.Fatalf("no access key %s in the directory", br.key)
	}
	c := snap.CallerFor(k)
	c.Region, c.RequestTime = "us-east-1", time.Now()
	if ap, err := netip.ParseAddrPort(br.r.RemoteAddr); err == nil {
		c.SourceIP = ap.Addr().Unmap()
	}
	return c
}

// TestBenchDecisions checks what the benchmarks time: both requests are
// allowed, with the resources and owners expected, and the S3 one only
// thanks to the bucket policy.
func TestBenchDecisions(t *testing.T) {
	g := benchGateway(t)

	get := benchGetItem(t)
	auth, err := g.decide(get, callerOf(t, g, get))
	if err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	if auth.account != "111111111111" || len(auth.resources) != 1 || auth.resources[0] != "arn:aws:dynamodb:us-east-1:111111111111:table/bench" {
		t.Errorf("GetItem: account %s, resources %v", auth.account, auth.resources)
	}

	obj := benchGetObject(t)
	auth, err = g.decide(obj, callerOf(t, g, obj))
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	if auth.account != "111111111111" || len(auth.resources) != 1 || auth.resources[0] != benchBucket+"/photos/2026/holiday.jpg" {
		t.Errorf("GetObject: account %s, resources %v", auth.account, auth.resources)
	}

	if err := g.forgetPolicy(context.Background(), benchBucket); err != nil {
		t.Fatal(err)
	}
	_, err = g.decide(obj, callerOf(t, g, obj))
	if _, ok := err.(*authz.Denied); !ok {
		t.Fatalf("GetObject without the bucket policy: %v, want a refusal", err)
	}
}

func benchDecide(b *testing.B, br benchRequest, g *Gateway) {
	caller := callerOf(b, g, br)
	if _, err := g.decide(br, caller); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.decide(br, caller); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecideDynamoDBGetItem: a user's GetItem on its own account's
// table, allowed by its identity policy.
func BenchmarkDecideDynamoDBGetItem(b *testing.B) {
	g := benchGateway(b)
	benchDecide(b, benchGetItem(b), g)
}

// BenchmarkDecideS3GetObjectCrossAccount: another account's user reads an
// object, allowed by both its identity policy and the bucket policy.
func BenchmarkDecideS3GetObjectCrossAccount(b *testing.B) {
	g := benchGateway(b)
	benchDecide(b, benchGetObject(b), g)
}
