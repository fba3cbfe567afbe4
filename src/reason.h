/*
 * reason: the reason codes of the API (why a request was refused), the
 * end reasons of a session and the types of a client's logout report, each
 * an enum with a parallel table of wire names, so these strings exist in
 * exactly one place.
 */
#ifndef TETHER_REASON_H
#define TETHER_REASON_H

#include <stdint.h>
#include <time.h>

/* Why a request was refused with 401. */
enum reason {
	REASON_NONE = 0,
	REASON_TOKEN_MISSING,
	REASON_TOKEN_INVALID,
	REASON_TOKEN_EXPIRED,
	REASON_TOKEN_REVOKED,
	REASON_SESSION_IDLE_TIMEOUT,
	REASON_SESSION_EXPIRED,
	REASON_SESSION_ENDED,
	REASON_REFRESH_INVALID,
	REASON_REFRESH_EXPIRED,
	REASON_REFRESH_REUSED,
	REASON_INVALID_CREDENTIALS,
	REASON__MAX
};

/* Why a session ended, as stored in sessions.end_reason. */
enum end_reason {
	END_NONE = 0,
	END_USER_LOGOUT,
	END_LOGOUT_ALL,
	END_REVOKED_BY_USER,
	END_REVOKED_BY_ADMIN,
	END_PASSWORD_CHANGED,
	END_REFRESH_REUSED,
	END_USER_DISABLED,
	END_IDLE_TIMEOUT, /* reported to clients as SESSION_IDLE_TIMEOUT */
	END_EXPIRED,      /* absolute lifetime; reported as SESSION_EXPIRED */
	END_PASSWORD_GUESSES, /* login_max_attempts wrong current passwords (L3) */
	END__MAX
};

/*
 * A 401 and what explains it: reply_deny() writes it. ended_reason and
 * ended_at say how the session ended when a session end is the reason
 * (END_NONE otherwise); idle_for (seconds) is told with
 * SESSION_IDLE_TIMEOUT.
 */
struct denial {
	enum reason reason;
	enum end_reason ended_reason;
	time_t ended_at;
	int64_t idle_for;
};

/* Why a client says it logged out (POST /logout-event "type"). The shared
 * metrics file has one counter per type, in this order: a new type changes
 * its layout (bump the file's version in metrics.c). */
enum logout_type {
	LOGOUT_USER_ACTION = 0,
	LOGOUT_TOKEN_EXPIRED,
	LOGOUT_IDLE_TIMEOUT,
	LOGOUT_REFRESH_FAILED,
	LOGOUT_SESSION_ENDED,
	LOGOUT_AUTH_ERROR,
	LOGOUT_UNKNOWN,
	LOGOUT__MAX
};

/*
 * Every other error the API answers (everything but the 401s above): its
 * status, its "error" code and the message it carries unless the caller
 * gives a more precise one.
 */
enum api_error {
	ERR_INVALID_REQUEST = 0,
	ERR_REGISTRATION_CLOSED,
	ERR_ACCOUNT_DISABLED,
	ERR_CSRF_FAILED,
	ERR_FORBIDDEN,
	ERR_NOT_FOUND,
	ERR_METHOD_NOT_ALLOWED,
	ERR_EMAIL_TAKEN,
	ERR_CONFLICT,
	ERR_TOO_LARGE,
	ERR_TOO_MANY_ATTEMPTS,
	ERR_INTERNAL,
	ERR_UNAVAILABLE,
	ERR_SETUP_CODE_WRONG,
	ERR_SETUP_DONE,
	ERR_BUSY,              /* 503: the host's password hashes are all in flight */
	ERR_TOO_MANY_REQUESTS, /* 429: an address's unauthenticated writes */
	ERR__MAX
};

struct api_error_def {
	int status;
	const char *code;
	const char *message;
};

/* The definition of e (the ERR_INTERNAL one for a value out of range). */
const struct api_error_def *api_error(enum api_error e);

/* Wire name ("TOKEN_EXPIRED"); "" for REASON_NONE. */
const char *reason_name(enum reason r);
/* Human sentence for the error message of a 401. */
const char *reason_message(enum reason r);
/* Wire name ("USER_LOGOUT"); "" for END_NONE. */
const char *end_reason_name(enum end_reason r);
/* Parses a wire name; END_NONE if unknown or NULL. */
enum end_reason end_reason_parse(const char *s);
/* The 401 reason a request gets for a session that ended with r:
 * SESSION_IDLE_TIMEOUT, SESSION_EXPIRED or SESSION_ENDED. */
enum reason reason_for_end(enum end_reason r);
/* Wire name ("USER_ACTION"); "" if t is out of range. */
const char *logout_type_name(enum logout_type t);
/* Parses a wire name into *out; 0, or -1 (*out untouched) if s is unknown
 * or NULL. */
int logout_type_parse(const char *s, enum logout_type *out);

#endif
