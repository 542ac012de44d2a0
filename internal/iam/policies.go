package iam

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/arn"
	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/iam/awsmanaged"
	"github.com/assumed-dev/assumed/policy"
)

// Managed policy limits, as in IAM.
const (
	polMaxVersions  = 5
	polMinARNLen    = 20
	polMaxARNLen    = 2048
	polAWSARNPrefix = awsmanaged.ARNPrefix + "/"
)

// polManagedOptions are the parse options for customer managed policy
// documents: version 2012-10-17 required, 6,144 characters (the Identity
// kind's default limit).
var polManagedOptions = policy.Options{RequireVersion2012: true}

var polVersionPattern = regexp.MustCompile(`^v[1-9][0-9]*(\.[A-Za-z0-9-]*)?$`)

// polARNFor returns the ARN of a customer managed policy.
func polARNFor(account, path, name string) string { return entityARN(account, "policy", path, name) }

// polIsAWSManaged reports whether the ARN names an AWS managed policy.
func polIsAWSManaged(policyARN string) bool { return strings.HasPrefix(policyARN, polAWSARNPrefix) }

// polCheckARN validates a managed policy ARN as IAM does: its length
// (ValidationError), then its form (InvalidInput "ARN X is not valid.").
func polCheckARN(s string) error { return polCheckARNField(s, "policyArn") }

// polCheckARNField is polCheckARN for a request field of another name
// (permissionsBoundary).
func polCheckARNField(s, field string) error {
	if len(s) < polMinARNLen {
		return invalidField(s, field, fmt.Sprintf("Member must have length greater than or equal to %d", polMinARNLen))
	}
	if len(s) > polMaxARNLen {
		return invalidField(s, field, fmt.Sprintf("Member must have length less than or equal to %d", polMaxARNLen))
	}
	a, err := arn.Parse(s)
	if err != nil || a.Partition != "aws" || a.Service != "iam" || a.Region != "" ||
		(a.AccountID != "aws" && !arn.IsAccountID(a.AccountID)) || !strings.HasPrefix(a.Resource, "policy/") {
		return invalidInput("ARN %s is not valid.", s)
	}
	rest := strings.TrimPrefix(a.Resource, "policy")
	i := strings.LastIndexByte(rest, '/')
	path, name := rest[:i+1], rest[i+1:]
	if !namePattern.MatchString(name) || len(name) > maxPolicyNameLen || !pathPattern.MatchString(path) || strings.Contains(path, ":") {
		return invalidInput("ARN %s is not valid.", s)
	}
	return nil
}

// polCheckVersionID validates a policy version ID.
func polCheckVersionID(v string) error {
	if !polVersionPattern.MatchString(v) {
		return invalidField(v, "versionId", `Member must satisfy regular expression pattern: v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`)
	}
	return nil
}

// polNotFound is IAM's answer for a managed policy that does not exist.
func polNotFound(policyARN string) *Error {
	return noSuchEntity("Policy %s was not found.", policyARN)
}

// polVersionNotFound is IAM's answer for a policy version that does not
// exist.
func polVersionNotFound(policyARN, versionID string) *Error {
	return noSuchEntity("Policy %s version %s does not exist or is not attachable.", policyARN, versionID)
}

// polAWSManagedDenied refuses a change to an AWS managed policy: AWS owns
// them, and answers AccessDenied whatever the caller's permissions.
func polAWSManagedDenied(caller *directory.Caller, action, policyARN string) *Error {
	return &Error{Status: http.StatusForbidden, Code: "AccessDenied", Message: fmt.Sprintf(
		"User: %s is not authorized to perform: %s on resource: policy %s because AWS managed policies can't be changed",
		caller.ARN, action, policyARN)}
}

// polUsage counts where managed policies are used in one account.
type polUsage struct {
	Attachments int32 // attached to users, groups and roles
	Boundaries  int32 // set as the permissions boundary of users and roles
}

// polUsages counts the attachments and boundary uses of every managed
// policy in an account, by policy ARN.
func polUsages(acct *directory.AccountIAM) map[string]polUsage {
	out := map[string]polUsage{}
	add := func(p *directory.Principal) {
		for _, a := range p.Attached {
			u := out[a]
			u.Attachments++
			out[a] = u
		}
		if p.Boundary != "" {
			u := out[p.Boundary]
			u.Boundaries++
			out[p.Boundary] = u
		}
	}
	for _, u := range acct.Users {
		add(&u.Principal)
	}
	for _, g := range acct.Groups {
		add(&g.Principal)
	}
	for _, r := range acct.Roles {
		add(&r.Principal)
	}
	return out
}

// sdkPolicy converts a managed policy for a response; full adds the
// description and tags, which ListPolicies leaves out as IAM does.
func sdkPolicy(p *directory.ManagedPolicy, use polUsage, full bool) types.Policy {
	out := types.Policy{
		PolicyName: ptr(p.Name), PolicyId: ptr(p.ID), Arn: ptr(p.ARN), Path: ptr(p.Path),
		DefaultVersionId: ptr(p.DefaultVersion), AttachmentCount: ptr(use.Attachments),
		PermissionsBoundaryUsageCount: ptr(use.Boundaries), IsAttachable: true,
		CreateDate: ptr(p.CreateDate), UpdateDate: ptr(p.UpdateDate),
	}
	if full {
		if p.Description != "" {
			out.Description = ptr(p.Description)
		}
		if len(p.Tags) > 0 {
			out.Tags = sdkTags(p.Tags)
		}
	}
	return out
}

// sdkPolicyVersion converts a policy version; withDocument adds the
// URL-encoded document (GetPolicyVersion, GetAccountAuthorizationDetails).
func sdkPolicyVersion(p *directory.ManagedPolicy, v *directory.PolicyVersion, withDocument bool) types.PolicyVersion {
	out := types.PolicyVersion{VersionId: ptr(v.VersionID), IsDefaultVersion: v.VersionID == p.DefaultVersion, CreateDate: ptr(v.CreateDate)}
	if withDocument {
		out.Document = ptr(encodeDocument(v.Document))
	}
	return out
}

// polVersionNumber returns N of a version ID vN (0 if it has none).
func polVersionNumber(id string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(id, "v"))
	if err != nil {
		return 0
	}
	return n
}

// polVersionKey orders versions newest first, as IAM lists them.
func polVersionKey(v directory.PolicyVersion) string {
	return fmt.Sprintf("%012d", 999999999999-polVersionNumber(v.VersionID))
}

// polNextVersion returns the number of the next version: never one in
// use or used before.
func polNextVersion(p *directory.ManagedPolicy) int {
	n := p.NextVersion
	for _, v := range p.Versions {
		n = max(n, polVersionNumber(v.VersionID)+1)
	}
	return max(n, 1)
}

// polParseDocument validates a customer managed policy document.
func polParseDocument(doc string) (*policy.Policy, error) {
	p, err := policy.ParseWithOptions(doc, policy.Identity, polManagedOptions)
	if err != nil {
		return nil, policyError(err)
	}
	return p, nil
}

// managedPolicies describes managed policies to the entity layer. Reads
// see AWS managed policies too; AWS refuses every change to one.
var managedPolicies = &entity[directory.ManagedPolicy]{
	kind: "policy", record: kindPolicy, byARN: true,
	check:    polCheckARN,
	notFound: func(policyARN string) error { return polNotFound(policyARN) },
	all:      func(a *directory.AccountIAM) map[string]*directory.ManagedPolicy { return a.Policies },
	fields: func(p *directory.ManagedPolicy) entityFields {
		return entityFields{ID: p.ARN, ARN: p.ARN, Tags: &p.Tags}
	},
	clone: func(cur *directory.ManagedPolicy) *directory.ManagedPolicy {
		p := *cur
		p.Versions = append([]directory.PolicyVersion(nil), cur.Versions...)
		p.Tags = append([]directory.Tag(nil), cur.Tags...)
		return &p
	},
	findAny: (*directory.Snapshot).Policy,
	immutable: func(caller *directory.Caller, action, policyARN string) error {
		if polIsAWSManaged(policyARN) {
			return polAWSManagedDenied(caller, action, policyARN)
		}
		return nil
	},
	conflicts: func(snap *directory.Snapshot, account string, p *directory.ManagedPolicy) error {
		if use := polUsages(snap.AccountIAM(account))[p.ARN]; use.Attachments > 0 || use.Boundaries > 0 {
			return deleteConflict("Cannot delete a policy attached to entities.")
		}
		if len(p.Versions) > 1 {
			return deleteConflict("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
		}
		return nil
	},
}

// CreatePolicy creates a customer managed policy with version v1.
func (s *Service) CreatePolicy(ctx context.Context, caller *directory.Caller, in *sdk.CreatePolicyInput) (*sdk.CreatePolicyOutput, error) {
	name := deref(in.PolicyName)
	if err := checkName(name, "policyName", maxPolicyNameLen); err != nil {
		return nil, err
	}
	path, err := checkPath(in.Path, "path")
	if err != nil {
		return nil, err
	}
	if len(deref(in.Description)) > maxDescriptionLen {
		return nil, invalidField(deref(in.Description), "description", "Member must have length less than or equal to 1000")
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	policyARN := polARNFor(caller.AccountID, path, name)
	p, err := managedPolicies.create(ctx, s, caller, policyARN, "iam:CreatePolicy", tagContext(tags), func(t *txn) (*directory.ManagedPolicy, error) {
		doc := deref(in.PolicyDocument)
		compiled, err := polParseDocument(doc)
		if err != nil {
			return nil, err
		}
		for _, p := range t.Snap.AccountIAM(caller.AccountID).Policies {
			if directory.Key(p.Name) == directory.Key(name) {
				return nil, entityAlreadyExists("A policy called %s already exists. Duplicate names are not allowed.", name)
			}
		}
		id, err := creds.NewUniqueID(creds.PrefixManagedPolicy)
		if err != nil {
			return nil, err
		}
		now := caller.RequestTime.UTC().Truncate(1e9)
		return &directory.ManagedPolicy{
			Name: name, Path: path, ID: id, ARN: policyARN, Description: deref(in.Description),
			CreateDate: now, UpdateDate: now, DefaultVersion: "v1", NextVersion: 2, Tags: tags,
			Versions: []directory.PolicyVersion{{VersionID: "v1", Document: doc, CreateDate: now, Compiled: compiled}},
		}, nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.CreatePolicyOutput{Policy: ptr(sdkPolicy(p, polUsage{}, true))}, nil
}

// GetPolicy returns a managed policy with its use in the caller's account.
func (s *Service) GetPolicy(_ context.Context, caller *directory.Caller, in *sdk.GetPolicyInput) (*sdk.GetPolicyOutput, error) {
	snap := s.dir.Snapshot()
	p, err := managedPolicies.authorized(snap, caller, deref(in.PolicyArn), "iam:GetPolicy", nil)
	if err != nil {
		return nil, err
	}
	use := polUsages(snap.AccountIAM(caller.AccountID))[p.ARN]
	return &sdk.GetPolicyOutput{Policy: ptr(sdkPolicy(p, use, true))}, nil
}

// polCheckEnum validates an enum input against its allowed values.
func polCheckEnum(value, field string, allowed ...string) error {
	if value == "" {
		return nil
	}
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	return invalidField(value, field, "Member must satisfy enum value set: ["+strings.Join(allowed, ", ")+"]")
}

// polUsedAs reports whether a policy passes a PolicyUsageFilter; attached
// asks, when no filter is given, for an attachment as a permissions
// policy.
func polUsedAs(use polUsage, filter types.PolicyUsageType, attached bool) bool {
	switch filter {
	case types.PolicyUsageTypePermissionsPolicy:
		return use.Attachments > 0
	case types.PolicyUsageTypePermissionsBoundary:
		return use.Boundaries > 0
	}
	return !attached || use.Attachments > 0
}

// ListPolicies lists managed policies: the account's own (Scope Local),
// AWS managed (AWS) or both (All, the default).
func (s *Service) ListPolicies(_ context.Context, caller *directory.Caller, in *sdk.ListPoliciesInput) (*sdk.ListPoliciesOutput, error) {
	if err := polCheckEnum(string(in.Scope), "scope", "All", "AWS", "Local"); err != nil {
		return nil, err
	}
	if err := polCheckEnum(string(in.PolicyUsageFilter), "policyUsageFilter", "PermissionsPolicy", "PermissionsBoundary"); err != nil {
		return nil, err
	}
	snap := s.dir.Snapshot()
	if err := authorize(snap, caller, "iam:ListPolicies", "arn:aws:iam::"+caller.AccountID+":policy/", nil); err != nil {
		return nil, err
	}
	acct := snap.AccountIAM(caller.AccountID)
	usages := polUsages(acct)
	var list []*directory.ManagedPolicy
	keep := func(p *directory.ManagedPolicy) {
		use := usages[p.ARN]
		if !hasPathPrefix(p.Path, in.PathPrefix) {
			return
		}
		if in.PolicyUsageFilter != "" || in.OnlyAttached {
			if !polUsedAs(use, in.PolicyUsageFilter, in.OnlyAttached) {
				return
			}
		}
		list = append(list, p)
	}
	if in.Scope != types.PolicyScopeTypeAws {
		for _, p := range acct.Policies {
			keep(p)
		}
	}
	if in.Scope != types.PolicyScopeTypeLocal {
		if in.OnlyAttached || in.PolicyUsageFilter != "" {
			// Only used policies can pass: look up just those.
			for a := range usages {
				if p, ok := snap.Policy(a); ok && polIsAWSManaged(a) {
					keep(p)
				}
			}
		} else {
			for _, a := range awsmanaged.List() {
				if p, ok := snap.Policy(a); ok {
					keep(p)
				}
			}
		}
	}
	pg, err := paginate(list, func(p *directory.ManagedPolicy) string { return directory.Key(p.Name) + "|" + p.ARN }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &sdk.ListPoliciesOutput{Policies: []types.Policy{}, IsTruncated: pg.Truncated, Marker: pg.Marker}
	for _, p := range pg.Items {
		out.Policies = append(out.Policies, sdkPolicy(p, usages[p.ARN], false))
	}
	return out, nil
}

// DeletePolicy deletes a customer managed policy that is used nowhere and
// has only its default version left.
func (s *Service) DeletePolicy(ctx context.Context, caller *directory.Caller, in *sdk.DeletePolicyInput) (*sdk.DeletePolicyOutput, error) {
	return output(&sdk.DeletePolicyOutput{}, managedPolicies.delete(ctx, s, caller, deref(in.PolicyArn), "iam:DeletePolicy"))
}

// CreatePolicyVersion adds a version to a customer managed policy,
// optionally making it the default.
func (s *Service) CreatePolicyVersion(ctx context.Context, caller *directory.Caller, in *sdk.CreatePolicyVersionInput) (*sdk.CreatePolicyVersionOutput, error) {
	var created directory.PolicyVersion
	p, err := managedPolicies.modify(ctx, s, caller, deref(in.PolicyArn), "iam:CreatePolicyVersion", nil, func(_ *txn, p *directory.ManagedPolicy) error {
		doc := deref(in.PolicyDocument)
		compiled, err := polParseDocument(doc)
		if err != nil {
			return err
		}
		if len(p.Versions) >= polMaxVersions {
			return limitExceeded("A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", polMaxVersions)
		}
		n := polNextVersion(p)
		now := caller.RequestTime.UTC().Truncate(1e9)
		created = directory.PolicyVersion{VersionID: "v" + strconv.Itoa(n), Document: doc, CreateDate: now, Compiled: compiled}
		p.Versions = append(p.Versions, created)
		p.NextVersion = n + 1
		p.UpdateDate = now
		if in.SetAsDefault {
			p.DefaultVersion = created.VersionID
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.CreatePolicyVersionOutput{PolicyVersion: ptr(sdkPolicyVersion(p, &created, false))}, nil
}

// polFindVersion returns the version with the given ID.
func polFindVersion(p *directory.ManagedPolicy, id string) (*directory.PolicyVersion, int) {
	for i := range p.Versions {
		if p.Versions[i].VersionID == id {
			return &p.Versions[i], i
		}
	}
	return nil, -1
}

// GetPolicyVersion returns one version of a managed policy, its document
// URL-encoded.
func (s *Service) GetPolicyVersion(_ context.Context, caller *directory.Caller, in *sdk.GetPolicyVersionInput) (*sdk.GetPolicyVersionOutput, error) {
	vid := deref(in.VersionId)
	if err := polCheckVersionID(vid); err != nil {
		return nil, err
	}
	p, err := managedPolicies.authorized(s.dir.Snapshot(), caller, deref(in.PolicyArn), "iam:GetPolicyVersion", nil)
	if err != nil {
		return nil, err
	}
	v, _ := polFindVersion(p, vid)
	if v == nil {
		return nil, polVersionNotFound(p.ARN, vid)
	}
	return &sdk.GetPolicyVersionOutput{PolicyVersion: ptr(sdkPolicyVersion(p, v, true))}, nil
}

// ListPolicyVersions lists a managed policy's versions, newest first.
func (s *Service) ListPolicyVersions(_ context.Context, caller *directory.Caller, in *sdk.ListPolicyVersionsInput) (*sdk.ListPolicyVersionsOutput, error) {
	p, err := managedPolicies.authorized(s.dir.Snapshot(), caller, deref(in.PolicyArn), "iam:ListPolicyVersions", nil)
	if err != nil {
		return nil, err
	}
	pg, err := paginate(append([]directory.PolicyVersion(nil), p.Versions...), polVersionKey, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &sdk.ListPolicyVersionsOutput{Versions: []types.PolicyVersion{}, IsTruncated: pg.Truncated, Marker: pg.Marker}
	for i := range pg.Items {
		out.Versions = append(out.Versions, sdkPolicyVersion(p, &pg.Items[i], false))
	}
	return out, nil
}

// DeletePolicyVersion deletes a version other than the default.
func (s *Service) DeletePolicyVersion(ctx context.Context, caller *directory.Caller, in *sdk.DeletePolicyVersionInput) (*sdk.DeletePolicyVersionOutput, error) {
	vid := deref(in.VersionId)
	if err := polCheckVersionID(vid); err != nil {
		return nil, err
	}
	_, err := managedPolicies.modify(ctx, s, caller, deref(in.PolicyArn), "iam:DeletePolicyVersion", nil, func(_ *txn, p *directory.ManagedPolicy) error {
		_, i := polFindVersion(p, vid)
		if i < 0 {
			return polVersionNotFound(p.ARN, vid)
		}
		if vid == p.DefaultVersion {
			return deleteConflict("Cannot delete the default version of a policy.")
		}
		p.Versions = append(p.Versions[:i:i], p.Versions[i+1:]...)
		return nil
	})
	return output(&sdk.DeletePolicyVersionOutput{}, err)
}

// SetDefaultPolicyVersion makes a version the one in effect.
func (s *Service) SetDefaultPolicyVersion(ctx context.Context, caller *directory.Caller, in *sdk.SetDefaultPolicyVersionInput) (*sdk.SetDefaultPolicyVersionOutput, error) {
	vid := deref(in.VersionId)
	if err := polCheckVersionID(vid); err != nil {
		return nil, err
	}
	_, err := managedPolicies.modify(ctx, s, caller, deref(in.PolicyArn), "iam:SetDefaultPolicyVersion", nil, func(_ *txn, p *directory.ManagedPolicy) error {
		if v, _ := polFindVersion(p, vid); v == nil {
			return polVersionNotFound(p.ARN, vid)
		}
		p.DefaultVersion = vid
		return nil
	})
	return output(&sdk.SetDefaultPolicyVersionOutput{}, err)
}

// TagPolicy adds or replaces tags on a customer managed policy.
func (s *Service) TagPolicy(ctx context.Context, caller *directory.Caller, in *sdk.TagPolicyInput) (*sdk.TagPolicyOutput, error) {
	return output(&sdk.TagPolicyOutput{}, managedPolicies.tag(ctx, s, caller, deref(in.PolicyArn), "iam:TagPolicy", in.Tags))
}

// UntagPolicy removes tags from a customer managed policy.
func (s *Service) UntagPolicy(ctx context.Context, caller *directory.Caller, in *sdk.UntagPolicyInput) (*sdk.UntagPolicyOutput, error) {
	return output(&sdk.UntagPolicyOutput{}, managedPolicies.untag(ctx, s, caller, deref(in.PolicyArn), "iam:UntagPolicy", in.TagKeys))
}

// ListPolicyTags lists a managed policy's tags.
func (s *Service) ListPolicyTags(_ context.Context, caller *directory.Caller, in *sdk.ListPolicyTagsInput) (*sdk.ListPolicyTagsOutput, error) {
	p, err := managedPolicies.listTags(s.dir.Snapshot(), caller, deref(in.PolicyArn), "iam:ListPolicyTags", in.Marker, in.MaxItems)
	return output(&sdk.ListPolicyTagsOutput{Tags: p.Items, IsTruncated: p.Truncated, Marker: p.Marker}, err)
}

// polEntity is one user, group or role in a ListEntitiesForPolicy answer.
type polEntity struct {
	key   string // orders groups, roles, users by name; also the marker
	user  *types.PolicyUser
	group *types.PolicyGroup
	role  *types.PolicyRole
}

// ListEntitiesForPolicy lists the users, groups and roles of the caller's
// account that use a managed policy, as a permissions policy, a
// permissions boundary (users and roles) or both.
func (s *Service) ListEntitiesForPolicy(_ context.Context, caller *directory.Caller, in *sdk.ListEntitiesForPolicyInput) (*sdk.ListEntitiesForPolicyOutput, error) {
	if err := polCheckEnum(string(in.EntityFilter), "entityFilter", "User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"); err != nil {
		return nil, err
	}
	if err := polCheckEnum(string(in.PolicyUsageFilter), "policyUsageFilter", "PermissionsPolicy", "PermissionsBoundary"); err != nil {
		return nil, err
	}
	snap := s.dir.Snapshot()
	p, err := managedPolicies.authorized(snap, caller, deref(in.PolicyArn), "iam:ListEntitiesForPolicy", nil)
	if err != nil {
		return nil, err
	}
	acct := snap.AccountIAM(caller.AccountID)
	uses := func(pr *directory.Principal) bool {
		if !hasPathPrefix(pr.Path, in.PathPrefix) {
			return false
		}
		attached := false
		for _, a := range pr.Attached {
			attached = attached || a == p.ARN
		}
		boundary := pr.Boundary == p.ARN
		switch in.PolicyUsageFilter {
		case types.PolicyUsageTypePermissionsPolicy:
			return attached
		case types.PolicyUsageTypePermissionsBoundary:
			return boundary
		}
		return attached || boundary
	}
	want := func(t types.EntityType) bool { return in.EntityFilter == "" || in.EntityFilter == t }
	var list []polEntity
	if want(types.EntityTypeGroup) {
		for _, g := range acct.Groups {
			if uses(&g.Principal) {
				list = append(list, polEntity{key: "group/" + directory.Key(g.Name), group: &types.PolicyGroup{GroupName: ptr(g.Name), GroupId: ptr(g.ID)}})
			}
		}
	}
	if want(types.EntityTypeRole) {
		for _, r := range acct.Roles {
			if uses(&r.Principal) {
				list = append(list, polEntity{key: "role/" + directory.Key(r.Name), role: &types.PolicyRole{RoleName: ptr(r.Name), RoleId: ptr(r.ID)}})
			}
		}
	}
	if want(types.EntityTypeUser) {
		for _, u := range acct.Users {
			if uses(&u.Principal) {
				list = append(list, polEntity{key: "user/" + directory.Key(u.Name), user: &types.PolicyUser{UserName: ptr(u.Name), UserId: ptr(u.ID)}})
			}
		}
	}
	pg, err := paginate(list, func(e polEntity) string { return e.key }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &sdk.ListEntitiesForPolicyOutput{PolicyGroups: []types.PolicyGroup{}, PolicyRoles: []types.PolicyRole{}, PolicyUsers: []types.PolicyUser{}, IsTruncated: pg.Truncated, Marker: pg.Marker}
	for _, e := range pg.Items {
		switch {
		case e.group != nil:
			out.PolicyGroups = append(out.PolicyGroups, *e.group)
		case e.role != nil:
			out.PolicyRoles = append(out.PolicyRoles, *e.role)
		case e.user != nil:
			out.PolicyUsers = append(out.PolicyUsers, *e.user)
		}
	}
	return out, nil
}
