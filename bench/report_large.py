"""bench/report_large.py: the results of `bench/run --large` (bench/large.sh)
as markdown, printed and written to bench/results/<date>-large.md: the
workloads on the empty and on the seeded database side by side, the seed,
the sizes, the plans and the cleanup of the backlog. Medians of the
repetitions; ratios within this one run."""

import datetime
import os
import re
import sys

from report_lib import Runs, cpu, first_line, kv, mem, mib, n, sizes, table

(tmp, tiny, dur, reps, threads, conns, procs, scrypt_s, scale, seed_s, vacuum_s, cleanup_s,
 loaded_s, vacuum_after_s, cost) = sys.argv[1:16]
tiny = tiny == "1"
scrypt_s = float(scrypt_s)
cores = os.cpu_count() or 1


R = Runs(tmp)
runs, med, errors = R.runs, R.med, R.errors


out = []
w = out.append
today = datetime.date.today().isoformat()
w("# A year of data: tether on an empty and on a seeded database (%s)" % today)
w("")
w("`bench/run --large %s`%s: the workloads of bench/run (wrk -t%s -c%s, %s runs of %s, "
  "medians; %s FastCGI workers) on the database with only the bench's own sessions, then "
  "`tetherctl bench seed --scale %s` and the same again. The workers' own cleanup is off; "
  "the backlog is cleaned once, by `tetherctl cleanup`, at the end." %
  (scale, " (tiny: figures not valid)" if tiny else "", threads, conns, reps, dur, procs,
   scale))
w("")
w("Machine: %s, %d cores, %s; %s; %s; %s." % (
    cpu(), cores, mem(), first_line(["uname", "-sr"]),
    first_line([os.path.join(os.environ.get("PGBIN", ""), "postgres"), "--version"])
    if os.environ.get("PGBIN") else first_line(["psql", "--version"]),
    first_line(["wrk", "--version"]).split(" [")[0]))
w("")

# ---- workloads
bound = cores / scrypt_s if scrypt_s > 0 else 0
rows = [("ceiling A: lighttpd + trivial FastCGI", "ceilingA", None),
        ("ceiling B: pgbench, a refresh's SQL, %s clients (tx/s)" % procs, "ceilingB", None),
        ("ceiling B16: the same, %s clients (tx/s)" % conns, "ceilingB16", None),
        ("tether verify (GET /me, Bearer)", "verify", "ceilingA"),
        ("tether refresh (rotation, each token once)", "refresh", "ceilingB16"),
        ("tether login (scrypt %s)" % cost, "login", "bound")]
w("## Small and large side by side")
w("")
w("| workload | small req/s | p50 ms | p99 ms | large req/s | p50 ms | p99 ms | large / small |")
w("|---|---:|---:|---:|---:|---:|---:|---:|")
for label, name, _ in rows:
    s, l = name + "_small", name + "_large"
    pct = "%.0f %%" % (100 * med(l, 0) / med(s, 0)) if med(s, 0) else "-"
    def lat(x, c):
        return "%.2f" % med(x, c)
    w("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
        label, n(med(s, 0)), lat(s, 1), lat(s, 2), n(med(l, 0)), lat(l, 1), lat(l, 2), pct))
w("")
w("Against the ceilings of the same phase: ")
for label, name, ceil in rows:
    if not ceil:
        continue
    parts = []
    for ph in ("small", "large"):
        c = bound if ceil == "bound" else med("%s_%s" % (ceil, ph), 0)
        parts.append("%s %.0f %%" % (ph, 100 * med("%s_%s" % (name, ph), 0) / c) if c else "-")
    w("%s against %s: %s. " % (name, "the scrypt bound (%.1f/s)" % bound if ceil == "bound"
                               else ceil.replace("ceiling", "ceiling "), ", ".join(parts)))
errs = sum(errors("%s_%s" % (name, ph)) for _, name, _ in rows for ph in ("small", "large"))
w("Errors (non-2xx, socket errors) in all these runs: %d." % errs)
if tiny:
    w("")
    w("**tiny run: these figures are not valid**")
w("")

# ---- seed and sizes
seed = open(os.path.join(tmp, "seed.log")).read() if os.path.exists(
    os.path.join(tmp, "seed.log")) else ""
last = [l for l in seed.splitlines() if l.startswith("seeded")]
w("## The seed")
w("")
w("`tetherctl bench seed --scale %s`: %s s (%s); then VACUUM ANALYZE: %s s." %
  (scale, seed_s, last[0] if last else "?", vacuum_s))
w("")
cl = kv(os.path.join(tmp, "counts_large.txt"))
if cl:
    w("On the seeded database: %s users, %s sessions (%s live), %s refresh tokens (%s live), "
      "%s blacklisted jtis, %s auth events, %s logout events." % tuple(n(cl.get(k, 0)) for k in (
          "users", "sessions", "sessions_live", "refresh_tokens", "refresh_tokens_live",
          "access_blacklist", "auth_events", "logout_events")))
    w("")
sz_l = sizes(os.path.join(tmp, "sizes_large.txt"))
sz_c = sizes(os.path.join(tmp, "sizes_cleaned.txt"))
sz_v = sizes(os.path.join(tmp, "sizes_vacuumed.txt"))
sz_s = sizes(os.path.join(tmp, "sizes_small.txt"))
w("| table | rows | heap MiB | indexes MiB | total MiB | bytes/row | after cleanup MiB "
  "| after VACUUM MiB | before the seed MiB |")
w("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
tot = [0, 0, 0, 0, 0, 0]
for t in sorted(sz_l):
    rws, heap, idx, total = sz_l[t]
    tot[0] += heap
    tot[1] += idx
    tot[2] += total
    c = sz_c.get(t, [0, 0, 0, 0])[3]
    v = sz_v.get(t, [0, 0, 0, 0])[3]
    s0 = sz_s.get(t, [0, 0, 0, 0])[3]
    tot[3] += c
    tot[4] += v
    tot[5] += s0
    w("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        t, n(rws), mib(heap), mib(idx), mib(total), n(total / rws) if rws > 0 else "-", mib(c),
        mib(v), mib(s0)))
w("| all | | %s | %s | %s | | %s | %s | %s |" % (mib(tot[0]), mib(tot[1]), mib(tot[2]),
                                                 mib(tot[3]), mib(tot[4]), mib(tot[5])))
w("")
if cl.get("sessions") and sz_l:
    core = sum(sz_l.get(t, [0, 0, 0, 0])[3] for t in ("sessions", "refresh_tokens",
                                                         "access_blacklist"))
    w("Bytes per session: %s (sessions, refresh_tokens and access_blacklist, tables and "
      "indexes, divided by the sessions); %s with users and the audit tables." % (
          n(core / cl["sessions"]), n(tot[2] / cl["sessions"])))
    w("")

# ---- plans
w("## Plans on the seeded database")
w("")
w("EXPLAIN (ANALYZE, BUFFERS) of each statement, PREPAREd as the workers prepare it and run "
  "with plan_cache_mode = force_generic_plan (the plan a prepared statement can settle on); "
  "writes rolled back. Values: a live bench session and its newest token; for the "
  "logout-everywhere statements a seeded user with a live session.")
w("")
ex = os.path.join(tmp, "explain.md")
w(open(ex).read().rstrip() if os.path.exists(ex) else "(no plans)")
w("")

# ---- cleanup
w("## The cleanup of the backlog")
w("")
cc = kv(os.path.join(tmp, "counts_cleaned.txt"))
w("Due on the seeded database (shipped retention: sessions 30 days after their end, "
  "events 90 days, tokens at expiry or a day after revocation, blacklist at expiry): "
  "%s sessions, %s refresh tokens, %s blacklist entries, %s events." % tuple(
      n(cl.get(k, 0)) for k in ("backlog_sessions", "backlog_refresh_tokens",
                                "backlog_access_blacklist", "backlog_events")))
w("")
co = open(os.path.join(tmp, "cleanup.out")).read().strip() if os.path.exists(
    os.path.join(tmp, "cleanup.out")) else "?"
w("`tetherctl cleanup` (batches of 1 000): **%s s**, of which %s s with refresh at full load "
  "(wrk runs of %s, until the cleanup ended or the pool ran low). Its output:" %
  (cleanup_s, loaded_s, dur))
w("")
w("```\n%s\n```" % co)
w("")
deleted = sum(int(x) for x in re.findall(r"(\d+)$", co, flags=re.M))
how = "as the cleanup printed"
if "deleted" not in co and cc:
    # Cut short (no output): the rows gone, from the counts before and after
    # (less the rows the refresh load added meanwhile: a lower bound).
    deleted = sum(max(0, cl.get(k, 0) - cc.get(k, 0)) for k in (
        "sessions", "refresh_tokens", "access_blacklist", "auth_events", "logout_events"))
    how = "counted before and after (the cleanup was cut short; a lower bound)"
if float(cleanup_s) > 0:
    w("%s rows in %s s (%s): %s rows/s." % (n(deleted), cleanup_s, how,
                                           n(deleted / float(cleanup_s))))
    w("")
rc = runs("refresh_clean")
if rc:
    p99s = [x[2] for x in rc]
    w("| refresh | req/s | p50 ms | p99 ms |")
    w("|---|---:|---:|---:|")
    w("| quiet, seeded (the large runs above) | %s | %.2f | %.2f |" % (
        n(med("refresh_large", 0)), med("refresh_large", 1), med("refresh_large", 2)))
    w("| during the cleanup (median of %d runs) | %s | %.2f | %.2f |" % (
        len(rc), n(med("refresh_clean", 0)), med("refresh_clean", 1), med("refresh_clean", 2)))
    w("| during the cleanup, worst run | | | %.2f |" % max(p99s))
    if runs("refresh_after"):
        w("| after the cleanup | %s | %.2f | %.2f |" % (
            n(med("refresh_after", 0)), med("refresh_after", 1), med("refresh_after", 2)))
    q = med("refresh_large", 2)
    w("")
    w("p99 during the cleanup against quiet: %.1fx (median run), %.1fx (worst run); "
      "target at most 2x. Errors during the cleanup: %d." % (
          med("refresh_clean", 2) / q if q else 0, max(p99s) / q if q else 0,
          errors("refresh_clean")))
    w("")
if cc:
    w("Left after the cleanup: %s sessions, %s refresh tokens, %s blacklist entries, %s auth "
      "events, %s logout events. Plain VACUUM afterwards: %s s." % (
          tuple(n(cc.get(k, 0)) for k in ("sessions", "refresh_tokens", "access_blacklist",
                                           "auth_events", "logout_events")) + (vacuum_after_s,)))
    w("")
for label, f in (("before the cleanup", "autovac_before.txt"),
                 ("after the cleanup", "autovac_after.txt")):
    rows_ = table(os.path.join(tmp, f))
    if rows_:
        w("Autovacuum's counters %s:" % label)
        w("")
        w("| table | live | dead | autovacuums | autoanalyzes | last autovacuum |")
        w("|---|---:|---:|---:|---:|---|")
        for r in rows_:
            w("| %s |" % " | ".join(r))
        w("")

text = "\n".join(out) + "\n"
sys.stdout.write(text)
if not tiny:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(root, "bench", "results", "%s-large.md" % today)
    with open(path, "w") as fp:
        fp.write(text)
    print("results in %s" % os.path.relpath(path, root))
