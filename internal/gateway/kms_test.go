package gateway_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// A KMS key named by an alias is authorized as the key: its key policy
// decides, identity policies on key/* apply, and the alias is the
// request's kms:RequestAlias.
func TestKMSAliasIsItsKey(t *testing.T) {
	env := start(t, servicesWorld)
	ctx := context.Background()
	rootA := kms.NewFromConfig(env.RootConfig(testenv.AccountA))
	policyDoc := `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"EnableIAMUserPermissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"},` +
		`{"Sid":"ConsumerByAlias","Effect":"Allow","Principal":{"AWS":"` + consumerARN + `"},"Action":"kms:Encrypt","Resource":"*","Condition":{"StringEquals":{"kms:RequestAlias":"alias/shared"}}}]}`
	k, err := rootA.CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(policyDoc)})
	if err != nil {
		t.Fatal(err)
	}
	keyARN := aws.ToString(k.KeyMetadata.Arn)
	for _, alias := range []string{"alias/shared", "alias/other"} {
		if _, err := rootA.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: k.KeyMetadata.KeyId}); err != nil {
			t.Fatalf("create %s: %v", alias, err)
		}
	}
	encrypt := func(cfg aws.Config, keyID string) error {
		_, err := kms.NewFromConfig(cfg).Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(keyID), Plaintext: []byte("x")})
		return err
	}
	// A's worker may encrypt with any key of A (identity policy on key/*),
	// the default root statement delegating: by alias name too.
	if err := encrypt(worker(env), "alias/other"); err != nil {
		t.Fatalf("A's worker by alias: %v", err)
	}
	// B's consumer: by the alias the key policy's condition names.
	if err := encrypt(consumer(env), "arn:aws:kms:us-east-1:111111111111:alias/shared"); err != nil {
		t.Fatalf("B's consumer by alias/shared: %v", err)
	}
	err = encrypt(consumer(env), "arn:aws:kms:us-east-1:111111111111:alias/other")
	denied(t, "B's consumer by alias/other", err, "AccessDeniedException", "on resource: "+keyARN+" because no resource-based policy allows the kms:Encrypt action")
	err = encrypt(consumer(env), keyARN)
	denied(t, "B's consumer by the key's ARN", err, "AccessDeniedException", "because no resource-based policy allows the kms:Encrypt action")
	// An alias that points nowhere is refused, never forwarded unchecked.
	err = encrypt(worker(env), "alias/missing")
	denied(t, "a missing alias", err, "AccessDeniedException", "alias/missing")
}
