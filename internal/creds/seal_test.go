package creds

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestMasterKeyAndSealer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	k1, err := LoadOrCreateMasterKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("master key mode %v, want 0600", fi.Mode().Perm())
	}
	k2, err := LoadOrCreateMasterKey(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("reloaded key differs (%v)", err)
	}
	s, err := NewSealer(k1)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.Seal([]byte("secret"), "AKIAEXAMPLE")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("secret")) {
		t.Fatal("sealed value contains the plain text")
	}
	if got, err := s.Open(sealed, "AKIAEXAMPLE"); err != nil || string(got) != "secret" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := s.Open(sealed, "AKIAOTHER"); err != ErrUnseal {
		t.Fatalf("Open with other associated data = %v, want ErrUnseal", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := s.Open(sealed, "AKIAEXAMPLE"); err != ErrUnseal {
		t.Fatalf("Open of tampered value = %v, want ErrUnseal", err)
	}
	if _, err := s.Open([]byte{1, 2}, "x"); err != ErrUnseal {
		t.Fatalf("Open of short value = %v, want ErrUnseal", err)
	}
	os.WriteFile(path, []byte("short"), 0o600)
	if _, err := LoadOrCreateMasterKey(path); err == nil {
		t.Fatal("accepted a master key of the wrong size")
	}
}
