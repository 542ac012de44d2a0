package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	sdksts "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"

	"github.com/assumed-dev/assumed/arn"
	"github.com/assumed-dev/assumed/internal/app"
	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/internal/awsclient"
	"github.com/assumed-dev/assumed/internal/explain"
	"github.com/assumed-dev/assumed/internal/server"
)

// explainPath is the server's explain endpoint.
const explainPath = "/_assumed/explain"

// explainOptions are the flags of `assumed explain`.
type explainOptions struct {
	profile, region, endpoint string

	as, action, resource string
	context              []string
	assume, externalID   string
	tags                 []string
	sourceIdentity       string
	sessionName          string
	duration             int
	requestID            string
	json                 bool
	dataDir              string
	store                string
}

func newExplainCommand(s streams) *cobra.Command {
	var opt explainOptions
	cmd := &cobra.Command{
		Use:   "explain --as PRINCIPAL (--action ACTION | --assume ROLE_ARN) | --request-id ID",
		Short: "Explain why a request is allowed or refused, policy by policy",
		Long: `Explain decides a request as the server does and prints the whole decision:
each account evaluated (the caller's, and the role's or resource's owner),
each policy consulted there, each statement with ✓ (applied) or ✗ (did not,
and why), each condition with the policy's and the request's values, the
statement that decided, then the rule, why, and what to change.

It explains one of:

  an action:      --as PRINCIPAL --action ACTION [--resource ARN]
                  [--context KEY=TYPE:VALUE …]
  an assumption:  --as PRINCIPAL --assume ROLE_ARN [--external-id ID]
                  [--tag KEY=VALUE …] [--source-identity NAME]
                  [--session-name NAME] [--duration-seconds N]
  a web-identity  --as arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH
  assumption:     --assume ROLE_ARN --context HOST/PATH:sub=SUBJECT
                  --context HOST/PATH:aud=AUDIENCE [--context HOST/PATH:amr=…]
                  [--tag KEY=VALUE …] [--source-identity NAME]
                  [--session-name NAME] [--duration-seconds N]
  a refusal:      --request-id ID, the request ID (x-amzn-RequestId) of a
                  request the server refused since it started

PRINCIPAL is an ARN – arn:aws:iam::ACCOUNT:user/NAME,
arn:aws:iam::ACCOUNT:role/NAME (explained as a session of the role),
arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, arn:aws:iam::ACCOUNT:root or
a bare account ID – or the name of an AWS profile, whose principal is found
with sts get-caller-identity.

An OIDC provider's ARN as PRINCIPAL stands for the holder of a token of
its issuer (IRSA: a pod's service-account token), explained as
AssumeRoleWithWebIdentity decides it: the token's claims are given as
context keys named after the provider's HOST/PATH, as the trust policy
names them – HOST/PATH:sub (a service account's is
system:serviceaccount:NAMESPACE:NAME) and HOST/PATH:aud (one of the
provider's client IDs, sts.amazonaws.com for IRSA) are required,
HOST/PATH:amr optional. The role's account must have registered the
issuer; then its trust policy alone decides, with the keys STS sets
(aws:FederatedProvider, aws:PrincipalType, sts:RoleSessionName, …). The
token's signature and validity period are not checked: there is no token.

An action of a service with resource-based policies (S3, KMS, SQS, SNS,
ECR, DynamoDB, Secrets Manager, Lambda, …) is decided with the resource's
owner and policy as the server's gateway has recorded them (an S3 object's
bucket policy), both accounts' sides when they differ. The resource's tags
are not known: give them as aws:ResourceTag/KEY context keys.

An allowed assumption prints a Warning line for each risk of its trust
policy: a web-identity trust without a condition on HOST/PATH:sub (or with
a wildcard in it) or on HOST/PATH:aud, and a trust of another whole
account, or of "*", without an sts:ExternalId condition.

--context adds a condition key to the request; TYPE is one of string,
stringList, numeric, numericList, boolean, booleanList, ip, ipList, date,
dateList, binary, binaryList (without a known TYPE, the whole value is a
string). A list type takes comma-separated values. aws:SourceIp,
aws:SecureTransport, aws:CurrentTime and aws:RequestedRegion set where and
when the request comes from.

The explanation comes from the server (AWS_ENDPOINT_URL or --endpoint-url),
asked with your AWS credentials (--profile, the environment, the shared
files; never EC2 instance metadata): the root user of an account, or a
principal whose identity-based policies allow assumed:Explain, about the
principals and roles of its own account. With --data-dir DIR it reads the
stopped server's data dir directly instead, and needs no credentials.

Exit status: 0 when the request is allowed, 1 when it is denied, 2 when no
answer could be had (a mistake in the command line, no credentials, the
server refused or could not be reached).`,
		Example: `  assumed explain --as arn:aws:iam::222222222222:user/ci --assume arn:aws:iam::111111111111:role/deploy --external-id 7f3c
  assumed explain --as arn:aws:iam::111111111111:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE --assume arn:aws:iam::111111111111:role/app \
    --context oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE:sub=system:serviceaccount:team-a:app --context oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE:aud=sts.amazonaws.com
  assumed explain --as dev --action s3:GetObject --resource arn:aws:s3:::reports/q3.csv --context aws:SourceIp=ip:10.1.2.3
  assumed explain --request-id 1d6f0a4e-9a57-4c8e-8a43-5f0f1f3b2c11 --json
  assumed explain --data-dir .assumed --as arn:aws:iam::111111111111:role/app --action iam:ListRoles`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runExplain(cmd.Context(), s, &opt)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opt.as, "as", "", "the principal asking: an ARN (an OIDC provider's for a web-identity token's holder) or a profile name")
	f.StringVar(&opt.action, "action", "", "the action to explain (SERVICE:ACTION)")
	f.StringVar(&opt.resource, "resource", "", `the resource acted on, an ARN (default "*")`)
	f.StringArrayVar(&opt.context, "context", nil, "a condition key of the request, or a web-identity token's claim (HOST/PATH:sub), KEY=TYPE:VALUE (repeatable)")
	f.StringVar(&opt.assume, "assume", "", "the ARN of a role to explain an AssumeRole of")
	f.StringVar(&opt.externalID, "external-id", "", "the external ID the assumption passes")
	f.StringArrayVar(&opt.tags, "tag", nil, "a session tag the assumption passes, KEY=VALUE (repeatable)")
	f.StringVar(&opt.sourceIdentity, "source-identity", "", "the source identity the assumption sets")
	f.StringVar(&opt.sessionName, "session-name", "", `the role session name (default "`+explain.DefaultSessionName+`")`)
	f.IntVar(&opt.duration, "duration-seconds", 0, "the session duration the assumption asks for (default 3600)")
	f.StringVar(&opt.requestID, "request-id", "", "the request ID of a refused request to explain")
	f.BoolVar(&opt.json, "json", false, "print the trace as JSON")
	f.StringVar(&opt.dataDir, "data-dir", "", "explain from this (stopped) server's data dir, without credentials")
	f.StringVar(&opt.store, "store", "", "with --data-dir: the store its server uses (serve's --store): a postgres:// URL for several nodes' database, whose nodes may be running; --data-dir is then one node's, for its master key")
	f.StringVar(&opt.profile, "profile", "", "AWS profile to sign with (default: AWS_PROFILE, then the default chain)")
	f.StringVar(&opt.region, "region", "", "region to sign for (default: AWS_REGION or the profile's)")
	f.StringVar(&opt.endpoint, "endpoint-url", "", "the assumed server's URL (default: AWS_ENDPOINT_URL)")
	// token and agent call it --endpoint.
	f.StringVar(&opt.endpoint, "endpoint", "", "the assumed server's URL (as --endpoint-url)")
	_ = f.MarkHidden("endpoint")
	return cmd
}

// runExplain checks the command line, gets the trace and prints it.
func runExplain(ctx context.Context, s streams, opt *explainOptions) error {
	q, err := opt.query()
	if err != nil {
		return usageError(err)
	}
	if opt.store != "" && opt.dataDir == "" {
		return usageError(errors.New("--store goes with --data-dir (a node's, for its master key)"))
	}
	var t *authz.Trace
	if opt.dataDir != "" {
		t, err = explainOffline(ctx, opt, q)
	} else {
		t, err = explainOnline(ctx, opt, q)
	}
	if err != nil {
		return err
	}
	if opt.json {
		b, err := json.MarshalIndent(t, "", "  ")
		if err != nil {
			return fmt.Errorf("encode the trace: %w", err)
		}
		if _, err := s.out.Write(append(b, '\n')); err != nil {
			return fmt.Errorf("write the trace: %w", err)
		}
	} else if err := explain.Render(s.out, t); err != nil {
		return err
	}
	if t.Decision != authz.DecisionAllowed {
		return &exitError{code: exitFailure, reported: true, err: errors.New("denied")}
	}
	return nil
}

// query checks the flags and builds the query (As still a profile name
// or an ARN).
func (opt *explainOptions) query() (server.ExplainRequest, error) {
	var in server.ExplainRequest
	assumeOnly := opt.externalID != "" || len(opt.tags) > 0 || opt.sourceIdentity != "" || opt.sessionName != "" || opt.duration != 0
	switch {
	case opt.requestID != "":
		if opt.as != "" || opt.action != "" || opt.resource != "" || len(opt.context) > 0 || opt.assume != "" || assumeOnly {
			return in, errors.New("--request-id explains a refusal as it was made: give it alone")
		}
		if opt.dataDir != "" {
			return in, errors.New("--request-id needs the server, which keeps its refusals in memory: drop --data-dir")
		}
		in.RequestID = opt.requestID
		return in, nil
	case opt.as == "":
		return in, errors.New("say what to explain: --as PRINCIPAL with --action ACTION or --assume ROLE_ARN, or --request-id ID")
	case opt.action == "" && opt.assume == "":
		return in, errors.New("--as needs --action ACTION or --assume ROLE_ARN")
	case opt.action != "" && opt.assume != "":
		return in, errors.New("--action and --assume explain different requests: give one")
	case opt.assume == "" && assumeOnly:
		return in, errors.New("--external-id, --tag, --source-identity, --session-name and --duration-seconds belong to --assume")
	case opt.assume != "" && opt.resource != "":
		return in, errors.New("--resource belongs to --action: the resource of --assume is the role")
	case opt.duration < 0:
		return in, fmt.Errorf("--duration-seconds %d is negative", opt.duration)
	}
	q := explain.Query{As: opt.as, Action: opt.action, Resource: opt.resource, Assume: opt.assume, ExternalID: opt.externalID,
		SourceIdentity: opt.sourceIdentity, SessionName: opt.sessionName, DurationSeconds: opt.duration}
	var err error
	if q.Context, err = parseContextFlags(opt.context); err != nil {
		return in, err
	}
	if len(opt.tags) > 0 {
		q.Tags = map[string]string{}
		for _, t := range opt.tags {
			k, v, ok := strings.Cut(t, "=")
			if !ok || k == "" {
				return in, fmt.Errorf("--tag %q: want KEY=VALUE", t)
			}
			if _, dup := q.Tags[k]; dup {
				return in, fmt.Errorf("--tag %s is given twice", k)
			}
			q.Tags[k] = v
		}
	}
	in.Query = q
	return in, nil
}

// parseContextFlags parses --context KEY=TYPE:VALUE flags; the values of
// a list type are comma-separated, and a key given again adds values.
func parseContextFlags(flags []string) ([]explain.ContextEntry, error) {
	types := explain.ContextTypes()
	var out []explain.ContextEntry
	for _, f := range flags {
		key, rest, ok := strings.Cut(f, "=")
		if !ok || key == "" {
			return nil, fmt.Errorf("--context %q: want KEY=TYPE:VALUE (for example aws:SourceIp=ip:10.1.2.3)", f)
		}
		typ, value := "string", rest
		if t, v, ok := strings.Cut(rest, ":"); ok && slices.Contains(types, t) {
			typ, value = t, v
		}
		vals := []string{value}
		if strings.HasSuffix(typ, "List") {
			vals = strings.Split(value, ",")
		}
		i := slices.IndexFunc(out, func(e explain.ContextEntry) bool { return strings.EqualFold(e.Key, key) })
		switch {
		case i < 0:
			out = append(out, explain.ContextEntry{Key: key, Type: typ, Values: vals})
		case out[i].Type == typ && strings.HasSuffix(typ, "List"):
			out[i].Values = append(out[i].Values, vals...)
		default:
			return nil, fmt.Errorf("--context %s is given twice: give a list type (stringList, …) for several values", key)
		}
	}
	return out, nil
}

// isPrincipal reports whether --as names a principal (an ARN or an
// account ID) rather than a profile.
func isPrincipal(as string) bool {
	return strings.HasPrefix(as, "arn:") || arn.IsAccountID(as)
}

// explainOnline asks the server.
func explainOnline(ctx context.Context, opt *explainOptions, in server.ExplainRequest) (*authz.Trace, error) {
	if in.As != "" && !isPrincipal(in.As) {
		who, err := profileARN(ctx, opt, in.As)
		if err != nil {
			return nil, inputError(err)
		}
		in.As = who
	}
	c, err := awsclient.New(ctx, awsclient.Options{Profile: opt.profile, Region: opt.region, Endpoint: opt.endpoint})
	if err != nil {
		return nil, inputError(err)
	}
	var t authz.Trace
	if err := postExplain(ctx, c, in, &t); err != nil {
		return nil, inputError(err)
	}
	return &t, nil
}

// profileARN finds the principal of a profile with GetCallerIdentity.
func profileARN(ctx context.Context, opt *explainOptions, profile string) (string, error) {
	c, err := awsclient.New(ctx, awsclient.Options{Profile: profile, Region: opt.region, Endpoint: opt.endpoint})
	if err != nil {
		return "", fmt.Errorf("--as %s, a profile: %w", profile, err)
	}
	out, err := sdksts.NewFromConfig(c.Config, func(o *sdksts.Options) { o.BaseEndpoint = aws.String(c.Endpoint) }).
		GetCallerIdentity(ctx, &sdksts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("--as %s, a profile: who it is (sts get-caller-identity): %w", profile, err)
	}
	return aws.ToString(out.Arn), nil
}

// explainError is the server's refusal to explain.
type explainError struct {
	Status  int
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *explainError) Error() string {
	return fmt.Sprintf("the server did not explain (%s, HTTP %d): %s", e.Code, e.Status, e.Message)
}

// postExplain posts the request to the server, signed, and decodes the
// trace it answers.
func postExplain(ctx context.Context, c *awsclient.Client, in server.ExplainRequest, t *authz.Trace) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("encode the query: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Endpoint+explainPath, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build the request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	// The administrative endpoints look at no signing name: name ours.
	if err := c.Sign(ctx, req, body, "assumed"); err != nil {
		return err
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err // a *url.Error names the method and URL
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("read the answer of %s: %w", explainPath, err)
	}
	if resp.StatusCode != http.StatusOK {
		e := &explainError{Status: resp.StatusCode}
		if json.Unmarshal(b, e) != nil || e.Code == "" {
			e.Code, e.Message = http.StatusText(resp.StatusCode), strings.TrimSpace(string(b))
			if resp.StatusCode == http.StatusNotFound && e.Message == "" {
				e.Message = "this server has no " + explainPath + " (is it an assumed server, and a recent one?)"
			}
		}
		return e
	}
	if err := json.Unmarshal(b, t); err != nil {
		return fmt.Errorf("decode the answer of %s: %w", explainPath, err)
	}
	return nil
}

// explainOffline decides the query against the data dir's store.
func explainOffline(ctx context.Context, opt *explainOptions, in server.ExplainRequest) (*authz.Trace, error) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	off, err := app.OpenOfflineStore(ctx, opt.dataDir, opt.store, log)
	if err != nil {
		return nil, inputError(fmt.Errorf("--data-dir: %w", err))
	}
	defer off.Close()
	q := in.Query
	if !isPrincipal(q.As) {
		// A profile: its keys are the data dir's, or its server's session.
		cfg, err := config.LoadDefaultConfig(ctx, config.WithSharedConfigProfile(q.As), config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
		if err != nil {
			return nil, inputError(fmt.Errorf("--as %s, a profile: %w", q.As, err))
		}
		if cfg.Credentials == nil {
			return nil, inputError(fmt.Errorf("--as %s, a profile, has no credentials", q.As))
		}
		cr, err := cfg.Credentials.Retrieve(ctx)
		if err != nil {
			return nil, inputError(fmt.Errorf("--as %s, a profile: its credentials: %w", q.As, err))
		}
		if q.As, err = off.CallerARN(cr.AccessKeyID, cr.SecretAccessKey, cr.SessionToken); err != nil {
			return nil, inputError(fmt.Errorf("--as %s, a profile: %w", opt.as, err))
		}
	}
	t, err := explain.Explain(off.Snapshot(), q)
	if err != nil {
		return nil, inputError(err)
	}
	return t, nil
}
