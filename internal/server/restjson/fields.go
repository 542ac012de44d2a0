package restjson

import (
	"reflect"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// field is a struct field that is a wire member.
type field struct {
	index int    // the field's index in its struct
	name  string // the wire name
}

// skippedFields are exported SDK fields that are not wire members: the
// response metadata of an output and the code override of an error.
var skippedFields = map[string]bool{
	"ResultMetadata":    true,
	"ErrorCodeOverride": true,
}

// timeType is the type of timestamps.
var timeType = reflect.TypeFor[time.Time]()

// fieldCache maps a struct type to its []field.
var fieldCache sync.Map

// fieldsOf returns the wire members of struct type t in field order.
func fieldsOf(t reflect.Type) []field {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]field)
	}
	var fs []field
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() || sf.Anonymous || skippedFields[sf.Name] {
			continue
		}
		fs = append(fs, field{index: i, name: WireName(sf.Name)})
	}
	f, _ := fieldCache.LoadOrStore(t, fs)
	return f.([]field)
}

// WireName returns the REST-JSON wire name of the SDK member whose Go field
// name is goName: goName with its first letter lowered, so "RoleArn" is
// "roleArn" and "Oidc" is "oidc". This holds for every EKS member.
func WireName(goName string) string {
	r, n := utf8.DecodeRuneInString(goName)
	if r == utf8.RuneError || unicode.IsLower(r) {
		return goName
	}
	return string(unicode.ToLower(r)) + goName[n:]
}
