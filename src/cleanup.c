/*
 * cleanup: when a worker should clean, and what it says about it. The
 * first run waits a random part of the interval, so workers started
 * together do not all ask for the lock in the same second.
 */
#include <stdint.h>

#include "cleanup.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "util.h"

void
cleanup_maybe(const struct config *cfg, time_t now, time_t *next)
{
	struct cleanup_counts c;
	bool ran = false;
	uint32_t r;

	if (cfg->cleanup_interval <= 0)
		return;
	if (*next == 0) {
		util_random(&r, sizeof(r));
		*next = now + (time_t)(r % (uint32_t)cfg->cleanup_interval);
		return;
	}
	if (now < *next)
		return;
	*next = now + (time_t)cfg->cleanup_interval;
	if (store_cleanup(cfg, now, CLEANUP_BATCH, &c, &ran) != STORE_OK) {
		log_warn("cleanup: database unavailable; trying again in %llds",
		    (long long)cfg->cleanup_interval);
		return;
	}
	if (ran) {
		metrics_count(M_CLEANUP_RUNS);
		metrics_cleanup_rows(c.sessions_expired + c.blacklist + c.refresh_tokens +
		    c.sessions + c.logout_events + c.auth_events + c.login_attempts);
	}
	if (ran)
		log_info("cleanup: ended %lld expired sessions; deleted %lld blacklist, "
		    "%lld refresh tokens, %lld sessions, %lld logout events, %lld audit events, "
		    "%lld login attempts", (long long)c.sessions_expired, (long long)c.blacklist,
		    (long long)c.refresh_tokens, (long long)c.sessions, (long long)c.logout_events,
		    (long long)c.auth_events, (long long)c.login_attempts);
}
