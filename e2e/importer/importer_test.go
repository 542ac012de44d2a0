// Package importer proves `assumed import` by a round trip: a real server
// holds two accounts, the real AWS CLI prints each account's
// get-account-authorization-details, the built assumed binary imports
// the files into a new data dir, and the copy must hold the same
// entities and decide the same requests as the original.
package importer

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/internal/analyze"
	"github.com/assumed-dev/assumed/internal/app"
	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/explain"
	"github.com/assumed-dev/assumed/internal/world"
)

// The two accounts: A owns the roles B's principals assume.
const (
	accountA = "111111111111"
	accountB = "222222222222"
)

func doc(statements ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
}

func allow(action, resource string) string {
	return fmt.Sprintf(`{"Effect":"Allow","Action":%q,"Resource":%q}`, action, resource)
}

func trust(principal, condition string) string {
	s := `{"Effect":"Allow","Principal":{"AWS":"` + principal + `"},"Action":"sts:AssumeRole"`
	if condition != "" {
		s += `,"Condition":` + condition
	}
	return doc(s + "}")
}

func iamARN(account, kind, name string) string {
	return "arn:aws:iam::" + account + ":" + kind + "/" + name
}

// testWorld is the world file's part of the accounts; setUp adds what
// world files do not declare.
func testWorld() *world.World {
	return &world.World{Accounts: []world.Account{
		{ID: accountA, Name: "account-a",
			Policies: []world.Policy{
				{Name: "s3-read", Path: "/team/", Description: "Read the data bucket", Document: doc(allow("s3:GetObject", "arn:aws:s3:::data/*"))},
				{Name: "dev-boundary", Document: doc(`{"Effect":"Allow","Action":["s3:*","sts:AssumeRole","ec2:Describe*"],"Resource":"*"}`)},
			},
			Groups: []world.Group{{Name: "readers", Path: "/eng/", Attached: []string{"arn:aws:iam::" + accountA + ":policy/team/s3-read"},
				Policies: []world.Inline{{Name: "deny-delete", Document: doc(`{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}`)}}}},
			Users: []world.User{
				{Name: "alice", Groups: []string{"readers"}, Attached: []string{"arn:aws:iam::aws:policy/IAMReadOnlyAccess"},
					Policies: []world.Inline{{Name: "ec2", Document: doc(allow("ec2:*", "*"))}}},
				{Name: "bob", Path: "/contractors/", Policies: []world.Inline{{Name: "assume-b", Document: doc(allow("sts:AssumeRole", "arn:aws:iam::"+accountB+":role/*"))}}},
			},
			Roles: []world.Role{
				{Name: "deploy", Trust: trust(iamARN(accountB, "role", "ci"), `{"StringEquals":{"sts:ExternalId":"xyz"}}`),
					Policies: []world.Inline{{Name: "cfn", Document: doc(allow("cloudformation:*", "*"))}},
					Attached: []string{"arn:aws:iam::" + accountA + ":policy/team/s3-read"}},
				{Name: "auditor", Path: "/audit/", Trust: trust(accountB, ""), Attached: []string{"arn:aws:iam::aws:policy/IAMReadOnlyAccess"}},
			}},
		{ID: accountB, Name: "account-b",
			Policies: []world.Policy{{Name: "b-boundary", Document: doc(allow("sts:AssumeRole", "*"))}},
			Users: []world.User{
				{Name: "carol", Policies: []world.Inline{{Name: "assume-any", Document: doc(allow("sts:AssumeRole", "*"))}}},
				{Name: "dave"},
			},
			Roles: []world.Role{{Name: "ci", Trust: trust(iamARN(accountB, "user", "carol"), ""),
				Policies: []world.Inline{{Name: "assume-a", Document: doc(allow("sts:AssumeRole", "arn:aws:iam::"+accountA+":role/*"))}}}}},
	}}
}

// setUp gives the accounts what world files do not declare, through the
// IAM API as their root users: second policy versions made default,
// permissions boundaries, tags and an instance profile.
func setUp(ctx context.Context, t *testing.T, a, b *sdk.Client) {
	t.Helper()
	steps := []func() error{
		func() error {
			_, err := a.CreatePolicyVersion(ctx, &sdk.CreatePolicyVersionInput{PolicyArn: aws.String("arn:aws:iam::" + accountA + ":policy/team/s3-read"), SetAsDefault: true,
				PolicyDocument: aws.String(doc(`{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::data","arn:aws:s3:::data/*"]}`))})
			return err
		},
		func() error {
			_, err := b.CreatePolicyVersion(ctx, &sdk.CreatePolicyVersionInput{PolicyArn: aws.String(iamARN(accountB, "policy", "b-boundary")), SetAsDefault: true,
				PolicyDocument: aws.String(doc(allow("sts:AssumeRole", iamARN(accountA, "role", "deploy"))))})
			return err
		},
		func() error {
			_, err := a.PutUserPermissionsBoundary(ctx, &sdk.PutUserPermissionsBoundaryInput{UserName: aws.String("alice"), PermissionsBoundary: aws.String(iamARN(accountA, "policy", "dev-boundary"))})
			return err
		},
		func() error {
			_, err := b.PutRolePermissionsBoundary(ctx, &sdk.PutRolePermissionsBoundaryInput{RoleName: aws.String("ci"), PermissionsBoundary: aws.String(iamARN(accountB, "policy", "b-boundary"))})
			return err
		},
		func() error {
			_, err := a.TagRole(ctx, &sdk.TagRoleInput{RoleName: aws.String("deploy"), Tags: tags("env", "prod", "owner", "platform")})
			return err
		},
		func() error {
			_, err := a.TagUser(ctx, &sdk.TagUserInput{UserName: aws.String("alice"), Tags: tags("team", "data")})
			return err
		},
		func() error {
			_, err := b.TagUser(ctx, &sdk.TagUserInput{UserName: aws.String("carol"), Tags: tags("cost-center", "42")})
			return err
		},
		func() error {
			_, err := a.CreateInstanceProfile(ctx, &sdk.CreateInstanceProfileInput{InstanceProfileName: aws.String("deploy-profile"), Path: aws.String("/ec2/")})
			return err
		},
		func() error {
			_, err := a.AddRoleToInstanceProfile(ctx, &sdk.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("deploy-profile"), RoleName: aws.String("deploy")})
			return err
		},
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("set-up step %d: %v", i+1, err)
		}
	}
}

func tags(kv ...string) []types.Tag {
	var out []types.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

// query is one request explained on both data dirs.
type query struct {
	name string
	q    explain.Query
	want string // the decision: authz.DecisionAllowed, …
}

func queries() []query {
	at := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	q := func(as, action, resource string) explain.Query {
		return explain.Query{As: as, Action: action, Resource: resource, Time: at}
	}
	assume := func(as, role, externalID string) explain.Query {
		return explain.Query{As: as, Assume: role, ExternalID: externalID, Time: at}
	}
	alice, bob := iamARN(accountA, "user", "alice"), "arn:aws:iam::"+accountA+":user/contractors/bob"
	carol, dave, ci := iamARN(accountB, "user", "carol"), iamARN(accountB, "user", "dave"), iamARN(accountB, "role", "ci")
	deploy, auditor := iamARN(accountA, "role", "deploy"), "arn:aws:iam::"+accountA+":role/audit/auditor"
	allowed, denied := authz.DecisionAllowed, authz.DecisionImplicitDeny
	return []query{
		{"cross-account AssumeRole with the external ID", assume(ci, deploy, "xyz"), allowed},
		{"cross-account AssumeRole without the external ID", assume(ci, deploy, ""), denied},
		{"cross-account AssumeRole outside the caller's boundary", assume(ci, auditor, ""), denied},
		{"cross-account AssumeRole of an account trust", assume(carol, auditor, ""), allowed},
		{"cross-account AssumeRole without an identity policy", assume(dave, auditor, ""), denied},
		{"same-account AssumeRole by the named user", assume(carol, ci, ""), allowed},
		{"cross-account AssumeRole of a trust naming another", assume(bob, ci, ""), denied},
		{"a group's policy, its default version", q(alice, "s3:ListBucket", "arn:aws:s3:::data"), allowed},
		{"a group's policy", q(alice, "s3:GetObject", "arn:aws:s3:::data/report.csv"), allowed},
		{"a group's inline deny", q(alice, "s3:DeleteObject", "arn:aws:s3:::data/report.csv"), authz.DecisionExplicitDeny},
		{"an inline policy within the boundary", q(alice, "ec2:DescribeInstances", "*"), allowed},
		{"an inline policy beyond the boundary", q(alice, "ec2:RunInstances", "*"), denied},
		{"an AWS managed policy beyond the boundary", q(alice, "iam:GetRole", iamARN(accountA, "role", "deploy")), denied},
		{"no policy", q(bob, "iam:GetRole", iamARN(accountA, "role", "deploy")), denied},
		{"a role's inline policy", q(deploy, "cloudformation:CreateStack", "*"), allowed},
		{"a role's attached customer managed policy", q(deploy, "s3:ListBucket", "arn:aws:s3:::data"), allowed},
		{"a role's attached AWS managed policy", q(auditor, "iam:ListRoles", "*"), allowed},
	}
}

// TestImportRoundTrip is the round trip: serve, print with the AWS CLI,
// import with the binary, compare entity by entity and decision by
// decision. The same accounts printed by the raw API (documents
// URL-encoded) are imported too, and must give the same copy.
func TestImportRoundTrip(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("SKIPPED: the AWS CLI (aws) is not on PATH: the round trip prints get-account-authorization-details with it")
	}
	ctx := context.Background()
	bin := buildAssumed(t)
	work := t.TempDir()
	original := filepath.Join(work, "original")
	url, stop := serve(t, original, testWorld())
	a, b := rootIAM(t, original, url, "account-a"), rootIAM(t, original, url, "account-b")
	setUp(ctx, t, a, b)

	files := map[string][]string{}
	for _, acct := range []struct {
		id, profile string
		client      *sdk.Client
	}{{accountA, "account-a", a}, {accountB, "account-b", b}} {
		cli := filepath.Join(work, acct.profile+".json")
		writeFile(t, cli, awsCLI(t, original, url, acct.profile, "iam", "get-account-authorization-details", "--output", "json"))
		raw := filepath.Join(work, acct.profile+"-raw.json")
		writeFile(t, raw, rawAPI(ctx, t, acct.client))
		files["cli"] = append(files["cli"], cli)
		files["raw"] = append(files["raw"], raw)
	}
	if b, _ := os.ReadFile(files["cli"][0]); !strings.Contains(string(b), `"AssumeRolePolicyDocument": {`) {
		t.Fatalf("the AWS CLI did not print decoded documents:\n%.2000s", b)
	}
	if b, _ := os.ReadFile(files["raw"][0]); !strings.Contains(string(b), `"AssumeRolePolicyDocument":"%7B`) {
		t.Fatalf("the raw API's documents are not URL-encoded:\n%.2000s", b)
	}
	stop()

	orig := openOffline(t, original)
	for _, form := range []string{"cli", "raw"} {
		t.Run(form, func(t *testing.T) {
			copyDir := filepath.Join(work, "copy-"+form)
			args := append([]string{"import"}, files[form]...)
			args = append(args, "--data-dir", copyDir, "--account-name", accountA+"=account-a", "--account-name", accountB+"=account-b")
			out, err := exec.Command(bin, args...).CombinedOutput()
			if err != nil {
				t.Fatalf("assumed %s: %v\n%s", strings.Join(args, " "), err, out)
			}
			if !strings.Contains(string(out), "imported account "+accountA+" (account-a)") || strings.Contains(string(out), "warning") {
				t.Errorf("assumed import said:\n%s", out)
			}
			copied := openOffline(t, copyDir)
			for _, id := range []string{accountA, accountB} {
				compareAccounts(t, id, orig.Snapshot().AccountIAM(id), copied.Snapshot().AccountIAM(id))
			}
			// The same graph: every node and edge, with the statements
			// that allow each (the copy was built at another time).
			when := time.Now()
			gOrig := analyze.Build(orig.Snapshot(), analyze.Options{Now: when})
			gCopy := analyze.Build(copied.Snapshot(), analyze.Options{Now: when})
			if d := gCopy.Diff(gOrig); len(d) != 0 {
				for _, c := range d {
					t.Errorf("the copy's graph differs: %s %+v %+v (was %+v)", c.Kind, c.Node, c.Edge, c.Was)
				}
			}
			if len(gOrig.Edges) < 3 {
				t.Fatalf("the original's graph has %d edges: the comparison proves little", len(gOrig.Edges))
			}
			for _, c := range queries() {
				want := decide(t, orig.Snapshot(), c.q)
				got := decide(t, copied.Snapshot(), c.q)
				if want != c.want {
					t.Errorf("%s: the original decides %s, the test expects %s", c.name, want, c.want)
				}
				if got != want {
					t.Errorf("%s: the copy decides %s, the original %s", c.name, got, want)
				}
			}
		})
	}

	// The copy served: the policy simulator decides with it, called with
	// the profiles of a world file that lists the imported accounts.
	copyDir := filepath.Join(work, "copy-cli")
	orig.Close()
	url, _ = serve(t, copyDir, &world.World{Accounts: []world.Account{{ID: accountA, Name: "account-a"}, {ID: accountB, Name: "account-b"}}})
	sim := rootIAM(t, copyDir, url, "account-a")
	for _, c := range []struct {
		action, resource, want string
	}{{"s3:ListBucket", "arn:aws:s3:::data", "allowed"}, {"ec2:RunInstances", "*", "implicitDeny"}} {
		res, err := sim.SimulatePrincipalPolicy(ctx, &sdk.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(iamARN(accountA, "user", "alice")),
			ActionNames: []string{c.action}, ResourceArns: []string{c.resource}})
		if err != nil {
			t.Fatalf("SimulatePrincipalPolicy on the served copy: %v", err)
		}
		if got := string(res.EvaluationResults[0].EvalDecision); got != c.want {
			t.Errorf("the served copy simulates %s as %s, want %s", c.action, got, c.want)
		}
	}
}

// decide explains q and returns the decision.
func decide(t *testing.T, snap *directory.Snapshot, q explain.Query) string {
	t.Helper()
	tr, err := explain.Explain(snap, q)
	if err != nil {
		t.Fatalf("explain %+v: %v", q, err)
	}
	return tr.Decision
}

// compareAccounts checks that the copy holds the original's entities,
// field by field; documents are compared as JSON values, group members
// as sets.
func compareAccounts(t *testing.T, id string, want, got *directory.AccountIAM) {
	t.Helper()
	families := []struct {
		name      string
		want, got any
	}{
		{"users", want.Users, got.Users}, {"groups", want.Groups, got.Groups}, {"roles", want.Roles, got.Roles},
		{"customer managed policies", want.Policies, got.Policies}, {"instance profiles", want.InstanceProfiles, got.InstanceProfiles},
	}
	for _, f := range families {
		w, g := canonical(t, f.want), canonical(t, f.got)
		if reflect.DeepEqual(w, g) {
			continue
		}
		wj, _ := json.MarshalIndent(w, "", "  ")
		gj, _ := json.MarshalIndent(g, "", "  ")
		t.Errorf("account %s: the copy's %s differ\n--- original\n%s\n--- copy\n%s", id, f.name, wj, gj)
	}
	if len(want.Users) == 0 || len(want.Roles) == 0 {
		t.Errorf("account %s has nothing to compare", id)
	}
}

// canonical is v as JSON values, with documents parsed and members
// sorted.
func canonical(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return canonicalValue(t, "", out)
}

func canonicalValue(t *testing.T, key string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = canonicalValue(t, k, e)
		}
		if m, ok := x["members"].([]any); ok {
			slices.SortFunc(m, func(a, b any) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
		}
	case []any:
		for i, e := range x {
			x[i] = canonicalValue(t, key, e)
		}
	case string:
		if key == "document" || key == "trustPolicy" {
			var d any
			if err := json.Unmarshal([]byte(x), &d); err != nil {
				t.Fatalf("%s %q: %v", key, x, err)
			}
			return d
		}
	}
	return v
}

// rawAPI is the account's GetAccountAuthorizationDetails as the raw API
// answers it, documents URL-encoded, written with AWS's member names.
func rawAPI(ctx context.Context, t *testing.T, c *sdk.Client) []byte {
	t.Helper()
	out, err := c.GetAccountAuthorizationDetails(ctx, &sdk.GetAccountAuthorizationDetailsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if out.IsTruncated {
		t.Fatal("the answer has several pages")
	}
	b, err := json.Marshal(map[string]any{"UserDetailList": out.UserDetailList, "GroupDetailList": out.GroupDetailList,
		"RoleDetailList": out.RoleDetailList, "Policies": out.Policies, "IsTruncated": false})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// awsCLI runs the AWS CLI with a profile of the data dir's credentials
// file against the server, with none of this machine's AWS settings.
func awsCLI(t *testing.T, dataDir, url, profile string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("aws", append([]string{"--profile", profile}, args...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "HOME=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "HOME="+t.TempDir(), "AWS_ENDPOINT_URL="+url, "AWS_PAGER=",
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dataDir, "credentials"), "AWS_CONFIG_FILE="+filepath.Join(dataDir, "config"))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// serve runs a server on dataDir until the returned stop is called (or
// the test ends), through app.Run as `assumed serve` does, and returns
// its URL.
func serve(t *testing.T, dataDir string, w *world.World) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan string, 1), make(chan error, 1)
	go func() {
		done <- app.Run(ctx, app.Options{Listen: "127.0.0.1:0", DataDir: dataDir, World: w, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Ready: func(addr string) { ready <- addr }}, io.Discard)
	}()
	var url string
	select {
	case addr := <-ready:
		url = "http://" + addr
	case err := <-done:
		cancel()
		t.Fatalf("server exited early: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("server did not become ready")
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("server: %v", err)
			}
		}
	}
	t.Cleanup(stop)
	return url, stop
}

// rootIAM is an IAM client of an account's root user, with the key of
// the data dir's credentials file.
func rootIAM(t *testing.T, dataDir, url, profile string) *sdk.Client {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, "credentials"))
	if err != nil {
		t.Fatal(err)
	}
	var id, secret, section string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		k, v, _ := strings.Cut(line, "=")
		switch k, v = strings.TrimSpace(k), strings.TrimSpace(v); {
		case strings.HasPrefix(line, "["):
			section = strings.Trim(line, "[]")
		case section == profile && k == "aws_access_key_id":
			id = v
		case section == profile && k == "aws_secret_access_key":
			secret = v
		}
	}
	if id == "" || secret == "" {
		t.Fatalf("no profile %s in %s", profile, dataDir)
	}
	return sdk.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, "")})
}

// openOffline opens a stopped server's data dir until the test ends.
func openOffline(t *testing.T, dataDir string) *app.Offline {
	t.Helper()
	o, err := app.OpenOffline(context.Background(), dataDir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// buildAssumed builds the assumed command with the toolchain that built
// this test.
func buildAssumed(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "assumed")
	//lint:ignore SA1019 runtime.GOROOT is meaningful in a test binary, which never leaves this machine
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	build := exec.Command(goTool, "build", "-buildvcs=false", "-o", bin, "github.com/assumed-dev/assumed/cmd/assumed")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/assumed: %v\n%s", err, out)
	}
	return bin
}
