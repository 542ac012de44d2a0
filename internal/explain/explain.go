// Package explain answers "why was this allowed, why was it refused" for
// `assumed explain` and POST /_assumed/explain: it turns a query (a
// principal, and an action on a resource or a role to assume) into the
// caller assumed's services would see, decides it with package authz as
// they do, keeping the whole trace, and renders a trace as text.
package explain

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/assumed-dev/assumed/arn"
	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// Query is one question: may As perform Action on Resource, or may As
// assume the role Assume (with ExternalID, Tags, SourceIdentity,
// SessionName and DurationSeconds as AssumeRole takes them)?
type Query struct {
	// As is the principal asking: an IAM user's ARN, a role's ARN (which
	// acts through a session of itself, as IAM's policy simulator has it),
	// an assumed-role session's ARN, an account's root
	// (arn:aws:iam::ACCOUNT:root, or the bare account ID), or an IAM OIDC
	// provider's ARN (arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH): the
	// holder of a web-identity token of its issuer, which can only assume
	// a role (AssumeRoleWithWebIdentity), the token's claims given in
	// Context as HOST/PATH:sub, HOST/PATH:aud (and HOST/PATH:amr).
	As string `json:"as"`
	// Action and Resource are the request ("s3:GetObject" on
	// "arn:aws:s3:::bucket/key"); Resource defaults to "*". sts:AssumeRole
	// (or sts:AssumeRoleWithWebIdentity) on a role's ARN is explained as
	// Assume. An action of a service other than IAM, STS, EKS and EKS
	// Auth is decided with the resource's policy (a bucket policy, a key
	// policy, …) and owner as the gateway records them.
	Action   string `json:"action,omitempty"`
	Resource string `json:"resource,omitempty"`
	// Context adds condition keys to the request (aws:SourceIp,
	// aws:RequestTag/…, s3:prefix, …, and a web-identity token's claims).
	Context []ContextEntry `json:"context,omitempty"`
	// Assume is the ARN of a role to explain an AssumeRole of.
	Assume          string            `json:"assume,omitempty"`
	ExternalID      string            `json:"externalId,omitempty"`
	Tags            map[string]string `json:"tags,omitempty"`
	SourceIdentity  string            `json:"sourceIdentity,omitempty"`
	SessionName     string            `json:"sessionName,omitempty"`
	DurationSeconds int               `json:"durationSeconds,omitempty"`
	// Time is when the request is made (aws:CurrentTime, and the issue
	// time of the session As acts through); zero means now.
	Time time.Time `json:"time,omitzero"`
}

// ContextEntry is one condition key of a query, typed as IAM's policy
// simulator types them: string, stringList, numeric, numericList,
// boolean, booleanList, ip, ipList, date, dateList, binary or binaryList
// (empty: string, or stringList for several values).
type ContextEntry struct {
	Key    string   `json:"key"`
	Type   string   `json:"type,omitempty"`
	Values []string `json:"values"`
}

// DefaultSessionName is the session name of an explained AssumeRole
// that names none (sts:RoleSessionName).
const DefaultSessionName = "assumed-explain"

// RoleSessionName is the session name a role's ARN given as Query.As
// acts through, as IAM's policy simulator names it.
const RoleSessionName = "SimulatedSession"

// Error is a query that can't be explained: malformed, or naming a
// principal that does not exist. Status is the HTTP status that fits.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

func invalid(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "InvalidInput", Message: fmt.Sprintf(format, args...)}
}

func noSuchEntity(format string, args ...any) *Error {
	return &Error{Status: http.StatusNotFound, Code: "NoSuchEntity", Message: fmt.Sprintf(format, args...)}
}

// Accounts returns the account of the principal As and, for an
// assumption, the account of the role: the accounts whose principals and
// roles the query is about. It checks their form only, not that they
// exist.
func (q *Query) Accounts() (as, role string, err error) {
	p, err := parsePrincipal(q.As)
	if err != nil {
		return "", "", err
	}
	if target := q.assumeTarget(); target != "" {
		a, err := parseRoleARN(target)
		if err != nil {
			return "", "", err
		}
		role = a.AccountID
	}
	return p.account, role, nil
}

// assumeTarget is the role the query assumes: Assume, or the Resource of
// an sts:AssumeRole action on a role.
func (q *Query) assumeTarget() string {
	if q.Assume != "" {
		return q.Assume
	}
	if (strings.EqualFold(q.Action, "sts:AssumeRole") || strings.EqualFold(q.Action, webIdentityAction)) && strings.Contains(q.Resource, ":role/") {
		return q.Resource
	}
	return ""
}

// webIdentityAction is the action of an assumption with a web-identity
// token.
const webIdentityAction = "sts:AssumeRoleWithWebIdentity"

// Explain decides q against snap as assumed's services would and returns
// the trace, allowed or not. A malformed query, or one naming a principal
// that does not exist, is an *Error. A role to assume that does not exist
// is not an error: the trace says so, as AWS's refusal would.
func Explain(snap *directory.Snapshot, q Query) (*authz.Trace, error) {
	if q.Time.IsZero() {
		q.Time = time.Now()
	}
	q.Time = q.Time.UTC().Truncate(time.Second)
	target := q.assumeTarget()
	switch {
	case target == "" && q.Action == "":
		return nil, invalid("say what to explain: an action (with its resource), or a role to assume")
	case q.Assume != "" && q.Action != "":
		return nil, invalid("an action and a role to assume were both given: explain one at a time")
	case target == "" && (q.ExternalID != "" || len(q.Tags) > 0 || q.SourceIdentity != "" || q.SessionName != "" || q.DurationSeconds != 0):
		return nil, invalid("external ID, session tags, source identity, session name and duration belong to an assumption: name the role to assume")
	}
	ctx, err := requestContext(q.Context)
	if err != nil {
		return nil, err
	}
	p, err := parsePrincipal(q.As)
	if err != nil {
		return nil, err
	}
	if p.kind == kindOIDCProvider {
		if target == "" {
			return nil, invalid("%s is an OIDC provider: the holder of its token can only assume a role (AssumeRoleWithWebIdentity); name the role to assume", q.As)
		}
		return explainWebIdentity(snap, p, target, q, ctx)
	}
	if strings.EqualFold(q.Action, webIdentityAction) {
		return nil, invalid("%s is made with a web-identity token: give the OIDC provider's ARN (arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH) as the principal, and the token's claims as context entries", webIdentityAction)
	}
	caller, err := Caller(snap, q.As, q.Time)
	if err != nil {
		return nil, err
	}
	applyOrigin(caller, ctx)
	if target != "" {
		return explainAssumeRole(snap, caller, target, q, ctx)
	}
	resource := q.Resource
	if resource == "" {
		resource = "*"
	}
	service, _, ok := strings.Cut(q.Action, ":")
	if !ok || service == "" {
		return nil, invalid("action %q is not SERVICE:ACTION (for example s3:GetObject)", q.Action)
	}
	switch strings.ToLower(service) {
	case "iam", "sts", "eks", "eks-auth":
		// assumed's own services: no resource-based policies but trust
		// policies, which an assumption is explained with.
		return authz.ExplainRequest(snap, authz.Request{Caller: caller, Action: q.Action, Resource: resource, Context: ctx}), nil
	}
	return authz.ExplainResource(snap, resourceRequest(snap, caller, strings.ToLower(service), q.Action, resource, ctx)), nil
}

// kindOIDCProvider is the kind of principalRef of an OIDC provider.
const kindOIDCProvider = "oidc-provider"

// principalRef is a principal ARN, parsed.
type principalRef struct {
	arn     string
	account string
	kind    string // root, user, role, assumed-role, oidc-provider
	name    string // user or role name
	path    string // user's or role's path, "/" by default
	session string // assumed-role session name
}

// parsePrincipal parses a principal ARN (or a bare account ID).
func parsePrincipal(s string) (principalRef, error) {
	if s == "" {
		return principalRef{}, invalid("say who asks: a principal ARN (user, role, assumed-role session, account root or OIDC provider)")
	}
	if arn.IsAccountID(s) {
		return principalRef{arn: "arn:aws:iam::" + s + ":root", account: s, kind: "root"}, nil
	}
	a, err := arn.Parse(s)
	if err != nil || !arn.IsAccountID(a.AccountID) || a.Region != "" {
		return principalRef{}, invalid("%q is not a principal ARN: want arn:aws:iam::ACCOUNT:user/NAME, arn:aws:iam::ACCOUNT:role/NAME, arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, arn:aws:iam::ACCOUNT:root or arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH", s)
	}
	p := principalRef{arn: s, account: a.AccountID}
	switch {
	case a.Service == "iam" && a.Resource == "root":
		p.kind = "root"
		return p, nil
	case a.Service == "iam" && strings.HasPrefix(a.Resource, "oidc-provider/") && len(a.Resource) > len("oidc-provider/"):
		p.kind = kindOIDCProvider
		return p, nil
	case a.Service == "iam" && (strings.HasPrefix(a.Resource, "user/") || strings.HasPrefix(a.Resource, "role/")):
		kind, rest, _ := strings.Cut(a.Resource, "/")
		i := strings.LastIndexByte(rest, '/')
		p.kind, p.name, p.path = kind, rest[i+1:], "/"+rest[:i+1]
		if p.path == "//" || p.path == "/" {
			p.path = "/"
		}
		if p.name != "" {
			return p, nil
		}
	case a.Service == "sts" && strings.HasPrefix(a.Resource, "assumed-role/"):
		parts := strings.Split(strings.TrimPrefix(a.Resource, "assumed-role/"), "/")
		if len(parts) == 2 && parts[0] != "" && parts[1] != "" {
			p.kind, p.name, p.session = "assumed-role", parts[0], parts[1]
			return p, nil
		}
	}
	return principalRef{}, invalid("%q is not a principal ARN: want arn:aws:iam::ACCOUNT:user/NAME, arn:aws:iam::ACCOUNT:role/NAME, arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, arn:aws:iam::ACCOUNT:root or arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH", s)
}

// parseRoleARN checks that s is a role's ARN.
func parseRoleARN(s string) (arn.ARN, error) {
	a, err := arn.Parse(s)
	if err != nil || a.Service != "iam" || !arn.IsAccountID(a.AccountID) || !strings.HasPrefix(a.Resource, "role/") || strings.HasSuffix(a.Resource, "/") {
		return arn.ARN{}, invalid("%q is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)", s)
	}
	return a, nil
}

// Caller builds the caller a principal ARN (as Query.As takes it) makes
// requests as, at time now: the root user, an IAM user, or a role
// session (a role's ARN acts through a session named RoleSessionName).
// A session is one with no session policies, tags or source identity:
// those live in its token, which an ARN does not carry. A principal that
// does not exist is an *Error.
func Caller(snap *directory.Snapshot, principal string, now time.Time) (*directory.Caller, error) {
	p, err := parsePrincipal(principal)
	if err != nil {
		return nil, err
	}
	if _, ok := snap.Accounts[p.account]; !ok {
		return nil, noSuchEntity("account %s is not hosted by this server", p.account)
	}
	c := &directory.Caller{AccountID: p.account, Region: directory.DefaultRegion, RequestTime: now}
	acct := snap.AccountIAM(p.account)
	switch p.kind {
	case kindOIDCProvider:
		return nil, invalid("%s is an OIDC provider, which makes no requests of its own: the holder of its token can only assume a role", principal)
	case "root":
		c.ARN = "arn:aws:iam::" + p.account + ":root"
		return c, nil
	case "user":
		u, ok := acct.Users[directory.Key(p.name)]
		if !ok {
			return nil, noSuchEntity("account %s has no user named %s", p.account, p.name)
		}
		if u.ARN != p.arn {
			return nil, noSuchEntity("account %s has no user %s: its user %s is %s (the path is part of the ARN)", p.account, p.arn, u.Name, u.ARN)
		}
		c.ARN, c.UserName = u.ARN, u.Name
		return c, nil
	}
	r, ok := acct.Roles[directory.Key(p.name)]
	if !ok {
		return nil, noSuchEntity("account %s has no role named %s", p.account, p.name)
	}
	session := p.session
	if p.kind == "role" {
		if r.ARN != p.arn {
			return nil, noSuchEntity("account %s has no role %s: its role %s is %s (the path is part of the ARN)", p.account, p.arn, r.Name, r.ARN)
		}
		session = RoleSessionName
	}
	s := &directory.Session{AccountID: p.account, RoleName: r.Name, RolePath: r.Path, RoleID: r.ID, SessionName: session,
		IssuedAt: now, Expiration: now.Add(time.Hour), Epoch: snap.Epoch}
	c.Session, c.ARN = s, s.ARN()
	return c, nil
}

// applyOrigin moves the keys that describe where a request comes from,
// which authz takes from the caller rather than the request's context,
// onto the caller: aws:SourceIp, aws:SecureTransport, aws:CurrentTime
// and aws:RequestedRegion.
func applyOrigin(c *directory.Caller, ctx *policy.Context) {
	if v, ok := ctx.Lookup("aws:SourceIp"); ok && len(v) == 1 {
		if a, err := netip.ParseAddr(v[0]); err == nil {
			c.SourceIP = a
		}
	}
	if v, ok := ctx.Lookup("aws:SecureTransport"); ok && len(v) == 1 {
		c.SecureTransport = strings.EqualFold(v[0], "true")
	}
	if v, ok := ctx.Lookup("aws:CurrentTime"); ok && len(v) == 1 {
		if t, ok := parseDate(v[0]); ok {
			c.RequestTime = t
		}
	}
	if v, ok := ctx.Lookup("aws:RequestedRegion"); ok && len(v) == 1 {
		c.Region = v[0]
	}
}

// explainAssumeRole explains an AssumeRole of roleARN by caller, with the
// checks STS makes before it asks authz (the role session's chained
// duration, the role's maximum, an unchangeable source identity) and the
// request context STS builds.
func explainAssumeRole(snap *directory.Snapshot, caller *directory.Caller, roleARN string, q Query, ctx *policy.Context) (*authz.Trace, error) {
	if _, err := parseRoleARN(roleARN); err != nil {
		return nil, err
	}
	if q.ExternalID != "" && (len(q.ExternalID) < 2 || len(q.ExternalID) > 1224 || !externalIDPattern.MatchString(q.ExternalID)) {
		return nil, invalid("external ID %q must be 2 to 1224 characters of [\\w+=,.@:/-]", q.ExternalID)
	}
	name, duration, tags, err := assumeInputs(q, "AssumeRole")
	if err != nil {
		return nil, err
	}
	if caller.IsRoot() {
		// As STS: before it looks at the role.
		return authz.Refusal(caller, "sts:AssumeRole", roleARN, "", "because roles may not be assumed by root accounts",
			"AWS refuses AssumeRole to an account's root user, whatever the trust policy says",
			"call AssumeRole as an IAM user or a role session of account "+caller.AccountID).Trace, nil
	}
	role, ok := snap.RoleByARN(roleARN)
	if !ok {
		// As STS: the context then holds the external ID alone.
		nf := policy.NewContext()
		if q.ExternalID != "" {
			nf.Set("sts:ExternalId", q.ExternalID)
		}
		return authz.ExplainAssumeRole(snap, caller, roleARN, []string{"sts:AssumeRole"}, nf), nil
	}
	chained := caller.IsRoleSession()
	if chained && duration > 3600 {
		return authz.Refusal(caller, "sts:AssumeRole", roleARN, "",
			fmt.Sprintf("because the requested DurationSeconds (%d) exceeds the 1 hour session limit for roles assumed by role chaining", duration),
			"A role session that assumes a role (role chaining) gets a session of at most one hour, whatever the role's MaxSessionDuration (STS answers ValidationError: The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.)",
			"ask for 3600 seconds or less, or assume the role with an IAM user's credentials").Trace, nil
	}
	if int32(duration) > role.MaxSessionDuration {
		return authz.Refusal(caller, "sts:AssumeRole", roleARN, "",
			fmt.Sprintf("because the requested DurationSeconds (%d) exceeds the MaxSessionDuration (%d) of role %s", duration, role.MaxSessionDuration, role.ARN),
			"A session can't outlast its role's MaxSessionDuration (STS answers ValidationError: The requested DurationSeconds exceeds the MaxSessionDuration set for this role.)",
			fmt.Sprintf("ask for %d seconds or less, or raise the MaxSessionDuration of %s (aws iam update-role --max-session-duration)", role.MaxSessionDuration, role.ARN)).Trace, nil
	}
	// What STS does next (sts.Service.AssumeRole): the caller's
	// transitive tags flow in; the source identity is kept down a chain.
	var all []directory.Tag
	sourceIdentity := q.SourceIdentity
	if chained {
		s := caller.Session
		for _, t := range s.Tags {
			if slices.ContainsFunc(s.TransitiveTagKeys, func(k string) bool { return strings.EqualFold(k, t.Key) }) {
				all = append(all, t)
			}
		}
		if s.SourceIdentity != "" {
			if sourceIdentity != "" && sourceIdentity != s.SourceIdentity {
				return authz.Refusal(caller, "sts:SetSourceIdentity", roleARN, "",
					fmt.Sprintf("because the source identity %q of the session cannot be changed", s.SourceIdentity),
					"A source identity, once set, is kept down a role chain and can't be changed",
					fmt.Sprintf("don't pass --source-identity, or pass the session's own (%q)", s.SourceIdentity)).Trace, nil
			}
			sourceIdentity = s.SourceIdentity
		}
	}
	all = append(all, tags...)
	actions := []string{"sts:AssumeRole"}
	if len(all) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	if q.SourceIdentity != "" {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	ctx.Set("sts:RoleSessionName", name)
	if q.ExternalID != "" {
		ctx.Set("sts:ExternalId", q.ExternalID)
	}
	if len(all) > 0 {
		keys := make([]string, 0, len(all))
		for _, t := range all {
			ctx.Set("aws:RequestTag/"+t.Key, t.Value)
			keys = append(keys, t.Key)
		}
		ctx.SetMulti("aws:TagKeys", keys...)
	}
	if sourceIdentity != "" {
		ctx.Set("sts:SourceIdentity", sourceIdentity)
	}
	return authz.ExplainAssumeRole(snap, caller, role.ARN, actions, ctx), nil
}

// assumeInputs checks what an assumption (op) takes besides its role as
// STS does, and returns the session name (DefaultSessionName when none
// is given), the duration (3600 when none) and the session tags.
func assumeInputs(q Query, op string) (name string, duration int, tags []directory.Tag, err error) {
	name = q.SessionName
	if name == "" {
		name = DefaultSessionName
	}
	if err := checkName(name, "session name"); err != nil {
		return "", 0, nil, err
	}
	if q.SourceIdentity != "" {
		if err := checkName(q.SourceIdentity, "source identity"); err != nil {
			return "", 0, nil, err
		}
		if strings.HasPrefix(strings.ToLower(q.SourceIdentity), "aws:") {
			return "", 0, nil, invalid("a source identity cannot start with the prefix 'aws:'")
		}
	}
	duration = q.DurationSeconds
	if duration != 0 && (duration < 900 || duration > 43200) {
		return "", 0, nil, invalid("duration %d seconds is outside %s's 900 to 43200", duration, op)
	}
	if duration == 0 {
		duration = 3600
	}
	if tags, err = sessionTags(q.Tags); err != nil {
		return "", 0, nil, err
	}
	return name, duration, tags, nil
}

var (
	sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]*$`)
	externalIDPattern  = regexp.MustCompile(`^[\w+=,.@:/-]*$`)
	tagKeyPattern      = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`)
	tagValuePattern    = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

// checkName checks a session name or source identity as STS does: 2-64
// characters of [\w+=,.@-].
func checkName(v, what string) error {
	if len(v) < 2 || len(v) > 64 || !sessionNamePattern.MatchString(v) {
		return invalid("%s %q must be 2 to 64 characters of [\\w+=,.@-]", what, v)
	}
	return nil
}

// sessionTags checks session tags as STS does and returns them sorted by
// key, so that a trace does not depend on a map's order.
func sessionTags(m map[string]string) ([]directory.Tag, error) {
	if len(m) > 50 {
		return nil, invalid("%d session tags: AssumeRole takes at most 50", len(m))
	}
	out := make([]directory.Tag, 0, len(m))
	for k, v := range m {
		if len(k) < 1 || len(k) > 128 || !tagKeyPattern.MatchString(k) {
			return nil, invalid("session tag key %q must be 1 to 128 characters of letters, digits, spaces and _.:/=+-@", k)
		}
		if len(v) > 256 || !tagValuePattern.MatchString(v) {
			return nil, invalid("session tag value %q must be at most 256 characters of letters, digits, spaces and _.:/=+-@", v)
		}
		out = append(out, directory.Tag{Key: k, Value: v})
	}
	slices.SortFunc(out, func(a, b directory.Tag) int { return strings.Compare(a.Key, b.Key) })
	for i := 1; i < len(out); i++ {
		if strings.EqualFold(out[i-1].Key, out[i].Key) {
			return nil, invalid("session tag keys %q and %q are the same: tag keys are case-insensitive", out[i-1].Key, out[i].Key)
		}
	}
	return out, nil
}

// contextTypes are the types of a context entry, as IAM's
// ContextKeyType names them.
var contextTypes = []string{"string", "stringList", "numeric", "numericList", "boolean", "booleanList", "ip", "ipList", "date", "dateList", "binary", "binaryList"}

// ContextTypes lists the types a context entry may have.
func ContextTypes() []string { return slices.Clone(contextTypes) }

// requestContext turns context entries into a request context.
func requestContext(entries []ContextEntry) (*policy.Context, error) {
	ctx := policy.NewContext()
	seen := map[string]bool{}
	for _, e := range entries {
		if e.Key == "" {
			return nil, invalid("a context entry has no key")
		}
		if seen[strings.ToLower(e.Key)] {
			return nil, invalid("context key %s is given twice: give a list type (stringList, …) for several values", e.Key)
		}
		seen[strings.ToLower(e.Key)] = true
		typ := e.Type
		if typ == "" {
			typ = "string"
			if len(e.Values) != 1 {
				typ = "stringList"
			}
		}
		if !slices.Contains(contextTypes, typ) {
			return nil, invalid("context key %s: type %q is not one of %s", e.Key, typ, strings.Join(contextTypes, ", "))
		}
		base, list := strings.TrimSuffix(typ, "List"), strings.HasSuffix(typ, "List")
		if !list && len(e.Values) != 1 {
			return nil, invalid("context key %s of type %s takes one value, not %d", e.Key, typ, len(e.Values))
		}
		vals := make([]string, len(e.Values))
		for i, v := range e.Values {
			n, err := normalize(base, v)
			if err != nil {
				return nil, invalid("context key %s: value %q: %v", e.Key, v, err)
			}
			vals[i] = n
		}
		switch {
		case list:
			ctx.SetMulti(e.Key, vals...)
		case base == "ip":
			a, _ := netip.ParseAddr(vals[0])
			ctx.SetIP(e.Key, a)
		case base == "date":
			t, _ := parseDate(vals[0])
			ctx.SetDate(e.Key, e.Values[0], t)
		default:
			ctx.Set(e.Key, vals[0])
		}
	}
	return ctx, nil
}

// normalize checks a value of a type and returns it in the form the
// policy engine compares: booleans in lower case, numbers trimmed, dates
// of a list in RFC 3339 (a single date keeps its text and is parsed once).
func normalize(typ, v string) (string, error) {
	switch typ {
	case "boolean":
		if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
			return "", errors.New("want true or false")
		}
		return strings.ToLower(v), nil
	case "numeric":
		v = strings.TrimSpace(v)
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return "", errors.New("want a number")
		}
	case "ip":
		if _, err := netip.ParseAddr(v); err != nil {
			if _, err := netip.ParsePrefix(v); err != nil {
				return "", errors.New("want an IP address")
			}
		}
	case "date":
		t, ok := parseDate(v)
		if !ok {
			return "", errors.New("want a date (ISO 8601, as 2026-01-02T15:04:05Z, or seconds since the epoch)")
		}
		return t.Format(time.RFC3339Nano), nil
	}
	return v, nil
}

// dateLayouts are the ISO 8601 forms a date may take.
var dateLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02T15:04Z07:00", "2006-01-02"}

// parseDate parses an ISO 8601 date or epoch seconds.
func parseDate(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), true
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
