"""e2e register: POST /register (201), duplicates, password rules, login."""

import e2e


def main(s):
    c = e2e.Client()
    email = e2e.unique_email("register")

    r = e2e.register(c, email, display_name="Ada Lovelace")
    s.status(r, 201, "POST /register")
    s.eq(r.field("user", "email"), email, "registered email")
    s.eq(r.field("user", "display_name"), "Ada Lovelace", "registered display_name")
    s.check(r.field("user", "id") is not None, "registered user has an id", repr(r))
    text = r.body.decode("utf-8", "replace").lower()
    s.check("password" not in text and "hash" not in text,
            "the answer says nothing about the password", text)

    r = e2e.register(c, email.upper())
    s.check(r.status == 409, "registering the same email (other case) -> 409", repr(r))

    r = e2e.register(c, e2e.unique_email("short"), password="1234567")
    s.error(r, 400, "invalid_request", "a 7-character password")

    r = e2e.register(c, e2e.unique_email("nul"), password="password\u0000withnul")
    s.error(r, 400, "invalid_request", "a password with a NUL")

    r = e2e.register(c, "not-an-email")
    s.error(r, 400, "invalid_request", "an email without @")

    # A long password is fine (8 to 1024 characters, never truncated).
    long_email = e2e.unique_email("long")
    long_pw = "p" * 1024
    r = e2e.register(c, long_email, password=long_pw)
    s.status(r, 201, "a 1024-character password")
    r = e2e.login(c, long_email, long_pw[:-1] + "q")
    s.status(r, 401, "login with the last character of 1024 changed")
    r = e2e.login(c, long_email, long_pw)
    s.status(r, 200, "login with the 1024-character password")

    r = e2e.login(c, email)
    s.status(r, 200, "login after register")
    r = e2e.login(c, email.upper())
    s.status(r, 200, "login with the email in other case")
    s.eq(r.field("user", "email"), email, "the user keeps the email as registered")


e2e.run("register", main)
