package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/assumed-dev/assumed/internal/app"
	"github.com/assumed-dev/assumed/internal/world"
)

// The benchmark's world is scripts/bench-sts.sh's: B's user assumes A's
// role across accounts with an ExternalId, which both accounts' policies
// must allow; every call is recorded twice when the audit trail is on.
const benchWorld = `accounts:
  - id: "111111111111"
    name: account-a
    roles:
      - name: target
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:user/caller"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"bench-external-id"}}}]}'
  - id: "222222222222"
    name: account-b
    users:
      - name: caller
        access_keys:
          - {id: AKIABENCHCALLER00001, secret: benchSecretBenchSecretBenchSecretBench01}
        policies:
          assume: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::111111111111:role/target"}]}'
`

// BenchmarkAssumeRoleAudit serves cross-account AssumeRole calls through
// a real server and listener, with the audit trail off and on. The client
// replays one signed request (valid for 15 minutes) on a kept-alive
// connection, so that it costs little next to the server. Besides ns/op
// it reports cpu-µs/op: the whole process's CPU time (server and client)
// per call, from getrusage; the difference between the two runs is the
// audit trail's cost per call.
func BenchmarkAssumeRoleAudit(b *testing.B) {
	for _, mode := range []string{"off", "on"} {
		b.Run("audit="+mode, func(b *testing.B) {
			w, err := world.Parse("world.yaml", []byte(benchWorld))
			if err != nil {
				b.Fatal(err)
			}
			dir := b.TempDir()
			auditLog := app.AuditLogOff
			if mode == "on" {
				auditLog = filepath.Join(dir, "audit.log")
			}
			ctx, cancel := context.WithCancel(context.Background())
			ready, done := make(chan string, 1), make(chan error, 1)
			go func() {
				done <- app.Run(ctx, app.Options{Listen: "127.0.0.1:0", DataDir: dir, World: w, AuditLog: auditLog,
					Logger: discardLogger(), Ready: func(a string) { ready <- a }}, io.Discard)
			}()
			var addr string
			select {
			case addr = <-ready:
			case err := <-done:
				b.Fatal(err)
			}
			defer func() { cancel(); <-done }()

			body := "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111111111111%3Arole%2Ftarget&RoleSessionName=bench&ExternalId=bench-external-id"
			req, err := http.NewRequest("POST", "http://"+addr+"/", strings.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			sum := sha256.Sum256([]byte(body))
			creds := aws.Credentials{AccessKeyID: "AKIABENCHCALLER00001", SecretAccessKey: "benchSecretBenchSecretBenchSecretBench01"}
			if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "sts", "us-east-1", time.Now()); err != nil {
				b.Fatal(err)
			}
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			call := func() {
				r := req.Clone(ctx)
				r.Body = io.NopCloser(strings.NewReader(body))
				resp, err := client.Do(r)
				if err != nil {
					b.Fatal(err)
				}
				var buf bytes.Buffer
				buf.ReadFrom(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("%d %s", resp.StatusCode, buf.String())
				}
			}
			for range 200 {
				call() // warm up
			}
			before := cpuTime()
			b.ResetTimer()
			for b.Loop() {
				call()
			}
			b.StopTimer()
			b.ReportMetric(float64((cpuTime()-before).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// discardLogger logs nothing.
func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
