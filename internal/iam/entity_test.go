package iam_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// entTag is the tag the entity tests' conditions look for.
var entTag = []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}

// TestEntityResourceTags checks that every taggable family's entity
// tags are its aws:ResourceTag/… condition keys, as IAM's resource types
// declare: a policy that allows reading tags only of team=blue entities
// allows it for the tagged one and denies it for the untagged one.
func TestEntityResourceTags(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	root := env.RootIAM(testenv.AccountA)
	_, alice := usrWithKey(t, env, "alice")
	usrPut(t, root, "alice", "blue", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*",
		"Action":["iam:ListUserTags","iam:ListRoleTags","iam:ListInstanceProfileTags","iam:ListPolicyTags","iam:ListOpenIDConnectProviderTags"],
		"Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}}]}`)

	for _, tc := range []struct {
		family string
		// create creates the entity (tagged when tags is set) and
		// returns its name or ARN.
		create func(name string, tags []types.Tag) string
		list   func(c *iam.Client, id string) error
	}{
		{"user", func(name string, tags []types.Tag) string {
			_, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name), Tags: tags})
			polMust(t, "CreateUser", err)
			return name
		}, func(c *iam.Client, id string) error {
			_, err := c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String(id)})
			return err
		}},
		{"role", func(name string, tags []types.Tag) string {
			polMust(t, "CreateRole", usrCreateRole(root, name, tags...))
			return name
		}, func(c *iam.Client, id string) error {
			_, err := c.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String(id)})
			return err
		}},
		{"instance profile", func(name string, tags []types.Tag) string {
			_, err := root.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(name), Tags: tags})
			polMust(t, "CreateInstanceProfile", err)
			return name
		}, func(c *iam.Client, id string) error {
			_, err := c.ListInstanceProfileTags(ctx, &iam.ListInstanceProfileTagsInput{InstanceProfileName: aws.String(id)})
			return err
		}},
		{"managed policy", func(name string, tags []types.Tag) string {
			out, err := root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: aws.String(polDocS3), Tags: tags})
			polMust(t, "CreatePolicy", err)
			return aws.ToString(out.Policy.Arn)
		}, func(c *iam.Client, id string) error {
			_, err := c.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: aws.String(id)})
			return err
		}},
		{"OIDC provider", func(name string, tags []types.Tag) string {
			out, err := root.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://" + name + ".example.com"), Tags: tags})
			polMust(t, "CreateOpenIDConnectProvider", err)
			return aws.ToString(out.OpenIDConnectProviderArn)
		}, func(c *iam.Client, id string) error {
			_, err := c.ListOpenIDConnectProviderTags(ctx, &iam.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: aws.String(id)})
			return err
		}},
	} {
		blue, plain := tc.create("blue", entTag), tc.create("plain", nil)
		if err := tc.list(alice, blue); err != nil {
			t.Errorf("%s tagged team=blue: %v", tc.family, err)
		}
		usrWant(t, tc.family+" without the tag", tc.list(alice, plain), "AccessDenied", "")
	}
}

// TestEntityPermissionsBoundaryKey checks that the actions on users and
// roles that carry iam:PermissionsBoundary carry the entity's current
// boundary: a policy can allow changing only principals that keep one.
func TestEntityPermissionsBoundaryKey(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	root := env.RootIAM(testenv.AccountA)
	_, alice := usrWithKey(t, env, "alice")
	usrPut(t, root, "alice", "bounded", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*",
		"Action":["iam:PutUserPolicy","iam:AttachUserPolicy","iam:PutRolePolicy","iam:AttachRolePolicy","iam:DeleteRolePermissionsBoundary","iam:GetRole"],
		"Condition":{"StringEquals":{"iam:PermissionsBoundary":"`+polReadARN+`"}}}]}`)
	for _, name := range []string{"bounded", "free"} {
		var boundary *string
		if name == "bounded" {
			boundary = aws.String(polReadARN)
		}
		_, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name), PermissionsBoundary: boundary})
		polMust(t, "CreateUser", err)
		_, err = root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trustB), PermissionsBoundary: boundary})
		polMust(t, "CreateRole", err)
	}
	for _, tc := range []struct {
		action string
		call   func(name string) error
	}{
		{"PutUserPolicy", func(name string) error {
			_, err := alice.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(polDocS3)})
			return err
		}},
		{"AttachUserPolicy", func(name string) error {
			_, err := alice.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(name), PolicyArn: aws.String(polReadARN)})
			return err
		}},
		{"PutRolePolicy", func(name string) error {
			_, err := alice.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(polDocS3)})
			return err
		}},
		{"AttachRolePolicy", func(name string) error {
			_, err := alice.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(polReadARN)})
			return err
		}},
		{"GetRole", func(name string) error {
			_, err := alice.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
			return err
		}},
		{"DeleteRolePermissionsBoundary", func(name string) error {
			_, err := alice.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String(name)})
			return err
		}},
	} {
		usrWant(t, tc.action+" without the boundary", tc.call("free"), "AccessDenied", "")
		if err := tc.call("bounded"); err != nil {
			t.Errorf("%s with the boundary: %v", tc.action, err)
		}
	}
}

// TestEntityMissingOrMisnamed checks that each family answers a missing
// entity alike: AccessDenied to a caller who may not act on the ARN it
// would have (whether it exists stays unknown), NoSuchEntity in the
// family's words to one who may, and ValidationError for a malformed name.
func TestEntityMissingOrMisnamed(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	root := env.RootIAM(testenv.AccountA)
	_, alice := usrWithKey(t, env, "alice")
	for _, tc := range []struct {
		what     string
		call     func(c *iam.Client, name string) error
		notFound string
	}{
		{"DeleteUser", func(c *iam.Client, name string) error {
			_, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(name)})
			return err
		}, "The user with name %s cannot be found."},
		{"DeleteGroupPolicy", func(c *iam.Client, name string) error {
			_, err := c.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: aws.String(name), PolicyName: aws.String("p")})
			return err
		}, "The group with name %s cannot be found."},
		{"GetRolePolicy", func(c *iam.Client, name string) error {
			_, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("p")})
			return err
		}, "The role with name %s cannot be found."},
		{"DeleteRole", func(c *iam.Client, name string) error {
			_, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(name)})
			return err
		}, "The role with name %s cannot be found."},
		{"TagRole", func(c *iam.Client, name string) error {
			_, err := c.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String(name), Tags: entTag})
			return err
		}, "The role with name %s cannot be found."},
		{"ListInstanceProfilesForRole", func(c *iam.Client, name string) error {
			_, err := c.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String(name)})
			return err
		}, "The role with name %s cannot be found."},
		{"UntagInstanceProfile", func(c *iam.Client, name string) error {
			_, err := c.UntagInstanceProfile(ctx, &iam.UntagInstanceProfileInput{InstanceProfileName: aws.String(name), TagKeys: []string{"team"}})
			return err
		}, "Instance Profile %s cannot be found."},
	} {
		usrWant(t, tc.what+" by alice", tc.call(alice, "nope"), "AccessDenied", "")
		usrWant(t, tc.what+" by root", tc.call(root, "nope"), "NoSuchEntity", fmt.Sprintf(tc.notFound, "nope"))
		usrWant(t, tc.what+" of a malformed name", tc.call(root, "a b"), "ValidationError", "")
	}
}
