"""cgirun: runs tether.fcgi once as a plain CGI program, as Apache's
mod_cgi does (the request in the environment and on stdin, one response
on stdout). Shared by the scenarios that start no server."""

import os
import subprocess

import e2e

FCGI = e2e.fcgi_binary()


class Run:
    """One CGI execution: exit status, stdout parsed, stderr."""

    def __init__(self, returncode, stdout, stderr):
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr.decode("utf-8", "replace")
        self.r = e2e.parse_cgi_response(stdout)


class Cgi:
    def __init__(self, state_dir, **config):
        self.env = e2e.worker_env(state_dir, **config)

    def run(self, method, path, body=b"", headers=None, params=None, token=None,
            close_stdin=True):
        """Runs tether.fcgi once. close_stdin=False keeps stdin open after
        the body: the process must not wait for more than Content-Length."""
        hdrs = dict(headers or {})
        if token is not None:
            hdrs["Authorization"] = "Bearer " + token
        env = dict(self.env)
        env.update(e2e.cgi_params(method, path, body, hdrs))
        env.update(params or {})
        env = {k: v for k, v in env.items() if v is not None}
        # A pipe of our own, so that stdin can stay open after the body
        # (every body here fits in the pipe's buffer).
        rd, wr = os.pipe()
        try:
            os.write(wr, body)
            if close_stdin:
                os.close(wr)
                wr = -1
            p = subprocess.Popen([FCGI], stdin=rd, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, env=env)
            os.close(rd)
            rd = -1
            try:
                out, err = p.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                out, err = p.communicate()
                err += b" (killed: still running after 20 s)"
        finally:
            for fd in (rd, wr):
                if fd >= 0:
                    os.close(fd)
        return Run(p.returncode, out, err)


def answered(s, run, status, what):
    """One CGI response with that status, and exit status 0."""
    ok = s.check(run.r is not None, "%s: exactly one CGI response on stdout" % what,
                 run.stdout[:300])
    ok &= s.eq(run.returncode, 0, "%s: exit status" % what)
    if run.r is not None:
        ok &= s.status(run.r, status, what)
    return ok
