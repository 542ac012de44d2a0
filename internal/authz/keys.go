package authz

import (
	"strings"

	"github.com/assumed-dev/assumed/policy"
)

// keySet says which of the condition keys authorization adds to a
// request (the caller's and the resource's) the policies in play can
// read. A key no policy reads is not worth setting: a request whose
// policies have no conditions is evaluated without building a context.
type keySet uint32

// The keys, by what sets them.
const (
	kUsername keySet = 1 << iota
	kUserID
	kPrincipalARN
	kPrincipalAccount
	kPrincipalType
	kSecureTransport
	kViaAWSService
	kPrincipalIsAWSService
	kRequestedRegion
	kTime // aws:CurrentTime, aws:EpochTime
	kSourceIP
	kPrincipalTag // aws:PrincipalTag/…
	kTokenIssueTime
	kMFA
	kSourceIdentity
	kFederatedProvider
	kResourceAccount
	kResourceTag // aws:ResourceTag/…

	// keyAll is every key: a policy variable may read any of them.
	keyAll keySet = 1<<iota - 1
)

// globalKeys maps the lower-case names of the keys to their bits.
var globalKeys = map[string]keySet{
	"aws:username":               kUsername,
	"aws:userid":                 kUserID,
	"aws:principalarn":           kPrincipalARN,
	"aws:principalaccount":       kPrincipalAccount,
	"aws:principaltype":          kPrincipalType,
	"aws:securetransport":        kSecureTransport,
	"aws:viaawsservice":          kViaAWSService,
	"aws:principalisawsservice":  kPrincipalIsAWSService,
	"aws:requestedregion":        kRequestedRegion,
	"aws:currenttime":            kTime,
	"aws:epochtime":              kTime,
	"aws:sourceip":               kSourceIP,
	"aws:tokenissuetime":         kTokenIssueTime,
	"aws:multifactorauthpresent": kMFA,
	"aws:sourceidentity":         kSourceIdentity,
	"aws:federatedprovider":      kFederatedProvider,
	"aws:resourceaccount":        kResourceAccount,
}

// keyOf is the bit of one condition key (0 for keys authorization does
// not set, which only the request's context can hold).
func keyOf(key string) keySet {
	k := strings.ToLower(key)
	switch {
	case strings.HasPrefix(k, "aws:principaltag/"):
		return kPrincipalTag
	case strings.HasPrefix(k, "aws:resourcetag/"):
		return kResourceTag
	}
	return globalKeys[k]
}

// keysOf returns the keys the policies of s can read: those their
// conditions name, or all of them when a Resource or condition value
// holds a policy variable.
func keysOf(s *policy.Set) keySet {
	if s == nil {
		return 0
	}
	var need keySet
	for _, e := range s.Entries() {
		for _, st := range e.Policy.Statements {
			for _, r := range st.Resources {
				if strings.Contains(r, "${") {
					return keyAll
				}
			}
			for _, c := range st.Conditions {
				need |= keyOf(c.Key)
				for _, v := range c.Values {
					if strings.Contains(v, "${") {
						return keyAll
					}
				}
			}
		}
	}
	return need
}
