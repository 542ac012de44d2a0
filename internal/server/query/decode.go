package query

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	smithytime "github.com/aws/smithy-go/time"
)

// The decoder reads a form's dotted keys as a tree ("Tags.member.1.Key" is
// the path Tags → member → 1 → Key) without building one: the keys are
// sorted segment by segment (see segCompare), so that every subtree is a
// contiguous run of keys and a node's children come in the lexical order
// of their names. A node is such a run. Its path, the form key of the
// parameter it stands for, is a prefix of each of its keys, so neither
// nodes nor the paths that error messages name cost an allocation.

// entry is one key of a form with its values.
type entry struct {
	key  string
	vals []string
}

// node is the part of a form at or under one path: the entries es, whose
// keys all are the path itself or start with path+".", and off, where the
// next segment starts in those keys (len(path)+1; 0 at the root, whose path
// is empty and which has no value of its own).
type node struct {
	es  []entry
	off int
}

// path returns the form key the node stands for.
func (n node) path() string {
	if n.off == 0 {
		return ""
	}
	return n.es[0].key[:n.off-1]
}

// exact reports whether the form has the node's own key; it then sorts
// first.
func (n node) exact() bool { return len(n.es[0].key) == n.off-1 }

// values returns the values of the node's own key.
func (n node) values() []string {
	if n.exact() {
		return n.es[0].vals
	}
	return nil
}

// set reports whether the key ending at n was given a value.
func (n node) set() bool { return len(n.values()) > 0 }

// first returns the index in es of the first child's first entry.
func (n node) first() int {
	if n.exact() {
		return 1
	}
	return 0
}

// hasChildren reports whether any key goes on below n.
func (n node) hasChildren() bool { return n.first() < len(n.es) }

// segment returns the name of the child that key, one of n's keys other
// than its own, lies under.
func (n node) segment(key string) string {
	seg := key[n.off:]
	if i := strings.IndexByte(seg, '.'); i >= 0 {
		return seg[:i]
	}
	return seg
}

// span is a child of a node: its entries es[lo:hi] and where the segment
// after its name starts. Unlike a node it holds no pointer, so that storing
// spans, as decodeStruct and items do, does not let the entries escape to
// the heap.
type span struct {
	lo, hi, off int
}

// childAt returns the span of the child whose entries start at es[i], and
// its name. The span's hi is where the next child starts.
func (n node) childAt(i int) (c span, name string) {
	name = n.segment(n.es[i].key)
	end := n.off + len(name)
	next := i + 1
	for next < len(n.es) {
		k := n.es[next].key
		if len(k) < end || k[n.off:end] != name || len(k) > end && k[end] != '.' {
			break
		}
		next++
	}
	return span{lo: i, hi: next, off: end + 1}, name
}

// sub returns the child node of span c.
func (n node) sub(c span) node { return node{es: n.es[c.lo:c.hi], off: c.off} }

// child returns the child named name, if there is one.
func (n node) child(name string) (span, bool) {
	lo, hi := n.first(), len(n.es)
	for lo < hi { // the first entry whose segment is not below name
		mid := int(uint(lo+hi) >> 1)
		if n.segment(n.es[mid].key) < name {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo == len(n.es) || n.segment(n.es[lo].key) != name {
		return span{}, false
	}
	c, _ := n.childAt(lo)
	return c, true
}

// firstChildName returns the name of n's first child; n has children.
func (n node) firstChildName() string { return n.segment(n.es[n.first()].key) }

// segCompare orders keys segment by segment: as strings, but with '.'
// below every other byte, so that "a.b" sorts before "a-c" and "a.c", and
// every key under "a" sorts together, right after "a" itself.
func segCompare(a, b string) int {
	n := min(len(a), len(b))
	i := 0
	for i < n && a[i] == b[i] {
		i++
	}
	switch {
	case i < n:
		switch {
		case a[i] == '.':
			return -1
		case b[i] == '.':
			return 1
		case a[i] < b[i]:
			return -1
		}
		return 1
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

// belowDot reports whether s has a byte that sorts below '.', where
// segCompare and plain string order differ.
func belowDot(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '.' {
			return true
		}
	}
	return false
}

// Decode fills in, a pointer to an SDK input struct such as
// *iam.CreateRoleInput, from the AWS Query form values of a request. Keys the
// input type does not define are ignored; a key the input defines whose value
// or sub-keys do not fit returns an *Error (ValidationError). Decode never
// panics on any form.
func Decode(form url.Values, in any) error {
	rv := reflect.ValueOf(in)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("query: Decode needs a non-nil pointer to a struct, got %T", in)
	}
	var buf [32]entry
	es := buf[:0]
	plain := true
	for k, vs := range form {
		if k == "Action" || k == "Version" { // the protocol's own keys
			continue
		}
		es = append(es, entry{key: k, vals: vs})
		plain = plain && !belowDot(k)
	}
	if plain {
		// No key has a byte that sorts below '.': string order is
		// segment order, and faster to compute.
		slices.SortFunc(es, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	} else {
		slices.SortFunc(es, func(a, b entry) int { return segCompare(a.key, b.key) })
	}
	if len(es) == 0 {
		return nil // no member set; the root has no value of its own
	}
	d := decoder{entries: len(es)}
	return d.structure(planOf(rv.Elem().Type()), rv.Elem(), node{es: es})
}

// decoder is the state of one Decode.
type decoder struct {
	entries int      // the form's number of entries
	strings []string // where the next *string members point
}

// stringType is the type of plain strings.
var stringType = reflect.TypeFor[string]()

// newString returns a pointer to a copy of s. The copies share arrays
// sized for the form: a *string member takes one entry of its own, so a
// form's worth of them costs one allocation instead of one each.
func (d *decoder) newString(s string) *string {
	if len(d.strings) == 0 {
		d.strings = make([]string, d.entries)
	}
	p := &d.strings[0]
	d.strings = d.strings[1:]
	*p = s
	return p
}

// value fills v, which is settable and of type p.typ, from n.
func (d *decoder) value(p *plan, v reflect.Value, n node) error {
	switch p.kind {
	case kindUnion:
		return d.union(p, v, n)
	case kindTime:
		s, err := scalar(n)
		if err != nil {
			return err
		}
		tm, err := smithytime.ParseDateTime(s)
		if err != nil {
			return invalidValue(n.path(), s, "ISO 8601 timestamp", err)
		}
		v.Set(reflect.ValueOf(tm.UTC()))
		return nil
	case kindPointer:
		if p.elem.typ == stringType {
			s, err := scalar(n)
			if err != nil {
				return err
			}
			v.Set(reflect.ValueOf(d.newString(s)))
			return nil
		}
		ptr := reflect.New(p.elem.typ)
		if err := d.value(p.elem, ptr.Elem(), n); err != nil {
			return err
		}
		v.Set(ptr)
		return nil
	case kindStruct:
		return d.structure(p, v, n)
	case kindBlob:
		s, err := scalar(n)
		if err != nil {
			return err
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return invalidValue(n.path(), s, "base64 blob", err)
		}
		v.SetBytes(b)
		return nil
	case kindList:
		return d.list(p, v, n)
	case kindMap:
		return d.mapping(p, v, n)
	}
	s, err := scalar(n)
	if err != nil {
		return err
	}
	if p.typ.Kind() == reflect.String { // the common case, inlined
		v.SetString(s)
		return nil
	}
	return setScalar(v, s, n.path())
}

// maxFieldMatches is how many members of a struct structure matches
// without allocating.
const maxFieldMatches = 16

// fieldMatch is a struct member the form sets: its position in the plan's
// fields, and its span.
type fieldMatch struct {
	field int
	span  span
}

// structure fills struct v from n's children; unknown children are
// ignored. Members are decoded in field order, so that the error reported
// for a form with several faults is that of the first faulty member.
func (d *decoder) structure(p *plan, v reflect.Value, n node) error {
	if n.set() {
		path := n.path()
		return malformed(path, "a structure takes nested keys (%s.Member), not a value", path)
	}
	// Match the children, in name order, with the fields sorted by name.
	var buf [maxFieldMatches]fieldMatch
	matches := buf[:0]
	byName := p.byName
	j := 0
	for i := n.first(); i < len(n.es) && j < len(byName); {
		c, name := n.childAt(i)
		for j < len(byName) && p.fields[byName[j]].name < name {
			j++
		}
		for j < len(byName) && p.fields[byName[j]].name == name {
			matches = append(matches, fieldMatch{field: byName[j], span: c})
			j++
		}
		i = c.hi
	}
	// Put them back in field order (insertion sort: there are few).
	for i := 1; i < len(matches); i++ {
		for k := i; k > 0 && matches[k].field < matches[k-1].field; k-- {
			matches[k], matches[k-1] = matches[k-1], matches[k]
		}
	}
	for _, m := range matches {
		f := &p.fields[m.field]
		if err := d.value(f.plan, v.Field(f.index), n.sub(m.span)); err != nil {
			return err
		}
	}
	return nil
}

// timeType is the type of timestamps.
var timeType = reflect.TypeFor[time.Time]()

// scalar returns the single value of a scalar parameter.
func scalar(n node) (string, error) {
	if n.hasChildren() {
		return "", malformed(n.path(), "unexpected sub-key %s under a scalar", quote(n.firstChildName()))
	}
	vals := n.values()
	if len(vals) != 1 {
		return "", malformed(n.path(), "given %d times", len(vals))
	}
	return vals[0], nil
}

// setScalar parses s into v, a string, boolean or number kind.
func setScalar(v reflect.Value, s, path string) error {
	switch k := v.Kind(); k {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		switch {
		case strings.EqualFold(s, "true"):
			v.SetBool(true)
		case strings.EqualFold(s, "false"):
			v.SetBool(false)
		default:
			return invalidValue(path, s, "boolean (true or false)", nil)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			return invalidValue(path, s, fmt.Sprintf("%d-bit integer", v.Type().Bits()), err)
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u, err := strconv.ParseUint(s, 10, v.Type().Bits())
		if err != nil {
			return invalidValue(path, s, fmt.Sprintf("%d-bit unsigned integer", v.Type().Bits()), err)
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(s, v.Type().Bits())
		if err != nil {
			return invalidValue(path, s, "number", err)
		}
		v.SetFloat(f)
	default:
		return fmt.Errorf("query: parameter %s: unsupported Go type %s", path, v.Type())
	}
	return nil
}

// maxInlineItems is how many list members or map entries items orders
// without allocating.
const maxInlineItems = 8

// items returns the spans of the elements of a list ("member") or map
// ("entry") node in index order, requiring the indices to be exactly 1..N
// in canonical form. The result is built in buf when it fits.
func items(n node, buf []span) ([]span, error) {
	if n.set() {
		path := n.path()
		return nil, malformed(path, "takes numbered sub-keys (%s.1), not a value", path)
	}
	count := 0
	for i := n.first(); i < len(n.es); count++ {
		c, _ := n.childAt(i)
		i = c.hi
	}
	out := buf[:0]
	if count > cap(out) {
		out = make([]span, 0, count)
	}
	out = out[:count]
	for i := n.first(); i < len(n.es); {
		c, seg := n.childAt(i)
		// Canonical: digits without a sign or a leading zero.
		idx, err := strconv.Atoi(seg)
		if err != nil || idx < 1 || seg[0] < '1' || seg[0] > '9' {
			return nil, malformed(n.path(), "index %s is not a number from 1", quote(seg))
		}
		if idx > count {
			return nil, malformed(n.path(), "indices must run from 1 without gaps; %d is missing", missing(n, count))
		}
		out[idx-1] = c
		i = c.hi
	}
	return out, nil
}

// missing returns the smallest index in 1..limit that n has no child for.
func missing(n node, limit int) int {
	for i := 1; i <= limit; i++ {
		if _, ok := n.child(strconv.Itoa(i)); !ok {
			return i
		}
	}
	return limit + 1
}

// container checks a list or map node: it may carry the empty-container
// marker ("Tags=") and one child named sub. It returns that child, and
// false for an empty container.
func container(n node, sub string) (node, bool, error) {
	for i := n.first(); i < len(n.es); {
		c, seg := n.childAt(i)
		if seg != sub {
			path := n.path()
			return node{}, false, malformed(path, "unexpected sub-key %s (want %s.%s.N)", quote(seg), path, sub)
		}
		i = c.hi
	}
	if vals := n.values(); len(vals) > 1 || (len(vals) == 1 && vals[0] != "") {
		path := n.path()
		return node{}, false, malformed(path, "takes %s.%s.N keys, not a value", path, sub)
	}
	if !n.hasChildren() {
		return node{}, false, nil
	}
	c, _ := n.childAt(n.first())
	return n.sub(c), true, nil
}

// list fills slice v from "member.N" keys; "X=" alone is an empty list.
func (d *decoder) list(p *plan, v reflect.Value, n node) error {
	m, ok, err := container(n, "member")
	if err != nil {
		return err
	}
	if !ok {
		v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		return nil
	}
	var buf [maxInlineItems]span
	elems, err := items(m, buf[:])
	if err != nil {
		return err
	}
	if v.IsNil() {
		// Fill v in place, one allocation; undo it on error, as v is set
		// only on success.
		v.Grow(len(elems))
		v.SetLen(len(elems))
		v.SetCap(len(elems))
		for i, e := range elems {
			if err := d.value(p.elem, v.Index(i), m.sub(e)); err != nil {
				v.SetZero()
				return err
			}
		}
		return nil
	}
	s := reflect.MakeSlice(v.Type(), len(elems), len(elems))
	for i, e := range elems {
		if err := d.value(p.elem, s.Index(i), m.sub(e)); err != nil {
			return err
		}
	}
	v.Set(s)
	return nil
}

// mapping fills map v from "entry.N.key" / "entry.N.value" keys.
func (d *decoder) mapping(p *plan, v reflect.Value, n node) error {
	if v.Type().Key().Kind() != reflect.String {
		return fmt.Errorf("query: parameter %s: unsupported map key type %s", n.path(), v.Type().Key())
	}
	e, ok, err := container(n, "entry")
	if err != nil {
		return err
	}
	m := reflect.MakeMap(v.Type())
	if !ok {
		v.Set(m)
		return nil
	}
	var buf [maxInlineItems]span
	entries, err := items(e, buf[:])
	if err != nil {
		return err
	}
	for _, es := range entries {
		en := e.sub(es)
		for i := en.first(); i < len(en.es); {
			c, seg := en.childAt(i)
			if seg != "key" && seg != "value" {
				return malformed(en.path(), "unexpected sub-key %s (want key and value)", quote(seg))
			}
			i = c.hi
		}
		if en.set() {
			return malformed(en.path(), "takes key and value sub-keys, not a value")
		}
		kc, ok := en.child("key")
		if !ok {
			return malformed(en.path(), "entry has no key")
		}
		ks, err := scalar(en.sub(kc))
		if err != nil {
			return err
		}
		key := reflect.New(v.Type().Key()).Elem()
		key.SetString(ks)
		if m.MapIndex(key).IsValid() {
			return malformed(en.path(), "key %s given twice", quote(ks))
		}
		val := reflect.New(v.Type().Elem()).Elem()
		if vc, ok := en.child("value"); ok {
			if err := d.value(p.elem, val, en.sub(vc)); err != nil {
				return err
			}
		}
		m.SetMapIndex(key, val)
	}
	v.Set(m)
	return nil
}

// errUnionMembers is the cause of a union with other than one member set.
var errUnionMembers = errors.New("a union takes exactly one member")

// union fills interface v, a union, from the one member key under n.
func (d *decoder) union(p *plan, v reflect.Value, n node) error {
	if n.set() {
		return malformed(n.path(), "a union takes one nested member key, not a value")
	}
	var chosen *unionPlan
	var cs span
	for i := range p.members {
		m := &p.members[i]
		c, ok := n.child(m.name)
		if !ok {
			continue
		}
		if chosen != nil {
			e := malformed(n.path(), "sets both %s and %s; a union takes exactly one", chosen.name, m.name)
			e.Err = errUnionMembers
			return e
		}
		chosen, cs = m, c
	}
	if chosen == nil {
		e := malformed(n.path(), "sets none of the union's members")
		e.Err = errUnionMembers
		return e
	}
	if chosen.value == nil {
		return fmt.Errorf("query: union member %s has no Value field", chosen.typ)
	}
	ptr := reflect.New(chosen.typ)
	if err := d.value(chosen.plan, ptr.Elem().FieldByIndex(chosen.value), n.sub(cs)); err != nil {
		return err
	}
	v.Set(ptr)
	return nil
}
