package policy_test

import (
	"encoding/json"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/assumed-dev/assumed/arn"
	"github.com/assumed-dev/assumed/policy"
)

// benchCorpusPath is the AWS managed policy corpus shared by the project.
const benchCorpusPath = "../../shared/testdata/aws-managed-policies.json"

// benchLoadCorpus returns the managed policy documents by name.
func benchLoadCorpus(tb testing.TB) map[string]string {
	tb.Helper()
	b, err := os.ReadFile(benchCorpusPath)
	if err != nil {
		tb.Skipf("managed policy corpus not available: %v", err)
	}
	var raw map[string]struct{ Document json.RawMessage }
	if err := json.Unmarshal(b, &raw); err != nil {
		tb.Fatalf("decode corpus: %v", err)
	}
	out := make(map[string]string, len(raw))
	for name, p := range raw {
		out[name] = string(p.Document)
	}
	return out
}

// benchManagedSet is ten AWS managed policies, nine of which have S3
// statements that do not grant the request, and the last of which
// (AmazonS3ReadOnlyAccess) does: the request matches late.
var benchManagedSet = []string{
	"AWS-SSM-Automation-DiagnosisBucketPolicy",
	"SageMakerStudioFullAccess",
	"AWSIoTDeviceTesterForFreeRTOSFullAccess",
	"AmazonSageMakerFullAccess",
	"CloudWatchSyntheticsFullAccess",
	"AWSCleanRoomsFullAccess",
	"AWSDataExchangeFullAccess",
	"AWSGlueServiceRole",
	"AWSRefactoringToolkitFullAccess",
	"AmazonS3ReadOnlyAccess",
}

func benchManaged(tb testing.TB) (*policy.Set, *policy.Request, int) {
	corpus := benchLoadCorpus(tb)
	var entries []policy.Entry
	statements := 0
	for _, name := range benchManagedSet {
		doc, ok := corpus[name]
		if !ok {
			tb.Fatalf("policy %s not in corpus", name)
		}
		p, err := policy.ParseWithOptions(doc, policy.Identity, policy.Options{MaxSize: -1})
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		statements += len(p.Statements)
		entries = append(entries, policy.Entry{ID: "arn:aws:iam::aws:policy/" + name, Policy: p})
	}
	ctx := policy.NewContext()
	ctx.Set("aws:username", "alice")
	ctx.Set("aws:PrincipalAccount", "111111111111")
	ctx.SetTime(time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC))
	ctx.SetIP("aws:SourceIp", netip.MustParseAddr("192.0.2.10"))
	req := &policy.Request{
		Principal: &policy.Principal{Type: arn.PrincipalUser, AccountID: "111111111111", ARN: "arn:aws:iam::111111111111:user/alice"},
		Action:    "s3:GetObject",
		Resource:  "arn:aws:s3:::team-reports/2026/q4.csv",
		Context:   ctx,
	}
	return policy.NewSet(entries...), req, statements
}

// TestBenchManagedSetMatchesLate guards the benchmark's premise: only the
// last policy grants the request.
func TestBenchManagedSetMatchesLate(t *testing.T) {
	set, req, statements := benchManaged(t)
	if statements < 100 {
		t.Fatalf("benchmark set has %d statements, want >= 100", statements)
	}
	var res policy.Result
	if d := set.Evaluate(req, &res); d != policy.Allowed {
		t.Fatalf("decision = %v, want allowed", d)
	}
	for _, m := range res.Matches {
		if m.Entry != len(benchManagedSet)-1 {
			t.Errorf("statement %d of policy %s applied; only the last policy should", m.Statement+1, benchManagedSet[m.Entry])
		}
	}
	if allocs := testing.AllocsPerRun(100, func() { set.Evaluate(req, &res) }); allocs != 0 {
		t.Errorf("Evaluate allocates %.1f times per call, want 0", allocs)
	}
}

// BenchmarkEvaluateManaged10 evaluates a request against ten AWS managed
// policies (over 100 statements) where only the last policy matches.
func BenchmarkEvaluateManaged10(b *testing.B) {
	set, req, statements := benchManaged(b)
	var res policy.Result
	set.Evaluate(req, &res)
	b.ReportAllocs()
	for b.Loop() {
		set.Evaluate(req, &res)
	}
	b.ReportMetric(float64(statements), "statements")
}

// BenchmarkEvaluateManaged10Denied is the same set with an action none of
// the policies grants: every candidate statement is visited and fails.
func BenchmarkEvaluateManaged10Denied(b *testing.B) {
	set, req, _ := benchManaged(b)
	r := *req
	r.Action = "s3:PutObject"
	var res policy.Result
	b.ReportAllocs()
	for b.Loop() {
		if set.Evaluate(&r, &res) == policy.Allowed {
			b.Fatal("unexpected allow")
		}
	}
}

const benchThreeConditions = `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::team-${aws:PrincipalTag/team}/*",
    "Condition": {
      "StringEquals": {"aws:PrincipalTag/team": "reports"},
      "IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.0.2.0/24"]},
      "DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}
    }
  }]
}`

// BenchmarkOneStatementThreeConditions evaluates one statement with a
// policy variable in its resource and three conditions, all true.
func BenchmarkOneStatementThreeConditions(b *testing.B) {
	benchOneStatement(b, benchThreeConditions)
}

// benchOneStatement evaluates a request that the single-statement policy
// doc allows.
func benchOneStatement(b *testing.B, doc string) {
	p, err := policy.Parse(doc, policy.Identity)
	if err != nil {
		b.Fatal(err)
	}
	set := policy.NewSet(policy.Entry{ID: "p", Policy: p})
	ctx := policy.NewContext()
	ctx.Set("aws:PrincipalTag/team", "reports")
	ctx.SetIP("aws:SourceIp", netip.MustParseAddr("192.0.2.10"))
	ctx.SetTime(time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC))
	req := &policy.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::team-reports/2026/q4.csv", Context: ctx}
	var res policy.Result
	if set.Evaluate(req, &res) != policy.Allowed {
		b.Fatal("want allowed")
	}
	b.ReportAllocs()
	for b.Loop() {
		set.Evaluate(req, &res)
	}
}

const benchThreeConditionsLiteral = `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::team-reports/*",
    "Condition": {
      "StringEquals": {"aws:PrincipalTag/team": "reports"},
      "IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.0.2.0/24"]},
      "DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}
    }
  }]
}`

// BenchmarkOneStatementThreeConditionsLiteral is the same statement
// without the policy variable in its resource.
func BenchmarkOneStatementThreeConditionsLiteral(b *testing.B) {
	benchOneStatement(b, benchThreeConditionsLiteral)
}

// BenchmarkParseCorpus parses and compiles all AWS managed policies; one
// op is the whole corpus.
func BenchmarkParseCorpus(b *testing.B) {
	corpus := benchLoadCorpus(b)
	docs := make([]string, 0, len(corpus))
	bytes := 0
	for _, d := range corpus {
		docs = append(docs, d)
		bytes += len(d)
	}
	b.SetBytes(int64(bytes))
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range docs {
			if _, err := policy.ParseWithOptions(d, policy.Identity, policy.Options{MaxSize: -1}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(docs)), "policies")
}

var benchSink int

// BenchmarkCalibrationMapLookup measures one Go map lookup of a 21-byte
// key, so that the figures above can be scaled between machines (it takes
// about 6–8 ns on a current desktop CPU).
func BenchmarkCalibrationMapLookup(b *testing.B) {
	m := map[string]int{"aws:principaltag/team": 1, "aws:sourceip": 2, "aws:currenttime": 3}
	k := "aws:principaltag/team"
	for b.Loop() {
		benchSink += m[k]
	}
}
