package gateway

import (
	"context"
	"strings"

	"github.com/assumed-dev/assumed/internal/catalog"
)

// policyHolder is the ARN of the resource whose policy governs arn: an
// S3 object's bucket, a DynamoDB index's or stream's table; else arn.
func policyHolder(service, arn string) string {
	switch service {
	case "s3":
		const prefix = "arn:aws:s3:::"
		if rest, ok := strings.CutPrefix(arn, prefix); ok {
			if bucket, _, ok := strings.Cut(rest, "/"); ok {
				return prefix + bucket
			}
		}
	case "dynamodb":
		if i := strings.Index(arn, ":table/"); i >= 0 {
			rest := arn[i+len(":table/"):]
			if name, _, ok := strings.Cut(rest, "/"); ok {
				return arn[:i+len(":table/")] + name
			}
		}
	}
	return arn
}

// policyName names a resource's policy in denial messages.
func policyName(service, holder string) string {
	switch service {
	case "s3":
		return "bucket policy of " + strings.TrimPrefix(holder, "arn:aws:s3:::")
	case "ecr":
		return "repository policy of " + holder
	case "dynamodb":
		return "resource policy of " + holder
	}
	return "resource-based policy of " + holder
}

// needsBody reports whether the gateway must read an S3 operation's body
// to record it once the backend accepts it.
func needsBody(svc *catalog.Service, op *catalog.Operation) bool {
	return svc.IAMPrefix == "s3" && op.Name == "PutBucketPolicy"
}

// remember records what an accepted request changed that authorization
// depends on: who owns a new S3 bucket, and resource policies set or
// deleted.
func (g *Gateway) remember(ctx context.Context, svc *catalog.Service, op *catalog.Operation, params catalog.Params, auth *authorization, body []byte) error {
	first := ""
	if len(auth.resources) > 0 {
		first = policyHolder(svc.IAMPrefix, auth.resources[0])
	}
	switch svc.IAMPrefix + ":" + op.Name {
	case "s3:CreateBucket":
		return g.recordOwner(ctx, first, auth.account)
	case "s3:DeleteBucket", "ecr:DeleteRepository", "dynamodb:DeleteTable":
		return g.forget(ctx, first)
	case "s3:PutBucketPolicy":
		return g.recordPolicy(ctx, first, auth.account, string(body))
	case "ecr:SetRepositoryPolicy":
		doc, _ := params.Get("policyText")
		return g.recordPolicy(ctx, first, auth.account, doc)
	case "dynamodb:PutResourcePolicy":
		doc, _ := params.Get("Policy")
		return g.recordPolicy(ctx, first, auth.account, doc)
	case "s3:DeleteBucketPolicy", "ecr:DeleteRepositoryPolicy", "dynamodb:DeleteResourcePolicy":
		return g.forgetPolicy(ctx, first)
	}
	return nil
}
