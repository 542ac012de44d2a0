// Command assumed-load drives one AWS API call against an endpoint on this
// machine and reports throughput and latency. It is the load generator
// behind scripts/bench-sts.sh and scripts/bench-gateway.sh, which run it
// against `assumed serve` and against moto's server in the same run.
//
// Its targets (--target) are:
//
//   - sts (the default): AssumeRole, or AssumeRoleWithWebIdentity with
//     --web-identity-token-file;
//   - dynamodb-getitem: DynamoDB GetItem of one item (--table, --key), which
//     must exist: an answer without the item counts as an error.
//
// It uses the AWS SDK for Go v2 client of the target's service, one client
// (and so one connection) per worker, with retries off, so that every
// figure is one request on the wire. It is bounded in count (--requests)
// and in time (--duration), and it talks to loopback addresses only: the
// endpoint's host must resolve to loopback addresses alone, and every
// connection is checked again as it is dialled.
//
// Usage:
//
//	assumed-load --endpoint http://127.0.0.1:4599 \
//	    --access-key AKIA... --secret-key ... \
//	    --role-arn arn:aws:iam::111111111111:role/target [--external-id X] \
//	    [--concurrency 16] [--requests 20000] [--duration 60s] [--out-json FILE]
//
//	assumed-load --target dynamodb-getitem --endpoint http://127.0.0.1:4599 \
//	    --access-key AKIA... --secret-key ... --table bench --key item-1 \
//	    [--key-attribute id] [--header 'x-moto-account-id: 111111111111']
//
// It exits 1 when more than 1% of the measured requests failed, and 2 on
// a usage error.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// requestTimeout bounds one call.
const requestTimeout = 30 * time.Second

// maxShownErrors is how many distinct error messages are kept and printed.
const maxShownErrors = 5

// The targets: which call every request makes.
const (
	targetSTS             = "sts"
	targetDynamoDBGetItem = "dynamodb-getitem"
)

// options are the command-line flags.
type options struct {
	target            string
	endpoint          string
	concurrency       int
	requests          int
	duration          time.Duration
	warmup            int
	accessKey         string
	secretKey         string
	sessionToken      string
	roleARN           string
	externalID        string
	sessionNamePrefix string
	region            string
	outJSON           string
	// webIdentityToken, when set, makes every call an unsigned
	// AssumeRoleWithWebIdentity with this token instead of AssumeRole.
	webIdentityToken string
	// cpuProfile, when set, receives a CPU profile of the measured phase.
	cpuProfile string
	// table, keyAttribute and key name the item dynamodb-getitem reads:
	// a string partition key.
	table        string
	keyAttribute string
	key          string
	// header is added to every request, after signing (for moto's
	// x-moto-account-id when it is called directly).
	header http.Header
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	opt, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "assumed-load:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := checkLoopback(ctx, opt.endpoint, net.DefaultResolver.LookupNetIP); err != nil {
		fmt.Fprintln(stderr, "assumed-load:", err)
		return 2
	}

	calls := newCalls(opt)
	if opt.warmup > 0 {
		w := runPhase(ctx, calls, opt.warmup, opt.duration)
		fmt.Fprintf(stdout, "warm-up: %d requests, %d errors\n", w.Requests, w.Requests-w.OK)
	}
	if opt.cpuProfile != "" {
		f, err := os.Create(opt.cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "assumed-load:", err)
			return 2
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "assumed-load:", err)
			return 2
		}
	}
	res := runPhase(ctx, calls, opt.requests, opt.duration)
	if opt.cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	res.Endpoint, res.Concurrency = opt.endpoint, opt.concurrency
	res.print(stdout)
	if opt.outJSON != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(opt.outJSON, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(stderr, "assumed-load: write results:", err)
			return 1
		}
	}
	if res.Requests == 0 || res.Errors*100 > res.Requests {
		fmt.Fprintf(stderr, "assumed-load: %d of %d requests failed (more than 1%%)\n", res.Errors, res.Requests)
		for _, e := range res.FirstErrors {
			fmt.Fprintln(stderr, "  ", e)
		}
		return 1
	}
	return 0
}

// parseFlags reads and checks the flags.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("assumed-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.target, "target", targetSTS, "the call to make: "+targetSTS+" (AssumeRole or AssumeRoleWithWebIdentity) or "+targetDynamoDBGetItem)
	fs.StringVar(&o.endpoint, "endpoint", "http://127.0.0.1:4599", "endpoint URL; its host must resolve to loopback addresses only")
	fs.IntVar(&o.concurrency, "concurrency", 16, "concurrent clients, each with its own connection")
	fs.IntVar(&o.requests, "requests", 20000, "measured requests in total (after the warm-up)")
	fs.DurationVar(&o.duration, "duration", 60*time.Second, "longest time the measured phase (and, separately, the warm-up) may run")
	fs.IntVar(&o.warmup, "warmup", 500, "requests sent before measuring, not counted")
	fs.StringVar(&o.accessKey, "access-key", "", "caller's access key ID")
	fs.StringVar(&o.secretKey, "secret-key", "", "caller's secret access key")
	fs.StringVar(&o.sessionToken, "session-token", "", "caller's session token, for temporary credentials")
	fs.StringVar(&o.roleARN, "role-arn", "", "ARN of the role to assume (sts)")
	fs.StringVar(&o.externalID, "external-id", "", "ExternalId to send (optional)")
	fs.StringVar(&o.sessionNamePrefix, "session-name-prefix", "load", "prefix of the RoleSessionName; a sequence number is appended")
	fs.StringVar(&o.region, "region", "us-east-1", "signing region")
	fs.StringVar(&o.outJSON, "out-json", "", "also write the results as JSON to this file")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the load generator's measured phase to this file")
	tokenFile := fs.String("web-identity-token-file", "", "call AssumeRoleWithWebIdentity (unsigned) with the token in this file instead of AssumeRole (sts)")
	fs.StringVar(&o.table, "table", "", "DynamoDB table to read (dynamodb-getitem)")
	fs.StringVar(&o.keyAttribute, "key-attribute", "id", "name of the table's partition key, a string (dynamodb-getitem)")
	fs.StringVar(&o.key, "key", "", "partition key value of the item to read; the item must exist (dynamodb-getitem)")
	fs.Func("header", "`NAME: VALUE` added to every request after signing, e.g. 'x-moto-account-id: 111111111111' (repeatable)", func(v string) error {
		name, value, ok := strings.Cut(v, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, " \t\r\n") || strings.ContainsAny(value, "\r\n") {
			return fmt.Errorf("want NAME: VALUE, got %q", v)
		}
		if o.header == nil {
			o.header = http.Header{}
		}
		o.header.Add(name, strings.TrimSpace(value))
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if *tokenFile != "" {
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			return o, fmt.Errorf("--web-identity-token-file: %w", err)
		}
		o.webIdentityToken = strings.TrimSpace(string(b))
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	case o.concurrency < 1:
		return o, errors.New("--concurrency must be at least 1")
	case o.requests < 1:
		return o, errors.New("--requests must be at least 1")
	case o.warmup < 0:
		return o, errors.New("--warmup must not be negative")
	case o.duration <= 0:
		return o, errors.New("--duration must be positive")
	}
	switch o.target {
	case targetSTS:
		switch {
		case o.webIdentityToken == "" && (o.accessKey == "" || o.secretKey == ""):
			return o, errors.New("--access-key and --secret-key are required (or --web-identity-token-file)")
		case o.roleARN == "":
			return o, errors.New("--role-arn is required")
		case !validPrefix.MatchString(o.sessionNamePrefix):
			return o, fmt.Errorf("--session-name-prefix %q must be 1-%d characters of [\\w+=,.@-]", o.sessionNamePrefix, maxPrefix)
		case o.table != "" || o.key != "":
			return o, fmt.Errorf("--table and --key are for --target %s", targetDynamoDBGetItem)
		}
	case targetDynamoDBGetItem:
		switch {
		case o.accessKey == "" || o.secretKey == "":
			return o, errors.New("--access-key and --secret-key are required")
		case o.table == "" || o.keyAttribute == "" || o.key == "":
			return o, errors.New("--table, --key-attribute and --key are required")
		case o.roleARN != "" || o.webIdentityToken != "" || o.externalID != "":
			return o, fmt.Errorf("--role-arn, --external-id and --web-identity-token-file are for --target %s", targetSTS)
		}
	default:
		return o, fmt.Errorf("--target %q: want %s or %s", o.target, targetSTS, targetDynamoDBGetItem)
	}
	return o, nil
}

// lookupFunc resolves a host name, like net.Resolver.LookupNetIP.
type lookupFunc func(ctx context.Context, network, host string) ([]netip.Addr, error)

// checkLoopback refuses an endpoint whose host is not, or does not resolve
// only to, loopback addresses.
func checkLoopback(ctx context.Context, endpoint string, lookup lookupFunc) error {
	u, err := url.Parse(endpoint)
	if err != nil {
		return fmt.Errorf("--endpoint: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("--endpoint %q: the scheme must be http or https", endpoint)
	}
	host := u.Hostname()
	if host == "" {
		return fmt.Errorf("--endpoint %q has no host", endpoint)
	}
	var addrs []netip.Addr
	if a, perr := netip.ParseAddr(host); perr == nil {
		addrs = []netip.Addr{a}
	} else {
		if addrs, err = lookup(ctx, "ip", host); err != nil {
			return fmt.Errorf("--endpoint: resolve %s: %w", host, err)
		}
	}
	if len(addrs) == 0 {
		return fmt.Errorf("--endpoint: %s resolves to no address", host)
	}
	for _, a := range addrs {
		if !a.Unmap().IsLoopback() {
			return fmt.Errorf("--endpoint: %s resolves to %s, which is not a loopback address: assumed-load only talks to this machine", host, a)
		}
	}
	return nil
}

// loopbackDialer dials loopback addresses only, whatever a name resolves
// to by the time the connection is made.
var loopbackDialer = &net.Dialer{
	Timeout: 5 * time.Second,
	Control: func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil || !ap.Addr().Unmap().IsLoopback() {
			return fmt.Errorf("refusing to dial %s: not a loopback address", address)
		}
		return nil
	},
}

// call makes one request with one worker's own client: the one thing a
// target changes in a phase. A nil error is a success.
type call func(ctx context.Context) error

// newCalls returns one call per worker, each with its own client.
func newCalls(opt options) []call {
	calls := make([]call, opt.concurrency)
	switch opt.target {
	case targetDynamoDBGetItem:
		for i := range calls {
			calls[i] = getItem(newDynamoDBClient(opt), opt)
		}
	default:
		names := &sessionNames{prefix: opt.sessionNamePrefix}
		for i := range calls {
			c := newSTSClient(opt)
			calls[i] = func(ctx context.Context) error { return assumeRole(ctx, c, opt, names.next()) }
		}
	}
	return calls
}

// newHTTPClient returns an HTTP client with its own connection pool that
// dials loopback addresses only, ignores proxies, and adds opt.header to
// every request.
func newHTTPClient(opt options) aws.HTTPClient {
	c := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.Proxy = nil
		t.DialContext = loopbackDialer.DialContext
	})
	if len(opt.header) == 0 {
		return c
	}
	return &headerClient{next: c, header: opt.header}
}

// headerClient adds fixed headers to each request it sends.
type headerClient struct {
	next   aws.HTTPClient
	header http.Header
}

func (h *headerClient) Do(r *http.Request) (*http.Response, error) {
	for k, v := range h.header {
		r.Header[k] = v
	}
	return h.next.Do(r)
}

// newSTSClient returns an STS client with its own connection pool, static
// credentials and no retries.
func newSTSClient(opt options) *sts.Client {
	var creds aws.CredentialsProvider = credentials.NewStaticCredentialsProvider(opt.accessKey, opt.secretKey, opt.sessionToken)
	if opt.webIdentityToken != "" {
		creds = aws.AnonymousCredentials{}
	}
	return sts.New(sts.Options{
		Region:       opt.region,
		BaseEndpoint: aws.String(opt.endpoint),
		Credentials:  creds,
		HTTPClient:   newHTTPClient(opt),
		Retryer:      aws.NopRetryer{},
	})
}

// newDynamoDBClient returns a DynamoDB client with its own connection
// pool, static credentials and no retries.
func newDynamoDBClient(opt options) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       opt.region,
		BaseEndpoint: aws.String(opt.endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(opt.accessKey, opt.secretKey, opt.sessionToken),
		HTTPClient:   newHTTPClient(opt),
		Retryer:      aws.NopRetryer{},
	})
}

// maxPrefix leaves room in a 64-character RoleSessionName for "-" and a
// sequence number.
const maxPrefix = 40

var validPrefix = regexp.MustCompile(`^[\w+=,.@-]{1,` + strconv.Itoa(maxPrefix) + `}$`)

// sessionNames hands out RoleSessionNames unique within a run:
// prefix-1, prefix-2, …. Safe for concurrent use.
type sessionNames struct {
	prefix string
	seq    atomic.Uint64
}

func (s *sessionNames) next() string {
	return s.prefix + "-" + strconv.FormatUint(s.seq.Add(1), 10)
}

// Results are the figures of one measured phase.
type Results struct {
	Endpoint     string         `json:"endpoint"`
	Concurrency  int            `json:"concurrency"`
	Requests     int            `json:"requests"`
	OK           int            `json:"ok"`
	Errors       int            `json:"errors"`
	ErrorsByCode map[string]int `json:"errors_by_code"`
	FirstErrors  []string       `json:"first_errors,omitempty"`
	Elapsed      float64        `json:"elapsed_seconds"`
	// Throughput is successful requests per second.
	Throughput float64 `json:"throughput_rps"`
	// Latencies are of successful requests, in milliseconds.
	P50 float64 `json:"p50_ms"`
	P90 float64 `json:"p90_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

// worker is one client's share of a phase.
type worker struct {
	latencies []time.Duration
	errors    map[string]int
	shown     []string
}

// runPhase sends n requests, one worker per call, or fewer if limit passes
// or ctx ends first, and measures them.
func runPhase(ctx context.Context, calls []call, n int, limit time.Duration) Results {
	var claimed atomic.Int64
	deadline := time.Now().Add(limit)
	workers := make([]worker, len(calls))
	var wg sync.WaitGroup
	start := time.Now()
	for i, c := range calls {
		w := &workers[i]
		w.latencies = make([]time.Duration, 0, min(n/len(calls)+1, 1<<16))
		w.errors = map[string]int{}
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(deadline) && claimed.Add(1) <= int64(n) {
				rctx, cancel := context.WithTimeout(ctx, requestTimeout)
				t0 := time.Now()
				err := c(rctx)
				d := time.Since(t0)
				cancel()
				switch {
				case err == nil:
					w.latencies = append(w.latencies, d)
				case ctx.Err() != nil:
					return // interrupted: not a failure of the server
				default:
					w.errors[errorCode(err)]++
					if len(w.shown) < maxShownErrors {
						w.shown = append(w.shown, err.Error())
					}
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	r := Results{ErrorsByCode: map[string]int{}, Elapsed: elapsed.Seconds()}
	var all []time.Duration
	for _, w := range workers {
		all = append(all, w.latencies...)
		for code, k := range w.errors {
			r.ErrorsByCode[code] += k
			r.Errors += k
		}
		for _, s := range w.shown {
			if len(r.FirstErrors) < maxShownErrors {
				r.FirstErrors = append(r.FirstErrors, s)
			}
		}
	}
	r.OK = len(all)
	r.Requests = r.OK + r.Errors
	if elapsed > 0 {
		r.Throughput = float64(r.OK) / elapsed.Seconds()
	}
	slices.Sort(all)
	r.P50, r.P90, r.P99 = ms(percentile(all, 50)), ms(percentile(all, 90)), ms(percentile(all, 99))
	if len(all) > 0 {
		r.Max = ms(all[len(all)-1])
	}
	return r
}

// assumeRole makes one STS request: AssumeRole, or
// AssumeRoleWithWebIdentity when a token is given.
func assumeRole(ctx context.Context, c *sts.Client, opt options, sessionName string) error {
	if opt.webIdentityToken != "" {
		_, err := c.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(opt.roleARN), RoleSessionName: aws.String(sessionName), WebIdentityToken: aws.String(opt.webIdentityToken)})
		return err
	}
	in := &sts.AssumeRoleInput{RoleArn: aws.String(opt.roleARN), RoleSessionName: aws.String(sessionName)}
	if opt.externalID != "" {
		in.ExternalId = aws.String(opt.externalID)
	}
	_, err := c.AssumeRole(ctx, in)
	return err
}

// errItemNotFound is a GetItem answer without the item: the table or the
// key is wrong, and the figures would not be those of a read.
var errItemNotFound = errors.New("GetItem answered without the item")

// getItem returns a call reading opt's item with c.
func getItem(c *dynamodb.Client, opt options) call {
	return func(ctx context.Context) error {
		out, err := c.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String(opt.table),
			Key:       map[string]ddbtypes.AttributeValue{opt.keyAttribute: &ddbtypes.AttributeValueMemberS{Value: opt.key}},
		})
		if err != nil {
			return err
		}
		if len(out.Item) == 0 {
			return errItemNotFound
		}
		return nil
	}
}

// errorCode names a failure: the AWS error code, or the HTTP status when
// the body had none, "ItemNotFound" for a GetItem without its item, or
// "transport" when no response came.
func errorCode(err error) string {
	if errors.Is(err, errItemNotFound) {
		return "ItemNotFound"
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() != 0 {
		return "HTTP " + strconv.Itoa(re.HTTPStatusCode())
	}
	return "transport"
}

// percentile returns the nearest-rank p-th percentile of sorted values,
// or 0 when there are none.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(float64(len(sorted))*p/100)) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// print writes the results for a person.
func (r Results) print(w io.Writer) {
	fmt.Fprintf(w, "endpoint:    %s (concurrency %d)\n", r.Endpoint, r.Concurrency)
	fmt.Fprintf(w, "requests:    %d in %.2fs (%d ok, %d errors)\n", r.Requests, r.Elapsed, r.OK, r.Errors)
	codes := make([]string, 0, len(r.ErrorsByCode))
	for code := range r.ErrorsByCode {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	for _, code := range codes {
		fmt.Fprintf(w, "  error %-20s %d\n", code, r.ErrorsByCode[code])
	}
	fmt.Fprintf(w, "throughput:  %.1f req/s (successful)\n", r.Throughput)
	if r.OK == 0 {
		fmt.Fprintln(w, "latency:     n/a (no successful request)")
		return
	}
	fmt.Fprintf(w, "latency:     p50 %.3fms  p90 %.3fms  p99 %.3fms  max %.3fms\n", r.P50, r.P90, r.P99, r.Max)
}
