package world

import (
	"reflect"
	"testing"
)

// A clone is deep: resolving the clone's issuers leaves the original as
// it was read, and the two are equal before.
func TestCloneIsDeep(t *testing.T) {
	w, err := Parse("w.yaml", []byte(`accounts:
  - id: "111111111111"
    name: a
    policies:
      - {name: p, document: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::{{issuer a/prod}}"}]}'}
    groups:
      - name: g
        policies: {gp: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::{{issuer a/prod}}"}]}'}
    users:
      - name: u
        policies: {up: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::{{issuer a/prod}}"}]}'}
    roles:
      - name: r
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111111111111:oidc-provider/{{issuer a/prod}}"},"Action":"sts:AssumeRoleWithWebIdentity"}]}'
        policies: {rp: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::{{issuer a/prod}}"}]}'}
    oidc_providers:
      - {cluster: a/prod, client_ids: [sts.amazonaws.com]}
    clusters:
      - name: prod
        pod_identity_associations:
          - {namespace: default, service_account: web, role_arn: "arn:aws:iam::111111111111:role/r"}
`))
	if err != nil {
		t.Fatal(err)
	}
	c := w.Clone()
	if !reflect.DeepEqual(c, w) {
		t.Fatalf("the clone differs:\n%+v\n%+v", c, w)
	}
	if err := c.ResolveIssuers("w.yaml", func(string, string) (string, bool) { return "https://issuer.test/id/X", true }); err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(c, w) {
		t.Fatal("resolving changed nothing")
	}
	a := w.Accounts[0]
	for what, doc := range map[string]string{"policy": a.Policies[0].Document, "group": a.Groups[0].Policies[0].Document, "user": a.Users[0].Policies[0].Document,
		"trust": a.Roles[0].Trust, "role": a.Roles[0].Policies[0].Document} {
		if !issuerPlaceholder.MatchString(doc) {
			t.Errorf("resolving the clone changed the original's %s document: %s", what, doc)
		}
	}
	if a.OIDCProviders[0].URL != "" {
		t.Errorf("resolving the clone set the original's provider URL: %s", a.OIDCProviders[0].URL)
	}
}
