/*
 * auth: who is calling. Takes the access token transport.c finds,
 * verifies it, loads its session and user in one store round trip, asks
 * the session rules (session_decide_verify) and writes what they say: the
 * session's end, or the user's activity. The most specific 401 reason
 * wins; a database fault is AUTH_UNAVAILABLE, never a denial.
 */
#ifndef TETHER_AUTH_H
#define TETHER_AUTH_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "http.h"
#include "jwt.h"
#include "reason.h"
#include "session.h"
#include "store.h"
#include "transport.h"

enum auth_result { AUTH_OK = 0, AUTH_DENIED, AUTH_UNAVAILABLE };

struct auth_info {
	enum token_source source;
	struct denial deny; /* why denied (AUTH_DENIED) */
	/* The token is genuine and its subject's session was found: session
	 * and user are valid, on AUTH_OK and on a denial alike (an ended
	 * session, an expired or revoked token). */
	bool identified;
	struct jwt_claims claims; /* valid on AUTH_OK */
	struct session session; /* valid on AUTH_OK */
	struct user user; /* valid on AUTH_OK */
};

/*
 * Authenticates req. activity: whether this request is user activity that
 * slides the idle timer (false for X-Activity: background).
 * A session found idle or past its end is ended in the store with that
 * reason; a live session of a disabled user is ended with USER_DISABLED.
 */
enum auth_result auth_access(const struct config *cfg, const struct req *req,
    bool activity, struct auth_info *out);

/*
 * n sessions this worker has just ended with reason r (after the commit,
 * before the answer); sid names it when n is 1, NULL when it cannot. Tells
 * the session caches of every worker of the host and counts the ends, the
 * two things every end must do. n = 0 does nothing.
 */
void auth_sessions_ended(const char *sid, enum end_reason r, int64_t n);

/* Takes the session ends the database has announced (LISTEN) into the
 * cache. Every worker listens, and libpq keeps each announcement it reads
 * until it is taken: a worker that never verifies a token (the hashing
 * and /refresh pools) calls this after each request, or its heap grows
 * with them (bench/results/soak-2026-12-01-1006.md). */
void auth_hear_session_ends(void);

/* Refreshes this worker's cached copy of a live session and its user, if
 * it has one, for one activity write step from now. */
void auth_cache_session(
    const struct config *cfg, const struct session *s, const struct user *u, time_t now);

/* Whether req is user activity, which slides the idle timer: anything
 * but "X-Activity: background" (the front end's own polling). */
bool auth_is_activity(const struct req *req);

/*
 * Why the request's access token no longer works, for a refused refresh
 * that names no session itself (no refresh token, or one cleanup deleted
 * while its cookie lived on): the token's session, kept session_retention
 * after its end, is the more useful answer. Fills *d (ended_reason
 * END_NONE when its session has not ended, or there is none) and, when
 * it names one, *s. AUTH_UNAVAILABLE on a database fault.
 */
enum auth_result auth_explain(
    const struct config *cfg, const struct req *req, struct denial *d, struct session *s);

/*
 * The session the request's access token names, if the token is genuine
 * (expired or not, its session live or not): copies its id to sid and
 * returns true. Else sid is "" and false. *src: where the token came from.
 * For logout, which ends whatever session the caller holds.
 */
bool auth_token_sid(const struct config *cfg, const struct req *req,
    char sid[SESSION_ID_LEN + 1], enum token_source *src);

#endif
