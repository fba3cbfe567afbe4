"""bench/report_cleanup.py: the results of `bench/run --cleanup DATADIR`
(bench/cleanup.sh) as markdown, printed and written to
bench/results/<date>-cleanup.md: the backlog, GET /metrics and tetherctl
stats on a year of data, refresh quiet and during the cleanup (each loaded
run with the time it started), the cleanup's time, and the sizes."""

import datetime
import os
import statistics
import sys

from report_lib import Runs, cpu, first_line, hist_percentile, kv, mem, mib, n, sizes, table

tmp, dur, conns, procs, cleanup_s, loaded_s, gap, pause = sys.argv[1:9]
cleanup_s, loaded_s = float(cleanup_s), float(loaded_s)
R = Runs(tmp)
cores = os.cpu_count() or 1
TABLES = ("access_blacklist", "auth_events", "logout_events", "refresh_tokens", "sessions",
          "session_end_counts", "users")

out = []
w = out.append
w("# The cleanup of a year's backlog under refresh load (%s)" % datetime.date.today())
w("")
w("`bench/run --cleanup DATADIR` on a copy of a cluster that `tetherctl bench seed` filled; "
  "`tetherctl cleanup --pause %s` while refresh runs (wrk -t1 -c%s, runs of %s, then %s s "
  "without load, until the cleanup ends or the pool of tokens is nearly spent); %s FastCGI "
  "workers, the workers' own cleanup off. PostgreSQL: %s." % (
      pause, conns, dur, gap, procs, os.environ.get("BENCH_PG_SET") or "its defaults, "
      "synchronous_commit on"))
w("")
w("Machine: %s, %d cores, %s; %s; %s; %s." % (
    cpu(), cores, mem(), first_line(["uname", "-sr"]), first_line(["psql", "--version"]),
    first_line(["wrk", "--version"]).split(" [")[0]))
w("")

# ---- the backlog
before, after = kv(os.path.join(tmp, "counts_before.txt")), kv(os.path.join(tmp, "counts_after.txt"))
due = sum(v for k, v in before.items() if k.startswith("backlog_"))
w("## The backlog")
w("")
w("| rows | before | after |")
w("|---|---:|---:|")
for k in sorted(before):
    w("| %s | %s | %s |" % (k, n(before[k]), n(after.get(k, 0))))
w("")
w("Due for the cleanup: %s rows (sessions past retention, tokens, blacklist, events; the "
  "live sessions past their end are ended, not deleted)." % n(due))
w("")


# ---- /metrics and stats
def times(name):
    return [float(r[0]) for r in table(os.path.join(tmp, name + ".times")) if r[1:] == ["0"]]


w("## /metrics and tetherctl stats on the year")
w("")
for label, name in (("GET /metrics, before the cleanup", "metrics"),
                    ("tetherctl stats, before the cleanup", "stats"),
                    ("GET /metrics, after the cleanup", "metrics_after")):
    t = times(name)
    w("- %s: %s s" % (label, ", ".join("%.2f" % x for x in t) if t else "failed"))
w("")

# ---- refresh
quiet99 = R.med("refresh_quiet", 2)
during = R.runs("refresh_during")
at = [float(r[0]) for r in table(os.path.join(tmp, "refresh_during.at"))]
w("## Refresh quiet, during the cleanup, and after")
w("")
w("| | req/s | p50 ms | p99 ms | p99 / quiet p99 |")
w("|---|---:|---:|---:|---:|")
w("| quiet, before (median of %d) | %s | %.2f | %.2f | |" % (
    len(R.runs("refresh_quiet")), n(R.med("refresh_quiet", 0)), R.med("refresh_quiet", 1),
    quiet99))
for i, r in enumerate(during):
    when = "%.0f s" % at[i] if i < len(at) else "?"
    w("| during, from %s | %s | %.2f | %.2f | %.1fx |" % (
        when, n(r[0]), r[1], r[2], r[2] / quiet99 if quiet99 else 0))
if R.runs("refresh_after"):
    w("| quiet, after (median of %d) | %s | %.2f | %.2f | %.1fx |" % (
        len(R.runs("refresh_after")), n(R.med("refresh_after", 0)), R.med("refresh_after", 1),
        R.med("refresh_after", 2), R.med("refresh_after", 2) / quiet99 if quiet99 else 0))
w("")
if during and quiet99:
    ratios = sorted(r[2] / quiet99 for r in during)
    w("Refresh p99 during the cleanup against quiet: median %.1fx, worst %.1fx over %d runs "
      "(target: at most 2x). Throughput during: median %s against %s req/s quiet." % (
          statistics.median(ratios), ratios[-1], len(ratios),
          n(statistics.median(r[0] for r in during)), n(R.med("refresh_quiet", 0))))
# The same over every request of a phase at once (merged histograms).
whole = {k: (hist_percentile(os.path.join(tmp, k + ".hist"), 50),
             hist_percentile(os.path.join(tmp, k + ".hist"), 99))
         for k in ("refresh_quiet", "refresh_during", "refresh_after")}
if whole["refresh_quiet"][1] and whole["refresh_during"][1]:
    q, d = whole["refresh_quiet"], whole["refresh_during"]
    w("Over every request of each phase together: p50 %.2f and p99 %.2f ms quiet, p50 %.2f "
      "and p99 %.2f ms during the cleanup: **%.1fx** quiet's p99%s." % (
          q[0], q[1], d[0], d[1], d[1] / q[1],
          "; after it, p99 %.2f ms (%.1fx)" % (whole["refresh_after"][1],
                                               whole["refresh_after"][1] / q[1])
          if whole["refresh_after"][1] else ""))
errs = sum(R.errors(x) for x in ("refresh_quiet", "refresh_during", "refresh_after"))
w("Errors (non-2xx, socket errors) in these runs: %d." % errs)
w("")
w("The cleanup took %.0f s (%.1f min): %s rows/s; the last loaded run ended at %.0f s." % (
    cleanup_s, cleanup_s / 60, n(due / cleanup_s if cleanup_s else 0), loaded_s))
w("")
w("```")
w(open(os.path.join(tmp, "cleanup.out")).read().strip()
  if os.path.exists(os.path.join(tmp, "cleanup.out")) else "(no output)")
w("```")
w("")

# ---- sizes
sb, sa = sizes(os.path.join(tmp, "sizes_before.txt")), sizes(os.path.join(tmp, "sizes_after.txt"))
w("## Sizes (MiB, tables and indexes)")
w("")
w("| table | before | after |")
w("|---|---:|---:|")
for t in TABLES:
    if t in sb:
        w("| %s | %s | %s |" % (t, mib(sb[t][3]), mib(sa.get(t, [0, 0, 0, 0])[3])))
w("| all | %s | %s |" % (mib(sum(v[3] for v in sb.values())),
                          mib(sum(v[3] for v in sa.values()))))
w("")
w("Autovacuum (table, live, dead, vacuums, analyzes, last vacuum), after:")
w("")
w("```")
for r in table(os.path.join(tmp, "autovac_after.txt")):
    w(" ".join(r))
w("```")

text = "\n".join(out) + "\n"
print(text)
dest = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results",
                    "%s-cleanup.md" % datetime.date.today())
with open(dest, "w") as f:
    f.write(text)
print("written to %s" % dest)
