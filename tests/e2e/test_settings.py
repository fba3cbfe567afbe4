"""e2e settings: GET /settings, public and cheap (no database), and the
"settings" object of GET /session-info and POST /activity, agreeing with
each other and with what a login says."""

import time

import e2e

KEYS = {
    "server_time": int, "idle_timeout_s": int, "idle_timeout_remember_me_s": int,
    "warning_window_s": int, "session_max_age_s": int,
    "session_max_age_remember_me_s": int, "access_token_lifetime_s": int,
    "activity_write_interval_s": int, "debug_panel": bool, "allow_registration": bool,
}
SESSION_KEYS = {
    "warning_window_s": int, "activity_write_interval_s": int,
    "access_token_lifetime_s": int, "debug_panel": bool,
}


def check_shape(s, obj, keys, what):
    obj = obj or {}
    s.eq(sorted(obj), sorted(keys), "%s: exactly these keys" % what)
    for k, t in keys.items():
        # bool is an int in Python: check the JSON type exactly.
        s.check(type(obj.get(k)) is t, "%s: %s is %s" % (what, k, t.__name__), obj.get(k))


def main(s):
    c = e2e.Client()
    r = c.get("/settings")
    s.status(r, 200, "GET /settings without credentials")
    check_shape(s, r.json, KEYS, "/settings")
    s.eq(r.header("Cache-Control"), "no-store", "/settings is not cached")
    s.eq(r.header_all("Set-Cookie"), [], "/settings sets no cookie")
    st = r.field("server_time")
    s.check(isinstance(st, int) and abs(st - time.time()) < 30, "server_time is now", st)
    cfg = r.json or {}
    idle = cfg.get("idle_timeout_s", 0)
    step = cfg.get("activity_write_interval_s", 0)
    s.check(step >= 1 and (idle == 0 or step <= max(1, idle // 10)),
            "the activity step is at most a tenth of the idle timeout", (step, idle))
    s.check(cfg.get("allow_registration") is True, "registration is open (the test server)")

    r = c.request("HEAD", "/settings")
    s.status(r, 200, "HEAD /settings")
    r = c.post("/settings", {})
    s.status(r, 405, "POST /settings")
    s.check("GET" in (r.header("Allow") or ""), "405 Allow names GET", r.header("Allow"))

    email = e2e.new_user(s, c, "settings")
    r = e2e.login(c, email)
    s.status(r, 200, "login")
    s.eq(r.field("session", "idle_timeout_s"), idle, "login's idle timeout = /settings'")
    s.eq(r.field("expires_in"), cfg.get("access_token_lifetime_s"),
         "login's expires_in = access_token_lifetime_s")
    at = r.field("access_token")

    r = c.get("/session-info", token=at)
    s.status(r, 200, "GET /session-info")
    check_shape(s, r.field("settings"), SESSION_KEYS, "session-info settings")
    for k in SESSION_KEYS:
        s.eq(r.field("settings", k), cfg.get(k), "session-info settings.%s = /settings'" % k)
    r = c.post("/activity", token=at)
    s.status(r, 200, "POST /activity")
    check_shape(s, r.field("settings"), SESSION_KEYS, "activity settings")
    s.check(isinstance(r.field("session", "id"), str), "activity keeps the session", repr(r))


e2e.run("settings", main)
