package main

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/spf13/cobra"
)

func newClusterCommand(s streams) *cobra.Command {
	cmd := groupCommand(&cobra.Command{
		Use:   "cluster",
		Short: "Manage the simulated EKS clusters' OIDC issuers",
	})
	cmd.AddCommand(newRotateSigningKeyCommand(s))
	return cmd
}

func newRotateSigningKeyCommand(s streams) *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "rotate-signing-key NAME",
		Short: "Give a cluster's OIDC issuer a new signing key",
		Long: `Give a cluster's OIDC issuer a new current signing key. New tokens are
signed with it; the old key stays in the issuer's JWKS for 48 hours, the
longest a token lives, so tokens it signed keep verifying until they
expire. The request is signed with your AWS credentials, which need
eks:UpdateClusterConfig on the cluster. It prints the new key's ID (kid).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if args[0] == "" {
				return usageError(errors.New("the cluster name is empty"))
			}
			ctx := cmd.Context()
			c, err := cf.client(ctx, "eks")
			if err != nil {
				return inputError(err)
			}
			var out struct {
				KeyID string `json:"keyId"`
			}
			if err := c.PostJSON(ctx, "eks", "/_assumed/clusters/"+url.PathEscape(args[0])+"/rotate-signing-key", struct{}{}, &out); err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			fmt.Fprintln(s.out, out.KeyID)
			return nil
		},
	}
	cf.add(cmd)
	return cmd
}
