package iam_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/iam"
)

// TestEveryOperationIsExercised guards the rule that every IAM operation
// round-trips through the SDK client in some test: each service method
// with an operation's shape must be called as a client method (".Op(ctx")
// in this package's tests.
func TestEveryOperationIsExercised(t *testing.T) {
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	var src strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src.Write(b)
	}
	all := src.String()
	ctxType, callerType := reflect.TypeFor[context.Context](), reflect.TypeFor[*directory.Caller]()
	st := reflect.TypeFor[*iam.Service]()
	ops := 0
	for i := 0; i < st.NumMethod(); i++ {
		m := st.Method(i)
		ft := m.Type // receiver first
		if ft.NumIn() != 4 || ft.In(1) != ctxType || ft.In(2) != callerType || !strings.HasSuffix(ft.In(3).Elem().Name(), "Input") {
			continue
		}
		ops++
		if !strings.Contains(all, "."+m.Name+"(ctx") && !strings.Contains(all, "."+m.Name+"(context.") && !strings.Contains(all, "\"iam\", \""+kebab(m.Name)+"\"") {
			t.Errorf("operation %s is never called through a client in the tests", m.Name)
		}
	}
	if ops < 90 {
		t.Fatalf("found %d operations, expected the full IAM set", ops)
	}
	t.Logf("%d IAM operations, each called through a client", ops)
}

// kebab turns CreateRole into create-role, as the AWS CLI names it.
func kebab(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
