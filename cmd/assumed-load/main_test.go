package main

import (
	"context"
	"errors"
	"io"
	"math"
	"net/netip"
	"regexp"
	"strings"
	"sync"
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
