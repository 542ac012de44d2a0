package creds

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
)

// fuzzSeed is the seed signature of the decoder's fixed chain in the
// tests below.
var fuzzSeed = strings.Repeat("5e", 32)

// chainPayload returns a Payload for hash as VerifyStreaming would make
// it for a request signed at testTime with testSecret whose signature is
// fuzzSeed.
func chainPayload(hash string, decoded int64, trailers ...string) *Payload {
	p := &Payload{Hash: hash, Chunked: true, DecodedLength: decoded, TrailerNames: trailers}
	sr := &SignedRequest{Region: "us-east-1", Service: "s3", Date: testTime}
	p.chain = chainKey{key: signingKey(testSecret, testTime, "us-east-1", "s3"), date: testTime.Format(iso8601Basic), scope: credentialScope(sr)}
	seed, _ := hex.DecodeString(fuzzSeed)
	copy(p.chain.seed[:], seed)
	return p
}

func chainChunker() *testChunker { return newTestChunker(testSecret, testTime, "us-east-1", fuzzSeed) }

// TestChunkedReaderOddReads decodes through readers that return one byte
// at a time, or data with io.EOF, and with tiny destination buffers.
func TestChunkedReaderOddReads(t *testing.T) {
	data := randomBytes(3*8192+77, 3)
	crc := checksumAlgorithms["x-amz-checksum-crc32c"].new()
	crc.Write(data)
	trailers := [][2]string{{"x-amz-checksum-crc32c", b64(crc.Sum(nil))}}
	bodies := map[string][]byte{
		StreamingPayload:                encodeChunked(chainChunker(), data, 8192, nil, false),
		StreamingPayloadTrailer:         encodeChunked(chainChunker(), data, 8192, trailers, true),
		StreamingUnsignedPayloadTrailer: encodeChunked(nil, data, 8192, trailers, false),
	}
	for hash, body := range bodies {
		var names []string
		if hash != StreamingPayload {
			names = []string{"x-amz-checksum-crc32c"}
		}
		for name, wrap := range map[string]func(io.Reader) io.Reader{
			"one byte": iotest.OneByteReader, "data with EOF": iotest.DataErrReader, "half": iotest.HalfReader,
		} {
			for _, bufSize := range []int{1, 3, 4096, 1 << 20} {
				p := chainPayload(hash, int64(len(data)), names...)
				r := p.Wrap(wrap(bytes.NewReader(body)))
				var out []byte
				buf := make([]byte, bufSize)
				var err error
				for {
					var n int
					n, err = r.Read(buf)
					out = append(out, buf[:n]...)
					if err != nil {
						break
					}
				}
				if err != io.EOF || !bytes.Equal(out, data) {
					t.Fatalf("%s, %s, buffer %d: %d bytes, %v", hash, name, bufSize, len(out), err)
				}
				if hash != StreamingPayload && p.Trailer().Get("X-Amz-Checksum-Crc32c") != trailers[0][1] {
					t.Fatalf("%s: trailer %v", hash, p.Trailer())
				}
			}
		}
	}
}

// TestChunkedReaderKeepsReadErrors: a failure of the body itself (a cap on
// its size, a dropped connection) comes back as itself, not as a code.
func TestChunkedReaderKeepsReadErrors(t *testing.T) {
	data := randomBytes(20000, 4)
	body := encodeChunked(chainChunker(), data, 10000, nil, false)
	for _, cut := range []int{10, 5000, len(body) - 3} {
		boom := &http.MaxBytesError{Limit: int64(cut)}
		p := chainPayload(StreamingPayload, int64(len(data)))
		_, err := io.ReadAll(p.Wrap(io.MultiReader(bytes.NewReader(body[:cut]), iotest.ErrReader(boom))))
		var mb *http.MaxBytesError
		if !errors.As(err, &mb) {
			t.Errorf("cut at %d: %v, want the MaxBytesError", cut, err)
		}
	}
	p := &Payload{Hash: hexSHA256(data), sum: [32]byte{}}
	copy(p.sum[:], mustHex(hexSHA256(data)))
	boom := errors.New("connection reset")
	got, err := io.ReadAll(p.Wrap(io.MultiReader(bytes.NewReader(data), iotest.ErrReader(boom))))
	if !errors.Is(err, boom) || len(got) == len(data) {
		t.Errorf("hex payload: %d bytes, %v", len(got), err)
	}
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// TestHoldLast: the last byte waits for io.EOF; after an error nothing
// more comes.
func TestHoldLast(t *testing.T) {
	for _, src := range []io.Reader{
		strings.NewReader("abcdef"), iotest.OneByteReader(strings.NewReader("abcdef")), iotest.DataErrReader(strings.NewReader("abcdef")),
	} {
		got, err := io.ReadAll(newHoldLast(src))
		if err != nil || string(got) != "abcdef" {
			t.Fatalf("%q, %v", got, err)
		}
	}
	boom := errors.New("boom")
	got, err := io.ReadAll(newHoldLast(io.MultiReader(strings.NewReader("abcdef"), iotest.ErrReader(boom))))
	if !errors.Is(err, boom) || len(got) >= 6 {
		t.Fatalf("%q, %v", got, err)
	}
	if _, err := io.ReadAll(newHoldLast(zeroReader{})); !errors.Is(err, io.ErrNoProgress) {
		t.Fatalf("a reader that never progresses: %v", err)
	}
}

type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

// FuzzChunkedDecoder feeds arbitrary bodies to the aws-chunked decoder in
// each mode, with the chain of a fixed key and seed (the seed corpus holds
// validly signed bodies for the fuzzer to mutate). Whatever the input: no
// panic; never more bytes than the decoded length; success only with
// exactly the decoded length and, for signed modes, only for a body whose
// every chunk verifies (re-signing the output agrees); every failure an
// *Error with an S3 code or a read error, and the payload never released
// whole on failure.
func FuzzChunkedDecoder(f *testing.F) {
	small := []byte("hello, world")
	two := randomBytes(8192+5, 5)
	crc := checksumAlgorithms["x-amz-checksum-crc32"].new()
	crc.Write(small)
	tr := [][2]string{{"x-amz-checksum-crc32", b64(crc.Sum(nil))}}
	f.Add(encodeChunked(chainChunker(), small, 8192, nil, false), uint8(0), int64(len(small)))
	f.Add(encodeChunked(chainChunker(), two, 8192, nil, false), uint8(0), int64(len(two)))
	f.Add(encodeChunked(chainChunker(), nil, 8192, nil, false), uint8(0), int64(0))
	f.Add(encodeChunked(chainChunker(), small, 8192, tr, true), uint8(1), int64(len(small)))
	f.Add(encodeChunked(nil, small, 8192, tr, false), uint8(2), int64(len(small)))
	f.Add(encodeChunked(nil, two, 8192, nil, false), uint8(3), int64(len(two)))
	f.Add([]byte("0\r\n"), uint8(3), int64(0))
	f.Add([]byte("ffffffffffffffff;chunk-signature=00\r\n"), uint8(0), int64(1<<62))
	f.Add([]byte("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n"), uint8(2), int64(5))
	f.Fuzz(func(t *testing.T, body []byte, mode uint8, decoded int64) {
		if decoded < 0 {
			decoded = int64(len(body))
		}
		var p *Payload
		switch mode % 4 {
		case 0:
			p = chainPayload(StreamingPayload, decoded)
		case 1:
			p = chainPayload(StreamingPayloadTrailer, decoded, "x-amz-checksum-crc32")
		case 2:
			p = chainPayload(StreamingUnsignedPayloadTrailer, decoded, "x-amz-checksum-crc32")
		default:
			p = chainPayload(StreamingUnsignedPayloadTrailer, decoded)
		}
		out, err := io.ReadAll(p.Wrap(bytes.NewReader(body)))
		if int64(len(out)) > decoded {
			t.Fatalf("%d bytes out, decoded length %d", len(out), decoded)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code == "" || e.Status == 0 {
				t.Fatalf("failure without an S3 code: %v", err)
			}
			if decoded > 0 && int64(len(out)) == decoded {
				t.Fatalf("failed (%v) after releasing the whole payload", err)
			}
			return
		}
		if int64(len(out)) != decoded {
			t.Fatalf("accepted %d bytes, decoded length %d", len(out), decoded)
		}
		if mode%4 == 0 {
			// The output must be what the signatures sign, chunk by chunk.
			if !signaturesAgree(body, out) {
				t.Fatalf("accepted a body whose signatures are not those of its output")
			}
		}
	})
}

// signaturesAgree reports whether the chunk signatures the signed body
// carries are those of the fixed chain over out, cut at the chunk sizes
// the body declares, the final chunk's included.
func signaturesAgree(body, out []byte) bool {
	c := chainChunker()
	rest, off := body, 0
	for {
		line, tail, ok := bytes.Cut(rest, []byte("\r\n"))
		if !ok {
			return false
		}
		size, sig, ok := parseChunkHeader(line, true)
		if !ok || size > int64(len(tail)) || int64(len(out)-off) < size {
			return false
		}
		if c.chunk(out[off:off+int(size)]) != hex.EncodeToString(sig[:]) {
			return false
		}
		if size == 0 {
			return off == len(out)
		}
		off += int(size)
		rest = tail[size:]
		if !bytes.HasPrefix(rest, []byte("\r\n")) {
			return false
		}
		rest = rest[2:]
	}
}

// BenchmarkChunkedDecode decodes 1 MiB signed in 64 KiB chunks: the cost
// of checking chunk signatures on top of hashing.
func BenchmarkChunkedDecode(b *testing.B) {
	data := randomBytes(1<<20, 6)
	body := encodeChunked(chainChunker(), data, 64<<10, nil, false)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		p := chainPayload(StreamingPayload, int64(len(data)))
		if _, err := io.Copy(io.Discard, p.Wrap(bytes.NewReader(body))); err != nil {
			b.Fatal(err)
		}
	}
}
