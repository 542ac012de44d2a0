package server_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/assumed-dev/assumed/internal/server"
	"github.com/assumed-dev/assumed/internal/testenv"
)

// signed builds a request signed with the given key, as the SDK signs it.
func signed(t *testing.T, method, url, service, keyID, secret, token, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret, SessionToken: token}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	return req
}

func do(t *testing.T, req *http.Request) (int, http.Header, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// scrape returns the assumed_requests_total series of a metrics page.
func scrape(t *testing.T, url string) []string {
	t.Helper()
	resp, err := http.Get(url + "/_assumed/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("metrics: %d", resp.StatusCode)
	}
	var series []string
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "assumed_requests_total{") {
			series = append(series, sc.Text())
		}
	}
	return series
}

// TestMetricLabelsAreBounded sends requests whose credential scope names
// made-up services and whose Action names made-up operations, signed and
// unsigned: the metrics keep one "unknown" series for them, never the
// client's text (before, each random name was a series of its own).
func TestMetricLabelsAreBounded(t *testing.T) {
	e := testenv.Start(t, nil)
	keyID, secret := e.RootKey(testenv.AccountA)
	for i := range 40 {
		svc := fmt.Sprintf("svc%03dzz", i)
		code, _, _ := do(t, signed(t, "POST", e.URL+"/", svc, keyID, secret, "", "Action=List&Version=1"))
		if code == http.StatusOK {
			t.Fatalf("service %s answered 200", svc)
		}
		op := fmt.Sprintf("Op%03dzz", i)
		code, _, body := do(t, signed(t, "POST", e.URL+"/", "iam", keyID, secret, "", "Action="+op+"&Version=2010-05-08"))
		if code != http.StatusBadRequest || !strings.Contains(body, "InvalidAction") {
			t.Fatalf("action %s: %d %s", op, code, body)
		}
		// Unknown key, made-up scope: refused before anything is known.
		code, _, _ = do(t, signed(t, "POST", e.URL+"/", svc+"x", "AKIAZZZZZZZZZZZZZZZZ", "x", "", "Action="+op))
		if code != http.StatusForbidden {
			t.Fatalf("unknown key: %d", code)
		}
	}
	if _, err := iam.NewFromConfig(e.RootConfig(testenv.AccountA)).ListRoles(context.Background(), &iam.ListRolesInput{}); err != nil {
		t.Fatal(err)
	}
	series := scrape(t, e.URL)
	all := strings.Join(series, "\n")
	if strings.Contains(all, "zz") {
		t.Fatalf("a client's text became a label:\n%s", all)
	}
	if len(series) > 8 {
		t.Fatalf("%d series for 120 requests of 3 kinds:\n%s", len(series), all)
	}
	for _, want := range []string{
		`assumed_requests_total{code="InvalidAction",operation="unknown",service="iam"} 40`,
		`assumed_requests_total{code="200",operation="ListRoles",service="iam"} 1`,
		`assumed_requests_total{code="InvalidClientTokenId",operation="unknown",service="unknown"} 40`,
		`assumed_requests_total{code="UnknownService",operation="unknown",service="unknown"} 40`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no %s in\n%s", want, all)
		}
	}
}

// TestRefusalLogLinesAreBounded sends a 60 KB Authorization header: AWS's
// message quotes it back to the client, but the log line stays short.
func TestRefusalLogLinesAreBounded(t *testing.T) {
	e := testenv.Start(t, nil)
	req, _ := http.NewRequest("POST", e.URL+"/", strings.NewReader("Action=ListRoles"))
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 "+strings.Repeat("x", 60<<10))
	code, _, body := do(t, req)
	if code != http.StatusBadRequest || !strings.Contains(body, "IncompleteSignature") {
		t.Fatalf("got %d %.300s", code, body)
	}
	// Headers past Limits.MaxHeaderBytes are not read at all.
	req, _ = http.NewRequest("POST", e.URL+"/", strings.NewReader("Action=ListRoles"))
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 "+strings.Repeat("x", 200<<10))
	if code, _, _ := do(t, req); code != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("a 200 KB header: %d, want 431", code)
	}
	logs := e.Logs()
	if !strings.Contains(logs, "IncompleteSignature") {
		t.Fatalf("the refusal was not logged:\n%.2000s", logs)
	}
	for line := range strings.SplitSeq(logs, "\n") {
		if len(line) > 2048 {
			t.Fatalf("a log line of %d bytes: %.300s…", len(line), line)
		}
	}
}

// TestMetricsListen serves metrics on a listener of their own: the API
// port no longer shows them.
func TestMetricsListen(t *testing.T) {
	e := testenv.StartWith(t, testenv.Options{MetricsListen: "127.0.0.1:0"})
	if e.MetricsURL == e.URL {
		t.Fatalf("metrics share the API listener %s", e.URL)
	}
	if _, err := iam.NewFromConfig(e.RootConfig(testenv.AccountA)).ListRoles(context.Background(), &iam.ListRolesInput{}); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(e.URL + "/_assumed/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("API listener's metrics: %d, want 404", resp.StatusCode)
	}
	if series := strings.Join(scrape(t, e.MetricsURL), "\n"); !strings.Contains(series, `operation="ListRoles"`) {
		t.Fatalf("metrics listener lacks ListRoles:\n%s", series)
	}
	resp, err = http.Get(e.MetricsURL + "/_assumed/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("metrics listener's health: %d", resp.StatusCode)
	}
}

// rawRequest writes a request's line and headers on a connection of its
// own, announcing contentLength bytes of body, and sends only the first
// sent of them; the connection stays open until the test ends.
func rawRequest(t *testing.T, base string, req *http.Request, contentLength int, sent string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", req.Method, req.URL.RequestURI(), req.Host, contentLength)
	for k, vs := range req.Header {
		if k == "Content-Length" {
			continue
		}
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	b.WriteString(sent)
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	return conn
}

// answer reads the response on a raw connection, failing the test when
// none comes within the deadline (the server waiting for the body).
func answer(t *testing.T, conn net.Conn) (int, string) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer before the body was sent: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestRefusedBeforeTheBody announces a 1 MB body and sends none of it: a
// request that can't succeed whatever its body is answered at once.
func TestRefusedBeforeTheBody(t *testing.T) {
	e := testenv.Start(t, nil)
	keyID, secret := e.RootKey(testenv.AccountA)
	const mb = 1 << 20
	cases := []struct {
		name string
		req  *http.Request
		code string
	}{
		{"unknown access key", signed(t, "POST", e.URL+"/", "iam", "AKIAZZZZZZZZZZZZZZZZ", "x", "", "Action=ListRoles"), "InvalidClientTokenId"},
		{"unknown access key for sts", signed(t, "POST", e.URL+"/", "sts", "AKIAZZZZZZZZZZZZZZZZ", "x", "", "Action=GetCallerIdentity"), "InvalidClientTokenId"},
		{"long-term key with a session token", signed(t, "POST", e.URL+"/", "iam", keyID, secret, "FwoGZXIvYXdzEXAMPLE", "Action=ListRoles"), "InvalidClientTokenId"},
		{"unsigned", func() *http.Request {
			r, _ := http.NewRequest("POST", e.URL+"/", nil)
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}(), "MissingAuthenticationToken"},
		{"signed an hour ago", func() *http.Request {
			r, _ := http.NewRequest("POST", e.URL+"/", nil)
			sum := sha256.Sum256(nil)
			v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}, r, hex.EncodeToString(sum[:]), "iam", "us-east-1", time.Now().Add(-time.Hour))
			return r
		}(), "SignatureDoesNotMatch"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conn := rawRequest(t, e.URL, c.req, mb, "Action=")
			status, body := answer(t, conn)
			if !strings.Contains(body, "<Code>"+c.code+"</Code>") || status < 400 {
				t.Fatalf("got %d %s, want %s", status, body, c.code)
			}
		})
	}
}

var codeRE = regexp.MustCompile(`<Code>([^<]*)</Code>`)

// TestBodyBudget holds the in-flight bodies at the limit with requests
// that never finish sending: a further request is refused at once with
// 503 Throttling, in the Query protocol's form for IAM and STS and in
// REST-JSON's for EKS; once the slow requests end, requests pass again.
func TestBodyBudget(t *testing.T) {
	e := testenv.StartWith(t, testenv.Options{Limits: server.Limits{MaxInFlightBodies: 2, MaxBufferedBytes: 1 << 20}})
	keyID, secret := e.RootKey(testenv.AccountA)
	ctx := context.Background()
	// A known key: its body is read (the signature can only be checked
	// against it), slowly.
	slow := []net.Conn{
		rawRequest(t, e.URL, signed(t, "POST", e.URL+"/", "iam", keyID, secret, "", "Action=ListRoles&Version=2010-05-08"), 1000, "Action="),
		rawRequest(t, e.URL, signed(t, "POST", e.URL+"/", "iam", keyID, secret, "", "Action=ListRoles&Version=2010-05-08"), 1000, "Action="),
	}
	// Let the server reach the body reads.
	deadline := time.Now().Add(5 * time.Second)
	for {
		status, _, body := do(t, signed(t, "POST", e.URL+"/", "sts", keyID, secret, "", "Action=GetCallerIdentity&Version=2011-06-15"))
		if status == http.StatusServiceUnavailable {
			if m := codeRE.FindStringSubmatch(body); m == nil || m[1] != "Throttling" || !strings.Contains(body, "<Type>Sender</Type>") {
				t.Fatalf("Query throttling answer: %s", body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("two slow bodies in flight, and a third request got %d %s", status, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The SDK sees Throttling (after its retries) …
	stsClient := sts.NewFromConfig(e.RootConfig(testenv.AccountA), func(o *sts.Options) { o.RetryMaxAttempts = 1 })
	if _, err := stsClient.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); testenv.ErrorCode(err) != "Throttling" {
		t.Fatalf("sts: %v, want Throttling", err)
	}
	// … and so does the EKS client, as REST-JSON's ThrottlingException.
	eksClient := eks.NewFromConfig(e.RootConfig(testenv.AccountA), func(o *eks.Options) { o.RetryMaxAttempts = 1 })
	_, err := eksClient.CreateCluster(ctx, &eks.CreateClusterInput{Name: aws.String("c1"), RoleArn: aws.String("arn:aws:iam::111111111111:role/r"), ResourcesVpcConfig: &ekstypes.VpcConfigRequest{}})
	if testenv.ErrorCode(err) != "ThrottlingException" {
		t.Fatalf("eks: %v, want ThrottlingException", err)
	}
	for _, c := range slow {
		c.Close()
	}
	deadline = time.Now().Add(5 * time.Second)
	for {
		_, err := stsClient.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the slow requests ended: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if series := strings.Join(scrape(t, e.URL), "\n"); !strings.Contains(series, `code="Throttling"`) {
		t.Fatalf("no Throttling series:\n%s", series)
	}
}

// TestBodyBudgetBytes: one slow request reserving most of the buffered
// bytes leaves no room for a larger body, but room for a small one.
func TestBodyBudgetBytes(t *testing.T) {
	e := testenv.StartWith(t, testenv.Options{Limits: server.Limits{MaxBufferedBytes: 8 << 10}})
	keyID, secret := e.RootKey(testenv.AccountA)
	rawRequest(t, e.URL, signed(t, "POST", e.URL+"/", "iam", keyID, secret, "", "Action=ListRoles&Version=2010-05-08"), 6<<10, "Action=")
	deadline := time.Now().Add(5 * time.Second)
	big := "Action=GetCallerIdentity&Version=2011-06-15&Pad=" + strings.Repeat("p", 3<<10)
	for {
		status, _, body := do(t, signed(t, "POST", e.URL+"/", "sts", keyID, secret, "", big))
		if status == http.StatusServiceUnavailable && strings.Contains(body, "Throttling") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("3 KB over a 2 KB remainder: %d %s", status, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	status, _, body := do(t, signed(t, "POST", e.URL+"/", "sts", keyID, secret, "", "Action=GetCallerIdentity&Version=2011-06-15"))
	if status != http.StatusOK {
		t.Fatalf("a small body within the remainder: %d %s", status, body)
	}
}

// With --pprof, every named profile is served under /_assumed/debug/pprof/
// (pprof.Index alone finds them only under /debug/pprof/), and the index
// too; without it, none is.
func TestPprofProfiles(t *testing.T) {
	env := testenv.StartWith(t, testenv.Options{Pprof: true})
	for _, name := range []string{"heap", "allocs", "goroutine"} {
		resp, err := http.Get(env.URL + "/_assumed/debug/pprof/" + name)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		// A profile is gzipped protobuf: 1f 8b.
		if resp.StatusCode != http.StatusOK || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("%s: %d, %q…", name, resp.StatusCode, b[:min(len(b), 40)])
		}
	}
	resp, err := http.Get(env.URL + "/_assumed/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "Types of profiles available") {
		t.Errorf("the index: %d %.80q", resp.StatusCode, b)
	}

	off := testenv.StartWith(t, testenv.Options{})
	resp, err = http.Get(off.URL + "/_assumed/debug/pprof/heap")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Errorf("without --pprof, the heap profile is served")
	}
}
