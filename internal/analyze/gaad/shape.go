package gaad

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The JSON shapes of GetAccountAuthorizationDetails' output, with AWS's
// member names. Policy documents and dates are kept raw here and read in
// convert.go, where an error can name its entity. Members AWS may add
// later are ignored; the top level is checked key by key, so that the
// output of another command is not taken for this one's.

// output is the whole answer.
type output struct {
	UserDetailList  []userDetail          `json:"UserDetailList"`
	GroupDetailList []groupDetail         `json:"GroupDetailList"`
	RoleDetailList  []roleDetail          `json:"RoleDetailList"`
	Policies        []managedPolicyDetail `json:"Policies"`
	IsTruncated     bool                  `json:"IsTruncated"`
	Marker          string                `json:"Marker"`
	NextToken       string                `json:"NextToken"` // the AWS CLI's, with --max-items
}

// policyDetail is an inline policy (PolicyDetail).
type policyDetail struct {
	PolicyName     string          `json:"PolicyName"`
	PolicyDocument json.RawMessage `json:"PolicyDocument"`
}

// attachedPolicy is an attached managed policy (AttachedPolicy).
type attachedPolicy struct {
	PolicyName string `json:"PolicyName"`
	PolicyArn  string `json:"PolicyArn"`
}

// permissionsBoundary is AttachedPermissionsBoundary.
type permissionsBoundary struct {
	PermissionsBoundaryType string `json:"PermissionsBoundaryType"`
	PermissionsBoundaryArn  string `json:"PermissionsBoundaryArn"`
}

// tag is a Tag.
type tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// userDetail is a UserDetail.
type userDetail struct {
	Path                    string               `json:"Path"`
	UserName                string               `json:"UserName"`
	UserID                  string               `json:"UserId"`
	Arn                     string               `json:"Arn"`
	CreateDate              json.RawMessage      `json:"CreateDate"`
	UserPolicyList          []policyDetail       `json:"UserPolicyList"`
	GroupList               []string             `json:"GroupList"`
	AttachedManagedPolicies []attachedPolicy     `json:"AttachedManagedPolicies"`
	PermissionsBoundary     *permissionsBoundary `json:"PermissionsBoundary"`
	Tags                    []tag                `json:"Tags"`
}

// groupDetail is a GroupDetail.
type groupDetail struct {
	Path                    string           `json:"Path"`
	GroupName               string           `json:"GroupName"`
	GroupID                 string           `json:"GroupId"`
	Arn                     string           `json:"Arn"`
	CreateDate              json.RawMessage  `json:"CreateDate"`
	GroupPolicyList         []policyDetail   `json:"GroupPolicyList"`
	AttachedManagedPolicies []attachedPolicy `json:"AttachedManagedPolicies"`
}

// instanceProfile is an InstanceProfile of a role's InstanceProfileList.
type instanceProfile struct {
	Path                string          `json:"Path"`
	InstanceProfileName string          `json:"InstanceProfileName"`
	InstanceProfileID   string          `json:"InstanceProfileId"`
	Arn                 string          `json:"Arn"`
	CreateDate          json.RawMessage `json:"CreateDate"`
	Tags                []tag           `json:"Tags"`
}

// roleDetail is a RoleDetail.
type roleDetail struct {
	Path                     string               `json:"Path"`
	RoleName                 string               `json:"RoleName"`
	RoleID                   string               `json:"RoleId"`
	Arn                      string               `json:"Arn"`
	CreateDate               json.RawMessage      `json:"CreateDate"`
	AssumeRolePolicyDocument json.RawMessage      `json:"AssumeRolePolicyDocument"`
	InstanceProfileList      []instanceProfile    `json:"InstanceProfileList"`
	RolePolicyList           []policyDetail       `json:"RolePolicyList"`
	AttachedManagedPolicies  []attachedPolicy     `json:"AttachedManagedPolicies"`
	PermissionsBoundary      *permissionsBoundary `json:"PermissionsBoundary"`
	Tags                     []tag                `json:"Tags"`
}

// policyVersion is a PolicyVersion of a managed policy.
type policyVersion struct {
	Document         json.RawMessage `json:"Document"`
	VersionID        string          `json:"VersionId"`
	IsDefaultVersion bool            `json:"IsDefaultVersion"`
	CreateDate       json.RawMessage `json:"CreateDate"`
}

// managedPolicyDetail is a ManagedPolicyDetail.
type managedPolicyDetail struct {
	PolicyName        string          `json:"PolicyName"`
	PolicyID          string          `json:"PolicyId"`
	Arn               string          `json:"Arn"`
	Path              string          `json:"Path"`
	DefaultVersionID  string          `json:"DefaultVersionId"`
	Description       string          `json:"Description"`
	CreateDate        json.RawMessage `json:"CreateDate"`
	UpdateDate        json.RawMessage `json:"UpdateDate"`
	PolicyVersionList []policyVersion `json:"PolicyVersionList"`
}

// The top-level members: the four lists, the pagination members, and
// the ResponseMetadata boto3 keeps in what it returns.
var (
	listMembers  = []string{"UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"}
	otherMembers = []string{"IsTruncated", "Marker", "NextToken", "ResponseMetadata"}
)

// The raw API's JSON form wraps the answer in these.
const (
	responseMember = "GetAccountAuthorizationDetailsResponse"
	resultMember   = "GetAccountAuthorizationDetailsResult"
)

// decodeFile checks that data is one GetAccountAuthorizationDetails
// answer, complete, and decodes it.
func decodeFile(name string, data []byte) (*output, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &Error{File: name, Msg: "the file is empty: want the JSON that `aws iam get-account-authorization-details` prints"}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, jsonError(name, data, err)
	}
	body, wrapped, err := unwrap(name, top)
	if err != nil {
		return nil, err
	}
	if !wrapped {
		body = data
	}
	if err := checkMembers(name, top); err != nil {
		return nil, err
	}
	var out output
	if err := json.Unmarshal(body, &out); err != nil {
		if wrapped {
			return nil, &Error{File: name, Msg: describeJSONError(err)}
		}
		return nil, jsonError(name, data, err)
	}
	switch {
	case out.IsTruncated || out.Marker != "":
		return nil, &Error{File: name, Msg: fmt.Sprintf("the answer is one page of several (IsTruncated, Marker %q): import every page at once, as `aws iam get-account-authorization-details` prints them without --max-items", out.Marker)}
	case out.NextToken != "":
		return nil, &Error{File: name, Msg: "the answer was cut short by --max-items (NextToken): run `aws iam get-account-authorization-details` without --max-items"}
	}
	return &out, nil
}

// unwrap finds the answer in the raw API's JSON wrapper when it is
// there: it returns the answer and replaces top's members by the
// answer's. Without a wrapper, wrapped is false and top is left alone.
func unwrap(name string, top map[string]json.RawMessage) (body []byte, wrapped bool, err error) {
	raw, ok := top[responseMember]
	if !ok {
		raw, ok = top[resultMember]
		if !ok {
			return nil, false, nil
		}
	} else {
		var resp map[string]json.RawMessage
		if err := json.Unmarshal(raw, &resp); err != nil {
			return nil, true, &Error{File: name, Msg: responseMember + ": " + describeJSONError(err)}
		}
		if raw, ok = resp[resultMember]; !ok {
			return nil, true, &Error{File: name, Msg: responseMember + " has no " + resultMember}
		}
	}
	inner := map[string]json.RawMessage{}
	if err := json.Unmarshal(raw, &inner); err != nil {
		return nil, true, &Error{File: name, Msg: resultMember + ": " + describeJSONError(err)}
	}
	clear(top)
	for k, v := range inner {
		top[k] = v
	}
	return raw, true, nil
}

// checkMembers refuses a top level that is not this command's answer:
// one with none of its lists, or with members it does not have.
func checkMembers(name string, top map[string]json.RawMessage) error {
	var unknown []string
	lists := 0
	for k := range top {
		switch {
		case slices.Contains(listMembers, k):
			lists++
		case !slices.Contains(otherMembers, k):
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	if lists == 0 {
		what := "it has no members"
		if len(unknown) > 0 {
			what = "it has " + strings.Join(unknown, ", ")
		}
		return &Error{File: name, Msg: fmt.Sprintf("not the output of `aws iam get-account-authorization-details`: %s, and none of %s", what, strings.Join(listMembers, ", "))}
	}
	if len(unknown) > 0 {
		return &Error{File: name, Msg: fmt.Sprintf("unknown top-level members %s: get-account-authorization-details answers with %s and %s only", strings.Join(unknown, ", "), strings.Join(listMembers, ", "), strings.Join(otherMembers, ", "))}
	}
	return nil
}

// jsonError turns a decoding error of data into an *Error with the line
// it happened on.
func jsonError(name string, data []byte, err error) error {
	var offset int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		offset = se.Offset
	case errors.As(err, &te):
		offset = te.Offset
	}
	e := &Error{File: name, Msg: describeJSONError(err)}
	if offset >= 0 && offset <= int64(len(data)) {
		e.Line = 1 + bytes.Count(data[:offset], []byte("\n"))
	}
	return e
}

// describeJSONError says what is wrong in the words of the file's shape.
func describeJSONError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return fmt.Sprintf("the file holds a JSON %s: want the object `aws iam get-account-authorization-details` prints", te.Value)
		}
		return fmt.Sprintf("%s is a JSON %s, not the %s AWS's answer has there", te.Field, te.Value, jsonKind(te.Type.Kind().String()))
	}
	return "not valid JSON: " + err.Error()
}

// jsonKind names a Go kind as JSON's type.
func jsonKind(kind string) string {
	switch kind {
	case "slice", "array":
		return "list"
	case "struct", "map":
		return "object"
	case "bool":
		return "boolean"
	case "int", "int64", "int32", "float64":
		return "number"
	}
	return kind
}
