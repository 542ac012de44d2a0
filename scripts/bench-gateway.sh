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
#   6. prints throughput and p50/p90/p99 of both, the p50 assumed adds (and
#      as a share of moto's), and each server's CPU time per request, read
#      from /proc/PID/stat (utime + stime) before and after each load,
#      warm-up included, next to the issue's targets (added p50 ≤ 10% of
#      moto's; ≤ 100 µs of assumed's CPU per forwarded request).
# Its background processes are stopped on exit, whatever happens. Every
# address it uses is on loopback.
#
# Usage: scripts/bench-gateway.sh [--requests N] [--concurrency N]
#                                 [--duration D] [--warmup N] [--rounds N]
#                                 [--out DIR] [--profile]
#   --requests N     measured requests per load (default 10000)
#   --concurrency N  concurrent clients (default 16)
#   --duration D     time limit of each measured phase (default 60s)
#   --warmup N       unmeasured requests before each load (default 500)
#   --rounds N       moto-then-assumed pairs to run (default 1); the
#                    summary gives each round and the range
#   --out DIR        keep the JSON results, world file and logs in DIR
#   --profile        after the rounds, load assumed again for
#                    PROFILE_SECONDS (default 20) while fetching a CPU
#                    profile from its --pprof endpoint, and print its top
#                    functions (OUT/assumed-cpu.pprof with --out)
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
# load NAME PORT: run the GetItem load at 127.0.0.1:PORT into NAME.json,
# with both servers' CPU time per request in NAME.cpu.
load() {
	local name="$1" port="$2" rc=0 a0 a1 s0 s1 m0 m1 extra=()
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
	load "moto-$round" "$moto_port"
	load "assumed-$round" "$assumed_port"
done

if $profile; then
	echo
	echo "== profile: assumed under the same load for ${profile_seconds}s"
	a0="$(cpu_ticks "$assumed_pid")"
	curl --noproxy '*' -fsS -o "$tmp/assumed-cpu.pprof" \
		"http://127.0.0.1:$assumed_port$pprof_path/profile?seconds=$profile_seconds" &
	profile_pid="$!"
	"$tmp/assumed-load" --target dynamodb-getitem --endpoint "http://127.0.0.1:$assumed_port" \
		--access-key "$key_id" --secret-key "$secret" --region "$region" \
		--table "$table" --key-attribute "$key_attr" --key "$item_key" \
		--concurrency "$concurrency" --requests 100000000 --duration "${profile_seconds}s" --warmup 0 \
		--out-json "$tmp/profile.json" >/dev/null || true
	wait "$profile_pid" || true
	a1="$(cpu_ticks "$assumed_pid")"
	echo "profiled load: $(field profile .requests) requests, $(field profile '.throughput_rps | round') req/s, assumed CPU $(per_request $((a1 - a0)) "$tmp/profile.json" 0) µs per request (/proc, profiling included)"
	if [[ -s "$tmp/assumed-cpu.pprof" ]]; then
		echo "== where assumed's time goes (CPU, top 25 by own time)"
		go tool pprof -top -nodecount 25 "$tmp/assumed" "$tmp/assumed-cpu.pprof" 2>/dev/null || true
		echo "== the same, by cumulative time"
		go tool pprof -top -cum -nodecount 40 "$tmp/assumed" "$tmp/assumed-cpu.pprof" 2>/dev/null || true
	fi
fi


echo
echo "== summary ($(nproc) CPUs, $(go env GOVERSION), moto $moto_version; client and servers share this machine)"
printf '%-6s | %-34s | %-34s | %-20s | %s\n' "" "moto direct" "through assumed" "added p50" "CPU per request"
printf '%-6s | %-34s | %-34s | %-20s | %s\n' round "req/s  p50 / p90 / p99 ms  errors" "req/s  p50 / p90 / p99 ms  errors" "ms (% of moto p50)" "µs: assumed (of it, kernel); moto direct / via"
added_all=() pct_all=() cpu_all=()
for round in $(seq "$rounds"); do
	m="moto-$round" a="assumed-$round"
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

for round in $(seq "$rounds"); do
	for name in "moto-$round" "assumed-$round"; do
		read -r rc _ <"$tmp/$name.cpu"
		if [[ "$rc" != 0 ]]; then
			echo
			echo "$name FAILED (assumed-load exit $rc); errors by code:"
			field "$name" '.errors_by_code | to_entries[] | "  \(.key): \(.value)"'
			field "$name" '.first_errors[0] // empty | "  first: \(.)"'
		fi
	done
done

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
echo
echo "added p50:               $(range "${added_all[@]}") ms, $(range "${pct_all[@]}")% of moto's p50"
echo "target ≤ 10% of moto:    $(verdict 10 "${pct_all[@]}")"
echo "assumed CPU/forwarded:   $(range "${cpu_all[@]}") µs"
echo "target ≤ 100 µs:         $(verdict 100 "${cpu_all[@]}")"
[[ -n "$out" ]] && echo "results, world file and logs: $out"
exit "$status"
