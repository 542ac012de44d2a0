package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assumed-dev/assumed/internal/analyze"
	"github.com/assumed-dev/assumed/internal/world"
)

// grTWorld is internal/analyze's test world: three accounts, the seeds'
// set-ups and the classic mistakes.
func grTWorld(t *testing.T) *world.World {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "internal", "analyze", "testdata", "world.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := world.Parse("world.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// grTEnviron is explTEnviron plus the profile of account tools' user ci.
func grTEnviron(t *testing.T, url, dataDir string) {
	t.Helper()
	explTEnviron(t, url, dataDir)
	file := os.Getenv("AWS_SHARED_CREDENTIALS_FILE")
	f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("\n[ci]\naws_access_key_id = AKIAANALYZECI0000001\naws_secret_access_key = analyzeSecretAnalyzeSecretAnalyzeSecre01\n"); err != nil {
		t.Fatal(err)
	}
}

const (
	grTCI       = "arn:aws:iam::222222222222:user/ci"
	grTDeployer = "arn:aws:iam::111111111111:role/deployer"
	grTAdmin    = "arn:aws:iam::111111111111:role/admin"
)

// TestGraphAndFindingsCommands runs `assumed graph` and `assumed findings`
// against a running server (signed with an account's root profile, which
// sees its account; refused to a user without assumed:ReadGraph and for
// another account), then offline from the stopped server's data dir,
// which sees every account.
func TestGraphAndFindingsCommands(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	url, stop := explTServe(t, dataDir, grTWorld(t))
	grTEnviron(t, url, dataDir)

	args := []string{"graph", "--profile", "app"}
	code, out, errOut := tokTRun(args...)
	explTWant(t, args, code, out, errOut, 0,
		grTCI+"\n  → can assume [cross-account] "+grTDeployer,
		`requires StringEquals sts:ExternalId "ci-123"`,
		"allowed by trust policy of role "+grTDeployer+` (account 111111111111), statement "CI"`)
	if strings.Contains(out, "user/idle") {
		t.Errorf("account app's graph shows account tools' idle user, which has no edge to it:\n%s", out)
	}

	args = []string{"graph", "--profile", "app", "--format", "json"}
	code, out, errOut = tokTRun(args...)
	explTWant(t, args, code, out, errOut, 0)
	g, err := analyze.ReadGraph(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := g.Node(grTAdmin); !ok {
		t.Errorf("the JSON graph lacks %s", grTAdmin)
	}

	args = []string{"graph", "--profile", "app", "--from", grTCI}
	code, out, errOut = tokTRun(args...)
	explTWant(t, args, code, out, errOut, 0, grTCI+" → "+grTDeployer+" → "+grTAdmin+"\n    requires StringEquals sts:ExternalId \"ci-123\"\n    role chaining")

	args = []string{"graph", "--profile", "app", "--to", grTAdmin, "--format", "dot"}
	code, out, errOut = tokTRun(args...)
	explTWant(t, args, code, out, errOut, 0, "digraph assumed {", `"`+grTDeployer+`" -> "`+grTAdmin+`"`)

	args = []string{"graph", "--profile", "app", "--action", "iam:CreateUser", "--resource", "arn:aws:iam::111111111111:user/x"}
	code, out, errOut = tokTRun(args...)
	explTWant(t, args, code, out, errOut, 0, grTAdmin+" (its own policies allow it)", grTCI+" → "+grTDeployer+" → "+grTAdmin)

	// Refused: another account's graph, and a user without the permission.
	for _, args := range [][]string{
		{"graph", "--profile", "data", "--account", "111111111111"},
		{"graph", "--profile", "ci"},
		{"findings", "--profile", "ci"},
	} {
		code, out, errOut = tokTRun(args...)
		explTWant(t, args, code, out, errOut, exitUsage, "AccessDenied")
	}

	args = []string{"findings", "--profile", "app"}
	code, out, errOut = tokTRun(args...)
	explTWant(t, args, code, out, errOut, exitFailure, "HIGH  third-party-without-external-id  account 111111111111  arn:aws:iam::111111111111:role/vendor-access",
		`in trust policy of role arn:aws:iam::111111111111:role/vendor-access (account 111111111111), statement "Vendor"`, "fix: add")
	if strings.Contains(out, "  account 222222222222  ") {
		t.Errorf("account app's findings show account tools':\n%s", out)
	}
	args = []string{"findings", "--profile", "app", "--min-severity", "critical"}
	code, out, errOut = tokTRun(args...)
	explTWant(t, args, code, out, errOut, 0, "0 finding(s) at or above critical")

	// Offline: every account.
	stop()
	args = []string{"findings", "--data-dir", dataDir, "--min-severity", "info", "--json"}
	code, out, errOut = tokTRun(args...)
	explTWant(t, args, code, out, errOut, exitFailure)
	var fs struct{ Findings []analyze.Finding }
	if err := json.Unmarshal([]byte(out), &fs); err != nil {
		t.Fatal(err)
	}
	accounts := map[string]bool{}
	for _, f := range fs.Findings {
		accounts[f.Account] = true
	}
	if !accounts["111111111111"] || !accounts["222222222222"] || !accounts["333333333333"] {
		t.Errorf("offline findings cover %v, want every account", accounts)
	}

	saved := filepath.Join(t.TempDir(), "graph.json")
	args = []string{"graph", "--data-dir", dataDir, "--format", "json"}
	code, out, errOut = tokTRun(args...)
	explTWant(t, args, code, out, errOut, 0)
	if err := os.WriteFile(saved, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	args = []string{"graph", "--data-dir", dataDir, "--since", saved}
	code, out, errOut = tokTRun(args...)
	explTWant(t, args, code, out, errOut, 0, "no change")
	args = []string{"graph", "--data-dir", dataDir, "--to", grTAdmin}
	code, out, errOut = tokTRun(args...)
	explTWant(t, args, code, out, errOut, 0, grTDeployer+" → "+grTAdmin, grTCI+" → "+grTDeployer+" → "+grTAdmin)

	for _, args := range [][]string{
		{"graph", "--data-dir", dataDir, "--from", "x", "--to", "y"},
		{"graph", "--data-dir", dataDir, "--action", "s3:GetObject"},
		{"graph", "--data-dir", dataDir, "--format", "svg"},
		{"findings", "--data-dir", dataDir, "--min-severity", "urgent"},
	} {
		code, out, errOut = tokTRun(args...)
		explTWant(t, args, code, out, errOut, exitUsage)
	}
}

// TestConsoleTokens: the token printed at start sees every account; a
// session signed in with an account's root key sees that account; a user
// without assumed:ReadGraph can't sign in; a forged or missing token is
// refused; the console's explain answers with the token.
func TestConsoleTokens(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	url, _ := explTServe(t, dataDir, grTWorld(t))
	tok, err := os.ReadFile(filepath.Join(dataDir, "console-token"))
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(dataDir, "console-token")); fi.Mode().Perm() != 0o600 {
		t.Errorf("console-token is %v", fi.Mode().Perm())
	}
	call := func(method, path, token, body string) (int, string) {
		req, _ := http.NewRequest(method, url+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	get := func(path, token string) (int, string) { return call("GET", path, token, "") }
	post := func(path, token, body string) (int, string) { return call("POST", path, token, body) }
	all := strings.TrimSpace(string(tok))
	if code, body := get("/_assumed/console/whoami", all); code != 200 || !strings.Contains(body, `"scope": "all"`) {
		t.Fatalf("whoami: %d %s", code, body)
	}
	code, body := get("/_assumed/graph", all)
	if code != 200 || !strings.Contains(body, "arn:aws:iam::222222222222:user/idle") || !strings.Contains(body, "arn:aws:iam::333333333333:role/target") {
		t.Fatalf("the console token's graph: %d %.300s", code, body)
	}
	if code, body := get("/_assumed/findings", all); code != 200 || !strings.Contains(body, `"account": "222222222222"`) {
		t.Fatalf("the console token's findings: %d %.300s", code, body)
	}
	code, body = post("/_assumed/explain", all, `{"as":"arn:aws:iam::222222222222:user/idle","assume":"arn:aws:iam::111111111111:role/table-writer"}`)
	if code != 200 || !strings.Contains(body, `"decision": "implicitDeny"`) {
		t.Fatalf("the console's explain: %d %.300s", code, body)
	}

	// Signing in with account tools' root key.
	creds, err := os.ReadFile(filepath.Join(dataDir, "credentials"))
	if err != nil {
		t.Fatal(err)
	}
	id, secret := profileKey(t, string(creds), "tools")
	code, body = post("/_assumed/console/session", "", `{"accessKeyId":"`+id+`","secretAccessKey":"`+secret+`"}`)
	var sess struct{ Token, Account string }
	if code != 200 || json.Unmarshal([]byte(body), &sess) != nil || sess.Account != "222222222222" {
		t.Fatalf("sign in: %d %s", code, body)
	}
	if code, body := get("/_assumed/graph", sess.Token); code != 200 || strings.Contains(body, "arn:aws:iam::111111111111:user/passer") || !strings.Contains(body, grTCI) {
		t.Fatalf("account tools' graph: %d %.300s", code, body)
	}
	if code, body := get("/_assumed/graph?account=111111111111", sess.Token); code != 403 || !strings.Contains(body, `"error"`) {
		t.Fatalf("another account's graph: %d %s", code, body)
	}
	if code, body := post("/_assumed/explain", sess.Token, `{"as":"arn:aws:iam::111111111111:user/passer","action":"iam:PassRole"}`); code != 403 {
		t.Fatalf("explaining another account's principal: %d %s", code, body)
	}
	// Refused.
	for _, c := range []struct{ body, code string }{
		{`{"accessKeyId":"AKIAANALYZECI0000001","secretAccessKey":"analyzeSecretAnalyzeSecretAnalyzeSecre01"}`, "AccessDenied"},
		{`{"accessKeyId":"` + id + `","secretAccessKey":"wrong"}`, "InvalidClientTokenId"},
		{`{}`, "InvalidInput"},
	} {
		if code, body := post("/_assumed/console/session", "", c.body); code < 400 || !strings.Contains(body, c.code) {
			t.Errorf("sign in with %s: %d %s", c.body, code, body)
		}
	}
	forged := sess.Token[:len(sess.Token)-2] + "xx"
	for _, token := range []string{forged, "nonsense", all + "0"} {
		if code, body := get("/_assumed/graph", token); code != 401 {
			t.Errorf("token %q: %d %s", token, code, body)
		}
	}
	if code, _ := get("/_assumed/graph", ""); code != 400 && code != 403 {
		t.Errorf("no token, no signature: %d", code)
	}
}

// profileKey reads a profile's key from a credentials file's text.
func profileKey(t *testing.T, text, profile string) (id, secret string) {
	t.Helper()
	in := false
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			in = line == "["+profile+"]"
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok && in {
			switch strings.TrimSpace(k) {
			case "aws_access_key_id":
				id = strings.TrimSpace(v)
			case "aws_secret_access_key":
				secret = strings.TrimSpace(v)
			}
		}
	}
	if id == "" || secret == "" {
		t.Fatalf("no key for profile %s", profile)
	}
	return id, secret
}
