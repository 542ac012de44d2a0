package world

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"gopkg.in/yaml.v3"
)

// eachItem calls fn for every item of a YAML list.
func eachItem(file string, n *yaml.Node, what string, fn func(*yaml.Node) error) error {
	if n.Kind != yaml.SequenceNode {
		return &Error{File: file, Line: n.Line, Msg: fmt.Sprintf("'%s' must be a list", what)}
	}
	for _, item := range n.Content {
		if item.Kind != yaml.MappingNode {
			return &Error{File: file, Line: item.Line, Msg: fmt.Sprintf("each of '%s' must be a mapping", what)}
		}
		if err := fn(item); err != nil {
			return err
		}
	}
	return nil
}

// fields reads a mapping's known keys with their readers, refuses unknown
// keys, then calls done.
func fields(file string, n *yaml.Node, readers map[string]func(*yaml.Node) error, done func() error) error {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		read, ok := readers[k.Value]
		if !ok {
			known := make([]string, 0, len(readers))
			for name := range readers {
				known = append(known, name)
			}
			sort.Strings(known)
			return &Error{File: file, Line: k.Line, Msg: fmt.Sprintf("unknown key %q (known: %v)", k.Value, known)}
		}
		if err := read(v); err != nil {
			return err
		}
	}
	return done()
}

// required checks that the named values are set.
func required(file string, n *yaml.Node, what string, vals map[string]string) error {
	names := make([]string, 0, len(vals))
	for name := range vals {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if vals[name] == "" {
			return &Error{File: file, Line: n.Line, Msg: fmt.Sprintf("a %s needs '%s'", what, name)}
		}
	}
	return nil
}

func str(file string, dst *string) func(*yaml.Node) error {
	return func(n *yaml.Node) error {
		if n.Kind != yaml.ScalarNode {
			return &Error{File: file, Line: n.Line, Msg: "expected a string"}
		}
		*dst = n.Value
		return nil
	}
}

func int32Field(file string, dst *int32) func(*yaml.Node) error {
	return func(n *yaml.Node) error {
		v, err := strconv.ParseInt(n.Value, 10, 32)
		if n.Kind != yaml.ScalarNode || err != nil {
			return &Error{File: file, Line: n.Line, Msg: "expected a whole number"}
		}
		*dst = int32(v)
		return nil
	}
}

func boolField(file string, dst *bool) func(*yaml.Node) error {
	return func(n *yaml.Node) error {
		v, err := strconv.ParseBool(n.Value)
		if n.Kind != yaml.ScalarNode || err != nil {
			return &Error{File: file, Line: n.Line, Msg: "expected true or false"}
		}
		*dst = v
		return nil
	}
}

func strs(file string, dst *[]string) func(*yaml.Node) error {
	return func(n *yaml.Node) error {
		if n.Kind != yaml.SequenceNode {
			return &Error{File: file, Line: n.Line, Msg: "expected a list of strings"}
		}
		for _, it := range n.Content {
			if it.Kind != yaml.ScalarNode {
				return &Error{File: file, Line: it.Line, Msg: "expected a string"}
			}
			*dst = append(*dst, it.Value)
		}
		return nil
	}
}

// document reads a policy document: a JSON string, or the policy written
// as YAML, which is converted to JSON.
func document(file string, dst *string) func(*yaml.Node) error {
	return func(n *yaml.Node) error {
		if n.Kind == yaml.ScalarNode {
			*dst = n.Value
			return nil
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return &Error{File: file, Line: n.Line, Msg: "policy document: " + err.Error()}
		}
		b, err := json.Marshal(v)
		if err != nil {
			return &Error{File: file, Line: n.Line, Msg: "policy document: " + err.Error()}
		}
		*dst = string(b)
		return nil
	}
}

// inlines reads a mapping of inline policy name to document.
func inlines(file string, dst *[]Inline) func(*yaml.Node) error {
	return func(n *yaml.Node) error {
		if n.Kind != yaml.MappingNode {
			return &Error{File: file, Line: n.Line, Msg: "'policies' must map policy names to documents"}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			var doc string
			if err := document(file, &doc)(n.Content[i+1]); err != nil {
				return err
			}
			*dst = append(*dst, Inline{Name: n.Content[i].Value, Document: doc})
		}
		return nil
	}
}

func accessKeys(file string, dst *[]AccessKey) func(*yaml.Node) error {
	return func(n *yaml.Node) error {
		return eachItem(file, n, "access_keys", func(item *yaml.Node) error {
			var k AccessKey
			return fields(file, item, map[string]func(*yaml.Node) error{
				"id":     str(file, &k.ID),
				"secret": str(file, &k.Secret),
			}, func() error {
				*dst = append(*dst, k)
				return required(file, item, "access key", map[string]string{"id": k.ID, "secret": k.Secret})
			})
		})
	}
}
