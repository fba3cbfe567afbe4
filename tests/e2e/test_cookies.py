"""e2e cookies: the browser transport. Login sets httpOnly access and
refresh cookies and a readable CSRF cookie, and with "X-Token-Transport:
cookie" puts no token in the body; the cookies live until the refresh
token expires plus session_retention; a non-GET request whose credential
is a cookie needs X-CSRF-Token; refresh and logout by cookie; a logout or
refresh with no credential at all deletes no cookie (no forged sign-out);
a repeated tether cookie is a 400, junk cookies do not hide ours, and a
planted CSRF value is never reflected."""

import e2e

COOKIE_TRANSPORT = {"X-Token-Transport": "cookie"}
TOKEN_FIELDS = ("access_token", "refresh_token")


def by_name(cookies, name):
    return [c for c in cookies if c["name"] == name]


def check_no_tokens(s, r, what):
    """The tokens answer without a token: everything else is there."""
    body = r.json or {}
    for k in TOKEN_FIELDS:
        s.check(k not in body, "%s: no %s in the body" % (what, k), sorted(body))
    for k in ("token_type", "expires_in", "access_expires_at", "refresh_expires_at",
              "session", "user", "server_time"):
        s.check(k in body, "%s: %s in the body" % (what, k), sorted(body))


def check_max_age(s, r, what):
    """Every cookie lives until the refresh token expires, plus the retention."""
    st, rexp = r.field("server_time"), r.field("refresh_expires_at")
    if not (isinstance(st, int) and isinstance(rexp, int)):
        s.check(False, "%s: server_time and refresh_expires_at" % what, repr(r))
        return
    want = rexp - st + e2e.SESSION_RETENTION
    cookies = e2e.parse_set_cookies(r)
    s.eq(len(cookies), 4, "%s: four Set-Cookie (access, refresh x2, csrf)" % what)
    for c in cookies:
        s.eq(c["attrs"].get("max-age"), str(want),
             "%s: %s Max-Age = refresh_expires_at - server_time + retention"
             % (what, c["name"]))


def check_login_cookies(s, r):
    cookies = e2e.parse_set_cookies(r)
    access = by_name(cookies, "tether_access")
    s.eq(len(access), 1, "one tether_access cookie")
    for c in access:
        s.check(c["attrs"].get("httponly") is True, "tether_access is HttpOnly", c)
        s.eq(c["attrs"].get("path"), "/", "tether_access Path")
        s.eq(str(c["attrs"].get("samesite", "")).lower(), "lax", "tether_access SameSite")
        s.check("secure" not in c["attrs"], "no Secure with cookie_secure=false", c)
    refresh = by_name(cookies, "tether_refresh")
    paths = sorted(c["attrs"].get("path") for c in refresh)
    s.eq(paths, sorted([e2e.MOUNT + "/logout", e2e.MOUNT + "/refresh"]),
         "tether_refresh for the refresh and logout paths only")
    for c in refresh:
        s.check(c["attrs"].get("httponly") is True, "tether_refresh is HttpOnly", c)
    csrf = by_name(cookies, "tether_csrf")
    s.eq(len(csrf), 1, "one tether_csrf cookie")
    for c in csrf:
        s.check("httponly" not in c["attrs"], "tether_csrf is readable by scripts", c)
        s.eq(c["attrs"].get("path"), "/", "tether_csrf Path")
        s.check(len(c["value"]) >= 16, "tether_csrf has a value", c)


def main(s):
    c = e2e.Client(cookies=True)
    email = e2e.new_user(s, c, "cookies")

    e2e.align_to_second()
    r = e2e.login(c, email, headers=COOKIE_TRANSPORT)
    s.status(r, 200, "login with X-Token-Transport: cookie")
    check_no_tokens(s, r, "login")
    check_login_cookies(s, r)
    check_max_age(s, r, "login")
    first_access = c.cookie("tether_access")
    s.check(first_access is not None, "the jar holds tether_access")

    r = c.get("/me")
    s.status(r, 200, "GET /me by cookie")
    s.eq(r.field("user", "email"), email, "/me by cookie says who")

    r = c.post("/activity")
    s.error(r, 403, "csrf_failed", "POST /activity by cookie without X-CSRF-Token")
    r = c.post("/activity", headers={"X-CSRF-Token": "not-the-token"})
    s.error(r, 403, "csrf_failed", "POST /activity with a wrong X-CSRF-Token")
    r = c.post("/activity", headers={"X-CSRF-Token": c.cookie("tether_csrf") or ""})
    s.status(r, 200, "POST /activity with X-CSRF-Token")

    r = c.post("/refresh", headers=COOKIE_TRANSPORT)
    s.error(r, 403, "csrf_failed", "POST /refresh by cookie without X-CSRF-Token")
    hdrs = dict(COOKIE_TRANSPORT, **{"X-CSRF-Token": c.cookie("tether_csrf") or ""})
    r = c.post("/refresh", headers=hdrs)
    s.status(r, 200, "POST /refresh by cookie with X-CSRF-Token")
    check_no_tokens(s, r, "refresh")
    check_max_age(s, r, "refresh")
    new_access = c.cookie("tether_access")
    s.check(new_access is not None and new_access != first_access,
            "refresh set a new tether_access", new_access)
    s.status(c.get("/me"), 200, "GET /me by cookie after refresh")

    # Without the header ("both"): the tokens are in the body, for API clients.
    r = c.post("/refresh", headers={"X-CSRF-Token": c.cookie("tether_csrf") or ""})
    s.status(r, 200, "POST /refresh by cookie without X-Token-Transport")
    s.check(all(isinstance(r.field(k), str) for k in TOKEN_FIELDS),
            "without the header the tokens are in the body", repr(r))
    new_access = c.cookie("tether_access")

    # L4: a cross-site auto-submitted empty form carries no cookie under
    # SameSite=Lax. With no credential at all, /logout and /refresh answer
    # without touching the browser's cookies: no forged sign-out.
    forged = {"Origin": "https://evil.example",
              "Content-Type": "application/x-www-form-urlencoded"}
    bare = e2e.Client()
    r = bare.request("POST", "/logout", body=b"", headers=forged)
    s.status(r, 200, "a credential-less cross-site POST /logout")
    s.eq(r.header_all("Set-Cookie"), [], "it deletes no cookie")
    r = bare.request("POST", "/refresh", body=b"", headers=forged)
    s.unauthorized(r, "TOKEN_MISSING", "a credential-less cross-site POST /refresh")
    s.eq(r.header_all("Set-Cookie"), [], "that refresh deletes no cookie either")
    r = c.get("/me")
    s.status(r, 200, "the browser's session is untouched")

    r = c.post("/logout")
    s.error(r, 403, "csrf_failed", "POST /logout by cookie without X-CSRF-Token")
    s.eq(r.header_all("Set-Cookie"), [], "a refused logout deletes no cookie")
    r = c.post("/logout", headers={"X-CSRF-Token": c.cookie("tether_csrf") or ""})
    s.status(r, 200, "POST /logout by cookie with X-CSRF-Token")
    for ck in e2e.parse_set_cookies(r):
        s.eq(ck["attrs"].get("max-age"), "0", "logout deletes %s (Max-Age=0)" % ck["name"])
    s.check(c.cookie("tether_access") is None, "logout removed tether_access",
            r.header_all("Set-Cookie"))
    s.check(c.cookie("tether_refresh") is None, "logout removed tether_refresh",
            r.header_all("Set-Cookie"))

    r = e2e.Client().get("/me", token=new_access)
    s.unauthorized(r, "SESSION_ENDED", "the access token after logout",
                   ended_reason="USER_LOGOUT")

    cookie_names(s, email)


def cookie_names(s, email):
    """L8 over HTTP (cookie_secure is off here: plain names)."""
    api = e2e.Client()
    r = e2e.login(api, email)
    s.status(r, 200, "login for the cookie checks")
    at = r.field("access_token")
    r = api.get("/me", headers={"Cookie": "tether_access=%s; tether_access=%s" % (at, at)})
    s.error(r, 400, "invalid_request", "a repeated tether_access cookie")
    junk = "; ".join("junk%d=x" % i for i in range(100))
    r = api.get("/me", headers={"Cookie": "%s; tether_access=%s" % (junk, at)})
    s.status(r, 200, "100 junk cookies before tether_access")
    r = e2e.login(api, email, headers={"Cookie": 'tether_csrf=attacker-chosen,Domain=evil "x"'})
    csrf = by_name(e2e.parse_set_cookies(r), "tether_csrf")
    s.check(len(csrf) == 1 and len(csrf[0]["value"]) == 22 and "attacker" not in csrf[0]["value"],
            "a planted CSRF cookie is replaced, never reflected", r.header_all("Set-Cookie"))


e2e.run("cookies", main)
