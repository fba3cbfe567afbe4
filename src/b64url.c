/*
 * b64url: unpadded base64url. Decoding is strict (no padding, no other
 * alphabet, zero trailing bits) so that every byte string has exactly one
 * text form: a token cannot be altered into an equivalent spelling.
 * Random tokens are minted here rather than in util, which would otherwise
 * need this module while this one needs util's allocation and randomness.
 */
#include <stdlib.h>
#include <string.h>

#include "b64url.h"
#include "util.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *
b64url_encode(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	char *out = xmalloc((len + 2) / 3 * 4 + 1), *o = out;
	size_t i;
	unsigned v;

	for (i = 0; i + 2 < len; i += 3) {
		v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		*o++ = alphabet[v >> 18 & 63];
		*o++ = alphabet[v >> 12 & 63];
		*o++ = alphabet[v >> 6 & 63];
		*o++ = alphabet[v & 63];
	}
	if (len - i == 1) {
		v = (unsigned)p[i] << 16;
		*o++ = alphabet[v >> 18 & 63];
		*o++ = alphabet[v >> 12 & 63];
	} else if (len - i == 2) {
		v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
		*o++ = alphabet[v >> 18 & 63];
		*o++ = alphabet[v >> 12 & 63];
		*o++ = alphabet[v >> 6 & 63];
	}
	*o = '\0';
	return out;
}

static int
value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int
b64url_decode(const char *s, size_t slen, unsigned char **out, size_t *outlen)
{
	unsigned char *buf;
	size_t i, n = 0;
	unsigned acc = 0;
	int bits = 0, v;

	*out = NULL;
	*outlen = 0;
	if (slen % 4 == 1)
		return -1;
	buf = xmalloc(slen / 4 * 3 + 3);
	for (i = 0; i < slen; i++) {
		if ((v = value(s[i])) < 0)
			goto bad;
		acc = (acc << 6 | (unsigned)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (unsigned char)(acc >> bits);
		}
	}
	/* Left-over bits must be zero: one canonical encoding per input. */
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		goto bad;
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return 0;
bad:
	free(buf);
	return -1;
}

char *
b64url_random_token(size_t nbytes)
{
	unsigned char buf[B64URL_TOKEN_MAX_BYTES];
	char *s;

	if (nbytes > sizeof(buf))
		abort(); /* a caller's bug, not an input: fail loudly */
	util_random(buf, nbytes);
	s = b64url_encode(buf, nbytes);
	util_wipe(buf, nbytes);
	return s;
}
