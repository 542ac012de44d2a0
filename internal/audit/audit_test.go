package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func sampleRecord(i int) *Record {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	return &Record{
		EventVersion: EventVersion, EventTime: t0.Add(time.Duration(i) * time.Second), EventSource: "sts.amazonaws.com", EventName: "AssumeRole",
		AWSRegion: "us-east-1", SourceIPAddress: "127.0.0.1", UserAgent: "ua \"quoted\" \u2028 \x01 é",
		UserIdentity: UserIdentity{Type: IdentityAssumedRole, PrincipalID: "AROAX:s", ARN: "arn:aws:sts::111111111111:assumed-role/r/s", AccountID: "111111111111", AccessKeyID: "ASIAX",
			SessionContext: &SessionContext{
				SessionIssuer:       &SessionIssuer{Type: "Role", PrincipalID: "AROAX", ARN: "arn:aws:iam::111111111111:role/r", AccountID: "111111111111", UserName: "r"},
				WebIDFederationData: &WebIDFederationData{FederatedProvider: "arn:aws:iam::111111111111:oidc-provider/x", Attributes: map[string]string{"b": "2", "a": "1"}},
				Attributes:          SessionAttributes{CreationDate: t0, MFAAuthenticated: "false"},
				SourceIdentity:      "src",
			}},
		ErrorCode: "AccessDenied", ErrorMessage: "no\nway",
		RequestParameters: json.RawMessage(`{"roleArn":"arn:aws:iam::222222222222:role/x"}`),
		ResponseElements:  json.RawMessage(`{"assumedRoleUser":{"arn":"x"}}`),
		RequestID:         fmt.Sprintf("req-%d", i), EventID: fmt.Sprintf("ev-%d", i), ReadOnly: true,
		Resources: []Resource{{ARN: "arn:aws:iam::222222222222:role/x", AccountID: "222222222222", Type: "AWS::IAM::Role"}},
		EventType: EventTypeAPICall, ManagementEvent: true, RecipientAccountID: "111111111111", SharedEventID: "sh", EventCategory: CategoryManagement,
		TLSDetails:          &TLSDetails{TLSVersion: "TLSv1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", ClientProvidedHostHeader: "h"},
		AdditionalEventData: json.RawMessage(`{"x":true}`),
	}
}

// The hand-written encoding is valid JSON that decodes back to the same
// record through the struct's JSON names.
func TestRecordRoundTrip(t *testing.T) {
	r := sampleRecord(3)
	line := r.AppendJSON(nil)
	if !json.Valid(line) || bytes.ContainsAny(line, "\n") {
		t.Fatalf("not one line of JSON: %s", line)
	}
	var back Record
	if err := json.Unmarshal(line, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, r) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", back, *r)
	}
	// Every field the struct names is in the encoding, and nothing else.
	var m map[string]any
	json.Unmarshal(line, &m)
	var viaReflect map[string]any
	type plain Record // without MarshalJSON
	b, _ := json.Marshal((*plain)(r))
	json.Unmarshal(b, &viaReflect)
	if !reflect.DeepEqual(m, viaReflect) {
		t.Fatalf("hand-written and reflective encodings differ:\n%s\n%s", line, b)
	}
	// Empty optional parts are left out; raw parts are null.
	min := (&Record{EventVersion: EventVersion, UserIdentity: UserIdentity{Type: IdentityUnknown}}).AppendJSON(nil)
	for _, absent := range []string{"errorCode", "sharedEventID", "tlsDetails", "resources", "sessionContext", "additionalEventData"} {
		if bytes.Contains(min, []byte(absent)) {
			t.Errorf("%s present in %s", absent, min)
		}
	}
	if !bytes.Contains(min, []byte(`"requestParameters":null,"responseElements":null`)) {
		t.Errorf("%s", min)
	}
}

// AppendShared's spliced copy is byte for byte the copy encoded whole,
// whatever the buffer held before and however the fields' lengths differ.
func TestAppendSharedMatchesWholeEncoding(t *testing.T) {
	full := sampleRecord(1)
	min := &Record{EventVersion: EventVersion, UserIdentity: UserIdentity{Type: IdentityUnknown}}
	copies := []*Copy{
		{UserIdentity: UserIdentity{Type: IdentityAWSAccount, PrincipalID: "AROAX:s", ARN: "arn:aws:sts::111111111111:assumed-role/r/s", AccountID: "111111111111"}, EventID: "ev-owner", RecipientAccountID: "222222222222"},
		{UserIdentity: UserIdentity{Type: IdentityAWSAccount}, EventID: "", RecipientAccountID: "a\"much longer\u2028recipient than before"},
	}
	for ri, r := range []*Record{full, min} {
		for ci, c := range copies {
			for _, prefix := range [][]byte{nil, []byte("earlier line\n"), make([]byte, 3, 5)} {
				want := append([]byte(nil), prefix...)
				want = r.AppendJSON(want)
				want = append(want, '\n')
				want = c.Apply(r).AppendJSON(want)
				want = append(want, '\n')
				got := AppendShared(append([]byte(nil), prefix...), r, c)
				if !bytes.Equal(got, want) {
					t.Fatalf("record %d, copy %d, prefix %q:\n got %s\nwant %s", ri, ci, prefix, got, want)
				}
			}
		}
	}
	// The copy does not alter the caller's record.
	if full.EventID != "ev-1" || full.RecipientAccountID != "111111111111" || full.UserIdentity.Type != IdentityAssumedRole {
		t.Fatalf("record changed: %+v", full)
	}
}

// Strings are escaped as encoding/json escapes them, invalid UTF-8
// included.
func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", `q"b\s`, "\x00\x1f\t\n\r", "\xff\xfe", "é€😀", "\u2028\u2029", "<&>"} {
		got := appendString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%q → %s: %v", s, got, err)
		}
		want, _ := json.Marshal(s)
		var wantBack string
		json.Unmarshal(want, &wantBack)
		if back != wantBack {
			t.Errorf("%q: decodes to %q, encoding/json's to %q", s, back, wantBack)
		}
	}
}

// Every byte value, at every place of strings longer than the
// eight-at-a-time scan's word, is escaped as encoding/json escapes it.
func TestAppendStringEveryByteEveryPlace(t *testing.T) {
	base := "arn:aws:iam::111111111111:role/x"
	for c := range 256 {
		for at := range 20 {
			v := base[:at] + string([]byte{byte(c)}) + base[at:]
			got := appendString(nil, v)
			var back string
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatalf("%q → %s: %v", v, got, err)
			}
			want, _ := json.Marshal(v)
			var wantBack string
			json.Unmarshal(want, &wantBack)
			if back != wantBack {
				t.Fatalf("%q: decodes to %q, encoding/json's to %q", v, back, wantBack)
			}
			if plainASCII := c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; plainASCII && string(got) != `"`+v+`"` {
				t.Fatalf("%q encoded as %s", v, got)
			}
		}
	}
}

func TestQueryParameters(t *testing.T) {
	form := url.Values{
		"Action": {"AssumeRole"}, "Version": {"2011-06-15"},
		"RoleArn": {"arn:aws:iam::1:role/r"}, "RoleSessionName": {"s"}, "DurationSeconds": {"900"},
		"Tags.member.1.Key": {"team"}, "Tags.member.1.Value": {"blue"},
		"Tags.member.2.Key": {"env"}, "Tags.member.2.Value": {"dev"},
		"Tags.member.10.Key": {"ten"}, "Tags.member.10.Value": {"x"},
		"PolicyArns.member.1.arn":    {"arn:aws:iam::aws:policy/ReadOnlyAccess"},
		"TransitiveTagKeys.member.1": {"team"},
		"TokenCode":                  {"123456"}, "SerialNumber": {"arn:aws:iam::1:mfa/x"},
	}
	p := QueryParameters([]byte("earlier bytes"), form, AuthenticatedLimits)
	var got map[string]any
	if err := json.Unmarshal(p.JSON, &got); err != nil {
		t.Fatalf("%s: %v", p.JSON, err)
	}
	want := map[string]any{
		"roleArn": "arn:aws:iam::1:role/r", "roleSessionName": "s", "durationSeconds": "900",
		"tags":              []any{map[string]any{"key": "team", "value": "blue"}, map[string]any{"key": "env", "value": "dev"}, map[string]any{"key": "ten", "value": "x"}},
		"policyArns":        []any{map[string]any{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}},
		"transitiveTagKeys": []any{"team"},
		"tokenCode":         Hidden, "serialNumber": "arn:aws:iam::1:mfa/x",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %s", p.JSON)
	}
	if len(p.Secrets) != 1 || p.Secrets[0] != "123456" || p.Scrub("code 123456 wrong") != "code "+Hidden+" wrong" {
		t.Fatalf("secrets %q", p.Secrets)
	}
	// Flat parameters, a secret among them, and the limits.
	p = QueryParameters([]byte(`{"a prefix":`), url.Values{"WebIdentityToken": {"eyJ.token.sig"}, "RoleArn": {strings.Repeat("a", 500)}}, UnauthenticatedLimits)
	if bytes.Contains(p.JSON, []byte("eyJ")) || !bytes.Contains(p.JSON, []byte(`"webIdentityToken":"`+Hidden+`"`)) || !bytes.Contains(p.JSON, []byte("(500 bytes in all)")) {
		t.Fatalf("%s", p.JSON)
	}
	many := url.Values{}
	for i := range 100 {
		many.Set(fmt.Sprintf("P%03d", i), strings.Repeat("v", 200))
	}
	p = QueryParameters(make([]byte, 3000), many, UnauthenticatedLimits)
	if !p.Truncated || len(p.JSON) > UnauthenticatedLimits.MaxTotal || !json.Valid(p.JSON) {
		t.Fatalf("truncated %v, %d bytes", p.Truncated, len(p.JSON))
	}
}

func TestIsSecretAndLowerCamel(t *testing.T) {
	for name, want := range map[string]bool{
		"SecretAccessKey": true, "SessionToken": true, "Password": true, "NewPassword": true, "OldPassword": true, "ServicePassword": true,
		"PrivateKey": true, "WebIdentityToken": true, "SAMLAssertion": true, "Base32StringSeed": true, "QRCodePNG": true, "TokenCode": true,
		"AuthenticationCode1": true, "token": true, "secretAccessKey": true, "ApiKeySecret": true,
		"NextToken": false, "clientRequestToken": false, "MinimumPasswordLength": false, "PasswordResetRequired": false, "AccessKeyId": false,
		"RoleArn": false, "SerialNumber": false, "Policy": false,
	} {
		if IsSecret(name) != want {
			t.Errorf("IsSecret(%q) = %v", name, !want)
		}
	}
	for in, want := range map[string]string{"RoleArn": "roleArn", "ARN": "arn", "SAMLProviderArn": "samlProviderArn", "URL": "url", "roleArn": "roleArn", "OpenIDConnectProviderArn": "openIDConnectProviderArn", "": ""} {
		if got := LowerCamel(in); got != want {
			t.Errorf("LowerCamel(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestJSONParametersAndElements(t *testing.T) {
	p := JSONParameters([]byte(`{"token":"eyJsecret","nested":{"password":"pw-value","keep":"k"},"list":[{"sessionToken":"st-value"}]}`), map[string]string{"clusterName": "prod"}, AuthenticatedLimits)
	s := string(p.JSON)
	for _, leaked := range []string{"eyJsecret", "pw-value", "st-value"} {
		if strings.Contains(s, leaked) {
			t.Fatalf("%s leaks %s", s, leaked)
		}
	}
	if !strings.Contains(s, `"clusterName":"prod"`) || !strings.Contains(s, `"keep":"k"`) {
		t.Fatalf("%s", s)
	}
	if p := JSONParameters([]byte(`not json`), nil, AuthenticatedLimits); p.JSON != nil {
		t.Fatalf("%s", p.JSON)
	}

	type creds struct {
		AccessKeyId     *string
		SecretAccessKey *string
		SessionToken    *string
		Expiration      *time.Time
	}
	type out struct {
		Credentials      *creds
		PackedPolicySize *int32
		SourceIdentity   *string
		Missing          *string
		Tags             map[string]string
		Seed             []byte
		Wire             struct {
			Secret string `json:"secretAccessKey"`
			Name   string `json:"name"`
		}
		ResultMetadata struct{ X int }
	}
	id, secret, token, n := "ASIAX", "sec", "tok", int32(7)
	exp := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	o := &out{Credentials: &creds{&id, &secret, &token, &exp}, PackedPolicySize: &n, Tags: map[string]string{"b": "2", "password": "x"}, Seed: []byte("seed")}
	o.Wire.Secret, o.Wire.Name = "wsec", "nm"
	got := string(Elements(o, 1<<10))
	want := `{"credentials":{"accessKeyId":"ASIAX","expiration":"2026-01-01T00:00:00Z"},"packedPolicySize":7,"tags":{"b":"2"},"wire":{"name":"nm"}}`
	if got != want {
		t.Fatalf("Elements:\n got %s\nwant %s", got, want)
	}
	if Elements(o, 10) != nil || Elements(nil, 100) != nil || Elements((*out)(nil), 100) != nil {
		t.Fatal("past max, nil, a nil pointer: want null")
	}
}

func TestFilter(t *testing.T) {
	r := sampleRecord(0)
	now := r.EventTime
	for _, c := range []struct {
		f    Filter
		want bool
	}{
		{Filter{}, true},
		{Filter{Account: "111111111111"}, true},
		{Filter{Account: "222222222222"}, false},
		{Filter{Principal: r.UserIdentity.ARN}, true},
		{Filter{Principal: "arn:aws:iam::111111111111:role/r"}, true}, // the session's role
		{Filter{Principal: "arn:aws:iam::111111111111:role/other"}, false},
		{Filter{Denied: true}, true},
		{Filter{Since: now.Add(-time.Minute)}, true},
		{Filter{Since: now.Add(500 * time.Millisecond)}, true}, // the same second
		{Filter{Since: now.Add(2 * time.Second)}, false},
	} {
		if got := c.f.Match(r); got != c.want {
			t.Errorf("%+v: %v", c.f, got)
		}
	}
	r.ErrorCode = "SignatureDoesNotMatch"
	if (&Filter{Denied: true}).Match(r) {
		t.Error("an authentication failure is not a denial")
	}
	for _, code := range []string{"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "Client.UnauthorizedOperation"} {
		if !IsAccessDenied(code) {
			t.Errorf("%s", code)
		}
	}
}

func readAll(t *testing.T, path string, f Filter) ([]*Record, Result) {
	t.Helper()
	var out []*Record
	res, err := Read(path, f, func(r *Record, _ []byte) error { out = append(out, r); return nil })
	if err != nil {
		t.Fatal(err)
	}
	return out, res
}

// A small MaxSize rotates the log into several files, the oldest beyond
// MaxFiles deleted; Read spans them, oldest first.
func TestSinkRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	line := len(sampleRecord(10).AppendJSON(nil)) + 1 // the longest
	s, err := Open(path, Options{MaxSize: int64(3 * line), MaxFiles: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		s.Write(sampleRecord(i))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s.Written() != 20 || s.Dropped() != 0 {
		t.Fatalf("written %d dropped %d", s.Written(), s.Dropped())
	}
	files, err := Files(path)
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := []string{path + ".3", path + ".2", path + ".1", path}
	if !reflect.DeepEqual(files, wantFiles) {
		t.Fatalf("files %v, want %v", files, wantFiles)
	}
	for _, f := range files {
		st, _ := os.Stat(f)
		if st.Size() > int64(3*line) || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %d bytes, mode %v", f, st.Size(), st.Mode())
		}
	}
	recs, res := readAll(t, path, Filter{})
	// 20 records, 3 a file (0-2, 3-5, …, 18-19): the newest 4 files hold
	// the last 11, in order.
	if len(recs) != 11 || res.Files != 4 || recs[0].RequestID != "req-9" || recs[10].RequestID != "req-19" {
		t.Fatalf("%d records from %d files: first %s", len(recs), res.Files, recs[0].RequestID)
	}
	for i := 1; i < len(recs); i++ {
		if recs[i].RequestID != fmt.Sprintf("req-%d", 9+i) {
			t.Fatalf("not oldest first at %d: %s", i, recs[i].RequestID)
		}
	}
	// A reopened log appends after what is there.
	s, err = Open(path, Options{MaxSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	s.Write(sampleRecord(20))
	s.Close()
	if recs, _ = readAll(t, path, Filter{}); recs[len(recs)-1].RequestID != "req-20" {
		t.Fatalf("last %s", recs[len(recs)-1].RequestID)
	}
}

// A line cut short by a crash spoils no other: the reader skips it, and
// the next writer starts on a new line.
func TestSinkCutShortLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	whole := sampleRecord(0).AppendJSON(nil)
	if err := os.WriteFile(path, append(append(whole, '\n'), whole[:40]...), 0o600); err != nil {
		t.Fatal(err)
	}
	recs, res := readAll(t, path, Filter{})
	if len(recs) != 1 || res.Skipped != 1 {
		t.Fatalf("%d records, %d skipped", len(recs), res.Skipped)
	}
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Write(sampleRecord(1))
	s.Close()
	recs, res = readAll(t, path, Filter{})
	if len(recs) != 2 || res.Skipped != 1 || recs[1].RequestID != "req-1" {
		t.Fatalf("%d records, %d skipped", len(recs), res.Skipped)
	}
}

// Writers on many goroutines: every record is one whole line.
func TestSinkConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	// A short queue, and time enough to wait for room: nothing is lost.
	s, err := Open(path, Options{MaxSize: 64 << 10, MaxFiles: 100, MaxQueuedBytes: 16 << 10, MaxWait: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				r := sampleRecord(i)
				r.RequestID = fmt.Sprintf("g%d-%d", g, i)
				s.Write(r)
			}
		}()
	}
	wg.Wait()
	s.Close()
	recs, res := readAll(t, path, Filter{})
	if res.Skipped != 0 || len(recs)+int(s.Dropped()) != 3200 || s.Dropped() != 0 {
		t.Fatalf("%d records, %d skipped, %d dropped", len(recs), res.Skipped, s.Dropped())
	}
	seen := map[string]bool{}
	for _, r := range recs {
		if seen[r.RequestID] {
			t.Fatalf("%s twice", r.RequestID)
		}
		seen[r.RequestID] = true
	}
}

// A writer that can't write (a pipe nobody reads) fills the queue: then a
// record waits MaxWait at most and is dropped and counted, and a warning
// is logged; requests are never held longer.
func TestSinkDropsWhenStalled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	// Hold the reading end open, and never read.
	rd, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var logs syncBuffer
	s, err := Open(path, Options{MaxQueuedBytes: 128 << 10, MaxWait: 20 * time.Millisecond, FlushInterval: time.Millisecond, Log: newTextLogger(&logs)})
	if err != nil {
		t.Fatal(err)
	}
	big := sampleRecord(0)
	big.ErrorMessage = strings.Repeat("x", 60<<10) // a few fill the pipe
	start := time.Now()
	const n = 40
	for range n {
		s.Write(big)
	}
	elapsed := time.Since(start)
	if s.Dropped() == 0 {
		t.Fatal("nothing dropped with the writer stalled")
	}
	if limit := time.Duration(n) * 20 * time.Millisecond; elapsed > limit+time.Second {
		t.Fatalf("writes took %v with the writer stalled", elapsed)
	}
	if !strings.Contains(logs.String(), "audit records dropped") {
		t.Fatalf("no warning logged: %s", logs.String())
	}
	// Unblock the writer so that Close can finish.
	go func() {
		buf := make([]byte, 1<<20)
		for {
			if _, err := rd.Read(buf); err != nil && !errorsIsAgain(err) {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	s.Close()
}

// syncBuffer is a log sink safe for the sink's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newTextLogger(w *syncBuffer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

func errorsIsAgain(err error) bool { return errors.Is(err, syscall.EAGAIN) }
