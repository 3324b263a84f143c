#!/bin/sh
# RPC vs gRPC (issue 8): runs the Praxis peer (px_echo) and the gRPC peer
# (grpc_bench) of the same unary Echo call on loopback, one server/client
# pair after the other, then writes the three rows (median, p99,
# throughput) with px_echo report. Builds nothing: `make bench` does.
#
#   bench/grpc/run.sh [BIN_DIR]           the rows (BIN_DIR: build/bin)
#   bench/grpc/run.sh --explore [BIN_DIR] gRPC under several configurations,
#                                         to re-check which one is its best
#
# Knobs (environment): PX_RPC_SECONDS (5), PX_RPC_CALLS (20000),
# PX_RPC_WARMUP (2000), PX_RPC_CALLERS (64); the gRPC configuration:
# GRPC_SERVER_API (async), GRPC_SERVER_THREADS (1), GRPC_CLIENT_API (async),
# GRPC_LAT_API (sync), GRPC_CHANNELS (8), GRPC_CLIENT_THREADS (1);
# PX_ECHO_CLIENTS (8). Every server started here is stopped on exit, even on
# error or Ctrl-C.
set -eu

explore=0
if [ "${1:-}" = "--explore" ]; then
	explore=1
	shift
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/build/bin}
exes="grpc_bench px_echo"
[ $explore -eq 0 ] || exes=grpc_bench
for exe in $exes; do
	if [ ! -x "$bin/$exe" ]; then
		echo "run.sh: $bin/$exe absent; construisez d'abord / build first: make bench" >&2
		exit 1
	fi
done

seconds=${PX_RPC_SECONDS:-5}
calls=${PX_RPC_CALLS:-20000}
warmup=${PX_RPC_WARMUP:-2000}
callers=${PX_RPC_CALLERS:-64}

tmp=$(mktemp -d)
server_pid=""
stop_server() {
	[ -n "$server_pid" ] || return 0
	kill -TERM "$server_pid" 2>/dev/null || true
	i=0
	while kill -0 "$server_pid" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$server_pid" 2>/dev/null || true
	wait "$server_pid" 2>/dev/null || true
	server_pid=""
}
trap 'stop_server; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# start_server NAME CMD...: starts a server, waits for its first stdout line.
start_server() {
	name=$1
	shift
	# Removed first: the background shell may truncate it only after the
	# loop below has read the previous server's port.
	rm -f "$tmp/$name.out" "$tmp/$name.err"
	"$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	server_pid=$!
	i=0
	while ! grep -q . "$tmp/$name.out" 2>/dev/null; do
		if ! kill -0 "$server_pid" 2>/dev/null || [ $i -ge 100 ]; then
			echo "run.sh: le serveur $name n'a pas démarré / server $name did not start:" >&2
			cat "$tmp/$name.err" >&2
			exit 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
}

# grpc_pair OUT [server opts] -- [client opts]
grpc_pair() {
	out=$1
	shift
	sopts=""
	while [ "$1" != "--" ]; do
		sopts="$sopts $1"
		shift
	done
	shift
	# shellcheck disable=SC2086
	start_server grpc "$bin/grpc_bench" server $sopts
	port=$(awk '/^PORT/ {print $2}' "$tmp/grpc.out")
	"$bin/grpc_bench" client --target "127.0.0.1:$port" --warmup "$warmup" --calls "$calls" \
		--callers "$callers" --seconds "$seconds" "$@" >"$out"
	stop_server
}

if [ $explore -eq 1 ]; then
	# Shorter runs, every combination that could be gRPC's best here.
	seconds=${PX_RPC_SECONDS:-2}
	calls=${PX_RPC_CALLS:-5000}
	warmup=${PX_RPC_WARMUP:-500}
	printf '%-34s %-30s %10s %10s %12s\n' server client median_us p99_us calls/s
	for s in "async 1" "async 2" "callback 2" "sync 2"; do
		for c in "async 1 sync 8" "async 2 async 8" "async 1 async 1" "async 2 sync 16" \
			"callback 1 callback 8" "sync 1 sync 8"; do
			set -- $s
			sapi=$1 sth=$2
			set -- $c
			grpc_pair "$tmp/x.json" --api "$sapi" --threads "$sth" -- \
				--api "$1" --threads "$2" --lat-api "$3" --channels "$4"
			printf '%-34s %-30s ' "api=$sapi threads=$sth" \
				"api=$1 thr=$2 lat=$3 ch=$4"
			sed -e 's/.*"lat_median_us":\([0-9.]*\),"lat_p99_us":\([0-9.]*\),.*"tput_calls_per_s":\([0-9.]*\).*/\1 \2 \3/' \
				"$tmp/x.json" | awk '{printf "%10s %10s %12s\n", $1, $2, $3}'
		done
	done
	exit 0
fi

# Praxis: px_rpc over nng, crypto_box on every call.
start_server praxis "$bin/px_echo" server --url tcp://127.0.0.1:0 --contexts "$callers"
url=$(awk '/^URL/ {print $2}' "$tmp/praxis.out")
pk=$(awk '/^PK/ {print $2}' "$tmp/praxis.out")
if [ -z "$url" ] || [ -z "$pk" ]; then
	sleep 0.2
	url=$(awk '/^URL/ {print $2}' "$tmp/praxis.out")
	pk=$(awk '/^PK/ {print $2}' "$tmp/praxis.out")
fi
"$bin/px_echo" client --url "$url" --server-pk "$pk" --warmup "$warmup" --calls "$calls" \
	--callers "$callers" --clients "${PX_ECHO_CLIENTS:-8}" --seconds "$seconds" \
	>"$tmp/praxis.json"
stop_server

# gRPC at its best configuration found with --explore (see docs/BENCHMARKS.md).
grpc_pair "$tmp/grpc.json" --api "${GRPC_SERVER_API:-async}" \
	--threads "${GRPC_SERVER_THREADS:-1}" -- \
	--api "${GRPC_CLIENT_API:-async}" --threads "${GRPC_CLIENT_THREADS:-1}" \
	--lat-api "${GRPC_LAT_API:-sync}" --channels "${GRPC_CHANNELS:-8}"

echo "praxis: $(cat "$tmp/praxis.json")"
echo "grpc:   $(cat "$tmp/grpc.json")"
"$bin/px_echo" report "$tmp/praxis.json" "$tmp/grpc.json"
