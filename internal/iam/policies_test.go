package iam_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/assumed-dev/assumed/internal/testenv"
)

const (
	polDocS3   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	polDocEC2  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}]}`
	polReadARN = "arn:aws:iam::aws:policy/ReadOnlyAccess"
)

// polMessage returns the AWS error message of err, or "".
func polMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return testenv.WithoutEncodedMessage(ae.ErrorMessage())
	}
	return ""
}

// polCreate creates a customer managed policy and returns its ARN.
func polCreate(t *testing.T, c *iam.Client, name, doc string) string {
	t.Helper()
	out, err := c.CreatePolicy(context.Background(), &iam.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: aws.String(doc)})
	if err != nil {
		t.Fatalf("CreatePolicy %s: %v", name, err)
	}
	return aws.ToString(out.Policy.Arn)
}

// polCreateRole creates a role trusting account B.
func polCreateRole(t *testing.T, c *iam.Client, name string) {
	t.Helper()
	if _, err := c.CreateRole(context.Background(), &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trustB)}); err != nil {
		t.Fatalf("CreateRole %s: %v", name, err)
	}
}

// polGet returns a policy, failing the test on error.
func polGet(t *testing.T, c *iam.Client, policyARN string) *types.Policy {
	t.Helper()
	out, err := c.GetPolicy(context.Background(), &iam.GetPolicyInput{PolicyArn: aws.String(policyARN)})
	if err != nil {
		t.Fatalf("GetPolicy %s: %v", policyARN, err)
	}
	return out.Policy
}

// polDecode URL-decodes a policy document as IAM returns it.
func polDecode(t *testing.T, s *string) string {
	t.Helper()
	doc, err := url.QueryUnescape(aws.ToString(s))
	if err != nil {
		t.Fatalf("decode document %q: %v", aws.ToString(s), err)
	}
	return doc
}

// polCheckErr compares an error's code and, when msg is set, its message
// (AWS's text, which ours may follow with details in brackets).
func polCheckErr(t *testing.T, name string, err error, code, msg string) {
	t.Helper()
	if apiCode(err) != code {
		t.Errorf("%s: err = %v, want %s", name, err, code)
		return
	}
	if got := polMessage(err); msg != "" && got != msg && !strings.HasPrefix(got, msg+" [") {
		t.Errorf("%s: message = %q, want %q", name, polMessage(err), msg)
	}
}

func TestPolicyLifecycle(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)

	out, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{
		PolicyName: aws.String("reader"), Path: aws.String("/team/"), PolicyDocument: aws.String(polDocS3),
		Description: aws.String("reads"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("x")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := out.Policy
	const wantARN = "arn:aws:iam::111111111111:policy/team/reader"
	if aws.ToString(p.Arn) != wantARN || !strings.HasPrefix(aws.ToString(p.PolicyId), "ANPA") || len(aws.ToString(p.PolicyId)) != 21 ||
		aws.ToString(p.DefaultVersionId) != "v1" || aws.ToInt32(p.AttachmentCount) != 0 || !p.IsAttachable ||
		aws.ToString(p.Path) != "/team/" || aws.ToString(p.PolicyName) != "reader" || p.CreateDate == nil || len(p.Tags) != 1 {
		t.Fatalf("CreatePolicy = %+v", p)
	}

	got := polGet(t, c, wantARN)
	if aws.ToString(got.PolicyId) != aws.ToString(p.PolicyId) || aws.ToString(got.Description) != "reads" || len(got.Tags) != 1 ||
		aws.ToString(got.DefaultVersionId) != "v1" || !got.IsAttachable || aws.ToInt32(got.PermissionsBoundaryUsageCount) != 0 {
		t.Fatalf("GetPolicy = %+v", got)
	}
	v, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(wantARN), VersionId: aws.String("v1")})
	if err != nil || polDecode(t, v.PolicyVersion.Document) != polDocS3 || !v.PolicyVersion.IsDefaultVersion {
		t.Fatalf("GetPolicyVersion = %+v, %v", v, err)
	}

	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + strings.Repeat("b", 6200) + `"}]}`
	for _, tc := range []struct {
		name      string
		call      func() error
		code, msg string
	}{
		{"duplicate name, other case and path", func() error {
			_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("READER"), PolicyDocument: aws.String(polDocS3)})
			return err
		}, "EntityAlreadyExists", "A policy called READER already exists. Duplicate names are not allowed."},
		{"bad name", func() error {
			_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("a b"), PolicyDocument: aws.String(polDocS3)})
			return err
		}, "ValidationError", ""},
		{"name too long", func() error {
			_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(strings.Repeat("n", 129)), PolicyDocument: aws.String(polDocS3)})
			return err
		}, "ValidationError", ""},
		{"bad path", func() error {
			_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("x"), Path: aws.String("team"), PolicyDocument: aws.String(polDocS3)})
			return err
		}, "ValidationError", ""},
		{"old version", func() error {
			_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("x"), PolicyDocument: aws.String(strings.Replace(polDocS3, "2012-10-17", "2008-10-17", 1))})
			return err
		}, "MalformedPolicyDocument", "Policy document must be version 2012-10-17 or greater."},
		{"no version", func() error {
			_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("x"), PolicyDocument: aws.String(`{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)})
			return err
		}, "MalformedPolicyDocument", "Policy document must be version 2012-10-17 or greater."},
		{"principal in an identity policy", func() error {
			_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("x"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`)})
			return err
		}, "MalformedPolicyDocument", ""},
		{"too large", func() error {
			_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("x"), PolicyDocument: aws.String(big)})
			return err
		}, "LimitExceeded", "Cannot exceed quota for PolicySize: 6144"},
		{"reserved tag key", func() error {
			_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("x"), PolicyDocument: aws.String(polDocS3), Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("y")}}})
			return err
		}, "InvalidInput", ""},
		{"missing policy", func() error {
			_, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::111111111111:policy/nope")})
			return err
		}, "NoSuchEntity", "Policy arn:aws:iam::111111111111:policy/nope was not found."},
		{"not a policy ARN", func() error {
			_, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::111111111111:role/reader")})
			return err
		}, "InvalidInput", "ARN arn:aws:iam::111111111111:role/reader is not valid."},
		{"an ARN inside an ARN", func() error {
			_, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/arn:aws:iam::aws:policy/SecurityAudit")})
			return err
		}, "InvalidInput", ""},
		{"ARN too short", func() error {
			_, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::1")})
			return err
		}, "ValidationError", ""},
		{"another account's policy", func() error {
			_, err := env.RootIAM(testenv.AccountB).GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(wantARN)})
			return err
		}, "AccessDenied", ""},
		{"another account deletes", func() error {
			_, err := env.RootIAM(testenv.AccountB).DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(wantARN)})
			return err
		}, "AccessDenied", ""},
		{"delete a missing policy", func() error {
			_, err := c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String("arn:aws:iam::111111111111:policy/nope")})
			return err
		}, "NoSuchEntity", ""},
	} {
		polCheckErr(t, tc.name, tc.call(), tc.code, tc.msg)
	}

	// The same name is free in another account.
	polCreate(t, env.RootIAM(testenv.AccountB), "reader", polDocS3)

	// Everything survives a restart.
	env.Restart()
	c = env.RootIAM(testenv.AccountA)
	got = polGet(t, c, wantARN)
	if aws.ToString(got.PolicyId) != aws.ToString(p.PolicyId) || aws.ToString(got.Description) != "reads" || len(got.Tags) != 1 || !got.CreateDate.Equal(*p.CreateDate) {
		t.Fatalf("after restart: %+v", got)
	}
	v, err = c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(wantARN), VersionId: aws.String("v1")})
	if err != nil || polDecode(t, v.PolicyVersion.Document) != polDocS3 {
		t.Fatalf("version after restart: %+v, %v", v, err)
	}

	if _, err := c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(wantARN)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(wantARN)})
	polCheckErr(t, "get after delete", err, "NoSuchEntity", "")
	env.Restart()
	_, err = env.RootIAM(testenv.AccountA).GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(wantARN)})
	polCheckErr(t, "get after delete and restart", err, "NoSuchEntity", "")
	// The name can be used again.
	polCreate(t, env.RootIAM(testenv.AccountA), "reader", polDocEC2)
}

func TestPolicyVersions(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	pARN := polCreate(t, c, "versioned", polDocS3)
	created := polGet(t, c, pARN)

	v2, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(pARN), PolicyDocument: aws.String(polDocEC2)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(v2.PolicyVersion.VersionId) != "v2" || v2.PolicyVersion.IsDefaultVersion || v2.PolicyVersion.Document != nil {
		t.Fatalf("CreatePolicyVersion = %+v", v2.PolicyVersion)
	}
	if got := polGet(t, c, pARN); aws.ToString(got.DefaultVersionId) != "v1" {
		t.Fatalf("default after a non-default version: %s", aws.ToString(got.DefaultVersionId))
	}
	gv, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(pARN), VersionId: aws.String("v2")})
	if err != nil || polDecode(t, gv.PolicyVersion.Document) != polDocEC2 || gv.PolicyVersion.IsDefaultVersion {
		t.Fatalf("GetPolicyVersion v2 = %+v, %v", gv, err)
	}

	// Setting the default changes what GetPolicy reports.
	if _, err := c.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(pARN), VersionId: aws.String("v2")}); err != nil {
		t.Fatal(err)
	}
	got := polGet(t, c, pARN)
	if aws.ToString(got.DefaultVersionId) != "v2" || got.UpdateDate.Before(*created.UpdateDate) || !got.CreateDate.Equal(*created.CreateDate) {
		t.Fatalf("after SetDefaultPolicyVersion: %+v", got)
	}
	gv, err = c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(pARN), VersionId: aws.String("v1")})
	if err != nil || gv.PolicyVersion.IsDefaultVersion {
		t.Fatalf("v1 after the default moved: %+v, %v", gv, err)
	}

	// SetAsDefault on creation; up to five versions.
	v3, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(pARN), PolicyDocument: aws.String(polDocS3), SetAsDefault: true})
	if err != nil || aws.ToString(v3.PolicyVersion.VersionId) != "v3" || !v3.PolicyVersion.IsDefaultVersion {
		t.Fatalf("CreatePolicyVersion v3 = %+v, %v", v3, err)
	}
	if got := polGet(t, c, pARN); aws.ToString(got.DefaultVersionId) != "v3" {
		t.Fatalf("default after SetAsDefault: %s", aws.ToString(got.DefaultVersionId))
	}
	for range 2 {
		if _, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(pARN), PolicyDocument: aws.String(polDocS3)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(pARN), PolicyDocument: aws.String(polDocS3)})
	polCheckErr(t, "sixth version", err, "LimitExceeded", "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.")

	lv, err := c.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(pARN)})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, v := range lv.Versions {
		id := aws.ToString(v.VersionId)
		if v.IsDefaultVersion {
			id += "*"
		}
		if v.Document != nil {
			t.Errorf("ListPolicyVersions returned a document for %s", id)
		}
		ids = append(ids, id)
	}
	if strings.Join(ids, ",") != "v5,v4,v3*,v2,v1" {
		t.Fatalf("ListPolicyVersions = %v", ids)
	}

	for _, tc := range []struct {
		name      string
		call      func() error
		code, msg string
	}{
		{"delete the default version", func() error {
			_, err := c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(pARN), VersionId: aws.String("v3")})
			return err
		}, "DeleteConflict", "Cannot delete the default version of a policy."},
		{"delete a policy with versions", func() error {
			_, err := c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(pARN)})
			return err
		}, "DeleteConflict", "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy."},
		{"get a missing version", func() error {
			_, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(pARN), VersionId: aws.String("v9")})
			return err
		}, "NoSuchEntity", "Policy " + pARN + " version v9 does not exist or is not attachable."},
		{"set a missing version as default", func() error {
			_, err := c.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(pARN), VersionId: aws.String("v9")})
			return err
		}, "NoSuchEntity", ""},
		{"delete a missing version", func() error {
			_, err := c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(pARN), VersionId: aws.String("v9")})
			return err
		}, "NoSuchEntity", ""},
		{"bad version ID", func() error {
			_, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(pARN), VersionId: aws.String("1")})
			return err
		}, "ValidationError", ""},
		{"version of an old document", func() error {
			_, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(pARN), PolicyDocument: aws.String(`{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)})
			return err
		}, "MalformedPolicyDocument", "Policy document must be version 2012-10-17 or greater."},
		{"version of a missing policy", func() error {
			_, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String("arn:aws:iam::111111111111:policy/nope"), PolicyDocument: aws.String(polDocS3)})
			return err
		}, "NoSuchEntity", ""},
	} {
		polCheckErr(t, tc.name, tc.call(), tc.code, tc.msg)
	}

	// Version IDs are never reused.
	if _, err := c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(pARN), VersionId: aws.String("v5")}); err != nil {
		t.Fatal(err)
	}
	v6, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(pARN), PolicyDocument: aws.String(polDocEC2)})
	if err != nil || aws.ToString(v6.PolicyVersion.VersionId) != "v6" {
		t.Fatalf("version after deleting v5 = %+v, %v", v6, err)
	}

	// Pagination, newest first, across a restart.
	env.Restart()
	c = env.RootIAM(testenv.AccountA)
	ids = nil
	pages := 0
	pg := iam.NewListPolicyVersionsPaginator(c, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(pARN), MaxItems: aws.Int32(2)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, v := range out.Versions {
			ids = append(ids, aws.ToString(v.VersionId))
		}
	}
	if strings.Join(ids, ",") != "v6,v4,v3,v2,v1" || pages != 3 {
		t.Fatalf("paginated versions %v in %d pages", ids, pages)
	}
	if got := polGet(t, c, pARN); aws.ToString(got.DefaultVersionId) != "v3" {
		t.Fatalf("default after restart: %s", aws.ToString(got.DefaultVersionId))
	}
	// The next version number survives a restart too.
	_, err = c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(pARN), PolicyDocument: aws.String(polDocEC2)})
	polCheckErr(t, "sixth version after restart", err, "LimitExceeded", "")
	if _, err := c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(pARN), VersionId: aws.String("v6")}); err != nil {
		t.Fatal(err)
	}
	v7, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(pARN), PolicyDocument: aws.String(polDocEC2)})
	if err != nil || aws.ToString(v7.PolicyVersion.VersionId) != "v7" {
		t.Fatalf("version after restart = %+v, %v", v7, err)
	}

	// Once only the default is left, the policy can be deleted.
	for _, id := range []string{"v1", "v2", "v4", "v7"} {
		if _, err := c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(pARN), VersionId: aws.String(id)}); err != nil {
			t.Fatalf("delete %s: %v", id, err)
		}
	}
	if _, err := c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(pARN)}); err != nil {
		t.Fatal(err)
	}
}

func TestPolicyAttachments(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	pARN := polCreate(t, c, "shared", polDocS3)
	for _, r := range []string{"r1", "r2", "r3"} {
		polCreateRole(t, c, r)
	}
	for _, r := range []string{"r1", "r2"} {
		if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(r), PolicyArn: aws.String(pARN)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("r3"), PermissionsBoundary: aws.String(pARN)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("r1"), PolicyArn: aws.String(polReadARN)}); err != nil {
		t.Fatal(err)
	}

	got := polGet(t, c, pARN)
	if aws.ToInt32(got.AttachmentCount) != 2 || aws.ToInt32(got.PermissionsBoundaryUsageCount) != 1 {
		t.Fatalf("counts = %d attachments, %d boundaries", aws.ToInt32(got.AttachmentCount), aws.ToInt32(got.PermissionsBoundaryUsageCount))
	}
	if got := polGet(t, c, polReadARN); aws.ToInt32(got.AttachmentCount) != 1 {
		t.Fatalf("AWS managed attachment count = %d", aws.ToInt32(got.AttachmentCount))
	}
	// Counts are per account.
	if got := polGet(t, env.RootIAM(testenv.AccountB), polReadARN); aws.ToInt32(got.AttachmentCount) != 0 {
		t.Fatalf("account B sees %d attachments of account A", aws.ToInt32(got.AttachmentCount))
	}

	_, err := c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(pARN)})
	polCheckErr(t, "delete an attached policy", err, "DeleteConflict", "Cannot delete a policy attached to entities.")

	roles := func(filter types.PolicyUsageType, entity types.EntityType) string {
		t.Helper()
		out, err := c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(pARN), PolicyUsageFilter: filter, EntityFilter: entity})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range out.PolicyRoles {
			if !strings.HasPrefix(aws.ToString(r.RoleId), "AROA") {
				t.Errorf("role %s has ID %s", aws.ToString(r.RoleName), aws.ToString(r.RoleId))
			}
			names = append(names, aws.ToString(r.RoleName))
		}
		return strings.Join(names, ",")
	}
	for _, tc := range []struct {
		filter types.PolicyUsageType
		entity types.EntityType
		want   string
	}{
		{"", "", "r1,r2,r3"},
		{types.PolicyUsageTypePermissionsPolicy, "", "r1,r2"},
		{types.PolicyUsageTypePermissionsBoundary, "", "r3"},
		{"", types.EntityTypeRole, "r1,r2,r3"},
		{"", types.EntityTypeUser, ""},
	} {
		if got := roles(tc.filter, tc.entity); got != tc.want {
			t.Errorf("ListEntitiesForPolicy(%q, %q) = %q, want %q", tc.filter, tc.entity, got, tc.want)
		}
	}
	// Pagination across entities.
	var names []string
	pg := iam.NewListEntitiesForPolicyPaginator(c, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(pARN), MaxItems: aws.Int32(1)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.PolicyRoles) > 1 {
			t.Fatalf("page of %d roles with MaxItems 1", len(out.PolicyRoles))
		}
		for _, r := range out.PolicyRoles {
			names = append(names, aws.ToString(r.RoleName))
		}
	}
	if strings.Join(names, ",") != "r1,r2,r3" {
		t.Fatalf("paginated entities: %v", names)
	}

	// ListPolicies: attached only, by usage.
	list := func(in *iam.ListPoliciesInput) []string {
		t.Helper()
		var arns []string
		pg := iam.NewListPoliciesPaginator(c, in)
		for pg.HasMorePages() {
			out, err := pg.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range out.Policies {
				arns = append(arns, aws.ToString(p.Arn))
			}
		}
		return arns
	}
	polCreate(t, c, "unused", polDocEC2)
	if got := list(&iam.ListPoliciesInput{OnlyAttached: true}); !slices.Equal(got, []string{polReadARN, pARN}) {
		t.Errorf("OnlyAttached = %v", got)
	}
	if got := list(&iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal, OnlyAttached: true}); !slices.Equal(got, []string{pARN}) {
		t.Errorf("Local, OnlyAttached = %v", got)
	}
	if got := list(&iam.ListPoliciesInput{Scope: types.PolicyScopeTypeAws, OnlyAttached: true}); !slices.Equal(got, []string{polReadARN}) {
		t.Errorf("AWS, OnlyAttached = %v", got)
	}
	if got := list(&iam.ListPoliciesInput{OnlyAttached: true, PolicyUsageFilter: types.PolicyUsageTypePermissionsBoundary}); !slices.Equal(got, []string{pARN}) {
		t.Errorf("boundaries = %v", got)
	}
	if got := list(&iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal}); len(got) != 2 {
		t.Errorf("Local = %v", got)
	}

	// Once detached everywhere, including as a boundary, it can go.
	for _, r := range []string{"r1", "r2"} {
		if _, err := c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(r), PolicyArn: aws.String(pARN)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(pARN)})
	polCheckErr(t, "delete a policy used as a boundary", err, "DeleteConflict", "Cannot delete a policy attached to entities.")
	if _, err := c.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String("r3")}); err != nil {
		t.Fatal(err)
	}
	if got := polGet(t, c, pARN); aws.ToInt32(got.AttachmentCount) != 0 || aws.ToInt32(got.PermissionsBoundaryUsageCount) != 0 {
		t.Fatalf("counts after detaching: %+v", got)
	}
	if _, err := c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(pARN)}); err != nil {
		t.Fatal(err)
	}
}

func TestAWSManagedPolicies(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)

	p := polGet(t, c, polReadARN)
	if aws.ToString(p.PolicyName) != "ReadOnlyAccess" || aws.ToString(p.Path) != "/" || !p.IsAttachable ||
		!strings.HasPrefix(aws.ToString(p.PolicyId), "ANPA") || aws.ToString(p.DefaultVersionId) == "" {
		t.Fatalf("GetPolicy(ReadOnlyAccess) = %+v", p)
	}
	v, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(polReadARN), VersionId: p.DefaultVersionId})
	if err != nil || !v.PolicyVersion.IsDefaultVersion {
		t.Fatalf("GetPolicyVersion = %+v, %v", v, err)
	}
	var doc struct{ Statement []any }
	if err := json.Unmarshal([]byte(polDecode(t, v.PolicyVersion.Document)), &doc); err != nil || len(doc.Statement) == 0 {
		t.Fatalf("document of ReadOnlyAccess: %v", err)
	}
	lv, err := c.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(polReadARN)})
	if err != nil || len(lv.Versions) != 1 || aws.ToString(lv.Versions[0].VersionId) != aws.ToString(p.DefaultVersionId) {
		t.Fatalf("ListPolicyVersions = %+v, %v", lv, err)
	}
	if tags, err := c.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: aws.String(polReadARN)}); err != nil || len(tags.Tags) != 0 {
		t.Fatalf("ListPolicyTags = %+v, %v", tags, err)
	}
	// A service-role path.
	if p := polGet(t, c, "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"); aws.ToString(p.Path) != "/service-role/" {
		t.Fatalf("AWSLambdaBasicExecutionRole path = %q", aws.ToString(p.Path))
	}

	// Listable with Scope=AWS, not with Scope=Local.
	local := polCreate(t, c, "ReadOnlyAccess", polDocS3) // same name as an AWS managed policy: allowed
	scope := func(s types.PolicyScopeType, prefix string) (n int, arns map[string]bool) {
		t.Helper()
		arns = map[string]bool{}
		in := &iam.ListPoliciesInput{Scope: s, MaxItems: aws.Int32(1000)}
		if prefix != "" {
			in.PathPrefix = aws.String(prefix)
		}
		pg := iam.NewListPoliciesPaginator(c, in)
		for pg.HasMorePages() {
			out, err := pg.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range out.Policies {
				if p.Description != nil || p.Tags != nil {
					t.Errorf("ListPolicies returned a description or tags for %s", aws.ToString(p.Arn))
				}
				arns[aws.ToString(p.Arn)] = true
				n++
			}
		}
		return n, arns
	}
	nAWS, awsARNs := scope(types.PolicyScopeTypeAws, "")
	if nAWS < 500 || !awsARNs[polReadARN] || awsARNs[local] || len(awsARNs) != nAWS {
		t.Fatalf("Scope=AWS: %d policies, ReadOnlyAccess %v, local %v", nAWS, awsARNs[polReadARN], awsARNs[local])
	}
	nLocal, localARNs := scope(types.PolicyScopeTypeLocal, "")
	if nLocal != 1 || !localARNs[local] {
		t.Fatalf("Scope=Local: %v", localARNs)
	}
	if nAll, _ := scope("", ""); nAll != nAWS+1 {
		t.Fatalf("Scope=All: %d policies, want %d", nAll, nAWS+1)
	}
	nService, serviceARNs := scope(types.PolicyScopeTypeAws, "/service-role/")
	if nService == 0 || nService >= nAWS || serviceARNs[polReadARN] || !serviceARNs["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"] {
		t.Fatalf("PathPrefix=/service-role/: %d policies", nService)
	}

	// AWS managed policies cannot be changed.
	for _, tc := range []struct {
		name string
		call func() error
		code string
	}{
		{"CreatePolicyVersion", func() error {
			_, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(polReadARN), PolicyDocument: aws.String(polDocS3)})
			return err
		}, "AccessDenied"},
		{"DeletePolicy", func() error {
			_, err := c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(polReadARN)})
			return err
		}, "AccessDenied"},
		{"DeletePolicyVersion", func() error {
			_, err := c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(polReadARN), VersionId: aws.String("v1")})
			return err
		}, "AccessDenied"},
		{"SetDefaultPolicyVersion", func() error {
			_, err := c.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(polReadARN), VersionId: aws.String("v1")})
			return err
		}, "AccessDenied"},
		{"TagPolicy", func() error {
			_, err := c.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String(polReadARN), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			return err
		}, "AccessDenied"},
		{"UntagPolicy", func() error {
			_, err := c.UntagPolicy(ctx, &iam.UntagPolicyInput{PolicyArn: aws.String(polReadARN), TagKeys: []string{"k"}})
			return err
		}, "AccessDenied"},
		{"missing AWS managed policy", func() error {
			_, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/NoSuchPolicyHere")})
			return err
		}, "NoSuchEntity"},
		{"bad scope", func() error {
			_, err := c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: "Everything"})
			return err
		}, "ValidationError"},
		{"bad usage filter", func() error {
			_, err := c.ListPolicies(ctx, &iam.ListPoliciesInput{PolicyUsageFilter: "Sometimes"})
			return err
		}, "ValidationError"},
	} {
		polCheckErr(t, tc.name, tc.call(), tc.code, "")
	}
	if p2 := polGet(t, c, polReadARN); aws.ToString(p2.DefaultVersionId) != aws.ToString(p.DefaultVersionId) {
		t.Fatalf("AWS managed policy changed: %+v", p2)
	}
}

func TestListPoliciesPagination(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	for _, n := range []string{"p3", "p1", "p5", "p2", "p4"} {
		in := &iam.CreatePolicyInput{PolicyName: aws.String(n), PolicyDocument: aws.String(polDocS3)}
		if n == "p2" || n == "p4" {
			in.Path = aws.String("/even/")
		}
		if _, err := c.CreatePolicy(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	collect := func(in *iam.ListPoliciesInput) (names []string, pages int) {
		t.Helper()
		pg := iam.NewListPoliciesPaginator(c, in)
		for pg.HasMorePages() {
			out, err := pg.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, p := range out.Policies {
				names = append(names, aws.ToString(p.PolicyName))
			}
		}
		return names, pages
	}
	if names, pages := collect(&iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal, MaxItems: aws.Int32(2)}); strings.Join(names, ",") != "p1,p2,p3,p4,p5" || pages != 3 {
		t.Fatalf("paginated %v in %d pages", names, pages)
	}
	if names, _ := collect(&iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal, PathPrefix: aws.String("/even/")}); strings.Join(names, ",") != "p2,p4" {
		t.Fatalf("PathPrefix /even/: %v", names)
	}
	_, err := c.ListPolicies(ctx, &iam.ListPoliciesInput{MaxItems: aws.Int32(0)})
	polCheckErr(t, "MaxItems 0", err, "ValidationError", "")
	// Account B sees none of A's.
	if out, err := env.RootIAM(testenv.AccountB).ListPolicies(ctx, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal}); err != nil || len(out.Policies) != 0 {
		t.Fatalf("account B lists %+v, %v", out, err)
	}
}

func TestPolicyTags(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	pARN := polCreate(t, c, "tagged", polDocS3)
	tag := func(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }
	if _, err := c.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String(pARN), Tags: []types.Tag{tag("b", "1"), tag("a", "2"), tag("c", "3")}}); err != nil {
		t.Fatal(err)
	}
	// Replacing a key is case-insensitive.
	if _, err := c.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String(pARN), Tags: []types.Tag{tag("B", "9")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagPolicy(ctx, &iam.UntagPolicyInput{PolicyArn: aws.String(pARN), TagKeys: []string{"c"}}); err != nil {
		t.Fatal(err)
	}
	env.Restart()
	c = env.RootIAM(testenv.AccountA)
	var got []string
	pg := iam.NewListPolicyTagsPaginator(c, &iam.ListPolicyTagsInput{PolicyArn: aws.String(pARN), MaxItems: aws.Int32(1)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, tg := range out.Tags {
			got = append(got, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
		}
	}
	if strings.Join(got, ",") != "B=9,a=2" {
		t.Fatalf("tags = %v", got)
	}
	if p := polGet(t, c, pARN); len(p.Tags) != 2 {
		t.Fatalf("GetPolicy tags = %+v", p.Tags)
	}
	_, err := c.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String(pARN), Tags: []types.Tag{tag("aws:x", "1")}})
	polCheckErr(t, "reserved key", err, "InvalidInput", "")
	_, err = c.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String("arn:aws:iam::111111111111:policy/nope"), Tags: []types.Tag{tag("k", "v")}})
	polCheckErr(t, "tag a missing policy", err, "NoSuchEntity", "")
	_, err = c.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: aws.String("arn:aws:iam::111111111111:policy/nope")})
	polCheckErr(t, "list tags of a missing policy", err, "NoSuchEntity", "")
}

func TestPolicyDefaultVersionDecides(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	v1 := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ListPolicies","iam:GetPolicy"],"Resource":"*"},` +
		`{"Effect":"Allow","Action":"iam:CreatePolicy","Resource":"arn:aws:iam::111111111111:policy/bob/*"}]}`
	v2 := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetPolicy","Resource":"*"}]}`
	pARN := polCreate(t, c, "ops", v1)
	_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")})
	polMust(t, "CreateUser", err)
	_, err = c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("bob"), PolicyArn: aws.String(pARN)})
	polMust(t, "AttachUserPolicy", err)
	key, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})
	polMust(t, "CreateAccessKey", err)
	bob := env.IAM(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey))

	if _, err := bob.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal}); err != nil {
		t.Fatalf("ListPolicies under v1: %v", err)
	}
	_, err = bob.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("mine"), PolicyDocument: aws.String(polDocS3)})
	polCheckErr(t, "CreatePolicy outside the allowed path", err, "AccessDenied", "User: arn:aws:iam::111111111111:user/bob is not authorized to perform: iam:CreatePolicy on resource: policy mine because no identity-based policy allows the iam:CreatePolicy action")
	if _, err := bob.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("mine"), Path: aws.String("/bob/"), PolicyDocument: aws.String(polDocS3)}); err != nil {
		t.Fatalf("CreatePolicy in the allowed path: %v", err)
	}
	_, err = bob.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(pARN)})
	polCheckErr(t, "DeletePolicy without permission", err, "AccessDenied", "")

	// A new version that is not the default changes nothing.
	_, err = c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(pARN), PolicyDocument: aws.String(v2)})
	polMust(t, "CreatePolicyVersion", err)
	if _, err := bob.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal}); err != nil {
		t.Fatalf("ListPolicies with v2 not default: %v", err)
	}
	// Made the default, v2 is what applies.
	_, err = c.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(pARN), VersionId: aws.String("v2")})
	polMust(t, "SetDefaultPolicyVersion", err)
	_, err = bob.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal})
	polCheckErr(t, "ListPolicies under v2", err, "AccessDenied", "")
	got, err := bob.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(pARN)})
	if err != nil || aws.ToString(got.Policy.DefaultVersionId) != "v2" || aws.ToInt32(got.Policy.AttachmentCount) != 1 {
		t.Fatalf("GetPolicy under v2 = %+v, %v", got, err)
	}
	// And it still does after a restart.
	env.Restart()
	bob = env.IAM(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey))
	_, err = bob.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal})
	polCheckErr(t, "ListPolicies under v2 after restart", err, "AccessDenied", "")
}
