package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/assumed-dev/assumed/policy"
	"github.com/spf13/cobra"
)

func newPolicyCommand() *cobra.Command {
	cmd := groupCommand(&cobra.Command{
		Use:   "policy",
		Short: "Work with IAM policy documents",
	})
	cmd.AddCommand(newPolicyValidateCommand())
	return cmd
}

func newPolicyValidateCommand() *cobra.Command {
	kind := policy.Identity
	cmd := &cobra.Command{
		Use:   "validate FILE",
		Short: "Validate a policy document as AWS IAM would",
		Long: `Validate parses and validates the policy document in FILE ("-" reads
standard input) as AWS IAM does for a policy of the given kind.

A valid policy prints "valid" and a summary, and exits 0. An invalid one
prints AWS's error code and message, then where and what exactly is wrong,
to standard error, and exits 1. An unreadable file exits 2.`,
		Example: `  assumed policy validate my-policy.json
  assumed policy validate --kind trust trust.json
  cat bucket-policy.json | assumed policy validate --kind resource -`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return validatePolicy(cmd, args[0], kind)
		},
	}
	cmd.Flags().Var(&kindValue{&kind}, "kind", "the policy's kind: identity, resource, trust, session, boundary or scp")
	return cmd
}

// validatePolicy reads the document at path ("-": standard input) and
// reports whether it is a valid policy of the given kind.
func validatePolicy(cmd *cobra.Command, path string, kind policy.Kind) error {
	doc, err := readDocument(cmd.InOrStdin(), path)
	if err != nil {
		return inputError(err)
	}
	p, err := policy.Parse(string(doc), kind)
	var perr *policy.Error
	if errors.As(err, &perr) {
		writeInvalid(cmd.ErrOrStderr(), perr)
		return &exitError{code: exitFailure, reported: true, err: fmt.Errorf("invalid policy %s: %w", path, err)}
	}
	if err != nil {
		return fmt.Errorf("validate %s: %w", path, err)
	}
	limit, _ := kind.DefaultMaxSize()
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "valid\n%s policy, %s, %d characters without white space (limit %d)\n",
		p.Kind, plural(len(p.Statements), "statement"), p.Size, limit)
	return err
}

// readDocument reads the file at path, or r when path is "-".
func readDocument(r io.Reader, path string) ([]byte, error) {
	if path == "-" {
		b, err := io.ReadAll(r)
		if err != nil {
			return nil, fmt.Errorf("read policy from standard input: %w", err)
		}
		return b, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	return b, nil
}

// writeInvalid prints a policy error: "CODE: MESSAGE", then the statement
// and the detail on lines of their own when known.
func writeInvalid(w io.Writer, e *policy.Error) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n", e.Code, e.Message)
	if e.Statement > 0 {
		fmt.Fprintf(&b, "  statement: %d", e.Statement)
		if e.Sid != "" {
			fmt.Fprintf(&b, " (Sid %q)", e.Sid)
		}
		b.WriteByte('\n')
	}
	if e.Detail != "" {
		fmt.Fprintf(&b, "  detail: %s\n", e.Detail)
	}
	io.WriteString(w, b.String())
}

func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// kindValue is the --kind flag: a policy.Kind checked when it is set, so a
// bad value is a usage error.
type kindValue struct{ k *policy.Kind }

func (v *kindValue) String() string {
	if v.k == nil {
		return ""
	}
	return v.k.String()
}

func (v *kindValue) Set(s string) error {
	k, err := policy.ParseKind(s)
	if err != nil {
		return err
	}
	*v.k = k
	return nil
}

func (v *kindValue) Type() string { return "kind" }
