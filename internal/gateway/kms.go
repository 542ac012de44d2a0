package gateway

import (
	"context"
)

// KMS names a key by its ID, its ARN or one of its aliases; authorization
// is always on the key (an alias has no policy), with the alias named in
// the request in kms:RequestAlias. Only the alias operations act on the
// alias itself (and on its key, which the catalogue lists too).

// isAliasAction reports whether a KMS action acts on an alias as such.
func isAliasAction(action string) bool {
	switch action {
	case "kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias":
		return true
	}
	return false
}

// kmsKeyOf returns the ARN of the key an alias ARN points to, as the
// backend knows it, or the alias ARN itself when it points to none (the
// key-policy rule then refuses it: an alias has no policy).
func (g *Gateway) kmsKeyOf(ctx context.Context, aliasARN string) string {
	var out struct{ KeyMetadata struct{ Arn string } }
	if err := g.jsonCall(ctx, accountOf(aliasARN), regionOf(aliasARN), "kms", "TrentService.DescribeKey", map[string]string{"KeyId": aliasARN}, &out); err != nil || out.KeyMetadata.Arn == "" {
		return aliasARN
	}
	return out.KeyMetadata.Arn
}
