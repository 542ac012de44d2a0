package iam_test

import (
	"context"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/internal/testenv"
)

const samlARNPrefix = "arn:aws:iam::" + testenv.AccountA + ":saml-provider/"

// samlMetadata returns the SAML 2.0 metadata of an IdP with a fresh
// signing certificate; root is the document's root element name and
// role the descriptor's ("IDPSSODescriptor" for an IdP); validUntil, when
// set, is the descriptor's validUntil attribute.
func samlMetadata(t *testing.T, entityID, validUntil, root, role string) string {
	t.Helper()
	cert := srvCertIssue(t, "idp.example.com", nil, time.Now().Add(365*24*time.Hour), false)
	attr := ""
	if validUntil != "" {
		attr = ` validUntil="` + validUntil + `"`
	}
	doc := `<?xml version="1.0" encoding="UTF-8"?>
<!-- exported by a test IdP -->
<md:` + root + ` xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="` + entityID + `"` + attr + `>
  <md:` + role + ` WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>` + base64.StdEncoding.EncodeToString(cert.cert.Raw) + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso/redirect"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example.com/sso/post"/>
  </md:` + role + `>
</md:` + root + `>
`
	if len(doc) < 1000 {
		t.Fatalf("test metadata of %d characters: IAM wants at least 1000", len(doc))
	}
	return doc
}

// samlIdP is the metadata of an IdP with the given validUntil.
func samlIdP(t *testing.T, validUntil string) string {
	return samlMetadata(t, "https://idp.example.com/metadata", validUntil, "EntityDescriptor", "IDPSSODescriptor")
}

// samlKeyIDPattern is the shape of SAMLProviderUUID and KeyId.
var samlKeyIDPattern = regexp.MustCompile(`^[A-Z0-9]{22,64}$`)

func TestSAMLProviderLifecycle(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	doc := samlIdP(t, "2031-05-06T07:08:09.5Z")
	before := time.Now().Add(-time.Second)

	out, err := c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{
		Name: aws.String("okta"), SAMLMetadataDocument: aws.String(doc),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.SAMLProviderArn)
	if arn != samlARNPrefix+"okta" || ipTags(out.Tags) != "team=blue" {
		t.Fatalf("create = %s %v", arn, out.Tags)
	}
	on := aws.String(arn)
	got, err := c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: on})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.SAMLMetadataDocument) != doc {
		t.Errorf("document changed on the way: %q", aws.ToString(got.SAMLMetadataDocument))
	}
	if vu := aws.ToTime(got.ValidUntil); !vu.Equal(time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)) {
		t.Errorf("ValidUntil = %v, want the metadata's validUntil", vu)
	}
	if cd := aws.ToTime(got.CreateDate); cd.Before(before) || cd.After(time.Now().Add(time.Second)) {
		t.Errorf("CreateDate = %v", cd)
	}
	uuid := aws.ToString(got.SAMLProviderUUID)
	if !samlKeyIDPattern.MatchString(uuid) || ipTags(got.Tags) != "team=blue" || got.AssertionEncryptionMode != "" || len(got.PrivateKeyList) != 0 {
		t.Errorf("GetSAMLProvider = %+v", got)
	}

	// Metadata without validUntil: valid for a hundred years.
	out2, err := c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("adfs.corp-1"), SAMLMetadataDocument: aws.String(samlIdP(t, ""))})
	if err != nil {
		t.Fatal(err)
	}
	got2, err := c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: out2.SAMLProviderArn})
	if err != nil {
		t.Fatal(err)
	}
	if want := aws.ToTime(got2.CreateDate).AddDate(100, 0, 0); !aws.ToTime(got2.ValidUntil).Equal(want) {
		t.Errorf("ValidUntil without validUntil = %v, want %v", aws.ToTime(got2.ValidUntil), want)
	}

	list, err := c.ListSAMLProviders(ctx, &iam.ListSAMLProvidersInput{})
	if err != nil || len(list.SAMLProviderList) != 2 || aws.ToString(list.SAMLProviderList[0].Arn) != samlARNPrefix+"adfs.corp-1" ||
		aws.ToString(list.SAMLProviderList[1].Arn) != arn || !aws.ToTime(list.SAMLProviderList[1].ValidUntil).Equal(aws.ToTime(got.ValidUntil)) ||
		!aws.ToTime(list.SAMLProviderList[1].CreateDate).Equal(aws.ToTime(got.CreateDate)) {
		t.Errorf("ListSAMLProviders = %+v, %v", list, err)
	}

	// A new metadata document, and its validUntil.
	newDoc := samlIdP(t, "2040-01-01T00:00:00Z")
	up, err := c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: on, SAMLMetadataDocument: aws.String(newDoc)})
	if err != nil || aws.ToString(up.SAMLProviderArn) != arn {
		t.Fatalf("UpdateSAMLProvider = %+v, %v", up, err)
	}

	// Tags.
	_, err = c.TagSAMLProvider(ctx, &iam.TagSAMLProviderInput{SAMLProviderArn: on, Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}})
	polMust(t, "TagSAMLProvider", err)
	_, err = c.UntagSAMLProvider(ctx, &iam.UntagSAMLProviderInput{SAMLProviderArn: on, TagKeys: []string{"team"}})
	polMust(t, "UntagSAMLProvider", err)
	tags, err := c.ListSAMLProviderTags(ctx, &iam.ListSAMLProviderTagsInput{SAMLProviderArn: on})
	if err != nil || ipTags(tags.Tags) != "env=prod" {
		t.Errorf("ListSAMLProviderTags = %+v, %v", tags, err)
	}

	// Private keys for encrypted assertions: at most two, sealed, only
	// their IDs returned; Required needs one.
	k1, k2, k3 := srvCertIssue(t, "sp", nil, time.Now().Add(time.Hour), true), srvCertIssue(t, "sp", nil, time.Now().Add(time.Hour), false), srvCertIssue(t, "sp", nil, time.Now().Add(time.Hour), false)
	_, err = c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: on, AssertionEncryptionMode: types.AssertionEncryptionModeTypeRequired})
	usrWant(t, "Required without a key", err, "InvalidInput", "")
	_, err = c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: on, AddPrivateKey: aws.String(k1.keyPEM), AssertionEncryptionMode: types.AssertionEncryptionModeTypeRequired})
	polMust(t, "add a key", err)
	_, err = c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: on, AddPrivateKey: aws.String(k2.keyPEM)})
	polMust(t, "add a second key", err)
	_, err = c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: on, AddPrivateKey: aws.String(k3.keyPEM)})
	usrWant(t, "a third key", err, "LimitExceeded", "")
	_, err = c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: on, AddPrivateKey: aws.String("not a key")})
	usrWant(t, "a malformed key", err, "InvalidInput", "")
	srvCertNotStored(t, env, "a SAML private key", srvCertKeyLine(k1.keyPEM))

	// Persistence.
	env.Restart()
	c = env.RootIAM(testenv.AccountA)
	got, err = c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: on})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.SAMLMetadataDocument) != newDoc || !aws.ToTime(got.ValidUntil).Equal(time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC)) ||
		aws.ToString(got.SAMLProviderUUID) != uuid || ipTags(got.Tags) != "env=prod" || got.AssertionEncryptionMode != types.AssertionEncryptionModeTypeRequired || len(got.PrivateKeyList) != 2 {
		t.Fatalf("after restart: %+v", got)
	}
	for _, k := range got.PrivateKeyList {
		if !samlKeyIDPattern.MatchString(aws.ToString(k.KeyId)) || aws.ToTime(k.Timestamp).IsZero() {
			t.Errorf("private key = %+v", k)
		}
	}
	first, second := got.PrivateKeyList[0].KeyId, got.PrivateKeyList[1].KeyId
	_, err = c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: on, RemovePrivateKey: first})
	polMust(t, "remove a key", err)
	_, err = c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: on, RemovePrivateKey: first})
	usrWant(t, "remove it again", err, "InvalidInput", "")
	_, err = c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: on, RemovePrivateKey: second})
	usrWant(t, "remove the last key while Required", err, "InvalidInput", "")
	_, err = c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: on, RemovePrivateKey: second, AssertionEncryptionMode: types.AssertionEncryptionModeTypeAllowed})
	polMust(t, "remove the last key, encryption allowed", err)

	for _, a := range []*string{on, out2.SAMLProviderArn} {
		_, err = c.DeleteSAMLProvider(ctx, &iam.DeleteSAMLProviderInput{SAMLProviderArn: a})
		polMust(t, "DeleteSAMLProvider", err)
	}
	_, err = c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: on})
	usrWant(t, "get deleted", err, "NoSuchEntity", "Manifest not found for arn "+arn)
	_, err = c.DeleteSAMLProvider(ctx, &iam.DeleteSAMLProviderInput{SAMLProviderArn: on})
	usrWant(t, "delete again", err, "NoSuchEntity", "Manifest not found for arn "+arn)
	env.Restart()
	list, err = env.RootIAM(testenv.AccountA).ListSAMLProviders(ctx, &iam.ListSAMLProvidersInput{})
	if err != nil || len(list.SAMLProviderList) != 0 {
		t.Errorf("after delete and restart: %+v, %v", list, err)
	}
}

func TestSAMLProviderErrors(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	good := samlIdP(t, "")
	create := func(c *iam.Client, name, doc string) error {
		_, err := c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String(name), SAMLMetadataDocument: aws.String(doc)})
		return err
	}
	pad := "<!--" + strings.Repeat("x", 1000) + "-->"
	for _, tc := range []struct {
		what, name, doc, code, msg string
	}{
		{"short document", "p", "<md:EntityDescriptor/>", "ValidationError", "1 validation error detected: Value at 'sAMLMetadataDocument' failed to satisfy constraint: Member must have length greater than or equal to 1000"},
		{"not XML", "p", strings.Repeat("not xml ", 200), "InvalidInput", "Could not parse metadata"},
		{"unclosed XML", "p", strings.TrimSuffix(strings.TrimSpace(good), "</md:EntityDescriptor>"), "InvalidInput", "Could not parse metadata"},
		{"a service provider's metadata", "p", samlMetadata(t, "https://sp.example.com", "", "EntityDescriptor", "SPSSODescriptor"), "InvalidInput", "Could not parse metadata"},
		{"an EntitiesDescriptor", "p", samlMetadata(t, "https://idp.example.com", "", "EntitiesDescriptor", "IDPSSODescriptor"), "InvalidInput", "Could not parse metadata"},
		{"no entityID", "p", samlMetadata(t, "", "", "EntityDescriptor", "IDPSSODescriptor"), "InvalidInput", "Could not parse metadata"},
		{"a bad validUntil", "p", samlIdP(t, "next tuesday"), "InvalidInput", "Could not parse metadata"},
		{"a second root element", "p", good + "<md:EntityDescriptor/>", "InvalidInput", "Could not parse metadata"},
		{"other XML", "p", `<?xml version="1.0"?><html><body>` + pad + `</body></html>`, "InvalidInput", "Could not parse metadata"},
		{"a name with a space", "a b", good, "ValidationError", ""},
		{"a name with +", "a+b", good, "ValidationError", ""},
		{"a long name", strings.Repeat("n", 129), good, "ValidationError", ""},
	} {
		usrWant(t, tc.what, create(c, tc.name, tc.doc), tc.code, tc.msg)
	}
	polMust(t, "create", create(c, "idp", good))
	usrWant(t, "create again", create(c, "idp", good), "EntityAlreadyExists", "")

	_, err := c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("x"), SAMLMetadataDocument: aws.String(good), AssertionEncryptionMode: "Sometimes"})
	usrWant(t, "unknown encryption mode", err, "ValidationError", "")
	_, err = c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String("arn:aws")})
	usrWant(t, "short ARN", err, "ValidationError", "")
	missing := samlARNPrefix + "nope"
	_, err = c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(missing)})
	usrWant(t, "get missing", err, "NoSuchEntity", "Manifest not found for arn "+missing)
	_, err = c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(missing), SAMLMetadataDocument: aws.String(good)})
	usrWant(t, "update missing", err, "NoSuchEntity", "")
	_, err = c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(samlARNPrefix + "idp"), SAMLMetadataDocument: aws.String("<bad/>" + pad)})
	usrWant(t, "update with bad metadata", err, "InvalidInput", "Could not parse metadata")
	_, err = c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(samlARNPrefix + "idp"), RemovePrivateKey: aws.String("short")})
	usrWant(t, "malformed key ID", err, "ValidationError", "")
	// Another account's provider is another account's resource.
	_, err = env.RootIAM(testenv.AccountB).GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(samlARNPrefix + "idp")})
	usrWant(t, "another account's provider", err, "AccessDenied", "")

	// Authorization on the provider's ARN, with its tags.
	_, alice := usrWithKey(t, env, "alice")
	usrWant(t, "alice creates", create(alice, "mine", good), "AccessDenied", usrDenied("iam:CreateSAMLProvider", samlARNPrefix+"mine", "because no identity-based policy allows the iam:CreateSAMLProvider action"))
	usrPut(t, c, "alice", "saml", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"iam:CreateSAMLProvider","Resource":"arn:aws:iam::111111111111:saml-provider/alice-*","Condition":{"StringEquals":{"aws:RequestTag/team":"blue"}}},
		{"Effect":"Allow","Action":["iam:GetSAMLProvider","iam:DeleteSAMLProvider"],"Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}}]}`)
	_, err = alice.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("alice-idp"), SAMLMetadataDocument: aws.String(good)})
	usrWant(t, "alice creates without the tag", err, "AccessDenied", "")
	_, err = alice.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("alice-idp"), SAMLMetadataDocument: aws.String(good), Tags: entTag})
	polMust(t, "alice creates with the tag", err)
	_, err = alice.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(samlARNPrefix + "alice-idp")})
	polMust(t, "alice reads a team=blue provider", err)
	_, err = alice.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(samlARNPrefix + "idp")})
	usrWant(t, "alice reads an untagged provider", err, "AccessDenied", "")
	_, err = alice.ListSAMLProviders(ctx, &iam.ListSAMLProvidersInput{})
	usrWant(t, "alice lists", err, "AccessDenied", "")
	_, err = alice.DeleteSAMLProvider(ctx, &iam.DeleteSAMLProviderInput{SAMLProviderArn: aws.String(samlARNPrefix + "alice-idp")})
	polMust(t, "alice deletes a team=blue provider", err)
}
