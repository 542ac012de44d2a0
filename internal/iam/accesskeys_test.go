package iam_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// keyCreate creates an access key for user ("" for the caller), failing
// the test on error.
func keyCreate(t *testing.T, c *iam.Client, user string) *types.AccessKey {
	t.Helper()
	in := &iam.CreateAccessKeyInput{}
	if user != "" {
		in.UserName = aws.String(user)
	}
	out, err := c.CreateAccessKey(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateAccessKey %q: %v", user, err)
	}
	return out.AccessKey
}

// keyClient returns an IAM client signing with k.
func keyClient(env *testenv.Env, k *types.AccessKey) *iam.Client {
	return env.IAM(aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey))
}

// keyIDs lists the IDs and statuses of access keys.
func keyIDs(keys []types.AccessKeyMetadata) []string {
	var out []string
	for _, k := range keys {
		out = append(out, aws.ToString(k.AccessKeyId)+":"+string(k.Status))
	}
	return out
}

func TestAccessKeys(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	usrCreate(t, c, "kim", "lee")
	kim := aws.String("kim")

	k1 := keyCreate(t, c, "kim")
	if id := aws.ToString(k1.AccessKeyId); !strings.HasPrefix(id, "AKIA") || len(id) != 20 || len(aws.ToString(k1.SecretAccessKey)) != 40 ||
		k1.Status != types.StatusTypeActive || aws.ToString(k1.UserName) != "kim" || k1.CreateDate == nil {
		t.Fatalf("CreateAccessKey = %+v", k1)
	}
	// The new key signs requests at once, as kim (who may do nothing yet).
	if _, err := keyClient(env, k1).GetUser(ctx, &iam.GetUserInput{}); testenv.ErrorCode(err) != "AccessDenied" ||
		!strings.HasPrefix(usrMessage(err), "User: arn:aws:iam::111111111111:user/kim is not authorized to perform: iam:GetUser on resource: user kim") {
		t.Fatalf("kim's GetUser: %v", err)
	}
	k2 := keyCreate(t, c, "kim")
	_, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: kim})
	usrWant(t, "third key", err, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")
	_, err = c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("nope")})
	usrWant(t, "key for a missing user", err, "NoSuchEntity", "The user with name nope cannot be found.")

	want := []string{aws.ToString(k1.AccessKeyId) + ":Active", aws.ToString(k2.AccessKeyId) + ":Active"}
	slices.Sort(want)
	list, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: kim})
	if err != nil || !slices.Equal(keyIDs(list.AccessKeyMetadata), want) || aws.ToString(list.AccessKeyMetadata[0].UserName) != "kim" {
		t.Fatalf("ListAccessKeys = %+v, %v", list, err)
	}
	page, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: kim, MaxItems: aws.Int32(1)})
	if err != nil || len(page.AccessKeyMetadata) != 1 || !page.IsTruncated || aws.ToString(page.Marker) != want[1][:20] {
		t.Fatalf("ListAccessKeys page = %+v, %v", page, err)
	}
	if l, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("lee")}); err != nil || len(l.AccessKeyMetadata) != 0 {
		t.Fatalf("lee's keys = %+v, %v", l, err)
	}

	// Inactive keys are listed as such; a key is found only with its owner.
	if _, err := c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: kim, AccessKeyId: k1.AccessKeyId, Status: types.StatusTypeInactive}); err != nil {
		t.Fatal(err)
	}
	_, err = c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: kim, AccessKeyId: k1.AccessKeyId, Status: "Sleepy"})
	usrWant(t, "bad status", err, "ValidationError", "")
	_, err = c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("lee"), AccessKeyId: k1.AccessKeyId, Status: types.StatusTypeActive})
	usrWant(t, "someone else's key", err, "NoSuchEntity", "The Access Key with id "+aws.ToString(k1.AccessKeyId)+" cannot be found.")
	_, err = c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: kim, AccessKeyId: aws.String("AKIAAAAAAAAAAAAAAAAA")})
	usrWant(t, "delete a missing key", err, "NoSuchEntity", "The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found.")
	list, err = c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: kim})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range list.AccessKeyMetadata {
		wantStatus := types.StatusTypeActive
		if aws.ToString(k.AccessKeyId) == aws.ToString(k1.AccessKeyId) {
			wantStatus = types.StatusTypeInactive
		}
		if k.Status != wantStatus {
			t.Errorf("key %s status %s, want %s", aws.ToString(k.AccessKeyId), k.Status, wantStatus)
		}
	}

	last, err := c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k2.AccessKeyId})
	if err != nil || aws.ToString(last.UserName) != "kim" || last.AccessKeyLastUsed == nil || aws.ToString(last.AccessKeyLastUsed.ServiceName) != "N/A" {
		t.Fatalf("GetAccessKeyLastUsed = %+v, %v", last, err)
	}
	_, err = env.RootIAM(testenv.AccountB).GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k2.AccessKeyId})
	usrWant(t, "another account's key", err, "NoSuchEntity", "")

	// Keys survive a restart, secrets included.
	env.Restart()
	c = env.RootIAM(testenv.AccountA)
	if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: kim, PolicyName: aws.String("self"), PolicyDocument: aws.String(usrAllow("iam:GetUser", "*"))}); err != nil {
		t.Fatal(err)
	}
	if got, err := keyClient(env, k2).GetUser(ctx, &iam.GetUserInput{}); err != nil || aws.ToString(got.User.UserName) != "kim" {
		t.Fatalf("k2 after restart: %+v, %v", got, err)
	}
	if _, err := keyClient(env, k1).GetUser(ctx, &iam.GetUserInput{}); testenv.ErrorCode(err) != "InvalidClientTokenId" {
		t.Fatalf("inactive k1 after restart: %v", err)
	}
	list, err = c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: kim})
	if err != nil || len(list.AccessKeyMetadata) != 2 {
		t.Fatalf("ListAccessKeys after restart = %+v, %v", list, err)
	}
	for _, k := range []*types.AccessKey{k1, k2} {
		if _, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: kim, AccessKeyId: k.AccessKeyId}); err != nil {
			t.Fatal(err)
		}
	}
	if l, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: kim}); err != nil || len(l.AccessKeyMetadata) != 0 {
		t.Fatalf("after delete: %+v, %v", l, err)
	}
}

func TestRootAccessKeys(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	rootID, _ := env.RootKey(testenv.AccountA)

	list, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	if err != nil || len(list.AccessKeyMetadata) != 1 || aws.ToString(list.AccessKeyMetadata[0].AccessKeyId) != rootID {
		t.Fatalf("root's keys = %+v, %v", list, err)
	}
	k := keyCreate(t, c, "")
	if k.UserName != nil {
		t.Errorf("root key has UserName %q", aws.ToString(k.UserName))
	}
	got, err := keyClient(env, k).GetUser(ctx, &iam.GetUserInput{})
	if err != nil || aws.ToString(got.User.Arn) != "arn:aws:iam::111111111111:root" {
		t.Fatalf("second root key signs as %+v, %v", got, err)
	}
	_, err = c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
	usrWant(t, "third root key", err, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")
	// Users' keys are not the root user's.
	usrCreate(t, c, "mo")
	keyCreate(t, c, "mo")
	if list, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{}); err != nil || len(list.AccessKeyMetadata) != 2 {
		t.Fatalf("root's keys = %+v, %v", list, err)
	}
	if _, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: k.AccessKeyId}); err != nil {
		t.Fatal(err)
	}
	if _, err := keyClient(env, k).GetUser(ctx, &iam.GetUserInput{}); testenv.ErrorCode(err) != "InvalidClientTokenId" {
		t.Fatalf("deleted root key: %v", err)
	}
	// Account B cannot touch account A's root key.
	_, err = env.RootIAM(testenv.AccountB).DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: aws.String(rootID)})
	usrWant(t, "other account's root key", err, "NoSuchEntity", "")
}
