package clip

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestString(t *testing.T) {
	if got := String("short"); got != "short" {
		t.Fatalf("a short value changed: %q", got)
	}
	long := strings.Repeat("é", 300) // 600 bytes
	got := String(long)
	if !utf8.ValidString(got) || !strings.HasSuffix(got, "…(600 bytes in all)") || len(got) > Max+len("…(600 bytes in all)") {
		t.Fatalf("clipped: %q", got)
	}
}
