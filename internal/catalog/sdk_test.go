package catalog

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// recorded is one request as the test server received it.
type recorded struct {
	req  *http.Request
	body []byte
}

// recorder is an httptest server that keeps every request and answers 500,
// and an aws.Config whose HTTP client dials it whatever the host (so S3
// virtual-hosted and host-prefixed requests reach it too).
type recorder struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []recorded
	cfg  aws.Config
}

func newRecorder(t testing.TB) *recorder {
	rec := &recorder{}
	rec.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, recorded{r, body})
		rec.mu.Unlock()
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(rec.srv.Close)
	addr := rec.srv.Listener.Addr().String()
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, addr)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	rec.cfg = aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "secret", ""),
		HTTPClient:       &http.Client{Transport: tr},
		RetryMaxAttempts: 1,
		BaseEndpoint:     aws.String("http://" + addr),
	}
	return rec
}

// take returns the requests received since the last call.
func (rec *recorder) take() []recorded {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	out := rec.reqs
	rec.reqs = nil
	return out
}

var credentialScope = regexp.MustCompile(`Credential=[^/]+/[0-9]{8}/[^/]+/([^/]+)/aws4_request`)

// signingName is the service of the request's SigV4 credential scope.
func signingName(t testing.TB, r *http.Request) string {
	m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		t.Fatalf("%s %s: no SigV4 Authorization header", r.Method, r.URL)
	}
	return m[1]
}

// sdkClient is one exact service's client for the sweep.
type sdkClient struct {
	id     string // botocore id
	client any
}

func sdkClients(cfg aws.Config) []sdkClient {
	return []sdkClient{
		{"s3", s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })},
		{"dynamodb", dynamodb.NewFromConfig(cfg)},
		{"ecr", ecr.NewFromConfig(cfg)},
		{"sqs", sqs.NewFromConfig(cfg)},
		{"sns", sns.NewFromConfig(cfg)},
		{"kms", kms.NewFromConfig(cfg)},
		{"secretsmanager", secretsmanager.NewFromConfig(cfg)},
		{"lambda", lambda.NewFromConfig(cfg)},
	}
}

var (
	ctxType = reflect.TypeOf((*context.Context)(nil)).Elem()
	errType = reflect.TypeOf((*error)(nil)).Elem()
)

// operations lists a client's API methods: func(ctx, *XInput, ...func(*Options)) (*XOutput, error).
func operations(client any) []reflect.Method {
	var out []reflect.Method
	typ := reflect.TypeOf(client)
	for i := 0; i < typ.NumMethod(); i++ {
		m := typ.Method(i)
		ft := m.Type
		if ft.NumIn() != 4 || !ft.IsVariadic() || ft.In(1) != ctxType || ft.NumOut() != 2 || ft.Out(1) != errType {
			continue
		}
		if in := ft.In(2); in.Kind() != reflect.Pointer || in.Elem().Name() != m.Name+"Input" {
			continue
		}
		out = append(out, m)
	}
	return out
}

var (
	readerType = reflect.TypeOf((*io.Reader)(nil)).Elem()
	timeType   = reflect.TypeOf(time.Time{})
	attrType   = reflect.TypeOf((*ddbtypes.AttributeValue)(nil)).Elem()
)

// fill gives every settable field of v a plausible value, so that the
// SDK's validation of required members passes and every member travels:
// strings "name", enums their first value, numbers 1, lists and maps one
// element, structures recursively (to a depth), readers "x".
func fill(v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.Pointer:
		if depth > 5 {
			return
		}
		e := reflect.New(v.Type().Elem())
		fill(e.Elem(), depth+1)
		v.Set(e)
	case reflect.String:
		if vals := v.Addr().MethodByName("Values"); vals.IsValid() {
			if out := vals.Call(nil)[0]; out.Len() > 0 {
				v.Set(out.Index(0))
				return
			}
		}
		v.SetString("name")
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Int16, reflect.Int8:
		v.SetInt(1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			v.SetBytes([]byte("x"))
			return
		}
		if depth > 5 {
			return
		}
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0), depth+1)
		v.Set(s)
	case reflect.Map:
		if depth > 5 || v.Type().Key().Kind() != reflect.String {
			return
		}
		m := reflect.MakeMap(v.Type())
		k := reflect.New(v.Type().Key()).Elem()
		k.SetString("k")
		e := reflect.New(v.Type().Elem()).Elem()
		fill(e, depth+1)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		if v.Type() == timeType {
			v.Set(reflect.ValueOf(time.Unix(1700000000, 0)))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), depth)
			}
		}
	case reflect.Interface:
		switch {
		case v.Type() == readerType:
			v.Set(reflect.ValueOf(io.Reader(strings.NewReader("x"))))
		case v.Type() == attrType:
			v.Set(reflect.ValueOf(ddbtypes.AttributeValue(&ddbtypes.AttributeValueMemberS{Value: "v"})))
		}
	}
}

// skipSweep lists operations the generic sweep can't send.
var skipSweep = map[string]string{
	"s3.ListDirectoryBuckets":   "the SDK sends it only to S3 Express zonal endpoints",
	"s3.UpdateObjectEncryption": "its required ObjectEncryption is a union the generic filler leaves empty",
}

// samples are values for top-level string members (by Go field name) that must look like what
// they name (ARNs, S3 copy sources), by service and member name.
var samples = map[string]map[string]string{
	"s3": {"CopySource": "src-bucket/src/key.txt"},
	"dynamodb": {
		"ResourceArn":    "arn:aws:dynamodb:us-east-1:111122223333:table/name",
		"BackupArn":      "arn:aws:dynamodb:us-east-1:111122223333:table/name/backup/01234567890123-abcdefgh",
		"ExportArn":      "arn:aws:dynamodb:us-east-1:111122223333:table/name/export/01234567890123-abcdefgh",
		"ImportArn":      "arn:aws:dynamodb:us-east-1:111122223333:table/name/import/01234567890123-abcdefgh",
		"SourceTableArn": "arn:aws:dynamodb:us-east-1:111122223333:table/name",
		"TableArn":       "arn:aws:dynamodb:us-east-1:111122223333:table/name",
		"StreamArn":      "arn:aws:dynamodb:us-east-1:111122223333:table/name/stream/2024-01-01T00:00:00.000",
	},
	"ecr": {"ResourceArn": "arn:aws:ecr:us-east-1:111122223333:repository/name", "RegistryId": "111122223333"},
	"sqs": {
		"QueueUrl":       "https://sqs.us-east-1.amazonaws.com/111122223333/name",
		"SourceArn":      "arn:aws:sqs:us-east-1:111122223333:name",
		"DestinationArn": "arn:aws:sqs:us-east-1:111122223333:dest",
	},
	"sns": {
		"ResourceArn":     "arn:aws:sns:us-east-1:111122223333:name",
		"TopicArn":        "arn:aws:sns:us-east-1:111122223333:name",
		"SubscriptionArn": "arn:aws:sns:us-east-1:111122223333:name:0123-4567",
	},
	"lambda": {
		"Resource":            "arn:aws:lambda:us-east-1:111122223333:function:name",
		"Arn":                 "arn:aws:lambda:us-east-1:111122223333:layer:name:1",
		"DurableExecutionArn": "arn:aws:lambda:us-east-1:111122223333:function:name:1/durable-execution/exec/0123",
	},
}

// noResourceInRequest are operations whose resource the request doesn't
// name in a form the catalogue can read (the gateway refuses them: fail
// closed): SQS's opaque move-task handle, S3 Object Lambda's request
// route token, Lambda durable-execution
// callbacks identified by a callback id alone.
var noResourceInRequest = map[string]bool{
	"sqs.CancelMessageMoveTask":                    true,
	"s3.WriteGetObjectResponse":                    true,
	"lambda.SendDurableExecutionCallbackFailure":   true,
	"lambda.SendDurableExecutionCallbackHeartbeat": true,
	"lambda.SendDurableExecutionCallbackSuccess":   true,
}

// setSamples overrides top-level string members with the service's samples.
func setSamples(id string, in reflect.Value) {
	for name, val := range samples[id] {
		f := in.FieldByName(name)
		if f.IsValid() && f.Kind() == reflect.Pointer && f.Type().Elem().Kind() == reflect.String {
			v := reflect.New(f.Type().Elem())
			v.Elem().SetString(val)
			f.Set(v)
		}
	}
}

// TestEveryOperationOfTheExactServices sends every operation of the eight
// exact services with the real SDK clients, filled generically, and checks
// that Identify finds that operation and that it maps to actions whose
// resource ARNs can be built from the request.
func TestEveryOperationOfTheExactServices(t *testing.T) {
	cat := mustLoad(t)
	rec := newRecorder(t)
	ctx := context.Background()
	env := Env{Partition: "aws", Region: "us-east-1", Account: "111122223333"}
	for _, sc := range sdkClients(rec.cfg) {
		svc := cat.Service(sc.id)
		if svc == nil {
			t.Fatalf("catalogue has no service %s", sc.id)
		}
		seen := map[string]bool{}
		for _, m := range operations(sc.client) {
			name := m.Name
			if why, ok := skipSweep[sc.id+"."+name]; ok {
				t.Logf("%s %s: skipped: %s", sc.id, name, why)
				continue
			}
			if svc.Operation(name) == nil {
				t.Logf("%s %s: newer than the botocore models; skipped", sc.id, name)
				continue
			}
			in := reflect.New(m.Type.In(2).Elem())
			fill(in.Elem(), 0)
			setSamples(sc.id, in.Elem())
			out := m.Func.Call([]reflect.Value{reflect.ValueOf(sc.client), reflect.ValueOf(ctx), in})
			reqs := rec.take()
			if len(reqs) == 0 {
				t.Errorf("%s %s: the SDK sent nothing: %v", sc.id, name, out[1].Interface())
				continue
			}
			got := reqs[0]
			sn := signingName(t, got.req)
			s, op, params, err := cat.Identify(sn, got.req, got.body)
			if err != nil {
				t.Errorf("%s %s: Identify(%s, %s %s): %v", sc.id, name, sn, got.req.Method, got.req.URL, err)
				continue
			}
			if s.ID != sc.id || op.Name != name {
				t.Errorf("%s %s: identified as %s %s (%s %s)", sc.id, name, s.ID, op.Name, got.req.Method, got.req.URL)
				continue
			}
			seen[name] = true
			acts := op.ActionsFor(params)
			if len(acts) == 0 {
				if _, deliberate := unmappedOnPurpose[sc.id+"."+name]; !deliberate {
					t.Errorf("%s %s: no actions (params %v)", sc.id, name, params)
				}
				continue
			}
			for i := range acts {
				if _, err := acts[i].ResourceARNs(params, env); err != nil && !noResourceInRequest[sc.id+"."+name] {
					t.Errorf("%s %s: %s: %v (params %v)", sc.id, name, acts[i].Name, err, params)
				}
			}
		}
		var notSent []string
		for _, op := range svc.Operations {
			if !seen[op.Name] {
				notSent = append(notSent, op.Name)
			}
		}
		sort.Strings(notSent)
		t.Logf("%s: %d of %d operations identified from SDK requests; not sent (absent from this SDK or skipped): %v", sc.id, len(seen), len(svc.Operations), notSent)
	}
}

// unmappedOnPurpose are the exact services' operations with no mapping, on
// purpose (see overrides.go): the gateway refuses them.
var unmappedOnPurpose = map[string]bool{
	"dynamodb.BatchExecuteStatement": true,
	"dynamodb.ExecuteStatement":      true,
	"dynamodb.ExecuteTransaction":    true,
	"ecr.ListImageReferrers":         true,
	"s3.RenameObject":                true,
}

// TestS3VirtualHosted identifies virtual-hosted-style S3 requests.
func TestS3VirtualHosted(t *testing.T) {
	cat := mustLoad(t)
	rec := newRecorder(t)
	rec.cfg.BaseEndpoint = aws.String(fmt.Sprintf("http://localhost:%d", rec.srv.Listener.Addr().(*net.TCPAddr).Port))
	client := s3.NewFromConfig(rec.cfg)
	ctx := context.Background()
	_, _ = client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("my-bucket"), Key: aws.String("a/b.txt")})
	_, _ = client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("my-bucket"), Prefix: aws.String("a/")})
	reqs := rec.take()
	if len(reqs) != 2 {
		t.Fatalf("got %d requests", len(reqs))
	}
	for i, want := range []struct{ op, bucket string }{{"GetObject", "my-bucket"}, {"ListObjectsV2", "my-bucket"}} {
		r := reqs[i]
		if !strings.HasPrefix(r.req.Host, "my-bucket.localhost") {
			t.Fatalf("request %d went to %s, not virtual-hosted", i, r.req.Host)
		}
		_, op, p, err := cat.Identify("s3", r.req, nil)
		if err != nil {
			t.Fatal(err)
		}
		if op.Name != want.op {
			t.Errorf("request %d: %s, want %s", i, op.Name, want.op)
		}
		if b, _ := p.Get("Bucket"); b != want.bucket {
			t.Errorf("request %d: Bucket %q", i, b)
		}
	}
}
