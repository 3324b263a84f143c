#!/bin/sh
# RPC vs gRPC (issue 8): the same unary Echo call (echo.proto, 300-byte
# payload) served and called by Praxis (px_echo: px_rpc, protobuf-c over nng
# req/rep, crypto_box on every call) and by C++ gRPC (grpc_bench, plaintext),
# on loopback. Both servers run side by side; the clients take turns, round
# after round, and each side keeps its best round (lowest median and p99,
# highest throughput) so that a burst of load from other processes on this
# shared machine favours neither. Raw nng req/rep (px_echo rawserver/
# rawclient, same payload and shape) is measured in the same rounds, for
# reference. px_echo report then writes the three rows, and two reference
# rows, to build/bench-results.json. Builds nothing: `make bench` does.
#
#   bench/grpc/run.sh [BIN_DIR]           the rows (BIN_DIR: build/bench;
#                                         build/bin is taken to mean it too)
#   bench/grpc/run.sh --explore [BIN_DIR] gRPC alone under several
#                                         configurations, to re-check which
#                                         one is its best (~2.5 min)
#
# Knobs (environment): PX_RPC_ROUNDS (2), PX_RPC_SECONDS (2, per round),
# PX_RPC_CALLS (10000, per round), PX_RPC_WARMUP (1000), PX_RPC_CALLERS
# (64), PX_ECHO_CLIENTS (8 sockets), and GRPC_CONFIGS, the gRPC
# configurations tried in every round, each
#   server_api:server_threads:client_api:client_threads:latency_api:channels[:lat]
# (":lat": the 1-caller latency only), default
#   "callback:2:async:2:async:8 async:1:async:1:async:8 sync:2:async:1:async:1:lat":
# the best three of --explore. The callback server (on gRPC's thread pool)
# keeps its throughput when other processes load the machine, where the
# async server with one completion-queue thread falls; on an idle machine
# both give the same throughput. The 1-caller latency is best with the
# async server or with the sync server, depending on the machine's state.
# gRPC's figures are the best over its configurations and rounds. Every
# server started here is stopped on exit, also on error or Ctrl-C.
set -eu

explore=0
if [ "${1:-}" = "--explore" ]; then
	explore=1
	shift
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/build/bench}
# scripts/bench.sh passes BUILD_DIR/bin; the benchmarks live in BUILD_DIR/bench.
if [ ! -x "$bin/grpc_bench" ] && [ -x "$bin/../bench/grpc_bench" ]; then
	bin=$(cd "$bin/../bench" && pwd)
fi
exes="grpc_bench px_echo"
[ $explore -eq 0 ] || exes=grpc_bench
for exe in $exes; do
	if [ ! -x "$bin/$exe" ]; then
		echo "run.sh: $bin/$exe absent; construisez d'abord / build first: make bench" >&2
		exit 1
	fi
done

rounds=${PX_RPC_ROUNDS:-2}
seconds=${PX_RPC_SECONDS:-2}
calls=${PX_RPC_CALLS:-10000}
warmup=${PX_RPC_WARMUP:-1000}
callers=${PX_RPC_CALLERS:-64}
configs=${GRPC_CONFIGS:-callback:2:async:2:async:8 async:1:async:1:async:8 sync:2:async:1:async:1:lat}

tmp=$(mktemp -d)
pids=""
stop_servers() {
	for p in $pids; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in $pids; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	pids=""
}
trap 'stop_servers; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# start_server NAME CMD...: starts a server in the background and waits
# until it has printed its address (its whole first output).
start_server() {
	name=$1
	shift
	# Removed first: the background shell may truncate it only after the
	# loop below has read a previous server's port.
	rm -f "$tmp/$name.out" "$tmp/$name.err"
	"$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	pid=$!
	pids="$pids $pid"
	i=0
	while ! grep -q '^PORT\|^PK' "$tmp/$name.out" 2>/dev/null; do
		if ! kill -0 "$pid" 2>/dev/null || [ $i -ge 100 ]; then
			echo "run.sh: le serveur $name n'a pas démarré / server $name did not start:" >&2
			cat "$tmp/$name.err" >&2
			exit 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
}

# grpc_client OUT(appended) server_api server_threads client_api client_threads lat_api
#             channels [lat]   ("lat": the 1-caller latency only)
grpc_client() {
	secs=$seconds
	[ "${8:-}" != lat ] || secs=0
	"$bin/grpc_bench" client --target "127.0.0.1:$gport" --warmup "$warmup" --calls "$calls" \
		--callers "$callers" --seconds "$secs" --server-api "$2" --server-threads "$3" \
		--api "$4" --threads "$5" --lat-api "$6" --channels "$7" >>"$1"
}

if [ $explore -eq 1 ]; then
	# gRPC alone, shorter runs, every combination that could be its best.
	seconds=${PX_RPC_SECONDS:-2}
	calls=${PX_RPC_CALLS:-5000}
	warmup=${PX_RPC_WARMUP:-500}
	printf '%-22s %-36s %10s %10s %12s\n' server client median_us p99_us calls/s
	for s in "async 1" "async 2" "callback 1" "callback 2" "sync 2"; do
		set -- $s
		sapi=$1 sth=$2
		start_server grpc "$bin/grpc_bench" server --api "$sapi" --threads "$sth"
		gport=$(awk '/^PORT/ {print $2}' "$tmp/grpc.out")
		for c in "async 1 sync 8" "async 1 async 4" "async 2 async 8" "async 1 sync 1" \
			"callback 1 callback 8" "sync 1 sync 8"; do
			set -- $c
			rm -f "$tmp/x.json"
			grpc_client "$tmp/x.json" "$sapi" "$sth" "$1" "$2" "$3" "$4"
			printf '%-22s %-36s ' "$sapi x$sth" "$1 x$2, lat $3, $4 ch"
			sed -e 's/.*"lat_median_us":\([0-9.]*\),"lat_p99_us":\([0-9.]*\),.*"tput_calls_per_s":\([0-9.]*\).*/\1 \2 \3/' \
				"$tmp/x.json" | awk '{printf "%10s %10s %12s\n", $1, $2, $3}'
		done
		stop_servers
	done
	exit 0
fi

start_server praxis "$bin/px_echo" server --url tcp://127.0.0.1:0 --contexts "$callers"
url=$(awk '/^URL/ {print $2}' "$tmp/praxis.out")
pk=$(awk '/^PK/ {print $2}' "$tmp/praxis.out")
start_server nng "$bin/px_echo" rawserver --url tcp://127.0.0.1:0 --contexts "$callers"
nurl=$(awk '/^URL/ {print $2}' "$tmp/nng.out")
k=0
for c in $configs; do
	# shellcheck disable=SC2086
	set -- $(echo "$c" | tr ':' ' ')
	if [ $# -ne 6 ] && [ $# -ne 7 ]; then
		echo "run.sh: GRPC_CONFIGS: '$c' n'a pas 6 ou 7 champs / has not 6 or 7 fields" >&2
		exit 2
	fi
	start_server "grpc$k" "$bin/grpc_bench" server --api "$1" --threads "$2"
	k=$((k + 1))
done

r=1
while [ $r -le "$rounds" ]; do
	"$bin/px_echo" client --url "$url" --server-pk "$pk" --warmup "$warmup" --calls "$calls" \
		--callers "$callers" --clients "${PX_ECHO_CLIENTS:-8}" --seconds "$seconds" \
		>>"$tmp/praxis.json"
	# The transport alone, same shape, for reference (what bounds Praxis).
	"$bin/px_echo" rawclient --url "$nurl" --warmup "$warmup" --calls "$calls" \
		--callers "$callers" --clients "${PX_ECHO_CLIENTS:-8}" --seconds "$seconds" \
		>>"$tmp/nng.json"
	k=0
	for c in $configs; do
		# shellcheck disable=SC2086
		set -- $(echo "$c" | tr ':' ' ')
		gport=$(awk '/^PORT/ {print $2}' "$tmp/grpc$k.out")
		grpc_client "$tmp/grpc.json" "$1" "$2" "$3" "$4" "$5" "$6" "${7:-}"
		k=$((k + 1))
	done
	r=$((r + 1))
done
stop_servers

sed 's/^/praxis: /' "$tmp/praxis.json"
sed 's/^/grpc:   /' "$tmp/grpc.json"
sed 's/^/nng:    /' "$tmp/nng.json"
"$bin/px_echo" report "$tmp/praxis.json" "$tmp/grpc.json" "$tmp/nng.json"
