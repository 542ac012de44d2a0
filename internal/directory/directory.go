// Package directory is the compiled, in-memory, read-only view of every
// account's IAM state. Requests read an immutable Snapshot through an
// atomic pointer; writers build a new Snapshot and swap it in.
package directory

import (
	"sync/atomic"
	"time"
)

// Account is an AWS account hosted by the server.
type Account struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	CreateDate time.Time `json:"createDate"`
}

// Access key statuses.
const (
	StatusActive   = "Active"
	StatusInactive = "Inactive"
)

// AccessKey is a long-term access key of an account's root user (UserName
// empty) or of an IAM user.
type AccessKey struct {
	AccessKeyID string    `json:"accessKeyId"`
	AccountID   string    `json:"accountId"`
	UserName    string    `json:"userName,omitempty"`
	Status      string    `json:"status"`
	CreateDate  time.Time `json:"createDate"`
	// SealedSecret is the secret access key encrypted at rest.
	SealedSecret []byte `json:"sealedSecret"`
	// Secret is the plain secret, present in memory only.
	Secret string `json:"-"`
}

// Snapshot is one consistent view of the directory. It must not be
// modified once published.
type Snapshot struct {
	Accounts   map[string]*Account   // by account ID
	AccessKeys map[string]*AccessKey // by access key ID
}

// NewSnapshot returns an empty snapshot.
func NewSnapshot() *Snapshot {
	return &Snapshot{Accounts: map[string]*Account{}, AccessKeys: map[string]*AccessKey{}}
}

// AccountByName returns the account with the given name.
func (s *Snapshot) AccountByName(name string) (*Account, bool) {
	for _, a := range s.Accounts {
		if a.Name == name {
			return a, true
		}
	}
	return nil, false
}

// RootKey returns the active root access key of an account.
func (s *Snapshot) RootKey(accountID string) (*AccessKey, bool) {
	for _, k := range s.AccessKeys {
		if k.AccountID == accountID && k.UserName == "" && k.Status == StatusActive {
			return k, true
		}
	}
	return nil, false
}

// Directory holds the current snapshot.
type Directory struct {
	cur atomic.Pointer[Snapshot]
}

// New returns a directory publishing s.
func New(s *Snapshot) *Directory {
	d := &Directory{}
	d.cur.Store(s)
	return d
}

// Snapshot returns the current snapshot.
func (d *Directory) Snapshot() *Snapshot { return d.cur.Load() }

// Publish makes s the current snapshot.
func (d *Directory) Publish(s *Snapshot) { d.cur.Store(s) }

// Caller is an authenticated principal making a request.
type Caller struct {
	AccountID   string
	ARN         string // arn:aws:iam::ACCT:root, arn:aws:iam::ACCT:user/path/name
	UserName    string // empty for the root user
	AccessKeyID string
}

// IsRoot reports whether the caller is the account's root user.
func (c *Caller) IsRoot() bool { return c.UserName == "" }

// CallerFor returns the principal that signs with key.
func (s *Snapshot) CallerFor(key *AccessKey) *Caller {
	c := &Caller{AccountID: key.AccountID, UserName: key.UserName, AccessKeyID: key.AccessKeyID}
	if key.UserName == "" {
		c.ARN = "arn:aws:iam::" + key.AccountID + ":root"
	} else {
		c.ARN = "arn:aws:iam::" + key.AccountID + ":user/" + key.UserName
	}
	return c
}
