package query

import (
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// benchAssumeRoleForm is the form the STS SDK client sends for an
// AssumeRole with an external ID, two session tags and a managed session
// policy.
const benchAssumeRoleForm = "Action=AssumeRole&DurationSeconds=3600&ExternalId=ext-123456" +
	"&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess" +
	"&RoleArn=arn%3Aaws%3Aiam%3A%3A111111111111%3Arole%2Fdeploy&RoleSessionName=ci-build-42" +
	"&Tags.member.1.Key=team&Tags.member.1.Value=platform&Tags.member.2.Key=env&Tags.member.2.Value=prod" +
	"&Version=2011-06-15"

// benchCreateRoleForm is the form the IAM SDK client sends for a CreateRole
// with a trust policy, a permissions boundary and two tags.
const benchCreateRoleForm = "Action=CreateRole" +
	"&AssumeRolePolicyDocument=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C" +
	"%22Principal%22%3A%7B%22AWS%22%3A%22arn%3Aaws%3Aiam%3A%3A222222222222%3Aroot%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D" +
	"&Description=deploy+role&MaxSessionDuration=7200&Path=%2Fteam%2F" +
	"&PermissionsBoundary=arn%3Aaws%3Aiam%3A%3A111111111111%3Apolicy%2Fboundary&RoleName=deploy" +
	"&Tags.member.1.Key=team&Tags.member.1.Value=platform&Tags.member.2.Key=env&Tags.member.2.Value=prod" +
	"&Version=2010-05-08"

func benchForm(b *testing.B, q string) url.Values {
	b.Helper()
	f, err := url.ParseQuery(q)
	if err != nil {
		b.Fatal(err)
	}
	return f
}

// BenchmarkDecodeSTSAssumeRole decodes a parsed AssumeRole form.
func BenchmarkDecodeSTSAssumeRole(b *testing.B) {
	f := benchForm(b, benchAssumeRoleForm)
	b.ReportAllocs()
	for b.Loop() {
		var in sts.AssumeRoleInput
		if err := Decode(f, &in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeIAMCreateRole decodes a parsed CreateRole form.
func BenchmarkDecodeIAMCreateRole(b *testing.B) {
	f := benchForm(b, benchCreateRoleForm)
	b.ReportAllocs()
	for b.Loop() {
		var in iam.CreateRoleInput
		if err := Decode(f, &in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseDecodeSTSAssumeRole is what the server does with an
// AssumeRole body: url.ParseQuery, then Decode.
func BenchmarkParseDecodeSTSAssumeRole(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		f, err := url.ParseQuery(benchAssumeRoleForm)
		if err != nil {
			b.Fatal(err)
		}
		var in sts.AssumeRoleInput
		if err := Decode(f, &in); err != nil {
			b.Fatal(err)
		}
	}
}
