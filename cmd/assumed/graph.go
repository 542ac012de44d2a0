package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/assumed-dev/assumed/internal/analyze"
	"github.com/assumed-dev/assumed/internal/app"
	"github.com/assumed-dev/assumed/internal/awsclient"
	"github.com/assumed-dev/assumed/internal/directory"
)

// graphSource says where the graph comes from: a stopped server's data
// dir, or a running server asked with AWS credentials.
type graphSource struct {
	dataDir  string
	store    string
	profile  string
	region   string
	endpoint string
	account  string
}

func (src *graphSource) flags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&src.dataDir, "data-dir", "", "read this (stopped) server's data dir, without credentials")
	f.StringVar(&src.store, "store", "", "with --data-dir: the store its server uses (serve's --store): a postgres:// URL for several nodes' database, whose nodes may be running; --data-dir is then one node's, for its master key")
	f.StringVar(&src.account, "account", "", "only this account's nodes, and their neighbours")
	f.StringVar(&src.profile, "profile", "", "AWS profile to sign with (default: AWS_PROFILE, then the default chain)")
	f.StringVar(&src.region, "region", "", "region to sign for (default: AWS_REGION or the profile's)")
	f.StringVar(&src.endpoint, "endpoint-url", "", "the assumed server's URL (default: AWS_ENDPOINT_URL)")
}

// check refuses flags that don't go together.
func (src *graphSource) check() error {
	if src.store != "" && src.dataDir == "" {
		return usageError(errors.New("--store goes with --data-dir (a node's, for its master key)"))
	}
	return nil
}

// loaded is what a source gives: the graph, and (offline only) the
// directory it was built from.
type loaded struct {
	graph  *analyze.Graph
	snap   *directory.Snapshot // nil online
	client *awsclient.Client   // nil offline
	close  func() error
}

// load builds or fetches the graph.
func (src *graphSource) load(ctx context.Context) (*loaded, error) {
	if err := src.check(); err != nil {
		return nil, err
	}
	if src.dataDir != "" {
		off, err := app.OpenOfflineStore(ctx, src.dataDir, src.store, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			return nil, inputError(fmt.Errorf("--data-dir: %w", err))
		}
		snap := off.Snapshot()
		if src.account != "" && snap.Accounts[src.account] == nil {
			off.Close()
			return nil, inputError(fmt.Errorf("--account %s: the data dir holds no such account", src.account))
		}
		return &loaded{graph: analyze.Build(snap, analyze.Options{}), snap: snap, close: off.Close}, nil
	}
	c, err := awsclient.New(ctx, awsclient.Options{Profile: src.profile, Region: src.region, Endpoint: src.endpoint})
	if err != nil {
		return nil, inputError(err)
	}
	path := "/_assumed/graph"
	if src.account != "" {
		path += "?account=" + url.QueryEscape(src.account)
	}
	var raw json.RawMessage
	if err := c.GetJSON(ctx, "assumed", path, &raw); err != nil {
		return nil, inputError(fmt.Errorf("the server's graph: %w", err))
	}
	g, err := analyze.ReadGraph(strings.NewReader(string(raw)))
	if err != nil {
		return nil, inputError(err)
	}
	return &loaded{graph: g, client: c, close: func() error { return nil }}, nil
}

type graphOptions struct {
	src               graphSource
	format            string
	from, to          string
	action, resource  string
	since             string
	maxHops, maxPaths int
}

func newGraphCommand(s streams) *cobra.Command {
	var opt graphOptions
	cmd := &cobra.Command{
		Use:   "graph",
		Short: "Draw and query who can reach what, across accounts",
		Long: `Print the access graph of the server's accounts, or query it.

Nodes are accounts, users, groups, roles, OIDC providers and the clusters
behind them with their service accounts, Pod Identity associations, AWS
services and accounts outside the directory that policies name, and the
resources with a resource-based policy. Every edge is a decision of the
evaluator that decides real requests, from both accounts where AWS asks
both: "can assume" (sts:AssumeRole), "can assume with web identity" (a
service account's token), "pod identity" (an association's role), "can
access" (actions on a resource). Each edge names the statements that allow
it, what the request must carry (an sts:ExternalId, session tags, a source
identity) and the other conditions it met.

Without a query, the whole graph (or --account's part). Queries:
  --from ARN                  every path from a principal, over role chains
                              and across accounts (--max-hops, --max-paths)
  --to ARN                    every path that reaches a role or resource
  --action A --resource R     who can perform A on R: the principals whose
                              policies allow it, and every path to them
  --since FILE                what changed since a graph saved with
                              --format json

Formats: text (default), json, dot (Graphviz: dot -Tsvg).

The graph comes from the server (AWS_ENDPOINT_URL or --endpoint-url),
asked with your AWS credentials: the root user of an account, or a
principal allowed assumed:ReadGraph, sees its own account and its
neighbours. With --data-dir DIR it is built from a stopped server's data
dir, every account, without credentials.`,
		Example: `  assumed graph --data-dir .assumed
  assumed graph --data-dir .assumed --from arn:aws:iam::222222222222:user/ci
  assumed graph --data-dir .assumed --to arn:aws:iam::111111111111:role/admin --format dot | dot -Tsvg > admin.svg
  assumed graph --data-dir .assumed --action dynamodb:PutItem --resource arn:aws:dynamodb:us-east-1:111111111111:table/orders
  assumed graph --data-dir .assumed --format json > before.json; …; assumed graph --data-dir .assumed --since before.json`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runGraph(cmd.Context(), s, &opt)
		},
	}
	opt.src.flags(cmd)
	f := cmd.Flags()
	f.StringVar(&opt.format, "format", "text", "text, json or dot")
	f.StringVar(&opt.from, "from", "", "print every path from this principal (an ARN, or a node ID)")
	f.StringVar(&opt.to, "to", "", "print every path to this role or resource")
	f.StringVar(&opt.action, "action", "", "with --resource: who can perform this action on it")
	f.StringVar(&opt.resource, "resource", "", "with --action: the resource's ARN")
	f.StringVar(&opt.since, "since", "", "print what changed since this saved graph (--format json's)")
	f.IntVar(&opt.maxHops, "max-hops", analyze.DefaultMaxHops, "the longest path to follow")
	f.IntVar(&opt.maxPaths, "max-paths", analyze.DefaultMaxPaths, "the most paths to print")
	return cmd
}

// runGraph checks the flags, loads the graph and answers the query.
func runGraph(ctx context.Context, s streams, opt *graphOptions) error {
	queries := 0
	for _, set := range []bool{opt.from != "", opt.to != "", opt.action != "" || opt.resource != "", opt.since != ""} {
		if set {
			queries++
		}
	}
	switch {
	case queries > 1:
		return usageError(errors.New("give one query at a time: --from, --to, --action with --resource, or --since"))
	case (opt.action == "") != (opt.resource == ""):
		return usageError(errors.New("--action and --resource go together: who can perform the action on the resource"))
	case opt.format != "text" && opt.format != "json" && opt.format != "dot":
		return usageError(fmt.Errorf("--format %q: want text, json or dot", opt.format))
	case opt.maxHops < 1 || opt.maxPaths < 1:
		return usageError(errors.New("--max-hops and --max-paths must be at least 1"))
	}
	var old *analyze.Graph
	if opt.since != "" {
		f, err := os.Open(opt.since)
		if err != nil {
			return inputError(fmt.Errorf("--since: %w", err))
		}
		old, err = analyze.ReadGraph(f)
		f.Close()
		if err != nil {
			return inputError(fmt.Errorf("--since %s: %w", opt.since, err))
		}
	}
	l, err := opt.src.load(ctx)
	if err != nil {
		return err
	}
	defer l.close()
	g := l.graph
	if opt.src.account != "" && l.snap != nil {
		g = g.Around(opt.src.account)
	}
	switch {
	case opt.from != "":
		if _, ok := g.Node(opt.from); !ok {
			return inputError(fmt.Errorf("--from %s: no such node in the graph", opt.from))
		}
		return writePaths(s.out, g, g.PathsFrom(opt.from, opt.maxHops, opt.maxPaths), nil, opt.format)
	case opt.to != "":
		if _, ok := g.Node(opt.to); !ok {
			return inputError(fmt.Errorf("--to %s: no such node in the graph", opt.to))
		}
		return writePaths(s.out, g, g.PathsTo(opt.to, opt.maxHops, opt.maxPaths), nil, opt.format)
	case opt.action != "":
		direct, err := performers(ctx, l, opt.action, opt.resource)
		if err != nil {
			return err
		}
		var paths []analyze.Path
		for _, p := range direct {
			paths = append(paths, g.PathsTo(p, opt.maxHops, opt.maxPaths)...)
		}
		return writePaths(s.out, g, paths, direct, opt.format)
	case old != nil:
		return writeChanges(s.out, g.Diff(old), opt.format)
	}
	switch opt.format {
	case "json":
		return g.WriteJSON(s.out)
	case "dot":
		return g.WriteDOT(s.out)
	}
	return g.WriteText(s.out)
}

// performers are the principals whose own policies allow action on
// resource: decided here offline, by the server online.
func performers(ctx context.Context, l *loaded, action, resource string) ([]string, error) {
	if l.snap != nil {
		return analyze.Performers(l.snap, l.graph, action, resource), nil
	}
	var out struct {
		Direct []string `json:"direct"`
	}
	path := "/_assumed/graph/performers?action=" + url.QueryEscape(action) + "&resource=" + url.QueryEscape(resource)
	if err := l.client.GetJSON(ctx, "assumed", path, &out); err != nil {
		return nil, inputError(fmt.Errorf("who can perform %s on %s: %w", action, resource, err))
	}
	return out.Direct, nil
}

// writePaths prints paths: one a line in text, with what they require;
// as JSON; or as the DOT graph of their edges.
func writePaths(w io.Writer, g *analyze.Graph, paths []analyze.Path, direct []string, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		v := struct {
			Direct []string       `json:"direct,omitempty"`
			Paths  []analyze.Path `json:"paths"`
		}{direct, paths}
		if v.Paths == nil {
			v.Paths = []analyze.Path{}
		}
		return enc.Encode(v)
	case "dot":
		return g.Subgraph(paths, direct).WriteDOT(w)
	}
	var b strings.Builder
	for _, d := range direct {
		fmt.Fprintf(&b, "%s (its own policies allow it)\n", d)
	}
	for _, p := range paths {
		b.WriteString(strings.Join(p.Nodes(), " → "))
		var notes []string
		if len(p.Requires) > 0 {
			var reqs []string
			for _, c := range p.Requires {
				reqs = append(reqs, c.String())
			}
			notes = append(notes, "requires "+strings.Join(reqs, "; "))
		}
		if p.Chained {
			notes = append(notes, "role chaining: sessions after the first last one hour at most")
		}
		if len(notes) > 0 {
			b.WriteString("\n    " + strings.Join(notes, "\n    "))
		}
		b.WriteString("\n")
	}
	if len(paths) == 0 && len(direct) == 0 {
		b.WriteString("no path\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeChanges prints a diff.
func writeChanges(w io.Writer, changes []analyze.Change, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if changes == nil {
			changes = []analyze.Change{}
		}
		return enc.Encode(struct {
			Changes []analyze.Change `json:"changes"`
		}{changes})
	}
	var b strings.Builder
	for _, c := range changes {
		sign := map[string]string{"added": "+", "removed": "-", "changed": "~"}[c.Kind]
		switch {
		case c.Node != nil:
			fmt.Fprintf(&b, "%s node %s %s\n", sign, c.Node.Kind, c.Node.ID)
		case c.Edge != nil:
			fmt.Fprintf(&b, "%s %s %s → %s\n", sign, c.Edge.Kind, c.Edge.From, c.Edge.To)
		}
	}
	if len(changes) == 0 {
		b.WriteString("no change\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

type findingsOptions struct {
	src         graphSource
	json        bool
	minSeverity string
}

func newFindingsCommand(s streams) *cobra.Command {
	var opt findingsOptions
	cmd := &cobra.Command{
		Use:   "findings",
		Short: "Flag the classic mistakes of trust and permission policies",
		Long: `Check the accounts' policies and their access graph for the classic
mistakes, and print each with its severity, account, policy and statement,
and the fix:

  trust-everyone                       Principal "*" with no condition
  trust-account-without-conditions     a whole account's root, no condition
  third-party-without-external-id      another party's account, no sts:ExternalId
  oidc-trust-without-sub               a web-identity trust without :sub
  oidc-sub-wildcard                    :sub with a namespace-wide or any-namespace pattern
  oidc-aud-unchecked                   :aud not checked
  pod-identity-target-reachable-otherwise
                                       a Pod Identity target role others can assume too
  reaches-another-accounts-admin       a chain of assumptions to another account's admin
  passrole-on-any-role                 iam:PassRole on "*"
  allow-with-notprincipal              Allow with NotPrincipal
  forallvalues-on-single-valued-key    ForAllValues on a key with one value
  self-assumption-not-named            a role meant to assume itself that its trust does not name
  unused-principal                     a role no one can assume, a user with no credentials

Severities: critical, high, medium, low, info. --min-severity (default
medium) prints those at least that severe; the exit status is 1 when it
printed any, so that CI can gate on it, 0 when none, 2 when no answer
could be had.

From the server with your AWS credentials (your account's findings), or
from a stopped server's --data-dir (every account's).`,
		Example: `  assumed findings --data-dir .assumed
  assumed findings --data-dir .assumed --min-severity high --json`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runFindings(cmd.Context(), s, &opt)
		},
	}
	opt.src.flags(cmd)
	cmd.Flags().BoolVar(&opt.json, "json", false, "print the findings as JSON")
	cmd.Flags().StringVar(&opt.minSeverity, "min-severity", analyze.SeverityMedium, "print findings at least this severe: "+strings.Join(analyze.Severities, ", "))
	return cmd
}

// runFindings prints the findings at or above the threshold, and fails
// when there are any.
func runFindings(ctx context.Context, s streams, opt *findingsOptions) error {
	if !slices.Contains(analyze.Severities, opt.minSeverity) {
		return usageError(fmt.Errorf("--min-severity %q: want one of %s", opt.minSeverity, strings.Join(analyze.Severities, ", ")))
	}
	if err := opt.src.check(); err != nil {
		return err
	}
	var all []analyze.Finding
	if opt.src.dataDir != "" {
		l, err := opt.src.load(ctx)
		if err != nil {
			return err
		}
		all = analyze.Findings(l.snap, l.graph)
		l.close()
	} else {
		c, err := awsclient.New(ctx, awsclient.Options{Profile: opt.src.profile, Region: opt.src.region, Endpoint: opt.src.endpoint})
		if err != nil {
			return inputError(err)
		}
		var out struct {
			Findings []analyze.Finding `json:"findings"`
		}
		if err := c.GetJSON(ctx, "assumed", "/_assumed/findings", &out); err != nil {
			return inputError(fmt.Errorf("the server's findings: %w", err))
		}
		all = out.Findings
	}
	var shown []analyze.Finding
	for _, f := range all {
		if analyze.AtLeast(f.Severity, opt.minSeverity) && (opt.src.account == "" || f.Account == opt.src.account) {
			shown = append(shown, f)
		}
	}
	if opt.json {
		if shown == nil {
			shown = []analyze.Finding{}
		}
		enc := json.NewEncoder(s.out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Findings []analyze.Finding `json:"findings"`
		}{shown}); err != nil {
			return err
		}
	} else {
		var b strings.Builder
		for _, f := range shown {
			fmt.Fprintf(&b, "%s  %s  account %s  %s\n", strings.ToUpper(f.Severity), f.Rule, f.Account, f.Subject)
			if f.Statement != nil {
				fmt.Fprintf(&b, "    in %s\n", f.Statement)
			}
			fmt.Fprintf(&b, "    %s\n    fix: %s\n", f.Message, f.Fix)
		}
		fmt.Fprintf(&b, "%d finding(s) at or above %s (of %d)\n", len(shown), opt.minSeverity, len(all))
		if _, err := io.WriteString(s.out, b.String()); err != nil {
			return err
		}
	}
	if len(shown) > 0 {
		return &exitError{code: exitFailure, reported: true, err: fmt.Errorf("%d finding(s) at or above %s", len(shown), opt.minSeverity)}
	}
	return nil
}
