/*
 * session: the session rules as pure functions. A limit is reached at the
 * exact second it names: a session whose idle end is 12:30:00 is over at
 * 12:30:00, so the server and a front end counting down to zero agree.
 */
#include <string.h>

#include "session.h"

void
session_init(const struct config *cfg, struct session *s, int64_t user_id,
    bool remember_me, time_t now)
{
	memset(s, 0, sizeof(*s));
	s->user_id = user_id;
	s->created_at = s->last_active_at = now;
	s->remember_me = remember_me;
	s->idle_timeout_s = session_idle_timeout(cfg, remember_me);
	s->absolute_expires_at = session_absolute_expiry(cfg, now, remember_me);
}

int64_t
session_idle_timeout(const struct config *cfg, bool remember_me)
{
	return remember_me ? cfg->idle_timeout_remember_me : cfg->idle_timeout;
}

time_t
session_absolute_expiry(const struct config *cfg, time_t created_at, bool remember_me)
{
	return created_at +
	    (time_t)(remember_me ? cfg->session_max_age_remember_me
	                         : cfg->session_max_age);
}

time_t
session_refresh_expiry(const struct config *cfg, const struct session *s, time_t now)
{
	time_t t = now +
	    (time_t)(s->remember_me ? cfg->refresh_token_lifetime_remember_me
	                            : cfg->refresh_token_lifetime);

	return t < s->absolute_expires_at ? t : s->absolute_expires_at;
}

time_t
session_access_expiry(const struct config *cfg, time_t now)
{
	return now + (time_t)cfg->access_token_lifetime;
}

time_t
session_idle_expiry(const struct session *s)
{
	return s->idle_timeout_s > 0 ? s->last_active_at + (time_t)s->idle_timeout_s : 0;
}

int64_t
session_cookie_max_age(const struct config *cfg, time_t refresh_expires_at, time_t now)
{
	int64_t age = (int64_t)(refresh_expires_at - now) + cfg->session_retention;

	return age < 1 ? 1 : age;
}

enum reason
session_check(const struct session *s, time_t now, enum end_reason *end, time_t *end_at)
{
	time_t idle = session_idle_expiry(s), abs = s->absolute_expires_at;

	*end = END_NONE;
	*end_at = 0;
	if (s->ended_at != 0 || s->end_reason != END_NONE) {
		*end_at = s->ended_at;
		return reason_for_end(s->end_reason);
	}
	/* Whichever limit came first is the one that ended it. */
	if (now >= abs && (idle == 0 || abs <= idle)) {
		*end = END_EXPIRED;
		*end_at = abs;
		return REASON_SESSION_EXPIRED;
	}
	if (idle != 0 && now >= idle) {
		*end = END_IDLE_TIMEOUT;
		*end_at = idle;
		return REASON_SESSION_IDLE_TIMEOUT;
	}
	return REASON_NONE;
}

int64_t
session_write_step(const struct config *cfg, int64_t idle_timeout_s)
{
	int64_t step = cfg->activity_write_interval;

	if (idle_timeout_s > 0 && idle_timeout_s / 10 < step)
		step = idle_timeout_s / 10;
	return step < 1 ? 1 : step;
}

int64_t
session_write_interval(const struct config *cfg, const struct session *s)
{
	return session_write_step(cfg, s->idle_timeout_s);
}

bool
session_should_touch(const struct config *cfg, const struct session *s, time_t now)
{
	return (int64_t)(now - s->last_active_at) >= session_write_interval(cfg, s);
}

/*
 * The session's own state at now: session_check(), plus the rule that a
 * live session of a disabled user ends with USER_DISABLED. The one place
 * that rule is written.
 */
static enum reason
session_state(const struct session *s, bool user_disabled, time_t now,
    enum end_reason *end, time_t *end_at)
{
	enum reason r = session_check(s, now, end, end_at);

	if (r == REASON_NONE && user_disabled) {
		r = REASON_SESSION_ENDED;
		*end = END_USER_DISABLED;
		*end_at = now;
	}
	return r;
}

void
session_decide_verify(const struct config *cfg, const struct session *s,
    bool user_disabled, bool token_expired, bool token_revoked, bool activity, time_t now,
    struct verify_decision *out)
{
	memset(out, 0, sizeof(*out));
	out->deny.reason = session_state(s, user_disabled, now, &out->end, &out->end_at);
	if (out->deny.reason != REASON_NONE) {
		out->deny.ended_reason = out->end != END_NONE ? out->end : s->end_reason;
		out->deny.ended_at = out->end != END_NONE ? out->end_at : s->ended_at;
		out->deny.idle_for = (int64_t)(now - s->last_active_at);
	} else if (token_expired)
		out->deny.reason = REASON_TOKEN_EXPIRED;
	else if (token_revoked)
		out->deny.reason = REASON_TOKEN_REVOKED;
	else
		out->touch = activity && session_should_touch(cfg, s, now);
}

void
session_decide_refresh(const struct config *cfg, const struct session *s,
    bool user_disabled, const struct refresh_row *t, bool activity, time_t now,
    struct refresh_decision *out)
{
	memset(out, 0, sizeof(*out));
	if ((out->reason = session_state(
	         s, user_disabled, now, &out->end, &out->end_at)) != REASON_NONE)
		return;
	out->verdict = session_refresh_verdict(t, now, cfg->refresh_reuse_grace);
	switch (out->verdict) {
	case REFRESH_REVOKED:
		out->reason = REASON_REFRESH_INVALID;
		return;
	case REFRESH_EXPIRED:
		out->reason = REASON_REFRESH_EXPIRED;
		return;
	case REFRESH_REUSED:
		/* Why end everything: the token was used twice outside the
		 * grace, so one of the two holders is not the user. */
		out->reason = REASON_REFRESH_REUSED;
		out->end = END_REFRESH_REUSED;
		out->end_at = now;
		return;
	case REFRESH_ROTATE:
	case REFRESH_GRACE:
	default:
		break;
	}
	out->refresh_expires_at = session_refresh_expiry(cfg, s, now);
	out->rotate = out->verdict == REFRESH_ROTATE;
	out->touch = activity && now > s->last_active_at;
}

enum refresh_verdict
session_refresh_verdict(const struct refresh_row *t, time_t now, int64_t grace)
{
	if (t->revoked_at != 0)
		return REFRESH_REVOKED;
	if (t->rotated_at != 0)
		return grace > 0 && (int64_t)(now - t->rotated_at) < grace
		    ? REFRESH_GRACE
		    : REFRESH_REUSED;
	if (now >= t->expires_at)
		return REFRESH_EXPIRED;
	return REFRESH_ROTATE;
}

const char *
session_warning(const struct config *cfg, int64_t idle_left, int64_t token_left)
{
	if (idle_left >= 0 && idle_left <= cfg->warning_window)
		return "idle";
	if (token_left <= cfg->warning_window)
		return "token";
	return NULL;
}
