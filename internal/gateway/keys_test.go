package gateway_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// keysWorld is the world of the service condition key tests: account A's
// users, each allowed only under conditions on the keys the gateway sets
// from requests.
const keysWorld = `accounts:
  - id: "111111111111"
    name: account-a
    users:
      - name: tagger
        access_keys: [{id: AKIATAGGER0000000001, secret: "taggerSecretTaggerSecretTaggerSecretTa01"}]
        policies:
          tagged: '{"Version":"2012-10-17","Statement":[{"Sid":"TeamTagged","Effect":"Allow","Action":["dynamodb:CreateTable","sqs:CreateQueue"],"Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"blue"},"ForAllValues:StringEquals":{"aws:TagKeys":["team","env"]}}}]}'
      - name: reader
        access_keys: [{id: AKIAREADER0000000001, secret: "readerSecretReaderSecretReaderSecretRe01"}]
        policies:
          columns: '{"Version":"2012-10-17","Statement":[{"Sid":"SomeColumns","Effect":"Allow","Action":"dynamodb:GetItem","Resource":"arn:aws:dynamodb:us-east-1:111111111111:table/people-*","Condition":{"ForAllValues:StringEquals":{"dynamodb:Attributes":["id","name","email"]},"StringEqualsIfExists":{"dynamodb:Select":"SPECIFIC_ATTRIBUTES"}}}]}'
          own: '{"Version":"2012-10-17","Statement":[{"Sid":"OwnItems","Effect":"Allow","Action":"dynamodb:GetItem","Resource":"arn:aws:dynamodb:us-east-1:111111111111:table/inbox-*","Condition":{"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["${aws:username}"]}}},{"Sid":"NotAdmin","Effect":"Deny","Action":"dynamodb:GetItem","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"dynamodb:LeadingKeys":["admin"]}}}]}'
          crypto: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*"}]}'
          secrets: '{"Version":"2012-10-17","Statement":[{"Sid":"CurrentOnly","Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{"StringEquals":{"secretsmanager:VersionStage":"AWSCURRENT"}}}]}'
          objects: '{"Version":"2012-10-17","Statement":[{"Sid":"TaggedObjects","Effect":"Allow","Action":["s3:PutObject","s3:PutObjectTagging"],"Resource":"*","Condition":{"StringEquals":{"s3:RequestObjectTag/team":"blue"}}}]}'
      - name: gamer
        access_keys: [{id: AKIAGAMER00000000001, secret: "gamerSecretGamerSecretGamerSecretGamer01"}]
        policies:
          scores: '{"Version":"2012-10-17","Statement":[{"Sid":"OwnScores","Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:PutItem","dynamodb:Query"],"Resource":"arn:aws:dynamodb:us-east-1:111111111111:table/GameScores-*","Condition":{"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["${aws:username}"]}}}]}'
`

func tagger(env *testenv.Env) aws.Config {
	return env.Config("AKIATAGGER0000000001", "taggerSecretTaggerSecretTaggerSecretTa01", "")
}

func reader(env *testenv.Env) aws.Config {
	return env.Config("AKIAREADER0000000001", "readerSecretReaderSecretReaderSecretRe01", "")
}

// aws:RequestTag/team and aws:TagKeys on DynamoDB CreateTable (Tags, a
// list) and SQS CreateQueue (tags, a map): the tagger creates only what
// is tagged team=blue, with no tag keys but team and env.
func TestKeysRequestTags(t *testing.T) {
	env := start(t, keysWorld)
	ctx := context.Background()
	ddb := dynamodb.NewFromConfig(tagger(env))
	create := func(name string, tags map[string]string) error {
		in := &dynamodb.CreateTableInput{
			TableName:            aws.String(name),
			AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
			KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
			BillingMode:          ddbtypes.BillingModePayPerRequest,
		}
		for k, v := range tags {
			in.Tags = append(in.Tags, ddbtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		_, err := ddb.CreateTable(ctx, in)
		return err
	}
	if err := create(uniqueName("tagged"), map[string]string{"team": "blue", "env": "dev"}); err != nil {
		t.Fatalf("a table tagged team=blue: %v", err)
	}
	denied(t, "a table tagged team=red", create(uniqueName("red"), map[string]string{"team": "red"}), "AccessDeniedException", "aws:RequestTag/team")
	denied(t, "a table without tags", create(uniqueName("untagged"), nil), "AccessDeniedException", "aws:RequestTag/team")
	denied(t, "a table with another tag key", create(uniqueName("extra"), map[string]string{"team": "blue", "owner": "me"}), "AccessDeniedException", "aws:TagKeys")

	q := sqs.NewFromConfig(tagger(env))
	if _, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(uniqueName("tagged")), Tags: map[string]string{"team": "blue"}}); err != nil {
		t.Fatalf("a queue tagged team=blue: %v", err)
	}
	_, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(uniqueName("red")), Tags: map[string]string{"team": "red"}})
	denied(t, "a queue tagged team=red", err, "AccessDenied", "aws:RequestTag/team")
	_, err = q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(uniqueName("untagged"))})
	denied(t, "a queue without tags", err, "AccessDenied", "aws:RequestTag/team")
}

// dynamodb:Attributes with ForAllValues (and Select IfExists): a
// projection within id, name and email is allowed; one naming another
// attribute, directly or through ExpressionAttributeNames, is not.
// dynamodb:LeadingKeys: the reader reads inbox items whose partition key
// is its own user name, and never the admin partition (an explicit deny
// with ForAnyValue).
func TestKeysDynamoDBItems(t *testing.T) {
	env := start(t, keysWorld)
	ctx := context.Background()
	root := dynamodb.NewFromConfig(env.RootConfig(testenv.AccountA))
	people, inbox := uniqueName("people"), uniqueName("inbox")
	for _, table := range []string{people, inbox} {
		_, err := root.CreateTable(ctx, &dynamodb.CreateTableInput{
			TableName:            aws.String(table),
			AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
			KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
			BillingMode:          ddbtypes.BillingModePayPerRequest,
		})
		if err != nil {
			t.Fatalf("create %s: %v", table, err)
		}
	}
	s := func(v string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberS{Value: v} }
	if _, err := root.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(people), Item: map[string]ddbtypes.AttributeValue{
		"id": s("p1"), "name": s("Ada"), "email": s("ada@example.com"), "salary": s("secret"),
	}}); err != nil {
		t.Fatal(err)
	}
	ddb := dynamodb.NewFromConfig(reader(env))
	key := func(id string) map[string]ddbtypes.AttributeValue {
		return map[string]ddbtypes.AttributeValue{"id": s(id)}
	}

	// A placeholder without its name names no allowed attribute (and
	// AWS refuses the request anyway).
	_, err := ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(people), Key: key("p1"), ProjectionExpression: aws.String("#n, email")})
	denied(t, "an unresolved placeholder", err, "AccessDeniedException", "dynamodb:Attributes")
	got, err := ddb.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(people), Key: key("p1"),
		ProjectionExpression: aws.String("#n, email"), ExpressionAttributeNames: map[string]string{"#n": "name"},
	})
	if err != nil {
		t.Fatalf("a projection within the allowed attributes: %v", err)
	}
	if _, ok := got.Item["name"]; !ok || got.Item["salary"] != nil {
		t.Errorf("the projected item: %v", got.Item)
	}
	_, err = ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(people), Key: key("p1"), ProjectionExpression: aws.String("name, salary")})
	denied(t, "a projection naming salary", err, "AccessDeniedException", "dynamodb:Attributes")
	_, err = ddb.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(people), Key: key("p1"),
		ProjectionExpression: aws.String("#s"), ExpressionAttributeNames: map[string]string{"#s": "salary"},
	})
	denied(t, "salary through a placeholder", err, "AccessDeniedException", "dynamodb:Attributes")
	_, err = ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(people), Key: key("p1"), AttributesToGet: []string{"id", "salary"}})
	denied(t, "AttributesToGet naming salary", err, "AccessDeniedException", "dynamodb:Attributes")
	// No projection reads every attribute: dynamodb:Select is
	// ALL_ATTRIBUTES, which StringEqualsIfExists refuses.
	_, err = ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(people), Key: key("p1")})
	denied(t, "no projection", err, "AccessDeniedException", "dynamodb:Select")

	// LeadingKeys: the reader's own partition only.
	if _, err := ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(inbox), Key: key("reader")}); err != nil {
		t.Fatalf("the reader's own partition: %v", err)
	}
	_, err = ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(inbox), Key: key("someone-else")})
	denied(t, "another partition", err, "AccessDeniedException", "dynamodb:LeadingKeys")
	_, err = ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(inbox), Key: key("admin")})
	denied(t, "the admin partition", err, "AccessDeniedException", "with an explicit deny in an identity-based policy")
}

// kms:EncryptionContext:tenant in a key policy: the reader encrypts and
// decrypts with A's key only under tenant=acme; a key policy Deny refuses
// tenant=evil; no context at all is not allowed.
func TestKeysKMSEncryptionContext(t *testing.T) {
	env := start(t, keysWorld)
	ctx := context.Background()
	rootA := kms.NewFromConfig(env.RootConfig(testenv.AccountA))
	// No statement for the account's root: the key policy alone decides
	// for the reader (whose identity policy allows Encrypt and Decrypt
	// unconditionally).
	keyPolicy := `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"AcmeOnly","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/reader"},"Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:tenant":"acme"}}},` +
		`{"Sid":"NeverEvil","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:tenant":"evil"}}}]}`
	k, err := rootA.CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(keyPolicy), BypassPolicyLockoutSafetyCheck: true})
	if err != nil {
		t.Fatalf("A creates its key: %v", err)
	}
	keyID := k.KeyMetadata.Arn
	c := kms.NewFromConfig(reader(env))
	enc, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: keyID, Plaintext: []byte("hello"), EncryptionContext: map[string]string{"tenant": "acme"}})
	if err != nil {
		t.Fatalf("encrypt under tenant=acme: %v", err)
	}
	if _, err := c.Decrypt(ctx, &kms.DecryptInput{KeyId: keyID, CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"tenant": "acme"}}); err != nil {
		t.Fatalf("decrypt under tenant=acme: %v", err)
	}
	_, err = c.Encrypt(ctx, &kms.EncryptInput{KeyId: keyID, Plaintext: []byte("hello"), EncryptionContext: map[string]string{"tenant": "other"}})
	denied(t, "encrypt under tenant=other", err, "AccessDeniedException", "kms:EncryptionContext:tenant")
	_, err = c.Encrypt(ctx, &kms.EncryptInput{KeyId: keyID, Plaintext: []byte("hello")})
	denied(t, "encrypt without a context", err, "AccessDeniedException", "kms:EncryptionContext:tenant")
	_, err = c.Decrypt(ctx, &kms.DecryptInput{KeyId: keyID, CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"tenant": "evil"}})
	denied(t, "decrypt under tenant=evil", err, "AccessDeniedException", "with an explicit deny in a resource-based policy")
}

// secretsmanager:VersionStage on GetSecretValue: the reader reads the
// AWSCURRENT stage only; a request naming no stage has no key, and
// StringEquals on a missing key is false.
func TestKeysSecretsVersionStage(t *testing.T) {
	env := start(t, keysWorld)
	ctx := context.Background()
	rootA := secretsmanager.NewFromConfig(env.RootConfig(testenv.AccountA))
	name := uniqueName("versioned")
	if _, err := rootA.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String("v1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := rootA.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(name), SecretString: aws.String("v2")}); err != nil {
		t.Fatal(err)
	}
	c := secretsmanager.NewFromConfig(reader(env))
	got, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name), VersionStage: aws.String("AWSCURRENT")})
	if err != nil || aws.ToString(got.SecretString) != "v2" {
		t.Fatalf("the current stage: %v %v", got, err)
	}
	_, err = c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name), VersionStage: aws.String("AWSPREVIOUS")})
	denied(t, "the previous stage", err, "AccessDeniedException", "secretsmanager:VersionStage")
	_, err = c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	denied(t, "no stage", err, "AccessDeniedException", "secretsmanager:VersionStage")
}

// s3:RequestObjectTag/team on PutObject, from the x-amz-tagging header
// (URL-encoded).
func TestKeysS3RequestObjectTag(t *testing.T) {
	env := start(t, keysWorld)
	ctx := context.Background()
	bucket := uniqueName("tagged-objects")
	if _, err := s3Path(env.RootConfig(testenv.AccountA)).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	c := s3Path(reader(env))
	putTagged := func(key, tagging string) error {
		in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader([]byte("data"))}
		if tagging != "" {
			in.Tagging = aws.String(tagging)
		}
		_, err := c.PutObject(ctx, in)
		return err
	}
	if err := putTagged("blue.txt", "team=blue&note=a%20b"); err != nil {
		t.Fatalf("an object tagged team=blue: %v", err)
	}
	denied(t, "an object tagged team=red", putTagged("red.txt", "team=red"), "AccessDenied", "s3:RequestObjectTag/team")
	denied(t, "an untagged object", putTagged("plain.txt", ""), "AccessDenied", "s3:RequestObjectTag/team")
	// The key's name is URL-decoded too.
	denied(t, "an encoded look-alike key", putTagged("odd.txt", "te%61m%20=blue"), "AccessDenied", "s3:RequestObjectTag/team")
}

// dynamodb:LeadingKeys on a table with a composite key, AWS's own example
// (GameScores: UserId the partition key, GameTitle the sort key): the
// policy lets the gamer at items whose partition key is its user name,
// whatever the sort key says. LeadingKeys holds the partition key's value
// alone, known from the table's key schema: for a table created through
// assumed and for one created directly at the backend (which assumed
// learns by describing it).
func TestKeysLeadingKeysCompositeKey(t *testing.T) {
	env := start(t, keysWorld)
	ctx := context.Background()
	root := dynamodb.NewFromConfig(env.RootConfig(testenv.AccountA))
	through, direct := uniqueName("GameScores-through"), uniqueName("GameScores-direct")
	schema := map[string]any{
		"AttributeDefinitions": []map[string]string{{"AttributeName": "UserId", "AttributeType": "S"}, {"AttributeName": "GameTitle", "AttributeType": "S"}},
		"KeySchema":            []map[string]string{{"AttributeName": "GameTitle", "KeyType": "RANGE"}, {"AttributeName": "UserId", "KeyType": "HASH"}},
		"BillingMode":          "PAY_PER_REQUEST",
	}
	_, err := root.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(through),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{
			{AttributeName: aws.String("UserId"), AttributeType: ddbtypes.ScalarAttributeTypeS},
			{AttributeName: aws.String("GameTitle"), AttributeType: ddbtypes.ScalarAttributeTypeS},
		},
		KeySchema: []ddbtypes.KeySchemaElement{
			{AttributeName: aws.String("UserId"), KeyType: ddbtypes.KeyTypeHash},
			{AttributeName: aws.String("GameTitle"), KeyType: ddbtypes.KeyTypeRange},
		},
		BillingMode: ddbtypes.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatalf("create %s: %v", through, err)
	}
	schema["TableName"] = direct
	atBackend(t, testenv.AccountA, "dynamodb", "DynamoDB_20120810.CreateTable", schema)

	s := func(v string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberS{Value: v} }
	key := func(user, game string) map[string]ddbtypes.AttributeValue {
		return map[string]ddbtypes.AttributeValue{"UserId": s(user), "GameTitle": s(game)}
	}
	g := dynamodb.NewFromConfig(env.Config("AKIAGAMER00000000001", "gamerSecretGamerSecretGamerSecretGamer01", ""))
	for _, table := range []string{through, direct} {
		item := key("gamer", "Meteor Blasters")
		item["TopScore"] = &ddbtypes.AttributeValueMemberN{Value: "5842"}
		if _, err := g.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
			t.Fatalf("%s: the gamer puts its own item: %v", table, err)
		}
		got, err := g.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key("gamer", "Meteor Blasters")})
		if err != nil {
			t.Fatalf("%s: the gamer reads its own item: %v", table, err)
		}
		if got.Item["TopScore"] == nil {
			t.Fatalf("%s: the item read back: %v", table, got.Item)
		}
		_, err = g.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key("rival", "Meteor Blasters")})
		denied(t, table+": another user's item", err, "AccessDeniedException", "dynamodb:LeadingKeys")
		_, err = g.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: key("rival", "gamer")})
		denied(t, table+": an item in another user's partition, whose sort key is the gamer's name", err, "AccessDeniedException", "dynamodb:LeadingKeys")

		// Query: the partition key's value, through a #name, beside a
		// condition on the sort key.
		q, err := g.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(table),
			KeyConditionExpression:    aws.String("#u = :u AND begins_with(GameTitle, :g)"),
			ExpressionAttributeNames:  map[string]string{"#u": "UserId"},
			ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":u": s("gamer"), ":g": s("Meteor")},
		})
		if err != nil {
			t.Fatalf("%s: the gamer queries its own partition: %v", table, err)
		}
		if len(q.Items) != 1 {
			t.Fatalf("%s: the query found %d items", table, len(q.Items))
		}
		_, err = g.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(table),
			KeyConditionExpression:    aws.String(":g = GameTitle AND UserId = :u"),
			ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":u": s("rival"), ":g": s("gamer")},
		})
		denied(t, table+": a query of another partition", err, "AccessDeniedException", "dynamodb:LeadingKeys")
	}
}
