package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/assumed-dev/assumed/internal/awsclient"
	"github.com/assumed-dev/assumed/internal/eks"
)

// clientFlags are the flags every client command has: where the
// credentials and the server are, as the AWS CLI finds them.
type clientFlags struct {
	profile, region, endpoint string
}

func (f *clientFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.profile, "profile", "", "AWS profile to sign with (default: AWS_PROFILE, then the default chain)")
	cmd.Flags().StringVar(&f.region, "region", "", "region (default: AWS_REGION or the profile's)")
	cmd.Flags().StringVar(&f.endpoint, "endpoint", "", "the assumed server's URL (default: AWS_ENDPOINT_URL_EKS, then AWS_ENDPOINT_URL)")
}

func (f *clientFlags) client(ctx context.Context, service string) (*awsclient.Client, error) {
	return awsclient.New(ctx, awsclient.Options{Profile: f.profile, Region: f.region, Endpoint: f.endpoint, Service: service})
}

func newTokenCommand(s streams) *cobra.Command {
	var cf clientFlags
	var cluster, namespace, serviceAccount, pod, node string
	var audiences []string
	var expires time.Duration
	cmd := &cobra.Command{
		Use:   "token --cluster NAME --namespace NS --service-account SA",
		Short: "Print a projected service-account token of a simulated cluster",
		Long: `Print a service-account token (a JWT) signed by the OIDC issuer of one of
assumed's simulated EKS clusters, shaped like the token Kubernetes projects
into a pod. Write it to a file and point AWS_WEB_IDENTITY_TOKEN_FILE (or a
profile's web_identity_token_file) at it for IRSA; use --audience
pods.eks.amazonaws.com for EKS Pod Identity.

The server keeps the signing keys: this command asks it for a token, signed
with your AWS credentials, which need eks:AccessKubernetesApi on the cluster.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cluster == "" || namespace == "" || serviceAccount == "" {
				return usageError(errors.New("--cluster, --namespace and --service-account are required"))
			}
			ctx := cmd.Context()
			c, err := cf.client(ctx, "eks")
			if err != nil {
				return inputError(err)
			}
			in := eks.TokenRequest{Namespace: namespace, ServiceAccount: serviceAccount, Audiences: audiences, ExpirationSeconds: int64(expires.Seconds()), PodName: pod, NodeName: node}
			var out eks.TokenResponse
			if err := c.PostJSON(ctx, "eks", "/_assumed/clusters/"+url.PathEscape(cluster)+"/token", in, &out); err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			// Token files must hold the token alone: the SDKs send the
			// file's content as a header, where a newline is illegal. Only
			// a terminal gets one.
			if isTerminal(s.out) {
				fmt.Fprintln(s.out, out.Token)
			} else {
				fmt.Fprint(s.out, out.Token)
			}
			return nil
		},
	}
	cf.add(cmd)
	cmd.Flags().StringVar(&cluster, "cluster", "", "cluster name (required)")
	cmd.Flags().StringVar(&namespace, "namespace", "", "Kubernetes namespace of the service account (required)")
	cmd.Flags().StringVar(&serviceAccount, "service-account", "", "service account name (required)")
	cmd.Flags().StringSliceVar(&audiences, "audience", nil, "token audience, repeatable (default sts.amazonaws.com)")
	cmd.Flags().StringVar(&pod, "pod", "", "pod the token is bound to (adds the kubernetes.io pod claims)")
	cmd.Flags().StringVar(&node, "node", "", "node the pod runs on")
	cmd.Flags().DurationVar(&expires, "expires", eks.DefaultTokenLifetime, "token lifetime (10m to 48h)")
	return cmd
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
