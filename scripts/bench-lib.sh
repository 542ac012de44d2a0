# bench-lib.sh: what the benchmark scripts share; source it after setting
# `name` (for messages), `tmp` (the work dir, whose NAME.log files hold the
# servers' logs) and `out` (where to keep results; may be empty).
#
#   pids+=("$!")      after starting a background server: cleanup stops it
#   free_port         prints a TCP port free on 127.0.0.1 now
#   wait_for N P U    waits until URL U answers 2xx while process P (named
#                     N, logging to $tmp/N.log) lives, or fails with its log

pids=()

# cleanup stops the servers, newest first, keeps the results in $out and
# removes $tmp.
cleanup() {
	local pid i
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		pid="${pids[i]}"
		kill -TERM "$pid" 2>/dev/null || continue
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [[ -n "${out:-}" ]]; then
		mkdir -p "$out"
		cp "$tmp"/*.json "$tmp"/*.log "$tmp"/world.yaml "$tmp"/*.pprof "$out"/ 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_for() {
	local server="$1" pid="$2" url="$3"
	for _ in $(seq 300); do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "$name: $server exited before it was ready; its log:" >&2
			tail -n 20 "$tmp/$server.log" >&2
			exit 1
		fi
		curl --noproxy '*' -fsS -o /dev/null "$url" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "$name: $server did not answer $url within 30s" >&2
	exit 1
}
