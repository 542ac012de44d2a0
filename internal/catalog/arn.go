package catalog

import (
	"fmt"
	"strings"
)

// Env supplies the ARN parts a request doesn't: the partition ("aws" when
// empty), the region the request was sent to, and the account the resource
// is taken to belong to when the request doesn't say (the caller's, or the
// owner the gateway has on record).
type Env struct {
	Partition string
	Region    string
	Account   string
}

// MissingError is returned by ResourceARNs when no resource ARN of the
// action can be built: it names the ARN template's variable and the
// parameter that should have supplied it.
type MissingError struct {
	Action       string // "dynamodb:GetItem"
	ResourceType string // "table"
	Variable     string // "TableName"
	Param        string // "TableName"; "" when nothing in the request binds the variable
}

func (e *MissingError) Error() string {
	if e.Param == "" {
		return fmt.Sprintf("catalog: %s: can't build the %s ARN: nothing in the request supplies ${%s}", e.Action, e.ResourceType, e.Variable)
	}
	return fmt.Sprintf("catalog: %s: can't build the %s ARN: ${%s} needs the request's %s, which it lacks or which doesn't name such a resource", e.Action, e.ResourceType, e.Variable, e.Param)
}

// binding says which parameter fills an ARN variable, and how.
type binding struct {
	variable  string
	param     string
	transform string // "", arn, kmskey, kmsalias, lambdafn, parentarn
}

// arnTemplate is a compiled SAR ARN template.
type arnTemplate struct {
	service string     // the service segment, e.g. "dynamodb"
	res     []arnToken // the resource part, after arn:P:S:R:A:
	hasRgn  bool       // ${Region} in the region segment
	hasAcct bool       // ${Account} in the account segment
}

type arnToken struct {
	lit      string
	variable string // "" for a literal
}

func parseARNTemplate(s string) (*arnTemplate, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return nil, fmt.Errorf("ARN template %q is malformed", s)
	}
	t := &arnTemplate{service: parts[2], hasRgn: parts[3] == "${Region}", hasAcct: parts[4] == "${Account}"}
	rest := parts[5]
	for rest != "" {
		i := strings.Index(rest, "${")
		if i < 0 {
			t.res = append(t.res, arnToken{lit: rest})
			break
		}
		if i > 0 {
			t.res = append(t.res, arnToken{lit: rest[:i]})
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("ARN template %q: unterminated variable", s)
		}
		t.res = append(t.res, arnToken{variable: rest[i+2 : i+j]})
		rest = rest[i+j+1:]
	}
	return t, nil
}

// arnParts is a parsed ARN.
type arnParts struct{ partition, service, region, account, resource string }

func parseARN(s string) (arnParts, bool) {
	if !strings.HasPrefix(s, "arn:") {
		return arnParts{}, false
	}
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 {
		return arnParts{}, false
	}
	return arnParts{parts[1], parts[2], parts[3], parts[4], parts[5]}, true
}

// matchResource matches an ARN's resource part against the template's
// resource tokens. full: the whole template matched (the ARN is one of this
// type). Otherwise vals holds the variables of the longest matching prefix
// that ends with a variable (a table ARN inside an index template), and ok
// is false when even that failed.
func (t *arnTemplate) matchResource(res string, vals map[string]string) (full, ok bool) {
	matched := false
	for i, tok := range t.res {
		if tok.variable == "" {
			if !strings.HasPrefix(res, tok.lit) {
				return false, matched && res == ""
			}
			res = res[len(tok.lit):]
			continue
		}
		v := res
		if i+1 < len(t.res) {
			if j := strings.Index(res, t.res[i+1].lit); j >= 0 {
				v = res[:j]
			}
		}
		if v == "" {
			return false, false
		}
		vals[tok.variable] = v
		res = res[len(v):]
		matched = true
	}
	return res == "", true
}

// ResourceARNs builds the ARNs the action is authorized against from the
// request's parameters: each of the action's resource types whose template
// variables the parameters fill (several ARNs when a parameter has several
// values, as DynamoDB BatchWriteItem's tables or S3 DeleteObjects' keys).
// An action with no resource types is authorized against "*".
//
// Variables are filled from the parameters the catalogue binds them to (by
// name: TableName, BucketName<-Bucket, QueueName<-QueueUrl,
// TopicName<-TopicArn ...; see internal/catalog/gen/overrides.go). A value
// that is already an ARN of the resource type is used as it stands, its
// account and region winning over env (a DynamoDB table ARN as TableName, a
// Lambda function ARN, an SNS TopicArn, a Secrets Manager ARN). A queue URL
// gives the name and the account. An ECR registryId gives the account.
//
// KMS aliases (alias/name or an alias ARN as KeyId) yield the alias's ARN
// in place of the key's: resolve it to the key before evaluating the key
// policy. A secret named without its ARN yields ...:secret:NAME, without
// the random suffix AWS adds.
//
// It returns a *MissingError when no ARN can be built.
func (a *Action) ResourceARNs(p Params, env Env) ([]string, error) {
	if len(a.Resources) == 0 {
		return []string{"*"}, nil
	}
	if env.Partition == "" {
		env.Partition = "aws"
	}
	var out []string
	var missing *MissingError
	for i := range a.Resources {
		rt := &a.Resources[i]
		arns, miss := a.build(rt, p, env)
		out = append(out, arns...)
		if miss != nil && missing == nil {
			missing = miss
		}
	}
	if len(out) == 0 {
		if missing == nil {
			missing = &MissingError{Action: a.Name, ResourceType: a.Resources[0].Name}
		}
		return nil, missing
	}
	return out, nil
}

func (a *Action) bindingFor(variable string) *binding {
	for i := range a.bind {
		if a.bind[i].variable == variable {
			return &a.bind[i]
		}
	}
	return nil
}

// build makes the ARNs of one resource type.
func (a *Action) build(rt *ResourceType, p Params, env Env) ([]string, *MissingError) {
	t := rt.tmpl
	// The variable whose parameter has several values, if any.
	var multi *binding
	n := 1
	for _, tok := range t.res {
		if tok.variable == "" {
			continue
		}
		b := a.bindingFor(tok.variable)
		if b == nil {
			return nil, &MissingError{Action: a.Name, ResourceType: rt.Name, Variable: tok.variable}
		}
		if c := p.count(b.param); c > 1 && multi == nil {
			multi, n = b, c
		} else if c == 0 {
			return nil, &MissingError{Action: a.Name, ResourceType: rt.Name, Variable: tok.variable, Param: b.param}
		}
	}
	var out []string
	var miss *MissingError
	for k := 0; k < n; k++ {
		arn, m := a.buildOne(rt, p, env, multi, k)
		if m != nil {
			if miss == nil {
				miss = m
			}
			continue
		}
		out = append(out, arn)
	}
	return out, miss
}

// nth returns the k-th value of name.
func (p Params) nth(name string, k int) string {
	for i := range p {
		if p[i].Name == name {
			if k == 0 {
				return p[i].Value
			}
			k--
		}
	}
	return ""
}

func (a *Action) buildOne(rt *ResourceType, p Params, env Env, multi *binding, k int) (string, *MissingError) {
	t := rt.tmpl
	partition, region, account := env.Partition, env.Region, env.Account
	if acct := a.op.accountParam(p); acct != "" {
		account = acct
	}
	var vals map[string]string
	var small [4]struct{ k, v string }
	nv := 0
	set := func(k, v string) {
		if vals != nil {
			vals[k] = v
			return
		}
		if nv < len(small) {
			small[nv].k, small[nv].v = k, v
			nv++
			return
		}
		vals = map[string]string{}
		for _, e := range small[:nv] {
			vals[e.k] = e.v
		}
		vals[k] = v
	}
	get := func(k string) (string, bool) {
		if vals != nil {
			v, ok := vals[k]
			return v, ok
		}
		for _, e := range small[:nv] {
			if e.k == k {
				return e.v, true
			}
		}
		return "", false
	}
	fromARN := false
	for ti, tok := range t.res {
		if tok.variable == "" {
			continue
		}
		if _, done := get(tok.variable); done {
			continue
		}
		b := a.bindingFor(tok.variable)
		missing := &MissingError{Action: a.Name, ResourceType: rt.Name, Variable: tok.variable, Param: b.param}
		var v string
		if b == multi {
			v = p.nth(b.param, k)
		} else {
			v, _ = p.Get(b.param)
		}
		switch b.transform {
		case "kmskey":
			if strings.HasPrefix(v, "alias/") {
				return "arn:" + partition + ":kms:" + region + ":" + account + ":" + v, nil
			}
			if ap, ok := parseARN(v); ok && ap.service == "kms" && strings.HasPrefix(ap.resource, "alias/") {
				return v, nil
			}
		case "kmsalias":
			v = strings.TrimPrefix(v, "alias/")
		case "parentarn":
			if i := strings.LastIndexByte(v, ':'); i > 0 && strings.HasPrefix(v, "arn:") {
				v = v[:i]
			}
		case "lambdafn":
			if !strings.HasPrefix(v, "arn:") {
				// 123456789012:function:name[:qualifier]
				if acct, rest, ok := strings.Cut(v, ":function:"); ok && isAccountID(acct) {
					account, v = acct, rest
				}
			}
			// A qualifier qualifies the function's ARN, unless the template
			// has a place of its own for it (function:${FunctionName}:${Alias}).
			if q, ok := p.Get("Qualifier"); ok && q != "" && ti == len(t.res)-1 {
				name := v
				if ap, ok := parseARN(v); ok {
					name = strings.TrimPrefix(ap.resource, "function:")
				}
				if !strings.Contains(name, ":") {
					v += ":" + q
				}
			}
		}
		if ap, ok := parseARN(v); ok {
			if ap.service != t.service {
				return "", missing
			}
			m := map[string]string{}
			full, ok := t.matchResource(ap.resource, m)
			if full {
				return v, nil
			}
			if !ok {
				return "", missing
			}
			for mk, mv := range m {
				set(mk, mv)
			}
			partition, region, account = ap.partition, ap.region, ap.account
			fromARN = true
			continue
		}
		if b.transform == "arn" {
			return "", missing
		}
		if strings.HasPrefix(v, "https://") || strings.HasPrefix(v, "http://") {
			// A queue URL: .../ACCOUNT/NAME
			path := v[strings.Index(v, "://")+3:]
			segs := strings.Split(path, "/")
			if len(segs) >= 3 && isAccountID(segs[len(segs)-2]) && !fromARN {
				account = segs[len(segs)-2]
			}
			v = segs[len(segs)-1]
		}
		if v == "" {
			return "", missing
		}
		set(tok.variable, v)
	}
	var sb strings.Builder
	sb.Grow(64)
	sb.WriteString("arn:")
	sb.WriteString(partition)
	sb.WriteByte(':')
	sb.WriteString(t.service)
	sb.WriteByte(':')
	if t.hasRgn {
		sb.WriteString(region)
	}
	sb.WriteByte(':')
	if t.hasAcct {
		sb.WriteString(account)
	}
	sb.WriteByte(':')
	for _, tok := range t.res {
		if tok.variable == "" {
			sb.WriteString(tok.lit)
			continue
		}
		v, ok := get(tok.variable)
		if !ok || v == "" {
			// An ARN that filled only part of the template (a table ARN
			// for a stream) leaves the rest unfilled.
			b := a.bindingFor(tok.variable)
			return "", &MissingError{Action: a.Name, ResourceType: rt.Name, Variable: tok.variable, Param: b.param}
		}
		sb.WriteString(v)
	}
	return sb.String(), nil
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// accountParam returns the account an ECR registryId (or a similar
// AccountId member) names.
func (o *Operation) accountParam(p Params) string {
	if o.account == "" {
		return ""
	}
	if v, ok := p.Get(o.account); ok && isAccountID(v) {
		return v
	}
	return ""
}

// ResourceAccount returns the account that owns the request's resource
// where the request says so: the account of an ARN the request names (a
// DynamoDB table ARN as TableName, a KMS key ARN, a Lambda function ARN, an
// SNS TopicArn, a Secrets Manager ARN), an ECR registryId, the account
// segment of an SQS queue URL, a Lambda partial ARN. It returns "" when the
// request doesn't say: the gateway then uses its ownership records or the
// caller's account. Where several resources name different accounts, the
// first action's first wins.
func (o *Operation) ResourceAccount(p Params) string {
	if acct := o.accountParam(p); acct != "" {
		return acct
	}
	for i := range o.actions {
		for _, b := range o.actions[i].bind {
			v, ok := p.Get(b.param)
			if !ok {
				continue
			}
			if ap, ok := parseARN(v); ok {
				if isAccountID(ap.account) {
					return ap.account
				}
				continue
			}
			if strings.HasPrefix(v, "https://") || strings.HasPrefix(v, "http://") {
				segs := strings.Split(v, "/")
				if len(segs) >= 2 && isAccountID(segs[len(segs)-2]) {
					return segs[len(segs)-2]
				}
				continue
			}
			if b.transform == "lambdafn" {
				if acct, _, ok := strings.Cut(v, ":function:"); ok && isAccountID(acct) {
					return acct
				}
			}
		}
	}
	return ""
}
