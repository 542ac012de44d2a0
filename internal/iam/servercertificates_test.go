package iam_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// srvCert is a certificate generated for a test, with its key.
type srvCert struct {
	cert    *x509.Certificate
	key     crypto.Signer
	certPEM string
	keyPEM  string
}

// srvCertIssue issues a certificate for cn, valid until notAfter, with a
// fresh key (RSA 2048 when rsaKey, else ECDSA P-256; PKCS #1 or PKCS #8
// PEM), signed by parent, or self-signed when parent is nil.
func srvCertIssue(t *testing.T, cn string, parent *srvCert, notAfter time.Time, rsaKey bool) *srvCert {
	t.Helper()
	var key crypto.Signer
	var keyPEM []byte
	if rsaKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		key = k
		keyPEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	} else {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		key = k
		keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn}, DNSNames: []string{cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}
	issuer, signer := tmpl, key
	if parent != nil {
		issuer, signer = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &srvCert{cert: cert, key: key, certPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), keyPEM: string(keyPEM)}
}

// srvCertNotStored fails the test if secret appears in any file of the
// data directory: private keys are sealed at rest.
func srvCertNotStored(t *testing.T, env *testenv.Env, what, secret string) {
	t.Helper()
	err := filepath.WalkDir(env.DataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s found in plain text in %s", what, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// srvCertKeyLine is a line from the middle of a PEM key: text that only a
// plain copy of the key holds.
func srvCertKeyLine(keyPEM string) string {
	lines := strings.Split(keyPEM, "\n")
	return lines[len(lines)/2]
}

func TestServerCertificateLifecycle(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	notAfter := time.Now().Add(90 * 24 * time.Hour).UTC().Truncate(time.Second)
	root := srvCertIssue(t, "Test Root CA", nil, notAfter.Add(time.Hour), false)
	inter := srvCertIssue(t, "Test Intermediate CA", root, notAfter.Add(time.Hour), false)
	leaf := srvCertIssue(t, "www.example.com", inter, notAfter, true)
	chain := inter.certPEM + root.certPEM

	before := time.Now().Add(-time.Second)
	up, err := c.UploadServerCertificate(ctx, &iam.UploadServerCertificateInput{
		ServerCertificateName: aws.String("web"), Path: aws.String("/cloudfront/test/"),
		CertificateBody: aws.String(leaf.certPEM), PrivateKey: aws.String(leaf.keyPEM), CertificateChain: aws.String(chain),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	md := up.ServerCertificateMetadata
	wantARN := "arn:aws:iam::" + testenv.AccountA + ":server-certificate/cloudfront/test/web"
	if aws.ToString(md.Arn) != wantARN || aws.ToString(md.Path) != "/cloudfront/test/" || aws.ToString(md.ServerCertificateName) != "web" {
		t.Errorf("metadata = %+v", md)
	}
	id := aws.ToString(md.ServerCertificateId)
	if !strings.HasPrefix(id, "ASCA") || len(id) != 21 {
		t.Errorf("ServerCertificateId = %q, want ASCA…", id)
	}
	if !aws.ToTime(md.Expiration).Equal(notAfter) {
		t.Errorf("Expiration = %v, want the certificate's NotAfter %v", aws.ToTime(md.Expiration), notAfter)
	}
	if u := aws.ToTime(md.UploadDate); u.Before(before) || u.After(time.Now().Add(time.Second)) {
		t.Errorf("UploadDate = %v", u)
	}
	if ipTags(up.Tags) != "team=blue" {
		t.Errorf("upload tags = %v", up.Tags)
	}
	srvCertNotStored(t, env, "the private key", srvCertKeyLine(leaf.keyPEM))

	get := func(name string) *types.ServerCertificate {
		t.Helper()
		out, err := c.GetServerCertificate(ctx, &iam.GetServerCertificateInput{ServerCertificateName: aws.String(name)})
		if err != nil {
			t.Fatalf("GetServerCertificate %s: %v", name, err)
		}
		return out.ServerCertificate
	}
	got := get("WEB") // names are case-insensitive
	if aws.ToString(got.CertificateBody) != strings.TrimSpace(leaf.certPEM) || aws.ToString(got.CertificateChain) != strings.TrimSpace(chain) {
		t.Errorf("body/chain = %q / %q", aws.ToString(got.CertificateBody), aws.ToString(got.CertificateChain))
	}
	if aws.ToString(got.ServerCertificateMetadata.ServerCertificateId) != id || ipTags(got.Tags) != "team=blue" {
		t.Errorf("GetServerCertificate = %+v", got)
	}

	// Another without a chain or path.
	other := srvCertIssue(t, "api.example.com", nil, notAfter, false)
	if _, err := c.UploadServerCertificate(ctx, &iam.UploadServerCertificateInput{ServerCertificateName: aws.String("api"), CertificateBody: aws.String(other.certPEM), PrivateKey: aws.String(other.keyPEM)}); err != nil {
		t.Fatal(err)
	}
	if got := get("api"); got.CertificateChain != nil || aws.ToString(got.ServerCertificateMetadata.Path) != "/" {
		t.Errorf("api = %+v", got)
	}
	list := func(prefix *string) string {
		t.Helper()
		out, err := c.ListServerCertificates(ctx, &iam.ListServerCertificatesInput{PathPrefix: prefix})
		if err != nil {
			t.Fatalf("ListServerCertificates: %v", err)
		}
		var names []string
		for _, m := range out.ServerCertificateMetadataList {
			names = append(names, aws.ToString(m.ServerCertificateName))
		}
		return strings.Join(names, ",")
	}
	if l := list(nil); l != "api,web" {
		t.Errorf("list = %s", l)
	}
	if l := list(aws.String("/cloudfront/")); l != "web" {
		t.Errorf("list /cloudfront/ = %s", l)
	}
	page, err := c.ListServerCertificates(ctx, &iam.ListServerCertificatesInput{MaxItems: aws.Int32(1)})
	if err != nil || !page.IsTruncated || len(page.ServerCertificateMetadataList) != 1 {
		t.Errorf("page = %+v, %v", page, err)
	}

	// Tags.
	_, err = c.TagServerCertificate(ctx, &iam.TagServerCertificateInput{ServerCertificateName: aws.String("web"), Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}})
	polMust(t, "TagServerCertificate", err)
	_, err = c.UntagServerCertificate(ctx, &iam.UntagServerCertificateInput{ServerCertificateName: aws.String("web"), TagKeys: []string{"TEAM"}})
	polMust(t, "UntagServerCertificate", err)
	tags, err := c.ListServerCertificateTags(ctx, &iam.ListServerCertificateTagsInput{ServerCertificateName: aws.String("web")})
	if err != nil || ipTags(tags.Tags) != "env=prod" {
		t.Errorf("ListServerCertificateTags = %+v, %v", tags, err)
	}

	// Rename and move: same ID, old name gone.
	_, err = c.UpdateServerCertificate(ctx, &iam.UpdateServerCertificateInput{ServerCertificateName: aws.String("web"), NewServerCertificateName: aws.String("www"), NewPath: aws.String("/elb/")})
	polMust(t, "UpdateServerCertificate", err)
	moved := get("www")
	if m := moved.ServerCertificateMetadata; aws.ToString(m.ServerCertificateId) != id || aws.ToString(m.Arn) != "arn:aws:iam::"+testenv.AccountA+":server-certificate/elb/www" || ipTags(moved.Tags) != "env=prod" {
		t.Errorf("moved = %+v", m)
	}
	_, err = c.GetServerCertificate(ctx, &iam.GetServerCertificateInput{ServerCertificateName: aws.String("web")})
	usrWant(t, "old name", err, "NoSuchEntity", "The Server Certificate with name web cannot be found.")
	_, err = c.UpdateServerCertificate(ctx, &iam.UpdateServerCertificateInput{ServerCertificateName: aws.String("www"), NewServerCertificateName: aws.String("API")})
	usrWant(t, "rename onto another", err, "EntityAlreadyExists", "The Server Certificate with name API already exists.")

	// Persistence.
	env.Restart()
	c = env.RootIAM(testenv.AccountA)
	if got := get("www"); aws.ToString(got.ServerCertificateMetadata.ServerCertificateId) != id || aws.ToString(got.CertificateBody) != strings.TrimSpace(leaf.certPEM) ||
		!aws.ToTime(got.ServerCertificateMetadata.Expiration).Equal(notAfter) || ipTags(got.Tags) != "env=prod" {
		t.Errorf("after restart = %+v", got)
	}
	srvCertNotStored(t, env, "the private key", srvCertKeyLine(leaf.keyPEM))

	for _, name := range []string{"www", "api"} {
		_, err := c.DeleteServerCertificate(ctx, &iam.DeleteServerCertificateInput{ServerCertificateName: aws.String(name)})
		polMust(t, "DeleteServerCertificate "+name, err)
	}
	_, err = c.DeleteServerCertificate(ctx, &iam.DeleteServerCertificateInput{ServerCertificateName: aws.String("www")})
	usrWant(t, "delete again", err, "NoSuchEntity", "The Server Certificate with name www cannot be found.")
	if l := list(nil); l != "" {
		t.Errorf("list after delete = %s", l)
	}
}

func TestServerCertificateErrors(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	notAfter := time.Now().Add(24 * time.Hour)
	root := srvCertIssue(t, "Root", nil, notAfter, false)
	inter := srvCertIssue(t, "Intermediate", root, notAfter, false)
	leaf := srvCertIssue(t, "leaf.example.com", inter, notAfter, false)
	stranger := srvCertIssue(t, "other.example.com", nil, notAfter, false)
	upload := func(c *iam.Client, name, body, key, chain string) error {
		in := &iam.UploadServerCertificateInput{ServerCertificateName: aws.String(name), CertificateBody: aws.String(body), PrivateKey: aws.String(key)}
		if chain != "" {
			in.CertificateChain = aws.String(chain)
		}
		_, err := c.UploadServerCertificate(ctx, in)
		return err
	}
	chainErr := "Unable to validate certificate chain. The certificate chain must start with the immediate signing certificate, followed by any intermediaries in order. The index within the chain of the invalid certificate is: "
	for _, tc := range []struct {
		what, name, body, key, chain, code, msg string
	}{
		{"garbage body", "a", "not a certificate", leaf.keyPEM, "", "MalformedCertificate", "Unable to parse certificate. Please ensure the certificate is in PEM format."},
		{"key as body", "a", leaf.keyPEM, leaf.keyPEM, "", "MalformedCertificate", "Unable to parse certificate. Please ensure the certificate is in PEM format."},
		{"two certificates as body", "a", leaf.certPEM + inter.certPEM, leaf.keyPEM, "", "MalformedCertificate", "Unable to parse certificate. Please ensure the certificate is in PEM format."},
		{"garbage key", "a", leaf.certPEM, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "", "MalformedCertificate", ""},
		{"another certificate's key", "a", leaf.certPEM, stranger.keyPEM, "", "KeyPairMismatch", "The private key does not match the public key of the certificate."},
		{"chain in the wrong order", "a", leaf.certPEM, leaf.keyPEM, root.certPEM + inter.certPEM, "MalformedCertificate", chainErr + "-1"},
		{"chain with a stranger", "a", leaf.certPEM, leaf.keyPEM, inter.certPEM + stranger.certPEM, "MalformedCertificate", chainErr + "0"},
		{"garbage chain", "a", leaf.certPEM, leaf.keyPEM, "junk", "MalformedCertificate", ""},
		{"bad name", "a b", leaf.certPEM, leaf.keyPEM, "", "ValidationError", ""},
		{"long name", strings.Repeat("n", 129), leaf.certPEM, leaf.keyPEM, "", "ValidationError", ""},
		{"body out of the character set", "a", "\x01" + leaf.certPEM, leaf.keyPEM, "", "ValidationError", ""},
	} {
		usrWant(t, tc.what, upload(c, tc.name, tc.body, tc.key, tc.chain), tc.code, tc.msg)
	}
	_, err := c.UploadServerCertificate(ctx, &iam.UploadServerCertificateInput{ServerCertificateName: aws.String("a"), Path: aws.String("nopath"), CertificateBody: aws.String(leaf.certPEM), PrivateKey: aws.String(leaf.keyPEM)})
	usrWant(t, "bad path", err, "ValidationError", "")

	polMust(t, "upload with chain", upload(c, "leaf", leaf.certPEM, leaf.keyPEM, inter.certPEM+root.certPEM))
	usrWant(t, "same name in other case", upload(c, "LEAF", stranger.certPEM, stranger.keyPEM, ""), "EntityAlreadyExists", "The Server Certificate with name LEAF already exists.")

	_, err = c.GetServerCertificate(ctx, &iam.GetServerCertificateInput{ServerCertificateName: aws.String("nope")})
	usrWant(t, "get missing", err, "NoSuchEntity", "The Server Certificate with name nope cannot be found.")
	_, err = c.ListServerCertificateTags(ctx, &iam.ListServerCertificateTagsInput{ServerCertificateName: aws.String("nope")})
	usrWant(t, "tags of missing", err, "NoSuchEntity", "")
	_, err = c.UpdateServerCertificate(ctx, &iam.UpdateServerCertificateInput{ServerCertificateName: aws.String("nope"), NewPath: aws.String("/x/")})
	usrWant(t, "update missing", err, "NoSuchEntity", "")

	// Authorization: on the certificate's ARN, tags as conditions; a
	// rename needs the new ARN too.
	_, alice := usrWithKey(t, env, "alice")
	usrWant(t, "alice uploads", upload(alice, "x", stranger.certPEM, stranger.keyPEM, ""), "AccessDenied", "")
	usrPut(t, c, "alice", "certs", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["iam:GetServerCertificate","iam:UpdateServerCertificate","iam:UploadServerCertificate"],"Resource":"arn:aws:iam::111111111111:server-certificate/alice/*"},
		{"Effect":"Allow","Action":"iam:ListServerCertificateTags","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}}]}`)
	_, err = alice.GetServerCertificate(ctx, &iam.GetServerCertificateInput{ServerCertificateName: aws.String("leaf")})
	usrWant(t, "alice reads another path", err, "AccessDenied", usrDenied("iam:GetServerCertificate", "arn:aws:iam::111111111111:server-certificate/leaf", "because no identity-based policy allows the iam:GetServerCertificate action"))
	_, err = alice.UploadServerCertificate(ctx, &iam.UploadServerCertificateInput{ServerCertificateName: aws.String("mine"), Path: aws.String("/alice/"), CertificateBody: aws.String(stranger.certPEM), PrivateKey: aws.String(stranger.keyPEM), Tags: entTag})
	polMust(t, "alice uploads under /alice/", err)
	_, err = alice.UpdateServerCertificate(ctx, &iam.UpdateServerCertificateInput{ServerCertificateName: aws.String("mine"), NewPath: aws.String("/other/")})
	usrWant(t, "alice moves it out of /alice/", err, "AccessDenied", "")
	_, err = alice.ListServerCertificateTags(ctx, &iam.ListServerCertificateTagsInput{ServerCertificateName: aws.String("mine")})
	polMust(t, "alice lists tags of a team=blue certificate", err)
	_, err = alice.ListServerCertificateTags(ctx, &iam.ListServerCertificateTagsInput{ServerCertificateName: aws.String("leaf")})
	usrWant(t, "alice lists tags of an untagged certificate", err, "AccessDenied", "")
	_, err = alice.ListServerCertificates(ctx, &iam.ListServerCertificatesInput{})
	usrWant(t, "alice lists", err, "AccessDenied", "")
	_, err = alice.DeleteServerCertificate(ctx, &iam.DeleteServerCertificateInput{ServerCertificateName: aws.String("mine")})
	usrWant(t, "alice deletes", err, "AccessDenied", "")

	// A quota of 20 per account.
	for i := range 18 {
		k := srvCertIssue(t, "q.example.com", nil, notAfter, false)
		polMust(t, "upload", upload(c, "q"+string(rune('a'+i)), k.certPEM, k.keyPEM, ""))
	}
	usrWant(t, "21st certificate", upload(c, "over", stranger.certPEM, stranger.keyPEM, ""), "LimitExceeded", "Cannot exceed quota for ServerCertificatesPerAccount: 20")
}
