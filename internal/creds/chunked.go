package creds

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"net/textproto"
	"slices"
	"sort"
	"strconv"
)

// MaxChunkSize is the largest chunk of a signed aws-chunked body accepted:
// such a chunk is held whole until its signature has been checked. AWS's
// SDKs that sign chunks use 64 to 128 KiB. Unsigned chunks, which stream
// through, are bounded only by X-Amz-Decoded-Content-Length.
const MaxChunkSize = 16 << 20

// MaxTrailerSize bounds the trailing headers of an aws-chunked body, in
// bytes as sent.
const MaxTrailerSize = 16 << 10

// minChunkSize is the smallest size S3 allows for any data chunk but the
// last.
const minChunkSize = 8192

// maxChunkLine bounds a chunk header line ("HEX;chunk-signature=SIG").
const maxChunkLine = 256

// checksumAlgorithm is a trailing checksum S3 knows: the name its messages
// use and its hash.
type checksumAlgorithm struct {
	label string
	new   func() hash.Hash
}

var (
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
	// nvme is CRC-64/NVME: the reflected polynomial 0x9a6c9329ac4bc9b5
	// with all-ones initial value and final XOR, as hash/crc64 computes.
	nvme = crc64.MakeTable(0x9a6c9329ac4bc9b5)
)

// checksumAlgorithms are the trailers X-Amz-Trailer may announce.
var checksumAlgorithms = map[string]checksumAlgorithm{
	"x-amz-checksum-crc32":     {"CRC32", func() hash.Hash { return crc32.NewIEEE() }},
	"x-amz-checksum-crc32c":    {"CRC32C", func() hash.Hash { return crc32.New(castagnoli) }},
	"x-amz-checksum-crc64nvme": {"CRC64NVME", func() hash.Hash { return crc64.New(nvme) }},
	"x-amz-checksum-sha1":      {"sha1", sha1.New},
	"x-amz-checksum-sha256":    {"sha256", sha256.New},
}

const trailerSignatureName = "x-amz-trailer-signature"

// chunkedReader decodes an aws-chunked body: "HEX-SIZE[;chunk-signature=
// SIG]\r\nDATA\r\n" chunks, a final zero-size chunk, then trailing header
// lines and an empty line. It checks each chunk's signature (signed
// bodies), the decoded length against X-Amz-Decoded-Content-Length, the
// trailer's signature and the announced checksums, and returns io.EOF only
// when all hold.
type chunkedReader struct {
	br        *bufio.Reader
	p         *Payload
	signed    bool // chunks carry signatures
	trailered bool // a -TRAILER variant
	prev      [sha256.Size]byte
	n         int64  // decoded bytes so far
	remaining int64  // unsigned: bytes of the current chunk still to read
	pending   []byte // signed: checked bytes not yet returned
	buf       []byte // signed: the current chunk
	chunks    int    // data chunks so far
	lastSize  int64  // the size of the last data chunk
	sums      []namedSum
	err       error
	finished  bool
	trailer   http.Header
}

type namedSum struct {
	name string
	alg  checksumAlgorithm
	h    hash.Hash
}

func newChunkedReader(body io.Reader, p *Payload) *chunkedReader {
	c := &chunkedReader{
		br:        bufio.NewReaderSize(body, 64<<10),
		p:         p,
		signed:    p.Hash != StreamingUnsignedPayloadTrailer,
		trailered: p.Hash != StreamingPayload,
		prev:      p.chain.seed,
	}
	for _, name := range p.TrailerNames {
		alg := checksumAlgorithms[name]
		c.sums = append(c.sums, namedSum{name: name, alg: alg, h: alg.new()})
	}
	return c
}

func chunkError(e *Error) error { return fmt.Errorf("creds: aws-chunked body: %w", e) }

func terminated() *Error {
	return s3Error(CodeIncompleteBody, http.StatusBadRequest, msgBodyTerminated)
}

// Read returns decoded payload bytes that have passed every check so far.
func (c *chunkedReader) Read(p []byte) (int, error) {
	for {
		if len(c.pending) > 0 {
			n := copy(p, c.pending)
			c.pending = c.pending[n:]
			return n, nil
		}
		if c.err != nil {
			return 0, c.err
		}
		if c.remaining > 0 {
			return c.readUnsigned(p)
		}
		if err := c.next(); err != nil {
			c.err = err
		}
	}
}

// readUnsigned streams the current unsigned chunk's data.
func (c *chunkedReader) readUnsigned(p []byte) (int, error) {
	if int64(len(p)) > c.remaining {
		p = p[:c.remaining]
	}
	n, err := c.br.Read(p)
	c.hashData(p[:n])
	c.remaining -= int64(n)
	switch {
	case c.remaining == 0:
		if e := c.crlf(); e != nil {
			c.err = e
		}
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		c.err = chunkError(terminated())
	case err != nil:
		c.err = fmt.Errorf("creds: aws-chunked body: %w", err)
	}
	return n, nil
}

func (c *chunkedReader) hashData(b []byte) {
	c.n += int64(len(b))
	for _, s := range c.sums {
		s.h.Write(b)
	}
}

// readError turns a failure to read the framing into the error to return.
func readError(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF || errors.Is(err, bufio.ErrBufferFull) {
		return chunkError(terminated())
	}
	return fmt.Errorf("creds: aws-chunked body: %w", err)
}

// line reads one line ending in CRLF, of at most limit bytes before it,
// and returns it without the CRLF. It is valid until the next read.
func (c *chunkedReader) line(limit int) ([]byte, error) {
	b, err := c.br.ReadSlice('\n')
	if err != nil {
		return nil, readError(err)
	}
	if len(b) < 2 || b[len(b)-2] != '\r' || len(b)-2 > limit {
		return nil, chunkError(terminated())
	}
	return b[:len(b)-2], nil
}

// crlf reads the CRLF that ends a chunk's data.
func (c *chunkedReader) crlf() error {
	var b [2]byte
	if _, err := io.ReadFull(c.br, b[:]); err != nil {
		return readError(err)
	}
	if b != [2]byte{'\r', '\n'} {
		return chunkError(terminated())
	}
	return nil
}

// next reads a chunk header and, for a signed chunk, its data and CRLF,
// checking its signature; for the final chunk, the trailer and the end.
func (c *chunkedReader) next() error {
	line, err := c.line(maxChunkLine)
	if err != nil {
		return err
	}
	size, sig, ok := parseChunkHeader(line, c.signed)
	if !ok {
		return chunkError(terminated())
	}
	if size > 0 {
		if c.chunks > 0 && c.lastSize < minChunkSize {
			return chunkError(&Error{Code: CodeInvalidChunkSizeError, Message: msgChunkTooSmall, Status: http.StatusForbidden})
		}
		c.chunks++
		c.lastSize = size
	}
	if size > c.p.DecodedLength-c.n {
		return chunkError(s3Error(CodeIncompleteBody, http.StatusBadRequest, msgBodyLength))
	}
	if !c.signed {
		if size == 0 {
			return c.finish()
		}
		c.remaining = size
		return nil
	}
	if size > MaxChunkSize {
		return chunkError(&Error{Code: CodeInvalidChunkSizeError, Status: http.StatusForbidden,
			Message: fmt.Sprintf("Chunk size %d exceeds the %d bytes this server accepts in one signed chunk", size, MaxChunkSize)})
	}
	// The buffer grows as the chunk's bytes arrive, not as its header
	// claims: a header alone never costs MaxChunkSize.
	data := c.buf[:0]
	for int64(len(data)) < size {
		step := min(size-int64(len(data)), int64(max(64<<10, len(data))))
		data = slices.Grow(data, int(step))
		n, err := io.ReadFull(c.br, data[len(data):len(data)+int(step)])
		data = data[:len(data)+n]
		if err != nil {
			c.buf = data[:0]
			return readError(err)
		}
	}
	c.buf = data[:0]
	if size > 0 {
		if err := c.crlf(); err != nil {
			return err
		}
	}
	var stsBuf [512]byte
	sts := appendChainStringToSign(stsBuf[:0], "AWS4-HMAC-SHA256-PAYLOAD", &c.p.chain, &c.prev, sha256.Sum256(data), true)
	if mac := hmacSHA256(c.p.chain.key[:], sts); !hmac.Equal(mac[:], sig[:]) {
		return chunkError(s3Mismatch())
	}
	c.prev = sig
	if size == 0 {
		return c.finish()
	}
	c.hashData(data)
	c.pending = data
	return nil
}

// parseChunkHeader reads "HEX" (unsigned) or "HEX;chunk-signature=SIG"
// (signed), the size at most 16 hex digits.
func parseChunkHeader(line []byte, signed bool) (size int64, sig [sha256.Size]byte, ok bool) {
	sizeText := line
	if signed {
		i := bytes.IndexByte(line, ';')
		if i < 0 {
			return 0, sig, false
		}
		sizeText = line[:i]
		rest, found := bytes.CutPrefix(line[i+1:], []byte("chunk-signature="))
		if !found || !decodeSignature(&sig, string(rest)) {
			return 0, sig, false
		}
	}
	if len(sizeText) == 0 || len(sizeText) > 16 {
		return 0, sig, false
	}
	for _, b := range sizeText {
		if _, isHex := fromHex(b); !isHex {
			return 0, sig, false
		}
	}
	u, err := strconv.ParseUint(string(sizeText), 16, 63)
	if err != nil {
		return 0, sig, false
	}
	return int64(u), sig, true
}

// finish reads the trailer after the final chunk and the empty line that
// ends the body, and checks the trailer's signature, the decoded length and
// the checksums. It returns io.EOF when all hold.
func (c *chunkedReader) finish() error {
	type field struct{ name, value string }
	var fields []field
	var sigText string
	sigSeen := false
	total := 0
	for {
		if !c.signed && len(c.p.TrailerNames) == 0 && total == 0 {
			// Some SDKs end a body without trailers right after "0\r\n".
			if _, err := c.br.Peek(1); err == io.EOF {
				break
			}
		}
		line, err := c.line(MaxTrailerSize)
		if err != nil {
			return err
		}
		if total += len(line) + 2; total > MaxTrailerSize {
			return chunkError(s3Error(CodeInvalidRequest, http.StatusBadRequest, fmt.Sprintf("The trailing headers exceed %d bytes", MaxTrailerSize)))
		}
		if len(line) == 0 {
			break
		}
		name, value, found := bytes.Cut(line, []byte{':'})
		if !found || sigSeen {
			return chunkError(terminated())
		}
		n := string(bytes.ToLower(bytes.TrimSpace(name)))
		v := string(bytes.TrimSpace(value))
		if n == trailerSignatureName && c.signed && c.trailered {
			sigText, sigSeen = v, true
			continue
		}
		if !c.announced(n) {
			return chunkError(s3Error(CodeInvalidRequest, http.StatusBadRequest, "The trailing header '"+clip(n)+"' was not announced in x-amz-trailer"))
		}
		for _, f := range fields {
			if f.name == n {
				return chunkError(s3Error(CodeInvalidRequest, http.StatusBadRequest, "The trailing header '"+n+"' appears more than once"))
			}
		}
		fields = append(fields, field{n, v})
	}
	if _, err := c.br.ReadByte(); err != io.EOF {
		if err != nil {
			return readError(err)
		}
		return chunkError(s3Error(CodeInvalidRequest, http.StatusBadRequest, "The request body continues after the end of its aws-chunked encoding"))
	}
	for _, name := range c.p.TrailerNames {
		found := false
		for _, f := range fields {
			found = found || f.name == name
		}
		if !found {
			return chunkError(s3Error(CodeInvalidRequest, http.StatusBadRequest, "The trailing header '"+name+"' announced in x-amz-trailer is missing"))
		}
	}
	if c.signed && c.trailered {
		var sig [sha256.Size]byte
		if !sigSeen || !decodeSignature(&sig, sigText) {
			return chunkError(s3Mismatch())
		}
		sort.Slice(fields, func(i, j int) bool { return fields[i].name < fields[j].name })
		h := sha256.New()
		for _, f := range fields {
			io.WriteString(h, f.name+":"+f.value+"\n")
		}
		var sum [sha256.Size]byte
		h.Sum(sum[:0])
		var stsBuf [512]byte
		sts := appendChainStringToSign(stsBuf[:0], "AWS4-HMAC-SHA256-TRAILER", &c.p.chain, &c.prev, sum, false)
		if mac := hmacSHA256(c.p.chain.key[:], sts); !hmac.Equal(mac[:], sig[:]) {
			return chunkError(s3Mismatch())
		}
	}
	if c.n != c.p.DecodedLength {
		return chunkError(s3Error(CodeIncompleteBody, http.StatusBadRequest, msgBodyLength))
	}
	var trailer http.Header
	for _, f := range fields {
		for _, s := range c.sums {
			if s.name != f.name {
				continue
			}
			if got := base64.StdEncoding.EncodeToString(s.h.Sum(nil)); got != f.value {
				return chunkError(s3Error(CodeBadDigest, http.StatusBadRequest, "The "+s.alg.label+" you specified did not match the calculated checksum."))
			}
		}
		if trailer == nil {
			trailer = http.Header{}
		}
		trailer[textproto.CanonicalMIMEHeaderKey(f.name)] = []string{f.value}
	}
	c.trailer = trailer
	c.finished = true
	return io.EOF
}

// announced reports whether X-Amz-Trailer named name.
func (c *chunkedReader) announced(name string) bool {
	for _, n := range c.p.TrailerNames {
		if n == name {
			return true
		}
	}
	return false
}
