package query

// This file keeps the map-tree decoder that Decode replaced, as the
// reference the differential tests hold Decode to: same value, same error,
// same partial fill on error.

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"

	smithytime "github.com/aws/smithy-go/time"
)

// refNode is one level of the form's dotted keys: "Tags.member.1.Key" is the
// path Tags → member → 1 → Key.
type refNode struct {
	values   []string            // the values of the key ending here
	children map[string]*refNode // the next key segments
}

// set reports whether the key ending at n was given.
func (n *refNode) set() bool { return len(n.values) > 0 }

// child returns the child named seg, creating it.
func (n *refNode) child(seg string) *refNode {
	if n.children == nil {
		n.children = make(map[string]*refNode)
	}
	c, ok := n.children[seg]
	if !ok {
		c = &refNode{}
		n.children[seg] = c
	}
	return c
}

// childNames returns the child names in lexical order, so that the error
// reported for a form with several faults does not depend on map order.
func (n *refNode) childNames() []string {
	names := make([]string, 0, len(n.children))
	for k := range n.children {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// refDecode fills in, a pointer to an SDK input struct such as
// *iam.CreateRoleInput, from the AWS Query form values of a request. Keys the
// input type does not define are ignored; a key the input defines whose value
// or sub-keys do not fit returns an *Error (ValidationError). refDecode never
// panics on any form.
func refDecode(form url.Values, in any) error {
	rv := reflect.ValueOf(in)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("query: Decode needs a non-nil pointer to a struct, got %T", in)
	}
	root := &refNode{}
	for k, vs := range form {
		if k == "Action" || k == "Version" {
			continue
		}
		n := root
		for seg := range strings.SplitSeq(k, ".") {
			n = n.child(seg)
		}
		n.values = append(n.values, vs...)
	}
	return refDecodeStruct(rv.Elem(), root, "")
}

// refDecodeStruct fills struct v from n's children; unknown children are
// ignored.
func refDecodeStruct(v reflect.Value, n *refNode, path string) error {
	if n.set() {
		return malformed(path, "a structure takes nested keys (%s.Member), not a value", path)
	}
	for _, f := range fieldsOf(v.Type()) {
		c, ok := n.children[f.name]
		if !ok {
			continue
		}
		if err := refDecodeValue(v.Field(f.index), c, join(path, f.name)); err != nil {
			return err
		}
	}
	return nil
}

// refDecodeValue fills v, which is settable, from n.
func refDecodeValue(v reflect.Value, n *refNode, path string) error {
	t := v.Type()
	if members, ok := unionMembers[t]; ok {
		return refDecodeUnion(v, members, n, path)
	}
	switch {
	case t == timeType:
		s, err := refScalar(n, path)
		if err != nil {
			return err
		}
		tm, err := smithytime.ParseDateTime(s)
		if err != nil {
			return invalidValue(path, s, "ISO 8601 timestamp", err)
		}
		v.Set(reflect.ValueOf(tm.UTC()))
		return nil
	case t.Kind() == reflect.Pointer:
		p := reflect.New(t.Elem())
		if err := refDecodeValue(p.Elem(), n, path); err != nil {
			return err
		}
		v.Set(p)
		return nil
	case t.Kind() == reflect.Struct:
		return refDecodeStruct(v, n, path)
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		s, err := refScalar(n, path)
		if err != nil {
			return err
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return invalidValue(path, s, "base64 blob", err)
		}
		v.SetBytes(b)
		return nil
	case t.Kind() == reflect.Slice:
		return refDecodeList(v, n, path)
	case t.Kind() == reflect.Map:
		return refDecodeMap(v, n, path)
	}
	s, err := refScalar(n, path)
	if err != nil {
		return err
	}
	return refSetScalar(v, s, path)
}

// refScalar returns the single value of a refScalar parameter.
func refScalar(n *refNode, path string) (string, error) {
	if len(n.children) > 0 {
		return "", malformed(path, "unexpected sub-key %s under a scalar", quote(n.childNames()[0]))
	}
	if len(n.values) != 1 {
		return "", malformed(path, "given %d times", len(n.values))
	}
	return n.values[0], nil
}

// refSetScalar parses s into v, a string, boolean or number kind.
func refSetScalar(v reflect.Value, s, path string) error {
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

// refItems returns the elements of a list ("member") or map ("entry") refNode in
// index order, requiring the indices to be exactly 1..N in canonical form.
func refItems(n *refNode, path string) ([]*refNode, error) {
	if n.set() {
		return nil, malformed(path, "takes numbered sub-keys (%s.1), not a value", path)
	}
	out := make([]*refNode, len(n.children))
	for _, seg := range n.childNames() {
		i, err := strconv.Atoi(seg)
		if err != nil || i < 1 || strconv.Itoa(i) != seg {
			return nil, malformed(path, "index %s is not a number from 1", quote(seg))
		}
		if i > len(out) {
			return nil, malformed(path, "indices must run from 1 without gaps; %d is missing", refMissing(n, len(out)))
		}
		out[i-1] = n.children[seg]
	}
	return out, nil
}

// refMissing returns the smallest index in 1..limit that n has no child for.
func refMissing(n *refNode, limit int) int {
	for i := 1; i <= limit; i++ {
		if _, ok := n.children[strconv.Itoa(i)]; !ok {
			return i
		}
	}
	return limit + 1
}

// refContainer checks a list or map refNode: it may carry the empty-refContainer
// marker ("Tags=") and one child named sub. It returns that child, or nil
// for an empty refContainer.
func refContainer(n *refNode, sub, path string) (*refNode, error) {
	for _, seg := range n.childNames() {
		if seg != sub {
			return nil, malformed(path, "unexpected sub-key %s (want %s.%s.N)", quote(seg), path, sub)
		}
	}
	if len(n.values) > 1 || (len(n.values) == 1 && n.values[0] != "") {
		return nil, malformed(path, "takes %s.%s.N keys, not a value", path, sub)
	}
	return n.children[sub], nil
}

// refDecodeList fills slice v from "member.N" keys; "X=" alone is an empty list.
func refDecodeList(v reflect.Value, n *refNode, path string) error {
	m, err := refContainer(n, "member", path)
	if err != nil {
		return err
	}
	if m == nil {
		v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		return nil
	}
	mpath := path + ".member"
	elems, err := refItems(m, mpath)
	if err != nil {
		return err
	}
	s := reflect.MakeSlice(v.Type(), len(elems), len(elems))
	for i, e := range elems {
		if err := refDecodeValue(s.Index(i), e, mpath+"."+strconv.Itoa(i+1)); err != nil {
			return err
		}
	}
	v.Set(s)
	return nil
}

// refDecodeMap fills map v from "entry.N.key" / "entry.N.value" keys.
func refDecodeMap(v reflect.Value, n *refNode, path string) error {
	if v.Type().Key().Kind() != reflect.String {
		return fmt.Errorf("query: parameter %s: unsupported map key type %s", path, v.Type().Key())
	}
	e, err := refContainer(n, "entry", path)
	if err != nil {
		return err
	}
	m := reflect.MakeMap(v.Type())
	if e == nil {
		v.Set(m)
		return nil
	}
	epath := path + ".entry"
	entries, err := refItems(e, epath)
	if err != nil {
		return err
	}
	for i, en := range entries {
		ipath := epath + "." + strconv.Itoa(i+1)
		for _, seg := range en.childNames() {
			if seg != "key" && seg != "value" {
				return malformed(ipath, "unexpected sub-key %s (want key and value)", quote(seg))
			}
		}
		if en.set() {
			return malformed(ipath, "takes key and value sub-keys, not a value")
		}
		kn, ok := en.children["key"]
		if !ok {
			return malformed(ipath, "entry has no key")
		}
		ks, err := refScalar(kn, ipath+".key")
		if err != nil {
			return err
		}
		key := reflect.New(v.Type().Key()).Elem()
		key.SetString(ks)
		if m.MapIndex(key).IsValid() {
			return malformed(ipath, "key %s given twice", quote(ks))
		}
		val := reflect.New(v.Type().Elem()).Elem()
		if vn, ok := en.children["value"]; ok {
			if err := refDecodeValue(val, vn, ipath+".value"); err != nil {
				return err
			}
		}
		m.SetMapIndex(key, val)
	}
	v.Set(m)
	return nil
}

// refDecodeUnion fills interface v, a union, from the one member key under n.
func refDecodeUnion(v reflect.Value, members []reflect.Type, n *refNode, path string) error {
	if n.set() {
		return malformed(path, "a union takes one nested member key, not a value")
	}
	var chosen reflect.Type
	var cn *refNode
	for _, m := range members {
		c, ok := n.children[unionMemberName(v.Type(), m)]
		if !ok {
			continue
		}
		if chosen != nil {
			e := malformed(path, "sets both %s and %s; a union takes exactly one",
				unionMemberName(v.Type(), chosen), unionMemberName(v.Type(), m))
			e.Err = errUnionMembers
			return e
		}
		chosen, cn = m, c
	}
	if chosen == nil {
		e := malformed(path, "sets none of the union's members")
		e.Err = errUnionMembers
		return e
	}
	p := reflect.New(chosen)
	val := p.Elem().FieldByName("Value")
	if !val.IsValid() {
		return fmt.Errorf("query: union member %s has no Value field", chosen)
	}
	if err := refDecodeValue(val, cn, join(path, unionMemberName(v.Type(), chosen))); err != nil {
		return err
	}
	v.Set(p)
	return nil
}
