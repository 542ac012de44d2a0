package creds

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"strconv"
)

// Prefixes of AWS identifiers. Access key IDs start with AKIA (long-term)
// or ASIA (temporary); unique IDs with a prefix naming the kind of entity.
const (
	PrefixAccessKey          = "AKIA" // long-term access key ID
	PrefixTemporaryAccessKey = "ASIA" // temporary (STS) access key ID
	PrefixUser               = "AIDA" // IAM user unique ID
	PrefixRole               = "AROA" // IAM role unique ID
	PrefixManagedPolicy      = "ANPA" // managed policy unique ID
	PrefixGroup              = "AGPA" // IAM group unique ID
	PrefixInstanceProfile    = "AIPA" // instance profile unique ID
)

const (
	accessKeyIDSuffixLen = 16 // AKIA + 16 = 20 characters, as AWS
	uniqueIDSuffixLen    = 17 // AIDA + 17 = 21 characters, as AWS
	secretKeyBytes       = 30 // 40 base64 characters, as AWS
	uniqueIDAlphabet     = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)

// NewAccessKeyID returns a random access key ID shaped like AWS's: prefix
// (PrefixAccessKey or PrefixTemporaryAccessKey) followed by 16 characters
// of [A-Z2-7], 20 in all.
func NewAccessKeyID(prefix string) (string, error) {
	if err := checkPrefix(prefix); err != nil {
		return "", fmt.Errorf("creds: new access key ID: %w", err)
	}
	b := make([]byte, accessKeyIDSuffixLen*5/8) // 80 bits, exactly 16 base32 characters
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("creds: new access key ID: %w", err)
	}
	return prefix + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b), nil
}

// accountMask selects the account ID's 40 bits in the first six bytes of
// an access key ID's decoded suffix: the layout AWS uses, so that tools
// that read the account from an AWS key ID read it from ours too.
const accountMask = 0x7fffffffff80

// NewAccessKeyIDForAccount returns an access key ID like NewAccessKeyID
// whose 80 bits carry the owning account's ID, as AWS's do: bits 7 to 46
// of the first six bytes are the account number, the rest random.
// GetAccessKeyInfo reads it back with AccountOfAccessKeyID.
func NewAccessKeyIDForAccount(prefix, accountID string) (string, error) {
	if err := checkPrefix(prefix); err != nil {
		return "", fmt.Errorf("creds: new access key ID: %w", err)
	}
	acct, err := strconv.ParseUint(accountID, 10, 64)
	if err != nil || len(accountID) != 12 {
		return "", fmt.Errorf("creds: new access key ID: account ID %q is not 12 digits", accountID)
	}
	b := make([]byte, accessKeyIDSuffixLen*5/8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("creds: new access key ID: %w", err)
	}
	var z uint64
	for _, c := range b[:6] {
		z = z<<8 | uint64(c)
	}
	z = z&^accountMask | acct<<7
	for i := 5; i >= 0; i-- {
		b[i] = byte(z)
		z >>= 8
	}
	return prefix + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b), nil
}

// AccountOfAccessKeyID reads the account ID an access key ID carries (see
// NewAccessKeyIDForAccount). Any well-formed ID yields a number, as with
// AWS; ok is false when the ID is not 20 characters of the right alphabet
// or the number is not a 12-digit account ID.
func AccountOfAccessKeyID(id string) (string, bool) {
	if len(id) != 4+accessKeyIDSuffixLen {
		return "", false
	}
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(id[4:])
	if err != nil {
		return "", false
	}
	var z uint64
	for _, c := range b[:6] {
		z = z<<8 | uint64(c)
	}
	acct := (z & accountMask) >> 7
	if acct > 999999999999 {
		return "", false
	}
	return fmt.Sprintf("%012d", acct), true
}

// NewSecretAccessKey returns a random secret access key shaped like AWS's:
// 40 characters of [A-Za-z0-9+/] carrying 240 random bits.
func NewSecretAccessKey() (string, error) {
	b := make([]byte, secretKeyBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("creds: new secret access key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// NewUniqueID returns a random unique ID shaped like AWS's: prefix (one of
// PrefixUser, PrefixRole, PrefixManagedPolicy, PrefixGroup,
// PrefixInstanceProfile) followed by 17 characters of [A-Z0-9], uniformly
// drawn, 21 in all.
func NewUniqueID(prefix string) (string, error) {
	if err := checkPrefix(prefix); err != nil {
		return "", fmt.Errorf("creds: new unique ID: %w", err)
	}
	out := make([]byte, 0, len(prefix)+uniqueIDSuffixLen)
	out = append(out, prefix...)
	buf := make([]byte, 32)
	for len(out) < cap(out) {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("creds: new unique ID: %w", err)
		}
		for _, c := range buf {
			// 252 = 7*36: rejecting larger bytes keeps every character equally likely.
			if c < 252 && len(out) < cap(out) {
				out = append(out, uniqueIDAlphabet[c%36])
			}
		}
	}
	return string(out), nil
}

// checkPrefix accepts four upper-case letters, the shape of every AWS ID
// prefix.
func checkPrefix(p string) error {
	if len(p) != 4 {
		return fmt.Errorf("prefix %q: want 4 upper-case letters", p)
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 'A' || p[i] > 'Z' {
			return fmt.Errorf("prefix %q: want 4 upper-case letters", p)
		}
	}
	return nil
}
