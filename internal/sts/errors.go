package sts

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/assumed-dev/assumed/internal/authz"
)

// Error is an STS error with AWS's code and HTTP status.
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

func validation(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "ValidationError", Message: fmt.Sprintf(format, args...)}
}

// invalidField is AWS's one-field validation message.
func invalidField(value, field, constraint string) *Error {
	return validation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, field, constraint)
}

func accessDenied(msg string) *Error {
	return &Error{Status: http.StatusForbidden, Code: "AccessDenied", Message: msg}
}

// asAccessDenied turns authorization's refusal into STS's AccessDenied;
// other errors pass through.
func asAccessDenied(err error, message ...string) error {
	var d *authz.Denied
	if errors.As(err, &d) {
		msg := d.Message
		if len(message) > 0 {
			// STS's own words for a refusal it decides before any policy.
			msg, d.Message, d.AWSMessage = message[0], message[0], message[0]
		}
		e := accessDenied(msg)
		e.Denial = d
		return e
	}
	return err
}

func malformedPolicy(msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "MalformedPolicyDocument", Message: msg}
}

// policyNotAttachable refuses a managed session policy (PolicyArns) that
// is neither AWS managed nor a policy of the role's account, or that
// does not exist: MalformedPolicyDocument, AssumeRole's error for session
// policies, with IAM's words for a policy that can't be used.
func policyNotAttachable(policyARN string) *Error {
	return malformedPolicy(fmt.Sprintf("Policy %s does not exist or is not attachable.", policyARN))
}

// ErrInvalidToken and ErrExpiredToken are the session-token failures the
// server maps to InvalidClientTokenId and ExpiredToken.
var (
	ErrInvalidToken = &Error{Status: http.StatusForbidden, Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid."}
	ErrExpiredToken = &Error{Status: http.StatusForbidden, Code: "ExpiredToken", Message: "The security token included in the request is expired"}
)

// packedTooLarge is AWS's refusal of session policies and tags whose
// packed form exceeds the budget.
func packedTooLarge(percent int) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "PackedPolicyTooLarge", Message: fmt.Sprintf("Packed policy consumes %d%% of allotted space", percent)}
}
