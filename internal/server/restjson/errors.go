package restjson

import (
	"bytes"
	"fmt"
	"net/http"
	"sort"
	"strconv"
)

// Error codes this package reports.
const (
	// CodeSerializationException is the code of a request body that cannot
	// be read as the operation's input: not JSON, not a JSON object, or a
	// value of the wrong JSON type. AWS's JSON service frontends answer such
	// a body with this code and HTTP 400; it is not one of EKS's modeled
	// errors, so the SDKs surface it as a generic API error with this code.
	CodeSerializationException = "SerializationException"

	// CodeInvalidParameterException is the code of a path or query
	// parameter whose value does not parse as its member's type (SetField).
	// It is EKS's modeled error for an invalid parameter, HTTP 400.
	CodeInvalidParameterException = "InvalidParameterException"
)

// maxQuoted bounds how much of a bad value an error message repeats.
const maxQuoted = 64

// Error is a request the codec could not turn into the input type. Message
// is safe to send to the caller; write it with WriteError.
type Error struct {
	// Status is the HTTP status to answer with (400).
	Status int
	// Code is the AWS error code, such as CodeSerializationException.
	Code string
	// Message says what is wrong.
	Message string
}

// Error returns the code and the message.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// HTTPStatus returns the HTTP status to answer with.
func (e *Error) HTTPStatus() int { return e.Status }

// serializationError returns a 400 SerializationException with the message.
func serializationError(format string, args ...any) *Error {
	return &Error{
		Status:  http.StatusBadRequest,
		Code:    CodeSerializationException,
		Message: fmt.Sprintf(format, args...),
	}
}

// quote renders a value for an error message: Go-quoted, so control bytes
// stay visible, and cut to maxQuoted bytes.
func quote(s string) string {
	if len(s) > maxQuoted {
		return strconv.Quote(s[:maxQuoted]) + "…"
	}
	return strconv.Quote(s)
}

// WriteError writes an AWS REST-JSON error response: the X-Amzn-ErrorType
// header set to code (which the SDKs read to pick the error type), Content-Type
// application/json, the status, and the body {"message": message} plus the
// members in extra, such as "clusterName" for EKS's errors that carry it. An
// extra "message" key is ignored; the other keys are written in sorted order.
func WriteError(w http.ResponseWriter, status int, code, message string, extra map[string]string) {
	var b bytes.Buffer
	b.WriteString(`{"message":`)
	writeString(&b, message)
	keys := make([]string, 0, len(extra))
	for k := range extra {
		if k != "message" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteByte(',')
		writeString(&b, k)
		b.WriteByte(':')
		writeString(&b, extra[k])
	}
	b.WriteByte('}')

	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-ErrorType", code)
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	// A failed write means the client is gone; there is no one to tell.
	_, _ = w.Write(b.Bytes())
}
