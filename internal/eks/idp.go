package eks

import (
	"context"
	"maps"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/assumed-dev/assumed/internal/directory"
)

// Identity provider configs
//
// An OIDC identity provider associated with a cluster lets its users
// authenticate to the Kubernetes API (here: nothing answers it). A cluster
// has at most one. Associating and disassociating are updates of the
// cluster, which complete at once: the config is ACTIVE (or gone) when the
// call returns.

// identityProviderTypeOIDC is the only identity provider type.
const identityProviderTypeOIDC = "oidc"

// maxIdentityProviderConfigs is EKS's quota per cluster.
const maxIdentityProviderConfigs = 1

func identityProviderNotFound(cluster, name string) *Error {
	return notFound(cluster, "No identity provider config found for name: %s in cluster: %s", name, cluster)
}

// describeIdentityProviderConfig is the config as EKS describes it.
func describeIdentityProviderConfig(c *directory.Cluster, p *directory.IdentityProviderConfig, status types.ConfigStatus) *types.OidcIdentityProviderConfig {
	out := &types.OidcIdentityProviderConfig{
		IdentityProviderConfigName: aws.String(p.Name), IdentityProviderConfigArn: aws.String(p.ARN), ClusterName: aws.String(c.Name),
		IssuerUrl: aws.String(p.IssuerURL), ClientId: aws.String(p.ClientID), Status: status, Tags: maps.Clone(p.Tags),
		RequiredClaims: maps.Clone(p.RequiredClaims),
	}
	if out.Tags == nil {
		out.Tags = map[string]string{}
	}
	if out.RequiredClaims == nil {
		out.RequiredClaims = map[string]string{}
	}
	for _, f := range []struct {
		dst **string
		v   string
	}{{&out.UsernameClaim, p.UsernameClaim}, {&out.UsernamePrefix, p.UsernamePrefix}, {&out.GroupsClaim, p.GroupsClaim}, {&out.GroupsPrefix, p.GroupsPrefix}} {
		if f.v != "" {
			*f.dst = aws.String(f.v)
		}
	}
	return out
}

// identityProviderParam is the IdentityProviderConfig parameter of an
// association update.
func identityProviderParam(name string) directory.ClusterUpdateParam {
	return updateParam(types.UpdateParamTypeIdentityProviderConfig, jsonValue([]map[string]string{{"type": identityProviderTypeOIDC, "name": name}}))
}

// checkOIDCRequest checks an OIDC identity provider config request.
func checkOIDCRequest(o *types.OidcIdentityProviderConfigRequest) error {
	if o == nil {
		return invalidParameter("oidc is required.")
	}
	if err := checkResourceName("identityProviderConfigName", aws.ToString(o.IdentityProviderConfigName), 100); err != nil {
		return err
	}
	issuer := aws.ToString(o.IssuerUrl)
	u, err := url.Parse(issuer)
	if issuer == "" || err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return invalidParameter("issuerUrl %q is invalid: it must be an https URL.", issuer)
	}
	if id := aws.ToString(o.ClientId); id == "" || len(id) > 255 {
		return invalidParameter("clientId is required (at most 255 characters).")
	}
	for _, v := range []*string{o.UsernameClaim, o.UsernamePrefix, o.GroupsClaim, o.GroupsPrefix} {
		if len(aws.ToString(v)) > 255 {
			return invalidParameter("Claims and prefixes must be at most 255 characters.")
		}
	}
	if len(o.RequiredClaims) > 10 {
		return invalidParameter("requiredClaims can have at most 10 claims.")
	}
	for k, v := range o.RequiredClaims {
		if k == "" || len(k) > 63 || v == "" || len(v) > 253 {
			return invalidParameter("requiredClaims keys must be 1-63 characters and values 1-253.")
		}
	}
	return nil
}

// checkIdentityProviderConfig checks the identity provider config named
// in a request and returns its name.
func checkIdentityProviderConfig(p *types.IdentityProviderConfig) (string, error) {
	if p == nil || aws.ToString(p.Name) == "" {
		return "", invalidParameter("identityProviderConfig needs a name and a type.")
	}
	if aws.ToString(p.Type) != identityProviderTypeOIDC {
		return "", invalidParameter("The identity provider config type %q is not supported: the type is oidc.", aws.ToString(p.Type))
	}
	return *p.Name, nil
}

// AssociateIdentityProviderConfig associates an OIDC identity provider
// with a cluster.
func (s *Service) AssociateIdentityProviderConfig(ctx context.Context, caller *directory.Caller, in *sdk.AssociateIdentityProviderConfigInput) (*sdk.AssociateIdentityProviderConfigOutput, error) {
	name := aws.ToString(in.ClusterName)
	actx := tagContext(in.Tags)
	if o := in.Oidc; o != nil {
		actx = contextWith(actx, "eks:issuerUrl", aws.ToString(o.IssuerUrl))
		actx = contextWith(actx, "eks:clientId", aws.ToString(o.ClientId))
	}
	snap := s.w.Directory().Snapshot()
	if err := authorizeCluster(snap, caller, "eks:AssociateIdentityProviderConfig", name, actx); err != nil {
		return nil, err
	}
	if err := checkOIDCRequest(in.Oidc); err != nil {
		return nil, err
	}
	if err := checkTagsMap(in.Tags); err != nil {
		return nil, err
	}
	o := in.Oidc
	config := *o.IdentityProviderConfigName
	u, err := s.startUpdate(ctx, caller, name, aws.ToString(in.ClientRequestToken), func(c *directory.Cluster) (*clusterChange, error) {
		if _, ok := c.IdentityProviderConfigs[config]; ok {
			return nil, resourceInUse(name, "Identity provider config %s is already associated with cluster %s.", config, name)
		}
		if len(c.IdentityProviderConfigs) >= maxIdentityProviderConfigs {
			return nil, &Error{Status: 400, Code: "ResourceLimitExceededException", Message: "A cluster can have only one identity provider config associated with it.", ClusterName: name}
		}
		p := &directory.IdentityProviderConfig{
			Name: config, Type: identityProviderTypeOIDC, IssuerURL: *o.IssuerUrl, ClientID: *o.ClientId,
			ARN:           subARN(c.Region, c.AccountID, kindIdentityProviderConfig, c.Name, resourceName(kindIdentityProviderConfig, config), newResourceID()),
			UsernameClaim: aws.ToString(o.UsernameClaim), UsernamePrefix: aws.ToString(o.UsernamePrefix),
			GroupsClaim: aws.ToString(o.GroupsClaim), GroupsPrefix: aws.ToString(o.GroupsPrefix),
			RequiredClaims: maps.Clone(o.RequiredClaims), Tags: maps.Clone(in.Tags), CreatedAt: s.stamp(),
		}
		return &clusterChange{
			typ: types.UpdateTypeAssociateIdentityProviderConfig, params: []directory.ClusterUpdateParam{identityProviderParam(config)},
			apply: func(c *directory.Cluster) error { c.IdentityProviderConfigs[config] = p; return nil },
		}, nil
	})
	if err != nil {
		return nil, err
	}
	tags := maps.Clone(in.Tags)
	if tags == nil {
		tags = map[string]string{}
	}
	return &sdk.AssociateIdentityProviderConfigOutput{Update: u, Tags: tags}, nil
}

// DescribeIdentityProviderConfig describes an identity provider config.
func (s *Service) DescribeIdentityProviderConfig(_ context.Context, caller *directory.Caller, in *sdk.DescribeIdentityProviderConfigInput) (*sdk.DescribeIdentityProviderConfigOutput, error) {
	name := aws.ToString(in.ClusterName)
	config, err := checkIdentityProviderConfig(in.IdentityProviderConfig)
	snap := s.w.Directory().Snapshot()
	if aerr := authorizeResource(snap, caller, "eks:DescribeIdentityProviderConfig", kindIdentityProviderConfig, name, config, nil); aerr != nil {
		return nil, aerr
	}
	if err != nil {
		return nil, err
	}
	c, err := s.lookup(snap, caller, name)
	if err != nil {
		return nil, err
	}
	p, ok := c.IdentityProviderConfigs[config]
	if !ok {
		return nil, identityProviderNotFound(name, config)
	}
	return &sdk.DescribeIdentityProviderConfigOutput{IdentityProviderConfig: &types.IdentityProviderConfigResponse{Oidc: describeIdentityProviderConfig(c, p, types.ConfigStatusActive)}}, nil
}

// identityProvidersTokenPrefix starts ListIdentityProviderConfigs' page
// tokens.
const identityProvidersTokenPrefix = "i1."

// ListIdentityProviderConfigs lists a cluster's identity provider
// configs.
func (s *Service) ListIdentityProviderConfigs(_ context.Context, caller *directory.Caller, in *sdk.ListIdentityProviderConfigsInput) (*sdk.ListIdentityProviderConfigsOutput, error) {
	page, next, err := s.listClusterNames(caller, "eks:ListIdentityProviderConfigs", aws.ToString(in.ClusterName), func(c *directory.Cluster) []string { return sortedKeys(c.IdentityProviderConfigs) }, in.MaxResults, aws.ToString(in.NextToken), identityProvidersTokenPrefix)
	if err != nil {
		return nil, err
	}
	out := &sdk.ListIdentityProviderConfigsOutput{IdentityProviderConfigs: []types.IdentityProviderConfig{}, NextToken: next}
	for _, n := range page {
		out.IdentityProviderConfigs = append(out.IdentityProviderConfigs, types.IdentityProviderConfig{Name: aws.String(n), Type: aws.String(identityProviderTypeOIDC)})
	}
	return out, nil
}

// DisassociateIdentityProviderConfig removes an identity provider config
// from a cluster.
func (s *Service) DisassociateIdentityProviderConfig(ctx context.Context, caller *directory.Caller, in *sdk.DisassociateIdentityProviderConfigInput) (*sdk.DisassociateIdentityProviderConfigOutput, error) {
	name := aws.ToString(in.ClusterName)
	config, err := checkIdentityProviderConfig(in.IdentityProviderConfig)
	snap := s.w.Directory().Snapshot()
	if aerr := authorizeResource(snap, caller, "eks:DisassociateIdentityProviderConfig", kindIdentityProviderConfig, name, config, nil); aerr != nil {
		return nil, aerr
	}
	if err != nil {
		return nil, err
	}
	u, err := s.startUpdate(ctx, caller, name, aws.ToString(in.ClientRequestToken), func(c *directory.Cluster) (*clusterChange, error) {
		if _, ok := c.IdentityProviderConfigs[config]; !ok {
			return nil, identityProviderNotFound(name, config)
		}
		return &clusterChange{
			typ: types.UpdateTypeDisassociateIdentityProviderConfig, params: []directory.ClusterUpdateParam{identityProviderParam(config)},
			apply: func(c *directory.Cluster) error { delete(c.IdentityProviderConfigs, config); return nil },
		}, nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.DisassociateIdentityProviderConfigOutput{Update: u}, nil
}
