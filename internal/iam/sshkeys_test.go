package iam_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"golang.org/x/crypto/ssh"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// credRSAKey returns a new RSA public key of the given size as an OpenSSH
// line (with a comment) and as PKIX PEM, and its MD5 fingerprint.
func credRSAKey(t *testing.T, bits int) (line, pemBody, fingerprint string) {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ssh.NewPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	line = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))) + " kim@laptop"
	pemBody = strings.TrimSpace(string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})))
	return line, pemBody, ssh.FingerprintLegacyMD5(pub)
}

// credUploadSSH uploads an SSH public key for user, failing the test on
// error.
func credUploadSSH(t *testing.T, c *iam.Client, user, body string) *types.SSHPublicKey {
	t.Helper()
	out, err := c.UploadSSHPublicKey(context.Background(), &iam.UploadSSHPublicKeyInput{UserName: aws.String(user), SSHPublicKeyBody: aws.String(body)})
	if err != nil {
		t.Fatalf("UploadSSHPublicKey: %v", err)
	}
	return out.SSHPublicKey
}

func TestSSHPublicKeys(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	root := env.RootIAM(testenv.AccountA)
	_, kim := usrWithKey(t, env, "kim")
	usrCreate(t, root, "lee")
	usrPut(t, root, "kim", "self", usrAllow("iam:ListSSHPublicKeys", "arn:aws:iam::111111111111:user/kim"))
	kimName := aws.String("kim")

	line, pemBody, fp := credRSAKey(t, 2048)
	k := credUploadSSH(t, root, "kim", line)
	id := aws.ToString(k.SSHPublicKeyId)
	if !strings.HasPrefix(id, "APKA") || len(id) != 20 || aws.ToString(k.Fingerprint) != fp || k.Status != types.StatusTypeActive ||
		aws.ToString(k.UserName) != "kim" || aws.ToString(k.SSHPublicKeyBody) != line || k.UploadDate == nil {
		t.Fatalf("UploadSSHPublicKey = %+v (fingerprint want %s)", k, fp)
	}
	// Both encodings, of the key uploaded as an OpenSSH line.
	get := func(enc types.EncodingType) string {
		t.Helper()
		out, err := root.GetSSHPublicKey(ctx, &iam.GetSSHPublicKeyInput{UserName: kimName, SSHPublicKeyId: aws.String(id), Encoding: enc})
		if err != nil || aws.ToString(out.SSHPublicKey.Fingerprint) != fp {
			t.Fatalf("GetSSHPublicKey %s = %+v, %v", enc, out, err)
		}
		return aws.ToString(out.SSHPublicKey.SSHPublicKeyBody)
	}
	if got := get(types.EncodingTypeSsh); got != line {
		t.Errorf("SSH encoding = %q, want %q", got, line)
	}
	if got := get(types.EncodingTypePem); got != pemBody {
		t.Errorf("PEM encoding = %q, want %q", got, pemBody)
	}
	// A key uploaded as PEM has the same fingerprint as in OpenSSH form.
	line2, pem2, fp2 := credRSAKey(t, 3072)
	k2 := credUploadSSH(t, root, "kim", pem2+"\n")
	if aws.ToString(k2.Fingerprint) != fp2 {
		t.Errorf("PEM upload fingerprint %s, want %s", aws.ToString(k2.Fingerprint), fp2)
	}
	if out, err := root.GetSSHPublicKey(ctx, &iam.GetSSHPublicKeyInput{UserName: kimName, SSHPublicKeyId: k2.SSHPublicKeyId, Encoding: types.EncodingTypeSsh}); err != nil ||
		aws.ToString(out.SSHPublicKey.SSHPublicKeyBody) != strings.TrimSuffix(line2, " kim@laptop") {
		t.Errorf("SSH encoding of a PEM upload = %+v, %v", out, err)
	}

	small, _, _ := credRSAKey(t, 1024)
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edKey, err := ssh.NewPublicKey(edPub)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, body, code string
	}{
		{"the same key again, in the other form", pemBody, "DuplicateSSHPublicKey"},
		{"1024-bit RSA", small, "InvalidPublicKey"},
		{"ed25519", string(ssh.MarshalAuthorizedKey(edKey)), "InvalidPublicKey"},
		{"corrupt base64", "ssh-rsa AAAA!!!notbase64 x", "InvalidPublicKey"},
		{"not a key", "hello world", "UnrecognizedPublicKeyEncoding"},
	} {
		_, err := root.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: kimName, SSHPublicKeyBody: aws.String(tc.body)})
		usrWant(t, tc.name, err, tc.code, "")
	}
	// The same key may belong to another user.
	credUploadSSH(t, root, "lee", line)
	// Five keys per user.
	for range 3 {
		l, _, _ := credRSAKey(t, 2048)
		credUploadSSH(t, root, "kim", l)
	}
	sixth, _, _ := credRSAKey(t, 2048)
	_, err = root.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: kimName, SSHPublicKeyBody: aws.String(sixth)})
	usrWant(t, "sixth key", err, "LimitExceeded", "Cannot exceed quota for SSHPublicKeysPerUser: 5")

	// kim lists its own keys without naming itself; pages by ID.
	list, err := kim.ListSSHPublicKeys(ctx, &iam.ListSSHPublicKeysInput{})
	if err != nil || len(list.SSHPublicKeys) != 5 || aws.ToString(list.SSHPublicKeys[0].UserName) != "kim" {
		t.Fatalf("kim's ListSSHPublicKeys = %+v, %v", list, err)
	}
	page, err := root.ListSSHPublicKeys(ctx, &iam.ListSSHPublicKeysInput{UserName: kimName, MaxItems: aws.Int32(2)})
	if err != nil || len(page.SSHPublicKeys) != 2 || !page.IsTruncated || page.Marker == nil {
		t.Fatalf("ListSSHPublicKeys page = %+v, %v", page, err)
	}
	_, err = kim.ListSSHPublicKeys(ctx, &iam.ListSSHPublicKeysInput{UserName: aws.String("lee")})
	usrWant(t, "kim lists lee's keys", err, "AccessDenied", "")

	if _, err := root.UpdateSSHPublicKey(ctx, &iam.UpdateSSHPublicKeyInput{UserName: kimName, SSHPublicKeyId: aws.String(id), Status: types.StatusTypeInactive}); err != nil {
		t.Fatal(err)
	}
	_, err = root.UpdateSSHPublicKey(ctx, &iam.UpdateSSHPublicKeyInput{UserName: kimName, SSHPublicKeyId: aws.String(id), Status: "Sleepy"})
	usrWant(t, "bad status", err, "ValidationError", "")
	env.Restart()
	root = env.RootIAM(testenv.AccountA)
	if out, err := root.GetSSHPublicKey(ctx, &iam.GetSSHPublicKeyInput{UserName: kimName, SSHPublicKeyId: aws.String(id), Encoding: types.EncodingTypeSsh}); err != nil ||
		out.SSHPublicKey.Status != types.StatusTypeInactive || aws.ToString(out.SSHPublicKey.SSHPublicKeyBody) != line {
		t.Fatalf("after restart = %+v, %v", out, err)
	}
	_, err = root.GetSSHPublicKey(ctx, &iam.GetSSHPublicKeyInput{UserName: aws.String("lee"), SSHPublicKeyId: aws.String(id), Encoding: types.EncodingTypeSsh})
	usrWant(t, "kim's key under lee", err, "NoSuchEntity", "The SSH Public Key with id "+id+" cannot be found.")
	if _, err := root.DeleteSSHPublicKey(ctx, &iam.DeleteSSHPublicKeyInput{UserName: kimName, SSHPublicKeyId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	_, err = root.DeleteSSHPublicKey(ctx, &iam.DeleteSSHPublicKeyInput{UserName: kimName, SSHPublicKeyId: aws.String(id)})
	usrWant(t, "delete again", err, "NoSuchEntity", "The SSH Public Key with id "+id+" cannot be found.")
	if l, err := root.ListSSHPublicKeys(ctx, &iam.ListSSHPublicKeysInput{UserName: kimName}); err != nil || len(l.SSHPublicKeys) != 4 {
		t.Fatalf("after delete = %+v, %v", l, err)
	}
}
