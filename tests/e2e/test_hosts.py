"""e2e hosts: two web hosts on one PostgreSQL stay consistent.

scripts/test starts two lighttpd instances ("hosts"), each with its own
workers, its own session-cache end log and metrics file, against the same
database (directly, or through PgBouncer in transaction pooling, with or
without database_listen_url), and passes:

  TETHER_E2E_URL          host A
  TETHER_E2E_URL_B        host B
  TETHER_E2E_HOSTS_CACHE  "on" when the workers keep a session cache (then
                          B's cache must be shown warm before each end), "off"
                          when they must not (transaction pooling without
                          database_listen_url: B must never answer from one)

The workers of each host serve /me with one process, so that warming B's
cache warms the very worker that answers next. A session ended on one host
(logout, revoke, logout-all, password change) must be refused on the other
with the reason of that end: without a cache at the next request; with
one, once the NOTIFY has reached the other host's worker. That is
asynchronous (PostgreSQL's listening backend forwards it when it is next
scheduled): the scenario asks again every 2 ms for up to WINDOW seconds
and prints how many stale answers came first (none in a quiet run, a few
milliseconds' worth on a loaded machine). A cache that never hears of the
end would answer for the whole activity write step (5 minutes here).
"""

import os
import re
import time

import e2e
from e2e import Client

URL_A = e2e.BASE_URL
URL_B = os.environ.get("TETHER_E2E_URL_B", "").rstrip("/")
CACHE = os.environ.get("TETHER_E2E_HOSTS_CACHE", "on")
NEW_PASSWORD = "a different horse, battery and staple"
WINDOW = 2.0


def on(base, client, method, path, **kw):
    return client.request(method, path, url=base + e2e.MOUNT + path, **kw)


def hits(s, base):
    """The host's session-cache hits (its /metrics, shared by its workers)."""
    r = on(base, Client(), "GET", "/metrics")
    m = re.search(r'^tether_session_cache_total\{result="hit"\} (\d+)$',
                  r.body.decode("utf-8", "replace"), re.M)
    s.check(r.status == 200 and m, "/metrics of %s has the cache hits" % base, repr(r))
    return int(m.group(1)) if m else 0


def warm(s, base, token, what):
    """Verifies token on host base until its cache answers (cache on), or
    shows that it never does (cache off)."""
    before = hits(s, base)
    for i in range(3):
        r = on(base, Client(), "GET", "/me", token=token)
        s.status(r, 200, "%s: /me on %s (%d)" % (what, base, i + 1))
    got = hits(s, base) - before
    if CACHE == "on":
        s.check(got >= 2, "%s: the cache of %s answered" % (what, base),
                "%d hits of 3" % got)
    else:
        s.eq(got, 0, "%s: %s keeps no session cache" % (what, base))


def sign_in(s, base, client, email, what):
    r = on(base, client, "POST", "/login", json_body={"email": email, "password": e2e.PASSWORD})
    s.status(r, 200, "%s: login on %s" % (what, base))
    return r.json or {}


def user(s, tag):
    email = e2e.unique_email(tag)
    r = on(URL_A, Client(), "POST", "/register",
           json_body={"email": email, "password": e2e.PASSWORD})
    s.status(r, 201, "register %s" % tag)
    return email


def ended(s, base, token, reason, what):
    """Asks base until it refuses token (for at most WINDOW seconds), and
    says how many stale answers came first, and how late the refusal."""
    t0 = time.monotonic()
    stale = 0
    while True:
        r = on(base, Client(), "GET", "/me", token=token)
        if r.status != 200 or time.monotonic() - t0 > WINDOW:
            break
        stale += 1
        time.sleep(0.002)
    print("# %s: %d stale answer(s) on %s, refused after %.1f ms"
          % (what, stale, base, (time.monotonic() - t0) * 1000))
    s.unauthorized(r, "SESSION_ENDED", "%s: /me on %s" % (what, base), ended_reason=reason)
    if CACHE == "off":
        s.eq(stale, 0, "%s: without a cache the next request is refused" % what)


def logout(s, a, b):
    c = Client()
    email = user(s, "hosts-logout")
    t = sign_in(s, a, c, email, "logout")
    warm(s, b, t.get("access_token"), "logout")
    r = on(a, c, "POST", "/logout", token=t.get("access_token"))
    s.status(r, 200, "logout on %s" % a)
    ended(s, b, t.get("access_token"), "USER_LOGOUT", "logout on %s" % a)


def revoke(s):
    c = Client()
    email = user(s, "hosts-revoke")
    keep = sign_in(s, URL_A, c, email, "revoke")
    gone = sign_in(s, URL_A, c, email, "revoke")
    warm(s, URL_B, gone.get("access_token"), "revoke")
    warm(s, URL_B, keep.get("access_token"), "revoke (the other session)")
    sid = (gone.get("session") or {}).get("id")
    r = on(URL_A, c, "DELETE", "/sessions/%s" % sid, token=keep.get("access_token"))
    s.status(r, 200, "DELETE /sessions/<id> on A")
    ended(s, URL_B, gone.get("access_token"), "REVOKED_BY_USER", "revoke on A")
    r = on(URL_B, Client(), "GET", "/me", token=keep.get("access_token"))
    s.status(r, 200, "revoke on A: the revoking session still works on B")


def logout_all(s):
    c = Client()
    email = user(s, "hosts-all")
    one = sign_in(s, URL_A, c, email, "logout-all")
    two = sign_in(s, URL_A, c, email, "logout-all")
    warm(s, URL_B, two.get("access_token"), "logout-all")
    r = on(URL_A, c, "POST", "/logout-all", token=one.get("access_token"))
    s.status(r, 200, "POST /logout-all on A")
    s.eq(r.field("ended"), 2, "logout-all ended both sessions")
    ended(s, URL_B, two.get("access_token"), "LOGOUT_ALL", "logout-all on A")
    ended(s, URL_B, one.get("access_token"), "LOGOUT_ALL", "logout-all on A (its own)")


def password(s):
    c = Client()
    email = user(s, "hosts-password")
    one = sign_in(s, URL_A, c, email, "password")
    two = sign_in(s, URL_A, c, email, "password")
    warm(s, URL_B, two.get("access_token"), "password")
    r = on(URL_A, c, "POST", "/password", token=one.get("access_token"),
           json_body={"current_password": e2e.PASSWORD, "new_password": NEW_PASSWORD})
    s.status(r, 200, "POST /password on A")
    ended(s, URL_B, two.get("access_token"), "PASSWORD_CHANGED", "password change on A")


def main(s):
    if not URL_B:
        s.skip("two hosts (no TETHER_E2E_URL_B)")
        return
    s.check(CACHE in ("on", "off"), "TETHER_E2E_HOSTS_CACHE is on or off", CACHE)
    logout(s, URL_A, URL_B)
    logout(s, URL_B, URL_A)
    revoke(s)
    logout_all(s)
    password(s)


if __name__ == "__main__":
    e2e.run("hosts", main)
