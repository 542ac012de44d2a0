package restjson

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxDepth bounds how deeply Marshal nests, so that a cyclic value is an
// error rather than an endless recursion. EKS's shapes nest a few levels.
const maxDepth = 64

// Encode writes v, an SDK output struct such as *eks.DescribeClusterOutput,
// as the JSON body of a response with the status and Content-Type
// application/json. Nothing is written if v cannot be encoded; the error
// says why. An error writing the body is returned as well.
func Encode(w http.ResponseWriter, status int, v any) error {
	body, err := Marshal(v)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if _, err := w.Write(body); err != nil {
		return fmt.Errorf("restjson: write response: %w", err)
	}
	return nil
}

// Marshal returns the REST-JSON encoding of v under the wire names (see the
// package documentation). v is normally a pointer to an SDK output struct; a
// nil v or nil pointer is the empty object {}. Marshal fails on a value JSON
// cannot carry (a channel, a function, a map with non-string keys) or one
// nested more than 64 levels deep.
func Marshal(v any) ([]byte, error) {
	rv := reflect.ValueOf(v)
	for rv.IsValid() && (rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface) {
		if rv.IsNil() {
			return []byte("{}"), nil
		}
		rv = rv.Elem()
	}
	if !rv.IsValid() {
		return []byte("{}"), nil
	}
	var b bytes.Buffer
	if err := encodeValue(&b, rv, "", 0); err != nil {
		return nil, fmt.Errorf("restjson: marshal %T: %w", v, err)
	}
	return b.Bytes(), nil
}

// omit reports whether struct field v is left out: a nil pointer, slice,
// map or interface, or the zero value of a non-pointer scalar or time.
func omit(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return v.IsNil()
	case reflect.Bool, reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return v.IsZero()
	case reflect.Struct:
		return v.Type() == timeType && v.IsZero()
	}
	return false
}

// encodeValue appends the JSON of v; path names v in errors.
func encodeValue(b *bytes.Buffer, v reflect.Value, path string, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%s: nested more than %d levels deep", pathName(path), maxDepth)
	}
	t := v.Type()
	if t == timeType {
		if err := encodeTime(b, v); err != nil {
			return fmt.Errorf("%s: %w", pathName(path), err)
		}
		return nil
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			b.WriteString("null")
			return nil
		}
		return encodeValue(b, v.Elem(), path, depth+1)
	case reflect.String:
		writeString(b, v.String())
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		b.WriteString(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		encodeFloat(b, v.Float(), t.Bits())
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			b.WriteString("null")
			return nil
		}
		if t.Elem().Kind() == reflect.Uint8 && t.Elem().PkgPath() == "" {
			// A blob: []byte (or an array of bytes) is base64.
			raw := make([]byte, v.Len())
			reflect.Copy(reflect.ValueOf(raw), v)
			b.WriteByte('"')
			b.WriteString(base64.StdEncoding.EncodeToString(raw))
			b.WriteByte('"')
			return nil
		}
		b.WriteByte('[')
		for i := range v.Len() {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := encodeValue(b, v.Index(i), path+"["+strconv.Itoa(i)+"]", depth+1); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case reflect.Map:
		if v.IsNil() {
			b.WriteString("null")
			return nil
		}
		if t.Key().Kind() != reflect.String {
			return fmt.Errorf("%s: map key type %s is not a string", pathName(path), t.Key())
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, k.String())
			b.WriteByte(':')
			if err := encodeValue(b, v.MapIndex(k), path+"."+k.String(), depth+1); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case reflect.Struct:
		b.WriteByte('{')
		first := true
		for _, f := range fieldsOf(t) {
			fv := v.Field(f.index)
			if omit(fv) {
				continue
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			writeString(b, f.name)
			b.WriteByte(':')
			if err := encodeValue(b, fv, joinPath(path, f.name), depth+1); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	default:
		return fmt.Errorf("%s: cannot encode a %s", pathName(path), t)
	}
	return nil
}

// encodeTime appends time.Time v as epoch seconds with a millisecond
// fraction when there is one, as the SDKs write timestamps.
func encodeTime(b *bytes.Buffer, v reflect.Value) error {
	if !v.CanInterface() {
		return errors.New("unreadable time value")
	}
	ms := v.Interface().(time.Time).UnixMilli()
	abs := uint64(ms)
	if ms < 0 {
		b.WriteByte('-')
		abs = -abs // two's complement: right for math.MinInt64 too
	}
	b.WriteString(strconv.FormatUint(abs/1000, 10))
	if frac := abs % 1000; frac != 0 {
		s := strconv.FormatUint(frac+1000, 10)[1:] // three digits
		s = strings.TrimRight(s, "0")
		b.WriteByte('.')
		b.WriteString(s)
	}
	return nil
}

// encodeFloat appends f as a JSON number, or as the string "NaN",
// "Infinity" or "-Infinity" that REST-JSON uses for the values JSON lacks.
func encodeFloat(b *bytes.Buffer, f float64, bits int) {
	switch {
	case math.IsNaN(f):
		b.WriteString(`"NaN"`)
	case math.IsInf(f, 1):
		b.WriteString(`"Infinity"`)
	case math.IsInf(f, -1):
		b.WriteString(`"-Infinity"`)
	default:
		b.WriteString(strconv.FormatFloat(f, 'g', -1, bits))
	}
}

// hex is the digits of \u escapes.
const hex = "0123456789abcdef"

// writeString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD.
func writeString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b.WriteString(s[start:i])
			switch c {
			case '"', '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			default:
				b.WriteString(`\u00`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString(s[start:i])
			b.WriteString(`\ufffd`)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			// Valid JSON, but not valid JavaScript; escape as encoding/json does.
			b.WriteString(s[start:i])
			b.WriteString(`\u202`)
			b.WriteByte(hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}

// joinPath returns the path of member name under path.
func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// pathName names path in an error message.
func pathName(path string) string {
	if path == "" {
		return "value"
	}
	return path
}
