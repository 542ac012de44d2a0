package arn

import (
	"fmt"
	"strings"
)

// PrincipalType says what kind of principal a policy's Principal element
// (or a caller) names.
type PrincipalType uint8

// The principal forms IAM policies can name.
const (
	PrincipalInvalid       PrincipalType = iota
	PrincipalAll                         // "*"
	PrincipalAccount                     // arn:aws:iam::ACCT:root or the bare 12-digit ID
	PrincipalUser                        // arn:aws:iam::ACCT:user/path/name
	PrincipalRole                        // arn:aws:iam::ACCT:role/path/name
	PrincipalAssumedRole                 // arn:aws:sts::ACCT:assumed-role/role/session
	PrincipalFederatedUser               // arn:aws:sts::ACCT:federated-user/name
	PrincipalUniqueID                    // AIDA…/AROA… left in a policy for a deleted user or role
	PrincipalOIDCProvider                // arn:aws:iam::ACCT:oidc-provider/host/path
	PrincipalSAMLProvider                // arn:aws:iam::ACCT:saml-provider/name
	PrincipalWebIdentity                 // a well-known identity provider: cognito-identity.amazonaws.com, accounts.google.com, …
	PrincipalService                     // a service principal: pods.eks.amazonaws.com
	PrincipalCanonicalUser               // an S3 canonical user ID
)

var principalTypeNames = [...]string{"invalid", "all", "account", "user", "role", "assumed-role", "federated-user", "unique-id", "oidc-provider", "saml-provider", "web-identity", "service", "canonical-user"}

func (t PrincipalType) String() string {
	if int(t) < len(principalTypeNames) {
		return principalTypeNames[t]
	}
	return fmt.Sprintf("PrincipalType(%d)", t)
}

// Principal is a parsed principal value from a policy.
type Principal struct {
	Type      PrincipalType
	AccountID string // the owning account where the form has one
	// ARN is the canonical ARN: a bare account ID becomes
	// arn:aws:iam::ACCT:root; unique IDs, services and well-known web
	// identity providers keep their text.
	ARN string
	// Name is the last path element for users and roles, the role name for
	// assumed-role sessions, the user name for federated users, the host/path
	// for OIDC providers and the name for SAML providers.
	Name string
	// Session is the session name of an assumed-role principal.
	Session string
}

// wellKnownWebIdentity lists the identity providers AWS accepts by name in
// a Federated principal.
var wellKnownWebIdentity = map[string]bool{
	"cognito-identity.amazonaws.com": true,
	"www.amazon.com":                 true,
	"graph.facebook.com":             true,
	"accounts.google.com":            true,
}

// ParseAWSPrincipal parses a value of a Principal element's "AWS" key.
func ParseAWSPrincipal(s string) (Principal, error) {
	if s == "*" {
		return Principal{Type: PrincipalAll, ARN: "*"}, nil
	}
	if IsAccountID(s) {
		return Principal{Type: PrincipalAccount, AccountID: s, ARN: "arn:aws:iam::" + s + ":root"}, nil
	}
	if IsUniqueID(s) {
		return Principal{Type: PrincipalUniqueID, ARN: s}, nil
	}
	if strings.ContainsAny(s, "*?") {
		return Principal{}, fmt.Errorf("wildcards are not allowed in principal %q", s)
	}
	a, err := Parse(s)
	if err != nil {
		return Principal{}, err
	}
	if !ValidPartition(a.Partition) || a.Region != "" || !IsAccountID(a.AccountID) {
		return Principal{}, fmt.Errorf("invalid principal %q", s)
	}
	p := Principal{AccountID: a.AccountID, ARN: s}
	switch a.Service {
	case "iam":
		switch {
		case a.Resource == "root":
			p.Type = PrincipalAccount
		case strings.HasPrefix(a.Resource, "user/"):
			p.Type, p.Name = PrincipalUser, lastElement(a.Resource)
		case strings.HasPrefix(a.Resource, "role/"):
			p.Type, p.Name = PrincipalRole, lastElement(a.Resource)
		}
	case "sts":
		switch {
		case strings.HasPrefix(a.Resource, "assumed-role/"):
			parts := strings.Split(a.Resource, "/")
			if len(parts) == 3 && parts[1] != "" && parts[2] != "" {
				p.Type, p.Name, p.Session = PrincipalAssumedRole, parts[1], parts[2]
			}
		case strings.HasPrefix(a.Resource, "federated-user/"):
			if name := a.Resource[len("federated-user/"):]; name != "" && !strings.Contains(name, "/") {
				p.Type, p.Name = PrincipalFederatedUser, name
			}
		}
	}
	if p.Type == PrincipalInvalid || (p.Type != PrincipalAccount && p.Type != PrincipalAssumedRole && p.Type != PrincipalFederatedUser && p.Name == "") {
		return Principal{}, fmt.Errorf("invalid principal %q", s)
	}
	return p, nil
}

// ParseFederatedPrincipal parses a value of a Principal element's
// "Federated" key: an OIDC or SAML provider ARN, or a well-known web
// identity provider.
func ParseFederatedPrincipal(s string) (Principal, error) {
	if wellKnownWebIdentity[s] {
		return Principal{Type: PrincipalWebIdentity, ARN: s, Name: s}, nil
	}
	a, err := Parse(s)
	if err != nil || a.Service != "iam" || !IsAccountID(a.AccountID) || a.Region != "" || strings.ContainsAny(s, "*?") {
		return Principal{}, fmt.Errorf("invalid federated principal %q", s)
	}
	switch {
	case strings.HasPrefix(a.Resource, "oidc-provider/") && len(a.Resource) > len("oidc-provider/"):
		return Principal{Type: PrincipalOIDCProvider, AccountID: a.AccountID, ARN: s, Name: a.Resource[len("oidc-provider/"):]}, nil
	case strings.HasPrefix(a.Resource, "saml-provider/") && len(a.Resource) > len("saml-provider/"):
		return Principal{Type: PrincipalSAMLProvider, AccountID: a.AccountID, ARN: s, Name: a.Resource[len("saml-provider/"):]}, nil
	}
	return Principal{}, fmt.Errorf("invalid federated principal %q", s)
}

// ParseServicePrincipal parses a value of a Principal element's "Service"
// key, such as "ec2.amazonaws.com" or "pods.eks.amazonaws.com".
func ParseServicePrincipal(s string) (Principal, error) {
	if s == "" || !strings.Contains(s, ".") {
		return Principal{}, fmt.Errorf("invalid service principal %q", s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return Principal{}, fmt.Errorf("invalid service principal %q", s)
		}
	}
	return Principal{Type: PrincipalService, ARN: s, Name: s}, nil
}

// ParseCanonicalUser parses a value of a Principal element's
// "CanonicalUser" key: 64 hexadecimal digits.
func ParseCanonicalUser(s string) (Principal, error) {
	if len(s) != 64 {
		return Principal{}, fmt.Errorf("invalid canonical user %q", s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return Principal{}, fmt.Errorf("invalid canonical user %q", s)
		}
	}
	return Principal{Type: PrincipalCanonicalUser, ARN: s, Name: s}, nil
}

// IsUniqueID reports whether s looks like an IAM unique ID of a user
// ("AIDA…") or a role ("AROA…"): the prefix and 17 upper-case letters or
// digits.
func IsUniqueID(s string) bool {
	if len(s) != 21 || !(strings.HasPrefix(s, "AIDA") || strings.HasPrefix(s, "AROA")) {
		return false
	}
	for i := 4; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// AccountRoot returns the root ARN of an account.
func AccountRoot(accountID string) string { return "arn:aws:iam::" + accountID + ":root" }

// RoleSession returns the assumed-role session ARN for a role name and
// session name.
func RoleSession(accountID, roleName, session string) string {
	return "arn:aws:sts::" + accountID + ":assumed-role/" + roleName + "/" + session
}

func lastElement(resource string) string {
	return resource[strings.LastIndexByte(resource, '/')+1:]
}
