/*
 * login: the sign-in policy. Which emails are acceptable, throttling by
 * email and by client address, the password check (with the same cost for
 * an unknown email), the hash upgrade after a sign-in, and the check of
 * the current password before a change. The handlers turn each result
 * into its answer.
 */
#ifndef TETHER_LOGIN_H
#define TETHER_LOGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "config.h"
#include "http.h"
#include "store.h"

enum login_result {
	LOGIN_OK = 0,
	LOGIN_BAD_CREDENTIALS, /* wrong password, or no such account */
	LOGIN_DISABLED, /* the password is right, the account disabled */
	LOGIN_THROTTLED, /* too many failures: try again after a while */
	LOGIN_NO_USER, /* the user of a session is gone */
	LOGIN_UNAVAILABLE, /* database fault */
	LOGIN_BUSY /* the host's hashes in flight are at hash_concurrency */
};

/* An email address we accept for an account: one '@' with text on both
 * sides, no spaces or controls, valid UTF-8, at most EMAIL_MAX bytes. */
bool login_email_ok(const char *email);

/* The fields of a registration, borrowed from its body. */
struct registration {
	const char *email;
	const char *password;
	size_t password_len;
	const char *display_name; /* NULL: none */
};

/* Reads and checks a registration body (NULL: none): NULL with *r filled,
 * or the message of the 400 it deserves. */
const char *login_parse_registration(json_object *body, struct registration *r);

/*
 * Signs in email with password pw (pwlen bytes) for the client of req.
 * LOGIN_OK: *u is the user. LOGIN_THROTTLED: *retry_after is the seconds
 * until the oldest counted failure leaves the window. A wrong password is
 * counted, audited and logged here.
 */
enum login_result login_check(const struct config *cfg, const struct req *req,
    const char *email, const char *pw, size_t pwlen, struct user *u,
    int64_t *retry_after);

/* Counts one password hash (a registration) against the client address's
 * address_max_attempts: LOGIN_OK, LOGIN_THROTTLED with *retry_after, or
 * LOGIN_UNAVAILABLE. */
enum login_result login_take_hash(
    const struct config *cfg, const struct req *req, int64_t *retry_after);

/* Counts one unauthenticated write (a logout report, an audited refresh
 * failure) against the client address's address_max_writes (M3): LOGIN_OK,
 * LOGIN_THROTTLED with *retry_after, or LOGIN_UNAVAILABLE. */
enum login_result login_take_write(
    const struct config *cfg, const struct req *req, int64_t *retry_after);

/* Checks the current password pw of user id before a change, counted
 * against the account's login_max_attempts (as /login failures are) and
 * the address's address_max_attempts: LOGIN_OK, LOGIN_BAD_CREDENTIALS with
 * *failures the account's failures in the window, this one included,
 * LOGIN_THROTTLED with *retry_after, LOGIN_NO_USER or LOGIN_UNAVAILABLE. */
enum login_result login_verify_current(const struct config *cfg, const struct req *req,
    int64_t id, const char *pw, size_t pwlen, int64_t *retry_after, int64_t *failures);

#endif
