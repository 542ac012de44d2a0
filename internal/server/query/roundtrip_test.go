package query

import (
	"context"
	"reflect"
	"testing"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// TestAllOperationsRoundTrip sends a fully populated input of every IAM and
// STS operation through the real SDK client, decodes the form the client
// sent, and answers with a fully populated output that the client must
// parse back to the same value.
func TestAllOperationsRoundTrip(t *testing.T) {
	srv := newServer(t)
	ctx := context.Background()
	count := 0
	for _, svc := range services(srv) {
		for _, op := range operations(svc.client) {
			count++
			t.Run(svc.name+"/"+op.name, func(t *testing.T) {
				want := filled(op.out)
				srv.setRespond(respondWith(t, svc.xmlns, want))
				in := filled(op.in)

				got, err := op.call(ctx, in)
				if err != nil {
					t.Fatalf("client: %v", err)
				}

				decoded := reflect.New(op.in).Interface()
				form := srv.lastForm()
				if err := Decode(form, decoded); err != nil {
					t.Fatalf("Decode: %v\nform keys: %s", err, formKeys(form))
				}
				if d := diff(in, decoded); d != "" {
					t.Errorf("request: decoded input differs from sent input: %s\nform keys: %s", d, formKeys(form))
				}

				md := reflect.ValueOf(got).Elem().FieldByName("ResultMetadata").Interface().(middleware.Metadata)
				if id, _ := awsmiddleware.GetRequestIDMetadata(md); id != requestID {
					t.Errorf("request ID = %q, want %q", id, requestID)
				}
				clearMetadata(got)
				if d := diff(want, got); d != "" {
					t.Errorf("response: parsed output differs from encoded output: %s", d)
				}
			})
		}
	}
	if count < 150 {
		t.Errorf("only %d operations found on the IAM and STS clients", count)
	}
	t.Logf("round-tripped %d operations", count)
}
