"""e2e logout: logout ends the session (USER_LOGOUT) for its access and
refresh tokens and is idempotent; logout-all ends every session."""

import e2e


def main(s):
    c = e2e.Client()
    email = e2e.new_user(s, c, "logout")

    e2e.align_to_second()
    r = e2e.login(c, email)
    s.status(r, 200, "login")
    at = r.field("access_token")
    rt = r.field("refresh_token")

    r = c.post("/logout", token=at)
    s.status(r, 200, "POST /logout")
    s.eq(r.json, {}, "logout answers {}")
    r = c.get("/me", token=at)
    s.unauthorized(r, "SESSION_ENDED", "/me with the token of the ended session",
                   ended_reason="USER_LOGOUT")
    s.check(isinstance(r.field("ended_at"), int), "the 401 says when it ended", repr(r))
    r = c.post("/refresh", {"refresh_token": rt})
    s.unauthorized(r, "SESSION_ENDED", "refresh of the ended session",
                   ended_reason="USER_LOGOUT")
    r = c.post("/logout", {"refresh_token": rt})
    s.status(r, 200, "logout again (idempotent)")

    e2e.align_to_second()
    one = e2e.login(c, email)
    two = e2e.login(c, email)
    s.status(one, 200, "login, first device")
    s.status(two, 200, "login, second device")
    r = c.post("/logout-all", token=one.field("access_token"))
    s.status(r, 200, "POST /logout-all")
    s.eq(r.field("ended"), 2, "logout-all ended both sessions")
    r = c.get("/me", token=two.field("access_token"))
    s.unauthorized(r, "SESSION_ENDED", "/me on the other device",
                   ended_reason="LOGOUT_ALL")


e2e.run("logout", main)
