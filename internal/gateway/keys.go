package gateway

import (
	"net/http"

	"github.com/assumed-dev/assumed/internal/catalog"
	"github.com/assumed-dev/assumed/policy"
)

// serviceKeys adds the condition keys of the request's service that AWS
// sets from the request: the body of a JSON or Query request (body; nil
// for S3, whose body streams), its parameters and headers.
func serviceKeys(ctx *policy.Context, svc *catalog.Service, op *catalog.Operation, params catalog.Params, r *http.Request, body []byte) {
}
