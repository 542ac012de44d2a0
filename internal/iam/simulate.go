package iam

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	sdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/arn"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// The policy simulator: SimulateCustomPolicy and SimulatePrincipalPolicy
// evaluate hypothetical requests with the policy engine and report, per
// action and resource, the decision, the statements that decided it (with
// their position in the document), the condition keys the request lacked,
// and how each policy type contributed.
//
// What AWS returns was checked against captured responses of the real
// simulator (AWS CLI documentation examples and published captures):
//
//   - SourcePolicyType is "IAM Policy", "Resource Policy" or "Permissions
//     Boundary Policy" (not the PolicySourceType enum values).
//   - SourcePolicyId is "PolicyInputList.N", "PermissionsBoundaryPolicyInputList.1",
//     "ResourcePolicy", a managed policy's name, or for an inline policy
//     "user_NAME_POLICY", "group_NAME_POLICY", "role_NAME_POLICY".
//   - StartPosition is the 1-based line and column just after the token
//     before the statement ('[' or the previous statement's '}'; for a
//     single-statement object, just after its '{'); EndPosition is just
//     after the statement's '}'.
//   - MatchedStatements: for "allowed", the Allow statements of identity
//     and resource policies that applied (a boundary's Allow is not
//     listed); for "explicitDeny", every Deny that applied (identity,
//     boundary, resource); for "implicitDeny", none.
//   - MissingContextValues: empty unless the decision is implicitDeny;
//     then every condition key, and every policy variable without a
//     default, used anywhere in the identity, boundary and resource
//     policies (whether or not its statement applies to the action) that
//     the context does not hold, as written in the policy.
//   - EvalDecisionDetails: absent when the resource is "*", empty for
//     same-account simulations of resources, and for cross-account ones a
//     map of "IAM Policy", "Resource Policy" (and "Permissions Boundary
//     Policy") to that policy type's decision.
//
// Where AWS's simulator ignores trust policies (and refuses a trust
// policy given as ResourcePolicy: "Policy statement must contain
// resources"), ours decides as STS does (simulate_trust.go):
//
//   - sts:AssumeRole, sts:AssumeRoleWithWebIdentity,
//     sts:AssumeRoleWithSAML, sts:TagSession and sts:SetSourceIdentity
//     (any case) on a role's ARN (arn:aws:iam::ACCOUNT:role/PATH/NAME) are
//     evaluated with the role's effective trust policy as the resource
//     policy and the role's account as the resource owner, with the rules
//     of authz.AssumeRole: an explicit Deny anywhere wins; the trust must
//     allow the caller; a trust naming the user (or the session) grants
//     alone, one naming the caller's role is still limited by the
//     boundary, and one naming only the account or "*" needs an identity
//     Allow too; across accounts both sides must allow. A role that does
//     not exist (the ARN, path included, must be the role's) is
//     implicitDeny, and no trust policy shows.
//   - A trust policy from the directory is reported with SourcePolicyType
//     "Resource Policy" and SourcePolicyId "RoleTrustPolicy:" followed by
//     the role's ARN ("RoleTrustPolicy:arn:aws:iam::111111111111:role/app").
//   - A ResourcePolicy input stands for the trust policy of every role
//     such an action is simulated on (existing or not), under the id
//     "ResourcePolicy": there it is parsed as a trust policy (Principal,
//     no Resource), or failing that as a resource policy naming the role.
//     For every other action or resource it is a resource policy, as
//     before.
//   - For these pairs EvalDecisionDetails always maps "IAM Policy",
//     "Resource Policy" (the trust policy's decision) and, with a
//     boundary, "Permissions Boundary Policy", in the same account too;
//     MissingContextValues on implicitDeny include the keys the trust
//     policy reads (sts:ExternalId, …), which ContextEntries supply.
//   - A role as the caller (PolicySourceArn, or CallerArn) acts through
//     a session of itself, arn:aws:sts::ACCOUNT:assumed-role/NAME/
//     SimulatedSession, as the role's policies are used in AWS. Only a
//     role session's or user's own policies take part: there are no
//     session policies.
//   - An IAM caller never matches a Federated or Service principal, so a
//     trust that only names an identity provider or a service is
//     implicitDeny: STS's web-identity and service paths are not
//     simulated.

// Source policy types, as the simulator reports them.
const (
	simTypeIdentity types.PolicySourceType = "IAM Policy"
	simTypeResource types.PolicySourceType = "Resource Policy"
	simTypeBoundary types.PolicySourceType = "Permissions Boundary Policy"
)

// simSpan is where a statement starts and ends in its document.
type simSpan struct{ start, end types.Position }

// simSource is one policy document taking part in a simulation.
type simSource struct {
	id    string
	typ   types.PolicySourceType
	doc   string
	pol   *policy.Policy
	spans []simSpan // by statement index; nil when the text could not be scanned
}

func simNewSource(id string, typ types.PolicySourceType, doc string, pol *policy.Policy) *simSource {
	return &simSource{id: id, typ: typ, doc: doc, pol: pol, spans: simStatementSpans(doc)}
}

// statement describes statement i of the source for MatchedStatements.
func (s *simSource) statement(i int) types.Statement {
	st := types.Statement{SourcePolicyId: ptr(s.id), SourcePolicyType: s.typ}
	if i >= 0 && i < len(s.pol.Statements) {
		if k := s.pol.Statements[i].Index - 1; k >= 0 && k < len(s.spans) {
			st.StartPosition, st.EndPosition = ptr(s.spans[k].start), ptr(s.spans[k].end)
		}
	}
	return st
}

// simRun is a validated simulation, ready to evaluate.
type simRun struct {
	identity []*simSource
	boundary *simSource
	resource *simSource
	scps     [][]*simSource

	idSet, boundarySet, resourceSet *policy.Set
	scpSets                         []*policy.Set

	ctx     *policy.Context
	missing []string // keys the policies use that ctx lacks

	caller        *policy.Principal // who the resource policy sees; nil without one
	callerIsRole  bool
	callerAccount string
	ownerAccount  string // owner of resources whose ARN names no account

	// Trust policies (simulate_trust.go): snap holds the roles; trusts
	// caches each role's, by ARN (nil: no such role); trustInput is the
	// ResourcePolicy input when it stands for the trust policy, built
	// from trustSrc; callerMissing are the keys the identity policies and
	// boundary use that ctx lacks.
	snap          *directory.Snapshot
	trusts        map[string]*simTrust
	trustSrc      *simSource
	trustInput    *simTrust
	callerMissing []string

	perResource bool     // ResourceArns were given: report ResourceSpecificResults
	resources   []string // "*" when not given
	orgDetail   bool     // always report OrganizationsDecisionDetail
}

// simVerdict is the outcome for one action on one resource.
type simVerdict struct {
	decision   types.PolicyEvaluationDecisionType
	matched    []types.Statement
	missing    []string
	boundaryOK *bool
	orgOK      *bool
	details    map[string]types.PolicyEvaluationDecisionType // cross-account only
}

func simDecision(d policy.Decision) types.PolicyEvaluationDecisionType {
	return types.PolicyEvaluationDecisionType(d.String())
}

// sets builds the policy sets once.
func (r *simRun) sets() {
	entries := func(srcs []*simSource) []policy.Entry {
		out := make([]policy.Entry, 0, len(srcs))
		for _, s := range srcs {
			out = append(out, policy.Entry{ID: s.id, Policy: s.pol})
		}
		return out
	}
	r.idSet = policy.NewSet(entries(r.identity)...)
	if r.boundary != nil {
		r.boundarySet = policy.NewSet(entries([]*simSource{r.boundary})...)
	}
	if r.resource != nil {
		r.resourceSet = policy.NewSet(entries([]*simSource{r.resource})...)
	}
	for _, level := range r.scps {
		r.scpSets = append(r.scpSets, policy.NewSet(entries(level)...))
	}
	var srcs []*simSource
	srcs = append(srcs, r.identity...)
	if r.boundary != nil {
		srcs = append(srcs, r.boundary)
	}
	r.callerMissing = simMissingKeys(srcs, r.ctx)
	if r.resource != nil {
		srcs = append(srcs, r.resource)
	}
	r.missing = simMissingKeys(srcs, r.ctx)
	if r.trustSrc != nil {
		r.trustInput = r.newTrust(r.trustSrc)
	}
}

// owner returns the account that owns resource.
func (r *simRun) owner(resource string) string {
	if parts, ok := arn.Split(resource); ok && arn.IsAccountID(parts[4]) {
		return parts[4]
	}
	return r.ownerAccount
}

// evaluate decides one action on one resource.
func (r *simRun) evaluate(action, resource string) simVerdict {
	req := &policy.Request{Principal: r.caller, Action: action, Resource: resource, Context: r.ctx}
	var v simVerdict
	if r.orgDetail {
		v.orgOK = ptr(true)
	}
	// Service control policies: every level must allow; a Deny anywhere
	// is final. Their statements are not reported, nor are missing keys.
	if len(r.scpSets) > 0 {
		var res policy.Result
		ok, denied := true, false
		for _, set := range r.scpSets {
			switch set.Evaluate(req, &res) {
			case policy.Denied:
				denied, ok = true, false
			case policy.NotApplicable:
				ok = false
			}
		}
		v.orgOK = ptr(ok)
		if !ok {
			v.decision = types.PolicyEvaluationDecisionTypeImplicitDeny
			if denied {
				v.decision = types.PolicyEvaluationDecisionTypeExplicitDeny
			}
			return v
		}
	}

	// Actions on a role that its trust policy governs.
	if tr, ok := r.trustFor(action, resource); ok {
		r.evaluateTrust(req, tr, &v)
		return v
	}

	var idRes, bRes, rRes policy.Result
	r.idSet.Evaluate(req, &idRes)
	if r.boundarySet != nil {
		r.boundarySet.Evaluate(req, &bRes)
		v.boundaryOK = ptr(bRes.Decision == policy.Allowed)
	}
	if r.resourceSet != nil {
		r.resourceSet.Evaluate(req, &rRes)
	}
	cross := r.resourceSet != nil && r.owner(resource) != r.callerAccount
	if cross {
		v.details = map[string]types.PolicyEvaluationDecisionType{
			string(simTypeIdentity): simDecision(idRes.Decision),
			string(simTypeResource): simDecision(rRes.Decision),
		}
		if r.boundarySet != nil {
			v.details[string(simTypeBoundary)] = simDecision(bRes.Decision)
		}
	}

	collect := func(srcs []*simSource, res *policy.Result, effect policy.Effect) {
		for _, m := range res.Matches {
			if m.Effect == effect {
				v.matched = append(v.matched, srcs[m.Entry].statement(m.Statement))
			}
		}
	}
	boundarySrcs := []*simSource{r.boundary}
	resourceSrcs := []*simSource{r.resource}

	// 1. An explicit Deny in any policy wins.
	if idRes.Decision == policy.Denied || bRes.Decision == policy.Denied || rRes.Decision == policy.Denied {
		v.decision = types.PolicyEvaluationDecisionTypeExplicitDeny
		collect(boundarySrcs, &bRes, policy.Deny)
		collect(resourceSrcs, &rRes, policy.Deny)
		collect(r.identity, &idRes, policy.Deny)
		return v
	}

	// 2. Allow: identity policies limited by the boundary; a resource
	// policy grants alone in the same account when it names the caller
	// (spec/evaluation.md §2), and must agree across accounts.
	identityOK := idRes.Decision == policy.Allowed
	boundaryOK := r.boundarySet == nil || bRes.Decision == policy.Allowed
	resourceOK := rRes.Decision == policy.Allowed
	allowed := identityOK && boundaryOK
	switch {
	case cross:
		allowed = allowed && resourceOK
	case resourceOK:
		switch rRes.Principal {
		case policy.MatchUser, policy.MatchSession, policy.MatchFederatedUser:
			allowed = true
		case policy.MatchRole:
			allowed = allowed || boundaryOK
		case policy.MatchAll:
			allowed = allowed || !r.callerIsRole || boundaryOK
		}
	}
	if !allowed {
		v.decision = types.PolicyEvaluationDecisionTypeImplicitDeny
		v.missing = r.missing
		return v
	}
	v.decision = types.PolicyEvaluationDecisionTypeAllowed
	if resourceOK {
		collect(resourceSrcs, &rRes, policy.Allow)
	}
	if identityOK {
		collect(r.identity, &idRes, policy.Allow)
	}
	return v
}

// simRank orders decisions from least to most restrictive.
func simRank(d types.PolicyEvaluationDecisionType) int {
	switch d {
	case types.PolicyEvaluationDecisionTypeExplicitDeny:
		return 2
	case types.PolicyEvaluationDecisionTypeImplicitDeny:
		return 1
	}
	return 0
}

// result evaluates action on every resource and builds its
// EvaluationResult: the top level carries the most restrictive decision,
// the union of matched statements and missing keys.
func (r *simRun) result(action string) types.EvaluationResult {
	out := types.EvaluationResult{
		EvalActionName:       ptr(action),
		EvalResourceName:     ptr("*"),
		EvalDecision:         types.PolicyEvaluationDecisionTypeAllowed,
		MatchedStatements:    []types.Statement{},
		MissingContextValues: []string{},
	}
	if r.perResource {
		out.EvalDecisionDetails = map[string]types.PolicyEvaluationDecisionType{}
		if simAllSame(r.resources) {
			out.EvalResourceName = ptr(r.resources[0])
		}
	}
	seenStmt := map[string]bool{}
	seenKey := map[string]bool{}
	for _, res := range r.resources {
		v := r.evaluate(action, res)
		if simRank(v.decision) > simRank(out.EvalDecision) {
			out.EvalDecision = v.decision
		}
		for _, st := range v.matched {
			k := simStatementKey(st)
			if !seenStmt[k] {
				seenStmt[k] = true
				out.MatchedStatements = append(out.MatchedStatements, st)
			}
		}
		for _, k := range v.missing {
			if !seenKey[k] {
				seenKey[k] = true
				out.MissingContextValues = append(out.MissingContextValues, k)
			}
		}
		// The details say whether every resource was allowed.
		if d := out.PermissionsBoundaryDecisionDetail; v.boundaryOK != nil && (d == nil || d.AllowedByPermissionsBoundary) {
			out.PermissionsBoundaryDecisionDetail = &types.PermissionsBoundaryDecisionDetail{AllowedByPermissionsBoundary: *v.boundaryOK}
		}
		if d := out.OrganizationsDecisionDetail; v.orgOK != nil && (d == nil || d.AllowedByOrganizations) {
			out.OrganizationsDecisionDetail = &types.OrganizationsDecisionDetail{AllowedByOrganizations: *v.orgOK}
		}
		for k, d := range v.details {
			if cur, ok := out.EvalDecisionDetails[k]; !ok || simRank(d) > simRank(cur) {
				out.EvalDecisionDetails[k] = d
			}
		}
		if !r.perResource {
			continue
		}
		rs := types.ResourceSpecificResult{EvalResourceName: ptr(res), EvalResourceDecision: v.decision, EvalDecisionDetails: v.details}
		if len(v.matched) > 0 {
			rs.MatchedStatements = v.matched
		}
		if len(v.missing) > 0 {
			rs.MissingContextValues = append([]string(nil), v.missing...)
		}
		if v.boundaryOK != nil {
			rs.PermissionsBoundaryDecisionDetail = &types.PermissionsBoundaryDecisionDetail{AllowedByPermissionsBoundary: *v.boundaryOK}
		}
		out.ResourceSpecificResults = append(out.ResourceSpecificResults, rs)
	}
	return out
}

func simAllSame(s []string) bool {
	for _, x := range s[1:] {
		if x != s[0] {
			return false
		}
	}
	return len(s) > 0
}

func simStatementKey(st types.Statement) string {
	k := deref(st.SourcePolicyId) + "\x00" + string(st.SourcePolicyType)
	if st.StartPosition != nil {
		k += fmt.Sprintf("\x00%d:%d", st.StartPosition.Line, st.StartPosition.Column)
	}
	return k
}

// simMissingKeys lists, in order of first use and as written, the
// condition keys and policy variables (without a default) the policies
// use that ctx does not hold.
func simMissingKeys(srcs []*simSource, ctx *policy.Context) []string {
	var out []string
	seen := map[string]bool{}
	add := func(k string) {
		if k == "" || seen[k] {
			return
		}
		seen[k] = true
		if _, ok := ctx.Lookup(k); !ok {
			out = append(out, k)
		}
	}
	for _, s := range srcs {
		vars := s.pol.Version == policy.Version2012
		for _, st := range s.pol.Statements {
			if vars {
				for _, res := range st.Resources {
					for _, k := range simVariables(res) {
						add(k)
					}
				}
			}
			for _, c := range st.Conditions {
				add(c.Key)
				if vars && simSubstitutes(c.Operator) {
					for _, val := range c.Values {
						for _, k := range simVariables(val) {
							add(k)
						}
					}
				}
			}
		}
	}
	return out
}

// simSubstitutes reports whether the operator's values may hold policy
// variables (String and ARN operators).
func simSubstitutes(op string) bool {
	if i := strings.IndexByte(op, ':'); i >= 0 {
		op = op[i+1:]
	}
	return strings.HasPrefix(op, "String") || strings.HasPrefix(op, "Arn")
}

// simVariables returns the keys of the policy variables in s that have no
// default value (${key}; not ${key, 'default'} or the escapes ${*} ${?} ${$}).
func simVariables(s string) []string {
	var out []string
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return out
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return out
		}
		body := s[i+2 : i+j]
		s = s[i+j+1:]
		if body == "*" || body == "?" || body == "$" || strings.Contains(body, ",") {
			continue
		}
		if k := strings.TrimSpace(body); k != "" {
			out = append(out, k)
		}
	}
}

// simStatementSpans finds each statement of a policy document in its
// text, as the simulator reports positions. It returns nil when the text
// cannot be scanned (it was parsed already, so this does not happen).
func simStatementSpans(doc string) []simSpan {
	sc := &simScanner{s: doc, line: 1, col: 1}
	if sc.token() != '{' {
		return nil
	}
	for {
		switch sc.token() {
		case '}':
			return nil
		case ',':
			continue
		case '"':
		default:
			return nil
		}
		key := sc.lastString
		if sc.token() != ':' {
			return nil
		}
		if key != "Statement" {
			if !sc.skipValue() {
				return nil
			}
			continue
		}
		switch sc.token() {
		case '{':
			start := sc.loc()
			if !sc.skipObject() {
				return nil
			}
			return []simSpan{{start, sc.loc()}}
		case '[':
			var spans []simSpan
			prev := sc.loc()
			for {
				switch sc.token() {
				case ']':
					return spans
				case ',':
					continue
				case '{':
					if !sc.skipObject() {
						return nil
					}
					spans = append(spans, simSpan{prev, sc.loc()})
					prev = sc.loc()
				default:
					// Not a statement object: keep the count aligned.
					spans = append(spans, simSpan{prev, sc.loc()})
					prev = sc.loc()
				}
			}
		}
		return nil
	}
}

// simScanner reads JSON tokens, tracking the 1-based line and column of
// the next character. "\r\n" and a lone "\r" end a line, like "\n".
type simScanner struct {
	s          string
	i          int
	line, col  int32
	lastString string
}

func (sc *simScanner) loc() types.Position { return types.Position{Line: sc.line, Column: sc.col} }

// next consumes one character.
func (sc *simScanner) next() rune {
	if sc.i >= len(sc.s) {
		return -1
	}
	r, n := rune(sc.s[sc.i]), 1
	if r >= utf8.RuneSelf {
		r, n = utf8.DecodeRuneInString(sc.s[sc.i:])
	}
	sc.i += n
	switch r {
	case '\r':
		if sc.i < len(sc.s) && sc.s[sc.i] == '\n' {
			sc.i++
		}
		sc.line, sc.col = sc.line+1, 1
	case '\n':
		sc.line, sc.col = sc.line+1, 1
	default:
		sc.col++
	}
	return r
}

// token skips white space and consumes one token, returning its first
// character ('"' for a string, whose text is kept in lastString; 'a' for
// a literal; -1 at the end).
func (sc *simScanner) token() rune {
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.next()
			continue
		}
		break
	}
	r := sc.next()
	switch r {
	case '{', '}', '[', ']', ':', ',', -1:
		return r
	case '"':
		var b strings.Builder
		for {
			c := sc.next()
			switch c {
			case -1:
				return -1
			case '"':
				sc.lastString = b.String()
				return '"'
			case '\\':
				e := sc.next()
				if e == 'u' {
					for k := 0; k < 4; k++ {
						sc.next()
					}
					b.WriteRune('?')
					continue
				}
				b.WriteRune(e)
			default:
				b.WriteRune(c)
			}
		}
	}
	for sc.i < len(sc.s) && !strings.ContainsRune("{}[]:,\" \t\r\n", rune(sc.s[sc.i])) {
		sc.next()
	}
	return 'a'
}

// skipObject consumes an object whose '{' was read.
func (sc *simScanner) skipObject() bool { return sc.skipUntil('}') }

// skipUntil consumes tokens up to the close that ends the current
// container, nested containers included.
func (sc *simScanner) skipUntil(close rune) bool {
	for {
		switch sc.token() {
		case -1:
			return false
		case close:
			return true
		case '{':
			if !sc.skipUntil('}') {
				return false
			}
		case '[':
			if !sc.skipUntil(']') {
				return false
			}
		case '}', ']':
			return false
		}
	}
}

// skipValue consumes one value.
func (sc *simScanner) skipValue() bool {
	switch sc.token() {
	case '{':
		return sc.skipUntil('}')
	case '[':
		return sc.skipUntil(']')
	case '"', 'a':
		return true
	}
	return false
}

// Input checks and context entries.

func simInvalid(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "InvalidInput", Message: fmt.Sprintf(format, args...)}
}

// simContextTypes is AWS's list of ContextKeyType values, in its order.
const simContextTypes = "[binary, ipList, booleanList, ip, boolean, numericList, dateList, numeric, date, stringList, string, binaryList]"

// simContext turns ContextEntries into a request context on top of the
// given defaults (which the entries override).
func simContext(entries []types.ContextEntry, defaults map[string]string) (*policy.Context, error) {
	ctx := policy.NewContext()
	seen := map[string]bool{}
	for i, e := range entries {
		name := deref(e.ContextKeyName)
		if name == "" {
			return nil, validationError("1 validation error detected: Value null at 'contextEntries.%d.member.contextKeyName' failed to satisfy constraint: Member must not be null", i+1)
		}
		if seen[strings.ToLower(name)] {
			return nil, simInvalid("Duplicate context key: %s.", name)
		}
		seen[strings.ToLower(name)] = true
		typ := string(e.ContextKeyType)
		vals := e.ContextKeyValues
		list := strings.HasSuffix(typ, "List")
		base := strings.TrimSuffix(typ, "List")
		switch base {
		case "string", "numeric", "boolean", "ip", "binary", "date":
		case "":
			// No type: a string, or a list of strings.
			base, list = "string", len(vals) != 1
		default:
			return nil, validationError("1 validation error detected: Value at 'contextEntries.%d.member.contextKeyType' failed to satisfy constraint: Member must satisfy enum value set: %s", i+1, simContextTypes)
		}
		if !list && len(vals) != 1 {
			return nil, simInvalid("Context key %s expected a single value, but received %d.", typ, len(vals))
		}
		for _, v := range vals {
			if err := simCheckValue(base, v); err != "" {
				return nil, simInvalid("Invalid context value for key %s: expected %s.", name, err)
			}
		}
		vals = simNormalize(base, list, vals)
		switch {
		case list:
			ctx.SetMulti(name, vals...)
		case base == "ip":
			a, _ := netip.ParseAddr(vals[0])
			ctx.SetIP(name, a)
		case base == "date":
			t, _ := simParseDate(vals[0])
			ctx.SetDate(name, vals[0], t)
		default:
			ctx.Set(name, vals[0])
		}
	}
	for k, v := range defaults {
		if !seen[strings.ToLower(k)] {
			ctx.Set(k, v)
		}
	}
	return ctx, nil
}

// simNormalize returns the values of a context entry in the form the
// policy engine's conditions read: numbers without surrounding space,
// and the dates of a list (which, unlike a single date, are stored as
// text and parsed when compared) in RFC 3339, so that every form the
// simulator accepts compares as the date it is.
func simNormalize(typ string, list bool, vals []string) []string {
	if typ != "numeric" && !(typ == "date" && list) {
		return vals
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = strings.TrimSpace(v)
		if typ == "date" {
			if t, ok := simParseDate(v); ok {
				out[i] = t.Format(time.RFC3339Nano)
			}
		}
	}
	return out
}

// simCheckValue validates one context value of a type; it returns what
// was expected when the value does not fit, as AWS words it.
func simCheckValue(typ, v string) string {
	switch typ {
	case "boolean":
		if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
			return "boolean format"
		}
	case "numeric":
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return "numeric format"
		}
	case "date":
		if _, ok := simParseDate(v); !ok {
			return "DateTime format"
		}
	case "ip":
		if _, err := netip.ParseAddr(v); err != nil {
			return "IP address"
		}
	case "binary":
		if _, err := base64.StdEncoding.DecodeString(v); err != nil {
			return "base-64 encoded binary format"
		}
	}
	return ""
}

// simDateLayouts are the ISO 8601 forms a date context value may take.
var simDateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02",
}

// simParseDate accepts ISO 8601 or epoch seconds.
func simParseDate(s string) (time.Time, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 && n <= 253402300799 {
		return time.Unix(n, 0).UTC(), true
	}
	for _, l := range simDateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// simCommon holds the inputs both operations share.
type simCommon struct {
	actions        []string
	resources      []string
	resourcePolicy *string
	resourceOwner  *string
	callerArn      *string
	boundaries     []string
	contextEntries []types.ContextEntry
	marker         *string
	maxItems       *int32
}

// simCheckPaging validates MaxItems and Marker and returns the first
// index and the page size.
func simCheckPaging(c *simCommon) (start, n int, err error) {
	n = 100
	if c.maxItems != nil {
		switch {
		case *c.maxItems < 1:
			return 0, 0, validationError("1 validation error detected: Value at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1")
		case *c.maxItems > 1000:
			return 0, 0, validationError("1 validation error detected: Value at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000")
		}
		n = int(*c.maxItems)
	}
	if c.marker != nil && *c.marker != "" {
		b, derr := base64.RawURLEncoding.DecodeString(*c.marker)
		rest, ok := strings.CutPrefix(string(b), "simulation:")
		i, aerr := strconv.Atoi(rest)
		if derr != nil || !ok || aerr != nil || i < 0 {
			return 0, 0, simInvalid("Invalid marker for pagination.")
		}
		start = i
	}
	return start, n, nil
}

func simMarker(i int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("simulation:" + strconv.Itoa(i)))
}

// simCheckActions validates ActionNames.
func simCheckActions(actions []string) error {
	if len(actions) == 0 {
		return validationError("1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null")
	}
	for _, a := range actions {
		if !strings.Contains(a, ":") {
			return simInvalid("The action is invalid since it is missing names")
		}
	}
	return nil
}

// simCheckResources validates ResourceArns.
func simCheckResources(resources []string) error {
	for _, r := range resources {
		if r == "*" {
			continue
		}
		if _, err := arn.Parse(r); err != nil {
			return simInvalid("ResourceNames are not in a valid ARN format: %s.", r)
		}
	}
	return nil
}

// simParse parses a policy document of the simulation; what names the
// input in the error ("Policy input list item 1").
func simParse(doc string, kind policy.Kind, what string) (*policy.Policy, error) {
	p, err := policy.ParseWithOptions(doc, kind, policy.Options{MaxSize: -1})
	if err != nil {
		return nil, simInvalid("%s has invalid content: %v", what, err)
	}
	return p, nil
}

// simCaller describes who the simulated requests come from.
type simCaller struct {
	arn       string
	account   string
	kind      string // "user", "group" or "role"; "" when unknown
	name      string
	principal *policy.Principal
}

// simParseEntityARN splits an IAM user, group or role ARN.
func simParseEntityARN(s string) (account, kind, name string, ok bool) {
	a, err := arn.Parse(s)
	if err != nil || a.Service != "iam" || a.Region != "" || !arn.IsAccountID(a.AccountID) {
		return "", "", "", false
	}
	kind, rest, found := strings.Cut(a.Resource, "/")
	if !found || (kind != "user" && kind != "group" && kind != "role") {
		return "", "", "", false
	}
	name = rest[strings.LastIndexByte(rest, '/')+1:]
	if name == "" {
		return "", "", "", false
	}
	return a.AccountID, kind, name, true
}

// simNewCaller builds the caller a resource policy sees from an entity ARN.
func simNewCaller(snap *directory.Snapshot, s string) (*simCaller, bool) {
	account, kind, name, ok := simParseEntityARN(s)
	if !ok {
		return nil, false
	}
	c := &simCaller{arn: s, account: account, kind: kind, name: name}
	p := &policy.Principal{Type: arn.PrincipalUser, AccountID: account, ARN: s}
	acct := snap.AccountIAM(account)
	switch kind {
	case "user":
		if u, ok := acct.Users[directory.Key(name)]; ok {
			// The user as it exists (its path included).
			c.arn, c.name, p.ARN, p.UniqueID = u.ARN, u.Name, u.ARN, u.ID
		}
	case "role":
		// A role acts through a session of itself.
		roleARN := s
		if r, ok := acct.Roles[directory.Key(name)]; ok {
			roleARN, p.UniqueID = r.ARN, r.ID
			c.arn, c.name = r.ARN, r.Name
		}
		p.Type, p.RoleARN = arn.PrincipalAssumedRole, roleARN
		p.ARN = "arn:" + simPartition(roleARN) + ":sts::" + account + ":assumed-role/" + c.name + "/" + simSessionName
	}
	c.principal = p
	return c, true
}

// simPartition is the partition of an ARN ("aws" when it has none).
func simPartition(s string) string {
	if a, err := arn.Parse(s); err == nil && a.Partition != "" {
		return a.Partition
	}
	return "aws"
}

// defaults are the context keys the simulator derives from the caller.
func (c *simCaller) defaults() map[string]string {
	d := map[string]string{"aws:PrincipalAccount": c.account}
	if c.kind == "user" || c.kind == "role" {
		d["aws:PrincipalArn"] = c.arn
	}
	if c.kind == "user" {
		d["aws:username"] = c.name
	}
	return d
}

// prepare validates the shared inputs and completes run with the
// boundary, resource policy, caller and context. identity must already be
// set; boundary is the principal's own boundary (nil for custom
// simulations), replaced by PermissionsBoundaryPolicyInputList.
func simPrepare(snap *directory.Snapshot, authCaller *directory.Caller, c *simCommon, run *simRun, caller *simCaller, boundary *simSource) error {
	if err := simCheckResources(c.resources); err != nil {
		return err
	}
	if len(c.boundaries) > 1 {
		return simInvalid("The list of Permissions Boundary policies cannot exceed 1 items.")
	}
	if len(c.boundaries) == 1 {
		p, err := simParse(c.boundaries[0], policy.Boundary, "Permissions boundary policy input list item 1")
		if err != nil {
			return err
		}
		boundary = simNewSource("PermissionsBoundaryPolicyInputList.1", simTypeBoundary, c.boundaries[0], p)
	}
	run.boundary = boundary
	if c.callerArn != nil {
		cc, ok := simNewCaller(snap, *c.callerArn)
		if !ok {
			return simInvalid("Invalid caller - Caller must be an IAM user, role or group in this context.")
		}
		caller = cc
	}
	run.callerAccount = authCaller.AccountID
	defaults := map[string]string{"aws:PrincipalAccount": authCaller.AccountID}
	if caller != nil {
		run.callerAccount = caller.account
		run.caller, run.callerIsRole = caller.principal, caller.kind == "role"
		defaults = caller.defaults()
	}
	run.ownerAccount = run.callerAccount
	if c.resourceOwner != nil {
		a, err := arn.Parse(*c.resourceOwner)
		if err != nil || a.Service != "iam" || !arn.IsAccountID(a.AccountID) {
			return simInvalid("'%s' is not a valid as a Resource Owner.", *c.resourceOwner)
		}
		run.ownerAccount = a.AccountID
	}
	run.resources = c.resources
	run.perResource = len(c.resources) > 0 && !(len(c.resources) == 1 && c.resources[0] == "*")
	if len(run.resources) == 0 {
		run.resources = []string{"*"}
	}
	if c.resourcePolicy != nil {
		if caller == nil {
			return simInvalid("Invalid caller - Caller cannot be null or empty.")
		}
		for _, r := range run.resources {
			if r == "*" {
				return simInvalid("Invalid Entity Arn: * does not clearly define entity type and name.")
			}
		}
		// For an action a role's trust policy governs, on a role, the
		// document is that trust policy; for any other pair, a resource
		// policy.
		trustPairs, otherPairs := simPairKinds(c.actions, run.resources)
		if otherPairs {
			p, err := simParse(*c.resourcePolicy, policy.Resource, "Resource policy")
			if err != nil {
				return err
			}
			for _, st := range p.Statements {
				for _, r := range st.Resources {
					if r == "*" {
						return simInvalid("ResourceNames are not in a valid ARN format: *.")
					}
				}
			}
			run.resource = simNewSource("ResourcePolicy", simTypeResource, *c.resourcePolicy, p)
		}
		if trustPairs {
			p, err := simParseTrust(*c.resourcePolicy)
			if err != nil {
				return err
			}
			run.trustSrc = simNewSource("ResourcePolicy", simTypeResource, *c.resourcePolicy, p)
		}
	}
	ctx, err := simContext(c.contextEntries, defaults)
	if err != nil {
		return err
	}
	run.ctx = ctx
	run.snap = snap
	run.sets()
	return nil
}

// simPage evaluates the page of actions starting at start.
func simPage(run *simRun, actions []string, start, n int) ([]types.EvaluationResult, bool, *string) {
	out := []types.EvaluationResult{}
	if start >= len(actions) {
		return out, false, nil
	}
	end := min(start+n, len(actions))
	for _, a := range actions[start:end] {
		out = append(out, run.result(a))
	}
	if end < len(actions) {
		return out, true, ptr(simMarker(end))
	}
	return out, false, nil
}

// simIdentityInputs parses PolicyInputList.
func simIdentityInputs(docs []string) ([]*simSource, error) {
	var out []*simSource
	for i, doc := range docs {
		p, err := simParse(doc, policy.Identity, fmt.Sprintf("Policy input list item %d", i+1))
		if err != nil {
			return nil, err
		}
		out = append(out, simNewSource(fmt.Sprintf("PolicyInputList.%d", i+1), simTypeIdentity, doc, p))
	}
	return out, nil
}

// SimulateCustomPolicy evaluates the given identity policies (and
// optionally a permissions boundary, a resource policy and service control
// policies) for each action on each resource.
func (s *Service) SimulateCustomPolicy(_ context.Context, caller *directory.Caller, in *sdk.SimulateCustomPolicyInput) (*sdk.SimulateCustomPolicyOutput, error) {
	snap := s.dir.Snapshot()
	c := &simCommon{
		actions: in.ActionNames, resources: in.ResourceArns, resourcePolicy: in.ResourcePolicy, resourceOwner: in.ResourceOwner,
		callerArn: in.CallerArn, boundaries: in.PermissionsBoundaryPolicyInputList, contextEntries: in.ContextEntries,
		marker: in.Marker, maxItems: in.MaxItems,
	}
	if in.PolicyInputList == nil {
		return nil, validationError("1 validation error detected: Value null at 'policyInputList' failed to satisfy constraint: Member must not be null")
	}
	start, n, err := simCheckPaging(c)
	if err != nil {
		return nil, err
	}
	if err := simCheckActions(c.actions); err != nil {
		return nil, err
	}
	if err := authorize(snap, caller, "iam:SimulateCustomPolicy", "*", nil); err != nil {
		return nil, err
	}
	run := &simRun{}
	if run.identity, err = simIdentityInputs(in.PolicyInputList); err != nil {
		return nil, err
	}
	for i, level := range in.OrderedOrganizationPolicyInputList {
		if len(level.ServiceControlPolicyInputList) == 0 {
			return nil, simInvalid("Organization policy at index %d must contain at least one service control policy", i+1)
		}
		var srcs []*simSource
		for j, doc := range level.ServiceControlPolicyInputList {
			p, err := simParse(doc, policy.SCP, fmt.Sprintf("Service control policy %d of organization policy at index %d", j+1, i+1))
			if err != nil {
				return nil, err
			}
			srcs = append(srcs, simNewSource(fmt.Sprintf("OrderedOrganizationPolicyInputList.%d.%d", i+1, j+1), "", doc, p))
		}
		run.scps = append(run.scps, srcs)
	}
	if err := simPrepare(snap, caller, c, run, nil, nil); err != nil {
		return nil, err
	}
	results, truncated, marker := simPage(run, c.actions, start, n)
	return &sdk.SimulateCustomPolicyOutput{EvaluationResults: results, IsTruncated: truncated, Marker: marker}, nil
}

// SimulatePrincipalPolicy evaluates the policies of a user (with its
// groups'), group or role of the caller's account, plus any given ones,
// for each action on each resource.
func (s *Service) SimulatePrincipalPolicy(_ context.Context, caller *directory.Caller, in *sdk.SimulatePrincipalPolicyInput) (*sdk.SimulatePrincipalPolicyOutput, error) {
	snap := s.dir.Snapshot()
	c := &simCommon{
		actions: in.ActionNames, resources: in.ResourceArns, resourcePolicy: in.ResourcePolicy, resourceOwner: in.ResourceOwner,
		callerArn: in.CallerArn, boundaries: in.PermissionsBoundaryPolicyInputList, contextEntries: in.ContextEntries,
		marker: in.Marker, maxItems: in.MaxItems,
	}
	source := deref(in.PolicySourceArn)
	if source == "" {
		return nil, validationError("1 validation error detected: Value null at 'policySourceArn' failed to satisfy constraint: Member must not be null")
	}
	start, n, err := simCheckPaging(c)
	if err != nil {
		return nil, err
	}
	if err := simCheckActions(c.actions); err != nil {
		return nil, err
	}
	account, kind, name, ok := simParseEntityARN(source)
	if !ok {
		return nil, simInvalid("Invalid ARN provided in the request: %s", source)
	}
	if account != caller.AccountID {
		return nil, simInvalid("Invalid Policy Source Arn: caller's account %s does not have access to policies in account %s.", caller.AccountID, account)
	}
	if err := authorize(snap, caller, "iam:SimulatePrincipalPolicy", source, nil); err != nil {
		return nil, err
	}
	excl, err := simExclusions(in.PolicyExclusionList)
	if err != nil {
		return nil, err
	}
	run := &simRun{orgDetail: true}
	identity, boundary, err := simPrincipalPolicies(snap, account, kind, name, excl)
	if err != nil {
		return nil, err
	}
	extra, err := simIdentityInputs(in.PolicyInputList)
	if err != nil {
		return nil, err
	}
	run.identity = append(identity, extra...)
	sourceCaller, _ := simNewCaller(snap, source)
	if err := simPrepare(snap, caller, c, run, sourceCaller, boundary); err != nil {
		return nil, err
	}
	results, truncated, marker := simPage(run, c.actions, start, n)
	return &sdk.SimulatePrincipalPolicyOutput{EvaluationResults: results, IsTruncated: truncated, Marker: marker}, nil
}

// simExclusion is PolicyExclusionList, checked.
type simExclusion struct {
	types   map[types.PolicyIdentifierPolicyType]bool
	arns    []string
	inlines []types.InlinePolicyIdentifierType
}

func simExclusions(list []types.PolicyIdentifier) (*simExclusion, error) {
	e := &simExclusion{types: map[types.PolicyIdentifierPolicyType]bool{}}
	for _, id := range list {
		switch v := id.(type) {
		case *types.PolicyIdentifierMemberPolicyType:
			e.types[v.Value] = true
		case *types.PolicyIdentifierMemberPolicyArn:
			if _, err := arn.Parse(v.Value); err != nil {
				return nil, simInvalid("Invalid ARN provided in the request: %s", v.Value)
			}
			e.arns = append(e.arns, v.Value)
		case *types.PolicyIdentifierMemberInlinePolicyIdentifier:
			if deref(v.Value.PolicyName) == "" || deref(v.Value.AttachmentName) == "" || deref(v.Value.AttachmentName) == "*" {
				return nil, simInvalid("Invalid inline policy identifier in the policy exclusion list.")
			}
			e.inlines = append(e.inlines, v.Value)
		}
	}
	return e, nil
}

// excludesManaged reports whether an attached managed policy is excluded
// (by type, by ARN, or by its ARN without path).
func (e *simExclusion) excludesManaged(policyARN string) bool {
	aws := strings.HasPrefix(policyARN, "arn:aws:iam::aws:policy/")
	if aws && e.types[types.PolicyIdentifierPolicyTypeAwsManaged] || !aws && e.types[types.PolicyIdentifierPolicyTypeUserManaged] {
		return true
	}
	pathless := policyARN
	if a, err := arn.Parse(policyARN); err == nil {
		a.Resource = "policy/" + a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]
		pathless = a.String()
	}
	for _, x := range e.arns {
		if x == policyARN || x == pathless {
			return true
		}
	}
	return false
}

// excludesInline reports whether an inline policy of an entity is excluded.
func (e *simExclusion) excludesInline(kind, entity, name string) bool {
	if e.types[types.PolicyIdentifierPolicyTypeInline] {
		return true
	}
	for _, x := range e.inlines {
		if string(x.AttachmentType) == kind && arn.Glob(deref(x.AttachmentName), entity) && arn.Glob(deref(x.PolicyName), name) {
			return true
		}
	}
	return false
}

// simPrincipalPolicies gathers the identity policies of a user (its own
// and its groups'), group or role, and its permissions boundary.
func simPrincipalPolicies(snap *directory.Snapshot, account, kind, name string, excl *simExclusion) ([]*simSource, *simSource, error) {
	acct := snap.AccountIAM(account)
	var out []*simSource
	attached := map[string]bool{}
	add := func(kind string, p *directory.Principal) {
		for _, ip := range p.Inline {
			if ip.Compiled == nil || excl.excludesInline(kind, p.Name, ip.Name) {
				continue
			}
			out = append(out, simNewSource(kind+"_"+p.Name+"_"+ip.Name, simTypeIdentity, ip.Document, ip.Compiled))
		}
		for _, a := range p.Attached {
			if attached[a] || excl.excludesManaged(a) {
				continue
			}
			attached[a] = true
			if mp, ok := snap.PolicyFor(account, a); ok && mp.Default() != nil && mp.Default().Compiled != nil {
				out = append(out, simNewSource(mp.Name, simTypeIdentity, mp.Default().Document, mp.Default().Compiled))
			}
		}
	}
	var boundaryARN string
	switch kind {
	case "user":
		u, ok := acct.Users[directory.Key(name)]
		if !ok {
			return nil, nil, noSuchEntity("Unable to retrieve specified IAM entity.")
		}
		add("user", &u.Principal)
		for _, g := range acct.GroupsOf(u.Name) {
			add("group", &g.Principal)
		}
		boundaryARN = u.Boundary
	case "group":
		g, ok := acct.Groups[directory.Key(name)]
		if !ok {
			return nil, nil, noSuchEntity("Unable to retrieve specified IAM entity.")
		}
		add("group", &g.Principal)
	case "role":
		r, ok := acct.Roles[directory.Key(name)]
		if !ok {
			return nil, nil, noSuchEntity("Unable to retrieve specified IAM entity.")
		}
		add("role", &r.Principal)
		boundaryARN = r.Boundary
	}
	var boundary *simSource
	if boundaryARN != "" && !excl.types[types.PolicyIdentifierPolicyTypePermissionBoundary] {
		boundary = simBoundary(snap, account, boundaryARN)
	}
	return out, boundary, nil
}

// simBoundary is the permissions boundary of an entity of account as a
// simulation source. As in authorization, a boundary that does not
// resolve, or names another account's policy (IAM refuses to set one), is
// an empty policy that allows nothing, and nothing of its document shows.
func simBoundary(snap *directory.Snapshot, account, boundaryARN string) *simSource {
	if mp, ok := snap.PolicyFor(account, boundaryARN); ok && mp.Default() != nil && mp.Default().Compiled != nil {
		return simNewSource(mp.Name, simTypeBoundary, mp.Default().Document, mp.Default().Compiled)
	}
	return &simSource{id: boundaryARN, typ: simTypeBoundary, pol: &policy.Policy{Kind: policy.Boundary}}
}
