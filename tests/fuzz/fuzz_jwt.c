/*
 * fuzz_jwt: jwt_verify. The first byte picks how the rest becomes a token:
 *   'R' (and anything else): the rest is the token, as a client sends it;
 *       nearly all of these stop at the signature.
 *   'S': the rest is "header JSON\npayload JSON", encoded and signed here
 *       with the configured key, so the header and claims checks behind
 *       the signature are fuzzed too.
 *   'M': a valid token from jwt_sign (times from the input), which must
 *       verify, then mutated by the rest ((offset, xor) byte pairs); a
 *       changed token must never verify.
 * Invariants: an accepted token carries the claims tether issues, within
 * their times; no saturated integer (a JSON number beyond int64) is
 * accepted as a time.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "b64url.h"
#include "fuzz_util.h"
#include "jwt.h"

#define ISS "tether"
#define AUD "tether"
#define LEEWAY 30
/* A fixed clock: the token times are what varies. */
#define NOW ((time_t)1800000000)

static struct jwt_key keys[2];

static void
setup(void)
{
	char err[128];

	/* 32 bytes each; "k1" and "k2" as a rotation would have them. */
	if (jwt_key_parse("k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY", &keys[0], err,
	        sizeof(err)) != 0 ||
	    jwt_key_parse("k2:ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA", &keys[1], err,
	        sizeof(err)) != 0)
		abort();
}

static void
check_accepted(enum jwt_err e, const struct jwt_claims *c)
{
	if (e != JWT_OK)
		return;
	if (c->sub[0] == '\0' || c->sid[0] == '\0' || c->jti[0] == '\0' ||
	    c->exp <= (int64_t)NOW - LEEWAY || c->iat > (int64_t)NOW + LEEWAY ||
	    c->exp == INT64_MAX || c->iat == INT64_MIN || c->nbf == INT64_MAX)
		abort();
}

static enum jwt_err
verify(const char *tok, struct jwt_claims *c)
{
	enum jwt_err e = jwt_verify(tok, keys, 2, ISS, AUD, LEEWAY, NOW, c);

	if ((unsigned)e >= JWT__MAX)
		abort();
	check_accepted(e, c);
	return e;
}

/* 'S': header and payload as given, signed with k1. */
static void
signed_mode(const uint8_t *data, size_t size)
{
	char *text = fuzz_str(data, size), *payload = fuzz_cut(text), *h64, *p64, *s64,
	     *tok;
	unsigned char mac[32];
	unsigned maclen = 0;
	struct jwt_claims c;
	size_t hl, pl;

	h64 = b64url_encode(text, strlen(text));
	p64 = b64url_encode(payload, strlen(payload));
	hl = strlen(h64);
	pl = strlen(p64);
	tok = malloc(hl + pl + 2 + 44);
	if (tok == NULL)
		abort();
	memcpy(tok, h64, hl);
	tok[hl] = '.';
	memcpy(tok + hl + 1, p64, pl + 1);
	if (HMAC(EVP_sha256(), keys[0].secret, (int)keys[0].secret_len,
	        (const unsigned char *)tok, hl + 1 + pl, mac, &maclen) == NULL ||
	    maclen != sizeof(mac))
		abort();
	s64 = b64url_encode(mac, sizeof(mac));
	tok[hl + 1 + pl] = '.';
	memcpy(tok + hl + 2 + pl, s64, strlen(s64) + 1);
	(void)verify(tok, &c);
	free(s64);
	free(tok);
	free(p64);
	free(h64);
	free(text);
}

static int64_t
take64(const uint8_t **d, size_t *n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < 8 && *n > 0; i++, (*d)++, (*n)--)
		v = v << 8 | **d;
	return (int64_t)v;
}

/* 'M': a token of jwt_sign, then mutated. */
static void
mutate_mode(const uint8_t *data, size_t size)
{
	struct jwt_claims in, out;
	enum jwt_err e;
	char *tok, *orig;
	size_t len, off;

	memset(&in, 0, sizeof(in));
	strcpy(in.sub, "42");
	strcpy(in.sid, "c2Vzc2lvbi1pZC0xMjM0NTY3OA");
	strcpy(in.jti, "dG9rZW4taWQtMTIzNDU2Nzg5MA");
	/* Times near NOW, from the input: valid, expired or not yet valid. */
	in.iat = NOW + (take64(&data, &size) % 3600);
	in.exp = in.iat + (take64(&data, &size) % 3600);
	in.nbf = INT64_MIN;
	if ((tok = jwt_sign(&keys[size > 0 && (data[0] & 1) ? 1 : 0], ISS, AUD, &in)) == NULL)
		abort();
	e = verify(tok, &out);
	if (e == JWT_MALFORMED || e == JWT_BAD_HEADER || e == JWT_UNKNOWN_KID ||
	    e == JWT_BAD_SIGNATURE || e == JWT_BAD_CLAIMS)
		abort(); /* what we sign, we must accept */
	if (e == JWT_OK && (strcmp(out.sub, in.sub) != 0 || out.exp != in.exp))
		abort();
	orig = strdup(tok);
	if (orig == NULL)
		abort();
	len = strlen(tok);
	for (; size >= 2; data += 2, size -= 2) {
		off = data[0] % (len + 1);
		if (off == len) {
			tok[data[1] % len] = '\0'; /* truncated */
			len = strlen(tok);
			if (len == 0)
				break;
		} else if (data[1] != 0) {
			tok[off] = (char)(tok[off] ^ data[1]);
			if (tok[off] == '\0')
				tok[off] = '.';
		}
	}
	if (strcmp(tok, orig) != 0 && verify(tok, &out) == JWT_OK)
		abort(); /* a changed token was accepted */
	free(orig);
	free(tok);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct jwt_claims c;
	char *tok;

	if (!ready) {
		setup();
		ready = 1;
	}
	if (size == 0)
		return 0;
	if (data[0] == 'S') {
		signed_mode(data + 1, size - 1);
	} else if (data[0] == 'M') {
		mutate_mode(data + 1, size - 1);
	} else {
		tok = fuzz_str(data + 1, size - 1);
		(void)verify(tok, &c);
		free(tok);
	}
	return 0;
}
