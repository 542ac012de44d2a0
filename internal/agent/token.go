package agent

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/assumed-dev/assumed/internal/eksauth/wire"
)

// maxTokenBytes bounds the Authorization header the agent accepts.
const maxTokenBytes = 16 << 10

// requestToken takes the pod's token out of the Authorization header and
// does the real agent's cheap checks: present, a JWT, its exp (when it
// has one) not passed. The signature and the rest are EKS Auth's to
// verify.
func requestToken(header string, now time.Time) (string, *Error) {
	token := strings.TrimSpace(header)
	if scheme, rest, _ := strings.Cut(token, " "); strings.EqualFold(scheme, "Bearer") {
		token = strings.TrimSpace(rest) // "Bearer" alone leaves nothing
	}
	if token == "" {
		return "", &Error{Status: http.StatusBadRequest, Code: wire.InvalidRequestException, Message: "the service account token is missing: send it in the Authorization header"}
	}
	if len(token) > maxTokenBytes {
		return "", &Error{Status: http.StatusBadRequest, Code: wire.InvalidTokenException, Message: "the service account token is too long"}
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return "", &Error{Status: http.StatusBadRequest, Code: wire.InvalidTokenException, Message: "the service account token is not a JWT"}
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return "", &Error{Status: http.StatusBadRequest, Code: wire.InvalidTokenException, Message: "the service account token's payload is not base64url"}
	}
	var claims struct {
		Exp *json.Number `json:"exp"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return "", &Error{Status: http.StatusBadRequest, Code: wire.InvalidTokenException, Message: "the service account token's payload is not a JSON object"}
	}
	if claims.Exp != nil {
		exp, err := claims.Exp.Float64()
		if err != nil {
			return "", &Error{Status: http.StatusBadRequest, Code: wire.InvalidTokenException, Message: "the service account token's exp is not a number"}
		}
		if float64(now.Unix()) >= exp {
			return "", &Error{Status: http.StatusBadRequest, Code: wire.ExpiredTokenException, Message: "the service account token has expired"}
		}
	}
	return token, nil
}

// tokenKey is the cache key of a token: its SHA-256 in hex.
func tokenKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// tokenID is the part of a key that log lines carry.
func tokenID(key string) string { return key[:12] }
