"""e2e proxy: who the client is behind a proxy (trusted_proxies, M1).

Through the web server: scripts/test's workers trust 127.0.0.1 and ::1
(the test client connects from there, as a TLS proxy on the host would),
so an X-Forwarded-For they receive names the client: /metrics is refused
to a forwarded client, a local scrape without the header still works, and
a session records the forwarded address.

tether.fcgi run as CGI, where REMOTE_ADDR is ours to choose: a peer that
is not trusted cannot choose its address with X-Forwarded-For (not for
/metrics, not for the login throttle), and behind a trusted proxy each
forwarded client has its own throttle bucket, so one client's failures
no longer lock out another."""

import ipaddress
import os
import subprocess
import tempfile
import uuid

import e2e

FCGI = e2e.fcgi_binary()

TRUSTED = "127.0.0.1/32,::1/128"


def unique_addr():
    """A documentation address (2001:db8::/32) no other run uses, so the
    per-address throttle counts in the shared database start at zero. In
    canonical form (no leading zeros in a group), as tether records it."""
    h = uuid.uuid4().hex
    return str(ipaddress.ip_address("2001:db8:%s:%s::%s" % (h[0:4], h[4:8], h[8:12])))


def through_the_server(s):
    c = e2e.Client()
    r = c.get("/metrics")
    s.status(r, 200, "GET /metrics from the trusted host itself, no X-Forwarded-For")
    r = c.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    s.status(r, 403, "GET /metrics for a client the proxy forwarded")
    r = c.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1, 203.0.113.9"})
    s.status(r, 403, "GET /metrics: a client's own '127.0.0.1' left of the real hop")

    client = unique_addr()
    email = e2e.new_user(s, c, "proxy")
    r = e2e.login(c, email, headers={"X-Forwarded-For": "198.51.100.1, " + client})
    if s.status(r, 200, "login through the proxy"):
        r = c.get("/sessions", token=(r.json or {}).get("access_token", ""))
        if s.status(r, 200, "GET /sessions"):
            ips = [x.get("ip") for x in (r.json or {}).get("sessions", [])]
            s.eq(ips, [client], "the session records the forwarded client")


class Cgi:
    """tether.fcgi run once per request as plain CGI, with REMOTE_ADDR and
    the headers the test gives (test_cgi.py checks the CGI mode itself)."""

    def __init__(self, state_dir, **config):
        self.env = e2e.worker_env(state_dir, **config)

    def run(self, method, path, body=b"", headers=None, params=None):
        env = dict(self.env)
        env.update(e2e.cgi_params(method, path, body, headers))
        env.update(params or {})
        p = subprocess.run([FCGI], input=body, capture_output=True, env=env, timeout=20)
        return e2e.parse_cgi_response(p.stdout)


def answered(s, r, status, what):
    """One CGI response with that status."""
    return s.check(r is not None, "%s: one CGI response" % what) and s.status(r, status, what)


def login_fails(cgi, addr, xff=None):
    """A failed login (an unknown email) from REMOTE_ADDR addr."""
    headers = {"X-Forwarded-For": xff} if xff is not None else None
    body = ('{"email":"%s","password":"wrong-password-1"}'
            % e2e.unique_email("proxy-nobody")).encode()
    return cgi.run("POST", "/login", body, headers=headers, params={"REMOTE_ADDR": addr})


def as_cgi(s):
    if FCGI is None or not e2e.DATABASE_URL:
        s.skip("tether.fcgi or the e2e database is not known")
        return
    state = tempfile.TemporaryDirectory(prefix="tether-e2e-proxy-")
    os.chmod(state.name, 0o700)
    cgi = Cgi(state.name, trusted_proxies=TRUSTED, login_max_attempts=2,
              login_window="10m")

    # An untrusted peer: X-Forwarded-For changes nothing.
    run = cgi.run("GET", "/metrics", headers={"X-Forwarded-For": "127.0.0.1"},
                  params={"REMOTE_ADDR": "198.51.100.7"})
    answered(s, run, 403, "GET /metrics from an untrusted peer claiming 127.0.0.1")
    run = cgi.run("GET", "/metrics", params={"REMOTE_ADDR": "127.0.0.1"})
    answered(s, run, 200, "GET /metrics from the trusted proxy itself")
    run = cgi.run("GET", "/metrics", headers={"X-Forwarded-For": "2001:db8::9"},
                  params={"REMOTE_ADDR": "::1"})
    answered(s, run, 403, "GET /metrics for an IPv6 client forwarded over ::1")

    peer = unique_addr()
    for i in range(2):
        answered(s, login_fails(cgi, peer, xff=unique_addr()), 401,
                 "untrusted peer, failed login %d with a new X-Forwarded-For" % (i + 1))
    run = login_fails(cgi, peer, xff=unique_addr())
    if answered(s, run, 429, "untrusted peer: its own bucket is full, whatever it claims"):
        s.eq(run.field("error"), "too_many_attempts", "429: error")

    # Behind the trusted proxy: one bucket per forwarded client.
    a, b = unique_addr(), unique_addr()
    for i in range(2):
        answered(s, login_fails(cgi, "127.0.0.1", xff=a), 401,
                 "client A through the proxy, failed login %d" % (i + 1))
    answered(s, login_fails(cgi, "127.0.0.1", xff=a), 429, "client A is throttled")
    answered(s, login_fails(cgi, "127.0.0.1", xff=b), 401,
             "client B through the same proxy is not")
    answered(s, login_fails(cgi, "127.0.0.1", xff=a + ", " + b), 401,
             "client B writing A's address left of its own is counted as B")
    state.cleanup()


def main(s):
    through_the_server(s)
    as_cgi(s)


e2e.run("proxy", main)
