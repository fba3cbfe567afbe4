/*
 * store: all SQL of tether, and nothing else, behind this one interface.
 * One persistent libpq connection per process (the only global besides
 * the configuration), every statement prepared once per connection with
 * $n parameters, multi-row changes in one transaction or one statement. A
 * broken connection is reset on the next call; while the database is
 * unreachable every call returns STORE_UNAVAILABLE, which the API turns
 * into 503 — never 401. Times cross this interface as Unix seconds; the
 * caller's clock is used (never the database's), so tests can inject one.
 *
 * Implemented by store_*.c, split by lifetime behind the private
 * store_db.h: store_db.c (the connection driver), store_sql.c (the one
 * statement table), store_request.c (the request path), store_admin.c
 * (administration, reports, cleanup), store_migrate.c. Only they include
 * libpq-fe.h.
 */
#ifndef TETHER_STORE_H
#define TETHER_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "config.h"
#include "metrics.h"
#include "reason.h"
#include "session.h"

#define EMAIL_MAX 254
#define DISPLAY_NAME_MAX 512 /* bytes of UTF-8 */
#define DISPLAY_NAME_MAX_CHARS 128 /* what a user may choose */
#define PASSWORD_HASH_MAX 255
#define TOKEN_HASH_HEX 64

/* STORE_INVALID: PostgreSQL refused the data itself (SQLSTATE class 22,
 * e.g. text that is not UTF-8): the request's fault, a 400, not an outage. */
enum store_err {
	STORE_OK = 0,
	STORE_NOTFOUND,
	STORE_CONFLICT,
	STORE_UNAVAILABLE,
	STORE_INVALID
};

struct user {
	int64_t id;
	char email[EMAIL_MAX + 1];
	char display_name[DISPLAY_NAME_MAX + 1];
	bool disabled;
	time_t created_at;
	time_t password_changed_at;
};

/* A new token pair to record: refresh token hash (hex SHA-256) and the
 * access token issued with it, whose jti is blacklisted if the session ends
 * before the token expires. */
struct token_issue {
	char refresh_hash[TOKEN_HASH_HEX + 1];
	time_t refresh_expires_at; /* capped at the session's absolute end here */
	char access_jti[JWT_ID_MAX];
	time_t access_expires_at;
};

/*
 * How long the store waits for the database, in seconds; 0 = no limit.
 * connect_timeout bounds a (re)connection; statement_timeout and
 * lock_timeout are set on every connection, and the worker itself gives up
 * on an answer statement_timeout + STORE_ANSWER_SLACK_S after asking (a
 * frozen server cancels nothing): the connection is dropped and the call
 * is STORE_UNAVAILABLE. keepalive and tcp_user_timeout apply over TCP.
 */
struct store_limits {
	int64_t connect_timeout;
	int64_t statement_timeout;
	int64_t lock_timeout;
	int64_t keepalive;
	int64_t tcp_user_timeout;
};
#define STORE_ANSWER_SLACK_S 2

/* Sets the limits of the next connections (before store_open; the default
 * is none at all, as tetherctl's migrations want). lim is copied. */
void store_set_limits(const struct store_limits *lim);
/*
 * Behind a pooler in transaction pooling (database_pooler = transaction),
 * where consecutive statements may run on different server connections:
 * every statement is sent unnamed (no named prepared statement), no
 * session setting is made (the limits go into each transaction, SET
 * LOCAL), no session advisory lock is taken, and LISTEN happens only on a
 * connection of its own to listen_conninfo (direct, not pooled; NULL or
 * "": none, and store_session_ends always says -1). Before store_open;
 * listen_conninfo is copied and kept across store_close, forgotten by
 * store_set_pooling(false, NULL).
 */
void store_set_pooling(bool transaction, const char *listen_conninfo);
/* Opens the connection (conninfo is copied for later reconnects). Returns
 * STORE_UNAVAILABLE if it cannot connect now; later calls retry. */
enum store_err store_open(const char *conninfo);
/* Closes the connection and forgets the conninfo. */
void store_close(void);
/*
 * From now on every connection LISTENs for session ends (sql/003): a
 * session ended, its limits or its user changed, by anyone. Only the
 * workers do this; the notifications are for their session caches.
 */
void store_listen_session_ends(void);
/* Counts successful (re)connections: a change means notifications may
 * have been missed while the connection was down. */
uint64_t store_connection_id(void);
/* Prepared statements sent so far (the tests count round trips with it). */
uint64_t store_statements_sent(void);
/* Answers waited for so far: each statement, BEGIN, COMMIT, or pipeline
 * of them is one (the tests count a refresh's round trips with it). */
uint64_t store_round_trips(void);
/*
 * Calls fn(payload) for each notification that has arrived, without
 * waiting; payload is a session id, or "" for "every session". Returns 0,
 * or -1 if this connection is not (known to be) listening and up, in which
 * case nothing may be trusted to be live without asking the database.
 */
int store_session_ends(void (*fn)(const char *sid, void *arg), void *arg);

/* One trivial query: STORE_OK or STORE_UNAVAILABLE. */
enum store_err store_ping(void);

/*
 * Applies every "NNN_*.sql" file of dir not yet in schema_migrations, in
 * order, each in its own transaction with its version recorded, under an
 * advisory lock so two migrators do not race. Prints one line per file
 * applied to out. STORE_OK, STORE_NOTFOUND (dir unreadable),
 * STORE_CONFLICT (a migration failed; message on out), STORE_UNAVAILABLE.
 */
enum store_err store_migrate(const char *dir, FILE *out);

/* ---- users ---- */
/* Creates a user; STORE_CONFLICT if the email exists (case-insensitively). */
enum store_err store_user_create(const char *email, const char *password_hash,
    const char *display_name, time_t now, struct user *out);
/* Creates the first user of an empty users table (POST /setup);
 * STORE_CONFLICT if there is any user already. */
enum store_err store_user_create_first(const char *email, const char *password_hash,
    const char *display_name, time_t now, struct user *out);
/* STORE_NOTFOUND if no such user. */
enum store_err store_user_by_email(const char *email, struct user *out);
enum store_err store_user_by_id(int64_t id, struct user *out);
/*
 * The password hash of a user, apart from struct user so that no
 * authenticated request carries one: read only where a password is
 * checked (sign-in, password change). The caller wipes it (util_wipe).
 */
struct credential {
	char password_hash[PASSWORD_HASH_MAX + 1];
};
/* The user of email (case-insensitively) or id, with its credential.
 * STORE_NOTFOUND if no such user. */
enum store_err store_credential_by_email(const char *email, struct user *u,
    struct credential *cr);
enum store_err store_credential_by_id(int64_t id, struct user *u, struct credential *cr);
/* Replaces the hash only (an upgrade of parameters after a login). */
enum store_err store_user_rehash(int64_t id, const char *password_hash);
/*
 * Sets a new password and ends every live session of the user except keep_sid
 * (NULL: all) with END_PASSWORD_CHANGED, in one transaction.
 * *ended (may be NULL) gets the number of sessions ended.
 */
enum store_err store_user_set_password(int64_t id, const char *password_hash,
    const char *keep_sid, time_t now, int *ended);

/* ---- sessions ---- */
/*
 * Creates session *s (user_id, created_at, last_active_at, idle_timeout_s,
 * absolute_expires_at, remember_me, device_id, user_agent, ip read from *s)
 * and its first refresh token, atomically. On STORE_OK s->id is set.
 */
enum store_err store_session_create(struct session *s, const struct token_issue *t);

/*
 * The authenticated path in one round trip: the session sid with its user,
 * and whether jti is blacklisted. STORE_NOTFOUND if no such session.
 */
enum store_err store_auth_lookup(const char *sid, const char *jti,
    struct session *s, struct user *u, bool *jti_revoked);

/* Writes last_active_at = now for a live session (never moves it back). */
enum store_err store_session_touch(const char *sid, time_t now);

/*
 * Ends session sid, exactly once: records reason and ended_at, revokes its
 * refresh tokens and blacklists its access jti's that expire after now, all
 * in one statement. If user_id > 0 the session must belong to that user.
 * STORE_NOTFOUND if there is no such session (of that user); STORE_OK
 * otherwise, with *ended_now (may be NULL) false when it had already ended.
 */
enum store_err store_session_end(const char *sid, int64_t user_id,
    enum end_reason reason, time_t ended_at, time_t now, bool *ended_now);

/* Ends every live session of user_id except except_sid (NULL: none) the same
 * way; *ended (may be NULL) gets how many. */
enum store_err store_sessions_end_all(int64_t user_id, const char *except_sid,
    enum end_reason reason, time_t now, int *ended);

/* The live sessions of user_id, newest first: *out is an array the caller
 * frees (free()), *n its length. */
enum store_err store_sessions_list(int64_t user_id, struct session **out, size_t *n);

/* The refresh token row newest for session sid (for session-info). */
enum store_err store_session_refresh_expiry(const char *sid, time_t *expires_at);

/* ---- refresh ---- */
struct refresh_result {
	enum reason reason;            /* REASON_NONE: success */
	enum refresh_verdict verdict;  /* what the presented token was */
	struct session session;        /* valid when the token was found */
	struct user user;              /* the session's user, likewise */
	time_t refresh_expires_at;     /* of the new token, on success */
	bool ended_now;                /* this call ended the session */
};
/*
 * Presents the refresh token whose hash is old_hash, in one transaction
 * that locks the token's row and its session's row (so two workers
 * refreshing the same token serialize and never both rotate):
 *  - unknown hash: REASON_REFRESH_INVALID;
 *  - session ended: reason_for_end(its end reason);
 *  - user disabled: the session is ended with END_USER_DISABLED;
 *  - session idle or past its absolute end (session_check): it is ended
 *    now with that reason, and that reason is returned;
 *  - token revoked: REFRESH_INVALID; rotated within cfg->refresh_reuse_grace:
 *    the successor already issued is handed out again if next is it
 *    (tokens_pair_next derives it from the token), else REFRESH_INVALID:
 *    never a second chain; rotated before: the session is ended with
 *    END_REFRESH_REUSED and REASON_REFRESH_REUSED returned; expired:
 *    REFRESH_EXPIRED;
 *  - otherwise the token is marked rotated and next is issued as its child.
 * On success, if activity (a refresh the user caused, not a background one),
 * the session's last_active_at becomes now; *res holds the
 * session as updated. next->refresh_expires_at is capped to the session's
 * absolute end.
 */
enum store_err store_refresh(const struct config *cfg, const char *old_hash,
    const struct token_issue *next, time_t now, bool activity,
    struct refresh_result *res);

/* Finds the session of a refresh token (for logout by refresh token).
 * STORE_NOTFOUND for an unknown hash. */
enum store_err store_refresh_session(const char *hash, char sid[SESSION_ID_LEN + 1]);

/* ---- logout reports and session ends ---- */
struct logout_event {
	int64_t id;
	time_t created_at;
	int64_t user_id; /* 0: unknown */
	char *session_id;
	char *type;
	char *message;
	double idle_minutes; /* < 0: unknown */
	char *location;
	char *context; /* JSON text or NULL */
	char *ip;
	char *user_agent;
	char *email; /* the user's email, in store_events_reports() only */
};
/* Stores a client's logout report. Strings are borrowed; the address and
 * the User-Agent are cut to IP_MAX and USER_AGENT_MAX bytes here. */
enum store_err store_logout_event_add(const struct logout_event *ev);
/* The user's latest limit reports, newest first; *out is an array the
 * caller frees with store_logout_events_free(). */
enum store_err store_logout_events_list(int64_t user_id, int limit,
    struct logout_event **out, size_t *n);
void store_logout_events_free(struct logout_event *evs, size_t n);
/* The user's latest limit ended sessions, newest end first (array freed by
 * the caller with free()). */
enum store_err store_sessions_ended(int64_t user_id, int limit,
    struct session **out, size_t *n);

/* ---- audit ---- */
/* Records one server-side event (kind "login_ok", "login_failed",
 * "refresh_failed", ...); strings borrowed, may be NULL (the address and
 * the User-Agent cut as in store_logout_event_add). Never pass a secret. */
enum store_err store_auth_event(const char *kind, int64_t user_id, const char *sid,
    const char *reason, const char *ip, const char *user_agent, time_t now);

/* store_auth_event() unless the same kind, reason, session and address
 * has a row of the last burst seconds: *written says which. */
enum store_err store_auth_event_once(const char *kind, int64_t user_id, const char *sid,
    const char *reason, const char *ip, const char *user_agent, time_t now,
    int64_t burst, bool *written);

/* ---- login throttling ---- */
/*
 * One throttle key ("acct:<id>", "email:<folded>", "addr:<ip>",
 * "hash:<ip>", ...) and the attempts it allows in the window. Why in
 * PostgreSQL: every worker on every host must see the same count.
 */
struct throttle_key {
	const char *key; /* borrowed */
	int64_t max;     /* attempts allowed in the window */
	int64_t count;   /* out: attempts in the window before this one */
	time_t oldest;   /* out: the oldest of them (0: none) */
};
/*
 * Count-and-check as one step (I5): counts each key's attempts after since
 * under a per-key lock; if every count is below its max, records one
 * attempt at now for every key (*allowed true), else records none. Keys
 * are locked in array order: callers pass them in one fixed kind order.
 */
enum store_err store_throttle_take(
    struct throttle_key *keys, size_t n, time_t since, time_t now, bool *allowed);
/* Takes back the newest attempt of key (it turned out not to be a failure). */
enum store_err store_throttle_undo(const char *key);
/* email as the account lookup folds it (PostgreSQL lower()) in *out, a
 * new string the caller frees. */
enum store_err store_fold_email(const char *email, char **out);
/* Forgets the failures of one key (an email after its successful login;
 * the address keeps its count, which other emails share). */
enum store_err store_login_clear(const char *key);

/* ---- administration ---- */
/* Disables (ending every live session with USER_DISABLED, in the same
 * statement) or enables a user; audited. STORE_NOTFOUND if no such user. */
enum store_err store_user_set_disabled(int64_t id, bool disabled, time_t now, int *ended);

struct user_row {
	struct user user;
	int64_t live_sessions;
};
/* Every user, by id; *out is an array the caller frees. */
enum store_err store_users_list(struct user_row **out, size_t *n);

struct session_row {
	struct session session;
	char email[EMAIL_MAX + 1];
};
/* Live sessions (of user_id, or of everyone when 0), newest first, at most
 * 1000; *out is an array the caller frees. */
enum store_err store_sessions_live(int64_t user_id, struct session_row **out, size_t *n);
/* The latest limit ended sessions of every user, newest end first. */
enum store_err store_events_ends(int limit, struct session_row **out, size_t *n);
/* The latest limit logout reports of every user (email filled in when
 * known); free with store_logout_events_free(). */
enum store_err store_events_reports(int limit, struct logout_event **out, size_t *n);

struct stats {
	int64_t active_sessions;  /* live and within their limits at now */
	int64_t refreshes_hour;
	int64_t logins_hour;
	int64_t users;
};
struct stat_count {
	char kind[32];
	char reason[40];
	int64_t count;
};
/* Figures for tetherctl stats; failures (last 24 h, by kind and reason)
 * is an array the caller frees (NULL: not wanted, not queried). */
enum store_err store_stats(time_t now, struct stats *st, struct stat_count **failures,
    size_t *nfailures);

/* ---- benchmarks ---- */
/* The SQL text of a named statement ("refresh_lock"), or NULL: the bench
 * replays exactly what a refresh executes. Borrowed, static. */
const char *store_statement_sql(const char *name);

/* What `tetherctl bench seed` wrote. */
struct store_seed_counts {
	int64_t users;
	int64_t sessions;
	int64_t refresh_tokens;
	int64_t blacklist;
	int64_t auth_events;
	int64_t logout_events;
};
/* Called after every batch: what (a table), rows done so far, planned. */
typedef void (*store_seed_progress)(const char *what, int64_t done, int64_t total,
    void *arg);
/*
 * Fills the database as a busy site's after a year ending at now: at scale
 * 1, 1 M users (all with the one password_hash given), 5 M sessions over
 * the year (most ended, with their reasons), about 10 M refresh tokens,
 * 1 M blacklisted jtis and 10 M audit events (auth_events and
 * logout_events). Set-based statements in batches of batch sessions, each
 * its own transaction; ANALYZE at the end. STORE_CONFLICT, and nothing
 * written, if the database holds a seed already (the seeded users'
 * emails end in @seed.tether.invalid); a run cut short leaves what it
 * wrote, so seed a fresh database again. Not for a production database.
 */
enum store_err store_bench_seed(double scale, time_t now, const char *password_hash,
    int64_t batch, store_seed_progress progress, void *arg, struct store_seed_counts *out);

/* ---- metrics ---- */
/* Fills the database figures of /metrics (db->ok false when unreachable):
 * active sessions at now, users, and how long the sessions that ended
 * within retention lasted (which also says how many ended), from the
 * hourly counts of sql/006: the window starts at the hour holding its
 * start. */
enum store_err store_metrics(time_t now, int64_t retention, struct metrics_db *out);
/* How long the sessions that ended in (now - window, now] lasted, by end
 * reason and bucket (metrics_lifetime_le), exactly, from the sessions
 * themselves: for short windows (tetherctl stats). */
enum store_err store_session_lifetimes(time_t now, int64_t window,
    struct metrics_lifetimes *out);

/* ---- cleanup ---- */
struct cleanup_counts {
	int64_t sessions_expired; /* live sessions past their end, now ended */
	int64_t blacklist;
	int64_t refresh_tokens;
	int64_t sessions;
	int64_t end_counts; /* hourly session-end counts past retention */
	int64_t logout_events;
	int64_t auth_events;
	int64_t login_attempts;
};
/*
 * How a cleanup run paces itself, so that a backlog (a year of expired
 * rows: millions) neither holds a worker for minutes nor takes the commit
 * flushes of the requests running beside it.
 *   batch     rows per statement
 *   budget_ms stop starting batches after this long (0: no limit); what
 *             is left is for the next run (*more)
 *   pause_pct after each batch, sleep this percentage of the time the
 *             batch took (100: the database works half the time)
 */
struct cleanup_pace {
	int batch;
	int64_t budget_ms;
	int pause_pct;
};
/* Where each step of a run got to: the time column's value of the last
 * row its batches took, as PostgreSQL printed it ("" before the first).
 * A run that a budget splits into slices starts each slice there, not at
 * the index's first entry (see CLEAN_BATCH in store_sql.c). One per step
 * of store_cleanup, two for the tokens' (expired and revoked). */
#define CLEANUP_MARKS 9
#define CLEANUP_MARK_MAX 64
struct cleanup_marks {
	char at[CLEANUP_MARKS][CLEANUP_MARK_MAX];
};
/*
 * Deletes what has expired, in batches, under an advisory lock: if another
 * cleaner holds it, returns STORE_OK with *ran false and does nothing.
 * Each batch is its own statement (no long transaction; under transaction
 * pooling the run is one, bounded by the budget). *more: the budget ran
 * out before every table was clean. marks (the caller's, zeroed before a
 * run's first slice; NULL: this call's own) carry a run from slice to
 * slice; they are zeroed again when the run is done, so the next run
 * looks at every row again (a session can end with a time before a mark).
 */
enum store_err store_cleanup(const struct config *cfg, time_t now,
    const struct cleanup_pace *pace, struct cleanup_marks *marks,
    struct cleanup_counts *out, bool *ran, bool *more);

#endif
