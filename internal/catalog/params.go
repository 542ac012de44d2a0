package catalog

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// Param is one value of an input member found in a request.
type Param struct {
	// Name is the member's name as botocore spells it (TableName, Bucket,
	// QueueUrl), or a derived name (see Params).
	Name  string
	Value string
}

// Params are the values of an operation's top-level input members that a
// request carries: URI labels (unescaped), query-string members, header
// members, the top-level scalars and scalar lists of a JSON body, and the
// top-level scalars and scalar lists of a Query or EC2 form. A list
// contributes one Param per element, a map one Param per key (DynamoDB
// PutItem's Item: the attribute names; BatchWriteItem's RequestItems: the
// table names). Numbers and booleans keep their JSON text.
//
// Some parameters are derived, named as the overrides refer to them:
//
//	CopySource.Bucket, CopySource.Key, CopySource.VersionId    S3 x-amz-copy-source
//	Delete.Objects[].Key, Delete.Objects[].VersionedKey        S3 DeleteObjects' body (when given)
//	M[].K.F                                                    JSON list M of structures: member K's string field F
//	                                                           (DynamoDB TransactItems[].Put.TableName)
//	S.F                                                        JSON structure S's string field F
//	                                                           (DynamoDB ImportTable's TableCreationParameters.TableName)
type Params []Param

// Get returns the first value of name.
func (p Params) Get(name string) (string, bool) {
	for i := range p {
		if p[i].Name == name {
			return p[i].Value, true
		}
	}
	return "", false
}

// Has reports whether the request carries name.
func (p Params) Has(name string) bool {
	_, ok := p.Get(name)
	return ok
}

// All returns every value of name, in request order.
func (p Params) All(name string) []string {
	var out []string
	for i := range p {
		if p[i].Name == name {
			out = append(out, p[i].Value)
		}
	}
	return out
}

func (p Params) count(name string) int {
	n := 0
	for i := range p {
		if p[i].Name == name {
			n++
		}
	}
	return n
}

// jsonParams appends the top-level members of a JSON object body.
func (o *Operation) jsonParams(p Params, body []byte) (Params, error) {
	s := jsonScanner{b: body}
	s.ws()
	if s.i >= len(s.b) {
		return p, nil // no body: no members
	}
	if s.b[s.i] != '{' {
		return p, fmt.Errorf("catalog: %s: the JSON body is not an object", o.Name)
	}
	s.i++
	for {
		s.ws()
		if s.i < len(s.b) && s.b[s.i] == '}' {
			return p, nil
		}
		ks, ke, esc, err := s.str()
		if err != nil {
			return p, err
		}
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return p, errJSON
		}
		s.i++
		s.ws()
		m := o.wire[string(s.b[ks:ke])]
		if esc {
			m = o.wire[unquote(s.b[ks-1:ke+1])]
		}
		if p, err = s.value(p, m, o); err != nil {
			return p, err
		}
		s.ws()
		if s.i >= len(s.b) {
			return p, errJSON
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			return p, nil
		default:
			return p, errJSON
		}
	}
}

var errJSON = fmt.Errorf("catalog: malformed JSON body")

type jsonScanner struct {
	b []byte
	i int
}

func (s *jsonScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

// str scans a string at s.i and returns its contents' bounds and whether it
// has escapes.
func (s *jsonScanner) str() (start, end int, esc bool, err error) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return 0, 0, false, errJSON
	}
	s.i++
	start = s.i
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '\\':
			esc = true
			s.i += 2
			continue
		case '"':
			end = s.i
			s.i++
			return start, end, esc, nil
		}
		s.i++
	}
	return 0, 0, false, errJSON
}

func unquote(q []byte) string {
	var v string
	if json.Unmarshal(q, &v) != nil {
		return ""
	}
	return v
}

func (s *jsonScanner) strValue() (string, error) {
	start, end, esc, err := s.str()
	if err != nil {
		return "", err
	}
	if esc {
		return unquote(s.b[start-1 : end+1]), nil
	}
	return string(s.b[start:end]), nil
}

// value scans one value; when m is a member it records what Params keeps.
func (s *jsonScanner) value(p Params, m *Member, o *Operation) (Params, error) {
	if s.i >= len(s.b) {
		return p, errJSON
	}
	switch c := s.b[s.i]; {
	case c == '"':
		if m == nil {
			_, _, _, err := s.str()
			return p, err
		}
		v, err := s.strValue()
		if err != nil {
			return p, err
		}
		return append(p, Param{m.Name, v}), nil
	case c == '[':
		if m != nil && contains(o.deep, m.Name) {
			start := s.i
			if err := s.skip(); err != nil {
				return p, err
			}
			return flattenList(p, m.Name, s.b[start:s.i])
		}
		s.i++
		for {
			s.ws()
			if s.i < len(s.b) && s.b[s.i] == ']' {
				s.i++
				return p, nil
			}
			var err error
			if m != nil && s.i < len(s.b) && s.b[s.i] == '"' {
				var v string
				if v, err = s.strValue(); err == nil {
					p = append(p, Param{m.Name, v})
				}
			} else {
				err = s.skip()
			}
			if err != nil {
				return p, err
			}
			s.ws()
			if s.i < len(s.b) && s.b[s.i] == ',' {
				s.i++
			}
		}
	case c == '{':
		if m != nil && m.Type == "structure" && contains(o.deepS, m.Name) {
			start := s.i
			if err := s.skip(); err != nil {
				return p, err
			}
			return flattenStruct(p, m.Name, s.b[start:s.i])
		}
		if m == nil || m.Type != "map" {
			return p, s.skip()
		}
		s.i++
		for {
			s.ws()
			if s.i < len(s.b) && s.b[s.i] == '}' {
				s.i++
				return p, nil
			}
			k, err := s.strValue()
			if err != nil {
				return p, err
			}
			p = append(p, Param{m.Name, k})
			s.ws()
			if s.i >= len(s.b) || s.b[s.i] != ':' {
				return p, errJSON
			}
			s.i++
			s.ws()
			if err := s.skip(); err != nil {
				return p, err
			}
			s.ws()
			if s.i < len(s.b) && s.b[s.i] == ',' {
				s.i++
			}
		}
	default: // number, true, false, null
		start := s.i
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ',', '}', ']', ' ', '\t', '\r', '\n':
				goto done
			}
			s.i++
		}
	done:
		if m != nil && !(s.i-start == 4 && string(s.b[start:s.i]) == "null") {
			p = append(p, Param{m.Name, string(s.b[start:s.i])})
		}
		return p, nil
	}
}

// skip scans past one value of any kind.
func (s *jsonScanner) skip() error {
	if s.i >= len(s.b) {
		return errJSON
	}
	switch s.b[s.i] {
	case '"':
		_, _, _, err := s.str()
		return err
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				if _, _, _, err := s.str(); err != nil {
					return err
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return nil
				}
			}
			s.i++
		}
		return errJSON
	default:
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ',', '}', ']', ' ', '\t', '\r', '\n':
				return nil
			}
			s.i++
		}
		return nil
	}
}

// flattenList records, for a list of structures M, each element's string
// fields as M[].F and its structure members' string fields as M[].K.F.
func flattenList(p Params, name string, raw []byte) (Params, error) {
	var elems []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return p, fmt.Errorf("catalog: %s: %w", name, err)
	}
	for _, e := range elems {
		for _, k := range sortedKeys(e) {
			v := e[k]
			var str string
			if json.Unmarshal(v, &str) == nil {
				p = append(p, Param{name + "[]." + k, str})
				continue
			}
			var sub map[string]json.RawMessage
			if json.Unmarshal(v, &sub) != nil {
				continue
			}
			for _, f := range sortedKeys(sub) {
				if json.Unmarshal(sub[f], &str) == nil {
					p = append(p, Param{name + "[]." + k + "." + f, str})
				}
			}
		}
	}
	return p, nil
}

// flattenStruct records a structure S's string fields as S.F.
func flattenStruct(p Params, name string, raw []byte) (Params, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return p, fmt.Errorf("catalog: %s: %w", name, err)
	}
	for _, k := range sortedKeys(fields) {
		var str string
		if json.Unmarshal(fields[k], &str) == nil {
			p = append(p, Param{name + "." + k, str})
		}
	}
	return p, nil
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

// formParams appends the members of a Query or EC2 form (or query string):
// Name=v for scalars, Name.member.N=v, Name.N=v for scalar lists.
func (o *Operation) formParams(p Params, form string) Params {
	for form != "" {
		var kv string
		kv, form, _ = strings.Cut(form, "&")
		k, v, _ := strings.Cut(kv, "=")
		if k == "" || k == "Action" || k == "Version" {
			continue
		}
		if strings.ContainsAny(k, "%+") {
			if uk, err := url.QueryUnescape(k); err == nil {
				k = uk
			}
		}
		top, rest, dotted := strings.Cut(k, ".")
		m := o.wire[top]
		if m == nil {
			continue
		}
		if dotted {
			if m.Type != "list" || !listIndex(rest) {
				continue
			}
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		p = append(p, Param{m.Name, v})
	}
	return p
}

// listIndex reports whether rest is "N" or "member.N".
func listIndex(rest string) bool {
	rest = strings.TrimPrefix(rest, "member.")
	if rest == "" {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if rest[i] < '0' || rest[i] > '9' {
			return false
		}
	}
	return true
}
