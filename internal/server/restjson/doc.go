// Package restjson is the AWS REST-JSON (aws.protocols#restJson1) codec of the
// EKS API (signing name "eks"). It turns a JSON request body into an AWS SDK
// for Go v2 input struct such as *eks.CreateClusterInput (Decode, with
// SetField for the members the router binds from the path and query string)
// and an SDK output struct such as *eks.DescribeClusterOutput into the JSON
// response body the SDKs expect (Marshal, Encode). WriteError writes the
// REST-JSON error response.
//
// The codec is reflective and knows no operation by name: the SDK's types
// carry no struct tags, so the wire name of a member is derived from its Go
// field name. For EKS every member's wire name is the Go field name with its
// first letter lowered ("RoleArn" is "roleArn", "Identity.Oidc.Issuer" is
// "identity.oidc.issuer"); the SDK model has no jsonName traits and no
// exceptions, which the tests re-check against the SDK's own serializers for
// every EKS shape.
//
// # Values
//
//   - strings and enums (named string types) are JSON strings;
//   - booleans are JSON booleans, integers and floats JSON numbers (a float
//     that is NaN or ±Inf is the string "NaN", "Infinity" or "-Infinity");
//   - timestamps (time.Time) are epoch seconds as a JSON number, with a
//     millisecond fraction when there is one (1700000000.123), the
//     rest-json default, as EKS's model sets no timestampFormat;
//   - blobs ([]byte) are base64 strings;
//   - lists are JSON arrays and maps JSON objects; a structure is a JSON
//     object keyed by wire name.
//
// Marshal leaves out unexported fields, embedded fields, the SDK's
// ResultMetadata and ErrorCodeOverride, nil pointers, slices, maps and
// interfaces, and the zero value of a non-pointer scalar (false, 0, "", a
// zero time) as the SDK's own serializers do. An empty but non-nil list or
// map is written as [] or {}.
//
// Decode matches wire names exactly, ignores members the input type does not
// have and treats JSON null as absent. A body that is not JSON, is not a JSON
// object, or has a value of the wrong JSON type for its member is an *Error
// with HTTP status 400 and code CodeSerializationException, the code AWS's
// service frontends answer an undeserializable JSON body with.
package restjson
