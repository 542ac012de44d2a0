// Package query is the AWS Query protocol codec shared by IAM (2010-05-08) and
// STS (2011-06-15): it turns a form-encoded request into an AWS SDK for Go v2
// input struct (Decode) and an SDK output struct into the XML response the
// SDKs expect (Encode, EncodeError).
//
// The codec is reflective and knows no operation by name. Its wire names are
// the SDK's Go field names, except for the few members AWS spells differently
// (see wireNameOverrides) and the union members (see unionMembers); tests
// re-derive both lists from the SDK's generated serializers and deserializers
// and round-trip every IAM and STS operation through the real SDK clients, so
// a name cannot drift from AWS's.
//
// # Requests
//
// A scalar member X is the form key "X"; a structure nests as "X.Field"; a
// list is "X.member.N" with N counting from 1 without gaps ("X=" alone is an
// empty list); a map is "X.entry.N.key" / "X.entry.N.value"; a union sets
// exactly one member, "X.Member". Booleans are "true" or "false" (any case),
// timestamps ISO 8601. The Action and Version keys, and any top-level or
// nested name the input type does not have, are ignored, as AWS ignores
// parameters an operation does not define. Everything under a name the input
// does have must fit its shape: a value that does not parse, a repeated key,
// a list index gap or a stray sub-key is a 400 ValidationError (*Error). A
// nested structure with no member set cannot be told from an absent one on
// the wire and decodes as nil.
//
// ParseForm reads the form itself, exactly as url.ParseQuery does but with
// fewer allocations. Decode works out once per input type how to fill it
// (a plan, cached), and walks the form's keys sorted segment by segment
// rather than building a tree of them, so a request costs little more
// than the input's own pointers and slices.
//
// # Responses
//
// Encode writes <OpResponse><OpResult>…</OpResult><ResponseMetadata>…; an
// operation without output (DeleteRole, TagRole, …) gets no OpResult
// element, as AWS sends it, except the two whose model output is an empty
// structure (UpdateRole, PutAccountProperties: <OpResult></OpResult>). Nil pointers, nil lists and maps, and
// empty enums are omitted; an empty, non-nil list is written as an empty
// element (<Tags></Tags>), which the SDKs read back as an empty list. Lists
// use <member>, maps <entry><key/><value/></entry>, timestamps ISO 8601 UTC
// (2019-11-09T13:34:41Z, with a fraction only when the time has one), blobs
// base64.
//
// The SDKs read a success response's request ID from the x-amzn-RequestId
// header and an error's from the body, so the HTTP layer must set that
// header as well.
//
// The codec does not change values. IAM returns policy documents
// (AssumeRolePolicyDocument, PolicyVersion.Document, …) percent-encoded: the
// IAM service escapes them before they reach Encode, as it owns that quirk,
// not the protocol. (Spaces must become %20, not "+": botocore decodes with
// unquote, which leaves "+" alone.)
package query
