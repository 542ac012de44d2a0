package catalog

import (
	"net/http/httptest"
	"testing"
)

var benchEnv = Env{Partition: "aws", Region: "us-east-1", Account: "111122223333"}

// benchIdentify measures identification plus mapping plus ARN building,
// the catalogue's share of the gateway's per-request work.
func benchIdentify(b *testing.B, signing, method, target string, header map[string]string, body []byte) {
	c, err := Load()
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		r.Header.Set(k, v)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, op, p, err := c.Identify(signing, r, body)
		if err != nil {
			b.Fatal(err)
		}
		for _, a := range op.ActionsFor(p) {
			if _, err := a.ResourceARNs(p, benchEnv); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkIdentifyDynamoDBGetItem(b *testing.B) {
	benchIdentify(b, "dynamodb", "POST", "/", map[string]string{
		"X-Amz-Target": "DynamoDB_20120810.GetItem",
		"Content-Type": "application/x-amz-json-1.0",
	}, []byte(`{"TableName":"Orders","Key":{"pk":{"S":"customer#42"},"sk":{"S":"order#2024-01-01"}},"ConsistentRead":true,"ProjectionExpression":"#a, #b","ExpressionAttributeNames":{"#a":"total","#b":"status"}}`))
}

func BenchmarkIdentifyS3GetObject(b *testing.B) {
	benchIdentify(b, "s3", "GET", "/photos/2024/01/holiday.jpg?x-id=GetObject", map[string]string{
		"X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD",
		"Range":                "bytes=0-1023",
	}, nil)
}

func BenchmarkIdentifySQSSendMessage(b *testing.B) {
	benchIdentify(b, "sqs", "POST", "/", map[string]string{
		"X-Amz-Target": "AmazonSQS.SendMessage",
	}, []byte(`{"QueueUrl":"https://sqs.us-east-1.amazonaws.com/111122223333/jobs","MessageBody":"hello"}`))
}
