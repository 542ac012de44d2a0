package iam

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/skip2/go-qrcode"

	"github.com/assumed-dev/assumed/internal/directory"
)

// Virtual MFA devices are TOTP authenticators (RFC 6238: HMAC-SHA1, 30 s
// steps, six digits). CreateVirtualMFADevice makes one for the account and
// hands out its seed, in base32 and as a QR code of the otpauth:// URI
// that authenticator apps scan; EnableMFADevice assigns it to a user once
// given two consecutive codes. The seed is sealed at rest. Devices are
// tagged, and named by their serial number, the ARN
// arn:aws:iam::ACCOUNT:mfa/PATH+NAME.

// MFA limits and TOTP parameters.
const (
	mfaMaxPerUser   = 8  // IAM's quota of MFA devices per user
	mfaSeedBytes    = 40 // 64 base32 characters, as AWS's seeds
	mfaStep         = 30 // seconds
	mfaDigits       = 6
	mfaQRSize       = 256 // pixels
	mfaMaxSerialLen = 256
	// mfaEnableSkew is how many steps before the request's time the
	// first of two codes may be (a user reads two codes, then submits):
	// about five minutes, and one step after for a fast device clock.
	mfaEnableSkew = 10
	// mfaResyncSkew is how far, in steps, ResyncMFADevice looks for two
	// codes either side of now: two hours, for a drifted device.
	mfaResyncSkew = 240
)

var (
	serialPattern = regexp.MustCompile(`^[\w+=/:,.@-]+$`)
	codePattern   = regexp.MustCompile(`^[0-9]{6}$`)
)

// mfaDevices describes virtual MFA devices to the entity layer.
var mfaDevices = &entity[directory.VirtualMFADevice]{
	kind: "mfa", record: kindMFADevice, byARN: true,
	check:    checkSerialNumber,
	notFound: mfaNotFound,
	all:      func(a *directory.AccountIAM) map[string]*directory.VirtualMFADevice { return a.Credentials.MFADevices },
	fields: func(d *directory.VirtualMFADevice) entityFields {
		return entityFields{ID: d.SerialNumber, ARN: d.SerialNumber, Tags: &d.Tags}
	},
	clone: func(cur *directory.VirtualMFADevice) *directory.VirtualMFADevice {
		d := *cur
		d.Tags = append([]directory.Tag(nil), cur.Tags...)
		return &d
	},
	conflicts: func(_ *directory.Snapshot, _ string, d *directory.VirtualMFADevice) error {
		if d.UserID != "" {
			return deleteConflict("MFA device is still in use.")
		}
		return nil
	},
}

// checkSerialNumber validates a SerialNumber request field.
func checkSerialNumber(serial string) error {
	if len(serial) < 9 || len(serial) > mfaMaxSerialLen {
		return invalidField(serial, "serialNumber", "Member must have length between 9 and 256")
	}
	if !serialPattern.MatchString(serial) {
		return invalidField(serial, "serialNumber", `Member must satisfy regular expression pattern: [\w+=/:,.@-]+`)
	}
	return nil
}

// mfaNotFound is IAM's answer for a serial number that names no virtual
// MFA device of the account.
func mfaNotFound(serial string) error {
	return noSuchEntity("VirtualMFADevice with serial number %s doesn't exist.", serial)
}

// mfaNotEnabled is the answer for a device that is not enabled for the
// user a request names.
func mfaNotEnabled(serial, user string) error {
	return noSuchEntity("MFA device with serial number %s is not enabled for user %s.", serial, user)
}

// mfaInvalidCode is IAM's InvalidAuthenticationCode.
func mfaInvalidCode() error {
	return &Error{Status: http.StatusForbidden, Code: "InvalidAuthenticationCode", Message: "Authentication code for device is not valid."}
}

// totpCode returns the RFC 6238 code of a seed for a time step (Unix time
// divided by 30): HOTP (RFC 4226) with HMAC-SHA1, six digits.
func totpCode(seed []byte, step int64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	mac := hmac.New(sha1.New, seed)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%0*d", mfaDigits, bin%1_000_000)
}

// totpStep is the time step of t.
func totpStep(t time.Time) int64 { return t.Unix() / mfaStep }

// totpMatch finds the step s, after the device's last accepted step and
// within skew steps before now (up to one after, or skew after when
// symmetric), whose code is code1 and whose next step's is code2. It
// returns the step of code2.
func totpMatch(seed []byte, now time.Time, last int64, code1, code2 string, skew int64, symmetric bool) (int64, bool) {
	cur := totpStep(now)
	ahead := int64(1)
	if symmetric {
		ahead = skew
	}
	for s := cur - skew; s <= cur+ahead; s++ {
		if s <= last {
			continue
		}
		if hmac.Equal([]byte(totpCode(seed, s)), []byte(code1)) && hmac.Equal([]byte(totpCode(seed, s+1)), []byte(code2)) {
			return s + 1, true
		}
	}
	return 0, false
}

// checkCodes validates two authentication code request fields.
func checkCodes(code1, code2 *string) error {
	for i, c := range []*string{code1, code2} {
		if !codePattern.MatchString(deref(c)) {
			return invalidField(deref(c), fmt.Sprintf("authenticationCode%d", i+1), `Member must satisfy regular expression pattern: [\d]+ and have length 6`)
		}
	}
	return nil
}

// mfaVerify checks two consecutive codes of a device within skew steps and
// returns the device with the step of the second code recorded.
func (s *Service) mfaVerify(caller *directory.Caller, cur *directory.VirtualMFADevice, code1, code2 string, skew int64, symmetric bool) (*directory.VirtualMFADevice, error) {
	seed, err := s.sealer.Open(cur.SealedSeed, cur.SerialNumber)
	if err != nil {
		return nil, fmt.Errorf("unseal the seed of MFA device %s: %w", cur.SerialNumber, err)
	}
	step, ok := totpMatch(seed, s.usrNow(caller), cur.LastStep, code1, code2, skew, symmetric)
	if !ok {
		s.log.Info("MFA codes refused", "device", cur.SerialNumber, "caller", caller.ARN)
		return nil, mfaInvalidCode()
	}
	d := mfaDevices.clone(cur)
	d.LastStep = step
	return d, nil
}

// mfaOfUser returns the devices enabled for the user with this unique ID
// ("" the root user, who has none here: the root user's MFA is set up in
// the console).
func mfaOfUser(acct *directory.AccountIAM, userID string) []*directory.VirtualMFADevice {
	if userID == "" {
		return nil
	}
	return credOf(acct.Credentials.MFADevices, userID, func(d *directory.VirtualMFADevice) string { return d.UserID })
}

// mfaEnabledFor returns the device with this serial number if it is
// enabled for the owner.
func mfaEnabledFor(acct *directory.AccountIAM, owner credOwner, serial string) (*directory.VirtualMFADevice, error) {
	if err := checkSerialNumber(serial); err != nil {
		return nil, err
	}
	d, ok := acct.Credentials.MFADevices[serial]
	if !ok {
		return nil, mfaNotFound(serial)
	}
	if d.UserID == "" || d.UserID != owner.ID() {
		name := "root"
		if owner.User != nil {
			name = owner.User.Name
		}
		return nil, mfaNotEnabled(serial, name)
	}
	return d, nil
}

// CreateVirtualMFADevice creates a virtual MFA device for the account and
// returns its seed, as base32 text and as the PNG of a QR code of
// otpauth://totp/NAME@ACCOUNT?secret=SEED (ACCOUNT: the account ID, as no
// user has the device yet). The seed is shown only here.
func (s *Service) CreateVirtualMFADevice(ctx context.Context, caller *directory.Caller, in *sdk.CreateVirtualMFADeviceInput) (*sdk.CreateVirtualMFADeviceOutput, error) {
	name := deref(in.VirtualMFADeviceName)
	if err := checkName(name, "virtualMFADeviceName", mfaMaxSerialLen); err != nil {
		return nil, err
	}
	path, err := checkPath(in.Path, "path")
	if err != nil {
		return nil, err
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	serial := entityARN(caller.AccountID, "mfa", path, name)
	if err := checkSerialNumber(serial); err != nil {
		return nil, err
	}
	seed := make([]byte, mfaSeedBytes)
	if _, err := rand.Read(seed); err != nil {
		return nil, fmt.Errorf("create virtual MFA device: %w", err)
	}
	seed32 := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(seed)
	uri := "otpauth://totp/" + url.PathEscape(name+"@"+caller.AccountID) + "?secret=" + seed32
	png, err := qrcode.Encode(uri, qrcode.Medium, mfaQRSize)
	if err != nil {
		return nil, fmt.Errorf("create virtual MFA device: QR code: %w", err)
	}
	sealed, err := s.sealer.Seal(seed, serial)
	if err != nil {
		return nil, fmt.Errorf("create virtual MFA device: seal seed: %w", err)
	}
	d, err := mfaDevices.create(ctx, s, caller, serial, "iam:CreateVirtualMFADevice", tagContext(tags), func(t *txn) (*directory.VirtualMFADevice, error) {
		if _, exists := t.Snap.AccountIAM(caller.AccountID).Credentials.MFADevices[serial]; exists {
			return nil, entityAlreadyExists("MFADevice entity at the same path and name already exists.")
		}
		return &directory.VirtualMFADevice{SerialNumber: serial, CreateDate: s.usrNow(caller), SealedSeed: sealed, Tags: tags}, nil
	})
	if err != nil {
		return nil, err
	}
	out := &types.VirtualMFADevice{SerialNumber: ptr(d.SerialNumber), Base32StringSeed: []byte(seed32), QRCodePNG: png}
	if len(d.Tags) > 0 {
		out.Tags = sdkTags(d.Tags)
	}
	return &sdk.CreateVirtualMFADeviceOutput{VirtualMFADevice: out}, nil
}

// DeleteVirtualMFADevice deletes a virtual MFA device that no user has
// enabled.
func (s *Service) DeleteVirtualMFADevice(ctx context.Context, caller *directory.Caller, in *sdk.DeleteVirtualMFADeviceInput) (*sdk.DeleteVirtualMFADeviceOutput, error) {
	return output(&sdk.DeleteVirtualMFADeviceOutput{}, mfaDevices.delete(ctx, s, caller, deref(in.SerialNumber), "iam:DeleteVirtualMFADevice"))
}

// ListVirtualMFADevices lists the account's virtual MFA devices by serial
// number: Assigned (enabled for a user, who is shown), Unassigned, or Any
// (the default). Seeds and tags are not listed.
func (s *Service) ListVirtualMFADevices(_ context.Context, caller *directory.Caller, in *sdk.ListVirtualMFADevicesInput) (*sdk.ListVirtualMFADevicesOutput, error) {
	status := in.AssignmentStatus
	switch status {
	case "", types.AssignmentStatusTypeAny, types.AssignmentStatusTypeAssigned, types.AssignmentStatusTypeUnassigned:
	default:
		return nil, invalidField(string(status), "assignmentStatus", "Member must satisfy enum value set: [Assigned, Unassigned, Any]")
	}
	snap := s.dir.Snapshot()
	if err := authorize(snap, caller, "iam:ListVirtualMFADevices", "*", nil); err != nil {
		return nil, err
	}
	acct := snap.AccountIAM(caller.AccountID)
	var list []*directory.VirtualMFADevice
	for _, d := range acct.Credentials.MFADevices {
		assigned := d.UserID != ""
		if (status == types.AssignmentStatusTypeAssigned && !assigned) || (status == types.AssignmentStatusTypeUnassigned && assigned) {
			continue
		}
		list = append(list, d)
	}
	p, err := paginate(list, func(d *directory.VirtualMFADevice) string { return d.SerialNumber }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &sdk.ListVirtualMFADevicesOutput{VirtualMFADevices: []types.VirtualMFADevice{}, IsTruncated: p.Truncated, Marker: p.Marker}
	for _, d := range p.Items {
		v := types.VirtualMFADevice{SerialNumber: ptr(d.SerialNumber)}
		if u, ok := credUserByID(acct, d.UserID); d.UserID != "" && ok {
			v.User = ptr(usrSDK(u, false))
			v.EnableDate = ptr(d.EnableDate)
		}
		out.VirtualMFADevices = append(out.VirtualMFADevices, v)
	}
	return out, nil
}

// EnableMFADevice enables a virtual MFA device for a user, given two
// consecutive codes it shows. A device serves one user at a time.
func (s *Service) EnableMFADevice(ctx context.Context, caller *directory.Caller, in *sdk.EnableMFADeviceInput) (*sdk.EnableMFADeviceOutput, error) {
	serial := deref(in.SerialNumber)
	if err := checkSerialNumber(serial); err != nil {
		return nil, err
	}
	if err := checkCodes(in.AuthenticationCode1, in.AuthenticationCode2); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(t *txn) error {
		owner, err := credTarget(t.Snap, caller, in.UserName, "iam:EnableMFADevice", nil, false)
		if err != nil {
			return err
		}
		acct := t.Snap.AccountIAM(caller.AccountID)
		cur, ok := acct.Credentials.MFADevices[serial]
		if !ok {
			return mfaNotFound(serial)
		}
		if cur.UserID != "" {
			return entityAlreadyExists("MFA device %s is already in use.", serial)
		}
		if len(mfaOfUser(acct, owner.ID())) >= mfaMaxPerUser {
			return limitExceeded("Cannot exceed quota for MFADevicesPerUser: %d", mfaMaxPerUser)
		}
		d, err := s.mfaVerify(caller, cur, deref(in.AuthenticationCode1), deref(in.AuthenticationCode2), mfaEnableSkew, false)
		if err != nil {
			return err
		}
		d.UserID, d.EnableDate = owner.ID(), s.usrNow(caller)
		return mfaDevices.store(t, caller.AccountID, d)
	})
	return output(&sdk.EnableMFADeviceOutput{}, err)
}

// ResyncMFADevice re-synchronizes a user's device whose clock drifted:
// two consecutive codes within two hours of now.
func (s *Service) ResyncMFADevice(ctx context.Context, caller *directory.Caller, in *sdk.ResyncMFADeviceInput) (*sdk.ResyncMFADeviceOutput, error) {
	if err := checkCodes(in.AuthenticationCode1, in.AuthenticationCode2); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(t *txn) error {
		owner, err := credTarget(t.Snap, caller, in.UserName, "iam:ResyncMFADevice", nil, false)
		if err != nil {
			return err
		}
		cur, err := mfaEnabledFor(t.Snap.AccountIAM(caller.AccountID), owner, deref(in.SerialNumber))
		if err != nil {
			return err
		}
		d, err := s.mfaVerify(caller, cur, deref(in.AuthenticationCode1), deref(in.AuthenticationCode2), mfaResyncSkew, true)
		if err != nil {
			return err
		}
		return mfaDevices.store(t, caller.AccountID, d)
	})
	return output(&sdk.ResyncMFADeviceOutput{}, err)
}

// DeactivateMFADevice disables a device for the user it is enabled for;
// the virtual device remains, unassigned, until deleted.
func (s *Service) DeactivateMFADevice(ctx context.Context, caller *directory.Caller, in *sdk.DeactivateMFADeviceInput) (*sdk.DeactivateMFADeviceOutput, error) {
	err := s.update(ctx, func(t *txn) error {
		owner, err := credTarget(t.Snap, caller, in.UserName, "iam:DeactivateMFADevice", nil, true)
		if err != nil {
			return err
		}
		cur, err := mfaEnabledFor(t.Snap.AccountIAM(caller.AccountID), owner, deref(in.SerialNumber))
		if err != nil {
			return err
		}
		d := mfaDevices.clone(cur)
		d.UserID, d.EnableDate = "", time.Time{}
		return mfaDevices.store(t, caller.AccountID, d)
	})
	return output(&sdk.DeactivateMFADeviceOutput{}, err)
}

// ListMFADevices lists the MFA devices enabled for the named user, or for
// the caller (a root caller: none, the root user's MFA is the console's).
func (s *Service) ListMFADevices(_ context.Context, caller *directory.Caller, in *sdk.ListMFADevicesInput) (*sdk.ListMFADevicesOutput, error) {
	snap := s.dir.Snapshot()
	owner, err := credTarget(snap, caller, in.UserName, "iam:ListMFADevices", nil, true)
	if err != nil {
		return nil, err
	}
	p, err := paginate(mfaOfUser(snap.AccountIAM(caller.AccountID), owner.ID()), func(d *directory.VirtualMFADevice) string { return d.SerialNumber }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &sdk.ListMFADevicesOutput{MFADevices: []types.MFADevice{}, IsTruncated: p.Truncated, Marker: p.Marker}
	for _, d := range p.Items {
		out.MFADevices = append(out.MFADevices, types.MFADevice{UserName: owner.UserName(), SerialNumber: ptr(d.SerialNumber), EnableDate: ptr(d.EnableDate)})
	}
	return out, nil
}

// GetMFADevice returns an MFA device enabled for the named user, or for
// the caller. AWS documents it for FIDO security keys; virtual devices
// are answered alike, without certifications.
func (s *Service) GetMFADevice(_ context.Context, caller *directory.Caller, in *sdk.GetMFADeviceInput) (*sdk.GetMFADeviceOutput, error) {
	snap := s.dir.Snapshot()
	owner, err := credTarget(snap, caller, in.UserName, "iam:GetMFADevice", nil, true)
	if err != nil {
		return nil, err
	}
	d, err := mfaEnabledFor(snap.AccountIAM(caller.AccountID), owner, deref(in.SerialNumber))
	if err != nil {
		return nil, err
	}
	return &sdk.GetMFADeviceOutput{UserName: owner.UserName(), SerialNumber: ptr(d.SerialNumber), EnableDate: ptr(d.EnableDate)}, nil
}

// TagMFADevice adds or replaces tags on a virtual MFA device.
func (s *Service) TagMFADevice(ctx context.Context, caller *directory.Caller, in *sdk.TagMFADeviceInput) (*sdk.TagMFADeviceOutput, error) {
	return output(&sdk.TagMFADeviceOutput{}, mfaDevices.tag(ctx, s, caller, deref(in.SerialNumber), "iam:TagMFADevice", in.Tags))
}

// UntagMFADevice removes tags from a virtual MFA device.
func (s *Service) UntagMFADevice(ctx context.Context, caller *directory.Caller, in *sdk.UntagMFADeviceInput) (*sdk.UntagMFADeviceOutput, error) {
	return output(&sdk.UntagMFADeviceOutput{}, mfaDevices.untag(ctx, s, caller, deref(in.SerialNumber), "iam:UntagMFADevice", in.TagKeys))
}

// ListMFADeviceTags lists a virtual MFA device's tags.
func (s *Service) ListMFADeviceTags(_ context.Context, caller *directory.Caller, in *sdk.ListMFADeviceTagsInput) (*sdk.ListMFADeviceTagsOutput, error) {
	p, err := mfaDevices.listTags(s.dir.Snapshot(), caller, deref(in.SerialNumber), "iam:ListMFADeviceTags", in.Marker, in.MaxItems)
	return output(&sdk.ListMFADeviceTagsOutput{Tags: p.Items, IsTruncated: p.Truncated, Marker: p.Marker}, err)
}
