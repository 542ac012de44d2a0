// Package wire is the on-disk form of the catalogue: the JSON that the
// generator (internal/catalog/gen) writes, gzipped, and package catalog
// embeds and reads. Field names are short to keep the embedded file small;
// every slice is sorted by the generator so that the output is byte-identical
// on re-runs with the same inputs.
package wire

// Version is the schema version written in File.Version. Package catalog
// refuses a file of another version.
const Version = 1

// File is the whole catalogue.
type File struct {
	Version int `json:"v"`
	// Sources names the inputs: "botocore" and "iam-data" versions.
	Sources map[string]string `json:"src"`
	// Services are botocore's services, sorted by ID.
	Services []Service `json:"svc"`
	// IAM holds, per IAM service prefix, the SAR actions that some operation
	// maps to and their resource types, sorted by prefix.
	IAM []IAMService `json:"iam"`
}

// Service is one botocore service model (its newest API version).
type Service struct {
	ID          string `json:"id"`  // botocore's directory name, e.g. "dynamodb"
	ServiceID   string `json:"sid"` // metadata.serviceId, e.g. "DynamoDB"
	SigningName string `json:"sn"`  // metadata.signingName, else endpointPrefix
	// AlsoSignedAs lists other signing names some operations use (S3's
	// WriteGetObjectResponse is signed as s3-object-lambda).
	AlsoSignedAs   []string    `json:"sn2,omitempty"`
	EndpointPrefix string      `json:"ep"`           // metadata.endpointPrefix
	Protocol       string      `json:"p"`            // the protocol the SDKs use
	Protocols      []string    `json:"ps,omitempty"` // every protocol the service accepts
	JSONVersion    string      `json:"jv,omitempty"`
	TargetPrefix   string      `json:"tp,omitempty"`
	APIVersion     string      `json:"av"`
	IAMPrefix      string      `json:"iam,omitempty"` // "" when the SAR has no such service
	Operations     []Operation `json:"ops"`           // sorted by Name
}

// Operation is one API operation.
type Operation struct {
	Name   string   `json:"n"`
	Method string   `json:"m,omitempty"`
	URI    string   `json:"u,omitempty"` // requestUri, with its ?query discriminators
	Input  []Member `json:"in,omitempty"`
	// Payload names the member that is the whole body (REST), if any.
	Payload    string `json:"pl,omitempty"`
	Deprecated bool   `json:"dep,omitempty"`
	// Actions are the IAM actions the operation is authorized as; empty when
	// none was found (the operation is refused).
	Actions []ActionRef `json:"a,omitempty"`
}

// Member is a top-level member of an operation's input shape.
type Member struct {
	Name     string `json:"n"`
	Location string `json:"l,omitempty"` // "", "uri", "querystring", "header", "headers"
	LocName  string `json:"w,omitempty"` // wire name when it differs from Name
	Type     string `json:"t"`           // botocore's shape type: string, list, map, structure, ...
	Required bool   `json:"r,omitempty"`
	// Elem is the element type of a list or the value type of a map.
	Elem string `json:"e,omitempty"`
}

// ActionRef is one IAM action an operation is authorized as.
type ActionRef struct {
	Action string `json:"a"`            // "prefix:Name", as the SAR spells it
	If     string `json:"if,omitempty"` // applies only when this parameter is present
	Unless string `json:"un,omitempty"` // applies only when this parameter is absent
	// Res restricts the action's resource types to these (SAR names); empty
	// means all of them.
	Res []string `json:"res,omitempty"`
	// Bind maps an ARN template variable (without ${}) to the parameter
	// holding its value: "Member", "Member|transform", or a derived
	// parameter name such as "TransactItems[].Put.TableName".
	Bind map[string]string `json:"b,omitempty"`
}

// IAMService is one SAR service prefix.
type IAMService struct {
	Prefix    string        `json:"p"`
	Actions   []IAMAction   `json:"a"`
	Resources []IAMResource `json:"r"`
}

// IAMAction is one SAR action.
type IAMAction struct {
	Name          string           `json:"n"`
	Resources     []ActionResource `json:"r,omitempty"`
	ConditionKeys []string         `json:"k,omitempty"`
}

// ActionResource is one resource type of a SAR action.
type ActionResource struct {
	Name          string   `json:"n"`
	Required      bool     `json:"q,omitempty"`
	ConditionKeys []string `json:"k,omitempty"`
}

// IAMResource is one SAR resource type.
type IAMResource struct {
	Name string `json:"n"`
	ARN  string `json:"arn"`
}
