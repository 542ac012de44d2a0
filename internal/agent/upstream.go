package agent

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"

	"github.com/assumed-dev/assumed/internal/awsclient"
	"github.com/assumed-dev/assumed/internal/eksauth/wire"
)

// Upstream is EKS Auth's AssumeRoleForPodIdentity. An error answer of the
// service is an *awsclient.APIError; any other error counts as a
// transport failure.
type Upstream interface {
	AssumeRoleForPodIdentity(ctx context.Context, cluster, token string) (*wire.AssumeRoleForPodIdentityOutput, error)
}

// NewEKSAuth returns the Upstream that calls EKS Auth through c, signing
// for the service eks-auth with c's (the node's) credentials.
func NewEKSAuth(c *awsclient.Client) Upstream { return eksAuth{c: c} }

type eksAuth struct{ c *awsclient.Client }

// AssumeRoleForPodIdentity posts {"token": token} to
// /clusters/{cluster}/assume-role-for-pod-identity.
func (e eksAuth) AssumeRoleForPodIdentity(ctx context.Context, cluster, token string) (*wire.AssumeRoleForPodIdentityOutput, error) {
	var out wire.AssumeRoleForPodIdentityOutput
	path := wire.AssumeRoleForPodIdentityPath(url.PathEscape(cluster))
	if err := e.c.PostJSON(ctx, "eks-auth", path, wire.AssumeRoleForPodIdentityInput{Token: token}, &out); err != nil {
		return nil, err // an *awsclient.APIError, or a *url.Error naming the URL
	}
	return &out, nil
}

// HealthPath is what Probe asks for: the assumed server's health.
const HealthPath = "/_assumed/health"

// Probe GETs ENDPOINT/_assumed/health, unsigned: any HTTP answer means
// EKS Auth's endpoint can be reached (another AWS-compatible server may
// answer 404 there, and is reachable all the same).
func (e eksAuth) Probe(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.c.Endpoint+HealthPath, nil)
	if err != nil {
		return err
	}
	resp, err := e.c.HTTP.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	return nil
}

// transportError returns err when it is a failure to reach EKS Auth (no
// answer of the service), else nil.
func transportError(err error) error {
	var ae *awsclient.APIError
	if err == nil || errors.As(err, &ae) {
		return nil
	}
	return err
}

// failure is how an upstream error affects the cache.
type failure int

const (
	// transient failures (transport errors, 5xx, throttling) and other
	// client errors keep cached credentials in service.
	transient failure = iota
	// irrecoverable failures say the token or association is no good:
	// the entry is evicted.
	irrecoverable
)

// classify turns an upstream error into the error answered to the pod and
// its effect on the cache.
func classify(err error) (*Error, failure) {
	var ae *awsclient.APIError
	if !errors.As(err, &ae) {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return &Error{Status: http.StatusServiceUnavailable, Code: "ServiceUnavailable", Message: "EKS Auth did not answer in time", Err: err}, transient
		}
		return &Error{Status: http.StatusServiceUnavailable, Code: "ServiceUnavailable", Message: "EKS Auth is unreachable", Err: err}, transient
	}
	status := ae.Status
	if status < 400 || status > 599 {
		status = http.StatusBadGateway
	}
	msg := ae.Message
	if msg == "" {
		msg = "EKS Auth answered " + http.StatusText(ae.Status)
	}
	e := &Error{Status: status, Code: ae.Code, Message: msg, Err: err}
	switch ae.Code {
	case wire.AccessDeniedException, wire.ResourceNotFoundException, wire.InvalidTokenException, wire.ExpiredTokenException:
		return e, irrecoverable
	}
	return e, transient
}
