package crash

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/assumed-dev/assumed/internal/datadir"
	"github.com/assumed-dev/assumed/internal/store/storeopen"

	_ "modernc.org/sqlite" // the "sqlite" driver, for the integrity check
)

const trustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]}`

// rolePolicy is the inline policy written to the role of that name: each
// role's is its own, so that a policy landing on the wrong role shows.
func rolePolicy(role string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"Own","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/%s/*"}]}`, role)
}

// acked is what the clients were told was written.
type acked struct {
	mu       sync.Mutex
	roles    map[string]bool // CreateRole answered 200
	policies map[string]bool // PutRolePolicy answered 200, by role
}

// TestKillUnderConcurrentWrites runs IAM writes from 32 clients at once
// (CreateRole, then PutRolePolicy on it), SIGKILLs the server once at
// least 1,000 writes are acknowledged with the clients still writing,
// and starts it again on the same data dir and store: every acknowledged
// write is there, every role there is whole (GetRole answers, and each
// inline policy it lists reads back as written), and the store is sound
// (SQLite's integrity check; the store version covers every write).
func TestKillUnderConcurrentWrites(t *testing.T) {
	for _, kind := range storeKinds() {
		t.Run(kind, func(t *testing.T) { killUnderWrites(t, kind) })
	}
}

func killUnderWrites(t *testing.T, kind string) {
	const (
		clients  = 32
		killAt   = 1000 // acknowledged writes before the kill
		maxPairs = 200  // per client: a bound on the load if the kill never comes
	)
	st := storeFor(t, kind)
	dataDir := t.TempDir()
	srv := startServer(t, dataDir, st)
	client := srv.iam()
	ack := &acked{roles: map[string]bool{}, policies: map[string]bool{}}
	var writes, failed atomic.Int64
	killed := make(chan struct{})
	var killOnce sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for c := range clients {
		wg.Go(func() {
			ctx := context.Background()
			for i := range maxPairs {
				select {
				case <-killed:
					return
				default:
				}
				role := fmt.Sprintf("crash-%02d-%04d", c, i)
				_, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trustPolicy)})
				if err != nil {
					failed.Add(1)
					continue
				}
				ack.mu.Lock()
				ack.roles[role] = true
				ack.mu.Unlock()
				writes.Add(1)
				_, err = client.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String("own"), PolicyDocument: aws.String(rolePolicy(role))})
				if err != nil {
					failed.Add(1)
					continue
				}
				ack.mu.Lock()
				ack.policies[role] = true
				ack.mu.Unlock()
				if writes.Add(1) >= killAt {
					killOnce.Do(func() {
						srv.kill()
						close(killed)
					})
				}
			}
		})
	}
	wg.Wait()
	select {
	case <-killed:
	default:
		t.Fatalf("the load ended (%d writes acknowledged, %d failed) before the kill:\n%s", writes.Load(), failed.Load(), srv.logs())
	}
	t.Logf("%s: SIGKILL after %v with %d writes acknowledged (%d roles, %d policies) from %d clients; %d calls failed (in flight at the kill, or after it)",
		kind, time.Since(start).Round(time.Millisecond), writes.Load(), len(ack.roles), len(ack.policies), clients, failed.Load())
	if int(writes.Load()) < killAt {
		t.Fatalf("only %d writes acknowledged", writes.Load())
	}

	checkStore(t, kind, st, dataDir, int64(len(ack.roles)+len(ack.policies)))

	srv = startServer(t, dataDir, st)
	checkAcknowledged(t, srv, ack)
	checkWhole(t, srv, ack)
	// And it takes writes again.
	ctx, cancel := shortCtx()
	defer cancel()
	if _, err := srv.iam().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("after-restart"), AssumeRolePolicyDocument: aws.String(trustPolicy)}); err != nil {
		t.Fatalf("CreateRole after the restart: %v\n%s", err, srv.logs())
	}
}

// checkStore opens the killed server's store directly: it opens (SQLite
// replays its write-ahead log), passes SQLite's integrity check, and its
// version counts at least the acknowledged writes (one batch each).
func checkStore(t *testing.T, kind, st, dataDir string, ackedWrites int64) {
	t.Helper()
	ctx, cancel := shortCtx()
	defer cancel()
	dbPath := filepath.Join(dataDir, datadir.DatabaseFile)
	s, err := storeopen.Open(ctx, st, dbPath)
	if err != nil {
		t.Fatalf("open the killed server's store: %v", err)
	}
	defer s.Close()
	v, err := s.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if !json.Valid(r.Data) {
			t.Errorf("record %s %s/%s holds invalid JSON: %.80q", r.Kind, r.Account, r.ID, r.Data)
		}
	}
	if v < ackedWrites {
		t.Fatalf("store version %d after the kill, below the %d writes acknowledged", v, ackedWrites)
	}
	t.Logf("%s store after the kill: version %d, %d records", kind, v, len(recs))
	if kind != "sqlite" {
		return
	}
	db, err := sql.Open("sqlite", "file:"+dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil || res != "ok" {
		t.Fatalf("SQLite integrity check after the kill: %q, %v", res, err)
	}
}

// checkAcknowledged: every acknowledged role and policy is there, the
// policy as written.
func checkAcknowledged(t *testing.T, srv *server, ack *acked) {
	t.Helper()
	client := srv.reader()
	missing := 0
	for role := range ack.roles {
		ctx, cancel := shortCtx()
		_, err := client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)})
		cancel()
		if err != nil {
			missing++
			if missing <= 10 {
				t.Errorf("acknowledged CreateRole %s lost: GetRole: %v", role, err)
			}
		}
	}
	for role := range ack.policies {
		ctx, cancel := shortCtx()
		out, err := client.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String("own")})
		cancel()
		if err != nil {
			missing++
			if missing <= 10 {
				t.Errorf("acknowledged PutRolePolicy on %s lost: GetRolePolicy: %v", role, err)
			}
			continue
		}
		samePolicy(t, role, aws.ToString(out.PolicyDocument), rolePolicy(role))
	}
	if missing > 0 {
		t.Fatalf("%d acknowledged writes lost", missing)
	}
}

// checkWhole: every role the server lists answers GetRole, and each
// inline policy it lists reads back as its own.
func checkWhole(t *testing.T, srv *server, ack *acked) {
	t.Helper()
	client := srv.reader()
	ctx := context.Background()
	var roles []string
	p := iam.NewListRolesPaginator(client, &iam.ListRolesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListRoles: %v", err)
		}
		for _, r := range page.Roles {
			roles = append(roles, aws.ToString(r.RoleName))
		}
	}
	extra := 0
	for _, role := range roles {
		if !ack.roles[role] {
			extra++ // written, but its answer was lost in the kill: allowed
		}
		if _, err := client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)}); err != nil {
			t.Errorf("role %s is listed but GetRole fails: %v", role, err)
			continue
		}
		pols, err := client.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(role)})
		if err != nil {
			t.Errorf("role %s: ListRolePolicies: %v", role, err)
			continue
		}
		for _, name := range pols.PolicyNames {
			out, err := client.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(name)})
			if err != nil {
				t.Errorf("role %s lists policy %s but GetRolePolicy fails: %v", role, name, err)
				continue
			}
			samePolicy(t, role, aws.ToString(out.PolicyDocument), rolePolicy(role))
		}
	}
	t.Logf("after the restart: %d roles listed, all whole; %d of them written without the client hearing so", len(roles), extra)
}

// samePolicy compares a policy document as IAM returns it (URL-encoded)
// with the one written, as JSON.
func samePolicy(t *testing.T, role, got, want string) {
	t.Helper()
	dec, err := url.QueryUnescape(got)
	if err != nil {
		t.Errorf("role %s: policy document %q: %v", role, got, err)
		return
	}
	var g, w any
	if err := errors.Join(json.Unmarshal([]byte(dec), &g), json.Unmarshal([]byte(want), &w)); err != nil {
		t.Errorf("role %s: policy document %q: %v", role, dec, err)
		return
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("role %s: policy document %s, want %s", role, dec, want)
	}
}
