package audit

import (
	"bytes"
	"encoding/json"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Limits bound what a record keeps of a request: each value is clipped
// at MaxValue bytes, and parameters past MaxTotal bytes of JSON are left
// out (the record's additionalEventData then says so).
type Limits struct {
	MaxValue int
	MaxTotal int
}

// Limits for authenticated callers and for requests whose caller is not
// (yet) known: an unauthenticated client gets a smaller record.
var (
	AuthenticatedLimits   = Limits{MaxValue: 10 << 10, MaxTotal: 32 << 10}
	UnauthenticatedLimits = Limits{MaxValue: 256, MaxTotal: 4 << 10}
)

// Parameters are a request's parameters as a record keeps them: JSON with
// lower-camel names and every secret replaced by Hidden.
type Parameters struct {
	JSON json.RawMessage
	// Truncated says parameters were left out to keep within MaxTotal.
	Truncated bool
	// Secrets are the values that were hidden (at least 4 bytes long),
	// so that an error message quoting one can be scrubbed (Scrub).
	Secrets []string
}

// Scrub replaces every hidden secret value quoted in msg by Hidden.
func (p *Parameters) Scrub(msg string) string {
	for _, s := range p.Secrets {
		if len(s) >= 4 {
			msg = strings.ReplaceAll(msg, s, Hidden)
		}
	}
	return msg
}

// secretSuffixes end the (lower-cased) names of parameters and response
// fields that hold secrets: secret keys, session and web-identity tokens,
// passwords, private keys, SAML assertions, MFA seeds and codes.
var secretSuffixes = []string{
	// "token" covers session, security, web-identity and authorization
	// tokens; "assertion" SAML's; "seed" Base32StringSeed.
	"secretaccesskey", "secret", "secretstring", "secretbinary", "token", "tokencode",
	"password", "passphrase", "privatekey", "assertion", "seed", "qrcodepng",
	"authenticationcode1", "authenticationcode2",
}

// notSecret are names that end like a secret's but are not: pagination
// and idempotency tokens.
var notSecret = map[string]bool{
	"nexttoken": true, "clientrequesttoken": true, "idempotencytoken": true,
	"continuationtoken": true, "paginationtoken": true, "starttoken": true,
}

// IsSecret reports whether a parameter or field of this name holds a
// secret (case and punctuation are ignored).
func IsSecret(name string) bool {
	var buf [64]byte
	k := buf[:0]
	for i := 0; i < len(name) && len(k) < len(buf); i++ {
		c := name[i]
		switch {
		case 'A' <= c && c <= 'Z':
			k = append(k, c+'a'-'A')
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			k = append(k, c)
		}
	}
	if notSecret[string(k)] {
		return false
	}
	for _, s := range secretSuffixes {
		if len(k) >= len(s) && string(k[len(k)-len(s):]) == s {
			return true
		}
	}
	return false
}

// LowerCamel is a Go or wire name in CloudTrail's spelling: the leading
// capitals lowered ("RoleArn" → "roleArn", "ARN" → "arn",
// "SAMLProviderArn" → "samlProviderArn").
func LowerCamel(name string) string {
	if name == "" || !('A' <= name[0] && name[0] <= 'Z') {
		return name
	}
	n := 0
	for n < len(name) && 'A' <= name[n] && name[n] <= 'Z' {
		n++
	}
	if n > 1 && n < len(name) && unicode.IsLower(rune(name[n])) {
		n-- // the last capital starts the next word
	}
	b := []byte(name)
	for i := 0; i < n; i++ {
		b[i] += 'a' - 'A'
	}
	return string(b)
}

// appendLowerCamel appends LowerCamel(name) as a JSON string, without
// making the string.
func appendLowerCamel(b []byte, name string) []byte {
	start := len(b) + 1 // after the quote
	b = appendString(b, name)
	n := 0
	for n < len(name) && 'A' <= name[n] && name[n] <= 'Z' {
		n++
	}
	if n > 1 && n < len(name) && unicode.IsLower(rune(name[n])) {
		n--
	}
	for i := 0; i < n; i++ {
		b[start+i] += 'a' - 'A' // capitals are never escaped: same place
	}
	return b
}

// QueryParameters converts an AWS Query request's form (less Action and
// Version) into CloudTrail's requestParameters: "RoleArn" becomes
// "roleArn", "Tags.member.1.Key" becomes "tags": [{"key": …}]. The JSON
// is appended to dst (which may be nil): a caller that writes the record
// before it reuses dst saves the allocation.
func QueryParameters(dst []byte, form url.Values, lim Limits) Parameters {
	var p Parameters
	var few [16]string
	keys := few[:0]
	nested := false
	for k := range form {
		if k == "Action" || k == "Version" {
			continue
		}
		keys = append(keys, k)
		nested = nested || strings.IndexByte(k, '.') >= 0
	}
	if len(keys) == 0 {
		return p
	}
	slices.Sort(keys)
	if !nested {
		start := len(dst)
		b := append(dst, '{')
		for i, k := range keys {
			entry := len(b)
			if i > 0 {
				b = append(b, ',')
			}
			b = appendLowerCamel(b, k)
			b = append(b, ':')
			b = p.appendValue(b, k, form.Get(k), lim)
			if len(b)-start > lim.MaxTotal {
				b, p.Truncated = b[:entry], true
				break
			}
		}
		b = append(b, '}')
		p.JSON = b[start:len(b):len(b)]
		return p
	}
	root := &qnode{}
	for _, k := range keys {
		n := root
		secret := false
		for _, seg := range strings.Split(k, ".") {
			if seg == "member" || seg == "entry" {
				n.array = true
				continue
			}
			secret = secret || IsSecret(seg)
			if !n.array {
				seg = LowerCamel(seg)
			}
			n = n.child(seg)
		}
		n.leaf, n.value, n.secret = true, form.Get(k), secret
	}
	b := p.appendNode(dst, root, lim)
	if len(b)-len(dst) > lim.MaxTotal {
		b, p.Truncated = append(dst, "{}"...), true
	}
	p.JSON = b[len(dst):len(b):len(b)]
	return p
}

// appendValue appends a parameter's value: clipped, or Hidden.
func (p *Parameters) appendValue(b []byte, name, v string, lim Limits) []byte {
	if IsSecret(name) {
		if len(v) >= 4 {
			p.Secrets = append(p.Secrets, v)
		}
		return appendString(b, Hidden)
	}
	return appendString(b, Clip(v, lim.MaxValue))
}

// qnode is a node of a Query request's parameters as a tree.
type qnode struct {
	leaf, secret, array bool
	value               string
	names               []string
	kids                map[string]*qnode
}

func (n *qnode) child(name string) *qnode {
	if c, ok := n.kids[name]; ok {
		return c
	}
	if n.kids == nil {
		n.kids = map[string]*qnode{}
	}
	c := &qnode{}
	n.kids[name] = c
	n.names = append(n.names, name)
	return c
}

func (p *Parameters) appendNode(b []byte, n *qnode, lim Limits) []byte {
	if n.leaf {
		if n.secret {
			if len(n.value) >= 4 {
				p.Secrets = append(p.Secrets, n.value)
			}
			return appendString(b, Hidden)
		}
		return appendString(b, Clip(n.value, lim.MaxValue))
	}
	if n.array {
		sort.Slice(n.names, func(i, j int) bool {
			a, _ := strconv.Atoi(n.names[i])
			c, _ := strconv.Atoi(n.names[j])
			return a < c
		})
		b = append(b, '[')
		for i, name := range n.names {
			if i > 0 {
				b = append(b, ',')
			}
			b = p.appendNode(b, n.kids[name], lim)
		}
		return append(b, ']')
	}
	b = append(b, '{')
	for i, name := range n.names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, name)
		b = append(b, ':')
		b = p.appendNode(b, n.kids[name], lim)
	}
	return append(b, '}')
}

// JSONParameters converts a REST-JSON request's body and its path and
// query parameters (already named as CloudTrail names them) into
// requestParameters, with every secret hidden. A body that is not a JSON
// object is left out.
func JSONParameters(body []byte, path map[string]string, lim Limits) Parameters {
	var p Parameters
	obj := map[string]any{}
	if len(bytes.TrimSpace(body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&obj); err != nil {
			obj = map[string]any{}
		}
	}
	for k, v := range path {
		obj[k] = v
	}
	if len(obj) == 0 {
		return p
	}
	for k, v := range obj {
		obj[k] = p.redact(k, v, lim, 0)
	}
	b, err := json.Marshal(obj)
	if err != nil || len(b) > lim.MaxTotal {
		b, p.Truncated = []byte("{}"), true
	}
	p.JSON = b
	return p
}

// maxDepth bounds how deep a record follows nested values.
const maxDepth = 16

func (p *Parameters) redact(name string, v any, lim Limits, depth int) any {
	if IsSecret(name) {
		if s, ok := v.(string); ok && len(s) >= 4 {
			p.Secrets = append(p.Secrets, s)
		}
		return Hidden
	}
	if depth >= maxDepth {
		return nil
	}
	switch x := v.(type) {
	case string:
		return Clip(x, lim.MaxValue)
	case map[string]any:
		for k, e := range x {
			x[k] = p.redact(k, e, lim, depth+1)
		}
	case []any:
		for i, e := range x {
			x[i] = p.redact(name, e, lim, depth+1)
		}
	}
	return v
}

// Elements encodes an operation's output as responseElements: exported
// fields in lower-camel (or their json tag's name), nil and empty values
// left out, and every secret field left out entirely. Output past max
// bytes is nil (null).
func Elements(v any, max int) json.RawMessage {
	if v == nil {
		return nil
	}
	rv := reflect.ValueOf(v)
	b, ok := appendElement(make([]byte, 0, 256), rv, 0, max)
	if !ok || len(b) > max || string(b) == "{}" {
		return nil
	}
	return b
}

var (
	timeType      = reflect.TypeFor[time.Time]()
	marshalerType = reflect.TypeFor[json.Marshaler]()
)

// field is a struct field as responseElements show it.
type field struct {
	index int
	key   string // its JSON name, quoted, and a colon
}

// fields caches the fields of each struct type an output holds.
var fields sync.Map // reflect.Type → []field

// fieldsOf returns the fields of a struct type that responseElements
// show: exported, not secret, not the SDK's ResultMetadata, named by
// their json tag or in lower camel case.
func fieldsOf(t reflect.Type) []field {
	if f, ok := fields.Load(t); ok {
		return f.([]field)
	}
	var out []field
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() || f.Name == "ResultMetadata" || IsSecret(f.Name) {
			continue
		}
		name := LowerCamel(f.Name)
		if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag == "-" {
			continue
		} else if tag != "" {
			if IsSecret(tag) {
				continue
			}
			name = tag
		}
		out = append(out, field{index: i, key: string(appendString(nil, name)) + ":"})
	}
	fields.Store(t, out)
	return out
}

// appendElement appends v; ok is false for a value to leave out.
func appendElement(b []byte, v reflect.Value, depth, max int) ([]byte, bool) {
	if depth > maxDepth || len(b) > max {
		return b, false
	}
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return b, false
		}
		v = v.Elem()
	}
	t := v.Type()
	if t == timeType {
		return appendTime(b, v.Interface().(time.Time)), true
	}
	if t.Implements(marshalerType) {
		out, err := v.Interface().(json.Marshaler).MarshalJSON()
		if err != nil || !json.Valid(out) {
			return b, false
		}
		return append(b, out...), true
	}
	switch v.Kind() {
	case reflect.String:
		return appendString(b, v.String()), true
	case reflect.Bool:
		return appendBool(b, v.Bool()), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(b, v.Int(), 10), true
	case reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.AppendUint(b, v.Uint(), 10), true
	case reflect.Float32, reflect.Float64:
		return strconv.AppendFloat(b, v.Float(), 'g', -1, 64), true
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return b, false // bytes: images, seeds, blobs
		}
		b = append(b, '[')
		n := 0
		for i := 0; i < v.Len(); i++ {
			mark := len(b)
			if n > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendElement(b, v.Index(i), depth+1, max); !ok {
				b = b[:mark]
				continue
			}
			n++
		}
		return append(b, ']'), true
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return b, false
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		b = append(b, '{')
		n := 0
		for _, k := range keys {
			if IsSecret(k.String()) {
				continue
			}
			mark := len(b)
			if n > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k.String())
			b = append(b, ':')
			var ok bool
			if b, ok = appendElement(b, v.MapIndex(k), depth+1, max); !ok {
				b = b[:mark]
				continue
			}
			n++
		}
		return append(b, '}'), true
	case reflect.Struct:
		b = append(b, '{')
		n := 0
		for _, f := range fieldsOf(t) {
			fv := v.Field(f.index)
			if fv.Kind() == reflect.String && fv.Len() == 0 {
				continue
			}
			mark := len(b)
			if n > 0 {
				b = append(b, ',')
			}
			b = append(b, f.key...)
			var ok bool
			if b, ok = appendElement(b, fv, depth+1, max); !ok {
				b = b[:mark]
				continue
			}
			n++
		}
		return append(b, '}'), true
	}
	return b, false
}
