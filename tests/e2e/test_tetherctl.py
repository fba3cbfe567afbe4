"""e2e tetherctl: every command against the same database the workers use,
checked through its output and through the API (a disabled user's session
ends, an admin revoke reads REVOKED_BY_ADMIN, a logout report shows up in
`tetherctl events`); a client's control characters are refused in reports
and escaped in every output of stored text."""

import os
import re
import subprocess
import tempfile
import time

import e2e

CTL = os.environ.get("TETHER_E2E_TETHERCTL", "")
SQL_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "sql")
DB = os.environ.get("TETHER_E2E_DATABASE_URL", "")


def ctl(*args, stdin="", sql_dir=SQL_DIR):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TETHER_")}
    env.update(TETHER_DATABASE_URL=DB, TETHER_SIGNING_KEYS=e2e.SIGNING_KEY,
               TETHER_SCRYPT_N="1024", TETHER_SCRYPT_P="1", TETHER_SQL_DIR=sql_dir)
    p = subprocess.run([CTL] + list(args), input=stdin, capture_output=True, text=True,
                       env=env, timeout=60)
    return p.returncode, p.stdout, p.stderr


def page_views(s, c, access, before):
    """Several page views, so the workers' session caches hold the session:
    what tetherctl does next must reach them as a notification."""
    for _ in range(4):
        s.status(c.get("/me", token=access), 200, "a page view before %s" % before)


def me_after_notify(c, access):
    """GET /me after tetherctl ended the session. tetherctl is another
    process: the workers' session caches learn of the end by the
    database's NOTIFY, which reaches them a moment after the commit (a
    worker may answer from its cache until then; on a loaded machine that
    moment is not always shorter than the next request). So /me is asked
    again for up to half a second, well inside one cache lifetime (the
    activity step, 1 s here): an end that never reached a cache still
    fails."""
    deadline = time.monotonic() + 0.5
    while True:
        r = c.get("/me", token=access)
        if r.status != 200 or time.monotonic() > deadline:
            return r
        time.sleep(0.05)


def e2e_users_like_seed():
    """Seeded users, as `tetherctl users` lists them."""
    _, out, _ = ctl("user", "list")
    return out.count("@seed.tether.invalid")


def main(s):
    if not CTL or not DB:
        s.skip("tetherctl (TETHER_E2E_TETHERCTL / TETHER_E2E_DATABASE_URL not set)")
        return
    c = e2e.Client()

    rc, out, _ = ctl("--help")
    s.eq(rc, 0, "tetherctl --help exits 0")
    for cmd in ("migrate", "user", "sessions", "cleanup", "events", "stats", "keygen"):
        s.check(cmd in out, "--help lists %s" % cmd, out)
        rc, out2, _ = ctl(cmd, "--help")
        s.eq(rc, 0, "tetherctl %s --help exits 0" % cmd)
    rc, _, err = ctl("frobnicate")
    s.eq(rc, 2, "an unknown command exits 2")
    s.check("unknown command" in err, "and says so", err)

    rc, out, _ = ctl("migrate")
    s.eq((rc, out.strip()), (0, "schema up to date"), "migrate again changes nothing")
    # An empty sql_dir (an old install's, left by make uninstall) is not
    # "up to date": it is the wrong directory.
    empty = tempfile.mkdtemp(prefix="tether-nosql-")
    try:
        rc, out, err = ctl("migrate", sql_dir=empty)
    finally:
        os.rmdir(empty)
    s.check(rc == 1 and "no migrations" in err and "up to date" not in out,
            "migrate from an empty sql_dir fails and says so", (rc, out, err))
    rc, out, err = ctl("migrate", sql_dir="")
    s.check(rc == 1 and "sql_dir is empty" in err, "migrate with sql_dir unset says so",
            (rc, out, err))

    rc, out, _ = ctl("keygen", "k1")
    s.check(rc == 0 and out.startswith("k1:") and len(out.strip()) == 46, "keygen", out)

    email = e2e.unique_email("ctl")
    rc, out, err = ctl("user", "add", email, "--name", "Ctl User", stdin="pass word 123\n")
    s.check(rc == 0 and out.startswith("created user ") and email in out, "user add", out + err)
    rc, _, err = ctl("user", "add", email.upper(), stdin="pass word 123\n")
    s.check(rc == 1 and "exists" in err, "user add of an existing email fails", err)
    rc, _, err = ctl("user", "add", e2e.unique_email("short"), stdin="short\n")
    s.check(rc == 1 and "at least 8" in err, "user add refuses a short password", err)

    r = e2e.login(c, email, password="pass word 123")
    s.status(r, 200, "the new user can sign in")
    access = r.field("access_token")
    sid = r.field("session", "id")

    rc, out, _ = ctl("user", "list")
    s.check(rc == 0 and email in out and "Ctl User" in out, "user list shows the user", out)
    rc, out, _ = ctl("sessions", "list", email)
    s.check(rc == 0 and sid in out, "sessions list shows the session", out)

    page_views(s, c, access, "the revoke")
    rc, out, _ = ctl("sessions", "revoke", sid)
    s.check(rc == 0 and "ended" in out, "sessions revoke", out)
    s.unauthorized(me_after_notify(c, access), "SESSION_ENDED", "a revoked session",
                   ended_reason="REVOKED_BY_ADMIN")
    rc, out, _ = ctl("sessions", "revoke", sid)
    s.check(rc == 0 and "already" in out, "revoking again says it had ended", out)
    rc, _, err = ctl("sessions", "revoke", "00000000-0000-4000-8000-000000000000")
    s.check(rc == 1 and "no session" in err, "revoking an unknown session fails", err)

    r = e2e.login(c, email, password="pass word 123")
    access = r.field("access_token")
    page_views(s, c, access, "the disable")
    rc, out, _ = ctl("user", "disable", email)
    s.check(rc == 0 and "1 sessions ended" in out, "user disable ends the session", out)
    s.unauthorized(me_after_notify(c, access), "SESSION_ENDED", "a disabled user's session",
                   ended_reason="USER_DISABLED")
    s.status(e2e.login(c, email, password="pass word 123"), 403, "a disabled user cannot log in")
    rc, out, _ = ctl("user", "enable", email)
    s.check(rc == 0 and "enabled" in out, "user enable", out)
    s.status(e2e.login(c, email, password="pass word 123"), 200, "enabled again")

    rc, out, _ = ctl("user", "passwd", email, stdin="another pass 456\n")
    s.check(rc == 0 and "password changed" in out, "user passwd", out)
    s.status(e2e.login(c, email, password="another pass 456"), 200, "the new password works")
    rc, _, err = ctl("user", "disable", "nobody-" + email)
    s.eq(rc, 1, "disabling an unknown user fails")

    c.post("/logout-event", {"type": "IDLE_TIMEOUT", "message": "e2e idle report",
                             "idle_minutes": 31, "location": "/app.html",
                             "context": {"tab": "e2e"}})
    rc, out, _ = ctl("events", "--limit", "50")
    s.check(rc == 0 and "LOGOUT EVENT - " in out, "events prints LOGOUT EVENT blocks", out[:400])
    for field in ("Type:", "Message:", "Idle Time:", "Location:", "User:", "IP:",
                  "User Agent:", "Context:"):
        s.check(field in out, "events shows %s" % field)
    s.check("e2e idle report" in out and "REVOKED_BY_ADMIN" in out and
            "USER_DISABLED" in out, "events has the report and the session ends")

    # L1: a client's control characters never reach the operator's
    # terminal. The audit's forged block is refused at the API...
    forged = ("bye\u001b[2J\u001b]0;owned\u0007\r\n====\nLOGOUT EVENT - 2026-11-30\n"
              "User: admin@example.com (id 1)")
    r = e2e.Client().post("/logout-event", {"type": "USER_ACTION", "message": forged})
    s.error(r, 400, "invalid_request", "a report whose message has control characters")
    r = e2e.Client().post("/logout-event", {"type": "UNKNOWN", "location": "/a\u009b2J"})
    s.error(r, 400, "invalid_request", "a report whose location has a C1 control")
    # ... and whatever is stored is escaped on output: a user agent with
    # ESC and BEL (if the web server lets it through), a display name with
    # them (tetherctl stores what it is given).
    ua_marker = "e2e-ua-%s" % os.getpid()
    r = e2e.Client().post("/logout-event", {"type": "UNKNOWN", "message": "ua check"},
                          headers={"User-Agent": ua_marker + "\x1b]0;owned\x07"})
    name_email = e2e.unique_email("ctl-esc")
    rc, out, err = ctl("user", "add", name_email, "--name", "Evil\x1b[2J\x07\u009bName",
                       stdin="pass word 123\n")
    s.eq(rc, 0, "user add with control characters in the name")
    rc, out, _ = ctl("user", "list")
    s.check("Evil\\x1b[2J\\x07\\xc2\\x9bName" in out, "user list escapes the name", out[-400:])
    s.check(not any(ch in out for ch in "\x1b\x07\u009b"),
            "user list prints no raw control character", repr(out[-400:]))
    rc, out, _ = ctl("events", "--limit", "50")
    s.check(not any(ch in out for ch in "\x1b\x07\r\u009b"),
            "events prints no raw control character", repr(out[:400]))
    # lighttpd refuses such a header itself (400); a server that passes it
    # on must see it escaped.
    s.check(r.status in (202, 400), "a user agent with ESC and BEL: stored or refused",
            r.status)
    if r.status == 202:
        s.check(ua_marker + "\\x1b]0;owned\\x07" in out, "events escapes the user agent",
                out[:800])

    rc, out, _ = ctl("stats")
    s.check(rc == 0 and "active sessions" in out and "refreshes in the last hour" in out,
            "stats", out)
    # The session revoked above, by reason and lifetime (seconds: the first
    # bucket, up to a minute), in both windows.
    rows = re.findall(r"^  REVOKED_BY_ADMIN +(\d+) +(\d+) ", out, re.M)
    s.check("sessions ended in the last hour" in out and "sessions ended in the last 24 hours"
            in out and len(rows) == 2 and all(int(n) >= 1 and int(b) >= 1 for n, b in rows),
            "stats: the lifetimes of the sessions ended, by reason", out)

    rc, out, _ = ctl("cleanup")
    s.check(rc == 0 and "refresh_tokens deleted" in out and "login_attempts deleted" in out,
            "cleanup prints per table", out)
    rc, out, _ = ctl("cleanup", "--pause", "0")
    s.check(rc == 0 and "session_end_counts deleted" in out and re.search(r"^in [0-9.]+ s$", out, re.M),
            "cleanup --pause 0 (no pause: off-peak) prints per table and its time", out)
    for bad in (["--pause"], ["--pause", "x"], ["--pause", "-1"], ["--pause", "10001"],
                ["--paws", "10"]):
        rc, _, err = ctl("cleanup", *bad)
        s.check(rc == 2 and ("usage: tetherctl cleanup" in err or "--pause takes" in err),
                "cleanup %s is a usage error" % " ".join(bad), err)

    # A replica (README, "Scaling out") serves the commands that only read:
    # every transaction read-only, as on a hot standby.
    ro = dict(os.environ, PGOPTIONS="-c default_transaction_read_only=on")
    for args, what in ((("stats",), "users"), (("events",), ""),
                       (("sessions", "list"), "")):
        env = {k: v for k, v in ro.items() if not k.startswith("TETHER_")}
        env.update(TETHER_DATABASE_URL=DB, TETHER_SIGNING_KEYS=e2e.SIGNING_KEY)
        p = subprocess.run([CTL] + list(args), capture_output=True, text=True, env=env,
                           timeout=60)
        s.check(p.returncode == 0 and what in p.stdout,
                "tetherctl %s works on a read-only connection (a replica)" % " ".join(args),
                p.stderr)
    p = subprocess.run([CTL, "cleanup"], capture_output=True, text=True, env=env, timeout=60)
    s.check(p.returncode == 1 and "read-only transaction" in p.stderr,
            "tetherctl cleanup refuses to run on a read-only connection, saying why",
            p.stderr)
    # bench seed writes millions of rows: a bad scale is refused before
    # anything is written (the seeding itself: test_store, at 1/1000).
    for bad in (["--scale", "0"], ["--scale", "x"], ["--scale", "11"], ["--scal", "1"]):
        rc, _, err = ctl("bench", "seed", *bad)
        s.check(rc == 2 and "usage: tetherctl bench seed" in err,
                "bench seed %s is a usage error" % " ".join(bad), err)
    s.eq(e2e_users_like_seed(), 0, "and nothing was seeded")

    env = {k: v for k, v in os.environ.items() if not k.startswith("TETHER_")}
    env.update(TETHER_DATABASE_URL="host=/nonexistent-tether dbname=x",
               TETHER_SIGNING_KEYS=e2e.SIGNING_KEY)
    p = subprocess.run([CTL, "stats"], capture_output=True, text=True, env=env, timeout=60)
    s.check(p.returncode == 1 and "database unavailable" in p.stderr,
            "an unreachable database is a clear error", p.stderr)


e2e.run("tetherctl", main)
