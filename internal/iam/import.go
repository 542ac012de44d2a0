package iam

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/assumed-dev/assumed/arn"
	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/iam/awsmanaged"
	"github.com/assumed-dev/assumed/internal/store"
	"github.com/assumed-dev/assumed/policy"
)

// ImportedAccount is one account's IAM contents as a copy of a real
// account describes them (`assumed import`, from what
// GetAccountAuthorizationDetails answers), in the directory's types and
// with the source's unique IDs, ARNs, paths, tags and dates. Compiled
// policies in it are ignored: the import compiles the documents as the
// store does.
type ImportedAccount struct {
	ID string
	// Name is the account's name (its profile's in DIR/credentials);
	// empty keeps a hosted account's name and names a new one after its
	// ID.
	Name string
	// Source names where the contents come from (a file), in errors.
	Source           string
	Users            []*directory.User
	Groups           []*directory.Group // with their Members
	Roles            []*directory.Role
	Policies         []*directory.ManagedPolicy // customer managed, every version
	InstanceProfiles []*directory.InstanceProfile
	// AWSManagedPolicies are the AWS managed policies as the source has
	// them. The server's own copy of a policy (package awsmanaged) is used
	// when it has one; a policy it lacks is kept from the source (its
	// default version), so that what it grants is still decided.
	AWSManagedPolicies []*directory.ManagedPolicy
}

// ImportResult says what an import did, account by account, in the
// order given.
type ImportResult struct {
	Accounts []ImportedAccountResult
}

// ImportedAccountResult is what an import did to one account.
type ImportedAccountResult struct {
	ID, Name string
	Source   string
	// Replaced says the account was hosted already: its IAM contents were
	// replaced. Otherwise it was created, with a root access key.
	Replaced                                         bool
	Users, Groups, Roles, Policies, InstanceProfiles int
	// KeptAWSManagedPolicies are the ARNs of the AWS managed policies the
	// server has no copy of, kept from the source.
	KeptAWSManagedPolicies []string
	// Warnings say where the copy may decide differently from AWS.
	Warnings []string
}

// kindAWSPolicyCopy is the record of an AWS managed policy an import kept
// from its source because the server has no copy of it: ("awspolicycopy",
// the importing account, the policy's ARN).
const kindAWSPolicyCopy = "awspolicycopy"

// importedKinds are the record kinds an import replaces in an account:
// what GetAccountAuthorizationDetails describes.
var importedKinds = []string{kindUser, kindGroup, kindRole, kindPolicy, kindInstanceProfile, kindAWSPolicyCopy}

// Import writes whole accounts' IAM contents into the state, in one
// write: every account or none. An account that is hosted already has
// its users, groups, roles, customer managed policies, instance profiles
// and kept AWS managed policies replaced by the imported ones; the
// credentials of its users that are not imported again (the same name
// and unique ID) go with them, and what the source does not describe
// (OIDC and SAML providers, aliases, account settings, root access keys)
// stays. A new account is created with a root access key.
//
// Every name, path, ARN and reference is checked as IAM would have it,
// and trust policies are bound to the users and roles they name as IAM
// binds them when they are written; the new state is then built as a
// restart would load it before anything is stored or published.
func (s *Service) Import(ctx context.Context, accounts []ImportedAccount) (*ImportResult, error) {
	seen := map[string]bool{}
	for _, a := range accounts {
		if !arn.IsAccountID(a.ID) {
			return nil, fmt.Errorf("%s: account ID %q is not 12 digits", a.Source, a.ID)
		}
		if seen[a.ID] {
			return nil, fmt.Errorf("%s: account %s is imported twice", a.Source, a.ID)
		}
		seen[a.ID] = true
	}
	var result *ImportResult
	err := s.writer.Replace(ctx, func(cur *directory.Snapshot, stored []store.Record) (*directory.Snapshot, []store.Record, error) {
		records, res, err := s.importRecords(cur, stored, accounts)
		if err != nil {
			return nil, nil, err
		}
		next, err := s.Build(records)
		if err != nil {
			return nil, nil, fmt.Errorf("build the imported state: %w", err)
		}
		for _, a := range accounts {
			if err := impCheckReferences(next, a.ID); err != nil {
				return nil, nil, fmt.Errorf("%s: account %s: %w", a.Source, a.ID, err)
			}
		}
		result = res
		return next, records, nil
	})
	if err != nil {
		return nil, err
	}
	return result, nil
}

// importRecords returns every record of the state after the import: the
// stored records it keeps, and the imported accounts' new ones.
func (s *Service) importRecords(cur *directory.Snapshot, stored []store.Record, accounts []ImportedAccount) ([]store.Record, *ImportResult, error) {
	if err := impCheckNames(cur, accounts); err != nil {
		return nil, nil, err
	}
	// The imported accounts as they will be, beside the others: trust
	// policies bind the principals of both.
	next := cur.ShallowClone()
	for _, a := range accounts {
		ai, err := impAccountIAM(&a)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: account %s: %w", a.Source, a.ID, err)
		}
		next.IAM[a.ID] = ai
	}
	for _, a := range accounts {
		for _, r := range next.IAM[a.ID].Roles {
			r.TrustBindings = trustBindings(next, r.Trust)
		}
	}
	records := impKeptRecords(cur, next, stored, accounts)
	res := &ImportResult{}
	now := s.now().UTC().Truncate(time.Second)
	for _, a := range accounts {
		recs, r, err := s.impAccountRecords(cur, next.IAM[a.ID], &a, now)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: account %s: %w", a.Source, a.ID, err)
		}
		records = append(records, recs...)
		res.Accounts = append(res.Accounts, r)
	}
	return records, res, nil
}

// impName is the name an imported account will have.
func impName(cur *directory.Snapshot, a *ImportedAccount) string {
	switch {
	case a.Name != "":
		return a.Name
	case cur.Accounts[a.ID] != nil:
		return cur.Accounts[a.ID].Name
	}
	return a.ID
}

// impCheckNames refuses account names that two accounts would have (the
// credentials file has one profile per name).
func impCheckNames(cur *directory.Snapshot, accounts []ImportedAccount) error {
	owner := map[string]string{}
	for id, a := range cur.Accounts {
		owner[a.Name] = id
	}
	for _, a := range accounts {
		if old, ok := cur.Accounts[a.ID]; ok {
			delete(owner, old.Name)
		}
	}
	for _, a := range accounts {
		name := impName(cur, &a)
		if other, taken := owner[name]; taken && other != a.ID {
			return fmt.Errorf("%s: account %s can't be named %s: account %s has that name", a.Source, a.ID, name, other)
		}
		owner[name] = a.ID
	}
	return nil
}

// impAccountIAM checks an imported account's entities and returns them
// as the account's IAM state (copies: the caller's are not changed), with
// the roles' trust policies compiled.
func impAccountIAM(a *ImportedAccount) (*directory.AccountIAM, error) {
	ai := directory.NewAccountIAM()
	ids := map[string]string{}
	unique := func(id, prefix, what string) error {
		if !strings.HasPrefix(id, prefix) {
			return fmt.Errorf("%s: unique ID %q does not start with %s", what, id, prefix)
		}
		if other, dup := ids[id]; dup {
			return fmt.Errorf("%s: unique ID %s is %s's too", what, id, other)
		}
		ids[id] = what
		return nil
	}
	for _, u := range a.Users {
		cp := *u
		if err := impPrincipal(users, a.ID, "user", &cp.Principal, unique, creds.PrefixUser); err != nil {
			return nil, err
		}
		if err := impAdd(ai.Users, directory.Key(cp.Name), &cp, "user "+cp.Name); err != nil {
			return nil, err
		}
	}
	for _, g := range a.Groups {
		cp := *g
		if err := impPrincipal(groups, a.ID, "group", &cp.Principal, unique, creds.PrefixGroup); err != nil {
			return nil, err
		}
		cp.Members = slices.Clone(cp.Members)
		if err := impAdd(ai.Groups, directory.Key(cp.Name), &cp, "group "+cp.Name); err != nil {
			return nil, err
		}
	}
	for _, r := range a.Roles {
		cp, err := impRole(a.ID, r, unique)
		if err != nil {
			return nil, err
		}
		if err := impAdd(ai.Roles, directory.Key(cp.Name), cp, "role "+cp.Name); err != nil {
			return nil, err
		}
	}
	for _, p := range a.Policies {
		cp, err := impPolicy(a.ID, p, unique)
		if err != nil {
			return nil, err
		}
		if err := impAdd(ai.Policies, cp.ARN, cp, "managed policy "+cp.Name); err != nil {
			return nil, err
		}
	}
	for _, ip := range a.InstanceProfiles {
		cp, err := impInstanceProfile(a.ID, ip, unique)
		if err != nil {
			return nil, err
		}
		if err := impAdd(ai.InstanceProfiles, directory.Key(cp.Name), cp, "instance profile "+cp.Name); err != nil {
			return nil, err
		}
	}
	return ai, nil
}

// impAdd adds an imported entity to its family's map under key, unless
// the key is taken.
func impAdd[T any](m map[string]*T, key string, e *T, what string) error {
	if _, dup := m[key]; dup {
		return fmt.Errorf("%s: the account has it twice (IAM names are unique whatever their case)", what)
	}
	m[key] = e
	return nil
}

// impCheckEntity checks the name, path and ARN of an entity of family d
// (kind as its ARN has it); it returns the path ("/" for none).
func impCheckEntity[T any](d *entity[T], account, kind, name, path, entityARNValue string) (string, error) {
	what := strings.ReplaceAll(kind, "-", " ") + " " + name
	if err := d.check(name); err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	p, err := checkPath(&path, "path")
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	if want := entityARN(account, kind, p, name); entityARNValue != want {
		return "", fmt.Errorf("%s: ARN %s is not the one its account, path and name make, %s", what, entityARNValue, want)
	}
	return p, nil
}

// impPrincipal checks a user, group or role of family d in place.
func impPrincipal[T any](d *entity[T], account, kind string, p *directory.Principal, unique func(id, prefix, what string) error, prefix string) error {
	path, err := impCheckEntity(d, account, kind, p.Name, p.Path, p.ARN)
	if err != nil {
		return err
	}
	p.Path = path
	what := kind + " " + p.Name
	if err := unique(p.ID, prefix, what); err != nil {
		return err
	}
	clonePrincipal(p)
	for i := range p.Inline {
		p.Inline[i].Compiled = nil
		if err := checkName(p.Inline[i].Name, "policyName", maxPolicyNameLen); err != nil {
			return fmt.Errorf("%s: inline policy: %w", what, err)
		}
	}
	return nil
}

// impRole checks a role and compiles its trust policy.
func impRole(account string, r *directory.Role, unique func(id, prefix, what string) error) (*directory.Role, error) {
	cp := *r
	if err := impPrincipal(roles, account, "role", &cp.Principal, unique, creds.PrefixRole); err != nil {
		return nil, err
	}
	if cp.MaxSessionDuration == 0 {
		cp.MaxSessionDuration = minSessionDuration
	}
	if cp.MaxSessionDuration < minSessionDuration || cp.MaxSessionDuration > maxSessionDuration {
		return nil, fmt.Errorf("role %s: maximum session duration %d is not between %d and %d seconds", cp.Name, cp.MaxSessionDuration, minSessionDuration, maxSessionDuration)
	}
	trust, err := policy.ParseWithOptions(cp.TrustPolicy, policy.Trust, loadOptions)
	if err != nil {
		return nil, fmt.Errorf("role %s: trust policy: %w", cp.Name, err)
	}
	cp.Trust, cp.TrustBindings = trust, nil
	return &cp, nil
}

// impPolicy checks a customer managed policy and its versions.
func impPolicy(account string, p *directory.ManagedPolicy, unique func(id, prefix, what string) error) (*directory.ManagedPolicy, error) {
	cp := *p
	what := "managed policy " + cp.Name
	if err := polCheckARN(cp.ARN); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	path, err := checkPath(&cp.Path, "path")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if want := entityARN(account, "policy", path, cp.Name); cp.ARN != want {
		return nil, fmt.Errorf("%s: ARN %s is not the one its account, path and name make, %s", what, cp.ARN, want)
	}
	cp.Path = path
	if err := unique(cp.ID, creds.PrefixManagedPolicy, what); err != nil {
		return nil, err
	}
	cp.Versions = slices.Clone(cp.Versions)
	last := 0
	for i := range cp.Versions {
		v := &cp.Versions[i]
		v.Compiled = nil
		var n int
		if _, err := fmt.Sscanf(v.VersionID, "v%d", &n); err != nil || n < 1 || fmt.Sprintf("v%d", n) != v.VersionID {
			return nil, fmt.Errorf("%s: version ID %q is not v1, v2, …", what, v.VersionID)
		}
		if n <= last {
			return nil, fmt.Errorf("%s: versions are not in order, oldest first (%s after v%d)", what, v.VersionID, last)
		}
		last = n
	}
	if cp.Default() == nil {
		return nil, fmt.Errorf("%s: default version %q is not one of its versions", what, cp.DefaultVersion)
	}
	cp.NextVersion = max(cp.NextVersion, last+1)
	cp.Tags = slices.Clone(cp.Tags)
	return &cp, nil
}

// impInstanceProfile checks an instance profile.
func impInstanceProfile(account string, ip *directory.InstanceProfile, unique func(id, prefix, what string) error) (*directory.InstanceProfile, error) {
	cp := *ip
	path, err := impCheckEntity(instanceProfiles, account, "instance-profile", cp.Name, cp.Path, cp.ARN)
	if err != nil {
		return nil, err
	}
	cp.Path = path
	if err := unique(cp.ID, creds.PrefixInstanceProfile, "instance profile "+cp.Name); err != nil {
		return nil, err
	}
	if len(cp.Roles) > ipMaxRoles {
		return nil, fmt.Errorf("instance profile %s: it has %d roles, and an instance profile has one at most", cp.Name, len(cp.Roles))
	}
	cp.Roles, cp.Tags = slices.Clone(cp.Roles), slices.Clone(cp.Tags)
	return &cp, nil
}

// impCheckReferences checks, in the state built after the import, that
// what an imported account's entities name exists: attached policies
// and permissions boundaries (AWS managed, or the account's own), group
// members, instance profiles' roles.
func impCheckReferences(snap *directory.Snapshot, account string) error {
	ai := snap.AccountIAM(account)
	check := func(what string, p *directory.Principal) error {
		for _, a := range p.Attached {
			if _, ok := snap.PolicyFor(account, a); !ok {
				return fmt.Errorf("%s: attached policy %s %s", what, a, impMissingPolicy(a))
			}
		}
		if p.Boundary != "" {
			if _, ok := snap.PolicyFor(account, p.Boundary); !ok {
				return fmt.Errorf("%s: permissions boundary %s %s", what, p.Boundary, impMissingPolicy(p.Boundary))
			}
		}
		return nil
	}
	for _, u := range sortedByKey(ai.Users) {
		if err := check("user "+u.Name, &u.Principal); err != nil {
			return err
		}
	}
	for _, g := range sortedByKey(ai.Groups) {
		if err := check("group "+g.Name, &g.Principal); err != nil {
			return err
		}
		for _, m := range g.Members {
			if _, ok := ai.Users[directory.Key(m)]; !ok {
				return fmt.Errorf("group %s: member %s is not one of the account's users", g.Name, m)
			}
		}
	}
	for _, r := range sortedByKey(ai.Roles) {
		if err := check("role "+r.Name, &r.Principal); err != nil {
			return err
		}
	}
	for _, ip := range sortedByKey(ai.InstanceProfiles) {
		for _, rn := range ip.Roles {
			if _, ok := ai.Roles[directory.Key(rn)]; !ok {
				return fmt.Errorf("instance profile %s: role %s is not one of the account's roles", ip.Name, rn)
			}
		}
	}
	return nil
}

// impMissingPolicy says why a policy ARN resolves to nothing.
func impMissingPolicy(policyARN string) string {
	if polIsAWSManaged(policyARN) {
		return "is an AWS managed policy that neither the source lists nor assumed knows"
	}
	return "is not one of the account's customer managed policies"
}

// sortedByKey returns a map's values in key order, for messages that do
// not change from run to run.
func sortedByKey[T any](m map[string]*T) []*T {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]*T, 0, len(keys))
	for _, k := range keys {
		out = append(out, m[k])
	}
	return out
}

// impKeptRecords returns the stored records the import keeps: all but
// the imported accounts' records of importedKinds and their accounts'
// records (written again), and the credentials of their users that are
// not imported again, which go with those users. A virtual MFA device of
// such a user stays, unassigned.
func impKeptRecords(cur, next *directory.Snapshot, stored []store.Record, accounts []ImportedAccount) []store.Record {
	imported := map[string]bool{}
	userIDs := map[string]bool{} // account/unique ID of every imported user
	for _, a := range accounts {
		imported[a.ID] = true
		for _, u := range next.IAM[a.ID].Users {
			userIDs[a.ID+"/"+u.ID] = true
		}
	}
	// sameUser says the user with this unique ID is imported again.
	sameUser := func(account, userID string) bool { return userIDs[account+"/"+userID] }
	var out []store.Record
	for _, r := range stored {
		if r.Kind == kindAccount && imported[r.ID] {
			continue
		}
		if !imported[r.Account] {
			out = append(out, r)
			continue
		}
		uc := cur.AccountIAM(r.Account).Credentials
		keep := true
		switch r.Kind {
		case kindAccessKey:
			if k, ok := cur.AccessKeys[r.ID]; ok && k.UserName != "" {
				old, had := cur.AccountIAM(r.Account).Users[directory.Key(k.UserName)]
				keep = had && sameUser(r.Account, old.ID)
			}
		case kindLoginProfile:
			keep = sameUser(r.Account, r.ID)
		case kindSSHPublicKey:
			keep = uc.SSHPublicKeys[r.ID] == nil || sameUser(r.Account, uc.SSHPublicKeys[r.ID].UserID)
		case kindServiceCredential:
			keep = uc.ServiceSpecificCredentials[r.ID] == nil || sameUser(r.Account, uc.ServiceSpecificCredentials[r.ID].UserID)
		case kindSigningCertificate:
			c := uc.SigningCertificates[r.ID]
			keep = c == nil || c.UserID == "" || sameUser(r.Account, c.UserID)
		case kindMFADevice:
			if d := uc.MFADevices[r.ID]; d != nil && d.UserID != "" && !sameUser(r.Account, d.UserID) {
				unassigned := *d
				unassigned.UserID, unassigned.EnableDate, unassigned.LastStep = "", time.Time{}, 0
				if b, err := json.Marshal(&unassigned); err == nil {
					r.Data = b
				}
			}
		default:
			keep = !slices.Contains(importedKinds, r.Kind)
		}
		if keep {
			out = append(out, r)
		}
	}
	return out
}

// impAccountRecords returns the records of an imported account: the
// account, a root access key when it has none, its entities, and the
// AWS managed policies it uses that the server has no copy of.
func (s *Service) impAccountRecords(cur *directory.Snapshot, ai *directory.AccountIAM, a *ImportedAccount, now time.Time) ([]store.Record, ImportedAccountResult, error) {
	res := ImportedAccountResult{ID: a.ID, Name: impName(cur, a), Source: a.Source,
		Users: len(ai.Users), Groups: len(ai.Groups), Roles: len(ai.Roles), Policies: len(ai.Policies), InstanceProfiles: len(ai.InstanceProfiles)}
	var out []store.Record
	put := func(kind, account, id string, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", kind, id, err)
		}
		out = append(out, store.Record{Kind: kind, Account: account, ID: id, Data: b})
		return nil
	}
	acct := &directory.Account{ID: a.ID, Name: res.Name, CreateDate: now}
	if old, ok := cur.Accounts[a.ID]; ok {
		acct.CreateDate, res.Replaced = old.CreateDate, true
	}
	if err := put(kindAccount, "", a.ID, acct); err != nil {
		return nil, res, err
	}
	if _, ok := cur.RootKey(a.ID); !ok {
		k, err := s.newAccessKey(a.ID, "", now)
		if err != nil {
			return nil, res, err
		}
		if err := put(kindAccessKey, a.ID, k.AccessKeyID, k); err != nil {
			return nil, res, err
		}
	}
	if err := impPutEntities(put, a.ID, ai); err != nil {
		return nil, res, err
	}
	for _, p := range a.AWSManagedPolicies {
		kept, warning := impAWSManaged(p)
		if warning != "" {
			res.Warnings = append(res.Warnings, warning)
		}
		if kept == nil {
			continue
		}
		if err := put(kindAWSPolicyCopy, a.ID, kept.ARN, kept); err != nil {
			return nil, res, err
		}
		res.KeptAWSManagedPolicies = append(res.KeptAWSManagedPolicies, kept.ARN)
	}
	return out, res, nil
}

// impPutEntities puts the records of an account's entities, keyed as the
// entity layer keys them.
func impPutEntities(put func(kind, account, id string, v any) error, account string, ai *directory.AccountIAM) error {
	for _, k := range sortedKeys(ai.Users) {
		if err := put(kindUser, account, k, ai.Users[k]); err != nil {
			return err
		}
	}
	for _, k := range sortedKeys(ai.Groups) {
		if err := put(kindGroup, account, k, ai.Groups[k]); err != nil {
			return err
		}
	}
	for _, k := range sortedKeys(ai.Roles) {
		if err := put(kindRole, account, k, ai.Roles[k]); err != nil {
			return err
		}
	}
	for _, k := range sortedKeys(ai.Policies) {
		if err := put(kindPolicy, account, k, ai.Policies[k]); err != nil {
			return err
		}
	}
	for _, k := range sortedKeys(ai.InstanceProfiles) {
		if err := put(kindInstanceProfile, account, k, ai.InstanceProfiles[k]); err != nil {
			return err
		}
	}
	return nil
}

// sortedKeys returns a map's keys in order.
func sortedKeys[T any](m map[string]*T) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// impAWSManaged decides what becomes of an AWS managed policy the source
// lists: the server's own copy is used when it has one (a warning says
// so when the source's default version is another); otherwise the
// source's default version is kept, and returned.
func impAWSManaged(p *directory.ManagedPolicy) (kept *directory.ManagedPolicy, warning string) {
	if own, ok := awsmanaged.Lookup(p.ARN); ok {
		if p.DefaultVersion != "" && p.DefaultVersion != own.DefaultVersion {
			return nil, fmt.Sprintf("AWS managed policy %s: the source has version %s, assumed's copy is %s; decisions use assumed's", p.Name, p.DefaultVersion, own.DefaultVersion)
		}
		return nil, ""
	}
	cp := *p
	if d := p.Default(); d != nil {
		cp.Versions = []directory.PolicyVersion{{VersionID: d.VersionID, Document: d.Document, CreateDate: d.CreateDate}}
	}
	cp.NextVersion = 0
	return &cp, fmt.Sprintf("AWS managed policy %s is unknown to assumed: its version %s is kept from the source", p.Name, p.DefaultVersion)
}

// awsPolicyCopies are the AWS managed policies imports kept, by ARN.
// When two accounts' sources kept one, the copy updated last is used
// (the first loaded of equal dates).
type awsPolicyCopies map[string]*directory.ManagedPolicy

// add decodes and compiles a kept copy.
func (c awsPolicyCopies) add(r store.Record) error {
	var p directory.ManagedPolicy
	if err := json.Unmarshal(r.Data, &p); err != nil {
		return fmt.Errorf("decode %s %s/%s: %w", r.Kind, r.Account, r.ID, err)
	}
	if err := compileVersions(&p); err != nil {
		return fmt.Errorf("decode %s %s/%s: %w", r.Kind, r.Account, r.ID, err)
	}
	if cur, ok := c[p.ARN]; !ok || p.UpdateDate.After(cur.UpdateDate) {
		c[p.ARN] = &p
	}
	return nil
}

// lookup resolves AWS managed policies: the server's own, then the kept
// copies.
func (c awsPolicyCopies) lookup() func(string) (*directory.ManagedPolicy, bool) {
	if len(c) == 0 {
		return awsmanaged.Lookup
	}
	return func(policyARN string) (*directory.ManagedPolicy, bool) {
		if p, ok := awsmanaged.Lookup(policyARN); ok {
			return p, true
		}
		p, ok := c[policyARN]
		return p, ok
	}
}
