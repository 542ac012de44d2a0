package restjson

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/eks"
	smithy "github.com/aws/smithy-go"
	"github.com/aws/smithy-go/document"
	smithytime "github.com/aws/smithy-go/time"
	"github.com/aws/smithy-go/traits"
)

// recorder is a smithy.ShapeSerializer that builds, from the SDK's own
// generated Serialize methods, the JSON tree the SDK's REST-JSON codec
// writes: objects keyed by the model's member names, numbers as float64.
// With body set it leaves out the top-level members bound to the path,
// query string or headers, giving the request body the SDK sends.
type recorder struct {
	body  bool
	stack []*frame
	root  any
	key   string // the pending map key
	err   error
}

type frame struct {
	schema *smithy.Schema
	obj    map[string]any // a structure or map
	list   []any          // a list, when obj is nil
	isMap  bool
}

var _ smithy.ShapeSerializer = (*recorder)(nil)

// bound reports whether member s is bound outside the body.
func bound(s *smithy.Schema) bool {
	if _, ok := smithy.SchemaTrait[*traits.HTTPLabel](s); ok {
		return true
	}
	if _, ok := smithy.SchemaTrait[*traits.HTTPQuery](s); ok {
		return true
	}
	if _, ok := smithy.SchemaTrait[*traits.HTTPHeader](s); ok {
		return true
	}
	_, ok := smithy.SchemaTrait[*traits.HTTPQueryParams](s)
	return ok
}

func (r *recorder) put(s *smithy.Schema, v any) {
	if len(r.stack) == 0 {
		r.root = v
		return
	}
	top := r.stack[len(r.stack)-1]
	switch {
	case top.obj == nil:
		top.list = append(top.list, v)
	case top.isMap:
		top.obj[r.key] = v
	default:
		if r.body && len(r.stack) == 1 && bound(s) {
			return
		}
		top.obj[s.MemberName()] = v
	}
}

func (r *recorder) push(f *frame) { r.stack = append(r.stack, f) }

func (r *recorder) pop() {
	f := r.stack[len(r.stack)-1]
	r.stack = r.stack[:len(r.stack)-1]
	if f.obj != nil {
		r.put(f.schema, f.obj)
	} else {
		if f.list == nil {
			f.list = []any{}
		}
		r.put(f.schema, f.list)
	}
}

func (r *recorder) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("recorder: unexpected %s", what)
	}
}

func (r *recorder) Bytes() []byte                        { return nil }
func (r *recorder) WriteInt8(s *smithy.Schema, v int8)   { r.put(s, float64(v)) }
func (r *recorder) WriteInt16(s *smithy.Schema, v int16) { r.put(s, float64(v)) }
func (r *recorder) WriteInt32(s *smithy.Schema, v int32) { r.put(s, float64(v)) }
func (r *recorder) WriteInt64(s *smithy.Schema, v int64) { r.put(s, float64(v)) }
func (r *recorder) WriteFloat32(s *smithy.Schema, v float32) {
	r.put(s, float64(v))
}
func (r *recorder) WriteFloat64(s *smithy.Schema, v float64) { r.put(s, v) }
func (r *recorder) WriteBool(s *smithy.Schema, v bool)       { r.put(s, v) }
func (r *recorder) WriteString(s *smithy.Schema, v string)   { r.put(s, v) }
func (r *recorder) WriteBigInt(s *smithy.Schema, v *big.Int) { r.fail("big integer") }
func (r *recorder) WriteBigFloat(s *smithy.Schema, v *big.Float) {
	r.fail("big decimal")
}
func (r *recorder) WriteBlob(s *smithy.Schema, v []byte) { r.fail("blob") }
func (r *recorder) WriteTime(s *smithy.Schema, v time.Time) {
	if _, ok := smithy.SchemaTrait[*traits.TimestampFormat](s); ok {
		r.fail("timestampFormat trait")
	}
	r.put(s, smithytime.FormatEpochSeconds(v)) // as the SDK writes epoch-seconds
}
func (r *recorder) WriteUnion(schema, variant *smithy.Schema)    { r.fail("union") }
func (r *recorder) CloseUnion()                                  {}
func (r *recorder) WriteDocument(*smithy.Schema, document.Value) { r.fail("document") }
func (r *recorder) WriteNil(s *smithy.Schema)                    { r.put(s, nil) }
func (r *recorder) WriteStruct(s *smithy.Schema) {
	r.push(&frame{schema: s, obj: map[string]any{}})
}
func (r *recorder) CloseStruct()               { r.pop() }
func (r *recorder) WriteList(s *smithy.Schema) { r.push(&frame{schema: s}) }
func (r *recorder) CloseList()                 { r.pop() }
func (r *recorder) WriteMap(s *smithy.Schema) {
	r.push(&frame{schema: s, obj: map[string]any{}, isMap: true})
}
func (r *recorder) WriteKey(_ *smithy.Schema, k string) { r.key = k }
func (r *recorder) CloseMap()                           { r.pop() }

// sdkTree returns the JSON tree the SDK's serializer makes of v.
func sdkTree(t *testing.T, v smithy.Serializable, body bool) any {
	t.Helper()
	r := &recorder{body: body}
	v.Serialize(r)
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.root
}

// tree parses JSON into the same form as the recorder builds.
func tree(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return v
}

// fill sets every member of v, recursively, to a non-zero value: strings
// and enums to "v-Name", integers to 7, bools to true, timestamps to a time
// with a millisecond fraction, lists to two elements and maps to two keys.
func fill(v reflect.Value, name string, depth int) {
	if depth > 32 {
		return
	}
	t := v.Type()
	if t == timeType {
		v.Set(reflect.ValueOf(time.Date(2023, 11, 14, 22, 13, 20, 456_000_000, time.UTC)))
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		p := reflect.New(t.Elem())
		fill(p.Elem(), name, depth+1)
		v.Set(p)
	case reflect.String:
		v.SetString("v-" + name)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(7)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(2.5)
	case reflect.Slice:
		s := reflect.MakeSlice(t, 2, 2)
		for i := range 2 {
			fill(s.Index(i), name+strconv.Itoa(i), depth+1)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(t)
		for i := range 2 {
			k := reflect.New(t.Key()).Elem()
			k.SetString("k" + strconv.Itoa(i))
			e := reflect.New(t.Elem()).Elem()
			fill(e, name+strconv.Itoa(i), depth+1)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Struct:
		for _, f := range fieldsOf(t) {
			fill(v.Field(f.index), t.Field(f.index).Name, depth+1)
		}
	}
}

// operation is one EKS client method.
type operation struct {
	name    string
	method  reflect.Value // bound to a client
	inType  reflect.Type  // XInput
	outType reflect.Type  // XOutput
}

var (
	ctxType  = reflect.TypeFor[context.Context]()
	errType  = reflect.TypeFor[error]()
	optsType = reflect.TypeFor[[]func(*eks.Options)]()
)

// operations lists the operations of client c: its methods
// func(context.Context, *XInput, ...func(*eks.Options)) (*XOutput, error).
func operations(c *eks.Client) []operation {
	cv := reflect.ValueOf(c)
	var ops []operation
	for i := range cv.NumMethod() {
		m := cv.Type().Method(i)
		mt := cv.Method(i).Type()
		if mt.NumIn() != 3 || mt.In(0) != ctxType || mt.In(1).Kind() != reflect.Pointer ||
			mt.In(2) != optsType || mt.NumOut() != 2 || mt.Out(1) != errType {
			continue
		}
		ops = append(ops, operation{
			name:    m.Name,
			method:  cv.Method(i),
			inType:  mt.In(1).Elem(),
			outType: mt.Out(0).Elem(),
		})
	}
	return ops
}

// TestWireNamesMatchSDK fills every EKS operation's input and output and
// every modeled error, and checks that Marshal writes exactly the JSON the
// SDK's own generated serializers describe: the same member names, values
// and omissions, for every nested shape.
func TestWireNamesMatchSDK(t *testing.T) {
	ops := operations(eks.New(eks.Options{Region: "us-east-1"}))
	if len(ops) < 70 {
		t.Fatalf("found %d operations, want the 70 of EKS", len(ops))
	}
	var shapes []any
	for _, op := range ops {
		shapes = append(shapes, reflect.New(op.inType).Interface(), reflect.New(op.outType).Interface())
	}
	for id, e := range eks.TypeRegistry.Entries {
		if !strings.HasPrefix(id, "com.amazonaws.eks#") {
			continue
		}
		shapes = append(shapes, e.New())
	}
	for _, v := range shapes {
		fill(reflect.ValueOf(v).Elem(), "", 0)
		sv, ok := v.(smithy.Serializable)
		if !ok {
			t.Errorf("%T is not smithy.Serializable", v)
			continue
		}
		want := sdkTree(t, sv, false)
		got, err := Marshal(v)
		if err != nil {
			t.Fatalf("%T: %v", v, err)
		}
		if g := tree(t, got); !reflect.DeepEqual(g, want) {
			gj, _ := json.Marshal(g)
			wj, _ := json.Marshal(want)
			t.Errorf("%T:\nMarshal %s\nSDK     %s", v, gj, wj)
		}

		// And Decode reads back what Marshal wrote.
		back := reflect.New(reflect.TypeOf(v).Elem()).Interface()
		if err := Decode(got, back); err != nil {
			t.Fatalf("%T: %v", v, err)
		}
		again, _ := Marshal(back)
		if !bytes.Equal(again, got) {
			t.Errorf("%T: decode/encode round trip:\n%s\n%s", v, got, again)
		}
	}
}

// TestEveryOperationThroughClient calls every EKS operation with the real
// SDK client against a server that decodes the request body with Decode
// (checking it holds exactly the body members the client sent) and answers
// with the fully filled output encoded by Encode, which the client must
// read back equal.
func TestEveryOperationThroughClient(t *testing.T) {
	var (
		mu      sync.Mutex
		inType  reflect.Type
		wantIn  any // the SDK's tree of the request body
		out     any
		handled bool
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		handled = true
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
		}
		in := reflect.New(inType).Interface()
		if err := Decode(body, in); err != nil {
			t.Errorf("%s %s: Decode: %v\n%s", r.Method, r.URL, err, body)
		}
		got := sdkTree(t, in.(smithy.Serializable), true)
		if !reflect.DeepEqual(got, wantIn) {
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(wantIn)
			t.Errorf("%s %s: server decoded %s\nclient sent %s\nbody %s", r.Method, r.URL, gj, wj, body)
		}
		if err := Encode(w, http.StatusOK, out); err != nil {
			t.Error(err)
		}
	}))
	defer srv.Close()

	for _, op := range operations(newClient(srv.URL)) {
		in := reflect.New(op.inType)
		fill(in.Elem(), "", 0)
		want := reflect.New(op.outType)
		fill(want.Elem(), "", 0)

		mu.Lock()
		inType, wantIn, out, handled = op.inType, sdkTree(t, in.Interface().(smithy.Serializable), true), want.Interface(), false
		mu.Unlock()

		res := op.method.Call([]reflect.Value{reflect.ValueOf(context.Background()), in})
		if err, _ := res[1].Interface().(error); err != nil {
			t.Errorf("%s: %v", op.name, err)
			continue
		}
		mu.Lock()
		if !handled {
			t.Errorf("%s: server not called", op.name)
		}
		mu.Unlock()
		got := res[0].Elem()
		if f := got.FieldByName("ResultMetadata"); f.IsValid() {
			f.Set(reflect.Zero(f.Type()))
		}
		if !reflect.DeepEqual(got.Interface(), want.Elem().Interface()) {
			t.Errorf("%s: client got\n%#v\nwant\n%#v", op.name, got.Interface(), want.Elem().Interface())
		}
	}
}
