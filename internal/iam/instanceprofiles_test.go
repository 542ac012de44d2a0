package iam_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/assumed-dev/assumed/internal/testenv"
)

const ipTrustEC2 = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// ipErr returns the AWS error code and message of err ("", "" for none).
func ipErr(err error) (code, message string) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode(), testenv.WithoutEncodedMessage(ae.ErrorMessage())
	}
	if err != nil {
		return "not an API error", err.Error()
	}
	return "", ""
}

// ipWant checks err's code and message.
func ipWant(t *testing.T, what string, err error, code, message string) {
	t.Helper()
	if c, m := ipErr(err); c != code || m != message {
		t.Errorf("%s: got %s %q, want %s %q", what, c, m, code, message)
	}
}

func ipCreateRole(t *testing.T, c *iam.Client, name string) {
	t.Helper()
	if _, err := c.CreateRole(context.Background(), &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(ipTrustEC2)}); err != nil {
		t.Fatalf("create role %s: %v", name, err)
	}
}

func ipCreate(t *testing.T, c *iam.Client, name, path string) *types.InstanceProfile {
	t.Helper()
	in := &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(name)}
	if path != "" {
		in.Path = aws.String(path)
	}
	out, err := c.CreateInstanceProfile(context.Background(), in)
	if err != nil {
		t.Fatalf("create instance profile %s: %v", name, err)
	}
	return out.InstanceProfile
}

// ipRoleNames lists the names of a profile's roles.
func ipRoleNames(p *types.InstanceProfile) string {
	var names []string
	for _, r := range p.Roles {
		names = append(names, aws.ToString(r.RoleName))
	}
	return strings.Join(names, ",")
}

func ipTags(tags []types.Tag) string {
	var parts []string
	for _, tg := range tags {
		parts = append(parts, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
	}
	return strings.Join(parts, ",")
}

func TestInstanceProfileLifecycle(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)

	out, err := c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{
		InstanceProfileName: aws.String("web"), Path: aws.String("/app/"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("x")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ip := out.InstanceProfile
	id := aws.ToString(ip.InstanceProfileId)
	if aws.ToString(ip.Arn) != "arn:aws:iam::111111111111:instance-profile/app/web" || aws.ToString(ip.Path) != "/app/" ||
		!strings.HasPrefix(id, "AIPA") || len(id) != 21 || len(ip.Roles) != 0 || ipTags(ip.Tags) != "team=x" || ip.CreateDate == nil {
		t.Fatalf("CreateInstanceProfile = %+v", ip)
	}

	ipCreateRole(t, c, "web-role")
	ipCreateRole(t, c, "other-role")
	if _, err := c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("WEB"), RoleName: aws.String("Web-Role")}); err != nil {
		t.Fatal(err)
	}
	get := func(stage string) *types.InstanceProfile {
		t.Helper()
		g, err := c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("web")})
		if err != nil {
			t.Fatalf("%s: %v", stage, err)
		}
		if aws.ToString(g.InstanceProfile.InstanceProfileId) != id {
			t.Fatalf("%s: id %s, want %s", stage, aws.ToString(g.InstanceProfile.InstanceProfileId), id)
		}
		return g.InstanceProfile
	}
	g := get("with role")
	if ipRoleNames(g) != "web-role" {
		t.Fatalf("roles = %s", ipRoleNames(g))
	}
	r := g.Roles[0]
	if doc, err := url.QueryUnescape(aws.ToString(r.AssumeRolePolicyDocument)); err != nil || doc != ipTrustEC2 {
		t.Errorf("role's trust policy = %q, %v", aws.ToString(r.AssumeRolePolicyDocument), err)
	}
	if aws.ToString(r.Arn) != "arn:aws:iam::111111111111:role/web-role" || !strings.HasPrefix(aws.ToString(r.RoleId), "AROA") || r.Tags != nil || r.MaxSessionDuration != nil {
		t.Errorf("role in profile = %+v", r)
	}

	// A profile holds one role, and a role in a profile can't be deleted.
	_, err = c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("other-role")})
	ipWant(t, "second role", err, "LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
	_, err = c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("web-role")})
	ipWant(t, "same role again", err, "LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("web-role")})
	ipWant(t, "delete the role", err, "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.")
	_, err = c.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("web")})
	ipWant(t, "delete the profile", err, "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.")

	// The same role may be in several profiles.
	ipCreate(t, c, "batch", "")
	if _, err := c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("batch"), RoleName: aws.String("web-role")}); err != nil {
		t.Fatal(err)
	}
	forRole, err := c.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String("web-role")})
	if err != nil || len(forRole.InstanceProfiles) != 2 || aws.ToString(forRole.InstanceProfiles[0].InstanceProfileName) != "batch" ||
		aws.ToString(forRole.InstanceProfiles[1].InstanceProfileName) != "web" || ipRoleNames(&forRole.InstanceProfiles[1]) != "web-role" {
		t.Fatalf("ListInstanceProfilesForRole = %+v, %v", forRole, err)
	}

	// Tags.
	if _, err := c.TagInstanceProfile(ctx, &iam.TagInstanceProfileInput{InstanceProfileName: aws.String("web"), Tags: []types.Tag{
		{Key: aws.String("TEAM"), Value: aws.String("y")}, {Key: aws.String("env"), Value: aws.String("dev")}, {Key: aws.String("k"), Value: aws.String("v")},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagInstanceProfile(ctx, &iam.UntagInstanceProfileInput{InstanceProfileName: aws.String("web"), TagKeys: []string{"K"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListInstanceProfileTags(ctx, &iam.ListInstanceProfileTagsInput{InstanceProfileName: aws.String("web")})
	if err != nil || ipTags(tags.Tags) != "TEAM=y,env=dev" || tags.IsTruncated {
		t.Fatalf("ListInstanceProfileTags = %+v, %v", tags, err)
	}

	// Everything survives a restart.
	env.Restart()
	c = env.RootIAM(testenv.AccountA)
	g = get("after restart")
	if ipRoleNames(g) != "web-role" || ipTags(g.Tags) != "TEAM=y,env=dev" || aws.ToString(g.Arn) != "arn:aws:iam::111111111111:instance-profile/app/web" {
		t.Fatalf("after restart: %+v", g)
	}
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("web-role")})
	ipWant(t, "delete the role after restart", err, "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.")

	// Take the role out of both profiles; then both deletions work.
	_, err = c.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("other-role")})
	ipWant(t, "remove a role the profile lacks", err, "NoSuchEntity", "Role other-role in Instance Profile web cannot be found.")
	for _, p := range []string{"web", "batch"} {
		if _, err := c.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String(p), RoleName: aws.String("WEB-ROLE")}); err != nil {
			t.Fatalf("remove from %s: %v", p, err)
		}
	}
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("web-role")})
	if err != nil {
		t.Fatalf("delete the role once out of its profiles: %v", err)
	}
	if g := get("without role"); len(g.Roles) != 0 {
		t.Fatalf("roles after removal: %s", ipRoleNames(g))
	}
	// With no role left, the profile takes another.
	if _, err := c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("other-role")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("other-role")}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"web", "batch"} {
		if _, err := c.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String(p)}); err != nil {
			t.Fatalf("delete %s: %v", p, err)
		}
	}
	_, err = c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("web")})
	ipWant(t, "get deleted", err, "NoSuchEntity", "Instance Profile web cannot be found.")

	// The deletions are durable, and the name is free again.
	env.Restart()
	c = env.RootIAM(testenv.AccountA)
	list, err := c.ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{})
	if err != nil || len(list.InstanceProfiles) != 0 {
		t.Fatalf("after deletion and restart: %+v, %v", list, err)
	}
	if again := ipCreate(t, c, "web", ""); aws.ToString(again.InstanceProfileId) == id {
		t.Errorf("re-created profile reuses the ID %s", id)
	}
}

func TestInstanceProfileErrors(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	ipCreate(t, c, "web", "")
	ipCreateRole(t, c, "web-role")

	nope := aws.String("nonexistent-profile")
	const notFound = "Instance Profile nonexistent-profile cannot be found."
	tag := []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}
	for _, tc := range []struct {
		name          string
		call          func() error
		code, message string
	}{
		{"create, other case", func() error {
			_, err := c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("WEB")})
			return err
		}, "EntityAlreadyExists", "Instance Profile WEB already exists."},
		{"create, bad name", func() error {
			_, err := c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("a b")})
			return err
		}, "ValidationError", `1 validation error detected: Value 'a b' at 'instanceProfileName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`},
		{"create, long name", func() error {
			_, err := c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(strings.Repeat("n", 129))})
			return err
		}, "ValidationError", "1 validation error detected: Value '" + strings.Repeat("n", 129) + "' at 'instanceProfileName' failed to satisfy constraint: Member must have length less than or equal to 128"},
		{"create, bad path", func() error {
			_, err := c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("p"), Path: aws.String("app")})
			return err
		}, "ValidationError", `1 validation error detected: Value 'app' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`},
		{"get", func() error {
			_, err := c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: nope})
			return err
		}, "NoSuchEntity", notFound},
		{"delete", func() error {
			_, err := c.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: nope})
			return err
		}, "NoSuchEntity", notFound},
		{"add role to a missing profile", func() error {
			_, err := c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: nope, RoleName: aws.String("web-role")})
			return err
		}, "NoSuchEntity", notFound},
		{"add a missing role", func() error {
			_, err := c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("nonexistent-role")})
			return err
		}, "NoSuchEntity", "The role with name nonexistent-role cannot be found."},
		{"remove role from a missing profile", func() error {
			_, err := c.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: nope, RoleName: aws.String("web-role")})
			return err
		}, "NoSuchEntity", notFound},
		{"remove a missing role", func() error {
			_, err := c.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("nonexistent-role")})
			return err
		}, "NoSuchEntity", "The role with name nonexistent-role cannot be found."},
		{"remove a role not in the profile", func() error {
			_, err := c.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("web-role")})
			return err
		}, "NoSuchEntity", "Role web-role in Instance Profile web cannot be found."},
		{"tag", func() error {
			_, err := c.TagInstanceProfile(ctx, &iam.TagInstanceProfileInput{InstanceProfileName: nope, Tags: tag})
			return err
		}, "NoSuchEntity", notFound},
		{"untag", func() error {
			_, err := c.UntagInstanceProfile(ctx, &iam.UntagInstanceProfileInput{InstanceProfileName: nope, TagKeys: []string{"k"}})
			return err
		}, "NoSuchEntity", notFound},
		{"list tags", func() error {
			_, err := c.ListInstanceProfileTags(ctx, &iam.ListInstanceProfileTagsInput{InstanceProfileName: nope})
			return err
		}, "NoSuchEntity", notFound},
		{"tag with a reserved key", func() error {
			_, err := c.TagInstanceProfile(ctx, &iam.TagInstanceProfileInput{InstanceProfileName: aws.String("web"), Tags: []types.Tag{{Key: aws.String("aws:k"), Value: aws.String("v")}}})
			return err
		}, "InvalidInput", "User-defined tag keys can't start with \"aws:\". This prefix is reserved for AWS tags."},
	} {
		ipWant(t, tc.name, tc.call(), tc.code, tc.message)
	}

	// Tags: 50 at most.
	var fifty []types.Tag
	for i := range 50 {
		fifty = append(fifty, types.Tag{Key: aws.String(fmt.Sprintf("k%02d", i)), Value: aws.String("v")})
	}
	if _, err := c.TagInstanceProfile(ctx, &iam.TagInstanceProfileInput{InstanceProfileName: aws.String("web"), Tags: fifty}); err != nil {
		t.Fatal(err)
	}
	_, err := c.TagInstanceProfile(ctx, &iam.TagInstanceProfileInput{InstanceProfileName: aws.String("web"), Tags: []types.Tag{{Key: aws.String("one-more"), Value: aws.String("v")}}})
	ipWant(t, "51st tag", err, "LimitExceeded", "The number of tags has reached the maximum limit.")

	// Profiles belong to their account.
	b := env.RootIAM(testenv.AccountB)
	_, err = b.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("web")})
	ipWant(t, "B gets A's profile", err, "NoSuchEntity", "Instance Profile web cannot be found.")
	if p := ipCreate(t, b, "web", ""); aws.ToString(p.Arn) != "arn:aws:iam::222222222222:instance-profile/web" {
		t.Errorf("B's profile ARN %s", aws.ToString(p.Arn))
	}
	_, err = b.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("web-role")})
	ipWant(t, "B adds A's role", err, "NoSuchEntity", "The role with name web-role cannot be found.")

	// Nothing of the refused requests was stored.
	list, err := c.ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{})
	if err != nil || len(list.InstanceProfiles) != 1 || len(list.InstanceProfiles[0].Roles) != 0 {
		t.Fatalf("A's profiles after refusals: %+v, %v", list, err)
	}
}

func TestListInstanceProfiles(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	ipCreateRole(t, c, "r")
	for _, n := range []string{"p3", "P1", "p5", "p2", "p4"} {
		path := "/a/"
		if n == "p2" || n == "p4" {
			path = "/b/"
		}
		ipCreate(t, c, n, path)
	}
	if _, err := c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("p2"), RoleName: aws.String("r")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.TagInstanceProfile(ctx, &iam.TagInstanceProfileInput{InstanceProfileName: aws.String("p2"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}); err != nil {
		t.Fatal(err)
	}

	var names []string
	pages := 0
	p := iam.NewListInstanceProfilesPaginator(c, &iam.ListInstanceProfilesInput{MaxItems: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, ip := range out.InstanceProfiles {
			names = append(names, aws.ToString(ip.InstanceProfileName)+"["+ipRoleNames(&ip)+"]")
			if ip.Tags != nil {
				t.Errorf("ListInstanceProfiles shows tags of %s", aws.ToString(ip.InstanceProfileName))
			}
		}
	}
	if strings.Join(names, ",") != "P1[],p2[r],p3[],p4[],p5[]" || pages != 3 {
		t.Fatalf("paginated %v in %d pages", names, pages)
	}

	for prefix, want := range map[string]string{"/b/": "p2,p4", "/a": "P1,p3,p5", "/c/": "", "/": "P1,p2,p3,p4,p5"} {
		out, err := c.ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{PathPrefix: aws.String(prefix)})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, ip := range out.InstanceProfiles {
			got = append(got, aws.ToString(ip.InstanceProfileName))
		}
		if strings.Join(got, ",") != want || out.IsTruncated {
			t.Errorf("PathPrefix %s: %v, want %s", prefix, got, want)
		}
	}

	var keys []string
	for i := range 5 {
		keys = append(keys, fmt.Sprintf("t%d", i))
	}
	var tags []types.Tag
	for i := len(keys) - 1; i >= 0; i-- {
		tags = append(tags, types.Tag{Key: aws.String(keys[i]), Value: aws.String("v")})
	}
	if _, err := c.TagInstanceProfile(ctx, &iam.TagInstanceProfileInput{InstanceProfileName: aws.String("p3"), Tags: tags}); err != nil {
		t.Fatal(err)
	}
	var got []string
	tp := iam.NewListInstanceProfileTagsPaginator(c, &iam.ListInstanceProfileTagsInput{InstanceProfileName: aws.String("p3"), MaxItems: aws.Int32(2)})
	for tp.HasMorePages() {
		out, err := tp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Tags) > 2 {
			t.Fatalf("page of %d tags", len(out.Tags))
		}
		for _, tg := range out.Tags {
			got = append(got, aws.ToString(tg.Key))
		}
	}
	if strings.Join(got, ",") != strings.Join(keys, ",") {
		t.Fatalf("tags paginated as %v", got)
	}
}

// TestInstanceProfileAuthorization checks that each operation asks the
// caller's policies, and that adding a role also needs iam:PassRole on it.
func TestInstanceProfileAuthorization(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	root := env.RootIAM(testenv.AccountA)
	ipCreateRole(t, root, "web-role")
	ipCreate(t, root, "web", "")
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ops")}); err != nil {
		t.Fatal(err)
	}
	key, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("ops")})
	if err != nil {
		t.Fatal(err)
	}
	ops := env.IAM(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey))
	put := func(doc string) {
		t.Helper()
		if _, err := root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("ops"), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
	}
	add := func() error {
		_, err := ops.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("web-role")})
		return err
	}

	// Only profiles under /app/ may be created; others are refused.
	put(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:CreateInstanceProfile","iam:GetInstanceProfile","iam:AddRoleToInstanceProfile"],"Resource":["arn:aws:iam::111111111111:instance-profile/app/*","arn:aws:iam::111111111111:instance-profile/web"]}]}`)
	if _, err := ops.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("x"), Path: aws.String("/app/")}); err != nil {
		t.Errorf("create under /app/: %v", err)
	}
	if _, err := ops.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("y")}); ipCodeOf(err) != "AccessDenied" {
		t.Errorf("create under /: %v", err)
	}
	if _, err := ops.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("web")}); err != nil {
		t.Errorf("get web: %v", err)
	}
	// A name the caller may not read is refused whether or not it exists.
	for _, name := range []string{"y", "absent"} {
		if _, err := ops.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(name)}); ipCodeOf(err) != "AccessDenied" {
			t.Errorf("get %s: %v", name, err)
		}
	}
	for what, call := range map[string]func() error{
		"delete": func() error {
			_, err := ops.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("web")})
			return err
		},
		"tag": func() error {
			_, err := ops.TagInstanceProfile(ctx, &iam.TagInstanceProfileInput{InstanceProfileName: aws.String("web"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			return err
		},
		"list": func() error {
			_, err := ops.ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{})
			return err
		},
		"list tags": func() error {
			_, err := ops.ListInstanceProfileTags(ctx, &iam.ListInstanceProfileTagsInput{InstanceProfileName: aws.String("web")})
			return err
		},
		"untag": func() error {
			_, err := ops.UntagInstanceProfile(ctx, &iam.UntagInstanceProfileInput{InstanceProfileName: aws.String("web"), TagKeys: []string{"k"}})
			return err
		},
		"remove role": func() error {
			_, err := ops.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("web-role")})
			return err
		},
		"add role without iam:PassRole": add,
	} {
		if err := call(); ipCodeOf(err) != "AccessDenied" {
			t.Errorf("%s: %v, want AccessDenied", what, err)
		}
	}

	// iam:PassRole for EC2 completes the permission to add the role.
	put(`{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Action":"iam:AddRoleToInstanceProfile","Resource":"*"},` +
		`{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111111111111:role/web-role","Condition":{"StringEquals":{"iam:PassedToService":"ec2.amazonaws.com"}}}]}`)
	if err := add(); err != nil {
		t.Fatalf("add with iam:PassRole: %v", err)
	}
	g, err := root.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("web")})
	if err != nil || ipRoleNames(g.InstanceProfile) != "web-role" {
		t.Fatalf("after add: %+v, %v", g, err)
	}
}

// ipCodeOf returns the AWS error code of err, or "".
func ipCodeOf(err error) string {
	c, _ := ipErr(err)
	return c
}
