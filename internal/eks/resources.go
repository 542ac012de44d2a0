package eks

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/uuid"

	"github.com/assumed-dev/assumed/arn"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// A cluster's resources
//
// Access entries, add-ons, identity provider configs, node groups and
// Fargate profiles belong to one cluster and are stored with it (in the
// cluster's record), so they are written in the cluster's transaction and
// go when it goes. Each has an ARN ending in a UUID, as EKS's do, and is
// authorized on that ARN with its tags as aws:ResourceTag/…. An action
// on one that does not exist is authorized on the same ARN with "*" in
// place of the UUID, so that a policy granting the resource type by name
// lets the caller learn it is missing, and one naming another UUID does
// not.

// resourceKind is a kind of cluster resource.
type resourceKind int

const (
	kindAccessEntry resourceKind = iota
	kindAddon
	kindIdentityProviderConfig
	kindNodegroup
	kindFargateProfile
)

// arnType is the resource type of the kind in ARNs.
func (k resourceKind) arnType() string {
	return [...]string{"access-entry", "addon", "identityproviderconfig", "nodegroup", "fargateprofile"}[k]
}

// subARN is the ARN of a cluster resource: TYPE/CLUSTER/NAME/UUID, where
// NAME may hold slashes (an access entry's principal, an identity
// provider config's type and name).
func subARN(region, account string, k resourceKind, cluster, name, id string) string {
	return "arn:aws:eks:" + region + ":" + account + ":" + k.arnType() + "/" + cluster + "/" + name + "/" + id
}

// resourceName is the NAME part of a resource's ARN: an access entry's
// is "role/ACCOUNT/NAME" (or user/…) of its principal, an identity
// provider config's "oidc/NAME"; the others' is their name.
func resourceName(k resourceKind, name string) string {
	switch k {
	case kindAccessEntry:
		p, err := arn.ParseAWSPrincipal(name)
		if err != nil || (p.Type != arn.PrincipalRole && p.Type != arn.PrincipalUser) {
			return "*/*/*"
		}
		return p.Type.String() + "/" + p.AccountID + "/" + p.Name
	case kindIdentityProviderConfig:
		return identityProviderTypeOIDC + "/" + name
	}
	return name
}

// findResource returns the ARN and tags of a cluster resource, found by
// its key (principal ARN or name).
func findResource(c *directory.Cluster, k resourceKind, key string) (string, map[string]string, bool) {
	if c == nil {
		return "", nil, false
	}
	switch k {
	case kindAccessEntry:
		if e, ok := c.AccessEntries[key]; ok {
			return e.ARN, e.Tags, true
		}
	case kindAddon:
		if a, ok := c.Addons[key]; ok {
			return a.ARN, a.Tags, true
		}
	case kindIdentityProviderConfig:
		if p, ok := c.IdentityProviderConfigs[key]; ok {
			return p.ARN, p.Tags, true
		}
	case kindNodegroup:
		if n, ok := c.Nodegroups[key]; ok {
			return n.ARN, n.Tags, true
		}
	case kindFargateProfile:
		if f, ok := c.FargateProfiles[key]; ok {
			return f.ARN, f.Tags, true
		}
	}
	return "", nil, false
}

// authorizeResource authorizes an action on a cluster resource: on its
// ARN with its tags when it exists, else on its ARN with "*" for the
// UUID. extra holds the request's own condition keys (nil: none).
func authorizeResource(snap *directory.Snapshot, caller *directory.Caller, action string, k resourceKind, cluster, key string, extra *policy.Context) error {
	c := snap.Clusters[directory.ClusterKey(caller.AccountID, region(caller), cluster)]
	resource, tags, ok := findResource(c, k, key)
	if !ok {
		resource = subARN(region(caller), caller.AccountID, k, cluster, resourceName(k, key), "*")
	}
	return authorize(snap, caller, action, resource, withResourceTags(extra, tags))
}

// authorizeCluster authorizes an action on the caller's cluster (its
// tags as aws:ResourceTag/…), with the request's condition keys.
func authorizeCluster(snap *directory.Snapshot, caller *directory.Caller, action, cluster string, extra *policy.Context) error {
	return authorize(snap, caller, action, clusterARN(region(caller), caller.AccountID, cluster), clusterTagContext(snap, caller, cluster, extra))
}

// contextWith returns ctx (a new one when nil) with key set to values;
// nothing is set when values is empty.
func contextWith(ctx *policy.Context, key string, values ...string) *policy.Context {
	if len(values) == 0 {
		return ctx
	}
	if ctx == nil {
		ctx = policy.NewContext()
	}
	if len(values) == 1 {
		ctx.Set(key, values[0])
	} else {
		ctx.SetMulti(key, values...)
	}
	return ctx
}

// putCluster stores a (new copy of a) cluster in a transaction.
func putCluster(t *directory.Txn, c *directory.Cluster) error {
	key := directory.ClusterKey(c.AccountID, c.Region, c.Name)
	t.Snap.Clusters[key] = c
	return t.Put(kindCluster, c.AccountID, key, c)
}

// stamp is the time a change is recorded at.
func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

func resourceInUse(cluster, format string, args ...any) *Error {
	return &Error{Status: http.StatusConflict, Code: "ResourceInUseException", Message: fmt.Sprintf(format, args...), ClusterName: cluster}
}

func notFound(cluster, format string, args ...any) *Error {
	return &Error{Status: http.StatusNotFound, Code: "ResourceNotFoundException", Message: fmt.Sprintf(format, args...), ClusterName: cluster}
}

// resourceNamePattern is EKS's rule for node group, Fargate profile and
// identity provider config names.
var resourceNamePattern = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9\-_]*$`)

func checkResourceName(field, name string, max int) error {
	if name == "" {
		return invalidParameter("%s is required.", field)
	}
	if len(name) > max || !resourceNamePattern.MatchString(name) {
		return invalidParameter("%s %q is invalid: it must be 1-%d characters, start with a letter or digit, and contain only letters, digits, hyphens and underscores.", field, name, max)
	}
	return nil
}

// namesPage returns one page of a sorted list of names and the token of
// the next. The token holds the name the next page starts at; if that
// name went meanwhile, the page starts after it.
func namesPage(names []string, maxResults *int32, token, prefix string) ([]string, *string, error) {
	max, err := pageSize(maxResults)
	if err != nil {
		return nil, nil, err
	}
	start := 0
	if token != "" {
		rest, ok := strings.CutPrefix(token, prefix)
		b, err := base64.RawURLEncoding.DecodeString(rest)
		if !ok || err != nil {
			return nil, nil, invalidParameter("The nextToken is not valid.")
		}
		start = sort.SearchStrings(names, string(b))
	}
	end := min(start+max, len(names))
	out := append([]string{}, names[start:end]...)
	if end < len(names) {
		return out, aws.String(prefix + base64.RawURLEncoding.EncodeToString([]byte(names[end]))), nil
	}
	return out, nil, nil
}

// listClusterNames is what every List… of a cluster's node groups, Fargate
// profiles, add-ons and identity provider configs does: authorize action on
// the cluster, find it, and page the names names gives of it.
func (s *Service) listClusterNames(caller *directory.Caller, action, cluster string, names func(*directory.Cluster) []string, maxResults *int32, token, prefix string) ([]string, *string, error) {
	snap := s.w.Directory().Snapshot()
	if err := authorizeCluster(snap, caller, action, cluster, nil); err != nil {
		return nil, nil, err
	}
	c, err := s.lookup(snap, caller, cluster)
	if err != nil {
		return nil, nil, err
	}
	return namesPage(names(c), maxResults, token, prefix)
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func newResourceID() string { return uuid.NewString() }

// roleByARN finds an IAM role by its ARN (path included).
func roleByARN(snap *directory.Snapshot, roleARN string) (*directory.Role, bool) {
	p, err := arn.ParseAWSPrincipal(roleARN)
	if err != nil || p.Type != arn.PrincipalRole {
		return nil, false
	}
	a, ok := snap.IAM[p.AccountID]
	if !ok {
		return nil, false
	}
	r, ok := a.Roles[directory.Key(p.Name)]
	if !ok || r.ARN != roleARN {
		return nil, false
	}
	return r, true
}

// userByARN finds an IAM user by its ARN (path included).
func userByARN(snap *directory.Snapshot, userARN string) (*directory.User, bool) {
	p, err := arn.ParseAWSPrincipal(userARN)
	if err != nil || p.Type != arn.PrincipalUser {
		return nil, false
	}
	a, ok := snap.IAM[p.AccountID]
	if !ok {
		return nil, false
	}
	u, ok := a.Users[directory.Key(p.Name)]
	if !ok || u.ARN != userARN {
		return nil, false
	}
	return u, true
}

// trusts reports whether a role's trust policy has an Allow statement
// letting the service principal call sts:AssumeRole, as EKS checks the
// roles it is given for nodes and Fargate pods.
func trusts(r *directory.Role, service string) bool {
	var doc struct {
		Statement json.RawMessage
	}
	if json.Unmarshal([]byte(r.TrustPolicy), &doc) != nil {
		return false
	}
	var stmts []map[string]json.RawMessage
	if json.Unmarshal(doc.Statement, &stmts) != nil {
		var one map[string]json.RawMessage
		if json.Unmarshal(doc.Statement, &one) != nil {
			return false
		}
		stmts = []map[string]json.RawMessage{one}
	}
	for _, st := range stmts {
		var effect string
		var principal struct{ Service json.RawMessage }
		if json.Unmarshal(st["Effect"], &effect) != nil || effect != "Allow" || json.Unmarshal(st["Principal"], &principal) != nil {
			continue
		}
		if !slices.Contains(stringOrList(principal.Service), service) {
			continue
		}
		for _, a := range stringOrList(st["Action"]) {
			if arn.Glob(strings.ToLower(a), "sts:assumerole") {
				return true
			}
		}
	}
	return false
}

// stringOrList reads a JSON string or list of strings.
func stringOrList(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var list []string
	_ = json.Unmarshal(raw, &list)
	return list
}

// checkLabels checks Kubernetes labels (node group labels, Fargate
// selector labels).
func checkLabels(field string, labels map[string]string) error {
	for k, v := range labels {
		if k == "" || len(k) > 317 || len(v) > 63 {
			return invalidParameter("%s: label keys must be 1-317 characters and values at most 63.", field)
		}
	}
	return nil
}

// updateParam is one parameter of an update.
func updateParam[T ~string](typ T, value string) directory.ClusterUpdateParam {
	return directory.ClusterUpdateParam{Type: string(typ), Value: value}
}
