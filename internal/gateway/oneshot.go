package gateway

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// A backend that closes its connection after every answer (moto's server,
// Werkzeug, always sends Connection: close) gains nothing from net/http's
// connection pool and pays for its machinery: for each request the
// Transport dials in a goroutine of its own and starts a read and a write
// goroutine on the new connection, and the request and its answer cross
// between them. At a backend's pace (moto serves a few hundred requests a
// second) each crossing wakes an idle thread, which costs more CPU than
// the work itself. backendTransport notices such a backend from its
// answers and then sends each request on a connection of its own from the
// calling goroutine: dial, write the request (http.Request.Write), read
// the answer (http.ReadResponse), close. Everything HTTP is net/http's;
// only the goroutines are saved. A backend that keeps connections open
// (LocalStack) keeps the pool, and so does HTTPS.

// backendTransport sends requests to the backend.
type backendTransport struct {
	pooled *http.Transport
	dial   func(ctx context.Context, network, addr string) (net.Conn, error)
	// headerTimeout bounds the wait for an answer once the request is
	// written.
	headerTimeout time.Duration
	// closing says the backend's last answer closed its connection.
	closing atomic.Bool
	// oneShots counts the requests sent on connections of their own.
	oneShots atomic.Int64
}

// RoundTrip implements http.RoundTripper.
func (t *backendTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "http" || !t.closing.Load() {
		resp, err := t.pooled.RoundTrip(req)
		if err == nil && resp.Close && req.URL.Scheme == "http" {
			t.closing.Store(true)
		}
		return resp, err
	}
	resp, err := t.oneShot(req)
	if err == nil && !resp.Close {
		// The backend now keeps connections open: pool them again.
		t.closing.Store(false)
	}
	return resp, err
}

// CloseIdleConnections closes the pool's idle connections.
func (t *backendTransport) CloseIdleConnections() { t.pooled.CloseIdleConnections() }

// connBuffers hold the buffered readers and writers of one-shot
// connections.
var (
	connWriters = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 4096) }}
	connReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}
)

// oneShot sends req on a connection of its own, closed when the answer's
// body is.
func (t *backendTransport) oneShot(req *http.Request) (*http.Response, error) {
	t.oneShots.Add(1)
	ctx := req.Context()
	conn, err := t.dial(ctx, "tcp", req.URL.Host)
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("dial the backend: %w", err)
	}
	// Cancelling the request closes the connection, which ends any read
	// or write in progress.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	fail := func(err error) (*http.Response, error) {
		stop()
		conn.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
		return nil, err
	}
	// No Connection: close in the request: the backend's answer then says
	// whether it would have kept the connection, and so whether the pool
	// is worth its cost again.
	bw := connWriters.Get().(*bufio.Writer)
	bw.Reset(conn)
	werr := req.Write(bw) // closes req.Body
	if werr == nil {
		werr = bw.Flush()
	}
	bw.Reset(nil)
	connWriters.Put(bw)
	if t.headerTimeout > 0 {
		conn.SetReadDeadline(time.Now().Add(t.headerTimeout))
	}
	br := connReaders.Get().(*bufio.Reader)
	br.Reset(conn)
	// A backend may answer (an error) before it has read the whole body,
	// and close: its answer is still worth reading after a failed write.
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		br.Reset(nil)
		connReaders.Put(br)
		if werr != nil {
			return fail(fmt.Errorf("send the request to the backend: %w", werr))
		}
		return fail(fmt.Errorf("read the backend's answer: %w", err))
	}
	conn.SetReadDeadline(time.Time{})
	resp.Body = &oneShotBody{body: resp.Body, conn: conn, br: br, stop: stop}
	return resp, nil
}

// oneShotBody is an answer's body on a connection of its own: closing it
// closes the connection.
type oneShotBody struct {
	body io.ReadCloser
	conn net.Conn
	br   *bufio.Reader
	stop func() bool
	once sync.Once
}

func (b *oneShotBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		return n, fmt.Errorf("read the backend's answer: %w", err)
	}
	return n, err
}

func (b *oneShotBody) Close() error {
	b.once.Do(func() {
		// The connection first: the body's Close would drain what the
		// backend has yet to send.
		b.stop()
		b.conn.Close()
		b.body.Close()
		b.br.Reset(nil)
		connReaders.Put(b.br)
	})
	return nil
}
