package sts_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// Credentials from GetSessionToken cannot call IAM without MFA (AWS
// answers InvalidClientTokenId), but may call AssumeRole and
// GetCallerIdentity.
func TestGetSessionTokenCredentialsAndIAM(t *testing.T) {
	env := startWorld(t, seed001)
	ctx := context.Background()
	out, err := sts.NewFromConfig(env.Config(deployerKey, deployerSecret, "")).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	cfg := env.Config(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	if _, err := iam.NewFromConfig(cfg).ListRoles(ctx, &iam.ListRolesInput{}); testenv.ErrorCode(err) != "InvalidClientTokenId" {
		t.Errorf("IAM with GetSessionToken credentials: want InvalidClientTokenId, got %v", err)
	}
	s := sts.NewFromConfig(cfg)
	id, err := s.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Arn) != "arn:aws:iam::222222222222:user/deployer" {
		t.Errorf("GetCallerIdentity: %v, %v", id, err)
	}
	if _, err := s.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::222222222222:role/account-b-role"), RoleSessionName: aws.String("mfa-less")}); err != nil {
		t.Errorf("AssumeRole with GetSessionToken credentials: %v", err)
	}
}

// A GetSessionToken session belongs to its user, not to the user's name:
// once the user is deleted and another is created under the same name,
// the old session has no permissions (the new user's included) and still
// reports the old user's ID, as a role session of a re-created role does.
func TestSessionTokenBoundToUserID(t *testing.T) {
	env := startWorld(t, seed001)
	ctx := context.Background()
	root := env.RootIAM(testenv.AccountB)
	const open = "arn:aws:iam::222222222222:role/open"
	if _, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("open"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		t.Fatal(err)
	}
	// createTemp creates user "temp" with a key, allowed to assume "open"
	// when allowed is set, and returns its GetSessionToken credentials
	// and its user ID.
	createTemp := func(allowed bool) (aws.Config, string) {
		t.Helper()
		u, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("temp")})
		if err != nil {
			t.Fatal(err)
		}
		if allowed {
			if _, err := root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("temp"), PolicyName: aws.String("assume"),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"` + open + `"}]}`)}); err != nil {
				t.Fatal(err)
			}
		}
		k, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("temp")})
		if err != nil {
			t.Fatal(err)
		}
		out, err := sts.NewFromConfig(env.Config(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), "")).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
		if err != nil {
			t.Fatal(err)
		}
		c := out.Credentials
		return env.Config(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)), aws.ToString(u.User.UserId)
	}
	assume := func(cfg aws.Config) error {
		_, err := sts.NewFromConfig(cfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(open), RoleSessionName: aws.String("s1")})
		return err
	}
	oldSession, oldID := createTemp(false)
	if err := assume(oldSession); testenv.ErrorCode(err) != "AccessDenied" {
		t.Fatalf("the first temp, without permissions: %v", err)
	}
	keys, err := root.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("temp")})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys.AccessKeyMetadata {
		if _, err := root.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("temp"), AccessKeyId: k.AccessKeyId}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("temp")}); err != nil {
		t.Fatal(err)
	}
	newSession, newID := createTemp(true)
	if oldID == newID {
		t.Fatalf("the re-created user kept ID %s", oldID)
	}
	if err := assume(newSession); err != nil {
		t.Fatalf("the new temp's own session: %v", err)
	}
	if err := assume(oldSession); testenv.ErrorCode(err) != "AccessDenied" {
		t.Fatalf("the first temp's session with the new temp's permissions: %v, want AccessDenied", err)
	}
	id, err := sts.NewFromConfig(oldSession).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(id.UserId) != oldID {
		t.Fatalf("the old session says it is %s, want the first temp's %s", aws.ToString(id.UserId), oldID)
	}
}
