package e2e

import (
	"path/filepath"
	"testing"

	"github.com/assumed-dev/assumed/e2e/kit"
	"github.com/assumed-dev/assumed/internal/testenv"
)

// TestPodIdentityCLIAndBoto3 runs pod_identity.py: EKS Pod Identity
// through the AWS CLI v1, boto3 and `assumed token`. Account A
// (111111111111, account-a) owns cluster prod and role app; account B
// (222222222222, account-b) the target roles of seed 002. The script
// manages associations (create with and without a target role, describe,
// list with filters and pages, update, delete), calls EKS Auth's
// AssumeRoleForPodIdentity with a node user's key through
// `aws eks-auth assume-role-for-pod-identity` and boto3's eks-auth client,
// and checks the sessions and the refusals (a target trust without
// sts:TagSession, no association, a token for another audience, a node
// without eks-auth:AssumeRoleForPodIdentity, a deleted cluster's token);
// with `assumed agent` in the binary, also boto3 and the CLI through the
// node agent (AWS_CONTAINER_CREDENTIALS_FULL_URI).
func TestPodIdentityCLIAndBoto3(t *testing.T) {
	python := requireClients(t, "import boto3; boto3.session.Session().client('eks-auth', region_name='us-east-1')")
	bin := kit.BuildAssumed(t)
	env := testenv.Start(t, nil)
	scratch := t.TempDir()
	runScript(t, python, "pod_identity.py", env,
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(env.DataDir, "credentials"),
		"AWS_CONFIG_FILE="+filepath.Join(scratch, "absent"),
		"ASSUMED_BIN="+bin,
		"PODID_DIR="+scratch,
		// The script starts a node agent (and stops it) to drive the
		// SDKs' container credential provider through it.
		"PODID_AGENT=1",
	)
}
