// Package world reads the world file: the YAML document that declares the
// accounts a server hosts and their IAM contents (managed policies, groups,
// users with fixed access keys, roles). Applying a
// world is idempotent; a bad file is refused with its line and the reason.
package world

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/assumed-dev/assumed/arn"
)

// World is a parsed world file.
type World struct {
	Accounts []Account `yaml:"accounts"`
}

// Account is one declared account, with the IAM entities it must have.
type Account struct {
	ID       string
	Name     string
	Policies []Policy // customer managed policies
	Groups   []Group
	Users    []User
	Roles    []Role
	// OIDCProviders are IAM OIDC identity providers of the account.
	OIDCProviders []OIDCProvider
	// Clusters are simulated EKS clusters of the account, each with its
	// own OIDC issuer.
	Clusters []Cluster
	line     int
}

// Cluster is a simulated EKS cluster.
type Cluster struct {
	Name    string
	Region  string // default us-east-1
	Version string
	// RoleARN is the cluster's IAM role (DescribeCluster's roleArn);
	// empty means arn:aws:iam::ACCOUNT:role/eks-cluster.
	RoleARN string
	// PodIdentityAssociations map service accounts to roles.
	PodIdentityAssociations []PodIdentityAssociation
	Line                    int
}

// PodIdentityAssociation is an EKS Pod Identity association of a cluster.
type PodIdentityAssociation struct {
	Namespace          string
	ServiceAccount     string
	RoleARN            string
	TargetRoleARN      string
	DisableSessionTags bool
	Policy             string // JSON session policy
	Line               int
}

// OIDCProvider is an IAM OIDC provider: for an issuer given by URL, or
// for the issuer of a cluster of the world ("account/cluster", the
// account by name or ID).
type OIDCProvider struct {
	URL         string
	Cluster     string
	ClientIDs   []string
	Thumbprints []string
	Line        int
}

// Policy is a customer managed policy.
type Policy struct {
	Name        string
	Path        string
	Description string
	Document    string // JSON
	Line        int
}

// Inline is an inline policy.
type Inline struct {
	Name     string
	Document string // JSON
}

// Group is an IAM group.
type Group struct {
	Name     string
	Path     string
	Policies []Inline
	Attached []string // managed policy ARNs
	Line     int
}

// AccessKey is a user's access key with a given ID and secret, so that
// tests and labs can use fixed credentials.
type AccessKey struct {
	ID     string
	Secret string
}

// User is an IAM user.
type User struct {
	Name       string
	Path       string
	Groups     []string
	Policies   []Inline
	Attached   []string
	AccessKeys []AccessKey
	Line       int
}

// Role is an IAM role.
type Role struct {
	Name               string
	Path               string
	Description        string
	Trust              string // JSON trust policy
	MaxSessionDuration int32
	Policies           []Inline
	Attached           []string
	Line               int
}

// Default is the world used when no file is given: one account, so that
// the first command just works.
func Default() *World {
	return &World{Accounts: []Account{{ID: "000000000000", Name: "default"}}}
}

// Error is a problem in a world file, with its line (0 when unknown).
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// accountName is what a profile name in the credentials file may be.
var accountName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Load reads and validates the world file at path.
func Load(path string) (*World, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read world file: %w", err)
	}
	return Parse(path, b)
}

// Parse validates a world document; name is used in error messages.
func Parse(name string, b []byte) (*World, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: name, Msg: "the file is empty; it must declare accounts"}
		}
		return nil, yamlError(name, err)
	}
	if len(root.Content) == 0 {
		return nil, &Error{File: name, Msg: "the file is empty; it must declare accounts"}
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil, &Error{File: name, Line: doc.Line, Msg: "the top level must be a mapping with an 'accounts' list"}
	}
	w := &World{}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		switch k.Value {
		case "accounts":
			if v.Kind != yaml.SequenceNode {
				return nil, &Error{File: name, Line: v.Line, Msg: "'accounts' must be a list"}
			}
			for _, item := range v.Content {
				a, err := parseAccount(name, item)
				if err != nil {
					return nil, err
				}
				w.Accounts = append(w.Accounts, a)
			}
		default:
			return nil, &Error{File: name, Line: k.Line, Msg: fmt.Sprintf("unknown key %q (known: accounts)", k.Value)}
		}
	}
	if len(w.Accounts) == 0 {
		return nil, &Error{File: name, Line: doc.Line, Msg: "no accounts declared"}
	}
	ids, names := map[string]int{}, map[string]int{}
	for _, a := range w.Accounts {
		if l, dup := ids[a.ID]; dup {
			return nil, &Error{File: name, Line: a.line, Msg: fmt.Sprintf("account %s is declared twice (first on line %d)", a.ID, l)}
		}
		if l, dup := names[a.Name]; dup {
			return nil, &Error{File: name, Line: a.line, Msg: fmt.Sprintf("account name %q is used twice (first on line %d)", a.Name, l)}
		}
		ids[a.ID], names[a.Name] = a.line, a.line
	}
	return w, nil
}

func parseAccount(file string, n *yaml.Node) (Account, error) {
	if n.Kind != yaml.MappingNode {
		return Account{}, &Error{File: file, Line: n.Line, Msg: "an account must be a mapping with 'id' and 'name'"}
	}
	a := Account{line: n.Line}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var err error
		switch k.Value {
		case "id", "name":
			if v.Kind != yaml.ScalarNode {
				return Account{}, &Error{File: file, Line: v.Line, Msg: fmt.Sprintf("account %s must be a string", k.Value)}
			}
			if k.Value == "id" {
				a.ID = v.Value
			} else {
				a.Name = v.Value
			}
		case "policies":
			err = eachItem(file, v, "policies", func(n *yaml.Node) error {
				p := Policy{Line: n.Line}
				return fields(file, n, map[string]func(*yaml.Node) error{
					"name":        str(file, &p.Name),
					"path":        str(file, &p.Path),
					"description": str(file, &p.Description),
					"document":    document(file, &p.Document),
				}, func() error {
					a.Policies = append(a.Policies, p)
					return required(file, n, "policy", map[string]string{"name": p.Name, "document": p.Document})
				})
			})
		case "groups":
			err = eachItem(file, v, "groups", func(n *yaml.Node) error {
				g := Group{Line: n.Line}
				return fields(file, n, map[string]func(*yaml.Node) error{
					"name":     str(file, &g.Name),
					"path":     str(file, &g.Path),
					"policies": inlines(file, &g.Policies),
					"attached": strs(file, &g.Attached),
				}, func() error {
					a.Groups = append(a.Groups, g)
					return required(file, n, "group", map[string]string{"name": g.Name})
				})
			})
		case "users":
			err = eachItem(file, v, "users", func(n *yaml.Node) error {
				u := User{Line: n.Line}
				return fields(file, n, map[string]func(*yaml.Node) error{
					"name":        str(file, &u.Name),
					"path":        str(file, &u.Path),
					"groups":      strs(file, &u.Groups),
					"policies":    inlines(file, &u.Policies),
					"attached":    strs(file, &u.Attached),
					"access_keys": accessKeys(file, &u.AccessKeys),
				}, func() error {
					a.Users = append(a.Users, u)
					return required(file, n, "user", map[string]string{"name": u.Name})
				})
			})
		case "roles":
			err = eachItem(file, v, "roles", func(n *yaml.Node) error {
				r := Role{Line: n.Line}
				return fields(file, n, map[string]func(*yaml.Node) error{
					"name":                 str(file, &r.Name),
					"path":                 str(file, &r.Path),
					"description":          str(file, &r.Description),
					"trust":                document(file, &r.Trust),
					"max_session_duration": int32Field(file, &r.MaxSessionDuration),
					"policies":             inlines(file, &r.Policies),
					"attached":             strs(file, &r.Attached),
				}, func() error {
					a.Roles = append(a.Roles, r)
					return required(file, n, "role", map[string]string{"name": r.Name, "trust": r.Trust})
				})
			})
		case "clusters":
			err = eachItem(file, v, "clusters", func(n *yaml.Node) error {
				c := Cluster{Line: n.Line}
				return fields(file, n, map[string]func(*yaml.Node) error{
					"name":     str(file, &c.Name),
					"region":   str(file, &c.Region),
					"version":  str(file, &c.Version),
					"role_arn": str(file, &c.RoleARN),
					"pod_identity_associations": func(v *yaml.Node) error {
						return eachItem(file, v, "pod_identity_associations", func(n *yaml.Node) error {
							pa := PodIdentityAssociation{Line: n.Line}
							return fields(file, n, map[string]func(*yaml.Node) error{
								"namespace":            str(file, &pa.Namespace),
								"service_account":      str(file, &pa.ServiceAccount),
								"role_arn":             str(file, &pa.RoleARN),
								"target_role_arn":      str(file, &pa.TargetRoleARN),
								"disable_session_tags": boolField(file, &pa.DisableSessionTags),
								"policy":               document(file, &pa.Policy),
							}, func() error {
								c.PodIdentityAssociations = append(c.PodIdentityAssociations, pa)
								return required(file, n, "pod identity association", map[string]string{"namespace": pa.Namespace, "service_account": pa.ServiceAccount, "role_arn": pa.RoleARN})
							})
						})
					},
				}, func() error {
					a.Clusters = append(a.Clusters, c)
					return required(file, n, "cluster", map[string]string{"name": c.Name})
				})
			})
		case "oidc_providers":
			err = eachItem(file, v, "oidc_providers", func(n *yaml.Node) error {
				p := OIDCProvider{Line: n.Line}
				return fields(file, n, map[string]func(*yaml.Node) error{
					"url":         str(file, &p.URL),
					"cluster":     str(file, &p.Cluster),
					"client_ids":  strs(file, &p.ClientIDs),
					"thumbprints": strs(file, &p.Thumbprints),
				}, func() error {
					if (p.URL == "") == (p.Cluster == "") {
						return &Error{File: file, Line: n.Line, Msg: "an OIDC provider needs exactly one of 'url' or 'cluster' (ACCOUNT/CLUSTER)"}
					}
					a.OIDCProviders = append(a.OIDCProviders, p)
					return nil
				})
			})
		default:
			return Account{}, &Error{File: file, Line: k.Line, Msg: fmt.Sprintf("unknown account key %q (known: id, name, policies, groups, users, roles, oidc_providers, clusters)", k.Value)}
		}
		if err != nil {
			return Account{}, err
		}
	}
	switch {
	case !arn.IsAccountID(a.ID):
		return Account{}, &Error{File: file, Line: n.Line, Msg: fmt.Sprintf("account id %q must be 12 digits (quote it in YAML: id: \"111111111111\")", a.ID)}
	case !accountName.MatchString(a.Name):
		return Account{}, &Error{File: file, Line: n.Line, Msg: fmt.Sprintf("account name %q must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", a.Name)}
	}
	return a, nil
}

// yamlError turns a YAML syntax error into an *Error, keeping its line.
func yamlError(file string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return &Error{File: file, Msg: te.Error()}
	}
	var line int
	if _, scanErr := fmt.Sscanf(err.Error(), "yaml: line %d:", &line); scanErr == nil {
		return &Error{File: file, Line: line, Msg: err.Error()}
	}
	return &Error{File: file, Msg: err.Error()}
}

// issuerPlaceholder matches {{issuer ACCOUNT/CLUSTER}} in documents.
var issuerPlaceholder = regexp.MustCompile(`\{\{\s*issuer\s+([^/\s}]+)/([^\s}]+)\s*\}\}`)

// ResolveIssuers fills in what only the running server knows: the
// issuer URL of each OIDC provider declared by cluster, and every
// {{issuer ACCOUNT/CLUSTER}} placeholder in policy documents, which
// becomes the issuer's host and path (the provider's name in ARNs and
// condition keys). issuer returns a cluster's issuer URL; the account is
// given by ID.
func (w *World) ResolveIssuers(file string, issuer func(accountID, cluster string) (string, bool)) error {
	byName := map[string]string{}
	for _, a := range w.Accounts {
		byName[a.Name], byName[a.ID] = a.ID, a.ID
	}
	lookup := func(line int, ref string) (string, error) {
		acct, cluster, ok := strings.Cut(ref, "/")
		id, known := byName[acct]
		if !ok || !known {
			return "", &Error{File: file, Line: line, Msg: fmt.Sprintf("cluster reference %q must be ACCOUNT/CLUSTER with an account of this file", ref)}
		}
		u, ok := issuer(id, cluster)
		if !ok {
			return "", &Error{File: file, Line: line, Msg: fmt.Sprintf("no cluster %q in account %s", cluster, acct)}
		}
		return u, nil
	}
	expand := func(line int, doc *string) error {
		var firstErr error
		*doc = issuerPlaceholder.ReplaceAllStringFunc(*doc, func(m string) string {
			sub := issuerPlaceholder.FindStringSubmatch(m)
			u, err := lookup(line, sub[1]+"/"+sub[2])
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				return m
			}
			_, hostPath, _ := strings.Cut(u, "://")
			return hostPath
		})
		return firstErr
	}
	for i := range w.Accounts {
		a := &w.Accounts[i]
		for j := range a.OIDCProviders {
			p := &a.OIDCProviders[j]
			if p.Cluster != "" {
				u, err := lookup(p.Line, p.Cluster)
				if err != nil {
					return err
				}
				p.URL = u
			}
		}
		for j := range a.Policies {
			if err := expand(a.Policies[j].Line, &a.Policies[j].Document); err != nil {
				return err
			}
		}
		for j := range a.Roles {
			r := &a.Roles[j]
			if err := expand(r.Line, &r.Trust); err != nil {
				return err
			}
			for k := range r.Policies {
				if err := expand(r.Line, &r.Policies[k].Document); err != nil {
					return err
				}
			}
		}
		for j := range a.Users {
			for k := range a.Users[j].Policies {
				if err := expand(a.Users[j].Line, &a.Users[j].Policies[k].Document); err != nil {
					return err
				}
			}
		}
		for j := range a.Groups {
			for k := range a.Groups[j].Policies {
				if err := expand(a.Groups[j].Line, &a.Groups[j].Policies[k].Document); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
