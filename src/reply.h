/*
 * reply: the shapes every API response takes, in one place. Errors
 * {error, message} from the table of reason.h, the 401 with its reason
 * details and WWW-Authenticate (RFC 6750), the 503 with Retry-After, any
 * store error mapped to its status; and the JSON views of users,
 * sessions, settings and the logout timeline that several routes share.
 * Every json_object returned is new, owned by the caller (usually added to
 * another object or passed to reply_json, which consume it).
 */
#ifndef TETHER_REPLY_H
#define TETHER_REPLY_H

#include <json-c/json.h>
#include <stddef.h>
#include <time.h>

#include "config.h"
#include "http.h"
#include "login.h"
#include "reason.h"
#include "store.h"
#include "tokens.h"

/* Seconds a client should wait before retrying after a 503. */
#define RETRY_AFTER_S 5

/* Sets status and the serialized body o (consumed). */
void reply_json(struct resp *resp, int status, json_object *o);
/* {error, message} with e's status; message NULL: e's own. */
void reply_fail(struct resp *resp, enum api_error e, const char *message);
/* 400 invalid_request with message. */
void reply_bad_request(struct resp *resp, const char *message);
/* 503 {error:"unavailable"} with Retry-After: a database fault. */
void reply_unavailable(struct resp *resp);
/* The answer to a store error a route has no more precise answer for:
 * NOTFOUND 404, CONFLICT 409, UNAVAILABLE (and anything else) 503. */
void reply_store_error(struct resp *resp, enum store_err se);
/* 401 {error:"unauthorized", reason, message, ended_reason?, ended_at?,
 * idle_for_s?} with WWW-Authenticate. */
void reply_deny(struct resp *resp, const struct denial *a);
/* 401 for a bare reason (no session details). */
void reply_deny_reason(struct resp *resp, enum reason r);
/* The answer to a sign-in (or password check) that did not succeed:
 * 429 with Retry-After, 401 INVALID_CREDENTIALS, 403 account_disabled or
 * 503. False (nothing sent) for LOGIN_OK. */
bool reply_login_refused(struct resp *resp, enum login_result lr, int64_t retry_after);

/* ---- views ---- */
/* {id, email, display_name} */
json_object *reply_view_user(const struct user *u);
/* {id, idle_timeout_s, idle_expires_at, absolute_expires_at, remember_me},
 * and with full also created_at, last_active_at, device_id, user_agent, ip. */
json_object *reply_view_session(const struct session *s, bool full);
/*
 * GET /session-info and POST /activity: server_time, the session (full),
 * the access token's iat and exp, the refresh token's expiry
 * (refresh_expires_at, 0: null), and the settings the front end mirrors.
 */
json_object *reply_view_session_info(const struct config *cfg, const struct session *s,
    int64_t access_iat, int64_t access_exp, time_t refresh_expires_at, time_t now);
/* GET /settings: the public settings a page needs before anyone signs in. */
json_object *reply_view_settings(const struct config *cfg, time_t now);
/* GET /logout-events: the reports evs[0..ne) and the ended sessions
 * ends[0..ns), both newest first, merged into one newest-first array. */
json_object *reply_view_timeline(
    const struct logout_event *evs, size_t ne, const struct session *ends, size_t ns);

/*
 * The answer of login and refresh: the new pair p, its session and user,
 * with the tokens in the body or in cookies (Max-Age from the session
 * rules) as transport.c decides for req.
 */
void reply_tokens(struct resp *resp, const struct config *cfg, const struct req *req,
    const struct token_pair *p, const struct session *s, const struct user *u,
    time_t refresh_expires_at);

#endif
