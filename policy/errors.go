package policy

import (
	"fmt"
	"strings"
)

// Error codes a policy can be rejected with, as AWS names them.
const (
	CodeMalformed     = "MalformedPolicyDocument"
	CodeLimitExceeded = "LimitExceeded"
	CodeValidation    = "ValidationError"
)

// Error is why a policy document was rejected. Message is AWS's text for
// the problem, suitable for the wire; Detail, Statement and Sid say exactly
// where and what, for people.
type Error struct {
	Code      string // CodeMalformed, CodeLimitExceeded or CodeValidation
	Message   string // AWS's message text
	Detail    string // what exactly is wrong; may be empty
	Statement int    // 1-based statement number; 0 when not about one statement
	Sid       string // the statement's Sid, if it has one
}

// Error returns the AWS message followed by the location and detail.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	var where []string
	if e.Statement > 0 {
		s := fmt.Sprintf("statement %d", e.Statement)
		if e.Sid != "" {
			s += fmt.Sprintf(" (Sid %q)", e.Sid)
		}
		where = append(where, s)
	}
	if e.Detail != "" {
		where = append(where, e.Detail)
	}
	if len(where) > 0 {
		b.WriteString(" [")
		b.WriteString(strings.Join(where, ": "))
		b.WriteString("]")
	}
	return b.String()
}

// AWS's message texts.
const (
	msgSyntax            = "Syntax errors in policy."
	msgInvalidJSON       = "This policy contains invalid Json"
	msgLegacy            = "The policy failed legacy parsing"
	msgVersion2012       = "Policy document must be version 2012-10-17 or greater."
	msgSidUnique         = "Statement IDs (SID) in a single policy must be unique."
	msgSidAlnum          = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
	msgNoActions         = "Policy statement must contain actions."
	msgNoResources       = "Policy statement must contain resources."
	msgPrincipalNotAllow = "Policy document should not specify a principal."
	msgPrincipalMissing  = "Missing required field Principal"
	msgResourceInTrust   = "Has prohibited field Resource."
	msgVendor            = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
	msgOneColon          = "Actions/Condition can contain only one colon."
	msgTrustActions      = "Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity"
	msgResourceVendor    = "Resource vendor must be fully qualified and cannot contain regexes."
	msgCharset           = "1 validation error detected: Value at 'policyDocument' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+"
)

func msgResourceFormat(r string) string {
	return fmt.Sprintf("Resource %s must be in ARN format or \"*\".", r)
}

func msgInvalidPrincipal(key, value string) string {
	return fmt.Sprintf("Invalid principal in policy: \"%s\":\"%s\"", key, value)
}

func msgVendorInvalid(v string) string { return fmt.Sprintf("Vendor %s is not valid", v) }
