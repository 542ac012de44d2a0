// Command assumed-flood measures what unauthenticated traffic costs a
// server on this machine: it floods a loopback endpoint the way the
// security review of issue 10 did and reports the server process's
// resident memory (from /proc/PID/status) before and after. It is behind
// the hardening figures in BENCHMARKS.md (scripts/bench-flood.sh).
//
// Modes:
//
//   - body: --connections connections each announce a 1 MiB body signed
//     (by form only: the signature is never right) with --access-key, send
//     95% of it and hold the connection open. With an unknown key the
//     server should refuse before reading; with a known key it may read
//     only within its body budget.
//   - labels: --requests requests whose credential scope names a random
//     service and whose Action is random; then one metrics scrape, whose
//     size shows how many series the server created.
//
// It talks to loopback addresses only (--addr must be a loopback IP and
// port) and is bounded in count and time (--timeout).
//
// Usage:
//
//	assumed-flood --addr 127.0.0.1:4599 --pid PID --mode body|labels \
//	    [--access-key AKIA...] [--connections 300] [--requests 5000] [--timeout 60s]
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "assumed-flood:", err)
		os.Exit(1)
	}
}

type options struct {
	addr        string
	pid         int
	mode        string
	accessKey   string
	connections int
	requests    int
	timeout     time.Duration
}

func run(args []string, out io.Writer) error {
	var o options
	fs := flag.NewFlagSet("assumed-flood", flag.ContinueOnError)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:4599", "the server's loopback IP:port")
	fs.IntVar(&o.pid, "pid", 0, "the server's process ID, whose memory is reported")
	fs.StringVar(&o.mode, "mode", "body", "body or labels")
	fs.StringVar(&o.accessKey, "access-key", "AKIAZZZZZZZZZZZZZZZZ", "access key ID the requests claim")
	fs.IntVar(&o.connections, "connections", 300, "body mode: connections, each holding 95% of a 1 MiB body")
	fs.IntVar(&o.requests, "requests", 5000, "labels mode: requests with random service and action names")
	fs.DurationVar(&o.timeout, "timeout", 60*time.Second, "bound on the whole run")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ap, err := netip.ParseAddrPort(o.addr)
	if err != nil || !ap.Addr().Unmap().IsLoopback() {
		return fmt.Errorf("--addr %q: want a loopback IP:port; assumed-flood only talks to this machine", o.addr)
	}
	if o.pid <= 0 {
		return errors.New("--pid: the server's process ID is required")
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	before, err := memory(o.pid)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "server memory before: %s\n", before)
	switch o.mode {
	case "body":
		return floodBodies(ctx, o, out)
	case "labels":
		return floodLabels(ctx, o, out)
	}
	return fmt.Errorf("--mode %q: want body or labels", o.mode)
}

// memory reads a process's resident set and its peak.
func memory(pid int) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "", fmt.Errorf("read the server's memory: %w", err)
	}
	var rss, peak string
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			rss = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			peak = strings.TrimSpace(v)
		}
	}
	return fmt.Sprintf("RSS %s (peak %s)", rss, peak), nil
}

// authorization is a SigV4 header of the right form for a key and a
// service; its signature is never right.
func authorization(key, service string, now time.Time) string {
	return fmt.Sprintf("AWS4-HMAC-SHA256 Credential=%s/%s/us-east-1/%s/aws4_request, SignedHeaders=host;x-amz-date, Signature=%s",
		key, now.Format("20060102"), service, strings.Repeat("0", 64))
}

func floodBodies(ctx context.Context, o options, out io.Writer) error {
	const size = 1 << 20
	sendBytes := size * 95 / 100
	chunk := strings.Repeat("a", 64<<10)
	var wg sync.WaitGroup
	var refused, dialFailed atomic.Int64
	var conns []net.Conn
	var d net.Dialer
	for range o.connections {
		c, err := d.DialContext(ctx, "tcp", o.addr)
		if err != nil {
			dialFailed.Add(1)
			continue
		}
		conns = append(conns, c)
		wg.Add(1)
		go func(c net.Conn) {
			defer wg.Done()
			c.SetDeadline(time.Now().Add(o.timeout))
			now := time.Now().UTC()
			fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nX-Amz-Date: %s\r\nAuthorization: %s\r\nContent-Length: %d\r\n\r\n",
				o.addr, now.Format("20060102T150405Z"), authorization(o.accessKey, "iam", now), size)
			for sent := 0; sent < sendBytes; {
				part := chunk[:min(len(chunk), sendBytes-sent)]
				n, err := io.WriteString(c, part)
				sent += n
				if err != nil {
					// The server answered and closed: refused early.
					refused.Add(1)
					return
				}
			}
			// An answer before the body is complete is a refusal too.
			c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			if _, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
				refused.Add(1)
			}
		}(c)
	}
	wg.Wait()
	time.Sleep(500 * time.Millisecond)
	after, err := memory(o.pid)
	for _, c := range conns {
		c.Close()
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "server memory with %d connections each holding 95%% of a 1 MiB body: %s; refused before the body was complete: %d; dial failures: %d\n",
		len(conns), after, refused.Load(), dialFailed.Load())
	return nil
}

func floodLabels(ctx context.Context, o options, out io.Writer) error {
	client := &http.Client{Timeout: 10 * time.Second}
	base := "http://" + o.addr
	sent := 0
	for ; sent < o.requests && ctx.Err() == nil; sent++ {
		b := make([]byte, 8)
		rand.Read(b)
		name := hex.EncodeToString(b)
		now := time.Now().UTC()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/", strings.NewReader("Action=X"+name))
		if err != nil {
			return err
		}
		req.Header.Set("X-Amz-Date", now.Format("20060102T150405Z"))
		req.Header.Set("Authorization", authorization(o.accessKey, name, now))
		resp, err := client.Do(req)
		if err != nil {
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	after, err := memory(o.pid)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "server memory after %d requests with random service and action names: %s\n", sent, after)
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/_assumed/metrics", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("scrape metrics: %w", err)
	}
	defer resp.Body.Close()
	n, _ := io.Copy(io.Discard, resp.Body)
	fmt.Fprintf(out, "one metrics scrape: %d bytes in %v\n", n, time.Since(start).Round(time.Millisecond))
	return nil
}
