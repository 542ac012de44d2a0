package arn

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want ARN
	}{
		{"arn:aws:iam::111122223333:user/division/alice", ARN{"aws", "iam", "", "111122223333", "user/division/alice"}},
		{"arn:aws:s3:::bucket/key:with:colons", ARN{"aws", "s3", "", "", "bucket/key:with:colons"}},
		{"arn:aws-cn:sqs:cn-north-1:111122223333:queue", ARN{"aws-cn", "sqs", "cn-north-1", "111122223333", "queue"}},
		{"arn:aws:logs:us-east-1:111122223333:log-group:/aws/lambda/f:*", ARN{"aws", "logs", "us-east-1", "111122223333", "log-group:/aws/lambda/f:*"}},
		{"arn:aws:sts::111122223333:assumed-role/R/S", ARN{"aws", "sts", "", "111122223333", "assumed-role/R/S"}},
		{"arn:aws:s3:::", ARN{"aws", "s3", "", "", ""}},
		{"arn:aws:iam::aws:policy/ReadOnlyAccess", ARN{"aws", "iam", "", "aws", "policy/ReadOnlyAccess"}},
	}
	for _, tc := range tests {
		got, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
		if s := got.String(); s != tc.in {
			t.Errorf("Parse(%q).String() = %q", tc.in, s)
		}
	}
	for _, bad := range []string{"", "arn", "arn:aws:s3::", "arn:aws:s3:bucket", "foo:aws:s3:::b", "ARN:aws:s3:::b", "arn::s3:::b", "arn:aws::::b", "*", "111122223333"} {
		if a, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", bad, a)
		} else if !errors.Is(err, ErrNotARN) {
			t.Errorf("Parse(%q) error %v is not ErrNotARN", bad, err)
		}
	}
}

func TestSplit(t *testing.T) {
	parts, ok := Split("arn:aws:ec2:us-east-1:111122223333:instance/i-1:x")
	if !ok || parts != [6]string{"arn", "aws", "ec2", "us-east-1", "111122223333", "instance/i-1:x"} {
		t.Errorf("Split = %q, %v", parts, ok)
	}
	// Split checks only the colons, not the prefix.
	parts, ok = Split("a:b:c:d:e:")
	if !ok || parts != [6]string{"a", "b", "c", "d", "e", ""} {
		t.Errorf("Split(a:b:c:d:e:) = %q, %v", parts, ok)
	}
	parts, ok = Split("::::::")
	if !ok || parts[5] != ":" {
		t.Errorf("Split(::::::) = %q, %v", parts, ok)
	}
	for _, s := range []string{"", "a:b:c:d", "arn:aws:s3::", "*"} {
		if _, ok := Split(s); ok {
			t.Errorf("Split(%q) ok, want fewer than five colons", s)
		}
	}
	if n := testing.AllocsPerRun(100, func() { Split("arn:aws:s3:::bucket/key") }); n != 0 {
		t.Errorf("Split allocates %v times", n)
	}
}

func TestResourceType(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:iam::111122223333:role/path/R":         "role",
		"arn:aws:dynamodb:us-east-1:111122223333:table": "",
		"arn:aws:sns:us-east-1:111122223333:topic:sub":  "topic",
		"arn:aws:s3:::bucket":                           "",
		"arn:aws:s3:::bucket/key":                       "bucket",
	} {
		a, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.ResourceType(); got != want {
			t.Errorf("ResourceType(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsAccountID(t *testing.T) {
	for s, want := range map[string]bool{
		"111122223333":  true,
		"000000000000":  true,
		"11112222333":   false,
		"1111222233334": false,
		"11112222333a":  false,
		"1111-2222-333": false,
		"":              false,
		"aws":           false,
		"１１１１２２２２３３３３":  false, // full-width digits
		"*":             false,
		"11112222333*":  false,
	} {
		if got := IsAccountID(s); got != want {
			t.Errorf("IsAccountID(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestValidPartition(t *testing.T) {
	for _, p := range []string{"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b"} {
		if !ValidPartition(p) {
			t.Errorf("ValidPartition(%q) = false", p)
		}
	}
	for _, p := range []string{"", "AWS", "aws-xx", "*", "azure"} {
		if ValidPartition(p) {
			t.Errorf("ValidPartition(%q) = true", p)
		}
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"", "a", false},
		{"a", "", false},
		{"abc", "abc", true},
		{"abc", "abd", false},
		{"abc", "ABC", false}, // case-sensitive
		{"*", "", true},
		{"*", "anything:at/all", true},
		{"**", "x", true},
		{"?", "", false},
		{"?", "a", true},
		{"?", "ab", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"a?c", "abbc", false},
		// '?' is one character, not one byte.
		{"a?c", "aéc", true},
		{"a??c", "aéc", false},
		{"?", "日", true},
		{"??", "日", false},
		{"???", "日本語", true},
		{"?本?", "日本語", true},
		{"*?", "", false},
		{"*?", "é", true},
		{"*?*", "é", true},
		{"é*", "éa", true},
		{"*é", "aé", true},
		{"*語", "日本語", true},
		{"*本", "日本語", false},
		// Stars at both ends.
		{"*foo*", "foo", true},
		{"*foo*", "xxfooyy", true},
		{"*foo*", "fo", false},
		{"*foo*", "xxfoyy", false},
		{"*foo", "xfoo", true},
		{"*foo", "foox", false},
		{"foo*", "foox", true},
		{"foo*", "xfoo", false},
		// Backtracking: the first candidate position is not the right one.
		{"*aab", "aaab", true},
		{"*ab*ab", "xabyab", true},
		{"*ab*ab", "xabyabab", true},
		{"*ab*ab", "xabyaba", false},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXbYbZ", false},
		{"a*a", "aa", true},
		{"a*a", "a", false},
		{"a*?*a", "aa", false},
		{"a*?*a", "axa", true},
		{"*a*b*c*", "xaxbxcx", true},
		{"*a*b*c*", "xcxbxax", false},
		{"*?b", "ab", true},
		{"*?b", "b", false},
		{strings.Repeat("*a", 20) + "b", strings.Repeat("a", 40), false},
		{strings.Repeat("*a", 20), strings.Repeat("a", 40), true},
	}
	for _, tc := range tests {
		if got := Glob(tc.pattern, tc.s); got != tc.want {
			t.Errorf("Glob(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { Glob("*ab*?b", "xabyab") }); n != 0 {
		t.Errorf("Glob allocates %v times", n)
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "arn:aws:s3:::b", true},
		{"*", "*", true},
		{"*", "not an arn", true},
		{"arn:aws:s3:::b", "arn:aws:s3:::b", true},
		{"arn:aws:s3:::b", "arn:aws:s3:::B", false},
		{"arn:aws:iam::*:role/x", "arn:aws:iam::111122223333:role/x", true},
		// A '*' in the account component must not swallow a colon: the
		// value's resource component is "456:role/x".
		{"arn:aws:iam::*:role/x", "arn:aws:iam::123:456:role/x", false},
		{"arn:aws:iam::*:*", "arn:aws:iam::123:456:role/x", true},
		{"arn:aws:sns:*:111122223333:t", "arn:aws:sns:us-east-1:999:111122223333:t", false},
		{"arn:aws:*:us-east-1:*:*", "arn:aws:sqs:us-east-1:111122223333:q", true},
		{"arn:aws:*:us-east-1:*:*", "arn:aws:sqs:eu-west-1:111122223333:q", false},
		{"arn:aws:ec2:us-*-1:*:instance/*", "arn:aws:ec2:us-east-1:111122223333:instance/i-1", true},
		{"arn:aws:ec2:us-?ast-1:*:instance/*", "arn:aws:ec2:us-east-1:111122223333:instance/i-1", true},
		{"arn:aws:ec2:us-*-1:*:instance/*", "arn:aws:ec2:eu-west-1:111122223333:instance/i-1", false},
		// The resource component is matched as a whole: '*' crosses '/'
		// and ':'.
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/k:x/y", true},
		{"arn:aws:logs:*:*:log-group:*", "arn:aws:logs:us-east-1:111122223333:log-group:/a/b:log-stream:c", true},
		{"arn:aws:iam::111122223333:role/*", "arn:aws:iam::111122223333:user/x", false},
		{"arn:*:iam::*:root", "arn:aws-cn:iam::111122223333:root", true},
		{"arn:aws:s3:::*", "*", false},
		{"arn:aws:s3:::*", "arn:aws:s3::", false},
		{"arn:aws", "arn:aws", false},
		{"arn:aws:s3:::b", "arn:aws:s3:::b:", false},
		{"arn:aws:s3:::b*", "arn:aws:s3:::b:", true},
	}
	for _, tc := range tests {
		if got := Match(tc.pattern, tc.s); got != tc.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { Match("arn:aws:iam::*:role/*", "arn:aws:iam::111122223333:role/x") }); n != 0 {
		t.Errorf("Match allocates %v times", n)
	}
}

func TestParseAWSPrincipal(t *testing.T) {
	tests := []struct {
		in   string
		want Principal
	}{
		{"*", Principal{Type: PrincipalAll, ARN: "*"}},
		{"111122223333", Principal{Type: PrincipalAccount, AccountID: "111122223333", ARN: "arn:aws:iam::111122223333:root"}},
		{"arn:aws:iam::111122223333:root", Principal{Type: PrincipalAccount, AccountID: "111122223333", ARN: "arn:aws:iam::111122223333:root"}},
		{"arn:aws-cn:iam::111122223333:root", Principal{Type: PrincipalAccount, AccountID: "111122223333", ARN: "arn:aws-cn:iam::111122223333:root"}},
		{"arn:aws:iam::111122223333:user/alice", Principal{Type: PrincipalUser, AccountID: "111122223333", ARN: "arn:aws:iam::111122223333:user/alice", Name: "alice"}},
		{"arn:aws:iam::111122223333:user/division/team/alice", Principal{Type: PrincipalUser, AccountID: "111122223333", ARN: "arn:aws:iam::111122223333:user/division/team/alice", Name: "alice"}},
		{"arn:aws:iam::111122223333:role/R", Principal{Type: PrincipalRole, AccountID: "111122223333", ARN: "arn:aws:iam::111122223333:role/R", Name: "R"}},
		{"arn:aws:iam::111122223333:role/service-role/R", Principal{Type: PrincipalRole, AccountID: "111122223333", ARN: "arn:aws:iam::111122223333:role/service-role/R", Name: "R"}},
		{"arn:aws:sts::111122223333:assumed-role/R/session@example.com", Principal{Type: PrincipalAssumedRole, AccountID: "111122223333", ARN: "arn:aws:sts::111122223333:assumed-role/R/session@example.com", Name: "R", Session: "session@example.com"}},
		{"arn:aws:sts::111122223333:federated-user/bob", Principal{Type: PrincipalFederatedUser, AccountID: "111122223333", ARN: "arn:aws:sts::111122223333:federated-user/bob", Name: "bob"}},
		{"AIDAABCDEFGHIJKLMNOPQ", Principal{Type: PrincipalUniqueID, ARN: "AIDAABCDEFGHIJKLMNOPQ"}},
		{"AROA0123456789ABCDEFG", Principal{Type: PrincipalUniqueID, ARN: "AROA0123456789ABCDEFG"}},
	}
	for _, tc := range tests {
		got, err := ParseAWSPrincipal(tc.in)
		if err != nil {
			t.Errorf("ParseAWSPrincipal(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseAWSPrincipal(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{
		"", "garbage", "root", "alice",
		// No partial wildcards.
		"arn:aws:iam::*:root",
		"arn:aws:iam::111122223333:role/*",
		"arn:aws:iam::111122223333:user/a*",
		"arn:aws:iam::111122223333:role/R?",
		"arn:aws:sts::111122223333:assumed-role/R/*",
		"11112222333*",
		"*:*",
		"AROA*",
		// Malformed account IDs, regions, partitions, services.
		"11112222333",
		"1111222233334",
		"arn:aws:iam::11112222333:root",
		"arn:aws:iam::aws:root",
		"arn:aws:iam::111122223333x:user/alice",
		"arn:aws:iam:us-east-1:111122223333:root",
		"arn:foo:iam::111122223333:root",
		"arn:aws:s3:::bucket",
		"arn:aws:ec2:us-east-1:111122223333:instance/i-1",
		// Forms that are not principals.
		"arn:aws:iam::111122223333:group/admins",
		"arn:aws:iam::111122223333:policy/P",
		"arn:aws:iam::111122223333:role",
		"arn:aws:iam::111122223333:user/",
		"arn:aws:iam::111122223333:role/path/",
		"arn:aws:iam::111122223333:oidc-provider/example.com",
		"arn:aws:sts::111122223333:assumed-role/R",
		"arn:aws:sts::111122223333:assumed-role/R/",
		"arn:aws:sts::111122223333:assumed-role//S",
		"arn:aws:sts::111122223333:assumed-role/R/S/extra",
		"arn:aws:sts::111122223333:federated-user/",
		"arn:aws:sts::111122223333:federated-user/a/b",
		"arn:aws:iam::111122223333:assumed-role/R/S",
		// Unique IDs of the wrong shape.
		"AIDAABCDEFGHIJKLMNOP",   // 20 characters
		"AIDAABCDEFGHIJKLMNOPQR", // 22 characters
		"AIDAabcdefghijklmnopq",  // lower case
		"AKIAABCDEFGHIJKLMNOPQ",  // an access key ID
	} {
		if p, err := ParseAWSPrincipal(bad); err == nil {
			t.Errorf("ParseAWSPrincipal(%q) = %+v, want an error", bad, p)
		}
	}
}

func TestIsUniqueID(t *testing.T) {
	for s, want := range map[string]bool{
		"AIDAABCDEFGHIJKLMNOPQ":  true,
		"AROAABCDEFGHIJKLMNOPQ":  true,
		"AROA0123456789ABCDEFG":  true,
		"AKIAABCDEFGHIJKLMNOPQ":  false,
		"AROAABCDEFGHIJKLMNOP":   false,
		"AROAABCDEFGHIJKLMNOPQR": false,
		"AROAABCDEFGHIJKLMNOp":   false,
		"AROAABCDEFGHIJKLMN-PQ":  false,
		"":                       false,
	} {
		if got := IsUniqueID(s); got != want {
			t.Errorf("IsUniqueID(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestParseFederatedPrincipal(t *testing.T) {
	const oidc = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
	tests := []struct {
		in   string
		want Principal
	}{
		{oidc, Principal{Type: PrincipalOIDCProvider, AccountID: "111122223333", ARN: oidc, Name: "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"}},
		{"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com", Principal{Type: PrincipalOIDCProvider, AccountID: "111122223333", ARN: "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com", Name: "token.actions.githubusercontent.com"}},
		{"arn:aws:iam::111122223333:saml-provider/MyIdP", Principal{Type: PrincipalSAMLProvider, AccountID: "111122223333", ARN: "arn:aws:iam::111122223333:saml-provider/MyIdP", Name: "MyIdP"}},
		{"cognito-identity.amazonaws.com", Principal{Type: PrincipalWebIdentity, ARN: "cognito-identity.amazonaws.com", Name: "cognito-identity.amazonaws.com"}},
		{"accounts.google.com", Principal{Type: PrincipalWebIdentity, ARN: "accounts.google.com", Name: "accounts.google.com"}},
		{"graph.facebook.com", Principal{Type: PrincipalWebIdentity, ARN: "graph.facebook.com", Name: "graph.facebook.com"}},
		{"www.amazon.com", Principal{Type: PrincipalWebIdentity, ARN: "www.amazon.com", Name: "www.amazon.com"}},
	}
	for _, tc := range tests {
		got, err := ParseFederatedPrincipal(tc.in)
		if err != nil {
			t.Errorf("ParseFederatedPrincipal(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseFederatedPrincipal(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{
		"", "*", "example.com", "oidc.eks.us-east-1.amazonaws.com",
		"arn:aws:iam::111122223333:oidc-provider/",
		"arn:aws:iam::111122223333:saml-provider/",
		"arn:aws:iam::111122223333:role/R",
		"arn:aws:iam::111122223333:root",
		"arn:aws:iam::*:oidc-provider/example.com",
		"arn:aws:iam::111122223333:oidc-provider/*",
		"arn:aws:iam::111122223333:saml-provider/My?dP",
		"arn:aws:sts::111122223333:oidc-provider/example.com",
		"arn:aws:iam:us-east-1:111122223333:saml-provider/MyIdP",
		"arn:aws:iam::11112222333:saml-provider/MyIdP",
		"111122223333",
	} {
		if p, err := ParseFederatedPrincipal(bad); err == nil {
			t.Errorf("ParseFederatedPrincipal(%q) = %+v, want an error", bad, p)
		}
	}
}

func TestParseServicePrincipal(t *testing.T) {
	for _, s := range []string{"ec2.amazonaws.com", "pods.eks.amazonaws.com", "states.us-east-1.amazonaws.com", "ec2.amazonaws.com.cn", "elasticmapreduce.amazonaws.com", "s3-object-lambda.amazonaws.com"} {
		got, err := ParseServicePrincipal(s)
		if err != nil {
			t.Errorf("ParseServicePrincipal(%q): %v", s, err)
			continue
		}
		if got != (Principal{Type: PrincipalService, ARN: s, Name: s}) {
			t.Errorf("ParseServicePrincipal(%q) = %+v", s, got)
		}
	}
	for _, bad := range []string{"", "ec2", "EC2.amazonaws.com", "*.amazonaws.com", "*", "ec2.amazonaws.com/x", "ec2 .amazonaws.com", "arn:aws:iam::111122223333:root", "ec2_x.amazonaws.com"} {
		if p, err := ParseServicePrincipal(bad); err == nil {
			t.Errorf("ParseServicePrincipal(%q) = %+v, want an error", bad, p)
		}
	}
}

func TestParseCanonicalUser(t *testing.T) {
	const id = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
	got, err := ParseCanonicalUser(id)
	if err != nil || got != (Principal{Type: PrincipalCanonicalUser, ARN: id, Name: id}) {
		t.Errorf("ParseCanonicalUser(%q) = %+v, %v", id, got, err)
	}
	if _, err := ParseCanonicalUser(strings.ToUpper(id)); err != nil {
		t.Errorf("ParseCanonicalUser(upper case): %v", err)
	}
	for _, bad := range []string{"", id[:63], id + "0", "g" + id[1:], "*", strings.Repeat("z", 64)} {
		if p, err := ParseCanonicalUser(bad); err == nil {
			t.Errorf("ParseCanonicalUser(%q) = %+v, want an error", bad, p)
		}
	}
}

func TestHelpers(t *testing.T) {
	if got := AccountRoot("111122223333"); got != "arn:aws:iam::111122223333:root" {
		t.Errorf("AccountRoot = %q", got)
	}
	if got := RoleSession("111122223333", "R", "S"); got != "arn:aws:sts::111122223333:assumed-role/R/S" {
		t.Errorf("RoleSession = %q", got)
	}
	// What the helpers build parses back.
	if p, err := ParseAWSPrincipal(RoleSession("111122223333", "R", "S")); err != nil || p.Type != PrincipalAssumedRole || p.Name != "R" || p.Session != "S" {
		t.Errorf("RoleSession round trip: %+v, %v", p, err)
	}
	if p, err := ParseAWSPrincipal(AccountRoot("111122223333")); err != nil || p.Type != PrincipalAccount || p.AccountID != "111122223333" {
		t.Errorf("AccountRoot round trip: %+v, %v", p, err)
	}
	names := map[PrincipalType]string{
		PrincipalInvalid: "invalid", PrincipalAll: "all", PrincipalAccount: "account", PrincipalUser: "user",
		PrincipalRole: "role", PrincipalAssumedRole: "assumed-role", PrincipalFederatedUser: "federated-user",
		PrincipalUniqueID: "unique-id", PrincipalOIDCProvider: "oidc-provider", PrincipalSAMLProvider: "saml-provider",
		PrincipalWebIdentity: "web-identity", PrincipalService: "service", PrincipalCanonicalUser: "canonical-user",
	}
	for pt, want := range names {
		if got := pt.String(); got != want {
			t.Errorf("PrincipalType(%d).String() = %q, want %q", pt, got, want)
		}
	}
	if got := PrincipalType(200).String(); got != "PrincipalType(200)" {
		t.Errorf("PrincipalType(200).String() = %q", got)
	}
}
