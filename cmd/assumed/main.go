// Command assumed is the command line of assumed, a self-hosted,
// AWS-compatible identity service. Today it validates IAM policy documents
// (`assumed policy validate`); serving the APIs comes later.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitOK      = 0 // success
	exitFailure = 1 // the command ran and the answer is "no" (an invalid policy)
	exitUsage   = 2 // the command could not run: bad arguments or flags, unreadable input
)

// version is the release version, set at link time with
// -ldflags "-X main.version=v1.2.3"; when empty the module version from the
// build information is used.
var version = ""

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// streams are the standard streams a command reads and writes, so that
// commands can run in-process in tests.
type streams struct {
	in       io.Reader
	out, err io.Writer
}

// run executes the command line args and returns the process exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCommand(streams{in: stdin, out: stdout, err: stderr})
	// Cobra runs the persistent pre-run hook once the command line has
	// been parsed and its arguments checked: from then on an error is the
	// command's, not the command line's, and gets no pointer to --help
	// (unless marked with usageError).
	parsed := false
	root.PersistentPreRun = func(*cobra.Command, []string) { parsed = true }
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	if err == nil {
		return exitOK
	}
	// Errors cobra returns unmarked before the command ran come from
	// parsing the command line.
	code, reported, usage := exitUsage, false, !parsed
	var ee *exitError
	if errors.As(err, &ee) {
		code, reported, usage = ee.code, ee.reported, ee.usage
	}
	if !reported {
		fmt.Fprintf(stderr, "assumed: %v\n", err)
		if usage && cmd != nil {
			fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
	}
	return code
}

// exitError is an error that carries the exit code it should end the
// process with. reported says the command already told the user about it;
// usage that the command line was wrong, so run points to --help.
type exitError struct {
	code     int
	reported bool
	usage    bool
	err      error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError marks err as a mistake in the command line (exit code 2).
func usageError(err error) error { return &exitError{code: exitUsage, usage: true, err: err} }

// inputError marks err as input the command could not read (exit code 2).
func inputError(err error) error { return &exitError{code: exitUsage, err: err} }

// newRootCommand builds the `assumed` command tree writing to s.
func newRootCommand(s streams) *cobra.Command {
	root := groupCommand(&cobra.Command{
		Use:   "assumed",
		Short: "A self-hosted, AWS-compatible identity service (IAM, STS, EKS Pod Identity, OIDC)",
		Long: `assumed is a self-hosted, AWS-compatible identity service: IAM, STS, the
EKS Pod Identity APIs and an OIDC issuer, with AWS's real policy evaluation.`,
	})
	root.SetIn(s.in)
	root.SetOut(s.out)
	root.SetErr(s.err)
	// run prints the error once, and a one-line pointer to --help for
	// mistakes in the command line only, instead of cobra's usage text.
	root.SilenceErrors = true
	root.SilenceUsage = true
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError(err) })
	root.AddCommand(newVersionCommand(), newPolicyCommand(), newServeCommand(s), newTokenCommand(s), newAgentCommand(s), newClusterCommand(s))
	root.AddCommand(newExplainCommand(s))
	root.AddCommand(newTrailCommand(s))
	root.AddCommand(newGraphCommand(s), newFindingsCommand(s))
	root.AddCommand(newImportCommand(s))
	return root
}

// groupCommand makes cmd a command that only groups subcommands: without
// arguments it prints its help, with an unknown subcommand it fails with a
// usage error (cobra would print help and succeed).
func groupCommand(cmd *cobra.Command) *cobra.Command {
	cmd.Args = cobra.ArbitraryArgs
	cmd.SuggestionsMinimumDistance = 2
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return cmd.Help()
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			msg += fmt.Sprintf(" (did you mean %q?)", s[0])
		}
		return usageError(errors.New(msg))
	}
	return cmd
}

// exactArgs is cobra.ExactArgs(n) with its error marked as a usage error.
func exactArgs(n int) cobra.PositionalArgs {
	check := cobra.ExactArgs(n)
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageError(err)
		}
		return nil
	}
}

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of assumed",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "assumed %s %s %s/%s\n", buildVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return err
		},
	}
}

// buildVersion is the version set at link time, else the main module's
// version from the build information, else "dev".
func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
