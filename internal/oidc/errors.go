package oidc

import (
	"errors"
	"fmt"
)

// Kind classifies a validation failure by the STS error it becomes.
type Kind int

// The kinds of validation failure.
const (
	// KindInvalid is a token that is malformed, badly signed, not yet valid,
	// or from an issuer that cannot be trusted: STS InvalidIdentityToken.
	KindInvalid Kind = iota + 1
	// KindExpired is a well-signed token past its expiry: STS
	// ExpiredTokenException.
	KindExpired
	// KindCommunication is an issuer whose discovery document or keys could
	// not be fetched or read: STS IDPCommunicationError.
	KindCommunication
)

// String returns the STS error code the kind maps to.
func (k Kind) String() string {
	switch k {
	case KindInvalid:
		return "InvalidIdentityToken"
	case KindExpired:
		return "ExpiredTokenException"
	case KindCommunication:
		return "IDPCommunicationError"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error is a token validation failure. Message explains it to the STS caller
// and never holds key material; Err, when set, is the underlying cause, for
// logs.
type Error struct {
	Kind    Kind
	Message string
	Err     error
}

// Error returns the message, followed by the cause when there is one.
func (e *Error) Error() string {
	if e == nil {
		return "<nil>"
	}
	if e.Err != nil {
		return "oidc: " + e.Message + ": " + e.Err.Error()
	}
	return "oidc: " + e.Message
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error {
	if e == nil {
		return nil
	}
	return e.Err
}

// KindOf returns the Kind of the first *Error in err's chain, or 0 when there
// is none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) && e != nil {
		return e.Kind
	}
	return 0
}

func invalid(cause error, format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Message: fmt.Sprintf(format, args...), Err: cause}
}

func communication(cause error, format string, args ...any) *Error {
	return &Error{Kind: KindCommunication, Message: fmt.Sprintf(format, args...), Err: cause}
}
