package gateway_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// jsonCall sends a JSON-protocol call (target, body) to url, signed with
// the key for service, with extra headers, and returns the answer's
// status and body.
func jsonCall(t *testing.T, url, service, target, keyID, secret string, body []byte, extra map[string]string) (int, []byte) {
	t.Helper()
	return jsonCallWith(t, http.DefaultClient, url, service, target, keyID, secret, body, extra)
}

// jsonCallWith is jsonCall through client.
func jsonCallWith(t *testing.T, client *http.Client, url, service, target, keyID, secret string, body []byte, extra map[string]string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	for k, v := range extra {
		req.Header.Set(k, v)
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}, req, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// atBackend calls moto directly, as account's, bypassing assumed: what a
// backend that held resources before assumed saw them has.
func atBackend(t *testing.T, account, service, target string, in any) {
	t.Helper()
	body, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	status, b := jsonCallWith(t, motoClient, motoURL, service, target, "AKIAMOTOMOTOMOTOMOTO", "x", body, map[string]string{"x-moto-account-id": account})
	if status != http.StatusOK {
		t.Fatalf("%s at the backend: %d %s", target, status, b)
	}
}

// A policy set at the backend before assumed saw it (not through the
// gateway) is asked of the backend and decides: a DynamoDB table's and an
// SQS queue's, each naming B's consumer role.
func TestPolicySetAtTheBackendIsFetched(t *testing.T) {
	env := start(t, servicesWorld)
	ctx := context.Background()
	const account = testenv.AccountA
	const tableARN = "arn:aws:dynamodb:us-east-1:111111111111:table/backend-made"
	atBackend(t, account, "dynamodb", "DynamoDB_20120810.CreateTable", map[string]any{
		"TableName": "backend-made", "BillingMode": "PAY_PER_REQUEST",
		"AttributeDefinitions": []map[string]string{{"AttributeName": "id", "AttributeType": "S"}},
		"KeySchema":            []map[string]string{{"AttributeName": "id", "KeyType": "HASH"}},
	})
	atBackend(t, account, "dynamodb", "DynamoDB_20120810.PutResourcePolicy", map[string]any{
		"ResourceArn": tableARN,
		"Policy":      grant("ConsumerPuts", "Allow", consumerARN, "dynamodb:PutItem", tableARN),
	})
	// The consumer's own side: B allows it to put into A's table.
	if _, err := env.RootIAM(testenv.AccountB).PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("consumer"), PolicyName: aws.String("ddb"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:PutItem","Resource":"` + tableARN + `"}]}`)}); err != nil {
		t.Fatal(err)
	}
	item := map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: "1"}}
	if _, err := dynamodb.NewFromConfig(consumer(env)).PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tableARN), Item: item}); err != nil {
		t.Fatalf("B's consumer through the table policy set at the backend: %v", err)
	}
	// What the policy doesn't allow stays refused, naming the policy's
	// absence of an Allow.
	_, err := dynamodb.NewFromConfig(consumer(env)).DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(tableARN), Key: item})
	denied(t, "a delete the fetched policy doesn't allow", err, "AccessDeniedException", "dynamodb:DeleteItem")

	queueURL := motoURL + "/111111111111/backend-queue"
	atBackend(t, account, "sqs", "AmazonSQS.CreateQueue", map[string]any{"QueueName": "backend-queue", "Attributes": map[string]string{
		"Policy": grant("ConsumerSends", "Allow", consumerARN, "sqs:SendMessage", "arn:aws:sqs:us-east-1:111111111111:backend-queue"),
	}})
	_, err = sqs.NewFromConfig(consumer(env)).SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(env.URL + "/111111111111/backend-queue"), MessageBody: aws.String("hi")})
	if err != nil {
		t.Fatalf("B's consumer through the queue policy set at the backend (%s): %v", queueURL, err)
	}
}
