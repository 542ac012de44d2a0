package gaad

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/assumed-dev/assumed/arn"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// The unique ID prefixes of IAM's entity families.
const (
	prefixUser            = "AIDA"
	prefixGroup           = "AGPA"
	prefixRole            = "AROA"
	prefixPolicy          = "ANPA"
	prefixInstanceProfile = "AIPA"
)

// awsManagedPrefix starts the ARN of every AWS managed policy.
const awsManagedPrefix = "arn:aws:iam::aws:policy/"

// compileOptions are those the store compiles stored documents with:
// AWS checked the documents' sizes when they were written.
var compileOptions = policy.Options{MaxSize: -1}

// converter turns one file's decoded answer into an Account.
type converter struct {
	file string
	acct *Account
	// accountFrom names the ARN the account ID was first taken from.
	accountFrom string
	groups      map[string]*directory.Group           // by directory.Key(name)
	profiles    map[string]*directory.InstanceProfile // by directory.Key(name)
	ids         map[string]string                     // unique ID → the entity that has it
}

// fail is an error about what (an entity, or a part of one).
func (c *converter) fail(what string, err error) error {
	return &Error{File: c.file, Msg: what + ": " + err.Error()}
}

// convert converts the lists in the order their references need:
// groups before the users that are their members.
func (c *converter) convert(f *output) error {
	c.groups, c.profiles, c.ids = map[string]*directory.Group{}, map[string]*directory.InstanceProfile{}, map[string]string{}
	for i := range f.GroupDetailList {
		if err := c.group(i, &f.GroupDetailList[i]); err != nil {
			return err
		}
	}
	for i := range f.UserDetailList {
		if err := c.user(i, &f.UserDetailList[i]); err != nil {
			return err
		}
	}
	for i := range f.RoleDetailList {
		if err := c.role(i, &f.RoleDetailList[i]); err != nil {
			return err
		}
	}
	for i := range f.Policies {
		if err := c.managedPolicy(i, &f.Policies[i]); err != nil {
			return err
		}
	}
	if c.acct.ID == "" {
		return &Error{File: c.file, Msg: "the file has no user, group, role or customer managed policy, so no ARN to take the account's ID from"}
	}
	return nil
}

// head is what every entity of the file has: where it is, what it is
// called, its unique ID, ARN and creation date.
type head struct {
	kind   string // as its ARN has it: user, group, role, policy, instance-profile
	prefix string // of its unique ID
	path   string
	name   string
	id     string
	arn    string
	create json.RawMessage
}

// describe names the entity for messages: its family and name, or its
// place in list when it has no name.
func (h *head) describe(list string, i int) string {
	if h.name == "" {
		return fmt.Sprintf("%s[%d]", list, i)
	}
	kind := h.kind
	if kind == "policy" {
		kind = "managed policy"
	}
	return strings.ReplaceAll(kind, "-", " ") + " " + h.name
}

// check validates an entity's head and takes the account from its ARN.
// It returns the path ("/" when the file gives none) and the creation
// date.
func (c *converter) check(what string, h *head) (string, time.Time, error) {
	path := h.path
	if path == "" {
		path = "/"
	}
	if h.name == "" {
		return "", time.Time{}, c.fail(what, errors.New("it has no name"))
	}
	if !strings.HasPrefix(path, "/") || !strings.HasSuffix(path, "/") {
		return "", time.Time{}, c.fail(what, fmt.Errorf("its Path %q does not start and end with /", path))
	}
	if err := uniqueID(h.id, h.prefix); err != nil {
		return "", time.Time{}, c.fail(what, fmt.Errorf("unique ID: %w", err))
	}
	if other, dup := c.ids[h.id]; dup {
		return "", time.Time{}, c.fail(what, fmt.Errorf("unique ID %s is %s's too", h.id, other))
	}
	c.ids[h.id] = what
	if err := c.checkARN(what, h.arn, h.kind, path, h.name); err != nil {
		return "", time.Time{}, err
	}
	created, err := date(h.create)
	if err != nil {
		return "", time.Time{}, c.fail(what, fmt.Errorf("CreateDate: %w", err))
	}
	return path, created, nil
}

// checkARN checks that an entity's ARN is the one its kind, path and
// name make, and takes the account from it.
func (c *converter) checkARN(what, a, kind, path, name string) error {
	account, err := c.iamARN(what, a)
	if err != nil {
		return err
	}
	if want := "arn:aws:iam::" + account + ":" + kind + path + name; a != want {
		return c.fail(what, fmt.Errorf("its Arn %s is not the ARN its path and name make, %s", a, want))
	}
	return c.setAccount(account, what, a)
}

// iamARN checks that a is an IAM ARN of the aws partition and returns
// its account.
func (c *converter) iamARN(what, a string) (string, error) {
	if a == "" {
		return "", c.fail(what, errors.New("it has no Arn"))
	}
	p, err := arn.Parse(a)
	switch {
	case err != nil:
		return "", c.fail(what, fmt.Errorf("its Arn %q is not an ARN", a))
	case p.Partition != "aws":
		return "", c.fail(what, fmt.Errorf("%s is of partition %s: assumed hosts accounts of the aws partition only", a, p.Partition))
	case p.Service != "iam" || p.Region != "":
		return "", c.fail(what, fmt.Errorf("%s is not an IAM ARN (arn:aws:iam::ACCOUNT:…)", a))
	case p.AccountID != "aws" && !arn.IsAccountID(p.AccountID):
		return "", c.fail(what, fmt.Errorf("%s has no account ID (12 digits)", a))
	}
	return p.AccountID, nil
}

// setAccount takes the file's account from an ARN, and refuses a file
// that mixes accounts.
func (c *converter) setAccount(account, what, a string) error {
	switch {
	case c.acct.ID == "":
		c.acct.ID, c.accountFrom = account, what+" ("+a+")"
	case c.acct.ID != account:
		return &Error{File: c.file, Msg: fmt.Sprintf("mixes accounts: %s is in account %s, but %s is in %s; give one file per account",
			c.accountFrom, c.acct.ID, what+" ("+a+")", account)}
	}
	return nil
}

// principal converts what users, groups and roles share.
func (c *converter) principal(what string, h *head, inline []policyDetail, attached []attachedPolicy, boundary *permissionsBoundary, tags []tag) (directory.Principal, error) {
	path, created, err := c.check(what, h)
	if err != nil {
		return directory.Principal{}, err
	}
	p := directory.Principal{Name: h.name, Path: path, ID: h.id, ARN: h.arn, CreateDate: created}
	if p.Inline, err = c.inline(what, inline); err != nil {
		return p, err
	}
	for _, a := range attached {
		if err := c.policyRef(what+": attached policy", a.PolicyArn); err != nil {
			return p, err
		}
		if slices.Contains(p.Attached, a.PolicyArn) {
			return p, c.fail(what, fmt.Errorf("policy %s is attached twice", a.PolicyArn))
		}
		p.Attached = append(p.Attached, a.PolicyArn)
	}
	if boundary != nil && boundary.PermissionsBoundaryArn != "" {
		if t := boundary.PermissionsBoundaryType; t != "" && t != "PermissionsBoundaryPolicy" {
			return p, c.fail(what, fmt.Errorf("permissions boundary of type %q: IAM has PermissionsBoundaryPolicy only", t))
		}
		if err := c.policyRef(what+": permissions boundary", boundary.PermissionsBoundaryArn); err != nil {
			return p, err
		}
		p.Boundary = boundary.PermissionsBoundaryArn
	}
	p.Tags, err = convertTags(tags)
	if err != nil {
		return p, c.fail(what, err)
	}
	return p, nil
}

// policyRef checks a managed policy ARN a user, group or role names: an
// AWS managed policy, or a customer managed policy of the file's
// account.
func (c *converter) policyRef(what, a string) error {
	account, err := c.iamARN(what, a)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(strings.SplitN(a, ":", 6)[5], "policy/") {
		return c.fail(what, fmt.Errorf("%s is not a managed policy's ARN", a))
	}
	if account == "aws" {
		return nil
	}
	return c.setAccount(account, what, a)
}

// inline converts inline policies, compiling each document.
func (c *converter) inline(what string, list []policyDetail) ([]directory.InlinePolicy, error) {
	var out []directory.InlinePolicy
	for i, ip := range list {
		if ip.PolicyName == "" {
			return nil, c.fail(fmt.Sprintf("%s: inline policy [%d]", what, i), errors.New("it has no PolicyName"))
		}
		where := fmt.Sprintf("%s: inline policy %s", what, ip.PolicyName)
		if slices.ContainsFunc(out, func(o directory.InlinePolicy) bool { return o.Name == ip.PolicyName }) {
			return nil, c.fail(where, errors.New("the name is used twice"))
		}
		doc, compiled, err := c.compile(where, "PolicyDocument", ip.PolicyDocument, policy.Identity)
		if err != nil {
			return nil, err
		}
		out = append(out, directory.InlinePolicy{Name: ip.PolicyName, Document: doc, Compiled: compiled})
	}
	return out, nil
}

// compile reads the document in member and compiles it as a policy of
// kind.
func (c *converter) compile(what, member string, raw json.RawMessage, kind policy.Kind) (string, *policy.Policy, error) {
	doc, err := document(raw)
	if err != nil {
		return "", nil, c.fail(what, fmt.Errorf("%s: %w", member, err))
	}
	compiled, err := policy.ParseWithOptions(doc, kind, compileOptions)
	if err != nil {
		return "", nil, c.fail(what, fmt.Errorf("%s is refused by assumed's policy parser: %w", member, err))
	}
	return doc, compiled, nil
}

// convertTags converts tags, nil when there are none.
func convertTags(tags []tag) ([]directory.Tag, error) {
	var out []directory.Tag
	for _, t := range tags {
		if t.Key == "" {
			return nil, errors.New("a tag has no Key")
		}
		if slices.ContainsFunc(out, func(o directory.Tag) bool { return strings.EqualFold(o.Key, t.Key) }) {
			return nil, fmt.Errorf("tag %s is given twice", t.Key)
		}
		out = append(out, directory.Tag{Key: t.Key, Value: t.Value})
	}
	return out, nil
}

// group converts a GroupDetail.
func (c *converter) group(i int, d *groupDetail) error {
	h := &head{kind: "group", prefix: prefixGroup, path: d.Path, name: d.GroupName, id: d.GroupID, arn: d.Arn, create: d.CreateDate}
	what := h.describe("GroupDetailList", i)
	if _, dup := c.groups[directory.Key(d.GroupName)]; dup {
		return c.fail(what, errors.New("GroupDetailList has it twice"))
	}
	p, err := c.principal(what, h, d.GroupPolicyList, d.AttachedManagedPolicies, nil, nil)
	if err != nil {
		return err
	}
	g := &directory.Group{Principal: p}
	c.groups[directory.Key(g.Name)] = g
	c.acct.Groups = append(c.acct.Groups, g)
	return nil
}

// user converts a UserDetail and adds the user to its groups.
func (c *converter) user(i int, d *userDetail) error {
	h := &head{kind: "user", prefix: prefixUser, path: d.Path, name: d.UserName, id: d.UserID, arn: d.Arn, create: d.CreateDate}
	what := h.describe("UserDetailList", i)
	if slices.ContainsFunc(c.acct.Users, func(u *directory.User) bool { return directory.Key(u.Name) == directory.Key(d.UserName) }) {
		return c.fail(what, errors.New("UserDetailList has it twice"))
	}
	p, err := c.principal(what, h, d.UserPolicyList, d.AttachedManagedPolicies, d.PermissionsBoundary, d.Tags)
	if err != nil {
		return err
	}
	for _, name := range d.GroupList {
		g, ok := c.groups[directory.Key(name)]
		if !ok {
			return c.fail(what, fmt.Errorf("it is a member of group %s, which GroupDetailList lacks (was the file made with --filter?)", name))
		}
		if !slices.Contains(g.Members, p.Name) {
			g.Members = append(g.Members, p.Name)
		}
	}
	c.acct.Users = append(c.acct.Users, &directory.User{Principal: p})
	return nil
}

// role converts a RoleDetail and the instance profiles it is in.
func (c *converter) role(i int, d *roleDetail) error {
	h := &head{kind: "role", prefix: prefixRole, path: d.Path, name: d.RoleName, id: d.RoleID, arn: d.Arn, create: d.CreateDate}
	what := h.describe("RoleDetailList", i)
	if slices.ContainsFunc(c.acct.Roles, func(r *directory.Role) bool { return directory.Key(r.Name) == directory.Key(d.RoleName) }) {
		return c.fail(what, errors.New("RoleDetailList has it twice"))
	}
	p, err := c.principal(what, h, d.RolePolicyList, d.AttachedManagedPolicies, d.PermissionsBoundary, d.Tags)
	if err != nil {
		return err
	}
	doc, trust, err := c.compile(what, "AssumeRolePolicyDocument", d.AssumeRolePolicyDocument, policy.Trust)
	if err != nil {
		return err
	}
	// GetAccountAuthorizationDetails does not give a role's description
	// or maximum session duration: the role gets IAM's default.
	r := &directory.Role{Principal: p, TrustPolicy: doc, Trust: trust, MaxSessionDuration: defaultMaxSessionDuration}
	for j := range d.InstanceProfileList {
		if err := c.instanceProfile(what, j, &d.InstanceProfileList[j], r.Name); err != nil {
			return err
		}
	}
	c.acct.Roles = append(c.acct.Roles, r)
	return nil
}

// defaultMaxSessionDuration is IAM's default MaxSessionDuration, in
// seconds.
const defaultMaxSessionDuration = 3600

// instanceProfile converts an instance profile a role is in.
func (c *converter) instanceProfile(role string, i int, d *instanceProfile, roleName string) error {
	h := &head{kind: "instance-profile", prefix: prefixInstanceProfile, path: d.Path, name: d.InstanceProfileName, id: d.InstanceProfileID, arn: d.Arn, create: d.CreateDate}
	what := role + ": " + h.describe("InstanceProfileList", i)
	if cur, ok := c.profiles[directory.Key(d.InstanceProfileName)]; ok {
		return c.fail(what, fmt.Errorf("it is role %s's too: an instance profile has one role", cur.Roles[0]))
	}
	path, created, err := c.check(what, h)
	if err != nil {
		return err
	}
	tags, err := convertTags(d.Tags)
	if err != nil {
		return c.fail(what, err)
	}
	ip := &directory.InstanceProfile{Name: h.name, Path: path, ID: h.id, ARN: h.arn, CreateDate: created, Roles: []string{roleName}, Tags: tags}
	c.profiles[directory.Key(ip.Name)] = ip
	c.acct.InstanceProfiles = append(c.acct.InstanceProfiles, ip)
	return nil
}

// managedPolicy converts a ManagedPolicyDetail: a customer managed
// policy of the account, or an AWS managed policy used in it.
func (c *converter) managedPolicy(i int, d *managedPolicyDetail) error {
	awsManaged := strings.HasPrefix(d.Arn, awsManagedPrefix)
	h := &head{kind: "policy", prefix: prefixPolicy, path: d.Path, name: d.PolicyName, id: d.PolicyID, arn: d.Arn, create: d.CreateDate}
	what := h.describe("Policies", i)
	if awsManaged {
		what = "AWS " + what
	}
	if slices.ContainsFunc(c.acct.Policies, func(p *directory.ManagedPolicy) bool { return p.ARN == d.Arn }) ||
		slices.ContainsFunc(c.acct.AWSManagedPolicies, func(p *directory.ManagedPolicy) bool { return p.ARN == d.Arn }) {
		return c.fail(what, errors.New("the list Policies has it twice"))
	}
	mp, err := c.policyHead(what, h, awsManaged)
	if err != nil {
		return err
	}
	mp.Description = d.Description
	if mp.UpdateDate, err = date(d.UpdateDate); errors.Is(err, errMissing) {
		mp.UpdateDate = mp.CreateDate
	} else if err != nil {
		return c.fail(what, fmt.Errorf("UpdateDate: %w", err))
	}
	if err := c.versions(what, d, mp, !awsManaged); err != nil {
		return err
	}
	if awsManaged {
		c.acct.AWSManagedPolicies = append(c.acct.AWSManagedPolicies, mp)
	} else {
		c.acct.Policies = append(c.acct.Policies, mp)
	}
	return nil
}

// policyHead checks a managed policy's head. An AWS managed policy's
// ARN is arn:aws:iam::aws:policy/PATH/NAME; it says nothing of the
// file's account.
func (c *converter) policyHead(what string, h *head, awsManaged bool) (*directory.ManagedPolicy, error) {
	if !awsManaged {
		path, created, err := c.check(what, h)
		if err != nil {
			return nil, err
		}
		return &directory.ManagedPolicy{Name: h.name, Path: path, ID: h.id, ARN: h.arn, CreateDate: created}, nil
	}
	path := h.path
	if path == "" {
		path = "/"
	}
	if want := awsManagedPrefix[:len(awsManagedPrefix)-1] + path + h.name; h.name == "" || h.arn != want {
		return nil, c.fail(what, fmt.Errorf("its Arn %s is not the ARN its path and name make, %s", h.arn, want))
	}
	created, err := date(h.create)
	if err != nil {
		return nil, c.fail(what, fmt.Errorf("CreateDate: %w", err))
	}
	return &directory.ManagedPolicy{Name: h.name, Path: path, ID: h.id, ARN: h.arn, CreateDate: created}, nil
}

// versions converts a managed policy's versions, oldest first, and marks
// the default one. Customer managed policies keep every version, each
// compiled; AWS managed policies their default version only, not
// compiled.
func (c *converter) versions(what string, d *managedPolicyDetail, mp *directory.ManagedPolicy, all bool) error {
	def, err := defaultVersion(d)
	if err != nil {
		return c.fail(what, err)
	}
	for _, v := range d.PolicyVersionList {
		where := what + ": version " + v.VersionID
		n := versionNumber(v.VersionID)
		switch {
		case n == 0:
			return c.fail(what, fmt.Errorf("VersionId %q is not v1, v2, …", v.VersionID))
		case slices.ContainsFunc(mp.Versions, func(o directory.PolicyVersion) bool { return o.VersionID == v.VersionID }):
			return c.fail(where, errors.New("PolicyVersionList has it twice"))
		case !all && v.VersionID != def:
			continue
		}
		pv := directory.PolicyVersion{VersionID: v.VersionID}
		if all {
			pv.Document, pv.Compiled, err = c.compile(where, "Document", v.Document, policy.Identity)
		} else if pv.Document, err = document(v.Document); err != nil {
			err = c.fail(where, fmt.Errorf("its Document: %w", err))
		}
		if err != nil {
			return err
		}
		if pv.CreateDate, err = date(v.CreateDate); errors.Is(err, errMissing) {
			pv.CreateDate = mp.CreateDate
		} else if err != nil {
			return c.fail(where, fmt.Errorf("CreateDate: %w", err))
		}
		mp.Versions = append(mp.Versions, pv)
		mp.NextVersion = max(mp.NextVersion, n+1)
	}
	if !slices.ContainsFunc(mp.Versions, func(v directory.PolicyVersion) bool { return v.VersionID == def }) {
		return c.fail(what, fmt.Errorf("its default version %s is not in PolicyVersionList", def))
	}
	slices.SortFunc(mp.Versions, func(a, b directory.PolicyVersion) int { return versionNumber(a.VersionID) - versionNumber(b.VersionID) })
	mp.DefaultVersion = def
	return nil
}

// defaultVersion is a managed policy's default version: DefaultVersionId,
// which the version marked IsDefaultVersion must agree with.
func defaultVersion(d *managedPolicyDetail) (string, error) {
	var marked []string
	for _, v := range d.PolicyVersionList {
		if v.IsDefaultVersion {
			marked = append(marked, v.VersionID)
		}
	}
	switch {
	case len(d.PolicyVersionList) == 0:
		return "", errors.New("its PolicyVersionList is empty: get-account-authorization-details lists every version")
	case len(marked) > 1:
		return "", fmt.Errorf("versions %s are all marked IsDefaultVersion", strings.Join(marked, ", "))
	case d.DefaultVersionID == "" && len(marked) == 0:
		return "", errors.New("it has no DefaultVersionId, and no version is marked IsDefaultVersion")
	case d.DefaultVersionID == "":
		return marked[0], nil
	case len(marked) == 1 && marked[0] != d.DefaultVersionID:
		return "", fmt.Errorf("DefaultVersionId is %s, but version %s is marked IsDefaultVersion", d.DefaultVersionID, marked[0])
	}
	return d.DefaultVersionID, nil
}
