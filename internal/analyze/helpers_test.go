package analyze_test

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"os"
	"testing"

	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/eks"
	"github.com/assumed-dev/assumed/internal/gateway"
	"github.com/assumed-dev/assumed/internal/iam"
	"github.com/assumed-dev/assumed/internal/store/memory"
	"github.com/assumed-dev/assumed/internal/world"
)

// worldSnapshot applies a world file as `assumed serve --config` does
// (clusters, then their issuers in the IAM contents, then the
// associations) to a fresh in-memory store, and returns the directory.
func worldSnapshot(tb testing.TB, path string) *directory.Snapshot {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return worldSnapshotOf(tb, path, data)
}

func worldSnapshotOf(tb testing.TB, name string, data []byte) *directory.Snapshot {
	tb.Helper()
	ctx := context.Background()
	w, err := world.Parse(name, data)
	if err != nil {
		tb.Fatal(err)
	}
	sealer, err := creds.NewSealer(make([]byte, 32))
	if err != nil {
		tb.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	decoders := eks.Decoders(sealer)
	maps.Copy(decoders, gateway.Decoders())
	svc, err := iam.New(ctx, memory.New(nil), sealer, log, decoders)
	if err != nil {
		tb.Fatal(err)
	}
	eksSvc := eks.New(svc.Writer(), sealer, log)
	eksSvc.SetPublicURL("https://assumed.test")
	svc.AllowProviderURLs(eksSvc.IsOwnIssuer)
	if err := eksSvc.ApplyWorld(ctx, name, w); err != nil {
		tb.Fatal(err)
	}
	if err := w.ResolveIssuers(name, eksSvc.IssuerOf); err != nil {
		tb.Fatal(err)
	}
	if err := svc.ApplyWorld(ctx, name, w); err != nil {
		tb.Fatal(err)
	}
	if err := eksSvc.ApplyWorldAssociations(ctx, name, w); err != nil {
		tb.Fatal(err)
	}
	return svc.Directory().Snapshot()
}

func mustRead(tb testing.TB, path string) string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}
