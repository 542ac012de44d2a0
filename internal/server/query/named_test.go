package query

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// trustPolicy is a role trust policy, as clients send it.
const trustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext-1"}}}]}`

// tags is a tag list with characters that need escaping.
var tags = []iamtypes.Tag{
	{Key: aws.String("team"), Value: aws.String("platform & ops")},
	{Key: aws.String("cost-center"), Value: aws.String("4 2=")},
}

// namedCases are the operations assumed serves, with realistic inputs and
// the form keys AWS spells them with.
var namedCases = []struct {
	in   any      // *OpInput; the operation is the type name without "Input"
	keys []string // form keys the SDK must send
}{
	{&iam.CreateRoleInput{
		RoleName: aws.String("deploy"), AssumeRolePolicyDocument: aws.String(trustPolicy),
		Path: aws.String("/ci/"), Description: aws.String("CI deploy role <prod>"),
		MaxSessionDuration: aws.Int32(7200), PermissionsBoundary: aws.String("arn:aws:iam::111111111111:policy/boundary"),
		Tags: tags,
	}, []string{"RoleName", "AssumeRolePolicyDocument", "Path", "Description", "MaxSessionDuration", "PermissionsBoundary", "Tags.member.1.Key", "Tags.member.2.Value"}},
	{&iam.GetRoleInput{RoleName: aws.String("deploy")}, []string{"RoleName"}},
	{&iam.UpdateRoleInput{RoleName: aws.String("deploy"), Description: aws.String("d"), MaxSessionDuration: aws.Int32(3600)}, []string{"MaxSessionDuration"}},
	{&iam.DeleteRoleInput{RoleName: aws.String("deploy")}, []string{"RoleName"}},
	{&iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("deploy"), PolicyDocument: aws.String(trustPolicy)}, []string{"PolicyDocument"}},
	{&iam.PutRolePolicyInput{RoleName: aws.String("deploy"), PolicyName: aws.String("s3"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)}, []string{"PolicyName"}},
	{&iam.AttachRolePolicyInput{RoleName: aws.String("deploy"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}, []string{"PolicyArn"}},
	{&iam.ListAttachedRolePoliciesInput{RoleName: aws.String("deploy"), PathPrefix: aws.String("/"), Marker: aws.String("m"), MaxItems: aws.Int32(10)}, []string{"MaxItems"}},
	{&iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("deploy"), PermissionsBoundary: aws.String("arn:aws:iam::111111111111:policy/b")}, []string{"PermissionsBoundary"}},
	{&iam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String("{}"), Path: aws.String("/"), Description: aws.String("d"), Tags: tags}, []string{"Tags.member.1.Key"}},
	{&iam.CreatePolicyVersionInput{PolicyArn: aws.String("arn:aws:iam::111111111111:policy/p"), PolicyDocument: aws.String("{}"), SetAsDefault: true}, []string{"SetAsDefault"}},
	{&iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String("arn:aws:iam::111111111111:policy/p"), VersionId: aws.String("v2")}, []string{"VersionId"}},
	{&iam.CreateUserInput{UserName: aws.String("alice"), Path: aws.String("/"), PermissionsBoundary: aws.String("arn:aws:iam::111111111111:policy/b"), Tags: tags}, []string{"UserName"}},
	{&iam.CreateAccessKeyInput{UserName: aws.String("alice")}, []string{"UserName"}},
	{&iam.CreateGroupInput{GroupName: aws.String("devs"), Path: aws.String("/")}, []string{"GroupName"}},
	{&iam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("alice")}, []string{"GroupName", "UserName"}},
	{&iam.TagRoleInput{RoleName: aws.String("deploy"), Tags: tags}, []string{"Tags.member.2.Key"}},
	{&iam.UntagRoleInput{RoleName: aws.String("deploy"), TagKeys: []string{"team", "cost-center"}}, []string{"TagKeys.member.1", "TagKeys.member.2"}},
	{&iam.CreateOpenIDConnectProviderInput{
		Url: aws.String("https://oidc.example.com/cluster/1"), ClientIDList: []string{"sts.amazonaws.com", "other"},
		ThumbprintList: []string{"9e99a48a9960b14926bb7f3b02e22da2b0ab7280"}, Tags: tags,
	}, []string{"Url", "ClientIDList.member.2", "ThumbprintList.member.1"}},
	{&iam.SimulateCustomPolicyInput{
		ActionNames: []string{"s3:GetObject", "s3:PutObject"}, PolicyInputList: []string{`{"Version":"2012-10-17"}`},
		PermissionsBoundaryPolicyInputList: []string{"{}"}, ResourceArns: []string{"arn:aws:s3:::b/k"},
		ResourcePolicy: aws.String("{}"), ResourceOwner: aws.String("arn:aws:iam::222222222222:root"),
		CallerArn: aws.String("arn:aws:iam::111111111111:user/alice"), ResourceHandlingOption: aws.String("EC2-VPC-InstanceStore"),
		ContextEntries: []iamtypes.ContextEntry{
			{ContextKeyName: aws.String("aws:SourceIp"), ContextKeyType: iamtypes.ContextKeyTypeEnumIp, ContextKeyValues: []string{"10.0.0.1"}},
			{ContextKeyName: aws.String("aws:PrincipalTag/team"), ContextKeyType: iamtypes.ContextKeyTypeEnumStringList, ContextKeyValues: []string{"a", "b"}},
		},
		MaxItems: aws.Int32(100), Marker: aws.String("m"),
	}, []string{"ContextEntries.member.2.ContextKeyValues.member.2", "ContextEntries.member.1.ContextKeyType", "PolicyInputList.member.1", "ResourcePolicy"}},
	{&iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::111111111111:role/deploy"), ActionNames: []string{"sts:AssumeRole"},
		PolicyInputList: []string{"{}"}, CallerArn: aws.String("arn:aws:iam::111111111111:user/alice"),
		ContextEntries: []iamtypes.ContextEntry{{ContextKeyName: aws.String("aws:MultiFactorAuthPresent"), ContextKeyType: iamtypes.ContextKeyTypeEnumBoolean, ContextKeyValues: []string{"true"}}},
		PolicyExclusionList: []iamtypes.PolicyIdentifier{
			&iamtypes.PolicyIdentifierMemberPolicyArn{Value: "arn:aws:iam::aws:policy/AdministratorAccess"},
			&iamtypes.PolicyIdentifierMemberPolicyType{Value: iamtypes.PolicyIdentifierPolicyTypeInline},
			&iamtypes.PolicyIdentifierMemberInlinePolicyIdentifier{Value: iamtypes.InlinePolicyIdentifierType{
				AttachmentName: aws.String("deploy"), AttachmentType: iamtypes.AttachmentTypeRole, PolicyName: aws.String("s3"),
			}},
		},
	}, []string{"PolicySourceArn", "PolicyExclusionList.member.1.PolicyArn", "PolicyExclusionList.member.3.InlinePolicyIdentifier.AttachmentType"}},
	{&iam.ListRolesInput{Marker: aws.String("page-2"), MaxItems: aws.Int32(50), PathPrefix: aws.String("/ci/")}, []string{"Marker", "MaxItems", "PathPrefix"}},
	{&iam.GetAccountAuthorizationDetailsInput{
		Filter: []iamtypes.EntityType{iamtypes.EntityTypeRole, iamtypes.EntityTypeLocalManagedPolicy}, MaxItems: aws.Int32(10), Marker: aws.String("m"),
	}, []string{"Filter.member.1", "Filter.member.2"}},
	{&sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::222222222222:role/target"), RoleSessionName: aws.String("ci-run_42"),
		PolicyArns:        []ststypes.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}, {Arn: aws.String("arn:aws:iam::222222222222:policy/p")}},
		Policy:            aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`),
		Tags:              []ststypes.Tag{{Key: aws.String("project"), Value: aws.String("x")}, {Key: aws.String("env"), Value: aws.String("")}},
		TransitiveTagKeys: []string{"project"}, ExternalId: aws.String("ext-1"), SourceIdentity: aws.String("alice@example.com"),
		DurationSeconds: aws.Int32(900), SerialNumber: aws.String("arn:aws:iam::111111111111:mfa/alice"), TokenCode: aws.String("123456"),
	}, []string{"PolicyArns.member.1.arn", "PolicyArns.member.2.arn", "Tags.member.1.Key", "Tags.member.2.Value", "TransitiveTagKeys.member.1", "ExternalId", "SourceIdentity", "DurationSeconds", "SerialNumber", "TokenCode"}},
	{&sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String("arn:aws:iam::222222222222:role/irsa"), RoleSessionName: aws.String("pod"), WebIdentityToken: aws.String("eyJhbGciOiJSUzI1NiJ9.e30.sig"),
		ProviderId: aws.String("www.amazon.com"), PolicyArns: []ststypes.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}},
		Policy: aws.String("{}"), DurationSeconds: aws.Int32(3600),
	}, []string{"WebIdentityToken", "ProviderId", "PolicyArns.member.1.arn"}},
	{&sts.GetSessionTokenInput{DurationSeconds: aws.Int32(129600), SerialNumber: aws.String("arn:aws:iam::111111111111:mfa/alice"), TokenCode: aws.String("123456")}, []string{"DurationSeconds", "SerialNumber", "TokenCode"}},
	{&sts.GetCallerIdentityInput{}, nil},
	{&sts.GetAccessKeyInfoInput{AccessKeyId: aws.String("AKIAIOSFODNN7EXAMPLE")}, []string{"AccessKeyId"}},
}

// TestNamedOperationsRoundTrip round-trips the operations assumed serves
// with realistic inputs, checks the form keys on the wire, and answers with
// fully populated outputs.
func TestNamedOperationsRoundTrip(t *testing.T) {
	srv := newServer(t)
	ops := map[string]operation{}
	xmlns := map[string]string{}
	for _, svc := range services(srv) {
		for _, op := range operations(svc.client) {
			ops[op.in.String()] = op
			xmlns[op.in.String()] = svc.xmlns
		}
	}
	if len(namedCases) < 25 {
		t.Fatalf("only %d named cases", len(namedCases))
	}
	for _, tc := range namedCases {
		typ := reflect.TypeOf(tc.in).Elem()
		op, ok := ops[typ.String()]
		if !ok {
			t.Fatalf("no client operation takes %s", typ)
		}
		t.Run(op.name, func(t *testing.T) {
			want := filled(op.out)
			srv.setRespond(respondWith(t, xmlns[typ.String()], want))
			got, err := op.call(context.Background(), tc.in)
			if err != nil {
				t.Fatalf("client: %v", err)
			}
			form := srv.lastForm()
			if a := form.Get("Action"); a != op.name {
				t.Errorf("Action = %q, want %q", a, op.name)
			}
			for _, k := range tc.keys {
				if _, ok := form[k]; !ok {
					t.Errorf("form lacks key %s; has %s", k, formKeys(form))
				}
			}
			decoded := reflect.New(typ).Interface()
			if err := Decode(form, decoded); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(decoded, tc.in) {
				t.Errorf("decoded input differs: %s", diff(tc.in, decoded))
			}
			clearMetadata(got)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("parsed output differs: %s", diff(want, got))
			}
		})
	}
}

// TestEmptyListsRoundTrip checks that an empty, non-nil list survives both
// directions: "Tags=" in the form, <Tags></Tags> in the response.
func TestEmptyListsRoundTrip(t *testing.T) {
	srv := newServer(t)
	client := iam.NewFromConfig(sdkConfig(srv.URL))
	want := &iam.ListRoleTagsOutput{Tags: []iamtypes.Tag{}, IsTruncated: false}
	srv.setRespond(respondWith(t, IAMNamespace, want))
	in := &iam.TagRoleInput{RoleName: aws.String("r"), Tags: []iamtypes.Tag{}}
	if _, err := client.TagRole(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if v, ok := srv.lastForm()["Tags"]; !ok || len(v) != 1 || v[0] != "" {
		t.Fatalf(`form Tags = %q, want [""]`, v)
	}
	var decoded iam.TagRoleInput
	if err := Decode(srv.lastForm(), &decoded); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&decoded, in) {
		t.Errorf("decoded %s", diff(in, &decoded))
	}

	got, err := client.ListRoleTags(context.Background(), &iam.ListRoleTagsInput{RoleName: aws.String("r")})
	if err != nil {
		t.Fatal(err)
	}
	clearMetadata(got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parsed %s", diff(want, got))
	}
	var b strings.Builder
	if err := Encode(&b, "ListRoleTags", IAMNamespace, "r", want); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "<Tags></Tags><IsTruncated>false</IsTruncated>") {
		t.Errorf("response %s lacks an empty Tags element and IsTruncated false", b.String())
	}
}
