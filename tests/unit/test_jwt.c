/*
 * test_jwt: signing and every refusal of verification. Tokens with a wrong
 * header or claims are built by hand and signed with the right key, so
 * only the one thing under test is wrong.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64url.h"
#include "jwt.h"
#include "testutil.h"
#include "util.h"

#define NOW ((time_t)1800000000)
#define K1 "t1:dGVzdC1vbmx5LXNpZ25pbmcta2V5LW9mLTMyLWJ5dGVzISE"
#define K2 "t2:b3RoZXItdGVzdC1rZXktb2YtdGhpcnR5LXR3by1ieXRlcyE"
#define GOOD_PAYLOAD "{\"iss\":\"tether\",\"aud\":\"tether\",\"sub\":\"42\",\"sid\":\"s-1\"," \
	"\"jti\":\"j-1\",\"iat\":1800000000,\"exp\":1800000900,\"typ\":\"access\"}"
#define GOOD_HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"t1\"}"
/* Made by PyJWT (an independent implementation) with the secret of K1. */
#define PYJWT_TOKEN "eyJhbGciOiJIUzI1NiIsImtpZCI6InQxIiwidHlwIjoiSldUIn0.eyJpc3MiOiJ0ZXRo" \
	"ZXIiLCJhdWQiOiJ0ZXRoZXIiLCJzdWIiOiI0MiIsInNpZCI6IjBiN2MxZjVlLTAwMDAtNDAwMC04MDAwLTAwMDAw" \
	"MDAwMDAwMSIsImp0aSI6InB5and0LW1hZGUiLCJpYXQiOjE4MDAwMDAwMDAsImV4cCI6MTgwMDAwMDkwMCwidHlw" \
	"IjoiYWNjZXNzIn0.-wbrh2zX7uVfLz2hB0kpkifi2IF1MTNiWIWioqz4xNs"

static struct jwt_key keys[2];

static int
init(void)
{
	char err[128];

	if (jwt_key_parse(K1, &keys[0], err, sizeof(err)) != 0 ||
	    jwt_key_parse(K2, &keys[1], err, sizeof(err)) != 0)
		return 1;
	return 0;
}

static int
clean(void)
{
	jwt_key_clear(&keys[0]);
	jwt_key_clear(&keys[1]);
	return 0;
}

/* Builds header.payload.signature from JSON texts, signed with key. */
static char *
forge(const char *header, const char *payload, const struct jwt_key *key)
{
	char *h = b64url_encode(header, strlen(header));
	char *p = b64url_encode(payload, strlen(payload));
	char *input = xasprintf("%s.%s", h, p), *sig, *tok;
	unsigned char mac[32];
	unsigned int len = 0;

	HMAC(EVP_sha256(), key->secret, (int)key->secret_len, (unsigned char *)input,
	    strlen(input), mac, &len);
	sig = b64url_encode(mac, len);
	tok = xasprintf("%s.%s", input, sig);
	free(h);
	free(p);
	free(input);
	free(sig);
	return tok;
}

static enum jwt_err
verify(const char *tok, struct jwt_claims *c)
{
	return jwt_verify(tok, keys, 2, "tether", "tether", 30, NOW, c);
}

static enum jwt_err
verify_forged(const char *header, const char *payload)
{
	struct jwt_claims c;
	char *tok = forge(header, payload, &keys[0]);
	enum jwt_err e = verify(tok, &c);

	free(tok);
	return e;
}

static char *
good_token(const struct jwt_key *key)
{
	struct jwt_claims c = { .sub = "42", .sid = "s-1", .jti = "j-1", .iat = NOW, .exp = NOW + 900 };

	return jwt_sign(key, "tether", "tether", &c);
}

static void
test_a_signed_token_verifies_with_its_claims(void)
{
	struct jwt_claims c;
	char *tok = good_token(&keys[0]);

	CU_ASSERT_EQUAL(verify(tok, &c), JWT_OK);
	TU_ASSERT_STR_EQ(c.sub, "42");
	TU_ASSERT_STR_EQ(c.sid, "s-1");
	TU_ASSERT_STR_EQ(c.jti, "j-1");
	CU_ASSERT_EQUAL(c.iat, NOW);
	CU_ASSERT_EQUAL(c.exp, NOW + 900);
	free(tok);
}

static void
test_a_token_made_by_pyjwt_verifies(void)
{
	struct jwt_claims c;

	CU_ASSERT_EQUAL(verify(PYJWT_TOKEN, &c), JWT_OK);
	TU_ASSERT_STR_EQ(c.jti, "pyjwt-made");
	TU_ASSERT_STR_EQ(c.sid, "0b7c1f5e-0000-4000-8000-000000000001");
}

static void
test_a_token_signed_with_a_second_configured_key_verifies(void)
{
	struct jwt_claims c;
	char *tok = good_token(&keys[1]);

	CU_ASSERT_EQUAL(verify(tok, &c), JWT_OK);
	/* Only the first key configured: the kid is unknown. */
	CU_ASSERT_EQUAL(jwt_verify(tok, keys, 1, "tether", "tether", 30, NOW, &c), JWT_UNKNOWN_KID);
	free(tok);
}

/* Flips one character of part (0 header, 1 payload, 2 signature). */
static void
tamper(int part)
{
	struct jwt_claims c;
	char *tok = good_token(&keys[0]), *p = tok;
	int i;

	for (i = 0; i < part; i++)
		p = strchr(p, '.') + 1;
	p[2] = p[2] == 'A' ? 'B' : 'A';
	CU_ASSERT_NOT_EQUAL(verify(tok, &c), JWT_OK);
	CU_ASSERT_EQUAL(c.jti[0], '\0');
	free(tok);
}

static void
test_a_tampered_header_is_refused(void)
{
	tamper(0);
}

static void
test_a_tampered_payload_is_refused(void)
{
	struct jwt_claims c;
	char *tok = good_token(&keys[0]);

	tamper(1);
	/* A payload swapped for another valid one keeps the old signature. */
	{
		char *other = forge(GOOD_HEADER, "{\"iss\":\"tether\",\"aud\":\"tether\",\"sub\":\"1\","
		    "\"sid\":\"s-1\",\"jti\":\"j-1\",\"iat\":1800000000,\"exp\":1800000900,"
		    "\"typ\":\"access\"}", &keys[0]);
		char *sig = strrchr(tok, '.'), *mix;

		*strrchr(other, '.') = '\0';
		mix = xasprintf("%s%s", other, sig);
		CU_ASSERT_EQUAL(verify(mix, &c), JWT_BAD_SIGNATURE);
		free(other);
		free(mix);
	}
	free(tok);
}

static void
test_a_tampered_signature_is_refused(void)
{
	tamper(2);
}

static void
test_only_alg_hs256_is_accepted(void)
{
	CU_ASSERT_EQUAL(verify_forged("{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"t1\"}",
	    GOOD_PAYLOAD), JWT_BAD_HEADER);
	CU_ASSERT_EQUAL(verify_forged("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"t1\"}",
	    GOOD_PAYLOAD), JWT_BAD_HEADER);
	CU_ASSERT_EQUAL(verify_forged("{\"alg\":\"HS512\",\"typ\":\"JWT\",\"kid\":\"t1\"}",
	    GOOD_PAYLOAD), JWT_BAD_HEADER);
	CU_ASSERT_EQUAL(verify_forged("{\"typ\":\"JWT\",\"kid\":\"t1\"}", GOOD_PAYLOAD),
	    JWT_BAD_HEADER);
	CU_ASSERT_EQUAL(verify_forged("{\"alg\":[\"HS256\"],\"kid\":\"t1\"}", GOOD_PAYLOAD),
	    JWT_BAD_HEADER);
	CU_ASSERT_EQUAL(verify_forged(GOOD_HEADER, GOOD_PAYLOAD), JWT_OK);
}

static void
test_an_unsigned_alg_none_token_is_refused(void)
{
	struct jwt_claims c;
	char *h = b64url_encode("{\"alg\":\"none\",\"kid\":\"t1\"}", 25);
	char *p = b64url_encode(GOOD_PAYLOAD, strlen(GOOD_PAYLOAD));
	char *tok = xasprintf("%s.%s.", h, p);

	CU_ASSERT_NOT_EQUAL(verify(tok, &c), JWT_OK);
	free(h);
	free(p);
	free(tok);
}

static void
test_unknown_or_missing_kid_is_refused(void)
{
	CU_ASSERT_EQUAL(verify_forged("{\"alg\":\"HS256\",\"kid\":\"zz\"}", GOOD_PAYLOAD),
	    JWT_UNKNOWN_KID);
	CU_ASSERT_EQUAL(verify_forged("{\"alg\":\"HS256\"}", GOOD_PAYLOAD), JWT_UNKNOWN_KID);
	CU_ASSERT_EQUAL(verify_forged("{\"alg\":\"HS256\",\"kid\":1}", GOOD_PAYLOAD),
	    JWT_BAD_HEADER);
}

static void
test_crit_and_embedded_keys_are_refused(void)
{
	static const char *const h[] = {
		"{\"alg\":\"HS256\",\"kid\":\"t1\",\"crit\":[\"exp\"]}",
		"{\"alg\":\"HS256\",\"kid\":\"t1\",\"jwk\":{\"kty\":\"oct\"}}",
		"{\"alg\":\"HS256\",\"kid\":\"t1\",\"jku\":\"http://x/\"}",
		"{\"alg\":\"HS256\",\"kid\":\"t1\",\"x5u\":\"http://x/\"}",
		"{\"alg\":\"HS256\",\"kid\":\"t1\",\"typ\":\"at+jwt\"}",
		"{\"alg\":\"HS256\",\"kid\":\"t1\",\"typ\":7}",
	};
	size_t i;

	for (i = 0; i < sizeof(h) / sizeof(h[0]); i++)
		CU_ASSERT_EQUAL(verify_forged(h[i], GOOD_PAYLOAD), JWT_BAD_HEADER);
}

static void
test_wrong_issuer_audience_or_type_is_refused(void)
{
	CU_ASSERT_EQUAL(verify_forged(GOOD_HEADER, "{\"iss\":\"evil\",\"aud\":\"tether\","
	    "\"sub\":\"42\",\"sid\":\"s\",\"jti\":\"j\",\"iat\":1800000000,\"exp\":1800000900,"
	    "\"typ\":\"access\"}"), JWT_BAD_CLAIMS);
	CU_ASSERT_EQUAL(verify_forged(GOOD_HEADER, "{\"iss\":\"tether\",\"aud\":\"other\","
	    "\"sub\":\"42\",\"sid\":\"s\",\"jti\":\"j\",\"iat\":1800000000,\"exp\":1800000900,"
	    "\"typ\":\"access\"}"), JWT_BAD_CLAIMS);
	CU_ASSERT_EQUAL(verify_forged(GOOD_HEADER, "{\"iss\":\"tether\",\"aud\":[\"x\",\"tether\"],"
	    "\"sub\":\"42\",\"sid\":\"s\",\"jti\":\"j\",\"iat\":1800000000,\"exp\":1800000900,"
	    "\"typ\":\"access\"}"), JWT_OK);
	CU_ASSERT_EQUAL(verify_forged(GOOD_HEADER, "{\"iss\":\"tether\",\"aud\":\"tether\","
	    "\"sub\":\"42\",\"sid\":\"s\",\"jti\":\"j\",\"iat\":1800000000,\"exp\":1800000900,"
	    "\"typ\":\"refresh\"}"), JWT_BAD_CLAIMS);
}

static void
test_missing_or_badly_typed_claims_are_refused(void)
{
	static const char *const p[] = {
		"{\"iss\":\"tether\",\"aud\":\"tether\",\"sid\":\"s\",\"jti\":\"j\",\"iat\":1800000000,\"exp\":1800000900,\"typ\":\"access\"}",
		"{\"iss\":\"tether\",\"aud\":\"tether\",\"sub\":\"42\",\"jti\":\"j\",\"iat\":1800000000,\"exp\":1800000900,\"typ\":\"access\"}",
		"{\"iss\":\"tether\",\"aud\":\"tether\",\"sub\":\"42\",\"sid\":\"s\",\"iat\":1800000000,\"exp\":1800000900,\"typ\":\"access\"}",
		"{\"iss\":\"tether\",\"aud\":\"tether\",\"sub\":\"42\",\"sid\":\"s\",\"jti\":\"j\",\"exp\":1800000900,\"typ\":\"access\"}",
		"{\"iss\":\"tether\",\"aud\":\"tether\",\"sub\":\"42\",\"sid\":\"s\",\"jti\":\"j\",\"iat\":1800000000,\"typ\":\"access\"}",
		"{\"iss\":\"tether\",\"aud\":\"tether\",\"sub\":\"42\",\"sid\":\"s\",\"jti\":\"j\",\"iat\":1800000000,\"exp\":\"1800000900\",\"typ\":\"access\"}",
		"{\"iss\":\"tether\",\"aud\":\"tether\",\"sub\":\"42\",\"sid\":\"s\",\"jti\":\"j\",\"iat\":1800000000.5,\"exp\":1800000900,\"typ\":\"access\"}",
		"{\"iss\":\"tether\",\"aud\":\"tether\",\"sub\":42,\"sid\":\"s\",\"jti\":\"j\",\"iat\":1800000000,\"exp\":1800000900,\"typ\":\"access\"}",
		"{\"iss\":\"tether\",\"aud\":\"tether\",\"sub\":\"\",\"sid\":\"s\",\"jti\":\"j\",\"iat\":1800000000,\"exp\":1800000900,\"typ\":\"access\"}",
		"{\"iss\":\"tether\",\"aud\":\"tether\",\"sub\":\"42\",\"sid\":\"s\",\"jti\":\"j\",\"iat\":1800000000,\"exp\":1800000900,\"typ\":\"access\",\"nbf\":true}",
	};
	size_t i;

	for (i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		CU_ASSERT_EQUAL(verify_forged(GOOD_HEADER, p[i]), JWT_BAD_CLAIMS);
}

/* json-c saturates integers: 2^64 would read as INT64_MAX, a token that
 * never expires. Validly signed, these are still refused. */
static void
test_times_beyond_64_bits_are_refused(void)
{
#define CLAIMS_WITH(t) "{\"iss\":\"tether\",\"aud\":\"tether\",\"sub\":\"42\"," \
	"\"sid\":\"s\",\"jti\":\"j\",\"typ\":\"access\"," t "}"
	static const char *const p[] = {
		CLAIMS_WITH("\"iat\":1800000000,\"exp\":18446744073709551616"),
		CLAIMS_WITH("\"iat\":1800000000,\"exp\":18446744073709551615"),
		CLAIMS_WITH("\"iat\":1800000000,\"exp\":9223372036854775808"),
		CLAIMS_WITH("\"iat\":1800000000,\"exp\":9223372036854775807"),
		CLAIMS_WITH("\"iat\":1800000000,\"exp\":1e30"),
		CLAIMS_WITH("\"iat\":-9223372036854775809,\"exp\":1800000900"),
		CLAIMS_WITH("\"iat\":1800000000,\"exp\":1800000900,\"nbf\":-1e30"),
		CLAIMS_WITH("\"iat\":1800000000,\"exp\":1800000900,"
		            "\"nbf\":-9223372036854775809"),
	};
	size_t i;

	for (i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		CU_ASSERT_EQUAL(verify_forged(GOOD_HEADER, p[i]), JWT_BAD_CLAIMS);
	/* The same token with an ordinary exp verifies. */
	CU_ASSERT_EQUAL(
	    verify_forged(GOOD_HEADER, CLAIMS_WITH("\"iat\":1800000000,\"exp\":1800000900")),
	    JWT_OK);
#undef CLAIMS_WITH
}

/* Which of two "exp" (or "alg") counts would depend on the parser. */
static void
test_duplicate_claims_or_header_fields_are_refused(void)
{
	struct jwt_claims c;
	char *tok;

	CU_ASSERT_EQUAL(verify_forged(GOOD_HEADER,
	    "{\"iss\":\"tether\",\"aud\":\"tether\",\"sub\":\"42\",\"sid\":\"s\","
	    "\"jti\":\"j\",\"iat\":1800000000,\"exp\":1700000000,\"exp\":1800000900,"
	    "\"typ\":\"access\"}"), JWT_MALFORMED);
	CU_ASSERT_EQUAL(verify_forged(GOOD_HEADER,
	    "{\"iss\":\"tether\",\"aud\":\"tether\",\"sub\":\"42\",\"sub\":\"43\","
	    "\"sid\":\"s\",\"jti\":\"j\",\"iat\":1800000000,\"exp\":1800000900,"
	    "\"typ\":\"access\"}"), JWT_MALFORMED);
	tok = forge("{\"alg\":\"none\",\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"t1\"}",
	    GOOD_PAYLOAD, &keys[0]);
	CU_ASSERT_NOT_EQUAL(verify(tok, &c), JWT_OK);
	free(tok);
	CU_ASSERT_EQUAL(verify_forged(GOOD_HEADER, GOOD_PAYLOAD), JWT_OK);
}

static void
test_an_expired_token_says_so_and_keeps_its_claims(void)
{
	struct jwt_claims c;
	char *tok = good_token(&keys[0]);

	/* exp is NOW + 900; the leeway is 30 s. */
	CU_ASSERT_EQUAL(jwt_verify(tok, keys, 2, "tether", "tether", 30, NOW + 929, &c), JWT_OK);
	CU_ASSERT_EQUAL(jwt_verify(tok, keys, 2, "tether", "tether", 30, NOW + 930, &c), JWT_EXPIRED);
	TU_ASSERT_STR_EQ(c.sid, "s-1");
	CU_ASSERT_EQUAL(jwt_verify(tok, keys, 2, "tether", "tether", 0, NOW + 900, &c), JWT_EXPIRED);
	free(tok);
}

static void
test_a_token_from_the_future_is_refused(void)
{
	struct jwt_claims c;
	char *tok = good_token(&keys[0]);

	CU_ASSERT_EQUAL(jwt_verify(tok, keys, 2, "tether", "tether", 30, NOW - 30, &c), JWT_OK);
	CU_ASSERT_EQUAL(jwt_verify(tok, keys, 2, "tether", "tether", 30, NOW - 31, &c),
	    JWT_NOT_YET_VALID);
	free(tok);
	CU_ASSERT_EQUAL(verify_forged(GOOD_HEADER, "{\"iss\":\"tether\",\"aud\":\"tether\","
	    "\"sub\":\"42\",\"sid\":\"s\",\"jti\":\"j\",\"iat\":1800000000,\"exp\":1800000900,"
	    "\"nbf\":1800000100,\"typ\":\"access\"}"), JWT_NOT_YET_VALID);
}

static void
test_the_time_checks_alone_agree_with_verify(void)
{
	struct jwt_claims c;
	char *tok = good_token(&keys[0]);
	time_t t[] = { NOW - 31, NOW - 30, NOW, NOW + 929, NOW + 930, NOW + 5000 };
	size_t i;

	CU_ASSERT_EQUAL_FATAL(jwt_verify(tok, keys, 2, "tether", "tether", 30, NOW, &c), JWT_OK);
	CU_ASSERT_EQUAL(c.nbf, INT64_MIN); /* tether issues no nbf */
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct jwt_claims v;
		enum jwt_err full = jwt_verify(tok, keys, 2, "tether", "tether", 30, t[i], &v);

		CU_ASSERT_EQUAL(jwt_check_times(&c, 30, t[i]), full);
	}
	c.nbf = NOW + 100;
	CU_ASSERT_EQUAL(jwt_check_times(&c, 30, NOW + 69), JWT_NOT_YET_VALID);
	CU_ASSERT_EQUAL(jwt_check_times(&c, 30, NOW + 70), JWT_OK);
	free(tok);
}

static void
test_garbage_is_malformed(void)
{
	static const char *const g[] = { "", ".", "..", "a.b.c", "abc", "a.b", "a.b.c.d",
		"!!!.@@@.###", "eyJhbGciOiJIUzI1NiJ9..", "e30.e30.AAAA" };
	struct jwt_claims c;
	size_t i;

	for (i = 0; i < sizeof(g) / sizeof(g[0]); i++)
		CU_ASSERT_NOT_EQUAL(verify(g[i], &c), JWT_OK);
	CU_ASSERT_EQUAL(verify("a.b.c.d", &c), JWT_MALFORMED);
	CU_ASSERT_EQUAL(verify(NULL, &c), JWT_MALFORMED);
	CU_ASSERT_EQUAL(verify_forged("[1]", GOOD_PAYLOAD), JWT_MALFORMED);
	CU_ASSERT_EQUAL(verify_forged("{\"alg\":\"HS256\",\"kid\":\"t1\"} x", GOOD_PAYLOAD),
	    JWT_MALFORMED);
}

static void
test_an_oversize_token_is_refused_before_parsing(void)
{
	struct jwt_claims c;
	char *big = xmalloc(JWT_MAX_TOKEN + 2);

	memset(big, 'A', JWT_MAX_TOKEN + 1);
	big[10] = '.';
	big[20] = '.';
	big[JWT_MAX_TOKEN + 1] = '\0';
	CU_ASSERT_EQUAL(verify(big, &c), JWT_MALFORMED);
	free(big);
}

static void
test_signing_keys_are_parsed_strictly(void)
{
	struct jwt_key k;
	char err[128];

	CU_ASSERT_EQUAL(jwt_key_parse(K1, &k, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(k.secret_len, 35);
	TU_ASSERT_STR_EQ(k.kid, "t1");
	CU_ASSERT_EQUAL(jwt_key_parse("short:c2hvcnQ", &k, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NULL(strstr(err, "c2hvcnQ"));
	CU_ASSERT_EQUAL(jwt_key_parse("nocolon", &k, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(jwt_key_parse(":dGVzdC1vbmx5LXNpZ25pbmcta2V5LW9mLTMyLWJ5dGVzISE", &k, err,
	    sizeof(err)), -1);
	CU_ASSERT_EQUAL(jwt_key_parse("b d:dGVzdC1vbmx5LXNpZ25pbmcta2V5LW9mLTMyLWJ5dGVzISE", &k,
	    err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(jwt_key_parse("k:not base64!", &k, err, sizeof(err)), -1);
	jwt_key_clear(&k);
}

static const struct tu_test tests[] = {
	{ "a signed token verifies with its claims", test_a_signed_token_verifies_with_its_claims },
	{ "a token made by PyJWT verifies", test_a_token_made_by_pyjwt_verifies },
	{ "a token signed with a second configured key verifies",
	    test_a_token_signed_with_a_second_configured_key_verifies },
	{ "a tampered header is refused", test_a_tampered_header_is_refused },
	{ "a tampered payload is refused", test_a_tampered_payload_is_refused },
	{ "a tampered signature is refused", test_a_tampered_signature_is_refused },
	{ "only alg HS256 is accepted", test_only_alg_hs256_is_accepted },
	{ "an unsigned alg none token is refused", test_an_unsigned_alg_none_token_is_refused },
	{ "an unknown or missing kid is refused", test_unknown_or_missing_kid_is_refused },
	{ "crit and embedded keys are refused", test_crit_and_embedded_keys_are_refused },
	{ "a wrong issuer, audience or type is refused",
	    test_wrong_issuer_audience_or_type_is_refused },
	{ "missing or badly typed claims are refused", test_missing_or_badly_typed_claims_are_refused },
	{ "times beyond 64 bits are refused", test_times_beyond_64_bits_are_refused },
	{ "duplicate claims or header fields are refused",
	    test_duplicate_claims_or_header_fields_are_refused },
	{ "an expired token says so and keeps its claims",
	    test_an_expired_token_says_so_and_keeps_its_claims },
	{ "a token from the future is refused", test_a_token_from_the_future_is_refused },
	{ "the time checks alone agree with verify",
	    test_the_time_checks_alone_agree_with_verify },
	{ "garbage is malformed", test_garbage_is_malformed },
	{ "an oversize token is refused before parsing",
	    test_an_oversize_token_is_refused_before_parsing },
	{ "signing keys are parsed strictly", test_signing_keys_are_parsed_strictly },
	{ NULL, NULL }
};

int
main(void)
{
	tu_begin();
	tu_suite("jwt", init, clean, tests);
	return tu_end("test_jwt");
}
