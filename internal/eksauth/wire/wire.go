// Package wire holds the EKS Auth API's request and response shapes
// (REST-JSON, signing name eks-auth, version 2023-11-26), defined by hand
// because no Go SDK module for EKS Auth is reachable. Both the server
// (internal/eksauth) and the node agent (internal/agent) use them.
package wire

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// AssumeRoleForPodIdentityPath returns the operation's path for a
// cluster: POST /clusters/{clusterName}/assume-role-for-pod-identity.
func AssumeRoleForPodIdentityPath(cluster string) string {
	return "/clusters/" + cluster + "/assume-role-for-pod-identity"
}

// AssumeRoleForPodIdentityInput is the request body.
type AssumeRoleForPodIdentityInput struct {
	Token string `json:"token"`
}

// AssumeRoleForPodIdentityOutput is the 200 body. Every field is
// required: the EKS Pod Identity Agent dereferences them all.
type AssumeRoleForPodIdentityOutput struct {
	Subject                Subject                `json:"subject"`
	Audience               string                 `json:"audience"`
	PodIdentityAssociation PodIdentityAssociation `json:"podIdentityAssociation"`
	AssumedRoleUser        AssumedRoleUser        `json:"assumedRoleUser"`
	Credentials            Credentials            `json:"credentials"`
}

// Subject is the pod's service account.
type Subject struct {
	Namespace      string `json:"namespace"`
	ServiceAccount string `json:"serviceAccount"`
}

// PodIdentityAssociation names the association that was used.
type PodIdentityAssociation struct {
	AssociationARN string `json:"associationArn"`
	AssociationID  string `json:"associationId"`
}

// AssumedRoleUser is the session's identity; the agent derives the
// account ID from ARN.
type AssumedRoleUser struct {
	ARN          string `json:"arn"`
	AssumeRoleID string `json:"assumeRoleId"`
}

// Credentials are the temporary credentials. Expiration is in epoch
// seconds on the wire.
type Credentials struct {
	SessionToken    string    `json:"sessionToken"`
	SecretAccessKey string    `json:"secretAccessKey"`
	AccessKeyID     string    `json:"accessKeyId"`
	Expiration      EpochTime `json:"expiration"`
}

// EpochTime is a time written as epoch seconds (a JSON number), as
// REST-JSON timestamps are.
type EpochTime struct{ time.Time }

// MarshalJSON writes whole epoch seconds.
func (t EpochTime) MarshalJSON() ([]byte, error) {
	return strconv.AppendInt(nil, t.Unix(), 10), nil
}

// UnmarshalJSON reads epoch seconds, whole or fractional.
func (t *EpochTime) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("expiration must be epoch seconds: %w", err)
	}
	sec := int64(f)
	t.Time = time.Unix(sec, int64((f-float64(sec))*1e9)).UTC()
	return nil
}

// Error codes of EKS Auth, sent in X-Amzn-ErrorType with {"message": …}.
const (
	AccessDeniedException     = "AccessDeniedException"     // 400
	ExpiredTokenException     = "ExpiredTokenException"     // 400
	InvalidTokenException     = "InvalidTokenException"     // 400
	InvalidParameterException = "InvalidParameterException" // 400
	InvalidRequestException   = "InvalidRequestException"   // 400
	ResourceNotFoundException = "ResourceNotFoundException" // 404
	ThrottlingException       = "ThrottlingException"       // 429
	InternalServerException   = "InternalServerException"   // 500
)

// Audience is the audience of pod identity tokens.
const Audience = "pods.eks.amazonaws.com"

// SessionTag keys EKS Pod Identity adds (all transitive) unless the
// association disables them.
var SessionTagKeys = []string{"eks-cluster-arn", "eks-cluster-name", "kubernetes-namespace", "kubernetes-service-account", "kubernetes-pod-name", "kubernetes-pod-uid"}
