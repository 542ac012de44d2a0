package iam

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"strconv"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"golang.org/x/crypto/ssh"

	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/directory"
)

// SSH public keys authenticate an IAM user to CodeCommit. IAM takes
// ssh-rsa keys of at least 2048 bits, in OpenSSH or PEM form, five per
// user, and names each by an APKA… ID and its MD5 fingerprint.

// SSH public key limits, as in IAM.
const (
	sshMaxPerUser = 5
	sshMinRSABits = 2048
	sshMaxBodyLen = 16384
)

// sshNotFound is IAM's answer for a key the user does not have.
func sshNotFound(id string) error {
	return noSuchEntity("The SSH Public Key with id %s cannot be found.", id)
}

// sshUnrecognized is IAM's UnrecognizedPublicKeyEncoding.
func sshUnrecognized() error {
	return &Error{Status: http.StatusBadRequest, Code: "UnrecognizedPublicKeyEncoding", Message: "The public key encoding format is unsupported or unrecognized. Use an ssh-rsa key in OpenSSH or PEM format."}
}

// sshInvalid is IAM's InvalidPublicKey.
func sshInvalid(why string) error {
	return &Error{Status: http.StatusBadRequest, Code: "InvalidPublicKey", Message: "The public key is malformed or otherwise invalid: " + why}
}

// parseSSHPublicKey parses a key as IAM takes it: an OpenSSH public key
// line (ssh-rsa AAAA… comment) or a PEM public key (PKIX "PUBLIC KEY" or
// PKCS #1 "RSA PUBLIC KEY"), RSA of at least 2048 bits.
func parseSSHPublicKey(body string) (ssh.PublicKey, error) {
	body = strings.TrimSpace(body)
	var key ssh.PublicKey
	if strings.HasPrefix(body, "-----BEGIN") {
		block, _ := pem.Decode([]byte(body))
		if block == nil {
			return nil, sshInvalid("the PEM block does not decode")
		}
		var pub any
		var err error
		switch block.Type {
		case "PUBLIC KEY":
			pub, err = x509.ParsePKIXPublicKey(block.Bytes)
		case "RSA PUBLIC KEY":
			pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
		default:
			return nil, sshUnrecognized()
		}
		if err != nil {
			return nil, sshInvalid(err.Error())
		}
		if key, err = ssh.NewPublicKey(pub); err != nil {
			return nil, sshInvalid(err.Error())
		}
	} else {
		if f := strings.Fields(body); len(f) < 2 || !(strings.HasPrefix(f[0], "ssh-") || strings.HasPrefix(f[0], "ecdsa-") || strings.HasPrefix(f[0], "sk-")) {
			return nil, sshUnrecognized()
		}
		k, _, _, rest, err := ssh.ParseAuthorizedKey([]byte(body))
		if err != nil {
			return nil, sshInvalid(err.Error())
		}
		if len(strings.TrimSpace(string(rest))) > 0 {
			return nil, sshInvalid("more than one key")
		}
		key = k
	}
	if key.Type() != ssh.KeyAlgoRSA {
		return nil, sshInvalid("the key is " + key.Type() + ", not ssh-rsa")
	}
	rk, ok := key.(ssh.CryptoPublicKey).CryptoPublicKey().(*rsa.PublicKey)
	if !ok {
		return nil, sshInvalid("not an RSA key")
	}
	if bits := rk.N.BitLen(); bits < sshMinRSABits {
		return nil, sshInvalid("the key has " + strconv.Itoa(bits) + " bits; IAM requires at least 2048")
	}
	return key, nil
}

// sshEncode returns a stored key in the encoding GetSSHPublicKey asks
// for: SSH (the OpenSSH line; as uploaded when it was uploaded so) or PEM
// (PKIX; as uploaded when it was uploaded so).
func sshEncode(k *directory.SSHPublicKey, encoding types.EncodingType) (string, error) {
	pemForm := strings.HasPrefix(k.Body, "-----BEGIN")
	if (encoding == types.EncodingTypePem) == pemForm {
		return k.Body, nil
	}
	key, err := parseSSHPublicKey(k.Body)
	if err != nil {
		return "", err
	}
	if encoding == types.EncodingTypeSsh {
		return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key))), nil
	}
	der, err := x509.MarshalPKIXPublicKey(key.(ssh.CryptoPublicKey).CryptoPublicKey())
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))), nil
}

// sshKeys returns the owner's SSH public keys, by ID.
func sshKeys(acct *directory.AccountIAM, owner credOwner) []*directory.SSHPublicKey {
	return credOf(acct.Credentials.SSHPublicKeys, owner.ID(), func(k *directory.SSHPublicKey) string { return k.UserID })
}

// sshFind returns the owner's key with this ID.
func sshFind(acct *directory.AccountIAM, owner credOwner, id string) (*directory.SSHPublicKey, error) {
	if k, ok := acct.Credentials.SSHPublicKeys[id]; ok && k.UserID == owner.ID() {
		return k, nil
	}
	return nil, sshNotFound(id)
}

// sshSDK converts a key for a response, with body in the asked encoding.
func sshSDK(owner credOwner, k *directory.SSHPublicKey, body string) *types.SSHPublicKey {
	return &types.SSHPublicKey{
		SSHPublicKeyId: ptr(k.ID), UserName: owner.UserName(), Fingerprint: ptr(k.Fingerprint),
		SSHPublicKeyBody: ptr(body), Status: types.StatusType(k.Status), UploadDate: ptr(k.UploadDate),
	}
}

// UploadSSHPublicKey adds an SSH public key to a user. A key the user has
// already is refused as DuplicateSSHPublicKey.
func (s *Service) UploadSSHPublicKey(ctx context.Context, caller *directory.Caller, in *sdk.UploadSSHPublicKeyInput) (*sdk.UploadSSHPublicKeyOutput, error) {
	body := strings.TrimSpace(deref(in.SSHPublicKeyBody))
	if body == "" || len(body) > sshMaxBodyLen {
		return nil, invalidField("", "sSHPublicKeyBody", "Member must have length between 1 and 16384")
	}
	var out *sdk.UploadSSHPublicKeyOutput
	err := s.update(ctx, func(t *txn) error {
		owner, err := credTarget(t.Snap, caller, in.UserName, "iam:UploadSSHPublicKey", nil, false)
		if err != nil {
			return err
		}
		key, err := parseSSHPublicKey(body)
		if err != nil {
			return err
		}
		acct := t.IAM(caller.AccountID)
		fingerprint := ssh.FingerprintLegacyMD5(key)
		have := sshKeys(acct, owner)
		for _, k := range have {
			if k.Fingerprint == fingerprint {
				return &Error{Status: http.StatusBadRequest, Code: "DuplicateSSHPublicKey", Message: "The SSH public key is already associated with the specified IAM user."}
			}
		}
		if len(have) >= sshMaxPerUser {
			return limitExceeded("Cannot exceed quota for SSHPublicKeysPerUser: %d", sshMaxPerUser)
		}
		id, err := creds.NewAccessKeyIDForAccount(prefixSSHPublicKey, caller.AccountID)
		if err != nil {
			return err
		}
		k := &directory.SSHPublicKey{ID: id, UserID: owner.ID(), Body: body, Fingerprint: fingerprint, Status: directory.StatusActive, UploadDate: s.usrNow(caller)}
		out = &sdk.UploadSSHPublicKeyOutput{SSHPublicKey: sshSDK(owner, k, body)}
		return credPut(t, kindSSHPublicKey, caller.AccountID, acct.Credentials.SSHPublicKeys, id, k)
	})
	return output(out, err)
}

// GetSSHPublicKey returns one of a user's SSH public keys, in OpenSSH
// (SSH) or PEM encoding.
func (s *Service) GetSSHPublicKey(_ context.Context, caller *directory.Caller, in *sdk.GetSSHPublicKeyInput) (*sdk.GetSSHPublicKeyOutput, error) {
	if in.Encoding != types.EncodingTypeSsh && in.Encoding != types.EncodingTypePem {
		return nil, invalidField(string(in.Encoding), "encoding", "Member must satisfy enum value set: [SSH, PEM]")
	}
	snap := s.dir.Snapshot()
	owner, err := credTarget(snap, caller, in.UserName, "iam:GetSSHPublicKey", nil, false)
	if err != nil {
		return nil, err
	}
	k, err := sshFind(snap.AccountIAM(caller.AccountID), owner, deref(in.SSHPublicKeyId))
	if err != nil {
		return nil, err
	}
	body, err := sshEncode(k, in.Encoding)
	if err != nil {
		return nil, err
	}
	return &sdk.GetSSHPublicKeyOutput{SSHPublicKey: sshSDK(owner, k, body)}, nil
}

// ListSSHPublicKeys lists the SSH public keys of the named user, or of
// the calling user.
func (s *Service) ListSSHPublicKeys(_ context.Context, caller *directory.Caller, in *sdk.ListSSHPublicKeysInput) (*sdk.ListSSHPublicKeysOutput, error) {
	snap := s.dir.Snapshot()
	owner, err := credTarget(snap, caller, in.UserName, "iam:ListSSHPublicKeys", nil, false)
	if err != nil {
		return nil, err
	}
	p, err := paginate(sshKeys(snap.AccountIAM(caller.AccountID), owner), func(k *directory.SSHPublicKey) string { return k.ID }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &sdk.ListSSHPublicKeysOutput{SSHPublicKeys: []types.SSHPublicKeyMetadata{}, IsTruncated: p.Truncated, Marker: p.Marker}
	for _, k := range p.Items {
		out.SSHPublicKeys = append(out.SSHPublicKeys, types.SSHPublicKeyMetadata{
			SSHPublicKeyId: ptr(k.ID), UserName: owner.UserName(), Status: types.StatusType(k.Status), UploadDate: ptr(k.UploadDate),
		})
	}
	return out, nil
}

// UpdateSSHPublicKey makes an SSH public key Active or Inactive.
func (s *Service) UpdateSSHPublicKey(ctx context.Context, caller *directory.Caller, in *sdk.UpdateSSHPublicKeyInput) (*sdk.UpdateSSHPublicKeyOutput, error) {
	status := string(in.Status)
	if err := checkStatus(status); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(t *txn) error {
		owner, err := credTarget(t.Snap, caller, in.UserName, "iam:UpdateSSHPublicKey", nil, false)
		if err != nil {
			return err
		}
		acct := t.IAM(caller.AccountID)
		cur, err := sshFind(acct, owner, deref(in.SSHPublicKeyId))
		if err != nil || cur.Status == status {
			return err
		}
		k := *cur
		k.Status = status
		return credPut(t, kindSSHPublicKey, caller.AccountID, acct.Credentials.SSHPublicKeys, k.ID, &k)
	})
	return output(&sdk.UpdateSSHPublicKeyOutput{}, err)
}

// DeleteSSHPublicKey deletes one of a user's SSH public keys.
func (s *Service) DeleteSSHPublicKey(ctx context.Context, caller *directory.Caller, in *sdk.DeleteSSHPublicKeyInput) (*sdk.DeleteSSHPublicKeyOutput, error) {
	err := s.update(ctx, func(t *txn) error {
		owner, err := credTarget(t.Snap, caller, in.UserName, "iam:DeleteSSHPublicKey", nil, false)
		if err != nil {
			return err
		}
		acct := t.IAM(caller.AccountID)
		k, err := sshFind(acct, owner, deref(in.SSHPublicKeyId))
		if err != nil {
			return err
		}
		credDel(t, kindSSHPublicKey, caller.AccountID, acct.Credentials.SSHPublicKeys, k.ID)
		return nil
	})
	return output(&sdk.DeleteSSHPublicKeyOutput{}, err)
}
