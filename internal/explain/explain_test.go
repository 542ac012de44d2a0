package explain_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/explain"
	"github.com/assumed-dev/assumed/internal/iam"
	"github.com/assumed-dev/assumed/internal/store/sqlite"
	"github.com/assumed-dev/assumed/internal/world"
)

var update = flag.Bool("update", false, "rewrite the golden files of TestRenderGolden")

const (
	acctA = "111111111111"
	acctB = "222222222222"
)

// exNow is the time of every explained request.
var exNow = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// exSnapshot applies testdata/world.yaml through the IAM service on a
// real SQLite store (the path a server takes), sets what the world file
// cannot declare (bounded's permissions boundary) with IAM's own
// operation as the root user, and returns the published snapshot.
func exSnapshot(tb testing.TB) *directory.Snapshot {
	tb.Helper()
	ctx := context.Background()
	dir := tb.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "assumed.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	key, err := creds.LoadOrCreateMasterKey(filepath.Join(dir, "master.key"))
	if err != nil {
		tb.Fatal(err)
	}
	sealer, err := creds.NewSealer(key)
	if err != nil {
		tb.Fatal(err)
	}
	svc, err := iam.New(ctx, st, sealer, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		tb.Fatal(err)
	}
	w, err := world.Load("testdata/world.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	if err := svc.ApplyWorld(ctx, "testdata/world.yaml", w); err != nil {
		tb.Fatal(err)
	}
	root := &directory.Caller{AccountID: acctA, ARN: "arn:aws:iam::" + acctA + ":root", Region: "us-east-1", RequestTime: exNow}
	if _, err := svc.PutUserPermissionsBoundary(ctx, root, &sdk.PutUserPermissionsBoundaryInput{UserName: aws.String("bounded"), PermissionsBoundary: aws.String("arn:aws:iam::" + acctA + ":policy/S3Only")}); err != nil {
		tb.Fatal(err)
	}
	return svc.Directory().Snapshot()
}

// exCases are the queries of the decision and golden tests.
var exCases = []struct {
	name     string
	q        explain.Query
	decision string
	// reason is a part of the trace's Reason.
	reason string
}{
	{"allowed-external-id", explain.Query{As: "arn:aws:iam::" + acctB + ":user/bob", Assume: "arn:aws:iam::" + acctA + ":role/deploy", ExternalID: "s3cr3t-42"},
		authz.DecisionAllowed, ""},
	{"wrong-external-id", explain.Query{As: "arn:aws:iam::" + acctB + ":user/bob", Assume: "arn:aws:iam::" + acctA + ":role/deploy", ExternalID: "wrong-id"},
		authz.DecisionImplicitDeny, `the external ID passed (wrong-id) is not one the trust policy accepts`},
	{"missing-external-id", explain.Query{As: "arn:aws:iam::" + acctB + ":user/bob", Assume: "arn:aws:iam::" + acctA + ":role/deploy"},
		authz.DecisionImplicitDeny, "the trust policy requires an external ID"},
	{"cross-account-no-identity-allow", explain.Query{As: "arn:aws:iam::" + acctB + ":user/dave", Assume: "arn:aws:iam::" + acctA + ":role/deploy", ExternalID: "s3cr3t-42"},
		authz.DecisionImplicitDeny, ""},
	{"trust-names-another-role", explain.Query{As: "arn:aws:iam::" + acctB + ":role/deployer", Assume: "arn:aws:iam::" + acctA + ":role/ci-target"},
		authz.DecisionImplicitDeny, "no statement of the trust policy"},
	{"role-not-found", explain.Query{As: "arn:aws:iam::" + acctB + ":user/bob", Assume: "arn:aws:iam::" + acctA + ":role/nope"},
		authz.DecisionImplicitDeny, "role nope does not exist in account " + acctA},
	{"missing-tag-session", explain.Query{As: "arn:aws:iam::" + acctB + ":user/carol", Assume: "arn:aws:iam::" + acctA + ":role/tagged", Tags: map[string]string{"team": "blue"}},
		authz.DecisionImplicitDeny, "but not sts:TagSession"},
	{"explicit-deny-identity", explain.Query{As: "arn:aws:iam::" + acctA + ":user/alice", Action: "iam:DeleteRole", Resource: "arn:aws:iam::" + acctA + ":role/deploy"},
		authz.DecisionExplicitDeny, `statement "NoRoleDeletion"`},
	{"boundary", explain.Query{As: "arn:aws:iam::" + acctA + ":user/bounded", Action: "iam:ListRoles"},
		authz.DecisionImplicitDeny, ""},
	{"chained-duration", explain.Query{As: "arn:aws:sts::" + acctB + ":assumed-role/ci/build-7", Assume: "arn:aws:iam::" + acctA + ":role/ci-target", DurationSeconds: 7200},
		authz.DecisionImplicitDeny, "exceeds the 1 hour session limit for roles assumed by role chaining"},
}

func TestExplainDecisions(t *testing.T) {
	snap := exSnapshot(t)
	for _, c := range exCases {
		t.Run(c.name, func(t *testing.T) {
			q := c.q
			q.Time = exNow
			tr, err := explain.Explain(snap, q)
			if err != nil {
				t.Fatal(err)
			}
			if tr.Decision != c.decision {
				t.Errorf("decision %s, want %s\nrule: %s\nreason: %s", tr.Decision, c.decision, tr.Rule, tr.Reason)
			}
			if !strings.Contains(tr.Reason, c.reason) {
				t.Errorf("reason %q lacks %q", tr.Reason, c.reason)
			}
			if c.decision != authz.DecisionAllowed && (tr.Rule == "" || tr.Fix == "") {
				t.Errorf("a refusal without its rule or fix: rule %q, fix %q", tr.Rule, tr.Fix)
			}
		})
	}
}

// TestExplainBoundaryAndCrossAccount checks what decided in the traces
// whose reason is worked out by authz: the boundary's, and account B's
// missing identity allow.
func TestExplainBoundaryAndCrossAccount(t *testing.T) {
	snap := exSnapshot(t)
	tr, err := explain.Explain(snap, explain.Query{As: "arn:aws:iam::" + acctA + ":user/bounded", Action: "iam:ListRoles", Time: exNow})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tr.Rule, "permissions boundary") || !strings.Contains(tr.Fix, "permissions boundary") {
		t.Errorf("boundary: rule %q, fix %q", tr.Rule, tr.Fix)
	}
	var kinds []string
	for _, p := range tr.Accounts[0].Policies {
		kinds = append(kinds, p.Kind+"="+p.Decision)
	}
	if got := strings.Join(kinds, " "); got != authz.KindIdentity+"=allowed "+authz.KindBoundary+"=implicitDeny" {
		t.Errorf("boundary: policies %s", got)
	}

	tr, err = explain.Explain(snap, explain.Query{As: "arn:aws:iam::" + acctB + ":user/dave", Assume: "arn:aws:iam::" + acctA + ":role/deploy", ExternalID: "s3cr3t-42", Time: exNow})
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Accounts) != 2 {
		t.Fatalf("cross-account: %d accounts, want the caller's and the role's", len(tr.Accounts))
	}
	byAcct := map[string]authz.AccountTrace{}
	for _, a := range tr.Accounts {
		byAcct[a.AccountID] = a
	}
	if a, b := byAcct[acctA], byAcct[acctB]; a.Decision != authz.DecisionAllowed || b.Decision != authz.DecisionImplicitDeny || b.Side != "caller" {
		t.Errorf("cross-account: A %s (%s), B %s (%s); want A allowed, B the caller, not allowing", a.Decision, a.Side, b.Decision, b.Side)
	}
	if !strings.Contains(tr.Rule, "both sides must agree") || !strings.Contains(tr.Fix, "in account "+acctB) {
		t.Errorf("cross-account: rule %q, fix %q", tr.Rule, tr.Fix)
	}
}

// TestExplainCallers checks the caller each kind of principal ARN makes.
func TestExplainCallers(t *testing.T) {
	snap := exSnapshot(t)
	roleCI := snap.AccountIAM(acctB).Roles["ci"]
	for _, c := range []struct {
		as, arn, typ string
	}{
		{"arn:aws:iam::" + acctA + ":root", "arn:aws:iam::" + acctA + ":root", "Account"},
		{acctA, "arn:aws:iam::" + acctA + ":root", "Account"},
		{"arn:aws:iam::" + acctB + ":user/bob", "arn:aws:iam::" + acctB + ":user/bob", "User"},
		{"arn:aws:iam::" + acctB + ":role/ci", "arn:aws:sts::" + acctB + ":assumed-role/ci/" + explain.RoleSessionName, "AssumedRole"},
		{"arn:aws:sts::" + acctB + ":assumed-role/ci/build-7", "arn:aws:sts::" + acctB + ":assumed-role/ci/build-7", "AssumedRole"},
	} {
		tr, err := explain.Explain(snap, explain.Query{As: c.as, Action: "iam:ListRoles", Time: exNow})
		if err != nil {
			t.Errorf("%s: %v", c.as, err)
			continue
		}
		if tr.Principal.ARN != c.arn || tr.Principal.Type != c.typ {
			t.Errorf("%s: principal %s (%s), want %s (%s)", c.as, tr.Principal.ARN, tr.Principal.Type, c.arn, c.typ)
		}
		if c.typ == "AssumedRole" && tr.Principal.ID != roleCI.ID {
			t.Errorf("%s: principal ID %s, want the role's %s", c.as, tr.Principal.ID, roleCI.ID)
		}
	}
}

// TestExplainContextEntries checks that typed context entries reach the
// conditions as the values they are.
func TestExplainContextEntries(t *testing.T) {
	snap := exSnapshot(t)
	base := []explain.ContextEntry{
		{Key: "aws:SourceIp", Type: "ip", Values: []string{"10.1.2.3"}},
		{Key: "aws:SecureTransport", Type: "boolean", Values: []string{"TRUE"}},
		{Key: "s3:max-keys", Type: "numeric", Values: []string{" 50 "}},
		{Key: "aws:TagKeys", Type: "stringList", Values: []string{"team"}},
	}
	with := func(k string, e *explain.ContextEntry) []explain.ContextEntry {
		var out []explain.ContextEntry
		for _, b := range base {
			if b.Key != k {
				out = append(out, b)
			}
		}
		if e != nil {
			out = append(out, *e)
		}
		return out
	}
	for _, c := range []struct {
		name     string
		ctx      []explain.ContextEntry
		at       time.Time
		decision string
	}{
		{"all hold", base, exNow, authz.DecisionAllowed},
		{"another network", with("aws:SourceIp", &explain.ContextEntry{Key: "aws:SourceIp", Type: "ip", Values: []string{"192.0.2.1"}}), exNow, authz.DecisionImplicitDeny},
		{"plain HTTP", with("aws:SecureTransport", &explain.ContextEntry{Key: "aws:SecureTransport", Type: "boolean", Values: []string{"false"}}), exNow, authz.DecisionImplicitDeny},
		{"too many keys", with("s3:max-keys", &explain.ContextEntry{Key: "s3:max-keys", Type: "numeric", Values: []string{"1000"}}), exNow, authz.DecisionImplicitDeny},
		{"a tag key not listed", with("aws:TagKeys", &explain.ContextEntry{Key: "aws:TagKeys", Type: "stringList", Values: []string{"team", "owner"}}), exNow, authz.DecisionImplicitDeny},
		{"no source IP", with("aws:SourceIp", nil), exNow, authz.DecisionImplicitDeny},
		{"too late", base, time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC), authz.DecisionImplicitDeny},
		{"too late, as a context key", with("", &explain.ContextEntry{Key: "aws:CurrentTime", Type: "date", Values: []string{"2031-01-01T00:00:00Z"}}), exNow, authz.DecisionImplicitDeny},
	} {
		tr, err := explain.Explain(snap, explain.Query{As: "arn:aws:iam::" + acctA + ":user/erin", Action: "s3:ListBucket", Resource: "arn:aws:s3:::reports", Context: c.ctx, Time: c.at})
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if tr.Decision != c.decision {
			var b bytes.Buffer
			explain.Render(&b, tr)
			t.Errorf("%s: %s, want %s\n%s", c.name, tr.Decision, c.decision, b.String())
		}
	}
}

func TestExplainErrors(t *testing.T) {
	snap := exSnapshot(t)
	bob := "arn:aws:iam::" + acctB + ":user/bob"
	deploy := "arn:aws:iam::" + acctA + ":role/deploy"
	for _, c := range []struct {
		name string
		q    explain.Query
		code string
		msg  string
	}{
		{"no principal", explain.Query{Action: "iam:ListRoles"}, "InvalidInput", "say who asks"},
		{"not an ARN", explain.Query{As: "bob", Action: "iam:ListRoles"}, "InvalidInput", "is not a principal ARN"},
		{"a group", explain.Query{As: "arn:aws:iam::" + acctA + ":group/devs", Action: "iam:ListRoles"}, "InvalidInput", "is not a principal ARN"},
		{"unknown account", explain.Query{As: "arn:aws:iam::333333333333:user/bob", Action: "iam:ListRoles"}, "NoSuchEntity", "account 333333333333 is not hosted"},
		{"unknown user", explain.Query{As: "arn:aws:iam::" + acctB + ":user/zed", Action: "iam:ListRoles"}, "NoSuchEntity", "account " + acctB + " has no user named zed"},
		{"unknown role", explain.Query{As: "arn:aws:iam::" + acctB + ":role/zed", Action: "iam:ListRoles"}, "NoSuchEntity", "has no role named zed"},
		{"unknown session role", explain.Query{As: "arn:aws:sts::" + acctB + ":assumed-role/zed/s", Action: "iam:ListRoles"}, "NoSuchEntity", "has no role named zed"},
		{"wrong path", explain.Query{As: "arn:aws:iam::" + acctB + ":user/eng/bob", Action: "iam:ListRoles"}, "NoSuchEntity", "its user bob is " + bob},
		{"nothing to explain", explain.Query{As: bob}, "InvalidInput", "say what to explain"},
		{"both", explain.Query{As: bob, Action: "iam:ListRoles", Assume: deploy}, "InvalidInput", "one at a time"},
		{"external ID without a role", explain.Query{As: bob, Action: "iam:ListRoles", ExternalID: "x1"}, "InvalidInput", "name the role to assume"},
		{"not a role", explain.Query{As: bob, Assume: "arn:aws:iam::" + acctA + ":user/alice"}, "InvalidInput", "is not a role ARN"},
		{"bad action", explain.Query{As: bob, Action: "ListRoles"}, "InvalidInput", "is not SERVICE:ACTION"},
		{"bad type", explain.Query{As: bob, Action: "s3:ListBucket", Context: []explain.ContextEntry{{Key: "k", Type: "float", Values: []string{"1"}}}}, "InvalidInput", `type "float" is not one of`},
		{"bad number", explain.Query{As: bob, Action: "s3:ListBucket", Context: []explain.ContextEntry{{Key: "k", Type: "numeric", Values: []string{"ten"}}}}, "InvalidInput", "want a number"},
		{"bad IP", explain.Query{As: bob, Action: "s3:ListBucket", Context: []explain.ContextEntry{{Key: "aws:SourceIp", Type: "ip", Values: []string{"10.0.0"}}}}, "InvalidInput", "want an IP address"},
		{"two values", explain.Query{As: bob, Action: "s3:ListBucket", Context: []explain.ContextEntry{{Key: "k", Type: "string", Values: []string{"a", "b"}}}}, "InvalidInput", "takes one value, not 2"},
		{"key twice", explain.Query{As: bob, Action: "s3:ListBucket", Context: []explain.ContextEntry{{Key: "k", Values: []string{"a"}}, {Key: "K", Values: []string{"b"}}}}, "InvalidInput", "is given twice"},
		{"short duration", explain.Query{As: bob, Assume: deploy, DurationSeconds: 60}, "InvalidInput", "outside AssumeRole's 900 to 43200"},
		{"bad session name", explain.Query{As: bob, Assume: deploy, SessionName: "a b"}, "InvalidInput", "session name"},
		{"bad external ID", explain.Query{As: bob, Assume: deploy, ExternalID: "x y"}, "InvalidInput", "external ID"},
		{"aws: source identity", explain.Query{As: bob, Assume: deploy, SourceIdentity: "aws:me"}, "InvalidInput", "source identity"},
	} {
		_, err := explain.Explain(snap, c.q)
		var e *explain.Error
		if !errors.As(err, &e) || e.Code != c.code || !strings.Contains(e.Message, c.msg) {
			t.Errorf("%s: %v, want %s %q", c.name, err, c.code, c.msg)
		}
	}
}

// TestExplainAssumeRoleAsRoot: the root user is refused AssumeRole
// before the role is looked at, as STS does.
func TestExplainAssumeRoleAsRoot(t *testing.T) {
	snap := exSnapshot(t)
	for _, role := range []string{"deploy", "nope"} {
		tr, err := explain.Explain(snap, explain.Query{As: acctB, Assume: "arn:aws:iam::" + acctA + ":role/" + role, Time: exNow})
		if err != nil {
			t.Fatal(err)
		}
		if tr.Decision != authz.DecisionImplicitDeny || !strings.Contains(tr.Reason, "roles may not be assumed by root accounts") {
			t.Errorf("%s: %s, %q", role, tr.Decision, tr.Reason)
		}
	}
}

// TestExplainAssumeRoleAsAction: sts:AssumeRole on a role's ARN is
// explained as the assumption, trust policy included.
func TestExplainAssumeRoleAsAction(t *testing.T) {
	snap := exSnapshot(t)
	tr, err := explain.Explain(snap, explain.Query{As: "arn:aws:iam::" + acctB + ":user/bob", Action: "sts:AssumeRole", Resource: "arn:aws:iam::" + acctA + ":role/deploy", Time: exNow})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Decision != authz.DecisionImplicitDeny || !strings.Contains(tr.Reason, "requires an external ID") {
		t.Errorf("%s: %q", tr.Decision, tr.Reason)
	}
}

// scrubIDs replaces the unique IDs of the snapshot's users and roles,
// which differ on every run, with stable names.
func scrubIDs(snap *directory.Snapshot, s string) string {
	var pairs []string
	for _, acct := range []string{acctA, acctB} {
		a := snap.AccountIAM(acct)
		for _, u := range a.Users {
			pairs = append(pairs, u.ID, "<ID of user "+u.Name+">")
		}
		for _, r := range a.Roles {
			pairs = append(pairs, r.ID, "<ID of role "+r.Name+">")
		}
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// TestRenderGolden renders the trace of each case and compares it with
// testdata/NAME.golden (go test -run TestRenderGolden -update rewrites
// them).
func TestRenderGolden(t *testing.T) {
	snap := exSnapshot(t)
	for _, c := range exCases {
		t.Run(c.name, func(t *testing.T) {
			q := c.q
			q.Time = exNow
			tr, err := explain.Explain(snap, q)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := explain.Render(&b, tr); err != nil {
				t.Fatal(err)
			}
			got := scrubIDs(snap, b.String())
			// Deterministic: the same trace renders the same.
			var again bytes.Buffer
			if err := explain.Render(&again, tr); err != nil || scrubIDs(snap, again.String()) != got {
				t.Fatalf("a second rendering differs (%v)", err)
			}
			path := filepath.Join("testdata", c.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestRenderGolden -update to write it)", err)
			}
			if got != string(want) {
				t.Errorf("rendering differs from %s (go test -run TestRenderGolden -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
			}
		})
	}
}

// TestRenderMarks checks the rendering's fixed parts on one trace: the
// headline, the marks and the closing lines.
func TestRenderMarks(t *testing.T) {
	snap := exSnapshot(t)
	tr, err := explain.Explain(snap, explain.Query{As: "arn:aws:iam::" + acctB + ":user/bob", Assume: "arn:aws:iam::" + acctA + ":role/deploy", ExternalID: "wrong-id", Time: exNow})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := explain.Render(&b, tr); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	var lines []string
	for l := range strings.SplitSeq(out, "\n") {
		lines = append(lines, strings.TrimSpace(l))
	}
	for _, want := range []string{
		"Decision:  DENIED (implicit deny: nothing allowed it)",
		"Account " + acctB + " (caller): allows",
		"Account " + acctA + " (resource owner): does not allow",
		`✗ statement 1 "PartnerB" (Allow): condition StringEquals sts:ExternalId ["s3cr3t-42"] is false for request value ["wrong-id"]  ← decided`,
		`✗ StringEquals sts:ExternalId policy ["s3cr3t-42"] request ["wrong-id"]`,
		"✓ statement 1 (Allow): Allow applies",
	} {
		if !contains(lines, want) {
			t.Errorf("no line %q in:\n%s", want, out)
		}
	}
	for _, prefix := range []string{"Rule: ", "Why:  ", "Fix:  ", "Decided by: account " + acctA} {
		if !hasPrefix(lines, prefix) {
			t.Errorf("no line starting %q in:\n%s", prefix, out)
		}
	}
}

func contains(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}

func hasPrefix(lines []string, p string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}
