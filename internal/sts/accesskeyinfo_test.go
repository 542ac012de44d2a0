package sts_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// GetAccessKeyInfo names the account of long-term keys (looked up) and
// of temporary ones (decoded from the key ID, as AWS does).
func TestGetAccessKeyInfo(t *testing.T) {
	env := startWorld(t, seed001)
	ctx := context.Background()
	rootA, _ := env.RootKey(testenv.AccountA)
	// A role session of account A, reached from account B.
	b := sts.NewFromConfig(env.Config(deployerKey, deployerSecret, ""))
	viaB, err := b.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::222222222222:role/account-b-role"), RoleSessionName: aws.String("hop")})
	if err != nil {
		t.Fatal(err)
	}
	sess := viaB.Credentials
	inB := sts.NewFromConfig(env.Config(aws.ToString(sess.AccessKeyId), aws.ToString(sess.SecretAccessKey), aws.ToString(sess.SessionToken)))
	toA, err := inB.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/account-a-role"), RoleSessionName: aws.String("hop2")})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ key, account string }{
		{rootA, testenv.AccountA},
		{deployerKey, testenv.AccountB},
		{aws.ToString(sess.AccessKeyId), testenv.AccountB},
		{aws.ToString(toA.Credentials.AccessKeyId), testenv.AccountA},
		{"ASIAY34FZKBOKMUTVV7A", "609629065308"}, // a key ID from AWS's documentation
	}
	for _, c := range cases {
		out, err := b.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String(c.key)})
		if err != nil {
			t.Errorf("%s: %v", c.key, err)
			continue
		}
		if got := aws.ToString(out.Account); got != c.account {
			t.Errorf("%s: account %s, want %s", c.key, got, c.account)
		}
	}
	if _, err := b.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String("AKIA!!!!!!!!!!!!!!!!")}); testenv.ErrorCode(err) != "InvalidParameterValue" {
		t.Errorf("malformed key ID: want InvalidParameterValue, got %v", err)
	}
}
