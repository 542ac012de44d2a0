package main

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// `assumed cluster rotate-signing-key` makes a new current key; the
// issuer's JWKS then publishes both, and tokens get the new kid.
func TestClusterRotateSigningKey(t *testing.T) {
	_, issuer := tokTEnv(t)
	keys := func() []string {
		t.Helper()
		resp, err := http.Get(issuer + "/keys")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var jwks struct {
			Keys []struct {
				KID string `json:"kid"`
			} `json:"keys"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&jwks); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, k := range jwks.Keys {
			out = append(out, k.KID)
		}
		return out
	}
	before := keys()
	code, stdout, stderr := tokTRun("cluster", "rotate-signing-key", "demo")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	kid := strings.TrimSpace(stdout)
	after := keys()
	if len(before) != 1 || len(after) != 2 || after[0] != kid || after[1] != before[0] {
		t.Errorf("JWKS before %v, after %v, new kid %q: want the new key first and the old one kept", before, after, kid)
	}
	_, tok, _ := tokTRun("token", "--cluster", "demo", "--namespace", "default", "--service-account", "app")
	header, _, _ := strings.Cut(tok, ".")
	if !strings.Contains(string(mustB64(t, header)), `"kid":"`+kid+`"`) {
		t.Errorf("a new token's header %s does not name kid %s", mustB64(t, header), kid)
	}

	if code, _, stderr := tokTRun("cluster", "rotate-signing-key", "nope"); code != exitFailure || !strings.Contains(stderr, "ResourceNotFoundException") {
		t.Errorf("unknown cluster: exit %d, %s", code, stderr)
	}
	if code, _, _ := tokTRun("cluster", "rotate-signing-key"); code != exitUsage {
		t.Errorf("no cluster name: exit %d, want %d", code, exitUsage)
	}
}

// mustB64 decodes a JWT segment.
func mustB64(t *testing.T, seg string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatalf("decode %q: %v", seg, err)
	}
	return b
}
