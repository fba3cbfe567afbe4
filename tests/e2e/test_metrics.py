"""e2e metrics: GET /metrics through the web server is Prometheus text
exposition 0.0.4 that a strict parser accepts (promtool too, when the
machine has it), and its counters move when logins, refreshes and 401s
happen. The parser here checks what promtool checks for format: every
sample belongs to a declared family, names and labels are well formed,
values are numbers, no series repeats, histogram buckets are cumulative
and end with +Inf equal to _count."""

import re
import shutil
import subprocess

import e2e

NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"$')


def parse(s, text):
    """Returns {series: value}; all violations make one failed check."""
    types, helps, series, errors = {}, set(), {}, []
    for n, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("# HELP "):
            name = line.split(" ")[2]
            if not NAME.match(name) or name in helps:
                errors.append("line %d: bad or repeated HELP: %s" % (n, line))
            helps.add(name)
        elif line.startswith("# TYPE "):
            parts = line.split(" ")
            if len(parts) != 4 or parts[2] in types or parts[3] not in (
                    "counter", "gauge", "histogram", "summary", "untyped"):
                errors.append("line %d: bad TYPE: %s" % (n, line))
            else:
                types[parts[2]] = parts[3]
        else:
            m = SAMPLE.match(line)
            if m is None:
                errors.append("line %d: not a sample: %r" % (n, line))
                continue
            name, labels, value = m.group(1), m.group(3) or "", m.group(4)
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            family = base if types.get(base) in ("histogram", "summary") else name
            if family not in types:
                errors.append("line %d: %s has no TYPE before it" % (n, name))
            pairs = re.findall(r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"', labels)
            if ",".join(pairs) != labels or not all(LABEL.match(x) for x in pairs):
                errors.append("line %d: bad labels: %s" % (n, labels))
            key = name + "{" + labels + "}"
            if key in series:
                errors.append("line %d: series repeats: %s" % (n, key))
            try:
                series[key] = float(value)
            except ValueError:
                errors.append("line %d: value is not a number: %s" % (n, value))
    s.check(not errors and series, "the exposition parses (%d series)" % len(series),
            errors[:5])
    return series


def check_histogram(s, series, name):
    buckets = [(k, v) for k, v in series.items() if k.startswith(name + "_bucket{")]
    values = [v for _, v in buckets]
    s.check(values == sorted(values), "%s buckets are cumulative" % name, values)
    inf = series.get(name + '_bucket{le="+Inf"}')
    s.eq(inf, series.get(name + "_count{}"), "%s +Inf bucket equals _count" % name)


def main(s):
    c = e2e.Client()
    r = c.get("/metrics")
    s.status(r, 200, "/metrics from 127.0.0.1")
    s.check((r.header("Content-Type") or "").startswith("text/plain; version=0.0.4"),
            "exposition content type", r.header("Content-Type"))
    before = parse(s, r.body.decode())
    check_histogram(s, before, "tether_request_duration_seconds")
    s.eq(before.get("tether_database_up{}"), 1.0, "database_up is 1")

    if shutil.which("promtool"):
        p = subprocess.run(["promtool", "check", "metrics"], input=r.body, capture_output=True)
        s.eq(p.returncode, 0, "promtool check metrics")
    else:
        print("# promtool is not installed; the parser above stands in for it")

    tokens = e2e.new_session(s, c, "metrics")
    s.status(c.post("/refresh", {"refresh_token": tokens.get("refresh_token")}), 200, "refresh")
    s.status(c.get("/me"), 401, "a 401 TOKEN_MISSING")
    s.status(e2e.login(c, "nobody-metrics@example.com"), 401, "a failed login")
    # Page views of one session in quick succession: after each worker's
    # first look in the database, the session cache answers.
    for _ in range(10):
        s.status(c.get("/me", token=tokens.get("access_token")), 200, "a page view")

    after = parse(s, c.get("/metrics").body.decode())

    def moved(key, by=1):
        s.check(after.get(key, 0) >= before.get(key, 0) + by, "%s moved" % key,
                (before.get(key), after.get(key)))
    moved('tether_logins_total{outcome="ok"}')
    moved('tether_logins_total{outcome="failed"}')
    moved('tether_refreshes_total{outcome="rotated",reason=""}')
    moved('tether_unauthorized_total{reason="TOKEN_MISSING"}')
    moved('tether_registrations_total{}')
    moved("tether_request_duration_seconds_count{}", 4)
    moved('tether_session_cache_total{result="hit"}')
    moved('tether_session_cache_total{result="miss"}')
    s.check(after.get("tether_active_sessions{}", 0) >= 1, "active sessions counted")


e2e.run("metrics", main)
