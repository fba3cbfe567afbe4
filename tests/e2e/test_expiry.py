"""e2e expiry: the timer headers on authenticated answers, and an access
token past its lifetime refused with TOKEN_EXPIRED (the session lives on:
a refresh works)."""

import time

import e2e


def main(s):
    c = e2e.Client()
    email = e2e.new_user(s, c, "expiry")

    e2e.align_to_second()
    t0 = time.time()
    r = e2e.login(c, email)
    s.status(r, 200, "login")
    at = r.field("access_token") or ""
    rt = r.field("refresh_token")
    life = r.field("expires_in") or 0
    idle = r.field("session", "idle_timeout_s") or 0

    r = c.get("/me", token=at)
    s.status(r, 200, "GET /me")
    tok = r.header("X-Token-Expires-In")
    idl = r.header("X-Session-Idle-Expires-In")
    s.check(tok is not None and tok.isdigit() and 0 <= int(tok) <= life,
            "X-Token-Expires-In within the lifetime", tok)
    s.check(idl is not None and idl.isdigit() and 0 <= int(idl) <= max(idle, 1),
            "X-Session-Idle-Expires-In within the idle timeout", idl)
    if 0 < life < 300 and 0 < idle < 300:
        warning = r.header("X-Session-Warning") or ""
        s.check(warning in ("idle", "token"), "X-Session-Warning inside the warning window",
                warning)

    if life > e2e.MAX_WAIT or (idle and idle <= life + 0.5):
        s.skip("expiry (lifetime %ss, idle timeout %ss)" % (life, idle))
        return
    e2e.sleep_until(t0, life + 0.3)
    r = c.get("/me", token=at)
    s.unauthorized(r, "TOKEN_EXPIRED", "/me after the access token's lifetime")
    r = c.post("/refresh", {"refresh_token": rt})
    s.status(r, 200, "refresh after the access token expired")
    s.status(c.get("/me", token=r.field("access_token")), 200, "/me with the new token")


e2e.run("expiry", main)
