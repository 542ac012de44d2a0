package policy

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/assumed-dev/assumed/arn"
)

// Effect is a statement's Effect.
type Effect uint8

// The two effects.
const (
	Allow Effect = iota + 1
	Deny
)

func (e Effect) String() string {
	switch e {
	case Allow:
		return "Allow"
	case Deny:
		return "Deny"
	}
	return "Effect(?)"
}

// The policy language versions.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Policy is a parsed, validated and compiled policy document. It is
// immutable and safe for concurrent use.
type Policy struct {
	Kind       Kind
	Version    string // "" when the document has none (treated as 2008-10-17)
	ID         string
	Statements []*Statement
	// Size is the document's length in characters, white space not counted.
	Size int
}

// Statement is one compiled statement.
type Statement struct {
	// The fields evaluation reads come first, to share cache lines.
	Effect       Effect
	NotAction    bool
	NotResource  bool
	HasResource  bool // a Resource or NotResource element is present
	NotPrincipal bool
	resources    []arnPattern
	// vars are the policy variables without a default that the Resource
	// and Condition elements use (lower-case keys): if any cannot be
	// resolved the statement does not match, whatever else it says.
	vars       []ckey
	Principal  *Principals // Principal or NotPrincipal; nil when neither
	Conditions []*Condition
	actions    []actionPattern

	Index     int // 1-based position in the policy
	Sid       string
	Actions   []string // Action or NotAction values as written
	Resources []string // Resource or NotResource values as written
}

// Principals is a compiled Principal or NotPrincipal element.
type Principals struct {
	All     bool // "*" or {"AWS": "*"}
	Entries []PrincipalEntry
}

// PrincipalEntry is one value of a Principal element.
type PrincipalEntry struct {
	Key   string // "AWS", "Federated", "Service" or "CanonicalUser"
	Value string // as written
	arn.Principal
}

// actionPattern is one Action value compiled: service prefix (lower-case,
// or any) and a case-insensitive pattern for the action name.
type actionPattern struct {
	anyService bool
	service    string
	name       pattern
}

// Options adjust Parse for the caller's context.
type Options struct {
	// MaxSize overrides the kind's size limit (characters, white space not
	// counted); 0 keeps the kind's default and a negative value disables
	// the check (for AWS managed policies, which are not limited).
	MaxSize int
	// TooLargeMessage replaces the default message when MaxSize is exceeded.
	TooLargeMessage string
	// RequireVersion2012 rejects documents whose Version is not 2012-10-17,
	// as AWS does for customer managed policies.
	RequireVersion2012 bool
}

// Parse parses, validates and compiles doc as a policy of the given kind
// with the kind's default limits. The error, if any, is an *Error.
func Parse(doc string, kind Kind) (*Policy, error) {
	return ParseWithOptions(doc, kind, Options{})
}

// ParseWithOptions is Parse with options.
func ParseWithOptions(doc string, kind Kind, opt Options) (*Policy, error) {
	if _, ok := kindNames[kind]; !ok {
		return nil, fmt.Errorf("policy: unknown kind %d", kind)
	}
	size, badChar := measure(doc)
	if badChar >= 0 {
		return nil, &Error{Code: CodeValidation, Message: msgCharset, Detail: fmt.Sprintf("character U+%04X at offset %d is not allowed", badChar, charOffset(doc, badChar))}
	}
	limit, msg := kind.DefaultMaxSize()
	if opt.MaxSize != 0 {
		limit = opt.MaxSize
	}
	if opt.TooLargeMessage != "" {
		msg = opt.TooLargeMessage
	}
	if limit > 0 && size > limit {
		return nil, &Error{Code: CodeLimitExceeded, Message: msg, Detail: fmt.Sprintf("the document has %d characters without white space; the limit is %d", size, limit)}
	}
	root, err := decodeJSON(doc)
	if err != nil {
		m := msgSyntax
		if !looksLikeJSONObject(doc) {
			m = msgInvalidJSON
		}
		return nil, &Error{Code: CodeMalformed, Message: m, Detail: "JSON: " + err.Error()}
	}
	v := &validator{kind: kind, opt: opt}
	p := v.policy(root)
	if v.err != nil {
		return nil, v.err.Error
	}
	p.Size = size
	return p, nil
}

// measure counts characters other than white space and finds the first
// character outside U+0009, U+000A, U+000D, U+0020–U+00FF (-1 if none).
func measure(doc string) (size int, bad rune) {
	bad = -1
	for _, r := range doc {
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			continue
		case r < 0x20 || r > 0xFF || r == utf8.RuneError:
			if bad < 0 {
				bad = r
			}
		}
		size++
	}
	return size, bad
}

func charOffset(doc string, r rune) int {
	return strings.IndexRune(doc, r)
}

// Error priorities: when a document has several problems, AWS reports the
// one found by its earliest check. Lower numbers win; within one priority
// the earliest statement wins.
const (
	prSyntax = iota
	prVersion
	prLegacy
	prSidUnique
	prNoActions
	prResourceFormat
	prActionVendor
	prPrincipalRule
	prResources
	prTrustActions
	prSidChars
	prPrincipalValue
	prConditionValue
)

type rankedError struct {
	rank  int
	stmt  int
	Error *Error
}

// validator walks the JSON tree, builds the Policy and keeps the error AWS
// would report.
type validator struct {
	kind Kind
	opt  Options
	err  *rankedError
	vars bool
}

func (v *validator) fail(rank, stmt int, sid, msg, detail string) {
	if v.err != nil && (v.err.rank < rank || v.err.rank == rank && v.err.stmt <= stmt) {
		return
	}
	v.err = &rankedError{rank: rank, stmt: stmt, Error: &Error{Code: CodeMalformed, Message: msg, Detail: detail, Statement: stmt, Sid: sid}}
}

func (v *validator) policy(root *jnode) *Policy {
	p := &Policy{Kind: v.kind}
	if root.kind != jObject {
		v.fail(prSyntax, 0, "", msgSyntax, "the policy must be a JSON object, not "+root.kind.String())
		return p
	}
	var stmts *jnode
	for _, f := range root.fields {
		switch f.key {
		case "Version":
			if f.val.kind != jString || (f.val.text != Version2012 && f.val.text != Version2008) {
				v.fail(prSyntax, 0, "", msgSyntax, fmt.Sprintf("Version must be %q or %q", Version2012, Version2008))
				continue
			}
			p.Version = f.val.text
		case "Id":
			if f.val.kind != jString {
				v.fail(prSyntax, 0, "", msgSyntax, "Id must be a string")
				continue
			}
			p.ID = f.val.text
		case "Statement":
			stmts = f.val
		default:
			v.fail(prSyntax, 0, "", msgSyntax, fmt.Sprintf("unknown element %q at the top level", f.key))
		}
	}
	if v.opt.RequireVersion2012 && p.Version != Version2012 {
		v.fail(prVersion, 0, "", msgVersion2012, "")
	}
	v.vars = p.Version == Version2012
	var list []*jnode
	switch {
	case stmts == nil:
		v.fail(prSyntax, 0, "", msgSyntax, "the policy has no Statement element")
		return p
	case stmts.kind == jObject:
		list = []*jnode{stmts}
	case stmts.kind == jArray:
		list = stmts.items
		if len(list) == 0 {
			v.fail(prSyntax, 0, "", msgSyntax, "Statement is an empty list")
		}
	default:
		v.fail(prSyntax, 0, "", msgSyntax, "Statement must be an object or a list of objects")
		return p
	}
	sids := map[string]int{}
	for i, n := range list {
		st := v.statement(n, i+1)
		if st == nil {
			continue
		}
		if st.Sid != "" {
			if first, dup := sids[st.Sid]; dup {
				v.fail(prSidUnique, i+1, st.Sid, msgSidUnique, fmt.Sprintf("Sid %q is also used by statement %d", st.Sid, first))
			} else {
				sids[st.Sid] = i + 1
			}
		}
		p.Statements = append(p.Statements, st)
	}
	return p
}

// strings reads an element that is a string or a list of strings.
func (v *validator) strings(n *jnode, idx int, sid, element string) ([]string, bool) {
	switch n.kind {
	case jString:
		return []string{n.text}, true
	case jArray:
		out := make([]string, 0, len(n.items))
		for _, it := range n.items {
			if it.kind != jString {
				v.fail(prSyntax, idx, sid, msgSyntax, fmt.Sprintf("%s must hold only strings, not a %s", element, it.kind))
				return nil, false
			}
			out = append(out, it.text)
		}
		return out, true
	}
	v.fail(prSyntax, idx, sid, msgSyntax, fmt.Sprintf("%s must be a string or a list of strings, not a %s", element, n.kind))
	return nil, false
}

func (v *validator) statement(n *jnode, idx int) *Statement {
	st := &Statement{Index: idx}
	if n.kind != jObject {
		v.fail(prSyntax, idx, "", msgSyntax, "a statement must be a JSON object, not a "+n.kind.String())
		return nil
	}
	if s := n.get("Sid"); s != nil {
		if s.kind != jString {
			v.fail(prSyntax, idx, "", msgSyntax, "Sid must be a string")
		} else {
			st.Sid = s.text
		}
	}
	sid := st.Sid
	var effect, principal, notPrincipal, action, notAction, resource, notResource, condition *jnode
	for _, f := range n.fields {
		switch f.key {
		case "Sid":
		case "Effect":
			effect = f.val
		case "Principal":
			principal = f.val
		case "NotPrincipal":
			notPrincipal = f.val
		case "Action":
			action = f.val
		case "NotAction":
			notAction = f.val
		case "Resource":
			resource = f.val
		case "NotResource":
			notResource = f.val
		case "Condition":
			condition = f.val
		default:
			v.fail(prSyntax, idx, sid, msgSyntax, fmt.Sprintf("unknown element %q in a statement", f.key))
		}
	}
	if action != nil && notAction != nil {
		v.fail(prSyntax, idx, sid, msgSyntax, "a statement cannot have both Action and NotAction")
	}
	if resource != nil && notResource != nil {
		v.fail(prSyntax, idx, sid, msgSyntax, "a statement cannot have both Resource and NotResource")
	}
	if principal != nil && notPrincipal != nil {
		v.fail(prSyntax, idx, sid, msgSyntax, "a statement cannot have both Principal and NotPrincipal")
	}

	// Effect: the syntax check is case-insensitive, the legacy parser's is not.
	switch {
	case effect == nil:
		v.fail(prSyntax, idx, sid, msgSyntax, "the statement has no Effect")
	case effect.kind != jString || !strings.EqualFold(effect.text, "Allow") && !strings.EqualFold(effect.text, "Deny"):
		v.fail(prSyntax, idx, sid, msgSyntax, fmt.Sprintf("Effect must be \"Allow\" or \"Deny\", not %s", describe(effect)))
	case effect.text == "Allow":
		st.Effect = Allow
	case effect.text == "Deny":
		st.Effect = Deny
	default:
		v.fail(prLegacy, idx, sid, msgLegacy, fmt.Sprintf("Effect %q must be written \"Allow\" or \"Deny\" (case-sensitive)", effect.text))
	}

	v.actionsOf(st, action, notAction)
	v.resourcesOf(st, resource, notResource)
	v.principalOf(st, principal, notPrincipal)
	v.conditionsOf(st, condition)

	if sid != "" && v.kind.alphanumericSid() && !isAlnum(sid) {
		v.fail(prSidChars, idx, sid, msgSidAlnum, "")
	}
	return st
}

func describe(n *jnode) string {
	if n.kind == jString {
		return fmt.Sprintf("%q", n.text)
	}
	return "a " + n.kind.String()
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// collectVars records the variables without a default in value, when
// the policy substitutes variables.
func (v *validator) collectVars(st *Statement, value string) {
	if !v.vars {
		return
	}
	p := compilePattern(value, false, true, false)
	for _, t := range p.toks {
		if t.kind == tVar && !t.hasDef && !slices.Contains(st.vars, t.key) {
			st.vars = append(st.vars, t.key)
		}
	}
}

// trustActions are the actions a role trust policy may name.
var trustActions = map[string]bool{
	"sts:assumerole": true, "sts:assumerolewithsaml": true, "sts:assumerolewithwebidentity": true,
	"sts:tagsession": true, "sts:setsourceidentity": true, "sts:setcontext": true,
}

func (v *validator) actionsOf(st *Statement, action, notAction *jnode) {
	idx, sid := st.Index, st.Sid
	n := action
	if n == nil {
		n, st.NotAction = notAction, true
	}
	if n == nil {
		v.fail(prNoActions, idx, sid, msgNoActions, "")
		return
	}
	element := "Action"
	if st.NotAction {
		element = "NotAction"
	}
	vals, ok := v.strings(n, idx, sid, element)
	if !ok {
		return
	}
	if len(vals) == 0 {
		v.fail(prNoActions, idx, sid, msgNoActions, element+" is an empty list")
		return
	}
	st.Actions = vals
	for _, a := range vals {
		ap, msg := compileAction(a)
		if msg != "" {
			v.fail(prActionVendor, idx, sid, msg, fmt.Sprintf("%s %q", element, a))
			continue
		}
		st.actions = append(st.actions, ap)
		if v.kind == Trust && !st.NotAction {
			if !ap.anyService && ap.service == "sts" && (ap.name.literal && trustActions["sts:"+ap.name.raw] || !ap.name.literal) {
				continue
			}
			v.fail(prTrustActions, idx, sid, msgTrustActions, fmt.Sprintf("Action %q", a))
		}
	}
}

// compileAction compiles "service:Name" (or "*"); msg is AWS's message
// when the value is not acceptable.
func compileAction(a string) (actionPattern, string) {
	if a == "*" {
		return actionPattern{anyService: true, name: compilePattern("*", true, false, true)}, ""
	}
	svc, name, found := strings.Cut(a, ":")
	if !found {
		return actionPattern{}, msgVendor
	}
	if strings.Contains(name, ":") {
		return actionPattern{}, msgOneColon
	}
	if svc != "*" {
		for i := 0; i < len(svc); i++ {
			c := svc[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
				return actionPattern{}, msgVendorInvalid(svc)
			}
		}
		if svc == "" {
			return actionPattern{}, msgVendorInvalid(svc)
		}
	}
	return actionPattern{anyService: svc == "*", service: strings.ToLower(svc), name: compilePattern(name, true, false, true)}, ""
}

// iamResourceTypes are the resource types an IAM ARN may start with.
var iamResourceTypes = []string{"user/", "federated-user/", "role/", "group/", "instance-profile/", "mfa/", "server-certificate/", "policy/", "sms-mfa/", "saml-provider/", "oidc-provider/", "report/", "access-report/"}

func (v *validator) resourcesOf(st *Statement, resource, notResource *jnode) {
	idx, sid := st.Index, st.Sid
	n := resource
	if n == nil {
		n, st.NotResource = notResource, true
	}
	if v.kind == Trust {
		if n != nil {
			v.fail(prResources, idx, sid, msgResourceInTrust, "a trust policy applies to its role and names no Resource")
		}
		return
	}
	if n == nil {
		v.fail(prResources, idx, sid, msgNoResources, "")
		return
	}
	st.HasResource = true
	element := "Resource"
	if st.NotResource {
		element = "NotResource"
	}
	vals, ok := v.strings(n, idx, sid, element)
	if !ok {
		return
	}
	if len(vals) == 0 {
		v.fail(prResources, idx, sid, msgNoResources, element+" is an empty list")
		return
	}
	st.Resources = vals
	for _, r := range vals {
		if rank, msg := checkResource(r); msg != "" {
			v.fail(rank, idx, sid, msg, fmt.Sprintf("%s %q", element, r))
			continue
		}
		ap, ok := compileARNPattern(r, v.vars)
		if !ok {
			// A short pattern that does not end in '*': valid, but no
			// ARN has so few components. Keep it as never matching.
			ap = arnPattern{raw: r, never: true}
		}
		st.resources = append(st.resources, ap)
		v.collectVars(st, ap.raw)
	}
}

// checkResource validates one Resource value with IAM's checks, in
// IAM's order and with its texts.
func checkResource(r string) (rank int, msg string) {
	if r == "*" {
		return 0, ""
	}
	_, rest, found := strings.Cut(r, ":")
	if !found {
		return prResourceFormat, msgResourceFormat(r)
	}
	partition, rest, found := strings.Cut(rest, ":")
	if partition != "*" && !arn.ValidPartition(partition) {
		// IAM echoes the value as a six-component ARN, with "*" for the
		// components that are missing.
		p := strings.Split(rest, ":")
		c := [4]string{"*", "*", "*", "*"}
		if p[0] != "" || len(p) > 1 {
			c[0] = p[0]
		}
		if len(p) > 1 {
			c[1] = p[1]
		}
		if len(p) > 2 {
			c[2] = p[2]
		}
		if len(p) > 3 {
			c[3] = strings.Join(p[3:], ":")
		}
		return prResourceFormat, fmt.Sprintf("Partition \"%s\" is not valid for resource \"arn:%s:%s:%s:%s:%s\".", partition, partition, c[0], c[1], c[2], c[3])
	}
	if !found {
		return prResourceFormat, msgResourceVendor
	}
	// IAM's legacy parser: fewer than five colons is fine unless the
	// value has an empty component; the service may not be empty.
	if strings.Count(r, ":") < 5 && strings.Contains(r, "::") || strings.Split(r, ":")[2] == "" {
		return prLegacy, msgLegacy
	}
	parts, ok := splitARN(r)
	if !ok {
		return 0, ""
	}
	service, region, resource := parts[2], parts[3], parts[5]
	switch service {
	case "iam":
		if region != "" {
			return prResourceFormat, fmt.Sprintf("IAM resource %s cannot contain region information.", r)
		}
		if resource != "*" && resource != "root" && !strings.HasPrefix(resource, "${") {
			ok := false
			for _, t := range iamResourceTypes {
				if strings.HasPrefix(resource, t) {
					ok = true
					break
				}
			}
			if !ok {
				return prResourceFormat, "IAM resource path must either be \"*\" or start with " + strings.Join(iamResourceTypes, ", ") + "."
			}
		}
	case "s3":
		// Bucket and object ARNs have neither region nor account; S3
		// control resources (access points, access grants, jobs) have both.
		if region != "" && parts[4] == "" {
			return prResourceFormat, fmt.Sprintf("Resource %s can not contain region information.", r)
		}
	}
	return 0, ""
}

func (v *validator) principalOf(st *Statement, principal, notPrincipal *jnode) {
	idx, sid := st.Index, st.Sid
	n := principal
	element := "Principal"
	if n == nil {
		n, st.NotPrincipal, element = notPrincipal, true, "NotPrincipal"
	}
	if n == nil {
		st.NotPrincipal = false
		if v.kind.principalRequired() {
			v.fail(prPrincipalRule, idx, sid, msgPrincipalMissing, "")
		}
		return
	}
	if v.kind.principalForbidden() {
		v.fail(prPrincipalRule, idx, sid, msgPrincipalNotAllow, fmt.Sprintf("%s is not allowed in policies of kind %s", element, v.kind))
		return
	}
	ps := &Principals{}
	st.Principal = ps
	if n.kind == jString {
		if n.text != "*" {
			v.fail(prPrincipalValue, idx, sid, msgInvalidPrincipal("AWS", n.text), fmt.Sprintf("%s as a string must be \"*\"", element))
			return
		}
		ps.All = true
		return
	}
	if n.kind != jObject {
		v.fail(prSyntax, idx, sid, msgSyntax, fmt.Sprintf("%s must be \"*\" or an object, not a %s", element, n.kind))
		return
	}
	for _, f := range n.fields {
		vals, ok := v.strings(f.val, idx, sid, element+"."+f.key)
		if !ok {
			continue
		}
		for _, val := range vals {
			var p arn.Principal
			var err error
			switch f.key {
			case "AWS":
				p, err = arn.ParseAWSPrincipal(val)
			case "Federated":
				p, err = arn.ParseFederatedPrincipal(val)
			case "Service":
				p, err = arn.ParseServicePrincipal(val)
			case "CanonicalUser":
				p, err = arn.ParseCanonicalUser(val)
			default:
				err = fmt.Errorf("unknown principal type %q (want AWS, Federated, Service or CanonicalUser)", f.key)
			}
			if err != nil {
				v.fail(prPrincipalValue, idx, sid, msgInvalidPrincipal(f.key, val), err.Error())
				continue
			}
			if p.Type == arn.PrincipalAll {
				ps.All = true
			}
			ps.Entries = append(ps.Entries, PrincipalEntry{Key: f.key, Value: val, Principal: p})
		}
	}
}

func (v *validator) conditionsOf(st *Statement, n *jnode) {
	if n == nil {
		return
	}
	idx, sid := st.Index, st.Sid
	if n.kind != jObject {
		v.fail(prSyntax, idx, sid, msgSyntax, "Condition must be an object")
		return
	}
	for _, opf := range n.fields {
		if opf.val.kind != jObject {
			v.fail(prSyntax, idx, sid, msgSyntax, fmt.Sprintf("Condition operator %s must map to an object of keys", opf.key))
			continue
		}
		fam, negated, q, ifExists, ok := parseOperator(opf.key)
		if !ok && len(opf.val.fields) == 0 {
			// IAM accepts an unknown operator with no keys: it constrains
			// nothing, so it cannot change a decision.
			continue
		}
		if !ok {
			v.fail(prSyntax, idx, sid, msgSyntax, fmt.Sprintf("unknown condition operator %q", opf.key))
			continue
		}
		for _, kf := range opf.val.fields {
			c := &Condition{Operator: opf.key, Key: kf.key, fam: fam, negated: negated, qualifier: q, ifExists: ifExists}
			switch kf.val.kind {
			case jString, jBool, jNumber:
				c.Values = []string{kf.val.text}
			case jArray:
				for _, it := range kf.val.items {
					if it.kind != jString && it.kind != jBool && it.kind != jNumber {
						v.fail(prSyntax, idx, sid, msgSyntax, fmt.Sprintf("condition %s %s holds a %s", opf.key, kf.key, it.kind))
						return
					}
					c.Values = append(c.Values, it.text)
				}
			default:
				v.fail(prSyntax, idx, sid, msgSyntax, fmt.Sprintf("condition %s %s must be a string, boolean, number or a list of them", opf.key, kf.key))
				continue
			}
			if kf.key == "" {
				v.fail(prSyntax, idx, sid, msgSyntax, fmt.Sprintf("empty condition key under %s", opf.key))
				continue
			}
			for _, val := range c.Values {
				if fam != famNull && fam < famNumericEquals || fam == famARN {
					v.collectVars(st, val)
				}
			}
			if err := compileCondition(c, v.vars); err != nil {
				rank := prConditionValue
				if fam >= famDateEquals && fam <= famDateGreaterThanEquals {
					rank = prLegacy
				}
				msg := msgSyntax
				if rank == prLegacy {
					msg = msgLegacy
				}
				v.fail(rank, idx, sid, msg, err.Error())
				continue
			}
			st.Conditions = append(st.Conditions, c)
		}
	}
}
