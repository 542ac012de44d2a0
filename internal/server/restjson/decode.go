package restjson

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// minEpochSeconds and maxEpochSeconds bound the timestamps Decode accepts
// to the years 0001 through 9999.
const (
	minEpochSeconds = -62135596800 // 0001-01-01T00:00:00Z
	maxEpochSeconds = 253402300799 // 9999-12-31T23:59:59Z
)

// Decode fills in, a non-nil pointer to an SDK input struct such as
// *eks.CreateClusterInput, from a JSON request body under the wire names.
// An empty (or all-space) body leaves in as it is. Members the input type
// does not have are ignored, and JSON null is the same as absent.
//
// A body that is not one JSON object, or a member whose JSON type does not
// fit its Go type (a string for an integer, an integer out of range, a
// timestamp that is not a number of epoch seconds), is an *Error with status
// 400 and code CodeSerializationException naming the member; in may then be
// partly filled. Any other error is the caller's: in is not a pointer to a
// struct, or the struct has a member type the codec cannot fill.
func Decode(body []byte, in any) error {
	rv := reflect.ValueOf(in)
	if !rv.IsValid() || rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("restjson: Decode needs a non-nil pointer to a struct, got %T", in)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return serializationError("The request body is not valid JSON: %s.", jsonError(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return serializationError("The request body is not valid JSON: unexpected data after the top-level value.")
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return serializationError("The request body must be a JSON object, got %s.", jsonType(doc))
	}
	return decodeStruct(obj, rv.Elem(), "")
}

// jsonError describes a JSON syntax error without Go type names.
func jsonError(err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("%s at offset %d", syn.Error(), syn.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of input"
	}
	return err.Error()
}

// jsonType names the JSON type of a value decoded into any.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// mismatch reports a member whose JSON value is not the expected type.
func mismatch(path, want string, got any) *Error {
	return serializationError("Invalid value for parameter %s: expected %s, got %s.", pathName(path), want, jsonType(got))
}

// decodeStruct fills struct v from JSON object obj.
func decodeStruct(obj map[string]any, v reflect.Value, path string) error {
	for _, f := range fieldsOf(v.Type()) {
		jv, ok := obj[f.name]
		if !ok {
			continue
		}
		if err := decodeValue(jv, v.Field(f.index), joinPath(path, f.name)); err != nil {
			return err
		}
	}
	return nil
}

// decodeValue sets v, which is settable and zero, from JSON value jv.
func decodeValue(jv any, v reflect.Value, path string) error {
	if jv == nil {
		return nil // null is absent
	}
	t := v.Type()
	if t == timeType {
		n, ok := jv.(json.Number)
		if !ok {
			return mismatch(path, "a timestamp in epoch seconds", jv)
		}
		tm, err := parseEpochSeconds(string(n))
		if err != nil {
			return serializationError("Invalid value %s for parameter %s: %s.", quote(string(n)), path, err)
		}
		v.Set(reflect.ValueOf(tm))
		return nil
	}
	switch v.Kind() {
	case reflect.Pointer:
		p := reflect.New(t.Elem())
		if err := decodeValue(jv, p.Elem(), path); err != nil {
			return err
		}
		v.Set(p)
	case reflect.String:
		s, ok := jv.(string)
		if !ok {
			return mismatch(path, "a string", jv)
		}
		v.SetString(s)
	case reflect.Bool:
		bv, ok := jv.(bool)
		if !ok {
			return mismatch(path, "a boolean", jv)
		}
		v.SetBool(bv)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := jv.(json.Number)
		if !ok {
			return mismatch(path, "an integer", jv)
		}
		i, err := parseInt(string(n), t.Bits())
		if err != nil {
			return serializationError("Invalid value %s for parameter %s: %s.", quote(string(n)), path, err)
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n, ok := jv.(json.Number)
		if !ok {
			return mismatch(path, "an integer", jv)
		}
		u, err := strconv.ParseUint(string(n), 10, t.Bits())
		if err != nil {
			return serializationError("Invalid value %s for parameter %s: not a non-negative %d-bit integer.", quote(string(n)), path, t.Bits())
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		f, err := parseFloat(jv, t.Bits())
		if err != nil {
			return serializationError("Invalid value for parameter %s: %s.", path, err)
		}
		v.SetFloat(f)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && t.Elem().PkgPath() == "" {
			s, ok := jv.(string)
			if !ok {
				return mismatch(path, "a base64 string", jv)
			}
			raw, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return serializationError("Invalid value for parameter %s: not valid base64.", path)
			}
			v.SetBytes(raw)
			return nil
		}
		arr, ok := jv.([]any)
		if !ok {
			return mismatch(path, "an array", jv)
		}
		s := reflect.MakeSlice(t, len(arr), len(arr))
		for i, e := range arr {
			if err := decodeValue(e, s.Index(i), path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
		v.Set(s)
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return fmt.Errorf("restjson: %s: map key type %s is not a string", pathName(path), t.Key())
		}
		obj, ok := jv.(map[string]any)
		if !ok {
			return mismatch(path, "an object", jv)
		}
		m := reflect.MakeMapWithSize(t, len(obj))
		for k, e := range obj {
			ev := reflect.New(t.Elem()).Elem()
			if err := decodeValue(e, ev, path+"."+k); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), ev)
		}
		v.Set(m)
	case reflect.Struct:
		obj, ok := jv.(map[string]any)
		if !ok {
			return mismatch(path, "an object", jv)
		}
		return decodeStruct(obj, v, path)
	case reflect.Interface:
		// Unions and documents: EKS has none; they are left unset.
	default:
		return fmt.Errorf("restjson: %s: cannot decode into a %s", pathName(path), t)
	}
	return nil
}

// parseInt parses a JSON number as a bits-bit integer. A number written
// with a fraction or exponent is accepted if its value is a whole number.
func parseInt(s string, bits int) (int64, error) {
	i, err := strconv.ParseInt(s, 10, bits)
	if err == nil {
		return i, nil
	}
	f, ferr := strconv.ParseFloat(s, 64)
	limit := math.Ldexp(1, bits-1)
	if ferr != nil || f != math.Trunc(f) || f < -limit || f >= limit {
		return 0, fmt.Errorf("not a %d-bit integer", bits)
	}
	return int64(f), nil
}

// parseFloat parses a JSON number, or one of the strings "NaN", "Infinity"
// and "-Infinity", as a bits-bit float.
func parseFloat(jv any, bits int) (float64, error) {
	switch x := jv.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(x), bits)
		if err != nil {
			return 0, fmt.Errorf("%s is not a %d-bit float", quote(string(x)), bits)
		}
		return f, nil
	case string:
		switch x {
		case "NaN":
			return math.NaN(), nil
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		}
		return 0, fmt.Errorf("%s is not a number", quote(x))
	}
	return 0, fmt.Errorf("expected a number, got %s", jsonType(jv))
}

// parseEpochSeconds parses epoch seconds, possibly fractional, rounded to
// the millisecond as the SDKs do.
func parseEpochSeconds(s string) (time.Time, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f < minEpochSeconds || f > maxEpochSeconds {
		return time.Time{}, errors.New("not a timestamp in epoch seconds")
	}
	return time.UnixMilli(int64(math.Round(f * 1000))).UTC(), nil
}

// SetField sets the member of in (a non-nil pointer to an SDK input struct)
// whose Go field name is goFieldName from value, the text of a path label or
// query parameter; it is how a router binds "/clusters/{name}" to
// DescribeClusterInput.Name. The member may be a string or enum, a bool, an
// integer, a float, a time.Time (RFC 3339) or a pointer to one of those, or a
// slice of strings or enums, to which value is appended (a query parameter
// given several times). A bool is "true" or "false" in any case.
//
// A value that does not parse is an *Error with status 400 and code
// CodeInvalidParameterException naming the member by its wire name. Any
// other error is the caller's: no such exported field, or a type SetField
// does not handle.
func SetField(in any, goFieldName string, value string) error {
	rv := reflect.ValueOf(in)
	if !rv.IsValid() || rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("restjson: SetField needs a non-nil pointer to a struct, got %T", in)
	}
	sv := rv.Elem()
	sf, ok := sv.Type().FieldByName(goFieldName)
	if !ok || !sf.IsExported() || len(sf.Index) != 1 {
		return fmt.Errorf("restjson: SetField: %s has no field %s", sv.Type(), goFieldName)
	}
	fv := sv.Field(sf.Index[0])
	param := WireName(goFieldName)
	t := fv.Type()
	if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String {
		fv.Set(reflect.Append(fv, reflect.ValueOf(value).Convert(t.Elem())))
		return nil
	}
	target := fv
	if t.Kind() == reflect.Pointer {
		target = reflect.New(t.Elem()).Elem()
	}
	if err := setScalar(target, value, param); err != nil {
		return err
	}
	if t.Kind() == reflect.Pointer {
		fv.Set(target.Addr())
	}
	return nil
}

// setScalar sets scalar v from the text of parameter param.
func setScalar(v reflect.Value, value, param string) error {
	invalid := func(want string) error {
		return &Error{
			Status:  http.StatusBadRequest,
			Code:    CodeInvalidParameterException,
			Message: fmt.Sprintf("Invalid value %s for parameter %s: not a valid %s.", quote(value), param, want),
		}
	}
	t := v.Type()
	if t == timeType {
		tm, err := time.Parse(time.RFC3339Nano, value)
		if err != nil {
			return invalid("RFC 3339 timestamp")
		}
		v.Set(reflect.ValueOf(tm.UTC()))
		return nil
	}
	switch t.Kind() {
	case reflect.String:
		v.SetString(value)
	case reflect.Bool:
		switch strings.ToLower(value) {
		case "true":
			v.SetBool(true)
		case "false":
			v.SetBool(false)
		default:
			return invalid("boolean")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(value, 10, t.Bits())
		if err != nil {
			return invalid(strconv.Itoa(t.Bits()) + "-bit integer")
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u, err := strconv.ParseUint(value, 10, t.Bits())
		if err != nil {
			return invalid("non-negative " + strconv.Itoa(t.Bits()) + "-bit integer")
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(value, t.Bits())
		if err != nil {
			return invalid("number")
		}
		v.SetFloat(f)
	default:
		return fmt.Errorf("restjson: SetField: cannot set parameter %s of type %s", param, t)
	}
	return nil
}
