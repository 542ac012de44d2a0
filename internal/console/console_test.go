package console_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/assumed-dev/assumed/internal/console"
)

// get fetches a path of the console mounted as the server mounts it,
// under /_assumed/console/ with the prefix stripped.
func get(t *testing.T, srv *httptest.Server, method, path string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

func serve(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.Handle("/_assumed/console/", http.StripPrefix("/_assumed/console", console.Handler()))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestHandler(t *testing.T) {
	srv := serve(t)
	res, page := get(t, srv, http.MethodGet, "/_assumed/console/", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /: %d", res.StatusCode)
	}
	for k, want := range map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Cache-Control":           "no-cache",
		"Content-Security-Policy": console.ContentSecurityPolicy,
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
	} {
		if got := res.Header.Get(k); got != want {
			t.Errorf("GET /: %s = %q, want %q", k, got, want)
		}
	}
	for _, d := range []string{"default-src 'self'", "connect-src 'self'", "script-src 'self'"} {
		if !strings.Contains(console.ContentSecurityPolicy, d) {
			t.Errorf("the policy lacks %s", d)
		}
	}
	if strings.Contains(console.ContentSecurityPolicy, "unsafe-inline") || strings.Contains(console.ContentSecurityPolicy, "unsafe-eval") {
		t.Errorf("the policy allows inline code: %s", console.ContentSecurityPolicy)
	}

	// Every script is a file of the build, by a relative URL: no inline
	// script (the policy would block it) and nothing from elsewhere.
	scripts := regexp.MustCompile(`<script[^>]*>`).FindAllString(page, -1)
	if len(scripts) == 0 {
		t.Fatal("the page has no script")
	}
	assets := regexp.MustCompile(`(?:src|href)="(\./assets/[^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(assets) < 2 {
		t.Fatalf("the page names %d assets: %s", len(assets), page)
	}
	for _, s := range scripts {
		if !strings.Contains(s, `src="./assets/`) {
			t.Errorf("script without a relative asset URL: %s", s)
		}
	}
	for _, a := range assets {
		res, body := get(t, srv, http.MethodGet, "/_assumed/console/"+strings.TrimPrefix(a[1], "./"), nil)
		if res.StatusCode != http.StatusOK || len(body) == 0 {
			t.Fatalf("GET %s: %d", a[1], res.StatusCode)
		}
		want := "text/javascript; charset=utf-8"
		if strings.HasSuffix(a[1], ".css") {
			want = "text/css; charset=utf-8"
		}
		if got := res.Header.Get("Content-Type"); got != want {
			t.Errorf("GET %s: Content-Type %q, want %q", a[1], got, want)
		}
		if got := res.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s: Cache-Control %q", a[1], got)
		}
	}

	// The page revalidates by its ETag.
	tag := res.Header.Get("ETag")
	if tag == "" {
		t.Fatal("the page has no ETag")
	}
	if res, _ := get(t, srv, http.MethodGet, "/_assumed/console/", map[string]string{"If-None-Match": tag}); res.StatusCode != http.StatusNotModified {
		t.Errorf("GET / with its ETag: %d, want 304", res.StatusCode)
	}
	if res, body := get(t, srv, http.MethodGet, "/_assumed/console/index.html", nil); res.StatusCode != http.StatusOK || body != page {
		t.Errorf("GET /index.html: %d", res.StatusCode)
	}

	// The bundled packages' licenses travel with the build.
	res, body := get(t, srv, http.MethodGet, "/_assumed/console/licenses.txt", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "cytoscape") || res.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("GET /licenses.txt: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

func TestHandlerRefuses(t *testing.T) {
	srv := serve(t)
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/_assumed/console/assets/nothing.js", http.StatusNotFound},
		{http.MethodGet, "/_assumed/console/assets", http.StatusNotFound},
		{http.MethodGet, "/_assumed/console/../../etc/passwd", http.StatusNotFound},
		{http.MethodPost, "/_assumed/console/", http.StatusMethodNotAllowed},
		{http.MethodDelete, "/_assumed/console/index.html", http.StatusMethodNotAllowed},
	} {
		res, _ := get(t, srv, tc.method, tc.path, nil)
		if res.StatusCode != tc.status {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, res.StatusCode, tc.status)
		}
		if res.Header.Get("Content-Security-Policy") == "" && res.StatusCode != http.StatusNotFound {
			t.Errorf("%s %s: no Content-Security-Policy", tc.method, tc.path)
		}
	}
	if res, _ := get(t, srv, http.MethodHead, "/_assumed/console/", nil); res.StatusCode != http.StatusOK {
		t.Errorf("HEAD /: %d", res.StatusCode)
	}
}
