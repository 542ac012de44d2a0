package policy

import (
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Context holds the condition keys of one request: aws:username,
// aws:PrincipalTag/team, sts:ExternalId, … Keys are case-insensitive. A key
// is single-valued (Set) or multivalued (SetMulti); only single-valued keys
// can be used as policy variables, as in AWS.
//
// A Context is not safe for concurrent modification; evaluating against one
// from several goroutines is safe once it is no longer modified.
type Context struct {
	keys map[string]ctxValue
}

type ctxValue struct {
	name   string // the key as first set, for display
	values []string
	multi  bool
	// Pre-parsed forms of a single value, set by SetTime and SetIP so
	// that Date and IP conditions need not parse on every evaluation.
	time    time.Time
	hasTime bool
	addr    netip.Addr
	hasAddr bool
}

// NewContext returns an empty context.
func NewContext() *Context { return &Context{keys: make(map[string]ctxValue)} }

// Set sets a single-valued key.
func (c *Context) Set(key, value string) {
	c.keys[strings.ToLower(key)] = ctxValue{name: key, values: []string{value}}
}

// SetMulti sets a multivalued key (aws:TagKeys, aws:PrincipalOrgPaths, …).
// An empty list is a present key with an empty set of values.
func (c *Context) SetMulti(key string, values ...string) {
	c.keys[strings.ToLower(key)] = ctxValue{name: key, values: append([]string(nil), values...), multi: true}
}

// SetBool sets a single-valued Boolean key to "true" or "false".
func (c *Context) SetBool(key string, v bool) { c.Set(key, strconv.FormatBool(v)) }

// SetTime sets aws:CurrentTime (ISO 8601) and aws:EpochTime (seconds) to t.
func (c *Context) SetTime(t time.Time) {
	t = t.UTC().Truncate(time.Second)
	c.SetDate("aws:CurrentTime", t.Format(time.RFC3339), t)
	c.SetDate("aws:EpochTime", strconv.FormatInt(t.Unix(), 10), t)
}

// SetDate sets a single-valued date key whose text form is text and whose
// parsed value is t (aws:TokenIssueTime, aws:CurrentTime, …).
func (c *Context) SetDate(key, text string, t time.Time) {
	c.keys[strings.ToLower(key)] = ctxValue{name: key, values: []string{text}, time: t, hasTime: true}
}

// SetIP sets a single-valued IP address key (aws:SourceIp).
func (c *Context) SetIP(key string, a netip.Addr) {
	c.keys[strings.ToLower(key)] = ctxValue{name: key, values: []string{a.String()}, addr: a.Unmap(), hasAddr: true}
}

// Delete removes a key.
func (c *Context) Delete(key string) { delete(c.keys, strings.ToLower(key)) }

// Lookup returns the values of key and whether it is present.
func (c *Context) Lookup(key string) (values []string, ok bool) {
	v, ok := c.lookup(strings.ToLower(key))
	return v.values, ok
}

// Multivalued reports whether key is present and multivalued.
func (c *Context) Multivalued(key string) bool {
	v, ok := c.lookup(strings.ToLower(key))
	return ok && v.multi
}

// Keys returns the keys present, as first set, sorted case-insensitively.
func (c *Context) Keys() []string {
	if c == nil {
		return nil
	}
	out := make([]string, 0, len(c.keys))
	for _, v := range c.keys {
		out = append(out, v.name)
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i]) < strings.ToLower(out[j]) })
	return out
}

// Clone returns a copy that can be changed independently.
func (c *Context) Clone() *Context {
	n := NewContext()
	if c != nil {
		for k, v := range c.keys {
			n.keys[k] = v
		}
	}
	return n
}

// lookup finds a key already in lower case. A nil Context is empty.
func (c *Context) lookup(lowerKey string) (ctxValue, bool) {
	if c == nil {
		return ctxValue{}, false
	}
	v, ok := c.keys[lowerKey]
	return v, ok
}

// variable resolves a policy variable: the key must be present and
// single-valued.
func (c *Context) variable(lowerKey string) (string, bool) {
	v, ok := c.lookup(lowerKey)
	if !ok || v.multi || len(v.values) != 1 {
		return "", false
	}
	return v.values[0], true
}
