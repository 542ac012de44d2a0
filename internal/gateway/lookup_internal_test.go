package gateway

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/assumed-dev/assumed/internal/backend"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/store/sqlite"
)

// lookupGateway returns a gateway forwarding to a moto_server of its own
// (the package's TestMain serves the external tests), on an empty
// directory persisted to a temporary store.
func lookupGateway(t *testing.T) *Gateway {
	t.Helper()
	if _, err := exec.LookPath("moto_server"); err != nil {
		t.Skip("moto_server is not on PATH (pip install 'moto[server]')")
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	b, err := backend.Start(ctx, "moto", log)
	if err != nil {
		t.Fatalf("start moto_server: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "assumed.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	fwd := NewForwarder(b, log)
	t.Cleanup(fwd.Close)
	g, err := New(Config{Log: log, Writer: directory.NewWriter(st, directory.New(directory.NewSnapshot())), Forwarder: fwd})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// A policy set at the backend before assumed saw it is found on a miss:
// an S3 bucket's, for the request only (its owner is unknown); a KMS
// key's, recorded. Resources the backend doesn't know give nothing.
func TestLookupPolicyFromBackend(t *testing.T) {
	g := lookupGateway(t)
	ctx := context.Background()
	const a = "111111111111"

	// Straight to the backend, as a backend that already held them.
	put := func(path, query, body string) {
		t.Helper()
		status, answer, err := g.call(ctx, backendRequest{account: a, region: "us-east-1", service: "s3", method: http.MethodPut, path: path, query: query, body: []byte(body)})
		if err != nil || status != http.StatusOK && status != http.StatusNoContent {
			t.Fatalf("PUT %s?%s at the backend: %d %s %v", path, query, status, answer, err)
		}
	}
	put("/old-bucket", "", "")
	put("/bare-bucket", "", "")
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"B","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::old-bucket/*"}]}`
	put("/old-bucket", "policy=", doc)

	snap := g.dir.Snapshot()
	rec := g.lookupPolicy(ctx, snap, "s3", a, "us-east-1", "arn:aws:s3:::old-bucket")
	if rec == nil || rec.Compiled == nil || rec.Policy != doc || rec.Account != a {
		t.Fatalf("old-bucket's policy from the backend: got %+v", rec)
	}
	if _, ok := g.dir.Snapshot().Resources["arn:aws:s3:::old-bucket"]; ok {
		t.Fatal("a bucket looked up must not be recorded: its owner is not known")
	}
	if rec := g.lookupPolicy(ctx, snap, "s3", a, "us-east-1", "arn:aws:s3:::bare-bucket"); rec != nil {
		t.Fatalf("a bucket without a policy: got %+v", rec)
	}
	if rec := g.lookupPolicy(ctx, snap, "s3", a, "us-east-1", "arn:aws:s3:::no-such-bucket"); rec != nil {
		t.Fatalf("a bucket the backend doesn't have: got %+v", rec)
	}

	// A key created at the backend: its default key policy.
	var created struct{ KeyMetadata struct{ Arn string } }
	if err := g.jsonCall(ctx, a, "us-east-1", "kms", "TrentService.CreateKey", map[string]string{}, &created); err != nil {
		t.Fatalf("create a key at the backend: %v", err)
	}
	key := created.KeyMetadata.Arn
	rec = g.lookupPolicy(ctx, g.dir.Snapshot(), "kms", "222222222222", "us-east-1", key)
	if rec == nil || rec.Compiled == nil || rec.Account != a {
		t.Fatalf("the key's policy from the backend: got %+v", rec)
	}
	if stored, ok := g.dir.Snapshot().Resources[key]; !ok || stored.Policy != rec.Policy {
		t.Fatalf("the key's policy is recorded: %+v", stored)
	}
	missing := "arn:aws:kms:us-east-1:" + a + ":key/00000000-0000-0000-0000-000000000000"
	if rec := g.lookupPolicy(ctx, g.dir.Snapshot(), "kms", a, "us-east-1", missing); rec != nil {
		t.Fatalf("a key the backend doesn't have: got %+v", rec)
	}
	if _, ok := g.dir.Snapshot().Resources[missing]; ok {
		t.Fatal("a key the backend doesn't have must not be recorded")
	}
}
