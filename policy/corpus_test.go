package policy_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"sort"
	"testing"

	"github.com/assumed-dev/assumed/policy"
)

// corpusPath is the AWS managed policy corpus (1,485 documents collected
// by the moto project), relative to this package's directory.
const corpusPath = "../../shared/testdata/aws-managed-policies.json"

const corpusSize = 1485

type corpusEntry struct {
	Path             string
	DefaultVersionID string `json:"DefaultVersionId"`
	Document         json.RawMessage
}

// corpusLoad reads the corpus, skipping the test when it is absent.
func corpusLoad(t testing.TB) map[string]corpusEntry {
	t.Helper()
	data, err := os.ReadFile(corpusPath)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s not present", corpusPath)
	}
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]corpusEntry
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", corpusPath, err)
	}
	return m
}

// corpusParse parses a managed policy as AWS stores it: an identity
// policy, not subject to the customer managed policy size limit.
func corpusParse(t testing.TB, name string, e corpusEntry) *policy.Policy {
	t.Helper()
	p, err := policy.ParseWithOptions(string(e.Document), policy.Identity, policy.Options{MaxSize: -1})
	if err != nil {
		t.Fatalf("managed policy %s (%s): %v", name, e.DefaultVersionID, err)
	}
	return p
}

// TestCorpusParse: every AWS managed policy parses and compiles.
func TestCorpusParse(t *testing.T) {
	m := corpusLoad(t)
	if len(m) != corpusSize {
		t.Errorf("corpus has %d policies, want %d", len(m), corpusSize)
	}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	failed, statements := 0, 0
	var entries []policy.Entry
	for _, n := range names {
		e := m[n]
		if len(e.Document) == 0 {
			t.Errorf("%s: no Document", n)
			failed++
			continue
		}
		p, err := policy.ParseWithOptions(string(e.Document), policy.Identity, policy.Options{MaxSize: -1})
		if err != nil {
			failed++
			t.Errorf("%s (%s): %v", n, e.DefaultVersionID, err)
			continue
		}
		if len(p.Statements) == 0 || p.Kind != policy.Identity || p.Version != policy.Version2012 {
			t.Errorf("%s: %d statements, kind %v, version %q", n, len(p.Statements), p.Kind, p.Version)
		}
		statements += len(p.Statements)
		entries = append(entries, policy.Entry{ID: "arn:aws:iam::aws:policy" + e.Path + n, Policy: p})
	}
	if failed > 0 {
		t.Errorf("%d of %d managed policies were rejected", failed, len(m))
	}
	// All of them together still index and evaluate.
	set := policy.NewSet(entries...)
	if set.Len() != len(entries) {
		t.Errorf("set holds %d policies, want %d", set.Len(), len(entries))
	}
	var res policy.Result
	// AWSDenyAll (and other Deny statements) are in the corpus.
	if d := set.Evaluate(&policy.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}, &res); d != policy.Denied {
		t.Errorf("all managed policies together: %v, want explicitDeny (AWSDenyAll)", d)
	}
	t.Logf("%d policies, %d statements", len(entries), statements)
}

// corpusCase is one request against one or more managed policies.
type corpusCase struct {
	action   string
	resource string
	ctx      map[string]any
	want     policy.Decision
	why      string
}

// TestCorpusSample checks, against the published documents, what a few
// managed policies allow. The reasons quote the documents (default
// versions as in the corpus).
func TestCorpusSample(t *testing.T) {
	m := corpusLoad(t)
	const acct = "111122223333"
	tests := []struct {
		policies []string
		cases    []corpusCase
	}{
		{[]string{"ReadOnlyAccess"}, []corpusCase{
			// Statement ReadOnlyActionsGroup2 lists "s3:Get*" on "*".
			{"s3:GetObject", "arn:aws:s3:::bucket/key", nil, policy.Allowed, "s3:Get*"},
			// ReadOnlyActionsGroup1 lists "ec2:Describe*", "iam:Get*", "dynamodb:Query".
			{"ec2:DescribeInstances", "*", nil, policy.Allowed, "ec2:Describe*"},
			{"iam:GetRole", "arn:aws:iam::" + acct + ":role/R", nil, policy.Allowed, "iam:Get*"},
			{"dynamodb:Query", "arn:aws:dynamodb:us-east-1:" + acct + ":table/T", nil, policy.Allowed, "dynamodb:Query"},
			{"sts:GetCallerIdentity", "*", nil, policy.Allowed, "sts:GetCallerIdentity"},
			// S3ExpressReadOnlySessionObjectAccess: s3express:CreateSession
			// only with StringEquals s3express:SessionMode ReadOnly.
			{"s3express:CreateSession", "arn:aws:s3express:us-east-1:" + acct + ":bucket/b--use1-az4--x-s3", map[string]any{"s3express:SessionMode": "ReadOnly"}, policy.Allowed, "SessionMode ReadOnly"},
			{"s3express:CreateSession", "arn:aws:s3express:us-east-1:" + acct + ":bucket/b--use1-az4--x-s3", map[string]any{"s3express:SessionMode": "ReadWrite"}, policy.NotApplicable, "SessionMode ReadWrite"},
			{"s3express:CreateSession", "arn:aws:s3express:us-east-1:" + acct + ":bucket/b--use1-az4--x-s3", nil, policy.NotApplicable, "SessionMode missing: StringEquals is false"},
			// No write actions: none of the ~2,700 patterns matches these.
			{"s3:PutObject", "arn:aws:s3:::bucket/key", nil, policy.NotApplicable, "no s3:Put*"},
			{"iam:CreateUser", "arn:aws:iam::" + acct + ":user/u", nil, policy.NotApplicable, "no iam:Create*"},
			{"ec2:RunInstances", "*", nil, policy.NotApplicable, "no ec2:Run*"},
			// secretsmanager: only Describe*, GetResourcePolicy, List*.
			{"secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:" + acct + ":secret:s-AbCdEf", nil, policy.NotApplicable, "no GetSecretValue"},
			// kms: only Describe*, Get*, List*.
			{"kms:Decrypt", "arn:aws:kms:us-east-1:" + acct + ":key/k", nil, policy.NotApplicable, "no kms:Decrypt"},
			{"sts:AssumeRole", "arn:aws:iam::" + acct + ":role/Admin", nil, policy.NotApplicable, "no sts:AssumeRole"},
		}},
		{[]string{"AmazonS3ReadOnlyAccess"}, []corpusCase{
			// One statement: s3:Get*, s3:List*, s3:Describe*, s3-object-lambda:Get*/List* on "*".
			{"s3:GetObject", "arn:aws:s3:::bucket/key", nil, policy.Allowed, "s3:Get*"},
			{"S3:getobjectversion", "arn:aws:s3:::bucket/key", nil, policy.Allowed, "actions are case-insensitive"},
			{"s3:ListBucket", "arn:aws:s3:::bucket", nil, policy.Allowed, "s3:List*"},
			{"s3:ListAllMyBuckets", "*", nil, policy.Allowed, "s3:List*, no resource type"},
			{"s3-object-lambda:GetObject", "arn:aws:s3-object-lambda:us-east-1:" + acct + ":accesspoint/ap", nil, policy.Allowed, "s3-object-lambda:Get*"},
			{"s3:PutObject", "arn:aws:s3:::bucket/key", nil, policy.NotApplicable, "no Put"},
			{"s3:DeleteBucket", "arn:aws:s3:::bucket", nil, policy.NotApplicable, "no Delete"},
			{"s3:PutBucketPolicy", "arn:aws:s3:::bucket", nil, policy.NotApplicable, "no Put"},
			{"ec2:DescribeInstances", "*", nil, policy.NotApplicable, "other service"},
			{"s3-object-lambda:PutObject", "arn:aws:s3-object-lambda:us-east-1:" + acct + ":accesspoint/ap", nil, policy.NotApplicable, "no Put"},
		}},
		{[]string{"AdministratorAccess"}, []corpusCase{
			// "Action": "*" on "Resource": "*".
			{"iam:CreateUser", "arn:aws:iam::" + acct + ":user/u", nil, policy.Allowed, "*"},
			{"s3:DeleteBucket", "arn:aws:s3:::bucket", nil, policy.Allowed, "*"},
			{"sts:AssumeRole", "arn:aws:iam::" + acct + ":role/R", nil, policy.Allowed, "*"},
			{"organizations:LeaveOrganization", "*", nil, policy.Allowed, "*"},
		}},
		{[]string{"AdministratorAccess", "AWSDenyAll"}, []corpusCase{
			// AWSDenyAll: Deny "*" on "*" beats AdministratorAccess.
			{"iam:CreateUser", "arn:aws:iam::" + acct + ":user/u", nil, policy.Denied, "explicit deny wins"},
			{"s3:GetObject", "arn:aws:s3:::bucket/key", nil, policy.Denied, "explicit deny wins"},
		}},
		{[]string{"IAMReadOnlyAccess"}, []corpusCase{
			// iam:GenerateCredentialReport, iam:GenerateServiceLastAccessedDetails,
			// iam:Get*, iam:List*, iam:SimulateCustomPolicy, iam:SimulatePrincipalPolicy.
			{"iam:GetUser", "arn:aws:iam::" + acct + ":user/u", nil, policy.Allowed, "iam:Get*"},
			{"iam:ListRoles", "*", nil, policy.Allowed, "iam:List*"},
			{"iam:GenerateCredentialReport", "*", nil, policy.Allowed, "listed"},
			{"iam:SimulatePrincipalPolicy", "arn:aws:iam::" + acct + ":user/u", nil, policy.Allowed, "listed"},
			{"iam:CreateUser", "arn:aws:iam::" + acct + ":user/u", nil, policy.NotApplicable, "not listed"},
			{"iam:PassRole", "arn:aws:iam::" + acct + ":role/R", nil, policy.NotApplicable, "not listed"},
			{"iam:UpdateAssumeRolePolicy", "arn:aws:iam::" + acct + ":role/R", nil, policy.NotApplicable, "not listed"},
			{"iam:CreateAccessKey", "arn:aws:iam::" + acct + ":user/u", nil, policy.NotApplicable, "not listed"},
			{"sts:AssumeRole", "arn:aws:iam::" + acct + ":role/R", nil, policy.NotApplicable, "other service"},
		}},
		{[]string{"AmazonEC2ReadOnlyAccess"}, []corpusCase{
			// ec2:Describe*, ec2:GetSecurityGroupsForVpc; elasticloadbalancing:Describe*;
			// cloudwatch:ListMetrics, GetMetricStatistics, Describe*; autoscaling:Describe*.
			{"ec2:DescribeInstances", "*", nil, policy.Allowed, "ec2:Describe*"},
			{"ec2:GetSecurityGroupsForVpc", "arn:aws:ec2:us-east-1:" + acct + ":vpc/vpc-1", nil, policy.Allowed, "listed"},
			{"elasticloadbalancing:DescribeLoadBalancers", "*", nil, policy.Allowed, "second statement"},
			{"cloudwatch:GetMetricStatistics", "*", nil, policy.Allowed, "third statement"},
			{"autoscaling:DescribeAutoScalingGroups", "*", nil, policy.Allowed, "fourth statement"},
			{"ec2:RunInstances", "arn:aws:ec2:us-east-1:" + acct + ":instance/*", nil, policy.NotApplicable, "not listed"},
			{"ec2:TerminateInstances", "arn:aws:ec2:us-east-1:" + acct + ":instance/i-1", nil, policy.NotApplicable, "not listed"},
			{"ec2:GetConsoleOutput", "arn:aws:ec2:us-east-1:" + acct + ":instance/i-1", nil, policy.NotApplicable, "only GetSecurityGroupsForVpc of ec2:Get*"},
			{"cloudwatch:PutMetricData", "*", nil, policy.NotApplicable, "not listed"},
			{"s3:GetObject", "arn:aws:s3:::bucket/key", nil, policy.NotApplicable, "other service"},
		}},
		{[]string{"PowerUserAccess"}, []corpusCase{
			// Statement 1: NotAction iam:*, organizations:*, account:* on "*".
			{"s3:PutObject", "arn:aws:s3:::bucket/key", nil, policy.Allowed, "NotAction"},
			{"ec2:RunInstances", "*", nil, policy.Allowed, "NotAction"},
			{"sts:AssumeRole", "arn:aws:iam::" + acct + ":role/R", nil, policy.Allowed, "sts is not excluded"},
			// Statement 2: the few IAM, account and organizations actions it gives back.
			{"iam:CreateServiceLinkedRole", "arn:aws:iam::" + acct + ":role/aws-service-role/x", nil, policy.Allowed, "statement 2"},
			{"iam:ListRoles", "*", nil, policy.Allowed, "statement 2"},
			{"organizations:DescribeOrganization", "*", nil, policy.Allowed, "statement 2"},
			{"account:GetAccountInformation", "*", nil, policy.Allowed, "statement 2"},
			{"iam:CreateUser", "arn:aws:iam::" + acct + ":user/u", nil, policy.NotApplicable, "excluded"},
			{"IAM:createuser", "arn:aws:iam::" + acct + ":user/u", nil, policy.NotApplicable, "NotAction is case-insensitive"},
			{"iam:PassRole", "arn:aws:iam::" + acct + ":role/R", nil, policy.NotApplicable, "excluded"},
			{"iam:AttachRolePolicy", "arn:aws:iam::" + acct + ":role/R", nil, policy.NotApplicable, "excluded"},
			{"organizations:LeaveOrganization", "*", nil, policy.NotApplicable, "excluded"},
			{"account:PutAlternateContact", "*", nil, policy.NotApplicable, "excluded"},
		}},
		{[]string{"IAMUserChangePassword"}, []corpusCase{
			// iam:ChangePassword on arn:aws:iam::*:user/${aws:username} and
			// arn:aws:iam::*:user/*/${aws:username}; GetAccountPasswordPolicy on "*".
			{"iam:ChangePassword", "arn:aws:iam::" + acct + ":user/alice", map[string]any{"aws:username": "alice"}, policy.Allowed, "own user"},
			{"iam:ChangePassword", "arn:aws:iam::" + acct + ":user/division/alice", map[string]any{"aws:username": "alice"}, policy.Allowed, "own user with a path"},
			{"iam:ChangePassword", "arn:aws:iam::" + acct + ":user/bob", map[string]any{"aws:username": "alice"}, policy.NotApplicable, "another user"},
			{"iam:ChangePassword", "arn:aws:iam::" + acct + ":user/alice", nil, policy.NotApplicable, "no aws:username (a role session): unresolvable"},
			{"iam:GetAccountPasswordPolicy", "*", nil, policy.Allowed, "second statement"},
			{"iam:UpdateLoginProfile", "arn:aws:iam::" + acct + ":user/alice", map[string]any{"aws:username": "alice"}, policy.NotApplicable, "not listed"},
		}},
		{[]string{"AWSCertificateManagerPrivateCAUser"}, []corpusCase{
			// Allow acm-pca:IssueCertificate on certificate-authority/* with
			// ArnLike acm-pca:TemplateArn arn:aws:acm-pca:*:*:template/EndEntityCertificate/V*;
			// Deny the same with ArnNotLike.
			{"acm-pca:IssueCertificate", "arn:aws:acm-pca:us-east-1:" + acct + ":certificate-authority/ca-1",
				map[string]any{"acm-pca:TemplateArn": "arn:aws:acm-pca:::template/EndEntityCertificate/V1"}, policy.Allowed, "end-entity template; '*' matches empty region and account"},
			{"acm-pca:IssueCertificate", "arn:aws:acm-pca:us-east-1:" + acct + ":certificate-authority/ca-1",
				map[string]any{"acm-pca:TemplateArn": "arn:aws:acm-pca:::template/SubordinateCACertificate_PathLen0/V1"}, policy.Denied, "CA template: ArnNotLike Deny"},
			{"acm-pca:IssueCertificate", "arn:aws:acm-pca:us-east-1:" + acct + ":certificate-authority/ca-1",
				nil, policy.Denied, "template missing: ArnNotLike on a missing key is true"},
			{"acm-pca:RevokeCertificate", "arn:aws:acm-pca:us-east-1:" + acct + ":certificate-authority/ca-1", nil, policy.Allowed, "third statement"},
			{"acm-pca:RevokeCertificate", "arn:aws:acm-pca:us-east-1:" + acct + ":other/ca-1", nil, policy.NotApplicable, "resource type differs"},
			{"acm-pca:ListCertificateAuthorities", "*", nil, policy.Allowed, "fourth statement"},
			{"acm-pca:DeleteCertificateAuthority", "arn:aws:acm-pca:us-east-1:" + acct + ":certificate-authority/ca-1", nil, policy.NotApplicable, "not listed"},
		}},
		{[]string{"AmazonConnectReadOnlyAccess"}, []corpusCase{
			// Allow connect:Get*/Describe*/List*; Deny connect:AdminGetEmergencyAccessToken.
			{"connect:DescribeInstance", "arn:aws:connect:us-east-1:" + acct + ":instance/i", nil, policy.Allowed, "connect:Describe*"},
			{"connect:AdminGetEmergencyAccessToken", "*", nil, policy.Denied, "explicit Deny"},
			{"connect:CreateInstance", "*", nil, policy.NotApplicable, "not listed"},
		}},
	}
	for _, tc := range tests {
		var entries []policy.Entry
		for _, n := range tc.policies {
			e, ok := m[n]
			if !ok {
				t.Fatalf("managed policy %s not in the corpus", n)
			}
			entries = append(entries, policy.Entry{ID: "arn:aws:iam::aws:policy/" + n, Policy: corpusParse(t, n, e)})
		}
		set := policy.NewSet(entries...)
		for _, c := range tc.cases {
			ctx := policy.NewContext()
			for k, v := range c.ctx {
				ctx.Set(k, v.(string))
			}
			var res policy.Result
			d := set.Evaluate(&policy.Request{Action: c.action, Resource: c.resource, Context: ctx}, &res)
			if d != c.want {
				t.Errorf("%v: %s on %s with %v: %v, want %v (%s)", tc.policies, c.action, c.resource, c.ctx, d, c.want, c.why)
			}
			if ex := set.Explain(&policy.Request{Action: c.action, Resource: c.resource, Context: ctx}); ex.Decision != d {
				t.Errorf("%v: %s: Explain says %v, Evaluate %v", tc.policies, c.action, ex.Decision, d)
			}
		}
	}
}
