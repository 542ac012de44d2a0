package query

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// fuzzTargets are the input types FuzzDecode decodes into: unions, nested
// lists of structs, enums, and a shape with a map, a blob and a timestamp.
var fuzzTargets = []func() any{
	func() any { return &iam.CreateRoleInput{} },
	func() any { return &sts.AssumeRoleInput{} },
	func() any { return &iam.SimulatePrincipalPolicyInput{} },
	func() any { return &iam.SimulateCustomPolicyInput{} },
	func() any { return &iam.GetAccountAuthorizationDetailsInput{} },
	func() any {
		return &struct {
			M  map[string][]int32
			B  []byte
			Ts *time.Time
		}{}
	},
}

// FuzzDecode decodes arbitrary query strings into several input types:
// Decode must not panic, must fail only with *Error, and must be
// deterministic.
func FuzzDecode(f *testing.F) {
	// Seed with the forms the real SDK sends for the named cases.
	srv := newServer(f)
	srv.setRespond(func(w http.ResponseWriter, _ string) { w.WriteHeader(http.StatusOK) })
	ops := map[reflect.Type]operation{}
	for _, svc := range services(srv) {
		for _, op := range operations(svc.client) {
			ops[op.in] = op
		}
	}
	for _, tc := range namedCases {
		_, _ = ops[reflect.TypeOf(tc.in).Elem()].call(context.Background(), tc.in) // the output does not matter
		f.Add(srv.lastForm().Encode())
	}
	for _, s := range []string{
		"", "Tags=", "Tags.member.1.Key=a&Tags.member.3.Key=b", "DurationSeconds=abc", "M.entry.1.key=a&M.entry.1.value.member.1=5",
		"B=AAE%3D&Ts=2019-11-09T13:34:41Z", "PolicyExclusionList.member.1.PolicyArn=a&PolicyExclusionList.member.1.PolicyType=b",
		"a..b=1&.=2&Tags.member..Key=3&Tags.member.1.=4", "Filter.member.1=Role&Filter.member.1=User",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		form, _ := url.ParseQuery(q) // keep what parses, as a server would reject the rest earlier
		for _, target := range fuzzTargets {
			a, b := target(), target()
			errA, errB := Decode(form, a), Decode(form, b)
			if errA != nil {
				var qe *Error
				if !errors.As(errA, &qe) {
					t.Fatalf("Decode(%q) into %T: non-*Error %v", q, a, errA)
				}
				if errB == nil || errA.Error() != errB.Error() {
					t.Fatalf("Decode(%q) into %T not deterministic: %v vs %v", q, a, errA, errB)
				}
				continue
			}
			if errB != nil || !reflect.DeepEqual(a, b) {
				t.Fatalf("Decode(%q) into %T not deterministic", q, a)
			}
		}
	})
}
