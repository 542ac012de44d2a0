// Package backend runs and describes the AWS-compatible server that holds
// the resources behind assumed's resource gateway: moto's server started as
// a child process, or a server already running at a URL (moto, LocalStack
// or any other AWS-compatible endpoint). It says where the backend is, what
// kind it is, and how to tell it which account a request is for.
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
	// URL is the backend's base URL: scheme and host, no path.
	URL *url.URL
	// Kind says how requests name their account to it.
	Kind Kind

	forwarded atomic.Int64
	proc      *process // the moto_server child; nil for a URL backend
	closeOnce sync.Once
	closeErr  error
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
// for a backend at a URL.
func (b *Backend) PID() int {
	if b.proc == nil {
		return 0
	}
	return b.proc.pid
}

// Done is closed when the moto_server that Start started has exited. For a
// backend at a URL it is nil: it never ends.
func (b *Backend) Done() <-chan struct{} {
	if b.proc == nil {
		return nil
	}
	return b.proc.done
}

// Close stops the moto_server that Start started (SIGTERM, then SIGKILL
// after a grace period) and waits for it to exit. It does nothing for a
// backend at a URL. It is safe to call more than once.
func (b *Backend) Close() error {
	b.closeOnce.Do(func() {
		if b.proc != nil {
			b.closeErr = b.proc.stop()
		}
	})
	return b.closeErr
}

// String describes the backend for logs.
func (b *Backend) String() string { return fmt.Sprintf("%s at %s", b.Kind, b.URL) }

// Start returns the backend spec names: "moto" starts moto_server (from
// PATH) on a free loopback port and waits until it answers; it stops when
// ctx ends or on Close, and never outlives this process on Linux. An
// http(s)://host:port URL names a backend already running: it is probed
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
		b.Kind = probe(ctx, u, log)
		return b, nil
	}
	return nil, fmt.Errorf("backend %q: want \"moto\" (start moto_server) or the http(s)://host:port URL of a running backend", spec)
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

// probe finds the kind of the backend at u: LocalStack, moto, or generic
// (also when it does not answer, which is logged as a warning).
func probe(ctx context.Context, u *url.URL, log *slog.Logger) Kind {
	client := &http.Client{Timeout: probeTimeout}
	get := func(path string) (int, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String()+path, nil)
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
		log.Warn("the backend does not answer (yet): forwarded requests fail until it does", "backend", u.String(), "err", err)
		return Generic
	}
	if status == http.StatusOK {
		return LocalStack
	}
	if status, err := get("/moto-api/"); err == nil && status == http.StatusOK {
		return Moto
	}
	log.Info("the backend is neither LocalStack nor moto: requests name their account both ways", "backend", u.String())
	return Generic
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port for moto_server: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// errNotReady says a started moto_server did not come up.
var errNotReady = errors.New("moto_server did not start")
