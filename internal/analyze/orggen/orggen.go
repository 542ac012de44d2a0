// Package orggen generates a large organisation's directory for the
// access graph's benchmarks: many accounts, each with users, roles whose
// trust policies are of every kind (same account, another account's role,
// another account's root with an external ID, a third party, AWS
// services, a cluster's OIDC provider, everyone within the organisation),
// administrators, clusters with Pod Identity associations, and resources
// with policies. It is deterministic: the same sizes give the same
// directory.
package orggen

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// Sizes of a generated organisation.
type Sizes struct {
	Accounts        int
	RolesPerAccount int // at least 10
	UsersPerAccount int
	// ClusterEvery puts a cluster (with an OIDC provider and IRSA roles)
	// in every ClusterEvery-th account; 0: none.
	ClusterEvery int
}

// Organisation builds the directory.
func Organisation(sz Sizes) (*directory.Snapshot, error) {
	g := &gen{snap: directory.NewSnapshot(), rnd: rand.New(rand.NewPCG(1, 2)), sz: sz, created: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	for i := range sz.Accounts {
		g.snap.Accounts[g.account(i)] = &directory.Account{ID: g.account(i), Name: fmt.Sprintf("acct-%04d", i), CreateDate: g.created}
		g.snap.IAM[g.account(i)] = directory.NewAccountIAM()
	}
	for i := range sz.Accounts {
		if err := g.fill(i); err != nil {
			return nil, err
		}
	}
	return g.snap, nil
}

type gen struct {
	snap    *directory.Snapshot
	rnd     *rand.Rand
	sz      Sizes
	created time.Time
	ids     int
	cache   map[string]*policy.Policy
}

func (g *gen) account(i int) string { return fmt.Sprintf("%012d", 100000000000+i) }

// other is a random account other than i.
func (g *gen) other(i int) int {
	j := g.rnd.IntN(g.sz.Accounts - 1)
	if j >= i {
		j++
	}
	return j
}

func (g *gen) id(prefix string) string {
	g.ids++
	return fmt.Sprintf("%s%017d", prefix, g.ids)
}

// compile parses a document once per distinct text.
func (g *gen) compile(doc string, kind policy.Kind) (*policy.Policy, error) {
	if g.cache == nil {
		g.cache = map[string]*policy.Policy{}
	}
	key := fmt.Sprint(kind) + doc
	if p, ok := g.cache[key]; ok {
		return p, nil
	}
	p, err := policy.ParseWithOptions(doc, kind, policy.Options{MaxSize: -1})
	if err != nil {
		return nil, fmt.Errorf("generated policy %s: %w", doc, err)
	}
	g.cache[key] = p
	return p, nil
}

const (
	allowAll    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	readOnly    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","dynamodb:GetItem"],"Resource":"*"}]}`
	serviceTrst = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"%s"},"Action":"sts:AssumeRole"}]}`
)

// fill makes account i's users and roles.
func (g *gen) fill(i int) error {
	acct := g.account(i)
	a := g.snap.IAM[acct]
	role := func(name, trust string, inline ...string) error {
		t, err := g.compile(trust, policy.Trust)
		if err != nil {
			return err
		}
		r := &directory.Role{Principal: directory.Principal{Name: name, Path: "/", ID: g.id("AROA"), ARN: "arn:aws:iam::" + acct + ":role/" + name, CreateDate: g.created},
			TrustPolicy: trust, Trust: t, MaxSessionDuration: 3600}
		for k, doc := range inline {
			p, err := g.compile(doc, policy.Identity)
			if err != nil {
				return err
			}
			r.Inline = append(r.Inline, directory.InlinePolicy{Name: fmt.Sprintf("p%d", k), Document: doc, Compiled: p})
		}
		a.Roles[directory.Key(name)] = r
		return nil
	}
	for u := range g.sz.UsersPerAccount {
		name := fmt.Sprintf("dev-%d", u)
		doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":["arn:aws:iam::*:role/app-*","arn:aws:iam::%s:role/ops"]}]}`, acct)
		p, err := g.compile(doc, policy.Identity)
		if err != nil {
			return err
		}
		user := &directory.User{Principal: directory.Principal{Name: name, Path: "/", ID: g.id("AIDA"), ARN: "arn:aws:iam::" + acct + ":user/" + name, CreateDate: g.created,
			Inline: []directory.InlinePolicy{{Name: "assume", Document: doc, Compiled: p}}}}
		a.Users[directory.Key(name)] = user
		key := fmt.Sprintf("AKIA%016d", i*100+u)
		g.snap.AccessKeys[key] = &directory.AccessKey{AccessKeyID: key, AccountID: acct, UserName: name, Status: directory.StatusActive, CreateDate: g.created}
	}
	// The account's administrator, trusted by its own ops role; ops may
	// assume any app-* role anywhere.
	if err := role("admin", fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:role/ops"},"Action":"sts:AssumeRole"}]}`, acct), allowAll); err != nil {
		return err
	}
	if err := role("ops", fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"sts:AssumeRole"}]}`, acct),
		fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":["arn:aws:iam::*:role/app-*","arn:aws:iam::%s:role/admin"]}]}`, acct)); err != nil {
		return err
	}
	hasCluster := g.sz.ClusterEvery > 0 && i%g.sz.ClusterEvery == 0
	var provider, issuer string
	if hasCluster {
		c := &directory.Cluster{Name: "main", AccountID: acct, Region: "us-east-1", ARN: "arn:aws:eks:us-east-1:" + acct + ":cluster/main", IssuerID: fmt.Sprintf("%032X", i), CreatedAt: g.created}
		g.snap.Clusters[directory.ClusterKey(acct, c.Region, c.Name)] = c
		issuer = "assumed.test/_assumed/oidc/id/" + c.IssuerID
		provider = "arn:aws:iam::" + acct + ":oidc-provider/" + issuer
		a.OIDCProviders[provider] = &directory.OIDCProvider{ARN: provider, URL: issuer, ClientIDs: []string{"sts.amazonaws.com"}, CreateDate: g.created}
	}
	for r := 2; r < g.sz.RolesPerAccount; r++ {
		name := fmt.Sprintf("app-%d", r)
		var trust string
		switch {
		case r%10 == 2: // another account's ops role, by name
			trust = fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:role/ops"},"Action":"sts:AssumeRole"}]}`, g.account(g.other(i)))
		case r%10 == 3: // another account's root, with an external ID
			trust = fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext-%d"}}}]}`, g.account(g.other(i)), r)
		case r%10 == 4 && r < 10: // a third party without one
			trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole"}]}`
		case r%10 == 5 && hasCluster: // IRSA
			trust = fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"%s"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"%s:sub":"system:serviceaccount:team-%d:app","%s:aud":"sts.amazonaws.com"}}}]}`, provider, issuer, r, issuer)
		case r%10 == 6 && hasCluster: // a namespace-wide IRSA trust
			trust = fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"%s"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"%s:sub":"system:serviceaccount:team-%d:*"}}}]}`, provider, issuer, r)
		case r%10 == 7 && hasCluster: // Pod Identity
			trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`
			id := fmt.Sprintf("a-%016d%d", i, r)
			g.snap.PodIdentityAssociations[id] = &directory.PodIdentityAssociation{ID: id, ARN: "arn:aws:eks:us-east-1:" + acct + ":podidentityassociation/main/" + id, AccountID: acct, Region: "us-east-1",
				ClusterName: "main", Namespace: fmt.Sprintf("team-%d", r), ServiceAccount: "worker", RoleARN: "arn:aws:iam::" + acct + ":role/" + name, CreatedAt: g.created, ModifiedAt: g.created}
		case r%10 == 8: // a service
			trust = fmt.Sprintf(serviceTrst, []string{"lambda.amazonaws.com", "ec2.amazonaws.com", "ecs-tasks.amazonaws.com"}[r%3])
		case r == 9 && i%200 == 0: // everyone in the organisation
			trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-example"}}}]}`
		default: // the account's own root
			trust = fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"sts:AssumeRole"}]}`, acct)
		}
		if err := role(name, trust, readOnly); err != nil {
			return err
		}
	}
	// A bucket with a policy for another account's ops role.
	bucket := fmt.Sprintf("arn:aws:s3:::data-%04d", i)
	doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:role/ops"},"Action":"s3:GetObject","Resource":"%s/*"}]}`, g.account(g.other(i)), bucket)
	p, err := g.compile(doc, policy.Resource)
	if err != nil {
		return err
	}
	g.snap.Resources[bucket] = &directory.Resource{ARN: bucket, Account: acct, Policy: doc, Compiled: p}
	return nil
}
