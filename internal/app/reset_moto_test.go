package app_test

import (
	"context"
	"io"
	"log/slog"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/assumed-dev/assumed/internal/backend"
	"github.com/assumed-dev/assumed/internal/testenv"
)

// rsS3 is an S3 client for cfg in path style (assumed is reached at an IP
// address).
func rsS3(cfg aws.Config) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
}

func rsBuckets(t *testing.T, cfg aws.Config) []string {
	t.Helper()
	out, err := rsS3(cfg).ListBuckets(context.Background(), &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("ListBuckets: %v", err)
	}
	var names []string
	for _, b := range out.Buckets {
		names = append(names, aws.ToString(b.Name))
	}
	return names
}

func rsGet(cfg aws.Config, bucket, key string) (string, error) {
	out, err := rsS3(cfg).GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return "", err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	return string(b), err
}

// The backend on reset: a moto_server that assumed started is emptied
// with it; one started elsewhere keeps its resources, and assumed keeps
// what it knows of them (owner, bucket policy), so access to them is
// decided as before.
func TestResetBackend(t *testing.T) {
	if _, err := exec.LookPath("moto_server"); err != nil {
		t.Skip("SKIPPED: moto_server is not on PATH (pip install 'moto[server]'): the reset of the gateway's backend is not tested")
	}
	ctx := context.Background()
	const policy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::reset-data/*"}]}`
	setUp := func(t *testing.T, env *testenv.Env) {
		t.Helper()
		a := rsS3(env.RootConfig(testenv.AccountA))
		if _, err := a.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("reset-data")}); err != nil {
			t.Fatalf("CreateBucket: %v", err)
		}
		if _, err := a.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("reset-data"), Key: aws.String("k"), Body: strings.NewReader("v")}); err != nil {
			t.Fatalf("PutObject: %v", err)
		}
		if _, err := a.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("reset-data"), Policy: aws.String(policy)}); err != nil {
			t.Fatalf("PutBucketPolicy: %v", err)
		}
		if got, err := rsGet(env.RootConfig(testenv.AccountB), "reset-data", "k"); err != nil || got != "v" {
			t.Fatalf("B reads A's object through the bucket policy: %q %v", got, err)
		}
	}

	t.Run("started by assumed", func(t *testing.T) {
		env := rsStart(t, testenv.Options{Backend: "moto"})
		setUp(t, env)
		rep := rsReset(t, env, rsRoot(env, testenv.AccountA))
		if !strings.HasPrefix(rep.Backend, "reset:") {
			t.Fatalf("reset answer's backend: %q", rep.Backend)
		}
		if got := rsBuckets(t, env.RootConfig(testenv.AccountA)); len(got) != 0 {
			t.Fatalf("A's buckets after the reset: %v", got)
		}
		// B creates the same name afresh: nothing of A's is left.
		b := rsS3(env.RootConfig(testenv.AccountB))
		if _, err := b.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("reset-data")}); err != nil {
			t.Fatalf("CreateBucket by B after the reset: %v", err)
		}
		if got := rsBuckets(t, env.RootConfig(testenv.AccountB)); len(got) != 1 {
			t.Fatalf("B's buckets: %v", got)
		}
		if _, err := rsGet(env.RootConfig(testenv.AccountA), "reset-data", "k"); testenv.ErrorCode(err) != "AccessDenied" {
			t.Fatalf("A reads B's new bucket: %v", err)
		}
	})

	t.Run("started elsewhere", func(t *testing.T) {
		moto, err := backend.Start(ctx, "moto", slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { moto.Close() })
		env := rsStart(t, testenv.Options{Backend: moto.Addr()})
		setUp(t, env)
		rep := rsReset(t, env, rsRoot(env, testenv.AccountA))
		if rep.Backend != "not reset: moto keeps its resources; restart it or use its /moto-api/reset" {
			t.Fatalf("reset answer's backend: %q", rep.Backend)
		}
		if got := rsBuckets(t, env.RootConfig(testenv.AccountA)); len(got) != 1 || got[0] != "reset-data" {
			t.Fatalf("A's buckets after the reset: %v", got)
		}
		if got, err := rsGet(env.RootConfig(testenv.AccountB), "reset-data", "k"); err != nil || got != "v" {
			t.Fatalf("B reads A's object through the bucket policy after the reset: %q %v", got, err)
		}
		env.Restart()
		if got, err := rsGet(env.RootConfig(testenv.AccountB), "reset-data", "k"); err != nil || got != "v" {
			t.Fatalf("after a restart: %q %v", got, err)
		}
	})
}
