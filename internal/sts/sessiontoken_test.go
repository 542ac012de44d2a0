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
