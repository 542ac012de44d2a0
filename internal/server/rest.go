package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"

	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/eks"
	"github.com/assumed-dev/assumed/internal/eksauth/wire"
	"github.com/assumed-dev/assumed/internal/gateway"
	"github.com/assumed-dev/assumed/internal/server/restjson"
)

// restRoute is one operation of a REST-JSON service: an HTTP method and a
// path template whose {placeholders} (and listed query parameters) bind
// to fields of the operation's SDK input.
type restRoute struct {
	method string
	path   []string // segments; "{x}" binds a placeholder
	op     string   // the service method (or, with handle, the operation's name)
	bind   map[string]string
	status int // success status
	// handle serves an operation without an SDK shape (EKS Auth, assumed's
	// own endpoints) instead of the reflective call; params are the path
	// placeholders' values.
	handle func(s *Server, r *http.Request, caller *directory.Caller, params map[string]string, body []byte) (any, error)
}

// restService is a service spoken over REST-JSON.
type restService struct {
	impl   any    // the service whose methods the reflective routes call
	sdkPkg string // import path of the SDK types of its operations
	routes []restRoute
}

func route(method, path, op string, status int, bind map[string]string) restRoute {
	return restRoute{method: method, path: strings.Split(strings.Trim(path, "/"), "/"), op: op, bind: bind, status: status}
}

// eksRoutes are the EKS operations `assumed` serves, with the token and
// key-rotation endpoints of the simulated clusters' issuers.
func eksRoutes() []restRoute {
	name := map[string]string{"{name}": "Name"}
	assoc := map[string]string{"{name}": "ClusterName", "{id}": "AssociationId"}
	updates := map[string]string{"{name}": "Name", "nodegroupName": "NodegroupName", "addonName": "AddonName", "capabilityName": "CapabilityName", "maxResults": "MaxResults", "nextToken": "NextToken"}
	update := map[string]string{"{name}": "Name", "{id}": "UpdateId", "nodegroupName": "NodegroupName", "addonName": "AddonName", "capabilityName": "CapabilityName"}
	tags := map[string]string{"{arn}": "ResourceArn"}
	cluster := map[string]string{"{name}": "ClusterName"}
	entry := map[string]string{"{name}": "ClusterName", "{principal}": "PrincipalArn"}
	addon := map[string]string{"{name}": "ClusterName", "{addon}": "AddonName"}
	nodegroup := map[string]string{"{name}": "ClusterName", "{ng}": "NodegroupName"}
	fargate := map[string]string{"{name}": "ClusterName", "{fp}": "FargateProfileName"}
	return []restRoute{
		route("POST", "/clusters", "CreateCluster", http.StatusOK, nil),
		route("GET", "/clusters", "ListClusters", http.StatusOK, map[string]string{"maxResults": "MaxResults", "nextToken": "NextToken"}),
		route("GET", "/clusters/{name}", "DescribeCluster", http.StatusOK, name),
		route("DELETE", "/clusters/{name}", "DeleteCluster", http.StatusOK, name),
		route("POST", "/clusters/{name}/updates", "UpdateClusterVersion", http.StatusOK, name),
		route("GET", "/clusters/{name}/updates", "ListUpdates", http.StatusOK, updates),
		route("GET", "/clusters/{name}/updates/{id}", "DescribeUpdate", http.StatusOK, update),
		route("POST", "/clusters/{name}/update-config", "UpdateClusterConfig", http.StatusOK, name),
		route("POST", "/tags/{arn}", "TagResource", http.StatusOK, tags),
		route("GET", "/tags/{arn}", "ListTagsForResource", http.StatusOK, tags),
		route("DELETE", "/tags/{arn}", "UntagResource", http.StatusOK, map[string]string{"{arn}": "ResourceArn", "tagKeys": "TagKeys"}),
		route("POST", "/clusters/{name}/pod-identity-associations", "CreatePodIdentityAssociation", http.StatusOK, assoc),
		route("GET", "/clusters/{name}/pod-identity-associations", "ListPodIdentityAssociations", http.StatusOK, map[string]string{"{name}": "ClusterName", "namespace": "Namespace", "serviceAccount": "ServiceAccount", "maxResults": "MaxResults", "nextToken": "NextToken"}),
		route("GET", "/clusters/{name}/pod-identity-associations/{id}", "DescribePodIdentityAssociation", http.StatusOK, assoc),
		route("POST", "/clusters/{name}/pod-identity-associations/{id}", "UpdatePodIdentityAssociation", http.StatusOK, assoc),
		route("DELETE", "/clusters/{name}/pod-identity-associations/{id}", "DeletePodIdentityAssociation", http.StatusOK, assoc),
		// Access entries and access policies.
		route("POST", "/clusters/{name}/access-entries", "CreateAccessEntry", http.StatusOK, cluster),
		route("GET", "/clusters/{name}/access-entries", "ListAccessEntries", http.StatusOK, withPages(cluster, "associatedPolicyArn", "AssociatedPolicyArn")),
		route("GET", "/clusters/{name}/access-entries/{principal}", "DescribeAccessEntry", http.StatusOK, entry),
		route("POST", "/clusters/{name}/access-entries/{principal}", "UpdateAccessEntry", http.StatusOK, entry),
		route("DELETE", "/clusters/{name}/access-entries/{principal}", "DeleteAccessEntry", http.StatusOK, entry),
		route("POST", "/clusters/{name}/access-entries/{principal}/access-policies", "AssociateAccessPolicy", http.StatusOK, entry),
		route("GET", "/clusters/{name}/access-entries/{principal}/access-policies", "ListAssociatedAccessPolicies", http.StatusOK, withPages(entry)),
		route("DELETE", "/clusters/{name}/access-entries/{principal}/access-policies/{policy}", "DisassociateAccessPolicy", http.StatusOK, map[string]string{"{name}": "ClusterName", "{principal}": "PrincipalArn", "{policy}": "PolicyArn"}),
		route("GET", "/access-policies", "ListAccessPolicies", http.StatusOK, withPages(nil)),
		// Add-ons.
		route("POST", "/clusters/{name}/addons", "CreateAddon", http.StatusOK, cluster),
		route("GET", "/clusters/{name}/addons", "ListAddons", http.StatusOK, withPages(cluster)),
		route("GET", "/clusters/{name}/addons/{addon}", "DescribeAddon", http.StatusOK, addon),
		route("POST", "/clusters/{name}/addons/{addon}/update", "UpdateAddon", http.StatusOK, addon),
		route("DELETE", "/clusters/{name}/addons/{addon}", "DeleteAddon", http.StatusOK, map[string]string{"{name}": "ClusterName", "{addon}": "AddonName", "preserve": "Preserve"}),
		route("GET", "/addons/supported-versions", "DescribeAddonVersions", http.StatusOK, withPages(nil, "addonName", "AddonName", "kubernetesVersion", "KubernetesVersion", "types", "Types", "publishers", "Publishers", "owners", "Owners")),
		route("GET", "/addons/configuration-schemas", "DescribeAddonConfiguration", http.StatusOK, map[string]string{"addonName": "AddonName", "addonVersion": "AddonVersion"}),
		// Identity provider configs.
		route("POST", "/clusters/{name}/identity-provider-configs/associate", "AssociateIdentityProviderConfig", http.StatusOK, cluster),
		route("POST", "/clusters/{name}/identity-provider-configs/describe", "DescribeIdentityProviderConfig", http.StatusOK, cluster),
		route("POST", "/clusters/{name}/identity-provider-configs/disassociate", "DisassociateIdentityProviderConfig", http.StatusOK, cluster),
		route("GET", "/clusters/{name}/identity-provider-configs", "ListIdentityProviderConfigs", http.StatusOK, withPages(cluster)),
		// Node groups and Fargate profiles.
		route("POST", "/clusters/{name}/node-groups", "CreateNodegroup", http.StatusOK, cluster),
		route("GET", "/clusters/{name}/node-groups", "ListNodegroups", http.StatusOK, withPages(cluster)),
		route("GET", "/clusters/{name}/node-groups/{ng}", "DescribeNodegroup", http.StatusOK, nodegroup),
		route("DELETE", "/clusters/{name}/node-groups/{ng}", "DeleteNodegroup", http.StatusOK, nodegroup),
		route("POST", "/clusters/{name}/node-groups/{ng}/update-config", "UpdateNodegroupConfig", http.StatusOK, nodegroup),
		route("POST", "/clusters/{name}/node-groups/{ng}/update-version", "UpdateNodegroupVersion", http.StatusOK, nodegroup),
		route("POST", "/clusters/{name}/fargate-profiles", "CreateFargateProfile", http.StatusOK, cluster),
		route("GET", "/clusters/{name}/fargate-profiles", "ListFargateProfiles", http.StatusOK, withPages(cluster)),
		route("GET", "/clusters/{name}/fargate-profiles/{fp}", "DescribeFargateProfile", http.StatusOK, fargate),
		route("DELETE", "/clusters/{name}/fargate-profiles/{fp}", "DeleteFargateProfile", http.StatusOK, fargate),
		// Kubernetes versions.
		route("GET", "/cluster-versions", "DescribeClusterVersions", http.StatusOK, withPages(nil, "clusterType", "ClusterType", "clusterVersions", "ClusterVersions", "defaultOnly", "DefaultOnly", "includeAll", "IncludeAll", "status", "Status", "versionStatus", "VersionStatus")),
		handled("POST", "/_assumed/clusters/{name}/token", "CreateToken", createToken),
		handled("POST", "/_assumed/clusters/{name}/rotate-signing-key", "RotateSigningKey", rotateSigningKey),
	}
}

// withPages returns the bindings of base with those of a list's
// maxResults and nextToken query parameters, and more query parameters
// given as pairs of wire name and field.
func withPages(base map[string]string, more ...string) map[string]string {
	m := map[string]string{"maxResults": "MaxResults", "nextToken": "NextToken"}
	for k, v := range base {
		m[k] = v
	}
	for i := 0; i+1 < len(more); i += 2 {
		m[more[i]] = more[i+1]
	}
	return m
}

// eksAuthRoutes are EKS Auth's operations.
func eksAuthRoutes() []restRoute {
	return []restRoute{handled("POST", "/clusters/{clusterName}/assume-role-for-pod-identity", "AssumeRoleForPodIdentity", assumeRoleForPodIdentity)}
}

// handled is a route served by a handler of its own.
func handled(method, path, op string, handle func(*Server, *http.Request, *directory.Caller, map[string]string, []byte) (any, error)) restRoute {
	rt := route(method, path, op, http.StatusOK, nil)
	rt.handle = handle
	return rt
}

// createToken serves assumed's token endpoint (a TokenRequest).
func createToken(s *Server, r *http.Request, caller *directory.Caller, params map[string]string, body []byte) (any, error) {
	var in eks.TokenRequest
	if err := decodeStrict(body, &in); err != nil {
		return nil, err
	}
	out, err := s.eks.CreateToken(r.Context(), caller, params["{name}"], &in)
	if err != nil {
		return nil, err
	}
	return plainJSON{out}, nil
}

// rotateSigningKey serves assumed's key-rotation endpoint.
func rotateSigningKey(s *Server, r *http.Request, caller *directory.Caller, params map[string]string, _ []byte) (any, error) {
	kid, err := s.eks.RotateSigningKeys(r.Context(), caller, params["{name}"])
	if err != nil {
		return nil, err
	}
	return plainJSON{map[string]string{"keyId": kid}}, nil
}

// assumeRoleForPodIdentity serves EKS Auth's one operation.
func assumeRoleForPodIdentity(s *Server, r *http.Request, caller *directory.Caller, params map[string]string, body []byte) (any, error) {
	var in wire.AssumeRoleForPodIdentityInput
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, &apiError{Status: http.StatusBadRequest, Code: wire.InvalidRequestException, Message: "The request body is not valid JSON: " + err.Error(), Sender: true}
	}
	out, err := s.eksAuth.AssumeRoleForPodIdentity(r.Context(), caller, params["{clusterName}"], &in)
	if err != nil {
		return nil, err
	}
	return plainJSON{out}, nil
}

// match finds the route of a request and its placeholder values. The
// path is split at its slashes as sent, then each segment unescaped: a
// placeholder's value may hold an escaped slash (%2F), as an ARN in
// /tags/{resourceArn} does.
func (svc *restService) match(r *http.Request) (*restRoute, map[string]string, bool) {
	segs := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	for i, seg := range segs {
		if v, err := url.PathUnescape(seg); err == nil {
			segs[i] = v
		}
	}
	pathMatched := false
	for i := range svc.routes {
		rt := &svc.routes[i]
		if len(rt.path) != len(segs) {
			continue
		}
		params := map[string]string{}
		ok := true
		for j, p := range rt.path {
			if strings.HasPrefix(p, "{") {
				if segs[j] == "" {
					ok = false
					break
				}
				params[p] = segs[j]
			} else if p != segs[j] {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		pathMatched = true
		if rt.method == r.Method {
			return rt, params, true
		}
	}
	return nil, nil, pathMatched
}

// restCall decodes a REST-JSON request into the operation's SDK input,
// calls the operation and returns its output and success status.
func (s *Server) restCall(r *http.Request, svc *restService, caller *directory.Caller, body []byte) (string, any, int, error) {
	rt, params, found := svc.match(r)
	if rt == nil {
		if found {
			return "", nil, 0, &apiError{Status: http.StatusMethodNotAllowed, Code: "InvalidRequestException", Message: fmt.Sprintf("%s is not allowed on %s", r.Method, r.URL.Path), Sender: true}
		}
		return "", nil, 0, &apiError{Status: http.StatusNotFound, Code: "UnknownOperationException", Message: fmt.Sprintf("No operation at %s %s", r.Method, r.URL.Path), Sender: true}
	}
	if rt.handle != nil {
		out, err := rt.handle(s, r, caller, params, body)
		if err != nil {
			return rt.op, nil, 0, err
		}
		return rt.op, out, rt.status, nil
	}
	m := reflect.ValueOf(svc.impl).MethodByName(rt.op)
	if !m.IsValid() || !isOperation(m.Type(), svc.sdkPkg, rt.op) {
		return rt.op, nil, 0, fmt.Errorf("route %s has no operation method", rt.op)
	}
	in := reflect.New(m.Type().In(2).Elem())
	if err := restjson.Decode(body, in.Interface()); err != nil {
		return rt.op, nil, 0, err
	}
	q := r.URL.Query()
	for key, field := range rt.bind {
		values := []string{params[key]}
		if _, ok := params[key]; !ok {
			if !q.Has(key) {
				continue
			}
			values = q[key][:1]
			if f, ok := in.Elem().Type().FieldByName(field); ok && f.Type.Kind() == reflect.Slice {
				values = q[key] // a list: the parameter given once per member
			}
		}
		for _, v := range values {
			if err := restjson.SetField(in.Interface(), field, v); err != nil {
				return rt.op, nil, 0, err
			}
		}
	}
	res := m.Call([]reflect.Value{reflect.ValueOf(r.Context()), reflect.ValueOf(caller), in})
	if err, _ := res[1].Interface().(error); err != nil {
		return rt.op, nil, 0, err
	}
	return rt.op, res[0].Interface(), rt.status, nil
}

// plainJSON is the answer of one of assumed's own endpoints, written with
// encoding/json rather than the AWS codec.
type plainJSON struct{ v any }

// writeREST writes a REST-JSON answer.
func writeREST(w http.ResponseWriter, status int, out any) error {
	if p, ok := out.(plainJSON); ok {
		b, err := json.Marshal(p.v)
		if err != nil {
			return fmt.Errorf("encode answer: %w", err)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, err = w.Write(b)
		return err
	}
	return restjson.Encode(w, status, out)
}

// decodeStrict decodes a JSON body of one of assumed's own endpoints,
// refusing unknown fields.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &apiError{Status: http.StatusBadRequest, Code: "InvalidRequestException", Message: "The request body is not valid: " + err.Error(), Sender: true}
	}
	return nil
}

// writeRESTError writes an AWS REST-JSON error: the code in
// X-Amzn-ErrorType, {"message": …} in the body.
func writeRESTError(w http.ResponseWriter, err error, ae *apiError) {
	var extra map[string]string
	var ee *eks.Error
	if errors.As(err, &ee) {
		if f := ee.Fields(); len(f) > 0 {
			extra = f
		}
	}
	// JSON protocols name the authentication failures differently.
	restjson.WriteError(w, ae.Status, gateway.JSONCode(ae.Code), ae.Message, extra)
}
