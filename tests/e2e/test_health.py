"""e2e health: GET /health through lighttpd, and the static front page."""

import e2e


def main(s):
    c = e2e.Client()
    r = c.get("/health")
    s.status(r, 200, "GET /health")
    s.check((r.header("Content-Type") or "").startswith("application/json"),
            "health is JSON", r.header("Content-Type"))
    s.check(isinstance(r.field("status"), str), "health has a status", repr(r))
    s.check(r.field("database") is not None, "health reports the database", repr(r))

    r = c.request("GET", None, url=e2e.BASE_URL + "/")
    s.status(r, 200, "GET / (htdocs)")
    s.check((r.header("Content-Type") or "").startswith("text/html"),
            "the front page is HTML", r.header("Content-Type"))


e2e.run("health", main)
