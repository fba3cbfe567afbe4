/*
 * sesscache: the sessions this worker has just seen live, with their users,
 * so that most verifies of an access token need no database round trip.
 *
 * An entry is used only while nothing says its session changed, and every
 * way a session can change is heard of before a worker uses an entry:
 *  - a worker of this host that ends a session writes its id to the host's
 *    end log (a ring in a file every worker maps) before it answers, and
 *    each worker reads that log before each use: a logout answered by one
 *    worker is seen by the very next request on any other;
 *  - every other change (another host, tetherctl, psql) arrives as a
 *    PostgreSQL notification (sql/003), which auth reads before each use;
 *  - an entry lives at most until the caller's deadline (the activity
 *    write step), and auth sends any session whose limits look reached,
 *    or that is due an activity write, to the database anyway;
 *  - an entry answers only for the access tokens (jti) that the database
 *    said were not blacklisted since the entry was made: the blacklist is
 *    per token, so a session's entry says nothing about its other tokens.
 *    A jti blacklisted later drops the entry (its NOTIFY names the
 *    session), and the next entry is made without it.
 * Nothing here does I/O beyond the shared mapping.
 */
#ifndef TETHER_SESSCACHE_H
#define TETHER_SESSCACHE_H

#include <stdbool.h>
#include <time.h>

#include "session.h"
#include "store.h"

#define SESSCACHE_SLOTS 256 /* direct-mapped; about 2 KiB each when used */
#define SESSCACHE_LOG 128   /* ends a worker may fall behind before it must
                               forget everything */
#define SESSCACHE_JTIS 4    /* access tokens per entry checked against the
                               blacklist: the current one, the one before a
                               refresh, and tabs that overlap */

/*
 * Maps the host's end log at path ("" picks one in $TMPDIR named after the
 * deployment, as metrics_open) and turns the cache on. Returns 0, or -1
 * with the cache off: without the log another worker's logout could go
 * unseen, so nothing is cached at all.
 */
int sesscache_open(const char *path, const char *deployment);
void sesscache_close(void);
bool sesscache_enabled(void);

/* Reads the host's end log written since the last call and drops what it
 * names (everything, if this worker fell more than SESSCACHE_LOG behind). */
void sesscache_sync(void);

/*
 * Copies the entry for sid into s and u if there is one, now is before its
 * deadline and jti is one of the tokens checked for it.
 */
bool sesscache_get(
    const char *sid, const char *jti, time_t now, struct session *s, struct user *u);
/*
 * Remembers a live session and its user until the deadline until, and jti
 * as one of its tokens just checked against the blacklist (the oldest of
 * SESSCACHE_JTIS goes). With jti NULL it only refreshes an entry there is
 * for the session (its tokens stay): an entry with no token is no use.
 */
void sesscache_put(
    const struct session *s, const struct user *u, const char *jti, time_t until);
/* Forgets sid in this worker only; NULL or "" forgets everything. */
void sesscache_drop(const char *sid);
/*
 * A session this worker has just ended (after the commit, before the
 * answer): forgets it and tells the host's other workers. NULL or "" means
 * sessions it cannot name (logout-all, a password change): every worker
 * then forgets everything.
 */
void sesscache_ended(const char *sid);

#endif
