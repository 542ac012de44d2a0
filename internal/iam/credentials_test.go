package iam_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// TestDeleteUserCredentialConflicts checks that a user with any kind of
// credential can't be deleted, with IAM's message for each kind.
func TestDeleteUserCredentialConflicts(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	usrCreate(t, c, "carol")
	carol := aws.String("carol")
	serial, seed := credMFA(t, c, "carol-phone")
	sshLine, _, _ := credRSAKey(t, 2048)
	for _, step := range []struct {
		setup func() func() error // returns the undo
		msg   string
	}{
		{func() func() error {
			_, err := c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: carol, Password: aws.String("pw")})
			polMust(t, "CreateLoginProfile", err)
			return func() error {
				_, err := c.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: carol})
				return err
			}
		}, "Cannot delete entity, must delete login profile first."},
		{func() func() error {
			cert := credUploadCert(t, c, "carol", credCert(t, "carol"))
			return func() error {
				_, err := c.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{UserName: carol, CertificateId: cert.CertificateId})
				return err
			}
		}, "Cannot delete entity, must delete certificates first."},
		{func() func() error {
			credEnableMFA(t, c, "carol", serial, seed)
			return func() error {
				_, err := c.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: carol, SerialNumber: aws.String(serial)})
				return err
			}
		}, "Cannot delete entity, must delete MFA device first."},
		{func() func() error {
			k := credUploadSSH(t, c, "carol", sshLine)
			return func() error {
				_, err := c.DeleteSSHPublicKey(ctx, &iam.DeleteSSHPublicKeyInput{UserName: carol, SSHPublicKeyId: k.SSHPublicKeyId})
				return err
			}
		}, "Cannot delete entity, must remove referenced objects first."},
		{func() func() error {
			sc := credCreateSSC(t, c, "carol", credCodeCommit)
			return func() error {
				_, err := c.DeleteServiceSpecificCredential(ctx, &iam.DeleteServiceSpecificCredentialInput{UserName: carol, ServiceSpecificCredentialId: sc.ServiceSpecificCredentialId})
				return err
			}
		}, "Cannot delete entity, must remove referenced objects first."},
	} {
		undo := step.setup()
		_, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: carol})
		usrWant(t, "DeleteUser", err, "DeleteConflict", step.msg)
		if err := undo(); err != nil {
			t.Fatal(err)
		}
	}
	// An unassigned device is the account's, not the user's.
	polMust(t, "DeleteUser", func() error { _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: carol}); return err }())
	// A user re-created under the name has none of the old one's.
	usrCreate(t, c, "carol")
	if l, err := c.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: carol}); err != nil || len(l.MFADevices) != 0 {
		t.Fatalf("new carol's MFA devices = %+v, %v", l, err)
	}
}

// TestUserForceDestroy gives a user one credential of each kind, group
// membership and policies, restarts the server, then deletes the user as
// Terraform's aws_iam_user with force_destroy does: list and delete each
// kind, then DeleteUser.
func TestUserForceDestroy(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	usrCreate(t, c, "dana")
	dana := aws.String("dana")
	_, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")})
	polMust(t, "CreateGroup", err)
	_, err = c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: dana})
	polMust(t, "AddUserToGroup", err)
	usrPut(t, c, "dana", "inline", usrAllow("s3:GetObject", "*"))
	usrAttach(t, c, "dana", "ReadOnlyAccess")
	keyCreate(t, c, "dana")
	_, err = c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: dana, Password: aws.String("pw"), PasswordResetRequired: true})
	polMust(t, "CreateLoginProfile", err)
	sshLine, _, _ := credRSAKey(t, 2048)
	credUploadSSH(t, c, "dana", sshLine)
	credCreateSSC(t, c, "dana", credCodeCommit)
	credUploadCert(t, c, "dana", credCert(t, "dana"))
	serial, seed := credMFA(t, c, "dana-phone")
	credEnableMFA(t, c, "dana", serial, seed)

	env.Restart()
	c = env.RootIAM(testenv.AccountA)
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: dana})
	usrWant(t, "DeleteUser after restart", err, "DeleteConflict", "Cannot delete entity, must delete login profile first.")

	// resourceUserDelete: group memberships, then with force_destroy each
	// kind in the provider's order.
	groups, err := c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: dana})
	polMust(t, "ListGroupsForUser", err)
	for _, g := range groups.Groups {
		_, err := c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: g.GroupName, UserName: dana})
		polMust(t, "RemoveUserFromGroup", err)
	}
	inline, err := c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: dana})
	polMust(t, "ListUserPolicies", err)
	for _, p := range inline.PolicyNames {
		_, err := c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: dana, PolicyName: aws.String(p)})
		polMust(t, "DeleteUserPolicy", err)
	}
	attached, err := c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: dana})
	polMust(t, "ListAttachedUserPolicies", err)
	for _, p := range attached.AttachedPolicies {
		_, err := c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: dana, PolicyArn: p.PolicyArn})
		polMust(t, "DetachUserPolicy", err)
	}
	keys, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: dana})
	polMust(t, "ListAccessKeys", err)
	for _, k := range keys.AccessKeyMetadata {
		_, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: dana, AccessKeyId: k.AccessKeyId})
		polMust(t, "DeleteAccessKey", err)
	}
	sshKeys := iam.NewListSSHPublicKeysPaginator(c, &iam.ListSSHPublicKeysInput{UserName: dana})
	for sshKeys.HasMorePages() {
		page, err := sshKeys.NextPage(ctx)
		polMust(t, "ListSSHPublicKeys", err)
		for _, k := range page.SSHPublicKeys {
			_, err := c.DeleteSSHPublicKey(ctx, &iam.DeleteSSHPublicKeyInput{UserName: dana, SSHPublicKeyId: k.SSHPublicKeyId})
			polMust(t, "DeleteSSHPublicKey", err)
		}
	}
	devices := iam.NewListVirtualMFADevicesPaginator(c, &iam.ListVirtualMFADevicesInput{AssignmentStatus: types.AssignmentStatusTypeAssigned})
	found := 0
	for devices.HasMorePages() {
		page, err := devices.NextPage(ctx)
		polMust(t, "ListVirtualMFADevices", err)
		for _, d := range page.VirtualMFADevices {
			if aws.ToString(d.User.UserName) != "dana" {
				continue
			}
			found++
			_, err := c.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: dana, SerialNumber: d.SerialNumber})
			polMust(t, "DeactivateMFADevice", err)
			_, err = c.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: d.SerialNumber})
			polMust(t, "DeleteVirtualMFADevice", err)
		}
	}
	if found != 1 {
		t.Errorf("found %d of dana's virtual MFA devices, want 1", found)
	}
	mfa, err := c.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: dana})
	polMust(t, "ListMFADevices", err)
	if len(mfa.MFADevices) != 0 {
		t.Errorf("dana still has MFA devices %+v", mfa.MFADevices)
	}
	_, err = c.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: dana})
	polMust(t, "DeleteLoginProfile", err)
	certs := iam.NewListSigningCertificatesPaginator(c, &iam.ListSigningCertificatesInput{UserName: dana})
	for certs.HasMorePages() {
		page, err := certs.NextPage(ctx)
		polMust(t, "ListSigningCertificates", err)
		for _, cert := range page.Certificates {
			_, err := c.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{UserName: dana, CertificateId: cert.CertificateId})
			polMust(t, "DeleteSigningCertificate", err)
		}
	}
	creds, err := c.ListServiceSpecificCredentials(ctx, &iam.ListServiceSpecificCredentialsInput{UserName: dana})
	polMust(t, "ListServiceSpecificCredentials", err)
	for _, sc := range creds.ServiceSpecificCredentials {
		_, err := c.DeleteServiceSpecificCredential(ctx, &iam.DeleteServiceSpecificCredentialInput{UserName: dana, ServiceSpecificCredentialId: sc.ServiceSpecificCredentialId})
		polMust(t, "DeleteServiceSpecificCredential", err)
	}
	if _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: dana}); err != nil {
		t.Fatalf("DeleteUser after force destroy: %v", err)
	}
}

// TestCredentialsAuthorizeOnUser checks that credential operations are
// authorized on the user's ARN with its tags as aws:ResourceTag/…, and
// that a missing user is hidden from a caller who may not act on it.
func TestCredentialsAuthorizeOnUser(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	root := env.RootIAM(testenv.AccountA)
	_, alice := usrWithKey(t, env, "alice")
	usrPut(t, root, "alice", "blue", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*",
		"Action":["iam:ListSSHPublicKeys","iam:ListSigningCertificates","iam:ListServiceSpecificCredentials","iam:ListMFADevices","iam:GetLoginProfile"],
		"Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}}]}`)
	_, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("blue"), Tags: entTag})
	polMust(t, "CreateUser", err)
	usrCreate(t, root, "plain")
	for _, tc := range []struct {
		action string
		call   func(user string) error
	}{
		{"ListSSHPublicKeys", func(user string) error {
			_, err := alice.ListSSHPublicKeys(ctx, &iam.ListSSHPublicKeysInput{UserName: aws.String(user)})
			return err
		}},
		{"ListSigningCertificates", func(user string) error {
			_, err := alice.ListSigningCertificates(ctx, &iam.ListSigningCertificatesInput{UserName: aws.String(user)})
			return err
		}},
		{"ListServiceSpecificCredentials", func(user string) error {
			_, err := alice.ListServiceSpecificCredentials(ctx, &iam.ListServiceSpecificCredentialsInput{UserName: aws.String(user)})
			return err
		}},
		{"ListMFADevices", func(user string) error {
			_, err := alice.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String(user)})
			return err
		}},
	} {
		if err := tc.call("blue"); err != nil {
			t.Errorf("%s of the team=blue user: %v", tc.action, err)
		}
		usrWant(t, tc.action+" of the untagged user", tc.call("plain"), "AccessDenied",
			usrDenied("iam:"+tc.action, "user plain", "because no identity-based policy allows the iam:"+tc.action+" action"))
		usrWant(t, tc.action+" of a missing user", tc.call("nope"), "AccessDenied", "")
	}
	_, err = alice.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("blue")})
	usrWant(t, "GetLoginProfile of the team=blue user without one", err, "NoSuchEntity", "Login Profile for User blue cannot be found.")
}

// TestRenamedUserKeepsCredentials checks that a user's credentials follow
// it through UpdateUser, under its new name.
func TestRenamedUserKeepsCredentials(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	usrCreate(t, c, "eve")
	_, err := c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("eve"), Password: aws.String("pw")})
	polMust(t, "CreateLoginProfile", err)
	sshLine, _, _ := credRSAKey(t, 2048)
	k := credUploadSSH(t, c, "eve", sshLine)
	serial, seed := credMFA(t, c, "eve-phone")
	credEnableMFA(t, c, "eve", serial, seed)
	_, err = c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("eve"), NewUserName: aws.String("eva")})
	polMust(t, "UpdateUser", err)

	eva := aws.String("eva")
	if p, err := c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: eva}); err != nil || aws.ToString(p.LoginProfile.UserName) != "eva" {
		t.Errorf("login profile after rename = %+v, %v", p, err)
	}
	if got, err := c.GetSSHPublicKey(ctx, &iam.GetSSHPublicKeyInput{UserName: eva, SSHPublicKeyId: k.SSHPublicKeyId, Encoding: types.EncodingTypeSsh}); err != nil || aws.ToString(got.SSHPublicKey.UserName) != "eva" {
		t.Errorf("SSH key after rename = %+v, %v", got, err)
	}
	if l, err := c.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: eva}); err != nil || len(l.MFADevices) != 1 || aws.ToString(l.MFADevices[0].UserName) != "eva" {
		t.Errorf("MFA devices after rename = %+v, %v", l, err)
	}
	_, err = c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("eve")})
	usrWant(t, "the old name", err, "NoSuchEntity", "The user with name eve cannot be found.")
}
