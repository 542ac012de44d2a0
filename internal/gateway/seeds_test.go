package gateway_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/assumed-dev/assumed/internal/backend"
	"github.com/assumed-dev/assumed/internal/testenv"
	"github.com/assumed-dev/assumed/internal/world"
)

// The moto_server every test of the package forwards to, which TestMain
// starts on a private Unix socket: motoSpec names it to backend.Start
// (unix:///PATH), motoURL is the base URL of requests to it
// (http://localhost) and motoClient reaches it, through the socket. All
// are zero when moto_server is not on PATH.
var (
	motoSpec   string
	motoURL    string
	motoClient *http.Client
)

func TestMain(m *testing.M) {
	code := func() int {
		if _, err := exec.LookPath("moto_server"); err != nil {
			fmt.Fprintln(os.Stderr, "WARNING: moto_server is not on PATH (pip install 'moto[server]'): the gateway's end-to-end tests will be skipped")
			return m.Run()
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		b, err := backend.Start(ctx, "moto", slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
		if err != nil {
			fmt.Fprintln(os.Stderr, "start moto_server:", err)
			return 1
		}
		defer b.Close()
		motoSpec, motoURL = b.Addr(), b.URL.String()
		motoClient = &http.Client{Transport: b.Transport(), Timeout: time.Minute}
		return m.Run()
	}()
	os.Exit(code)
}

// start runs assumed with the world in doc, forwarding to moto.
func start(t *testing.T, doc string) *testenv.Env {
	t.Helper()
	if motoURL == "" {
		t.Skip("moto_server is not on PATH (pip install 'moto[server]')")
	}
	w, err := world.Parse("world.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return testenv.StartWith(t, testenv.Options{World: w, Backend: motoSpec})
}

// assume returns a configuration with the credentials of roleARN, assumed
// with base's.
func assume(env *testenv.Env, base aws.Config, roleARN string) aws.Config {
	cfg := env.Config("", "", "")
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base), roleARN))
	return cfg
}

// denied checks that err is AWS's refusal with code, and that its
// message says why (want, a part of it).
func denied(t *testing.T, what string, err error, code, want string) {
	t.Helper()
	if testenv.ErrorCode(err) != code {
		t.Fatalf("%s: got %v, want %s", what, err, code)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("%s: the refusal does not say %q:\n%v", what, want, err)
	}
}

// Seed 004: B's role bar assumes A's foo_bar and writes into A's DynamoDB
// table; the trust names bar, so another B principal can't assume
// foo_bar; bar's own session reaches the table only through the table's
// resource policy, with the table's ARN as TableName, and only while its
// identity policy allows too.
const seed004 = `accounts:
  - id: "111111111111"
    name: account-a
    roles:
      - name: foo_bar
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/bar"},"Action":"sts:AssumeRole"}]}'
        policies:
          table: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:PutItem","dynamodb:GetItem"],"Resource":"arn:aws:dynamodb:us-east-1:111111111111:table/orders"}]}'
  - id: "222222222222"
    name: account-b
    users:
      - name: deployer
        access_keys: [{id: AKIADEPLOYER00000001, secret: "deployerSecretDeployerSecretDeployerSe01"}]
        policies:
          assume: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::222222222222:role/bar"}]}'
      - name: other
        access_keys: [{id: AKIAOTHER00000000001, secret: "otherSecretOtherSecretOtherSecretOther01"}]
        policies:
          assume: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"},{"Effect":"Allow","Action":"dynamodb:*","Resource":"*"}]}'
    roles:
      - name: bar
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:user/deployer"},"Action":"sts:AssumeRole"}]}'
        policies:
          assume-a: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::111111111111:role/foo_bar"}]}'
          table: '{"Version":"2012-10-17","Statement":[{"Sid":"TableInA","Effect":"Allow","Action":["dynamodb:PutItem","dynamodb:GetItem"],"Resource":"arn:aws:dynamodb:us-east-1:111111111111:table/orders"}]}'
`

func TestSeed004DynamoDBAcrossAccounts(t *testing.T) {
	env := start(t, seed004)
	ctx := context.Background()
	const tableARN = "arn:aws:dynamodb:us-east-1:111111111111:table/orders"
	item := func(id string) map[string]ddbtypes.AttributeValue {
		return map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: id}}
	}

	// A's root creates the table; B's root has a table of the same name:
	// the backend keeps the accounts apart.
	for _, acct := range []string{testenv.AccountA, testenv.AccountB} {
		_, err := dynamodb.NewFromConfig(env.RootConfig(acct)).CreateTable(ctx, &dynamodb.CreateTableInput{
			TableName:            aws.String("orders"),
			AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
			KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
			BillingMode:          ddbtypes.BillingModePayPerRequest,
		})
		if err != nil {
			t.Fatalf("account %s creates its table: %v", acct, err)
		}
	}

	deployer := env.Config("AKIADEPLOYER00000001", "deployerSecretDeployerSecretDeployerSe01", "")
	bar := assume(env, deployer, "arn:aws:iam::222222222222:role/bar")
	fooBar := dynamodb.NewFromConfig(assume(env, bar, "arn:aws:iam::111111111111:role/foo_bar"))
	if _, err := fooBar.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("orders"), Item: item("via-foo-bar")}); err != nil {
		t.Fatalf("foo_bar puts into A's table: %v", err)
	}
	got, err := dynamodb.NewFromConfig(env.RootConfig(testenv.AccountA)).GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("orders"), Key: item("via-foo-bar")})
	if err != nil || got.Item == nil {
		t.Fatalf("A reads the item back: %v %v", got, err)
	}
	got, err = dynamodb.NewFromConfig(env.RootConfig(testenv.AccountB)).GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("orders"), Key: item("via-foo-bar")})
	if err != nil || got.Item != nil {
		t.Fatalf("B's own table must not have A's item: %v %v", got.Item, err)
	}
	// foo_bar may not delete.
	_, err = fooBar.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("orders"), Key: item("via-foo-bar")})
	denied(t, "foo_bar deletes", err, "AccessDeniedException", "because no identity-based policy allows the dynamodb:DeleteItem action")

	// The trust names bar: another B principal can't assume foo_bar.
	other := env.Config("AKIAOTHER00000000001", "otherSecretOtherSecretOtherSecretOther01", "")
	_, err = dynamodb.NewFromConfig(assume(env, other, "arn:aws:iam::111111111111:role/foo_bar")).PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("orders"), Item: item("other")})
	denied(t, "other assumes foo_bar", err, "AccessDenied", "sts:AssumeRole")
	// other, allowed dynamodb:* by its own account, is refused by A's table.
	_, err = dynamodb.NewFromConfig(other).PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tableARN), Item: item("other")})
	denied(t, "other writes into A's table", err, "AccessDeniedException", "because no resource-based policy allows the dynamodb:PutItem action")

	// bar's own session, by the table's ARN: refused until A's table
	// policy names bar.
	barDB := dynamodb.NewFromConfig(bar)
	_, err = barDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tableARN), Item: item("via-bar")})
	denied(t, "bar without a table policy", err, "AccessDeniedException", "because no resource-based policy allows the dynamodb:PutItem action")
	policyDoc := `{"Version":"2012-10-17","Statement":[{"Sid":"BarWrites","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/bar"},"Action":["dynamodb:PutItem","dynamodb:GetItem"],"Resource":"` + tableARN + `"}]}`
	if _, err := dynamodb.NewFromConfig(env.RootConfig(testenv.AccountA)).PutResourcePolicy(ctx, &dynamodb.PutResourcePolicyInput{ResourceArn: aws.String(tableARN), Policy: aws.String(policyDoc)}); err != nil {
		t.Fatalf("A sets the table's policy: %v", err)
	}
	if _, err := barDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tableARN), Item: item("via-bar")}); err != nil {
		t.Fatalf("bar through the table policy: %v", err)
	}
	got, err = dynamodb.NewFromConfig(env.RootConfig(testenv.AccountA)).GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("orders"), Key: item("via-bar")})
	if err != nil || got.Item == nil {
		t.Fatalf("the item bar wrote is in A's table: %v %v", got, err)
	}
	// The table policy alone is not enough across accounts: without
	// bar's own Allow, refused.
	if _, err := env.RootIAM(testenv.AccountB).DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("bar"), PolicyName: aws.String("table")}); err != nil {
		t.Fatal(err)
	}
	_, err = barDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tableARN), Item: item("via-bar-2")})
	denied(t, "bar without its identity policy", err, "AccessDeniedException", "because no identity-based policy allows the dynamodb:PutItem action")
}
