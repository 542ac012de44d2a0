package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// TestRefusalLogsClaimedAccessKeyID: a request refused for its signature
// or its key is logged at INFO with its request ID and the access key ID
// it claimed, clipped, and never the secret.
func TestRefusalLogsClaimedAccessKeyID(t *testing.T) {
	e := testenv.Start(t, nil)
	id, secret := e.RootKey(testenv.AccountA)
	const wrong = "wrong-secret-wrong-secret-wrong-secret00"
	long := "AKIA" + strings.Repeat("X", 1000)
	for _, c := range []struct {
		keyID, secret, code, logged string
	}{
		{id, wrong, "SignatureDoesNotMatch", "access_key_id=" + id},
		{long, wrong, "InvalidClientTokenId", `access_key_id="` + long[:256] + `…(1004 bytes in all)"`},
	} {
		code, h, body := do(t, signed(t, "POST", e.URL+"/", "iam", c.keyID, c.secret, "", "Action=ListRoles&Version=2010-05-08"))
		if code != http.StatusForbidden || !strings.Contains(body, c.code) {
			t.Fatalf("got %d %.300s, want 403 %s", code, body, c.code)
		}
		reqID := h.Get("x-amzn-RequestId")
		var line string
		for l := range strings.SplitSeq(e.Logs(), "\n") {
			if strings.Contains(l, "request_id="+reqID) {
				line = l
			}
		}
		for _, want := range []string{"level=INFO", `msg="request refused"`, "code=" + c.code, c.logged} {
			if reqID == "" || !strings.Contains(line, want) {
				t.Errorf("the refusal's log line (request ID %q) lacks %q:\n%s", reqID, want, line)
			}
		}
	}
	if logs := e.Logs(); strings.Contains(logs, wrong) || strings.Contains(logs, secret) {
		t.Fatalf("the log holds a secret:\n%s", logs)
	}
}
