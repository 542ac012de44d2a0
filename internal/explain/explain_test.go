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
	"github.com/assumed-dev/assumed/policy"
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
	// A's buckets, recorded as the gateway records a bucket's owner and
	// policy (gateway.recordOwner, recordPolicy).
	err = svc.Writer().Update(ctx, func(t *directory.Txn) error {
		for _, b := range []struct{ name, doc string }{{"a-bucket", exBucketPolicy}, {"bare-bucket", ""}} {
			res := &directory.Resource{ARN: "arn:aws:s3:::" + b.name, Account: acctA, Policy: b.doc}
			if b.doc != "" {
				p, err := policy.Parse(b.doc, policy.Resource)
				if err != nil {
					return err
				}
				res.Compiled = p
			}
			t.Snap.Resources[res.ARN] = res
			if err := t.Put("resource", acctA, res.ARN, res); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return svc.Directory().Snapshot()
}

// exBucketPolicy is a-bucket's policy: B's reader and dave may get its
// objects (dave's own policies don't let him), nobody those under
// secret/.
const exBucketPolicy = `{"Version":"2012-10-17","Statement":[
  {"Sid":"ReadersOfB","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::222222222222:user/reader","arn:aws:iam::222222222222:user/dave"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::a-bucket/*"},
  {"Sid":"NoSecrets","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::a-bucket/secret/*"}]}`

// The OIDC provider of the explain tests' cluster, and its claim keys.
const (
	exIssuer   = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
	exProvider = "arn:aws:iam::" + acctA + ":oidc-provider/" + exIssuer
)

// exToken is the context of a web-identity token of exIssuer for
// subject and audience.
func exToken(subject, audience string) []explain.ContextEntry {
	return []explain.ContextEntry{{Key: exIssuer + ":sub", Values: []string{subject}}, {Key: exIssuer + ":aud", Values: []string{audience}}}
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
	{"partner-without-external-id", explain.Query{As: "arn:aws:iam::" + acctB + ":user/bob", Assume: "arn:aws:iam::" + acctA + ":role/partner"},
		authz.DecisionAllowed, ""},
	{"irsa-without-sub", explain.Query{As: exProvider, Assume: "arn:aws:iam::" + acctA + ":role/irsa-open", Context: exToken("system:serviceaccount:team-b:web", "sts.amazonaws.com")},
		authz.DecisionAllowed, ""},
	{"irsa-wrong-audience", explain.Query{As: exProvider, Assume: "arn:aws:iam::" + acctA + ":role/irsa-app", Context: exToken("system:serviceaccount:team-a:app", "sts.amazonws.com")},
		authz.DecisionImplicitDeny, `the token's audience ["sts.amazonws.com"] is not a client ID`},
	{"bucket-policy-cross-account", explain.Query{As: "arn:aws:iam::" + acctB + ":user/reader", Action: "s3:GetObject", Resource: "arn:aws:s3:::a-bucket/k"},
		authz.DecisionAllowed, ""},
	{"bucket-policy-explicit-deny", explain.Query{As: "arn:aws:iam::" + acctB + ":user/reader", Action: "s3:GetObject", Resource: "arn:aws:s3:::a-bucket/secret/k"},
		authz.DecisionExplicitDeny, `statement "NoSecrets" of bucket policy of a-bucket denies s3:GetObject`},
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

// TestExplainResources: actions of services with resource-based
// policies are decided with the resource's owner and policy as the
// gateway records them, across accounts both sides.
func TestExplainResources(t *testing.T) {
	snap := exSnapshot(t)
	reader := "arn:aws:iam::" + acctB + ":user/reader"
	for _, c := range []struct {
		name, as, action, resource string
		decision                   string
		// owner is the resource's account in the trace; has is a part of
		// its rule or reason.
		owner, has string
	}{
		{"cross account, allowed by the bucket policy and the identity policy", reader, "s3:GetObject", "arn:aws:s3:::a-bucket/k",
			authz.DecisionAllowed, acctA, "Both accounts agree"},
		{"cross account, the bucket policy allows but no identity policy", "arn:aws:iam::" + acctB + ":user/dave", "s3:GetObject", "arn:aws:s3:::a-bucket/k",
			authz.DecisionImplicitDeny, acctA, "no identity-based policy allows the s3:GetObject action"},
		{"cross account, a bucket without a policy", reader, "s3:GetObject", "arn:aws:s3:::bare-bucket/k",
			authz.DecisionImplicitDeny, acctA, "no resource-based policy allows the s3:GetObject action"},
		{"an explicit deny in the bucket policy", reader, "s3:GetObject", "arn:aws:s3:::a-bucket/secret/k",
			authz.DecisionExplicitDeny, acctA, `statement "NoSecrets" of bucket policy of a-bucket denies`},
		{"the owner's root, denied by its own bucket policy", acctA, "s3:GetObject", "arn:aws:s3:::a-bucket/secret/k",
			authz.DecisionExplicitDeny, acctA, `statement "NoSecrets"`},
		{"the owner's root", acctA, "s3:GetObject", "arn:aws:s3:::a-bucket/k",
			authz.DecisionAllowed, acctA, "root user"},
		{"a bucket the gateway has no record of is the caller's", reader, "s3:GetObject", "arn:aws:s3:::unknown-bucket/k",
			authz.DecisionAllowed, acctB, "An identity-based policy allows"},
		{"IAM has no resource-based policies", reader, "iam:GetRole", "arn:aws:iam::" + acctA + ":role/deploy",
			authz.DecisionImplicitDeny, acctA, "iam has none"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr, err := explain.Explain(snap, explain.Query{As: c.as, Action: c.action, Resource: c.resource, Time: exNow})
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			explain.Render(&b, tr)
			if tr.Decision != c.decision || tr.ResourceAccount != c.owner || !strings.Contains(tr.Rule+" "+tr.Reason, c.has) {
				t.Errorf("%s of account %s, want %s of %s with %q:\n%s", tr.Decision, tr.ResourceAccount, c.decision, c.owner, c.has, b.String())
			}
			if strings.Contains(b.String(), "has no resource-based policies") && strings.HasPrefix(c.action, "s3:") {
				t.Errorf("s3 explained with IAM's rules:\n%s", b.String())
			}
		})
	}
}

// TestExplainWarnings: allowed assumptions that let more through than
// the trust probably meant carry warnings; the others, and refusals,
// carry none.
func TestExplainWarnings(t *testing.T) {
	snap := exSnapshot(t)
	bob := "arn:aws:iam::" + acctB + ":user/bob"
	role := func(name string) string { return "arn:aws:iam::" + acctA + ":role/" + name }
	for _, c := range []struct {
		name     string
		q        explain.Query
		decision string
		warnings []string // a part of each warning, in order
	}{
		{"trust of another account with an external ID", explain.Query{As: bob, Assume: role("deploy"), ExternalID: "s3cr3t-42"}, authz.DecisionAllowed, nil},
		{"trust of another account without an external ID", explain.Query{As: bob, Assume: role("partner")}, authz.DecisionAllowed,
			[]string{"any principal of account " + acctB + " that its own policies allow can assume this role"}},
		{"trust of everyone", explain.Query{As: bob, Assume: role("everyone")}, authz.DecisionAllowed,
			[]string{`names Principal "*" without an sts:ExternalId condition`}},
		{"trust of a user", explain.Query{As: "arn:aws:iam::" + acctB + ":user/carol", Assume: role("tagged")}, authz.DecisionAllowed, nil},
		{"refused: no warnings", explain.Query{As: bob, Assume: role("deploy")}, authz.DecisionImplicitDeny, nil},
		{"IRSA without :sub", explain.Query{As: exProvider, Assume: role("irsa-open"), Context: exToken("system:serviceaccount:team-b:web", "sts.amazonaws.com")}, authz.DecisionAllowed,
			[]string{"every service account of the cluster can assume this role"}},
		{"IRSA with a namespace wildcard and no :aud", explain.Query{As: exProvider, Assume: role("irsa-ns"), Context: exToken("system:serviceaccount:team-a:web", "other-aud")}, authz.DecisionAllowed,
			[]string{"every service account of namespace team-a can assume this role", "no condition on " + exIssuer + ":aud"}},
		{"IRSA with :sub and :aud", explain.Query{As: exProvider, Assume: role("irsa-app"), Context: exToken("system:serviceaccount:team-a:app", "sts.amazonaws.com")}, authz.DecisionAllowed, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			q := c.q
			q.Time = exNow
			tr, err := explain.Explain(snap, q)
			if err != nil {
				t.Fatal(err)
			}
			if tr.Decision != c.decision {
				t.Fatalf("decision %s, want %s: %s", tr.Decision, c.decision, tr.Reason)
			}
			if len(tr.Warnings) != len(c.warnings) {
				t.Fatalf("warnings %q, want %d", tr.Warnings, len(c.warnings))
			}
			for i, w := range c.warnings {
				if !strings.Contains(tr.Warnings[i], w) {
					t.Errorf("warning %q lacks %q", tr.Warnings[i], w)
				}
			}
			var b bytes.Buffer
			if err := explain.Render(&b, tr); err != nil {
				t.Fatal(err)
			}
			if got := strings.Count(b.String(), "\nWarning: "); got != len(c.warnings) {
				t.Errorf("%d Warning lines, want %d:\n%s", got, len(c.warnings), b.String())
			}
		})
	}
}

// TestExplainWebIdentity: an OIDC provider's ARN as the principal
// explains AssumeRoleWithWebIdentity as STS decides it, the token's
// claims given as context keys.
func TestExplainWebIdentity(t *testing.T) {
	snap := exSnapshot(t)
	app := "arn:aws:iam::" + acctA + ":role/irsa-app"
	for _, c := range []struct {
		name     string
		q        explain.Query
		decision string
		reason   string
		deciding string // the deciding statement and condition, when one is marked
	}{
		{"allowed", explain.Query{Assume: app, Context: exToken("system:serviceaccount:team-a:app", "sts.amazonaws.com")}, authz.DecisionAllowed, "", ""},
		{"as an action", explain.Query{Action: "sts:AssumeRoleWithWebIdentity", Resource: app, Context: exToken("system:serviceaccount:team-a:app", "sts.amazonaws.com")}, authz.DecisionAllowed, "", ""},
		{"another service account", explain.Query{Assume: app, Context: exToken("system:serviceaccount:team-b:app", "sts.amazonaws.com")}, authz.DecisionImplicitDeny,
			`the token's subject ["system:serviceaccount:team-b:app"] does not satisfy StringEquals`, "statement 1, StringEquals " + exIssuer + ":sub"},
		{"an audience of the provider the trust does not accept", explain.Query{Assume: app, Context: exToken("system:serviceaccount:team-a:app", "other-aud")}, authz.DecisionImplicitDeny,
			`the token's audience ["other-aud"] does not satisfy StringEquals`, "statement 1, StringEquals " + exIssuer + ":aud"},
		{"an audience the provider does not accept", explain.Query{Assume: app, Context: exToken("system:serviceaccount:team-a:app", "sts.amazonws.com")}, authz.DecisionImplicitDeny,
			`the token's audience ["sts.amazonws.com"] is not a client ID`, ""},
		{"session tags the trust does not allow", explain.Query{Assume: app, Tags: map[string]string{"team": "a"}, Context: exToken("system:serviceaccount:team-a:app", "sts.amazonaws.com")}, authz.DecisionImplicitDeny,
			"allows sts:AssumeRoleWithWebIdentity for " + exProvider + " but not sts:TagSession", "statement 1"},
		{"a role of an account without the provider", explain.Query{Assume: "arn:aws:iam::" + acctB + ":role/ci", Context: exToken("system:serviceaccount:team-a:app", "sts.amazonaws.com")}, authz.DecisionImplicitDeny,
			"account " + acctB + " has no OIDC provider for the token's issuer https://" + exIssuer, ""},
		{"a role that does not exist", explain.Query{Assume: "arn:aws:iam::" + acctA + ":role/nope", Context: exToken("system:serviceaccount:team-a:app", "sts.amazonaws.com")}, authz.DecisionImplicitDeny,
			"role nope does not exist", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			q := c.q
			q.As, q.Time = exProvider, exNow
			tr, err := explain.Explain(snap, q)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			explain.Render(&b, tr)
			if tr.Decision != c.decision || !strings.Contains(tr.Reason, c.reason) {
				t.Fatalf("%s, %q; want %s, %q:\n%s", tr.Decision, tr.Reason, c.decision, c.reason, b.String())
			}
			if tr.Principal.ARN != exProvider || tr.Principal.Type != "WebIdentity" || tr.Action != "sts:AssumeRoleWithWebIdentity" && tr.Action != "sts:TagSession" {
				t.Errorf("principal %s (%s), action %s", tr.Principal.ARN, tr.Principal.Type, tr.Action)
			}
			if got := tr.Deciding.String(); c.deciding != "" && !strings.HasSuffix(got, c.deciding) {
				t.Errorf("deciding %q, want it to end with %q", got, c.deciding)
			}
			if c.decision == authz.DecisionAllowed {
				keys := map[string]bool{}
				for _, e := range tr.Context {
					keys[e.Key] = true
				}
				for _, k := range []string{exIssuer + ":sub", exIssuer + ":aud", "aws:FederatedProvider", "aws:PrincipalType", "sts:RoleSessionName", "aws:SecureTransport", "aws:CurrentTime"} {
					if !keys[k] {
						t.Errorf("no %s in the context STS would build: %v", k, tr.Context)
					}
				}
			}
		})
	}
}

// TestExplainWebIdentityErrors: the queries of a web-identity
// assumption that can't be explained.
func TestExplainWebIdentityErrors(t *testing.T) {
	snap := exSnapshot(t)
	app := "arn:aws:iam::" + acctA + ":role/irsa-app"
	tok := exToken("system:serviceaccount:team-a:app", "sts.amazonaws.com")
	for _, c := range []struct {
		name string
		q    explain.Query
		code string
		msg  string
	}{
		{"no subject", explain.Query{As: exProvider, Assume: app, Context: tok[1:]}, "InvalidInput", "give the token's subject"},
		{"no audience", explain.Query{As: exProvider, Assume: app, Context: tok[:1]}, "InvalidInput", "give the token's audience"},
		{"an external ID", explain.Query{As: exProvider, Assume: app, ExternalID: "x1", Context: tok}, "InvalidInput", "AssumeRoleWithWebIdentity takes none"},
		{"an action that is no assumption", explain.Query{As: exProvider, Action: "s3:GetObject", Context: tok}, "InvalidInput", "can only assume a role"},
		{"an unknown provider", explain.Query{As: "arn:aws:iam::" + acctA + ":oidc-provider/example.com", Assume: app, Context: tok}, "NoSuchEntity", "has no OIDC provider"},
		{"a user with a web-identity action", explain.Query{As: "arn:aws:iam::" + acctB + ":user/bob", Action: "sts:AssumeRoleWithWebIdentity", Resource: app}, "InvalidInput", "is made with a web-identity token"},
	} {
		_, err := explain.Explain(snap, c.q)
		var e *explain.Error
		if !errors.As(err, &e) || e.Code != c.code || !strings.Contains(e.Message, c.msg) {
			t.Errorf("%s: %v, want %s %q", c.name, err, c.code, c.msg)
		}
	}
}

// TestExplainContextSpelling: the caller's keys, which authorization
// sets in lower case, show in AWS's spelling.
func TestExplainContextSpelling(t *testing.T) {
	snap := exSnapshot(t)
	tr, err := explain.Explain(snap, explain.Query{As: "arn:aws:sts::" + acctB + ":assumed-role/ci/build-7", Action: "iam:ListRoles", Time: exNow,
		Context: []explain.ContextEntry{{Key: "aws:SourceIp", Type: "ip", Values: []string{"10.1.2.3"}}}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, e := range tr.Context {
		got[e.Key] = true
	}
	for _, k := range []string{"aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalType", "aws:SecureTransport", "aws:ViaAWSService",
		"aws:PrincipalIsAWSService", "aws:RequestedRegion", "aws:TokenIssueTime", "aws:MultiFactorAuthPresent", "aws:SourceIp", "aws:userid"} {
		if !got[k] {
			t.Errorf("no key %s in %v", k, tr.Context)
		}
	}
	for k := range got {
		if k == strings.ToLower(k) && k != "aws:userid" && k != "aws:username" && strings.HasPrefix(k, "aws:") {
			t.Errorf("key %s is in lower case", k)
		}
	}
}
