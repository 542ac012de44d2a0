package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/assumed-dev/assumed/internal/testenv"
	"github.com/assumed-dev/assumed/internal/world"
)

// gatewayWorld is seed 004's world (B's role bar assumes A's foo_bar,
// which writes into A's DynamoDB table orders), grown for the resource
// gateway's matrix:
//   - foo_bar may also describe and pull from A's ECR repository app, and
//     do anything to A's bucket a-stream (gateway_s3.py's uploads);
//   - bar's own identity policy allows writing to A's table, reading and
//     listing (and putting into) A's bucket a-reports, and describing A's
//     repository app: across accounts each still needs the resource's own
//     policy;
//   - other, a B user allowed dynamodb:*, s3:* and ecr:* by its own
//     account, whom no resource policy names, and whom foo_bar's trust
//     does not name.
const gatewayWorld = `accounts:
  - id: "111111111111"
    name: account-a
    roles:
      - name: foo_bar
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/bar"},"Action":"sts:AssumeRole"}]}'
        policies:
          table: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:PutItem","dynamodb:GetItem"],"Resource":"arn:aws:dynamodb:us-east-1:111111111111:table/orders"}]}'
          ecr: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecr:DescribeRepositories","ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"],"Resource":"arn:aws:ecr:us-east-1:111111111111:repository/app"}]}'
          stream: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::a-stream","arn:aws:s3:::a-stream/*"]}]}'
  - id: "222222222222"
    name: account-b
    users:
      - name: deployer
        access_keys: [{id: AKIADEPLOYER00000001, secret: "deployerSecretDeployerSecretDeployerSe01"}]
        policies:
          assume: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::222222222222:role/bar"}]}'
      - name: other
        access_keys: [{id: AKIAOTHER00000000001, secret: "otherSecretOtherSecretOtherSecretOther01"}]
        policies:
          everything: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","dynamodb:*","s3:*","ecr:*"],"Resource":"*"}]}'
    roles:
      - name: bar
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:user/deployer"},"Action":"sts:AssumeRole"}]}'
        policies:
          assume-a: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::111111111111:role/foo_bar"}]}'
          table: '{"Version":"2012-10-17","Statement":[{"Sid":"TableInA","Effect":"Allow","Action":["dynamodb:PutItem","dynamodb:GetItem"],"Resource":"arn:aws:dynamodb:us-east-1:111111111111:table/orders"}]}'
          reports: '{"Version":"2012-10-17","Statement":[{"Sid":"ReportsInA","Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:ListBucket"],"Resource":["arn:aws:s3:::a-reports","arn:aws:s3:::a-reports/*"]}]}'
          ecr: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecr:DescribeRepositories","Resource":"arn:aws:ecr:us-east-1:111111111111:repository/app"}]}'
`

// gatewayConfig gives each principal of gatewayWorld a profile: the roots
// (account-a, account-b), B's users, bar (assumed by deployer), foo-bar
// (bar's session assuming A's foo_bar) and other-foo-bar (other trying to).
const gatewayConfig = `[profile account-a]
region = us-east-1

[profile account-b]
region = us-east-1

[profile deployer]
region = us-east-1

[profile other]
region = us-east-1

[profile bar]
region = us-east-1
source_profile = deployer
role_arn = arn:aws:iam::222222222222:role/bar
role_session_name = bar-session

[profile foo-bar]
region = us-east-1
source_profile = bar
role_arn = arn:aws:iam::111111111111:role/foo_bar
role_session_name = foo-bar-session

[profile other-foo-bar]
region = us-east-1
source_profile = other
role_arn = arn:aws:iam::111111111111:role/foo_bar
role_session_name = other-session
`

// startGateway starts assumed with gatewayWorld and --backend moto, and
// writes the credentials and config files of gatewayConfig's profiles; it
// returns python3's path, the server and the environment of the scripts.
// It skips, loudly, without moto_server, the AWS CLI or boto3.
func startGateway(t *testing.T) (string, *testenv.Env, []string) {
	t.Helper()
	python := requireClients(t, "import boto3")
	if _, err := exec.LookPath("moto_server"); err != nil {
		fmt.Fprintln(os.Stderr, "WARNING: moto_server is not on PATH (pip install 'moto[server]'): the gateway's CLI and boto3 tests are skipped")
		t.Skip("SKIPPED: moto_server is not on PATH (pip install 'moto[server]')")
	}
	w, err := world.Parse("world.yaml", []byte(gatewayWorld))
	if err != nil {
		t.Fatal(err)
	}
	env := testenv.StartWith(t, testenv.Options{World: w, Backend: "moto"})
	aID, aSecret := env.RootKey(testenv.AccountA)
	bID, bSecret := env.RootKey(testenv.AccountB)
	credentials := fmt.Sprintf(`[account-a]
aws_access_key_id = %s
aws_secret_access_key = %s

[account-b]
aws_access_key_id = %s
aws_secret_access_key = %s

[deployer]
aws_access_key_id = AKIADEPLOYER00000001
aws_secret_access_key = deployerSecretDeployerSecretDeployerSe01

[other]
aws_access_key_id = AKIAOTHER00000000001
aws_secret_access_key = otherSecretOtherSecretOtherSecretOther01
`, aID, aSecret, bID, bSecret)
	dir := t.TempDir()
	credPath, configPath := filepath.Join(dir, "credentials"), filepath.Join(dir, "config")
	if err := os.WriteFile(credPath, []byte(credentials), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(configPath, []byte(gatewayConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	return python, env, []string{"AWS_SHARED_CREDENTIALS_FILE=" + credPath, "AWS_CONFIG_FILE=" + configPath, "SCRATCH=" + t.TempDir()}
}

// TestGatewayMatrixCLIAndBoto3 runs gateway_matrix.py: the resource
// gateway's allow/deny matrix (seed 004 through DynamoDB, an S3 bucket
// policy with an s3:prefix condition and an explicit Deny, ECR with a
// repository policy) through the AWS CLI v1 and boto3, against assumed
// serve --backend moto; refused requests must not reach moto.
func TestGatewayMatrixCLIAndBoto3(t *testing.T) {
	python, env, vars := startGateway(t)
	runScript(t, python, "gateway_matrix.py", env, vars...)
}

// TestGatewayS3StreamingCLIAndBoto3 runs gateway_s3.py: a 64 MiB multipart
// upload with boto3 (plain, UNSIGNED-PAYLOAD and aws-chunked with a CRC
// trailer), hand-signed aws-chunked uploads with chunk signatures (one
// tampered), presigned GET and PUT URLs, and aws s3 cp of 20 MiB both
// ways, through assumed serve --backend moto.
func TestGatewayS3StreamingCLIAndBoto3(t *testing.T) {
	if testing.Short() {
		t.Skip("uploads of 64 MiB and 20 MiB objects: not in -short")
	}
	python, env, vars := startGateway(t)
	runScript(t, python, "gateway_s3.py", env, vars...)
}
