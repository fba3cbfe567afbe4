"""e2e roles: the workers' database role and the logs, as the quickstart
sets them up (scripts/lib.sh: tether_pg_app_role, scripts/roles.sql, and
tether_private_log), which scripts/test's servers use too (L11).

The role the workers connect as (every other scenario runs against
workers that use it) is not a superuser, cannot create or drop anything,
cannot run a program through COPY, and can still read rows and LISTEN.
The server's log, which holds client addresses and session ids, is
mode 0640 in a 0750 directory."""

import os
import stat
import subprocess

import e2e

APP_URL = os.environ.get("TETHER_E2E_APP_DATABASE_URL", "")
SERVER_LOG = os.environ.get("TETHER_E2E_SERVER_LOG", "")




def the_role(s):
    if not s.check(bool(APP_URL) and e2e.psql_binary() is not None,
                   "the app role's URL and psql are known"):
        return
    ok, out = e2e.psql(APP_URL, "SELECT current_user, rolsuper, rolcreatedb, rolcreaterole, "
                   "rolreplication, rolbypassrls FROM pg_roles WHERE rolname = current_user")
    s.eq(out if ok else "", "tether_app|f|f|f|f|f",
         "the workers' role: tether_app, no superuser, CREATEDB, CREATEROLE, "
         "REPLICATION or BYPASSRLS")
    ok, out = e2e.psql(APP_URL, "SELECT count(*) >= 0 FROM users")
    s.check(ok and out == "t", "it reads rows", out)
    ok, out = e2e.psql(APP_URL, "LISTEN tether_e2e_roles_probe")
    s.check(ok, "it may LISTEN (the session cache)", out)
    for what, sql in (
            ("CREATE TABLE", "CREATE TABLE e2e_roles_probe (x int)"),
            ("DROP TABLE", "DROP TABLE auth_events"),
            ("ALTER TABLE", "ALTER TABLE users ADD COLUMN e2e_probe int"),
            ("TRUNCATE", "TRUNCATE auth_events"),
            ("CREATE DATABASE", "CREATE DATABASE e2e_roles_probe"),
            ("CREATE ROLE", "CREATE ROLE e2e_roles_probe"),
            ("COPY ... TO PROGRAM", "COPY (SELECT 1) TO PROGRAM 'true'"),
            ("CREATE FUNCTION", "CREATE FUNCTION e2e_roles_probe() RETURNS int "
                                "LANGUAGE sql AS 'SELECT 1'")):
        ok, out = e2e.psql(APP_URL, sql)
        s.check(not ok and ("permission denied" in out or "must be" in out),
                "%s is refused to the workers' role" % what, out)
    # tetherctl migrate with the workers' URL by mistake: the refusal, not
    # an outage.
    ctl = os.environ.get("TETHER_E2E_TETHERCTL", "")
    if s.check(bool(ctl), "tetherctl is known"):
        env = {k: v for k, v in os.environ.items() if not k.startswith("TETHER_")}
        env.update(TETHER_DATABASE_URL=APP_URL, TETHER_SIGNING_KEYS=e2e.SIGNING_KEY,
                   TETHER_SQL_DIR=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                               "..", "..", "sql"))
        p = subprocess.run([ctl, "migrate"], capture_output=True, text=True, env=env,
                           timeout=60)
        s.check(p.returncode == 1 and "permission denied" in p.stderr and
                "refused" in p.stderr and "unavailable" not in p.stderr,
                "tetherctl migrate as the workers' role says the database refused it",
                p.stderr)


def the_logs(s):
    if not s.check(bool(SERVER_LOG) and os.path.isfile(SERVER_LOG),
                   "the server's log is known", SERVER_LOG):
        return
    mode = stat.S_IMODE(os.stat(SERVER_LOG).st_mode)
    s.eq(oct(mode), oct(0o640), "the server's log: mode 0640")
    mode = stat.S_IMODE(os.stat(os.path.dirname(SERVER_LOG)).st_mode)
    s.eq(oct(mode), oct(0o750), "its directory: mode 0750")


def main(s):
    the_role(s)
    the_logs(s)


e2e.run("roles", main)
