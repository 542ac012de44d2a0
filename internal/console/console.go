// Package console serves the web console's static files (the graph, the
// findings and explain, built from console/ at the repository root into
// dist/ and embedded here), with the headers a page holding a console
// token needs: a strict Content-Security-Policy, no caching of the page
// itself and long caching of its content-hashed assets.
package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed dist
var dist embed.FS

// ContentSecurityPolicy is the policy every answer carries: scripts,
// styles and API calls from the console's own origin only, no inline
// script, no framing.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// contentTypes are the types of the files the build writes, set here so
// that they don't depend on the machine's MIME tables.
var contentTypes = map[string]string{
	".html":  "text/html; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".json":  "application/json",
	".woff2": "font/woff2",
	".txt":   "text/plain; charset=utf-8",
}

// Handler serves the console's files with the console's prefix
// (/_assumed/console/) already stripped: "/" and "/index.html" are the
// page, "/assets/…" its scripts and styles. Only GET and HEAD are served.
func Handler() http.Handler {
	files, err := fs.Sub(dist, "dist")
	if err != nil {
		return broken("console: " + err.Error())
	}
	index, err := fs.ReadFile(files, "index.html")
	if err != nil {
		return broken("console: the embedded build has no index.html: run npm ci && npm run build in console/")
	}
	sum := sha256.Sum256(index)
	return handler{files: files, index: index, indexTag: `"` + hex.EncodeToString(sum[:8]) + `"`}
}

// broken answers every request with 503 and why: a binary built without
// the console's files.
func broken(msg string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, msg, http.StatusServiceUnavailable)
	})
}

type handler struct {
	files    fs.FS
	index    []byte
	indexTag string
}

// modTime is the time the console's files claim: none, so that caches
// revalidate by content (the assets' names carry their hashes).
var modTime time.Time

func (h handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", ContentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" || name == "index.html" {
		hd.Set("Content-Type", contentTypes[".html"])
		hd.Set("Cache-Control", "no-cache")
		hd.Set("ETag", h.indexTag)
		http.ServeContent(w, r, "index.html", modTime, bytes.NewReader(h.index))
		return
	}
	b, err := fs.ReadFile(h.files, name)
	if err != nil {
		hd.Set("Cache-Control", "no-store")
		http.NotFound(w, r)
		return
	}
	if ct, ok := contentTypes[path.Ext(name)]; ok {
		hd.Set("Content-Type", ct)
	} else {
		hd.Set("Content-Type", "application/octet-stream")
	}
	if strings.HasPrefix(name, "assets/") {
		// Vite names every asset by its content's hash.
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, name, modTime, bytes.NewReader(b))
}
