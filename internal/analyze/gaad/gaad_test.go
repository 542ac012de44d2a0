package gaad

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/assumed-dev/assumed/internal/directory"
)

const testAccount = "123456789012"

// readTestAccount parses testdata/account.json, written in the shape the
// AWS CLI prints: documents decoded, some left URL-encoded as the raw
// API has them.
func readTestAccount(t *testing.T) *Account {
	t.Helper()
	a, err := ReadFile(filepath.Join("testdata", "account.json"))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// jsonEqual reports whether two JSON texts hold the same value.
func jsonEqual(t *testing.T, a, b string) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal([]byte(a), &va); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal([]byte(b), &vb); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(va, vb)
}

func utc(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return d.UTC()
}

func TestParseAccount(t *testing.T) {
	a := readTestAccount(t)
	if a.ID != testAccount {
		t.Fatalf("account %q, want %s", a.ID, testAccount)
	}
	if got := len(a.Users) + len(a.Groups) + len(a.Roles) + len(a.Policies) + len(a.InstanceProfiles) + len(a.AWSManagedPolicies); got != 2+2+2+2+1+1 {
		t.Fatalf("%s: %d entities in all", a, got)
	}
	alice, bob := a.Users[0], a.Users[1]
	want := directory.Principal{
		Name: "alice", Path: "/", ID: "AIDAEXAMPLEALICE00001", ARN: "arn:aws:iam::123456789012:user/alice",
		CreateDate: utc(t, "2019-03-04T05:06:07Z"),
		Tags:       []directory.Tag{{Key: "team", Value: "platform"}, {Key: "cost-center", Value: "42"}},
		Attached:   []string{"arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::123456789012:policy/team/deploy-tools"},
		Boundary:   "arn:aws:iam::123456789012:policy/boundaries/dev-boundary",
	}
	got := alice.Principal
	inline := got.Inline
	got.Inline = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("alice:\n got %+v\nwant %+v", got, want)
	}
	// A URL-encoded inline document is kept as AWS stored it.
	if len(inline) != 1 || inline[0].Name != "alice-s3" || inline[0].Compiled == nil ||
		inline[0].Document != `{"Version":"2012-10-17","Statement":[{"Sid":"Reports","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::reports/alice/*"}]}` {
		t.Errorf("alice's inline policies: %+v", inline)
	}
	if bob.Path != "/contractors/" || bob.ARN != "arn:aws:iam::123456789012:user/contractors/bob" || bob.Tags != nil || bob.Boundary != "" || !bob.CreateDate.Equal(utc(t, "2020-01-02T03:04:05Z")) {
		t.Errorf("bob: %+v", bob.Principal)
	}

	admins, devs := a.Groups[0], a.Groups[1]
	if !reflect.DeepEqual(admins.Members, []string{"alice"}) || !reflect.DeepEqual(devs.Members, []string{"alice", "bob"}) {
		t.Errorf("members: admins %v, devs %v", admins.Members, devs.Members)
	}
	if devs.ARN != "arn:aws:iam::123456789012:group/eng/devs" || devs.ID != "AGPAEXAMPLEDEVS000002" || !reflect.DeepEqual(devs.Attached, []string{"arn:aws:iam::123456789012:policy/team/deploy-tools"}) {
		t.Errorf("devs: %+v", devs.Principal)
	}
	// A decoded (object) document is kept compact, in its members' order.
	if len(admins.Inline) != 1 || admins.Inline[0].Document != `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}]}` {
		t.Errorf("admins' inline policies: %+v", admins.Inline)
	}

	deploy, support := a.Roles[0], a.Roles[1]
	wantTrust := `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "a+b/c=d"}}}]}`
	if deploy.TrustPolicy != wantTrust || deploy.Trust == nil {
		t.Errorf("deploy's trust policy: %s", deploy.TrustPolicy)
	}
	if deploy.Boundary != "arn:aws:iam::aws:policy/PowerUserAccess" || !reflect.DeepEqual(deploy.Tags, []directory.Tag{{Key: "env", Value: "prod"}}) ||
		deploy.MaxSessionDuration != 3600 || !reflect.DeepEqual(deploy.Attached, []string{"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}) {
		t.Errorf("deploy: %+v", deploy)
	}
	if support.Path != "/aws-service-role/support.amazonaws.com/" || support.Trust == nil {
		t.Errorf("the service-linked role: %+v", support)
	}
	wantProfile := &directory.InstanceProfile{Name: "deploy-profile", Path: "/", ID: "AIPAEXAMPLEPROFILE001", ARN: "arn:aws:iam::123456789012:instance-profile/deploy-profile",
		CreateDate: utc(t, "2021-05-06T07:08:10Z"), Roles: []string{"deploy"}}
	if !reflect.DeepEqual(a.InstanceProfiles[0], wantProfile) {
		t.Errorf("instance profile:\n got %+v\nwant %+v", a.InstanceProfiles[0], wantProfile)
	}

	tools := a.Policies[0]
	if tools.ARN != "arn:aws:iam::123456789012:policy/team/deploy-tools" || tools.Path != "/team/" || tools.ID != "ANPAEXAMPLEDEPLOYTOOL" ||
		tools.Description != "What the deploy tooling needs" || tools.DefaultVersion != "v2" || tools.NextVersion != 4 ||
		!tools.UpdateDate.Equal(utc(t, "2019-02-01T00:00:00Z")) {
		t.Errorf("deploy-tools: %+v", tools)
	}
	var versions []string
	for _, v := range tools.Versions {
		versions = append(versions, v.VersionID)
		if v.Compiled == nil {
			t.Errorf("version %s is not compiled", v.VersionID)
		}
	}
	if !reflect.DeepEqual(versions, []string{"v1", "v2", "v3"}) {
		t.Errorf("versions %v, want oldest first", versions)
	}
	if d := tools.Default(); d == nil || !jsonEqual(t, d.Document, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:Describe*","ecr:GetAuthorizationToken"],"Resource":"*"}]}`) ||
		!d.CreateDate.Equal(utc(t, "2019-02-01T00:00:00Z")) {
		t.Errorf("default version: %+v", d)
	}

	// AWS managed policies: the default version only, not compiled.
	ro := a.AWSManagedPolicies[0]
	if ro.ARN != "arn:aws:iam::aws:policy/ReadOnlyAccess" || ro.DefaultVersion != "v120" || len(ro.Versions) != 1 || ro.Versions[0].VersionID != "v120" || ro.Versions[0].Compiled != nil {
		t.Errorf("ReadOnlyAccess: %+v", ro)
	}
}

func TestDocumentForms(t *testing.T) {
	const doc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a b+c/*"}]}`
	for _, c := range []struct {
		name, raw, want, err string
	}{
		{"decoded object", "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::a b+c/*\"}]\n}", doc, ""},
		{"URL-encoded", `"%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22arn%3Aaws%3As3%3A%3A%3Aa%20b%2Bc%2F%2A%22%7D%5D%7D"`, doc, ""},
		{"JSON text", `"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::a b+c/*\"}]}"`, doc, ""},
		{"null", `null`, "", "missing"},
		{"number", `42`, "", "a JSON number"},
		{"list", `[1]`, "", "a JSON list"},
		{"bad escape", `"%7B%ZZ"`, "", "neither JSON nor URL-encoded JSON"},
		{"not a document", `"hello"`, "", "neither JSON nor URL-encoded JSON"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := document(json.RawMessage(c.raw))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %q, %v\nwant %q", got, err, c.want)
			}
		})
	}
}

func TestDateForms(t *testing.T) {
	want := time.Date(2023, 4, 5, 6, 7, 8, 0, time.UTC)
	for _, raw := range []string{`"2023-04-05T06:07:08Z"`, `"2023-04-05T06:07:08+00:00"`, `"2023-04-05T08:07:08+02:00"`, `"2023-04-05 06:07:08+00:00"`, `"2023-04-05T06:07:08"`, `1680674828`, `1.680674828E9`} {
		got, err := date(json.RawMessage(raw))
		if err != nil || !got.Equal(want) {
			t.Errorf("date(%s) = %v, %v; want %v", raw, got, err, want)
		}
	}
	for _, raw := range []string{`"yesterday"`, `true`, `null`, ``} {
		if _, err := date(json.RawMessage(raw)); err == nil {
			t.Errorf("date(%s) is accepted", raw)
		}
	}
}

// variant is testdata/account.json with edit applied to its decoded
// form, encoded again.
func variant(t *testing.T, edit func(top map[string]any)) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "account.json"))
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]any
	if err := json.Unmarshal(b, &top); err != nil {
		t.Fatal(err)
	}
	edit(top)
	out, err := json.MarshalIndent(top, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// item returns the i-th object of a top-level list.
func item(top map[string]any, list string, i int) map[string]any {
	return top[list].([]any)[i].(map[string]any)
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		data func(t *testing.T) []byte
		want string
		line int
	}{
		{"empty", func(*testing.T) []byte { return []byte(" \n") }, "the file is empty", 0},
		{"bad JSON", func(*testing.T) []byte {
			return []byte("{\n  \"UserDetailList\": [\n    {\"UserName\": \"a\",}\n  ]\n}")
		}, "not valid JSON", 3},
		{"a list", func(*testing.T) []byte { return []byte(`[{"UserDetailList": []}]`) }, "the file holds a JSON array", 1},
		{"list-users output", func(*testing.T) []byte { return []byte(`{"Users": []}`) }, "not the output of `aws iam get-account-authorization-details`: it has Users", 0},
		{"unknown member", func(t *testing.T) []byte {
			return variant(t, func(top map[string]any) { top["Roles"] = []any{} })
		}, "unknown top-level members Roles", 0},
		{"a list of the wrong type", func(*testing.T) []byte {
			return []byte("{\n\"RoleDetailList\": [],\n\"UserDetailList\": {\"UserName\": \"a\"}\n}")
		}, "UserDetailList is a JSON object, not the list", 3},
		{"one page of several", func(t *testing.T) []byte {
			return variant(t, func(top map[string]any) { top["IsTruncated"], top["Marker"] = true, "AAAA" })
		}, "one page of several", 0},
		{"cut short by --max-items", func(t *testing.T) []byte {
			return variant(t, func(top map[string]any) { top["NextToken"] = "eyJNYXJrZXIiOiBudWxsfQ==" })
		}, "--max-items", 0},
		{"two accounts", func(t *testing.T) []byte {
			return variant(t, func(top map[string]any) {
				item(top, "RoleDetailList", 0)["Arn"] = "arn:aws:iam::999999999999:role/deploy"
			})
		}, "mixes accounts: group admins (arn:aws:iam::123456789012:group/admins) is in account 123456789012, but role deploy (arn:aws:iam::999999999999:role/deploy) is in 999999999999", 0},
		{"another account's policy attached", func(t *testing.T) []byte {
			return variant(t, func(top map[string]any) {
				item(top, "GroupDetailList", 1)["AttachedManagedPolicies"] = []any{map[string]any{"PolicyName": "x", "PolicyArn": "arn:aws:iam::999999999999:policy/x"}}
			})
		}, "mixes accounts", 0},
		{"a group the file lacks", func(t *testing.T) []byte {
			return variant(t, func(top map[string]any) { item(top, "UserDetailList", 1)["GroupList"] = []any{"ops"} })
		}, "user bob: it is a member of group ops, which GroupDetailList lacks", 0},
		{"an ARN that is not the path's", func(t *testing.T) []byte {
			return variant(t, func(top map[string]any) { item(top, "UserDetailList", 1)["Path"] = "/" })
		}, "user bob: its Arn arn:aws:iam::123456789012:user/contractors/bob is not the ARN its path and name make, arn:aws:iam::123456789012:user/bob", 0},
		{"another partition", func(t *testing.T) []byte {
			return variant(t, func(top map[string]any) {
				item(top, "UserDetailList", 0)["Arn"] = "arn:aws-cn:iam::123456789012:user/alice"
			})
		}, "assumed hosts accounts of the aws partition only", 0},
		{"a role's ID as a user's", func(t *testing.T) []byte {
			return variant(t, func(top map[string]any) { item(top, "UserDetailList", 1)["UserId"] = "AROAEXAMPLEBOB0000002" })
		}, `user bob: unique ID: "AROAEXAMPLEBOB0000002" does not start with AIDA`, 0},
		{"an ID twice", func(t *testing.T) []byte {
			return variant(t, func(top map[string]any) { item(top, "UserDetailList", 1)["UserId"] = "AIDAEXAMPLEALICE00001" })
		}, "unique ID AIDAEXAMPLEALICE00001 is user alice's too", 0},
		{"a user twice", func(t *testing.T) []byte {
			return variant(t, func(top map[string]any) {
				top["UserDetailList"] = append(top["UserDetailList"].([]any), item(top, "UserDetailList", 0))
			})
		}, "user alice: UserDetailList has it twice", 0},
		{"no name", func(t *testing.T) []byte {
			return variant(t, func(top map[string]any) { delete(item(top, "RoleDetailList", 1), "RoleName") })
		}, "RoleDetailList[1]: it has no name", 0},
		{"no date", func(t *testing.T) []byte {
			return variant(t, func(top map[string]any) { delete(item(top, "GroupDetailList", 0), "CreateDate") })
		}, "group admins: CreateDate: missing", 0},
		{"a trust policy assumed refuses", func(t *testing.T) []byte {
			return variant(t, func(top map[string]any) {
				item(top, "RoleDetailList", 1)["AssumeRolePolicyDocument"] = map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": "sts:AssumeRole"}}}
			})
		}, "role AWSServiceRoleForSupport: AssumeRolePolicyDocument is refused by assumed's policy parser", 0},
		{"an inline document that is a number", func(t *testing.T) []byte {
			return variant(t, func(top map[string]any) {
				item(top, "GroupDetailList", 0)["GroupPolicyList"] = []any{map[string]any{"PolicyName": "p", "PolicyDocument": 7}}
			})
		}, "group admins: inline policy p: PolicyDocument: a JSON number", 0},
		{"two default versions", func(t *testing.T) []byte {
			return variant(t, func(top map[string]any) {
				item(top, "Policies", 0)["PolicyVersionList"].([]any)[0].(map[string]any)["IsDefaultVersion"] = true
			})
		}, "managed policy deploy-tools: versions v3, v2 are all marked IsDefaultVersion", 0},
		{"a default version not listed", func(t *testing.T) []byte {
			return variant(t, func(top map[string]any) { item(top, "Policies", 1)["DefaultVersionId"] = "v9" })
		}, "DefaultVersionId is v9, but version v1 is marked IsDefaultVersion", 0},
		{"a bad version ID", func(t *testing.T) []byte {
			return variant(t, func(top map[string]any) {
				item(top, "Policies", 0)["PolicyVersionList"].([]any)[0].(map[string]any)["VersionId"] = "3"
			})
		}, `VersionId "3" is not v1, v2, …`, 0},
		{"an instance profile of two roles", func(t *testing.T) []byte {
			return variant(t, func(top map[string]any) {
				item(top, "RoleDetailList", 1)["InstanceProfileList"] = item(top, "RoleDetailList", 0)["InstanceProfileList"]
			})
		}, "it is role deploy's too: an instance profile has one role", 0},
		{"nothing to take the account from", func(*testing.T) []byte {
			return []byte(`{"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}`)
		}, "no ARN to take the account's ID from", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("prod.json", c.data(t))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err %v, want a *gaad.Error", err)
			}
			if e.File != "prod.json" || !strings.Contains(e.Msg, c.want) || e.Line != c.line {
				t.Fatalf("err %q (line %d)\nwant %q (line %d)", err, e.Line, c.want, c.line)
			}
			if !strings.HasPrefix(err.Error(), "prod.json") {
				t.Fatalf("err %q does not start with the file's name", err)
			}
		})
	}
}

// TestParseRawAPIForms reads the answer as the raw API's JSON form has
// it: wrapped in GetAccountAuthorizationDetailsResponse, dates as
// seconds since 1970, and as boto3's answer dumped with str() dates.
func TestParseRawAPIForms(t *testing.T) {
	want := readTestAccount(t)
	for _, c := range []struct {
		name string
		edit func(top map[string]any) map[string]any
	}{
		{"query protocol JSON", func(top map[string]any) map[string]any {
			item(top, "UserDetailList", 0)["CreateDate"] = 1.551675967e9 // 2019-03-04T05:06:07Z
			return map[string]any{responseMember: map[string]any{resultMember: top, "ResponseMetadata": map[string]any{"RequestId": "x"}}}
		}},
		{"boto3", func(top map[string]any) map[string]any {
			item(top, "UserDetailList", 0)["CreateDate"] = "2019-03-04 05:06:07+00:00"
			top["ResponseMetadata"], top["IsTruncated"] = map[string]any{"HTTPStatusCode": 200}, false
			return top
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var wrapped map[string]any
			data := variant(t, func(top map[string]any) { wrapped = c.edit(top) })
			if wrapped != nil {
				var err error
				if data, err = json.Marshal(wrapped); err != nil {
					t.Fatal(err)
				}
			}
			got, err := Parse("raw.json", data)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != want.ID || !got.Users[0].CreateDate.Equal(want.Users[0].CreateDate) || len(got.Roles) != len(want.Roles) || got.Roles[0].TrustPolicy != want.Roles[0].TrustPolicy {
				t.Errorf("%s read differently: %s", c.name, got)
			}
		})
	}
}

func TestReadFilesOneFilePerAccount(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join("testdata", "account.json"))
	if err != nil {
		t.Fatal(err)
	}
	a, c := filepath.Join(dir, "a.json"), filepath.Join(dir, "copy.json")
	for _, p := range []string{a, c} {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ReadFiles([]string{a, c}); err == nil || !strings.Contains(err.Error(), "describes account 123456789012, as "+a+" does") {
		t.Fatalf("two files of one account: %v", err)
	}
	if _, err := ReadFiles([]string{filepath.Join(dir, "absent.json")}); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a missing file: %v", err)
	}
}

// FuzzParse checks that no input makes Parse panic, and that what it
// accepts has an account and compiled documents.
func FuzzParse(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "account.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"GetAccountAuthorizationDetailsResponse":{"GetAccountAuthorizationDetailsResult":{"UserDetailList":[]}}}`))
	f.Add([]byte(`{"RoleDetailList":[{"RoleName":"r","RoleId":"AROAEXAMPLEROLE000001","Arn":"arn:aws:iam::123456789012:role/r","CreateDate":1,"AssumeRolePolicyDocument":"%7B%7D"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Parse("fuzz.json", data)
		if err != nil {
			return
		}
		if len(a.ID) != 12 {
			t.Fatalf("accepted with account %q", a.ID)
		}
		for _, r := range a.Roles {
			if r.Trust == nil {
				t.Fatalf("role %s accepted without a compiled trust policy", r.Name)
			}
		}
	})
}
