// Package gaad reads what `aws iam get-account-authorization-details`
// prints (GetAccountAuthorizationDetails: UserDetailList,
// GroupDetailList, RoleDetailList and Policies) and turns one account's
// file into the directory's types, with the source's unique IDs, ARNs,
// paths, tags and dates, so that `assumed import` can load a copy of a
// real account.
//
// Policy documents are taken in either form AWS hands them out: the
// decoded JSON objects the AWS CLI and boto3 print, or the URL-encoded
// strings of the raw API. Every document of the account's own (inline,
// trust and customer managed policies, every version) is parsed and
// compiled as the store compiles it, so that a file assumed can't decide
// with is refused here, naming the file and the entity. The package
// reads files only: writing the accounts into a data dir is
// iam.Service.Import's.
package gaad

import (
	"fmt"
	"os"
	"strings"

	"github.com/assumed-dev/assumed/internal/directory"
)

// Account is one account's IAM contents as a GetAccountAuthorizationDetails
// file describes them.
type Account struct {
	// ID is the account's ID, taken from the ARNs of its users, groups,
	// roles, customer managed policies and instance profiles.
	ID string
	// File names the source in errors and warnings.
	File string
	// Users, Groups (with their Members, from the users' GroupList),
	// Roles, customer managed Policies (every version, the default one
	// marked) and InstanceProfiles (from the roles' InstanceProfileList),
	// in the file's order.
	Users            []*directory.User
	Groups           []*directory.Group
	Roles            []*directory.Role
	Policies         []*directory.ManagedPolicy
	InstanceProfiles []*directory.InstanceProfile
	// AWSManagedPolicies are the AWS managed policies the file lists
	// (those used in the account), with their default version only: the
	// one a decision reads. Their documents are decoded but not compiled,
	// as assumed's own copy of a policy is used when it has one.
	AWSManagedPolicies []*directory.ManagedPolicy
}

// Error is a file that can't be imported: its name, where in it (a line,
// or the entity) and why.
type Error struct {
	File string
	// Line is the line of a JSON syntax or type error; 0 when the error
	// is about an entity, named in Msg.
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// ReadFile reads and parses the file at path.
func ReadFile(path string) (*Account, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return Parse(path, b)
}

// ReadFiles reads the files at paths, one account each, and refuses two
// files of one account.
func ReadFiles(paths []string) ([]*Account, error) {
	var out []*Account
	byID := map[string]string{}
	for _, p := range paths {
		a, err := ReadFile(p)
		if err != nil {
			return nil, err
		}
		if other, dup := byID[a.ID]; dup {
			return nil, &Error{File: p, Msg: fmt.Sprintf("describes account %s, as %s does: give one file per account (the AWS CLI gathers every page of an account into one)", a.ID, other)}
		}
		byID[a.ID] = p
		out = append(out, a)
	}
	return out, nil
}

// Parse parses one account's GetAccountAuthorizationDetails output;
// name is the file's name, for errors.
func Parse(name string, data []byte) (*Account, error) {
	f, err := decodeFile(name, data)
	if err != nil {
		return nil, err
	}
	c := &converter{file: name, acct: &Account{File: name}}
	if err := c.convert(f); err != nil {
		return nil, err
	}
	return c.acct, nil
}

// String describes the account's contents in one line.
func (a *Account) String() string {
	parts := []string{
		fmt.Sprintf("%d users", len(a.Users)), fmt.Sprintf("%d groups", len(a.Groups)),
		fmt.Sprintf("%d roles", len(a.Roles)), fmt.Sprintf("%d customer managed policies", len(a.Policies)),
	}
	if n := len(a.InstanceProfiles); n > 0 {
		parts = append(parts, fmt.Sprintf("%d instance profiles", n))
	}
	return fmt.Sprintf("account %s (%s): %s", a.ID, a.File, strings.Join(parts, ", "))
}
