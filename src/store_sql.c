/*
 * store_sql: every SQL statement of tether, in one table indexed by enum
 * stmt, prepared once per connection by store_db.c (lazily, so a reconnect
 * simply prepares again) and run with $n parameters.
 */
#include <string.h>

#include "store_db.h"

/*
 * What ending sessions does besides setting ended_at: revoke their refresh
 * tokens, blacklist the access jti's that are still live, and audit it.
 * Expects a CTE "e" (the sessions just ended: id, user_id, ip, user_agent,
 * end_reason); NOW names the parameter holding the time. Run by
 * db_run_locked after the sessions are locked: in the statement's own
 * snapshot a token that a refresh committed while the end waited for its
 * lock is missing (audit I2). The tokens go by "= ANY (ARRAY(...))", an
 * index scan of refresh_tokens_session_idx whatever the planner guesses of
 * e: a join let the cleanup's prepared (generic) plan hash all 10 M tokens
 * of a year for a batch of 44 sessions (bench/results/2026-12-01-large.md).
 */
#define END_SIDE_EFFECTS(NOW) \
	"r AS (UPDATE refresh_tokens t SET revoked_at = to_timestamp(" NOW ") " \
	"  WHERE t.session_id = ANY (ARRAY(SELECT id FROM e)) AND t.revoked_at IS NULL " \
	"  RETURNING 1), " \
	"b AS (INSERT INTO access_blacklist (jti, session_id, expires_at, created_at) " \
	"  SELECT t.access_jti, t.session_id, t.access_expires_at, to_timestamp(" NOW ") " \
	"  FROM refresh_tokens t WHERE t.session_id = ANY (ARRAY(SELECT id FROM e)) " \
	"  AND t.access_expires_at > to_timestamp(" NOW ") " \
	"  ON CONFLICT (jti) DO NOTHING RETURNING 1), " \
	"a AS (INSERT INTO auth_events (created_at, kind, user_id, session_id, reason, ip, user_agent) " \
	"  SELECT to_timestamp(" NOW "), 'session_ended', e.user_id, e.id, e.end_reason, " \
	"  e.ip, e.user_agent FROM e RETURNING 1) "

/* The sessions a statement just ended (its CTE e), as "REASON:seconds,..."
 * from sign-in to end: the store hands them to the host's lifetime
 * histogram (db_count_lifetimes). */
#define ENDED_LIFETIMES \
	"(SELECT coalesce(string_agg(e.end_reason || ':' || " \
	"  extract(epoch FROM e.ended_at - e.created_at)::text, ','), '') FROM e)"

/*
 * `tetherctl bench seed`: a year of a busy site, set-based (INSERT ...
 * SELECT over generate_series), one batch of session numbers k in
 * [$2, $3] per statement. Every row of session k is a pure function of k,
 * so the statements for tokens, blacklist and events recompute the same
 * session without reading it back. $1 now, $4 sessions in all.
 *   c      sign-in, spread evenly over the year before now
 *   rm     remember me for one session in four (20 days, no idle timeout),
 *          else 12 hours with a 30-minute idle timeout
 *   x, y   two deterministic pseudo-random numbers in [0, 1)
 *   why    how it ends: 48 % by someone's action (logout 35 %, logout all
 *          5 %, revoked 4 %, password changed 3 %, ...), the rest by its
 *          own limits (IDLE_TIMEOUT, or EXPIRED for remember-me)
 *   fin    when it ends; ended = fin has passed (most have)
 *   gens   refresh-token generations: 5 for remember-me, else 1 (2 a
 *          session on average; older ones rotated)
 *   li     when the newest generation was issued (within 10 minutes of
 *          the end or of now)
 * The session's id is an MD5 of its number read as a UUID, so that a
 * token of session k names it without a lookup.
 */
/* The access jti of generation G of session k: 22 characters like a real one. */
#define SEED_JTI(G) "left(encode(sha256(convert_to('tether-seed-jti-' || k || '-' || " G \
	", 'UTF8')), 'hex'), 22)"
#define SEED_FROM \
	"FROM generate_series($2::bigint, $3::bigint) k, " \
	"LATERAL (SELECT $1::float8 - 31536000 + (k - 1)::float8 * 31536000 / $4::bigint AS c, " \
	"  k % 4 = 0 AS rm, ((k * 2654435761) % 10007)::float8 / 10007 AS x, " \
	"  ((k * 40503 + 17) % 1009)::float8 / 1009 AS y, " \
	"  md5('tether-seed-' || k)::uuid AS sid) a, " \
	"LATERAL (SELECT CASE WHEN a.rm THEN 1728000 ELSE 43200 END AS maxage, " \
	"  CASE WHEN a.rm THEN 0 ELSE 1800 END AS idle, CASE WHEN a.rm THEN 5 ELSE 1 END AS gens, " \
	"  CASE WHEN a.x < 0.35 THEN 'USER_LOGOUT' WHEN a.x < 0.40 THEN 'LOGOUT_ALL' " \
	"  WHEN a.x < 0.43 THEN 'REVOKED_BY_USER' WHEN a.x < 0.44 THEN 'REVOKED_BY_ADMIN' " \
	"  WHEN a.x < 0.47 THEN 'PASSWORD_CHANGED' WHEN a.x < 0.475 THEN 'REFRESH_REUSED' " \
	"  WHEN a.x < 0.48 THEN 'USER_DISABLED' WHEN a.x < 0.482 THEN 'PASSWORD_GUESSES' " \
	"  WHEN a.rm THEN 'EXPIRED' ELSE 'IDLE_TIMEOUT' END AS why, " \
	"  (ARRAY['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like " \
	"Gecko) Chrome/120.0.0.0 Safari/537.36', 'Mozilla/5.0 (Macintosh; Intel Mac OS X " \
	"14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15', " \
	"'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 " \
	"(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1', 'Mozilla/5.0 (X11; " \
	"Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0'])[1 + k % 4] AS ua, " \
	"  '10.' || (k / 65536 % 256) || '.' || (k / 256 % 256) || '.' || (k % 256) AS ip) b, " \
	"LATERAL (SELECT CASE WHEN b.why = 'EXPIRED' THEN a.c + b.maxage " \
	"  WHEN b.why = 'IDLE_TIMEOUT' THEN a.c + 1800 + a.y * (b.maxage - 1800) " \
	"  WHEN a.rm THEN a.c + 300 + a.y * 5 * 86400 ELSE a.c + 60 + a.y * 6 * 3600 END AS fin) d, " \
	"LATERAL (SELECT d.fin <= $1::float8 AS ended, GREATEST(a.c, " \
	"  LEAST(d.fin, $1::float8) - 600 * a.y) AS li) e "

const struct stmt_def db_stmts[STMT__MAX] = {
	[S_PING] = { "ping", "SELECT 1" },
	/* Run once per connection, unprepared (store_db.c: db_connect). NULL
	 * limits stay the server's (or the role's). No JIT:
	 * tether's statements take milliseconds, and PostgreSQL compiles by
	 * estimated cost, which a generic plan can overrate a thousandfold:
	 * 80 to 850 ms of compiling for a statement that then ran in one
	 * (bench/results/2026-12-01-large.md). */
	[S_SET_LIMITS] = { "set_limits",
	    "SELECT set_config('statement_timeout', coalesce($1, "
	    "current_setting('statement_timeout')), false), set_config('lock_timeout', "
	    "coalesce($2, current_setting('lock_timeout')), false), "
	    "set_config('jit', 'off', false)" },
	/* In milliseconds, as pg_settings gives them. */
	[S_SHOW_LIMITS] = { "show_limits",
	    "SELECT (SELECT setting FROM pg_settings WHERE name = 'statement_timeout')::bigint, "
	    "(SELECT setting FROM pg_settings WHERE name = 'lock_timeout')::bigint" },
	[S_USER_CREATE] = { "user_create",
	    "INSERT INTO users AS u (email, password_hash, display_name, created_at, "
	    "password_changed_at) VALUES ($1, $2, $3, to_timestamp($4), to_timestamp($4)) "
	    "RETURNING " USER_COLS },
	[S_USER_BY_EMAIL] = { "user_by_email",
	    "SELECT " USER_COLS " FROM users u WHERE lower(u.email) = lower($1)" },
	[S_USER_BY_ID] = { "user_by_id",
	    "SELECT " USER_COLS " FROM users u WHERE u.id = $1" },
	/* The hash only where a password is checked (sign-in, password change). */
	[S_CREDENTIAL_BY_EMAIL] = { "credential_by_email",
	    "SELECT " USER_COLS ", u.password_hash FROM users u WHERE lower(u.email) = lower($1)" },
	[S_CREDENTIAL_BY_ID] = { "credential_by_id",
	    "SELECT " USER_COLS ", u.password_hash FROM users u WHERE u.id = $1" },
	[S_USER_REHASH] = { "user_rehash",
	    "UPDATE users SET password_hash = $2 WHERE id = $1" },
	/* $1 user, $2 keep sid or NULL, $3 reason, $4 hash, $5 now */
	[S_USER_SET_PASSWORD] = { "user_set_password",
	    "WITH u AS (UPDATE users SET password_hash = $4, "
	    "  password_changed_at = to_timestamp($5) WHERE id = $1 RETURNING id), "
	    "e AS (UPDATE sessions SET ended_at = to_timestamp($5), end_reason = $3 "
	    "  WHERE user_id = (SELECT id FROM u) AND ended_at IS NULL "
	    "  AND ($2::uuid IS NULL OR id <> $2::uuid) "
	    "  RETURNING id, user_id, ip, user_agent, end_reason, created_at, ended_at), "
	    END_SIDE_EFFECTS("$5") ", "
	    "p AS (INSERT INTO auth_events (created_at, kind, user_id) "
	    "  SELECT to_timestamp($5), 'password_changed', id FROM u RETURNING 1) "
	    "SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM e), " ENDED_LIFETIMES },
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
	/* What an end locks first (see END_SIDE_EFFECTS): one session, or the
	 * live sessions of a user, in one order so two ends cannot deadlock. */
	[S_SESSION_LOCK] = { "session_lock",
	    "SELECT 1 FROM sessions WHERE id = $1::uuid FOR UPDATE" },
	[S_USER_SESSIONS_LOCK] = { "user_sessions_lock",
	    "SELECT 1 FROM sessions WHERE user_id = $1::bigint AND ended_at IS NULL "
	    "ORDER BY id FOR UPDATE" },
	/* $1 sid, $2 user (0: any), $3 reason, $4 ended_at, $5 now */
	[S_SESSION_END] = { "session_end",
	    "WITH e AS (UPDATE sessions SET ended_at = to_timestamp($4), end_reason = $3 "
	    "  WHERE id = $1::uuid AND ($2::bigint = 0 OR user_id = $2::bigint) "
	    "  AND ended_at IS NULL RETURNING id, user_id, ip, user_agent, end_reason, created_at, "
	    "  ended_at), "
	    END_SIDE_EFFECTS("$5")
	    "SELECT EXISTS (SELECT 1 FROM sessions WHERE id = $1::uuid "
	    "  AND ($2::bigint = 0 OR user_id = $2::bigint)), (SELECT count(*) FROM e), "
	    ENDED_LIFETIMES },
	/* $1 user, $2 except sid or NULL, $3 reason, $4 now */
	[S_SESSIONS_END_ALL] = { "sessions_end_all",
	    "WITH e AS (UPDATE sessions SET ended_at = to_timestamp($4), end_reason = $3 "
	    "  WHERE user_id = $1 AND ended_at IS NULL "
	    "  AND ($2::uuid IS NULL OR id <> $2::uuid) "
	    "  RETURNING id, user_id, ip, user_agent, end_reason, created_at, ended_at), "
	    END_SIDE_EFFECTS("$4")
	    "SELECT count(*), " ENDED_LIFETIMES " FROM e" },
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
	/* A replay within the grace: the successor already issued (derived
	 * from the parent, so the caller's next is that very token) is handed
	 * out again, not a second one, and its access expiry moves up to the
	 * new access token's so that an end blacklists that too. No row if the
	 * successor is not next (another signing key derived it).
	 * $1 parent, $2 sid, $3 now, $4 hash, $5 jti, $6 access exp, $7 slide? */
	[S_REFRESH_REISSUE] = { "refresh_reissue",
	    "WITH c AS (UPDATE refresh_tokens SET access_expires_at = "
	    "  GREATEST(access_expires_at, to_timestamp($6)) WHERE parent_id = $1 "
	    "  AND session_id = $2::uuid AND token_hash = $4 AND access_jti = $5 "
	    "  RETURNING expires_at), "
	    "s AS (UPDATE sessions SET last_active_at = to_timestamp($3) "
	    "  WHERE id = $2::uuid AND $7::boolean AND last_active_at < to_timestamp($3) "
	    "  AND EXISTS (SELECT 1 FROM c) RETURNING 1), "
	    "k AS (INSERT INTO auth_events (created_at, kind, user_id, session_id, reason) "
	    "  SELECT to_timestamp($3), 'refresh_ok', user_id, id, 'GRACE' "
	    "  FROM sessions WHERE id = $2::uuid AND EXISTS (SELECT 1 FROM c) RETURNING 1) "
	    "SELECT extract(epoch from expires_at)::bigint FROM c" },
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
	/* The same row as auth_event unless one with the same kind, reason,
	 * session and address was written in the last $8 seconds: a burst of
	 * identical failures is one row (M3). */
	[S_AUTH_EVENT_ONCE] = { "auth_event_once",
	    "INSERT INTO auth_events (created_at, kind, user_id, session_id, reason, "
	    "ip, user_agent) SELECT to_timestamp($1), $2, NULLIF($3::bigint, 0), "
	    "$4::uuid, $5, $6, $7 WHERE NOT EXISTS (SELECT 1 FROM auth_events "
	    "WHERE kind = $2 AND created_at > to_timestamp($1) - $8 * interval '1 second' "
	    "AND reason IS NOT DISTINCT FROM $5 AND ip IS NOT DISTINCT FROM $6 "
	    "AND session_id IS NOT DISTINCT FROM $4::uuid) RETURNING id" },
	/* Why a lock first: under READ COMMITTED a count taken by a statement
	 * that started before another worker committed its attempt misses it;
	 * the lock, held to COMMIT, makes the next statement's snapshot see it
	 * (I5: parallel guesses cannot overshoot the limit). */
	[S_THROTTLE_LOCK] = { "throttle_lock",
	    "SELECT pg_advisory_xact_lock(hashtextextended('tether-throttle:' || $1, 0))" },
	/* $1 key, $2 start of the window: attempts in it and the oldest (0) */
	[S_THROTTLE_COUNT] = { "throttle_count",
	    "SELECT count(*), coalesce(extract(epoch from min(attempted_at))::bigint, 0) "
	    "FROM login_attempts WHERE key = $1 AND attempted_at > to_timestamp($2)" },
	[S_THROTTLE_ADD] = { "throttle_add",
	    "INSERT INTO login_attempts (key, attempted_at) VALUES ($1, to_timestamp($2))" },
	/* The newest attempt of a key taken back (a good password). */
	[S_THROTTLE_UNDO] = { "throttle_undo",
	    "DELETE FROM login_attempts WHERE id = (SELECT max(id) FROM login_attempts "
	    "WHERE key = $1)" },
	/* The account lookup's own case folding (L2): the throttle key of an
	 * email is what lower() makes of it, as credential_by_email compares. */
	[S_FOLD_EMAIL] = { "fold_email", "SELECT lower($1)" },
	[S_LOGIN_CLEAR] = { "login_clear", "DELETE FROM login_attempts WHERE key = $1" },
	/* $1 user, $2 disable?, $3 now */
	[S_USER_SET_DISABLED] = { "user_set_disabled",
	    "WITH u AS (UPDATE users SET disabled = $2 WHERE id = $1 RETURNING id), "
	    "e AS (UPDATE sessions SET ended_at = to_timestamp($3), end_reason = 'USER_DISABLED' "
	    "  WHERE user_id = (SELECT id FROM u) AND $2 AND ended_at IS NULL "
	    "  RETURNING id, user_id, ip, user_agent, end_reason, created_at, ended_at), "
	    END_SIDE_EFFECTS("$3") ", "
	    "d AS (INSERT INTO auth_events (created_at, kind, user_id) SELECT to_timestamp($3), "
	    "  CASE WHEN $2 THEN 'user_disabled' ELSE 'user_enabled' END, id FROM u RETURNING 1) "
	    "SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM e), " ENDED_LIFETIMES },
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
	/* Sessions that ended in the window ($2 seconds before $1), by reason
	 * and lifetime bucket (tether_lifetime_bucket, sql/006: a lifetime
	 * equal to a bound counts in that bound's bucket, a histogram's "le").
	 * Exact, from the sessions themselves: for short windows (tetherctl
	 * stats' hour and day); one pass over sessions_ended_at_idx. */
	[S_SESSION_LIFETIMES] = { "session_lifetimes",
	    "SELECT l.end_reason, tether_lifetime_bucket(l.s), count(*), sum(l.s) "
	    "FROM (SELECT end_reason, extract(epoch FROM ended_at - created_at)::float8 AS s "
	    "  FROM sessions WHERE ended_at IS NOT NULL "
	    "  AND ended_at > to_timestamp($1) - $2 * interval '1 second') AS l "
	    "GROUP BY 1, 2" },
	/* The same figures from the hourly counts the sessions' trigger keeps
	 * (sql/006): a few dozen rows an hour however many sessions ended, so
	 * /metrics reads the whole retention at once. The window starts at
	 * the hour that holds its start. */
	[S_SESSION_END_COUNTS] = { "session_end_counts",
	    "SELECT end_reason, bucket, sum(sessions)::bigint, sum(seconds) "
	    "FROM session_end_counts WHERE hour > to_timestamp($1) - $2 * interval '1 second' "
	    "  - interval '1 hour' GROUP BY 1, 2" },
	/*
	 * Cleanup, each in bounded batches ($2 rows) so a backlog never holds
	 * long locks. Each batch takes the oldest rows by the index on its
	 * time column (ORDER BY): a plain LIMIT lets PostgreSQL scan the
	 * table from its start, over the dead rows of every earlier batch,
	 * whenever most rows match (a backlog). The rows go by "= ANY
	 * (ARRAY(...))", which can only be an index scan of the primary key;
	 * "IN (SELECT ...)" may become a hash join over the whole table.
	 *
	 * Each batch starts at its mark (the last parameter: the time column's
	 * value where the previous batch stopped, '-infinity' at first) and
	 * answers the new one after its count. Without it every batch would
	 * descend to the index's first entry and step over the entries of all
	 * the rows deleted before it, which stay until a vacuum removes them:
	 * a backlog's batches got slower and slower (quadratic) unless
	 * autovacuum kept pace (bench/results/2026-12-01-cleanup.md).
	 */
#define CLEAN_BATCH(TABLE, ID, KEY, DUE, MARK) \
	"WITH c AS (SELECT " ID ", " KEY " AS k FROM " TABLE " WHERE " DUE " AND " KEY \
	"  >= " MARK "::timestamptz ORDER BY " KEY " LIMIT $2), " \
	"d AS (DELETE FROM " TABLE " WHERE " ID " = ANY (ARRAY(SELECT " ID " FROM c)) " \
	"  RETURNING 1) " \
	"SELECT (SELECT count(*) FROM d), (SELECT max(k)::text FROM c)"
	/* Live sessions past their absolute end are ended first, with the
	 * limit that really came first as the reason. Answers the count, the
	 * lifetimes and the mark. */
	[S_CLEAN_EXPIRE_SESSIONS] = { "clean_expire_sessions",
	    "WITH c AS (SELECT id, absolute_expires_at AS k, CASE WHEN idle_timeout_s > 0 AND "
	    "  last_active_at + idle_timeout_s * interval '1 second' < absolute_expires_at "
	    "  THEN last_active_at + idle_timeout_s * interval '1 second' "
	    "  ELSE absolute_expires_at END AS at, CASE WHEN idle_timeout_s > 0 AND "
	    "  last_active_at + idle_timeout_s * interval '1 second' < absolute_expires_at "
	    "  THEN 'IDLE_TIMEOUT' ELSE 'EXPIRED' END AS why FROM sessions "
	    "  WHERE ended_at IS NULL AND absolute_expires_at <= to_timestamp($1) "
	    "  AND absolute_expires_at >= $3::timestamptz "
	    "  ORDER BY absolute_expires_at LIMIT $2 FOR UPDATE SKIP LOCKED), "
	    "e AS (UPDATE sessions s SET ended_at = c.at, end_reason = c.why FROM c "
	    "  WHERE s.id = c.id RETURNING s.id, s.user_id, s.ip, s.user_agent, s.end_reason, "
	    "  s.created_at, s.ended_at), "
	    END_SIDE_EFFECTS("$1") "SELECT count(*), " ENDED_LIFETIMES ", "
	    "(SELECT max(k)::text FROM c) FROM e" },
	[S_CLEAN_BLACKLIST] = { "clean_blacklist",
	    CLEAN_BATCH("access_blacklist", "jti", "expires_at",
	        "expires_at < to_timestamp($1)", "$3") },
	/* Expired tokens, and revoked ones a day after: long enough for a late
	 * client to be told its session ended rather than "invalid". One
	 * array of both, not "IN (...) OR IN (...)": with the OR, PostgreSQL
	 * reads the whole table for every batch (a sequential scan of 10 M
	 * rows per 1 000 deleted, bench/results/2026-12-01-large.md). A mark
	 * for each: $3 expires_at, $4 revoked_at. */
	[S_CLEAN_REFRESH] = { "clean_refresh",
	    "WITH a AS (SELECT id, expires_at AS k FROM refresh_tokens "
	    "  WHERE expires_at < to_timestamp($1) AND expires_at >= $3::timestamptz "
	    "  ORDER BY expires_at LIMIT $2), "
	    "b AS (SELECT id, revoked_at AS k FROM refresh_tokens "
	    "  WHERE revoked_at < to_timestamp($1) - interval '1 day' "
	    "  AND revoked_at >= $4::timestamptz ORDER BY revoked_at LIMIT $2), "
	    "d AS (DELETE FROM refresh_tokens WHERE id = ANY (ARRAY(SELECT id FROM a) || "
	    "  ARRAY(SELECT id FROM b)) RETURNING 1) "
	    "SELECT (SELECT count(*) FROM d), (SELECT max(k)::text FROM a), "
	    "(SELECT max(k)::text FROM b)" },
	[S_CLEAN_SESSIONS] = { "clean_sessions",
	    CLEAN_BATCH("sessions", "id", "ended_at", "ended_at IS NOT NULL AND ended_at < "
	        "to_timestamp($1) - $3 * interval '1 second'", "$4") },
	/* The hourly end counts past retention (sql/006), by row address:
	 * the table has no id, and its old rows no longer change. */
	[S_CLEAN_END_COUNTS] = { "clean_end_counts",
	    CLEAN_BATCH("session_end_counts", "ctid", "hour", "hour < to_timestamp($1) - "
	        "$3 * interval '1 second' - interval '1 hour'", "$4") },
	[S_CLEAN_LOGOUT_EVENTS] = { "clean_logout_events",
	    CLEAN_BATCH("logout_events", "id", "created_at",
	        "created_at < to_timestamp($1) - $3 * interval '1 second'", "$4") },
	[S_CLEAN_AUTH_EVENTS] = { "clean_auth_events",
	    CLEAN_BATCH("auth_events", "id", "created_at",
	        "created_at < to_timestamp($1) - $3 * interval '1 second'", "$4") },
	[S_CLEAN_ATTEMPTS] = { "clean_attempts",
	    CLEAN_BATCH("login_attempts", "id", "attempted_at",
	        "attempted_at < to_timestamp($1) - $3 * interval '1 second'", "$4") },
#undef CLEAN_BATCH
	/* Only one cleaner at a time, across workers and hosts. */
	[S_CLEAN_LOCK] = { "clean_lock", "SELECT pg_try_advisory_lock(7364002)" },
	/* Transaction pooling: the same lock held by the cleanup's transaction. */
	[S_CLEAN_XACT_LOCK] = { "clean_xact_lock", "SELECT pg_try_advisory_xact_lock(7364002)" },
	[S_CLEAN_UNLOCK] = { "clean_unlock", "SELECT pg_advisory_unlock(7364002)" },
	[S_MIGRATION_APPLIED] = { "migration_applied",
	    "SELECT 1 FROM schema_migrations WHERE version = $1" },
	[S_MIGRATION_RECORD] = { "migration_record",
	    "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, now())" },
	/* Two setups at once: the second waits here, then sees the first's
	 * user in its own (later) snapshot and inserts nothing. */
	[S_SETUP_LOCK] = { "setup_lock", "SELECT pg_advisory_xact_lock(7364003)" },
	[S_SETUP_FIRST_USER] = { "setup_first_user",
	    "INSERT INTO users AS u (email, password_hash, display_name, created_at, "
	    "password_changed_at) SELECT $1, $2, $3, to_timestamp($4), to_timestamp($4) "
	    "WHERE NOT EXISTS (SELECT 1 FROM users) RETURNING " USER_COLS },
	/* ---- bench seed (see SEED_FROM) ---- */
	/* $1 now, $2..$3 user numbers, $4 the one password hash they share:
	 * the ids made, which the sessions count on being consecutive. */
	[S_SEED_USERS] = { "seed_users",
	    "WITH i AS (INSERT INTO users (email, password_hash, display_name, created_at, "
	    "  password_changed_at) SELECT 'seed-' || k || '@seed.tether.invalid', $4, "
	    "  'Seed user ' || k, t, t FROM generate_series($2::bigint, $3::bigint) k, "
	    "  LATERAL (SELECT to_timestamp($1::float8 - 400 * 86400 + (k % 35) * 86400 "
	    "  + k % 86400) AS t) x RETURNING id) "
	    "SELECT coalesce(min(id), 0), coalesce(max(id), 0), count(*) FROM i" },
	/* $5 the first seeded user's id, $6 how many: session k belongs to
	 * user (k - 1) mod $6, so each user has sessions all year round. */
	[S_SEED_SESSIONS] = { "seed_sessions",
	    "INSERT INTO sessions (id, user_id, created_at, last_active_at, idle_timeout_s, "
	    "  absolute_expires_at, remember_me, device_id, user_agent, ip, ended_at, end_reason) "
	    "SELECT a.sid, $5::bigint + (k - 1) % $6::bigint, to_timestamp(a.c), "
	    "  to_timestamp(CASE WHEN NOT e.ended THEN a.c + ($1::float8 - a.c) * a.y "
	    "  WHEN b.why = 'IDLE_TIMEOUT' THEN d.fin - 1800 ELSE d.fin END), b.idle, "
	    "  to_timestamp(a.c + b.maxage), a.rm, 'seed-' || k % 7919, b.ua, b.ip, "
	    "  CASE WHEN e.ended THEN to_timestamp(d.fin) END, CASE WHEN e.ended THEN b.why END "
	    SEED_FROM },
	/* Generation g issued evenly from sign-in to li; each older one
	 * rotated when the next came; all revoked when the session ended. */
	[S_SEED_TOKENS] = { "seed_tokens",
	    "INSERT INTO refresh_tokens (session_id, token_hash, issued_at, expires_at, "
	    "  rotated_at, revoked_at, access_jti, access_expires_at) "
	    "SELECT a.sid, encode(sha256(convert_to('tether-seed-token-' || k || '-' || g, "
	    "  'UTF8')), 'hex'), to_timestamp(t.at), "
	    "  to_timestamp(LEAST(t.at + CASE WHEN a.rm THEN 1728000 ELSE 604800 END, "
	    "  a.c + b.maxage)), CASE WHEN g < b.gens THEN to_timestamp(t.next) END, "
	    "  CASE WHEN e.ended THEN to_timestamp(d.fin) END, "
	    "  " SEED_JTI("g") ", to_timestamp(t.at + 900) "
	    SEED_FROM ", generate_series(1, b.gens) g, "
	    "LATERAL (SELECT a.c + (e.li - a.c) * (g - 1 + (b.gens = 1)::int) "
	    "  / GREATEST(b.gens - 1, 1) AS at, a.c + (e.li - a.c) * g "
	    "  / GREATEST(b.gens - 1, 1) AS next) t" },
	/* The live access jti of a session someone ended (5 in 12 of them:
	 * the others had no live access token left), as an end writes it. */
	[S_SEED_BLACKLIST] = { "seed_blacklist",
	    "INSERT INTO access_blacklist (jti, session_id, expires_at, created_at) "
	    "SELECT " SEED_JTI("b.gens") ", a.sid, to_timestamp(e.li + 900), "
	    "  to_timestamp(d.fin) "
	    SEED_FROM "WHERE e.ended AND a.x < 0.482 AND k % 12 < 5" },
	/* login_ok at sign-in, session_ended at the end. */
	[S_SEED_AUTH_EVENTS] = { "seed_auth_events",
	    "INSERT INTO auth_events (created_at, kind, user_id, session_id, reason, ip, user_agent) "
	    "SELECT to_timestamp(CASE WHEN v = 1 THEN a.c ELSE d.fin END), "
	    "  CASE WHEN v = 1 THEN 'login_ok' ELSE 'session_ended' END, "
	    "  $5::bigint + (k - 1) % $6::bigint, a.sid, CASE WHEN v = 2 THEN b.why END, b.ip, b.ua "
	    SEED_FROM ", generate_series(1, 1 + e.ended::int) v" },
	/* A client's report for one ended session in twenty. */
	[S_SEED_LOGOUT_EVENTS] = { "seed_logout_events",
	    "INSERT INTO logout_events (created_at, user_id, session_id, type, message, "
	    "  idle_minutes, location, context, ip, user_agent) "
	    "SELECT to_timestamp(d.fin), $5::bigint + (k - 1) % $6::bigint, a.sid, "
	    "  CASE b.why WHEN 'USER_LOGOUT' THEN 'USER_ACTION' WHEN 'IDLE_TIMEOUT' THEN "
	    "  'IDLE_TIMEOUT' WHEN 'EXPIRED' THEN 'TOKEN_EXPIRED' ELSE 'SESSION_ENDED' END, "
	    "  '', CASE WHEN b.why = 'IDLE_TIMEOUT' THEN 30 END, '/app/dashboard', "
	    "  '{\"tab\": \"main\", \"visible\": true}'::jsonb, b.ip, b.ua "
	    SEED_FROM "WHERE e.ended AND k % 20 = 0" },
	/* Not prepared (utility statements): run by db_exec. The planner
	 * guesses millions of rows for these statements and JIT-compiles
	 * them, which costs more than the batch itself: off, for this
	 * connection only. */
	[S_SEED_SETUP] = { "seed_setup", "SET jit = off" },
	[S_SEED_ANALYZE] = { "seed_analyze",
	    "ANALYZE users, sessions, refresh_tokens, access_blacklist, auth_events, "
	    "logout_events" },
};

/* ---- benchmarks ---- */

const char *
store_statement_sql(const char *name)
{
	int i;

	for (i = 0; i < STMT__MAX; i++)
		if (strcmp(db_stmts[i].name, name) == 0)
			return db_stmts[i].sql;
	return NULL;
}
