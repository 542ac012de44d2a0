package query

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// Namespaces of the Query services' XML responses.
const (
	// IAMNamespace is the xmlns of IAM (API version 2010-05-08) responses.
	IAMNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"
	// STSNamespace is the xmlns of STS (API version 2011-06-15) responses.
	STSNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
)

// Error types of an ErrorResponse: whose fault the error is.
const (
	// TypeSender marks an error caused by the request (4xx).
	TypeSender = "Sender"
	// TypeReceiver marks an error of the service (5xx).
	TypeReceiver = "Receiver"
)

// timeFormat is ISO 8601 in UTC, with a fraction only when there is one.
const timeFormat = "2006-01-02T15:04:05.999999999Z"

// Encode writes the XML response of operation op (such as "CreateRole") in
// namespace xmlns (IAMNamespace or STSNamespace) carrying out, an SDK output
// struct such as *iam.CreateRoleOutput, and the request ID. Nothing is
// written if out cannot be encoded.
func Encode(w io.Writer, op, xmlns, requestID string, out any) error {
	if !isName(op) {
		return fmt.Errorf("query: Encode: operation name %q is not an XML name", op)
	}
	rv := reflect.ValueOf(out)
	if !rv.IsValid() {
		return fmt.Errorf("query: Encode %s: nil output", op)
	}
	for rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	t := rv.Type()
	if rv.Kind() == reflect.Pointer {
		t = t.Elem()
		rv = reflect.Zero(t)
	}
	if t.Kind() != reflect.Struct {
		return fmt.Errorf("query: Encode %s: output must be a struct, got %T", op, out)
	}
	buf := getBuffer()
	defer putBuffer(buf)
	e := encoder{b: *buf}
	defer func() { *buf = e.b }()
	e.b = append(e.b, '<')
	e.b = append(e.b, op...)
	e.b = append(e.b, `Response xmlns="`...)
	e.b = appendEscaped(e.b, xmlns)
	e.b = append(e.b, `">`...)
	if p := planOf(t); len(p.fields) > 0 || emptyResults[t] {
		e.b = append(e.b, '<')
		e.b = append(e.b, op...)
		e.b = append(e.b, "Result>"...)
		if err := e.fields(p, rv); err != nil {
			return fmt.Errorf("query: Encode %s: %w", op, errors.New(err.Error()))
		}
		e.b = append(e.b, "</"...)
		e.b = append(e.b, op...)
		e.b = append(e.b, "Result>"...)
	}
	e.b = append(e.b, "<ResponseMetadata><RequestId>"...)
	e.b = appendEscaped(e.b, requestID)
	e.b = append(e.b, "</RequestId></ResponseMetadata></"...)
	e.b = append(e.b, op...)
	e.b = append(e.b, "Response>"...)
	if _, err := w.Write(e.b); err != nil {
		return fmt.Errorf("query: write %s response: %w", op, err)
	}
	return nil
}

// EncodeError writes an ErrorResponse in namespace xmlns. typ is TypeSender
// or TypeReceiver; code is the AWS error code (such as "NoSuchEntity").
// The SDKs read Error/Code, Error/Message and the top-level RequestId.
func EncodeError(w io.Writer, xmlns, typ, code, message, requestID string) error {
	if typ != TypeSender && typ != TypeReceiver {
		return fmt.Errorf("query: EncodeError: type %q is neither %s nor %s", typ, TypeSender, TypeReceiver)
	}
	buf := getBuffer()
	defer putBuffer(buf)
	b := append(*buf, `<ErrorResponse xmlns="`...)
	b = appendEscaped(b, xmlns)
	b = append(b, `"><Error><Type>`...)
	b = append(b, typ...)
	b = append(b, "</Type><Code>"...)
	b = appendEscaped(b, code)
	b = append(b, "</Code><Message>"...)
	b = appendEscaped(b, message)
	b = append(b, "</Message></Error><RequestId>"...)
	b = appendEscaped(b, requestID)
	b = append(b, "</RequestId></ErrorResponse>"...)
	*buf = b
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("query: write %s error response: %w", code, err)
	}
	return nil
}

// buffers hold the responses Encode builds, so that they are not
// allocated per response.
var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// maxPooledBuffer bounds the buffers kept for reuse: one grown by a huge
// response is dropped.
const maxPooledBuffer = 256 << 10

func getBuffer() *[]byte { return buffers.Get().(*[]byte) }

func putBuffer(b *[]byte) {
	if cap(*b) > maxPooledBuffer {
		return
	}
	*b = (*b)[:0]
	buffers.Put(b)
}

// isName reports whether s is a non-empty ASCII letter-and-digit name, as
// AWS operation names are.
func isName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}

// appendEscaped appends s as XML character data, exactly as
// xml.EscapeText writes it: markup characters, tabs and line ends as
// character references, characters XML cannot carry (and bytes that are
// not UTF-8) as U+FFFD. Text of printable ASCII without markup characters
// — most values, and all of a session token — is appended as it is.
func appendEscaped(b []byte, s string) []byte {
	i := 0
	for i < len(s) {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '&' || c == '<' || c == '>' || c == '"' || c == '\'' {
			break
		}
		i++
	}
	b = append(b, s[:i]...)
	last := i
	for i < len(s) {
		r, width := utf8.DecodeRuneInString(s[i:])
		i += width
		var esc string
		switch r {
		case '"':
			esc = "&#34;"
		case '\'':
			esc = "&#39;"
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\t':
			esc = "&#x9;"
		case '\n':
			esc = "&#xA;"
		case '\r':
			esc = "&#xD;"
		default:
			if !isInCharacterRange(r) || (r == utf8.RuneError && width == 1) {
				esc = "\uFFFD"
				break
			}
			continue
		}
		b = append(b, s[last:i-width]...)
		b = append(b, esc...)
		last = i
	}
	return append(b, s[last:]...)
}

// isInCharacterRange reports whether r may appear in XML text.
func isInCharacterRange(r rune) bool {
	return r == 0x09 ||
		r == 0x0A ||
		r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// encoder builds a response in b.
type encoder struct {
	b []byte
}

// open appends <name>.
func (e *encoder) open(name string) {
	e.b = append(e.b, '<')
	e.b = append(e.b, name...)
	e.b = append(e.b, '>')
}

// close appends </name>.
func (e *encoder) close(name string) {
	e.b = append(e.b, "</"...)
	e.b = append(e.b, name...)
	e.b = append(e.b, '>')
}

// pathSeg is one step of the path to a value: a member or union member
// name, a list element's index (from 1), or, when index is -1, a map
// value's key.
type pathSeg struct {
	name  string
	index int
	key   string
}

// pathError is an error encoding a value. The path to the value, which
// its text starts with, is collected as the error goes up, so that no path
// is built while encoding succeeds.
type pathError struct {
	rev []pathSeg // innermost first
	msg string
}

// errorAt returns the error msg about the value being encoded.
func errorAt(format string, args ...any) error {
	return &pathError{msg: fmt.Sprintf(format, args...)}
}

// in adds the step s, the one taken to the value err is about, to its
// path.
func in(err error, s pathSeg) error {
	if pe, ok := err.(*pathError); ok {
		pe.rev = append(pe.rev, s)
	}
	return err
}

// Error returns "path: message", the path as Member.Sub, a list element
// as List.member.N, a map value as Map["key"].
func (e *pathError) Error() string {
	s := ""
	for i := len(e.rev) - 1; i >= 0; i-- {
		switch p := e.rev[i]; {
		case p.index > 0:
			s += ".member." + strconv.Itoa(p.index)
		case p.index < 0:
			s = fmt.Sprintf("%s[%q]", s, p.key)
		default:
			s = join(s, p.name)
		}
	}
	return s + ": " + e.msg
}

// fields appends the wire members of struct v as elements.
func (e *encoder) fields(p *plan, v reflect.Value) error {
	for i := range p.fields {
		f := &p.fields[i]
		fv := v.Field(f.index)
		if fv.Kind() == reflect.String && fv.Len() == 0 {
			continue // an unset enum
		}
		if err := e.value(f.plan, f.name, fv); err != nil {
			return in(err, pathSeg{name: f.name})
		}
	}
	return nil
}

// value appends v, of type p.typ, as element name; a nil pointer,
// interface, list or map is omitted.
func (e *encoder) value(p *plan, name string, v reflect.Value) error {
	switch p.kind {
	case kindUnion:
		if v.IsNil() {
			return nil
		}
		return e.union(p, name, v.Elem())
	case kindTime:
		var tm time.Time
		if v.CanAddr() {
			tm = *v.Addr().Interface().(*time.Time) // without boxing a copy
		} else {
			tm = v.Interface().(time.Time)
		}
		e.open(name)
		e.b = tm.UTC().AppendFormat(e.b, timeFormat)
		e.close(name)
		return nil
	case kindPointer:
		if v.IsNil() {
			return nil
		}
		return e.value(p.elem, name, v.Elem())
	case kindStruct:
		e.open(name)
		if err := e.fields(p, v); err != nil {
			return err
		}
		e.close(name)
		return nil
	case kindBlob:
		if v.IsNil() {
			return nil
		}
		e.open(name)
		e.b = base64.StdEncoding.AppendEncode(e.b, v.Bytes())
		e.close(name)
		return nil
	case kindList:
		return e.list(p, name, v)
	case kindMap:
		return e.mapping(p, name, v)
	}
	switch v.Kind() {
	case reflect.String:
		e.open(name)
		e.b = appendEscaped(e.b, v.String())
	case reflect.Bool:
		e.open(name)
		e.b = strconv.AppendBool(e.b, v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.open(name)
		e.b = strconv.AppendInt(e.b, v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		e.open(name)
		e.b = strconv.AppendUint(e.b, v.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		// No number needs escaping: digits, '.', 'e', signs, NaN, Inf.
		e.open(name)
		e.b = strconv.AppendFloat(e.b, v.Float(), 'g', -1, v.Type().Bits())
	default:
		return errorAt("unsupported Go type %s", v.Type())
	}
	e.close(name)
	return nil
}

// list appends slice v as <name><member>…</member>…</name>.
func (e *encoder) list(p *plan, name string, v reflect.Value) error {
	if v.IsNil() {
		return nil
	}
	e.open(name)
	for i := range v.Len() {
		el := v.Index(i)
		if (el.Kind() == reflect.Pointer || el.Kind() == reflect.Interface) && el.IsNil() {
			return in(errorAt("nil list element"), pathSeg{index: i + 1})
		}
		if err := e.value(p.elem, "member", el); err != nil {
			return in(err, pathSeg{index: i + 1})
		}
	}
	e.close(name)
	return nil
}

// mapping appends map v as <name><entry><key/><value/></entry>…</name>,
// entries sorted by key.
func (e *encoder) mapping(p *plan, name string, v reflect.Value) error {
	if v.IsNil() {
		return nil
	}
	if v.Type().Key().Kind() != reflect.String {
		return errorAt("unsupported map key type %s", v.Type().Key())
	}
	keys := v.MapKeys()
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	e.open(name)
	for _, k := range keys {
		e.b = append(e.b, "<entry><key>"...)
		e.b = appendEscaped(e.b, k.String())
		e.b = append(e.b, "</key>"...)
		if err := e.value(p.elem, "value", v.MapIndex(k)); err != nil {
			return in(err, pathSeg{index: -1, key: k.String()})
		}
		e.b = append(e.b, "</entry>"...)
	}
	e.close(name)
	return nil
}

// union appends m, a member of union p.typ (a pointer to a
// <Union>Member<Name> struct), as <name><Name>…</Name></name>.
func (e *encoder) union(p *plan, name string, m reflect.Value) error {
	for i := range p.members {
		mt := &p.members[i]
		if m.Kind() != reflect.Pointer || m.Type().Elem() != mt.typ {
			continue
		}
		if m.IsNil() {
			return errorAt("nil union member")
		}
		if mt.value == nil {
			return errorAt("union member %s has no Value field", mt.typ)
		}
		e.open(name)
		if err := e.value(mt.plan, mt.name, m.Elem().FieldByIndex(mt.value)); err != nil {
			return in(err, pathSeg{name: mt.name})
		}
		e.close(name)
		return nil
	}
	return errorAt("%s is not a known member of union %s", m.Type(), p.typ)
}
