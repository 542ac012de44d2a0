package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/assumed-dev/assumed/internal/testenv"
	"github.com/assumed-dev/assumed/internal/world"
)

// stsTwoAccounts is docs/cross-account.md's world, plus a partner role in A
// that B's deployer may assume with an external ID. account-a-role may list
// A's roles (and nothing else in IAM). account-a-role and account-b-role
// allow 12-hour sessions, so that a 7200-second request is refused only by
// the one-hour chaining limit. The deployer's own policy allows
// sts:TagSession, so that a tagged AssumeRole of account-b-role is refused
// by its trust alone.
const stsTwoAccounts = `accounts:
  - id: "111111111111"
    name: account-a
    roles:
      - name: account-a-role
        max_session_duration: 43200
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/account-b-role"},"Action":"sts:AssumeRole"}]}'
        policies:
          ecr: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"arn:aws:ecr:us-east-1:111111111111:repository/app","Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]},{"Effect":"Allow","Resource":"*","Action":"ecr:GetAuthorizationToken"}]}'
          list-roles: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*","Action":"iam:ListRoles"}]}'
      - name: partner-role
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:user/deployer"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"partner-123"}}}]}'
  - id: "222222222222"
    name: account-b
    users:
      - name: deployer
        access_keys: [{id: AKIADEPLOYER00000001, secret: "deployerSecretDeployerSecretDeployerSe01"}]
        policies:
          assume: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"],"Resource":["arn:aws:iam::222222222222:role/account-b-role","arn:aws:iam::111111111111:role/partner-role"]}]}'
    roles:
      - name: account-b-role
        max_session_duration: 43200
        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:user/deployer"},"Action":"sts:AssumeRole"}]}'
        policies:
          assume-a: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::111111111111:role/account-a-role"}]}'
`

const stsCredentials = `[deployer]
aws_access_key_id = AKIADEPLOYER00000001
aws_secret_access_key = deployerSecretDeployerSecretDeployerSe01
`

const stsConfig = `[profile deployer]
region = us-east-1

[profile b-role]
region = us-east-1
source_profile = deployer
role_arn = arn:aws:iam::222222222222:role/account-b-role
role_session_name = deploy

[profile b-role-long]
region = us-east-1
source_profile = deployer
role_arn = arn:aws:iam::222222222222:role/account-b-role
role_session_name = deploy-long
duration_seconds = 7200

[profile a-role]
region = us-east-1
source_profile = b-role
role_arn = arn:aws:iam::111111111111:role/account-a-role
role_session_name = pull

[profile a-role-long]
region = us-east-1
source_profile = b-role
role_arn = arn:aws:iam::111111111111:role/account-a-role
role_session_name = pull-long
duration_seconds = 7200

[profile partner]
region = us-east-1
source_profile = deployer
role_arn = arn:aws:iam::111111111111:role/partner-role
external_id = partner-123
role_session_name = partner-session

[profile partner-noid]
region = us-east-1
source_profile = deployer
role_arn = arn:aws:iam::111111111111:role/partner-role
role_session_name = partner-session
`

// TestSTSSharedConfigCLIAndBoto3 runs sts_two_accounts.py: the
// cross-account AssumeRole flows of docs/cross-account.md through the AWS
// CLI v1 and boto3, with credentials from shared-config profiles
// (source_profile, role_arn, external_id, role_session_name,
// duration_seconds).
func TestSTSSharedConfigCLIAndBoto3(t *testing.T) {
	python := requireClients(t, "import boto3")
	w, err := world.Parse("world.yaml", []byte(stsTwoAccounts))
	if err != nil {
		t.Fatal(err)
	}
	env := testenv.Start(t, w)

	dir := t.TempDir()
	credentials, config := filepath.Join(dir, "credentials"), filepath.Join(dir, "config")
	if err := os.WriteFile(credentials, []byte(stsCredentials), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(config, []byte(stsConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	runScript(t, python, "sts_two_accounts.py", env,
		"AWS_SHARED_CREDENTIALS_FILE="+credentials,
		"AWS_CONFIG_FILE="+config,
	)
}
