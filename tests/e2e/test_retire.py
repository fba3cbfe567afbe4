"""e2e retire: workers that retire after worker_max_requests requests (a
retiring worker executes itself anew: same PID, same listening socket, a
fresh process image; main.c, retire).

Through lighttpd (its own, started here from conf/lighttpd/tether.conf as
scripts/lib.sh writes it, with worker_max_requests = 5): 4 clients at once
register, log in, verify, refresh and log out, 300 requests and more; every
one must succeed, every worker must have retired at least once, lighttpd
must have seen no worker exit and refused nothing, and no worker may hold
more files afterwards.

Through Apache + mod_fcgid (its own, from conf/apache/ as scripts/lib.sh
writes it, worker_max_requests = 5, 2 clients for its 2 workers): every
request answered, every worker retired in place at least once, and
mod_fcgid stopped none of them. The written configuration must leave the
recycling to the workers (FcgidMaxRequestsPerProcess 0): mod_fcgid counts
requests by process, a worker renewed in place is the same process, so
mod_fcgid's own limit would stop it soon after its renewal, and a request
that then finds every worker busy waits for a new one in steps of a second
(bench/results/2026-12-01.md: p99 824 ms and 2 wrk timeouts, through the
authorizer).

Through tether.fcgi --listen (worker_max_requests = 3, 2 workers): 30
requests in a row all answered, the workers retired in place. And a worker
of the supervisor that exits with status 0 (here: SIGHUP's replacement of
workers younger than a second) is started again at once, without the
back-off of a crashing one (which would wait 1, 2, 4 ... seconds)."""

import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

import e2e

FCGI = e2e.fcgi_binary()
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LIB = os.path.join(ROOT, "scripts", "lib.sh")
LIGHTTPD = shutil.which("lighttpd") or next(
    (p for p in ("/usr/sbin/lighttpd", "/sbin/lighttpd") if os.access(p, os.X_OK)), None)
# Where scripts/lib.sh looks for Apache and mod_fcgid, and the user its
# children run as under root.
APACHE_BIN, APACHE_MODULES, SERVICE_USER = subprocess.run(
    ["bash", "-c", '. "$1" && echo "$TETHER_APACHE_BIN $TETHER_APACHE_MODULES '
     '$TETHER_SERVICE_USER"', "lib", LIB],
    check=True, capture_output=True, text=True).stdout.split()
MAX = 5

def free_port():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def call(base, method, path, body=None, token=None):
    """(status, parsed JSON) of one request; status None when it failed."""
    hdrs = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        hdrs["Authorization"] = "Bearer " + token
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + e2e.MOUNT + path, data=data, headers=hdrs,
                                 method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw else {})
    except urllib.error.HTTPError as err:
        return err.code, {}
    except OSError:
        return None, {}


def client(base, tag, visits, results):
    """One user: register, then visits x (login, 2 x /me, refresh, /me,
    logout); every answer's (what, status) goes to results."""
    email = e2e.unique_email("retire-" + tag)

    def note(what, st):
        results.append((what, st))
        return st

    if note("register", call(base, "POST", "/register",
                             {"email": email, "password": e2e.PASSWORD})[0]) not in (200, 201):
        return
    for _ in range(visits):
        st, t = call(base, "POST", "/login", {"email": email, "password": e2e.PASSWORD})
        if note("login", st) != 200:
            return
        at, rt = t.get("access_token"), t.get("refresh_token")
        for _ in range(2):
            note("me", call(base, "GET", "/me", token=at)[0])
        st, t = call(base, "POST", "/refresh", {"refresh_token": rt})
        if note("refresh", st) == 200:
            at, rt = t.get("access_token"), t.get("refresh_token")
        note("me", call(base, "GET", "/me", token=at)[0])
        note("logout", call(base, "POST", "/logout", {"refresh_token": rt}, token=at)[0])


def fd_count(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None


def start(argv, log_path, env):
    """Starts a web server in the foreground, its stderr and its workers'
    in log_path; returns it and a function that reads that log."""
    with open(log_path, "ab") as out:
        httpd = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                 env=env)

    def log():
        try:
            with open(log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""
    return httpd, log


def wait_health(base):
    end = time.monotonic() + 20
    while call(base, "GET", "/health")[0] != 200 and time.monotonic() < end:
        time.sleep(0.1)


def clients(base, tag, n, visits):
    """n users at once (client); every answer's (what, status)."""
    results = []
    threads = [threading.Thread(target=client, args=(base, tag + str(i), visits, results))
               for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def check_lighttpd(s, state):
    port = free_port()
    run = os.path.join(state, "run")
    # As many hashes at once as there are hashing workers: no 503 busy.
    env = e2e.worker_env(run, worker_max_requests=MAX, log_level="info", hash_concurrency=2)
    conf = os.path.join(state, "lighttpd.conf")
    log_path = os.path.join(state, "log", "lighttpd.log")
    # Before the template is written: as root, it gives the file to the
    # user lighttpd drops to.
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    open(log_path, "ab").close()
    # The template as the suite writes it, without the authorizer's pool.
    subprocess.run(["bash", "-c", '. "$1" && tether_lighttpd_conf "$2" "$3" "$4" "$5" "$6" '
                    'noprotect', "conf", LIB, conf, str(port), os.path.join(ROOT, "htdocs"),
                    FCGI, state], env=env, check=True)
    # Under -D the workers' stderr is lighttpd's: the same file.
    httpd, log = start([LIGHTTPD, "-D", "-f", conf], log_path, env)
    base = "http://127.0.0.1:%d" % port
    try:
        wait_health(base)
        first = sorted(e2e.workers(httpd.pid))
        # Three pools of 2 (API, hashing routes, /refresh).
        s.eq(len(first), 6, "lighttpd started 6 workers")
        time.sleep(0.3)  # idle: the health check's connection closed
        fds = {p: fd_count(p) for p in first}
        # 15 visits: the least busy worker of a pool still retires twice or more.
        results = clients(base, "l", 4, 15)
        bad = [r for r in results if r[1] not in (200, 201, 204)]
        s.check(len(results) >= 300, "at least 300 requests made", len(results))
        s.eq(bad, [], "every request succeeded while workers retired")
        s.check(sum(1 for r in results if r[0] == "refresh") >= 30,
                "30 refreshes among them", len(results))
        time.sleep(0.5)  # a worker that just retired is ready again
        s.eq(sorted(e2e.workers(httpd.pid)), first, "the same 6 workers (PIDs)")
        text = log()
        lazy = [p for p in first if "tether[%d]: info: worker retiring after" % p not in text]
        s.eq(lazy, [], "every worker retired at least once")
        retired = text.count("worker retiring after")
        s.check(retired >= 20, "workers retired again and again", retired)
        s.eq(text.count("worker ready"), 6 + retired, "each retirement ended in a worker ready")
        s.check("child exited" not in text and "establishing connection failed" not in text
                and "handlers" not in text and "response not received" not in text,
                "lighttpd saw no worker exit and lost no connection", text[-1500:])
        more = {p: (fds[p], fd_count(p)) for p in first
                if fds[p] is None or fd_count(p) is None or fd_count(p) > fds[p]}
        s.eq(more, {}, "no worker holds more files after it")
        s.eq(call(base, "GET", "/health")[0], 200, "GET /health afterwards -> 200")
    finally:
        if s.failed:
            print("--- the end of this lighttpd's log:\n" + log()[-3000:])
        httpd.send_signal(signal.SIGTERM)
        try:
            httpd.wait(timeout=15)
        except subprocess.TimeoutExpired:
            httpd.kill()
            httpd.wait()


def check_apache(s, state):
    port = free_port()
    astate = os.path.join(state, "apache")
    run = os.path.join(astate, "run")
    os.makedirs(run)
    os.chmod(astate, 0o755)
    conf = os.path.join(astate, "apache.conf")
    log_path = os.path.join(astate, "log", "apache.log")
    # As lighttpd's above; the shared files in run/, which the template
    # gives to the user Apache's children run as.
    env = e2e.worker_env(run, worker_max_requests=MAX, log_level="info", hash_concurrency=2)
    env["TETHER_MAX_PROCS"] = "2"
    if os.geteuid() == 0:
        os.chown(run, pwd.getpwnam(SERVICE_USER).pw_uid, -1)
    subprocess.run(["bash", "-c", '. "$1" && tether_apache_conf "$2" "$3" "$4" "$5" "$6" fcgid '
                    '&& tether_private_log "$7"', "conf", LIB, conf, str(port),
                    os.path.join(ROOT, "htdocs"), FCGI, astate, log_path], env=env, check=True)
    with open(os.path.join(astate, "tether-api.conf")) as f:
        limits = [ln.split() for ln in f if ln.split()[:1] == ["FcgidMaxRequestsPerProcess"]]
    s.eq(limits, [["FcgidMaxRequestsPerProcess", "0"]],
         "Apache: mod_fcgid leaves the recycling to the workers")
    httpd, log = start([APACHE_BIN, "-f", conf, "-DFOREGROUND"], log_path, env)
    base = "http://127.0.0.1:%d" % port
    pids = []
    try:
        wait_health(base)
        results = clients(base, "a", 2, 12)
        time.sleep(0.5)  # a worker that just retired is ready again
        pids = e2e.workers(httpd.pid)
        bad = [r for r in results if r[1] not in (200, 201, 204)]
        s.check(len(results) >= 140, "Apache: at least 140 requests made", len(results))
        s.eq(bad, [], "Apache: every request succeeded while workers retired")
        text = log()
        started = sorted({int(w) for w in re.findall(r"tether\[(\d+)\]: info: worker ready", text)})
        s.check(len(pids) >= 1 and sorted(pids) == started,
                "Apache: the workers that started are the ones running", (started, pids))
        lazy = [p for p in started if "tether[%d]: info: worker retiring after" % p not in text]
        s.eq(lazy, [], "Apache: every worker retired at least once")
        retired = text.count("worker retiring after")
        s.check(retired >= 20, "Apache: workers retired again and again", retired)
        s.eq(text.count("worker ready"), len(started) + retired,
             "Apache: each retirement ended in a worker ready")
        s.check("worker stopping" not in text and "[fcgid:" not in text,
                "Apache: mod_fcgid stopped no worker and logged no error", text[-1500:])
    finally:
        if s.failed:
            print("--- the end of this Apache's log:\n" + log()[-3000:])
        e2e.stop_tree(httpd, pids or e2e.workers(httpd.pid))


def check_listen(s, state):
    port = free_port()
    err_path = os.path.join(state, "listen.stderr")
    with open(err_path, "wb") as err:
        sup = subprocess.Popen([FCGI, "--listen", "127.0.0.1:%d" % port, "--workers", "2"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=err, env=e2e.worker_env(state, worker_max_requests=3))

    def log():
        with open(err_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def health():
        return e2e.fcgi_get(port, "/health")

    try:
        end = time.monotonic() + 10
        while log().count("worker ready") < 2 and time.monotonic() < end:
            time.sleep(0.05)
        first = sorted(e2e.descendants(sup.pid))
        answers = [health() for _ in range(30)]
        ok = sum(1 for r in answers if r is not None and r.status == 200)
        s.eq(ok, 30, "--listen: 30 requests in a row all answered 200")
        retired = log().count("worker retiring after")
        s.check(retired >= 8, "--listen: the workers retired", retired)
        s.eq(sorted(e2e.descendants(sup.pid)), first, "--listen: in place (the same PIDs)")
        # SIGHUP twice: the second one finds workers younger than a
        # second; they exit 0 and the supervisor starts the next at once
        # (a crash back-off would wait a second and more).
        end = time.monotonic() + 10
        while log().count("worker ready") < 2 + retired and time.monotonic() < end:
            time.sleep(0.02)
        for rounds in (1, 2):
            sup.send_signal(signal.SIGHUP)
            end = time.monotonic() + 10
            while (log().count("starting the next") < 2 * rounds or
                   log().count("worker ready") < 2 + retired + 2 * rounds) and \
                    time.monotonic() < end:
                time.sleep(0.01)
        t0 = time.monotonic()
        r = health()
        took = time.monotonic() - t0
        s.check(r is not None and r.status == 200, "--listen: answered after SIGHUP", r)
        s.check(took < 0.8, "--listen: at once, no crash back-off for an exit 0", round(took, 2))
        s.eq(log().count("exited (status 0): starting the next"), 4,
             "--listen: the replaced workers exited 0")
        s.check("ended by signal" not in log() and "exited (status 1)" not in log(),
                "--listen: no worker crashed", log()[-800:])
    finally:
        if s.failed:
            print("--- the end of the supervisor's log:\n" + log()[-3000:])
        e2e.stop_tree(sup, e2e.descendants(sup.pid))


def main(s):
    if FCGI is None or not e2e.DATABASE_URL or ":" not in e2e.SIGNING_KEY:
        s.check(False, "tether.fcgi beside TETHER_E2E_TETHERCTL, "
                "TETHER_E2E_DATABASE_URL and TETHER_E2E_SIGNING_KEY")
        return
    # Short: a Unix socket path must fit in 108 bytes. Readable by the
    # service user lighttpd drops to when run as root.
    state = tempfile.mkdtemp(prefix="tether-ret-")
    try:
        os.chmod(state, 0o755)
        if LIGHTTPD is None:
            s.skip("lighttpd is not installed")
        else:
            check_lighttpd(s, state)
        if not (os.access(APACHE_BIN, os.X_OK) and
                os.path.exists(os.path.join(APACHE_MODULES, "mod_fcgid.so"))):
            s.skip("Apache with mod_fcgid is not installed")
        else:
            check_apache(s, state)
        check_listen(s, state)
    finally:
        shutil.rmtree(state, ignore_errors=True)


e2e.run("retire", main)
