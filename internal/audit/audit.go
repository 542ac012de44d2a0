// Package audit owns the audit trail: CloudTrail-format records of every
// API call (allowed or refused, signed or not), the file sink that writes
// them one JSON object a line with size-based rotation, and the queries
// over that file and its rotated predecessors (`assumed trail`).
//
// It imports the standard library only: the server fills Records, the sink
// encodes and writes them off the request path.
package audit

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Record values CloudTrail uses.
const (
	// EventVersion is the version of the record format.
	EventVersion = "1.09"
	// EventTypeAPICall is the eventType of an API call.
	EventTypeAPICall = "AwsApiCall"
	// CategoryManagement and CategoryData are the eventCategory values:
	// control-plane calls, and calls on the data in resources (S3 objects,
	// DynamoDB items, Lambda invocations).
	CategoryManagement = "Management"
	CategoryData       = "Data"
	// Hidden replaces a secret in requestParameters, as CloudTrail writes
	// it.
	Hidden = "HIDDEN_DUE_TO_SECURITY_REASONS"
)

// userIdentity.type values.
const (
	IdentityRoot            = "Root"
	IdentityIAMUser         = "IAMUser"
	IdentityAssumedRole     = "AssumedRole"
	IdentityWebIdentityUser = "WebIdentityUser"
	IdentityAWSAccount      = "AWSAccount" // the caller's account, in the resource owner's copy
	IdentityAWSService      = "AWSService"
	IdentityUnknown         = "Unknown" // the request's signature named no known identity
)

// Record is one API call as CloudTrail records it. The JSON names are
// CloudTrail's; a cross-account call is two Records, one per account, with
// the same SharedEventID and RequestID.
type Record struct {
	EventVersion        string          `json:"eventVersion"`
	UserIdentity        UserIdentity    `json:"userIdentity"`
	EventTime           time.Time       `json:"eventTime"`
	EventSource         string          `json:"eventSource"`
	EventName           string          `json:"eventName"`
	AWSRegion           string          `json:"awsRegion"`
	SourceIPAddress     string          `json:"sourceIPAddress"`
	UserAgent           string          `json:"userAgent"`
	ErrorCode           string          `json:"errorCode,omitempty"`
	ErrorMessage        string          `json:"errorMessage,omitempty"`
	RequestParameters   json.RawMessage `json:"requestParameters"`
	ResponseElements    json.RawMessage `json:"responseElements"`
	AdditionalEventData json.RawMessage `json:"additionalEventData,omitempty"`
	RequestID           string          `json:"requestID"`
	EventID             string          `json:"eventID"`
	ReadOnly            bool            `json:"readOnly"`
	Resources           []Resource      `json:"resources,omitempty"`
	EventType           string          `json:"eventType"`
	ManagementEvent     bool            `json:"managementEvent"`
	RecipientAccountID  string          `json:"recipientAccountId"`
	SharedEventID       string          `json:"sharedEventID,omitempty"`
	EventCategory       string          `json:"eventCategory"`
	TLSDetails          *TLSDetails     `json:"tlsDetails,omitempty"`
}

// UserIdentity is who made the call.
type UserIdentity struct {
	Type             string          `json:"type"`
	PrincipalID      string          `json:"principalId,omitempty"`
	ARN              string          `json:"arn,omitempty"`
	AccountID        string          `json:"accountId,omitempty"`
	AccessKeyID      string          `json:"accessKeyId,omitempty"`
	UserName         string          `json:"userName,omitempty"`
	IdentityProvider string          `json:"identityProvider,omitempty"`
	SessionContext   *SessionContext `json:"sessionContext,omitempty"`
	InvokedBy        string          `json:"invokedBy,omitempty"`
}

// SessionContext describes the temporary credentials a call was signed
// with.
type SessionContext struct {
	SessionIssuer       *SessionIssuer       `json:"sessionIssuer,omitempty"`
	WebIDFederationData *WebIDFederationData `json:"webIdFederationData,omitempty"`
	Attributes          SessionAttributes    `json:"attributes"`
	SourceIdentity      string               `json:"sourceIdentity,omitempty"`
}

// SessionIssuer is the role (or user) whose credentials made the session.
type SessionIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

// WebIDFederationData names the identity provider of a session from
// AssumeRoleWithWebIdentity.
type WebIDFederationData struct {
	FederatedProvider string            `json:"federatedProvider"`
	Attributes        map[string]string `json:"attributes"`
}

// SessionAttributes are when the session was made and whether with MFA
// (CloudTrail writes "true" or "false").
type SessionAttributes struct {
	CreationDate     time.Time `json:"creationDate"`
	MFAAuthenticated string    `json:"mfaAuthenticated"`
}

// Resource is a resource the call acted on.
type Resource struct {
	ARN       string `json:"ARN"`
	AccountID string `json:"accountId"`
	Type      string `json:"type,omitempty"`
}

// TLSDetails describes the connection of a call made over TLS.
type TLSDetails struct {
	TLSVersion               string `json:"tlsVersion"`
	CipherSuite              string `json:"cipherSuite"`
	ClientProvidedHostHeader string `json:"clientProvidedHostHeader"`
}

// timeLayout is CloudTrail's: UTC, whole seconds.
const timeLayout = "2006-01-02T15:04:05Z"

// MarshalJSON encodes the record as AppendJSON does.
func (r *Record) MarshalJSON() ([]byte, error) { return r.AppendJSON(nil), nil }

// AppendJSON appends the record's JSON (one line, no newline) to b. It is
// the encoding the sink writes: hand-written, with no reflection, because
// every request pays for it.
func (r *Record) AppendJSON(b []byte) []byte { return r.appendJSON(b, nil) }

// marks are where, in a record's encoding, the fields a cross-account
// copy changes lie: [start, end) offsets into the buffer.
type marks struct {
	identity, eventID, recipient [2]int
}

// appendJSON is AppendJSON, noting in m (when not nil) where the fields
// a Copy replaces were written.
func (r *Record) appendJSON(b []byte, m *marks) []byte {
	b = append(b, `{"eventVersion":`...)
	b = appendString(b, r.EventVersion)
	b = append(b, `,"userIdentity":`...)
	if m != nil {
		m.identity[0] = len(b)
	}
	b = r.UserIdentity.appendJSON(b)
	if m != nil {
		m.identity[1] = len(b)
	}
	b = append(b, `,"eventTime":`...)
	b = appendTime(b, r.EventTime)
	b = appendField(b, "eventSource", r.EventSource)
	b = appendField(b, "eventName", r.EventName)
	b = appendField(b, "awsRegion", r.AWSRegion)
	b = appendField(b, "sourceIPAddress", r.SourceIPAddress)
	b = appendField(b, "userAgent", r.UserAgent)
	b = appendOptional(b, "errorCode", r.ErrorCode)
	b = appendOptional(b, "errorMessage", r.ErrorMessage)
	b = append(b, `,"requestParameters":`...)
	b = appendRaw(b, r.RequestParameters)
	b = append(b, `,"responseElements":`...)
	b = appendRaw(b, r.ResponseElements)
	if len(r.AdditionalEventData) > 0 {
		b = append(b, `,"additionalEventData":`...)
		b = appendRaw(b, r.AdditionalEventData)
	}
	b = appendField(b, "requestID", r.RequestID)
	b = append(b, `,"eventID":`...)
	if m != nil {
		m.eventID[0] = len(b)
	}
	b = appendString(b, r.EventID)
	if m != nil {
		m.eventID[1] = len(b)
	}
	b = append(b, `,"readOnly":`...)
	b = appendBool(b, r.ReadOnly)
	if len(r.Resources) > 0 {
		b = append(b, `,"resources":[`...)
		for i, res := range r.Resources {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"ARN":`...)
			b = appendString(b, res.ARN)
			b = appendField(b, "accountId", res.AccountID)
			b = appendOptional(b, "type", res.Type)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = appendField(b, "eventType", r.EventType)
	b = append(b, `,"managementEvent":`...)
	b = appendBool(b, r.ManagementEvent)
	b = append(b, `,"recipientAccountId":`...)
	if m != nil {
		m.recipient[0] = len(b)
	}
	b = appendString(b, r.RecipientAccountID)
	if m != nil {
		m.recipient[1] = len(b)
	}
	b = appendOptional(b, "sharedEventID", r.SharedEventID)
	b = appendField(b, "eventCategory", r.EventCategory)
	if t := r.TLSDetails; t != nil {
		b = append(b, `,"tlsDetails":{"tlsVersion":`...)
		b = appendString(b, t.TLSVersion)
		b = appendField(b, "cipherSuite", t.CipherSuite)
		b = appendField(b, "clientProvidedHostHeader", t.ClientProvidedHostHeader)
		b = append(b, '}')
	}
	return append(b, '}')
}

// Copy is what the resource owner's record of a cross-account call
// changes of the caller's: CloudTrail delivers the call to both accounts,
// with one sharedEventID, and the owner sees the caller as another
// account's principal, under an eventID of its own.
type Copy struct {
	UserIdentity       UserIdentity
	EventID            string
	RecipientAccountID string
}

// Apply returns the record with c's fields: the owner's record, whole.
func (c *Copy) Apply(r *Record) *Record {
	o := *r
	o.UserIdentity, o.EventID, o.RecipientAccountID = c.UserIdentity, c.EventID, c.RecipientAccountID
	return &o
}

// AppendShared appends r's line and then the line of its copy for
// another account (each ending in a newline). The copy's line is r's with
// its three differing fields spliced in, not encoded again: a
// cross-account AssumeRole writes both on the hot path.
func AppendShared(b []byte, r *Record, c *Copy) []byte {
	start := len(b)
	var m marks
	b = r.appendJSON(b, &m)
	end := len(b)
	b = append(b, '\n')
	// append(b, b[i:j]...) is safe while b grows: the source is read
	// from the old array when append moves b.
	b = append(b, b[start:m.identity[0]]...)
	b = c.UserIdentity.appendJSON(b)
	b = append(b, b[m.identity[1]:m.eventID[0]]...)
	b = appendString(b, c.EventID)
	b = append(b, b[m.eventID[1]:m.recipient[0]]...)
	b = appendString(b, c.RecipientAccountID)
	b = append(b, b[m.recipient[1]:end]...)
	return append(b, '\n')
}

func (u *UserIdentity) appendJSON(b []byte) []byte {
	b = append(b, `{"type":`...)
	b = appendString(b, u.Type)
	b = appendOptional(b, "principalId", u.PrincipalID)
	b = appendOptional(b, "arn", u.ARN)
	b = appendOptional(b, "accountId", u.AccountID)
	b = appendOptional(b, "accessKeyId", u.AccessKeyID)
	b = appendOptional(b, "userName", u.UserName)
	b = appendOptional(b, "identityProvider", u.IdentityProvider)
	if sc := u.SessionContext; sc != nil {
		b = append(b, `,"sessionContext":{`...)
		if si := sc.SessionIssuer; si != nil {
			b = append(b, `"sessionIssuer":{"type":`...)
			b = appendString(b, si.Type)
			b = appendField(b, "principalId", si.PrincipalID)
			b = appendField(b, "arn", si.ARN)
			b = appendField(b, "accountId", si.AccountID)
			b = appendField(b, "userName", si.UserName)
			b = append(b, "},"...)
		}
		if wf := sc.WebIDFederationData; wf != nil {
			b = append(b, `"webIdFederationData":{"federatedProvider":`...)
			b = appendString(b, wf.FederatedProvider)
			b = append(b, `,"attributes":{`...)
			for i, k := range slices.Sorted(maps.Keys(wf.Attributes)) {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendString(b, k)
				b = append(b, ':')
				b = appendString(b, wf.Attributes[k])
			}
			b = append(b, "}},"...)
		}
		b = append(b, `"attributes":{"creationDate":`...)
		b = appendTime(b, sc.Attributes.CreationDate)
		b = appendField(b, "mfaAuthenticated", sc.Attributes.MFAAuthenticated)
		b = append(b, '}')
		b = appendOptional(b, "sourceIdentity", sc.SourceIdentity)
		b = append(b, '}')
	}
	b = appendOptional(b, "invokedBy", u.InvokedBy)
	return append(b, '}')
}

// AppendString appends v as a JSON string.
func AppendString(b []byte, v string) []byte { return appendString(b, v) }

// AppendTime appends t as a JSON string in CloudTrail's form
// (2006-01-02T15:04:05Z).
func AppendTime(b []byte, t time.Time) []byte { return appendTime(b, t) }

func appendField(b []byte, name, v string) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendString(b, v)
}

func appendOptional(b []byte, name, v string) []byte {
	if v == "" {
		return b
	}
	return appendField(b, name, v)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

// appendTime appends t in timeLayout, quoted (by hand: every record has
// a few).
func appendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	hour, min, sec := t.Clock()
	if year < 0 || year > 9999 {
		b = append(b, '"')
		b = t.AppendFormat(b, timeLayout)
		return append(b, '"')
	}
	b = append(b, '"', byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+int(month)/10), byte('0'+int(month)%10), '-', byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hour/10), byte('0'+hour%10), ':', byte('0'+min/10), byte('0'+min%10), ':', byte('0'+sec/10), byte('0'+sec%10), 'Z', '"')
	return b
}

// appendRaw appends pre-encoded JSON, or null.
func appendRaw(b []byte, raw json.RawMessage) []byte {
	if len(raw) == 0 {
		return append(b, "null"...)
	}
	return append(b, raw...)
}

const hex = "0123456789abcdef"

// lsb8 and msb8 are each byte's lowest and highest bit of a word of
// eight bytes: with no byte's high bit set, (x - c*lsb8) & msb8 is non-zero
// exactly when some byte of x is below c, (x^c*lsb8 - lsb8) & msb8 when
// some byte equals c.
const (
	lsb8 = 0x0101010101010101
	msb8 = 0x8080808080808080
)

// plain are the ASCII bytes a JSON string holds as they are.
var plain = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendString appends v as a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 replaced, U+2028 and U+2029
// escaped (as encoding/json does).
func appendString(b []byte, v string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(v); {
		// Eight bytes at a time while all are plain ASCII: none below
		// 0x20, none '"' or '\\', none ≥ 0x80. Records are mostly ARNs and
		// IDs: this is where their encoding spends its time.
		for i+8 <= len(v) {
			x := uint64(v[i]) | uint64(v[i+1])<<8 | uint64(v[i+2])<<16 | uint64(v[i+3])<<24 |
				uint64(v[i+4])<<32 | uint64(v[i+5])<<40 | uint64(v[i+6])<<48 | uint64(v[i+7])<<56
			if x&msb8 != 0 || ((x-0x20*lsb8)|((x^'"'*lsb8)-lsb8)|((x^'\\'*lsb8)-lsb8))&msb8 != 0 {
				break
			}
			i += 8
		}
		if i >= len(v) {
			break
		}
		c := v[i]
		if c < utf8.RuneSelf {
			if plain[c] {
				i++
				continue
			}
			b = append(b, v[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(v[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, v[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, v[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, v[start:]...)
	return append(b, '"')
}

// Clip returns v, or its first max bytes (cut on a UTF-8 boundary) and
// how long it was: every client-supplied value in a record is clipped.
func Clip(v string, max int) string {
	if len(v) <= max {
		return v
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(v[cut]) {
		cut--
	}
	return v[:cut] + "…(" + itoa(len(v)) + " bytes in all)"
}

func itoa(n int) string {
	var buf [20]byte
	i := len(buf)
	if n == 0 {
		return "0"
	}
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return string(buf[i:])
}

// IsAccessDenied reports whether an error code is a refusal by policy:
// AccessDenied and its spellings in AWS's protocols (the JSON and
// REST-JSON services' AccessDeniedException, EC2's UnauthorizedOperation),
// as `assumed trail --denied` selects them.
func IsAccessDenied(code string) bool {
	switch strings.TrimPrefix(code, "Client.") {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess", "AuthorizationError", "AuthorizationErrorException":
		return true
	}
	return false
}
