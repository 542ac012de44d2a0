package directory

import (
	"slices"
	"strings"
	"time"

	"github.com/assumed-dev/assumed/policy"
)

// Tag is an IAM tag.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// InlinePolicy is a policy embedded in a user, group or role.
type InlinePolicy struct {
	Name     string         `json:"name"`
	Document string         `json:"document"`
	Compiled *policy.Policy `json:"-"`
}

// Principal holds what users, groups and roles share.
type Principal struct {
	Name       string         `json:"name"`
	Path       string         `json:"path"`
	ID         string         `json:"id"` // AIDA…, AGPA…, AROA…
	ARN        string         `json:"arn"`
	CreateDate time.Time      `json:"createDate"`
	Tags       []Tag          `json:"tags,omitempty"`
	Inline     []InlinePolicy `json:"inline,omitempty"`   // in creation order
	Attached   []string       `json:"attached,omitempty"` // managed policy ARNs, in attachment order
	// Boundary is the ARN of the permissions boundary (users and roles).
	Boundary string `json:"boundary,omitempty"`
}

// InlineByName returns the inline policy with the given name.
func (p *Principal) InlineByName(name string) (*InlinePolicy, int) {
	for i := range p.Inline {
		if p.Inline[i].Name == name {
			return &p.Inline[i], i
		}
	}
	return nil, -1
}

// User is an IAM user.
type User struct {
	Principal
}

// Group is an IAM group.
type Group struct {
	Principal
	Members []string `json:"members,omitempty"` // user names
}

// Role is an IAM role.
type Role struct {
	Principal
	TrustPolicy        string `json:"trustPolicy"`
	Description        string `json:"description,omitempty"`
	MaxSessionDuration int32  `json:"maxSessionDuration"`
	// TrustBindings binds each IAM user or role ARN the trust policy
	// named when it was written to that principal's unique ID, as IAM
	// does: delete and re-create the principal and the trust no longer
	// matches it.
	TrustBindings map[string]string `json:"trustBindings,omitempty"`
	Trust         *policy.Policy    `json:"-"`
}

// PolicyVersion is one version of a managed policy.
type PolicyVersion struct {
	VersionID  string         `json:"versionId"` // v1, v2, …
	Document   string         `json:"document"`
	CreateDate time.Time      `json:"createDate"`
	Compiled   *policy.Policy `json:"-"`
}

// ManagedPolicy is a customer managed policy, or an AWS managed one.
type ManagedPolicy struct {
	Name           string          `json:"name"`
	Path           string          `json:"path"`
	ID             string          `json:"id"` // ANPA…
	ARN            string          `json:"arn"`
	Description    string          `json:"description,omitempty"`
	CreateDate     time.Time       `json:"createDate"`
	UpdateDate     time.Time       `json:"updateDate"`
	DefaultVersion string          `json:"defaultVersion"`
	Versions       []PolicyVersion `json:"versions"` // newest last
	// NextVersion is the number of the next version to create (2 after
	// CreatePolicy): version IDs are never reused.
	NextVersion int   `json:"nextVersion"`
	Tags        []Tag `json:"tags,omitempty"`
}

// Default returns the default version.
func (p *ManagedPolicy) Default() *PolicyVersion {
	for i := range p.Versions {
		if p.Versions[i].VersionID == p.DefaultVersion {
			return &p.Versions[i]
		}
	}
	return nil
}

// OIDCProvider is an IAM OpenID Connect identity provider.
type OIDCProvider struct {
	ARN string `json:"arn"`
	URL string `json:"url"` // without "https://", as the ARN has it
	// Scheme is the registered URL's scheme when it is not https: "http"
	// for a plain-http issuer (serve --oidc-allow-http, or this server's
	// own issuers behind an http public URL). Empty means https, AWS's only
	// scheme; records written before the field existed read as https.
	Scheme      string    `json:"scheme,omitempty"`
	ClientIDs   []string  `json:"clientIds"`
	Thumbprints []string  `json:"thumbprints"`
	CreateDate  time.Time `json:"createDate"`
	Tags        []Tag     `json:"tags,omitempty"`
}

// Issuer is the provider's registered URL, scheme included: the one "iss"
// its tokens may carry.
func (p *OIDCProvider) Issuer() string {
	scheme := p.Scheme
	if scheme == "" {
		scheme = "https"
	}
	return scheme + "://" + p.URL
}

// InstanceProfile is an EC2 instance profile.
type InstanceProfile struct {
	Name       string    `json:"name"`
	Path       string    `json:"path"`
	ID         string    `json:"id"` // AIPA…
	ARN        string    `json:"arn"`
	CreateDate time.Time `json:"createDate"`
	Roles      []string  `json:"roles,omitempty"` // role names (at most one)
	Tags       []Tag     `json:"tags,omitempty"`
}

// AccountIAM is one account's IAM entities. Names are unique
// case-insensitively, as in IAM, so maps are keyed by the lower-cased name.
type AccountIAM struct {
	Users            map[string]*User
	Groups           map[string]*Group
	Roles            map[string]*Role
	Policies         map[string]*ManagedPolicy // customer managed, by ARN
	OIDCProviders    map[string]*OIDCProvider  // by ARN
	InstanceProfiles map[string]*InstanceProfile
	Aliases          []string
	// Account-level families and settings (iamaccount.go).
	SAMLProviders      map[string]*SAMLProvider      // by ARN
	ServerCertificates map[string]*ServerCertificate // by lower-cased name
	DeletionTasks      map[string]*DeletionTask      // service-linked role deletions, by task ID
	PasswordPolicy     *PasswordPolicy               // nil: none
	// GlobalEndpointTokenVersion is the account's STS preference,
	// "v1Token" or "v2Token"; empty means AWS's default, v1Token.
	GlobalEndpointTokenVersion string
	// Credentials are the users' credentials other than access keys
	// (credentials.go).
	Credentials UserCredentials
}

// NewAccountIAM returns empty IAM state.
func NewAccountIAM() *AccountIAM {
	return &AccountIAM{
		Users: map[string]*User{}, Groups: map[string]*Group{}, Roles: map[string]*Role{},
		Policies: map[string]*ManagedPolicy{}, OIDCProviders: map[string]*OIDCProvider{},
		InstanceProfiles: map[string]*InstanceProfile{},
		SAMLProviders:    map[string]*SAMLProvider{}, ServerCertificates: map[string]*ServerCertificate{},
		DeletionTasks: map[string]*DeletionTask{},
		Credentials:   NewUserCredentials(),
	}
}

// Clone copies the maps (not the entities, which are never modified once
// published: writers replace them).
func (a *AccountIAM) Clone() *AccountIAM {
	return &AccountIAM{
		Users: cloneMap(a.Users), Groups: cloneMap(a.Groups), Roles: cloneMap(a.Roles),
		Policies: cloneMap(a.Policies), OIDCProviders: cloneMap(a.OIDCProviders),
		InstanceProfiles: cloneMap(a.InstanceProfiles), Aliases: append([]string(nil), a.Aliases...),
		SAMLProviders: cloneMap(a.SAMLProviders), ServerCertificates: cloneMap(a.ServerCertificates),
		DeletionTasks: cloneMap(a.DeletionTasks), PasswordPolicy: a.PasswordPolicy,
		GlobalEndpointTokenVersion: a.GlobalEndpointTokenVersion,
		Credentials:                a.Credentials.Clone(),
	}
}

func cloneMap[V any](m map[string]V) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Key is the map key for an IAM name.
func Key(name string) string { return strings.ToLower(name) }

// GroupsOf returns the groups the user is a member of, sorted by name.
func (a *AccountIAM) GroupsOf(userName string) []*Group {
	var out []*Group
	for _, g := range a.Groups {
		for _, m := range g.Members {
			if strings.EqualFold(m, userName) {
				out = append(out, g)
				break
			}
		}
	}
	slices.SortFunc(out, func(a, b *Group) int { return strings.Compare(Key(a.Name), Key(b.Name)) })
	return out
}
