# bench/soak.sh: the soak of bench/run --soak, sourced by bench/run once
# PostgreSQL runs and the database is migrated (TMP, BUILD, SOAK_MIN and the
# tether_* functions come from there). Returns 0 when the run completed
# (whatever its verdict: the table says it), 1 when it could not run.

SOAK_CLIENTS=${BENCH_SOAK_CLIENTS:-8}
SOAK_USERS=${BENCH_SOAK_USERS:-20}
# Workers retire (worker_max_requests) within the soak, every pool: at its
# full load a worker of the hashing or /refresh pool serves about 200
# requests a minute, on a machine busy with other work a fifth of that, so
# the shipped 100000 would not retire them within 30 minutes. 500 makes
# them retire every 2 to 12 minutes (the API pool's more often).
export TETHER_WORKER_MAX_REQUESTS=${BENCH_SOAK_WORKER_MAX_REQUESTS:-500}
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
SOAK_LOG=$TMP/www-soak/log/lighttpd.log
tether_lighttpd_start "$TMP/lighttpd-soak.conf" "$SOAK_LOG" ||
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
# worker_pool PID: the pool of a worker, from the name of its listening
# socket (fd 0; lighttpd binds SOCKET-N for the Nth worker of a pool):
# tether.fcgi.sock, tether-hash.sock, tether-refresh.sock, tether-authz.sock.
worker_pool() {
	local ino name
	ino=$(readlink "/proc/$1/fd/0" 2>/dev/null | tr -dc 0-9)
	name=$(awk -v i="$ino" '$7 == i { print $8; exit }' /proc/net/unix 2>/dev/null)
	name=${name##*/}
	printf '%s\n' "${name%-[0-9]*}"
}
# heap_kib PID: the size of PID's [heap] mapping (what fragmentation grows).
heap_kib() {
	awk '/\[heap\]/ { h = 1; next } /^[0-9a-f]+-/ { h = 0 } h && /^Size:/ { print $2; exit }' \
		"/proc/$1/smaps" 2>/dev/null
}
# soak_sample MINUTE: one row of the table in $TMP/soak.rows:
# minute requests 5xx workers rss_sum_kib rss_max_kib fds db_conns pids steady_sum_kib retirements
# and a row per worker in $TMP/soak.workers:
# minute pid pool rss_kib steady_kib heap_kib fds
soak_sample() {
	local p rss sum=0 max=0 fds=0 n=0 db reqs errs pids steady=0 st f retired
	pids=$(soak_workers | tr '\n' ',')
	for p in $(soak_workers); do
		rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null) || rss=
		[ -n "$rss" ] || continue
		n=$((n + 1))
		sum=$((sum + rss))
		st=$(steady_kib "$p")
		steady=$((steady + st))
		[ "$rss" -gt "$max" ] && max=$rss
		# The workers may run as the service user: as root this reads them.
		f=$(find "/proc/$p/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
		fds=$((fds + f))
		printf '%s %s %s %s %s %s %s\n' "$1" "$p" "$(worker_pool "$p")" "$rss" "$st" \
			"$(heap_kib "$p")" "$f" >>"$TMP/soak.workers"
	done
	db=$(tether_psql "$TMP/run" tether -Atc \
		"SELECT count(*) FROM pg_stat_activity WHERE datname = 'tether' AND pid <> pg_backend_pid()" \
		2>/dev/null) || db='?'
	retired=$(grep -c 'worker retiring after' "$SOAK_LOG" 2>/dev/null) || retired=0
	read -r reqs errs < <(/usr/bin/python3 -c '
import json, sys
try:
    s = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    s = {}
print(sum(sum(d.values()) for d in s.values()),
      sum(d.get("5xx", 0) + d.get("error", 0) for d in s.values()))' "$TMP/soak-stats.json")
	printf '%s %s %s %s %s %s %s %s %s %s %s\n' "$1" "${reqs:-0}" "${errs:-0}" "$n" "$sum" "$max" \
		"$fds" "${db:-?}" "${pids%,}" "$steady" "$retired" >>"$TMP/soak.rows"
	printf '  minute %3s: %8s requests, %s 5xx/errors, %s workers, RSS %s KiB (max %s; %s without scrypt buffers), %s fds, %s db connections, %s retirements\n' \
		"$1" "${reqs:-0}" "${errs:-0}" "$n" "$sum" "$max" "$steady" "$fds" "${db:-?}" "$retired"
}

say "soak: $SOAK_MIN minutes, $SOAK_CLIENTS clients, $TETHER_MAX_PROCS workers, worker_max_requests $TETHER_WORKER_MAX_REQUESTS, $URL"
: >"$TMP/soak.rows"
: >"$TMP/soak.workers"
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
# Workers that crashed (lighttpd logs an exit other than 0 or a signal
# other than its own stop): a replaced worker that retired exits 0, or
# (main.c, retire) does not exit at all.
crashes=$(grep -cE 'child (exited: [1-9]|signalled|died somehow)' "$SOAK_LOG" 2>/dev/null) || crashes=0

mkdir -p "$TETHER_ROOT/bench/results"
out=$TETHER_ROOT/bench/results/soak-$(date -u +%Y-%m-%d-%H%M).md
/usr/bin/python3 - "$TMP/soak.rows" "$TMP/soak-stats.json" "$SOAK_MIN" "$SOAK_CLIENTS" \
	"$TETHER_MAX_PROCS" "$soak_rc" "$TMP/soak.workers" "$TETHER_WORKER_MAX_REQUESTS" \
	"$crashes" >"$out" <<'PY' || die "writing the soak report failed"
import collections, json, sys
rows_f, stats_f, minutes, clients, procs, rc, workers_f, max_req, crashes = sys.argv[1:10]
rows = [l.split() for l in open(rows_f) if l.strip()]
stats = json.load(open(stats_f))
# minute -> pool -> [(pid, rss, steady, heap, fds)]
per = collections.defaultdict(lambda: collections.defaultdict(list))
for l in open(workers_f):
    f = l.split()
    if len(f) == 7:
        per[int(f[0])][f[2] or "?"].append((f[1], int(f[3]), int(f[4]), int(f[5] or 0), int(f[6])))
print("# Soak: %s minutes of mixed load\n" % minutes)
print("lighttpd + tether.fcgi, %s workers, %s clients each repeating: login, "
      "5 x GET /me, refresh, 5 x GET /me, POST /logout-event, logout "
      "(bench/soak.py); worker_max_requests %s. Sampled every minute.\n"
      % (procs, clients, max_req))
print("| minute | requests | 5xx + errors | workers | RSS sum KiB | RSS max KiB "
      "| RSS sum without scrypt buffers KiB | open fds | db connections | retirements |")
print("|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(r[:6] + [r[9]] + r[6:8] + [r[10]]) + " |")
print("\n| endpoint | 2xx | 4xx | 5xx | errors |\n|---|---|---|---|---|")
for k in sorted(stats):
    d = stats[k]
    print("| %s | %d | %d | %d | %d |" % (k, d.get("2xx", 0), d.get("4xx", 0),
                                          d.get("5xx", 0), d.get("error", 0)))
# Per pool, each minute: the largest worker's RSS without scrypt buffers
# (and its [heap]). A worker that retires starts again small, so a pool is
# judged by its steady state: the peak of the second half of the run
# against the peak of the first half (from minute 1: the workers have
# served every path), not one worker's first sample against its last.
pools = sorted({p for m in per for p in per[m]})
mins = sorted(m for m in per if m >= 1)
print("\nPer pool, the largest worker each minute: RSS without scrypt buffers "
      "KiB / [heap] KiB.\n")
print("| minute | " + " | ".join(pools) + " |")
print("|---|" + "---|" * len(pools))
for m in sorted(per):
    cells = []
    for p in pools:
        w = per[m].get(p, [])
        cells.append("%d / %d" % (max(x[2] for x in w), max(x[3] for x in w)) if w else "-")
    print("| %d | %s |" % (m, " | ".join(cells)))
why, notes = [], []
errs = int(rows[-1][2]) if rows else 0
if rc != "0":
    why.append("the load generator failed (exit %s)" % rc)
if errs:
    why.append("%d answers were 5xx or failed" % errs)
if int(crashes):
    why.append("%s workers crashed (lighttpd.log)" % crashes)
growth = False
if len(mins) >= 2:
    half = mins[:(len(mins) + 1) // 2], mins[(len(mins) + 1) // 2:]
    first, last = mins[0], mins[-1]
    for p in pools:
        n0, n1 = len(per[first].get(p, [])), len(per[last].get(p, []))
        if n0 != n1:
            why.append("pool %s went from %d to %d workers" % (p, n0, n1))
        peaks = [max((x[2] for m in h for x in per[m].get(p, [])), default=0) for h in half]
        # A tolerance for what is not the heap (pages of the libraries
        # touched late, the stack): 5 % or 512 KiB.
        if peaks[1] - peaks[0] > max(peaks[0] * 0.05, 512):
            why.append("pool %s: the largest worker grew from %d to %d KiB (peak of "
                       "each half)" % (p, peaks[0], peaks[1]))
            growth = True
        notes.append("%s %d -> %d" % (p, peaks[0], peaks[1]))
    hrows = [r for r in rows if int(r[0]) >= 1]
    h0, h1 = hrows[:(len(hrows) + 1) // 2], hrows[(len(hrows) + 1) // 2:]
    # A sample may fall while a worker holds a client's connection (one fd
    # more), or between the close and the reopening of a retiring worker's
    # database connection (one less): a leak raises the floor, so the
    # floors of the two halves are compared.
    f0, f1 = min(int(r[6]) for r in h0), min(int(r[6]) for r in h1)
    if f1 > f0:
        why.append("open fds grew from %d to %d (floor of each half)" % (f0, f1))
        growth = True
    dbs = [[int(r[7]) for r in h if r[7] != "?"] for h in (h0, h1)]
    if dbs[0] and dbs[1] and min(dbs[1]) > min(dbs[0]):
        why.append("database connections grew from %d to %d (floor of each half)"
                   % (min(dbs[0]), min(dbs[1])))
        growth = True
    pid0, pid1 = set(rows[1][8].split(",")), set(rows[-1][8].split(","))
    if pid0 != pid1:
        notes.append("%d workers replaced by the web server" % len(pid0 - pid1))
if rows:
    notes.append("%s retirements (worker_max_requests %s)" % (rows[-1][10], max_req))
verdict = ("errors" if errs or rc != "0" or int(crashes) else
           "growth" if growth else "steady" if not why else "changed")
print("\nPeak per pool, first half -> second half (KiB): %s." % "; ".join(notes))
print("\n**Verdict: %s**%s" % (verdict, "" if not why else ": " + "; ".join(why) + "."))
if int(minutes) < 30:
    print("\n(A short run: %s minutes prove the machinery; the soak is 30.)" % minutes)
PY
cat "$out"
say "soak: written to ${out#"$TETHER_ROOT"/}"
return 0
