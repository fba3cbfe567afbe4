# bench/cleanup.sh: `bench/run --cleanup DATADIR`, sourced by bench/run once
# PostgreSQL runs on a copy of DATADIR (a cluster holding a year of data:
# `tetherctl bench seed`, see bench/large.sh), the migrations are applied and
# $POOL refresh tokens are minted into $TMP/pool; uses bench/run's helpers.
#
# 1. sizes, rows and the backlog (what the cleanup will remove);
# 2. GET /metrics and `tetherctl stats` on the year, timed (3 times each);
# 3. refresh quiet: $REPS wrk runs of $DUR;
# 4. `tetherctl cleanup` of the backlog (--pause BENCH_CLEANUP_PAUSE when
#    set, else its default) while refresh runs: a wrk run of $DUR, then
#    BENCH_CLEANUP_GAP seconds (default 20) without load, over and over, so
#    that the pool samples every table's part of the cleanup; once the pool
#    is nearly spent, the cleanup goes on alone. Each run's time since the
#    start goes with its figures;
# 5. sizes and rows after, refresh quiet again;
# results in bench/results/<date>-cleanup.md (bench/report_cleanup.py).
# The workers' own cleanup is off (cleanup_interval 0).

export TETHER_CLEANUP_INTERVAL=0
. "$TETHER_ROOT/bench/large_lib.sh"

GAP=${BENCH_CLEANUP_GAP:-20}
[[ $GAP =~ ^[0-9]+$ ]] || die "BENCH_CLEANUP_GAP must be whole seconds"
pause_args=()
[ -n "${BENCH_CLEANUP_PAUSE:-}" ] && pause_args=(--pause "$BENCH_CLEANUP_PAUSE")

# timed FILE CMD...: appends the seconds CMD took to FILE; fails with it.
timed() {
	local f=$1 t0 rc
	shift
	t0=$(now_s)
	"$@" >/dev/null 2>>"$TMP/timed.err"
	rc=$?
	awk -v a="$t0" -v b="$(now_s)" -v rc="$rc" 'BEGIN {printf "%.3f %d\n", b - a, rc}' >>"$f"
	return $rc
}

hold
quiet
say "sizes and the backlog"
sizes "$TMP/sizes_before.txt"
counts "$TMP/counts_before.txt"
autovac "$TMP/autovac_before.txt"

start_tether

say "GET /metrics and tetherctl stats on the year"
for r in 1 2 3; do
	timed "$TMP/metrics.times" curl -fsS -o "$TMP/metrics.txt" "http://127.0.0.1:$PORT/api/auth/metrics" ||
		warn "GET /metrics failed"
	timed "$TMP/stats.times" "$BUILD/tetherctl" stats || warn "tetherctl stats failed"
done
cat "$TMP/metrics.times" "$TMP/stats.times"

say "refresh, quiet"
for r in $(seq "$REPS"); do
	wrk_run refresh_quiet "$URL/refresh" bench/refresh.lua "$TMP/pool/refresh.txt" "$THREADS"
	pool_spent refresh_quiet
done
quiet

say "cleanup of the backlog while refresh runs (${pause_args[*]:-the default pause})"
t0=$(now_s)
"$BUILD/tetherctl" cleanup "${pause_args[@]}" >"$TMP/cleanup.out" 2>&1 &
cpid=$!
# A run that could use up the pool would end in refusals, not refreshes.
need=$(awk -v r="$(median refresh_quiet 1)" -v s="$secs" 'BEGIN {printf "%d", r * s * 1.5 + 100}')
loaded=0
while kill -0 "$cpid" 2>/dev/null && [ "$(wc -l <"$TMP/pool/refresh.txt")" -gt "$need" ]; do
	at=$(since "$t0")
	wrk_run refresh_during "$URL/refresh" bench/refresh.lua "$TMP/pool/refresh.txt" "$THREADS"
	echo "$at" >>"$TMP/refresh_during.at"
	pool_spent refresh_during
	loaded=$(since "$t0")
	for r in $(seq "$GAP"); do
		kill -0 "$cpid" 2>/dev/null || break
		sleep 1
	done
done
wait "$cpid" || warn "tetherctl cleanup failed"
cleanup_s=$(since "$t0")
cat "$TMP/cleanup.out"
say "cleanup took $cleanup_s s (the last loaded run ended at $loaded s)"

autovac "$TMP/autovac_after.txt"
sizes "$TMP/sizes_after.txt"
counts "$TMP/counts_after.txt"
quiet
say "refresh, quiet again"
for r in $(seq "$REPS"); do
	[ "$(wc -l <"$TMP/pool/refresh.txt")" -gt "$need" ] || break
	wrk_run refresh_after "$URL/refresh" bench/refresh.lua "$TMP/pool/refresh.txt" "$THREADS"
	pool_spent refresh_after
done
for r in 1 2 3; do
	timed "$TMP/metrics_after.times" curl -fsS -o /dev/null "http://127.0.0.1:$PORT/api/auth/metrics" ||
		warn "GET /metrics failed"
done
tether_lighttpd_stop >/dev/null
release

/usr/bin/python3 "$TETHER_ROOT/bench/report_cleanup.py" "$TMP" "$DUR" "$CONNS" \
	"$TETHER_MAX_PROCS" "$cleanup_s" "$loaded" "$GAP" "${BENCH_CLEANUP_PAUSE:-default}"
