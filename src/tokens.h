/*
 * tokens: the token pairs tether issues. A refresh token is 256 random
 * bits in base64url, opaque, stored only as its SHA-256; an access token
 * is a JWT naming the user (sub), the session (sid) and itself (jti).
 */
#ifndef TETHER_TOKENS_H
#define TETHER_TOKENS_H

#include <stdbool.h>
#include <time.h>

#include "config.h"
#include "session.h"
#include "store.h"
#include "util.h"

_Static_assert(TOKEN_HASH_HEX == 2 * UTIL_SHA256_LEN, "a token hash is hex SHA-256");

#define REFRESH_TOKEN_BYTES 32 /* 256 bits */
#define REFRESH_TOKEN_CHARS 43 /* base64url of REFRESH_TOKEN_BYTES, unpadded */
#define JTI_BYTES 16 /* 128 bits */

/* A fresh token pair; the strings are owned by the struct and freed (and
 * wiped) by tokens_pair_clear(). issue is what the store records. */
struct token_pair {
	char *refresh;
	char *access; /* NULL until tokens_pair_sign() */
	struct token_issue issue;
};

/* Makes the refresh token and the access token's jti and expiry at now.
 * The caller sets issue.refresh_expires_at. */
void tokens_pair_new(const struct config *cfg, time_t now, struct token_pair *p);
/*
 * The pair that succeeds the refresh token parent: like tokens_pair_new,
 * but the refresh token and the jti are derived from parent with the
 * signing key (HMAC-SHA256), not drawn at random. Why: a replay of parent
 * within the reuse grace (another tab, or a thief) gets the very same
 * successor instead of a second chain, so there is only ever one live
 * chain per session and a second use of it is seen as reuse (audit L7).
 * Unpredictable without the key, as a random token is.
 */
void tokens_pair_next(
    const struct config *cfg, const char *parent, time_t now, struct token_pair *p);
/* Signs the access token for session s (its id and user) at now. */
void tokens_pair_sign(
    const struct config *cfg, struct token_pair *p, const struct session *s, time_t now);
/* Wipes and frees the strings; p may then be reused. */
void tokens_pair_clear(struct token_pair *p);

/* The hex SHA-256 of token, as the store keeps refresh tokens. */
void tokens_hash(const char *token, char hex[TOKEN_HASH_HEX + 1]);
/* Whether t is shaped like a refresh token we issue (REFRESH_TOKEN_CHARS
 * base64url characters): anything else is refused before it costs a
 * database round trip. */
bool tokens_refresh_shape_ok(const char *t);

#endif
