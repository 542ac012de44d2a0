// Package eks is the subset of the EKS API that `assumed` simulates:
// clusters (CreateCluster, DescribeCluster, ListClusters, DeleteCluster,
// UpdateClusterVersion, UpdateClusterConfig and their updates), their
// access entries, add-ons, identity provider configs, node groups and
// Fargate profiles, pod identity associations and the tags of all of
// them, each cluster with its own
// OIDC issuer whose service-account tokens pods present to
// AssumeRoleWithWebIdentity (IRSA). The issuer's signing keys are kept in
// the store, sealed, and rotate with the old key published until the
// tokens it signed have expired.
package eks

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/oidc"
	"github.com/assumed-dev/assumed/internal/store"
	"github.com/assumed-dev/assumed/policy"
)

// Record kinds in the store.
const kindCluster = "eks-cluster"

// Limits and defaults.
const (
	defaultVersion     = "1.33"
	maxClustersPerAcct = 100
	// MaxTokenLifetime is the longest a service-account token may live;
	// a retired signing key stays published this long.
	MaxTokenLifetime = 48 * time.Hour
	// DefaultTokenLifetime is a projected token's lifetime when the
	// request names none (EKS's IRSA webhook asks for 24 h).
	DefaultTokenLifetime = 24 * time.Hour
	// MinTokenLifetime is Kubernetes' minimum (expirationSeconds ≥ 600).
	MinTokenLifetime = 10 * time.Minute
	// IssuerPathPrefix is where the built-in issuers live on the server.
	IssuerPathPrefix = "/_assumed/oidc/id/"
)

// Service is the EKS service.
type Service struct {
	w         *directory.Writer
	sealer    *creds.Sealer
	log       *slog.Logger
	now       func() time.Time
	publicURL atomic.Pointer[string]
	// caPEM is the certificate clusters describe as their
	// certificateAuthority (the data dir's CA).
	caPEM atomic.Pointer[[]byte]
}

// New returns the service writing through w and sealing signing keys
// with sealer.
func New(w *directory.Writer, sealer *creds.Sealer, log *slog.Logger) *Service {
	s := &Service{w: w, sealer: sealer, log: log, now: time.Now}
	s.SetPublicURL("http://127.0.0.1:4599")
	return s
}

// SetPublicURL sets the URL clients reach the server at; issuer URLs are
// built from it.
func (s *Service) SetPublicURL(u string) {
	u = strings.TrimRight(u, "/")
	s.publicURL.Store(&u)
}

// SetCertificateAuthority sets the CA certificate (PEM) that clusters
// describe as their certificateAuthority.
func (s *Service) SetCertificateAuthority(pem []byte) {
	b := append([]byte(nil), pem...)
	s.caPEM.Store(&b)
}

// PublicURL is the URL issuer URLs are built from.
func (s *Service) PublicURL() string { return *s.publicURL.Load() }

// IssuerURL is a cluster's OIDC issuer URL.
func (s *Service) IssuerURL(c *directory.Cluster) string {
	return s.PublicURL() + IssuerPathPrefix + c.IssuerID
}

// IsOwnIssuer reports whether a URL (with or without its scheme) is the
// URL of an issuer this server runs or would run.
func (s *Service) IsOwnIssuer(u string) bool {
	pub := s.PublicURL()
	if !strings.Contains(u, "://") {
		_, pub, _ = strings.Cut(pub, "://")
	}
	return strings.HasPrefix(u, pub+IssuerPathPrefix)
}

// Decoders are the record decoders of the service's state, for loading
// the directory at start.
func Decoders(sealer *creds.Sealer) map[string]directory.RecordDecoder {
	return map[string]directory.RecordDecoder{
		kindCluster: func(r store.Record, snap *directory.Snapshot) error {
			var c directory.Cluster
			if err := json.Unmarshal(r.Data, &c); err != nil {
				return fmt.Errorf("decode cluster %s: %w", r.ID, err)
			}
			keys, err := sealer.Open(c.SealedSigningKeys, c.ARN)
			if err != nil {
				return fmt.Errorf("unseal the signing keys of cluster %s (is this the data dir's own master key?): %w", c.ARN, err)
			}
			c.SigningKeys = keys
			snap.Clusters[r.ID] = &c
			return nil
		},
		kindAssociation: decodeAssociation,
	}
}

// Error is an EKS error: AWS's code, HTTP status and message.
type Error struct {
	Status  int
	Code    string
	Message string
	// ClusterName and the resource's name are echoed in the error body,
	// as EKS does.
	ClusterName        string
	NodegroupName      string
	AddonName          string
	FargateProfileName string
	// Denial is the authorization refusal behind an AccessDenied, with
	// its trace.
	Denial *authz.Denied
}

// Unwrap is the refusal behind the error, if any.
func (e *Error) Unwrap() error {
	if e.Denial == nil {
		return nil
	}
	return e.Denial
}

// Fields are the members the error's body carries beside its message.
func (e *Error) Fields() map[string]string {
	m := map[string]string{}
	for k, v := range map[string]string{"clusterName": e.ClusterName, "nodegroupName": e.NodegroupName, "addonName": e.AddonName, "fargateProfileName": e.FargateProfileName} {
		if v != "" {
			m[k] = v
		}
	}
	return m
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func invalidParameter(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "InvalidParameterException", Message: fmt.Sprintf(format, args...)}
}

func invalidRequest(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "InvalidRequestException", Message: fmt.Sprintf(format, args...)}
}

func clusterNotFound(name string) *Error {
	return &Error{Status: http.StatusNotFound, Code: "ResourceNotFoundException", Message: "No cluster found for name: " + name + ".", ClusterName: name}
}

// withResourceTags adds a resource's tags to ctx (nil: a new context) as
// aws:ResourceTag/… keys.
func withResourceTags(ctx *policy.Context, tags map[string]string) *policy.Context {
	if len(tags) == 0 {
		return ctx
	}
	if ctx == nil {
		ctx = policy.NewContext()
	}
	for k, v := range tags {
		ctx.Set("aws:ResourceTag/"+k, v)
	}
	return ctx
}

// clusterTagContext is the authorization context of an action on the
// caller's cluster name: its tags as aws:ResourceTag/… when it exists.
func clusterTagContext(snap *directory.Snapshot, caller *directory.Caller, name string, ctx *policy.Context) *policy.Context {
	if c, ok := snap.Clusters[directory.ClusterKey(caller.AccountID, region(caller), name)]; ok {
		return withResourceTags(ctx, c.Tags)
	}
	return ctx
}

// authorize checks one EKS (or IAM) action on a resource.
func authorize(snap *directory.Snapshot, caller *directory.Caller, action, resource string, ctx *policy.Context) error {
	err := authz.Authorize(snap, authz.Request{Caller: caller, Action: action, Resource: resource, Context: ctx})
	if d, ok := err.(*authz.Denied); ok {
		return &Error{Status: http.StatusForbidden, Code: "AccessDeniedException", Message: d.Message, Denial: d}
	}
	return err
}

func region(caller *directory.Caller) string { return caller.RegionOrDefault() }

func clusterARN(region, account, name string) string {
	return "arn:aws:eks:" + region + ":" + account + ":cluster/" + name
}

func checkClusterName(name string) error {
	if !directory.ValidClusterName(name) {
		return invalidParameter("The cluster name %q is invalid: it must be 1-100 characters, start with a letter or digit, and contain only letters, digits, hyphens and underscores.", name)
	}
	return nil
}

// CreateCluster creates a cluster with a new OIDC issuer. Creating one
// needs eks:CreateCluster on the cluster and iam:PassRole on its role, as
// in AWS; the simulated cluster is ACTIVE at once. The request's
// configuration is kept and described back (see config.go).
func (s *Service) CreateCluster(ctx context.Context, caller *directory.Caller, in *sdk.CreateClusterInput) (*sdk.CreateClusterOutput, error) {
	name := aws.ToString(in.Name)
	if err := checkClusterName(name); err != nil {
		return nil, err
	}
	if err := checkRoleARN("roleArn", aws.ToString(in.RoleArn)); err != nil {
		return nil, err
	}
	c := &directory.Cluster{Name: name, AccountID: caller.AccountID, Region: region(caller), Version: aws.ToString(in.Version), RoleARN: *in.RoleArn, Tags: maps.Clone(in.Tags)}
	c.ARN = clusterARN(c.Region, c.AccountID, name)
	if c.Version == "" {
		c.Version = defaultVersion
	}
	if err := s.configure(c, in); err != nil {
		return nil, err
	}
	snap := s.w.Directory().Snapshot()
	if err := authorize(snap, caller, "eks:CreateCluster", c.ARN, tagContext(in.Tags)); err != nil {
		return nil, err
	}
	if err := authorize(snap, caller, "iam:PassRole", *in.RoleArn, nil); err != nil {
		return nil, err
	}
	if cc := c.Compute; cc != nil && cc.NodeRoleARN != "" {
		if err := authorize(snap, caller, "iam:PassRole", cc.NodeRoleARN, nil); err != nil {
			return nil, err
		}
	}
	if err := s.create(ctx, c, caller); err != nil {
		return nil, err
	}
	return &sdk.CreateClusterOutput{Cluster: s.describe(s.w.Directory().Snapshot().Clusters[directory.ClusterKey(c.AccountID, c.Region, c.Name)])}, nil
}

// configure checks CreateCluster's configuration and stores it in c.
func (s *Service) configure(c *directory.Cluster, in *sdk.CreateClusterInput) error {
	if err := checkVersion(c.Version); err != nil {
		return err
	}
	if err := checkTagsMap(in.Tags); err != nil {
		return err
	}
	if err := unsimulated(map[string]bool{
		"remoteNetworkConfig": in.RemoteNetworkConfig != nil, "outpostConfig": in.OutpostConfig != nil,
		"controlPlaneScalingConfig": in.ControlPlaneScalingConfig != nil, "kubeApiServerConfig": in.KubeApiServerConfig != nil,
		"kubeControllerManagerConfig": in.KubeControllerManagerConfig != nil, "kubeSchedulerConfig": in.KubeSchedulerConfig != nil,
	}); err != nil {
		return err
	}
	var err error
	if c.VPCConfig, err = vpcConfig(in.ResourcesVpcConfig); err != nil {
		return err
	}
	if c.Network, err = network(in.KubernetesNetworkConfig); err != nil {
		return err
	}
	if in.Logging != nil {
		if c.LogTypes, err = applyLogging(nil, in.Logging); err != nil {
			return err
		}
	}
	if a := in.AccessConfig; a != nil {
		if a.AuthenticationMode != "" {
			if err := checkAuthMode(a.AuthenticationMode); err != nil {
				return err
			}
			c.AuthenticationMode = string(a.AuthenticationMode)
		}
		if a.BootstrapClusterCreatorAdminPermissions != nil {
			c.BootstrapAdmin = aws.Bool(*a.BootstrapClusterCreatorAdminPermissions)
		}
		if c.BootstrapAdmin != nil && !*c.BootstrapAdmin && (c.AuthenticationMode == "" || c.AuthenticationMode == string(types.AuthenticationModeConfigMap)) {
			return invalidParameter("bootstrapClusterCreatorAdminPermissions must be true if cluster authentication mode is set to CONFIG_MAP")
		}
	}
	if u := in.UpgradePolicy; u != nil && u.SupportType != "" {
		if err := checkSupportType(u.SupportType); err != nil {
			return err
		}
		c.SupportType = string(u.SupportType)
	}
	if z := in.ZonalShiftConfig; z != nil {
		c.ZonalShift = aws.Bool(aws.ToBool(z.Enabled))
	}
	if in.DeletionProtection != nil {
		c.DeletionProtection = aws.Bool(*in.DeletionProtection)
	}
	if c.Compute, err = compute(in.ComputeConfig); err != nil {
		return err
	}
	if sc := in.StorageConfig; sc != nil && sc.BlockStorage != nil {
		c.BlockStorage = aws.Bool(aws.ToBool(sc.BlockStorage.Enabled))
	}
	if c.Encryption, err = encryption(in.EncryptionConfig); err != nil {
		return err
	}
	return nil
}

// unsimulated refuses the request members (by wire name) that are set
// and that assumed does not simulate: failing closed, rather than
// answering as if they had been applied.
func unsimulated(set map[string]bool) error {
	var names []string
	for n, ok := range set {
		if ok {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil
	}
	sort.Strings(names)
	return invalidParameter("assumed does not simulate %s.", strings.Join(names, ", "))
}

// create stores a new cluster with a new issuer and signing key. A
// cluster created through the API (caller not nil) gives its creator an
// access entry, as EKS does.
func (s *Service) create(ctx context.Context, c *directory.Cluster, caller *directory.Caller) error {
	now := s.now().UTC().Truncate(time.Second)
	ks, err := oidc.NewKeySet(now)
	if err != nil {
		return fmt.Errorf("cluster %s: %w", c.Name, err)
	}
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return fmt.Errorf("cluster %s: issuer ID: %w", c.Name, err)
	}
	c.IssuerID = strings.ToUpper(hex.EncodeToString(id))
	c.CreatedAt = now
	if err := s.setKeys(c, ks); err != nil {
		return err
	}
	key := directory.ClusterKey(c.AccountID, c.Region, c.Name)
	return s.w.Update(ctx, func(t *directory.Txn) error {
		if _, ok := t.Snap.Clusters[key]; ok {
			return &Error{Status: http.StatusConflict, Code: "ResourceInUseException", Message: "Cluster already exists with name: " + c.Name, ClusterName: c.Name}
		}
		n := 0
		for _, o := range t.Snap.Clusters {
			if o.AccountID == c.AccountID && o.Region == c.Region {
				n++
			}
		}
		if n >= maxClustersPerAcct {
			return &Error{Status: http.StatusBadRequest, Code: "ResourceLimitExceededException", Message: fmt.Sprintf("Account %s has reached its limit of %d clusters in %s.", c.AccountID, maxClustersPerAcct, c.Region), ClusterName: c.Name}
		}
		if caller != nil {
			if err := s.bootstrapAccess(t.Snap, c, caller); err != nil {
				return err
			}
		}
		return putCluster(t, c)
	})
}

// setKeys seals a key set into the cluster (which must not be published
// yet).
func (s *Service) setKeys(c *directory.Cluster, ks *oidc.KeySet) error {
	plain, err := ks.MarshalBinary()
	if err != nil {
		return fmt.Errorf("cluster %s: encode signing keys: %w", c.Name, err)
	}
	sealed, err := s.sealer.Seal(plain, c.ARN)
	if err != nil {
		return fmt.Errorf("cluster %s: seal signing keys: %w", c.Name, err)
	}
	c.SigningKeys, c.SealedSigningKeys = plain, sealed
	return nil
}

// lookup finds the caller's cluster in the caller's region.
func (s *Service) lookup(snap *directory.Snapshot, caller *directory.Caller, name string) (*directory.Cluster, error) {
	if name == "" {
		return nil, invalidParameter("The cluster name must not be empty.")
	}
	c, ok := snap.Clusters[directory.ClusterKey(caller.AccountID, region(caller), name)]
	if !ok {
		return nil, clusterNotFound(name)
	}
	return c, nil
}

// DescribeCluster describes a cluster, its OIDC issuer included.
func (s *Service) DescribeCluster(_ context.Context, caller *directory.Caller, in *sdk.DescribeClusterInput) (*sdk.DescribeClusterOutput, error) {
	name := aws.ToString(in.Name)
	snap := s.w.Directory().Snapshot()
	if err := authorize(snap, caller, "eks:DescribeCluster", clusterARN(region(caller), caller.AccountID, name), clusterTagContext(snap, caller, name, nil)); err != nil {
		return nil, err
	}
	c, err := s.lookup(snap, caller, name)
	if err != nil {
		return nil, err
	}
	return &sdk.DescribeClusterOutput{Cluster: s.describe(c)}, nil
}

// ListClusters lists the caller's clusters in the region, by name.
func (s *Service) ListClusters(_ context.Context, caller *directory.Caller, in *sdk.ListClustersInput) (*sdk.ListClustersOutput, error) {
	snap := s.w.Directory().Snapshot()
	reg := region(caller)
	if err := authorize(snap, caller, "eks:ListClusters", "arn:aws:eks:"+reg+":"+caller.AccountID+":cluster/*", nil); err != nil {
		return nil, err
	}
	max, err := pageSize(in.MaxResults)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, c := range snap.Clusters {
		if c.AccountID == caller.AccountID && c.Region == reg {
			names = append(names, c.Name)
		}
	}
	sort.Strings(names)
	start := 0
	if tok := aws.ToString(in.NextToken); tok != "" {
		// The token holds the name the next page starts at; if that
		// cluster was deleted meanwhile, the page starts after it.
		next, ok := decodeListToken(tok)
		if !ok {
			return nil, invalidParameter("The nextToken is not valid.")
		}
		start = sort.SearchStrings(names, next)
	}
	out := &sdk.ListClustersOutput{Clusters: []string{}}
	end := min(start+max, len(names))
	out.Clusters = append(out.Clusters, names[start:end]...)
	if end < len(names) {
		out.NextToken = aws.String(listTokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(names[end])))
	}
	return out, nil
}

// pageSize is a list's maxResults: 1-100, 100 when absent.
func pageSize(maxResults *int32) (int, error) {
	if maxResults == nil {
		return 100, nil
	}
	if *maxResults < 1 || *maxResults > 100 {
		return 0, invalidParameter("maxResults must be between 1 and 100.")
	}
	return int(*maxResults), nil
}

// listTokenPrefix starts ListClusters' page tokens.
const listTokenPrefix = "c1."

// decodeListToken reads the cluster name a ListClusters token holds.
func decodeListToken(tok string) (string, bool) {
	rest, ok := strings.CutPrefix(tok, listTokenPrefix)
	if !ok {
		return "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || checkClusterName(string(b)) != nil {
		return "", false
	}
	return string(b), true
}

// DeleteCluster deletes a cluster and its issuer: tokens it signed no
// longer verify.
func (s *Service) DeleteCluster(ctx context.Context, caller *directory.Caller, in *sdk.DeleteClusterInput) (*sdk.DeleteClusterOutput, error) {
	name := aws.ToString(in.Name)
	snap := s.w.Directory().Snapshot()
	if err := authorize(snap, caller, "eks:DeleteCluster", clusterARN(region(caller), caller.AccountID, name), clusterTagContext(snap, caller, name, nil)); err != nil {
		return nil, err
	}
	var deleted *directory.Cluster
	err := s.w.Update(ctx, func(t *directory.Txn) error {
		c, err := s.lookup(t.Snap, caller, name)
		if err != nil {
			return err
		}
		if aws.ToBool(c.DeletionProtection) {
			return invalidRequest("Cluster %s has deletion protection enabled: turn it off with UpdateClusterConfig (deletionProtection false) first.", name)
		}
		// Node groups and Fargate profiles must go first; access
		// entries, add-ons and identity provider configs go with the
		// cluster.
		if ngs := sortedKeys(c.Nodegroups); len(ngs) > 0 {
			e := resourceInUse(name, "Cluster has nodegroups attached")
			e.NodegroupName = ngs[0]
			return e
		}
		if fps := sortedKeys(c.FargateProfiles); len(fps) > 0 {
			e := resourceInUse(name, "Cluster has fargate profiles attached")
			e.FargateProfileName = fps[0]
			return e
		}
		key := directory.ClusterKey(c.AccountID, c.Region, c.Name)
		delete(t.Snap.Clusters, key)
		t.Del(kindCluster, c.AccountID, key)
		// The cluster's pod identity associations go with it (its
		// add-ons' too).
		for _, a := range t.Snap.PodIdentityAssociations {
			if a.ClusterKey() == key {
				deleteAssociation(t, a)
			}
		}
		deleted = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := s.describe(deleted)
	out.Status = types.ClusterStatusDeleting
	return &sdk.DeleteClusterOutput{Cluster: out}, nil
}
