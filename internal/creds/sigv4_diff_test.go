package creds

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/textproto"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

// sameParse fails unless ParseRequest and the reference parser agree on r.
func sameParse(t *testing.T, r *http.Request) *SignedRequest {
	t.Helper()
	got, errGot := ParseRequest(r)
	want, errWant := refParseRequestAPI(r)
	if fmt.Sprint(errGot) != fmt.Sprint(errWant) || codeOf(errGot) != codeOf(errWant) {
		t.Fatalf("ParseRequest: error %v, reference %v", errGot, errWant)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseRequest: %+v, reference %+v", got, want)
	}
	return got
}

// sameVerify fails unless Verify and the reference verifier agree on r
// for secret, and the canonical requests they build are the same. It
// returns Verify's error.
func sameVerify(t *testing.T, r *http.Request, body []byte, sr *SignedRequest, secret string, now time.Time) error {
	t.Helper()
	got, gotOK := canonicalRequests(r, body, sr)
	want, wantOK := refCanonicalRequests(r, body, sr)
	if gotOK != wantOK || !reflect.DeepEqual(got, want) {
		t.Fatalf("canonical requests %v %q\nreference %v %q", gotOK, got, wantOK, want)
	}
	errGot, errWant := Verify(r, body, sr, secret, now), refVerifyAPI(r, body, sr, secret, now)
	if fmt.Sprint(errGot) != fmt.Sprint(errWant) {
		t.Fatalf("Verify: %v, reference %v", errGot, errWant)
	}
	return errGot
}

// refSign returns the signature of the reference's first canonical
// request of r, as a client building that canonical request would sign it.
func refSign(sr *SignedRequest, creq, secret string) string {
	key := refSigningKey(secret, sr.Date, sr.Region, sr.Service)
	return hex.EncodeToString(refHmacSHA256(key, refStringToSign(sr.Date, refCredentialScope(sr), creq)))
}

func TestParseAndVerifyMatchReference(t *testing.T) {
	for _, c := range sdkCases {
		req, body := signSDK(t, c, "http://127.0.0.1:4599")
		sr := sameParse(t, req)
		if err := sameVerify(t, req, body, sr, testSecret, testTime); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for _, m := range mutations {
			if m.when != nil && !m.when(c) {
				continue
			}
			req, body := signSDK(t, c, "http://127.0.0.1:4599")
			req, body, secret := m.apply(req, body, c)
			if sr := sameParse(t, req); sr != nil {
				sameVerify(t, req, body, sr, secret, testTime)
			}
		}
	}
	for _, v := range suiteVectors {
		r, body := parseRaw(t, v.raw)
		sr := sameParse(t, r)
		if err := sameVerify(t, r, body, sr, suiteSecret, suiteTime); err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
	}
	req, body := sdkServerRequest(t)
	sr := sameParse(t, req)
	if err := sameVerify(t, req, body, sr, testSecret, testTime); err != nil {
		t.Fatal(err)
	}
}

// TestHeadersMatchReference covers header maps net/http's server never
// makes, which a caller building a request by hand can: keys not in
// canonical form, keys differing only in case, non-ASCII keys and signed
// names, and names with bytes not allowed in a header name.
func TestHeadersMatchReference(t *testing.T) {
	maps := []http.Header{
		{"my-header": {"a"}, "My-Header": {"b"}, "MY-HEADER": {"c", "d"}},
		{"x-amz-meta": {"a"}, "X-Amz-Date": {"20240501T120000Z"}},
		{"X-Amz-\u212a": {"kelvin"}, "X-Amz-Date": {"20240501T120000Z"}},
		{"X-Amz-\u0130": {"dotted"}, "X-Amz-Date": {"20240501T120000Z"}},
		{"My Header": {"sp"}, "my header": {"sp2"}, "X-Amz-Date": {"20240501T120000Z"}},
		{"S": {"ascii"}, "\u017f": {"long s"}, "X-Amz-Date": {"20240501T120000Z"}},
		{"K": {"ascii"}, "\u212a": {"kelvin"}, "X-Amz-Date": {"20240501T120000Z"}},
		{"My-Header": {"  a   b  ", "c"}, "X-Amz-Date": {"20240501T120000Z"}},
	}
	names := []string{"host;x-amz-date;my-header", "host;x-amz-date;x-amz-\u212a", "host;x-amz-date;x-amz-i", "host;x-amz-date;x-amz-\u0130",
		"host;my header;x-amz-date", "host;s;x-amz-date", "host;\u017f;x-amz-date", "host;k;\u212a;x-amz-date", "host;x-amz-date;x-amz-meta",
		"Host;X-Amz-Date;My-Header", "host;;x-amz-date;content-length;transfer-encoding"}
	verified := 0
	for _, h := range maps {
		for _, signed := range names {
			r := &http.Request{Method: "POST", URL: &url.URL{Path: "/"}, RequestURI: "/", Host: "example.com", Header: h.Clone(),
				ContentLength: 5, TransferEncoding: []string{"chunked"}}
			r.Header["Authorization"] = []string{"AWS4-HMAC-SHA256 Credential=AKID/20240501/us-east-1/sts/aws4_request, SignedHeaders=" + signed + ", Signature=" + strings.Repeat("0", 64)}
			sr := sameParse(t, r)
			if sr == nil {
				continue
			}
			creqs, _ := refCanonicalRequests(r, nil, sr)
			sr.Signature = refSign(sr, creqs[0], "secret")
			if err := sameVerify(t, r, nil, sr, "secret", testTime); err != nil {
				t.Fatalf("%v %s: %v", h, signed, err)
			}
			verified++
		}
	}
	if verified < 40 {
		t.Errorf("only %d of %d combinations got to Verify", verified, len(maps)*len(names))
	}
}

func TestHMACMatchesCryptoHMAC(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 31, 32, 44, 63, 64, 65, 100, 200} {
		for _, m := range []int{0, 1, 55, 56, 64, 140, 448, 449, 1000} {
			key, data := make([]byte, n), make([]byte, m)
			for i := range key {
				key[i] = byte(r.Uint32())
			}
			for i := range data {
				data[i] = byte(r.Uint32())
			}
			mac := hmac.New(sha256.New, key)
			mac.Write(data)
			if got := hmacSHA256(key, data); !hmac.Equal(got[:], mac.Sum(nil)) {
				t.Fatalf("key %d bytes, data %d bytes: %x", n, m, got)
			}
		}
	}
}

func TestParseBasicDateMatchesTimeParse(t *testing.T) {
	check := func(s string) {
		t.Helper()
		got, ok := parseBasicDate(s)
		want, err := time.Parse(iso8601Basic, s)
		if ok && (err != nil || !reflect.DeepEqual(got, want.UTC())) {
			t.Fatalf("parseBasicDate(%q) = %v, time.Parse %v %v", s, got, want, err)
		}
	}
	for _, s := range []string{"20240501T120000Z", "20240229T235959Z", "20230229T000000Z", "20241301T000000Z", "20240431T000000Z",
		"20240500T000000Z", "20240501T240000Z", "20240501T126000Z", "20240501T120060Z", "00000101T000000Z", "99991231T235959Z",
		"2024050lT120000Z", "20240501 120000Z", "20240501T120000z", "+0240501T120000Z", "20240501T1200000Z", "20240501T12000Z"} {
		check(s)
	}
	r := rand.New(rand.NewPCG(7, 8))
	const digits = "0123456789"
	for range 200000 {
		b := []byte("20240501T120000Z")
		for range 1 + r.IntN(3) {
			i := r.IntN(len(b))
			if i == 8 || i == 15 {
				continue
			}
			b[i] = digits[r.IntN(10)]
		}
		check(string(b))
	}
}

// FuzzParseAndVerifyMatchReference holds ParseRequest and Verify to the
// reference on arbitrary Authorization headers, query strings, dates,
// paths and an extra header; a request the reference parses is also
// signed over the reference's canonical request, which Verify must then
// accept as the reference does.
func FuzzParseAndVerifyMatchReference(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20240501/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123abcd", "", "20240501T120000Z", "/", "X-Amz-Meta", "v")
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20240501/us-east-1/sts/aws4_request,SignedHeaders=host;my-header;x-amz-date,Signature=", "a=b&c", "20240501T120000Z", "//a/../b/./c", "my-header", " a  b ")
	f.Add("", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=A%2F20240501%2Fr%2Fs%2Faws4_request&X-Amz-Date=20240501T120000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00&X-Amz-Expires=60", "", "/", "", "")
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20240501/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date;x-amz-\u212a, Signature=00", "%zz=1", "20240501T120000.5Z", "/%E1%88%B4", "X-Amz-\u212a", "k")
	f.Fuzz(func(t *testing.T, auth, rawQuery, date, path, hname, hvalue string) {
		r := &http.Request{
			Method:     "POST",
			URL:        &url.URL{Path: path, RawQuery: rawQuery},
			RequestURI: path + "?" + rawQuery,
			Host:       "example.com",
			Header:     http.Header{},
		}
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		if date != "" {
			r.Header.Set("X-Amz-Date", date)
		}
		if hname != "" {
			r.Header[hname] = append(r.Header[hname], hvalue)
		}
		sr := sameParse(t, r)
		if sr == nil || UsesS3Rules(sr.Service) {
			// The reference knows only the rules of every service but
			// S3; S3's are checked against AWS's vectors and the SDK in
			// s3_test.go.
			return
		}
		body := []byte(rawQuery)
		sameVerify(t, r, body, sr, "secret", sr.Date)
		if creqs, ok := refCanonicalRequests(r, body, sr); ok {
			sr.Signature = refSign(sr, creqs[len(creqs)-1], "secret")
			if err := sameVerify(t, r, body, sr, "secret", sr.Date); err != nil {
				t.Fatalf("signed over the reference's canonical request: %v", err)
			}
		}
	})
}

func TestTokenBytesMatchTextproto(t *testing.T) {
	for c := range 256 {
		// textproto capitalizes "a?b" exactly when it allows every byte.
		name := "a" + string([]byte{byte(c)}) + "b"
		if valid := textproto.CanonicalMIMEHeaderKey(name) != name; isTokenByte(byte(c)) != valid {
			t.Errorf("byte %#x: isTokenByte %v, textproto %v", c, isTokenByte(byte(c)), valid)
		}
	}
}
