package iam_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// credCert returns a new self-signed certificate in PEM.
func credCert(t *testing.T, cn string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// credUploadCert uploads a signing certificate for user ("" for the
// caller), failing the test on error.
func credUploadCert(t *testing.T, c *iam.Client, user, body string) *types.SigningCertificate {
	t.Helper()
	in := &iam.UploadSigningCertificateInput{CertificateBody: aws.String(body)}
	if user != "" {
		in.UserName = aws.String(user)
	}
	out, err := c.UploadSigningCertificate(context.Background(), in)
	if err != nil {
		t.Fatalf("UploadSigningCertificate %q: %v", user, err)
	}
	return out.Certificate
}

func TestSigningCertificates(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	root := env.RootIAM(testenv.AccountA)
	usrCreate(t, root, "kim", "lee")
	kimName := aws.String("kim")

	body := credCert(t, "kim")
	c := credUploadCert(t, root, "kim", body)
	id := aws.ToString(c.CertificateId)
	if len(id) != 32 || aws.ToString(c.UserName) != "kim" || aws.ToString(c.CertificateBody) != body || c.Status != types.StatusTypeActive || c.UploadDate == nil {
		t.Fatalf("UploadSigningCertificate = %+v", c)
	}
	for _, tc := range []struct {
		name, user, body, code string
	}{
		{"the same certificate for another user", "lee", body, "DuplicateCertificate"},
		{"not PEM", "kim", "MIIB...", "MalformedCertificate"},
		{"PEM of no certificate", "kim", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "MalformedCertificate"},
		{"missing user", "nope", credCert(t, "x"), "NoSuchEntity"},
	} {
		_, err := root.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: aws.String(tc.user), CertificateBody: aws.String(tc.body)})
		usrWant(t, tc.name, err, tc.code, "")
	}
	credUploadCert(t, root, "kim", credCert(t, "kim 2"))
	_, err := root.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: kimName, CertificateBody: aws.String(credCert(t, "kim 3"))})
	usrWant(t, "third certificate", err, "LimitExceeded", "Cannot exceed quota for SigningCertificatesPerUser: 2")

	// The root user has certificates of its own.
	rc := credUploadCert(t, root, "", credCert(t, "root"))
	if rc.UserName != nil {
		t.Errorf("root's certificate has UserName %q", aws.ToString(rc.UserName))
	}
	if l, err := root.ListSigningCertificates(ctx, &iam.ListSigningCertificatesInput{}); err != nil || len(l.Certificates) != 1 || aws.ToString(l.Certificates[0].CertificateId) != aws.ToString(rc.CertificateId) {
		t.Fatalf("root's certificates = %+v, %v", l, err)
	}

	if _, err := root.UpdateSigningCertificate(ctx, &iam.UpdateSigningCertificateInput{UserName: kimName, CertificateId: aws.String(id), Status: types.StatusTypeInactive}); err != nil {
		t.Fatal(err)
	}
	_, err = root.UpdateSigningCertificate(ctx, &iam.UpdateSigningCertificateInput{UserName: aws.String("lee"), CertificateId: aws.String(id), Status: types.StatusTypeActive})
	usrWant(t, "kim's certificate under lee", err, "NoSuchEntity", "The Certificate with id "+id+" cannot be found.")

	env.Restart()
	root = env.RootIAM(testenv.AccountA)
	l, err := root.ListSigningCertificates(ctx, &iam.ListSigningCertificatesInput{UserName: kimName})
	if err != nil || len(l.Certificates) != 2 {
		t.Fatalf("after restart = %+v, %v", l, err)
	}
	for _, c := range l.Certificates {
		if aws.ToString(c.CertificateId) == id && (c.Status != types.StatusTypeInactive || aws.ToString(c.CertificateBody) != body) {
			t.Errorf("certificate after restart = %+v", c)
		}
	}
	if _, err := root.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{UserName: kimName, CertificateId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	_, err = root.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{UserName: kimName, CertificateId: aws.String(id)})
	usrWant(t, "delete again", err, "NoSuchEntity", "The Certificate with id "+id+" cannot be found.")
	// Once kim's is deleted, lee may upload that certificate.
	credUploadCert(t, root, "lee", body)
	if _, err := root.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{CertificateId: rc.CertificateId}); err != nil {
		t.Fatal(err)
	}
}
