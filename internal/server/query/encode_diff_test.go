package query

import (
	"bytes"
	"encoding/xml"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// checkSameEncode fails unless Encode and the reference encoder write the
// same bytes, or fail with the same text, for out.
func checkSameEncode(t *testing.T, op, xmlns string, out any) {
	t.Helper()
	var got, want bytes.Buffer
	errGot := Encode(&got, op, xmlns, requestID, out)
	errWant := refEncode(&want, op, xmlns, requestID, out)
	if (errGot == nil) != (errWant == nil) || errGot != nil && errGot.Error() != errWant.Error() {
		t.Fatalf("Encode %s %T: error %v, reference %v", op, out, errGot, errWant)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatalf("Encode %s %T:\n%s\nreference:\n%s", op, out, got.Bytes(), want.Bytes())
	}
}

// thin clears or empties parts of v at random, and puts odd strings in
// others: every shape of value Encode omits or writes empty.
func thin(r *rand.Rand, v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return
		}
		if r.IntN(4) == 0 && v.CanSet() {
			v.SetZero()
			return
		}
		thin(r, v.Elem())
	case reflect.Struct:
		if v.Type() == timeType {
			if v.CanSet() && r.IntN(3) == 0 {
				v.Set(reflect.ValueOf(time.Date(2019, 11, 9, 13, 34, 41, r.IntN(2)*123456789, time.FixedZone("x", 3600))))
			}
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				thin(r, v.Field(i))
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			if r.IntN(3) == 0 {
				v.SetZero()
			}
			return
		}
		switch r.IntN(5) {
		case 0:
			v.SetZero()
		case 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		default:
			for i := range v.Len() {
				thin(r, v.Index(i))
			}
		}
	case reflect.Map:
		if r.IntN(3) == 0 {
			v.SetZero()
		}
	case reflect.String:
		odd := []string{"", "plain", "a<b>&\"'", "tab\tnl\ncr\r", "\x00\x01\x7f", "\xff\xfe invalid", "é€😀", "\ufffd", "\U0010ffff\ufffe"}
		if v.CanSet() && r.IntN(3) == 0 {
			v.SetString(odd[r.IntN(len(odd))])
		}
	}
}

func TestEncodeMatchesReference(t *testing.T) {
	cfg := sdkConfig("http://127.0.0.1:1")
	r := rand.New(rand.NewPCG(9, 10))
	for _, svc := range []struct {
		xmlns  string
		client any
	}{{IAMNamespace, iam.NewFromConfig(cfg)}, {STSNamespace, sts.NewFromConfig(cfg)}} {
		for _, op := range operations(svc.client) {
			checkSameEncode(t, op.name, svc.xmlns, reflect.New(op.out).Interface())
			checkSameEncode(t, op.name, svc.xmlns, reflect.Zero(reflect.PointerTo(op.out)).Interface())
			checkSameEncode(t, op.name, svc.xmlns, filled(op.out))
			for range 5 {
				out := filled(op.out)
				thin(r, reflect.ValueOf(out))
				checkSameEncode(t, op.name, svc.xmlns, out)
			}
		}
	}
	// Faults, and values the SDK's types do not have.
	type withMap struct {
		M  map[string][]*string
		F  float64
		U  uint16
		B  []byte
		Ts time.Time
	}
	type badKey struct{ M map[int]string }
	type badType struct {
		L []struct{ C chan int }
	}
	for _, out := range []any{
		&withMap{M: map[string][]*string{"b": {aws.String("x")}, "a<": {}, "c": nil}, F: 1e21, U: 7, B: []byte{}, Ts: time.Unix(1, 5).In(time.FixedZone("y", -7200))},
		&withMap{M: map[string][]*string{"k": {nil}}},
		&badKey{M: map[int]string{1: "a"}},
		&badKey{},
		&badType{L: []struct{ C chan int }{{}}},
		&iam.ListRolesOutput{Roles: []iamtypes.Role{{RoleName: aws.String("r"), Tags: []iamtypes.Tag{{Key: aws.String("k")}}}}},
		&iam.SimulatePrincipalPolicyOutput{EvaluationResults: []iamtypes.EvaluationResult{{EvalDecisionDetails: map[string]iamtypes.PolicyEvaluationDecisionType{"z": "allowed", "a": "denied"}}}},
		struct{ A string }{"not a pointer"},
		42,
	} {
		checkSameEncode(t, "Op", IAMNamespace, out)
	}
	checkSameEncode(t, "Op", IAMNamespace, nil)
	checkSameEncode(t, "Bad Name", IAMNamespace, &iam.GetRoleOutput{})
	checkSameEncode(t, "Op", "ns\"<", &iam.GetRoleOutput{})
}

func TestEncodeErrorMatchesReference(t *testing.T) {
	for _, typ := range []string{TypeSender, TypeReceiver, "Other"} {
		for _, s := range []string{"", "NoSuchEntity", "a<b>&\"'\t\n\r\x00\xff é"} {
			var got, want bytes.Buffer
			errGot := EncodeError(&got, STSNamespace, typ, s, s+" message", s)
			errWant := refEncodeError(&want, STSNamespace, typ, s, s+" message", s)
			if (errGot == nil) != (errWant == nil) || errGot != nil && errGot.Error() != errWant.Error() || !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Fatalf("EncodeError(%q, %q): %v %q\nreference %v %q", typ, s, errGot, got.Bytes(), errWant, want.Bytes())
			}
		}
	}
}

func FuzzAppendEscapedMatchesXML(f *testing.F) {
	for _, s := range []string{"", "plain", "a<b>&\"'", "tab\tnl\ncr\r", "\x00\x01\x7f", "\xff\xfe", "é€😀", "\ufffd", "\xed\xa0\x80", "\U0010ffff\ufffe\uffff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want bytes.Buffer
		_ = xml.EscapeText(&want, []byte(s))
		if got := appendEscaped([]byte("prefix"), s); string(got) != "prefix"+want.String() {
			t.Fatalf("appendEscaped(%q) = %q, xml.EscapeText %q", s, got[len("prefix"):], want.Bytes())
		}
	})
}
