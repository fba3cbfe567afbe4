/*
 * cleanup: the TTL job inside the workers. Every cleanup_interval a worker
 * offers to clean; the store's advisory lock lets only one of all workers
 * (on every host) do it at a time. tetherctl cleanup runs the same job.
 */
#ifndef TETHER_CLEANUP_H
#define TETHER_CLEANUP_H

#include <time.h>

#include "config.h"

#include "store.h"

/* Rows per delete statement: small enough that no batch holds long locks. */
#define CLEANUP_BATCH 1000
/* A worker's turn: it starts no batch after this long (a batch of a
 * year's backlog takes about 60 ms), and takes the rest a second later. */
#define CLEANUP_SLICE_MS 100

/*
 * Runs a slice of the cleanup if cleanup_interval is on and *next (0 at
 * start) has passed; then sets *next to now + interval, or to a second
 * from now while a backlog lasts. Logs what a run deleted once it is done.
 */
void cleanup_maybe(const struct config *cfg, time_t now, time_t *next);
/* The workers' pace (default: CLEANUP_BATCH rows, CLEANUP_SLICE_MS, no
 * pause); for tests that need a backlog of a few rows to take slices. */
void cleanup_set_pace(const struct cleanup_pace *p);
/* Adds c to *to. */
void cleanup_add(struct cleanup_counts *to, const struct cleanup_counts *c);
/* The rows of every table in c. */
int64_t cleanup_rows(const struct cleanup_counts *c);

#endif
