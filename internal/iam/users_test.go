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

// usrMessage returns the AWS error message of err, or "".
func usrMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return testenv.WithoutEncodedMessage(ae.ErrorMessage())
	}
	return ""
}

// usrWant checks an error's code and, when msg is not empty, its message.
func usrWant(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	if testenv.ErrorCode(err) != code || (msg != "" && usrMessage(err) != msg) {
		t.Errorf("%s: err = %v, want %s %q", what, err, code, msg)
	}
}

// usrAllow is an identity policy allowing actions on resource.
func usrAllow(action, resource string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":%q,"Resource":%q}]}`, action, resource)
}

// usrCreate creates users, failing the test on error.
func usrCreate(t *testing.T, c *iam.Client, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := c.CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String(n)}); err != nil {
			t.Fatalf("CreateUser %s: %v", n, err)
		}
	}
}

// usrNames returns the names of users.
func usrNames(users []types.User) string {
	var out []string
	for _, u := range users {
		out = append(out, aws.ToString(u.UserName))
	}
	return strings.Join(out, ",")
}

const usrAWSPolicy = "arn:aws:iam::aws:policy/"

func TestUserCreateGetAndErrors(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)

	out, err := c.CreateUser(ctx, &iam.CreateUserInput{
		UserName: aws.String("alice"), Path: aws.String("/team/"),
		PermissionsBoundary: aws.String(usrAWSPolicy + "ReadOnlyAccess"),
		Tags:                []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	u := out.User
	if aws.ToString(u.Arn) != "arn:aws:iam::111111111111:user/team/alice" || aws.ToString(u.Path) != "/team/" ||
		!strings.HasPrefix(aws.ToString(u.UserId), "AIDA") || len(aws.ToString(u.UserId)) != 21 || u.CreateDate == nil {
		t.Fatalf("CreateUser = %+v", u)
	}
	if len(u.Tags) != 1 || u.PermissionsBoundary == nil || aws.ToString(u.PermissionsBoundary.PermissionsBoundaryArn) != usrAWSPolicy+"ReadOnlyAccess" {
		t.Fatalf("CreateUser tags/boundary = %+v %+v", u.Tags, u.PermissionsBoundary)
	}

	got, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("ALICE")})
	if err != nil || aws.ToString(got.User.UserId) != aws.ToString(u.UserId) || aws.ToString(got.User.UserName) != "alice" ||
		len(got.User.Tags) != 1 || got.User.PermissionsBoundary == nil {
		t.Fatalf("GetUser = %+v, %v", got, err)
	}
	root, err := c.GetUser(ctx, &iam.GetUserInput{})
	if err != nil || aws.ToString(root.User.Arn) != "arn:aws:iam::111111111111:root" || aws.ToString(root.User.UserId) != testenv.AccountA {
		t.Fatalf("GetUser of root = %+v, %v", root, err)
	}

	for _, tc := range []struct {
		name      string
		call      func() error
		code, msg string
	}{
		{"duplicate, other case", func() error {
			_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("Alice")})
			return err
		}, "EntityAlreadyExists", "User with name Alice already exists."},
		{"bad name", func() error {
			_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("a b")})
			return err
		}, "ValidationError", ""},
		{"name too long", func() error {
			_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(strings.Repeat("a", 65))})
			return err
		}, "ValidationError", ""},
		{"bad path", func() error {
			_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("x"), Path: aws.String("team")})
			return err
		}, "ValidationError", ""},
		{"unknown boundary", func() error {
			_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("x"), PermissionsBoundary: aws.String(usrAWSPolicy + "Nope")})
			return err
		}, "NoSuchEntity", "Scope ARN: " + usrAWSPolicy + "Nope does not exist or is not attachable."},
		{"reserved tag key", func() error {
			_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("x"), Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("v")}}})
			return err
		}, "InvalidInput", ""},
		{"missing user", func() error {
			_, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("nope")})
			return err
		}, "NoSuchEntity", "The user with name nope cannot be found."},
		{"delete a missing user", func() error {
			_, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("nope")})
			return err
		}, "NoSuchEntity", "The user with name nope cannot be found."},
		{"tag a missing user", func() error {
			_, err := c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("nope"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			return err
		}, "NoSuchEntity", ""},
	} {
		err := tc.call()
		usrWant(t, tc.name, err, tc.code, tc.msg)
	}

	// Account B does not see account A's users.
	if _, err := env.RootIAM(testenv.AccountB).GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")}); testenv.ErrorCode(err) != "NoSuchEntity" {
		t.Fatalf("account B gets alice: %v", err)
	}
}

func TestUserTagsPoliciesAndBoundary(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	usrCreate(t, c, "bob")
	bob := aws.String("bob")

	// Tags.
	if _, err := c.TagUser(ctx, &iam.TagUserInput{UserName: bob, Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("2")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.TagUser(ctx, &iam.TagUserInput{UserName: bob, Tags: []types.Tag{{Key: aws.String("A"), Value: aws.String("3")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagUser(ctx, &iam.UntagUserInput{UserName: bob, TagKeys: []string{"b"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: bob})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "A" || aws.ToString(tags.Tags[0].Value) != "3" {
		t.Fatalf("ListUserTags = %+v, %v", tags, err)
	}

	// Inline policies.
	docS3 := usrAllow("s3:GetObject", "*")
	for _, n := range []string{"p2", "p1"} {
		if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: bob, PolicyName: aws.String(n), PolicyDocument: aws.String(docS3)}); err != nil {
			t.Fatal(err)
		}
	}
	gp, err := c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: bob, PolicyName: aws.String("p1")})
	if err != nil {
		t.Fatal(err)
	}
	if doc, _ := url.QueryUnescape(aws.ToString(gp.PolicyDocument)); doc != docS3 || aws.ToString(gp.UserName) != "bob" {
		t.Fatalf("GetUserPolicy = %q %q", aws.ToString(gp.UserName), doc)
	}
	lp, err := c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: bob, MaxItems: aws.Int32(1)})
	if err != nil || len(lp.PolicyNames) != 1 || lp.PolicyNames[0] != "p1" || !lp.IsTruncated {
		t.Fatalf("ListUserPolicies = %+v, %v", lp, err)
	}
	lp, err = c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: bob, Marker: lp.Marker})
	if err != nil || strings.Join(lp.PolicyNames, ",") != "p2" || lp.IsTruncated {
		t.Fatalf("ListUserPolicies page 2 = %+v, %v", lp, err)
	}
	// The 2,048 characters are for all of a user's inline policies together.
	big := usrAllow("s3:GetObject", "arn:aws:s3:::"+strings.Repeat("b", 1000))
	if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: bob, PolicyName: aws.String("big1"), PolicyDocument: aws.String(big)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: bob, PolicyName: aws.String("big2"), PolicyDocument: aws.String(big)})
	usrWant(t, "aggregate inline size", err, "LimitExceeded", "Maximum policy size of 2048 bytes exceeded for user bob")
	_, err = c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: bob, PolicyName: aws.String("bad"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`)})
	usrWant(t, "policy with a principal", err, "MalformedPolicyDocument", "")
	_, err = c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: bob, PolicyName: aws.String("nope")})
	usrWant(t, "missing inline policy", err, "NoSuchEntity", "The user policy with name nope cannot be found.")
	_, err = c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: bob, PolicyName: aws.String("nope")})
	usrWant(t, "delete a missing inline policy", err, "NoSuchEntity", "The user policy with name nope cannot be found.")
	for _, n := range []string{"p1", "p2", "big1"} {
		if _, err := c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: bob, PolicyName: aws.String(n)}); err != nil {
			t.Fatal(err)
		}
	}
	if lp, err := c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: bob}); err != nil || len(lp.PolicyNames) != 0 {
		t.Fatalf("after deletes: %+v, %v", lp, err)
	}

	// Managed policies: at most 10.
	managed := []string{"ReadOnlyAccess", "IAMFullAccess", "IAMReadOnlyAccess", "AmazonS3ReadOnlyAccess", "AmazonS3FullAccess",
		"AmazonEC2ReadOnlyAccess", "AmazonEC2FullAccess", "AWSDenyAll", "AmazonDynamoDBReadOnlyAccess", "AmazonSQSReadOnlyAccess"}
	for _, n := range managed {
		if _, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: bob, PolicyArn: aws.String(usrAWSPolicy + n)}); err != nil {
			t.Fatal(err)
		}
	}
	// Attaching again is a no-op; an eleventh is refused.
	if _, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: bob, PolicyArn: aws.String(usrAWSPolicy + "ReadOnlyAccess")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: bob, PolicyArn: aws.String(usrAWSPolicy + "AmazonSNSReadOnlyAccess")})
	usrWant(t, "eleventh managed policy", err, "LimitExceeded", "Cannot exceed quota for PoliciesPerUser: 10")
	_, err = c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: bob, PolicyArn: aws.String(usrAWSPolicy + "Nope")})
	usrWant(t, "attach a missing policy", err, "NoSuchEntity", "")
	var attached []string
	p := iam.NewListAttachedUserPoliciesPaginator(c, &iam.ListAttachedUserPoliciesInput{UserName: bob, MaxItems: aws.Int32(4)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.AttachedPolicies {
			attached = append(attached, aws.ToString(a.PolicyName))
		}
	}
	if len(attached) != 10 || attached[0] != "AWSDenyAll" {
		t.Fatalf("ListAttachedUserPolicies = %v", attached)
	}
	for _, n := range managed {
		if _, err := c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: bob, PolicyArn: aws.String(usrAWSPolicy + n)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: bob, PolicyArn: aws.String(usrAWSPolicy + "ReadOnlyAccess")})
	usrWant(t, "detach a policy not attached", err, "NoSuchEntity", "")

	// Permissions boundary.
	if _, err := c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: bob, PermissionsBoundary: aws.String(usrAWSPolicy + "IAMReadOnlyAccess")}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetUser(ctx, &iam.GetUserInput{UserName: bob})
	if err != nil || got.User.PermissionsBoundary == nil || aws.ToString(got.User.PermissionsBoundary.PermissionsBoundaryArn) != usrAWSPolicy+"IAMReadOnlyAccess" ||
		got.User.PermissionsBoundary.PermissionsBoundaryType != types.PermissionsBoundaryAttachmentTypePolicy {
		t.Fatalf("boundary = %+v, %v", got, err)
	}
	_, err = c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: bob, PermissionsBoundary: aws.String(usrAWSPolicy + "Nope")})
	usrWant(t, "unknown boundary", err, "NoSuchEntity", "Scope ARN: "+usrAWSPolicy+"Nope does not exist or is not attachable.")
	if _, err := c.DeleteUserPermissionsBoundary(ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: bob}); err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetUser(ctx, &iam.GetUserInput{UserName: bob}); err != nil || got.User.PermissionsBoundary != nil {
		t.Fatalf("boundary after delete = %+v, %v", got, err)
	}
	_, err = c.DeleteUserPermissionsBoundary(ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: bob})
	usrWant(t, "delete a missing boundary", err, "NoSuchEntity", "")
}

func TestDeleteUserConflicts(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	usrCreate(t, c, "carol")
	carol := aws.String("carol")
	if _, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")}); err != nil {
		t.Fatal(err)
	}
	key, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: carol})
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		setup, undo func() error
		msg         string
	}{
		{nil, func() error {
			_, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: carol, AccessKeyId: key.AccessKey.AccessKeyId})
			return err
		}, "Cannot delete entity, must delete access keys first."},
		{func() error {
			_, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: carol, PolicyName: aws.String("p"), PolicyDocument: aws.String(usrAllow("s3:*", "*"))})
			return err
		}, func() error {
			_, err := c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: carol, PolicyName: aws.String("p")})
			return err
		}, "Cannot delete entity, must delete policies first."},
		{func() error {
			_, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: carol, PolicyArn: aws.String(usrAWSPolicy + "ReadOnlyAccess")})
			return err
		}, func() error {
			_, err := c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: carol, PolicyArn: aws.String(usrAWSPolicy + "ReadOnlyAccess")})
			return err
		}, "Cannot delete entity, must detach all policies first."},
		{func() error {
			_, err := c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: carol, GroupName: aws.String("devs")})
			return err
		}, func() error {
			_, err := c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: carol, GroupName: aws.String("devs")})
			return err
		}, "Cannot delete entity, must remove users from group first."},
	} {
		if step.setup != nil {
			if err := step.setup(); err != nil {
				t.Fatal(err)
			}
		}
		_, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: carol})
		usrWant(t, "DeleteUser", err, "DeleteConflict", step.msg)
		if err := step.undo(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: carol}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetUser(ctx, &iam.GetUserInput{UserName: carol}); testenv.ErrorCode(err) != "NoSuchEntity" {
		t.Fatalf("deleted user: %v", err)
	}
	// The name can be used again, for a new user with a new ID.
	usrCreate(t, c, "carol")
}

func TestUpdateUserCarriesEverything(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	usrCreate(t, c, "dave", "erin")
	dave := aws.String("dave")
	before, err := c.GetUser(ctx, &iam.GetUserInput{UserName: dave})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("ops")}); err != nil {
		t.Fatal(err)
	}
	for _, call := range []func() error{
		func() error {
			_, err := c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: dave, GroupName: aws.String("ops")})
			return err
		},
		func() error {
			_, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: dave, PolicyName: aws.String("self"), PolicyDocument: aws.String(usrAllow("iam:GetUser", "*"))})
			return err
		},
		func() error {
			_, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: dave, PolicyArn: aws.String(usrAWSPolicy + "IAMReadOnlyAccess")})
			return err
		},
	} {
		if err := call(); err != nil {
			t.Fatal(err)
		}
	}
	key, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: dave})
	if err != nil {
		t.Fatal(err)
	}

	_, err = c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: dave, NewUserName: aws.String("ERIN")})
	usrWant(t, "rename onto another user", err, "EntityAlreadyExists", "User with name ERIN already exists.")
	_, err = c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("nope"), NewUserName: aws.String("x")})
	usrWant(t, "rename a missing user", err, "NoSuchEntity", "The user with name nope cannot be found.")
	_, err = c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: dave, NewPath: aws.String("bad")})
	usrWant(t, "bad new path", err, "ValidationError", "")

	if _, err := c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: dave, NewUserName: aws.String("david"), NewPath: aws.String("/eng/")}); err != nil {
		t.Fatal(err)
	}
	check := func(when string, c *iam.Client) {
		t.Helper()
		if _, err := c.GetUser(ctx, &iam.GetUserInput{UserName: dave}); testenv.ErrorCode(err) != "NoSuchEntity" {
			t.Errorf("%s: old name still found: %v", when, err)
		}
		got, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("david")})
		if err != nil || aws.ToString(got.User.Arn) != "arn:aws:iam::111111111111:user/eng/david" || aws.ToString(got.User.UserId) != aws.ToString(before.User.UserId) {
			t.Fatalf("%s: renamed user = %+v, %v", when, got, err)
		}
		lp, err := c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("david")})
		if err != nil || strings.Join(lp.PolicyNames, ",") != "self" {
			t.Errorf("%s: inline policies = %+v, %v", when, lp, err)
		}
		la, err := c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("david")})
		if err != nil || len(la.AttachedPolicies) != 1 {
			t.Errorf("%s: attached policies = %+v, %v", when, la, err)
		}
		g, err := c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("ops")})
		if err != nil || usrNames(g.Users) != "david" {
			t.Errorf("%s: group members = %+v, %v", when, g, err)
		}
		gs, err := c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("david")})
		if err != nil || len(gs.Groups) != 1 {
			t.Errorf("%s: groups for user = %+v, %v", when, gs, err)
		}
		keys, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("david")})
		if err != nil || len(keys.AccessKeyMetadata) != 1 || aws.ToString(keys.AccessKeyMetadata[0].UserName) != "david" {
			t.Errorf("%s: access keys = %+v, %v", when, keys, err)
		}
		// The key signs as the renamed user, whose policies still apply.
		self, err := env.IAM(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey)).GetUser(ctx, &iam.GetUserInput{})
		if err != nil || aws.ToString(self.User.UserName) != "david" {
			t.Errorf("%s: GetUser with the key = %+v, %v", when, self, err)
		}
	}
	check("after rename", c)
	env.Restart()
	check("after restart", env.RootIAM(testenv.AccountA))
}

func TestListUsersPagination(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	for _, n := range []string{"u3", "u1", "u5", "u2", "u4"} {
		path := "/a/"
		if n == "u5" {
			path = "/b/"
		}
		if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(n), Path: aws.String(path), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	pages := 0
	p := iam.NewListUsersPaginator(c, &iam.ListUsersInput{MaxItems: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, u := range out.Users {
			names = append(names, aws.ToString(u.UserName))
			if len(u.Tags) != 0 {
				t.Errorf("ListUsers returned tags for %s", aws.ToString(u.UserName))
			}
		}
	}
	if strings.Join(names, ",") != "u1,u2,u3,u4,u5" || pages != 3 {
		t.Fatalf("paginated %v in %d pages", names, pages)
	}
	out, err := c.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("/b/")})
	if err != nil || usrNames(out.Users) != "u5" {
		t.Fatalf("PathPrefix /b/: %+v, %v", out, err)
	}
	_, err = c.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(0)})
	usrWant(t, "MaxItems 0", err, "ValidationError", "")
	if out, err := env.RootIAM(testenv.AccountB).ListUsers(ctx, &iam.ListUsersInput{}); err != nil || len(out.Users) != 0 {
		t.Fatalf("account B lists %+v, %v", out, err)
	}
}

func TestUsersSurviveRestart(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("frank"), Path: aws.String("/p/"),
		PermissionsBoundary: aws.String(usrAWSPolicy + "ReadOnlyAccess"), Tags: []types.Tag{{Key: aws.String("t"), Value: aws.String("v")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("frank"), PolicyName: aws.String("p"), PolicyDocument: aws.String(usrAllow("s3:*", "*"))}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("frank"), PolicyArn: aws.String(usrAWSPolicy + "IAMReadOnlyAccess")}); err != nil {
		t.Fatal(err)
	}
	env.Restart()
	c = env.RootIAM(testenv.AccountA)
	got, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("frank")})
	if err != nil || aws.ToString(got.User.Arn) != "arn:aws:iam::111111111111:user/p/frank" || len(got.User.Tags) != 1 || got.User.PermissionsBoundary == nil {
		t.Fatalf("after restart: %+v, %v", got, err)
	}
	gp, err := c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("frank"), PolicyName: aws.String("p")})
	if doc, _ := url.QueryUnescape(aws.ToString(gp.PolicyDocument)); err != nil || doc != usrAllow("s3:*", "*") {
		t.Fatalf("inline policy after restart: %q, %v", doc, err)
	}
	la, err := c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("frank")})
	if err != nil || len(la.AttachedPolicies) != 1 || aws.ToString(la.AttachedPolicies[0].PolicyName) != "IAMReadOnlyAccess" {
		t.Fatalf("attached after restart: %+v, %v", la, err)
	}
}
