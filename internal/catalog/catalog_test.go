package catalog

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func mustLoad(t testing.TB) *Catalog {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestLoad checks the whole table: every service has a signing name and a
// protocol Identify knows, every operation of a REST service has a
// template, and the exact services' operations all map (but the few left
// unmapped on purpose).
func TestLoad(t *testing.T) {
	c := mustLoad(t)
	if len(c.Services()) < 400 {
		t.Errorf("only %d services", len(c.Services()))
	}
	if c.Sources["botocore"] == "" || c.Sources["iam-data"] == "" {
		t.Errorf("sources not recorded: %v", c.Sources)
	}
	ops, mapped := 0, 0
	for _, s := range c.Services() {
		if s.SigningName == "" {
			t.Errorf("%s: no signing name", s.ID)
			continue
		}
		if s.accepts == 0 {
			t.Errorf("%s: protocol %q (of %v) unknown to Identify", s.ID, s.Protocol, s.Protocols)
		}
		found := false
		for _, o := range c.BySigningName(s.SigningName) {
			found = found || o == s
		}
		if !found {
			t.Errorf("%s: not found by its signing name %s", s.ID, s.SigningName)
		}
		for _, o := range s.Operations {
			ops++
			if len(o.Actions()) > 0 {
				mapped++
			}
			if s.accepts&acceptREST != 0 && o.tmpl == nil {
				t.Errorf("%s %s: no URI template", s.ID, o.Name)
			}
			if s.Operation(o.Name) != o {
				t.Errorf("%s %s: not found by name", s.ID, o.Name)
			}
		}
	}
	t.Logf("%d services, %d operations, %d mapped to IAM actions", len(c.Services()), ops, mapped)
	for _, id := range []string{"s3", "dynamodb", "ecr", "sqs", "sns", "kms", "secretsmanager", "lambda"} {
		s := c.Service(id)
		for _, o := range s.Operations {
			if len(o.Actions()) == 0 && !unmappedOnPurpose[id+"."+o.Name] {
				t.Errorf("%s %s: unmapped", id, o.Name)
			}
		}
	}
	for id, want := range map[string]string{"s3": "rest-xml", "dynamodb": "json", "sqs": "json", "sns": "query", "lambda": "rest-json", "ec2": "ec2", "cloudwatch": "json", "iam": "query"} {
		if got := c.Service(id).Protocol; got != want {
			t.Errorf("%s: protocol %s, want %s", id, got, want)
		}
	}
	if got := c.Service("ecr").IAMPrefix; got != "ecr" {
		t.Errorf("ecr IAM prefix %q", got)
	}
	if got := c.Service("cloudwatch").IAMPrefix; got != "cloudwatch" {
		t.Errorf("cloudwatch IAM prefix %q", got)
	}
}

// TestIdentifyProtocols covers the protocols the SDK sweep doesn't: EC2,
// Query by GET, CBOR, and the errors.
func TestIdentifyProtocols(t *testing.T) {
	c := mustLoad(t)
	form := func(target, body string) *http.Request {
		r := httptest.NewRequest("POST", target, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		return r
	}
	tests := []struct {
		name, signing string
		r             *http.Request
		body          string
		svc, op       string
		params        map[string][]string
		err           error
	}{
		{"ec2 form", "ec2", form("/", ""), "Action=DescribeInstances&Version=2016-11-15&InstanceId.1=i-1&InstanceId.2=i-2&MaxResults=5",
			"ec2", "DescribeInstances", map[string][]string{"InstanceIds": {"i-1", "i-2"}, "MaxResults": {"5"}}, nil},
		{"query by GET", "sns", httptest.NewRequest("GET", "/?Action=Publish&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A111122223333%3At&Message=hi", nil), "",
			"sns", "Publish", map[string][]string{"TopicArn": {"arn:aws:sns:us-east-1:111122223333:t"}}, nil},
		{"query Version picks elbv2", "elasticloadbalancing", form("/", ""), "Action=DescribeLoadBalancers&Version=2015-12-01",
			"elbv2", "DescribeLoadBalancers", nil, nil},
		{"query Version picks elb", "elasticloadbalancing", form("/", ""), "Action=DescribeLoadBalancers&Version=2012-06-01",
			"elb", "DescribeLoadBalancers", nil, nil},
		{"query rds over docdb", "rds", form("/", ""), "Action=DescribeDBInstances&Version=2014-10-31&DBInstanceIdentifier=db1",
			"rds", "DescribeDBInstances", map[string][]string{"DBInstanceIdentifier": {"db1"}}, nil},
		{"cbor", "monitoring", func() *http.Request {
			r := httptest.NewRequest("POST", "/service/GraniteServiceVersion20100801/operation/GetMetricData", nil)
			r.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
			return r
		}(), "", "cloudwatch", "GetMetricData", nil, nil},
		{"json CloudWatch", "monitoring", func() *http.Request {
			r := httptest.NewRequest("POST", "/", nil)
			r.Header.Set("X-Amz-Target", "GraniteServiceVersion20100801.PutMetricData")
			return r
		}(), `{"Namespace":"app"}`, "cloudwatch", "PutMetricData", map[string][]string{"Namespace": {"app"}}, nil},
		{"unknown service", "nope", httptest.NewRequest("GET", "/", nil), "", "", "", nil, ErrUnknownService},
		{"unknown target", "dynamodb", func() *http.Request {
			r := httptest.NewRequest("POST", "/", nil)
			r.Header.Set("X-Amz-Target", "DynamoDB_20120810.Nope")
			return r
		}(), "{}", "", "", nil, ErrNoSuchOperation},
		{"unknown query action", "sns", form("/", ""), "Action=Nope&Version=2010-03-31", "", "", nil, ErrNoSuchOperation},
		{"no REST match", "lambda", httptest.NewRequest("PATCH", "/nowhere", nil), "", "", "", nil, ErrNoSuchOperation},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body []byte
			if tc.body != "" {
				body = []byte(tc.body)
			}
			s, o, p, err := c.Identify(tc.signing, tc.r, body)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.ID != tc.svc || o.Name != tc.op {
				t.Fatalf("got %s %s, want %s %s", s.ID, o.Name, tc.svc, tc.op)
			}
			for k, want := range tc.params {
				if got := p.All(k); strings.Join(got, ",") != strings.Join(want, ",") {
					t.Errorf("%s = %v, want %v", k, got, want)
				}
			}
		})
	}
}

// TestResourceARNErrors: a required resource that the request doesn't name
// is an error naming the variable and the parameter.
func TestResourceARNErrors(t *testing.T) {
	c := mustLoad(t)
	op := c.Service("dynamodb").Operation("GetItem")
	a := op.Actions()[0]
	_, err := a.ResourceARNs(Params{}, Env{Region: "us-east-1", Account: "111122223333"})
	var me *MissingError
	if !errors.As(err, &me) || me.Variable != "TableName" || me.Param != "TableName" || me.ResourceType != "table" {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "${TableName}") {
		t.Errorf("message %q doesn't name the variable", err)
	}
	// A table ARN of another service doesn't make a DynamoDB table.
	if _, err := a.ResourceARNs(Params{{"TableName", "arn:aws:s3:::bucket"}}, Env{}); err == nil {
		t.Error("an S3 ARN made a table ARN")
	}
	// ConditionKeys carry the action's service keys.
	if !contains(a.ConditionKeys, "dynamodb:LeadingKeys") {
		t.Errorf("GetItem condition keys %v lack dynamodb:LeadingKeys", a.ConditionKeys)
	}
	// DeleteObjects without its body has no keys, hence no actions: refused.
	del := c.Service("s3").Operation("DeleteObjects")
	if acts := del.ActionsFor(Params{{"Bucket", "b"}}); len(acts) != 0 {
		t.Errorf("DeleteObjects without a body: %d actions", len(acts))
	}
}
