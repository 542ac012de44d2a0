package gateway

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/assumed-dev/assumed/internal/catalog"
	"github.com/assumed-dev/assumed/internal/clip"
)

// dynamodb:LeadingKeys holds the values of a table's partition key that a
// request names. Which attribute of a Key or an Item is the partition key
// is the table's key schema: the gateway asks the backend (DescribeTable,
// signed for the table's owner) and keeps the answer, which never changes
// for the table's life, until a CreateTable or DeleteTable of the table
// passes through. A table the backend can't describe is asked about again
// after missTTL; meanwhile the keys are set from every key value, a
// superset of AWS's (see keys.go).

// maxSchemas bounds the remembered key schemas; past it they are all
// dropped.
const maxSchemas = 10000

type schemaEntry struct {
	partitionKey string    // "" when the backend couldn't say
	until        time.Time // for a miss: when to ask again
}

// schemaCache remembers tables' partition key names, by table ARN.
type schemaCache struct {
	mu sync.Mutex
	m  map[string]schemaEntry
}

func (c *schemaCache) get(arn string, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[arn]
	if !ok || (e.partitionKey == "" && !now.Before(e.until)) {
		return "", false
	}
	return e.partitionKey, true
}

func (c *schemaCache) put(arn, partitionKey string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxSchemas {
		c.m = map[string]schemaEntry{}
	}
	c.m[arn] = schemaEntry{partitionKey: partitionKey, until: now.Add(missTTL)}
}

func (c *schemaCache) forget(arn string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, arn)
}

// leadingKeyOps are the DynamoDB operations with dynamodb:LeadingKeys.
var leadingKeyOps = map[string]bool{"GetItem": true, "PutItem": true, "UpdateItem": true, "DeleteItem": true, "Query": true}

// partitionKeyOf returns the name of the partition key that a DynamoDB
// item request's dynamodb:LeadingKeys is about, or "" when it is not
// known: not an item operation, a Query of an index (whose partition key
// may be another attribute), or a table the backend can't describe.
func (g *Gateway) partitionKeyOf(ctx context.Context, op string, params catalog.Params, account, region string) string {
	if g.fwd == nil || !leadingKeyOps[op] {
		return ""
	}
	if _, ok := params.Get("IndexName"); ok {
		return ""
	}
	table, _ := params.Get("TableName")
	arn := tableARN(table, account, region)
	if arn == "" {
		return ""
	}
	now := time.Now()
	if pk, ok := g.schemas.get(arn, now); ok {
		return pk
	}
	pk, err := g.backendPartitionKey(ctx, arn)
	if err != nil {
		g.log.Debug("ask the backend for a table's key schema", "table", arn, "err", clip.String(err.Error()))
	}
	g.schemas.put(arn, pk, now)
	return pk
}

// tableARN is the ARN of the table a request names: TableName may be the
// ARN itself, else a name in account and region.
func tableARN(table, account, region string) string {
	switch {
	case table == "":
		return ""
	case strings.HasPrefix(table, "arn:"):
		if !strings.Contains(table, ":table/") {
			return ""
		}
		return table
	case account == "" || region == "":
		return ""
	}
	return "arn:aws:dynamodb:" + region + ":" + account + ":table/" + table
}

// backendPartitionKey asks the backend for the partition key of the table
// arn.
func (g *Gateway) backendPartitionKey(ctx context.Context, arn string) (string, error) {
	name := arn[strings.LastIndex(arn, ":table/")+len(":table/"):]
	var out struct {
		Table struct {
			KeySchema []struct{ AttributeName, KeyType string }
		}
	}
	if err := g.jsonCall(ctx, accountOf(arn), regionOf(arn), "dynamodb", "DynamoDB_20120810.DescribeTable", map[string]string{"TableName": name}, &out); err != nil {
		return "", err
	}
	for _, k := range out.Table.KeySchema {
		if k.KeyType == "HASH" {
			return k.AttributeName, nil
		}
	}
	return "", nil
}
