package sts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/assumed-dev/assumed/arn"
	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// ServiceAssumption is an AWS service principal assuming a role on a
// workload's behalf, as EKS Pod Identity does for a pod.
type ServiceAssumption struct {
	Service     string // "pods.eks.amazonaws.com"
	RoleARN     string
	SessionName string
	// Tags are session tags the service passes; TransitiveTagKeys those
	// of them that flow down a role chain.
	Tags              []directory.Tag
	TransitiveTagKeys []string
	// Policy is an inline session policy narrowing the session.
	Policy   string
	Duration time.Duration
}

// ErrServiceDenied wraps the refusal of a service assumption; the caller
// maps it to its own error code.
var ErrServiceDenied = errors.New("the role's trust policy does not allow the service")

// serviceDenied is a refused service assumption: it is ErrServiceDenied
// and carries the refusal with its trace.
type serviceDenied struct{ d *authz.Denied }

func (e *serviceDenied) Error() string { return ErrServiceDenied.Error() + ": " + e.d.Message }

// Unwrap is both ErrServiceDenied and the refusal.
func (e *serviceDenied) Unwrap() []error { return []error{ErrServiceDenied, e.d} }

// AssumeRoleAsService creates a role session for a service principal: the
// role's trust policy alone decides sts:AssumeRole, and sts:TagSession
// when tags are passed. origin says where the request came from. The
// duration is the service's own (EKS Pod Identity: six hours), not
// limited by the role's MaxSessionDuration. A refusal wraps
// ErrServiceDenied with the explanation.
func (s *Service) AssumeRoleAsService(_ context.Context, origin *directory.Caller, in ServiceAssumption) (*directory.Session, *types.Credentials, error) {
	a, err := parseRoleARN(in.RoleARN)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s is not a role ARN", ErrServiceDenied, in.RoleARN)
	}
	snap := s.dir.Snapshot()
	role, ok := snap.RoleByARN(in.RoleARN)
	if !ok {
		return nil, nil, &serviceDenied{authz.RoleNotFound(nil, &policy.Principal{Type: arn.PrincipalService, ARN: in.Service}, in.RoleARN, "sts:AssumeRole", nil)}
	}
	ctx := policy.NewContext()
	ctx.Set("sts:RoleSessionName", in.SessionName)
	ctx.Set("aws:PrincipalType", "Service")
	ctx.Set("aws:PrincipalServiceName", in.Service)
	if origin != nil && !origin.RequestTime.IsZero() {
		ctx.SetTime(origin.RequestTime)
	}
	actions := []string{"sts:AssumeRole"}
	if len(in.Tags) > 0 {
		actions = append(actions, "sts:TagSession")
		setTagKeys(ctx, in.Tags, in.TransitiveTagKeys)
	}
	principal := &policy.Principal{Type: arn.PrincipalService, ARN: in.Service}
	if err := authz.AssumeRoleAsService(snap, principal, role, actions, ctx); err != nil {
		var d *authz.Denied
		if errors.As(err, &d) {
			return nil, nil, &serviceDenied{d}
		}
		return nil, nil, err
	}
	if in.Policy != "" {
		if _, err := policy.Parse(in.Policy, policy.Session); err != nil {
			return nil, nil, malformedPolicy(err.Error())
		}
	}
	sess := &directory.Session{
		AccountID: a.AccountID, RoleName: role.Name, RolePath: role.Path, RoleID: role.ID, SessionName: in.SessionName,
		Policy: in.Policy, Tags: in.Tags, TransitiveTagKeys: in.TransitiveTagKeys, Epoch: snap.Epoch,
	}
	c, _, err := s.startSession(sess, nil, in.Duration)
	if err != nil {
		return nil, nil, err
	}
	return sess, c, nil
}
