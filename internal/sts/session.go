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

// startSession checks the packed size of a session's policies and tags,
// then issues its credentials. sess has everything but its times and
// keys; it lives for duration from now. It returns the packed size in
// percent.
func (s *Service) startSession(sess *directory.Session, policyARNs []types.PolicyDescriptorType, duration time.Duration) (*types.Credentials, int, error) {
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
