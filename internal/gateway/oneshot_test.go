package gateway

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// closingServer answers like moto: Connection: close on every answer
// while close is set. It echoes the request body's length and SHA-free
// content length, and counts connections.
type closingServer struct {
	*httptest.Server
	close atomic.Bool
	conns atomic.Int64
}

func newClosingServer(t *testing.T, h http.HandlerFunc) *closingServer {
	t.Helper()
	s := &closingServer{}
	s.close.Store(true)
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.close.Load() {
			w.Header().Set("Connection", "close")
		}
		h(w, r)
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func testTransport() (*backendTransport, *atomic.Int64) {
	dials := &atomic.Int64{}
	d := &net.Dialer{Timeout: 5 * time.Second}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return d.DialContext(ctx, network, addr)
	}
	return &backendTransport{pooled: &http.Transport{DialContext: dial, DisableCompression: true}, dial: dial, headerTimeout: 5 * time.Second}, dials
}

func roundTrip(t *testing.T, tr http.RoundTripper, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// After a backend's first Connection: close, requests go on connections of
// their own, one each, with bodies both ways (a known length, a streamed
// one sent chunked, HEAD's none); when the backend keeps a connection open
// again, the pool is back.
func TestBackendTransportOneShot(t *testing.T) {
	srv := newClosingServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Got", r.Method+" "+r.URL.RequestURI()+" "+r.Header.Get("X-Amz-Target"))
		w.Write(bytes.ToUpper(b))
	})
	tr, dials := testTransport()
	req := func(method, body string, n int64) *http.Request {
		r, _ := http.NewRequest(method, srv.URL+"/path?q=1", nil)
		r.Header.Set("X-Amz-Target", "DynamoDB_20120810.GetItem")
		if body != "" {
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader(body)), n
		}
		return r
	}
	resp, b := roundTrip(t, tr, req("POST", "first", 5))
	if string(b) != "FIRST" || !resp.Close || !tr.closing.Load() {
		t.Fatalf("first answer %q, close %v, one-shot %v", b, resp.Close, tr.closing.Load())
	}
	for i := range 5 {
		resp, b := roundTrip(t, tr, req("POST", "hello", 5))
		if resp.StatusCode != 200 || string(b) != "HELLO" || resp.Header.Get("X-Got") != "POST /path?q=1 DynamoDB_20120810.GetItem" {
			t.Fatalf("request %d: %d %q %v", i, resp.StatusCode, b, resp.Header)
		}
	}
	big := strings.Repeat("x", 3<<20)
	if _, b := roundTrip(t, tr, req("PUT", big, -1)); len(b) != len(big) {
		t.Fatalf("a streamed body came back as %d bytes", len(b))
	}
	if resp, b := roundTrip(t, tr, req("HEAD", "", 0)); resp.StatusCode != 200 || len(b) != 0 {
		t.Fatalf("HEAD: %d %q", resp.StatusCode, b)
	}
	if got := dials.Load(); got != 8 {
		t.Errorf("%d dials for 8 requests", got)
	}
	if got := tr.oneShots.Load(); got != 7 {
		t.Errorf("%d of the 7 requests after the first went one-shot", got)
	}

	srv.close.Store(false)
	roundTrip(t, tr, req("POST", "x", 1)) // one-shot still: it learns here
	if tr.closing.Load() {
		t.Fatal("a kept-alive answer did not bring the pool back")
	}
	before := dials.Load()
	for range 5 {
		roundTrip(t, tr, req("POST", "x", 1))
	}
	if got := dials.Load() - before; got != 1 {
		t.Errorf("the pool dialed %d times for 5 requests", got)
	}
	if got := tr.oneShots.Load(); got != 8 {
		t.Errorf("%d one-shot requests, want 8 (7, and the one that learnt)", got)
	}
	tr.CloseIdleConnections()
}

// A backend that answers before reading the whole body, and closes: its
// answer reaches the client, not a write error.
func TestBackendTransportEarlyAnswer(t *testing.T) {
	srv := newClosingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, "too big")
	})
	tr, _ := testTransport()
	tr.closing.Store(true)
	r, _ := http.NewRequest("PUT", srv.URL+"/b/k", io.NopCloser(bytes.NewReader(make([]byte, 16<<20))))
	r.ContentLength = 16 << 20
	resp, b := roundTrip(t, tr, r)
	if resp.StatusCode != http.StatusBadRequest || string(b) != "too big" {
		t.Fatalf("%d %q", resp.StatusCode, b)
	}
}

// Cancelling the request ends a one-shot exchange at once, waiting for the
// answer or reading it, and leaves no goroutine behind; so does a backend
// that never answers, after the header timeout.
func TestBackendTransportCancel(t *testing.T) {
	release := make(chan struct{})
	srv := newClosingServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow-body" {
			w.Write([]byte("start"))
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	tr, _ := testTransport()
	tr.closing.Store(true)
	base := runtime.NumGoroutine()
	defer func() {
		if got := tr.oneShots.Load(); got != 3 {
			t.Errorf("%d of 3 requests went one-shot", got)
		}
	}()

	ctx, cancel := context.WithCancel(context.Background())
	r, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/wait", nil)
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	if _, err := tr.RoundTrip(r); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled while waiting: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("the cancelled request took %s", d)
	}

	ctx, cancel = context.WithCancel(context.Background())
	r, _ = http.NewRequestWithContext(ctx, "GET", srv.URL+"/slow-body", nil)
	resp, err := tr.RoundTrip(r)
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(100*time.Millisecond, cancel)
	if _, err := io.ReadAll(resp.Body); err == nil {
		t.Fatal("a body read after cancelling ended cleanly")
	}
	resp.Body.Close()

	tr.headerTimeout = 200 * time.Millisecond
	r, _ = http.NewRequest("GET", srv.URL+"/never", nil)
	if _, err := tr.RoundTrip(r); err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("a backend that never answers: %v", err)
	}

	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		t.Errorf("%d goroutines, %d before", n, base)
	}
}
