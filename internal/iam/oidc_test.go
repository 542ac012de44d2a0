package iam_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// oidcErr returns the AWS error code and message of err ("", "" for none).
func oidcErr(err error) (code, message string) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode(), testenv.WithoutEncodedMessage(ae.ErrorMessage())
	}
	if err != nil {
		return "not an API error", err.Error()
	}
	return "", ""
}

// oidcWant checks err's code and message.
func oidcWant(t *testing.T, what string, err error, code, message string) {
	t.Helper()
	if c, m := oidcErr(err); c != code || m != message {
		t.Errorf("%s: got %s %q, want %s %q", what, c, m, code, message)
	}
}

// oidcThumb is a well-formed thumbprint made of one repeated character.
func oidcThumb(c string) string { return strings.Repeat(c, 40) }

const oidcARNPrefix = "arn:aws:iam::" + testenv.AccountA + ":oidc-provider/"

func oidcCreate(t *testing.T, c *iam.Client, url string) string {
	t.Helper()
	out, err := c.CreateOpenIDConnectProvider(context.Background(), &iam.CreateOpenIDConnectProviderInput{Url: aws.String(url), ThumbprintList: []string{oidcThumb("a")}})
	if err != nil {
		t.Fatalf("create %s: %v", url, err)
	}
	return aws.ToString(out.OpenIDConnectProviderArn)
}

func oidcTagString(tags []types.Tag) string {
	var parts []string
	for _, tg := range tags {
		parts = append(parts, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

func TestOIDCProviderLifecycle(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	before := time.Now().Add(-time.Second)

	out, err := c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url:            aws.String("https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"),
		ClientIDList:   []string{"sts.amazonaws.com", "app", "sts.amazonaws.com"},
		ThumbprintList: []string{strings.ToUpper(oidcThumb("b")), oidcThumb("1")},
		Tags:           []types.Tag{{Key: aws.String("team"), Value: aws.String("x")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.OpenIDConnectProviderArn)
	if want := oidcARNPrefix + "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"; arn != want {
		t.Fatalf("ARN = %s, want %s", arn, want)
	}
	if oidcTagString(out.Tags) != "team=x" {
		t.Errorf("create output tags = %v", out.Tags)
	}

	check := func(stage, clients, thumbs, tags string) {
		t.Helper()
		got, err := c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
		if err != nil {
			t.Fatalf("%s: %v", stage, err)
		}
		if u := aws.ToString(got.Url); u != "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE" {
			t.Errorf("%s: Url = %q (IAM answers without the scheme)", stage, u)
		}
		if s := strings.Join(got.ClientIDList, ","); s != clients {
			t.Errorf("%s: ClientIDList = %s, want %s", stage, s, clients)
		}
		if s := strings.Join(got.ThumbprintList, ","); s != thumbs {
			t.Errorf("%s: ThumbprintList = %s, want %s", stage, s, thumbs)
		}
		if s := oidcTagString(got.Tags); s != tags {
			t.Errorf("%s: Tags = %s, want %s", stage, s, tags)
		}
		if cd := aws.ToTime(got.CreateDate); cd.Before(before) || cd.After(time.Now().Add(time.Second)) {
			t.Errorf("%s: CreateDate = %v", stage, cd)
		}
	}
	check("created", "sts.amazonaws.com,app", oidcThumb("b")+","+oidcThumb("1"), "team=x")

	on := aws.String(arn)
	for _, id := range []string{"other", "app"} { // adding an existing ID changes nothing
		if _, err := c.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: on, ClientID: aws.String(id)}); err != nil {
			t.Fatalf("add %s: %v", id, err)
		}
	}
	for _, id := range []string{"app", "never-added"} { // removing a missing ID is no error
		if _, err := c.RemoveClientIDFromOpenIDConnectProvider(ctx, &iam.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: on, ClientID: aws.String(id)}); err != nil {
			t.Fatalf("remove %s: %v", id, err)
		}
	}
	if _, err := c.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: on, ThumbprintList: []string{oidcThumb("c"), oidcThumb("d")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.TagOpenIDConnectProvider(ctx, &iam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: on, Tags: []types.Tag{
		{Key: aws.String("TEAM"), Value: aws.String("y")}, {Key: aws.String("env"), Value: aws.String("dev")}, {Key: aws.String("k"), Value: aws.String("v")},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagOpenIDConnectProvider(ctx, &iam.UntagOpenIDConnectProviderInput{OpenIDConnectProviderArn: on, TagKeys: []string{"K", "absent"}}); err != nil {
		t.Fatal(err)
	}
	check("modified", "sts.amazonaws.com,other", oidcThumb("c")+","+oidcThumb("d"), "TEAM=y,env=dev")
	tags, err := c.ListOpenIDConnectProviderTags(ctx, &iam.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: on})
	if err != nil || oidcTagString(tags.Tags) != "TEAM=y,env=dev" || tags.IsTruncated {
		t.Fatalf("ListOpenIDConnectProviderTags = %+v, %v", tags, err)
	}

	// Everything survives a restart.
	env.Restart()
	c = env.RootIAM(testenv.AccountA)
	check("after restart", "sts.amazonaws.com,other", oidcThumb("c")+","+oidcThumb("d"), "TEAM=y,env=dev")
	list, err := c.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
	if err != nil || len(list.OpenIDConnectProviderList) != 1 || aws.ToString(list.OpenIDConnectProviderList[0].Arn) != arn {
		t.Fatalf("ListOpenIDConnectProviders = %+v, %v", list, err)
	}

	if _, err := c.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: on}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: on})
	oidcWant(t, "get deleted", err, "NoSuchEntity", "OpenIDConnect Provider not found for arn "+arn)
	_, err = c.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: on})
	oidcWant(t, "delete again", err, "NoSuchEntity", "OpenId connect Provider "+arn+" cannot be found.")

	// The deletion is durable too, and the URL can be registered again.
	env.Restart()
	c = env.RootIAM(testenv.AccountA)
	list, err = c.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
	if err != nil || len(list.OpenIDConnectProviderList) != 0 {
		t.Fatalf("after delete and restart: %+v, %v", list, err)
	}
	if again := oidcCreate(t, c, "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"); again != arn {
		t.Fatalf("re-created as %s", again)
	}
}

func TestOIDCProviderURL(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	for _, tc := range []struct {
		url           string
		arn           string // ARN suffix on success
		code, message string
	}{
		{url: "https://example.com", arn: "example.com"},
		{url: "https://example.com/", arn: "example.com/"}, // a provider of its own: IAM keeps the URL as given
		{url: "https://token.actions.githubusercontent.com", arn: "token.actions.githubusercontent.com"},
		{url: "https://accounts.example.org/realms/Main/", arn: "accounts.example.org/realms/Main/"},
		{url: "https://Example.NET/a/b", arn: "Example.NET/a/b"},
		{url: "https://198.51.100.7/issuer", arn: "198.51.100.7/issuer"},
		{url: "example.org", code: "ValidationError", message: "Invalid Open ID Connect Provider URL"},
		{url: "https://", code: "ValidationError", message: "Invalid Open ID Connect Provider URL"},
		{url: "https:///path", code: "ValidationError", message: "Invalid Open ID Connect Provider URL"},
		{url: "http://example.org", code: "InvalidInput", message: "Invalid Open ID Connect Provider URL. The URL must begin with https://."},
		{url: "https://example.org:8443", code: "InvalidInput", message: "Invalid Open ID Connect Provider URL."},
		{url: "https://example.org/a?b=c", code: "InvalidInput", message: "Invalid Open ID Connect Provider URL."},
		{url: "https://example.org?", code: "InvalidInput", message: "Invalid Open ID Connect Provider URL."},
		{url: "https://example.org/#frag", code: "InvalidInput", message: "Invalid Open ID Connect Provider URL."},
		{url: "https://user:pw@example.org", code: "InvalidInput", message: "Invalid Open ID Connect Provider URL."},
		{url: "https://exa_mple.org", code: "InvalidInput", message: "Invalid Open ID Connect Provider URL."},
		{url: "https://example.org/a b", code: "InvalidInput", message: "Invalid Open ID Connect Provider URL."},
		{url: "", code: "ValidationError", message: "1 validation error detected: Value at 'url' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{url: "https://" + strings.Repeat("a", 244) + ".com", code: "ValidationError", message: "1 validation error detected: Value at 'url' failed to satisfy constraint: Member must have length less than or equal to 255"},
	} {
		out, err := c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(tc.url), ThumbprintList: []string{oidcThumb("a")}})
		if tc.code != "" {
			oidcWant(t, fmt.Sprintf("create %q", tc.url), err, tc.code, tc.message)
			continue
		}
		if err != nil {
			t.Errorf("create %q: %v", tc.url, err)
			continue
		}
		if got := aws.ToString(out.OpenIDConnectProviderArn); got != oidcARNPrefix+tc.arn {
			t.Errorf("create %q: ARN %s, want %s", tc.url, got, oidcARNPrefix+tc.arn)
			continue
		}
		got, err := c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: out.OpenIDConnectProviderArn})
		if err != nil || aws.ToString(got.Url) != tc.arn {
			t.Errorf("get %q: Url %q, %v", tc.url, aws.ToString(got.Url), err)
		}
	}
	list, err := c.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
	if err != nil {
		t.Fatal(err)
	}
	var arns []string
	for _, e := range list.OpenIDConnectProviderList {
		arns = append(arns, strings.TrimPrefix(aws.ToString(e.Arn), oidcARNPrefix))
	}
	if want := "198.51.100.7/issuer,Example.NET/a/b,accounts.example.org/realms/Main/,example.com,example.com/,token.actions.githubusercontent.com"; strings.Join(arns, ",") != want {
		t.Errorf("listed %v, want %s", arns, want)
	}
}

func TestOIDCProviderValidation(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	arn := oidcCreate(t, c, "https://issuer.example.com")
	on := aws.String(arn)

	hundred := make([]string, 100)
	for i := range hundred {
		hundred[i] = fmt.Sprintf("client-%d", i)
	}
	create := func(in *iam.CreateOpenIDConnectProviderInput) error {
		_, err := c.CreateOpenIDConnectProvider(ctx, in)
		return err
	}
	for _, tc := range []struct {
		name          string
		call          func() error
		code, message string
	}{
		{"same URL again", func() error {
			return create(&iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://issuer.example.com"), ThumbprintList: []string{oidcThumb("b")}})
		}, "EntityAlreadyExists", "Provider with url https://issuer.example.com already exists."},
		{"six thumbprints", func() error {
			return create(&iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://six.example.com"), ThumbprintList: []string{oidcThumb("a"), oidcThumb("b"), oidcThumb("c"), oidcThumb("d"), oidcThumb("e"), oidcThumb("f")}})
		}, "InvalidInput", "Thumbprint list must contain fewer than 5 entries."},
		{"101 client IDs", func() error {
			return create(&iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://many.example.com"), ClientIDList: append(slices.Clone(hundred), "one-more")})
		}, "LimitExceeded", "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100"},
		{"three constraint violations at once", func() error {
			return create(&iam.CreateOpenIDConnectProviderInput{Url: aws.String(strings.Repeat("b", 256)), ThumbprintList: []string{strings.Repeat("b", 41)}, ClientIDList: []string{strings.Repeat("b", 256)}})
		}, "ValidationError", "3 validation errors detected: " +
			"Value at 'clientIDList' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 1]; " +
			"Value at 'thumbprintList' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 40, Member must have length greater than or equal to 40]; " +
			"Value at 'url' failed to satisfy constraint: Member must have length less than or equal to 255"},
		{"short thumbprint", func() error {
			return create(&iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://short.example.com"), ThumbprintList: []string{strings.Repeat("a", 39)}})
		}, "ValidationError", "1 validation error detected: Value at 'thumbprintList' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 40, Member must have length greater than or equal to 40]"},
		{"empty client ID", func() error {
			return create(&iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://empty.example.com"), ClientIDList: []string{""}})
		}, "ValidationError", "1 validation error detected: Value at 'clientIDList' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 1]"},
		{"reserved tag key", func() error {
			return create(&iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://tag.example.com"), Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("v")}}})
		}, "InvalidInput", "User-defined tag keys can't start with \"aws:\". This prefix is reserved for AWS tags."},
		{"update to six thumbprints", func() error {
			_, err := c.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: on, ThumbprintList: []string{oidcThumb("a"), oidcThumb("b"), oidcThumb("c"), oidcThumb("d"), oidcThumb("e"), oidcThumb("f")}})
			return err
		}, "InvalidInput", "Thumbprint list must contain fewer than 5 entries."},
		{"update to a long thumbprint", func() error {
			_, err := c.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: on, ThumbprintList: []string{strings.Repeat("a", 41)}})
			return err
		}, "ValidationError", "1 validation error detected: Value at 'thumbprintList' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 40, Member must have length greater than or equal to 40]"},
		{"add a long client ID", func() error {
			_, err := c.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: on, ClientID: aws.String(strings.Repeat("c", 256))})
			return err
		}, "ValidationError", "1 validation error detected: Value at 'clientID' failed to satisfy constraint: Member must have length less than or equal to 255"},
		{"short ARN", func() error {
			_, err := c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String("arn:aws:iam::1:x")})
			return err
		}, "ValidationError", "1 validation error detected: Value at 'openIDConnectProviderArn' failed to satisfy constraint: Member must have length greater than or equal to 20"},
	} {
		oidcWant(t, tc.name, tc.call(), tc.code, tc.message)
	}

	// Accepted: no thumbprints at all, exactly five, any 40 characters.
	for i, tps := range [][]string{nil, {}, {oidcThumb("1"), oidcThumb("2"), oidcThumb("3"), oidcThumb("4"), oidcThumb("5")}, {oidcThumb("z")}} {
		url := fmt.Sprintf("https://ok%d.example.com", i)
		out, err := c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(url), ThumbprintList: tps})
		if err != nil {
			t.Errorf("create with thumbprints %v: %v", tps, err)
			continue
		}
		got, err := c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: out.OpenIDConnectProviderArn})
		if err != nil || len(got.ThumbprintList) != len(tps) || len(got.ClientIDList) != 0 || len(got.Tags) != 0 {
			t.Errorf("get %s: %+v, %v", url, got, err)
		}
	}

	// Client IDs: 100 at most, whichever way they come.
	if _, err := c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://full.example.com"), ClientIDList: hundred}); err != nil {
		t.Fatal(err)
	}
	full := aws.String(oidcARNPrefix + "full.example.com")
	_, err := c.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: full, ClientID: aws.String("one-more")})
	oidcWant(t, "add a 101st client ID", err, "LimitExceeded", "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100")
	if _, err := c.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: full, ClientID: aws.String("client-7")}); err != nil {
		t.Errorf("re-adding an existing client ID to a full provider: %v", err)
	}

	// Tags: 50 at most.
	var fifty []types.Tag
	for i := range 50 {
		fifty = append(fifty, types.Tag{Key: aws.String(fmt.Sprintf("k%02d", i)), Value: aws.String("v")})
	}
	if _, err := c.TagOpenIDConnectProvider(ctx, &iam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: on, Tags: fifty}); err != nil {
		t.Fatal(err)
	}
	_, err = c.TagOpenIDConnectProvider(ctx, &iam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: on, Tags: []types.Tag{{Key: aws.String("string"), Value: aws.String("string")}}})
	oidcWant(t, "51st tag", err, "LimitExceeded", "The number of tags has reached the maximum limit.")
	if _, err := c.TagOpenIDConnectProvider(ctx, &iam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: on, Tags: []types.Tag{{Key: aws.String("K07"), Value: aws.String("new")}}}); err != nil {
		t.Errorf("replacing a tag at the limit: %v", err)
	}

	// Nothing of the refused requests was stored.
	list, err := c.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
	if err != nil || len(list.OpenIDConnectProviderList) != 6 {
		t.Fatalf("providers after refusals: %+v, %v", list, err)
	}
}

func TestOIDCProviderMissingAndForeign(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	a := env.RootIAM(testenv.AccountA)
	b := env.RootIAM(testenv.AccountB)
	arn := oidcCreate(t, a, "https://issuer.example.com")
	missing := oidcARNPrefix + "missing.example.com"
	notFound := "OpenIDConnect Provider not found for arn " + missing

	m := aws.String(missing)
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"get", func() error {
			_, err := a.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: m})
			return err
		}},
		{"add client ID", func() error {
			_, err := a.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: m, ClientID: aws.String("x")})
			return err
		}},
		{"remove client ID", func() error {
			_, err := a.RemoveClientIDFromOpenIDConnectProvider(ctx, &iam.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: m, ClientID: aws.String("x")})
			return err
		}},
		{"update thumbprints", func() error {
			_, err := a.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: m, ThumbprintList: []string{oidcThumb("a")}})
			return err
		}},
		{"tag", func() error {
			_, err := a.TagOpenIDConnectProvider(ctx, &iam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: m, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			return err
		}},
		{"untag", func() error {
			_, err := a.UntagOpenIDConnectProvider(ctx, &iam.UntagOpenIDConnectProviderInput{OpenIDConnectProviderArn: m, TagKeys: []string{"k"}})
			return err
		}},
		{"list tags", func() error {
			_, err := a.ListOpenIDConnectProviderTags(ctx, &iam.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: m})
			return err
		}},
	} {
		oidcWant(t, tc.name, tc.call(), "NoSuchEntity", notFound)
	}
	_, err := a.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: m})
	oidcWant(t, "delete", err, "NoSuchEntity", "OpenId connect Provider "+missing+" cannot be found.")

	// Account B can neither see nor touch account A's provider.
	if _, err := b.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)}); oidcCode(err) != "AccessDenied" {
		t.Errorf("B gets A's provider: %v", err)
	}
	if _, err := b.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)}); oidcCode(err) != "AccessDenied" {
		t.Errorf("B deletes A's provider: %v", err)
	}
	if _, err := b.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String("b")}); oidcCode(err) != "AccessDenied" {
		t.Errorf("B adds a client ID to A's provider: %v", err)
	}
	list, err := b.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
	if err != nil || len(list.OpenIDConnectProviderList) != 0 {
		t.Errorf("B lists %+v, %v", list, err)
	}
	// B registers the same issuer for itself: providers are per account.
	if got := oidcCreate(t, b, "https://issuer.example.com"); got != "arn:aws:iam::"+testenv.AccountB+":oidc-provider/issuer.example.com" {
		t.Errorf("B's provider ARN %s", got)
	}
	got, err := a.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	if err != nil || len(got.ClientIDList) != 0 {
		t.Errorf("A's provider after B's attempts: %+v, %v", got, err)
	}
}

func TestOIDCProviderTagPagination(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	var tags []types.Tag
	for _, i := range []int{7, 2, 9, 0, 4, 1, 8, 3, 6, 5} {
		tags = append(tags, types.Tag{Key: aws.String(fmt.Sprintf("k%02d", i)), Value: aws.String(fmt.Sprint(i))})
	}
	out, err := c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://tags.example.com"), Tags: tags})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	var sizes []int
	p := iam.NewListOpenIDConnectProviderTagsPaginator(c, &iam.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: out.OpenIDConnectProviderArn, MaxItems: aws.Int32(4)})
	for p.HasMorePages() {
		pg, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(pg.Tags))
		for _, tg := range pg.Tags {
			keys = append(keys, aws.ToString(tg.Key))
		}
	}
	if fmt.Sprint(sizes) != "[4 4 2]" || strings.Join(keys, ",") != "k00,k01,k02,k03,k04,k05,k06,k07,k08,k09" {
		t.Fatalf("pages %v: %v", sizes, keys)
	}
	_, err = c.ListOpenIDConnectProviderTags(ctx, &iam.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: out.OpenIDConnectProviderArn, MaxItems: aws.Int32(0)})
	if oidcCode(err) != "ValidationError" {
		t.Errorf("MaxItems 0: %v", err)
	}
}

func TestOIDCProviderAccountQuota(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	for i := range 100 {
		oidcCreate(t, c, fmt.Sprintf("https://issuer%03d.example.com", i))
	}
	_, err := c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://one-too-many.example.com")})
	oidcWant(t, "101st provider", err, "LimitExceeded", "Cannot exceed quota for OpenIdConnectProvidersPerAccount: 100")
	list, err := c.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
	if err != nil || len(list.OpenIDConnectProviderList) != 100 {
		t.Fatalf("listed %d providers, %v (IAM does not paginate this list)", len(list.OpenIDConnectProviderList), err)
	}
}

// oidcCode returns the AWS error code of err, or "".
func oidcCode(err error) string {
	c, _ := oidcErr(err)
	return c
}

// TestOIDCProviderAuthorization checks that each operation asks the
// caller's policies, with the provider's ARN as the resource.
func TestOIDCProviderAuthorization(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	root := env.RootIAM(testenv.AccountA)
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ops")}); err != nil {
		t.Fatal(err)
	}
	key, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("ops")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("ops"), PolicyName: aws.String("p"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Action":["iam:CreateOpenIDConnectProvider","iam:GetOpenIDConnectProvider"],"Resource":"arn:aws:iam::111111111111:oidc-provider/allowed.example.com/*"},` +
		`{"Effect":"Allow","Action":"iam:TagOpenIDConnectProvider","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"ops"}}}]}`)}); err != nil {
		t.Fatal(err)
	}
	ops := env.IAM(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey))
	mine := oidcARNPrefix + "allowed.example.com/ci"
	other := oidcCreate(t, root, "https://other.example.com")

	if _, err := ops.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://allowed.example.com/ci")}); err != nil {
		t.Fatalf("create an allowed provider: %v", err)
	}
	if _, err := ops.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(mine)}); err != nil {
		t.Errorf("get an allowed provider: %v", err)
	}
	tag := func(arn, team string) error {
		_, err := ops.TagOpenIDConnectProvider(ctx, &iam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String(team)}}})
		return err
	}
	if err := tag(other, "ops"); err != nil {
		t.Errorf("tag with the allowed request tag: %v", err)
	}
	for what, call := range map[string]func() error{
		"create elsewhere": func() error {
			_, err := ops.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://denied.example.com")})
			return err
		},
		"get another provider": func() error {
			_, err := ops.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(other)})
			return err
		},
		"get a missing provider": func() error {
			_, err := ops.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(oidcARNPrefix + "missing.example.com")})
			return err
		},
		"list": func() error {
			_, err := ops.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
			return err
		},
		"tag with another request tag": func() error { return tag(other, "dev") },
		"untag": func() error {
			_, err := ops.UntagOpenIDConnectProvider(ctx, &iam.UntagOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(mine), TagKeys: []string{"team"}})
			return err
		},
		"list tags": func() error {
			_, err := ops.ListOpenIDConnectProviderTags(ctx, &iam.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: aws.String(mine)})
			return err
		},
		"add client ID": func() error {
			_, err := ops.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(mine), ClientID: aws.String("x")})
			return err
		},
		"remove client ID": func() error {
			_, err := ops.RemoveClientIDFromOpenIDConnectProvider(ctx, &iam.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(mine), ClientID: aws.String("x")})
			return err
		},
		"update thumbprints": func() error {
			_, err := ops.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: aws.String(mine), ThumbprintList: []string{oidcThumb("a")}})
			return err
		},
		"delete": func() error {
			_, err := ops.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(mine)})
			return err
		},
	} {
		if err := call(); oidcCode(err) != "AccessDenied" {
			t.Errorf("%s: %v, want AccessDenied", what, err)
		}
	}
	list, err := root.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
	if err != nil || len(list.OpenIDConnectProviderList) != 2 {
		t.Fatalf("providers: %+v, %v", list, err)
	}
}
