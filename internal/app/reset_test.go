package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	sdkeks "github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/assumed-dev/assumed/internal/awsclient"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/eks"
	"github.com/assumed-dev/assumed/internal/eksauth/wire"
	admin "github.com/assumed-dev/assumed/internal/server"
	"github.com/assumed-dev/assumed/internal/testenv"
	"github.com/assumed-dev/assumed/internal/world"
)

// The world of the reset tests: account A with a bit of everything the
// world file can declare, account B empty.
const (
	rsAliceKey    = "AKIARESETALICE000001"
	rsAliceSecret = "resetAliceSecret0000000000000000000000AA"
	rsWorld       = `accounts:
  - id: "111111111111"
    name: account-a
    policies:
      - name: read
        path: /team/
        description: read things
        document: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}'
    groups:
      - name: devs
        attached: ["arn:aws:iam::111111111111:policy/team/read"]
        policies:
          list: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}'
    users:
      - name: alice
        groups: [devs]
        policies:
          self: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*","sts:AssumeRole"],"Resource":"*"}]}'
        access_keys:
          - {id: ` + rsAliceKey + `, secret: ` + rsAliceSecret + `}
    roles:
      - name: app
        description: the app
        max_session_duration: 7200
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111111111111:root","arn:aws:iam::111111111111:user/alice"]},"Action":"sts:AssumeRole"}]}'
        attached: ["arn:aws:iam::111111111111:policy/team/read"]
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
`
)

func rsStart(t *testing.T, opt testenv.Options) *testenv.Env {
	t.Helper()
	w, err := world.Parse("world.yaml", []byte(rsWorld))
	if err != nil {
		t.Fatalf("world: %v", err)
	}
	opt.World = w
	return testenv.StartWith(t, opt)
}

// rsCall makes a request to an administrative endpoint, SigV4-signed with
// creds (unsigned when nil), and returns the status and body.
func rsCall(t *testing.T, env *testenv.Env, method, path string, creds *aws.Credentials) (int, []byte) {
	t.Helper()
	status, body, err := rsDo(env, method, path, creds)
	if err != nil {
		t.Fatal(err)
	}
	return status, body
}

// rsDo is rsCall for any goroutine.
func rsDo(env *testenv.Env, method, path string, creds *aws.Credentials) (int, []byte, error) {
	req, err := http.NewRequest(method, env.URL+path, nil)
	if err != nil {
		return 0, nil, err
	}
	if creds != nil {
		sum := sha256.Sum256(nil)
		if err := v4.NewSigner().SignHTTP(context.Background(), *creds, req, hex.EncodeToString(sum[:]), "assumed", "us-east-1", time.Now()); err != nil {
			return 0, nil, err
		}
	}
	resp, err := env.HTTPClient().Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		return 0, nil, fmt.Errorf("%s %s: Content-Type %q, want application/json", method, path, ct)
	}
	return resp.StatusCode, body, nil
}

func rsRoot(env *testenv.Env, account string) *aws.Credentials {
	id, secret := env.RootKey(account)
	return &aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}
}

// rsReset resets as creds and wants it done.
func rsReset(t *testing.T, env *testenv.Env, creds *aws.Credentials) admin.ResetReport {
	t.Helper()
	status, body := rsCall(t, env, http.MethodPost, "/_assumed/reset", creds)
	if status != http.StatusOK {
		t.Fatalf("reset: %d %s", status, body)
	}
	var rep admin.ResetReport
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatalf("reset answer %s: %v", body, err)
	}
	if !rep.Reset || rep.Accounts != 2 {
		t.Fatalf("reset answer %s", body)
	}
	return rep
}

// rsState returns an account's state dump, as its root user.
func rsState(t *testing.T, env *testenv.Env, account string) string {
	t.Helper()
	status, body := rsCall(t, env, http.MethodGet, "/_assumed/state", rsRoot(env, account))
	if status != http.StatusOK {
		t.Fatalf("state of %s: %d %s", account, status, body)
	}
	return string(body)
}

// rsRefused checks a JSON refusal.
func rsRefused(t *testing.T, what string, status int, body []byte, wantStatus int, wantCode string) {
	t.Helper()
	var e struct{ Code, Message string }
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("%s: not a JSON error: %d %s", what, status, body)
	}
	if status != wantStatus || e.Code != wantCode || e.Message == "" {
		t.Fatalf("%s: got %d %s, want %d %s", what, status, body, wantStatus, wantCode)
	}
}

// podToken mints a service-account token of cluster prod.
func podToken(t *testing.T, env *testenv.Env, sa string) string {
	t.Helper()
	var out eks.TokenResponse
	in := eks.TokenRequest{Namespace: "default", ServiceAccount: sa, Audiences: []string{wire.Audience}}
	if err := awsclient.FromConfig(env.RootConfig(testenv.AccountA), env.URL).PostJSON(context.Background(), "eks", "/_assumed/clusters/prod/token", in, &out); err != nil {
		t.Fatalf("token: %v", err)
	}
	return out.Token
}

// podCredentials trades a pod's token for its association role's
// credentials (EKS Pod Identity).
func podCredentials(env *testenv.Env, token string) (*wire.AssumeRoleForPodIdentityOutput, error) {
	var out wire.AssumeRoleForPodIdentityOutput
	err := awsclient.FromConfig(env.RootConfig(testenv.AccountA), env.URL).PostJSON(context.Background(), "eks-auth", wire.AssumeRoleForPodIdentityPath("prod"), wire.AssumeRoleForPodIdentityInput{Token: token}, &out)
	return &out, err
}

// callerARN returns who the credentials are, or the refusal's code.
func callerARN(env *testenv.Env, id, secret, token string) (string, error) {
	out, err := sts.NewFromConfig(env.Config(id, secret, token)).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		return testenv.ErrorCode(err), err
	}
	return aws.ToString(out.Arn), nil
}

// Reset after the IAM and EKS APIs changed the world: the state is the
// world file's again, byte for byte as the server started; root keys and
// the credentials file stay; temporary credentials from before are
// refused, tokens of the kept cluster's issuer still work; a restart
// keeps the reset state and the reset's epoch.
func TestResetReturnsTheWorldState(t *testing.T) {
	ctx := context.Background()
	env := rsStart(t, testenv.Options{})
	worldA, worldB := rsState(t, env, testenv.AccountA), rsState(t, env, testenv.AccountB)
	for _, want := range []string{`"name": "alice"`, `"id": "` + rsAliceKey + `"`, `"name": "devs"`, `"name": "irsa"`, `"defaultVersionId": "v1"`, `"name": "prod"`, `"serviceAccount": "web"`, `"rootAccessKeys": [`} {
		if !strings.Contains(worldA, want) {
			t.Fatalf("the state of A lacks %s:\n%s", want, worldA)
		}
	}
	if strings.Contains(worldA, rsAliceSecret) {
		t.Fatalf("the state shows a secret:\n%s", worldA)
	}
	credsFile, err := os.ReadFile(filepath.Join(env.DataDir, "credentials"))
	if err != nil {
		t.Fatal(err)
	}

	// Temporary credentials and a pod's token from before the reset (the
	// role's trust names alice: a root user may not assume roles).
	rootIAM := env.RootIAM(testenv.AccountA)
	roleOut, err := sts.NewFromConfig(env.Config(rsAliceKey, rsAliceSecret, "")).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/app"), RoleSessionName: aws.String("before")})
	if err != nil {
		t.Fatal(err)
	}
	old := roleOut.Credentials
	if arn, err := callerARN(env, *old.AccessKeyId, *old.SecretAccessKey, *old.SessionToken); err != nil {
		t.Fatalf("the role session before the reset: %v", err)
	} else if !strings.Contains(arn, "assumed-role/app/before") {
		t.Fatalf("the role session is %s", arn)
	}
	token := podToken(t, env, "web")
	pod, err := podCredentials(env, token)
	if err != nil {
		t.Fatalf("pod credentials before the reset: %v", err)
	}

	// Change everything: new entities, world entities changed or gone,
	// in both services and both accounts.
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	_, err = rootIAM.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")})
	must("CreateUser", err)
	_, err = rootIAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("extra"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole"}]}`)})
	must("CreateRole", err)
	pol, err := rootIAM.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("more"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]}`)})
	must("CreatePolicy", err)
	_, err = rootIAM.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: pol.Policy.Arn})
	must("AttachUserPolicy", err)
	_, err = rootIAM.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("app"), Tags: []iamtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	must("TagRole", err)
	_, err = rootIAM.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String("arn:aws:iam::111111111111:policy/team/read"), SetAsDefault: true, PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`)})
	must("CreatePolicyVersion", err)
	_, err = rootIAM.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(rsAliceKey), Status: iamtypes.StatusTypeInactive})
	must("UpdateAccessKey", err)
	_, err = rootIAM.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: aws.String("alice"), GroupName: aws.String("devs")})
	must("RemoveUserFromGroup", err)
	_, err = rootIAM.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String("arn:aws:iam::111111111111:policy/team/read")})
	must("DetachRolePolicy", err)
	_, err = rootIAM.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("reset-me")})
	must("CreateAccountAlias", err)
	_, err = rootIAM.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{}) // a second root key
	must("CreateAccessKey (root)", err)
	_, err = env.RootIAM(testenv.AccountB).CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("b-group")})
	must("CreateGroup in B", err)
	eksA := sdkeks.NewFromConfig(env.RootConfig(testenv.AccountA))
	_, err = eksA.CreateCluster(ctx, &sdkeks.CreateClusterInput{Name: aws.String("extra"), RoleArn: aws.String("arn:aws:iam::111111111111:role/app"), ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-1"}}})
	must("CreateCluster", err)
	_, err = eksA.CreatePodIdentityAssociation(ctx, &sdkeks.CreatePodIdentityAssociationInput{ClusterName: aws.String("prod"), Namespace: aws.String("default"), ServiceAccount: aws.String("other"), RoleArn: aws.String("arn:aws:iam::111111111111:role/pods")})
	must("CreatePodIdentityAssociation", err)
	if rsState(t, env, testenv.AccountA) == worldA || rsState(t, env, testenv.AccountB) == worldB {
		t.Fatal("the changes do not show in the state")
	}

	rep := rsReset(t, env, rsRoot(env, testenv.AccountB)) // any account's root user
	if rep.Epoch != 1 || rep.Backend != "none" {
		t.Errorf("reset answer: %+v", rep)
	}
	if got := rsState(t, env, testenv.AccountA); got != worldA {
		t.Fatalf("after the reset, the state of A is not the world's:\n--- world\n%s\n--- after reset\n%s", worldA, got)
	}
	if got := rsState(t, env, testenv.AccountB); got != worldB {
		t.Fatalf("after the reset, the state of B is not the world's:\n--- world\n%s\n--- after reset\n%s", worldB, got)
	}
	if got, err := os.ReadFile(filepath.Join(env.DataDir, "credentials")); err != nil || !bytes.Equal(got, credsFile) {
		t.Fatalf("the credentials file changed (%v):\n%s\nwas\n%s", err, got, credsFile)
	}

	// The root keys and alice's world key work; the IAM API sees the
	// world's entities only.
	users, err := rootIAM.ListUsers(ctx, &iam.ListUsersInput{})
	must("ListUsers after the reset", err)
	if len(users.Users) != 1 || aws.ToString(users.Users[0].UserName) != "alice" {
		t.Fatalf("users after the reset: %+v", users.Users)
	}
	if _, err := env.IAM(rsAliceKey, rsAliceSecret).GetUser(ctx, &iam.GetUserInput{}); err != nil {
		t.Fatalf("alice's world key after the reset: %v", err)
	}

	// Temporary credentials from before are refused: the role session
	// and the pod's.
	if code, err := callerARN(env, *old.AccessKeyId, *old.SecretAccessKey, *old.SessionToken); err == nil || code != "InvalidClientTokenId" {
		t.Fatalf("a role session from before the reset: %s %v", code, err)
	}
	pc := pod.Credentials
	if code, err := callerARN(env, pc.AccessKeyID, pc.SecretAccessKey, pc.SessionToken); err == nil || code != "InvalidClientTokenId" {
		t.Fatalf("a pod session from before the reset: %s %v", code, err)
	}
	// The kept cluster's issuer still verifies the pod's token, and new
	// sessions work.
	pod, err = podCredentials(env, token)
	if err != nil {
		t.Fatalf("a pod token from before the reset: %v", err)
	}
	pc = pod.Credentials
	if _, err := callerARN(env, pc.AccessKeyID, pc.SecretAccessKey, pc.SessionToken); err != nil {
		t.Fatalf("pod credentials after the reset: %v", err)
	}
	roleOut, err = sts.NewFromConfig(env.Config(rsAliceKey, rsAliceSecret, "")).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/app"), RoleSessionName: aws.String("after")})
	must("AssumeRole after the reset", err)
	fresh := roleOut.Credentials
	if _, err := callerARN(env, *fresh.AccessKeyId, *fresh.SecretAccessKey, *fresh.SessionToken); err != nil {
		t.Fatalf("a role session after the reset: %v", err)
	}

	// A restart keeps the reset state and its epoch: the session issued
	// after the reset still works, the one from before still does not.
	env.Restart()
	if got := rsState(t, env, testenv.AccountA); got != worldA {
		t.Fatalf("after a restart, the state of A is not the world's:\n--- world\n%s\n--- after restart\n%s", worldA, got)
	}
	if _, err := callerARN(env, *fresh.AccessKeyId, *fresh.SecretAccessKey, *fresh.SessionToken); err != nil {
		t.Fatalf("a session from after the reset, after a restart: %v", err)
	}
	if code, err := callerARN(env, *old.AccessKeyId, *old.SecretAccessKey, *old.SessionToken); err == nil || code != "InvalidClientTokenId" {
		t.Fatalf("a session from before the reset, after a restart: %s %v", code, err)
	}
	if rep := rsReset(t, env, rsRoot(env, testenv.AccountA)); rep.Epoch != 2 {
		t.Errorf("the second reset's epoch is %d, want 2", rep.Epoch)
	}
	if got := rsState(t, env, testenv.AccountA); got != worldA {
		t.Fatalf("after a second reset, the state of A is not the world's:\n%s", got)
	}
}

// Who may reset and read the state: the root users, signed; with
// --allow-reset any valid credentials may reset; unsigned or badly
// signed requests never.
func TestResetAuthorization(t *testing.T) {
	ctx := context.Background()
	for _, allow := range []bool{false, true} {
		t.Run(fmt.Sprintf("allow-reset=%v", allow), func(t *testing.T) {
			env := rsStart(t, testenv.Options{AllowReset: allow})
			root := rsRoot(env, testenv.AccountA)
			alice := &aws.Credentials{AccessKeyID: rsAliceKey, SecretAccessKey: rsAliceSecret}
			role, err := sts.NewFromConfig(env.Config(rsAliceKey, rsAliceSecret, "")).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/app"), RoleSessionName: aws.String("s1")})
			if err != nil {
				t.Fatal(err)
			}
			rc := role.Credentials
			session := &aws.Credentials{AccessKeyID: *rc.AccessKeyId, SecretAccessKey: *rc.SecretAccessKey, SessionToken: *rc.SessionToken}
			rootSession, err := sts.NewFromConfig(env.RootConfig(testenv.AccountA)).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
			if err != nil {
				t.Fatal(err)
			}
			rs := rootSession.Credentials
			rootTemp := &aws.Credentials{AccessKeyID: *rs.AccessKeyId, SecretAccessKey: *rs.SecretAccessKey, SessionToken: *rs.SessionToken}

			// Never: unsigned, a wrong secret, an unknown key, the wrong
			// method.
			status, body := rsCall(t, env, http.MethodPost, "/_assumed/reset", nil)
			rsRefused(t, "unsigned reset", status, body, http.StatusForbidden, "MissingAuthenticationToken")
			status, body = rsCall(t, env, http.MethodGet, "/_assumed/state", nil)
			rsRefused(t, "unsigned state", status, body, http.StatusForbidden, "MissingAuthenticationToken")
			status, body = rsCall(t, env, http.MethodPost, "/_assumed/reset", &aws.Credentials{AccessKeyID: root.AccessKeyID, SecretAccessKey: rsAliceSecret})
			rsRefused(t, "a wrong secret", status, body, http.StatusForbidden, "SignatureDoesNotMatch")
			status, body = rsCall(t, env, http.MethodPost, "/_assumed/reset", &aws.Credentials{AccessKeyID: "AKIAUNKNOWNKEY000000", SecretAccessKey: rsAliceSecret})
			rsRefused(t, "an unknown key", status, body, http.StatusForbidden, "InvalidClientTokenId")
			status, body = rsCall(t, env, http.MethodGet, "/_assumed/reset", root)
			rsRefused(t, "GET reset", status, body, http.StatusMethodNotAllowed, "MethodNotAllowed")
			status, body = rsCall(t, env, http.MethodPost, "/_assumed/state", root)
			rsRefused(t, "POST state", status, body, http.StatusMethodNotAllowed, "MethodNotAllowed")

			// The state is the root user's, of its own account.
			for name, c := range map[string]*aws.Credentials{"an IAM user": alice, "a role session": session} {
				status, body = rsCall(t, env, http.MethodGet, "/_assumed/state", c)
				rsRefused(t, "state as "+name, status, body, http.StatusForbidden, "AccessDenied")
			}
			status, body = rsCall(t, env, http.MethodGet, "/_assumed/state", rootTemp)
			if status != http.StatusOK || !strings.Contains(string(body), `"id": "111111111111"`) || strings.Contains(string(body), "222222222222") {
				t.Fatalf("state as the root user's session: %d %s", status, body)
			}

			// Reset: root users always; others with --allow-reset only (the
			// session first: a reset ends it).
			for _, c := range []struct {
				name  string
				creds *aws.Credentials
			}{{"a role session", session}, {"an IAM user", alice}} {
				status, body = rsCall(t, env, http.MethodPost, "/_assumed/reset", c.creds)
				if allow {
					if status != http.StatusOK {
						t.Fatalf("reset as %s with --allow-reset: %d %s", c.name, status, body)
					}
					continue
				}
				rsRefused(t, "reset as "+c.name, status, body, http.StatusForbidden, "AccessDenied")
				if !strings.Contains(string(body), "--allow-reset") {
					t.Errorf("the refusal does not say how to allow it: %s", body)
				}
			}
			if allow {
				// The resets above ended the root user's session too.
				status, body = rsCall(t, env, http.MethodGet, "/_assumed/state", rootTemp)
				rsRefused(t, "state with a session from before a reset", status, body, http.StatusForbidden, "InvalidClientTokenId")
				rootSession, err = sts.NewFromConfig(env.RootConfig(testenv.AccountA)).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
				if err != nil {
					t.Fatal(err)
				}
				rs = rootSession.Credentials
				rootTemp = &aws.Credentials{AccessKeyID: *rs.AccessKeyId, SecretAccessKey: *rs.SecretAccessKey, SessionToken: *rs.SessionToken}
			}
			rsReset(t, env, rootTemp) // the root user's own session; it ends with the reset
			status, body = rsCall(t, env, http.MethodPost, "/_assumed/reset", rootTemp)
			rsRefused(t, "reset with a session from before the last reset", status, body, http.StatusForbidden, "InvalidClientTokenId")
			rsReset(t, env, root)
		})
	}
}

// rsWorldPart is a state dump of account A without the users and role
// tags TestResetConcurrentWrites's writers make.
func rsWorldPart(dump []byte) (string, error) {
	var st admin.AccountState
	if err := json.Unmarshal(dump, &st); err != nil {
		return "", err
	}
	st.Users = slices.DeleteFunc(st.Users, func(u admin.UserState) bool { return strings.HasPrefix(u.Name, "u") })
	for i := range st.Roles {
		st.Roles[i].Tags = slices.DeleteFunc(st.Roles[i].Tags, func(tg directory.Tag) bool { return strings.HasPrefix(tg.Key, "t-") })
	}
	b, err := json.MarshalIndent(st, "", " ")
	return string(b), err
}

// Resets amid concurrent IAM writes never leave a mix: a reader sees,
// during the resets too, the world's state plus what the writers made;
// afterwards, every user or tag the writers made is there if it was made
// after the last reset, gone if it was made before it, and everything
// else is exactly the world file's.
func TestResetConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	env := rsStart(t, testenv.Options{})
	wantWorld, err := rsWorldPart([]byte(rsState(t, env, testenv.AccountA)))
	if err != nil {
		t.Fatal(err)
	}
	rootIAM := env.RootIAM(testenv.AccountA)

	// A write: its name, when it was sent and when it was answered.
	type write struct {
		name       string
		sent, done time.Time
	}
	var (
		mu     sync.Mutex
		writes []write
		errs   []error
		stop   = make(chan struct{})
		wg     sync.WaitGroup
	)
	// do reports whether it wrote.
	writer := func(prefix string, do func(name string) (bool, error)) {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			name := fmt.Sprintf("%s-%d", prefix, i)
			sent := time.Now()
			wrote, err := do(name)
			done := time.Now()
			mu.Lock()
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			} else if wrote {
				writes = append(writes, write{name, sent, done})
			}
			mu.Unlock()
		}
	}
	for g := range 3 {
		wg.Add(1)
		go writer(fmt.Sprintf("u%d", g), func(name string) (bool, error) {
			_, err := rootIAM.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
			return err == nil, err
		})
	}
	// Writes to world entities too: tags on the world's role.
	wg.Add(1)
	go writer("t", func(name string) (bool, error) {
		_, err := rootIAM.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("app"), Tags: []iamtypes.Tag{{Key: aws.String(name), Value: aws.String("x")}}})
		if testenv.ErrorCode(err) == "LimitExceeded" {
			// 50 tags: wait for a reset to clear them.
			time.Sleep(10 * time.Millisecond)
			return false, nil
		}
		return err == nil, err
	})
	// A reader: every state it sees, during the resets too, is the
	// world's plus what the writers made.
	var seen int
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			status, body, err := rsDo(env, http.MethodGet, "/_assumed/state", rsRoot(env, testenv.AccountA))
			mu.Lock()
			seen++
			switch {
			case err != nil:
				errs = append(errs, err)
			case status != http.StatusOK:
				errs = append(errs, fmt.Errorf("state: %d %s", status, body))
			default:
				if part, err := rsWorldPart(body); err != nil || part != wantWorld {
					errs = append(errs, fmt.Errorf("a reader saw a state that is not the world's plus the writers' (%v):\n%s", err, part))
				}
			}
			mu.Unlock()
		}
	}()
	var lastSent, lastDone time.Time
	for range 4 {
		time.Sleep(150 * time.Millisecond)
		lastSent = time.Now()
		rsReset(t, env, rsRoot(env, testenv.AccountA))
		lastDone = time.Now()
	}
	time.Sleep(150 * time.Millisecond)
	close(stop)
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}

	st := rsState(t, env, testenv.AccountA)
	var got admin.AccountState
	if err := json.Unmarshal([]byte(st), &got); err != nil {
		t.Fatal(err)
	}
	present := map[string]bool{}
	for _, u := range got.Users {
		present[u.Name] = true
	}
	for _, r := range got.Roles {
		for _, tag := range r.Tags {
			present[tag.Key] = true
		}
	}
	var before, after, either int
	for _, w := range writes {
		switch {
		case !w.done.After(lastSent):
			before++
			if present[w.name] {
				t.Errorf("%s was made before the last reset (answered %s before it was asked), and is still there", w.name, lastSent.Sub(w.done))
			}
		case w.sent.After(lastDone):
			after++
			if !present[w.name] {
				t.Errorf("%s was made after the last reset (asked %s after it was answered), and is gone", w.name, w.sent.Sub(lastDone))
			}
		default:
			either++
		}
		delete(present, w.name)
	}
	if before == 0 || after == 0 {
		t.Fatalf("no writes on one side of the last reset: %d before, %d after, %d during", before, after, either)
	}
	t.Logf("%d writes before the last reset, %d after, %d during it", before, after, either)

	for name := range present {
		if name != "alice" {
			t.Errorf("%s is there, but neither the world nor a writer made it", name)
		}
	}
	// Take the writers' users and tags out: what is left is the world's.
	if part, err := rsWorldPart([]byte(st)); err != nil || part != wantWorld {
		t.Fatalf("besides the writers' users and tags, the state is not the world's (%v):\n--- world\n%s\n--- got\n%s", err, wantWorld, part)
	}
	t.Logf("a reader saw %d states, each the world's plus the writers'", seen)
}
