/*
 * cleanup: when a worker should clean, and what it says about it. The
 * first run waits a random part of the interval, so workers started
 * together do not all ask for the lock in the same second.
 *
 * A worker cleans between requests, so each turn is a slice of at most
 * CLEANUP_SLICE_MS: a backlog (a year of expired rows, or the first run
 * after weeks with cleanup off) is worked off a slice a second, not in one
 * turn that would hold the worker, and the commit flushes of the requests
 * beside it, for twenty minutes (bench/results/2026-12-01-large.md).
 */
#include <stdint.h>

#include "cleanup.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "util.h"

static struct cleanup_pace pace = { CLEANUP_BATCH, CLEANUP_SLICE_MS, 0 };

/* The run that a backlog spreads over several slices, until it is done. */
static struct cleanup_counts run;
static struct cleanup_marks run_marks;
static int64_t run_slices;
static time_t run_start;

void
cleanup_add(struct cleanup_counts *to, const struct cleanup_counts *c)
{
	to->sessions_expired += c->sessions_expired;
	to->blacklist += c->blacklist;
	to->refresh_tokens += c->refresh_tokens;
	to->sessions += c->sessions;
	to->end_counts += c->end_counts;
	to->logout_events += c->logout_events;
	to->auth_events += c->auth_events;
	to->login_attempts += c->login_attempts;
}

void
cleanup_set_pace(const struct cleanup_pace *p)
{
	pace = *p;
}

int64_t
cleanup_rows(const struct cleanup_counts *c)
{
	return c->sessions_expired + c->blacklist + c->refresh_tokens + c->sessions +
	    c->end_counts + c->logout_events + c->auth_events + c->login_attempts;
}

void
cleanup_maybe(const struct config *cfg, time_t now, time_t *next)
{
	struct cleanup_counts c;
	bool ran = false, more = false;
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
	if (store_cleanup(cfg, now, &pace, &run_marks, &c, &ran, &more) != STORE_OK) {
		log_warn("cleanup: database unavailable; trying again in %llds",
		    (long long)cfg->cleanup_interval);
		return;
	}
	if (!ran)
		return;
	metrics_cleanup_rows(cleanup_rows(&c));
	if (run_slices++ == 0)
		run_start = now;
	cleanup_add(&run, &c);
	if (more) {
		/* The rest at the first request a second from now. */
		*next = now + 1;
		if (run_slices % 300 == 0)
			log_info("cleanup: a backlog; %lld rows so far in %lld slices",
			    (long long)cleanup_rows(&run), (long long)run_slices);
		return;
	}
	metrics_count(M_CLEANUP_RUNS);
	if (cleanup_rows(&run) > 0)
		log_info("cleanup: ended %lld expired sessions; deleted %lld blacklist, "
		    "%lld refresh tokens, %lld sessions, %lld end counts, %lld logout events, "
		    "%lld audit events, %lld login attempts (%lld slices, %llds)",
		    (long long)run.sessions_expired, (long long)run.blacklist,
		    (long long)run.refresh_tokens, (long long)run.sessions,
		    (long long)run.end_counts, (long long)run.logout_events,
		    (long long)run.auth_events, (long long)run.login_attempts,
		    (long long)run_slices, (long long)(now - run_start));
	run = (struct cleanup_counts){ 0 };
	run_slices = 0;
}
