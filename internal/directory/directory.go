// Package directory is the compiled, in-memory, read-only view of every
// account's IAM state. Requests read an immutable Snapshot through an
// atomic pointer; writers build a new Snapshot and swap it in.
package directory

import (
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/assumed-dev/assumed/policy"
)

// Account is an AWS account hosted by the server.
type Account struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	CreateDate time.Time `json:"createDate"`
}

// Access key statuses.
const (
	StatusActive   = "Active"
	StatusInactive = "Inactive"
)

// AccessKey is a long-term access key of an account's root user (UserName
// empty) or of an IAM user.
type AccessKey struct {
	AccessKeyID string    `json:"accessKeyId"`
	AccountID   string    `json:"accountId"`
	UserName    string    `json:"userName,omitempty"`
	Status      string    `json:"status"`
	CreateDate  time.Time `json:"createDate"`
	// SealedSecret is the secret access key encrypted at rest.
	SealedSecret []byte `json:"sealedSecret"`
	// Secret is the plain secret, present in memory only.
	Secret string `json:"-"`
}

// Snapshot is one consistent view of the directory. It must not be
// modified once published.
type Snapshot struct {
	Accounts   map[string]*Account    // by account ID
	AccessKeys map[string]*AccessKey  // by access key ID
	IAM        map[string]*AccountIAM // by account ID
	// AWSPolicies resolves AWS managed policies (arn:aws:iam::aws:policy/…);
	// nil when none are loaded.
	AWSPolicies func(arn string) (*ManagedPolicy, bool)
	// Clusters are the simulated EKS clusters, by ClusterKey.
	Clusters map[string]*Cluster
	// PodIdentityAssociations are the clusters' EKS Pod Identity
	// associations, by association ID.
	PodIdentityAssociations map[string]*PodIdentityAssociation
	// Resources are what the resource gateway knows of resources it has
	// seen created or given a policy (their owner and resource policy), by
	// ARN.
	Resources map[string]*Resource
	// Epoch counts the resets of the state (POST /_assumed/reset): a
	// session is issued in the snapshot's epoch and is valid in it only,
	// so a reset ends every temporary credential issued before it.
	Epoch uint64

	// derived caches values computed from this snapshot (compiled policy
	// sets per principal): the snapshot never changes, so neither do they.
	derived sync.Map
}

// ClearDerived drops the cached values. A writer calls it on the snapshot
// it built before publishing: values cached while the write authorized
// itself describe the state before the write.
func (s *Snapshot) ClearDerived() { s.derived.Clear() }

// Derived returns the value cached under key, computing it with build
// the first time. Values must depend on this snapshot only.
func (s *Snapshot) Derived(key string, build func() any) any {
	if v, ok := s.derived.Load(key); ok {
		return v
	}
	v, _ := s.derived.LoadOrStore(key, build())
	return v
}

// NewSnapshot returns an empty snapshot.
func NewSnapshot() *Snapshot {
	return &Snapshot{Accounts: map[string]*Account{}, AccessKeys: map[string]*AccessKey{}, IAM: map[string]*AccountIAM{}, Clusters: map[string]*Cluster{}, PodIdentityAssociations: map[string]*PodIdentityAssociation{}, Resources: map[string]*Resource{}}
}

// ShallowClone copies the top-level maps; writers then replace what they
// change (copy on write).
func (s *Snapshot) ShallowClone() *Snapshot {
	return &Snapshot{Accounts: cloneMap(s.Accounts), AccessKeys: cloneMap(s.AccessKeys), IAM: cloneMap(s.IAM), AWSPolicies: s.AWSPolicies, Clusters: cloneMap(s.Clusters), PodIdentityAssociations: cloneMap(s.PodIdentityAssociations), Resources: cloneMap(s.Resources), Epoch: s.Epoch}
}

// AccountIAM returns an account's IAM state (empty if it has none).
func (s *Snapshot) AccountIAM(accountID string) *AccountIAM {
	if a, ok := s.IAM[accountID]; ok {
		return a
	}
	return NewAccountIAM()
}

// Policy resolves a managed policy ARN: an AWS managed policy, or a
// customer managed policy of its account.
func (s *Snapshot) Policy(policyARN string) (*ManagedPolicy, bool) {
	if strings.HasPrefix(policyARN, "arn:aws:iam::aws:policy/") {
		if s.AWSPolicies == nil {
			return nil, false
		}
		return s.AWSPolicies(policyARN)
	}
	parts := strings.SplitN(policyARN, ":", 6)
	if len(parts) != 6 {
		return nil, false
	}
	a, ok := s.IAM[parts[4]]
	if !ok {
		return nil, false
	}
	p, ok := a.Policies[policyARN]
	return p, ok
}

// PolicyFor resolves a managed policy ARN that an entity of account may
// use as an attached policy, a permissions boundary or a managed session
// policy: an AWS managed policy, or a customer managed policy of account
// itself. Another account's policy resolves as if it did not exist, so
// that its existence is not observable.
func (s *Snapshot) PolicyFor(account, policyARN string) (*ManagedPolicy, bool) {
	if !strings.HasPrefix(policyARN, "arn:aws:iam::aws:policy/") && !strings.HasPrefix(policyARN, "arn:aws:iam::"+account+":policy/") {
		return nil, false
	}
	return s.Policy(policyARN)
}

// AccountByName returns the account with the given name.
func (s *Snapshot) AccountByName(name string) (*Account, bool) {
	for _, a := range s.Accounts {
		if a.Name == name {
			return a, true
		}
	}
	return nil, false
}

// RootKey returns the active root access key of an account.
func (s *Snapshot) RootKey(accountID string) (*AccessKey, bool) {
	for _, k := range s.AccessKeys {
		if k.AccountID == accountID && k.UserName == "" && k.Status == StatusActive {
			return k, true
		}
	}
	return nil, false
}

// Directory holds the current snapshot.
type Directory struct {
	cur atomic.Pointer[Snapshot]
}

// New returns a directory publishing s.
func New(s *Snapshot) *Directory {
	d := &Directory{}
	d.cur.Store(s)
	return d
}

// Snapshot returns the current snapshot.
func (d *Directory) Snapshot() *Snapshot { return d.cur.Load() }

// Publish makes s the current snapshot.
func (d *Directory) Publish(s *Snapshot) { d.cur.Store(s) }

// Caller is an authenticated principal making a request, with what the
// request says about its origin.
type Caller struct {
	AccountID   string
	ARN         string // arn:aws:iam::ACCT:root, …:user/path/name, arn:aws:sts::ACCT:assumed-role/ROLE/SESSION
	UserName    string // the IAM user, or the user a GetSessionToken session belongs to
	AccessKeyID string
	// Region is the region the request was signed for.
	Region string
	// Session is set when the request is signed with temporary
	// credentials.
	Session *Session

	SourceIP        netip.Addr // the client's address, when known
	SecureTransport bool       // the request came over TLS
	RequestTime     time.Time  // when the request was received
}

// DefaultRegion is the region of a request whose signature names none.
const DefaultRegion = "us-east-1"

// RegionOrDefault is region, or DefaultRegion when it is empty.
func RegionOrDefault(region string) string {
	if region == "" {
		return DefaultRegion
	}
	return region
}

// RegionOrDefault is the region the request was signed for, or
// DefaultRegion.
func (c *Caller) RegionOrDefault() string { return RegionOrDefault(c.Region) }

// IsRoot reports whether the caller is the account's root user (or a
// session of it from GetSessionToken).
func (c *Caller) IsRoot() bool { return c.UserName == "" && !c.IsRoleSession() }

// IsRoleSession reports whether the caller is a role session.
func (c *Caller) IsRoleSession() bool { return c.Session != nil && c.Session.RoleName != "" }

// CallerFor returns the principal that signs with key.
func (s *Snapshot) CallerFor(key *AccessKey) *Caller {
	c := &Caller{AccountID: key.AccountID, UserName: key.UserName, AccessKeyID: key.AccessKeyID}
	switch u, ok := s.AccountIAM(key.AccountID).Users[Key(key.UserName)]; {
	case key.UserName == "":
		c.ARN = "arn:aws:iam::" + key.AccountID + ":root"
	case ok:
		c.ARN = u.ARN // with the user's path
	default:
		c.ARN = "arn:aws:iam::" + key.AccountID + ":user/" + key.UserName
	}
	return c
}

// Session is what a session token carries: everything needed to
// authenticate and authorize its requests without a store read. It is
// sealed into the token by the STS service.
type Session struct {
	AccessKeyID string    `json:"k"`
	Secret      string    `json:"s"`
	AccountID   string    `json:"a"`
	IssuedAt    time.Time `json:"i"`
	Expiration  time.Time `json:"e"`
	// Epoch is the directory's Epoch when the session was authorized:
	// after a reset the session is no longer valid.
	Epoch uint64 `json:"ep,omitempty"`

	// A role session has the role; a GetSessionToken session has the
	// user (empty for the root user) and no role.
	RoleName    string `json:"r,omitempty"`
	RolePath    string `json:"rp,omitempty"`
	RoleID      string `json:"ri,omitempty"`
	SessionName string `json:"n,omitempty"`
	UserName    string `json:"u,omitempty"`
	// UserID binds a GetSessionToken session to its user: a user deleted
	// and re-created under the same name (a new ID) does not inherit it.
	UserID string `json:"ui,omitempty"`

	// Session policies narrow the session: the inline document and the
	// managed policy ARNs passed to AssumeRole.
	Policy     string   `json:"p,omitempty"`
	PolicyARNs []string `json:"pa,omitempty"`

	Tags              []Tag    `json:"t,omitempty"`  // session tags (override role tags)
	TransitiveTagKeys []string `json:"tt,omitempty"` // keys that pass down a role chain
	SourceIdentity    string   `json:"si,omitempty"`
	// Chained says the session was created by a role session assuming a
	// role (role chaining): it is limited to one hour.
	Chained bool `json:"c,omitempty"`
	// FederatedProvider is the identity provider (an OIDC provider's ARN)
	// of a session from AssumeRoleWithWebIdentity, and Subject the
	// token's "sub".
	FederatedProvider string `json:"fp,omitempty"`
	Subject           string `json:"fs,omitempty"`
}

// RoleARN returns the role's ARN for a role session.
func (s *Session) RoleARN() string {
	return "arn:aws:iam::" + s.AccountID + ":role" + s.RolePath + s.RoleName
}

// ARN returns the session's principal ARN.
func (s *Session) ARN() string {
	if s.RoleName != "" {
		return "arn:aws:sts::" + s.AccountID + ":assumed-role/" + s.RoleName + "/" + s.SessionName
	}
	if s.UserName != "" {
		return "arn:aws:iam::" + s.AccountID + ":user/" + s.UserName
	}
	return "arn:aws:iam::" + s.AccountID + ":root"
}

// EffectiveTrust returns a role's trust policy as it stands now: a user or
// role the policy named that has since been deleted, or re-created with a
// new unique ID, is replaced by the unique ID it was bound to, which no
// current principal has. This is what IAM shows (GetRole) and enforces.
// compiled is nil if the rewritten document no longer parses (it then
// allows nothing).
func (s *Snapshot) EffectiveTrust(r *Role) (doc string, compiled *policy.Policy) {
	doc, compiled = r.TrustPolicy, r.Trust
	for principalARN, id := range r.TrustBindings {
		if s.PrincipalID(principalARN) == id {
			continue
		}
		doc = strings.ReplaceAll(doc, `"`+principalARN+`"`, `"`+id+`"`)
		compiled = nil
	}
	if compiled == nil {
		p, err := policy.ParseWithOptions(doc, policy.Trust, policy.Options{MaxSize: -1})
		if err != nil {
			return doc, nil
		}
		compiled = p
	}
	return doc, compiled
}

// RoleByARN returns the role with this ARN (path included), if it exists.
func (s *Snapshot) RoleByARN(roleARN string) (*Role, bool) {
	parts := strings.SplitN(roleARN, ":", 6)
	if len(parts) != 6 || !strings.HasPrefix(parts[5], "role/") {
		return nil, false
	}
	acct, ok := s.IAM[parts[4]]
	if !ok {
		return nil, false
	}
	r, ok := acct.Roles[Key(parts[5][strings.LastIndexByte(parts[5], '/')+1:])]
	if !ok || r.ARN != roleARN {
		return nil, false
	}
	return r, true
}

// PrincipalID returns the unique ID of the user or role with this ARN, or
// "" when there is none.
func (s *Snapshot) PrincipalID(principalARN string) string {
	// arn:aws:iam::ACCOUNT:TYPE/…/NAME, cut without allocating: every
	// audit record of a user's call asks.
	var parts [6]string
	rest := principalARN
	for i := range 5 {
		var found bool
		if parts[i], rest, found = strings.Cut(rest, ":"); !found {
			return ""
		}
	}
	parts[5] = rest
	acct, ok := s.IAM[parts[4]]
	if !ok {
		return ""
	}
	name := parts[5][strings.LastIndexByte(parts[5], '/')+1:]
	switch {
	case strings.HasPrefix(parts[5], "role/"):
		if r, ok := s.RoleByARN(principalARN); ok {
			return r.ID
		}
	case strings.HasPrefix(parts[5], "user/"):
		if u, ok := acct.Users[Key(name)]; ok && u.ARN == principalARN {
			return u.ID
		}
	}
	return ""
}
