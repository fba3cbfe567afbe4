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
/* A logout report of type t. */
void metrics_report(enum logout_type t);
/* Rows the cleanup deleted or ended. */
void metrics_cleanup_rows(int64_t n);
/* A verify the session cache answered (hit) or sent to the database. */
void metrics_session_cache(bool hit);
/* One request took seconds (wall clock, monotonic). */
void metrics_observe(double seconds);

/* Figures read from the database at scrape time. */
struct metrics_db {
	bool ok;
	int64_t active_sessions;
	int64_t users;
	int64_t ended_recent[END__MAX]; /* within session_retention */
};

/* Writes the Prometheus text exposition (version 0.0.4) of the shared
 * counters and db into a new string the caller frees. */
char *metrics_render(const struct metrics_db *db);

#endif
