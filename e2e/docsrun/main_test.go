package docsrun

import (
	"flag"
	"os"
	"testing"
	"time"
)

// e2eTimeout replaces go test's default 10-minute limit for this package
// when the command line sets none (go test's default): the pages take 6–7 minutes of a
// 2-core machine beside the other end-to-end tests (terraform.md alone
// runs Terraform for 2–3 minutes).
const e2eTimeout = 30 * time.Minute

func TestMain(m *testing.M) {
	flag.Parse()
	// go test passes its default, -test.timeout=10m0s, to every test
	// binary: that value is taken to mean "none chosen".
	if f := flag.Lookup("test.timeout"); f != nil && (f.Value.String() == "10m0s" || f.Value.String() == "0s") {
		if err := flag.Set("test.timeout", e2eTimeout.String()); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}
