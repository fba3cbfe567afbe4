/*
 * test_reason: the wire-name tables of reason.c. They are indexed by enums
 * through designated initializers, so a forgotten entry is a hole the
 * compiler accepts; walking every value up to __MAX is what finds it.
 */
#include <string.h>

#include "reason.h"
#include "testutil.h"

/* True for a name that is there: a hole in a table reads as NULL. */
static int
named(const char *s)
{
	return s != NULL && *s != '\0';
}

static void
test_every_reason_has_a_unique_name_and_a_message(void)
{
	int i, j;

	TU_ASSERT_STR_EQ(reason_name(REASON_NONE), "");
	for (i = 1; i < REASON__MAX; i++) {
		CU_ASSERT(named(reason_name((enum reason)i)));
		CU_ASSERT(named(reason_message((enum reason)i)));
		for (j = 1; j < i; j++)
			TU_ASSERT_STR_NE(
			    reason_name((enum reason)i), reason_name((enum reason)j));
	}
}

static void
test_every_end_reason_has_a_unique_name_that_parses_back(void)
{
	int i, j;

	TU_ASSERT_STR_EQ(end_reason_name(END_NONE), "");
	for (i = 1; i < END__MAX; i++) {
		CU_ASSERT(named(end_reason_name((enum end_reason)i)));
		CU_ASSERT_EQUAL(end_reason_parse(end_reason_name((enum end_reason)i)), i);
		for (j = 1; j < i; j++)
			TU_ASSERT_STR_NE(end_reason_name((enum end_reason)i),
			    end_reason_name((enum end_reason)j));
	}
}

static void
test_an_unknown_end_reason_parses_as_none(void)
{
	CU_ASSERT_EQUAL(end_reason_parse("NOPE"), END_NONE);
	CU_ASSERT_EQUAL(end_reason_parse(NULL), END_NONE);
	CU_ASSERT_EQUAL(end_reason_parse(""), END_NONE);
	CU_ASSERT_EQUAL(end_reason_parse("user_logout"), END_NONE);
}

static void
test_an_idle_or_expired_end_keeps_its_reason_and_every_other_is_ended(void)
{
	int i;

	CU_ASSERT_EQUAL(reason_for_end(END_NONE), REASON_NONE);
	CU_ASSERT_EQUAL(reason_for_end(END_IDLE_TIMEOUT), REASON_SESSION_IDLE_TIMEOUT);
	CU_ASSERT_EQUAL(reason_for_end(END_EXPIRED), REASON_SESSION_EXPIRED);
	CU_ASSERT_EQUAL(reason_for_end(END_REFRESH_REUSED), REASON_SESSION_ENDED);
	for (i = 1; i < END__MAX; i++) {
		CU_ASSERT_NOT_EQUAL(reason_for_end((enum end_reason)i), REASON_NONE);
		if (i != END_IDLE_TIMEOUT && i != END_EXPIRED)
			CU_ASSERT_EQUAL(
			    reason_for_end((enum end_reason)i), REASON_SESSION_ENDED);
	}
}

static void
test_every_logout_type_has_a_unique_name_that_parses_back(void)
{
	enum logout_type t;
	int i, j;

	for (i = 0; i < LOGOUT__MAX; i++) {
		CU_ASSERT(named(logout_type_name((enum logout_type)i)));
		t = LOGOUT__MAX;
		CU_ASSERT_EQUAL(
		    logout_type_parse(logout_type_name((enum logout_type)i), &t), 0);
		CU_ASSERT_EQUAL(t, i);
		for (j = 0; j < i; j++)
			TU_ASSERT_STR_NE(logout_type_name((enum logout_type)i),
			    logout_type_name((enum logout_type)j));
	}
	/* The wire names the API documents, in the order of the counters. */
	TU_ASSERT_STR_EQ(logout_type_name(LOGOUT_USER_ACTION), "USER_ACTION");
	TU_ASSERT_STR_EQ(logout_type_name(LOGOUT_UNKNOWN), "UNKNOWN");
}

static void
test_an_unknown_logout_type_is_refused(void)
{
	enum logout_type t = LOGOUT_AUTH_ERROR;

	CU_ASSERT_EQUAL(logout_type_parse("NOPE", &t), -1);
	CU_ASSERT_EQUAL(logout_type_parse("", &t), -1);
	CU_ASSERT_EQUAL(logout_type_parse(NULL, &t), -1);
	CU_ASSERT_EQUAL(logout_type_parse("user_action", &t), -1);
	CU_ASSERT_EQUAL(logout_type_parse("USER_ACTION ", &t), -1);
	CU_ASSERT_EQUAL(t, LOGOUT_AUTH_ERROR);
}

static void
test_a_value_out_of_range_has_an_empty_name(void)
{
	TU_ASSERT_STR_EQ(reason_name(REASON__MAX), "");
	TU_ASSERT_STR_EQ(reason_message(REASON__MAX), "");
	TU_ASSERT_STR_EQ(end_reason_name(END__MAX), "");
	TU_ASSERT_STR_EQ(logout_type_name(LOGOUT__MAX), "");
	TU_ASSERT_STR_EQ(reason_name((enum reason)(-1)), "");
	TU_ASSERT_STR_EQ(reason_message((enum reason)(-1)), "");
	TU_ASSERT_STR_EQ(end_reason_name((enum end_reason)(-1)), "");
	TU_ASSERT_STR_EQ(logout_type_name((enum logout_type)(-1)), "");
}

static const struct tu_test tests[] = {
	{ "every reason has a unique name and a message",
	    test_every_reason_has_a_unique_name_and_a_message },
	{ "every end reason has a unique name that parses back",
	    test_every_end_reason_has_a_unique_name_that_parses_back },
	{ "an unknown end reason parses as none",
	    test_an_unknown_end_reason_parses_as_none },
	{ "an idle or expired end keeps its reason and every other is ended",
	    test_an_idle_or_expired_end_keeps_its_reason_and_every_other_is_ended },
	{ "every logout type has a unique name that parses back",
	    test_every_logout_type_has_a_unique_name_that_parses_back },
	{ "an unknown logout type is refused", test_an_unknown_logout_type_is_refused },
	{ "a value out of range has an empty name",
	    test_a_value_out_of_range_has_an_empty_name },
	{ NULL, NULL }
};

int
main(void)
{
	tu_begin();
	tu_suite("reason", NULL, NULL, tests);
	return tu_end("test_reason");
}
