package query

import (
	"reflect"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go/middleware"
)

// memberKey names one member of an SDK shape: the Go type and its field.
type memberKey struct {
	typ   reflect.Type
	field string
}

// wireNameOverrides holds every member whose Query/XML name differs from its
// Go field name. Every other member is spelled as its field.
//
// The list was found by comparing the object.Key("…") literals of the SDK's
// generated serializers.go and the strings.EqualFold("…") literals of its
// deserializers.go with the Go fields they read and write;
// TestWireNameOverridesComplete re-derives it from those files.
var wireNameOverrides = map[memberKey]string{
	{reflect.TypeFor[ststypes.PolicyDescriptorType](), "Arn"}:            "arn",
	{reflect.TypeFor[iam.ListDelegationRequestsOutput](), "IsTruncated"}: "isTruncated",
}

// emptyResults holds the output types that have no members but whose
// response still carries an empty <OpResult/> element, because the model
// gives the operation an (empty) output structure. Other memberless outputs
// belong to operations without output, whose response has no OpResult.
// TestResultElements re-derives the list from the SDK's deserializers.
var emptyResults = map[reflect.Type]bool{
	reflect.TypeFor[iam.PutAccountPropertiesOutput](): true,
	reflect.TypeFor[iam.UpdateRoleOutput]():           true,
}

// unionMembers lists, for each union (an interface type in the SDK), the
// structs that implement it. A member type is named <Union>Member<Name>,
// holds its value in a field named Value, and is written on the wire as
// <Name>. TestUnionMembersComplete re-derives the list from the SDK's types.
var unionMembers = map[reflect.Type][]reflect.Type{
	reflect.TypeFor[iamtypes.PolicyIdentifier](): {
		reflect.TypeFor[iamtypes.PolicyIdentifierMemberInlinePolicyIdentifier](),
		reflect.TypeFor[iamtypes.PolicyIdentifierMemberPolicyArn](),
		reflect.TypeFor[iamtypes.PolicyIdentifierMemberPolicyType](),
	},
}

// unionMemberName is the wire name of union member type m of union u.
func unionMemberName(u, m reflect.Type) string {
	return strings.TrimPrefix(m.Name(), u.Name()+"Member")
}

// field is one encodable member of a struct.
type field struct {
	index int    // index in the struct
	name  string // wire name
}

// metadataType is the type of the SDK outputs' ResultMetadata field, which
// is not part of the wire shape.
var metadataType = reflect.TypeFor[middleware.Metadata]()

// fieldCache maps a struct type to its []field.
var fieldCache sync.Map

// fieldsOf returns the wire members of struct type t in field order: its
// exported fields except ResultMetadata, under their wire names.
func fieldsOf(t reflect.Type) []field {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.([]field)
	}
	fs := make([]field, 0, t.NumField())
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() || sf.Type == metadataType {
			continue
		}
		name := sf.Name
		if o, ok := wireNameOverrides[memberKey{t, sf.Name}]; ok {
			name = o
		}
		fs = append(fs, field{index: i, name: name})
	}
	actual, _ := fieldCache.LoadOrStore(t, fs)
	return actual.([]field)
}
