// Package arn parses, formats and matches Amazon Resource Names, and
// classifies the principal forms that IAM policies name (account roots, IAM
// users and roles, assumed-role sessions, federated users, OIDC and SAML
// providers, service principals).
//
// An ARN has six colon-separated components:
//
//	arn:partition:service:region:account-id:resource
//
// The resource component is everything after the fifth colon and may itself
// contain colons and slashes. Matching (ArnLike, and the Resource element of
// a policy) compares the six components one by one, so a wildcard in one
// component never crosses into the next.
package arn

import (
	"errors"
	"fmt"
	"strings"
)

// ARN is a parsed Amazon Resource Name.
type ARN struct {
	Partition string // "aws", "aws-cn", "aws-us-gov", …
	Service   string // "iam", "sts", "s3", …
	Region    string // empty for global services such as IAM
	AccountID string // 12 digits, or empty (S3 buckets)
	Resource  string // everything after the fifth colon
}

// ErrNotARN is returned by Parse for text that is not an ARN.
var ErrNotARN = errors.New("not an ARN")

// Parse splits s into its six components. It checks the shape only
// (prefix "arn", five colons, non-empty partition and service); it does not
// check that the service or region exist.
func Parse(s string) (ARN, error) {
	parts, ok := Split(s)
	if !ok || parts[0] != "arn" || parts[1] == "" || parts[2] == "" {
		return ARN{}, fmt.Errorf("%w: %q", ErrNotARN, s)
	}
	return ARN{Partition: parts[1], Service: parts[2], Region: parts[3], AccountID: parts[4], Resource: parts[5]}, nil
}

// Split returns the six components of s ("arn", partition, service, region,
// account, resource) without allocating. ok is false when s has fewer than
// five colons.
func Split(s string) (parts [6]string, ok bool) {
	n, start := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			parts[n] = s[start:i]
			n++
			start = i + 1
			if n == 5 {
				parts[5] = s[start:]
				return parts, true
			}
		}
	}
	return parts, false
}

// String formats the ARN.
func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.AccountID + ":" + a.Resource
}

// ResourceType returns the part of the resource before the first '/' (or
// ':'), such as "role" in "role/path/name"; empty when there is none.
func (a ARN) ResourceType() string {
	if i := strings.IndexAny(a.Resource, "/:"); i >= 0 {
		return a.Resource[:i]
	}
	return ""
}

// IsAccountID reports whether s is a 12-digit AWS account ID.
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Partitions lists the partitions AWS accepts in policy ARNs.
var Partitions = []string{"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}

// ValidPartition reports whether p is a known partition.
func ValidPartition(p string) bool {
	for _, q := range Partitions {
		if p == q {
			return true
		}
	}
	return false
}
