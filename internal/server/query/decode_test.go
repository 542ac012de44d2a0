package query

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// form parses a query string, failing the test on a syntax error.
func form(t *testing.T, q string) url.Values {
	t.Helper()
	v, err := url.ParseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name  string
		query string
		in    any
		param string // Error.Param
		msg   string // part of Error.Message
	}{
		{"bad int", "DurationSeconds=abc", &sts.AssumeRoleInput{}, "DurationSeconds", `Invalid value "abc" for parameter DurationSeconds: not a valid 32-bit integer`},
		{"int overflow", "MaxItems=2147483648", &iam.ListRolesInput{}, "MaxItems", "32-bit integer"},
		{"empty int", "MaxItems=", &iam.ListRolesInput{}, "MaxItems", "32-bit integer"},
		{"bad bool", "SetAsDefault=yes", &iam.CreatePolicyVersionInput{}, "SetAsDefault", "boolean"},
		{"numeric bool", "SetAsDefault=1", &iam.CreatePolicyVersionInput{}, "SetAsDefault", "boolean"},
		{"bad timestamp", "Ts=2019-13-40", &struct{ Ts *time.Time }{}, "Ts", "ISO 8601 timestamp"},
		{"bad blob", "B=!!", &struct{ B []byte }{}, "B", "base64"},
		{"index gap", "Tags.member.1.Key=a&Tags.member.3.Key=c", &iam.TagRoleInput{}, "Tags.member", "2 is missing"},
		{"index from 0", "TagKeys.member.0=a", &iam.UntagRoleInput{}, "TagKeys.member", `index "0"`},
		{"leading zero", "TagKeys.member.01=a", &iam.UntagRoleInput{}, "TagKeys.member", `index "01"`},
		{"not an index", "TagKeys.member.x=a", &iam.UntagRoleInput{}, "TagKeys.member", `index "x"`},
		{"huge index", "TagKeys.member.99999999999999999999=a", &iam.UntagRoleInput{}, "TagKeys.member", "index"},
		{"no member", "TagKeys.1=a", &iam.UntagRoleInput{}, "TagKeys", `sub-key "1"`},
		{"list value", "TagKeys=a", &iam.UntagRoleInput{}, "TagKeys", "not a value"},
		{"member value", "TagKeys.member=a", &iam.UntagRoleInput{}, "TagKeys.member", "not a value"},
		{"repeated key", "RoleName=a&RoleName=b", &iam.GetRoleInput{}, "RoleName", "given 2 times"},
		{"scalar sub-key", "RoleName.x=a", &iam.GetRoleInput{}, "RoleName", `sub-key "x"`},
		{"struct value", "Tags.member.1=a", &iam.TagRoleInput{}, "Tags.member.1", "not a value"},
		{"nested bad int", "Filter.member.1=Role&MaxItems=1.5", &iam.GetAccountAuthorizationDetailsInput{}, "MaxItems", "32-bit integer"},
		{"union two members", "PolicySourceArn=a&PolicyExclusionList.member.1.PolicyArn=a&PolicyExclusionList.member.1.PolicyType=inline",
			&iam.SimulatePrincipalPolicyInput{}, "PolicyExclusionList.member.1", "exactly one"},
		{"union no member", "PolicyExclusionList.member.1.Bogus=a", &iam.SimulatePrincipalPolicyInput{}, "PolicyExclusionList.member.1", "none"},
		{"map gap", "M.entry.2.key=a", &struct{ M map[string]string }{}, "M.entry", "1 is missing"},
		{"map no key", "M.entry.1.value=a", &struct{ M map[string]string }{}, "M.entry.1", "no key"},
		{"map duplicate", "M.entry.1.key=a&M.entry.2.key=a", &struct{ M map[string]string }{}, "M.entry.2", "twice"},
		{"map bad value", "M.entry.1.key=a&M.entry.1.value=x", &struct{ M map[string]int32 }{}, "M.entry.1.value", "32-bit integer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Decode(form(t, tc.query), tc.in)
			var qe *Error
			if !errors.As(err, &qe) {
				t.Fatalf("Decode(%q) = %v, want *Error", tc.query, err)
			}
			if qe.Code != CodeValidationError || qe.HTTPStatus() != 400 {
				t.Errorf("code %s status %d, want ValidationError 400", qe.Code, qe.HTTPStatus())
			}
			if qe.Param != tc.param {
				t.Errorf("Param = %q, want %q", qe.Param, tc.param)
			}
			if !strings.Contains(qe.Message, tc.msg) || !strings.Contains(qe.Message, tc.param) {
				t.Errorf("Message = %q, want it to name %s and contain %q", qe.Message, tc.param, tc.msg)
			}
		})
	}
}

func TestDecodeNeedsStructPointer(t *testing.T) {
	for _, in := range []any{nil, iam.GetRoleInput{}, (*iam.GetRoleInput)(nil), new(string)} {
		err := Decode(url.Values{}, in)
		var qe *Error
		if err == nil || errors.As(err, &qe) {
			t.Errorf("Decode into %T = %v, want a programming error", in, err)
		}
	}
}

func TestDecodeValues(t *testing.T) {
	tests := []struct {
		name  string
		query string
		in    any // a zero value of the target type
		want  any
	}{
		{"ignores unknown and protocol keys", "Action=GetRole&Version=2010-05-08&RoleName=r&Bogus=1&Bogus.member.x=2",
			&iam.GetRoleInput{}, &iam.GetRoleInput{RoleName: aws.String("r")}},
		{"ignores unknown nested keys", "Tags.member.1.Key=k&Tags.member.1.Colour=red&RoleName=r",
			&iam.TagRoleInput{}, &iam.TagRoleInput{RoleName: aws.String("r"), Tags: []iamtypes.Tag{{Key: aws.String("k")}}}},
		{"lower-case arn", "PolicyArns.member.1.arn=arn:aws:iam::aws:policy/A&PolicyArns.member.2.arn=b",
			&sts.AssumeRoleInput{}, &sts.AssumeRoleInput{PolicyArns: []ststypes.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::aws:policy/A")}, {Arn: aws.String("b")}}}},
		{"empty string kept", "Description=", &iam.UpdateRoleInput{}, &iam.UpdateRoleInput{Description: aws.String("")}},
		{"bool any case", "SetAsDefault=TRUE", &iam.CreatePolicyVersionInput{}, &iam.CreatePolicyVersionInput{SetAsDefault: true}},
		{"empty list", "TagKeys=", &iam.UntagRoleInput{}, &iam.UntagRoleInput{TagKeys: []string{}}},
		{"enum list", "Filter.member.2=Group&Filter.member.1=Role", &iam.GetAccountAuthorizationDetailsInput{},
			&iam.GetAccountAuthorizationDetailsInput{Filter: []iamtypes.EntityType{iamtypes.EntityTypeRole, iamtypes.EntityTypeGroup}}},
		{"timestamp", "Ts=2019-11-09T13:34:41Z", &struct{ Ts *time.Time }{},
			&struct{ Ts *time.Time }{aws.Time(time.Date(2019, 11, 9, 13, 34, 41, 0, time.UTC))}},
		{"timestamp with offset", "Ts=2019-11-09T15:34:41.5%2B02:00", &struct{ Ts *time.Time }{},
			&struct{ Ts *time.Time }{aws.Time(time.Date(2019, 11, 9, 13, 34, 41, 5e8, time.UTC))}},
		{"map", "M.entry.1.key=a&M.entry.1.value=1&M.entry.2.key=b", &struct{ M map[string]string }{},
			&struct{ M map[string]string }{map[string]string{"a": "1", "b": ""}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := Decode(form(t, tc.query), tc.in); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(tc.in, tc.want) {
				t.Errorf("got %s", diff(tc.want, tc.in))
			}
		})
	}
}

// BenchmarkDecodeAssumeRole measures decoding a typical AssumeRole form.
func BenchmarkDecodeAssumeRole(b *testing.B) {
	f, _ := url.ParseQuery("Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A222222222222%3Arole%2Ft&RoleSessionName=s" +
		"&DurationSeconds=900&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FA&Tags.member.1.Key=k&Tags.member.1.Value=v&TransitiveTagKeys.member.1=k")
	b.ReportAllocs()
	for b.Loop() {
		var in sts.AssumeRoleInput
		if err := Decode(f, &in); err != nil {
			b.Fatal(err)
		}
	}
}
