package crash

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/assumed-dev/assumed/internal/datadir"
	"github.com/assumed-dev/assumed/internal/store/postgres/pgtest"
	"github.com/assumed-dev/assumed/internal/testenv"
)

// TestServeOnPostgres runs a server with --store on a PostgreSQL
// database: it serves IAM calls, keeps no SQLite file in its data dir, and
// after a restart still has what was written.
func TestServeOnPostgres(t *testing.T) {
	url := pgtest.URL(t)
	e := testenv.StartWith(t, testenv.Options{Store: url})
	ctx := context.Background()
	client := e.RootIAM(testenv.AccountA)
	if _, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("on-postgres"), AssumeRolePolicyDocument: aws.String(trustPolicy)}); err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	if _, err := client.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("on-postgres"), PolicyName: aws.String("own"), PolicyDocument: aws.String(rolePolicy("on-postgres"))}); err != nil {
		t.Fatalf("PutRolePolicy: %v", err)
	}
	if _, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	key, err := client.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatalf("CreateAccessKey: %v", err)
	}
	if _, err := os.Stat(filepath.Join(e.DataDir, datadir.DatabaseFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the data dir has a SQLite database (%v): the state should be in PostgreSQL", err)
	}

	e.Restart()

	client = e.RootIAM(testenv.AccountA)
	if _, err := client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("on-postgres")}); err != nil {
		t.Fatalf("GetRole after restart: %v", err)
	}
	out, err := client.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("on-postgres"), PolicyName: aws.String("own")})
	if err != nil {
		t.Fatalf("GetRolePolicy after restart: %v", err)
	}
	samePolicy(t, "on-postgres", aws.ToString(out.PolicyDocument), rolePolicy("on-postgres"))
	// The user's key still signs: its secret came back from the store.
	alice := e.IAM(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey))
	if _, err := alice.GetUser(ctx, &iam.GetUserInput{}); err != nil && testenv.ErrorCode(err) != "AccessDenied" {
		t.Fatalf("alice's key after restart: %v", err)
	}
	if _, err := client.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatalf("GetUser after restart: %v", err)
	}
}

// TestServeRejectsUnknownStore: a --store that names no store stops the
// server at start with an error that says what is accepted.
func TestServeRejectsUnknownStore(t *testing.T) {
	bin := assumedBin(t)
	dir := t.TempDir()
	out, err := runServe(bin, "--listen", "127.0.0.1:0", "--data-dir", dir, "--store", "mysql://localhost/x")
	if err == nil {
		t.Fatalf("serve --store mysql://… started:\n%s", out)
	}
	if want := "want sqlite"; !contains(out, want) {
		t.Fatalf("serve --store mysql://… said:\n%s\nwant it to say %q", out, want)
	}
}
