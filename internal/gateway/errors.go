package gateway

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"strconv"
)

// The wire protocols of AWS services, named as botocore's service models
// name them (metadata.protocol).
const (
	ProtocolRESTXML  = "rest-xml"  // S3, CloudFront, Route 53
	ProtocolJSON     = "json"      // awsJson1.0 and 1.1: DynamoDB, SQS, ECR, KMS, Secrets Manager
	ProtocolRESTJSON = "rest-json" // Lambda, EKS, API Gateway
	ProtocolQuery    = "query"     // SNS, IAM, STS, CloudFormation
	ProtocolEC2      = "ec2"       // EC2
)

// Error is an AWS error as the gateway answers it: an HTTP status, AWS's
// error code and a message. A body reader handed to Forward may return
// one (a failed chunk signature or checksum) to choose the answer.
type Error struct {
	Status  int
	Code    string
	Message string
}

// Error returns the code and the message.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// HTTPStatus returns the HTTP status.
func (e *Error) HTTPStatus() int { return e.Status }

// ErrorCode returns AWS's error code.
func (e *Error) ErrorCode() string { return e.Code }

// ErrorMessage returns the message.
func (e *Error) ErrorMessage() string { return e.Message }

// APIError is an error that knows its wire form; other packages' errors
// (a chunk decoder's) implement it to be answered as they say.
type APIError interface {
	error
	HTTPStatus() int
	ErrorCode() string
	ErrorMessage() string
}

// AccessDenied returns the status and code AWS refuses a request with in
// protocol: S3 (rest-xml) and the Query and EC2 protocols answer 403
// AccessDenied (EC2: UnauthorizedOperation); JSON and REST-JSON services
// answer AccessDeniedException, with 400 for JSON and 403 for REST-JSON.
func AccessDenied(protocol string) (status int, code string) {
	switch protocol {
	case ProtocolJSON:
		return http.StatusBadRequest, "AccessDeniedException"
	case ProtocolRESTJSON:
		return http.StatusForbidden, "AccessDeniedException"
	case ProtocolEC2:
		return http.StatusForbidden, "UnauthorizedOperation"
	}
	return http.StatusForbidden, "AccessDenied"
}

// WriteAccessDenied writes AWS's refusal in protocol with message.
func WriteAccessDenied(w http.ResponseWriter, protocol, message, requestID string) {
	status, code := AccessDenied(protocol)
	WriteError(w, protocol, status, code, message, requestID)
}

// SetQueryError marks a JSON error for a service that also speaks the
// Query protocol (SQS): SDKs built from its Query model read the error
// code from the x-amzn-query-error header. Call it before WriteError.
func SetQueryError(h http.Header, code string, status int) {
	h.Set("x-amzn-query-error", code+";"+fault(status))
}

// WriteError writes an AWS error in protocol, as the SDKs parse it (the
// Go SDK's deserializers and botocore's parsers):
//
//   - rest-xml (S3): <Error><Code/><Message/><RequestId/></Error>, with the
//     request ID also in x-amz-request-id;
//   - json: {"__type": CODE, "message": …} and the X-Amzn-ErrorType header;
//   - rest-json: {"message": …} and the X-Amzn-ErrorType header;
//   - query: <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>;
//   - ec2: <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>.
//
// Every form also carries the request ID in x-amzn-RequestId. An unknown
// protocol is answered as query, the most widely parsed XML form.
func WriteError(w http.ResponseWriter, protocol string, status int, code, message, requestID string) {
	var body bytes.Buffer
	h := w.Header()
	// Headers a backend's answer may have left behind describe another body.
	h.Del("Content-Encoding")
	h.Del("Content-Range")
	h.Del("ETag")
	switch protocol {
	case ProtocolJSON, ProtocolRESTJSON:
		h.Set("Content-Type", "application/x-amz-json-1.1")
		if protocol == ProtocolRESTJSON {
			h.Set("Content-Type", "application/json")
		}
		h.Set("X-Amzn-ErrorType", code)
		e := struct {
			Type    string `json:"__type,omitempty"`
			Message string `json:"message"`
		}{Message: message}
		if protocol == ProtocolJSON {
			e.Type = code
		}
		// Marshalling two strings cannot fail.
		b, _ := json.Marshal(e)
		body.Write(b)
	case ProtocolRESTXML:
		h.Set("Content-Type", "application/xml")
		h.Set("x-amz-request-id", requestID)
		body.WriteString(xml.Header)
		body.WriteString("<Error><Code>")
		escape(&body, code)
		body.WriteString("</Code><Message>")
		escape(&body, message)
		body.WriteString("</Message><RequestId>")
		escape(&body, requestID)
		body.WriteString("</RequestId></Error>")
	case ProtocolEC2:
		h.Set("Content-Type", "text/xml;charset=UTF-8")
		body.WriteString(xml.Header)
		body.WriteString("<Response><Errors><Error><Code>")
		escape(&body, code)
		body.WriteString("</Code><Message>")
		escape(&body, message)
		body.WriteString("</Message></Error></Errors><RequestID>")
		escape(&body, requestID)
		body.WriteString("</RequestID></Response>")
	default:
		h.Set("Content-Type", "text/xml")
		body.WriteString("<ErrorResponse><Error><Type>")
		body.WriteString(fault(status))
		body.WriteString("</Type><Code>")
		escape(&body, code)
		body.WriteString("</Code><Message>")
		escape(&body, message)
		body.WriteString("</Message></Error><RequestId>")
		escape(&body, requestID)
		body.WriteString("</RequestId></ErrorResponse>")
	}
	if requestID != "" {
		h.Set("x-amzn-RequestId", requestID)
	}
	h.Set("Content-Length", strconv.Itoa(body.Len()))
	w.WriteHeader(status)
	w.Write(body.Bytes())
}

// WriteErr writes err in protocol: an *Error, or an error with the
// methods of APIError (smithy's), as it says; anything else as a 500
// InternalError whose details are not shown (log them).
func WriteErr(w http.ResponseWriter, protocol string, err error, requestID string) {
	e := asError(err)
	WriteError(w, protocol, e.Status, e.Code, e.Message, requestID)
}

// asError returns the wire form of err.
func asError(err error) *Error {
	var ge *Error
	var ae APIError
	switch {
	case errors.As(err, &ge):
		return ge
	case errors.As(err, &ae):
		return &Error{Status: ae.HTTPStatus(), Code: ae.ErrorCode(), Message: ae.ErrorMessage()}
	}
	return &Error{Status: http.StatusInternalServerError, Code: "InternalError", Message: "We encountered an internal error. Please try again."}
}

// fault is the Query protocol's error type for status: Sender for the
// client's faults, Receiver for the server's.
func fault(status int) string {
	if status >= 500 {
		return "Receiver"
	}
	return "Sender"
}

// escape writes s XML-escaped.
func escape(b *bytes.Buffer, s string) {
	// Writing to a bytes.Buffer cannot fail.
	_ = xml.EscapeText(b, []byte(s))
}
