#!/usr/bin/env python3
"""tests/fuzz/make_seeds.py: writes the seed corpora of tests/fuzz/corpus/.
Run once after changing it; the files are checked in. Each seed is small
and valid (or nearly), so that the fuzzer starts deep in each parser."""
import base64
import hashlib
import hmac
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
K1 = b"0123456789abcdef0123456789abcdef"  # fuzz_jwt.c's key k1


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def put(harness, name, data):
    d = os.path.join(HERE, "corpus", harness)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def token(header, payload, key=K1):
    h = b64(json.dumps(header, separators=(",", ":")).encode())
    p = b64(json.dumps(payload, separators=(",", ":")).encode())
    sig = hmac.new(key, (h + "." + p).encode(), hashlib.sha256).digest()
    return h + "." + p + "." + b64(sig)


NOW = 1800000000
HDR = {"alg": "HS256", "typ": "JWT", "kid": "k1"}
CLAIMS = {"iss": "tether", "aud": "tether", "typ": "access", "sub": "42",
          "sid": "c2Vzc2lvbi1pZC0xMjM0NTY3OA", "jti": "dG9rZW4taWQtMTIzNDU2Nzg5MA",
          "iat": NOW - 10, "exp": NOW + 900}

# http: environment lines; the first line is also a Cookie header.
put("http", "cookies", "HTTP_COOKIE=tether_access=abc; tether_refresh=def; "
    "tether_csrf=xyz\nREQUEST_URI=/api/refresh?x=1\nREQUEST_METHOD=POST\n"
    "HTTP_X_CSRF_TOKEN=xyz\n")
put("http", "bearer", "HTTP_AUTHORIZATION=Bearer a.b.c\nREQUEST_URI=/api/me\n"
    "CONTENT_LENGTH=12\nHTTP_X_TOKEN_TRANSPORT=cookie\n")
put("http", "cgi", "SCRIPT_NAME=/api\nPATH_INFO=/sessions/abc\nREMOTE_ADDR=::1\n"
    "HTTP_USER_AGENT=Mozilla/5.0\n")
put("http", "dup", "a=1; a=2;;  b = \"q\" ; =x; c\n")

# json: request bodies.
put("json", "register", json.dumps({"email": "a@example.org", "password":
    "correct horse battery", "display_name": "A"}))
put("json", "login", json.dumps({"email": "a@example.org", "password": "pw",
    "remember_me": True, "refresh_token": "abc"}))
put("json", "report", json.dumps({"type": "IDLE_TIMEOUT", "message": "idle",
    "location": "/app.html#x", "idle_minutes": 31.5,
    "context": {"tab": 1, "visible": False}}))
put("json", "escapes", '{"email":"\\u00e9@x.org","message":"a\\u0000b","type":"UNKNOWN"}')

# jwt: 'R' + a client's token; 'S' + header\npayload; 'M' + mutations.
put("jwt", "valid", "R" + token(HDR, CLAIMS))
put("jwt", "none_alg", "R" + token({"alg": "none", "typ": "JWT", "kid": "k1"}, CLAIMS))
put("jwt", "signed", "S" + json.dumps(HDR) + "\n" + json.dumps(CLAIMS))
put("jwt", "signed_aud_list", "S" + json.dumps({"alg": "HS256", "kid": "k2"}) + "\n" +
    json.dumps(dict(CLAIMS, aud=["x", "tether"], nbf=NOW)))
put("jwt", "signed_big_exp", "S" + json.dumps(HDR) + "\n" +
    json.dumps(dict(CLAIMS, exp=1 << 62)))
put("jwt", "mutate", b"M" + bytes(range(0, 40)))

# b64url
put("b64url", "text", b64(b"hello, world"))
put("b64url", "two", "QQ")
put("b64url", "three", "QUI")

# config: whole files.
put("config", "example", "# tether.conf\ndatabase_url = postgres://u:p#w@h/db\n"
    "signing_keys = k1:" + b64(K1) + ", k2:" + b64(K1[::-1]) + "\n"
    "mount_path = /api/auth\naccess_token_lifetime = 15m  # comment\n"
    "idle_timeout_remember_me = 0\ntoken_transport = cookie\n"
    "cookie_samesite = Strict\nlog_level = debug\nlogin_max_attempts = 5\n"
    "metrics_allow = 10.0.0.0/8,::1/128\nsession_cache = false\n")
put("config", "durations", "refresh_token_lifetime = 7d\nsession_max_age = 12h\n"
    "jwt_leeway = 30s\nwarning_window=5m\r\n")

# router: METHOD\npath
for i, (m, p) in enumerate([("POST", "/login"), ("DELETE", "/sessions/abc"),
                            ("GET", "/sessions/"), ("PUT", "/me"), ("GET", "/")]):
    put("router", "r%d" % i, m + "\n" + p)

# netaddr: allow list\naddress
put("netaddr", "v4", "127.0.0.1/32,10.0.0.0/8\n10.1.2.3")
put("netaddr", "v6", "::1/128, 2001:db8::/32\n2001:db8::1")
put("netaddr", "mapped", "0.0.0.0/0\n::ffff:192.0.2.1")

# password: pw\nstored (cost kept small: fuzz_password.c skips big ones)
salt = b"0123456789abcdef"
dk = hashlib.scrypt(b"secret-password", salt=salt, n=16, r=1, p=1, dklen=32)
put("password", "valid", "secret-password\n$scrypt$ln=4,r=1,p=1$" + b64(salt) +
    "$" + b64(dk))
put("password", "wrong", "other\n$scrypt$ln=4,r=1,p=1$" + b64(salt) + "$" + b64(dk))
