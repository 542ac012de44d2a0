package explain

import (
	"strings"

	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// resourceRequest is the request the resource gateway would authorize
// for action (of service, in lower case) on resource: the resource's
// owner and policy as the gateway records them in the directory
// (Snapshot.Resources, under the ARN of the resource whose policy
// governs it: an S3 object's bucket, a DynamoDB index's or stream's
// table). A resource the gateway has no record of is decided without a
// resource policy, owned by the account in its ARN or, for an ARN
// without one (S3), the caller's, as the gateway decides it. The
// resource's tags, which the gateway asks the backend for, are not
// known: give them as aws:ResourceTag/… context entries.
func resourceRequest(snap *directory.Snapshot, caller *directory.Caller, service, action, resource string, ctx *policy.Context) authz.ResourceRequest {
	req := authz.ResourceRequest{Caller: caller, Action: action, Resource: resource, Context: ctx,
		KeyPolicy: service == "kms" && strings.Contains(resource, ":key/")}
	holder := directory.PolicyHolder(service, resource)
	if rec, ok := snap.Resources[holder]; ok {
		req.ResourceAccount = rec.Account
		if rec.Compiled != nil {
			req.Policy, req.PolicyName = rec.Compiled, directory.PolicyName(service, holder)
		}
	}
	if service == "kms" {
		// AWS sets it on every KMS request.
		if _, ok := ctx.Lookup("kms:CallerAccount"); !ok {
			ctx.Set("kms:CallerAccount", caller.AccountID)
		}
	}
	return req
}
