package directory

import "time"

// The credentials below belong to an IAM user, named by the user's unique
// ID (AIDA…) rather than its name: a renamed user keeps them, and a user
// deleted and re-created under the same name does not inherit them (IAM
// refuses to delete a user that still has any). Signing certificates may
// also belong to the account's root user (UserID empty).

// LoginProfile is an IAM user's console password. Only a salted hash of
// the password is kept.
type LoginProfile struct {
	UserID                string    `json:"userId"`
	CreateDate            time.Time `json:"createDate"`
	PasswordResetRequired bool      `json:"passwordResetRequired,omitempty"`
	// PasswordHash is the password's hash in PHC string form
	// ($argon2id$v=19$m=…,t=…,p=…$SALT$HASH).
	PasswordHash string `json:"passwordHash"`
}

// SSHPublicKey is an IAM user's SSH public key (for CodeCommit).
type SSHPublicKey struct {
	ID     string `json:"id"` // APKA…
	UserID string `json:"userId"`
	// Body is the key as uploaded: OpenSSH (ssh-rsa AAAA… comment) or
	// PEM.
	Body        string    `json:"body"`
	Fingerprint string    `json:"fingerprint"` // MD5, colon-separated hex
	Status      string    `json:"status"`
	UploadDate  time.Time `json:"uploadDate"`
}

// ServiceSpecificCredential is a user name and password (or an API key)
// IAM generates for one service (CodeCommit, Keyspaces, Bedrock,
// CloudWatch Logs).
type ServiceSpecificCredential struct {
	ID          string `json:"id"` // ACCA…
	UserID      string `json:"userId"`
	ServiceName string `json:"serviceName"`
	// ServiceUserName is the generated user name (user-at-ACCOUNT);
	// API keys have an Alias instead.
	ServiceUserName string `json:"serviceUserName,omitempty"`
	Alias           string `json:"alias,omitempty"`
	// SealedPassword is the password (or API key secret) encrypted at
	// rest; it is shown only when created or reset.
	SealedPassword []byte     `json:"sealedPassword"`
	Status         string     `json:"status"`
	CreateDate     time.Time  `json:"createDate"`
	ExpirationDate *time.Time `json:"expirationDate,omitempty"`
}

// SigningCertificate is an X.509 signing certificate of an IAM user or of
// the account's root user.
type SigningCertificate struct {
	ID         string    `json:"id"`
	UserID     string    `json:"userId,omitempty"` // empty: the root user
	Body       string    `json:"body"`             // PEM, as uploaded
	Status     string    `json:"status"`
	UploadDate time.Time `json:"uploadDate"`
}

// VirtualMFADevice is a virtual (TOTP) MFA device of the account, assigned
// to at most one IAM user.
type VirtualMFADevice struct {
	SerialNumber string    `json:"serialNumber"` // arn:aws:iam::ACCT:mfa/PATH+NAME
	CreateDate   time.Time `json:"createDate"`
	// SealedSeed is the TOTP seed (raw bytes) encrypted at rest.
	SealedSeed []byte `json:"sealedSeed"`
	// UserID is the user the device is enabled for; empty when
	// unassigned.
	UserID     string    `json:"userId,omitempty"`
	EnableDate time.Time `json:"enableDate,omitzero"`
	// LastStep is the latest TOTP time step (Unix time / 30) whose code
	// was accepted: a code is never accepted twice.
	LastStep int64 `json:"lastStep,omitempty"`
	Tags     []Tag `json:"tags,omitempty"`
}

// UserCredentials are an account's user credentials other than access
// keys, each map keyed as its comment says.
type UserCredentials struct {
	LoginProfiles              map[string]*LoginProfile              // by user ID
	SSHPublicKeys              map[string]*SSHPublicKey              // by key ID
	ServiceSpecificCredentials map[string]*ServiceSpecificCredential // by credential ID
	SigningCertificates        map[string]*SigningCertificate        // by certificate ID
	MFADevices                 map[string]*VirtualMFADevice          // by serial number
}

// NewUserCredentials returns empty credentials.
func NewUserCredentials() UserCredentials {
	return UserCredentials{
		LoginProfiles: map[string]*LoginProfile{}, SSHPublicKeys: map[string]*SSHPublicKey{},
		ServiceSpecificCredentials: map[string]*ServiceSpecificCredential{},
		SigningCertificates:        map[string]*SigningCertificate{}, MFADevices: map[string]*VirtualMFADevice{},
	}
}

// Clone copies the maps (not the credentials, which writers replace).
func (c UserCredentials) Clone() UserCredentials {
	return UserCredentials{
		LoginProfiles: cloneMap(c.LoginProfiles), SSHPublicKeys: cloneMap(c.SSHPublicKeys),
		ServiceSpecificCredentials: cloneMap(c.ServiceSpecificCredentials),
		SigningCertificates:        cloneMap(c.SigningCertificates), MFADevices: cloneMap(c.MFADevices),
	}
}
