/*
 * jwt: HS256 JSON Web Tokens (RFC 7519) signed and verified with OpenSSL's
 * HMAC-SHA256. Only what tether issues is accepted: alg HS256, typ JWT, a
 * known kid, and the access-token claims. Nothing here knows about sessions
 * or the database.
 */
#ifndef TETHER_JWT_H
#define TETHER_JWT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define JWT_KID_MAX 64
#define JWT_SECRET_MIN 32  /* shorter secrets stop the worker at start */
#define JWT_SECRET_MAX 256
#define JWT_MAX_TOKEN 4096 /* longer input is refused before any parsing */
#define JWT_ID_MAX 64      /* sub, sid, jti: at most 63 characters */

/* One signing key; the secret is wiped by jwt_key_clear(). */
struct jwt_key {
	char kid[JWT_KID_MAX + 1];
	unsigned char secret[JWT_SECRET_MAX];
	size_t secret_len;
};

/* The access-token claims tether issues and checks. */
struct jwt_claims {
	char sub[JWT_ID_MAX]; /* user id, decimal */
	char sid[JWT_ID_MAX]; /* session id */
	char jti[JWT_ID_MAX]; /* token id: random 128 bits, base64url */
	int64_t iat;
	int64_t exp;
	int64_t nbf; /* verified tokens only: INT64_MIN when absent; not signed */
};

/* What verification says; the wire names live in jwt_err_name(). */
enum jwt_err {
	JWT_OK = 0,
	JWT_MALFORMED,     /* not three base64url parts of JSON objects, too long */
	JWT_BAD_HEADER,    /* alg not HS256, typ not JWT, crit, jwk/jku/x5u, types */
	JWT_UNKNOWN_KID,   /* kid missing or not configured */
	JWT_BAD_SIGNATURE, /* HMAC does not match */
	JWT_BAD_CLAIMS,    /* iss, aud, typ, sub, sid, jti missing/wrong/badly typed */
	JWT_NOT_YET_VALID, /* iat or nbf in the future beyond the leeway */
	JWT_EXPIRED,       /* exp + leeway <= now; claims are still filled in */
	JWT__MAX
};

/* Short lowercase name of an error for logs ("bad_signature"). */
const char *jwt_err_name(enum jwt_err err);

/*
 * Parses one "kid:base64url-secret" item into *key. Returns 0, or -1 with a
 * message in err (errlen bytes) when the kid is empty or too long, the secret
 * is not base64url, or it decodes to fewer than JWT_SECRET_MIN bytes.
 */
int jwt_key_parse(const char *item, struct jwt_key *key, char *err, size_t errlen);
/* Wipes the key's secret. */
void jwt_key_clear(struct jwt_key *key);

/*
 * Signs claims with key: header {alg:HS256, typ:JWT, kid}, payload
 * {iss, aud, sub, sid, jti, iat, exp, typ:"access"}.
 * Returns the compact token, a string the caller frees.
 */
char *jwt_sign(const struct jwt_key *key, const char *iss, const char *aud,
    const struct jwt_claims *claims);

/*
 * Verifies token against keys[0..nkeys) (the header's kid picks the key),
 * issuer, audience, and time: iat and nbf must not be later than
 * now + leeway, exp must be later than now - leeway.
 * Why the leeway: the hosts that issue and check tokens may disagree on
 * the time by a few seconds.
 * On JWT_OK and on JWT_EXPIRED (signature valid, only too old) *out holds
 * the claims; on any other result *out is zeroed.
 */
enum jwt_err jwt_verify(const char *token, const struct jwt_key *keys, size_t nkeys,
    const char *iss, const char *aud, int64_t leeway, time_t now,
    struct jwt_claims *out);

/*
 * The checks of jwt_verify that depend on the time, alone: for claims that
 * jwt_verify already accepted once (a worker's memo of verified tokens).
 * JWT_OK, JWT_NOT_YET_VALID or JWT_EXPIRED, by the same rules.
 */
enum jwt_err jwt_check_times(const struct jwt_claims *c, int64_t leeway, time_t now);

#endif
