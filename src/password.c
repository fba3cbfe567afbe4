/*
 * password: scrypt hashes (OpenSSL EVP_PBE_scrypt) in a self-describing
 * string "$scrypt$ln=14,r=8,p=5$<salt>$<hash>", so the cost can be raised
 * later and old hashes upgraded at the next login. Passwords are never
 * truncated; comparison is constant-time.
 */
#include <openssl/evp.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64url.h"
#include "password.h"
#include "util.h"

#define SALT_LEN 16
#define HASH_LEN 32
#define MAX_LN 20 /* 2^20 * 128 * r bytes: a stored hash cannot ask for more */
#define MAX_RP (1 << 12)

static const char *const messages[PW__MAX] = {
	[PW_OK] = "",
	[PW_TOO_SHORT] = "The password must be at least 8 characters.",
	[PW_TOO_LONG] = "The password must be at most 1024 characters.",
	[PW_NUL] = "The password must not contain a NUL character.",
	[PW_BAD_UTF8] = "The password must be valid UTF-8 text.",
};

const char *
password_err_message(enum pw_err err)
{
	return (unsigned)err < PW__MAX ? messages[err] : "";
}

enum pw_err
password_validate(const char *pw, size_t len)
{
	size_t chars;

	if (memchr(pw, '\0', len) != NULL)
		return PW_NUL;
	if (!util_utf8_valid(pw, len))
		return PW_BAD_UTF8;
	chars = util_utf8_length(pw, len);
	if (chars < PASSWORD_MIN_CHARS)
		return PW_TOO_SHORT;
	if (chars > PASSWORD_MAX_CHARS)
		return PW_TOO_LONG;
	return PW_OK;
}

static int
log2_exact(uint64_t n)
{
	int ln = 0;

	if (n < 2 || (n & (n - 1)) != 0)
		return -1;
	while ((n >>= 1) != 0)
		ln++;
	return ln;
}

static int
derive(const char *pw, size_t len, const unsigned char *salt,
    const struct scrypt_params *sp, unsigned char out[HASH_LEN])
{
	/* OpenSSL refuses more than maxmem; scrypt needs 128 * r * (n + p). */
	uint64_t maxmem = 128ULL * sp->r * (sp->n + sp->p) + (1ULL << 20);

	return EVP_PBE_scrypt(pw, len, salt, SALT_LEN, sp->n, sp->r, sp->p, maxmem, out,
	    HASH_LEN) == 1 ? 0 : -1;
}

char *
password_hash(const char *pw, size_t len, const struct scrypt_params *sp)
{
	unsigned char salt[SALT_LEN], out[HASH_LEN];
	char *s64 = NULL, *h64 = NULL, *res = NULL;
	int ln = log2_exact(sp->n);

	if (ln < 1 || ln > MAX_LN || sp->r == 0 || sp->p == 0 || sp->r > MAX_RP ||
	    sp->p > MAX_RP)
		return NULL;
	util_random(salt, sizeof(salt));
	if (derive(pw, len, salt, sp, out) != 0)
		goto out;
	s64 = b64url_encode(salt, sizeof(salt));
	h64 = b64url_encode(out, sizeof(out));
	res = xasprintf("$scrypt$ln=%d,r=%" PRIu32 ",p=%" PRIu32 "$%s$%s", ln, sp->r, sp->p,
	    s64, h64);
out:
	util_wipe(out, sizeof(out));
	free(s64);
	util_free_secret(h64);
	return res;
}

/* Parses a stored hash; 0 on success. salt and hash are allocated. */
static int
parse(const char *stored, struct scrypt_params *sp, unsigned char **salt,
    unsigned char **hash)
{
	unsigned ln, r, p;
	int off = 0;
	const char *s, *d;
	size_t slen, hlen;

	*salt = *hash = NULL;
	if (sscanf(stored, "$scrypt$ln=%2u,r=%4u,p=%4u$%n", &ln, &r, &p, &off) != 3 ||
	    off == 0 || ln < 1 || ln > MAX_LN || r == 0 || p == 0 || r > MAX_RP || p > MAX_RP)
		return -1;
	s = stored + off;
	if ((d = strchr(s, '$')) == NULL ||
	    b64url_decode(s, (size_t)(d - s), salt, &slen) != 0 || slen != SALT_LEN ||
	    b64url_decode(d + 1, strlen(d + 1), hash, &hlen) != 0 || hlen != HASH_LEN) {
		free(*salt);
		free(*hash);
		*salt = *hash = NULL;
		return -1;
	}
	sp->n = 1ULL << ln;
	sp->r = r;
	sp->p = p;
	return 0;
}

int
password_verify(const char *pw, size_t len, const char *stored,
    const struct scrypt_params *current, bool *needs_rehash)
{
	struct scrypt_params sp;
	unsigned char *salt, *hash, out[HASH_LEN];
	int rc = -1;

	if (needs_rehash != NULL)
		*needs_rehash = false;
	if (stored == NULL || parse(stored, &sp, &salt, &hash) != 0)
		return -1;
	if (derive(pw, len, salt, &sp, out) != 0)
		goto out;
	rc = util_ct_equal(out, hash, HASH_LEN) ? 1 : 0;
	if (rc == 1 && needs_rehash != NULL)
		*needs_rehash = sp.n != current->n || sp.r != current->r || sp.p != current->p;
out:
	util_wipe(out, sizeof(out));
	free(salt);
	free(hash);
	return rc;
}

void
password_burn(const char *pw, size_t len, const struct scrypt_params *current)
{
	static const unsigned char salt[SALT_LEN] = "tether-burn-salt";
	unsigned char out[HASH_LEN];

	(void)derive(pw, len, salt, current, out);
	util_wipe(out, sizeof(out));
}
