package eks

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/store"
	"github.com/assumed-dev/assumed/policy"
)

// EKS Pod Identity associations
//
// An association maps a service account of a cluster to an IAM role; with
// a target role, EKS Auth chains from that role into the target (often in
// another account), passing the association's external ID. The
// operations are EKS's, with its validation and error codes; creating or
// updating an association also needs iam:PassRole on its role, as in AWS.

const (
	kindAssociation = "eks-podidentityassociation"
	// maxSessionPolicy is the longest association policy (an STS session
	// policy).
	maxSessionPolicy = 2048
	maxAssocTags     = 50
)

// decodeAssociation loads a stored association.
func decodeAssociation(r store.Record, snap *directory.Snapshot) error {
	var a directory.PodIdentityAssociation
	if err := json.Unmarshal(r.Data, &a); err != nil {
		return fmt.Errorf("decode pod identity association %s: %w", r.ID, err)
	}
	snap.PodIdentityAssociations[a.ID] = &a
	return nil
}

func associationARN(region, account, cluster, id string) string {
	return "arn:aws:eks:" + region + ":" + account + ":podidentityassociation/" + cluster + "/" + id
}

var associationIDPattern = regexp.MustCompile(`^a-[a-z0-9]{17}$`)

// newAssociationID returns "a-" and 17 lower-case letters and digits, as
// EKS's association IDs look.
func newAssociationID() (string, error) {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 17)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("association ID: %w", err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "a-" + string(b), nil
}

// externalID is the ExternalId EKS passes when it assumes an
// association's target role: REGION/ACCOUNT/CLUSTER/NAMESPACE/SERVICEACCOUNT.
func externalID(a *directory.PodIdentityAssociation) string {
	return a.Region + "/" + a.AccountID + "/" + a.ClusterName + "/" + a.Namespace + "/" + a.ServiceAccount
}

// checkRoleARN checks that a value is an IAM role ARN.
func checkRoleARN(field, v string) error {
	if !strings.HasPrefix(v, "arn:aws:iam::") || !strings.Contains(v, ":role/") || len(v) > 2048 {
		return invalidParameter("%s %q is not the ARN of an IAM role.", field, v)
	}
	return nil
}

// checkAssociationPolicy validates an association's session policy.
func checkAssociationPolicy(doc string, disableSessionTags bool) error {
	if doc == "" {
		return nil
	}
	if !disableSessionTags {
		return invalidParameter("A policy can only be set on a pod identity association whose disableSessionTags is true.")
	}
	if len(doc) > maxSessionPolicy {
		return invalidParameter("The policy is %d characters long; the limit is %d.", len(doc), maxSessionPolicy)
	}
	if _, err := policy.Parse(doc, policy.Session); err != nil {
		return invalidParameter("The policy is not a valid IAM policy: %v", err)
	}
	return nil
}

func checkTagsMap(tags map[string]string) error {
	if len(tags) > maxAssocTags {
		return invalidParameter("A resource can have at most %d tags.", maxAssocTags)
	}
	for k, v := range tags {
		if k == "" || len(k) > 128 || len(v) > 256 {
			return invalidParameter("Tag keys must be 1-128 characters and values at most 256.")
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return invalidParameter("Tag keys starting with aws: are reserved.")
		}
	}
	return nil
}

// describeAssociation is the association as EKS returns it.
func describeAssociation(a *directory.PodIdentityAssociation) *types.PodIdentityAssociation {
	out := &types.PodIdentityAssociation{
		AssociationArn: aws.String(a.ARN), AssociationId: aws.String(a.ID), ClusterName: aws.String(a.ClusterName),
		Namespace: aws.String(a.Namespace), ServiceAccount: aws.String(a.ServiceAccount), RoleArn: aws.String(a.RoleARN),
		CreatedAt: aws.Time(a.CreatedAt), ModifiedAt: aws.Time(a.ModifiedAt), DisableSessionTags: aws.Bool(a.DisableSessionTags),
		Tags: a.Tags,
	}
	if out.Tags == nil {
		out.Tags = map[string]string{}
	}
	if a.TargetRoleARN != "" {
		out.TargetRoleArn = aws.String(a.TargetRoleARN)
		out.ExternalId = aws.String(a.ExternalID)
	}
	if a.Policy != "" {
		out.Policy = aws.String(a.Policy)
	}
	if a.OwnerARN != "" {
		out.OwnerArn = aws.String(a.OwnerARN)
	}
	return out
}

// association finds an association of a cluster of the caller.
func (s *Service) association(snap *directory.Snapshot, caller *directory.Caller, cluster, id string) (*directory.Cluster, *directory.PodIdentityAssociation, error) {
	c, err := s.lookup(snap, caller, cluster)
	if err != nil {
		return nil, nil, err
	}
	a, ok := snap.PodIdentityAssociations[id]
	if !ok || a.ClusterKey() != directory.ClusterKey(c.AccountID, c.Region, c.Name) {
		return nil, nil, &Error{Status: http.StatusNotFound, Code: "ResourceNotFoundException", Message: "Association " + id + " not found in cluster " + cluster + "."}
	}
	return c, a, nil
}

// associationTagContext is the authorization context of an action on an
// association: its tags as aws:ResourceTag/… when it exists.
func associationTagContext(snap *directory.Snapshot, caller *directory.Caller, cluster, id string) *policy.Context {
	a, ok := snap.PodIdentityAssociations[id]
	if !ok || a.ClusterKey() != directory.ClusterKey(caller.AccountID, region(caller), cluster) {
		return nil
	}
	return withResourceTags(nil, a.Tags)
}

// CreatePodIdentityAssociation associates a service account with a role.
func (s *Service) CreatePodIdentityAssociation(ctx context.Context, caller *directory.Caller, in *sdk.CreatePodIdentityAssociationInput) (*sdk.CreatePodIdentityAssociationOutput, error) {
	name := aws.ToString(in.ClusterName)
	ns, sa, role := aws.ToString(in.Namespace), aws.ToString(in.ServiceAccount), aws.ToString(in.RoleArn)
	switch {
	case ns == "":
		return nil, invalidParameter("namespace is required.")
	case sa == "":
		return nil, invalidParameter("serviceAccount is required.")
	case role == "":
		return nil, invalidParameter("roleArn is required.")
	}
	if len(ns) > 63 || !dns1123Label.MatchString(ns) {
		return nil, invalidParameter("namespace %q is not a valid Kubernetes namespace name.", ns)
	}
	if len(sa) > 253 || !dns1123Subdomain.MatchString(sa) {
		return nil, invalidParameter("serviceAccount %q is not a valid Kubernetes service account name.", sa)
	}
	if err := checkRoleARN("roleArn", role); err != nil {
		return nil, err
	}
	target := aws.ToString(in.TargetRoleArn)
	if target != "" {
		if err := checkRoleARN("targetRoleArn", target); err != nil {
			return nil, err
		}
	}
	disable := aws.ToBool(in.DisableSessionTags)
	if err := checkAssociationPolicy(aws.ToString(in.Policy), disable); err != nil {
		return nil, err
	}
	if err := checkTagsMap(in.Tags); err != nil {
		return nil, err
	}
	snap := s.w.Directory().Snapshot()
	reg := region(caller)
	if err := authorize(snap, caller, "eks:CreatePodIdentityAssociation", clusterARN(reg, caller.AccountID, name), clusterTagContext(snap, caller, name, tagContext(in.Tags))); err != nil {
		return nil, err
	}
	if err := authorize(snap, caller, "iam:PassRole", role, nil); err != nil {
		return nil, err
	}
	id, err := newAssociationID()
	if err != nil {
		return nil, err
	}
	token := aws.ToString(in.ClientRequestToken)
	var created *directory.PodIdentityAssociation
	err = s.w.Update(ctx, func(t *directory.Txn) error {
		c, err := s.lookup(t.Snap, caller, name)
		if err != nil {
			return err
		}
		if existing, ok := associationOf(t.Snap, directory.ClusterKey(c.AccountID, c.Region, c.Name), ns, sa); ok {
			// A retry with the same client request token and the same
			// request answers with what the first call created.
			if token != "" && existing.ClientRequestToken == token && existing.RoleARN == role && existing.TargetRoleARN == target && existing.DisableSessionTags == disable && existing.Policy == aws.ToString(in.Policy) {
				created = existing
				return nil
			}
			return associationInUse(name, existing)
		}
		a := s.newAssociation(c, id, ns, sa, role)
		a.TargetRoleARN, a.DisableSessionTags, a.Policy = target, disable, aws.ToString(in.Policy)
		a.Tags, a.ClientRequestToken = maps.Clone(in.Tags), token
		if target != "" {
			a.ExternalID = externalID(a)
		}
		created = a
		return putAssociation(t, a)
	})
	if err != nil {
		return nil, err
	}
	return &sdk.CreatePodIdentityAssociationOutput{Association: describeAssociation(created)}, nil
}

// newAssociation is a new association of a service account of cluster c
// with a role.
func (s *Service) newAssociation(c *directory.Cluster, id, ns, sa, role string) *directory.PodIdentityAssociation {
	now := s.now().UTC().Truncate(time.Millisecond)
	return &directory.PodIdentityAssociation{
		ID: id, ARN: associationARN(c.Region, c.AccountID, c.Name, id), AccountID: c.AccountID, Region: c.Region, ClusterName: c.Name,
		Namespace: ns, ServiceAccount: sa, RoleARN: role, CreatedAt: now, ModifiedAt: now,
	}
}

// putAssociation stores an association in a transaction.
func putAssociation(t *directory.Txn, a *directory.PodIdentityAssociation) error {
	t.Snap.PodIdentityAssociations[a.ID] = a
	return t.Put(kindAssociation, a.AccountID, a.ID, a)
}

// deleteAssociation deletes an association in a transaction.
func deleteAssociation(t *directory.Txn, a *directory.PodIdentityAssociation) {
	delete(t.Snap.PodIdentityAssociations, a.ID)
	t.Del(kindAssociation, a.AccountID, a.ID)
}

// associationOf finds the association of a service account of a cluster
// without the snapshot's index, which a transaction's own writes would
// leave behind.
func associationOf(snap *directory.Snapshot, clusterKey, ns, sa string) (*directory.PodIdentityAssociation, bool) {
	for _, a := range snap.PodIdentityAssociations {
		if a.ClusterKey() == clusterKey && a.Namespace == ns && a.ServiceAccount == sa {
			return a, true
		}
	}
	return nil, false
}

// associationInUse is the error for a service account that has an
// association.
func associationInUse(cluster string, existing *directory.PodIdentityAssociation) *Error {
	return resourceInUse(cluster, "Association already exists: %s for namespace %s and service account %s.", existing.ID, existing.Namespace, existing.ServiceAccount)
}

// tagContext holds aws:RequestTag/… and aws:TagKeys for tags in a
// request.
func tagContext(tags map[string]string) *policy.Context {
	if len(tags) == 0 {
		return nil
	}
	ctx := policy.NewContext()
	keys := make([]string, 0, len(tags))
	for k, v := range tags {
		ctx.Set("aws:RequestTag/"+k, v)
		keys = append(keys, k)
	}
	ctx.SetMulti("aws:TagKeys", keys...)
	return ctx
}

// tagKeysContext holds aws:TagKeys for the tag keys of a request.
func tagKeysContext(keys []string) *policy.Context {
	if len(keys) == 0 {
		return nil
	}
	ctx := policy.NewContext()
	ctx.SetMulti("aws:TagKeys", keys...)
	return ctx
}

// DescribePodIdentityAssociation describes one association.
func (s *Service) DescribePodIdentityAssociation(_ context.Context, caller *directory.Caller, in *sdk.DescribePodIdentityAssociationInput) (*sdk.DescribePodIdentityAssociationOutput, error) {
	snap := s.w.Directory().Snapshot()
	name, id := aws.ToString(in.ClusterName), aws.ToString(in.AssociationId)
	resource := associationARN(region(caller), caller.AccountID, name, id)
	if err := authorize(snap, caller, "eks:DescribePodIdentityAssociation", resource, associationTagContext(snap, caller, name, id)); err != nil {
		return nil, err
	}
	_, a, err := s.association(snap, caller, name, id)
	if err != nil {
		return nil, err
	}
	return &sdk.DescribePodIdentityAssociationOutput{Association: describeAssociation(a)}, nil
}

// ListPodIdentityAssociations lists a cluster's associations, optionally
// filtered by namespace and service account, in pages.
func (s *Service) ListPodIdentityAssociations(_ context.Context, caller *directory.Caller, in *sdk.ListPodIdentityAssociationsInput) (*sdk.ListPodIdentityAssociationsOutput, error) {
	snap := s.w.Directory().Snapshot()
	name := aws.ToString(in.ClusterName)
	if err := authorize(snap, caller, "eks:ListPodIdentityAssociations", clusterARN(region(caller), caller.AccountID, name), clusterTagContext(snap, caller, name, nil)); err != nil {
		return nil, err
	}
	c, err := s.lookup(snap, caller, name)
	if err != nil {
		return nil, err
	}
	max, err := pageSize(in.MaxResults)
	if err != nil {
		return nil, err
	}
	key := directory.ClusterKey(c.AccountID, c.Region, c.Name)
	var list []*directory.PodIdentityAssociation
	for _, a := range snap.PodIdentityAssociations {
		if a.ClusterKey() != key || (in.Namespace != nil && a.Namespace != *in.Namespace) || (in.ServiceAccount != nil && a.ServiceAccount != *in.ServiceAccount) {
			continue
		}
		list = append(list, a)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	start := 0
	if tok := aws.ToString(in.NextToken); tok != "" {
		// The token is the ID the next page starts at; if that
		// association was deleted meanwhile, the page starts after it.
		if !associationIDPattern.MatchString(tok) {
			return nil, invalidParameter("The nextToken is not valid.")
		}
		start = sort.Search(len(list), func(i int) bool { return list[i].ID >= tok })
	}
	end := min(start+max, len(list))
	out := &sdk.ListPodIdentityAssociationsOutput{Associations: []types.PodIdentityAssociationSummary{}}
	for _, a := range list[start:end] {
		sum := types.PodIdentityAssociationSummary{
			AssociationArn: aws.String(a.ARN), AssociationId: aws.String(a.ID), ClusterName: aws.String(a.ClusterName),
			Namespace: aws.String(a.Namespace), ServiceAccount: aws.String(a.ServiceAccount),
		}
		if a.OwnerARN != "" {
			sum.OwnerArn = aws.String(a.OwnerARN)
		}
		out.Associations = append(out.Associations, sum)
	}
	if end < len(list) {
		out.NextToken = aws.String(list[end].ID)
	}
	return out, nil
}

// UpdatePodIdentityAssociation changes an association's role, target
// role, session tags or policy. Pods keep the credentials they have until
// their agent refreshes them.
func (s *Service) UpdatePodIdentityAssociation(ctx context.Context, caller *directory.Caller, in *sdk.UpdatePodIdentityAssociationInput) (*sdk.UpdatePodIdentityAssociationOutput, error) {
	snap := s.w.Directory().Snapshot()
	name, id := aws.ToString(in.ClusterName), aws.ToString(in.AssociationId)
	resource := associationARN(region(caller), caller.AccountID, name, id)
	if err := authorize(snap, caller, "eks:UpdatePodIdentityAssociation", resource, associationTagContext(snap, caller, name, id)); err != nil {
		return nil, err
	}
	if in.RoleArn != nil {
		if err := checkRoleARN("roleArn", *in.RoleArn); err != nil {
			return nil, err
		}
		if err := authorize(snap, caller, "iam:PassRole", *in.RoleArn, nil); err != nil {
			return nil, err
		}
	}
	// An empty targetRoleArn removes the target role.
	if in.TargetRoleArn != nil && *in.TargetRoleArn != "" {
		if err := checkRoleARN("targetRoleArn", *in.TargetRoleArn); err != nil {
			return nil, err
		}
	}
	var updated *directory.PodIdentityAssociation
	err := s.w.Update(ctx, func(t *directory.Txn) error {
		_, a, err := s.association(t.Snap, caller, name, id)
		if err != nil {
			return err
		}
		cp := *a
		if in.RoleArn != nil {
			cp.RoleARN = *in.RoleArn
		}
		if in.TargetRoleArn != nil {
			cp.TargetRoleARN = *in.TargetRoleArn
		}
		if in.DisableSessionTags != nil {
			cp.DisableSessionTags = *in.DisableSessionTags
		}
		if in.Policy != nil {
			cp.Policy = *in.Policy
		}
		if err := checkAssociationPolicy(cp.Policy, cp.DisableSessionTags); err != nil {
			return err
		}
		cp.ExternalID = ""
		if cp.TargetRoleARN != "" {
			cp.ExternalID = externalID(&cp)
		}
		cp.ModifiedAt = s.now().UTC().Truncate(time.Millisecond)
		updated = &cp
		return putAssociation(t, &cp)
	})
	if err != nil {
		return nil, err
	}
	return &sdk.UpdatePodIdentityAssociationOutput{Association: describeAssociation(updated)}, nil
}

// DeletePodIdentityAssociation deletes an association.
func (s *Service) DeletePodIdentityAssociation(ctx context.Context, caller *directory.Caller, in *sdk.DeletePodIdentityAssociationInput) (*sdk.DeletePodIdentityAssociationOutput, error) {
	snap := s.w.Directory().Snapshot()
	name, id := aws.ToString(in.ClusterName), aws.ToString(in.AssociationId)
	resource := associationARN(region(caller), caller.AccountID, name, id)
	if err := authorize(snap, caller, "eks:DeletePodIdentityAssociation", resource, associationTagContext(snap, caller, name, id)); err != nil {
		return nil, err
	}
	var deleted *directory.PodIdentityAssociation
	err := s.w.Update(ctx, func(t *directory.Txn) error {
		_, a, err := s.association(t.Snap, caller, name, id)
		if err != nil {
			return err
		}
		deleteAssociation(t, a)
		deleted = a
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.DeletePodIdentityAssociationOutput{Association: describeAssociation(deleted)}, nil
}
