package iam_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// acctPolicy returns the account's password policy, failing the test on
// error.
func acctPolicy(t *testing.T, c *iam.Client) *types.PasswordPolicy {
	t.Helper()
	out, err := c.GetAccountPasswordPolicy(context.Background(), &iam.GetAccountPasswordPolicyInput{})
	if err != nil {
		t.Fatalf("GetAccountPasswordPolicy: %v", err)
	}
	return out.PasswordPolicy
}

// acctSummary returns the account's summary map, failing the test on
// error.
func acctSummary(t *testing.T, c *iam.Client) map[string]int32 {
	t.Helper()
	out, err := c.GetAccountSummary(context.Background(), &iam.GetAccountSummaryInput{})
	if err != nil {
		t.Fatalf("GetAccountSummary: %v", err)
	}
	return out.SummaryMap
}

func TestAccountPasswordPolicy(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)

	notFound := "The Password Policy with domain name " + testenv.AccountA + " cannot be found."
	_, err := c.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	usrWant(t, "no policy yet", err, "NoSuchEntity", notFound)
	_, err = c.DeleteAccountPasswordPolicy(ctx, &iam.DeleteAccountPasswordPolicyInput{})
	usrWant(t, "delete none", err, "NoSuchEntity", "The account policy with name PasswordPolicy cannot be found.")

	// Every field left out takes its default.
	_, err = c.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{})
	polMust(t, "UpdateAccountPasswordPolicy", err)
	p := acctPolicy(t, c)
	if aws.ToInt32(p.MinimumPasswordLength) != 6 || p.ExpirePasswords || p.MaxPasswordAge != nil || p.PasswordReusePrevention != nil || p.HardExpiry != nil ||
		p.RequireSymbols || p.RequireNumbers || p.RequireUppercaseCharacters || p.RequireLowercaseCharacters || p.AllowUsersToChangePassword {
		t.Errorf("default policy = %+v", p)
	}
	_, err = c.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{
		MinimumPasswordLength: aws.Int32(14), RequireSymbols: true, RequireNumbers: true, RequireUppercaseCharacters: true,
		RequireLowercaseCharacters: true, AllowUsersToChangePassword: true, MaxPasswordAge: aws.Int32(90),
		PasswordReusePrevention: aws.Int32(24), HardExpiry: aws.Bool(false),
	})
	polMust(t, "UpdateAccountPasswordPolicy", err)
	check := func(stage string, p *types.PasswordPolicy) {
		t.Helper()
		if aws.ToInt32(p.MinimumPasswordLength) != 14 || !p.ExpirePasswords || aws.ToInt32(p.MaxPasswordAge) != 90 || aws.ToInt32(p.PasswordReusePrevention) != 24 ||
			p.HardExpiry == nil || *p.HardExpiry || !p.RequireSymbols || !p.RequireNumbers || !p.RequireUppercaseCharacters || !p.RequireLowercaseCharacters || !p.AllowUsersToChangePassword {
			t.Errorf("%s: policy = %+v", stage, p)
		}
	}
	check("updated", acctPolicy(t, c))

	for _, tc := range []struct {
		what string
		in   iam.UpdateAccountPasswordPolicyInput
		msg  string
	}{
		{"length 5", iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(5)}, "1 validation error detected: Value '5' at 'minimumPasswordLength' failed to satisfy constraint: Member must have value greater than or equal to 6"},
		{"length 129", iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(129)}, "1 validation error detected: Value '129' at 'minimumPasswordLength' failed to satisfy constraint: Member must have value less than or equal to 128"},
		{"age 0", iam.UpdateAccountPasswordPolicyInput{MaxPasswordAge: aws.Int32(0)}, ""},
		{"age 1096", iam.UpdateAccountPasswordPolicyInput{MaxPasswordAge: aws.Int32(1096)}, ""},
		{"reuse 0", iam.UpdateAccountPasswordPolicyInput{PasswordReusePrevention: aws.Int32(0)}, ""},
		{"reuse 25", iam.UpdateAccountPasswordPolicyInput{PasswordReusePrevention: aws.Int32(25)}, ""},
	} {
		_, err := c.UpdateAccountPasswordPolicy(ctx, &tc.in)
		usrWant(t, tc.what, err, "ValidationError", tc.msg)
	}
	check("after refused updates", acctPolicy(t, c))
	// Account B has its own (none).
	_, err = env.RootIAM(testenv.AccountB).GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	usrWant(t, "account B", err, "NoSuchEntity", "The Password Policy with domain name "+testenv.AccountB+" cannot be found.")

	env.Restart()
	c = env.RootIAM(testenv.AccountA)
	check("after restart", acctPolicy(t, c))

	// Authorization: the account-level actions, on "*".
	_, alice := usrWithKey(t, env, "alice")
	_, err = alice.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	usrWant(t, "alice reads", err, "AccessDenied", usrDenied("iam:GetAccountPasswordPolicy", "*", "because no identity-based policy allows the iam:GetAccountPasswordPolicy action"))
	_, err = alice.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{})
	usrWant(t, "alice updates", err, "AccessDenied", "")
	_, err = alice.DeleteAccountPasswordPolicy(ctx, &iam.DeleteAccountPasswordPolicyInput{})
	usrWant(t, "alice deletes", err, "AccessDenied", "")
	usrPut(t, c, "alice", "read", usrAllow("iam:GetAccountPasswordPolicy", "*"))
	check("alice reads", acctPolicy(t, alice))

	_, err = c.DeleteAccountPasswordPolicy(ctx, &iam.DeleteAccountPasswordPolicyInput{})
	polMust(t, "DeleteAccountPasswordPolicy", err)
	_, err = c.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	usrWant(t, "deleted", err, "NoSuchEntity", notFound)
	env.Restart()
	_, err = env.RootIAM(testenv.AccountA).GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	usrWant(t, "deleted, after restart", err, "NoSuchEntity", notFound)
}

func TestSecurityTokenServicePreferences(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)

	if v := acctSummary(t, c)["GlobalEndpointTokenVersion"]; v != 1 {
		t.Errorf("default GlobalEndpointTokenVersion = %d, want 1", v)
	}
	_, err := c.SetSecurityTokenServicePreferences(ctx, &iam.SetSecurityTokenServicePreferencesInput{GlobalEndpointTokenVersion: types.GlobalEndpointTokenVersionV2Token})
	polMust(t, "SetSecurityTokenServicePreferences", err)
	if v := acctSummary(t, c)["GlobalEndpointTokenVersion"]; v != 2 {
		t.Errorf("GlobalEndpointTokenVersion = %d, want 2", v)
	}
	if v := acctSummary(t, env.RootIAM(testenv.AccountB))["GlobalEndpointTokenVersion"]; v != 1 {
		t.Errorf("account B's GlobalEndpointTokenVersion = %d, want 1", v)
	}
	_, err = c.SetSecurityTokenServicePreferences(ctx, &iam.SetSecurityTokenServicePreferencesInput{GlobalEndpointTokenVersion: "v3Token"})
	usrWant(t, "v3Token", err, "ValidationError", "1 validation error detected: Value 'v3Token' at 'globalEndpointTokenVersion' failed to satisfy constraint: Member must satisfy enum value set: [v1Token, v2Token]")
	_, alice := usrWithKey(t, env, "alice")
	_, err = alice.SetSecurityTokenServicePreferences(ctx, &iam.SetSecurityTokenServicePreferencesInput{GlobalEndpointTokenVersion: types.GlobalEndpointTokenVersionV1Token})
	usrWant(t, "alice sets", err, "AccessDenied", "")

	env.Restart()
	c = env.RootIAM(testenv.AccountA)
	if v := acctSummary(t, c)["GlobalEndpointTokenVersion"]; v != 2 {
		t.Errorf("GlobalEndpointTokenVersion after restart = %d, want 2", v)
	}
	_, err = c.SetSecurityTokenServicePreferences(ctx, &iam.SetSecurityTokenServicePreferencesInput{GlobalEndpointTokenVersion: types.GlobalEndpointTokenVersionV1Token})
	polMust(t, "back to v1Token", err)
	if v := acctSummary(t, c)["GlobalEndpointTokenVersion"]; v != 1 {
		t.Errorf("GlobalEndpointTokenVersion = %d, want 1", v)
	}
}

func TestAccountSummary(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)

	empty := acctSummary(t, c)
	for _, k := range []string{"Users", "Groups", "Roles", "Policies", "InstanceProfiles", "Providers", "ServerCertificates", "MFADevices", "MFADevicesInUse", "AccountMFAEnabled", "PolicyVersionsInUse"} {
		if v, ok := empty[k]; !ok || v != 0 {
			t.Errorf("empty account: %s = %d (present %v), want 0", k, v, ok)
		}
	}
	for k, want := range map[string]int32{
		"UsersQuota": 5000, "GroupsQuota": 300, "RolesQuota": 1000, "InstanceProfilesQuota": 1000, "PoliciesQuota": 1500,
		"ServerCertificatesQuota": 20, "AccessKeysPerUserQuota": 2, "SigningCertificatesPerUserQuota": 2, "GroupsPerUserQuota": 10,
		"AttachedPoliciesPerUserQuota": 10, "AttachedPoliciesPerGroupQuota": 10, "AttachedPoliciesPerRoleQuota": 10,
		"VersionsPerPolicyQuota": 5, "PolicySizeQuota": 6144, "UserPolicySizeQuota": 2048, "GroupPolicySizeQuota": 5120,
		"RolePolicySizeQuota": 10240, "AssumeRolePolicySizeQuota": 2048, "PolicyVersionsInUseQuota": 10000,
		"AccountAccessKeysPresent": 1, "GlobalEndpointTokenVersion": 1,
	} {
		if empty[k] != want {
			t.Errorf("%s = %d, want %d", k, empty[k], want)
		}
	}
	for k := range empty {
		if !isSummaryKey(k) {
			t.Errorf("key %s is not one of IAM's summary keys", k)
		}
	}

	// Count what the account holds.
	usrCreate(t, c, "u1", "u2")
	grpCreate(t, c, "g1")
	polMust(t, "CreateRole", usrCreateRole(c, "r1"))
	slrCreate(t, c, "eks.amazonaws.com", "") // a role with an AWS managed policy attached
	polCreate(t, c, "p1", polDocS3)
	usrAttach(t, c, "u1", "ReadOnlyAccess")
	ipCreate(t, c, "ip1", "")
	oidcCreate(t, c, "https://issuer.example.com")
	_, err := c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("idp"), SAMLMetadataDocument: aws.String(samlIdP(t, ""))})
	polMust(t, "CreateSAMLProvider", err)
	cert := srvCertIssue(t, "www.example.com", nil, time.Now().Add(time.Hour), false)
	_, err = c.UploadServerCertificate(ctx, &iam.UploadServerCertificateInput{ServerCertificateName: aws.String("www"), CertificateBody: aws.String(cert.certPEM), PrivateKey: aws.String(cert.keyPEM)})
	polMust(t, "UploadServerCertificate", err)

	want := map[string]int32{"Users": 2, "Groups": 1, "Roles": 2, "Policies": 1, "InstanceProfiles": 1, "Providers": 2, "ServerCertificates": 1, "PolicyVersionsInUse": 2}
	check := func(stage string) {
		t.Helper()
		got := acctSummary(t, c)
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %s = %d, want %d", stage, k, got[k], v)
			}
		}
	}
	check("populated")
	if b := acctSummary(t, env.RootIAM(testenv.AccountB)); b["Users"] != 0 || b["Roles"] != 0 {
		t.Errorf("account B counts account A's entities: %v", b)
	}
	env.Restart()
	c = env.RootIAM(testenv.AccountA)
	check("after restart")

	_, alice := usrWithKey(t, env, "alice")
	_, err = alice.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	usrWant(t, "alice reads", err, "AccessDenied", usrDenied("iam:GetAccountSummary", "*", "because no identity-based policy allows the iam:GetAccountSummary action"))
}

// isSummaryKey says whether k is one of IAM's summaryKeyType values.
func isSummaryKey(k string) bool {
	for _, v := range types.SummaryKeyType("").Values() {
		if string(v) == k {
			return true
		}
	}
	return false
}
