package policy_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/assumed-dev/assumed/policy"
)

// vDoc wraps a Statement value in a 2012-10-17 policy document.
func vDoc(statement string) string {
	return `{"Version":"2012-10-17","Statement":` + statement + `}`
}

// vAllowS3 is a valid identity-policy statement used to give a
// multi-statement document a well-formed first statement.
const vAllowS3 = `{"Sid":"First","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}`

// vMsgIAMPath is AWS's message for an IAM resource of an unknown type.
const vMsgIAMPath = `IAM resource path must either be "*" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.`

// vMsgTrustActions is AWS's message for a trust policy naming a non-STS action.
const vMsgTrustActions = "Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity"

// vMsgCharset is AWS's message for a character outside the allowed set.
const vMsgCharset = "1 validation error detected: Value at 'policyDocument' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+"

// vBigResources returns an identity policy whose Resource list holds n
// bucket ARNs; pad is put between the list's elements (white space, which
// must not count towards the size limit).
func vBigResources(n int, pad string) string {
	rs := make([]string, n)
	for i := range rs {
		rs[i] = `"arn:aws:s3:::example-bucket-name-0123456789/prefix/*"`
	}
	return vDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":[` + pad + strings.Join(rs, ","+pad) + pad + `]}`)
}

// vBigTrust returns a trust policy naming n account principals.
func vBigTrust(n int) string {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = `"arn:aws:iam::123456789012:root"`
	}
	return vDoc(`{"Effect":"Allow","Principal":{"AWS":[` + strings.Join(ps, ",") + `]},"Action":"sts:AssumeRole"}`)
}

// vNonSpace counts the characters of s that are not white space.
func vNonSpace(s string) int {
	n := 0
	for _, r := range s {
		if r != ' ' && r != '\t' && r != '\n' && r != '\r' {
			n++
		}
	}
	return n
}

type vInvalidCase struct {
	name string
	kind policy.Kind
	opt  policy.Options
	doc  string
	code string
	msg  string
	stmt int    // expected Error.Statement; 0 for errors about the whole document
	sid  string // expected Error.Sid, checked when not empty
}

var vInvalidCases = []vInvalidCase{
	// JSON and document shape.
	{name: "not JSON", kind: policy.Identity, doc: `this is not a json document`,
		code: policy.CodeMalformed, msg: "This policy contains invalid Json"},
	{name: "empty document", kind: policy.Identity, doc: ``,
		code: policy.CodeMalformed, msg: "This policy contains invalid Json"},
	{name: "trailing comma in object", kind: policy.Identity,
		doc:  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*",}]}`,
		code: policy.CodeMalformed, msg: "Syntax errors in policy."},
	{name: "truncated object", kind: policy.Identity,
		doc:  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow"`,
		code: policy.CodeMalformed, msg: "Syntax errors in policy."},
	{name: "trailing data after the object", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`) + `{}`,
		code: policy.CodeMalformed, msg: "Syntax errors in policy."},
	{name: "top-level array", kind: policy.Identity,
		doc:  `[{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}]`,
		code: policy.CodeMalformed, msg: "Syntax errors in policy."},
	{name: "missing Statement", kind: policy.Identity, doc: `{"Version":"2012-10-17"}`,
		code: policy.CodeMalformed, msg: "Syntax errors in policy."},
	{name: "empty Statement list", kind: policy.Identity, doc: vDoc(`[]`),
		code: policy.CodeMalformed, msg: "Syntax errors in policy."},
	{name: "Statement a string", kind: policy.Identity, doc: vDoc(`"Allow everything"`),
		code: policy.CodeMalformed, msg: "Syntax errors in policy."},
	{name: "statement a string in the list", kind: policy.Identity, doc: vDoc(`[` + vAllowS3 + `,"afd"]`),
		code: policy.CodeMalformed, msg: "Syntax errors in policy.", stmt: 2},
	{name: "unknown top-level element", kind: policy.Identity,
		doc:  `{"Version":"2012-10-17","Extra":"value","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`,
		code: policy.CodeMalformed, msg: "Syntax errors in policy."},
	{name: "Id not a string", kind: policy.Identity,
		doc:  `{"Version":"2012-10-17","Id":["x"],"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`,
		code: policy.CodeMalformed, msg: "Syntax errors in policy."},
	{name: "unknown statement element", kind: policy.Identity,
		doc:  vDoc(`[` + vAllowS3 + `,{"Sid":"Second","Effect":"Allow","Action":"s3:GetObject","Resource":"*","Extra":"value"}]`),
		code: policy.CodeMalformed, msg: "Syntax errors in policy.", stmt: 2, sid: "Second"},
	{name: "bad Version value", kind: policy.Identity,
		doc:  `{"Version":"2013-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`,
		code: policy.CodeMalformed, msg: "Syntax errors in policy."},
	{name: "Version not a string", kind: policy.Identity,
		doc:  `{"Version":20121017,"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`,
		code: policy.CodeMalformed, msg: "Syntax errors in policy."},
	{name: "duplicate key in a statement object", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":"s3:GetObject","Action":"s3:PutObject","Resource":"*"}`),
		code: policy.CodeMalformed, msg: "Syntax errors in policy."},
	{name: "duplicate top-level key", kind: policy.Identity,
		doc:  `{"Version":"2012-10-17","Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`,
		code: policy.CodeMalformed, msg: "Syntax errors in policy."},

	// Effect.
	{name: "missing Effect", kind: policy.Identity, doc: vDoc(`{"Action":"s3:GetObject","Resource":"*"}`),
		code: policy.CodeMalformed, msg: "Syntax errors in policy.", stmt: 1},
	{name: "Effect Allows", kind: policy.Identity, doc: vDoc(`{"Effect":"Allows","Action":"s3:GetObject","Resource":"*"}`),
		code: policy.CodeMalformed, msg: "Syntax errors in policy.", stmt: 1},
	{name: "Effect allow (legacy parsing)", kind: policy.Identity,
		doc:  vDoc(`[` + vAllowS3 + `,{"Sid":"Lower","Effect":"allow","Action":"s3:GetObject","Resource":"*"}]`),
		code: policy.CodeMalformed, msg: "The policy failed legacy parsing", stmt: 2, sid: "Lower"},
	{name: "Effect a number", kind: policy.Identity, doc: vDoc(`{"Effect":1,"Action":"s3:GetObject","Resource":"*"}`),
		code: policy.CodeMalformed, msg: "Syntax errors in policy.", stmt: 1},

	// Action.
	{name: "both Action and NotAction", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":"s3:GetObject","NotAction":"iam:*","Resource":"*"}`),
		code: policy.CodeMalformed, msg: "Syntax errors in policy.", stmt: 1},
	{name: "missing Action", kind: policy.Identity,
		doc:  vDoc(`[` + vAllowS3 + `,{"Effect":"Allow","Resource":"*"}]`),
		code: policy.CodeMalformed, msg: "Policy statement must contain actions.", stmt: 2},
	{name: "empty Action list", kind: policy.Identity, doc: vDoc(`{"Effect":"Allow","Action":[],"Resource":"*"}`),
		code: policy.CodeMalformed, msg: "Policy statement must contain actions.", stmt: 1},
	{name: "Action without vendor prefix", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":["s3:GetObject","GetObject"],"Resource":"*"}`),
		code: policy.CodeMalformed, msg: "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.", stmt: 1},
	{name: "empty NotAction string", kind: policy.Identity, doc: vDoc(`{"Effect":"Allow","NotAction":"","Resource":"*"}`),
		code: policy.CodeMalformed, msg: "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.", stmt: 1},
	{name: "Action with two colons", kind: policy.Identity,
		doc:  vDoc(`[` + vAllowS3 + `,{"Effect":"Allow","Action":"s3:List:Bucket","Resource":"*"}]`),
		code: policy.CodeMalformed, msg: "Actions/Condition can contain only one colon.", stmt: 2},
	{name: "invalid vendor characters", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":"a a:ListBucket","Resource":"*"}`),
		code: policy.CodeMalformed, msg: "Vendor a a is not valid", stmt: 1},
	{name: "Action a number", kind: policy.Identity, doc: vDoc(`{"Effect":"Allow","Action":42,"Resource":"*"}`),
		code: policy.CodeMalformed, msg: "Syntax errors in policy.", stmt: 1},
	{name: "Action list holding a list", kind: policy.Identity, doc: vDoc(`{"Effect":"Allow","Action":[[]],"Resource":"*"}`),
		code: policy.CodeMalformed, msg: "Syntax errors in policy.", stmt: 1},

	// Resource.
	{name: "both Resource and NotResource", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","NotResource":"arn:aws:s3:::b"}`),
		code: policy.CodeMalformed, msg: "Syntax errors in policy.", stmt: 1},
	{name: "missing Resource in identity policy", kind: policy.Identity,
		doc:  vDoc(`[` + vAllowS3 + `,{"Effect":"Allow","Action":"s3:GetObject"}]`),
		code: policy.CodeMalformed, msg: "Policy statement must contain resources.", stmt: 2},
	{name: "missing Resource in boundary", kind: policy.Boundary, doc: vDoc(`{"Effect":"Allow","Action":"s3:*"}`),
		code: policy.CodeMalformed, msg: "Policy statement must contain resources.", stmt: 1},
	{name: "empty Resource list", kind: policy.Identity, doc: vDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":[]}`),
		code: policy.CodeMalformed, msg: "Policy statement must contain resources.", stmt: 1},
	{name: "Resource an object", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":{"a":"arn:aws:s3:::b"}}`),
		code: policy.CodeMalformed, msg: "Syntax errors in policy.", stmt: 1},
	{name: "Resource not an ARN", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"invalid resource"}`),
		code: policy.CodeMalformed, msg: `Resource invalid resource must be in ARN format or "*".`, stmt: 1},
	{name: "Resource empty string", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":""}`),
		code: policy.CodeMalformed, msg: `Resource  must be in ARN format or "*".`, stmt: 1},
	{name: "bad partition", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:error:s3:::example_bucket"}`),
		code: policy.CodeMalformed, msg: `Partition "error" is not valid for resource "arn:error:s3:::example_bucket".`, stmt: 1},
	{name: "bad partition, short ARN padded with wildcards", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:b:cadfsdf"}`),
		code: policy.CodeMalformed, msg: `Partition "b" is not valid for resource "arn:b:cadfsdf:*:*:*".`, stmt: 1},
	// AWS (as recorded in moto's tests) pads a missing service with "*"
	// too: "a:bsdfdsafsad" gives resource "arn:bsdfdsafsad:*:*:*:*".
	{name: "bad partition, nothing after it", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:bsdfdsafsad"}`),
		code: policy.CodeMalformed, msg: `Partition "bsdfdsafsad" is not valid for resource "arn:bsdfdsafsad:*:*:*:*".`, stmt: 1},
	// AWS does not check that the first component is "arn": it reads the
	// second one as the partition (moto's recorded AWS responses).
	{name: "first component not arn", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"aws:s3:::example_bucket"}`),
		code: policy.CodeMalformed, msg: `Partition "s3" is not valid for resource "arn:s3:::example_bucket:*".`, stmt: 1},
	{name: "resource vendor missing", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws"}`),
		code: policy.CodeMalformed, msg: "Resource vendor must be fully qualified and cannot contain regexes.", stmt: 1},
	// An empty service with too few colons fails the legacy parser
	// (moto's recorded AWS responses), not the vendor check.
	{name: "empty service, three colons", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws::fdsasf"}`),
		code: policy.CodeMalformed, msg: "The policy failed legacy parsing", stmt: 1},
	{name: "empty service, five colons", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","NotAction":"s3:ListBucket","Resource":"arn:aws::::example_bucket"}`),
		code: policy.CodeMalformed, msg: "The policy failed legacy parsing", stmt: 1},
	{name: "too few ARN components (legacy parsing)", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3::example_bucket"}`),
		code: policy.CodeMalformed, msg: "The policy failed legacy parsing", stmt: 1},
	{name: "IAM resource with a region", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam:us-east-1:123456789012:user/alice"}`),
		code: policy.CodeMalformed, msg: "IAM resource arn:aws:iam:us-east-1:123456789012:user/alice cannot contain region information.", stmt: 1},
	{name: "S3 bucket with a region", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:us-east-1::example_bucket"}`),
		code: policy.CodeMalformed, msg: "Resource arn:aws:s3:us-east-1::example_bucket can not contain region information.", stmt: 1},
	{name: "bad IAM resource type", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::123456789012:person/alice"}`),
		code: policy.CodeMalformed, msg: vMsgIAMPath, stmt: 1},

	// Sid.
	{name: "duplicate Sid", kind: policy.Identity,
		doc:  vDoc(`[` + vAllowS3 + `,{"Sid":"First","Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]`),
		code: policy.CodeMalformed, msg: "Statement IDs (SID) in a single policy must be unique.", stmt: 2, sid: "First"},
	{name: "duplicate Sid wins over missing actions", kind: policy.Identity,
		doc:  vDoc(`[` + vAllowS3 + `,{"Sid":"First","Effect":"Allow"}]`),
		code: policy.CodeMalformed, msg: "Statement IDs (SID) in a single policy must be unique.", stmt: 2},
	{name: "Sid with a hyphen in identity policy", kind: policy.Identity,
		doc:  vDoc(`{"Sid":"Allow-Read","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`),
		code: policy.CodeMalformed, msg: "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*", stmt: 1, sid: "Allow-Read"},
	{name: "Sid not a string", kind: policy.Identity,
		doc:  vDoc(`{"Sid":{},"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`),
		code: policy.CodeMalformed, msg: "Syntax errors in policy.", stmt: 1},

	// Principal by kind.
	{name: "Principal in identity policy", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"s3:GetObject","Resource":"*"}`),
		code: policy.CodeMalformed, msg: "Policy document should not specify a principal.", stmt: 1},
	{name: "Principal in session policy", kind: policy.Session,
		doc:  vDoc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}`),
		code: policy.CodeMalformed, msg: "Policy document should not specify a principal.", stmt: 1},
	{name: "Principal in permissions boundary", kind: policy.Boundary,
		doc:  vDoc(`{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"s3:*","Resource":"*"}`),
		code: policy.CodeMalformed, msg: "Policy document should not specify a principal.", stmt: 1},
	{name: "Principal in SCP", kind: policy.SCP,
		doc:  vDoc(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}`),
		code: policy.CodeMalformed, msg: "Policy document should not specify a principal.", stmt: 1},
	{name: "NotPrincipal in identity policy", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"s3:*","Resource":"*"}`),
		code: policy.CodeMalformed, msg: "Policy document should not specify a principal.", stmt: 1},
	{name: "missing Principal in trust policy", kind: policy.Trust,
		doc:  vDoc(`{"Effect":"Allow","Action":"sts:AssumeRole"}`),
		code: policy.CodeMalformed, msg: "Missing required field Principal", stmt: 1},
	{name: "missing Principal in resource policy", kind: policy.Resource,
		doc:  vDoc(`[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/*"}]`),
		code: policy.CodeMalformed, msg: "Missing required field Principal", stmt: 2},
	{name: "both Principal and NotPrincipal", kind: policy.Resource,
		doc:  vDoc(`{"Effect":"Deny","Principal":"*","NotPrincipal":{"AWS":"123456789012"},"Action":"s3:*","Resource":"*"}`),
		code: policy.CodeMalformed, msg: "Syntax errors in policy.", stmt: 1},

	// Trust policies.
	{name: "Resource in trust policy", kind: policy.Trust,
		doc:  vDoc(`{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}`),
		code: policy.CodeMalformed, msg: "Has prohibited field Resource.", stmt: 1},
	{name: "non-STS action in trust policy", kind: policy.Trust,
		doc:  vDoc(`{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":["sts:AssumeRole","s3:GetObject"]}`),
		code: policy.CodeMalformed, msg: vMsgTrustActions, stmt: 1},

	// Principal values.
	{name: "Principal AWS with partial wildcard", kind: policy.Resource,
		doc:  vDoc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`),
		code: policy.CodeMalformed, msg: `Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:role/*"`, stmt: 1},
	{name: "Principal string other than *", kind: policy.Trust,
		doc:  vDoc(`{"Effect":"Allow","Principal":"123456789012","Action":"sts:AssumeRole"}`),
		code: policy.CodeMalformed, msg: `Invalid principal in policy: "AWS":"123456789012"`, stmt: 1},
	{name: "Principal with unknown key", kind: policy.Trust,
		doc:  vDoc(`{"Effect":"Allow","Principal":{"Robot":"r2d2"},"Action":"sts:AssumeRole"}`),
		code: policy.CodeMalformed, msg: `Invalid principal in policy: "Robot":"r2d2"`, stmt: 1},
	{name: "invalid principal ARN", kind: policy.Trust,
		doc:  vDoc(`{"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::12345:user/alice"]},"Action":"sts:AssumeRole"}`),
		code: policy.CodeMalformed, msg: `Invalid principal in policy: "AWS":"arn:aws:iam::12345:user/alice"`, stmt: 1},
	{name: "invalid service principal", kind: policy.Trust,
		doc:  vDoc(`{"Effect":"Allow","Principal":{"Service":"EC2"},"Action":"sts:AssumeRole"}`),
		code: policy.CodeMalformed, msg: `Invalid principal in policy: "Service":"EC2"`, stmt: 1},
	{name: "Principal a list", kind: policy.Resource,
		doc:  vDoc(`{"Effect":"Allow","Principal":["*"],"Action":"s3:GetObject","Resource":"*"}`),
		code: policy.CodeMalformed, msg: "Syntax errors in policy.", stmt: 1},

	// Conditions.
	{name: "unknown condition operator", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEqualz":{"aws:username":"alice"}}}`),
		code: policy.CodeMalformed, msg: "Syntax errors in policy.", stmt: 1},
	{name: "operator prefix with double colon", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"ForAnyValue::StringEqualsIfExists":{"a":"asf"}}}`),
		code: policy.CodeMalformed, msg: "Syntax errors in policy.", stmt: 1},
	{name: "NullIfExists", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"NullIfExists":{"aws:TokenIssueTime":"true"}}}`),
		code: policy.CodeMalformed, msg: "Syntax errors in policy.", stmt: 1},
	{name: "Condition not an object", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":[{"Bool":{"aws:SecureTransport":"true"}}]}`),
		code: policy.CodeMalformed, msg: "Syntax errors in policy.", stmt: 1},
	{name: "condition operator maps to a string", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"DateGreaterThan":"b"}}`),
		code: policy.CodeMalformed, msg: "Syntax errors in policy.", stmt: 1},
	{name: "condition value an object", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:username":{"a":"b"}}}}`),
		code: policy.CodeMalformed, msg: "Syntax errors in policy.", stmt: 1},
	{name: "condition value null", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:username":null}}}`),
		code: policy.CodeMalformed, msg: "Syntax errors in policy.", stmt: 1},
	{name: "non-numeric value under NumericLessThan", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":"ten"}}}`),
		code: policy.CodeMalformed, msg: "Syntax errors in policy.", stmt: 1},
	{name: "bad CIDR under IpAddress", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/33"}}}`),
		code: policy.CodeMalformed, msg: "Syntax errors in policy.", stmt: 1},
	{name: "bad date under DateLessThan", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"sdfdsf"}}}`),
		code: policy.CodeMalformed, msg: "The policy failed legacy parsing", stmt: 1},
	{name: "bad month under DateLessThanEquals", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"DateLessThanEquals":{"aws:CurrentTime":"234-13"}}}`),
		code: policy.CodeMalformed, msg: "The policy failed legacy parsing", stmt: 1},
	{name: "bad date wins over missing actions", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"sdfdsf"}}}`),
		code: policy.CodeMalformed, msg: "The policy failed legacy parsing", stmt: 1},
	{name: "non-boolean under Bool", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"yes"}}}`),
		code: policy.CodeMalformed, msg: "Syntax errors in policy.", stmt: 1},
	{name: "bad base64 under BinaryEquals", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"BinaryEquals":{"aws:Key":"not base64!"}}}`),
		code: policy.CodeMalformed, msg: "Syntax errors in policy.", stmt: 1},

	// Size and characters.
	{name: "too large identity policy", kind: policy.Identity, doc: vBigResources(120, ""),
		code: policy.CodeLimitExceeded, msg: "Cannot exceed quota for PolicySize: 6144"},
	{name: "too large trust policy", kind: policy.Trust, doc: vBigTrust(70),
		code: policy.CodeLimitExceeded, msg: "Cannot exceed quota for ACLSizePerRole: 2048"},
	{name: "MaxSize and message overridden", kind: policy.Identity,
		opt:  policy.Options{MaxSize: 2048, TooLargeMessage: "Maximum policy size of 2048 bytes exceeded for user alice"},
		doc:  vBigResources(40, ""),
		code: policy.CodeLimitExceeded, msg: "Maximum policy size of 2048 bytes exceeded for user alice"},
	{name: "character above U+00FF", kind: policy.Identity,
		doc:  vDoc(`{"Sid":"Caf` + "\u0100" + `","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`),
		code: policy.CodeValidation, msg: vMsgCharset},
	{name: "control character", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}` + "\x01"),
		code: policy.CodeValidation, msg: vMsgCharset},
	{name: "invalid UTF-8", kind: policy.Identity,
		doc:  vDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/` + "\xff" + `"}`),
		code: policy.CodeValidation, msg: vMsgCharset},

	// Version requirement.
	{name: "RequireVersion2012 with 2008-10-17", kind: policy.Identity, opt: policy.Options{RequireVersion2012: true},
		doc:  `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`,
		code: policy.CodeMalformed, msg: "Policy document must be version 2012-10-17 or greater."},
	{name: "RequireVersion2012 without Version", kind: policy.Identity, opt: policy.Options{RequireVersion2012: true},
		doc:  `{"Statement":{"Effect":"denY","Action":"s3:GetObject","Resource":"*"}}`,
		code: policy.CodeMalformed, msg: "Policy document must be version 2012-10-17 or greater."},
}

func TestValInvalidDocuments(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range vInvalidCases {
		if seen[tc.name] {
			t.Fatalf("duplicate case name %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			p, err := policy.ParseWithOptions(tc.doc, tc.kind, tc.opt)
			if err == nil {
				t.Fatalf("%s policy parsed without error (%d statements); want %s %q\ndocument: %s", tc.kind, len(p.Statements), tc.code, tc.msg, tc.doc)
			}
			var pe *policy.Error
			if !errors.As(err, &pe) {
				t.Fatalf("error is %T (%v), want *policy.Error", err, err)
			}
			if pe.Code != tc.code || pe.Message != tc.msg {
				t.Errorf("got %s %q\nwant %s %q\nfull error: %v\ndocument: %s", pe.Code, pe.Message, tc.code, tc.msg, pe, tc.doc)
			}
			if pe.Statement != tc.stmt {
				t.Errorf("Statement = %d, want %d (error: %v)", pe.Statement, tc.stmt, pe)
			}
			if tc.sid != "" && pe.Sid != tc.sid {
				t.Errorf("Sid = %q, want %q (error: %v)", pe.Sid, tc.sid, pe)
			}
			if !strings.HasPrefix(pe.Error(), pe.Message) {
				t.Errorf("Error() = %q does not start with the message", pe.Error())
			}
		})
	}
}

type vValidCase struct {
	name  string
	kind  policy.Kind
	opt   policy.Options
	doc   string
	stmts int // expected number of statements
}

var vValidCases = []vValidCase{
	{name: "identity 2008-10-17", kind: policy.Identity, stmts: 1,
		doc: `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}"}]}`},
	{name: "identity without Version", kind: policy.Identity, stmts: 1,
		doc: `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`},
	{name: "single Statement object with Id", kind: policy.Identity, stmts: 1,
		doc: `{"Id":"x-1","Statement":{"Effect":"Deny","NotAction":"iam:*","NotResource":"*"},"Version":"2012-10-17"}`},
	{name: "JSON booleans and numbers as condition values", kind: policy.Identity, stmts: 1,
		doc: vDoc(`{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"s3:max-keys":[10,2.5]},"Null":{"aws:TokenIssueTime":false}}}`)},
	{name: "empty condition value list", kind: policy.Identity, stmts: 1,
		doc: vDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:username":[]},"DateGreaterThan":{"aws:CurrentTime":[]}}}`)},
	{name: "empty Condition object", kind: policy.Identity, stmts: 1,
		doc: vDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{}}`)},
	{name: "every operator family", kind: policy.Identity, stmts: 1,
		doc: vDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{` +
			`"StringNotEqualsIgnoreCase":{"aws:username":"Bob"},"ForAnyValue:StringLike":{"aws:TagKeys":"team*"},` +
			`"ForAllValues:StringEquals":{"aws:TagKeys":["team","env"]},"NumericGreaterThanEqualsIfExists":{"s3:max-keys":"5"},` +
			`"DateGreaterThan":{"aws:CurrentTime":"2017-07-01T00:00:00Z"},"DateLessThan":{"aws:EpochTime":"1893456000"},` +
			`"DateLessThanEquals":{"aws:TokenIssueTime":"2016-12-13T21:20:37.593194+00:00"},"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"},` +
			`"BinaryEquals":{"aws:Key":"QmluYXJ5"},"NotIpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32","198.51.100.7"]},` +
			`"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:123456789012:topic"},"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/x"}}}`)},
	{name: "empty Sids are not duplicates", kind: policy.Identity, stmts: 2,
		doc: vDoc(`[{"Sid":"","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Sid":"","Effect":"Allow","Action":"s3:PutObject","Resource":"*"}]`)},
	{name: "action names are not checked", kind: policy.Identity, stmts: 1,
		doc: vDoc(`{"Effect":"Allow","Action":["iam: asdf safdsf af ","s3-s:ListBucket","s3.s:X","*"],"Resource":["arn:aws:s3:::b","*"]}`)},
	{name: "resource ARNs of other services with regions", kind: policy.Identity, stmts: 1,
		doc: vDoc(`{"Effect":"Allow","Action":"s3:ListBucket","Resource":["arn:aws:cloudwatch:us-east-1::example_bucket","arn:aws:invalid-service:::x","arn:aws:ec2:region:account-id:instance/*","arn:aws:iam::*:user/${aws:username}","arn:aws:s3:us-west-2:123456789012:accesspoint/ap","arn:aws-cn:s3:::b"]}`)},
	// AWS accepts a resource with a vendor and nothing after it (moto's
	// recorded AWS responses list "arn:aws:fdsasf" as valid).
	{name: "resource with vendor and nothing after it", kind: policy.Identity, stmts: 1,
		doc: vDoc(`{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:fdsasf"}`)},
	// AWS's syntax check only rejects unknown operators that name keys
	// (moto's recorded AWS responses list {"x": {}} as valid).
	{name: "unknown condition operator with no keys", kind: policy.Identity, stmts: 1,
		doc: vDoc(`{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"x":{},"y":{}}}`)},
	{name: "Latin-1 characters and all white space kinds", kind: policy.Identity, stmts: 1,
		doc: "{\t\"Version\":\"2012-10-17\",\r\n\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/caf\u00e9\u00ff\"}}"},
	{name: "over 6144 bytes but not over 6144 characters without white space", kind: policy.Identity, stmts: 1,
		doc: vBigResources(110, "\n        ")},
	{name: "RequireVersion2012 with 2012-10-17", kind: policy.Identity, opt: policy.Options{RequireVersion2012: true}, stmts: 1,
		doc: vDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`)},
	{name: "negative MaxSize disables the limit", kind: policy.Identity, opt: policy.Options{MaxSize: -1}, stmts: 1,
		doc: vBigResources(300, "")},
	{name: "resource policy Principal *", kind: policy.Resource, stmts: 1,
		doc: vDoc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`)},
	{name: "resource policy Sid with a hyphen", kind: policy.Resource, stmts: 1,
		doc: vDoc(`{"Sid":"Allow-Read","Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`)},
	{name: "resource policy NotPrincipal", kind: policy.Resource, stmts: 1,
		doc: vDoc(`{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::123456789012:root","arn:aws:iam::123456789012:role/Admin","arn:aws:sts::123456789012:assumed-role/Admin/alice"]},"Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}`)},
	{name: "resource policy CanonicalUser and federated user", kind: policy.Resource, stmts: 1,
		doc: vDoc(`{"Effect":"Allow","Principal":{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be","AWS":"arn:aws:sts::123456789012:federated-user/bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`)},
	{name: "trust policy Federated OIDC provider", kind: policy.Trust, stmts: 1,
		doc: vDoc(`{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},"StringLike":{"token.actions.githubusercontent.com:sub":"repo:org/*"}}}`)},
	{name: "trust policy SAML and web identity providers", kind: policy.Trust, stmts: 2,
		doc: vDoc(`[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/Okta"},"Action":"sts:AssumeRoleWithSAML"},{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]`)},
	{name: "trust policy Service principal", kind: policy.Trust, stmts: 1,
		doc: vDoc(`{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","pods.eks.amazonaws.com"]},"Action":["sts:AssumeRole","sts:TagSession"]}`)},
	{name: "trust policy account-ID principal", kind: policy.Trust, stmts: 1,
		doc: vDoc(`{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x"}}}`)},
	{name: "trust policy unique ID principal", kind: policy.Trust, stmts: 1,
		doc: vDoc(`{"Effect":"Allow","Principal":{"AWS":["AROAABCDEFGHIJKLMNOPQ","AIDA0123456789ABCDEFG"]},"Action":"sts:AssumeRole"}`)},
	{name: "trust policy role and user ARNs", kind: policy.Trust, stmts: 1,
		doc: vDoc(`{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:role/path/Deploy","arn:aws:iam::123456789012:user/alice"]},"Action":"sts:AssumeRole"}`)},
	{name: "session policy", kind: policy.Session, stmts: 1,
		doc: vDoc(`{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}`)},
	{name: "permissions boundary", kind: policy.Boundary, stmts: 2,
		doc: vDoc(`[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"iam:*","NotResource":"arn:aws:iam::*:role/app-*"}]`)},
	{name: "service control policy", kind: policy.SCP, stmts: 1,
		doc: vDoc(`{"Sid":"DenyOutsideRegions","Effect":"Deny","NotAction":["iam:*","sts:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1","eu-central-1"]}}}`)},
}

func TestValValidDocuments(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range vValidCases {
		if seen[tc.name] {
			t.Fatalf("duplicate case name %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			p, err := policy.ParseWithOptions(tc.doc, tc.kind, tc.opt)
			if err != nil {
				t.Fatalf("%s policy rejected: %v\ndocument: %s", tc.kind, err, tc.doc)
			}
			if p.Kind != tc.kind {
				t.Errorf("Kind = %v, want %v", p.Kind, tc.kind)
			}
			if len(p.Statements) != tc.stmts {
				t.Errorf("%d statements, want %d", len(p.Statements), tc.stmts)
			}
			for i, st := range p.Statements {
				if st.Index != i+1 {
					t.Errorf("statement %d has Index %d", i+1, st.Index)
				}
			}
			if want := vNonSpace(tc.doc); p.Size != want {
				t.Errorf("Size = %d, want %d", p.Size, want)
			}
		})
	}
}

// TestValSizeWhiteSpaceNotCounted checks the premise of the size rows: the
// padded document is over the limit in bytes but not in characters
// without white space, and the unpadded large one is over in both.
func TestValSizeWhiteSpaceNotCounted(t *testing.T) {
	padded := vBigResources(110, "\n        ")
	if len(padded) <= 6144 || vNonSpace(padded) > 6144 {
		t.Fatalf("padded document: %d bytes, %d without white space; want > 6144 and <= 6144", len(padded), vNonSpace(padded))
	}
	if big := vBigResources(120, ""); vNonSpace(big) <= 6144 {
		t.Fatalf("large document has only %d characters", vNonSpace(big))
	}
	if big := vBigTrust(70); vNonSpace(big) <= 2048 {
		t.Fatalf("large trust document has only %d characters", vNonSpace(big))
	}
	// A lower limit counts the same characters: the padded document is
	// over 6000.
	_, err := policy.ParseWithOptions(padded, policy.Identity, policy.Options{MaxSize: 6000})
	var pe *policy.Error
	if !errors.As(err, &pe) || pe.Code != policy.CodeLimitExceeded {
		t.Fatalf("MaxSize 6000: got %v, want LimitExceeded", err)
	}
}
