package policy_test

import (
	"errors"
	"testing"
	"time"

	"github.com/assumed-dev/assumed/arn"
	"github.com/assumed-dev/assumed/policy"
)

// vFuzzKinds are the kinds every fuzz input is parsed as.
var vFuzzKinds = []policy.Kind{policy.Identity, policy.Resource, policy.Trust, policy.Session, policy.Boundary, policy.SCP}

// vFuzzSeeds are added with f.Add in addition to testdata/fuzz/FuzzParse.
var vFuzzSeeds = []string{
	`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"StringLike":{"s3:prefix":"${aws:username}/*"}}}]}`,
	`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}}`,
	`{"Version":"2012-10-17","Statement":{"Effect":"allow","Action":"s3:GetObject","Resource":"arn:aws::fdsasf"}}`,
	`{"Version":"2012-10-17","Statement":[]}`,
	`not json`,
}

// vFuzzContext returns a request context with keys of every condition
// family.
func vFuzzContext() *policy.Context {
	ctx := policy.NewContext()
	ctx.SetTime(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
	ctx.Set("aws:username", "alice")
	ctx.Set("aws:userid", "AIDA0123456789ABCDEFG")
	ctx.Set("aws:SourceIp", "203.0.113.7")
	ctx.SetBool("aws:SecureTransport", true)
	ctx.SetBool("aws:MultiFactorAuthPresent", false)
	ctx.Set("s3:prefix", "alice/docs")
	ctx.Set("s3:max-keys", "10")
	ctx.Set("aws:PrincipalTag/team", "blue")
	ctx.Set("aws:SourceArn", "arn:aws:sns:us-east-1:123456789012:topic")
	ctx.Set("aws:Key", "QmluYXJ5")
	ctx.SetMulti("aws:TagKeys", "team", "env")
	ctx.SetMulti("aws:PrincipalOrgPaths")
	return ctx
}

// vFuzzRequests are evaluated against every document that parses.
func vFuzzRequests() []*policy.Request {
	ctx := vFuzzContext()
	session := &policy.Principal{
		Type:      arn.PrincipalAssumedRole,
		AccountID: "123456789012",
		ARN:       "arn:aws:sts::123456789012:assumed-role/Admin/alice",
		RoleARN:   "arn:aws:iam::123456789012:role/Admin",
		UniqueID:  "AROAABCDEFGHIJKLMNOPQ",
	}
	user := &policy.Principal{Type: arn.PrincipalUser, AccountID: "123456789012", ARN: "arn:aws:iam::123456789012:user/alice", UniqueID: "AIDA0123456789ABCDEFG", CanonicalUser: "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}
	service := &policy.Principal{Type: arn.PrincipalService, ARN: "ec2.amazonaws.com"}
	return []*policy.Request{
		{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Principal: session, Context: ctx},
		{Action: "S3:GetObject", Resource: "arn:aws:s3:::b/alice/docs", Principal: user, Context: ctx},
		{Action: "sts:AssumeRole", Resource: "arn:aws:iam::123456789012:role/Admin", Principal: service, Context: nil},
		{Action: "iam:GetUser", Resource: "*", Principal: nil, Context: policy.NewContext()},
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range vFuzzSeeds {
		f.Add(s)
	}
	reqs := vFuzzRequests()
	f.Fuzz(func(t *testing.T, doc string) {
		for _, kind := range vFuzzKinds {
			for _, opt := range []policy.Options{{}, {RequireVersion2012: true, MaxSize: -1}} {
				p, err := policy.ParseWithOptions(doc, kind, opt)
				if err != nil {
					if p != nil {
						t.Errorf("%s: Parse returned a policy and an error %v", kind, err)
					}
					var pe *policy.Error
					if !errors.As(err, &pe) {
						t.Fatalf("%s: error is %T (%v), want *policy.Error", kind, err, err)
					}
					if pe.Code == "" || pe.Message == "" {
						t.Fatalf("%s: error with empty Code or Message: %#v", kind, pe)
					}
					switch pe.Code {
					case policy.CodeMalformed, policy.CodeLimitExceeded, policy.CodeValidation:
					default:
						t.Fatalf("%s: unknown error code %q", kind, pe.Code)
					}
					_ = pe.Error()
					continue
				}
				if p == nil {
					t.Fatalf("%s: Parse returned neither a policy nor an error", kind)
				}
				set := policy.NewSet(policy.Entry{ID: "f", Policy: p})
				var res policy.Result
				for _, req := range reqs {
					d := set.Evaluate(req, &res)
					ex := set.Explain(req)
					if ex.Decision != d {
						t.Errorf("%s: Explain decided %v, Evaluate %v for %s on %s", kind, ex.Decision, d, req.Action, req.Resource)
					}
					if len(ex.Statements) != len(p.Statements) {
						t.Errorf("%s: Explain traced %d statements of %d", kind, len(ex.Statements), len(p.Statements))
					}
				}
			}
		}
	})
}
