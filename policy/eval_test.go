package policy_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/assumed-dev/assumed/arn"
	"github.com/assumed-dev/assumed/policy"
)

// Accounts, principals and helpers shared by the tests in this file. Every
// top-level name starts with "e" or "eval" so that it cannot collide with
// other test files of package policy_test.

const (
	eAcct  = "111122223333"
	eOther = "444455556666"

	eRoleID = "AROAABCDEFGHIJKLMNOPQ" // AROA + 17
	eUserID = "AIDAABCDEFGHIJKLMNOPQ" // AIDA + 17

	eOIDC = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
)

// eSession is a session of role R (path /app/) in eAcct named S.
func eSession() *policy.Principal {
	return &policy.Principal{
		Type:      arn.PrincipalAssumedRole,
		AccountID: eAcct,
		ARN:       "arn:aws:sts::111122223333:assumed-role/R/S",
		RoleARN:   "arn:aws:iam::111122223333:role/app/R",
		UniqueID:  eRoleID,
	}
}

// eUser is IAM user alice (path /division/) in eAcct.
func eUser() *policy.Principal {
	return &policy.Principal{
		Type:      arn.PrincipalUser,
		AccountID: eAcct,
		ARN:       "arn:aws:iam::111122223333:user/division/alice",
		UniqueID:  eUserID,
	}
}

func eRoot(acct string) *policy.Principal {
	return &policy.Principal{Type: arn.PrincipalAccount, AccountID: acct, ARN: arn.AccountRoot(acct)}
}

func eFedUser() *policy.Principal {
	return &policy.Principal{Type: arn.PrincipalFederatedUser, AccountID: eAcct, ARN: "arn:aws:sts::111122223333:federated-user/bob"}
}

func eService(name string) *policy.Principal {
	return &policy.Principal{Type: arn.PrincipalService, ARN: name}
}

func eParse(t testing.TB, doc string, kind policy.Kind) *policy.Policy {
	t.Helper()
	p, err := policy.Parse(doc, kind)
	if err != nil {
		t.Fatalf("Parse(%s, %s): %v", doc, kind, err)
	}
	return p
}

// eSet parses identity policies and groups them in a Set (IDs p0, p1, …).
func eSet(t testing.TB, kind policy.Kind, docs ...string) *policy.Set {
	t.Helper()
	var entries []policy.Entry
	for i, d := range docs {
		entries = append(entries, policy.Entry{ID: fmt.Sprintf("p%d", i), Policy: eParse(t, d, kind)})
	}
	return policy.NewSet(entries...)
}

// eCtx builds a context: a string value is Set, a []string is SetMulti.
// Keys absent from the map are absent from the context.
func eCtx(kv map[string]any) *policy.Context {
	c := policy.NewContext()
	for k, v := range kv {
		switch v := v.(type) {
		case string:
			c.Set(k, v)
		case []string:
			c.SetMulti(k, v...)
		default:
			panic(fmt.Sprintf("eCtx: unsupported value %T", v))
		}
	}
	return c
}

func eDecide(set *policy.Set, req *policy.Request) (policy.Decision, policy.Result) {
	var res policy.Result
	d := set.Evaluate(req, &res)
	return d, res
}

// evalStmt wraps one statement in a 2012-10-17 identity policy.
func evalStmt(stmt string) string {
	return `{"Version":"2012-10-17","Statement":[` + stmt + `]}`
}

// ---------------------------------------------------------------------------
// Condition operators (spec §7).

type evalCondCase struct {
	name string
	cond string         // the Condition element
	ctx  map[string]any // request context
	want bool           // whether the condition block holds
}

// evalCondCases covers every operator of §7, with a case that holds and one
// that does not for each rule.
var evalCondCases = []evalCondCase{
	// String operators.
	{"StringEquals match", `{"StringEquals":{"aws:username":"alice"}}`, map[string]any{"aws:username": "alice"}, true},
	{"StringEquals other value", `{"StringEquals":{"aws:username":"alice"}}`, map[string]any{"aws:username": "bob"}, false},
	{"StringEquals is case-sensitive", `{"StringEquals":{"aws:username":"alice"}}`, map[string]any{"aws:username": "Alice"}, false},
	{"StringEquals star is literal", `{"StringEquals":{"aws:username":"a*"}}`, map[string]any{"aws:username": "abc"}, false},
	{"StringEquals star literal matches star", `{"StringEquals":{"aws:username":"a*"}}`, map[string]any{"aws:username": "a*"}, true},
	{"StringEquals several values OR", `{"StringEquals":{"aws:username":["alice","bob"]}}`, map[string]any{"aws:username": "bob"}, true},
	{"StringEquals several values none", `{"StringEquals":{"aws:username":["alice","bob"]}}`, map[string]any{"aws:username": "carol"}, false},
	{"StringNotEquals other value", `{"StringNotEquals":{"aws:username":"alice"}}`, map[string]any{"aws:username": "bob"}, true},
	{"StringNotEquals same value", `{"StringNotEquals":{"aws:username":"alice"}}`, map[string]any{"aws:username": "alice"}, false},
	{"StringNotEquals case differs", `{"StringNotEquals":{"aws:username":"alice"}}`, map[string]any{"aws:username": "ALICE"}, true},
	{"StringEqualsIgnoreCase match", `{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}`, map[string]any{"aws:username": "alice"}, true},
	{"StringEqualsIgnoreCase other", `{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}`, map[string]any{"aws:username": "bob"}, false},
	{"StringNotEqualsIgnoreCase same but case", `{"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}}`, map[string]any{"aws:username": "alice"}, false},
	{"StringNotEqualsIgnoreCase other", `{"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}}`, map[string]any{"aws:username": "bob"}, true},
	{"StringLike star", `{"StringLike":{"s3:prefix":"home/*/docs"}}`, map[string]any{"s3:prefix": "home/alice/docs"}, true},
	{"StringLike star no match", `{"StringLike":{"s3:prefix":"home/*/docs"}}`, map[string]any{"s3:prefix": "home/alice/pics"}, false},
	{"StringLike question", `{"StringLike":{"s3:prefix":"a?c"}}`, map[string]any{"s3:prefix": "abc"}, true},
	{"StringLike question is one char", `{"StringLike":{"s3:prefix":"a?c"}}`, map[string]any{"s3:prefix": "abbc"}, false},
	{"StringLike is case-sensitive", `{"StringLike":{"s3:prefix":"home/*"}}`, map[string]any{"s3:prefix": "HOME/x"}, false},
	// Trap: StringLike's * crosses ':' (it knows nothing of ARNs).
	{"StringLike star crosses colon", `{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/x"}}`, map[string]any{"aws:PrincipalArn": "arn:aws:iam::123:456:role/x"}, true},
	{"StringNotLike matching", `{"StringNotLike":{"s3:prefix":"tmp/*"}}`, map[string]any{"s3:prefix": "tmp/x"}, false},
	{"StringNotLike not matching", `{"StringNotLike":{"s3:prefix":"tmp/*"}}`, map[string]any{"s3:prefix": "home/x"}, true},

	// Numeric operators.
	{"NumericEquals", `{"NumericEquals":{"s3:max-keys":"10"}}`, map[string]any{"s3:max-keys": "10"}, true},
	{"NumericEquals compares numbers", `{"NumericEquals":{"s3:max-keys":10}}`, map[string]any{"s3:max-keys": "10.0"}, true},
	{"NumericEquals other", `{"NumericEquals":{"s3:max-keys":"10"}}`, map[string]any{"s3:max-keys": "11"}, false},
	{"NumericEquals non-numeric request value", `{"NumericEquals":{"s3:max-keys":"10"}}`, map[string]any{"s3:max-keys": "ten"}, false},
	{"NumericNotEquals other", `{"NumericNotEquals":{"s3:max-keys":"10"}}`, map[string]any{"s3:max-keys": "11"}, true},
	{"NumericNotEquals same", `{"NumericNotEquals":{"s3:max-keys":"10"}}`, map[string]any{"s3:max-keys": "10"}, false},
	{"NumericLessThan below", `{"NumericLessThan":{"s3:max-keys":"10"}}`, map[string]any{"s3:max-keys": "9"}, true},
	{"NumericLessThan equal", `{"NumericLessThan":{"s3:max-keys":"10"}}`, map[string]any{"s3:max-keys": "10"}, false},
	{"NumericLessThanEquals equal", `{"NumericLessThanEquals":{"s3:max-keys":"10"}}`, map[string]any{"s3:max-keys": "10"}, true},
	{"NumericLessThanEquals above", `{"NumericLessThanEquals":{"s3:max-keys":"10"}}`, map[string]any{"s3:max-keys": "11"}, false},
	{"NumericGreaterThan above", `{"NumericGreaterThan":{"s3:max-keys":"10"}}`, map[string]any{"s3:max-keys": "11"}, true},
	{"NumericGreaterThan equal", `{"NumericGreaterThan":{"s3:max-keys":"10"}}`, map[string]any{"s3:max-keys": "10"}, false},
	{"NumericGreaterThanEquals equal", `{"NumericGreaterThanEquals":{"s3:max-keys":"10"}}`, map[string]any{"s3:max-keys": "10"}, true},
	{"NumericGreaterThanEquals below", `{"NumericGreaterThanEquals":{"s3:max-keys":"10"}}`, map[string]any{"s3:max-keys": "9"}, false},
	{"NumericLessThan negative and fraction", `{"NumericLessThan":{"k:n":"-1.5"}}`, map[string]any{"k:n": "-2"}, true},

	// Date operators: 2024-06-01T00:00:00Z is epoch 1717200000. Policy
	// values and request values are each given as ISO 8601 and as epoch
	// seconds (aws:CurrentTime is ISO, aws:EpochTime is epoch).
	{"DateEquals ISO/ISO", `{"DateEquals":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}`, map[string]any{"aws:CurrentTime": "2024-06-01T00:00:00Z"}, true},
	{"DateEquals ISO/ISO other", `{"DateEquals":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}`, map[string]any{"aws:CurrentTime": "2024-06-01T00:00:01Z"}, false},
	{"DateEquals epoch policy, ISO request", `{"DateEquals":{"aws:CurrentTime":"1717200000"}}`, map[string]any{"aws:CurrentTime": "2024-06-01T00:00:00Z"}, true},
	{"DateEquals ISO policy, epoch request", `{"DateEquals":{"aws:EpochTime":"2024-06-01T00:00:00Z"}}`, map[string]any{"aws:EpochTime": "1717200000"}, true},
	{"DateEquals epoch/epoch other", `{"DateEquals":{"aws:EpochTime":1717200000}}`, map[string]any{"aws:EpochTime": "1717200001"}, false},
	{"DateEquals zone offset", `{"DateEquals":{"aws:CurrentTime":"2024-06-01T02:00:00+02:00"}}`, map[string]any{"aws:CurrentTime": "2024-06-01T00:00:00Z"}, true},
	{"DateEquals date only", `{"DateEquals":{"aws:CurrentTime":"2024-06-01"}}`, map[string]any{"aws:CurrentTime": "2024-06-01T00:00:00Z"}, true},
	{"DateNotEquals other", `{"DateNotEquals":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}`, map[string]any{"aws:CurrentTime": "2024-06-02T00:00:00Z"}, true},
	{"DateNotEquals same (epoch request)", `{"DateNotEquals":{"aws:EpochTime":"2024-06-01T00:00:00Z"}}`, map[string]any{"aws:EpochTime": "1717200000"}, false},
	{"DateLessThan before", `{"DateLessThan":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}`, map[string]any{"aws:CurrentTime": "2024-05-31T23:59:59Z"}, true},
	{"DateLessThan equal", `{"DateLessThan":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}`, map[string]any{"aws:CurrentTime": "2024-06-01T00:00:00Z"}, false},
	{"DateLessThan epoch policy, epoch request", `{"DateLessThan":{"aws:EpochTime":"1717200000"}}`, map[string]any{"aws:EpochTime": "1717199999"}, true},
	{"DateLessThanEquals equal", `{"DateLessThanEquals":{"aws:CurrentTime":"1717200000"}}`, map[string]any{"aws:CurrentTime": "2024-06-01T00:00:00Z"}, true},
	{"DateLessThanEquals after", `{"DateLessThanEquals":{"aws:CurrentTime":"1717200000"}}`, map[string]any{"aws:CurrentTime": "2024-06-01T00:00:01Z"}, false},
	{"DateGreaterThan after", `{"DateGreaterThan":{"aws:EpochTime":"2024-06-01T00:00:00Z"}}`, map[string]any{"aws:EpochTime": "1717200001"}, true},
	{"DateGreaterThan equal", `{"DateGreaterThan":{"aws:EpochTime":"2024-06-01T00:00:00Z"}}`, map[string]any{"aws:EpochTime": "1717200000"}, false},
	{"DateGreaterThanEquals equal", `{"DateGreaterThanEquals":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}`, map[string]any{"aws:CurrentTime": "2024-06-01T00:00:00Z"}, true},
	{"DateGreaterThanEquals before", `{"DateGreaterThanEquals":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}`, map[string]any{"aws:CurrentTime": "2024-05-31T23:59:59Z"}, false},
	{"DateLessThan unparsable request value", `{"DateLessThan":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}`, map[string]any{"aws:CurrentTime": "yesterday"}, false},

	// Bool.
	{"Bool true", `{"Bool":{"aws:SecureTransport":"true"}}`, map[string]any{"aws:SecureTransport": "true"}, true},
	{"Bool true vs false", `{"Bool":{"aws:SecureTransport":"true"}}`, map[string]any{"aws:SecureTransport": "false"}, false},
	{"Bool JSON literal false", `{"Bool":{"aws:SecureTransport":false}}`, map[string]any{"aws:SecureTransport": "false"}, true},
	{"Bool JSON literal false vs true", `{"Bool":{"aws:SecureTransport":false}}`, map[string]any{"aws:SecureTransport": "true"}, false},

	// BinaryEquals (base64 on both sides): "BinaryValue", "Other".
	{"BinaryEquals same", `{"BinaryEquals":{"k:bin":"QmluYXJ5VmFsdWU="}}`, map[string]any{"k:bin": "QmluYXJ5VmFsdWU="}, true},
	{"BinaryEquals other", `{"BinaryEquals":{"k:bin":"QmluYXJ5VmFsdWU="}}`, map[string]any{"k:bin": "T3RoZXI="}, false},

	// IP address operators: IPv4 and IPv6 CIDRs, bare addresses.
	{"IpAddress v4 CIDR in", `{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}}`, map[string]any{"aws:SourceIp": "203.0.113.7"}, true},
	{"IpAddress v4 CIDR out", `{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}}`, map[string]any{"aws:SourceIp": "198.51.100.1"}, false},
	{"IpAddress v6 CIDR in", `{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}}`, map[string]any{"aws:SourceIp": "2001:db8:1::1"}, true},
	{"IpAddress v6 CIDR out", `{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}}`, map[string]any{"aws:SourceIp": "2001:db9::1"}, false},
	{"IpAddress bare v4 is /32", `{"IpAddress":{"aws:SourceIp":"192.0.2.10"}}`, map[string]any{"aws:SourceIp": "192.0.2.10"}, true},
	{"IpAddress bare v4 neighbour", `{"IpAddress":{"aws:SourceIp":"192.0.2.10"}}`, map[string]any{"aws:SourceIp": "192.0.2.11"}, false},
	{"IpAddress bare v6 is /128", `{"IpAddress":{"aws:SourceIp":"2001:db8::5"}}`, map[string]any{"aws:SourceIp": "2001:db8::5"}, true},
	{"IpAddress bare v6 neighbour", `{"IpAddress":{"aws:SourceIp":"2001:db8::5"}}`, map[string]any{"aws:SourceIp": "2001:db8::6"}, false},
	{"IpAddress garbage request value", `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`, map[string]any{"aws:SourceIp": "not-an-ip"}, false},
	{"NotIpAddress v4 inside", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, map[string]any{"aws:SourceIp": "10.1.2.3"}, false},
	{"NotIpAddress v4 outside", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, map[string]any{"aws:SourceIp": "192.0.2.1"}, true},
	{"NotIpAddress v6 inside", `{"NotIpAddress":{"aws:SourceIp":"fd00::/8"}}`, map[string]any{"aws:SourceIp": "fd12::1"}, false},
	{"NotIpAddress v6 outside", `{"NotIpAddress":{"aws:SourceIp":"fd00::/8"}}`, map[string]any{"aws:SourceIp": "2001:db8::1"}, true},

	// ARN operators: compared component by component.
	{"ArnEquals exact", `{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/x"}}`, map[string]any{"aws:PrincipalArn": "arn:aws:iam::111122223333:role/x"}, true},
	{"ArnEquals other", `{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/x"}}`, map[string]any{"aws:PrincipalArn": "arn:aws:iam::111122223333:role/y"}, false},
	{"ArnEquals takes wildcards like ArnLike", `{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::*:role/x"}}`, map[string]any{"aws:PrincipalArn": "arn:aws:iam::444455556666:role/x"}, true},
	{"ArnLike account wildcard", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/x"}}`, map[string]any{"aws:PrincipalArn": "arn:aws:iam::111122223333:role/x"}, true},
	// Trap: the account '*' must not swallow "123:456" (the resource
	// component is then "456:role/x", not "role/x").
	{"ArnLike star does not cross colon", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/x"}}`, map[string]any{"aws:PrincipalArn": "arn:aws:iam::123:456:role/x"}, false},
	{"ArnLike region star does not cross colon", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:111122223333:topic"}}`, map[string]any{"aws:SourceArn": "arn:aws:sns:us-east-1:999:111122223333:topic"}, false},
	{"ArnLike is case-sensitive", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/x"}}`, map[string]any{"aws:PrincipalArn": "arn:aws:iam::111122223333:role/X"}, false},
	{"ArnLike resource star crosses slash", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/*"}}`, map[string]any{"aws:PrincipalArn": "arn:aws:iam::111122223333:role/path/x"}, true},
	{"ArnLike resource star crosses colon", `{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::b/*"}}`, map[string]any{"aws:SourceArn": "arn:aws:s3:::b/k:x"}, true},
	{"ArnLike question in region", `{"ArnLike":{"aws:SourceArn":"arn:aws:sqs:us-east-?:*:q"}}`, map[string]any{"aws:SourceArn": "arn:aws:sqs:us-east-2:111122223333:q"}, true},
	{"ArnLike request value not an ARN", `{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::*"}}`, map[string]any{"aws:SourceArn": "not-an-arn"}, false},
	{"ArnNotEquals same", `{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/x"}}`, map[string]any{"aws:PrincipalArn": "arn:aws:iam::111122223333:role/x"}, false},
	{"ArnNotEquals other", `{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/x"}}`, map[string]any{"aws:PrincipalArn": "arn:aws:iam::111122223333:role/y"}, true},
	{"ArnNotLike matching", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/x"}}`, map[string]any{"aws:PrincipalArn": "arn:aws:iam::111122223333:role/x"}, false},
	{"ArnNotLike shifted value does not match", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/x"}}`, map[string]any{"aws:PrincipalArn": "arn:aws:iam::123:456:role/x"}, true},

	// Null.
	{"Null true, key missing", `{"Null":{"aws:TokenIssueTime":"true"}}`, map[string]any{}, true},
	{"Null true, key present", `{"Null":{"aws:TokenIssueTime":"true"}}`, map[string]any{"aws:TokenIssueTime": "2024-06-01T00:00:00Z"}, false},
	{"Null false, key present", `{"Null":{"aws:TokenIssueTime":false}}`, map[string]any{"aws:TokenIssueTime": "2024-06-01T00:00:00Z"}, true},
	{"Null false, key missing", `{"Null":{"aws:TokenIssueTime":"false"}}`, map[string]any{}, false},

	// IfExists: true when the key is missing, the operator otherwise.
	{"StringEqualsIfExists missing", `{"StringEqualsIfExists":{"ec2:InstanceType":"t3.micro"}}`, map[string]any{}, true},
	{"StringEqualsIfExists present match", `{"StringEqualsIfExists":{"ec2:InstanceType":"t3.micro"}}`, map[string]any{"ec2:InstanceType": "t3.micro"}, true},
	{"StringEqualsIfExists present mismatch", `{"StringEqualsIfExists":{"ec2:InstanceType":"t3.micro"}}`, map[string]any{"ec2:InstanceType": "m5.large"}, false},
	{"StringNotEqualsIfExists missing", `{"StringNotEqualsIfExists":{"ec2:InstanceType":"t3.micro"}}`, map[string]any{}, true},
	{"StringNotEqualsIfExists present equal", `{"StringNotEqualsIfExists":{"ec2:InstanceType":"t3.micro"}}`, map[string]any{"ec2:InstanceType": "t3.micro"}, false},
	{"NumericLessThanIfExists missing", `{"NumericLessThanIfExists":{"s3:max-keys":"10"}}`, map[string]any{}, true},
	{"NumericLessThanIfExists present below", `{"NumericLessThanIfExists":{"s3:max-keys":"10"}}`, map[string]any{"s3:max-keys": "5"}, true},
	{"NumericLessThanIfExists present above", `{"NumericLessThanIfExists":{"s3:max-keys":"10"}}`, map[string]any{"s3:max-keys": "50"}, false},
	{"DateLessThanIfExists missing", `{"DateLessThanIfExists":{"aws:TokenIssueTime":"2024-06-01T00:00:00Z"}}`, map[string]any{}, true},
	{"DateLessThanIfExists present after", `{"DateLessThanIfExists":{"aws:TokenIssueTime":"2024-06-01T00:00:00Z"}}`, map[string]any{"aws:TokenIssueTime": "2024-07-01T00:00:00Z"}, false},
	{"BoolIfExists missing", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}`, map[string]any{}, true},
	{"BoolIfExists present false", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}`, map[string]any{"aws:MultiFactorAuthPresent": "false"}, false},
	{"IpAddressIfExists missing", `{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}`, map[string]any{}, true},
	{"IpAddressIfExists present outside", `{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}`, map[string]any{"aws:SourceIp": "192.0.2.1"}, false},
	{"ArnLikeIfExists missing", `{"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:s3:::b"}}`, map[string]any{}, true},
	{"ArnLikeIfExists present other", `{"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:s3:::b"}}`, map[string]any{"aws:SourceArn": "arn:aws:s3:::c"}, false},
	{"BinaryEqualsIfExists missing", `{"BinaryEqualsIfExists":{"k:bin":"QmluYXJ5VmFsdWU="}}`, map[string]any{}, true},

	// ForAnyValue: false when the key is missing or the set is empty.
	{"ForAnyValue one matches", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}}`, map[string]any{"aws:TagKeys": []string{"x", "env"}}, true},
	{"ForAnyValue none matches", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}}`, map[string]any{"aws:TagKeys": []string{"x", "y"}}, false},
	{"ForAnyValue missing key", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}}`, map[string]any{}, false},
	{"ForAnyValue empty set", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}}`, map[string]any{"aws:TagKeys": []string{}}, false},
	{"ForAnyValue StringLike", `{"ForAnyValue:StringLike":{"aws:TagKeys":"cost-*"}}`, map[string]any{"aws:TagKeys": []string{"env", "cost-center"}}, true},
	{"ForAnyValue negated: one differs", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":"env"}}`, map[string]any{"aws:TagKeys": []string{"env", "x"}}, true},
	{"ForAnyValue negated: none differs", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":"env"}}`, map[string]any{"aws:TagKeys": []string{"env"}}, false},
	{"ForAnyValue negated: missing key", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":"env"}}`, map[string]any{}, false},

	// ForAllValues: true when the key is missing or the set is empty.
	{"ForAllValues subset", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`, map[string]any{"aws:TagKeys": []string{"env"}}, true},
	{"ForAllValues equal set", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`, map[string]any{"aws:TagKeys": []string{"team", "env"}}, true},
	{"ForAllValues one outside", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`, map[string]any{"aws:TagKeys": []string{"env", "x"}}, false},
	{"ForAllValues missing key (trap)", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`, map[string]any{}, true},
	{"ForAllValues empty set", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`, map[string]any{"aws:TagKeys": []string{}}, true},
	{"ForAllValues IgnoreCase", `{"ForAllValues:StringEqualsIgnoreCase":{"aws:TagKeys":["env","team"]}}`, map[string]any{"aws:TagKeys": []string{"ENV", "Team"}}, true},
	{"ForAllValues negated: none forbidden", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret","admin"]}}`, map[string]any{"aws:TagKeys": []string{"a", "b"}}, true},
	{"ForAllValues negated: one forbidden", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret","admin"]}}`, map[string]any{"aws:TagKeys": []string{"a", "admin"}}, false},
	{"ForAllValues StringLike", `{"ForAllValues:StringLike":{"aws:TagKeys":"app-*"}}`, map[string]any{"aws:TagKeys": []string{"app-a", "app-b"}}, true},
	{"ForAllValues StringLike one outside", `{"ForAllValues:StringLike":{"aws:TagKeys":"app-*"}}`, map[string]any{"aws:TagKeys": []string{"app-a", "b"}}, false},

	// Negated operators with several values: NOR.
	{"StringNotEquals NOR first", `{"StringNotEquals":{"aws:username":["alice","bob"]}}`, map[string]any{"aws:username": "alice"}, false},
	{"StringNotEquals NOR second", `{"StringNotEquals":{"aws:username":["alice","bob"]}}`, map[string]any{"aws:username": "bob"}, false},
	{"StringNotEquals NOR neither", `{"StringNotEquals":{"aws:username":["alice","bob"]}}`, map[string]any{"aws:username": "carol"}, true},
	{"StringNotLike NOR", `{"StringNotLike":{"s3:prefix":["a*","b*"]}}`, map[string]any{"s3:prefix": "bx"}, false},
	{"StringNotLike NOR neither", `{"StringNotLike":{"s3:prefix":["a*","b*"]}}`, map[string]any{"s3:prefix": "cx"}, true},
	{"NumericNotEquals NOR", `{"NumericNotEquals":{"s3:max-keys":["1","2"]}}`, map[string]any{"s3:max-keys": "2"}, false},
	{"NumericNotEquals NOR neither", `{"NumericNotEquals":{"s3:max-keys":["1","2"]}}`, map[string]any{"s3:max-keys": "3"}, true},
	{"NotIpAddress NOR", `{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}`, map[string]any{"aws:SourceIp": "192.168.1.1"}, false},
	{"NotIpAddress NOR neither", `{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}`, map[string]any{"aws:SourceIp": "8.8.8.8"}, true},
	{"ArnNotLike NOR", `{"ArnNotLike":{"aws:SourceArn":["arn:aws:s3:::a*","arn:aws:s3:::b*"]}}`, map[string]any{"aws:SourceArn": "arn:aws:s3:::bucket"}, false},
	{"ArnNotLike NOR neither", `{"ArnNotLike":{"aws:SourceArn":["arn:aws:s3:::a*","arn:aws:s3:::b*"]}}`, map[string]any{"aws:SourceArn": "arn:aws:s3:::cubby"}, true},
	{"DateNotEquals NOR", `{"DateNotEquals":{"aws:CurrentTime":["2024-06-01T00:00:00Z","2024-06-02T00:00:00Z"]}}`, map[string]any{"aws:CurrentTime": "2024-06-02T00:00:00Z"}, false},

	// Several keys under one operator: AND.
	{"keys AND both", `{"StringEquals":{"aws:username":"alice","aws:PrincipalTag/team":"blue"}}`, map[string]any{"aws:username": "alice", "aws:PrincipalTag/team": "blue"}, true},
	{"keys AND one wrong", `{"StringEquals":{"aws:username":"alice","aws:PrincipalTag/team":"blue"}}`, map[string]any{"aws:username": "alice", "aws:PrincipalTag/team": "red"}, false},
	{"keys AND one missing", `{"StringEquals":{"aws:username":"alice","aws:PrincipalTag/team":"blue"}}`, map[string]any{"aws:username": "alice"}, false},

	// Several operators: AND.
	{"operators AND all", `{"StringEquals":{"aws:username":"alice"},"Bool":{"aws:SecureTransport":"true"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`,
		map[string]any{"aws:username": "alice", "aws:SecureTransport": "true", "aws:SourceIp": "10.0.0.1"}, true},
	{"operators AND one false", `{"StringEquals":{"aws:username":"alice"},"Bool":{"aws:SecureTransport":"true"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`,
		map[string]any{"aws:username": "alice", "aws:SecureTransport": "false", "aws:SourceIp": "10.0.0.1"}, false},

	// Condition key names are case-insensitive, tag-key parts too; the
	// values keep the operator's case rule.
	{"key case: policy mixed, request lower", `{"StringEquals":{"aws:PrincipalTag/Team":"blue"}}`, map[string]any{"aws:principaltag/team": "blue"}, true},
	{"key case: policy lower, request mixed", `{"StringEquals":{"aws:principaltag/team":"blue"}}`, map[string]any{"aws:PrincipalTag/TEAM": "blue"}, true},
	{"key case: upper-case key", `{"StringEquals":{"AWS:USERNAME":"alice"}}`, map[string]any{"aws:username": "alice"}, true},
	{"key case: value still case-sensitive", `{"StringEquals":{"aws:PrincipalTag/Team":"Blue"}}`, map[string]any{"aws:principaltag/team": "blue"}, false},
	{"key case: different tag key", `{"StringEquals":{"aws:PrincipalTag/Team":"blue"}}`, map[string]any{"aws:PrincipalTag/Teams": "blue"}, false},

	// Policy variables in condition values (2012-10-17).
	{"variable substituted", `{"StringEquals":{"s3:prefix":"${aws:username}/"}}`, map[string]any{"aws:username": "alice", "s3:prefix": "alice/"}, true},
	{"variable substituted, other value", `{"StringEquals":{"s3:prefix":"${aws:username}/"}}`, map[string]any{"aws:username": "alice", "s3:prefix": "bob/"}, false},
	{"variable not literal under 2012", `{"StringEquals":{"s3:prefix":"${aws:username}/"}}`, map[string]any{"aws:username": "alice", "s3:prefix": "${aws:username}/"}, false},
	{"variable unresolvable", `{"StringEquals":{"s3:prefix":"${aws:username}/"}}`, map[string]any{"s3:prefix": "/"}, false},
	{"variable in StringLike", `{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`, map[string]any{"aws:username": "alice", "s3:prefix": "home/alice/x/y"}, true},
	{"variable in StringLike, other user", `{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`, map[string]any{"aws:username": "alice", "s3:prefix": "home/bob/x"}, false},
	{"variable value is literal, not a glob", `{"StringLike":{"s3:prefix":"home/${aws:username}"}}`, map[string]any{"aws:username": "*", "s3:prefix": "home/bob"}, false},
	{"variable key case-insensitive", `{"StringEquals":{"aws:RequestTag/team":"${aws:PrincipalTag/Team}"}}`, map[string]any{"aws:principaltag/team": "blue", "aws:RequestTag/team": "blue"}, true},
	{"variable default used", `{"StringEquals":{"aws:RequestTag/team":"${aws:PrincipalTag/team, 'none'}"}}`, map[string]any{"aws:RequestTag/team": "none"}, true},
	{"variable default not used when present", `{"StringEquals":{"aws:RequestTag/team":"${aws:PrincipalTag/team, 'none'}"}}`, map[string]any{"aws:PrincipalTag/team": "blue", "aws:RequestTag/team": "none"}, false},
	{"variable default, value present", `{"StringEquals":{"aws:RequestTag/team":"${aws:PrincipalTag/team, 'none'}"}}`, map[string]any{"aws:PrincipalTag/team": "blue", "aws:RequestTag/team": "blue"}, true},
	{"variable multivalued is unresolvable", `{"StringEquals":{"s3:prefix":"${aws:TagKeys}"}}`, map[string]any{"aws:TagKeys": []string{"a"}, "s3:prefix": "a"}, false},
	{"variable in ArnEquals", `{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/${aws:username}"}}`, map[string]any{"aws:username": "alice", "aws:PrincipalArn": "arn:aws:iam::111122223333:user/alice"}, true},
	{"variable in ArnEquals, other user", `{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/${aws:username}"}}`, map[string]any{"aws:username": "alice", "aws:PrincipalArn": "arn:aws:iam::111122223333:user/bob"}, false},
	{"escapes are literal", `{"StringEquals":{"k:s":"a${*}b${?}c${$}d"}}`, map[string]any{"k:s": "a*b?c$d"}, true},
	{"escapes are literal, other", `{"StringEquals":{"k:s":"a${*}b${?}c${$}d"}}`, map[string]any{"k:s": "aXbYc$d"}, false},
	{"escaped star is no wildcard in StringLike", `{"StringLike":{"k:s":"x${*}"}}`, map[string]any{"k:s": "x*"}, true},
	{"escaped star is no wildcard in StringLike, other", `{"StringLike":{"k:s":"x${*}"}}`, map[string]any{"k:s": "xyz"}, false},
	{"escaped question is no wildcard", `{"StringLike":{"k:s":"x${?}"}}`, map[string]any{"k:s": "xy"}, false},
}

// evalMissingKeyOps lists an operator and a valid value for each family:
// with the key missing, a non-negated operator is false and a negated one
// true (§7).
var evalMissingKeyOps = []struct {
	op, val string
	negated bool
}{
	{"StringEquals", "a", false},
	{"StringNotEquals", "a", true},
	{"StringEqualsIgnoreCase", "a", false},
	{"StringNotEqualsIgnoreCase", "a", true},
	{"StringLike", "*", false},
	{"StringNotLike", "a*", true},
	{"NumericEquals", "1", false},
	{"NumericNotEquals", "1", true},
	{"NumericLessThan", "1", false},
	{"NumericLessThanEquals", "1", false},
	{"NumericGreaterThan", "1", false},
	{"NumericGreaterThanEquals", "1", false},
	{"DateEquals", "2024-06-01T00:00:00Z", false},
	{"DateNotEquals", "2024-06-01T00:00:00Z", true},
	{"DateLessThan", "2024-06-01T00:00:00Z", false},
	{"DateLessThanEquals", "2024-06-01T00:00:00Z", false},
	{"DateGreaterThan", "1717200000", false},
	{"DateGreaterThanEquals", "1717200000", false},
	{"Bool", "true", false},
	{"BinaryEquals", "QmluYXJ5VmFsdWU=", false},
	{"IpAddress", "0.0.0.0/0", false},
	{"NotIpAddress", "10.0.0.0/8", true},
	{"ArnEquals", "arn:aws:s3:::b", false},
	{"ArnLike", "*", false},
	{"ArnNotEquals", "arn:aws:s3:::b", true},
	{"ArnNotLike", "arn:aws:s3:::*", true},
}

func evalCondHolds(t *testing.T, version, cond string, kv map[string]any) bool {
	t.Helper()
	doc := fmt.Sprintf(`{"Version":%q,"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":%s}]}`, version, cond)
	set := eSet(t, policy.Identity, doc)
	d, _ := eDecide(set, &policy.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: eCtx(kv)})
	switch d {
	case policy.Allowed:
		return true
	case policy.NotApplicable:
		return false
	}
	t.Fatalf("unexpected decision %v", d)
	return false
}

func TestEvalConditionOperators(t *testing.T) {
	for _, tc := range evalCondCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := evalCondHolds(t, policy.Version2012, tc.cond, tc.ctx); got != tc.want {
				t.Errorf("Condition %s with context %v: holds = %v, want %v", tc.cond, tc.ctx, got, tc.want)
			}
		})
	}
}

// TestEvalConditionNegatedDeny checks the same operators under Deny: a
// negated operator on a missing key makes a Deny apply.
func TestEvalConditionNegatedDeny(t *testing.T) {
	allowAll := `{"Effect":"Allow","Action":"*","Resource":"*"}`
	deny := `{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-abc"}}}`
	set := eSet(t, policy.Identity, evalStmt(allowAll+","+deny))
	req := &policy.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}
	for _, tc := range []struct {
		kv   map[string]any
		want policy.Decision
	}{
		{map[string]any{}, policy.Denied}, // missing key: negated operator is true
		{map[string]any{"aws:PrincipalOrgID": "o-xyz"}, policy.Denied},
		{map[string]any{"aws:PrincipalOrgID": "o-abc"}, policy.Allowed},
	} {
		req.Context = eCtx(tc.kv)
		if d, _ := eDecide(set, req); d != tc.want {
			t.Errorf("context %v: %v, want %v", tc.kv, d, tc.want)
		}
	}
}

func TestEvalMissingKey(t *testing.T) {
	for _, o := range evalMissingKeyOps {
		t.Run(o.op, func(t *testing.T) {
			cond := fmt.Sprintf(`{%q:{"k:missing":%q}}`, o.op, o.val)
			if got := evalCondHolds(t, policy.Version2012, cond, map[string]any{"k:other": "x"}); got != o.negated {
				t.Errorf("%s on a missing key: holds = %v, want %v", o.op, got, o.negated)
			}
			ifx := fmt.Sprintf(`{%q:{"k:missing":%q}}`, o.op+"IfExists", o.val)
			if !evalCondHolds(t, policy.Version2012, ifx, map[string]any{}) {
				t.Errorf("%sIfExists on a missing key: false, want true", o.op)
			}
		})
	}
}

// TestEvalForAllValuesMissingKeyAllows is the documented trap: an Allow
// with ForAllValues on a key the request does not carry allows.
func TestEvalForAllValuesMissingKeyAllows(t *testing.T) {
	doc := evalStmt(`{"Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["env"]}}}`)
	set := eSet(t, policy.Identity, doc)
	req := &policy.Request{Action: "ec2:CreateTags", Resource: "arn:aws:ec2:us-east-1:111122223333:instance/i-1", Context: policy.NewContext()}
	if d, _ := eDecide(set, req); d != policy.Allowed {
		t.Errorf("ForAllValues on a missing key: %v, want allowed", d)
	}
	req.Context = eCtx(map[string]any{"aws:TagKeys": []string{"env", "owner"}})
	if d, _ := eDecide(set, req); d != policy.NotApplicable {
		t.Errorf("ForAllValues with an unlisted key: %v, want implicitDeny", d)
	}
}

// TestEvalConditionVersion2008 checks that variables are literal text
// under 2008-10-17 (and with no Version at all).
func TestEvalConditionVersion2008(t *testing.T) {
	cond := `{"StringEquals":{"s3:prefix":"${aws:username}"}}`
	kvSub := map[string]any{"aws:username": "alice", "s3:prefix": "alice"}
	kvLit := map[string]any{"aws:username": "alice", "s3:prefix": "${aws:username}"}
	if !evalCondHolds(t, policy.Version2012, cond, kvSub) {
		t.Error("2012-10-17: ${aws:username} not substituted")
	}
	if evalCondHolds(t, policy.Version2008, cond, kvSub) {
		t.Error("2008-10-17: ${aws:username} was substituted")
	}
	if !evalCondHolds(t, policy.Version2008, cond, kvLit) {
		t.Error("2008-10-17: ${aws:username} is not literal")
	}
}

// ---------------------------------------------------------------------------
// Policy variables in Resource (§6).

func TestEvalResourceVariables(t *testing.T) {
	const home = `{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${aws:username}/*"}`
	tests := []struct {
		name, doc, resource string
		kv                  map[string]any
		want                policy.Decision
	}{
		{"substituted", evalStmt(home), "arn:aws:s3:::home/alice/k", map[string]any{"aws:username": "alice"}, policy.Allowed},
		{"other user's folder", evalStmt(home), "arn:aws:s3:::home/bob/k", map[string]any{"aws:username": "alice"}, policy.NotApplicable},
		{"unresolvable", evalStmt(home), "arn:aws:s3:::home/alice/k", map[string]any{}, policy.NotApplicable},
		{"unresolvable, literal request", evalStmt(home), "arn:aws:s3:::home/${aws:username}/k", map[string]any{}, policy.NotApplicable},
		{"2008: literal", `{"Version":"2008-10-17","Statement":[` + home + `]}`, "arn:aws:s3:::home/${aws:username}/k", map[string]any{"aws:username": "alice"}, policy.Allowed},
		{"2008: not substituted", `{"Version":"2008-10-17","Statement":[` + home + `]}`, "arn:aws:s3:::home/alice/k", map[string]any{"aws:username": "alice"}, policy.NotApplicable},
		{"no Version: not substituted", `{"Statement":[` + home + `]}`, "arn:aws:s3:::home/alice/k", map[string]any{"aws:username": "alice"}, policy.NotApplicable},
		{"multivalued key is unresolvable", evalStmt(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::tags/${aws:TagKeys}"}`),
			"arn:aws:s3:::tags/a", map[string]any{"aws:TagKeys": []string{"a"}}, policy.NotApplicable},
		{"default used", evalStmt(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::team/${aws:PrincipalTag/team, 'shared'}/*"}`),
			"arn:aws:s3:::team/shared/k", map[string]any{}, policy.Allowed},
		{"default ignored when tag present", evalStmt(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::team/${aws:PrincipalTag/team, 'shared'}/*"}`),
			"arn:aws:s3:::team/shared/k", map[string]any{"aws:PrincipalTag/team": "blue"}, policy.NotApplicable},
		{"tag value substituted", evalStmt(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::team/${aws:PrincipalTag/team, 'shared'}/*"}`),
			"arn:aws:s3:::team/blue/k", map[string]any{"aws:principaltag/TEAM": "blue"}, policy.Allowed},
		{"escaped star is literal", evalStmt(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${*}"}`),
			"arn:aws:s3:::b/*", map[string]any{}, policy.Allowed},
		{"escaped star is no wildcard", evalStmt(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${*}"}`),
			"arn:aws:s3:::b/x", map[string]any{}, policy.NotApplicable},
		{"escapes ? and $", evalStmt(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${?}${$}"}`),
			"arn:aws:s3:::b/?$", map[string]any{}, policy.Allowed},
		{"escaped ? is no wildcard", evalStmt(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${?}"}`),
			"arn:aws:s3:::b/x", map[string]any{}, policy.NotApplicable},
		{"two variables", evalStmt(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::${aws:PrincipalTag/team}-data/${aws:username}/*"}`),
			"arn:aws:s3:::blue-data/alice/k", map[string]any{"aws:username": "alice", "aws:PrincipalTag/team": "blue"}, policy.Allowed},
		// The brief asks for ${aws:PrincipalAccount} in the account
		// component; see the report: spec §6 and the AWS user guide say
		// variables are only allowed after the fifth colon.
		{"account segment variable", evalStmt(`{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::${aws:PrincipalAccount}:role/x"}`),
			"arn:aws:iam::111122223333:role/x", map[string]any{"aws:PrincipalAccount": eAcct}, policy.Allowed},
		{"account segment variable, other account", evalStmt(`{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::${aws:PrincipalAccount}:role/x"}`),
			"arn:aws:iam::444455556666:role/x", map[string]any{"aws:PrincipalAccount": eAcct}, policy.NotApplicable},
		{"account segment variable, unresolvable", evalStmt(`{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::${aws:PrincipalAccount}:role/x"}`),
			"arn:aws:iam::111122223333:role/x", map[string]any{}, policy.NotApplicable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set := eSet(t, policy.Identity, tc.doc)
			action := "s3:GetObject"
			if strings.Contains(tc.doc, "iam:PassRole") {
				action = "iam:PassRole"
			}
			d, _ := eDecide(set, &policy.Request{Action: action, Resource: tc.resource, Context: eCtx(tc.kv)})
			if d != tc.want {
				t.Errorf("%s on %s with %v: %v, want %v", tc.doc, tc.resource, tc.kv, d, tc.want)
			}
		})
	}
}

// TestEvalUnresolvableVariableDeny: a Deny whose variable cannot be
// resolved does not apply (the statement does not match), in Resource and
// in a Condition.
func TestEvalUnresolvableVariableDeny(t *testing.T) {
	allow := `{"Effect":"Allow","Action":"s3:*","Resource":"*"}`
	denyRes := `{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${aws:username}/*"}`
	denyCond := `{"Effect":"Deny","Action":"s3:GetObject","Resource":"*","Condition":{"StringNotEquals":{"s3:prefix":"${aws:username}/"}}}`
	req := &policy.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::home/alice/k"}

	set := eSet(t, policy.Identity, evalStmt(allow), evalStmt(denyRes))
	req.Context = eCtx(map[string]any{})
	if d, _ := eDecide(set, req); d != policy.Allowed {
		t.Errorf("Deny with unresolvable Resource variable: %v, want allowed", d)
	}
	req.Context = eCtx(map[string]any{"aws:username": "alice"})
	if d, _ := eDecide(set, req); d != policy.Denied {
		t.Errorf("Deny with resolved Resource variable: %v, want explicitDeny", d)
	}

	set = eSet(t, policy.Identity, evalStmt(allow), evalStmt(denyCond))
	req.Context = eCtx(map[string]any{"s3:prefix": "bob/"})
	if d, _ := eDecide(set, req); d != policy.Allowed {
		t.Errorf("Deny with unresolvable condition variable: %v, want allowed", d)
	}
	req.Context = eCtx(map[string]any{"s3:prefix": "bob/", "aws:username": "alice"})
	if d, _ := eDecide(set, req); d != policy.Denied {
		t.Errorf("Deny with resolved condition variable: %v, want explicitDeny", d)
	}
	req.Context = eCtx(map[string]any{"s3:prefix": "alice/", "aws:username": "alice"})
	if d, _ := eDecide(set, req); d != policy.Allowed {
		t.Errorf("Deny with resolved, equal condition variable: %v, want allowed", d)
	}
}

// TestEvalUnresolvableVariableNegated: an unresolvable variable makes the
// statement not match even where the text around the variable already
// differs from the request value, and even under NotResource or a negated
// operator, where "does not match" would otherwise make the statement
// apply (spec §6: "A variable that can't be resolved (and has no default)
// makes the statement not match").
func TestEvalUnresolvableVariableNegated(t *testing.T) {
	allow := evalStmt(`{"Effect":"Allow","Action":"*","Resource":"*"}`)
	tests := []struct {
		name, deny, resource string
		kv                   map[string]any
	}{
		{"NotResource, prefix differs", `{"Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::home/${aws:username}/*"}`,
			"arn:aws:s3:::b/k", map[string]any{}},
		{"NotResource, prefix equal", `{"Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::home/${aws:username}/*"}`,
			"arn:aws:s3:::home/bob/k", map[string]any{}},
		{"NotResource, service differs", `{"Effect":"Deny","Action":"*","NotResource":"arn:aws:s3:::home/${aws:username}/*"}`,
			"arn:aws:sqs:us-east-1:111122223333:q", map[string]any{}},
		{"StringNotLike, prefix differs", `{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"StringNotLike":{"s3:prefix":"home/${aws:username}/*"}}}`,
			"arn:aws:s3:::b", map[string]any{"s3:prefix": "b/x"}},
		{"StringNotLike, prefix equal", `{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"StringNotLike":{"s3:prefix":"home/${aws:username}/*"}}}`,
			"arn:aws:s3:::b", map[string]any{"s3:prefix": "home/bob/x"}},
		{"StringNotEquals, suffix differs", `{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"s3:prefix":"${aws:username}/"}}}`,
			"arn:aws:s3:::b", map[string]any{"s3:prefix": "bob"}},
		{"ArnNotLike, account differs", `{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/${aws:username}"}}}`,
			"arn:aws:s3:::b", map[string]any{"aws:PrincipalArn": "arn:aws:iam::444455556666:user/bob"}},
		{"ArnNotLike, resource type differs", `{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/${aws:username}"}}}`,
			"arn:aws:s3:::b", map[string]any{"aws:PrincipalArn": "arn:aws:iam::111122223333:role/bob"}},
		{"ForAllValues:StringNotLike, prefix differs", `{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"ForAllValues:StringNotLike":{"aws:TagKeys":"home-${aws:username}"}}}`,
			"arn:aws:s3:::b", map[string]any{"aws:TagKeys": []string{"x"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set := eSet(t, policy.Identity, allow, evalStmt(tc.deny))
			d, _ := eDecide(set, &policy.Request{Action: "s3:GetObject", Resource: tc.resource, Context: eCtx(tc.kv)})
			if d != policy.Allowed {
				t.Errorf("Deny %s on %s with %v (no aws:username): %v, want allowed (the Deny must not match)", tc.deny, tc.resource, tc.kv, d)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Action and Resource matching (§6).

func TestEvalActionMatching(t *testing.T) {
	tests := []struct {
		pattern, action string
		want            bool
	}{
		{"s3:GetObject", "s3:GetObject", true},
		{"s3:GetObject", "S3:getobject", true},
		{"S3:GETOBJECT", "s3:GetObject", true},
		{"s3:GetObject", "s3:GetObjectAcl", false},
		{"s3:GetObject", "s3:PutObject", false},
		{"s3:Get*", "s3:GetObject", true},
		{"s3:Get*", "s3:GetBucketPolicy", true},
		{"s3:Get*", "s3:PutObject", false},
		{"s3:Get*", "s3-object-lambda:GetObject", false},
		{"s3:Get*", "ec2:GetConsoleOutput", false},
		{"*", "iam:CreateUser", true},
		{"*", "sts:AssumeRole", true},
		{"iam:*Role*", "iam:PassRole", true},
		{"iam:*Role*", "iam:GetRolePolicy", true},
		{"iam:*Role*", "iam:CreateRole", true},
		{"iam:*Role*", "iam:GetUser", false},
		{"s3:GetObjec?", "s3:GetObject", true},
		{"s3:GetObjec?", "s3:GetObjectAcl", false},
		{"s3:?etObject", "s3:GetObject", true},
		{"s3:*", "s3:ListAllMyBuckets", true},
		{"s3:*", "sqs:SendMessage", false},
		{"ec2:Describe*", "ec2:describeinstances", true},
	}
	for _, tc := range tests {
		set := eSet(t, policy.Identity, evalStmt(fmt.Sprintf(`{"Effect":"Allow","Action":%q,"Resource":"*"}`, tc.pattern)))
		d, _ := eDecide(set, &policy.Request{Action: tc.action, Resource: "*"})
		if got := d == policy.Allowed; got != tc.want {
			t.Errorf("Action %q vs %q: %v, want match=%v", tc.pattern, tc.action, d, tc.want)
		}
	}
}

func TestEvalNotAction(t *testing.T) {
	set := eSet(t, policy.Identity, evalStmt(`{"Effect":"Allow","NotAction":["iam:*","organizations:*"],"Resource":"*"}`))
	for action, want := range map[string]policy.Decision{
		"s3:GetObject":              policy.Allowed,
		"ec2:RunInstances":          policy.Allowed,
		"iam:CreateUser":            policy.NotApplicable,
		"IAM:createuser":            policy.NotApplicable,
		"organizations:ListRoots":   policy.NotApplicable,
		"organizationsx:Something":  policy.Allowed,
		"sts:GetCallerIdentity":     policy.Allowed,
		"iam-access-analyzer:Thing": policy.Allowed,
	} {
		if d, _ := eDecide(set, &policy.Request{Action: action, Resource: "*"}); d != want {
			t.Errorf("NotAction iam:*, organizations:* vs %s: %v, want %v", action, d, want)
		}
	}
	// NotAction with Deny: deny everything except the listed actions.
	set = eSet(t, policy.Identity,
		evalStmt(`{"Effect":"Allow","Action":"*","Resource":"*"}`),
		evalStmt(`{"Effect":"Deny","NotAction":"iam:ChangePassword","Resource":"*"}`))
	if d, _ := eDecide(set, &policy.Request{Action: "iam:ChangePassword", Resource: "*"}); d != policy.Allowed {
		t.Errorf("Deny NotAction: excluded action %v, want allowed", d)
	}
	if d, _ := eDecide(set, &policy.Request{Action: "s3:GetObject", Resource: "*"}); d != policy.Denied {
		t.Errorf("Deny NotAction: other action %v, want explicitDeny", d)
	}
}

func TestEvalResourceMatching(t *testing.T) {
	tests := []struct {
		pattern, resource string
		want              bool
	}{
		{"*", "arn:aws:s3:::b/k", true},
		{"*", "*", true},
		{"arn:aws:s3:::b/k", "arn:aws:s3:::b/k", true},
		{"arn:aws:s3:::b/k", "arn:aws:s3:::b/K", false}, // case-sensitive
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/a/b/c", true},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::c/a", false},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b", false},
		{"arn:aws:s3:::my-*-bucket/*", "arn:aws:s3:::my-blue-bucket/k", true},
		{"arn:aws:s3:::my-*-bucket/*", "arn:aws:s3:::my-bucket/k", false},
		{"arn:aws:s3:::log-20??/*", "arn:aws:s3:::log-2024/k", true},
		{"arn:aws:s3:::log-20??/*", "arn:aws:s3:::log-202/k", false},
		{"arn:aws:ec2:us-*-1:*:instance/i-*", "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc", true},
		{"arn:aws:ec2:us-*-1:*:instance/i-*", "arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc", false},
		{"arn:aws:ec2:*:111122223333:instance/*", "arn:aws:ec2:us-east-1:444455556666:instance/i-1", false},
		// '*' in the resource component crosses '/' and ':'.
		{"arn:aws:logs:*:*:log-group:*", "arn:aws:logs:us-east-1:111122223333:log-group:/aws/lambda/f:log-stream:s", true},
		{"arn:aws:logs:us-east-1:111122223333:log-group:/aws/lambda/*", "arn:aws:logs:us-east-1:111122223333:log-group:/aws/lambda/f:*", true},
		{"arn:aws:iam::111122223333:role/*", "arn:aws:iam::111122223333:role/a/b/R", true},
		{"arn:aws:iam::111122223333:user/*", "arn:aws:iam::111122223333:role/R", false},
		// A request on "*" (actions without resource-level permissions) is
		// matched only by "*".
		{"arn:aws:s3:::*", "*", false},
		{"arn:aws:*:*:*:*", "*", false},
		{"arn:aws:*:*:*:*", "arn:aws:sqs:us-east-1:111122223333:q", true},
	}
	for _, tc := range tests {
		set := eSet(t, policy.Identity, evalStmt(fmt.Sprintf(`{"Effect":"Allow","Action":"*","Resource":%q}`, tc.pattern)))
		d, _ := eDecide(set, &policy.Request{Action: "s3:GetObject", Resource: tc.resource})
		if got := d == policy.Allowed; got != tc.want {
			t.Errorf("Resource %q vs %q: %v, want match=%v", tc.pattern, tc.resource, d, tc.want)
		}
	}
}

func TestEvalNotResource(t *testing.T) {
	set := eSet(t, policy.Identity, evalStmt(`{"Effect":"Allow","Action":"s3:*","NotResource":["arn:aws:s3:::secret","arn:aws:s3:::secret/*"]}`))
	for res, want := range map[string]policy.Decision{
		"arn:aws:s3:::public/k":  policy.Allowed,
		"arn:aws:s3:::secret/k":  policy.NotApplicable,
		"arn:aws:s3:::secret":    policy.NotApplicable,
		"arn:aws:s3:::secrets/k": policy.Allowed,
		"*":                      policy.Allowed,
	} {
		if d, _ := eDecide(set, &policy.Request{Action: "s3:GetObject", Resource: res}); d != want {
			t.Errorf("NotResource secret/* vs %s: %v, want %v", res, d, want)
		}
	}
}

// ---------------------------------------------------------------------------
// Principals (resource and trust policies).

func evalResourcePolicy(principal string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":%s,"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`, principal)
}

func TestEvalPrincipals(t *testing.T) {
	session, user, fed := eSession(), eUser(), eFedUser()
	otherSession := eSession()
	otherSession.ARN = "arn:aws:sts::111122223333:assumed-role/R/T"
	otherRole := &policy.Principal{Type: arn.PrincipalAssumedRole, AccountID: eAcct, ARN: "arn:aws:sts::111122223333:assumed-role/Q/S", RoleARN: "arn:aws:iam::111122223333:role/Q", UniqueID: "AROAQQQQQQQQQQQQQQQQQ"}
	foreignUser := &policy.Principal{Type: arn.PrincipalUser, AccountID: eOther, ARN: "arn:aws:iam::444455556666:user/division/alice", UniqueID: "AIDAZZZZZZZZZZZZZZZZZ"}
	anonymous := &policy.Principal{Type: arn.PrincipalAll, ARN: "*"}

	tests := []struct {
		name      string
		principal string
		caller    *policy.Principal
		want      policy.PrincipalMatch // MatchNone: the statement does not apply
	}{
		{"star string, user", `"*"`, user, policy.MatchAll},
		{"star string, anonymous", `"*"`, anonymous, policy.MatchAll},
		{"AWS star, session", `{"AWS":"*"}`, session, policy.MatchAll},
		{"account root, user", `{"AWS":"arn:aws:iam::111122223333:root"}`, user, policy.MatchAccount},
		{"account root, session", `{"AWS":"arn:aws:iam::111122223333:root"}`, session, policy.MatchAccount},
		{"account root, root", `{"AWS":"arn:aws:iam::111122223333:root"}`, eRoot(eAcct), policy.MatchAccount},
		{"account root, federated user", `{"AWS":"arn:aws:iam::111122223333:root"}`, fed, policy.MatchAccount},
		{"account root, other account", `{"AWS":"arn:aws:iam::111122223333:root"}`, foreignUser, policy.MatchNone},
		{"account root, service", `{"AWS":"arn:aws:iam::111122223333:root"}`, eService("ec2.amazonaws.com"), policy.MatchNone},
		{"account root, anonymous", `{"AWS":"arn:aws:iam::111122223333:root"}`, anonymous, policy.MatchNone},
		{"bare account ID, user", `{"AWS":"111122223333"}`, user, policy.MatchAccount},
		{"bare account ID, session", `{"AWS":["111122223333"]}`, session, policy.MatchAccount},
		{"bare account ID, other account", `{"AWS":"111122223333"}`, eRoot(eOther), policy.MatchNone},
		{"user ARN", `{"AWS":"arn:aws:iam::111122223333:user/division/alice"}`, user, policy.MatchUser},
		{"user ARN, same name other account", `{"AWS":"arn:aws:iam::111122223333:user/division/alice"}`, foreignUser, policy.MatchNone},
		{"user ARN, without the path", `{"AWS":"arn:aws:iam::111122223333:user/alice"}`, user, policy.MatchNone},
		{"user ARN, session", `{"AWS":"arn:aws:iam::111122223333:user/division/alice"}`, session, policy.MatchNone},
		{"role ARN, its session", `{"AWS":"arn:aws:iam::111122223333:role/app/R"}`, session, policy.MatchRole},
		{"role ARN, another session of it", `{"AWS":"arn:aws:iam::111122223333:role/app/R"}`, otherSession, policy.MatchRole},
		{"role ARN, other role's session", `{"AWS":"arn:aws:iam::111122223333:role/app/R"}`, otherRole, policy.MatchNone},
		{"role ARN, user", `{"AWS":"arn:aws:iam::111122223333:role/app/R"}`, user, policy.MatchNone},
		{"session ARN", `{"AWS":"arn:aws:sts::111122223333:assumed-role/R/S"}`, session, policy.MatchSession},
		{"session ARN, other session", `{"AWS":"arn:aws:sts::111122223333:assumed-role/R/S"}`, otherSession, policy.MatchNone},
		{"federated user ARN", `{"AWS":"arn:aws:sts::111122223333:federated-user/bob"}`, fed, policy.MatchFederatedUser},
		{"federated user ARN, user", `{"AWS":"arn:aws:sts::111122223333:federated-user/bob"}`, user, policy.MatchNone},
		{"role unique ID", `{"AWS":"` + eRoleID + `"}`, session, policy.MatchRole},
		{"role unique ID, other role", `{"AWS":"` + eRoleID + `"}`, otherRole, policy.MatchNone},
		{"user unique ID", `{"AWS":"` + eUserID + `"}`, user, policy.MatchUser},
		{"user unique ID, other user", `{"AWS":"` + eUserID + `"}`, foreignUser, policy.MatchNone},
		{"service", `{"Service":"ec2.amazonaws.com"}`, eService("ec2.amazonaws.com"), policy.MatchService},
		{"service, other service", `{"Service":"ec2.amazonaws.com"}`, eService("lambda.amazonaws.com"), policy.MatchNone},
		{"service, IAM user", `{"Service":"ec2.amazonaws.com"}`, user, policy.MatchNone},
		{"most specific of several", `{"AWS":["111122223333","arn:aws:iam::111122223333:role/app/R","arn:aws:sts::111122223333:assumed-role/R/S"]}`, session, policy.MatchSession},
		{"several keys", `{"AWS":"arn:aws:iam::444455556666:root","Service":"ec2.amazonaws.com"}`, eService("ec2.amazonaws.com"), policy.MatchService},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set := eSet(t, policy.Resource, evalResourcePolicy(tc.principal))
			d, res := eDecide(set, &policy.Request{Principal: tc.caller, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"})
			if tc.want == policy.MatchNone {
				if d != policy.NotApplicable {
					t.Errorf("Principal %s, caller %s: %v (as %v), want implicitDeny", tc.principal, tc.caller.ARN, d, res.Principal)
				}
				return
			}
			if d != policy.Allowed || res.Principal != tc.want {
				t.Errorf("Principal %s, caller %s: %v as %v, want allowed as %v", tc.principal, tc.caller.ARN, d, res.Principal, tc.want)
			}
			if len(res.Matches) != 1 || res.Matches[0].Principal != tc.want {
				t.Errorf("Matches = %+v, want one with principal %v", res.Matches, tc.want)
			}
		})
	}
}

func TestEvalPrincipalWithoutRequestPrincipal(t *testing.T) {
	for _, p := range []string{`"*"`, `{"AWS":"*"}`, `{"AWS":"111122223333"}`} {
		set := eSet(t, policy.Resource, evalResourcePolicy(p))
		if d, _ := eDecide(set, &policy.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}); d != policy.NotApplicable {
			t.Errorf("Principal %s with no request principal: %v, want implicitDeny", p, d)
		}
		if d, _ := eDecide(set, &policy.Request{Principal: eUser(), Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}); d != policy.Allowed {
			t.Errorf("Principal %s with an account user: %v, want allowed", p, d)
		}
	}
	// NotPrincipal as well.
	set := eSet(t, policy.Resource, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"*"}]}`)
	if d, _ := eDecide(set, &policy.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}); d != policy.NotApplicable {
		t.Errorf("NotPrincipal with no request principal: %v, want implicitDeny", d)
	}
}

func TestEvalTrustPolicy(t *testing.T) {
	trust := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"Federated":"` + eOIDC + `"},"Action":"sts:AssumeRoleWithWebIdentity",
		 "Condition":{"StringEquals":{"oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub":"system:serviceaccount:default:app",
		                              "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:aud":"sts.amazonaws.com"}}},
		{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]},
		{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext-123"}}}
	]}`
	set := eSet(t, policy.Trust, trust)
	oidc := &policy.Principal{Type: arn.PrincipalOIDCProvider, AccountID: eAcct, ARN: eOIDC}
	otherOIDC := &policy.Principal{Type: arn.PrincipalOIDCProvider, AccountID: eAcct, ARN: "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"}
	sub := "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub"
	aud := "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:aud"
	foreign := &policy.Principal{Type: arn.PrincipalAssumedRole, AccountID: eOther, ARN: "arn:aws:sts::444455556666:assumed-role/X/s", RoleARN: "arn:aws:iam::444455556666:role/X", UniqueID: "AROAXXXXXXXXXXXXXXXXX"}
	tests := []struct {
		name   string
		caller *policy.Principal
		action string
		kv     map[string]any
		want   policy.Decision
		pm     policy.PrincipalMatch
	}{
		{"OIDC ok", oidc, "sts:AssumeRoleWithWebIdentity", map[string]any{sub: "system:serviceaccount:default:app", aud: "sts.amazonaws.com"}, policy.Allowed, policy.MatchFederated},
		{"OIDC wrong sub", oidc, "sts:AssumeRoleWithWebIdentity", map[string]any{sub: "system:serviceaccount:default:other", aud: "sts.amazonaws.com"}, policy.NotApplicable, policy.MatchNone},
		{"OIDC other provider", otherOIDC, "sts:AssumeRoleWithWebIdentity", map[string]any{sub: "system:serviceaccount:default:app", aud: "sts.amazonaws.com"}, policy.NotApplicable, policy.MatchNone},
		{"OIDC wrong action", oidc, "sts:AssumeRole", map[string]any{sub: "system:serviceaccount:default:app", aud: "sts.amazonaws.com"}, policy.NotApplicable, policy.MatchNone},
		{"service", eService("pods.eks.amazonaws.com"), "sts:TagSession", nil, policy.Allowed, policy.MatchService},
		{"service not trusted", eService("ec2.amazonaws.com"), "sts:AssumeRole", nil, policy.NotApplicable, policy.MatchNone},
		{"cross account with external ID", foreign, "sts:AssumeRole", map[string]any{"sts:ExternalId": "ext-123"}, policy.Allowed, policy.MatchAccount},
		{"cross account without external ID", foreign, "sts:AssumeRole", nil, policy.NotApplicable, policy.MatchNone},
		{"same account not trusted", eSession(), "sts:AssumeRole", map[string]any{"sts:ExternalId": "ext-123"}, policy.NotApplicable, policy.MatchNone},
	}
	for _, tc := range tests {
		var ctx *policy.Context
		if tc.kv != nil {
			ctx = eCtx(tc.kv)
		}
		// Trust statements have no Resource element: the request's
		// resource is ignored.
		d, res := eDecide(set, &policy.Request{Principal: tc.caller, Action: tc.action, Resource: "arn:aws:iam::111122223333:role/R", Context: ctx})
		if d != tc.want || res.Principal != tc.pm {
			t.Errorf("%s: %v as %v, want %v as %v", tc.name, d, res.Principal, tc.want, tc.pm)
		}
	}
}

// TestEvalNotPrincipalDeny: a Deny with NotPrincipal applies to a caller
// unless every identity it is is listed: the account, and the role and the
// session for a role session (the AWS user guide's NotPrincipal page).
func TestEvalNotPrincipalDeny(t *testing.T) {
	const (
		acctRoot = `"arn:aws:iam::111122223333:root"`
		role     = `"arn:aws:iam::111122223333:role/app/R"`
		sess     = `"arn:aws:sts::111122223333:assumed-role/R/S"`
		user     = `"arn:aws:iam::111122223333:user/division/alice"`
	)
	otherSession := eSession()
	otherSession.ARN = "arn:aws:sts::111122223333:assumed-role/R/T"
	tests := []struct {
		name   string
		listed string
		caller *policy.Principal
		denied bool
	}{
		{"session: account, role and session listed", acctRoot + "," + role + "," + sess, eSession(), false},
		{"session: bare account, role and session listed", `"111122223333",` + role + "," + sess, eSession(), false},
		{"session: role and session listed, not account", role + "," + sess, eSession(), true},
		{"session: account and role listed, not session", acctRoot + "," + role, eSession(), true},
		{"session: account and session listed, not role", acctRoot + "," + sess, eSession(), true},
		{"session: only session listed", sess, eSession(), true},
		{"session: another session of the listed role", acctRoot + "," + role + "," + sess, otherSession, true},
		{"user: account and user listed", acctRoot + "," + user, eUser(), false},
		{"user: only user listed", user, eUser(), true},
		{"user: only account listed", acctRoot, eUser(), true},
		{"root: account listed", acctRoot, eRoot(eAcct), false},
		{"root of another account", acctRoot, eRoot(eOther), true},
		{"service not listed", acctRoot + "," + user, eService("ec2.amazonaws.com"), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := `{"Version":"2012-10-17","Statement":[
				{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"},
				{"Effect":"Deny","NotPrincipal":{"AWS":[` + tc.listed + `]},"Action":"s3:*","Resource":"*"}]}`
			set := eSet(t, policy.Resource, doc)
			d, _ := eDecide(set, &policy.Request{Principal: tc.caller, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"})
			want := policy.Allowed
			if tc.denied {
				want = policy.Denied
			}
			if d != want {
				t.Errorf("NotPrincipal [%s], caller %s: %v, want %v", tc.listed, tc.caller.ARN, d, want)
			}
		})
	}
}

// TestEvalResultPrincipal: res.Principal is the most specific match among
// the Allow statements that applied; a Deny's match does not count.
func TestEvalResultPrincipal(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"*"},
		{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111122223333:assumed-role/R/S"},"Action":"s3:GetObject","Resource":"*"},
		{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app/R"},"Action":"s3:GetObject","Resource":"*"},
		{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`
	set := eSet(t, policy.Resource, doc)
	d, res := eDecide(set, &policy.Request{Principal: eSession(), Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"})
	if d != policy.Allowed || res.Principal != policy.MatchSession {
		t.Errorf("%v as %v, want allowed as %v", d, res.Principal, policy.MatchSession)
	}
	want := []policy.PrincipalMatch{policy.MatchAccount, policy.MatchSession, policy.MatchRole, policy.MatchAll}
	if len(res.Matches) != len(want) {
		t.Fatalf("Matches = %+v, want %d", res.Matches, len(want))
	}
	for i, m := range res.Matches {
		if m.Statement != i || m.Principal != want[i] || m.Effect != policy.Allow {
			t.Errorf("Matches[%d] = %+v, want statement %d as %v", i, m, i, want[i])
		}
	}

	// A user of the account: only the account and "*" statements apply.
	_, res = eDecide(set, &policy.Request{Principal: eUser(), Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"})
	if res.Principal != policy.MatchAccount {
		t.Errorf("user: principal match %v, want %v", res.Principal, policy.MatchAccount)
	}

	deny := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"*"},
		{"Effect":"Deny","Principal":{"AWS":"arn:aws:sts::111122223333:assumed-role/R/S"},"Action":"s3:GetObject","Resource":"*"}]}`
	set = eSet(t, policy.Resource, deny)
	d, res = eDecide(set, &policy.Request{Principal: eSession(), Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"})
	if d != policy.Denied || res.Principal != policy.MatchAccount {
		t.Errorf("deny: %v as %v, want explicitDeny with Allow principal %v", d, res.Principal, policy.MatchAccount)
	}
	if len(res.Matches) != 2 || res.Matches[1].Effect != policy.Deny || res.Matches[1].Principal != policy.MatchSession {
		t.Errorf("deny: Matches = %+v", res.Matches)
	}
}

// ---------------------------------------------------------------------------
// Decision logic.

func TestEvalDecision(t *testing.T) {
	allowS3 := evalStmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`)
	denyPut := evalStmt(`{"Effect":"Deny","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}`)
	set := eSet(t, policy.Identity, allowS3, denyPut)
	tests := []struct {
		action, resource string
		want             policy.Decision
	}{
		{"s3:GetObject", "arn:aws:s3:::b/k", policy.Allowed},
		{"s3:PutObject", "arn:aws:s3:::b/k", policy.Denied},
		{"s3:PutObject", "arn:aws:s3:::c/k", policy.Allowed},
		{"ec2:RunInstances", "*", policy.NotApplicable},
		{"noservice", "*", policy.NotApplicable},
	}
	for _, tc := range tests {
		if d, _ := eDecide(set, &policy.Request{Action: tc.action, Resource: tc.resource}); d != tc.want {
			t.Errorf("%s on %s: %v, want %v", tc.action, tc.resource, d, tc.want)
		}
	}
	// Order of the policies does not matter.
	set = eSet(t, policy.Identity, denyPut, allowS3)
	if d, _ := eDecide(set, &policy.Request{Action: "s3:PutObject", Resource: "arn:aws:s3:::b/k"}); d != policy.Denied {
		t.Errorf("deny first: %v, want explicitDeny", d)
	}
	// Empty and nil sets.
	if d, _ := eDecide(policy.NewSet(), &policy.Request{Action: "s3:GetObject", Resource: "*"}); d != policy.NotApplicable {
		t.Errorf("empty set: %v", d)
	}
	var nilSet *policy.Set
	if d, _ := eDecide(nilSet, &policy.Request{Action: "s3:GetObject", Resource: "*"}); d != policy.NotApplicable {
		t.Errorf("nil set: %v", d)
	}
	if policy.Allowed.String() != "allowed" || policy.Denied.String() != "explicitDeny" || policy.NotApplicable.String() != "implicitDeny" {
		t.Errorf("Decision strings: %v %v %v", policy.Allowed, policy.Denied, policy.NotApplicable)
	}
}

// TestEvalMatchesOrder: res.Matches lists every applying statement in
// policy order, whether found through the service index or the list of
// wildcard and NotAction statements.
func TestEvalMatchesOrder(t *testing.T) {
	a := evalStmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*"},
		{"Effect":"Allow","Action":"ec2:*","Resource":"*"},
		{"Effect":"Allow","Action":"*","Resource":"*"},
		{"Effect":"Allow","NotAction":"iam:*","Resource":"*"},
		{"Effect":"Allow","Action":["ec2:Describe*","S3:Get*"],"Resource":"*"}`)
	b := evalStmt(`{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},
		{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"},
		{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`)
	set := eSet(t, policy.Identity, a, b)
	var res policy.Result
	// Reuse a Result with stale content: Evaluate must reset it.
	res.Matches = append(res.Matches, policy.Match{Entry: 9, Statement: 9})
	res.Principal = policy.MatchSession
	d := set.Evaluate(&policy.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}, &res)
	if d != policy.Denied || res.Decision != policy.Denied {
		t.Errorf("decision %v / %v, want explicitDeny", d, res.Decision)
	}
	if res.Principal != policy.MatchNone {
		t.Errorf("principal %v, want none", res.Principal)
	}
	want := []policy.Match{
		{Entry: 0, Statement: 0, Effect: policy.Allow},
		{Entry: 0, Statement: 2, Effect: policy.Allow},
		{Entry: 0, Statement: 3, Effect: policy.Allow},
		{Entry: 0, Statement: 4, Effect: policy.Allow},
		{Entry: 1, Statement: 0, Effect: policy.Deny},
		{Entry: 1, Statement: 2, Effect: policy.Allow},
	}
	if fmt.Sprint(res.Matches) != fmt.Sprint(want) {
		t.Errorf("Matches =\n %+v\nwant\n %+v", res.Matches, want)
	}
	// Only the "*" statement applies to an IAM action.
	set.Evaluate(&policy.Request{Action: "iam:CreateUser", Resource: "*"}, &res)
	if res.Decision != policy.Allowed || len(res.Matches) != 1 || res.Matches[0].Statement != 2 {
		t.Errorf("iam:CreateUser: %v %+v, want allowed by statement 2 only", res.Decision, res.Matches)
	}
	// Nothing applies: Matches is empty.
	set = eSet(t, policy.Identity, b)
	set.Evaluate(&policy.Request{Action: "iam:CreateUser", Resource: "*"}, &res)
	if res.Decision != policy.NotApplicable || len(res.Matches) != 0 {
		t.Errorf("nothing applies: %v %+v", res.Decision, res.Matches)
	}
}

// ---------------------------------------------------------------------------
// Explain.

func TestEvalExplain(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[
		{"Sid":"Team","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}},
		{"Sid":"Ip","Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}},
		{"Sid":"Other","Effect":"Allow","Action":"ec2:*","Resource":"*"},
		{"Sid":"Home","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${aws:username}/*"},
		{"Sid":"Mfa","Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`
	set := policy.NewSet(policy.Entry{ID: "arn:aws:iam::111122223333:policy/P", Policy: eParse(t, doc, policy.Identity)})
	req := &policy.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k",
		Context: eCtx(map[string]any{"aws:PrincipalTag/team": "red", "aws:SourceIp": "10.1.2.3"})}
	ex := set.Explain(req)
	if ex.Decision != policy.NotApplicable {
		t.Errorf("decision %v, want implicitDeny", ex.Decision)
	}
	if len(ex.Statements) != 5 {
		t.Fatalf("%d traces, want 5", len(ex.Statements))
	}
	check := func(i int, sid string, out policy.Outcome, words ...string) {
		t.Helper()
		tr := ex.Statements[i]
		if tr.Sid != sid || tr.Statement != i+1 || tr.PolicyID != "arn:aws:iam::111122223333:policy/P" || tr.Outcome != out {
			t.Errorf("trace %d = %+v, want Sid %s outcome %v", i, tr, sid, out)
		}
		for _, w := range words {
			if !strings.Contains(tr.Reason, w) {
				t.Errorf("trace %d (%s) reason %q does not mention %q", i, sid, tr.Reason, w)
			}
		}
	}
	check(0, "Team", policy.ConditionFalse, "aws:PrincipalTag/team", "red", "blue")
	check(1, "Ip", policy.ConditionFalse, "aws:SourceIp", "10.1.2.3")
	check(2, "Other", policy.ActionNotMatched, "s3:GetObject")
	// Resource b/k can match home/${aws:username}/* for no user name:
	// reporting either outcome is fine.
	if o := ex.Statements[3].Outcome; o != policy.VariableUnresolved && o != policy.ResourceNotMatched {
		t.Errorf("trace 3 (Home) outcome %v", o)
	}
	check(4, "Mfa", policy.ConditionFalse, "aws:MultiFactorAuthPresent", "not in the request")
	if ex.Statements[1].Effect != policy.Deny {
		t.Errorf("trace 1 effect %v", ex.Statements[1].Effect)
	}

	// Unresolvable variable; then the Allow applies and Explain agrees
	// with Evaluate.
	req.Resource = "arn:aws:s3:::home/alice/k"
	ex = set.Explain(req)
	if ex.Statements[3].Outcome != policy.VariableUnresolved {
		t.Errorf("unresolved variable: %+v", ex.Statements[3])
	}
	req.Context.Set("aws:username", "alice")
	ex = set.Explain(req)
	if ex.Statements[3].Outcome != policy.Applied || ex.Decision != policy.Allowed {
		t.Errorf("resolved variable: %v %+v", ex.Decision, ex.Statements[3])
	}
	if d, _ := eDecide(set, req); d != ex.Decision {
		t.Errorf("Explain %v disagrees with Evaluate %v", ex.Decision, d)
	}
	// The Deny applies from outside 10/8.
	req.Context.Set("aws:SourceIp", "192.0.2.1")
	ex = set.Explain(req)
	if ex.Decision != policy.Denied || ex.Statements[1].Outcome != policy.Applied {
		t.Errorf("deny: %v %+v", ex.Decision, ex.Statements[1])
	}
	if d, _ := eDecide(set, req); d != policy.Denied {
		t.Errorf("Evaluate: %v, want explicitDeny", d)
	}

	// Principal traces in a resource policy.
	rp := eSet(t, policy.Resource, evalResourcePolicy(`{"AWS":"arn:aws:iam::444455556666:root"}`))
	ex = rp.Explain(&policy.Request{Principal: eUser(), Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"})
	if tr := ex.Statements[0]; tr.Outcome != policy.PrincipalNotMatch || !strings.Contains(tr.Reason, eUser().ARN) {
		t.Errorf("principal trace %+v", tr)
	}
}

// ---------------------------------------------------------------------------
// Allocations.

// TestEvalZeroAllocs: Evaluate with a reused Result does not allocate for
// an identity-policy set with conditions and variables.
func TestEvalZeroAllocs(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[
		{"Sid":"Home","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::home/${aws:username}/*",
		 "Condition":{"StringEquals":{"aws:PrincipalTag/team":"${aws:PrincipalTag/Team, 'none'}"},
		              "StringLike":{"s3:prefix":"${aws:username}/*"},
		              "IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]},
		              "DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"},
		              "NumericLessThanEquals":{"s3:max-keys":"100"},
		              "Bool":{"aws:SecureTransport":"true"},
		              "ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/*"},
		              "ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}},
		{"Sid":"Deny","Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-abc"}}},
		{"Sid":"Other","Effect":"Allow","NotAction":"iam:*","Resource":"arn:aws:s3:::public/*"}]}`
	set := eSet(t, policy.Identity, doc, evalStmt(`{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}`))
	ctx := policy.NewContext()
	ctx.Set("aws:username", "alice")
	ctx.Set("aws:PrincipalTag/team", "blue")
	ctx.Set("s3:prefix", "alice/docs")
	ctx.Set("aws:SourceIp", "10.1.2.3")
	ctx.SetTime(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	ctx.Set("s3:max-keys", "50")
	ctx.SetBool("aws:SecureTransport", true)
	ctx.Set("aws:PrincipalArn", "arn:aws:iam::111122223333:user/alice")
	ctx.SetMulti("aws:TagKeys", "env")
	ctx.Set("aws:PrincipalOrgID", "o-abc")
	req := &policy.Request{Action: "S3:GetObject", Resource: "arn:aws:s3:::home/alice/docs/k", Context: ctx}
	var res policy.Result
	if d := set.Evaluate(req, &res); d != policy.Allowed {
		t.Fatalf("setup: %v, want allowed (%+v)", d, set.Explain(req))
	}
	allocs := testing.AllocsPerRun(200, func() {
		set.Evaluate(req, &res)
	})
	if allocs != 0 {
		t.Errorf("Evaluate allocates %v times per call, want 0", allocs)
	}
	// The denying path does not allocate either.
	deny := &policy.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::home/alice/docs/k", Context: ctx.Clone()}
	deny.Context.Set("aws:PrincipalOrgID", "o-other")
	allocs = testing.AllocsPerRun(200, func() {
		set.Evaluate(deny, &res)
	})
	if res.Decision != policy.Denied || allocs != 0 {
		t.Errorf("deny path: %v, %v allocations", res.Decision, allocs)
	}
}
