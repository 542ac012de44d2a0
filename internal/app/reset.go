package app

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/assumed-dev/assumed/internal/backend"
	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/eks"
	"github.com/assumed-dev/assumed/internal/gateway"
	"github.com/assumed-dev/assumed/internal/iam"
	"github.com/assumed-dev/assumed/internal/server"
	"github.com/assumed-dev/assumed/internal/store"
	"github.com/assumed-dev/assumed/internal/store/memory"
	"github.com/assumed-dev/assumed/internal/world"
)

// resetter returns a running server's state to its world file's (POST
// /_assumed/reset): the state a server started with the same world file
// on an empty data dir would have, with these exceptions.
//
//   - The master key, the data dir's CA and the session key ring are kept.
//   - The accounts keep the root access keys they had when the server
//     started (those of DATA-DIR/credentials), active; root keys made
//     since are dropped.
//   - Clusters the world file declares keep their issuer (issuer ID, so
//     issuer URLs and OIDC providers stay the same; signing keys, so
//     service-account tokens signed before stay valid) when they still
//     exist.
//   - What the resource gateway recorded of the backend's resources
//     (owners, resource policies) is kept while the backend keeps them: it
//     is dropped only when the backend is reset too, which happens when
//     assumed started it (--backend moto).
//
// Temporary credentials issued before the reset are refused after it:
// the reset moves the directory to a new epoch, and a session is valid in
// the epoch it was issued in only.
//
// The new state is built on a scratch store in memory, by the same steps
// Run applies the world with, and then replaces the durable state and the
// directory in one write (directory.Writer.Replace): concurrent requests
// see the old state or the new one, and a restart finds the new one.
type resetter struct {
	mu        sync.Mutex // one reset at a time
	log       *slog.Logger
	writer    *directory.Writer
	sealer    *creds.Sealer
	decoders  map[string]directory.RecordDecoder
	world     *world.World // as read: ResolveIssuers has not filled it in
	worldFile string
	dataDir   string
	publicURL string
	caPEM     []byte
	// allowProviderURL is the IAM service's AllowProviderURLs.
	allowProviderURL func(string) bool
	// accounts and rootKeys are the world's accounts and their active
	// root access keys as the server started.
	accounts []*directory.Account
	rootKeys []*directory.AccessKey
	backend  *backend.Backend // nil: none
	gateway  *gateway.Gateway // nil: none
}

// resetConfig is what newResetter takes from Run.
type resetConfig struct {
	Log              *slog.Logger
	IAM              *iam.Service
	Sealer           *creds.Sealer
	Decoders         map[string]directory.RecordDecoder
	World            *world.World // a Clone made before the world was applied
	Options          Options
	PublicURL        string
	CAPEM            []byte
	AllowProviderURL func(string) bool
	Backend          *backend.Backend
	Gateway          *gateway.Gateway
}

// newResetter returns the resetter of a server whose world file has just
// been applied.
func newResetter(c resetConfig) (*resetter, error) {
	r := &resetter{
		log: c.Log, writer: c.IAM.Writer(), sealer: c.Sealer, decoders: c.Decoders, world: c.World,
		worldFile: c.Options.WorldFile, dataDir: c.Options.DataDir, publicURL: c.PublicURL, caPEM: c.CAPEM,
		allowProviderURL: c.AllowProviderURL, backend: c.Backend, gateway: c.Gateway,
	}
	snap := c.IAM.Directory().Snapshot()
	for _, wa := range c.World.Accounts {
		a, ok := snap.Accounts[wa.ID]
		if !ok {
			return nil, fmt.Errorf("account %s of the world file is not hosted", wa.ID)
		}
		r.accounts = append(r.accounts, a)
		for _, k := range snap.AccessKeys {
			if k.AccountID == wa.ID && k.UserName == "" && k.Status == directory.StatusActive {
				r.rootKeys = append(r.rootKeys, k)
			}
		}
	}
	return r, nil
}

// admin is the server's Admin for opt.
func (r *resetter) admin(opt Options) server.Admin {
	return server.Admin{Reset: r.reset, AllowReset: opt.AllowReset}
}

// reset returns the state to the world file's (see resetter).
func (r *resetter) reset(ctx context.Context) (*server.ResetReport, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rep := &server.ResetReport{Accounts: len(r.accounts), Backend: r.backendFate()}
	resetBackend := r.backend != nil && r.backend.Started()
	var next *directory.Snapshot
	err := r.writer.Replace(ctx, func(cur *directory.Snapshot, stored []store.Record) (*directory.Snapshot, []store.Record, error) {
		snap, records, err := r.build(ctx, cur)
		if err != nil {
			return nil, nil, err
		}
		if r.backend != nil && !resetBackend {
			// The backend keeps its resources: keep what the gateway
			// knows of them (the world's accounts' only).
			snap = snap.ShallowClone()
			for _, rec := range stored {
				if rec.Kind != gateway.ResourceRecordKind || snap.Accounts[rec.Account] == nil {
					continue
				}
				if res, ok := cur.Resources[rec.ID]; ok && res.Account == rec.Account {
					snap.Resources[rec.ID] = res
					records = append(records, rec)
				}
			}
		}
		if resetBackend {
			// Last, once the new state is built: a failure leaves both as
			// they were. Requests that record resources wait for this
			// write, and then record them in the new state.
			if err := r.backend.Reset(ctx); err != nil {
				return nil, nil, err
			}
		}
		next = snap
		return snap, records, nil
	})
	if err != nil {
		if resetBackend {
			rep.Backend = "not reset: the reset failed"
		}
		return rep, fmt.Errorf("reset: %w", err)
	}
	if resetBackend {
		r.log.Info("emptied the backend with the state", "backend", r.backend.String())
		if r.gateway != nil {
			r.gateway.ForgetBackend()
		}
	}
	rep.Reset, rep.Epoch = true, next.Epoch
	// The root keys are those the file already names; write it again
	// all the same, in case it was edited or removed.
	if err := writeProfiles(r.dataDir, next, r.world.Accounts); err != nil {
		return rep, err
	}
	return rep, nil
}

// build applies the world file to a scratch state holding the accounts,
// their root keys and the epoch after cur's, and returns its snapshot and
// records.
func (r *resetter) build(ctx context.Context, cur *directory.Snapshot) (*directory.Snapshot, []store.Record, error) {
	seed, err := iam.ResetSeed(r.accounts, r.rootKeys, cur.Epoch+1)
	if err != nil {
		return nil, nil, err
	}
	scratch := memory.New(seed)
	defer scratch.Close()
	quiet := slog.New(slog.DiscardHandler)
	svc, err := iam.New(ctx, scratch, r.sealer, quiet, r.decoders)
	if err != nil {
		return nil, nil, err
	}
	svc.AllowProviderURLs(r.allowProviderURL)
	eksSvc := eks.New(svc.Writer(), r.sealer, quiet)
	eksSvc.SetCertificateAuthority(r.caPEM)
	eksSvc.SetPublicURL(r.publicURL)
	w := r.world.Clone()
	// The steps of Run, in its order, with the clusters' issuers adopted
	// before their URLs are resolved.
	if err := eksSvc.ApplyWorld(ctx, r.worldFile, w); err != nil {
		return nil, nil, fmt.Errorf("apply the world file: %w", err)
	}
	if err := eksSvc.AdoptIssuers(ctx, cur); err != nil {
		return nil, nil, fmt.Errorf("keep the clusters' issuers: %w", err)
	}
	if err := w.ResolveIssuers(r.worldFile, eksSvc.IssuerOf); err != nil {
		return nil, nil, fmt.Errorf("apply the world file: %w", err)
	}
	if err := svc.ApplyWorld(ctx, r.worldFile, w); err != nil {
		return nil, nil, fmt.Errorf("apply the world file: %w", err)
	}
	if err := eksSvc.ApplyWorldAssociations(ctx, r.worldFile, w); err != nil {
		return nil, nil, fmt.Errorf("apply the world file: %w", err)
	}
	records, err := scratch.Load(ctx)
	if err != nil {
		return nil, nil, err
	}
	return svc.Directory().Snapshot(), records, nil
}

// backendFate says what a reset does to the backend.
func (r *resetter) backendFate() string {
	switch {
	case r.backend == nil:
		return "none"
	case r.backend.Started():
		return "reset: the moto_server assumed started was emptied (POST /moto-api/reset)"
	case r.backend.Kind == backend.Moto:
		return "not reset: moto keeps its resources; restart it or use its /moto-api/reset"
	case r.backend.Kind == backend.LocalStack:
		return "not reset: LocalStack keeps its resources; restart it to empty it"
	default:
		return "not reset: the backend at " + r.backend.Addr() + " keeps its resources"
	}
}
