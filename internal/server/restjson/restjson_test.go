package restjson

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
)

// The fixtures the test server answers with: every member set, timestamps
// with a millisecond fraction.
var (
	created  = time.Date(2024, 5, 6, 7, 8, 9, 123_000_000, time.UTC)
	modified = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
)

func fixtureCluster(name string) *types.Cluster {
	return &types.Cluster{
		Arn:       aws.String("arn:aws:eks:us-east-1:123456789012:cluster/" + name),
		Name:      aws.String(name),
		CreatedAt: aws.Time(created),
		Status:    types.ClusterStatusActive,
		Version:   aws.String("1.31"),
		RoleArn:   aws.String("arn:aws:iam::123456789012:role/eks"),
		Endpoint:  aws.String("https://ABCDEF.gr7.us-east-1.eks.amazonaws.com"),
		Identity: &types.Identity{Oidc: &types.OIDC{
			Issuer: aws.String("https://oidc.eks.us-east-1.amazonaws.com/id/ABCDEF"),
		}},
		Tags: map[string]string{"team": "platform", "env": "test"},
		ResourcesVpcConfig: &types.VpcConfigResponse{
			SubnetIds:            []string{"subnet-1", "subnet-2"},
			EndpointPublicAccess: true,
		},
	}
}

func fixtureAssociation(cluster, id string) *types.PodIdentityAssociation {
	return &types.PodIdentityAssociation{
		ClusterName:        aws.String(cluster),
		Namespace:          aws.String("default"),
		ServiceAccount:     aws.String("app"),
		RoleArn:            aws.String("arn:aws:iam::123456789012:role/app"),
		AssociationArn:     aws.String("arn:aws:eks:us-east-1:123456789012:podidentityassociation/" + cluster + "/" + id),
		AssociationId:      aws.String(id),
		Tags:               map[string]string{"k": "v"},
		CreatedAt:          aws.Time(created),
		ModifiedAt:         aws.Time(modified),
		OwnerArn:           aws.String("arn:aws:eks:us-east-1:123456789012:addon/" + cluster + "/vpc-cni/x"),
		DisableSessionTags: aws.Bool(true),
		TargetRoleArn:      aws.String("arn:aws:iam::210987654321:role/target"),
		ExternalId:         aws.String("ext-123"),
		Policy:             aws.String(`{"Version":"2012-10-17","Statement":[]}`),
	}
}

// testServer is a small router for seven EKS operations. It records the
// input each request decoded to.
type testServer struct {
	mu   sync.Mutex
	seen []any // decoded inputs, in order
}

func (s *testServer) record(in any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, in)
}

func (s *testServer) last(t *testing.T) any {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.seen) == 0 {
		t.Fatal("server saw no request")
	}
	return s.seen[len(s.seen)-1]
}

// fail answers a decode or bind error.
func fail(w http.ResponseWriter, err error) {
	var e *Error
	if errors.As(err, &e) {
		WriteError(w, e.Status, e.Code, e.Message, nil)
		return
	}
	WriteError(w, http.StatusInternalServerError, "ServerException", err.Error(), nil)
}

// decode reads the body into in and binds the path values and query
// parameters named by binds (Go field → "path:name" or "query:name").
func decode(w http.ResponseWriter, r *http.Request, in any, binds map[string]string) bool {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		fail(w, err)
		return false
	}
	if err := Decode(body, in); err != nil {
		fail(w, err)
		return false
	}
	for field, src := range binds {
		kind, name, _ := strings.Cut(src, ":")
		var values []string
		if kind == "path" {
			values = []string{r.PathValue(name)}
		} else {
			values = r.URL.Query()[name]
		}
		for _, v := range values {
			if err := SetField(in, field, v); err != nil {
				fail(w, err)
				return false
			}
		}
	}
	return true
}

func (s *testServer) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /clusters", func(w http.ResponseWriter, r *http.Request) {
		in := &eks.CreateClusterInput{}
		if !decode(w, r, in, nil) {
			return
		}
		s.record(in)
		c := fixtureCluster(aws.ToString(in.Name))
		c.Status = types.ClusterStatusCreating
		_ = Encode(w, http.StatusOK, &eks.CreateClusterOutput{Cluster: c})
	})
	mux.HandleFunc("GET /clusters/{name}", func(w http.ResponseWriter, r *http.Request) {
		in := &eks.DescribeClusterInput{}
		if !decode(w, r, in, map[string]string{"Name": "path:name"}) {
			return
		}
		s.record(in)
		if aws.ToString(in.Name) == "x" {
			WriteError(w, http.StatusNotFound, "ResourceNotFoundException", "No cluster found for name: x.", nil)
			return
		}
		if aws.ToString(in.Name) == "y" {
			WriteError(w, http.StatusNotFound, "ResourceNotFoundException", "No cluster found for name: y.",
				map[string]string{"clusterName": "y"})
			return
		}
		_ = Encode(w, http.StatusOK, &eks.DescribeClusterOutput{Cluster: fixtureCluster(aws.ToString(in.Name))})
	})
	mux.HandleFunc("GET /clusters", func(w http.ResponseWriter, r *http.Request) {
		in := &eks.ListClustersInput{}
		if !decode(w, r, in, map[string]string{
			"MaxResults": "query:maxResults", "NextToken": "query:nextToken", "Include": "query:include",
		}) {
			return
		}
		s.record(in)
		_ = Encode(w, http.StatusOK, &eks.ListClustersOutput{
			Clusters:  []string{"a", "b"},
			NextToken: aws.String("next"),
		})
	})
	mux.HandleFunc("DELETE /clusters/{name}", func(w http.ResponseWriter, r *http.Request) {
		in := &eks.DeleteClusterInput{}
		if !decode(w, r, in, map[string]string{"Name": "path:name"}) {
			return
		}
		s.record(in)
		c := fixtureCluster(aws.ToString(in.Name))
		c.Status = types.ClusterStatusDeleting
		_ = Encode(w, http.StatusOK, &eks.DeleteClusterOutput{Cluster: c})
	})
	mux.HandleFunc("POST /clusters/{name}/pod-identity-associations", func(w http.ResponseWriter, r *http.Request) {
		in := &eks.CreatePodIdentityAssociationInput{}
		if !decode(w, r, in, map[string]string{"ClusterName": "path:name"}) {
			return
		}
		s.record(in)
		a := fixtureAssociation(aws.ToString(in.ClusterName), "a-1")
		_ = Encode(w, http.StatusOK, &eks.CreatePodIdentityAssociationOutput{Association: a})
	})
	mux.HandleFunc("GET /clusters/{name}/pod-identity-associations/{id}", func(w http.ResponseWriter, r *http.Request) {
		in := &eks.DescribePodIdentityAssociationInput{}
		if !decode(w, r, in, map[string]string{"ClusterName": "path:name", "AssociationId": "path:id"}) {
			return
		}
		s.record(in)
		a := fixtureAssociation(aws.ToString(in.ClusterName), aws.ToString(in.AssociationId))
		_ = Encode(w, http.StatusOK, &eks.DescribePodIdentityAssociationOutput{Association: a})
	})
	mux.HandleFunc("GET /clusters/{name}/pod-identity-associations", func(w http.ResponseWriter, r *http.Request) {
		in := &eks.ListPodIdentityAssociationsInput{}
		if !decode(w, r, in, map[string]string{
			"ClusterName": "path:name", "Namespace": "query:namespace", "ServiceAccount": "query:serviceAccount",
			"MaxResults": "query:maxResults", "NextToken": "query:nextToken",
		}) {
			return
		}
		s.record(in)
		_ = Encode(w, http.StatusOK, &eks.ListPodIdentityAssociationsOutput{
			Associations: []types.PodIdentityAssociationSummary{listSummary(aws.ToString(in.ClusterName))},
			NextToken:    aws.String("page-2"),
		})
	})
	return mux
}

func listSummary(cluster string) types.PodIdentityAssociationSummary {
	return types.PodIdentityAssociationSummary{
		ClusterName:    aws.String(cluster),
		Namespace:      aws.String("default"),
		ServiceAccount: aws.String("app"),
		AssociationArn: aws.String("arn:aws:eks:us-east-1:123456789012:podidentityassociation/" + cluster + "/a-1"),
		AssociationId:  aws.String("a-1"),
		OwnerArn:       aws.String("arn:aws:eks:us-east-1:123456789012:addon/x"),
	}
}

// newClient returns an EKS client for the server at url.
func newClient(url string) *eks.Client {
	cfg := aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		BaseEndpoint:     aws.String(url),
		RetryMaxAttempts: 1,
	}
	return eks.NewFromConfig(cfg)
}

func startServer(t *testing.T) (*testServer, *eks.Client) {
	t.Helper()
	s := &testServer{}
	srv := httptest.NewServer(s.handler())
	t.Cleanup(srv.Close)
	return s, newClient(srv.URL)
}

// checkSeen asserts the server decoded exactly the input the client sent.
func checkSeen(t *testing.T, s *testServer, sent any) {
	t.Helper()
	if got := s.last(t); !reflect.DeepEqual(got, sent) {
		t.Errorf("server saw\n%#v\nclient sent\n%#v", got, sent)
	}
}

func TestClientCreateCluster(t *testing.T) {
	s, c := startServer(t)
	in := &eks.CreateClusterInput{
		Name:               aws.String("prod"),
		RoleArn:            aws.String("arn:aws:iam::123456789012:role/eks"),
		Version:            aws.String("1.31"),
		ClientRequestToken: aws.String("token-1"),
		Tags:               map[string]string{"team": "platform", "env": "test"},
		ResourcesVpcConfig: &types.VpcConfigRequest{
			SubnetIds:             []string{"subnet-1", "subnet-2"},
			SecurityGroupIds:      []string{"sg-1"},
			EndpointPublicAccess:  aws.Bool(true),
			EndpointPrivateAccess: aws.Bool(false),
		},
		DeletionProtection: aws.Bool(false),
		Logging: &types.Logging{ClusterLogging: []types.LogSetup{
			{Enabled: aws.Bool(true), Types: []types.LogType{types.LogTypeApi, types.LogTypeAudit}},
		}},
	}
	out, err := c.CreateCluster(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	checkSeen(t, s, in)
	want := fixtureCluster("prod")
	want.Status = types.ClusterStatusCreating
	if !reflect.DeepEqual(out.Cluster, want) {
		t.Errorf("client got\n%#v\nwant\n%#v", out.Cluster, want)
	}
}

func TestClientDescribeCluster(t *testing.T) {
	s, c := startServer(t)
	in := &eks.DescribeClusterInput{Name: aws.String("prod")}
	out, err := c.DescribeCluster(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	checkSeen(t, s, in)
	if want := fixtureCluster("prod"); !reflect.DeepEqual(out.Cluster, want) {
		t.Errorf("client got\n%#v\nwant\n%#v", out.Cluster, want)
	}
	// The fields named in the brief, one by one, for a readable failure.
	cl := out.Cluster
	if aws.ToString(cl.Identity.Oidc.Issuer) != "https://oidc.eks.us-east-1.amazonaws.com/id/ABCDEF" ||
		!cl.CreatedAt.Equal(created) || cl.Status != types.ClusterStatusActive ||
		cl.Tags["team"] != "platform" || !cl.ResourcesVpcConfig.EndpointPublicAccess {
		t.Errorf("cluster fields: %+v", cl)
	}
}

func TestClientListClusters(t *testing.T) {
	s, c := startServer(t)
	in := &eks.ListClustersInput{
		MaxResults: aws.Int32(10),
		NextToken:  aws.String("tok en/+"),
		Include:    []string{"all", "other"},
	}
	out, err := c.ListClusters(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	checkSeen(t, s, in)
	if !reflect.DeepEqual(out.Clusters, []string{"a", "b"}) || aws.ToString(out.NextToken) != "next" {
		t.Errorf("client got %+v", out)
	}
}

func TestClientDeleteCluster(t *testing.T) {
	s, c := startServer(t)
	in := &eks.DeleteClusterInput{Name: aws.String("prod")}
	out, err := c.DeleteCluster(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	checkSeen(t, s, in)
	want := fixtureCluster("prod")
	want.Status = types.ClusterStatusDeleting
	if !reflect.DeepEqual(out.Cluster, want) {
		t.Errorf("client got\n%#v\nwant\n%#v", out.Cluster, want)
	}
}

func TestClientCreatePodIdentityAssociation(t *testing.T) {
	s, c := startServer(t)
	in := &eks.CreatePodIdentityAssociationInput{
		ClusterName:        aws.String("prod"),
		Namespace:          aws.String("default"),
		ServiceAccount:     aws.String("app"),
		RoleArn:            aws.String("arn:aws:iam::123456789012:role/app"),
		ClientRequestToken: aws.String("token-2"),
		Tags:               map[string]string{"k": "v"},
		DisableSessionTags: aws.Bool(false),
		TargetRoleArn:      aws.String("arn:aws:iam::210987654321:role/target"),
		Policy:             aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`),
	}
	out, err := c.CreatePodIdentityAssociation(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	checkSeen(t, s, in)
	if want := fixtureAssociation("prod", "a-1"); !reflect.DeepEqual(out.Association, want) {
		t.Errorf("client got\n%#v\nwant\n%#v", out.Association, want)
	}
	// A false bool pointer is sent and must arrive as false, not nil.
	seen := s.last(t).(*eks.CreatePodIdentityAssociationInput)
	if seen.DisableSessionTags == nil || *seen.DisableSessionTags {
		t.Errorf("disableSessionTags = %v, want pointer to false", seen.DisableSessionTags)
	}
}

func TestClientDescribePodIdentityAssociation(t *testing.T) {
	s, c := startServer(t)
	in := &eks.DescribePodIdentityAssociationInput{
		ClusterName:   aws.String("prod"),
		AssociationId: aws.String("a-42"),
	}
	out, err := c.DescribePodIdentityAssociation(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	checkSeen(t, s, in)
	want := fixtureAssociation("prod", "a-42")
	if !reflect.DeepEqual(out.Association, want) {
		t.Errorf("client got\n%#v\nwant\n%#v", out.Association, want)
	}
	a := out.Association
	if !a.CreatedAt.Equal(created) || !a.ModifiedAt.Equal(modified) || !aws.ToBool(a.DisableSessionTags) ||
		aws.ToString(a.ExternalId) != "ext-123" || aws.ToString(a.TargetRoleArn) == "" || aws.ToString(a.Policy) == "" ||
		aws.ToString(a.OwnerArn) == "" || a.Tags["k"] != "v" {
		t.Errorf("association fields: %+v", a)
	}
}

func TestClientListPodIdentityAssociations(t *testing.T) {
	s, c := startServer(t)
	in := &eks.ListPodIdentityAssociationsInput{
		ClusterName:    aws.String("prod"),
		Namespace:      aws.String("default"),
		ServiceAccount: aws.String("app"),
		MaxResults:     aws.Int32(5),
		NextToken:      aws.String("page-1"),
	}
	out, err := c.ListPodIdentityAssociations(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	checkSeen(t, s, in)
	want := []types.PodIdentityAssociationSummary{listSummary("prod")}
	if !reflect.DeepEqual(out.Associations, want) || aws.ToString(out.NextToken) != "page-2" {
		t.Errorf("client got\n%#v\nwant\n%#v", out.Associations, want)
	}
}

func TestClientResourceNotFound(t *testing.T) {
	_, c := startServer(t)
	_, err := c.DescribeCluster(context.Background(), &eks.DescribeClusterInput{Name: aws.String("x")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("err = %v (%T), want *types.ResourceNotFoundException", err, err)
	}
	if nf.ErrorMessage() != "No cluster found for name: x." || nf.ErrorCode() != "ResourceNotFoundException" {
		t.Errorf("got code %q message %q", nf.ErrorCode(), nf.ErrorMessage())
	}
	if nf.ClusterName != nil {
		t.Errorf("clusterName = %q, want none", *nf.ClusterName)
	}

	// Extra members reach the modeled error's fields.
	_, err = c.DescribeCluster(context.Background(), &eks.DescribeClusterInput{Name: aws.String("y")})
	if !errors.As(err, &nf) {
		t.Fatalf("err = %v (%T), want *types.ResourceNotFoundException", err, err)
	}
	if aws.ToString(nf.ClusterName) != "y" || nf.ErrorMessage() != "No cluster found for name: y." {
		t.Errorf("got clusterName %q message %q", aws.ToString(nf.ClusterName), nf.ErrorMessage())
	}
}

func TestServerMalformedBody(t *testing.T) {
	s := &testServer{}
	srv := httptest.NewServer(s.handler())
	defer srv.Close()
	for _, body := range []string{`{"name":`, `{"name": 5}`, `[1]`, `{"tags":{"a":1}}`} {
		resp, err := http.Post(srv.URL+"/clusters", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("X-Amzn-ErrorType") != CodeSerializationException ||
			resp.Header.Get("Content-Type") != "application/json" || !strings.HasPrefix(string(msg), `{"message":"`) {
			t.Errorf("body %s: got %d %q %s", body, resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), msg)
		}
	}
	if len(s.seen) != 0 {
		t.Errorf("handler ran for a malformed body")
	}
}
