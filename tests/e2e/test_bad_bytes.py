"""e2e bad bytes (audit L6, I1): a User-Agent that is not UTF-8 or is cut
inside a character, a NUL in a report's context and JSON that parsers read
differently, sent as raw bytes through the web server: a clear 4xx or a
success, never a 503."""

import http.client
import json
import urllib.parse

import e2e


def raw(method, path, body, user_agent):
    """One request with the User-Agent given as raw bytes."""
    u = urllib.parse.urlsplit(e2e.BASE_URL)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=15)
    try:
        conn.putrequest(method, e2e.MOUNT + path, skip_accept_encoding=True)
        conn.putheader("User-Agent", user_agent)
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        r = conn.getresponse()
        return e2e.Response(r.status, r.headers, r.read())
    finally:
        conn.close()


def main(s):
    c = e2e.Client()
    email = e2e.new_user(s, c, "badbytes")
    creds = json.dumps({"email": email, "password": e2e.PASSWORD}).encode()
    wrong = json.dumps({"email": email, "password": "not the password"}).encode()

    r = raw("POST", "/logout-event", b'{"type":"UNKNOWN"}', b"Mozilla \xff\xfe")
    s.status(r, 202, "a report with a User-Agent that is not UTF-8")
    r = raw("POST", "/login", wrong, b"\xff")
    s.unauthorized(r, "INVALID_CREDENTIALS", "a wrong password, User-Agent \\xff")
    r = raw("POST", "/login", creds, b"a" * 511 + "\u00e9".encode())
    s.status(r, 200, "a sign-in whose 513-byte User-Agent the session cuts")
    r = raw("POST", "/refresh", b'{"refresh_token":"' + b"A" * 43 + b'"}', b"\xc3")
    s.unauthorized(r, "REFRESH_INVALID", "a bad refresh, User-Agent cut in a character")

    r = c.post("/logout-event", body=b'{"type":"UNKNOWN","context":{"a":"\\u0000"}}')
    s.status(r, 400, "a NUL in a report's context")
    r = c.post("/login", body=b'{"email":"nobody@example.com","email":"'
               + email.encode() + b'","password":"' + e2e.PASSWORD.encode() + b'"}')
    s.status(r, 400, "a body with a duplicate key")
    r = c.post("/logout-event", body=b'{"type":"IDLE_TIMEOUT","idle_minutes":NaN}')
    s.status(r, 400, "NaN in a body")


e2e.run("bad_bytes", main)
