"""e2e static: the headers lighttpd puts on the front end's files: the
Content-Security-Policy (this origin only, nothing inline), no framing or
sniffing, and Cache-Control: no-cache with an ETag for pages, scripts and
styles (a deploy is seen at the next load; unchanged files are a 304).
The API keeps its own Cache-Control: no-store."""

import glob
import os

import e2e

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
HTDOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "htdocs")


def check_static(s, c, path, content_type):
    r = c.request("GET", None, url=e2e.BASE_URL + path)
    if not s.status(r, 200, "GET %s" % path):
        return
    s.check((r.header("Content-Type") or "").startswith(content_type),
            "%s is %s" % (path, content_type), r.header("Content-Type"))
    s.eq(r.header("Content-Security-Policy"), CSP, "%s: Content-Security-Policy" % path)
    s.check("unsafe-inline" not in (r.header("Content-Security-Policy") or ""),
            "%s: no unsafe-inline" % path)
    s.eq(r.header("X-Frame-Options"), "DENY", "%s: X-Frame-Options" % path)
    s.eq(r.header("X-Content-Type-Options"), "nosniff", "%s: X-Content-Type-Options" % path)
    s.eq(r.header_all("Cache-Control"), ["no-cache"], "%s: Cache-Control: no-cache" % path)
    etag = r.header("ETag")
    if s.check(etag, "%s: has an ETag" % path):
        r = c.request("GET", None, url=e2e.BASE_URL + path, headers={"If-None-Match": etag})
        s.status(r, 304, "GET %s with If-None-Match" % path)


def main(s):
    c = e2e.Client()
    check_static(s, c, "/", "text/html")
    check_static(s, c, "/index.html", "text/html")
    scripts = sorted(glob.glob(os.path.join(HTDOCS, "js", "*.js")))
    if scripts:
        check_static(s, c, "/js/" + os.path.basename(scripts[0]), "text/javascript")
    else:
        s.skip("no htdocs/js/*.js to fetch")
    styles = sorted(glob.glob(os.path.join(HTDOCS, "css", "*.css")))
    if styles:
        check_static(s, c, "/css/" + os.path.basename(styles[0]), "text/css")
    else:
        s.skip("no htdocs/css/*.css to fetch")

    r = c.get("/health")
    s.status(r, 200, "GET /health")
    s.eq(r.header_all("Cache-Control"), ["no-store"], "the API: Cache-Control: no-store only")


e2e.run("static", main)
