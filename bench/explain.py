"""bench/explain.py: EXPLAIN (ANALYZE, BUFFERS) of every statement a request
(or the cleanup) runs, on whatever the database holds (bench/run --large:
a year of data), with the statements' own SQL as `tetherctl bench sql`
prints it and real values (a live bench session, its newest token).

  explain.py gen TETHERCTL      psql script on stdout
  explain.py report OUT         markdown on stdout; exit 1 if a plan reads
                                a table of the schema with a Seq Scan
                                (login_attempts excepted: see TINY)

Each statement is PREPAREd and EXECUTEd with plan_cache_mode =
force_generic_plan: the plan a worker's prepared statement can settle on
after its fifth run, whatever the values. Writes run inside a transaction
that is rolled back."""

import re
import subprocess
import sys

# (statement, what it serves, parameters as psql expressions).
NOW = ":now"
# A cleanup batch's mark: the first batch of a run starts from the beginning.
MARK = "'-infinity'"
STMTS = [
    ("auth_lookup", "verify (GET /me): session, user, blacklist check",
     [":'sid'", ":'jti'"]),
    ("session_touch", "verify: activity write", [":'sid'", NOW]),
    ("refresh_lock", "refresh: lock token and session", [":'hash'"]),
    ("refresh_issue", "refresh: rotate, issue, slide, audit",
     [":tid", ":'sid'", NOW, "'%s'" % ("e" * 64), "%s + 604800" % NOW, "'explain-jti'",
      "%s + 900" % NOW, "true", "true"]),
    ("refresh_reissue", "refresh within the grace: hand out the successor again",
     [":tid", ":'sid'", NOW, ":'hash'", ":'jti'", "%s + 900" % NOW, "true"]),
    ("refresh_session", "logout by refresh token: its session", [":'hash'"]),
    ("session_refresh_expiry", "session info: newest token's expiry", [":'sid'"]),
    ("credential_by_email", "login: account lookup", ["'login@tether.invalid'"]),
    ("throttle_count", "login: attempts in the window",
     ["'login@tether.invalid'", "%s - 900" % NOW]),
    ("throttle_add", "login: a failed attempt", ["'login@tether.invalid'", NOW]),
    ("session_create", "login: session, first token, audit",
     [":uid", NOW, "1800", "%s + 43200" % NOW, "false", "''", "'explain'", "'127.0.0.1'",
      "'%s'" % ("f" * 64), "%s + 604800" % NOW, "'explain-jti-2'", "%s + 900" % NOW]),
    ("session_lock", "logout: lock the session", [":'sid'"]),
    ("session_end", "logout: end, revoke, blacklist, audit",
     [":'sid'", ":uid", "'USER_LOGOUT'", NOW, NOW]),
    # A seeded user's (the bench user has every session of the pool).
    ("user_sessions_lock", "logout everywhere: lock the user's sessions", [":uid2"]),
    ("sessions_end_all", "logout everywhere: end them",
     [":uid2", "NULL", "'LOGOUT_ALL'", NOW]),
    ("sessions_list", "session list", [":uid2"]),
    ("auth_event_once", "audit of a failure (one row per burst)",
     [NOW, "'login_failed'", "0", "NULL", "'INVALID_CREDENTIALS'", "'127.0.0.1'", "'x'",
      "60"]),
    ("clean_expire_sessions", "cleanup: end live sessions past their end", [NOW, "1000", MARK]),
    ("clean_blacklist", "cleanup: blacklist", [NOW, "1000", MARK]),
    ("clean_refresh", "cleanup: refresh tokens", [NOW, "1000", MARK, MARK]),
    ("clean_sessions", "cleanup: ended sessions past retention",
     [NOW, "1000", "2592000", MARK]),
    ("clean_logout_events", "cleanup: logout reports", [NOW, "1000", "7776000", MARK]),
    ("clean_auth_events", "cleanup: audit events", [NOW, "1000", "7776000", MARK]),
    ("clean_attempts", "cleanup: login attempts", [NOW, "1000", "900", MARK]),
    ("stats", "/metrics and tetherctl stats", [NOW]),
    ("session_lifetimes", "/metrics: session lifetimes within retention",
     [NOW, "2592000", "'{60,300,900,1800,3600,7200,14400,28800,43200,86400,604800,2592000}'"]),
]
WRITES = ("touch", "issue", "reissue", "throttle_add", "create", "end", "clean_", "once",
          "lock")
# Holds only the failures of the last login_window (the cleanup deletes
# the rest): a sequential scan of it is the right plan, not a finding.
TINY = ("login_attempts",)
TABLES = ("users", "sessions", "refresh_tokens", "access_blacklist", "logout_events",
          "auth_events", "login_attempts")


def gen(tetherctl):
    out = ["\\pset pager off", "SET plan_cache_mode = force_generic_plan;",
           # A live bench session (bench/run minted them), its newest token.
           "SELECT s.id AS sid, s.user_id AS uid, t.id AS tid, t.token_hash AS hash, "
           "t.access_jti AS jti, extract(epoch FROM now())::bigint AS now "
           "FROM sessions s JOIN refresh_tokens t ON t.session_id = s.id "
           "WHERE s.device_id = 'bench' AND s.ended_at IS NULL AND t.rotated_at IS NULL "
           "ORDER BY t.id DESC LIMIT 1 \\gset",
           "SELECT coalesce(max(user_id), :uid) AS uid2 FROM (SELECT user_id FROM sessions "
           "WHERE ended_at IS NULL AND device_id LIKE 'seed-%' LIMIT 1) s \\gset"]
    for name, _, params in STMTS:
        sql = subprocess.run([tetherctl, "bench", "sql", name], capture_output=True,
                             text=True, check=True).stdout.strip()
        write = any(w in name for w in WRITES)
        out.append("\\echo '@@@ %s'" % name)
        if write:
            out.append("BEGIN;")
        out.append("PREPARE %s AS %s;" % (name, " ".join(sql.split())))
        out.append("EXPLAIN (ANALYZE, BUFFERS) EXECUTE %s(%s);" % (name, ", ".join(params)))
        out.append("ROLLBACK;" if write else "DEALLOCATE %s;" % name)
    print("\n".join(out))


def report(path):
    text = open(path).read()
    parts = re.split(r"^@@@ (\S+)\n", text, flags=re.M)
    plans = dict(zip(parts[1::2], parts[2::2]))
    bad = []
    print("| statement | serves | scans | time (ms) |")
    print("|---|---|---|---:|")
    for name, what, _ in STMTS:
        plan = plans.get(name, "")
        idx = sorted(set(re.findall(r"Index (?:Only )?Scan(?: Backward)? using (\w+)", plan) +
                         re.findall(r"Bitmap Index Scan on (\w+)", plan)))
        seqs = sorted(set(m for m in re.findall(r"Seq Scan on (\w+)", plan)
                          if m in TABLES and m not in TINY))
        t = re.search(r"Execution Time: ([0-9.]+) ms", plan)
        desc = ", ".join(idx) or "-"
        if seqs:
            desc += "; **Seq Scan on %s**" % ", ".join(seqs)
            bad.append(name)
        if not t:
            desc = "**no plan**"
            bad.append(name)
        print("| %s | %s | %s | %s |" % (name, what, desc, t.group(1) if t else "-"))
    print()
    print("<details><summary>The plans</summary>\n")
    for name, _, _ in STMTS:
        body = "\n".join(l for l in plans.get(name, "").splitlines()
                         if l.strip() and not re.match(r"^(BEGIN|ROLLBACK|PREPARE|"
                                                       r"DEALLOCATE|SET)$", l.strip()))
        print("`%s`\n\n```\n%s\n```\n" % (name, body))
    print("</details>")
    if bad:
        print("\nNot an index scan: %s" % ", ".join(bad))
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "gen":
        gen(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "report":
        sys.exit(report(sys.argv[2]))
    else:
        sys.exit("usage: explain.py gen TETHERCTL | report OUT")
