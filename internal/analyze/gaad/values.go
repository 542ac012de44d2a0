package gaad

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// errMissing is a member the file lacks, or holds null.
var errMissing = errors.New("missing")

// document reads a policy document in either form AWS hands it out: a
// JSON object (the AWS CLI and boto3 decode documents before they print
// them), or a string holding the document URL-encoded (the raw API) or
// as plain JSON text. A decoded object is kept compact, in its members'
// order; a string is kept as AWS stored it.
func document(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", errMissing
	}
	switch raw[0] {
	case '{':
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return "", fmt.Errorf("not valid JSON: %w", err)
		}
		return b.String(), nil
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("not a JSON string: %w", err)
		}
		return textDocument(s)
	}
	return "", fmt.Errorf("a JSON %s: want a policy document, a JSON object or its URL-encoded text", jsonType(raw))
}

// textDocument reads a document given as a string: JSON text as it is,
// else URL-encoded JSON text (AWS encodes as RFC 3986 does, spaces as
// %20, so '+' stays '+').
func textDocument(s string) (string, error) {
	if strings.HasPrefix(strings.TrimSpace(s), "{") {
		return s, nil
	}
	doc, err := url.PathUnescape(s)
	if err != nil {
		return "", fmt.Errorf("neither JSON nor URL-encoded JSON: %w", err)
	}
	if !strings.HasPrefix(strings.TrimSpace(doc), "{") {
		return "", fmt.Errorf("neither JSON nor URL-encoded JSON: it starts %q", clip(s, 20))
	}
	return doc, nil
}

// jsonType names the JSON type of a value.
func jsonType(raw json.RawMessage) string {
	switch raw[0] {
	case '[':
		return "list"
	case 't', 'f':
		return "boolean"
	case '"':
		return "string"
	case '{':
		return "object"
	}
	return "number"
}

// clip shortens s to n bytes for a message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// dateLayouts are the forms dates take: AWS's (2023-04-05T06:07:08Z, or
// +00:00 as the AWS CLI prints it, fractions allowed) and Python's
// str(datetime), which `json.dumps(…, default=str)` of boto3's answer
// writes.
var dateLayouts = []string{time.RFC3339, "2006-01-02 15:04:05Z07:00", "2006-01-02T15:04:05", "2006-01-02 15:04:05"}

// date reads a date: a string in one of dateLayouts (without a zone:
// UTC), or a number of seconds since 1970 (the raw API's JSON form).
func date(raw json.RawMessage) (time.Time, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, errMissing
	}
	if raw[0] != '"' {
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil || f < 0 || f > 1e11 {
			return time.Time{}, fmt.Errorf("%s is not a date", clip(string(raw), 40))
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return time.Time{}, fmt.Errorf("not a JSON string: %w", err)
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date (want 2006-01-02T15:04:05Z)", clip(s, 40))
}

// versionID is a managed policy's version ID.
var versionID = regexp.MustCompile(`^v([1-9][0-9]{0,8})$`)

// versionNumber is the number of a version ID ("v3": 3), or 0 when it is
// not one.
func versionNumber(id string) int {
	m := versionID.FindStringSubmatch(id)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// uniqueID checks a unique ID's form: its family's prefix and upper-case
// letters and digits, 16 to 128 characters in all.
func uniqueID(id, prefix string) error {
	switch {
	case id == "":
		return errMissing
	case !strings.HasPrefix(id, prefix):
		return fmt.Errorf("%q does not start with %s", id, prefix)
	case len(id) < 16 || len(id) > 128 || strings.IndexFunc(id, func(r rune) bool { return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') }) >= 0:
		return fmt.Errorf("%q is not a unique ID (upper-case letters and digits, 16 to 128 of them)", id)
	}
	return nil
}
