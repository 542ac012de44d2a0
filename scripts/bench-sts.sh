#!/usr/bin/env bash
# bench-sts.sh — the STS AssumeRole benchmark behind BENCHMARKS.md.
#
# In one run it:
#   1. builds `assumed` and the load generator `assumed-load`;
#   2. writes a world file: account-a (111111111111) with a role `target`
#      whose trust policy allows arn:aws:iam::222222222222:user/caller to
#      sts:AssumeRole with an ExternalId, and account-b (222222222222) with
#      that user, a fixed access key, and an identity policy allowing
#      sts:AssumeRole on the role — a cross-account AssumeRole that both
#      accounts' policies must allow;
#   3. starts `assumed serve` and `moto_server` (which accepts any signature
#      and any role) on free loopback ports and waits until both answer;
#   4. runs assumed-load against each with the same parameters, assumed
#      first, then moto;
#   5. prints both throughputs, the ratio and p50/p90/p99/max latency, next
#      to the issue's targets (≥ 20× moto's throughput, p99 ≤ 5 ms).
# Its background processes are stopped on exit, whatever happens. Every
# address it uses is on loopback.
#
# Usage: scripts/bench-sts.sh [--requests N] [--concurrency N] [--duration D]
#                             [--warmup N] [--out DIR] [--profile]
#                             [--audit-log on|off] [--no-moto]
#   --requests N     measured requests per server (default 20000); moto
#                    usually reaches --duration first
#   --concurrency N  concurrent clients (default 16)
#   --duration D     time limit of each measured phase (default 60s)
#   --warmup N       unmeasured requests first (default 500)
#   --out DIR        keep the JSON results, world file and server logs in DIR
#   --profile        profile the server during its run (see PROFILING below)
#   --audit-log M    on (the server's default: DATA-DIR/audit.log, every
#                    call recorded, twice for this cross-account call) or
#                    off (serve --audit-log off); compare the two runs'
#                    "server CPU/req" for the audit trail's cost
#   --no-moto        run assumed only (no moto_server needed)
#
# Exit status: 0 when both runs succeeded (≤ 1% errors), 1 otherwise. The
# targets are reported, not enforced.
#
# Needs: go, curl, jq, moto_server (pip install 'moto[server]'), python3.
#
# PROFILING. `assumed serve` does not expose pprof yet. Until it does, profile
# the request path's parts with the Go benchmarks and their CPU profiles:
#
#   go test ./internal/creds -run '^$' -bench Verify -cpuprofile /tmp/sigv4.pprof
#   go test ./internal/server/query -run '^$' -bench AssumeRole -cpuprofile /tmp/query.pprof
#   go test ./policy -run '^$' -bench Evaluate -cpuprofile /tmp/policy.pprof
#   go tool pprof -top -nodecount 30 /tmp/sigv4.pprof
#
# (a test binary's profile covers one part; the whole path needs the server.)
# When the server gains net/http/pprof on its loopback listener, at
# ASSUMED_PPROF_PATH (default /debug/pprof), --profile finds it: after the
# measured runs (so that profiling does not change their figures) it loads
# assumed again for PROFILE_SECONDS (default 20) while fetching a CPU
# profile into OUT/assumed-cpu.pprof, and prints its top functions.
# Without the endpoint, --profile prints the commands above.

set -euo pipefail

requests=20000
concurrency=16
duration=60s
warmup=500
out=""
profile=false
audit_log=on
with_moto=true
pprof_path="${ASSUMED_PPROF_PATH:-/_assumed/debug/pprof}"
profile_seconds="${PROFILE_SECONDS:-20}"

usage() { sed -n '/^# Usage:/,/^# Exit status/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
	case "$1" in
	--requests) requests="$2"; shift 2 ;;
	--concurrency) concurrency="$2"; shift 2 ;;
	--duration) duration="$2"; shift 2 ;;
	--warmup) warmup="$2"; shift 2 ;;
	--out) out="$2"; shift 2 ;;
	--profile) profile=true; profile_flag=--pprof; shift ;;
	--audit-log) audit_log="$2"; shift 2 ;;
	--no-moto) with_moto=false; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench-sts: unknown argument $1" >&2; usage >&2; exit 2 ;;
	esac
done

case "$audit_log" in
on) audit_flag=() ;;
off) audit_flag=(--audit-log off) ;;
*) echo "bench-sts: --audit-log $audit_log: want on or off" >&2; exit 2 ;;
esac
tools=(go curl jq python3)
$with_moto && tools+=(moto_server)
for tool in "${tools[@]}"; do
	command -v "$tool" >/dev/null || { echo "bench-sts: $tool is not on PATH" >&2; exit 2; }
done

cd "$(dirname "$0")/.."
tmp="$(mktemp -d -t bench-sts.XXXXXX)"
name=bench-sts
# shellcheck source=scripts/bench-lib.sh
source scripts/bench-lib.sh

echo "== build"
go build -o "$tmp/assumed" ./cmd/assumed
go build -o "$tmp/assumed-load" ./cmd/assumed-load

key_id=AKIABENCHCALLER00001                     # AKIA + 16
secret=benchSecretBenchSecretBenchSecretBench01 # 40 characters
external_id=bench-external-id
role_arn=arn:aws:iam::111111111111:role/target
cat >"$tmp/world.yaml" <<EOF
accounts:
  - id: "111111111111"
    name: account-a
    roles:
      - name: target
        trust:
          Version: "2012-10-17"
          Statement:
            - Effect: Allow
              Principal: {AWS: "arn:aws:iam::222222222222:user/caller"}
              Action: "sts:AssumeRole"
              Condition: {StringEquals: {"sts:ExternalId": "$external_id"}}
  - id: "222222222222"
    name: account-b
    users:
      - name: caller
        access_keys:
          - {id: $key_id, secret: "$secret"}
        policies:
          assume:
            Version: "2012-10-17"
            Statement:
              - {Effect: Allow, Action: "sts:AssumeRole", Resource: "$role_arn"}
EOF

echo "== start servers"
assumed_port="$(free_port)"
"$tmp/assumed" serve ${profile_flag:-} "${audit_flag[@]}" --listen "127.0.0.1:$assumed_port" --data-dir "$tmp/data" --config "$tmp/world.yaml" >"$tmp/assumed.log" 2>&1 &
pids+=("$!")
wait_for assumed "$!" "http://127.0.0.1:$assumed_port/_assumed/health"

if $with_moto; then
	moto_port="$(free_port)"
	moto_server -H 127.0.0.1 -p "$moto_port" >"$tmp/moto.log" 2>&1 &
	pids+=("$!")
	# moto answers any path; /moto-api/ is its own dashboard API.
	wait_for moto "$!" "http://127.0.0.1:$moto_port/moto-api/"
	moto_version="$(python3 -c 'import moto; print(moto.__version__)' 2>/dev/null || echo '?')"
	echo "assumed (audit log $audit_log) on 127.0.0.1:$assumed_port, moto $moto_version on 127.0.0.1:$moto_port"
else
	echo "assumed (audit log $audit_log) on 127.0.0.1:$assumed_port; moto skipped (--no-moto)"
fi

# cpu_ticks PID: the process's user + system CPU time so far, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# load NAME PORT PID: run assumed-load; its exit status is kept in
# rc_NAME, and the server's CPU time per request (warm-up included, from
# the process's own accounting) in cpu_NAME, in milliseconds.
load() {
	local name="$1" port="$2" pid="$3" rc=0 before after
	echo
	echo "== $name: $requests requests (max $duration), concurrency $concurrency, warm-up $warmup"
	before="$(cpu_ticks "$pid")"
	"$tmp/assumed-load" --endpoint "http://127.0.0.1:$port" \
		--access-key "$key_id" --secret-key "$secret" \
		--role-arn "$role_arn" --external-id "$external_id" --session-name-prefix "bench-$name" \
		--concurrency "$concurrency" --requests "$requests" --duration "$duration" --warmup "$warmup" \
		--out-json "$tmp/$name.json" || rc=$?
	after="$(cpu_ticks "$pid")"
	printf -v "rc_$name" '%d' "$rc"
	if [[ -s "$tmp/$name.json" ]]; then
		printf -v "cpu_$name" '%s' "$(jq -r --argjson t "$((after - before))" --argjson hz "$(getconf CLK_TCK)" --argjson w "$warmup" \
			'$t / $hz * 1000 / (.requests + $w) * 1000 | round / 1000' "$tmp/$name.json")"
	else
		printf -v "cpu_$name" '%s' "-"
	fi
}

load assumed "$assumed_port" "${pids[0]}"
rc_moto=0 cpu_moto=-
if $with_moto; then
	load moto "$moto_port" "${pids[1]}"
fi

if $profile; then
	if curl --noproxy '*' -fsS -o /dev/null "http://127.0.0.1:$assumed_port$pprof_path/" 2>/dev/null; then
		echo
		echo "== profile: assumed under the same load for ${profile_seconds}s"
		curl --noproxy '*' -fsS -o "$tmp/assumed-cpu.pprof" \
			"http://127.0.0.1:$assumed_port$pprof_path/profile?seconds=$profile_seconds" &
		profile_pid="$!"
		pids+=("$profile_pid")
		"$tmp/assumed-load" --endpoint "http://127.0.0.1:$assumed_port" \
			--access-key "$key_id" --secret-key "$secret" \
			--role-arn "$role_arn" --external-id "$external_id" --session-name-prefix bench-profile \
			--concurrency "$concurrency" --requests 100000000 --duration "${profile_seconds}s" --warmup 0 >/dev/null || true
		wait "$profile_pid" || true
		if [[ -s "$tmp/assumed-cpu.pprof" ]]; then
			echo "== where assumed's time goes (CPU, top 25)"
			go tool pprof -top -nodecount 25 "$tmp/assumed" "$tmp/assumed-cpu.pprof" 2>/dev/null || true
		fi
	else
		echo
		echo "bench-sts: assumed serves no pprof at $pprof_path yet; profile its parts instead:"
		sed -n '/^#   go test/,/^#   go tool pprof/p' "$0" | sed 's/^#//'
	fi
fi

# field NAME JQ: one figure from a run's JSON, or "-" when the run wrote none.
field() { [[ -s "$tmp/$1.json" ]] && jq -r "$2" "$tmp/$1.json" || echo "-"; }
row() { printf '%-22s %16s %16s\n' "$1" "$(field assumed "$2")" "$(field moto "$2")"; }

echo
echo "== summary ($(nproc) CPUs, $(go env GOVERSION); client and servers share this machine)"
printf '%-22s %16s %16s\n' "" assumed moto
row "requests (ok)" '"\(.requests) (\(.ok))"'
row "errors" '.errors'
row "throughput (req/s)" '.throughput_rps | . * 10 | round / 10'
# Latencies are of successful requests: none when all failed.
for q in p50 p90 p99 max; do
	row "$q latency (ms)" "if .ok == 0 then \"-\" else .${q}_ms * 1000 | round / 1000 end"
done
printf '%-22s %16s %16s\n' "server CPU/req (ms)" "$cpu_assumed" "$cpu_moto"

status=0
for name in assumed moto; do
	rc_var="rc_$name"
	if [[ "${!rc_var}" != 0 ]]; then
		status=1
		echo
		echo "$name FAILED (assumed-load exit ${!rc_var}); errors by code:"
		field "$name" '.errors_by_code | to_entries[] | "  \(.key): \(.value)"'
		field "$name" '.first_errors[0] // empty | "  first: \(.)"'
	fi
done

if [[ "$status" == 0 ]] && ! $with_moto; then
	echo
	echo "ratio assumed/moto:    n/a (--no-moto)"
elif [[ "$status" == 0 ]]; then
	a_rps="$(field assumed .throughput_rps)" m_rps="$(field moto .throughput_rps)" a_p99="$(field assumed .p99_ms)"
	echo
	jq -nr --argjson a "$a_rps" --argjson m "$m_rps" --argjson p "$a_p99" '
		($a / $m) as $r
		| "ratio assumed/moto:    \($r * 10 | round / 10)×",
		  "target ≥ 20× moto:     \(if $r >= 20 then "met" else "NOT met" end)",
		  "target p99 ≤ 5 ms:     \(if $p <= 5 then "met" else "NOT met" end) (\($p * 1000 | round / 1000) ms)"'
else
	echo
	echo "ratio assumed/moto:    n/a (a run failed)"
fi
[[ -n "$out" ]] && echo "results, world file and logs: $out"
exit "$status"
