package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/internal/testenv"
	"github.com/assumed-dev/assumed/internal/world"
)

// explWorld: account A's role deploy trusts account B with an external
// ID; A's auditor may assumed:Explain, its intern may nothing; B's bob may
// assume A's roles; account C is a bystander.
const explWorld = `accounts:
  - id: "111111111111"
    name: account-a
    users:
      - name: auditor
        policies:
          explain: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "assumed:Explain", Resource: "*"}]}
        access_keys: [{id: AKIAAUDITOR000000001, secret: "auditorSecretAuditorSecretAuditorSecre01"}]
      - name: intern
        access_keys: [{id: AKIAINTERN0000000001, secret: "internSecretInternSecretInternSecretIn01"}]
    roles:
      - name: deploy
        trust: {Version: "2012-10-17", Statement: [{Sid: PartnerB, Effect: Allow, Principal: {AWS: "arn:aws:iam::222222222222:root"}, Action: "sts:AssumeRole", Condition: {StringEquals: {"sts:ExternalId": "s3cr3t-42"}}}]}
  - id: "222222222222"
    name: account-b
    users:
      - name: bob
        policies:
          assume: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "sts:AssumeRole", Resource: "arn:aws:iam::111111111111:role/*"}]}
        access_keys: [{id: AKIABOB0000000000001, secret: "bobSecretBobSecretBobSecretBobSecretBo01"}]
  - id: "333333333333"
    name: account-c
`

const (
	explAuditorKey, explAuditorSecret = "AKIAAUDITOR000000001", "auditorSecretAuditorSecretAuditorSecre01"
	explInternKey, explInternSecret   = "AKIAINTERN0000000001", "internSecretInternSecretInternSecretIn01"
	explBobKey, explBobSecret         = "AKIABOB0000000000001", "bobSecretBobSecretBobSecretBobSecretBo01"
	explAccountC                      = "333333333333"
	explBob                           = "arn:aws:iam::222222222222:user/bob"
	explDeploy                        = "arn:aws:iam::111111111111:role/deploy"
)

func explStart(t *testing.T, denialDetail string) *testenv.Env {
	t.Helper()
	w, err := world.Parse("world.yaml", []byte(explWorld))
	if err != nil {
		t.Fatal(err)
	}
	return testenv.StartWith(t, testenv.Options{World: w, DenialDetail: denialDetail})
}

// explPost posts body to /_assumed/explain, signed with the key (an
// empty key: unsigned), and returns the status, the error code and the
// trace.
func explPost(t *testing.T, env *testenv.Env, method, keyID, secret, body string) (int, string, string, *authz.Trace) {
	t.Helper()
	req, err := http.NewRequest(method, env.URL+"/_assumed/explain", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if keyID != "" {
		sum := sha256.Sum256([]byte(body))
		creds := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "assumed", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	status, h, b := do(t, req)
	if h.Get("x-amzn-RequestId") == "" {
		t.Errorf("answer without x-amzn-RequestId")
	}
	if status != http.StatusOK {
		var e struct{ Code, Message string }
		if err := json.Unmarshal([]byte(b), &e); err != nil {
			t.Fatalf("error answer %d is not JSON: %s", status, b)
		}
		return status, e.Code, e.Message, nil
	}
	var tr authz.Trace
	if err := json.Unmarshal([]byte(b), &tr); err != nil {
		t.Fatalf("answer is not a trace: %v\n%s", err, b)
	}
	return status, "", "", &tr
}

// explRefusal makes bob's AssumeRole of deploy with a wrong external ID
// through the SDK and returns its request ID.
func explRefusal(t *testing.T, env *testenv.Env) string {
	t.Helper()
	_, err := sts.NewFromConfig(env.Config(explBobKey, explBobSecret, "")).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String(explDeploy), RoleSessionName: aws.String("s1"), ExternalId: aws.String("wrong-id")})
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || testenv.ErrorCode(err) != "AccessDenied" || re.ServiceRequestID() == "" {
		t.Fatalf("AssumeRole with a wrong external ID: %v, want AccessDenied with a request ID", err)
	}
	return re.ServiceRequestID()
}

func TestExplainEndpoint(t *testing.T) {
	env := explStart(t, "")
	rootA, secretA := env.RootKey(testenv.AccountA)
	rootB, secretB := env.RootKey(testenv.AccountB)
	rootC, secretC := env.RootKey(explAccountC)
	refused := explRefusal(t, env)
	assumeBob := `{"as":"` + explBob + `","assume":"` + explDeploy + `","externalId":"wrong-id"}`
	for _, c := range []struct {
		name, method, key, secret, body string
		status                          int
		code, msg                       string
		decision                        string
	}{
		{"A's root about its role", "POST", rootA, secretA, assumeBob, 200, "", "", authz.DecisionImplicitDeny},
		{"B's root about its user", "POST", rootB, secretB, assumeBob, 200, "", "", authz.DecisionImplicitDeny},
		{"C's root about A and B", "POST", rootC, secretC, assumeBob, 403, "AccessDenied", "is not authorized to explain requests of " + explBob, ""},
		{"allowed", "POST", rootB, secretB, `{"as":"` + explBob + `","assume":"` + explDeploy + `","externalId":"s3cr3t-42"}`, 200, "", "", authz.DecisionAllowed},
		{"intern without assumed:Explain", "POST", explInternKey, explInternSecret, `{"as":"arn:aws:iam::111111111111:user/intern","action":"iam:ListRoles"}`, 403, "AccessDenied", "is not authorized to perform: assumed:Explain", ""},
		{"auditor with assumed:Explain", "POST", explAuditorKey, explAuditorSecret, `{"as":"arn:aws:iam::111111111111:user/intern","action":"iam:ListRoles"}`, 200, "", "", authz.DecisionImplicitDeny},
		{"auditor about its account's role", "POST", explAuditorKey, explAuditorSecret, assumeBob, 200, "", "", authz.DecisionImplicitDeny},
		{"auditor about another account", "POST", explAuditorKey, explAuditorSecret, `{"as":"` + explBob + `","action":"s3:ListBucket"}`, 403, "AccessDenied", "it may explain the requests of principals of account 111111111111", ""},
		{"refusal, A's root", "POST", rootA, secretA, `{"requestId":"` + refused + `"}`, 200, "", "", authz.DecisionImplicitDeny},
		{"refusal, B's root", "POST", rootB, secretB, `{"requestId":"` + refused + `"}`, 200, "", "", authz.DecisionImplicitDeny},
		{"refusal, auditor", "POST", explAuditorKey, explAuditorSecret, `{"requestId":"` + refused + `"}`, 200, "", "", authz.DecisionImplicitDeny},
		{"refusal, C's root", "POST", rootC, secretC, `{"requestId":"` + refused + `"}`, 403, "AccessDenied", "it concerns other accounts", ""},
		{"refusal, intern", "POST", explInternKey, explInternSecret, `{"requestId":"` + refused + `"}`, 403, "AccessDenied", "assumed:Explain", ""},
		{"unknown request ID", "POST", rootA, secretA, `{"requestId":"00000000-0000-0000-0000-000000000000"}`, 404, "NoSuchRefusal", "no refusal of request", ""},
		{"request ID and query", "POST", rootA, secretA, `{"requestId":"` + refused + `","as":"` + explBob + `"}`, 400, "InvalidInput", "one at a time", ""},
		{"unknown user", "POST", rootA, secretA, `{"as":"arn:aws:iam::111111111111:user/nobody","action":"iam:ListRoles"}`, 404, "NoSuchEntity", "has no user named nobody", ""},
		{"not an ARN", "POST", rootA, secretA, `{"as":"nobody","action":"iam:ListRoles"}`, 400, "InvalidInput", "is not a principal ARN", ""},
		{"malformed", "POST", rootA, secretA, `{"as":`, 400, "InvalidInput", "is not an explain query", ""},
		{"unknown field", "POST", rootA, secretA, `{"as":"` + explBob + `","actions":["iam:ListRoles"]}`, 400, "InvalidInput", `unknown field "actions"`, ""},
		{"GET", "GET", rootA, secretA, "", 405, "MethodNotAllowed", "takes POST only", ""},
		{"unsigned", "POST", "", "", assumeBob, 0, "", "", ""},
		{"wrong secret", "POST", rootA, secretB, assumeBob, 403, "SignatureDoesNotMatch", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, code, msg, tr := explPost(t, env, c.method, c.key, c.secret, c.body)
			if c.name == "unsigned" {
				if status == 200 || code == "" {
					t.Fatalf("unsigned: %d %s %s", status, code, msg)
				}
				return
			}
			if status != c.status || code != c.code || !strings.Contains(msg, c.msg) {
				t.Fatalf("got %d %s %q, want %d %s %q", status, code, msg, c.status, c.code, c.msg)
			}
			if tr != nil && tr.Decision != c.decision {
				t.Fatalf("decision %s, want %s", tr.Decision, c.decision)
			}
		})
	}

	// The refusal's trace is the one the refused request made.
	_, _, _, tr := explPost(t, env, "POST", rootA, secretA, `{"requestId":"`+refused+`"}`)
	if tr.Principal.ARN != explBob || tr.Resource != explDeploy || tr.Deciding == nil || tr.Deciding.Condition != "StringEquals sts:ExternalId" ||
		!strings.Contains(tr.Reason, "wrong-id") {
		t.Errorf("refusal's trace: %+v, deciding %+v", tr, tr.Deciding)
	}
}

// TestExplainEndpointAWSDetail: on a server that gives AWS's texts only,
// an answer must show the caller's account alone.
func TestExplainEndpointAWSDetail(t *testing.T) {
	env := explStart(t, "aws")
	rootA, secretA := env.RootKey(testenv.AccountA)
	refused := explRefusal(t, env)
	for _, c := range []struct {
		name, body string
		status     int
	}{
		{"own account", `{"as":"arn:aws:iam::111111111111:user/intern","action":"iam:ListRoles"}`, 200},
		{"own role, another's principal", `{"as":"` + explBob + `","assume":"` + explDeploy + `"}`, 403},
		{"refusal across accounts", `{"requestId":"` + refused + `"}`, 403},
	} {
		if status, code, msg, _ := explPost(t, env, "POST", rootA, secretA, c.body); status != c.status {
			t.Errorf("%s: %d %s %s, want %d", c.name, status, code, msg, c.status)
		}
	}
	if status, code, msg, _ := explPost(t, env, "POST", explInternKey, explInternSecret, `{"as":"arn:aws:iam::111111111111:user/intern","action":"iam:ListRoles"}`); status != 403 || code != "AccessDenied" {
		t.Errorf("intern: %d %s %s, want 403 AccessDenied", status, code, msg)
	}
}
