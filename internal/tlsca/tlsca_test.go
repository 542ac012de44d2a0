package tlsca

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestLoadCreatesOnceAndReuses(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	ca, created, err := Load(dir, now)
	if err != nil || !created {
		t.Fatalf("Load (new): created=%v err=%v", created, err)
	}
	c := ca.Certificate()
	if !c.IsCA || c.PublicKeyAlgorithm != x509.ECDSA {
		t.Errorf("CA: IsCA=%v algorithm=%v, want an ECDSA CA", c.IsCA, c.PublicKeyAlgorithm)
	}
	if life := c.NotAfter.Sub(now); life < CALifetime-time.Minute || life > CALifetime+time.Minute {
		t.Errorf("CA lifetime %v, want %v", life, CALifetime)
	}
	for name, want := range map[string]os.FileMode{CertFile: 0o644, KeyFile: 0o600} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v mode %v, want %04o", name, err, fi.Mode().Perm(), want)
		}
	}
	again, created, err := Load(dir, now.Add(time.Hour))
	if err != nil || created {
		t.Fatalf("Load (existing): created=%v err=%v", created, err)
	}
	if again.Fingerprint() != ca.Fingerprint() {
		t.Errorf("a second Load made a new CA: %s, was %s", again.Fingerprint(), ca.Fingerprint())
	}
	if ca.CertPath() != filepath.Join(dir, CertFile) {
		t.Errorf("CertPath = %s", ca.CertPath())
	}
	// Near its expiry, the CA is replaced.
	renewed, created, err := Load(dir, now.Add(CALifetime-RenewBefore/2))
	if err != nil || !created || renewed.Fingerprint() == ca.Fingerprint() {
		t.Errorf("Load near the CA's expiry: created=%v err=%v same=%v", created, err, renewed.Fingerprint() == ca.Fingerprint())
	}
}

func TestLoadRefusesHalfACA(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := Load(dir, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, KeyFile)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(dir, time.Now()); err == nil {
		t.Fatal("Load with the certificate but no key succeeded")
	}
}

func TestServerCertificate(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	ca, _, err := Load(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	names := ServerNames("127.0.0.1:4599", "https://oidc.assumed.test")
	if want := []string{"127.0.0.1", "localhost", "::1", "oidc.assumed.test"}; !slices.Equal(names, want) {
		t.Fatalf("ServerNames = %v, want %v", names, want)
	}
	cert, issued, err := ca.ServerCertificate(names, now)
	if err != nil || !issued {
		t.Fatalf("ServerCertificate: issued=%v err=%v", issued, err)
	}
	leaf := cert.Leaf
	for _, h := range []string{"127.0.0.1", "::1", "localhost", "oidc.assumed.test"} {
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: h, Roots: ca.Pool(), CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Errorf("the certificate does not verify for %s: %v", h, err)
		}
	}
	if life := leaf.NotAfter.Sub(now); life < ServerLifetime-time.Minute || life > ServerLifetime+time.Minute {
		t.Errorf("server certificate lifetime %v, want %v", life, ServerLifetime)
	}
	for name, want := range map[string]os.FileMode{ServerCertFile: 0o644, ServerKeyFile: 0o600} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v mode %v, want %04o", name, err, fi.Mode().Perm(), want)
		}
	}

	// The same names, in another order: reused.
	same, issued, err := ca.ServerCertificate([]string{"oidc.assumed.test", "::1", "localhost", "127.0.0.1"}, now.Add(time.Hour))
	if err != nil || issued || !slices.Equal(same.Certificate[0], cert.Certificate[0]) {
		t.Errorf("same names: issued=%v err=%v", issued, err)
	}
	// Other names: re-issued.
	other, issued, err := ca.ServerCertificate(ServerNames("127.0.0.1:4599"), now)
	if err != nil || !issued || slices.Contains(other.Leaf.DNSNames, "oidc.assumed.test") {
		t.Errorf("changed names: issued=%v err=%v names=%v", issued, err, other.Leaf.DNSNames)
	}
	// Near its expiry: re-issued.
	_, issued, err = ca.ServerCertificate(ServerNames("127.0.0.1:4599"), now.Add(ServerLifetime-RenewBefore/2))
	if err != nil || !issued {
		t.Errorf("near expiry: issued=%v err=%v", issued, err)
	}
	// Issued by another CA: re-issued.
	dir2 := t.TempDir()
	ca2, _, err := Load(dir2, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{ServerCertFile, ServerKeyFile} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		os.WriteFile(filepath.Join(dir2, f), b, 0o600)
	}
	if _, issued, err := ca2.ServerCertificate(ServerNames("127.0.0.1:4599"), now); err != nil || !issued {
		t.Errorf("a certificate of another CA: issued=%v err=%v", issued, err)
	}
}

func TestServerNames(t *testing.T) {
	for _, tc := range []struct {
		listen string
		extra  []string
		want   []string
	}{
		{"127.0.0.1:0", nil, []string{"127.0.0.1", "localhost", "::1"}},
		{"[::1]:4599", []string{"https://[::1]:4599"}, []string{"::1", "localhost", "127.0.0.1"}},
		{"assumed.internal:4599", []string{"https://Assumed.Example.com:8443/base"}, []string{"assumed.internal", "localhost", "127.0.0.1", "::1", "assumed.example.com"}},
		{"10.0.0.5:4599", []string{"http://10.0.0.5:4599"}, []string{"10.0.0.5", "localhost", "127.0.0.1", "::1"}},
	} {
		if got := ServerNames(tc.listen, tc.extra...); !slices.Equal(got, tc.want) {
			t.Errorf("ServerNames(%q, %q) = %v, want %v", tc.listen, tc.extra, got, tc.want)
		}
	}
	// A wildcard address is no name: the host name stands for it.
	host, _ := os.Hostname()
	if got := ServerNames("0.0.0.0:4599"); host != "" && got[0] != host {
		t.Errorf("ServerNames(0.0.0.0:4599) = %v, want the host name %s first", got, host)
	}
}
