package query

import (
	"fmt"
	"net/http"
)

// CodeValidationError is the AWS error code for a request whose parameters
// do not fit the operation's shape. IAM and STS answer malformed parameters
// with this code and HTTP 400.
const CodeValidationError = "ValidationError"

// Error is a request that Decode could not turn into the input type: a value
// that does not parse, a repeated key, a list index gap. It is the caller's
// fault (HTTP 400, error type Sender).
type Error struct {
	// Code is the AWS error code, CodeValidationError.
	Code string
	// Param is the form key at fault, such as "Tags.member.2.Key".
	Param string
	// Message says what is wrong, naming Param; it is safe to send.
	Message string
	// Err is the underlying parse error, if any.
	Err error
}

// Error returns the code and message.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Unwrap returns the underlying parse error, if any.
func (e *Error) Unwrap() error { return e.Err }

// HTTPStatus is the status to answer with: 400 Bad Request.
func (e *Error) HTTPStatus() int { return http.StatusBadRequest }

// invalidValue reports a value of parameter param that is not a valid want.
func invalidValue(param, value, want string, err error) *Error {
	return &Error{
		Code:    CodeValidationError,
		Param:   param,
		Message: fmt.Sprintf("Invalid value %s for parameter %s: not a valid %s.", quote(value), param, want),
		Err:     err,
	}
}

// malformed reports a parameter whose keys do not fit its shape.
func malformed(param, format string, args ...any) *Error {
	return &Error{
		Code:    CodeValidationError,
		Param:   param,
		Message: fmt.Sprintf("Malformed parameter %s: ", param) + fmt.Sprintf(format, args...),
	}
}

// maxQuoted bounds how much of a bad value an error message repeats.
const maxQuoted = 64

// quote renders a value for an error message: Go-quoted, so control bytes
// stay visible, and cut to maxQuoted bytes.
func quote(s string) string {
	if len(s) > maxQuoted {
		return fmt.Sprintf("%q…", s[:maxQuoted])
	}
	return fmt.Sprintf("%q", s)
}
