package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/assumed-dev/assumed/internal/app"
	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/internal/testenv"
	"github.com/assumed-dev/assumed/internal/world"
)

// explTWorld: account A's role deploy trusts account B with an external
// ID; A's auditor may assumed:Explain, its intern may nothing; B's bob may
// assume A's roles; account C is a bystander.
const explTWorld = `accounts:
  - id: "111111111111"
    name: account-a
    users:
      - name: auditor
        policies:
          explain: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "assumed:Explain", Resource: "*"}]}
        access_keys: [{id: AKIAAUDITOR000000001, secret: "auditorSecretAuditorSecretAuditorSecre01"}]
      - name: intern
        access_keys: [{id: AKIAINTERN0000000001, secret: "internSecretInternSecretInternSecretIn01"}]
    roles:
      - name: deploy
        trust: {Version: "2012-10-17", Statement: [{Sid: PartnerB, Effect: Allow, Principal: {AWS: "arn:aws:iam::222222222222:root"}, Action: "sts:AssumeRole", Condition: {StringEquals: {"sts:ExternalId": "s3cr3t-42"}}}]}
  - id: "222222222222"
    name: account-b
    users:
      - name: bob
        policies:
          assume: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "sts:AssumeRole", Resource: "arn:aws:iam::111111111111:role/*"}]}
        access_keys: [{id: AKIABOB0000000000001, secret: "bobSecretBobSecretBobSecretBobSecretBo01"}]
  - id: "333333333333"
    name: account-c
`

// explTProfiles are the users' profiles, added to the data dir's.
const explTProfiles = `
[bob]
aws_access_key_id = AKIABOB0000000000001
aws_secret_access_key = bobSecretBobSecretBobSecretBobSecretBo01
[auditor]
aws_access_key_id = AKIAAUDITOR000000001
aws_secret_access_key = auditorSecretAuditorSecretAuditorSecre01
[intern]
aws_access_key_id = AKIAINTERN0000000001
aws_secret_access_key = internSecretInternSecretInternSecretIn01
`

const (
	explTBob    = "arn:aws:iam::222222222222:user/bob"
	explTDeploy = "arn:aws:iam::111111111111:role/deploy"
	// explTTime fixes the request's time, so that traces compare.
	explTTime = "aws:CurrentTime=date:2026-03-14T15:09:26Z"
)

// explTWorldParsed parses explTWorld.
func explTWorldParsed(t *testing.T) *world.World {
	t.Helper()
	w, err := world.Parse("world.yaml", []byte(explTWorld))
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// explTEnviron points the AWS environment at url, with the profiles of
// the data dir's credentials file and explTProfiles, and no default
// profile.
func explTEnviron(t *testing.T, url, dataDir string) {
	t.Helper()
	for _, k := range []string{
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_ENDPOINT_URL_STS", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	} {
		tokTUnset(t, k)
	}
	b, err := os.ReadFile(filepath.Join(dataDir, "credentials"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "credentials")
	if err := os.WriteFile(file, append(b, explTProfiles...), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", file)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "no-such-config"))
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ENDPOINT_URL", url)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// explTRefusal makes bob's AssumeRole of deploy with a wrong external ID
// through the SDK and returns the request ID of its refusal.
func explTRefusal(t *testing.T, env *testenv.Env) string {
	t.Helper()
	_, err := sts.NewFromConfig(env.Config("AKIABOB0000000000001", "bobSecretBobSecretBobSecretBobSecretBo01", "")).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String(explTDeploy), RoleSessionName: aws.String("nightly"), ExternalId: aws.String("wrong-id")})
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || testenv.ErrorCode(err) != "AccessDenied" || re.ServiceRequestID() == "" {
		t.Fatalf("AssumeRole with a wrong external ID: %v, want AccessDenied with a request ID", err)
	}
	return re.ServiceRequestID()
}

// explTWant checks an explain run's exit code and that stdout holds
// each of want.
func explTWant(t *testing.T, args []string, code int, stdout, stderr string, wantCode int, want ...string) {
	t.Helper()
	if code != wantCode {
		t.Fatalf("assumed %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, wantCode, stdout, stderr)
	}
	for _, w := range want {
		if !strings.Contains(stdout+stderr, w) {
			t.Errorf("assumed %s: output lacks %q\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), w, stdout, stderr)
		}
	}
}

func TestExplainCommandOnline(t *testing.T) {
	env := testenv.Start(t, explTWorldParsed(t))
	explTEnviron(t, env.URL, env.DataDir)
	assume := []string{"explain", "--profile", "account-a", "--as", explTBob, "--assume", explTDeploy}

	t.Run("allowed", func(t *testing.T) {
		args := append(assume, "--external-id", "s3cr3t-42")
		code, out, errOut := tokTRun(args...)
		explTWant(t, args, code, out, errOut, exitOK,
			"Principal: "+explTBob+" (User, account 222222222222)",
			"Decision:  ALLOWED",
			"Account 222222222222 (caller): allows",
			"Account 111111111111 (resource owner): allows",
			`✓ statement 1 "PartnerB" (Allow): Allow applies (principal matched as account)`,
			`✓ StringEquals sts:ExternalId policy ["s3cr3t-42"] request ["s3cr3t-42"]`,
			"Rule: Both accounts agree")
		if errOut != "" {
			t.Errorf("stderr: %s", errOut)
		}
	})

	t.Run("denied", func(t *testing.T) {
		args := append(assume, "--external-id", "wrong-id")
		code, out, errOut := tokTRun(args...)
		explTWant(t, args, code, out, errOut, exitFailure,
			"Decision:  DENIED (implicit deny: nothing allowed it)",
			"Account 111111111111 (resource owner): does not allow",
			`✗ statement 1 "PartnerB" (Allow): condition StringEquals sts:ExternalId ["s3cr3t-42"] is false for request value ["wrong-id"]  ← decided`,
			`✗ StringEquals sts:ExternalId policy ["s3cr3t-42"] request ["wrong-id"]`,
			"Rule: A role can be assumed only when its trust policy allows the caller to perform sts:AssumeRole",
			"Why:  the external ID passed (wrong-id) is not one the trust policy accepts",
			`Fix:  pass the external ID the trust policy names, ["s3cr3t-42"]`)
		if errOut != "" {
			t.Errorf("a denial is the answer, not an error: stderr %s", errOut)
		}
	})

	t.Run("json", func(t *testing.T) {
		args := append(assume, "--json")
		code, out, errOut := tokTRun(args...)
		explTWant(t, args, code, out, errOut, exitFailure)
		var tr authz.Trace
		if err := json.Unmarshal([]byte(out), &tr); err != nil {
			t.Fatalf("--json: %v\n%s", err, out)
		}
		if tr.Decision != authz.DecisionImplicitDeny || tr.Principal.ARN != explTBob || tr.Deciding == nil || tr.Deciding.Condition != "StringEquals sts:ExternalId" ||
			!strings.Contains(tr.Reason, "requires an external ID") {
			t.Errorf("--json trace: %+v", tr)
		}
	})

	t.Run("as a profile", func(t *testing.T) {
		args := []string{"explain", "--profile", "account-a", "--as", "bob", "--assume", explTDeploy, "--external-id", "s3cr3t-42"}
		code, out, errOut := tokTRun(args...)
		explTWant(t, args, code, out, errOut, exitOK, "Principal: "+explTBob, "Decision:  ALLOWED")
	})

	t.Run("action with context", func(t *testing.T) {
		args := []string{"explain", "--profile", "account-a", "--as", "arn:aws:iam::111111111111:user/intern", "--action", "s3:GetObject",
			"--resource", "arn:aws:s3:::reports/q3.csv", "--context", "aws:SourceIp=ip:10.1.2.3", "--context", "aws:TagKeys=stringList:team,env"}
		code, out, errOut := tokTRun(args...)
		explTWant(t, args, code, out, errOut, exitFailure,
			"Action:    s3:GetObject", "aws:SourceIp", `["10.1.2.3"]`, `["team", "env"]`, "Note: the caller has no identity-based policies")
	})

	t.Run("request ID", func(t *testing.T) {
		id := explTRefusal(t, env)
		for _, profile := range []string{"account-a", "account-b", "auditor"} {
			args := []string{"explain", "--profile", profile, "--request-id", id}
			code, out, errOut := tokTRun(args...)
			explTWant(t, args, code, out, errOut, exitFailure,
				"Principal: "+explTBob, "sts:RoleSessionName", `["nightly"]`,
				"Why:  the external ID passed (wrong-id) is not one the trust policy accepts")
		}
		args := []string{"explain", "--profile", "account-a", "--request-id", id, "--json"}
		code, out, errOut := tokTRun(args...)
		explTWant(t, args, code, out, errOut, exitFailure)
		var tr authz.Trace
		if err := json.Unmarshal([]byte(out), &tr); err != nil || tr.Resource != explTDeploy {
			t.Errorf("--request-id --json: %v %+v", err, tr)
		}
	})

	t.Run("authorization", func(t *testing.T) {
		for _, c := range []struct {
			profile string
			args    []string
			code    int
			want    []string
		}{
			{"intern", []string{"--as", "arn:aws:iam::111111111111:user/intern", "--action", "iam:ListRoles"}, exitUsage,
				[]string{"AccessDenied, HTTP 403", "is not authorized to perform: assumed:Explain"}},
			{"auditor", []string{"--as", "arn:aws:iam::111111111111:user/intern", "--action", "iam:ListRoles"}, exitFailure,
				[]string{"Decision:  DENIED"}},
			{"auditor", []string{"--as", explTBob, "--action", "s3:ListBucket"}, exitUsage,
				[]string{"AccessDenied, HTTP 403", "may explain the requests of principals of account 111111111111"}},
			{"account-c", []string{"--as", explTBob, "--assume", explTDeploy}, exitUsage,
				[]string{"AccessDenied, HTTP 403", "is not authorized to explain requests of " + explTBob}},
			{"account-c", []string{"--request-id", explTRefusal(t, env)}, exitUsage,
				[]string{"AccessDenied, HTTP 403", "it concerns other accounts"}},
			{"account-a", []string{"--request-id", "00000000-0000-0000-0000-000000000000"}, exitUsage,
				[]string{"NoSuchRefusal, HTTP 404"}},
			{"account-a", []string{"--as", "arn:aws:iam::111111111111:user/nobody", "--action", "iam:ListRoles"}, exitUsage,
				[]string{"NoSuchEntity, HTTP 404", "has no user named nobody"}},
		} {
			args := append([]string{"explain", "--profile", c.profile}, c.args...)
			code, out, errOut := tokTRun(args...)
			explTWant(t, args, code, out, errOut, c.code, c.want...)
			if c.code == exitUsage && (out != "" || strings.Contains(errOut, "--help")) {
				t.Errorf("assumed %s: a refusal prints to stdout or points to --help:\n%s\n%s", strings.Join(args, " "), out, errOut)
			}
		}
	})
}

func TestExplainCommandUsage(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1") // never reached
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "say what to explain"},
		{[]string{"--as", explTBob}, "--as needs --action ACTION or --assume ROLE_ARN"},
		{[]string{"--as", explTBob, "--action", "iam:ListRoles", "--assume", explTDeploy}, "give one"},
		{[]string{"--as", explTBob, "--action", "iam:ListRoles", "--external-id", "x1"}, "belong to --assume"},
		{[]string{"--as", explTBob, "--assume", explTDeploy, "--resource", "*"}, "--resource belongs to --action"},
		{[]string{"--request-id", "x", "--as", explTBob}, "give it alone"},
		{[]string{"--request-id", "x", "--data-dir", "."}, "drop --data-dir"},
		{[]string{"--as", explTBob, "--action", "s3:ListBucket", "--context", "novalue"}, "want KEY=TYPE:VALUE"},
		{[]string{"--as", explTBob, "--action", "s3:ListBucket", "--context", "k=string:a", "--context", "k=string:b"}, "given twice"},
		{[]string{"--as", explTBob, "--assume", explTDeploy, "--tag", "novalue"}, "want KEY=VALUE"},
		{[]string{"--as", explTBob, "--assume", explTDeploy, "--duration-seconds", "-1"}, "negative"},
		{[]string{"--as", explTBob, "--action", "iam:ListRoles", "extra"}, "accepts 0 arg(s)"},
		{[]string{"--no-such-flag"}, "unknown flag"},
	} {
		args := append([]string{"explain"}, c.args...)
		code, out, errOut := tokTRun(args...)
		if code != exitUsage || out != "" || !strings.Contains(errOut, c.want) || !strings.Contains(errOut, "Run 'assumed explain --help' for usage.") {
			t.Errorf("assumed %s: exit %d, stdout %q, stderr %q; want exit 2 and %q", strings.Join(args, " "), code, out, errOut, c.want)
		}
	}
	code, out, _ := tokTRun("explain", "--help")
	for _, want := range []string{"Exit status: 0 when the request is allowed, 1 when it is denied, 2 when", "--data-dir", "--request-id", "assumed:Explain"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("explain --help (exit %d) lacks %q", code, want)
		}
	}
}

// explTServe runs a server on dataDir until the returned stop is called
// (or the test ends), through app.Run as `assumed serve` does, and
// returns its URL.
func explTServe(t *testing.T, dataDir string, w *world.World) (string, func()) {
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

func TestExplainCommandOffline(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	url, stop := explTServe(t, dataDir, explTWorldParsed(t))
	explTEnviron(t, url, dataDir)
	query := []string{"--as", explTBob, "--assume", explTDeploy, "--external-id", "wrong-id", "--context", explTTime}

	// Online first, to compare; offline is refused while the server runs.
	args := append([]string{"explain", "--profile", "account-a", "--json"}, query...)
	code, online, errOut := tokTRun(args...)
	explTWant(t, args, code, online, errOut, exitFailure)
	args = append([]string{"explain", "--data-dir", dataDir}, query...)
	code, out, errOut := tokTRun(args...)
	explTWant(t, args, code, out, errOut, exitUsage, "is in use by another assumed server", "drop --data-dir")

	stop()
	// No credentials at all from here: offline needs none.
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	args = append([]string{"explain", "--data-dir", dataDir, "--json"}, query...)
	code, offline, errOut := tokTRun(args...)
	explTWant(t, args, code, offline, errOut, exitFailure)
	if offline != online {
		t.Errorf("offline and online traces differ:\n--- offline\n%s\n--- online\n%s", offline, online)
	}

	args = append([]string{"explain", "--data-dir", dataDir}, query...)
	code, out, errOut = tokTRun(args...)
	explTWant(t, args, code, out, errOut, exitFailure, "Decision:  DENIED", "Why:  the external ID passed (wrong-id)")

	args = []string{"explain", "--data-dir", dataDir, "--as", explTBob, "--assume", explTDeploy, "--external-id", "s3cr3t-42"}
	code, out, errOut = tokTRun(args...)
	explTWant(t, args, code, out, errOut, exitOK, "Decision:  ALLOWED")

	// A profile names its principal through the data dir's keys.
	explTEnviron(t, "http://127.0.0.1:1", dataDir)
	args = []string{"explain", "--data-dir", dataDir, "--as", "bob", "--assume", explTDeploy, "--external-id", "s3cr3t-42"}
	code, out, errOut = tokTRun(args...)
	explTWant(t, args, code, out, errOut, exitOK, "Principal: "+explTBob, "Decision:  ALLOWED")

	empty := filepath.Join(t.TempDir(), "empty")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--data-dir", empty, "--as", explTBob, "--action", "iam:ListRoles"}, "is not the data dir of an assumed server"},
		{[]string{"--data-dir", dataDir, "--as", "arn:aws:iam::222222222222:user/nobody", "--action", "iam:ListRoles"}, "has no user named nobody"},
		{[]string{"--data-dir", dataDir, "--as", "no-such-profile", "--action", "iam:ListRoles"}, "no-such-profile"},
	} {
		args := append([]string{"explain"}, c.args...)
		code, out, errOut := tokTRun(args...)
		explTWant(t, args, code, out, errOut, exitUsage, c.want)
	}
	if _, err := os.Stat(empty); err == nil {
		t.Error("explain --data-dir created a data dir")
	}
}

// TestExplainBinary runs the built binary once: exit statuses reach the
// shell.
func TestExplainBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	env := testenv.Start(t, explTWorldParsed(t))
	explTEnviron(t, env.URL, env.DataDir)
	for _, c := range []struct {
		externalID string
		code       int
	}{{"s3cr3t-42", 0}, {"wrong-id", 1}} {
		out, err := exec.Command(bin, "explain", "--profile", "account-a", "--as", explTBob, "--assume", explTDeploy, "--external-id", c.externalID).CombinedOutput()
		got := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			got = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if got != c.code {
			t.Errorf("--external-id %s: exit %d (%v), want %d\n%s", c.externalID, got, err, c.code, out)
		}
	}
}
