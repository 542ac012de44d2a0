package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// startServe runs `assumed serve` in-process on a free port and returns
// its base URL and a function that stops it and returns runServe's error.
func startServe(t *testing.T, dataDir, worldFile string) (string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	logs := &testenv.SyncBuffer{}
	go func() {
		done <- runServe(ctx, serveOptions{listen: "127.0.0.1:0", dataDir: dataDir, config: worldFile, ready: func(a string) { ready <- a }}, logs)
	}()
	select {
	case addr := <-ready:
		stopped := false
		stop := func() error {
			if stopped {
				return nil
			}
			stopped = true
			cancel()
			return <-done
		}
		t.Cleanup(func() { stop() })
		return "http://" + addr, stop
	case err := <-done:
		cancel()
		t.Fatalf("serve exited early: %v\n%s", err, logs.String())
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatalf("serve did not become ready\n%s", logs.String())
	}
	return "", nil
}

// profileClient returns an IAM client using a profile of DIR/credentials.
func profileClient(t *testing.T, endpoint, dataDir, profile string) *iam.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithSharedCredentialsFiles([]string{filepath.Join(dataDir, "credentials")}),
		config.WithSharedConfigFiles([]string{filepath.Join(dataDir, "config")}),
		config.WithSharedConfigProfile(profile),
		config.WithBaseEndpoint(endpoint),
	)
	if err != nil {
		t.Fatal(err)
	}
	return iam.NewFromConfig(cfg)
}

func TestServeEndToEnd(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	worldFile := filepath.Join(t.TempDir(), "world.yaml")
	os.WriteFile(worldFile, []byte("accounts:\n  - {id: \"111111111111\", name: account-a}\n  - {id: \"222222222222\", name: account-b}\n"), 0o600)
	endpoint, stop := startServe(t, dataDir, worldFile)

	resp, err := http.Get(endpoint + "/_assumed/health")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("health: %v %v", resp, err)
	}
	resp.Body.Close()

	credPath := filepath.Join(dataDir, "credentials")
	fi, err := os.Stat(credPath)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v, mode %v", err, fi.Mode().Perm())
	}
	credText, _ := os.ReadFile(credPath)
	for _, want := range []string{"[account-a]", "[account-b]", "aws_access_key_id = AKIA", "aws_secret_access_key = "} {
		if !strings.Contains(string(credText), want) {
			t.Fatalf("credentials file lacks %q:\n%s", want, credText)
		}
	}

	ctx := context.Background()
	for profile, account := range map[string]string{"account-a": "111111111111", "account-b": "222222222222"} {
		c := profileClient(t, endpoint, dataDir, profile)
		out, err := c.GetUser(ctx, &iam.GetUserInput{})
		if err != nil {
			t.Fatalf("%s GetUser: %v", profile, err)
		}
		if aws.ToString(out.User.Arn) != "arn:aws:iam::"+account+":root" || aws.ToString(out.User.UserId) != account {
			t.Fatalf("%s GetUser = %s %s", profile, aws.ToString(out.User.Arn), aws.ToString(out.User.UserId))
		}
		roles, err := c.ListRoles(ctx, &iam.ListRolesInput{})
		if err != nil || len(roles.Roles) != 0 {
			t.Fatalf("%s ListRoles = %v, %v", profile, roles, err)
		}
	}

	// A wrong secret, an unknown key, an unknown user.
	c := profileClient(t, endpoint, dataDir, "account-a")
	keyID := strings.Fields(strings.SplitN(strings.SplitN(string(credText), "[account-a]", 2)[1], "aws_access_key_id = ", 2)[1])[0]
	bad := iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: credentials.NewStaticCredentialsProvider(keyID, "wrong-secret-wrong-secret-wrong-secret00", "")})
	if _, err := bad.GetUser(ctx, &iam.GetUserInput{}); testenv.ErrorCode(err) != "SignatureDoesNotMatch" {
		t.Fatalf("wrong secret: %v", err)
	}
	unknown := iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: credentials.NewStaticCredentialsProvider("AKIAAAAAAAAAAAAAAAAA", "x", "")})
	if _, err := unknown.GetUser(ctx, &iam.GetUserInput{}); testenv.ErrorCode(err) != "InvalidClientTokenId" {
		t.Fatalf("unknown key: %v", err)
	}
	if _, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("nobody")}); testenv.ErrorCode(err) != "NoSuchEntity" {
		t.Fatalf("unknown user: %v", err)
	}
	// An unsigned request.
	resp, err = http.Post(endpoint+"/", "application/x-www-form-urlencoded", strings.NewReader("Action=ListRoles&Version=2010-05-08"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "<Code>MissingAuthenticationToken</Code>") || resp.Header.Get("Date") == "" {
		t.Fatalf("unsigned request: %d %s", resp.StatusCode, body)
	}

	resp, err = http.Get(endpoint + "/_assumed/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), `assumed_requests_total{code="200",operation="GetUser",service="iam"}`) {
		t.Fatalf("metrics lack the GetUser counter:\n%s", metrics)
	}

	if err := stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}

	// Restart on the same data dir: the same root keys, still working.
	endpoint, _ = startServe(t, dataDir, worldFile)
	credText2, _ := os.ReadFile(credPath)
	if string(credText2) != string(credText) {
		t.Fatalf("root keys changed across restart:\n%s\n---\n%s", credText, credText2)
	}
	if _, err := profileClient(t, endpoint, dataDir, "account-b").GetUser(ctx, &iam.GetUserInput{}); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}

// TestServeAWSCLI runs the contract's command with the machine's AWS CLI:
// only the credentials file and the endpoint, no other set-up.
func TestServeAWSCLI(t *testing.T) {
	awsPath, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the AWS CLI is not installed")
	}
	dataDir := t.TempDir()
	worldFile := filepath.Join(t.TempDir(), "world.yaml")
	os.WriteFile(worldFile, []byte("accounts:\n  - {id: \"111111111111\", name: account-a}\n"), 0o600)
	endpoint, _ := startServe(t, dataDir, worldFile)
	env := append(os.Environ(),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dataDir, "credentials"),
		"AWS_CONFIG_FILE="+filepath.Join(t.TempDir(), "absent"),
		"AWS_ENDPOINT_URL="+endpoint,
	)
	for _, tc := range []struct {
		args     []string
		ok       bool
		contains string
	}{
		{[]string{"--profile", "account-a", "iam", "list-roles"}, true, `"Roles": []`},
		{[]string{"--profile", "account-a", "iam", "get-user"}, true, "arn:aws:iam::111111111111:root"},
		{[]string{"--profile", "account-a", "iam", "get-user", "--user-name", "bob"}, false, "NoSuchEntity"},
	} {
		cmd := exec.Command(awsPath, tc.args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if (err == nil) != tc.ok || !strings.Contains(string(out), tc.contains) {
			t.Errorf("aws %v: err %v, output:\n%s", tc.args, err, out)
		}
	}
}

func TestServeDefaultAccountAndBadWorld(t *testing.T) {
	dataDir := t.TempDir()
	endpoint, _ := startServe(t, dataDir, "")
	out, err := profileClient(t, endpoint, dataDir, "default").GetUser(context.Background(), &iam.GetUserInput{})
	if err != nil || aws.ToString(out.User.Arn) != "arn:aws:iam::000000000000:root" {
		t.Fatalf("default account: %v %v", out, err)
	}

	bad := filepath.Join(t.TempDir(), "world.yaml")
	os.WriteFile(bad, []byte("accounts:\n  - {id: \"12\", name: a}\n"), 0o600)
	var stderr bytes.Buffer
	code := run([]string{"serve", "--data-dir", t.TempDir(), "--config", bad, "--listen", "127.0.0.1:0"}, strings.NewReader(""), io.Discard, &stderr)
	if code != exitUsage || !strings.Contains(stderr.String(), "world.yaml:2: account id") {
		t.Fatalf("bad world: exit %d, stderr %q", code, stderr.String())
	}
}

// TestServeStopsOnSIGTERM runs the real binary and stops it with SIGTERM:
// it must finish in-flight work, close the store and exit 0.
func TestServeStopsOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	dataDir := t.TempDir()
	logs := &testenv.SyncBuffer{}
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir)
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var addr string
	for deadline := time.Now().Add(20 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if _, after, ok := strings.Cut(logs.String(), `"assumed is serving" addr=`); ok {
			addr = strings.Fields(after)[0]
		}
	}
	if addr == "" {
		cmd.Process.Kill()
		t.Fatalf("the server did not start:\n%s", logs.String())
	}
	endpoint := "http://" + addr
	if _, err := profileClient(t, endpoint, dataDir, "default").GetUser(context.Background(), &iam.GetUserInput{}); err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("still running 15 s after SIGTERM:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "shutting down") {
		t.Fatalf("no shutdown in the log:\n%s", logs.String())
	}
	// The store was closed cleanly: it opens again with everything in it.
	endpoint, _ = startServe(t, dataDir, "")
	if _, err := profileClient(t, endpoint, dataDir, "default").GetUser(context.Background(), &iam.GetUserInput{}); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}
