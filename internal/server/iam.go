package server

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/server/query"
)

// iamCall decodes an IAM Query request into the operation's SDK input
// type, calls the service and returns the SDK output value.
func (s *Server) iamCall(r *http.Request, caller *directory.Caller, op string, form url.Values) (any, error) {
	ctx := r.Context()
	switch op {
	case "GetUser":
		var in iam.GetUserInput
		if err := query.Decode(form, &in); err != nil {
			return nil, err
		}
		return s.iam.GetUser(ctx, caller, &in)
	case "ListRoles":
		var in iam.ListRolesInput
		if err := query.Decode(form, &in); err != nil {
			return nil, err
		}
		return s.iam.ListRoles(ctx, caller, &in)
	case "":
		return nil, &apiError{Status: http.StatusBadRequest, Code: "MissingAction", Message: "Missing Action", Sender: true}
	}
	return nil, &apiError{Status: http.StatusBadRequest, Code: "InvalidAction", Message: fmt.Sprintf("Could not find operation %s for version 2010-05-08", op), Sender: true}
}
