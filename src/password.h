/*
 * password: scrypt (OpenSSL EVP_PBE_scrypt) password hashes in a
 * self-describing string, "$scrypt$ln=14,r=8,p=5$<salt>$<hash>" (salt and
 * hash base64url), so parameters can change without breaking old hashes.
 */
#ifndef TETHER_PASSWORD_H
#define TETHER_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PASSWORD_MIN_CHARS 8
#define PASSWORD_MAX_CHARS 1024

struct scrypt_params {
	uint64_t n; /* CPU/memory cost, a power of two >= 2 */
	uint32_t r;
	uint32_t p;
};

enum pw_err { PW_OK = 0, PW_TOO_SHORT, PW_TOO_LONG, PW_NUL, PW_BAD_UTF8, PW__MAX };

/* Human text for a validation error ("password must be at least 8 characters"). */
const char *password_err_message(enum pw_err err);

/*
 * Checks a candidate new password (len bytes, not NUL-terminated necessarily):
 * valid UTF-8, no NUL, 8 to 1024 code points. No composition rules (ASVS).
 */
enum pw_err password_validate(const char *pw, size_t len);

/*
 * Hashes pw with a fresh 16-byte salt. Returns the stored string, which the
 * caller frees, or NULL if scrypt fails (bad parameters, out of memory).
 */
char *password_hash(const char *pw, size_t len, const struct scrypt_params *params);

/*
 * Checks pw against stored in constant time. Returns 1 on a match, 0 on a
 * mismatch, -1 if stored is not a hash this module wrote. On a match,
 * *needs_rehash (if not NULL) says whether stored used parameters other than
 * *current, so the caller can upgrade it.
 */
int password_verify(const char *pw, size_t len, const char *stored,
    const struct scrypt_params *current, bool *needs_rehash);

/*
 * Spends the time of one password_verify with *current, for an unknown
 * email, so that login answers in about the same time either way.
 */
void password_burn(const char *pw, size_t len, const struct scrypt_params *current);

#endif
