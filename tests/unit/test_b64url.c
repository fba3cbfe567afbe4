/*
 * test_b64url: RFC 4648 vectors, round trips, strict decoding, random tokens.
 */
#include <stdlib.h>
#include <string.h>

#include "b64url.h"
#include "testutil.h"
#include "util.h"

static void
test_rfc_4648_vectors_encode_without_padding(void)
{
	static const char *const in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const out[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy" };
	size_t i;
	char *e;

	for (i = 0; i < 7; i++) {
		e = b64url_encode(in[i], strlen(in[i]));
		TU_ASSERT_STR_EQ(e, out[i]);
		free(e);
	}
}

static void
test_the_url_alphabet_replaces_plus_and_slash(void)
{
	unsigned char b[] = { 0xfb, 0xff, 0xbf };
	char *e = b64url_encode(b, 3);

	TU_ASSERT_STR_EQ(e, "-_-_");
	free(e);
}

static void
test_every_length_round_trips(void)
{
	unsigned char buf[64], *out;
	size_t len, n;
	char *e;

	for (len = 0; len <= sizeof(buf); len++) {
		util_random(buf, len);
		e = b64url_encode(buf, len);
		CU_ASSERT_EQUAL_FATAL(b64url_decode(e, strlen(e), &out, &n), 0);
		CU_ASSERT_EQUAL(n, len);
		CU_ASSERT(memcmp(out, buf, len) == 0);
		CU_ASSERT_EQUAL(out[n], 0);
		free(out);
		free(e);
	}
}

static void
test_padding_foreign_characters_and_bad_lengths_are_refused(void)
{
	static const char *const bad[] = { "Zg==", "Zm8=", "Zm9v+A", "Zm9v/A", "Zm 9v", "Z", "Zm9vY",
		"Zm\n9v" };
	unsigned char *out;
	size_t i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(b64url_decode(bad[i], strlen(bad[i]), &out, &n), -1);
		CU_ASSERT_PTR_NULL(out);
	}
}

static void
test_non_canonical_trailing_bits_are_refused(void)
{
	unsigned char *out;
	size_t n;

	CU_ASSERT_EQUAL(b64url_decode("Zg", 2, &out, &n), 0);
	free(out);
	CU_ASSERT_EQUAL(b64url_decode("Zh", 2, &out, &n), -1);
	CU_ASSERT_EQUAL(b64url_decode("Zm9", 3, &out, &n), -1);
}

static void
test_a_random_token_decodes_to_its_byte_count_and_differs_each_time(void)
{
	char *a = b64url_random_token(32), *b = b64url_random_token(32);
	unsigned char *out;
	size_t n;

	CU_ASSERT_EQUAL(strlen(a), 43);
	CU_ASSERT_EQUAL_FATAL(b64url_decode(a, strlen(a), &out, &n), 0);
	CU_ASSERT_EQUAL(n, 32);
	CU_ASSERT(strcmp(a, b) != 0);
	free(out);
	free(a);
	free(b);
}

static const struct tu_test tests[] = {
	{ "RFC 4648 vectors encode without padding", test_rfc_4648_vectors_encode_without_padding },
	{ "the URL alphabet replaces plus and slash", test_the_url_alphabet_replaces_plus_and_slash },
	{ "every length round-trips", test_every_length_round_trips },
	{ "padding, foreign characters and bad lengths are refused",
	    test_padding_foreign_characters_and_bad_lengths_are_refused },
	{ "non-canonical trailing bits are refused", test_non_canonical_trailing_bits_are_refused },
	{ "a random token decodes to its byte count and differs each time",
	    test_a_random_token_decodes_to_its_byte_count_and_differs_each_time },
	{ NULL, NULL }
};

int
main(void)
{
	tu_begin();
	tu_suite("b64url", NULL, NULL, tests);
	return tu_end("test_b64url");
}
