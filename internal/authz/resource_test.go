package authz_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/iam"
	"github.com/assumed-dev/assumed/internal/store/sqlite"
	"github.com/assumed-dev/assumed/internal/world"
	"github.com/assumed-dev/assumed/policy"
)

// rsWorld is the world of the resource-policy tests. Account A holds the
// resources (bucket-a, table-a, key-a); account B's principals reach them
// across accounts.
//
//	A: alice (s3:GetObject, s3:ListBucket, kms:Decrypt allowed), bob and
//	   carol (no policies; carol is tagged team=blue), dora (allows s3:*,
//	   denies s3:GetObject), erin (s3:GetObject in her own account only,
//	   and on resources tagged env=dev); roles plain (no policies) and
//	   bounded (s3:* allowed, boundary allowing only kms:*).
//	B: bert (s3:GetObject, kms:Decrypt, dynamodb:GetItem allowed), bare
//	   (no policies); role b-reader (same as bert), tagged team=red.
const rsWorld = `accounts:
  - id: "111111111111"
    name: account-a
    policies:
      - name: KMSOnly
        document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "kms:*", Resource: "*"}]}
    users:
      - name: alice
        policies:
          read: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: ["s3:GetObject", "s3:ListBucket", "kms:Decrypt"], Resource: "*"}]}
      - name: bob
      - name: carol
      - name: dora
        policies:
          s3: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:*", Resource: "*"}, {Sid: NoReads, Effect: Deny, Action: "s3:GetObject", Resource: "*"}]}
      - name: erin
        policies:
          own: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:GetObject", Resource: "*", Condition: {StringEquals: {"aws:ResourceAccount": "${aws:PrincipalAccount}"}}}]}
          dev: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "dynamodb:GetItem", Resource: "*", Condition: {StringEquals: {"aws:ResourceTag/env": "dev"}}}]}
    roles:
      - name: plain
        trust: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: "111111111111"}, Action: "sts:AssumeRole"}]}
      - name: bounded
        trust: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: "111111111111"}, Action: "sts:AssumeRole"}]}
        policies:
          s3: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:*", Resource: "*"}]}
  - id: "222222222222"
    name: account-b
    users:
      - name: bert
        policies:
          read: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: ["s3:GetObject", "kms:Decrypt", "dynamodb:GetItem"], Resource: "*"}]}
      - name: bare
    roles:
      - name: b-reader
        trust: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: "222222222222"}, Action: "sts:AssumeRole"}]}
        policies:
          read: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: ["s3:GetObject", "kms:Decrypt", "dynamodb:GetItem"], Resource: "*"}]}
`

const (
	rsA = "111111111111"
	rsB = "222222222222"
)

// rsSnapshot applies rsWorld through the IAM service (the path a server
// takes), adds what the world file cannot declare (tags, a boundary) with
// the IAM operations as the root user, and returns the published
// snapshot.
func rsSnapshot(tb testing.TB) *directory.Snapshot {
	tb.Helper()
	return snapshotOf(tb, rsWorld, rsExtras)
}

// snapshotOf applies a world through the IAM service, then extras (IAM
// operations as root users), and returns the published snapshot.
func snapshotOf(tb testing.TB, doc string, extras func(ctx context.Context, svc *iam.Service) []error) *directory.Snapshot {
	tb.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "s.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	key, err := creds.LoadOrCreateMasterKey(filepath.Join(tb.TempDir(), "master.key"))
	if err != nil {
		tb.Fatal(err)
	}
	sealer, err := creds.NewSealer(key)
	if err != nil {
		tb.Fatal(err)
	}
	svc, err := iam.New(ctx, st, sealer, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		tb.Fatal(err)
	}
	w, err := world.Parse("world.yaml", []byte(doc))
	if err != nil {
		tb.Fatal(err)
	}
	if err := svc.ApplyWorld(ctx, "world.yaml", w); err != nil {
		tb.Fatal(err)
	}
	if extras != nil {
		for _, err := range extras(ctx, svc) {
			if err != nil {
				tb.Fatal(err)
			}
		}
	}
	return svc.Directory().Snapshot()
}

// rsExtras adds to rsWorld what a world file can't say: tags, a boundary.
func rsExtras(ctx context.Context, svc *iam.Service) []error {
	rootA, rootB := rsRoot(rsA), rsRoot(rsB)
	return []error{
		func() error {
			_, err := svc.TagUser(ctx, rootA, &sdk.TagUserInput{UserName: aws.String("carol"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}})
			return err
		}(),
		func() error {
			_, err := svc.TagRole(ctx, rootB, &sdk.TagRoleInput{RoleName: aws.String("b-reader"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("red")}}})
			return err
		}(),
		func() error {
			_, err := svc.PutRolePermissionsBoundary(ctx, rootA, &sdk.PutRolePermissionsBoundaryInput{RoleName: aws.String("bounded"), PermissionsBoundary: aws.String("arn:aws:iam::" + rsA + ":policy/KMSOnly")})
			return err
		}(),
	}
}

var rsNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func rsRoot(account string) *directory.Caller {
	return &directory.Caller{AccountID: account, ARN: "arn:aws:iam::" + account + ":root", Region: "us-east-1", RequestTime: rsNow}
}

func rsUser(account, name string) *directory.Caller {
	return &directory.Caller{AccountID: account, ARN: "arn:aws:iam::" + account + ":user/" + name, UserName: name, Region: "us-east-1",
		RequestTime: rsNow, SourceIP: netip.MustParseAddr("192.0.2.10"), SecureTransport: true}
}

// rsSession is a session of a role of snap, shaped by opts (session
// policy, tags, source identity).
func rsSession(snap *directory.Snapshot, account, role, name string, opts ...func(*directory.Session)) *directory.Caller {
	s := &directory.Session{AccountID: account, RoleName: role, RolePath: "/", SessionName: name, IssuedAt: rsNow.Add(-time.Minute), Expiration: rsNow.Add(time.Hour)}
	if r, ok := snap.IAM[account].Roles[directory.Key(role)]; ok {
		s.RoleID = r.ID
	}
	for _, o := range opts {
		o(s)
	}
	return &directory.Caller{AccountID: account, ARN: s.ARN(), Session: s, Region: "us-east-1", RequestTime: rsNow}
}

// rsPolicy parses a resource policy.
func rsPolicy(tb testing.TB, doc string) *policy.Policy {
	tb.Helper()
	if doc == "" {
		return nil
	}
	p, err := policy.Parse(doc, policy.Resource)
	if err != nil {
		tb.Fatalf("policy %s: %v", doc, err)
	}
	return p
}

// rsStatement is a one-statement resource policy.
func rsStatement(stmt string) string {
	return `{"Version":"2012-10-17","Statement":[` + stmt + `]}`
}

const (
	rsObject   = "arn:aws:s3:::bucket-a/k"
	rsBucket   = "arn:aws:s3:::bucket-a"
	rsKey      = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	rsTable    = "arn:aws:dynamodb:us-east-1:111111111111:table/table-a"
	rsBPolicy  = "bucket policy of bucket-a"
	rsKPolicy  = "key policy of 1234abcd-12ab-34cd-56ef-1234567890ab"
	rsDefault  = `{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"}`
	rsGetObj   = "s3:GetObject"
	rsNoIDGet  = "because no identity-based policy allows the s3:GetObject action"
	rsNoResGet = "because no resource-based policy allows the s3:GetObject action"
)

// rsDenied is AWS's refusal of an S3 object read (S3 quotes the ARN).
func rsDenied(caller *directory.Caller, why string) string {
	return "User: " + caller.ARN + " is not authorized to perform: s3:GetObject on resource: \"" + rsObject + "\" " + why
}

func TestAuthorizeResource(t *testing.T) {
	snap := rsSnapshot(t)
	alice, bob, carol, dora, erin := rsUser(rsA, "alice"), rsUser(rsA, "bob"), rsUser(rsA, "carol"), rsUser(rsA, "dora"), rsUser(rsA, "erin")
	bert, bare := rsUser(rsB, "bert"), rsUser(rsB, "bare")
	plain := rsSession(snap, rsA, "plain", "s1")
	plainOther := rsSession(snap, rsA, "plain", "s2")
	bounded := rsSession(snap, rsA, "bounded", "s1")
	narrowed := rsSession(snap, rsA, "plain", "narrow", func(s *directory.Session) {
		s.Policy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`
	})
	stale := rsSession(snap, rsA, "plain", "stale", func(s *directory.Session) { s.RoleID = "AROAOLDOLDOLDOLDOLDOL" })
	bReader := rsSession(snap, rsB, "b-reader", "job")
	bReaderAlice := rsSession(snap, rsB, "b-reader", "job", func(s *directory.Session) { s.SourceIdentity = "alice@example.com" })
	bReaderBlue := rsSession(snap, rsB, "b-reader", "job", func(s *directory.Session) { s.Tags = []directory.Tag{{Key: "Team", Value: "blue"}} })
	rootA, rootB := rsRoot(rsA), rsRoot(rsB)

	allowTo := func(principal string) string {
		return rsStatement(`{"Sid":"Grant","Effect":"Allow","Principal":{"AWS":"` + principal + `"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-a/*"}`)
	}
	denyAll := rsStatement(`{"Sid":"DenyAll","Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bucket-a"},` +
		`{"Sid":"DenyReads","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-a/*"}`)
	cond := func(principal, condition string) string {
		return rsStatement(`{"Sid":"Cond","Effect":"Allow","Principal":` + principal + `,"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-a/*","Condition":` + condition + `}`)
	}
	kmsDenied := func(c *directory.Caller, why string) string {
		return "User: " + c.ARN + " is not authorized to perform: kms:Decrypt on resource: " + rsKey + " " + why
	}

	type tc struct {
		name     string
		caller   *directory.Caller
		action   string // default s3:GetObject
		resource string // default rsObject
		account  string // default A
		policy   string
		key      bool
		tags     []directory.Tag
		ctx      map[string]string
		want     string // "" = allowed
	}
	cases := []tc{
		// Same account.
		{name: "identity allow, no resource policy", caller: alice},
		{name: "nothing allows", caller: bob, want: rsDenied(bob, rsNoIDGet)},
		{name: "resource policy names the user", caller: bob, policy: allowTo(bob.ARN)},
		{name: "resource policy names another user", caller: carol, policy: allowTo(bob.ARN), want: rsDenied(carol, rsNoIDGet)},
		{name: "resource policy names the role", caller: plain, policy: allowTo("arn:aws:iam::111111111111:role/plain")},
		{name: "resource policy names the session", caller: plain, policy: allowTo(plain.ARN)},
		{name: "resource policy names another session", caller: plainOther, policy: allowTo(plain.ARN), want: rsDenied(plainOther, rsNoIDGet)},
		{name: "resource policy names the account: identity allows", caller: alice, policy: allowTo("arn:aws:iam::111111111111:root")},
		{name: "resource policy names the account: identity does not", caller: bob, policy: allowTo("111111111111"), want: rsDenied(bob, rsNoIDGet)},
		{name: "resource policy names everyone", caller: bob, policy: allowTo("*")},
		{name: "boundary limits a grant to the role", caller: bounded, policy: allowTo("arn:aws:iam::111111111111:role/bounded"),
			want: rsDenied(bounded, "because no permissions boundary allows the s3:GetObject action")},
		{name: "boundary limits identity allow", caller: bounded, want: rsDenied(bounded, "because no permissions boundary allows the s3:GetObject action")},
		{name: "boundary does not limit a grant to the session", caller: bounded, policy: allowTo(bounded.ARN)},
		{name: "session policy limits a grant to the role", caller: narrowed, policy: allowTo("arn:aws:iam::111111111111:role/plain"),
			want: rsDenied(narrowed, "because no session policy allows the s3:GetObject action")},
		{name: "session policy does not limit a grant to the session", caller: narrowed, policy: allowTo(narrowed.ARN)},
		{name: "session of a re-created role", caller: stale, policy: allowTo("arn:aws:iam::111111111111:role/plain"), want: rsDenied(stale, rsNoIDGet)},
		{name: "bucket policy deny beats identity allow", caller: alice, policy: denyAll,
			want: rsDenied(alice, `with an explicit deny in a resource-based policy: bucket policy of bucket-a (statement "DenyReads")`)},
		{name: "identity deny beats bucket policy allow", caller: dora, policy: allowTo(dora.ARN),
			want: rsDenied(dora, `with an explicit deny in an identity-based policy: inline policy s3 of user dora (statement "NoReads")`)},
		{name: "root, same account", caller: rootA},
		{name: "root, same account, bucket policy denies", caller: rootA, policy: denyAll,
			want: rsDenied(rootA, `with an explicit deny in a resource-based policy: bucket policy of bucket-a (statement "DenyReads")`)},
		{name: "root, same account, policy for others", caller: rootA, policy: allowTo(bob.ARN)},

		// Across accounts.
		{name: "cross: identity only", caller: bert, want: rsDenied(bert, rsNoResGet)},
		{name: "cross: resource policy only", caller: bare, policy: allowTo("222222222222"), want: rsDenied(bare, rsNoIDGet)},
		{name: "cross: resource policy names the user, no identity", caller: bare, policy: allowTo(bare.ARN), want: rsDenied(bare, rsNoIDGet)},
		{name: "cross: both, account", caller: bert, policy: allowTo("arn:aws:iam::222222222222:root")},
		{name: "cross: both, user", caller: bert, policy: allowTo(bert.ARN)},
		{name: "cross: both, role", caller: bReader, policy: allowTo("arn:aws:iam::222222222222:role/b-reader")},
		{name: "cross: resource policy names another account", caller: bert, policy: allowTo("arn:aws:iam::333333333333:root"), want: rsDenied(bert, rsNoResGet)},
		{name: "cross: bucket policy deny", caller: bert, policy: denyAll,
			want: rsDenied(bert, `with an explicit deny in a resource-based policy: bucket policy of bucket-a (statement "DenyReads")`)},
		{name: "cross: root without resource policy", caller: rootB, want: rsDenied(rootB, rsNoResGet)},
		{name: "cross: root with resource policy", caller: rootB, policy: allowTo("222222222222")},
		{name: "cross: DynamoDB names the ARN unquoted", caller: bare, action: "dynamodb:GetItem", resource: rsTable,
			want: "User: " + bare.ARN + " is not authorized to perform: dynamodb:GetItem on resource: " + rsTable + " because no resource-based policy allows the dynamodb:GetItem action"},

		// KMS key policies.
		{name: "kms: default key policy, identity allows", caller: alice, action: "kms:Decrypt", resource: rsKey, key: true, policy: rsStatement(rsDefault)},
		{name: "kms: default key policy, identity does not", caller: bob, action: "kms:Decrypt", resource: rsKey, key: true, policy: rsStatement(rsDefault),
			want: kmsDenied(bob, "because no identity-based policy allows the kms:Decrypt action")},
		{name: "kms: key policy without the account, identity allows", caller: alice, action: "kms:Decrypt", resource: rsKey, key: true,
			policy: rsStatement(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/carol"},"Action":"kms:*","Resource":"*"}`),
			want:   kmsDenied(alice, "because no resource-based policy allows the kms:Decrypt action")},
		{name: "kms: key policy names the user", caller: carol, action: "kms:Decrypt", resource: rsKey, key: true,
			policy: rsStatement(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/carol"},"Action":"kms:*","Resource":"*"}`)},
		{name: "kms: no key policy", caller: alice, action: "kms:Decrypt", resource: rsKey, key: true,
			want: kmsDenied(alice, "because no resource-based policy allows the kms:Decrypt action")},
		{name: "kms: root, default key policy", caller: rootA, action: "kms:Decrypt", resource: rsKey, key: true, policy: rsStatement(rsDefault)},
		{name: "kms: root locked out", caller: rootA, action: "kms:Decrypt", resource: rsKey, key: true,
			policy: rsStatement(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/carol"},"Action":"kms:*","Resource":"*"}`),
			want:   kmsDenied(rootA, "because no resource-based policy allows the kms:Decrypt action")},
		{name: "kms: cross, key policy allows only its account", caller: bert, action: "kms:Decrypt", resource: rsKey, key: true, policy: rsStatement(rsDefault),
			want: kmsDenied(bert, "because no resource-based policy allows the kms:Decrypt action")},
		{name: "kms: cross, key policy allows the other account", caller: bert, action: "kms:Decrypt", resource: rsKey, key: true,
			policy: rsStatement(rsDefault + `,{"Sid":"Other","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":["kms:Decrypt"],"Resource":"*"}`)},
		{name: "kms: cross, key policy allows, identity does not", caller: bare, action: "kms:Decrypt", resource: rsKey, key: true,
			policy: rsStatement(rsDefault + `,{"Sid":"Other","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":["kms:Decrypt"],"Resource":"*"}`),
			want:   kmsDenied(bare, "because no identity-based policy allows the kms:Decrypt action")},
		{name: "kms: key policy deny", caller: alice, action: "kms:Decrypt", resource: rsKey, key: true,
			policy: rsStatement(rsDefault + `,{"Sid":"NoDecrypt","Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*"}`),
			want:   kmsDenied(alice, `with an explicit deny in a resource-based policy: key policy of 1234abcd-12ab-34cd-56ef-1234567890ab (statement "NoDecrypt")`)},

		// Condition keys.
		{name: "aws:PrincipalAccount, same account", caller: bob, policy: cond(`"*"`, `{"StringEquals":{"aws:PrincipalAccount":"111111111111"}}`)},
		{name: "aws:PrincipalAccount, other account", caller: bert, policy: cond(`"*"`, `{"StringEquals":{"aws:PrincipalAccount":"111111111111"}}`),
			want: rsDenied(bert, rsNoResGet+` (bucket policy of bucket-a, statement "Cond": condition StringEquals aws:PrincipalAccount ["111111111111"] is false for request value ["222222222222"])`)},
		{name: "aws:PrincipalArn wildcard matches the role", caller: bReader, policy: cond(`{"AWS":"222222222222"}`, `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::222222222222:role/b-*"}}`)},
		{name: "aws:PrincipalArn wildcard misses the user", caller: bert, policy: cond(`{"AWS":"222222222222"}`, `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::222222222222:role/b-*"}}`),
			want: rsDenied(bert, rsNoResGet+` (bucket policy of bucket-a, statement "Cond": condition ArnLike aws:PrincipalArn ["arn:aws:iam::222222222222:role/b-*"] is false for request value ["arn:aws:iam::222222222222:user/bert"])`)},
		{name: "aws:SourceIdentity present", caller: bReaderAlice, policy: cond(`{"AWS":"222222222222"}`, `{"StringEquals":{"aws:SourceIdentity":"alice@example.com"}}`)},
		{name: "aws:SourceIdentity absent", caller: bReader, policy: cond(`{"AWS":"222222222222"}`, `{"StringEquals":{"aws:SourceIdentity":"alice@example.com"}}`),
			want: rsDenied(bReader, rsNoResGet+` (bucket policy of bucket-a, statement "Cond": condition StringEquals aws:SourceIdentity ["alice@example.com"] is false: the key is not in the request)`)},
		{name: "aws:PrincipalTag of a user", caller: carol, policy: cond(`"*"`, `{"StringEquals":{"aws:PrincipalTag/team":"blue"}}`)},
		{name: "aws:PrincipalTag missing, same account", caller: bob, policy: cond(`"*"`, `{"StringEquals":{"aws:PrincipalTag/team":"blue"}}`),
			want: rsDenied(bob, rsNoIDGet+` (bucket policy of bucket-a, statement "Cond": condition StringEquals aws:PrincipalTag/team ["blue"] is false: the key is not in the request)`)},
		{name: "aws:PrincipalTag of a role", caller: bReader, policy: cond(`"*"`, `{"StringEquals":{"aws:PrincipalTag/team":"blue"}}`),
			want: rsDenied(bReader, rsNoResGet+` (bucket policy of bucket-a, statement "Cond": condition StringEquals aws:PrincipalTag/team ["blue"] is false for request value ["red"])`)},
		{name: "aws:PrincipalTag overridden by a session tag", caller: bReaderBlue, policy: cond(`"*"`, `{"StringEquals":{"aws:PrincipalTag/team":"blue"}}`)},
		{name: "s3:prefix matches", caller: bob, action: "s3:ListBucket", resource: rsBucket, ctx: map[string]string{"s3:prefix": "home/bob/photos"},
			policy: rsStatement(`{"Sid":"Home","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/bob"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::bucket-a","Condition":{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}}`)},
		{name: "s3:prefix misses", caller: bob, action: "s3:ListBucket", resource: rsBucket, ctx: map[string]string{"s3:prefix": "home/alice/"},
			policy: rsStatement(`{"Sid":"Home","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/bob"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::bucket-a","Condition":{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}}`),
			want:   "User: " + bob.ARN + ` is not authorized to perform: s3:ListBucket on resource: "arn:aws:s3:::bucket-a" because no identity-based policy allows the s3:ListBucket action (bucket policy of bucket-a, statement "Home": condition StringLike s3:prefix ["home/${aws:username}/*"] is false for request value ["home/alice/"])`},
		{name: "aws:ResourceAccount, own account", caller: erin},
		{name: "aws:ResourceAccount, other account", caller: erin, resource: "arn:aws:s3:::bucket-b/k", account: rsB,
			policy: rsStatement(`{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-b/*"}`),
			want:   "User: " + erin.ARN + ` is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::bucket-b/k" ` + rsNoIDGet + ` (inline policy own of user erin, statement 1: condition StringEquals aws:ResourceAccount ["${aws:PrincipalAccount}"] is false for request value ["222222222222"])`},
		{name: "aws:ResourceTag matches", caller: erin, action: "dynamodb:GetItem", resource: rsTable, tags: []directory.Tag{{Key: "env", Value: "dev"}}},
		{name: "aws:ResourceTag differs", caller: erin, action: "dynamodb:GetItem", resource: rsTable, tags: []directory.Tag{{Key: "env", Value: "prod"}},
			want: "User: " + erin.ARN + " is not authorized to perform: dynamodb:GetItem on resource: " + rsTable + ` because no identity-based policy allows the dynamodb:GetItem action (inline policy dev of user erin, statement 1: condition StringEquals aws:ResourceTag/env ["dev"] is false for request value ["prod"])`},
		{name: "aws:RequestedRegion from the signature", caller: bob, policy: cond(`"*"`, `{"StringEquals":{"aws:RequestedRegion":"us-east-1"},"Bool":{"aws:PrincipalIsAWSService":"false"},"NumericGreaterThan":{"aws:EpochTime":"1700000000"}}`)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := authz.ResourceRequest{Caller: c.caller, Action: c.action, Resource: c.resource, ResourceAccount: c.account,
				Policy: rsPolicy(t, c.policy), PolicyName: rsBPolicy, KeyPolicy: c.key, ResourceTags: c.tags}
			if req.Action == "" {
				req.Action = rsGetObj
			}
			if req.Resource == "" {
				req.Resource = rsObject
			}
			if req.ResourceAccount == "" {
				req.ResourceAccount = rsA
			}
			if c.key {
				req.PolicyName = rsKPolicy
			}
			if c.ctx != nil {
				req.Context = policy.NewContext()
				for k, v := range c.ctx {
					req.Context.Set(k, v)
				}
			}
			err := authz.AuthorizeResource(snap, req)
			var d *authz.Denied
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != "" && !errors.As(err, &d):
				t.Fatalf("got %v, want a refusal:\n%s", err, c.want)
			case c.want != "" && d.Message != c.want:
				t.Fatalf("message\n got: %s\nwant: %s", d.Message, c.want)
			}
		})
	}
}

// TestAuthorizeResourceContextUntouched: the gateway's context is not
// changed by authorization (one request may authorize several actions on
// different resources).
func TestAuthorizeResourceContextUntouched(t *testing.T) {
	snap := rsSnapshot(t)
	ctx := policy.NewContext()
	ctx.Set("s3:prefix", "x/")
	req := authz.ResourceRequest{Caller: rsUser(rsA, "alice"), Action: rsGetObj, Resource: rsObject, ResourceAccount: rsA,
		ResourceTags: []directory.Tag{{Key: "env", Value: "dev"}}, Context: ctx}
	if err := authz.AuthorizeResource(snap, req); err != nil {
		t.Fatal(err)
	}
	if keys := ctx.Keys(); len(keys) != 1 {
		t.Fatalf("the request's context gained keys: %v", keys)
	}
}

// BenchmarkAuthorizeResourceSameAccountIdentity is the common allow: a
// user of the bucket's account whose identity policy allows, no bucket
// policy.
func BenchmarkAuthorizeResourceSameAccountIdentity(b *testing.B) {
	snap := rsSnapshot(b)
	req := authz.ResourceRequest{Caller: rsUser(rsA, "alice"), Action: rsGetObj, Resource: rsObject, ResourceAccount: rsA}
	rsBench(b, snap, req)
}

// BenchmarkAuthorizeResourceCrossAccountBucketPolicy is a role session of
// account B reading an object of A's bucket, whose policy grants B's
// role under a condition.
func BenchmarkAuthorizeResourceCrossAccountBucketPolicy(b *testing.B) {
	snap := rsSnapshot(b)
	p := rsPolicy(b, rsStatement(`{"Sid":"DenyInsecure","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::bucket-a","arn:aws:s3:::bucket-a/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}},`+
		`{"Sid":"B","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/b-reader"},"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::bucket-a","arn:aws:s3:::bucket-a/*"],"Condition":{"StringEquals":{"aws:PrincipalAccount":"222222222222"}}}`))
	c := rsSession(snap, rsB, "b-reader", "job")
	c.SecureTransport = true
	req := authz.ResourceRequest{Caller: c, Action: rsGetObj, Resource: rsObject, ResourceAccount: rsA, Policy: p, PolicyName: rsBPolicy}
	rsBench(b, snap, req)
}

func rsBench(b *testing.B, snap *directory.Snapshot, req authz.ResourceRequest) {
	b.Helper()
	if err := authz.AuthorizeResource(snap, req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := authz.AuthorizeResource(snap, req); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAuthorizeResourceGlobalKeys checks, one key at a time, which global
// condition keys a request carries and their values: a bucket policy that
// grants only when the key is present (Null false) or absent (Null true),
// or equals a value, to callers with no identity policies of their own.
func TestAuthorizeResourceGlobalKeys(t *testing.T) {
	snap := rsSnapshot(t)
	user := rsUser(rsA, "bob")
	session := rsSession(snap, rsA, "plain", "s1", func(s *directory.Session) {
		s.SourceIdentity = "alice"
		s.Tags = []directory.Tag{{Key: "team", Value: "blue"}}
	})
	session.SourceIP, session.SecureTransport = netip.MustParseAddr("2001:db8::1"), true
	roleID := snap.IAM[rsA].Roles[directory.Key("plain")].ID
	always := []string{"aws:userid", "aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalType", "aws:SecureTransport", "aws:ViaAWSService",
		"aws:PrincipalIsAWSService", "aws:RequestedRegion", "aws:CurrentTime", "aws:EpochTime", "aws:SourceIp", "aws:ResourceAccount", "aws:ResourceTag/env"}
	type check struct {
		caller *directory.Caller
		cond   string
	}
	var checks []check
	for _, c := range []*directory.Caller{user, session} {
		for _, k := range always {
			checks = append(checks, check{c, `{"Null":{"` + k + `":"false"}}`})
		}
	}
	for _, k := range []string{"aws:PrincipalTag/team", "aws:TokenIssueTime", "aws:MultiFactorAuthPresent", "aws:SourceIdentity"} {
		checks = append(checks, check{session, `{"Null":{"` + k + `":"false"}}`}, check{user, `{"Null":{"` + k + `":"true"}}`})
	}
	checks = append(checks,
		check{user, `{"Null":{"aws:username":"false"}}`},
		check{session, `{"Null":{"aws:username":"true"}}`},
		check{user, `{"StringEquals":{"aws:userid":"` + snap.IAM[rsA].Users[directory.Key("bob")].ID + `","aws:PrincipalType":"User","aws:username":"bob"}}`},
		check{session, `{"StringEquals":{"aws:userid":"` + roleID + `:s1","aws:PrincipalType":"AssumedRole","aws:PrincipalArn":"arn:aws:iam::111111111111:role/plain","aws:SourceIdentity":"alice","aws:PrincipalTag/team":"blue","aws:ResourceAccount":"111111111111","aws:ResourceTag/env":"dev","aws:RequestedRegion":"us-east-1"}}`},
		check{session, `{"IpAddress":{"aws:SourceIp":"2001:db8::/32"},"Bool":{"aws:SecureTransport":"true","aws:MultiFactorAuthPresent":"false","aws:ViaAWSService":"false","aws:PrincipalIsAWSService":"false"},"DateEquals":{"aws:CurrentTime":"2026-11-22T12:00:00Z","aws:TokenIssueTime":"2026-11-22T11:59:00Z"},"NumericEquals":{"aws:EpochTime":"1795348800"}}`},
	)
	for _, c := range checks {
		p := rsPolicy(t, rsStatement(`{"Sid":"Key","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-a/*","Condition":`+c.cond+`}`))
		req := authz.ResourceRequest{Caller: c.caller, Action: rsGetObj, Resource: rsObject, ResourceAccount: rsA, Policy: p, PolicyName: rsBPolicy,
			ResourceTags: []directory.Tag{{Key: "env", Value: "dev"}}}
		if err := authz.AuthorizeResource(snap, req); err != nil {
			t.Errorf("%s with %s: %v", c.caller.ARN, c.cond, err)
		}
	}
}

// TestAuthorizeResourceAnonymous: an unsigned request is refused, even
// where a resource policy allows everyone.
func TestAuthorizeResourceAnonymous(t *testing.T) {
	snap := rsSnapshot(t)
	p := rsPolicy(t, rsStatement(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-a/*"}`))
	err := authz.AuthorizeResource(snap, authz.ResourceRequest{Action: rsGetObj, Resource: rsObject, ResourceAccount: rsA, Policy: p})
	want := `User: anonymous is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::bucket-a/k" because only signed requests are authorized`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
}
