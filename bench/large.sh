# bench/large.sh: `bench/run --large [SCALE]`, sourced by bench/run once
# PostgreSQL runs, the schema is migrated, $POOL refresh tokens are minted
# into $TMP/pool and the login user exists; uses bench/run's helpers
# (wrk_run, pgbench_run, quiet, start_server, ...).
#
# 1. small: ceilings A, B, B16, then tether verify, refresh and login on
#    the database as it is (the pool's sessions only);
# 2. `tetherctl bench seed --scale SCALE` (timed), VACUUM ANALYZE;
# 3. large: the same workloads again, on a year of data;
# 4. EXPLAIN (ANALYZE, BUFFERS) of every statement of a request and of the
#    cleanup (bench/explain.py), table and index sizes;
# 5. the cleanup of the year's backlog (`tetherctl cleanup`, the shipped
#    retention) while refresh runs at full load, in wrk runs of $DUR for as
#    long as the cleanup lasts or the pool holds; sizes and autovacuum's
#    counters before and after.
# The workers' own cleanup is off (cleanup_interval 0), so that nothing
# but step 5 touches the backlog. BENCH_LOCK names a file whose flock the
# measured steps (1, 3, 4, 5) hold; the seed does not.

export TETHER_CLEANUP_INTERVAL=0
. "$TETHER_ROOT/bench/large_lib.sh"

# The pool: one part for each phase's refreshes; the rest (minted after
# the seed) for the refresh load during the cleanup.
half=$(( $(wc -l <"$TMP/pool/refresh.txt") / 2 ))
head -n "$half" "$TMP/pool/refresh.txt" >"$TMP/pool/refresh_small.txt"
tail -n +"$(( half + 1 ))" "$TMP/pool/refresh.txt" >"$TMP/pool/refresh_large.txt"

# ---- inputs of the ceilings
gcc -O2 -o "$TMP/fcgi_hello" "$TETHER_ROOT/bench/fcgi_hello.c" $(pkg-config --cflags --libs fcgi) ||
	die "building the trivial responder failed"
chmod 0755 "$TMP/fcgi_hello"
lock_sql=$("$BUILD/tetherctl" bench sql refresh_lock) || die "no refresh_lock statement"
issue_sql=$("$BUILD/tetherctl" bench sql refresh_issue) || die "no refresh_issue statement"
/usr/bin/python3 "$TETHER_ROOT/bench/pgbench_script.py" "$lock_sql" "$issue_sql" \
	>"$TMP/refresh.pgbench" || die "writing the pgbench script failed"
chmod 0644 "$TMP/refresh.pgbench"
NB=$(( tiny ? 2000 : 100000 ))
tether_psql "$TMP/run" tether -v n="$NB" -f "$TETHER_ROOT/bench/pgbench_seed.sql" >/dev/null ||
	die "seeding ceiling B failed"

# measure TAG: every workload once more, each run's figures under NAME_TAG.
measure() {
	local t=$1 r used
	PORT=$(tether_free_port)
	start_server "$TMP/fcgi_hello" "$PORT"
	tether_wait_http "http://127.0.0.1:$PORT/api/auth/me" 30 || die "ceiling A did not start"
	say "[$t] ceiling A"
	for r in $(seq "$REPS"); do wrk_run "ceilingA_$t" "http://127.0.0.1:$PORT/api/auth/me"; done
	tether_lighttpd_stop >/dev/null
	quiet
	say "[$t] ceiling B, B16"
	pgbench_run "ceilingB_$t" "$TETHER_MAX_PROCS"
	pgbench_run "ceilingB16_$t" "$CONNS"
	quiet
	start_tether
	say "[$t] tether verify"
	for r in $(seq "$REPS"); do
		wrk_run "verify_$t" "$URL/me" bench/verify.lua "$TMP/pool/access.txt"
	done
	quiet
	say "[$t] tether refresh"
	for r in $(seq "$REPS"); do
		wrk_run "refresh_$t" "$URL/refresh" bench/refresh.lua "$TMP/pool/refresh_$t.txt" "$THREADS"
		used=$(awk '/^POOL_USED/ {print $2}' "$TMP/refresh_$t.log" | tail -n 1)
		tail -n +"$(( used + 1 ))" "$TMP/pool/refresh_$t.txt" >"$TMP/pool/next.txt"
		mv "$TMP/pool/next.txt" "$TMP/pool/refresh_$t.txt"
	done
	quiet
	say "[$t] tether login"
	for r in $(seq "$REPS"); do
		LOGIN_TIMEOUT=1 wrk_run "login_$t" "$URL/login" bench/login.lua login@tether.invalid "$BENCH_PW"
	done
	sleep 3
	tether_lighttpd_stop >/dev/null
}

# ---- 1. small
hold
sizes "$TMP/sizes_small.txt"
measure small
scrypt_s=$("$BUILD/tetherctl" bench scrypt 10) || die "timing scrypt failed"
release

# ---- 2. the seed
say "seeding a year at scale $LARGE_SCALE"
t0=$(now_s)
"$BUILD/tetherctl" bench seed --scale "$LARGE_SCALE" | tee "$TMP/seed.log" ||
	die "bench seed failed"
seed_s=$(since "$t0")
t0=$(now_s)
tether_psql "$TMP/run" tether -c 'VACUUM ANALYZE' >/dev/null || die "VACUUM failed"
vacuum_s=$(since "$t0")
say "seeded in $seed_s s, VACUUM ANALYZE $vacuum_s s"
# The cleanup's pool, minted now (2 processes): the newest sessions.
CPOOL=${BENCH_CLEANUP_POOL:-$(( tiny ? 4000 : 200000 ))}
mkdir -p "$TMP/pool/c1" "$TMP/pool/c2"
"$BUILD/tetherctl" bench tokens $(( CPOOL / 2 )) "$TMP/pool/c1" >/dev/null &
m1=$!
"$BUILD/tetherctl" bench tokens $(( CPOOL / 2 )) "$TMP/pool/c2" >/dev/null
m2=$?
wait "$m1" && [ "$m2" = 0 ] || die "minting the cleanup's pool failed"
cat "$TMP/pool/c1/refresh.txt" "$TMP/pool/c2/refresh.txt" >"$TMP/pool/refresh_clean.txt"

# ---- 3. large
hold
quiet
sizes "$TMP/sizes_large.txt"
counts "$TMP/counts_large.txt"
measure large

# ---- 4. plans
say "EXPLAIN (ANALYZE, BUFFERS) of the request and cleanup statements"
/usr/bin/python3 "$TETHER_ROOT/bench/explain.py" gen "$BUILD/tetherctl" >"$TMP/explain.sql" ||
	die "explain.py gen failed"
tether_psql "$TMP/run" tether -v ON_ERROR_STOP=0 -f "$TMP/explain.sql" >"$TMP/explain.out" 2>&1
/usr/bin/python3 "$TETHER_ROOT/bench/explain.py" report "$TMP/explain.out" >"$TMP/explain.md" ||
	warn "a statement does not use an index (see the results)"

# ---- 5. the cleanup's backlog under refresh load
quiet
autovac "$TMP/autovac_before.txt"
start_tether
say "cleanup of the backlog while refresh runs"
t0=$(now_s)
"$BUILD/tetherctl" cleanup >"$TMP/cleanup.out" 2>&1 &
cpid=$!
loaded=0
# A run that could use up the pool would end in refusals, not refreshes:
# the load stops while a run's worth (at the large rate, and a half) is left.
need=$(awk -v r="$(median refresh_large 1)" -v s="$secs" 'BEGIN {printf "%d", r * s * 1.5 + 100}')
while kill -0 "$cpid" 2>/dev/null && [ "$(wc -l <"$TMP/pool/refresh_clean.txt")" -gt "$need" ]; do
	wrk_run refresh_clean "$URL/refresh" bench/refresh.lua "$TMP/pool/refresh_clean.txt" "$THREADS"
	used=$(awk '/^POOL_USED/ {print $2}' "$TMP/refresh_clean.log" | tail -n 1)
	tail -n +"$(( used + 1 ))" "$TMP/pool/refresh_clean.txt" >"$TMP/pool/next.txt"
	mv "$TMP/pool/next.txt" "$TMP/pool/refresh_clean.txt"
	loaded=$(since "$t0")
done
wait "$cpid" || warn "tetherctl cleanup failed"
cleanup_s=$(since "$t0")
say "cleanup took $cleanup_s s ($loaded s of it under refresh load)"
autovac "$TMP/autovac_after.txt"
sizes "$TMP/sizes_cleaned.txt"
counts "$TMP/counts_cleaned.txt"
# The refresh p99 right after, on the cleaned database (quiet again).
quiet
for r in $(seq "$REPS"); do
	[ "$(wc -l <"$TMP/pool/refresh_clean.txt")" -gt "$need" ] || break
	wrk_run refresh_after "$URL/refresh" bench/refresh.lua "$TMP/pool/refresh_clean.txt" "$THREADS"
	used=$(awk '/^POOL_USED/ {print $2}' "$TMP/refresh_after.log" | tail -n 1)
	tail -n +"$(( used + 1 ))" "$TMP/pool/refresh_clean.txt" >"$TMP/pool/next.txt"
	mv "$TMP/pool/next.txt" "$TMP/pool/refresh_clean.txt"
done
tether_lighttpd_stop >/dev/null
t0=$(now_s)
tether_psql "$TMP/run" tether -c 'VACUUM' >/dev/null || warn "VACUUM failed"
vacuum_after_s=$(since "$t0")
sizes "$TMP/sizes_vacuumed.txt"
release

# ---- results
/usr/bin/python3 "$TETHER_ROOT/bench/report_large.py" "$TMP" "$tiny" "$DUR" "$REPS" "$THREADS" \
	"$CONNS" "$TETHER_MAX_PROCS" "$scrypt_s" "$LARGE_SCALE" "$seed_s" "$vacuum_s" \
	"$cleanup_s" "$loaded" "$vacuum_after_s" \
	"${TETHER_SCRYPT_N:-16384}/${TETHER_SCRYPT_R:-8}/${TETHER_SCRYPT_P:-5}"
