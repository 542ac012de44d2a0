package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"
)

// errorServer answers every request with one error in protocol.
func errorServer(t *testing.T, protocol string, status int, code, message string, queryCode string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if queryCode != "" {
			SetQueryError(w.Header(), queryCode, status)
		}
		WriteError(w, protocol, status, code, message, "req-1234")
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func sdkConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIAEXAMPLEEXAMPLE00", "secret", ""),
		BaseEndpoint:     aws.String(endpoint),
		RetryMaxAttempts: 1,
	}
}

// TestWriteErrorThroughSDKClients points the SDK's own clients of each
// protocol at a server writing an error, and checks that they surface its
// code and message.
func TestWriteErrorThroughSDKClients(t *testing.T) {
	ctx := context.Background()
	const msg = `User: arn:aws:sts::222222222222:assumed-role/bar/s is not authorized to perform: x on resource: "y" <because> & so`
	calls := []struct {
		name, protocol string
		call           func(endpoint string) error
	}{
		{"s3", ProtocolRESTXML, func(ep string) error {
			_, err := s3.NewFromConfig(sdkConfig(ep), func(o *s3.Options) { o.UsePathStyle = true }).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
			return err
		}},
		{"dynamodb", ProtocolJSON, func(ep string) error {
			_, err := dynamodb.NewFromConfig(sdkConfig(ep)).ListTables(ctx, &dynamodb.ListTablesInput{})
			return err
		}},
		{"sqs", ProtocolJSON, func(ep string) error {
			_, err := sqs.NewFromConfig(sdkConfig(ep)).ListQueues(ctx, &sqs.ListQueuesInput{})
			return err
		}},
		{"ecr", ProtocolJSON, func(ep string) error {
			_, err := ecr.NewFromConfig(sdkConfig(ep)).DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{})
			return err
		}},
		{"kms", ProtocolJSON, func(ep string) error {
			_, err := kms.NewFromConfig(sdkConfig(ep)).ListKeys(ctx, &kms.ListKeysInput{})
			return err
		}},
		{"lambda", ProtocolRESTJSON, func(ep string) error {
			_, err := lambda.NewFromConfig(sdkConfig(ep)).ListFunctions(ctx, &lambda.ListFunctionsInput{})
			return err
		}},
		{"eks", ProtocolRESTJSON, func(ep string) error {
			_, err := eks.NewFromConfig(sdkConfig(ep)).ListClusters(ctx, &eks.ListClustersInput{})
			return err
		}},
		{"sns", ProtocolQuery, func(ep string) error {
			_, err := sns.NewFromConfig(sdkConfig(ep)).ListTopics(ctx, &sns.ListTopicsInput{})
			return err
		}},
	}
	for _, c := range calls {
		status, denied := AccessDenied(c.protocol)
		notFound := "ResourceNotFoundException"
		if c.name == "sns" {
			// SNS's modelled not-found error, by its wire code.
			notFound = "NotFound"
		}
		for _, e := range []struct {
			status int
			code   string
		}{
			{status, denied},
			{http.StatusNotFound, notFound}, // modelled: decoded into its type
			{http.StatusBadRequest, "SomethingUnmodelled"},
		} {
			t.Run(c.name+"/"+e.code, func(t *testing.T) {
				err := c.call(errorServer(t, c.protocol, e.status, e.code, msg, ""))
				var ae smithy.APIError
				if !errors.As(err, &ae) {
					t.Fatalf("error %v (%T), want a smithy.APIError", err, err)
				}
				if ae.ErrorCode() != e.code || ae.ErrorMessage() != msg {
					t.Errorf("code %q, message %q; want %q, %q", ae.ErrorCode(), ae.ErrorMessage(), e.code, msg)
				}
			})
		}
	}
	// SQS speaks JSON but its older SDKs know Query codes: with
	// x-amzn-query-error, the Go SDK reports the Query code.
	t.Run("sqs/query-compatible", func(t *testing.T) {
		_, err := sqs.NewFromConfig(sdkConfig(errorServer(t, ProtocolJSON, 403, "AccessDeniedException", msg, "AccessDenied"))).ListQueues(ctx, &sqs.ListQueuesInput{})
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" || ae.ErrorMessage() != msg {
			t.Fatalf("got %v, want AccessDenied: %s", err, msg)
		}
	})
}

// TestAccessDeniedForms pins each protocol's refusal.
func TestAccessDeniedForms(t *testing.T) {
	for _, c := range []struct {
		protocol string
		status   int
		code     string
	}{
		{ProtocolRESTXML, 403, "AccessDenied"},
		{ProtocolJSON, 400, "AccessDeniedException"},
		{ProtocolRESTJSON, 403, "AccessDeniedException"},
		{ProtocolQuery, 403, "AccessDenied"},
		{ProtocolEC2, 403, "UnauthorizedOperation"},
	} {
		rec := httptest.NewRecorder()
		WriteAccessDenied(rec, c.protocol, "no", "rid")
		if status, code := AccessDenied(c.protocol); status != c.status || code != c.code || rec.Code != c.status {
			t.Errorf("%s: %d %s (written %d), want %d %s", c.protocol, status, code, rec.Code, c.status, c.code)
		}
		if !strings.Contains(rec.Body.String()+rec.Header().Get("X-Amzn-ErrorType"), c.code) || rec.Header().Get("x-amzn-RequestId") != "rid" {
			t.Errorf("%s: body %q, headers %v", c.protocol, rec.Body, rec.Header())
		}
	}
}

// botocoreCheck asks botocore's parsers (through boto3 clients) for the
// code and message of each protocol's error, EC2's included, which has no
// Go client here.
const botocoreCheck = `
import json, sys, boto3, botocore.config, botocore.exceptions
eps = json.loads(sys.argv[1])
cfg = botocore.config.Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"})
def client(svc, ep):
    return boto3.client(svc, endpoint_url=ep, region_name="us-east-1", aws_access_key_id="AKIAEXAMPLEEXAMPLE00", aws_secret_access_key="s", config=cfg)
calls = {
    "s3": lambda c: c.get_object(Bucket="b", Key="k"),
    "dynamodb": lambda c: c.list_tables(),
    "sqs": lambda c: c.list_queues(),
    "ecr": lambda c: c.describe_repositories(),
    "lambda": lambda c: c.list_functions(),
    "sns": lambda c: c.list_topics(),
    "ec2": lambda c: c.describe_instances(),
}
out = {}
for svc, ep in eps.items():
    try:
        calls[svc](client(svc, ep))
        out[svc] = None
    except botocore.exceptions.ClientError as e:
        out[svc] = [e.response["Error"]["Code"], e.response["Error"]["Message"], e.response["ResponseMetadata"]["HTTPStatusCode"]]
print(json.dumps(out))
`

// TestWriteErrorThroughBotocore checks every protocol's form against
// botocore's parsers, as the AWS CLI and boto3 read them.
func TestWriteErrorThroughBotocore(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not on PATH: botocore's parsers not checked")
	}
	if err := exec.Command(py, "-c", "import boto3").Run(); err != nil {
		t.Skip("boto3 is not installed for python3: botocore's parsers not checked")
	}
	const msg = `not authorized <to> "do" & that`
	protocols := map[string]string{"s3": ProtocolRESTXML, "dynamodb": ProtocolJSON, "sqs": ProtocolJSON, "ecr": ProtocolJSON, "lambda": ProtocolRESTJSON, "sns": ProtocolQuery, "ec2": ProtocolEC2}
	eps := map[string]string{}
	want := map[string][]any{}
	for svc, p := range protocols {
		status, code := AccessDenied(p)
		eps[svc] = errorServer(t, p, status, code, msg, "")
		want[svc] = []any{code, msg, float64(status)}
	}
	arg, _ := json.Marshal(eps)
	script := filepath.Join(t.TempDir(), "check.py")
	if err := os.WriteFile(script, []byte(botocoreCheck), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, script, string(arg)).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("botocore check: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var got map[string][]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("botocore check printed %q: %v", out, err)
	}
	for svc, w := range want {
		g := got[svc]
		if len(g) != 3 || g[0] != w[0] || g[1] != w[1] || g[2] != w[2] {
			t.Errorf("%s (%s): botocore read %v, want %v", svc, protocols[svc], g, w)
		}
	}
}
