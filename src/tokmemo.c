/*
 * tokmemo: a direct-mapped table of verified tokens. The table lives in
 * the data segment; only slots ever used become resident.
 */
#include <stdint.h>
#include <string.h>

#include "tokmemo.h"
#include "util.h"

struct memo {
	size_t len; /* 0 = empty */
	char token[TOKMEMO_TOKEN_MAX];
	struct jwt_claims claims;
};

static struct memo table[TOKMEMO_SLOTS];

/* The hash only picks the slot; the match is decided in constant time. */
static struct memo *
slot_for(const char *token, size_t len)
{
	return &table[util_hash32(token, len) % TOKMEMO_SLOTS];
}

bool
tokmemo_get(const char *token, struct jwt_claims *out)
{
	size_t len;
	struct memo *m;

	if (token == NULL || (len = strnlen(token, TOKMEMO_TOKEN_MAX)) == 0 ||
	    len >= TOKMEMO_TOKEN_MAX)
		return false;
	m = slot_for(token, len);
	if (m->len != len || !util_ct_equal(m->token, token, len))
		return false;
	*out = m->claims;
	return true;
}

void
tokmemo_put(const char *token, const struct jwt_claims *claims)
{
	size_t len;
	struct memo *m;

	if (token == NULL || (len = strnlen(token, TOKMEMO_TOKEN_MAX)) == 0 ||
	    len >= TOKMEMO_TOKEN_MAX)
		return;
	m = slot_for(token, len);
	util_wipe(m->token, sizeof(m->token));
	memcpy(m->token, token, len);
	m->len = len;
	m->claims = *claims;
}

void
tokmemo_clear(void)
{
	size_t i;

	for (i = 0; i < TOKMEMO_SLOTS; i++)
		if (table[i].len != 0)
			util_wipe(&table[i], sizeof(table[i])); /* len too: empty */
}
