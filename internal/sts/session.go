package sts

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// setTagKeys adds the session tags of a request to its condition keys:
// aws:RequestTag/KEY, aws:TagKeys and sts:TransitiveTagKeys.
func setTagKeys(ctx *policy.Context, tags []directory.Tag, transitive []string) {
	if len(tags) == 0 {
		return
	}
	keys := make([]string, 0, len(tags))
	for _, t := range tags {
		ctx.Set("aws:RequestTag/"+t.Key, t.Value)
		keys = append(keys, t.Key)
	}
	ctx.SetMulti("aws:TagKeys", keys...)
	if len(transitive) > 0 {
		ctx.SetMulti("sts:TransitiveTagKeys", transitive...)
	}
}

// startSession checks the managed session policies and the packed size of
// a session's policies and tags, then issues its credentials. sess has
// everything but its times and keys; it lives for duration from now. It
// returns the packed size in percent. Callers authorize the assumption
// first: refusing a policy ARN earlier would tell anyone whether a policy
// exists in the role's account.
func (s *Service) startSession(sess *directory.Session, policyARNs []types.PolicyDescriptorType, duration time.Duration) (*types.Credentials, int, error) {
	if err := checkPolicyARNs(s.dir.Snapshot(), sess.AccountID, policyARNs); err != nil {
		return nil, 0, err
	}
	packed, err := packedPercent(sess.Policy, policyARNs, sess.Tags)
	if err != nil {
		return nil, 0, err
	}
	if packed > 100 {
		return nil, 0, packedTooLarge(packed)
	}
	for _, p := range policyARNs {
		sess.PolicyARNs = append(sess.PolicyARNs, aws.ToString(p.Arn))
	}
	now := s.now().UTC().Truncate(time.Second)
	sess.IssuedAt, sess.Expiration = now, now.Add(duration)
	c, err := s.issue(sess)
	if err != nil {
		return nil, 0, err
	}
	return c, packed, nil
}

// checkPolicyARNs checks the managed session policies of a session in
// the role's account: each must be an AWS managed policy or a policy of
// that account. A policy of any other account, whether it exists or not,
// gets the answer of a policy of the role's account that does not exist.
func checkPolicyARNs(snap *directory.Snapshot, roleAccount string, policyARNs []types.PolicyDescriptorType) error {
	for _, p := range policyARNs {
		a := aws.ToString(p.Arn)
		if _, ok := snap.PolicyFor(roleAccount, a); !ok {
			return policyNotAttachable(a)
		}
	}
	return nil
}
