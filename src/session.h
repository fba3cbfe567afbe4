/*
 * session: the session rules of DESIGN section 3 as pure functions of
 * (session, now, config). No I/O: auth (verify) and the store's refresh
 * transaction load the rows, ask session_decide_verify() or
 * session_decide_refresh(), and write what they say.
 */
#ifndef TETHER_SESSION_H
#define TETHER_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "reason.h"

#define SESSION_ID_LEN 36 /* a UUID in text form */
#define DEVICE_ID_MAX 128
#define USER_AGENT_MAX 512
#define IP_MAX 64

/* One row of sessions, as the store returns it. Times are Unix seconds. */
struct session {
	char id[SESSION_ID_LEN + 1];
	int64_t user_id;
	time_t created_at;
	time_t last_active_at;
	int64_t idle_timeout_s; /* 0 = no idle timeout */
	time_t absolute_expires_at;
	bool remember_me;
	time_t ended_at; /* 0 while live */
	enum end_reason end_reason;
	char device_id[DEVICE_ID_MAX + 1];
	char user_agent[USER_AGENT_MAX + 1];
	char ip[IP_MAX + 1];
};

/* One row of refresh_tokens, as the store returns it. */
struct refresh_row {
	int64_t id;
	time_t issued_at;
	time_t expires_at;
	time_t rotated_at; /* 0 = not rotated */
	time_t revoked_at; /* 0 = not revoked */
};

/* A new session of user_id created at now, with the idle timeout and
 * absolute end the rules give its kind; id, device and client empty. */
void session_init(const struct config *cfg, struct session *s, int64_t user_id,
    bool remember_me, time_t now);
/* Idle timeout in force for a new session (0 = none). */
int64_t session_idle_timeout(const struct config *cfg, bool remember_me);
/* Absolute end of a session created at created_at. */
time_t session_absolute_expiry(const struct config *cfg, time_t created_at,
    bool remember_me);
/* Expiry of a refresh token issued now: its lifetime, but never past the
 * session's absolute end. */
time_t session_refresh_expiry(const struct config *cfg, const struct session *s,
    time_t now);
/* Expiry of an access token issued now (its lifetime; the session rules are
 * checked on every request, so it may outlive the session's idle end). */
time_t session_access_expiry(const struct config *cfg, time_t now);
/* When the idle timeout ends the session; 0 if it has none. */
time_t session_idle_expiry(const struct session *s);

/*
 * Max-Age of the cookies that carry the tokens of a refresh token expiring
 * at refresh_expires_at, set at now: until then, plus session_retention.
 * Why the margin: an ended session is kept that long, so a browser that
 * still sends its dead cookies is told why (SESSION_EXPIRED, ...), not
 * TOKEN_MISSING. At least 1 (0 would delete them).
 */
int64_t session_cookie_max_age(
    const struct config *cfg, time_t refresh_expires_at, time_t now);

/*
 * What the rules say about s at now:
 *   REASON_NONE                 live;
 *   REASON_SESSION_ENDED etc.   ended in the store (reason_for_end);
 *   REASON_SESSION_IDLE_TIMEOUT idle past its timeout: *end is set to
 *                               END_IDLE_TIMEOUT, *end_at to when it ran out;
 *   REASON_SESSION_EXPIRED      past its absolute end: END_EXPIRED, that time.
 * *end is END_NONE when nothing must be written (live, or already ended).
 * The absolute end wins when both have passed and it came first.
 */
enum reason session_check(const struct session *s, time_t now,
    enum end_reason *end, time_t *end_at);

/*
 * Step at which last_active_at is written for an idle timeout of
 * idle_timeout_s seconds (0 = none): activity_write_interval, but never
 * more than a tenth of that timeout (at least 1 s).
 * Why: writing on every request costs a write per page view; coalescing
 * keeps the idle timeout enforced to within this step.
 */
int64_t session_write_step(const struct config *cfg, int64_t idle_timeout_s);
/* The step for s: session_write_step() of the idle timeout s carries. */
int64_t session_write_interval(const struct config *cfg, const struct session *s);
/* True if user activity at now must be written to last_active_at. */
bool session_should_touch(const struct config *cfg, const struct session *s,
    time_t now);

/*
 * The verify decision: what the rules say about a request that presents a
 * genuine access token of session s (loaded with its user), at now.
 */
struct verify_decision {
	/* deny.reason REASON_NONE: allowed. Otherwise the 401 and its
	 * explanation: a session reason when s has ended or must end (its
	 * limits, a disabled user), else TOKEN_EXPIRED or TOKEN_REVOKED. */
	struct denial deny;
	enum end_reason end; /* the end to record now; END_NONE: none */
	time_t end_at;
	bool touch;          /* allowed, and last_active_at = now is due */
};

/*
 * Decides a verify. token_expired: the token's exp has passed (its session
 * is still looked up, so an ended session is the answer rather than
 * "refresh"); token_revoked: its jti is blacklisted; activity: the request
 * is the user's (it slides the idle timer). At most one write follows:
 * the end, or the touch. A disabled user's live session ends with
 * USER_DISABLED here and in session_decide_refresh() alike.
 */
void session_decide_verify(const struct config *cfg, const struct session *s,
    bool user_disabled, bool token_expired, bool token_revoked, bool activity,
    time_t now, struct verify_decision *out);

/* What presenting a refresh token means. */
enum refresh_verdict {
	REFRESH_ROTATE = 0, /* valid: rotate it */
	REFRESH_GRACE,      /* rotated moments ago: a concurrent refresh, reissue */
	REFRESH_REUSED,     /* rotated before the grace: theft, end the session */
	REFRESH_EXPIRED,
	REFRESH_REVOKED,
	REFRESH__MAX
};

/*
 * Classifies token t at now with grace seconds of reuse grace.
 * Why the grace: two tabs refreshing at once present the same token; the
 * loser must not be mistaken for a thief.
 * Order: revoked, then rotated (grace or reuse), then expired.
 */
enum refresh_verdict session_refresh_verdict(const struct refresh_row *t,
    time_t now, int64_t grace);

/*
 * The refresh decision: what presenting refresh token t of session s
 * (both locked, with the session's user) at now means.
 */
struct refresh_decision {
	enum reason reason;           /* REASON_NONE: issue a new token */
	enum refresh_verdict verdict; /* what t was, once the session is live */
	enum end_reason end;          /* the end to record now; END_NONE: none */
	time_t end_at;
	time_t refresh_expires_at;    /* of the new token (capped at the
	                               * session's absolute end) */
	bool rotate;                  /* mark t rotated (not for a grace reissue) */
	bool touch;                   /* last_active_at = now */
};

/*
 * Decides a refresh, in this order: the session's own state (ended, idle,
 * past its absolute end, its user disabled: each ends it or names its
 * recorded end), then the token (revoked: REFRESH_INVALID; rotated within
 * cfg->refresh_reuse_grace: a sibling is issued; rotated before: the
 * session ends with REFRESH_REUSED; expired: REFRESH_EXPIRED), else
 * rotation. activity: a refresh the user caused slides the idle timer.
 */
void session_decide_refresh(const struct config *cfg, const struct session *s,
    bool user_disabled, const struct refresh_row *t, bool activity, time_t now,
    struct refresh_decision *out);

/*
 * The X-Session-Warning value for these time lefts: "idle" when the idle
 * timeout is within the warning window, else "token" when the access token
 * is, else NULL. idle_left < 0 means no idle timeout.
 */
const char *session_warning(const struct config *cfg, int64_t idle_left,
    int64_t token_left);

#endif
