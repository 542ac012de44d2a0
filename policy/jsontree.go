package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// jkind is the JSON type of a node.
type jkind uint8

const (
	jNull jkind = iota
	jBool
	jNumber
	jString
	jArray
	jObject
)

func (k jkind) String() string {
	return [...]string{"null", "boolean", "number", "string", "array", "object"}[k]
}

// jnode is a JSON value that keeps object members in document order, so
// that validation can report duplicates and speak of elements as written.
type jnode struct {
	kind   jkind
	text   string // string value, number literal, or "true"/"false"
	fields []jfield
	items  []*jnode
}

type jfield struct {
	key string
	val *jnode
}

// get returns the member named key, or nil.
func (n *jnode) get(key string) *jnode {
	for i := range n.fields {
		if n.fields[i].key == key {
			return n.fields[i].val
		}
	}
	return nil
}

// maxDepth bounds nesting; no valid policy comes close.
const maxDepth = 32

// errDuplicateKey marks a repeated member name.
var errDuplicateKey = errors.New("duplicate key")

// decodeJSON parses doc into a tree. It rejects trailing data, repeated keys
// within one object and nesting deeper than maxDepth.
func decodeJSON(doc string) (*jnode, error) {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	n, err := decodeValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("unexpected data after the policy object")
	}
	return n, nil
}

func decodeValue(dec *json.Decoder, depth int) (*jnode, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("nesting deeper than %d levels", maxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &jnode{kind: jObject}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key is not a string")
				}
				if n.get(key) != nil {
					return nil, fmt.Errorf("%w %q", errDuplicateKey, key)
				}
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.fields = append(n.fields, jfield{key, v})
			}
			if _, err := dec.Token(); err != nil { // '}'
				return nil, err
			}
			return n, nil
		case '[':
			n := &jnode{kind: jArray}
			for dec.More() {
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, v)
			}
			if _, err := dec.Token(); err != nil { // ']'
				return nil, err
			}
			return n, nil
		}
		return nil, fmt.Errorf("unexpected %q", t)
	case string:
		return &jnode{kind: jString, text: t}, nil
	case json.Number:
		return &jnode{kind: jNumber, text: t.String()}, nil
	case bool:
		if t {
			return &jnode{kind: jBool, text: "true"}, nil
		}
		return &jnode{kind: jBool, text: "false"}, nil
	case nil:
		return &jnode{kind: jNull}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// looksLikeJSONObject reports whether doc starts, after white space, with
// '{'. AWS answers "This policy contains invalid Json" for documents that
// are not JSON at all and "Syntax errors in policy." for broken objects.
func looksLikeJSONObject(doc string) bool {
	t := strings.TrimLeft(doc, " \t\r\n")
	return t != "" && t[0] == '{'
}
