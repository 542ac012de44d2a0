package directory

import (
	"regexp"
	"time"
)

// Cluster is a simulated EKS cluster: it belongs to an account and a
// region and runs its own OIDC issuer, whose tokens pods present to
// AssumeRoleWithWebIdentity (IRSA) and to EKS Pod Identity.
type Cluster struct {
	Name      string            `json:"name"`
	AccountID string            `json:"accountId"`
	Region    string            `json:"region"`
	ARN       string            `json:"arn"`
	Version   string            `json:"version"`
	RoleARN   string            `json:"roleArn,omitempty"`
	CreatedAt time.Time         `json:"createdAt"`
	Tags      map[string]string `json:"tags,omitempty"`
	// IssuerID names the cluster's issuer: the issuer URL is the server's
	// public URL + "/_assumed/oidc/id/" + IssuerID, as an EKS issuer is
	// https://oidc.eks.REGION.amazonaws.com/id/ID.
	IssuerID string `json:"issuerId"`
	// SealedSigningKeys is the issuer's key set, encrypted at rest.
	SealedSigningKeys []byte `json:"sealedSigningKeys"`
	// SigningKeys is the key set in plain form, present in memory only.
	SigningKeys []byte `json:"-"`
	// VPCConfig is the resourcesVpcConfig the cluster was created with
	// (and updated to), kept to echo it back.
	VPCConfig *ClusterVPCConfig `json:"vpcConfig,omitempty"`
	// The rest of the cluster's configuration, as CreateCluster and
	// UpdateClusterConfig set it; an empty field takes EKS's default.
	Network            *ClusterNetwork     `json:"network,omitempty"`
	LogTypes           []string            `json:"logTypes,omitempty"` // enabled control-plane log types
	AuthenticationMode string              `json:"authenticationMode,omitempty"`
	BootstrapAdmin     *bool               `json:"bootstrapClusterCreatorAdminPermissions,omitempty"`
	SupportType        string              `json:"supportType,omitempty"` // upgradePolicy
	ZonalShift         *bool               `json:"zonalShift,omitempty"`
	DeletionProtection *bool               `json:"deletionProtection,omitempty"`
	Compute            *ClusterCompute     `json:"compute,omitempty"`
	BlockStorage       *bool               `json:"blockStorage,omitempty"`
	Encryption         []ClusterEncryption `json:"encryption,omitempty"`
	// Updates are the cluster's updates (UpdateClusterVersion,
	// UpdateClusterConfig, identity provider configs) and those of its
	// node groups and add-ons, oldest first.
	Updates []ClusterUpdate `json:"updates,omitempty"`
	// The cluster's own resources, kept (and deleted) with it.
	AccessEntries           map[string]*AccessEntry            `json:"accessEntries,omitempty"`           // by principal ARN
	Addons                  map[string]*Addon                  `json:"addons,omitempty"`                  // by add-on name
	IdentityProviderConfigs map[string]*IdentityProviderConfig `json:"identityProviderConfigs,omitempty"` // by config name
	Nodegroups              map[string]*Nodegroup              `json:"nodegroups,omitempty"`              // by node group name
	FargateProfiles         map[string]*FargateProfile         `json:"fargateProfiles,omitempty"`         // by profile name
}

// CloneResources returns a copy of the cluster whose maps of resources
// (access entries, add-ons, identity provider configs, node groups,
// Fargate profiles) are its own, for a writer to replace entries in.
// The entries themselves are shared: writers replace them, never
// modify them.
func (c *Cluster) CloneResources() *Cluster {
	cp := *c
	cp.AccessEntries = cloneMap(c.AccessEntries)
	cp.Addons = cloneMap(c.Addons)
	cp.IdentityProviderConfigs = cloneMap(c.IdentityProviderConfigs)
	cp.Nodegroups = cloneMap(c.Nodegroups)
	cp.FargateProfiles = cloneMap(c.FargateProfiles)
	return &cp
}

// AccessEntry is an EKS access entry: an IAM principal allowed to
// authenticate to the cluster's Kubernetes API, with its Kubernetes
// username and groups and the EKS access policies associated with it.
type AccessEntry struct {
	PrincipalARN     string                    `json:"principalArn"`
	ARN              string                    `json:"arn"`
	Type             string                    `json:"type"`
	Username         string                    `json:"username"`
	KubernetesGroups []string                  `json:"kubernetesGroups,omitempty"`
	Policies         []AccessPolicyAssociation `json:"policies,omitempty"` // in association order
	Tags             map[string]string         `json:"tags,omitempty"`
	CreatedAt        time.Time                 `json:"createdAt"`
	ModifiedAt       time.Time                 `json:"modifiedAt"`
	// ClientRequestToken is the creating request's idempotency token.
	ClientRequestToken string `json:"clientRequestToken,omitempty"`
}

// AccessPolicyAssociation is an EKS access policy associated with an
// access entry, cluster-wide or for some namespaces.
type AccessPolicyAssociation struct {
	PolicyARN    string    `json:"policyArn"`
	ScopeType    string    `json:"scopeType"` // cluster or namespace
	Namespaces   []string  `json:"namespaces,omitempty"`
	AssociatedAt time.Time `json:"associatedAt"`
	ModifiedAt   time.Time `json:"modifiedAt"`
}

// Addon is an EKS add-on installed on a cluster (simulated: nothing
// runs).
type Addon struct {
	Name                  string            `json:"name"`
	ARN                   string            `json:"arn"`
	Version               string            `json:"version"`
	ServiceAccountRoleARN string            `json:"serviceAccountRoleArn,omitempty"`
	ConfigurationValues   string            `json:"configurationValues,omitempty"`
	Namespace             string            `json:"namespace,omitempty"` // namespaceConfig, when given
	ResolveConflicts      string            `json:"resolveConflicts,omitempty"`
	Tags                  map[string]string `json:"tags,omitempty"`
	// PodIdentityAssociations are the IDs of the pod identity
	// associations the add-on owns.
	PodIdentityAssociations []string  `json:"podIdentityAssociations,omitempty"`
	CreatedAt               time.Time `json:"createdAt"`
	ModifiedAt              time.Time `json:"modifiedAt"`
	ClientRequestToken      string    `json:"clientRequestToken,omitempty"`
}

// IdentityProviderConfig is an OIDC identity provider associated with a
// cluster for Kubernetes authentication.
type IdentityProviderConfig struct {
	Name           string            `json:"name"`
	Type           string            `json:"type"` // oidc
	ARN            string            `json:"arn"`
	IssuerURL      string            `json:"issuerUrl"`
	ClientID       string            `json:"clientId"`
	UsernameClaim  string            `json:"usernameClaim,omitempty"`
	UsernamePrefix string            `json:"usernamePrefix,omitempty"`
	GroupsClaim    string            `json:"groupsClaim,omitempty"`
	GroupsPrefix   string            `json:"groupsPrefix,omitempty"`
	RequiredClaims map[string]string `json:"requiredClaims,omitempty"`
	Tags           map[string]string `json:"tags,omitempty"`
	CreatedAt      time.Time         `json:"createdAt"`
}

// Nodegroup is a managed node group (simulated: no instances run).
type Nodegroup struct {
	Name           string                   `json:"name"`
	ARN            string                   `json:"arn"`
	NodeRoleARN    string                   `json:"nodeRoleArn"`
	Subnets        []string                 `json:"subnets"`
	AMIType        string                   `json:"amiType"`
	CapacityType   string                   `json:"capacityType"`
	DiskSize       int32                    `json:"diskSize,omitempty"` // 0 with a launch template
	InstanceTypes  []string                 `json:"instanceTypes,omitempty"`
	Labels         map[string]string        `json:"labels,omitempty"`
	Taints         []NodegroupTaint         `json:"taints,omitempty"`
	LaunchTemplate *NodegroupLaunchTemplate `json:"launchTemplate,omitempty"`
	RemoteAccess   *NodegroupRemoteAccess   `json:"remoteAccess,omitempty"`
	MinSize        int32                    `json:"minSize"`
	MaxSize        int32                    `json:"maxSize"`
	DesiredSize    int32                    `json:"desiredSize"`
	// MaxUnavailable and MaxUnavailablePercentage are the update
	// configuration (one of them is set).
	MaxUnavailable           int32             `json:"maxUnavailable,omitempty"`
	MaxUnavailablePercentage int32             `json:"maxUnavailablePercentage,omitempty"`
	UpdateStrategy           string            `json:"updateStrategy,omitempty"`
	NodeRepair               *bool             `json:"nodeRepair,omitempty"`
	Version                  string            `json:"version"`
	ReleaseVersion           string            `json:"releaseVersion"`
	Tags                     map[string]string `json:"tags,omitempty"`
	CreatedAt                time.Time         `json:"createdAt"`
	ModifiedAt               time.Time         `json:"modifiedAt"`
	ClientRequestToken       string            `json:"clientRequestToken,omitempty"`
}

// NodegroupTaint is a Kubernetes taint of a node group's nodes.
type NodegroupTaint struct {
	Key    string `json:"key"`
	Value  string `json:"value,omitempty"`
	Effect string `json:"effect"`
}

// NodegroupLaunchTemplate names a node group's EC2 launch template.
type NodegroupLaunchTemplate struct {
	ID      string `json:"id,omitempty"`
	Name    string `json:"name,omitempty"`
	Version string `json:"version,omitempty"`
}

// NodegroupRemoteAccess is a node group's SSH access configuration.
type NodegroupRemoteAccess struct {
	EC2SSHKey            string   `json:"ec2SshKey,omitempty"`
	SourceSecurityGroups []string `json:"sourceSecurityGroups,omitempty"`
}

// FargateProfile is a Fargate profile (simulated: no pods run).
type FargateProfile struct {
	Name                string            `json:"name"`
	ARN                 string            `json:"arn"`
	PodExecutionRoleARN string            `json:"podExecutionRoleArn"`
	Subnets             []string          `json:"subnets,omitempty"`
	Selectors           []FargateSelector `json:"selectors"`
	Tags                map[string]string `json:"tags,omitempty"`
	CreatedAt           time.Time         `json:"createdAt"`
	ClientRequestToken  string            `json:"clientRequestToken,omitempty"`
}

// FargateSelector selects the pods a Fargate profile runs.
type FargateSelector struct {
	Namespace string            `json:"namespace"`
	Labels    map[string]string `json:"labels,omitempty"`
}

// ClusterVPCConfig is what CreateCluster's resourcesVpcConfig said.
type ClusterVPCConfig struct {
	SubnetIDs         []string `json:"subnetIds,omitempty"`
	SecurityGroupIDs  []string `json:"securityGroupIds,omitempty"`
	PublicAccess      bool     `json:"publicAccess"`
	PrivateAccess     bool     `json:"privateAccess"`
	PublicAccessCIDRs []string `json:"publicAccessCidrs,omitempty"`
}

// ClusterNetwork is a cluster's kubernetesNetworkConfig.
type ClusterNetwork struct {
	ServiceIPv4CIDR      string `json:"serviceIpv4Cidr,omitempty"`
	IPFamily             string `json:"ipFamily,omitempty"`
	ElasticLoadBalancing *bool  `json:"elasticLoadBalancing,omitempty"`
}

// ClusterCompute is a cluster's computeConfig (EKS Auto Mode).
type ClusterCompute struct {
	Enabled     *bool    `json:"enabled,omitempty"`
	NodePools   []string `json:"nodePools,omitempty"`
	NodeRoleARN string   `json:"nodeRoleArn,omitempty"`
}

// ClusterEncryption is one of a cluster's encryptionConfig entries.
type ClusterEncryption struct {
	Resources []string `json:"resources,omitempty"`
	KeyARN    string   `json:"keyArn,omitempty"`
}

// ClusterUpdate is an update of a cluster, as DescribeUpdate shows it.
type ClusterUpdate struct {
	ID        string               `json:"id"`
	Type      string               `json:"type"`
	Status    string               `json:"status"`
	Params    []ClusterUpdateParam `json:"params,omitempty"`
	CreatedAt time.Time            `json:"createdAt"`
	// ClientRequestToken is the request's idempotency token: a retry
	// with it answers with this update.
	ClientRequestToken string `json:"clientRequestToken,omitempty"`
	// Nodegroup or Addon names the node group or add-on the update is
	// of; both are empty for an update of the cluster itself.
	Nodegroup string `json:"nodegroup,omitempty"`
	Addon     string `json:"addon,omitempty"`
}

// ClusterUpdateParam is one parameter of an update.
type ClusterUpdateParam struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// clusterNamePattern is EKS's rule for cluster names (1-100 characters).
var clusterNamePattern = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$`)

// ValidClusterName reports whether name follows EKS's rule for cluster
// names: 1-100 letters, digits, hyphens and underscores, starting with a
// letter or digit.
func ValidClusterName(name string) bool { return clusterNamePattern.MatchString(name) }

// ClusterKey is the key of a cluster in Snapshot.Clusters: clusters are
// named per account and region.
func ClusterKey(accountID, region, name string) string {
	return accountID + "/" + region + "/" + name
}

// ClusterByIssuerID returns the cluster whose issuer has this ID.
func (s *Snapshot) ClusterByIssuerID(id string) (*Cluster, bool) {
	c, ok := s.clusterIssuers()[id]
	return c, ok
}

func (s *Snapshot) clusterIssuers() map[string]*Cluster {
	return s.Derived("cluster-issuers", func() any {
		m := make(map[string]*Cluster, len(s.Clusters))
		for _, c := range s.Clusters {
			m[c.IssuerID] = c
		}
		return m
	}).(map[string]*Cluster)
}

// PodIdentityAssociation maps a cluster's service account to an IAM role
// (and, optionally, a target role to chain into) for EKS Pod Identity.
type PodIdentityAssociation struct {
	ID             string `json:"id"`  // a-… (EKS's associationId)
	ARN            string `json:"arn"` // arn:aws:eks:REGION:ACCT:podidentityassociation/CLUSTER/ID
	AccountID      string `json:"accountId"`
	Region         string `json:"region"`
	ClusterName    string `json:"clusterName"`
	Namespace      string `json:"namespace"`
	ServiceAccount string `json:"serviceAccount"`
	RoleARN        string `json:"roleArn"`
	// TargetRoleARN, when set, is assumed with the association role's
	// credentials, passing ExternalID; the pod gets the target's session.
	TargetRoleARN string `json:"targetRoleArn,omitempty"`
	ExternalID    string `json:"externalId,omitempty"`
	// DisableSessionTags turns off the six session tags EKS adds.
	DisableSessionTags bool `json:"disableSessionTags,omitempty"`
	// Policy is a session policy narrowing the final session.
	Policy             string            `json:"policy,omitempty"`
	Tags               map[string]string `json:"tags,omitempty"`
	ClientRequestToken string            `json:"clientRequestToken,omitempty"`
	CreatedAt          time.Time         `json:"createdAt"`
	ModifiedAt         time.Time         `json:"modifiedAt"`
	// OwnerARN is the ARN of the EKS add-on that made the association
	// (its podIdentityAssociations), empty for one made directly.
	OwnerARN string `json:"ownerArn,omitempty"`
}

// ClusterKey is the key of the association's cluster.
func (a *PodIdentityAssociation) ClusterKey() string {
	return ClusterKey(a.AccountID, a.Region, a.ClusterName)
}

// AssociationFor returns the association of a service account in a
// cluster.
func (s *Snapshot) AssociationFor(clusterKey, namespace, serviceAccount string) (*PodIdentityAssociation, bool) {
	idx := s.Derived("pod-identity-index", func() any {
		m := make(map[string]*PodIdentityAssociation, len(s.PodIdentityAssociations))
		for _, a := range s.PodIdentityAssociations {
			m[a.ClusterKey()+"\x00"+a.Namespace+"\x00"+a.ServiceAccount] = a
		}
		return m
	}).(map[string]*PodIdentityAssociation)
	a, ok := idx[clusterKey+"\x00"+namespace+"\x00"+serviceAccount]
	return a, ok
}
