package crash

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/assumed-dev/assumed/internal/store/postgres/pgtest"
)

// benchRun numbers the benchmark's runs, so that each run's roles are new.
var benchRun atomic.Int64

// BenchmarkIAMWrites measures IAM write throughput through the SDK
// against a real `assumed serve` on each store: one op is a pair,
// CreateRole then PutRolePolicy on it, from 16 concurrent clients. Each
// run starts a server on a new data dir (and, for PostgreSQL, a new
// database). Besides ns/op it reports pairs/s and the CPU time per write
// (two writes a pair) of the server process, and for PostgreSQL of the
// database server (postmaster and backends), from /proc/PID/stat.
//
//	go test ./e2e/crash -run '^$' -bench IAMWrites -benchtime 2000x
func BenchmarkIAMWrites(b *testing.B) {
	for _, kind := range storeKinds() {
		b.Run(kind, func(b *testing.B) { benchWrites(b, kind) })
	}
}

func benchWrites(b *testing.B, kind string) {
	const clients = 16
	st := storeFor(b, kind)
	srv := startServer(b, b.TempDir(), st)
	client := srv.iam()
	run := benchRun.Add(1)
	// One unmeasured pair per client: connections made, code paths warm.
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() { writePair(b, client, fmt.Sprintf("warm-%d-%d", run, c)) })
	}
	wg.Wait()
	pgPID := 0
	if kind == "postgres" {
		pgPID = pgtest.ServerPID()
	}
	cpu0, err := cpuTicks(srv.pid(), false)
	if err != nil {
		b.Fatal(err)
	}
	var pg0 int64
	if pgPID != 0 {
		if pg0, err = treeTicks(pgPID); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	b.ResetTimer()
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				writePair(b, client, fmt.Sprintf("bench-%d-%d", run, i))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	cpu1, err := cpuTicks(srv.pid(), false)
	if err != nil {
		b.Fatal(err)
	}
	writes := float64(2 * b.N)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "pairs/s")
	b.ReportMetric(float64(cpu1-cpu0)*float64(clockTick)/float64(time.Millisecond)/writes, "server-cpu-ms/write")
	if pgPID != 0 {
		pg1, err := treeTicks(pgPID)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(pg1-pg0)*float64(clockTick)/float64(time.Millisecond)/writes, "pg-cpu-ms/write")
	}
}

// writePair creates a role and puts an inline policy on it, failing the
// benchmark on an error.
func writePair(b *testing.B, client *iam.Client, role string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trustPolicy)}); err != nil {
		b.Errorf("CreateRole %s: %v", role, err)
		return
	}
	if _, err := client.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String("own"), PolicyDocument: aws.String(rolePolicy(role))}); err != nil {
		b.Errorf("PutRolePolicy %s: %v", role, err)
	}
}
