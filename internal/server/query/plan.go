package query

import (
	"reflect"
	"sort"
	"sync"
)

// kind is how Decode reads a type.
type kind uint8

const (
	kindScalar  kind = iota // string, boolean, number; any other kind fails when set
	kindTime                // time.Time, ISO 8601
	kindPointer             // a pointer, to elem
	kindStruct              // a structure of fields
	kindBlob                // []byte, base64
	kindList                // a slice of elem, "member.N"
	kindMap                 // a map of elem, "entry.N.key/value"
	kindUnion               // an interface listed in unionMembers
)

// plan is what Decode needs to know of a type, worked out once per type:
// how to read it and, below it, the plans of its pointee, elements or
// members.
type plan struct {
	typ     reflect.Type
	kind    kind
	elem    *plan       // kindPointer, kindList, kindMap
	fields  []fieldPlan // kindStruct: the wire members in field order
	byName  []int       // kindStruct: indices into fields, by wire name
	members []unionPlan // kindUnion
}

// fieldPlan is one wire member of a struct.
type fieldPlan struct {
	index int    // index in the struct
	name  string // wire name
	plan  *plan
}

// unionPlan is one member of a union.
type unionPlan struct {
	typ   reflect.Type // the <Union>Member<Name> struct
	name  string       // wire name
	value []int        // index of its Value field; nil if it has none
	plan  *plan        // of the Value field
}

// plans maps a type to its *plan.
var plans sync.Map

// planOf returns the plan of t.
func planOf(t reflect.Type) *plan {
	if p, ok := plans.Load(t); ok {
		return p.(*plan)
	}
	built := map[reflect.Type]*plan{}
	buildPlan(t, built)
	// Publish the plans only once all of them are complete, as a type may
	// refer to itself.
	for bt, bp := range built {
		plans.LoadOrStore(bt, bp)
	}
	actual, _ := plans.Load(t)
	return actual.(*plan)
}

// buildPlan returns the plan of t, building it and the plans below it into
// built unless they are published already.
func buildPlan(t reflect.Type, built map[reflect.Type]*plan) *plan {
	if p, ok := built[t]; ok {
		return p
	}
	if p, ok := plans.Load(t); ok {
		return p.(*plan)
	}
	p := &plan{typ: t}
	built[t] = p
	if members, ok := unionMembers[t]; ok {
		p.kind = kindUnion
		for _, m := range members {
			up := unionPlan{typ: m, name: unionMemberName(t, m)}
			if m.Kind() == reflect.Struct {
				if sf, ok := m.FieldByName("Value"); ok {
					up.value = sf.Index
					up.plan = buildPlan(sf.Type, built)
				}
			}
			p.members = append(p.members, up)
		}
		return p
	}
	switch {
	case t == timeType:
		p.kind = kindTime
	case t.Kind() == reflect.Pointer:
		p.kind = kindPointer
		p.elem = buildPlan(t.Elem(), built)
	case t.Kind() == reflect.Struct:
		p.kind = kindStruct
		for _, f := range fieldsOf(t) {
			p.fields = append(p.fields, fieldPlan{index: f.index, name: f.name, plan: buildPlan(t.Field(f.index).Type, built)})
		}
		p.byName = make([]int, len(p.fields))
		for i := range p.byName {
			p.byName[i] = i
		}
		sort.SliceStable(p.byName, func(i, j int) bool { return p.fields[p.byName[i]].name < p.fields[p.byName[j]].name })
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		p.kind = kindBlob
	case t.Kind() == reflect.Slice:
		p.kind = kindList
		p.elem = buildPlan(t.Elem(), built)
	case t.Kind() == reflect.Map:
		p.kind = kindMap
		p.elem = buildPlan(t.Elem(), built)
	default:
		p.kind = kindScalar
	}
	return p
}

// join appends a key segment to a parameter path.
func join(path, seg string) string {
	if path == "" {
		return seg
	}
	return path + "." + seg
}
