"""bench/report.py: turns one bench/run's raw runs into the results table
(bench/results/<date>.md, printed too). Medians of the repetitions; ratios
are to the ceilings measured in the same run."""

import datetime
import os
import sys

from report_lib import Runs, cpu, first_line, mem

(tmp, tiny, dur, reps, threads, conns, procs, scrypt_s, rss0, rss1, rss2, rssr, rssl,
 verify_n, refresh_n, cost, floor) = sys.argv[1:18]
tiny = tiny == "1"
apache_conns = sys.argv[18] if len(sys.argv) > 18 else procs


R = Runs(tmp)
runs, med, errors = R.runs, R.med, R.errors
version = first_line


def kib_list(s):
    return [int(x) for x in s.split()] if s.strip() else []


cores = os.cpu_count() or 1
scrypt_s = float(scrypt_s)
bound = cores / scrypt_s if scrypt_s > 0 else 0
A, B, B16 = med("ceilingA", 0), med("ceilingB", 0), med("ceilingB16", 0)
rows = [
    ("ceiling A: lighttpd + trivial FastCGI", "ceilingA", None, None),
    ("ceiling B: pgbench, a refresh's SQL (tx/s)", "ceilingB", None, None),
    ("ceiling B16: the same with %s clients (tx/s)" % conns, "ceilingB16", None, None),
    ("ceiling B16, one statement per round trip (tx/s)", "ceilingB16u", None, None),
    ("tether verify (GET /me, Bearer)", "verify", A, "ceiling A"),
    ("tether refresh (rotation, each token once)", "refresh", B, "ceiling B"),
    ("the same refreshes, against ceiling B16", "refresh", B16, "ceiling B16"),
] + ([
    ("the same by BENCH_OTHER_FCGI's build, alternating", "refreshOther", B16, "ceiling B16"),
] if runs("refreshOther") else []) + [
    ("tether login (scrypt %s)" % cost, "login", bound, "scrypt bound"),
    ("a static file through lighttpd, unprotected", "static", None, None),
    ("the same file protected by the authorizer (Bearer)", "protected", A, "ceiling A"),
    ("the same, one connection per worker \u2020", "protectedLow", None, None),
]
if runs("ceilingApache"):
    AA = med("ceilingApache", 0)
    rows += [
        ("ceiling A (Apache): Apache + mod_fcgid + trivial FastCGI *", "ceilingApache",
         None, None),
        ("tether verify through Apache + mod_fcgid *", "verifyApache", AA,
         "ceiling A (Apache)"),
        ("tether refresh through Apache + mod_fcgid *", "refreshApache", B, "ceiling B"),
        ("a static file through Apache, unprotected *", "staticApache", None, None),
        ("the same file protected (FcgidAccessChecker, Bearer) *", "protectedApache", AA,
         "ceiling A (Apache)"),
        ("tether verify as plain CGI (Apache + mod_cgid) *", "verifyCgi", AA,
         "ceiling A (Apache)"),
    ]
now = datetime.datetime.now(datetime.timezone.utc)
out = []
out.append("# tether benchmarks, %s%s\n" % (now.strftime("%Y-%m-%d %H:%M UTC"),
                                             " (tiny mode: not a measurement)" if tiny else ""))
out.append("Machine: %d cores (%s), %s RAM, Linux; %s; %s; wrk %s.\n" % (
    cores, cpu(), mem(), version(["lighttpd", "-v"]),
    version(["psql", "--version"]), version(["wrk", "-v"]).split(" ")[1]
    if version(["wrk", "-v"]) != "?" else "?"))
out.append("Each workload: wrk -t%s -c%s -d%s --latency, %s repetitions, medians. "
           "%s FastCGI workers (= database connections); ceiling B runs pgbench "
           "-M prepared with %s connections, in two pipelined round trips per "
           "refresh as tether sends them; PostgreSQL with synchronous_commit on.%s\n"
           % (threads, conns, dur, reps, procs, procs,
              " The logins: -d%s each, after the previous run's leftovers "
              "(logins wrk gave up on, still hashed) are done."
              % os.environ["BENCH_LOGIN_DUR"] if os.environ.get("BENCH_LOGIN_DUR") else ""))
out.append("| workload | req/s | p50 ms | p99 ms | errors | ratio | of |")
out.append("|---|---:|---:|---:|---:|---:|---|")
for label, name, ceil, of in rows:
    rps = med(name, 0)
    p50 = med(name, 1)
    p99 = med(name, 2)
    ratio = "%.0f %%" % (100 * rps / ceil) if ceil else ""
    out.append("| %s | %.0f | %.2f | %s | %d | %s | %s |" % (
        label, rps, p50, "%.2f" % p99, errors(name), ratio,
        of or ""))
out.append("")
out.append("\u2020 wrk -c%s, one connection per worker: what one authorizer check adds to "
           "a request, without the queueing of %s connections on %s workers.\n"
           % (procs, conns, procs))
if runs("ceilingApache"):
    out.append("\\* Through Apache, wrk -c%s with %s workers. mod_fcgid makes a request "
               "that finds every worker busy wait for one in steps of a second, and it "
               "starts workers only on demand, so it is run with no more connections than "
               "workers; the p99 near one second is that wait, hit by the few requests that "
               "arrive while every started worker is busy.\n" % (apache_conns, procs))
out.append("One scrypt hash at %s: %.1f ms; the login bound is cores / hash time = %.1f/s.\n"
           % (cost, scrypt_s * 1000, bound))
r0, r1, r2, rr, rl = (kib_list(x) for x in (rss0, rss1, rss2, rssr, rssl))
out.append("Worker RSS (KiB, each worker): at start %s; after the first 100 000 "
           "verifies %s; after %s verifies %s; after %s refreshes %s; after the logins %s.\n"
           % (r0, r1, verify_n, r2, refresh_n, rr, rl))
if floor:
    out.append("Memory floor: a process that links what a worker links (libpq, "
               "libcrypto, json-c, libfcgi), starts as a worker starts and does each "
               "thing a worker does once (a query, SHA-256, HMAC, random bytes, "
               "scrypt, JSON) has an RSS of %s KiB (bench/rss_floor.c).\n" % floor)
detail = os.path.join(tmp, "rss_detail.md")
if os.path.exists(detail) and os.path.getsize(detail) > 0:
    out.append("What the RSS after the logins is made of (from /proc/PID/smaps; "
               "file-backed pages are shared libraries, mostly shared with the "
               "other workers):\n")
    with open(detail) as f:
        out.append(f.read())
total_errors = sum(errors(n) for _, n, _, _ in rows)
if total_errors:
    out.append("**This run had %d errors (non-2xx or socket errors, or an exhausted "
               "token pool): its figures are not valid.**\n" % total_errors)
text = "\n".join(out) + "\n"
print(text)
if not tiny:
    os.makedirs(os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"),
                exist_ok=True)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results",
                        now.strftime("%Y-%m-%d") + ".md")
    with open(path, "w") as f:
        f.write(text)
    print("written to %s" % os.path.relpath(path))
