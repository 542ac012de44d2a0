package console_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/assumed-dev/assumed/internal/testenv"
	"github.com/assumed-dev/assumed/internal/world"
)

// seed004World is seed 004's world as its first Terraform apply leaves
// it: account A's role foo_bar trusts B's whole account (no condition,
// which is a finding), B's role bar may assume foo_bar, B's deployer may
// assume bar. B's intern may assume any role but, by an explicit deny,
// none of A's.
const seed004World = `accounts:
  - id: "111111111111"
    name: account-a
    roles:
      - name: foo_bar
        trust: '{"Version":"2012-10-17","Statement":[{"Sid":"TrustAccountB","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole"}]}'
        policies:
          table: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:PutItem","dynamodb:GetItem"],"Resource":"arn:aws:dynamodb:us-east-1:111111111111:table/TestTable"}]}'
  - id: "222222222222"
    name: account-b
    users:
      - name: deployer
        policies:
          assume: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::222222222222:role/bar"}]}'
      - name: intern
        policies:
          roles: '{"Version":"2012-10-17","Statement":[{"Sid":"AnyRole","Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"},{"Sid":"NoRolesOfA","Effect":"Deny","Action":"sts:AssumeRole","Resource":"arn:aws:iam::111111111111:role/*"}]}'
    roles:
      - name: bar
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:user/deployer"},"Action":"sts:AssumeRole"}]}'
        policies:
          assume-a: '{"Version":"2012-10-17","Statement":[{"Sid":"AssumeFooBar","Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::111111111111:role/foo_bar"}]}'
`

// TestConsoleSeed004 opens the console of a real server holding seed
// 004's world, in Chromium: the graph shows bar → foo_bar across the
// accounts, explain shows intern's refusal and the statement that
// decided, the finding on foo_bar's trust shows its statement
// highlighted, and an account's access key signs in to that account's
// view.
func TestConsoleSeed004(t *testing.T) {
	node := requireBrowser(t)
	w, err := world.Parse("seed004.yaml", []byte(seed004World))
	if err != nil {
		t.Fatal(err)
	}
	srv := testenv.Start(t, w)
	token := consoleToken(t, srv.DataDir)
	keyID, secret := srv.RootKey(testenv.AccountB)
	res := runScript(t, node, "seed004.mjs", map[string]string{
		"CONSOLE_URL":         srv.URL + "/_assumed/console/#token=" + token,
		"CONSOLE_PLAIN_URL":   srv.URL + "/_assumed/console/",
		"ARTIFACTS":           artifacts(t),
		"ROLE_A":              "arn:aws:iam::111111111111:role/foo_bar",
		"ROLE_B":              "arn:aws:iam::222222222222:role/bar",
		"DENIED_PRINCIPAL":    "arn:aws:iam::222222222222:user/intern",
		"DENYING_STATEMENT":   `statement "NoRolesOfA"`,
		"TRUSTED_PRINCIPAL":   "arn:aws:iam::222222222222:root",
		"ACCOUNT_B":           testenv.AccountB,
		"ACCOUNT_B_KEY_ID":    keyID,
		"ACCOUNT_B_SECRET":    secret,
		"MAX_FIRST_RENDER_MS": "3000",
	})
	t.Logf("first render: %v ms; explain: %v; finding: %v", res["firstRenderMs"], res["decision"], res["finding"])
}

// consoleToken reads the console token the server wrote.
func consoleToken(t *testing.T, dataDir string) string {
	t.Helper()
	path := filepath.Join(dataDir, "console-token")
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil && strings.TrimSpace(string(b)) != "" {
			return strings.TrimSpace(string(b))
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server wrote no console token to %s: %v", path, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
