package iam_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"image/png"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/skip2/go-qrcode"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// credTOTP is what an authenticator app shows for a base32 seed at a time
// step (RFC 6238: HMAC-SHA1, 30 s, six digits).
func credTOTP(t *testing.T, seed32 string, step int64) string {
	t.Helper()
	seed, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(seed32)
	if err != nil {
		t.Fatalf("seed %q: %v", seed32, err)
	}
	mac := hmac.New(sha1.New, seed)
	_ = binary.Write(mac, binary.BigEndian, step)
	sum := mac.Sum(nil)
	off := sum[19] & 0xf
	return fmt.Sprintf("%06d", (binary.BigEndian.Uint32(sum[off:])&0x7fffffff)%1000000)
}

// credNowStep is the current TOTP time step.
func credNowStep() int64 { return time.Now().Unix() / 30 }

// credMFA creates a virtual MFA device and returns its serial number and
// base32 seed.
func credMFA(t *testing.T, c *iam.Client, name string) (serial, seed string) {
	t.Helper()
	out, err := c.CreateVirtualMFADevice(context.Background(), &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateVirtualMFADevice %s: %v", name, err)
	}
	return aws.ToString(out.VirtualMFADevice.SerialNumber), string(out.VirtualMFADevice.Base32StringSeed)
}

// credEnableMFA enables a device for user with its two latest codes and
// returns the time step of the second.
func credEnableMFA(t *testing.T, c *iam.Client, user, serial, seed string) int64 {
	t.Helper()
	now := credNowStep()
	_, err := c.EnableMFADevice(context.Background(), &iam.EnableMFADeviceInput{UserName: aws.String(user), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(credTOTP(t, seed, now-1)), AuthenticationCode2: aws.String(credTOTP(t, seed, now))})
	if err != nil {
		t.Fatalf("EnableMFADevice %s %s: %v", user, serial, err)
	}
	return now
}

func TestVirtualMFADevices(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	root := env.RootIAM(testenv.AccountA)
	_, kim := usrWithKey(t, env, "kim")
	usrCreate(t, root, "lee")
	kimName := aws.String("kim")
	usrPut(t, root, "kim", "self", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["iam:ListMFADevices","iam:GetMFADevice"],"Resource":"arn:aws:iam::111111111111:user/kim"},
		{"Effect":"Allow","Action":"iam:ListMFADeviceTags","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}}]}`)

	out, err := root.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("kim-phone"), Path: aws.String("/team/"), Tags: entTag})
	if err != nil {
		t.Fatal(err)
	}
	dev := out.VirtualMFADevice
	serial, seed := aws.ToString(dev.SerialNumber), string(dev.Base32StringSeed)
	if serial != "arn:aws:iam::111111111111:mfa/team/kim-phone" || len(seed) != 64 || len(dev.Tags) != 1 || dev.User != nil {
		t.Fatalf("CreateVirtualMFADevice = %+v (seed %q)", dev, seed)
	}
	// The QR code is a PNG of the otpauth URI with the seed.
	if _, err := png.Decode(bytes.NewReader(dev.QRCodePNG)); err != nil {
		t.Fatalf("QRCodePNG: %v", err)
	}
	want, err := qrcode.Encode("otpauth://totp/kim-phone@111111111111?secret="+seed, qrcode.Medium, 256)
	if err != nil || !bytes.Equal(want, dev.QRCodePNG) {
		t.Errorf("QRCodePNG is not the QR code of the otpauth URI (%v)", err)
	}
	credNotStored(t, env, "the MFA seed", seed)

	_, err = root.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("kim-phone"), Path: aws.String("/team/")})
	usrWant(t, "same path and name", err, "EntityAlreadyExists", "MFADevice entity at the same path and name already exists.")
	spare, spareSeed := credMFA(t, root, "spare")

	list := func(status types.AssignmentStatusType) []types.VirtualMFADevice {
		t.Helper()
		l, err := root.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{AssignmentStatus: status})
		if err != nil {
			t.Fatalf("ListVirtualMFADevices %s: %v", status, err)
		}
		return l.VirtualMFADevices
	}
	if l := list(types.AssignmentStatusTypeUnassigned); len(l) != 2 || l[0].Base32StringSeed != nil || l[0].Tags != nil {
		t.Fatalf("unassigned devices = %+v", l)
	}

	now := credNowStep()
	for _, tc := range []struct {
		name, user, serial, code1, code2, code string
	}{
		{"codes in the wrong order", "kim", serial, credTOTP(t, seed, now), credTOTP(t, seed, now-1), "InvalidAuthenticationCode"},
		{"another device's codes", "kim", serial, credTOTP(t, spareSeed, now-1), credTOTP(t, spareSeed, now), "InvalidAuthenticationCode"},
		{"codes from yesterday", "kim", serial, credTOTP(t, seed, now-2880), credTOTP(t, seed, now-2879), "InvalidAuthenticationCode"},
		{"five digits", "kim", serial, "12345", "123456", "ValidationError"},
		{"missing device", "kim", "arn:aws:iam::111111111111:mfa/nope", "123456", "123456", "NoSuchEntity"},
		{"missing user", "nope", serial, credTOTP(t, seed, now-1), credTOTP(t, seed, now), "NoSuchEntity"},
	} {
		_, err := root.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String(tc.user), SerialNumber: aws.String(tc.serial),
			AuthenticationCode1: aws.String(tc.code1), AuthenticationCode2: aws.String(tc.code2)})
		usrWant(t, tc.name, err, tc.code, "")
	}
	enabled := credEnableMFA(t, root, "kim", serial, seed)
	_, err = root.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("lee"), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(credTOTP(t, seed, now+1)), AuthenticationCode2: aws.String(credTOTP(t, seed, now+2))})
	usrWant(t, "a device already in use", err, "EntityAlreadyExists", "")

	assigned := list(types.AssignmentStatusTypeAssigned)
	if len(assigned) != 1 || aws.ToString(assigned[0].SerialNumber) != serial || assigned[0].User == nil ||
		aws.ToString(assigned[0].User.UserName) != "kim" || assigned[0].EnableDate == nil {
		t.Fatalf("assigned devices = %+v", assigned)
	}
	if l := list(""); len(l) != 2 {
		t.Fatalf("all devices = %+v", l)
	}
	// kim sees its own device.
	mine, err := kim.ListMFADevices(ctx, &iam.ListMFADevicesInput{})
	if err != nil || len(mine.MFADevices) != 1 || aws.ToString(mine.MFADevices[0].SerialNumber) != serial || aws.ToString(mine.MFADevices[0].UserName) != "kim" {
		t.Fatalf("kim's ListMFADevices = %+v, %v", mine, err)
	}
	if got, err := kim.GetMFADevice(ctx, &iam.GetMFADeviceInput{SerialNumber: aws.String(serial)}); err != nil || aws.ToString(got.UserName) != "kim" || got.EnableDate == nil {
		t.Fatalf("GetMFADevice = %+v, %v", got, err)
	}
	_, err = root.GetMFADevice(ctx, &iam.GetMFADeviceInput{UserName: aws.String("lee"), SerialNumber: aws.String(serial)})
	usrWant(t, "kim's device for lee", err, "NoSuchEntity", "")
	if l, err := root.ListMFADevices(ctx, &iam.ListMFADevicesInput{}); err != nil || len(l.MFADevices) != 0 {
		t.Fatalf("root's ListMFADevices = %+v, %v", l, err)
	}
	_, err = root.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)})
	usrWant(t, "delete an enabled device", err, "DeleteConflict", "MFA device is still in use.")

	// Tags, and tags as aws:ResourceTag.
	if _, err := root.TagMFADevice(ctx, &iam.TagMFADeviceInput{SerialNumber: aws.String(serial), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.UntagMFADevice(ctx, &iam.UntagMFADeviceInput{SerialNumber: aws.String(serial), TagKeys: []string{"k"}}); err != nil {
		t.Fatal(err)
	}
	if tags, err := kim.ListMFADeviceTags(ctx, &iam.ListMFADeviceTagsInput{SerialNumber: aws.String(serial)}); err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "team" {
		t.Fatalf("ListMFADeviceTags = %+v, %v", tags, err)
	}
	_, err = kim.ListMFADeviceTags(ctx, &iam.ListMFADeviceTagsInput{SerialNumber: aws.String(spare)})
	usrWant(t, "tags of an untagged device", err, "AccessDenied", "")
	_, err = root.ListMFADeviceTags(ctx, &iam.ListMFADeviceTagsInput{SerialNumber: aws.String("arn:aws:iam::111111111111:mfa/nope")})
	usrWant(t, "tags of a missing device", err, "NoSuchEntity", "VirtualMFADevice with serial number arn:aws:iam::111111111111:mfa/nope doesn't exist.")

	// The seed survives a restart: a resync with later codes works, and
	// codes already used are refused.
	env.Restart()
	root = env.RootIAM(testenv.AccountA)
	now = credNowStep()
	_, err = root.ResyncMFADevice(ctx, &iam.ResyncMFADeviceInput{UserName: kimName, SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(credTOTP(t, seed, enabled-1)), AuthenticationCode2: aws.String(credTOTP(t, seed, enabled))})
	usrWant(t, "resync with used codes", err, "InvalidAuthenticationCode", "Authentication code for device is not valid.")
	if _, err := root.ResyncMFADevice(ctx, &iam.ResyncMFADeviceInput{UserName: kimName, SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(credTOTP(t, seed, now+20)), AuthenticationCode2: aws.String(credTOTP(t, seed, now+21))}); err != nil {
		t.Fatalf("ResyncMFADevice of a fast device: %v", err)
	}
	_, err = root.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: aws.String("lee"), SerialNumber: aws.String(serial)})
	usrWant(t, "deactivate kim's device for lee", err, "NoSuchEntity", "")
	if _, err := root.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: kimName, SerialNumber: aws.String(serial)}); err != nil {
		t.Fatal(err)
	}
	if l := list(types.AssignmentStatusTypeAssigned); len(l) != 0 {
		t.Fatalf("assigned after deactivation = %+v", l)
	}
	for _, s := range []string{serial, spare} {
		if _, err := root.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(s)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = root.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)})
	usrWant(t, "delete again", err, "NoSuchEntity", "VirtualMFADevice with serial number "+serial+" doesn't exist.")
	if l := list(types.AssignmentStatusTypeAny); len(l) != 0 {
		t.Fatalf("devices after delete = %+v", l)
	}
}
