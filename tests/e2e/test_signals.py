"""e2e signals: tether.fcgi as a FastCGI worker started by the test itself
(a listening Unix socket as its fd 0, as lighttpd and mod_fcgid start it),
spoken to with a minimal FastCGI client. A request is answered; SIGTERM,
SIGUSR1 and SIGINT stop an idle worker at once, and a busy one only after
its request is answered in full; each exits 0 and logs "worker stopping
(signal N)"; a worker whose parent is killed with SIGKILL goes too.

tether.fcgi --listen: the supervisor's workers share one TCP socket, so a
connection wakes all of them and one takes it; connections that bring no
request must leave none of the others stuck where a stop cannot reach it.
SIGTERM stops the supervisor and every worker within seconds."""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import e2e

FCGI = e2e.fcgi_binary()

# The FastCGI client of e2e.py, by the names this file always used.
STDIN = e2e.FCGI_STDIN
record, request_head, read_response = (e2e.fcgi_record, e2e.fcgi_request_head,
                                       e2e.fcgi_read_response)


def register_request(tag):
    """The params and JSON body of a POST /register of a fresh user."""
    email = e2e.unique_email(tag)
    body = json.dumps({"email": email, "password": e2e.PASSWORD}).encode()
    return email, e2e.cgi_params("POST", "/register", body), body


class Worker:
    """A tether.fcgi on a fresh listening socket, stderr kept in a file."""

    def __init__(self, state_dir, name, parent_killable=False):
        self.sock_path = os.path.join(state_dir, name + ".sock")
        self.err_path = os.path.join(state_dir, name + ".stderr")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(self.sock_path)
        listener.listen(8)
        env = e2e.worker_env(state_dir)
        with open(self.err_path, "wb") as err:
            if parent_killable:
                # An intermediate parent that starts the worker, says its
                # PID and then just waits to be killed.
                code = ("import subprocess, sys, time\n"
                        "p = subprocess.Popen([sys.argv[1]], stdout=subprocess.DEVNULL)\n"
                        "print(p.pid, flush=True)\n"
                        "time.sleep(120)\n")
                self.parent = subprocess.Popen([sys.executable, "-c", code, FCGI],
                                               stdin=listener, stdout=subprocess.PIPE,
                                               stderr=err, env=env)
                self.pid = int(self.parent.stdout.readline())
                self.proc = None
            else:
                self.parent = None
                self.proc = subprocess.Popen([FCGI], stdin=listener,
                                             stdout=subprocess.DEVNULL, stderr=err,
                                             env=env)
                self.pid = self.proc.pid
        listener.close()

    def log(self):
        with open(self.err_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_log(self, text, timeout=10):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if text in self.log():
                return True
            time.sleep(0.02)
        return False

    def fds(self):
        """How many files the worker has open (None without /proc)."""
        try:
            return len(os.listdir("/proc/%d/fd" % self.pid))
        except OSError:
            return None

    def connect(self):
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(self.sock_path)
        return c

    def wait_exit(self, timeout):
        """Exit status of our child, or True once a grandchild is gone
        (or a zombie); None if still running after timeout."""
        if self.proc is not None:
            try:
                return self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                return None
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                with open("/proc/%d/stat" % self.pid) as f:
                    if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                        return True
            except OSError:
                return True
            time.sleep(0.02)
        return None

    def stop(self):
        """Kills whatever is left (a failed check must not leave a worker)."""
        for p in (self.proc, self.parent):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
        if self.proc is None and self.wait_exit(0) is None:
            os.kill(self.pid, signal.SIGKILL)


def check_request(s, state_dir):
    w = Worker(state_dir, "plain")
    try:
        c = w.connect()
        c.sendall(request_head(e2e.cgi_params("GET", "/health")) + record(STDIN))
        r = read_response(c)
        c.close()
        s.check(r is not None, "FastCGI: GET /health gets one CGI response")
        if r is not None:
            s.status(r, 200, "FastCGI: GET /health")
            s.eq(r.field("database"), "ok", "FastCGI: the database is up")
        email, params, body = register_request("fcgi")
        c = w.connect()
        c.sendall(request_head(params) + record(STDIN, body) + record(STDIN))
        r = read_response(c)
        c.close()
        s.check(r is not None and r.status == 201, "FastCGI: POST /register -> 201", r)
        s.check(w.wait_exit(0.2) is None, "the worker stays for the next request")
    finally:
        w.stop()


def check_stopped(s, w, signo, what):
    """The worker exits 0 within 2 s and says why."""
    s.eq(w.wait_exit(2), 0, "%s: exit status 0 within 2 s" % what)
    s.check("worker stopping (signal %d)" % signo in w.log(), "%s: logs the stop" % what,
            w.log())


def check_idle(s, state_dir, signo):
    name = signal.Signals(signo).name
    w = Worker(state_dir, "idle-" + name)
    try:
        s.check(w.wait_log("worker ready"), "%s idle: the worker is ready" % name, w.log())
        os.kill(w.pid, signo)
        check_stopped(s, w, signo, "%s idle" % name)
    finally:
        w.stop()


def check_busy(s, state_dir, signo):
    """The signal comes while a request's body is half sent."""
    name = signal.Signals(signo).name
    w = Worker(state_dir, "busy-" + name)
    try:
        s.check(w.wait_log("worker ready"), "%s busy: the worker is ready" % name, w.log())
        idle_fds = w.fds()
        email, params, body = register_request("signal")
        half = len(body) // 2
        c = w.connect()
        c.sendall(request_head(params) + record(STDIN, body[:half]))
        # Until the worker has accepted the connection (one more file).
        end = time.monotonic() + 5
        while idle_fds is not None and (w.fds() or 0) <= idle_fds and time.monotonic() < end:
            time.sleep(0.01)
        if idle_fds is None:
            time.sleep(0.3)
        os.kill(w.pid, signo)
        time.sleep(0.2)
        s.check(w.wait_exit(0) is None, "%s busy: the worker waits for the rest" % name)
        try:
            c.sendall(record(STDIN, body[half:]) + record(STDIN))
            r = read_response(c)
        except OSError:
            r = None
        c.close()
        s.check(r is not None, "%s busy: the whole response arrives" % name)
        if r is not None:
            s.status(r, 201, "%s busy: POST /register" % name)
            s.eq(r.field("user", "email"), email, "%s busy: the user is registered" % name)
        check_stopped(s, w, signo, "%s busy, then" % name)
    finally:
        w.stop()


def check_orphan(s, state_dir):
    w = Worker(state_dir, "orphan", parent_killable=True)
    try:
        s.check(w.wait_log("worker ready"), "orphan: the worker is ready", w.log())
        w.parent.kill()
        w.parent.wait()
        s.check(w.wait_exit(2) is not None,
                "orphan: the worker exits within 2 s of its parent's SIGKILL")
        s.check("worker stopping (signal %d)" % signal.SIGTERM in w.log(),
                "orphan: it stopped on its SIGTERM", w.log())
    finally:
        w.stop()


def check_supervisor(s, state_dir):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    workers = []
    err_path = os.path.join(state_dir, "listen.stderr")
    with open(err_path, "wb") as err:
        sup = subprocess.Popen([FCGI, "--listen", "127.0.0.1:%d" % port, "--workers", "3"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=err, env=e2e.worker_env(state_dir))

    def log():
        with open(err_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def health():
        return e2e.fcgi_get(port, "/health")

    try:
        end = time.monotonic() + 10
        while log().count("worker ready") < 3 and time.monotonic() < end:
            time.sleep(0.05)
        s.eq(log().count("worker ready"), 3, "--listen: three workers ready")
        workers += e2e.descendants(sup.pid)
        r = health()
        s.check(r is not None and r.status == 200, "--listen: GET /health over TCP -> 200", r)
        # Connections that close before a request: each wakes every worker.
        for _ in range(5):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
            time.sleep(0.05)
        time.sleep(0.3)
        r = health()
        s.check(r is not None and r.status == 200, "--listen: still answering after them", r)
        t0 = time.monotonic()
        sup.send_signal(signal.SIGTERM)
        try:
            rc = sup.wait(timeout=10)
        except subprocess.TimeoutExpired:
            rc = None
        s.eq(rc, 0, "--listen: SIGTERM stops the supervisor, exit 0")
        s.check(time.monotonic() - t0 < 5, "--listen: and its workers, within 5 s (no SIGKILL)",
                round(time.monotonic() - t0, 1))
        left = [p for p in workers if os.path.exists("/proc/%d" % p)
                and open("/proc/%d/stat" % p).read().rsplit(")", 1)[1].split()[0] != "Z"]
        s.eq(left, [], "--listen: no worker is left behind")
        s.check("SIGKILL" not in log(), "--listen: no worker needed SIGKILL", log()[-600:])
        if rc == 0 and not left:
            workers = []  # all gone: their PIDs are no longer ours
    finally:
        # A failed check leaves nothing running: by PID, never by name.
        if sup.poll() is None:
            workers += e2e.descendants(sup.pid)
            sup.kill()
            sup.wait()
        for p in workers:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass


def main(s):
    if FCGI is None or not e2e.DATABASE_URL or ":" not in e2e.SIGNING_KEY:
        s.check(False, "tether.fcgi beside TETHER_E2E_TETHERCTL, "
                "TETHER_E2E_DATABASE_URL and TETHER_E2E_SIGNING_KEY")
        return
    # Short: a Unix socket path must fit in 108 bytes.
    with tempfile.TemporaryDirectory(prefix="tether-sig-") as state_dir:
        check_request(s, state_dir)
        for signo in (signal.SIGTERM, signal.SIGUSR1, signal.SIGINT):
            check_idle(s, state_dir, signo)
            check_busy(s, state_dir, signo)
        check_orphan(s, state_dir)
        check_supervisor(s, state_dir)


e2e.run("signals", main)
