package query

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// sdkModules are the SDK service modules whose generated code the tests read.
var sdkModules = []string{
	"github.com/aws/aws-sdk-go-v2/service/iam",
	"github.com/aws/aws-sdk-go-v2/service/sts",
}

// sdkDirs returns the module directories of sdkModules at the versions this
// module builds with.
func sdkDirs(t *testing.T) map[string]string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list", "-m", "-f", "{{.Path}} {{.Dir}}"}, sdkModules...)...).Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	dirs := map[string]string{}
	for line := range strings.Lines(string(out)) {
		path, dir, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok || dir == "" {
			t.Fatalf("go list -m: no directory in %q (run go mod download)", line)
		}
		dirs[path] = dir
	}
	return dirs
}

// shapeMember is one member of an SDK shape, by package path, type name
// and Go field name.
type shapeMember struct{ pkg, typ, field string }

// sdkWire is what the SDK's generated code says about the wire.
type sdkWire struct {
	// ser and des map each member the serializers write / deserializers
	// read to its wire name.
	ser, des map[shapeMember]string
	// unionSer maps a union member type (pkg, name) to its wire name.
	unionSer map[shapeMember]string
	// resultOps is the set of operations whose response the deserializer
	// reads from an <OpResult> element; bodyless ops discard the body.
	resultOps, bodylessOps map[string]bool
	// odd lists generated code that breaks the codec's assumptions.
	odd []string
}

// parseSDK reads serializers.go and deserializers.go of module dir, whose
// root package is pkg.
func parseSDK(t *testing.T, pkg, dir string, w *sdkWire) {
	t.Helper()
	fset := token.NewFileSet()
	for _, name := range []string{"serializers.go", "deserializers.go"} {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			switch fn := fd.Name.Name; {
			case strings.HasPrefix(fn, "awsAwsquery_serializeOpDocument"):
				serMembers(fd, shapeMember{pkg: pkg, typ: strings.TrimPrefix(fn, "awsAwsquery_serializeOpDocument")}, w)
			case strings.HasPrefix(fn, "awsAwsquery_serializeDocument"):
				serMembers(fd, shapeMember{pkg: pkg + "/types", typ: strings.TrimPrefix(fn, "awsAwsquery_serializeDocument")}, w)
			case strings.HasPrefix(fn, "awsAwsquery_deserializeOpDocument"):
				desMembers(fd, shapeMember{pkg: pkg, typ: strings.TrimPrefix(fn, "awsAwsquery_deserializeOpDocument")}, w)
			case strings.HasPrefix(fn, "awsAwsquery_deserializeDocument"):
				typ := strings.TrimPrefix(fn, "awsAwsquery_deserializeDocument")
				if !strings.HasSuffix(typ, "Exception") { // errors travel as ErrorResponse
					desMembers(fd, shapeMember{pkg: pkg + "/types", typ: typ}, w)
				}
			case fn == "HandleDeserialize" && fd.Recv != nil:
				resultElement(fd, w)
			}
			checkContainers(fd, w)
		}
	}
}

// stringArg returns call's i-th argument if it is a string literal.
func stringArg(call *ast.CallExpr, i int) (string, bool) {
	if len(call.Args) <= i {
		return "", false
	}
	lit, ok := call.Args[i].(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// callName returns the selector name of a method call such as object.Key.
func callName(n ast.Node) (*ast.CallExpr, string) {
	call, ok := n.(*ast.CallExpr)
	if !ok {
		return nil, ""
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return nil, ""
	}
	return call, sel.Sel.Name
}

// firstField returns the first field X of a selector recv.X in n.
func firstField(n ast.Node, recv string) string {
	field := ""
	ast.Inspect(n, func(n ast.Node) bool {
		if s, ok := n.(*ast.SelectorExpr); ok && field == "" {
			if id, ok := s.X.(*ast.Ident); ok && id.Name == recv {
				field = s.Sel.Name
			}
		}
		return field == ""
	})
	return field
}

// serMembers records the members a serializer writes: each
// "if <test of v.F> { objectKey := object.Key("name") … }", and each union
// case "case *types.UMemberX: objectKey := object.Key("name")".
func serMembers(fd *ast.FuncDecl, shape shapeMember, w *sdkWire) {
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		var test ast.Node
		var body []ast.Stmt
		var union string
		switch s := n.(type) {
		case *ast.IfStmt:
			test, body = s.Cond, s.Body.List
		case *ast.CaseClause:
			if len(s.List) == 1 {
				if star, ok := s.List[0].(*ast.StarExpr); ok {
					if sel, ok := star.X.(*ast.SelectorExpr); ok {
						union = sel.Sel.Name
					}
				}
			}
			body = s.Body
		default:
			return true
		}
		if len(body) == 0 {
			return true
		}
		as, ok := body[0].(*ast.AssignStmt)
		if !ok || len(as.Rhs) != 1 {
			return true
		}
		call, name := callName(as.Rhs[0])
		if name != "Key" {
			return true
		}
		wire, ok := stringArg(call, 0)
		if !ok {
			return true
		}
		if union != "" {
			w.unionSer[shapeMember{pkg: shape.pkg, typ: union}] = wire
			return true
		}
		if f := firstField(test, "v"); f != "" {
			w.ser[shapeMember{shape.pkg, shape.typ, f}] = wire
		}
		return true
	})
}

// desMembers records the members a deserializer reads: each
// "case strings.EqualFold("name", t.Name.Local): … sv.F …".
func desMembers(fd *ast.FuncDecl, shape shapeMember, w *sdkWire) {
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		cc, ok := n.(*ast.CaseClause)
		if !ok || len(cc.List) != 1 {
			return true
		}
		call, name := callName(cc.List[0])
		if name != "EqualFold" {
			return true
		}
		wire, ok := stringArg(call, 0)
		if !ok {
			return true
		}
		f := ""
		for _, st := range cc.Body {
			if f = firstField(st, "sv"); f != "" {
				break
			}
		}
		if f != "" {
			w.des[shapeMember{shape.pkg, shape.typ, f}] = wire
		}
		return true
	})
}

// resultElement records whether an operation deserializer reads an
// <OpResult> element or discards the body.
func resultElement(fd *ast.FuncDecl, w *sdkWire) {
	star, ok := fd.Recv.List[0].Type.(*ast.StarExpr)
	if !ok {
		return
	}
	id, ok := star.X.(*ast.Ident)
	if !ok || !strings.HasPrefix(id.Name, "awsAwsquery_deserializeOp") {
		return
	}
	op := strings.TrimPrefix(id.Name, "awsAwsquery_deserializeOp")
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		call, name := callName(n)
		switch name {
		case "GetElement":
			if s, ok := stringArg(call, 0); ok {
				if s != op+"Result" {
					w.odd = append(w.odd, op+" reads result element "+s)
				}
				w.resultOps[op] = true
			}
		case "Copy":
			if len(call.Args) == 2 {
				if sel, ok := call.Args[0].(*ast.SelectorExpr); ok && sel.Sel.Name == "Discard" {
					w.bodylessOps[op] = true
				}
			}
		}
		return true
	})
}

// checkContainers records generated code that uses other list, map or
// flattening conventions than the codec's.
func checkContainers(fd *ast.FuncDecl, w *sdkWire) {
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		call, name := callName(n)
		switch name {
		case "Array":
			if s, _ := stringArg(call, 0); s != "member" {
				w.odd = append(w.odd, fd.Name.Name+": Array("+s+")")
			}
		case "Map":
			k, _ := stringArg(call, 0)
			v, _ := stringArg(call, 1)
			if k != "key" || v != "value" {
				w.odd = append(w.odd, fd.Name.Name+": Map("+k+", "+v+")")
			}
		case "FlatKey", "KeyWithValues", "FlatArray", "FlatMap":
			w.odd = append(w.odd, fd.Name.Name+": "+name)
		}
		return true
	})
}

// loadSDKWire parses the generated code of both services.
func loadSDKWire(t *testing.T) *sdkWire {
	t.Helper()
	w := &sdkWire{
		ser: map[shapeMember]string{}, des: map[shapeMember]string{}, unionSer: map[shapeMember]string{},
		resultOps: map[string]bool{}, bodylessOps: map[string]bool{},
	}
	for path, dir := range sdkDirs(t) {
		parseSDK(t, path, dir, w)
	}
	if len(w.ser) < 300 || len(w.des) < 300 {
		t.Fatalf("parsed only %d serialized and %d deserialized members: did the generated code change shape?", len(w.ser), len(w.des))
	}
	return w
}

// TestWireNameOverridesComplete proves wireNameOverrides is exactly the set
// of members whose wire name differs from the Go field name in the SDK's
// serializers and deserializers, and that the SDK uses no list, map or
// flattening convention other than the codec's.
func TestWireNameOverridesComplete(t *testing.T) {
	w := loadSDKWire(t)
	for _, o := range w.odd {
		t.Errorf("generated code breaks the codec's conventions: %s", o)
	}
	differ := map[shapeMember]string{}
	for _, m := range []map[shapeMember]string{w.ser, w.des} {
		for k, wire := range m {
			if wire != k.field {
				if prev, ok := differ[k]; ok && prev != wire {
					t.Errorf("%v is %q in one direction and %q in the other", k, prev, wire)
				}
				differ[k] = wire
			}
		}
	}
	table := map[shapeMember]string{}
	for k, wire := range wireNameOverrides {
		table[shapeMember{k.typ.PkgPath(), k.typ.Name(), k.field}] = wire
	}
	for k, wire := range differ {
		if table[k] != wire {
			t.Errorf("SDK spells %s.%s.%s %q; wireNameOverrides has %q", k.pkg, k.typ, k.field, wire, table[k])
		}
	}
	for k, wire := range table {
		if differ[k] != wire {
			t.Errorf("wireNameOverrides has %s.%s.%s = %q, which the SDK does not confirm", k.pkg, k.typ, k.field, wire)
		}
	}
	t.Logf("%d serialized and %d deserialized members; %d spelled differently from their field: %v", len(w.ser), len(w.des), len(differ), differ)
}

// TestUnionMembersComplete proves unionMembers names every union member the
// serializers write, under the serializers' wire names.
func TestUnionMembersComplete(t *testing.T) {
	w := loadSDKWire(t)
	known := map[shapeMember]string{}
	for u, ms := range unionMembers {
		for _, m := range ms {
			if !reflect.PointerTo(m).Implements(u) {
				t.Errorf("%s does not implement %s", m, u)
			}
			if _, ok := m.FieldByName("Value"); !ok {
				t.Errorf("%s has no Value field", m)
			}
			known[shapeMember{pkg: m.PkgPath(), typ: m.Name()}] = unionMemberName(u, m)
		}
	}
	for k, wire := range w.unionSer {
		if known[k] != wire {
			t.Errorf("SDK writes union member %s.%s as %q; unionMembers gives %q", k.pkg, k.typ, wire, known[k])
		}
	}
	for k := range known {
		if _, ok := w.unionSer[k]; !ok {
			t.Errorf("unionMembers has %s.%s, which no serializer writes", k.pkg, k.typ)
		}
	}
}

// TestWireNamesMatchSDK walks every type reachable from the inputs and
// outputs of every IAM and STS operation and checks, case-sensitively (the
// Go SDK's XML reader is not), that each member's codec name is the one the
// SDK's serializers (inputs) or deserializers (outputs) use.
func TestWireNamesMatchSDK(t *testing.T) {
	w := loadSDKWire(t)
	checked := 0
	var walk func(t *testing.T, typ reflect.Type, names map[shapeMember]string, seen map[reflect.Type]bool)
	walk = func(t *testing.T, typ reflect.Type, names map[shapeMember]string, seen map[reflect.Type]bool) {
		if seen[typ] {
			return
		}
		seen[typ] = true
		if ms, ok := unionMembers[typ]; ok {
			for _, m := range ms {
				f, _ := m.FieldByName("Value")
				walk(t, f.Type, names, seen)
			}
			return
		}
		switch typ.Kind() {
		case reflect.Pointer, reflect.Slice:
			walk(t, typ.Elem(), names, seen)
		case reflect.Map:
			walk(t, typ.Key(), names, seen)
			walk(t, typ.Elem(), names, seen)
		case reflect.Interface:
			t.Errorf("%s is an interface but not a known union", typ)
		case reflect.Struct:
			if typ == timeType {
				return
			}
			for _, f := range fieldsOf(typ) {
				sf := typ.Field(f.index)
				checked++
				want, ok := names[shapeMember{typ.PkgPath(), typ.Name(), sf.Name}]
				if !ok {
					t.Errorf("SDK does not put %s.%s on the wire", typ, sf.Name)
				} else if f.name != want {
					t.Errorf("%s.%s: codec name %q, SDK %q", typ, sf.Name, f.name, want)
				}
				walk(t, sf.Type, names, seen)
			}
		}
	}
	inSeen, outSeen := map[reflect.Type]bool{}, map[reflect.Type]bool{}
	for _, client := range []any{&iam.Client{}, &sts.Client{}} {
		for _, op := range operations(client) {
			walk(t, op.in, w.ser, inSeen)
			walk(t, op.out, w.des, outSeen)

			hasResult := len(fieldsOf(op.out)) > 0 || emptyResults[op.out]
			switch {
			case hasResult && !w.resultOps[op.name]:
				t.Errorf("%s: Encode writes %sResult, which the SDK does not read", op.name, op.name)
			case !hasResult && !w.bodylessOps[op.name]:
				t.Errorf("%s: Encode writes no %sResult, which the SDK needs", op.name, op.name)
			}
		}
	}
	t.Logf("checked %d members", checked)
}
