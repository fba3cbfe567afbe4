"""Writes ceiling B's pgbench script from the store's own refresh
statements (argv[1] refresh_lock, argv[2] refresh_issue, as `tetherctl
bench sql` prints them): BEGIN, the locking SELECT, the rotating write,
COMMIT -- what one successful refresh executes. Each $n parameter becomes
the pgbench expression for the same value; the seeded rows
(pgbench_seed.sql) make token n findable by number.

In two round trips, as tether sends them (libpq's pipeline mode: BEGIN
with the lock, the write with COMMIT); with --unpipelined, in four, one
statement per round trip (for reference)."""

import re
import sys

NOW = "extract(epoch from clock_timestamp())::bigint"
TOKEN_ID = "(1000000000 + :n)"
LOCK = {1: "lpad(:n::text, 64, '0')"}
ISSUE = {
    1: TOKEN_ID,                                    # parent token id
    2: "md5(:n::text)::uuid",                       # session id
    3: NOW,                                         # now
    4: "md5(random()::text) || md5(random()::text)",  # new token hash
    5: "(%s + 604800)" % NOW,                       # refresh expiry
    6: "md5(random()::text)",                       # access jti
    7: "(%s + 900)" % NOW,                          # access expiry
    8: "true",                                      # rotate the parent
    9: "true",                                      # slide the idle timer
}


def substitute(sql, values):
    return re.sub(r"\$(\d+)", lambda m: values[int(m.group(1))], " ".join(sql.split()))


piped = "--unpipelined" not in sys.argv[3:]
start, end = ("\\startpipeline", "\\endpipeline") if piped else (None, None)
lines = ["\\set n random(1, :pool)",
         start, "BEGIN;", substitute(sys.argv[1], LOCK) + ";", end,
         start, substitute(sys.argv[2], ISSUE) + ";", "COMMIT;", end]
print("\n".join(line for line in lines if line is not None))
