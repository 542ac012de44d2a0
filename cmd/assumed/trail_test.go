package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/assumed-dev/assumed/internal/audit"
	"github.com/assumed-dev/assumed/internal/testenv"
)

// trailRun runs `assumed trail` with args and returns its exit code and
// output streams.
func trailRun(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(append([]string{"trail"}, args...), strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// trailRecord is a record of a call by principal in account, delivered
// to recipient, age ago.
func trailRecord(id, principal, account, recipient, op, code string, age time.Duration) *audit.Record {
	return &audit.Record{
		EventVersion: audit.EventVersion, EventTime: time.Now().Add(-age).UTC(), EventSource: "sts.amazonaws.com", EventName: op,
		AWSRegion: "us-east-1", UserIdentity: audit.UserIdentity{Type: audit.IdentityIAMUser, ARN: principal, AccountID: account},
		ErrorCode: code, RequestID: id, EventID: id, EventType: audit.EventTypeAPICall, ManagementEvent: true,
		RecipientAccountID: recipient, EventCategory: audit.CategoryManagement,
	}
}

// The filters select, across rotated files, oldest first; --json prints
// the records as written.
func TestTrailFilters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	const alice, bob = "arn:aws:iam::111111111111:user/alice", "arn:aws:iam::222222222222:user/bob"
	recs := []*audit.Record{
		trailRecord("r1", alice, "111111111111", "111111111111", "GetCallerIdentity", "", 3*time.Hour),
		trailRecord("r2", alice, "111111111111", "111111111111", "AssumeRole", "AccessDenied", 2*time.Hour),
		trailRecord("r3", bob, "222222222222", "222222222222", "AssumeRole", "", 10*time.Minute),
		trailRecord("r4", bob, "222222222222", "111111111111", "AssumeRole", "", 10*time.Minute),
		trailRecord("r5", bob, "222222222222", "222222222222", "GetCallerIdentity", "SignatureDoesNotMatch", time.Minute),
	}
	recs[3].UserIdentity.Type = audit.IdentityAWSAccount
	line := len(recs[0].AppendJSON(nil)) + 1
	s, err := audit.Open(path, audit.Options{MaxSize: int64(2 * line), MaxFiles: 10})
	if err != nil {
		t.Fatal(err)
	}
	s.Write(recs...)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if files, _ := audit.Files(path); len(files) < 3 {
		t.Fatalf("want the records in several files, got %v", files)
	}
	for _, c := range []struct {
		args []string
		want []string // request IDs, in order
	}{
		{nil, []string{"r1", "r2", "r3", "r4", "r5"}},
		{[]string{"--account", "111111111111"}, []string{"r1", "r2", "r4"}},
		{[]string{"--principal", bob}, []string{"r3", "r4", "r5"}},
		{[]string{"--denied"}, []string{"r2"}},
		{[]string{"--since", "30m"}, []string{"r3", "r4", "r5"}},
		{[]string{"--since", "30m", "--account", "222222222222", "--principal", bob}, []string{"r3", "r5"}},
	} {
		code, out, stderr := trailRun(append([]string{"--audit-log", path, "--json"}, c.args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", c.args, code, stderr)
		}
		var got []string
		for l := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
			if l == "" {
				continue
			}
			var r audit.Record
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				t.Fatalf("%v: not a record: %s", c.args, l)
			}
			got = append(got, r.RequestID)
		}
		if strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("%v: got %v, want %v", c.args, got, c.want)
		}
	}
	// Text: one line each, time, account, principal, service:operation,
	// code.
	code, out, _ := trailRun("--audit-log", path, "--denied")
	want := recs[1].EventTime.Format(time.RFC3339) + " 111111111111 " + alice + " sts:AssumeRole AccessDenied\n"
	if code != 0 || out != want {
		t.Fatalf("text: exit %d\n got %q\nwant %q", code, out, want)
	}
	code, out, _ = trailRun("--audit-log", path, "--principal", alice)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); code != 0 || len(lines) != 2 || !strings.HasSuffix(lines[0], "sts:GetCallerIdentity -") {
		t.Fatalf("text: exit %d: %q", code, out)
	}
	// No log: exit 2, saying where it looked.
	code, _, stderr := trailRun("--data-dir", t.TempDir())
	if code != exitUsage || !strings.Contains(stderr, "no audit log at") {
		t.Fatalf("no log: exit %d: %s", code, stderr)
	}
	if code, _, _ := trailRun("--audit-log", path, "--since", "-5m"); code != exitUsage {
		t.Fatalf("negative --since: exit %d", code)
	}
}

// `assumed serve` writes DATA-DIR/audit.log by default, and `assumed
// trail --data-dir` reads it; --audit-log off writes none.
func TestTrailThroughServe(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	url, stop := startServe(t, dir, "")
	ctx := context.Background()
	root := profileClient(t, url, dir, "default")
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("nobody")}); err != nil {
		t.Fatal(err)
	}
	key, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("nobody")})
	if err != nil {
		t.Fatal(err)
	}
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(url), Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: *key.AccessKey.AccessKeyId, SecretAccessKey: *key.AccessKey.SecretAccessKey}, nil
	})}
	if _, err := iam.NewFromConfig(cfg).ListRoles(ctx, &iam.ListRolesInput{}); testenv.ErrorCode(err) != "AccessDenied" {
		t.Fatalf("got %v", err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := trailRun("--data-dir", dir)
	if code != 0 || !strings.Contains(out, " 000000000000 arn:aws:iam::000000000000:root iam:CreateUser -\n") {
		t.Fatalf("exit %d: %s%s", code, out, stderr)
	}
	code, out, _ = trailRun("--data-dir", dir, "--denied")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); code != 0 || len(lines) != 1 || !strings.HasSuffix(lines[0], " 000000000000 arn:aws:iam::000000000000:user/nobody iam:ListRoles AccessDenied") {
		t.Fatalf("--denied: exit %d: %q", code, out)
	}
	if log, _ := os.ReadFile(filepath.Join(dir, "audit.log")); bytes.Contains(log, []byte(*key.AccessKey.SecretAccessKey)) {
		t.Fatal("the audit log holds the new key's secret")
	}

	// Off: no file.
	off := filepath.Join(t.TempDir(), "off")
	startServeWith(t, serveOptions{dataDir: off, audit: auditFlags{path: "off"}})
	if _, err := os.Stat(filepath.Join(off, "audit.log")); !os.IsNotExist(err) {
		t.Fatalf("--audit-log off wrote %s (%v)", filepath.Join(off, "audit.log"), err)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1048576": 1 << 20, "512KiB": 512 << 10, "10MB": 10e6, "1GiB": 1 << 30, "100mib": 100 << 20, "2M": 2 << 20} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0", "-1", "ten", "5TB", "1.5MB"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) accepted", bad)
		}
	}
}

// startServeWith runs `assumed serve` in-process with opt (on a free
// port) until the test ends, and returns its URL.
func startServeWith(t *testing.T, opt serveOptions) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	logs := &testenv.SyncBuffer{}
	opt.listen = "127.0.0.1:0"
	opt.ready = func(a string) { ready <- a }
	go func() { done <- runServe(ctx, opt, logs) }()
	select {
	case addr := <-ready:
		t.Cleanup(func() { cancel(); <-done })
		return "http://" + addr
	case err := <-done:
		cancel()
		t.Fatalf("serve exited early: %v\n%s", err, logs.String())
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatalf("serve did not become ready\n%s", logs.String())
	}
	return ""
}
