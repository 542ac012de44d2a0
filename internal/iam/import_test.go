package iam_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/iam"
	"github.com/assumed-dev/assumed/internal/store/sqlite"
)

const (
	impA = "111111111111"
	impB = "222222222222"
)

// impStore is an IAM service on a real SQLite store in a temporary
// directory; open loads another service from the same store, as a
// restart would.
type impStore struct {
	t      *testing.T
	st     *sqlite.Store
	sealer *creds.Sealer
}

func newImpStore(t *testing.T) *impStore {
	t.Helper()
	dir := t.TempDir()
	key, err := creds.LoadOrCreateMasterKey(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := creds.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "assumed.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &impStore{t: t, st: st, sealer: sealer}
}

func (s *impStore) open() *iam.Service {
	s.t.Helper()
	svc, err := iam.New(context.Background(), s.st, s.sealer, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		s.t.Fatal(err)
	}
	return svc
}

func impDate(s string) time.Time {
	d, _ := time.Parse(time.RFC3339, s)
	return d
}

func impDoc(statements string) string {
	return `{"Version":"2012-10-17","Statement":[` + statements + `]}`
}

// impAccount is a small account: a user in a group, a role that the
// other account's role may assume, a customer managed policy with two
// versions, a boundary and an instance profile. suffix varies the
// unique IDs between accounts.
func impAccount(id, other, suffix string) iam.ImportedAccount {
	arnOf := func(kind, name string) string { return "arn:aws:iam::" + id + ":" + kind + "/" + name }
	created := impDate("2020-01-02T03:04:05Z")
	pol := &directory.ManagedPolicy{
		Name: "deploy", Path: "/", ID: "ANPAEXAMPLEDEPLOY" + suffix, ARN: arnOf("policy", "deploy"),
		CreateDate: created, UpdateDate: impDate("2020-02-02T00:00:00Z"), DefaultVersion: "v2",
		Versions: []directory.PolicyVersion{
			{VersionID: "v1", Document: impDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`), CreateDate: created},
			{VersionID: "v2", Document: impDoc(`{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"*"}`), CreateDate: impDate("2020-02-02T00:00:00Z")},
		},
	}
	alice := &directory.User{Principal: directory.Principal{
		Name: "alice", Path: "/", ID: "AIDAEXAMPLEALICE" + suffix, ARN: arnOf("user", "alice"), CreateDate: created,
		Tags:     []directory.Tag{{Key: "team", Value: "platform"}},
		Inline:   []directory.InlinePolicy{{Name: "read-roles", Document: impDoc(`{"Effect":"Allow","Action":"iam:GetRole","Resource":"*"}`)}},
		Attached: []string{pol.ARN}, Boundary: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
	}}
	devs := &directory.Group{Principal: directory.Principal{Name: "devs", Path: "/", ID: "AGPAEXAMPLEDEVSG" + suffix, ARN: arnOf("group", "devs"), CreateDate: created,
		Attached: []string{"arn:aws:iam::aws:policy/IAMReadOnlyAccess"}}, Members: []string{"alice"}}
	trust := impDoc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + other + `:role/deploy"},"Action":"sts:AssumeRole"}`)
	deploy := &directory.Role{Principal: directory.Principal{Name: "deploy", Path: "/", ID: "AROAEXAMPLEDEPLO" + suffix, ARN: arnOf("role", "deploy"), CreateDate: created,
		Tags: []directory.Tag{{Key: "env", Value: "prod"}}}, TrustPolicy: trust}
	profile := &directory.InstanceProfile{Name: "deploy", Path: "/", ID: "AIPAEXAMPLEPROFI" + suffix, ARN: arnOf("instance-profile", "deploy"), CreateDate: created, Roles: []string{"deploy"}}
	return iam.ImportedAccount{ID: id, Source: id + ".json", Users: []*directory.User{alice}, Groups: []*directory.Group{devs}, Roles: []*directory.Role{deploy},
		Policies: []*directory.ManagedPolicy{pol}, InstanceProfiles: []*directory.InstanceProfile{profile}}
}

func TestImportNewAccounts(t *testing.T) {
	ctx := context.Background()
	s := newImpStore(t)
	svc := s.open()
	a, b := impAccount(impA, impB, "00001"), impAccount(impB, impA, "00002")
	a.Name = "prod"
	res, err := svc.Import(ctx, []iam.ImportedAccount{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Accounts) != 2 || res.Accounts[0].Name != "prod" || res.Accounts[1].Name != impB || res.Accounts[0].Replaced ||
		res.Accounts[0].Users != 1 || res.Accounts[0].Roles != 1 || res.Accounts[0].Policies != 1 || res.Accounts[0].InstanceProfiles != 1 {
		t.Errorf("result: %+v", res.Accounts)
	}
	// What is published is what a restart loads.
	for name, snap := range map[string]*directory.Snapshot{"published": svc.Directory().Snapshot(), "reloaded": s.open().Directory().Snapshot()} {
		if _, ok := snap.RootKey(impA); !ok {
			t.Errorf("%s: account A has no root access key", name)
		}
		ai := snap.AccountIAM(impA)
		u := ai.Users["alice"]
		if u == nil || u.ID != "AIDAEXAMPLEALICE00001" || !u.CreateDate.Equal(impDate("2020-01-02T03:04:05Z")) || u.Boundary == "" || u.Inline[0].Compiled == nil {
			t.Fatalf("%s: alice %+v", name, u)
		}
		if g := ai.Groups["devs"]; g == nil || !reflect.DeepEqual(g.Members, []string{"alice"}) {
			t.Errorf("%s: devs %+v", name, g)
		}
		r := ai.Roles["deploy"]
		// The trust is bound to B's role as it was imported.
		if r == nil || r.Trust == nil || r.MaxSessionDuration != 3600 || r.TrustBindings["arn:aws:iam::"+impB+":role/deploy"] != "AROAEXAMPLEDEPLO00002" {
			t.Errorf("%s: deploy %+v", name, r)
		}
		p := ai.Policies["arn:aws:iam::"+impA+":policy/deploy"]
		if p == nil || p.DefaultVersion != "v2" || len(p.Versions) != 2 || p.NextVersion != 3 || p.Versions[1].Compiled == nil {
			t.Errorf("%s: policy %+v", name, p)
		}
		if ip := ai.InstanceProfiles["deploy"]; ip == nil || ip.ID != "AIPAEXAMPLEPROFI00001" {
			t.Errorf("%s: instance profile %+v", name, ip)
		}
		if acct := snap.Accounts[impA]; acct == nil || acct.Name != "prod" {
			t.Errorf("%s: account %+v", name, acct)
		}
	}
}

func TestImportReplacesAnAccount(t *testing.T) {
	ctx := context.Background()
	s := newImpStore(t)
	svc := s.open()
	a := impAccount(impA, impB, "00001")
	a.Name = "prod"
	if _, err := svc.Import(ctx, []iam.ImportedAccount{a}); err != nil {
		t.Fatal(err)
	}
	root := &directory.Caller{AccountID: impA, ARN: "arn:aws:iam::" + impA + ":root", RequestTime: time.Now()}
	// Made on the copy since: a user with a key, a key of alice, a provider.
	if _, err := svc.CreateUser(ctx, root, &sdk.CreateUserInput{UserName: aws.String("temp")}); err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	for _, u := range []string{"temp", "alice"} {
		out, err := svc.CreateAccessKey(ctx, root, &sdk.CreateAccessKeyInput{UserName: aws.String(u)})
		if err != nil {
			t.Fatal(err)
		}
		keys[u] = aws.ToString(out.AccessKey.AccessKeyId)
	}
	if _, err := svc.CreateLoginProfile(ctx, root, &sdk.CreateLoginProfileInput{UserName: aws.String("temp"), Password: aws.String("Temp-password-1234!")}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateOpenIDConnectProvider(ctx, root, &sdk.CreateOpenIDConnectProviderInput{Url: aws.String("https://token.example.com"), ClientIDList: []string{"sts.amazonaws.com"}}); err != nil {
		t.Fatal(err)
	}
	before := svc.Directory().Snapshot()
	rootKey, _ := before.RootKey(impA)

	// Again, without a name: the account keeps "prod". alice is the same
	// user; the group is gone.
	a = impAccount(impA, impB, "00001")
	a.Groups = nil
	res, err := svc.Import(ctx, []iam.ImportedAccount{a})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Accounts[0].Replaced || res.Accounts[0].Name != "prod" {
		t.Errorf("result: %+v", res.Accounts[0])
	}
	for name, snap := range map[string]*directory.Snapshot{"published": svc.Directory().Snapshot(), "reloaded": s.open().Directory().Snapshot()} {
		ai := snap.AccountIAM(impA)
		if _, ok := ai.Users["temp"]; ok {
			t.Errorf("%s: user temp is still there", name)
		}
		if len(ai.Groups) != 0 {
			t.Errorf("%s: groups %v", name, ai.Groups)
		}
		if _, ok := snap.AccessKeys[keys["temp"]]; ok {
			t.Errorf("%s: the access key of user temp, who is gone, is still there", name)
		}
		if len(ai.Credentials.LoginProfiles) != 0 {
			t.Errorf("%s: the login profile of user temp is still there", name)
		}
		if _, ok := snap.AccessKeys[keys["alice"]]; !ok {
			t.Errorf("%s: alice's access key is gone, though alice is imported again", name)
		}
		if k, ok := snap.RootKey(impA); !ok || k.AccessKeyID != rootKey.AccessKeyID {
			t.Errorf("%s: the root access key changed", name)
		}
		if len(ai.OIDCProviders) != 1 {
			t.Errorf("%s: the OIDC provider is gone", name)
		}
		if snap.Accounts[impA].Name != "prod" || !snap.Accounts[impA].CreateDate.Equal(before.Accounts[impA].CreateDate) {
			t.Errorf("%s: account %+v", name, snap.Accounts[impA])
		}
	}

	// alice re-created in the real account: a new unique ID, and her
	// key is not hers.
	a = impAccount(impA, impB, "00001")
	a.Users[0].ID = "AIDAEXAMPLEALICE00009"
	if _, err := svc.Import(ctx, []iam.ImportedAccount{a}); err != nil {
		t.Fatal(err)
	}
	if _, ok := svc.Directory().Snapshot().AccessKeys[keys["alice"]]; ok {
		t.Error("the key of the alice who is gone belongs to the new alice")
	}
}

func TestImportAWSManagedPolicies(t *testing.T) {
	ctx := context.Background()
	const brandNew = "arn:aws:iam::aws:policy/AmazonBrandNewServiceFullAccess"
	copyOf := &directory.ManagedPolicy{Name: "AmazonBrandNewServiceFullAccess", Path: "/", ID: "ANPAEXAMPLEBRANDNEW01", ARN: brandNew,
		CreateDate: impDate("2025-01-01T00:00:00Z"), UpdateDate: impDate("2025-01-01T00:00:00Z"), DefaultVersion: "v3",
		Versions: []directory.PolicyVersion{{VersionID: "v3", Document: impDoc(`{"Effect":"Allow","Action":"brandnew:*","Resource":"*"}`)}}}
	readOnly := &directory.ManagedPolicy{Name: "IAMReadOnlyAccess", Path: "/", ARN: "arn:aws:iam::aws:policy/IAMReadOnlyAccess", DefaultVersion: "v99",
		Versions: []directory.PolicyVersion{{VersionID: "v99", Document: impDoc(`{"Effect":"Allow","Action":"*","Resource":"*"}`)}}}

	s := newImpStore(t)
	svc := s.open()
	a := impAccount(impA, impB, "00001")
	a.Roles[0].Attached = []string{brandNew}
	if _, err := svc.Import(ctx, []iam.ImportedAccount{a}); err == nil || !strings.Contains(err.Error(), "role deploy: attached policy "+brandNew+" is an AWS managed policy that neither the source lists nor assumed knows") {
		t.Fatalf("an AWS managed policy nobody knows: %v", err)
	}
	a.AWSManagedPolicies = []*directory.ManagedPolicy{copyOf, readOnly}
	res, err := svc.Import(ctx, []iam.ImportedAccount{a})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Accounts[0].KeptAWSManagedPolicies; !reflect.DeepEqual(got, []string{brandNew}) {
		t.Errorf("kept %v", got)
	}
	if w := strings.Join(res.Accounts[0].Warnings, "\n"); !strings.Contains(w, "IAMReadOnlyAccess: the source has version v99, assumed's copy is v4") ||
		!strings.Contains(w, "AmazonBrandNewServiceFullAccess is unknown to assumed: its version v3 is kept") {
		t.Errorf("warnings:\n%s", w)
	}
	for name, snap := range map[string]*directory.Snapshot{"published": svc.Directory().Snapshot(), "reloaded": s.open().Directory().Snapshot()} {
		p, ok := snap.Policy(brandNew)
		if !ok || p.Default() == nil || p.Default().Compiled == nil || p.ID != copyOf.ID {
			t.Errorf("%s: the kept copy: %+v", name, p)
		}
		// The server's own copy wins over the source's.
		if p, ok := snap.Policy(readOnly.ARN); !ok || p.DefaultVersion != "v4" {
			t.Errorf("%s: IAMReadOnlyAccess: %+v", name, p)
		}
	}
}

func TestImportRefusals(t *testing.T) {
	ctx := context.Background()
	s := newImpStore(t)
	svc := s.open()
	existing := impAccount(impB, impA, "00002")
	existing.Name = "dev"
	if _, err := svc.Import(ctx, []iam.ImportedAccount{existing}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		edit func(a *iam.ImportedAccount) []iam.ImportedAccount
		want string
	}{
		{"an ARN the path does not make", func(a *iam.ImportedAccount) []iam.ImportedAccount {
			a.Users[0].Path = "/x/"
			return nil
		}, "user alice: ARN arn:aws:iam::111111111111:user/alice is not the one its account, path and name make, arn:aws:iam::111111111111:user/x/alice"},
		{"a name IAM refuses", func(a *iam.ImportedAccount) []iam.ImportedAccount {
			a.Roles[0].Name, a.Roles[0].ARN = "de ploy", "arn:aws:iam::111111111111:role/de ploy"
			return nil
		}, "role de ploy: ValidationError"},
		{"two users of one name", func(a *iam.ImportedAccount) []iam.ImportedAccount {
			u := *a.Users[0]
			u.Name, u.ARN, u.ID = "ALICE", "arn:aws:iam::111111111111:user/ALICE", "AIDAEXAMPLEALICE00003"
			a.Users = append(a.Users, &u)
			return nil
		}, "user ALICE: the account has it twice"},
		{"one ID twice", func(a *iam.ImportedAccount) []iam.ImportedAccount {
			a.Roles[0].ID = "AROAEXAMPLEDEPLO00001"
			a.Users[0].ID = "AROAEXAMPLEDEPLO00001"
			return nil
		}, `user alice: unique ID "AROAEXAMPLEDEPLO00001" does not start with AIDA`},
		{"a missing customer managed policy", func(a *iam.ImportedAccount) []iam.ImportedAccount {
			a.Policies = nil
			return nil
		}, "attached policy arn:aws:iam::111111111111:policy/deploy is not one of the account's customer managed policies"},
		{"a member who is no user", func(a *iam.ImportedAccount) []iam.ImportedAccount {
			a.Groups[0].Members = []string{"mallory"}
			return nil
		}, "group devs: member mallory is not one of the account's users"},
		{"a trust policy that does not parse", func(a *iam.ImportedAccount) []iam.ImportedAccount {
			a.Roles[0].TrustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`
			return nil
		}, "role deploy: trust policy"},
		{"an inline policy that does not parse", func(a *iam.ImportedAccount) []iam.ImportedAccount {
			a.Users[0].Inline[0].Document = `{"Statement":`
			return nil
		}, "build the imported state: decode user 111111111111/alice: inline policy read-roles"},
		{"a version list without its default", func(a *iam.ImportedAccount) []iam.ImportedAccount {
			a.Policies[0].DefaultVersion = "v7"
			return nil
		}, `managed policy deploy: default version "v7" is not one of its versions`},
		{"another account's name", func(a *iam.ImportedAccount) []iam.ImportedAccount {
			a.Name = "dev"
			return nil
		}, "account 111111111111 can't be named dev: account 222222222222 has that name"},
		{"an account twice", func(a *iam.ImportedAccount) []iam.ImportedAccount {
			return []iam.ImportedAccount{*a, *a}
		}, "account 111111111111 is imported twice"},
		{"a bad account ID", func(a *iam.ImportedAccount) []iam.ImportedAccount {
			a.ID = "1111"
			return nil
		}, `account ID "1111" is not 12 digits`},
	} {
		t.Run(c.name, func(t *testing.T) {
			before, err := s.st.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			a := impAccount(impA, impB, "00001")
			accounts := c.edit(&a)
			if accounts == nil {
				accounts = []iam.ImportedAccount{a}
			}
			_, err = svc.Import(ctx, accounts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v\nwant %q", err, c.want)
			}
			after, err := s.st.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(before, after) {
				t.Error("a refused import changed the store")
			}
			if _, ok := svc.Directory().Snapshot().Accounts[impA]; ok {
				t.Error("a refused import published its account")
			}
		})
	}
}
