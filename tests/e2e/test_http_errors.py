"""e2e http_errors: the answers that are not about authentication.

Unknown path 404, wrong method 405 with Allow, a body over max_body_bytes
413 (decided from Content-Length), a body over the web server's cap 413,
bad JSON 400 invalid_request, and 401 TOKEN_MISSING / TOKEN_INVALID (their
WWW-Authenticate per RFC 6750 §3.1). Every API answer has nosniff.
"""

import e2e


def main(s):
    c = e2e.Client()

    r = c.get("/no-such-endpoint")
    s.status(r, 404, "GET /no-such-endpoint")
    s.check(isinstance(r.field("error"), str), "404 has a JSON error", repr(r))
    s.eq(r.header("X-Content-Type-Options"), "nosniff", "404: X-Content-Type-Options")

    r = c.get("/login")
    s.status(r, 405, "GET /login")
    s.check("POST" in (r.header("Allow") or ""), "405 Allow names POST", r.header("Allow"))
    s.check(isinstance(r.field("error"), str), "405 has a JSON error", repr(r))

    r = c.request("DELETE", "/me")
    s.status(r, 405, "DELETE /me")
    s.check("GET" in (r.header("Allow") or ""), "405 Allow names GET", r.header("Allow"))

    # Over tether's max_body_bytes (16 KiB) but under lighttpd's 64 KiB cap:
    # tether itself answers, from Content-Length.
    big = b'{"email": "' + b"a" * (17 * 1024) + b'@example.com", "password": "x"}'
    r = c.request("POST", "/login", body=big)
    s.status(r, 413, "POST /login with a 17 KiB body")
    s.check(isinstance(r.field("error"), str), "413 from tether has a JSON error", repr(r))
    # The worker's own early answers (before any route) are API answers too.
    s.eq(r.header("X-Content-Type-Options"), "nosniff", "413: X-Content-Type-Options")
    s.eq(r.header("Cache-Control"), "no-store", "413: Cache-Control")

    # Over the web server's cap: lighttpd refuses before any worker sees it.
    r = c.request("POST", "/login", body=b"x" * (100 * 1024))
    s.status(r, 413, "POST /login with a 100 KiB body")

    r = c.request("POST", "/login", body=b'{"email": "a@example.com", "password": ')
    s.error(r, 400, "invalid_request", "POST /login with broken JSON")

    r = c.request("POST", "/login", body=b'["a@example.com", "password"]')
    s.error(r, 400, "invalid_request", "POST /login with a JSON array")

    r = c.post("/login", {"email": 42, "password": e2e.PASSWORD})
    s.error(r, 400, "invalid_request", "POST /login with a number for email")

    r = c.get("/me")
    s.unauthorized(r, "TOKEN_MISSING", "GET /me without a token")

    r = c.get("/me", token="not.a.jwt")
    s.unauthorized(r, "TOKEN_INVALID", "GET /me with garbage")


e2e.run("http_errors", main)
