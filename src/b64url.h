/*
 * b64url: base64url without padding (RFC 4648 section 5), as JWTs and our
 * opaque tokens use it, and the random tokens themselves.
 */
#ifndef TETHER_B64URL_H
#define TETHER_B64URL_H

#include <stddef.h>

/* Returns the unpadded base64url text of buf, a string the caller frees. */
char *b64url_encode(const void *buf, size_t len);
/*
 * Decodes slen characters of unpadded base64url. Refuses padding, characters
 * outside the alphabet, a length of 4k+1 and non-zero trailing bits
 * (so each byte string has exactly one encoding).
 * Returns 0 and sets *out (caller frees; one extra NUL byte is appended
 * so text can be used as a C string) and *outlen, or -1.
 */
int b64url_decode(const char *s, size_t slen, unsigned char **out, size_t *outlen);

/* The most random bytes one b64url_random_token() call draws. */
#define B64URL_TOKEN_MAX_BYTES 64
/*
 * Returns base64url(nbytes cryptographically strong random bytes), a string
 * the caller frees (with util_free_secret() when it is a secret). Aborts if
 * nbytes > B64URL_TOKEN_MAX_BYTES or there is no randomness.
 */
char *b64url_random_token(size_t nbytes);

#endif
