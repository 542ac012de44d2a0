package world

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	w, err := Parse("w.yaml", []byte("accounts:\n  - id: \"111111111111\"\n    name: account-a\n  - {id: \"222222222222\", name: account-b}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Accounts) != 2 || w.Accounts[0].ID != "111111111111" || w.Accounts[1].Name != "account-b" {
		t.Fatalf("got %+v", w.Accounts)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		line      int
		contains  string
	}{
		{"empty", "", 0, "empty"},
		{"not a mapping", "- a\n", 1, "top level"},
		{"unknown top key", "accounts: []\nroles: []\n", 2, `unknown key "roles"`},
		{"accounts not a list", "accounts: 3\n", 1, "must be a list"},
		{"no accounts", "accounts: []\n", 1, "no accounts"},
		{"id unquoted number too short", "accounts:\n  - id: 12\n    name: a\n", 2, "12 digits"},
		{"bad name", "accounts:\n  - id: \"111111111111\"\n    name: \"has space\"\n", 2, "account name"},
		{"unknown account key", "accounts:\n  - id: \"111111111111\"\n    name: a\n    alias: x\n", 4, `unknown account key "alias"`},
		{"duplicate id", "accounts:\n  - {id: \"111111111111\", name: a}\n  - {id: \"111111111111\", name: b}\n", 3, "declared twice"},
		{"duplicate name", "accounts:\n  - {id: \"111111111111\", name: a}\n  - {id: \"222222222222\", name: a}\n", 3, "used twice"},
		{"syntax", "accounts:\n  - id: \"1\n", 2, "yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("w.yaml", []byte(tc.doc))
			var we *Error
			if !errors.As(err, &we) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if we.Line != tc.line || !strings.Contains(we.Error(), tc.contains) {
				t.Fatalf("err = %q (line %d), want line %d containing %q", we.Error(), we.Line, tc.line, tc.contains)
			}
		})
	}
}
