package iam

import (
	"context"
	"slices"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/internal/directory"
)

// keyMaxPerUser is IAM's quota of access keys per user (and per root user).
const keyMaxPerUser = 2

// keySort sorts access keys by ID.
func keySort(keys []*directory.AccessKey) {
	slices.SortFunc(keys, func(a, b *directory.AccessKey) int { return strings.Compare(a.AccessKeyID, b.AccessKeyID) })
}

// keyOwner is whose access keys a request is about: an IAM user, or the
// account's root user (UserName "").
type keyOwner struct {
	UserName string
	ARN      string
}

// keyTarget resolves the UserName parameter of an access key operation
// and authorizes action on that user: the named user, or the caller when
// no name is given (the root user for a root caller).
func keyTarget(snap *directory.Snapshot, caller *directory.Caller, userName *string, action string) (keyOwner, error) {
	if userName == nil || *userName == "" {
		if caller.IsRoot() {
			if err := authorize(snap, caller, action, caller.ARN, nil); err != nil {
				return keyOwner{}, err
			}
			return keyOwner{ARN: caller.ARN}, nil
		}
		userName = &caller.UserName
	}
	u, err := users.authorized(snap, caller, *userName, action, nil)
	if err != nil {
		return keyOwner{}, err
	}
	return keyOwner{UserName: u.Name, ARN: u.ARN}, nil
}

// keyFind returns the owner's access key with the given ID.
func keyFind(snap *directory.Snapshot, accountID string, owner keyOwner, id string) (*directory.AccessKey, error) {
	for _, k := range usrKeys(snap, accountID, owner.UserName) {
		if k.AccessKeyID == id {
			return k, nil
		}
	}
	return nil, noSuchEntity("The Access Key with id %s cannot be found.", id)
}

// keyUserName is the UserName of a key in responses (absent for the root
// user's keys).
func keyUserName(k *directory.AccessKey) *string {
	if k.UserName == "" {
		return nil
	}
	return ptr(k.UserName)
}

// CreateAccessKey creates an access key for the named user, or for the
// caller (a root caller gets a root access key). The secret is returned
// only here. The key can sign requests as soon as this returns.
func (s *Service) CreateAccessKey(ctx context.Context, caller *directory.Caller, in *sdk.CreateAccessKeyInput) (*sdk.CreateAccessKeyOutput, error) {
	var out *sdk.CreateAccessKeyOutput
	err := s.update(ctx, func(t *txn) error {
		owner, err := keyTarget(t.Snap, caller, in.UserName, "iam:CreateAccessKey")
		if err != nil {
			return err
		}
		if len(usrKeys(t.Snap, caller.AccountID, owner.UserName)) >= keyMaxPerUser {
			return limitExceeded("Cannot exceed quota for AccessKeysPerUser: %d", keyMaxPerUser)
		}
		k, err := s.newAccessKey(caller.AccountID, owner.UserName, s.usrNow(caller))
		if err != nil {
			return err
		}
		t.Snap.AccessKeys[k.AccessKeyID] = k
		out = &sdk.CreateAccessKeyOutput{AccessKey: &types.AccessKey{
			AccessKeyId: ptr(k.AccessKeyID), SecretAccessKey: ptr(k.Secret), Status: types.StatusType(k.Status),
			UserName: keyUserName(k), CreateDate: ptr(k.CreateDate),
		}}
		return t.Put(kindAccessKey, caller.AccountID, k.AccessKeyID, k)
	})
	return out, err
}

// ListAccessKeys lists the access keys of the named user, or of the
// caller.
func (s *Service) ListAccessKeys(_ context.Context, caller *directory.Caller, in *sdk.ListAccessKeysInput) (*sdk.ListAccessKeysOutput, error) {
	snap := s.dir.Snapshot()
	owner, err := keyTarget(snap, caller, in.UserName, "iam:ListAccessKeys")
	if err != nil {
		return nil, err
	}
	p, err := paginate(usrKeys(snap, caller.AccountID, owner.UserName), func(k *directory.AccessKey) string { return k.AccessKeyID }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &sdk.ListAccessKeysOutput{AccessKeyMetadata: []types.AccessKeyMetadata{}, IsTruncated: p.Truncated, Marker: p.Marker}
	for _, k := range p.Items {
		out.AccessKeyMetadata = append(out.AccessKeyMetadata, types.AccessKeyMetadata{
			AccessKeyId: ptr(k.AccessKeyID), CreateDate: ptr(k.CreateDate), Status: types.StatusType(k.Status), UserName: keyUserName(k),
		})
	}
	return out, nil
}

// UpdateAccessKey makes an access key Active or Inactive. An inactive key
// signs nothing.
func (s *Service) UpdateAccessKey(ctx context.Context, caller *directory.Caller, in *sdk.UpdateAccessKeyInput) (*sdk.UpdateAccessKeyOutput, error) {
	status := string(in.Status)
	if status != directory.StatusActive && status != directory.StatusInactive {
		return nil, invalidField(status, "status", "Member must satisfy enum value set: [Active, Inactive, Expired]")
	}
	err := s.update(ctx, func(t *txn) error {
		owner, err := keyTarget(t.Snap, caller, in.UserName, "iam:UpdateAccessKey")
		if err != nil {
			return err
		}
		cur, err := keyFind(t.Snap, caller.AccountID, owner, deref(in.AccessKeyId))
		if err != nil {
			return err
		}
		if cur.Status == status {
			return nil
		}
		k := *cur
		k.Status = status
		t.Snap.AccessKeys[k.AccessKeyID] = &k
		return t.Put(kindAccessKey, caller.AccountID, k.AccessKeyID, &k)
	})
	if err != nil {
		return nil, err
	}
	return &sdk.UpdateAccessKeyOutput{}, nil
}

// DeleteAccessKey deletes an access key.
func (s *Service) DeleteAccessKey(ctx context.Context, caller *directory.Caller, in *sdk.DeleteAccessKeyInput) (*sdk.DeleteAccessKeyOutput, error) {
	err := s.update(ctx, func(t *txn) error {
		owner, err := keyTarget(t.Snap, caller, in.UserName, "iam:DeleteAccessKey")
		if err != nil {
			return err
		}
		k, err := keyFind(t.Snap, caller.AccountID, owner, deref(in.AccessKeyId))
		if err != nil {
			return err
		}
		delete(t.Snap.AccessKeys, k.AccessKeyID)
		t.Del(kindAccessKey, caller.AccountID, k.AccessKeyID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.DeleteAccessKeyOutput{}, nil
}

// GetAccessKeyLastUsed says who owns an access key of the caller's
// account and when it was last used. Use is not recorded yet: the answer
// is IAM's for a key never used (Region and ServiceName "N/A").
func (s *Service) GetAccessKeyLastUsed(_ context.Context, caller *directory.Caller, in *sdk.GetAccessKeyLastUsedInput) (*sdk.GetAccessKeyLastUsedOutput, error) {
	snap := s.dir.Snapshot()
	id := deref(in.AccessKeyId)
	k, ok := snap.AccessKeys[id]
	if !ok || k.AccountID != caller.AccountID {
		return nil, noSuchEntity("The Access Key with id %s cannot be found.", id)
	}
	resource := "arn:aws:iam::" + caller.AccountID + ":root"
	if k.UserName != "" {
		resource = usrARN(caller.AccountID, "/", k.UserName)
		if u, ok := snap.AccountIAM(caller.AccountID).Users[directory.Key(k.UserName)]; ok {
			resource = u.ARN
		}
	}
	if err := authorize(snap, caller, "iam:GetAccessKeyLastUsed", resource, nil); err != nil {
		return nil, err
	}
	return &sdk.GetAccessKeyLastUsedOutput{
		UserName:          keyUserName(k),
		AccessKeyLastUsed: &types.AccessKeyLastUsed{Region: ptr("N/A"), ServiceName: ptr("N/A")},
	}, nil
}
