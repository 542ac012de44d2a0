package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/assumed-dev/assumed/arn"
	"github.com/assumed-dev/assumed/internal/analyze/gaad"
	"github.com/assumed-dev/assumed/internal/app"
	"github.com/assumed-dev/assumed/internal/iam"
)

// importOptions are the flags of `assumed import`.
type importOptions struct {
	dataDir      string
	accountNames []string
}

func newImportCommand(s streams) *cobra.Command {
	var opt importOptions
	cmd := &cobra.Command{
		Use:   "import FILE… [--data-dir DIR] [--account-name NAME | --account-name ID=NAME …]",
		Short: "Load real accounts' IAM from `aws iam get-account-authorization-details` output into a data dir",
		Long: `Import loads a copy of real AWS accounts into a data dir, so that
assumed explain --data-dir, assumed serve --data-dir and the IAM policy
simulator (SimulatePrincipalPolicy, SimulateCustomPolicy) decide against
them, with no credentials for the real accounts.

Each FILE is what the AWS CLI prints for one account:

  aws iam get-account-authorization-details --profile prod > prod.json

The file's users, groups (and who is in them), roles with their trust
policies, customer managed policies (every version, the default one
marked), inline policies, attached policies, permissions boundaries,
tags, paths, instance profiles, unique IDs (AIDA…, AROA…), ARNs and
creation dates are kept. The account's ID is taken from the ARNs in the
file. Policy documents may be decoded JSON (as the AWS CLI and boto3 print
them) or URL-encoded (as the raw API answers). Several FILEs import
several accounts at once.

AWS managed policies are those assumed carries (collected by the moto
project). One that assumed does not know is kept as the file has it (its
default version), and a warning says so; one whose version in the file
differs from assumed's is decided with assumed's, and a warning says so.

GetAccountAuthorizationDetails does not tell a role's maximum session
duration or description: imported roles get IAM's default, 3600 seconds.
Nor does it list OIDC or SAML providers, service control policies or
resource policies: add providers with the IAM API, and resources through
the gateway, if decisions need them.

Re-importing an account replaces its IAM contents: its users, groups,
roles, customer managed policies and instance profiles become the file's,
and the access keys and other credentials of users that are not in the
file again (same name, same unique ID) are deleted. Its root access key,
OIDC and SAML providers and account settings stay.

The import is one write: every account or none. A file that is not valid
JSON, is not this command's output, was cut short (IsTruncated, or
--max-items), mixes two accounts or has a policy assumed can't parse is
refused, with the file's name and the entity, and nothing is written.

The data dir is created if it is missing, with its master key. It must
not be in use: stop the server that holds it first. --account-name names
the account, which is its profile's name in DIR/credentials (default: the
name it has in the data dir, else its ID). assumed serve writes profiles
for its world file's accounts only: to call a served copy with the AWS
CLI, give serve a world file that lists the imported accounts by ID and
name. POST /_assumed/reset returns a server to its world file's state,
which drops imported accounts the file does not declare.`,
		Example: `  aws iam get-account-authorization-details --profile prod > prod.json
  aws iam get-account-authorization-details --profile dev > dev.json
  assumed import prod.json dev.json --data-dir copy --account-name 111111111111=prod --account-name 222222222222=dev
  assumed explain --data-dir copy --as arn:aws:iam::222222222222:role/ci --assume arn:aws:iam::111111111111:role/deploy
  printf 'accounts:\n  - {id: "111111111111", name: prod}\n  - {id: "222222222222", name: dev}\n' > copy.yaml
  assumed serve --data-dir copy --config copy.yaml`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError(errors.New("name at least one FILE, the output of `aws iam get-account-authorization-details`"))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, files []string) error {
			return runImport(cmd.Context(), s, &opt, files)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opt.dataDir, "data-dir", ".assumed", "the data dir to import into (created if missing; no server may hold it)")
	f.StringArrayVar(&opt.accountNames, "account-name", nil, "the account's name: NAME with one FILE, else ID=NAME (repeatable)")
	return cmd
}

// runImport reads every file, then imports them all in one write, and
// says what it did.
func runImport(ctx context.Context, s streams, opt *importOptions, files []string) error {
	accounts, err := gaad.ReadFiles(files)
	if err != nil {
		return inputError(err)
	}
	names, err := importNames(opt.accountNames, accounts)
	if err != nil {
		return usageError(err)
	}
	imports := make([]iam.ImportedAccount, len(accounts))
	for i, a := range accounts {
		imports[i] = iam.ImportedAccount{
			ID: a.ID, Name: names[a.ID], Source: a.File,
			Users: a.Users, Groups: a.Groups, Roles: a.Roles, Policies: a.Policies,
			InstanceProfiles: a.InstanceProfiles, AWSManagedPolicies: a.AWSManagedPolicies,
		}
	}
	log := slog.New(slog.NewTextHandler(s.err, &slog.HandlerOptions{Level: slog.LevelWarn}))
	res, err := app.Import(ctx, opt.dataDir, imports, log)
	if err != nil {
		return inputError(fmt.Errorf("import into %s: %w", opt.dataDir, err))
	}
	return printImport(s, opt.dataDir, res)
}

// accountNamePattern is what an account's name (a profile name) may be,
// as in world files.
var accountNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// importNames reads the --account-name flags: NAME (one account only) or
// ID=NAME, each naming an account of the files once.
func importNames(flags []string, accounts []*gaad.Account) (map[string]string, error) {
	names := map[string]string{}
	for _, f := range flags {
		id, name, hasID := strings.Cut(f, "=")
		if !hasID {
			if len(accounts) != 1 || len(flags) != 1 {
				return nil, fmt.Errorf("--account-name %s: with several files (or names), say which account: --account-name ID=NAME", f)
			}
			id, name = accounts[0].ID, f
		}
		switch {
		case !arn.IsAccountID(id):
			return nil, fmt.Errorf("--account-name %s: %q is not an account ID (12 digits)", f, id)
		case !accountNamePattern.MatchString(name):
			return nil, fmt.Errorf("--account-name %s: a name is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", f)
		case names[id] != "":
			return nil, fmt.Errorf("--account-name names account %s twice", id)
		}
		names[id] = name
	}
	for id := range names {
		found := false
		for _, a := range accounts {
			found = found || a.ID == id
		}
		if !found {
			return nil, fmt.Errorf("--account-name names account %s, which none of the files describes", id)
		}
	}
	return names, nil
}

// printImport says, account by account, what the import did, then the
// warnings and what to run next.
func printImport(s streams, dataDir string, res *iam.ImportResult) error {
	var b strings.Builder
	for _, a := range res.Accounts {
		verb := "imported"
		if a.Replaced {
			verb = "replaced"
		}
		fmt.Fprintf(&b, "%s account %s (%s) from %s: %d users, %d groups, %d roles, %d customer managed policies, %d instance profiles\n",
			verb, a.ID, a.Name, a.Source, a.Users, a.Groups, a.Roles, a.Policies, a.InstanceProfiles)
	}
	for _, a := range res.Accounts {
		for _, w := range a.Warnings {
			fmt.Fprintf(s.err, "warning: account %s (%s): %s\n", a.ID, a.Source, w)
		}
	}
	fmt.Fprintf(&b, "\nDecide against the copy with\n  assumed explain --data-dir %s --as PRINCIPAL_ARN (--action ACTION | --assume ROLE_ARN)\n", dataDir)
	fmt.Fprintf(&b, "or serve it with a world file that lists the accounts:\n  accounts:\n")
	for _, a := range res.Accounts {
		fmt.Fprintf(&b, "    - {id: %q, name: %s}\n", a.ID, a.Name)
	}
	_, err := io.WriteString(s.out, b.String())
	return err
}
