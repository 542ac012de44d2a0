package docsrun

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Docs as tests. Every page (docPages) runs as a reader would run
// it: its shell blocks in order, in one shell session, in a fresh
// directory with a fresh HOME, on a port of its own. What a page shows
// must be what happens.
//
// How a page is written (the conventions the harness reads):
//
//   - A fenced block whose info string starts with `sh` runs. Its first
//     word may be followed by flags: `sh norun` (shown, never run: a file's
//     contents, an illustration), `sh background` (a server or agent: it is
//     started in the background, stopped with the page, and a block that
//     runs `assumed serve` is waited for until the server answers its
//     health check).
//   - Commands are split as the shell splits them: lines joined by a
//     trailing backslash, here-documents kept whole.
//   - Comment lines right after a command (no blank line between) are what
//     the command prints. A line starting with `# An error occurred (` says
//     the command fails, and how: its exit status must not be 0, and its
//     standard error must contain the text. Other lines must appear in its
//     standard output, in order. In both, `...` or `…` stands for any text,
//     and runs of white space are one space. A comment after a blank line,
//     or before a command, is prose.
//   - A ```json or ```text block right after a shell block (no other block
//     between) is the output of that block's last command. JSON must be
//     equal, but for the fields a `<!-- docs: volatile NAME NAME… -->`
//     comment before it names (anywhere in the document, any value goes);
//     text must appear in order, with `…` as above. `<!-- docs: not output
//     -->` before such a block makes it an illustration.
//   - `<!-- docs: fails -->` before such an output block says the command
//     fails, and the text is what it prints on either stream.
//   - `<!-- docs: stop background -->` stops what runs in the background,
//     where the page tells the reader to stop a server (Ctrl-C).
//   - `<!-- docs: needs PROGRAM -->` says the page needs PROGRAM on PATH
//     (moto_server, say): without it the page is skipped, and says so.
//   - The harness sets ASSUMED_PORT to a free port: pages write
//     `${ASSUMED_PORT:-4599}` where a reader's default is 4599, and
//     `assumed serve` reads it too (see its --listen flag).

// docPages are the pages that run, relative to the repository's root:
// README.md and every page under docs/, but those in docsNotYet.
func docPages(t *testing.T, root string) []string {
	t.Helper()
	pages, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := []string{"README.md"}
	for _, p := range pages {
		out = append(out, filepath.Join("docs", filepath.Base(p)))
	}
	var run []string
	for _, p := range out {
		if !has(docsNotYet, p) {
			run = append(run, p)
		}
	}
	return run
}

// docsNotYet are the pages not yet written to run as tests.
var docsNotYet = []string{}

// docCommand is one command of a page: its shell text and what it must
// print.
type docCommand struct {
	page, text   string
	line         int      // the command's first line in the page
	background   bool     // runs in the background until the page ends
	fails        bool     // must exit non-zero
	stderr       []string // patterns its standard error must contain
	stdout       []string // patterns its standard output must contain, in order
	wantJSON     string   // a JSON document its output must equal
	volatile     []string // JSON fields whose values don't matter
	wantText     string   // text its output must contain, line by line in order
	waitForServe bool     // wait until assumed serve answers
	// stopBackground stops what the page runs in the background, as a
	// reader stops a server with Ctrl-C before the page starts another.
	stopBackground bool
	needs          string // a program the page needs on PATH
}

var fence = regexp.MustCompile("^```\\s*([A-Za-z]*)\\s*(.*)$")

// parseDocPage reads a page's commands.
func parseDocPage(t *testing.T, page string) []*docCommand {
	t.Helper()
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	var (
		cmds       []*docCommand
		lastBlock  []*docCommand // the commands of the last shell block
		volatile   []string
		notOutput  bool
		failsNext  bool
		blockStart int
	)
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if d, ok := strings.CutPrefix(strings.TrimSpace(line), "<!-- docs:"); ok {
			d = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(d), "-->"))
			switch {
			case strings.HasPrefix(d, "volatile"):
				volatile = strings.Fields(strings.TrimPrefix(d, "volatile"))
			case d == "not output":
				notOutput = true
			case d == "fails":
				failsNext = true
			case d == "stop background":
				cmds = append(cmds, &docCommand{page: page, line: i + 1, stopBackground: true})
			case strings.HasPrefix(d, "needs "):
				cmds = append(cmds, &docCommand{page: page, line: i + 1, needs: strings.TrimSpace(strings.TrimPrefix(d, "needs "))})
			}
			continue
		}
		m := fence.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		lang, flags := m[1], strings.Fields(m[2])
		blockStart = i + 1
		var body []string
		for i++; i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), "```"); i++ {
			body = append(body, lines[i])
		}
		switch {
		case (lang == "sh" || lang == "bash") && !has(flags, "norun"):
			lastBlock = splitCommands(page, body, blockStart+1)
			for _, c := range lastBlock {
				c.background = has(flags, "background")
				c.waitForServe = c.background && strings.Contains(c.text, "assumed serve")
			}
			cmds = append(cmds, lastBlock...)
		case (lang == "json" || lang == "text") && len(lastBlock) > 0 && !notOutput:
			last := lastBlock[len(lastBlock)-1]
			if lang == "json" {
				last.wantJSON, last.volatile = strings.Join(body, "\n"), volatile
			} else {
				last.wantText = strings.Join(body, "\n")
			}
			last.fails = last.fails || failsNext
			lastBlock = nil
		default:
			lastBlock = nil
		}
		volatile, notOutput, failsNext = nil, false, false
	}
	return cmds
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var heredoc = regexp.MustCompile(`<<-?\s*['"]?([A-Za-z_][A-Za-z0-9_]*)['"]?`)

// splitCommands splits a shell block into commands with their expected
// output comments. first is the page line of the block's first line.
func splitCommands(page string, body []string, first int) []*docCommand {
	var cmds []*docCommand
	var cur *docCommand
	expecting := false // comments now are the last command's output
	for i := 0; i < len(body); i++ {
		line := body[i]
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "":
			expecting = false
			continue
		case strings.HasPrefix(trimmed, "#"):
			if expecting && cur != nil {
				text := strings.TrimSpace(strings.TrimPrefix(trimmed, "#"))
				if strings.HasPrefix(text, "An error occurred (") {
					cur.fails = true
					cur.stderr = append(cur.stderr, text)
				} else if cur.fails {
					cur.stderr = append(cur.stderr, text)
				} else {
					cur.stdout = append(cur.stdout, text)
				}
			}
			continue
		}
		cur = &docCommand{page: page, line: first + i}
		var text []string
		for {
			text = append(text, body[i])
			if m := heredoc.FindStringSubmatch(body[i]); m != nil && !strings.HasSuffix(strings.TrimSpace(body[i]), "\\") {
				for i++; i < len(body); i++ {
					text = append(text, body[i])
					if strings.TrimSpace(body[i]) == m[1] {
						break
					}
				}
				break
			}
			if i+1 >= len(body) {
				break
			}
			if !strings.HasSuffix(strings.TrimSpace(body[i]), "\\") && complete(strings.Join(text, "\n")) {
				break
			}
			i++
		}
		cur.text = strings.Join(text, "\n")
		cmds = append(cmds, cur)
		expecting = true
	}
	return cmds
}

// complete reports whether text is a whole shell command: an if, for,
// while, case, brace or parenthesis opened in it is closed (bash -n finds
// no unexpected end of file).
func complete(text string) bool {
	out, err := exec.Command("bash", "-n", "-c", text).CombinedOutput()
	return err == nil || !strings.Contains(string(out), "unexpected end of file")
}

// patternRE turns a documented line into a regular expression: `...` and
// `…` are any text, runs of white space one or more spaces.
func patternRE(p string) *regexp.Regexp {
	var b strings.Builder
	for _, f := range strings.Fields(p) {
		if b.Len() > 0 {
			b.WriteString(`\s+`)
		}
		parts := regexp.MustCompile(`\.\.\.|…`).Split(f, -1)
		for j, part := range parts {
			if j > 0 {
				b.WriteString(`[\s\S]*?`)
			}
			b.WriteString(regexp.QuoteMeta(part))
		}
	}
	return regexp.MustCompile(b.String())
}

// ansi and box are what terminals show around text: ANSI colours, and the
// box Terraform draws around a diagnostic.
var (
	ansi = regexp.MustCompile(`\x1b\[[0-9;]*m`)
	box  = regexp.MustCompile(`(?m)^[│╷╵] ?`)
)

// containsInOrder reports whether each pattern matches out after the
// previous one's match. Terminal decoration in out is ignored.
func containsInOrder(out string, patterns []string) (string, bool) {
	rest := box.ReplaceAllString(ansi.ReplaceAllString(out, ""), "")
	for _, p := range patterns {
		if strings.TrimSpace(p) == "" || strings.Trim(p, ".… ") == "" {
			continue
		}
		loc := patternRE(p).FindStringIndex(rest)
		if loc == nil {
			return p, false
		}
		rest = rest[loc[1]:]
	}
	return "", true
}

// jsonEqual compares two JSON documents, ignoring the values of the
// volatile field names.
func jsonEqual(got, want any, volatile []string) bool {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				return false
			}
			if has(volatile, k) {
				continue
			}
			if !jsonEqual(gv, wv, volatile) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !jsonEqual(g[i], w[i], volatile) {
				return false
			}
		}
		return true
	}
	return fmt.Sprint(got) == fmt.Sprint(want)
}

// freeTCPPort returns a loopback port free a moment ago.
func freeTCPPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestDocs runs each page of docPages.
func TestDocs(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("SKIPPED: bash is not installed")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	for _, page := range docPages(t, root) {
		t.Run(strings.TrimSuffix(filepath.Base(page), ".md"), func(t *testing.T) {
			// Each page has its own directory, HOME and port: they run side
			// by side.
			t.Parallel()
			runDocPage(t, root, page)
		})
	}
}

// runDocPage runs one page in a directory whose entries link to the
// repository's (so that `go run ./cmd/assumed` works), with its own HOME
// and port; everything the page starts in the background is stopped when
// it ends.
func runDocPage(t *testing.T, root, page string) {
	cmds := parseDocPage(t, filepath.Join(root, page))
	if len(cmds) == 0 {
		t.Fatalf("%s has no shell block to run", page)
	}
	for _, c := range cmds {
		if _, err := exec.LookPath(c.needs); c.needs != "" && err != nil {
			t.Skipf("SKIPPED: %s needs %s, which is not on PATH", page, c.needs)
		}
	}
	dir := t.TempDir()
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		// Not the hidden entries, nor a binary built at the root (a page's
		// `go build -o assumed` would write through the link).
		if strings.HasPrefix(e.Name(), ".") || e.Name() == "assumed" || !e.IsDir() && !strings.HasPrefix(e.Name(), "go.") {
			continue
		}
		if err := os.Symlink(filepath.Join(root, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	home := filepath.Join(dir, ".home")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	port := freeTCPPort(t)
	// A fresh HOME, but the machine's Go caches: a reader's `go run` reuses
	// what they built before, and a cold build of every page would take
	// minutes.
	goEnv, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	goVars := strings.Split(strings.TrimSpace(string(goEnv)), "\n")
	if len(goVars) != 3 {
		t.Fatalf("go env: %q", goEnv)
	}
	env := []string{"GOCACHE=" + goVars[0], "GOMODCACHE=" + goVars[1], "GOPATH=" + goVars[2], "HOME=" + home, "ASSUMED_PORT=" + strconv.Itoa(port), "ASSUMED_METRICS_PORT=" + strconv.Itoa(freeTCPPort(t)), "NO_PROXY=*", "no_proxy=*", "LC_ALL=C.UTF-8"}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, "AWS_") && !strings.HasPrefix(k, "ASSUMED_") && k != "HOME" && k != "LC_ALL" && !strings.HasPrefix(k, "TF_") &&
			k != "GOCACHE" && k != "GOMODCACHE" && k != "GOPATH" {
			env = append(env, kv)
		}
	}
	var bg []*exec.Cmd
	t.Cleanup(func() {
		for _, c := range bg {
			// Each background command is a process group of its own.
			_ = killGroup(c)
		}
	})
	// The session: the commands' effects on the shell (exports, cd,
	// functions) carry over, so each command is run by one bash that
	// sources the commands in turn from files, and reports each exit
	// status.
	state := filepath.Join(dir, ".session")
	if err := os.WriteFile(state, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for i, c := range cmds {
		where := fmt.Sprintf("%s:%d", page, c.line)
		if c.needs != "" {
			continue
		}
		if c.stopBackground {
			for _, b := range bg {
				_ = killGroup(b)
			}
			bg = nil
			continue
		}
		script := filepath.Join(dir, fmt.Sprintf(".cmd-%03d.sh", i))
		if err := os.WriteFile(script, []byte(c.text+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if c.background {
			// Run with the session so far, in its own process group.
			sh := exec.Command("bash", "-c", `source "$1" >/dev/null 2>&1; source "$2"`, "bash", state, script)
			sh.Dir, sh.Env = dir, env
			logf, err := os.Create(filepath.Join(dir, fmt.Sprintf(".bg-%03d.log", i)))
			if err != nil {
				t.Fatal(err)
			}
			sh.Stdout, sh.Stderr = logf, logf
			setGroup(sh)
			if err := sh.Start(); err != nil {
				t.Fatalf("%s: start in the background: %v", where, err)
			}
			bg = append(bg, sh)
			if c.waitForServe {
				waitServe(t, where, port, logf.Name())
			}
			continue
		}
		// Foreground: source the session, run the command, then save the
		// session (exported variables, the directory) for the next one.
		sh := exec.Command("bash", "-c", `source "$1" >/dev/null 2>&1
source "$2" >"$3.out" 2>"$3.err"
rc=$?
{ declare -p; declare -f; printf 'cd %q\n' "$PWD"; } > "$1" 2>/dev/null
exit $rc`, "bash", state, script, script)
		sh.Dir, sh.Env = dir, env
		start := time.Now()
		runErr := sh.Run()
		stdout, _ := os.ReadFile(script + ".out")
		stderr, _ := os.ReadFile(script + ".err")
		rc := 0
		if runErr != nil {
			ee, ok := runErr.(*exec.ExitError)
			if !ok {
				t.Fatalf("%s: %v", where, runErr)
			}
			rc = ee.ExitCode()
		}
		show := func() string {
			return fmt.Sprintf("\n$ %s\n--- exit %d after %s\n--- stdout:\n%s\n--- stderr:\n%s", c.text, rc, time.Since(start).Round(time.Millisecond), stdout, stderr)
		}
		switch {
		case c.fails && rc == 0:
			t.Fatalf("%s: the page says this fails, and it succeeded:%s", where, show())
		case !c.fails && rc != 0:
			t.Fatalf("%s: the command failed:%s", where, show())
		}
		if p, ok := containsInOrder(string(stderr), c.stderr); !ok {
			t.Fatalf("%s: standard error lacks %q:%s", where, p, show())
		}
		if p, ok := containsInOrder(string(stdout), c.stdout); !ok {
			t.Fatalf("%s: the output lacks %q:%s", where, p, show())
		}
		if c.wantText != "" {
			out := string(stdout)
			if c.fails {
				// A failure's story is told on both streams.
				out += string(stderr)
			}
			if p, ok := containsInOrder(out, strings.Split(c.wantText, "\n")); !ok {
				t.Fatalf("%s: the output lacks %q of the page's:%s", where, p, show())
			}
		}
		if c.wantJSON != "" {
			var want, got any
			if err := json.Unmarshal([]byte(c.wantJSON), &want); err != nil {
				t.Fatalf("%s: the page's JSON output does not parse: %v", where, err)
			}
			if err := json.Unmarshal(stdout, &got); err != nil || !jsonEqual(got, want, c.volatile) {
				t.Fatalf("%s: the output is not the page's JSON (volatile: %v):%s\n--- the page's:\n%s", where, c.volatile, show(), c.wantJSON)
			}
		}
	}
}

// waitServe waits until assumed serve answers on port, or fails with its
// log.
func waitServe(t *testing.T, where string, port int, logFile string) {
	t.Helper()
	url := fmt.Sprintf("http://127.0.0.1:%d/_assumed/health", port)
	// A server with --tls answers on the same port over HTTPS, with a
	// certificate of its data dir's CA: readiness only is checked here.
	insecure := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		for _, try := range []struct {
			c   *http.Client
			url string
		}{{http.DefaultClient, url}, {insecure, "https" + strings.TrimPrefix(url, "http")}} {
			if resp, err := try.c.Get(try.url); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	log, _ := os.ReadFile(logFile)
	t.Fatalf("%s: assumed serve did not answer %s within 3 minutes; its output:\n%s", where, url, log)
}

// setGroup makes c the leader of a process group of its own.
func setGroup(c *exec.Cmd) { c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

// killGroup stops c's process group: SIGTERM, then SIGKILL after 5 s.
func killGroup(c *exec.Cmd) error {
	if c.Process == nil {
		return nil
	}
	pgid := c.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { c.Wait(); close(done) }()
	deadline := time.After(5 * time.Second)
	select {
	case <-done:
	case <-deadline:
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-done
	}
	// The group's leader is the shell; the server under `go run` may still
	// be stopping. Wait until no process of the group is left, so that the
	// next server the page starts is the one that answers on the port.
	for i := 0; syscall.Kill(-pgid, 0) == nil; i++ {
		if i == 50 {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
		if i > 100 {
			return fmt.Errorf("process group %d outlived SIGKILL", pgid)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}
