package query

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// server is a real HTTP listener that records each request's form and
// answers with whatever respond writes.
type server struct {
	*httptest.Server

	mu      sync.Mutex
	form    url.Values
	respond func(w http.ResponseWriter, action string)
}

// newServer starts a server that t closes.
func newServer(t testing.TB) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.form = r.Form
		respond := s.respond
		s.mu.Unlock()
		respond(w, r.Form.Get("Action"))
	}))
	t.Cleanup(s.Close)
	return s
}

// lastForm returns the form of the last request.
func (s *server) lastForm() url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.form
}

// setRespond sets how the server answers.
func (s *server) setRespond(f func(w http.ResponseWriter, action string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.respond = f
}

// sdkConfig is the client configuration: static keys, the test server as
// endpoint. The SDK's standard retries stay on: they resend the same
// request, so a keep-alive connection closed under a loaded machine ("use
// of closed network connection") does not fail a round trip, while every
// decode/encode check still applies to the answer that arrives.
func sdkConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		BaseEndpoint:     aws.String(endpoint),
		RetryMaxAttempts: 3,
	}
}

// service is one Query service under test: its namespace and a real SDK
// client pointed at a test server.
type service struct {
	name   string
	xmlns  string
	client any
}

// services returns real IAM and STS clients pointed at s.
func services(s *server) []service {
	cfg := sdkConfig(s.URL)
	return []service{
		{"iam", IAMNamespace, iam.NewFromConfig(cfg)},
		{"sts", STSNamespace, sts.NewFromConfig(cfg)},
	}
}

// operation is one SDK client method: Op(ctx, *OpInput, ...) (*OpOutput, error).
type operation struct {
	name    string
	method  reflect.Value
	in, out reflect.Type // the struct types
}

// operations lists every operation method of an SDK client.
func operations(client any) []operation {
	var ops []operation
	cv := reflect.ValueOf(client)
	ctxType := reflect.TypeFor[context.Context]()
	for i := range cv.NumMethod() {
		m, mt := cv.Type().Method(i), cv.Method(i).Type()
		if mt.NumIn() != 3 || !mt.IsVariadic() || mt.In(0) != ctxType || mt.NumOut() != 2 {
			continue
		}
		in, out := mt.In(1), mt.Out(0)
		if in.Kind() != reflect.Pointer || in.Elem().Name() != m.Name+"Input" ||
			out.Kind() != reflect.Pointer || out.Elem().Name() != m.Name+"Output" {
			continue
		}
		ops = append(ops, operation{m.Name, cv.Method(i), in.Elem(), out.Elem()})
	}
	return ops
}

// call invokes op with input in (a pointer) and returns its output pointer.
func (op operation) call(ctx context.Context, in any) (any, error) {
	res := op.method.Call([]reflect.Value{reflect.ValueOf(ctx), reflect.ValueOf(in)})
	err, _ := res[1].Interface().(error)
	return res[0].Interface(), err
}

// requestID is the request ID the test server answers with.
const requestID = "b1c5a6e2-0b4f-4c1e-9f3e-3f1d2c4b5a6d"

// respondWith answers every request with Encode(op, xmlns, requestID, out),
// setting the x-amzn-RequestId header as the HTTP layer must.
func respondWith(t *testing.T, xmlns string, out any) func(http.ResponseWriter, string) {
	return func(w http.ResponseWriter, action string) {
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("x-amzn-RequestId", requestID)
		if err := Encode(w, action, xmlns, requestID, out); err != nil {
			t.Errorf("Encode %s: %v", action, err)
		}
	}
}

// clearMetadata zeroes the ResultMetadata of an SDK output pointer.
func clearMetadata(out any) {
	v := reflect.ValueOf(out).Elem()
	if f := v.FieldByName("ResultMetadata"); f.IsValid() {
		f.SetZero()
	}
}

// filler populates every wire member of a value with distinct, non-zero
// data: strings carry XML and URL specials, lists and maps two elements,
// unions rotate through their members.
type filler struct{ n int }

// tricky is appended to filled strings to exercise escaping.
const tricky = ` <&>"' %+=?#é€ 😀	line
next`

// fill populates v, which is settable.
func (f *filler) fill(v reflect.Value, depth int) {
	if depth > 8 {
		return
	}
	f.n++
	t := v.Type()
	if members, ok := unionMembers[t]; ok {
		m := reflect.New(members[f.n%len(members)])
		f.fill(m.Elem().FieldByName("Value"), depth+1)
		v.Set(m)
		return
	}
	switch {
	case t == timeType:
		v.Set(reflect.ValueOf(time.Date(2019, 11, 9, 13, 34, 41, 0, time.UTC).Add(time.Duration(f.n) * time.Hour)))
		return
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		v.SetBytes([]byte{0, 1, 0xfe, 0xff, byte(f.n)})
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		p := reflect.New(t.Elem())
		f.fill(p.Elem(), depth+1)
		v.Set(p)
	case reflect.Struct:
		for _, fd := range fieldsOf(t) {
			f.fill(v.Field(fd.index), depth+1)
		}
	case reflect.Slice:
		s := reflect.MakeSlice(t, 2, 2)
		for i := range 2 {
			f.fill(s.Index(i), depth+1)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(t)
		for i := range 2 {
			k := reflect.New(t.Key()).Elem()
			f.fillString(k, i)
			e := reflect.New(t.Elem()).Elem()
			f.fill(e, depth+1)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.String:
		f.fillString(v, f.n)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(900 + f.n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(900 + f.n))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(f.n) + 0.5)
	default:
		panic(fmt.Sprintf("filler: unsupported type %s", t))
	}
}

// fillString sets string-kinded v: an enum gets its i-th known value, any
// other string a distinct value with special characters.
func (f *filler) fillString(v reflect.Value, i int) {
	if m := v.MethodByName("Values"); m.IsValid() && m.Type().NumIn() == 0 {
		if vals := m.Call(nil)[0]; vals.Len() > 0 {
			v.Set(vals.Index(i % vals.Len()))
			return
		}
	}
	v.SetString(fmt.Sprintf("%s-%d%s", v.Type().Name(), i, tricky))
}

// filled returns a pointer to a fully populated value of struct type t.
func filled(t reflect.Type) any {
	p := reflect.New(t)
	(&filler{}).fill(p.Elem(), 0)
	return p.Interface()
}

// diff describes the first difference between a and b, or "".
func diff(a, b any) string {
	return diffValue(reflect.ValueOf(a), reflect.ValueOf(b), "")
}

func diffValue(a, b reflect.Value, path string) string {
	if a.IsValid() != b.IsValid() {
		return fmt.Sprintf("%s: valid %v vs %v", path, a.IsValid(), b.IsValid())
	}
	if !a.IsValid() {
		return ""
	}
	if a.Type() != b.Type() {
		return fmt.Sprintf("%s: type %s vs %s", path, a.Type(), b.Type())
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				return fmt.Sprintf("%s: nil %v vs %v", path, a.IsNil(), b.IsNil())
			}
			return ""
		}
		return diffValue(a.Elem(), b.Elem(), path)
	case reflect.Struct:
		if a.Type() == timeType {
			if !reflect.DeepEqual(a.Interface(), b.Interface()) {
				return fmt.Sprintf("%s: %v vs %v", path, a.Interface(), b.Interface())
			}
			return ""
		}
		for i := range a.NumField() {
			if !a.Type().Field(i).IsExported() {
				continue
			}
			if d := diffValue(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name); d != "" {
				return d
			}
		}
	case reflect.Slice:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return fmt.Sprintf("%s: nil %v len %d vs nil %v len %d", path, a.IsNil(), a.Len(), b.IsNil(), b.Len())
		}
		for i := range a.Len() {
			if d := diffValue(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
	case reflect.Map:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return fmt.Sprintf("%s: nil %v len %d vs nil %v len %d", path, a.IsNil(), a.Len(), b.IsNil(), b.Len())
		}
		for _, k := range a.MapKeys() {
			if d := diffValue(a.MapIndex(k), b.MapIndex(k), fmt.Sprintf("%s[%v]", path, k)); d != "" {
				return d
			}
		}
	default:
		if !reflect.DeepEqual(a.Interface(), b.Interface()) {
			return fmt.Sprintf("%s: %q vs %q", path, fmt.Sprint(a.Interface()), fmt.Sprint(b.Interface()))
		}
	}
	return ""
}

// formKeys returns the sorted keys of a form, for failure messages.
func formKeys(form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, " ")
}
