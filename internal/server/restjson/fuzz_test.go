package restjson

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/eks"
)

// FuzzDecode checks that Decode never panics, that its only errors on a
// body are *Error, and that what it decodes encodes again.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `null`, `{"name":"a","tags":{"k":"v"}}`, `{"resourcesVpcConfig":{"subnetIds":["a"]}}`,
		`{"logging":{"clusterLogging":[{"enabled":true,"types":["api"]}]}}`, `{"maxResults":1e3}`,
		`{"t":1700000000.123}`, `{"name":`, `[`, `{"tags":{"a":null}}`, `{"upgradePolicy":{"supportType":"x"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, in := range []any{
			&eks.CreateClusterInput{}, &eks.CreatePodIdentityAssociationInput{}, &eks.UpdateNodegroupConfigInput{},
			&struct {
				T *time.Time
				F *float64
				B []byte
				U uint16
			}{},
		} {
			err := Decode(body, in)
			if err != nil {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("%T: error %v is not *Error", in, err)
				}
				continue
			}
			if _, err := Marshal(in); err != nil {
				t.Fatalf("%T: Marshal after Decode: %v", in, err)
			}
		}
	})
}

// FuzzSetField checks that SetField never panics and only fails on a value
// with an *Error.
func FuzzSetField(f *testing.F) {
	for _, s := range []string{"", "1", "-1", "true", "abc", "2147483648", "2024-01-02T03:04:05Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		in := &eks.ListClustersInput{}
		for _, field := range []string{"MaxResults", "NextToken", "Include"} {
			if err := SetField(in, field, value); err != nil {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("%s=%q: error %v is not *Error", field, value, err)
				}
			}
		}
	})
}
