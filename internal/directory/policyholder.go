package directory

import "strings"

// PolicyHolder is the ARN of the resource whose policy governs arn: an
// S3 object's bucket, a DynamoDB index's or stream's table; else arn.
//
// A Secrets Manager secret is found by either of two ARNs: the one the
// catalogue builds from a bare name (…:secret:NAME, without the six
// characters AWS appends) and the full ARN (…:secret:NAME-AbCdEf). The two
// can't be told apart from the string alone (NAME may itself end in a dash
// and six characters), so PolicyHolder leaves a secret's ARN as it is and
// the gateway records a secret's policy under both, with the name and
// full ARN the backend reports for the secret.
func PolicyHolder(service, arn string) string {
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

// PolicyName names a resource's policy in denial messages and traces.
func PolicyName(service, holder string) string {
	switch service {
	case "s3":
		return "bucket policy of " + strings.TrimPrefix(holder, "arn:aws:s3:::")
	case "ecr":
		return "repository policy of " + holder
	case "dynamodb", "secretsmanager":
		return "resource policy of " + holder
	case "sqs":
		return "queue policy of " + holder
	case "sns":
		return "topic policy of " + holder
	case "lambda":
		return "function policy of " + holder
	case "kms":
		return "key policy of " + holder
	}
	return "resource-based policy of " + holder
}
