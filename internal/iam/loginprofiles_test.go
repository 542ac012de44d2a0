package iam_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// credNotStored fails the test if secret appears in any file of the data
// directory (the store, its journal, anything): secrets are hashed or
// sealed at rest.
func credNotStored(t *testing.T, env *testenv.Env, what, secret string) {
	t.Helper()
	err := filepath.WalkDir(env.DataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s found in plain text in %s", what, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestLoginProfiles(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	root := env.RootIAM(testenv.AccountA)
	kimKey, kim := usrWithKey(t, env, "kim")
	usrCreate(t, root, "lee")
	usrPut(t, root, "kim", "self", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Action":["iam:ChangePassword","iam:GetLoginProfile"],"Resource":"arn:aws:iam::111111111111:user/${aws:username}"}]}`)
	const first, second = "Correct-Horse-1", "Battery Staple\t2"

	out, err := root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("kim"), Password: aws.String(first), PasswordResetRequired: true})
	if err != nil || aws.ToString(out.LoginProfile.UserName) != "kim" || !out.LoginProfile.PasswordResetRequired || out.LoginProfile.CreateDate == nil {
		t.Fatalf("CreateLoginProfile = %+v, %v", out, err)
	}
	credNotStored(t, env, "the password", first)
	got, err := root.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("KIM")})
	if err != nil || aws.ToString(got.LoginProfile.UserName) != "kim" || !got.LoginProfile.PasswordResetRequired {
		t.Fatalf("GetLoginProfile = %+v, %v", got, err)
	}
	// kim reads its own profile without naming itself.
	if own, err := kim.GetLoginProfile(ctx, &iam.GetLoginProfileInput{}); err != nil || aws.ToString(own.LoginProfile.UserName) != "kim" {
		t.Fatalf("kim's own GetLoginProfile = %+v, %v", own, err)
	}

	for _, tc := range []struct {
		name      string
		call      func() error
		code, msg string
	}{
		{"second profile", func() error {
			_, err := root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("kim"), Password: aws.String("x")})
			return err
		}, "EntityAlreadyExists", "Login Profile for user kim already exists."},
		{"missing user", func() error {
			_, err := root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("nope"), Password: aws.String("x")})
			return err
		}, "NoSuchEntity", "The user with name nope cannot be found."},
		{"password too long", func() error {
			_, err := root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("lee"), Password: aws.String(strings.Repeat("p", 129))})
			return err
		}, "ValidationError", ""},
		{"password with a control character", func() error {
			_, err := root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("lee"), Password: aws.String("a\x00b")})
			return err
		}, "ValidationError", ""},
		{"no password", func() error {
			_, err := root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("lee")})
			return err
		}, "ValidationError", ""},
		{"user without a profile", func() error {
			_, err := root.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("lee")})
			return err
		}, "NoSuchEntity", "Login Profile for User lee cannot be found."},
		{"update without a profile", func() error {
			_, err := root.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: aws.String("lee"), PasswordResetRequired: aws.Bool(true)})
			return err
		}, "NoSuchEntity", "Login Profile for User lee cannot be found."},
		{"root without a user name", func() error {
			_, err := root.GetLoginProfile(ctx, &iam.GetLoginProfileInput{})
			return err
		}, "ValidationError", "Must specify userName when calling with non-User credentials"},
		{"kim reads lee's", func() error {
			_, err := kim.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("lee")})
			return err
		}, "AccessDenied", ""},
		{"wrong current password", func() error {
			_, err := kim.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String("guess"), NewPassword: aws.String(second)})
			return err
		}, "AccessDenied", "The old password is incorrect."},
		{"root changes its password", func() error {
			_, err := root.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String(first), NewPassword: aws.String(second)})
			return err
		}, "InvalidUserType", ""},
	} {
		usrWant(t, tc.name, tc.call(), tc.code, tc.msg)
	}

	// kim changes its password: the old one no longer works, and the
	// reset flag is cleared.
	if _, err := kim.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String(first), NewPassword: aws.String(second)}); err != nil {
		t.Fatal(err)
	}
	_, err = kim.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String(first), NewPassword: aws.String("third")})
	usrWant(t, "the replaced password", err, "AccessDenied", "The old password is incorrect.")
	if got, err := root.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("kim")}); err != nil || got.LoginProfile.PasswordResetRequired {
		t.Fatalf("after ChangePassword = %+v, %v", got, err)
	}
	credNotStored(t, env, "the new password", second)

	// An administrator sets a password and requires a change; the hash
	// survives a restart.
	if _, err := root.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: aws.String("kim"), Password: aws.String(first), PasswordResetRequired: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	env.Restart()
	root = env.RootIAM(testenv.AccountA)
	if got, err := root.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("kim")}); err != nil || !got.LoginProfile.PasswordResetRequired {
		t.Fatalf("after restart = %+v, %v", got, err)
	}
	kim = keyClient(env, kimKey)
	_, err = kim.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String(second), NewPassword: aws.String("fourth")})
	usrWant(t, "the password the administrator replaced", err, "AccessDenied", "")
	if _, err := kim.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String(first), NewPassword: aws.String("fourth")}); err != nil {
		t.Fatalf("ChangePassword after restart: %v", err)
	}

	if _, err := root.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String("kim")}); err != nil {
		t.Fatal(err)
	}
	_, err = root.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String("kim")})
	usrWant(t, "delete again", err, "NoSuchEntity", "Login Profile for User kim cannot be found.")
	_, err = kim.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String("fourth"), NewPassword: aws.String("fifth")})
	usrWant(t, "ChangePassword without a profile", err, "NoSuchEntity", "Login Profile for User kim cannot be found.")
}
