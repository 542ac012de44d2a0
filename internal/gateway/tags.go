package gateway

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/assumed-dev/assumed/internal/catalog"
	"github.com/assumed-dev/assumed/internal/clip"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// A resource's tags are its aws:ResourceTag/… condition keys (ECR also
// names them ecr:ResourceTag/…). They live at the backend: the gateway
// asks for them, and believes the answer for tagTTL, or until a call that
// may change them (Create…, Tag…, Untag…) passes through.

// tagTTL is how long a resource's tags are believed.
const tagTTL = 5 * time.Second

// maxTagEntries bounds the tag cache; past it, it is emptied.
const maxTagEntries = 10000

type tagEntry struct {
	tags  []directory.Tag
	until time.Time
}

// tagCache holds resources' tags for a while, by ARN.
type tagCache struct {
	mu sync.Mutex
	m  map[string]tagEntry
}

func (c *tagCache) get(arn string, now time.Time) ([]directory.Tag, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[arn]
	if !ok || !now.Before(e.until) {
		return nil, false
	}
	return e.tags, true
}

func (c *tagCache) put(arn string, tags []directory.Tag, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxTagEntries {
		c.m = map[string]tagEntry{}
	}
	c.m[arn] = tagEntry{tags: tags, until: now.Add(tagTTL)}
}

func (c *tagCache) forget(arn string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, arn)
}

// mayChangeTags reports whether an operation may change its resource's
// tags (S3's: PutObjectTagging, PutBucketTagging, a new object).
func mayChangeTags(op string) bool {
	return strings.HasPrefix(op, "Tag") || strings.HasPrefix(op, "Untag") || strings.HasPrefix(op, "Create") ||
		strings.HasSuffix(op, "Tagging") || strings.HasPrefix(op, "Put") || strings.HasPrefix(op, "Delete") ||
		op == "CopyObject" || op == "CompleteMultipartUpload"
}

// resourceTags returns the tags of the resource holder (a policy holder:
// a table, a repository, a queue, …), asking the backend when they are not
// known; nil for resources the gateway can't ask about, or when the
// backend can't say (a policy testing a tag then finds it absent).
func (g *Gateway) resourceTags(ctx context.Context, service, holder string) []directory.Tag {
	if g.fwd == nil || holder == "*" || accountOf(holder) == "" {
		return nil
	}
	now := time.Now()
	if tags, ok := g.tags.get(holder, now); ok {
		return tags
	}
	tags, err := g.backendTags(ctx, service, holder)
	if err != nil {
		g.log.Debug("ask the backend for a resource's tags", "resource", holder, "err", clip.String(err.Error()))
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].Key < tags[j].Key })
	g.tags.put(holder, tags, now)
	return tags
}

// backendTags reads a resource's tags from the backend.
func (g *Gateway) backendTags(ctx context.Context, service, holder string) ([]directory.Tag, error) {
	account, region := accountOf(holder), regionOf(holder)
	resource := holder[strings.LastIndexByte(holder, ':')+1:]
	type kv struct{ Key, Value string }
	list := func(in []kv) []directory.Tag {
		out := make([]directory.Tag, 0, len(in))
		for _, t := range in {
			out = append(out, directory.Tag{Key: t.Key, Value: t.Value})
		}
		return out
	}
	fromMap := func(m map[string]string) []directory.Tag {
		out := make([]directory.Tag, 0, len(m))
		for k, v := range m {
			out = append(out, directory.Tag{Key: k, Value: v})
		}
		return out
	}
	switch service {
	case "dynamodb":
		var out struct{ Tags []kv }
		err := g.jsonCall(ctx, account, region, "dynamodb", "DynamoDB_20120810.ListTagsOfResource", map[string]string{"ResourceArn": holder}, &out)
		return list(out.Tags), err
	case "ecr":
		var out struct {
			Tags []kv `json:"tags"`
		}
		err := g.jsonCall(ctx, account, region, "ecr", "AmazonEC2ContainerRegistry_V20150921.ListTagsForResource", map[string]string{"resourceArn": holder}, &out)
		return list(out.Tags), err
	case "secretsmanager":
		var out struct{ Tags []kv }
		err := g.jsonCall(ctx, account, region, "secretsmanager", "secretsmanager.DescribeSecret", map[string]string{"SecretId": holder}, &out)
		return list(out.Tags), err
	case "kms":
		var out struct {
			Tags []struct{ TagKey, TagValue string }
		}
		err := g.jsonCall(ctx, account, region, "kms", "TrentService.ListResourceTags", map[string]string{"KeyId": holder}, &out)
		tags := make([]directory.Tag, 0, len(out.Tags))
		for _, t := range out.Tags {
			tags = append(tags, directory.Tag{Key: t.TagKey, Value: t.TagValue})
		}
		return tags, err
	case "sqs":
		var out struct{ Tags map[string]string }
		queueURL := "https://sqs." + region + ".amazonaws.com/" + account + "/" + resource
		err := g.jsonCall(ctx, account, region, "sqs", "AmazonSQS.ListQueueTags", map[string]string{"QueueUrl": queueURL}, &out)
		return fromMap(out.Tags), err
	case "lambda":
		var out struct{ Tags map[string]string }
		err := g.restGet(ctx, account, region, "lambda", "/2017-03-31/tags/"+url.PathEscape(holder), "", &out)
		return fromMap(out.Tags), err
	case "sns":
		var out struct {
			Tags []kv `xml:"ListTagsForResourceResult>Tags>member"`
		}
		err := g.queryCall(ctx, account, region, "sns", url.Values{"Action": {"ListTagsForResource"}, "Version": {"2010-03-31"}, "ResourceArn": {holder}}, &out)
		return list(out.Tags), err
	}
	return nil, nil
}

// s3Tags returns what S3's tag keys need for a resource of an action: a
// bucket's tags (aws:ResourceTag/… and s3:BucketTag/…), or, for an action
// that AWS gives s3:ExistingObjectTag/… keys, the object's tags. ctx is
// cloned when keys are added. Tags are asked of the backend for the
// bucket's owner and believed for tagTTL, or until a call that may change
// them passes.
func (g *Gateway) s3Tags(ctx context.Context, pctx *policy.Context, account, res string, a *catalog.Action) ([]directory.Tag, *policy.Context) {
	rest, ok := strings.CutPrefix(res, "arn:aws:s3:::")
	if g.fwd == nil || !ok || rest == "" {
		return nil, pctx
	}
	bucket, key, isObject := strings.Cut(rest, "/")
	if !isObject {
		tags := g.cachedS3Tags(ctx, account, res, "/"+bucket)
		return tags, withTagKeys(pctx, "s3:BucketTag/", tags)
	}
	if key == "" || !listsKey(a, "s3:ExistingObjectTag/") {
		return nil, pctx
	}
	return nil, withTagKeys(pctx, "s3:ExistingObjectTag/", g.cachedS3Tags(ctx, account, res, "/"+bucket+"/"+key))
}

// cachedS3Tags returns the tags of the bucket or object at path (arn),
// from the cache or the backend.
func (g *Gateway) cachedS3Tags(ctx context.Context, account, arn, path string) []directory.Tag {
	now := time.Now()
	tags, ok := g.tags.get(arn, now)
	if !ok {
		tags = g.s3Tagging(ctx, account, path)
		g.tags.put(arn, tags, now)
	}
	return tags
}

// withTagKeys returns pctx with a key PREFIX+KEY for each tag (a clone,
// when there are tags).
func withTagKeys(pctx *policy.Context, prefix string, tags []directory.Tag) *policy.Context {
	if len(tags) == 0 {
		return pctx
	}
	c := pctx.Clone()
	for _, t := range tags {
		c.Set(prefix+t.Key, t.Value)
	}
	return c
}

// s3Tagging reads a bucket's or an object's tag set (GET PATH?tagging);
// none when the backend has none or can't say.
func (g *Gateway) s3Tagging(ctx context.Context, account, path string) []directory.Tag {
	status, body, err := g.call(ctx, backendRequest{account: account, service: "s3", method: http.MethodGet, path: path, query: "tagging="})
	if err != nil || status != http.StatusOK {
		return nil
	}
	var out struct {
		Tags []struct{ Key, Value string } `xml:"TagSet>Tag"`
	}
	if xml.Unmarshal(body, &out) != nil {
		return nil
	}
	tags := make([]directory.Tag, 0, len(out.Tags))
	for _, t := range out.Tags {
		tags = append(tags, directory.Tag{Key: t.Key, Value: t.Value})
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].Key < tags[j].Key })
	return tags
}

// listsKey reports whether the SAR lists a condition key starting with
// prefix (case-insensitively) for the action.
func listsKey(a *catalog.Action, prefix string) bool {
	for _, k := range a.ConditionKeys {
		if len(k) >= len(prefix) && strings.EqualFold(k[:len(prefix)], prefix) {
			return true
		}
	}
	for _, rt := range a.Resources {
		for _, k := range rt.ConditionKeys {
			if len(k) >= len(prefix) && strings.EqualFold(k[:len(prefix)], prefix) {
				return true
			}
		}
	}
	return false
}
