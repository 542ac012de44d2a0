package iam_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// simCode returns the AWS error code of err, or "".
func simCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// simPolicy builds a policy document from statements written as JSON.
func simPolicy(statements ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
}

// simAllow and simDeny are statements on actions and resources.
func simAllow(action, resource string) string {
	return fmt.Sprintf(`{"Effect":"Allow","Action":%q,"Resource":%q}`, action, resource)
}

func simDeny(action, resource string) string {
	return fmt.Sprintf(`{"Effect":"Deny","Action":%q,"Resource":%q}`, action, resource)
}

func simAllowIf(action, operator, key string, value any) string {
	v, _ := json.Marshal(value)
	return fmt.Sprintf(`{"Effect":"Allow","Action":%q,"Resource":"*","Condition":{%q:{%q:%s}}}`, action, operator, key, v)
}

func simEntry(name string, typ types.ContextKeyTypeEnum, values ...string) types.ContextEntry {
	return types.ContextEntry{ContextKeyName: aws.String(name), ContextKeyType: typ, ContextKeyValues: values}
}

// simWant is what one EvaluationResult must say. Nil fields are not checked.
type simWant struct {
	action   string
	decision types.PolicyEvaluationDecisionType
	matched  []string // SourcePolicyIds, in any order
	missing  []string // in any order
	boundary *bool    // PermissionsBoundaryDecisionDetail
	orgs     *bool    // OrganizationsDecisionDetail
	details  map[string]types.PolicyEvaluationDecisionType
	// perResource lists the decision for each resource, in order.
	perResource []types.PolicyEvaluationDecisionType
}

func simSorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func simIDs(sts []types.Statement) []string {
	out := []string{}
	for _, st := range sts {
		out = append(out, aws.ToString(st.SourcePolicyId))
	}
	return out
}

// simCheck compares results with wants, one per action.
func simCheck(t *testing.T, name string, got []types.EvaluationResult, wants []simWant) {
	t.Helper()
	if len(got) != len(wants) {
		t.Errorf("%s: %d results, want %d", name, len(got), len(wants))
		return
	}
	for i, w := range wants {
		r := got[i]
		where := fmt.Sprintf("%s: %s", name, w.action)
		if aws.ToString(r.EvalActionName) != w.action || r.EvalDecision != w.decision {
			t.Errorf("%s: got %s %s, want %s", where, aws.ToString(r.EvalActionName), r.EvalDecision, w.decision)
		}
		if w.matched != nil && !slices.Equal(simSorted(simIDs(r.MatchedStatements)), simSorted(w.matched)) {
			t.Errorf("%s: matched %v, want %v", where, simIDs(r.MatchedStatements), w.matched)
		}
		for _, st := range r.MatchedStatements {
			if st.SourcePolicyType == "" || st.StartPosition == nil || st.EndPosition == nil {
				t.Errorf("%s: statement without type or position: %+v", where, st)
			}
		}
		if w.missing != nil && !slices.Equal(simSorted(r.MissingContextValues), simSorted(w.missing)) {
			t.Errorf("%s: missing %v, want %v", where, r.MissingContextValues, w.missing)
		}
		if w.boundary != nil && (r.PermissionsBoundaryDecisionDetail == nil || r.PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary != *w.boundary) {
			t.Errorf("%s: boundary detail %+v, want %v", where, r.PermissionsBoundaryDecisionDetail, *w.boundary)
		}
		if w.orgs != nil && (r.OrganizationsDecisionDetail == nil || r.OrganizationsDecisionDetail.AllowedByOrganizations != *w.orgs) {
			t.Errorf("%s: organizations detail %+v, want %v", where, r.OrganizationsDecisionDetail, *w.orgs)
		}
		if w.details != nil && fmt.Sprint(r.EvalDecisionDetails) != fmt.Sprint(w.details) {
			t.Errorf("%s: decision details %v, want %v", where, r.EvalDecisionDetails, w.details)
		}
		if w.perResource != nil {
			var ds []types.PolicyEvaluationDecisionType
			for _, rs := range r.ResourceSpecificResults {
				ds = append(ds, rs.EvalResourceDecision)
			}
			if !slices.Equal(ds, w.perResource) {
				t.Errorf("%s: per-resource decisions %v, want %v", where, ds, w.perResource)
			}
		}
	}
}

const (
	simAllowed  = types.PolicyEvaluationDecisionTypeAllowed
	simImplicit = types.PolicyEvaluationDecisionTypeImplicitDeny
	simExplicit = types.PolicyEvaluationDecisionTypeExplicitDeny

	simObjectA = "arn:aws:s3:::bucket/a"
	simObjectB = "arn:aws:s3:::bucket/b"
	simUserA   = "arn:aws:iam::111111111111:user/alice"
	simRoleA   = "arn:aws:iam::111111111111:role/app"
)

// simTrust lets account B assume a role.
const simTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole"}]}`

var (
	simTrue  = aws.Bool(true)
	simFalse = aws.Bool(false)
)

// simTypedCases are, per context key type, a condition and a context
// value that satisfies it and one that does not.
var simTypedCases = []struct {
	typ       types.ContextKeyTypeEnum
	operator  string
	key       string
	value     any
	good, bad []string
}{
	{types.ContextKeyTypeEnumString, "StringEquals", "aws:username", "alice", []string{"alice"}, []string{"bob"}},
	{types.ContextKeyTypeEnumStringList, "ForAnyValue:StringLike", "aws:TagKeys", "team*", []string{"owner", "team-x"}, []string{"owner"}},
	{types.ContextKeyTypeEnumNumeric, "NumericLessThan", "aws:MultiFactorAuthAge", "3600", []string{"60"}, []string{"7200"}},
	{types.ContextKeyTypeEnumNumericList, "ForAllValues:NumericLessThan", "test:Sizes", "10", []string{"1", "9.5"}, []string{"1", "11"}},
	{types.ContextKeyTypeEnumBoolean, "Bool", "aws:SecureTransport", "true", []string{"true"}, []string{"false"}},
	{types.ContextKeyTypeEnumBooleanList, "ForAnyValue:Bool", "test:Flags", "true", []string{"false", "TRUE"}, []string{"false"}},
	{types.ContextKeyTypeEnumIp, "IpAddress", "aws:SourceIp", "203.0.113.0/24", []string{"203.0.113.7"}, []string{"198.51.100.7"}},
	{types.ContextKeyTypeEnumIpList, "ForAnyValue:IpAddress", "test:Addresses", "2001:db8::/32", []string{"10.0.0.1", "2001:db8::1"}, []string{"10.0.0.1"}},
	{types.ContextKeyTypeEnumBinary, "BinaryEquals", "test:Blob", "aGVsbG8=", []string{"aGVsbG8="}, []string{"d29ybGQ="}},
	{types.ContextKeyTypeEnumBinaryList, "ForAnyValue:BinaryEquals", "test:Blobs", "aGVsbG8=", []string{"d29ybGQ=", "aGVsbG8="}, []string{"d29ybGQ="}},
	{types.ContextKeyTypeEnumDate, "DateGreaterThan", "aws:CurrentTime", "2018-08-16T12:00:00Z", []string{"2019-04-25T11:00:00Z"}, []string{"2014-04-25T11:00:00Z"}},
	{types.ContextKeyTypeEnumDateList, "ForAllValues:DateLessThan", "test:Dates", "2020-01-01T00:00:00Z", []string{"2019-01-01T00:00:00Z", "1546300800"}, []string{"2019-01-01T00:00:00Z", "2021-01-01T00:00:00Z"}},
	// The other forms each type accepts.
	{types.ContextKeyTypeEnumNumeric, "NumericEquals", "test:Count", "42", []string{" 42 "}, []string{"42.5"}},
	{types.ContextKeyTypeEnumNumericList, "ForAnyValue:NumericGreaterThan", "test:Counts", "100", []string{"1", " 1e3"}, []string{"-5", "99.99"}},
	{types.ContextKeyTypeEnumBoolean, "Bool", "aws:MultiFactorAuthPresent", "true", []string{"True"}, []string{"FALSE"}},
	{types.ContextKeyTypeEnumIp, "NotIpAddress", "aws:SourceIp", "10.0.0.0/8", []string{"2001:db8::7"}, []string{"10.1.2.3"}},
	{types.ContextKeyTypeEnumDate, "DateLessThan", "aws:TokenIssueTime", "2020-01-01", []string{"1546300800"}, []string{"2020-06-01T00:00"}},
	{types.ContextKeyTypeEnumDateList, "ForAnyValue:DateGreaterThanEquals", "test:Dates", "2020-01-01T00:00:00Z", []string{"2019-01-01", "2020-01-01T01:00:00+01:00"}, []string{"2019-12-31T23:59:59", "2019-06-01T12:00"}},
	{types.ContextKeyTypeEnumStringList, "ForAllValues:StringEquals", "aws:TagKeys", "team", []string{}, []string{"team", "owner"}},
	{"", "StringEquals", "test:Untyped", "v", []string{"v"}, []string{"w"}},
}

func TestSimulateCustomPolicyDecisions(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)

	type tcase struct {
		name  string
		in    iam.SimulateCustomPolicyInput
		wants []simWant
	}
	getObject := []string{"s3:GetObject"}
	userNamed := simPolicy(`{"Effect":"Allow","Principal":{"AWS":"` + simUserA + `"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}`)
	roleNamed := simPolicy(`{"Effect":"Allow","Principal":{"AWS":"` + simRoleA + `"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}`)
	rootNamed := simPolicy(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}`)
	denyNamed := simPolicy(`{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}`)
	cases := []tcase{
		{"allow", iam.SimulateCustomPolicyInput{PolicyInputList: []string{simPolicy(simAllow("s3:GetObject", "*"))}, ActionNames: getObject},
			[]simWant{{action: "s3:GetObject", decision: simAllowed, matched: []string{"PolicyInputList.1"}, missing: []string{}}}},
		{"action case-insensitive", iam.SimulateCustomPolicyInput{PolicyInputList: []string{simPolicy(simAllow("s3:Get*", "*"))}, ActionNames: []string{"S3:gEtObJeCt"}},
			[]simWant{{action: "S3:gEtObJeCt", decision: simAllowed}}},
		{"implicit deny", iam.SimulateCustomPolicyInput{PolicyInputList: []string{simPolicy(simAllow("s3:GetObject", "*"))}, ActionNames: []string{"s3:PutObject", "s3:*"}},
			[]simWant{{action: "s3:PutObject", decision: simImplicit, matched: []string{}, missing: []string{}}, {action: "s3:*", decision: simImplicit}}},
		{"empty policy list", iam.SimulateCustomPolicyInput{PolicyInputList: []string{}, ActionNames: getObject},
			[]simWant{{action: "s3:GetObject", decision: simImplicit, matched: []string{}}}},
		{"explicit deny wins", iam.SimulateCustomPolicyInput{PolicyInputList: []string{simPolicy(simAllow("s3:*", "*")), simPolicy(simDeny("s3:GetObject", "*"))}, ActionNames: []string{"s3:GetObject", "s3:PutObject"}},
			[]simWant{{action: "s3:GetObject", decision: simExplicit, matched: []string{"PolicyInputList.2"}}, {action: "s3:PutObject", decision: simAllowed, matched: []string{"PolicyInputList.1"}}}},
		{"missing context value", iam.SimulateCustomPolicyInput{
			PolicyInputList: []string{simPolicy(simAllowIf("s3:GetObject", "StringEquals", "test:Stage", "prod"), simAllowIf("s3:PutObject", "Null", "test:Other", "false"))},
			ActionNames:     []string{"s3:GetObject"}},
			[]simWant{{action: "s3:GetObject", decision: simImplicit, missing: []string{"test:Stage", "test:Other"}}}},
		{"missing values only when implicitly denied", iam.SimulateCustomPolicyInput{
			PolicyInputList: []string{simPolicy(simAllow("s3:GetObject", "*"), simAllowIf("s3:GetObject", "StringEquals", "test:Stage", "prod"))},
			ActionNames:     getObject},
			[]simWant{{action: "s3:GetObject", decision: simAllowed, missing: []string{}}}},
		{"IfExists with the key missing", iam.SimulateCustomPolicyInput{PolicyInputList: []string{simPolicy(simAllowIf("s3:GetObject", "StringEqualsIfExists", "test:Stage", "prod"))}, ActionNames: getObject},
			[]simWant{{action: "s3:GetObject", decision: simAllowed, missing: []string{}}}},
		{"policy variable missing", iam.SimulateCustomPolicyInput{PolicyInputList: []string{simPolicy(simAllow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/*"))}, ActionNames: getObject, ResourceArns: []string{"arn:aws:s3:::bucket/alice/x"}},
			[]simWant{{action: "s3:GetObject", decision: simImplicit, missing: []string{"aws:username"}, perResource: []types.PolicyEvaluationDecisionType{simImplicit}}}},
		{"policy variable from the caller", iam.SimulateCustomPolicyInput{PolicyInputList: []string{simPolicy(simAllow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/*"))}, ActionNames: getObject, ResourceArns: []string{"arn:aws:s3:::bucket/alice/x"}, CallerArn: aws.String(simUserA)},
			[]simWant{{action: "s3:GetObject", decision: simAllowed, missing: []string{}, details: map[string]types.PolicyEvaluationDecisionType{}}}},
		{"boundary allows", iam.SimulateCustomPolicyInput{PolicyInputList: []string{simPolicy(simAllow("s3:*", "*"))}, PermissionsBoundaryPolicyInputList: []string{simPolicy(simAllow("s3:GetObject", "*"))}, ActionNames: []string{"s3:GetObject", "s3:PutObject"}},
			[]simWant{
				{action: "s3:GetObject", decision: simAllowed, matched: []string{"PolicyInputList.1"}, boundary: simTrue},
				{action: "s3:PutObject", decision: simImplicit, matched: []string{}, boundary: simFalse},
			}},
		{"boundary denies", iam.SimulateCustomPolicyInput{PolicyInputList: []string{simPolicy(simAllow("s3:*", "*"))}, PermissionsBoundaryPolicyInputList: []string{simPolicy(simAllow("*", "*"), simDeny("s3:GetObject", "*"))}, ActionNames: getObject},
			[]simWant{{action: "s3:GetObject", decision: simExplicit, matched: []string{"PermissionsBoundaryPolicyInputList.1"}, boundary: simFalse}}},
		{"boundary missing context", iam.SimulateCustomPolicyInput{PolicyInputList: []string{simPolicy(simAllow("s3:*", "*"))}, PermissionsBoundaryPolicyInputList: []string{simPolicy(simAllowIf("s3:GetObject", "StringEquals", "test:Boundary", "yes"))}, ActionNames: getObject},
			[]simWant{{action: "s3:GetObject", decision: simImplicit, missing: []string{"test:Boundary"}, boundary: simFalse}}},
		{"resource policy naming the user grants alone", iam.SimulateCustomPolicyInput{PolicyInputList: []string{}, ResourcePolicy: aws.String(userNamed), CallerArn: aws.String(simUserA), ActionNames: getObject, ResourceArns: []string{simObjectA},
			PermissionsBoundaryPolicyInputList: []string{simPolicy(simAllow("s3:PutObject", "*"))}},
			[]simWant{{action: "s3:GetObject", decision: simAllowed, matched: []string{"ResourcePolicy"}, boundary: simFalse, details: map[string]types.PolicyEvaluationDecisionType{}}}},
		{"resource policy naming someone else", iam.SimulateCustomPolicyInput{PolicyInputList: []string{}, ResourcePolicy: aws.String(userNamed), CallerArn: aws.String("arn:aws:iam::111111111111:user/bob"), ActionNames: getObject, ResourceArns: []string{simObjectA}},
			[]simWant{{action: "s3:GetObject", decision: simImplicit, matched: []string{}}}},
		{"resource policy naming the role is limited by its boundary", iam.SimulateCustomPolicyInput{PolicyInputList: []string{}, ResourcePolicy: aws.String(roleNamed), CallerArn: aws.String(simRoleA), ActionNames: getObject, ResourceArns: []string{simObjectA},
			PermissionsBoundaryPolicyInputList: []string{simPolicy(simAllow("s3:PutObject", "*"))}},
			[]simWant{{action: "s3:GetObject", decision: simImplicit, boundary: simFalse}}},
		{"resource policy naming the role", iam.SimulateCustomPolicyInput{PolicyInputList: []string{}, ResourcePolicy: aws.String(roleNamed), CallerArn: aws.String(simRoleA), ActionNames: getObject, ResourceArns: []string{simObjectA}},
			[]simWant{{action: "s3:GetObject", decision: simAllowed, matched: []string{"ResourcePolicy"}}}},
		{"resource policy naming the account needs identity", iam.SimulateCustomPolicyInput{PolicyInputList: []string{}, ResourcePolicy: aws.String(rootNamed), CallerArn: aws.String(simUserA), ActionNames: getObject, ResourceArns: []string{simObjectA}},
			[]simWant{{action: "s3:GetObject", decision: simImplicit}}},
		{"resource policy naming the account with identity", iam.SimulateCustomPolicyInput{PolicyInputList: []string{simPolicy(simAllow("s3:GetObject", "*"))}, ResourcePolicy: aws.String(rootNamed), CallerArn: aws.String(simUserA), ActionNames: getObject, ResourceArns: []string{simObjectA}},
			[]simWant{{action: "s3:GetObject", decision: simAllowed, matched: []string{"ResourcePolicy", "PolicyInputList.1"}}}},
		{"resource policy deny", iam.SimulateCustomPolicyInput{PolicyInputList: []string{simPolicy(simAllow("s3:GetObject", "*"))}, ResourcePolicy: aws.String(denyNamed), CallerArn: aws.String(simUserA), ActionNames: getObject, ResourceArns: []string{simObjectA}},
			[]simWant{{action: "s3:GetObject", decision: simExplicit, matched: []string{"ResourcePolicy"}}}},
		{"cross account needs both sides", iam.SimulateCustomPolicyInput{PolicyInputList: []string{}, ResourcePolicy: aws.String(userNamed), CallerArn: aws.String(simUserA), ResourceOwner: aws.String("arn:aws:iam::222222222222:root"), ActionNames: getObject, ResourceArns: []string{simObjectA}},
			[]simWant{{action: "s3:GetObject", decision: simImplicit, matched: []string{}, details: map[string]types.PolicyEvaluationDecisionType{"IAM Policy": simImplicit, "Resource Policy": simAllowed}}}},
		{"cross account allowed", iam.SimulateCustomPolicyInput{PolicyInputList: []string{simPolicy(simAllow("s3:GetObject", "*"))}, ResourcePolicy: aws.String(userNamed), CallerArn: aws.String(simUserA), ResourceOwner: aws.String("arn:aws:iam::222222222222:root"), ActionNames: getObject, ResourceArns: []string{simObjectA},
			PermissionsBoundaryPolicyInputList: []string{simPolicy(simAllow("s3:*", "*"))}},
			[]simWant{{action: "s3:GetObject", decision: simAllowed, matched: []string{"ResourcePolicy", "PolicyInputList.1"}, boundary: simTrue,
				details: map[string]types.PolicyEvaluationDecisionType{"IAM Policy": simAllowed, "Permissions Boundary Policy": simAllowed, "Resource Policy": simAllowed}}}},
		{"actions times resources", iam.SimulateCustomPolicyInput{PolicyInputList: []string{simPolicy(simAllow("s3:GetObject", simObjectA), simAllow("s3:PutObject", "arn:aws:s3:::bucket/*"))}, ActionNames: []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}, ResourceArns: []string{simObjectA, simObjectB}},
			[]simWant{
				{action: "s3:GetObject", decision: simImplicit, matched: []string{"PolicyInputList.1"}, details: map[string]types.PolicyEvaluationDecisionType{}, perResource: []types.PolicyEvaluationDecisionType{simAllowed, simImplicit}},
				{action: "s3:PutObject", decision: simAllowed, matched: []string{"PolicyInputList.1"}, perResource: []types.PolicyEvaluationDecisionType{simAllowed, simAllowed}},
				{action: "s3:DeleteObject", decision: simImplicit, matched: []string{}, perResource: []types.PolicyEvaluationDecisionType{simImplicit, simImplicit}},
			}},
		{"service control policies", iam.SimulateCustomPolicyInput{PolicyInputList: []string{simPolicy(simAllow("s3:*", "*"))}, ActionNames: []string{"s3:GetObject", "s3:PutObject", "s3:ListBucket"},
			OrderedOrganizationPolicyInputList: []types.OrderedOrganizationPolicyType{
				{ServiceControlPolicyInputList: []string{simPolicy(simAllow("*", "*"))}},
				{ServiceControlPolicyInputList: []string{simPolicy(simAllow("s3:Get*", "*"), simAllow("s3:PutObject", "*")), simPolicy(simDeny("s3:PutObject", "*"))}},
			}},
			[]simWant{
				{action: "s3:GetObject", decision: simAllowed, orgs: simTrue},
				{action: "s3:PutObject", decision: simExplicit, matched: []string{}, orgs: simFalse},
				{action: "s3:ListBucket", decision: simImplicit, matched: []string{}, orgs: simFalse},
			}},
	}
	for _, tc := range simTypedCases {
		doc := simPolicy(simAllowIf("s3:GetObject", tc.operator, tc.key, tc.value))
		cases = append(cases,
			tcase{"context " + string(tc.typ) + " satisfies", iam.SimulateCustomPolicyInput{PolicyInputList: []string{doc}, ActionNames: getObject, ContextEntries: []types.ContextEntry{simEntry(tc.key, tc.typ, tc.good...)}},
				[]simWant{{action: "s3:GetObject", decision: simAllowed, matched: []string{"PolicyInputList.1"}, missing: []string{}}}},
			tcase{"context " + string(tc.typ) + " fails", iam.SimulateCustomPolicyInput{PolicyInputList: []string{doc}, ActionNames: getObject, ContextEntries: []types.ContextEntry{simEntry(tc.key, tc.typ, tc.bad...)}},
				[]simWant{{action: "s3:GetObject", decision: simImplicit, matched: []string{}, missing: []string{}}}},
		)
	}
	for _, tc := range cases {
		out, err := c.SimulateCustomPolicy(ctx, &tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		simCheck(t, tc.name, out.EvaluationResults, tc.wants)
	}
}

// TestSimulateCustomPolicyShapes checks the parts of the answer whose
// presence depends on the inputs, as AWS sends them.
func TestSimulateCustomPolicyShapes(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	doc := simPolicy(simAllow("s3:GetObject", "*"))

	out, err := c.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{doc}, ActionNames: []string{"s3:GetObject"}})
	if err != nil {
		t.Fatal(err)
	}
	r := out.EvaluationResults[0]
	if aws.ToString(r.EvalResourceName) != "*" || r.EvalDecisionDetails != nil || r.ResourceSpecificResults != nil || r.OrganizationsDecisionDetail != nil || r.PermissionsBoundaryDecisionDetail != nil {
		t.Errorf("default resource: %+v", r)
	}
	out, err = c.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{doc}, ActionNames: []string{"s3:GetObject"}, ResourceArns: []string{simObjectA}})
	if err != nil {
		t.Fatal(err)
	}
	r = out.EvaluationResults[0]
	if aws.ToString(r.EvalResourceName) != simObjectA || r.EvalDecisionDetails == nil || len(r.EvalDecisionDetails) != 0 || len(r.ResourceSpecificResults) != 1 ||
		aws.ToString(r.ResourceSpecificResults[0].EvalResourceName) != simObjectA || len(r.ResourceSpecificResults[0].MatchedStatements) != 1 {
		t.Errorf("one resource: %+v", r)
	}
	if st := r.MatchedStatements[0]; st.SourcePolicyType != "IAM Policy" {
		t.Errorf("source policy type %q", st.SourcePolicyType)
	}
}

// TestSimulateCustomPolicyPositions checks statement positions against
// the ones AWS reported for the same documents.
func TestSimulateCustomPolicyPositions(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	type pos struct{ l1, c1, l2, c2 int32 }
	pretty := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"s3:GetObject\",\n      \"Resource\": \"*\",\n      \"Sid\": \"First\"\n    },\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"s3:GetObject\",\n      \"Resource\": \"*\",\n      \"Sid\": \"Second\"\n    }\n  ]\n}"
	for _, tc := range []struct {
		name string
		doc  string
		want []pos
	}{
		{"minified", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`, []pos{{1, 38, 1, 95}}},
		{"two statements", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Sid":"First"},{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Sid":"Second"}]}`,
			[]pos{{1, 38, 1, 109}, {1, 109, 1, 182}}},
		{"pretty", pretty, []pos{{3, 17, 9, 6}, {9, 6, 15, 6}}},
		{"CRLF", " \r\n{\r\n  \"Version\": \"2012-10-17\",\r\n  \"Statement\": [\r\n    {\r\n      \"Effect\": \"Allow\",\r\n      \"Action\": \"s3:GetObject\",\r\n      \"Resource\": \"*\"\r\n    }\r\n  ]\r\n}\r\n ", []pos{{4, 17, 9, 6}}},
		{"single statement object", `{"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}`, []pos{{1, 16, 1, 77}}},
	} {
		out, err := c.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{tc.doc}, ActionNames: []string{"s3:GetObject"}})
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var got []pos
		for _, st := range out.EvaluationResults[0].MatchedStatements {
			got = append(got, pos{st.StartPosition.Line, st.StartPosition.Column, st.EndPosition.Line, st.EndPosition.Column})
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: positions %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestSimulateCustomPolicyErrors(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	ok := simPolicy(simAllow("s3:GetObject", "*"))
	get := []string{"s3:GetObject"}
	userNamed := simPolicy(`{"Effect":"Allow","Principal":{"AWS":"` + simUserA + `"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}`)
	for _, tc := range []struct {
		name string
		in   iam.SimulateCustomPolicyInput
		code string
	}{
		{"malformed JSON", iam.SimulateCustomPolicyInput{PolicyInputList: []string{"{"}, ActionNames: get}, "InvalidInput"},
		{"bad version", iam.SimulateCustomPolicyInput{PolicyInputList: []string{`{"Version":"2099-01-01","Statement":[]}`}, ActionNames: get}, "InvalidInput"},
		{"principal in identity policy", iam.SimulateCustomPolicyInput{PolicyInputList: []string{userNamed}, ActionNames: get}, "InvalidInput"},
		{"malformed boundary", iam.SimulateCustomPolicyInput{PolicyInputList: []string{ok}, PermissionsBoundaryPolicyInputList: []string{"[]"}, ActionNames: get}, "InvalidInput"},
		{"two boundaries", iam.SimulateCustomPolicyInput{PolicyInputList: []string{ok}, PermissionsBoundaryPolicyInputList: []string{ok, ok}, ActionNames: get}, "InvalidInput"},
		{"action without service", iam.SimulateCustomPolicyInput{PolicyInputList: []string{ok}, ActionNames: []string{"GetObject"}}, "InvalidInput"},
		{"resource not an ARN", iam.SimulateCustomPolicyInput{PolicyInputList: []string{ok}, ActionNames: get, ResourceArns: []string{"not-an-arn"}}, "InvalidInput"},
		{"numeric context value", iam.SimulateCustomPolicyInput{PolicyInputList: []string{ok}, ActionNames: get, ContextEntries: []types.ContextEntry{simEntry("test:n", types.ContextKeyTypeEnumNumeric, "abc")}}, "InvalidInput"},
		{"date context value", iam.SimulateCustomPolicyInput{PolicyInputList: []string{ok}, ActionNames: get, ContextEntries: []types.ContextEntry{simEntry("test:d", types.ContextKeyTypeEnumDate, "tomorrow")}}, "InvalidInput"},
		{"ip context value", iam.SimulateCustomPolicyInput{PolicyInputList: []string{ok}, ActionNames: get, ContextEntries: []types.ContextEntry{simEntry("test:i", types.ContextKeyTypeEnumIp, "999.0.0.1")}}, "InvalidInput"},
		{"binary context value", iam.SimulateCustomPolicyInput{PolicyInputList: []string{ok}, ActionNames: get, ContextEntries: []types.ContextEntry{simEntry("test:b", types.ContextKeyTypeEnumBinary, "!base64")}}, "InvalidInput"},
		{"boolean context value", iam.SimulateCustomPolicyInput{PolicyInputList: []string{ok}, ActionNames: get, ContextEntries: []types.ContextEntry{simEntry("test:b", types.ContextKeyTypeEnumBoolean, "yes")}}, "InvalidInput"},
		{"booleanList context value", iam.SimulateCustomPolicyInput{PolicyInputList: []string{ok}, ActionNames: get, ContextEntries: []types.ContextEntry{simEntry("test:b", types.ContextKeyTypeEnumBooleanList, "true", "1")}}, "InvalidInput"},
		{"numericList context value", iam.SimulateCustomPolicyInput{PolicyInputList: []string{ok}, ActionNames: get, ContextEntries: []types.ContextEntry{simEntry("test:n", types.ContextKeyTypeEnumNumericList, "1", "NaN")}}, "InvalidInput"},
		{"dateList context value", iam.SimulateCustomPolicyInput{PolicyInputList: []string{ok}, ActionNames: get, ContextEntries: []types.ContextEntry{simEntry("test:d", types.ContextKeyTypeEnumDateList, "2020-01-01", "soon")}}, "InvalidInput"},
		{"ipList context value", iam.SimulateCustomPolicyInput{PolicyInputList: []string{ok}, ActionNames: get, ContextEntries: []types.ContextEntry{simEntry("test:i", types.ContextKeyTypeEnumIpList, "10.0.0.1", "10.0.0")}}, "InvalidInput"},
		{"binaryList context value", iam.SimulateCustomPolicyInput{PolicyInputList: []string{ok}, ActionNames: get, ContextEntries: []types.ContextEntry{simEntry("test:b", types.ContextKeyTypeEnumBinaryList, "aGVsbG8=", "%%")}}, "InvalidInput"},
		{"two values for a scalar", iam.SimulateCustomPolicyInput{PolicyInputList: []string{ok}, ActionNames: get, ContextEntries: []types.ContextEntry{simEntry("test:s", types.ContextKeyTypeEnumString, "a", "b")}}, "InvalidInput"},
		{"unknown context type", iam.SimulateCustomPolicyInput{PolicyInputList: []string{ok}, ActionNames: get, ContextEntries: []types.ContextEntry{simEntry("test:s", "unknown", "a")}}, "ValidationError"},
		{"duplicate context key", iam.SimulateCustomPolicyInput{PolicyInputList: []string{ok}, ActionNames: get, ContextEntries: []types.ContextEntry{simEntry("test:s", types.ContextKeyTypeEnumString, "a"), simEntry("TEST:S", types.ContextKeyTypeEnumString, "b")}}, "InvalidInput"},
		{"resource policy without caller", iam.SimulateCustomPolicyInput{PolicyInputList: []string{ok}, ActionNames: get, ResourceArns: []string{simObjectA}, ResourcePolicy: aws.String(userNamed)}, "InvalidInput"},
		{"resource policy for every resource", iam.SimulateCustomPolicyInput{PolicyInputList: []string{ok}, ActionNames: get, ResourcePolicy: aws.String(userNamed), CallerArn: aws.String(simUserA)}, "InvalidInput"},
		{"resource policy on *", iam.SimulateCustomPolicyInput{PolicyInputList: []string{ok}, ActionNames: get, ResourceArns: []string{simObjectA}, CallerArn: aws.String(simUserA),
			ResourcePolicy: aws.String(simPolicy(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}`))}, "InvalidInput"},
		{"resource policy without principal", iam.SimulateCustomPolicyInput{PolicyInputList: []string{ok}, ActionNames: get, ResourceArns: []string{simObjectA}, CallerArn: aws.String(simUserA), ResourcePolicy: aws.String(ok)}, "InvalidInput"},
		{"caller is a session", iam.SimulateCustomPolicyInput{PolicyInputList: []string{ok}, ActionNames: get, CallerArn: aws.String("arn:aws:sts::111111111111:assumed-role/app/s")}, "InvalidInput"},
		{"resource owner is not an ARN", iam.SimulateCustomPolicyInput{PolicyInputList: []string{ok}, ActionNames: get, ResourceArns: []string{simObjectA}, CallerArn: aws.String(simUserA), ResourcePolicy: aws.String(userNamed), ResourceOwner: aws.String("222222222222")}, "InvalidInput"},
		{"empty organization level", iam.SimulateCustomPolicyInput{PolicyInputList: []string{ok}, ActionNames: get, OrderedOrganizationPolicyInputList: []types.OrderedOrganizationPolicyType{{ServiceControlPolicyInputList: []string{}}}}, "InvalidInput"},
		{"MaxItems too large", iam.SimulateCustomPolicyInput{PolicyInputList: []string{ok}, ActionNames: get, MaxItems: aws.Int32(1001)}, "ValidationError"},
		{"bad marker", iam.SimulateCustomPolicyInput{PolicyInputList: []string{ok}, ActionNames: get, Marker: aws.String("not-a-marker")}, "InvalidInput"},
	} {
		_, err := c.SimulateCustomPolicy(ctx, &tc.in)
		if simCode(err) != tc.code {
			t.Errorf("%s: err = %v, want %s", tc.name, err, tc.code)
		}
	}
}

func TestSimulateCustomPolicyPagination(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	actions := []string{"s3:PutObject", "iam:GetUser", "s3:GetObject", "s3:GetObject", "ec2:RunInstances"}
	in := &iam.SimulateCustomPolicyInput{PolicyInputList: []string{simPolicy(simAllow("s3:*", "*"))}, ActionNames: actions, ResourceArns: []string{simObjectA, simObjectB}, MaxItems: aws.Int32(2)}
	p := iam.NewSimulateCustomPolicyPaginator(c, in)
	var got []string
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range out.EvaluationResults {
			got = append(got, aws.ToString(r.EvalActionName)+"="+string(r.EvalDecision))
			if len(r.ResourceSpecificResults) != 2 {
				t.Errorf("%s: %d resource results", aws.ToString(r.EvalActionName), len(r.ResourceSpecificResults))
			}
		}
	}
	want := "s3:PutObject=allowed iam:GetUser=implicitDeny s3:GetObject=allowed s3:GetObject=allowed ec2:RunInstances=implicitDeny"
	if strings.Join(got, " ") != want || pages != 3 {
		t.Errorf("paginated %v in %d pages, want %s in 3", got, pages, want)
	}
}

// simRolePolicies sets up role app: an inline policy, an AWS managed
// policy and, optionally, a permissions boundary.
func simRolePolicies(t *testing.T, c *iam.Client) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(simTrust)}); err != nil {
		t.Fatal(err)
	}
	inline := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"dynamodb:GetItem\",\n      \"Resource\": \"*\",\n      \"Condition\": {\"StringEquals\": {\"aws:RequestedRegion\": \"us-east-1\"}}\n    },\n    {\n      \"Effect\": \"Deny\",\n      \"Action\": \"s3:GetObject\",\n      \"Resource\": \"arn:aws:s3:::secret/*\"\n    }\n  ]\n}"
	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("data"), PolicyDocument: aws.String(inline)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")}); err != nil {
		t.Fatal(err)
	}
}

func TestSimulatePrincipalPolicyRole(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	simRolePolicies(t, c)
	role := "arn:aws:iam::111111111111:role/app"
	region := []types.ContextEntry{simEntry("aws:RequestedRegion", types.ContextKeyTypeEnumString, "us-east-1")}

	for _, tc := range []struct {
		name  string
		in    iam.SimulatePrincipalPolicyInput
		wants []simWant
	}{
		{"inline and managed", iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(role), ActionNames: []string{"s3:GetObject", "s3:PutObject", "dynamodb:GetItem"}, ContextEntries: region},
			[]simWant{
				{action: "s3:GetObject", decision: simAllowed, matched: []string{"AmazonS3ReadOnlyAccess"}, orgs: simTrue},
				{action: "s3:PutObject", decision: simImplicit, matched: []string{}, missing: []string{}},
				{action: "dynamodb:GetItem", decision: simAllowed, matched: []string{"role_app_data"}},
			}},
		{"missing context from the role's policies", iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(role), ActionNames: []string{"dynamodb:GetItem"}},
			[]simWant{{action: "dynamodb:GetItem", decision: simImplicit, missing: []string{"aws:RequestedRegion"}}}},
		{"inline deny", iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(role), ActionNames: []string{"s3:GetObject"}, ResourceArns: []string{"arn:aws:s3:::secret/k", "arn:aws:s3:::public/k"}, ContextEntries: region},
			[]simWant{{action: "s3:GetObject", decision: simExplicit, matched: []string{"role_app_data", "AmazonS3ReadOnlyAccess"}, perResource: []types.PolicyEvaluationDecisionType{simExplicit, simAllowed}}}},
		{"extra policy", iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(role), ActionNames: []string{"s3:PutObject"}, PolicyInputList: []string{simPolicy(simAllow("s3:PutObject", "*"))}},
			[]simWant{{action: "s3:PutObject", decision: simAllowed, matched: []string{"PolicyInputList.1"}}}},
		{"boundary given", iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(role), ActionNames: []string{"s3:GetObject", "s3:ListBucket"}, PermissionsBoundaryPolicyInputList: []string{simPolicy(simAllow("s3:GetObject", "*"))}},
			[]simWant{{action: "s3:GetObject", decision: simAllowed, boundary: simTrue}, {action: "s3:ListBucket", decision: simImplicit, boundary: simFalse}}},
		{"managed policy excluded", iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(role), ActionNames: []string{"s3:GetObject"},
			PolicyExclusionList: []types.PolicyIdentifier{&types.PolicyIdentifierMemberPolicyType{Value: types.PolicyIdentifierPolicyTypeAwsManaged}}},
			[]simWant{{action: "s3:GetObject", decision: simImplicit}}},
	} {
		out, err := c.SimulatePrincipalPolicy(ctx, &tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		simCheck(t, tc.name, out.EvaluationResults, tc.wants)
	}

	// The role's own boundary applies, and is reported under its name.
	if _, err := c.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("app"), PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess")}); err != nil {
		t.Fatal(err)
	}
	out, err := c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(role), ActionNames: []string{"s3:GetObject", "dynamodb:GetItem"}, ContextEntries: region})
	if err != nil {
		t.Fatal(err)
	}
	simCheck(t, "role boundary", out.EvaluationResults, []simWant{
		{action: "s3:GetObject", decision: simImplicit, boundary: simFalse},
		{action: "dynamodb:GetItem", decision: simAllowed, matched: []string{"role_app_data"}, boundary: simTrue},
	})

	for _, tc := range []struct {
		name, source, code string
	}{
		{"missing role", "arn:aws:iam::111111111111:role/nope", "NoSuchEntity"},
		{"other account", "arn:aws:iam::222222222222:role/app", "InvalidInput"},
		{"root", "arn:aws:iam::111111111111:root", "InvalidInput"},
		{"session", "arn:aws:sts::111111111111:assumed-role/app/s", "InvalidInput"},
	} {
		_, err := c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(tc.source), ActionNames: []string{"s3:GetObject"}})
		if simCode(err) != tc.code {
			t.Errorf("%s: err = %v, want %s", tc.name, err, tc.code)
		}
	}
}

func TestSimulatePrincipalPolicyUser(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	steps := []func() error{
		func() error {
			_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice"), Path: aws.String("/team/")})
			return err
		},
		func() error {
			_, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("own"), PolicyDocument: aws.String(simPolicy(simAllow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/*")))})
			return err
		},
		func() error {
			_, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")})
			return err
		},
		func() error {
			_, err := c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("deploy"), PolicyDocument: aws.String(simPolicy(simAllow("lambda:UpdateFunctionCode", "*")))})
			return err
		},
		func() error {
			_, err := c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("alice")})
			return err
		},
		func() error {
			_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("no-delete"), PolicyDocument: aws.String(simPolicy(simDeny("s3:DeleteObject", "*"), simAllow("s3:*", "*")))})
			return err
		},
		func() error {
			_, err := c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("devs"), PolicyArn: aws.String("arn:aws:iam::111111111111:policy/no-delete")})
			return err
		},
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("set-up step %d: %v", i+1, err)
		}
	}
	user := "arn:aws:iam::111111111111:user/team/alice"
	out, err := c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(user),
		ActionNames:     []string{"s3:GetObject", "lambda:UpdateFunctionCode", "s3:DeleteObject", "iam:CreateUser"},
		ResourceArns:    []string{"arn:aws:s3:::bucket/alice/k", "arn:aws:s3:::bucket/bob/k"},
	})
	if err != nil {
		t.Fatal(err)
	}
	simCheck(t, "user", out.EvaluationResults, []simWant{
		{action: "s3:GetObject", decision: simAllowed, matched: []string{"user_alice_own", "no-delete"}, perResource: []types.PolicyEvaluationDecisionType{simAllowed, simAllowed}},
		{action: "lambda:UpdateFunctionCode", decision: simAllowed, matched: []string{"group_devs_deploy"}},
		{action: "s3:DeleteObject", decision: simExplicit, matched: []string{"no-delete"}},
		{action: "iam:CreateUser", decision: simImplicit, matched: []string{}, missing: []string{}},
	})
	// The group alone, and the user as the caller of a resource policy.
	out, err = c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::111111111111:group/devs"), ActionNames: []string{"s3:GetObject", "lambda:UpdateFunctionCode"}})
	if err != nil {
		t.Fatal(err)
	}
	simCheck(t, "group", out.EvaluationResults, []simWant{
		{action: "s3:GetObject", decision: simAllowed, matched: []string{"no-delete"}},
		{action: "lambda:UpdateFunctionCode", decision: simAllowed, matched: []string{"group_devs_deploy"}},
	})
	out, err = c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(user), ActionNames: []string{"sqs:SendMessage"}, ResourceArns: []string{"arn:aws:sqs:us-east-1:111111111111:q"},
		ResourcePolicy: aws.String(simPolicy(`{"Effect":"Allow","Principal":{"AWS":"` + user + `"},"Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:111111111111:q"}`)),
	})
	if err != nil {
		t.Fatal(err)
	}
	simCheck(t, "user named by a resource policy", out.EvaluationResults, []simWant{{action: "sqs:SendMessage", decision: simAllowed, matched: []string{"ResourcePolicy"}}})
}

func TestSimulateAuthorization(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	root := env.RootIAM(testenv.AccountA)
	simRolePolicies(t, root)
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("auditor")}); err != nil {
		t.Fatal(err)
	}
	key, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("auditor")})
	if err != nil {
		t.Fatal(err)
	}
	c := env.IAM(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey))
	custom := func() error {
		_, err := c.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{simPolicy(simAllow("s3:GetObject", "*"))}, ActionNames: []string{"s3:GetObject"}})
		return err
	}
	principal := func(arn string) error {
		_, err := c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(arn), ActionNames: []string{"s3:GetObject"}})
		return err
	}
	if err := custom(); simCode(err) != "AccessDenied" {
		t.Errorf("custom without permission: %v", err)
	}
	if err := principal("arn:aws:iam::111111111111:role/app"); simCode(err) != "AccessDenied" {
		t.Errorf("principal without permission: %v", err)
	}
	doc := simPolicy(simAllow("iam:SimulateCustomPolicy", "*"), simAllow("iam:SimulatePrincipalPolicy", "arn:aws:iam::111111111111:role/app"))
	if _, err := root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("auditor"), PolicyName: aws.String("simulate"), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	if err := custom(); err != nil {
		t.Errorf("custom with permission: %v", err)
	}
	if err := principal("arn:aws:iam::111111111111:role/app"); err != nil {
		t.Errorf("principal with permission: %v", err)
	}
	if err := principal("arn:aws:iam::111111111111:user/auditor"); simCode(err) != "AccessDenied" {
		t.Errorf("principal on another entity: %v", err)
	}
}

// TestSimulateCustomPolicyAWSCLI runs the machine's AWS CLI against the
// server.
func TestSimulateCustomPolicyAWSCLI(t *testing.T) {
	cli, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("aws CLI not installed")
	}
	env := testenv.Start(t, nil)
	dir := t.TempDir()
	doc := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\",\n     \"Condition\": {\"DateGreaterThan\": {\"aws:CurrentTime\": \"2018-08-16T12:00:00Z\"}, \"IpAddress\": {\"aws:SourceIp\": \"203.0.113.0/24\"}}},\n    {\"Effect\": \"Deny\", \"Action\": \"s3:PutObject\", \"Resource\": \"*\"}\n  ]\n}"
	// A list parameter read from a file is a JSON list: the CLI would
	// split a bare document into characters.
	list, _ := json.Marshal([]string{doc})
	file := filepath.Join(dir, "policies.json")
	if err := os.WriteFile(file, list, 0o600); err != nil {
		t.Fatal(err)
	}
	id, secret := env.RootKey(testenv.AccountA)
	run := func(args ...string) map[string]any {
		t.Helper()
		cmd := exec.Command(cli, append([]string{"iam", "simulate-custom-policy", "--output", "json", "--policy-input-list", "file://" + file, "--action-names", "s3:GetObject", "s3:PutObject"}, args...)...)
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "AWS_") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Env = append(cmd.Env, "AWS_ACCESS_KEY_ID="+id, "AWS_SECRET_ACCESS_KEY="+secret,
			"AWS_ENDPOINT_URL="+env.URL, "AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
		out, err := cmd.Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				t.Fatalf("aws: %v\n%s", err, ee.Stderr)
			}
			t.Fatal(err)
		}
		var v map[string]any
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatalf("aws output: %v\n%s", err, out)
		}
		return v
	}
	decisions := func(v map[string]any) string {
		var out []string
		results, _ := v["EvaluationResults"].([]any)
		for _, r := range results {
			m, _ := r.(map[string]any)
			out = append(out, fmt.Sprintf("%v=%v%v", m["EvalActionName"], m["EvalDecision"], m["MissingContextValues"]))
		}
		return strings.Join(out, " ")
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"context satisfies", []string{"--context-entries",
			"ContextKeyName=aws:CurrentTime,ContextKeyValues=2019-04-25T11:00:00Z,ContextKeyType=date",
			"ContextKeyName=aws:SourceIp,ContextKeyValues=203.0.113.9,ContextKeyType=ip"},
			"s3:GetObject=allowed[] s3:PutObject=explicitDeny[]"},
		{"context fails", []string{"--context-entries",
			"ContextKeyName=aws:CurrentTime,ContextKeyValues=2014-04-25T11:00:00Z,ContextKeyType=date",
			"ContextKeyName=aws:SourceIp,ContextKeyValues=203.0.113.9,ContextKeyType=ip"},
			"s3:GetObject=implicitDeny[] s3:PutObject=explicitDeny[]"},
		{"context missing", []string{"--context-entries", "ContextKeyName=aws:SourceIp,ContextKeyValues=203.0.113.9,ContextKeyType=ip"},
			"s3:GetObject=implicitDeny[aws:CurrentTime] s3:PutObject=explicitDeny[]"},
	} {
		v := run(tc.args...)
		if got := decisions(v); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	// The statement positions survive the CLI's JSON rendering.
	v := run("--context-entries", "ContextKeyName=aws:CurrentTime,ContextKeyValues=2019-04-25T11:00:00Z,ContextKeyType=date", "ContextKeyName=aws:SourceIp,ContextKeyValues=203.0.113.9,ContextKeyType=ip")
	st := v["EvaluationResults"].([]any)[1].(map[string]any)["MatchedStatements"].([]any)[0].(map[string]any)
	if fmt.Sprintf("%v %v %v", st["SourcePolicyId"], st["StartPosition"], st["EndPosition"]) != "PolicyInputList.1 map[Column:133 Line:5] map[Column:66 Line:6]" {
		t.Errorf("deny statement: %v", st)
	}
}
