package iam

import (
	"context"
	"slices"

	sdk "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/assumed-dev/assumed/internal/directory"
)

// aliasRecord is what the store keeps for an account alias (the alias is
// also the record's ID).
type aliasRecord struct {
	Alias string `json:"alias"`
}

// aliasPatternText is IAM's pattern for an account alias: 3–63 lower-case
// letters, digits and single hyphens, starting and ending with a letter
// or digit.
const aliasPatternText = `^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`

// aliasCheck validates an account alias (Go's regexp has no look-ahead,
// hence the hand-written check).
func aliasCheck(alias string) error {
	switch {
	case len(alias) < 3:
		return invalidField(alias, "accountAlias", "Member must have length greater than or equal to 3")
	case len(alias) > 63:
		return invalidField(alias, "accountAlias", "Member must have length less than or equal to 63")
	}
	ok := alias[0] != '-' && alias[len(alias)-1] != '-'
	for i := 0; ok && i < len(alias); i++ {
		c := alias[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-':
			ok = alias[i-1] != '-'
		default:
			ok = false
		}
	}
	if !ok {
		return invalidField(alias, "accountAlias", "Member must satisfy regular expression pattern: "+aliasPatternText)
	}
	return nil
}

// CreateAccountAlias sets the account's alias, replacing the one it has:
// an account has at most one. Aliases are unique across all hosted
// accounts.
func (s *Service) CreateAccountAlias(ctx context.Context, caller *directory.Caller, in *sdk.CreateAccountAliasInput) (*sdk.CreateAccountAliasOutput, error) {
	alias := deref(in.AccountAlias)
	if err := aliasCheck(alias); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(t *txn) error {
		if err := authorize(t.Snap, caller, "iam:CreateAccountAlias", "*", nil); err != nil {
			return err
		}
		for _, a := range t.Snap.IAM {
			if slices.Contains(a.Aliases, alias) {
				return entityAlreadyExists("The account alias %s already exists.", alias)
			}
		}
		acct := t.IAM(caller.AccountID)
		for _, old := range acct.Aliases {
			t.Del(kindAlias, caller.AccountID, old)
		}
		acct.Aliases = []string{alias}
		return t.Put(kindAlias, caller.AccountID, alias, aliasRecord{Alias: alias})
	})
	if err != nil {
		return nil, err
	}
	return &sdk.CreateAccountAliasOutput{}, nil
}

// DeleteAccountAlias deletes the account's alias, which must be named.
func (s *Service) DeleteAccountAlias(ctx context.Context, caller *directory.Caller, in *sdk.DeleteAccountAliasInput) (*sdk.DeleteAccountAliasOutput, error) {
	alias := deref(in.AccountAlias)
	if err := aliasCheck(alias); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(t *txn) error {
		if err := authorize(t.Snap, caller, "iam:DeleteAccountAlias", "*", nil); err != nil {
			return err
		}
		if !slices.Contains(t.Snap.AccountIAM(caller.AccountID).Aliases, alias) {
			return noSuchEntity("The account alias %s cannot be found.", alias)
		}
		acct := t.IAM(caller.AccountID)
		acct.Aliases = slices.DeleteFunc(acct.Aliases, func(a string) bool { return a == alias })
		t.Del(kindAlias, caller.AccountID, alias)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.DeleteAccountAliasOutput{}, nil
}

// ListAccountAliases lists the account's alias (at most one).
func (s *Service) ListAccountAliases(_ context.Context, caller *directory.Caller, in *sdk.ListAccountAliasesInput) (*sdk.ListAccountAliasesOutput, error) {
	snap := s.dir.Snapshot()
	if err := authorize(snap, caller, "iam:ListAccountAliases", "*", nil); err != nil {
		return nil, err
	}
	aliases := append([]string(nil), snap.AccountIAM(caller.AccountID).Aliases...)
	p, err := paginate(aliases, func(a string) string { return a }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &sdk.ListAccountAliasesOutput{AccountAliases: append([]string{}, p.Items...), IsTruncated: p.Truncated, Marker: p.Marker}, nil
}
