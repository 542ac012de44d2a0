// Package testenv runs a real assumed server for tests: the whole server,
// on its embedded store (or Options.Store) in a temporary data directory,
// on a free loopback port, with AWS SDK for Go v2 clients configured for
// its accounts.
package testenv

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/assumed-dev/assumed/internal/app"
	"github.com/assumed-dev/assumed/internal/server"
	"github.com/assumed-dev/assumed/internal/tlsca"
	"github.com/assumed-dev/assumed/internal/world"
)

// The accounts of the default world.
const (
	AccountA = "111111111111" // profile account-a
	AccountB = "222222222222" // profile account-b
)

// Env is a running server.
type Env struct {
	URL string // http://127.0.0.1:PORT (https:// with Options.TLS)
	// CAFile is the data dir's CA certificate (DIR/ca.pem), which signs
	// the HTTPS listener's certificate with Options.TLS.
	CAFile string
	// MetricsURL is the metrics listener's http://ADDR with
	// Options.MetricsListen, else URL.
	MetricsURL string
	DataDir    string
	t          testing.TB
	world      *world.World
	logs       *SyncBuffer
	stop       func() error
	keys       map[string][2]string // account ID → root access key ID, secret
	opts       Options
	listen     string // the bound address, kept across restarts
}

// Options are the server options a test may set.
type Options struct {
	// World is the world file's content (nil: accounts AccountA
	// "account-a" and AccountB "account-b").
	World *world.World
	// OIDCAllowHTTP accepts http:// web-identity issuers (serve
	// --oidc-allow-http).
	OIDCAllowHTTP bool
	// PublicURL is the URL cluster issuers are built from (serve
	// --public-url); empty means the listener's http URL.
	PublicURL string
	// MetricsListen gives metrics a listener of their own (serve
	// --metrics-listen); Env.MetricsURL is its URL.
	MetricsListen string
	// Limits bound requests before authentication (zero: the defaults).
	Limits server.Limits
	// Backend is the resource gateway's backend (serve --backend): "moto"
	// or the URL (http(s)://, unix://) of a running one; empty for none.
	Backend string
	// Pprof serves Go's profiler under /_assumed/debug/pprof/ (serve
	// --pprof).
	Pprof bool
	// TLS serves HTTPS (serve --tls); the clients of Config and
	// HTTPClient trust the data dir's CA.
	TLS bool
	// AllowReset lets any authenticated caller reset the state (serve
	// --allow-reset).
	AllowReset bool
	// DenialDetail is serve --denial-detail ("" is the default, full).
	DenialDetail string
	// Store is serve --store: "" for the data dir's SQLite, or a
	// postgres:// URL (see package pgtest for a throw-away one).
	Store string
}

// StartWith runs a server with the given options until the test ends.
func StartWith(t testing.TB, opt Options) *Env {
	t.Helper()
	w := opt.World
	if w == nil {
		w = &world.World{Accounts: []world.Account{{ID: AccountA, Name: "account-a"}, {ID: AccountB, Name: "account-b"}}}
	}
	e := &Env{DataDir: t.TempDir(), t: t, world: w, logs: &SyncBuffer{}, opts: opt}
	e.CAFile = tlsca.CertPath(e.DataDir)
	e.start()
	return e
}

// Start runs a server with the given world (nil: accounts AccountA
// "account-a" and AccountB "account-b") until the test ends.
func Start(t testing.TB, w *world.World) *Env {
	t.Helper()
	return StartWith(t, Options{World: w})
}

func (e *Env) start() {
	t := e.t
	t.Helper()
	listen := e.listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	var cancel context.CancelFunc
	var done chan error
	// A restart keeps its address: the cluster issuers' URLs (and so the
	// OIDC providers registered for them) are built from it. Another
	// process may hold that port for a moment; try again then.
	for attempt := 1; ; attempt++ {
		var ctx context.Context
		ctx, cancel = context.WithCancel(context.Background())
		ready := make(chan string, 1)
		done = make(chan error, 1)
		metricsAddr := ""
		go func() {
			done <- app.Run(ctx, app.Options{Listen: listen, DataDir: e.DataDir, World: e.world, OIDCAllowHTTP: e.opts.OIDCAllowHTTP, PublicURL: e.opts.PublicURL, TLS: e.opts.TLS,
				MetricsListen: e.opts.MetricsListen, MetricsReady: func(a string) { metricsAddr = a }, Limits: e.opts.Limits, Backend: e.opts.Backend, Pprof: e.opts.Pprof, AllowReset: e.opts.AllowReset, DenialDetail: e.opts.DenialDetail, Store: e.opts.Store,
				Ready: func(a string) { ready <- a }}, e.logs)
		}()
		select {
		case addr := <-ready:
			scheme := "http://"
			if e.opts.TLS {
				scheme = "https://"
			}
			e.URL, e.listen = scheme+addr, addr
			e.MetricsURL = e.URL
			if metricsAddr != "" {
				e.MetricsURL = "http://" + metricsAddr
			}
		case err := <-done:
			cancel()
			if e.listen != "" && errors.Is(err, syscall.EADDRINUSE) && attempt < 40 {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			t.Fatalf("server exited early: %v\n%s", err, e.logs.String())
		case <-time.After(30 * time.Second):
			cancel()
			t.Fatalf("server did not become ready\n%s", e.logs.String())
		}
		break
	}
	var once sync.Once
	var stopErr error
	e.stop = func() error {
		once.Do(func() { cancel(); stopErr = <-done })
		return stopErr
	}
	t.Cleanup(func() { e.stop() })
	e.keys = readRootKeys(t, filepath.Join(e.DataDir, "credentials"), e.world)
}

// Restart stops the server gracefully and starts it again on the same
// data directory and address.
func (e *Env) Restart() {
	e.t.Helper()
	if err := e.stop(); err != nil {
		e.t.Fatalf("stop: %v\n%s", err, e.logs.String())
	}
	e.start()
}

// Logs returns what the server has logged.
func (e *Env) Logs() string { return e.logs.String() }

// RootKey returns an account's root access key ID and secret.
func (e *Env) RootKey(account string) (id, secret string) {
	k, ok := e.keys[account]
	if !ok {
		e.t.Fatalf("no root key for account %s", account)
	}
	return k[0], k[1]
}

// Config returns an SDK configuration signing with the given credentials.
func (e *Env) Config(accessKeyID, secret, sessionToken string) aws.Config {
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(accessKeyID, secret, sessionToken),
		BaseEndpoint: aws.String(e.URL),
	}
	if e.opts.TLS {
		cfg.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
			tr.TLSClientConfig = &tls.Config{RootCAs: e.CAPool(), MinVersion: tls.VersionTLS12}
		})
	}
	return cfg
}

// CAPool returns a pool holding the data dir's CA certificate alone.
func (e *Env) CAPool() *x509.CertPool {
	e.t.Helper()
	b, err := os.ReadFile(e.CAFile)
	if err != nil {
		e.t.Fatalf("read the CA certificate: %v", err)
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(b) {
		e.t.Fatalf("%s holds no certificate", e.CAFile)
	}
	return p
}

// HTTPClient returns a plain HTTP client for the server's URL: with
// Options.TLS it trusts the data dir's CA alone.
func (e *Env) HTTPClient() *http.Client {
	if !e.opts.TLS {
		return http.DefaultClient
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: e.CAPool(), MinVersion: tls.VersionTLS12}}}
}

// RootConfig returns an SDK configuration for an account's root user.
func (e *Env) RootConfig(account string) aws.Config {
	id, secret := e.RootKey(account)
	return e.Config(id, secret, "")
}

// RootIAM returns an IAM client for an account's root user.
func (e *Env) RootIAM(account string) *iam.Client { return iam.NewFromConfig(e.RootConfig(account)) }

// IAM returns an IAM client signing with the given key.
func (e *Env) IAM(accessKeyID, secret string) *iam.Client {
	return iam.NewFromConfig(e.Config(accessKeyID, secret, ""))
}

// readRootKeys reads the credentials file the server wrote.
func readRootKeys(t testing.TB, path string, w *world.World) map[string][2]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read credentials file: %v", err)
	}
	byName := map[string][2]string{}
	var section string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "["):
			section = strings.Trim(line, "[]")
		case strings.HasPrefix(line, "aws_access_key_id"):
			k := byName[section]
			k[0] = strings.TrimSpace(strings.SplitN(line, "=", 2)[1])
			byName[section] = k
		case strings.HasPrefix(line, "aws_secret_access_key"):
			k := byName[section]
			k[1] = strings.TrimSpace(strings.SplitN(line, "=", 2)[1])
			byName[section] = k
		}
	}
	out := map[string][2]string{}
	for _, a := range w.Accounts {
		out[a.ID] = byName[a.Name]
	}
	return out
}

// SyncBuffer is a log sink safe for a server's goroutines.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// ErrorCode returns the AWS error code of an SDK error, or "".
func ErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// EncodedMessageLabel introduces the encoded authorization message every
// refusal carries.
const EncodedMessageLabel = " Encoded authorization failure message: "

// WithoutEncodedMessage is a refusal's message without its encoded
// authorization message (and the full stop before it), for tests that
// compare the words.
func WithoutEncodedMessage(msg string) string {
	if i := strings.Index(msg, EncodedMessageLabel); i >= 0 {
		return strings.TrimSuffix(msg[:i], ".")
	}
	return msg
}

// EncodedMessage is the encoded authorization message of a refusal's
// message, or "".
func EncodedMessage(msg string) string {
	if i := strings.Index(msg, EncodedMessageLabel); i >= 0 {
		return msg[i+len(EncodedMessageLabel):]
	}
	return ""
}

// Refusal is what a client sees of a refused call: the AWS error code,
// the message and the HTTP status.
type Refusal struct {
	Code, Message string
	Status        int
}

// RefusalOf returns what a client sees of an SDK error. Each occurrence
// of hide in the message (an ARN the test varies) reads "ARN", so that
// refusals naming different ARNs compare equal when they say the same.
func RefusalOf(err error, hide string) Refusal {
	var r Refusal
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		r.Status = re.HTTPStatusCode()
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		r.Code, r.Message = ae.ErrorCode(), WithoutEncodedMessage(ae.ErrorMessage())
	}
	if hide != "" {
		r.Message = strings.ReplaceAll(r.Message, hide, "ARN")
	}
	return r
}

// PodEnv makes the AWS SDKs' default credential chain a Pod Identity
// pod's for the rest of the test: container credentials from
// credentialsURL with the token in tokenFile, no other credentials or
// configuration, every endpoint at serverURL.
func PodEnv(t testing.TB, serverURL, credentialsURL, tokenFile string) {
	t.Helper()
	for _, k := range []string{
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_DEFAULT_REGION", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
		"AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_EKS", "AWS_ENDPOINT_URL_EKS_AUTH", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
	} {
		t.Setenv(k, "") // restored when the test ends
		os.Unsetenv(k)
	}
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ENDPOINT_URL", serverURL)
	t.Setenv("AWS_ENDPOINT_URL_STS", serverURL)
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", credentialsURL)
	t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tokenFile)
}
