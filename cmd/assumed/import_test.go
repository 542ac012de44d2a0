package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assumed-dev/assumed/internal/app"
)

// impTFile is the parser's test file: account 123456789012 in the shape
// the AWS CLI prints.
var impTFile = filepath.Join("..", "..", "internal", "analyze", "gaad", "testdata", "account.json")

const impTAccount = "123456789012"

// impTWrite writes a variant of impTFile into dir: edit changes its
// decoded form; from/to replace the account ID.
func impTWrite(t *testing.T, dir, name, to string, edit func(top map[string]any)) string {
	t.Helper()
	b, err := os.ReadFile(impTFile)
	if err != nil {
		t.Fatal(err)
	}
	if to != "" {
		b = []byte(strings.ReplaceAll(string(b), impTAccount, to))
	}
	if edit != nil {
		var top map[string]any
		if err := json.Unmarshal(b, &top); err != nil {
			t.Fatal(err)
		}
		edit(top)
		if b, err = json.MarshalIndent(top, "", "    "); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// impTAttach attaches policyARN to the file's first user.
func impTAttach(policyARN string) func(map[string]any) {
	return func(top map[string]any) {
		u := top["UserDetailList"].([]any)[0].(map[string]any)
		u["AttachedManagedPolicies"] = append(u["AttachedManagedPolicies"].([]any), map[string]any{"PolicyName": "x", "PolicyArn": policyARN})
	}
}

func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "copy")
	// The account deploy's trust policy names, as a second file.
	partner := impTWrite(t, dir, "partner.json", "210987654321", func(top map[string]any) {
		top["UserDetailList"].([]any)[1].(map[string]any)["UserPolicyList"] = []any{map[string]any{"PolicyName": "assume",
			"PolicyDocument": map[string]any{"Version": "2012-10-17", "Statement": map[string]any{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}}}}
	})
	partnerBob := "arn:aws:iam::210987654321:user/contractors/bob"
	args := []string{"import", impTFile, partner, "--data-dir", dataDir, "--account-name", "123456789012=prod"}
	code, out, errOut := tokTRun(args...)
	explTWant(t, args, code, out, errOut, exitOK, "imported account 123456789012 (prod) from "+impTFile+": 2 users, 2 groups, 2 roles, 2 customer managed policies, 1 instance profiles",
		"imported account 210987654321 (210987654321) from "+partner,
		`- {id: "123456789012", name: prod}`,
		// The file's ReadOnlyAccess is at another version than assumed's.
		"warning: account 123456789012 ("+impTFile+"): AWS managed policy ReadOnlyAccess: the source has version v120, assumed's copy is v182")
	alice := "arn:aws:iam::123456789012:user/alice"
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		// deploy-tools' default version v2, within alice's boundary.
		{[]string{"--as", alice, "--action", "ecr:GetAuthorizationToken"}, exitOK, "Decision:  ALLOWED"},
		// Her URL-encoded inline policy.
		{[]string{"--as", alice, "--action", "s3:PutObject", "--resource", "arn:aws:s3:::reports/alice/q3.csv"}, exitOK, "Decision:  ALLOWED"},
		// AdministratorAccess through admins, beyond her boundary.
		{[]string{"--as", alice, "--action", "cloudformation:CreateStack"}, exitFailure, "Decision:  DENIED"},
		// deploy's URL-encoded trust policy, with its external ID.
		{[]string{"--as", partnerBob, "--assume", "arn:aws:iam::123456789012:role/deploy", "--external-id", "a+b/c=d"}, exitOK, "Decision:  ALLOWED"},
		{[]string{"--as", partnerBob, "--assume", "arn:aws:iam::123456789012:role/deploy", "--external-id", "a-b/c=d"}, exitFailure, "Decision:  DENIED"},
	} {
		args := append([]string{"explain", "--data-dir", dataDir}, c.args...)
		code, out, errOut := tokTRun(args...)
		explTWant(t, args, code, out, errOut, c.code, c.want)
	}
	// Again: the account's contents are replaced, its name kept.
	args = []string{"import", impTFile, "--data-dir", dataDir}
	code, out, errOut = tokTRun(args...)
	explTWant(t, args, code, out, errOut, exitOK, "replaced account 123456789012 (prod)")
}

func TestImportCommandRefusals(t *testing.T) {
	dir := t.TempDir()
	good := impTWrite(t, dir, "good.json", "", nil)
	other := impTWrite(t, dir, "other.json", "999999999999", nil)
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("{\n  \"UserDetailList\": [\n    {\"UserName\": \"a\",}\n  ]\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mixed := impTWrite(t, dir, "mixed.json", "", func(top map[string]any) {
		top["RoleDetailList"].([]any)[0].(map[string]any)["Arn"] = "arn:aws:iam::999999999999:role/deploy"
	})
	unknown := impTWrite(t, dir, "unknown.json", "999999999999", impTAttach("arn:aws:iam::aws:policy/NoSuchPolicy"))
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no file", nil, exitUsage, "name at least one FILE"},
		{"a missing file", []string{filepath.Join(dir, "absent.json")}, exitUsage, "absent.json: no such file"},
		{"bad JSON", []string{good, bad}, exitUsage, bad + ":3: not valid JSON"},
		{"two accounts in a file", []string{mixed}, exitUsage, mixed + ": mixes accounts"},
		{"one account in two files", []string{good, good}, exitUsage, "describes account 123456789012, as " + good + " does"},
		{"a name without its account", []string{good, other, "--account-name", "prod"}, exitUsage, "say which account: --account-name ID=NAME"},
		{"a name of no file's account", []string{good, "--account-name", "210987654321=prod"}, exitUsage, "which none of the files describes"},
		{"a name that is no profile's", []string{good, "--account-name", "my prod"}, exitUsage, "a name is 1 to 64 letters"},
		{"two accounts of one name", []string{good, other, "--account-name", impTAccount + "=x", "--account-name", "999999999999=x"}, exitUsage, "account 999999999999 can't be named x: account 123456789012 has that name"},
		{"an AWS managed policy nobody knows", []string{good, unknown}, exitUsage, unknown + ": account 999999999999: user alice: attached policy arn:aws:iam::aws:policy/NoSuchPolicy is an AWS managed policy that neither the source lists nor assumed knows"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dataDir := filepath.Join(t.TempDir(), "copy")
			args := append(append([]string{"import"}, c.args...), "--data-dir", dataDir)
			code, out, errOut := tokTRun(args...)
			explTWant(t, args, code, out, errOut, c.code, c.want)
			if _, err := os.Stat(dataDir); err == nil {
				t.Error("a refused import left a data dir behind")
			}
		})
	}
}

// TestImportCommandAllOrNothing imports two accounts into a data dir
// that holds one of them, the second refused: neither changes.
func TestImportCommandAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "copy")
	good := impTWrite(t, dir, "good.json", "", nil)
	args := []string{"import", good, "--data-dir", dataDir, "--account-name", "prod"}
	code, out, errOut := tokTRun(args...)
	explTWant(t, args, code, out, errOut, exitOK)
	fewer := impTWrite(t, dir, "fewer.json", "", func(top map[string]any) { top["UserDetailList"] = top["UserDetailList"].([]any)[:1] })
	unknown := impTWrite(t, dir, "unknown.json", "999999999999", impTAttach("arn:aws:iam::aws:policy/NoSuchPolicy"))
	args = []string{"import", fewer, unknown, "--data-dir", dataDir}
	code, out, errOut = tokTRun(args...)
	explTWant(t, args, code, out, errOut, exitUsage, "NoSuchPolicy")

	off, err := app.OpenOffline(context.Background(), dataDir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer off.Close()
	snap := off.Snapshot()
	if _, ok := snap.Accounts["999999999999"]; ok {
		t.Error("the refused account was imported")
	}
	if n := len(snap.AccountIAM(impTAccount).Users); n != 2 {
		t.Errorf("account %s has %d users after a refused import, want its 2", impTAccount, n)
	}
}

func TestImportCommandLockedDataDir(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	_, stop := explTServe(t, dataDir, nil)
	args := []string{"import", impTFile, "--data-dir", dataDir}
	code, out, errOut := tokTRun(args...)
	explTWant(t, args, code, out, errOut, exitUsage, "is in use by another assumed server", "stop it, import, and start it again")
	stop()
	// Stopped, the server's data dir takes the account beside its own.
	code, out, errOut = tokTRun(args...)
	explTWant(t, args, code, out, errOut, exitOK, "imported account 123456789012 (123456789012)")
	args = []string{"explain", "--data-dir", dataDir, "--as", "arn:aws:iam::123456789012:user/contractors/bob", "--action", "iam:ListRoles"}
	code, out, errOut = tokTRun(args...)
	explTWant(t, args, code, out, errOut, exitFailure, "Decision:  DENIED")
}

func TestImportCommandHelp(t *testing.T) {
	code, out, _ := tokTRun("import", "--help")
	for _, want := range []string{"aws iam get-account-authorization-details --profile prod > prod.json", "assumed import prod.json dev.json --data-dir copy",
		"Re-importing an account replaces its IAM contents", "--account-name"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("import --help (exit %d) lacks %q", code, want)
		}
	}
}
