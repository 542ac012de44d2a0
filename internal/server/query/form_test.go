package query

import (
	"math/rand/v2"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// checkParseForm holds ParseForm to url.ParseQuery on raw.
func checkParseForm(t *testing.T, raw string) {
	t.Helper()
	got, errGot := ParseForm(raw)
	want, errWant := url.ParseQuery(raw)
	if (errGot == nil) != (errWant == nil) || errGot != nil && (errGot.Error() != errWant.Error() || reflect.TypeOf(errGot) != reflect.TypeOf(errWant)) {
		t.Fatalf("ParseForm(%q): error %v, url.ParseQuery %v", raw, errGot, errWant)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseForm(%q) = %q, url.ParseQuery %q", raw, got, want)
	}
	// The value slices must not share room: appending to one must not
	// change another.
	for k := range got {
		got[k] = append(got[k], "appended")
	}
	for k, vs := range got {
		if len(vs) != len(want[k])+1 || !reflect.DeepEqual(vs[:len(vs)-1], want[k]) {
			t.Fatalf("ParseForm(%q): values of %q changed by appending to others: %q", raw, k, vs)
		}
	}
}

var formCases = []string{
	"", "&", "&&", "=", "==", "a", "a=", "=a", "a=b", "a=b&", "&a=b", "a=b&&c=d", "a=b=c", "a=1&a=2&b=3&a=4",
	"a+b=c+d", "a%20b=c%2Bd", "%41=%42", "%4=1", "a=%", "a=%G1", "a=%1", "%=1", "a=b;c=d", "a=b&c=d;", ";",
	"a=%zz&b=%yy", "a=%zz&b=c;d", "a=b;c&d=%zz", "%E2%9C%93=%C3%A9", "a=%00", "a=\x00\xff", "k=v&k=v&k=",
	"Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A111111111111%3Arole%2Fdeploy&RoleSessionName=s%2Bx%3Dy&Version=2011-06-15",
	strings.Repeat("a=b&", 40), strings.Repeat("k%41=v+w&", 40), "x=" + strings.Repeat("%41", 600) + "&y=" + strings.Repeat("b+", 400),
	strings.Repeat("a&", maxFastParams) + "b", strings.Repeat("&", 20000),
}

func TestParseFormMatchesNetURL(t *testing.T) {
	for _, raw := range formCases {
		checkParseForm(t, raw)
	}
	checkParseForm(t, benchAssumeRoleForm)
	checkParseForm(t, benchCreateRoleForm)
	alphabet := "ab=&%+;2F0gG "
	r := rand.New(rand.NewPCG(3, 4))
	for range 50000 {
		b := make([]byte, r.IntN(24))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		checkParseForm(t, string(b))
	}
}

func FuzzParseForm(f *testing.F) {
	for _, raw := range formCases {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw string) { checkParseForm(t, raw) })
}

// BenchmarkParseForm parses an AssumeRole body with ParseForm.
func BenchmarkParseForm(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseForm(benchAssumeRoleForm); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkURLParseQuery parses the same body with url.ParseQuery.
func BenchmarkURLParseQuery(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := url.ParseQuery(benchAssumeRoleForm); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseFormDecodeSTSAssumeRole is BenchmarkParseDecodeSTSAssumeRole
// with ParseForm in place of url.ParseQuery.
func BenchmarkParseFormDecodeSTSAssumeRole(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		f, err := ParseForm(benchAssumeRoleForm)
		if err != nil {
			b.Fatal(err)
		}
		var in sts.AssumeRoleInput
		if err := Decode(f, &in); err != nil {
			b.Fatal(err)
		}
	}
}
