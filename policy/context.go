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
// A Context is a small open-addressing hash table. Compiled policies carry
// the hash of every key they look up, so a lookup during evaluation is a
// probe and one string comparison. A Context is not safe for concurrent
// modification; evaluating against one from several goroutines is safe
// once it is no longer modified.
type Context struct {
	slots []ctxSlot // length a power of two, at most half full
	n     int
}

type ctxSlot struct {
	hash uint64
	key  string // lower-case
	v    *ctxValue
}

type ctxValue struct {
	name   string // the key as first set, for display
	values []string
	multi  bool
	// Pre-parsed forms of a single value, set by SetDate and SetIP so
	// that Date and IP conditions need not parse on every evaluation.
	time    time.Time
	hasTime bool
	addr    netip.Addr
	hasAddr bool
}

// ckey is a lower-case context key with its hash, computed once when a
// policy is compiled.
type ckey struct {
	name string
	hash uint64
}

func newKey(s string) ckey {
	l := strings.ToLower(s)
	return ckey{name: l, hash: hashKey(l)}
}

// hashKey is 64-bit FNV-1a.
func hashKey(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// NewContext returns an empty context.
func NewContext() *Context { return &Context{slots: make([]ctxSlot, 32)} }

func (c *Context) put(key string, v *ctxValue) {
	k := newKey(key)
	if c.slots == nil {
		c.slots = make([]ctxSlot, 32)
	}
	if (c.n+1)*2 > len(c.slots) {
		c.rehash(len(c.slots) * 2)
	}
	mask := uint64(len(c.slots) - 1)
	for i := k.hash & mask; ; i = (i + 1) & mask {
		sl := &c.slots[i]
		if sl.v == nil {
			*sl = ctxSlot{hash: k.hash, key: k.name, v: v}
			c.n++
			return
		}
		if sl.hash == k.hash && sl.key == k.name {
			sl.v = v
			return
		}
	}
}

func (c *Context) rehash(size int) {
	old := c.slots
	c.slots, c.n = make([]ctxSlot, size), 0
	mask := uint64(size - 1)
	for _, sl := range old {
		if sl.v == nil {
			continue
		}
		i := sl.hash & mask
		for c.slots[i].v != nil {
			i = (i + 1) & mask
		}
		c.slots[i] = sl
		c.n++
	}
}

// Set sets a single-valued key.
func (c *Context) Set(key, value string) {
	c.put(key, &ctxValue{name: key, values: []string{value}})
}

// SetMulti sets a multivalued key (aws:TagKeys, aws:PrincipalOrgPaths, …).
// An empty list is a present key with an empty set of values.
func (c *Context) SetMulti(key string, values ...string) {
	c.put(key, &ctxValue{name: key, values: append([]string(nil), values...), multi: true})
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
	c.put(key, &ctxValue{name: key, values: []string{text}, time: t, hasTime: true})
}

// SetIP sets a single-valued IP address key (aws:SourceIp).
func (c *Context) SetIP(key string, a netip.Addr) {
	c.put(key, &ctxValue{name: key, values: []string{a.String()}, addr: a.Unmap(), hasAddr: true})
}

// Delete removes a key.
func (c *Context) Delete(key string) {
	k := newKey(key)
	if _, ok := c.lookup(k); !ok {
		return
	}
	old := c.slots
	c.slots, c.n = make([]ctxSlot, len(old)), 0
	for _, sl := range old {
		if sl.v != nil && !(sl.hash == k.hash && sl.key == k.name) {
			c.put(sl.v.name, sl.v)
		}
	}
}

// Lookup returns the values of key and whether it is present.
func (c *Context) Lookup(key string) (values []string, ok bool) {
	v, ok := c.lookup(newKey(key))
	if !ok {
		return nil, false
	}
	return v.values, true
}

// Multivalued reports whether key is present and multivalued.
func (c *Context) Multivalued(key string) bool {
	v, ok := c.lookup(newKey(key))
	return ok && v.multi
}

// Keys returns the keys present, as first set, sorted case-insensitively.
func (c *Context) Keys() []string {
	if c == nil {
		return nil
	}
	out := make([]string, 0, c.n)
	for _, sl := range c.slots {
		if sl.v != nil {
			out = append(out, sl.v.name)
		}
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i]) < strings.ToLower(out[j]) })
	return out
}

// Clone returns a copy that can be changed independently.
func (c *Context) Clone() *Context {
	n := NewContext()
	if c != nil {
		n.slots, n.n = append([]ctxSlot(nil), c.slots...), c.n
	}
	return n
}

// lookup finds a key. A nil Context is empty.
func (c *Context) lookup(k ckey) (*ctxValue, bool) {
	if c == nil || c.n == 0 {
		return nil, false
	}
	mask := uint64(len(c.slots) - 1)
	for i := k.hash & mask; ; i = (i + 1) & mask {
		sl := &c.slots[i]
		if sl.v == nil {
			return nil, false
		}
		if sl.hash == k.hash && sl.key == k.name {
			return sl.v, true
		}
	}
}

// variable resolves a policy variable: the key must be present and
// single-valued.
func (c *Context) variable(k ckey) (string, bool) {
	v, ok := c.lookup(k)
	if !ok || v.multi || len(v.values) != 1 {
		return "", false
	}
	return v.values[0], true
}
