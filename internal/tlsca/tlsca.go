// Package tlsca is the certificate authority of one data directory: an
// ECDSA P-256 CA that assumed generates on first use and keeps beside the
// database, and the server certificate it issues for the HTTPS listener
// (serve --tls). Clients trust the CA's certificate file (AWS_CA_BUNDLE,
// Terraform's custom_ca_bundle); EKS's certificateAuthority.data of the
// simulated clusters is the same certificate.
package tlsca

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/assumed-dev/assumed/internal/datadir"
)

// The files of the CA in a data directory.
const (
	// CertFile is the CA's certificate (PEM, mode 0644): the file to
	// trust.
	CertFile = "ca.pem"
	// KeyFile is the CA's private key (PEM, mode 0600).
	KeyFile = "ca-key.pem"
	// ServerCertFile is the listener's certificate (PEM, mode 0644),
	// issued by the CA.
	ServerCertFile = "server.pem"
	// ServerKeyFile is the listener's private key (PEM, mode 0600).
	ServerKeyFile = "server-key.pem"
)

// Lifetimes.
const (
	// CALifetime is how long a new CA certificate is valid.
	CALifetime = 10 * 365 * 24 * time.Hour
	// ServerLifetime is how long a server certificate is valid.
	ServerLifetime = 365 * 24 * time.Hour
	// RenewBefore is how long before its expiry a certificate is
	// replaced at start.
	RenewBefore = 30 * 24 * time.Hour
	// backdate covers clocks that are slightly behind.
	backdate = time.Hour
)

// CA is a data directory's certificate authority.
type CA struct {
	dir     string
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
}

// CertPath returns the path of a data directory's CA certificate.
func CertPath(dir string) string { return filepath.Join(dir, CertFile) }

// Load reads the CA of the data directory dir, creating it when there is
// none (or when the one there expires within RenewBefore: clients must
// then trust the new certificate). created reports a new CA.
func Load(dir string, now time.Time) (ca *CA, created bool, err error) {
	ca, err = read(dir)
	switch {
	case err == nil && now.Add(RenewBefore).Before(ca.cert.NotAfter):
		return ca, false, nil
	case err != nil && err != fs.ErrNotExist: // half a CA is an error
		return nil, false, err
	}
	ca, err = generate(dir, now)
	if err != nil {
		return nil, false, err
	}
	return ca, true, nil
}

// read loads the CA's certificate and key; fs.ErrNotExist when neither
// file exists.
func read(dir string) (*CA, error) {
	certPEM, certErr := os.ReadFile(filepath.Join(dir, CertFile))
	keyPEM, keyErr := os.ReadFile(filepath.Join(dir, KeyFile))
	switch {
	case errors.Is(certErr, fs.ErrNotExist) && errors.Is(keyErr, fs.ErrNotExist):
		return nil, fs.ErrNotExist
	case certErr != nil:
		return nil, fmt.Errorf("read the CA certificate (delete %s and %s to make a new CA): %w", CertFile, KeyFile, certErr)
	case keyErr != nil:
		return nil, fmt.Errorf("read the CA key (delete %s and %s to make a new CA): %w", CertFile, KeyFile, keyErr)
	}
	if err := restrict(filepath.Join(dir, KeyFile)); err != nil {
		return nil, err
	}
	cert, err := parseCert(certPEM)
	if err != nil {
		return nil, fmt.Errorf("CA certificate %s: %w", filepath.Join(dir, CertFile), err)
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("CA key %s: %w", filepath.Join(dir, KeyFile), err)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("CA key %s does not match the certificate %s", filepath.Join(dir, KeyFile), filepath.Join(dir, CertFile))
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("CA certificate %s is not a CA", filepath.Join(dir, CertFile))
	}
	return &CA{dir: dir, cert: cert, key: key, certPEM: certPEM}, nil
}

// generate makes a new CA and writes it: the key first, then the
// certificate, each replaced atomically.
func generate(dir string, now time.Time) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate the CA key: %w", err)
	}
	serial, err := serialNumber()
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	subject := pkix.Name{Organization: []string{"assumed"}, CommonName: "assumed local CA " + serial.Text(16)[:8]}
	if host != "" {
		subject.OrganizationalUnit = []string{host}
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               subject,
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(CALifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create the CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("create the CA certificate: %w", err)
	}
	keyPEM, err := marshalKey(key)
	if err != nil {
		return nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := datadir.WriteFile(filepath.Join(dir, KeyFile), keyPEM, 0o600); err != nil {
		return nil, err
	}
	if err := datadir.WriteFile(filepath.Join(dir, CertFile), certPEM, 0o644); err != nil {
		return nil, err
	}
	return &CA{dir: dir, cert: cert, key: key, certPEM: certPEM}, nil
}

// CertPEM is the CA's certificate in PEM form.
func (ca *CA) CertPEM() []byte { return bytes.Clone(ca.certPEM) }

// CertPath is the path of the CA's certificate file.
func (ca *CA) CertPath() string { return CertPath(ca.dir) }

// Certificate is the CA's certificate.
func (ca *CA) Certificate() *x509.Certificate { return ca.cert }

// Fingerprint is the SHA-256 of the CA certificate (DER), in hex.
func (ca *CA) Fingerprint() string {
	sum := sha256.Sum256(ca.cert.Raw)
	return hex.EncodeToString(sum[:])
}

// Pool is a certificate pool holding the CA alone.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// ServerNames are the names a server certificate covers for a listener:
// the listen address's host (an IP, or a name; a wildcard address is
// replaced by the machine's host name), localhost, 127.0.0.1 and ::1, and
// the hosts of extra (URLs or bare hosts, such as the public URL), without
// ports and without repeats, in that order.
func ServerNames(listen string, extra ...string) []string {
	var names []string
	var add func(h string)
	add = func(h string) {
		h = strings.ToLower(strings.Trim(h, "[]"))
		if ip := net.ParseIP(h); ip != nil {
			if ip.IsUnspecified() {
				if host, err := os.Hostname(); err == nil && host != "" {
					add(host)
				}
				return
			}
			h = ip.String()
		}
		if h != "" && !slices.Contains(names, h) {
			names = append(names, h)
		}
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		host = listen
	}
	if host == "" {
		host = "0.0.0.0" // ":4599" listens on every address
	}
	add(host)
	add("localhost")
	add("127.0.0.1")
	add("::1")
	for _, e := range extra {
		if _, rest, ok := strings.Cut(e, "://"); ok {
			e = rest
		}
		e, _, _ = strings.Cut(e, "/")
		if h, _, err := net.SplitHostPort(e); err == nil {
			e = h
		}
		add(e)
	}
	return names
}

// ServerCertificate returns the server certificate for names (IP
// addresses and DNS names), reusing the one in the data directory when
// this CA issued it, it covers exactly these names and it is valid for
// more than RenewBefore; otherwise it issues a new one (valid for
// ServerLifetime) and writes it. issued reports a new certificate.
func (ca *CA) ServerCertificate(names []string, now time.Time) (cert *tls.Certificate, issued bool, err error) {
	if len(names) == 0 {
		return nil, false, errors.New("a server certificate needs at least one name")
	}
	if c, ok := ca.readServer(names, now); ok {
		return c, false, nil
	}
	c, err := ca.issueServer(names, now)
	if err != nil {
		return nil, false, err
	}
	return c, true, nil
}

// readServer loads the stored server certificate if it is still good for
// names.
func (ca *CA) readServer(names []string, now time.Time) (*tls.Certificate, bool) {
	certPEM, err := os.ReadFile(filepath.Join(ca.dir, ServerCertFile))
	if err != nil {
		return nil, false
	}
	keyPEM, err := os.ReadFile(filepath.Join(ca.dir, ServerKeyFile))
	if err != nil {
		return nil, false
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil || restrict(filepath.Join(ca.dir, ServerKeyFile)) != nil {
		return nil, false
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil || leaf.CheckSignatureFrom(ca.cert) != nil || !now.Add(RenewBefore).Before(leaf.NotAfter) || now.Before(leaf.NotBefore) {
		return nil, false
	}
	if !slices.Equal(sortedNames(certNames(leaf)), sortedNames(names)) {
		return nil, false
	}
	pair.Leaf = leaf
	return &pair, true
}

// certNames are the IP addresses and DNS names a certificate covers.
func certNames(c *x509.Certificate) []string {
	var out []string
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	return append(out, c.DNSNames...)
}

func sortedNames(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			n = ip.String()
		}
		out = append(out, strings.ToLower(n))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// issueServer issues and writes a server certificate for names.
func (ca *CA) issueServer(names []string, now time.Time) (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate the server key: %w", err)
	}
	serial, err := serialNumber()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{Organization: []string{"assumed"}, CommonName: names[0]},
		NotBefore:    now.Add(-backdate),
		NotAfter:     now.Add(ServerLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if tmpl.NotAfter.After(ca.cert.NotAfter) {
		tmpl.NotAfter = ca.cert.NotAfter
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, fmt.Errorf("issue the server certificate: %w", err)
	}
	keyPEM, err := marshalKey(key)
	if err != nil {
		return nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := datadir.WriteFile(filepath.Join(ca.dir, ServerKeyFile), keyPEM, 0o600); err != nil {
		return nil, err
	}
	if err := datadir.WriteFile(filepath.Join(ca.dir, ServerCertFile), certPEM, 0o644); err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("issue the server certificate: %w", err)
	}
	pair.Leaf, err = x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("issue the server certificate: %w", err)
	}
	return &pair, nil
}

// serialNumber is a random 128-bit serial number.
func serialNumber() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("certificate serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}

func parseCert(b []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM CERTIFICATE block")
	}
	return x509.ParseCertificate(block.Bytes)
}

func parseKey(b []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("the key is a %T, not an ECDSA key", k)
	}
	return ek, nil
}

func marshalKey(k *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("encode key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// restrict sets a key file that its group or others may read back to
// 0600.
func restrict(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("key file %s: %w", path, err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(path, 0o600); err != nil {
			return fmt.Errorf("restrict key file %s to mode 0600: %w", path, err)
		}
	}
	return nil
}
