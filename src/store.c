/*
 * store: every SQL statement of tether lives in the table below, prepared
 * once per connection (lazily, so a reconnect simply prepares again) and
 * run with $n parameters. Nothing here decides a session rule: the refresh
 * transaction asks session.c what a token means and writes the outcome.
 *
 * Failure model: a statement that fails because the connection broke is
 * retried once after PQreset when no transaction is open; every other
 * failure is STORE_UNAVAILABLE (logged), except a unique violation, which is
 * STORE_CONFLICT. The caller's clock is passed as to_timestamp($n).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"
#include "util.h"

/* The columns of a session row, in the order read_session() expects. */
#define SESSION_COLS \
	"s.id, s.user_id, extract(epoch from s.created_at)::bigint, " \
	"extract(epoch from s.last_active_at)::bigint, s.idle_timeout_s, " \
	"extract(epoch from s.absolute_expires_at)::bigint, s.remember_me, " \
	"coalesce(extract(epoch from s.ended_at)::bigint, 0), " \
	"coalesce(s.end_reason, ''), coalesce(s.device_id, ''), " \
	"coalesce(s.user_agent, ''), coalesce(s.ip, '')"
#define SESSION_NCOLS 12

#define USER_COLS \
	"u.id, u.email, u.display_name, u.password_hash, u.disabled, " \
	"extract(epoch from u.created_at)::bigint, " \
	"extract(epoch from u.password_changed_at)::bigint"
#define USER_NCOLS 7

/*
 * What ending sessions does besides setting ended_at: revoke their refresh
 * tokens, blacklist the access jti's that are still live, and audit it.
 * Expects a CTE "e" (the sessions just ended: id, user_id, ip, user_agent,
 * end_reason); NOW names the parameter holding the time. One statement, so
 * it is atomic.
 */
#define END_SIDE_EFFECTS(NOW) \
	"r AS (UPDATE refresh_tokens t SET revoked_at = to_timestamp(" NOW ") " \
	"  FROM e WHERE t.session_id = e.id AND t.revoked_at IS NULL RETURNING 1), " \
	"b AS (INSERT INTO access_blacklist (jti, session_id, expires_at, created_at) " \
	"  SELECT t.access_jti, t.session_id, t.access_expires_at, to_timestamp(" NOW ") " \
	"  FROM refresh_tokens t JOIN e ON t.session_id = e.id " \
	"  WHERE t.access_expires_at > to_timestamp(" NOW ") " \
	"  ON CONFLICT (jti) DO NOTHING RETURNING 1), " \
	"a AS (INSERT INTO auth_events (created_at, kind, user_id, session_id, reason, ip, user_agent) " \
	"  SELECT to_timestamp(" NOW "), 'session_ended', e.user_id, e.id, e.end_reason, " \
	"  e.ip, e.user_agent FROM e RETURNING 1) "

enum stmt {
	S_PING,
	S_USER_CREATE,
	S_USER_BY_EMAIL,
	S_USER_BY_ID,
	S_USER_REHASH,
	S_USER_SET_PASSWORD,
	S_SESSION_CREATE,
	S_AUTH_LOOKUP,
	S_SESSION_TOUCH,
	S_SESSION_END,
	S_SESSIONS_END_ALL,
	S_SESSIONS_LIST,
	S_SESSION_REFRESH_EXPIRY,
	S_REFRESH_LOCK,
	S_REFRESH_ISSUE,
	S_REFRESH_SESSION,
	S_LOGOUT_EVENT_ADD,
	S_LOGOUT_EVENTS_LIST,
	S_SESSIONS_ENDED,
	S_AUTH_EVENT,
	S_LOGIN_THROTTLE,
	S_LOGIN_FAILED,
	S_LOGIN_CLEAR,
	S_USER_SET_DISABLED,
	S_USERS_LIST,
	S_SESSIONS_LIVE_ALL,
	S_EVENTS_REPORTS,
	S_EVENTS_ENDS,
	S_STATS,
	S_STATS_FAILURES,
	S_METRICS_ENDED,
	S_CLEAN_EXPIRE_SESSIONS,
	S_CLEAN_BLACKLIST,
	S_CLEAN_REFRESH,
	S_CLEAN_SESSIONS,
	S_CLEAN_LOGOUT_EVENTS,
	S_CLEAN_AUTH_EVENTS,
	S_CLEAN_ATTEMPTS,
	S_CLEAN_LOCK,
	S_CLEAN_UNLOCK,
	S_MIGRATION_APPLIED,
	S_MIGRATION_RECORD,
	STMT__MAX
};

static const struct {
	const char *name;
	const char *sql;
} stmts[STMT__MAX] = {
	[S_PING] = { "ping", "SELECT 1" },
	[S_USER_CREATE] = { "user_create",
	    "INSERT INTO users AS u (email, password_hash, display_name, created_at, "
	    "password_changed_at) VALUES ($1, $2, $3, to_timestamp($4), to_timestamp($4)) "
	    "RETURNING " USER_COLS },
	[S_USER_BY_EMAIL] = { "user_by_email",
	    "SELECT " USER_COLS " FROM users u WHERE lower(u.email) = lower($1)" },
	[S_USER_BY_ID] = { "user_by_id",
	    "SELECT " USER_COLS " FROM users u WHERE u.id = $1" },
	[S_USER_REHASH] = { "user_rehash",
	    "UPDATE users SET password_hash = $2 WHERE id = $1" },
	/* $1 user, $2 keep sid or NULL, $3 reason, $4 hash, $5 now */
	[S_USER_SET_PASSWORD] = { "user_set_password",
	    "WITH u AS (UPDATE users SET password_hash = $4, "
	    "  password_changed_at = to_timestamp($5) WHERE id = $1 RETURNING id), "
	    "e AS (UPDATE sessions SET ended_at = to_timestamp($5), end_reason = $3 "
	    "  WHERE user_id = (SELECT id FROM u) AND ended_at IS NULL "
	    "  AND ($2::uuid IS NULL OR id <> $2::uuid) "
	    "  RETURNING id, user_id, ip, user_agent, end_reason), " END_SIDE_EFFECTS("$5") ", "
	    "p AS (INSERT INTO auth_events (created_at, kind, user_id) "
	    "  SELECT to_timestamp($5), 'password_changed', id FROM u RETURNING 1) "
	    "SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM e)" },
	[S_SESSION_CREATE] = { "session_create",
	    "WITH s AS (INSERT INTO sessions (user_id, created_at, last_active_at, "
	    "  idle_timeout_s, absolute_expires_at, remember_me, device_id, user_agent, ip) "
	    "  VALUES ($1, to_timestamp($2), to_timestamp($2), $3, to_timestamp($4), $5, "
	    "  NULLIF($6, ''), NULLIF($7, ''), NULLIF($8, '')) RETURNING id), "
	    "t AS (INSERT INTO refresh_tokens (session_id, token_hash, issued_at, "
	    "  expires_at, access_jti, access_expires_at) "
	    "  SELECT id, $9, to_timestamp($2), LEAST(to_timestamp($10), to_timestamp($4)), "
	    "  $11, to_timestamp($12) FROM s RETURNING 1), "
	    "a AS (INSERT INTO auth_events (created_at, kind, user_id, session_id, ip, user_agent) "
	    "  SELECT to_timestamp($2), 'login_ok', $1, id, NULLIF($8, ''), NULLIF($7, '') "
	    "  FROM s RETURNING 1) "
	    "SELECT id FROM s" },
	[S_AUTH_LOOKUP] = { "auth_lookup",
	    "SELECT " SESSION_COLS ", " USER_COLS ", "
	    "EXISTS (SELECT 1 FROM access_blacklist b WHERE b.jti = $2) "
	    "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1::uuid" },
	[S_SESSION_TOUCH] = { "session_touch",
	    "UPDATE sessions SET last_active_at = to_timestamp($2) "
	    "WHERE id = $1::uuid AND ended_at IS NULL "
	    "AND last_active_at < to_timestamp($2)" },
	/* $1 sid, $2 user (0: any), $3 reason, $4 ended_at, $5 now */
	[S_SESSION_END] = { "session_end",
	    "WITH e AS (UPDATE sessions SET ended_at = to_timestamp($4), end_reason = $3 "
	    "  WHERE id = $1::uuid AND ($2::bigint = 0 OR user_id = $2::bigint) "
	    "  AND ended_at IS NULL RETURNING id, user_id, ip, user_agent, end_reason), "
	    END_SIDE_EFFECTS("$5")
	    "SELECT EXISTS (SELECT 1 FROM sessions WHERE id = $1::uuid "
	    "  AND ($2::bigint = 0 OR user_id = $2::bigint)), (SELECT count(*) FROM e)" },
	/* $1 user, $2 except sid or NULL, $3 reason, $4 now */
	[S_SESSIONS_END_ALL] = { "sessions_end_all",
	    "WITH e AS (UPDATE sessions SET ended_at = to_timestamp($4), end_reason = $3 "
	    "  WHERE user_id = $1 AND ended_at IS NULL "
	    "  AND ($2::uuid IS NULL OR id <> $2::uuid) "
	    "  RETURNING id, user_id, ip, user_agent, end_reason), " END_SIDE_EFFECTS("$4")
	    "SELECT count(*) FROM e" },
	[S_SESSIONS_LIST] = { "sessions_list",
	    "SELECT " SESSION_COLS " FROM sessions s WHERE s.user_id = $1 "
	    "AND s.ended_at IS NULL ORDER BY s.created_at DESC, s.id LIMIT 200" },
	[S_SESSION_REFRESH_EXPIRY] = { "session_refresh_expiry",
	    "SELECT extract(epoch from max(expires_at))::bigint FROM refresh_tokens "
	    "WHERE session_id = $1::uuid AND revoked_at IS NULL AND rotated_at IS NULL" },
	/* Sessions first in the FROM list: rows are locked in that order, the
	 * same order as a session end takes them, so the two cannot deadlock. */
	[S_REFRESH_LOCK] = { "refresh_lock",
	    "SELECT t.id, extract(epoch from t.issued_at)::bigint, "
	    "extract(epoch from t.expires_at)::bigint, "
	    "coalesce(extract(epoch from t.rotated_at)::bigint, 0), "
	    "coalesce(extract(epoch from t.revoked_at)::bigint, 0), " SESSION_COLS ", "
	    USER_COLS " FROM sessions s JOIN refresh_tokens t ON t.session_id = s.id "
	    "JOIN users u ON u.id = s.user_id "
	    "WHERE t.token_hash = $1 FOR UPDATE OF s, t" },
	/* $1 parent, $2 sid, $3 now, $4 hash, $5 expires, $6 jti, $7 access exp,
	 * $8 rotate the parent?, $9 slide the idle timer? */
	[S_REFRESH_ISSUE] = { "refresh_issue",
	    "WITH o AS (UPDATE refresh_tokens SET rotated_at = to_timestamp($3) "
	    "  WHERE id = $1 AND $8::boolean RETURNING 1), "
	    "n AS (INSERT INTO refresh_tokens (session_id, parent_id, token_hash, issued_at, "
	    "  expires_at, access_jti, access_expires_at) VALUES ($2::uuid, $1, $4, "
	    "  to_timestamp($3), to_timestamp($5), $6, to_timestamp($7)) RETURNING 1), "
	    "s AS (UPDATE sessions SET last_active_at = to_timestamp($3) "
	    "  WHERE id = $2::uuid AND $9::boolean AND last_active_at < to_timestamp($3) "
	    "  RETURNING 1), "
	    "k AS (INSERT INTO auth_events (created_at, kind, user_id, session_id, reason) "
	    "  SELECT to_timestamp($3), 'refresh_ok', user_id, id, "
	    "  CASE WHEN $8::boolean THEN 'ROTATED' ELSE 'GRACE' END "
	    "  FROM sessions WHERE id = $2::uuid RETURNING 1) "
	    "SELECT (SELECT count(*) FROM n)" },
	[S_REFRESH_SESSION] = { "refresh_session",
	    "SELECT session_id FROM refresh_tokens WHERE token_hash = $1" },
	[S_LOGOUT_EVENT_ADD] = { "logout_event_add",
	    "INSERT INTO logout_events (created_at, user_id, session_id, type, message, "
	    "idle_minutes, location, context, ip, user_agent) VALUES (to_timestamp($1), "
	    "NULLIF($2::bigint, 0), $3::uuid, $4, $5, $6::double precision, $7, $8::jsonb, "
	    "$9, $10)" },
	[S_LOGOUT_EVENTS_LIST] = { "logout_events_list",
	    "SELECT id, extract(epoch from created_at)::bigint, coalesce(user_id, 0), "
	    "session_id, type, message, coalesce(idle_minutes, -1), location, "
	    "context::text, ip, user_agent FROM logout_events WHERE user_id = $1 "
	    "ORDER BY created_at DESC, id DESC LIMIT $2" },
	[S_SESSIONS_ENDED] = { "sessions_ended",
	    "SELECT " SESSION_COLS " FROM sessions s WHERE s.user_id = $1 "
	    "AND s.ended_at IS NOT NULL ORDER BY s.ended_at DESC, s.id LIMIT $2" },
	[S_AUTH_EVENT] = { "auth_event",
	    "INSERT INTO auth_events (created_at, kind, user_id, session_id, reason, "
	    "ip, user_agent) VALUES (to_timestamp($1), $2, NULLIF($3::bigint, 0), "
	    "$4::uuid, $5, $6, $7)" },
	/* $1 email key, $2 address key, $3 start of the window */
	[S_LOGIN_THROTTLE] = { "login_throttle",
	    "SELECT count(*) FILTER (WHERE key = $1), count(*) FILTER (WHERE key = $2), "
	    "coalesce(extract(epoch from min(attempted_at) FILTER (WHERE key = $1))::bigint, 0), "
	    "coalesce(extract(epoch from min(attempted_at) FILTER (WHERE key = $2))::bigint, 0) "
	    "FROM login_attempts WHERE key IN ($1, $2) AND attempted_at > to_timestamp($3)" },
	[S_LOGIN_FAILED] = { "login_failed",
	    "INSERT INTO login_attempts (key, attempted_at) "
	    "VALUES ($1, to_timestamp($3)), ($2, to_timestamp($3))" },
	[S_LOGIN_CLEAR] = { "login_clear", "DELETE FROM login_attempts WHERE key = $1" },
	/* $1 user, $2 disable?, $3 now */
	[S_USER_SET_DISABLED] = { "user_set_disabled",
	    "WITH u AS (UPDATE users SET disabled = $2 WHERE id = $1 RETURNING id), "
	    "e AS (UPDATE sessions SET ended_at = to_timestamp($3), end_reason = 'USER_DISABLED' "
	    "  WHERE user_id = (SELECT id FROM u) AND $2 AND ended_at IS NULL "
	    "  RETURNING id, user_id, ip, user_agent, end_reason), " END_SIDE_EFFECTS("$3") ", "
	    "d AS (INSERT INTO auth_events (created_at, kind, user_id) SELECT to_timestamp($3), "
	    "  CASE WHEN $2 THEN 'user_disabled' ELSE 'user_enabled' END, id FROM u RETURNING 1) "
	    "SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM e)" },
	[S_USERS_LIST] = { "users_list",
	    "SELECT " USER_COLS ", (SELECT count(*) FROM sessions s WHERE s.user_id = u.id "
	    "AND s.ended_at IS NULL) FROM users u ORDER BY u.id" },
	/* Live sessions of every user ($1 = 0) or of one. */
	[S_SESSIONS_LIVE_ALL] = { "sessions_live_all",
	    "SELECT " SESSION_COLS ", u.email FROM sessions s JOIN users u ON u.id = s.user_id "
	    "WHERE s.ended_at IS NULL AND ($1::bigint = 0 OR s.user_id = $1::bigint) "
	    "ORDER BY s.created_at DESC LIMIT 1000" },
	[S_EVENTS_REPORTS] = { "events_reports",
	    "SELECT l.id, extract(epoch from l.created_at)::bigint, coalesce(l.user_id, 0), "
	    "l.session_id, l.type, l.message, coalesce(l.idle_minutes, -1), l.location, "
	    "l.context::text, l.ip, l.user_agent, u.email FROM logout_events l "
	    "LEFT JOIN users u ON u.id = l.user_id ORDER BY l.created_at DESC, l.id DESC LIMIT $1" },
	[S_EVENTS_ENDS] = { "events_ends",
	    "SELECT " SESSION_COLS ", u.email FROM sessions s JOIN users u ON u.id = s.user_id "
	    "WHERE s.ended_at IS NOT NULL ORDER BY s.ended_at DESC, s.id LIMIT $1" },
	/* $1 now: live sessions, refreshes and logins in the last hour. */
	[S_STATS] = { "stats",
	    "SELECT (SELECT count(*) FROM sessions WHERE ended_at IS NULL "
	    "  AND absolute_expires_at > to_timestamp($1) AND (idle_timeout_s = 0 OR "
	    "  last_active_at + idle_timeout_s * interval '1 second' > to_timestamp($1))), "
	    "(SELECT count(*) FROM auth_events WHERE kind = 'refresh_ok' "
	    "  AND created_at > to_timestamp($1) - interval '1 hour'), "
	    "(SELECT count(*) FROM auth_events WHERE kind = 'login_ok' "
	    "  AND created_at > to_timestamp($1) - interval '1 hour'), "
	    "(SELECT count(*) FROM users)" },
	[S_STATS_FAILURES] = { "stats_failures",
	    "SELECT kind, coalesce(reason, ''), count(*) FROM auth_events "
	    "WHERE kind IN ('login_failed', 'refresh_failed', 'session_ended') "
	    "AND created_at > to_timestamp($1) - interval '24 hours' "
	    "GROUP BY kind, reason ORDER BY kind, count(*) DESC" },
	[S_METRICS_ENDED] = { "metrics_ended",
	    "SELECT end_reason, count(*) FROM sessions WHERE ended_at IS NOT NULL "
	    "AND ended_at > to_timestamp($1) - $2 * interval '1 second' GROUP BY end_reason" },
	/*
	 * Cleanup, each in bounded batches ($2 rows) so a backlog never holds
	 * long locks. Live sessions past their absolute end are ended first,
	 * with the limit that really came first as the reason.
	 */
	[S_CLEAN_EXPIRE_SESSIONS] = { "clean_expire_sessions",
	    "WITH c AS (SELECT id, CASE WHEN idle_timeout_s > 0 AND last_active_at + "
	    "  idle_timeout_s * interval '1 second' < absolute_expires_at "
	    "  THEN last_active_at + idle_timeout_s * interval '1 second' "
	    "  ELSE absolute_expires_at END AS at, CASE WHEN idle_timeout_s > 0 AND "
	    "  last_active_at + idle_timeout_s * interval '1 second' < absolute_expires_at "
	    "  THEN 'IDLE_TIMEOUT' ELSE 'EXPIRED' END AS why FROM sessions "
	    "  WHERE ended_at IS NULL AND absolute_expires_at <= to_timestamp($1) "
	    "  LIMIT $2 FOR UPDATE SKIP LOCKED), "
	    "e AS (UPDATE sessions s SET ended_at = c.at, end_reason = c.why FROM c "
	    "  WHERE s.id = c.id RETURNING s.id, s.user_id, s.ip, s.user_agent, s.end_reason), "
	    END_SIDE_EFFECTS("$1") "SELECT count(*) FROM e" },
	[S_CLEAN_BLACKLIST] = { "clean_blacklist",
	    "DELETE FROM access_blacklist WHERE jti IN (SELECT jti FROM access_blacklist "
	    "WHERE expires_at < to_timestamp($1) LIMIT $2)" },
	/* Expired tokens, and revoked ones a day after: long enough for a late
	 * client to be told its session ended rather than "invalid". */
	[S_CLEAN_REFRESH] = { "clean_refresh",
	    "DELETE FROM refresh_tokens WHERE id IN (SELECT id FROM refresh_tokens "
	    "WHERE expires_at < to_timestamp($1) LIMIT $2) OR id IN (SELECT id FROM "
	    "refresh_tokens WHERE revoked_at < to_timestamp($1) - interval '1 day' LIMIT $2)" },
	[S_CLEAN_SESSIONS] = { "clean_sessions",
	    "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE ended_at IS NOT NULL "
	    "AND ended_at < to_timestamp($1) - $3 * interval '1 second' LIMIT $2)" },
	[S_CLEAN_LOGOUT_EVENTS] = { "clean_logout_events",
	    "DELETE FROM logout_events WHERE id IN (SELECT id FROM logout_events "
	    "WHERE created_at < to_timestamp($1) - $3 * interval '1 second' LIMIT $2)" },
	[S_CLEAN_AUTH_EVENTS] = { "clean_auth_events",
	    "DELETE FROM auth_events WHERE id IN (SELECT id FROM auth_events "
	    "WHERE created_at < to_timestamp($1) - $3 * interval '1 second' LIMIT $2)" },
	[S_CLEAN_ATTEMPTS] = { "clean_attempts",
	    "DELETE FROM login_attempts WHERE id IN (SELECT id FROM login_attempts "
	    "WHERE attempted_at < to_timestamp($1) - $3 * interval '1 second' LIMIT $2)" },
	/* Only one cleaner at a time, across workers and hosts. */
	[S_CLEAN_LOCK] = { "clean_lock", "SELECT pg_try_advisory_lock(7364002)" },
	[S_CLEAN_UNLOCK] = { "clean_unlock", "SELECT pg_advisory_unlock(7364002)" },
	[S_MIGRATION_APPLIED] = { "migration_applied",
	    "SELECT 1 FROM schema_migrations WHERE version = $1" },
	[S_MIGRATION_RECORD] = { "migration_record",
	    "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, now())" },
};

/* The worker's database handle: the only global besides the config. */
static struct {
	PGconn *conn;
	char *conninfo;
	bool prepared[STMT__MAX];
	bool in_tx;
	bool want_listen; /* LISTEN for session ends on every connection */
	bool listening;   /* ... and this connection does */
	bool lost;        /* the server said FATAL between our queries */
	uint64_t conn_id; /* counts successful (re)connections */
	uint64_t sent;    /* statements sent (tests count round trips) */
} db;

/* Integer and time parameters as text. */
struct num {
	char s[24];
};

static const char *
num(struct num *n, int64_t v)
{
	snprintf(n->s, sizeof(n->s), "%" PRId64, v);
	return n->s;
}

/* Session ids come from tokens and URLs; anything not shaped like a UUID
 * is NOTFOUND here rather than a type error (and a 503) in PostgreSQL. */
static bool
uuid_ok(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != SESSION_ID_LEN)
		return false;
	for (i = 0; i < SESSION_ID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (strchr("0123456789abcdefABCDEF", s[i]) == NULL || s[i] == '\0')
			return false;
	}
	return true;
}

/*
 * Server notices ("relation already exists, skipping") are not errors. But
 * a FATAL that arrives while we are idle (the server shutting down, or
 * pg_terminate_backend) also comes here, with the connection still looking
 * fine: mark it lost, so nobody trusts it to have delivered every
 * notification, and the next call reconnects.
 */
static void
on_notice(void *arg, const PGresult *res)
{
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);

	(void)arg;
	if (sev != NULL && (strcmp(sev, "FATAL") == 0 || strcmp(sev, "PANIC") == 0))
		db.lost = true;
	log_debug("database: %s", PQresultErrorMessage(res));
}

/* Utility statement, no parameters: it cannot be prepared. Failing
 * leaves db.listening false, and the callers of store_session_ends then
 * know nothing can be cached on this connection. */
static void
listen_ends(void)
{
	PGresult *res = PQexec(db.conn, "LISTEN tether_session_end");

	db.listening = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!db.listening)
		log_warn("database: LISTEN: %s", PQresultErrorMessage(res));
	PQclear(res);
}

static bool
connect_db(void)
{
	bool first = db.conn == NULL;

	if (db.conninfo == NULL)
		return false;
	if (first)
		db.conn = PQconnectdb(db.conninfo);
	else if (PQstatus(db.conn) != CONNECTION_OK || (db.lost && !db.in_tx))
		PQreset(db.conn);
	else
		return true;
	memset(db.prepared, 0, sizeof(db.prepared));
	db.in_tx = false;
	db.listening = false;
	db.lost = false;
	if (PQstatus(db.conn) != CONNECTION_OK) {
		log_warn("database: cannot connect: %s", PQerrorMessage(db.conn));
		return false;
	}
	PQsetNoticeReceiver(db.conn, on_notice, NULL);
	db.conn_id++;
	if (db.want_listen)
		listen_ends();
	if (first)
		log_debug("database: connected");
	else
		log_info("database: reconnected");
	return true;
}

static bool
prepare(enum stmt id)
{
	PGresult *res;
	bool ok;

	if (db.prepared[id])
		return true;
	res = PQprepare(db.conn, stmts[id].name, stmts[id].sql, 0, NULL);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		log_error("database: prepare %s: %s", stmts[id].name,
		    PQresultErrorMessage(res));
	PQclear(res);
	db.prepared[id] = ok;
	return ok;
}

static enum store_err
classify(PGresult *res, enum stmt id)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (state != NULL && strcmp(state, "23505") == 0)
		return STORE_CONFLICT;
	log_error("database: %s: %s", stmts[id].name,
	    res ? PQresultErrorMessage(res) : PQerrorMessage(db.conn));
	return STORE_UNAVAILABLE;
}

/*
 * Runs statement id with n text parameters (NULL entries are SQL NULL).
 * Returns the result (caller PQclears) with *err = STORE_OK, or NULL with
 * *err set. Retries once on a fresh connection when the connection broke
 * outside a transaction: the first request after a database restart works.
 */
static PGresult *
run(enum stmt id, int n, const char *const *vals, enum store_err *err)
{
	PGresult *res = NULL;
	ExecStatusType st;
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		*err = STORE_UNAVAILABLE;
		if (!connect_db() || !prepare(id)) {
			if (db.in_tx || PQstatus(db.conn) == CONNECTION_OK)
				return NULL;
			continue;
		}
		db.sent++;
		res = PQexecPrepared(db.conn, stmts[id].name, n, vals, NULL, NULL, 0);
		st = PQresultStatus(res);
		if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
			*err = STORE_OK;
			return res;
		}
		if (PQstatus(db.conn) == CONNECTION_OK || db.in_tx) {
			*err = classify(res, id);
			PQclear(res);
			return NULL;
		}
		log_warn("database: connection lost during %s; reconnecting",
		    stmts[id].name);
		PQclear(res);
		res = NULL;
	}
	return NULL;
}

/*
 * BEGIN / COMMIT / ROLLBACK (transaction control cannot be prepared).
 * BEGIN is retried once on a fresh connection, like run().
 */
static enum store_err
tx(const char *what)
{
	bool begin = strcmp(what, "BEGIN") == 0;
	PGresult *res;
	int attempt;

	for (attempt = 0; attempt < (begin ? 2 : 1); attempt++) {
		if (begin && !connect_db())
			continue;
		res = PQexec(db.conn, what);
		if (PQresultStatus(res) == PGRES_COMMAND_OK) {
			PQclear(res);
			db.in_tx = begin;
			return STORE_OK;
		}
		log_error("database: %s: %s", what, PQresultErrorMessage(res));
		PQclear(res);
		if (PQstatus(db.conn) == CONNECTION_OK)
			break;
	}
	db.in_tx = false;
	return STORE_UNAVAILABLE;
}

static void
copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

static int64_t
get_int(const PGresult *res, int row, int col)
{
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static bool
get_bool(const PGresult *res, int row, int col)
{
	return PQgetvalue(res, row, col)[0] == 't';
}

static void
read_session(const PGresult *res, int row, int c, struct session *s)
{
	memset(s, 0, sizeof(*s));
	copy_str(s->id, sizeof(s->id), PQgetvalue(res, row, c));
	s->user_id = get_int(res, row, c + 1);
	s->created_at = (time_t)get_int(res, row, c + 2);
	s->last_active_at = (time_t)get_int(res, row, c + 3);
	s->idle_timeout_s = get_int(res, row, c + 4);
	s->absolute_expires_at = (time_t)get_int(res, row, c + 5);
	s->remember_me = get_bool(res, row, c + 6);
	s->ended_at = (time_t)get_int(res, row, c + 7);
	s->end_reason = end_reason_parse(PQgetvalue(res, row, c + 8));
	copy_str(s->device_id, sizeof(s->device_id), PQgetvalue(res, row, c + 9));
	copy_str(s->user_agent, sizeof(s->user_agent), PQgetvalue(res, row, c + 10));
	copy_str(s->ip, sizeof(s->ip), PQgetvalue(res, row, c + 11));
}

static void
read_user(const PGresult *res, int row, int c, struct user *u)
{
	memset(u, 0, sizeof(*u));
	u->id = get_int(res, row, c);
	copy_str(u->email, sizeof(u->email), PQgetvalue(res, row, c + 1));
	copy_str(u->display_name, sizeof(u->display_name), PQgetvalue(res, row, c + 2));
	copy_str(u->password_hash, sizeof(u->password_hash), PQgetvalue(res, row, c + 3));
	u->disabled = get_bool(res, row, c + 4);
	u->created_at = (time_t)get_int(res, row, c + 5);
	u->password_changed_at = (time_t)get_int(res, row, c + 6);
}

enum store_err
store_open(const char *conninfo)
{
	store_close();
	db.conninfo = xstrdup(conninfo);
	return connect_db() ? STORE_OK : STORE_UNAVAILABLE;
}

void
store_listen_session_ends(void)
{
	db.want_listen = true;
	if (db.conn != NULL && PQstatus(db.conn) == CONNECTION_OK && !db.listening)
		listen_ends();
}

uint64_t
store_connection_id(void)
{
	return db.conn_id;
}

uint64_t
store_statements_sent(void)
{
	return db.sent;
}

int
store_session_ends(void (*fn)(const char *sid, void *arg), void *arg)
{
	PGnotify *n;

	/* Reads what has arrived without waiting: one recv() that usually
	 * finds nothing. A broken connection is left for the next run(). */
	if (db.conn == NULL || !db.listening || db.in_tx || db.lost ||
	    PQstatus(db.conn) != CONNECTION_OK || PQconsumeInput(db.conn) != 1)
		return -1;
	while ((n = PQnotifies(db.conn)) != NULL) {
		fn(n->extra, arg);
		PQfreemem(n);
	}
	return 0;
}

void
store_close(void)
{
	bool listen = db.want_listen;
	uint64_t conn_id = db.conn_id;

	if (db.conn != NULL)
		PQfinish(db.conn);
	util_free_secret(db.conninfo);
	memset(&db, 0, sizeof(db));
	/* Kept for the next store_open: it is a property of the process, and
	 * the next connection must count as a new one. */
	db.want_listen = listen;
	db.conn_id = conn_id;
}

enum store_err
store_ping(void)
{
	enum store_err err;
	PGresult *res = run(S_PING, 0, NULL, &err);

	PQclear(res);
	return err;
}

/* ---- users ---- */

static enum store_err
one_user(enum stmt id, int n, const char *const *vals, struct user *out)
{
	enum store_err err;
	PGresult *res = run(id, n, vals, &err);

	if (res == NULL)
		return err;
	if (PQntuples(res) == 1)
		read_user(res, 0, 0, out);
	else
		err = STORE_NOTFOUND;
	PQclear(res);
	return err;
}

enum store_err
store_user_create(const char *email, const char *password_hash,
    const char *display_name, time_t now, struct user *out)
{
	struct num t;
	const char *v[] = { email, password_hash, display_name ? display_name : "",
		num(&t, now) };

	return one_user(S_USER_CREATE, 4, v, out);
}

enum store_err
store_user_by_email(const char *email, struct user *out)
{
	const char *v[] = { email };

	return one_user(S_USER_BY_EMAIL, 1, v, out);
}

enum store_err
store_user_by_id(int64_t id, struct user *out)
{
	struct num n;
	const char *v[] = { num(&n, id) };

	return one_user(S_USER_BY_ID, 1, v, out);
}

enum store_err
store_user_rehash(int64_t id, const char *password_hash)
{
	struct num n;
	const char *v[] = { num(&n, id), password_hash };
	enum store_err err;
	PGresult *res = run(S_USER_REHASH, 2, v, &err);

	if (res != NULL && strcmp(PQcmdTuples(res), "1") != 0)
		err = STORE_NOTFOUND;
	PQclear(res);
	return err;
}

/* Runs a statement that changes one user and ends sessions, returning
 * (users changed, sessions ended): NOTFOUND when no user changed. */
static enum store_err
user_change(enum stmt id, int n, const char *const *v, int *ended)
{
	enum store_err err;
	PGresult *res = run(id, n, v, &err);

	if (res == NULL)
		return err;
	if (get_int(res, 0, 0) != 1)
		err = STORE_NOTFOUND;
	if (ended != NULL)
		*ended = (int)get_int(res, 0, 1);
	PQclear(res);
	return err;
}

enum store_err
store_user_set_password(int64_t id, const char *password_hash,
    const char *keep_sid, time_t now, int *ended)
{
	struct num n, t;
	const char *v[] = { num(&n, id), uuid_ok(keep_sid) ? keep_sid : NULL,
		end_reason_name(END_PASSWORD_CHANGED), password_hash, num(&t, now) };

	return user_change(S_USER_SET_PASSWORD, 5, v, ended);
}

/* ---- sessions ---- */

enum store_err
store_session_create(struct session *s, const struct token_issue *t)
{
	struct num uid, now, idle, abs, rexp, aexp;
	const char *v[] = { num(&uid, s->user_id), num(&now, s->created_at),
		num(&idle, s->idle_timeout_s), num(&abs, s->absolute_expires_at),
		s->remember_me ? "t" : "f", s->device_id, s->user_agent, s->ip,
		t->refresh_hash, num(&rexp, t->refresh_expires_at), t->access_jti,
		num(&aexp, t->access_expires_at) };
	enum store_err err;
	PGresult *res = run(S_SESSION_CREATE, 12, v, &err);

	if (res == NULL)
		return err;
	copy_str(s->id, sizeof(s->id), PQgetvalue(res, 0, 0));
	s->last_active_at = s->created_at;
	s->ended_at = 0;
	s->end_reason = END_NONE;
	PQclear(res);
	return STORE_OK;
}

enum store_err
store_auth_lookup(const char *sid, const char *jti, struct session *s,
    struct user *u, bool *jti_revoked)
{
	const char *v[] = { sid, jti };
	enum store_err err;
	PGresult *res;

	if (!uuid_ok(sid))
		return STORE_NOTFOUND;
	if ((res = run(S_AUTH_LOOKUP, 2, v, &err)) == NULL)
		return err;
	if (PQntuples(res) == 1) {
		read_session(res, 0, 0, s);
		read_user(res, 0, SESSION_NCOLS, u);
		*jti_revoked = get_bool(res, 0, SESSION_NCOLS + USER_NCOLS);
	} else
		err = STORE_NOTFOUND;
	PQclear(res);
	return err;
}

enum store_err
store_session_touch(const char *sid, time_t now)
{
	struct num t;
	const char *v[] = { sid, num(&t, now) };
	enum store_err err;
	PGresult *res;

	if (!uuid_ok(sid))
		return STORE_NOTFOUND;
	res = run(S_SESSION_TOUCH, 2, v, &err);
	PQclear(res);
	return err;
}

enum store_err
store_session_end(const char *sid, int64_t user_id, enum end_reason reason,
    time_t ended_at, time_t now, bool *ended_now)
{
	struct num uid, e, t;
	const char *v[] = { sid, num(&uid, user_id), end_reason_name(reason),
		num(&e, ended_at), num(&t, now) };
	enum store_err err;
	PGresult *res;

	if (ended_now != NULL)
		*ended_now = false;
	if (!uuid_ok(sid))
		return STORE_NOTFOUND;
	if ((res = run(S_SESSION_END, 5, v, &err)) == NULL)
		return err;
	if (!get_bool(res, 0, 0))
		err = STORE_NOTFOUND;
	else if (ended_now != NULL)
		*ended_now = get_int(res, 0, 1) == 1;
	PQclear(res);
	return err;
}

enum store_err
store_sessions_end_all(int64_t user_id, const char *except_sid,
    enum end_reason reason, time_t now, int *ended)
{
	struct num uid, t;
	const char *v[] = { num(&uid, user_id), uuid_ok(except_sid) ? except_sid : NULL,
		end_reason_name(reason), num(&t, now) };
	enum store_err err;
	PGresult *res = run(S_SESSIONS_END_ALL, 4, v, &err);

	if (res == NULL)
		return err;
	if (ended != NULL)
		*ended = (int)get_int(res, 0, 0);
	PQclear(res);
	return STORE_OK;
}

static enum store_err
session_rows(enum stmt id, int n, const char *const *vals, struct session **out,
    size_t *count)
{
	enum store_err err;
	PGresult *res = run(id, n, vals, &err);
	int i, rows;

	*out = NULL;
	*count = 0;
	if (res == NULL)
		return err;
	rows = PQntuples(res);
	if (rows > 0) {
		*out = xcalloc((size_t)rows, sizeof(**out));
		for (i = 0; i < rows; i++)
			read_session(res, i, 0, &(*out)[i]);
	}
	*count = (size_t)rows;
	PQclear(res);
	return STORE_OK;
}

enum store_err
store_sessions_list(int64_t user_id, struct session **out, size_t *n)
{
	struct num uid;
	const char *v[] = { num(&uid, user_id) };

	return session_rows(S_SESSIONS_LIST, 1, v, out, n);
}

enum store_err
store_sessions_ended(int64_t user_id, int limit, struct session **out, size_t *n)
{
	struct num uid, lim;
	const char *v[] = { num(&uid, user_id), num(&lim, limit) };

	return session_rows(S_SESSIONS_ENDED, 2, v, out, n);
}

enum store_err
store_session_refresh_expiry(const char *sid, time_t *expires_at)
{
	const char *v[] = { sid };
	enum store_err err;
	PGresult *res;

	*expires_at = 0;
	if (!uuid_ok(sid))
		return STORE_NOTFOUND;
	if ((res = run(S_SESSION_REFRESH_EXPIRY, 1, v, &err)) == NULL)
		return err;
	if (PQgetisnull(res, 0, 0))
		err = STORE_NOTFOUND;
	else
		*expires_at = (time_t)get_int(res, 0, 0);
	PQclear(res);
	return err;
}

/* ---- refresh ---- */

/* Ends the locked session inside the refresh transaction. */
static enum store_err
end_in_tx(struct refresh_result *res, enum end_reason reason, time_t ended_at, time_t now)
{
	res->session.ended_at = ended_at;
	res->session.end_reason = reason;
	return store_session_end(res->session.id, 0, reason, ended_at, now, &res->ended_now);
}

static enum store_err
issue_in_tx(int64_t parent, const struct session *s, const struct token_issue *next,
    time_t expires_at, time_t now, bool rotate, bool activity)
{
	struct num p, t, e, a;
	const char *v[] = { num(&p, parent), s->id, num(&t, now), next->refresh_hash,
		num(&e, expires_at), next->access_jti, num(&a, next->access_expires_at),
		rotate ? "t" : "f", activity ? "t" : "f" };
	enum store_err err;
	PGresult *res = run(S_REFRESH_ISSUE, 9, v, &err);

	PQclear(res);
	return err;
}

/*
 * Decides and writes, inside the open transaction, what presenting the
 * locked token t of the locked session res->session means.
 */
static enum store_err
refresh_decide(const struct config *cfg, const struct refresh_row *t,
    const struct token_issue *next, time_t now, bool activity,
    struct refresh_result *res)
{
	struct session *s = &res->session;
	enum end_reason end;
	time_t end_at;

	res->reason = session_check(s, now, &end, &end_at);
	if (res->reason == REASON_NONE && res->user.disabled) {
		res->reason = REASON_SESSION_ENDED;
		end = END_USER_DISABLED;
		end_at = now;
	}
	if (res->reason != REASON_NONE) {
		if (end == END_NONE)
			return STORE_OK;
		return end_in_tx(res, end, end_at, now);
	}
	res->verdict = session_refresh_verdict(t, now, cfg->refresh_reuse_grace);
	switch (res->verdict) {
	case REFRESH_REVOKED:
		res->reason = REASON_REFRESH_INVALID;
		return STORE_OK;
	case REFRESH_EXPIRED:
		res->reason = REASON_REFRESH_EXPIRED;
		return STORE_OK;
	case REFRESH_REUSED:
		/* Why end everything: the token was used twice outside the
		 * grace, so one of the two holders is not the user. */
		res->reason = REASON_REFRESH_REUSED;
		return end_in_tx(res, END_REFRESH_REUSED, now, now);
	case REFRESH_ROTATE:
	case REFRESH_GRACE:
	default:
		break;
	}
	res->refresh_expires_at = session_refresh_expiry(cfg, s, now);
	if (activity && now > s->last_active_at)
		s->last_active_at = now;
	return issue_in_tx(t->id, s, next, res->refresh_expires_at, now,
	    res->verdict == REFRESH_ROTATE, activity);
}

enum store_err
store_refresh(const struct config *cfg, const char *old_hash,
    const struct token_issue *next, time_t now, bool activity,
    struct refresh_result *res)
{
	const char *v[] = { old_hash };
	struct refresh_row t;
	enum store_err err;
	PGresult *r = NULL;

	memset(res, 0, sizeof(*res));
	if ((err = tx("BEGIN")) != STORE_OK)
		return err;
	if ((r = run(S_REFRESH_LOCK, 1, v, &err)) == NULL)
		goto out;
	if (PQntuples(r) != 1) {
		res->reason = REASON_REFRESH_INVALID;
		goto out;
	}
	memset(&t, 0, sizeof(t));
	t.id = get_int(r, 0, 0);
	t.issued_at = (time_t)get_int(r, 0, 1);
	t.expires_at = (time_t)get_int(r, 0, 2);
	t.rotated_at = (time_t)get_int(r, 0, 3);
	t.revoked_at = (time_t)get_int(r, 0, 4);
	read_session(r, 0, 5, &res->session);
	read_user(r, 0, 5 + SESSION_NCOLS, &res->user);
	err = refresh_decide(cfg, &t, next, now, activity, res);
out:
	PQclear(r);
	if (err == STORE_OK)
		err = tx("COMMIT");
	else
		(void)tx("ROLLBACK");
	db.in_tx = false;
	return err;
}

enum store_err
store_refresh_session(const char *hash, char sid[SESSION_ID_LEN + 1])
{
	const char *v[] = { hash };
	enum store_err err;
	PGresult *res = run(S_REFRESH_SESSION, 1, v, &err);

	if (res == NULL)
		return err;
	if (PQntuples(res) == 1)
		copy_str(sid, SESSION_ID_LEN + 1, PQgetvalue(res, 0, 0));
	else
		err = STORE_NOTFOUND;
	PQclear(res);
	return err;
}

/* ---- logout reports ---- */

enum store_err
store_logout_event_add(const struct logout_event *ev)
{
	struct num t, uid;
	char idle[32];
	const char *v[10];
	enum store_err err;
	PGresult *res;

	snprintf(idle, sizeof(idle), "%.3f", ev->idle_minutes);
	v[0] = num(&t, ev->created_at);
	v[1] = num(&uid, ev->user_id);
	v[2] = uuid_ok(ev->session_id) ? ev->session_id : NULL;
	v[3] = ev->type;
	v[4] = ev->message ? ev->message : "";
	v[5] = ev->idle_minutes >= 0 ? idle : NULL;
	v[6] = ev->location;
	v[7] = ev->context;
	v[8] = ev->ip;
	v[9] = ev->user_agent;
	res = run(S_LOGOUT_EVENT_ADD, 10, v, &err);
	PQclear(res);
	return err;
}

static char *
dup_or_null(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : xstrdup(PQgetvalue(res, row, col));
}

static enum store_err
event_rows(enum stmt id, int nv, const char *const *v, struct logout_event **out,
    size_t *n)
{
	enum store_err err;
	PGresult *res = run(id, nv, v, &err);
	struct logout_event *ev;
	int i, rows;

	*out = NULL;
	*n = 0;
	if (res == NULL)
		return err;
	rows = PQntuples(res);
	if (rows > 0)
		*out = xcalloc((size_t)rows, sizeof(**out));
	for (i = 0; i < rows; i++) {
		ev = &(*out)[i];
		if (PQnfields(res) > 11)
			ev->email = dup_or_null(res, i, 11);
		ev->id = get_int(res, i, 0);
		ev->created_at = (time_t)get_int(res, i, 1);
		ev->user_id = get_int(res, i, 2);
		ev->session_id = dup_or_null(res, i, 3);
		ev->type = dup_or_null(res, i, 4);
		ev->message = dup_or_null(res, i, 5);
		ev->idle_minutes = strtod(PQgetvalue(res, i, 6), NULL);
		ev->location = dup_or_null(res, i, 7);
		ev->context = dup_or_null(res, i, 8);
		ev->ip = dup_or_null(res, i, 9);
		ev->user_agent = dup_or_null(res, i, 10);
	}
	*n = (size_t)rows;
	PQclear(res);
	return STORE_OK;
}

enum store_err
store_logout_events_list(int64_t user_id, int limit, struct logout_event **out,
    size_t *n)
{
	struct num uid, lim;
	const char *v[] = { num(&uid, user_id), num(&lim, limit) };

	return event_rows(S_LOGOUT_EVENTS_LIST, 2, v, out, n);
}

enum store_err
store_events_reports(int limit, struct logout_event **out, size_t *n)
{
	struct num lim;
	const char *v[] = { num(&lim, limit) };

	return event_rows(S_EVENTS_REPORTS, 1, v, out, n);
}

void
store_logout_events_free(struct logout_event *evs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(evs[i].session_id);
		free(evs[i].type);
		free(evs[i].message);
		free(evs[i].location);
		free(evs[i].context);
		free(evs[i].ip);
		free(evs[i].user_agent);
		free(evs[i].email);
	}
	free(evs);
}

/* ---- audit ---- */

enum store_err
store_auth_event(const char *kind, int64_t user_id, const char *sid,
    const char *reason, const char *ip, const char *user_agent, time_t now)
{
	struct num t, uid;
	const char *v[] = { num(&t, now), kind, num(&uid, user_id),
		uuid_ok(sid) ? sid : NULL, reason, ip, user_agent };
	enum store_err err;
	PGresult *res = run(S_AUTH_EVENT, 7, v, &err);

	PQclear(res);
	return err;
}

/* ---- login throttling ---- */

enum store_err
store_login_throttle(const char *email_key, const char *addr_key, time_t since,
    struct throttle *out)
{
	struct num t;
	const char *v[] = { email_key, addr_key, num(&t, since) };
	enum store_err err;
	PGresult *res = run(S_LOGIN_THROTTLE, 3, v, &err);

	memset(out, 0, sizeof(*out));
	if (res == NULL)
		return err;
	out->email_failures = get_int(res, 0, 0);
	out->addr_failures = get_int(res, 0, 1);
	out->email_oldest = (time_t)get_int(res, 0, 2);
	out->addr_oldest = (time_t)get_int(res, 0, 3);
	PQclear(res);
	return STORE_OK;
}

enum store_err
store_login_failed(const char *email_key, const char *addr_key, time_t now)
{
	struct num t;
	const char *v[] = { email_key, addr_key, num(&t, now) };
	enum store_err err;
	PGresult *res = run(S_LOGIN_FAILED, 3, v, &err);

	PQclear(res);
	return err;
}

enum store_err
store_login_clear(const char *key)
{
	const char *v[] = { key };
	enum store_err err;
	PGresult *res = run(S_LOGIN_CLEAR, 1, v, &err);

	PQclear(res);
	return err;
}

/* ---- administration ---- */

enum store_err
store_user_set_disabled(int64_t id, bool disabled, time_t now, int *ended)
{
	struct num uid, t;
	const char *v[] = { num(&uid, id), disabled ? "t" : "f", num(&t, now) };

	return user_change(S_USER_SET_DISABLED, 3, v, ended);
}

enum store_err
store_users_list(struct user_row **out, size_t *n)
{
	enum store_err err;
	PGresult *res = run(S_USERS_LIST, 0, NULL, &err);
	int i, rows;

	*out = NULL;
	*n = 0;
	if (res == NULL)
		return err;
	rows = PQntuples(res);
	*out = xcalloc(rows > 0 ? (size_t)rows : 1, sizeof(**out));
	for (i = 0; i < rows; i++) {
		read_user(res, i, 0, &(*out)[i].user);
		(*out)[i].live_sessions = get_int(res, i, USER_NCOLS);
	}
	*n = (size_t)rows;
	PQclear(res);
	return STORE_OK;
}

static enum store_err
admin_sessions(enum stmt id, const char *arg, struct session_row **out, size_t *n)
{
	const char *v[] = { arg };
	enum store_err err;
	PGresult *res = run(id, 1, v, &err);
	int i, rows;

	*out = NULL;
	*n = 0;
	if (res == NULL)
		return err;
	rows = PQntuples(res);
	*out = xcalloc(rows > 0 ? (size_t)rows : 1, sizeof(**out));
	for (i = 0; i < rows; i++) {
		read_session(res, i, 0, &(*out)[i].session);
		copy_str((*out)[i].email, sizeof((*out)[i].email),
		    PQgetvalue(res, i, SESSION_NCOLS));
	}
	*n = (size_t)rows;
	PQclear(res);
	return STORE_OK;
}

enum store_err
store_sessions_live(int64_t user_id, struct session_row **out, size_t *n)
{
	struct num uid;

	return admin_sessions(S_SESSIONS_LIVE_ALL, num(&uid, user_id), out, n);
}

enum store_err
store_events_ends(int limit, struct session_row **out, size_t *n)
{
	struct num lim;

	return admin_sessions(S_EVENTS_ENDS, num(&lim, limit), out, n);
}

enum store_err
store_stats(time_t now, struct stats *st, struct stat_count **failures, size_t *nfailures)
{
	struct num t;
	const char *v[] = { num(&t, now) };
	enum store_err err;
	PGresult *res;
	int i, rows;

	memset(st, 0, sizeof(*st));
	*failures = NULL;
	*nfailures = 0;
	if ((res = run(S_STATS, 1, v, &err)) == NULL)
		return err;
	st->active_sessions = get_int(res, 0, 0);
	st->refreshes_hour = get_int(res, 0, 1);
	st->logins_hour = get_int(res, 0, 2);
	st->users = get_int(res, 0, 3);
	PQclear(res);
	if ((res = run(S_STATS_FAILURES, 1, v, &err)) == NULL)
		return err;
	rows = PQntuples(res);
	*failures = xcalloc(rows > 0 ? (size_t)rows : 1, sizeof(**failures));
	for (i = 0; i < rows; i++) {
		copy_str((*failures)[i].kind, sizeof((*failures)[i].kind), PQgetvalue(res, i, 0));
		copy_str((*failures)[i].reason, sizeof((*failures)[i].reason),
		    PQgetvalue(res, i, 1));
		(*failures)[i].count = get_int(res, i, 2);
	}
	*nfailures = (size_t)rows;
	PQclear(res);
	return STORE_OK;
}

/* ---- benchmarks ---- */

const char *
store_statement_sql(const char *name)
{
	int i;

	for (i = 0; i < STMT__MAX; i++)
		if (strcmp(stmts[i].name, name) == 0)
			return stmts[i].sql;
	return NULL;
}

/* ---- metrics ---- */

enum store_err
store_metrics(time_t now, int64_t retention, struct metrics_db *out)
{
	struct num t, r;
	const char *v[] = { num(&t, now), num(&r, retention) };
	struct stat_count *f;
	struct stats st;
	size_t n;
	enum store_err err;
	PGresult *res;
	int i;

	memset(out, 0, sizeof(*out));
	if ((err = store_stats(now, &st, &f, &n)) != STORE_OK)
		return err;
	free(f);
	out->active_sessions = st.active_sessions;
	out->users = st.users;
	if ((res = run(S_METRICS_ENDED, 2, v, &err)) == NULL)
		return err;
	for (i = 0; i < PQntuples(res); i++)
		out->ended_recent[end_reason_parse(PQgetvalue(res, i, 0))] = get_int(res, i, 1);
	PQclear(res);
	out->ok = true;
	return STORE_OK;
}

/* ---- cleanup ---- */

/* Runs one cleanup statement until a batch comes back short. */
static enum store_err
clean_loop(enum stmt id, time_t now, int batch, int64_t age, int64_t *count)
{
	struct num t, b, a;
	const char *v[] = { num(&t, now), num(&b, batch), num(&a, age) };
	int nparams = id == S_CLEAN_EXPIRE_SESSIONS || id == S_CLEAN_BLACKLIST ||
	    id == S_CLEAN_REFRESH ? 2 : 3;
	enum store_err err;
	PGresult *res;
	int64_t got;

	do {
		if ((res = run(id, nparams, v, &err)) == NULL)
			return err;
		got = id == S_CLEAN_EXPIRE_SESSIONS ? get_int(res, 0, 0) :
		    strtoll(PQcmdTuples(res), NULL, 10);
		*count += got;
		PQclear(res);
	} while (got >= batch);
	return STORE_OK;
}

enum store_err
store_cleanup(const struct config *cfg, time_t now, int batch,
    struct cleanup_counts *out, bool *ran)
{
	enum store_err err, unlock_err;
	PGresult *res;

	memset(out, 0, sizeof(*out));
	*ran = false;
	if ((res = run(S_CLEAN_LOCK, 0, NULL, &err)) == NULL)
		return err;
	*ran = get_bool(res, 0, 0);
	PQclear(res);
	if (!*ran)
		return STORE_OK;
	if ((err = clean_loop(S_CLEAN_EXPIRE_SESSIONS, now, batch, 0,
	    &out->sessions_expired)) == STORE_OK &&
	    (err = clean_loop(S_CLEAN_BLACKLIST, now, batch, 0, &out->blacklist)) == STORE_OK &&
	    (err = clean_loop(S_CLEAN_REFRESH, now, batch, 0, &out->refresh_tokens)) ==
	    STORE_OK &&
	    (err = clean_loop(S_CLEAN_SESSIONS, now, batch, cfg->session_retention,
	    &out->sessions)) == STORE_OK &&
	    (err = clean_loop(S_CLEAN_LOGOUT_EVENTS, now, batch, cfg->event_retention,
	    &out->logout_events)) == STORE_OK &&
	    (err = clean_loop(S_CLEAN_AUTH_EVENTS, now, batch, cfg->event_retention,
	    &out->auth_events)) == STORE_OK)
		err = clean_loop(S_CLEAN_ATTEMPTS, now, batch, cfg->login_window,
		    &out->login_attempts);
	/* Unlock even after a failed batch; the connection's end would too. */
	PQclear(run(S_CLEAN_UNLOCK, 0, NULL, &unlock_err));
	return err;
}

/* ---- migrations ---- */

static int
migration_name_ok(const char *name)
{
	size_t len = strlen(name);

	return len > 8 && name[0] >= '0' && name[0] <= '9' && name[1] >= '0' &&
	    name[1] <= '9' && name[2] >= '0' && name[2] <= '9' && name[3] == '_' &&
	    strcmp(name + len - 4, ".sql") == 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Returns the sorted migration file names of dir (caller frees each and
 * the array), or NULL with *n = 0 if dir cannot be read. */
static char **
list_migrations(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t cap = 0;

	*n = 0;
	if (d == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		if (!migration_name_ok(de->d_name))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[(*n)++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (names == NULL)
		names = xcalloc(1, sizeof(*names));
	qsort(names, *n, sizeof(*names), cmp_str);
	return names;
}

static char *
read_file(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, got;

	if (fp == NULL)
		return NULL;
	do {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = xrealloc(buf, cap + 1);
		}
		got = fread(buf + len, 1, cap - len, fp);
		len += got;
	} while (got > 0);
	if (ferror(fp)) {
		free(buf);
		buf = NULL;
	} else
		buf[len] = '\0';
	fclose(fp);
	return buf;
}

/* Runs the literal SQL of a migration file or a fixed statement. */
static bool
exec_script(const char *sql, FILE *out, const char *what)
{
	PGresult *res = PQexec(db.conn, sql);
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
	    PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(out, "%s: %s", what, PQresultErrorMessage(res));
	PQclear(res);
	return ok;
}

/* Applies one migration file in its own transaction, unless recorded. */
static enum store_err
apply_one(const char *dir, const char *name, FILE *out)
{
	char version[4] = { name[0], name[1], name[2], '\0' };
	const char *v[] = { version };
	char *path = xasprintf("%s/%s", dir, name), *sql = NULL;
	enum store_err err;
	PGresult *res = NULL;

	if ((err = tx("BEGIN")) != STORE_OK)
		goto out;
	if ((res = run(S_MIGRATION_APPLIED, 1, v, &err)) == NULL)
		goto out;
	if (PQntuples(res) == 1)
		goto out; /* already applied */
	if ((sql = read_file(path)) == NULL) {
		fprintf(out, "%s: %s\n", path, strerror(errno));
		err = STORE_NOTFOUND;
		goto out;
	}
	if (!exec_script(sql, out, name)) {
		err = STORE_CONFLICT;
		goto out;
	}
	PQclear(res);
	if ((res = run(S_MIGRATION_RECORD, 1, v, &err)) == NULL)
		goto out;
	fprintf(out, "applied %s\n", name);
out:
	PQclear(res);
	if (err == STORE_OK)
		err = tx("COMMIT");
	else if (db.in_tx)
		(void)tx("ROLLBACK");
	db.in_tx = false;
	free(sql);
	free(path);
	return err;
}

enum store_err
store_migrate(const char *dir, FILE *out)
{
	char **names;
	size_t i, n;
	enum store_err err = STORE_OK;

	if ((names = list_migrations(dir, &n)) == NULL) {
		fprintf(out, "%s: %s\n", dir, strerror(errno));
		return STORE_NOTFOUND;
	}
	if (!connect_db()) {
		err = STORE_UNAVAILABLE;
		goto out;
	}
	/* Why a lock: two hosts running migrate at once must not both apply. */
	if (!exec_script("SELECT pg_advisory_lock(7364001)", out, "lock") ||
	    !exec_script("CREATE TABLE IF NOT EXISTS schema_migrations ("
	    "version text PRIMARY KEY, applied_at timestamptz NOT NULL)", out,
	    "schema_migrations")) {
		err = STORE_UNAVAILABLE;
		goto out;
	}
	for (i = 0; i < n && err == STORE_OK; i++)
		err = apply_one(dir, names[i], out);
	(void)exec_script("SELECT pg_advisory_unlock(7364001)", out, "unlock");
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return err;
}
