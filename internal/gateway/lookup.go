package gateway

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/assumed-dev/assumed/internal/clip"
	"github.com/assumed-dev/assumed/internal/directory"
)

// A resource that assumed has no record of may still have a policy: one
// set at the backend before assumed saw it. fetchPolicy asks the backend
// for it, service by service, and records what it finds (the owner is the
// account in the resource's ARN). What it does not find is remembered for
// missTTL, so that requests on resources without a policy don't each pay a
// backend call; a policy set through the gateway takes effect at once all
// the same (it is recorded, and records are looked at first).

// missTTL is how long "the backend has no policy for this resource" is
// believed.
const missTTL = 5 * time.Second

// maxMisses bounds the remembered misses; past it they are all dropped.
const maxMisses = 10000

// missCache remembers, for a while, the resources the backend had no
// policy for.
type missCache struct {
	mu sync.Mutex
	m  map[string]time.Time // holder → until
}

func (c *missCache) has(holder string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	until, ok := c.m[holder]
	return ok && now.Before(until)
}

func (c *missCache) add(holder string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxMisses {
		c.m = map[string]time.Time{}
	}
	c.m[holder] = now.Add(missTTL)
}

// fetchPolicy asks the backend for the policy of holder, a resource of
// the services whose policies the backend can tell (KMS, ECR, DynamoDB,
// SQS, SNS, Secrets Manager, Lambda), records it and returns its record;
// nil when there is none or the backend can't say.
func (g *Gateway) fetchPolicy(ctx context.Context, service, holder string) *directory.Resource {
	now := time.Now()
	if g.misses.has(holder, now) {
		return nil
	}
	doc, err := g.backendPolicy(ctx, service, holder)
	if err != nil {
		var be *backendError
		if !errors.As(err, &be) || be.Status >= 500 {
			g.log.Warn("ask the backend for a resource policy", "resource", holder, "err", clip.String(err.Error()))
		}
	}
	if err != nil || strings.TrimSpace(doc) == "" {
		g.misses.add(holder, now)
		return nil
	}
	if service == "ecr" {
		if doc, err = withResource(doc, holder); err != nil {
			g.misses.add(holder, now)
			return nil
		}
	}
	if service == "lambda" {
		if doc, err = awsFunctionPolicy(doc, holder); err != nil {
			g.misses.add(holder, now)
			return nil
		}
	}
	if err := g.recordPolicy(ctx, holder, accountOf(holder), doc); err != nil {
		g.log.Warn("record a resource policy the backend had", "resource", holder, "err", clip.String(err.Error()))
		g.misses.add(holder, now)
		return nil
	}
	return g.dir.Snapshot().Resources[holder]
}

// backendPolicy reads a resource's policy document from the backend, ""
// when it has none.
func (g *Gateway) backendPolicy(ctx context.Context, service, holder string) (string, error) {
	account, region := accountOf(holder), regionOf(holder)
	if account == "" {
		return "", nil
	}
	resource := holder[strings.LastIndexByte(holder, ':')+1:]
	switch service {
	case "kms":
		if !strings.Contains(holder, ":key/") {
			return "", nil
		}
		var out struct{ Policy string }
		err := g.jsonCall(ctx, account, region, "kms", "TrentService.GetKeyPolicy", map[string]string{"KeyId": holder, "PolicyName": "default"}, &out)
		return out.Policy, notFoundIsNone(err)
	case "dynamodb":
		var out struct{ Policy string }
		err := g.jsonCall(ctx, account, region, "dynamodb", "DynamoDB_20120810.GetResourcePolicy", map[string]string{"ResourceArn": holder}, &out)
		return out.Policy, notFoundIsNone(err)
	case "ecr":
		name, ok := strings.CutPrefix(resource, "repository/")
		if !ok {
			return "", nil
		}
		var out struct {
			PolicyText string `json:"policyText"`
		}
		err := g.jsonCall(ctx, account, region, "ecr", "AmazonEC2ContainerRegistry_V20150921.GetRepositoryPolicy", map[string]string{"registryId": account, "repositoryName": name}, &out)
		return out.PolicyText, notFoundIsNone(err)
	case "secretsmanager":
		var out struct{ ResourcePolicy string }
		err := g.jsonCall(ctx, account, region, "secretsmanager", "secretsmanager.GetResourcePolicy", map[string]string{"SecretId": holder}, &out)
		return out.ResourcePolicy, notFoundIsNone(err)
	case "sqs":
		var out struct{ Attributes map[string]string }
		queueURL := "https://sqs." + region + ".amazonaws.com/" + account + "/" + resource
		err := g.jsonCall(ctx, account, region, "sqs", "AmazonSQS.GetQueueAttributes", map[string]any{"QueueUrl": queueURL, "AttributeNames": []string{"Policy"}}, &out)
		return out.Attributes["Policy"], notFoundIsNone(err)
	case "sns":
		var out struct {
			Entries []struct {
				Key   string `xml:"key"`
				Value string `xml:"value"`
			} `xml:"GetTopicAttributesResult>Attributes>entry"`
		}
		form := url.Values{"Action": {"GetTopicAttributes"}, "Version": {"2010-03-31"}, "TopicArn": {holder}}
		if err := g.queryCall(ctx, account, region, "sns", form, &out); err != nil {
			return "", notFoundIsNone(err)
		}
		for _, e := range out.Entries {
			if e.Key == "Policy" {
				return e.Value, nil
			}
		}
		return "", nil
	case "lambda":
		name, ok := strings.CutPrefix(holder[len("arn:aws:lambda:"+region+":"+account+":"):], "function:")
		if !ok {
			return "", nil
		}
		fn, qualifier, _ := strings.Cut(name, ":")
		q := url.Values{}
		if qualifier != "" {
			q.Set("Qualifier", qualifier)
		}
		var out struct{ Policy string }
		err := g.restGet(ctx, account, region, "lambda", "/2015-03-31/functions/"+url.PathEscape(fn)+"/policy", q.Encode(), &out)
		return out.Policy, notFoundIsNone(err)
	}
	return "", nil
}

// notFoundIsNone reads a backend's 4xx answer as "no policy".
func notFoundIsNone(err error) error {
	var be *backendError
	if errors.As(err, &be) && be.Status >= 400 && be.Status < 500 {
		return nil
	}
	return err
}
