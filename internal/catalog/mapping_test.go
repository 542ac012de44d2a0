package catalog

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

type clients struct {
	s3     *s3.Client
	ddb    *dynamodb.Client
	ecr    *ecr.Client
	sqs    *sqs.Client
	sns    *sns.Client
	kms    *kms.Client
	sm     *secretsmanager.Client
	lambda *lambda.Client
}

var s = aws.String

func str(v string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberS{Value: v} }

const (
	tableARN  = "arn:aws:dynamodb:us-east-1:444455556666:table/Shared"
	keyARN    = "arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	secretARN = "arn:aws:secretsmanager:us-east-1:444455556666:secret:db-pass-AbCdEf"
	fnARN     = "arn:aws:lambda:us-east-1:444455556666:function:worker"
	topicARN  = "arn:aws:sns:us-east-1:444455556666:alerts"
	queueURL  = "https://sqs.us-east-1.amazonaws.com/444455556666/jobs"
)

// mappingCases are representative requests of the eight exact services,
// each sent by the real SDK client, with the actions and resource ARNs it
// must be authorized as (one line per action: "action arn arn ..."), and
// the resource account the request itself names ("" when it doesn't).
var mappingCases = []struct {
	name    string
	call    func(context.Context, *clients) error
	op      string
	want    []string
	account string
}{
	{"s3 GetObject", func(ctx context.Context, c *clients) error {
		_, err := c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: s("photos"), Key: s("2024/a b+c.jpg")})
		return err
	}, "GetObject", []string{"s3:GetObject arn:aws:s3:::photos/2024/a b+c.jpg"}, ""},
	{"s3 GetObject version", func(ctx context.Context, c *clients) error {
		_, err := c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: s("photos"), Key: s("k"), VersionId: s("v1")})
		return err
	}, "GetObject", []string{"s3:GetObjectVersion arn:aws:s3:::photos/k"}, ""},
	{"s3 PutObject", func(ctx context.Context, c *clients) error {
		_, err := c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: s("photos"), Key: s("dir/k.txt"), Body: strings.NewReader("hello")})
		return err
	}, "PutObject", []string{"s3:PutObject arn:aws:s3:::photos/dir/k.txt"}, ""},
	{"s3 PutObject with ACL", func(ctx context.Context, c *clients) error {
		_, err := c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: s("photos"), Key: s("k"), ACL: s3types.ObjectCannedACLPublicRead, Body: strings.NewReader("x")})
		return err
	}, "PutObject", []string{"s3:PutObject arn:aws:s3:::photos/k", "s3:PutObjectAcl arn:aws:s3:::photos/k"}, ""},
	{"s3 ListObjectsV2 prefix", func(ctx context.Context, c *clients) error {
		_, err := c.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: s("photos"), Prefix: s("2024/")})
		return err
	}, "ListObjectsV2", []string{"s3:ListBucket arn:aws:s3:::photos"}, ""},
	{"s3 ListObjects", func(ctx context.Context, c *clients) error {
		_, err := c.s3.ListObjects(ctx, &s3.ListObjectsInput{Bucket: s("photos")})
		return err
	}, "ListObjects", []string{"s3:ListBucket arn:aws:s3:::photos"}, ""},
	{"s3 CreateMultipartUpload", func(ctx context.Context, c *clients) error {
		_, err := c.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: s("b"), Key: s("big")})
		return err
	}, "CreateMultipartUpload", []string{"s3:PutObject arn:aws:s3:::b/big"}, ""},
	{"s3 UploadPart", func(ctx context.Context, c *clients) error {
		_, err := c.s3.UploadPart(ctx, &s3.UploadPartInput{Bucket: s("b"), Key: s("big"), UploadId: s("u1"), PartNumber: aws.Int32(2), Body: strings.NewReader("x")})
		return err
	}, "UploadPart", []string{"s3:PutObject arn:aws:s3:::b/big"}, ""},
	{"s3 CompleteMultipartUpload", func(ctx context.Context, c *clients) error {
		_, err := c.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: s("b"), Key: s("big"), UploadId: s("u1")})
		return err
	}, "CompleteMultipartUpload", []string{"s3:PutObject arn:aws:s3:::b/big"}, ""},
	{"s3 AbortMultipartUpload", func(ctx context.Context, c *clients) error {
		_, err := c.s3.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: s("b"), Key: s("big"), UploadId: s("u1")})
		return err
	}, "AbortMultipartUpload", []string{"s3:AbortMultipartUpload arn:aws:s3:::b/big"}, ""},
	{"s3 ListParts", func(ctx context.Context, c *clients) error {
		_, err := c.s3.ListParts(ctx, &s3.ListPartsInput{Bucket: s("b"), Key: s("big"), UploadId: s("u1")})
		return err
	}, "ListParts", []string{"s3:ListMultipartUploadParts arn:aws:s3:::b/big"}, ""},
	{"s3 ListMultipartUploads", func(ctx context.Context, c *clients) error {
		_, err := c.s3.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: s("b")})
		return err
	}, "ListMultipartUploads", []string{"s3:ListBucketMultipartUploads arn:aws:s3:::b"}, ""},
	{"s3 DeleteObjects", func(ctx context.Context, c *clients) error {
		_, err := c.s3.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: s("b"), Delete: &s3types.Delete{Objects: []s3types.ObjectIdentifier{
			{Key: s("a.txt")}, {Key: s("dir/b.txt")}, {Key: s("c.txt"), VersionId: s("v3")},
		}}})
		return err
	}, "DeleteObjects", []string{"s3:DeleteObject arn:aws:s3:::b/a.txt arn:aws:s3:::b/dir/b.txt", "s3:DeleteObjectVersion arn:aws:s3:::b/c.txt"}, ""},
	{"s3 CopyObject", func(ctx context.Context, c *clients) error {
		_, err := c.s3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: s("dst"), Key: s("copy.txt"), CopySource: s("src/dir/orig%20name.txt")})
		return err
	}, "CopyObject", []string{"s3:PutObject arn:aws:s3:::dst/copy.txt", "s3:GetObject arn:aws:s3:::src/dir/orig name.txt"}, ""},
	{"s3 CopyObject from a version", func(ctx context.Context, c *clients) error {
		_, err := c.s3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: s("dst"), Key: s("copy.txt"), CopySource: s("src/orig.txt?versionId=v9")})
		return err
	}, "CopyObject", []string{"s3:PutObject arn:aws:s3:::dst/copy.txt", "s3:GetObjectVersion arn:aws:s3:::src/orig.txt"}, ""},
	{"s3 PutBucketPolicy", func(ctx context.Context, c *clients) error {
		_, err := c.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: s("b"), Policy: s(`{"Version":"2012-10-17","Statement":[]}`)})
		return err
	}, "PutBucketPolicy", []string{"s3:PutBucketPolicy arn:aws:s3:::b"}, ""},
	{"s3 GetBucketPolicy", func(ctx context.Context, c *clients) error {
		_, err := c.s3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: s("b")})
		return err
	}, "GetBucketPolicy", []string{"s3:GetBucketPolicy arn:aws:s3:::b"}, ""},
	{"s3 CreateBucket", func(ctx context.Context, c *clients) error {
		_, err := c.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: s("new-bucket")})
		return err
	}, "CreateBucket", []string{"s3:CreateBucket arn:aws:s3:::new-bucket"}, ""},
	{"s3 HeadObject", func(ctx context.Context, c *clients) error {
		_, err := c.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: s("b"), Key: s("k")})
		return err
	}, "HeadObject", []string{"s3:GetObject arn:aws:s3:::b/k"}, ""},
	{"s3 HeadBucket", func(ctx context.Context, c *clients) error {
		_, err := c.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: s("b")})
		return err
	}, "HeadBucket", []string{"s3:ListBucket arn:aws:s3:::b"}, ""},
	{"s3 ListBuckets", func(ctx context.Context, c *clients) error {
		_, err := c.s3.ListBuckets(ctx, &s3.ListBucketsInput{})
		return err
	}, "ListBuckets", []string{"s3:ListAllMyBuckets *"}, ""},
	{"s3 GetBucketLocation", func(ctx context.Context, c *clients) error {
		_, err := c.s3.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: s("b")})
		return err
	}, "GetBucketLocation", []string{"s3:GetBucketLocation arn:aws:s3:::b"}, ""},
	{"s3 GetObjectAcl", func(ctx context.Context, c *clients) error {
		_, err := c.s3.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: s("b"), Key: s("k")})
		return err
	}, "GetObjectAcl", []string{"s3:GetObjectAcl arn:aws:s3:::b/k"}, ""},

	{"dynamodb PutItem", func(ctx context.Context, c *clients) error {
		_, err := c.ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: s("Orders"), Item: map[string]ddbtypes.AttributeValue{"pk": str("1")}})
		return err
	}, "PutItem", []string{"dynamodb:PutItem arn:aws:dynamodb:us-east-1:111122223333:table/Orders"}, ""},
	{"dynamodb GetItem", func(ctx context.Context, c *clients) error {
		_, err := c.ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: s("Orders"), Key: map[string]ddbtypes.AttributeValue{"pk": str("1")}})
		return err
	}, "GetItem", []string{"dynamodb:GetItem arn:aws:dynamodb:us-east-1:111122223333:table/Orders"}, ""},
	{"dynamodb Query with a table ARN", func(ctx context.Context, c *clients) error {
		_, err := c.ddb.Query(ctx, &dynamodb.QueryInput{TableName: s(tableARN), KeyConditionExpression: s("pk = :v"),
			ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":v": str("1")}})
		return err
	}, "Query", []string{"dynamodb:Query " + tableARN}, "444455556666"},
	{"dynamodb Query an index of a table ARN", func(ctx context.Context, c *clients) error {
		_, err := c.ddb.Query(ctx, &dynamodb.QueryInput{TableName: s(tableARN), IndexName: s("byDate"), KeyConditionExpression: s("d = :v"),
			ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":v": str("1")}})
		return err
	}, "Query", []string{"dynamodb:Query " + tableARN + "/index/byDate"}, "444455556666"},
	{"dynamodb BatchWriteItem", func(ctx context.Context, c *clients) error {
		_, err := c.ddb.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]ddbtypes.WriteRequest{
			"Orders": {{PutRequest: &ddbtypes.PutRequest{Item: map[string]ddbtypes.AttributeValue{"pk": str("1")}}}},
			"Audit":  {{DeleteRequest: &ddbtypes.DeleteRequest{Key: map[string]ddbtypes.AttributeValue{"pk": str("2")}}}},
		}})
		return err
	}, "BatchWriteItem", []string{"dynamodb:BatchWriteItem arn:aws:dynamodb:us-east-1:111122223333:table/Audit arn:aws:dynamodb:us-east-1:111122223333:table/Orders"}, ""},
	{"dynamodb TransactWriteItems", func(ctx context.Context, c *clients) error {
		item := map[string]ddbtypes.AttributeValue{"pk": str("1")}
		_, err := c.ddb.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []ddbtypes.TransactWriteItem{
			{Put: &ddbtypes.Put{TableName: s("Orders"), Item: item}},
			{Update: &ddbtypes.Update{TableName: s("Stock"), Key: item, UpdateExpression: s("SET n = n - :one")}},
			{ConditionCheck: &ddbtypes.ConditionCheck{TableName: s(tableARN), Key: item, ConditionExpression: s("attribute_exists(pk)")}},
		}})
		return err
	}, "TransactWriteItems", []string{
		"dynamodb:ConditionCheckItem " + tableARN,
		"dynamodb:PutItem arn:aws:dynamodb:us-east-1:111122223333:table/Orders",
		"dynamodb:UpdateItem arn:aws:dynamodb:us-east-1:111122223333:table/Stock",
	}, "444455556666"},
	{"dynamodb TransactGetItems", func(ctx context.Context, c *clients) error {
		_, err := c.ddb.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: []ddbtypes.TransactGetItem{
			{Get: &ddbtypes.Get{TableName: s("Orders"), Key: map[string]ddbtypes.AttributeValue{"pk": str("1")}}},
		}})
		return err
	}, "TransactGetItems", []string{"dynamodb:GetItem arn:aws:dynamodb:us-east-1:111122223333:table/Orders"}, ""},
	{"dynamodb CreateTable", func(ctx context.Context, c *clients) error {
		_, err := c.ddb.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: s("New"), BillingMode: ddbtypes.BillingModePayPerRequest,
			AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: s("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
			KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: s("pk"), KeyType: ddbtypes.KeyTypeHash}}})
		return err
	}, "CreateTable", []string{"dynamodb:CreateTable arn:aws:dynamodb:us-east-1:111122223333:table/New"}, ""},
	{"dynamodb PutResourcePolicy", func(ctx context.Context, c *clients) error {
		_, err := c.ddb.PutResourcePolicy(ctx, &dynamodb.PutResourcePolicyInput{ResourceArn: s(tableARN), Policy: s("{}")})
		return err
	}, "PutResourcePolicy", []string{"dynamodb:PutResourcePolicy " + tableARN}, "444455556666"},

	{"ecr BatchGetImage", func(ctx context.Context, c *clients) error {
		_, err := c.ecr.BatchGetImage(ctx, &ecr.BatchGetImageInput{RepositoryName: s("app"), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: s("v1")}}})
		return err
	}, "BatchGetImage", []string{"ecr:BatchGetImage arn:aws:ecr:us-east-1:111122223333:repository/app"}, ""},
	{"ecr BatchGetImage in another registry", func(ctx context.Context, c *clients) error {
		_, err := c.ecr.BatchGetImage(ctx, &ecr.BatchGetImageInput{RegistryId: s("444455556666"), RepositoryName: s("team/app"), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: s("v1")}}})
		return err
	}, "BatchGetImage", []string{"ecr:BatchGetImage arn:aws:ecr:us-east-1:444455556666:repository/team/app"}, "444455556666"},
	{"ecr GetDownloadUrlForLayer", func(ctx context.Context, c *clients) error {
		_, err := c.ecr.GetDownloadUrlForLayer(ctx, &ecr.GetDownloadUrlForLayerInput{RepositoryName: s("app"), LayerDigest: s("sha256:00")})
		return err
	}, "GetDownloadUrlForLayer", []string{"ecr:GetDownloadUrlForLayer arn:aws:ecr:us-east-1:111122223333:repository/app"}, ""},
	{"ecr PutImage", func(ctx context.Context, c *clients) error {
		_, err := c.ecr.PutImage(ctx, &ecr.PutImageInput{RepositoryName: s("app"), ImageManifest: s("{}")})
		return err
	}, "PutImage", []string{"ecr:PutImage arn:aws:ecr:us-east-1:111122223333:repository/app"}, ""},
	{"ecr GetAuthorizationToken", func(ctx context.Context, c *clients) error {
		_, err := c.ecr.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
		return err
	}, "GetAuthorizationToken", []string{"ecr:GetAuthorizationToken *"}, ""},
	{"ecr SetRepositoryPolicy with registryId", func(ctx context.Context, c *clients) error {
		_, err := c.ecr.SetRepositoryPolicy(ctx, &ecr.SetRepositoryPolicyInput{RegistryId: s("444455556666"), RepositoryName: s("app"), PolicyText: s("{}")})
		return err
	}, "SetRepositoryPolicy", []string{"ecr:SetRepositoryPolicy arn:aws:ecr:us-east-1:444455556666:repository/app"}, "444455556666"},

	{"sqs SendMessage", func(ctx context.Context, c *clients) error {
		_, err := c.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: s(queueURL), MessageBody: s("hi")})
		return err
	}, "SendMessage", []string{"sqs:SendMessage arn:aws:sqs:us-east-1:444455556666:jobs"}, "444455556666"},
	{"sqs SendMessageBatch", func(ctx context.Context, c *clients) error {
		_, err := c.sqs.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: s(queueURL), Entries: []sqstypes.SendMessageBatchRequestEntry{{Id: s("1"), MessageBody: s("hi")}}})
		return err
	}, "SendMessageBatch", []string{"sqs:SendMessage arn:aws:sqs:us-east-1:444455556666:jobs"}, "444455556666"},
	{"sqs CreateQueue", func(ctx context.Context, c *clients) error {
		_, err := c.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: s("jobs")})
		return err
	}, "CreateQueue", []string{"sqs:CreateQueue arn:aws:sqs:us-east-1:111122223333:jobs"}, ""},

	{"sns Publish", func(ctx context.Context, c *clients) error {
		_, err := c.sns.Publish(ctx, &sns.PublishInput{TopicArn: s(topicARN), Message: s("hi")})
		return err
	}, "Publish", []string{"sns:Publish " + topicARN}, "444455556666"},
	{"sns CreateTopic", func(ctx context.Context, c *clients) error {
		_, err := c.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: s("alerts")})
		return err
	}, "CreateTopic", []string{"sns:CreateTopic arn:aws:sns:us-east-1:111122223333:alerts"}, ""},

	{"kms Encrypt with an alias", func(ctx context.Context, c *clients) error {
		_, err := c.kms.Encrypt(ctx, &kms.EncryptInput{KeyId: s("alias/app"), Plaintext: []byte("x")})
		return err
	}, "Encrypt", []string{"kms:Encrypt arn:aws:kms:us-east-1:111122223333:alias/app"}, ""},
	{"kms Encrypt with a key ARN", func(ctx context.Context, c *clients) error {
		_, err := c.kms.Encrypt(ctx, &kms.EncryptInput{KeyId: s(keyARN), Plaintext: []byte("x")})
		return err
	}, "Encrypt", []string{"kms:Encrypt " + keyARN}, "444455556666"},
	{"kms Decrypt with a key id", func(ctx context.Context, c *clients) error {
		_, err := c.kms.Decrypt(ctx, &kms.DecryptInput{KeyId: s("1234abcd-12ab-34cd-56ef-1234567890ab"), CiphertextBlob: []byte("x")})
		return err
	}, "Decrypt", []string{"kms:Decrypt arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}, ""},
	{"kms ReEncrypt", func(ctx context.Context, c *clients) error {
		_, err := c.kms.ReEncrypt(ctx, &kms.ReEncryptInput{SourceKeyId: s("src-key"), DestinationKeyId: s(keyARN), CiphertextBlob: []byte("x")})
		return err
	}, "ReEncrypt", []string{"kms:ReEncryptFrom arn:aws:kms:us-east-1:111122223333:key/src-key", "kms:ReEncryptTo " + keyARN}, "444455556666"},

	{"secretsmanager GetSecretValue by name", func(ctx context.Context, c *clients) error {
		_, err := c.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: s("db-pass")})
		return err
	}, "GetSecretValue", []string{"secretsmanager:GetSecretValue arn:aws:secretsmanager:us-east-1:111122223333:secret:db-pass"}, ""},
	{"secretsmanager GetSecretValue by ARN", func(ctx context.Context, c *clients) error {
		_, err := c.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: s(secretARN)})
		return err
	}, "GetSecretValue", []string{"secretsmanager:GetSecretValue " + secretARN}, "444455556666"},
	{"secretsmanager CreateSecret", func(ctx context.Context, c *clients) error {
		_, err := c.sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: s("db-pass"), SecretString: s("x")})
		return err
	}, "CreateSecret", []string{"secretsmanager:CreateSecret arn:aws:secretsmanager:us-east-1:111122223333:secret:db-pass"}, ""},

	{"lambda Invoke by name", func(ctx context.Context, c *clients) error {
		_, err := c.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: s("worker"), Payload: []byte(`{"a":1}`)})
		return err
	}, "Invoke", []string{"lambda:InvokeFunction arn:aws:lambda:us-east-1:111122223333:function:worker"}, ""},
	{"lambda Invoke by ARN", func(ctx context.Context, c *clients) error {
		_, err := c.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: s(fnARN)})
		return err
	}, "Invoke", []string{"lambda:InvokeFunction " + fnARN}, "444455556666"},
	{"lambda Invoke an alias", func(ctx context.Context, c *clients) error {
		_, err := c.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: s("worker"), Qualifier: s("prod")})
		return err
	}, "Invoke", []string{"lambda:InvokeFunction arn:aws:lambda:us-east-1:111122223333:function:worker:prod"}, ""},
	{"lambda Invoke by partial ARN", func(ctx context.Context, c *clients) error {
		_, err := c.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: s("444455556666:function:worker")})
		return err
	}, "Invoke", []string{"lambda:InvokeFunction " + fnARN}, "444455556666"},
}

// TestMapping sends each representative request with the real SDK and
// checks the operation, its actions, their resource ARNs and the resource
// account.
func TestMapping(t *testing.T) {
	cat := mustLoad(t)
	rec := newRecorder(t)
	cfg := rec.cfg
	c := &clients{
		s3:     s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }),
		ddb:    dynamodb.NewFromConfig(cfg),
		ecr:    ecr.NewFromConfig(cfg),
		sqs:    sqs.NewFromConfig(cfg),
		sns:    sns.NewFromConfig(cfg),
		kms:    kms.NewFromConfig(cfg),
		sm:     secretsmanager.NewFromConfig(cfg),
		lambda: lambda.NewFromConfig(cfg),
	}
	env := Env{Partition: "aws", Region: "us-east-1", Account: "111122223333"}
	ctx := context.Background()
	for _, tc := range mappingCases {
		t.Run(tc.name, func(t *testing.T) {
			_ = tc.call(ctx, c)
			reqs := rec.take()
			if len(reqs) != 1 {
				t.Fatalf("the SDK sent %d requests", len(reqs))
			}
			r := reqs[0]
			_, op, params, err := cat.Identify(signingName(t, r.req), r.req, r.body)
			if err != nil {
				t.Fatal(err)
			}
			if op.Name != tc.op {
				t.Fatalf("identified %s, want %s", op.Name, tc.op)
			}
			var got []string
			for _, a := range op.ActionsFor(params) {
				arns, err := a.ResourceARNs(params, env)
				if err != nil {
					t.Fatalf("%s: %v", a.Name, err)
				}
				sort.Strings(arns)
				got = append(got, a.Name+" "+strings.Join(arns, " "))
			}
			want := append([]string(nil), tc.want...)
			sort.Strings(got)
			sort.Strings(want)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("actions:\n got  %q\n want %q\n(params %v)", got, want, params)
			}
			if acct := op.ResourceAccount(params); acct != tc.account {
				t.Errorf("ResourceAccount = %q, want %q", acct, tc.account)
			}
		})
	}
}
