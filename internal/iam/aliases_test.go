package iam_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// keyAliases returns an account's aliases, failing the test on error.
func keyAliases(t *testing.T, c *iam.Client) string {
	t.Helper()
	out, err := c.ListAccountAliases(context.Background(), &iam.ListAccountAliasesInput{})
	if err != nil {
		t.Fatalf("ListAccountAliases: %v", err)
	}
	if out.IsTruncated {
		t.Fatalf("ListAccountAliases = %+v", out)
	}
	return strings.Join(out.AccountAliases, ",")
}

func TestAccountAliases(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	a, b := env.RootIAM(testenv.AccountA), env.RootIAM(testenv.AccountB)

	if got := keyAliases(t, a); got != "" {
		t.Fatalf("initial aliases %q", got)
	}
	for _, bad := range []string{"ab", "-abc", "abc-", "a--b", "Abc", "a_b", strings.Repeat("a", 64)} {
		_, err := a.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String(bad)})
		usrWant(t, "alias "+bad, err, "ValidationError", "")
	}
	for _, good := range []string{"abc", "a-b-c", "0x9", strings.Repeat("a", 63)} {
		if _, err := a.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String(good)}); err != nil {
			t.Errorf("alias %q: %v", good, err)
		}
	}
	if _, err := a.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("acme-a")}); err != nil {
		t.Fatal(err)
	}
	// One alias per account: creating another replaced it.
	if got := keyAliases(t, a); got != "acme-a" {
		t.Fatalf("aliases %q", got)
	}
	// Aliases are unique across accounts.
	_, err := b.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("acme-a")})
	usrWant(t, "alias of another account", err, "EntityAlreadyExists", "The account alias acme-a already exists.")
	if _, err := a.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("acme-a2")}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("acme-a")}); err != nil {
		t.Fatalf("freed alias: %v", err)
	}
	_, err = a.DeleteAccountAlias(ctx, &iam.DeleteAccountAliasInput{AccountAlias: aws.String("acme-a")})
	usrWant(t, "delete another account's alias", err, "NoSuchEntity", "")

	env.Restart()
	a, b = env.RootIAM(testenv.AccountA), env.RootIAM(testenv.AccountB)
	if got := keyAliases(t, a); got != "acme-a2" {
		t.Fatalf("A's aliases after restart %q", got)
	}
	if got := keyAliases(t, b); got != "acme-a" {
		t.Fatalf("B's aliases after restart %q", got)
	}
	if _, err := a.DeleteAccountAlias(ctx, &iam.DeleteAccountAliasInput{AccountAlias: aws.String("acme-a2")}); err != nil {
		t.Fatal(err)
	}
	if got := keyAliases(t, a); got != "" {
		t.Fatalf("aliases after delete %q", got)
	}
	env.Restart()
	if got := keyAliases(t, env.RootIAM(testenv.AccountA)); got != "" {
		t.Fatalf("aliases after delete and restart %q", got)
	}
}
