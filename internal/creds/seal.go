package creds

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// MasterKeySize is the size of the key that seals secrets at rest.
const MasterKeySize = 32

// LoadOrCreateMasterKey reads the master key at path, creating it (mode
// 0600, random) when it does not exist yet.
func LoadOrCreateMasterKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	switch {
	case err == nil:
		if len(key) != MasterKeySize {
			return nil, fmt.Errorf("master key %s: %d bytes, want %d", path, len(key), MasterKeySize)
		}
		return key, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("read master key: %w", err)
	}
	key = make([]byte, MasterKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate master key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create master key: %w", err)
	}
	if _, err := f.Write(key); err != nil {
		f.Close()
		return nil, fmt.Errorf("write master key: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("sync master key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("close master key: %w", err)
	}
	return key, nil
}

// Sealer encrypts secrets at rest with AES-256-GCM. The associated data
// binds a sealed secret to what it belongs to (an access key ID), so a
// sealed value cannot be moved to another record.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a Sealer for a MasterKeySize-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != MasterKeySize {
		return nil, fmt.Errorf("sealer: key is %d bytes, want %d", len(key), MasterKeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("sealer: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("sealer: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plain, bound to ad.
func (s *Sealer) Seal(plain []byte, ad string) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return s.aead.Seal(nonce, nonce, plain, []byte(ad)), nil
}

// ErrUnseal is returned for a sealed value that does not authenticate:
// the wrong master key, another record's value, or tampering.
var ErrUnseal = errors.New("sealed secret does not authenticate")

// Open decrypts a value sealed with ad.
func (s *Sealer) Open(sealed []byte, ad string) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, ErrUnseal
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(ad))
	if err != nil {
		return nil, ErrUnseal
	}
	return plain, nil
}
