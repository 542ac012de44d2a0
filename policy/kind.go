package policy

import "fmt"

// Kind is the role a policy document plays; it decides which elements are
// required or forbidden and the default size limit.
type Kind uint8

// The policy kinds AWS distinguishes when validating a document.
const (
	// Identity is a managed or inline policy attached to a user, group or role.
	Identity Kind = iota + 1
	// Resource is a resource-based policy (bucket, key, queue, …): Principal required.
	Resource
	// Trust is a role's trust policy (AssumeRolePolicyDocument): Principal
	// required, no Resource, STS actions only.
	Trust
	// Session is a session policy passed to an STS AssumeRole* call.
	Session
	// Boundary is a managed policy used as a permissions boundary.
	Boundary
	// SCP is an AWS Organizations service control policy.
	SCP
)

var kindNames = map[Kind]string{Identity: "identity", Resource: "resource", Trust: "trust", Session: "session", Boundary: "boundary", SCP: "scp"}

// String returns the kind's lower-case name, as ParseKind accepts it.
func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// ParseKind returns the kind named s ("identity", "resource", "trust",
// "session", "boundary" or "scp").
func ParseKind(s string) (Kind, error) {
	for k, name := range kindNames {
		if name == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("unknown policy kind %q (want identity, resource, trust, session, boundary or scp)", s)
}

// principalRule says whether statements of the kind must, may or must not
// carry a Principal or NotPrincipal element.
func (k Kind) principalRequired() bool { return k == Resource || k == Trust }

func (k Kind) principalForbidden() bool {
	return k == Identity || k == Session || k == Boundary || k == SCP
}

// alphanumericSid reports whether Sids must be alphanumeric, as IAM requires
// of the policies it stores.
func (k Kind) alphanumericSid() bool { return k != Resource }

// DefaultMaxSize is the kind's size limit in characters, white space not
// counted, and the message AWS gives when it is exceeded.
func (k Kind) DefaultMaxSize() (int, string) {
	switch k {
	case Trust:
		return 2048, "Cannot exceed quota for ACLSizePerRole: 2048"
	case Session:
		return 2048, "Cannot exceed quota for PolicySize: 2048"
	case SCP:
		return 5120, "Cannot exceed quota for PolicySize: 5120"
	case Resource:
		return 20480, "Cannot exceed quota for PolicySize: 20480"
	default:
		return 6144, "Cannot exceed quota for PolicySize: 6144"
	}
}
