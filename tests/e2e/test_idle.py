"""e2e idle: the idle timeout ends a session nobody uses, and a request
with X-Activity: background (monitors, the debug panel) does not keep it
alive, while an ordinary request or a refresh does."""

import time

import e2e

BACKGROUND = {"X-Activity": "background"}


def main(s):
    c = e2e.Client()
    email_a = e2e.new_user(s, c, "idle-a")
    email_b = e2e.new_user(s, c, "idle-b")

    # A: used (slides). B: only polled in the background (does not slide).
    e2e.align_to_second()
    t0 = time.time()
    a = e2e.login(c, email_a)
    b = e2e.login(c, email_b)
    s.status(a, 200, "login A")
    s.status(b, 200, "login B")
    idle = b.field("session", "idle_timeout_s") or 0
    life = b.field("expires_in") or 0
    if not 0 < idle <= e2e.MAX_WAIT - 3 or life < 2:
        s.skip("idle timeout (%ss) too long to wait for" % idle)
        return
    exp_a = a.field("session", "idle_expires_at")
    exp_b = b.field("session", "idle_expires_at")

    e2e.sleep_until(t0, 1.1)
    r = c.get("/me", token=b.field("access_token"), headers=BACKGROUND)
    s.status(r, 200, "B: background GET /me")
    left = r.header("X-Session-Idle-Expires-In")
    s.check(left is not None and left.isdigit() and int(left) <= idle - 1,
            "B: the background request did not reset the idle timer", left)
    r = c.get("/session-info", token=b.field("access_token"), headers=BACKGROUND)
    s.status(r, 200, "B: background GET /session-info")
    s.eq(r.field("session", "idle_expires_at"), exp_b, "B: idle_expires_at unchanged")

    r = c.get("/me", token=a.field("access_token"))
    s.status(r, 200, "A: ordinary GET /me")
    r = c.get("/session-info", token=a.field("access_token"), headers=BACKGROUND)
    s.status(r, 200, "A: background GET /session-info")
    got = r.field("session", "idle_expires_at")
    s.check(isinstance(got, int) and isinstance(exp_a, int) and got >= exp_a + 1,
            "A: the ordinary request slid the idle timer", (got, exp_a))

    # A refreshes once its access token has expired (a refresh slides too).
    e2e.sleep_until(t0, life + 0.2)
    r = c.post("/refresh", {"refresh_token": a.field("refresh_token")})
    s.status(r, 200, "A: refresh")
    a_rt = r.field("refresh_token")

    # Past B's idle timeout (counted from its login), before A's.
    e2e.sleep_until(t0, idle + 1.25)
    r = c.get("/me", token=b.field("access_token"))
    s.unauthorized(r, "SESSION_IDLE_TIMEOUT", "B: /me after the idle timeout")
    r = c.post("/refresh", {"refresh_token": b.field("refresh_token")})
    s.unauthorized(r, "SESSION_IDLE_TIMEOUT", "B: refresh after the idle timeout")
    r = c.post("/refresh", {"refresh_token": a_rt})
    s.status(r, 200, "A: still alive, refresh works")


e2e.run("idle", main)
