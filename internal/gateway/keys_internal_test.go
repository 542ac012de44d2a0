package gateway

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/assumed-dev/assumed/internal/catalog"
	"github.com/assumed-dev/assumed/policy"
)

// The parsing behind serviceKeys, request by request as the catalogue
// identifies them (keys_test.go has the same keys deciding real requests
// through the SDKs).

var (
	keysCatOnce sync.Once
	keysCat     *catalog.Catalog
	keysCatErr  error
)

// keysRequest identifies a request (a JSON 1.0/1.1 call when target is
// set, else a Query form, or a REST request when method is not POST) and
// returns its keys and requestKeys's error.
type keysRequest struct {
	signing, target, method, path, body string
	header                              http.Header
	// partitionKey is the table's partition key name, when known.
	partitionKey string
}

func (kr keysRequest) keys(t testing.TB) (*policy.Context, error) {
	t.Helper()
	keysCatOnce.Do(func() { keysCat, keysCatErr = catalog.Load() })
	if keysCatErr != nil {
		t.Fatal(keysCatErr)
	}
	method, path := kr.method, kr.path
	if method == "" {
		method = http.MethodPost
	}
	if path == "" {
		path = "/"
	}
	r := httptest.NewRequest(method, "http://localhost"+path, strings.NewReader(kr.body))
	switch {
	case kr.target != "":
		r.Header.Set("X-Amz-Target", kr.target)
		r.Header.Set("Content-Type", "application/x-amz-json-1.0")
	case kr.method == "":
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, vs := range kr.header {
		r.Header[k] = vs
	}
	body := []byte(kr.body)
	if kr.signing == "s3" {
		body = nil
	}
	svc, op, params, err := keysCat.Identify(kr.signing, r, []byte(kr.body))
	if err != nil {
		t.Fatalf("identify %s %s: %v", kr.signing, kr.target, err)
	}
	ctx := policy.NewContext()
	err = requestKeys(ctx, svc, op, params, r, body, kr.partitionKey)
	return ctx, err
}

// keyValues returns every key of ctx with its values.
func keyValues(ctx *policy.Context) map[string][]string {
	out := map[string][]string{}
	for _, k := range ctx.Keys() {
		v, _ := ctx.Lookup(k)
		out[k] = v
	}
	return out
}

func ddb(op, body string) keysRequest {
	return keysRequest{signing: "dynamodb", target: "DynamoDB_20120810." + op, body: body}
}

// With the table's partition key known, dynamodb:LeadingKeys holds its
// values alone; a request that doesn't name it (one AWS refuses) keeps
// every key value, and a Query of an index is not given a partition key
// (the gateway passes "" for it).
func TestLeadingKeysWithSchema(t *testing.T) {
	pk := func(req keysRequest) keysRequest { req.partitionKey = "UserId"; return req }
	cases := []struct {
		name string
		req  keysRequest
		want []string
	}{
		{"GetItem, composite key", pk(ddb("GetItem", `{"TableName":"t","Key":{"GameTitle":{"S":"g"},"UserId":{"S":"alice"}}}`)), []string{"alice"}},
		{"DeleteItem, numeric partition key", pk(ddb("DeleteItem", `{"TableName":"t","Key":{"UserId":{"N":"7"},"GameTitle":{"S":"g"}}}`)), []string{"7"}},
		{"UpdateItem", pk(ddb("UpdateItem", `{"TableName":"t","Key":{"UserId":{"S":"alice"},"GameTitle":{"S":"g"}},"UpdateExpression":"SET s = :s","ExpressionAttributeValues":{":s":{"N":"1"}}}`)), []string{"alice"}},
		{"PutItem, other attributes", pk(ddb("PutItem", `{"TableName":"t","Item":{"UserId":{"S":"alice"},"GameTitle":{"S":"bob"},"n":{"N":"1"}}}`)), []string{"alice"}},
		{"PutItem without the partition key: every value", pk(ddb("PutItem", `{"TableName":"t","Item":{"GameTitle":{"S":"bob"}}}`)), []string{"bob"}},
		{"Query, name = placeholder", pk(ddb("Query", `{"TableName":"t","KeyConditionExpression":"UserId = :u AND GameTitle > :g","ExpressionAttributeValues":{":u":{"S":"alice"},":g":{"S":"bob"}}}`)), []string{"alice"}},
		{"Query, placeholder = #name, in parentheses", pk(ddb("Query", `{"TableName":"t","KeyConditionExpression":"(begins_with(GameTitle, :g)) AND (:u=#p)","ExpressionAttributeNames":{"#p":"UserId"},"ExpressionAttributeValues":{":u":{"S":"alice"},":g":{"S":"bob"}}}`)), []string{"alice"}},
		{"Query, a #name for another attribute", pk(ddb("Query", `{"TableName":"t","KeyConditionExpression":"#g = :g AND UserId = :u","ExpressionAttributeNames":{"#g":"GameTitle"},"ExpressionAttributeValues":{":u":{"S":"alice"},":g":{"S":"bob"}}}`)), []string{"alice"}},
		{"Query, KeyConditions", pk(ddb("Query", `{"TableName":"t","KeyConditions":{"GameTitle":{"AttributeValueList":[{"S":"bob"}],"ComparisonOperator":"BEGINS_WITH"},"UserId":{"AttributeValueList":[{"S":"alice"}],"ComparisonOperator":"EQ"}}}`)), []string{"alice"}},
		{"Query, no condition on the partition key: every value", pk(ddb("Query", `{"TableName":"t","KeyConditionExpression":"GameTitle = :g","ExpressionAttributeValues":{":g":{"S":"bob"}}}`)), []string{"bob"}},
		{"unknown schema: every value", ddb("GetItem", `{"TableName":"t","Key":{"GameTitle":{"S":"g"},"UserId":{"S":"alice"}}}`), []string{"g", "alice"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, err := c.req.keys(t)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := ctx.Lookup("dynamodb:LeadingKeys")
			if !slices.Equal(got, c.want) {
				t.Errorf("dynamodb:LeadingKeys %q, want %q", got, c.want)
			}
		})
	}
}

func TestRequestKeys(t *testing.T) {
	cases := []struct {
		name string
		req  keysRequest
		want map[string][]string
	}{
		{"GetItem, one key attribute", ddb("GetItem", `{"TableName":"t","Key":{"pk":{"S":"alice"}}}`),
			map[string][]string{"dynamodb:Select": {"ALL_ATTRIBUTES"}, "dynamodb:LeadingKeys": {"alice"}}},
		{"GetItem, a composite key: both values", ddb("GetItem", `{"TableName":"t","Key":{"pk":{"S":"alice"},"sk":{"N":"42"}}}`),
			map[string][]string{"dynamodb:Select": {"ALL_ATTRIBUTES"}, "dynamodb:LeadingKeys": {"alice", "42"}}},
		{"GetItem, projection with names", ddb("GetItem", `{"TableName":"t","Key":{"pk":{"S":"a"}},"ProjectionExpression":"#n, email, address.city, tags[0]","ExpressionAttributeNames":{"#n":"name"},"ReturnConsumedCapacity":"TOTAL"}`),
			map[string][]string{"dynamodb:Attributes": {"pk", "name", "email", "address", "tags"}, "dynamodb:Select": {"SPECIFIC_ATTRIBUTES"}, "dynamodb:LeadingKeys": {"a"}, "dynamodb:ReturnConsumedCapacity": {"TOTAL"}}},
		{"GetItem, AttributesToGet", ddb("GetItem", `{"TableName":"t","Key":{"pk":{"B":"AAE="}},"AttributesToGet":["pk","x"]}`),
			map[string][]string{"dynamodb:Attributes": {"pk", "x"}, "dynamodb:Select": {"SPECIFIC_ATTRIBUTES"}, "dynamodb:LeadingKeys": {"AAE="}}},
		{"PutItem: every S, N and B value may be the partition key's", ddb("PutItem", `{"TableName":"t","Item":{"pk":{"S":"a"},"n":{"N":"1"},"m":{"M":{"x":{"S":"y"}}},"b":{"BOOL":true}},"ReturnValues":"ALL_OLD"}`),
			map[string][]string{"dynamodb:Attributes": {"pk", "n", "m", "b"}, "dynamodb:LeadingKeys": {"a", "1"}, "dynamodb:ReturnValues": {"ALL_OLD"}}},
		{"UpdateItem: its expression's names", ddb("UpdateItem", `{"TableName":"t","Key":{"pk":{"S":"a"}},"UpdateExpression":"SET #c = if_not_exists(#c, :z) + :one, info.last = :now REMOVE old[1] ADD tally :one","ExpressionAttributeNames":{"#c":"count"},"ExpressionAttributeValues":{":z":{"N":"0"},":one":{"N":"1"},":now":{"S":"x"}}}`),
			map[string][]string{"dynamodb:Attributes": {"pk", "count", "info", "old", "tally"}, "dynamodb:LeadingKeys": {"a"}}},
		{"Query: the key condition's values", ddb("Query", `{"TableName":"t","KeyConditionExpression":"pk = :p AND begins_with(sk, :s)","ExpressionAttributeValues":{":p":{"S":"alice"},":s":{"S":"2024"}},"Select":"COUNT"}`),
			map[string][]string{"dynamodb:LeadingKeys": {"alice", "2024"}, "dynamodb:Select": {"COUNT"}}},
		{"Query: legacy KeyConditions", ddb("Query", `{"TableName":"t","KeyConditions":{"pk":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"bob"}]}}}`),
			map[string][]string{"dynamodb:LeadingKeys": {"bob"}, "dynamodb:Select": {"ALL_ATTRIBUTES"}}},
		{"Scan: no leading keys", ddb("Scan", `{"TableName":"t","Select":"ALL_ATTRIBUTES"}`),
			map[string][]string{"dynamodb:Select": {"ALL_ATTRIBUTES"}}},
		{"Query on an index without a projection", ddb("Query", `{"TableName":"t","IndexName":"i","KeyConditionExpression":"g = :g","ExpressionAttributeValues":{":g":{"S":"x"}}}`),
			map[string][]string{"dynamodb:Select": {"ALL_PROJECTED_ATTRIBUTES"}, "dynamodb:LeadingKeys": {"x"}}},
		{"CreateTable tags", ddb("CreateTable", `{"TableName":"t","Tags":[{"Key":"team","Value":"blue"},{"Key":"env","Value":""}]}`),
			map[string][]string{"aws:RequestTag/team": {"blue"}, "aws:RequestTag/env": {""}, "aws:TagKeys": {"team", "env"}}},
		{"DynamoDB UntagResource", ddb("UntagResource", `{"ResourceArn":"arn:aws:dynamodb:us-east-1:111111111111:table/t","TagKeys":["a","b"]}`),
			map[string][]string{"aws:TagKeys": {"a", "b"}}},
		{"DescribeTable: none", ddb("DescribeTable", `{"TableName":"t"}`), map[string][]string{}},
		{"SQS CreateQueue tags (a map)", keysRequest{signing: "sqs", target: "AmazonSQS.CreateQueue", body: `{"QueueName":"q","tags":{"team":"blue"}}`},
			map[string][]string{"aws:RequestTag/team": {"blue"}, "aws:TagKeys": {"team"}}},
		{"SQS CreateQueue without tags", keysRequest{signing: "sqs", target: "AmazonSQS.CreateQueue", body: `{"QueueName":"q"}`}, map[string][]string{}},
		{"SNS CreateTopic tags (a Query form)", keysRequest{signing: "sns", body: "Action=CreateTopic&Version=2010-03-31&Name=t&Tags.member.2.Key=env&Tags.member.2.Value=dev&Tags.member.1.Key=team&Tags.member.1.Value=blue%20sky"},
			map[string][]string{"aws:RequestTag/team": {"blue sky"}, "aws:RequestTag/env": {"dev"}, "aws:TagKeys": {"team", "env"}}},
		{"SNS Subscribe", keysRequest{signing: "sns", body: "Action=Subscribe&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A111111111111%3At&Protocol=https&Endpoint=https%3A%2F%2Fexample.com%2Fhook"},
			map[string][]string{"sns:Protocol": {"https"}, "sns:Endpoint": {"https://example.com/hook"}}},
		{"ECR CreateRepository tags", keysRequest{signing: "ecr", target: "AmazonEC2ContainerRegistry_V20150921.CreateRepository", body: `{"repositoryName":"r","tags":[{"Key":"team","Value":"blue"}]}`},
			map[string][]string{"aws:RequestTag/team": {"blue"}, "aws:TagKeys": {"team"}}},
		{"KMS Encrypt", keysRequest{signing: "kms", target: "TrentService.Encrypt", body: `{"KeyId":"alias/app","Plaintext":"aGk=","EncryptionContext":{"tenant":"acme","purpose":"x"},"EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}`},
			map[string][]string{"kms:EncryptionContext:tenant": {"acme"}, "kms:EncryptionContext:purpose": {"x"}, "kms:EncryptionContextKeys": {"tenant", "purpose"}, "kms:EncryptionAlgorithm": {"SYMMETRIC_DEFAULT"}, "kms:RequestAlias": {"alias/app"}}},
		{"KMS Decrypt without a context", keysRequest{signing: "kms", target: "TrentService.Decrypt", body: `{"CiphertextBlob":"aGk=","KeyId":"arn:aws:kms:us-east-1:111111111111:alias/app"}`},
			map[string][]string{"kms:RequestAlias": {"alias/app"}}},
		{"KMS CreateKey", keysRequest{signing: "kms", target: "TrentService.CreateKey", body: `{"KeySpec":"RSA_2048","KeyUsage":"SIGN_VERIFY","Tags":[{"TagKey":"team","TagValue":"blue"}]}`},
			map[string][]string{"kms:KeySpec": {"RSA_2048"}, "kms:KeyUsage": {"SIGN_VERIFY"}, "kms:CustomerMasterKeyUsage": {"SIGN_VERIFY"}, "aws:RequestTag/team": {"blue"}, "aws:TagKeys": {"team"}}},
		{"KMS CreateGrant", keysRequest{signing: "kms", target: "TrentService.CreateGrant", body: `{"KeyId":"k","GranteePrincipal":"arn:aws:iam::111111111111:role/r","Operations":["Encrypt","Decrypt"],"Constraints":{"EncryptionContextSubset":{"tenant":"acme"}}}`},
			map[string][]string{"kms:GranteePrincipal": {"arn:aws:iam::111111111111:role/r"}, "kms:GrantOperations": {"Encrypt", "Decrypt"}, "kms:GrantConstraintType": {"EncryptionContextSubset"}, "kms:EncryptionContext:tenant": {"acme"}, "kms:EncryptionContextKeys": {"tenant"}}},
		{"KMS Sign", keysRequest{signing: "kms", target: "TrentService.Sign", body: `{"KeyId":"k","Message":"aGk=","SigningAlgorithm":"RSASSA_PSS_SHA_256","MessageType":"RAW"}`},
			map[string][]string{"kms:SigningAlgorithm": {"RSASSA_PSS_SHA_256"}, "kms:MessageType": {"RAW"}}},
		{"Secrets Manager GetSecretValue", keysRequest{signing: "secretsmanager", target: "secretsmanager.GetSecretValue", body: `{"SecretId":"db","VersionStage":"AWSCURRENT"}`},
			map[string][]string{"secretsmanager:SecretId": {"db"}, "secretsmanager:VersionStage": {"AWSCURRENT"}}},
		{"Secrets Manager CreateSecret", keysRequest{signing: "secretsmanager", target: "secretsmanager.CreateSecret", body: `{"Name":"db","Description":"d","KmsKeyId":"arn:aws:kms:us-east-1:111111111111:key/k","AddReplicaRegions":[{"Region":"eu-west-1"}],"Tags":[{"Key":"team","Value":"blue"}]}`},
			map[string][]string{"secretsmanager:Name": {"db"}, "secretsmanager:Description": {"d"}, "secretsmanager:KmsKeyId": {"arn:aws:kms:us-east-1:111111111111:key/k"}, "secretsmanager:KmsKeyArn": {"arn:aws:kms:us-east-1:111111111111:key/k"}, "secretsmanager:AddReplicaRegions": {"eu-west-1"}, "aws:RequestTag/team": {"blue"}, "aws:TagKeys": {"team"}}},
		{"Lambda AddPermission", keysRequest{signing: "lambda", method: "POST", path: "/2015-03-31/functions/f/policy", body: `{"StatementId":"s","Action":"lambda:InvokeFunction","Principal":"s3.amazonaws.com","FunctionUrlAuthType":"NONE"}`},
			map[string][]string{"lambda:Principal": {"s3.amazonaws.com"}, "lambda:FunctionUrlAuthType": {"NONE"}}},
		{"Lambda CreateFunction", keysRequest{signing: "lambda", method: "POST", path: "/2015-03-31/functions", body: `{"FunctionName":"f","Role":"arn:aws:iam::111111111111:role/r","Code":{},"Layers":["arn:aws:lambda:us-east-1:111111111111:layer:l:1"],"VpcConfig":{"SubnetIds":["subnet-1"],"SecurityGroupIds":["sg-1","sg-2"]},"Tags":{"team":"blue"}}`},
			map[string][]string{"lambda:Layer": {"arn:aws:lambda:us-east-1:111111111111:layer:l:1"}, "lambda:SubnetIds": {"subnet-1"}, "lambda:SecurityGroupIds": {"sg-1", "sg-2"}, "aws:RequestTag/team": {"blue"}, "aws:TagKeys": {"team"}}},
		{"S3 PutObject's x-amz-tagging", keysRequest{signing: "s3", method: "PUT", path: "/b/k", header: http.Header{"X-Amz-Tagging": {"team=blue&a%2Fb=c%20d&empty="}}},
			map[string][]string{"s3:RequestObjectTag/team": {"blue"}, "s3:RequestObjectTag/a/b": {"c d"}, "s3:RequestObjectTag/empty": {""}, "s3:RequestObjectTagKeys": {"team", "a/b", "empty"}}},
		{"S3 PutObject without tags", keysRequest{signing: "s3", method: "PUT", path: "/b/k"}, map[string][]string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, err := c.req.keys(t)
			if err != nil {
				t.Fatalf("requestKeys: %v", err)
			}
			got := keyValues(ctx)
			want := map[string][]string{}
			for k, v := range c.want {
				want[k] = v
			}
			// Compare key names case-insensitively, as the context does.
			norm := func(m map[string][]string) map[string][]string {
				out := map[string][]string{}
				for k, v := range m {
					out[strings.ToLower(k)] = v
				}
				return out
			}
			if !reflect.DeepEqual(norm(got), norm(want)) {
				t.Errorf("keys:\n got %v\nwant %v", got, want)
			}
		})
	}
}

// A malformed value the catalogue lets through (it only checks the top
// level) leaves the keys it makes absent and is reported, so that the
// request can be refused; keys from well-formed parameters are still set.
// Why refusal is the only safe answer: absent, the key makes an Allow with
// ForAllValues true and a Deny with StringEquals or ForAnyValue not apply;
// present with any value, it makes a Deny with Null: true not apply.
func TestRequestKeysMalformed(t *testing.T) {
	cases := []struct {
		name   string
		req    keysRequest
		absent []string
		kept   map[string]string
	}{
		{"a Key value missing its colon", ddb("GetItem", `{"TableName":"t","ReturnConsumedCapacity":"TOTAL","Key":{"pk":{"S" "x"}}}`),
			[]string{"dynamodb:LeadingKeys", "dynamodb:Attributes"}, map[string]string{"dynamodb:ReturnConsumedCapacity": "TOTAL", "dynamodb:Select": "ALL_ATTRIBUTES"}},
		{"a trailing comma in a Key value", ddb("GetItem", `{"TableName":"t","Key":{"pk":{"S":"x",}}}`),
			[]string{"dynamodb:LeadingKeys"}, nil},
		{"a key value of the wrong kind", ddb("GetItem", `{"TableName":"t","Key":{"pk":{"S":7}}}`),
			[]string{"dynamodb:LeadingKeys"}, nil},
		{"a bad literal elsewhere in the body", ddb("GetItem", `{"TableName":"t","Key":{"pk":{"S":"x"}},"ExpressionAttributeNames":{"#a":tru}}`),
			[]string{"dynamodb:LeadingKeys"}, nil},
		{"an encryption context that isn't strings", keysRequest{signing: "kms", target: "TrentService.Encrypt", body: `{"KeyId":"k","Plaintext":"aGk=","EncryptionContext":{"tenant":["acme"]}}`},
			[]string{"kms:EncryptionContextKeys", "kms:EncryptionContext:tenant"}, nil},
		{"tags that aren't a list of objects", ddb("CreateTable", `{"TableName":"t","Tags":[{"Key":"team","Value":"blue"},"x"]}`),
			[]string{"aws:TagKeys", "aws:RequestTag/team"}, nil},
		{"a bad escape in the tagging header", keysRequest{signing: "s3", method: "PUT", path: "/b/k", header: http.Header{"X-Amz-Tagging": {"team=blue&x=%zz"}}},
			[]string{"s3:RequestObjectTagKeys"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, err := c.req.keys(t)
			if err == nil {
				t.Fatal("requestKeys: no error for a malformed member")
			}
			for _, k := range c.absent {
				if v, ok := ctx.Lookup(k); ok {
					t.Errorf("%s = %v, want absent", k, v)
				}
			}
			for k, want := range c.kept {
				if v, ok := ctx.Lookup(k); !ok || len(v) != 1 || v[0] != want {
					t.Errorf("%s = %v, want %q", k, v, want)
				}
			}
		})
	}
}

// The scanner accepts exactly what encoding/json accepts.
func TestKeysScannerAgreesWithEncodingJSON(t *testing.T) {
	docs := []string{
		`{}`, ` { } `, `{"a":1}`, `{"a":-0.5e+10,"b":[true,false,null,"x\u00e9\n"],"c":{}}`, `{"a":"é"}`,
		`{"a":1,}`, `{"a" 1}`, `{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":-}`, `{"a":1e}`, `{"a":NaN}`,
		`{"a":"\x"}`, `{"a":"\u12G4"}`, "{\"a\":\"tab\there\"}", `{"a":[1,]}`, `{"a":[1 2]}`, `{"a":tru}`,
		`{"a":nul}`, `{"a":"x"`, `{"a":"x"}}`, `{"a":"x"} x`, `[]`, `"s"`, `{1:2}`, `{"a":{"b":[{"c":[]}]}}`,
	}
	for _, d := range docs {
		err := eachMember([]byte(d), func(_, _ []byte) error { return nil })
		var obj map[string]json.RawMessage
		want := json.Unmarshal([]byte(d), &obj) == nil && strings.HasPrefix(strings.TrimSpace(d), "{")
		if (err == nil) != want {
			t.Errorf("%q: scanner ok=%v, encoding/json ok=%v", d, err == nil, want)
		}
	}
	deep := strings.Repeat("[", maxDepth+2) + strings.Repeat("]", maxDepth+2)
	if eachMember([]byte(`{"a":`+deep+`}`), func(_, _ []byte) error { return nil }) == nil {
		t.Error("a value nested past maxDepth is accepted")
	}
}

func TestExpressionNames(t *testing.T) {
	names := []byte(`{"#a":"alpha","#b":"beta"}`)
	for expr, want := range map[string][]string{
		"x":                                   {"x"},
		"#a, y.z, w[3].v":                     {"alpha", "y", "w"},
		"SET #a = :v, b = list_append(c, :l)": {"alpha", "b", "c"},
		"REMOVE #b[0], d.#a DELETE s :set":    {"beta", "d", "s"},
		"#missing":                            {"#missing"},
	} {
		got, err := expressionNames(nil, expr, names)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%q: %v %v, want %v", expr, got, err, want)
		}
	}
}

// BenchmarkServiceKeysGetItem is what serviceKeys adds to the gateway's
// hot path: a GetItem as the SDK sends it.
func BenchmarkServiceKeysGetItem(b *testing.B) {
	req := ddb("GetItem", `{"Key":{"id":{"S":"item-1"}},"TableName":"bench"}`)
	keysCatOnce.Do(func() { keysCat, keysCatErr = catalog.Load() })
	if keysCatErr != nil {
		b.Fatal(keysCatErr)
	}
	r := httptest.NewRequest(http.MethodPost, "http://localhost/", strings.NewReader(req.body))
	r.Header.Set("X-Amz-Target", req.target)
	body := []byte(req.body)
	svc, op, params, err := keysCat.Identify("dynamodb", r, body)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		ctx := policy.NewContext()
		noKeys(ctx)
		serviceKeys(ctx, svc, op, params, r, body, "")
	}
}

// BenchmarkServiceKeysNone is the same with serviceKeys doing nothing: the
// cost of the context alone, to subtract.
func BenchmarkServiceKeysNone(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		noKeys(policy.NewContext())
	}
}

// noKeys stands for a serviceKeys that sets nothing.
//
//go:noinline
func noKeys(ctx *policy.Context) { ctx.Set("aws:requestedregion", "us-east-1") }
