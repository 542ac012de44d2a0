package iam

import (
	"errors"
	"fmt"
	"github.com/assumed-dev/assumed/internal/authz"
	"net/http"

	"github.com/assumed-dev/assumed/policy"
)

// Error is an IAM error with AWS's code and HTTP status.
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

func noSuchEntity(format string, args ...any) *Error {
	return &Error{Status: http.StatusNotFound, Code: "NoSuchEntity", Message: fmt.Sprintf(format, args...)}
}

func entityAlreadyExists(format string, args ...any) *Error {
	return &Error{Status: http.StatusConflict, Code: "EntityAlreadyExists", Message: fmt.Sprintf(format, args...)}
}

func limitExceeded(format string, args ...any) *Error {
	return &Error{Status: http.StatusConflict, Code: "LimitExceeded", Message: fmt.Sprintf(format, args...)}
}

func deleteConflict(format string, args ...any) *Error {
	return &Error{Status: http.StatusConflict, Code: "DeleteConflict", Message: fmt.Sprintf(format, args...)}
}

func unmodifiableEntity(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "UnmodifiableEntity", Message: fmt.Sprintf(format, args...)}
}

func invalidInput(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "InvalidInput", Message: fmt.Sprintf(format, args...)}
}

func validationError(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "ValidationError", Message: fmt.Sprintf(format, args...)}
}

// policyError turns a policy parse error into IAM's error: the AWS
// message, plus where and what for people.
func policyError(err error) *Error {
	var pe *policy.Error
	if !errors.As(err, &pe) {
		return &Error{Status: http.StatusBadRequest, Code: "MalformedPolicyDocument", Message: err.Error()}
	}
	status := http.StatusBadRequest
	if pe.Code == policy.CodeLimitExceeded {
		status = http.StatusConflict
	}
	return &Error{Status: status, Code: pe.Code, Message: pe.Error()}
}
