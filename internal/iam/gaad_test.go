package iam_test

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/internal/testenv"
)

const (
	polPowerARN = "arn:aws:iam::aws:policy/PowerUserAccess"
	polDocIAM   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}]}`
)

// polMust fails the test on err.
func polMust(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// polGAADWorld builds an account with one user, group, role and instance
// profile, two customer managed policies and two AWS managed policies in
// use; it returns the ARN of the customer managed policy in use.
func polGAADWorld(t *testing.T, c *iam.Client) string {
	t.Helper()
	ctx := context.Background()
	pARN := polCreate(t, c, "shared", polDocS3)
	_, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(pARN), PolicyDocument: aws.String(polDocEC2), SetAsDefault: true})
	polMust(t, "CreatePolicyVersion", err)
	polCreate(t, c, "lonely", polDocIAM)

	_, err = c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice"), Path: aws.String("/eng/"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("eng")}}})
	polMust(t, "CreateUser", err)
	_, err = c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("ui"), PolicyDocument: aws.String(polDocIAM)})
	polMust(t, "PutUserPolicy", err)
	_, err = c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String(pARN)})
	polMust(t, "AttachUserPolicy", err)
	_, err = c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("alice"), PermissionsBoundary: aws.String(polPowerARN)})
	polMust(t, "PutUserPermissionsBoundary", err)

	_, err = c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")})
	polMust(t, "CreateGroup", err)
	_, err = c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("alice")})
	polMust(t, "AddUserToGroup", err)
	_, err = c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("gi"), PolicyDocument: aws.String(polDocEC2)})
	polMust(t, "PutGroupPolicy", err)
	_, err = c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("devs"), PolicyArn: aws.String(polReadARN)})
	polMust(t, "AttachGroupPolicy", err)

	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(trustB), Tags: []types.Tag{{Key: aws.String("tier"), Value: aws.String("web")}}})
	polMust(t, "CreateRole", err)
	_, err = c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("ri"), PolicyDocument: aws.String(polDocS3)})
	polMust(t, "PutRolePolicy", err)
	_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String(pARN)})
	polMust(t, "AttachRolePolicy", err)
	_, err = c.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("app"), PermissionsBoundary: aws.String(pARN)})
	polMust(t, "PutRolePermissionsBoundary", err)
	_, err = c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("app-ip")})
	polMust(t, "CreateInstanceProfile", err)
	_, err = c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("app-ip"), RoleName: aws.String("app")})
	polMust(t, "AddRoleToInstanceProfile", err)
	return pARN
}

// polGAADAll collects every page of GetAccountAuthorizationDetails.
func polGAADAll(t *testing.T, c *iam.Client, in *iam.GetAccountAuthorizationDetailsInput) (*iam.GetAccountAuthorizationDetailsOutput, int) {
	t.Helper()
	all := &iam.GetAccountAuthorizationDetailsOutput{}
	pages := 0
	pg := iam.NewGetAccountAuthorizationDetailsPaginator(c, in)
	for pg.HasMorePages() {
		out, err := pg.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		all.UserDetailList = append(all.UserDetailList, out.UserDetailList...)
		all.GroupDetailList = append(all.GroupDetailList, out.GroupDetailList...)
		all.RoleDetailList = append(all.RoleDetailList, out.RoleDetailList...)
		all.Policies = append(all.Policies, out.Policies...)
	}
	return all, pages
}

// polAttachedNames renders attached policies as sorted names.
func polAttachedNames(list []types.AttachedPolicy) string {
	var names []string
	for _, a := range list {
		names = append(names, aws.ToString(a.PolicyName)+"@"+aws.ToString(a.PolicyArn))
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

func TestGetAccountAuthorizationDetails(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	pARN := polGAADWorld(t, c)

	out, err := c.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if out.IsTruncated || len(out.UserDetailList) != 1 || len(out.GroupDetailList) != 1 || len(out.RoleDetailList) != 1 {
		t.Fatalf("GAAD: truncated %v, %d users, %d groups, %d roles", out.IsTruncated, len(out.UserDetailList), len(out.GroupDetailList), len(out.RoleDetailList))
	}

	u := out.UserDetailList[0]
	if aws.ToString(u.UserName) != "alice" || aws.ToString(u.Path) != "/eng/" || aws.ToString(u.Arn) != "arn:aws:iam::111111111111:user/eng/alice" ||
		!strings.HasPrefix(aws.ToString(u.UserId), "AIDA") || u.CreateDate == nil {
		t.Errorf("user = %+v", u)
	}
	if len(u.UserPolicyList) != 1 || aws.ToString(u.UserPolicyList[0].PolicyName) != "ui" || polDecode(t, u.UserPolicyList[0].PolicyDocument) != polDocIAM {
		t.Errorf("user inline policies = %+v", u.UserPolicyList)
	}
	if strings.Join(u.GroupList, ",") != "devs" {
		t.Errorf("user groups = %v", u.GroupList)
	}
	if got := polAttachedNames(u.AttachedManagedPolicies); got != "shared@"+pARN {
		t.Errorf("user attached = %s", got)
	}
	if u.PermissionsBoundary == nil || aws.ToString(u.PermissionsBoundary.PermissionsBoundaryArn) != polPowerARN ||
		u.PermissionsBoundary.PermissionsBoundaryType != types.PermissionsBoundaryAttachmentTypePolicy {
		t.Errorf("user boundary = %+v", u.PermissionsBoundary)
	}
	if len(u.Tags) != 1 || aws.ToString(u.Tags[0].Key) != "team" {
		t.Errorf("user tags = %+v", u.Tags)
	}

	g := out.GroupDetailList[0]
	if aws.ToString(g.GroupName) != "devs" || !strings.HasPrefix(aws.ToString(g.GroupId), "AGPA") || aws.ToString(g.Arn) != "arn:aws:iam::111111111111:group/devs" {
		t.Errorf("group = %+v", g)
	}
	if len(g.GroupPolicyList) != 1 || aws.ToString(g.GroupPolicyList[0].PolicyName) != "gi" || polDecode(t, g.GroupPolicyList[0].PolicyDocument) != polDocEC2 {
		t.Errorf("group inline policies = %+v", g.GroupPolicyList)
	}
	if got := polAttachedNames(g.AttachedManagedPolicies); got != "ReadOnlyAccess@"+polReadARN {
		t.Errorf("group attached = %s", got)
	}

	r := out.RoleDetailList[0]
	if aws.ToString(r.RoleName) != "app" || !strings.HasPrefix(aws.ToString(r.RoleId), "AROA") || polDecode(t, r.AssumeRolePolicyDocument) != trustB || r.RoleLastUsed == nil {
		t.Errorf("role = %+v", r)
	}
	if len(r.RolePolicyList) != 1 || aws.ToString(r.RolePolicyList[0].PolicyName) != "ri" || polDecode(t, r.RolePolicyList[0].PolicyDocument) != polDocS3 {
		t.Errorf("role inline policies = %+v", r.RolePolicyList)
	}
	if got := polAttachedNames(r.AttachedManagedPolicies); got != "shared@"+pARN {
		t.Errorf("role attached = %s", got)
	}
	if r.PermissionsBoundary == nil || aws.ToString(r.PermissionsBoundary.PermissionsBoundaryArn) != pARN {
		t.Errorf("role boundary = %+v", r.PermissionsBoundary)
	}
	if len(r.Tags) != 1 || aws.ToString(r.Tags[0].Value) != "web" {
		t.Errorf("role tags = %+v", r.Tags)
	}
	if len(r.InstanceProfileList) != 1 || aws.ToString(r.InstanceProfileList[0].InstanceProfileName) != "app-ip" ||
		len(r.InstanceProfileList[0].Roles) != 1 || aws.ToString(r.InstanceProfileList[0].Roles[0].RoleName) != "app" {
		t.Errorf("role instance profiles = %+v", r.InstanceProfileList)
	}

	// Policies: both customer managed ones, and only the AWS managed ones
	// in use (attached to the group, the user's boundary).
	byARN := map[string]types.ManagedPolicyDetail{}
	for _, p := range out.Policies {
		byARN[aws.ToString(p.Arn)] = p
	}
	lonely := "arn:aws:iam::111111111111:policy/lonely"
	if len(byARN) != 4 || byARN[pARN].Arn == nil || byARN[lonely].Arn == nil || byARN[polReadARN].Arn == nil || byARN[polPowerARN].Arn == nil {
		var arns []string
		for a := range byARN {
			arns = append(arns, a)
		}
		t.Fatalf("policies = %v", arns)
	}
	sp := byARN[pARN]
	if aws.ToString(sp.DefaultVersionId) != "v2" || aws.ToInt32(sp.AttachmentCount) != 2 || aws.ToInt32(sp.PermissionsBoundaryUsageCount) != 1 ||
		!sp.IsAttachable || !strings.HasPrefix(aws.ToString(sp.PolicyId), "ANPA") || len(sp.PolicyVersionList) != 2 {
		t.Fatalf("shared policy detail = %+v", sp)
	}
	for _, v := range sp.PolicyVersionList {
		want := map[string]string{"v1": polDocS3, "v2": polDocEC2}[aws.ToString(v.VersionId)]
		if polDecode(t, v.Document) != want || v.IsDefaultVersion != (aws.ToString(v.VersionId) == "v2") {
			t.Errorf("version %s: default %v, document %q", aws.ToString(v.VersionId), v.IsDefaultVersion, polDecode(t, v.Document))
		}
	}
	if ro := byARN[polReadARN]; aws.ToInt32(ro.AttachmentCount) != 1 || len(ro.PolicyVersionList) != 1 || !ro.PolicyVersionList[0].IsDefaultVersion || ro.PolicyVersionList[0].Document == nil {
		t.Errorf("ReadOnlyAccess detail = %+v", ro)
	}
	if pu := byARN[polPowerARN]; aws.ToInt32(pu.PermissionsBoundaryUsageCount) != 1 || aws.ToInt32(pu.AttachmentCount) != 0 {
		t.Errorf("PowerUserAccess detail = %+v", pu)
	}

	// Filters.
	for _, tc := range []struct {
		filter                         []types.EntityType
		users, groups, roles, policies int
	}{
		{[]types.EntityType{types.EntityTypeRole}, 0, 0, 1, 0},
		{[]types.EntityType{types.EntityTypeUser, types.EntityTypeGroup}, 1, 1, 0, 0},
		{[]types.EntityType{types.EntityTypeLocalManagedPolicy}, 0, 0, 0, 2},
		{[]types.EntityType{types.EntityTypeAWSManagedPolicy}, 0, 0, 0, 2},
	} {
		got, _ := polGAADAll(t, c, &iam.GetAccountAuthorizationDetailsInput{Filter: tc.filter})
		if len(got.UserDetailList) != tc.users || len(got.GroupDetailList) != tc.groups || len(got.RoleDetailList) != tc.roles || len(got.Policies) != tc.policies {
			t.Errorf("Filter %v: %d users, %d groups, %d roles, %d policies", tc.filter, len(got.UserDetailList), len(got.GroupDetailList), len(got.RoleDetailList), len(got.Policies))
		}
	}
	aws1, _ := polGAADAll(t, c, &iam.GetAccountAuthorizationDetailsInput{Filter: []types.EntityType{types.EntityTypeAWSManagedPolicy}})
	for _, p := range aws1.Policies {
		if !strings.HasPrefix(aws.ToString(p.Arn), "arn:aws:iam::aws:policy/") {
			t.Errorf("AWSManagedPolicy filter returned %s", aws.ToString(p.Arn))
		}
	}
	_, err = c.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{Filter: []types.EntityType{"Nope"}})
	polCheckErr(t, "bad filter", err, "ValidationError", "")

	// One item per page: the same content, across a restart.
	env.Restart()
	c = env.RootIAM(testenv.AccountA)
	paged, pages := polGAADAll(t, c, &iam.GetAccountAuthorizationDetailsInput{MaxItems: aws.Int32(1)})
	if pages != 7 || len(paged.UserDetailList) != 1 || len(paged.GroupDetailList) != 1 || len(paged.RoleDetailList) != 1 || len(paged.Policies) != 4 {
		t.Fatalf("paged GAAD: %d pages, %d users, %d groups, %d roles, %d policies", pages, len(paged.UserDetailList), len(paged.GroupDetailList), len(paged.RoleDetailList), len(paged.Policies))
	}

	// Account B's view holds none of account A's entities.
	b, err := env.RootIAM(testenv.AccountB).GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{})
	if err != nil || len(b.UserDetailList)+len(b.GroupDetailList)+len(b.RoleDetailList)+len(b.Policies) != 0 {
		t.Fatalf("account B: %+v, %v", b, err)
	}
}

func TestListEntitiesForPolicyUsersAndGroups(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	pARN := polGAADWorld(t, c)

	out, err := c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(pARN)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.PolicyUsers) != 1 || aws.ToString(out.PolicyUsers[0].UserName) != "alice" || !strings.HasPrefix(aws.ToString(out.PolicyUsers[0].UserId), "AIDA") ||
		len(out.PolicyRoles) != 1 || len(out.PolicyGroups) != 0 {
		t.Fatalf("entities of shared = %+v", out)
	}
	out, err = c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(polReadARN), EntityFilter: types.EntityTypeGroup})
	if err != nil || len(out.PolicyGroups) != 1 || aws.ToString(out.PolicyGroups[0].GroupName) != "devs" || len(out.PolicyUsers)+len(out.PolicyRoles) != 0 {
		t.Fatalf("groups of ReadOnlyAccess = %+v, %v", out, err)
	}
	out, err = c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(polPowerARN), PolicyUsageFilter: types.PolicyUsageTypePermissionsBoundary})
	if err != nil || len(out.PolicyUsers) != 1 {
		t.Fatalf("boundary users of PowerUserAccess = %+v, %v", out, err)
	}
	out, err = c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(pARN), PathPrefix: aws.String("/eng/")})
	if err != nil || len(out.PolicyUsers) != 1 || len(out.PolicyRoles) != 0 {
		t.Fatalf("PathPrefix /eng/ = %+v, %v", out, err)
	}
	_, err = c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String("arn:aws:iam::111111111111:policy/nope")})
	polCheckErr(t, "entities of a missing policy", err, "NoSuchEntity", "")

	// Attachment counts include users and groups.
	if got := polGet(t, c, polReadARN); aws.ToInt32(got.AttachmentCount) != 1 {
		t.Fatalf("ReadOnlyAccess attachment count = %d", aws.ToInt32(got.AttachmentCount))
	}
	if got := polGet(t, c, pARN); aws.ToInt32(got.AttachmentCount) != 2 || aws.ToInt32(got.PermissionsBoundaryUsageCount) != 1 {
		t.Fatalf("shared counts = %d, %d", aws.ToInt32(got.AttachmentCount), aws.ToInt32(got.PermissionsBoundaryUsageCount))
	}
}
