package oidc

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

const builtinIssuer = "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"

func TestSignParseVerifyLocal(t *testing.T) {
	testKeys(t)
	ks := sharedKeySet
	v := NewVerifier(VerifierConfig{Local: localOnly(builtinIssuer, ks.JWKS)})

	tests := []struct {
		name     string
		tok      ServiceAccountToken
		wantK8s  string // the "kubernetes.io" claim, as JSON
		wantAuds []string
	}{{
		name: "service account only",
		tok: ServiceAccountToken{
			Issuer: builtinIssuer, Audience: []string{"sts.amazonaws.com"},
			Namespace: "default", ServiceAccount: "app", ServiceAccountUID: "uid-sa",
			IssuedAt: t0, Expiry: t0.Add(24 * time.Hour),
		},
		wantK8s:  `{"namespace":"default","serviceaccount":{"name":"app","uid":"uid-sa"}}`,
		wantAuds: []string{"sts.amazonaws.com"},
	}, {
		name: "bound to a pod on a node",
		tok: ServiceAccountToken{
			Issuer: builtinIssuer, Audience: []string{"sts.amazonaws.com", "other"},
			Namespace: "prod", ServiceAccount: "web", ServiceAccountUID: "uid-sa",
			PodName: "web-7d9f", PodUID: "uid-pod", NodeName: "ip-10-0-0-1", NodeUID: "uid-node",
			IssuedAt: t0, Expiry: t0.Add(time.Hour),
		},
		wantK8s:  `{"namespace":"prod","node":{"name":"ip-10-0-0-1","uid":"uid-node"},"pod":{"name":"web-7d9f","uid":"uid-pod"},"serviceaccount":{"name":"web","uid":"uid-sa"}}`,
		wantAuds: []string{"sts.amazonaws.com", "other"},
	}, {
		name: "pod without node",
		tok: ServiceAccountToken{
			Issuer: builtinIssuer, Audience: []string{"sts.amazonaws.com"},
			Namespace: "prod", ServiceAccount: "web", PodName: "web-1", PodUID: "uid-pod",
			IssuedAt: t0, Expiry: t0.Add(time.Hour),
		},
		wantK8s:  `{"namespace":"prod","pod":{"name":"web-1","uid":"uid-pod"},"serviceaccount":{"name":"web","uid":""}}`,
		wantAuds: []string{"sts.amazonaws.com"},
	}}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := ks.Sign(tc.tok)
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			parts := strings.Split(raw, ".")
			if len(parts) != 3 {
				t.Fatalf("token has %d parts", len(parts))
			}
			var header map[string]any
			decodePart(t, parts[0], &header)
			if header["alg"] != "RS256" || header["typ"] != "JWT" || header["kid"] != ks.Current().ID {
				t.Errorf("header = %v, want alg RS256, typ JWT, kid %s", header, ks.Current().ID)
			}
			var payload map[string]json.RawMessage
			decodePart(t, parts[1], &payload)
			wantRaw := map[string]string{
				"iss":           `"` + builtinIssuer + `"`,
				"sub":           `"system:serviceaccount:` + tc.tok.Namespace + `:` + tc.tok.ServiceAccount + `"`,
				"iat":           jsonInt(tc.tok.IssuedAt.Unix()),
				"nbf":           jsonInt(tc.tok.IssuedAt.Unix()),
				"exp":           jsonInt(tc.tok.Expiry.Unix()),
				"kubernetes.io": tc.wantK8s,
			}
			for k, want := range wantRaw {
				if got := string(payload[k]); got != want {
					t.Errorf("claim %s = %s, want %s", k, got, want)
				}
			}
			if got := string(payload["aud"]); !strings.HasPrefix(got, "[") {
				t.Errorf("aud = %s, want a JSON array", got)
			}
			var jti string
			if err := json.Unmarshal(payload["jti"], &jti); err != nil || !uuid.MatchString(jti) {
				t.Errorf("jti = %s, want a UUID", payload["jti"])
			}
			if len(payload) != 8 {
				t.Errorf("payload has %d claims, want 8: %v", len(payload), keysOf(payload))
			}

			tok := mustParse(t, raw)
			if tok.Issuer != builtinIssuer || tok.Subject != ServiceAccountSubject(tc.tok.Namespace, tc.tok.ServiceAccount) ||
				strings.Join(tok.Audience, ",") != strings.Join(tc.wantAuds, ",") || tok.KeyID != ks.Current().ID ||
				tok.Algorithm != "RS256" || !tok.IssuedAt.Equal(t0) || !tok.NotBefore.Equal(t0) ||
				!tok.Expiry.Equal(tc.tok.Expiry) || len(tok.AMR) != 0 {
				t.Errorf("parsed token = %+v", tok)
			}
			k8s, _ := tok.Claims["kubernetes.io"].(map[string]any)
			if k8s["namespace"] != tc.tok.Namespace {
				t.Errorf("Claims[kubernetes.io] = %v", tok.Claims["kubernetes.io"])
			}
			wantKind(t, v.Verify(context.Background(), tok, t0.Add(time.Minute)), 0)
		})
	}
}

func decodePart(t *testing.T, part string, v any) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func jsonInt(i int64) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func keysOf(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestSignRejects(t *testing.T) {
	testKeys(t)
	good := ServiceAccountToken{
		Issuer: builtinIssuer, Audience: []string{"sts.amazonaws.com"},
		Namespace: "default", ServiceAccount: "app", IssuedAt: t0, Expiry: t0.Add(time.Hour),
	}
	tests := []struct {
		name   string
		ks     *KeySet
		change func(*ServiceAccountToken)
	}{
		{"no issuer", sharedKeySet, func(s *ServiceAccountToken) { s.Issuer = "" }},
		{"no audience", sharedKeySet, func(s *ServiceAccountToken) { s.Audience = nil }},
		{"empty audience", sharedKeySet, func(s *ServiceAccountToken) { s.Audience = []string{""} }},
		{"no namespace", sharedKeySet, func(s *ServiceAccountToken) { s.Namespace = "" }},
		{"no service account", sharedKeySet, func(s *ServiceAccountToken) { s.ServiceAccount = "" }},
		{"no issue time", sharedKeySet, func(s *ServiceAccountToken) { s.IssuedAt = time.Time{} }},
		{"expiry not after issue", sharedKeySet, func(s *ServiceAccountToken) { s.Expiry = s.IssuedAt }},
		{"nil key set", nil, func(*ServiceAccountToken) {}},
		{"empty key set", &KeySet{}, func(*ServiceAccountToken) {}},
		{"only retired keys", &KeySet{Keys: []*SigningKey{{ID: "x", Algorithm: "RS256", Retired: t0, Private: rsaA}}}, func(*ServiceAccountToken) {}},
		{"key ID not its key's", &KeySet{Keys: []*SigningKey{{ID: "x", Algorithm: "RS256", Private: rsaA}}}, func(*ServiceAccountToken) {}},
		{"nil private key", &KeySet{Keys: []*SigningKey{{ID: "x", Algorithm: "RS256"}}}, func(*ServiceAccountToken) {}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := good
			tc.change(&s)
			if raw, err := tc.ks.Sign(s); err == nil {
				t.Fatalf("Sign = %q, want an error", raw)
			}
		})
	}
}

func TestDiscovery(t *testing.T) {
	got, err := json.Marshal(Discovery(builtinIssuer, builtinIssuer+"/keys"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"authorization_endpoint":"urn:kubernetes:programmatic_authorization",` +
		`"claims_supported":["sub","iss"],"id_token_signing_alg_values_supported":["RS256"],` +
		`"issuer":"` + builtinIssuer + `","jwks_uri":"` + builtinIssuer + `/keys",` +
		`"response_types_supported":["id_token"],"subject_types_supported":["public"]}`
	if string(got) != want {
		t.Errorf("Discovery =\n%s\nwant\n%s", got, want)
	}
}

func TestJWKSShape(t *testing.T) {
	testKeys(t)
	b, err := json.Marshal(sharedKeySet.JWKS())
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 {
		t.Fatalf("JWKS has %d keys, want 1: %s", len(set.Keys), b)
	}
	k := set.Keys[0]
	if k["kty"] != "RSA" || k["kid"] != sharedKeySet.Current().ID || k["use"] != "sig" || k["alg"] != "RS256" ||
		k["e"] != "AQAB" || k["n"] == nil || len(k) != 6 {
		t.Errorf("JWK = %v, want kty, kid, use, alg, n, e only", k)
	}
	// The kid is 20 bytes of SHA-256, unpadded base64url.
	if kid := sharedKeySet.Current().ID; len(kid) != 27 || strings.ContainsAny(kid, "+/=") {
		t.Errorf("kid = %q, want 27 base64url characters", kid)
	}
	// Published keys parse back as public keys.
	var back jose.JSONWebKeySet
	if err := json.Unmarshal(b, &back); err != nil || len(back.Keys) != 1 || !back.Keys[0].IsPublic() {
		t.Errorf("JWKS does not read back as one public key: %v", err)
	}
}
