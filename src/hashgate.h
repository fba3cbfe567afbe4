/*
 * hashgate: a host-wide cap on password hashes in flight (M2). Every
 * scrypt costs a worker hundreds of milliseconds; without a cap a few
 * clients that sign in or register hold every worker and token verifies
 * queue behind them. The workers share a small mapped file of slots; a
 * worker that finds every slot taken answers 503 at once rather than
 * waiting (a waiting worker is the very thing the cap prevents).
 */
#ifndef TETHER_HASHGATE_H
#define TETHER_HASHGATE_H

#include <stdbool.h>

/* Most slots a host can have (hash_concurrency's upper bound). */
#define HASHGATE_SLOTS 64

/* Maps the slots file (util_map_shared: path, or the default name of this
 * deployment); 0, or -1 (then no cap applies). */
int hashgate_open(const char *path, const char *deployment);
void hashgate_close(void);
/*
 * Takes one of the first cap slots for this process: true if taken (or no
 * cap: cap 0 or no file), false if all cap are busy. A slot of a process
 * that died holding it is taken over, so a killed worker leaks nothing.
 * Every true is followed by one hashgate_leave().
 */
bool hashgate_enter(int cap);
void hashgate_leave(void);

#endif
