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
	// UpdateClusterConfig), oldest first.
	Updates []ClusterUpdate `json:"updates,omitempty"`
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
