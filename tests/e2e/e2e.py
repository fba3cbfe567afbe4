"""e2e: the small shared helper of the end-to-end scenarios.

Each tests/e2e/test_<scenario>.py talks to a running tether through the
real web server (lighttpd, Apache + mod_fcgid, or Apache running plain
CGI), counts its checks with a Scenario, and ends with the line
"RESULT e2e_<scenario>: N passed, N failed" (e2e_apache_<scenario>,
e2e_cgi_<scenario> through the others; exit status 0 only when nothing
failed). scripts/test starts the server and passes, in the environment:

  TETHER_E2E_URL          base URL, e.g. http://127.0.0.1:41234
  TETHER_E2E_SERVER       lighttpd (default), apache or cgi
  TETHER_E2E_MOUNT        the API mount point (default /api/auth)
  TETHER_E2E_SIGNING_KEY  the workers' signing key, "kid:base64url-secret"
  TETHER_E2E_REFRESH_REUSE_GRACE  the workers' refresh_reuse_grace, seconds
  TETHER_E2E_SESSION_RETENTION    the workers' session_retention, seconds
                                  (default 2592000, the default 30d)
  TETHER_E2E_TETHERCTL    the built tetherctl; tether.fcgi is beside it
  TETHER_E2E_DATABASE_URL the workers' database as its owner, for the
                          scenarios that run tetherctl or tether.fcgi themselves
  TETHER_E2E_APP_DATABASE_URL  the same database as the role the server's
                          workers connect as (rows only: test_roles.py)
  TETHER_E2E_SERVER_LOG   the server's error log (test_roles.py: its mode)
  TETHER_E2E_RESULT_PREFIX  the RESULT line's prefix, when the pass is not
                          told by the server alone (e2e_pooler_: the workers
                          go through PgBouncer)

and configures the workers with short lifetimes (2 s access tokens, 3 s
idle timeout, 1 s reuse grace, no JWT leeway). Scenarios that wait for an
expiry read the lifetimes from the server's answers and skip those checks
when they are long (a server started by ./quickstart).

Python standard library only, plus PyJWT (Debian: python3-jwt).
"""

import base64
import glob
import http.client
import http.cookiejar
import io
import json
import os
import shutil
import subprocess
import signal
import socket
import struct
import sys
import time
import traceback
import urllib.error
import urllib.request
import uuid

BASE_URL = os.environ.get("TETHER_E2E_URL", "http://127.0.0.1:8080").rstrip("/")
# The web server in front (lighttpd, apache, cgi): the same scenarios run
# through each, and their RESULT lines say which.
SERVER = os.environ.get("TETHER_E2E_SERVER", "lighttpd")
RESULT_PREFIX = os.environ.get("TETHER_E2E_RESULT_PREFIX") or (
    "e2e_" if SERVER == "lighttpd" else "e2e_%s_" % SERVER)
MOUNT = os.environ.get("TETHER_E2E_MOUNT", "/api/auth").rstrip("/")
SIGNING_KEY = os.environ.get("TETHER_E2E_SIGNING_KEY", "")
REUSE_GRACE = float(os.environ.get("TETHER_E2E_REFRESH_REUSE_GRACE", "10"))
SESSION_RETENTION = int(os.environ.get("TETHER_E2E_SESSION_RETENTION", str(30 * 86400)))
# Waiting for an expiry longer than this is not worth a test run.
MAX_WAIT = 8.0

PASSWORD = "correct horse battery staple"


def api_url(path):
    return BASE_URL + MOUNT + path


class Response:
    """One HTTP answer: status, headers, raw body and the parsed JSON."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        try:
            self.json = json.loads(body.decode("utf-8")) if body else None
        except (ValueError, UnicodeDecodeError):
            self.json = None

    def header(self, name):
        return self.headers.get(name)

    def header_all(self, name):
        return self.headers.get_all(name) or []

    def field(self, *path):
        """A nested JSON field, or None: r.field("session", "id")."""
        v = self.json
        for k in path:
            if not isinstance(v, dict) or k not in v:
                return None
            v = v[k]
        return v

    def __repr__(self):
        text = self.body[:300].decode("utf-8", "replace")
        return "HTTP %d %s" % (self.status, text)


class Client:
    """An HTTP client; with cookies=True it keeps a cookie jar like a browser."""

    def __init__(self, cookies=False):
        self.jar = http.cookiejar.CookieJar() if cookies else None
        handlers = [urllib.request.HTTPCookieProcessor(self.jar)] if cookies else []
        self.opener = urllib.request.build_opener(*handlers)

    def request(self, method, path, body=None, json_body=None, headers=None,
                token=None, url=None):
        """Sends a request; never raises for an HTTP status.

        path is below the mount point unless url is given. json_body is
        encoded as JSON; a POST without a body sends "{}".
        """
        hdrs = {"Accept": "application/json"}
        if json_body is not None:
            body = json.dumps(json_body).encode("utf-8")
        if body is None and method in ("POST", "PUT", "PATCH"):
            body = b"{}"
        if body is not None:
            hdrs["Content-Type"] = "application/json"
        if token is not None:
            hdrs["Authorization"] = "Bearer " + token
        hdrs.update(headers or {})
        req = urllib.request.Request(url or api_url(path), data=body,
                                     headers=hdrs, method=method)
        try:
            with self.opener.open(req, timeout=15) as r:
                return Response(r.status, r.headers, r.read())
        except urllib.error.HTTPError as e:
            try:
                data = e.read()
            finally:
                e.close()
            return Response(e.code, e.headers, data)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json_body=None, **kw):
        return self.request("POST", path, json_body=json_body, **kw)

    def cookie(self, name, path=None):
        """The value of a cookie in the jar (optionally the one for path)."""
        for c in self.jar or []:
            if c.name == name and (path is None or c.path == path):
                return c.value
        return None


class Scenario:
    """Counts checks and prints them; finish() prints the RESULT line."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0

    def check(self, cond, what, detail=None):
        if cond:
            self.passed += 1
            print("ok   %s" % what)
        else:
            self.failed += 1
            print("FAIL %s%s" % (what, "" if detail is None else ": %s" % (detail,)))
        sys.stdout.flush()
        return bool(cond)

    def eq(self, got, want, what):
        return self.check(got == want, what, "got %r, want %r" % (got, want))

    def status(self, r, want, what):
        """Checks the status code; on a mismatch shows the body."""
        return self.check(r.status == want, "%s -> %d" % (what, want), repr(r))

    def error(self, r, status, error, what, reason=None):
        """Checks an error answer: status, error code and, for 401s, reason."""
        ok = self.status(r, status, what)
        ok &= self.eq(r.field("error"), error, "%s: error" % what)
        if reason is not None:
            ok &= self.eq(r.field("reason"), reason, "%s: reason" % what)
        ok &= self.check(isinstance(r.field("message"), str),
                         "%s: has a message" % what, repr(r))
        return ok

    def unauthorized(self, r, reason, what, ended_reason=None):
        """A 401 with reason (and ended_reason), plus WWW-Authenticate."""
        ok = self.error(r, 401, "unauthorized", what, reason)
        www = r.header("WWW-Authenticate") or ""
        if reason == "TOKEN_MISSING":
            # RFC 6750 §3.1: no credential at all, no error code.
            ok &= self.eq(www, 'Bearer realm="tether"',
                          "%s: WWW-Authenticate without an error" % what)
        else:
            ok &= self.check(www.startswith('Bearer realm="tether", error="invalid_token"')
                             and reason in www,
                             "%s: WWW-Authenticate Bearer invalid_token" % what, www)
        ok &= self.eq(r.header("X-Content-Type-Options"), "nosniff",
                      "%s: X-Content-Type-Options" % what)
        if ended_reason is not None:
            ok &= self.eq(r.field("ended_reason"), ended_reason,
                          "%s: ended_reason" % what)
        return ok

    def skip(self, what):
        print("skip %s" % what)
        sys.stdout.flush()

    def finish(self):
        print("RESULT %s%s: %d passed, %d failed" % (RESULT_PREFIX, self.name, self.passed, self.failed))
        sys.stdout.flush()
        return 0 if self.failed == 0 else 1


def run(name, fn):
    """Runs fn(scenario); an exception counts as one failure."""
    s = Scenario(name)
    print("# e2e %s against %s%s" % (name, BASE_URL, MOUNT))
    try:
        fn(s)
    except Exception:  # noqa: BLE001 - report anything, then count it
        traceback.print_exc(file=sys.stdout)
        s.failed += 1
    sys.exit(s.finish())


# ---- users, logins, tokens

def unique_email(tag):
    return "e2e-%s-%s@example.com" % (tag, uuid.uuid4().hex[:12])


def register(client, email, password=PASSWORD, display_name=None):
    body = {"email": email, "password": password}
    if display_name is not None:
        body["display_name"] = display_name
    return client.post("/register", body)


def new_user(s, client, tag):
    """Registers a fresh user; returns its email."""
    email = unique_email(tag)
    r = register(client, email, display_name="E2E " + tag)
    s.status(r, 201, "register %s" % tag)
    return email


def login(client, email, password=PASSWORD, headers=None, **extra):
    body = {"email": email, "password": password}
    body.update(extra)
    return client.post("/login", body, headers=headers)


def new_session(s, client, tag):
    """A fresh user signed in with body transport; returns the tokens JSON."""
    email = new_user(s, client, tag)
    r = login(client, email)
    s.status(r, 200, "login %s" % tag)
    return r.json or {}


def signing_key():
    """(kid, secret bytes) of the workers' first signing key."""
    if ":" not in SIGNING_KEY:
        raise RuntimeError("TETHER_E2E_SIGNING_KEY is not set (kid:secret)")
    kid, secret = SIGNING_KEY.split(",")[0].split(":", 1)
    return kid, base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))


def parse_set_cookies(r):
    """The Set-Cookie headers as dicts: name, value, attrs (lower-case keys)."""
    out = []
    for line in r.header_all("Set-Cookie"):
        parts = [p.strip() for p in line.split(";")]
        name, _, value = parts[0].partition("=")
        attrs = {}
        for p in parts[1:]:
            k, eq, v = p.partition("=")
            attrs[k.strip().lower()] = v.strip() if eq else True
        out.append({"name": name.strip(), "value": value.strip(), "attrs": attrs})
    return out


def align_to_second(margin=0.05):
    """Sleeps to just after the start of a wall-clock second.

    The server counts in whole seconds: starting a timed sequence just after
    a second begins makes "2 s later" mean the same to both sides.
    """
    frac = time.time() % 1.0
    time.sleep((1.0 - frac) + margin if frac > margin else margin - frac)


def sleep_until(t0, offset):
    """Sleeps until t0 + offset (wall clock)."""
    d = t0 + offset - time.time()
    if d > 0:
        time.sleep(d)


# ---- tether.fcgi run by a scenario itself (plain CGI, a FastCGI worker)

DATABASE_URL = os.environ.get("TETHER_E2E_DATABASE_URL", "")


def fcgi_binary():
    """The built tether.fcgi, beside TETHER_E2E_TETHERCTL, or None."""
    ctl = os.environ.get("TETHER_E2E_TETHERCTL", "")
    path = os.path.join(os.path.dirname(os.path.abspath(ctl)), "tether.fcgi") if ctl else ""
    return path if path and os.access(path, os.X_OK) else None


def worker_env(state_dir, **config):
    """The environment of a tether.fcgi a scenario starts.

    The caller's variables less its TETHER_* ones, then the e2e database and
    signing key, cheap scrypt, the settings of scripts/test's workers that
    tests rely on, no TTL cleanup, the shared files (metrics, session-cache
    end log) in state_dir, and config as TETHER_<KEY>=value.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("TETHER_")}
    env.update(TETHER_DATABASE_URL=DATABASE_URL, TETHER_SIGNING_KEYS=SIGNING_KEY,
               TETHER_SCRYPT_N="1024", TETHER_SCRYPT_R="8", TETHER_SCRYPT_P="1",
               TETHER_ALLOW_REGISTRATION="true", TETHER_COOKIE_SECURE="false",
               TETHER_LOGIN_MAX_ATTEMPTS="1000", TETHER_CLEANUP_INTERVAL="0",
               TETHER_ADDRESS_MAX_ATTEMPTS="1000000", TETHER_ADDRESS_MAX_WRITES="1000000",
               TETHER_METRICS_FILE=os.path.join(state_dir, "metrics"),
               TETHER_HASH_GATE_FILE=os.path.join(state_dir, "hashgate"),
               TETHER_SESSION_CACHE_FILE=os.path.join(state_dir, "sesscache"))
    for k, v in config.items():
        env["TETHER_" + k.upper()] = str(v)
    return env


def cgi_params(method, path, body=b"", headers=None):
    """The CGI parameters of a request to MOUNT + path, as Apache's
    ScriptAlias MOUNT gives them; headers become HTTP_* variables."""
    p = {"GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1",
         "SERVER_SOFTWARE": "e2e", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
         "REQUEST_METHOD": method, "SCRIPT_NAME": MOUNT, "PATH_INFO": path.split("?")[0],
         "QUERY_STRING": path.partition("?")[2], "REQUEST_URI": MOUNT + path,
         "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "40000",
         "HTTP_HOST": "127.0.0.1", "HTTP_ACCEPT": "application/json"}
    if body:
        p["CONTENT_LENGTH"] = str(len(body))
        p["CONTENT_TYPE"] = "application/json"
    for k, v in (headers or {}).items():
        k = k.upper().replace("-", "_")
        p[k if k in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + k] = v
    return p


def parse_cgi_response(raw):
    """A CGI response ("Status: 200 OK", headers, blank line, body) as a
    Response, or None if raw is not exactly one: the head must end with a
    blank line and the body be Content-Length bytes, nothing more."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep or not head.startswith(b"Status: "):
        return None
    headers = http.client.parse_headers(io.BytesIO(head + b"\r\n\r\n"))
    try:
        status = int(headers.get("Status", "").split()[0])
        length = int(headers.get("Content-Length", ""))
    except (ValueError, IndexError):
        return None
    if length != len(body):
        return None
    return Response(status, headers, body)


# ---- a minimal FastCGI client (the FastCGI 1.0 spec), for scenarios that
# talk to tether.fcgi's socket themselves

FCGI_BEGIN_REQUEST, FCGI_END_REQUEST, FCGI_PARAMS, FCGI_STDIN, FCGI_STDOUT = 1, 3, 4, 5, 6
FCGI_RESPONDER = 1


def fcgi_record(rtype, content=b"", req_id=1):
    return struct.pack(">BBHHBB", 1, rtype, req_id, len(content), 0, 0) + content


def fcgi_request_head(params):
    """BEGIN_REQUEST (responder, connection closed after) and the PARAMS."""
    def length(n):
        return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)
    data = b"".join(length(len(k.encode())) + length(len(v.encode())) + k.encode() +
                    v.encode() for k, v in params.items())
    return (fcgi_record(FCGI_BEGIN_REQUEST, struct.pack(">HB5x", FCGI_RESPONDER, 0)) +
            fcgi_record(FCGI_PARAMS, data) + fcgi_record(FCGI_PARAMS))


def fcgi_read_response(conn, timeout=10):
    """The STDOUT of the request up to END_REQUEST, parsed as a CGI
    response (None if it is not one, or the connection ends first)."""
    conn.settimeout(timeout)
    buf, out = b"", b""
    while True:
        while len(buf) >= 8:
            _, rtype, _, clen, plen, _ = struct.unpack(">BBHHBB", buf[:8])
            if len(buf) < 8 + clen + plen:
                break
            content, buf = buf[8:8 + clen], buf[8 + clen + plen:]
            if rtype == FCGI_STDOUT:
                out += content
            elif rtype == FCGI_END_REQUEST:
                return parse_cgi_response(out)
        try:
            chunk = conn.recv(65536)
        except OSError:
            return None
        if not chunk:
            return None
        buf += chunk


# ---- processes (scenarios that kill or stop them)


def psql_binary():
    """Debian's psql: on PATH, or the newest server's."""
    found = shutil.which("psql")
    if found:
        return found
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))
    return found[-1] if found else None


def psql(url, sql):
    """(ok, output) of one statement run as the role of url."""
    p = subprocess.run([psql_binary(), "-X", "-qtA", "-v", "ON_ERROR_STOP=1",
                        "-d", url, "-c", sql],
                       capture_output=True, text=True, timeout=30)
    return p.returncode == 0, (p.stdout + p.stderr).strip()


def fcgi_get(port, path):
    """GET path from the FastCGI workers listening on 127.0.0.1:port (no
    web server), as parse_cgi_response's tuple."""
    c = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        c.sendall(fcgi_request_head(cgi_params("GET", path)) + fcgi_record(FCGI_STDIN))
        return fcgi_read_response(c)
    finally:
        c.close()

def descendants(pid):
    """Every process below pid, breadth first (from /proc: never by name)."""
    out, queue = [], [int(pid)]
    while queue:
        p = queue.pop(0)
        try:
            with open("/proc/%d/task/%d/children" % (p, p)) as f:
                kids = [int(k) for k in f.read().split()]
        except OSError:
            kids = []
        out += kids
        queue += kids
    return out



def stop_tree(proc, pids, timeout=15):
    """Stops proc (SIGTERM, then SIGKILL after timeout) and SIGKILLs the
    PIDs given (its workers, found before), by PID, never by name."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass

def workers(server_pid):
    """The tether.fcgi processes below the web server server_pid."""
    found = []
    for p in descendants(server_pid):
        try:
            with open("/proc/%d/comm" % p) as f:
                if f.read().strip() == "tether.fcgi":
                    found.append(p)
        except OSError:
            pass
    return found
