# bench/soak.sh: the soak of bench/run --soak, sourced by bench/run once
# PostgreSQL runs and the database is migrated (TMP, BUILD, SOAK_MIN and the
# tether_* functions come from there). Returns 0 when the run completed
# (whatever its verdict: the table says it), 1 when it could not run.

SOAK_CLIENTS=${BENCH_SOAK_CLIENTS:-8}
SOAK_USERS=${BENCH_SOAK_USERS:-20}
SOAK_PW=soak-password-123
soak_secs=$((SOAK_MIN * 60))

say "soak: creating $SOAK_USERS users"
: >"$TMP/soak-users.txt"
for i in $(seq "$SOAK_USERS"); do
	printf '%s\n' "$SOAK_PW" | "$BUILD/tetherctl" user add "soak$i@tether.invalid" >/dev/null ||
		die "creating soak user $i failed"
	printf 'soak%d@tether.invalid\n' "$i" >>"$TMP/soak-users.txt"
done

PORT=$(tether_free_port)
tether_lighttpd_conf "$TMP/lighttpd-soak.conf" "$PORT" "$TETHER_ROOT/htdocs" \
	"$BUILD/tether.fcgi" "$TMP/www-soak"
tether_lighttpd_start "$TMP/lighttpd-soak.conf" "$TMP/www-soak/log/lighttpd.log" ||
	die "lighttpd did not start"
URL=http://127.0.0.1:$PORT/api/auth
tether_wait_http "$URL/health" 30 || die "tether did not start"
tether_lighttpd_track

soak_workers() { ps -o pid= --ppid "$TETHER_LIGHTTPD_PID" 2>/dev/null | tr -d ' ' | sort -n; }
# steady_kib PID: the RSS of PID's mappings smaller than 8 MiB. Why: a
# worker in the middle of a login holds scrypt's 16 MiB buffer, a mapping
# of its own that is unmapped when the hash is done (src/cryptomem.c), so
# its RSS jumps by 16 MiB for a third of a second; a sample that falls
# there is not growth, and a leak shows up in the heap and the small
# mappings, which this keeps.
steady_kib() {
	awk '/^Size:/ { big = $2 >= 8192 } /^Rss:/ && !big { s += $2 } END { print s + 0 }' \
		"/proc/$1/smaps" 2>/dev/null
}
# soak_sample MINUTE: one row of the table in $TMP/soak.rows:
# minute requests 5xx workers rss_sum_kib rss_max_kib fds db_conns pids steady_sum_kib
soak_sample() {
	local p rss sum=0 max=0 fds=0 n=0 db reqs errs pids steady=0
	pids=$(soak_workers | tr '\n' ',')
	for p in $(soak_workers); do
		rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null) || rss=
		[ -n "$rss" ] || continue
		n=$((n + 1))
		sum=$((sum + rss))
		steady=$((steady + $(steady_kib "$p")))
		[ "$rss" -gt "$max" ] && max=$rss
		# The workers may run as the service user: as root this reads them.
		fds=$((fds + $(find "/proc/$p/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)))
	done
	db=$(tether_psql "$TMP/run" tether -Atc \
		"SELECT count(*) FROM pg_stat_activity WHERE datname = 'tether' AND pid <> pg_backend_pid()" \
		2>/dev/null) || db='?'
	read -r reqs errs < <(/usr/bin/python3 -c '
import json, sys
try:
    s = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    s = {}
print(sum(sum(d.values()) for d in s.values()),
      sum(d.get("5xx", 0) + d.get("error", 0) for d in s.values()))' "$TMP/soak-stats.json")
	printf '%s %s %s %s %s %s %s %s %s %s\n' "$1" "${reqs:-0}" "${errs:-0}" "$n" "$sum" "$max" \
		"$fds" "${db:-?}" "${pids%,}" "$steady" >>"$TMP/soak.rows"
	printf '  minute %3s: %8s requests, %s 5xx/errors, %s workers, RSS %s KiB (max %s; %s without scrypt buffers), %s fds, %s db connections\n' \
		"$1" "${reqs:-0}" "${errs:-0}" "$n" "$sum" "$max" "$steady" "$fds" "${db:-?}"
}

say "soak: $SOAK_MIN minutes, $SOAK_CLIENTS clients, $TETHER_MAX_PROCS workers, $URL"
: >"$TMP/soak.rows"
/usr/bin/python3 "$TETHER_ROOT/bench/soak.py" "$URL" "$soak_secs" "$TMP/soak-users.txt" \
	"$SOAK_PW" "$SOAK_CLIENTS" "$TMP/soak-stats.json" &
soak_pid=$!
started=$SECONDS
soak_sample 0
for m in $(seq "$SOAK_MIN"); do
	# Samples one minute apart, by the clock of this run.
	while [ $((SECONDS - started)) -lt $((m * 60)) ] && kill -0 "$soak_pid" 2>/dev/null; do
		sleep 1
	done
	kill -0 "$soak_pid" 2>/dev/null || wait "$soak_pid" # the final counts are written
	soak_sample "$m"
done
wait "$soak_pid"
soak_rc=$?
tether_lighttpd_stop >/dev/null

mkdir -p "$TETHER_ROOT/bench/results"
out=$TETHER_ROOT/bench/results/soak-$(date -u +%Y-%m-%d-%H%M).md
/usr/bin/python3 - "$TMP/soak.rows" "$TMP/soak-stats.json" "$SOAK_MIN" "$SOAK_CLIENTS" \
	"$TETHER_MAX_PROCS" "$soak_rc" >"$out" <<'PY' || die "writing the soak report failed"
import json, sys
rows_f, stats_f, minutes, clients, procs, rc = sys.argv[1:7]
rows = [l.split() for l in open(rows_f) if l.strip()]
stats = json.load(open(stats_f))
print("# Soak: %s minutes of mixed load\n" % minutes)
print("lighttpd + tether.fcgi, %s workers, %s clients each repeating: login, "
      "5 x GET /me, refresh, 5 x GET /me, POST /logout-event, logout "
      "(bench/soak.py). Sampled every minute.\n" % (procs, clients))
print("| minute | requests | 5xx + errors | workers | RSS sum KiB | RSS max KiB "
      "| RSS sum without scrypt buffers KiB | open fds | db connections |")
print("|---|---|---|---|---|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(r[:6] + [r[9]] + r[6:8]) + " |")
print("\n| endpoint | 2xx | 4xx | 5xx | errors |\n|---|---|---|---|---|")
for k in sorted(stats):
    d = stats[k]
    print("| %s | %d | %d | %d | %d |" % (k, d.get("2xx", 0), d.get("4xx", 0),
                                          d.get("5xx", 0), d.get("error", 0)))
# The verdict compares the first warm sample (minute 1: the workers have
# served every path and grown their caches) with the last.
why = []
errs = int(rows[-1][2]) if rows else 0
if rc != "0":
    why.append("the load generator failed (exit %s)" % rc)
if errs:
    why.append("%d answers were 5xx or failed" % errs)
warm = rows[1] if len(rows) > 2 else (rows[0] if rows else None)
last = rows[-1] if rows else None
if warm and last:
    if warm[8] != last[8]:
        why.append("the workers changed (%s -> %s): a worker died or was replaced"
                   % (warm[8], last[8]))
    # Without the scrypt buffer of a login in progress (steady_kib).
    rw, rl = int(warm[9]), int(last[9])
    if rl > rw * 1.10 and rl - rw > 2048:
        why.append("RSS grew from %d to %d KiB" % (rw, rl))
    if int(last[6]) > int(warm[6]):
        why.append("open fds grew from %s to %s" % (warm[6], last[6]))
    if warm[7] != "?" and last[7] != "?" and int(last[7]) > int(warm[7]):
        why.append("database connections grew from %s to %s" % (warm[7], last[7]))
verdict = "steady" if not why else ("errors" if errs or rc != "0" else "growth")
print("\n**Verdict: %s**%s" % (verdict, "" if not why else ": " + "; ".join(why) + "."))
if int(minutes) < 30:
    print("\n(A short run: %s minutes prove the machinery; the soak is 30.)" % minutes)
PY
cat "$out"
say "soak: written to ${out#"$TETHER_ROOT"/}"
return 0
