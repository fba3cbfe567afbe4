"""e2e cgi: tether.fcgi run as a plain CGI program, as Apache's mod_cgi
runs it (ScriptAlias /api/auth /path/to/tether.fcgi): the request in the
environment and on stdin, exactly one CGI response on stdout, exit 0. The
same rules as under FastCGI: health, register, login with its cookies, /me
by Bearer and by cookie (CSRF for the non-GET), 401 reasons, 413, 400, and a
database that cannot be reached is a 503, never a 401."""

import tempfile

import e2e
from cgirun import FCGI, Cgi, answered


def cookie_header(r):
    """The Cookie header a browser would send back on /: name=value pairs
    of the cookies with Path=/."""
    return "; ".join("%s=%s" % (c["name"], c["value"]) for c in e2e.parse_set_cookies(r)
                     if c["attrs"].get("path") == "/")


def main(s):
    if FCGI is None or not e2e.DATABASE_URL or ":" not in e2e.SIGNING_KEY:
        s.check(False, "tether.fcgi beside TETHER_E2E_TETHERCTL, "
                "TETHER_E2E_DATABASE_URL and TETHER_E2E_SIGNING_KEY")
        return
    state = tempfile.TemporaryDirectory(prefix="tether-e2e-cgi-")
    cgi = Cgi(state.name)

    run = cgi.run("GET", "/health", close_stdin=False)
    answered(s, run, 200, "GET /health")
    if run.r is not None:
        s.check((run.r.header("Content-Type") or "").startswith("application/json"),
                "health is JSON", run.r.header("Content-Type"))
        s.eq(run.r.field("database"), "ok", "health: the database is up")

    # The path: REQUEST_URI below the mount point whatever the script is
    # called (a rewrite to /cgi-bin/tether.fcgi), and SCRIPT_NAME + PATH_INFO
    # when a server sends no REQUEST_URI.
    run = cgi.run("GET", "/health", params={"SCRIPT_NAME": "/cgi-bin/tether.fcgi"})
    answered(s, run, 200, "GET /health rewritten to /cgi-bin/tether.fcgi/health")
    run = cgi.run("GET", "/health", params={"REQUEST_URI": None})
    answered(s, run, 200, "GET /health without REQUEST_URI")
    run = cgi.run("GET", "/health", params={"REQUEST_URI": "/elsewhere/health"})
    answered(s, run, 404, "GET outside the mount point")

    email = e2e.unique_email("cgi")
    body = ('{"email": "%s", "password": "%s"}' % (email, e2e.PASSWORD)).encode()
    run = cgi.run("POST", "/register", body, close_stdin=False)
    answered(s, run, 201, "POST /register")
    if run.r is not None:
        s.eq(run.r.field("user", "email"), email, "register: user.email")

    run = cgi.run("POST", "/login", body)
    answered(s, run, 200, "POST /login")
    login = run.r if run.r is not None else e2e.Response(0, {}, b"")
    access = login.field("access_token")
    s.check(isinstance(access, str) and isinstance(login.field("refresh_token"), str),
            "login: access and refresh tokens in the body", repr(login))
    names = sorted({c["name"] for c in e2e.parse_set_cookies(login)}) if login.status else []
    s.eq(names, ["tether_access", "tether_csrf", "tether_refresh"],
         "login: Set-Cookie for access, refresh and CSRF")

    run = cgi.run("GET", "/me", token=access)
    answered(s, run, 200, "GET /me with Bearer")
    if run.r is not None:
        s.eq(run.r.field("user", "email"), email, "/me by Bearer says who")

    cookies = cookie_header(login) if login.status else ""
    run = cgi.run("GET", "/me", headers={"Cookie": cookies})
    answered(s, run, 200, "GET /me by cookie")
    if run.r is not None:
        s.eq(run.r.field("user", "email"), email, "/me by cookie says who")
    run = cgi.run("POST", "/activity", b"{}", headers={"Cookie": cookies})
    if answered(s, run, 403, "POST /activity by cookie without X-CSRF-Token"):
        s.error(run.r, 403, "csrf_failed", "no X-CSRF-Token")
    csrf = next((c["value"] for c in e2e.parse_set_cookies(login)
                 if c["name"] == "tether_csrf"), "") if login.status else ""
    run = cgi.run("POST", "/activity", b"{}",
                  headers={"Cookie": cookies, "X-CSRF-Token": csrf})
    answered(s, run, 200, "POST /activity by cookie with X-CSRF-Token")

    run = cgi.run("GET", "/me", token="not.a.token")
    if answered(s, run, 401, "GET /me with a bad token"):
        s.unauthorized(run.r, "TOKEN_INVALID", "a bad token")
    run = cgi.run("GET", "/me")
    if answered(s, run, 401, "GET /me without a token"):
        s.unauthorized(run.r, "TOKEN_MISSING", "no token")

    big = b'{"email": "' + b"x" * 20000 + b'"}'
    run = cgi.run("POST", "/login", big)
    if answered(s, run, 413, "a body over max_body_bytes"):
        s.eq(run.r.field("error"), "too_large", "413: error")
    run = cgi.run("POST", "/login", b"email=a&password=b",
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    answered(s, run, 400, "a form body")
    run = cgi.run("POST", "/login", b"{not json")
    answered(s, run, 400, "a body that is not JSON")

    # A database that cannot be reached: 503 with Retry-After, for a valid
    # token too (never a 401), and still one response and exit 0.
    down = Cgi(state.name, database_url="host=/nonexistent-tether-e2e dbname=x user=x")
    run = down.run("GET", "/health")
    if answered(s, run, 503, "GET /health, database down"):
        s.check(run.r.header("Retry-After") is not None, "503 has Retry-After")
    run = down.run("GET", "/me", token=access)
    if answered(s, run, 503, "GET /me with a valid token, database down"):
        s.eq(run.r.field("error"), "unavailable", "503: error")
    run = down.run("POST", "/login", body)
    answered(s, run, 503, "POST /login, database down")
    s.check("cannot connect" in run.stderr, "the failure is logged on stderr", run.stderr)

    # The request log goes to stderr (the server's error log), never stdout.
    run = cgi.run("POST", "/login", body)
    answered(s, run, 200, "POST /login again")
    s.check("login user" in run.stderr, "the login is logged on stderr", run.stderr)
    state.cleanup()


e2e.run("cgi", main)
