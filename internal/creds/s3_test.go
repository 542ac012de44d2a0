package creds

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The AWS documentation's chunk-signed PutObject ("Signature Calculations
// for the Authorization Header: Transferring Payload in Multiple Chunks",
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html):
// 66560 bytes of 'a' in chunks of 64 KiB, 1 KiB and 0, with the published
// seed and chunk signatures.
const (
	docSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	docSeed   = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
)

var (
	docTime       = time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)
	docSignatures = [3]string{
		"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
		"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
		"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
	}
	docData = bytes.Repeat([]byte("a"), 66560)
)

func docBody(sigs [3]string, tail string) []byte {
	var b bytes.Buffer
	b.WriteString("10000;chunk-signature=" + sigs[0] + "\r\n")
	b.Write(docData[:65536])
	b.WriteString("\r\n400;chunk-signature=" + sigs[1] + "\r\n")
	b.Write(docData[65536:])
	b.WriteString("\r\n0;chunk-signature=" + sigs[2] + "\r\n" + tail + "\r\n")
	return b.Bytes()
}

// docRequest is the documented request as a server receives it.
func docRequest(t *testing.T, body []byte) *http.Request {
	t.Helper()
	raw := "PUT /examplebucket/chunkObject.txt HTTP/1.1\r\n" +
		"Host: s3.amazonaws.com\r\n" +
		"x-amz-date: 20130524T000000Z\r\n" +
		"x-amz-storage-class: REDUCED_REDUNDANCY\r\n" +
		"Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=" + docSeed + "\r\n" +
		"x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD\r\n" +
		"Content-Encoding: aws-chunked\r\n" +
		"x-amz-decoded-content-length: 66560\r\n" +
		"Content-Length: 66824\r\n\r\n"
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return r
}

func readDoc(t *testing.T, body []byte) ([]byte, *Payload, error) {
	t.Helper()
	r := docRequest(t, body)
	sr, err := ParseRequest(r)
	if err != nil {
		t.Fatal(err)
	}
	p, err := VerifyStreaming(r, sr, docSecret, docTime.Add(30*time.Second))
	if err != nil {
		t.Fatalf("the documented seed signature was refused: %v", err)
	}
	got, err := io.ReadAll(p.Wrap(r.Body))
	return got, p, err
}

// TestAWSChunkedVector holds the verifier to AWS's published chunk-signed
// upload, byte for byte: the seed signature over S3's canonical request,
// then every chunk signature in the chain.
func TestAWSChunkedVector(t *testing.T) {
	body := docBody(docSignatures, "")
	if len(body) != 66824 {
		t.Fatalf("documented body is %d bytes, want 66824", len(body))
	}
	got, p, err := readDoc(t, body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, docData) {
		t.Fatalf("decoded %d bytes, want the 66560 documented", len(got))
	}
	if !p.Chunked || p.DecodedLength != 66560 || p.Hash != StreamingPayload || p.Trailer() != nil {
		t.Fatalf("payload %+v", p)
	}
	// The test-side chunk signer agrees with the published signatures, so
	// the bodies it signs below are signed as AWS documents.
	c := newTestChunker(docSecret, docTime, "us-east-1", docSeed)
	for i, piece := range [][]byte{docData[:65536], docData[65536:], nil} {
		if s := c.chunk(piece); s != docSignatures[i] {
			t.Fatalf("test chunk signer: chunk %d signature %s, documented %s", i, s, docSignatures[i])
		}
	}
}

// TestAWSChunkedVectorMutations changes the documented body: any chunk
// signature, a data byte, the order of chunks, the end.
func TestAWSChunkedVectorMutations(t *testing.T) {
	for i := range 3 {
		sigs := docSignatures
		sigs[i] = sigs[i][:63] + "0"
		if sigs[i] == docSignatures[i] {
			sigs[i] = sigs[i][:63] + "1"
		}
		got, _, err := readDoc(t, docBody(sigs, ""))
		if codeOf(err) != CodeSignatureDoesNotMatch {
			t.Errorf("chunk %d signature flipped: %v", i, err)
		}
		if want := []int{0, 65536, 66559}[i]; len(got) > want {
			t.Errorf("chunk %d signature flipped: %d bytes released, at most %d verified", i, len(got), want)
		}
	}
	body := docBody(docSignatures, "")
	body[100] = 'b'
	if got, _, err := readDoc(t, body); codeOf(err) != CodeSignatureDoesNotMatch || len(got) != 0 {
		t.Errorf("data byte flipped: %d bytes, %v", len(got), err)
	}
	for _, n := range []int{0, 50, 86, 87, 1000, 65536 + 86, 65536 + 88, 66824 - 2, 66824 - 1} {
		got, _, err := readDoc(t, docBody(docSignatures, "")[:n])
		if codeOf(err) != CodeIncompleteBody {
			t.Errorf("truncated to %d bytes: %v", n, err)
		}
		if len(got) == len(docData) {
			t.Errorf("truncated to %d bytes: the whole payload was released", n)
		}
	}
	if _, _, err := readDoc(t, append(docBody(docSignatures, ""), 'x')); codeOf(err) != CodeInvalidRequest {
		t.Errorf("data after the end: %v", err)
	}
}

// TestAWSTrailerVector holds the chain and the trailer signature to AWS's
// published upload with a trailing CRC32C ("Signature calculations for
// trailing headers", sigv4-streaming-trailers.html), from its documented
// seed signature, and checks the CRC32C against the data.
func TestAWSTrailerVector(t *testing.T) {
	seed, _ := hex.DecodeString("106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e")
	sigs := [3]string{
		"b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
		"1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
		"2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
	}
	const trailer = "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n"
	sr := &SignedRequest{Region: "us-east-1", Service: "s3", Date: docTime}
	newPayload := func() *Payload {
		p := &Payload{Hash: StreamingPayloadTrailer, Chunked: true, DecodedLength: 66560, TrailerNames: []string{"x-amz-checksum-crc32c"}}
		p.chain = chainKey{key: signingKey(docSecret, docTime, "us-east-1", "s3"), date: "20130524T000000Z", scope: credentialScope(sr)}
		copy(p.chain.seed[:], seed)
		return p
	}
	p := newPayload()
	got, err := io.ReadAll(p.Wrap(bytes.NewReader(docBody(sigs, trailer))))
	if err != nil || !bytes.Equal(got, docData) {
		t.Fatalf("documented trailer upload: %d bytes, %v", len(got), err)
	}
	if v := p.Trailer().Get("X-Amz-Checksum-Crc32c"); v != "sOO8/Q==" || len(p.Trailer()) != 1 {
		t.Fatalf("trailer %v", p.Trailer())
	}
	for _, bad := range []string{
		strings.Replace(trailer, "sOO8/Q==", "sOO8/A==", 1),                               // the checksum changed: its signature fails
		strings.Replace(trailer, "d81f82fc", "d81f82fd", 1),                               // the trailer signature changed
		strings.Replace(trailer, "x-amz-trailer-signature", "x-amz-trailer-signaturf", 1), // unsigned
	} {
		p := newPayload()
		got, err := io.ReadAll(p.Wrap(bytes.NewReader(docBody(sigs, bad))))
		if err == nil || len(got) == len(docData) {
			t.Errorf("trailer %q: %d bytes, %v", bad, len(got), err)
		}
	}
}

func TestChecksumAlgorithms(t *testing.T) {
	// Check values of the CRC catalogue for "123456789".
	for name, want := range map[string]string{
		"x-amz-checksum-crc32":     "cbf43926",
		"x-amz-checksum-crc32c":    "e3069283",
		"x-amz-checksum-crc64nvme": "ae8b14860a799888",
	} {
		h := checksumAlgorithms[name].new()
		h.Write([]byte("123456789"))
		if got := hex.EncodeToString(h.Sum(nil)); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
}

// TestStreamingRoundTrips signs aws-chunked bodies with the SDK's v4
// signer (the seed) and testChunker (the chunks), in every streaming form,
// at several chunk sizes, and reads them back.
func TestStreamingRoundTrips(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 200_000)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	sum := func(name string, b []byte) string {
		h := checksumAlgorithms[name].new()
		h.Write(b)
		return b64(h.Sum(nil))
	}
	for _, hash := range []string{StreamingPayload, StreamingPayloadTrailer, StreamingUnsignedPayloadTrailer} {
		for _, size := range []int{8192, 65536, 199_999, 200_000, 1 << 20} {
			for _, name := range []string{"", "x-amz-checksum-crc32", "x-amz-checksum-crc32c", "x-amz-checksum-crc64nvme", "x-amz-checksum-sha1", "x-amz-checksum-sha256"} {
				if hash == StreamingPayload && name != "" {
					continue
				}
				c := streamCase{hash: hash, data: data, chunkSize: size}
				if name != "" {
					c.trailers = [][2]string{{name, sum(name, data)}}
				}
				req, body := signStreaming(t, c, testTime)
				got, p, err := readStreaming(toServer(t, req, body), testTime)
				if err != nil || !bytes.Equal(got, data) {
					t.Fatalf("%s chunk %d %s: %d bytes, %v", hash, size, name, len(got), err)
				}
				if !p.Chunked || p.DecodedLength != int64(len(data)) {
					t.Fatalf("%s: payload %+v", hash, p)
				}
				if name != "" && p.Trailer().Get(name) != c.trailers[0][1] {
					t.Fatalf("%s %s: trailer %v", hash, name, p.Trailer())
				}
			}
		}
	}
	// An empty object: only the final chunk.
	for _, hash := range []string{StreamingPayload, StreamingPayloadTrailer, StreamingUnsignedPayloadTrailer} {
		req, body := signStreaming(t, streamCase{hash: hash, chunkSize: 8192}, testTime)
		if got, _, err := readStreaming(toServer(t, req, body), testTime); err != nil || len(got) != 0 {
			t.Fatalf("%s empty: %d bytes, %v", hash, len(got), err)
		}
	}
}

func b64(b []byte) string {
	const enc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	var out []byte
	for i := 0; i < len(b); i += 3 {
		var v uint32
		n := min(3, len(b)-i)
		for j := range 3 {
			v <<= 8
			if j < n {
				v |= uint32(b[i+j])
			}
		}
		for j := range 4 {
			if j <= n {
				out = append(out, enc[v>>(18-6*j)&0x3f])
			} else {
				out = append(out, '=')
			}
		}
	}
	return string(out)
}

// TestStreamingRefusals changes signed streaming requests one way each and
// expects S3's code, and that the payload is never released whole.
func TestStreamingRefusals(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	crc := crc32.ChecksumIEEE(data)
	crcText := b64([]byte{byte(crc >> 24), byte(crc >> 16), byte(crc >> 8), byte(crc)})
	type mutation struct {
		name  string
		c     streamCase
		body  func([]byte) []byte
		r     func(*http.Request)
		now   time.Time
		code  string
		early bool // refused by VerifyStreaming, before the body
	}
	signed := streamCase{hash: StreamingPayload, data: data, chunkSize: 16384}
	unsignedTrailer := streamCase{hash: StreamingUnsignedPayloadTrailer, data: data, chunkSize: 16384, trailers: [][2]string{{"x-amz-checksum-crc32", crcText}}}
	flip := func(i int) func([]byte) []byte {
		return func(b []byte) []byte { b[i] ^= 1; return b }
	}
	// Offsets in the signed body: the first chunk header is
	// "4000;chunk-signature=<64>\r\n", 87 bytes.
	ms := []mutation{
		{name: "a flipped byte in the first chunk", c: signed, body: flip(87 + 5), code: CodeSignatureDoesNotMatch},
		{name: "a flipped byte in the last chunk", c: signed, body: flip(3*(87+16384+2) + 87 + 100), code: CodeSignatureDoesNotMatch},
		{name: "a flipped chunk signature", c: signed, body: flip(30), code: CodeSignatureDoesNotMatch},
		{name: "a flipped final chunk signature", c: signed, body: func(b []byte) []byte { b[len(b)-10] ^= 1; return b }, code: CodeSignatureDoesNotMatch},
		{name: "two chunks swapped", c: signed, body: func(b []byte) []byte {
			n := 87 + 16384 + 2
			out := append([]byte{}, b[n:2*n]...)
			out = append(out, b[:n]...)
			return append(out, b[2*n:]...)
		}, code: CodeSignatureDoesNotMatch},
		{name: "a truncated stream", c: signed, body: func(b []byte) []byte { return b[:len(b)-100] }, code: CodeIncompleteBody},
		{name: "a stream cut before its final chunk", c: signed, body: func(b []byte) []byte { return b[:4*(87+16384+2)] }, code: CodeIncompleteBody},
		{name: "a missing CRLF", c: signed, body: func(b []byte) []byte { return append(b[:87+16384:87+16384], b[87+16384+2:]...) }, code: CodeIncompleteBody},
		{name: "a chunk header with a bare LF", c: signed, body: func(b []byte) []byte { return append(append(b[:85:85], '\n'), b[87:]...) }, code: CodeIncompleteBody},
		{name: "data after the end", c: signed, body: func(b []byte) []byte { return append(b, "0\r\n\r\n"...) }, code: CodeInvalidRequest},
		{name: "a decoded length too large", c: streamCase{hash: StreamingPayload, data: data, chunkSize: 16384, decodedLen: "65537"}, code: CodeIncompleteBody},
		{name: "a decoded length too small", c: streamCase{hash: StreamingPayload, data: data, chunkSize: 16384, decodedLen: "65535"}, code: CodeIncompleteBody},
		{name: "no decoded length", c: streamCase{hash: StreamingPayload, data: data, chunkSize: 16384, noDecoded: true}, code: CodeMissingContentLength, early: true},
		{name: "a decoded length that is not a number", c: streamCase{hash: StreamingPayload, data: data, chunkSize: 16384, decodedLen: "0x10"}, code: CodeInvalidArgument, early: true},
		{name: "a chunk under 8 KiB before the last", c: streamCase{hash: StreamingPayload, data: data, chunkSize: 4096}, code: CodeInvalidChunkSizeError},
		{name: "a signed chunk over MaxChunkSize", c: streamCase{hash: StreamingPayload, data: make([]byte, MaxChunkSize+1), chunkSize: MaxChunkSize + 1}, code: CodeInvalidChunkSizeError},
		{name: "an unsigned trailer checksum that does not match", c: unsignedTrailer, body: flip(6 + 100), code: CodeBadDigest},
		{name: "an unsigned trailer not announced", c: unsignedTrailer, body: func(b []byte) []byte {
			return bytes.Replace(b, []byte("x-amz-checksum-crc32:"), []byte("x-amz-checksum-sha1:"), 1)
		}, code: CodeInvalidRequest},
		{name: "an unsigned trailer missing", c: unsignedTrailer, body: func(b []byte) []byte {
			return bytes.Replace(b, []byte("x-amz-checksum-crc32:"+crcText+"\r\n"), nil, 1)
		}, code: CodeInvalidRequest},
		{name: "an unknown trailer announced", c: streamCase{hash: StreamingUnsignedPayloadTrailer, data: data, chunkSize: 16384, trailers: [][2]string{{"x-amz-checksum-md5", "AAAA"}}}, code: CodeInvalidRequest, early: true},
		{name: "a trailer announced for a payload without one", c: streamCase{hash: StreamingPayload, data: data, chunkSize: 16384, trailers: unsignedTrailer.trailers}, code: CodeInvalidRequest, early: true},
		{name: "a signed header changed", c: signed, r: func(r *http.Request) { r.Header.Set("X-Amz-Decoded-Content-Length", "65535") }, code: CodeSignatureDoesNotMatch, early: true},
		{name: "an unsigned chunk with a signature", c: unsignedTrailer, body: func(b []byte) []byte {
			return bytes.Replace(b, []byte("4000\r\n"), []byte("4000;chunk-signature="+strings.Repeat("0", 64)+"\r\n"), 1)
		}, code: CodeIncompleteBody},
		{name: "a skewed clock", c: signed, now: testTime.Add(16 * time.Minute), code: CodeRequestTimeTooSkewed, early: true},
		{name: "a clock behind", c: signed, now: testTime.Add(-16 * time.Minute), code: CodeRequestTimeTooSkewed, early: true},
	}
	for _, m := range ms {
		req, body := signStreaming(t, m.c, testTime)
		// The request as signed, its body then changed: a server reads
		// what arrives, whatever Content-Length said.
		r := toServer(t, req, body)
		orig := body
		if m.body != nil {
			body = m.body(bytes.Clone(body))
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		if m.r != nil {
			m.r(r)
		}
		now := m.now
		if now.IsZero() {
			now = testTime
		}
		sr, err := ParseRequest(r)
		if err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
		p, err := VerifyStreaming(r, sr, testSecret, now)
		if m.early {
			if codeOf(err) != m.code {
				t.Errorf("%s: VerifyStreaming %v, want %s", m.name, err, m.code)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: VerifyStreaming: %v", m.name, err)
		}
		got, err := io.ReadAll(p.Wrap(r.Body))
		var e *Error
		if !errors.As(err, &e) || e.Code != m.code {
			t.Errorf("%s: %v, want %s", m.name, err, m.code)
		}
		if int64(len(got)) >= p.DecodedLength && p.DecodedLength > 0 {
			t.Errorf("%s: %d bytes released, the whole payload", m.name, len(got))
		}
		// Verify with the body read whole agrees.
		full := toServer(t, req, orig)
		full.Body = http.NoBody
		if m.r != nil {
			m.r(full)
		}
		if err := verifyDirect(full, body, testSecret, now); codeOf(err) != m.code {
			t.Errorf("%s: Verify %v, want %s", m.name, err, m.code)
		}
	}
}

// TestPlainPayloads covers the non-chunked forms: a hex hash, checked at
// the end; UNSIGNED-PAYLOAD; and the header refusals.
func TestPlainPayloads(t *testing.T) {
	body := []byte(strings.Repeat("payload ", 10000))
	sign := func(hash string, set func(*http.Request)) *http.Request {
		req, err := http.NewRequest(http.MethodPut, "http://127.0.0.1:4599/bucket/a%20b", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if hash != "" {
			req.Header.Set("X-Amz-Content-Sha256", hash)
		}
		if set != nil {
			set(req)
		}
		signHeaderS3(t, req, hash)
		return toServer(t, req, body)
	}
	sum := hexSHA256(body)
	for _, h := range []string{sum, strings.ToUpper(sum), UnsignedPayload} {
		got, p, err := readStreaming(sign(h, nil), testTime)
		if err != nil || !bytes.Equal(got, body) || p.Chunked || p.DecodedLength != int64(len(body)) {
			t.Fatalf("%s: %d bytes, %+v, %v", h, len(got), p, err)
		}
	}
	other := hexSHA256([]byte("other"))
	got, _, err := readStreaming(sign(other, nil), testTime)
	if codeOf(err) != CodeXAmzContentSHA256Mismatch {
		t.Errorf("wrong hex hash: %v", err)
	}
	if len(got) >= len(body) {
		t.Errorf("wrong hex hash: %d bytes released, the whole body", len(got))
	}
	if err := verifyDirect(sign(other, nil), body, testSecret, testTime); codeOf(err) != CodeXAmzContentSHA256Mismatch {
		t.Errorf("wrong hex hash through Verify: %v", err)
	}
	if err := verifyDirect(sign(sum, nil), body, testSecret, testTime); err != nil {
		t.Errorf("Verify: %v", err)
	}
	for _, c := range []struct {
		hash string
		set  func(*http.Request)
		code string
	}{
		{"", nil, CodeInvalidRequest},
		{"GIBBERISH", nil, CodeInvalidArgument},
		{sum[:63], nil, CodeInvalidArgument},
		{"STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD", nil, CodeInvalidArgument},
		{UnsignedPayload, func(r *http.Request) { r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32") }, CodeInvalidRequest},
	} {
		_, _, err := readStreaming(sign(c.hash, c.set), testTime)
		if codeOf(err) != c.code {
			t.Errorf("X-Amz-Content-Sha256 %q: %v, want %s", c.hash, err, c.code)
		}
	}
}

func TestStripAWSChunked(t *testing.T) {
	for in, want := range map[string]string{"aws-chunked": "", "gzip,aws-chunked": "gzip", "aws-chunked, gzip": "gzip", "AWS-Chunked": "", "": "", "br": "br"} {
		if got := StripAWSChunked(in); got != want {
			t.Errorf("StripAWSChunked(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestNonS3KeepsItsRules: VerifyStreaming refuses other services, and
// their Verify does not read X-Amz-Content-Sha256.
func TestNonS3KeepsItsRules(t *testing.T) {
	for _, c := range sdkCases {
		req, body := signSDK(t, c, "http://127.0.0.1:4599")
		sr, err := ParseRequest(req)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := VerifyStreaming(req, sr, testSecret, testTime); !errors.Is(err, ErrNotS3) {
			t.Fatalf("%s: VerifyStreaming %v, want ErrNotS3", c.name, err)
		}
		if err := Verify(req, body, sr, testSecret, testTime); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
}

func TestS3CanonicalURI(t *testing.T) {
	for in, want := range map[string]string{
		"/bucket/a%20b":           "/bucket/a%20b",
		"/bucket/a%2bb":           "/bucket/a%2Bb",
		"/bucket/a+b":             "/bucket/a%2Bb",
		"/bucket//a/../b/./c":     "/bucket//a/../b/./c",
		"/bucket/%E2%9C%93":       "/bucket/%E2%9C%93",
		"/bucket/~a_b-c.d":        "/bucket/~a_b-c.d",
		"/bucket/%7Ea":            "/bucket/~a",
		"/bucket/100%":            "/bucket/100%25",
		"/bucket/%zz":             "/bucket/%25zz",
		"/bucket/a!b$c&d'e(f)g*h": "/bucket/a%21b%24c%26d%27e%28f%29g%2Ah",
	} {
		if got := string(appendS3URI(nil, in)); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}
