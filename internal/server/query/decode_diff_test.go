package query

import (
	"errors"
	"math/rand/v2"
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

// diffTargets returns constructors of every IAM and STS input type, the
// fuzz targets, and inputs decoded into while already holding values (so
// that what a failed Decode leaves behind is compared too).
func diffTargets() []func() any {
	targets := append([]func() any(nil), fuzzTargets...)
	cfg := sdkConfig("http://127.0.0.1:1")
	for _, client := range []any{iam.NewFromConfig(cfg), sts.NewFromConfig(cfg)} {
		for _, op := range operations(client) {
			t := op.in
			targets = append(targets, func() any { return reflect.New(t).Interface() })
		}
	}
	targets = append(targets,
		func() any {
			return &sts.AssumeRoleInput{RoleArn: aws.String("old"), Tags: []ststypes.Tag{{Key: aws.String("old")}},
				PolicyArns: []ststypes.PolicyDescriptorType{}, TransitiveTagKeys: []string{"a", "b"}}
		},
		func() any {
			return &iam.TagRoleInput{Tags: []iamtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}
		},
		func() any { return &struct{ M map[string]string }{M: map[string]string{"x": "y"}} },
	)
	return targets
}

// checkSameDecode decodes form with Decode and with the reference decoder
// into two fresh values of each target, and fails unless both give the
// same error (or none) and leave the same value.
func checkSameDecode(t *testing.T, form url.Values, targets []func() any) {
	t.Helper()
	for _, target := range targets {
		got, want := target(), target()
		errGot, errWant := Decode(form, got), refDecode(form, want)
		if (errGot == nil) != (errWant == nil) || errGot != nil && errGot.Error() != errWant.Error() {
			t.Fatalf("Decode(%q) into %T: error %v, reference %v", form.Encode(), got, errGot, errWant)
		}
		var qg, qw *Error
		if errors.As(errGot, &qg) != errors.As(errWant, &qw) || qg != nil && (qg.Param != qw.Param || !sameError(qg.Err, qw.Err)) {
			t.Fatalf("Decode(%q) into %T: error %#v, reference %#v", form.Encode(), got, qg, qw)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Decode(%q) into %T: value %s", form.Encode(), got, diff(want, got))
		}
	}
}

// sameError reports whether a and b are both nil, or of one type and text.
func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	return reflect.TypeOf(a) == reflect.TypeOf(b) && a.Error() == b.Error()
}

// diffForms are forms whose keys cross the tree's edge cases: keys
// sorting between a name and its sub-keys, empty segments, gaps, repeats,
// non-canonical indices, lists of ten or more, and every shape's faults.
var diffForms = []string{
	"",
	"Action=AssumeRole&Version=2011-06-15",
	"Action.x=1&Version.member.1=2",
	"RoleArn=a&RoleArn-x=b&RoleArn.x=c",
	"Tags.member.1.Key=a&Tags.member.1-x.Key=b&Tags.member.1.Value=c",
	"Tags.member.1.Key=a&Tags.member.1+.Key=b",
	"Tags=&Tags.member.1.Key=a",
	"Tags=x&Tags.member.1.Key=a",
	"Tags=&Tags=",
	"Tags=",
	"Tags.member=",
	"Tags.member.1=",
	"Tags.member.1.Key=a&Tags.member.1.Key=b",
	"Tags.member.2.Key=a",
	"Tags.member.1.Key=a&Tags.member.3.Key=c&Tags.member.x.Key=d",
	"Tags.member.+1.Key=a",
	"Tags.member.-1.Key=a",
	"Tags.member.0.Key=a",
	"Tags.member.01.Key=a",
	"Tags.member..Key=a",
	"Tags.member.1.=a",
	"Tags..member.1.Key=a",
	"Tags.=a",
	".=a&..=b&a..b=c",
	"=a",
	"Tags.entry.1.Key=a",
	"Tags.member.1.Key.x=a",
	"Tags.member.1.Key.x=a&Tags.member.1.Key=b",
	"TransitiveTagKeys.member.1=a&TransitiveTagKeys.member.2=b&TransitiveTagKeys.member.3=c&TransitiveTagKeys.member.4=d" +
		"&TransitiveTagKeys.member.5=e&TransitiveTagKeys.member.6=f&TransitiveTagKeys.member.7=g&TransitiveTagKeys.member.8=h" +
		"&TransitiveTagKeys.member.9=i&TransitiveTagKeys.member.10=j&TransitiveTagKeys.member.11=k",
	"TransitiveTagKeys.member.1=a&TransitiveTagKeys.member.10=j&TransitiveTagKeys.member.2=b",
	"TransitiveTagKeys.member.1=a&TransitiveTagKeys.member.2=b&TransitiveTagKeys.member.2.x=c",
	"DurationSeconds=abc", "DurationSeconds=99999999999", "DurationSeconds=", "DurationSeconds=1&DurationSeconds=2",
	"PolicyArns.member.1.arn=a&PolicyArns.member.1.Arn=b&PolicyArns.member.2.arn=c",
	"SetAsDefault=TRUE", "SetAsDefault=yes", "MaxItems=1.5", "MaxItems=7&Marker=m",
	"PolicySourceArn=a&PolicyExclusionList.member.1.PolicyArn=a&PolicyExclusionList.member.1.PolicyType=inline",
	"PolicyExclusionList.member.1.PolicyArn=a", "PolicyExclusionList.member.1.PolicyType=inline",
	"PolicyExclusionList.member.1.InlinePolicyIdentifier.Document=d", "PolicyExclusionList.member.1=x",
	"PolicyExclusionList.member.1.Bogus=a", "PolicyExclusionList.member.1.PolicyArn.x=a",
	"ActionNames.member.1=s3:Get&ResourceArns.member.1=*&ContextEntries.member.1.ContextKeyName=k" +
		"&ContextEntries.member.1.ContextKeyValues.member.1=v&ContextEntries.member.1.ContextKeyType=string",
	"Filter.member.1=Role&Filter.member.1=User", "Filter.member.2=Group&Filter.member.1=Role",
	"M.entry.1.key=a&M.entry.1.value.member.1=5", "M.entry.1.key=a&M.entry.2.key=a", "M.entry.2.key=a",
	"M.entry.1.value=a", "M.entry.1.key=a&M.entry.1.other=b", "M.entry.1=x&M.entry.1.key=a", "M.entry.1.key=a&M.entry.1.key.x=b",
	"M=", "M=x", "M.member.1=a", "M.entry.1.key=a&M.entry.1.value.member.1=x",
	"B=AAE%3D&Ts=2019-11-09T13:34:41Z", "B=!!", "Ts=2019-13-40", "Ts.x=1", "B=a&B=b",
	"RoleName=r&Tags.member.1.Key=k&Tags.member.1.Value=v&Tags.member.2.Key=k2&Tags.member.2.Value=v2&Path=%2F&Description=",
	"AssumeRolePolicyDocument=%7B%7D&RoleName=r&MaxSessionDuration=3600&PermissionsBoundary=arn",
}

func TestDecodeMatchesReference(t *testing.T) {
	targets := diffTargets()
	for _, q := range diffForms {
		form, err := url.ParseQuery(q)
		if err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		checkSameDecode(t, form, targets)
	}
	// A form with a key but no values, which url.ParseQuery never makes.
	checkSameDecode(t, url.Values{"RoleArn": nil, "Tags.member.1.Key": {}, "Tags": nil}, targets)
	checkSameDecode(t, url.Values{"Tags.member.1": nil, "Tags.member.1.Key": {"a"}}, targets)
}

// randomSegments are the key segments random forms are made of.
var randomSegments = []string{
	"Tags", "member", "entry", "key", "value", "Key", "Value", "1", "2", "3", "10", "01", "0", "+1", "x", "",
	"RoleArn", "RoleName", "PolicyArns", "arn", "Arn", "DurationSeconds", "TransitiveTagKeys", "TagKeys",
	"PolicyExclusionList", "PolicyArn", "PolicyType", "InlinePolicyIdentifier", "Filter", "M", "B", "Ts", "MaxItems",
	"ContextEntries", "ContextKeyValues", "Tags-x", "1-",
}

// randomValues are the values random forms use.
var randomValues = []string{"", "a", "1", "true", "TRUE", "AAE=", "2019-11-09T13:34:41Z", "x y", "Role", "-5", "4294967296"}

// randomForm returns a form of up to 8 keys of up to 5 segments.
func randomForm(r *rand.Rand) url.Values {
	form := url.Values{}
	for range r.IntN(9) {
		segs := make([]string, 1+r.IntN(5))
		for i := range segs {
			segs[i] = randomSegments[r.IntN(len(randomSegments))]
		}
		k := strings.Join(segs, ".")
		for range 1 + r.IntN(4)/3 {
			form[k] = append(form[k], randomValues[r.IntN(len(randomValues))])
		}
	}
	return form
}

func TestDecodeMatchesReferenceOnRandomForms(t *testing.T) {
	targets := append(diffTargets()[:len(fuzzTargets)],
		func() any { return &sts.AssumeRoleInput{} },
		func() any { return &iam.TagRoleInput{} },
		func() any { return &iam.UntagRoleInput{} },
		func() any { return &iam.ListRolesInput{} },
		func() any { return &struct{ M map[string]string }{M: map[string]string{"x": "y"}} },
		func() any {
			return &struct {
				Tags []*struct{ Key, Value *string }
				Ts   time.Time
				M    map[string]*struct{ Key []string }
			}{}
		},
	)
	n := 20000
	if testing.Short() {
		n = 2000
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range n {
		checkSameDecode(t, randomForm(r), targets)
	}
}

// FuzzDecodeMatchesReference holds Decode to the reference decoder on
// arbitrary query strings.
func FuzzDecodeMatchesReference(f *testing.F) {
	for _, q := range diffForms {
		f.Add(q)
	}
	targets := diffTargets()[:len(fuzzTargets)]
	f.Fuzz(func(t *testing.T, q string) {
		form, _ := url.ParseQuery(q)
		checkSameDecode(t, form, targets)
	})
}
