// Package analyze answers "who can reach what" across the accounts of a
// directory: the access graph, whose every edge is decided by the same
// evaluator that decides real requests (internal/authz, from both sides
// of an account boundary, never by pattern heuristics), the queries over
// it (paths from a principal, who can reach a role, who can perform an
// action on a resource, what changed since a saved graph), and the
// findings: the classic mistakes of trust and permission policies, each
// with the account, policy and statement responsible and the fix.
package analyze

import "time"

// Node kinds.
const (
	KindAccount                = "account"
	KindUser                   = "user"
	KindGroup                  = "group"
	KindRole                   = "role"
	KindOIDCProvider           = "oidc-provider"
	KindCluster                = "cluster"
	KindServiceAccount         = "service-account"
	KindPodIdentityAssociation = "pod-identity-association"
	KindResource               = "resource"
	// KindService is an AWS service principal a trust policy names
	// (ec2.amazonaws.com, pods.eks.amazonaws.com).
	KindService = "service"
	// KindExternalAccount is an account a policy names that the directory
	// does not hold (a third party): its side of a decision is unknown.
	KindExternalAccount = "external-account"
)

// Edge kinds.
const (
	// EdgeAssume: a principal can assume the role (sts:AssumeRole), its
	// side and the role's trust agreeing.
	EdgeAssume = "can-assume"
	// EdgeWebIdentity: the holder of a service account's token can assume
	// the role with it (sts:AssumeRoleWithWebIdentity, IRSA).
	EdgeWebIdentity = "can-assume-with-web-identity"
	// EdgePodIdentity: a Pod Identity association gives the service
	// account's pods the role (EKS Auth assumes it as
	// pods.eks.amazonaws.com).
	EdgePodIdentity = "pod-identity"
	// EdgeAccess: a principal can perform the edge's actions on a
	// resource with a resource-based policy.
	EdgeAccess = "can-access"
	// EdgeMemberOf: a user is a member of a group.
	EdgeMemberOf = "member-of"
	// EdgeIssues: a cluster's OIDC issuer is registered as the provider
	// (tokens of the cluster's service accounts are the provider's).
	EdgeIssues = "issues-tokens-for"
	// EdgeAssociation: the association binds the service account.
	EdgeAssociation = "associated-with"
)

// Graph is the access graph of a directory at one time.
type Graph struct {
	// GeneratedAt is when the graph was built.
	GeneratedAt time.Time `json:"generatedAt"`
	// Accounts are the account IDs the graph covers.
	Accounts []string `json:"accounts"`
	Nodes    []*Node  `json:"nodes"`
	Edges    []*Edge  `json:"edges"`

	byID map[string]*Node
	out  map[string][]*Edge
	in   map[string][]*Edge
}

// Node is one account, principal, provider, cluster, service account,
// association or resource.
type Node struct {
	// ID identifies the node in the graph: the ARN where it has one; an
	// account is "account:ID", a service account
	// "serviceaccount:CLUSTER-OR-ISSUER:NAMESPACE:NAME" (NAME may be a
	// pattern: "*", "app-*"), a service principal "service:NAME".
	ID      string `json:"id"`
	Kind    string `json:"kind"`
	Account string `json:"account,omitempty"`
	Name    string `json:"name"`
	ARN     string `json:"arn,omitempty"`
	// Admin marks a user or role whose identity policies allow every
	// action on every resource ("*" on "*", or IAM's own write actions on
	// any resource, which reach the rest).
	Admin bool `json:"admin,omitempty"`
	// Cluster is the cluster (ARN) or issuer of a service account and of
	// an association.
	Cluster string `json:"cluster,omitempty"`
	// Namespace and ServiceAccount of a service account or association.
	Namespace      string `json:"namespace,omitempty"`
	ServiceAccount string `json:"serviceAccount,omitempty"`
}

// Edge is one way in: From can reach To. Its decision came from the
// evaluator: the statements that allow it, from both accounts where both
// decide, and the conditions it depends on.
type Edge struct {
	From string `json:"from"`
	To   string `json:"to"`
	Kind string `json:"kind"`
	// Actions are the actions the edge stands for: sts:AssumeRole (and
	// sts:TagSession where the association tags sessions), or what a
	// principal may do to a resource.
	Actions []string `json:"actions,omitempty"`
	// CrossAccount says From and To are of different accounts.
	CrossAccount bool `json:"crossAccount,omitempty"`
	// Statements allow the edge: the role's trust or the resource's
	// policy, and the caller's identity-based policy where it decides.
	Statements []StatementRef `json:"statements,omitempty"`
	// Requires are the conditions the caller must meet in the request
	// itself (sts:ExternalId, a source identity, session tags, MFA): the
	// edge holds only for a request that carries them.
	Requires []Condition `json:"requires,omitempty"`
	// Conditions are the other conditions of the allowing statements,
	// which the principal met as it is (its tags, its account, its
	// organization) or that the token's claims met.
	Conditions []Condition `json:"conditions,omitempty"`
	// Note says what the graph could not decide: an external account's
	// side, a wildcard service account stood in for by one name.
	Note string `json:"note,omitempty"`
}

// StatementRef names one statement of one policy.
type StatementRef struct {
	Account string `json:"account,omitempty"`
	// Kind is the policy's kind, as traces name them ("trust policy",
	// "identity-based policy", "resource-based policy").
	Kind   string `json:"kind"`
	Policy string `json:"policy"`
	// Statement is `statement "Sid"` or `statement N` (1-based).
	Statement string `json:"statement"`
	Effect    string `json:"effect,omitempty"`
}

// Condition is one condition of a statement.
type Condition struct {
	Operator string   `json:"operator"`
	Key      string   `json:"key"`
	Values   []string `json:"values"`
}

// Severity of a finding, from most to least severe.
const (
	SeverityCritical = "critical"
	SeverityHigh     = "high"
	SeverityMedium   = "medium"
	SeverityLow      = "low"
	SeverityInfo     = "info"
)

// Severities lists the severities, most severe first.
var Severities = []string{SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow, SeverityInfo}

// Finding is one mistake found in the accounts' policies.
type Finding struct {
	// Rule names what was found (a stable identifier, e.g.
	// "trust-without-external-id").
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Account  string `json:"account"`
	// Subject is the ARN of the role, user, policy or resource at fault.
	Subject string `json:"subject"`
	// Statement is where, when one statement is responsible.
	Statement *StatementRef `json:"statement,omitempty"`
	// Message says what is wrong, Fix what to change.
	Message string `json:"message"`
	Fix     string `json:"fix"`
	// Document is the policy document Statement is in, as stored, for a
	// reader to see the statement in place.
	Document string `json:"document,omitempty"`
	// Path is the chain of node IDs a reachability finding is about.
	Path []string `json:"path,omitempty"`
}
