package iam_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// The accounts of the trust simulations, and ARNs in them.
const (
	simtA = testenv.AccountA
	simtB = testenv.AccountB
)

func simtRole(account, name string) string { return "arn:aws:iam::" + account + ":role/" + name }
func simtUser(account, name string) string { return "arn:aws:iam::" + account + ":user/" + name }

// simtTrustID is the SourcePolicyId of a role's trust policy.
func simtTrustID(roleARN string) string { return "RoleTrustPolicy:" + roleARN }

// simtTrust is a trust policy of statements written as JSON.
func simtTrust(statements ...string) string { return simPolicy(statements...) }

// simtTrusts is a trust statement: effect, principal (a JSON value),
// actions, and an optional condition (a JSON object).
func simtTrusts(effect, principal, action, condition string) string {
	s := fmt.Sprintf(`{"Effect":%q,"Principal":%s,"Action":%q`, effect, principal, action)
	if condition != "" {
		s += `,"Condition":` + condition
	}
	return s + "}"
}

func simtAWS(arns ...string) string {
	return `{"AWS":["` + strings.Join(arns, `","`) + `"]}`
}

const (
	simtXID        = "xid-42"
	simtXIDCond    = `{"StringEquals":{"sts:ExternalId":"` + simtXID + `"}}`
	simtBoundary   = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
	simtDetailsKey = "Resource Policy"
)

// simtWorld builds two accounts: roles of A with trust policies naming
// a user, the account, roles, another account (with an ExternalId), and
// the users and roles that call them.
//
// Account A: alice (no policies); carol (may sts:AssumeRole any role of
// A); runner (no policies) and runner-bounded (no policies, boundary S3
// read-only), roles trusting A. Roles: named-alice (trusts alice), acct
// (trusts A), everyone (trusts "*"), guarded (trusts A, denies carol),
// named-runner (trusts runner and runner-bounded), xid (trusts alice with
// an ExternalId), partner (trusts B with an ExternalId), named-dave
// (trusts B's dave), named-gone (trusted a user since re-created).
//
// Account B: bob (may sts:AssumeRole any role of A), dave (no policies),
// erin (may sts:AssumeRole anything, boundary S3 read-only).
func simtWorld(t *testing.T, env *testenv.Env) {
	t.Helper()
	ctx := context.Background()
	a, b := env.RootIAM(simtA), env.RootIAM(simtB)
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	user := func(c *iam.Client, name, policy, boundary string) {
		t.Helper()
		in := &iam.CreateUserInput{UserName: aws.String(name)}
		if boundary != "" {
			in.PermissionsBoundary = aws.String(boundary)
		}
		_, err := c.CreateUser(ctx, in)
		must("CreateUser "+name, err)
		if policy != "" {
			_, err = c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("assume"), PolicyDocument: aws.String(policy)})
			must("PutUserPolicy "+name, err)
		}
	}
	role := func(c *iam.Client, name, trust, boundary string) {
		t.Helper()
		in := &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}
		if boundary != "" {
			in.PermissionsBoundary = aws.String(boundary)
		}
		_, err := c.CreateRole(ctx, in)
		must("CreateRole "+name, err)
	}
	trustA := simtTrust(simtTrusts("Allow", simtAWS("arn:aws:iam::"+simtA+":root"), "sts:AssumeRole", ""))

	user(b, "bob", simPolicy(simAllow("sts:AssumeRole", "arn:aws:iam::"+simtA+":role/*")), "")
	user(b, "dave", "", "")
	user(b, "erin", simPolicy(simAllow("sts:AssumeRole", "*")), simtBoundary)

	user(a, "alice", "", "")
	user(a, "carol", simPolicy(simAllow("sts:AssumeRole", "arn:aws:iam::"+simtA+":role/*")), "")
	user(a, "gone", "", "")
	role(a, "runner", trustA, "")
	role(a, "runner-bounded", trustA, simtBoundary)
	role(a, "named-alice", simtTrust(simtTrusts("Allow", simtAWS(simtUser(simtA, "alice")), "sts:AssumeRole", "")), "")
	role(a, "acct", trustA, "")
	role(a, "everyone", simtTrust(simtTrusts("Allow", `"*"`, "sts:AssumeRole", "")), "")
	role(a, "guarded", simtTrust(
		simtTrusts("Allow", simtAWS("arn:aws:iam::"+simtA+":root"), "sts:AssumeRole", ""),
		simtTrusts("Deny", simtAWS(simtUser(simtA, "carol")), "sts:AssumeRole", "")), "")
	role(a, "named-runner", simtTrust(simtTrusts("Allow", simtAWS(simtRole(simtA, "runner"), simtRole(simtA, "runner-bounded")), "sts:AssumeRole", "")), "")
	role(a, "xid", simtTrust(simtTrusts("Allow", simtAWS(simtUser(simtA, "alice")), "sts:AssumeRole", simtXIDCond)), "")
	role(a, "partner", simtTrust(simtTrusts("Allow", simtAWS("arn:aws:iam::"+simtB+":root"), "sts:AssumeRole", simtXIDCond)), "")
	role(a, "named-dave", simtTrust(simtTrusts("Allow", simtAWS(simtUser(simtB, "dave")), "sts:AssumeRole", "")), "")
	role(a, "named-gone", simtTrust(simtTrusts("Allow", simtAWS(simtUser(simtA, "gone")), "sts:AssumeRole", "")), "")
	// gone is deleted and re-created: the trust no longer names it.
	_, err := a.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("gone")})
	must("DeleteUser gone", err)
	user(a, "gone", "", "")
}

// simtDetails is EvalDecisionDetails of a trust simulation.
func simtDetails(identity, trust types.PolicyEvaluationDecisionType, boundary ...types.PolicyEvaluationDecisionType) map[string]types.PolicyEvaluationDecisionType {
	m := map[string]types.PolicyEvaluationDecisionType{"IAM Policy": identity, simtDetailsKey: trust}
	if len(boundary) > 0 {
		m["Permissions Boundary Policy"] = boundary[0]
	}
	return m
}

func simtXIDEntry(v string) []types.ContextEntry {
	return []types.ContextEntry{simEntry("sts:ExternalId", types.ContextKeyTypeEnumString, v)}
}

// TestSimulatePrincipalPolicyTrust simulates sts:AssumeRole (and
// sts:TagSession) of users and roles of two accounts on roles of A, and
// checks each decision against the rules STS applies (spec §2–3).
func TestSimulatePrincipalPolicyTrust(t *testing.T) {
	env := testenv.Start(t, nil)
	simtWorld(t, env)
	ctx := context.Background()
	clients := map[string]*iam.Client{simtA: env.RootIAM(simtA), simtB: env.RootIAM(simtB)}
	assume := []string{"sts:AssumeRole"}
	alice, carol := simtUser(simtA, "alice"), simtUser(simtA, "carol")
	bob, dave, erin := simtUser(simtB, "bob"), simtUser(simtB, "dave"), simtUser(simtB, "erin")
	runner, runnerBounded := simtRole(simtA, "runner"), simtRole(simtA, "runner-bounded")
	r := func(name string) string { return simtRole(simtA, name) }
	trusted := func(name string) []string { return []string{simtTrustID(r(name))} }

	for _, tc := range []struct {
		name    string
		source  string
		actions []string
		role    string
		context []types.ContextEntry
		wants   []simWant
	}{
		// Same account.
		{"trust naming the user grants alone", alice, assume, r("named-alice"), nil, []simWant{{action: "sts:AssumeRole", decision: simAllowed,
			matched: trusted("named-alice"), missing: []string{}, details: simtDetails(simImplicit, simAllowed)}}},
		{"action names are case-insensitive", alice, []string{"STS:assumeROLE"}, r("named-alice"), nil, []simWant{{action: "STS:assumeROLE", decision: simAllowed, matched: trusted("named-alice")}}},
		{"trust naming another user", carol, assume, r("named-alice"), nil, []simWant{{action: "sts:AssumeRole", decision: simImplicit,
			matched: []string{}, details: simtDetails(simAllowed, simImplicit)}}},
		{"trust naming the account needs an identity allow", alice, assume, r("acct"), nil, []simWant{{action: "sts:AssumeRole", decision: simImplicit,
			matched: []string{}, details: simtDetails(simImplicit, simAllowed)}}},
		{"trust naming the account with an identity allow", carol, assume, r("acct"), nil, []simWant{{action: "sts:AssumeRole", decision: simAllowed,
			matched: []string{simtTrustID(r("acct")), "user_carol_assume"}, details: simtDetails(simAllowed, simAllowed)}}},
		{"trust naming everyone needs an identity allow", alice, assume, r("everyone"), nil, []simWant{{action: "sts:AssumeRole", decision: simImplicit}}},
		{"trust naming everyone with an identity allow", carol, assume, r("everyone"), nil, []simWant{{action: "sts:AssumeRole", decision: simAllowed}}},
		{"explicit deny in the trust", carol, assume, r("guarded"), nil, []simWant{{action: "sts:AssumeRole", decision: simExplicit,
			matched: trusted("guarded"), missing: []string{}, details: simtDetails(simAllowed, simExplicit)}}},
		{"trust naming the role", runner, assume, r("named-runner"), nil, []simWant{{action: "sts:AssumeRole", decision: simAllowed, matched: trusted("named-runner")}}},
		{"trust naming the role is limited by its boundary", runnerBounded, assume, r("named-runner"), nil, []simWant{{action: "sts:AssumeRole", decision: simImplicit,
			boundary: simFalse, details: simtDetails(simImplicit, simAllowed, simImplicit)}}},
		{"a role session needs an identity allow for a trust naming the account", runner, assume, r("acct"), nil, []simWant{{action: "sts:AssumeRole", decision: simImplicit}}},
		{"ExternalId missing", alice, assume, r("xid"), nil, []simWant{{action: "sts:AssumeRole", decision: simImplicit,
			matched: []string{}, missing: []string{"sts:ExternalId"}, details: simtDetails(simImplicit, simImplicit)}}},
		{"ExternalId given", alice, assume, r("xid"), simtXIDEntry(simtXID), []simWant{{action: "sts:AssumeRole", decision: simAllowed, matched: trusted("xid"), missing: []string{}}}},
		{"ExternalId wrong", alice, assume, r("xid"), simtXIDEntry("xid-43"), []simWant{{action: "sts:AssumeRole", decision: simImplicit, missing: []string{}}}},
		{"sts:TagSession not in the trust", alice, []string{"sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"}, r("named-alice"), nil, []simWant{
			{action: "sts:AssumeRole", decision: simAllowed, matched: trusted("named-alice")},
			{action: "sts:TagSession", decision: simImplicit, matched: []string{}, details: simtDetails(simImplicit, simImplicit)},
			{action: "sts:SetSourceIdentity", decision: simImplicit, matched: []string{}},
		}},
		{"role that does not exist", carol, assume, r("ghost"), nil, []simWant{{action: "sts:AssumeRole", decision: simImplicit,
			matched: []string{}, missing: []string{}, details: simtDetails(simAllowed, simImplicit)}}},
		{"role ARN with another path", carol, assume, "arn:aws:iam::" + simtA + ":role/team/acct", nil, []simWant{{action: "sts:AssumeRole", decision: simImplicit}}},
		{"user re-created since the trust named it", simtUser(simtA, "gone"), assume, r("named-gone"), nil, []simWant{{action: "sts:AssumeRole", decision: simImplicit,
			details: simtDetails(simImplicit, simImplicit)}}},
		{"not an assume action: no trust", carol, []string{"iam:GetRole"}, r("named-alice"), nil, []simWant{{action: "iam:GetRole", decision: simImplicit,
			details: map[string]types.PolicyEvaluationDecisionType{}}}},

		// Across accounts: both sides.
		{"cross account, both sides allow", bob, assume, r("partner"), simtXIDEntry(simtXID), []simWant{{action: "sts:AssumeRole", decision: simAllowed,
			matched: []string{simtTrustID(r("partner")), "user_bob_assume"}, missing: []string{}, details: simtDetails(simAllowed, simAllowed)}}},
		{"cross account, ExternalId missing", bob, assume, r("partner"), nil, []simWant{{action: "sts:AssumeRole", decision: simImplicit,
			missing: []string{"sts:ExternalId"}, details: simtDetails(simAllowed, simImplicit)}}},
		{"cross account, ExternalId wrong", bob, assume, r("partner"), simtXIDEntry("nope"), []simWant{{action: "sts:AssumeRole", decision: simImplicit}}},
		{"cross account, no identity allow", dave, assume, r("partner"), simtXIDEntry(simtXID), []simWant{{action: "sts:AssumeRole", decision: simImplicit,
			matched: []string{}, details: simtDetails(simImplicit, simAllowed)}}},
		{"cross account, trust naming the user still needs an identity allow", dave, assume, r("named-dave"), nil, []simWant{{action: "sts:AssumeRole", decision: simImplicit,
			details: simtDetails(simImplicit, simAllowed)}}},
		{"cross account, trust not naming the caller", bob, assume, r("acct"), nil, []simWant{{action: "sts:AssumeRole", decision: simImplicit,
			details: simtDetails(simAllowed, simImplicit)}}},
		{"cross account, boundary", erin, assume, r("partner"), simtXIDEntry(simtXID), []simWant{{action: "sts:AssumeRole", decision: simImplicit,
			boundary: simFalse, details: simtDetails(simAllowed, simAllowed, simImplicit)}}},
	} {
		account := strings.Split(tc.source, ":")[4]
		out, err := clients[account].SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
			PolicySourceArn: aws.String(tc.source), ActionNames: tc.actions, ResourceArns: []string{tc.role}, ContextEntries: tc.context,
		})
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		simCheck(t, tc.name, out.EvaluationResults, tc.wants)
		for _, res := range out.EvaluationResults {
			for _, st := range res.MatchedStatements {
				if strings.HasPrefix(aws.ToString(st.SourcePolicyId), "RoleTrustPolicy:") && st.SourcePolicyType != "Resource Policy" {
					t.Errorf("%s: trust statement of type %q", tc.name, st.SourcePolicyType)
				}
			}
		}
	}
}

// TestSimulateTrustPositions checks that a trust policy's statements are
// reported where they are in its document, per resource too.
func TestSimulateTrustPositions(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	a := env.RootIAM(simtA)
	trust := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"arn:aws:iam::" + simtA + ":root\"}, \"Action\": \"sts:TagSession\"},\n    {\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"arn:aws:iam::" + simtA + ":root\"}, \"Action\": \"sts:AssumeRole\"}\n  ]\n}"
	if _, err := a.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), Path: aws.String("/team/"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	role := "arn:aws:iam::" + simtA + ":role/team/app"
	out, err := a.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{
		PolicyInputList: []string{simPolicy(simAllow("sts:*", "*"))}, CallerArn: aws.String(simtUser(simtA, "nobody")),
		ActionNames: []string{"sts:AssumeRole"}, ResourceArns: []string{role},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := out.EvaluationResults[0]
	if r.EvalDecision != simAllowed || len(r.ResourceSpecificResults) != 1 || len(r.MatchedStatements) != 2 {
		t.Fatalf("result: %+v", r)
	}
	st := r.MatchedStatements[0]
	got := fmt.Sprintf("%s %s %d:%d-%d:%d", aws.ToString(st.SourcePolicyId), st.SourcePolicyType, st.StartPosition.Line, st.StartPosition.Column, st.EndPosition.Line, st.EndPosition.Column)
	if want := "RoleTrustPolicy:" + role + " Resource Policy 4:108-5:108"; got != want {
		t.Errorf("trust statement %s, want %s", got, want)
	}
	if rs := r.ResourceSpecificResults[0]; len(rs.MatchedStatements) != 2 || rs.EvalResourceDecision != simAllowed {
		t.Errorf("per resource: %+v", rs)
	}
}

// TestSimulateTrustAsResourcePolicy passes trust policies as
// ResourcePolicy: they are accepted as trust policies, stand for the
// role's own, and decide as STS would.
func TestSimulateTrustAsResourcePolicy(t *testing.T) {
	env := testenv.Start(t, nil)
	simtWorld(t, env)
	ctx := context.Background()
	a, b := env.RootIAM(simtA), env.RootIAM(simtB)
	alice, bob := simtUser(simtA, "alice"), simtUser(simtB, "bob")
	namesAlice := simtTrust(simtTrusts("Allow", simtAWS(alice), "sts:AssumeRole", ""))
	namesB := simtTrust(simtTrusts("Allow", simtAWS("arn:aws:iam::"+simtB+":root"), "sts:AssumeRole", simtXIDCond))
	denies := simtTrust(simtTrusts("Allow", `"*"`, "sts:AssumeRole", ""), simtTrusts("Deny", simtAWS(alice), "sts:*", ""))
	// A resource-policy shaped document naming the role is accepted too.
	withResource := simPolicy(`{"Effect":"Allow","Principal":{"AWS":"` + alice + `"},"Action":"sts:AssumeRole","Resource":"` + simtRole(simtA, "acct") + `"}`)
	hypothetical := simtRole(simtA, "hypothetical")
	identity := []string{simPolicy(simAllow("sts:AssumeRole", "*"))}

	for _, tc := range []struct {
		name  string
		c     *iam.Client
		in    iam.SimulateCustomPolicyInput
		wants []simWant
	}{
		{"trust naming the caller, role not created yet", a, iam.SimulateCustomPolicyInput{PolicyInputList: []string{}, ResourcePolicy: aws.String(namesAlice), CallerArn: aws.String(alice),
			ActionNames: []string{"sts:AssumeRole", "sts:TagSession"}, ResourceArns: []string{hypothetical}},
			[]simWant{
				{action: "sts:AssumeRole", decision: simAllowed, matched: []string{"ResourcePolicy"}, details: simtDetails(simImplicit, simAllowed)},
				{action: "sts:TagSession", decision: simImplicit, matched: []string{}},
			}},
		{"stands for the role's own trust", a, iam.SimulateCustomPolicyInput{PolicyInputList: []string{}, ResourcePolicy: aws.String(namesAlice), CallerArn: aws.String(alice),
			ActionNames: []string{"sts:AssumeRole"}, ResourceArns: []string{simtRole(simtA, "acct")}},
			[]simWant{{action: "sts:AssumeRole", decision: simAllowed, matched: []string{"ResourcePolicy"}}}},
		{"resource policy form", a, iam.SimulateCustomPolicyInput{PolicyInputList: []string{}, ResourcePolicy: aws.String(withResource), CallerArn: aws.String(alice),
			ActionNames: []string{"sts:AssumeRole"}, ResourceArns: []string{simtRole(simtA, "acct"), simtRole(simtA, "other")}},
			[]simWant{{action: "sts:AssumeRole", decision: simImplicit, perResource: []types.PolicyEvaluationDecisionType{simAllowed, simImplicit}}}},
		{"explicit deny", a, iam.SimulateCustomPolicyInput{PolicyInputList: identity, ResourcePolicy: aws.String(denies), CallerArn: aws.String(alice),
			ActionNames: []string{"sts:AssumeRole"}, ResourceArns: []string{hypothetical}},
			[]simWant{{action: "sts:AssumeRole", decision: simExplicit, matched: []string{"ResourcePolicy"}, details: simtDetails(simAllowed, simExplicit)}}},
		{"cross account without identity", b, iam.SimulateCustomPolicyInput{PolicyInputList: []string{}, ResourcePolicy: aws.String(namesB), CallerArn: aws.String(bob),
			ActionNames: []string{"sts:AssumeRole"}, ResourceArns: []string{hypothetical}, ContextEntries: simtXIDEntry(simtXID)},
			[]simWant{{action: "sts:AssumeRole", decision: simImplicit, details: simtDetails(simImplicit, simAllowed)}}},
		{"cross account with identity", b, iam.SimulateCustomPolicyInput{PolicyInputList: identity, ResourcePolicy: aws.String(namesB), CallerArn: aws.String(bob),
			ActionNames: []string{"sts:AssumeRole"}, ResourceArns: []string{hypothetical}, ContextEntries: simtXIDEntry(simtXID)},
			[]simWant{{action: "sts:AssumeRole", decision: simAllowed, matched: []string{"ResourcePolicy", "PolicyInputList.1"}, details: simtDetails(simAllowed, simAllowed)}}},
		{"cross account, ExternalId missing", b, iam.SimulateCustomPolicyInput{PolicyInputList: identity, ResourcePolicy: aws.String(namesB), CallerArn: aws.String(bob),
			ActionNames: []string{"sts:AssumeRole"}, ResourceArns: []string{hypothetical}},
			[]simWant{{action: "sts:AssumeRole", decision: simImplicit, missing: []string{"sts:ExternalId"}}}},
		{"a role caller is a session of the role", a, iam.SimulateCustomPolicyInput{PolicyInputList: []string{},
			ResourcePolicy: aws.String(simtTrust(simtTrusts("Allow", simtAWS("arn:aws:sts::"+simtA+":assumed-role/runner-bounded/SimulatedSession"), "sts:AssumeRole", ""))),
			CallerArn:      aws.String(simtRole(simtA, "runner-bounded")), PermissionsBoundaryPolicyInputList: []string{simPolicy(simAllow("s3:GetObject", "*"))},
			ActionNames: []string{"sts:AssumeRole"}, ResourceArns: []string{hypothetical}},
			// Naming the session grants alone, beyond the boundary.
			[]simWant{{action: "sts:AssumeRole", decision: simAllowed, matched: []string{"ResourcePolicy"}, boundary: simFalse}}},
	} {
		out, err := tc.c.SimulateCustomPolicy(ctx, &tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		simCheck(t, tc.name, out.EvaluationResults, tc.wants)
	}

	// SimulatePrincipalPolicy takes one too.
	out, err := a.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(alice), ResourcePolicy: aws.String(namesAlice),
		ActionNames: []string{"sts:AssumeRole"}, ResourceArns: []string{simtRole(simtA, "xid")}})
	if err != nil {
		t.Fatal(err)
	}
	simCheck(t, "principal with a trust policy input", out.EvaluationResults, []simWant{{action: "sts:AssumeRole", decision: simAllowed, matched: []string{"ResourcePolicy"}}})

	// A trust policy is still no resource policy for other actions, and
	// a malformed trust policy is refused.
	for _, tc := range []struct {
		name string
		in   iam.SimulateCustomPolicyInput
	}{
		{"trust policy for another action", iam.SimulateCustomPolicyInput{PolicyInputList: []string{}, ResourcePolicy: aws.String(namesAlice), CallerArn: aws.String(alice),
			ActionNames: []string{"sts:AssumeRole", "s3:GetObject"}, ResourceArns: []string{hypothetical}}},
		{"malformed trust policy", iam.SimulateCustomPolicyInput{PolicyInputList: []string{}, ResourcePolicy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`),
			CallerArn: aws.String(alice), ActionNames: []string{"sts:AssumeRole"}, ResourceArns: []string{hypothetical}}},
		{"trust policy without a caller", iam.SimulateCustomPolicyInput{PolicyInputList: []string{}, ResourcePolicy: aws.String(namesAlice),
			ActionNames: []string{"sts:AssumeRole"}, ResourceArns: []string{hypothetical}}},
	} {
		if _, err := a.SimulateCustomPolicy(ctx, &tc.in); simCode(err) != "InvalidInput" {
			t.Errorf("%s: err = %v, want InvalidInput", tc.name, err)
		}
	}
}

// TestSimulateTrustContextTypes gives a trust policy's condition keys
// through ContextEntries of every type.
func TestSimulateTrustContextTypes(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	a := env.RootIAM(simtA)
	alice := simtUser(simtA, "alice")
	for _, tc := range simTypedCases {
		v, _ := json.Marshal(tc.value)
		trust := simtTrust(simtTrusts("Allow", simtAWS(alice), "sts:AssumeRole", fmt.Sprintf(`{%q:{%q:%s}}`, tc.operator, tc.key, v)))
		for _, c := range []struct {
			values []string
			want   types.PolicyEvaluationDecisionType
		}{{tc.good, simAllowed}, {tc.bad, simImplicit}} {
			out, err := a.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{
				PolicyInputList: []string{}, ResourcePolicy: aws.String(trust), CallerArn: aws.String(alice),
				ActionNames: []string{"sts:AssumeRole"}, ResourceArns: []string{simtRole(simtA, "app")},
				ContextEntries: []types.ContextEntry{simEntry(tc.key, tc.typ, c.values...)},
			})
			name := fmt.Sprintf("%s %s %q", tc.typ, tc.operator, c.values)
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			simCheck(t, name, out.EvaluationResults, []simWant{{action: "sts:AssumeRole", decision: c.want, missing: []string{}}})
		}
	}
}
