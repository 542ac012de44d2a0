// Package backend runs and describes the AWS-compatible server that holds
// the resources behind assumed's resource gateway: moto's server started as
// a child process on a private Unix socket, or a server already running at
// a URL or on a Unix socket (moto, LocalStack or any other AWS-compatible
// endpoint). It says where the backend is, how to reach it, what kind it
// is, and how to tell it which account a request is for.
package backend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Kind is the kind of server a backend is: it decides how a request names
// the account that owns its resources.
type Kind string

// The kinds of backend.
const (
	// Moto is moto's server: the account is named by the
	// x-moto-account-id header; signatures are not checked.
	Moto Kind = "moto"
	// LocalStack takes the account from the request's access key ID, when
	// that is a 12-digit account ID; any secret is accepted.
	LocalStack Kind = "localstack"
	// Generic is any other AWS-compatible server (or one that could not be
	// probed): requests carry both moto's header and LocalStack's access
	// key convention.
	Generic Kind = "generic"
)

// AccountHeader is the request header moto reads the account of a request
// from (moto/core/responses.py, get_current_account). It ranks below only
// the MOTO_ACCOUNT_ID environment variable, which Start removes from the
// environment of the moto_server it starts.
const AccountHeader = "x-moto-account-id"

// MotoAccessKeyID is the access key ID requests to moto are signed with.
// Moto ignores it when AccountHeader is present; it is distinctive so that
// the forwarder can strip any response header echoing it.
const MotoAccessKeyID = "AKIAASSUMEDBACKEND00"

// secretAccessKey is the secret requests to the backend are signed with.
// Neither moto nor LocalStack (by default) checks signatures.
const secretAccessKey = "assumed-backend"

// Backend is the server requests are forwarded to.
type Backend struct {
	// URL is the backend's base URL: scheme and host, no path. For a
	// backend on a Unix socket it is http://localhost: the host names no
	// address (DialContext dials the socket), but it is what requests'
	// URLs, and the Host of S3 requests, are built from; moto reads a
	// dotted Host as S3's virtual-hosted style, and localhost as path
	// style.
	URL *url.URL
	// Socket is the path of the Unix socket the backend listens on; empty
	// for a backend reached over TCP at URL. A client of the backend must
	// dial with DialContext (or use Transport), not on its own.
	Socket string
	// Kind says how requests name their account to it.
	Kind Kind

	forwarded atomic.Int64
	proc      *process // the moto_server child; nil for a backend started elsewhere
	dir       string   // the private directory of proc's socket, removed on Close
	closeOnce sync.Once
	closeErr  error
}

// Dialing the backend. DialTimeout also bounds a TLS handshake with an
// https backend.
const (
	DialTimeout   = 10 * time.Second
	dialKeepAlive = 30 * time.Second
)

// dialer dials the backend, over TCP or a Unix socket (where KeepAlive
// does not apply).
var dialer = &net.Dialer{Timeout: DialTimeout, KeepAlive: dialKeepAlive}

// DialContext connects to the backend: to its Unix socket when it has one,
// whatever network and addr say (they come from URL), else to addr over
// network (TCP). Every HTTP client of the backend must dial with it, as
// the http.Transport of Transport does.
func (b *Backend) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if b.Socket != "" {
		return dialer.DialContext(ctx, "unix", b.Socket)
	}
	return dialer.DialContext(ctx, network, addr)
}

// Transport returns a new http.Transport to the backend: it dials with
// DialContext and uses no proxy (the backend is reached directly).
func (b *Backend) Transport() *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		DialContext:         b.DialContext,
		TLSHandshakeTimeout: DialTimeout,
		IdleConnTimeout:     90 * time.Second,
	}
}

// Addr says where the backend is: unix:///PATH for one on a Unix socket,
// else its URL.
func (b *Backend) Addr() string {
	if b.Socket != "" {
		return "unix://" + b.Socket
	}
	return b.URL.String()
}

// Credentials returns the credentials to sign a request for account's
// resources with: LocalStack (and a generic backend) take the 12-digit
// account ID as the access key ID; moto gets a fixed key and the account in
// AccountHeader (see SetAccount).
func (b *Backend) Credentials(account string) aws.Credentials {
	id := account
	if b.Kind == Moto {
		id = MotoAccessKeyID
	}
	return aws.Credentials{AccessKeyID: id, SecretAccessKey: secretAccessKey, Source: "assumed backend"}
}

// SetAccount names account to the backend in h, where its kind reads it
// from a header (moto and generic backends).
func (b *Backend) SetAccount(h http.Header, account string) {
	if b.Kind != LocalStack {
		h.Set(AccountHeader, account)
	}
}

// CountForwarded records that one request was sent to the backend. The
// forwarder calls it for each request it sends.
func (b *Backend) CountForwarded() { b.forwarded.Add(1) }

// Forwarded returns how many requests have been sent to the backend: a
// request refused before forwarding does not count.
func (b *Backend) Forwarded() int64 { return b.forwarded.Load() }

// PID returns the process ID of the moto_server that Start started, or 0
// for a backend started elsewhere.
func (b *Backend) PID() int {
	if b.proc == nil {
		return 0
	}
	return b.proc.pid
}

// Done is closed when the moto_server that Start started has exited. For a
// backend started elsewhere it is nil: it never ends.
func (b *Backend) Done() <-chan struct{} {
	if b.proc == nil {
		return nil
	}
	return b.proc.done
}

// Close stops the moto_server that Start started (SIGTERM, then SIGKILL
// after a grace period), waits for it to exit and removes the private
// directory of its socket. It does nothing for a backend started
// elsewhere. It is safe to call more than once.
func (b *Backend) Close() error {
	b.closeOnce.Do(func() {
		var errs []error
		if b.proc != nil {
			errs = append(errs, b.proc.stop())
		}
		if b.dir != "" {
			if err := os.RemoveAll(b.dir); err != nil {
				errs = append(errs, fmt.Errorf("remove moto_server's socket directory: %w", err))
			}
		}
		b.closeErr = errors.Join(errs...)
	})
	return b.closeErr
}

// String describes the backend for logs: its kind and Addr.
func (b *Backend) String() string { return fmt.Sprintf("%s at %s", b.Kind, b.Addr()) }

// Start returns the backend spec names.
//
// "moto" starts moto_server (from PATH) listening on a Unix socket in a
// private directory and waits until it answers; it stops when ctx ends or
// on Close, and never outlives this process on Linux. See startMoto for
// why a socket rather than a loopback port.
//
// An http(s)://host:port URL, or unix:///PATH (an absolute path, nothing
// else) for a Unix socket, names a backend already running: it is probed
// once for its kind (LocalStack answers /_localstack/health, moto
// /moto-api/); an unreachable one is logged as a warning, not refused.
func Start(ctx context.Context, spec string, log *slog.Logger) (*Backend, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	switch {
	case spec == "moto":
		return startMoto(ctx, log)
	case strings.HasPrefix(spec, "http://") || strings.HasPrefix(spec, "https://"):
		u, err := parseURL(spec)
		if err != nil {
			return nil, err
		}
		b := &Backend{URL: u}
		b.Kind = probe(ctx, b, log)
		return b, nil
	case strings.HasPrefix(spec, "unix://"):
		path, err := parseSocket(spec)
		if err != nil {
			return nil, err
		}
		b := &Backend{URL: socketURL(), Socket: path}
		b.Kind = probe(ctx, b, log)
		return b, nil
	}
	return nil, fmt.Errorf("backend %q: want \"moto\" (start moto_server), the http(s)://host:port URL of a running backend, or unix:///PATH for one on a Unix socket", spec)
}

// socketURL is the URL of a backend on a Unix socket (see Backend.URL).
func socketURL() *url.URL { return &url.URL{Scheme: "http", Host: "localhost"} }

// maxSocketPath is the longest Unix socket path Linux takes (sun_path is
// 108 bytes, with a terminating NUL); other systems take a little less.
const maxSocketPath = 107

// parseSocket checks a unix:///PATH backend and returns PATH: absolute,
// not a directory, with no query or fragment (the path is taken as
// written, not URL-decoded, as moto_server -H and curl --unix-socket take
// it).
func parseSocket(spec string) (string, error) {
	path := strings.TrimPrefix(spec, "unix://")
	switch {
	case !filepath.IsAbs(path) || strings.HasSuffix(path, "/") || strings.ContainsAny(path, "?#"):
		return "", fmt.Errorf("backend %q: want unix:///PATH, the absolute path of a Unix socket, with no query or fragment", spec)
	case len(path) > maxSocketPath:
		return "", fmt.Errorf("backend %q: a Unix socket path is at most %d bytes", spec, maxSocketPath)
	}
	return path, nil
}

// parseURL checks a backend URL: http or https, a host, no path beyond
// "/", no query, user or fragment.
func parseURL(spec string) (*url.URL, error) {
	u, err := url.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("backend URL: %w", err)
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("backend URL %q: want http(s)://host:port, with no path, query or user", spec)
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

// probeTimeout bounds each probe of a backend at a URL.
const probeTimeout = 3 * time.Second

// probe finds the kind of b: LocalStack, moto, or generic (also when it
// does not answer, which is logged as a warning).
func probe(ctx context.Context, b *Backend, log *slog.Logger) Kind {
	tr := b.Transport()
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: probeTimeout}
	get := func(path string) (int, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.URL.String()+path, nil)
		if err != nil {
			return 0, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return resp.StatusCode, nil
	}
	status, err := get("/_localstack/health")
	if err != nil {
		log.Warn("the backend does not answer (yet): forwarded requests fail until it does", "backend", b.Addr(), "err", err)
		return Generic
	}
	if status == http.StatusOK {
		return LocalStack
	}
	if status, err := get("/moto-api/"); err == nil && status == http.StatusOK {
		return Moto
	}
	log.Info("the backend is neither LocalStack nor moto: requests name their account both ways", "backend", b.Addr())
	return Generic
}

// errNotReady says a started moto_server did not come up.
var errNotReady = errors.New("moto_server did not start")
