package iam

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/internal/directory"
)

// AWS's validation message for one field.
func invalidField(value, field, constraint string) *Error {
	return validationError("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, field, constraint)
}

var (
	namePattern = regexp.MustCompile(`^[\w+=,.@-]+$`)
	pathPattern = regexp.MustCompile(`^(\x2F|\x2F[\x21-\x7E]*\x2F)$`)
	tagKey      = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`)
	tagValue    = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

// checkName validates an entity name of at most max characters.
func checkName(name, field string, max int) error {
	if len(name) < 1 || len(name) > max {
		return invalidField(name, field, fmt.Sprintf("Member must have length less than or equal to %d", max))
	}
	if !namePattern.MatchString(name) {
		return invalidField(name, field, `Member must satisfy regular expression pattern: [\w+=,.@-]+`)
	}
	return nil
}

// checkPath validates a path and returns it, "/" when empty.
func checkPath(p *string, field string) (string, error) {
	if p == nil || *p == "" {
		return "/", nil
	}
	if len(*p) > 512 {
		return "", invalidField(*p, field, "Member must have length less than or equal to 512")
	}
	if !pathPattern.MatchString(*p) {
		return "", invalidField(*p, field, `Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`)
	}
	return *p, nil
}

// checkTags validates tags and returns them as directory tags.
func checkTags(tags []types.Tag) ([]directory.Tag, error) {
	if len(tags) > 50 {
		return nil, limitExceeded("Cannot exceed quota for TagsPerResource: 50")
	}
	out := make([]directory.Tag, 0, len(tags))
	seen := map[string]bool{}
	for _, t := range tags {
		k, v := deref(t.Key), deref(t.Value)
		switch {
		case len(k) < 1 || len(k) > 128 || !tagKey.MatchString(k):
			return nil, invalidField(k, "tags.member.key", `Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+ and have length between 1 and 128`)
		case len(v) > 256 || !tagValue.MatchString(v):
			return nil, invalidField(v, "tags.member.value", `Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]* and have length less than or equal to 256`)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			return nil, invalidInput("User-defined tag keys can't start with \"aws:\". This prefix is reserved for AWS tags.")
		case seen[strings.ToLower(k)]:
			return nil, invalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[strings.ToLower(k)] = true
		out = append(out, directory.Tag{Key: k, Value: v})
	}
	return out, nil
}

// mergeTags adds or replaces tags (keys compared case-insensitively).
func mergeTags(cur, add []directory.Tag) ([]directory.Tag, error) {
	out := append([]directory.Tag(nil), cur...)
	for _, t := range add {
		replaced := false
		for i := range out {
			if strings.EqualFold(out[i].Key, t.Key) {
				out[i] = t
				replaced = true
			}
		}
		if !replaced {
			out = append(out, t)
		}
	}
	if len(out) > 50 {
		return nil, limitExceeded("Cannot exceed quota for TagsPerResource: 50")
	}
	return out, nil
}

// removeTags drops the given keys.
func removeTags(cur []directory.Tag, keys []string) []directory.Tag {
	var out []directory.Tag
	for _, t := range cur {
		drop := false
		for _, k := range keys {
			if strings.EqualFold(t.Key, k) {
				drop = true
			}
		}
		if !drop {
			out = append(out, t)
		}
	}
	return out
}

// sdkTags converts directory tags to SDK tags.
func sdkTags(tags []directory.Tag) []types.Tag {
	out := make([]types.Tag, 0, len(tags))
	for _, t := range tags {
		out = append(out, types.Tag{Key: ptr(t.Key), Value: ptr(t.Value)})
	}
	return out
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func ptr[T any](v T) *T { return &v }
