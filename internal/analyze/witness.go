package analyze

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/assumed-dev/assumed/policy"
)

// callerSuppliedKey reports whether a condition key's value comes from
// the request the caller makes (an AssumeRole parameter) rather than from
// who the caller is: the graph decides such an edge for a request that
// carries what the policy asks, and says so (Edge.Requires).
func callerSuppliedKey(key string) bool {
	k := strings.ToLower(key)
	switch k {
	case "sts:externalid", "sts:sourceidentity", "sts:rolesessionname", "aws:tagkeys", "sts:transitivetagkeys":
		return true
	}
	return strings.HasPrefix(k, "aws:requesttag/")
}

// witnessValue is a value a request sets for a condition key.
type witnessValue struct {
	key    string // as the policy writes it
	values []string
}

// witnessValues are the values a request would carry to meet the
// conditions on caller-supplied keys of a policy's Allow statements, by
// lower-cased key.
type witnessValues map[string]witnessValue

// witness returns, for each caller-supplied key (keep) that an Allow
// statement of p tests with a positive operator, a value that meets the
// first such condition: the policy's first value, its wildcards filled.
// The evaluator then decides the request that carries them, so a value
// that does not in fact satisfy the policy yields no edge.
func witness(p *policy.Policy, keep func(string) bool) witnessValues {
	var w witnessValues
	for _, st := range p.Statements {
		if st.Effect != policy.Allow {
			continue
		}
		for _, c := range st.Conditions {
			if !keep(c.Key) || len(c.Values) == 0 {
				continue
			}
			k := strings.ToLower(c.Key)
			if _, ok := w[k]; ok {
				continue
			}
			vals := witnessFor(c)
			if vals == nil {
				continue
			}
			if w == nil {
				w = witnessValues{}
			}
			w[k] = witnessValue{key: c.Key, values: vals}
		}
	}
	return w
}

// witnessFor is a value that meets condition c, or nil for operators a
// value can't be made for (negations, Null).
func witnessFor(c *policy.Condition) []string {
	op, multi := baseOperator(c.Operator)
	switch op {
	case "StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike":
		if multi {
			vals := make([]string, 0, len(c.Values))
			for _, v := range c.Values {
				vals = append(vals, fillWildcards(v))
			}
			return vals
		}
		return []string{fillWildcards(c.Values[0])}
	case "Bool":
		return []string{c.Values[0]}
	case "NumericEquals", "NumericLessThanEquals", "NumericGreaterThanEquals":
		return []string{c.Values[0]}
	case "NumericLessThan":
		if n, err := strconv.ParseFloat(c.Values[0], 64); err == nil {
			return []string{strconv.FormatFloat(n-1, 'f', -1, 64)}
		}
	case "NumericGreaterThan":
		if n, err := strconv.ParseFloat(c.Values[0], 64); err == nil {
			return []string{strconv.FormatFloat(n+1, 'f', -1, 64)}
		}
	}
	return nil
}

// baseOperator is a condition operator without its IfExists suffix and
// its set qualifier (ForAnyValue:, ForAllValues:); qualified says it had
// one.
func baseOperator(op string) (base string, qualified bool) {
	base = strings.TrimSuffix(op, "IfExists")
	if i := strings.IndexByte(base, ':'); i >= 0 {
		return base[i+1:], true
	}
	return base, false
}

// fillWildcards turns a pattern into one string it matches.
func fillWildcards(v string) string {
	return strings.NewReplacer("*", "x", "?", "x").Replace(v)
}

// tags are the session tags the witness values name: the
// aws:RequestTag/KEY values, and the keys aws:TagKeys lists.
func (w witnessValues) tags() map[string]string {
	var tags map[string]string
	for k, v := range w {
		if strings.HasPrefix(k, "aws:requesttag/") {
			if tags == nil {
				tags = map[string]string{}
			}
			tags[v.key[len("aws:RequestTag/"):]] = v.values[0]
		}
	}
	if v, ok := w["aws:tagkeys"]; ok {
		for _, key := range v.values {
			if tags == nil {
				tags = map[string]string{}
			}
			if _, ok := tags[key]; !ok {
				tags[key] = "x"
			}
		}
	}
	return tags
}

// apply sets the witness values in ctx as STS would set them for an
// AssumeRole carrying them, and returns the actions such a request is
// authorized for.
func (w witnessValues) apply(ctx *policy.Context) []string {
	actions := []string{"sts:AssumeRole"}
	for k, v := range w {
		switch {
		case k == "aws:tagkeys" || strings.HasPrefix(k, "aws:requesttag/"):
		case k == "sts:transitivetagkeys":
			ctx.SetMulti(v.key, v.values...)
		default:
			ctx.Set(v.key, v.values[0])
		}
	}
	if tags := w.tags(); len(tags) > 0 {
		keys := slices.Sorted(maps.Keys(tags))
		for _, k := range keys {
			ctx.Set("aws:RequestTag/"+k, tags[k])
		}
		ctx.SetMulti("aws:TagKeys", keys...)
		actions = append(actions, "sts:TagSession")
	}
	if _, ok := w["sts:sourceidentity"]; ok {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	return actions
}
