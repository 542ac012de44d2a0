package authz_test

import (
	"testing"

	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// arWorld is the seeds' cross-account assumption: account B's user dev
// assumes account A's role ext, whose trust names B's account and
// requires an external ID; dev's identity policy allows sts:AssumeRole.
const arWorld = `accounts:
  - id: "111111111111"
    name: account-a
    roles:
      - name: ext
        trust: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: "arn:aws:iam::222222222222:root"}, Action: "sts:AssumeRole", Condition: {StringEquals: {"sts:ExternalId": "ext-123"}}}]}
  - id: "222222222222"
    name: account-b
    users:
      - name: dev
        policies:
          assume: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "sts:AssumeRole", Resource: "arn:aws:iam::111111111111:role/*"}]}
`

// arRequest is dev's AssumeRole of ext with externalID.
func arRequest(tb testing.TB, externalID string) (*directory.Snapshot, *directory.Caller, *directory.Role, *policy.Context) {
	tb.Helper()
	snap := snapshotOf(tb, arWorld, nil)
	role, ok := snap.RoleByARN("arn:aws:iam::111111111111:role/ext")
	if !ok {
		tb.Fatal("no role ext")
	}
	caller := rsUser("222222222222", "dev")
	ctx := policy.NewContext()
	ctx.Set("sts:RoleSessionName", "bench")
	ctx.Set("sts:ExternalId", externalID)
	return snap, caller, role, ctx
}

// BenchmarkAssumeRoleCrossAccount is the decision of an allowed
// cross-account AssumeRole with an ExternalId condition: the trust in A,
// the identity policy in B. The allow path builds no trace.
func BenchmarkAssumeRoleCrossAccount(b *testing.B) {
	snap, caller, role, ctx := arRequest(b, "ext-123")
	actions := []string{"sts:AssumeRole"}
	if err := authz.AssumeRole(snap, caller, role, actions, ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := authz.AssumeRole(snap, caller, role, actions, ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAssumeRoleRefusedWithTrace is the same request with a wrong
// external ID: the refusal and its whole trace.
func BenchmarkAssumeRoleRefusedWithTrace(b *testing.B) {
	snap, caller, role, ctx := arRequest(b, "wrong")
	actions := []string{"sts:AssumeRole"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := authz.AssumeRole(snap, caller, role, actions, ctx); err == nil {
			b.Fatal("allowed")
		}
	}
}
