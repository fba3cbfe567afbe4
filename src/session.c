/*
 * session: the session rules as pure functions. A limit is reached at the
 * exact second it names: a session whose idle end is 12:30:00 is over at
 * 12:30:00, so the server and a front end counting down to zero agree.
 */
#include "session.h"

int64_t
session_idle_timeout(const struct config *cfg, bool remember_me)
{
	return remember_me ? cfg->idle_timeout_remember_me : cfg->idle_timeout;
}

time_t
session_absolute_expiry(const struct config *cfg, time_t created_at, bool remember_me)
{
	return created_at + (time_t)(remember_me ? cfg->session_max_age_remember_me :
	    cfg->session_max_age);
}

time_t
session_refresh_expiry(const struct config *cfg, const struct session *s, time_t now)
{
	time_t t = now + (time_t)(s->remember_me ? cfg->refresh_token_lifetime_remember_me :
	    cfg->refresh_token_lifetime);

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

enum refresh_verdict
session_refresh_verdict(const struct refresh_row *t, time_t now, int64_t grace)
{
	if (t->revoked_at != 0)
		return REFRESH_REVOKED;
	if (t->rotated_at != 0)
		return grace > 0 && (int64_t)(now - t->rotated_at) < grace ? REFRESH_GRACE :
		    REFRESH_REUSED;
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
