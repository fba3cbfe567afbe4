/*
 * test_session: the session rules with an injected clock. No database.
 */
#include <string.h>

#include "session.h"
#include "testutil.h"

#define NOW ((time_t)1800000000)

static struct config cfg;

static int
init(void)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.access_token_lifetime = 900;
	cfg.refresh_token_lifetime = 7 * 86400;
	cfg.refresh_token_lifetime_remember_me = 20 * 86400;
	cfg.idle_timeout = 1800;
	cfg.idle_timeout_remember_me = 0;
	cfg.session_max_age = 12 * 3600;
	cfg.session_max_age_remember_me = 20 * 86400;
	cfg.activity_write_interval = 60;
	cfg.warning_window = 300;
	return 0;
}

static struct session
live(bool remember)
{
	struct session s;

	memset(&s, 0, sizeof(s));
	s.created_at = s.last_active_at = NOW;
	s.remember_me = remember;
	s.idle_timeout_s = session_idle_timeout(&cfg, remember);
	s.absolute_expires_at = session_absolute_expiry(&cfg, NOW, remember);
	return s;
}

static void
test_a_new_session_gets_the_idle_timeout_and_lifetime_of_its_kind(void)
{
	struct session s = live(false), r = live(true);

	CU_ASSERT_EQUAL(s.idle_timeout_s, 1800);
	CU_ASSERT_EQUAL(s.absolute_expires_at, NOW + 12 * 3600);
	CU_ASSERT_EQUAL(r.idle_timeout_s, 0);
	CU_ASSERT_EQUAL(r.absolute_expires_at, NOW + 20 * 86400);
	CU_ASSERT_EQUAL(session_idle_expiry(&s), NOW + 1800);
	CU_ASSERT_EQUAL(session_idle_expiry(&r), 0);
	CU_ASSERT_EQUAL(session_access_expiry(&cfg, NOW), NOW + 900);
}

static void
test_a_session_idle_one_second_short_of_its_timeout_is_live(void)
{
	struct session s = live(false);
	enum end_reason end;
	time_t at;

	CU_ASSERT_EQUAL(session_check(&s, NOW + 1799, &end, &at), REASON_NONE);
	CU_ASSERT_EQUAL(end, END_NONE);
}

static void
test_a_session_idle_for_its_timeout_is_ended_with_idle_timeout(void)
{
	struct session s = live(false);
	enum end_reason end;
	time_t at;

	CU_ASSERT_EQUAL(session_check(&s, NOW + 1800, &end, &at), REASON_SESSION_IDLE_TIMEOUT);
	CU_ASSERT_EQUAL(end, END_IDLE_TIMEOUT);
	CU_ASSERT_EQUAL(at, NOW + 1800);
	CU_ASSERT_EQUAL(session_check(&s, NOW + 5000, &end, &at), REASON_SESSION_IDLE_TIMEOUT);
	CU_ASSERT_EQUAL(at, NOW + 1800);
}

static void
test_activity_moves_the_idle_end(void)
{
	struct session s = live(false);
	enum end_reason end;
	time_t at;

	s.last_active_at = NOW + 1700;
	CU_ASSERT_EQUAL(session_check(&s, NOW + 3000, &end, &at), REASON_NONE);
	CU_ASSERT_EQUAL(session_check(&s, NOW + 3500, &end, &at), REASON_SESSION_IDLE_TIMEOUT);
}

static void
test_a_remember_me_session_never_idles_out_but_expires_absolutely(void)
{
	struct session s = live(true);
	enum end_reason end;
	time_t at;

	CU_ASSERT_EQUAL(session_check(&s, NOW + 19 * 86400, &end, &at), REASON_NONE);
	CU_ASSERT_EQUAL(session_check(&s, NOW + 20 * 86400 - 1, &end, &at), REASON_NONE);
	CU_ASSERT_EQUAL(session_check(&s, NOW + 20 * 86400, &end, &at), REASON_SESSION_EXPIRED);
	CU_ASSERT_EQUAL(end, END_EXPIRED);
	CU_ASSERT_EQUAL(at, NOW + 20 * 86400);
}

static void
test_the_limit_that_came_first_decides_the_reason(void)
{
	struct session s = live(false);
	enum end_reason end;
	time_t at;

	/* Active until one minute before the absolute end: absolute first. */
	s.last_active_at = s.absolute_expires_at - 60;
	CU_ASSERT_EQUAL(session_check(&s, s.absolute_expires_at + 3600, &end, &at),
	    REASON_SESSION_EXPIRED);
	CU_ASSERT_EQUAL(at, s.absolute_expires_at);
	/* Idle long before the absolute end: idle first, even if both passed. */
	s.last_active_at = NOW;
	CU_ASSERT_EQUAL(session_check(&s, s.absolute_expires_at + 10, &end, &at),
	    REASON_SESSION_IDLE_TIMEOUT);
	CU_ASSERT_EQUAL(at, NOW + 1800);
}

static void
test_an_ended_session_reports_its_recorded_reason_and_needs_no_write(void)
{
	struct session s = live(false);
	enum end_reason end;
	time_t at;

	s.ended_at = NOW + 10;
	s.end_reason = END_USER_LOGOUT;
	CU_ASSERT_EQUAL(session_check(&s, NOW + 20, &end, &at), REASON_SESSION_ENDED);
	CU_ASSERT_EQUAL(end, END_NONE);
	CU_ASSERT_EQUAL(at, NOW + 10);
	s.end_reason = END_IDLE_TIMEOUT;
	CU_ASSERT_EQUAL(session_check(&s, NOW + 20, &end, &at), REASON_SESSION_IDLE_TIMEOUT);
	s.end_reason = END_EXPIRED;
	CU_ASSERT_EQUAL(session_check(&s, NOW + 20, &end, &at), REASON_SESSION_EXPIRED);
}

static void
test_a_refresh_token_never_outlives_its_session(void)
{
	struct session s = live(false), r = live(true);

	CU_ASSERT_EQUAL(session_refresh_expiry(&cfg, &s, NOW), NOW + 12 * 3600);
	CU_ASSERT_EQUAL(session_refresh_expiry(&cfg, &r, NOW), NOW + 20 * 86400);
	CU_ASSERT_EQUAL(session_refresh_expiry(&cfg, &r, NOW + 19 * 86400), NOW + 20 * 86400);
	cfg.session_max_age = 30 * 86400;
	s.absolute_expires_at = session_absolute_expiry(&cfg, NOW, false);
	CU_ASSERT_EQUAL(session_refresh_expiry(&cfg, &s, NOW), NOW + 7 * 86400);
	init();
}

static void
test_activity_writes_are_coalesced_to_the_write_interval(void)
{
	struct session s = live(false);

	CU_ASSERT_EQUAL(session_write_interval(&cfg, &s), 60);
	CU_ASSERT_FALSE(session_should_touch(&cfg, &s, NOW + 59));
	CU_ASSERT_TRUE(session_should_touch(&cfg, &s, NOW + 60));
}

static void
test_the_write_interval_is_capped_at_a_tenth_of_the_idle_timeout(void)
{
	struct session s = live(false);

	s.idle_timeout_s = 300;
	CU_ASSERT_EQUAL(session_write_interval(&cfg, &s), 30);
	s.idle_timeout_s = 5;
	CU_ASSERT_EQUAL(session_write_interval(&cfg, &s), 1);
	s.idle_timeout_s = 0;
	CU_ASSERT_EQUAL(session_write_interval(&cfg, &s), 60);
}

static void
test_the_write_step_of_a_timeout_follows_the_same_rule(void)
{
	struct session s = live(true);

	CU_ASSERT_EQUAL(session_write_step(&cfg, 1800), 60);
	CU_ASSERT_EQUAL(session_write_step(&cfg, 300), 30);
	CU_ASSERT_EQUAL(session_write_step(&cfg, 3), 1);
	CU_ASSERT_EQUAL(session_write_step(&cfg, 0), 60);
	/* A remember-me session with no idle timeout writes at the configured step. */
	CU_ASSERT_EQUAL(session_write_interval(&cfg, &s), session_write_step(&cfg, 0));
}

static void
test_cookies_outlive_the_refresh_token_by_the_retention(void)
{
	cfg.session_retention = 30 * 86400;
	CU_ASSERT_EQUAL(session_cookie_max_age(&cfg, NOW + 7 * 86400, NOW), 37 * 86400);
	CU_ASSERT_EQUAL(session_cookie_max_age(&cfg, NOW, NOW), 30 * 86400);
	cfg.session_retention = 0;
	CU_ASSERT_EQUAL(session_cookie_max_age(&cfg, NOW + 100, NOW), 100);
	/* Never 0 or less: that would delete the cookies being set. */
	CU_ASSERT_EQUAL(session_cookie_max_age(&cfg, NOW, NOW), 1);
	init();
}

static void
test_a_fresh_refresh_token_rotates(void)
{
	struct refresh_row t = { .id = 1, .issued_at = NOW, .expires_at = NOW + 100 };

	CU_ASSERT_EQUAL(session_refresh_verdict(&t, NOW + 99, 10), REFRESH_ROTATE);
	CU_ASSERT_EQUAL(session_refresh_verdict(&t, NOW + 100, 10), REFRESH_EXPIRED);
}

static void
test_a_token_presented_again_within_the_grace_is_a_concurrent_refresh(void)
{
	struct refresh_row t = { .id = 1, .issued_at = NOW, .expires_at = NOW + 1000,
		.rotated_at = NOW + 50 };

	CU_ASSERT_EQUAL(session_refresh_verdict(&t, NOW + 50, 10), REFRESH_GRACE);
	CU_ASSERT_EQUAL(session_refresh_verdict(&t, NOW + 59, 10), REFRESH_GRACE);
}

static void
test_a_token_presented_again_after_the_grace_is_reuse(void)
{
	struct refresh_row t = { .id = 1, .issued_at = NOW, .expires_at = NOW + 1000,
		.rotated_at = NOW + 50 };

	CU_ASSERT_EQUAL(session_refresh_verdict(&t, NOW + 60, 10), REFRESH_REUSED);
	CU_ASSERT_EQUAL(session_refresh_verdict(&t, NOW + 5000, 10), REFRESH_REUSED);
	/* With no grace every second presentation is reuse. */
	CU_ASSERT_EQUAL(session_refresh_verdict(&t, NOW + 50, 0), REFRESH_REUSED);
}

static void
test_a_revoked_token_is_refused_before_anything_else(void)
{
	struct refresh_row t = { .id = 1, .issued_at = NOW, .expires_at = NOW + 1000,
		.rotated_at = NOW + 50, .revoked_at = NOW + 51 };

	CU_ASSERT_EQUAL(session_refresh_verdict(&t, NOW + 52, 10), REFRESH_REVOKED);
}

/* ---- the verify decision ---- */

static void
test_verify_allows_a_live_session_and_writes_activity_once_a_step(void)
{
	struct session s = live(false);
	struct verify_decision d;

	session_decide_verify(&cfg, &s, false, false, false, true, NOW + 59, &d);
	CU_ASSERT_EQUAL(d.deny.reason, REASON_NONE);
	CU_ASSERT_EQUAL(d.end, END_NONE);
	CU_ASSERT_FALSE(d.touch);
	session_decide_verify(&cfg, &s, false, false, false, true, NOW + 60, &d);
	CU_ASSERT_EQUAL(d.deny.reason, REASON_NONE);
	CU_ASSERT_TRUE(d.touch);
	/* A background request is not activity. */
	session_decide_verify(&cfg, &s, false, false, false, false, NOW + 60, &d);
	CU_ASSERT_FALSE(d.touch);
}

static void
test_verify_ends_an_idle_session_even_when_the_token_expired_too(void)
{
	struct session s = live(false);
	struct verify_decision d;

	session_decide_verify(&cfg, &s, false, true, true, true, NOW + 1900, &d);
	CU_ASSERT_EQUAL(d.deny.reason, REASON_SESSION_IDLE_TIMEOUT);
	CU_ASSERT_EQUAL(d.end, END_IDLE_TIMEOUT);
	CU_ASSERT_EQUAL(d.end_at, NOW + 1800);
	CU_ASSERT_EQUAL(d.deny.ended_reason, END_IDLE_TIMEOUT);
	CU_ASSERT_EQUAL(d.deny.ended_at, NOW + 1800);
	CU_ASSERT_EQUAL(d.deny.idle_for, 1900);
	CU_ASSERT_FALSE(d.touch);
}

static void
test_verify_ends_the_live_session_of_a_disabled_user(void)
{
	struct session s = live(true);
	struct verify_decision d;

	session_decide_verify(&cfg, &s, true, false, false, true, NOW + 5, &d);
	CU_ASSERT_EQUAL(d.deny.reason, REASON_SESSION_ENDED);
	CU_ASSERT_EQUAL(d.end, END_USER_DISABLED);
	CU_ASSERT_EQUAL(d.end_at, NOW + 5);
	CU_ASSERT_EQUAL(d.deny.ended_reason, END_USER_DISABLED);
}

static void
test_verify_names_the_recorded_end_of_an_ended_session_and_writes_nothing(void)
{
	struct session s = live(false);
	struct verify_decision d;

	s.ended_at = NOW + 10;
	s.end_reason = END_PASSWORD_CHANGED;
	/* Disabled since: the recorded end still explains it. */
	session_decide_verify(&cfg, &s, true, false, false, true, NOW + 20, &d);
	CU_ASSERT_EQUAL(d.deny.reason, REASON_SESSION_ENDED);
	CU_ASSERT_EQUAL(d.end, END_NONE);
	CU_ASSERT_EQUAL(d.deny.ended_reason, END_PASSWORD_CHANGED);
	CU_ASSERT_EQUAL(d.deny.ended_at, NOW + 10);
	CU_ASSERT_FALSE(d.touch);
}

static void
test_verify_of_a_live_session_refuses_an_expired_then_a_revoked_token(void)
{
	struct session s = live(false);
	struct verify_decision d;

	session_decide_verify(&cfg, &s, false, true, true, true, NOW + 100, &d);
	CU_ASSERT_EQUAL(d.deny.reason, REASON_TOKEN_EXPIRED);
	CU_ASSERT_EQUAL(d.deny.ended_reason, END_NONE);
	CU_ASSERT_EQUAL(d.end, END_NONE);
	CU_ASSERT_FALSE(d.touch);
	session_decide_verify(&cfg, &s, false, false, true, true, NOW + 100, &d);
	CU_ASSERT_EQUAL(d.deny.reason, REASON_TOKEN_REVOKED);
	CU_ASSERT_FALSE(d.touch);
}

/* ---- the refresh decision ---- */

static void
test_refresh_rotates_a_fresh_token_and_caps_its_successor_at_the_session_end(void)
{
	struct session s = live(false);
	struct refresh_row t = { .id = 1, .issued_at = NOW, .expires_at = NOW + 7 * 86400 };
	struct refresh_decision d;

	cfg.refresh_reuse_grace = 10;
	session_decide_refresh(&cfg, &s, false, &t, true, NOW + 600, &d);
	CU_ASSERT_EQUAL(d.reason, REASON_NONE);
	CU_ASSERT_EQUAL(d.verdict, REFRESH_ROTATE);
	CU_ASSERT_TRUE(d.rotate);
	CU_ASSERT_TRUE(d.touch);
	CU_ASSERT_EQUAL(d.end, END_NONE);
	/* Seven days asked, twelve hours of session left at most. */
	CU_ASSERT_EQUAL(d.refresh_expires_at, s.absolute_expires_at);
	session_decide_refresh(&cfg, &s, false, &t, false, NOW + 600, &d);
	CU_ASSERT_FALSE(d.touch);
	init();
}

static void
test_refresh_within_the_grace_reissues_without_rotating(void)
{
	struct session s = live(true);
	struct refresh_row t = { .id = 1, .issued_at = NOW, .expires_at = NOW + 1000,
		.rotated_at = NOW + 50 };
	struct refresh_decision d;

	cfg.refresh_reuse_grace = 10;
	session_decide_refresh(&cfg, &s, false, &t, true, NOW + 55, &d);
	CU_ASSERT_EQUAL(d.reason, REASON_NONE);
	CU_ASSERT_EQUAL(d.verdict, REFRESH_GRACE);
	CU_ASSERT_FALSE(d.rotate);
	CU_ASSERT_EQUAL(d.end, END_NONE);
	CU_ASSERT_EQUAL(d.refresh_expires_at, NOW + 55 + 20 * 86400 < s.absolute_expires_at ?
	    NOW + 55 + 20 * 86400 : s.absolute_expires_at);
	init();
}

static void
test_refresh_reuse_after_the_grace_ends_the_session(void)
{
	struct session s = live(true);
	struct refresh_row t = { .id = 1, .issued_at = NOW, .expires_at = NOW + 1000,
		.rotated_at = NOW + 50 };
	struct refresh_decision d;

	cfg.refresh_reuse_grace = 10;
	session_decide_refresh(&cfg, &s, false, &t, true, NOW + 60, &d);
	CU_ASSERT_EQUAL(d.reason, REASON_REFRESH_REUSED);
	CU_ASSERT_EQUAL(d.end, END_REFRESH_REUSED);
	CU_ASSERT_EQUAL(d.end_at, NOW + 60);
	CU_ASSERT_FALSE(d.rotate);
	CU_ASSERT_FALSE(d.touch);
	init();
}

static void
test_refresh_refuses_an_expired_or_revoked_token_without_ending_anything(void)
{
	struct session s = live(true);
	struct refresh_row t = { .id = 1, .issued_at = NOW, .expires_at = NOW + 100 };
	struct refresh_decision d;

	session_decide_refresh(&cfg, &s, false, &t, true, NOW + 100, &d);
	CU_ASSERT_EQUAL(d.reason, REASON_REFRESH_EXPIRED);
	CU_ASSERT_EQUAL(d.end, END_NONE);
	t.revoked_at = NOW + 1;
	session_decide_refresh(&cfg, &s, false, &t, true, NOW + 50, &d);
	CU_ASSERT_EQUAL(d.reason, REASON_REFRESH_INVALID);
	CU_ASSERT_EQUAL(d.end, END_NONE);
}

static void
test_refresh_asks_the_session_before_the_token(void)
{
	struct session s = live(false);
	struct refresh_row reused = { .id = 1, .issued_at = NOW, .expires_at = NOW + 5000,
		.rotated_at = NOW + 1 };
	struct refresh_decision d;

	/* A disabled user's session ends with USER_DISABLED, not as reuse. */
	session_decide_refresh(&cfg, &s, true, &reused, true, NOW + 100, &d);
	CU_ASSERT_EQUAL(d.reason, REASON_SESSION_ENDED);
	CU_ASSERT_EQUAL(d.end, END_USER_DISABLED);
	CU_ASSERT_EQUAL(d.end_at, NOW + 100);
	/* Idle past its timeout: ended at its idle end. */
	session_decide_refresh(&cfg, &s, false, &reused, true, NOW + 1800, &d);
	CU_ASSERT_EQUAL(d.reason, REASON_SESSION_IDLE_TIMEOUT);
	CU_ASSERT_EQUAL(d.end, END_IDLE_TIMEOUT);
	CU_ASSERT_EQUAL(d.end_at, NOW + 1800);
	/* Already ended: its recorded end, nothing to write. */
	s.ended_at = NOW + 3;
	s.end_reason = END_USER_LOGOUT;
	session_decide_refresh(&cfg, &s, false, &reused, true, NOW + 100, &d);
	CU_ASSERT_EQUAL(d.reason, REASON_SESSION_ENDED);
	CU_ASSERT_EQUAL(d.end, END_NONE);
	CU_ASSERT_EQUAL(d.refresh_expires_at, 0);
}

static void
test_warnings_come_within_the_warning_window(void)
{
	TU_ASSERT_STR_EQ(session_warning(&cfg, 300, 900), "idle");
	TU_ASSERT_STR_EQ(session_warning(&cfg, 301, 300), "token");
	CU_ASSERT_PTR_NULL(session_warning(&cfg, 301, 301));
	CU_ASSERT_PTR_NULL(session_warning(&cfg, -1, 600));
	TU_ASSERT_STR_EQ(session_warning(&cfg, -1, 10), "token");
}

static const struct tu_test tests[] = {
	{ "a new session gets the idle timeout and lifetime of its kind",
	    test_a_new_session_gets_the_idle_timeout_and_lifetime_of_its_kind },
	{ "a session idle one second short of its timeout is live",
	    test_a_session_idle_one_second_short_of_its_timeout_is_live },
	{ "a session idle for its timeout is ended with IDLE_TIMEOUT",
	    test_a_session_idle_for_its_timeout_is_ended_with_idle_timeout },
	{ "activity moves the idle end", test_activity_moves_the_idle_end },
	{ "a remember-me session never idles out but expires absolutely",
	    test_a_remember_me_session_never_idles_out_but_expires_absolutely },
	{ "the limit that came first decides the reason",
	    test_the_limit_that_came_first_decides_the_reason },
	{ "an ended session reports its recorded reason and needs no write",
	    test_an_ended_session_reports_its_recorded_reason_and_needs_no_write },
	{ "a refresh token never outlives its session",
	    test_a_refresh_token_never_outlives_its_session },
	{ "activity writes are coalesced to the write interval",
	    test_activity_writes_are_coalesced_to_the_write_interval },
	{ "the write interval is capped at a tenth of the idle timeout",
	    test_the_write_interval_is_capped_at_a_tenth_of_the_idle_timeout },
	{ "the write step of a timeout follows the same rule",
	    test_the_write_step_of_a_timeout_follows_the_same_rule },
	{ "cookies outlive the refresh token by the retention",
	    test_cookies_outlive_the_refresh_token_by_the_retention },
	{ "a fresh refresh token rotates", test_a_fresh_refresh_token_rotates },
	{ "a token presented again within the grace is a concurrent refresh",
	    test_a_token_presented_again_within_the_grace_is_a_concurrent_refresh },
	{ "a token presented again after the grace is reuse",
	    test_a_token_presented_again_after_the_grace_is_reuse },
	{ "a revoked token is refused before anything else",
	    test_a_revoked_token_is_refused_before_anything_else },
	{ "verify allows a live session and writes activity once a step",
	    test_verify_allows_a_live_session_and_writes_activity_once_a_step },
	{ "verify ends an idle session even when the token expired too",
	    test_verify_ends_an_idle_session_even_when_the_token_expired_too },
	{ "verify ends the live session of a disabled user",
	    test_verify_ends_the_live_session_of_a_disabled_user },
	{ "verify names the recorded end of an ended session and writes nothing",
	    test_verify_names_the_recorded_end_of_an_ended_session_and_writes_nothing },
	{ "verify of a live session refuses an expired, then a revoked token",
	    test_verify_of_a_live_session_refuses_an_expired_then_a_revoked_token },
	{ "refresh rotates a fresh token and caps its successor at the session end",
	    test_refresh_rotates_a_fresh_token_and_caps_its_successor_at_the_session_end },
	{ "refresh within the grace reissues without rotating",
	    test_refresh_within_the_grace_reissues_without_rotating },
	{ "refresh reuse after the grace ends the session",
	    test_refresh_reuse_after_the_grace_ends_the_session },
	{ "refresh refuses an expired or revoked token without ending anything",
	    test_refresh_refuses_an_expired_or_revoked_token_without_ending_anything },
	{ "refresh asks the session before the token",
	    test_refresh_asks_the_session_before_the_token },
	{ "warnings come within the warning window", test_warnings_come_within_the_warning_window },
	{ NULL, NULL }
};

int
main(void)
{
	tu_begin();
	tu_suite("session rules", init, NULL, tests);
	return tu_end("test_session");
}
