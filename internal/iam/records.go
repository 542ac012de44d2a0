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
	fail := func(err error) error { return fmt.Errorf("decode %s %s/%s: %w", r.Kind, r.Account, r.ID, err) }
	switch r.Kind {
	case kindUser:
		var u directory.User
		if err := json.Unmarshal(r.Data, &u); err != nil {
			return fail(err)
		}
		if err := compileInline(&u.Principal); err != nil {
			return fail(err)
		}
		acct(r.Account).Users[r.ID] = &u
	case kindGroup:
		var g directory.Group
		if err := json.Unmarshal(r.Data, &g); err != nil {
			return fail(err)
		}
		if err := compileInline(&g.Principal); err != nil {
			return fail(err)
		}
		acct(r.Account).Groups[r.ID] = &g
	case kindRole:
		var ro directory.Role
		if err := json.Unmarshal(r.Data, &ro); err != nil {
			return fail(err)
		}
		if err := compileRole(&ro); err != nil {
			return fail(err)
		}
		acct(r.Account).Roles[r.ID] = &ro
	case kindPolicy:
		var p directory.ManagedPolicy
		if err := json.Unmarshal(r.Data, &p); err != nil {
			return fail(err)
		}
		for i := range p.Versions {
			c, err := policy.ParseWithOptions(p.Versions[i].Document, policy.Identity, loadOptions)
			if err != nil {
				return fail(err)
			}
			p.Versions[i].Compiled = c
		}
		acct(r.Account).Policies[p.ARN] = &p
	case kindOIDCProvider:
		var o directory.OIDCProvider
		if err := json.Unmarshal(r.Data, &o); err != nil {
			return fail(err)
		}
		acct(r.Account).OIDCProviders[o.ARN] = &o
	case kindInstanceProfile:
		var ip directory.InstanceProfile
		if err := json.Unmarshal(r.Data, &ip); err != nil {
			return fail(err)
		}
		acct(r.Account).InstanceProfiles[r.ID] = &ip
	case kindAlias:
		a := acct(r.Account)
		a.Aliases = append(a.Aliases, r.ID)
	default:
		return errUnknownKind
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
