/*
 * test_store: the store against a real PostgreSQL, including refreshes
 * of one token by several processes at the same instant.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "itest.h"
#include "metrics.h"
#include "store.h"
#include "store_db.h"
#include "testutil.h"
#include "util.h"

#define NCHILD 8

static int counter;

/* A distinct token issue (hash and jti) for each call. */
static void
issue(struct token_issue *t, time_t now)
{
	memset(t, 0, sizeof(*t));
	counter++;
	snprintf(t->refresh_hash, sizeof(t->refresh_hash), "%064d", counter);
	snprintf(t->access_jti, sizeof(t->access_jti), "jti-%d-%d", (int)getpid(), counter);
	t->refresh_expires_at = now + 7 * 86400;
	t->access_expires_at = now + 900;
}

static int64_t
user(const char *email)
{
	struct user u;

	CU_ASSERT_EQUAL_FATAL(store_user_create(email, "$scrypt$x", "N", T0, &u), STORE_OK);
	return u.id;
}

/* Creates a session of uid at T0; its first token hash in *t. */
static void
session(int64_t uid, struct session *s, struct token_issue *t, bool remember)
{
	memset(s, 0, sizeof(*s));
	s->user_id = uid;
	s->created_at = s->last_active_at = T0;
	s->remember_me = remember;
	s->idle_timeout_s = session_idle_timeout(&itest_cfg, remember);
	s->absolute_expires_at = session_absolute_expiry(&itest_cfg, T0, remember);
	issue(t, T0);
	CU_ASSERT_EQUAL_FATAL(store_session_create(s, t), STORE_OK);
}

/* One whole cleanup run at now in batches of batch rows, without a budget. */
static enum store_err
clean(time_t now, int batch, struct cleanup_counts *c, bool *ran)
{
	const struct cleanup_pace pace = { batch, 0, 0 };
	bool more = true;
	enum store_err err = store_cleanup(&itest_cfg, now, &pace, NULL, c, ran, &more);

	CU_ASSERT_FALSE(more);
	return err;
}

static void
test_migrating_again_applies_nothing(void)
{
	FILE *fp = tmpfile();
	char line[256];
	int applied = 0;

	CU_ASSERT_EQUAL(store_migrate(itest_cfg.sql_dir, fp), STORE_OK);
	rewind(fp);
	while (fgets(line, sizeof(line), fp) != NULL)
		applied += strstr(line, "applied") != NULL;
	CU_ASSERT_EQUAL(applied, 0);
	fclose(fp);
}

static void
test_users_are_unique_by_email_whatever_the_case(void)
{
	struct user u;
	struct credential cr;
	int64_t id;

	itest_wipe();
	id = user("Carol@Example.com");
	CU_ASSERT_EQUAL(store_user_create("carol@example.COM", "h", "", T0, &u), STORE_CONFLICT);
	CU_ASSERT_EQUAL(store_user_by_email("CAROL@example.com", &u), STORE_OK);
	CU_ASSERT_EQUAL(u.id, id);
	TU_ASSERT_STR_EQ(u.email, "Carol@Example.com");
	CU_ASSERT_EQUAL(store_user_by_id(id + 100, &u), STORE_NOTFOUND);
	CU_ASSERT_EQUAL(store_user_rehash(id, "$scrypt$new"), STORE_OK);
	CU_ASSERT_EQUAL(store_credential_by_id(id, &u, &cr), STORE_OK);
	TU_ASSERT_STR_EQ(cr.password_hash, "$scrypt$new");
}

static void
test_a_session_is_created_with_its_first_refresh_token(void)
{
	struct session s, got;
	struct token_issue t;
	struct user u;
	bool revoked = true;

	itest_wipe();
	session(user("a@example.com"), &s, &t, false);
	CU_ASSERT_EQUAL(strlen(s.id), SESSION_ID_LEN);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM refresh_tokens WHERE token_hash = $1 "
	    "AND session_id = $2::uuid", t.refresh_hash, s.id, NULL), 1);
	CU_ASSERT_EQUAL(store_auth_lookup(s.id, t.access_jti, &got, &u, &revoked), STORE_OK);
	CU_ASSERT_FALSE(revoked);
	CU_ASSERT_EQUAL(got.idle_timeout_s, 1800);
	CU_ASSERT_EQUAL(got.last_active_at, T0);
	TU_ASSERT_STR_EQ(u.email, "a@example.com");
	CU_ASSERT_EQUAL(store_auth_lookup("not-a-uuid", "j", &got, &u, &revoked), STORE_NOTFOUND);
	CU_ASSERT_EQUAL(store_auth_lookup("00000000-0000-4000-8000-000000000000", "j", &got, &u,
	    &revoked), STORE_NOTFOUND);
}

static void
test_touch_moves_last_activity_forward_only(void)
{
	struct session s, got;
	struct token_issue t;
	struct user u;
	bool r;

	itest_wipe();
	session(user("a@example.com"), &s, &t, false);
	CU_ASSERT_EQUAL(store_session_touch(s.id, T0 + 100), STORE_OK);
	CU_ASSERT_EQUAL(store_session_touch(s.id, T0 + 50), STORE_OK);
	store_auth_lookup(s.id, "x", &got, &u, &r);
	CU_ASSERT_EQUAL(got.last_active_at, T0 + 100);
}

static void
test_a_session_ends_exactly_once_and_blacklists_its_live_tokens(void)
{
	struct session s, got;
	struct token_issue t, old;
	struct user u;
	bool now_ended = false, r = false;
	int64_t uid;

	itest_wipe();
	uid = user("a@example.com");
	session(uid, &s, &t, false);
	/* A second, already expired access token of the same session. */
	issue(&old, T0 - 2000);
	free(itest_sql("INSERT INTO refresh_tokens (session_id, token_hash, issued_at, expires_at, "
	    "access_jti, access_expires_at) VALUES ($1::uuid, $2, to_timestamp(1), "
	    "to_timestamp(2), $3, to_timestamp($4))", s.id, old.refresh_hash, old.access_jti,
	    "1799999000", NULL));
	CU_ASSERT_EQUAL(store_session_end(s.id, uid + 1, END_REVOKED_BY_USER, T0 + 5, T0 + 5,
	    &now_ended), STORE_NOTFOUND);
	CU_ASSERT_EQUAL(store_session_end(s.id, uid, END_USER_LOGOUT, T0 + 5, T0 + 5, &now_ended),
	    STORE_OK);
	CU_ASSERT_TRUE(now_ended);
	CU_ASSERT_EQUAL(store_session_end(s.id, 0, END_LOGOUT_ALL, T0 + 9, T0 + 9, &now_ended),
	    STORE_OK);
	CU_ASSERT_FALSE(now_ended);
	store_auth_lookup(s.id, t.access_jti, &got, &u, &r);
	CU_ASSERT_EQUAL(got.end_reason, END_USER_LOGOUT);
	CU_ASSERT_EQUAL(got.ended_at, T0 + 5);
	CU_ASSERT_TRUE(r);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM refresh_tokens WHERE revoked_at IS NULL",
	    NULL), 0);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM access_blacklist", NULL), 1);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM auth_events WHERE kind = "
	    "'session_ended' AND reason = 'USER_LOGOUT'", NULL), 1);
	CU_ASSERT_EQUAL(store_session_end("bad", 0, END_USER_LOGOUT, T0, T0, NULL), STORE_NOTFOUND);
}

/* SQLSTATE class 22 is the request's fault: a 400, not a 503 that counts
 * as an outage (audit L6). The connection stays usable. */
static void
test_data_the_database_refuses_is_invalid_not_unavailable(void)
{
	itest_wipe();
	CU_ASSERT_EQUAL(store_auth_event("login_failed", 0, NULL, NULL, "127.0.0.1",
	    "Mozilla \xff", T0), STORE_INVALID);
	CU_ASSERT_EQUAL(store_auth_event("login_failed", 0, NULL, NULL, "127.0.0.1",
	    "Mozilla", T0), STORE_OK);
	CU_ASSERT_EQUAL(store_ping(), STORE_OK);
}

static void
test_ending_all_sessions_can_spare_one(void)
{
	struct session a, b, c, *list;
	struct token_issue t;
	int64_t uid;
	int n = 0;
	size_t count;
	time_t exp;

	itest_wipe();
	uid = user("a@example.com");
	session(uid, &a, &t, false);
	session(uid, &b, &t, false);
	session(uid, &c, &t, true);
	CU_ASSERT_EQUAL(store_sessions_list(uid, &list, &count), STORE_OK);
	CU_ASSERT_EQUAL(count, 3);
	free(list);
	CU_ASSERT_EQUAL(store_session_refresh_expiry(a.id, &exp), STORE_OK);
	CU_ASSERT_EQUAL(exp, T0 + 12 * 3600);
	CU_ASSERT_EQUAL(store_sessions_end_all(uid, a.id, END_LOGOUT_ALL, T0 + 1, &n), STORE_OK);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(store_sessions_list(uid, &list, &count), STORE_OK);
	CU_ASSERT_EQUAL_FATAL(count, 1);
	TU_ASSERT_STR_EQ(list[0].id, a.id);
	free(list);
	CU_ASSERT_EQUAL(store_sessions_ended(uid, 10, &list, &count), STORE_OK);
	CU_ASSERT_EQUAL(count, 2);
	free(list);
	CU_ASSERT_EQUAL(store_user_set_password(uid, "$scrypt$p2", NULL, T0 + 2, &n), STORE_OK);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM sessions WHERE end_reason = "
	    "'PASSWORD_CHANGED'", NULL), 1);
}

static void
test_refresh_rotates_and_records_the_family(void)
{
	struct session s;
	struct token_issue t, next;
	struct refresh_result r;
	char *parent;

	itest_wipe();
	session(user("a@example.com"), &s, &t, false);
	issue(&next, T0 + 60);
	CU_ASSERT_EQUAL(store_refresh(&itest_cfg, t.refresh_hash, &next, T0 + 60, false, &r),
	    STORE_OK);
	CU_ASSERT_EQUAL(r.reason, REASON_NONE);
	CU_ASSERT_EQUAL(r.verdict, REFRESH_ROTATE);
	CU_ASSERT_EQUAL(r.session.last_active_at, T0);
	parent = itest_sql("SELECT parent_id FROM refresh_tokens WHERE token_hash = $1",
	    next.refresh_hash, NULL);
	CU_ASSERT_EQUAL(atoll(parent), itest_sql_int("SELECT id FROM refresh_tokens WHERE "
	    "token_hash = $1", t.refresh_hash, NULL));
	free(parent);
	t = next;
	issue(&next, T0 + 120);
	CU_ASSERT_EQUAL(store_refresh(&itest_cfg, t.refresh_hash, &next, T0 + 120, true, &r),
	    STORE_OK);
	CU_ASSERT_EQUAL(r.session.last_active_at, T0 + 120);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT extract(epoch from last_active_at)::bigint FROM "
	    "sessions", NULL), T0 + 120);
	issue(&next, T0);
	CU_ASSERT_EQUAL(store_refresh(&itest_cfg, "f00d", &next, T0, true, &r), STORE_OK);
	CU_ASSERT_EQUAL(r.reason, REASON_REFRESH_INVALID);
}

/* BEGIN goes with the lock, COMMIT with the write (libpq's pipeline
 * mode): two round trips for a rotation, a grace replay or an unknown
 * token, once the statements are prepared on the connection. */
static void
test_a_refresh_takes_two_round_trips(void)
{
	struct session s;
	struct token_issue t, next, again;
	struct refresh_result r;
	uint64_t n;

	itest_wipe();
	session(user("a@example.com"), &s, &t, false);
	issue(&next, T0 + 60);
	CU_ASSERT_EQUAL(store_refresh(&itest_cfg, "f00d", &next, T0 + 60, true, &r), STORE_OK);
	n = store_round_trips();
	CU_ASSERT_EQUAL(store_refresh(&itest_cfg, "f00e", &next, T0 + 60, true, &r), STORE_OK);
	CU_ASSERT_EQUAL(r.reason, REASON_REFRESH_INVALID);
	CU_ASSERT_EQUAL(store_round_trips() - n, 2);
	/* The first rotation on the connection prepares its write. */
	CU_ASSERT_EQUAL(store_refresh(&itest_cfg, t.refresh_hash, &next, T0 + 60, true, &r),
	    STORE_OK);
	CU_ASSERT_EQUAL(r.verdict, REFRESH_ROTATE);
	t = next;
	issue(&next, T0 + 120);
	n = store_round_trips();
	CU_ASSERT_EQUAL(store_refresh(&itest_cfg, t.refresh_hash, &next, T0 + 120, true, &r),
	    STORE_OK);
	CU_ASSERT_EQUAL(r.verdict, REFRESH_ROTATE);
	CU_ASSERT_EQUAL(store_round_trips() - n, 2);
	CU_ASSERT_FALSE(db_in_tx());
	/* Committed: the new token is there for another connection to see. */
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM refresh_tokens WHERE token_hash = $1 "
	    "AND rotated_at IS NULL", next.refresh_hash, NULL), 1);
	/* A replay within the grace: the same successor, in two again (the
	 * first grace on the connection prepares its statement). */
	again = next;
	CU_ASSERT_EQUAL(store_refresh(&itest_cfg, t.refresh_hash, &again, T0 + 121, true, &r),
	    STORE_OK);
	CU_ASSERT_EQUAL(r.verdict, REFRESH_GRACE);
	n = store_round_trips();
	CU_ASSERT_EQUAL(store_refresh(&itest_cfg, t.refresh_hash, &again, T0 + 122, true, &r),
	    STORE_OK);
	CU_ASSERT_EQUAL(r.verdict, REFRESH_GRACE);
	CU_ASSERT_EQUAL(store_round_trips() - n, 2);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM refresh_tokens", NULL), 3);
}

/* Within the grace only the successor already issued is handed out: a
 * different one (a signing key changed in between) is refused, never a
 * second chain (audit L7). */
static void
test_a_grace_replay_issues_no_second_successor(void)
{
	struct session s;
	struct token_issue t, next, other;
	struct refresh_result r;
	time_t rexp;

	itest_wipe();
	session(user("a@example.com"), &s, &t, false);
	issue(&next, T0 + 60);
	CU_ASSERT_EQUAL(store_refresh(&itest_cfg, t.refresh_hash, &next, T0 + 60, true, &r),
	    STORE_OK);
	CU_ASSERT_EQUAL(r.verdict, REFRESH_ROTATE);
	rexp = r.refresh_expires_at;
	issue(&other, T0 + 62);
	CU_ASSERT_EQUAL(store_refresh(&itest_cfg, t.refresh_hash, &other, T0 + 62, true, &r),
	    STORE_OK);
	CU_ASSERT_EQUAL(r.reason, REASON_REFRESH_INVALID);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM refresh_tokens", NULL), 2);
	/* The same successor again: handed out, its access expiry moved up. */
	next.access_expires_at = T0 + 63 + 900;
	CU_ASSERT_EQUAL(store_refresh(&itest_cfg, t.refresh_hash, &next, T0 + 63, true, &r),
	    STORE_OK);
	CU_ASSERT_EQUAL(r.reason, REASON_NONE);
	CU_ASSERT_EQUAL(r.verdict, REFRESH_GRACE);
	CU_ASSERT_EQUAL(r.refresh_expires_at, rexp);
	CU_ASSERT_EQUAL(r.session.last_active_at, T0 + 63);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM refresh_tokens", NULL), 2);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT extract(epoch from access_expires_at)::bigint "
	    "FROM refresh_tokens WHERE token_hash = $1", next.refresh_hash, NULL), T0 + 963);
}

static void
test_refresh_of_a_disabled_user_ends_the_session(void)
{
	struct session s;
	struct token_issue t, next;
	struct refresh_result r;

	itest_wipe();
	session(user("a@example.com"), &s, &t, false);
	free(itest_sql("UPDATE users SET disabled = true", NULL));
	issue(&next, T0 + 1);
	CU_ASSERT_EQUAL(store_refresh(&itest_cfg, t.refresh_hash, &next, T0 + 1, true, &r), STORE_OK);
	CU_ASSERT_EQUAL(r.reason, REASON_SESSION_ENDED);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM sessions WHERE end_reason = "
	    "'USER_DISABLED'", NULL), 1);
}

static void
test_logout_reports_round_trip(void)
{
	struct logout_event ev, *list;
	size_t n;
	int64_t uid;

	itest_wipe();
	uid = user("a@example.com");
	memset(&ev, 0, sizeof(ev));
	ev.created_at = T0;
	ev.user_id = uid;
	ev.type = "IDLE_TIMEOUT";
	ev.message = "idle";
	ev.idle_minutes = 31.5;
	ev.location = "/app.html";
	ev.context = "{\"a\": 1}";
	ev.ip = "127.0.0.1";
	ev.user_agent = "ua";
	CU_ASSERT_EQUAL(store_logout_event_add(&ev), STORE_OK);
	ev.user_id = 0;
	CU_ASSERT_EQUAL(store_logout_event_add(&ev), STORE_OK);
	CU_ASSERT_EQUAL(store_logout_events_list(uid, 10, &list, &n), STORE_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	TU_ASSERT_STR_EQ(list[0].type, "IDLE_TIMEOUT");
	TU_ASSERT_STR_EQ(list[0].context, "{\"a\": 1}");
	CU_ASSERT_DOUBLE_EQUAL(list[0].idle_minutes, 31.5, 0.001);
	CU_ASSERT_EQUAL(list[0].created_at, T0);
	store_logout_events_free(list, n);
	CU_ASSERT_EQUAL(store_auth_event("login_failed", 0, NULL, "INVALID_CREDENTIALS", "1.2.3.4",
	    "ua", T0), STORE_OK);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM auth_events WHERE kind = 'login_failed'",
	    NULL), 1);
}

/* ---- administration and cleanup ---- */

static void
test_disabling_a_user_ends_its_sessions_and_is_audited(void)
{
	struct session a, b;
	struct token_issue t;
	struct user_row *rows;
	size_t n;
	int64_t uid;
	int ended = 0;

	itest_wipe();
	uid = user("a@example.com");
	session(uid, &a, &t, false);
	session(uid, &b, &t, true);
	CU_ASSERT_EQUAL(store_users_list(&rows, &n), STORE_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(rows[0].live_sessions, 2);
	free(rows);
	CU_ASSERT_EQUAL(store_user_set_disabled(uid, true, T0 + 1, &ended), STORE_OK);
	CU_ASSERT_EQUAL(ended, 2);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM sessions WHERE end_reason = "
	    "'USER_DISABLED'", NULL), 2);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM auth_events WHERE kind = "
	    "'user_disabled'", NULL), 1);
	CU_ASSERT_EQUAL(store_user_set_disabled(uid, false, T0 + 2, &ended), STORE_OK);
	CU_ASSERT_EQUAL(ended, 0);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM users WHERE disabled", NULL), 0);
	CU_ASSERT_EQUAL(store_user_set_disabled(uid + 9, true, T0, NULL), STORE_NOTFOUND);
}

static void
test_throttle_counts_attempts_per_key_within_the_window(void)
{
	struct throttle_key k[2];
	bool ok = false;

	itest_wipe();
	k[0] = (struct throttle_key){ .key = "email:x@y", .max = 2 };
	k[1] = (struct throttle_key){ .key = "addr:1", .max = 5 };
	CU_ASSERT_EQUAL(store_throttle_take(k, 2, T0 - 900, T0, &ok), STORE_OK);
	CU_ASSERT(ok);
	CU_ASSERT_EQUAL(k[0].count, 0);
	k[1].key = "addr:2";
	CU_ASSERT_EQUAL(store_throttle_take(k, 2, T0 - 890, T0 + 10, &ok), STORE_OK);
	CU_ASSERT(ok);
	CU_ASSERT_EQUAL(k[0].count, 1);
	CU_ASSERT_EQUAL(k[0].oldest, T0);
	/* Over one key's limit: refused, and nothing recorded for either. */
	k[1].key = "addr:3";
	CU_ASSERT_EQUAL(store_throttle_take(k, 2, T0 - 880, T0 + 20, &ok), STORE_OK);
	CU_ASSERT(!ok);
	CU_ASSERT_EQUAL(k[0].count, 2);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM login_attempts WHERE key = "
	    "'addr:3'", NULL), 0);
	/* The window moves on past the oldest. */
	CU_ASSERT_EQUAL(store_throttle_take(k, 2, T0, T0 + 900, &ok), STORE_OK);
	CU_ASSERT(ok);
	CU_ASSERT_EQUAL(k[0].count, 1);
	CU_ASSERT_EQUAL(store_throttle_undo("email:x@y"), STORE_OK);
	CU_ASSERT_EQUAL(store_login_clear("email:x@y"), STORE_OK);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM login_attempts WHERE key = "
	    "'email:x@y'", NULL), 0);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM login_attempts", NULL), 3);
}

/* Seeds rows on both sides of every cleanup boundary at now = T0. */
static void
seed_boundaries(int64_t uid)
{
	static const char *const sql[] = {
		"INSERT INTO access_blacklist VALUES ('gone', NULL, to_timestamp(1799999999), "
		"to_timestamp(1)), ('kept', NULL, to_timestamp(1800000001), to_timestamp(1))",
		"INSERT INTO logout_events (created_at, type) VALUES "
		"(to_timestamp(1800000000) - interval '90 days 1 second', 'UNKNOWN'), "
		"(to_timestamp(1800000000) - interval '89 days', 'UNKNOWN')",
		"INSERT INTO auth_events (created_at, kind) VALUES "
		"(to_timestamp(1800000000) - interval '90 days 1 second', 'x'), "
		"(to_timestamp(1800000000) - interval '89 days', 'x')",
		"INSERT INTO login_attempts (key, attempted_at) VALUES "
		"('k', to_timestamp(1800000000) - interval '15 minutes 1 second'), "
		"('k', to_timestamp(1800000000) - interval '14 minutes')",
	};
	size_t i;

	(void)uid;
	for (i = 0; i < sizeof(sql) / sizeof(sql[0]); i++)
		free(itest_sql(sql[i], NULL));
}

static void
test_cleanup_deletes_exactly_what_has_expired(void)
{
	struct session old, recent, over, live;
	struct token_issue t;
	struct cleanup_counts c;
	bool ran = false;
	int64_t uid;

	itest_wipe();
	uid = user("a@example.com");
	seed_boundaries(uid);
	session(uid, &old, &t, false);
	session(uid, &recent, &t, false);
	session(uid, &over, &t, false);
	session(uid, &live, &t, true);
	/* Ended 30 days + 1 s ago, and 29 days ago; one past its end, live. */
	free(itest_sql("UPDATE sessions SET ended_at = to_timestamp(1800000000) - interval "
	    "'30 days 1 second', end_reason = 'USER_LOGOUT' WHERE id = $1::uuid", old.id, NULL));
	free(itest_sql("UPDATE sessions SET ended_at = to_timestamp(1800000000) - interval "
	    "'29 days', end_reason = 'USER_LOGOUT' WHERE id = $1::uuid", recent.id, NULL));
	free(itest_sql("UPDATE sessions SET absolute_expires_at = to_timestamp(1799999000), "
	    "last_active_at = to_timestamp(1799990000) WHERE id = $1::uuid", over.id, NULL));
	/* Every refresh token but the live session's has expired. */
	free(itest_sql("UPDATE refresh_tokens SET expires_at = to_timestamp(1799999999) "
	    "WHERE session_id <> $1::uuid", live.id, NULL));
	CU_ASSERT_EQUAL(clean(T0, 2, &c, &ran), STORE_OK);
	CU_ASSERT_TRUE(ran);
	CU_ASSERT_EQUAL(c.sessions_expired, 1);
	CU_ASSERT_EQUAL(c.blacklist, 1);
	CU_ASSERT_EQUAL(c.refresh_tokens, 3);
	CU_ASSERT_EQUAL(c.sessions, 1);
	CU_ASSERT_EQUAL(c.logout_events, 1);
	CU_ASSERT_EQUAL(c.auth_events, 1);
	CU_ASSERT_EQUAL(c.login_attempts, 1);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM access_blacklist WHERE jti = 'kept'",
	    NULL), 1);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM sessions", NULL), 3);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM sessions WHERE ended_at IS NULL",
	    NULL), 1);
	/* The idle limit came first (30 min after its last activity). */
	CU_ASSERT_EQUAL(itest_sql_int("SELECT extract(epoch from ended_at)::bigint FROM sessions "
	    "WHERE id = $1::uuid AND end_reason = 'IDLE_TIMEOUT'", over.id, NULL),
	    1799990000 + 1800);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM refresh_tokens", NULL), 1);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM logout_events", NULL), 1);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM login_attempts", NULL), 1);
	/* Nothing left to do the second time. */
	CU_ASSERT_EQUAL(clean(T0, 2, &c, &ran), STORE_OK);
	CU_ASSERT_EQUAL(c.sessions + c.blacklist + c.refresh_tokens + c.sessions_expired +
	    c.logout_events + c.auth_events + c.login_attempts, 0);
}

/* sql/006's tether_lifetime_bucket and metrics_lifetime_le are one set of
 * bounds: the database's buckets are the host's. */
static void
test_the_database_buckets_lifetimes_as_the_host_does(void)
{
	char sql[160];
	int i;

	for (i = 0; i < METRICS_LIFETIME_BUCKETS; i++) {
		snprintf(sql, sizeof(sql), "SELECT tether_lifetime_bucket(%.1f)",
		    metrics_lifetime_le[i]);
		CU_ASSERT_EQUAL(itest_sql_int(sql, NULL), i);
		CU_ASSERT_EQUAL(metrics_lifetime_bucket(metrics_lifetime_le[i]), i);
		snprintf(sql, sizeof(sql), "SELECT tether_lifetime_bucket(%.1f)",
		    metrics_lifetime_le[i] + 0.5);
		CU_ASSERT_EQUAL(itest_sql_int(sql, NULL), i + 1);
		CU_ASSERT_EQUAL(metrics_lifetime_bucket(metrics_lifetime_le[i] + 0.5), i + 1);
	}
}

/* An empty database but for one user and 200 sessions written already
 * ended, 31 days before T0 and earlier, over 200 hours: past retention,
 * with an end count each. */
static void
backlog_of_ended_sessions(void)
{
	itest_wipe();
	(void)user("backlog@example.com");
	free(itest_sql("INSERT INTO sessions (user_id, created_at, last_active_at, "
	    "idle_timeout_s, absolute_expires_at, remember_me, ended_at, end_reason) "
	    "SELECT u.id, e - interval '10 minutes', e - interval '10 minutes', 1800, "
	    "e + interval '12 hours', false, e, 'USER_LOGOUT' FROM users u, "
	    "(SELECT to_timestamp(1800000000) - interval '31 days' - k * interval '1 hour' "
	    "  AS e FROM generate_series(1, 200) AS k) AS g", NULL));
}

static void
test_a_backlog_goes_in_slices_within_the_budget(void)
{
	struct cleanup_counts c, all = { 0 };
	/* A batch of one row, a budget of 1 ms and a pause as long as each
	 * batch: 200 sessions and their end counts take hundreds of round
	 * trips, so several slices, each leaving the rest for the next. */
	const struct cleanup_pace slice = { 1, 1, 100 };
	struct cleanup_marks marks = { 0 }, none = { 0 };
	bool ran = false, more = true;
	int64_t counts;
	int slices = 0;

	backlog_of_ended_sessions();
	counts = itest_sql_int("SELECT count(*) FROM session_end_counts", NULL);
	CU_ASSERT_EQUAL(counts, 200);
	while (more && slices < 100000) {
		CU_ASSERT_EQUAL_FATAL(
		    store_cleanup(&itest_cfg, T0, &slice, &marks, &c, &ran, &more), STORE_OK);
		CU_ASSERT_TRUE_FATAL(ran);
		if (more) {
			CU_ASSERT(cleanup_rows(&c) > 0); /* every slice gets somewhere */
			/* The next slice goes on where this one stopped. */
			if (all.sessions + c.sessions > 0)
				CU_ASSERT(marks.at[4][0] != '\0');
		}
		cleanup_add(&all, &c);
		slices++;
	}
	CU_ASSERT_FALSE(more);
	CU_ASSERT(slices >= 2);
	/* The run is done: the next starts from the beginning. */
	CU_ASSERT_EQUAL(memcmp(&marks, &none, sizeof(marks)), 0);
	CU_ASSERT_EQUAL(all.sessions, 200);
	CU_ASSERT_EQUAL(all.end_counts, counts);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM sessions", NULL), 0);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM session_end_counts", NULL), 0);
	/* No lock left behind between slices. */
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'",
	    NULL), 0);
}

/*
 * A run's slices go on from their marks, so a row that becomes due behind
 * a mark (a session ending with a time before it) waits for the next run,
 * which starts from the beginning again.
 */
static void
test_a_row_behind_a_mark_goes_in_the_next_run(void)
{
	struct cleanup_counts c;
	const struct cleanup_pace slice = { 1, 1, 0 };
	struct cleanup_marks marks = { 0 };
	bool ran = false, more = true;
	int slices = 0;

	backlog_of_ended_sessions();
	/* Slices until the sessions step has a mark, with sessions left. */
	while (more && marks.at[4][0] == '\0' && slices++ < 100000)
		CU_ASSERT_EQUAL_FATAL(
		    store_cleanup(&itest_cfg, T0, &slice, &marks, &c, &ran, &more), STORE_OK);
	CU_ASSERT_TRUE_FATAL(more);
	CU_ASSERT_EQUAL_FATAL(itest_sql_int("SELECT count(*) FROM sessions WHERE ended_at < $1",
	    marks.at[4], NULL), 0);
	free(itest_sql("INSERT INTO sessions (user_id, created_at, last_active_at, idle_timeout_s, "
	    "absolute_expires_at, remember_me, ended_at, end_reason) SELECT id, "
	    "to_timestamp(1800000000) - interval '61 days', to_timestamp(1800000000) - interval "
	    "'61 days', 1800, to_timestamp(1800000000) - interval '60 days', false, "
	    "to_timestamp(1800000000) - interval '60 days', 'USER_LOGOUT' FROM users", NULL));
	while (more && slices++ < 100000)
		CU_ASSERT_EQUAL_FATAL(
		    store_cleanup(&itest_cfg, T0, &slice, &marks, &c, &ran, &more), STORE_OK);
	CU_ASSERT_FALSE(more);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM sessions", NULL), 1);
	CU_ASSERT_EQUAL(marks.at[4][0], '\0');
	CU_ASSERT_EQUAL(clean(T0, 1000, &c, &ran), STORE_OK);
	CU_ASSERT_EQUAL(c.sessions, 1);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM sessions", NULL), 0);
}

/* The tables the cleanup deletes from are vacuumed early (sql/005: at 2 %
 * dead rows) and gently (sql/007: a 20 ms cost delay), so that a year's
 * first cleanup does not start one full-speed vacuum after another. */
static void
test_the_cleaned_tables_vacuum_early_and_gently(void)
{
	static const char *const t[] = { "refresh_tokens", "sessions", "access_blacklist",
		"auth_events", "logout_events" };
	size_t i;
	char *o;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		o = itest_sql("SELECT array_to_string(reloptions, ',') FROM pg_class "
		              "WHERE oid = $1::regclass", t[i], NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(o);
		CU_ASSERT_PTR_NOT_NULL(strstr(o, "autovacuum_vacuum_scale_factor=0.02"));
		CU_ASSERT_PTR_NOT_NULL(strstr(o, "autovacuum_vacuum_cost_delay=20"));
		CU_ASSERT_PTR_NOT_NULL(strstr(o, "autovacuum_vacuum_cost_limit=60"));
		free(o);
	}
}

/* The store's own connection runs without JIT, with no limits configured
 * too (a generic plan's cost estimate would have PostgreSQL compile for
 * hundreds of ms). */
static void
test_the_connection_runs_without_jit(void)
{
	CU_ASSERT_EQUAL_FATAL(store_ping(), STORE_OK);
	CU_ASSERT_TRUE(db_exec("DO $$ BEGIN IF current_setting('jit') <> 'off' THEN "
	                       "RAISE EXCEPTION 'jit is %', current_setting('jit'); END IF; END $$",
	    stderr, "jit"));
}

/* A worker's cleanup (cleanup_maybe) takes a backlog a slice at a time:
 * the next slice is due a second later, until the backlog is gone; then
 * the next run is a whole interval away. */
static void
test_a_worker_takes_a_backlog_a_slice_a_second(void)
{
	struct config cfg = itest_cfg;
	const struct cleanup_pace slow = { 1, 1, 0 }, normal = { CLEANUP_BATCH, CLEANUP_SLICE_MS, 0 };
	time_t now = T0, next = 0;
	int turns = 0;

	backlog_of_ended_sessions();
	cfg.cleanup_interval = 300;
	cleanup_set_pace(&slow);
	/* The first call only picks when: within the interval. */
	cleanup_maybe(&cfg, now, &next);
	CU_ASSERT(next >= now && next < now + 300);
	now = next;
	do {
		cleanup_maybe(&cfg, now, &next);
		turns++;
		if (next == now + 1)
			now = next; /* a backlog: the rest at the next second */
	} while (next == now && turns < 100000);
	cleanup_set_pace(&normal);
	CU_ASSERT(turns >= 2);
	CU_ASSERT_EQUAL(next, now + 300);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM sessions", NULL), 0);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM session_end_counts", NULL), 0);
}

static void
test_a_second_cleaner_does_not_run_while_one_holds_the_lock(void)
{
	struct cleanup_counts c;
	bool ran = true;

	itest_wipe();
	free(itest_sql("SELECT pg_advisory_lock(7364002)", NULL));
	CU_ASSERT_EQUAL(clean(T0, 10, &c, &ran), STORE_OK);
	CU_ASSERT_FALSE(ran);
	free(itest_sql("SELECT pg_advisory_unlock(7364002)", NULL));
	CU_ASSERT_EQUAL(clean(T0, 10, &c, &ran), STORE_OK);
	CU_ASSERT_TRUE(ran);
}

/* Whether a line of plan (lines joined by " | ") that is an Index Cond
 * holds bound. */
static bool
bound_in_index_cond(const char *plan, const char *bound)
{
	const char *at = plan, *line;

	while ((at = strstr(at, bound)) != NULL) {
		line = at;
		while (line > plan && line[-1] != '|') /* back to its line's start */
			line--;
		line += strspn(line, " ");
		if (strncmp(line, "Index Cond: ", 12) == 0)
			return true;
		at += strlen(bound);
	}
	return false;
}

/*
 * Every cleanup statement, as the store runs it (its generic plan, the one
 * a prepared statement ends up with), is answered from indexes, and its
 * batches start at their mark: the mark bounds the index scan (an Index
 * Cond), it is not a filter over the entries before it.
 */
static void
test_every_cleanup_statement_uses_an_index_from_its_mark(void)
{
	static const struct {
		enum stmt id;
		const char *args, *bound;
	} q[] = {
		{ S_CLEAN_EXPIRE_SESSIONS, "1800000000, 1000, '-infinity'",
		    "(absolute_expires_at >= $3)" },
		{ S_CLEAN_BLACKLIST, "1800000000, 1000, '-infinity'",
		    "(expires_at >= $3)" },
		{ S_CLEAN_REFRESH, "1800000000, 1000, '-infinity', '-infinity'",
		    "(revoked_at >= $4)" },
		{ S_CLEAN_REFRESH, "1800000000, 1000, '-infinity', '-infinity'",
		    "(expires_at >= $3)" },
		{ S_CLEAN_SESSIONS, "1800000000, 1000, 2592000, '-infinity'",
		    "(ended_at >= $4)" },
		{ S_CLEAN_END_COUNTS, "1800000000, 1000, 2592000, '-infinity'",
		    "(hour >= $4)" },
		{ S_CLEAN_LOGOUT_EVENTS, "1800000000, 1000, 2592000, '-infinity'",
		    "(created_at >= $4)" },
		{ S_CLEAN_AUTH_EVENTS, "1800000000, 1000, 2592000, '-infinity'",
		    "(created_at >= $4)" },
		{ S_CLEAN_ATTEMPTS, "1800000000, 1000, 900, '-infinity'",
		    "(attempted_at >= $4)" },
	};
	size_t i;
	char *plan, *sql;

	free(itest_sql("SET enable_seqscan = off", NULL));
	free(itest_sql("SET plan_cache_mode = force_generic_plan", NULL));
	for (i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		sql = xasprintf("PREPARE t_clean AS %s", db_stmts[q[i].id].sql);
		free(itest_sql(sql, NULL));
		free(sql);
		sql = xasprintf("EXPLAIN EXECUTE t_clean(%s)", q[i].args);
		plan = itest_sql_all(sql);
		printf("\n    %s (%s)\n      -> %s", db_stmts[q[i].id].name, q[i].bound,
		    plan ? plan : "?");
		CU_ASSERT_PTR_NOT_NULL_FATAL(plan);
		/* With seqscan off, a Seq Scan left means no index can do it. */
		CU_ASSERT_PTR_NULL(strstr(plan, "Seq Scan"));
		/* The mark in an Index Cond, with the due time: a range scan
		 * (an ordered index scan, or a bitmap scan whose Recheck Cond
		 * names it first). */
		CU_ASSERT_PTR_NOT_NULL(strstr(plan, q[i].bound));
		CU_ASSERT_TRUE(bound_in_index_cond(plan, q[i].bound));
		free(plan);
		free(sql);
		free(itest_sql("DEALLOCATE t_clean", NULL));
	}
	free(itest_sql("RESET plan_cache_mode", NULL));
	free(itest_sql("RESET enable_seqscan", NULL));
}

static void
test_stats_count_live_sessions_and_failures(void)
{
	struct session a, b;
	struct token_issue t;
	struct stats st;
	struct stat_count *f;
	size_t n;
	int64_t uid;

	itest_wipe();
	uid = user("a@example.com");
	session(uid, &a, &t, false);
	session(uid, &b, &t, false);
	store_session_end(b.id, 0, END_USER_LOGOUT, T0 + 1, T0 + 1, NULL);
	store_auth_event("login_failed", 0, NULL, "INVALID_CREDENTIALS", NULL, NULL, T0);
	CU_ASSERT_EQUAL(store_stats(T0 + 10, &st, &f, &n), STORE_OK);
	CU_ASSERT_EQUAL(st.active_sessions, 1);
	CU_ASSERT_EQUAL(st.logins_hour, 2);
	CU_ASSERT_EQUAL(st.users, 1);
	CU_ASSERT_EQUAL(n, 2);
	free(f);
	CU_ASSERT_EQUAL(store_stats(T0 + 1801, &st, &f, &n), STORE_OK);
	CU_ASSERT_EQUAL(st.active_sessions, 0);
	free(f);
}

static void
test_session_lifetimes_by_reason_and_bucket(void)
{
	struct session s[5];
	struct token_issue t;
	struct metrics_lifetimes lt;
	struct metrics_db db;
	char path[] = "/tmp/tether-itest-metrics.XXXXXX", *text;
	int64_t uid;
	int i, fd;

	/* The host's own histogram counts what the store ends, as it ends it. */
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	CU_ASSERT_EQUAL_FATAL(metrics_open(path, NULL), 0);
	itest_wipe();
	uid = user("lifetimes@example.com");
	for (i = 0; i < 5; i++)
		session(uid, &s[i], &t, false);
	/* 30 s, exactly 60 s (a bound: counted up to it), 61 s, 2 h; and one
	 * that ends a day later, outside an hour's window. */
	store_session_end(s[0].id, 0, END_USER_LOGOUT, T0 + 30, T0 + 30, NULL);
	store_session_end(s[1].id, 0, END_USER_LOGOUT, T0 + 60, T0 + 60, NULL);
	store_session_end(s[2].id, 0, END_USER_LOGOUT, T0 + 61, T0 + 61, NULL);
	store_session_end(s[3].id, 0, END_REVOKED_BY_USER, T0 + 7200, T0 + 7200, NULL);
	store_session_end(s[4].id, 0, END_IDLE_TIMEOUT, T0 + 86400, T0 + 86400, NULL);

	CU_ASSERT_EQUAL(store_session_lifetimes(T0 + 7200, 3 * 3600, &lt), STORE_OK);
	CU_ASSERT_EQUAL(lt.n[END_USER_LOGOUT][0], 2); /* le 60: 30 s and 60 s */
	CU_ASSERT_EQUAL(lt.n[END_USER_LOGOUT][1], 1); /* le 300: 61 s */
	CU_ASSERT_DOUBLE_EQUAL(lt.sum[END_USER_LOGOUT], 151, 0.001);
	CU_ASSERT_EQUAL(lt.n[END_REVOKED_BY_USER][5], 1); /* le 7200 */
	/* The window: at T0 + 1 day, only the last hour's end. */
	CU_ASSERT_EQUAL(store_session_lifetimes(T0 + 86400, 3600, &lt), STORE_OK);
	CU_ASSERT_EQUAL(lt.n[END_USER_LOGOUT][0] + lt.n[END_USER_LOGOUT][1], 0);
	CU_ASSERT_EQUAL(lt.n[END_IDLE_TIMEOUT][9], 1); /* le 86400 */
	CU_ASSERT_DOUBLE_EQUAL(lt.sum[END_IDLE_TIMEOUT], 86400, 0.001);
	/* /metrics carries them, over session_retention. */
	CU_ASSERT_EQUAL(store_metrics(T0 + 86400, 30 * 86400, &db), STORE_OK);
	CU_ASSERT(db.ok);
	CU_ASSERT_EQUAL(db.lifetimes.n[END_USER_LOGOUT][0], 2);
	CU_ASSERT_EQUAL(db.lifetimes.n[END_IDLE_TIMEOUT][9], 1);
	text = metrics_render(&db);
	CU_ASSERT_PTR_NOT_NULL(strstr(text,
	    "tether_session_lifetime_seconds_bucket{reason=\"USER_LOGOUT\",le=\"60\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text,
	    "tether_session_lifetime_seconds_count{reason=\"USER_LOGOUT\"} 3\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text,
	    "tether_session_lifetime_seconds_bucket{reason=\"IDLE_TIMEOUT\",le=\"86400\"} 1\n"));
	free(text);
	/* The hourly counts (sql/006) and the sessions themselves agree. */
	CU_ASSERT_EQUAL(store_session_lifetimes(T0 + 86400, 30 * 86400, &lt), STORE_OK);
	CU_ASSERT_EQUAL(memcmp(lt.n, db.lifetimes.n, sizeof(lt.n)), 0);
	for (i = 1; i < END__MAX; i++)
		CU_ASSERT_DOUBLE_EQUAL(lt.sum[i], db.lifetimes.sum[i], 0.001);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT sum(sessions) FROM session_end_counts", NULL), 5);
	/* A session written already ended (a seed, a restore) is counted. */
	free(itest_sql("INSERT INTO sessions (user_id, created_at, last_active_at, "
	    "idle_timeout_s, absolute_expires_at, remember_me, ended_at, end_reason) "
	    "SELECT id, to_timestamp(1800000000), to_timestamp(1800000000), 0, "
	    "to_timestamp(1900000000), true, to_timestamp(1800000000) + interval '8 days', "
	    "'EXPIRED' FROM users WHERE email = 'lifetimes@example.com'", NULL));
	CU_ASSERT_EQUAL(store_metrics(T0 + 9 * 86400, 30 * 86400, &db), STORE_OK);
	CU_ASSERT_EQUAL(db.lifetimes.n[END_EXPIRED][11], 1); /* le 2592000 */
	/* The window starts at the hour that holds its start: the ends of
	 * T0's hour are in a window starting 59 minutes after it, and not in
	 * one starting an hour and a second after. */
	CU_ASSERT_EQUAL(store_metrics(T0 + 2 * 86400, 2 * 86400 - 3540, &db), STORE_OK);
	CU_ASSERT_EQUAL(db.lifetimes.n[END_USER_LOGOUT][0], 2);
	CU_ASSERT_EQUAL(store_metrics(T0 + 2 * 86400, 2 * 86400 - 3601, &db), STORE_OK);
	CU_ASSERT_EQUAL(db.lifetimes.n[END_USER_LOGOUT][0], 0);
	metrics_close();
	unlink(path);
}

/* The host histogram's count of sessions ended for reason r. */
static int64_t
host_lifetimes_count(enum end_reason r)
{
	struct metrics_db db = { .ok = false };
	char *text = metrics_render(&db), *line, want[96];
	long long n = -1;

	snprintf(want, sizeof(want), "tether_session_lifetime_seconds_count{reason=\"%s\"} ",
	    end_reason_name(r));
	if ((line = strstr(text, want)) != NULL)
		n = strtoll(line + strlen(want), NULL, 10);
	free(text);
	return n;
}

static void
test_an_end_inside_a_transaction_counts_only_once_committed(void)
{
	struct session s;
	struct token_issue t;
	char path[] = "/tmp/tether-itest-metrics.XXXXXX";
	bool ended = false;
	int fd;

	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	CU_ASSERT_EQUAL_FATAL(metrics_open(path, NULL), 0);
	itest_wipe();
	session(user("tx@example.com"), &s, &t, false);
	/* As a refresh ends a session inside its transaction. */
	CU_ASSERT_EQUAL(db_tx("BEGIN"), STORE_OK);
	CU_ASSERT_EQUAL(store_session_end(s.id, 0, END_REFRESH_REUSED, T0 + 5, T0 + 5, &ended),
	    STORE_OK);
	CU_ASSERT(ended);
	CU_ASSERT_EQUAL(host_lifetimes_count(END_REFRESH_REUSED), 0); /* not yet */
	CU_ASSERT_EQUAL(db_tx("ROLLBACK"), STORE_OK);
	CU_ASSERT_EQUAL(host_lifetimes_count(END_REFRESH_REUSED), 0); /* never happened */
	CU_ASSERT_EQUAL(db_tx("BEGIN"), STORE_OK);
	CU_ASSERT_EQUAL(store_session_end(s.id, 0, END_REFRESH_REUSED, T0 + 5, T0 + 5, &ended),
	    STORE_OK);
	CU_ASSERT(ended); /* the rollback left it live */
	CU_ASSERT_EQUAL(db_tx("COMMIT"), STORE_OK);
	CU_ASSERT_EQUAL(host_lifetimes_count(END_REFRESH_REUSED), 1);
	metrics_close();
	unlink(path);
}

/* ---- concurrency ---- */

struct outcome {
	int err;
	int reason;
	int verdict;
};

/*
 * Runs NCHILD processes that refresh the token hash at the same instant
 * (they wait on a pipe the parent closes), each on its own connection,
 * each presenting the same successor.
 */
static void
race(const char *hash, struct outcome out[NCHILD])
{
	int go[2], res[2], i, status;
	pid_t pids[NCHILD];
	char c;

	store_close(); /* a child must not share the parent's connection */
	CU_ASSERT_FATAL(pipe(go) == 0 && pipe(res) == 0);
	for (i = 0; i < NCHILD; i++) {
		if ((pids[i] = fork()) == 0) {
			struct token_issue next;
			struct refresh_result r;
			struct outcome o;

			memset(&r, 0, sizeof(r));
			close(go[1]);
			/* The same successor for all: the caller derives it from
			 * the presented token (tokens_pair_next). */
			counter += 1000;
			issue(&next, T0 + 30);
			snprintf(next.access_jti, sizeof(next.access_jti), "jti-successor");
			o.err = store_open(itest_cfg.database_url) == STORE_OK ? 0 : -1;
			(void)store_ping();
			(void)!read(go[0], &c, 1); /* blocks until the parent closes */
			if (o.err == 0)
				o.err = (int)store_refresh(&itest_cfg, hash, &next, T0 + 30, true, &r);
			o.reason = r.reason;
			o.verdict = r.verdict;
			(void)!write(res[1], &o, sizeof(o));
			store_close();
			_exit(0);
		}
	}
	close(go[0]);
	/* Let every child connect and block on the pipe. */
	nanosleep(&(struct timespec){ .tv_nsec = 300000000 }, NULL);
	close(go[1]);
	for (i = 0; i < NCHILD; i++)
		CU_ASSERT_EQUAL(read(res[0], &out[i], sizeof(out[i])), (ssize_t)sizeof(out[i]));
	for (i = 0; i < NCHILD; i++)
		waitpid(pids[i], &status, 0);
	close(res[0]);
	close(res[1]);
	CU_ASSERT_EQUAL_FATAL(store_open(itest_cfg.database_url), STORE_OK);
}

static void
test_concurrent_refreshes_within_the_grace_all_succeed_and_one_rotates(void)
{
	struct session s;
	struct token_issue t;
	struct outcome o[NCHILD];
	int round, i, ok, rotated;

	for (round = 0; round < 3; round++) {
		itest_wipe();
		session(user("a@example.com"), &s, &t, false);
		race(t.refresh_hash, o);
		for (ok = rotated = i = 0; i < NCHILD; i++) {
			ok += o[i].err == 0 && o[i].reason == REASON_NONE;
			rotated += o[i].err == 0 && o[i].reason == REASON_NONE &&
			    o[i].verdict == REFRESH_ROTATE;
		}
		CU_ASSERT_EQUAL(ok, NCHILD);
		CU_ASSERT_EQUAL(rotated, 1);
		/* One successor, handed to every one of them. */
		CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM refresh_tokens", NULL), 2);
		CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM auth_events WHERE kind = "
		    "'refresh_ok' AND reason = 'GRACE'", NULL), NCHILD - 1);
		CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM refresh_tokens WHERE rotated_at "
		    "IS NOT NULL", NULL), 1);
		CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM sessions WHERE ended_at IS NULL",
		    NULL), 1);
	}
}

static void
test_concurrent_refreshes_without_grace_let_exactly_one_win(void)
{
	struct session s;
	struct token_issue t;
	struct outcome o[NCHILD];
	int round, i, ok, reused, other;

	for (round = 0; round < 3; round++) {
		itest_wipe();
		itest_cfg.refresh_reuse_grace = 0;
		session(user("a@example.com"), &s, &t, false);
		race(t.refresh_hash, o);
		for (ok = reused = other = i = 0; i < NCHILD; i++) {
			if (o[i].err == 0 && o[i].reason == REASON_NONE)
				ok++;
			else if (o[i].err == 0 && o[i].reason == REASON_REFRESH_REUSED)
				reused++;
			else if (o[i].err == 0 && o[i].reason == REASON_SESSION_ENDED)
				other++;
		}
		CU_ASSERT_EQUAL(ok, 1);
		CU_ASSERT(reused >= 1);
		CU_ASSERT_EQUAL(ok + reused + other, NCHILD);
		CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM sessions WHERE end_reason = "
		    "'REFRESH_REUSED'", NULL), 1);
		CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM auth_events WHERE kind = "
		    "'session_ended'", NULL), 1);
		itest_reset_config();
	}
}

/*
 * One refresh and one logout of the same session at the same instant, each
 * in its own process and connection; returns what the logout said.
 */
static enum store_err
refresh_and_logout(const char *sid, const char *hash)
{
	int go[2], res[2], i, status, e[2] = { -1, -1 };
	pid_t pids[2];
	char c;

	store_close();
	CU_ASSERT_FATAL(pipe(go) == 0 && pipe(res) == 0);
	for (i = 0; i < 2; i++) {
		if ((pids[i] = fork()) == 0) {
			struct token_issue next;
			struct refresh_result r;
			int err;

			close(go[1]);
			counter += 1000 * (i + 1);
			issue(&next, T0 + 30);
			err = store_open(itest_cfg.database_url) == STORE_OK ? 0 : -1;
			(void)store_ping();
			(void)!read(go[0], &c, 1);
			if (err == 0 && i == 0)
				err = (int)store_refresh(&itest_cfg, hash, &next, T0 + 30, true, &r);
			else if (err == 0)
				err = (int)store_session_end(
				    sid, 0, END_USER_LOGOUT, T0 + 30, T0 + 30, NULL);
			(void)!write(res[1], &(int[2]){ i, err }, sizeof(int[2]));
			store_close();
			_exit(0);
		}
	}
	close(go[0]);
	nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
	close(go[1]);
	for (i = 0; i < 2; i++) {
		int got[2] = { 0, -1 };

		CU_ASSERT_EQUAL(read(res[0], got, sizeof(got)), (ssize_t)sizeof(got));
		if (got[0] == 0 || got[0] == 1)
			e[got[0]] = got[1];
	}
	for (i = 0; i < 2; i++)
		waitpid(pids[i], &status, 0);
	close(res[0]);
	close(res[1]);
	CU_ASSERT_EQUAL_FATAL(store_open(itest_cfg.database_url), STORE_OK);
	CU_ASSERT_EQUAL(e[0], STORE_OK);
	return (enum store_err)e[1];
}

/* Audit I2: an end that waited for a refresh's lock must still revoke the
 * token that refresh committed, and blacklist its access jti. */
static void
test_a_logout_racing_a_refresh_leaves_no_live_token(void)
{
	struct session s;
	struct token_issue t;
	int round;

	for (round = 0; round < 20; round++) {
		itest_wipe();
		session(user("a@example.com"), &s, &t, false);
		CU_ASSERT_EQUAL(refresh_and_logout(s.id, t.refresh_hash), STORE_OK);
		CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM sessions WHERE ended_at IS NULL",
		    NULL), 0);
		CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM refresh_tokens "
		    "WHERE revoked_at IS NULL", NULL), 0);
		CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM refresh_tokens t "
		    "WHERE t.access_expires_at > to_timestamp($1::bigint) AND NOT EXISTS "
		    "(SELECT 1 FROM access_blacklist b WHERE b.jti = t.access_jti)",
		    "1800000030", NULL), 0);
	}
}

static void
test_the_store_reconnects_after_the_server_drops_it(void)
{
	CU_ASSERT_EQUAL(store_ping(), STORE_OK);
	free(itest_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
	    "datname = current_database() AND pid <> pg_backend_pid()", NULL));
	CU_ASSERT_EQUAL(store_ping(), STORE_OK);
	store_close();
	CU_ASSERT_EQUAL(store_open("host=/nonexistent-tether-dir dbname=x"), STORE_UNAVAILABLE);
	CU_ASSERT_EQUAL(store_ping(), STORE_UNAVAILABLE);
	CU_ASSERT_EQUAL(store_open(itest_cfg.database_url), STORE_OK);
	CU_ASSERT_EQUAL(store_ping(), STORE_OK);
}

/* ---- transaction pooling (store_set_pooling): no session state ---- */

static void
test_pooled_migrations_are_refused_with_the_reason(void)
{
	FILE *fp = tmpfile();
	char buf[512] = "";

	CU_ASSERT_FATAL(fp != NULL);
	CU_ASSERT_EQUAL(store_migrate(itest_cfg.sql_dir, fp), STORE_CONFLICT);
	rewind(fp);
	CU_ASSERT(fgets(buf, sizeof(buf), fp) != NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "database_pooler = transaction"));
	fclose(fp);
}

/* Its lock goes with its transaction: none is left on the connection
 * (which the pooler would hand to another client, locked). */
static void
test_pooled_cleanup_leaves_no_lock_behind(void)
{
	struct cleanup_counts c;
	bool ran = false;

	itest_wipe();
	CU_ASSERT_EQUAL(clean(T0, 10, &c, &ran), STORE_OK);
	CU_ASSERT_TRUE(ran);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'",
	    NULL), 0);
}

static int
setup_pooled(void)
{
	store_close();
	store_set_pooling(true, NULL);
	if (store_open(itest_cfg.database_url) != STORE_OK)
		return 1;
	return itest_suite_init();
}

static int
teardown_pooled(void)
{
	store_close();
	store_set_pooling(false, NULL);
	return store_open(itest_cfg.database_url) == STORE_OK ? 0 : 1;
}

/* What holds locks, transactions or connections, again without named
 * statements or session state. */
static const struct tu_test pooled_tests[] = {
	{ "migrations are refused with the reason",
	    test_pooled_migrations_are_refused_with_the_reason },
	{ "cleanup leaves no lock behind", test_pooled_cleanup_leaves_no_lock_behind },
	{ "cleanup deletes exactly what has expired", test_cleanup_deletes_exactly_what_has_expired },
	{ "a second cleaner does not run while one holds the lock",
	    test_a_second_cleaner_does_not_run_while_one_holds_the_lock },
	{ "a backlog goes in slices within the budget",
	    test_a_backlog_goes_in_slices_within_the_budget },
	{ "a refresh takes two round trips (its SET LOCAL limits go with BEGIN)",
	    test_a_refresh_takes_two_round_trips },
	{ "a grace replay issues no second successor",
	    test_a_grace_replay_issues_no_second_successor },
	{ "a logout racing a refresh leaves no live token",
	    test_a_logout_racing_a_refresh_leaves_no_live_token },
	{ "an end inside a transaction counts only once committed",
	    test_an_end_inside_a_transaction_counts_only_once_committed },
	{ "concurrent refreshes within the grace all succeed and one rotates",
	    test_concurrent_refreshes_within_the_grace_all_succeed_and_one_rotates },
	{ "the store reconnects after the server drops it",
	    test_the_store_reconnects_after_the_server_drops_it },
	{ NULL, NULL }
};

/* `tetherctl bench seed` at a thousandth of its size: the counts follow
 * the scale, the rows are a year's (most sessions ended, every token's
 * session exists, the blacklist's jtis are tokens'), a second seed is
 * refused without writing, and the store's own statements work beside
 * the seed (the bench's pool is made of sessions like this one). */
static void
test_bench_seed_fills_a_year_at_any_scale(void)
{
	struct store_seed_counts n, again;
	struct session s;
	struct token_issue t, next;
	struct refresh_result r;
	struct user u;
	int64_t live;

	itest_wipe();
	/* Batches of 1000 sessions: five of them, so batching is exercised. */
	CU_ASSERT_EQUAL_FATAL(store_bench_seed(0.001, T0, "$scrypt$seed", 1000, NULL, NULL, &n),
	    STORE_OK);
	CU_ASSERT_EQUAL(n.users, 1000);
	CU_ASSERT_EQUAL(n.sessions, 5000);
	CU_ASSERT_EQUAL(n.refresh_tokens, 10000);
	CU_ASSERT(n.blacklist > 900 && n.blacklist < 1100);
	CU_ASSERT(n.auth_events + n.logout_events > 9500 && n.auth_events + n.logout_events < 10500);
	CU_ASSERT(n.logout_events > 0);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM users", NULL), 1000);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM sessions", NULL), 5000);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM refresh_tokens", NULL), 10000);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM access_blacklist", NULL), n.blacklist);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM auth_events", NULL), n.auth_events);
	/* Spread over the year before T0, most ended, with several reasons. */
	CU_ASSERT(itest_sql_int("SELECT extract(epoch from max(created_at) - min(created_at)) "
	                        "FROM sessions", NULL) > 360 * 86400);
	CU_ASSERT(itest_sql_int("SELECT count(*) FROM sessions WHERE created_at > "
	                        "to_timestamp($1)", "1800000000", NULL) == 0);
	live = itest_sql_int("SELECT count(*) FROM sessions WHERE ended_at IS NULL", NULL);
	CU_ASSERT(live > 0 && live < 250);
	CU_ASSERT(itest_sql_int("SELECT count(DISTINCT end_reason) FROM sessions", NULL) >= 8);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM sessions WHERE ended_at IS NOT NULL "
	                              "AND (ended_at < created_at OR ended_at > to_timestamp($1))",
	                    "1800000000", NULL), 0);
	/* Tokens: mostly rotated, live only in live sessions; blacklisted
	 * jtis are the access jtis of ended sessions' tokens. */
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM refresh_tokens t LEFT JOIN sessions s "
	                              "ON s.id = t.session_id WHERE s.id IS NULL", NULL), 0);
	CU_ASSERT(itest_sql_int("SELECT count(*) FROM refresh_tokens WHERE rotated_at IS NOT NULL",
	              NULL) >= 5000);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM refresh_tokens t JOIN sessions s "
	                              "ON s.id = t.session_id WHERE s.ended_at IS NULL "
	                              "AND t.revoked_at IS NOT NULL", NULL), 0);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM access_blacklist b JOIN "
	                              "refresh_tokens t ON t.access_jti = b.jti JOIN sessions s "
	                              "ON s.id = t.session_id WHERE s.ended_at IS NOT NULL", NULL),
	    n.blacklist);

	/* Twice: refused, nothing written. */
	CU_ASSERT_EQUAL(store_bench_seed(0.001, T0, "$scrypt$seed", 1000, NULL, NULL, &again),
	    STORE_CONFLICT);
	CU_ASSERT_EQUAL(again.users + again.sessions, 0);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM users", NULL), 1000);

	/* A new session and its refresh, beside the seed. */
	CU_ASSERT_EQUAL_FATAL(store_user_create("bench@tether.invalid", "$scrypt$x", "B", T0, &u),
	    STORE_OK);
	session(u.id, &s, &t, true);
	issue(&next, T0 + 60);
	CU_ASSERT_EQUAL(store_refresh(&itest_cfg, t.refresh_hash, &next, T0 + 60, false, &r),
	    STORE_OK);
	CU_ASSERT_EQUAL(r.verdict, REFRESH_ROTATE);
	CU_ASSERT_EQUAL(store_user_by_email("seed-1000@seed.tether.invalid", &u), STORE_OK);
	CU_ASSERT_EQUAL(store_user_by_email("seed-1001@seed.tether.invalid", &u), STORE_NOTFOUND);
	itest_wipe();
}

static const struct tu_test tests[] = {
	{ "a grace replay issues no second successor",
	    test_a_grace_replay_issues_no_second_successor },
	{ "a logout racing a refresh leaves no live token",
	    test_a_logout_racing_a_refresh_leaves_no_live_token },
	{ "data the database refuses is invalid, not unavailable",
	    test_data_the_database_refuses_is_invalid_not_unavailable },
	{ "migrating again applies nothing", test_migrating_again_applies_nothing },
	{ "users are unique by email whatever the case",
	    test_users_are_unique_by_email_whatever_the_case },
	{ "a session is created with its first refresh token",
	    test_a_session_is_created_with_its_first_refresh_token },
	{ "touch moves last activity forward only", test_touch_moves_last_activity_forward_only },
	{ "a session ends exactly once and blacklists its live tokens",
	    test_a_session_ends_exactly_once_and_blacklists_its_live_tokens },
	{ "ending all sessions can spare one", test_ending_all_sessions_can_spare_one },
	{ "refresh rotates and records the family", test_refresh_rotates_and_records_the_family },
	{ "a refresh takes two round trips", test_a_refresh_takes_two_round_trips },
	{ "refresh of a disabled user ends the session",
	    test_refresh_of_a_disabled_user_ends_the_session },
	{ "logout reports round-trip", test_logout_reports_round_trip },
	{ "disabling a user ends its sessions and is audited",
	    test_disabling_a_user_ends_its_sessions_and_is_audited },
	{ "throttle counts attempts per key within the window",
	    test_throttle_counts_attempts_per_key_within_the_window },
	{ "cleanup deletes exactly what has expired", test_cleanup_deletes_exactly_what_has_expired },
	{ "a second cleaner does not run while one holds the lock",
	    test_a_second_cleaner_does_not_run_while_one_holds_the_lock },
	{ "a backlog goes in slices within the budget",
	    test_a_backlog_goes_in_slices_within_the_budget },
	{ "a worker takes a backlog a slice a second",
	    test_a_worker_takes_a_backlog_a_slice_a_second },
	{ "a row behind a mark goes in the next run", test_a_row_behind_a_mark_goes_in_the_next_run },
	{ "the cleaned tables vacuum early and gently",
	    test_the_cleaned_tables_vacuum_early_and_gently },
	{ "every cleanup statement uses an index from its mark",
	    test_every_cleanup_statement_uses_an_index_from_its_mark },
	{ "stats count live sessions and failures", test_stats_count_live_sessions_and_failures },
	{ "session lifetimes by reason and bucket", test_session_lifetimes_by_reason_and_bucket },
	{ "the database buckets lifetimes as the host does",
	    test_the_database_buckets_lifetimes_as_the_host_does },
	{ "the connection runs without JIT", test_the_connection_runs_without_jit },
	{ "an end inside a transaction counts only once committed",
	    test_an_end_inside_a_transaction_counts_only_once_committed },
	{ "concurrent refreshes within the grace all succeed and one rotates",
	    test_concurrent_refreshes_within_the_grace_all_succeed_and_one_rotates },
	{ "concurrent refreshes without grace let exactly one win",
	    test_concurrent_refreshes_without_grace_let_exactly_one_win },
	{ "the store reconnects after the server drops it",
	    test_the_store_reconnects_after_the_server_drops_it },
	{ "bench seed fills a year at any scale", test_bench_seed_fills_a_year_at_any_scale },
	{ NULL, NULL }
};

int
main(void)
{
	int rc;

	if (itest_init() != 0)
		return tu_skip("test_store", "no database (set TETHER_TEST_DATABASE_URL)");
	tu_begin();
	tu_suite("store", itest_suite_init, NULL, tests);
	tu_suite("store, transaction pooling", setup_pooled, teardown_pooled, pooled_tests);
	rc = tu_end("test_store");
	itest_done();
	return rc;
}
