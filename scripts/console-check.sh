#!/usr/bin/env bash
# console-check.sh rebuilds the web console from console/ (npm ci, then
# npm run build: a type check and Vite's build into internal/console/dist)
# and fails if the result differs from the committed internal/console/dist:
# the embedded console must be the one its sources build. Vite's output is
# deterministic (content-hashed names, no source maps, no timestamps), so
# a difference means someone changed console/ without rebuilding, or
# edited dist by hand. Fix it with: (cd console && npm ci && npm run build)
# and commit internal/console/dist.
#
# It leaves console/node_modules installed, which the browser tests
# (e2e/console) need. Run it from anywhere in the repository.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dist="internal/console/dist"
cd "${root}"

command -v node >/dev/null || { echo "console-check: node is not installed" >&2; exit 1; }
command -v npm >/dev/null || { echo "console-check: npm is not installed" >&2; exit 1; }
echo "node $(node --version), npm $(npm --version)"

(cd console && npm ci --no-audit --no-fund)
(cd console && npm run build)

# Compare with the committed tree: changed or deleted files, and new
# files git doesn't know yet.
changed="$(git status --porcelain --untracked-files=all -- "${dist}")"
if [[ -n "${changed}" ]]; then
	echo "console-check: ${dist} differs from what console/ builds:" >&2
	echo "${changed}" >&2
	git --no-pager diff --stat -- "${dist}" >&2 || true
	echo "rebuild it (cd console && npm ci && npm run build) and commit ${dist}" >&2
	exit 1
fi
echo "console-check: ${dist} is what console/ builds"
