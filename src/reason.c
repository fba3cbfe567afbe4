/*
 * reason: the wire names of refusal reasons, session end reasons and
 * logout report types. The tables are indexed by the enums through
 * designated initializers; test_reason walks every value, because a
 * forgotten entry is a NULL hole that no size check at compile time sees.
 */
#include <string.h>

#include "reason.h"

static const char *const reason_names[REASON__MAX] = {
	[REASON_NONE] = "",
	[REASON_TOKEN_MISSING] = "TOKEN_MISSING",
	[REASON_TOKEN_INVALID] = "TOKEN_INVALID",
	[REASON_TOKEN_EXPIRED] = "TOKEN_EXPIRED",
	[REASON_TOKEN_REVOKED] = "TOKEN_REVOKED",
	[REASON_SESSION_IDLE_TIMEOUT] = "SESSION_IDLE_TIMEOUT",
	[REASON_SESSION_EXPIRED] = "SESSION_EXPIRED",
	[REASON_SESSION_ENDED] = "SESSION_ENDED",
	[REASON_REFRESH_INVALID] = "REFRESH_INVALID",
	[REASON_REFRESH_EXPIRED] = "REFRESH_EXPIRED",
	[REASON_REFRESH_REUSED] = "REFRESH_REUSED",
	[REASON_INVALID_CREDENTIALS] = "INVALID_CREDENTIALS",
};

static const char *const reason_messages[REASON__MAX] = {
	[REASON_NONE] = "",
	[REASON_TOKEN_MISSING] = "No access token was sent; sign in.",
	[REASON_TOKEN_INVALID] = "The access token is not valid; sign in again.",
	[REASON_TOKEN_EXPIRED] = "The access token has expired; refresh it.",
	[REASON_TOKEN_REVOKED] = "The access token has been revoked; refresh it or sign in again.",
	[REASON_SESSION_IDLE_TIMEOUT] = "The session ended after a period of inactivity.",
	[REASON_SESSION_EXPIRED] = "The session reached its maximum lifetime; sign in again.",
	[REASON_SESSION_ENDED] = "The session has ended.",
	[REASON_REFRESH_INVALID] = "The refresh token is not valid; sign in again.",
	[REASON_REFRESH_EXPIRED] = "The refresh token has expired; sign in again.",
	[REASON_REFRESH_REUSED] = "A refresh token was used twice, so the session was ended "
				  "to protect the account; sign in again.",
	[REASON_INVALID_CREDENTIALS] = "The email or password is not correct.",
};

static const char *const end_names[END__MAX] = {
	[END_NONE] = "",
	[END_USER_LOGOUT] = "USER_LOGOUT",
	[END_LOGOUT_ALL] = "LOGOUT_ALL",
	[END_REVOKED_BY_USER] = "REVOKED_BY_USER",
	[END_REVOKED_BY_ADMIN] = "REVOKED_BY_ADMIN",
	[END_PASSWORD_CHANGED] = "PASSWORD_CHANGED",
	[END_REFRESH_REUSED] = "REFRESH_REUSED",
	[END_USER_DISABLED] = "USER_DISABLED",
	[END_IDLE_TIMEOUT] = "IDLE_TIMEOUT",
	[END_EXPIRED] = "EXPIRED",
	[END_PASSWORD_GUESSES] = "PASSWORD_GUESSES",
};

static const char *const logout_names[LOGOUT__MAX] = {
	[LOGOUT_USER_ACTION] = "USER_ACTION",
	[LOGOUT_TOKEN_EXPIRED] = "TOKEN_EXPIRED",
	[LOGOUT_IDLE_TIMEOUT] = "IDLE_TIMEOUT",
	[LOGOUT_REFRESH_FAILED] = "REFRESH_FAILED",
	[LOGOUT_SESSION_ENDED] = "SESSION_ENDED",
	[LOGOUT_AUTH_ERROR] = "AUTH_ERROR",
	[LOGOUT_UNKNOWN] = "UNKNOWN",
};

static const struct api_error_def api_errors[ERR__MAX] = {
	[ERR_INVALID_REQUEST] = { 400, "invalid_request", "The request is not valid." },
	[ERR_REGISTRATION_CLOSED] = { 403, "registration_closed",
	    "Registration is not open on this site." },
	[ERR_ACCOUNT_DISABLED] = { 403, "account_disabled", "This account is disabled." },
	[ERR_CSRF_FAILED] = { 403, "csrf_failed",
	    "The X-CSRF-Token header is missing or wrong." },
	[ERR_FORBIDDEN] = { 403, "forbidden", "This is not served to this address." },
	[ERR_NOT_FOUND] = { 404, "not_found", "No such API path." },
	[ERR_METHOD_NOT_ALLOWED] = { 405, "method_not_allowed",
	    "This method is not allowed on this path." },
	[ERR_EMAIL_TAKEN] = { 409, "email_taken", "An account with this email already exists." },
	[ERR_CONFLICT] = { 409, "conflict", "The request conflicts with what is stored." },
	[ERR_TOO_LARGE] = { 413, "too_large", "The request body is too large." },
	[ERR_TOO_MANY_ATTEMPTS] = { 429, "too_many_attempts",
	    "Too many failed sign-in attempts; try again later." },
	[ERR_INTERNAL] = { 500, "internal", "An internal error occurred." },
	[ERR_UNAVAILABLE] = { 503, "unavailable",
	    "The service is temporarily unavailable; try again shortly." },
	[ERR_SETUP_CODE_WRONG] = { 403, "setup_code_wrong",
	    "The setup code is not the one in the configuration." },
	[ERR_SETUP_DONE] = { 409, "setup_done",
	    "Setup is done: the first user exists. Delete setup_code from the configuration." },
	[ERR_BUSY] = { 503, "busy",
	    "Too many sign-ins are being checked right now; try again shortly." },
	[ERR_TOO_MANY_REQUESTS] = { 429, "too_many_requests",
	    "Too many requests from this address; try again later." },
};

const struct api_error_def *
api_error(enum api_error e)
{
	return &api_errors[(unsigned)e < ERR__MAX ? e : ERR_INTERNAL];
}

const char *
reason_name(enum reason r)
{
	return (unsigned)r < REASON__MAX ? reason_names[r] : "";
}

const char *
reason_message(enum reason r)
{
	return (unsigned)r < REASON__MAX ? reason_messages[r] : "";
}

const char *
end_reason_name(enum end_reason r)
{
	return (unsigned)r < END__MAX ? end_names[r] : "";
}

enum end_reason
end_reason_parse(const char *s)
{
	int i;

	if (s == NULL || *s == '\0')
		return END_NONE;
	/* A hole in a table is a bug test_reason reports; it must not crash. */
	for (i = 1; i < END__MAX; i++)
		if (end_names[i] != NULL && strcmp(s, end_names[i]) == 0)
			return (enum end_reason)i;
	return END_NONE;
}

enum reason
reason_for_end(enum end_reason r)
{
	switch (r) {
	case END_NONE:
		return REASON_NONE;
	case END_IDLE_TIMEOUT:
		return REASON_SESSION_IDLE_TIMEOUT;
	case END_EXPIRED:
		return REASON_SESSION_EXPIRED;
	default:
		return REASON_SESSION_ENDED;
	}
}

const char *
logout_type_name(enum logout_type t)
{
	return (unsigned)t < LOGOUT__MAX ? logout_names[t] : "";
}

int
logout_type_parse(const char *s, enum logout_type *out)
{
	int i;

	if (s == NULL)
		return -1;
	for (i = 0; i < LOGOUT__MAX; i++)
		if (logout_names[i] != NULL && strcmp(s, logout_names[i]) == 0) {
			*out = (enum logout_type)i;
			return 0;
		}
	return -1;
}
