package iam_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/internal/testenv"
)

const usrTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole"}]}`

// usrWithKey creates a user of account A with an access key and returns
// the key and a client signing with it.
func usrWithKey(t *testing.T, env *testenv.Env, name string) (*types.AccessKey, *iam.Client) {
	t.Helper()
	root := env.RootIAM(testenv.AccountA)
	usrCreate(t, root, name)
	k := keyCreate(t, root, name)
	return k, keyClient(env, k)
}

// usrCreateRole has c create role name, with tags.
func usrCreateRole(c *iam.Client, name string, tags ...types.Tag) error {
	_, err := c.CreateRole(context.Background(), &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(usrTrust), Tags: tags})
	return err
}

// usrDenied is AWS's AccessDenied message for alice.
func usrDenied(action, resource, why string) string {
	return "User: arn:aws:iam::111111111111:user/alice is not authorized to perform: " + action + " on resource: " + resource + " " + why
}

// usrPut puts an inline policy on a user, failing the test on error.
func usrPut(t *testing.T, c *iam.Client, user, name, doc string) {
	t.Helper()
	if _, err := c.PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatalf("PutUserPolicy %s %s: %v", user, name, err)
	}
}

// usrAttach attaches an AWS managed policy to a user.
func usrAttach(t *testing.T, c *iam.Client, user, policyName string) {
	t.Helper()
	if _, err := c.AttachUserPolicy(context.Background(), &iam.AttachUserPolicyInput{UserName: aws.String(user), PolicyArn: aws.String(usrAWSPolicy + policyName)}); err != nil {
		t.Fatalf("AttachUserPolicy %s %s: %v", user, policyName, err)
	}
}

func TestAuthzUserInlinePolicy(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	root := env.RootIAM(testenv.AccountA)
	_, alice := usrWithKey(t, env, "alice")

	err := usrCreateRole(alice, "x")
	usrWant(t, "no policy", err, "AccessDenied", usrDenied("iam:CreateRole", "arn:aws:iam::111111111111:role/x", "because no identity-based policy allows the iam:CreateRole action"))

	// An Allow for other resources does not help.
	usrPut(t, root, "alice", "roles", usrAllow("iam:CreateRole", "arn:aws:iam::111111111111:role/app-*"))
	err = usrCreateRole(alice, "x")
	usrWant(t, "allow on other roles", err, "AccessDenied", usrDenied("iam:CreateRole", "arn:aws:iam::111111111111:role/x", "because no identity-based policy allows the iam:CreateRole action"))
	if err := usrCreateRole(alice, "app-1"); err != nil {
		t.Fatalf("CreateRole app-1: %v", err)
	}
	usrPut(t, root, "alice", "roles", usrAllow("iam:CreateRole", "*"))
	if err := usrCreateRole(alice, "x"); err != nil {
		t.Fatalf("CreateRole x after the allow: %v", err)
	}
	// Only the action allowed: GetRole is still denied.
	_, err = alice.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("x")})
	usrWant(t, "GetRole", err, "AccessDenied", usrDenied("iam:GetRole", "role x", "because no identity-based policy allows the iam:GetRole action"))
	if _, err := root.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("roles")}); err != nil {
		t.Fatal(err)
	}
	usrWant(t, "policy deleted", usrCreateRole(alice, "y"), "AccessDenied", "")
}

func TestAuthzGroupPolicies(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	root := env.RootIAM(testenv.AccountA)
	_, alice := usrWithKey(t, env, "alice")
	grpCreate(t, root, "builders")

	if _, err := root.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("builders"), PolicyName: aws.String("roles"), PolicyDocument: aws.String(usrAllow("iam:CreateRole", "*"))}); err != nil {
		t.Fatal(err)
	}
	usrWant(t, "not yet a member", usrCreateRole(alice, "x"), "AccessDenied", "")
	grpAdd(t, root, "alice", "builders")
	if err := usrCreateRole(alice, "x"); err != nil {
		t.Fatalf("CreateRole as a member: %v", err)
	}
	if _, err := root.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("builders"), UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	usrWant(t, "removed from the group", usrCreateRole(alice, "y"), "AccessDenied",
		usrDenied("iam:CreateRole", "arn:aws:iam::111111111111:role/y", "because no identity-based policy allows the iam:CreateRole action"))

	// A managed policy attached to a group applies to its members too.
	grpCreate(t, root, "admins")
	if _, err := root.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("admins"), PolicyArn: aws.String(usrAWSPolicy + "IAMFullAccess")}); err != nil {
		t.Fatal(err)
	}
	grpAdd(t, root, "alice", "admins")
	if err := usrCreateRole(alice, "y"); err != nil {
		t.Fatalf("CreateRole through the group's managed policy: %v", err)
	}
}

func TestAuthzExplicitDeny(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	root := env.RootIAM(testenv.AccountA)
	_, alice := usrWithKey(t, env, "alice")
	usrAttach(t, root, "alice", "IAMFullAccess")
	if err := usrCreateRole(alice, "ok"); err != nil {
		t.Fatalf("CreateRole with IAMFullAccess: %v", err)
	}
	prefix := usrDenied("iam:CreateRole", "arn:aws:iam::111111111111:role/x", "with an explicit deny in an identity-based policy: ")

	// An inline Deny beats the managed Allow.
	usrPut(t, root, "alice", "nodeploy", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:CreateRole","Resource":"*"}]}`)
	err := usrCreateRole(alice, "x")
	if testenv.ErrorCode(err) != "AccessDenied" || !strings.HasPrefix(usrMessage(err), prefix) || !strings.Contains(usrMessage(err), "nodeploy") {
		t.Fatalf("inline deny: %v", err)
	}
	if _, err := root.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("nodeploy")}); err != nil {
		t.Fatal(err)
	}
	if err := usrCreateRole(alice, "x"); err != nil {
		t.Fatalf("CreateRole after the deny is gone: %v", err)
	}

	// So does a Deny in an attached managed policy, named by its ARN; and
	// one in a group's policy.
	usrAttach(t, root, "alice", "AWSDenyAll")
	err = usrCreateRole(alice, "x")
	if testenv.ErrorCode(err) != "AccessDenied" || !strings.HasPrefix(usrMessage(err), prefix+usrAWSPolicy+"AWSDenyAll") {
		t.Fatalf("managed deny: %v", err)
	}
	if _, err := root.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String(usrAWSPolicy + "AWSDenyAll")}); err != nil {
		t.Fatal(err)
	}
	grpCreate(t, root, "frozen")
	if _, err := root.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("frozen"), PolicyName: aws.String("freeze"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:Create*","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	grpAdd(t, root, "alice", "frozen")
	err = usrCreateRole(alice, "z")
	if testenv.ErrorCode(err) != "AccessDenied" || !strings.Contains(usrMessage(err), "with an explicit deny in an identity-based policy: ") || !strings.Contains(usrMessage(err), "freeze") {
		t.Fatalf("group deny: %v", err)
	}
}

func TestAuthzPermissionsBoundary(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	root := env.RootIAM(testenv.AccountA)
	_, alice := usrWithKey(t, env, "alice")
	usrAttach(t, root, "alice", "IAMFullAccess")

	if _, err := root.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("alice"), PermissionsBoundary: aws.String(usrAWSPolicy + "ReadOnlyAccess")}); err != nil {
		t.Fatal(err)
	}
	err := usrCreateRole(alice, "x")
	usrWant(t, "boundary without the action", err, "AccessDenied",
		usrDenied("iam:CreateRole", "arn:aws:iam::111111111111:role/x", "because no permissions boundary allows the iam:CreateRole action"))
	// What both allow is allowed.
	if _, err := alice.ListRoles(ctx, &iam.ListRolesInput{}); err != nil {
		t.Fatalf("ListRoles within the boundary: %v", err)
	}
	if _, err := root.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("alice"), PermissionsBoundary: aws.String(usrAWSPolicy + "IAMFullAccess")}); err != nil {
		t.Fatal(err)
	}
	if err := usrCreateRole(alice, "x"); err != nil {
		t.Fatalf("CreateRole within the boundary: %v", err)
	}
	// A boundary grants nothing by itself.
	if _, err := root.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String(usrAWSPolicy + "IAMFullAccess")}); err != nil {
		t.Fatal(err)
	}
	usrWant(t, "boundary alone", usrCreateRole(alice, "y"), "AccessDenied",
		usrDenied("iam:CreateRole", "arn:aws:iam::111111111111:role/y", "because no identity-based policy allows the iam:CreateRole action"))
}

func TestAuthzConditionKeys(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	root := env.RootIAM(testenv.AccountA)
	_, alice := usrWithKey(t, env, "alice")
	usrPut(t, root, "alice", "tagged", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"iam:CreateRole","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"blue"}}},
		{"Effect":"Allow","Action":"iam:CreateUser","Resource":"*","Condition":{"StringEquals":{"iam:PermissionsBoundary":"arn:aws:iam::aws:policy/ReadOnlyAccess"}}},
		{"Effect":"Allow","Action":"iam:AttachUserPolicy","Resource":"*","Condition":{"ArnEquals":{"iam:PolicyARN":"arn:aws:iam::aws:policy/ReadOnlyAccess"}}},
		{"Effect":"Allow","Action":"iam:TagUser","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}}
	]}`)
	tag := func(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }

	usrWant(t, "no tags", usrCreateRole(alice, "r1"), "AccessDenied", "")
	usrWant(t, "team red", usrCreateRole(alice, "r1", tag("team", "red")), "AccessDenied",
		usrDenied("iam:CreateRole", "arn:aws:iam::111111111111:role/r1", "because no identity-based policy allows the iam:CreateRole action"))
	if err := usrCreateRole(alice, "r1", tag("team", "blue"), tag("env", "dev")); err != nil {
		t.Fatalf("CreateRole team=blue: %v", err)
	}

	// iam:PermissionsBoundary on CreateUser.
	_, err := alice.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u1")})
	usrWant(t, "CreateUser without a boundary", err, "AccessDenied", "")
	_, err = alice.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u1"), PermissionsBoundary: aws.String(usrAWSPolicy + "IAMFullAccess")})
	usrWant(t, "CreateUser with another boundary", err, "AccessDenied", "")
	if _, err := alice.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u1"), PermissionsBoundary: aws.String(usrAWSPolicy + "ReadOnlyAccess")}); err != nil {
		t.Fatalf("CreateUser with the required boundary: %v", err)
	}

	// iam:PolicyARN on AttachUserPolicy.
	_, err = alice.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("u1"), PolicyArn: aws.String(usrAWSPolicy + "IAMFullAccess")})
	usrWant(t, "attach another policy", err, "AccessDenied", "")
	if _, err := alice.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("u1"), PolicyArn: aws.String(usrAWSPolicy + "ReadOnlyAccess")}); err != nil {
		t.Fatalf("attach the allowed policy: %v", err)
	}

	// aws:TagKeys on TagUser.
	_, err = alice.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("u1"), Tags: []types.Tag{tag("team", "a"), tag("cost", "b")}})
	usrWant(t, "tag key not allowed", err, "AccessDenied", "")
	if _, err := alice.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("u1"), Tags: []types.Tag{tag("team", "a")}}); err != nil {
		t.Fatalf("allowed tag key: %v", err)
	}
}

func TestAuthzUsernameVariable(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	root := env.RootIAM(testenv.AccountA)
	_, alice := usrWithKey(t, env, "alice")
	usrCreate(t, root, "bob")
	usrPut(t, root, "alice", "self", usrAllow("iam:*", "arn:aws:iam::111111111111:user/${aws:username}"))

	if got, err := alice.GetUser(ctx, &iam.GetUserInput{}); err != nil || aws.ToString(got.User.UserName) != "alice" {
		t.Fatalf("GetUser of herself: %+v, %v", got, err)
	}
	if _, err := alice.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("alice"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}); err != nil {
		t.Fatalf("TagUser alice: %v", err)
	}
	k2, err := alice.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
	if err != nil || aws.ToString(k2.AccessKey.UserName) != "alice" {
		t.Fatalf("CreateAccessKey for herself: %+v, %v", k2, err)
	}
	if l, err := alice.ListAccessKeys(ctx, &iam.ListAccessKeysInput{}); err != nil || len(l.AccessKeyMetadata) != 2 {
		t.Fatalf("ListAccessKeys of herself: %+v, %v", l, err)
	}
	if _, err := alice.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: k2.AccessKey.AccessKeyId}); err != nil {
		t.Fatalf("DeleteAccessKey of her own: %v", err)
	}

	_, err = alice.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("bob")})
	usrWant(t, "GetUser bob", err, "AccessDenied", usrDenied("iam:GetUser", "user bob", "because no identity-based policy allows the iam:GetUser action"))
	_, err = alice.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})
	usrWant(t, "CreateAccessKey for bob", err, "AccessDenied", "")
	_, err = alice.ListUsers(ctx, &iam.ListUsersInput{})
	usrWant(t, "ListUsers", err, "AccessDenied", usrDenied("iam:ListUsers", "arn:aws:iam::111111111111:user/", "because no identity-based policy allows the iam:ListUsers action"))
	// Renaming needs the permission on the new name too.
	_, err = alice.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("alice"), NewUserName: aws.String("alice2")})
	usrWant(t, "rename herself", err, "AccessDenied", usrDenied("iam:UpdateUser", "user alice2", "because no identity-based policy allows the iam:UpdateUser action"))
	// A missing user is not revealed to whom may not see it.
	_, err = alice.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("ghost")})
	usrWant(t, "GetUser of a missing user", err, "AccessDenied", "")
}

func TestAuthzInactiveAndDeletedKeys(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	root := env.RootIAM(testenv.AccountA)
	k, alice := usrWithKey(t, env, "alice")
	usrPut(t, root, "alice", "self", usrAllow("iam:GetUser", "*"))
	if _, err := alice.GetUser(ctx, &iam.GetUserInput{}); err != nil {
		t.Fatalf("active key: %v", err)
	}
	setStatus := func(s types.StatusType) {
		t.Helper()
		if _, err := root.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: k.AccessKeyId, Status: s}); err != nil {
			t.Fatal(err)
		}
	}
	setStatus(types.StatusTypeInactive)
	_, err := alice.GetUser(ctx, &iam.GetUserInput{})
	usrWant(t, "inactive key", err, "InvalidClientTokenId", "The security token included in the request is invalid.")
	setStatus(types.StatusTypeActive)
	if _, err := alice.GetUser(ctx, &iam.GetUserInput{}); err != nil {
		t.Fatalf("reactivated key: %v", err)
	}
	if _, err := root.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: k.AccessKeyId}); err != nil {
		t.Fatal(err)
	}
	_, err = alice.GetUser(ctx, &iam.GetUserInput{})
	usrWant(t, "deleted key", err, "InvalidClientTokenId", "The security token included in the request is invalid.")
	env.Restart()
	_, err = env.IAM(aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey)).GetUser(ctx, &iam.GetUserInput{})
	usrWant(t, "deleted key after restart", err, "InvalidClientTokenId", "")
}

// TestAuthzSeesOwnPolicyChange: a user who changes her own policies is
// authorized by the new ones on her next request (compiled policy sets
// are cached per snapshot; a write must not publish ones computed before
// it).
func TestAuthzSeesOwnPolicyChange(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	root := env.RootIAM(testenv.AccountA)
	usrCreate(t, root, "alice")
	usrPut(t, root, "alice", "self", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PutUserPolicy","Resource":"arn:aws:iam::111111111111:user/alice"}]}`)
	k := keyCreate(t, root, "alice")
	alice := keyClient(env, k)
	if _, err := alice.ListRoles(ctx, &iam.ListRolesInput{}); testenv.ErrorCode(err) != "AccessDenied" {
		t.Fatalf("before: %v", err)
	}
	usrPut(t, alice, "alice", "more", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}`)
	if _, err := alice.ListRoles(ctx, &iam.ListRolesInput{}); err != nil {
		t.Fatalf("after granting herself iam:ListRoles: %v", err)
	}
}
