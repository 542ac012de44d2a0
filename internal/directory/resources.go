package directory

import "github.com/assumed-dev/assumed/policy"

// Resource is what the resource gateway records of a resource held by the
// backend: which account owns it, and its resource-based policy. Only
// resources whose owner can't be told from the request (an S3 bucket's
// name carries no account) or that have a policy are recorded.
type Resource struct {
	// ARN is the resource's ARN, as policies name it; Snapshot.Resources
	// is keyed by it. An S3 bucket's is arn:aws:s3:::NAME.
	ARN string `json:"arn"`
	// Account owns the resource.
	Account string `json:"account"`
	// Policy is the resource policy's document; empty without one.
	Policy string `json:"policy,omitempty"`
	// Compiled is Policy, parsed and compiled when the record is loaded or
	// written; nil without a policy.
	Compiled *policy.Policy `json:"-"`
}
