package restjson

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/smithy-go/middleware"
)

func TestMarshalOmitsNil(t *testing.T) {
	out := &eks.DescribeClusterOutput{
		Cluster: &types.Cluster{
			Name:               aws.String("c"),
			Tags:               map[string]string{}, // empty, not nil: written
			EncryptionConfig:   nil,
			ResourcesVpcConfig: &types.VpcConfigResponse{}, // all zero: {}
			Identity:           &types.Identity{Oidc: &types.OIDC{}},
		},
		ResultMetadata: middleware.Metadata{},
	}
	got, err := Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"cluster":{"identity":{"oidc":{}},"name":"c","resourcesVpcConfig":{},"tags":{}}}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}

	for _, v := range []any{nil, (*eks.DescribeClusterOutput)(nil), &eks.DescribeClusterOutput{}, eks.DeleteClusterOutput{}} {
		got, err := Marshal(v)
		if err != nil || string(got) != "{}" {
			t.Errorf("Marshal(%#v) = %s, %v; want {}", v, got, err)
		}
	}
}

func TestMarshalValues(t *testing.T) {
	type inner struct{ Deep *string }
	type shape struct {
		S        *string
		Enum     types.ClusterStatus
		I        *int32
		Zero     int32 // omitted
		B        *bool
		False    bool // omitted
		T        *time.Time
		L        []types.LogType
		Empty    []string
		M        map[string]string
		Structs  []inner
		F        *float64
		NaN      float64
		Blob     []byte
		Iface    any
		private  string
		Embedded // anonymous: skipped
	}
	v := &shape{
		S:       aws.String("q\"\\\n\x01<é>\u2028"),
		Enum:    types.ClusterStatusActive,
		I:       aws.Int32(-7),
		B:       aws.Bool(false),
		T:       aws.Time(time.Date(2024, 1, 2, 3, 4, 5, 60_000_000, time.UTC)),
		L:       []types.LogType{types.LogTypeApi},
		Empty:   []string{},
		M:       map[string]string{"z": "1", "a": "2"},
		Structs: []inner{{Deep: aws.String("d")}, {}},
		F:       aws.Float64(1.5),
		NaN:     math.NaN(),
		Blob:    []byte("hi"),
		Iface:   map[string]int{"n": 1},
		private: "x",
	}
	got, err := Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"s":"q\"\\\n\u0001<é>\u2028","enum":"ACTIVE","i":-7,"b":false,"t":1704164645.06,` +
		`"l":["api"],"empty":[],"m":{"a":"2","z":"1"},"structs":[{"deep":"d"},{}],"f":1.5,"naN":"NaN",` +
		`"blob":"aGk=","iface":{"n":1}}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// The escaping is valid JSON that reads back to the same string.
	var back map[string]any
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	if back["s"] != *v.S {
		t.Errorf("string round trip: %q", back["s"])
	}
}

// Embedded is embedded in a test shape to check embedded fields are skipped.
type Embedded struct{ Hidden string }

func TestMarshalTimes(t *testing.T) {
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.Unix(1700000000, 0), "1700000000"},
		{time.Unix(1700000000, 123_000_000), "1700000000.123"},
		{time.Unix(1700000000, 100_999_999), "1700000000.1"}, // below a millisecond is cut
		{time.Unix(0, 0), "0"},
		{time.UnixMilli(-1500), "-1.5"},
		{time.UnixMilli(-2000), "-2"},
	}
	for _, tt := range tests {
		got, err := Marshal(struct{ T time.Time }{tt.t})
		if err != nil {
			t.Fatal(err)
		}
		want := `{"t":` + tt.want + `}`
		if string(got) != want {
			t.Errorf("%v: got %s, want %s", tt.t, got, want)
		}
		var back struct{ T *time.Time }
		if err := Decode(got, &back); err != nil {
			t.Fatal(err)
		}
		if !back.T.Equal(tt.t.Truncate(time.Millisecond)) {
			t.Errorf("%v: decoded back as %v", tt.t, back.T)
		}
	}
	if got, _ := Marshal(struct{ T time.Time }{}); string(got) != "{}" {
		t.Errorf("zero time: got %s, want {}", got)
	}
}

func TestMarshalErrors(t *testing.T) {
	type node struct{ Next *node }
	cyc := &node{}
	cyc.Next = cyc
	for name, v := range map[string]any{
		"cycle":   cyc,
		"chan":    struct{ C chan int }{make(chan int)},
		"int key": struct{ M map[int]string }{map[int]string{1: "a"}},
	} {
		if _, err := Marshal(v); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestEncode(t *testing.T) {
	rec := httptest.NewRecorder()
	if err := Encode(rec, http.StatusAccepted, &eks.ListClustersOutput{Clusters: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusAccepted || rec.Header().Get("Content-Type") != "application/json" ||
		rec.Body.String() != `{"clusters":["a"]}` || rec.Header().Get("Content-Length") != "18" {
		t.Errorf("got %d %v %s", rec.Code, rec.Header(), rec.Body)
	}

	rec = httptest.NewRecorder()
	if err := Encode(rec, http.StatusOK, struct{ C chan int }{make(chan int)}); err == nil {
		t.Error("no error for an unencodable value")
	}
	if rec.Body.Len() != 0 || rec.Header().Get("Content-Type") != "" {
		t.Errorf("wrote on failure: %v %s", rec.Header(), rec.Body)
	}
}

func TestWriteError(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteError(rec, http.StatusConflict, "ResourceInUseException", "Cluster \"a\" exists.",
		map[string]string{"clusterName": "a", "addonName": "b", "message": "ignored"})
	if rec.Code != http.StatusConflict || rec.Header().Get("X-Amzn-ErrorType") != "ResourceInUseException" ||
		rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("got %d %v", rec.Code, rec.Header())
	}
	want := `{"message":"Cluster \"a\" exists.","addonName":"b","clusterName":"a"}`
	if rec.Body.String() != want {
		t.Errorf("body %s, want %s", rec.Body, want)
	}
}

func TestDecode(t *testing.T) {
	in := &eks.CreateClusterInput{}
	body := `{"name":"c","roleArn":"r","unknown":{"x":[1,2]},"version":null,"tags":{"a":"b"},
		"resourcesVpcConfig":{"subnetIds":["s1"],"endpointPublicAccess":false,"bogus":1},
		"logging":{"clusterLogging":[{"enabled":true,"types":["api","audit"]}]},
		"kubernetesNetworkConfig":{"ipFamily":"ipv6"},"bootstrapSelfManagedAddons":true}`
	if err := Decode([]byte(body), in); err != nil {
		t.Fatal(err)
	}
	want := &eks.CreateClusterInput{
		Name:    aws.String("c"),
		RoleArn: aws.String("r"),
		Tags:    map[string]string{"a": "b"},
		ResourcesVpcConfig: &types.VpcConfigRequest{
			SubnetIds:            []string{"s1"},
			EndpointPublicAccess: aws.Bool(false),
		},
		Logging: &types.Logging{ClusterLogging: []types.LogSetup{
			{Enabled: aws.Bool(true), Types: []types.LogType{types.LogTypeApi, types.LogTypeAudit}},
		}},
		KubernetesNetworkConfig:    &types.KubernetesNetworkConfigRequest{IpFamily: types.IpFamilyIpv6},
		BootstrapSelfManagedAddons: aws.Bool(true),
	}
	if !reflect.DeepEqual(in, want) {
		t.Errorf("got\n%#v\nwant\n%#v", in, want)
	}

	// Empty bodies decode to nothing.
	for _, b := range []string{"", "  \n", "{}"} {
		in := &eks.CreateClusterInput{}
		if err := Decode([]byte(b), in); err != nil || !reflect.DeepEqual(in, &eks.CreateClusterInput{}) {
			t.Errorf("Decode(%q) = %v, %#v", b, err, in)
		}
	}
	// Whole-number floats are integers; timestamps are epoch seconds.
	var v struct {
		N int32
		T *time.Time
	}
	if err := Decode([]byte(`{"n":2e3,"t":1700000000.5}`), &v); err != nil || v.N != 2000 ||
		!v.T.Equal(time.UnixMilli(1700000000500)) {
		t.Errorf("got %+v, %v", v, err)
	}
}

func TestDecodeMalformed(t *testing.T) {
	tests := []struct {
		body string
		msg  string // part of the message
	}{
		{`{"name":`, "not valid JSON"},
		{`{"name":"a"`, "not valid JSON"},
		{`{name:"a"}`, "not valid JSON"},
		{`{"name":"a"} {}`, "unexpected data"},
		{`{"name":"a"}x`, "not valid JSON"},
		{`null`, "must be a JSON object, got null"},
		{`[]`, "must be a JSON object, got an array"},
		{`"s"`, "must be a JSON object, got a string"},
		{`{"name":5}`, "parameter name: expected a string, got a number"},
		{`{"tags":[]}`, "parameter tags: expected an object, got an array"},
		{`{"tags":{"a":1}}`, "parameter tags.a: expected a string"},
		{`{"resourcesVpcConfig":{"subnetIds":["a",1]}}`, "parameter resourcesVpcConfig.subnetIds[1]: expected a string"},
		{`{"resourcesVpcConfig":{"endpointPublicAccess":"true"}}`, "expected a boolean, got a string"},
		{`{"resourcesVpcConfig":"x"}`, "expected an object, got a string"},
		{`{"logging":{"clusterLogging":{}}}`, "expected an array"},
		{`{"computeConfig":{"nodePools":[1]}}`, "computeConfig.nodePools[0]"},
	}
	for _, tt := range tests {
		err := Decode([]byte(tt.body), &eks.CreateClusterInput{})
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: err = %v, want *Error", tt.body, err)
			continue
		}
		if e.Status != http.StatusBadRequest || e.Code != CodeSerializationException || !strings.Contains(e.Message, tt.msg) {
			t.Errorf("%s: got %d %s %q, want message with %q", tt.body, e.Status, e.Code, e.Message, tt.msg)
		}
	}

	numbers := []struct {
		body string
		in   any
	}{
		{`{"maxResults":2147483648}`, &eks.ListClustersInput{}},
		{`{"maxResults":1.5}`, &eks.ListClustersInput{}},
		{`{"maxResults":1e400}`, &eks.ListClustersInput{}},
		{`{"maxResults":"1"}`, &eks.ListClustersInput{}},
		{`{"t":"2024-01-01T00:00:00Z"}`, &struct{ T *time.Time }{}},
		{`{"t":1e300}`, &struct{ T *time.Time }{}},
		{`{"f":true}`, &struct{ F float64 }{}},
		{`{"u":-1}`, &struct{ U uint8 }{}},
		{`{"b":"!!"}`, &struct{ B []byte }{}},
	}
	for _, tt := range numbers {
		var e *Error
		if err := Decode([]byte(tt.body), tt.in); !errors.As(err, &e) || e.Code != CodeSerializationException {
			t.Errorf("%s: err = %v", tt.body, err)
		}
	}

	// Not the caller's input: plain errors.
	for _, in := range []any{nil, eks.CreateClusterInput{}, (*eks.CreateClusterInput)(nil), new(int)} {
		var e *Error
		if err := Decode([]byte(`{}`), in); err == nil || errors.As(err, &e) {
			t.Errorf("Decode into %T: err = %v", in, err)
		}
	}
}

func TestSetField(t *testing.T) {
	in := &eks.ListClustersInput{}
	for _, kv := range [][2]string{{"MaxResults", "25"}, {"NextToken", "a b/c"}, {"Include", "all"}, {"Include", "x"}} {
		if err := SetField(in, kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	want := &eks.ListClustersInput{MaxResults: aws.Int32(25), NextToken: aws.String("a b/c"), Include: []string{"all", "x"}}
	if !reflect.DeepEqual(in, want) {
		t.Errorf("got %#v", in)
	}

	var v struct {
		S      string
		E      *types.ClusterVersionStatus
		B      *bool
		Bv     bool
		I64    int64
		T      *time.Time
		F      float64
		Enums  []types.LogType
		hidden string
	}
	for _, kv := range [][2]string{{"S", "s"}, {"E", "standard-support"}, {"B", "TRUE"}, {"Bv", "false"},
		{"I64", "-9000000000"}, {"T", "2024-01-02T03:04:05Z"}, {"F", "2.5"}, {"Enums", "api"}} {
		if err := SetField(&v, kv[0], kv[1]); err != nil {
			t.Fatalf("%s=%s: %v", kv[0], kv[1], err)
		}
	}
	if v.S != "s" || *v.E != types.ClusterVersionStatusStandardSupport || !*v.B || v.Bv || v.I64 != -9000000000 ||
		!v.T.Equal(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)) || v.F != 2.5 || v.Enums[0] != types.LogTypeApi {
		t.Errorf("got %+v", v)
	}

	for _, kv := range [][2]string{{"MaxResults", "abc"}, {"MaxResults", "2147483648"}, {"MaxResults", ""}} {
		err := SetField(&eks.ListClustersInput{}, kv[0], kv[1])
		var e *Error
		if !errors.As(err, &e) || e.Status != http.StatusBadRequest || e.Code != CodeInvalidParameterException ||
			!strings.Contains(e.Message, "parameter maxResults") {
			t.Errorf("%s=%q: err = %v", kv[0], kv[1], err)
		}
	}
	if err := SetField(&v, "B", "yes"); err == nil {
		t.Error("B=yes: no error")
	}

	// The caller's mistakes: plain errors.
	for _, tc := range []struct {
		in    any
		field string
	}{
		{&eks.ListClustersInput{}, "Nope"},
		{&eks.ListClustersInput{}, "ResultMetadata"}, // not a settable scalar
		{&v, "hidden"},
		{eks.ListClustersInput{}, "MaxResults"},
		{nil, "MaxResults"},
	} {
		var e *Error
		if err := SetField(tc.in, tc.field, "1"); err == nil || errors.As(err, &e) {
			t.Errorf("SetField(%T, %s): err = %v", tc.in, tc.field, err)
		}
	}
}

func TestWireName(t *testing.T) {
	for goName, want := range map[string]string{
		"RoleArn": "roleArn", "Oidc": "oidc", "Name": "name", "A": "a", "already": "already", "": "",
	} {
		if got := WireName(goName); got != want {
			t.Errorf("WireName(%q) = %q, want %q", goName, got, want)
		}
	}
}
