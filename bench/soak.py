#!/usr/bin/python3
"""bench/soak.py URL SECONDS USERS_FILE PASSWORD CLIENTS STATS_FILE

The load of bench/run --soak: CLIENTS threads, each repeating a user's
visit against URL (the API mount, e.g. http://127.0.0.1:8080/api/auth)
until SECONDS have passed: login (body transport), verifies (GET /me with
the Bearer token), a refresh, more verifies, a logout report
(POST /logout-event), then logout. Users come from USERS_FILE (one email a
line) in turn. Writes the counts of answers per endpoint and status class to
STATS_FILE (JSON) at the end and every 10 s, so that the sampler can see
progress. Standard library only."""
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

URL, SECONDS, USERS, PASSWORD, CLIENTS, STATS = sys.argv[1:7]
SECONDS = float(SECONDS)
CLIENTS = int(CLIENTS)
U = urllib.parse.urlsplit(URL)
emails = [l.strip() for l in open(USERS) if l.strip()]
lock = threading.Lock()
stats = {}  # "POST /login" -> {"2xx": n, "4xx": n, "5xx": n, "error": n}
deadline = time.monotonic() + SECONDS


def count(what, status):
    cls = "error" if status is None else "%dxx" % (status // 100)
    with lock:
        d = stats.setdefault(what, {})
        d[cls] = d.get(cls, 0) + 1


def call(conn, method, path, body=None, token=None):
    hdrs = {"Content-Type": "application/json"}
    if token:
        hdrs["Authorization"] = "Bearer " + token
    data = json.dumps(body).encode() if body is not None else None
    what = method + " " + path
    try:
        conn.request(method, U.path + path, body=data, headers=hdrs)
        r = conn.getresponse()
        raw = r.read()
        count(what, r.status)
        try:
            return r.status, json.loads(raw) if raw else {}
        except ValueError:
            return r.status, {}
    except (OSError, http.client.HTTPException):
        count(what, None)
        conn.close()  # http.client reconnects on the next request
        return None, {}


def visit(conn, email):
    st, t = call(conn, "POST", "/login", {"email": email, "password": PASSWORD})
    if st != 200:
        return
    at, rt = t.get("access_token"), t.get("refresh_token")
    for _ in range(5):
        call(conn, "GET", "/me", token=at)
    st, t = call(conn, "POST", "/refresh", {"refresh_token": rt})
    if st == 200:
        at, rt = t.get("access_token"), t.get("refresh_token")
    for _ in range(5):
        call(conn, "GET", "/me", token=at)
    call(conn, "POST", "/logout-event",
         {"type": "USER_ACTION", "message": "soak", "location": "/app.html"}, token=at)
    call(conn, "POST", "/logout", {"refresh_token": rt}, token=at)


def client(i):
    conn = http.client.HTTPConnection(U.hostname, U.port, timeout=30)
    n = i
    while time.monotonic() < deadline:
        visit(conn, emails[n % len(emails)])
        n += CLIENTS
    conn.close()


def dump():
    with lock:
        text = json.dumps(stats, sort_keys=True)
    with open(STATS + ".tmp", "w") as f:
        f.write(text)
    os.replace(STATS + ".tmp", STATS)


threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
for t in threads:
    t.start()
while any(t.is_alive() for t in threads):
    time.sleep(1)
    if int(time.monotonic()) % 10 == 0:
        dump()
for t in threads:
    t.join()
dump()
