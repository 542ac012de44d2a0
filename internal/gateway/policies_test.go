package gateway_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// servicesWorld is the world of the resource-policy tests: B's consumer
// role (assumed by B's developer) has an identity policy per service on
// A's resources, which each test removes to show that, across accounts,
// the resource's policy alone is not enough; A's worker role (assumed by
// A's operator) may use A's KMS keys and read A's secrets through its own
// identity policies.
const servicesWorld = `accounts:
  - id: "111111111111"
    name: account-a
    users:
      - name: operator
        access_keys: [{id: AKIAOPERATOR00000001, secret: "operatorSecretOperatorSecretOperatorSe01"}]
        policies:
          assume: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::111111111111:role/worker"}]}'
    roles:
      - name: worker
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/operator"},"Action":"sts:AssumeRole"}]}'
        policies:
          kms: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:Encrypt"],"Resource":"arn:aws:kms:us-east-1:111111111111:key/*"}]}'
          secrets: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["secretsmanager:GetSecretValue"],"Resource":"*"}]}'
  - id: "222222222222"
    name: account-b
    users:
      - name: developer
        access_keys: [{id: AKIADEVELOPER0000001, secret: "developerSecretDeveloperSecretDevelope01"}]
        policies:
          assume: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::222222222222:role/consumer"}]}'
    roles:
      - name: consumer
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:user/developer"},"Action":"sts:AssumeRole"}]}'
        policies:
          sqs: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:111111111111:*"}]}'
          sns: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sns:Publish","Resource":"arn:aws:sns:us-east-1:111111111111:*"}]}'
          secrets: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:us-east-1:111111111111:secret:db-pass-*"}]}'
          kms: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Encrypt","Resource":"arn:aws:kms:us-east-1:111111111111:key/*"}]}'
          lambda: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["lambda:GetFunction","lambda:InvokeFunction"],"Resource":"arn:aws:lambda:us-east-1:111111111111:function:*"}]}'
`

const (
	consumerARN = "arn:aws:iam::222222222222:role/consumer"
	// consumerSession is the start of the consumer role's session ARN, as
	// refusals name the caller.
	consumerSession = "User: arn:aws:sts::222222222222:assumed-role/consumer/"
)

// consumer returns the configuration of B's consumer role, assumed by B's
// developer.
func consumer(env *testenv.Env) aws.Config {
	developer := env.Config("AKIADEVELOPER0000001", "developerSecretDeveloperSecretDevelope01", "")
	return assume(env, developer, consumerARN)
}

// worker returns the configuration of A's worker role, assumed by A's
// operator.
func worker(env *testenv.Env) aws.Config {
	operator := env.Config("AKIAOPERATOR00000001", "operatorSecretOperatorSecretOperatorSe01", "")
	return assume(env, operator, "arn:aws:iam::111111111111:role/worker")
}

// dropConsumerPolicy deletes one of the consumer role's identity policies.
func dropConsumerPolicy(t *testing.T, env *testenv.Env, name string) {
	t.Helper()
	if _, err := env.RootIAM(testenv.AccountB).DeleteRolePolicy(context.Background(), &iam.DeleteRolePolicyInput{RoleName: aws.String("consumer"), PolicyName: aws.String(name)}); err != nil {
		t.Fatalf("B drops consumer's %s policy: %v", name, err)
	}
}

// grant is a resource policy allowing principal action on resource, with
// sid as its statement's Sid.
func grant(sid, effect, principal, action, resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Sid":"` + sid + `","Effect":"` + effect + `","Principal":{"AWS":"` + principal + `"},"Action":"` + action + `","Resource":"` + resource + `"}]}`
}

// SQS: A's queue policy grants B's consumer SendMessage; the consumer
// sends by QueueUrl (the URL names A's account) only while both the queue
// policy and its own identity policy allow. The policy is known from
// SetQueueAttributes and from CreateQueue's Attributes, dropped by an
// empty Policy and with the queue.
func TestSQSQueuePolicyAcrossAccounts(t *testing.T) {
	env := start(t, servicesWorld)
	ctx := context.Background()
	rootA := sqs.NewFromConfig(env.RootConfig(testenv.AccountA))
	b := sqs.NewFromConfig(consumer(env))
	const queueARN = "arn:aws:sqs:us-east-1:111111111111:jobs"

	q, err := rootA.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("jobs")})
	if err != nil {
		t.Fatalf("A creates jobs: %v", err)
	}
	url := aws.ToString(q.QueueUrl)
	t.Cleanup(func() { rootA.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}) })
	if !strings.HasSuffix(url, "/111111111111/jobs") {
		t.Fatalf("A's queue URL %s does not name A's account", url)
	}
	send := func(body string) error {
		_, err := b.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body)})
		return err
	}
	denied(t, "consumer without a queue policy", send("no policy"), "AccessDenied",
		consumerSession)
	denied(t, "consumer without a queue policy", send("no policy"), "AccessDenied",
		"is not authorized to perform: sqs:SendMessage on resource: "+queueARN+" because no resource-based policy allows the sqs:SendMessage action")

	setPolicy := func(doc string) {
		t.Helper()
		if _, err := rootA.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{"Policy": doc}}); err != nil {
			t.Fatalf("A sets jobs' policy: %v", err)
		}
	}
	setPolicy(grant("ConsumerSends", "Allow", consumerARN, "sqs:SendMessage", queueARN))
	if err := send("hello from B"); err != nil {
		t.Fatalf("consumer sends through the queue policy: %v", err)
	}
	got, err := rootA.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
	if err != nil || len(got.Messages) != 1 || aws.ToString(got.Messages[0].Body) != "hello from B" {
		t.Fatalf("A receives B's message: %+v %v", got, err)
	}
	// The queue policy's other actions are not granted.
	_, err = b.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
	denied(t, "consumer receives", err, "AccessDenied", "because no resource-based policy allows the sqs:ReceiveMessage action")

	// An empty Policy attribute removes the policy.
	setPolicy("")
	denied(t, "consumer after the policy's removal", send("removed"), "AccessDenied", "because no resource-based policy allows the sqs:SendMessage action")

	// A queue created with its policy.
	const queue2ARN = "arn:aws:sqs:us-east-1:111111111111:jobs-2"
	createWithPolicy := func() string {
		t.Helper()
		q, err := rootA.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("jobs-2"), Attributes: map[string]string{
			string(sqstypes.QueueAttributeNameVisibilityTimeout): "30",
			string(sqstypes.QueueAttributeNamePolicy):            grant("ConsumerSends", "Allow", consumerARN, "sqs:SendMessage", queue2ARN),
		}})
		if err != nil {
			t.Fatalf("A creates jobs-2 with a policy: %v", err)
		}
		return aws.ToString(q.QueueUrl)
	}
	url2 := createWithPolicy()
	t.Cleanup(func() { rootA.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: aws.String(url2)}) })
	if _, err := b.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url2), MessageBody: aws.String("x")}); err != nil {
		t.Fatalf("consumer sends to a queue created with its policy: %v", err)
	}
	// Deleting the queue forgets its policy: a queue of the same name
	// created without one doesn't inherit it.
	if _, err := rootA.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url2)}); err != nil {
		t.Fatalf("A deletes jobs-2: %v", err)
	}
	if _, err := rootA.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("jobs-2")}); err != nil {
		t.Fatalf("A creates jobs-2 again: %v", err)
	}
	_, err = b.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url2), MessageBody: aws.String("x")})
	denied(t, "consumer sends to the new jobs-2", err, "AccessDenied", "because no resource-based policy allows the sqs:SendMessage action")

	// The queue policy alone is not enough across accounts.
	setPolicy(grant("ConsumerSends", "Allow", consumerARN, "sqs:SendMessage", queueARN))
	if err := send("again"); err != nil {
		t.Fatalf("consumer sends once the policy is back: %v", err)
	}
	dropConsumerPolicy(t, env, "sqs")
	denied(t, "consumer without its identity policy", send("no identity"), "AccessDenied",
		"is not authorized to perform: sqs:SendMessage on resource: "+queueARN+" because no identity-based policy allows the sqs:SendMessage action")
}

// Secrets Manager: A's secret's resource policy, set by the secret's
// name, lets B's consumer read it by its full ARN (…:secret:db-pass-AbCdEf);
// a Deny set by the full ARN stops A's own worker reading it by name.
func TestSecretsManagerResourcePolicyAcrossAccounts(t *testing.T) {
	env := start(t, servicesWorld)
	ctx := context.Background()
	rootA := secretsmanager.NewFromConfig(env.RootConfig(testenv.AccountA))
	b := secretsmanager.NewFromConfig(consumer(env))
	w := secretsmanager.NewFromConfig(worker(env))

	s, err := rootA.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("db-pass"), SecretString: aws.String("hunter2")})
	if err != nil {
		t.Fatalf("A creates db-pass: %v", err)
	}
	secretARN := aws.ToString(s.ARN)
	t.Cleanup(func() {
		rootA.DeleteSecret(context.Background(), &secretsmanager.DeleteSecretInput{SecretId: aws.String(secretARN), ForceDeleteWithoutRecovery: aws.Bool(true)})
	})
	if !strings.HasPrefix(secretARN, "arn:aws:secretsmanager:us-east-1:111111111111:secret:db-pass-") || len(secretARN) != len("arn:aws:secretsmanager:us-east-1:111111111111:secret:db-pass-")+6 {
		t.Fatalf("A's secret's ARN is %s, want …:secret:db-pass-XXXXXX", secretARN)
	}
	read := func(c *secretsmanager.Client, id string) error {
		out, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		if err == nil && aws.ToString(out.SecretString) != "hunter2" {
			t.Fatalf("read %s: got %q", id, aws.ToString(out.SecretString))
		}
		return err
	}
	denied(t, "consumer without a resource policy", read(b, secretARN), "AccessDeniedException",
		"is not authorized to perform: secretsmanager:GetSecretValue on resource: "+secretARN+" because no resource-based policy allows the secretsmanager:GetSecretValue action")

	// Set by name, found by ARN.
	if _, err := rootA.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String("db-pass"),
		ResourcePolicy: aws.String(grant("ConsumerReads", "Allow", consumerARN, "secretsmanager:GetSecretValue", "*"))}); err != nil {
		t.Fatalf("A sets db-pass's policy by name: %v", err)
	}
	if err := read(b, secretARN); err != nil {
		t.Fatalf("consumer reads A's secret by ARN through the policy: %v", err)
	}

	// Set by ARN, found by name: a Deny for A's own worker.
	if err := read(w, "db-pass"); err != nil {
		t.Fatalf("worker reads by name through its identity policy: %v", err)
	}
	if _, err := rootA.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String(secretARN),
		ResourcePolicy: aws.String(`{"Version":"2012-10-17","Statement":[` +
			`{"Sid":"ConsumerReads","Effect":"Allow","Principal":{"AWS":"` + consumerARN + `"},"Action":"secretsmanager:GetSecretValue","Resource":"*"},` +
			`{"Sid":"NotTheWorker","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111111111111:role/worker"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`)}); err != nil {
		t.Fatalf("A sets db-pass's policy by ARN: %v", err)
	}
	denied(t, "worker by name under the Deny", read(w, "db-pass"), "AccessDeniedException",
		"is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:111111111111:secret:db-pass with an explicit deny in a resource-based policy")
	denied(t, "worker by ARN under the Deny", read(w, secretARN), "AccessDeniedException", "with an explicit deny in a resource-based policy")

	// Deleted by ARN: gone under both.
	if _, err := rootA.DeleteResourcePolicy(ctx, &secretsmanager.DeleteResourcePolicyInput{SecretId: aws.String(secretARN)}); err != nil {
		t.Fatalf("A deletes db-pass's policy: %v", err)
	}
	if err := read(w, "db-pass"); err != nil {
		t.Fatalf("worker reads by name once the Deny is gone: %v", err)
	}
	denied(t, "consumer after the policy's deletion", read(b, secretARN), "AccessDeniedException", "because no resource-based policy allows the secretsmanager:GetSecretValue action")

	// The resource policy alone is not enough across accounts.
	if _, err := rootA.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String("db-pass"),
		ResourcePolicy: aws.String(grant("ConsumerReads", "Allow", consumerARN, "secretsmanager:GetSecretValue", "*"))}); err != nil {
		t.Fatalf("A sets db-pass's policy again: %v", err)
	}
	if err := read(b, secretARN); err != nil {
		t.Fatalf("consumer reads once the policy is back: %v", err)
	}
	dropConsumerPolicy(t, env, "secrets")
	denied(t, "consumer without its identity policy", read(b, secretARN), "AccessDeniedException",
		"because no identity-based policy allows the secretsmanager:GetSecretValue action")
}

// KMS: a key policy must allow in every account. A's key whose policy
// names B's consumer lets it encrypt by the key's ARN; a key with AWS's
// default policy (the account's root, delegating to IAM) lets A's worker
// encrypt only through its identity policy, and B not at all, until
// PutKeyPolicy names B's consumer.
func TestKMSKeyPolicy(t *testing.T) {
	env := start(t, servicesWorld)
	ctx := context.Background()
	rootA := kms.NewFromConfig(env.RootConfig(testenv.AccountA))
	b := kms.NewFromConfig(consumer(env))
	w := kms.NewFromConfig(worker(env))
	encrypt := func(c *kms.Client, key string) error {
		out, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(key), Plaintext: []byte("secret")})
		if err == nil && len(out.CiphertextBlob) == 0 {
			t.Fatalf("encrypt with %s: no ciphertext", key)
		}
		return err
	}
	rootAndConsumer := `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"EnableIAMUserPermissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"},` +
		`{"Sid":"ConsumerEncrypts","Effect":"Allow","Principal":{"AWS":"` + consumerARN + `"},"Action":"kms:Encrypt","Resource":"*"}]}`

	// A key created with a policy naming B's consumer.
	k1, err := rootA.CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(rootAndConsumer), Description: aws.String("shared")})
	if err != nil {
		t.Fatalf("A creates a key with its policy: %v", err)
	}
	shared := aws.ToString(k1.KeyMetadata.Arn)
	if err := encrypt(b, shared); err != nil {
		t.Fatalf("consumer encrypts with A's shared key: %v", err)
	}
	// The key policy grants Encrypt only.
	_, err = b.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(shared)})
	denied(t, "consumer describes the shared key", err, "AccessDeniedException", "because no resource-based policy allows the kms:DescribeKey action")

	// A key with the default key policy.
	k2, err := rootA.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("default policy")})
	if err != nil {
		t.Fatalf("A creates a key with the default policy: %v", err)
	}
	own := aws.ToString(k2.KeyMetadata.Arn)
	if err := encrypt(rootA, own); err != nil {
		t.Fatalf("A's root encrypts with the default-policy key: %v", err)
	}
	if err := encrypt(w, own); err != nil {
		t.Fatalf("worker encrypts through the root delegation and its identity policy: %v", err)
	}
	// Across accounts, B's own Allow finds no key policy naming it.
	denied(t, "consumer with the default-policy key", encrypt(b, own), "AccessDeniedException",
		"is not authorized to perform: kms:Encrypt on resource: "+own+" because no resource-based policy allows the kms:Encrypt action")

	// PutKeyPolicy names B's consumer: allowed.
	if _, err := rootA.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: k2.KeyMetadata.KeyId, PolicyName: aws.String("default"), Policy: aws.String(rootAndConsumer)}); err != nil {
		t.Fatalf("A puts the key policy: %v", err)
	}
	if err := encrypt(b, own); err != nil {
		t.Fatalf("consumer encrypts once the key policy names it: %v", err)
	}

	// The root delegation needs the worker's identity policy.
	if _, err := env.RootIAM(testenv.AccountA).DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("worker"), PolicyName: aws.String("kms")}); err != nil {
		t.Fatal(err)
	}
	denied(t, "worker without its identity policy", encrypt(w, own), "AccessDeniedException",
		"is not authorized to perform: kms:Encrypt on resource: "+own+" because no identity-based policy allows the kms:Encrypt action")
	// And across accounts B's own side too.
	dropConsumerPolicy(t, env, "kms")
	denied(t, "consumer without its identity policy", encrypt(b, shared), "AccessDeniedException", "because no identity-based policy allows the kms:Encrypt action")
}

// SNS: A's topic policy, set by SetTopicAttributes or CreateTopic's
// Attributes, lets B's consumer publish by the topic's ARN while its own
// identity policy allows too.
func TestSNSTopicPolicyAcrossAccounts(t *testing.T) {
	env := start(t, servicesWorld)
	ctx := context.Background()
	rootA := sns.NewFromConfig(env.RootConfig(testenv.AccountA))
	b := sns.NewFromConfig(consumer(env))
	const topicARN = "arn:aws:sns:us-east-1:111111111111:alerts"

	tp, err := rootA.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("alerts")})
	if err != nil || aws.ToString(tp.TopicArn) != topicARN {
		t.Fatalf("A creates alerts: %v %v", tp, err)
	}
	t.Cleanup(func() { rootA.DeleteTopic(context.Background(), &sns.DeleteTopicInput{TopicArn: aws.String(topicARN)}) })
	publish := func(arn string) error {
		out, err := b.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("hello from B")})
		if err == nil && aws.ToString(out.MessageId) == "" {
			t.Fatalf("publish to %s: no message ID", arn)
		}
		return err
	}
	// SNS answers refusals as AuthorizationError.
	denied(t, "consumer without a topic policy", publish(topicARN), "AuthorizationError",
		"is not authorized to perform: sns:Publish on resource: "+topicARN+" because no resource-based policy allows the sns:Publish action")

	if _, err := rootA.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: aws.String(topicARN), AttributeName: aws.String("Policy"),
		AttributeValue: aws.String(grant("ConsumerPublishes", "Allow", consumerARN, "sns:Publish", topicARN))}); err != nil {
		t.Fatalf("A sets alerts' policy: %v", err)
	}
	if err := publish(topicARN); err != nil {
		t.Fatalf("consumer publishes through the topic policy: %v", err)
	}
	// Another attribute leaves the policy alone.
	if _, err := rootA.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: aws.String(topicARN), AttributeName: aws.String("DisplayName"), AttributeValue: aws.String("Alerts")}); err != nil {
		t.Fatalf("A sets alerts' display name: %v", err)
	}
	if err := publish(topicARN); err != nil {
		t.Fatalf("consumer publishes after another attribute changed: %v", err)
	}

	// A topic created with its policy.
	const topic2ARN = "arn:aws:sns:us-east-1:111111111111:alerts-2"
	if _, err := rootA.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("alerts-2"), Attributes: map[string]string{
		"DisplayName": "Alerts 2",
		"Policy":      grant("ConsumerPublishes", "Allow", consumerARN, "sns:Publish", topic2ARN),
	}}); err != nil {
		t.Fatalf("A creates alerts-2 with a policy: %v", err)
	}
	t.Cleanup(func() {
		rootA.DeleteTopic(context.Background(), &sns.DeleteTopicInput{TopicArn: aws.String(topic2ARN)})
	})
	if err := publish(topic2ARN); err != nil {
		t.Fatalf("consumer publishes to a topic created with its policy: %v", err)
	}
	// Deleting the topic forgets its policy.
	if _, err := rootA.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: aws.String(topic2ARN)}); err != nil {
		t.Fatalf("A deletes alerts-2: %v", err)
	}
	if _, err := rootA.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("alerts-2")}); err != nil {
		t.Fatalf("A creates alerts-2 again: %v", err)
	}
	denied(t, "consumer publishes to the new alerts-2", publish(topic2ARN), "AuthorizationError", "because no resource-based policy allows the sns:Publish action")

	dropConsumerPolicy(t, env, "sns")
	denied(t, "consumer without its identity policy", publish(topicARN), "AuthorizationError",
		"because no identity-based policy allows the sns:Publish action")
}

// motoAccount is middleware that names an account to moto, for a client
// that talks to moto directly.
func motoAccount(account string) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		return s.Build.Add(middleware.BuildMiddlewareFunc("motoAccount", func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
			if req, ok := in.Request.(*smithyhttp.Request); ok {
				req.Header.Set("x-moto-account-id", account)
			}
			return next.HandleBuild(ctx, in)
		}), middleware.After)
	}
}

// functionZip is a deployment package with one handler.
func functionZip(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	f, err := zw.Create("handler.py")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("def handler(event, context):\n    return {'ok': True}\n")); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Lambda: A's function policy, built by Lambda from AddPermission, lets
// B's consumer use the function by its ARN; RemovePermission takes it
// back. moto runs functions only with docker, which this machine may not
// have: the grants and refusals are shown mostly with lambda:GetFunction,
// which moto serves without it; an allowed Invoke is answered 200 by moto
// either way (without docker, with the function error saying why).
func TestLambdaFunctionPolicyAcrossAccounts(t *testing.T) {
	env := start(t, servicesWorld)
	ctx := context.Background()
	rootA := lambda.NewFromConfig(env.RootConfig(testenv.AccountA))
	b := lambda.NewFromConfig(oneTry(consumer(env)))

	// moto's Lambda wants the execution role in moto's own IAM; assumed
	// serves IAM itself, so the test puts the role there directly.
	motoIAM := iam.NewFromConfig(env.Config("AKIAMOTO", "moto", ""), func(o *iam.Options) {
		o.BaseEndpoint = aws.String(motoURL)
		o.HTTPClient = motoClient // through moto's socket
		o.APIOptions = append(o.APIOptions, motoAccount(testenv.AccountA))
	})
	_, err := motoIAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("lambda-exec"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	var exists *iamtypes.EntityAlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		t.Fatalf("create the execution role in moto: %v", err)
	}

	fn, err := rootA.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("worker"), Runtime: lambdatypes.RuntimePython312, Handler: aws.String("handler.handler"),
		Role: aws.String("arn:aws:iam::111111111111:role/lambda-exec"), Code: &lambdatypes.FunctionCode{ZipFile: functionZip(t)},
	})
	if err != nil {
		t.Fatalf("A creates worker: %v", err)
	}
	t.Cleanup(func() {
		rootA.DeleteFunction(context.Background(), &lambda.DeleteFunctionInput{FunctionName: aws.String("worker")})
	})
	fnARN := aws.ToString(fn.FunctionArn)
	if fnARN != "arn:aws:lambda:us-east-1:111111111111:function:worker" {
		t.Fatalf("A's function's ARN is %s", fnARN)
	}
	get := func() error {
		out, err := b.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fnARN)})
		if err == nil && aws.ToString(out.Configuration.FunctionArn) != fnARN {
			t.Fatalf("consumer gets %s", aws.ToString(out.Configuration.FunctionArn))
		}
		return err
	}
	invoke := func() error {
		_, err := b.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(fnARN), Payload: []byte(`{}`)})
		return err
	}
	denied(t, "consumer without a function policy", get(), "AccessDeniedException",
		"is not authorized to perform: lambda:GetFunction on resource: "+fnARN+" because no resource-based policy allows the lambda:GetFunction action")
	denied(t, "consumer invokes without a function policy", invoke(), "AccessDeniedException", "because no resource-based policy allows the lambda:InvokeFunction action")

	// Lambda builds the statements; the principal as a role ARN, then as
	// B's account (delegating to B's identity policies).
	addPermission := func(sid, action, principal string) {
		t.Helper()
		if _, err := rootA.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("worker"), StatementId: aws.String(sid), Action: aws.String(action), Principal: aws.String(principal)}); err != nil {
			t.Fatalf("A adds permission %s: %v", sid, err)
		}
	}
	addPermission("ConsumerGets", "lambda:GetFunction", consumerARN)
	if err := get(); err != nil {
		t.Fatalf("consumer gets A's function through its policy: %v", err)
	}
	denied(t, "consumer invokes with GetFunction granted", invoke(), "AccessDeniedException", "because no resource-based policy allows the lambda:InvokeFunction action")
	addPermission("AccountBInvokes", "lambda:InvokeFunction", testenv.AccountB)
	// moto answers an invocation 200 whether or not docker can run the
	// function (without it, with X-Amz-Function-Error and the reason).
	out, err := b.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(fnARN), Payload: []byte(`{}`)})
	if err != nil {
		t.Fatalf("consumer invokes through B's account's grant: %v", err)
	}
	if out.StatusCode != 200 {
		t.Fatalf("consumer invokes: status %d", out.StatusCode)
	}
	t.Logf("consumer's invocation reached the backend (function error %q)", aws.ToString(out.FunctionError))

	if _, err := rootA.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("worker"), StatementId: aws.String("ConsumerGets")}); err != nil {
		t.Fatalf("A removes ConsumerGets: %v", err)
	}
	denied(t, "consumer after RemovePermission", get(), "AccessDeniedException", "because no resource-based policy allows the lambda:GetFunction action")

	// B's own side must allow too.
	addPermission("ConsumerGetsAgain", "lambda:GetFunction", consumerARN)
	if err := get(); err != nil {
		t.Fatalf("consumer gets once permitted again: %v", err)
	}
	dropConsumerPolicy(t, env, "lambda")
	denied(t, "consumer without its identity policy", get(), "AccessDeniedException",
		"because no identity-based policy allows the lambda:GetFunction action")
}
