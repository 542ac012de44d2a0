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

// sdkIAMPackage is the import path of the SDK types the operations use.
const sdkIAMPackage = "github.com/aws/aws-sdk-go-v2/service/iam"

// iamCall decodes an IAM Query request into the operation's SDK input
// type, calls the service method named after the operation and returns
// its SDK output value. An operation is any method of the IAM service of
// the form
//
//	func (*Service) Op(context.Context, *directory.Caller, *iam.OpInput) (*iam.OpOutput, error)
//
// so adding an operation needs no change here.
func (s *Server) iamCall(r *http.Request, caller *directory.Caller, op string, form url.Values) (any, error) {
	if op == "" {
		return nil, &apiError{Status: http.StatusBadRequest, Code: "MissingAction", Message: "Missing Action", Sender: true}
	}
	m := reflect.ValueOf(s.iam).MethodByName(op)
	if !m.IsValid() || !isOperation(m.Type(), op) {
		return nil, &apiError{Status: http.StatusBadRequest, Code: "InvalidAction", Message: fmt.Sprintf("Could not find operation %s for version 2010-05-08", op), Sender: true}
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
func isOperation(t reflect.Type, op string) bool {
	if t.NumIn() != 3 || t.NumOut() != 2 || t.In(0) != contextType || t.In(1) != callerType || t.Out(1) != errorType {
		return false
	}
	in, out := t.In(2), t.Out(0)
	return in.Kind() == reflect.Pointer && out.Kind() == reflect.Pointer &&
		in.Elem().PkgPath() == sdkIAMPackage && in.Elem().Name() == op+"Input" &&
		out.Elem().PkgPath() == sdkIAMPackage && out.Elem().Name() == op+"Output" &&
		!strings.ContainsAny(op, "./")
}
