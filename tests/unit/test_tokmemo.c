/*
 * test_tokmemo: the memo of verified tokens finds exactly the token it was
 * given, whole, and nothing that merely resembles it.
 */
#include <string.h>

#include "testutil.h"
#include "tokmemo.h"

static const char *const TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl";

static struct jwt_claims
claims(const char *sid)
{
	struct jwt_claims c;

	memset(&c, 0, sizeof(c));
	strcpy(c.sub, "42");
	strcpy(c.sid, sid);
	strcpy(c.jti, "j-1");
	c.iat = 100;
	c.exp = 1000;
	c.nbf = INT64_MIN;
	return c;
}

static void
test_a_remembered_token_gives_back_its_claims(void)
{
	struct jwt_claims c = claims("s-1"), got;

	tokmemo_clear();
	CU_ASSERT_FALSE(tokmemo_get(TOKEN, &got));
	tokmemo_put(TOKEN, &c);
	CU_ASSERT_TRUE_FATAL(tokmemo_get(TOKEN, &got));
	TU_ASSERT_STR_EQ(got.sid, "s-1");
	TU_ASSERT_STR_EQ(got.sub, "42");
	CU_ASSERT_EQUAL(got.exp, 1000);
	CU_ASSERT_EQUAL(got.nbf, INT64_MIN);
}

static void
test_only_the_whole_token_matches(void)
{
	struct jwt_claims c = claims("s-1"), got;
	char other[128];

	tokmemo_clear();
	tokmemo_put(TOKEN, &c);
	/* The last character changed: a forged signature. */
	strcpy(other, TOKEN);
	other[strlen(other) - 1] = 'X';
	CU_ASSERT_FALSE(tokmemo_get(other, &got));
	/* A prefix, and the token with more after it. */
	memcpy(other, TOKEN, 20);
	other[20] = '\0';
	CU_ASSERT_FALSE(tokmemo_get(other, &got));
	strcpy(other, TOKEN);
	strcat(other, "A");
	CU_ASSERT_FALSE(tokmemo_get(other, &got));
	CU_ASSERT_FALSE(tokmemo_get("", &got));
	CU_ASSERT_FALSE(tokmemo_get(NULL, &got));
	CU_ASSERT_TRUE(tokmemo_get(TOKEN, &got));
}

static void
test_a_slot_holds_the_latest_token(void)
{
	struct jwt_claims got;
	char tok[64];
	int i, found = 0;

	tokmemo_clear();
	/* More tokens than slots: each lookup is right or a miss, never
	 * another token's claims. */
	for (i = 0; i < 3 * TOKMEMO_SLOTS; i++) {
		struct jwt_claims c;

		snprintf(tok, sizeof(tok), "t.%d.s", i);
		c = claims(tok);
		tokmemo_put(tok, &c);
	}
	for (i = 0; i < 3 * TOKMEMO_SLOTS; i++) {
		snprintf(tok, sizeof(tok), "t.%d.s", i);
		if (tokmemo_get(tok, &got)) {
			TU_ASSERT_STR_EQ(got.sid, tok);
			found++;
		}
	}
	CU_ASSERT_TRUE(found > 0 && found <= TOKMEMO_SLOTS);
}

static void
test_an_overlong_token_is_not_remembered(void)
{
	struct jwt_claims c = claims("s-1"), got;
	char big[TOKMEMO_TOKEN_MAX + 10];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	tokmemo_put(big, &c);
	CU_ASSERT_FALSE(tokmemo_get(big, &got));
}

static void
test_clear_forgets_everything(void)
{
	struct jwt_claims c = claims("s-1"), got;

	tokmemo_put(TOKEN, &c);
	tokmemo_clear();
	CU_ASSERT_FALSE(tokmemo_get(TOKEN, &got));
}

static const struct tu_test tests[] = {
	{ "a remembered token gives back its claims", test_a_remembered_token_gives_back_its_claims },
	{ "only the whole token matches", test_only_the_whole_token_matches },
	{ "a slot holds the latest token", test_a_slot_holds_the_latest_token },
	{ "an overlong token is not remembered", test_an_overlong_token_is_not_remembered },
	{ "clear forgets everything", test_clear_forgets_everything },
	{ NULL, NULL }
};

int
main(void)
{
	tu_begin();
	tu_suite("tokmemo", NULL, NULL, tests);
	return tu_end("test_tokmemo");
}
