/*
 * tokmemo: the access tokens this worker has verified lately, with their
 * claims. A browser presents the same access token on every page view for
 * its whole lifetime, so remembering the outcome skips the base64url, the
 * HMAC and both JSON parses on all but the first.
 *
 * Only the signature and the claims' shape are remembered: a token's
 * signature never changes, and the keys are fixed for the life of the
 * worker. The time checks are made again on every use (jwt_check_times),
 * and revocation is not this module's business (auth asks the session
 * cache or the database either way).
 */
#ifndef TETHER_TOKMEMO_H
#define TETHER_TOKMEMO_H

#include <stdbool.h>

#include "jwt.h"

#define TOKMEMO_SLOTS 64
#define TOKMEMO_TOKEN_MAX 640 /* longer tokens are verified every time */

/*
 * Copies the claims of token into out if it was remembered. The slot is
 * found by a hash of the token, and the token is then compared whole in
 * constant time: how long a lookup takes says nothing about how close a
 * forged token came to a remembered one.
 */
bool tokmemo_get(const char *token, struct jwt_claims *out);
/* Remembers a token jwt_verify accepted (JWT_OK) with its claims. */
void tokmemo_put(const char *token, const struct jwt_claims *claims);
/* Forgets every token (and wipes them). */
void tokmemo_clear(void);

#endif
