package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdksts "github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/assumed-dev/assumed/internal/audit"
	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/iam"
	"github.com/assumed-dev/assumed/internal/store/memory"
	"github.com/assumed-dev/assumed/internal/world"
)

// BenchmarkEmitAuditAssumeRole is what the audit trail adds to one
// cross-account AssumeRole, on its own: the request's two records built
// (identity, parameters, response elements, IDs), encoded and queued, and
// written to a file by the sink's writer. cpu-µs/op counts the process's
// CPU time, the writer goroutine's included.
func BenchmarkEmitAuditAssumeRole(b *testing.B) {
	ctx := context.Background()
	sealer, err := creds.NewSealer(make([]byte, 32))
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	iamSvc, err := iam.New(ctx, memory.New(nil), sealer, log, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := iamSvc.ApplyWorld(ctx, "world.yaml", &world.World{Accounts: []world.Account{{ID: "111111111111", Name: "a"}, {ID: "222222222222", Name: "b"}}}); err != nil {
		b.Fatal(err)
	}
	s := New(log, iamSvc, nil, nil, nil)
	sink, err := audit.Open(filepath.Join(b.TempDir(), "audit.log"), audit.Options{})
	if err != nil {
		b.Fatal(err)
	}
	s.SetAudit(sink)
	body := "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111111111111%3Arole%2Ftarget&RoleSessionName=bench&ExternalId=bench-external-id"
	form, _ := url.ParseQuery(body)
	r := httptest.NewRequest("POST", "/", strings.NewReader(body))
	r.Header.Set("User-Agent", "aws-sdk-go-v2/1.48.0 ua/2.1 os/linux lang/go#1.26.8 md/GOOS#linux md/GOARCH#amd64 api/sts#1.51.8 m/e")
	w := httptest.NewRecorder()
	caller := &directory.Caller{AccountID: "222222222222", ARN: "arn:aws:iam::222222222222:user/caller", UserName: "caller", AccessKeyID: "AKIABENCHCALLER00001", Region: "us-east-1"}
	exp := time.Now().Add(time.Hour)
	out := &sdksts.AssumeRoleOutput{
		AssumedRoleUser: &ststypes.AssumedRoleUser{Arn: aws.String("arn:aws:sts::111111111111:assumed-role/target/bench"), AssumedRoleId: aws.String("AROAEXAMPLE000000001:bench")},
		Credentials:     &ststypes.Credentials{AccessKeyId: aws.String("ASIAEXAMPLE000000001"), SecretAccessKey: aws.String("secret"), SessionToken: aws.String(strings.Repeat("t", 900)), Expiration: &exp},
	}
	sr := &creds.SignedRequest{AccessKeyID: caller.AccessKeyID, Region: "us-east-1", Service: "sts"}
	service, op, code := "sts", "AssumeRole", "200"
	// Make account A known, as the second record needs.
	snapAccounts := s.iam.Directory().Snapshot().Accounts
	if snapAccounts["111111111111"] == nil {
		b.Skip("the empty directory knows no account: the benchmark would write one record, not two")
	}
	var ru0 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ev := s.newAuditEvent(w, r, "0d7e0c61-6f8a-4c8d-9a55-4fa4e1b1c6a0", time.Now(), &service, &op, &code)
		ev.signed(sr, &identity{caller: caller})
		ev.read([]byte(body))
		ev.authenticate(caller)
		ev.parameters(form)
		ev.answer(out)
		s.emitAudit(ev)
	}
	b.StopTimer()
	sink.Close()
	var ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	b.ReportMetric(float64(cpu.Nanoseconds())/1e3/float64(b.N), "cpu-µs/op")
}

// The hand-written elements of AssumeRole say what the reflective ones
// say.
func TestAssumeRoleElementsMatchesElements(t *testing.T) {
	exp := time.Date(2026, 12, 2, 5, 7, 37, 0, time.UTC)
	for _, out := range []*sdksts.AssumeRoleOutput{
		{},
		{
			AssumedRoleUser:  &ststypes.AssumedRoleUser{Arn: aws.String("arn:aws:sts::1:assumed-role/r/s"), AssumedRoleId: aws.String("AROA:s")},
			Credentials:      &ststypes.Credentials{AccessKeyId: aws.String("ASIA"), SecretAccessKey: aws.String("sec"), SessionToken: aws.String("tok"), Expiration: &exp},
			PackedPolicySize: aws.Int32(12), SourceIdentity: aws.String("src \"q\""),
		},
	} {
		var fast, slow any
		fb, sb := assumeRoleElements(nil, out), audit.Elements(out, auditMaxElements)
		if (fb == nil) != (sb == nil) {
			t.Fatalf("hand-written %s, reflective %s", fb, sb)
		}
		if fb == nil {
			continue
		}
		if err := json.Unmarshal(fb, &fast); err != nil {
			t.Fatalf("%s: %v", fb, err)
		}
		json.Unmarshal(sb, &slow)
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("hand-written %s\nreflective   %s", fb, sb)
		}
	}
}
