// Package eksauth is the EKS Auth service: AssumeRoleForPodIdentity, which
// the node's Pod Identity Agent calls with a pod's service-account token
// to get the credentials of the pod's association. The service principal
// pods.eks.amazonaws.com assumes the association's role; with a target
// role it then chains into the target with those credentials, as EKS
// does. It builds on STS for both assumptions.
package eksauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/google/uuid"

	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/eksauth/wire"
	"github.com/assumed-dev/assumed/internal/oidc"
	"github.com/assumed-dev/assumed/internal/sts"
)

// ServicePrincipal is the principal EKS Pod Identity assumes roles as.
const ServicePrincipal = "pods.eks.amazonaws.com"

// Credential lifetimes: EKS hands out six-hour credentials for an
// association's role, and 59 minutes when it chains into a target role
// (a chained session is limited to one hour).
const (
	roleDuration   = 6 * time.Hour
	targetDuration = 59 * time.Minute
	// firstHop is the life of the association role's session when it only
	// serves to assume the target role.
	firstHop = 15 * time.Minute
)

// Error is an EKS Auth error: its code goes in X-Amzn-ErrorType.
type Error struct {
	Status  int
	Code    string
	Message string
	// Denial is the authorization refusal behind an AccessDenied, with
	// its trace.
	Denial *authz.Denied
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Unwrap is the refusal behind the error, if any.
func (e *Error) Unwrap() error {
	if e.Denial == nil {
		return nil
	}
	return e.Denial
}

func fail(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Verifier verifies a token's signature and validity period.
type Verifier interface {
	Verify(ctx context.Context, tok *oidc.Token, now time.Time) error
}

// Service is the EKS Auth service.
type Service struct {
	dir       *directory.Directory
	sts       *sts.Service
	verifier  Verifier
	issuerURL func(*directory.Cluster) string
	now       func() time.Time
}

// New returns the service. verifier checks pod tokens (with the clusters'
// keys in memory); issuerURL gives a cluster's issuer URL.
func New(dir *directory.Directory, stsSvc *sts.Service, verifier Verifier, issuerURL func(*directory.Cluster) string) *Service {
	return &Service{dir: dir, sts: stsSvc, verifier: verifier, issuerURL: issuerURL, now: time.Now}
}

// AssumeRoleForPodIdentity exchanges a pod's service-account token for
// the credentials of its service account's association. The caller is
// the node (its credentials must allow eks-auth:AssumeRoleForPodIdentity
// on the cluster); the token must be one of the cluster's issuer, for
// the audience pods.eks.amazonaws.com, and current.
func (s *Service) AssumeRoleForPodIdentity(ctx context.Context, caller *directory.Caller, clusterName string, in *wire.AssumeRoleForPodIdentityInput) (*wire.AssumeRoleForPodIdentityOutput, error) {
	if !directory.ValidClusterName(clusterName) {
		return nil, fail(http.StatusBadRequest, wire.InvalidParameterException, "The cluster name %q is invalid.", clusterName)
	}
	if len(in.Token) < 4 || len(in.Token) > oidc.MaxTokenLength {
		return nil, fail(http.StatusBadRequest, wire.InvalidParameterException, "The token must be 4-%d characters.", oidc.MaxTokenLength)
	}
	region := caller.RegionOrDefault()
	snap := s.dir.Snapshot()
	clusterARN := "arn:aws:eks:" + region + ":" + caller.AccountID + ":cluster/" + clusterName
	if err := authz.Authorize(snap, authz.Request{Caller: caller, Action: "eks-auth:AssumeRoleForPodIdentity", Resource: clusterARN}); err != nil {
		var d *authz.Denied
		if errors.As(err, &d) {
			e := fail(http.StatusBadRequest, wire.AccessDeniedException, "%s", d.Message)
			e.Denial = d
			return nil, e
		}
		return nil, err
	}
	cluster, ok := snap.Clusters[directory.ClusterKey(caller.AccountID, region, clusterName)]
	if !ok {
		return nil, fail(http.StatusNotFound, wire.ResourceNotFoundException, "No cluster found for name: %s.", clusterName)
	}

	// The token: of this cluster's issuer, for pods, current.
	tok, err := oidc.Parse(strings.TrimSpace(in.Token))
	if err != nil {
		return nil, fail(http.StatusBadRequest, wire.InvalidTokenException, "%s", messageOf(err))
	}
	if tok.Issuer != s.issuerURL(cluster) {
		return nil, fail(http.StatusBadRequest, wire.InvalidTokenException, "The token's issuer %s is not the issuer of cluster %s.", tok.Issuer, clusterName)
	}
	if !slices.Contains(tok.Audience, wire.Audience) {
		return nil, fail(http.StatusBadRequest, wire.InvalidTokenException, "The token's audience %v does not include %s.", tok.Audience, wire.Audience)
	}
	now := s.now()
	if err := s.verifier.Verify(ctx, tok, now); err != nil {
		if oidc.KindOf(err) == oidc.KindExpired {
			return nil, fail(http.StatusBadRequest, wire.ExpiredTokenException, "%s", messageOf(err))
		}
		return nil, fail(http.StatusBadRequest, wire.InvalidTokenException, "%s", messageOf(err))
	}
	ns, sa, ok := serviceAccount(tok.Subject)
	if !ok {
		return nil, fail(http.StatusBadRequest, wire.InvalidTokenException, "The token's subject %q is not a service account (system:serviceaccount:NAMESPACE:NAME).", tok.Subject)
	}
	podName, podUID := podOf(tok)

	assoc, ok := snap.AssociationFor(directory.ClusterKey(cluster.AccountID, cluster.Region, cluster.Name), ns, sa)
	if !ok {
		return nil, fail(http.StatusNotFound, wire.ResourceNotFoundException, "No Pod Identity Association found for service account %s in namespace %s of cluster %s.", sa, ns, clusterName)
	}
	sessionName := newSessionName(clusterName, podName)

	// First assumption: the association's role, as the service.
	first := sts.ServiceAssumption{Service: ServicePrincipal, RoleARN: assoc.RoleARN, SessionName: sessionName, Duration: roleDuration}
	if !assoc.DisableSessionTags {
		first.Tags = []directory.Tag{
			{Key: "eks-cluster-arn", Value: cluster.ARN},
			{Key: "eks-cluster-name", Value: cluster.Name},
			{Key: "kubernetes-namespace", Value: ns},
			{Key: "kubernetes-service-account", Value: sa},
			{Key: "kubernetes-pod-name", Value: podName},
			{Key: "kubernetes-pod-uid", Value: podUID},
		}
		first.TransitiveTagKeys = wire.SessionTagKeys
	}
	if assoc.TargetRoleARN == "" {
		first.Policy = assoc.Policy
	} else {
		first.Duration = firstHop
	}
	sess, creds, err := s.sts.AssumeRoleAsService(ctx, caller, first)
	if err != nil {
		return nil, stsError(err, assoc.RoleARN)
	}
	out := &wire.AssumeRoleForPodIdentityOutput{
		Subject:                wire.Subject{Namespace: ns, ServiceAccount: sa},
		Audience:               wire.Audience,
		PodIdentityAssociation: wire.PodIdentityAssociation{AssociationARN: assoc.ARN, AssociationID: assoc.ID},
		AssumedRoleUser:        wire.AssumedRoleUser{ARN: sess.ARN(), AssumeRoleID: sess.RoleID + ":" + sess.SessionName},
		Credentials:            credentials(creds),
	}
	if assoc.TargetRoleARN == "" {
		return out, nil
	}

	// Second assumption: the target role, with the first role's
	// credentials, the association's external ID and, when set, its
	// policy. The session tags flow in as transitive tags.
	firstCaller := &directory.Caller{AccountID: sess.AccountID, ARN: sess.ARN(), AccessKeyID: sess.AccessKeyID, Session: sess, Region: caller.Region, SourceIP: caller.SourceIP, SecureTransport: caller.SecureTransport, RequestTime: caller.RequestTime}
	in2 := &stssdk.AssumeRoleInput{RoleArn: aws.String(assoc.TargetRoleARN), RoleSessionName: aws.String(sessionName), ExternalId: aws.String(assoc.ExternalID), DurationSeconds: aws.Int32(int32(targetDuration.Seconds()))}
	if assoc.Policy != "" {
		in2.Policy = aws.String(assoc.Policy)
	}
	target, err := s.sts.AssumeRole(ctx, firstCaller, in2)
	if err != nil {
		return nil, stsError(err, assoc.TargetRoleARN)
	}
	out.AssumedRoleUser = wire.AssumedRoleUser{ARN: aws.ToString(target.AssumedRoleUser.Arn), AssumeRoleID: aws.ToString(target.AssumedRoleUser.AssumedRoleId)}
	out.Credentials = credentials(target.Credentials)
	return out, nil
}

// stsError maps an STS refusal to EKS Auth's error.
func stsError(err error, role string) error {
	var d *authz.Denied
	errors.As(err, &d)
	if errors.Is(err, sts.ErrServiceDenied) {
		e := fail(http.StatusBadRequest, wire.AccessDeniedException, "EKS Pod Identity cannot assume role %s: %v", role, err)
		e.Denial = d
		return e
	}
	var se *sts.Error
	if errors.As(err, &se) {
		if se.Status >= 500 {
			return err
		}
		code := wire.AccessDeniedException
		if se.Code != "AccessDenied" {
			code = wire.InvalidRequestException
		}
		e := fail(http.StatusBadRequest, code, "EKS Pod Identity cannot assume role %s: %s: %s", role, se.Code, se.Message)
		e.Denial = d
		return e
	}
	return err
}

func credentials(c *ststypes.Credentials) wire.Credentials {
	return wire.Credentials{
		AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken: aws.ToString(c.SessionToken), Expiration: wire.EpochTime{Time: aws.ToTime(c.Expiration)},
	}
}

func messageOf(err error) string {
	var oe *oidc.Error
	if errors.As(err, &oe) {
		return oe.Message
	}
	return err.Error()
}

// serviceAccount splits a subject "system:serviceaccount:NS:SA".
func serviceAccount(sub string) (ns, sa string, ok bool) {
	rest, ok := strings.CutPrefix(sub, "system:serviceaccount:")
	if !ok {
		return "", "", false
	}
	ns, sa, ok = strings.Cut(rest, ":")
	return ns, sa, ok && ns != "" && sa != "" && !strings.Contains(sa, ":")
}

// podOf reads the pod's name and UID from the token's kubernetes.io
// claims ("" when the token is not bound to a pod).
func podOf(tok *oidc.Token) (name, uid string) {
	k8s, _ := tok.Claims["kubernetes.io"].(map[string]any)
	pod, _ := k8s["pod"].(map[string]any)
	name, _ = pod["name"].(string)
	uid, _ = pod["uid"].(string)
	return name, uid
}

// newSessionName is EKS's role session name, eks-CLUSTER-POD-UUID, cut to
// STS's 64 characters.
func newSessionName(cluster, pod string) string {
	if pod == "" {
		pod = "pod"
	}
	name := "eks-" + cluster + "-" + pod + "-" + uuid.NewString()
	if len(name) > 64 {
		name = name[:64]
	}
	return name
}
