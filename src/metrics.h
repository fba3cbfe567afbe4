/*
 * metrics: counters every worker of a host shares, for GET /metrics.
 * The workers are separate processes, so the counters live in one small
 * file mapped MAP_SHARED by all of them and are updated with atomic adds:
 * a scrape of any worker sees the sum of all. Each host exposes its own
 * (Prometheus adds hosts up); figures that must span hosts come from the
 * database at scrape time (active sessions, recent session ends).
 */
#ifndef TETHER_METRICS_H
#define TETHER_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "reason.h"

enum metric_event {
	M_LOGIN_OK = 0,
	M_LOGIN_FAILED,
	M_LOGIN_THROTTLED,
	M_REFRESH_ROTATED,
	M_REFRESH_GRACE,
	M_REGISTER,
	M_UNAVAILABLE, /* 503s */
	M_CLEANUP_RUNS,
	M__MAX
};

/*
 * Maps the shared counters file at path (created 0600 if missing; "" picks
 * one in the temporary directory named after the deployment: the workers
 * pass database_url and mount_path, see util_shared_path). Without it (an
 * error, or never called) every counter call does nothing and /metrics
 * shows zeros. Returns 0 or -1.
 */
int metrics_open(const char *path, const char *deployment);
void metrics_close(void);

void metrics_count(enum metric_event e);
/* A 401 with this reason. */
void metrics_denied(enum reason r);
/* A refused refresh, by reason. */
void metrics_refresh_failed(enum reason r);
/* n sessions ended by a worker, by reason. */
void metrics_sessions_ended(enum end_reason r, int64_t n);
/* A session this host's workers ended (on a request or in the cleanup),
 * and how long it lasted from sign-in, in seconds. */
void metrics_session_lifetime(enum end_reason r, double seconds);
/* A logout report of type t. */
void metrics_report(enum logout_type t);
/* Rows the cleanup deleted or ended. */
void metrics_cleanup_rows(int64_t n);
/* A verify the session cache answered (hit) or sent to the database. */
void metrics_session_cache(bool hit);
/* One request took seconds (wall clock, monotonic). */
void metrics_observe(double seconds);

/*
 * How long sessions lasted, from start to end: the upper bounds of the
 * buckets, in seconds (1, 5, 15 and 30 minutes; 1, 2, 4, 8 and 12 hours;
 * 1, 7 and 30 days), and past the last one +Inf.
 */
#define METRICS_LIFETIME_BUCKETS 12
extern const double metrics_lifetime_le[METRICS_LIFETIME_BUCKETS];
/* The bucket of a lifetime: the first bound it does not exceed, or
 * METRICS_LIFETIME_BUCKETS beyond the last. */
int metrics_lifetime_bucket(double seconds);

/* Ended sessions by end reason: how many lasted up to each bound (n[r][i]
 * counts those in bucket i only, not cumulative; i ==
 * METRICS_LIFETIME_BUCKETS is beyond the last bound) and the sum of their
 * lifetimes in seconds. */
struct metrics_lifetimes {
	int64_t n[END__MAX][METRICS_LIFETIME_BUCKETS + 1];
	double sum[END__MAX];
};

/* Figures read from the database at scrape time. */
struct metrics_db {
	bool ok;
	int64_t active_sessions;
	int64_t users;
	/* How long the sessions that ended within session_retention lasted
	 * (their number by reason is the sum of a reason's buckets). */
	struct metrics_lifetimes lifetimes;
};

/* Writes the Prometheus text exposition (version 0.0.4) of the shared
 * counters and db into a new string the caller frees. */
char *metrics_render(const struct metrics_db *db);

#endif
