package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/netip"
	neturl "net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestCheckLoopback(t *testing.T) {
	resolvesTo := func(addrs ...string) lookupFunc {
		return func(context.Context, string, string) ([]netip.Addr, error) {
			var out []netip.Addr
			for _, a := range addrs {
				out = append(out, netip.MustParseAddr(a))
			}
			return out, nil
		}
	}
	failing := func(context.Context, string, string) ([]netip.Addr, error) {
		return nil, errors.New("no such host")
	}
	for _, tc := range []struct {
		endpoint string
		lookup   lookupFunc
		ok       bool
	}{
		{"http://127.0.0.1:4599", failing, true},
		{"http://127.0.0.2:4599", failing, true},
		{"http://[::1]:4599", failing, true},
		{"http://[::ffff:127.0.0.1]:4599", failing, true},
		{"https://localhost:4599", resolvesTo("127.0.0.1", "::1"), true},
		{"http://localhost:4599", resolvesTo("127.0.0.1", "192.168.1.5"), false},
		{"http://sts.amazonaws.com", resolvesTo("52.94.0.1"), false},
		{"http://10.0.0.1:4599", failing, false},
		{"http://0.0.0.0:4599", failing, false},
		{"http://nowhere:4599", failing, false},
		{"http://nothing:4599", resolvesTo(), false},
		{"ftp://127.0.0.1:4599", failing, false},
		{"127.0.0.1:4599", failing, false},
		{"http://:4599", failing, false},
	} {
		err := checkLoopback(context.Background(), tc.endpoint, tc.lookup)
		if (err == nil) != tc.ok {
			t.Errorf("checkLoopback(%q) = %v, want ok=%v", tc.endpoint, err, tc.ok)
		}
	}
}

func TestSessionNames(t *testing.T) {
	valid := regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	names := &sessionNames{prefix: strings.Repeat("p", maxPrefix)}
	names.seq.Store(math.MaxUint64 - 1000) // the longest sequence numbers
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 250 {
				n := names.next()
				mu.Lock()
				if seen[n] {
					t.Errorf("session name %q handed out twice", n)
				}
				seen[n] = true
				mu.Unlock()
				if !valid.MatchString(n) {
					t.Errorf("session name %q (%d chars) is not a valid RoleSessionName", n, len(n))
				}
			}
		})
	}
	wg.Wait()

	for _, p := range []string{"a", "load", "a+b=c,d.e@f_g-h", strings.Repeat("x", maxPrefix)} {
		if !validPrefix.MatchString(p) {
			t.Errorf("prefix %q refused", p)
		}
	}
	for _, p := range []string{"", "has space", "a/b", "é", strings.Repeat("x", maxPrefix+1)} {
		if _, err := parseFlags([]string{"--access-key", "A", "--secret-key", "s", "--role-arn", "r", "--session-name-prefix", p}, io.Discard); err == nil {
			t.Errorf("prefix %q accepted", p)
		}
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i))
	}
	for p, want := range map[float64]time.Duration{50: 50, 99: 99, 100: 100, 1: 1} {
		if got := percentile(d, p); got != want {
			t.Errorf("p%v = %v, want %v", p, got, want)
		}
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("p50 of nothing = %v", got)
	}
}

// fakeServer answers every request with status and body, and counts the
// requests and what check says of them.
type fakeServer struct {
	requests atomic.Int64
	bad      atomic.Value // first complaint of check, a string
}

func newFakeServer(t *testing.T, contentType, body string, check func(r *http.Request, body []byte) string) (*fakeServer, string) {
	t.Helper()
	f := &fakeServer{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.requests.Add(1)
		b, _ := io.ReadAll(r.Body)
		if msg := check(r, b); msg != "" {
			f.bad.CompareAndSwap(nil, msg)
		}
		w.Header().Set("Content-Type", contentType)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func (f *fakeServer) complaint() string {
	s, _ := f.bad.Load().(string)
	return s
}

// runJSON runs assumed-load with args and returns its exit code and
// results.
func runJSON(t *testing.T, args ...string) (int, Results, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out.json")
	var stdout, stderr strings.Builder
	code := run(append(args, "--out-json", out), &stdout, &stderr)
	var res Results
	if b, err := os.ReadFile(out); err == nil {
		if err := json.Unmarshal(b, &res); err != nil {
			t.Fatal(err)
		}
	}
	return code, res, stdout.String() + stderr.String()
}

func TestDynamoDBGetItem(t *testing.T) {
	check := func(r *http.Request, body []byte) string {
		switch {
		case r.Header.Get("X-Amz-Target") != "DynamoDB_20120810.GetItem":
			return "X-Amz-Target " + r.Header.Get("X-Amz-Target")
		case !strings.Contains(r.Header.Get("Authorization"), "Credential=AKIALOADTEST/") || !strings.Contains(r.Header.Get("Authorization"), "/dynamodb/aws4_request"):
			return "Authorization " + r.Header.Get("Authorization")
		case r.Header.Get("X-Moto-Account-Id") != "111111111111":
			return "x-moto-account-id " + r.Header.Get("X-Moto-Account-Id")
		case string(body) != `{"Key":{"pk":{"S":"item-1"}},"TableName":"bench"}`:
			return "body " + string(body)
		}
		return ""
	}
	args := func(endpoint string) []string {
		return []string{"--target", "dynamodb-getitem", "--endpoint", endpoint, "--access-key", "AKIALOADTEST", "--secret-key", "s",
			"--table", "bench", "--key-attribute", "pk", "--key", "item-1", "--header", "x-moto-account-id: 111111111111",
			"--concurrency", "3", "--requests", "30", "--warmup", "5", "--duration", "30s"}
	}

	found, url := newFakeServer(t, "application/x-amz-json-1.0", `{"Item":{"pk":{"S":"item-1"},"v":{"N":"1"}}}`, check)
	code, res, out := runJSON(t, args(url)...)
	if code != 0 || res.Requests != 30 || res.OK != 30 || res.Concurrency != 3 {
		t.Fatalf("exit %d, results %+v:\n%s", code, res, out)
	}
	if n := found.requests.Load(); n != 35 {
		t.Errorf("the server got %d requests, want 35 (30 and 5 of warm-up)", n)
	}
	if c := found.complaint(); c != "" {
		t.Errorf("unexpected request: %s", c)
	}

	// An answer without the item is a failure: the figures must be those
	// of reads.
	_, url = newFakeServer(t, "application/x-amz-json-1.0", `{}`, check)
	code, res, out = runJSON(t, args(url)...)
	if code != 1 || res.Errors != 30 || res.ErrorsByCode["ItemNotFound"] != 30 {
		t.Fatalf("exit %d, results %+v:\n%s", code, res, out)
	}
}

func TestSTSAssumeRole(t *testing.T) {
	const answer = `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>ASIAX</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>`
	var names sync.Map
	f, url := newFakeServer(t, "text/xml", answer, func(r *http.Request, body []byte) string {
		form, err := neturl.ParseQuery(string(body))
		switch {
		case err != nil:
			return err.Error()
		case form.Get("Action") != "AssumeRole" || form.Get("RoleArn") != "arn:aws:iam::111111111111:role/target" || form.Get("ExternalId") != "x":
			return "form " + string(body)
		case r.Header.Get("X-Moto-Account-Id") != "":
			return "a header that was not asked for"
		}
		if _, dup := names.LoadOrStore(form.Get("RoleSessionName"), true); dup {
			return "session name twice: " + form.Get("RoleSessionName")
		}
		return ""
	})
	code, res, out := runJSON(t, "--endpoint", url, "--access-key", "AKIALOADTEST", "--secret-key", "s",
		"--role-arn", "arn:aws:iam::111111111111:role/target", "--external-id", "x",
		"--concurrency", "4", "--requests", "40", "--warmup", "4")
	if code != 0 || res.OK != 40 {
		t.Fatalf("exit %d, results %+v:\n%s", code, res, out)
	}
	if n := f.requests.Load(); n != 44 {
		t.Errorf("the server got %d requests, want 44", n)
	}
	if c := f.complaint(); c != "" {
		t.Errorf("unexpected request: %s", c)
	}
}

func TestParseFlagsTargets(t *testing.T) {
	ddb := []string{"--target", "dynamodb-getitem", "--access-key", "A", "--secret-key", "s", "--table", "t", "--key", "k"}
	for _, tc := range []struct {
		args []string
		ok   bool
	}{
		{ddb, true},
		{append(ddb, "--header", "x-moto-account-id: 111111111111", "--header", "X-Other:v"), true},
		{append(ddb, "--header", "no-colon"), false},
		{append(ddb, "--header", ": v"), false},
		{append(ddb, "--header", "a b: v"), false},
		{append(ddb, "--role-arn", "r"), false},
		{append(ddb, "--key", ""), false},
		{append(ddb, "--key-attribute", ""), false},
		{[]string{"--target", "dynamodb-getitem", "--access-key", "A", "--secret-key", "s", "--key", "k"}, false},
		{[]string{"--target", "dynamodb-getitem", "--table", "t", "--key", "k"}, false},
		{[]string{"--access-key", "A", "--secret-key", "s", "--role-arn", "r"}, true},
		{[]string{"--access-key", "A", "--secret-key", "s", "--role-arn", "r", "--table", "t"}, false},
		{[]string{"--target", "s3", "--access-key", "A", "--secret-key", "s", "--role-arn", "r"}, false},
	} {
		_, err := parseFlags(tc.args, io.Discard)
		if (err == nil) != tc.ok {
			t.Errorf("parseFlags(%q) = %v, want ok=%v", tc.args, err, tc.ok)
		}
	}
}
