#!/usr/bin/env bash
# bench-flood.sh — what unauthenticated traffic costs `assumed serve`: the
# floods of issue 10's security review, measured as the server's resident
# memory (figures in BENCHMARKS.md).
#
# It builds `assumed` and `assumed-flood` (or takes the server binary given
# with --assumed, e.g. an older build to compare), then, each on a fresh
# data dir and a free loopback port:
#   1. 300 connections announce a 1 MiB body under an unknown access key,
#      send 95% of it and hold on;
#   2. the same under the account's real root key (the signature is wrong,
#      but can only be checked once the body is read);
#   3. 5,000 requests with random service and action names, then one
#      metrics scrape.
# Every address it uses is on loopback; its servers are stopped on exit.
#
# Usage: scripts/bench-flood.sh [--assumed PATH] [--connections N] [--requests N]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

assumed_bin="" connections=300 requests=5000
while [[ $# -gt 0 ]]; do
	case "$1" in
	--assumed) assumed_bin="$2"; shift 2 ;;
	--connections) connections="$2"; shift 2 ;;
	--requests) requests="$2"; shift 2 ;;
	*) echo "unknown argument $1" >&2; exit 2 ;;
	esac
done

work="$(mktemp -d)"
pid=""
cleanup() { [[ -n "${pid}" ]] && kill "${pid}" 2>/dev/null; wait 2>/dev/null || true; rm -rf "${work}"; }
trap cleanup EXIT

if [[ -z "${assumed_bin}" ]]; then
	go build -o "${work}/assumed" ./cmd/assumed
	assumed_bin="${work}/assumed"
fi
go build -o "${work}/assumed-flood" ./cmd/assumed-flood

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start DIR: runs a server on a fresh data dir; sets pid and addr.
start() {
	addr="127.0.0.1:$(free_port)"
	"${assumed_bin}" serve --listen "${addr}" --data-dir "${work}/$1" >"${work}/$1.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		curl -fsS "http://${addr}/_assumed/health" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "the server did not start:" >&2; cat "${work}/$1.log" >&2; exit 1
}
stop() { kill "${pid}"; wait "${pid}" 2>/dev/null || true; pid=""; }

echo "== bodies under an unknown access key"
start unknown
"${work}/assumed-flood" --addr "${addr}" --pid "${pid}" --mode body --connections "${connections}"
stop

echo "== bodies under a known access key"
start known
key="$(awk '/aws_access_key_id/ {print $3; exit}' "${work}/known/credentials")"
"${work}/assumed-flood" --addr "${addr}" --pid "${pid}" --mode body --connections "${connections}" --access-key "${key}"
stop

echo "== random service and action names"
start labels
"${work}/assumed-flood" --addr "${addr}" --pid "${pid}" --mode labels --requests "${requests}"
stop
