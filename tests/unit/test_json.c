/*
 * test_json: what json_parse_object accepts as a request body. json-c alone
 * keeps the last of duplicate keys and reads NaN and Infinity; tether
 * refuses both (anything in front of it may read the body differently).
 */
#include <string.h>

#include "json.h"
#include "testutil.h"
#include "util.h"

static bool
parses(const char *text)
{
	json_object *o = json_parse_object(text, strlen(text));
	bool ok = o != NULL;

	json_object_put(o);
	return ok;
}

static void
test_a_plain_object_parses(void)
{
	CU_ASSERT_TRUE(parses("{\"email\":\"a@example.com\",\"password\":\"x:y\"}"));
	CU_ASSERT_TRUE(parses("{\"a\":{\"a\":1},\"b\":[{\"a\":1},{\"a\":2}],\"c\":1.5e3}"));
	/* Colons and quotes inside strings are not members. */
	CU_ASSERT_TRUE(parses("{\"k:\\\"\":\"v:\\\\\",\"l\":\"\\\":\"}"));
}

static void
test_a_duplicate_key_is_refused(void)
{
	CU_ASSERT_FALSE(parses("{\"email\":\"nobody@example.com\","
	                       "\"email\":\"demo@example.com\",\"password\":\"p\"}"));
	CU_ASSERT_FALSE(parses("{\"a\":1,\"b\":{\"x\":1,\"x\":2}}"));
	CU_ASSERT_FALSE(parses("{\"a\":[{\"x\":1,\"x\":1}]}"));
	/* The same key spelled with an escape is the same key. */
	CU_ASSERT_FALSE(parses("{\"a\":1,\"\\u0061\":2}"));
}

static void
test_nan_and_infinity_are_refused(void)
{
	CU_ASSERT_FALSE(parses("{\"idle_minutes\":NaN}"));
	CU_ASSERT_FALSE(parses("{\"idle_minutes\":Infinity}"));
	CU_ASSERT_FALSE(parses("{\"idle_minutes\":-Infinity}"));
	CU_ASSERT_FALSE(parses("{\"context\":{\"a\":[1,NaN]}}"));
}

static void
test_a_nul_anywhere_is_refused(void)
{
	CU_ASSERT_FALSE(parses("{\"context\":{\"a\":\"x\\u0000y\"}}"));
	CU_ASSERT_FALSE(parses("{\"context\":{\"a\\u0000\":1}}"));
	/* An escaped backslash and then u0000 is text, not a NUL. */
	CU_ASSERT_TRUE(parses("{\"context\":{\"a\":\"\\\\u0000\"}}"));
	CU_ASSERT_TRUE(parses("{\"a\":\"\\u0001\\u00e9\"}"));
}

static void
test_member_count_skips_strings(void)
{
	const char *t = "{\"a:b\":\"c:\\\"d:\",\"e\":{\"f\":1}}";

	CU_ASSERT_EQUAL(util_json_members(t, strlen(t)), 3);
	CU_ASSERT_EQUAL(util_json_members("{}", 2), 0);
}

static const struct tu_test tests[] = {
	{ "a plain object parses", test_a_plain_object_parses },
	{ "a duplicate key is refused", test_a_duplicate_key_is_refused },
	{ "NaN and Infinity are refused", test_nan_and_infinity_are_refused },
	{ "a NUL anywhere is refused", test_a_nul_anywhere_is_refused },
	{ "the member count skips strings", test_member_count_skips_strings },
	{ NULL, NULL }
};

int
main(void)
{
	tu_begin();
	tu_suite("json", NULL, NULL, tests);
	return tu_end("test_json");
}
