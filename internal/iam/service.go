// Package iam is the IAM service: accounts, users, access keys, roles and
// policies of every hosted account, kept in the store and published as
// directory snapshots. Operations are plain Go functions over typed inputs;
// the wire encoding lives in internal/server.
package iam

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/internal/iam/awsmanaged"
	"github.com/assumed-dev/assumed/internal/store"
	"github.com/assumed-dev/assumed/internal/world"
)

// Record kinds in the store.
const (
	kindAccount         = "account"
	kindAccessKey       = "accesskey"
	kindUser            = "user"
	kindGroup           = "group"
	kindRole            = "role"
	kindPolicy          = "policy"
	kindOIDCProvider    = "oidcprovider"
	kindInstanceProfile = "instanceprofile"
	kindAlias           = "alias"
	// Account-level families and settings (samlproviders.go,
	// servercertificates.go, servicelinkedroles.go, accountsettings.go).
	kindSAMLProvider      = "samlprovider"
	kindServerCertificate = "servercertificate"
	kindDeletionTask      = "slrdeletiontask"
	kindPasswordPolicy    = "passwordpolicy"
	kindSTSPreferences    = "stspreferences"
	// Users' credentials beyond access keys (credentials.go).
	kindLoginProfile       = "loginprofile"
	kindSSHPublicKey       = "sshpublickey"
	kindServiceCredential  = "servicecredential"
	kindSigningCertificate = "signingcertificate"
	kindMFADevice          = "virtualmfadevice"
)

// Service is the IAM service. Writes are serialized; reads go to the
// directory's current snapshot.
type Service struct {
	store  store.Store
	dir    *directory.Directory
	sealer *creds.Sealer
	log    *slog.Logger
	now    func() time.Time
	writer *directory.Writer // shared with the other services that write
	others map[string]directory.RecordDecoder
	// allowProviderURL admits OIDC provider URLs that AWS's rules
	// refuse (see AllowProviderURLs).
	allowProviderURL atomic.Pointer[func(url string) bool]
}

// AllowProviderURLs admits OIDC provider URLs beyond AWS's rule (https,
// no port): the server's own cluster issuers, which live under its
// public URL, and with --oidc-allow-http local http issuers.
func (s *Service) AllowProviderURLs(allow func(url string) bool) { s.allowProviderURL.Store(&allow) }

// New loads the state from st and returns the service with its directory.
// Records of the kinds in others are decoded by those decoders (the
// state of the services that write through the same directory).
func New(ctx context.Context, st store.Store, sealer *creds.Sealer, log *slog.Logger, others map[string]directory.RecordDecoder) (*Service, error) {
	s := &Service{store: st, sealer: sealer, log: log, now: time.Now, others: others}
	snap, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	s.dir = directory.New(snap)
	s.writer = directory.NewWriter(st, s.dir)
	return s, nil
}

// Directory returns the directory the service publishes to.
func (s *Service) Directory() *directory.Directory { return s.dir }

// Writer returns the writer the service writes through; other services
// that keep state in the directory write through it too.
func (s *Service) Writer() *directory.Writer { return s.writer }

// load builds a snapshot from every stored record.
func (s *Service) load(ctx context.Context) (*directory.Snapshot, error) {
	recs, err := s.store.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("load state: %w", err)
	}
	return s.Build(recs)
}

// Build builds a snapshot from stored records: the IAM service's own and,
// through their decoders, the other services'. A writer of a store that
// several nodes share rebuilds with it what other nodes wrote.
func (s *Service) Build(recs []store.Record) (*directory.Snapshot, error) {
	snap := directory.NewSnapshot()
	snap.AWSPolicies = awsmanaged.Lookup
	copies := awsPolicyCopies{} // AWS managed policies imports kept (import.go)
	acct := func(id string) *directory.AccountIAM {
		a, ok := snap.IAM[id]
		if !ok {
			a = directory.NewAccountIAM()
			snap.IAM[id] = a
		}
		return a
	}
	for _, r := range recs {
		if err := decodeIAMRecord(r, acct); err != errUnknownKind {
			if err != nil {
				return nil, err
			}
			continue
		}
		switch r.Kind {
		case kindAccount:
			var a directory.Account
			if err := json.Unmarshal(r.Data, &a); err != nil {
				return nil, fmt.Errorf("decode account %s: %w", r.ID, err)
			}
			snap.Accounts[a.ID] = &a
		case kindEpoch:
			if err := decodeEpoch(r, snap); err != nil {
				return nil, err
			}
		case kindAWSPolicyCopy:
			if err := copies.add(r); err != nil {
				return nil, err
			}
		case kindAccessKey:
			var k directory.AccessKey
			if err := json.Unmarshal(r.Data, &k); err != nil {
				return nil, fmt.Errorf("decode access key %s: %w", r.ID, err)
			}
			secret, err := s.sealer.Open(k.SealedSecret, k.AccessKeyID)
			if err != nil {
				return nil, fmt.Errorf("unseal access key %s (is this the data dir's own master key?): %w", k.AccessKeyID, err)
			}
			k.Secret = string(secret)
			snap.AccessKeys[k.AccessKeyID] = &k
		default:
			if dec, ok := s.others[r.Kind]; ok {
				if err := dec(r, snap); err != nil {
					return nil, err
				}
				continue
			}
			return nil, fmt.Errorf("unknown record kind %q in the store: written by a newer version?", r.Kind)
		}
	}
	snap.AWSPolicies = copies.lookup()
	return snap, nil
}

// EnsureAccounts makes the hosted accounts match the world's: missing
// accounts are created with a root access key, renamed ones renamed.
// Accounts are never deleted here. It is idempotent.
func (s *Service) EnsureAccounts(ctx context.Context, accounts []world.Account) error {
	return s.update(ctx, func(t *txn) error {
		now := s.now().UTC().Truncate(time.Second)
		for _, wa := range accounts {
			a, exists := t.Snap.Accounts[wa.ID]
			_, hasRoot := t.Snap.RootKey(wa.ID)
			if exists && a.Name == wa.Name && hasRoot {
				continue
			}
			if !exists {
				a = &directory.Account{ID: wa.ID, Name: wa.Name, CreateDate: now}
			} else {
				copied := *a
				copied.Name = wa.Name
				a = &copied
			}
			t.Snap.Accounts[a.ID] = a
			if err := t.Put(kindAccount, "", a.ID, a); err != nil {
				return err
			}
			if !hasRoot {
				k, err := s.newAccessKey(a.ID, "", now)
				if err != nil {
					return err
				}
				t.Snap.AccessKeys[k.AccessKeyID] = k
				if err := t.Put(kindAccessKey, a.ID, k.AccessKeyID, k); err != nil {
					return err
				}
			}
			s.log.Info("account ready", "account", a.ID, "name", a.Name, "created", !exists)
		}
		return nil
	})
}

// newAccessKey creates an active access key with a sealed secret.
func (s *Service) newAccessKey(accountID, userName string, now time.Time) (*directory.AccessKey, error) {
	id, err := creds.NewAccessKeyIDForAccount(creds.PrefixAccessKey, accountID)
	if err != nil {
		return nil, fmt.Errorf("new access key: %w", err)
	}
	secret, err := creds.NewSecretAccessKey()
	if err != nil {
		return nil, fmt.Errorf("new access key: %w", err)
	}
	sealed, err := s.sealer.Seal([]byte(secret), id)
	if err != nil {
		return nil, fmt.Errorf("new access key: %w", err)
	}
	return &directory.AccessKey{AccessKeyID: id, AccountID: accountID, UserName: userName, Status: directory.StatusActive, CreateDate: now, SealedSecret: sealed, Secret: secret}, nil
}
