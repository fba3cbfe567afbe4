"""e2e pooled: behind PgBouncer in transaction pooling the workers leave
nothing on the server connections they share.

Run by scripts/test at the end of e2e_pooler, after every other scenario
went through the same workers. It passes:

  TETHER_E2E_PG_LOG      the cluster's log; the workers' role logs every
                         statement in this database (log_statement = all)
  TETHER_E2E_POOLED_URL  the database through PgBouncer, as the workers' role

Checks:
  - the log shows the workers' statements, every one unnamed: a named
    prepared statement ("execute auth_lookup: ...") fails the test;
  - every server connection of the workers' pool (PgBouncer's three,
    taken at once by three sleeping queries) holds no prepared statement,
    listens on no channel, and has the server's own statement_timeout and
    lock_timeout (no session SET left behind).
"""

import os
import re
import threading

import e2e
from e2e import Client

PG_LOG = os.environ.get("TETHER_E2E_PG_LOG", "")
POOLED_URL = os.environ.get("TETHER_E2E_POOLED_URL", "")
POOL_SIZE = 3  # default_pool_size of scripts/lib.sh's pgbouncer.ini

EXECUTE = re.compile(r"LOG:  execute (\S+?): ")




def traffic(s):
    """A little of everything, so the log has fresh statements."""
    c = Client()
    t = e2e.new_session(s, c, "pooled")
    s.status(c.get("/me", token=t.get("access_token")), 200, "/me")
    r = c.post("/refresh", {"refresh_token": t.get("refresh_token")})
    s.status(r, 200, "refresh")
    s.status(c.post("/logout", token=(r.json or {}).get("access_token")), 200, "logout")


def statements(s):
    with open(PG_LOG, encoding="utf-8", errors="replace") as f:
        names = EXECUTE.findall(f.read())
    unnamed = names.count("<unnamed>")
    named = sorted(set(n for n in names if n != "<unnamed>"))
    s.check(unnamed > 0, "the server logged the workers' statements",
            "no 'execute <unnamed>' line in %s" % PG_LOG)
    s.eq(named, [], "no named prepared statement was executed")


def server_connections(s):
    sql = ("SELECT (SELECT count(*) FROM pg_prepared_statements) || ',' || "
           "(SELECT count(*) FROM pg_listening_channels()) || ',' || "
           "current_setting('statement_timeout') || ',' || current_setting('lock_timeout') "
           "FROM pg_sleep(1)")
    out = [None] * POOL_SIZE

    def one(i):
        out[i] = e2e.psql(POOLED_URL, sql)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(POOL_SIZE)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, (ok, got) in enumerate(out):
        s.check(ok, "a query through pgbouncer (%d)" % (i + 1), got)
        s.eq(got, "0,0,0,0", "server connection %d: no prepared statement, no LISTEN, "
             "the server's own timeouts" % (i + 1))


def main(s):
    if not (PG_LOG and POOLED_URL and e2e.psql_binary()):
        s.skip("no pooler (TETHER_E2E_PG_LOG, TETHER_E2E_POOLED_URL, psql)")
        return
    traffic(s)
    statements(s)
    server_connections(s)


if __name__ == "__main__":
    e2e.run("pooled", main)
