package iam

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// The entity layer holds what IAM's entity families (users, groups, roles,
// instance profiles, managed policies, OIDC providers) share: finding the
// entity a request names and authorizing an action on it, changing a copy
// and storing it, deleting it once nothing uses it, and its tags; for
// users, groups and roles also their inline policies, attached managed
// policies and permissions boundary. Each family describes itself once as
// an entity value (users, groups, roles, instanceProfiles, managedPolicies,
// oidcProviders); an operation is then one call naming its action.

// entity describes one family of IAM entities, stored as T.
type entity[T any] struct {
	// kind names the family as its ARNs and IAM's messages do: "user",
	// "group", "role", "instance-profile", "policy", "oidc-provider".
	kind string
	// record is the kind of the family's store records.
	record string
	// byARN says requests name the entities by ARN (managed policies, OIDC
	// providers); otherwise they name them by a name that is unique
	// case-insensitively.
	byARN bool
	// check validates the name or ARN a request gives, as IAM validates
	// that request field.
	check func(id string) error
	// notFound is IAM's NoSuchEntity for a name or ARN that names nothing.
	notFound func(id string) error
	// alreadyExists is IAM's EntityAlreadyExists for a name in use (by
	// name only).
	alreadyExists func(name string) error
	// all returns an account's entities of the family, by key (see key).
	all func(a *directory.AccountIAM) map[string]*T
	// fields returns where an entity keeps what the layer reads and writes.
	fields func(e *T) entityFields
	// clone returns a copy of an entity that can be changed without
	// changing the published one.
	clone func(e *T) *T
	// findAny, when set, finds an entity for reading beyond the caller's
	// account's own (AWS managed policies); changes see only its own.
	findAny func(snap *directory.Snapshot, id string) (*T, bool)
	// immutable, when set, refuses a change to an entity that the caller's
	// account does not own (AWS managed policies), once the action is
	// authorized.
	immutable func(caller *directory.Caller, action, id string) error
	// protected, when set, refuses action on an entity of the account's
	// own that IAM does not let its account change (service-linked roles:
	// UnmodifiableEntity), once the action is authorized; nil lets it.
	protected func(action string, e *T) error
	// conflicts, when set, says why an entity can't be deleted yet, as
	// IAM's DeleteConflict.
	conflicts func(snap *directory.Snapshot, account string, e *T) error
	// tagLimit is IAM's message for tags past the 50 an entity may have,
	// where the family's is not "Cannot exceed quota for
	// TagsPerResource: 50".
	tagLimit string
	// inlineLimit is the aggregate size limit of a user's, group's or
	// role's inline policies.
	inlineLimit int
	// attachQuota names the quota of managed policies attached to one
	// user, group or role, as LimitExceeded says it: "PoliciesPerUser".
	attachQuota string
}

// entityFields points at the parts of an entity the layer reads and
// writes.
type entityFields struct {
	ID   string // what requests name it by: its name, or its ARN
	ARN  string
	Tags *[]directory.Tag
	// Principal holds a user's, group's or role's policies, tags and
	// permissions boundary; nil for the other families.
	Principal *directory.Principal
}

// principalFields are the fields of a user, group or role.
func principalFields(p *directory.Principal) entityFields {
	return entityFields{ID: p.Name, ARN: p.ARN, Tags: &p.Tags, Principal: p}
}

// clonePrincipal gives a copied user, group or role lists of its own.
func clonePrincipal(p *directory.Principal) {
	p.Inline = append([]directory.InlinePolicy(nil), p.Inline...)
	p.Attached = append([]string(nil), p.Attached...)
	p.Tags = append([]directory.Tag(nil), p.Tags...)
}

// checkNameField validates a name request field of at most maxLen
// characters.
func checkNameField(field string, maxLen int) func(string) error {
	return func(name string) error { return checkName(name, field, maxLen) }
}

// boundaryActions are the actions on a user or role whose request carries
// the entity's permissions boundary as iam:PermissionsBoundary, unless the
// request names one itself (Service Authorization Reference). A policy
// can so allow changing only the users and roles that keep a boundary.
var boundaryActions = map[string]bool{
	"iam:AttachUserPolicy": true, "iam:DetachUserPolicy": true,
	"iam:PutUserPolicy": true, "iam:DeleteUserPolicy": true,
	"iam:PutUserPermissionsBoundary": true, "iam:DeleteUserPermissionsBoundary": true,
	"iam:AttachRolePolicy": true, "iam:DetachRolePolicy": true,
	"iam:PutRolePolicy": true, "iam:DeleteRolePolicy": true,
	"iam:PutRolePermissionsBoundary": true, "iam:DeleteRolePermissionsBoundary": true,
	"iam:GetRole": true, "iam:DeleteRole": true, "iam:UpdateRole": true,
	"iam:UpdateRoleDescription": true, "iam:UpdateAssumeRolePolicy": true,
}

// key returns the key of a name or ARN in the account's map and in the
// store: the lower-cased name, or the ARN.
func (d *entity[T]) key(id string) string {
	if d.byARN {
		return id
	}
	return directory.Key(id)
}

// arnFor returns the ARN of the entity a name or ARN names, as it would be
// with path "/".
func (d *entity[T]) arnFor(account, id string) string {
	if d.byARN {
		return id
	}
	return entityARN(account, d.kind, "/", id)
}

// find returns the account's entity of that name or ARN, without
// authorizing anything.
func (d *entity[T]) find(acct *directory.AccountIAM, id string) (*T, error) {
	if e, ok := d.all(acct)[d.key(id)]; ok {
		return e, nil
	}
	return nil, d.notFound(id)
}

// requestContext returns the condition keys of action on e: reqCtx's (nil:
// none), e's tags as aws:ResourceTag/…, and for boundaryActions the
// user's or role's permissions boundary. reqCtx is not changed.
func (d *entity[T]) requestContext(e *T, action string, reqCtx *policy.Context) *policy.Context {
	f := d.fields(e)
	boundary := ""
	if _, named := reqCtx.Lookup("iam:PermissionsBoundary"); f.Principal != nil && boundaryActions[action] && !named {
		boundary = f.Principal.Boundary
	}
	if len(*f.Tags) == 0 && boundary == "" {
		return reqCtx
	}
	ctx := reqCtx.Clone()
	for _, t := range *f.Tags {
		ctx.Set("aws:ResourceTag/"+t.Key, t.Value)
	}
	if boundary != "" {
		ctx.Set("iam:PermissionsBoundary", boundary)
	}
	return ctx
}

// authorized validates a request's name or ARN, finds the entity it names
// and authorizes action on it, with reqCtx's condition keys and the
// entity's (see requestContext). A missing entity is reported only to a
// caller allowed the action on the ARN it would have, as IAM does.
func (d *entity[T]) authorized(snap *directory.Snapshot, caller *directory.Caller, id, action string, reqCtx *policy.Context) (*T, error) {
	return d.resolve(snap, caller, id, action, reqCtx, false)
}

// resolve is authorized for a read, or for a change (change: only the
// account's own entities).
func (d *entity[T]) resolve(snap *directory.Snapshot, caller *directory.Caller, id, action string, reqCtx *policy.Context, change bool) (*T, error) {
	if err := d.check(id); err != nil {
		return nil, err
	}
	var e *T
	var ok bool
	if d.findAny != nil && !change {
		e, ok = d.findAny(snap, id)
	} else {
		e, ok = d.all(snap.AccountIAM(caller.AccountID))[d.key(id)]
	}
	if !ok {
		if err := authorize(snap, caller, action, d.arnFor(caller.AccountID, id), reqCtx); err != nil {
			return nil, err
		}
		if change && d.immutable != nil {
			if err := d.immutable(caller, action, id); err != nil {
				return nil, err
			}
		}
		return nil, d.notFound(id)
	}
	if err := authorize(snap, caller, action, d.fields(e).ARN, d.requestContext(e, action, reqCtx)); err != nil {
		return nil, err
	}
	if change && d.protected != nil {
		if err := d.protected(action, e); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// store puts e into the account's entities and the write's records.
func (d *entity[T]) store(t *txn, account string, e *T) error {
	key := d.key(d.fields(e).ID)
	d.all(t.IAM(account))[key] = e
	return t.Put(d.record, account, key, e)
}

// checkCreate validates the name and path a Create request gives, and
// returns the path ("/" when none is given).
func (d *entity[T]) checkCreate(name string, path *string) (string, error) {
	if err := d.check(name); err != nil {
		return "", err
	}
	return checkPath(path, "path")
}

// checkNew is IAM's EntityAlreadyExists when the account has an entity of
// that name already (families named by name).
func (d *entity[T]) checkNew(snap *directory.Snapshot, account, name string) error {
	if _, exists := d.all(snap.AccountIAM(account))[d.key(name)]; exists {
		return d.alreadyExists(name)
	}
	return nil
}

// create authorizes action on the ARN a new entity will have, with the
// request's condition keys reqCtx, and stores the entity build makes.
// build checks what the request gives against the account's state
// (checkNew among it) before it makes the entity.
func (d *entity[T]) create(ctx context.Context, s *Service, caller *directory.Caller, arn, action string, reqCtx *policy.Context, build func(t *txn) (*T, error)) (*T, error) {
	var out *T
	err := s.update(ctx, func(t *txn) error {
		if err := authorize(t.Snap, caller, action, arn, reqCtx); err != nil {
			return err
		}
		e, err := build(t)
		if err != nil {
			return err
		}
		out = e
		return d.store(t, caller.AccountID, e)
	})
	return out, err
}

// modify runs fn on a copy of the entity a request names, after
// authorizing action on it, and stores the result.
func (d *entity[T]) modify(ctx context.Context, s *Service, caller *directory.Caller, id, action string, reqCtx *policy.Context, fn func(t *txn, e *T) error) (*T, error) {
	var out *T
	err := s.update(ctx, func(t *txn) error {
		cur, err := d.resolve(t.Snap, caller, id, action, reqCtx, true)
		if err != nil {
			return err
		}
		e := d.clone(cur)
		if err := fn(t, e); err != nil {
			return err
		}
		out = e
		return d.store(t, caller.AccountID, e)
	})
	return out, err
}

// delete deletes the entity a request names after authorizing action on
// it, unless the family's conflicts find it still in use.
func (d *entity[T]) delete(ctx context.Context, s *Service, caller *directory.Caller, id, action string) error {
	return s.update(ctx, func(t *txn) error {
		e, err := d.resolve(t.Snap, caller, id, action, nil, true)
		if err != nil {
			return err
		}
		if d.conflicts != nil {
			if err := d.conflicts(t.Snap, caller.AccountID, e); err != nil {
				return err
			}
		}
		key := d.key(d.fields(e).ID)
		delete(d.all(t.IAM(caller.AccountID)), key)
		t.Del(d.record, caller.AccountID, key)
		return nil
	})
}

// update renames a user or group, or moves it to another path (UpdateUser,
// UpdateGroup), keeping its ID and policies. The caller must be allowed
// action on the new ARN too. moved, when set, carries over what names the
// entity by its old name, in the account.
func (d *entity[T]) update(ctx context.Context, s *Service, caller *directory.Caller, id, action string, newName, newPath *string, moved func(t *txn, account string, old, cur *T) error) error {
	return s.update(ctx, func(t *txn) error {
		old, err := d.resolve(t.Snap, caller, id, action, nil, true)
		if err != nil {
			return err
		}
		e := d.clone(old)
		p, was := d.fields(e).Principal, d.fields(old).Principal
		if newName != nil {
			p.Name = *newName
		}
		if newPath != nil && *newPath != "" {
			p.Path = *newPath
		}
		p.ARN = entityARN(caller.AccountID, d.kind, p.Path, p.Name)
		if p.ARN != was.ARN {
			if err := authorize(t.Snap, caller, action, p.ARN, d.requestContext(old, action, nil)); err != nil {
				return err
			}
		}
		if oldKey, newKey := d.key(was.Name), d.key(p.Name); oldKey != newKey {
			if err := d.checkNew(t.Snap, caller.AccountID, p.Name); err != nil {
				return err
			}
			delete(d.all(t.IAM(caller.AccountID)), oldKey)
			t.Del(d.record, caller.AccountID, oldKey)
		}
		if err := d.store(t, caller.AccountID, e); err != nil {
			return err
		}
		if moved == nil || p.Name == was.Name {
			return nil
		}
		return moved(t, caller.AccountID, old, e)
	})
}

// tag adds or replaces tags (TagUser, TagRole, …), 50 at most in all.
func (d *entity[T]) tag(ctx context.Context, s *Service, caller *directory.Caller, id, action string, in []types.Tag) error {
	tags, err := checkTags(in)
	if err != nil {
		return err
	}
	_, err = d.modify(ctx, s, caller, id, action, tagContext(tags), func(_ *txn, e *T) error {
		f := d.fields(e)
		merged, err := mergeTags(*f.Tags, tags)
		if err != nil && d.tagLimit != "" {
			return limitExceeded("%s", d.tagLimit)
		}
		if err != nil {
			return err
		}
		*f.Tags = merged
		return nil
	})
	return err
}

// untag removes the tags with the given keys (UntagUser, UntagRole, …).
func (d *entity[T]) untag(ctx context.Context, s *Service, caller *directory.Caller, id, action string, keys []string) error {
	reqCtx := policy.NewContext()
	reqCtx.SetMulti("aws:TagKeys", keys...)
	_, err := d.modify(ctx, s, caller, id, action, reqCtx, func(_ *txn, e *T) error {
		f := d.fields(e)
		*f.Tags = removeTags(*f.Tags, keys)
		return nil
	})
	return err
}

// listTags returns one page of an entity's tags, by key (ListUserTags,
// ListRoleTags, …).
func (d *entity[T]) listTags(snap *directory.Snapshot, caller *directory.Caller, id, action string, marker *string, maxItems *int32) (page[types.Tag], error) {
	e, err := d.authorized(snap, caller, id, action, nil)
	if err != nil {
		return page[types.Tag]{}, err
	}
	return paginate(sdkTags(*d.fields(e).Tags), func(t types.Tag) string { return deref(t.Key) }, marker, maxItems)
}

// The operations below are those of users, groups and roles only.

// putPolicy adds or replaces an inline policy (PutUserPolicy, …), within
// the family's aggregate size limit.
func (d *entity[T]) putPolicy(ctx context.Context, s *Service, caller *directory.Caller, id, action, policyName, doc string) error {
	if err := checkName(policyName, "policyName", maxPolicyNameLen); err != nil {
		return err
	}
	_, err := d.modify(ctx, s, caller, id, action, nil, func(_ *txn, e *T) error {
		p := d.fields(e).Principal
		compiled, err := policy.ParseWithOptions(doc, policy.Identity, policy.Options{MaxSize: -1})
		if err != nil {
			return policyError(err)
		}
		ip := directory.InlinePolicy{Name: policyName, Document: doc, Compiled: compiled}
		if _, i := p.InlineByName(policyName); i >= 0 {
			p.Inline[i] = ip
		} else {
			p.Inline = append(p.Inline, ip)
		}
		total := 0
		for _, x := range p.Inline {
			total += x.Compiled.Size
		}
		if total > d.inlineLimit {
			return limitExceeded("Maximum policy size of %d bytes exceeded for %s %s", d.inlineLimit, d.kind, p.Name)
		}
		return nil
	})
	return err
}

// policyNotFound is IAM's answer for an inline policy that does not exist.
func (d *entity[T]) policyNotFound(policyName string) error {
	return noSuchEntity("The %s policy with name %s cannot be found.", d.kind, policyName)
}

// getPolicy returns an inline policy and the user, group or role that has
// it (GetUserPolicy, …).
func (d *entity[T]) getPolicy(snap *directory.Snapshot, caller *directory.Caller, id, action, policyName string) (*directory.Principal, *directory.InlinePolicy, error) {
	e, err := d.authorized(snap, caller, id, action, nil)
	if err != nil {
		return nil, nil, err
	}
	p := d.fields(e).Principal
	ip, _ := p.InlineByName(policyName)
	if ip == nil {
		return nil, nil, d.policyNotFound(policyName)
	}
	return p, ip, nil
}

// listPolicies returns one page of the names of the inline policies
// (ListUserPolicies, …).
func (d *entity[T]) listPolicies(snap *directory.Snapshot, caller *directory.Caller, id, action string, marker *string, maxItems *int32) (page[string], error) {
	e, err := d.authorized(snap, caller, id, action, nil)
	if err != nil {
		return page[string]{}, err
	}
	var names []string
	for _, ip := range d.fields(e).Principal.Inline {
		names = append(names, ip.Name)
	}
	return paginate(names, func(n string) string { return n }, marker, maxItems)
}

// deletePolicy deletes an inline policy (DeleteUserPolicy, …).
func (d *entity[T]) deletePolicy(ctx context.Context, s *Service, caller *directory.Caller, id, action, policyName string) error {
	_, err := d.modify(ctx, s, caller, id, action, nil, func(_ *txn, e *T) error {
		p := d.fields(e).Principal
		_, i := p.InlineByName(policyName)
		if i < 0 {
			return d.policyNotFound(policyName)
		}
		p.Inline = append(p.Inline[:i:i], p.Inline[i+1:]...)
		return nil
	})
	return err
}

// policyARNContext is the request context of an attach or detach.
func policyARNContext(policyARN string) *policy.Context {
	reqCtx := policy.NewContext()
	reqCtx.Set("iam:PolicyARN", policyARN)
	return reqCtx
}

// attachPolicy attaches a managed policy (AttachUserPolicy, …); attaching
// it again changes nothing. Only AWS managed policies and the account's
// own can be attached: another account's policy gets the answer of one
// that does not exist.
func (d *entity[T]) attachPolicy(ctx context.Context, s *Service, caller *directory.Caller, id, action, policyARN string) error {
	_, err := d.modify(ctx, s, caller, id, action, policyARNContext(policyARN), func(t *txn, e *T) error {
		p := d.fields(e).Principal
		if _, ok := t.Snap.PolicyFor(caller.AccountID, policyARN); !ok {
			return noSuchEntity("Policy %s does not exist or is not attachable.", policyARN)
		}
		for _, a := range p.Attached {
			if a == policyARN {
				return nil
			}
		}
		if len(p.Attached) >= maxManagedPerEntity {
			return limitExceeded("Cannot exceed quota for %s: %d", d.attachQuota, maxManagedPerEntity)
		}
		p.Attached = append(p.Attached, policyARN)
		return nil
	})
	return err
}

// detachPolicy detaches a managed policy (DetachUserPolicy, …).
func (d *entity[T]) detachPolicy(ctx context.Context, s *Service, caller *directory.Caller, id, action, policyARN string) error {
	_, err := d.modify(ctx, s, caller, id, action, policyARNContext(policyARN), func(_ *txn, e *T) error {
		p := d.fields(e).Principal
		for i, a := range p.Attached {
			if a == policyARN {
				p.Attached = append(p.Attached[:i:i], p.Attached[i+1:]...)
				return nil
			}
		}
		return polNotFound(policyARN)
	})
	return err
}

// listAttachedPolicies returns one page of the attached managed policies
// whose path starts with prefix, by ARN (ListAttachedUserPolicies, …).
func (d *entity[T]) listAttachedPolicies(snap *directory.Snapshot, caller *directory.Caller, id, action string, prefix, marker *string, maxItems *int32) (page[types.AttachedPolicy], error) {
	e, err := d.authorized(snap, caller, id, action, nil)
	if err != nil {
		return page[types.AttachedPolicy]{}, err
	}
	var list []types.AttachedPolicy
	for _, a := range d.fields(e).Principal.Attached {
		mp, ok := snap.Policy(a)
		if !ok || !hasPathPrefix(mp.Path, prefix) {
			continue
		}
		list = append(list, types.AttachedPolicy{PolicyArn: ptr(a), PolicyName: ptr(mp.Name)})
	}
	return paginate(list, func(p types.AttachedPolicy) string { return deref(p.PolicyArn) }, marker, maxItems)
}

// putPermissionsBoundary sets a user's or role's permissions boundary
// (PutUserPermissionsBoundary, PutRolePermissionsBoundary).
func (d *entity[T]) putPermissionsBoundary(ctx context.Context, s *Service, caller *directory.Caller, id, action, boundary string) error {
	reqCtx := policy.NewContext()
	reqCtx.Set("iam:PermissionsBoundary", boundary)
	_, err := d.modify(ctx, s, caller, id, action, reqCtx, func(t *txn, e *T) error {
		if err := checkBoundary(t.Snap, caller.AccountID, boundary); err != nil {
			return err
		}
		d.fields(e).Principal.Boundary = boundary
		return nil
	})
	return err
}

// deletePermissionsBoundary removes a user's or role's permissions
// boundary (DeleteUserPermissionsBoundary, DeleteRolePermissionsBoundary).
func (d *entity[T]) deletePermissionsBoundary(ctx context.Context, s *Service, caller *directory.Caller, id, action string) error {
	_, err := d.modify(ctx, s, caller, id, action, nil, func(_ *txn, e *T) error {
		p := d.fields(e).Principal
		if p.Boundary == "" {
			return noSuchEntity("The %s with name %s does not have a permissions boundary.", d.kind, p.Name)
		}
		p.Boundary = ""
		return nil
	})
	return err
}

// IAM's DeleteConflict messages.
const (
	conflictInline          = "Cannot delete entity, must delete policies first."
	conflictAttached        = "Cannot delete entity, must detach all policies first."
	conflictGroupMembers    = "Cannot delete entity, must remove users from group first."
	conflictInstanceProfile = "Cannot delete entity, must remove roles from instance profile first."
)

// policiesConflict is the DeleteConflict of a user, group or role that
// still has inline or attached policies.
func policiesConflict(p *directory.Principal) error {
	switch {
	case len(p.Inline) > 0:
		return deleteConflict(conflictInline)
	case len(p.Attached) > 0:
		return deleteConflict(conflictAttached)
	}
	return nil
}

// output returns out, or nil and err when the operation failed.
func output[O any](out *O, err error) (*O, error) {
	if err != nil {
		return nil, err
	}
	return out, nil
}
