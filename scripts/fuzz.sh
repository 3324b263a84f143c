#!/bin/sh
# scripts/fuzz.sh - runs every libFuzzer target of build/fuzz for
# FUZZ_SECONDS each (default 60), from its committed corpus in
# tests/fuzz/corpus/<target>/ (new inputs go to a scratch copy, so the
# committed corpus only changes when someone merges on purpose), and
# prints executions and crashes per target. Exit status 1 when any target
# crashed; its reproducer is left in build/fuzz/artifacts/<target>/ — copy
# it to tests/fuzz/crashes/<target>/ so the test build replays it forever.
#
#   FUZZ_SECONDS=600 scripts/fuzz.sh             every target, 10 min each
#   FUZZ_SECONDS=120 scripts/fuzz.sh jointoken   one target
#   FUZZ_BUILD=build/fuzz  FUZZ_MERGE=1 (merge new inputs into the corpus)
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD:-$root/build/fuzz}
secs=${FUZZ_SECONDS:-60}
corpus_root=$root/tests/fuzz/corpus
out=$build/fuzz-run
mkdir -p "$out"

if [ $# -gt 0 ]; then
	targets="$*"
else
	targets=$(cd "$build/fuzz" 2>/dev/null && ls fuzz_* 2>/dev/null | sed 's/^fuzz_//')
fi
if [ -z "$targets" ]; then
	echo "fuzz: aucune cible dans $build/fuzz (make fuzz construit d'abord) / no target built" >&2
	exit 2
fi

status=0
printf '%-16s %8s %12s %10s %8s %8s\n' target seconds executions exec/s crashes corpus
for t in $targets; do
	bin=$build/fuzz/fuzz_$t
	[ -x "$bin" ] || { echo "fuzz: $bin absent" >&2; status=1; continue; }
	work=$out/$t/corpus
	art=$build/artifacts/$t
	rm -rf "$work"
	mkdir -p "$work" "$art"
	[ -d "$corpus_root/$t" ] && cp "$corpus_root/$t"/* "$work"/ 2>/dev/null
	log=$out/$t/log
	# Extra libFuzzer flags of a target (e.g. -close_fd_mask for a chatty one).
	extra=""
	[ -f "$root/tests/fuzz/$t.opts" ] && extra=$(cat "$root/tests/fuzz/$t.opts")
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
		"$bin" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2048 -max_len=65536 \
		-print_final_stats=1 -artifact_prefix="$art/" $extra "$work" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	crashes=$(ls "$art" 2>/dev/null | grep -c -E '^(crash|leak|timeout|oom)-')
	ncorp=$(ls "$work" | wc -l)
	printf '%-16s %8s %12s %10s %8s %8s\n' "$t" "$secs" "${execs:-?}" "${eps:-?}" "$crashes" "$ncorp"
	if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
		status=1
		echo "  -> $t: exit $rc; log $log; reproducers in $art/" >&2
		grep -m3 -E 'ERROR: |SUMMARY: |fuzz: |harness' "$log" | sed 's/^/     /' >&2
	fi
	if [ "${FUZZ_MERGE:-0}" = 1 ]; then
		mkdir -p "$corpus_root/$t"
		"$bin" -merge=1 "$corpus_root/$t" "$work" >/dev/null 2>&1
	fi
done
exit $status
