package iam_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/internal/testenv"
)

const (
	credCodeCommit = "codecommit.amazonaws.com"
	credKeyspaces  = "cassandra.amazonaws.com"
)

// credCreateSSC creates a service-specific credential, failing the test
// on error.
func credCreateSSC(t *testing.T, c *iam.Client, user, service string) *types.ServiceSpecificCredential {
	t.Helper()
	out, err := c.CreateServiceSpecificCredential(context.Background(), &iam.CreateServiceSpecificCredentialInput{UserName: aws.String(user), ServiceName: aws.String(service)})
	if err != nil {
		t.Fatalf("CreateServiceSpecificCredential %s %s: %v", user, service, err)
	}
	return out.ServiceSpecificCredential
}

func TestServiceSpecificCredentials(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	root := env.RootIAM(testenv.AccountA)
	_, kim := usrWithKey(t, env, "kim")
	usrCreate(t, root, "lee")
	kimName := aws.String("kim")
	// kim may manage only its CodeCommit credentials.
	usrPut(t, root, "kim", "git", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"arn:aws:iam::111111111111:user/kim",
		"Action":["iam:CreateServiceSpecificCredential","iam:ResetServiceSpecificCredential","iam:ListServiceSpecificCredentials"],
		"Condition":{"StringEqualsIfExists":{"iam:ServiceSpecificCredentialServiceName":"codecommit.amazonaws.com"}}}]}`)

	c1 := credCreateSSC(t, kim, "kim", credCodeCommit)
	id := aws.ToString(c1.ServiceSpecificCredentialId)
	if !strings.HasPrefix(id, "ACCA") || len(id) != 21 || aws.ToString(c1.ServiceUserName) != "kim-at-111111111111" ||
		len(aws.ToString(c1.ServicePassword)) != 60 || c1.Status != types.StatusTypeActive || aws.ToString(c1.UserName) != "kim" ||
		aws.ToString(c1.ServiceName) != credCodeCommit || c1.CreateDate == nil || c1.ServiceCredentialAlias != nil {
		t.Fatalf("CreateServiceSpecificCredential = %+v", c1)
	}
	credNotStored(t, env, "the service password", aws.ToString(c1.ServicePassword))
	_, err := kim.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{UserName: kimName, ServiceName: aws.String(credKeyspaces)})
	usrWant(t, "kim creates a Keyspaces credential", err, "AccessDenied", "")

	credCreateSSC(t, root, "kim", credCodeCommit)
	_, err = root.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{UserName: kimName, ServiceName: aws.String(credCodeCommit)})
	usrWant(t, "third CodeCommit credential", err, "LimitExceeded", "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: 2")
	ks := credCreateSSC(t, root, "kim", credKeyspaces) // a quota of its own
	credCreateSSC(t, root, "lee", credCodeCommit)
	_, err = root.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{UserName: kimName, ServiceName: aws.String("s3.amazonaws.com")})
	usrWant(t, "unsupported service", err, "NoSuchEntity", "No such service s3.amazonaws.com is supported for Service Specific Credentials")
	_, err = root.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{UserName: kimName, ServiceName: aws.String(credCodeCommit), CredentialAgeDays: aws.Int32(30)})
	usrWant(t, "an age for a CodeCommit credential", err, "InvalidInput", "")

	// Bedrock API keys: an alias and a secret, expiring.
	bk, err := root.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{UserName: aws.String("lee"), ServiceName: aws.String("bedrock.amazonaws.com"), CredentialAgeDays: aws.Int32(30)})
	if err != nil || bk.ServiceSpecificCredential.ServiceCredentialAlias == nil || bk.ServiceSpecificCredential.ServiceCredentialSecret == nil ||
		bk.ServiceSpecificCredential.ServicePassword != nil || bk.ServiceSpecificCredential.ExpirationDate == nil ||
		bk.ServiceSpecificCredential.ExpirationDate.Sub(*bk.ServiceSpecificCredential.CreateDate) != 30*24*time.Hour {
		t.Fatalf("Bedrock API key = %+v, %v", bk, err)
	}

	// Lists: the caller's own, one service's, every user's.
	list, err := kim.ListServiceSpecificCredentials(ctx, &iam.ListServiceSpecificCredentialsInput{ServiceName: aws.String(credCodeCommit)})
	if err != nil || len(list.ServiceSpecificCredentials) != 2 || aws.ToString(list.ServiceSpecificCredentials[0].ServiceUserName) != "kim-at-111111111111" {
		t.Fatalf("kim's CodeCommit credentials = %+v, %v", list, err)
	}
	if l, err := root.ListServiceSpecificCredentials(ctx, &iam.ListServiceSpecificCredentialsInput{UserName: kimName}); err != nil || len(l.ServiceSpecificCredentials) != 3 {
		t.Fatalf("all of kim's = %+v, %v", l, err)
	}
	if l, err := root.ListServiceSpecificCredentials(ctx, &iam.ListServiceSpecificCredentialsInput{AllUsers: aws.Bool(true), ServiceName: aws.String(credCodeCommit)}); err != nil || len(l.ServiceSpecificCredentials) != 3 {
		t.Fatalf("every user's CodeCommit credentials = %+v, %v", l, err)
	}

	// Reset gives a new password; Update deactivates.
	reset, err := kim.ResetServiceSpecificCredential(ctx, &iam.ResetServiceSpecificCredentialInput{ServiceSpecificCredentialId: aws.String(id)})
	if err != nil || aws.ToString(reset.ServiceSpecificCredential.ServicePassword) == aws.ToString(c1.ServicePassword) || len(aws.ToString(reset.ServiceSpecificCredential.ServicePassword)) != 60 {
		t.Fatalf("ResetServiceSpecificCredential = %+v, %v", reset, err)
	}
	_, err = kim.ResetServiceSpecificCredential(ctx, &iam.ResetServiceSpecificCredentialInput{ServiceSpecificCredentialId: ks.ServiceSpecificCredentialId})
	usrWant(t, "kim resets its Keyspaces credential", err, "AccessDenied", "")
	if _, err := root.UpdateServiceSpecificCredential(ctx, &iam.UpdateServiceSpecificCredentialInput{UserName: kimName, ServiceSpecificCredentialId: aws.String(id), Status: types.StatusTypeInactive}); err != nil {
		t.Fatal(err)
	}
	_, err = root.UpdateServiceSpecificCredential(ctx, &iam.UpdateServiceSpecificCredentialInput{UserName: aws.String("lee"), ServiceSpecificCredentialId: aws.String(id), Status: types.StatusTypeActive})
	usrWant(t, "kim's credential under lee", err, "NoSuchEntity", "No such credential "+id+" exists")

	env.Restart()
	root = env.RootIAM(testenv.AccountA)
	l, err := root.ListServiceSpecificCredentials(ctx, &iam.ListServiceSpecificCredentialsInput{UserName: kimName, ServiceName: aws.String(credCodeCommit)})
	if err != nil || len(l.ServiceSpecificCredentials) != 2 {
		t.Fatalf("after restart = %+v, %v", l, err)
	}
	for _, c := range l.ServiceSpecificCredentials {
		want := types.StatusTypeActive
		if aws.ToString(c.ServiceSpecificCredentialId) == id {
			want = types.StatusTypeInactive
		}
		if c.Status != want {
			t.Errorf("credential %s is %s after restart, want %s", aws.ToString(c.ServiceSpecificCredentialId), c.Status, want)
		}
	}
	if _, err := root.DeleteServiceSpecificCredential(ctx, &iam.DeleteServiceSpecificCredentialInput{UserName: kimName, ServiceSpecificCredentialId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	_, err = root.DeleteServiceSpecificCredential(ctx, &iam.DeleteServiceSpecificCredentialInput{UserName: kimName, ServiceSpecificCredentialId: aws.String(id)})
	usrWant(t, "delete again", err, "NoSuchEntity", "No such credential "+id+" exists")
}
