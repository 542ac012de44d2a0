package tf

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"golang.org/x/crypto/ssh"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// The IAM catalogue: users with every credential, groups and memberships,
// roles, instance profiles, boundaries, managed policy versions,
// name_prefix, the exclusive policy resources, providers, certificates,
// a service-linked role, the account alias and password policy, tags on
// everything, and the data sources; applied, planned clean, changed,
// planned clean, destroyed (force_destroy users included). Then a role and
// a policy made with the SDK are brought in with terraform import.
func TestTerraformIAMCatalogue(t *testing.T) {
	t.Parallel()
	bin := requireTerraform(t)
	requireMoto(t)
	srv := testenv.StartWith(t, testenv.Options{Backend: "moto"})
	vars := map[string]string{"endpoint": srv.URL, "credentials_file": srv.DataDir + "/credentials"}

	c := newTFDir(t, bin, srv, "iam_catalogue", vars)
	writeCatalogueInputs(t, c.dir)
	c.apply()
	c.planClean()
	out := c.outputs()
	if out["account"] != testenv.AccountA || out["alias"] != "account-a-alias" {
		t.Fatalf("outputs: account %v, alias %v", out["account"], out["alias"])
	}
	if !strings.HasPrefix(out["role_arn"].(string), "arn:aws:iam::111111111111:role/app-") {
		t.Fatalf("name_prefix role: %v", out["role_arn"])
	}
	if out["slr_name"] != "AWSServiceRoleForAutoScaling_catalogue" {
		t.Fatalf("service-linked role: %v", out["slr_name"])
	}
	if got := jsonOf(out["group_members"]); got != `["alice"]` {
		t.Fatalf("group members: %s", got)
	}

	c.apply("stage=2")
	c.planClean("stage=2")
	out = c.outputs()
	if got := jsonOf(out["group_members"]); got != `["alice","bob"]` {
		t.Fatalf("group members after stage 2: %s", got)
	}
	ctx := context.Background()
	rootIAM := srv.RootIAM(testenv.AccountA)
	versions, err := rootIAM.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String("arn:aws:iam::111111111111:policy/team/read")})
	if err != nil || len(versions.Versions) != 2 {
		t.Fatalf("the read policy's versions after a change: %v, %v", versions, err)
	}
	c.destroy("stage=2")
	users, err := rootIAM.ListUsers(ctx, &iam.ListUsersInput{})
	if err != nil || len(users.Users) != 0 {
		t.Fatalf("users after destroy: %v, %v", users, err)
	}

	// Imports.
	_, err = rootIAM.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String("legacy"), Path: aws.String("/imported/"), Description: aws.String("made before Terraform"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
		Tags:                     []iamtypes.Tag{{Key: aws.String("origin"), Value: aws.String("sdk")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	pol, err := rootIAM.CreatePolicy(ctx, &iam.CreatePolicyInput{
		PolicyName:     aws.String("legacy-read"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::legacy/*"}]}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rootIAM.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("legacy"), PolicyArn: pol.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	im := newTFDir(t, bin, srv, "iam_import", vars)
	im.run("import", "aws_iam_role.legacy", "legacy")
	im.run("import", "aws_iam_policy.legacy", aws.ToString(pol.Policy.Arn))
	im.run("import", "aws_iam_role_policy_attachment.legacy", "legacy/"+aws.ToString(pol.Policy.Arn))
	im.planClean()
	im.destroy()
	if _, err := rootIAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("legacy")}); testenv.ErrorCode(err) != "NoSuchEntity" {
		t.Fatalf("the imported role after destroy: %v", err)
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// writeCatalogueInputs writes the catalogue's generated inputs into
// terraform.tfvars.json in dir: an SSH public key, a signing certificate,
// a server certificate with its key, and SAML metadata.
func writeCatalogueInputs(t *testing.T, dir string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	sshKey, err := ssh.NewPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	signing, _ := selfSigned(t, key, "alice")
	webKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	web, _ := selfSigned(t, webKey, "web.example.test")
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(webKey)})
	_, signingDER := selfSigned(t, key, "idp.example.test")
	metadata := `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.example.test/saml" validUntil="2030-01-01T00:00:00Z">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>` + base64.StdEncoding.EncodeToString(signingDER) + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.test/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
`
	vars := map[string]any{
		"ssh_public_key":      string(ssh.MarshalAuthorizedKey(sshKey)),
		"signing_certificate": signing,
		"server_certificate":  map[string]string{"body": web, "key": string(keyPEM)},
		"saml_metadata":       metadata,
	}
	b, _ := json.MarshalIndent(vars, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "terraform.tfvars.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// selfSigned returns a PEM and DER self-signed certificate for key.
func selfSigned(t *testing.T, key *rsa.PrivateKey, cn string) (string, []byte) {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(30 * 24 * time.Hour),
		DNSNames:     []string{cn},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), der
}
