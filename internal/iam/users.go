package iam

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/internal/directory"
)

// GetUser returns the named user, or the caller when no name is given
// (for the root user: its account ID and root ARN, as AWS answers).
func (s *Service) GetUser(_ context.Context, caller *directory.Caller, in *sdk.GetUserInput) (*sdk.GetUserOutput, error) {
	snap := s.dir.Snapshot()
	if in.UserName == nil {
		if caller.IsRoot() {
			a := snap.Accounts[caller.AccountID]
			return &sdk.GetUserOutput{User: &types.User{UserId: aws.String(caller.AccountID), Arn: aws.String(caller.ARN), CreateDate: aws.Time(a.CreateDate)}}, nil
		}
		in.UserName = aws.String(caller.UserName)
	}
	return nil, noSuchEntity("The user with name %s cannot be found.", aws.ToString(in.UserName))
}
