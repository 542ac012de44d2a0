package creds

import "testing"

func TestAccessKeyIDCarriesAccount(t *testing.T) {
	for _, acct := range []string{"000000000000", "111111111111", "222222222222", "999999999999", "123456789012"} {
		for _, prefix := range []string{PrefixAccessKey, PrefixTemporaryAccessKey} {
			id, err := NewAccessKeyIDForAccount(prefix, acct)
			if err != nil {
				t.Fatal(err)
			}
			if len(id) != 20 || id[:4] != prefix {
				t.Fatalf("id %q", id)
			}
			got, ok := AccountOfAccessKeyID(id)
			if !ok || got != acct {
				t.Errorf("%s: decoded %q, %v; want %s", id, got, ok, acct)
			}
		}
	}
	// A key ID published in AWS's documentation decodes to its account,
	// the layout public tools use.
	if got, ok := AccountOfAccessKeyID("ASIAY34FZKBOKMUTVV7A"); !ok || got != "609629065308" {
		t.Errorf("AWS key ID decoded to %q, %v", got, ok)
	}
	for _, bad := range []string{"", "AKIA", "AKIA!!!!!!!!!!!!!!!!", "AKIAAAAAAAAAAAAAAAAAAA"} {
		if _, ok := AccountOfAccessKeyID(bad); ok {
			t.Errorf("%q decoded", bad)
		}
	}
	if _, err := NewAccessKeyIDForAccount("ASIA", "12"); err == nil {
		t.Error("short account accepted")
	}
}
