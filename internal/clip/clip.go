// Package clip bounds the client-supplied values that go into log lines
// and messages: a huge header must not make a huge log line.
package clip

import (
	"fmt"
	"strings"
)

// Max is how many bytes of a value are kept.
const Max = 256

// String returns v, or its first Max bytes (cut on a UTF-8 boundary) and
// how long it was.
func String(v string) string {
	if len(v) <= Max {
		return v
	}
	return strings.ToValidUTF8(v[:Max], "") + fmt.Sprintf("…(%d bytes in all)", len(v))
}
