package gateway

import (
	"net/http"
	"strings"
)

// WriteAuthError answers a request refused before the gateway saw it (a
// missing, malformed or failed signature, an unknown key, a body over the
// budget) in the protocol of the service it was for, with the codes that
// protocol uses for authentication failures: JSON services say
// UnrecognizedClientException where the Query protocol says
// InvalidClientTokenId, S3 says InvalidAccessKeyId. service is the signing
// name, or "" for an unsigned request, whose protocol is guessed from its
// form. It reports false, writing nothing, for a request the gateway
// would not serve: a Query or EKS request, or a service assumed serves.
func (g *Gateway) WriteAuthError(w http.ResponseWriter, r *http.Request, service string, status int, code, message, requestID string) bool {
	protocol := ""
	switch {
	case service != "":
		svcs := g.cat.BySigningName(service)
		if len(svcs) == 0 {
			return false
		}
		protocol = guessProtocol(svcs, r)
	case r.Header.Get("X-Amz-Target") != "":
		protocol = ProtocolJSON
	case isQueryForm(r):
		return false
	default:
		protocol = ProtocolRESTXML
	}
	if protocol == ProtocolQuery {
		return false
	}
	status, code, message = authCode(protocol, r, status, code, message)
	WriteError(w, protocol, status, code, message, requestID)
	return true
}

// isQueryForm reports whether an unsigned request may have the AWS Query
// protocol's shape: a POST whose body is not XML, JSON or bytes (a form,
// or untyped, as IAM and STS clients send), or an Action in the query
// string.
func isQueryForm(r *http.Request) bool {
	if r.Method == http.MethodPost {
		ct := r.Header.Get("Content-Type")
		if !strings.Contains(ct, "xml") && !strings.Contains(ct, "json") && !strings.Contains(ct, "octet-stream") {
			return true
		}
	}
	return strings.Contains(r.URL.RawQuery, "Action=")
}

// JSONCode returns the code the JSON protocols (awsJson, REST-JSON) give
// a failure the Query protocol names code: UnrecognizedClientException for
// InvalidClientTokenId, InvalidSignatureException for
// SignatureDoesNotMatch, ExpiredTokenException, ThrottlingException; any
// other code as it is.
func JSONCode(code string) string {
	switch code {
	case "InvalidClientTokenId":
		return "UnrecognizedClientException"
	case "SignatureDoesNotMatch":
		return "InvalidSignatureException"
	case "ExpiredToken":
		return "ExpiredTokenException"
	case "Throttling":
		return "ThrottlingException"
	}
	return code
}

// authCode translates an authentication failure, named as the Query
// protocol names it, into protocol's code (and S3's texts).
func authCode(protocol string, r *http.Request, status int, code, message string) (int, string, string) {
	switch protocol {
	case ProtocolJSON, ProtocolRESTJSON:
		if code == "MissingAuthenticationToken" {
			return http.StatusBadRequest, "MissingAuthenticationTokenException", "Request is missing Authentication Token"
		}
		return status, JSONCode(code), message
	case ProtocolRESTXML:
		switch code {
		case "InvalidClientTokenId":
			return http.StatusForbidden, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
		case "ExpiredToken":
			return http.StatusBadRequest, "ExpiredToken", "The provided token has expired."
		case "IncompleteSignature":
			return http.StatusBadRequest, "AuthorizationHeaderMalformed", message
		case "Throttling":
			return http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate."
		case "MissingAuthenticationToken":
			q := r.URL.Query()
			if q.Has("AWSAccessKeyId") || strings.HasPrefix(r.Header.Get("Authorization"), "AWS ") {
				return http.StatusBadRequest, "InvalidRequest", "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
			}
			return http.StatusForbidden, "AccessDenied", "Access Denied: assumed does not model anonymous access; sign the request with SigV4"
		}
	case ProtocolEC2:
		switch code {
		case "InvalidClientTokenId", "MissingAuthenticationToken", "SignatureDoesNotMatch", "IncompleteSignature":
			return http.StatusUnauthorized, "AuthFailure", message
		}
	}
	return status, code, message
}
