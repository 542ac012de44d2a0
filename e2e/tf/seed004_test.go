package tf

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// Seed 004 whole, as its author built it: account A's table, role and
// resource policies, applied first trusting B's whole account; account B's
// role bar and users; a writer whose provider starts from B's deployer,
// assumes bar, then A's foo_bar, and writes an item into A's table. While
// A trusts B's account, B's user other (allowed sts:AssumeRole on anything
// by its own account) reaches foo_bar too; once A's trust is tightened to
// bar, other is refused and the deployer's chain still writes. B's role
// bar also reaches A's ECR repository and S3 bucket directly, through
// their resource policies. Each step plans clean; everything is destroyed.
func TestTerraformSeed004(t *testing.T) {
	t.Parallel()
	bin := requireTerraform(t)
	requireMoto(t)
	srv := testenv.StartWith(t, testenv.Options{Backend: "moto"})
	common := map[string]string{"endpoint": srv.URL, "credentials_file": srv.DataDir + "/credentials"}

	// Account A, trusting B's account root.
	a := newTFDir(t, bin, srv, "seed004/account_a", common)
	a.apply()
	a.planClean()
	fooBar := a.output("role_to_be_assumed")
	if fooBar != "arn:aws:iam::111111111111:role/foo_bar" {
		t.Fatalf("role_to_be_assumed = %s", fooBar)
	}

	// Account B.
	b := newTFDir(t, bin, srv, "seed004/account_b", common)
	b.apply("role_to_assume=" + fooBar)
	b.planClean("role_to_assume=" + fooBar)
	bo := b.outputs()
	bar := bo["role_which_will_assume"].(string)
	if bar != "arn:aws:iam::222222222222:role/bar" || bo["account_id"] != "222222222222" {
		t.Fatalf("account B's outputs: %v", bo["role_which_will_assume"])
	}
	chain := func(roles ...string) string {
		j, _ := json.Marshal(roles)
		return "chain=" + string(j)
	}
	// The keys go in the environment (TF_VAR_…), not on command lines
	// that the test log shows.
	keys := func(who string) map[string]string {
		return map[string]string{"endpoint": srv.URL, "access_key": bo[who+"_access_key_id"].(string), "secret_key": bo[who+"_secret_access_key"].(string)}
	}

	// The writer: deployer → bar → foo_bar, an item in A's table.
	w := newTFDir(t, bin, srv, "seed004/writer", keys("deployer"))
	wvars := []string{chain(bar, fooBar)}
	w.apply(wvars...)
	w.planClean(wvars...)
	if got := w.output("caller_arn"); got != "arn:aws:sts::111111111111:assumed-role/foo_bar/seed004-writer" {
		t.Fatalf("the chained provider's caller identity in A: %s", got)
	}
	checkItem(t, srv, "from-b", "written from account B")

	// While A trusts B's whole account, other reaches foo_bar as well.
	o := newTFDir(t, bin, srv, "seed004/whoami", keys("other"))
	o.apply(chain(fooBar))
	if got := o.output("caller_arn"); got != "arn:aws:sts::111111111111:assumed-role/foo_bar/seed004-whoami" {
		t.Fatalf("other, while A trusts B's account: %s", got)
	}

	// A tightens its trust (and its resource policies) to bar: other is
	// refused, the deployer's chain still writes.
	a.apply("role_which_will_assume=" + bar)
	a.planClean("role_which_will_assume=" + bar)
	o.applyFails("AccessDenied", chain(fooBar))
	wvars = append(wvars, "note=after the trust was tightened")
	w.apply(wvars...)
	checkItem(t, srv, "from-b", "after the trust was tightened")

	// bar reaches A's repository and bucket through their policies.
	r := newTFDir(t, bin, srv, "seed004/b_resources", keys("deployer"))
	rvars := []string{"role_arn=" + bar}
	r.apply(rvars...)
	r.planClean(rvars...)
	if got := r.output("repository_arn"); got != "arn:aws:ecr:us-east-1:111111111111:repository/app" {
		t.Fatalf("A's repository as bar sees it: %s", got)
	}
	if got := r.output("caller_arn"); got != "arn:aws:sts::222222222222:assumed-role/bar/seed004-b-resources" {
		t.Fatalf("b_resources' caller: %s", got)
	}

	r.destroy(rvars...)
	w.destroy(wvars...)
	b.destroy("role_to_assume=" + fooBar)
	a.destroy("role_which_will_assume=" + bar)
	roles, err := srv.RootIAM(testenv.AccountA).ListRoles(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range roles.Roles {
		if aws.ToString(role.RoleName) == "foo_bar" {
			t.Fatal("foo_bar outlived terraform destroy")
		}
	}
}

// checkItem reads an item of A's TestTable through assumed, as A's root,
// and wants its note.
func checkItem(t *testing.T, srv *testenv.Env, id, note string) {
	t.Helper()
	out, err := dynamodb.NewFromConfig(srv.RootConfig(testenv.AccountA)).GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String("TestTable"),
		Key:       map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: id}},
	})
	if err != nil {
		t.Fatalf("read item %s: %v", id, err)
	}
	got, ok := out.Item["note"].(*ddbtypes.AttributeValueMemberS)
	if !ok || got.Value != note {
		t.Fatalf("item %s: %v, want note %q", id, out.Item, note)
	}
}
