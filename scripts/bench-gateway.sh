#!/usr/bin/env bash
# bench-gateway.sh — the resource gateway benchmark behind BENCHMARKS.md.
#
# In one run it:
#   1. builds `assumed` and the load generator `assumed-load`;
#   2. writes a world file: one account (111111111111) with a user `reader`,
#      a fixed access key, and an identity policy allowing
#      dynamodb:GetItem, PutItem and CreateTable on the table `bench`;
#   3. starts `moto_server` on a free loopback port, then
#      `assumed serve --backend http://127.0.0.1:MOTO_PORT` on another, and
#      waits until both answer;
#   4. creates the table and one item through assumed (boto3);
#   5. for each round, runs the same DynamoDB GetItem load (assumed-load
#      --target dynamodb-getitem: aws-sdk-go-v2 clients, one connection
#      each, retries off) (a) directly against moto, which is told the
#      account with its x-moto-account-id header, and (b) through assumed,
#      which verifies the signature, maps GetItem to dynamodb:GetItem on the
#      table's ARN, evaluates the user's policies, re-signs and forwards;
#   6. with --stub, also starts scripts/stub-backend (a Go HTTP/1.1 server
#      that keeps its connections alive and answers every GetItem with the
#      same item, checking nothing) on a free loopback port and a second
#      `assumed serve --backend http://127.0.0.1:STUB_PORT` (own data dir,
#      same world file), and in each round, after the moto pair, runs the
#      same load (c) directly against the stub (signed with the same key,
#      which the stub does not check) and (d) through that second assumed:
#      this shows the forwarding path's own cost, without moto's
#      `Connection: close` and its low rate;
#   7. prints throughput and p50/p90/p99 of both, the p50 assumed adds (and
#      as a share of moto's), and each server's CPU time per request, read
#      from /proc/PID/stat (utime + stime) before and after each load,
#      warm-up included, next to the issue's targets (added p50 ≤ 10% of
#      moto's; ≤ 100 µs of assumed's CPU per forwarded request); with
#      --stub, a second table gives the same figures for the stub.
# Its background processes are stopped on exit, whatever happens. Every
# address it uses is on loopback.
#
# Usage: scripts/bench-gateway.sh [--requests N] [--concurrency N]
#                                 [--duration D] [--warmup N] [--rounds N]
#                                 [--out DIR] [--stub] [--profile]
#   --requests N     measured requests per load (default 10000)
#   --concurrency N  concurrent clients (default 16)
#   --duration D     time limit of each measured phase (default 60s)
#   --warmup N       unmeasured requests before each load (default 500)
#   --rounds N       moto-then-assumed pairs to run (default 1), each
#                    followed by a stub-then-assumed pair with --stub; the
#                    summary gives each round and the range
#   --out DIR        keep the JSON results, world file and logs in DIR
#   --stub           also run each round against the stub backend, directly
#                    and through a second assumed (step 6), and report them
#                    in a second table
#   --profile        after the rounds, load assumed again for
#                    PROFILE_SECONDS (default 20) while fetching a CPU
#                    profile from its --pprof endpoint, and print its top
#                    functions (OUT/assumed-cpu.pprof with --out); with
#                    --stub, then the same for the assumed in front of the
#                    stub (OUT/assumed-stub-cpu.pprof)
#
# Exit status: 0 when every load succeeded (≤ 1% errors), 1 otherwise. The
# targets are reported, not enforced.
#
# Needs: go, curl, jq, python3 with boto3, moto_server
# (pip install 'moto[server]', which brings boto3).

set -euo pipefail

requests=10000
concurrency=16
duration=60s
warmup=500
rounds=1
out=""
profile=false
stub=false
profile_seconds="${PROFILE_SECONDS:-20}"
pprof_path=/_assumed/debug/pprof

usage() { sed -n '/^# Usage:/,/^# Exit status/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
	case "$1" in
	--requests) requests="$2"; shift 2 ;;
	--concurrency) concurrency="$2"; shift 2 ;;
	--duration) duration="$2"; shift 2 ;;
	--warmup) warmup="$2"; shift 2 ;;
	--rounds) rounds="$2"; shift 2 ;;
	--out) out="$2"; shift 2 ;;
	--stub) stub=true; shift ;;
	--profile) profile=true; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench-gateway: unknown argument $1" >&2; usage >&2; exit 2 ;;
	esac
done
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "bench-gateway: --rounds must be a positive integer" >&2; exit 2; }

for tool in go curl jq python3 moto_server; do
	command -v "$tool" >/dev/null || { echo "bench-gateway: $tool is not on PATH" >&2; exit 2; }
done
python3 -c 'import boto3' 2>/dev/null || { echo "bench-gateway: python3 has no boto3 (pip install 'moto[server]')" >&2; exit 2; }

cd "$(dirname "$0")/.."
tmp="$(mktemp -d -t bench-gateway.XXXXXX)"
name=bench-gateway
# shellcheck source=scripts/bench-lib.sh
source scripts/bench-lib.sh

echo "== build"
go build -o "$tmp/assumed" ./cmd/assumed
go build -o "$tmp/assumed-load" ./cmd/assumed-load
if $stub; then go build -o "$tmp/stub-backend" ./scripts/stub-backend; fi

account=111111111111
key_id=AKIABENCHREADER00001                     # AKIA + 16
secret=benchSecretBenchSecretBenchSecretBench02 # 40 characters
region=us-east-1
table=bench
key_attr=id
item_key=item-1
cat >"$tmp/world.yaml" <<EOF
accounts:
  - id: "$account"
    name: bench
    users:
      - name: reader
        access_keys:
          - {id: $key_id, secret: "$secret"}
        policies:
          table:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:CreateTable"]
                Resource: "arn:aws:dynamodb:$region:$account:table/$table"
EOF

echo "== start servers"
moto_port="$(free_port)"
# MOTO_ACCOUNT_ID would override the account assumed names; MOTO_PORT the
# port moto builds URLs with.
env -u MOTO_ACCOUNT_ID -u MOTO_PORT moto_server -H 127.0.0.1 -p "$moto_port" >"$tmp/moto.log" 2>&1 &
pids+=("$!")
moto_pid="$!"
wait_for moto "$moto_pid" "http://127.0.0.1:$moto_port/moto-api/"

assumed_port="$(free_port)"
"$tmp/assumed" serve --pprof --listen "127.0.0.1:$assumed_port" --data-dir "$tmp/data" --config "$tmp/world.yaml" \
	--backend "http://127.0.0.1:$moto_port" >"$tmp/assumed.log" 2>&1 &
pids+=("$!")
assumed_pid="$!"
wait_for assumed "$assumed_pid" "http://127.0.0.1:$assumed_port/_assumed/health"
moto_version="$(python3 -c 'import moto; print(moto.__version__)' 2>/dev/null || echo '?')"
echo "assumed on 127.0.0.1:$assumed_port (pid $assumed_pid), moto $moto_version on 127.0.0.1:$moto_port (pid $moto_pid)"

if $stub; then
	stub_port="$(free_port)"
	"$tmp/stub-backend" --listen "127.0.0.1:$stub_port" --key-attribute "$key_attr" --key "$item_key" >"$tmp/stub.log" 2>&1 &
	pids+=("$!")
	stub_pid="$!"
	# The stub answers 404 to GETs; it prints its address once it listens.
	for _ in $(seq 300); do
		kill -0 "$stub_pid" 2>/dev/null || { echo "$name: the stub exited; its log:" >&2; tail -n 20 "$tmp/stub.log" >&2; exit 1; }
		[[ "$(head -n 1 "$tmp/stub.log")" == "127.0.0.1:$stub_port" ]] && break
		sleep 0.1
	done
	[[ "$(head -n 1 "$tmp/stub.log")" == "127.0.0.1:$stub_port" ]] || { echo "$name: the stub did not listen within 30s" >&2; exit 1; }

	assumed_stub_port="$(free_port)"
	"$tmp/assumed" serve --pprof --listen "127.0.0.1:$assumed_stub_port" --data-dir "$tmp/data-stub" --config "$tmp/world.yaml" \
		--backend "http://127.0.0.1:$stub_port" >"$tmp/assumed-stub.log" 2>&1 &
	pids+=("$!")
	assumed_stub_pid="$!"
	wait_for assumed-stub "$assumed_stub_pid" "http://127.0.0.1:$assumed_stub_port/_assumed/health"
	echo "assumed-stub (the second assumed) on 127.0.0.1:$assumed_stub_port (pid $assumed_stub_pid), stub backend on 127.0.0.1:$stub_port (pid $stub_pid)"
fi

echo "== create the table and its item through assumed"
NO_PROXY='*' no_proxy='*' AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
	python3 - "http://127.0.0.1:$assumed_port" "$key_id" "$secret" "$region" "$table" "$key_attr" "$item_key" <<'PY'
import sys
import boto3
from botocore.config import Config

endpoint, key_id, secret, region, table, attr, key = sys.argv[1:]
ddb = boto3.client("dynamodb", endpoint_url=endpoint, region_name=region,
                   aws_access_key_id=key_id, aws_secret_access_key=secret,
                   config=Config(retries={"max_attempts": 1}, proxies={}))
ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                 AttributeDefinitions=[{"AttributeName": attr, "AttributeType": "S"}],
                 KeySchema=[{"AttributeName": attr, "KeyType": "HASH"}])
ddb.put_item(TableName=table, Item={attr: {"S": key}, "payload": {"S": "x" * 100}, "n": {"N": "42"}})
item = ddb.get_item(TableName=table, Key={attr: {"S": key}}).get("Item")
assert item and item[attr]["S"] == key, item
print(f"table {table} and item {key} created through assumed at {endpoint}")
PY

# cpu_ticks PID: the process's user + system CPU time so far, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# sys_ticks PID: the system part alone.
sys_ticks() { awk '{print $15}' "/proc/$1/stat"; }
hz="$(getconf CLK_TCK)"

# per_request TICKS FILE [WARMUP]: CPU microseconds per request of a load
# whose results are in FILE (measured requests and warm-up).
per_request() {
	if [[ -s "$2" ]]; then
		jq -r --argjson t "$1" --argjson hz "$hz" --argjson w "${3:-$warmup}" \
			'$t / $hz * 1000000 / (.requests + $w) | round' "$2"
	else
		echo "-"
	fi
}

# field NAME JQ: one figure from a load's JSON, or "-" when it wrote none.
field() { [[ -s "$tmp/$1.json" ]] && jq -r "$2" "$tmp/$1.json" || echo "-"; }
lat() { field "$1" "if .ok == 0 then \"-\" else .$2_ms * 1000 | round / 1000 end"; }

status=0
# load NAME PORT ASSUMED_PID BACKEND_PID: run the GetItem load at
# 127.0.0.1:PORT into NAME.json, with both servers' CPU time per request in
# NAME.cpu.
load() {
	local name="$1" port="$2" assumed_pid="$3" moto_pid="$4" rc=0 a0 a1 s0 s1 m0 m1 extra=()
	[[ "$name" == moto-* ]] && extra=(--header "x-moto-account-id: $account")
	echo
	echo "== $name: $requests GetItem requests (max $duration), concurrency $concurrency, warm-up $warmup"
	a0="$(cpu_ticks "$assumed_pid")" s0="$(sys_ticks "$assumed_pid")" m0="$(cpu_ticks "$moto_pid")"
	"$tmp/assumed-load" --target dynamodb-getitem --endpoint "http://127.0.0.1:$port" \
		--access-key "$key_id" --secret-key "$secret" --region "$region" \
		--table "$table" --key-attribute "$key_attr" --key "$item_key" "${extra[@]}" \
		--concurrency "$concurrency" --requests "$requests" --duration "$duration" --warmup "$warmup" \
		--out-json "$tmp/$name.json" || rc=$?
	a1="$(cpu_ticks "$assumed_pid")" s1="$(sys_ticks "$assumed_pid")" m1="$(cpu_ticks "$moto_pid")"
	[[ "$rc" == 0 ]] || status=1
	printf '%s %s %s %s\n' "$rc" "$(per_request $((a1 - a0)) "$tmp/$name.json")" "$(per_request $((m1 - m0)) "$tmp/$name.json")" \
		"$(per_request $((s1 - s0)) "$tmp/$name.json")" >"$tmp/$name.cpu"
}

for round in $(seq "$rounds"); do
	load "moto-$round" "$moto_port" "$assumed_pid" "$moto_pid"
	load "assumed-$round" "$assumed_port" "$assumed_pid" "$moto_pid"
	if $stub; then
		load "stub-$round" "$stub_port" "$assumed_stub_pid" "$stub_pid"
		load "assumed-stub-$round" "$assumed_stub_port" "$assumed_stub_pid" "$stub_pid"
	fi
done

# run_profile NAME PID PORT JSON: load the assumed NAME at PORT (process
# PID) for PROFILE_SECONDS, its results in JSON.json, while fetching a CPU
# profile into NAME-cpu.pprof, then print its top functions.
run_profile() {
	local what="$1" assumed_pid="$2" assumed_port="$3" json="$4" a0 a1 profile_pid
	local file="$what-cpu.pprof"
	echo
	echo "== profile: $what under the same load for ${profile_seconds}s"
	a0="$(cpu_ticks "$assumed_pid")"
	curl --noproxy '*' -fsS -o "$tmp/$file" \
		"http://127.0.0.1:$assumed_port$pprof_path/profile?seconds=$profile_seconds" &
	profile_pid="$!"
	"$tmp/assumed-load" --target dynamodb-getitem --endpoint "http://127.0.0.1:$assumed_port" \
		--access-key "$key_id" --secret-key "$secret" --region "$region" \
		--table "$table" --key-attribute "$key_attr" --key "$item_key" \
		--concurrency "$concurrency" --requests 100000000 --duration "${profile_seconds}s" --warmup 0 \
		--out-json "$tmp/$json.json" >/dev/null || true
	wait "$profile_pid" || true
	a1="$(cpu_ticks "$assumed_pid")"
	echo "profiled load: $(field "$json" .requests) requests, $(field "$json" '.throughput_rps | round') req/s, $what CPU $(per_request $((a1 - a0)) "$tmp/$json.json" 0) µs per request (/proc, profiling included)"
	if [[ -s "$tmp/$file" ]]; then
		echo "== where $what's time goes (CPU, top 25 by own time)"
		go tool pprof -top -nodecount 25 "$tmp/assumed" "$tmp/$file" 2>/dev/null || true
		echo "== the same, by cumulative time"
		go tool pprof -top -cum -nodecount 40 "$tmp/assumed" "$tmp/$file" 2>/dev/null || true
	fi
}

if $profile; then
	run_profile assumed "$assumed_pid" "$assumed_port" profile
	if $stub; then
		run_profile assumed-stub "$assumed_stub_pid" "$assumed_stub_port" profile-stub
	fi
fi

echo
echo "== summary ($(nproc) CPUs, $(go env GOVERSION), moto $moto_version; client and servers share this machine)"
# table BACKEND DIRECT VIA: the table of the rounds' loads DIRECT-R (to
# BACKEND directly) and VIA-R (through assumed), collecting the added p50s,
# their shares and assumed's CPU per request in added_all, pct_all, cpu_all.
table() {
	local backend="$1" round m a m_cpu_direct m_cpu_via a_cpu a_sys m_p50 a_p50 added pct a_us
	printf '%-6s | %-34s | %-34s | %-20s | %s\n' "" "$backend direct" "through assumed" "added p50" "CPU per request"
	printf '%-6s | %-34s | %-34s | %-20s | %s\n' round "req/s  p50 / p90 / p99 ms  errors" "req/s  p50 / p90 / p99 ms  errors" "ms (% of $backend p50)" "µs: assumed (of it, kernel); $backend direct / via"
	added_all=() pct_all=() cpu_all=()
	for round in $(seq "$rounds"); do
		m="$2-$round" a="$3-$round"
		read -r _ _ m_cpu_direct _ <"$tmp/$m.cpu"
		read -r _ a_cpu m_cpu_via a_sys <"$tmp/$a.cpu"
		m_p50="$(lat "$m" p50)" a_p50="$(lat "$a" p50)"
		added="-" pct="-" a_us="-"
		if [[ "$m_p50" != - && "$a_p50" != - ]]; then
			added="$(jq -nr --argjson a "$a_p50" --argjson m "$m_p50" '($a - $m) * 1000 | round / 1000')"
			pct="$(jq -nr --argjson a "$a_p50" --argjson m "$m_p50" '($a - $m) / $m * 1000 | round / 10')"
			added_all+=("$added") pct_all+=("$pct")
		fi
		if [[ "$a_cpu" != - ]]; then
			a_us="$a_cpu ($a_sys sys)"
			cpu_all+=("$a_cpu")
		fi
		printf '%-6s | %-34s | %-34s | %-20s | %s\n' "$round" \
			"$(field "$m" '.throughput_rps | round')  $m_p50 / $(lat "$m" p90) / $(lat "$m" p99)  $(field "$m" .errors)" \
			"$(field "$a" '.throughput_rps | round')  $a_p50 / $(lat "$a" p90) / $(lat "$a" p99)  $(field "$a" .errors)" \
			"$added ($pct%)" "$a_us; $m_cpu_direct / $m_cpu_via"
	done
}

# failures NAME…: the errors of each round's load NAME-R that failed.
failures() {
	local round name rc
	for round in $(seq "$rounds"); do
		for name in "$@"; do
			name="$name-$round"
			read -r rc _ <"$tmp/$name.cpu"
			if [[ "$rc" != 0 ]]; then
				echo
				echo "$name FAILED (assumed-load exit $rc); errors by code:"
				field "$name" '.errors_by_code | to_entries[] | "  \(.key): \(.value)"'
				field "$name" '.first_errors[0] // empty | "  first: \(.)"'
			fi
		done
	done
}

# range VALUES…: "min–max" of numbers, or "-" when there are none.
range() {
	[[ $# -gt 0 ]] || { echo "-"; return; }
	printf '%s\n' "$@" | jq -sr 'if min == max then "\(min)" else "\(min)–\(max)" end'
}
# verdict LIMIT VALUES…: whether every value, some or none are ≤ LIMIT.
verdict() {
	local limit="$1"; shift
	[[ $# -gt 0 ]] || { echo "n/a (no successful load)"; return; }
	printf '%s\n' "$@" | jq -sr --argjson l "$limit" \
		'if max <= $l then "met" elif min <= $l then "met in \(map(select(. <= $l)) | length) of \(length) rounds" else "NOT met" end'
}

table moto moto assumed
failures moto assumed
echo
echo "added p50:               $(range "${added_all[@]}") ms, $(range "${pct_all[@]}")% of moto's p50"
echo "target ≤ 10% of moto:    $(verdict 10 "${pct_all[@]}")"
echo "assumed CPU/forwarded:   $(range "${cpu_all[@]}") µs"
echo "target ≤ 100 µs:         $(verdict 100 "${cpu_all[@]}")"

if $stub; then
	echo
	echo "-- the same load against the stub backend (keep-alive, answers at once), directly and through assumed-stub"
	table stub stub assumed-stub
	failures stub assumed-stub
	echo
	echo "added p50:               $(range "${added_all[@]}") ms, $(range "${pct_all[@]}")% of the stub's p50"
	echo "assumed CPU/forwarded:   $(range "${cpu_all[@]}") µs"
	echo "target ≤ 100 µs:         $(verdict 100 "${cpu_all[@]}")"
fi
[[ -n "$out" ]] && echo "results, world file and logs: $out"
exit "$status"
