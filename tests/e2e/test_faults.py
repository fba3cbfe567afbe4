"""e2e faults: the database frozen, killed or full, a worker killed mid-refresh.

Each scenario checks that no request hangs or gets a 401 for a database
fault (503 with Retry-After instead), that everything recovers by itself,
and that nothing is lost. The workers run with short database timeouts
(scripts/test: TETHER_DATABASE_*_TIMEOUT); without them the frozen
database hangs every worker and the first scenario fails.

scripts/test passes TETHER_E2E_PG_PIDFILE (the cluster's postmaster.pid:
its processes are found from that PID, never by name), TETHER_E2E_PG_START
(a shell command that starts the cluster), TETHER_E2E_DATABASE_URL (the
workers' database, for SQL checks over the Unix socket) and
TETHER_E2E_SERVER_PID (to find the workers).
"""

import concurrent.futures
import json
import os
import signal
import socket
import struct
import subprocess
import threading
import time
import urllib.parse

import e2e

PIDFILE = os.environ.get("TETHER_E2E_PG_PIDFILE", "")
PG_START = os.environ.get("TETHER_E2E_PG_START", "")
SERVER_PID = os.environ.get("TETHER_E2E_SERVER_PID", "")
# Longer than any configured database timeout can make a request wait
# (connect + statement + slack, twice over for a queued request): a
# request still unanswered then is a hung worker.
HANG_S = 25


# ---- a minimal PostgreSQL client (no driver in the test environment)

def conninfo():
    """host, dbname and user of TETHER_E2E_DATABASE_URL (key=value form)."""
    out, s, i = {}, e2e.DATABASE_URL, 0
    while i < len(s):
        while i < len(s) and s[i] == " ":
            i += 1
        eq = s.find("=", i)
        if eq < 0:
            break
        key, i, val = s[i:eq].strip(), eq + 1, ""
        if i < len(s) and s[i] == "'":
            i += 1
            while i < len(s) and s[i] != "'":
                if s[i] == "\\":
                    i += 1
                val += s[i]
                i += 1
            i += 1
        else:
            while i < len(s) and s[i] != " ":
                val += s[i]
                i += 1
        out[key] = val
    return out


class PgConn:
    """One connection over the Unix socket (trust authentication)."""

    def __init__(self, app="tether-e2e-faults"):
        ci = conninfo()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(os.path.join(ci["host"], ".s.PGSQL.5432"))
        params = b"".join(k.encode() + b"\0" + v.encode() + b"\0" for k, v in (
            ("user", ci["user"]), ("database", ci["dbname"]), ("application_name", app)))
        body = struct.pack("!i", 196608) + params + b"\0"
        self.sock.sendall(struct.pack("!i", len(body) + 4) + body)
        self.error = self._until_ready()[1]

    def _read(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("the server closed the connection")
            buf += chunk
        return buf

    def _until_ready(self):
        """Reads to ReadyForQuery: (rows of text, the first error or None)."""
        rows, error = [], None
        while True:
            kind = self._read(1)
            (n,) = struct.unpack("!i", self._read(4))
            data = self._read(n - 4)
            if kind == b"E":
                fields = dict((f[:1], f[1:].decode("utf-8", "replace"))
                              for f in data.split(b"\0") if f)
                error = error or (fields.get(b"C", "") + " " + fields.get(b"M", ""))
                if self.sock is not None and kind == b"E" and b"FATAL" in data:
                    return rows, error
            elif kind == b"D":
                (ncol,) = struct.unpack("!h", data[:2])
                row, p = [], 2
                for _ in range(ncol):
                    (ln,) = struct.unpack("!i", data[p:p + 4])
                    p += 4
                    row.append(None if ln < 0 else data[p:p + ln].decode())
                    p += max(ln, 0)
                rows.append(row)
            elif kind == b"Z":
                return rows, error

    def query(self, sql):
        body = sql.encode() + b"\0"
        self.sock.sendall(b"Q" + struct.pack("!i", len(body) + 4) + body)
        rows, error = self._until_ready()
        if error:
            raise RuntimeError(error)
        return rows

    def close(self):
        try:
            self.sock.sendall(b"X" + struct.pack("!i", 4))
        except OSError:
            pass
        self.sock.close()


def sql(text):
    c = PgConn()
    try:
        if c.error:
            raise RuntimeError(c.error)
        return c.query(text)
    finally:
        c.close()


# ---- processes

def postmaster():
    with open(PIDFILE) as f:
        return int(f.readline().strip())


def workers():
    return e2e.workers(SERVER_PID)


def gone(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ")[-1].split()[0] == "Z"
    except OSError:
        return True


# ---- requests

def attempt(fn):
    """fn's response, or None when it got no answer in HANG_S (a hang)."""
    try:
        return fn()
    except OSError:
        return None


def hang_client():
    c = e2e.Client()
    # Client.request's own timeout is 15 s; the bound here is HANG_S.
    c.opener.timeout = HANG_S
    return c


def refresh(c, token):
    return c.post("/refresh", {"refresh_token": token})


def wait_healthy(c, what, s, limit=30):
    deadline = time.monotonic() + limit
    while True:
        r = attempt(lambda: c.get("/health"))
        if (r is not None and r.status == 200) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    s.check(r is not None and r.status == 200, "health ok again " + what,
            r and r.status)


def check_outage_answers(s, answers, what):
    """Every answer during an outage: 503 with Retry-After, none hung, no 401."""
    s.check(len(answers) > 0, "requests ran " + what, len(answers))
    hung = [a for a in answers if a[1] is None]
    s.eq(len(hung), 0, "requests with no answer (hung workers) " + what)
    bad = [(a[0], a[1].status) for a in answers
           if a[1] is not None and a[1].status != 503]
    s.eq(bad, [], "answers other than 503 " + what)
    no_retry = [a[0] for a in answers
                if a[1] is not None and a[1].status == 503 and a[1].header("Retry-After") is None]
    s.eq(no_retry, [], "503s without Retry-After " + what)


def session_invariants(s, sids, what, one_live=True):
    """Nothing lost: no session of ours ended (none without a reason), and
    (one_live) exactly one live refresh token per session."""
    ids = ",".join("'%s'" % x for x in sids)
    ended = sql("SELECT count(*) FROM sessions WHERE id IN (%s) AND ended_at IS NOT NULL" % ids)
    s.eq(ended[0][0], "0", "sessions ended " + what)
    noreason = sql("SELECT count(*) FROM sessions WHERE ended_at IS NOT NULL AND end_reason IS NULL")
    s.eq(noreason[0][0], "0", "sessions ended without a reason " + what)
    if not one_live:
        return
    live = sql("SELECT session_id, count(*) FROM refresh_tokens WHERE session_id IN (%s) "
               "AND rotated_at IS NULL AND revoked_at IS NULL GROUP BY session_id "
               "HAVING count(*) <> 1" % ids)
    s.eq(live, [], "sessions without exactly one live refresh token " + what)


# ---- 1. PostgreSQL frozen under load

def frozen(s, email):
    c = hang_client()
    r = e2e.login(c, email)
    s.status(r, 200, "login before the freeze")
    token = r.field("refresh_token")
    pm = postmaster()
    procs = [pm] + e2e.descendants(pm)
    answers, lock = [], threading.Lock()
    os.kill(pm, signal.SIGSTOP)  # first: it starts no backend meanwhile
    try:
        procs = [pm] + e2e.descendants(pm)
        for p in procs[1:]:
            try:
                os.kill(p, signal.SIGSTOP)
            except ProcessLookupError:
                pass

        def load(i):
            cl = hang_client()
            for n, (what, fn) in enumerate([
                    ("health", lambda: cl.get("/health")),
                    ("login", lambda: e2e.login(cl, email)),
                    ("refresh", lambda: refresh(cl, token))][i % 3:][:2]):
                res = attempt(fn)
                with lock:
                    answers.append(("%s %d.%d" % (what, i, n), res))

        with concurrent.futures.ThreadPoolExecutor(4) as ex:
            list(ex.map(load, range(4)))
    finally:
        for p in procs:
            try:
                os.kill(p, signal.SIGCONT)
            except ProcessLookupError:
                pass
    check_outage_answers(s, answers, "while PostgreSQL is frozen")
    wait_healthy(c, "after SIGCONT", s)
    # (The session of before has idled out meanwhile: a new one.)
    r = e2e.login(c, email)
    s.status(r, 200, "a login after SIGCONT")
    s.status(c.get("/me", token=r.field("access_token")), 200, "/me after SIGCONT")
    s.status(refresh(c, r.field("refresh_token")), 200, "a refresh after SIGCONT")


# ---- 2. PostgreSQL killed and restarted under a refresh load

def killed(s, c, email):
    # The test cluster runs with synchronous_commit = off: a commit it
    # acknowledged could die with it. A real deployment keeps it on.
    db = conninfo()["dbname"]
    sql("ALTER DATABASE %s SET synchronous_commit = on" % db)
    sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
        "current_database() AND pid <> pg_backend_pid()")
    chains = []
    # remember_me: no idle timeout (the e2e workers' is 3 s, shorter than
    # the outage); what ends a session here is a fault, not idleness.
    for i in range(4):
        r = e2e.login(c, email, remember_me=True)
        s.status(r, 200, "login %d for the refresh load" % i)
        chains.append({"sid": r.field("session", "id") if r.json else None,
                       "refresh": r.field("refresh_token"),
                       "access": r.field("access_token"), "ok": 0, "503": 0, "other": []})
    sids = [x["sid"] for x in chains]
    stop = threading.Event()

    def load(ch):
        cl = hang_client()
        while not stop.is_set():
            r = attempt(lambda: refresh(cl, ch["refresh"]))
            if r is not None and r.status == 200:
                ch["refresh"], ch["access"] = r.field("refresh_token"), r.field("access_token")
                ch["ok"] += 1
            elif r is not None and r.status == 503:
                ch["503"] += 1
                time.sleep(0.1)
            else:
                ch["other"].append(r and r.status)
                return

    with concurrent.futures.ThreadPoolExecutor(len(chains)) as ex:
        futures = [ex.submit(load, ch) for ch in chains]
        time.sleep(1)
        pm = postmaster()
        procs = [pm] + e2e.descendants(pm)
        for p in procs:
            os.kill(p, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not all(gone(p) for p in procs):
            time.sleep(0.05)
        s.check(all(gone(p) for p in procs), "PostgreSQL's processes are dead")
        # The dead postmaster may stay a zombie (a container's PID 1 need
        # not reap): the PID in its stale postmaster.pid would look alive to
        # pg_ctl and the postmaster, and so would the socket's lock file.
        # Nothing of it runs any more.
        for f in (PIDFILE, os.path.join(conninfo()["host"], ".s.PGSQL.5432.lock")):
            try:
                os.unlink(f)
            except FileNotFoundError:
                pass
        time.sleep(1)  # the load meets the dead database for a while
        r = subprocess.run(PG_START, shell=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=60)
        s.check(r.returncode == 0, "PostgreSQL restarted", r.stderr[-300:])
        time.sleep(1)
        stop.set()
        for f in futures:
            f.result()
    for i, ch in enumerate(chains):
        s.eq(ch["other"], [], "refresh chain %d: answers other than 200 and 503" % i)
    s.check(sum(ch["503"] for ch in chains) > 0, "503s while the database was down",
            [ch["503"] for ch in chains])
    s.check(all(ch["ok"] > 0 for ch in chains), "refreshes answered 200",
            [ch["ok"] for ch in chains])
    wait_healthy(c, "after the restart", s)
    session_invariants(s, [x for x in sids if x], "after the kill")
    for i, ch in enumerate(chains):
        s.status(c.get("/me", token=ch["access"]), 200,
                 "chain %d: the access token of its last 200" % i)
        r = refresh(c, ch["refresh"])
        s.status(r, 200, "chain %d: the refresh token of its last 200" % i)
    sql("ALTER DATABASE %s RESET synchronous_commit" % db)


# ---- 3. a worker killed in the middle of a refresh

def worker_killed(s, c, email):
    if e2e.SERVER == "cgi" or not SERVER_PID:
        s.skip("a worker killed mid-refresh (no workers to kill)")
        return
    # remember_me: no idle timeout; the web server may take seconds to
    # start workers again.
    r = e2e.login(c, email, remember_me=True)
    s.status(r, 200, "login before the worker kill")
    sid, token = r.field("session", "id"), r.field("refresh_token")
    # The session's row held by a transaction of ours: the refresh waits
    # for it inside its own transaction, in whichever worker took it.
    holder = PgConn()
    holder.query("BEGIN")
    holder.query("SELECT id FROM sessions WHERE id = '%s' FOR UPDATE" % sid)
    waiting = []
    with concurrent.futures.ThreadPoolExecutor(1) as ex:
        fut = ex.submit(lambda: attempt(lambda: refresh(hang_client(), token)))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not waiting:
            waiting = sql("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                          "AND datname = current_database()")
        s.check(waiting, "the refresh waits on the held row", waiting)
        # Which worker runs it is not visible from here: every worker is
        # killed, that one among them (lock_timeout gives us about 1 s).
        for w in workers():
            os.kill(w, signal.SIGKILL)
        holder.query("ROLLBACK")
        holder.close()
        first = fut.result()
    s.check(first is not None, "the killed refresh got an answer (an error is fine)", first)
    r = refresh(c, token)
    s.status(r, 200, "the same refresh token retried after the kill")
    s.status(c.get("/me", token=r.field("access_token")), 200, "/me with its access token")
    r = refresh(c, r.field("refresh_token"))
    s.status(r, 200, "the family goes on")
    session_invariants(s, [sid], "after the worker kill")
    # The other side of it: a refresh whose answer never reaches the client
    # (it went away, or the worker died after the COMMIT). Whether or not
    # it was done, the retry within the grace gets a pair that works, and
    # the family keeps one live token.
    token = r.field("refresh_token")
    sock = socket.create_connection(("127.0.0.1", urllib.parse.urlsplit(e2e.BASE_URL).port))
    body = json.dumps({"refresh_token": token}).encode()
    sock.sendall(b"POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (
                     (e2e.MOUNT + "/refresh").encode(), len(body), body))
    sock.shutdown(socket.SHUT_WR)
    sock.close()  # the answer is never read
    r = refresh(c, token)
    s.status(r, 200, "the same refresh token retried after a lost answer")
    s.status(c.get("/me", token=r.field("access_token")), 200, "/me with the retry's token")
    s.status(refresh(c, r.field("refresh_token")), 200, "the family goes on after it")
    # A retry that found the first refresh done is a grace replay: it gets
    # the same successor (audit L7), so one live token here too.
    session_invariants(s, [sid], "after a lost answer")


# ---- 4. the database out of connections

def full(s, c, email):
    r = e2e.login(c, email, remember_me=True)  # no idle timeout meanwhile
    s.status(r, 200, "login before the database is full")
    access, token = r.field("access_token"), r.field("refresh_token")
    fillers = []
    try:
        # The workers' connections end; the slots they free are taken.
        fillers.append(PgConn("tether-e2e-filler"))
        fillers[0].query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                         "backend_type = 'client backend' AND pid <> pg_backend_pid() "
                         "AND application_name <> 'tether-e2e-filler'")
        for _ in range(200):
            f = PgConn("tether-e2e-filler")
            if f.error:
                s.check("53300" in f.error, "the server refuses: too many clients", f.error)
                f.close()
                break
            fillers.append(f)
        s.check(len(fillers) > 1, "connections hold every slot", len(fillers))
        answers = []
        for what, fn in (("health", lambda: c.get("/health")),
                         ("login", lambda: e2e.login(c, email)),
                         ("refresh", lambda: refresh(c, token))):
            answers.append((what, attempt(fn)))
        check_outage_answers(s, answers, "while the database is full")
        r = c.get("/me", token=access)
        s.check(r.status in (200, 503), "/me while full: 200 (session cache) or 503, never 401",
                r.status)
    finally:
        for f in fillers:
            f.close()
    wait_healthy(c, "once the connections are free", s)
    r = refresh(c, token)
    s.status(r, 200, "the refresh token of before, once the connections are free")
    s.status(c.get("/me", token=r.field("access_token")), 200, "/me once free")


def main(s):
    if not (PIDFILE and PG_START and e2e.DATABASE_URL):
        s.skip("database faults (no TETHER_E2E_PG_PIDFILE, _PG_START or _DATABASE_URL)")
        return
    c = e2e.Client()
    email = e2e.new_user(s, c, "faults")
    frozen(s, email)
    try:
        killed(s, c, email)
    finally:
        # Whatever failed, the cluster runs again for what follows (a no-op
        # when it does).
        subprocess.run(PG_START, shell=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)
    worker_killed(s, c, email)
    full(s, c, email)


e2e.run("faults", main)
