package gateway_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// A request for another service refused before the gateway sees it (an
// unknown key, no signature, SigV2) is answered in that service's
// protocol, with its own codes: the SDKs surface them as AWS's.
func TestAuthErrorsInTheServicesProtocol(t *testing.T) {
	env := start(t, s3World)
	ctx := context.Background()
	unknown := env.Config("AKIAZZZZZZZZZZZZZZZZ", "nope", "")
	_, err := s3Path(unknown).ListBuckets(ctx, &s3.ListBucketsInput{})
	denied(t, "S3, unknown key", err, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
	_, err = dynamodb.NewFromConfig(unknown).ListTables(ctx, &dynamodb.ListTablesInput{})
	denied(t, "DynamoDB, unknown key", err, "UnrecognizedClientException", "The security token included in the request is invalid")
	// A wrong secret for a known key: the signature can't match.
	wrong := env.Config("AKIAREADER0000000001", "not-the-secret", "")
	_, err = dynamodb.NewFromConfig(wrong).ListTables(ctx, &dynamodb.ListTablesInput{})
	denied(t, "DynamoDB, wrong secret", err, "InvalidSignatureException", "signature")
	_, err = s3Path(wrong).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
	denied(t, "S3, wrong secret", err, "SignatureDoesNotMatch", "signature")

	raw := func(req *http.Request) (int, string) {
		t.Helper()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// Unsigned: S3's XML, DynamoDB's JSON.
	req, _ := http.NewRequest(http.MethodGet, env.URL+"/a-bucket/a-key", nil)
	if status, body := raw(req); status != http.StatusForbidden || !strings.Contains(body, "<Error><Code>AccessDenied</Code>") {
		t.Fatalf("unsigned S3 GET: %d %s", status, body)
	}
	req, _ = http.NewRequest(http.MethodGet, env.URL+"/a-bucket/a-key?AWSAccessKeyId=AKIAREADER0000000001&Expires=2000000000&Signature=abc", nil)
	if status, body := raw(req); status != http.StatusBadRequest || !strings.Contains(body, "<Code>InvalidRequest</Code>") || !strings.Contains(body, "Please use AWS4-HMAC-SHA256") {
		t.Fatalf("SigV2 presigned S3 GET: %d %s", status, body)
	}
	req, _ = http.NewRequest(http.MethodPost, env.URL+"/", strings.NewReader(`{}`))
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810.ListTables")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	if status, body := raw(req); status != http.StatusBadRequest || !strings.Contains(body, `"__type":"MissingAuthenticationTokenException"`) {
		t.Fatalf("unsigned DynamoDB call: %d %s", status, body)
	}
	// IAM's own unsigned call keeps its Query XML.
	req, _ = http.NewRequest(http.MethodPost, env.URL+"/", strings.NewReader("Action=ListRoles&Version=2010-05-08"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if status, body := raw(req); status != http.StatusForbidden || !strings.Contains(body, "<ErrorResponse") || !strings.Contains(body, "MissingAuthenticationToken") {
		t.Fatalf("unsigned IAM call: %d %s", status, body)
	}
}

// A body whose condition-key members can't be read is refused (no state
// of those keys would be safe to decide with), and never forwarded.
func TestUnreadableConditionKeysAreRefused(t *testing.T) {
	env := start(t, s3World)
	keyID, secret := env.RootKey(testenv.AccountA)
	before := forwarded(t, env)
	body := `{"TableName":"orders","Key":{"pk":{"S" "x"}}}`
	status, b := jsonCall(t, env.URL, "dynamodb", "DynamoDB_20120810.GetItem", keyID, secret, []byte(body), nil)
	if status != http.StatusBadRequest || !strings.Contains(string(b), "AccessDeniedException") || !strings.Contains(string(b), "can't read the condition keys") {
		t.Fatalf("got %d %s", status, b)
	}
	if after := forwarded(t, env); after != before {
		t.Fatalf("forwarded: %s before, %s after", before, after)
	}
}
