package iam

import "net/http"

// Error is an IAM error with AWS's code and HTTP status.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func noSuchEntity(msg string) *Error {
	return &Error{Status: http.StatusNotFound, Code: "NoSuchEntity", Message: msg}
}
