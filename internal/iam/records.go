package iam

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/store"
	"github.com/assumed-dev/assumed/policy"
)

var errUnknownKind = errors.New("not an IAM entity kind")

// stored documents were validated when written: limits are not checked
// again on load.
var loadOptions = policy.Options{MaxSize: -1}

// decodeIAMRecord decodes one IAM entity record into its account's state,
// compiling its policies.
func decodeIAMRecord(r store.Record, acct func(string) *directory.AccountIAM) error {
	var err error
	switch r.Kind {
	case kindUser:
		err = decodeEntity(users, r, acct, func(u *directory.User) error { return compileInline(&u.Principal) })
	case kindGroup:
		err = decodeEntity(groups, r, acct, func(g *directory.Group) error { return compileInline(&g.Principal) })
	case kindRole:
		err = decodeEntity(roles, r, acct, compileRole)
	case kindPolicy:
		err = decodeEntity(managedPolicies, r, acct, compileVersions)
	case kindOIDCProvider:
		err = decodeEntity(oidcProviders, r, acct, nil)
	case kindInstanceProfile:
		err = decodeEntity(instanceProfiles, r, acct, nil)
	case kindSAMLProvider:
		err = decodeEntity(samlProviders, r, acct, nil)
	case kindServerCertificate:
		err = decodeEntity(serverCertificates, r, acct, nil)
	case kindDeletionTask, kindPasswordPolicy, kindSTSPreferences:
		err = decodeAccountSetting(r, acct(r.Account))
	case kindLoginProfile, kindSSHPublicKey, kindServiceCredential, kindSigningCertificate, kindMFADevice:
		err = decodeCredential(r, acct(r.Account))
	case kindAlias:
		a := acct(r.Account)
		a.Aliases = append(a.Aliases, r.ID)
	default:
		return errUnknownKind
	}
	if err != nil {
		return fmt.Errorf("decode %s %s/%s: %w", r.Kind, r.Account, r.ID, err)
	}
	return nil
}

// decodeEntity decodes a record of d's family into its account's
// entities; compile, when set, compiles the entity's policies.
func decodeEntity[T any](d *entity[T], r store.Record, acct func(string) *directory.AccountIAM, compile func(*T) error) error {
	var e T
	if err := json.Unmarshal(r.Data, &e); err != nil {
		return err
	}
	if compile != nil {
		if err := compile(&e); err != nil {
			return err
		}
	}
	d.all(acct(r.Account))[d.key(d.fields(&e).ID)] = &e
	return nil
}

// compileVersions compiles a managed policy's versions.
func compileVersions(p *directory.ManagedPolicy) error {
	for i := range p.Versions {
		c, err := policy.ParseWithOptions(p.Versions[i].Document, policy.Identity, loadOptions)
		if err != nil {
			return err
		}
		p.Versions[i].Compiled = c
	}
	return nil
}

// compileInline compiles a principal's inline policies.
func compileInline(p *directory.Principal) error {
	for i := range p.Inline {
		c, err := policy.ParseWithOptions(p.Inline[i].Document, policy.Identity, loadOptions)
		if err != nil {
			return fmt.Errorf("inline policy %s: %w", p.Inline[i].Name, err)
		}
		p.Inline[i].Compiled = c
	}
	return nil
}

// compileRole compiles a role's trust and inline policies.
func compileRole(r *directory.Role) error {
	t, err := policy.ParseWithOptions(r.TrustPolicy, policy.Trust, loadOptions)
	if err != nil {
		return fmt.Errorf("trust policy: %w", err)
	}
	r.Trust = t
	return compileInline(&r.Principal)
}
