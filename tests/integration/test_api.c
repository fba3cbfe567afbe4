/*
 * test_api: every route, reason code and error status of the HTTP API,
 * in-process against a real PostgreSQL, with an injected clock (T0 + n)
 * so idle and absolute timeouts take no real time.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "auth.h"
#include "hashgate.h"
#include "itest.h"
#include "sesscache.h"
#include "store.h"
#include "testutil.h"
#include "util.h"

#define PW "correct horse battery"
#define MIN 60
#define HOUR 3600
#define DAY 86400

static int64_t uid;

static int
setup(void)
{
	itest_suite_init();
	uid = -1;
	return 0;
}

/* A fresh user for one test: wipes and registers alice. */
static void
fresh(void)
{
	itest_reset_config();
	itest_wipe();
	uid = itest_user("alice@example.com", PW);
}

static void
assert_deny(const struct call *c, const char *reason)
{
	const char *www;

	CU_ASSERT_EQUAL(c->status, 401);
	TU_ASSERT_STR_EQ(call_str(c, "error"), "unauthorized");
	TU_ASSERT_STR_EQ(call_str(c, "reason"), reason);
	www = call_header(c, "WWW-Authenticate");
	CU_ASSERT_PTR_NOT_NULL(www);
	/* RFC 6750 §3.1: no credential at all, no error code; a bad one,
	 * invalid_token with the reason. */
	if (strcmp(reason, "TOKEN_MISSING") == 0) {
		TU_ASSERT_STR_EQ(www, "Bearer realm=\"tether\"");
	} else if (www != NULL) {
		CU_ASSERT_PTR_NOT_NULL(strstr(www, "error=\"invalid_token\""));
		CU_ASSERT_PTR_NOT_NULL(strstr(www, reason));
	}
	TU_ASSERT_STR_EQ(call_header(c, "X-Content-Type-Options"), "nosniff");
}

static void
get_me(struct call *c, const char *access, time_t now)
{
	struct call_opts o = { .bearer = access };

	itest_call(c, "GET", "/me", NULL, &o, now);
}

static void
me_ok(const char *access, time_t now)
{
	struct call c;

	get_me(&c, access, now);
	CU_ASSERT_EQUAL(c.status, 200);
	call_clear(&c);
}

static char *
refresh_body(const char *token)
{
	return xasprintf("{\"refresh_token\":\"%s\"}", token);
}

static void
do_refresh(struct call *c, const char *token, time_t now)
{
	char *b = refresh_body(token);

	itest_call(c, "POST", "/refresh", b, NULL, now);
	free(b);
}

/* ---- health, routing, body ---- */

static void
test_health_reports_the_database(void)
{
	struct call c;

	itest_call(&c, "GET", "/health", NULL, NULL, T0);
	CU_ASSERT_EQUAL(c.status, 200);
	TU_ASSERT_STR_EQ(call_str(&c, "database"), "ok");
	TU_ASSERT_STR_EQ(call_header(&c, "Cache-Control"), "no-store");
	TU_ASSERT_STR_EQ(call_header(&c, "X-Content-Type-Options"), "nosniff");
	call_clear(&c);
}

static void
test_unknown_path_is_404_and_wrong_method_405_with_allow(void)
{
	struct call c;

	itest_call(&c, "GET", "/nope", NULL, NULL, T0);
	CU_ASSERT_EQUAL(c.status, 404);
	TU_ASSERT_STR_EQ(call_str(&c, "error"), "not_found");
	call_clear(&c);
	itest_call(&c, "POST", "/me", "{}", NULL, T0);
	CU_ASSERT_EQUAL(c.status, 405);
	CU_ASSERT_PTR_NOT_NULL(call_header(&c, "Allow"));
	if (call_header(&c, "Allow"))
		CU_ASSERT_PTR_NOT_NULL(strstr(call_header(&c, "Allow"), "GET"));
	call_clear(&c);
	itest_call(&c, "POST", "/settings", "{}", NULL, T0);
	CU_ASSERT_EQUAL(c.status, 405);
	TU_ASSERT_STR_EQ(call_header(&c, "Allow"), "GET, HEAD");
	TU_ASSERT_STR_EQ(call_header(&c, "Cache-Control"), "no-store");
	call_clear(&c);
	itest_call(&c, "GET", "/settings/x", NULL, NULL, T0);
	CU_ASSERT_EQUAL(c.status, 404);
	call_clear(&c);
}

static void
test_settings_answer_from_the_configuration_without_the_database(void)
{
	struct call c;
	uint64_t n;

	fresh();
	n = store_statements_sent();
	itest_call(&c, "GET", "/settings", NULL, NULL, T0);
	CU_ASSERT_EQUAL(store_statements_sent(), n);
	CU_ASSERT_EQUAL(c.status, 200);
	TU_ASSERT_STR_EQ(call_header(&c, "Cache-Control"), "no-store");
	CU_ASSERT_EQUAL(call_int(&c, "server_time"), T0);
	CU_ASSERT_EQUAL(call_int(&c, "idle_timeout_s"), 30 * MIN);
	CU_ASSERT_EQUAL(call_int(&c, "idle_timeout_remember_me_s"), 0);
	CU_ASSERT_EQUAL(call_int(&c, "warning_window_s"), 5 * MIN);
	CU_ASSERT_EQUAL(call_int(&c, "session_max_age_s"), 12 * HOUR);
	CU_ASSERT_EQUAL(call_int(&c, "session_max_age_remember_me_s"), 20 * DAY);
	CU_ASSERT_EQUAL(call_int(&c, "access_token_lifetime_s"), 15 * MIN);
	CU_ASSERT_EQUAL(call_int(&c, "activity_write_interval_s"), 60);
	CU_ASSERT_EQUAL(call_bool(&c, "debug_panel"), 0);
	CU_ASSERT_EQUAL(call_bool(&c, "allow_registration"), 1);
	CU_ASSERT_EQUAL(json_object_object_length(c.json), 10);
	CU_ASSERT_EQUAL(call_cookie_count(&c), 0);
	call_clear(&c);
	/* The step is the server's own: at most a tenth of the idle timeout. */
	itest_cfg.idle_timeout = 5 * MIN;
	itest_cfg.debug_panel = true;
	itest_cfg.allow_registration = false;
	itest_call(&c, "GET", "/settings", NULL, NULL, T0 + 1);
	CU_ASSERT_EQUAL(c.status, 200);
	CU_ASSERT_EQUAL(call_int(&c, "server_time"), T0 + 1);
	CU_ASSERT_EQUAL(call_int(&c, "idle_timeout_s"), 5 * MIN);
	CU_ASSERT_EQUAL(call_int(&c, "activity_write_interval_s"), 30);
	CU_ASSERT_EQUAL(call_bool(&c, "debug_panel"), 1);
	CU_ASSERT_EQUAL(call_bool(&c, "allow_registration"), 0);
	call_clear(&c);
	itest_call(&c, "HEAD", "/settings", NULL, NULL, T0);
	CU_ASSERT_EQUAL(c.status, 200);
	call_clear(&c);
	itest_reset_config();
}

static void
test_bad_json_and_wrong_content_type_are_400(void)
{
	struct call c;
	struct call_opts text = { .content_type = "text/plain" };

	fresh();
	itest_call(&c, "POST", "/login", "{\"email\":", NULL, T0);
	CU_ASSERT_EQUAL(c.status, 400);
	TU_ASSERT_STR_EQ(call_str(&c, "error"), "invalid_request");
	call_clear(&c);
	itest_call(&c, "POST", "/login", "[1,2]", NULL, T0);
	CU_ASSERT_EQUAL(c.status, 400);
	call_clear(&c);
	itest_call(&c, "POST", "/login", "{\"email\":\"alice@example.com\",\"password\":\"" PW "\"}",
	    &text, T0);
	CU_ASSERT_EQUAL(c.status, 400);
	call_clear(&c);
	itest_call(&c, "POST", "/login", "{\"email\":1,\"password\":\"x\"}", NULL, T0);
	CU_ASSERT_EQUAL(c.status, 400);
	call_clear(&c);
	itest_call(&c, "POST", "/login",
	    "{\"email\":\"alice@example.com\",\"password\":\"" PW "\",\"remember_me\":\"yes\"}",
	    NULL, T0);
	CU_ASSERT_EQUAL(c.status, 400);
	call_clear(&c);
}

/* ---- register ---- */

static void
test_register_creates_a_user_and_refuses_duplicates_case_insensitively(void)
{
	struct call c;

	fresh();
	CU_ASSERT(uid > 0);
	itest_call(&c, "POST", "/register",
	    "{\"email\":\"ALICE@example.com\",\"password\":\"another password\"}", NULL, T0);
	CU_ASSERT_EQUAL(c.status, 409);
	TU_ASSERT_STR_EQ(call_str(&c, "error"), "email_taken");
	call_clear(&c);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM users", NULL), 1);
}

static void
test_register_validates_email_password_and_name(void)
{
	struct call c;
	static const char *bad[] = {
		"{\"email\":\"not-an-email\",\"password\":\"long enough\"}",
		"{\"email\":\"bob@example.com\",\"password\":\"short\"}",
		"{\"email\":\"bob@example.com\",\"password\":\"has\\u0000nul inside\"}",
		"{\"email\":\"bob@example.com\"}",
		"{\"email\":\"bob@example.com\",\"password\":\"long enough\",\"display_name\":5}",
		"{\"email\":\"bob@example.com\",\"password\":\"long enough\",\"display_name\":\"a\\nb\"}",
		NULL
	};
	size_t i;

	fresh();
	for (i = 0; bad[i] != NULL; i++) {
		itest_call(&c, "POST", "/register", bad[i], NULL, T0);
		CU_ASSERT_EQUAL(c.status, 400);
		call_clear(&c);
	}
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM users", NULL), 1);
}

static void
test_register_is_403_when_registration_is_closed(void)
{
	struct call c;

	fresh();
	itest_cfg.allow_registration = false;
	itest_call(&c, "POST", "/register",
	    "{\"email\":\"bob@example.com\",\"password\":\"long enough\"}", NULL, T0);
	CU_ASSERT_EQUAL(c.status, 403);
	call_clear(&c);
	itest_reset_config();
}

/* ---- login ---- */

static void
test_login_returns_the_tokens_response(void)
{
	struct call c;

	fresh();
	itest_call(&c, "POST", "/login",
	    "{\"email\":\"Alice@Example.com\",\"password\":\"" PW "\",\"device_id\":\"laptop\"}",
	    NULL, T0);
	CU_ASSERT_EQUAL(c.status, 200);
	CU_ASSERT_PTR_NOT_NULL(call_str(&c, "access_token"));
	TU_ASSERT_STR_EQ(call_str(&c, "token_type"), "Bearer");
	CU_ASSERT_EQUAL(call_int(&c, "expires_in"), 15 * MIN);
	CU_ASSERT_EQUAL(call_int(&c, "access_expires_at"), T0 + 15 * MIN);
	CU_ASSERT_PTR_NOT_NULL(call_str(&c, "refresh_token"));
	CU_ASSERT_EQUAL(call_int(&c, "refresh_expires_at"), T0 + 12 * HOUR);
	CU_ASSERT_EQUAL(call_int(&c, "session.idle_timeout_s"), 30 * MIN);
	CU_ASSERT_EQUAL(call_int(&c, "session.idle_expires_at"), T0 + 30 * MIN);
	CU_ASSERT_EQUAL(call_int(&c, "session.absolute_expires_at"), T0 + 12 * HOUR);
	CU_ASSERT_EQUAL(call_int(&c, "user.id"), uid);
	TU_ASSERT_STR_EQ(call_str(&c, "user.email"), "alice@example.com");
	CU_ASSERT_EQUAL(call_int(&c, "server_time"), T0);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM sessions WHERE device_id = 'laptop' "
	    "AND user_agent = 'itest' AND ip = '127.0.0.1'", NULL), 1);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM auth_events WHERE kind = 'login_ok'",
	    NULL), 1);
	call_clear(&c);
}

static void
test_remember_me_gets_twenty_days_and_no_idle_timeout(void)
{
	struct call c;

	fresh();
	itest_call(&c, "POST", "/login",
	    "{\"email\":\"alice@example.com\",\"password\":\"" PW "\",\"remember_me\":true}",
	    NULL, T0);
	CU_ASSERT_EQUAL(c.status, 200);
	CU_ASSERT_EQUAL(call_int(&c, "session.idle_timeout_s"), 0);
	CU_ASSERT(call_has(&c, "session.idle_expires_at"));
	CU_ASSERT_EQUAL(call_int(&c, "session.absolute_expires_at"), T0 + 20 * DAY);
	CU_ASSERT_EQUAL(call_int(&c, "refresh_expires_at"), T0 + 20 * DAY);
	call_clear(&c);
}

static void
test_wrong_password_and_unknown_email_answer_alike(void)
{
	struct call a, b;

	fresh();
	itest_call(&a, "POST", "/login",
	    "{\"email\":\"alice@example.com\",\"password\":\"wrong password\"}", NULL, T0);
	itest_call(&b, "POST", "/login",
	    "{\"email\":\"nobody@example.com\",\"password\":\"wrong password\"}", NULL, T0);
	assert_deny(&a, "INVALID_CREDENTIALS");
	assert_deny(&b, "INVALID_CREDENTIALS");
	TU_ASSERT_STR_EQ(a.resp.body, b.resp.body);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM auth_events WHERE kind = 'login_failed'",
	    NULL), 2);
	call_clear(&a);
	call_clear(&b);
}

static void
test_a_disabled_user_cannot_log_in_and_its_session_ends(void)
{
	struct tokens t;
	struct call c;

	fresh();
	itest_login(&t, "alice@example.com", PW, false, T0);
	free(itest_sql("UPDATE users SET disabled = true", NULL));
	get_me(&c, t.access, T0 + 1);
	assert_deny(&c, "SESSION_ENDED");
	TU_ASSERT_STR_EQ(call_str(&c, "ended_reason"), "USER_DISABLED");
	call_clear(&c);
	itest_call(&c, "POST", "/login",
	    "{\"email\":\"alice@example.com\",\"password\":\"" PW "\"}", NULL, T0 + 2);
	CU_ASSERT_EQUAL(c.status, 403);
	call_clear(&c);
	tokens_clear(&t);
}

static void
test_login_upgrades_a_hash_with_old_parameters(void)
{
	struct tokens t;
	char *before, *after;

	fresh();
	before = itest_sql("SELECT password_hash FROM users", NULL);
	itest_cfg.scrypt.n = 2048;
	itest_login(&t, "alice@example.com", PW, false, T0);
	after = itest_sql("SELECT password_hash FROM users", NULL);
	TU_ASSERT_STR_NE(before, after);
	CU_ASSERT_PTR_NOT_NULL(strstr(after, "ln=11"));
	tokens_clear(&t);
	itest_reset_config();
	free(before);
	free(after);
}

/* ---- access tokens and reasons ---- */

static void
test_me_answers_with_a_valid_token_and_sets_the_session_headers(void)
{
	struct tokens t;
	struct call c;

	fresh();
	itest_login(&t, "alice@example.com", PW, false, T0);
	get_me(&c, t.access, T0 + 10);
	CU_ASSERT_EQUAL(c.status, 200);
	CU_ASSERT_EQUAL(call_int(&c, "user.id"), uid);
	TU_ASSERT_STR_EQ(call_header(&c, "X-Session-Idle-Expires-In"), "1790");
	TU_ASSERT_STR_EQ(call_header(&c, "X-Token-Expires-In"), "890");
	CU_ASSERT_PTR_NULL(call_header(&c, "X-Session-Warning"));
	call_clear(&c);
	/* Eleven minutes in: the token has four minutes left. */
	get_me(&c, t.access, T0 + 11 * MIN);
	TU_ASSERT_STR_EQ(call_header(&c, "X-Session-Warning"), "token");
	call_clear(&c);
	tokens_clear(&t);
}

static void
test_idle_warning_header_comes_before_the_idle_timeout(void)
{
	struct tokens t;
	struct call c;
	struct call_opts bg = { .activity = "background" };

	fresh();
	itest_cfg.idle_timeout = 10 * MIN;
	itest_login(&t, "alice@example.com", PW, false, T0);
	/* Background polling (it does not slide the timer) sees the warning. */
	bg.bearer = t.access;
	itest_call(&c, "GET", "/me", NULL, &bg, T0 + 6 * MIN);
	CU_ASSERT_EQUAL(c.status, 200);
	TU_ASSERT_STR_EQ(call_header(&c, "X-Session-Warning"), "idle");
	call_clear(&c);
	tokens_clear(&t);
	itest_reset_config();
}

static void
test_missing_and_invalid_tokens_are_refused(void)
{
	struct call c;
	struct call_opts garbage = { .bearer = "abc.def.ghi" };

	fresh();
	itest_call(&c, "GET", "/me", NULL, NULL, T0);
	assert_deny(&c, "TOKEN_MISSING");
	call_clear(&c);
	itest_call(&c, "GET", "/me", NULL, &garbage, T0);
	assert_deny(&c, "TOKEN_INVALID");
	call_clear(&c);
}

static void
test_a_token_signed_with_another_key_is_invalid(void)
{
	struct tokens t;
	struct call c;
	char err[128];

	fresh();
	itest_login(&t, "alice@example.com", PW, false, T0);
	CU_ASSERT_EQUAL(jwt_key_parse("t1:b3RoZXItdGVzdC1rZXktb2YtdGhpcnR5LXR3by1ieXRlcyE",
	    &itest_cfg.keys[0], err, sizeof(err)), 0);
	itest_cfg.nkeys = 1;
	get_me(&c, t.access, T0 + 1);
	assert_deny(&c, "TOKEN_INVALID");
	call_clear(&c);
	tokens_clear(&t);
	itest_reset_config();
}

static void
test_an_expired_token_of_a_live_session_is_token_expired(void)
{
	struct tokens t;
	struct call c;

	fresh();
	itest_login(&t, "alice@example.com", PW, false, T0);
	/* Keep the session active so only the token is old. */
	get_me(&c, t.access, T0 + 10 * MIN);
	call_clear(&c);
	get_me(&c, t.access, T0 + 15 * MIN + 31);
	assert_deny(&c, "TOKEN_EXPIRED");
	CU_ASSERT_PTR_NULL(call_str(&c, "ended_reason"));
	call_clear(&c);
	/* Within the 30 s leeway it is still accepted. */
	get_me(&c, t.access, T0 + 15 * MIN + 20);
	CU_ASSERT_EQUAL(c.status, 200);
	call_clear(&c);
	tokens_clear(&t);
}

static void
test_a_blacklisted_token_of_a_live_session_is_token_revoked(void)
{
	struct tokens t;
	struct call c;
	char *jti;

	fresh();
	itest_login(&t, "alice@example.com", PW, false, T0);
	jti = itest_sql("SELECT access_jti FROM refresh_tokens", NULL);
	free(itest_sql("INSERT INTO access_blacklist (jti, session_id, expires_at, created_at) "
	    "VALUES ($1, $2::uuid, now() + interval '1 day', now())", jti, t.sid, NULL));
	get_me(&c, t.access, T0 + 1);
	assert_deny(&c, "TOKEN_REVOKED");
	call_clear(&c);
	free(jti);
	tokens_clear(&t);
}

static void
test_an_idle_session_ends_with_idle_timeout_recorded_once(void)
{
	struct tokens t;
	struct call c;

	fresh();
	itest_login(&t, "alice@example.com", PW, false, T0);
	get_me(&c, t.access, T0 + 31 * MIN);
	assert_deny(&c, "SESSION_IDLE_TIMEOUT");
	TU_ASSERT_STR_EQ(call_str(&c, "ended_reason"), "IDLE_TIMEOUT");
	CU_ASSERT_EQUAL(call_int(&c, "ended_at"), T0 + 30 * MIN);
	CU_ASSERT_EQUAL(call_int(&c, "idle_for_s"), 31 * MIN);
	call_clear(&c);
	get_me(&c, t.access, T0 + 40 * MIN);
	assert_deny(&c, "SESSION_IDLE_TIMEOUT");
	CU_ASSERT_EQUAL(call_int(&c, "ended_at"), T0 + 30 * MIN);
	call_clear(&c);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT extract(epoch from ended_at)::bigint FROM sessions "
	    "WHERE end_reason = 'IDLE_TIMEOUT'", NULL), T0 + 30 * MIN);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM auth_events WHERE kind = "
	    "'session_ended' AND reason = 'IDLE_TIMEOUT'", NULL), 1);
	/* Its refresh token now says the same. */
	do_refresh(&c, t.refresh, T0 + 41 * MIN);
	assert_deny(&c, "SESSION_IDLE_TIMEOUT");
	call_clear(&c);
	tokens_clear(&t);
}

static void
test_a_session_past_its_absolute_lifetime_is_session_expired(void)
{
	struct tokens t;
	struct call c;
	int i;

	fresh();
	itest_login(&t, "alice@example.com", PW, true, T0);
	/* Active all along (a refresh every 10 days), still ends at 20 days. */
	for (i = 1; i <= 2; i++) {
		do_refresh(&c, t.refresh, T0 + i * 10 * DAY - 10);
		CU_ASSERT_EQUAL_FATAL(c.status, 200);
		free(t.refresh);
		t.refresh = xstrdup(call_str(&c, "refresh_token"));
		free(t.access);
		t.access = xstrdup(call_str(&c, "access_token"));
		call_clear(&c);
	}
	get_me(&c, t.access, T0 + 20 * DAY);
	assert_deny(&c, "SESSION_EXPIRED");
	TU_ASSERT_STR_EQ(call_str(&c, "ended_reason"), "EXPIRED");
	CU_ASSERT_EQUAL(call_int(&c, "ended_at"), T0 + 20 * DAY);
	call_clear(&c);
	tokens_clear(&t);
}

static void
test_background_requests_do_not_slide_the_idle_timer(void)
{
	struct tokens t;
	struct call c;
	struct call_opts bg = { .activity = "background" };

	fresh();
	itest_login(&t, "alice@example.com", PW, false, T0);
	bg.bearer = t.access;
	itest_call(&c, "GET", "/session-info", NULL, &bg, T0 + 10 * MIN);
	CU_ASSERT_EQUAL(c.status, 200);
	CU_ASSERT_EQUAL(call_int(&c, "session.last_active_at"), T0);
	call_clear(&c);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT extract(epoch from last_active_at)::bigint "
	    "FROM sessions", NULL), T0);
	/* A user request slides it; a write within the step is coalesced. */
	get_me(&c, t.access, T0 + 10 * MIN + 1);
	call_clear(&c);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT extract(epoch from last_active_at)::bigint "
	    "FROM sessions", NULL), T0 + 10 * MIN + 1);
	get_me(&c, t.access, T0 + 10 * MIN + 30);
	call_clear(&c);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT extract(epoch from last_active_at)::bigint "
	    "FROM sessions", NULL), T0 + 10 * MIN + 1);
	/* Background polling right up to the timeout does not keep it alive. */
	itest_call(&c, "GET", "/session-info", NULL, &bg, T0 + 40 * MIN + 2);
	assert_deny(&c, "SESSION_IDLE_TIMEOUT");
	call_clear(&c);
	tokens_clear(&t);
}

/* ---- refresh ---- */

static void
test_refresh_rotates_the_token(void)
{
	struct tokens t;
	struct call c;

	fresh();
	itest_login(&t, "alice@example.com", PW, false, T0);
	do_refresh(&c, t.refresh, T0 + 5 * MIN);
	CU_ASSERT_EQUAL(c.status, 200);
	TU_ASSERT_STR_NE(call_str(&c, "refresh_token"), t.refresh);
	TU_ASSERT_STR_NE(call_str(&c, "access_token"), t.access);
	TU_ASSERT_STR_EQ(call_str(&c, "session.id"), t.sid);
	CU_ASSERT_EQUAL(call_int(&c, "access_expires_at"), T0 + 20 * MIN);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM refresh_tokens WHERE rotated_at IS "
	    "NOT NULL", NULL), 1);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT extract(epoch from last_active_at)::bigint FROM "
	    "sessions", NULL), T0 + 5 * MIN);
	call_clear(&c);
	tokens_clear(&t);
}

static void
test_refresh_reuse_within_the_grace_succeeds_and_after_it_ends_the_session(void)
{
	struct tokens t;
	struct call c;
	char *second;

	fresh();
	itest_login(&t, "alice@example.com", PW, false, T0);
	do_refresh(&c, t.refresh, T0 + 60);
	CU_ASSERT_EQUAL(c.status, 200);
	second = xstrdup(call_str(&c, "refresh_token"));
	call_clear(&c);
	/* Another tab presents the same token 5 s later: a concurrent refresh.
	 * It gets the same successor. */
	do_refresh(&c, t.refresh, T0 + 65);
	CU_ASSERT_EQUAL(c.status, 200);
	TU_ASSERT_STR_EQ(call_str(&c, "refresh_token"), second);
	call_clear(&c);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM refresh_tokens WHERE revoked_at IS "
	    "NOT NULL", NULL), 0);
	/* 30 s later: reuse. The whole session ends. */
	do_refresh(&c, t.refresh, T0 + 90);
	assert_deny(&c, "REFRESH_REUSED");
	call_clear(&c);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM sessions WHERE end_reason = "
	    "'REFRESH_REUSED'", NULL), 1);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM refresh_tokens WHERE revoked_at IS "
	    "NULL", NULL), 0);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM access_blacklist", NULL), 2);
	/* The successor says why. */
	do_refresh(&c, second, T0 + 91);
	assert_deny(&c, "SESSION_ENDED");
	TU_ASSERT_STR_EQ(call_str(&c, "ended_reason"), "REFRESH_REUSED");
	call_clear(&c);
	get_me(&c, t.access, T0 + 92);
	assert_deny(&c, "SESSION_ENDED");
	TU_ASSERT_STR_EQ(call_str(&c, "ended_reason"), "REFRESH_REUSED");
	call_clear(&c);
	free(second);
	tokens_clear(&t);
}

/* Audit L7: a replay within the grace (a thief a few seconds behind the
 * owner) used to get a second chain of its own that reuse detection never
 * saw. Now it gets the owner's successor: one live chain, and whichever
 * of the two holders uses it second is reuse. */
static void
test_a_replay_within_the_grace_shares_the_one_chain(void)
{
	struct tokens t;
	struct call c;
	char *r1, *r2, *a1;

	fresh();
	itest_login(&t, "alice@example.com", PW, false, T0);
	do_refresh(&c, t.refresh, T0 + 60); /* the owner: R0 -> R1 */
	CU_ASSERT_EQUAL_FATAL(c.status, 200);
	r1 = xstrdup(call_str(&c, "refresh_token"));
	call_clear(&c);
	do_refresh(&c, t.refresh, T0 + 65); /* the replay of R0 */
	CU_ASSERT_EQUAL_FATAL(c.status, 200);
	TU_ASSERT_STR_EQ(call_str(&c, "refresh_token"), r1);
	a1 = xstrdup(call_str(&c, "access_token"));
	call_clear(&c);
	me_ok(a1, T0 + 66);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM refresh_tokens WHERE "
	    "rotated_at IS NULL AND revoked_at IS NULL", NULL), 1);
	do_refresh(&c, r1, T0 + 120); /* the owner goes on: R1 -> R2 */
	CU_ASSERT_EQUAL(c.status, 200);
	r2 = xstrdup(call_str(&c, "refresh_token"));
	call_clear(&c);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM refresh_tokens WHERE "
	    "rotated_at IS NULL AND revoked_at IS NULL", NULL), 1);
	do_refresh(&c, r1, T0 + 200); /* the replayer's copy of R1: reuse */
	assert_deny(&c, "REFRESH_REUSED");
	call_clear(&c);
	do_refresh(&c, r2, T0 + 201);
	assert_deny(&c, "SESSION_ENDED");
	call_clear(&c);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM refresh_tokens WHERE "
	    "revoked_at IS NULL", NULL), 0);
	get_me(&c, a1, T0 + 202);
	assert_deny(&c, "SESSION_ENDED");
	call_clear(&c);
	free(r1);
	free(r2);
	free(a1);
	tokens_clear(&t);
}

static void
test_refresh_refusals_name_their_reason(void)
{
	struct tokens t;
	struct call c;

	fresh();
	itest_call(&c, "POST", "/refresh", "{}", NULL, T0);
	assert_deny(&c, "TOKEN_MISSING");
	call_clear(&c);
	do_refresh(&c, "not-a-token", T0);
	assert_deny(&c, "REFRESH_INVALID");
	call_clear(&c);
	do_refresh(&c, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", T0);
	assert_deny(&c, "REFRESH_INVALID");
	call_clear(&c);
	itest_cfg.refresh_token_lifetime = 10 * MIN;
	itest_login(&t, "alice@example.com", PW, false, T0);
	/* The two REFRESH_INVALID of one address in a burst are one row. */
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM auth_events WHERE kind = "
	    "'refresh_failed'", NULL), 2);
	do_refresh(&c, t.refresh, T0 + 10 * MIN);
	assert_deny(&c, "REFRESH_EXPIRED");
	call_clear(&c);
	tokens_clear(&t);
	itest_reset_config();
}

static void
test_refresh_with_the_background_header_does_not_slide_the_idle_timer(void)
{
	struct tokens t;
	struct call c;
	struct call_opts bg = { .activity = "background" };
	char *b;

	fresh();
	itest_login(&t, "alice@example.com", PW, false, T0);
	b = refresh_body(t.refresh);
	itest_call(&c, "POST", "/refresh", b, &bg, T0 + 10 * MIN);
	CU_ASSERT_EQUAL(c.status, 200);
	CU_ASSERT_EQUAL(call_int(&c, "session.idle_expires_at"), T0 + 30 * MIN);
	call_clear(&c);
	free(b);
	tokens_clear(&t);
}

/* ---- cookies and CSRF ---- */

static void
test_cookie_transport_sets_cookies_and_requires_csrf(void)
{
	struct call c;
	struct call_opts o = { .transport = "cookie" };
	char *access, *refresh, *csrf, *cookie, *rcookie, *next;
	size_t i;
	int refresh_paths = 0;

	fresh();
	itest_call(&c, "POST", "/login",
	    "{\"email\":\"alice@example.com\",\"password\":\"" PW "\"}", &o, T0);
	CU_ASSERT_EQUAL_FATAL(c.status, 200);
	CU_ASSERT_FALSE(call_has(&c, "refresh_token"));
	CU_ASSERT_FALSE(call_has(&c, "access_token"));
	TU_ASSERT_STR_EQ(call_str(&c, "token_type"), "Bearer");
	CU_ASSERT_EQUAL(call_int(&c, "expires_in"), 15 * MIN);
	CU_ASSERT_EQUAL(call_int(&c, "access_expires_at"), T0 + 15 * MIN);
	CU_ASSERT_EQUAL(call_int(&c, "refresh_expires_at"), T0 + 12 * HOUR);
	CU_ASSERT_PTR_NOT_NULL(call_str(&c, "session.id"));
	TU_ASSERT_STR_EQ(call_str(&c, "user.email"), "alice@example.com");
	CU_ASSERT_EQUAL(call_int(&c, "server_time"), T0);
	access = call_cookie(&c, "__Host-tether_access");
	refresh = call_cookie(&c, "__Secure-tether_refresh");
	csrf = call_cookie(&c, "__Host-tether_csrf");
	CU_ASSERT_PTR_NOT_NULL_FATAL(access);
	CU_ASSERT_PTR_NOT_NULL_FATAL(refresh);
	CU_ASSERT_PTR_NOT_NULL_FATAL(csrf);
	for (i = 0; i < c.resp.nheaders; i++) {
		const char *v = c.resp.headers[i].value;

		if (strncmp(v, "__Secure-tether_refresh=", 24) == 0) {
			CU_ASSERT_PTR_NOT_NULL(strstr(v, "HttpOnly"));
			CU_ASSERT_PTR_NOT_NULL(strstr(v, "Secure"));
			CU_ASSERT_PTR_NOT_NULL(strstr(v, "SameSite=Lax"));
			if (strstr(v, "Path=/api/auth/refresh") || strstr(v, "Path=/api/auth/logout"))
				refresh_paths++;
		}
		if (strncmp(v, "__Host-tether_access=", 21) == 0)
			CU_ASSERT_PTR_NOT_NULL(strstr(v, "Path=/;"));
		if (strncmp(v, "__Host-tether_csrf=", 19) == 0)
			CU_ASSERT_PTR_NULL(strstr(v, "HttpOnly"));
	}
	CU_ASSERT_EQUAL(refresh_paths, 2);
	call_clear(&c);

	cookie =
	    xasprintf("__Host-tether_access=%s; __Host-tether_csrf=%s", access, csrf);
	memset(&o, 0, sizeof(o));
	o.cookie = cookie;
	itest_call(&c, "GET", "/me", NULL, &o, T0 + 1);
	CU_ASSERT_EQUAL(c.status, 200);
	call_clear(&c);
	itest_call(&c, "POST", "/activity", NULL, &o, T0 + 2);
	CU_ASSERT_EQUAL(c.status, 403);
	TU_ASSERT_STR_EQ(call_str(&c, "error"), "csrf_failed");
	call_clear(&c);
	o.csrf = "wrong-value-of-the-same-len";
	itest_call(&c, "POST", "/activity", NULL, &o, T0 + 2);
	CU_ASSERT_EQUAL(c.status, 403);
	call_clear(&c);
	o.csrf = csrf;
	itest_call(&c, "POST", "/activity", NULL, &o, T0 + 3);
	CU_ASSERT_EQUAL(c.status, 200);
	call_clear(&c);

	rcookie =
	    xasprintf("__Secure-tether_refresh=%s; __Host-tether_csrf=%s", refresh, csrf);
	memset(&o, 0, sizeof(o));
	o.cookie = rcookie;
	itest_call(&c, "POST", "/refresh", NULL, &o, T0 + 4);
	CU_ASSERT_EQUAL(c.status, 403);
	call_clear(&c);
	o.csrf = csrf;
	o.transport = "cookie";
	itest_call(&c, "POST", "/refresh", NULL, &o, T0 + 5);
	CU_ASSERT_EQUAL(c.status, 200);
	CU_ASSERT_FALSE(call_has(&c, "access_token"));
	CU_ASSERT_FALSE(call_has(&c, "refresh_token"));
	CU_ASSERT_EQUAL(call_int(&c, "access_expires_at"), T0 + 5 + 15 * MIN);
	next = call_cookie(&c, "__Host-tether_access");
	CU_ASSERT_PTR_NOT_NULL(next);
	TU_ASSERT_STR_NE(tu_s(next), access);
	call_clear(&c);
	free(next);
	free(access);
	free(refresh);
	free(csrf);
	free(cookie);
	free(rcookie);
}

static void
test_body_transport_sets_no_cookies(void)
{
	struct call c;

	fresh();
	itest_cfg.token_transport = TRANSPORT_BODY;
	itest_call(&c, "POST", "/login",
	    "{\"email\":\"alice@example.com\",\"password\":\"" PW "\"}", NULL, T0);
	CU_ASSERT_EQUAL(c.status, 200);
	CU_ASSERT_PTR_NULL(call_header(&c, "Set-Cookie"));
	CU_ASSERT_PTR_NOT_NULL(call_str(&c, "refresh_token"));
	call_clear(&c);
	itest_reset_config();
}

static void
test_cookie_only_transport_puts_no_token_in_the_body(void)
{
	struct call c;
	struct call_opts o = { .transport = "cookie" };

	fresh();
	itest_cfg.token_transport = TRANSPORT_COOKIE;
	itest_call(&c, "POST", "/login",
	    "{\"email\":\"alice@example.com\",\"password\":\"" PW "\"}", NULL, T0);
	CU_ASSERT_EQUAL(c.status, 200);
	CU_ASSERT_FALSE(call_has(&c, "access_token"));
	CU_ASSERT_FALSE(call_has(&c, "refresh_token"));
	CU_ASSERT_PTR_NOT_NULL(call_str(&c, "session.id"));
	CU_ASSERT_EQUAL(call_cookie_count(&c), 4);
	call_clear(&c);
	/* Body transport sets no cookies, so the header cannot take the
	 * tokens out of the body. */
	itest_cfg.token_transport = TRANSPORT_BODY;
	itest_call(&c, "POST", "/login",
	    "{\"email\":\"alice@example.com\",\"password\":\"" PW "\"}", &o, T0);
	CU_ASSERT_EQUAL(c.status, 200);
	CU_ASSERT_PTR_NOT_NULL(call_str(&c, "access_token"));
	CU_ASSERT_PTR_NOT_NULL(call_str(&c, "refresh_token"));
	CU_ASSERT_EQUAL(call_cookie_count(&c), 0);
	call_clear(&c);
	itest_reset_config();
}

/* Logs in by cookie at now; returns the Cookie header a browser would
 * send to the refresh path (all three cookies), and the CSRF value. */
static char *
cookie_login(bool remember, time_t now, char **csrf, int64_t *max_age)
{
	struct call c;
	struct call_opts o = { .transport = "cookie" };
	char *body = xasprintf("{\"email\":\"alice@example.com\",\"password\":\"" PW
	    "\",\"remember_me\":%s}", remember ? "true" : "false");
	char *access, *refresh, *jar;

	itest_call(&c, "POST", "/login", body, &o, now);
	CU_ASSERT_EQUAL_FATAL(c.status, 200);
	access = call_cookie(&c, "__Host-tether_access");
	refresh = call_cookie(&c, "__Secure-tether_refresh");
	*csrf = call_cookie(&c, "__Host-tether_csrf");
	CU_ASSERT_FATAL(access != NULL && refresh != NULL && *csrf != NULL);
	*max_age = call_cookie_max_age(&c, "__Host-tether_access");
	/* Every cookie of a login lives as long. */
	CU_ASSERT_EQUAL(call_cookie_max_age(&c, "__Secure-tether_refresh"), *max_age);
	CU_ASSERT_EQUAL(call_cookie_max_age(&c, "__Host-tether_csrf"), *max_age);
	jar = xasprintf(
	    "__Host-tether_access=%s; __Secure-tether_refresh=%s; __Host-tether_csrf=%s",
	    access, refresh, *csrf);
	call_clear(&c);
	free(body);
	free(access);
	free(refresh);
	return jar;
}

static void
test_cookies_outlive_the_refresh_token_by_the_session_retention(void)
{
	struct call c;
	struct call_opts o = { .transport = "cookie" };
	char *jar, *csrf;
	int64_t age;

	fresh();
	jar = cookie_login(false, T0, &csrf, &age);
	CU_ASSERT_EQUAL(age, 12 * HOUR + 30 * DAY);
	o.cookie = jar;
	o.csrf = csrf;
	itest_call(&c, "POST", "/refresh", NULL, &o, T0 + 5 * MIN);
	CU_ASSERT_EQUAL(c.status, 200);
	/* The new refresh token is capped at the session's end: so are they. */
	CU_ASSERT_EQUAL(call_int(&c, "refresh_expires_at") - call_int(&c, "server_time"),
	    12 * HOUR - 5 * MIN);
	CU_ASSERT_EQUAL(call_cookie_max_age(&c, "__Host-tether_access"),
	    12 * HOUR - 5 * MIN + 30 * DAY);
	CU_ASSERT_EQUAL(call_cookie_max_age(&c, "__Secure-tether_refresh"),
	    12 * HOUR - 5 * MIN + 30 * DAY);
	CU_ASSERT_EQUAL(call_cookie_max_age(&c, "__Host-tether_csrf"),
	    12 * HOUR - 5 * MIN + 30 * DAY);
	call_clear(&c);
	/* An explicit logout still deletes them. */
	itest_call(&c, "POST", "/logout", NULL, &o, T0 + 6 * MIN);
	CU_ASSERT_EQUAL(c.status, 200);
	CU_ASSERT_EQUAL(call_cookie_count(&c), 4);
	CU_ASSERT_EQUAL(call_cookie_max_age(&c, "__Host-tether_access"), 0);
	CU_ASSERT_EQUAL(call_cookie_max_age(&c, "__Secure-tether_refresh"), 0);
	CU_ASSERT_EQUAL(call_cookie_max_age(&c, "__Host-tether_csrf"), 0);
	call_clear(&c);
	free(jar);
	free(csrf);

	jar = cookie_login(true, T0, &csrf, &age);
	CU_ASSERT_EQUAL(age, 20 * DAY + 30 * DAY);
	free(jar);
	free(csrf);
	itest_cfg.session_retention = 0;
	jar = cookie_login(false, T0, &csrf, &age);
	CU_ASSERT_EQUAL(age, 12 * HOUR);
	free(jar);
	free(csrf);
	itest_reset_config();
}

static void
test_dead_cookies_past_the_absolute_lifetime_get_session_expired(void)
{
	struct call c;
	struct call_opts o = { .csrf = NULL };
	struct cleanup_counts counts;
	char *jar, *csrf, *only_refresh;
	int64_t age;
	bool ran, more;

	fresh();
	itest_cfg.session_max_age = HOUR;
	itest_cfg.idle_timeout = 2 * HOUR;
	jar = cookie_login(false, T0, &csrf, &age);
	CU_ASSERT(age > HOUR); /* the browser still sends them after the end */
	o.cookie = jar;
	itest_call(&c, "GET", "/me", NULL, &o, T0 + HOUR + 60);
	assert_deny(&c, "SESSION_EXPIRED");
	TU_ASSERT_STR_EQ(call_str(&c, "ended_reason"), "EXPIRED");
	CU_ASSERT_EQUAL(call_int(&c, "ended_at"), T0 + HOUR);
	CU_ASSERT_EQUAL(call_cookie_count(&c), 0);
	call_clear(&c);
	o.csrf = csrf;
	itest_call(&c, "POST", "/refresh", NULL, &o, T0 + HOUR + 61);
	assert_deny(&c, "SESSION_EXPIRED");
	CU_ASSERT_EQUAL(call_int(&c, "ended_at"), T0 + HOUR);
	/* A 401 neither sets nor deletes a cookie: the next tab, the logout
	 * report and a reload must still be told why. */
	CU_ASSERT_EQUAL(call_cookie_count(&c), 0);
	call_clear(&c);

	/* Cleanup deletes the expired refresh token minutes later; the access
	 * cookie that comes with the refresh cookie still explains. */
	CU_ASSERT_EQUAL(store_cleanup(&itest_cfg, T0 + HOUR + 10 * MIN,
	                    &(const struct cleanup_pace){ 1000, 0, 0 }, NULL, &counts, &ran, &more),
	    STORE_OK);
	CU_ASSERT_FALSE(more);
	CU_ASSERT(ran);
	CU_ASSERT_EQUAL(counts.refresh_tokens, 1);
	itest_call(&c, "POST", "/refresh", NULL, &o, T0 + HOUR + 11 * MIN);
	assert_deny(&c, "SESSION_EXPIRED");
	TU_ASSERT_STR_EQ(call_str(&c, "ended_reason"), "EXPIRED");
	CU_ASSERT_EQUAL(call_int(&c, "ended_at"), T0 + HOUR);
	CU_ASSERT_EQUAL(call_cookie_count(&c), 0);
	call_clear(&c);
	/* The refresh cookie alone: nothing is left to say. */
	only_refresh = xasprintf("%s", strstr(jar, "__Secure-tether_refresh="));
	o.cookie = only_refresh;
	itest_call(&c, "POST", "/refresh", NULL, &o, T0 + HOUR + 12 * MIN);
	assert_deny(&c, "REFRESH_INVALID");
	call_clear(&c);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM auth_events WHERE kind = "
	    "'refresh_failed' AND reason = 'SESSION_EXPIRED' AND session_id IS NOT NULL", NULL),
	    2);
	free(only_refresh);
	free(jar);
	free(csrf);
	itest_reset_config();
}

static void
test_dead_cookies_of_an_idle_session_get_session_idle_timeout(void)
{
	struct call c;
	struct call_opts o = { .csrf = NULL };
	char *jar, *csrf;
	int64_t age;

	fresh();
	jar = cookie_login(false, T0, &csrf, &age);
	o.cookie = jar;
	itest_call(&c, "GET", "/session-info", NULL, &o, T0 + 31 * MIN);
	assert_deny(&c, "SESSION_IDLE_TIMEOUT");
	TU_ASSERT_STR_EQ(call_str(&c, "ended_reason"), "IDLE_TIMEOUT");
	CU_ASSERT_EQUAL(call_int(&c, "ended_at"), T0 + 30 * MIN);
	CU_ASSERT_EQUAL(call_int(&c, "idle_for_s"), 31 * MIN);
	CU_ASSERT_EQUAL(call_cookie_count(&c), 0);
	call_clear(&c);
	o.csrf = csrf;
	itest_call(&c, "POST", "/refresh", NULL, &o, T0 + 32 * MIN);
	assert_deny(&c, "SESSION_IDLE_TIMEOUT");
	CU_ASSERT_EQUAL(call_int(&c, "idle_for_s"), 32 * MIN);
	CU_ASSERT_EQUAL(call_cookie_count(&c), 0);
	call_clear(&c);
	/* A day later (revoked refresh tokens are deleted after one), a
	 * browser coming back is still told. */
	itest_call(&c, "GET", "/me", NULL, &o, T0 + 2 * DAY);
	assert_deny(&c, "SESSION_IDLE_TIMEOUT");
	CU_ASSERT_EQUAL(call_int(&c, "ended_at"), T0 + 30 * MIN);
	call_clear(&c);
	free(jar);
	free(csrf);
}

/* ---- logout ---- */

static void
test_logout_ends_the_session_and_is_idempotent(void)
{
	struct tokens t;
	struct call c;
	struct call_opts o;

	fresh();
	itest_login(&t, "alice@example.com", PW, false, T0);
	memset(&o, 0, sizeof(o));
	o.bearer = t.access;
	itest_call(&c, "POST", "/logout", NULL, &o, T0 + 5);
	CU_ASSERT_EQUAL(c.status, 200);
	call_clear(&c);
	itest_call(&c, "POST", "/logout", NULL, &o, T0 + 6);
	CU_ASSERT_EQUAL(c.status, 200);
	call_clear(&c);
	get_me(&c, t.access, T0 + 7);
	assert_deny(&c, "SESSION_ENDED");
	TU_ASSERT_STR_EQ(call_str(&c, "ended_reason"), "USER_LOGOUT");
	CU_ASSERT_EQUAL(call_int(&c, "ended_at"), T0 + 5);
	call_clear(&c);
	do_refresh(&c, t.refresh, T0 + 8);
	assert_deny(&c, "SESSION_ENDED");
	call_clear(&c);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM access_blacklist", NULL), 1);
	tokens_clear(&t);
}

static void
test_logout_with_only_a_refresh_token_ends_its_session(void)
{
	struct tokens t;
	struct call c;
	char *b;

	fresh();
	itest_login(&t, "alice@example.com", PW, false, T0);
	b = refresh_body(t.refresh);
	itest_call(&c, "POST", "/logout", b, NULL, T0 + 5);
	CU_ASSERT_EQUAL(c.status, 200);
	call_clear(&c);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM sessions WHERE end_reason = "
	    "'USER_LOGOUT'", NULL), 1);
	free(b);
	tokens_clear(&t);
}

static void
test_logout_all_ends_every_session_of_the_user(void)
{
	struct tokens a, b, other;
	struct call c;
	struct call_opts o;

	fresh();
	itest_user("bob@example.com", PW);
	itest_login(&a, "alice@example.com", PW, false, T0);
	itest_login(&b, "alice@example.com", PW, true, T0);
	itest_login(&other, "bob@example.com", PW, false, T0);
	memset(&o, 0, sizeof(o));
	o.bearer = a.access;
	itest_call(&c, "POST", "/logout-all", NULL, &o, T0 + 1);
	CU_ASSERT_EQUAL(c.status, 200);
	CU_ASSERT_EQUAL(call_int(&c, "ended"), 2);
	call_clear(&c);
	get_me(&c, b.access, T0 + 2);
	assert_deny(&c, "SESSION_ENDED");
	TU_ASSERT_STR_EQ(call_str(&c, "ended_reason"), "LOGOUT_ALL");
	call_clear(&c);
	get_me(&c, other.access, T0 + 2);
	CU_ASSERT_EQUAL(c.status, 200);
	call_clear(&c);
	tokens_clear(&a);
	tokens_clear(&b);
	tokens_clear(&other);
}

/* ---- sessions ---- */

static void
test_sessions_lists_and_revokes_the_users_own_sessions(void)
{
	struct tokens a, b, other;
	struct call c;
	struct call_opts o;
	char *path;

	fresh();
	itest_user("bob@example.com", PW);
	itest_login(&a, "alice@example.com", PW, false, T0);
	itest_login(&b, "alice@example.com", PW, false, T0 + 1);
	itest_login(&other, "bob@example.com", PW, false, T0);
	memset(&o, 0, sizeof(o));
	o.bearer = a.access;
	itest_call(&c, "GET", "/sessions", NULL, &o, T0 + 2);
	CU_ASSERT_EQUAL(c.status, 200);
	TU_ASSERT_STR_EQ(call_str(&c, "current"), a.sid);
	CU_ASSERT_EQUAL(json_object_array_length(json_object_object_get(c.json, "sessions")), 2);
	call_clear(&c);

	path = xasprintf("/sessions/%s", b.sid);
	itest_call(&c, "DELETE", path, NULL, &o, T0 + 3);
	CU_ASSERT_EQUAL(c.status, 200);
	CU_ASSERT(json_object_get_boolean(json_object_object_get(c.json, "ended")));
	call_clear(&c);
	itest_call(&c, "DELETE", path, NULL, &o, T0 + 4);
	CU_ASSERT_EQUAL(c.status, 200);
	CU_ASSERT_FALSE(json_object_get_boolean(json_object_object_get(c.json, "ended")));
	call_clear(&c);
	free(path);
	get_me(&c, b.access, T0 + 5);
	assert_deny(&c, "SESSION_ENDED");
	TU_ASSERT_STR_EQ(call_str(&c, "ended_reason"), "REVOKED_BY_USER");
	call_clear(&c);

	/* Someone else's session, an unknown one and a malformed id: 404. */
	path = xasprintf("/sessions/%s", other.sid);
	itest_call(&c, "DELETE", path, NULL, &o, T0 + 6);
	CU_ASSERT_EQUAL(c.status, 404);
	call_clear(&c);
	free(path);
	itest_call(&c, "DELETE", "/sessions/00000000-0000-4000-8000-000000000000", NULL, &o,
	    T0 + 6);
	CU_ASSERT_EQUAL(c.status, 404);
	call_clear(&c);
	itest_call(&c, "DELETE", "/sessions/xyz", NULL, &o, T0 + 6);
	CU_ASSERT_EQUAL(c.status, 404);
	call_clear(&c);
	get_me(&c, other.access, T0 + 7);
	CU_ASSERT_EQUAL(c.status, 200);
	call_clear(&c);
	tokens_clear(&a);
	tokens_clear(&b);
	tokens_clear(&other);
}

static void
test_session_info_gives_the_server_truth_for_timers(void)
{
	struct tokens t;
	struct call c;
	struct call_opts o;

	fresh();
	itest_login(&t, "alice@example.com", PW, false, T0);
	memset(&o, 0, sizeof(o));
	o.bearer = t.access;
	itest_call(&c, "GET", "/session-info", NULL, &o, T0 + 120);
	CU_ASSERT_EQUAL(c.status, 200);
	CU_ASSERT_EQUAL(call_int(&c, "server_time"), T0 + 120);
	TU_ASSERT_STR_EQ(call_str(&c, "session.id"), t.sid);
	CU_ASSERT_EQUAL(call_int(&c, "session.created_at"), T0);
	CU_ASSERT_EQUAL(call_int(&c, "session.last_active_at"), T0 + 120);
	CU_ASSERT_EQUAL(call_int(&c, "session.idle_expires_at"), T0 + 120 + 30 * MIN);
	CU_ASSERT_EQUAL(call_int(&c, "session.absolute_expires_at"), T0 + 12 * HOUR);
	CU_ASSERT_EQUAL(call_int(&c, "access.issued_at"), T0);
	CU_ASSERT_EQUAL(call_int(&c, "access.expires_at"), T0 + 15 * MIN);
	CU_ASSERT_EQUAL(call_int(&c, "refresh.expires_at"), T0 + 12 * HOUR);
	TU_ASSERT_STR_EQ(call_str(&c, "session.user_agent"), "itest");
	TU_ASSERT_STR_EQ(call_str(&c, "session.ip"), "127.0.0.1");
	CU_ASSERT_EQUAL(call_int(&c, "settings.warning_window_s"), 5 * MIN);
	CU_ASSERT_EQUAL(call_int(&c, "settings.activity_write_interval_s"), 60);
	CU_ASSERT_EQUAL(call_int(&c, "settings.access_token_lifetime_s"), 15 * MIN);
	CU_ASSERT_EQUAL(call_bool(&c, "settings.debug_panel"), 0);
	CU_ASSERT_EQUAL(json_object_object_length(json_object_object_get(c.json, "settings")), 4);
	call_clear(&c);
	/* POST /activity slides even within the coalescing step. */
	itest_call(&c, "POST", "/activity", NULL, &o, T0 + 150);
	CU_ASSERT_EQUAL(c.status, 200);
	CU_ASSERT_EQUAL(call_int(&c, "session.last_active_at"), T0 + 150);
	CU_ASSERT_EQUAL(call_int(&c, "settings.activity_write_interval_s"), 60);
	CU_ASSERT_EQUAL(call_int(&c, "settings.warning_window_s"), 5 * MIN);
	call_clear(&c);
	tokens_clear(&t);
}

/* The activity step of one session, from GET /session-info. */
static int64_t
session_step(bool remember)
{
	struct tokens t;
	struct call c;
	struct call_opts o = { .bearer = NULL };
	int64_t step;

	itest_login(&t, "alice@example.com", PW, remember, T0);
	o.bearer = t.access;
	itest_call(&c, "GET", "/session-info", NULL, &o, T0 + 1);
	CU_ASSERT_EQUAL(c.status, 200);
	step = call_int(&c, "settings.activity_write_interval_s");
	call_clear(&c);
	tokens_clear(&t);
	return step;
}

static void
test_session_info_settings_follow_the_sessions_own_idle_timeout(void)
{
	struct tokens t;
	struct call c;
	struct call_opts o = { .bearer = NULL };

	fresh();
	itest_cfg.idle_timeout = 5 * MIN;
	itest_cfg.idle_timeout_remember_me = 100;
	CU_ASSERT_EQUAL(session_step(false), 30);
	CU_ASSERT_EQUAL(session_step(true), 10);
	/* No idle timeout for remember-me: the configured step. */
	itest_cfg.idle_timeout_remember_me = 0;
	CU_ASSERT_EQUAL(session_step(true), 60);
	itest_cfg.debug_panel = true;
	itest_cfg.warning_window = 2 * MIN;
	itest_cfg.access_token_lifetime = 5 * MIN;
	itest_login(&t, "alice@example.com", PW, false, T0);
	o.bearer = t.access;
	itest_call(&c, "POST", "/activity", NULL, &o, T0 + 2);
	CU_ASSERT_EQUAL(c.status, 200);
	CU_ASSERT_EQUAL(call_bool(&c, "settings.debug_panel"), 1);
	CU_ASSERT_EQUAL(call_int(&c, "settings.warning_window_s"), 2 * MIN);
	CU_ASSERT_EQUAL(call_int(&c, "settings.access_token_lifetime_s"), 5 * MIN);
	call_clear(&c);
	tokens_clear(&t);
	itest_reset_config();
}

/* ---- password ---- */

static void
test_password_change_ends_the_other_sessions(void)
{
	struct tokens a, b;
	struct call c;
	struct call_opts o;

	fresh();
	itest_login(&a, "alice@example.com", PW, false, T0);
	itest_login(&b, "alice@example.com", PW, false, T0);
	memset(&o, 0, sizeof(o));
	o.bearer = a.access;
	itest_call(&c, "POST", "/password",
	    "{\"current_password\":\"wrong one!\",\"new_password\":\"a brand new one\"}", &o, T0 + 1);
	assert_deny(&c, "INVALID_CREDENTIALS");
	call_clear(&c);
	itest_call(&c, "POST", "/password",
	    "{\"current_password\":\"" PW "\",\"new_password\":\"short\"}", &o, T0 + 1);
	CU_ASSERT_EQUAL(c.status, 400);
	call_clear(&c);
	itest_call(&c, "POST", "/password",
	    "{\"current_password\":\"" PW "\",\"new_password\":\"a brand new one\"}", &o, T0 + 2);
	CU_ASSERT_EQUAL(c.status, 200);
	CU_ASSERT_EQUAL(call_int(&c, "ended"), 1);
	call_clear(&c);
	get_me(&c, a.access, T0 + 3);
	CU_ASSERT_EQUAL(c.status, 200);
	call_clear(&c);
	get_me(&c, b.access, T0 + 3);
	assert_deny(&c, "SESSION_ENDED");
	TU_ASSERT_STR_EQ(call_str(&c, "ended_reason"), "PASSWORD_CHANGED");
	call_clear(&c);
	itest_call(&c, "POST", "/login",
	    "{\"email\":\"alice@example.com\",\"password\":\"" PW "\"}", NULL, T0 + 4);
	assert_deny(&c, "INVALID_CREDENTIALS");
	call_clear(&c);
	itest_call(&c, "POST", "/login",
	    "{\"email\":\"alice@example.com\",\"password\":\"a brand new one\"}", NULL, T0 + 4);
	CU_ASSERT_EQUAL(c.status, 200);
	call_clear(&c);
	tokens_clear(&a);
	tokens_clear(&b);
}

/* ---- logout reports ---- */

static void
test_a_beacon_report_by_cookie_needs_no_csrf_and_is_no_activity(void)
{
	struct tokens t;
	struct call c;
	struct call_opts o = { .content_type = "text/plain;charset=UTF-8" };
	static const char *const refused[] = { "text/plainx", "text/html", "text/plain-json",
		NULL };
	size_t i;
	char id[24], *body;

	fresh();
	itest_login(&t, "alice@example.com", PW, false, T0);
	o.cookie = t.cookie; /* access and CSRF cookies, no X-CSRF-Token */
	/* L5: without a proof it is not forged (a same-site page can send
	 * exactly this), the report is taken but not attributed, and it
	 * never slides the idle timer. */
	itest_call(&c, "POST", "/logout-event",
	    "{\"type\":\"USER_ACTION\",\"message\":\"forged\"}", &o, T0 + 10 * MIN);
	CU_ASSERT_EQUAL(c.status, 202);
	CU_ASSERT_EQUAL(call_cookie_count(&c), 0);
	call_clear(&c);
	snprintf(id, sizeof(id), "%lld", (long long)uid);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM logout_events WHERE "
	    "user_id IS NULL AND session_id IS NULL AND message = 'forged'", NULL), 1);
	/* A wrong CSRF value in the body proves nothing either. */
	itest_call(&c, "POST", "/logout-event",
	    "{\"type\":\"USER_ACTION\",\"message\":\"forged2\","
	    "\"csrf\":\"AAAAAAAAAAAAAAAAAAAAAA\"}", &o, T0 + 10 * MIN);
	CU_ASSERT_EQUAL(c.status, 202);
	call_clear(&c);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM logout_events WHERE "
	    "user_id IS NULL AND message = 'forged2'", NULL), 1);
	/* sendBeacon: the CSRF value in the body is the proof. */
	body = xasprintf("{\"type\":\"USER_ACTION\",\"message\":\"bye\",\"csrf\":\"%s\"}",
	    t.csrf);
	itest_call(&c, "POST", "/logout-event", body, &o, T0 + 10 * MIN);
	free(body);
	CU_ASSERT_EQUAL(c.status, 202);
	CU_ASSERT_EQUAL(call_cookie_count(&c), 0);
	call_clear(&c);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM logout_events WHERE user_id = "
	    "$1::bigint AND session_id = $2::uuid AND type = 'USER_ACTION'", id, t.sid, NULL), 1);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT extract(epoch from last_active_at)::bigint "
	    "FROM sessions", NULL), T0);
	/* Sent once the session idled out, with X-CSRF-Token (fetch
	 * keepalive): still the user's own report. */
	o.csrf = t.csrf;
	itest_call(&c, "POST", "/logout-event",
	    "{\"type\":\"IDLE_TIMEOUT\",\"idle_minutes\":31}", &o, T0 + 31 * MIN);
	CU_ASSERT_EQUAL(c.status, 202);
	call_clear(&c);
	o.csrf = NULL;
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM logout_events l JOIN sessions s "
	    "ON s.id = l.session_id AND s.user_id = l.user_id WHERE s.id = $1::uuid", t.sid, NULL),
	    2);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM sessions WHERE end_reason = "
	    "'IDLE_TIMEOUT'", NULL), 1);
	for (i = 0; refused[i] != NULL; i++) {
		o.content_type = refused[i];
		itest_call(&c, "POST", "/logout-event", "{\"type\":\"UNKNOWN\"}", &o, T0 + 32 * MIN);
		CU_ASSERT_EQUAL(c.status, 400);
		call_clear(&c);
	}
	tokens_clear(&t);
}

static void
test_logout_reports_are_validated_stored_and_listed(void)
{
	struct tokens t;
	struct call c;
	struct call_opts o, text = { .content_type = "text/plain;charset=UTF-8" };
	char *big;

	fresh();
	itest_call(&c, "POST", "/logout-event",
	    "{\"type\":\"IDLE_TIMEOUT\",\"message\":\"Signed out after 30 minutes\","
	    "\"idle_minutes\":30.5,\"location\":\"/app.html\",\"context\":{\"tab\":1}}",
	    &text, T0);
	CU_ASSERT_EQUAL(c.status, 202);
	call_clear(&c);
	itest_call(&c, "POST", "/logout-event", "{\"type\":\"NOPE\"}", NULL, T0);
	CU_ASSERT_EQUAL(c.status, 400);
	call_clear(&c);
	/* L1: no control character in message or location (ESC, CR/LF, C1
	 * CSI), so none can reach an operator's terminal; other text is fine. */
	{
		static const char *const bad[] = {
			"{\"type\":\"UNKNOWN\",\"message\":\"bye\\u001b[2J\"}",
			"{\"type\":\"UNKNOWN\",\"message\":\"a\\r\\nLOGOUT EVENT\"}",
			"{\"type\":\"UNKNOWN\",\"message\":\"csi\\u009b2J\"}",
			"{\"type\":\"UNKNOWN\",\"message\":\"del\\u007f\"}",
			"{\"type\":\"UNKNOWN\",\"location\":\"/x\\u0085\"}",
			NULL };
		size_t k;

		for (k = 0; bad[k] != NULL; k++) {
			itest_call(&c, "POST", "/logout-event", bad[k], NULL, T0);
			CU_ASSERT_EQUAL(c.status, 400);
			call_clear(&c);
		}
		itest_call(&c, "POST", "/logout-event",
		    "{\"type\":\"UNKNOWN\","
		    "\"message\":\"Abgemeldet \\u2013 caf\\u00e9\"}",
		    NULL, T0);
		CU_ASSERT_EQUAL(c.status, 202);
		call_clear(&c);
		CU_ASSERT_EQUAL(
		    itest_sql_int("SELECT count(*) FROM logout_events", NULL), 2);
	}
	big = xmalloc(6000);
	memset(big, 'x', 5999);
	big[5999] = '\0';
	{
		char *b = xasprintf("{\"type\":\"UNKNOWN\",\"context\":{\"k\":\"%s\"}}", big);

		itest_call(&c, "POST", "/logout-event", b, NULL, T0);
		CU_ASSERT_EQUAL(c.status, 400);
		call_clear(&c);
		free(b);
	}
	free(big);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM logout_events WHERE user_id IS NULL "
	    "AND ip = '127.0.0.1' AND user_agent = 'itest' AND idle_minutes = 30.5", NULL), 1);

	itest_login(&t, "alice@example.com", PW, false, T0);
	memset(&o, 0, sizeof(o));
	o.bearer = t.access;
	itest_call(&c, "POST", "/logout-event", "{\"type\":\"USER_ACTION\",\"message\":\"bye\"}",
	    &o, T0 + 10);
	CU_ASSERT_EQUAL(c.status, 202);
	call_clear(&c);
	itest_call(&c, "POST", "/logout", NULL, &o, T0 + 11);
	call_clear(&c);
	{
		struct tokens t2;
		struct call_opts o2;

		itest_login(&t2, "alice@example.com", PW, false, T0 + 12);
		memset(&o2, 0, sizeof(o2));
		o2.bearer = t2.access;
		itest_call(&c, "GET", "/logout-events", NULL, &o2, T0 + 13);
		CU_ASSERT_EQUAL(c.status, 200);
		{
			json_object *ev = json_object_object_get(c.json, "events");

			CU_ASSERT_EQUAL_FATAL(json_object_array_length(ev), 2);
			TU_ASSERT_STR_EQ(json_object_get_string(json_object_object_get(
			    json_object_array_get_idx(ev, 0), "kind")), "session_end");
			TU_ASSERT_STR_EQ(json_object_get_string(json_object_object_get(
			    json_object_array_get_idx(ev, 0), "reason")), "USER_LOGOUT");
			TU_ASSERT_STR_EQ(json_object_get_string(json_object_object_get(
			    json_object_array_get_idx(ev, 1), "type")), "USER_ACTION");
		}
		call_clear(&c);
		tokens_clear(&t2);
	}
	tokens_clear(&t);
}

/* Audit L6: bytes PostgreSQL refuses were a 503, a lost audit row and
 * a false "database unreachable" alert. */
static void
test_a_user_agent_that_is_not_utf8_loses_no_audit_row(void)
{
	struct call c;
	struct call_opts bad = { .user_agent = "Mozilla \xff\xfe" };
	char *b, *ua;

	fresh();
	b = xasprintf("{\"email\":\"alice@example.com\",\"password\":\"wrong-%s\"}", PW);
	itest_call(&c, "POST", "/login", b, &bad, T0);
	CU_ASSERT_EQUAL(c.status, 401);
	call_clear(&c);
	free(b);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM auth_events WHERE kind = "
	    "'login_failed' AND user_agent = 'Mozilla \xef\xbf\xbd\xef\xbf\xbd'", NULL), 1);
	/* (One refusal only: identical refusals in a burst write one row.) */
	b = refresh_body("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	itest_call(&c, "POST", "/refresh", b, &bad, T0 + 2);
	CU_ASSERT_EQUAL(c.status, 401);
	call_clear(&c);
	free(b);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM auth_events WHERE kind = "
	    "'refresh_failed' AND user_agent = 'Mozilla \xef\xbf\xbd\xef\xbf\xbd'", NULL), 1);
	itest_call(&c, "POST", "/logout-event", "{\"type\":\"UNKNOWN\"}", &bad, T0 + 3);
	CU_ASSERT_EQUAL(c.status, 202);
	call_clear(&c);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM logout_events", NULL), 1);
	/* 511 bytes and a 2-byte character: the session keeps 511 of them,
	 * and the browser signs in. */
	ua = xasprintf("%0511d\xc3\xa9", 0);
	bad.user_agent = ua;
	b = xasprintf("{\"email\":\"alice@example.com\",\"password\":\"%s\"}", PW);
	itest_call(&c, "POST", "/login", b, &bad, T0 + 4);
	CU_ASSERT_EQUAL(c.status, 200);
	call_clear(&c);
	free(b);
	free(ua);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT octet_length(user_agent) FROM sessions", NULL), 511);
}

static void
test_a_nul_in_a_report_context_is_a_400_not_a_503(void)
{
	struct call c;

	fresh();
	itest_call(&c, "POST", "/logout-event",
	    "{\"type\":\"UNKNOWN\",\"context\":{\"a\":\"x\\u0000y\"}}", NULL, T0);
	CU_ASSERT_EQUAL(c.status, 400);
	call_clear(&c);
	itest_call(&c, "POST", "/logout-event",
	    "{\"type\":\"UNKNOWN\",\"context\":{\"a\\u0000\":1}}", NULL, T0);
	CU_ASSERT_EQUAL(c.status, 400);
	call_clear(&c);
	/* An escaped backslash followed by "u0000" is no NUL. */
	itest_call(&c, "POST", "/logout-event",
	    "{\"type\":\"UNKNOWN\",\"context\":{\"a\":\"\\\\u0000\"}}", NULL, T0);
	CU_ASSERT_EQUAL(c.status, 202);
	call_clear(&c);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM logout_events", NULL), 1);
}

/* ---- login throttling ---- */

static void
fail_login(const char *email, const char *addr, time_t now, int want)
{
	struct call c;
	struct call_opts o = { .remote_addr = addr };
	char *b = xasprintf("{\"email\":\"%s\",\"password\":\"wrong password\"}", email);

	itest_call(&c, "POST", "/login", b, &o, now);
	CU_ASSERT_EQUAL(c.status, want);
	if (want == 429) {
		TU_ASSERT_STR_EQ(call_str(&c, "error"), "too_many_attempts");
		CU_ASSERT_PTR_NOT_NULL(call_header(&c, "Retry-After"));
	}
	call_clear(&c);
	free(b);
}

static void
test_too_many_failures_for_an_email_get_429_and_recover_after_the_window(void)
{
	struct call c;
	struct call_opts o = { .remote_addr = "10.0.0.99" };
	int i;

	fresh();
	for (i = 0; i < 10; i++)
		fail_login("alice@example.com", i % 2 ? "10.0.0.1" : "10.0.0.2", T0 + i, 401);
	fail_login("Alice@Example.com", "10.0.0.3", T0 + 20, 429);
	/* Even the right password waits: the answer must not reveal it. */
	itest_call(&c, "POST", "/login", "{\"email\":\"alice@example.com\",\"password\":\""
	    PW "\"}", &o, T0 + 21);
	CU_ASSERT_EQUAL(c.status, 429);
	/* The oldest failure (T0) leaves the 15-minute window at T0 + 900. */
	TU_ASSERT_STR_EQ(call_header(&c, "Retry-After"), "879");
	call_clear(&c);
	itest_call(&c, "POST", "/login", "{\"email\":\"alice@example.com\",\"password\":\""
	    PW "\"}", &o, T0 + 901);
	CU_ASSERT_EQUAL(c.status, 200);
	call_clear(&c);
}

static void
test_an_unknown_email_is_throttled_the_same_way(void)
{
	int i;

	fresh();
	for (i = 0; i < 10; i++)
		fail_login("nobody@example.com", "10.0.1.1", T0 + i, 401);
	fail_login("nobody@example.com", "10.0.1.2", T0 + 11, 429);
}

static void
test_too_many_failures_from_one_address_get_429_for_every_email(void)
{
	struct call c;
	struct call_opts o = { .remote_addr = "10.0.2.1" };
	char email[64];
	int i;

	fresh();
	for (i = 0; i < 9; i++) {
		snprintf(email, sizeof(email), "user%d@example.com", i);
		fail_login(email, "10.0.2.1", T0 + i, 401);
	}
	/* A success of alice from that address resets alice's count only. */
	itest_call(&c, "POST", "/login", "{\"email\":\"alice@example.com\",\"password\":\""
	    PW "\"}", &o, T0 + 10);
	CU_ASSERT_EQUAL(c.status, 200);
	call_clear(&c);
	fail_login("user9@example.com", "10.0.2.1", T0 + 11, 401);
	fail_login("someone@example.com", "10.0.2.1", T0 + 12, 429);
	itest_call(&c, "POST", "/login", "{\"email\":\"alice@example.com\",\"password\":\""
	    PW "\"}", &o, T0 + 13);
	CU_ASSERT_EQUAL(c.status, 429);
	call_clear(&c);
	/* Another address is not affected. */
	fail_login("someone@example.com", "10.0.2.2", T0 + 14, 401);
}

/* L2: every variant that PostgreSQL's lower() folds onto the account's
 * email counts for that account: the Kelvin sign and the dotted capital I. */
static void
test_case_variants_of_an_email_count_for_one_account(void)
{
	static const char *const variants[] = {
		"\xe2\x84\xaaiki@example.com",                 /* U+212A KELVIN SIGN */
		"k\xc4\xb0k\xc4\xb0@example.com",              /* U+0130 I WITH DOT */
		"KIKI@example.com",
		"\xe2\x84\xaa\xc4\xb0ki@example.com",
	};
	struct call c;
	struct call_opts o = { .remote_addr = "10.0.3.4" };
	int i;

	fresh();
	/* The variants are one account only where lower() folds them (a
	 * UTF-8 ctype; the test cluster is C.UTF-8). */
	CU_ASSERT_EQUAL_FATAL(itest_sql_int("SELECT count(*) FROM (VALUES ($1), ($2), ($3), "
	    "($4)) v(e) WHERE lower(e) = 'kiki@example.com'", variants[0], variants[1],
	    variants[2], variants[3], NULL), 4);
	(void)itest_user("kiki@example.com", PW);
	for (i = 0; i < 10; i++)
		fail_login(variants[i % 4], i % 2 ? "10.0.3.1" : "10.0.3.2", T0 + i, 401);
	fail_login("kiki@example.com", "10.0.3.3", T0 + 11, 429);
	/* An email no account can have, not even UTF-8, is a failure like
	 * any other: never sent to lower(), never a 503. */
	itest_call(&c, "POST", "/login", "{\"email\":\"k\xffk@example.com\",\"password\":"
	    "\"wrong password\"}", &o, T0 + 12);
	CU_ASSERT(c.status == 401 || c.status == 400);
	call_clear(&c);
}

/* M2: every sign-in from one address is counted, successes too, and
 * /register and /password share that budget. */
static void
test_an_address_gets_429_after_its_budget_of_password_hashes(void)
{
	struct call c;
	struct call_opts o = { .remote_addr = "10.0.4.1" }, other = { .remote_addr = "10.0.4.2" };
	struct tokens t;
	int i;

	fresh();
	itest_cfg.address_max_attempts = 4;
	for (i = 0; i < 3; i++) {
		itest_call(&c, "POST", "/login", "{\"email\":\"alice@example.com\",\"password\":\""
		    PW "\"}", &o, T0 + i);
		CU_ASSERT_EQUAL(c.status, 200);
		call_clear(&c);
	}
	itest_call(&c, "POST", "/register",
	    "{\"email\":\"bob@example.com\",\"password\":\"" PW "\"}", &o, T0 + 3);
	CU_ASSERT_EQUAL(c.status, 201);
	call_clear(&c);
	itest_call(&c, "POST", "/register",
	    "{\"email\":\"carol@example.com\",\"password\":\"" PW "\"}", &o, T0 + 4);
	CU_ASSERT_EQUAL(c.status, 429);
	TU_ASSERT_STR_EQ(call_str(&c, "error"), "too_many_attempts");
	/* The first of the four leaves the 15-minute window at T0 + 900. */
	TU_ASSERT_STR_EQ(call_header(&c, "Retry-After"), "896");
	call_clear(&c);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM users", NULL), 2);
	itest_call(&c, "POST", "/login", "{\"email\":\"alice@example.com\",\"password\":\""
	    PW "\"}", &o, T0 + 5);
	CU_ASSERT_EQUAL(c.status, 429);
	call_clear(&c);
	/* Another address, and the routes that hash nothing, still answer. */
	itest_call(&c, "POST", "/login", "{\"email\":\"alice@example.com\",\"password\":\""
	    PW "\"}", &other, T0 + 6);
	CU_ASSERT_EQUAL(c.status, 200);
	call_clear(&c);
	itest_login(&t, "alice@example.com", PW, false, T0 + 7);
	o.bearer = t.access;
	itest_call(&c, "GET", "/me", NULL, &o, T0 + 8);
	CU_ASSERT_EQUAL(c.status, 200);
	call_clear(&c);
	itest_call(&c, "POST", "/password",
	    "{\"current_password\":\"" PW "\",\"new_password\":\"a brand new one\"}", &o, T0 + 8);
	CU_ASSERT_EQUAL(c.status, 429);
	call_clear(&c);
	itest_call(&c, "POST", "/login", "{\"email\":\"alice@example.com\",\"password\":\""
	    PW "\"}", &o, T0 + 900);
	CU_ASSERT_EQUAL(c.status, 200);
	call_clear(&c);
	tokens_clear(&t);
	itest_reset_config();
}

/* M2: with every slot of the host's hashes in flight taken, a sign-in is a
 * 503 with Retry-After at once, and it counts as no attempt. */
static void
test_a_full_hash_gate_answers_503_at_once(void)
{
	char path[] = "/tmp/tether-itest-gate.XXXXXX";
	int fd = mkstemp(path), ack[2], hold[2], status;
	pid_t pid;
	char ch = 0;
	struct call c;
	struct tokens t;
	struct call_opts o;

	fresh();
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	CU_ASSERT_EQUAL_FATAL(hashgate_open(path, "test"), 0);
	unlink(path);
	itest_cfg.hash_concurrency = 1;
	itest_login(&t, "alice@example.com", PW, false, T0);
	/* Another worker hashing: a child holding the one slot until it is
	 * killed, as a worker can be. */
	CU_ASSERT_FATAL(pipe(ack) == 0 && pipe(hold) == 0);
	if ((pid = fork()) == 0) {
		close(hold[1]);
		ch = hashgate_enter(1) ? 'y' : 'n';
		(void)!write(ack[1], &ch, 1);
		(void)!read(hold[0], &ch, 1); /* never written: waits for the kill */
		_exit(0);
	}
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT_EQUAL(read(ack[0], &ch, 1), 1);
	CU_ASSERT_EQUAL(ch, 'y');
	itest_call(&c, "POST", "/login", "{\"email\":\"alice@example.com\",\"password\":\""
	    PW "\"}", NULL, T0 + 1);
	CU_ASSERT_EQUAL(c.status, 503);
	TU_ASSERT_STR_EQ(call_str(&c, "error"), "busy");
	TU_ASSERT_STR_EQ(call_header(&c, "Retry-After"), "1");
	call_clear(&c);
	itest_call(&c, "POST", "/register",
	    "{\"email\":\"bob@example.com\",\"password\":\"" PW "\"}", NULL, T0 + 1);
	CU_ASSERT_EQUAL(c.status, 503);
	call_clear(&c);
	memset(&o, 0, sizeof(o));
	o.bearer = t.access;
	itest_call(&c, "POST", "/password",
	    "{\"current_password\":\"" PW "\",\"new_password\":\"a brand new one\"}", &o, T0 + 1);
	CU_ASSERT_EQUAL(c.status, 503);
	call_clear(&c);
	itest_call(&c, "GET", "/me", NULL, &o, T0 + 1);
	CU_ASSERT_EQUAL(c.status, 200);
	call_clear(&c);
	/* Only the registration and the sign-in before: a busy answer counts
	 * as no attempt. */
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM login_attempts", NULL), 2);
	/* The holder dies without leaving: its slot is taken over. */
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(ack[0]);
	close(ack[1]);
	close(hold[0]);
	close(hold[1]);
	itest_call(&c, "POST", "/login", "{\"email\":\"alice@example.com\",\"password\":\""
	    PW "\"}", NULL, T0 + 2);
	CU_ASSERT_EQUAL(c.status, 200);
	call_clear(&c);
	tokens_clear(&t);
	hashgate_close();
	itest_reset_config();
}

/* L3: wrong current passwords count against the account's login limit; at
 * the limit the session ends (PASSWORD_GUESSES), and /login is throttled. */
static void
test_wrong_current_passwords_are_throttled_and_end_the_session(void)
{
	struct tokens a, b;
	struct call c;
	struct call_opts o;
	int i;

	fresh();
	itest_login(&a, "alice@example.com", PW, false, T0);
	itest_login(&b, "alice@example.com", PW, false, T0);
	memset(&o, 0, sizeof(o));
	o.bearer = a.access;
	itest_cfg.login_max_attempts = 3;
	for (i = 0; i < 2; i++) {
		itest_call(&c, "POST", "/password", "{\"current_password\":\"wrong one!\","
		    "\"new_password\":\"a brand new one\"}", &o, T0 + 1 + i);
		assert_deny(&c, "INVALID_CREDENTIALS");
		call_clear(&c);
	}
	get_me(&c, a.access, T0 + 3);
	CU_ASSERT_EQUAL(c.status, 200);
	call_clear(&c);
	itest_call(&c, "POST", "/password", "{\"current_password\":\"wrong one!\","
	    "\"new_password\":\"a brand new one\"}", &o, T0 + 4);
	assert_deny(&c, "INVALID_CREDENTIALS");
	/* The cookies are not cleared: a browser's next request must be told
	 * why its session ended, not that it has no token. */
	CU_ASSERT_EQUAL(call_cookie_count(&c), 0);
	call_clear(&c);
	get_me(&c, a.access, T0 + 5);
	assert_deny(&c, "SESSION_ENDED");
	TU_ASSERT_STR_EQ(call_str(&c, "ended_reason"), "PASSWORD_GUESSES");
	call_clear(&c);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM auth_events WHERE kind = "
	    "'password_failed'", NULL), 3);
	/* The other session is not the guesser's, but the account's limit is
	 * shared: it waits too, even with the right password. */
	o.bearer = b.access;
	itest_call(&c, "POST", "/password",
	    "{\"current_password\":\"" PW "\",\"new_password\":\"a brand new one\"}", &o, T0 + 6);
	CU_ASSERT_EQUAL(c.status, 429);
	CU_ASSERT_PTR_NOT_NULL(call_header(&c, "Retry-After"));
	call_clear(&c);
	itest_call(&c, "POST", "/login", "{\"email\":\"alice@example.com\",\"password\":\""
	    PW "\"}", NULL, T0 + 7);
	CU_ASSERT_EQUAL(c.status, 429);
	call_clear(&c);
	tokens_clear(&a);
	tokens_clear(&b);
	itest_reset_config();
}

#define NGUESS 8

/* I5: NGUESS parallel wrong guesses at one account, limit 3: exactly 3 are
 * checked (401), the rest refused (429), each worker on its own connection. */
static void
test_parallel_guesses_cannot_overshoot_the_limit(void)
{
	int go[2], res[2], i, status, got, n401 = 0, n429 = 0;
	pid_t pids[NGUESS];
	char ch;

	fresh();
	itest_cfg.login_max_attempts = 3;
	store_close(); /* a child must not share the parent's connection */
	CU_ASSERT_FATAL(pipe(go) == 0 && pipe(res) == 0);
	for (i = 0; i < NGUESS; i++) {
		if ((pids[i] = fork()) == 0) {
			struct call c;
			struct call_opts o = { .remote_addr = "10.0.5.1" };

			close(go[1]);
			got = store_open(itest_cfg.database_url) == STORE_OK ? 0 : -1;
			(void)store_ping();
			(void)!read(go[0], &ch, 1); /* blocks until the parent closes */
			if (got == 0) {
				itest_call(&c, "POST", "/login", "{\"email\":\"alice@example.com\","
				    "\"password\":\"wrong password\"}", &o, T0 + 1);
				got = c.status;
				call_clear(&c);
			}
			(void)!write(res[1], &got, sizeof(got));
			store_close();
			_exit(0);
		}
	}
	close(go[0]);
	/* Let every child connect and block on the pipe. */
	nanosleep(&(struct timespec){ .tv_nsec = 300000000 }, NULL);
	close(go[1]);
	for (i = 0; i < NGUESS; i++) {
		got = 0;
		CU_ASSERT_EQUAL(read(res[0], &got, sizeof(got)), (ssize_t)sizeof(got));
		n401 += got == 401;
		n429 += got == 429;
	}
	for (i = 0; i < NGUESS; i++)
		waitpid(pids[i], &status, 0);
	close(res[0]);
	close(res[1]);
	CU_ASSERT_EQUAL_FATAL(store_open(itest_cfg.database_url), STORE_OK);
	CU_ASSERT_EQUAL(n401, 3);
	CU_ASSERT_EQUAL(n429, NGUESS - 3);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM auth_events WHERE kind = "
	    "'login_failed'", NULL), 3);
	itest_reset_config();
}

/* M3: logout reports have a budget per address, and each stored field a
 * bound (the User-Agent cut at a character boundary). */
static void
test_logout_reports_have_a_budget_per_address_and_bounded_fields(void)
{
	struct call c;
	struct call_opts o = { .remote_addr = "10.0.6.1" }, other = { .remote_addr = "10.0.6.2" };
	char *ua = xcalloc(1, 3 * 1000 + 1), *stored;
	int i;

	fresh();
	for (i = 0; i < 1000; i++)
		memcpy(ua + 3 * i, "\xe2\x82\xac", 3); /* EURO SIGN, 3 bytes */
	o.user_agent = ua;
	itest_cfg.address_max_writes = 3;
	for (i = 0; i < 3; i++) {
		itest_call(&c, "POST", "/logout-event", "{\"type\":\"UNKNOWN\"}", &o, T0 + i);
		CU_ASSERT_EQUAL(c.status, 202);
		call_clear(&c);
	}
	itest_call(&c, "POST", "/logout-event", "{\"type\":\"UNKNOWN\"}", &o, T0 + 3);
	CU_ASSERT_EQUAL(c.status, 429);
	TU_ASSERT_STR_EQ(call_str(&c, "error"), "too_many_requests");
	TU_ASSERT_STR_EQ(call_header(&c, "Retry-After"), "897");
	call_clear(&c);
	itest_call(&c, "POST", "/logout-event", "{\"type\":\"UNKNOWN\"}", &other, T0 + 4);
	CU_ASSERT_EQUAL(c.status, 202);
	call_clear(&c);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM logout_events", NULL), 4);
	/* 510 bytes: 170 whole euro signs, the 171st would pass 512. */
	CU_ASSERT_EQUAL(itest_sql_int("SELECT max(octet_length(user_agent)) FROM "
	    "logout_events", NULL), 510);
	stored = itest_sql("SELECT user_agent FROM logout_events WHERE ip = '10.0.6.1' "
	    "LIMIT 1", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(stored);
	CU_ASSERT_EQUAL(strncmp(stored, ua, 510), 0);
	free(stored);
	free(ua);
	itest_reset_config();
}

/* M3: identical refresh failures from one address in a burst are one row;
 * past the address's budget none is written; the 401 is the same. */
static void
test_refresh_failures_in_a_burst_write_one_row_within_a_budget(void)
{
	struct call c;
	struct call_opts o = { .remote_addr = "10.0.7.1" };
	char *ua = xcalloc(1, 4000 + 1);
	int i;

	fresh();
	memset(ua, 'u', 4000);
	for (i = 0; i < 5; i++) {
		itest_call(&c, "POST", "/refresh", "{\"refresh_token\":\"not-a-token\"}", &o,
		    T0 + i);
		assert_deny(&c, "REFRESH_INVALID");
		call_clear(&c);
	}
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM auth_events WHERE kind = "
	    "'refresh_failed'", NULL), 1);
	/* Another reason, another address, or after the burst: a row each. */
	itest_call(&c, "POST", "/refresh", "{}", &o, T0 + 5);
	assert_deny(&c, "TOKEN_MISSING");
	call_clear(&c);
	o.remote_addr = "10.0.7.2";
	o.user_agent = ua;
	itest_call(&c, "POST", "/refresh", "{\"refresh_token\":\"not-a-token\"}", &o, T0 + 6);
	call_clear(&c);
	o.remote_addr = "10.0.7.1";
	itest_call(&c, "POST", "/refresh", "{\"refresh_token\":\"not-a-token\"}", &o, T0 + 100);
	call_clear(&c);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM auth_events WHERE kind = "
	    "'refresh_failed'", NULL), 4);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT max(octet_length(user_agent)) FROM "
	    "auth_events", NULL), 512);
	/* Every failure above took the budget, duplicates too: the 8th write
	 * of the address is its last in the window; after it, still 401, but
	 * no row. */
	itest_cfg.address_max_writes = 8;
	itest_call(&c, "POST", "/refresh", "{}", &o, T0 + 200);
	assert_deny(&c, "TOKEN_MISSING");
	call_clear(&c);
	itest_call(&c, "POST", "/refresh", "{}", &o, T0 + 300);
	assert_deny(&c, "TOKEN_MISSING");
	call_clear(&c);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM auth_events WHERE kind = "
	    "'refresh_failed'", NULL), 5);
	free(ua);
	itest_reset_config();
}

/* ---- metrics ---- */

static void
test_metrics_are_served_only_to_allowed_addresses_and_move(void)
{
	struct call c;
	struct call_opts far = { .remote_addr = "192.0.2.7" };
	struct tokens t;

	fresh();
	itest_call(&c, "GET", "/metrics", NULL, &far, T0);
	CU_ASSERT_EQUAL(c.status, 403);
	call_clear(&c);
	itest_login(&t, "alice@example.com", PW, false, T0);
	itest_call(&c, "GET", "/metrics", NULL, NULL, T0 + 1);
	CU_ASSERT_EQUAL(c.status, 200);
	CU_ASSERT_PTR_NOT_NULL(strstr(tu_s(call_header(&c, "Content-Type")), "version=0.0.4"));
	CU_ASSERT_PTR_NOT_NULL(strstr(tu_s(c.resp.body), "tether_database_up 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(tu_s(c.resp.body), "tether_active_sessions 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(tu_s(c.resp.body), "tether_logins_total{outcome=\"ok\"} "));
	call_clear(&c);
	tokens_clear(&t);
}

/* ---- the database going away ---- */

static void
test_a_database_outage_is_503_never_401_and_the_store_reconnects(void)
{
	struct tokens t;
	struct call c;

	fresh();
	itest_login(&t, "alice@example.com", PW, false, T0);
	/* The server drops our connection: the next request still works. */
	free(itest_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
	    "datname = current_database() AND pid <> pg_backend_pid()", NULL));
	get_me(&c, t.access, T0 + 1);
	CU_ASSERT_EQUAL(c.status, 200);
	call_clear(&c);
	/* A database that cannot be reached: 503 with Retry-After. */
	store_close();
	CU_ASSERT_EQUAL(store_open("host=/nonexistent-tether-socket-dir dbname=x connect_timeout=1"),
	    STORE_UNAVAILABLE);
	get_me(&c, t.access, T0 + 2);
	CU_ASSERT_EQUAL(c.status, 503);
	TU_ASSERT_STR_EQ(call_str(&c, "error"), "unavailable");
	CU_ASSERT_PTR_NOT_NULL(call_header(&c, "Retry-After"));
	call_clear(&c);
	do_refresh(&c, t.refresh, T0 + 2);
	CU_ASSERT_EQUAL(c.status, 503);
	call_clear(&c);
	itest_call(&c, "POST", "/login",
	    "{\"email\":\"alice@example.com\",\"password\":\"" PW "\"}", NULL, T0 + 2);
	CU_ASSERT_EQUAL(c.status, 503);
	call_clear(&c);
	itest_call(&c, "GET", "/health", NULL, NULL, T0 + 2);
	CU_ASSERT_EQUAL(c.status, 503);
	call_clear(&c);
	itest_call(&c, "GET", "/settings", NULL, NULL, T0 + 2);
	CU_ASSERT_EQUAL(c.status, 200);
	CU_ASSERT_EQUAL(call_int(&c, "idle_timeout_s"), 30 * MIN);
	call_clear(&c);
	CU_ASSERT_EQUAL(store_open(itest_cfg.database_url), STORE_OK);
	get_me(&c, t.access, T0 + 3);
	CU_ASSERT_EQUAL(c.status, 200);
	call_clear(&c);
	tokens_clear(&t);
}

/*
 * A refresh that finds its session row locked by another transaction (a
 * stuck job, an operator's open psql) with the given limits in seconds:
 * 503 with Retry-After once a limit cancels it, never 401, nothing of it
 * written, and the same token refreshes once the lock is gone (audit I4).
 */
static void
check_a_held_lock_is_503(int64_t statement_timeout, int64_t lock_timeout)
{
	struct tokens t;
	struct call c;
	PGconn *holder = PQconnectdb(getenv("TETHER_TEST_DATABASE_URL"));
	PGresult *res;
	uint64_t conn;

	CU_ASSERT_FATAL(PQstatus(holder) == CONNECTION_OK);
	store_close();
	store_set_limits(&(struct store_limits){ .statement_timeout = statement_timeout,
	    .lock_timeout = lock_timeout });
	CU_ASSERT_EQUAL_FATAL(store_open(itest_cfg.database_url), STORE_OK);
	fresh();
	itest_login(&t, "alice@example.com", PW, false, T0);
	/* Without a limit the refresh would wait for good: the holder lets go
	 * after 10 s, and the refresh then succeeds (and this test fails). */
	res = PQexec(holder, "SET idle_in_transaction_session_timeout = '10s'; BEGIN; "
	    "SELECT id FROM sessions FOR UPDATE");
	CU_ASSERT_EQUAL(PQresultStatus(res), PGRES_TUPLES_OK);
	PQclear(res);
	conn = store_connection_id();
	do_refresh(&c, t.refresh, T0 + 1);
	CU_ASSERT_EQUAL(c.status, 503);
	TU_ASSERT_STR_EQ(call_str(&c, "error"), "unavailable");
	CU_ASSERT_PTR_NOT_NULL(call_header(&c, "Retry-After"));
	call_clear(&c);
	PQclear(PQexec(holder, "ROLLBACK"));
	PQfinish(holder);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM refresh_tokens WHERE "
	    "rotated_at IS NOT NULL OR revoked_at IS NOT NULL", NULL), 0);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT count(*) FROM sessions WHERE ended_at IS NOT NULL",
	    NULL), 0);
	do_refresh(&c, t.refresh, T0 + 2);
	CU_ASSERT_EQUAL(c.status, 200);
	call_clear(&c);
	/* The server cancelled the statement: the connection lived on (the
	 * worker's own give-up, which drops it, is for a server that cannot). */
	CU_ASSERT_EQUAL(store_connection_id(), conn);
	tokens_clear(&t);
	store_close();
	store_set_limits(&(struct store_limits){ 0 });
	CU_ASSERT_EQUAL(store_open(itest_cfg.database_url), STORE_OK);
}

static void
test_a_held_row_lock_is_503_after_lock_timeout(void)
{
	check_a_held_lock_is_503(30, 1);
}

/* No lock_timeout: the statement_timeout cancels the wait just the same. */
static void
test_a_held_row_lock_is_503_after_statement_timeout(void)
{
	check_a_held_lock_is_503(1, 0);
}

/* ---- the session cache (these run with it on) ---- */

static void
test_a_cached_session_is_verified_without_a_round_trip(void)
{
	struct tokens t;
	struct call c;
	uint64_t n;

	fresh();
	itest_login(&t, "alice@example.com", PW, false, T0);
	me_ok(t.access, T0 + 1);
	n = store_statements_sent();
	get_me(&c, t.access, T0 + 2);
	CU_ASSERT_EQUAL(c.status, 200);
	TU_ASSERT_STR_EQ(call_str(&c, "user.email"), "alice@example.com");
	TU_ASSERT_STR_EQ(call_header(&c, "X-Session-Idle-Expires-In"), "1798");
	call_clear(&c);
	CU_ASSERT_EQUAL(store_statements_sent(), n);
	/* One activity write step later the database is asked, and written. */
	me_ok(t.access, T0 + 60);
	CU_ASSERT_TRUE(store_statements_sent() > n);
	CU_ASSERT_EQUAL(itest_sql_int("SELECT extract(epoch from last_active_at)::bigint "
	    "FROM sessions", NULL), T0 + 60);
	tokens_clear(&t);
}

static void
test_a_session_ended_behind_the_api_is_refused_at_the_next_request(void)
{
	struct tokens t;
	struct call c;
	char at[24];

	fresh();
	itest_login(&t, "alice@example.com", PW, false, T0);
	me_ok(t.access, T0 + 1);
	me_ok(t.access, T0 + 2);
	/* As tetherctl or psql would: the cache hears of it by notification. */
	snprintf(at, sizeof(at), "%lld", (long long)(T0 + 3));
	free(itest_sql("UPDATE sessions SET ended_at = to_timestamp($1::bigint), "
	    "end_reason = 'REVOKED_BY_ADMIN'", at, NULL));
	get_me(&c, t.access, T0 + 4);
	assert_deny(&c, "SESSION_ENDED");
	TU_ASSERT_STR_EQ(call_str(&c, "ended_reason"), "REVOKED_BY_ADMIN");
	call_clear(&c);
	tokens_clear(&t);
}

static void
test_a_user_disabled_behind_the_api_is_refused_at_the_next_request(void)
{
	struct tokens t;
	struct call c;

	fresh();
	itest_login(&t, "alice@example.com", PW, false, T0);
	me_ok(t.access, T0 + 1);
	free(itest_sql("UPDATE users SET disabled = true", NULL));
	get_me(&c, t.access, T0 + 2);
	assert_deny(&c, "SESSION_ENDED");
	TU_ASSERT_STR_EQ(call_str(&c, "ended_reason"), "USER_DISABLED");
	call_clear(&c);
	tokens_clear(&t);
}

static void
test_a_jti_blacklisted_by_hand_is_refused_at_the_next_request(void)
{
	struct tokens t;
	struct call c;

	fresh();
	itest_login(&t, "alice@example.com", PW, false, T0);
	me_ok(t.access, T0 + 1);
	free(itest_sql("INSERT INTO access_blacklist (jti, session_id, expires_at, created_at) "
	    "SELECT access_jti, session_id, access_expires_at, now() FROM refresh_tokens",
	    NULL));
	get_me(&c, t.access, T0 + 2);
	assert_deny(&c, "TOKEN_REVOKED");
	call_clear(&c);
	tokens_clear(&t);
}

/* Audit M4: the blacklist is per token. Another token of the same session
 * (the one the user keeps sending after a refresh) makes the entry again;
 * the blacklisted one must still never be a cache hit. */
static void
test_a_blacklisted_jti_stays_refused_when_another_token_recaches_its_session(void)
{
	struct tokens t;
	struct call c;
	char *second, *jti;
	int i;

	fresh();
	itest_login(&t, "alice@example.com", PW, false, T0);
	me_ok(t.access, T0 + 1);
	me_ok(t.access, T0 + 2); /* a hit */
	do_refresh(&c, t.refresh, T0 + 3);
	CU_ASSERT_EQUAL_FATAL(c.status, 200);
	second = xstrdup(call_str(&c, "access_token"));
	call_clear(&c);
	me_ok(second, T0 + 4);
	jti = itest_sql("SELECT access_jti FROM refresh_tokens WHERE parent_id IS NULL", NULL);
	free(itest_sql("INSERT INTO access_blacklist (jti, session_id, expires_at, created_at) "
	    "SELECT access_jti, session_id, access_expires_at, now() FROM refresh_tokens "
	    "WHERE access_jti = $1", jti, NULL));
	for (i = 0; i < 5; i++) {
		me_ok(second, T0 + 5 + i);
		me_ok(second, T0 + 5 + i); /* the session is cached again */
		get_me(&c, t.access, T0 + 5 + i);
		assert_deny(&c, "TOKEN_REVOKED");
		call_clear(&c);
	}
	free(jti);
	free(second);
	tokens_clear(&t);
}

static void
test_logout_of_a_cached_session_is_refused_at_once(void)
{
	struct tokens t, other;
	struct call c;
	struct call_opts o = { .bearer = NULL };

	fresh();
	itest_login(&t, "alice@example.com", PW, false, T0);
	itest_login(&other, "alice@example.com", PW, false, T0);
	me_ok(t.access, T0 + 1);
	me_ok(other.access, T0 + 1);
	o.bearer = t.access;
	itest_call(&c, "POST", "/logout", NULL, &o, T0 + 2);
	CU_ASSERT_EQUAL(c.status, 200);
	call_clear(&c);
	get_me(&c, t.access, T0 + 3);
	assert_deny(&c, "SESSION_ENDED");
	TU_ASSERT_STR_EQ(call_str(&c, "ended_reason"), "USER_LOGOUT");
	call_clear(&c);
	/* The other session is untouched, and still served. */
	me_ok(other.access, T0 + 3);
	o.bearer = other.access;
	itest_call(&c, "POST", "/logout-all", NULL, &o, T0 + 4);
	CU_ASSERT_EQUAL(c.status, 200);
	call_clear(&c);
	get_me(&c, other.access, T0 + 5);
	assert_deny(&c, "SESSION_ENDED");
	call_clear(&c);
	tokens_clear(&t);
	tokens_clear(&other);
}

static void
test_a_lost_connection_empties_the_cache(void)
{
	struct tokens t;
	struct call c;

	fresh();
	itest_login(&t, "alice@example.com", PW, false, T0);
	me_ok(t.access, T0 + 1);
	/* The worker's connection goes; while it is gone the session ends,
	 * and no notification can reach it. */
	free(itest_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
	    "datname = current_database() AND pid <> pg_backend_pid()", NULL));
	free(itest_sql("UPDATE sessions SET ended_at = now(), end_reason = 'REVOKED_BY_ADMIN'",
	    NULL));
	get_me(&c, t.access, T0 + 2);
	assert_deny(&c, "SESSION_ENDED");
	call_clear(&c);
	tokens_clear(&t);
}

static void
test_activity_updates_the_cached_copy(void)
{
	struct tokens t;
	struct call c;
	struct call_opts o = { .bearer = NULL };

	fresh();
	itest_login(&t, "alice@example.com", PW, false, T0);
	me_ok(t.access, T0 + 1);
	o.bearer = t.access;
	itest_call(&c, "POST", "/activity", NULL, &o, T0 + 30);
	CU_ASSERT_EQUAL(c.status, 200);
	CU_ASSERT_EQUAL(call_int(&c, "session.last_active_at"), T0 + 30);
	call_clear(&c);
	itest_call(&c, "GET", "/session-info", NULL, &o, T0 + 31);
	CU_ASSERT_EQUAL(c.status, 200);
	CU_ASSERT_EQUAL(call_int(&c, "session.last_active_at"), T0 + 30);
	TU_ASSERT_STR_EQ(call_header(&c, "X-Session-Idle-Expires-In"), "1799");
	call_clear(&c);
	tokens_clear(&t);
}

static void
count_end(const char *sid, void *arg)
{
	(void)sid;
	(*(int *)arg)++;
}

/* Every worker listens for session ends; libpq keeps each one it reads
 * until it is taken, so a worker that never verifies a token (the hashing
 * and /refresh pools) must take them after each request, or they pile up
 * in its heap (bench/results/soak-2026-12-01-1006.md). */
static void
test_announced_ends_are_taken_by_a_worker_that_never_verifies(void)
{
	const struct timespec ms10 = { 0, 10000000 };
	struct call c;
	int i, left = 0;

	fresh();
	/* itest_sql_all: no barrier, which would take them itself. */
	free(itest_sql_all("SELECT count(pg_notify('tether_session_end', 'gone-' || g)) "
	                   "FROM generate_series(1, 50) g"));
	/* Requests that verify nothing, each followed by what the worker's
	 * loop does after a request; half a second for the delivery. */
	for (i = 0; i < 50; i++) {
		itest_call(&c, "GET", "/health", NULL, NULL, T0);
		CU_ASSERT_EQUAL(c.status, 200);
		call_clear(&c);
		auth_hear_session_ends();
		(void)nanosleep(&ms10, NULL);
	}
	CU_ASSERT_EQUAL(store_session_ends(count_end, &left), 0);
	CU_ASSERT_EQUAL(left, 0);
}

static const struct tu_test cache_tests[] = {
	{ "a cached session is verified without a round trip",
	    test_a_cached_session_is_verified_without_a_round_trip },
	{ "a session ended behind the API is refused at the next request",
	    test_a_session_ended_behind_the_api_is_refused_at_the_next_request },
	{ "a user disabled behind the API is refused at the next request",
	    test_a_user_disabled_behind_the_api_is_refused_at_the_next_request },
	{ "a jti blacklisted by hand is refused at the next request",
	    test_a_jti_blacklisted_by_hand_is_refused_at_the_next_request },
	{ "a blacklisted jti stays refused when another token re-caches its session",
	    test_a_blacklisted_jti_stays_refused_when_another_token_recaches_its_session },
	{ "logout of a cached session is refused at once",
	    test_logout_of_a_cached_session_is_refused_at_once },
	{ "a lost connection empties the cache", test_a_lost_connection_empties_the_cache },
	{ "activity updates the cached copy", test_activity_updates_the_cached_copy },
	{ "announced ends are taken by a worker that never verifies",
	    test_announced_ends_are_taken_by_a_worker_that_never_verifies },
	{ NULL, NULL }
};

static char cache_path[64];

static int
setup_cached(void)
{
	snprintf(cache_path, sizeof(cache_path), "/tmp/tether-itest-cache-%ld", (long)getpid());
	if (sesscache_open(cache_path, NULL) != 0)
		return 1;
	store_listen_session_ends();
	return setup();
}

static int
teardown_cached(void)
{
	sesscache_close();
	unlink(cache_path);
	return 0;
}

/*
 * Transaction pooling (store_set_pooling), against the database directly:
 * every statement unnamed, the limits in each transaction, and the session
 * ends heard on a connection of their own (here to the same database).
 */
static int
setup_pooled_cached(void)
{
	store_close();
	store_set_pooling(true, itest_cfg.database_url);
	if (store_open(itest_cfg.database_url) != STORE_OK)
		return 1;
	return setup_cached();
}

static int
teardown_pooled_cached(void)
{
	teardown_cached();
	store_close();
	store_set_pooling(false, NULL);
	return store_open(itest_cfg.database_url) == STORE_OK ? 0 : 1;
}

/* Without a connection to LISTEN on, nothing may come from the cache. */
static void
test_pooled_without_a_listen_url_every_verify_asks_the_database(void)
{
	struct tokens t;
	uint64_t n;

	store_close();
	store_set_pooling(true, NULL);
	CU_ASSERT_EQUAL_FATAL(store_open(itest_cfg.database_url), STORE_OK);
	store_listen_session_ends();
	CU_ASSERT_EQUAL(store_session_ends(NULL, NULL), -1);
	fresh();
	itest_login(&t, "alice@example.com", PW, false, T0);
	me_ok(t.access, T0 + 1);
	n = store_statements_sent();
	me_ok(t.access, T0 + 2);
	CU_ASSERT_TRUE(store_statements_sent() > n);
	tokens_clear(&t);
	store_close();
	store_set_pooling(true, itest_cfg.database_url);
	CU_ASSERT_EQUAL(store_open(itest_cfg.database_url), STORE_OK);
	store_listen_session_ends();
}

/* The listening connection lost: the first call says so (and reconnects),
 * the cache is emptied, and the ends after it are heard again. */
static void
test_pooled_a_lost_listen_connection_is_replaced(void)
{
	struct tokens t;
	struct call c;
	uint64_t id = store_connection_id();

	fresh();
	itest_login(&t, "alice@example.com", PW, false, T0);
	me_ok(t.access, T0 + 1);
	free(itest_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
	    "datname = current_database() AND pid <> pg_backend_pid() AND "
	    "query LIKE 'LISTEN%'", NULL));
	free(itest_sql("UPDATE sessions SET ended_at = now(), end_reason = 'REVOKED_BY_ADMIN'",
	    NULL));
	get_me(&c, t.access, T0 + 2);
	assert_deny(&c, "SESSION_ENDED");
	call_clear(&c);
	tokens_clear(&t);
	/* And a new session is cached and heard of as before. */
	test_a_session_ended_behind_the_api_is_refused_at_the_next_request();
	CU_ASSERT_NOT_EQUAL(store_connection_id(), id);
}

static const struct tu_test pooled_cache_tests[] = {
	{ "without a listen url every verify asks the database",
	    test_pooled_without_a_listen_url_every_verify_asks_the_database },
	{ "a lost listen connection is replaced",
	    test_pooled_a_lost_listen_connection_is_replaced },
	{ NULL, NULL }
};

/* ---- L8: cookie names, repeats, junk, the CSRF value ---- */

static void
test_a_repeated_tether_cookie_is_refused_not_first_wins(void)
{
	struct tokens a, b;
	struct call c;
	struct call_opts o = { 0 };
	char *jar;

	fresh();
	(void)itest_user("bob@example.com", PW);
	itest_login(&a, "alice@example.com", PW, false, T0);
	itest_login(&b, "bob@example.com", PW, false, T0);
	/* What a cookie tossed for Path=/api/auth makes a browser send: the
	 * tossed one first. Taking the first would make alice bob. */
	jar = xasprintf(
	    "__Host-tether_access=%s; __Host-tether_access=%s", b.access, a.access);
	o.cookie = jar;
	itest_call(&c, "GET", "/me", NULL, &o, T0 + 1);
	CU_ASSERT_EQUAL(c.status, 400);
	TU_ASSERT_STR_EQ(call_str(&c, "error"), "invalid_request");
	CU_ASSERT_PTR_NOT_NULL(strstr(tu_s(call_str(&c, "message")), "more than once"));
	CU_ASSERT_PTR_NULL(call_str(&c, "user.email"));
	call_clear(&c);
	free(jar);
	/* The same for the CSRF and refresh cookies, and for /logout, which
	 * then ends neither session nor clears any cookie. */
	jar = xasprintf(
	    "__Host-tether_access=%s; __Host-tether_csrf=%s; __Host-tether_csrf=%s",
	    a.access, a.csrf, a.csrf);
	o.cookie = jar;
	o.csrf = a.csrf;
	itest_call(&c, "POST", "/logout", NULL, &o, T0 + 1);
	CU_ASSERT_EQUAL(c.status, 400);
	CU_ASSERT_EQUAL(call_cookie_count(&c), 0);
	call_clear(&c);
	free(jar);
	jar = xasprintf("__Secure-tether_refresh=%s; __Secure-tether_refresh=%s; "
	                "__Host-tether_csrf=%s", a.refresh, b.refresh, a.csrf);
	o.cookie = jar;
	itest_call(&c, "POST", "/refresh", NULL, &o, T0 + 1);
	CU_ASSERT_EQUAL(c.status, 400);
	call_clear(&c);
	free(jar);
	get_me(&c, a.access, T0 + 2);
	CU_ASSERT_EQUAL(c.status, 200);
	call_clear(&c);
	/* Other names may repeat: not tether's business. */
	jar = xasprintf("x=1; x=2; %s", a.cookie);
	o.cookie = jar;
	itest_call(&c, "GET", "/me", NULL, &o, T0 + 3);
	CU_ASSERT_EQUAL(c.status, 200);
	call_clear(&c);
	free(jar);
	tokens_clear(&a);
	tokens_clear(&b);
}

static void
test_junk_cookies_cannot_push_the_access_cookie_out(void)
{
	struct tokens t;
	struct call c;
	struct call_opts o = { 0 };
	char *jar = xstrdup(""), *next;
	int i;

	fresh();
	itest_login(&t, "alice@example.com", PW, false, T0);
	for (i = 0; i < 200; i++) {
		next = xasprintf("%sjunk%d=x; ", jar, i);
		free(jar);
		jar = next;
	}
	next = xasprintf("%s%s", jar, t.cookie);
	free(jar);
	jar = next;
	o.cookie = jar;
	itest_call(&c, "GET", "/me", NULL, &o, T0 + 1);
	CU_ASSERT_EQUAL(c.status, 200);
	TU_ASSERT_STR_EQ(call_str(&c, "user.email"), "alice@example.com");
	call_clear(&c);
	free(jar);
	tokens_clear(&t);
}

static void
test_cookie_names_have_host_and_secure_prefixes_when_secure(void)
{
	struct tokens t;
	struct call c;
	struct call_opts o = { 0 };
	char err[128], *plain, *v;
	size_t i;

	fresh();
	itest_login(&t, "alice@example.com", PW, false, T0);
	/* Secure (the default): __Host- for access and CSRF (Path=/),
	 * __Secure- for the path-scoped refresh cookie; an unprefixed
	 * tether_access, which anyone on a sibling domain could set, is no
	 * credential. */
	plain = xasprintf("tether_access=%s; tether_csrf=%s", t.access, t.csrf);
	o.cookie = plain;
	itest_call(&c, "GET", "/me", NULL, &o, T0 + 1);
	assert_deny(&c, "TOKEN_MISSING");
	call_clear(&c);
	free(plain);
	tokens_clear(&t);

	/* cookie_secure = false (plain http on loopback): plain names, as
	 * browsers refuse the prefixes without Secure. */
	CU_ASSERT_EQUAL(
	    config_set(&itest_cfg, "cookie_secure", "false", err, sizeof(err)), 0);
	itest_call(&c, "POST", "/login",
	    "{\"email\":\"alice@example.com\",\"password\":\"" PW "\"}", NULL, T0 + 2);
	CU_ASSERT_EQUAL(c.status, 200);
	CU_ASSERT_EQUAL(call_cookie_count(&c), 4);
	for (i = 0; i < c.resp.nheaders; i++) {
		v = c.resp.headers[i].value;
		if (strcasecmp(c.resp.headers[i].name, "Set-Cookie") == 0) {
			CU_ASSERT(strncmp(v, "tether_", 7) == 0);
			CU_ASSERT_PTR_NULL(strstr(v, "Secure"));
		}
	}
	v = call_cookie(&c, "tether_access");
	CU_ASSERT_PTR_NOT_NULL(v);
	call_clear(&c);
	plain = xasprintf("tether_access=%s", tu_s(v));
	o.cookie = plain;
	itest_call(&c, "GET", "/me", NULL, &o, T0 + 3);
	CU_ASSERT_EQUAL(c.status, 200);
	call_clear(&c);
	free(plain);
	free(v);
	itest_reset_config();
}

static void
test_a_csrf_cookie_not_of_tethers_shape_is_never_reflected(void)
{
	static const char *const planted[] = { "attacker-chosen,Domain=evil \"x\"",
		"short", "AAAAAAAAAAAAAAAAAAAAA=", "AAAAAAAAAAAAAAAAAAAAAAA" };
	const char *body = "{\"email\":\"alice@example.com\",\"password\":\"" PW "\"}";
	struct call c;
	struct call_opts o = { 0 };
	char *jar, *csrf;
	size_t i;

	fresh();
	for (i = 0; i < sizeof(planted) / sizeof(planted[0]); i++) {
		jar = xasprintf("__Host-tether_csrf=%s", planted[i]);
		o.cookie = jar;
		itest_call(&c, "POST", "/login", body, &o, T0 + (time_t)i);
		CU_ASSERT_EQUAL(c.status, 200);
		csrf = call_cookie(&c, "__Host-tether_csrf");
		CU_ASSERT_EQUAL(strlen(tu_s(csrf)), 22);
		CU_ASSERT(strcmp(tu_s(csrf), planted[i]) != 0);
		CU_ASSERT(strspn(tu_s(csrf), "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		                             "abcdefghijklmnopqrstuvwxyz0123456789-_") == 22);
		free(csrf);
		call_clear(&c);
		free(jar);
	}
	/* One of tether's shape is kept: other tabs hold it. */
	o.cookie = "__Host-tether_csrf=AAAAAAAAAAAAAAAAAAAAAA";
	itest_call(&c, "POST", "/login", body, &o, T0 + 10);
	CU_ASSERT_EQUAL(c.status, 200);
	csrf = call_cookie(&c, "__Host-tether_csrf");
	TU_ASSERT_STR_EQ(csrf, "AAAAAAAAAAAAAAAAAAAAAA");
	free(csrf);
	call_clear(&c);
}

static void
test_the_csrf_check_needs_a_cookie_of_tethers_shape(void)
{
	struct tokens t;
	struct call c;
	struct call_opts o = { 0 };
	char *jar;

	fresh();
	itest_login(&t, "alice@example.com", PW, false, T0);
	/* Header and cookie agree, but the value is none tether minted (a
	 * planted cookie the attacker also knows): refused. */
	jar = xasprintf("__Host-tether_access=%s; __Host-tether_csrf=x", t.access);
	o.cookie = jar;
	o.csrf = "x";
	itest_call(&c, "POST", "/activity", NULL, &o, T0 + 1);
	CU_ASSERT_EQUAL(c.status, 403);
	TU_ASSERT_STR_EQ(call_str(&c, "error"), "csrf_failed");
	call_clear(&c);
	free(jar);
	o.cookie = t.cookie;
	o.csrf = t.csrf;
	itest_call(&c, "POST", "/activity", NULL, &o, T0 + 2);
	CU_ASSERT_EQUAL(c.status, 200);
	call_clear(&c);
	tokens_clear(&t);
}

static const struct tu_test tests[] = {
	{ "health reports the database", test_health_reports_the_database },
	{ "a replay within the grace shares the one chain",
	    test_a_replay_within_the_grace_shares_the_one_chain },
	{ "a user agent that is not UTF-8 loses no audit row",
	    test_a_user_agent_that_is_not_utf8_loses_no_audit_row },
	{ "a NUL in a report context is a 400, not a 503",
	    test_a_nul_in_a_report_context_is_a_400_not_a_503 },
	{ "settings answer from the configuration without the database",
	    test_settings_answer_from_the_configuration_without_the_database },
	{ "an unknown path is 404 and a wrong method 405 with Allow",
	    test_unknown_path_is_404_and_wrong_method_405_with_allow },
	{ "bad JSON and a wrong content type are 400", test_bad_json_and_wrong_content_type_are_400 },
	{ "register creates a user and refuses duplicates case-insensitively",
	    test_register_creates_a_user_and_refuses_duplicates_case_insensitively },
	{ "register validates email, password and name",
	    test_register_validates_email_password_and_name },
	{ "register is 403 when registration is closed",
	    test_register_is_403_when_registration_is_closed },
	{ "login returns the tokens response", test_login_returns_the_tokens_response },
	{ "remember-me gets twenty days and no idle timeout",
	    test_remember_me_gets_twenty_days_and_no_idle_timeout },
	{ "a wrong password and an unknown email answer alike",
	    test_wrong_password_and_unknown_email_answer_alike },
	{ "a disabled user cannot log in and its session ends",
	    test_a_disabled_user_cannot_log_in_and_its_session_ends },
	{ "login upgrades a hash with old parameters", test_login_upgrades_a_hash_with_old_parameters },
	{ "me answers with a valid token and sets the session headers",
	    test_me_answers_with_a_valid_token_and_sets_the_session_headers },
	{ "the idle warning header comes before the idle timeout",
	    test_idle_warning_header_comes_before_the_idle_timeout },
	{ "missing and invalid tokens are refused", test_missing_and_invalid_tokens_are_refused },
	{ "a token signed with another key is invalid", test_a_token_signed_with_another_key_is_invalid },
	{ "an expired token of a live session is TOKEN_EXPIRED",
	    test_an_expired_token_of_a_live_session_is_token_expired },
	{ "a blacklisted token of a live session is TOKEN_REVOKED",
	    test_a_blacklisted_token_of_a_live_session_is_token_revoked },
	{ "an idle session ends with IDLE_TIMEOUT recorded once",
	    test_an_idle_session_ends_with_idle_timeout_recorded_once },
	{ "a session past its absolute lifetime is SESSION_EXPIRED",
	    test_a_session_past_its_absolute_lifetime_is_session_expired },
	{ "background requests do not slide the idle timer",
	    test_background_requests_do_not_slide_the_idle_timer },
	{ "refresh rotates the token", test_refresh_rotates_the_token },
	{ "refresh reuse within the grace succeeds and after it ends the session",
	    test_refresh_reuse_within_the_grace_succeeds_and_after_it_ends_the_session },
	{ "refresh refusals name their reason", test_refresh_refusals_name_their_reason },
	{ "a background refresh does not slide the idle timer",
	    test_refresh_with_the_background_header_does_not_slide_the_idle_timer },
	{ "cookie transport sets cookies and requires CSRF",
	    test_cookie_transport_sets_cookies_and_requires_csrf },
	{ "body transport sets no cookies", test_body_transport_sets_no_cookies },
	{ "a repeated tether cookie is refused, not first wins",
	    test_a_repeated_tether_cookie_is_refused_not_first_wins },
	{ "junk cookies cannot push the access cookie out",
	    test_junk_cookies_cannot_push_the_access_cookie_out },
	{ "cookie names have __Host- and __Secure- prefixes when secure",
	    test_cookie_names_have_host_and_secure_prefixes_when_secure },
	{ "a CSRF cookie not of tether's shape is never reflected",
	    test_a_csrf_cookie_not_of_tethers_shape_is_never_reflected },
	{ "the CSRF check needs a cookie of tether's shape",
	    test_the_csrf_check_needs_a_cookie_of_tethers_shape },
	{ "cookie-only transport puts no token in the body",
	    test_cookie_only_transport_puts_no_token_in_the_body },
	{ "cookies outlive the refresh token by the session retention",
	    test_cookies_outlive_the_refresh_token_by_the_session_retention },
	{ "dead cookies past the absolute lifetime get SESSION_EXPIRED",
	    test_dead_cookies_past_the_absolute_lifetime_get_session_expired },
	{ "dead cookies of an idle session get SESSION_IDLE_TIMEOUT",
	    test_dead_cookies_of_an_idle_session_get_session_idle_timeout },
	{ "logout ends the session and is idempotent", test_logout_ends_the_session_and_is_idempotent },
	{ "logout with only a refresh token ends its session",
	    test_logout_with_only_a_refresh_token_ends_its_session },
	{ "logout-all ends every session of the user", test_logout_all_ends_every_session_of_the_user },
	{ "sessions lists and revokes the user's own sessions",
	    test_sessions_lists_and_revokes_the_users_own_sessions },
	{ "session-info gives the server truth for timers",
	    test_session_info_gives_the_server_truth_for_timers },
	{ "session-info settings follow the session's own idle timeout",
	    test_session_info_settings_follow_the_sessions_own_idle_timeout },
	{ "a password change ends the other sessions", test_password_change_ends_the_other_sessions },
	{ "logout reports are validated, stored and listed",
	    test_logout_reports_are_validated_stored_and_listed },
	{ "a beacon report is the user's only with its CSRF value, never activity",
	    test_a_beacon_report_by_cookie_needs_no_csrf_and_is_no_activity },
	{ "too many failures for an email get 429 and recover after the window",
	    test_too_many_failures_for_an_email_get_429_and_recover_after_the_window },
	{ "an unknown email is throttled the same way",
	    test_an_unknown_email_is_throttled_the_same_way },
	{ "too many failures from one address get 429 for every email",
	    test_too_many_failures_from_one_address_get_429_for_every_email },
	{ "case variants of an email count for one account",
	    test_case_variants_of_an_email_count_for_one_account },
	{ "an address gets 429 after its budget of password hashes",
	    test_an_address_gets_429_after_its_budget_of_password_hashes },
	{ "a full hash gate answers 503 at once", test_a_full_hash_gate_answers_503_at_once },
	{ "wrong current passwords are throttled and end the session",
	    test_wrong_current_passwords_are_throttled_and_end_the_session },
	{ "parallel guesses cannot overshoot the limit",
	    test_parallel_guesses_cannot_overshoot_the_limit },
	{ "logout reports have a budget per address and bounded fields",
	    test_logout_reports_have_a_budget_per_address_and_bounded_fields },
	{ "refresh failures in a burst write one row within a budget",
	    test_refresh_failures_in_a_burst_write_one_row_within_a_budget },
	{ "metrics are served only to allowed addresses and move",
	    test_metrics_are_served_only_to_allowed_addresses_and_move },
	{ "a database outage is 503, never 401, and the store reconnects",
	    test_a_database_outage_is_503_never_401_and_the_store_reconnects },
	{ "a held row lock is 503 after lock_timeout",
	    test_a_held_row_lock_is_503_after_lock_timeout },
	{ "a held row lock is 503 after statement_timeout",
	    test_a_held_row_lock_is_503_after_statement_timeout },
	{ NULL, NULL }
};

int
main(void)
{
	int rc;

	if (itest_init() != 0)
		return tu_skip("test_api", "no database (set TETHER_TEST_DATABASE_URL)");
	tu_begin();
	tu_suite("api", setup, NULL, tests);
	/* Every test again with the session cache on: it must change no answer. */
	tu_suite("api with the session cache", setup_cached, teardown_cached, tests);
	tu_suite("session cache", setup_cached, teardown_cached, cache_tests);
	/* And through transaction pooling: the same answers. */
	tu_suite("api, transaction pooling", setup_pooled_cached, teardown_pooled_cached, tests);
	tu_suite("session cache, transaction pooling", setup_pooled_cached,
	    teardown_pooled_cached, cache_tests);
	tu_suite("transaction pooling", setup_pooled_cached, teardown_pooled_cached,
	    pooled_cache_tests);
	rc = tu_end("test_api");
	itest_done();
	return rc;
}
