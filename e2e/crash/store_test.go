package crash

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

// TestServeRefusesAnotherMasterKey: a node whose data dir holds a key
// other than the one the store's secrets are sealed with stops at start,
// says what to do, and writes nothing: the store's own nodes still work.
// On PostgreSQL that is a second node given a fresh data dir; on SQLite a
// data dir whose master.key was swapped.
func TestServeRefusesAnotherMasterKey(t *testing.T) {
	bin := assumedBin(t)
	t.Run("postgres", func(t *testing.T) {
		url := pgtest.URL(t)
		first := startServer(t, filepath.Join(t.TempDir(), "node1"), url)
		out, err := runServe(bin, "--listen", "127.0.0.1:0", "--data-dir", filepath.Join(t.TempDir(), "fresh"), "--store", url)
		if err == nil {
			t.Fatalf("a node with another master key started:\n%s", out)
		}
		if want := "every node on one PostgreSQL database needs the same master.key"; !contains(out, want) {
			t.Fatalf("it said:\n%s\nwant it to say %q", out, want)
		}
		// The refused node changed nothing: the first still serves, and a
		// node with the right key joins.
		if _, err := first.reader().ListRoles(context.Background(), &iam.ListRolesInput{}); err != nil {
			t.Fatalf("the first node after the refusal: %v", err)
		}
		second := startServer(t, copyKeyDir(t, first), url)
		if _, err := second.reader().ListRoles(context.Background(), &iam.ListRolesInput{}); err != nil {
			t.Fatalf("a node with the right key: %v", err)
		}
	})
	t.Run("sqlite", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		srv := startServer(t, dir, "")
		srv.kill()
		if err := os.WriteFile(filepath.Join(dir, datadir.MasterKeyFile), make([]byte, 32), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := runServe(bin, "--listen", "127.0.0.1:0", "--data-dir", dir)
		if err == nil {
			t.Fatalf("a data dir with a swapped master key started:\n%s", out)
		}
		if want := "restore the data dir's own master.key from a backup"; !contains(out, want) {
			t.Fatalf("it said:\n%s\nwant it to say %q", out, want)
		}
	})
}

// TestOfflineCommandsOnPostgres: explain, graph and findings read the
// database several nodes share, with one node's data dir for the master
// key, while the nodes run; a data dir without the key is refused.
func TestOfflineCommandsOnPostgres(t *testing.T) {
	bin := assumedBin(t)
	nodes := startNodes(t, 2)
	ctx := context.Background()
	const app = "arn:aws:iam::000000000000:role/app"
	if _, err := nodes[0].iam().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		t.Fatal(err)
	}
	url := nodes[0].store
	run := func(args ...string) (string, int) {
		cmd := exec.Command(bin, args...)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	dir := nodes[1].dataDir
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"graph", "--data-dir", dir, "--store", url, "--to", app}, 0, "account:999999999999 → " + app},
		{[]string{"findings", "--data-dir", dir, "--store", url, "--min-severity", "high"}, 1, "third-party-without-external-id"},
		{[]string{"explain", "--data-dir", dir, "--store", url, "--as", "arn:aws:iam::000000000000:root", "--action", "iam:ListRoles"}, 0, "ALLOWED"},
		{[]string{"graph", "--data-dir", t.TempDir(), "--store", url}, 2, "has no master.key: give the data dir of one of the nodes"},
		{[]string{"graph", "--store", url}, 2, "--store goes with --data-dir"},
		{[]string{"findings", "--store", url}, 2, "--store goes with --data-dir"},
		{[]string{"explain", "--store", url, "--as", "arn:aws:iam::000000000000:root", "--action", "iam:ListRoles"}, 2, "--store goes with --data-dir"},
	} {
		out, code := run(c.args...)
		if code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("assumed %s: exit %d, want %d with %q:\n%s", strings.Join(c.args, " "), code, c.code, c.want, out)
		}
	}
}
