"""e2e refresh: rotation with the refresh token in the body, concurrent
refreshes inside the grace window, reuse after it ending the session."""

import concurrent.futures
import time

import e2e


def main(s):
    c = e2e.Client()
    email = e2e.new_user(s, c, "refresh")

    r = c.post("/refresh", {"refresh_token": "A" * 43})
    s.unauthorized(r, "REFRESH_INVALID", "an unknown refresh token")

    e2e.align_to_second()
    t0 = time.time()
    r = e2e.login(c, email)
    s.status(r, 200, "login")
    rt0 = r.field("refresh_token")
    at0 = r.field("access_token")
    sid = r.field("session", "id")

    r = c.post("/refresh", {"refresh_token": rt0})
    s.status(r, 200, "refresh")
    rt1 = r.field("refresh_token")
    at1 = r.field("access_token")
    s.check(isinstance(rt1, str) and rt1 != rt0, "rotation: a new refresh token", rt1)
    s.check(isinstance(at1, str) and at1 != at0, "a new access token", at1)
    s.eq(r.field("session", "id"), sid, "the same session")
    s.status(c.get("/me", token=at1), 200, "/me with the new access token")

    # Two (here three) tabs refreshing with the same token at once: inside
    # the grace window every one succeeds, with the same successor (one
    # live chain per session), and nothing is revoked.
    with concurrent.futures.ThreadPoolExecutor(3) as ex:
        rs = list(ex.map(lambda _: c.post("/refresh", {"refresh_token": rt1}), range(3)))
    for i, r in enumerate(rs):
        s.status(r, 200, "concurrent refresh %d" % i)
    news = [r.field("refresh_token") for r in rs]
    s.check(all(isinstance(n, str) and n != rt1 for n in news),
            "every concurrent refresh got a new token", news)
    s.check(len(set(news)) == 1, "all of them the same successor", news)
    s.check(all(r.field("session", "id") == sid for r in rs), "all in the same session")
    rt2 = news[0]
    at2 = rs[0].field("access_token")
    s.status(c.get("/me", token=at2), 200, "the session survived the concurrent refreshes")

    if e2e.REUSE_GRACE > e2e.MAX_WAIT:
        s.skip("reuse after the grace window (grace %gs)" % e2e.REUSE_GRACE)
        return
    # The server counts whole seconds: wait until "now - rotated_at" is
    # past the grace for sure, well before the idle timeout.
    e2e.sleep_until(t0, e2e.REUSE_GRACE + 1.3)
    r = c.post("/refresh", {"refresh_token": rt0})
    s.unauthorized(r, "REFRESH_REUSED", "the first token again after the grace")
    r = c.post("/refresh", {"refresh_token": rt2})
    s.unauthorized(r, "SESSION_ENDED", "the newest token after the reuse",
                   ended_reason="REFRESH_REUSED")
    r = c.get("/me", token=at2)
    s.unauthorized(r, "SESSION_ENDED", "an access token of the ended session",
                   ended_reason="REFRESH_REUSED")


e2e.run("refresh", main)
