package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/assumed-dev/assumed/internal/app"
	"github.com/assumed-dev/assumed/internal/audit"
)

// auditFlags are serve's flags for the audit trail.
type auditFlags struct {
	path     string
	maxSize  int64
	maxFiles int
}

func (f *auditFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.path, "audit-log", "", `the audit trail's file: one CloudTrail-format JSON record a line for every API call, rotated by size (default DATA-DIR/audit.log; "off" or "" keeps none); read it with assumed trail`)
	cmd.Flags().Var((*byteSize)(&f.maxSize), "audit-log-max-size", "size at which the audit log is rotated to PATH.1, PATH.1 to PATH.2, …: bytes, or with KB, MB, GB, KiB, MiB, GiB (default 100MiB)")
	cmd.Flags().IntVar(&f.maxFiles, "audit-log-max-files", audit.DefaultMaxFiles, "rotated audit log files kept (PATH.1 … PATH.N); older ones are deleted")
}

// resolve makes an explicitly empty --audit-log mean off.
func (f *auditFlags) resolve(cmd *cobra.Command) {
	if cmd.Flags().Changed("audit-log") && strings.TrimSpace(f.path) == "" {
		f.path = app.AuditLogOff
	}
}

// byteSize is a flag holding a size in bytes, written with an optional
// unit.
type byteSize int64

func (b *byteSize) String() string {
	if *b == 0 {
		return ""
	}
	return strconv.FormatInt(int64(*b), 10)
}

func (b *byteSize) Type() string { return "size" }

func (b *byteSize) Set(v string) error {
	n, err := parseSize(v)
	if err != nil {
		return err
	}
	*b = byteSize(n)
	return nil
}

// parseSize reads "1048576", "512KiB", "10MB", "1GiB".
func parseSize(v string) (int64, error) {
	s := strings.TrimSpace(v)
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(strings.ToUpper(s), strings.ToUpper(u.suffix)) {
			s, mult = strings.TrimSpace(s[:len(s)-len(u.suffix)]), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("size %q: want a positive number of bytes, optionally with KB, MB, GB, KiB, MiB or GiB", v)
	}
	return n * mult, nil
}

// trailOptions are the flags of `assumed trail`.
type trailOptions struct {
	path, dataDir string
	account       string
	principal     string
	denied        bool
	since         time.Duration
	json          bool
}

func newTrailCommand(s streams) *cobra.Command {
	var opt trailOptions
	cmd := &cobra.Command{
		Use:   "trail [--account ID] [--principal ARN] [--denied] [--since DURATION] [--json]",
		Short: "Print the audit trail: every API call the server answered, oldest first",
		Long: `Trail reads the audit log that assumed serve writes (DATA-DIR/audit.log
by default, or serve's --audit-log PATH) and its rotated files (PATH.1, …),
and prints the calls the filters select, oldest first, newest last: one line
each with the time, the account it was recorded for, the caller, the
service and operation, and the error code (- for a success). With --json
it prints the records themselves, CloudTrail's JSON, one a line.

A call that reached another account (an AssumeRole of another account's
role, a request on another account's bucket through the gateway) is
recorded for both accounts, with one sharedEventID; --account picks one
account's view.

Filters (all must match):

  --account ID      records delivered to account ID (recipientAccountId)
  --principal ARN   calls made by ARN, or by any session of the role ARN
  --denied          refusals by policy (AccessDenied, AccessDeniedException,
                    UnauthorizedOperation)
  --since DURATION  calls of the last DURATION (90s, 15m, 2h)

It reads the files directly: the server may be running or not.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTrail(opt, s)
		},
	}
	cmd.Flags().StringVar(&opt.path, "audit-log", "", "the audit log to read (default DATA-DIR/audit.log)")
	cmd.Flags().StringVar(&opt.dataDir, "data-dir", ".assumed", "the server's data directory, whose audit.log is read unless --audit-log is given")
	cmd.Flags().StringVar(&opt.account, "account", "", "only the records delivered to this account ID")
	cmd.Flags().StringVar(&opt.principal, "principal", "", "only the calls of this principal ARN (a role's ARN selects every session of the role)")
	cmd.Flags().BoolVar(&opt.denied, "denied", false, "only refusals by policy (AccessDenied and its spellings)")
	cmd.Flags().DurationVar(&opt.since, "since", 0, "only the calls of this last duration (e.g. 15m, 2h)")
	cmd.Flags().BoolVar(&opt.json, "json", false, "print the CloudTrail records, one JSON object a line")
	return cmd
}

// runTrail prints the records the options select.
func runTrail(opt trailOptions, s streams) error {
	path := opt.path
	if path == "" {
		path = filepath.Join(opt.dataDir, app.AuditLogFile)
	}
	if opt.since < 0 {
		return usageError(fmt.Errorf("--since %s: want a positive duration", opt.since))
	}
	f := audit.Filter{Account: opt.account, Principal: opt.principal, Denied: opt.denied}
	if opt.since > 0 {
		f.Since = time.Now().Add(-opt.since)
	}
	out := bufio.NewWriter(s.out)
	res, err := audit.Read(path, f, func(r *audit.Record, line []byte) error {
		if opt.json {
			out.Write(line)
			return out.WriteByte('\n')
		}
		_, err := io.WriteString(out, trailLine(r))
		return err
	})
	if ferr := out.Flush(); err == nil && ferr != nil {
		err = ferr
	}
	if errors.Is(err, os.ErrNotExist) {
		return inputError(fmt.Errorf("%w (is the server's --audit-log elsewhere, or off? pass --audit-log PATH or --data-dir DIR)", err))
	}
	if err != nil {
		return &exitError{code: exitFailure, err: err}
	}
	if res.Skipped > 0 {
		fmt.Fprintf(s.err, "assumed: skipped %d line(s) of %s that are not audit records\n", res.Skipped, path)
	}
	return nil
}

// trailLine is a record as one line of text: time, account, caller,
// service:operation, error code.
func trailLine(r *audit.Record) string {
	account := r.RecipientAccountID
	if account == "" {
		account = "-"
	}
	who := r.UserIdentity.ARN
	switch {
	case who != "":
	case r.UserIdentity.Type == audit.IdentityWebIdentityUser && r.UserIdentity.UserName != "":
		who = "web-identity:" + r.UserIdentity.UserName
	case r.UserIdentity.AccessKeyID != "":
		who = strings.ToLower(r.UserIdentity.Type) + ":" + r.UserIdentity.AccessKeyID
	default:
		who = strings.ToLower(r.UserIdentity.Type)
	}
	service := strings.TrimSuffix(r.EventSource, ".amazonaws.com")
	if service == "" {
		service = "-"
	}
	op := r.EventName
	if op == "" {
		op = "-"
	}
	code := r.ErrorCode
	if code == "" {
		code = "-"
	}
	return fmt.Sprintf("%s %s %s %s:%s %s\n", r.EventTime.UTC().Format(time.RFC3339), account, who, service, op, code)
}
