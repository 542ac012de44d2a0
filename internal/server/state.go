package server

import (
	"cmp"
	"slices"
	"strings"

	"github.com/assumed-dev/assumed/internal/directory"
)

// AccountState is the document GET /_assumed/state answers: one account's
// IAM and EKS contents, read-only, for tests to compare. Every list is
// present (empty rather than absent) and sorted, by name unless said
// otherwise; a string that is empty is left out. It leaves out what a
// reset regenerates — unique IDs (AIDA…, AROA…, ANPA…), pod identity
// association IDs, creation dates — and every secret: two dumps of the
// same state are byte for byte the same, and the dump right after a reset
// is the dump of a server just started with the same world file.
//
//	{
//	  "account": {"id": "111111111111", "name": "account-a", "aliases": [],
//	              "rootAccessKeys": [{"id": "AKIA…", "status": "Active"}]},
//	  "users": [{"name", "path", "arn", "groups": [names],
//	             "inlinePolicies": [{"name", "document"}],
//	             "attachedPolicies": [ARNs, sorted], "permissionsBoundary",
//	             "tags": [{"key", "value"}, sorted by key],
//	             "accessKeys": [{"id", "status"}, sorted by id]}],
//	  "groups": [{"name", "path", "arn", "members": [user names],
//	              "inlinePolicies", "attachedPolicies"}],
//	  "roles": [{"name", "path", "arn", "description", "trustPolicy",
//	             "maxSessionDuration", "inlinePolicies", "attachedPolicies",
//	             "permissionsBoundary", "tags"}],
//	  "policies": [{"name", "path", "arn", "description",
//	                "defaultVersionId", "document", "tags"}],
//	  "oidcProviders": [{"arn", "url", "clientIds", "thumbprints", "tags"},
//	                    sorted by ARN],
//	  "samlProviders": [{"arn", "name", "tags"}],
//	  "instanceProfiles": [{"name", "path", "arn", "roles", "tags"}],
//	  "clusters": [{"name", "region", "arn", "version", "roleArn",
//	                "issuer", "endpoint", "tags"}, by name then region],
//	  "podIdentityAssociations": [{"cluster", "region", "namespace",
//	                "serviceAccount", "roleArn", "targetRoleArn",
//	                "disableSessionTags", "tags"}, by cluster, region,
//	                namespace then service account]
//	}
//
// Policy documents are strings: the JSON text IAM holds, as it was
// written. A role's trust policy is the one IAM enforces and GetRole
// shows (a principal deleted since is shown by its old unique ID). Tags
// are lists of {"key", "value"} (a map for clusters and associations, as
// EKS has them).
type AccountState struct {
	Account                 AccountInfo        `json:"account"`
	Users                   []UserState        `json:"users"`
	Groups                  []GroupState       `json:"groups"`
	Roles                   []RoleState        `json:"roles"`
	Policies                []PolicyState      `json:"policies"`
	OIDCProviders           []OIDCState        `json:"oidcProviders"`
	SAMLProviders           []SAMLState        `json:"samlProviders"`
	InstanceProfiles        []ProfileState     `json:"instanceProfiles"`
	Clusters                []ClusterState     `json:"clusters"`
	PodIdentityAssociations []AssociationState `json:"podIdentityAssociations"`
}

// AccountInfo is the account itself: its root user's access keys (IDs
// and status only) and its alias.
type AccountInfo struct {
	ID             string     `json:"id"`
	Name           string     `json:"name"`
	Aliases        []string   `json:"aliases"`
	RootAccessKeys []KeyState `json:"rootAccessKeys"`
}

// KeyState is an access key: its ID and status, never its secret.
type KeyState struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// InlineState is an inline policy.
type InlineState struct {
	Name     string `json:"name"`
	Document string `json:"document"`
}

// UserState is an IAM user.
type UserState struct {
	Name                string          `json:"name"`
	Path                string          `json:"path"`
	ARN                 string          `json:"arn"`
	Groups              []string        `json:"groups"`
	InlinePolicies      []InlineState   `json:"inlinePolicies"`
	AttachedPolicies    []string        `json:"attachedPolicies"`
	PermissionsBoundary string          `json:"permissionsBoundary,omitempty"`
	Tags                []directory.Tag `json:"tags"`
	AccessKeys          []KeyState      `json:"accessKeys"`
}

// GroupState is an IAM group.
type GroupState struct {
	Name             string        `json:"name"`
	Path             string        `json:"path"`
	ARN              string        `json:"arn"`
	Members          []string      `json:"members"`
	InlinePolicies   []InlineState `json:"inlinePolicies"`
	AttachedPolicies []string      `json:"attachedPolicies"`
}

// RoleState is an IAM role.
type RoleState struct {
	Name                string          `json:"name"`
	Path                string          `json:"path"`
	ARN                 string          `json:"arn"`
	Description         string          `json:"description,omitempty"`
	TrustPolicy         string          `json:"trustPolicy"`
	MaxSessionDuration  int32           `json:"maxSessionDuration"`
	InlinePolicies      []InlineState   `json:"inlinePolicies"`
	AttachedPolicies    []string        `json:"attachedPolicies"`
	PermissionsBoundary string          `json:"permissionsBoundary,omitempty"`
	Tags                []directory.Tag `json:"tags"`
}

// PolicyState is a customer managed policy, with its default version's
// document.
type PolicyState struct {
	Name             string          `json:"name"`
	Path             string          `json:"path"`
	ARN              string          `json:"arn"`
	Description      string          `json:"description,omitempty"`
	DefaultVersionID string          `json:"defaultVersionId"`
	Document         string          `json:"document"`
	Tags             []directory.Tag `json:"tags"`
}

// OIDCState is an IAM OIDC identity provider; URL is its issuer, scheme
// included.
type OIDCState struct {
	ARN         string          `json:"arn"`
	URL         string          `json:"url"`
	ClientIDs   []string        `json:"clientIds"`
	Thumbprints []string        `json:"thumbprints"`
	Tags        []directory.Tag `json:"tags"`
}

// SAMLState is an IAM SAML identity provider.
type SAMLState struct {
	ARN  string          `json:"arn"`
	Name string          `json:"name"`
	Tags []directory.Tag `json:"tags"`
}

// ProfileState is an instance profile; Roles are role names.
type ProfileState struct {
	Name  string          `json:"name"`
	Path  string          `json:"path"`
	ARN   string          `json:"arn"`
	Roles []string        `json:"roles"`
	Tags  []directory.Tag `json:"tags"`
}

// ClusterState is a simulated EKS cluster: its OIDC issuer URL and its
// endpoint as DescribeCluster gives them.
type ClusterState struct {
	Name     string            `json:"name"`
	Region   string            `json:"region"`
	ARN      string            `json:"arn"`
	Version  string            `json:"version"`
	RoleARN  string            `json:"roleArn,omitempty"`
	Issuer   string            `json:"issuer"`
	Endpoint string            `json:"endpoint"`
	Tags     map[string]string `json:"tags"`
}

// AssociationState is an EKS Pod Identity association.
type AssociationState struct {
	Cluster            string            `json:"cluster"`
	Region             string            `json:"region"`
	Namespace          string            `json:"namespace"`
	ServiceAccount     string            `json:"serviceAccount"`
	RoleARN            string            `json:"roleArn"`
	TargetRoleARN      string            `json:"targetRoleArn,omitempty"`
	DisableSessionTags bool              `json:"disableSessionTags"`
	Tags               map[string]string `json:"tags"`
}

// accountState dumps an account of snap; issuer and endpoint give a
// cluster's issuer URL and endpoint.
func accountState(snap *directory.Snapshot, accountID string, issuer, endpoint func(*directory.Cluster) string) *AccountState {
	a := snap.AccountIAM(accountID)
	st := &AccountState{
		Account:                 AccountInfo{ID: accountID, Aliases: sortedStrings(a.Aliases), RootAccessKeys: []KeyState{}},
		Users:                   []UserState{},
		Groups:                  []GroupState{},
		Roles:                   []RoleState{},
		Policies:                []PolicyState{},
		OIDCProviders:           []OIDCState{},
		SAMLProviders:           []SAMLState{},
		InstanceProfiles:        []ProfileState{},
		Clusters:                []ClusterState{},
		PodIdentityAssociations: []AssociationState{},
	}
	if acct, ok := snap.Accounts[accountID]; ok {
		st.Account.Name = acct.Name
	}
	keys := map[string][]KeyState{} // by lower-cased user name; "" is the root user
	for _, k := range snap.AccessKeys {
		if k.AccountID == accountID {
			keys[directory.Key(k.UserName)] = append(keys[directory.Key(k.UserName)], KeyState{ID: k.AccessKeyID, Status: k.Status})
		}
	}
	sortKeys := func(ks []KeyState) []KeyState {
		if ks == nil {
			return []KeyState{}
		}
		slices.SortFunc(ks, func(x, y KeyState) int { return strings.Compare(x.ID, y.ID) })
		return ks
	}
	st.Account.RootAccessKeys = sortKeys(keys[""])
	for _, u := range a.Users {
		groups := []string{}
		for _, g := range a.GroupsOf(u.Name) {
			groups = append(groups, g.Name)
		}
		st.Users = append(st.Users, UserState{
			Name: u.Name, Path: u.Path, ARN: u.ARN, Groups: groups,
			InlinePolicies: inlineState(u.Inline), AttachedPolicies: sortedStrings(u.Attached),
			PermissionsBoundary: u.Boundary, Tags: sortedTags(u.Tags), AccessKeys: sortKeys(keys[directory.Key(u.Name)]),
		})
	}
	for _, g := range a.Groups {
		st.Groups = append(st.Groups, GroupState{
			Name: g.Name, Path: g.Path, ARN: g.ARN, Members: sortedStrings(g.Members),
			InlinePolicies: inlineState(g.Inline), AttachedPolicies: sortedStrings(g.Attached),
		})
	}
	for _, r := range a.Roles {
		trust, _ := snap.EffectiveTrust(r)
		st.Roles = append(st.Roles, RoleState{
			Name: r.Name, Path: r.Path, ARN: r.ARN, Description: r.Description, TrustPolicy: trust,
			MaxSessionDuration: r.MaxSessionDuration, InlinePolicies: inlineState(r.Inline),
			AttachedPolicies: sortedStrings(r.Attached), PermissionsBoundary: r.Boundary, Tags: sortedTags(r.Tags),
		})
	}
	for _, p := range a.Policies {
		ps := PolicyState{Name: p.Name, Path: p.Path, ARN: p.ARN, Description: p.Description, DefaultVersionID: p.DefaultVersion, Tags: sortedTags(p.Tags)}
		if d := p.Default(); d != nil {
			ps.Document = d.Document
		}
		st.Policies = append(st.Policies, ps)
	}
	for _, p := range a.OIDCProviders {
		st.OIDCProviders = append(st.OIDCProviders, OIDCState{
			ARN: p.ARN, URL: p.Issuer(), ClientIDs: sortedStrings(p.ClientIDs), Thumbprints: sortedStrings(p.Thumbprints), Tags: sortedTags(p.Tags),
		})
	}
	for _, p := range a.SAMLProviders {
		st.SAMLProviders = append(st.SAMLProviders, SAMLState{ARN: p.ARN, Name: p.Name, Tags: sortedTags(p.Tags)})
	}
	for _, p := range a.InstanceProfiles {
		st.InstanceProfiles = append(st.InstanceProfiles, ProfileState{Name: p.Name, Path: p.Path, ARN: p.ARN, Roles: sortedStrings(p.Roles), Tags: sortedTags(p.Tags)})
	}
	for _, c := range snap.Clusters {
		if c.AccountID != accountID {
			continue
		}
		st.Clusters = append(st.Clusters, ClusterState{
			Name: c.Name, Region: c.Region, ARN: c.ARN, Version: c.Version, RoleARN: c.RoleARN,
			Issuer: issuer(c), Endpoint: endpoint(c), Tags: tagMap(c.Tags),
		})
	}
	for _, pa := range snap.PodIdentityAssociations {
		if pa.AccountID != accountID {
			continue
		}
		st.PodIdentityAssociations = append(st.PodIdentityAssociations, AssociationState{
			Cluster: pa.ClusterName, Region: pa.Region, Namespace: pa.Namespace, ServiceAccount: pa.ServiceAccount,
			RoleARN: pa.RoleARN, TargetRoleARN: pa.TargetRoleARN, DisableSessionTags: pa.DisableSessionTags, Tags: tagMap(pa.Tags),
		})
	}
	slices.SortFunc(st.Users, func(x, y UserState) int { return cmpName(x.Name, y.Name) })
	slices.SortFunc(st.Groups, func(x, y GroupState) int { return cmpName(x.Name, y.Name) })
	slices.SortFunc(st.Roles, func(x, y RoleState) int { return cmpName(x.Name, y.Name) })
	slices.SortFunc(st.Policies, func(x, y PolicyState) int {
		return cmp.Or(cmpName(x.Name, y.Name), strings.Compare(x.ARN, y.ARN))
	})
	slices.SortFunc(st.OIDCProviders, func(x, y OIDCState) int { return strings.Compare(x.ARN, y.ARN) })
	slices.SortFunc(st.SAMLProviders, func(x, y SAMLState) int { return cmpName(x.Name, y.Name) })
	slices.SortFunc(st.InstanceProfiles, func(x, y ProfileState) int { return cmpName(x.Name, y.Name) })
	slices.SortFunc(st.Clusters, func(x, y ClusterState) int {
		return cmp.Or(strings.Compare(x.Name, y.Name), strings.Compare(x.Region, y.Region))
	})
	slices.SortFunc(st.PodIdentityAssociations, func(x, y AssociationState) int {
		return cmp.Or(strings.Compare(x.Cluster, y.Cluster), strings.Compare(x.Region, y.Region),
			strings.Compare(x.Namespace, y.Namespace), strings.Compare(x.ServiceAccount, y.ServiceAccount))
	})
	return st
}

// cmpName orders IAM names as IAM compares them, case-insensitively, and
// names that differ only in case by their bytes.
func cmpName(x, y string) int {
	return cmp.Or(strings.Compare(directory.Key(x), directory.Key(y)), strings.Compare(x, y))
}

func sortedStrings(s []string) []string {
	out := append([]string{}, s...)
	slices.Sort(out)
	return out
}

func sortedTags(tags []directory.Tag) []directory.Tag {
	out := append([]directory.Tag{}, tags...)
	slices.SortFunc(out, func(x, y directory.Tag) int { return strings.Compare(x.Key, y.Key) })
	return out
}

func tagMap(tags map[string]string) map[string]string {
	if tags == nil {
		return map[string]string{}
	}
	return tags
}

func inlineState(in []directory.InlinePolicy) []InlineState {
	out := make([]InlineState, 0, len(in))
	for _, p := range in {
		out = append(out, InlineState{Name: p.Name, Document: p.Document})
	}
	slices.SortFunc(out, func(x, y InlineState) int { return strings.Compare(x.Name, y.Name) })
	return out
}
