package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/assumed-dev/assumed/internal/directory"
)

// The console: a web page under /_assumed/console/ that draws the graph,
// lists the findings and explains requests. It calls the graph endpoints
// and POST /_assumed/explain with a bearer token:
//
//   - the console token, printed (and written to DATA-DIR/console-token)
//     when the server starts, which sees every account;
//   - or a token from POST /_assumed/console/session, given an access key
//     ID and secret access key of an account's root user or of a user
//     allowed GraphAction, which sees that account for 12 hours.
//
// Session tokens are MACed with a key the process makes at start: a
// restart signs every console out.
const (
	consolePath        = "/_assumed/console/"
	consoleSessionPath = "/_assumed/console/session"
	consoleWhoamiPath  = "/_assumed/console/whoami"
	consoleSessionTTL  = 12 * time.Hour
	consoleMaxBody     = 4 << 10
)

// console is the console's state: its assets and tokens.
type console struct {
	assets http.Handler
	token  string // the console token, which sees every account
	macKey []byte // signs the account tokens
}

// NewConsoleToken makes a console token: 32 random bytes, hex.
func NewConsoleToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make the console token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// SetConsole serves the console: its assets (nil answers 404 for them:
// the binary was built without them) and the token that sees every
// account. Call it before Serve.
func (s *Server) SetConsole(assets http.Handler, token string) error {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("make the console's session key: %w", err)
	}
	s.console = &console{assets: assets, token: token, macKey: key}
	s.mux.HandleFunc("POST "+consoleSessionPath, s.serveConsoleSession)
	s.mux.HandleFunc("GET "+consoleWhoamiPath, s.serveConsoleWhoami)
	s.mux.HandleFunc(consolePath, s.serveConsoleAssets)
	s.mux.HandleFunc("GET /_assumed/console", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, consolePath, http.StatusMovedPermanently)
	})
	return nil
}

// consoleError writes an error in the console's shape.
func consoleError(w http.ResponseWriter, status int, code, msg string) {
	writeAdminJSON(w, status, map[string]map[string]string{"error": {"code": code, "message": msg}})
}

// serveConsoleAssets serves the console's page and assets.
func (s *Server) serveConsoleAssets(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		consoleError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "the console's files take GET")
		return
	}
	if s.console.assets == nil {
		consoleError(w, http.StatusNotFound, "NoConsole", "this build of assumed has no console assets")
		return
	}
	http.StripPrefix(strings.TrimSuffix(consolePath, "/"), s.console.assets).ServeHTTP(w, r)
}

// bearerViewer reads an Authorization: Bearer token. ok is false when the
// request has none; err says why a token was not accepted.
func (s *Server) bearerViewer(r *http.Request) (v *viewer, ok bool, err error) {
	h := r.Header.Get("Authorization")
	token, found := strings.CutPrefix(h, "Bearer ")
	if !found {
		return nil, false, nil
	}
	if s.console == nil {
		return nil, true, errors.New("this server has no console: bearer tokens are not accepted")
	}
	if s.console.token != "" && len(token) == len(s.console.token) && subtle.ConstantTimeCompare([]byte(token), []byte(s.console.token)) == 1 {
		return &viewer{all: true, who: "console", bearer: true}, true, nil
	}
	account, err := s.console.openSession(token, s.now())
	if err != nil {
		return nil, true, err
	}
	return &viewer{account: account, who: "console of account " + account, bearer: true}, true, nil
}

// sessionToken signs an account token valid until expiry:
// "acct.ACCOUNT.EXPIRY.MAC".
func (c *console) sessionToken(account string, expiry time.Time) string {
	body := "acct." + account + "." + strconv.FormatInt(expiry.Unix(), 10)
	return body + "." + c.mac(body)
}

func (c *console) mac(body string) string {
	m := hmac.New(sha256.New, c.macKey)
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// openSession checks an account token and returns its account.
func (c *console) openSession(token string, now time.Time) (string, error) {
	invalid := errors.New("the console token is not valid (sign in again)")
	if len(token) > 256 {
		return "", invalid
	}
	i := strings.LastIndexByte(token, '.')
	if i < 0 || !hmac.Equal([]byte(token[i+1:]), []byte(c.mac(token[:i]))) {
		return "", invalid
	}
	parts := strings.Split(token[:i], ".")
	if len(parts) != 3 || parts[0] != "acct" {
		return "", invalid
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return "", invalid
	}
	if now.Unix() > exp {
		return "", errors.New("the console session has expired (sign in again)")
	}
	return parts[1], nil
}

// consoleSignIn is the body of POST /_assumed/console/session.
type consoleSignIn struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
}

// serveConsoleSession signs the console in with an access key: the root
// user's key of an account, or a user's allowed GraphAction.
func (s *Server) serveConsoleSession(w http.ResponseWriter, r *http.Request) {
	var in consoleSignIn
	dec := json.NewDecoder(io.LimitReader(r.Body, consoleMaxBody))
	if err := dec.Decode(&in); err != nil || in.AccessKeyID == "" || in.SecretAccessKey == "" {
		consoleError(w, http.StatusBadRequest, "InvalidInput", "give accessKeyId and secretAccessKey")
		return
	}
	snap := s.iam.Directory().Snapshot()
	k, ok := snap.AccessKeys[in.AccessKeyID]
	if !ok || k.Status != directory.StatusActive || subtle.ConstantTimeCompare([]byte(k.Secret), []byte(in.SecretAccessKey)) != 1 {
		s.log.Info("console sign-in refused", "access_key_id", clipKeyID(in.AccessKeyID))
		consoleError(w, http.StatusUnauthorized, "InvalidClientTokenId", "the access key ID or the secret access key is not valid (long-term keys of this server only)")
		return
	}
	caller := snap.CallerFor(k)
	caller.RequestTime = s.now()
	if !caller.IsRoot() {
		if err := s.authorizeGraph(snap, caller); err != nil {
			consoleError(w, http.StatusForbidden, "AccessDenied", err.Error()+". The console needs the root user of an account, or an identity-based policy that allows "+GraphAction)
			return
		}
	}
	token := s.console.sessionToken(caller.AccountID, s.now().Add(consoleSessionTTL))
	s.log.Info("console signed in", "caller", caller.ARN)
	writeAdminJSON(w, http.StatusOK, map[string]string{"token": token, "account": caller.AccountID})
}

// serveConsoleWhoami answers what the bearer token sees.
func (s *Server) serveConsoleWhoami(w http.ResponseWriter, r *http.Request) {
	v, ok, err := s.bearerViewer(r)
	if !ok || err != nil {
		msg := "sign in: no bearer token"
		if err != nil {
			msg = err.Error()
		}
		consoleError(w, http.StatusUnauthorized, "InvalidToken", msg)
		return
	}
	if v.all {
		writeAdminJSON(w, http.StatusOK, map[string]string{"scope": "all"})
		return
	}
	writeAdminJSON(w, http.StatusOK, map[string]string{"scope": "account", "account": v.account})
}

// clipKeyID bounds a claimed access key ID for logs.
func clipKeyID(id string) string {
	if len(id) > 32 {
		return id[:32] + "…"
	}
	return id
}
