#!/usr/bin/env bash
# bench-store.sh — the store benchmark behind BENCHMARKS.md: IAM write
# throughput on each store, SQLite (the data dir's) and PostgreSQL.
#
# It runs the Go benchmark BenchmarkIAMWrites (e2e/crash/bench_test.go):
# for each store, a real `assumed serve` (built by the test) on a new data
# dir and, for PostgreSQL, a new database on a throw-away server that the
# test binary starts itself (internal/store/postgres/pgtest; or the server
# of $ASSUMED_TEST_POSTGRES). 16 clients of the AWS SDK for Go v2 write
# pairs, CreateRole then PutRolePolicy on that role, over loopback, with
# retries off. Each result line gives ns/op (one op is one pair), pairs/s,
# the server's CPU per write (user + system, from /proc/PID/stat) and, for
# PostgreSQL, the database server's (postmaster and backends).
#
# Then the stores alone: BenchmarkApply of each, one Apply of one record
# at a time, as the server's writer issues them.
#
# Usage: scripts/bench-store.sh [--pairs N] [--count N]
#   --pairs N   pairs per run (default 2000)
#   --count N   runs of each benchmark (default 3)
#
# Needs: go, and PostgreSQL's server binaries (initdb, postgres) on PATH or
# under /usr/lib/postgresql/*/bin for the PostgreSQL half (skipped with a
# WARNING without them). Every address it uses is on loopback.

set -euo pipefail

pairs=2000
count=3
usage() { sed -n '/^# Usage:/,/^# Needs/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
	case "$1" in
	--pairs) pairs="$2"; shift 2 ;;
	--count) count="$2"; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench-store: unknown argument $1" >&2; usage >&2; exit 2 ;;
	esac
done

cd "$(dirname "$0")/.."
echo "== $(nproc) CPUs, $(go env GOVERSION), load average: $(cut -d' ' -f1-3 /proc/loadavg); client, server and database share this machine"
echo "== IAM writes through the SDK: ${pairs} pairs a run, 16 clients, ${count} runs a store"
go test ./e2e/crash -run '^$' -bench 'IAMWrites' -benchtime "${pairs}x" -count "$count" -v 2>&1 |
	grep -E '^(Benchmark|WARNING|--- (FAIL|SKIP)|FAIL|ok)|crash_test|bench_test|pgtest'
echo "== the stores alone: one Apply of one record"
go test ./internal/store/sqlite ./internal/store/postgres -run '^$' -bench 'Apply' -benchtime 2s -count "$count" 2>&1 |
	grep -E '^(Benchmark|WARNING|FAIL|ok|pkg)'
