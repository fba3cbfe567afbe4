"""e2e setup: the first setup of a host without a shell (POST /setup), run
through tether.fcgi as plain CGI against fresh databases of the e2e
cluster. Off without setup_code (404); the wrong code (403) and a bad form
(400) write nothing; the right code applies every migration and creates
the first user, who can sign in; a second user is refused (409) whatever
the code; the code alone applies what is pending (an upgrade); two setups
at once create exactly one user."""

import json
import os
import shutil
import subprocess
import tempfile
import threading
import uuid

import e2e
from cgirun import FCGI, Cgi, answered

CODE = "e2e-setup-" + uuid.uuid4().hex  # 42 characters
SQL_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                        "..", "..", "sql"))


def psql(dbname, sql):
    """Runs sql in dbname of the e2e cluster; its output, stripped."""
    return subprocess.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1",
                           "%s dbname=%s" % (e2e.DATABASE_URL, dbname), "-c", sql],
                          check=True, capture_output=True, text=True).stdout.strip()


def fresh_db(tag):
    name = "tether_setup_%s_%s" % (tag, uuid.uuid4().hex[:8])
    psql("postgres", "CREATE DATABASE %s" % name)
    return name


def tables(db):
    return psql(db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")


def body(**fields):
    return json.dumps(fields).encode()


def main(s):
    if FCGI is None or not e2e.DATABASE_URL:
        s.check(False, "tether.fcgi beside TETHER_E2E_TETHERCTL and TETHER_E2E_DATABASE_URL")
        return
    state = tempfile.TemporaryDirectory(prefix="tether-e2e-setup-")
    migrations = sorted(f for f in os.listdir(SQL_DIR)
                        if f.endswith(".sql") and f[:3].isdigit() and f[3] == "_")
    db = fresh_db("a")
    url = "%s dbname=%s" % (e2e.DATABASE_URL, db)
    first = e2e.unique_email("setup")
    good = body(setup_code=CODE, email=first, password=e2e.PASSWORD, display_name="Owner")

    # Off: no setup_code in the configuration, the route does not exist.
    off = Cgi(state.name, database_url=url, sql_dir=SQL_DIR)
    run = off.run("POST", "/setup", good)
    if answered(s, run, 404, "POST /setup without setup_code"):
        s.eq(run.r.field("error"), "not_found", "off: error not_found")
    s.eq(tables(db), "0", "off: nothing written")

    cgi = Cgi(state.name, database_url=url, sql_dir=SQL_DIR, setup_code=CODE)
    run = cgi.run("POST", "/setup", body(setup_code=CODE[:-1] + "x", email=first,
                                          password=e2e.PASSWORD))
    if answered(s, run, 403, "the wrong setup code"):
        s.eq(run.r.field("error"), "setup_code_wrong", "wrong code: error")
    s.check("wrong setup code" in run.stderr and CODE not in run.stderr,
            "a wrong code is logged, the code never", run.stderr)
    run = cgi.run("POST", "/setup", body(setup_code=CODE[:20], email=first,
                                          password=e2e.PASSWORD))
    answered(s, run, 403, "a prefix of the setup code")
    run = cgi.run("POST", "/setup", body(email=first, password=e2e.PASSWORD))
    answered(s, run, 400, "no setup code")
    run = cgi.run("POST", "/setup", body(setup_code=CODE, email="not-an-email",
                                          password=e2e.PASSWORD))
    answered(s, run, 400, "the right code, a bad email")
    run = cgi.run("POST", "/setup", body(setup_code=CODE, email=first, password="short"))
    answered(s, run, 400, "the right code, a short password")
    s.eq(tables(db), "0", "refusals wrote nothing (no table)")

    # Before setup, the worker still answers: the database is reachable.
    run = cgi.run("GET", "/health")
    answered(s, run, 200, "health before setup")

    run = cgi.run("POST", "/setup", good)
    if answered(s, run, 201, "the first setup"):
        s.eq(run.r.field("migrations"), migrations, "every migration applied, in order")
        s.eq(run.r.field("user", "email"), first, "the first user")
        s.eq(run.r.field("user", "display_name"), "Owner", "the first user's name")
    s.check(e2e.PASSWORD not in run.stderr, "the password is not logged")
    s.eq(psql(db, "SELECT count(*) FROM schema_migrations"), str(len(migrations)),
         "schema_migrations has every migration")
    run = cgi.run("POST", "/login", body(email=first, password=e2e.PASSWORD))
    if answered(s, run, 200, "the first user signs in"):
        s.check(isinstance(run.r.field("access_token"), str), "login: an access token")

    # Done: a second user is refused, the code does not matter.
    run = cgi.run("POST", "/setup", body(setup_code=CODE, email=e2e.unique_email("setup2"),
                                          password=e2e.PASSWORD))
    if answered(s, run, 409, "a second user through setup"):
        s.eq(run.r.field("error"), "setup_done", "setup done: error")
        s.eq(run.r.field("migrations"), None, "a refusal lists no migrations")
    s.eq(psql(db, "SELECT count(*) FROM users"), "1", "still one user")

    # The code alone: the pending migrations (an upgrade), here none.
    run = cgi.run("POST", "/setup", body(setup_code=CODE))
    if answered(s, run, 200, "the code alone (an upgrade)"):
        s.eq(run.r.field("migrations"), [], "nothing pending")
    # A migration that fails: 500, and it is not recorded (its own
    # transaction rolled back), the earlier ones stay.
    broken = os.path.join(state.name, "sql")
    shutil.copytree(SQL_DIR, broken)
    with open(os.path.join(broken, "999_broken.sql"), "w") as f:
        f.write("CREATE TABLE e2e_half (id int);\nSELECT no_such_function();\n")
    run = Cgi(state.name, database_url=url, sql_dir=broken, setup_code=CODE).run(
        "POST", "/setup", body(setup_code=CODE))
    if answered(s, run, 500, "a migration that fails"):
        s.check("migration failed" in (run.r.field("message") or ""),
                "500 says a migration failed", repr(run.r))
    s.eq(psql(db, "SELECT count(*) FROM schema_migrations WHERE version = '999'"), "0",
         "the failed migration is not recorded")
    s.eq(psql(db, "SELECT count(*) FROM pg_tables WHERE tablename = 'e2e_half'"), "0",
         "nothing of the failed migration is left")

    # sql_dir that cannot be read: a clear 500, nothing else.
    bad = Cgi(state.name, database_url=url, sql_dir="/nonexistent-tether-sql", setup_code=CODE)
    run = bad.run("POST", "/setup", body(setup_code=CODE))
    if answered(s, run, 500, "sql_dir missing"):
        s.check("sql_dir" in (run.r.field("message") or ""), "500 names sql_dir", repr(run.r))

    # Two setups at once on a fresh database: exactly one user.
    db2 = fresh_db("b")
    two = Cgi(state.name, database_url="%s dbname=%s" % (e2e.DATABASE_URL, db2),
              sql_dir=SQL_DIR, setup_code=CODE)
    runs = [None, None]

    def go(i):
        runs[i] = two.run("POST", "/setup", body(setup_code=CODE,
                                                  email=e2e.unique_email("race%d" % i),
                                                  password=e2e.PASSWORD))
    threads = [threading.Thread(target=go, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(r.r.status if r and r.r else 0 for r in runs)
    s.eq(statuses, [201, 409], "two setups at once: one 201, one 409")
    s.eq(psql(db2, "SELECT count(*) FROM users"), "1", "two setups at once: one user")

    # A database that cannot be reached: 503, never a success.
    down = Cgi(state.name, database_url="host=/nonexistent-tether-e2e dbname=x user=x",
               sql_dir=SQL_DIR, setup_code=CODE)
    run = down.run("POST", "/setup", good)
    answered(s, run, 503, "setup with the database down")

    for d in (db, db2):
        psql("postgres", "DROP DATABASE %s" % d)
    state.cleanup()


e2e.run("setup", main)
