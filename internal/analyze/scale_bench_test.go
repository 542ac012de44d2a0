package analyze_test

import (
	"runtime"
	"sync"
	"syscall"
	"testing"

	"github.com/assumed-dev/assumed/internal/analyze"
	"github.com/assumed-dev/assumed/internal/analyze/orggen"
	"github.com/assumed-dev/assumed/internal/directory"
)

// The organisation: 1,000 accounts × 50 roles, 2 users each, a
// cluster in every tenth account.
var orgSizes = orggen.Sizes{Accounts: 1000, RolesPerAccount: 50, UsersPerAccount: 2, ClusterEvery: 10}

var (
	orgOnce sync.Once
	orgSnap *directory.Snapshot
	orgErr  error
)

func organisation(b *testing.B) *directory.Snapshot {
	orgOnce.Do(func() { orgSnap, orgErr = orggen.Organisation(orgSizes) })
	if orgErr != nil {
		b.Fatal(orgErr)
	}
	return orgSnap
}

// maxRSS is the process's peak resident set size, in bytes.
func maxRSS() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Maxrss) * 1024
}

// BenchmarkOrganisationGraphAndFindings builds the whole graph of the
// organisation and checks its findings: the issue's ≤ 10 s and ≤ 2 GiB.
func BenchmarkOrganisationGraphAndFindings(b *testing.B) {
	snap := organisation(b)
	var g *analyze.Graph
	var found []analyze.Finding
	for b.Loop() {
		g = analyze.Build(snap, analyze.Options{})
		found = analyze.Findings(snap, g)
	}
	b.ReportMetric(float64(len(g.Nodes)), "nodes")
	b.ReportMetric(float64(len(g.Edges)), "edges")
	cross := 0
	for _, e := range g.Edges {
		if e.CrossAccount {
			cross++
		}
	}
	b.ReportMetric(float64(cross), "cross-account-edges")
	b.ReportMetric(float64(len(found)), "findings")
	b.ReportMetric(maxRSS()/(1<<20), "maxRSS-MiB")
	runtime.KeepAlive(g)
}

// BenchmarkOrganisationWhoCanReach asks who can reach one account's role
// that another account's root (with an external ID) is trusted for, over
// chains up to the default six hops: the issue's ≤ 100 ms.
func BenchmarkOrganisationWhoCanReach(b *testing.B) {
	snap := organisation(b)
	g := analyze.Build(snap, analyze.Options{})
	target := "arn:aws:iam::100000000500:role/app-3"
	var paths []analyze.Path
	for b.Loop() {
		paths = g.PathsTo(target, 0, 0)
	}
	b.ReportMetric(float64(len(paths)), "paths")
	b.ReportMetric(float64(len(analyze.Principals(paths))), "principals")
}
