package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/assumed-dev/assumed/internal/testenv"
	"github.com/assumed-dev/assumed/internal/tlsca"
)

// startServeTLS runs `assumed serve --tls` in-process and returns its
// https URL and its log.
func startServeTLS(t *testing.T, dataDir, publicURL string) (string, *testenv.SyncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	logs := &testenv.SyncBuffer{}
	go func() {
		done <- runServe(ctx, serveOptions{listen: "127.0.0.1:0", dataDir: dataDir, tls: true, publicURL: publicURL, ready: func(a string) { ready <- a }}, logs)
	}()
	select {
	case addr := <-ready:
		t.Cleanup(func() { cancel(); <-done })
		return "https://" + addr, logs
	case err := <-done:
		cancel()
		t.Fatalf("serve --tls exited early: %v\n%s", err, logs.String())
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatalf("serve --tls did not become ready\n%s", logs.String())
	}
	return "", nil
}

// TestServeTLS: `serve --tls` logs the CA file; the SDK's default
// configuration trusts it through AWS_CA_BUNDLE, and so does the AWS CLI.
func TestServeTLS(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	endpoint, logs := startServeTLS(t, dataDir, "https://assumed.example.test")
	caFile, err := filepath.Abs(tlsca.CertPath(dataDir))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "ca_file="+caFile) || !strings.Contains(logs.String(), "public_url=https://assumed.example.test") {
		t.Fatalf("the log lacks ca_file=%s or the public URL:\n%s", caFile, logs.String())
	}
	t.Setenv("AWS_CA_BUNDLE", caFile)
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithSharedCredentialsFiles([]string{filepath.Join(dataDir, "credentials")}),
		config.WithSharedConfigFiles([]string{filepath.Join(dataDir, "config")}),
		config.WithSharedConfigProfile("default"),
		config.WithBaseEndpoint(endpoint),
	)
	if err != nil {
		t.Fatal(err)
	}
	out, err := iam.NewFromConfig(cfg).GetUser(context.Background(), &iam.GetUserInput{})
	if err != nil || aws.ToString(out.User.Arn) != "arn:aws:iam::000000000000:root" {
		t.Fatalf("GetUser over TLS with AWS_CA_BUNDLE: %v %v", out, err)
	}
	// The certificate names the public URL's host.
	conn, err := tls.Dial("tcp", strings.TrimPrefix(endpoint, "https://"), &tls.Config{ServerName: "assumed.example.test", RootCAs: cfgRoots(t, caFile)})
	if err != nil {
		t.Fatalf("TLS as assumed.example.test: %v", err)
	}
	if names := conn.ConnectionState().PeerCertificates[0].DNSNames; !slices.Contains(names, "assumed.example.test") {
		t.Errorf("certificate names %v", names)
	}
	conn.Close()

	awsPath, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the AWS CLI is not installed")
	}
	cmd := exec.Command(awsPath, "--profile", "default", "iam", "get-user")
	cmd.Env = append(os.Environ(),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dataDir, "credentials"),
		"AWS_CONFIG_FILE="+filepath.Join(dataDir, "config"),
		"AWS_ENDPOINT_URL="+endpoint,
		"AWS_CA_BUNDLE="+caFile,
	)
	b, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(b), "arn:aws:iam::000000000000:root") {
		t.Errorf("aws iam get-user over TLS: %v\n%s", err, b)
	}
}

func cfgRoots(t *testing.T, caFile string) *x509.CertPool {
	t.Helper()
	b, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(b) {
		t.Fatal("no certificate in the CA file")
	}
	return p
}
