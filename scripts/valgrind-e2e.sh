#!/bin/sh
# scripts/valgrind-e2e.sh - valgrind memcheck over the end-to-end demo
# (scripts/demo.sh: one hub, four nodes, enrollment, data, audit, sync,
# report, dashboard). Every praxis-hub, praxis-node and praxis-demo-gen
# process the demo starts runs under memcheck, from a build without
# sanitizers (build/valgrind, Debug). Prints, per program, the processes,
# errors, invalid reads/writes and definitely lost bytes; exits 1 when any
# process has an invalid read or write, another memcheck error, or a
# definite leak.
#
#   scripts/valgrind-e2e.sh              (make test-long runs it too)
#   scripts/valgrind-e2e.sh --summary    only the table, from the last run's logs
#   VALGRIND_BUILD=build/valgrind JOBS=2
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${VALGRIND_BUILD:-$ROOT/build/valgrind}
JOBS=${JOBS:-2}
command -v valgrind >/dev/null || { echo "valgrind-e2e : valgrind absent (scripts/deps.sh valgrind)" >&2; exit 2; }

OUT=$BUILD/valgrind-e2e
if [ "${1:-}" != --summary ]; then
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DPX_TESTS=OFF -DPX_SANITIZE=OFF >/dev/null
cmake --build "$BUILD" -j"$JOBS" >/dev/null

rm -rf "$OUT"
mkdir -p "$OUT/bin" "$OUT/logs"
for b in praxis-hub praxis-node praxis-demo-gen; do
	[ -x "$BUILD/bin/$b" ] || { echo "valgrind-e2e : $BUILD/bin/$b absent" >&2; exit 2; }
	# exec: the pid the demo waits for and signals is the program's.
	cat >"$OUT/bin/$b" <<EOS
#!/bin/sh
exec valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite \\
  --errors-for-leak-kinds=definite --num-callers=30 --child-silent-after-fork=yes \\
  --log-file="$OUT/logs/$b.%p.log" "$BUILD/bin/$b" "\$@"
EOS
	chmod +x "$OUT/bin/$b"
done

start=$(date +%s)
set +e
PRAXIS_BIN="$OUT/bin" PRAXIS_PLUGIN_PATH="$BUILD/plugins" PRAXIS_DEMO_DIR="$OUT/demo" \
	"$ROOT/scripts/demo.sh" >"$OUT/demo.log" 2>&1
demo_rc=$?
set -e
secs=$(( $(date +%s) - start ))
echo "$demo_rc $secs" >"$OUT/demo.rc"
fi
read -r demo_rc secs <"$OUT/demo.rc" || { demo_rc=1; secs=0; }

status=0
printf '%-16s %9s %7s %13s %14s %15s\n' program processes errors invalid_read invalid_write definitely_lost
for b in praxis-hub praxis-node praxis-demo-gen; do
	n=0 err=0 ir=0 iw=0 dl=0
	for f in "$OUT"/logs/$b.*.log; do
		[ -e "$f" ] || continue
		n=$((n + 1))
		e=$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$f" | tail -1 | tr -d ,)
		err=$((err + ${e:-0}))
		# grep -c exits 1 on no match: not an error here.
		c=$(grep -c 'Invalid read' "$f" || true)
		ir=$((ir + c))
		c=$(grep -c 'Invalid write' "$f" || true)
		iw=$((iw + c))
		d=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$f" | tail -1 | tr -d ,)
		dl=$((dl + ${d:-0}))
		if [ "${e:-0}" != 0 ]; then
			echo "  $f:" >&2
			grep -m5 -E 'Invalid|uninitialised|definitely lost|Mismatched|Syscall param' "$f" | sed 's/^/    /' >&2
		fi
	done
	printf '%-16s %9s %7s %13s %14s %15s\n' "$b" "$n" "$err" "$ir" "$iw" "$dl"
	[ "$err" -eq 0 ] && [ "$dl" -eq 0 ] || status=1
	[ "$n" -gt 0 ] || status=1
done
echo "demo exit $demo_rc in ${secs}s under memcheck; logs in $OUT/logs, demo output in $OUT/demo.log"
[ "$demo_rc" -eq 0 ] || { status=1; tail -15 "$OUT/demo.log" >&2; }
exit $status
