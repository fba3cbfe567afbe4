"""e2e login: the tokens answer, GET /me with Bearer, the access token
checked with PyJWT against the workers' key, forged tokens refused, and
wrong password / unknown email answered alike."""

import time

import jwt

import e2e


def check_tokens(s, t, email):
    s.eq(t.get("token_type"), "Bearer", "token_type")
    s.check(isinstance(t.get("access_token"), str), "access_token", t)
    s.check(isinstance(t.get("refresh_token"), str) and len(t["refresh_token"]) >= 43,
            "refresh_token (256 bits, base64url)", t.get("refresh_token"))
    s.check(isinstance(t.get("expires_in"), int) and t["expires_in"] > 0, "expires_in", t)
    now = time.time()
    st = t.get("server_time")
    s.check(isinstance(st, int) and abs(st - now) < 30, "server_time is now", st)
    if isinstance(st, int) and isinstance(t.get("expires_in"), int):
        s.check(abs(t.get("access_expires_at", 0) - (st + t["expires_in"])) <= 1,
                "access_expires_at = server_time + expires_in", t)
        s.check(isinstance(t.get("refresh_expires_at"), int) and t["refresh_expires_at"] > st,
                "refresh_expires_at in the future", t)
    sess = t.get("session") or {}
    for k in ("id", "idle_timeout_s", "idle_expires_at", "absolute_expires_at", "remember_me"):
        s.check(k in sess, "session.%s" % k, sess)
    s.eq(sess.get("remember_me"), False, "session.remember_me")
    user = t.get("user") or {}
    s.eq(user.get("email"), email, "user.email")
    s.check("id" in user and "display_name" in user, "user.id, user.display_name", user)


def main(s):
    c = e2e.Client()
    email = e2e.new_user(s, c, "login")
    kid, secret = e2e.signing_key()

    e2e.align_to_second()
    r = e2e.login(c, email, device_id="e2e-device")
    s.status(r, 200, "POST /login")
    t = r.json or {}
    check_tokens(s, t, email)
    at = t.get("access_token", "")

    r = c.get("/me", token=at)
    s.status(r, 200, "GET /me with Bearer")
    s.eq(r.field("user", "email"), email, "/me says who")
    for h in ("X-Session-Idle-Expires-In", "X-Token-Expires-In"):
        v = r.header(h)
        s.check(v is not None and v.lstrip("-").isdigit(), "/me carries %s" % h, v)

    # The access token, verified independently with PyJWT.
    header = jwt.get_unverified_header(at)
    s.eq(header.get("alg"), "HS256", "JWT alg")
    s.eq(header.get("typ"), "JWT", "JWT typ")
    s.eq(header.get("kid"), kid, "JWT kid is the first signing key's")
    claims = {}
    try:
        claims = jwt.decode(at, secret, algorithms=["HS256"], audience="tether",
                            issuer="tether", leeway=5,
                            options={"require": ["exp", "iat", "sub", "jti"]})
        s.check(True, "PyJWT verifies the access token with the signing key")
    except jwt.PyJWTError as e:
        s.check(False, "PyJWT verifies the access token with the signing key", e)
    if claims:
        s.eq(str(claims.get("sub")), str(t.get("user", {}).get("id")), "sub is the user id")
        s.eq(claims.get("sid"), t.get("session", {}).get("id"), "sid is the session id")
        s.eq(claims.get("typ"), "access", "typ claim")
        s.eq(claims["exp"] - claims["iat"], t.get("expires_in"), "exp - iat = expires_in")
        s.check(isinstance(claims.get("jti"), str) and len(claims["jti"]) >= 22,
                "jti has 128 bits", claims.get("jti"))

        # The same claims signed again with the same key are as good...
        again = jwt.encode(claims, secret, algorithm="HS256", headers={"kid": kid})
        s.status(c.get("/me", token=again), 200, "a copy signed with the same key")
        # ... and anything else is refused.
        forged = jwt.encode(claims, b"k" * 32, algorithm="HS256", headers={"kid": kid})
        s.unauthorized(c.get("/me", token=forged), "TOKEN_INVALID", "a token signed with another key")
        none = jwt.encode(claims, None, algorithm="none", headers={"kid": kid})
        s.unauthorized(c.get("/me", token=none), "TOKEN_INVALID", "alg none")
        other = jwt.encode(claims, secret, algorithm="HS256", headers={"kid": kid + "x"})
        s.unauthorized(c.get("/me", token=other), "TOKEN_INVALID", "an unknown kid")
        wrong_aud = dict(claims, aud="someone-else")
        tok = jwt.encode(wrong_aud, secret, algorithm="HS256", headers={"kid": kid})
        s.unauthorized(c.get("/me", token=tok), "TOKEN_INVALID", "another audience")
        wrong_typ = dict(claims, typ="refresh")
        tok = jwt.encode(wrong_typ, secret, algorithm="HS256", headers={"kid": kid})
        s.unauthorized(c.get("/me", token=tok), "TOKEN_INVALID", "typ refresh")
        tok = jwt.encode(claims, secret, algorithm="HS512", headers={"kid": kid})
        s.unauthorized(c.get("/me", token=tok), "TOKEN_INVALID", "alg HS512")

    # A Bearer request needs no CSRF header.
    r = c.post("/activity", token=at)
    s.status(r, 200, "POST /activity with Bearer, no CSRF header")

    # Wrong password and unknown email: the same answer.
    r1 = e2e.login(c, email, "wrong password, long enough")
    r2 = e2e.login(c, e2e.unique_email("nobody"), "wrong password, long enough")
    s.error(r1, 401, "unauthorized", "wrong password", "INVALID_CREDENTIALS")
    s.error(r2, 401, "unauthorized", "unknown email", "INVALID_CREDENTIALS")
    s.eq(r1.body, r2.body, "wrong password and unknown email: same body")


e2e.run("login", main)
