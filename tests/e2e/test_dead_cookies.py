"""e2e dead_cookies: a browser whose session has ended still sends its
cookies (they outlive the session by session_retention) and is told why:
an idle session's access cookie and refresh cookie get 401
SESSION_IDLE_TIMEOUT with idle_for_s, and no 401 sets or deletes a
cookie. The logout report that follows (sendBeacon: text/plain, no CSRF
header, the CSRF value in the body) is recorded as that user's; one
without the CSRF value is not. (The absolute lifetime is tested in
tests/integration/test_api.c, with an injected clock.)"""

import time
import uuid

import e2e

COOKIE_TRANSPORT = {"X-Token-Transport": "cookie"}
BEACON = {"Content-Type": "text/plain;charset=UTF-8"}


def main(s):
    c = e2e.Client(cookies=True)
    email = e2e.new_user(s, c, "dead-cookies")

    e2e.align_to_second()
    t0 = time.time()
    r = e2e.login(c, email, headers=COOKIE_TRANSPORT)
    s.status(r, 200, "login by cookie")
    sid = r.field("session", "id")
    idle = r.field("session", "idle_timeout_s") or 0
    max_age = {ck["attrs"].get("max-age") for ck in e2e.parse_set_cookies(r)}
    s.check(len(max_age) == 1 and int(max_age.pop() or 0) > r.field("refresh_expires_at")
            - r.field("server_time"), "the cookies outlive the refresh token", repr(r))
    if not 0 < idle <= e2e.MAX_WAIT - 2:
        s.skip("idle timeout (%ss) too long to wait for" % idle)
        return

    e2e.sleep_until(t0, idle + 1.2)
    r = c.get("/me")
    s.unauthorized(r, "SESSION_IDLE_TIMEOUT", "GET /me with the cookie of an idle session",
                   ended_reason="IDLE_TIMEOUT")
    s.check(isinstance(r.field("idle_for_s"), int) and r.field("idle_for_s") >= idle,
            "the 401 says how long it was idle", repr(r))
    s.check(isinstance(r.field("ended_at"), int), "the 401 says when it ended", repr(r))
    s.eq(r.header_all("Set-Cookie"), [], "the 401 sets no cookie")

    hdrs = dict(COOKIE_TRANSPORT, **{"X-CSRF-Token": c.cookie("tether_csrf") or ""})
    r = c.post("/refresh", headers=hdrs)
    s.unauthorized(r, "SESSION_IDLE_TIMEOUT", "POST /refresh with the refresh cookie",
                   ended_reason="IDLE_TIMEOUT")
    s.eq(r.header_all("Set-Cookie"), [], "the refresh 401 sets no cookie")
    s.check(c.cookie("tether_access") is not None and c.cookie("tether_refresh") is not None,
            "the browser keeps its cookies after the 401s")

    # What navigator.sendBeacon sends: a text/plain Blob, the cookies, no
    # custom header; the front end puts the CSRF value in the body.
    marker = "e2e-beacon-%s" % uuid.uuid4().hex[:8]
    body = ('{"type":"IDLE_TIMEOUT","message":"%s","idle_minutes":0.05,"csrf":"%s"}'
            % (marker, c.cookie("tether_csrf") or "")).encode()
    r = c.request("POST", "/logout-event", body=body, headers=BEACON)
    s.status(r, 202, "a beacon report by cookie, without X-CSRF-Token")
    # The same without the CSRF value (what a same-site page could forge):
    # taken, but not the user's.
    forged = "e2e-forged-%s" % uuid.uuid4().hex[:8]
    body = ('{"type":"USER_ACTION","message":"%s"}' % forged).encode()
    r = c.request("POST", "/logout-event", body=body, headers=BEACON)
    s.status(r, 202, "a beacon report by cookie without the CSRF value")

    other = e2e.Client()
    r = e2e.login(other, email)
    s.status(r, 200, "sign in again")
    r = other.get("/logout-events", token=r.field("access_token"))
    s.status(r, 200, "GET /logout-events")
    events = r.field("events") or []
    mine = [e for e in events if e.get("kind") == "report" and e.get("message") == marker]
    s.eq(len(mine), 1, "the beacon report is the user's own")
    s.eq([e for e in events if e.get("message") == forged], [],
         "a report without a proof it is not forged is not in the user's timeline")
    for e in mine:
        s.eq(e.get("session_id"), sid, "the report names the ended session")
        s.eq(e.get("type"), "IDLE_TIMEOUT", "the report's type")
    ends = [e for e in events if e.get("kind") == "session_end" and e.get("session_id") == sid]
    s.eq([e.get("reason") for e in ends], ["IDLE_TIMEOUT"], "the session end is listed")


e2e.run("dead_cookies", main)
