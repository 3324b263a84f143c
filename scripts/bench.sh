#!/bin/sh
# Runs every benchmark and prints the table of build/bench-results.json.
#   scripts/bench.sh [BUILD_DIR]      (default: build; `make bench` builds it)
# Each build/bench/bench_* binary appends its rows to the results file;
# each bench/*/run.sh (e.g. the gRPC comparison) is run with BUILD_DIR/bin.
# Rows that miss their goal are marked MISSED, never hidden. The exit status
# is 0 even when a goal is missed (the table says so); non-zero when a
# benchmark itself fails.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
case "$build" in /*) ;; *) build=$root/$build ;; esac
results=$build/bench-results.json
export PX_BENCH_JSON="$results"

if [ ! -d "$build/bench" ]; then
	echo "bench.sh: $build/bench absent ; construisez d'abord / build first: make bench" >&2
	exit 1
fi
rm -f "$results" "$results.lock"

status=0
for b in "$build"/bench/bench_*; do
	[ -x "$b" ] || continue
	echo "== $(basename "$b")"
	if ! "$b"; then
		echo "bench.sh: $(basename "$b") a échoué / failed" >&2
		status=1
	fi
done
for r in "$root"/bench/*/run.sh; do
	[ -x "$r" ] || continue
	echo "== $(basename "$(dirname "$r")")/run.sh"
	if ! "$r" "$build/bin"; then
		echo "bench.sh: $r a échoué / failed" >&2
		status=1
	fi
done

echo
echo "Machine: $(uname -srm), $(nproc) CPU, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //')"
echo "Résultats / results: $results"
echo
if [ -f "$results" ]; then
	"$build/bin/px_bench_table" "$results" || true
fi
exit $status
