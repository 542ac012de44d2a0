package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/assumed-dev/assumed/e2e/kit"
	"github.com/assumed-dev/assumed/internal/testenv"
)

// The trust simulation world: two accounts, A (111111111111) owning the
// roles to assume and B (222222222222) calling across. Users have fixed
// keys; two principals get the permissions boundary s3-only through the
// CLI (world files declare no boundaries).
const (
	stA = "111111111111"
	stB = "222222222222"
	// stXID is the ExternalId partner's trust asks for.
	stXID = "xid-42"
	// stSecret is every user's secret key (40 characters).
	stSecret = "simulateTrustSecretSimulateTrustSecret01"
)

func stRole(account, name string) string { return "arn:aws:iam::" + account + ":role/" + name }
func stUser(account, name string) string { return "arn:aws:iam::" + account + ":user/" + name }

// stDoc is a policy document of the given statements (JSON objects).
func stDoc(statements ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
}

// stTrust is a trust statement naming AWS principals, with an optional
// condition (a JSON object).
func stTrust(effect string, principals []string, condition string) string {
	p, _ := json.Marshal(principals)
	s := fmt.Sprintf(`{"Effect":%q,"Principal":{"AWS":%s},"Action":"sts:AssumeRole"`, effect, p)
	if condition != "" {
		s += `,"Condition":` + condition
	}
	return s + "}"
}

func stAllow(action, resource string) string {
	return fmt.Sprintf(`{"Effect":"Allow","Action":%q,"Resource":%q}`, action, resource)
}

// stPrincipal is a caller of the world: its ARN, the profile whose
// credentials are its own, its identity policies and its boundary.
type stPrincipal struct {
	arn      string
	profile  string
	identity []string
	boundary string // document; "" without a boundary
}

// stWorld is what the test builds and what each case refers to.
type stWorld struct {
	principals map[string]stPrincipal // by profile
	trusts     map[string]string      // role ARN → trust policy
	boundary   string                 // the s3-only document
}

// newSTWorld returns the world and its world file.
func newSTWorld() (*stWorld, []byte, error) {
	w := &stWorld{principals: map[string]stPrincipal{}, trusts: map[string]string{}}
	w.boundary = stDoc(`{"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"*"}`)
	rootA, rootB := "arn:aws:iam::"+stA+":root", "arn:aws:iam::"+stB+":root"
	xid := `{"StringEquals":{"sts:ExternalId":"` + stXID + `"}}`
	assumeA := stDoc(stAllow("sts:AssumeRole", "arn:aws:iam::"+stA+":role/*"))

	type user struct {
		Name       string              `yaml:"name"`
		AccessKeys []map[string]string `yaml:"access_keys"`
		Policies   map[string]string   `yaml:"policies,omitempty"`
	}
	type role struct {
		Name  string `yaml:"name"`
		Trust string `yaml:"trust"`
	}
	type policy struct {
		Name     string `yaml:"name"`
		Document string `yaml:"document"`
	}
	type account struct {
		ID       string   `yaml:"id"`
		Name     string   `yaml:"name"`
		Policies []policy `yaml:"policies"`
		Users    []user   `yaml:"users"`
		Roles    []role   `yaml:"roles,omitempty"`
	}
	accounts := []*account{
		{ID: stA, Name: "account-a", Policies: []policy{{"s3-only", w.boundary}}},
		{ID: stB, Name: "account-b", Policies: []policy{{"s3-only", w.boundary}}},
	}
	keyN := 0
	addUser := func(a *account, name, identity string) {
		keyN++
		u := user{Name: name, AccessKeys: []map[string]string{{"id": fmt.Sprintf("AKIASIMTRUST%08d", keyN), "secret": stSecret}}}
		p := stPrincipal{arn: stUser(a.ID, name), profile: name}
		if identity != "" {
			u.Policies = map[string]string{"assume": identity}
			p.identity = []string{identity}
		}
		a.Users = append(a.Users, u)
		w.principals[name] = p
	}
	addRole := func(a *account, name, trust string) {
		a.Roles = append(a.Roles, role{name, trust})
		w.trusts[stRole(a.ID, name)] = trust
	}
	a, b := accounts[0], accounts[1]

	addUser(a, "alice", "")
	addUser(a, "carol", assumeA)
	addUser(b, "bob", assumeA)
	addUser(b, "dave", "")
	addUser(b, "erin", stDoc(stAllow("sts:AssumeRole", "*")))

	// Callers that are role sessions (carol assumes them).
	addRole(a, "runner", stDoc(stTrust("Allow", []string{rootA}, "")))
	addRole(a, "runner-bounded", stDoc(stTrust("Allow", []string{rootA}, "")))
	w.principals["runner"] = stPrincipal{arn: stRole(stA, "runner"), profile: "runner"}
	w.principals["runner-bounded"] = stPrincipal{arn: stRole(stA, "runner-bounded"), profile: "runner-bounded"}

	// The roles to assume.
	addRole(a, "named-alice", stDoc(stTrust("Allow", []string{stUser(stA, "alice")}, "")))
	addRole(a, "acct", stDoc(stTrust("Allow", []string{rootA}, "")))
	addRole(a, "guarded", stDoc(stTrust("Allow", []string{rootA}, ""), stTrust("Deny", []string{stUser(stA, "carol")}, "")))
	addRole(a, "named-runner", stDoc(stTrust("Allow", []string{stRole(stA, "runner"), stRole(stA, "runner-bounded")}, "")))
	addRole(a, "partner", stDoc(stTrust("Allow", []string{rootB}, xid)))
	addRole(a, "named-bob", stDoc(stTrust("Allow", []string{stUser(stB, "bob")}, "")))
	addRole(a, "named-dave", stDoc(stTrust("Allow", []string{stUser(stB, "dave")}, "")))

	file, err := yaml.Marshal(map[string]any{"accounts": accounts})
	return w, file, err
}

// stServe runs `assumed serve` (the binary bin) on dataDir and a free
// port with the world file, and returns its URL once it serves. The
// process is stopped when the test ends.
func stServe(t *testing.T, bin, dataDir, worldFile string) string {
	t.Helper()
	logs := &testenv.SyncBuffer{}
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir, "--config", worldFile)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	deadline := time.After(60 * time.Second)
	for {
		if _, after, ok := strings.Cut(logs.String(), `"assumed is serving" addr=`); ok {
			return "http://" + strings.Fields(after)[0]
		}
		select {
		case err := <-done:
			done <- err
			t.Fatalf("assumed serve exited: %v\n%s", err, logs.String())
		case <-deadline:
			t.Fatalf("assumed serve did not serve in 60 s:\n%s", logs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stCLI runs the AWS CLI against one server with one credentials and
// config file.
type stCLI struct {
	url, credentials, config string
}

// run runs aws with args; each run has a fresh HOME (the CLI caches
// assumed-role credentials there) and none of the machine's AWS_
// variables.
func (c *stCLI) run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command("aws", args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "HOME=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "HOME="+t.TempDir(), "AWS_ENDPOINT_URL="+c.url, "AWS_DEFAULT_REGION=us-east-1",
		"AWS_SHARED_CREDENTIALS_FILE="+c.credentials, "AWS_CONFIG_FILE="+c.config)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// mustRun runs aws and fails the test unless it succeeds.
func (c *stCLI) mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := c.run(t, args...)
	if err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// stResult is the first EvaluationResult of a simulation's JSON output.
type stResult struct {
	EvalDecision         string
	MissingContextValues []string
	MatchedStatements    []struct{ SourcePolicyID, SourcePolicyType string }
	EvalDecisionDetails  map[string]string
}

func stParse(t *testing.T, out string) stResult {
	t.Helper()
	var v struct{ EvaluationResults []json.RawMessage }
	if err := json.Unmarshal([]byte(out), &v); err != nil || len(v.EvaluationResults) != 1 {
		t.Fatalf("simulation output: %v\n%s", err, out)
	}
	// The CLI prints SourcePolicyId; encoding/json matches names
	// case-insensitively.
	var r stResult
	if err := json.Unmarshal(v.EvaluationResults[0], &r); err != nil {
		t.Fatalf("evaluation result: %v\n%s", err, out)
	}
	return r
}

// TestSimulateTrustMatchesAssumeRoleCLI builds two accounts with users and
// roles whose trust policies name an account root, a user, roles, another
// account (with an ExternalId condition) and deny a user, some callers
// with a permissions boundary; then, for each (principal, role,
// ExternalId), runs the real `aws sts assume-role` with the principal's
// credentials against `assumed serve`, and `aws iam
// simulate-principal-policy` (the principal's own policies, the role's
// trust from the server) and `aws iam simulate-custom-policy` (the same
// documents given as input, the trust as --resource-policy), and checks
// that all three agree, and agree with what STS must decide.
func TestSimulateTrustMatchesAssumeRoleCLI(t *testing.T) {
	requireClients(t, "import botocore")
	bin := kit.BuildAssumed(t)
	w, worldYAML, err := newSTWorld()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")
	worldFile := filepath.Join(dir, "world.yaml")
	if err := os.WriteFile(worldFile, worldYAML, 0o600); err != nil {
		t.Fatal(err)
	}
	url := stServe(t, bin, dataDir, worldFile)

	// Profiles: the accounts' roots (the server's credentials file), the
	// users' keys, and the role sessions carol starts.
	roots, err := os.ReadFile(filepath.Join(dataDir, "credentials"))
	if err != nil {
		t.Fatal(err)
	}
	creds := string(roots)
	config := ""
	var worldDoc struct {
		Accounts []struct {
			Users []struct {
				Name       string              `yaml:"name"`
				AccessKeys []map[string]string `yaml:"access_keys"`
			} `yaml:"users"`
		} `yaml:"accounts"`
	}
	if err := yaml.Unmarshal(worldYAML, &worldDoc); err != nil {
		t.Fatal(err)
	}
	for _, a := range worldDoc.Accounts {
		for _, u := range a.Users {
			creds += fmt.Sprintf("\n[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n", u.Name, u.AccessKeys[0]["id"], u.AccessKeys[0]["secret"])
			config += fmt.Sprintf("[profile %s]\nregion = us-east-1\n\n", u.Name)
		}
	}
	for _, r := range []string{"runner", "runner-bounded"} {
		config += fmt.Sprintf("[profile %s]\nregion = us-east-1\nsource_profile = carol\nrole_arn = %s\nrole_session_name = %s-session\n\n", r, stRole(stA, r), r)
	}
	cli := &stCLI{url: url, credentials: filepath.Join(dir, "credentials"), config: filepath.Join(dir, "config")}
	if err := os.WriteFile(cli.credentials, []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cli.config, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}

	// The boundaries, through the CLI.
	cli.mustRun(t, "--profile", "account-b", "iam", "put-user-permissions-boundary", "--user-name", "erin",
		"--permissions-boundary", "arn:aws:iam::"+stB+":policy/s3-only")
	cli.mustRun(t, "--profile", "account-a", "iam", "put-role-permissions-boundary", "--role-name", "runner-bounded",
		"--permissions-boundary", "arn:aws:iam::"+stA+":policy/s3-only")
	for _, p := range []string{"erin", "runner-bounded"} {
		pr := w.principals[p]
		pr.boundary = w.boundary
		w.principals[p] = pr
	}

	const (
		allowed  = "allowed"
		implicit = "implicitDeny"
		explicit = "explicitDeny"
	)
	cases := []struct {
		principal, role, externalID string
		want                        string
		missing                     []string // MissingContextValues, when given
	}{
		{"alice", "named-alice", "", allowed, []string{}},            // the trust names the user: no identity policy needed
		{"alice", "acct", "", implicit, nil},                         // the trust names the account: an identity allow is needed
		{"carol", "acct", "", allowed, nil},                          // … and carol has one
		{"carol", "named-alice", "", implicit, nil},                  // not named
		{"carol", "guarded", "", explicit, nil},                      // named by a Deny
		{"runner", "named-runner", "", allowed, nil},                 // the trust names the role of the session
		{"runner-bounded", "named-runner", "", implicit, nil},        // … whose boundary does not allow sts:AssumeRole
		{"runner", "acct", "", implicit, nil},                        // a session without an identity allow
		{"bob", "partner", stXID, allowed, []string{}},               // cross account, both sides allow
		{"bob", "partner", "", implicit, []string{"sts:ExternalId"}}, // the ExternalId is missing
		{"bob", "partner", "xid-43", implicit, []string{}},           // the ExternalId is wrong
		{"dave", "partner", stXID, implicit, nil},                    // cross account without an identity allow
		{"dave", "named-dave", "", implicit, nil},                    // naming the user does not grant alone across accounts
		{"bob", "named-bob", "", allowed, nil},                       // naming the user across accounts, with an identity allow
		{"bob", "acct", "", implicit, nil},                           // the trust names only A
		{"erin", "partner", stXID, implicit, nil},                    // the boundary does not allow sts:AssumeRole
		{"carol", "ghost", "", implicit, nil},                        // no such role
	}
	var outcomes []string
	for _, tc := range cases {
		p := w.principals[tc.principal]
		roleARN := stRole(stA, tc.role)
		name := fmt.Sprintf("%s→%s", tc.principal, tc.role)
		if tc.externalID != "" {
			name += " ExternalId=" + tc.externalID
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// The real call.
			args := []string{"--profile", p.profile, "sts", "assume-role", "--role-arn", roleARN, "--role-session-name", "e2e", "--output", "json"}
			if tc.externalID != "" {
				args = append(args, "--external-id", tc.externalID)
			}
			_, errOut, err := cli.run(t, args...)
			var ee *exec.ExitError
			if err != nil && !errors.As(err, &ee) {
				t.Fatal(err)
			}
			assumed := err == nil
			if !assumed && !strings.Contains(errOut, "AccessDenied") {
				t.Fatalf("assume-role failed other than AccessDenied: %s", errOut)
			}

			// The simulations, by the root of the principal's account.
			root := "account-a"
			if strings.Contains(p.arn, ":"+stB+":") {
				root = "account-b"
			}
			var context []string
			if tc.externalID != "" {
				context = []string{"--context-entries", "ContextKeyName=sts:ExternalId,ContextKeyValues=" + tc.externalID + ",ContextKeyType=string"}
			}
			common := append([]string{"--action-names", "sts:AssumeRole", "--resource-arns", roleARN, "--output", "json"}, context...)
			principal := stParse(t, cli.mustRun(t, append([]string{"--profile", root, "iam", "simulate-principal-policy", "--policy-source-arn", p.arn}, common...)...))
			results := map[string]stResult{"simulate-principal-policy": principal}
			if trust, ok := w.trusts[roleARN]; ok {
				files := t.TempDir()
				write := func(name string, v any) string {
					b, _ := json.Marshal(v)
					if s, ok := v.(string); ok {
						b = []byte(s)
					}
					f := filepath.Join(files, name)
					if err := os.WriteFile(f, b, 0o600); err != nil {
						t.Fatal(err)
					}
					return "file://" + f
				}
				identity := p.identity
				if identity == nil {
					identity = []string{}
				}
				custom := []string{"--profile", root, "iam", "simulate-custom-policy", "--caller-arn", p.arn,
					"--policy-input-list", write("identity.json", identity), "--resource-policy", write("trust.json", trust)}
				if p.boundary != "" {
					custom = append(custom, "--permissions-boundary-policy-input-list", write("boundary.json", []string{p.boundary}))
				}
				results["simulate-custom-policy"] = stParse(t, cli.mustRun(t, append(custom, common...)...))
			}

			for how, r := range results {
				if r.EvalDecision != tc.want {
					t.Errorf("%s: %s %+v, want %s", how, r.EvalDecision, r, tc.want)
				}
				if (r.EvalDecision == allowed) != assumed {
					t.Errorf("%s says %s but assume-role succeeded = %v (%s)", how, r.EvalDecision, assumed, strings.TrimSpace(errOut))
				}
				if tc.missing != nil && !slices.Equal(r.MissingContextValues, tc.missing) {
					t.Errorf("%s: MissingContextValues %q, want %q", how, r.MissingContextValues, tc.missing)
				}
				if _, ok := r.EvalDecisionDetails["Resource Policy"]; !ok {
					t.Errorf("%s: no trust policy decision in %v", how, r.EvalDecisionDetails)
				}
				if r.EvalDecision != implicit {
					found := false
					for _, st := range r.MatchedStatements {
						found = found || st.SourcePolicyType == "Resource Policy"
					}
					if !found {
						t.Errorf("%s: no trust statement in %+v", how, r.MatchedStatements)
					}
				}
			}
		})
		outcomes = append(outcomes, tc.want)
	}
	if !slices.Contains(outcomes, allowed) || !slices.Contains(outcomes, implicit) || len(cases) < 8 {
		t.Fatalf("the cases must hold both outcomes: %v", outcomes)
	}
}
