package eks

import (
	"context"
	"maps"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/eks"

	"github.com/assumed-dev/assumed/arn"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// Tags
//
// TagResource, UntagResource and ListTagsForResource work on every EKS
// resource `assumed` has: clusters, pod identity associations, access
// entries, add-ons, identity provider configs, node groups and Fargate
// profiles. They
// answer with EKS's errors for these operations, BadRequestException and
// NotFoundException (not the InvalidParameterException and
// ResourceNotFoundException of the other operations). Each is authorized
// on the resource's ARN, with its tags as aws:ResourceTag/…, and the
// request's tags as aws:RequestTag/… and aws:TagKeys.

func badRequest(msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "BadRequestException", Message: msg}
}

func tagsNotFound(resourceARN string) *Error {
	return &Error{Status: http.StatusNotFound, Code: "NotFoundException", Message: "Resource not found: " + resourceARN}
}

// tagged is a resource that has tags: a cluster, a pod identity
// association, or a resource of a cluster (kind and key).
type tagged struct {
	cluster *directory.Cluster
	assoc   *directory.PodIdentityAssociation
	sub     bool
	kind    resourceKind
	key     string
}

func (r tagged) tags() map[string]string {
	switch {
	case r.assoc != nil:
		return r.assoc.Tags
	case r.sub:
		_, tags, _ := findResource(r.cluster, r.kind, r.key)
		return tags
	}
	return r.cluster.Tags
}

// checkTaggableARN checks that a resource ARN is an EKS ARN of the
// caller's partition.
func checkTaggableARN(resourceARN string) (arn.ARN, error) {
	a, err := arn.Parse(resourceARN)
	if err != nil || a.Partition != "aws" || a.Service != "eks" || a.Region == "" || !arn.IsAccountID(a.AccountID) || a.ResourceType() == "" {
		return arn.ARN{}, badRequest("Invalid ARN: " + resourceARN + " is not the ARN of an EKS resource.")
	}
	return a, nil
}

// taggableKinds are the cluster resources by their ARNs' resource type.
var taggableKinds = map[string]resourceKind{
	"access-entry": kindAccessEntry, "addon": kindAddon, "identityproviderconfig": kindIdentityProviderConfig,
	"nodegroup": kindNodegroup, "fargateprofile": kindFargateProfile,
}

// findTagged finds the resource an ARN names, among the caller's
// resources in the caller's region.
func findTagged(snap *directory.Snapshot, caller *directory.Caller, a arn.ARN) (tagged, bool) {
	if a.AccountID != caller.AccountID || a.Region != region(caller) {
		return tagged{}, false
	}
	typ, rest, _ := strings.Cut(a.Resource, "/")
	switch typ {
	case "cluster":
		c, ok := snap.Clusters[directory.ClusterKey(a.AccountID, a.Region, rest)]
		return tagged{cluster: c}, ok
	case "podidentityassociation":
		cluster, id, _ := strings.Cut(rest, "/")
		pa, ok := snap.PodIdentityAssociations[id]
		if !ok || pa.ClusterKey() != directory.ClusterKey(a.AccountID, a.Region, cluster) {
			return tagged{}, false
		}
		return tagged{assoc: pa}, true
	}
	kind, ok := taggableKinds[typ]
	if !ok {
		return tagged{}, false
	}
	cluster, _, _ := strings.Cut(rest, "/")
	c, ok := snap.Clusters[directory.ClusterKey(a.AccountID, a.Region, cluster)]
	if !ok {
		return tagged{}, false
	}
	// The resource whose ARN this is, UUID and all.
	keys := map[resourceKind][]string{
		kindAccessEntry: sortedKeys(c.AccessEntries), kindAddon: sortedKeys(c.Addons), kindIdentityProviderConfig: sortedKeys(c.IdentityProviderConfigs),
		kindNodegroup: sortedKeys(c.Nodegroups), kindFargateProfile: sortedKeys(c.FargateProfiles),
	}[kind]
	for _, k := range keys {
		if resARN, _, _ := findResource(c, kind, k); resARN == a.String() {
			return tagged{cluster: c, sub: true, kind: kind, key: k}, true
		}
	}
	return tagged{}, false
}

// putTags stores a copy of the resource with new tags.
func putTags(t *directory.Txn, r tagged, tags map[string]string) error {
	if len(tags) == 0 {
		tags = nil
	}
	switch {
	case r.assoc != nil:
		cp := *r.assoc
		cp.Tags = tags
		return putAssociation(t, &cp)
	case !r.sub:
		cp := *r.cluster
		cp.Tags = tags
		return putCluster(t, &cp)
	}
	c := r.cluster.CloneResources()
	switch r.kind {
	case kindAccessEntry:
		e := *c.AccessEntries[r.key]
		e.Tags = tags
		c.AccessEntries[r.key] = &e
	case kindAddon:
		a := *c.Addons[r.key]
		a.Tags = tags
		c.Addons[r.key] = &a
	case kindIdentityProviderConfig:
		p := *c.IdentityProviderConfigs[r.key]
		p.Tags = tags
		c.IdentityProviderConfigs[r.key] = &p
	case kindNodegroup:
		n := *c.Nodegroups[r.key]
		n.Tags = tags
		c.Nodegroups[r.key] = &n
	case kindFargateProfile:
		f := *c.FargateProfiles[r.key]
		f.Tags = tags
		c.FargateProfiles[r.key] = &f
	}
	return putCluster(t, c)
}

// checkTags checks tags for TagResource.
func checkTags(tags map[string]string) error {
	if len(tags) == 0 {
		return badRequest("tags must hold at least one tag.")
	}
	if err := checkTagsMap(tags); err != nil {
		return badRequest(err.(*Error).Message)
	}
	return nil
}

// retag changes a resource's tags within a transaction.
func (s *Service) retag(ctx context.Context, caller *directory.Caller, resourceARN string, a arn.ARN, change func(map[string]string) (map[string]string, error)) error {
	return s.w.Update(ctx, func(t *directory.Txn) error {
		r, ok := findTagged(t.Snap, caller, a)
		if !ok {
			return tagsNotFound(resourceARN)
		}
		tags, err := change(maps.Clone(r.tags()))
		if err != nil {
			return err
		}
		return putTags(t, r, tags)
	})
}

// TagResource adds tags to a resource, or changes their values.
func (s *Service) TagResource(ctx context.Context, caller *directory.Caller, in *sdk.TagResourceInput) (*sdk.TagResourceOutput, error) {
	resourceARN := aws.ToString(in.ResourceArn)
	a, err := checkTaggableARN(resourceARN)
	if err != nil {
		return nil, err
	}
	snap := s.w.Directory().Snapshot()
	actx := tagContext(in.Tags)
	if r, ok := findTagged(snap, caller, a); ok {
		actx = withResourceTags(actx, r.tags())
	}
	if err := authorize(snap, caller, "eks:TagResource", resourceARN, actx); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	err = s.retag(ctx, caller, resourceARN, a, func(tags map[string]string) (map[string]string, error) {
		if tags == nil {
			tags = map[string]string{}
		}
		maps.Copy(tags, in.Tags)
		if len(tags) > maxAssocTags {
			return nil, badRequest("A resource can have at most 50 tags.")
		}
		return tags, nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.TagResourceOutput{}, nil
}

// UntagResource removes tags (by key) from a resource; keys it does
// not have are ignored.
func (s *Service) UntagResource(ctx context.Context, caller *directory.Caller, in *sdk.UntagResourceInput) (*sdk.UntagResourceOutput, error) {
	resourceARN := aws.ToString(in.ResourceArn)
	a, err := checkTaggableARN(resourceARN)
	if err != nil {
		return nil, err
	}
	snap := s.w.Directory().Snapshot()
	actx := tagKeysContext(in.TagKeys)
	if r, ok := findTagged(snap, caller, a); ok {
		actx = withResourceTags(actx, r.tags())
	}
	if err := authorize(snap, caller, "eks:UntagResource", resourceARN, actx); err != nil {
		return nil, err
	}
	if len(in.TagKeys) == 0 {
		return nil, badRequest("tagKeys must hold at least one key.")
	}
	for _, k := range in.TagKeys {
		if k == "" || len(k) > 128 {
			return nil, badRequest("Tag keys must be 1-128 characters.")
		}
	}
	err = s.retag(ctx, caller, resourceARN, a, func(tags map[string]string) (map[string]string, error) {
		for _, k := range in.TagKeys {
			delete(tags, k)
		}
		return tags, nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.UntagResourceOutput{}, nil
}

// ListTagsForResource lists a resource's tags.
func (s *Service) ListTagsForResource(_ context.Context, caller *directory.Caller, in *sdk.ListTagsForResourceInput) (*sdk.ListTagsForResourceOutput, error) {
	resourceARN := aws.ToString(in.ResourceArn)
	a, err := checkTaggableARN(resourceARN)
	if err != nil {
		return nil, err
	}
	snap := s.w.Directory().Snapshot()
	r, found := findTagged(snap, caller, a)
	var actx *policy.Context
	if found {
		actx = withResourceTags(nil, r.tags())
	}
	if err := authorize(snap, caller, "eks:ListTagsForResource", resourceARN, actx); err != nil {
		return nil, err
	}
	if !found {
		return nil, tagsNotFound(resourceARN)
	}
	out := &sdk.ListTagsForResourceOutput{Tags: map[string]string{}}
	maps.Copy(out.Tags, r.tags())
	return out, nil
}
