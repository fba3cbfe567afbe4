/*
 * store_db: the private side of the store, for store*.c only (the only
 * files that include libpq-fe.h): the names of the statements, the
 * connection driver that runs them, and the readers of their rows.
 *
 * Failure model: a statement that fails because the connection broke is
 * retried once after PQreset when no transaction is open; every other
 * failure is STORE_UNAVAILABLE (logged), except a unique violation, which is
 * STORE_CONFLICT. The caller's clock is passed as to_timestamp($n).
 */
#ifndef TETHER_STORE_DB_H
#define TETHER_STORE_DB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "store.h"

/* The columns of a session row, in the order read_session() expects. */
#define SESSION_COLS                                                                     \
	"s.id, s.user_id, extract(epoch from s.created_at)::bigint, "                    \
	"extract(epoch from s.last_active_at)::bigint, s.idle_timeout_s, "               \
	"extract(epoch from s.absolute_expires_at)::bigint, s.remember_me, "             \
	"coalesce(extract(epoch from s.ended_at)::bigint, 0), "                          \
	"coalesce(s.end_reason, ''), coalesce(s.device_id, ''), "                        \
	"coalesce(s.user_agent, ''), coalesce(s.ip, '')"
#define SESSION_NCOLS 12

#define USER_COLS                                                                        \
	"u.id, u.email, u.display_name, u.disabled, "                                    \
	"extract(epoch from u.created_at)::bigint, "                                     \
	"extract(epoch from u.password_changed_at)::bigint"
#define USER_NCOLS 6

enum stmt {
	S_PING,
	S_SET_LIMITS,
	S_SHOW_LIMITS,
	S_USER_CREATE,
	S_USER_BY_EMAIL,
	S_USER_BY_ID,
	S_CREDENTIAL_BY_EMAIL,
	S_CREDENTIAL_BY_ID,
	S_USER_REHASH,
	S_USER_SET_PASSWORD,
	S_SESSION_CREATE,
	S_AUTH_LOOKUP,
	S_SESSION_TOUCH,
	S_SESSION_LOCK,
	S_USER_SESSIONS_LOCK,
	S_SESSION_END,
	S_SESSIONS_END_ALL,
	S_SESSIONS_LIST,
	S_SESSION_REFRESH_EXPIRY,
	S_REFRESH_LOCK,
	S_REFRESH_ISSUE,
	S_REFRESH_REISSUE,
	S_REFRESH_SESSION,
	S_LOGOUT_EVENT_ADD,
	S_LOGOUT_EVENTS_LIST,
	S_SESSIONS_ENDED,
	S_AUTH_EVENT,
	S_AUTH_EVENT_ONCE,
	S_THROTTLE_LOCK,
	S_THROTTLE_COUNT,
	S_THROTTLE_ADD,
	S_THROTTLE_UNDO,
	S_FOLD_EMAIL,
	S_LOGIN_CLEAR,
	S_USER_SET_DISABLED,
	S_USERS_LIST,
	S_SESSIONS_LIVE_ALL,
	S_EVENTS_REPORTS,
	S_EVENTS_ENDS,
	S_STATS,
	S_STATS_FAILURES,
	S_SESSION_LIFETIMES,
	S_SESSION_END_COUNTS,
	S_CLEAN_EXPIRE_SESSIONS,
	S_CLEAN_BLACKLIST,
	S_CLEAN_REFRESH,
	S_CLEAN_SESSIONS,
	S_CLEAN_END_COUNTS,
	S_CLEAN_LOGOUT_EVENTS,
	S_CLEAN_AUTH_EVENTS,
	S_CLEAN_ATTEMPTS,
	S_CLEAN_LOCK,
	S_CLEAN_XACT_LOCK,
	S_CLEAN_UNLOCK,
	S_MIGRATION_APPLIED,
	S_MIGRATION_RECORD,
	S_SETUP_LOCK,
	S_SETUP_FIRST_USER,
	S_SEED_USERS,
	S_SEED_SESSIONS,
	S_SEED_TOKENS,
	S_SEED_BLACKLIST,
	S_SEED_AUTH_EVENTS,
	S_SEED_LOGOUT_EVENTS,
	S_SEED_SETUP,
	S_SEED_ANALYZE,
	STMT__MAX
};

/* The statement table (store_sql.c): every SQL statement of tether. */
struct stmt_def {
	const char *name;
	const char *sql;
};
extern const struct stmt_def db_stmts[STMT__MAX];

/* Integer and time parameters as text: db_num() fills n and returns n->s. */
struct num {
	char s[24];
};
const char *db_num(struct num *n, int64_t v);

/* Session ids come from tokens and URLs; anything not shaped like a UUID
 * is NOTFOUND for the callers rather than a type error (and a 503). */
bool db_uuid_ok(const char *s);

/* Connects, or reconnects a broken connection; false if it cannot now. */
bool db_connect(void);
/*
 * Runs statement id with n text parameters (NULL entries are SQL NULL).
 * Returns the result (the caller PQclears it) with *err = STORE_OK, or NULL
 * with *err set. Retries once on a fresh connection when the connection
 * broke outside a transaction: the first request after a database restart
 * works.
 */
PGresult *db_run(enum stmt id, int n, const char *const *vals, enum store_err *err);
/* "BEGIN", "COMMIT" or "ROLLBACK"; BEGIN is retried once like db_run(). */
enum store_err db_tx(const char *what);
/*
 * BEGIN and statement id in one round trip (libpq's pipeline mode): the
 * statement's result with the transaction left open and *err = STORE_OK,
 * or NULL with *err set and no transaction open. Retried once on a fresh
 * connection like db_run().
 */
PGresult *db_begin_run(enum stmt id, int n, const char *const *vals, enum store_err *err);
/*
 * Statement id and COMMIT of the open transaction in one round trip: the
 * statement's result once committed, or NULL with *err set and the
 * transaction rolled back.
 */
PGresult *db_run_commit(enum stmt id, int n, const char *const *vals, enum store_err *err);
/* Whether a transaction is open on the connection. */
bool db_in_tx(void);
/* Whether the connection goes through transaction pooling (no session
 * state may be kept on it: store_set_pooling). */
bool db_pooled(void);
/* Runs literal SQL (a migration file, a lock); prints a failure to out. */
bool db_exec(const char *sql, FILE *out, const char *what);

/* Row readers: columns in the order of SESSION_COLS and USER_COLS from
 * column c on. */
void db_copy(char *dst, size_t size, const char *src);
int64_t db_int(const PGresult *res, int row, int col);
bool db_bool(const PGresult *res, int row, int col);
/* Hands the "REASON:seconds,..." of an ENDED_LIFETIMES column (the
 * sessions a statement just ended) to the host's lifetime histogram: at
 * once, or inside a transaction at its COMMIT (a ROLLBACK drops them). */
void db_count_lifetimes(const PGresult *res, int row, int col);
void db_read_session(const PGresult *res, int row, int c, struct session *s);
void db_read_user(const PGresult *res, int row, int c, struct user *u);
/* Reads row row of res into the array element out. */
typedef void (*db_row_reader)(const PGresult *res, int row, void *out);
/*
 * Runs statement id and reads every row of its result with read into a
 * new array of size-byte elements (at least one, zeroed), which it returns
 * (the caller frees it); *count rows. NULL with *err set on a fault.
 */
void *db_rows(enum stmt id, int n, const char *const *vals, size_t size,
    db_row_reader read, size_t *count, enum store_err *err);
/* db_rows() of a statement returning SESSION_COLS rows. */
enum store_err db_session_rows(
    enum stmt id, int n, const char *const *vals, struct session **out, size_t *count);
/*
 * Runs statement id, which ends sessions, after statement lock (given
 * vals[0]) has locked those sessions, in a transaction of its own unless
 * one is open (the refresh's, which holds its session already). Why two
 * statements: the end's side effects (revoke the refresh tokens, blacklist
 * the live jtis) must see a token that a refresh it waited for has just
 * committed, and one statement's snapshot predates that commit.
 */
PGresult *db_run_locked(enum stmt lock, enum stmt id, int n, const char *const *vals,
    enum store_err *err);
/* Runs a statement that changes one user and ends sessions, returning
 * (users changed, sessions ended): NOTFOUND when no user changed. */
enum store_err db_user_change(enum stmt id, int n, const char *const *v, int *ended);

#endif
