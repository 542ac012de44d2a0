// Package awsclient is the client side of assumed's own command-line
// tools (`assumed token`, `assumed agent`): it finds credentials, region
// and endpoint the way the AWS CLI does, and makes SigV4-signed JSON
// calls to REST-JSON endpoints that no AWS SDK module covers.
package awsclient

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
)

// Client signs requests with the resolved credentials.
type Client struct {
	Config   aws.Config
	Endpoint string // base URL, without a trailing slash
	HTTP     *http.Client
	signer   *v4.Signer
}

// Options say where to find credentials and the endpoint; empty fields
// fall back to the AWS environment (AWS_PROFILE, AWS_REGION,
// AWS_ENDPOINT_URL, the shared config and credentials files).
type Options struct {
	Profile  string
	Region   string
	Endpoint string
	// Service is the signing name, for the service-specific endpoint
	// variable (AWS_ENDPOINT_URL_EKS for "eks", AWS_ENDPOINT_URL_EKS_AUTH
	// for "eks-auth").
	Service string
}

// New resolves the configuration. EC2 instance metadata (IMDS) is not
// asked, for credentials or anything else: its credentials are never an
// assumed server's, and off EC2 the SDK would wait for it. When nothing
// else provides credentials, New fails with *NoCredentialsError at once.
func New(ctx context.Context, opt Options) (*Client, error) {
	loaders := []func(*config.LoadOptions) error{config.WithEC2IMDSClientEnableState(imds.ClientDisabled)}
	if opt.Profile != "" {
		loaders = append(loaders, config.WithSharedConfigProfile(opt.Profile))
	}
	if opt.Region != "" {
		loaders = append(loaders, config.WithRegion(opt.Region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loaders...)
	var missing config.SharedConfigProfileNotExistError
	if errors.As(err, &missing) {
		return nil, fmt.Errorf("no AWS profile %q in %s or %s: for an assumed server, set AWS_SHARED_CREDENTIALS_FILE=DATA-DIR/credentials, whose profiles are named after the accounts",
			missing.Profile, sharedFile("AWS_SHARED_CREDENTIALS_FILE", "credentials"), sharedFile("AWS_CONFIG_FILE", "config"))
	}
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	// The SDK's default chain ends at IMDS: reaching it means that no
	// flag, variable or profile gave credentials.
	if cfg.Credentials == nil || aws.IsCredentialsProvider(cfg.Credentials, &ec2rolecreds.Provider{}) {
		profile := opt.Profile
		if profile == "" {
			profile = os.Getenv("AWS_PROFILE")
		}
		return nil, &NoCredentialsError{Profile: profile}
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	endpoint := opt.Endpoint
	if endpoint == "" && opt.Service != "" {
		endpoint = os.Getenv("AWS_ENDPOINT_URL_" + strings.ToUpper(strings.ReplaceAll(opt.Service, "-", "_")))
	}
	if endpoint == "" && cfg.BaseEndpoint != nil {
		endpoint = *cfg.BaseEndpoint
	}
	if endpoint == "" {
		endpoint = os.Getenv("AWS_ENDPOINT_URL")
	}
	if endpoint == "" {
		return nil, errors.New("no endpoint: pass --endpoint or set AWS_ENDPOINT_URL to the assumed server's URL")
	}
	return &Client{Config: cfg, Endpoint: strings.TrimRight(endpoint, "/"), HTTP: &http.Client{Timeout: 30 * time.Second}, signer: v4.NewSigner()}, nil
}

// NoCredentialsError says that no credentials were found: no
// AWS_ACCESS_KEY_ID, and no profile with keys or another source.
type NoCredentialsError struct {
	// Profile is the profile named (by --profile or AWS_PROFILE), if any.
	Profile string
}

// sharedFile names the shared file the variable env points at, else
// ~/.aws/name.
func sharedFile(env, name string) string {
	if f := os.Getenv(env); f != "" {
		return f
	}
	return "~/.aws/" + name
}

func (e *NoCredentialsError) Error() string {
	file := sharedFile("AWS_SHARED_CREDENTIALS_FILE", "credentials")
	if e.Profile != "" {
		return fmt.Sprintf("no AWS credentials: profile %q has none (the shared credentials file is %s): name a profile of the assumed data dir's credentials file, with AWS_SHARED_CREDENTIALS_FILE=DATA-DIR/credentials and --profile NAME, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", e.Profile, file)
	}
	return fmt.Sprintf("no AWS credentials: pass --profile NAME, a profile of the assumed data dir's credentials file (with AWS_SHARED_CREDENTIALS_FILE=DATA-DIR/credentials; the file now is %s), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", file)
}

// APIError is an error answered by the server.
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s (HTTP %d): %s", e.Code, e.Status, e.Message)
}

// PostJSON posts in as JSON to path, signed for service, and decodes the
// answer into out. An error answer is an *APIError.
func (c *Client) PostJSON(ctx context.Context, service, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("encode request: %w", err)
	}
	return c.do(ctx, http.MethodPost, service, path, body, out, 1<<20)
}

// GetJSON gets path, signed for service, and decodes the answer (up to
// 1 GiB: a whole organisation's access graph) into out. An error answer
// is an *APIError.
func (c *Client) GetJSON(ctx context.Context, service, path string, out any) error {
	return c.do(ctx, http.MethodGet, service, path, nil, out, 1<<30)
}

// do sends one signed request and decodes its JSON answer.
func (c *Client) do(ctx context.Context, method, service, path string, body []byte, out any, limit int64) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Endpoint+path, rd)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if err := c.Sign(ctx, req, body, service); err != nil {
		return err
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err // a *url.Error names the method and URL
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return fmt.Errorf("read the answer of %s: %w", path, err)
	}
	if resp.StatusCode/100 != 2 {
		ae := &APIError{Status: resp.StatusCode, Code: resp.Header.Get("X-Amzn-ErrorType")}
		var m struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		}
		if json.Unmarshal(b, &m) == nil {
			ae.Message = m.Message
			if ae.Code == "" {
				ae.Code = m.Code
			}
		}
		if ae.Code == "" {
			ae.Code = http.StatusText(resp.StatusCode)
		}
		if i := strings.IndexByte(ae.Code, ':'); i >= 0 {
			ae.Code = ae.Code[:i]
		}
		return ae
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("decode the answer of %s: %w", path, err)
	}
	return nil
}

// Sign signs req (whose body is body) for service with the resolved
// credentials.
func (c *Client) Sign(ctx context.Context, req *http.Request, body []byte, service string) error {
	cr, err := c.Config.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("get AWS credentials: %w", err)
	}
	sum := sha256.Sum256(body)
	if err := c.signer.SignHTTP(ctx, cr, req, hex.EncodeToString(sum[:]), service, c.Config.Region, time.Now()); err != nil {
		return fmt.Errorf("sign request: %w", err)
	}
	return nil
}

// FromConfig returns a client signing with an existing SDK configuration.
func FromConfig(cfg aws.Config, endpoint string) *Client {
	return &Client{Config: cfg, Endpoint: strings.TrimRight(endpoint, "/"), HTTP: &http.Client{Timeout: 30 * time.Second}, signer: v4.NewSigner()}
}
