package query

// This file keeps the encoder that Encode replaced, as the reference the
// differential tests hold Encode to: the same bytes, the same errors.

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strconv"
	"time"
)

// refEncode writes the XML response of operation op (such as "CreateRole") in
// namespace xmlns (IAMNamespace or STSNamespace) carrying out, an SDK output
// struct such as *iam.CreateRoleOutput, and the request ID. Nothing is
// written if out cannot be encoded.
func refEncode(w io.Writer, op, xmlns, requestID string, out any) error {
	if !refIsName(op) {
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
	var b bytes.Buffer
	b.WriteString("<" + op + `Response xmlns="`)
	refEscape(&b, xmlns)
	b.WriteString(`">`)
	if len(fieldsOf(t)) > 0 || emptyResults[t] {
		b.WriteString("<" + op + "Result>")
		if err := refEncodeFields(&b, "", rv); err != nil {
			return fmt.Errorf("query: Encode %s: %w", op, err)
		}
		b.WriteString("</" + op + "Result>")
	}
	b.WriteString("<ResponseMetadata><RequestId>")
	refEscape(&b, requestID)
	b.WriteString("</RequestId></ResponseMetadata></" + op + "Response>")
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("query: write %s response: %w", op, err)
	}
	return nil
}

// refEncodeError writes an ErrorResponse in namespace xmlns. typ is TypeSender
// or TypeReceiver; code is the AWS error code (such as "NoSuchEntity").
// The SDKs read Error/Code, Error/Message and the top-level RequestId.
func refEncodeError(w io.Writer, xmlns, typ, code, message, requestID string) error {
	if typ != TypeSender && typ != TypeReceiver {
		return fmt.Errorf("query: EncodeError: type %q is neither %s nor %s", typ, TypeSender, TypeReceiver)
	}
	var b bytes.Buffer
	b.WriteString(`<ErrorResponse xmlns="`)
	refEscape(&b, xmlns)
	b.WriteString(`"><Error><Type>` + typ + "</Type><Code>")
	refEscape(&b, code)
	b.WriteString("</Code><Message>")
	refEscape(&b, message)
	b.WriteString("</Message></Error><RequestId>")
	refEscape(&b, requestID)
	b.WriteString("</RequestId></ErrorResponse>")
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("query: write %s error response: %w", code, err)
	}
	return nil
}

// refIsName reports whether s is a non-empty ASCII letter-and-digit name, as
// AWS operation names are.
func refIsName(s string) bool {
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

// refEscape writes s as XML character data. Characters XML cannot carry become
// U+FFFD. Text of printable ASCII without markup characters — most values,
// and all of a session token — is written as it is.
func refEscape(b *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '&' || c == '<' || c == '>' || c == '"' || c == '\'' {
			_ = xml.EscapeText(b, []byte(s)) // a bytes.Buffer does not fail
			return
		}
	}
	b.WriteString(s)
}

// refEncodeFields writes the wire members of struct v as elements; path names
// v in error messages.
func refEncodeFields(b *bytes.Buffer, path string, v reflect.Value) error {
	for _, f := range fieldsOf(v.Type()) {
		fv := v.Field(f.index)
		if fv.Kind() == reflect.String && fv.Len() == 0 {
			continue // an unset enum
		}
		if err := refEncodeValue(b, f.name, join(path, f.name), fv); err != nil {
			return err
		}
	}
	return nil
}

// refEncodeValue writes v as element name; a nil pointer, interface, list or
// map is omitted. path names v in error messages.
func refEncodeValue(b *bytes.Buffer, name, path string, v reflect.Value) error {
	t := v.Type()
	if members, ok := unionMembers[t]; ok {
		if v.IsNil() {
			return nil
		}
		return refEncodeUnion(b, name, path, t, members, v.Elem())
	}
	switch {
	case t == timeType:
		b.WriteString("<" + name + ">")
		b.WriteString(v.Interface().(time.Time).UTC().Format(timeFormat))
		b.WriteString("</" + name + ">")
		return nil
	case t.Kind() == reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return refEncodeValue(b, name, path, v.Elem())
	case t.Kind() == reflect.Struct:
		b.WriteString("<" + name + ">")
		if err := refEncodeFields(b, path, v); err != nil {
			return err
		}
		b.WriteString("</" + name + ">")
		return nil
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		if v.IsNil() {
			return nil
		}
		b.WriteString("<" + name + ">")
		b.WriteString(base64.StdEncoding.EncodeToString(v.Bytes()))
		b.WriteString("</" + name + ">")
		return nil
	case t.Kind() == reflect.Slice:
		return refEncodeList(b, name, path, v)
	case t.Kind() == reflect.Map:
		return refEncodeMap(b, name, path, v)
	}
	s, ok := refFormatScalar(v)
	if !ok {
		return fmt.Errorf("%s: unsupported Go type %s", path, t)
	}
	b.WriteString("<" + name + ">")
	refEscape(b, s)
	b.WriteString("</" + name + ">")
	return nil
}

// refFormatScalar renders a string, boolean or number; ok is false for any
// other kind.
func refFormatScalar(v reflect.Value) (s string, ok bool) {
	switch v.Kind() {
	case reflect.String:
		return v.String(), true
	case reflect.Bool:
		return strconv.FormatBool(v.Bool()), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10), true
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', -1, v.Type().Bits()), true
	}
	return "", false
}

// refEncodeList writes slice v as <name><member>…</member>…</name>.
func refEncodeList(b *bytes.Buffer, name, path string, v reflect.Value) error {
	if v.IsNil() {
		return nil
	}
	b.WriteString("<" + name + ">")
	for i := range v.Len() {
		e, epath := v.Index(i), path+".member."+strconv.Itoa(i+1)
		if (e.Kind() == reflect.Pointer || e.Kind() == reflect.Interface) && e.IsNil() {
			return fmt.Errorf("%s: nil list element", epath)
		}
		if err := refEncodeValue(b, "member", epath, e); err != nil {
			return err
		}
	}
	b.WriteString("</" + name + ">")
	return nil
}

// refEncodeMap writes map v as <name><entry><key/><value/></entry>…</name>,
// entries sorted by key.
func refEncodeMap(b *bytes.Buffer, name, path string, v reflect.Value) error {
	if v.IsNil() {
		return nil
	}
	if v.Type().Key().Kind() != reflect.String {
		return fmt.Errorf("%s: unsupported map key type %s", path, v.Type().Key())
	}
	keys := v.MapKeys()
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	b.WriteString("<" + name + ">")
	for _, k := range keys {
		b.WriteString("<entry><key>")
		refEscape(b, k.String())
		b.WriteString("</key>")
		if err := refEncodeValue(b, "value", fmt.Sprintf("%s[%q]", path, k.String()), v.MapIndex(k)); err != nil {
			return err
		}
		b.WriteString("</entry>")
	}
	b.WriteString("</" + name + ">")
	return nil
}

// refEncodeUnion writes m, a member of union u (a pointer to a
// <Union>Member<Name> struct), as <name><Name>…</Name></name>.
func refEncodeUnion(b *bytes.Buffer, name, path string, u reflect.Type, members []reflect.Type, m reflect.Value) error {
	for _, mt := range members {
		if m.Kind() != reflect.Pointer || m.Type().Elem() != mt {
			continue
		}
		if m.IsNil() {
			return fmt.Errorf("%s: nil union member", path)
		}
		mname := unionMemberName(u, mt)
		b.WriteString("<" + name + ">")
		if err := refEncodeValue(b, mname, join(path, mname), m.Elem().FieldByName("Value")); err != nil {
			return err
		}
		b.WriteString("</" + name + ">")
		return nil
	}
	return fmt.Errorf("%s: %s is not a known member of union %s", path, m.Type(), u)
}
