package query

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
)

func TestEncodeShapes(t *testing.T) {
	created := time.Date(2019, 11, 9, 13, 34, 41, 0, time.UTC)
	tests := []struct {
		name, op, xmlns string
		out             any
		want            string
	}{
		{"no output", "DeleteRole", IAMNamespace, &iam.DeleteRoleOutput{},
			`<DeleteRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></DeleteRoleResponse>`},
		{"empty output structure", "UpdateRole", IAMNamespace, &iam.UpdateRoleOutput{},
			`<UpdateRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><UpdateRoleResult></UpdateRoleResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></UpdateRoleResponse>`},
		{"nil fields", "GetAccessKeyInfo", STSNamespace, &sts.GetAccessKeyInfoOutput{},
			`<GetAccessKeyInfoResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetAccessKeyInfoResult></GetAccessKeyInfoResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetAccessKeyInfoResponse>`},
		{"typed nil output", "GetAccessKeyInfo", STSNamespace, (*sts.GetAccessKeyInfoOutput)(nil),
			`<GetAccessKeyInfoResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetAccessKeyInfoResult></GetAccessKeyInfoResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetAccessKeyInfoResponse>`},
		{"role", "GetRole", IAMNamespace, &iam.GetRoleOutput{Role: &iamtypes.Role{
			Arn: aws.String("arn:aws:iam::111111111111:role/r"), CreateDate: &created, Path: aws.String("/"),
			RoleId: aws.String("AROAEXAMPLE"), RoleName: aws.String("r"), MaxSessionDuration: aws.Int32(3600),
			PermissionsBoundary: &iamtypes.AttachedPermissionsBoundary{PermissionsBoundaryType: iamtypes.PermissionsBoundaryAttachmentTypePolicy, PermissionsBoundaryArn: aws.String("arn:b")},
			Tags:                []iamtypes.Tag{{Key: aws.String("a&b"), Value: aws.String("<v>")}},
		}},
			`<GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetRoleResult><Role>` +
				`<Arn>arn:aws:iam::111111111111:role/r</Arn><CreateDate>2019-11-09T13:34:41Z</CreateDate><Path>/</Path>` +
				`<RoleId>AROAEXAMPLE</RoleId><RoleName>r</RoleName><MaxSessionDuration>3600</MaxSessionDuration>` +
				`<PermissionsBoundary><PermissionsBoundaryArn>arn:b</PermissionsBoundaryArn><PermissionsBoundaryType>PermissionsBoundaryPolicy</PermissionsBoundaryType></PermissionsBoundary>` +
				`<Tags><member><Key>a&amp;b</Key><Value>&lt;v&gt;</Value></member></Tags>` +
				`</Role></GetRoleResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetRoleResponse>`},
		{"fractional time, non-UTC zone", "GetSessionToken", STSNamespace, &sts.GetSessionTokenOutput{Credentials: &ststypes.Credentials{
			Expiration: aws.Time(time.Date(2019, 11, 9, 15, 34, 41, 250e6, time.FixedZone("x", 2*3600))),
		}},
			`<GetSessionTokenResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetSessionTokenResult><Credentials><Expiration>2019-11-09T13:34:41.25Z</Expiration></Credentials></GetSessionTokenResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetSessionTokenResponse>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Encode(&b, tc.op, tc.xmlns, "req-1", tc.out); err != nil {
				t.Fatal(err)
			}
			if b.String() != tc.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tc.want)
			}
		})
	}
}

func TestEncodeRejects(t *testing.T) {
	tests := []struct {
		name, op string
		out      any
	}{
		{"nil", "GetRole", nil},
		{"not a struct", "GetRole", "x"},
		{"bad op name", "Get<Role>", &iam.GetRoleOutput{}},
		{"empty op name", "", &iam.GetRoleOutput{}},
		{"unsupported field", "Op", &struct{ C chan int }{make(chan int)}},
		{"nil union member", "Op", &struct{ P []iamtypes.PolicyIdentifier }{[]iamtypes.PolicyIdentifier{nil}}},
		{"unknown union member", "Op", &struct{ P iamtypes.PolicyIdentifier }{&iamtypes.UnknownUnionMember{Tag: "x"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Encode(&b, tc.op, IAMNamespace, "r", tc.out); err == nil {
				t.Fatal("Encode succeeded")
			}
			if b.Len() != 0 {
				t.Errorf("Encode wrote %q before failing", b.String())
			}
		})
	}
	var b bytes.Buffer
	if err := EncodeError(&b, IAMNamespace, "Client", "X", "m", "r"); err == nil || b.Len() != 0 {
		t.Errorf("EncodeError with type Client = %v, wrote %q", err, b.String())
	}
}

func TestEncodeEscapes(t *testing.T) {
	var b bytes.Buffer
	if err := EncodeError(&b, `ns"<>`, TypeReceiver, "A&B", "bad <thing> & \"quote\"\x00", "id<1>"); err != nil {
		t.Fatal(err)
	}
	var parsed struct {
		XMLName xml.Name
		Type    string `xml:"Error>Type"`
		Code    string `xml:"Error>Code"`
		Message string `xml:"Error>Message"`
		ID      string `xml:"RequestId"`
	}
	if err := xml.Unmarshal(b.Bytes(), &parsed); err != nil {
		t.Fatalf("%v in %s", err, b.String())
	}
	if parsed.XMLName.Space != `ns"<>` || parsed.Type != TypeReceiver || parsed.Code != "A&B" ||
		parsed.Message != "bad <thing> & \"quote\"\uFFFD" || parsed.ID != "id<1>" {
		t.Errorf("parsed %+v from %s", parsed, b.String())
	}
}

// TestErrorsThroughSDK checks that the SDK clients turn EncodeError's
// envelope into an API error with the same code and message, the modeled
// error type where there is one, and the request ID from the body (the
// server sets no request ID header here).
func TestErrorsThroughSDK(t *testing.T) {
	srv := newServer(t)
	cfg := sdkConfig(srv.URL)
	iamc, stsc := iam.NewFromConfig(cfg), sts.NewFromConfig(cfg)
	ctx := context.Background()
	tests := []struct {
		name          string
		xmlns, typ    string
		status        int
		code, message string
		call          func() error
		modeled       func(error) bool
	}{
		{"iam modeled", IAMNamespace, TypeSender, http.StatusNotFound, "NoSuchEntity", "The role with name deploy cannot be found.",
			func() error {
				_, err := iamc.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("deploy")})
				return err
			},
			func(err error) bool { var e *iamtypes.NoSuchEntityException; return errors.As(err, &e) }},
		{"iam unmodeled", IAMNamespace, TypeSender, http.StatusBadRequest, CodeValidationError, `Invalid value "x" for parameter MaxItems: not a valid 32-bit integer.`,
			func() error { _, err := iamc.ListRoles(ctx, &iam.ListRolesInput{}); return err }, nil},
		{"sts modeled", STSNamespace, TypeSender, http.StatusBadRequest, "MalformedPolicyDocument", "Syntax errors in policy & <stuff>",
			func() error {
				_, err := stsc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::1:role/r"), RoleSessionName: aws.String("s")})
				return err
			},
			func(err error) bool { var e *ststypes.MalformedPolicyDocumentException; return errors.As(err, &e) }},
		{"sts access denied", STSNamespace, TypeSender, http.StatusForbidden, "AccessDenied",
			"User: arn:aws:iam::111111111111:user/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/r",
			func() error {
				_, err := stsc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::2:role/r"), RoleSessionName: aws.String("s")})
				return err
			}, nil},
		{"receiver", IAMNamespace, TypeReceiver, http.StatusInternalServerError, "ServiceFailure", "internal",
			func() error { _, err := iamc.ListUsers(ctx, &iam.ListUsersInput{}); return err }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv.setRespond(func(w http.ResponseWriter, _ string) {
				w.Header().Set("Content-Type", "text/xml")
				w.WriteHeader(tc.status)
				if err := EncodeError(w, tc.xmlns, tc.typ, tc.code, tc.message, requestID); err != nil {
					t.Error(err)
				}
			})
			err := tc.call()
			var api smithy.APIError
			if !errors.As(err, &api) {
				t.Fatalf("error %v is not a smithy.APIError", err)
			}
			if api.ErrorCode() != tc.code || api.ErrorMessage() != tc.message {
				t.Errorf("code %q message %q, want %q %q", api.ErrorCode(), api.ErrorMessage(), tc.code, tc.message)
			}
			wantFault := smithy.FaultClient
			if tc.typ == TypeReceiver {
				wantFault = smithy.FaultServer
			}
			if tc.modeled != nil {
				if !tc.modeled(err) {
					t.Errorf("error %T is not the modeled type", api)
				}
				if api.ErrorFault() != wantFault {
					t.Errorf("fault %v, want %v", api.ErrorFault(), wantFault)
				}
			}
			var re *awshttp.ResponseError
			if !errors.As(err, &re) {
				t.Fatalf("error %v is not an awshttp.ResponseError", err)
			}
			if re.ServiceRequestID() != requestID || re.HTTPStatusCode() != tc.status {
				t.Errorf("request ID %q status %d, want %q %d", re.ServiceRequestID(), re.HTTPStatusCode(), requestID, tc.status)
			}
		})
	}
}

// BenchmarkEncodeAssumeRole measures encoding a typical AssumeRole response.
func BenchmarkEncodeAssumeRole(b *testing.B) {
	exp := time.Date(2019, 11, 9, 13, 34, 41, 0, time.UTC)
	out := &sts.AssumeRoleOutput{
		AssumedRoleUser: &ststypes.AssumedRoleUser{Arn: aws.String("arn:aws:sts::222222222222:assumed-role/t/s"), AssumedRoleId: aws.String("AROAEXAMPLE:s")},
		Credentials: &ststypes.Credentials{AccessKeyId: aws.String("ASIAEXAMPLE"), SecretAccessKey: aws.String("secret"),
			SessionToken: aws.String(strings.Repeat("t", 400)), Expiration: &exp},
	}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := Encode(&buf, "AssumeRole", STSNamespace, requestID, out); err != nil {
			b.Fatal(err)
		}
	}
}
