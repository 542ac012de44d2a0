package iam

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/assumed-dev/assumed/arn"
	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// authorize checks that the caller may perform action on resource; ctx
// holds request-specific condition keys (may be nil).
func authorize(snap *directory.Snapshot, caller *directory.Caller, action, resource string, ctx *policy.Context) error {
	err := authz.Authorize(snap, authz.Request{Caller: caller, Action: action, Resource: resource, Context: ctx})
	var d *authz.Denied
	if errors.As(err, &d) {
		return &Error{Status: http.StatusForbidden, Code: "AccessDenied", Message: d.Message, Denial: d}
	}
	return err
}

// tagContext returns the condition keys of a request that carries tags.
func tagContext(tags []directory.Tag) *policy.Context {
	ctx := policy.NewContext()
	if len(tags) == 0 {
		return ctx
	}
	keys := make([]string, 0, len(tags))
	for _, t := range tags {
		ctx.Set("aws:RequestTag/"+t.Key, t.Value)
		keys = append(keys, t.Key)
	}
	ctx.SetMulti("aws:TagKeys", keys...)
	return ctx
}

// entityARN builds arn:aws:iam::ACCT:TYPE/PATH-NAME (path has its slashes).
func entityARN(account, typ, path, name string) string {
	return "arn:aws:iam::" + account + ":" + typ + path + name
}

// encodeDocument URL-encodes a policy document as IAM returns it
// (spaces as %20: botocore decodes with unquote, which leaves '+').
func encodeDocument(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}

// page is one page of a listing, with IAM's Marker/MaxItems/IsTruncated.
type page[T any] struct {
	Items     []T // never nil: an empty page lists nothing, as IAM does
	Marker    *string
	Truncated bool
}

// paginate sorts items by key and returns the page after marker (the key
// of its first item) with at most maxItems (1–1000, default 100).
func paginate[T any](items []T, key func(T) string, marker *string, maxItems *int32) (page[T], error) {
	n := 100
	if maxItems != nil {
		if *maxItems < 1 || *maxItems > 1000 {
			return page[T]{}, invalidField(strconv.Itoa(int(*maxItems)), "maxItems", "Member must have value between 1 and 1000")
		}
		n = int(*maxItems)
	}
	if items == nil {
		items = []T{}
	}
	slices.SortFunc(items, func(a, b T) int { return strings.Compare(key(a), key(b)) })
	start := 0
	if marker != nil && *marker != "" {
		start = slices.IndexFunc(items, func(t T) bool { return key(t) >= *marker })
		if start < 0 {
			start = len(items)
		}
	}
	end := min(start+n, len(items))
	p := page[T]{Items: items[start:end]}
	if end < len(items) {
		p.Truncated = true
		p.Marker = ptr(key(items[end]))
	}
	return p, nil
}

// listByPath returns one page of an account's entities (a map keyed by
// lower-cased name) whose path starts with prefix, in name order.
func listByPath[T any](m map[string]T, path func(T) string, prefix, marker *string, maxItems *int32) (page[T], error) {
	keys := make([]string, 0, len(m))
	for k, v := range m {
		if hasPathPrefix(path(v), prefix) {
			keys = append(keys, k)
		}
	}
	p, err := paginate(keys, func(k string) string { return k }, marker, maxItems)
	if err != nil {
		return page[T]{}, err
	}
	out := page[T]{Truncated: p.Truncated, Marker: p.Marker}
	for _, k := range p.Items {
		out.Items = append(out.Items, m[k])
	}
	return out, nil
}

// hasPathPrefix filters by IAM's PathPrefix.
func hasPathPrefix(path string, prefix *string) bool {
	return prefix == nil || strings.HasPrefix(path, *prefix)
}

// checkTrustPrincipals refuses a trust or resource policy that names an
// IAM user or role of a hosted account that does not exist, as IAM does:
// `Invalid principal in policy: "AWS":"ARN"`. Principals of accounts this
// server does not host cannot be checked and are accepted.
func checkTrustPrincipals(snap *directory.Snapshot, p *policy.Policy) error {
	for _, e := range namedPrincipals(p) {
		if _, hosted := snap.Accounts[e.AccountID]; hosted && snap.PrincipalID(e.ARN) == "" {
			return &Error{Status: http.StatusBadRequest, Code: "MalformedPolicyDocument", Message: `Invalid principal in policy: "AWS":"` + e.Value + `"`}
		}
	}
	return nil
}

// namedPrincipals returns the IAM users and roles a policy's Principal
// elements name by ARN.
func namedPrincipals(p *policy.Policy) []policy.PrincipalEntry {
	var out []policy.PrincipalEntry
	for _, st := range p.Statements {
		if st.Principal == nil {
			continue
		}
		for _, e := range st.Principal.Entries {
			if e.Key == "AWS" && (e.Type == arn.PrincipalUser || e.Type == arn.PrincipalRole) {
				out = append(out, e)
			}
		}
	}
	return out
}

// trustBindings binds the users and roles a trust policy names (in hosted
// accounts) to their current unique IDs.
func trustBindings(snap *directory.Snapshot, p *policy.Policy) map[string]string {
	var out map[string]string
	for _, e := range namedPrincipals(p) {
		if id := snap.PrincipalID(e.ARN); id != "" {
			if out == nil {
				out = map[string]string{}
			}
			out[e.ARN] = id
		}
	}
	return out
}
