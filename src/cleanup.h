/*
 * cleanup: the TTL job inside the workers. Every cleanup_interval a worker
 * offers to clean; the store's advisory lock lets only one of all workers
 * (on every host) do it at a time. tetherctl cleanup runs the same job.
 */
#ifndef TETHER_CLEANUP_H
#define TETHER_CLEANUP_H

#include <time.h>

#include "config.h"

/* Rows per delete statement: small enough that no batch holds long locks. */
#define CLEANUP_BATCH 1000

/*
 * Runs the cleanup if cleanup_interval is on and *next (0 at start) has
 * passed; then sets *next to now + interval. Logs what it deleted.
 */
void cleanup_maybe(const struct config *cfg, time_t now, time_t *next);

#endif
