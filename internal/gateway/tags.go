package gateway

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/assumed-dev/assumed/internal/directory"
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
// tags.
func mayChangeTags(op string) bool {
	return strings.HasPrefix(op, "Tag") || strings.HasPrefix(op, "Untag") || strings.HasPrefix(op, "Create")
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
		g.log.Debug("ask the backend for a resource's tags", "resource", holder, "err", clip(err.Error()))
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
		status, body, err := g.call(ctx, backendRequest{account: account, region: region, service: "lambda", method: http.MethodGet,
			path: "/2017-03-31/tags/" + url.PathEscape(holder)})
		if err != nil {
			return nil, err
		}
		if status != http.StatusOK {
			return nil, backendFailure(status, body)
		}
		var out struct{ Tags map[string]string }
		err = json.Unmarshal(body, &out)
		return fromMap(out.Tags), err
	case "sns":
		form := url.Values{"Action": {"ListTagsForResource"}, "Version": {"2010-03-31"}, "ResourceArn": {holder}}
		status, body, err := g.call(ctx, backendRequest{account: account, region: region, service: "sns", method: http.MethodPost, path: "/",
			header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, body: []byte(form.Encode())})
		if err != nil {
			return nil, err
		}
		if status != http.StatusOK {
			return nil, backendFailure(status, body)
		}
		var out struct {
			Tags []kv `xml:"ListTagsForResourceResult>Tags>member"`
		}
		err = xml.Unmarshal(body, &out)
		return list(out.Tags), err
	}
	return nil, nil
}
