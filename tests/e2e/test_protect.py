"""e2e protect: the demo folder /protected/ (a PHP page run by php-cgi and
a static file) guarded by tether.fcgi as a FastCGI authorizer. Signed out:
a page load goes to the sign-in page with ?next=, anything else gets the
API's 401 with its reason, never the content. Signed in (cookie or
Bearer): the content, and the PHP page prints the session's user. A client
can never smuggle identity in with headers named like the variables, and
no Variable- or TETHER_ header ever reaches the client. After a logout, a
revoke from another session and an idle timeout, the reasons are right;
background requests do not slide the idle timer; a database outage is a
503, never the sign-in page.

Through Apache + mod_fcgid (FcgidAccessChecker), which turns every refusal
into a bare 401, the refusals are that 401 with tether's ErrorDocument page
(htdocs/denied.html, which asks the API what happened), and the reasons are
read where that page reads them: GET /session-info with the same
credentials.

Through Apache + mod_authnz_fcgi (TETHER_E2E_SERVER=authnz), tether's own
answers reach the client as through lighttpd; the user id is also Apache's
user (REMOTE_USER); and the workers of tether.fcgi --listen, which
mod_authnz_fcgi asks over TCP, are restarted by their supervisor when one
dies."""

import http.client
import os
import re
import signal
import subprocess
import time
import urllib.parse

import e2e

PG_STOP = os.environ.get("TETHER_E2E_PG_STOP", "")
PG_START = os.environ.get("TETHER_E2E_PG_START", "")
PAGE = "/protected/index.php"
FILE = "/protected/hello.txt"
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
SECRET_PAGE = "A protected PHP page"
SECRET_FILE = "Hello from a protected static file."
LEAKS = []  # (what, header) of every response that named a variable
# mod_fcgid answers every refusal with a bare 401 and the ErrorDocument.
APACHE = e2e.SERVER in ("apache", "htaccess")
# mod_authnz_fcgi, and the PID of the tether.fcgi --listen it asks.
AUTHNZ = e2e.SERVER == "authnz"
AUTHZ_PID = int(os.environ.get("TETHER_E2E_AUTHZ_PID") or 0)
DENIED_PAGE = "Checking your sign-in"


def raw(path, headers=None, method="GET"):
    """One request to the site (not the API), redirects not followed."""
    u = urllib.parse.urlsplit(e2e.BASE_URL)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=15)
    try:
        conn.request(method, path, headers=dict(headers or {}))
        r = conn.getresponse()
        resp = e2e.Response(r.status, r.headers, r.read())
    finally:
        conn.close()
    for name in resp.headers.keys():
        if name.lower().startswith("variable-") or "tether_" in name.lower():
            LEAKS.append((path, name))
    return resp


def text(r):
    return r.body.decode("utf-8", "replace")


def page_field(r, field):
    m = re.search(r'id="%s">([^<]*)<' % field, text(r))
    return m.group(1) if m else None


def page_user(r):
    return page_field(r, "user-id")


def supervised_worker_restarts(s, cookies):
    """tether.fcgi --listen: a worker killed is replaced, and the folder
    keeps answering."""
    before = e2e.descendants(AUTHZ_PID)
    s.check(len(before) > 0, "the supervisor runs workers", before)
    if not before:
        return
    os.kill(before[0], signal.SIGKILL)
    now = []
    for _ in range(50):
        now = e2e.descendants(AUTHZ_PID)
        if before[0] not in now and len(now) == len(before):
            break
        time.sleep(0.1)
    s.check(before[0] not in now and len(now) == len(before),
            "the killed worker is replaced by a new one", (before, now))
    statuses = [raw(FILE, dict({"Accept": "*/*"}, **cookies)).status for _ in range(6)]
    s.eq(statuses, [200] * 6, "the folder answers after the restart")


def signed_out(s, what, headers=None):
    """Neither file is given out; a page load is sent to sign in (through
    Apache: the 401 page that does so)."""
    r = raw(PAGE, dict(HTML, **(headers or {})))
    if APACHE:
        s.status(r, 401, "%s: a page load" % what)
        s.check(DENIED_PAGE in text(r), "%s: the 401 page that sends to sign in" % what)
    else:
        s.status(r, 302, "%s: a page load" % what)
        s.eq(r.header("Location"), "/?next=" + PAGE,
             "%s: to the sign-in page, back here after" % what)
    s.check(SECRET_PAGE not in text(r), "%s: not the page" % what)
    r = raw(FILE, dict({"Accept": "*/*"}, **(headers or {})))
    s.status(r, 401, "%s: the static file, not a page load" % what)
    s.check(SECRET_FILE not in text(r), "%s: not the file" % what)
    if not APACHE:
        s.check((r.header("Content-Type") or "").startswith("application/json"),
                "%s: the 401 is JSON" % what, r.header("Content-Type"))
    return r


def reason(r, headers):
    """The 401 reason of a refused request: its JSON (lighttpd passes
    tether's answer through), or through Apache what the 401 page asks,
    GET /session-info with the same credentials."""
    if APACHE:
        r = e2e.Client().get("/session-info", headers=headers)
    return (r.json or {}).get("reason"), (r.json or {}).get("ended_reason")


def cookie_header(client):
    return "; ".join("%s=%s" % (c.name, c.value) for c in client.jar
                     if c.path in ("/", ""))


def main(s):
    c = e2e.Client(cookies=True)
    email = e2e.new_user(s, c, "protect")
    other = e2e.new_user(s, e2e.Client(), "protect-other")

    # Signed out, with and without forged identity headers.
    r = signed_out(s, "signed out")
    s.eq(reason(r, {})[0], "TOKEN_MISSING", "signed out: the 401's reason")
    r = raw(PAGE, dict(HTML, **{"X-Requested-With": "XMLHttpRequest"}))
    s.status(r, 401, "signed out: an XHR to the page gets the 401, not a redirect")
    forged = {"TETHER_USER_ID": "1", "Tether-User-Id": "1", "Variable-TETHER_USER_ID": "1",
              "Variable-TETHER_EMAIL": email, "TETHER-EMAIL": email}
    signed_out(s, "signed out with forged identity headers", forged)
    r = raw("//evil.example/x", HTML)
    s.check(r.status != 302 or not (r.header("Location") or "").startswith("//"),
            "a path like //host never becomes a redirect off the site",
            r.header("Location"))

    # Signed in by cookie (as a browser is).
    r = e2e.login(c, email, headers={"X-Token-Transport": "cookie"})
    s.status(r, 200, "login")
    me = e2e.Client().get("/me", headers={"Cookie": cookie_header(c)})
    uid = str(me.field("user", "id"))
    cookies = {"Cookie": cookie_header(c)}
    r = raw(PAGE, dict(HTML, **cookies))
    if s.status(r, 200, "signed in: the PHP page"):
        s.eq(page_user(r), uid, "the PHP page prints the session's user id")
        s.check(email in text(r), "and its email")
        if AUTHNZ:
            s.eq(page_field(r, "remote-user"), uid, "mod_authnz_fcgi: REMOTE_USER is the user id")
    r = raw(FILE, dict({"Accept": "*/*"}, **cookies))
    s.status(r, 200, "signed in: the static file")
    s.eq(text(r).strip(), SECRET_FILE, "the static file as it is")
    # A tether cookie sent twice (tossed for a narrower path or a parent
    # domain): refused, as the API refuses it, never a guess.
    r = raw(FILE, {"Cookie": cookie_header(c) + "; tether_access=x.y.z"})
    s.status(r, 401 if APACHE else 400, "a tether cookie sent twice: refused")
    s.check(SECRET_FILE not in text(r), "a tether cookie sent twice: not the file")
    if AUTHNZ and AUTHZ_PID:
        supervised_worker_restarts(s, cookies)
    elif AUTHNZ:
        s.check(False, "TETHER_E2E_AUTHZ_PID names the supervisor")

    # Forged headers naming another user change nothing.
    other_id = str(e2e.Client().get("/me", token=e2e.login(e2e.Client(), other).field(
        "access_token")).field("user", "id"))
    r = raw(PAGE, dict(HTML, **cookies, **{"TETHER_USER_ID": other_id,
                                            "Tether-User-Id": other_id,
                                            "Variable-TETHER_USER_ID": other_id}))
    s.eq(page_user(r), uid, "signed in, forged headers naming another user: still this user")

    # The folder's rules: /protected/staff/ only for emails @staff.example.
    staff_file = "/protected/staff/hello.txt"
    r = raw(staff_file, dict(HTML, **cookies))
    s.check("Staff only" not in text(r), "staff folder, another domain: not the file")
    if APACHE:
        s.status(r, 401, "staff folder, another domain: mod_fcgid's 401")
    else:
        s.status(r, 403, "staff folder, another domain, a page load: 403")
        s.check("Not for this account" in text(r), "403: a plain page that says so")
        s.eq(r.header("Content-Type"), "text/html; charset=utf-8", "403 page: HTML in UTF-8")
        r = raw(staff_file, cookies)
        s.status(r, 403, "staff folder, another domain, not a page load: 403")
        s.eq((r.json or {}).get("error"), "forbidden", "403: error forbidden")
        s.check((r.header("Content-Type") or "").startswith("application/json"),
                "403: JSON", r.header("Content-Type"))
    staff = "e2e-staff-%s@staff.example" % os.urandom(4).hex()
    s.status(e2e.register(e2e.Client(), staff), 201, "register a staff user")
    staff_tokens = e2e.login(e2e.Client(), staff).json or {}
    r = raw(staff_file, {"Authorization": "Bearer %s" % staff_tokens.get("access_token")})
    s.status(r, 200, "staff folder, a staff user")
    s.check("Staff only" in text(r), "staff folder: the file")

    # Signed in by Bearer token (an API client).
    tokens = e2e.login(e2e.Client(), email).json or {}
    r = raw(FILE, {"Authorization": "Bearer %s" % tokens.get("access_token")})
    s.status(r, 200, "a Bearer token opens the static file")

    # Revoked from another session: that session's reason.
    sid = tokens.get("session", {}).get("id") if isinstance(tokens.get("session"), dict) else None
    if sid:
        r = c.request("DELETE", "/sessions/%s" % sid,
                      headers={"X-CSRF-Token": c.cookie("tether_csrf") or ""})
        s.status(r, 200, "revoke the Bearer session from the cookie one")
        bearer = {"Authorization": "Bearer %s" % tokens.get("access_token")}
        r = raw(FILE, bearer)
        s.status(r, 401, "revoked: 401")
        s.eq(reason(r, bearer), ("SESSION_ENDED", "REVOKED_BY_USER"),
             "revoked: SESSION_ENDED, REVOKED_BY_USER")
    else:
        s.check(False, "the login answer names its session", tokens)

    # Background requests do not slide the idle timer; the timeout's reason.
    info = e2e.Client().get("/session-info", headers=cookies)
    idle = info.field("session", "idle_timeout_s") or 0
    if 0 < idle <= 10:
        t0 = time.time()
        while time.time() - t0 < idle + 1.5:
            raw(FILE, dict({"X-Activity": "background"}, **cookies))
            time.sleep(0.5)
        r = raw(FILE, cookies)
        s.status(r, 401, "background requests only: idle")
        s.eq(reason(r, cookies)[0], "SESSION_IDLE_TIMEOUT", "idle: the reason")
        signed_out(s, "after the idle timeout", cookies)
    else:
        s.skip("idle timeout (%ss) too long to wait for" % idle)

    # After a logout.
    c2 = e2e.Client(cookies=True)
    e2e.login(c2, email, headers={"X-Token-Transport": "cookie"})
    cookies2 = {"Cookie": cookie_header(c2)}
    s.status(raw(PAGE, dict(HTML, **cookies2)), 200, "signed in again")
    r = c2.post("/logout", headers={"X-CSRF-Token": c2.cookie("tether_csrf") or ""})
    s.status(r, 200, "logout")
    r = raw(FILE, cookies2)
    s.eq(reason(r, cookies2), ("SESSION_ENDED", "USER_LOGOUT"),
         "after logout: SESSION_ENDED, USER_LOGOUT")
    signed_out(s, "after logout", cookies2)

    # An expired access token of a live session: refused with
    # TOKEN_EXPIRED (the sign-in page refreshes it and comes back); after
    # one refresh, the page again.
    ce = e2e.Client(cookies=True)
    e2e.align_to_second()
    t0 = time.time()
    r = e2e.login(ce, email, headers={"X-Token-Transport": "cookie"})
    life = r.field("expires_in") or 0
    idle = r.field("session", "idle_timeout_s") or 0
    if 0 < life < idle and life + 0.5 < e2e.MAX_WAIT:
        e2e.sleep_until(t0, life + 0.3)
        ck = {"Cookie": cookie_header(ce)}
        r = raw(FILE, ck)
        s.status(r, 401, "expired access token: 401")
        s.eq(reason(r, ck)[0], "TOKEN_EXPIRED", "expired access token: TOKEN_EXPIRED")
        r = ce.post("/refresh", headers={"X-CSRF-Token": ce.cookie("tether_csrf") or ""})
        s.status(r, 200, "one refresh")
        r = raw(PAGE, dict(HTML, **{"Cookie": cookie_header(ce)}))
        s.status(r, 200, "after the refresh: the page")
        s.eq(page_user(r), uid, "the same user")
    else:
        s.skip("an expired access token (lifetime %ss, idle timeout %ss)" % (life, idle))

    # The database down: an outage, never the sign-in page.
    if PG_STOP and PG_START:
        c3 = e2e.Client(cookies=True)
        # remember_me: no idle timeout to run out during the outage (3 s
        # here; behind PgBouncer a query to a stopped database first waits
        # in its queue).
        e2e.login(c3, email, headers={"X-Token-Transport": "cookie"}, remember_me=True)
        cookies3 = {"Cookie": cookie_header(c3)}
        subprocess.run(PG_STOP, shell=True, check=False)
        try:
            r = raw(PAGE, dict(HTML, **cookies3))
            s.check(SECRET_PAGE not in text(r) and r.header("Location") is None,
                    "database down: neither the content nor a redirect to sign in")
            if APACHE:
                # mod_fcgid's 401; the page it shows asks /health first.
                s.status(r, 401, "database down: the 401 page")
                s.check(DENIED_PAGE in text(r), "database down: the page that asks /health")
                s.status(e2e.Client().get("/health"), 503,
                         "database down: /health says so (the page shows an outage)")
            else:
                s.status(r, 503, "database down: a page load gets 503")
                s.check(r.header("Retry-After") is not None, "503 with Retry-After")
                r = raw(FILE, cookies3)
                s.status(r, 503, "database down: the file gets 503, never 401")
        finally:
            subprocess.run(PG_START, shell=True, check=False)
        for _ in range(50):
            if e2e.Client().get("/health").status == 200:
                break
            time.sleep(0.2)
        # The access token may have expired during the outage (2 s in the
        # e2e configuration): a refresh first, as the sign-in page does.
        r = c3.post("/refresh", headers={"X-CSRF-Token": c3.cookie("tether_csrf") or ""})
        s.status(r, 200, "database back: the session refreshes")
        r = raw(PAGE, dict(HTML, **{"Cookie": cookie_header(c3)}))
        s.status(r, 200, "database back: the page again")
    else:
        s.skip("a database outage (no TETHER_E2E_PG_STOP/START)")

    s.eq(LEAKS, [], "no Variable- or TETHER_ header in any response")


e2e.run("protect", main)
