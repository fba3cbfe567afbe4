/*
 * ctl_bench: the `tetherctl bench ...` helpers that bench/run uses: mint a
 * pool of refresh tokens fast (no login, no scrypt per token), time one
 * scrypt hash, print a statement's SQL for pgbench.
 */
#ifndef TETHER_CTL_BENCH_H
#define TETHER_CTL_BENCH_H

#include "config.h"

/* Runs `bench` with argv[0] == "bench"; returns the exit status. */
int ctl_bench(int argc, char **argv, const struct config *cfg);

#endif
