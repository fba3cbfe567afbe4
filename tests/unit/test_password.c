/*
 * test_password: scrypt hashing, verification, upgrades and validation.
 * A low cost keeps it fast; one test uses the real default cost.
 */
#include <stdlib.h>
#include <string.h>

#include "password.h"
#include "testutil.h"
#include "util.h"

static const struct scrypt_params low = { 1024, 8, 1 };

static void
test_a_hash_verifies_its_password_only(void)
{
	char *h = password_hash("correct horse", 13, &low);
	bool rehash = true;

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT(strncmp(h, "$scrypt$ln=10,r=8,p=1$", 22) == 0);
	CU_ASSERT_EQUAL(password_verify("correct horse", 13, h, &low, &rehash), 1);
	CU_ASSERT_FALSE(rehash);
	CU_ASSERT_EQUAL(password_verify("correct horsf", 13, h, &low, NULL), 0);
	CU_ASSERT_EQUAL(password_verify("correct hors", 12, h, &low, NULL), 0);
	free(h);
}

static void
test_the_same_password_hashes_differently_each_time(void)
{
	char *a = password_hash("same password", 13, &low), *b = password_hash("same password", 13, &low);

	TU_ASSERT_STR_NE(a, b);
	free(a);
	free(b);
}

static void
test_a_hash_with_other_parameters_asks_for_a_rehash(void)
{
	struct scrypt_params more = { 2048, 8, 1 };
	char *h = password_hash("upgrade me", 10, &low);
	bool rehash = false;

	CU_ASSERT_EQUAL(password_verify("upgrade me", 10, h, &more, &rehash), 1);
	CU_ASSERT_TRUE(rehash);
	rehash = true;
	CU_ASSERT_EQUAL(password_verify("wrong one!", 10, h, &more, &rehash), 0);
	CU_ASSERT_FALSE(rehash);
	free(h);
}

static void
test_malformed_stored_hashes_are_refused(void)
{
	static const char *const bad[] = { "", "plain", "$2y$10$abc", "$scrypt$ln=10,r=8,p=1$",
		"$scrypt$ln=10,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA",
		"$scrypt$ln=40,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"$scrypt$ln=10,r=0,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"$scrypt$ln=10,r=8,p=1$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(password_verify("whatever1", 9, bad[i], &low, NULL), -1);
	CU_ASSERT_EQUAL(password_verify("whatever1", 9, NULL, &low, NULL), -1);
}

static void
test_validation_counts_characters_not_bytes(void)
{
	char *s = xmalloc(1100 * 2 + 1);

	CU_ASSERT_EQUAL(password_validate("1234567", 7), PW_TOO_SHORT);
	CU_ASSERT_EQUAL(password_validate("12345678", 8), PW_OK);
	/* Eight "é" are sixteen bytes and eight characters. */
	CU_ASSERT_EQUAL(password_validate("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 16), PW_OK);
	CU_ASSERT_EQUAL(password_validate("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 14), PW_TOO_SHORT);
	memset(s, 'a', 1024);
	CU_ASSERT_EQUAL(password_validate(s, 1024), PW_OK);
	memset(s, 'a', 1025);
	CU_ASSERT_EQUAL(password_validate(s, 1025), PW_TOO_LONG);
	memset(s, 0, 1100 * 2 + 1);
	free(s);
}

static void
test_nul_and_invalid_utf8_are_refused(void)
{
	CU_ASSERT_EQUAL(password_validate("abcd\0efgh", 9), PW_NUL);
	CU_ASSERT_EQUAL(password_validate("abcdefg\xff", 8), PW_BAD_UTF8);
	CU_ASSERT_EQUAL(password_validate("abcdefg\xc0\xaf", 9), PW_BAD_UTF8); /* overlong '/' */
	CU_ASSERT_EQUAL(password_validate("abcdefg\xed\xa0\x80", 10), PW_BAD_UTF8); /* surrogate */
	CU_ASSERT(password_err_message(PW_TOO_SHORT)[0] != '\0');
}

static void
test_a_long_password_is_never_truncated(void)
{
	char a[1024], b[1024];
	char *h;

	memset(a, 'x', sizeof(a));
	memcpy(b, a, sizeof(b));
	b[1023] = 'y';
	h = password_hash(a, sizeof(a), &low);
	CU_ASSERT_EQUAL(password_verify(a, sizeof(a), h, &low, NULL), 1);
	CU_ASSERT_EQUAL(password_verify(b, sizeof(b), h, &low, NULL), 0);
	free(h);
}

static void
test_the_default_cost_works(void)
{
	struct scrypt_params def = { 16384, 8, 5 };
	char *h = password_hash("default cost", 12, &def);

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT(strncmp(h, "$scrypt$ln=14,r=8,p=5$", 22) == 0);
	CU_ASSERT_EQUAL(password_verify("default cost", 12, h, &def, NULL), 1);
	password_burn("anything", 8, &def);
	free(h);
}

static const struct tu_test tests[] = {
	{ "a hash verifies its password only", test_a_hash_verifies_its_password_only },
	{ "the same password hashes differently each time",
	    test_the_same_password_hashes_differently_each_time },
	{ "a hash with other parameters asks for a rehash",
	    test_a_hash_with_other_parameters_asks_for_a_rehash },
	{ "malformed stored hashes are refused", test_malformed_stored_hashes_are_refused },
	{ "validation counts characters, not bytes", test_validation_counts_characters_not_bytes },
	{ "NUL and invalid UTF-8 are refused", test_nul_and_invalid_utf8_are_refused },
	{ "a long password is never truncated", test_a_long_password_is_never_truncated },
	{ "the default cost works", test_the_default_cost_works },
	{ NULL, NULL }
};

int
main(void)
{
	tu_begin();
	tu_suite("password", NULL, NULL, tests);
	return tu_end("test_password");
}
