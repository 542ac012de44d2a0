package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"

	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/server/query"
)

var (
	contextType = reflect.TypeFor[context.Context]()
	callerType  = reflect.TypeFor[*directory.Caller]()
	errorType   = reflect.TypeFor[error]()
)

// queryService is a service spoken over the AWS Query protocol.
type queryService struct {
	impl      any    // *iam.Service, *sts.Service
	sdkPkg    string // import path of the SDK types its operations use
	version   string // API version, for error messages
	namespace string // XML namespace of its responses
}

// queryCall decodes a Query request into the operation's SDK input type,
// calls the service method named after the operation and returns its SDK
// output value. An operation is any method of the service of the form
//
//	func (*Service) Op(context.Context, *directory.Caller, *pkg.OpInput) (*pkg.OpOutput, error)
//
// so adding an operation needs no change here.
func (s *Server) queryCall(r *http.Request, svc queryService, caller *directory.Caller, op string, form url.Values) (any, error) {
	if op == "" {
		return nil, &apiError{Status: http.StatusBadRequest, Code: "MissingAction", Message: "Missing Action", Sender: true}
	}
	m := reflect.ValueOf(svc.impl).MethodByName(op)
	if !m.IsValid() || !isOperation(m.Type(), svc.sdkPkg, op) {
		return nil, &apiError{Status: http.StatusBadRequest, Code: "InvalidAction", Message: fmt.Sprintf("Could not find operation %s for version %s", op, svc.version), Sender: true}
	}
	in := reflect.New(m.Type().In(2).Elem())
	if err := query.Decode(form, in.Interface()); err != nil {
		return nil, err
	}
	res := m.Call([]reflect.Value{reflect.ValueOf(r.Context()), reflect.ValueOf(caller), in})
	if err, _ := res[1].Interface().(error); err != nil {
		return nil, err
	}
	return res[0].Interface(), nil
}

// isOperation checks a method's shape and that its input and output are
// the SDK's types for the operation.
func isOperation(t reflect.Type, sdkPkg, op string) bool {
	if t.NumIn() != 3 || t.NumOut() != 2 || t.In(0) != contextType || t.In(1) != callerType || t.Out(1) != errorType {
		return false
	}
	in, out := t.In(2), t.Out(0)
	return in.Kind() == reflect.Pointer && out.Kind() == reflect.Pointer &&
		in.Elem().PkgPath() == sdkPkg && in.Elem().Name() == op+"Input" &&
		out.Elem().PkgPath() == sdkPkg && out.Elem().Name() == op+"Output" &&
		!strings.ContainsAny(op, "./")
}

// queryOperations lists the operations of a Query service: its methods of
// the operation shape.
func queryOperations(svc queryService) map[string]bool {
	ops := map[string]bool{}
	v := reflect.ValueOf(svc.impl)
	t := v.Type()
	for i := range t.NumMethod() {
		name := t.Method(i).Name
		if isOperation(v.Method(i).Type(), svc.sdkPkg, name) {
			ops[name] = true
		}
	}
	return ops
}
