package directory

import "time"

// SAMLProvider is an IAM SAML 2.0 identity provider: the metadata document
// an IdP published, which trust policies name by the provider's ARN as
// Principal.Federated.
type SAMLProvider struct {
	ARN  string `json:"arn"`
	Name string `json:"name"`
	// UUID is the provider's unique identifier (SAMLProviderUUID).
	UUID string `json:"uuid"`
	// Metadata is the SAML metadata document, as uploaded.
	Metadata   string    `json:"metadata"`
	CreateDate time.Time `json:"createDate"`
	// ValidUntil is the metadata's validUntil.
	ValidUntil time.Time `json:"validUntil"`
	// AssertionEncryptionMode is "Required", "Allowed", or empty when
	// never set.
	AssertionEncryptionMode string           `json:"assertionEncryptionMode,omitempty"`
	PrivateKeys             []SAMLPrivateKey `json:"privateKeys,omitempty"`
	Tags                    []Tag            `json:"tags,omitempty"`
}

// SAMLPrivateKey is a private key that decrypts a SAML provider's
// encrypted assertions. Only its sealed form is kept, in memory too: it is
// never returned.
type SAMLPrivateKey struct {
	KeyID     string    `json:"keyId"`
	Timestamp time.Time `json:"timestamp"`
	Sealed    []byte    `json:"sealed"`
}

// ServerCertificate is an IAM server certificate: a public key
// certificate, its optional chain and its private key. Only the sealed
// form of the private key is kept, in memory too: it is never returned.
type ServerCertificate struct {
	Name       string    `json:"name"`
	Path       string    `json:"path"`
	ID         string    `json:"id"` // ASCA…
	ARN        string    `json:"arn"`
	UploadDate time.Time `json:"uploadDate"`
	// Expiration is the certificate's NotAfter.
	Expiration       time.Time `json:"expiration"`
	Body             string    `json:"body"`
	Chain            string    `json:"chain,omitempty"`
	SealedPrivateKey []byte    `json:"sealedPrivateKey"`
	Tags             []Tag     `json:"tags,omitempty"`
}

// PasswordPolicy is an account's password policy for its IAM users.
type PasswordPolicy struct {
	MinimumPasswordLength      int32 `json:"minimumPasswordLength"`
	RequireSymbols             bool  `json:"requireSymbols,omitempty"`
	RequireNumbers             bool  `json:"requireNumbers,omitempty"`
	RequireUppercaseCharacters bool  `json:"requireUppercaseCharacters,omitempty"`
	RequireLowercaseCharacters bool  `json:"requireLowercaseCharacters,omitempty"`
	AllowUsersToChangePassword bool  `json:"allowUsersToChangePassword,omitempty"`
	// MaxPasswordAge is the number of days a password is valid; 0: for
	// ever.
	MaxPasswordAge int32 `json:"maxPasswordAge,omitempty"`
	// PasswordReusePrevention is the number of previous passwords that
	// can't be reused; 0: any can.
	PasswordReusePrevention int32 `json:"passwordReusePrevention,omitempty"`
	// HardExpiry, when set, says whether users whose password expired
	// need an administrator to reset it; nil when the policy never said.
	HardExpiry *bool `json:"hardExpiry,omitempty"`
}

// DeletionTask is the deletion of a service-linked role
// (DeleteServiceLinkedRole), which GetServiceLinkedRoleDeletionStatus
// reports on.
type DeletionTask struct {
	ID         string    `json:"id"`
	RoleARN    string    `json:"roleArn"`
	Status     string    `json:"status"` // SUCCEEDED or FAILED
	CreateDate time.Time `json:"createDate"`
	// InUseBy names what kept a failed deletion from deleting the role
	// (instance profile ARNs).
	InUseBy []string `json:"inUseBy,omitempty"`
}
