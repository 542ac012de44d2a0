package gateway_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	sdkeks "github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/assumed-dev/assumed/internal/agent"
	"github.com/assumed-dev/assumed/internal/awsclient"
	"github.com/assumed-dev/assumed/internal/eks"
	"github.com/assumed-dev/assumed/internal/eksauth/wire"
	"github.com/assumed-dev/assumed/internal/testenv"
)

// s3Path is an S3 client for cfg in path style (assumed is reached at
// an IP address).
func s3Path(cfg aws.Config) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
}

// put creates bucket in cfg's account and puts objects into it.
func put(t *testing.T, cfg aws.Config, bucket string, objects map[string]string) {
	t.Helper()
	ctx := context.Background()
	c := s3Path(cfg)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("create bucket %s: %v", bucket, err)
	}
	for k, v := range objects {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: strings.NewReader(v)}); err != nil {
			t.Fatalf("put %s/%s: %v", bucket, k, err)
		}
	}
}

// get reads an object, returning its content or the error.
func get(cfg aws.Config, bucket, key string) (string, error) {
	out, err := s3Path(cfg).GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return "", err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	return string(b), err
}

// forwarded reads the gateway's forwarded-requests counter from the
// server's metrics.
func forwarded(t *testing.T, env *testenv.Env) string {
	t.Helper()
	resp, err := http.Get(env.MetricsURL + "/_assumed/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "assumed_gateway_forwarded_total "); ok {
			return v
		}
	}
	t.Fatalf("no assumed_gateway_forwarded_total in the metrics")
	return ""
}

const s3World = `accounts:
  - id: "111111111111"
    name: account-a
    users:
      - name: reader
        access_keys: [{id: AKIAREADER0000000001, secret: "readerSecretReaderSecretReaderSecretRe01"}]
        policies:
          s3: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}]}'
  - id: "222222222222"
    name: account-b
    users:
      - name: analyst
        access_keys: [{id: AKIAANALYST000000001, secret: "analystSecretAnalystSecretAnalystSecre01"}]
        policies:
          s3: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket","s3:PutObject"],"Resource":"*"}]}'
`

// An S3 bucket is its creator's: another account reads it only through
// its bucket policy (and its own Allow), an explicit Deny in the bucket
// policy wins over any Allow, and s3:prefix conditions on ListObjectsV2
// are the request's prefix.
func TestS3BucketPolicyAcrossAccounts(t *testing.T) {
	env := start(t, s3World)
	ctx := context.Background()
	a := env.RootConfig(testenv.AccountA)
	put(t, a, "a-data", map[string]string{"reports/q1.csv": "q1", "secret/keys.txt": "k"})
	analyst := env.Config("AKIAANALYST000000001", "analystSecretAnalystSecretAnalystSecre01", "")
	reader := env.Config("AKIAREADER0000000001", "readerSecretReaderSecretReaderSecretRe01", "")

	// A's own user, by its identity policy alone.
	if got, err := get(reader, "a-data", "reports/q1.csv"); err != nil || got != "q1" {
		t.Fatalf("A's reader: %q %v", got, err)
	}
	// B's analyst: the bucket is A's (recorded when A created it), and it
	// has no bucket policy yet.
	_, err := get(analyst, "a-data", "reports/q1.csv")
	denied(t, "B without a bucket policy", err, "AccessDenied", `on resource: "arn:aws:s3:::a-data/reports/q1.csv" because no resource-based policy allows the s3:GetObject action`)

	policyDoc := `{"Version":"2012-10-17","Statement":[
		{"Sid":"AnalystReads","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:user/analyst"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::a-data/*"},
		{"Sid":"AnalystListsReports","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:user/analyst"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::a-data","Condition":{"StringLike":{"s3:prefix":"reports/*"}}},
		{"Sid":"NoSecrets","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::a-data/secret/*"}]}`
	if _, err := s3Path(a).PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("a-data"), Policy: aws.String(policyDoc)}); err != nil {
		t.Fatalf("A sets the bucket policy: %v", err)
	}
	if got, err := get(analyst, "a-data", "reports/q1.csv"); err != nil || got != "q1" {
		t.Fatalf("B through the bucket policy: %q %v", got, err)
	}
	_, err = get(analyst, "a-data", "secret/keys.txt")
	denied(t, "B under the explicit deny", err, "AccessDenied", `with an explicit deny in a resource-based policy`)
	_, err = get(reader, "a-data", "secret/keys.txt")
	denied(t, "A's own reader under the explicit deny", err, "AccessDenied", `with an explicit deny in a resource-based policy`)

	list := func(prefix string) error {
		_, err := s3Path(analyst).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("a-data"), Prefix: aws.String(prefix)})
		return err
	}
	if err := list("reports/"); err != nil {
		t.Fatalf("listing the allowed prefix: %v", err)
	}
	denied(t, "listing another prefix", list("secret/"), "AccessDenied", "s3:ListBucket")

	// B may not write into A's bucket: the bucket policy doesn't allow it.
	_, err = s3Path(analyst).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("a-data"), Key: aws.String("x"), Body: strings.NewReader("x")})
	denied(t, "B writes", err, "AccessDenied", "because no resource-based policy allows the s3:PutObject action")

	// Deleting the policy closes the bucket to B again.
	if _, err := s3Path(a).DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String("a-data")}); err != nil {
		t.Fatal(err)
	}
	_, err = get(analyst, "a-data", "reports/q1.csv")
	denied(t, "B after the policy is deleted", err, "AccessDenied", "because no resource-based policy allows the s3:GetObject action")

	// A presigned URL carries its signer's permissions: A's reader's works,
	// B's analyst's is refused.
	presign := func(cfg aws.Config) string {
		req, err := s3.NewPresignClient(s3Path(cfg)).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("a-data"), Key: aws.String("reports/q1.csv")}, s3.WithPresignExpires(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return req.URL
	}
	resp, err := http.Get(presign(reader))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "q1" {
		t.Fatalf("A's presigned GET: %d %s", resp.StatusCode, body)
	}
	resp, err = http.Get(presign(analyst))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !bytes.Contains(body, []byte("<Code>AccessDenied</Code>")) {
		t.Fatalf("B's presigned GET: %d %s", resp.StatusCode, body)
	}
}

// Seed 002 to the end of its chain: a pod in account A's cluster gets,
// through `assumed agent` and the SDK's container provider, the session of
// its Pod Identity target role in account B, and reads B's bucket with it;
// B's bucket policy denying the role wins over the role's own Allow.
func TestSeed002TargetRoleReadsS3(t *testing.T) {
	env := start(t, `accounts:
  - id: "111111111111"
    name: account-a
    clusters: [{name: prod}]
    roles:
      - name: app
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}'
        policies:
          reach-b: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"],"Resource":"arn:aws:iam::222222222222:role/target"}]}'
  - id: "222222222222"
    name: account-b
    roles:
      - name: target
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/app"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{"sts:ExternalId":"us-east-1/111111111111/prod/default/app"}}}]}'
        policies:
          read: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::b-data","arn:aws:s3:::b-data/*"]}]}'
`)
	ctx := context.Background()
	put(t, env.RootConfig(testenv.AccountB), "b-data", map[string]string{"public/a.txt": "A", "private/b.txt": "B"})
	if _, err := sdkeks.NewFromConfig(env.RootConfig(testenv.AccountA)).CreatePodIdentityAssociation(ctx, &sdkeks.CreatePodIdentityAssociationInput{
		ClusterName: aws.String("prod"), Namespace: aws.String("default"), ServiceAccount: aws.String("app"),
		RoleArn: aws.String("arn:aws:iam::111111111111:role/app"), TargetRoleArn: aws.String("arn:aws:iam::222222222222:role/target"),
	}); err != nil {
		t.Fatal(err)
	}
	a := agent.New(agent.Config{
		Cluster:  "prod",
		Upstream: agent.NewEKSAuth(awsclient.FromConfig(env.RootConfig(testenv.AccountA), env.URL)),
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	defer a.Close()
	agentSrv := httptest.NewServer(a.Handler())
	defer agentSrv.Close()
	var tok eks.TokenResponse
	in := eks.TokenRequest{Namespace: "default", ServiceAccount: "app", Audiences: []string{wire.Audience}, PodName: "web-1"}
	if err := awsclient.FromConfig(env.RootConfig(testenv.AccountA), env.URL).PostJSON(ctx, "eks", "/_assumed/clusters/prod/token", in, &tok); err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(tok.Token), 0o600); err != nil {
		t.Fatal(err)
	}
	testenv.PodEnv(t, env.URL, agentSrv.URL+agent.CredentialsPath, tokenFile)
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || !strings.HasPrefix(aws.ToString(id.Arn), "arn:aws:sts::222222222222:assumed-role/target/") {
		t.Fatalf("the pod is %v (%v), want B's target role", id, err)
	}
	if got, err := get(cfg, "b-data", "private/b.txt"); err != nil || got != "B" {
		t.Fatalf("the target role reads B's bucket: %q %v", got, err)
	}
	// B denies the target role the private prefix in the bucket policy.
	deny := `{"Version":"2012-10-17","Statement":[{"Sid":"NotPrivate","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::222222222222:role/target"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b-data/private/*"}]}`
	if _, err := s3Path(env.RootConfig(testenv.AccountB)).PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("b-data"), Policy: aws.String(deny)}); err != nil {
		t.Fatal(err)
	}
	_, err = get(cfg, "b-data", "private/b.txt")
	denied(t, "the bucket policy's deny", err, "AccessDenied", `with an explicit deny in a resource-based policy: bucket policy of b-data (statement "NotPrivate")`)
	if got, err := get(cfg, "b-data", "public/a.txt"); err != nil || got != "A" {
		t.Fatalf("outside the deny: %q %v", got, err)
	}
	// The role reads nothing else: A's objects are A's business.
	_, err = s3Path(cfg).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("b-data"), Prefix: aws.String("public/")})
	if err != nil {
		t.Fatalf("ListObjectsV2 with the role's s3:ListBucket: %v", err)
	}
}

// An operation the catalogue can't map is refused, saying why, and the
// backend receives nothing: DynamoDB's PartiQL ExecuteStatement, whose
// action depends on the statement.
func TestUnmappedOperationIsRefused(t *testing.T) {
	env := start(t, s3World)
	ctx := context.Background()
	before := forwarded(t, env)
	_, err := dynamodb.NewFromConfig(env.RootConfig(testenv.AccountA)).ExecuteStatement(ctx, &dynamodb.ExecuteStatementInput{Statement: aws.String(`SELECT * FROM "orders"`)})
	denied(t, "ExecuteStatement", err, "AccessDeniedException", "assumed has no IAM action for the DynamoDB operation ExecuteStatement")
	// A resource the request doesn't name is refused too: S3 GetObject
	// without… a bucket can't be sent; SQS SendMessage by a URL is fine;
	// ECR DescribeRepositories without names acts on no nameable ARN.
	if after := forwarded(t, env); after != before {
		t.Fatalf("the backend received %s requests before and %s after refusals", before, after)
	}
	// And an allowed call does reach it.
	if _, err := sqs.NewFromConfig(env.RootConfig(testenv.AccountA)).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("q1")}); err != nil {
		t.Fatal(err)
	}
	if after := forwarded(t, env); after == before {
		t.Fatalf("an allowed call was not forwarded (counter %s)", after)
	}
}

// Without a backend, other services' calls are answered in their own
// protocol, saying how to add one.
func TestNoBackendErrorInEachProtocol(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	root := env.RootConfig(testenv.AccountA)
	const want = "--backend moto"
	_, err := s3Path(root).ListBuckets(ctx, &s3.ListBucketsInput{})
	denied(t, "S3 (REST-XML)", err, "NotImplemented", want)
	_, err = dynamodb.NewFromConfig(root).ListTables(ctx, &dynamodb.ListTablesInput{})
	denied(t, "DynamoDB (JSON)", err, "NotImplemented", want)
	_, err = sqs.NewFromConfig(root).ListQueues(ctx, &sqs.ListQueuesInput{})
	denied(t, "SQS (JSON with Query errors)", err, "NotImplemented", want)
}
