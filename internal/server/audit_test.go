package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	sdkeks "github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"

	"github.com/assumed-dev/assumed/internal/app"
	"github.com/assumed-dev/assumed/internal/audit"
	"github.com/assumed-dev/assumed/internal/awsclient"
	"github.com/assumed-dev/assumed/internal/eks"
	"github.com/assumed-dev/assumed/internal/eksauth/wire"
	"github.com/assumed-dev/assumed/internal/testenv"
	"github.com/assumed-dev/assumed/internal/world"
)

// The audit tests' world: in A, alice (may list, assume roles, list
// clusters), mallory (may do nothing), the role app (trusts alice), the
// role shared (trusts B's bob), an IRSA role and a cluster with a Pod
// Identity association; in B, bob (may assume any role).
const (
	auAliceKey     = "AKIAAUDITALICE000001"
	auAliceSecret  = "auditAliceSecret000000000000000000000AA1"
	auMalloryKey   = "AKIAAUDITMALLORY0001"
	auMallorySecr  = "auditMallorySecret0000000000000000000MM1"
	auBobKey       = "AKIAAUDITBOB00000001"
	auBobSecret    = "auditBobSecret00000000000000000000000BB1"
	auSharedRole   = "arn:aws:iam::111111111111:role/shared"
	auAppRole      = "arn:aws:iam::111111111111:role/app"
	auIRSARole     = "arn:aws:iam::111111111111:role/irsa"
	auWrongSecret  = "wrongSecretWrongSecretWrongSecretWrong01"
	auUnknownKeyID = "AKIANOBODYATALL00001"
)

const auWorld = `accounts:
  - id: "111111111111"
    name: account-a
    users:
      - name: alice
        policies:
          self: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:List*","sts:AssumeRole","eks:ListClusters"],"Resource":"*"}]}'
        access_keys:
          - {id: ` + auAliceKey + `, secret: ` + auAliceSecret + `}
      - name: mallory
        access_keys:
          - {id: ` + auMalloryKey + `, secret: ` + auMallorySecr + `}
    roles:
      - name: app
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/alice"},"Action":"sts:AssumeRole"}]}'
      - name: shared
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:user/bob"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"]}]}'
      - name: pods
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}'
      - name: irsa
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111111111111:oidc-provider/{{issuer account-a/prod}}"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"{{issuer account-a/prod}}:sub":"system:serviceaccount:default:web"}}}]}'
    oidc_providers:
      - {cluster: account-a/prod, client_ids: [sts.amazonaws.com]}
    clusters:
      - name: prod
        pod_identity_associations:
          - {namespace: default, service_account: web, role_arn: "arn:aws:iam::111111111111:role/pods"}
  - id: "222222222222"
    name: account-b
    users:
      - name: bob
        policies:
          assume: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Resource":"*"}]}'
        access_keys:
          - {id: ` + auBobKey + `, secret: ` + auBobSecret + `}
`

func auStart(t *testing.T) *testenv.Env {
	t.Helper()
	w, err := world.Parse("world.yaml", []byte(auWorld))
	if err != nil {
		t.Fatal(err)
	}
	return testenv.StartWith(t, testenv.Options{World: w})
}

// auRecords returns the records of the audit log at path (rotated files
// included) of the request with this ID, waiting for them to be written
// (the sink writes within its flush interval).
func auRecords(t *testing.T, path, reqID string, want int) []*audit.Record {
	t.Helper()
	return auRecordsWhere(t, path, func(r *audit.Record) bool { return r.RequestID == reqID }, want)
}

// auRecordsWhere is auRecords of the records that match.
func auRecordsWhere(t *testing.T, path string, match func(*audit.Record) bool, want int) []*audit.Record {
	t.Helper()
	reqID := "matching"
	var got []*audit.Record
	deadline := time.Now().Add(5 * time.Second)
	for {
		got = got[:0]
		_, err := audit.Read(path, audit.Filter{}, func(r *audit.Record, _ []byte) error {
			if match(r) {
				got = append(got, r)
			}
			return nil
		})
		if err == nil && len(got) >= want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("request %s: %d audit records, want %d (err %v)", reqID, len(got), want, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(got) != want {
		t.Fatalf("request %s: %d audit records, want %d", reqID, len(got), want)
	}
	return got
}

// reqIDOf returns the request ID of an SDK call's result or error.
func reqIDOf(t *testing.T, out any, err error) string {
	t.Helper()
	if err != nil {
		var re *awshttp.ResponseError
		if errors.As(err, &re) && re.ServiceRequestID() != "" {
			return re.ServiceRequestID()
		}
		t.Fatalf("no request ID in %v", err)
	}
	id, ok := requestIDFromOutput(out)
	if !ok {
		t.Fatalf("no request ID in %T", out)
	}
	return id
}

// requestIDFromOutput returns the request ID of an SDK output.
func requestIDFromOutput(out any) (string, bool) {
	v := reflect.ValueOf(out)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return "", false
	}
	md, ok := v.Elem().FieldByName("ResultMetadata").Interface().(middleware.Metadata)
	if !ok {
		return "", false
	}
	return awsmiddleware.GetRequestIDMetadata(md)
}

// params decodes a record's requestParameters.
func params(t *testing.T, r *audit.Record) map[string]any {
	t.Helper()
	m := map[string]any{}
	if len(r.RequestParameters) > 0 && string(r.RequestParameters) != "null" {
		if err := json.Unmarshal(r.RequestParameters, &m); err != nil {
			t.Fatalf("requestParameters %s: %v", r.RequestParameters, err)
		}
	}
	return m
}

func TestAuditTrailThroughClients(t *testing.T) {
	e := auStart(t)
	ctx := context.Background()
	path := filepath.Join(e.DataDir, "audit.log")
	alice, mallory, bob := e.Config(auAliceKey, auAliceSecret, ""), e.Config(auMalloryKey, auMallorySecr, ""), e.Config(auBobKey, auBobSecret, "")
	var secrets []string // every secret the test sees: none may be in the log

	t.Run("IAM allowed", func(t *testing.T) {
		out, err := iam.NewFromConfig(alice).ListRoles(ctx, &iam.ListRolesInput{})
		if err != nil {
			t.Fatal(err)
		}
		r := auRecords(t, path, reqIDOf(t, out, nil), 1)[0]
		u := r.UserIdentity
		if r.EventSource != "iam.amazonaws.com" || r.EventName != "ListRoles" || r.ErrorCode != "" || r.RecipientAccountID != testenv.AccountA ||
			u.Type != "IAMUser" || u.ARN != "arn:aws:iam::111111111111:user/alice" || !strings.HasPrefix(u.PrincipalID, "AIDA") || u.AccountID != testenv.AccountA ||
			u.AccessKeyID != auAliceKey || u.UserName != "alice" || !r.ReadOnly || r.EventType != "AwsApiCall" || r.EventVersion == "" || r.EventID == "" ||
			r.SourceIPAddress != "127.0.0.1" || !strings.Contains(r.UserAgent, "aws-sdk-go-v2") || r.AWSRegion != "us-east-1" || time.Since(r.EventTime) > time.Minute {
			t.Fatalf("record: %+v", r)
		}
	})

	t.Run("IAM denied", func(t *testing.T) {
		_, err := iam.NewFromConfig(mallory).ListRoles(ctx, &iam.ListRolesInput{})
		if testenv.ErrorCode(err) != "AccessDenied" {
			t.Fatalf("got %v", err)
		}
		r := auRecords(t, path, reqIDOf(t, nil, err), 1)[0]
		if r.ErrorCode != "AccessDenied" || !strings.Contains(r.ErrorMessage, "User: arn:aws:iam::111111111111:user/mallory is not authorized to perform: iam:ListRoles") ||
			strings.Contains(r.ErrorMessage, "Encoded authorization failure message") || r.RecipientAccountID != testenv.AccountA || r.UserIdentity.UserName != "mallory" {
			t.Fatalf("record: %+v", r)
		}
	})

	t.Run("cross-account AssumeRole allowed, then the session's call", func(t *testing.T) {
		out, err := sts.NewFromConfig(bob).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(auSharedRole), RoleSessionName: aws.String("bob-session"), SourceIdentity: aws.String("bob-src")})
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken)
		recs := auRecords(t, path, reqIDOf(t, out, nil), 2)
		byAccount := map[string]*audit.Record{}
		for _, r := range recs {
			byAccount[r.RecipientAccountID] = r
		}
		b, a := byAccount[testenv.AccountB], byAccount[testenv.AccountA]
		if a == nil || b == nil {
			t.Fatalf("records for %v, want one for each of A and B", recs)
		}
		if a.SharedEventID == "" || a.SharedEventID != b.SharedEventID || a.EventID == b.EventID || a.RequestID != b.RequestID {
			t.Fatalf("sharedEventID %q / %q, eventID %q / %q", a.SharedEventID, b.SharedEventID, a.EventID, b.EventID)
		}
		if b.UserIdentity.Type != "IAMUser" || b.UserIdentity.ARN != "arn:aws:iam::222222222222:user/bob" || b.UserIdentity.AccessKeyID != auBobKey {
			t.Fatalf("B's record's identity: %+v", b.UserIdentity)
		}
		if a.UserIdentity.Type != "AWSAccount" || a.UserIdentity.AccountID != testenv.AccountB || a.UserIdentity.AccessKeyID != "" {
			t.Fatalf("A's record's identity: %+v", a.UserIdentity)
		}
		p := params(t, b)
		if p["roleArn"] != auSharedRole || p["roleSessionName"] != "bob-session" || p["sourceIdentity"] != "bob-src" {
			t.Fatalf("requestParameters: %s", b.RequestParameters)
		}
		var resp struct {
			Credentials     map[string]any `json:"credentials"`
			AssumedRoleUser struct{ Arn string }
		}
		if err := json.Unmarshal(b.ResponseElements, &resp); err != nil {
			t.Fatalf("responseElements %s: %v", b.ResponseElements, err)
		}
		if resp.Credentials["accessKeyId"] != *out.Credentials.AccessKeyId || resp.Credentials["expiration"] == nil || len(resp.Credentials) != 2 ||
			resp.AssumedRoleUser.Arn != "arn:aws:sts::111111111111:assumed-role/shared/bob-session" {
			t.Fatalf("responseElements: %s", b.ResponseElements)
		}
		if len(b.Resources) != 1 || b.Resources[0].ARN != auSharedRole || b.Resources[0].AccountID != testenv.AccountA {
			t.Fatalf("resources: %+v", b.Resources)
		}

		// The session's own call is A's, made by an AssumedRole.
		sess := e.Config(*out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken)
		who, err := sts.NewFromConfig(sess).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		r := auRecords(t, path, reqIDOf(t, who, nil), 1)[0]
		u := r.UserIdentity
		if u.Type != "AssumedRole" || u.ARN != "arn:aws:sts::111111111111:assumed-role/shared/bob-session" || !strings.HasSuffix(u.PrincipalID, ":bob-session") ||
			u.SessionContext == nil || u.SessionContext.SessionIssuer == nil || u.SessionContext.SessionIssuer.ARN != auSharedRole ||
			u.SessionContext.SessionIssuer.Type != "Role" || u.SessionContext.SessionIssuer.UserName != "shared" || u.SessionContext.SourceIdentity != "bob-src" ||
			u.SessionContext.Attributes.CreationDate.IsZero() || u.SessionContext.Attributes.MFAAuthenticated != "false" || r.RecipientAccountID != testenv.AccountA {
			t.Fatalf("the session's identity: %+v (context %+v)", u, u.SessionContext)
		}
	})

	t.Run("cross-account AssumeRole denied", func(t *testing.T) {
		_, err := sts.NewFromConfig(bob).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(auAppRole), RoleSessionName: aws.String("nope")})
		if testenv.ErrorCode(err) != "AccessDenied" {
			t.Fatalf("got %v", err)
		}
		recs := auRecords(t, path, reqIDOf(t, nil, err), 2)
		if recs[0].SharedEventID == "" || recs[0].SharedEventID != recs[1].SharedEventID || recs[0].RecipientAccountID == recs[1].RecipientAccountID {
			t.Fatalf("records: %+v / %+v", recs[0], recs[1])
		}
		for _, r := range recs {
			if r.ErrorCode != "AccessDenied" || r.ResponseElements != nil && string(r.ResponseElements) != "null" {
				t.Fatalf("record: %+v", r)
			}
		}
	})

	t.Run("AssumeRoleWithWebIdentity unsigned", func(t *testing.T) {
		var tok eks.TokenResponse
		in := eks.TokenRequest{Namespace: "default", ServiceAccount: "web", Audiences: []string{"sts.amazonaws.com"}}
		if err := awsclient.FromConfig(e.RootConfig(testenv.AccountA), e.URL).PostJSON(ctx, "eks", "/_assumed/clusters/prod/token", in, &tok); err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, tok.Token)
		anon := e.Config("", "", "")
		anon.Credentials = aws.AnonymousCredentials{}
		out, err := sts.NewFromConfig(anon).AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(auIRSARole), RoleSessionName: aws.String("pod"), WebIdentityToken: aws.String(tok.Token)})
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken)
		r := auRecords(t, path, reqIDOf(t, out, nil), 1)[0]
		u := r.UserIdentity
		if u.Type != "WebIdentityUser" || u.UserName != "system:serviceaccount:default:web" || !strings.Contains(u.IdentityProvider, "oidc-provider/") ||
			!strings.HasSuffix(u.PrincipalID, ":sts.amazonaws.com:system:serviceaccount:default:web") || r.RecipientAccountID != testenv.AccountA || r.ErrorCode != "" {
			t.Fatalf("record: %+v", r)
		}
		if p := params(t, r); p["webIdentityToken"] != audit.Hidden || p["roleArn"] != auIRSARole {
			t.Fatalf("requestParameters: %s", r.RequestParameters)
		}

		// A refused one (a token that is no token) is recorded too.
		_, err = sts.NewFromConfig(anon).AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(auIRSARole), RoleSessionName: aws.String("pod"), WebIdentityToken: aws.String("not-a-jwt-but-secret-looking-0123456789")})
		if err == nil {
			t.Fatal("a bad token was accepted")
		}
		secrets = append(secrets, "not-a-jwt-but-secret-looking-0123456789")
		r = auRecords(t, path, reqIDOf(t, nil, err), 1)[0]
		if r.ErrorCode != testenv.ErrorCode(err) || r.UserIdentity.Type != "WebIdentityUser" || r.RecipientAccountID != testenv.AccountA {
			t.Fatalf("record: %+v", r)
		}
	})

	t.Run("EKS allowed and denied", func(t *testing.T) {
		out, err := sdkeks.NewFromConfig(alice).ListClusters(ctx, &sdkeks.ListClustersInput{MaxResults: aws.Int32(10)})
		if err != nil {
			t.Fatal(err)
		}
		r := auRecords(t, path, reqIDOf(t, out, nil), 1)[0]
		if r.EventSource != "eks.amazonaws.com" || r.EventName != "ListClusters" || r.ErrorCode != "" || params(t, r)["maxResults"] != "10" {
			t.Fatalf("record: %+v %s", r, r.RequestParameters)
		}
		_, err = sdkeks.NewFromConfig(mallory).ListClusters(ctx, &sdkeks.ListClustersInput{})
		if testenv.ErrorCode(err) != "AccessDeniedException" {
			t.Fatalf("got %v", err)
		}
		r = auRecords(t, path, reqIDOf(t, nil, err), 1)[0]
		if r.ErrorCode != "AccessDeniedException" || r.UserIdentity.UserName != "mallory" {
			t.Fatalf("record: %+v", r)
		}
	})

	t.Run("EKS Auth", func(t *testing.T) {
		var tok eks.TokenResponse
		in := eks.TokenRequest{Namespace: "default", ServiceAccount: "web", Audiences: []string{wire.Audience}}
		if err := awsclient.FromConfig(e.RootConfig(testenv.AccountA), e.URL).PostJSON(ctx, "eks", "/_assumed/clusters/prod/token", in, &tok); err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, tok.Token)
		status, h, body := do(t, signedJSON(t, e.URL+wire.AssumeRoleForPodIdentityPath("prod"), "eks-auth", e, `{"token":"`+tok.Token+`"}`))
		if status != http.StatusOK {
			t.Fatalf("%d %s", status, body)
		}
		var out wire.AssumeRoleForPodIdentityOutput
		if err := json.Unmarshal([]byte(body), &out); err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, out.Credentials.SecretAccessKey, out.Credentials.SessionToken)
		r := auRecords(t, path, h.Get("x-amzn-RequestId"), 1)[0]
		p := params(t, r)
		if r.EventSource != "eks-auth.amazonaws.com" || r.EventName != "AssumeRoleForPodIdentity" || p["token"] != audit.Hidden || p["clusterName"] != "prod" {
			t.Fatalf("record: %+v %s", r, r.RequestParameters)
		}
		if !bytes.Contains(r.ResponseElements, []byte(out.Credentials.AccessKeyID)) || !bytes.Contains(r.ResponseElements, []byte(`"assumedRoleUser"`)) {
			t.Fatalf("responseElements: %s", r.ResponseElements)
		}
	})

	t.Run("failed authentication", func(t *testing.T) {
		// A known key with the wrong secret: recorded as its user's, in
		// its account.
		_, err := iam.NewFromConfig(e.Config(auAliceKey, auWrongSecret, "")).ListUsers(ctx, &iam.ListUsersInput{})
		if testenv.ErrorCode(err) != "SignatureDoesNotMatch" {
			t.Fatalf("got %v", err)
		}
		r := auRecords(t, path, reqIDOf(t, nil, err), 1)[0]
		if r.ErrorCode != "SignatureDoesNotMatch" || r.UserIdentity.ARN != "arn:aws:iam::111111111111:user/alice" || r.RecipientAccountID != testenv.AccountA || r.EventName != "ListUsers" {
			t.Fatalf("record: %+v", r)
		}
		// An unknown key: nobody, in no account, the key it claimed.
		_, err = iam.NewFromConfig(e.Config(auUnknownKeyID, auWrongSecret, "")).ListUsers(ctx, &iam.ListUsersInput{})
		if testenv.ErrorCode(err) != "InvalidClientTokenId" {
			t.Fatalf("got %v", err)
		}
		r = auRecords(t, path, reqIDOf(t, nil, err), 1)[0]
		if r.ErrorCode != "InvalidClientTokenId" || r.UserIdentity.Type != "Unknown" || r.UserIdentity.AccessKeyID != auUnknownKeyID || r.RecipientAccountID != "" || r.EventSource != "iam.amazonaws.com" {
			t.Fatalf("record: %+v", r)
		}
		// No signature at all.
		resp, err := http.Post(e.URL+"/", "application/x-www-form-urlencoded", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		r = auRecords(t, path, resp.Header.Get("x-amzn-RequestId"), 1)[0]
		if r.ErrorCode != "MissingAuthenticationToken" || r.UserIdentity.Type != "Unknown" {
			t.Fatalf("record: %+v", r)
		}
		// A huge claimed key and user agent are clipped.
		req := signed(t, "POST", e.URL+"/", "iam", "AKIA"+strings.Repeat("Z", 5000), auWrongSecret, "", "Action=ListUsers&Version=2010-05-08")
		req.Header.Set("User-Agent", strings.Repeat("u", 20000))
		_, h, _ := do(t, req)
		r = auRecords(t, path, h.Get("x-amzn-RequestId"), 1)[0]
		if len(r.UserIdentity.AccessKeyID) > 200 || len(r.UserAgent) > 1100 {
			t.Fatalf("not clipped: key %d bytes, user agent %d bytes", len(r.UserIdentity.AccessKeyID), len(r.UserAgent))
		}
	})

	t.Run("secrets are never written", func(t *testing.T) {
		root := e.RootIAM(testenv.AccountA)
		key, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("mallory")})
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, *key.AccessKey.SecretAccessKey)
		r := auRecords(t, path, reqIDOf(t, key, nil), 1)[0]
		if !bytes.Contains(r.ResponseElements, []byte(*key.AccessKey.AccessKeyId)) {
			t.Fatalf("CreateAccessKey's responseElements lack the key ID: %s", r.ResponseElements)
		}
		const password = "Sup3r-Secret-Passw0rd!x"
		lp, err := root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("mallory"), Password: aws.String(password)})
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, password)
		if p := params(t, auRecords(t, path, reqIDOf(t, lp, nil), 1)[0]); p["password"] != audit.Hidden || p["userName"] != "mallory" {
			t.Fatalf("CreateLoginProfile's requestParameters: %v", p)
		}
		if _, err := root.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: aws.String("mallory"), Password: aws.String(password + "2")}); err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, password+"2")
		ssc, err := root.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{UserName: aws.String("mallory"), ServiceName: aws.String("codecommit.amazonaws.com")})
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, *ssc.ServiceSpecificCredential.ServicePassword)
		mfa, err := root.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("mallory-mfa")})
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, string(mfa.VirtualMFADevice.Base32StringSeed), base64.StdEncoding.EncodeToString(mfa.VirtualMFADevice.Base32StringSeed))
		_, err = root.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("mallory"), SerialNumber: mfa.VirtualMFADevice.SerialNumber, AuthenticationCode1: aws.String("918273"), AuthenticationCode2: aws.String("564738")})
		if err == nil {
			t.Fatal("made-up MFA codes were accepted")
		}
		secrets = append(secrets, "918273", "564738")
		if p := params(t, auRecords(t, path, reqIDOf(t, nil, err), 1)[0]); p["authenticationCode1"] != audit.Hidden {
			t.Fatalf("EnableMFADevice's requestParameters: %v", p)
		}
		// Signing secrets never appear either.
		secrets = append(secrets, auAliceSecret, auMallorySecr, auBobSecret, auWrongSecret)
		_, rootSecret := e.RootKey(testenv.AccountA)
		secrets = append(secrets, rootSecret)

		time.Sleep(100 * time.Millisecond) // past the sink's flush interval
		log := auReadAll(t, path)
		for _, s := range secrets {
			if s == "" {
				t.Fatal("an empty secret")
			}
			if bytes.Contains(log, []byte(s)) {
				t.Errorf("the audit log holds a secret: %.40s…", s)
			}
		}
		if !bytes.Contains(log, []byte(audit.Hidden)) {
			t.Error("the audit log hides nothing")
		}
	})
}

// auReadAll returns the audit log at path and its rotated files.
func auReadAll(t *testing.T, path string) []byte {
	t.Helper()
	files, err := audit.Files(path)
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

// signedJSON is a POST of a JSON body signed with A's root key for
// service.
func signedJSON(t *testing.T, url, service string, e *testenv.Env, body string) *http.Request {
	t.Helper()
	id, secret := e.RootKey(testenv.AccountA)
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, req, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	return req
}

// Many clients at once: every record is one whole line of JSON, none is
// lost, none is interleaved with another.
func TestAuditUnderConcurrency(t *testing.T) {
	e := auStart(t)
	path := filepath.Join(e.DataDir, "audit.log")
	ctx := context.Background()
	const workers, calls = 8, 40
	var wg sync.WaitGroup
	ids := make(chan string, workers*calls*2)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := sts.NewFromConfig(e.Config(auBobKey, auBobSecret, ""))
			for i := range calls {
				if i%2 == 0 {
					out, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
					if err != nil {
						t.Error(err)
						return
					}
					id, _ := requestIDFromOutput(out)
					ids <- id
					continue
				}
				out, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(auSharedRole), RoleSessionName: aws.String(fmt.Sprintf("w%d-%d", w, i))})
				if err != nil {
					t.Error(err)
					return
				}
				id, _ := requestIDFromOutput(out)
				ids <- id
				ids <- id // two records: B's and A's
			}
		}()
	}
	wg.Wait()
	close(ids)
	want := map[string]int{}
	n := 0
	for id := range ids {
		want[id]++
		n++
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := map[string]int{}
		total := 0
		res, err := audit.Read(path, audit.Filter{}, func(r *audit.Record, line []byte) error {
			if !json.Valid(line) {
				return fmt.Errorf("not JSON: %s", line)
			}
			if _, ok := want[r.RequestID]; ok {
				got[r.RequestID]++
				total++
			}
			return nil
		})
		if err != nil || res.Skipped != 0 {
			t.Fatalf("read: %v, %d lines skipped", err, res.Skipped)
		}
		if total == n {
			for id, c := range want {
				if got[id] != c {
					t.Fatalf("request %s: %d records, want %d", id, got[id], c)
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d records of the %d calls, want %d", total, workers*calls, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The gateway's calls are recorded too, and a call on another account's
// bucket is recorded for both accounts.
func TestAuditGatewayAcrossAccounts(t *testing.T) {
	if _, err := exec.LookPath("moto_server"); err != nil {
		fmt.Fprintln(os.Stderr, "WARNING: moto_server is not on PATH (pip install 'moto[server]'): the gateway's audit test is skipped")
		t.Skip("moto_server is not on PATH (pip install 'moto[server]')")
	}
	w, err := world.Parse("world.yaml", []byte(auWorld))
	if err != nil {
		t.Fatal(err)
	}
	e := testenv.StartWith(t, testenv.Options{World: w, Backend: "moto"})
	path := filepath.Join(e.DataDir, "audit.log")
	ctx := context.Background()
	s3c := func(cfg aws.Config) *s3.Client {
		return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	}
	a := s3c(e.RootConfig(testenv.AccountA))
	if _, err := a.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("audit-a")}); err != nil {
		t.Fatal(err)
	}
	// S3's answers carry the backend's request ID: find the records by
	// what they are.
	op := func(name string) func(*audit.Record) bool {
		return func(r *audit.Record) bool { return r.EventSource == "s3.amazonaws.com" && r.EventName == name }
	}
	r := auRecordsWhere(t, path, op("CreateBucket"), 1)[0]
	if r.EventSource != "s3.amazonaws.com" || r.EventName != "CreateBucket" || r.ErrorCode != "" || r.RecipientAccountID != testenv.AccountA || !r.ManagementEvent {
		t.Fatalf("record: %+v", r)
	}
	if _, err := a.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("audit-a"), Key: aws.String("k"), Body: strings.NewReader("object-body-not-for-the-log")}); err != nil {
		t.Fatal(err)
	}
	// B's bob: refused (no bucket policy), recorded for B and for A.
	bob := s3c(e.Config(auBobKey, auBobSecret, ""))
	_, err = bob.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("audit-a"), Key: aws.String("k")})
	if testenv.ErrorCode(err) != "AccessDenied" {
		t.Fatalf("got %v", err)
	}
	recs := auRecordsWhere(t, path, op("GetObject"), 2)
	if recs[0].SharedEventID == "" || recs[0].SharedEventID != recs[1].SharedEventID {
		t.Fatalf("sharedEventID %q / %q", recs[0].SharedEventID, recs[1].SharedEventID)
	}
	got := map[string]*audit.Record{recs[0].RecipientAccountID: recs[0], recs[1].RecipientAccountID: recs[1]}
	if got[testenv.AccountA] == nil || got[testenv.AccountB] == nil {
		t.Fatalf("recipients %s, %s", recs[0].RecipientAccountID, recs[1].RecipientAccountID)
	}
	for _, r := range recs {
		if r.ErrorCode != "AccessDenied" || r.EventName != "GetObject" || r.EventCategory != audit.CategoryData || r.ManagementEvent ||
			len(r.Resources) == 0 || r.Resources[0].ARN != "arn:aws:s3:::audit-a/k" || r.Resources[0].AccountID != testenv.AccountA {
			t.Fatalf("record: %+v", r)
		}
	}
	if got[testenv.AccountA].UserIdentity.Type != "AWSAccount" || got[testenv.AccountB].UserIdentity.ARN != "arn:aws:iam::222222222222:user/bob" {
		t.Fatalf("identities: %+v / %+v", got[testenv.AccountA].UserIdentity, got[testenv.AccountB].UserIdentity)
	}
	// A missing object, forwarded: the backend's error is recorded.
	_, err = a.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("audit-a"), Key: aws.String("missing")})
	if err == nil {
		t.Fatal("a missing object was found")
	}
	if r := auRecordsWhere(t, path, op("GetObject"), 3)[2]; r.ErrorCode == "" || r.UserIdentity.Type != "Root" {
		t.Fatalf("record: %+v", r)
	}
	time.Sleep(50 * time.Millisecond)
	if bytes.Contains(auReadAll(t, path), []byte("object-body-not-for-the-log")) {
		t.Fatal("an object's content is in the audit log")
	}
}

// Through the server, a small --audit-log-max-size rotates the log; the
// records of every call are found across the files, in order.
func TestAuditRotationThroughServer(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan string, 1), make(chan error, 1)
	logs := &testenv.SyncBuffer{}
	go func() {
		done <- app.Run(ctx, app.Options{Listen: "127.0.0.1:0", DataDir: dir, AuditLogMaxSize: 4 << 10, AuditLogMaxFiles: 100,
			Ready: func(a string) { ready <- a }}, logs)
	}()
	var url string
	select {
	case url = <-ready:
	case err := <-done:
		t.Fatalf("server exited: %v\n%s", err, logs.String())
	case <-time.After(30 * time.Second):
		t.Fatal("server not ready")
	}
	id, secret := readDefaultRootKey(t, dir)
	c := sts.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String("http://" + url), Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, nil
	})})
	var ids []string
	for range 30 {
		out, err := c.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		rid, _ := requestIDFromOutput(out)
		ids = append(ids, rid)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "audit.log")
	files, err := audit.Files(path)
	if err != nil || len(files) < 3 {
		t.Fatalf("files %v (%v): want the log rotated", files, err)
	}
	var got []string
	if _, err := audit.Read(path, audit.Filter{Account: "000000000000"}, func(r *audit.Record, _ []byte) error {
		got = append(got, r.RequestID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Fatalf("records across %d files: %d, want the %d calls in order", len(files), len(got), len(ids))
	}
}

// readDefaultRootKey reads the default account's root key from the data
// dir's credentials file.
func readDefaultRootKey(t *testing.T, dir string) (string, string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "credentials"))
	if err != nil {
		t.Fatal(err)
	}
	var id, secret string
	for l := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "aws_access_key_id = "); ok {
			id = v
		}
		if v, ok := strings.CutPrefix(l, "aws_secret_access_key = "); ok {
			secret = v
		}
	}
	return id, secret
}
