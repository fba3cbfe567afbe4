"""e2e resilience: what the server and the workers survive.

- PostgreSQL stopped in the middle: every API request that needs it gets
  503 with Retry-After (never 401), the static pages still load; started
  again, the workers reconnect by themselves and the session signed in
  before refreshes.
- A worker killed with SIGKILL while requests are in flight: the web
  server starts another, and every request after that succeeds.

scripts/test passes TETHER_E2E_PG_STOP and TETHER_E2E_PG_START (shell
commands that stop and start the cluster) and TETHER_E2E_SERVER_PID (the
web server's PID, to find its workers); without them the parts that need
them are skipped.
"""

import concurrent.futures
import os
import signal
import subprocess
import time

import e2e

PG_STOP = os.environ.get("TETHER_E2E_PG_STOP", "")
PG_START = os.environ.get("TETHER_E2E_PG_START", "")
SERVER_PID = os.environ.get("TETHER_E2E_SERVER_PID", "")


def workers():
    """The tether.fcgi processes below the web server."""
    return e2e.workers(SERVER_PID)


def shell(cmd):
    return subprocess.run(cmd, shell=True, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, timeout=60)


def database_outage(s, c, token, refresh_token):
    if not (PG_STOP and PG_START):
        s.skip("a database outage (no TETHER_E2E_PG_STOP/START)")
        return
    r = shell(PG_STOP)
    s.check(r.returncode == 0, "PostgreSQL stopped", r.stderr[-300:])
    try:
        r = c.get("/me", token=token)
        s.error(r, 503, "unavailable", "/me while the database is down")
        s.check(r.header("Retry-After") is not None, "503 carries Retry-After", repr(r))
        r = c.get("/health")
        s.status(r, 503, "/health while the database is down")
        r = c.post("/login", {"email": "nobody@example.com", "password": e2e.PASSWORD})
        s.error(r, 503, "unavailable", "a login while the database is down")
        r = c.request("GET", None, url=e2e.BASE_URL + "/")
        s.status(r, 200, "the front page while the database is down")
    finally:
        r = shell(PG_START)
        s.check(r.returncode == 0, "PostgreSQL started again", r.stderr[-300:])
    # The first requests may each find a worker that has not reconnected
    # yet: it reconnects on that request (never a 401 meanwhile).
    deadline = time.monotonic() + 20
    while True:
        r = c.post("/refresh", {"refresh_token": refresh_token})
        if r.status != 503 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    # The session of before lives on. (Its access token may have expired
    # meanwhile, 2 s in the e2e: its refresh token is what must work.)
    s.status(r, 200, "a refresh of the session of before once the database is back")
    token = r.field("access_token")
    for i in range(6):
        s.status(c.get("/me", token=token), 200, "/me after the outage, request %d" % i)


def worker_killed(s, c, email):
    if not SERVER_PID:
        s.skip("a worker killed (no TETHER_E2E_SERVER_PID)")
        return
    if e2e.SERVER == "cgi":
        s.skip("a worker killed (plain CGI keeps no workers)")
        return
    c.get("/health")
    before = workers()
    s.check(len(before) > 0, "the web server has workers", before)
    if not before:
        return
    stop = time.monotonic() + 1.5

    def load(_):
        statuses = []
        while time.monotonic() < stop:
            statuses.append(e2e.Client().get("/health").status)
        return statuses

    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        futures = [ex.submit(load, i) for i in range(4)]
        time.sleep(0.3)
        os.kill(before[0], signal.SIGKILL)
        during = [st for f in futures for st in f.result()]
    # Requests in flight on the killed worker may fail; none after it.
    s.check(len(during) > 0, "requests ran while the worker was killed", len(during))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and before[0] in workers():
        time.sleep(0.1)
    s.check(before[0] not in workers(), "the killed worker is gone", workers())
    ok = 0
    for i in range(20):
        r = c.get("/health")
        ok += r.status == 200
    s.eq(ok, 20, "requests after the kill that succeeded")
    r = e2e.login(c, email)
    s.status(r, 200, "a login after the kill")
    s.check(len(workers()) > 0, "the web server runs workers again", workers())


def main(s):
    c = e2e.Client()
    email = e2e.new_user(s, c, "resilience")
    # remember_me: no idle timeout to run out during the outage.
    r = e2e.login(c, email, remember_me=True)
    s.status(r, 200, "login")
    database_outage(s, c, r.field("access_token"), r.field("refresh_token"))
    worker_killed(s, c, email)


e2e.run("resilience", main)
